/*
 * ctl.c - the client side of the control protocol (docs/RUNTIME.md): one
 * command line to a stack's ctl.sock (or an agent's agent.ctl), a status line
 * "RC=n", a body, and the server closes.  Also finds the routing stack by
 * asking every stack the private query SYSPLEX$ROLE.
 */
#include "sysplex/sysplex.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* The largest reply we keep (a VCRT of many connections can be long). */
#define CTL_MAX_REPLY (64u << 20)

int
plex_ctl(const char *path, const char *cmd, int json, int timeout_ms, int *rc,
	 struct lib_sbuf *body)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	uint64_t deadline = lib_now_ms() + (uint64_t)timeout_ms;
	struct lib_sbuf in = { 0 };
	char line[4096], *nl, *end;
	int fd, r, n;
	long v;

	memset(body, 0, sizeof(*body));
	if (lib_strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	n = snprintf(line, sizeof(line), "%s%s\n", json ? "JSON " : "", cmd);
	if (n < 0 || (size_t)n >= sizeof(line))
		return -E2BIG;
	/* Non-blocking, so a stack whose backlog is full (EAGAIN) or that
	 * never answers cannot hang us past the deadline. */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	while (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		r = -errno;
		if (r == -EINTR)
			continue;
		if (r == -EAGAIN && lib_now_ms() < deadline) {
			plex_msleep(10);
			continue;
		}
		close(fd);
		return r == -EAGAIN ? -ETIMEDOUT : r;
	}
	/* A command line is far smaller than a socket buffer. */
	if (lib_write_all(fd, line, (size_t)n) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		uint64_t now = lib_now_ms();
		char buf[16384];
		ssize_t got;

		if (now >= deadline) {
			close(fd);
			lib_sbuf_free(&in);
			return -ETIMEDOUT;
		}
		r = poll(&pfd, 1, (int)(deadline - now));
		if (r < 0 && errno != EINTR) {
			r = -errno;
			close(fd);
			lib_sbuf_free(&in);
			return r;
		}
		if (r <= 0)
			continue;
		got = read(fd, buf, sizeof(buf));
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			r = -errno;
			close(fd);
			lib_sbuf_free(&in);
			return r;
		}
		if (got == 0)
			break;
		if (in.len + (size_t)got > CTL_MAX_REPLY) {
			close(fd);
			lib_sbuf_free(&in);
			return -EMSGSIZE;
		}
		lib_sbuf_printf(&in, "%.*s", (int)got, buf);
		if (in.oom) {
			close(fd);
			lib_sbuf_free(&in);
			return -ENOMEM;
		}
	}
	close(fd);
	/* The status line: RC=n. */
	if (!in.s || strncmp(in.s, "RC=", 3) != 0) {
		lib_sbuf_free(&in);
		return -EPROTO;
	}
	v = strtol(in.s + 3, &end, 10);
	if (end == in.s + 3 || (*end != '\n' && *end != '\r' && *end != '\0')) {
		lib_sbuf_free(&in);
		return -EPROTO;
	}
	*rc = (int)v;
	nl = strchr(in.s, '\n');
	lib_sbuf_printf(body, "%s", nl ? nl + 1 : "");
	lib_sbuf_free(&in);
	return body->oom ? -ENOMEM : 0;
}

int
plex_find_routing(const struct plex_inst *in, const struct plex_state *st, int timeout_ms,
		  char *dvipa, size_t dlen)
{
	int i;

	for (i = 0; i < st->nhosts; i++) {
		struct lib_sbuf body;
		char path[PATH_MAX], *save = NULL, *l;
		int rc = 0;

		if (!st->h[i].is_system)
			continue;
		snprintf(path, sizeof(path), "%s/%s/ctl.sock", in->rundir, st->h[i].name);
		if (plex_ctl(path, "SYSPLEX$ROLE", 0, timeout_ms, &rc, &body) < 0)
			continue;
		if (rc != 0 || !body.s) {
			lib_sbuf_free(&body);
			continue;
		}
		/* One line per DVIPA: ADDR STATUS DIST. */
		for (l = strtok_r(body.s, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
			char a[64], status[32], dist[32];

			if (sscanf(l, "%63s %31s %31s", a, status, dist) != 3)
				continue;
			if (strcasecmp(status, "ACTIVE") == 0 &&
			    (strcasecmp(dist, "DIST") == 0 || strcasecmp(dist, "DIST/DEST") == 0)) {
				if (dvipa)
					lib_strlcpy(dvipa, a, dlen);
				lib_sbuf_free(&body);
				return i;
			}
		}
		lib_sbuf_free(&body);
	}
	return -1;
}
