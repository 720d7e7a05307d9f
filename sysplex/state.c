/*
 * state.c - the launcher's state file, /run/sysplex/INST/state.
 *
 * The file records what `sysplex up` made: namespaces, hosts and every daemon
 * (pid, start time, namespace, log).  It is rewritten atomically after each
 * step of `up`, so a crash in the middle still leaves `sysplex down` enough
 * to kill what was started.  Format: see sysplex.h (one record a line,
 * single-space separated, unknown lines ignored so the format can grow).
 */
#include "sysplex/sysplex.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

int
plex_state_write(const struct plex_inst *in, const struct plex_state *st)
{
	struct lib_sbuf b = { 0 };
	char tmp[PATH_MAX + 8];
	int i, fd, rc;

	lib_sbuf_printf(&b, "sysplex-state 1\ninstance %s\ntopology %s\nsysplex %s\n",
			st->instance, st->topology[0] ? st->topology : "-", st->sysplex);
	if (st->bindir[0])
		lib_sbuf_printf(&b, "bindir %s\n", st->bindir);
	for (i = 0; i < st->nns; i++)
		lib_sbuf_printf(&b, "ns %s\n", st->ns[i]);
	for (i = 0; i < st->nhosts; i++) {
		const struct plex_state_host *h = &st->h[i];

		lib_sbuf_printf(&b, "host %s %s %s %s %s %s\n", h->name, plex_host_role(h), h->ns,
				h->lan,
				h->xcf[0] ? h->xcf : "-", h->tcpname[0] ? h->tcpname : "-");
	}
	for (i = 0; i < st->nprocs; i++) {
		const struct plex_proc *p = &st->p[i];

		lib_sbuf_printf(&b, "proc %s %s %d %llu %s %s\n", p->host, p->role, (int)p->pid,
				p->starttime, p->ns, p->log);
	}
	if (b.oom) {
		lib_sbuf_free(&b);
		return -ENOMEM;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", in->statefile);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		rc = -errno;
		lib_sbuf_free(&b);
		return rc;
	}
	rc = lib_write_all(fd, b.s, b.len);
	lib_sbuf_free(&b);
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, in->statefile) < 0)
		rc = -errno;
	if (rc < 0)
		unlink(tmp);
	return rc;
}

/* Splits line into at most max space-separated fields; returns the count. */
static int
split(char *line, char **f, int max)
{
	int n = 0;
	char *save = NULL, *t;

	for (t = strtok_r(line, " \t\r\n", &save); t && n < max; t = strtok_r(NULL, " \t\r\n", &save))
		f[n++] = t;
	return n;
}

int
plex_state_read(const struct plex_inst *in, struct plex_state *st)
{
	char line[PATH_MAX + 256];
	FILE *f;

	memset(st, 0, sizeof(*st));
	f = fopen(in->statefile, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *fl[8];
		int n;

		if (strncmp(line, "topology ", 9) == 0) {
			/* The rest of the line: a path may hold spaces. */
			line[strcspn(line, "\r\n")] = '\0';
			lib_strlcpy(st->topology, line + 9, sizeof(st->topology));
			continue;
		}
		if (strncmp(line, "bindir ", 7) == 0) {
			line[strcspn(line, "\r\n")] = '\0';
			lib_strlcpy(st->bindir, line + 7, sizeof(st->bindir));
			continue;
		}
		n = split(line, fl, 8);
		if (n == 2 && strcmp(fl[0], "instance") == 0) {
			lib_strlcpy(st->instance, fl[1], sizeof(st->instance));
		} else if (n == 2 && strcmp(fl[0], "sysplex") == 0) {
			lib_strlcpy(st->sysplex, fl[1], sizeof(st->sysplex));
		} else if (n == 2 && strcmp(fl[0], "ns") == 0 && st->nns < (int)LIB_ARRAY_LEN(st->ns)) {
			lib_strlcpy(st->ns[st->nns++], fl[1], sizeof(st->ns[0]));
		} else if (n == 7 && strcmp(fl[0], "host") == 0 && st->nhosts < PLEX_MAX_HOSTS) {
			struct plex_state_host *h = &st->h[st->nhosts++];

			lib_strlcpy(h->name, fl[1], sizeof(h->name));
			h->is_system = strcmp(fl[2], "system") == 0;
			h->is_router = strcmp(fl[2], "router") == 0;
			lib_strlcpy(h->ns, fl[3], sizeof(h->ns));
			lib_strlcpy(h->lan, fl[4], sizeof(h->lan));
			lib_strlcpy(h->xcf, strcmp(fl[5], "-") ? fl[5] : "", sizeof(h->xcf));
			lib_strlcpy(h->tcpname, strcmp(fl[6], "-") ? fl[6] : "", sizeof(h->tcpname));
		} else if (n == 7 && strcmp(fl[0], "proc") == 0 && st->nprocs < PLEX_MAX_PROCS) {
			struct plex_proc *p = &st->p[st->nprocs++];

			lib_strlcpy(p->host, fl[1], sizeof(p->host));
			lib_strlcpy(p->role, fl[2], sizeof(p->role));
			p->pid = (pid_t)strtol(fl[3], NULL, 10);
			p->starttime = strtoull(fl[4], NULL, 10);
			lib_strlcpy(p->ns, fl[5], sizeof(p->ns));
			lib_strlcpy(p->log, fl[6], sizeof(p->log));
		}
	}
	fclose(f);
	return 0;
}

int
plex_state_index(const struct plex_state *st, const char *name, int systems_only)
{
	int i;

	for (i = 0; i < st->nhosts; i++)
		if ((!systems_only || st->h[i].is_system) && strcasecmp(st->h[i].name, name) == 0)
			return i;
	return -1;
}

const char *
plex_host_role(const struct plex_state_host *h)
{
	return h->is_system ? "system" : h->is_router ? "router" : "client";
}

const struct plex_state_host *
plex_state_host(const struct plex_state *st, const char *name)
{
	int i = plex_state_index(st, name, 0);

	return i < 0 ? NULL : &st->h[i];
}
