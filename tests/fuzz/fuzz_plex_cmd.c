/*
 * fuzz_plex_cmd.c - libFuzzer harness for the operator's command parser of
 * the launcher (sysplex/opcmd.c, plex_opcmd: what the console and `sysplex
 * cmd` take: ROUTE sys,cmd / ROUTE *ALL,cmd, D MIP6,BINDINGS[,client], the
 * choice of the stack, the refusals with the closest word), linked from
 * build-fuzz/libplex.a.  The instance has systems SYSA, SYSB, SYSC, clients
 * CLIENT1, CLIENT2 and a router, and its run directory is empty: what the
 * launcher would send to a stack or an agent finds no control socket and is
 * answered as "not running" (the stacks' own parser is fuzz_stack_cmd's).
 *
 * Input: one octet (bit 0: JSON; bit 1: no system named, so the routing
 * stack is looked for), then the command line (at most LIB_CTL_LINE_MAX
 * octets; NUL-terminated by the harness).  Proves, for any input: no crash,
 * no read out of bounds, no undefined behaviour; the result is 0, 8 (with
 * an answer) or -1 (with the reason), and a JSON answer is JSON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "sysplex/sysplex.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct plex_inst in;
static struct plex_state st;
static char rundir[] = "/tmp/fuzz_plex_cmd.XXXXXX";
static const char *const seeds[] = {
	"D TCPIP,TCPCS,NETSTAT,VDPT", "ROUTE SYSB,D TCPIP,TCPCS,NETSTAT,VCRT",
	"RO *ALL,D TCPIP,TCPCS,SYSPLEX,VIPADYN", "ROUTE SYSX,D XCF,GROUP", "ROUTE SYSA,RO SYSB,D",
	"D MIP6,BINDINGS", "D MIP6,BINDINGS,CLIENT1", "D MIP6,BINDINGS,CLIENTX",
	"D XCF,GROUP,EZBTCPCS", "V TCPIP,TCPCS,SYSPLEX,LEAVEGROUP", "DISPLAY\tMIP6,BINDINGS",
	"ROUTE ,D", "ROUTE SYSA,",
};

static void
host(int i, const char *name, int sys, int router)
{
	lib_strlcpy(st.h[i].name, name, sizeof(st.h[i].name));
	st.h[i].is_system = sys;
	st.h[i].is_router = router;
	snprintf(st.h[i].ns, sizeof(st.h[i].ns), "FUZZ-%s", name);
	snprintf(st.h[i].lan, sizeof(st.h[i].lan), "fd00:1::%d", i + 1);
	lib_strlcpy(st.h[i].tcpname, "TCPCS", sizeof(st.h[i].tcpname));
}

static void
cleanup(void)
{
	rmdir(rundir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("FUZZ_WRITE_SEEDS");
	size_t i;

	(void)argc;
	(void)argv;
	lib_log_init("fuzz", (enum lib_log_level)(LIB_LOG_ERR + 1));
	if (dir) {
		for (i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
			char path[512];
			FILE *f;

			snprintf(path, sizeof(path), "%s/cmd%02zu", dir, i);
			if ((f = fopen(path, "wb"))) {
				fputc((int)(i & 1), f);
				fputs(seeds[i], f);
				fclose(f);
			}
		}
		exit(0);
	}
	if (!mkdtemp(rundir))
		abort();
	atexit(cleanup);
	plex_inst_init(&in, "FUZZ");
	lib_strlcpy(in.rundir, rundir, sizeof(in.rundir));
	lib_strlcpy(st.instance, "FUZZ", sizeof(st.instance));
	lib_strlcpy(st.sysplex, "PLEX1", sizeof(st.sysplex));
	host(0, "SYSA", 1, 0);
	host(1, "SYSB", 1, 0);
	host(2, "SYSC", 1, 0);
	host(3, "CLIENT1", 0, 0);
	host(4, "CLIENT2", 0, 0);
	host(5, "ROUTER1", 0, 1);
	st.nhosts = 6;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char line[LIB_CTL_LINE_MAX + 1];
	struct lib_sbuf out = { 0 }, err = { 0 };
	int json, r;

	if (size < 1 || size - 1 > LIB_CTL_LINE_MAX)
		return 0;
	json = data[0] & 1;
	memcpy(line, data + 1, size - 1);
	line[size - 1] = '\0';
	r = plex_opcmd(&in, &st, (data[0] & 2) ? NULL : "SYSA", line, json, 200, &out, &err);
	if (r == -1) {
		if (!err.len)
			abort();
	} else if (r != 0 && r != 8) {
		abort();
	} else if (r == 8 && !out.len) {
		abort();
	} else if (json && out.len) {
		json_t *v = lib_json_parse(out.s, out.len, NULL, 0);

		if (!v)
			abort();
		json_decref(v);
	}
	lib_sbuf_free(&out);
	lib_sbuf_free(&err);
	return 0;
}
