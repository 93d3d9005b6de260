/* base64url.h - base64url without padding (cursors, JWT parts). Pure. */
#ifndef OPENGOV_BASE64URL_H
#define OPENGOV_BASE64URL_H

#include <stddef.h>

/* out must hold 4*ceil(len/3)+1 bytes; returns the length written. */
size_t b64url_encode(const unsigned char *in, size_t len, char *out);
/* Strict: the alphabet only, no padding, and the unused low bits of the
 * last character zero. Returns the decoded length, or -1. out must hold
 * 3*len/4+3 bytes. */
long b64url_decode(const char *in, size_t len, unsigned char *out);

#endif
