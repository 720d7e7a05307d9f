/*
 * ctl.c - the control protocol of the daemons (docs/RUNTIME.md), both ends:
 * a Unix stream socket, mode 0600 (root only), one request line per
 * connection, "[JSON ]COMMAND\n", answered with a status line "RC=0" or
 * "RC=8" and a body, then closed.
 *
 *  - the server (lib_ctl_start): a request is read into a fixed buffer of
 *    LIB_CTL_LINE_MAX bytes; a line that does not fit (line end included) is
 *    refused whole with a one-line error, never cut and executed;
 *  - the client (lib_ctl_call): sends a line and reads the whole reply, in as
 *    many reads as it takes, within a deadline;
 *  - the answers: a display's result object written as JSON or rendered as
 *    text (lib_ctl_result), one-line success and error messages in either
 *    form (lib_ctl_ok, lib_ctl_error);
 *  - the request: the tokenizer (lib_ctl_parse, lib_ctl_operands), KEY=VALUE
 *    operands (lib_ctl_options, lib_ctl_link_parse) and where a daemon's
 *    socket is (lib_ctl_path).
 */
#include "lib/lib.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#define CTL_LINE_MAX LIB_CTL_LINE_MAX
#define CTL_DRAIN_MAX (1u << 20)	/* bytes of a refused line read and dropped */
#define CTL_REPLY_MAX (64u << 20)	/* the largest reply a client keeps */
#define TOO_LONG_FMT "command line too long: at most %d characters; nothing was done"

struct lib_ctl {
	uv_pipe_t pipe;
	char path[256];
	lib_ctl_exec_cb exec;
	void *arg;
};

struct ctl_conn {
	uv_pipe_t pipe;
	struct lib_ctl *srv;
	char line[CTL_LINE_MAX + 1];
	size_t len;
	int done;
	/* A refused line: the rest of it is read and dropped until the client
	 * closes, so that closing with unread data does not reset the
	 * connection before the client has read the answer. */
	int draining, eof, replied, closing;
	size_t drained;
	uv_write_t wr;
	uv_shutdown_t sh;
	struct lib_sbuf out;
};

static void
conn_close_cb(uv_handle_t *h)
{
	struct ctl_conn *c = h->data;

	lib_sbuf_free(&c->out);
	free(c);
}

static void
conn_close(struct ctl_conn *c)
{
	if (c->closing)
		return;
	c->closing = 1;
	uv_close((uv_handle_t *)&c->pipe, conn_close_cb);
}

static void
shutdown_cb(uv_shutdown_t *req, int status)
{
	struct ctl_conn *c = req->data;

	/* The client has its answer and our end of input; close once it has
	 * closed too (or when shutting down failed). */
	if (status < 0 || c->eof)
		conn_close(c);
}

static void
write_cb(uv_write_t *w, int status)
{
	struct ctl_conn *c = w->data;

	c->replied = 1;
	if (status == 0 && c->draining && !c->eof) {
		c->sh.data = c;
		if (uv_shutdown(&c->sh, (uv_stream_t *)&c->pipe, shutdown_cb) == 0)
			return;
	}
	conn_close(c);
}

static void
alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct ctl_conn *c = h->data;

	LIB_UNUSED(suggested);
	if (c->draining) {
		buf->base = c->line;
		buf->len = CTL_LINE_MAX;
		return;
	}
	buf->base = c->line + c->len;
	buf->len = CTL_LINE_MAX - c->len;
}

/* ---- the server ------------------------------------------------------------ */

/* Sends "RC=n\n" and the body, then closes. */
static void
send_reply(struct ctl_conn *c, int rc, const struct lib_sbuf *body)
{
	uv_buf_t b;

	lib_sbuf_printf(&c->out, "RC=%d\n%s", rc < 0 ? 8 : 0, body->s ? body->s : "");
	if (c->out.oom) {
		conn_close(c);
		return;
	}
	b = uv_buf_init(c->out.s, (unsigned)c->out.len);
	c->wr.data = c;
	if (uv_write(&c->wr, (uv_stream_t *)&c->pipe, &b, 1, write_cb) < 0)
		conn_close(c);
}

int
lib_ctl_frame(char *buf, size_t len, int eof, int *json, char **cmd)
{
	char *end;

	*json = len >= 5 && strncmp(buf, "JSON ", 5) == 0;
	*cmd = buf + (*json ? 5 : 0);
	end = memchr(buf, '\n', len);
	if (!end && !eof)
		return len >= CTL_LINE_MAX ? LIB_CTL_FRAME_LONG : LIB_CTL_FRAME_MORE;
	if (!end && len == 0)
		return LIB_CTL_FRAME_NONE;
	if (!end)
		end = buf + len;	/* closed after an unterminated line: that is it */
	*end = '\0';
	end = buf + strcspn(buf, "\r");
	*end = '\0';
	if (*json && *cmd > end)
		*cmd = end;
	return LIB_CTL_FRAME_LINE;
}

static void
respond(struct ctl_conn *c, int json, const char *line)
{
	struct lib_sbuf body = { 0 };
	int rc;

	c->done = 1;
	uv_read_stop((uv_stream_t *)&c->pipe);
	rc = c->srv->exec(line, json, &body, c->srv->arg);
	send_reply(c, rc, &body);
	lib_sbuf_free(&body);
}

/* A request line that does not fit the buffer: refused whole, never run. */
static void
refuse_long(struct ctl_conn *c, int json)
{
	struct lib_sbuf body = { 0 };

	c->done = 1;
	c->draining = 1;	/* keep reading, and drop what comes */
	send_reply(c, lib_ctl_error(&body, json, TOO_LONG_FMT, CTL_LINE_MAX - 1), &body);
	lib_sbuf_free(&body);
}

static void
read_cb(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
	struct ctl_conn *c = st->data;
	char *cmd;
	int json;

	LIB_UNUSED(buf);
	if (c->draining) {
		if (n > 0) {
			c->drained += (size_t)n;
			if (c->drained > CTL_DRAIN_MAX)
				conn_close(c);
		} else if (n < 0) {
			c->eof = 1;
			uv_read_stop(st);
			if (c->replied)
				conn_close(c);
		}
		return;
	}
	if (c->done || n == 0)
		return;
	if (n > 0)
		c->len += (size_t)n;
	else if (n != UV_EOF) {
		conn_close(c);
		return;
	}
	switch (lib_ctl_frame(c->line, c->len, n < 0, &json, &cmd)) {
	case LIB_CTL_FRAME_LINE:
		respond(c, json, cmd);
		break;
	case LIB_CTL_FRAME_LONG:
		refuse_long(c, json);
		break;
	case LIB_CTL_FRAME_NONE:
		conn_close(c);
		break;
	default:
		break;
	}
}

static void
accept_cb(uv_stream_t *server, int status)
{
	struct lib_ctl *srv = server->data;
	struct ctl_conn *c;

	if (status < 0 || !(c = calloc(1, sizeof(*c))))
		return;
	c->srv = srv;
	uv_pipe_init(server->loop, &c->pipe, 0);
	c->pipe.data = c;
	if (uv_accept(server, (uv_stream_t *)&c->pipe) < 0 ||
	    uv_read_start((uv_stream_t *)&c->pipe, alloc_cb, read_cb) < 0)
		conn_close(c);
}

static void
srv_close_cb(uv_handle_t *h)
{
	free(h->data);
}

struct lib_ctl *
lib_ctl_start(struct uv_loop_s *loop, const char *path, lib_ctl_exec_cb exec, void *arg, char *err,
	      size_t errlen)
{
	struct lib_ctl *c = calloc(1, sizeof(*c));
	mode_t old;
	int r;

	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	lib_strlcpy(c->path, path, sizeof(c->path));
	c->exec = exec;
	c->arg = arg;
	unlink(path);
	uv_pipe_init(loop, &c->pipe, 0);
	c->pipe.data = c;
	old = umask(0177);	/* the socket is created 0600: root only */
	r = uv_pipe_bind(&c->pipe, path);
	umask(old);
	if (r == 0) {
		chmod(path, 0600);
		r = uv_listen((uv_stream_t *)&c->pipe, 16, accept_cb);
	}
	if (r < 0) {
		snprintf(err, errlen, "control socket %s: %s", path, uv_strerror(r));
		uv_close((uv_handle_t *)&c->pipe, srv_close_cb);
		return NULL;
	}
	return c;
}

struct lib_ctl *
lib_ctl_open(struct uv_loop_s *loop, const char *dir, int agent, lib_ctl_exec_cb exec, void *arg)
{
	char path[256], err[300];
	struct lib_ctl *c;

	if (lib_ctl_path(path, sizeof(path), dir, NULL, agent) < 0) {
		log_warnx("control socket in %s: the path is too long", dir);
		return NULL;
	}
	if (!(c = lib_ctl_start(loop, path, exec, arg, err, sizeof(err))))
		log_warnx("%s", err);
	return c;
}

void
lib_ctl_stop(struct lib_ctl **cp)
{
	struct lib_ctl *c = *cp;

	if (!c)
		return;
	*cp = NULL;
	unlink(c->path);
	uv_close((uv_handle_t *)&c->pipe, srv_close_cb);
}


/* ---- answers ---------------------------------------------------------------- */

void
lib_ctl_say(struct lib_sbuf *out, int json, int ok, const char *fmt, ...)
{
	char msg[LIB_CTL_LINE_MAX + 512];
	va_list ap;
	json_t *o;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!json) {
		lib_sbuf_printf(out, "%s\n", msg);
		return;
	}
	o = ok ? json_pack("{s:b,s:o}", "ok", 1, "message", lib_json_str(msg))
	       : json_pack("{s:o}", "error", lib_json_str(msg));
	if (!o || lib_json_dump(out, o) < 0)
		out->oom = 1;
	json_decref(o);
}

int
lib_ctl_result(struct lib_sbuf *out, int json, json_t *result, lib_ctl_render_cb render,
	       void *arg)
{
	int r = 0;

	if (!result)
		return lib_ctl_error(out, json, "out of memory");
	if (json || !render)
		r = lib_json_dump(out, result);
	else
		render(result, out, arg);
	json_decref(result);
	return r < 0 || out->oom ? -1 : 0;
}

/* ---- the client ------------------------------------------------------------- */

static int
ms_left(uint64_t deadline)
{
	uint64_t now = lib_now_ms();

	return now >= deadline ? 0 : (int)(deadline - now);
}

/* Waits until fd is ready for events or the deadline passes: 1, 0
 * (timed out) or -errno. */
static int
wait_fd(int fd, short events, uint64_t deadline)
{
	for (;;) {
		struct pollfd p = { .fd = fd, .events = events };
		int left = ms_left(deadline), r;

		if (left == 0)
			return 0;
		r = poll(&p, 1, left);
		if (r > 0)
			return 1;
		if (r < 0 && errno != EINTR)
			return -errno;
	}
}

static int
call_connect(const char *path, uint64_t deadline)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd, r;

	if (lib_strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	/* Non-blocking, so a server whose backlog is full (EAGAIN) or that
	 * never answers cannot hold us past the deadline. */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	while (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };

		r = -errno;
		if (r == -EINTR)
			continue;
		if (r == -EAGAIN && ms_left(deadline) > 0) {
			nanosleep(&ts, NULL);
			continue;
		}
		close(fd);
		return r == -EAGAIN ? -ETIMEDOUT : r;
	}
	return fd;
}

/* Sends all of buf.  A server that closes before reading everything (it
 * refused the line) is not an error here: its answer is still to be read. */
static int
call_send(int fd, const char *buf, size_t len, uint64_t deadline)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
		int r;

		if (n > 0) {
			buf += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EPIPE || errno == ECONNRESET))
			return 0;
		if (n < 0 && errno != EAGAIN)
			return -errno;
		r = wait_fd(fd, POLLOUT, deadline);
		if (r <= 0)
			return r == 0 ? -ETIMEDOUT : r;
	}
	return 0;
}

/* Reads until the server closes; the whole reply in in. */
static int
call_recv(int fd, struct lib_sbuf *in, uint64_t deadline)
{
	char buf[16384];

	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		int r;

		if (n > 0) {
			if (in->len + (size_t)n > CTL_REPLY_MAX)
				return -EMSGSIZE;
			lib_sbuf_add(in, buf, (size_t)n);
			if (in->oom)
				return -ENOMEM;
			continue;
		}
		if (n == 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno == ECONNRESET && in->len > 0)
			return 0;
		if (errno != EAGAIN)
			return -errno;
		r = wait_fd(fd, POLLIN, deadline);
		if (r <= 0)
			return r == 0 ? -ETIMEDOUT : r;
	}
}

int
lib_ctl_reply_parse(const char *s, size_t len, int *rc, const char **body)
{
	size_t i = 3;
	long v = 0;

	if (len < 4 || strncmp(s, "RC=", 3) != 0)
		return -EPROTO;
	for (; i < len && i < 8 && isdigit((unsigned char)s[i]); i++)
		v = v * 10 + (s[i] - '0');
	if (i == 3)
		return -EPROTO;
	if (i < len && s[i] == '\r')
		i++;
	if (i < len && s[i] != '\n')
		return -EPROTO;
	*rc = (int)v;
	*body = s + (i < len ? i + 1 : len);
	return 0;
}

int
lib_ctl_call(const char *path, const char *cmd, int json, int timeout_ms, int *rc,
	     struct lib_sbuf *body)
{
	uint64_t deadline = lib_now_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);
	struct lib_sbuf in = { 0 };
	char line[4 * LIB_CTL_LINE_MAX];
	const char *b;
	int fd, r, n;

	memset(body, 0, sizeof(*body));
	if (strpbrk(cmd, "\r\n"))
		return -EINVAL;		/* one request is one line */
	n = snprintf(line, sizeof(line), "%s%s\n", json ? "JSON " : "", cmd);
	if (n < 0 || (size_t)n >= sizeof(line))
		return -E2BIG;
	fd = call_connect(path, deadline);
	if (fd < 0)
		return fd;
	r = call_send(fd, line, (size_t)n, deadline);
	if (r == 0)
		r = call_recv(fd, &in, deadline);
	close(fd);
	if (r == 0)
		r = in.s ? lib_ctl_reply_parse(in.s, in.len, rc, &b) : -EPROTO;
	if (r == 0) {
		lib_sbuf_add(body, b, in.len - (size_t)(b - in.s));
		if (body->oom) {
			lib_sbuf_free(body);
			r = -ENOMEM;
		}
	}
	lib_sbuf_free(&in);
	return r;
}

int
lib_ctl_call_json(const char *path, const char *cmd, int timeout_ms, int *rc, json_t **reply,
		  char *err, size_t errlen)
{
	struct lib_sbuf body;
	int r = lib_ctl_call(path, cmd, 1, timeout_ms, rc, &body);

	*reply = NULL;
	if (r < 0) {
		snprintf(err, errlen, "%s", strerror(-r));
		return r;
	}
	*reply = lib_json_parse(body.s ? body.s : "", body.len, err, errlen);
	lib_sbuf_free(&body);
	return *reply ? 0 : -EBADMSG;
}

int
lib_ctl_client(const char *prog, const char *dir, int agent, const char *cmd, int json,
	       int timeout_ms)
{
	struct lib_sbuf body;
	char path[256];
	int rc = 8, r;

	r = lib_ctl_path(path, sizeof(path), dir, NULL, agent);
	if (r == 0)
		r = lib_ctl_call(path, cmd, json, timeout_ms, &rc, &body);
	if (r < 0) {
		fprintf(stderr, "%s: no %s answers at %s: %s\n", prog, agent ? "agent" : "stack",
			path, strerror(-r));
		return 1;
	}
	if (body.s)
		fwrite(body.s, 1, body.len, stdout);
	lib_sbuf_free(&body);
	return rc == 0 ? 0 : 1;
}

/* ---- the request ------------------------------------------------------------ */

int
lib_ctl_operands(char *p, char **tok, int max)
{
	int n = 0;
	size_t k;

	for (k = 0; p[k]; k++)
		if (p[k] == ' ')
			p[k] = ',';
	/* Trailing empty fields do not count. */
	while (k > 0 && p[k - 1] == ',')
		p[--k] = '\0';
	if (!*p)
		return 0;
	for (;;) {
		char *comma = strchr(p, ',');

		if (n == max)
			return -E2BIG;
		tok[n++] = p;
		if (!comma)
			break;
		*comma = '\0';
		p = comma + 1;
	}
	return n;
}

int
lib_ctl_parse(const char *line, struct lib_ctl_cmd *c, char *err, size_t errlen)
{
	char *p;
	size_t k;

	c->verb = c->buf;
	c->buf[0] = '\0';
	c->ntok = 0;
	if (strlen(line) > LIB_CTL_LINE_MAX - 1) {
		snprintf(err, errlen, TOO_LONG_FMT, LIB_CTL_LINE_MAX - 1);
		return -EMSGSIZE;
	}
	lib_strlcpy(c->buf, line, sizeof(c->buf));
	for (k = 0; c->buf[k]; k++) {
		unsigned char ch = (unsigned char)c->buf[k];

		if (ch < 0x20 || ch > 0x7e) {
			snprintf(err, errlen, "command contains a non-printable character at column %zu",
				 k + 1);
			return -EILSEQ;
		}
		c->buf[k] = (char)toupper(ch);
	}
	p = c->buf;
	while (*p == ' ')
		p++;
	c->verb = p;
	p += strcspn(p, " ");
	if (*p)
		*p++ = '\0';
	while (*p == ' ')
		p++;
	c->ntok = lib_ctl_operands(p, c->tok, LIB_CTL_MAX_OPERANDS);
	if (c->ntok < 0) {
		c->ntok = 0;
		snprintf(err, errlen, "too many operands: at most %d after %s; nothing was done",
			 LIB_CTL_MAX_OPERANDS, c->verb);
		return -E2BIG;
	}
	return 0;
}

int
lib_ctl_options(char *const *tok, int n, const struct lib_ctl_opt *opts, int nopts,
		const char *expected, char *err, size_t errlen)
{
	int i, j;

	for (i = 0; i < n; i++) {
		const char *eq = strchr(tok[i], '=');
		size_t kl = eq ? (size_t)(eq - tok[i]) : 0;

		for (j = 0; j < nopts; j++)
			if (eq && strlen(opts[j].key) == kl && strncasecmp(tok[i], opts[j].key, kl) == 0)
				break;
		if (j == nopts) {
			snprintf(err, errlen, "unexpected operand '%s': expected %s", tok[i], expected);
			return -ENOENT;
		}
		{
			const struct lib_ctl_opt *o = &opts[j];
			char *end;
			long v = strtol(eq + 1, &end, 10);

			if (!eq[1] || *end || v < o->min || v > o->max) {
				snprintf(err, errlen, "%.*s must be %s%ld..%ld, not '%s'", (int)kl, tok[i],
					 o->unit, o->min, o->max, eq + 1);
				return -EINVAL;
			}
			*o->val = v;
		}
	}
	return 0;
}

int
lib_ctl_link_parse(char *const *tok, int n, long *loss, long *delay, char *err, size_t errlen)
{
	const struct lib_ctl_opt opts[] = {
		{ "LOSS", "a whole number of percent ", 0, 100, loss },
		{ "DELAY", "a whole number of milliseconds ", 0, 10000, delay },
	};

	return lib_ctl_options(tok, n, opts, 2, "LOSS=pct DELAY=ms", err, errlen);
}

int
lib_ctl_link(struct lib_sbuf *out, int json, char *const *tok, int n, long loss, long delay,
	     int (*set)(void *arg, int loss_pct, unsigned delay_ms), void *arg, const char *host,
	     const char *who)
{
	char err[LIB_CTL_LINE_MAX + 128];

	if (lib_ctl_link_parse(tok, n, &loss, &delay, err, sizeof(err)) < 0)
		return lib_ctl_error(out, json, "%s", err);
	if (set(arg, (int)loss, (unsigned)delay) < 0)
		return lib_ctl_error(out, json, "cannot set up the delay line");
	return lib_ctl_ok(out, json, "LINK OF %s: LOSS %ld%% DELAY %ld MS (IN THE %s TUN DATA PATH)",
			  host, loss, delay, who);
}

int
lib_ctl_path(char *buf, size_t len, const char *dir, const char *host, int agent)
{
	struct sockaddr_un sun;
	const char *sock = agent ? LIB_CTL_AGENT_SOCK : LIB_CTL_STACK_SOCK;
	int n = host ? snprintf(buf, len, "%s/%s/%s", dir, host, sock)
		     : snprintf(buf, len, "%s/%s", dir, sock);

	if (n < 0 || (size_t)n >= len || (size_t)n >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	return 0;
}
