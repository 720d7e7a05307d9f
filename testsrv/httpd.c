/*
 * httpd.c - sysplex-httpd, the sample server every emulated target runs.
 *
 *   sysplex-httpd -a ADDR -p PORT -n NAME [-w WORKERS]
 *   sysplex-httpd -h | -V
 *
 * Contract (docs/RUNTIME.md):
 *  - Binds ADDR:PORT with IPV6_FREEBIND (IP_FREEBIND for IPv4) and
 *    SO_REUSEADDR, so it can start before the address appears (the stack puts
 *    the DVIPA on its TUN, tcpip0, later).  One listening socket, whatever the number of
 *    workers, so the stack counts exactly one listener (Rdy 1).
 *  - HTTP/1.1 with keep-alive and pipelining; HTTP/1.0 closes unless the
 *    client asks for keep-alive; `Connection: close` is honoured.
 *  - GET / answers "NAME\n".  GET /bytes/N[?rate=R] answers N bytes (N up to 2^50,
 *    at most R bytes/s when rate is given),
 *    streamed from a fixed pattern buffer: byte i of the body is (i mod 251),
 *    so a test can check integrity and order independently.  HEAD works for
 *    both.  Any other path is 404, any other method 405, a malformed request
 *    400 (then the connection closes), an oversized header 431.
 *  - Never crashes or leaks on bad input; idle connections close after 60 s.
 *
 * Structure: WORKERS threads (default: online CPUs, at most 4), each with its
 * own epoll set.  The listening socket is in every set with EPOLLEXCLUSIVE, so
 * a new connection wakes one worker, which owns it from then on.  A streaming
 * response writes at most WRITE_BUDGET bytes per wake-up so one large
 * download cannot starve other connections of the same worker.
 */
#include "lib/lib.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#ifndef IPV6_FREEBIND
#define IPV6_FREEBIND 78
#endif

#define IN_BUF 8192			/* request header limit per connection */
#define PAT_MOD 251			/* body byte i is i % PAT_MOD */
#define PAT_LEN (PAT_MOD * 1024)	/* largest single send of a body */
#define WRITE_BUDGET (4u << 20)		/* bytes per connection per wake-up */
#define MAX_BYTES (1ull << 50)		/* largest N accepted by /bytes/N */
#define IDLE_MS 60000			/* idle keep-alive / stalled write */
#define DRAIN_MS 5000			/* lingering after our final response */
#define MAX_WORKERS 16

/* The body pattern: PAT_LEN + PAT_MOD bytes so that a send may start at any
 * phase (offset % PAT_MOD) and still have PAT_LEN bytes available. */
static uint8_t pattern[PAT_LEN + PAT_MOD];

static const char *server_name;
static size_t server_name_len;
static char name_body[128];
static int listen_fd = -1;

enum conn_state { C_READING = 0, C_WRITING, C_DRAINING };

struct worker;

/* One client connection; owned by exactly one worker. */
struct conn {
	int fd;
	enum conn_state state;
	struct worker *w;
	struct conn *prev, *next;	/* the worker's list, for idle sweeps */
	uint64_t last_ms;		/* last progress */
	int keepalive;			/* keep the connection after this response */
	uint64_t discard;		/* request body bytes still to skip */
	size_t inlen;
	char in[IN_BUF];
	/* The response in progress: header, then either a small static body
	 * or a streamed pattern body. */
	char hdr[384];
	size_t hdrlen, hdroff;
	const char *body;
	size_t bodylen, bodyoff;
	uint64_t stream_left, stream_off;
	/* GET /bytes/N?rate=R: at most R bytes/s (tests that need connections
	 * to live long; curl's own --limit-rate is loose). */
	uint64_t rate, rate_start_ms, rate_sent;
	int paced_wait;			/* waiting for its allowance */
};

struct worker {
	int epfd;
	pthread_t th;
	struct conn *conns;
};

/* The options: getopt_long's and --help's (lib/opt.c); the manual page
 * sysplex-httpd(8) documents each (tests/man/check.py). */
static const struct lib_opt opts[] = {
	{ 'a', "addr", "ADDR", "the address to listen on (IPv6, IPv4, or :: for every one)" },
	{ 'p', "port", "PORT", "the TCP port to listen on (1..65535)" },
	{ 'n', "name", "NAME", "the name GET / answers (printable, no spaces)" },
	{ 'w', "workers", "WORKERS", "worker threads (1..16; default: online CPUs, at most 4)" },
	{ 'h', "help", NULL, "show this help and exit" },
	{ 'V', "version", NULL, "show the version and exit" },
	{ 0, NULL, NULL, NULL },
};

static const char synopsis[] =
	"usage: sysplex-httpd -a ADDR -p PORT -n NAME [-w WORKERS]\n"
	"       sysplex-httpd -h | -V\n";

static void
help(void)
{
	printf("%s\nThe sample server of the emulated sysplex's targets: HTTP/1.1 on ADDR:PORT.\n"
	       "GET / answers \"NAME\\n\"; GET /bytes/N[?rate=R] answers N bytes (byte i is\n"
	       "i mod 251), at most R bytes/s when R is given.  Ends on SIGTERM, SIGINT or SIGHUP.\n"
	       "\nOptions:\n", synopsis);
	lib_opt_help(stdout, opts);
	printf("\nExit status:\n"
	       "  0  ended by a signal\n"
	       "  1  a bad port or name, or the address could not be listened on\n"
	       "  2  usage error\n"
	       "\nSee sysplex-httpd(8).\n");
}

static void
usage(void)
{
	fprintf(stderr, "%sTry 'sysplex-httpd --help'.\n", synopsis);
	exit(2);
}

/* ---- connection lifecycle -------------------------------------------------- */

static void
conn_close(struct conn *c)
{
	struct worker *w = c->w;

	epoll_ctl(w->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	if (c->prev)
		c->prev->next = c->next;
	else
		w->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	free(c);
}

static void
conn_want(struct conn *c, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = c };

	epoll_ctl(c->w->epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

/* ---- request parsing -------------------------------------------------------- */

/* Returns the length of the header block (request line + headers + the empty
 * line) when complete, 0 when more bytes are needed.  Accepts CRLF and bare LF
 * line ends. */
static size_t
header_end(const char *b, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (b[i] != '\n')
			continue;
		if (i + 1 < len && b[i + 1] == '\n')
			return i + 2;
		if (i + 2 < len && b[i + 1] == '\r' && b[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

static int
is_tchar(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

/* Does the comma-separated header value v (length n) contain token tok? */
static int
has_token(const char *v, size_t n, const char *tok)
{
	size_t tl = strlen(tok), i = 0;

	while (i < n) {
		size_t s, e;

		while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		s = i;
		while (i < n && v[i] != ',')
			i++;
		e = i;
		while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
			e--;
		if (e - s == tl && strncasecmp(v + s, tok, tl) == 0)
			return 1;
	}
	return 0;
}

/* Parses a decimal number of at most 16 digits; -1 when malformed. */
static int
parse_u64(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (n == 0 || n > 16)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

static const char *
status_text(int code)
{
	switch (code) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 431: return "Request Header Fields Too Large";
	case 501: return "Not Implemented";
	case 505: return "HTTP Version Not Supported";
	default: return "Error";
	}
}

/* Prepares the response: status line and headers in c->hdr, the body either
 * static (c->body) or streamed (c->stream_left). */
static int
respond(struct conn *c, int code, int head, const char *body, size_t bodylen, uint64_t stream)
{
	uint64_t clen = body ? bodylen : stream;
	int n;

	if (code >= 400 && code != 404 && code != 405)
		c->keepalive = 0;
	n = snprintf(c->hdr, sizeof(c->hdr),
		     "HTTP/1.1 %d %s\r\n"
		     "Server: sysplex-httpd\r\n"
		     "X-Served-By: %s\r\n"
		     "Content-Type: %s\r\n"
		     "Content-Length: %llu\r\n"
		     "%s"
		     "Connection: %s\r\n\r\n",
		     code, status_text(code), server_name,
		     stream ? "application/octet-stream" : "text/plain",
		     (unsigned long long)clen, code == 405 ? "Allow: GET, HEAD\r\n" : "",
		     c->keepalive ? "keep-alive" : "close");
	c->hdrlen = n > 0 && (size_t)n < sizeof(c->hdr) ? (size_t)n : 0;
	c->hdroff = 0;
	c->body = head ? NULL : body;
	c->bodylen = head || !body ? 0 : bodylen;
	c->bodyoff = 0;
	c->stream_left = head || body ? 0 : stream;
	c->stream_off = 0;
	c->state = C_WRITING;
	return 0;
}

static int
respond_error(struct conn *c, int code, int head)
{
	static const char *msgs[] = { "bad request\n", "not found\n", "method not allowed\n",
				      "request header too large\n", "not implemented\n",
				      "version not supported\n" };
	const char *m;

	switch (code) {
	case 404: m = msgs[1]; break;
	case 405: m = msgs[2]; break;
	case 431: m = msgs[3]; break;
	case 501: m = msgs[4]; break;
	case 505: m = msgs[5]; break;
	default: m = msgs[0]; break;
	}
	return respond(c, code, head, m, strlen(m), 0);
}

/*
 * Parses the request whose header block is c->in[0..hlen) and prepares its
 * response.  The caller removes the header block from the buffer.
 */
static int
handle_request(struct conn *c, size_t hlen)
{
	const char *b = c->in, *end = c->in + hlen, *p, *sp1, *sp2, *eol;
	const char *path, *query = NULL;
	size_t mlen, plen, qlen = 0;
	uint64_t clen = 0, n;
	int head = 0, v11, conn_close_tok = 0, conn_keep_tok = 0, te = 0, have_clen = 0;

	c->keepalive = 0;
	/* Request line: METHOD SP TARGET SP HTTP/1.x */
	eol = memchr(b, '\n', hlen);
	if (!eol)
		return respond_error(c, 400, 0);
	p = eol;
	if (p > b && p[-1] == '\r')
		p--;
	sp1 = memchr(b, ' ', (size_t)(p - b));
	if (!sp1)
		return respond_error(c, 400, 0);
	sp2 = memchr(sp1 + 1, ' ', (size_t)(p - sp1 - 1));
	if (!sp2)
		return respond_error(c, 400, 0);
	mlen = (size_t)(sp1 - b);
	for (size_t i = 0; i < mlen; i++)
		if (!is_tchar(b[i]))
			return respond_error(c, 400, 0);
	if (mlen == 0)
		return respond_error(c, 400, 0);
	if ((size_t)(p - sp2 - 1) != 8 || memcmp(sp2 + 1, "HTTP/1.", 7) != 0)
		return respond_error(c, (size_t)(p - sp2 - 1) == 8 &&
				     memcmp(sp2 + 1, "HTTP/", 5) == 0 ? 505 : 400, 0);
	if (sp2[8] == '1')
		v11 = 1;
	else if (sp2[8] == '0')
		v11 = 0;
	else
		return respond_error(c, 505, 0);
	path = sp1 + 1;
	plen = (size_t)(sp2 - path);
	if (plen == 0 || path[0] != '/')
		return respond_error(c, 400, 0);

	/* Header fields. */
	for (p = eol + 1; p < end;) {
		const char *le = memchr(p, '\n', (size_t)(end - p)), *colon, *v, *ve;

		if (!le)
			break;
		ve = le;
		if (ve > p && ve[-1] == '\r')
			ve--;
		if (ve == p)
			break;			/* the empty line */
		if (*p == ' ' || *p == '\t')
			return respond_error(c, 400, 0);	/* obsolete folding */
		colon = memchr(p, ':', (size_t)(ve - p));
		if (!colon || colon == p)
			return respond_error(c, 400, 0);
		for (const char *q = p; q < colon; q++)
			if (!is_tchar(*q))
				return respond_error(c, 400, 0);
		v = colon + 1;
		while (v < ve && (*v == ' ' || *v == '\t'))
			v++;
		while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
			ve--;
		if ((size_t)(colon - p) == 10 && strncasecmp(p, "Connection", 10) == 0) {
			conn_close_tok |= has_token(v, (size_t)(ve - v), "close");
			conn_keep_tok |= has_token(v, (size_t)(ve - v), "keep-alive");
		} else if ((size_t)(colon - p) == 14 && strncasecmp(p, "Content-Length", 14) == 0) {
			uint64_t x;

			if (parse_u64(v, (size_t)(ve - v), &x) < 0 || (have_clen && x != clen))
				return respond_error(c, 400, 0);
			clen = x;
			have_clen = 1;
		} else if ((size_t)(colon - p) == 17 &&
			   strncasecmp(p, "Transfer-Encoding", 17) == 0) {
			te = 1;
		}
		p = le + 1;
	}
	if (te)
		return respond_error(c, 501, 0);	/* no chunked request bodies */
	c->keepalive = v11 ? !conn_close_tok : conn_keep_tok && !conn_close_tok;
	c->discard = clen;

	/* Method and path. */
	if (mlen == 4 && memcmp(b, "HEAD", 4) == 0)
		head = 1;
	else if (!(mlen == 3 && memcmp(b, "GET", 3) == 0))
		return respond_error(c, 405, 0);
	{
		const char *q = memchr(path, '?', plen);

		if (q) {
			query = q;
			qlen = (size_t)(path + plen - q);
			plen = (size_t)(q - path);
		}
	}
	if (plen == 1)
		return respond(c, 200, head, name_body, server_name_len + 1, 0);
	c->rate = 0;
	if (plen > 7 && memcmp(path, "/bytes/", 7) == 0) {
		if (parse_u64(path + 7, plen - 7, &n) < 0 || n > MAX_BYTES)
			return respond_error(c, 400, head);
		if (qlen > 6 && memcmp(query, "?rate=", 6) == 0) {
			uint64_t r;
			if (parse_u64(query + 6, qlen - 6, &r) < 0 || r == 0)
				return respond_error(c, 400, head);
			c->rate = r;
			c->rate_start_ms = lib_now_ms();
			c->rate_sent = 0;
		}
		if (n == 0)
			return respond(c, 200, head, "", 0, 0);
		return respond(c, 200, head, NULL, 0, n);
	}
	return respond_error(c, 404, head);
}

/* ---- I/O -------------------------------------------------------------------- */

/* Writes as much of the response as the socket takes (up to WRITE_BUDGET).
 * Returns -1 when the connection was closed, 1 when the response is complete
 * and the connection reads the next request, 0 otherwise. */
static int
conn_write(struct conn *c)
{
	size_t budget = WRITE_BUDGET;

	c->paced_wait = 0;
	if (c->rate && c->stream_left > 0 && c->hdroff >= c->hdrlen) {
		/* Allowance so far, with a burst of a tenth of a second. */
		uint64_t allowed = c->rate * (lib_now_ms() - c->rate_start_ms) / 1000 + c->rate / 10;

		if (allowed <= c->rate_sent) {
			c->paced_wait = 1;
			conn_want(c, 0);	/* the worker comes back (worker_paced) */
			return 0;
		}
		if (allowed - c->rate_sent < budget)
			budget = (size_t)(allowed - c->rate_sent);
	}

	while (budget > 0) {
		struct iovec iov[2];
		struct msghdr mh = { .msg_iov = iov };
		size_t want = 0;
		ssize_t r;
		int k = 0;

		if (c->hdroff < c->hdrlen) {
			iov[k].iov_base = c->hdr + c->hdroff;
			iov[k].iov_len = c->hdrlen - c->hdroff;
			want += iov[k++].iov_len;
		}
		if (c->bodyoff < c->bodylen) {
			iov[k].iov_base = (void *)(c->body + c->bodyoff);
			iov[k].iov_len = c->bodylen - c->bodyoff;
			want += iov[k++].iov_len;
		} else if (c->stream_left > 0) {
			size_t ph = (size_t)(c->stream_off % PAT_MOD);
			size_t chunk = c->stream_left < PAT_LEN ? (size_t)c->stream_left : PAT_LEN;

			if (c->rate && chunk > budget)
				chunk = budget;

			iov[k].iov_base = pattern + ph;
			iov[k].iov_len = chunk;
			want += iov[k++].iov_len;
		}
		if (k == 0)
			break;
		mh.msg_iovlen = (size_t)k;
		r = sendmsg(c->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				conn_want(c, EPOLLOUT);
				return 0;
			}
			conn_close(c);
			return -1;
		}
		c->last_ms = lib_now_ms();
		budget = (size_t)r >= budget ? 0 : budget - (size_t)r;
		{
			size_t left = (size_t)r, h = c->hdrlen - c->hdroff;

			if (h > 0) {
				size_t t = left < h ? left : h;
				c->hdroff += t;
				left -= t;
			}
			if (c->bodyoff < c->bodylen) {
				c->bodyoff += left;
			} else {
				c->stream_left -= left;
				c->stream_off += left;
				c->rate_sent += left;
			}
		}
		if ((size_t)r < want) {
			conn_want(c, EPOLLOUT);
			return 0;
		}
		if (c->rate && budget == 0 && c->stream_left > 0) {
			c->paced_wait = 1;
			conn_want(c, 0);
			return 0;
		}
	}
	if (c->hdroff < c->hdrlen || c->bodyoff < c->bodylen || c->stream_left > 0) {
		conn_want(c, EPOLLOUT);	/* budget used up: come back later */
		return 0;
	}
	/* The response is complete. */
	if (!c->keepalive) {
		shutdown(c->fd, SHUT_WR);
		c->state = C_DRAINING;
		c->inlen = 0;
		conn_want(c, EPOLLIN);
		return 0;
	}
	c->state = C_READING;
	conn_want(c, EPOLLIN);
	return 1;
}

/* Handles every complete request in the input buffer, one at a time (the
 * next one only once the previous response is complete).  May free c. */
static void
conn_process(struct conn *c)
{
	while (c->state == C_READING) {
		size_t hlen;

		if (c->discard > 0) {
			size_t d = c->discard < c->inlen ? (size_t)c->discard : c->inlen;

			memmove(c->in, c->in + d, c->inlen - d);
			c->inlen -= d;
			c->discard -= d;
			if (c->discard > 0)
				return;
		}
		hlen = header_end(c->in, c->inlen);
		if (hlen == 0) {
			if (c->inlen == sizeof(c->in)) {
				c->keepalive = 0;
				respond_error(c, 431, 0);
				c->inlen = 0;
				conn_write(c);
			}
			return;
		}
		handle_request(c, hlen);
		memmove(c->in, c->in + hlen, c->inlen - hlen);
		c->inlen -= hlen;
		if (!c->keepalive) {
			c->inlen = 0;	/* nothing after a closing request counts */
			c->discard = 0;
		}
		if (conn_write(c) <= 0)
			return;
	}
}

/* Reads what the socket has (level-triggered: epoll calls again while more
 * is pending) and handles complete requests.  May free c. */
static void
conn_read(struct conn *c)
{
	ssize_t r;

	if (c->state == C_DRAINING) {
		char junk[4096];

		for (;;) {
			r = recv(c->fd, junk, sizeof(junk), MSG_DONTWAIT);
			if (r > 0)
				continue;
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				return;
			conn_close(c);	/* EOF or error: the client has it all */
			return;
		}
	}
	if (c->state != C_READING)
		return;
	if (c->inlen < sizeof(c->in)) {
		r = recv(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen, MSG_DONTWAIT);
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return;
		if (r <= 0) {
			conn_close(c);
			return;
		}
		c->inlen += (size_t)r;
		c->last_ms = lib_now_ms();
	}
	conn_process(c);
}

static void
worker_accept(struct worker *w)
{
	int i;

	for (i = 0; i < 64; i++) {
		struct epoll_event ev;
		struct conn *c;
		int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC), one = 1;

		if (fd < 0)
			return;	/* EAGAIN, or a transient error such as EMFILE */
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		c->fd = fd;
		c->w = w;
		c->state = C_READING;
		c->last_ms = lib_now_ms();
		ev.events = EPOLLIN;
		ev.data.ptr = c;
		if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			close(fd);
			free(c);
			continue;
		}
		c->next = w->conns;
		if (w->conns)
			w->conns->prev = c;
		w->conns = c;
	}
}

/* Closes connections that made no progress for too long. */
static void
worker_sweep(struct worker *w)
{
	uint64_t now = lib_now_ms();
	struct conn *c = w->conns, *nx;

	for (; c; c = nx) {
		uint64_t limit = c->state == C_DRAINING ? DRAIN_MS : IDLE_MS;

		nx = c->next;
		if (now - c->last_ms > limit)
			conn_close(c);
	}
}

/* Paced responses whose allowance has grown since they paused. */
static int
worker_paced(struct worker *w)
{
	struct conn *c = w->conns, *nx;
	int waiting = 0;

	for (; c; c = nx) {
		int r;

		nx = c->next;
		if (!c->paced_wait)
			continue;
		r = conn_write(c);
		if (r == 1)
			conn_process(c);
		else if (r == 0 && c->paced_wait)
			waiting = 1;	/* (r == -1: closed and freed) */
	}
	return waiting;
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct epoll_event evs[128];
	uint64_t last_sweep = lib_now_ms();
	int paced = 0;

	for (;;) {
		int n = epoll_wait(w->epfd, evs, (int)LIB_ARRAY_LEN(evs), paced ? 10 : 1000), i;

		for (i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;

			if (!c) {
				worker_accept(w);
				continue;
			}
			if (c->state == C_WRITING) {
				if (conn_write(c) == 1)
					conn_process(c);	/* pipelined requests */
			} else {
				conn_read(c);
			}
		}
		paced = worker_paced(w);
		if (lib_now_ms() - last_sweep >= 1000) {
			worker_sweep(w);
			last_sweep = lib_now_ms();
		}
	}
	return NULL;
}

/* ---- start-up ------------------------------------------------------------------ */

static int
open_listener(const char *addr, const char *port)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE };
	struct addrinfo *ai;
	int fd, one = 1, rc;

	rc = getaddrinfo(addr, port, &hints, &ai);
	if (rc != 0)
		fatalx("bad address [%s]:%s: %s", addr, port, gai_strerror(rc));
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		fatal("socket");
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		fatal("SO_REUSEADDR");
	if (ai->ai_family == AF_INET6) {
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_FREEBIND, &one, sizeof(one)) < 0)
			fatal("IPV6_FREEBIND");
	} else if (setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one)) < 0) {
		fatal("IP_FREEBIND");
	}
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0)
		fatal("bind [%s]:%s", addr, port);
	if (listen(fd, 4096) < 0)
		fatal("listen");
	freeaddrinfo(ai);
	return fd;
}

static void
raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int
main(int argc, char **argv)
{
	static struct worker workers[MAX_WORKERS];
	const char *addr = NULL, *port = NULL, *arg;
	long nw = sysconf(_SC_NPROCESSORS_ONLN);
	struct lib_getopt g;
	sigset_t ss;
	char *end;
	int ch, i, sig;

	lib_log_init("sysplex-httpd", LIB_LOG_INFO);
	if (nw < 1)
		nw = 1;
	if (nw > 4)
		nw = 4;
	if (lib_opt_init(&g, opts, 0) < 0)
		return 2;
	g.prog = "sysplex-httpd";
	while ((ch = lib_opt_next(&g, argc, argv, &arg)) != -1) {
		switch (ch) {
		case 'a': addr = arg; break;
		case 'p': port = arg; break;
		case 'n': server_name = arg; break;
		case 'w':
			nw = strtol(arg, &end, 10);
			if (*end || nw < 1 || nw > MAX_WORKERS) {
				fprintf(stderr, "sysplex-httpd: -w %s: expected 1..%d worker threads\n",
					arg, MAX_WORKERS);
				usage();
			}
			break;
		case 'h': help(); return 0;
		case 'V': lib_opt_version(stdout, "sysplex-httpd"); return 0;
		default: usage();
		}
	}
	if (!addr || !port || !server_name) {
		fprintf(stderr, "sysplex-httpd: -a ADDR, -p PORT and -n NAME are required\n");
		usage();
	}
	if (optind != argc) {
		fprintf(stderr, "sysplex-httpd: unexpected operand %s\n", argv[optind]);
		usage();
	}
	{
		long pn = strtol(port, &end, 10);

		if (*end || pn < 1 || pn > 65535)
			fatalx("bad port %s", port);
	}
	server_name_len = strlen(server_name);
	if (server_name_len == 0 || server_name_len + 2 > sizeof(name_body))
		fatalx("bad name (1..%zu characters)", sizeof(name_body) - 2);
	for (i = 0; server_name[i]; i++)
		if ((unsigned char)server_name[i] < 0x21 || server_name[i] == 0x7f)
			fatalx("bad name: printable characters without spaces only");
	snprintf(name_body, sizeof(name_body), "%s\n", server_name);
	for (i = 0; i < (int)sizeof(pattern); i++)
		pattern[i] = (uint8_t)(i % PAT_MOD);

	signal(SIGPIPE, SIG_IGN);
	raise_nofile();
	listen_fd = open_listener(addr, port);

	/* Workers inherit a mask blocking SIGTERM/SIGINT; the main thread
	 * waits for them and exits. */
	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &ss, NULL);
	for (i = 0; i < nw; i++) {
		struct epoll_event ev = { .events = EPOLLIN | EPOLLEXCLUSIVE, .data.ptr = NULL };
		struct worker *w = &workers[i];

		w->epfd = epoll_create1(EPOLL_CLOEXEC);
		if (w->epfd < 0)
			fatal("epoll_create1");
		if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, listen_fd, &ev) < 0)
			fatal("epoll_ctl listener");
		if (pthread_create(&w->th, NULL, worker_main, w) != 0)
			fatalx("cannot start worker %d", i);
	}
	log_info("listening on %s%s%s:%s as %s (%ld workers)", strchr(addr, ':') ? "[" : "",
		 addr, strchr(addr, ':') ? "]" : "", port, server_name, nw);
	if (sigwait(&ss, &sig) == 0)
		log_info("signal %d: exiting", sig);
	return 0;
}
