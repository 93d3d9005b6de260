/* fuzz_filetype.c - filetype_detect (src/base/filetype.c) on arbitrary bytes:
 * it must read only p[0..n), and what it calls a file must have the
 * signature of that type. The input is copied to a buffer of exactly its
 * size so that ASan sees any read past the end. */
#include "fuzz.h"
#include "opengov/base/filetype.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *p = size ? malloc(size) : NULL;

	if (size)
		memcpy(p, data, size);
	enum filetype t = filetype_detect(p, size);
	switch (t) {
	case FILETYPE_PDF:
		FUZZ_CHECK(size >= 20 && !memcmp(p, "%PDF-", 5));
		break;
	case FILETYPE_PNG:
		FUZZ_CHECK(size >= 8 && !memcmp(p, "\x89PNG\r\n\x1a\n", 8));
		break;
	case FILETYPE_JPEG:
		FUZZ_CHECK(size >= 4 && p[0] == 0xff && p[1] == 0xd8 && p[2] == 0xff);
		break;
	case FILETYPE_UNKNOWN:
		break;
	default:
		FUZZ_CHECK(!"a type that does not exist");
	}
	FUZZ_CHECK((t == FILETYPE_UNKNOWN) == (filetype_mime(t) == NULL));
	FUZZ_CHECK((t == FILETYPE_UNKNOWN) == (filetype_name(t) == NULL));
	/* The same bytes, the same answer. */
	FUZZ_CHECK(filetype_detect(p, size) == t);
	free(p);
	return 0;
}
