/* The expectation model: building it, reading it back, writing it as text. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check/expect.h"
#include "cowfs/error.h"

const struct cowfs_expect_cand expect_zeros = { .kind = COWFS_CAND_ZEROS };

static int path_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	if (c)
		return c;
	return alen < blen ? -1 : alen > blen;
}

struct path_key {
	const char *path;
	size_t len;
};

static int entry_cmp_key(const void *key, const struct rb_node *n)
{
	const struct path_key *k = key;
	const struct cowfs_expect_entry *ent = rb_entry(n, struct cowfs_expect_entry, node);

	return path_cmp(k->path, k->len, ent->path, ent->path_len);
}

static int entry_cmp(const struct rb_node *a, const struct rb_node *b)
{
	const struct cowfs_expect_entry *x = rb_entry(a, struct cowfs_expect_entry, node);
	struct path_key k = { x->path, x->path_len };

	return entry_cmp_key(&k, b);
}

int cowfs_expect_new(cowfs_expect **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

static void range_release(struct cowfs_expect_range *r)
{
	for (size_t i = 0; i < r->nr_cands; i++)
		cowfs_data_put(&r->cands[i].data);
	free((void *)r->cands);
}

static void entry_free(struct cowfs_expect_entry *ent)
{
	for (size_t i = 0; i < ent->nr_ranges; i++)
		range_release(&ent->ranges[i]);
	free(ent->ranges);
	free(ent->sizes);
	free(ent->spans);
	free(ent->path);
	free(ent);
}

void cowfs_expect_free(cowfs_expect *e)
{
	struct rb_node *n;

	if (!e)
		return;
	while ((n = e->paths.rb_node)) {
		rb_erase(n, &e->paths);
		entry_free(rb_entry(n, struct cowfs_expect_entry, node));
	}
	free(e);
}

/* Trace path rules: absolute, components 1..255 bytes, no "." or "..", no NUL. */
static bool path_valid(const char *p, size_t len)
{
	size_t start = 1;

	if (!len || p[0] != '/')
		return false;
	if (len == 1)
		return true;
	for (size_t i = 1; i <= len; i++) {
		if (i < len && p[i] == '\0')
			return false;
		if (i < len && p[i] != '/')
			continue;
		if (i == start || i - start > 255)
			return false;
		if (p[start] == '.' && (i - start == 1 || (i - start == 2 && p[start + 1] == '.')))
			return false;
		start = i + 1;
	}
	return true;
}

int cowfs_expect_add(cowfs_expect *e, const char *path, size_t len, enum cowfs_expect_type type,
		     enum cowfs_expect_presence presence, cowfs_expect_entry **out)
{
	struct cowfs_expect_entry *ent;

	if (!path_valid(path, len) || (unsigned)type > COWFS_EXPECT_FILE ||
	    (unsigned)presence > COWFS_EXPECT_MUST_NOT)
		return -EINVAL;
	ent = calloc(1, sizeof(*ent));
	if (!ent || !(ent->path = malloc(len + 1))) {
		free(ent);
		return -ENOMEM;
	}
	memcpy(ent->path, path, len);
	ent->path[len] = '\0';
	ent->path_len = len;
	ent->type = type;
	ent->presence = presence;
	ent->index = e->count;
	if (rb_find_add(&ent->node, &e->paths, entry_cmp)) {
		entry_free(ent);
		return -EEXIST;
	}
	e->count++;
	if (out)
		*out = ent;
	return 0;
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
	size_t n = *cap ? *cap : 4;
	void *q;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	q = reallocarray(*p, n, elem);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = n;
	return 0;
}

int cowfs_expect_add_size(cowfs_expect_entry *ent, uint64_t size)
{
	size_t i = 0;

	if (expect_in_span(ent, size))
		return 0;
	while (i < ent->nr_sizes && ent->sizes[i] < size)
		i++;
	if (i < ent->nr_sizes && ent->sizes[i] == size)
		return 0;
	if (grow((void **)&ent->sizes, &ent->sizes_cap, ent->nr_sizes + 1, sizeof(uint64_t)))
		return -ENOMEM;
	memmove(ent->sizes + i + 1, ent->sizes + i, (ent->nr_sizes - i) * sizeof(uint64_t));
	ent->sizes[i] = size;
	ent->nr_sizes++;
	return 0;
}

int cowfs_expect_add_size_span(cowfs_expect_entry *ent, uint64_t lo, uint64_t hi)
{
	size_t i = 0, j;

	if (lo > hi)
		return -EINVAL;
	if (lo == hi)
		return cowfs_expect_add_size(ent, lo);
	/* spans [i, j) touch [lo, hi]: they merge into one */
	while (i < ent->nr_spans && ent->spans[i].hi + 1 < lo)
		i++;
	for (j = i; j < ent->nr_spans && ent->spans[j].lo <= hi + 1 && hi + 1 != 0; j++) {
		lo = ent->spans[j].lo < lo ? ent->spans[j].lo : lo;
		hi = ent->spans[j].hi > hi ? ent->spans[j].hi : hi;
	}
	if (j == i) {
		if (grow((void **)&ent->spans, &ent->spans_cap, ent->nr_spans + 1, sizeof(*ent->spans)))
			return -ENOMEM;
		memmove(ent->spans + i + 1, ent->spans + i, (ent->nr_spans - i) * sizeof(*ent->spans));
		ent->nr_spans++;
	} else {
		memmove(ent->spans + i + 1, ent->spans + j, (ent->nr_spans - j) * sizeof(*ent->spans));
		ent->nr_spans -= j - i - 1;
	}
	ent->spans[i] = (struct cowfs_size_span){ lo, hi };
	/* exact sizes inside the run say nothing more */
	for (i = j = 0; i < ent->nr_sizes; i++)
		if (ent->sizes[i] < lo || ent->sizes[i] > hi)
			ent->sizes[j++] = ent->sizes[i];
	ent->nr_sizes = j;
	return 0;
}

static bool cand_covers(const struct cowfs_expect_cand *c, uint64_t start, uint64_t end)
{
	const struct cowfs_data_spec *s = &c->data;

	if (c->kind != COWFS_CAND_DATA)
		return (unsigned)c->kind <= COWFS_CAND_ANY;
	if ((unsigned)s->kind > COWFS_DATA_HEX)
		return false;
	if (s->kind != COWFS_DATA_HEX)
		return true;
	return start >= s->hex_off && start - s->hex_off <= s->hex_len &&
	       end - start <= s->hex_len - (start - s->hex_off);
}

int cowfs_expect_add_range(cowfs_expect_entry *ent, uint64_t start, uint64_t end,
			   const struct cowfs_expect_cand *cands, size_t n)
{
	struct cowfs_expect_range *r;
	struct cowfs_expect_cand *copy;

	if (start >= end || !n || ent->type != COWFS_EXPECT_FILE ||
	    (ent->nr_ranges && ent->ranges[ent->nr_ranges - 1].end > start))
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!cand_covers(&cands[i], start, end))
			return -EINVAL;
	if (grow((void **)&ent->ranges, &ent->ranges_cap, ent->nr_ranges + 1, sizeof(*r)))
		return -ENOMEM;
	copy = calloc(n, sizeof(*copy));
	if (!copy)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		copy[i] = cands[i];
		if (copy[i].kind != COWFS_CAND_DATA)
			copy[i] = (struct cowfs_expect_cand){ .kind = cands[i].kind };
		else
			cowfs_data_hold(&copy[i].data);
	}
	r = &ent->ranges[ent->nr_ranges++];
	*r = (struct cowfs_expect_range){ .start = start, .end = end, .cands = copy, .nr_cands = n };
	return 0;
}

size_t cowfs_expect_count(const cowfs_expect *e)
{
	return e->count;
}

const cowfs_expect_entry *cowfs_expect_first(const cowfs_expect *e)
{
	return rb_entry_safe(rb_first(&e->paths), struct cowfs_expect_entry, node);
}

const cowfs_expect_entry *cowfs_expect_next(const cowfs_expect_entry *ent)
{
	return rb_entry_safe(rb_next(&ent->node), struct cowfs_expect_entry, node);
}

const cowfs_expect_entry *cowfs_expect_find(const cowfs_expect *e, const char *path, size_t len)
{
	struct path_key k = { path, len };

	return rb_entry_safe(rb_find(&k, &e->paths, entry_cmp_key), struct cowfs_expect_entry, node);
}

void cowfs_expect_get(const cowfs_expect_entry *ent, struct cowfs_expect_info *info)
{
	*info = (struct cowfs_expect_info){
		.path = ent->path, .path_len = ent->path_len,
		.type = ent->type, .presence = ent->presence,
		.sizes = ent->sizes, .nr_sizes = ent->nr_sizes,
		.spans = ent->spans, .nr_spans = ent->nr_spans,
		.ranges = ent->ranges, .nr_ranges = ent->nr_ranges,
	};
}

uint64_t expect_max_size(const struct cowfs_expect_entry *ent)
{
	uint64_t max = ent->nr_sizes ? ent->sizes[ent->nr_sizes - 1] : 0;

	if (ent->nr_spans && ent->spans[ent->nr_spans - 1].hi > max)
		max = ent->spans[ent->nr_spans - 1].hi;
	return max;
}

bool expect_in_span(const struct cowfs_expect_entry *ent, uint64_t size)
{
	size_t lo = 0, hi = ent->nr_spans;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ent->spans[mid].hi < size)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < ent->nr_spans && ent->spans[lo].lo <= size;
}

bool expect_has_size(const struct cowfs_expect_entry *ent, uint64_t size)
{
	size_t lo = 0, hi = ent->nr_sizes;

	if (expect_in_span(ent, size))
		return true;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ent->sizes[mid] == size)
			return true;
		if (ent->sizes[mid] < size)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

size_t expect_range_at(const struct cowfs_expect_entry *ent, uint64_t off)
{
	size_t lo = 0, hi = ent->nr_ranges;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ent->ranges[mid].end <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

bool cowfs_expect_cand_equal(const struct cowfs_expect_cand *a, const struct cowfs_expect_cand *b)
{
	if (a->kind != COWFS_CAND_DATA || b->kind != COWFS_CAND_DATA)
		return a->kind == b->kind;
	if (a->line != b->line || a->data.kind != b->data.kind)
		return false;
	switch (a->data.kind) {
	case COWFS_DATA_FILL:
		return a->data.fill == b->data.fill;
	case COWFS_DATA_RAND:
		return a->data.seed == b->data.seed;
	case COWFS_DATA_HEX:
		return a->data.hex == b->data.hex && a->data.hex_off == b->data.hex_off;
	default:
		return true;
	}
}

/* ---- writing ---- */

static const char *const presence_word[] = { "must", "may", "must-not" };

static int write_cand(FILE *f, const struct cowfs_expect_cand *c,
		      const struct cowfs_expect_range *r)
{
	if (c->kind != COWFS_CAND_DATA) {
		fputs(c->kind == COWFS_CAND_ZEROS ? " zeros" : " any", f);
		return 0;
	}
	fprintf(f, " %llu:", (unsigned long long)c->line);
	return cowfs_data_spec_format(f, &c->data, r->start, r->end - r->start);
}

static int write_entry(FILE *f, const struct cowfs_expect_entry *ent)
{
	int r;

	fputs(ent->type == COWFS_EXPECT_DIR ? "dir " : "file ", f);
	if ((r = cowfs_text_path_format(f, ent->path, ent->path_len)) < 0)
		return r;
	if (ent->presence != COWFS_EXPECT_MUST)
		fprintf(f, " %s", presence_word[ent->presence]);
	for (size_t i = 0; i < ent->nr_sizes; i++)
		fprintf(f, "%s%llu", i ? "," : " size=", (unsigned long long)ent->sizes[i]);
	for (size_t i = 0; i < ent->nr_spans; i++)
		fprintf(f, "%s%llu-%llu", i || ent->nr_sizes ? "," : " size=",
			(unsigned long long)ent->spans[i].lo, (unsigned long long)ent->spans[i].hi);
	fputc('\n', f);
	for (size_t i = 0; i < ent->nr_ranges; i++) {
		const struct cowfs_expect_range *rg = &ent->ranges[i];

		fprintf(f, "range %llu %llu", (unsigned long long)rg->start,
			(unsigned long long)(rg->end - rg->start));
		for (size_t j = 0; j < rg->nr_cands; j++)
			if ((r = write_cand(f, &rg->cands[j], rg)) < 0)
				return r;
		fputc('\n', f);
	}
	return 0;
}

int cowfs_expect_write(FILE *f, const cowfs_expect *e)
{
	int r;

	fputs("cowexpect 1\n", f);
	for (const cowfs_expect_entry *ent = cowfs_expect_first(e); ent;
	     ent = cowfs_expect_next(ent))
		if ((r = write_entry(f, ent)) < 0)
			return r;
	return ferror(f) ? -EIO : 0;
}
