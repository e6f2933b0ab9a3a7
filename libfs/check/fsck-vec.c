/* Growable arrays and a set of block addresses: the checker's only containers. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check/fsck.h"

int vec_grow(void *pptr, size_t *cap, size_t elem)
{
	size_t ncap = *cap ? *cap * 2 : 64;
	void *old, *p;

	if (ncap < *cap || ncap > SIZE_MAX / elem)
		return -ENOMEM;
	memcpy(&old, pptr, sizeof(old));
	p = realloc(old, ncap * elem);
	if (!p)
		return -ENOMEM;
	memcpy(pptr, &p, sizeof(p));
	*cap = ncap;
	return 0;
}

static size_t u64_hash(uint64_t v, size_t mask)
{
	v ^= v >> 33;
	v *= 0xff51afd7ed558ccdull;
	v ^= v >> 33;
	return (size_t)v & mask;
}

static void u64set_insert(uint64_t *slots, size_t cap, uint64_t v)
{
	size_t i = u64_hash(v, cap - 1);

	while (slots[i])
		i = (i + 1) & (cap - 1);
	slots[i] = v;
}

/* Keep the load at most one half, so probes stay short. */
static int u64set_resize(struct u64set *s)
{
	size_t ncap = s->cap ? s->cap * 2 : 1024;
	uint64_t *slots;

	if (ncap < s->cap || ncap > SIZE_MAX / sizeof(*slots))
		return -ENOMEM;
	slots = calloc(ncap, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < s->cap; i++)
		if (s->slots[i])
			u64set_insert(slots, ncap, s->slots[i]);
	free(s->slots);
	s->slots = slots;
	s->cap = ncap;
	return 0;
}

int u64set_add(struct u64set *s, uint64_t v)
{
	size_t i;

	if (v == 0)
		return -EINVAL;
	if ((s->n + 1) * 2 > s->cap && u64set_resize(s) < 0)
		return -ENOMEM;
	for (i = u64_hash(v, s->cap - 1); s->slots[i]; i = (i + 1) & (s->cap - 1))
		if (s->slots[i] == v)
			return 0;
	s->slots[i] = v;
	s->n++;
	return 1;
}

void u64set_free(struct u64set *s)
{
	free(s->slots);
	memset(s, 0, sizeof(*s));
}
