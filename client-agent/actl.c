/*
 * actl.c - the agent's control socket (STATEDIR/agent.ctl, mode 0600, served
 * by lib/ctlsrv.c) and the client side used by `client-agent --show`.
 * Commands: SHOW (the binding cache and counters), SYSPLEX$LINK LOSS= DELAY=
 * (fault injection in the agent's TUN path).
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

static int
exec_cb(const char *cmd, int json, struct lib_sbuf *body, void *arg)
{
	struct agent *a = arg;
	char line[LIB_CTL_LINE_MAX];
	size_t i;

	if (lib_strlcpy(line, cmd, sizeof(line)) >= sizeof(line)) {
		lib_sbuf_printf(body, json ? "{\"error\":\"command line too long\"}\n" :
				"command line too long\n");
		return -1;
	}
	for (i = 0; line[i]; i++)
		line[i] = (char)toupper((unsigned char)line[i]);
	if (strcmp(line, "SHOW") == 0) {
		agent_cn_show(a, json, body);
		return 0;
	}
	if (strncmp(line, "SYSPLEX$LINK", 12) == 0) {
		int loss = a->link_loss_pct, delay = (int)a->link_delay_ms, bad = 0;
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
		if (bad || agent_link(a, loss, (unsigned)delay) < 0) {
			lib_sbuf_printf(body, json ? "{\"error\":\"expected SYSPLEX$LINK LOSS=0..100 DELAY=0..10000\"}\n" :
				       "expected SYSPLEX$LINK LOSS=0..100 DELAY=0..10000\n");
			return -1;
		}
		if (json)
			lib_sbuf_printf(body, "{\"ok\":true,\"message\":\"LINK LOSS %d%% DELAY %d MS\"}\n", loss, delay);
		else
			lib_sbuf_printf(body, "LINK LOSS %d%% DELAY %d MS (in the agent's TUN data path)\n", loss, delay);
		return 0;
	}
	if (json)
		lib_sbuf_printf(body, "{\"error\":\"unknown command: expected SHOW or SYSPLEX$LINK\"}\n");
	else
		lib_sbuf_printf(body, "unknown command: expected SHOW or SYSPLEX$LINK\n");
	return -1;
}

int
agent_ctl_start(struct agent *a)
{
	char path[256], err[300];

	mkdir(a->statedir, 0700);
	snprintf(path, sizeof(path), "%s/agent.ctl", a->statedir);
	a->ctl = lib_ctl_start(a->loop, path, exec_cb, a, err, sizeof(err));
	if (!a->ctl) {
		log_warnx("%s", err);
		return -1;
	}
	return 0;
}

void
agent_ctl_stop(struct agent *a)
{
	lib_ctl_stop(&a->ctl);
	uv_run(a->loop, UV_RUN_NOWAIT);
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
