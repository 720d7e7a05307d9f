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

/* One line, as text or {"error": ...}; RC=8. */
static int
refuse(struct lib_sbuf *body, int json, const char *msg)
{
	if (json) {
		lib_sbuf_printf(body, "{\"error\":");
		lib_sbuf_json_str(body, msg);
		lib_sbuf_printf(body, "}\n");
	} else {
		lib_sbuf_printf(body, "%s\n", msg);
	}
	return -1;
}

/* SYSPLEX$LINK LOSS=pct DELAY=ms, worded as the stacks word it. */
static int
do_link(struct agent *a, char *args, int json, struct lib_sbuf *body)
{
	int loss = a->link_loss_pct, delay = (int)a->link_delay_ms;
	char *t, *save = NULL, msg[200];
	const char *host = strrchr(a->statedir, '/');

	for (t = strtok_r(args, " ,", &save); t; t = strtok_r(NULL, " ,", &save)) {
		char *end;
		long v;

		if (strncmp(t, "LOSS=", 5) == 0) {
			v = strtol(t + 5, &end, 10);
			if (!t[5] || *end || v < 0 || v > 100) {
				snprintf(msg, sizeof(msg), "LOSS must be a whole number of percent 0..100, "
					 "not '%.40s'", t + 5);
				return refuse(body, json, msg);
			}
			loss = (int)v;
		} else if (strncmp(t, "DELAY=", 6) == 0) {
			v = strtol(t + 6, &end, 10);
			if (!t[6] || *end || v < 0 || v > 10000) {
				snprintf(msg, sizeof(msg), "DELAY must be a whole number of milliseconds "
					 "0..10000, not '%.40s'", t + 6);
				return refuse(body, json, msg);
			}
			delay = (int)v;
		} else {
			snprintf(msg, sizeof(msg), "unexpected operand '%.40s': expected LOSS=pct DELAY=ms",
				 t);
			return refuse(body, json, msg);
		}
	}
	if (agent_link(a, loss, (unsigned)delay) < 0)
		return refuse(body, json, "cannot set up the delay line");
	snprintf(msg, sizeof(msg), "LINK OF %.20s: LOSS %d%% DELAY %d MS (IN THE AGENT'S TUN DATA PATH)",
		 host && host[1] ? host + 1 : a->lanif, loss, delay);
	if (json) {
		lib_sbuf_printf(body, "{\"ok\":true,\"message\":");
		lib_sbuf_json_str(body, msg);
		lib_sbuf_printf(body, "}\n");
	} else {
		lib_sbuf_printf(body, "%s\n", msg);
	}
	return 0;
}

static int
exec_cb(const char *cmd, int json, struct lib_sbuf *body, void *arg)
{
	struct agent *a = arg;
	char line[LIB_CTL_LINE_MAX];
	size_t i;

	if (lib_strlcpy(line, cmd, sizeof(line)) >= sizeof(line))
		return refuse(body, json, "command line too long; nothing was done");
	for (i = 0; line[i]; i++)
		line[i] = (char)toupper((unsigned char)line[i]);
	if (strcmp(line, "SHOW") == 0) {
		agent_cn_show(a, json, body);
		return 0;
	}
	if (strncmp(line, "SYSPLEX$LINK", 12) == 0 && (line[12] == '\0' || line[12] == ' '))
		return do_link(a, line + 12, json, body);
	return refuse(body, json, "unknown command: expected SHOW or SYSPLEX$LINK");
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
