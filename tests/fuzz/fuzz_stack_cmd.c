/*
 * fuzz_stack_cmd.c - libFuzzer harness for the routing stack's operator
 * command parser and executor (tcpip-stack/ctl.c, stack_ctl_exec: D
 * TCPIP,...,  V TCPIP,...,SYSPLEX,..., SYSPLEX$...), as a line from the
 * control socket reaches it (lib/ctl.c frames lines; fuzz_ctl has that),
 * with the displays rendered as text or JSON, on the stack of
 * tests/fuzz/fuzz_stack.h.
 *
 * Input: one octet (bit 0: JSON), then the command line (at most
 * LIB_CTL_LINE_MAX octets; NUL-terminated by the harness).  Proves, for any
 * input: no crash, no read out of bounds, no undefined behaviour, and an
 * answer is always written.
 */
#include "tests/fuzz/fuzz_stack.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const seeds[] = {
	"D TCPIP,TCPCS,NETSTAT,VDPT", "D TCPIP,TCPCS,NETSTAT,VCRT", "D TCPIP,TCPCS,NETSTAT,VIPADYN",
	"D TCPIP,TCPCS,SYSPLEX,VIPADYN", "D TCPIP,TCPCS,SYSPLEX,GROUP", "D XCF,GROUP,EZBTCPCS",
	"D XCF,COUPLE", "SYSPLEX$STATS", "SYSPLEX$ROLE", "SYSPLEX$LINK LOSS=5 DELAY=0",
	"SYSPLEX$CDS LOSS", "V TCPIP,TCPCS,SYSPLEX,LEAVEGROUP", "V TCPIP,TCPCS,SYSPLEX,JOINGROUP",
	"V TCPIP,TCPCS,SYSPLEX,DEACTIVATE,DVIPA=fd00:100::1",
	"V TCPIP,TCPCS,SYSPLEX,QUIESCE,PORT=80", "D TCPIP,TCPCS,NETSTAT,CONFIG",
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
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char line[LIB_CTL_LINE_MAX + 1];
	struct lib_sbuf out;

	if (size < 1 || size - 1 > LIB_CTL_LINE_MAX)
		return 0;
	fz_stack_next();
	memcpy(line, data + 1, size - 1);
	line[size - 1] = '\0';
	memset(&out, 0, sizeof(out));
	stack_ctl_exec(&fz_st, line, data[0] & 1, &out);
	if (!out.len)
		abort();	/* every command gets an answer */
	lib_sbuf_free(&out);
	return 0;
}
