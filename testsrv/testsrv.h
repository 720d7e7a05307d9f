/*
 * testsrv.h - the test traffic of the emulated sysplex: the HTTP load
 * generator (load.c), a library that the launcher links for `sysplex load`
 * and, through it, the Lua API's load{}.  The sample server every target
 * runs, sysplex-httpd (httpd.c), is a program of its own with no interface
 * here; its contract is in docs/RUNTIME.md.
 *
 * The generator keeps downloads going against one server address and
 * classifies every connection when it ends:
 *   ok      the status line was 200 and Content-Length bytes of body arrived
 *   reset   ECONNRESET or EPIPE
 *   failed  refused, unreachable, connect or idle timeout, a short read (EOF
 *           before the whole body), or a status other than 200
 * Every connection sends "GET /bytes/N HTTP/1.1" (or "GET /" for N = 0) with
 * "Connection: close".  The server's X-Served-By header names the system
 * that answered; counts are kept per system ("?" when the connection failed
 * before the header).
 *
 * Output: one JSON object per line on stdout every report interval and a
 * last one with "final": true when it stops (count or duration reached,
 * SIGTERM/SIGINT/SIGHUP; SIGUSR1 stops new connections and ends when the
 * active ones have ended):
 *   {"t":1.2,"started":9,"ok":5,"failed":1,"reset":0,"active":3,"bytes":500000,
 *    "abandoned":0,"final":false,
 *    "by":{"SYSA":{"ok":2,"failed":0,"reset":0,"active":1}, ...},
 *    "why":{"idle-timeout":1},"events_dropped":0,
 *    "events":[{"target":"SYSB","why":"idle-timeout","start_ms":M,"end_ms":M,
 *               "port":41234}]}
 * Counts are cumulative; "events" lists the failed and reset connections
 * that ended since the previous line (start/end on CLOCK_MONOTONIC, ms);
 * "abandoned" counts connections still open at a stop.
 *
 * Concurrency: one libuv loop of its own (connections, a 10 ms tick for
 * pacing, timeouts and new connections, signals); nothing else runs in the
 * calling process while it does.
 */
#ifndef TESTSRV_TESTSRV_H
#define TESTSRV_TESTSRV_H

#include <netinet/in.h>

#define TESTSRV_LOAD_MAX_CONN 4096

struct testsrv_load_opts {
	int conns;			/* --connections: kept open (4) */
	double rate;			/* --rate: new connections/s, 0 = as slots free up */
	long long bytes;		/* --bytes: GET /bytes/N (100000); 0 = GET / */
	int count;			/* --count: stop after N ended, 0 = no limit */
	double duration;		/* --duration: seconds, 0 = no limit */
	double pace;			/* --pace: read bytes/s per connection, 0 = no limit */
	unsigned port;			/* --port: 0 = not given (the caller decides) */
	double connect_to, idle_to;	/* --connect-timeout, --idle-timeout: s (5, 5) */
	unsigned report_ms;		/* --report-ms: report interval (200) */
};

/* The defaults above. */
void testsrv_load_defaults(struct testsrv_load_opts *o);
/* Sets the option called name ("--connections", "--rate", "--bytes",
 * "--count", "--duration", "--pace", "--port", "--connect-timeout",
 * "--idle-timeout", "--report-ms") from its value.  Returns 0, or -1 when
 * the name is unknown or the value is not a number in the option's range. */
int testsrv_load_option(struct testsrv_load_opts *o, const char *name, const char *value);
/* Runs the generator against [addr]:o->port in the calling process's network
 * namespace until it stops (see above), reporting on stdout.  SIGPIPE is
 * ignored from then on.  Returns 0 once the final report is written, or
 * -errno when it could not start (nothing was written then). */
int testsrv_load_run(const struct testsrv_load_opts *o, const struct in6_addr *addr);

#endif
