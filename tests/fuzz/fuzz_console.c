/*
 * fuzz_console.c - libFuzzer harness for the launcher's operator console
 * (sysplex/console.c, plex_console_line: blank lines and comments, the
 * console's own verbs SYSTEM [name], JSON ON|OFF, HELP, EXIT/QUIT/END, the
 * refusal of an unknown verb with the closest word, and what goes on to
 * plex_opcmd on the current system), linked from build-fuzz/libplex.a,
 * against the sysplex of fuzz_plex.h (the harness answers the launcher's
 * requests itself, as the input's world octet describes).  The console
 * reads the instance's state before each command through its state_read,
 * which the harness answers from memory (or fails, for an instance that is
 * no longer up).
 *
 * Input: one octet (bit 0: JSON ON at start; bit 1: the console is a
 * terminal; bits 2-3: the current system at start, SYSA, SYSB, SYSC or
 * none; bit 4: the instance is no longer up), the world octet, then the
 * console's input: lines, each given with its line end as getline gives
 * it, up to a NUL; after the NUL, the reply the running stacks give.  The
 * lines run in order on one console, as a piped console runs them, until
 * one leaves.  Properties checked, beyond "no crash, no read out of bounds,
 * no undefined behaviour": each line returns 0 or 1; the current system is
 * always none or a system of the instance, by its own name; JSON mode is on
 * or off; a failure is never forgotten; HELP and SYSTEM print something.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzz_plex.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define INPUT_MAX 4096

static struct plex_state cst;	/* the console's state, read per command */
static int down;		/* the instance is no longer up */

static const struct {
	uint8_t flags, world;
	const char *text, *reply;
} seeds[] = {
	{ 0, 0, "SYSTEM\nSYSTEM SYSB\nSYSTEM\n", NULL }, { 2, 0, "sys sysc\nsystem\n", NULL },
	{ 0, 0, "SYSTEM SYSX\n", NULL }, { 0, 0, "SYSTEM CLIENT1\n", NULL }, { 0, 0, "SYSTEM SYSA SYSB\n", NULL },
	{ 0, 0, "JSON ON\nSYSTEM SYSQ\nJSON off\nJSON\nJSON MAYBE\n", NULL }, { 1, 0, "JSON ON X\n", NULL },
	{ 0, 0, "HELP\n?\n", NULL }, { 0, 0, "EXIT\nHELP\n", NULL }, { 0, 0, "quit\n", NULL }, { 0, 0, "End\n", NULL },
	{ 0, 0, "* a comment\n# another\n\n   \t\n", NULL }, { 0, 0, "DSIPLAY TCPIP\n", NULL },
	{ 1, 0, "FOO\n", NULL }, { 0, 0, "SYSPLEX$ROLE\n", NULL }, { 0x10, 0, "SYSTEM SYSB\nHELP\nEXIT\n", NULL },
	{ 0x0c, 0, "D TCPIP,TCPCS,NETSTAT,VDPT\n", NULL },
	{ 0, 0x64, "D TCPIP,TCPCS,NETSTAT,VDPT\r\nSYSTEM SYSC\nD XCF,GROUP\n", NULL },
	{ 1, 0x64, "RO *ALL,D TCPIP,TCPCS,NETSTAT,CONN\nD MIP6,BINDINGS\n", NULL },
	{ 0, 0x64, "JSON ON\nROUTE SYSB,D XCF,GROUP\nJSON OFF\nV TCPIP,TCPCS,SYSPLEX,LEAVEGROUP\n", NULL },
	{ 0x04, 0x3f, "D XCF,GROUP\nSYSTEM SYSA\nD XCF,GROUP\n", NULL },
	{ 0, 0x15, "D XCF,GROUP\nRO *ALL,D\n", "RC=0\nEZZ8150I\n" },
};

static void
write_seeds(const char *dir)
{
	size_t i;

	for (i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		char name[32];

		snprintf(name, sizeof(name), "console%02zu", i);
		write_seed(dir, name, seeds[i].flags, seeds[i].world, seeds[i].text, seeds[i].reply);
	}
}

/* The console's state_read: the instance's state from memory, what the
 * state file of fuzz_plex.h's instance holds (the rest of the 800 KB
 * struct stays empty, as in st: copying it whole was most of the time). */
static int
state_read(const struct plex_inst *i, struct plex_state *s)
{
	(void)i;
	if (down)
		return -1;
	memcpy(s->instance, st.instance, sizeof(s->instance));
	memcpy(s->sysplex, st.sysplex, sizeof(s->sysplex));
	s->nhosts = st.nhosts;
	memcpy(s->h, st.h, (size_t)st.nhosts * sizeof(s->h[0]));
	return 0;
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

/* Is s none or one of the instance's systems by its own name? */
static int
is_system(const char *s)
{
	int i;

	if (!s[0])
		return 1;
	for (i = 0; i < st.nhosts; i++)
		if (st.h[i].is_system && strcmp(st.h[i].name, s) == 0)
			return 1;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const start[] = { "SYSA", "SYSB", "SYSC", "" };
	struct plex_console c = { .in = &in, .st = &cst, .state_read = state_read };
	char buf[INPUT_MAX + 1];
	const uint8_t *nul;
	size_t len, off;

	if (size < 2 || size - 2 > INPUT_MAX)
		return 0;
	c.json = data[0] & 1;
	c.tty = (data[0] >> 1) & 1;
	lib_strlcpy(c.sys, start[(data[0] >> 2) & 3], sizeof(c.sys));
	down = (data[0] >> 4) & 1;
	world = data[1];
	data += 2;
	size -= 2;
	nul = memchr(data, 0, size);
	len = nul ? (size_t)(nul - data) : size;
	reply = nul ? (const char *)nul + 1 : NULL;
	reply_len = nul ? size - len - 1 : 0;
	for (off = 0; off < len;) {
		const uint8_t *nl = memchr(data + off, '\n', len - off);
		size_t l = nl ? (size_t)(nl - (data + off)) + 1 : len - off;
		struct lib_sbuf out = { 0 };
		int failed = c.failed, r;

		/* The line as getline gives it: with its line end. */
		memcpy(buf, data + off, l);
		buf[l] = '\0';
		off += l;
		r = plex_console_line(&c, buf, &out);
		if ((r != 0 && r != 1) || !is_system(c.sys) || (c.json != 0 && c.json != 1) ||
		    (failed && !c.failed))
			abort();
		if (r == 0 && !down && !out.len) {
			/* What always prints: HELP, SYSTEM alone. */
			char w[8] = "";

			sscanf(buf, "%7s", w);
			if (strcasecmp(w, "HELP") == 0 || strcmp(w, "?") == 0 ||
			    (strcasecmp(w, "SYSTEM") == 0 && strspn(buf + strspn(buf, " \t") + 6,
								     " \t\r\n") ==
			     strlen(buf + strspn(buf, " \t") + 6)))
				abort();
		}
		lib_sbuf_free(&out);
		if (r == 1)
			break;
	}
	return 0;
}
