/*
 * fuzz_plex_cmd.c - libFuzzer harness for the operator's command parser of
 * the launcher (sysplex/opcmd.c, plex_opcmd: what the console and `sysplex
 * cmd` take: ROUTE sys,cmd / ROUTE *ALL,cmd, D MIP6,BINDINGS[,client], the
 * choice of the stack, the refusals with the closest word), linked from
 * build-fuzz/libplex.a, against the sysplex of fuzz_plex.h: the harness
 * answers the launcher's requests to the stacks and agents itself, without
 * a socket, as the input's world octet describes.
 *
 * Input: one octet (bit 0: JSON; bit 1: no system named, so the routing
 * stack is looked for), the world octet (fuzz_plex.h), then the command
 * line (at most LIB_CTL_LINE_MAX octets), then optionally a NUL and the
 * reply the running stacks (and agents in state 3) give.  Proves,
 * for any input: no crash, no read out of bounds, no undefined behaviour;
 * the result is 0, 8 or -1 (with the reason); with the canned answers, an
 * RC=8 comes with an answer, and a JSON answer is JSON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fuzz_plex.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct {
	uint8_t flags, world;
	const char *line;
} seeds[] = {
	{ 0, 0, "D TCPIP,TCPCS,NETSTAT,VDPT" }, { 1, 0, "ROUTE SYSB,D TCPIP,TCPCS,NETSTAT,VCRT" },
	{ 0, 0, "RO *ALL,D TCPIP,TCPCS,SYSPLEX,VIPADYN" }, { 1, 0, "ROUTE SYSX,D XCF,GROUP" },
	{ 0, 0, "ROUTE SYSA,RO SYSB,D" }, { 1, 0, "D MIP6,BINDINGS" },
	{ 0, 0, "D MIP6,BINDINGS,CLIENT1" }, { 1, 0, "D MIP6,BINDINGS,CLIENTX" },
	{ 0, 0, "D XCF,GROUP,EZBTCPCS" }, { 1, 0, "V TCPIP,TCPCS,SYSPLEX,LEAVEGROUP" },
	{ 0, 0, "DISPLAY\tMIP6,BINDINGS" }, { 1, 0, "ROUTE ,D" }, { 0, 0, "ROUTE SYSA," },
	/* A sysplex that runs: SYSB routing, SYSA and SYSC backups, agents. */
	{ 2, 0x64, "D TCPIP,TCPCS,NETSTAT,VDPT" }, { 3, 0x64, "D TCPIP,TCPCS,NETSTAT,VDPT" },
	{ 3, 0x64, "RO *ALL,D TCPIP,TCPCS,NETSTAT,CONN" }, { 0, 0x64, "RO *ALL,D XCF,GROUP" },
	{ 2, 0x64, "D MIP6,BINDINGS" }, { 3, 0x64, "D MIP6,BINDINGS" },
	{ 3, 0xa4, "D MIP6,BINDINGS" }, { 2, 0xa4, "D MIP6,BINDINGS,CLIENT2" },
	/* No routing stack: the first that answers, or none; failing ones. */
	{ 2, 0x28, "D XCF,GROUP" }, { 2, 0x2f, "D XCF,GROUP" }, { 3, 0x3f, "RO *ALL,D XCF" },
	{ 2, 0x3c, "V TCPIP,TCPCS,SYSPLEX,QUIESCE,TARGET" },
};

/* Seeds with a reply of the input's. */
static const struct {
	uint8_t flags, world;
	const char *line, *reply;
} seeds_reply[] = {
	{ 3, 0xd9, "D MIP6,BINDINGS", "RC=0\n{\"mode\":\"standard\",\"records\":1,\"bindings\":"
	  "[{\"kind\":\"home\",\"home\":\"10.1.1.1\",\"careof\":\"fd00:1::9\",\"seq\":3}],"
	  "\"counters\":{\"direct_pkts\":[1,2.5,{\"x\":1}],\"bu_accepted\":1}}" },
	{ 3, 0xd9, "RO *ALL,D TCPIP,TCPCS,NETSTAT,VDPT", "RC=8\n{\"error\":\"EZZ0313I\"}" },
	{ 2, 0x15, "D XCF,GROUP", "RC=0\r\nEZZ8150I" },
	{ 3, 0x15, "RO *ALL,D XCF,GROUP", "RC=\n" },
	{ 2, 0x15, "D MIP6,BINDINGS", "RC=0\n[1,2" },
};

static void
write_seeds(const char *dir)
{
	size_t i;

	for (i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		char name[32];

		snprintf(name, sizeof(name), "cmd%02zu", i);
		write_seed(dir, name, seeds[i].flags, seeds[i].world, seeds[i].line, NULL);
	}
	for (i = 0; i < sizeof(seeds_reply) / sizeof(seeds_reply[0]); i++) {
		char name[32];

		snprintf(name, sizeof(name), "reply%02zu", i);
		write_seed(dir, name, seeds_reply[i].flags, seeds_reply[i].world,
			   seeds_reply[i].line, seeds_reply[i].reply);
	}
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_seed_init(write_seeds);
	fuzz_plex_init();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char line[LIB_CTL_LINE_MAX + 1];
	struct lib_sbuf out = { 0 }, err = { 0 };
	const uint8_t *nul;
	size_t len;
	int json, r;

	if (size < 2)
		return 0;
	json = data[0] & 1;
	world = data[1];
	data += 2;
	size -= 2;
	nul = memchr(data, 0, size);
	len = nul ? (size_t)(nul - data) : size;
	if (len > LIB_CTL_LINE_MAX)
		return 0;
	memcpy(line, data, len);
	line[len] = '\0';
	reply = nul ? (const char *)nul + 1 : NULL;
	reply_len = nul ? size - len - 1 : 0;
	r = plex_opcmd(&in, &st, (data[-2] & 2) ? NULL : "SYSA", line, json, 200, &out, &err);
	if (r == -1) {
		if (!err.len)
			abort();
	} else if (r != 0 && r != 8) {
		abort();
	} else if (reply) {
		/* The stacks' own answers pass through as they are (an empty
		 * refusal of a stack is an empty RC=8). */
	} else if (r == 8 && !out.len) {
		abort();
	} else if (json && out.len) {
		/* Every answer is JSON when the stacks' are (the canned ones). */
		json_t *v = lib_json_parse(out.s, out.len, NULL, 0);

		if (!v)
			abort();
		json_decref(v);
	}
	lib_sbuf_free(&out);
	lib_sbuf_free(&err);
	return 0;
}
