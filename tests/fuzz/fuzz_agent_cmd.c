/*
 * fuzz_agent_cmd.c - libFuzzer harness for the client agent's command
 * parser and executor (client-agent/actl.c, included here; the rest of the
 * agent linked from build-fuzz/libagent.a): SHOW (the binding cache as a
 * result object, rendered as text or JSON) and SYSPLEX$LINK LOSS= DELAY=
 * (the agent's in-process delay line), as a line from its control socket
 * reaches them (lib/ctl.c frames lines; fuzz_ctl has that).  The agent
 * holds a per-connection binding and a per-home binding.
 *
 * Input: one octet (bit 0: JSON), then the command line (at most
 * LIB_CTL_LINE_MAX octets; NUL-terminated by the harness).  Proves, for any
 * input: no crash, no read out of bounds, no undefined behaviour; every
 * command gets an answer, and a JSON answer is JSON.
 */
#include "client-agent/actl.c"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>

#include "tests/fuzz/fuzz_agent.h"
#include "tests/fuzz/fuzz_seed.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct agent ag;
static const char *const seeds[] = {
	"SHOW", "show", "SYSPLEX$LINK LOSS=5 DELAY=20", "SYSPLEX$LINK", "SYSPLEX$LINK LOSS=0 DELAY=0",
	"SHOW X", "SYSPLEX$LINK LOSS=101", "D TCPIP,TCPCS,NETSTAT,VCRT",
};

static void
write_seeds(const char *dir)
{
	fuzz_seed_cmds(dir, seeds, sizeof(seeds) / sizeof(seeds[0]));
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_seed_init(write_seeds);
	ag.loop = uv_default_loop();
	ag.tun_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	lib_strlcpy(ag.lanif, "eth0", sizeof(ag.lanif));
	lib_strlcpy(ag.statedir, "/run/sysplex/FUZZ/CLIENT1", sizeof(ag.statedir));
	fuzz_agent_bind(&ag, 100000000);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char line[LIB_CTL_LINE_MAX + 1];
	struct lib_sbuf out;
	int json;

	if (size < 1 || size - 1 > LIB_CTL_LINE_MAX)
		return 0;
	json = data[0] & 1;
	memcpy(line, data + 1, size - 1);
	line[size - 1] = '\0';
	memset(&out, 0, sizeof(out));
	exec_cb(line, json, &out, &ag);
	if (!out.len)
		abort();	/* every command gets an answer */
	if (json) {
		json_t *v = lib_json_parse(out.s, out.len, NULL, 0);

		if (!v)
			abort();
		json_decref(v);
	}
	lib_sbuf_free(&out);
	return 0;
}
