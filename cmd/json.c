/* JSON output of the commands (json.h). */
#include <inttypes.h>

#include "json.h"

/* Length of the UTF-8 sequence at s (lead byte and continuation bytes), or 0.
 * It stops at the first byte that does not continue, so never reads past a NUL. */
static int utf8_len(const unsigned char *s)
{
	int n = s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 ? 2 : 0;

	for (int i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

void json_string(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	fputc('"', f);
	while (*s) {
		int n;

		if (*s == '"' || *s == '\\') {
			fprintf(f, "\\%c", *s++);
		} else if (*s < 0x20 || *s == 0x7f) {
			fprintf(f, "\\u%04x", *s++);
		} else if (*s < 0x80) {
			fputc(*s++, f);
		} else if ((n = utf8_len(s)) > 0) {
			fwrite(s, 1, (size_t)n, f);
			s += n;
		} else {
			fputs("\\ufffd", f);
			s++;
		}
	}
	fputc('"', f);
}

void json_field(FILE *f, const char *name, const char *v)
{
	fprintf(f, ",\"%s\":", name);
	json_string(f, v ? v : "");
}

void json_u64(FILE *f, const char *name, uint64_t v)
{
	fprintf(f, ",\"%s\":%" PRIu64, name, v);
}
