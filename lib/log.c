/*
 * log.c - logging to stderr and drop-reason verdict counters.
 * Each line: "YYYY-MM-DDTHH:MM:SS.mmm PROG LEVEL message".
 */
#include "lib/lib.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *log_prog = "sysplex";
static enum lib_log_level log_min = LIB_LOG_INFO;

void
lib_log_init(const char *progname, enum lib_log_level min_level)
{
	log_prog = progname;
	log_min = min_level;
}

static void
log_vemit(enum lib_log_level lvl, const char *fmt, va_list ap, const char *suffix)
{
	static const char *names[] = {"DEBUG", "INFO", "WARN", "ERROR"};
	char msg[2048];
	struct timespec ts;
	struct tm tm;
	char tbuf[32];

	if (lvl < log_min)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(tbuf, sizeof(tbuf), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(stderr, "%s.%03ld %s %s %s%s%s\n", tbuf, ts.tv_nsec / 1000000, log_prog,
		names[lvl], msg, suffix ? ": " : "", suffix ? suffix : "");
	fflush(stderr);
}

void
lib_log(enum lib_log_level lvl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vemit(lvl, fmt, ap, NULL);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;
	int e = errno;

	va_start(ap, fmt);
	log_vemit(LIB_LOG_WARN, fmt, ap, strerror(e));
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;
	int e = errno;

	va_start(ap, fmt);
	log_vemit(LIB_LOG_ERR, fmt, ap, strerror(e));
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vemit(LIB_LOG_ERR, fmt, ap, NULL);
	va_end(ap);
	exit(1);
}

void
lib_verdict(struct lib_verdicts *vs, const char *reason)
{
	int i;

	for (i = 0; i < vs->n; i++) {
		if (vs->v[i].reason == reason || strcmp(vs->v[i].reason, reason) == 0) {
			vs->v[i].count++;
			return;
		}
	}
	if (vs->n < LIB_VERDICT_MAX) {
		vs->v[vs->n].reason = reason;
		vs->v[vs->n].count = 1;
		vs->n++;
	}
	/* First occurrence of this reason: log it once; later ones are counted. */
	lib_log(LIB_LOG_WARN, "%s: dropped: %s (further drops for this reason are only counted)",
		vs->what ? vs->what : "input", reason);
}

uint64_t
lib_verdict_count(const struct lib_verdicts *vs, const char *reason)
{
	int i;

	for (i = 0; i < vs->n; i++)
		if (strcmp(vs->v[i].reason, reason) == 0)
			return vs->v[i].count;
	return 0;
}

uint64_t
lib_verdict_total(const struct lib_verdicts *vs)
{
	uint64_t t = 0;
	int i;

	for (i = 0; i < vs->n; i++)
		t += vs->v[i].count;
	return t;
}
