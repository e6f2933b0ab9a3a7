/* The event log, findings and schedule points. */
#include <stdarg.h>
#include <stdio.h>

#include "engine/fs-info.h"

/* Long enough for any message the engine writes; longer ones are cut. */
#define MSG_MAX 512

uint64_t eng_line(const struct cowfs_engine *eng)
{
	return eng->current ? eng->current->line : 0;
}

void eng_event(struct cowfs_engine *eng, const char *fmt, ...)
{
	char buf[MSG_MAX];
	va_list ap;

	if (!eng_verbose(eng))
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	eng->ops.event(eng->ops.arg, eng_line(eng), buf);
}

void eng_finding(struct cowfs_engine *eng, enum cowfs_finding kind, const char *fmt, ...)
{
	char buf[MSG_MAX];
	va_list ap;

	/* after a power cut every later failure is the cut itself */
	if (eng->halted)
		return;
	eng->stats.findings++;
	if (kind == COWFS_FINDING_CSUM)
		eng->stats.csum_errors++;
	if (!eng->ops.finding)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	eng->ops.finding(eng->ops.arg, eng_line(eng), kind, buf);
}

void eng_point(struct cowfs_engine *eng, enum cowfs_point point, const char *fmt, ...)
{
	struct task *t = eng->current;
	char where[MSG_MAX];
	int old;
	va_list ap;

	if (eng->halted || !eng->ops.point || !t)
		return;
	va_start(ap, fmt);
	vsnprintf(where, sizeof(where), fmt, ap);
	va_end(ap);
	eng_event(eng, "point %s: %s", cowfs_point_name(point), where);
	old = t->paused_at;
	t->paused_at = (int)point;
	eng->ops.point(eng->ops.arg, point, t->line, where);
	t->paused_at = old;
}

const char *cowfs_finding_name(enum cowfs_finding kind)
{
	switch (kind) {
	case COWFS_FINDING_INVARIANT:
		return "invariant";
	case COWFS_FINDING_DEADLOCK:
		return "deadlock";
	case COWFS_FINDING_CSUM:
		return "csum";
	case COWFS_FINDING_IOERR:
		return "io-error";
	case COWFS_FINDING_STALL:
		return "stall";
	}
	return "unknown";
}
