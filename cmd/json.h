/* JSON output of the commands (cowfsck --json, cowreplay --json): one escaper,
 * so that every command writes the same bytes for the same string. */
#ifndef COWFS_CMD_JSON_H
#define COWFS_CMD_JSON_H

#include <stdint.h>
#include <stdio.h>

/* s (NUL-terminated) as a JSON string, quotes included.  Names on disk are
 * bytes, not text: a byte that does not start a sequence of the shape UTF-8
 * gives its lead byte becomes U+FFFD.  Only the shape is checked, so overlong
 * forms, surrogates and leads 0xf5-0xff before two continuation bytes pass
 * through unchanged (the transcripts of both commands were made so). */
void json_string(FILE *f, const char *s);

/* Members written after an opening brace and its first member: ,"name":"v"
 * (NULL v: "") and ,"name":v. */
void json_field(FILE *f, const char *name, const char *v);
void json_u64(FILE *f, const char *name, uint64_t v);

#endif
