/* cowreplay's output (cowreplay-print.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cowreplay-print.h"
#include "json.h"

/* Where output goes: stdout, or while a matrix row is put together, its buffer. */
static FILE *row_out;

static FILE *sink(void)
{
	return row_out ? row_out : stdout;
}

/* ---- findings and events ---- */

static const char *const kind_names[] = {
	[COWFS_REPLAY_EXPECT] = "expect", [COWFS_REPLAY_PROBLEM] = "problem",
	[COWFS_REPLAY_ENGINE] = "engine", [COWFS_REPLAY_HOOK] = "hook",
	[COWFS_REPLAY_ERROR] = "error",
};

static const char *const when_names[] = {
	[COWFS_REPLAY_AT_OP] = "op", [COWFS_REPLAY_AT_READ] = "read",
	[COWFS_REPLAY_AT_CRASH] = "crash", [COWFS_REPLAY_AT_END] = "end",
};

static void json_expect(const struct cowfs_expect_finding *e)
{
	json_field(sink(), "path", e->path);
	if (e->end > e->start) {
		json_u64(sink(), "start", e->start);
		json_u64(sink(), "end", e->end);
	}
	if (e->kind == COWFS_EXPECT_CONTENT) {
		fputs(",\"expected\":[", sink());
		for (size_t i = 0; i < e->nr_expected; i++) {
			const struct cowfs_expect_cand *c = &e->expected[i];

			if (c->kind == COWFS_CAND_DATA)
				fprintf(sink(), "%s%" PRIu64, i ? "," : "", c->line);
			else
				fprintf(sink(), "%s\"%s\"", i ? "," : "",
					c->kind == COWFS_CAND_ZEROS ? "zeros" : "any");
		}
		fputs("]", sink());
		json_field(sink(), "found", e->found == COWFS_STAMP_LINE ? "line" :
			   e->found == COWFS_STAMP_ZEROS ? "zeros" :
			   e->found == COWFS_STAMP_MIXED ? "mixed" : "other");
		if (e->found == COWFS_STAMP_LINE || e->found == COWFS_STAMP_MIXED)
			json_u64(sink(), "found_line", e->found_line);
	}
	if (e->kind == COWFS_EXPECT_SIZE)
		json_u64(sink(), "size", e->size);
}

/* The fields of a finding after the opening brace and its first member. */
static void json_finding(const struct cowfs_replay_finding *f)
{
	json_field(sink(), "kind", kind_names[f->kind]);
	json_field(sink(), "when", when_names[f->when]);
	json_u64(sink(), "line", f->line);
	json_field(sink(), "severity", cowfs_severity_name(f->severity));
	if (f->kind == COWFS_REPLAY_PROBLEM)
		fprintf(sink(), ",\"code\":\"0x%06" PRIx32 "\"", f->code);
	if (f->expect)
		json_expect(f->expect);
	json_field(sink(), "message", f->message);
}

/* "line 7: ", "crash at line 12: " or nothing (at the end). */
static void put_when(const struct cowfs_replay_finding *f)
{
	if (f->when == COWFS_REPLAY_AT_OP)
		fprintf(sink(), "line %" PRIu64 ": ", f->line);
	else if (f->when != COWFS_REPLAY_AT_END)
		fprintf(sink(), "%s at line %" PRIu64 ": ", when_names[f->when], f->line);
}

void print_finding(void *arg, const struct cowfs_replay_finding *f)
{
	const struct replay_print *a = arg;

	if (a->json) {
		fputs("{\"type\":\"finding\"", sink());
		json_finding(f);
		fputs("}\n", sink());
		return;
	}
	put_when(f);
	if (f->severity == COWFS_SEV_WARNING)
		fputs("warning: ", sink());
	if (f->kind == COWFS_REPLAY_PROBLEM)
		fprintf(sink(), "[0x%06" PRIx32 "] ", f->code);
	fprintf(sink(), "%s\n", f->message);
}

void print_event(void *arg, uint64_t line, const char *text)
{
	const struct replay_print *a = arg;

	if (a->json) {
		fputs("{\"type\":\"event\"", sink());
		json_u64(sink(), "line", line);
		json_field(sink(), "text", text);
		fputs("}\n", sink());
	} else {
		fprintf(sink(), "  %" PRIu64 ": %s\n", line, text);
	}
}

/* ---- the matrix: one line (or JSON object) per profile ---- */

/* Findings shown on a row; the rest are counted. */
#define ROW_SHOWN 8

/* What a finding is, in a word, for the row ("lost", "csum", "io-error", ...). */
static const char *row_label(const struct cowfs_replay_finding *f)
{
	switch (f->kind) {
	case COWFS_REPLAY_EXPECT:
		if (!f->expect)
			return "read";
		switch (f->expect->kind) {
		case COWFS_EXPECT_CSUM:
			return "csum";
		case COWFS_EXPECT_UNREADABLE:
			return "unreadable";
		case COWFS_EXPECT_SIZE:
			return "size";
		case COWFS_EXPECT_UNEXPECTED:
		case COWFS_EXPECT_TYPE:
			return "names";
		default:
			return "lost";
		}
	case COWFS_REPLAY_PROBLEM:
		return f->code >> 16 == 4 ? "csum" : "corrupt";	/* pass 4: data checksums */
	case COWFS_REPLAY_ENGINE:
		return cowfs_finding_name(f->engine);
	case COWFS_REPLAY_HOOK:
		return "hook";
	default:
		return "error";
	}
}

/* The engine's message without its "kind: " head, which the label says. */
static const char *row_message(const struct cowfs_replay_finding *f, const char *label)
{
	size_t n = strlen(label);

	if (f->kind == COWFS_REPLAY_ENGINE && !strncmp(f->message, label, n) &&
	    !strncmp(f->message + n, ": ", 2))
		return f->message + n + 2;
	return f->message;
}

/* Text: "lost: A; B; csum: C"; JSON: the findings array's members. */
static void row_finding(void *arg, const struct cowfs_replay_finding *f)
{
	struct replay_print *a = arg;
	struct replay_row *r = &a->row;
	const char *label = row_label(f);

	if (r->nomem)
		return;
	if (a->json) {
		fputs(r->shown++ ? ",{\"type\":\"finding\"" : "{\"type\":\"finding\"", sink());
		json_finding(f);
		fputc('}', sink());
		return;
	}
	if (r->shown == ROW_SHOWN) {
		r->more++;
		return;
	}
	if (!r->label || strcmp(r->label, label))
		fprintf(sink(), "%s%s: ", r->shown ? "; " : "", label);
	else
		fputs("; ", sink());
	r->label = label;
	r->shown++;
	put_when(f);
	if (f->severity == COWFS_SEV_WARNING)
		fputs("warning: ", sink());
	if (f->kind == COWFS_REPLAY_PROBLEM)
		fprintf(sink(), "[0x%06" PRIx32 "] ", f->code);
	fputs(row_message(f, label), sink());
}

static void row_begin(void *arg, const struct cowfs_profile *p)
{
	struct replay_print *a = arg;

	(void)p;
	a->row = (struct replay_row){ .buf = NULL };
	row_out = a->row.m = open_memstream(&a->row.buf, &a->row.size);
	if (!row_out)
		a->row.nomem = true;
}

static void row_json(const struct cowfs_profile *p, const struct cowfs_replay_stats *s,
		     const char *findings)
{
	fputs("{\"type\":\"profile\"", sink());
	json_field(sink(), "profile", p->name);
	json_field(sink(), "kernel", p->kernel);
	fputs(",\"switches\":{", sink());
	for (int i = 0; i < cowfs_replay_switch_count(); i++) {
		fprintf(sink(), "%s\"%s\":", i ? "," : "", cowfs_replay_switch_at(i)->name);
		json_string(sink(), cowfs_replay_switch_value(p, i));
	}
	fputc('}', sink());
	json_field(sink(), "verdict", s->errors ? "findings" : "clean");
	json_u64(sink(), "errors", s->errors);
	json_u64(sink(), "warnings", s->warnings);
	json_u64(sink(), "operations", s->ops);
	fprintf(sink(), ",\"stopped\":%s,\"findings\":[%s]}\n", s->stopped ? "true" : "false",
		findings);
}

static void row_end(void *arg, const struct cowfs_profile *p, int ret,
		    const struct cowfs_replay_stats *s)
{
	struct replay_print *a = arg;
	struct replay_row *r = &a->row;
	const char *text;

	if ((r->m && fclose(r->m)) || r->nomem)
		ret = a->err = -ENOMEM;
	row_out = NULL;
	text = r->buf ? r->buf : "";
	if (ret >= 0 && a->json) {
		row_json(p, s, text);
	} else if (ret >= 0) {	/* else no row: the caller names the error */
		printf("%-24s ", p->name);
		if (!s->errors)
			printf(s->warnings ? "clean (%s" : "clean", text);
		else
			fputs(text, stdout);
		if (r->more)
			printf("; and %" PRIu64 " more", r->more);
		puts(!s->errors && s->warnings ? ")" : "");
	}
	free(r->buf);
	*r = (struct replay_row){ .buf = NULL };
}

void print_matrix_ops(struct replay_print *p, struct cowfs_replay_matrix_ops *ops)
{
	*ops = (struct cowfs_replay_matrix_ops){
		.arg = p, .begin = row_begin, .finding = row_finding, .end = row_end,
	};
}
