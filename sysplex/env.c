/*
 * env.c - what the launcher's commands share about where they run: the
 * program's own directory and the daemons' (plex_self_dir, plex_bin_dir),
 * the default topology, the root check, valid names, the program of each
 * daemon role, the "instance is not up" message and the command line that
 * starts a system's stack (`up` and `restart` start it alike).  It calls no other file of the launcher, so every command file may
 * call it (levels: sysplex.h).
 */
#include "sysplex/sysplex.h"

#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *
plex_self_dir(void)
{
	static char dir[PATH_MAX];
	char exe[PATH_MAX];
	ssize_t n;

	if (dir[0])
		return dir;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0) {
		lib_strlcpy(dir, ".", sizeof(dir));
		return dir;
	}
	exe[n] = '\0';
	lib_strlcpy(dir, dirname(exe), sizeof(dir));
	return dir;
}

const char *
plex_bin_dir(void)
{
	const char *d = getenv("SYSPLEX_BIN_DIR");

	return d && *d ? d : plex_self_dir();
}

int
plex_check_root(void)
{
	if (geteuid() != 0) {
		fprintf(stderr, "sysplex: must run as root (it creates network namespaces)\n");
		return -1;
	}
	return 0;
}

int
plex_name_ok(const char *s, size_t max, int upper)
{
	char lo = upper ? 'A' : 'a', hi = upper ? 'Z' : 'z';
	size_t i, n = strlen(s);

	if (n < 1 || n > max)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= lo && s[i] <= hi) || (s[i] >= '0' && s[i] <= '9')))
			return 0;
	return 1;
}

const char *
plex_prog_name(const char *role)
{
	if (strcmp(role, "stack") == 0)
		return "tcpip-stack";
	if (strcmp(role, "httpd") == 0)
		return "sysplex-httpd";
	if (strcmp(role, "agent") == 0)
		return "client-agent";
	return role;
}

static const char *
inst_opt(const struct plex_inst *in, char *buf, size_t len)
{
	if (strcmp(in->name, "plex") == 0)
		buf[0] = '\0';
	else
		snprintf(buf, len, " --instance %s", in->name);
	return buf;
}

void
plex_not_up(const struct plex_inst *in)
{
	char o[32];

	fprintf(stderr, "sysplex: instance %s is not up (no %s); start it with `sysplex%s up`\n",
		in->name, in->statefile, inst_opt(in, o, sizeof(o)));
}

int
plex_shipped_topology(const char *name, char *path, size_t len)
{
	const char *home = getenv("SYSPLEX_HOME");

	if (home && *home) {
		snprintf(path, len, "%s/sysplex/topologies/%s", home, name);
		return access(path, R_OK);
	}
	/* Installed (PREFIX/sbin and PREFIX/share/sysplex), else the build
	 * tree (bin/ and sysplex/topologies/). */
	snprintf(path, len, "%s/../share/sysplex/topologies/%s", plex_self_dir(), name);
	if (access(path, R_OK) == 0)
		return 0;
	snprintf(path, len, "%s/../sysplex/topologies/%s", plex_self_dir(), name);
	return access(path, R_OK);
}

int
plex_default_topology(char *path, size_t len)
{
	return plex_shipped_topology("default.lua", path, len);
}

void
plex_stack_argv(const struct plex_inst *in, const char *bindir, const char *sys,
		const char *tcpname, char *argv[PLEX_STACK_ARGV], char bufs[4][PATH_MAX])
{
	int n = 0;

	snprintf(bufs[0], PATH_MAX, "%s/tcpip-stack", bindir);
	snprintf(bufs[1], PATH_MAX, "%s/%s/profile", in->rundir, sys);
	snprintf(bufs[2], PATH_MAX, "%s/couple.cfg", in->rundir);
	snprintf(bufs[3], PATH_MAX, "%s/%s", in->rundir, sys);
	argv[n++] = bufs[0];
	argv[n++] = "-p";
	argv[n++] = bufs[1];
	argv[n++] = "-c";
	argv[n++] = bufs[2];
	argv[n++] = "-s";
	argv[n++] = (char *)sys;
	argv[n++] = "-t";
	argv[n++] = (char *)tcpname;
	argv[n++] = "-i";
	argv[n++] = "lan0";
	argv[n++] = "-d";
	argv[n++] = bufs[3];
	/* SYSPLEX_STACK_POLL=1: targets poll their socket table (tcpip-stack
	 * -P), the fallback of connection events, for comparisons. */
	if (getenv("SYSPLEX_STACK_POLL") && strcmp(getenv("SYSPLEX_STACK_POLL"), "1") == 0)
		argv[n++] = "-P";
	/* SYSPLEX_STACK_MAX_CONNS=N: the stacks' tables (tcpip-stack -C N),
	 * for the benchmarks' large levels; the stack checks N. */
	if (getenv("SYSPLEX_STACK_MAX_CONNS") && *getenv("SYSPLEX_STACK_MAX_CONNS")) {
		argv[n++] = "-C";
		argv[n++] = getenv("SYSPLEX_STACK_MAX_CONNS");
	}
	argv[n] = NULL;
}
