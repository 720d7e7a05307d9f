/*
 * load.c - `sysplex load CLIENT [options]`: an HTTP load generator that runs
 * inside a host's network namespace (setns) and keeps downloads going
 * against the DVIPA, classifying every connection when it ends.  The Lua
 * API's load{} runs it as a child process and reads its reports.
 *
 *   --connections N   concurrent connections kept open (default 4)
 *   --rate R          at most R new connections per second (default 0: as
 *                     fast as slots free up)
 *   --bytes N         each connection does GET /bytes/N (default 100000;
 *                     0 means GET /, the server's name)
 *   --count N         stop after N connections have ended (default 0: no limit)
 *   --duration S      stop after S seconds (default 0: no limit)
 *   --pace BPS        read at most BPS bytes/s per connection (default 0: no
 *                     limit), so that connections stay open for a while
 *   --dvipa A --port P  the server (default: the topology's first sample
 *                     server address and port, i.e. the DVIPA)
 *   --connect-timeout S (default 5) --idle-timeout S (default 5)
 *   --report-ms MS    report interval (default 200)
 *
 * Every connection sends "GET /bytes/N HTTP/1.1" with "Connection: close"
 * and ends as one of:
 *   ok      the status line was 200 and Content-Length bytes of body arrived
 *   reset   ECONNRESET or EPIPE
 *   failed  refused, unreachable, connect or idle timeout, a short read (EOF
 *           before the whole body), or a status other than 200
 * The server's X-Served-By header names the system that answered; counts
 * are kept per system ("?" when the connection failed before the header).
 *
 * Output: one JSON object per line on stdout every report interval and a
 * last one with "final": true when it stops (count or duration reached,
 * SIGTERM/SIGINT; SIGUSR1 stops new connections and ends when the active
 * ones have ended):
 *   {"t":1.2,"started":9,"ok":5,"failed":1,"reset":0,"active":3,"bytes":500000,
 *    "abandoned":0,"final":false,
 *    "by":{"SYSA":{"ok":2,"failed":0,"reset":0,"active":1}, ...},
 *    "why":{"idle-timeout":1},
 *    "events":[{"target":"SYSB","why":"idle-timeout","start_ms":M,"end_ms":M,
 *               "port":41234}]}
 * Counts are cumulative; "events" lists the failed and reset connections
 * that ended since the previous line (start/end on CLOCK_MONOTONIC, ms);
 * "abandoned" counts connections still open at a stop.  The generator dies
 * with its parent (PR_SET_PDEATHSIG).
 */
#include "sysplex/sysplex.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#define LOAD_MAX_CONN 4096
#define LOAD_MAX_TARGETS 32
#define LOAD_MAX_EVENTS 256	/* per report line */
#define LOAD_HDR_MAX 4096

enum cstate { C_FREE, C_CONNECTING, C_SENDING, C_HEADERS, C_BODY };

struct conn {
	enum cstate st;
	int fd;
	uint64_t t_start, t_last;
	uint16_t lport;
	size_t sent;
	char hdr[LOAD_HDR_MAX + 1];
	size_t hlen;
	long long clen, got;
	int target;			/* index into targets, -1 unknown */
	double budget;			/* pace: bytes it may read now */
	int paused;
};

struct counts {
	unsigned long long ok, failed, reset, active;
};

struct load {
	struct sockaddr_in6 dst;
	char dtext[INET6_ADDRSTRLEN];
	unsigned port;
	int conns, count;
	double rate, pace, duration, connect_to, idle_to;
	long long bytes;
	unsigned report_ms;
	char req[256];
	size_t reqlen;

	int ep;
	struct conn *c;
	uint64_t t0;
	double tokens;
	unsigned long long started, ended, bytes_in, abandoned;
	struct counts tot;
	int ntargets;
	char tname[LOAD_MAX_TARGETS][16];
	struct counts by[LOAD_MAX_TARGETS + 1];	/* last: unknown ("?") */
	int nwhy;
	char why[32][24];
	unsigned long long whyc[32];
	int nev;
	unsigned long long ev_dropped;
	struct {
		int target;
		const char *why;
		uint64_t start, end;
		uint16_t port;
	} ev[LOAD_MAX_EVENTS];
	int stopping, draining;
};

static void
load_usage(FILE *f)
{
	fprintf(f, "usage: sysplex [--instance NAME] load HOST [--connections N] [--rate R] "
		   "[--bytes N]\n"
		   "         [--count N] [--duration S] [--pace BPS] [--dvipa ADDR] [--port P]\n"
		   "         [--connect-timeout S] [--idle-timeout S] [--report-ms MS]\n"
		   "Keeps N concurrent HTTP downloads going from HOST against the DVIPA and prints\n"
		   "cumulative counts (ok, failed, reset, active, per target) as one JSON object\n"
		   "per line; see the header of sysplex/load.c or docs/LUA.md.\n");
}

static struct counts *
by_target(struct load *l, int t)
{
	return &l->by[t < 0 ? LOAD_MAX_TARGETS : t];
}

static void
count_why(struct load *l, const char *why)
{
	int i;

	for (i = 0; i < l->nwhy; i++)
		if (strcmp(l->why[i], why) == 0) {
			l->whyc[i]++;
			return;
		}
	if (l->nwhy < (int)LIB_ARRAY_LEN(l->why)) {
		lib_strlcpy(l->why[l->nwhy], why, sizeof(l->why[0]));
		l->whyc[l->nwhy++] = 1;
	}
}

/* kind: 0 ok, 1 failed, 2 reset. */
static void
finish(struct load *l, struct conn *c, int kind, const char *why)
{
	struct counts *b = by_target(l, c->target);

	if (c->st == C_FREE)
		return;
	epoll_ctl(l->ep, EPOLL_CTL_DEL, c->fd, NULL);
	if (kind != 0) {
		/* Do not leave a half-open connection on the server. */
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };

		setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	}
	close(c->fd);
	c->fd = -1;
	c->st = C_FREE;
	l->tot.active--;
	b->active--;
	l->ended++;
	if (kind == 0) {
		l->tot.ok++;
		b->ok++;
		return;
	}
	if (kind == 1) {
		l->tot.failed++;
		b->failed++;
	} else {
		l->tot.reset++;
		b->reset++;
	}
	count_why(l, why);
	if (l->nev < LOAD_MAX_EVENTS) {
		l->ev[l->nev].target = c->target;
		l->ev[l->nev].why = why;
		l->ev[l->nev].start = c->t_start;
		l->ev[l->nev].end = lib_now_ms();
		l->ev[l->nev].port = c->lport;
		l->nev++;
	} else {
		l->ev_dropped++;
	}
}

static void
finish_errno(struct load *l, struct conn *c, int e, int connecting)
{
	switch (e) {
	case ECONNRESET:
	case EPIPE:
		finish(l, c, 2, "reset");
		break;
	case ECONNREFUSED:
		finish(l, c, 1, "refused");
		break;
	case ETIMEDOUT:
		finish(l, c, 1, connecting ? "connect-timeout" : "timeout");
		break;
	case EHOSTUNREACH:
	case ENETUNREACH:
	case EADDRNOTAVAIL:
		finish(l, c, 1, "unreachable");
		break;
	default:
		finish(l, c, 1, "error");
		break;
	}
}

static int
set_events(struct load *l, struct conn *c, uint32_t ev)
{
	struct epoll_event e = { .events = ev, .data.ptr = c };

	return epoll_ctl(l->ep, EPOLL_CTL_MOD, c->fd, &e);
}

static void
start_one(struct load *l)
{
	struct epoll_event e = { .events = EPOLLOUT };
	struct conn *c = NULL;
	int i, fd;

	for (i = 0; i < l->conns; i++)
		if (l->c[i].st == C_FREE) {
			c = &l->c[i];
			break;
		}
	if (!c)
		return;
	memset(c, 0, sizeof(*c));
	c->target = -1;
	c->t_start = c->t_last = lib_now_ms();
	l->started++;
	l->tot.active++;
	by_target(l, -1)->active++;
	fd = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	c->fd = fd;
	c->st = C_CONNECTING;
	if (fd < 0) {
		c->fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		finish(l, c, 1, "socket");
		return;
	}
	e.data.ptr = c;
	if (epoll_ctl(l->ep, EPOLL_CTL_ADD, fd, &e) < 0) {
		finish(l, c, 1, "epoll");
		return;
	}
	if (connect(fd, (struct sockaddr *)&l->dst, sizeof(l->dst)) < 0 && errno != EINPROGRESS)
		finish_errno(l, c, errno, 1);
}

/* Moves the connection's count from "?" to its target once known. */
static void
set_target(struct load *l, struct conn *c, const char *name, size_t len)
{
	int i;

	if (len >= sizeof(l->tname[0]))
		len = sizeof(l->tname[0]) - 1;
	for (i = 0; i < l->ntargets; i++)
		if (strlen(l->tname[i]) == len && memcmp(l->tname[i], name, len) == 0)
			break;
	if (i == l->ntargets) {
		if (l->ntargets == LOAD_MAX_TARGETS)
			return;
		memcpy(l->tname[i], name, len);
		l->tname[i][len] = '\0';
		l->ntargets++;
	}
	by_target(l, -1)->active--;
	c->target = i;
	by_target(l, i)->active++;
}

/* Parses the response header in c->hdr (complete, hlen bytes up to and
 * including the blank line); -1 when it is not a 200 with a length. */
static int
parse_header(struct load *l, struct conn *c, const char **why)
{
	char *p = c->hdr, *e;
	int status;

	c->clen = -1;
	if (strncmp(p, "HTTP/1.", 7) != 0 || strlen(p) < 12) {
		*why = "bad-response";
		return -1;
	}
	status = atoi(p + 9);
	for (p = strstr(p, "\r\n"); p && p[2] != '\r'; p = e) {
		char *line = p + 2;

		e = strstr(line, "\r\n");
		if (!e)
			break;
		if (strncasecmp(line, "Content-Length:", 15) == 0)
			c->clen = strtoll(line + 15, NULL, 10);
		else if (strncasecmp(line, "X-Served-By:", 12) == 0) {
			char *v = line + 12;

			while (*v == ' ')
				v++;
			if (e > v)
				set_target(l, c, v, (size_t)(e - v));
		}
	}
	if (status != 200) {
		*why = "http-status";
		return -1;
	}
	if (c->clen < 0) {
		*why = "no-length";
		return -1;
	}
	return 0;
}

static void
on_readable(struct load *l, struct conn *c)
{
	char buf[65536];
	int rounds = 0;

	for (;;) {
		size_t want = sizeof(buf);
		ssize_t n;

		if (c->st == C_HEADERS)
			want = LOAD_HDR_MAX - c->hlen;
		else if (l->pace > 0) {
			if (c->budget < 1) {
				c->paused = 1;
				set_events(l, c, 0);
				return;
			}
			if (want > (size_t)c->budget)
				want = (size_t)c->budget;
		}
		if (c->st == C_BODY && c->clen - c->got < (long long)want)
			want = (size_t)(c->clen - c->got) + 1;	/* +1: see EOF or excess */
		if (want == 0)
			want = 1;
		n = recv(c->fd, c->st == C_HEADERS ? c->hdr + c->hlen : buf, want, 0);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (errno == EINTR)
				continue;
			finish_errno(l, c, errno, 0);
			return;
		}
		if (n == 0) {
			finish(l, c, 1, c->st == C_HEADERS ? "no-response" : "short-read");
			return;
		}
		c->t_last = lib_now_ms();
		l->bytes_in += (unsigned long long)n;
		if (c->st == C_HEADERS) {
			char *end;
			const char *why = NULL;

			c->hlen += (size_t)n;
			c->hdr[c->hlen] = '\0';
			end = strstr(c->hdr, "\r\n\r\n");
			if (!end) {
				if (c->hlen >= LOAD_HDR_MAX) {
					finish(l, c, 1, "bad-response");
					return;
				}
				continue;
			}
			if (parse_header(l, c, &why) < 0) {
				finish(l, c, 1, why);
				return;
			}
			c->got = (long long)(c->hlen - (size_t)(end + 4 - c->hdr));
			c->st = C_BODY;
		} else {
			c->got += n;
			if (l->pace > 0)
				c->budget -= (double)n;
		}
		if (c->got >= c->clen) {
			finish(l, c, 0, NULL);
			return;
		}
		if (++rounds >= 16)
			return;	/* fairness: level-triggered, we come back */
	}
}

static void
on_writable(struct load *l, struct conn *c)
{
	if (c->st == C_CONNECTING) {
		struct sockaddr_in6 me;
		socklen_t sl = sizeof(me);
		int err = 0;
		socklen_t el = sizeof(err);

		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0)
			err = errno;
		if (err) {
			finish_errno(l, c, err, 1);
			return;
		}
		if (getsockname(c->fd, (struct sockaddr *)&me, &sl) == 0)
			c->lport = ntohs(me.sin6_port);
		c->st = C_SENDING;
		c->t_last = lib_now_ms();
	}
	while (c->sent < l->reqlen) {
		ssize_t n = send(c->fd, l->req + c->sent, l->reqlen - c->sent, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EAGAIN)
				return;
			if (errno == EINTR)
				continue;
			finish_errno(l, c, errno, 0);
			return;
		}
		c->sent += (size_t)n;
	}
	c->st = C_HEADERS;
	c->budget = l->pace > 0 ? l->pace / 10 : 0;
	set_events(l, c, EPOLLIN);
}

static void
report(struct load *l, int final)
{
	struct lib_sbuf o = { 0 };
	int i;

	lib_sbuf_printf(&o, "{\"t\":%.3f,\"started\":%llu,\"ok\":%llu,\"failed\":%llu,"
			    "\"reset\":%llu,\"active\":%llu,\"bytes\":%llu,\"abandoned\":%llu,"
			    "\"final\":%s,\"by\":{",
			(double)(lib_now_ms() - l->t0) / 1000.0, l->started, l->tot.ok, l->tot.failed,
			l->tot.reset, l->tot.active, l->bytes_in, l->abandoned,
			final ? "true" : "false");
	for (i = 0; i <= l->ntargets; i++) {
		const struct counts *b = i < l->ntargets ? &l->by[i] : &l->by[LOAD_MAX_TARGETS];

		if (i == l->ntargets && !b->ok && !b->failed && !b->reset && !b->active)
			break;
		lib_sbuf_printf(&o, "%s", i ? "," : "");
		lib_sbuf_json_str(&o, i < l->ntargets ? l->tname[i] : "?");
		lib_sbuf_printf(&o, ":{\"ok\":%llu,\"failed\":%llu,\"reset\":%llu,\"active\":%llu}",
				b->ok, b->failed, b->reset, b->active);
	}
	lib_sbuf_printf(&o, "},\"why\":{");
	for (i = 0; i < l->nwhy; i++) {
		lib_sbuf_printf(&o, "%s", i ? "," : "");
		lib_sbuf_json_str(&o, l->why[i]);
		lib_sbuf_printf(&o, ":%llu", l->whyc[i]);
	}
	lib_sbuf_printf(&o, "},\"events_dropped\":%llu,\"events\":[", l->ev_dropped);
	for (i = 0; i < l->nev; i++) {
		lib_sbuf_printf(&o, "%s{\"target\":", i ? "," : "");
		lib_sbuf_json_str(&o, l->ev[i].target >= 0 ? l->tname[l->ev[i].target] : "?");
		lib_sbuf_printf(&o, ",\"why\":\"%s\",\"start_ms\":%llu,\"end_ms\":%llu,\"port\":%u}",
				l->ev[i].why, (unsigned long long)l->ev[i].start,
				(unsigned long long)l->ev[i].end, l->ev[i].port);
	}
	lib_sbuf_printf(&o, "]}\n");
	l->nev = 0;
	if (o.s)
		lib_write_all(1, o.s, o.len);
	lib_sbuf_free(&o);
}

/* Pace refill, timeouts and new connections: every 10 ms. */
static void
tick(struct load *l, double dt)
{
	uint64_t now = lib_now_ms();
	int i;

	for (i = 0; i < l->conns; i++) {
		struct conn *c = &l->c[i];

		if (c->st == C_FREE)
			continue;
		if (l->pace > 0 && (c->st == C_BODY || c->st == C_HEADERS)) {
			c->budget += l->pace * dt;
			if (c->budget > l->pace / 5)
				c->budget = l->pace / 5;
			if (c->paused && c->budget >= 1) {
				c->paused = 0;
				c->t_last = now;
				set_events(l, c, EPOLLIN);
			}
		}
		if (c->paused)
			continue;
		if (c->st == C_CONNECTING && now - c->t_start > (uint64_t)(l->connect_to * 1000))
			finish(l, c, 1, "connect-timeout");
		else if (c->st != C_CONNECTING && now - c->t_last > (uint64_t)(l->idle_to * 1000))
			finish(l, c, 1, "idle-timeout");
	}
	if (l->stopping || l->draining)
		return;
	if (l->rate > 0) {
		l->tokens += l->rate * dt;
		if (l->tokens > (l->rate / 10 > 1 ? l->rate / 10 : 1))
			l->tokens = l->rate / 10 > 1 ? l->rate / 10 : 1;
	}
	while ((int)l->tot.active < l->conns && (!l->count || l->started < (unsigned)l->count) &&
	       (l->rate <= 0 || l->tokens >= 1)) {
		start_one(l);
		if (l->rate > 0)
			l->tokens -= 1;
	}
}

static int
parse_num(const char *s, double lo, double hi, double *out)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

/* The first sample server of the topology: address and port. */
static void
default_server(const struct plex_inst *in, const struct plex_state *st, char *addr, size_t alen,
	       unsigned *port)
{
	struct plex_topo t;
	char err[256];
	int i;

	if (st->topology[0] && plex_topo_load(&t, st->topology, err, sizeof(err)) == 0) {
		for (i = 0; i < t.nhosts; i++)
			if (t.h[i].has_httpd) {
				lib_strlcpy(addr, t.h[i].httpd_addr, alen);
				*port = t.h[i].httpd_port;
				break;
			}
		plex_topo_free(&t);
		if (addr[0])
			return;
	}
	plex_find_routing(in, st, 1000, addr, alen);
	*port = 8080;
}

int
plex_cmd_load(const struct plex_inst *in, int argc, char **argv)
{
	static struct plex_state st;
	static struct load l;
	const char *host = NULL, *dvipa = NULL;
	char nspath[PATH_MAX], addr[PLEX_ADDR_LEN] = "";
	uint64_t last_tick, last_report;
	sigset_t ss;
	int i, nsfd, sfd, idx;
	double v;

	memset(&l, 0, sizeof(l));
	l.conns = 4;
	l.bytes = 100000;
	l.connect_to = 5;
	l.idle_to = 5;
	l.report_ms = 200;
	for (i = 0; i < argc; i++) {
		const char *o = argv[i], *a = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(o, "--help") == 0 || strcmp(o, "-h") == 0) {
			load_usage(stdout);
			return 0;
		}
		if (o[0] != '-') {
			if (host) {
				load_usage(stderr);
				return 2;
			}
			host = o;
			continue;
		}
		if (!a) {
			load_usage(stderr);
			return 2;
		}
		i++;
		if (strcmp(o, "--dvipa") == 0) {
			dvipa = a;
			continue;
		}
		if (strcmp(o, "--connections") == 0 && parse_num(a, 1, LOAD_MAX_CONN, &v) == 0)
			l.conns = (int)v;
		else if (strcmp(o, "--rate") == 0 && parse_num(a, 0, 1e6, &v) == 0)
			l.rate = v;
		else if (strcmp(o, "--bytes") == 0 && parse_num(a, 0, 1e15, &v) == 0)
			l.bytes = (long long)v;
		else if (strcmp(o, "--count") == 0 && parse_num(a, 0, 1e9, &v) == 0)
			l.count = (int)v;
		else if (strcmp(o, "--duration") == 0 && parse_num(a, 0, 1e6, &v) == 0)
			l.duration = v;
		else if (strcmp(o, "--pace") == 0 && parse_num(a, 0, 1e12, &v) == 0)
			l.pace = v;
		else if (strcmp(o, "--port") == 0 && parse_num(a, 1, 65535, &v) == 0)
			l.port = (unsigned)v;
		else if (strcmp(o, "--connect-timeout") == 0 && parse_num(a, 0.01, 3600, &v) == 0)
			l.connect_to = v;
		else if (strcmp(o, "--idle-timeout") == 0 && parse_num(a, 0.01, 3600, &v) == 0)
			l.idle_to = v;
		else if (strcmp(o, "--report-ms") == 0 && parse_num(a, 10, 60000, &v) == 0)
			l.report_ms = (unsigned)v;
		else {
			fprintf(stderr, "sysplex load: bad option or value: %s %s\n", o, a);
			load_usage(stderr);
			return 2;
		}
	}
	if (!host) {
		load_usage(stderr);
		return 2;
	}
	if (plex_check_root() < 0)
		return 1;
	if (plex_state_read(in, &st) < 0) {
		plex_not_up(in);
		return 1;
	}
	idx = plex_state_index(&st, host, 0);
	if (idx < 0) {
		fprintf(stderr, "sysplex load: instance %s has no host %s\n", in->name, host);
		return 1;
	}
	if (dvipa)
		lib_strlcpy(addr, dvipa, sizeof(addr));
	if (!dvipa || !l.port) {
		char daddr[PLEX_ADDR_LEN] = "";
		unsigned dport = 8080;

		default_server(in, &st, daddr, sizeof(daddr), &dport);
		if (!dvipa)
			lib_strlcpy(addr, daddr, sizeof(addr));
		if (!l.port)
			l.port = dport;
	}
	l.dst.sin6_family = AF_INET6;
	l.dst.sin6_port = htons((uint16_t)l.port);
	if (!addr[0] || inet_pton(AF_INET6, addr, &l.dst.sin6_addr) != 1) {
		fprintf(stderr, "sysplex load: bad or unknown server address '%s' (use --dvipa)\n",
			addr);
		return 2;
	}
	inet_ntop(AF_INET6, &l.dst.sin6_addr, l.dtext, sizeof(l.dtext));
	if (l.bytes > 0)
		l.reqlen = (size_t)snprintf(l.req, sizeof(l.req),
					    "GET /bytes/%lld HTTP/1.1\r\nHost: [%s]:%u\r\n"
					    "User-Agent: sysplex-load\r\nConnection: close\r\n\r\n",
					    l.bytes, l.dtext, l.port);
	else
		l.reqlen = (size_t)snprintf(l.req, sizeof(l.req),
					    "GET / HTTP/1.1\r\nHost: [%s]:%u\r\n"
					    "User-Agent: sysplex-load\r\nConnection: close\r\n\r\n",
					    l.dtext, l.port);

	/* Die with the parent (the Lua runner); then enter the host. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	snprintf(nspath, sizeof(nspath), "%s/%s", PLEX_NETNS_DIR, st.h[idx].ns);
	nsfd = open(nspath, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0 || setns(nsfd, CLONE_NEWNET) < 0) {
		fprintf(stderr, "sysplex load: cannot enter namespace %s: %s\n", st.h[idx].ns,
			strerror(errno));
		return 1;
	}
	close(nsfd);
	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGUSR1);
	sigaddset(&ss, SIGHUP);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &ss, SFD_NONBLOCK | SFD_CLOEXEC);
	l.ep = epoll_create1(EPOLL_CLOEXEC);
	l.c = calloc((size_t)l.conns, sizeof(*l.c));
	if (sfd < 0 || l.ep < 0 || !l.c) {
		fprintf(stderr, "sysplex load: %s\n", strerror(errno));
		return 1;
	}
	{
		struct epoll_event e = { .events = EPOLLIN, .data.ptr = NULL };

		epoll_ctl(l.ep, EPOLL_CTL_ADD, sfd, &e);
	}
	l.t0 = last_tick = last_report = lib_now_ms();
	l.tokens = 1;
	tick(&l, 0);
	for (;;) {
		struct epoll_event evs[64];
		uint64_t now;
		int n, k;

		n = epoll_wait(l.ep, evs, (int)LIB_ARRAY_LEN(evs), 10);
		for (k = 0; k < n; k++) {
			struct conn *c = evs[k].data.ptr;

			if (!c) {
				struct signalfd_siginfo si;

				while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
					if (si.ssi_signo == SIGUSR1)
						l.draining = 1;
					else
						l.stopping = 1;
				}
				continue;
			}
			if (c->st == C_FREE)
				continue;
			if (evs[k].events & (EPOLLOUT | EPOLLERR | EPOLLHUP) &&
			    (c->st == C_CONNECTING || c->st == C_SENDING))
				on_writable(&l, c);
			else if (evs[k].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
				on_readable(&l, c);
		}
		now = lib_now_ms();
		if (now - last_tick >= 10) {
			tick(&l, (double)(now - last_tick) / 1000.0);
			last_tick = now;
		}
		if (l.duration > 0 && now - l.t0 >= (uint64_t)(l.duration * 1000))
			l.stopping = 1;
		if (l.count && l.started >= (unsigned)l.count && l.tot.active == 0)
			break;
		if (l.draining && l.tot.active == 0)
			break;
		if (l.stopping)
			break;
		if (now - last_report >= l.report_ms) {
			report(&l, 0);
			last_report = now;
		}
	}
	for (i = 0; i < l.conns; i++)
		if (l.c[i].st != C_FREE) {
			close(l.c[i].fd);
			l.c[i].st = C_FREE;
			l.tot.active--;
			by_target(&l, l.c[i].target)->active--;
			l.abandoned++;
		}
	report(&l, 1);
	return 0;
}
