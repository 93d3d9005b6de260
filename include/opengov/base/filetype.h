/* filetype.h - what an uploaded file really is (PDF, JPEG or PNG), decided by
 * walking its structure rather than trusting its name or first bytes. Pure. */
#ifndef OPENGOV_FILETYPE_H
#define OPENGOV_FILETYPE_H

#include <stddef.h>

enum filetype { FILETYPE_UNKNOWN = 0, FILETYPE_PDF, FILETYPE_JPEG, FILETYPE_PNG };

/* The type the content really is, after checking its structure;
 * FILETYPE_UNKNOWN for anything else (empty, truncated, other formats,
 * corrupted). Pure, no allocation, O(n). Reads p[0..n) only; p may be NULL
 * when n is 0. What is checked, and which trailing bytes are tolerated, is
 * told at the top of src/base/filetype.c. */
enum filetype filetype_detect(const unsigned char *p, size_t n);
/* "application/pdf", "image/jpeg", "image/png"; NULL for UNKNOWN. */
const char *filetype_mime(enum filetype t);
/* "pdf", "jpeg", "png"; NULL for UNKNOWN. */
const char *filetype_name(enum filetype t);

#endif
