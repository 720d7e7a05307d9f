/*
 * internal.h - what kdp/kdp.c (the fast path's loader and tables) and
 * kdp/events.c (the connection events) share; not part of the kdp/ API.
 */
#ifndef SYSPLEX_KDP_INTERNAL_H
#define SYSPLEX_KDP_INTERNAL_H

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* Silences libbpf's messages, keeping the first warning for the error text
 * (KDP_DEBUG=1: prints them all). */
void kdp_quiet(void);
/* Writes "<subject> unavailable: <what>: <errno text> (<libbpf's first
 * warning>)" into err and returns the negative errno. */
int kdp_vfail(char *err, size_t errlen, int e, const char *subject, const char *fmt, va_list ap);

/* A libbpf call's result: the negative errno on failure. */
static inline int
kdp_errno_neg(int r)
{
	return r < 0 ? (errno ? -errno : r) : r;
}

static inline uint64_t
kdp_ns_to_ms(uint64_t ns)
{
	return ns / 1000000ull;
}

#endif
