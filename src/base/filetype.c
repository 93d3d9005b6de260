/* filetype.c - what an uploaded file really is: PDF, JPEG or PNG, decided by
 * walking its structure, so a renamed or truncated file is told apart. Pure.
 *
 * What each format must satisfy (anything else is FILETYPE_UNKNOWN):
 *
 * PDF  "%PDF-" at offset 0, then "1." or "2.", a digit and a PDF whitespace
 *      byte; at least 20 bytes. The file ends with "startxref" <ws> <decimal
 *      offset> <ws> "%%EOF", where "%%EOF" starts within the last 1024 bytes
 *      and only PDF whitespace (NUL, TAB, LF, FF, CR, space) follows it. The
 *      offset must point before "startxref", at (after optional whitespace)
 *      either the "xref" keyword or "N G obj" (a cross-reference stream).
 *      A file whose startxref is wrong, which readers repair silently, is
 *      refused: the body is not parsed, so this is the structure we check.
 *
 * PNG  The 8-byte signature; IHDR first (length 13, width and height in
 *      1..2^31-1, a legal colour type/bit depth pair, compression 0, filter
 *      0, interlace 0 or 1) and only first; every chunk fits in the buffer,
 *      has a length <= 2^31-1, a type of four ASCII letters and a matching
 *      CRC-32; no unknown critical chunk (only IHDR, PLTE, IDAT, IEND); at
 *      least one IDAT, all IDATs consecutive, and the zlib header they start
 *      with valid (deflate, no preset dictionary); PLTE at most once, before
 *      IDAT, and present for palette images; IEND of length 0 ends it.
 *      After IEND at most 16 zero bytes are tolerated (block padding); any
 *      other trailing byte is refused, since an appended payload (a ZIP, a
 *      script) makes the upload a polyglot.
 *
 * JPEG FF D8 FF, then marker segments: fill bytes FF skipped, TEM and RST0-7
 *      standalone, every other marker from C0 up with a big-endian length
 *      >= 2 that fits in the buffer; reserved markers 02-BF and a second SOI
 *      are refused. A frame header SOFn (C0-C3, C5-C7, C9-CB, CD-CF, checked:
 *      precision 2..16, height and width > 0, 1..255 components, length
 *      8 + 3 * components) must come before the first SOS, whose header is
 *      checked too (1..4 components, length 6 + 2 * components). After each
 *      SOS the entropy-coded data (FF 00 stuffing and RST0-7 inside) runs to
 *      the next marker; more scans may follow (progressive files); EOI
 *      (FF D9) after at least one scan ends the image.
 *      Further complete JPEG images may follow EOI only when the first one
 *      carries an APP2 "MPF" segment (CIPA multi-picture: camera previews,
 *      depth maps). After the last EOI at most 512 bytes of NUL, space, TAB,
 *      CR or LF are tolerated; anything else is refused, which also refuses
 *      "motion photos" carrying a video after EOI.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "opengov/base/filetype.h"

#define PDF_MIN_SIZE 20
#define PDF_EOF_WINDOW 1024
#define PNG_MAX_LENGTH 0x7fffffffu
#define PNG_MAX_TRAILING_ZEROS 16
#define JPEG_MAX_TRAILING 512

/* CRC-32 of ISO 3309 / PNG (polynomial 0xEDB88320, reflected). */
/* clang-format off */
static const uint32_t crc_table[256] = {
	0x00000000, 0x77073096, 0xee0e612c, 0x990951ba, 0x076dc419, 0x706af48f,
	0xe963a535, 0x9e6495a3, 0x0edb8832, 0x79dcb8a4, 0xe0d5e91e, 0x97d2d988,
	0x09b64c2b, 0x7eb17cbd, 0xe7b82d07, 0x90bf1d91, 0x1db71064, 0x6ab020f2,
	0xf3b97148, 0x84be41de, 0x1adad47d, 0x6ddde4eb, 0xf4d4b551, 0x83d385c7,
	0x136c9856, 0x646ba8c0, 0xfd62f97a, 0x8a65c9ec, 0x14015c4f, 0x63066cd9,
	0xfa0f3d63, 0x8d080df5, 0x3b6e20c8, 0x4c69105e, 0xd56041e4, 0xa2677172,
	0x3c03e4d1, 0x4b04d447, 0xd20d85fd, 0xa50ab56b, 0x35b5a8fa, 0x42b2986c,
	0xdbbbc9d6, 0xacbcf940, 0x32d86ce3, 0x45df5c75, 0xdcd60dcf, 0xabd13d59,
	0x26d930ac, 0x51de003a, 0xc8d75180, 0xbfd06116, 0x21b4f4b5, 0x56b3c423,
	0xcfba9599, 0xb8bda50f, 0x2802b89e, 0x5f058808, 0xc60cd9b2, 0xb10be924,
	0x2f6f7c87, 0x58684c11, 0xc1611dab, 0xb6662d3d, 0x76dc4190, 0x01db7106,
	0x98d220bc, 0xefd5102a, 0x71b18589, 0x06b6b51f, 0x9fbfe4a5, 0xe8b8d433,
	0x7807c9a2, 0x0f00f934, 0x9609a88e, 0xe10e9818, 0x7f6a0dbb, 0x086d3d2d,
	0x91646c97, 0xe6635c01, 0x6b6b51f4, 0x1c6c6162, 0x856530d8, 0xf262004e,
	0x6c0695ed, 0x1b01a57b, 0x8208f4c1, 0xf50fc457, 0x65b0d9c6, 0x12b7e950,
	0x8bbeb8ea, 0xfcb9887c, 0x62dd1ddf, 0x15da2d49, 0x8cd37cf3, 0xfbd44c65,
	0x4db26158, 0x3ab551ce, 0xa3bc0074, 0xd4bb30e2, 0x4adfa541, 0x3dd895d7,
	0xa4d1c46d, 0xd3d6f4fb, 0x4369e96a, 0x346ed9fc, 0xad678846, 0xda60b8d0,
	0x44042d73, 0x33031de5, 0xaa0a4c5f, 0xdd0d7cc9, 0x5005713c, 0x270241aa,
	0xbe0b1010, 0xc90c2086, 0x5768b525, 0x206f85b3, 0xb966d409, 0xce61e49f,
	0x5edef90e, 0x29d9c998, 0xb0d09822, 0xc7d7a8b4, 0x59b33d17, 0x2eb40d81,
	0xb7bd5c3b, 0xc0ba6cad, 0xedb88320, 0x9abfb3b6, 0x03b6e20c, 0x74b1d29a,
	0xead54739, 0x9dd277af, 0x04db2615, 0x73dc1683, 0xe3630b12, 0x94643b84,
	0x0d6d6a3e, 0x7a6a5aa8, 0xe40ecf0b, 0x9309ff9d, 0x0a00ae27, 0x7d079eb1,
	0xf00f9344, 0x8708a3d2, 0x1e01f268, 0x6906c2fe, 0xf762575d, 0x806567cb,
	0x196c3671, 0x6e6b06e7, 0xfed41b76, 0x89d32be0, 0x10da7a5a, 0x67dd4acc,
	0xf9b9df6f, 0x8ebeeff9, 0x17b7be43, 0x60b08ed5, 0xd6d6a3e8, 0xa1d1937e,
	0x38d8c2c4, 0x4fdff252, 0xd1bb67f1, 0xa6bc5767, 0x3fb506dd, 0x48b2364b,
	0xd80d2bda, 0xaf0a1b4c, 0x36034af6, 0x41047a60, 0xdf60efc3, 0xa867df55,
	0x316e8eef, 0x4669be79, 0xcb61b38c, 0xbc66831a, 0x256fd2a0, 0x5268e236,
	0xcc0c7795, 0xbb0b4703, 0x220216b9, 0x5505262f, 0xc5ba3bbe, 0xb2bd0b28,
	0x2bb45a92, 0x5cb36a04, 0xc2d7ffa7, 0xb5d0cf31, 0x2cd99e8b, 0x5bdeae1d,
	0x9b64c2b0, 0xec63f226, 0x756aa39c, 0x026d930a, 0x9c0906a9, 0xeb0e363f,
	0x72076785, 0x05005713, 0x95bf4a82, 0xe2b87a14, 0x7bb12bae, 0x0cb61b38,
	0x92d28e9b, 0xe5d5be0d, 0x7cdcefb7, 0x0bdbdf21, 0x86d3d2d4, 0xf1d4e242,
	0x68ddb3f8, 0x1fda836e, 0x81be16cd, 0xf6b9265b, 0x6fb077e1, 0x18b74777,
	0x88085ae6, 0xff0f6a70, 0x66063bca, 0x11010b5c, 0x8f659eff, 0xf862ae69,
	0x616bffd3, 0x166ccf45, 0xa00ae278, 0xd70dd2ee, 0x4e048354, 0x3903b3c2,
	0xa7672661, 0xd06016f7, 0x4969474d, 0x3e6e77db, 0xaed16a4a, 0xd9d65adc,
	0x40df0b66, 0x37d83bf0, 0xa9bcae53, 0xdebb9ec5, 0x47b2cf7f, 0x30b5ffe9,
	0xbdbdf21c, 0xcabac28a, 0x53b39330, 0x24b4a3a6, 0xbad03605, 0xcdd70693,
	0x54de5729, 0x23d967bf, 0xb3667a2e, 0xc4614ab8, 0x5d681b02, 0x2a6f2b94,
	0xb40bbe37, 0xc30c8ea1, 0x5a05df1b, 0x2d02ef8d,
};
/* clang-format on */

static uint32_t png_crc32(const unsigned char *p, size_t n)
{
	uint32_t c = 0xffffffffu;

	for (size_t i = 0; i < n; i++)
		c = crc_table[(c ^ p[i]) & 0xff] ^ (c >> 8);
	return c ^ 0xffffffffu;
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static size_t be16(const unsigned char *p)
{
	return (size_t)p[0] << 8 | p[1];
}

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* ---- PDF ---- */

/* ISO 32000-1, 7.2.2: the white-space characters. */
static bool pdf_space(unsigned char c)
{
	return c == 0 || c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' ';
}

static bool has_prefix(const unsigned char *p, size_t n, const char *s)
{
	size_t k = strlen(s);

	return n >= k && memcmp(p, s, k) == 0;
}

/* Is there a cross-reference section at off, before lim: "xref" or "N G obj"? */
static bool pdf_xref_at(const unsigned char *p, size_t off, size_t lim)
{
	size_t i = off, k;

	while (i < lim && pdf_space(p[i]))
		i++;
	if (has_prefix(p + i, lim - i, "xref"))
		return true;
	for (int field = 0; field < 2; field++) {
		for (k = i; k < lim && is_digit(p[k]); k++)
			;
		if (k == i || k == lim || !pdf_space(p[k]))
			return false;
		for (i = k; i < lim && pdf_space(p[i]); i++)
			;
	}
	return has_prefix(p + i, lim - i, "obj");
}

static enum filetype pdf_detect(const unsigned char *p, size_t n)
{
	size_t end = n, k, digits_end, digits_start, kw, off = 0;

	if (n < PDF_MIN_SIZE || !has_prefix(p, n, "%PDF-") || (p[5] != '1' && p[5] != '2') ||
	    p[6] != '.' || !is_digit(p[7]) || !pdf_space(p[8]))
		return FILETYPE_UNKNOWN;

	/* The last non-blank bytes are "%%EOF", within the last 1024 bytes. */
	while (end > 0 && pdf_space(p[end - 1]))
		end--;
	if (end < 5 || n - (end - 5) > PDF_EOF_WINDOW || memcmp(p + end - 5, "%%EOF", 5) != 0)
		return FILETYPE_UNKNOWN;

	/* Backwards: blanks, the offset, blanks, "startxref". */
	k = end - 5;
	while (k > 0 && pdf_space(p[k - 1]))
		k--;
	if (k == end - 5)
		return FILETYPE_UNKNOWN;
	digits_end = k;
	while (k > 0 && is_digit(p[k - 1]))
		k--;
	digits_start = k;
	if (digits_start == digits_end)
		return FILETYPE_UNKNOWN;
	while (k > 0 && pdf_space(p[k - 1]))
		k--;
	if (k == digits_start || k < 9 || memcmp(p + k - 9, "startxref", 9) != 0)
		return FILETYPE_UNKNOWN;
	kw = k - 9;

	/* The offset must point before "startxref"; checked digit by digit so a
	 * long run of digits cannot overflow. */
	for (size_t i = digits_start; i < digits_end; i++) {
		size_t d = (size_t)(p[i] - '0');

		if (kw <= d || off > (kw - 1 - d) / 10)
			return FILETYPE_UNKNOWN;
		off = off * 10 + d;
	}
	return pdf_xref_at(p, off, kw) ? FILETYPE_PDF : FILETYPE_UNKNOWN;
}

/* ---- PNG ---- */

static const unsigned char png_signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

static bool is_letter(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* PNG spec 11.2.2: the IHDR fields and the legal colour type/bit depth pairs. */
static bool png_ihdr_ok(const unsigned char *d)
{
	uint32_t w = be32(d), h = be32(d + 4);
	unsigned depth = d[8];

	if (w == 0 || h == 0 || w > PNG_MAX_LENGTH || h > PNG_MAX_LENGTH)
		return false;
	if (d[10] != 0 || d[11] != 0 || d[12] > 1)
		return false;
	switch (d[9]) {
	case 0:
		return depth == 1 || depth == 2 || depth == 4 || depth == 8 || depth == 16;
	case 3:
		return depth == 1 || depth == 2 || depth == 4 || depth == 8;
	case 2:
	case 4:
	case 6:
		return depth == 8 || depth == 16;
	default:
		return false;
	}
}

static bool png_type_is(const unsigned char *type, const char *name)
{
	return memcmp(type, name, 4) == 0;
}

static enum filetype png_detect(const unsigned char *p, size_t n)
{
	enum { IDAT_NONE, IDAT_IN, IDAT_DONE } idat = IDAT_NONE;
	unsigned char zlib[2];
	size_t pos = sizeof png_signature, zgot = 0;
	bool plte = false, palette = false;

	if (n < sizeof png_signature || memcmp(p, png_signature, sizeof png_signature) != 0)
		return FILETYPE_UNKNOWN;
	for (;;) {
		if (n - pos < 12)
			return FILETYPE_UNKNOWN;
		uint32_t len = be32(p + pos);
		const unsigned char *type = p + pos + 4, *data = type + 4;
		bool first = pos == sizeof png_signature;

		if (len > PNG_MAX_LENGTH || len > n - pos - 12)
			return FILETYPE_UNKNOWN;
		for (int i = 0; i < 4; i++)
			if (!is_letter(type[i]))
				return FILETYPE_UNKNOWN;
		if (png_crc32(type, (size_t)len + 4) != be32(data + len))
			return FILETYPE_UNKNOWN;
		pos += (size_t)len + 12;

		if (first != png_type_is(type, "IHDR"))
			return FILETYPE_UNKNOWN;
		if (first) {
			if (len != 13 || !png_ihdr_ok(data))
				return FILETYPE_UNKNOWN;
			palette = data[9] == 3;
			continue;
		}
		if (png_type_is(type, "IDAT")) {
			if (idat == IDAT_DONE)
				return FILETYPE_UNKNOWN;
			idat = IDAT_IN;
			for (uint32_t i = 0; i < len && zgot < 2; i++)
				zlib[zgot++] = data[i];
			continue;
		}
		if (idat == IDAT_IN)
			idat = IDAT_DONE;
		if (png_type_is(type, "IEND")) {
			if (len != 0 || idat == IDAT_NONE || (palette && !plte))
				break;
			/* RFC 1950: deflate, window <= 32K, check bits, no dictionary. */
			if (zgot < 2 || (zlib[0] & 0x0f) != 8 || (zlib[0] >> 4) > 7 ||
			    ((unsigned)zlib[0] << 8 | zlib[1]) % 31 != 0 || (zlib[1] & 0x20))
				break;
			size_t rest = n - pos;
			if (rest > PNG_MAX_TRAILING_ZEROS)
				break;
			for (size_t i = 0; i < rest; i++)
				if (p[pos + i] != 0)
					return FILETYPE_UNKNOWN;
			return FILETYPE_PNG;
		}
		if (png_type_is(type, "PLTE")) {
			if (plte || idat != IDAT_NONE || len == 0 || len % 3 != 0 || len > 768)
				return FILETYPE_UNKNOWN;
			plte = true;
			continue;
		}
		/* Bit 5 of the first byte clear: a critical chunk we cannot interpret. */
		if (!(type[0] & 0x20))
			return FILETYPE_UNKNOWN;
	}
	return FILETYPE_UNKNOWN;
}

/* ---- JPEG ---- */

static bool jpeg_is_sof(unsigned char m)
{
	return m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc;
}

static bool jpeg_is_rst(unsigned char m)
{
	return m >= 0xd0 && m <= 0xd7;
}

/* ITU T.81 B.2.2: P, Y, X, Nf, then Nf (C, HV, Tq) triples. */
static bool jpeg_sof_ok(const unsigned char *s, size_t len)
{
	if (len < 6 || s[0] < 2 || s[0] > 16 || be16(s + 1) == 0 || be16(s + 3) == 0 || s[5] == 0 ||
	    len != 6 + 3 * (size_t)s[5])
		return false;
	for (size_t i = 0; i < s[5]; i++) {
		const unsigned char *c = s + 6 + 3 * i;
		unsigned h = c[1] >> 4, v = c[1] & 0x0f;

		if (h < 1 || h > 4 || v < 1 || v > 4 || c[2] > 3)
			return false;
	}
	return true;
}

/* ITU T.81 B.2.3: Ns, Ns (Cs, Td/Ta) pairs, Ss, Se, Ah/Al. */
static bool jpeg_sos_ok(const unsigned char *s, size_t len)
{
	return len >= 1 && s[0] >= 1 && s[0] <= 4 && len == 4 + 2 * (size_t)s[0];
}

/* One image from SOI to EOI at p. Returns the length up to and including its
 * EOI, or 0 when it is not a well-formed image; *mpf tells whether it has an
 * APP2 "MPF" segment announcing further images. */
static size_t jpeg_image(const unsigned char *p, size_t n, bool *mpf)
{
	size_t pos = 2;
	bool sof = false, sos = false;

	*mpf = false;
	if (n < 3 || p[0] != 0xff || p[1] != 0xd8 || p[2] != 0xff)
		return 0;
	for (;;) {
		if (pos >= n || p[pos] != 0xff)
			return 0;
		while (pos < n && p[pos] == 0xff)
			pos++;
		if (pos >= n)
			return 0;
		unsigned char m = p[pos++];

		if (m == 0xd9)
			return sos ? pos : 0;
		if (m == 0x01 || jpeg_is_rst(m))
			continue;
		if (m < 0xc0 || m == 0xd8)
			return 0;
		if (n - pos < 2)
			return 0;
		size_t len = be16(p + pos);
		if (len < 2 || len > n - pos)
			return 0;
		const unsigned char *seg = p + pos + 2;
		size_t slen = len - 2;

		pos += len;
		if (jpeg_is_sof(m)) {
			if (!jpeg_sof_ok(seg, slen))
				return 0;
			sof = true;
		} else if (m == 0xe2 && slen >= 4 && memcmp(seg, "MPF", 4) == 0) {
			*mpf = true;
		}
		if (m != 0xda)
			continue;
		if (!sof || !jpeg_sos_ok(seg, slen))
			return 0;
		sos = true;
		/* Entropy-coded data up to the next marker. Like libjpeg, fill
		 * bytes before a stuffed zero are taken as one stuffed FF. */
		for (;;) {
			const unsigned char *ff = memchr(p + pos, 0xff, n - pos);

			if (!ff)
				return 0;
			size_t q = (size_t)(ff - p) + 1;
			while (q < n && p[q] == 0xff)
				q++;
			if (q >= n)
				return 0;
			if (p[q] != 0x00 && !jpeg_is_rst(p[q])) {
				pos = (size_t)(ff - p);
				break;
			}
			pos = q + 1;
		}
	}
}

static bool jpeg_trailing_ok(unsigned char c)
{
	return c == 0 || c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static enum filetype jpeg_detect(const unsigned char *p, size_t n)
{
	bool mpf, more;
	size_t pos = jpeg_image(p, n, &mpf);

	if (pos == 0)
		return FILETYPE_UNKNOWN;
	while (mpf && n - pos >= 3 && p[pos] == 0xff && p[pos + 1] == 0xd8) {
		size_t k = jpeg_image(p + pos, n - pos, &more);

		if (k == 0)
			return FILETYPE_UNKNOWN;
		pos += k;
	}
	if (n - pos > JPEG_MAX_TRAILING)
		return FILETYPE_UNKNOWN;
	for (; pos < n; pos++)
		if (!jpeg_trailing_ok(p[pos]))
			return FILETYPE_UNKNOWN;
	return FILETYPE_JPEG;
}

enum filetype filetype_detect(const unsigned char *p, size_t n)
{
	if (!p || n == 0)
		return FILETYPE_UNKNOWN;
	/* The three signatures are disjoint: at most one walker runs. */
	if (p[0] == '%')
		return pdf_detect(p, n);
	if (p[0] == 0x89)
		return png_detect(p, n);
	if (p[0] == 0xff)
		return jpeg_detect(p, n);
	return FILETYPE_UNKNOWN;
}

const char *filetype_mime(enum filetype t)
{
	switch (t) {
	case FILETYPE_PDF:
		return "application/pdf";
	case FILETYPE_JPEG:
		return "image/jpeg";
	case FILETYPE_PNG:
		return "image/png";
	default:
		return NULL;
	}
}

const char *filetype_name(enum filetype t)
{
	switch (t) {
	case FILETYPE_PDF:
		return "pdf";
	case FILETYPE_JPEG:
		return "jpeg";
	case FILETYPE_PNG:
		return "png";
	default:
		return NULL;
	}
}
