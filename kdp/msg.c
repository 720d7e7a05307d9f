/*
 * msg.c - libbpf's messages for kdp/ (kdp.c, events.c): silenced, the first
 * warning since the last kdp_quiet kept for the error texts; KDP_DEBUG=1 in
 * the environment prints them all to standard error.
 */
#include "kdp/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

static char libbpf_first[160];
static int libbpf_debug = -1;

static int
libbpf_print_cb(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (libbpf_debug < 0)
		libbpf_debug = getenv("KDP_DEBUG") != NULL;
	if (libbpf_debug)
		return vfprintf(stderr, fmt, ap);
	if (level == LIBBPF_WARN && !libbpf_first[0]) {
		char line[sizeof(libbpf_first)], *nl;

		vsnprintf(line, sizeof(line), fmt, ap);
		/* Not the cause: the memlock hint comes first whatever failed,
		 * and the verifier's log is too long for one line. */
		if (strstr(line, "RLIMIT_MEMLOCK") || strstr(line, "LOAD LOG"))
			return 0;
		if ((nl = strchr(line, '\n')))
			*nl = '\0';
		memcpy(libbpf_first, line, sizeof(line));
	}
	return 0;
}

/* Routes libbpf's messages to us; called by every entry point that may
 * make libbpf speak. */
void
kdp_quiet(void)
{
	libbpf_first[0] = '\0';
	libbpf_set_print(libbpf_print_cb);
}

/* Writes "<subject> unavailable: <what>: <errno text> (<libbpf's first
 * warning>)" into err and returns the negative errno. */
int
kdp_vfail(char *err, size_t errlen, int e, const char *subject, const char *fmt, va_list ap)
{
	char what[128];

	if (e > 0)
		e = -e;
	if (e == 0)
		e = -EINVAL;
	vsnprintf(what, sizeof(what), fmt, ap);
	if (err && errlen)
		snprintf(err, errlen, "%s unavailable: %s: %s%s%s", subject, what,
			 strerror(-e), libbpf_first[0] ? " (" : "",
			 libbpf_first[0] ? libbpf_first : "");
	if (err && errlen && libbpf_first[0])
		strncat(err, ")", errlen - strlen(err) - 1);
	return e;
}
