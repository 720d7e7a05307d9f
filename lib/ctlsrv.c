/*
 * ctlsrv.c - the control-socket server the daemons share (docs/RUNTIME.md):
 * a Unix stream socket, mode 0600 (root only), one request line per
 * connection, answered with a status line and a body, then closed.  A request
 * is read into a fixed buffer; a line longer than CTL_LINE_MAX is cut there.
 */
#include "lib/lib.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#define CTL_LINE_MAX 1024

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
	uv_write_t wr;
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
write_cb(uv_write_t *w, int status)
{
	struct ctl_conn *c = w->data;

	LIB_UNUSED(status);
	uv_close((uv_handle_t *)&c->pipe, conn_close_cb);
}

static void
alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct ctl_conn *c = h->data;

	LIB_UNUSED(suggested);
	buf->base = c->line + c->len;
	buf->len = CTL_LINE_MAX - c->len;
}

static void
respond(struct ctl_conn *c)
{
	struct lib_sbuf body = { 0 };
	char *line = c->line;
	int json = 0, rc;
	uv_buf_t b;

	c->done = 1;
	uv_read_stop((uv_stream_t *)&c->pipe);
	c->line[c->len] = '\0';
	line[strcspn(line, "\r\n")] = '\0';
	if (strncmp(line, "JSON ", 5) == 0) {
		json = 1;
		line += 5;
	}
	rc = c->srv->exec(line, json, &body, c->srv->arg);
	lib_sbuf_printf(&c->out, "RC=%d\n%s", rc < 0 ? 8 : 0, body.s ? body.s : "");
	lib_sbuf_free(&body);
	if (c->out.oom) {
		uv_close((uv_handle_t *)&c->pipe, conn_close_cb);
		return;
	}
	b = uv_buf_init(c->out.s, (unsigned)c->out.len);
	c->wr.data = c;
	if (uv_write(&c->wr, (uv_stream_t *)&c->pipe, &b, 1, write_cb) < 0)
		uv_close((uv_handle_t *)&c->pipe, conn_close_cb);
}

static void
read_cb(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
	struct ctl_conn *c = st->data;

	LIB_UNUSED(buf);
	if (c->done)
		return;
	if (n > 0) {
		c->len += (size_t)n;
		if (memchr(c->line, '\n', c->len) || c->len >= CTL_LINE_MAX)
			respond(c);
	} else if (n < 0) {
		if (n == UV_EOF && c->len > 0)
			respond(c);
		else
			uv_close((uv_handle_t *)st, conn_close_cb);
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
		uv_close((uv_handle_t *)&c->pipe, conn_close_cb);
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
