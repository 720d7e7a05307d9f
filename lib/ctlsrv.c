/*
 * ctlsrv.c - the control-socket server the daemons share (docs/RUNTIME.md):
 * a Unix stream socket, mode 0600 (root only), one request line per
 * connection, answered with a status line and a body, then closed.  A request
 * is read into a fixed buffer of LIB_CTL_LINE_MAX bytes; a line that does not
 * fit (line end included) is refused whole with a one-line error, never cut
 * and executed.
 */
#include "lib/lib.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#define CTL_LINE_MAX LIB_CTL_LINE_MAX
#define CTL_DRAIN_MAX (1u << 20)	/* bytes of a refused line read and dropped */

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

static void
respond(struct ctl_conn *c)
{
	struct lib_sbuf body = { 0 };
	char *line = c->line;
	int json = 0, rc;

	c->done = 1;
	uv_read_stop((uv_stream_t *)&c->pipe);
	c->line[c->len] = '\0';
	line[strcspn(line, "\r\n")] = '\0';
	if (strncmp(line, "JSON ", 5) == 0) {
		json = 1;
		line += 5;
	}
	rc = c->srv->exec(line, json, &body, c->srv->arg);
	send_reply(c, rc, &body);
	lib_sbuf_free(&body);
}

/* A request line that does not fit the buffer: refused whole, never run. */
static void
refuse_long(struct ctl_conn *c)
{
	struct lib_sbuf body = { 0 };
	char msg[128];

	c->done = 1;
	c->draining = 1;	/* keep reading, and drop what comes */
	snprintf(msg, sizeof(msg), "command line too long: at most %d characters; nothing was done",
		 CTL_LINE_MAX - 1);
	if (strncmp(c->line, "JSON ", 5) == 0) {
		lib_sbuf_printf(&body, "{\"error\":");
		lib_sbuf_json_str(&body, msg);
		lib_sbuf_printf(&body, "}\n");
	} else {
		lib_sbuf_printf(&body, "%s\n", msg);
	}
	send_reply(c, -1, &body);
	lib_sbuf_free(&body);
}

static void
read_cb(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
	struct ctl_conn *c = st->data;

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
	if (c->done)
		return;
	if (n > 0) {
		c->len += (size_t)n;
		if (memchr(c->line, '\n', c->len))
			respond(c);
		else if (c->len >= CTL_LINE_MAX)
			refuse_long(c);
	} else if (n < 0) {
		if (n == UV_EOF && c->len > 0)
			respond(c);
		else
			conn_close(c);
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
