/*
 * load.c - the HTTP load generator (testsrv.h): keeps downloads going
 * against one server and classifies every connection when it ends.
 *
 * One libuv loop of its own.  A connection is a uv_tcp_t in a fixed slot
 * (at most --connections of them): connect, write the request, read the
 * header into the slot's buffer, then the body into a shared buffer no
 * larger than what the pace allows and what the body still lacks (+1, to
 * see EOF or excess).  A paced connection stops reading when its budget is
 * spent and the tick starts it again.  A connection that failed is closed
 * with a RST (no half-open connection left on the server); its slot is free
 * again once libuv has closed the handle.  The 10 ms tick refills the
 * budgets, enforces the timeouts and starts new connections; a check
 * handle, after every loop iteration, ends the run and writes the reports.
 */
#include "testsrv/testsrv.h"

#include "lib/lib.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <uv.h>

#define LOAD_MAX_TARGETS 32
#define LOAD_MAX_EVENTS 256	/* per report line */
#define LOAD_HDR_MAX 4096
#define LOAD_TICK_MS 10

enum cstate { C_FREE, C_CONNECTING, C_SENDING, C_HEADERS, C_BODY, C_CLOSING };

struct load;

struct conn {
	uv_tcp_t tcp;
	uv_connect_t creq;
	uv_write_t wreq;
	struct load *l;
	enum cstate st;
	uint64_t t_start, t_last;
	uint16_t lport;
	char hdr[LOAD_HDR_MAX + 1];
	size_t hlen;
	long long clen, got;
	int target;			/* index into targets, -1 unknown */
	double budget;			/* pace: bytes it may read now */
	int paused;			/* reading stopped until the budget refills */
};

struct counts {
	unsigned long long ok, failed, reset, active;
};

struct load {
	struct testsrv_load_opts o;
	struct sockaddr_in6 dst;
	char req[256];
	size_t reqlen;
	char rbuf[65536];		/* body bytes, read and dropped */

	uv_loop_t loop;
	uv_timer_t tick;
	uv_check_t check;
	uv_signal_t sig[4];
	struct conn *c;
	uint64_t t0, last_tick, last_report;
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

void
testsrv_load_defaults(struct testsrv_load_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->conns = 4;
	o->bytes = 100000;
	o->connect_to = 5;
	o->idle_to = 5;
	o->report_ms = 200;
}

/* The numeric options: name, range, type and where the value goes. */
enum opt_type { OPT_INT, OPT_UINT, OPT_LL, OPT_DOUBLE };
static const struct load_optdef {
	const char *name;
	double lo, hi;
	enum opt_type type;
	size_t off;
} optdefs[] = {
#define OPT(n, lo, hi, t, f) { n, lo, hi, t, offsetof(struct testsrv_load_opts, f) }
	OPT("--connections", 1, TESTSRV_LOAD_MAX_CONN, OPT_INT, conns),
	OPT("--rate", 0, 1e6, OPT_DOUBLE, rate),
	OPT("--bytes", 0, 1e15, OPT_LL, bytes),
	OPT("--count", 0, 1e9, OPT_INT, count),
	OPT("--duration", 0, 1e6, OPT_DOUBLE, duration),
	OPT("--pace", 0, 1e12, OPT_DOUBLE, pace),
	OPT("--port", 1, 65535, OPT_UINT, port),
	OPT("--connect-timeout", 0.01, 3600, OPT_DOUBLE, connect_to),
	OPT("--idle-timeout", 0.01, 3600, OPT_DOUBLE, idle_to),
	OPT("--report-ms", 10, 60000, OPT_UINT, report_ms),
#undef OPT
};

int
testsrv_load_option(struct testsrv_load_opts *o, const char *name, const char *value)
{
	const struct load_optdef *d = NULL;
	char *end, *f;
	double v;
	size_t i;

	for (i = 0; i < LIB_ARRAY_LEN(optdefs) && !d; i++)
		if (strcmp(optdefs[i].name, name) == 0)
			d = &optdefs[i];
	if (!d)
		return -1;
	v = strtod(value, &end);
	if (end == value || *end || v < d->lo || v > d->hi)
		return -1;
	f = (char *)o + d->off;
	switch (d->type) {
	case OPT_INT:
		*(int *)(void *)f = (int)v;
		break;
	case OPT_UINT:
		*(unsigned *)(void *)f = (unsigned)v;
		break;
	case OPT_LL:
		*(long long *)(void *)f = (long long)v;
		break;
	case OPT_DOUBLE:
		*(double *)(void *)f = v;
		break;
	}
	return 0;
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

/* Counts a connection that ended.  kind: 0 ok, 1 failed, 2 reset. */
static void
account(struct load *l, struct conn *c, int kind, const char *why)
{
	struct counts *b = by_target(l, c->target);

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
on_close(uv_handle_t *h)
{
	struct conn *c = h->data;

	c->st = C_FREE;
}

/* Ends a connection: counts it and closes it (with a RST unless it was ok,
 * so that no half-open connection is left on the server). */
static void
finish(struct load *l, struct conn *c, int kind, const char *why)
{
	if (c->st == C_FREE || c->st == C_CLOSING)
		return;
	account(l, c, kind, why);
	c->st = C_CLOSING;
	if (kind == 0 || uv_tcp_close_reset(&c->tcp, on_close) != 0)
		uv_close((uv_handle_t *)&c->tcp, on_close);
}

/* e: a positive errno. */
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

/* Where the next read goes: the rest of the header buffer, or the body
 * buffer cut to the pace budget and to what the body still lacks + 1. */
static void
on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct conn *c = h->data;
	struct load *l = c->l;
	size_t want = sizeof(l->rbuf);

	LIB_UNUSED(suggested);
	if (c->st == C_HEADERS) {
		*buf = uv_buf_init(c->hdr + c->hlen, (unsigned)(LOAD_HDR_MAX - c->hlen));
		return;
	}
	if (l->o.pace > 0 && want > (size_t)c->budget)
		want = (size_t)c->budget;
	if (c->clen - c->got < (long long)want)
		want = (size_t)(c->clen - c->got) + 1;
	if (want == 0)
		want = 1;
	*buf = uv_buf_init(l->rbuf, (unsigned)want);
}

static void
on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct conn *c = s->data;
	struct load *l = c->l;

	LIB_UNUSED(buf);
	if (n == 0)
		return;
	if (n == UV_EOF) {
		finish(l, c, 1, c->st == C_HEADERS ? "no-response" : "short-read");
		return;
	}
	if (n < 0) {
		finish_errno(l, c, (int)-n, 0);
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
			if (c->hlen >= LOAD_HDR_MAX)
				finish(l, c, 1, "bad-response");
			return;
		}
		if (parse_header(l, c, &why) < 0) {
			finish(l, c, 1, why);
			return;
		}
		c->got = (long long)(c->hlen - (size_t)(end + 4 - c->hdr));
		c->st = C_BODY;
	} else {
		c->got += n;
		if (l->o.pace > 0)
			c->budget -= (double)n;
	}
	if (c->got >= c->clen) {
		finish(l, c, 0, NULL);
		return;
	}
	if (l->o.pace > 0 && c->budget < 1) {
		c->paused = 1;
		uv_read_stop(s);
	}
}

static void
on_write(uv_write_t *req, int status)
{
	struct conn *c = req->data;

	if (c->st != C_SENDING)
		return;		/* closed meanwhile */
	if (status < 0) {
		finish_errno(c->l, c, -status, 0);
		return;
	}
	c->st = C_HEADERS;
	c->budget = c->l->o.pace > 0 ? c->l->o.pace / 10 : 0;
	if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) < 0)
		finish(c->l, c, 1, "error");
}

static void
on_connect(uv_connect_t *req, int status)
{
	struct conn *c = req->data;
	struct load *l = c->l;
	struct sockaddr_in6 me;
	int sl = (int)sizeof(me), r;
	uv_buf_t b = uv_buf_init(l->req, (unsigned)l->reqlen);

	if (c->st != C_CONNECTING)
		return;		/* closed meanwhile */
	if (status < 0) {
		finish_errno(l, c, -status, 1);
		return;
	}
	if (uv_tcp_getsockname(&c->tcp, (struct sockaddr *)&me, &sl) == 0)
		c->lport = ntohs(me.sin6_port);
	c->st = C_SENDING;
	c->t_last = lib_now_ms();
	c->wreq.data = c;
	r = uv_write(&c->wreq, (uv_stream_t *)&c->tcp, &b, 1, on_write);
	if (r < 0)
		finish_errno(l, c, -r, 0);
}

/* Starts one connection in a free slot; -1 when no slot is free (slots of
 * ended connections are free once libuv has closed them). */
static int
start_one(struct load *l)
{
	struct conn *c = NULL;
	int i, r;

	for (i = 0; i < l->o.conns; i++)
		if (l->c[i].st == C_FREE) {
			c = &l->c[i];
			break;
		}
	if (!c)
		return -1;
	memset(c, 0, sizeof(*c));
	c->l = l;
	c->target = -1;
	c->t_start = c->t_last = lib_now_ms();
	l->started++;
	l->tot.active++;
	by_target(l, -1)->active++;
	if (uv_tcp_init_ex(&l->loop, &c->tcp, AF_INET6) < 0) {
		account(l, c, 1, "socket");
		return 0;
	}
	c->tcp.data = c;
	c->creq.data = c;
	c->st = C_CONNECTING;
	r = uv_tcp_connect(&c->creq, &c->tcp, (const struct sockaddr *)&l->dst, on_connect);
	if (r < 0)
		finish_errno(l, c, -r, 1);
	return 0;
}

static json_t *
ull(unsigned long long v)
{
	return json_integer((json_int_t)v);
}

/* One report line: the counts so far, per target and per reason, and the
 * failures since the last report. */
static void
report(struct load *l, int final)
{
	json_t *r, *by = json_object(), *why = json_object(), *ev = json_array();
	char *s;
	int i;

	for (i = 0; i <= l->ntargets; i++) {
		const struct counts *b = i < l->ntargets ? &l->by[i] : &l->by[LOAD_MAX_TARGETS];
		json_t *name = lib_json_str(i < l->ntargets ? l->tname[i] : "?");

		if (i == l->ntargets && !b->ok && !b->failed && !b->reset && !b->active) {
			json_decref(name);
			break;
		}
		json_object_set_new(by, json_string_value(name), json_pack("{s:o,s:o,s:o,s:o}",
			"ok", ull(b->ok), "failed", ull(b->failed), "reset", ull(b->reset),
			"active", ull(b->active)));
		json_decref(name);
	}
	for (i = 0; i < l->nwhy; i++)
		json_object_set_new(why, l->why[i], ull(l->whyc[i]));
	for (i = 0; i < l->nev; i++)
		json_array_append_new(ev, json_pack("{s:o,s:s,s:o,s:o,s:i}", "target",
			lib_json_str(l->ev[i].target >= 0 ? l->tname[l->ev[i].target] : "?"),
			"why", l->ev[i].why, "start_ms", ull(l->ev[i].start), "end_ms", ull(l->ev[i].end),
			"port", (int)l->ev[i].port));
	r = json_pack("{s:f,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:b,s:o,s:o,s:o,s:o}",
		"t", (double)(lib_now_ms() - l->t0) / 1000.0, "started", ull(l->started),
		"ok", ull(l->tot.ok), "failed", ull(l->tot.failed), "reset", ull(l->tot.reset),
		"active", ull(l->tot.active), "bytes", ull(l->bytes_in), "abandoned", ull(l->abandoned),
		"final", final, "by", by, "why", why, "events_dropped", ull(l->ev_dropped), "events", ev);
	l->nev = 0;
	/* Seconds to the millisecond: at most 12 significant digits. */
	if (r && (s = json_dumps(r, JSON_COMPACT | JSON_REAL_PRECISION(12))) != NULL) {
		size_t n = strlen(s);

		s[n] = '\n';	/* json_dumps' NUL becomes the line end */
		lib_write_all(1, s, n + 1);
		free(s);
	}
	json_decref(r);
}

/* Pace refill, timeouts and new connections: every LOAD_TICK_MS. */
static void
on_tick(uv_timer_t *tm)
{
	struct load *l = tm->data;
	uint64_t now = lib_now_ms();
	double dt = (double)(now - l->last_tick) / 1000.0;
	int i;

	l->last_tick = now;
	for (i = 0; i < l->o.conns; i++) {
		struct conn *c = &l->c[i];

		if (c->st == C_FREE || c->st == C_CLOSING)
			continue;
		if (l->o.pace > 0 && (c->st == C_BODY || c->st == C_HEADERS)) {
			c->budget += l->o.pace * dt;
			if (c->budget > l->o.pace / 5)
				c->budget = l->o.pace / 5;
			if (c->paused && c->budget >= 1) {
				c->paused = 0;
				c->t_last = now;
				if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) < 0) {
					finish(l, c, 1, "error");
					continue;
				}
			}
		}
		if (c->paused)
			continue;
		if (c->st == C_CONNECTING && now - c->t_start > (uint64_t)(l->o.connect_to * 1000))
			finish(l, c, 1, "connect-timeout");
		else if (c->st != C_CONNECTING && now - c->t_last > (uint64_t)(l->o.idle_to * 1000))
			finish(l, c, 1, "idle-timeout");
	}
	if (l->stopping || l->draining)
		return;
	if (l->o.rate > 0) {
		l->tokens += l->o.rate * dt;
		if (l->tokens > (l->o.rate / 10 > 1 ? l->o.rate / 10 : 1))
			l->tokens = l->o.rate / 10 > 1 ? l->o.rate / 10 : 1;
	}
	while ((int)l->tot.active < l->o.conns &&
	       (!l->o.count || l->started < (unsigned)l->o.count) &&
	       (l->o.rate <= 0 || l->tokens >= 1)) {
		if (start_one(l) < 0)
			break;
		if (l->o.rate > 0)
			l->tokens -= 1;
	}
}

static void
on_signal(uv_signal_t *s, int signum)
{
	struct load *l = s->data;

	if (signum == SIGUSR1)
		l->draining = 1;
	else
		l->stopping = 1;
}

/* After every loop iteration: has the run ended?  Else a report when due. */
static void
on_check(uv_check_t *ck)
{
	struct load *l = ck->data;
	uint64_t now = lib_now_ms();

	if (l->o.duration > 0 && now - l->t0 >= (uint64_t)(l->o.duration * 1000))
		l->stopping = 1;
	if ((l->o.count && l->started >= (unsigned)l->o.count && l->tot.active == 0) ||
	    (l->draining && l->tot.active == 0) || l->stopping) {
		uv_stop(&l->loop);
		return;
	}
	if (now - l->last_report >= l->o.report_ms) {
		report(l, 0);
		l->last_report = now;
	}
}

static void
close_walk(uv_handle_t *h, void *arg)
{
	LIB_UNUSED(arg);
	if (!uv_is_closing(h))
		uv_close(h, h->type == UV_TCP ? on_close : NULL);
}

int
testsrv_load_run(const struct testsrv_load_opts *o, const struct in6_addr *addr)
{
	static const int sigs[4] = { SIGTERM, SIGINT, SIGUSR1, SIGHUP };
	static struct load l;
	char dtext[INET6_ADDRSTRLEN];
	int i, r;

	memset(&l, 0, sizeof(l));
	l.o = *o;
	l.dst.sin6_family = AF_INET6;
	l.dst.sin6_port = htons((uint16_t)o->port);
	l.dst.sin6_addr = *addr;
	inet_ntop(AF_INET6, addr, dtext, sizeof(dtext));
	if (o->bytes > 0)
		l.reqlen = (size_t)snprintf(l.req, sizeof(l.req),
					    "GET /bytes/%lld HTTP/1.1\r\nHost: [%s]:%u\r\n"
					    "User-Agent: sysplex-load\r\nConnection: close\r\n\r\n",
					    o->bytes, dtext, o->port);
	else
		l.reqlen = (size_t)snprintf(l.req, sizeof(l.req),
					    "GET / HTTP/1.1\r\nHost: [%s]:%u\r\n"
					    "User-Agent: sysplex-load\r\nConnection: close\r\n\r\n",
					    dtext, o->port);
	l.c = calloc((size_t)o->conns, sizeof(*l.c));
	if (!l.c)
		return -ENOMEM;
	if ((r = uv_loop_init(&l.loop)) < 0) {
		free(l.c);
		return r;
	}
	signal(SIGPIPE, SIG_IGN);
	uv_timer_init(&l.loop, &l.tick);
	uv_check_init(&l.loop, &l.check);
	l.tick.data = l.check.data = &l;
	for (i = 0; i < 4; i++) {
		uv_signal_init(&l.loop, &l.sig[i]);
		l.sig[i].data = &l;
		if ((r = uv_signal_start(&l.sig[i], on_signal, sigs[i])) < 0)
			break;
	}
	if (r == 0) {
		l.t0 = l.last_tick = l.last_report = lib_now_ms();
		l.tokens = 1;
		on_tick(&l.tick);
		uv_timer_start(&l.tick, on_tick, LOAD_TICK_MS, LOAD_TICK_MS);
		uv_check_start(&l.check, on_check);
		uv_run(&l.loop, UV_RUN_DEFAULT);
		for (i = 0; i < l.o.conns; i++)
			if (l.c[i].st != C_FREE && l.c[i].st != C_CLOSING) {
				l.c[i].st = C_CLOSING;
				l.tot.active--;
				by_target(&l, l.c[i].target)->active--;
				l.abandoned++;
			}
	}
	uv_walk(&l.loop, close_walk, NULL);
	uv_run(&l.loop, UV_RUN_DEFAULT);
	uv_loop_close(&l.loop);
	free(l.c);
	if (r < 0)
		return r;
	report(&l, 1);
	return 0;
}
