/*
 * actl.c - the agent's control socket (STATEDIR/agent.ctl, mode 0600) and
 * the client side used by `client-agent --show`.  Same protocol as the
 * stack's (docs/RUNTIME.md): "[JSON ]COMMAND\n" -> "RC=n\n" + body.
 * Commands: SHOW (the binding cache and counters).
 */
#include "client-agent/agent.h"

#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define ACTL_LINE_MAX 512

struct actl_client {
	uv_pipe_t pipe;
	struct agent *a;
	char line[ACTL_LINE_MAX + 1];
	size_t len;
	int done;
	uv_write_t wr;
	struct lib_sbuf out;
};

static void
close_cb(uv_handle_t *h)
{
	struct actl_client *c = h->data;

	lib_sbuf_free(&c->out);
	free(c);
}

static void
write_cb(uv_write_t *w, int status)
{
	struct actl_client *c = w->data;

	LIB_UNUSED(status);
	uv_close((uv_handle_t *)&c->pipe, close_cb);
}

static void
alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct actl_client *c = h->data;

	LIB_UNUSED(suggested);
	buf->base = c->line + c->len;
	buf->len = ACTL_LINE_MAX - c->len;
}

static void
respond(struct actl_client *c)
{
	struct lib_sbuf body = { 0 };
	char *line = c->line;
	int json = 0, rc = 0;
	size_t i;
	uv_buf_t b;

	c->done = 1;
	uv_read_stop((uv_stream_t *)&c->pipe);
	c->line[c->len] = '\0';
	line[strcspn(line, "\r\n")] = '\0';
	if (strncmp(line, "JSON ", 5) == 0) {
		json = 1;
		line += 5;
	}
	for (i = 0; line[i]; i++)
		line[i] = (char)toupper((unsigned char)line[i]);
	if (strcmp(line, "SHOW") == 0)
		agent_cn_show(c->a, json, &body);
	else if (strncmp(line, "SYSPLEX$LINK", 12) == 0) {
		int loss = c->a->link_loss_pct, delay = (int)c->a->link_delay_ms, bad = 0;
		char *t, *save = NULL;

		for (t = strtok_r(line + 12, " ,", &save); t; t = strtok_r(NULL, " ,", &save)) {
			char *end;
			long v;
			if (strncmp(t, "LOSS=", 5) == 0 && (v = strtol(t + 5, &end, 10), !*end) && v >= 0 && v <= 100)
				loss = (int)v;
			else if (strncmp(t, "DELAY=", 6) == 0 && (v = strtol(t + 6, &end, 10), !*end) && v >= 0 &&
				 v <= 10000)
				delay = (int)v;
			else
				bad = 1;
		}
		if (bad || agent_link(c->a, loss, (unsigned)delay) < 0) {
			rc = 8;
			lib_sbuf_printf(&body, json ? "{\"error\":\"expected SYSPLEX$LINK LOSS=0..100 DELAY=0..10000\"}\n" :
				       "expected SYSPLEX$LINK LOSS=0..100 DELAY=0..10000\n");
		} else if (json)
			lib_sbuf_printf(&body, "{\"ok\":true,\"message\":\"LINK LOSS %d%% DELAY %d MS\"}\n", loss, delay);
		else
			lib_sbuf_printf(&body, "LINK LOSS %d%% DELAY %d MS (in the agent's TUN data path)\n", loss, delay);
	} else {
		rc = 8;
		if (json)
			lib_sbuf_printf(&body, "{\"error\":\"unknown command: expected SHOW or SYSPLEX$LINK\"}\n");
		else
			lib_sbuf_printf(&body, "unknown command: expected SHOW or SYSPLEX$LINK\n");
	}
	lib_sbuf_printf(&c->out, "RC=%d\n%s", rc, body.s ? body.s : "");
	lib_sbuf_free(&body);
	if (c->out.oom) {
		uv_close((uv_handle_t *)&c->pipe, close_cb);
		return;
	}
	b = uv_buf_init(c->out.s, (unsigned)c->out.len);
	c->wr.data = c;
	if (uv_write(&c->wr, (uv_stream_t *)&c->pipe, &b, 1, write_cb) < 0)
		uv_close((uv_handle_t *)&c->pipe, close_cb);
}

static void
read_cb(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
	struct actl_client *c = st->data;

	LIB_UNUSED(buf);
	if (c->done)
		return;
	if (n > 0) {
		c->len += (size_t)n;
		if (memchr(c->line, '\n', c->len) || c->len >= ACTL_LINE_MAX)
			respond(c);
	} else if (n < 0) {
		if (n == UV_EOF && c->len > 0)
			respond(c);
		else
			uv_close((uv_handle_t *)st, close_cb);
	}
}

static void
conn_cb(uv_stream_t *server, int status)
{
	struct agent *a = server->data;
	struct actl_client *c;

	if (status < 0 || !(c = calloc(1, sizeof(*c))))
		return;
	c->a = a;
	uv_pipe_init(a->loop, &c->pipe, 0);
	c->pipe.data = c;
	if (uv_accept(server, (uv_stream_t *)&c->pipe) < 0 ||
	    uv_read_start((uv_stream_t *)&c->pipe, alloc_cb, read_cb) < 0)
		uv_close((uv_handle_t *)&c->pipe, close_cb);
}

int
agent_ctl_start(struct agent *a)
{
	mode_t old;
	int r;

	mkdir(a->statedir, 0700);
	snprintf(a->ctl_path, sizeof(a->ctl_path), "%s/agent.ctl", a->statedir);
	unlink(a->ctl_path);
	uv_pipe_init(a->loop, &a->ctl, 0);
	a->ctl.data = a;
	old = umask(0177);
	r = uv_pipe_bind(&a->ctl, a->ctl_path);
	umask(old);
	if (r == 0)
		r = uv_listen((uv_stream_t *)&a->ctl, 8, conn_cb);
	if (r < 0) {
		log_warnx("control socket %s: %s", a->ctl_path, uv_strerror(r));
		return -1;
	}
	return 0;
}

void
agent_ctl_stop(struct agent *a)
{
	uv_close((uv_handle_t *)&a->ctl, NULL);
	uv_run(a->loop, UV_RUN_NOWAIT);
	unlink(a->ctl_path);
}

/* `client-agent --show`: prints the reply body; exit status 0 or 1. */
int
agent_ctl_client(const char *statedir, const char *cmd, int json)
{
	struct sockaddr_un sa;
	char buf[4096], req[256];
	int fd, first = 1, rc = 1;
	struct pollfd p;
	ssize_t n;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/agent.ctl", statedir);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "client-agent: no agent answers at %s: %s\n", sa.sun_path,
			strerror(errno));
		if (fd >= 0)
			close(fd);
		return 1;
	}
	snprintf(req, sizeof(req), "%s%s\n", json ? "JSON " : "", cmd);
	lib_write_all(fd, req, strlen(req));
	p.fd = fd;
	p.events = POLLIN;
	while (poll(&p, 1, 5000) > 0 && (n = read(fd, buf, sizeof(buf))) > 0) {
		char *body = buf;
		if (first) {
			char *nl = memchr(buf, '\n', (size_t)n);
			if (!nl || strncmp(buf, "RC=", 3) != 0)
				break;
			rc = atoi(buf + 3) == 0 ? 0 : 1;
			body = nl + 1;
			n -= body - buf;
			first = 0;
		}
		fwrite(body, 1, (size_t)n, stdout);
	}
	close(fd);
	return first ? 1 : rc;
}
