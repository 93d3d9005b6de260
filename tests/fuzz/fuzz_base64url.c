/* fuzz_base64url.c - b64url_decode (src/base/base64url.c): strict, one spelling
 * per value, so whatever it accepts encodes back to the very same text;
 * and any bytes encode to something it decodes back to those bytes. */
#include "fuzz.h"
#include "opengov/base/base64url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Buffers of exactly the documented sizes: ASan sees an overrun. */
	unsigned char *dec = malloc(3 * size / 4 + 3);
	char *enc = malloc(4 * ((size + 2) / 3) + 1);
	char *in = malloc(size ? size : 1);

	memcpy(in, data, size);
	long n = b64url_decode(in, size, dec);
	FUZZ_CHECK(n >= -1 && n <= (long)(3 * size / 4));
	if (n >= 0) {
		size_t el = b64url_encode(dec, (size_t)n, enc);
		FUZZ_CHECK(el == size && !memcmp(enc, in, size));
	}
	/* The input as bytes: encode, then decode. */
	size_t el = b64url_encode(data, size, enc);
	FUZZ_CHECK(el == strlen(enc) && el % 4 != 1);
	unsigned char *back = malloc(3 * el / 4 + 3);
	FUZZ_CHECK(b64url_decode(enc, el, back) == (long)size);
	FUZZ_CHECK(!size || !memcmp(back, data, size));
	free(back);
	free(in);
	free(enc);
	free(dec);
	return 0;
}
