/*
 * fuzz_ctl.c - libFuzzer harness for the control protocol (lib/ctl.c, with
 * lib/util.c and lib/json.c; included here because `make fuzz` builds a
 * harness with wire/ only; links libuv and jansson): the server's framing
 * of a request as it arrives in reads of any size, the request tokenizer
 * and the KEY=VALUE operands, the client's reading of a reply, and the JSON
 * parser the launcher reads daemon replies with.
 *
 * Input: one byte choosing the sizes of the reads, then the bytes a client
 * sends.  Properties checked, beyond "no crash, no out-of-bounds access":
 *  - framing as the server does it (reads of at most the room left in the
 *    LIB_CTL_LINE_MAX buffer): a request is decided once; a line longer than
 *    the buffer is refused, never cut and run; a request has no line end
 *    and is shorter than the buffer; the decision does not depend on how
 *    the bytes were split into reads;
 *  - a request that tokenizes has at most LIB_CTL_MAX_OPERANDS operands,
 *    upper case printable text without blanks or commas; an error is one line;
 *  - a reply that parses has its body inside the input;
 *  - JSON that parses dumps to text that parses to an equal value.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/ctl.c"
#include "lib/log.c"
#include "lib/json.c"
#include "lib/util.c"
#include "lib/clock.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Frames data as the server would with reads of the sizes seed chooses;
 * returns the decision, the command copied into cmd_out. */
static int
frame(const uint8_t *data, size_t size, unsigned seed, int *json, char *cmd_out)
{
	static char line[LIB_CTL_LINE_MAX + 1];
	size_t len = 0, off = 0;
	char *cmd;
	int r = LIB_CTL_FRAME_MORE;

	while (off < size) {
		size_t room = LIB_CTL_LINE_MAX - len, n;

		seed = seed * 1103515245u + 12345u;
		n = seed ? 1 + (seed >> 16) % 300 : size;
		if (n > room)
			n = room;
		if (n > size - off)
			n = size - off;
		memcpy(line + len, data + off, n);
		len += n;
		off += n;
		r = lib_ctl_frame(line, len, 0, json, &cmd);
		if (r != LIB_CTL_FRAME_MORE)
			break;
	}
	if (r == LIB_CTL_FRAME_MORE)
		r = lib_ctl_frame(line, len, 1, json, &cmd);
	if (r == LIB_CTL_FRAME_LINE) {
		size_t l = strlen(cmd);

		if (l >= LIB_CTL_LINE_MAX || strpbrk(cmd, "\r\n") || cmd < line || cmd > line + len)
			abort();
		memcpy(cmd_out, cmd, l + 1);
	}
	if (r == LIB_CTL_FRAME_LONG && (len != LIB_CTL_LINE_MAX || memchr(line, '\n', len)))
		abort();
	if (r == LIB_CTL_FRAME_NONE && size != 0)
		abort();
	return r;
}

static void
one_line(const char *err)
{
	if (strchr(err, '\n'))
		abort();
}

static void
request(const char *cmd)
{
	static struct lib_ctl_cmd c;
	char err[LIB_CTL_LINE_MAX + 256];
	long loss = 0, delay = 0, a = 0, b = 0;
	const struct lib_ctl_opt opts[] = {
		{ "PORT", "", 1, 65535, &a },
		{ "DVIPA", "", 0, 1, &b },
	};
	int i;

	err[0] = '\0';
	if (lib_ctl_parse(cmd, &c, err, sizeof(err)) < 0) {
		one_line(err);
		return;
	}
	if (c.ntok < 0 || c.ntok > LIB_CTL_MAX_OPERANDS || strchr(c.verb, ' '))
		abort();
	for (i = 0; i < c.ntok; i++) {
		const char *t;

		for (t = c.tok[i]; *t; t++)
			if (*t == ',' || *t == ' ' || *t < 0x20 || *t > 0x7e ||
			    (*t >= 'a' && *t <= 'z'))
				abort();
	}
	err[0] = '\0';
	if (lib_ctl_link_parse(c.tok, c.ntok, &loss, &delay, err, sizeof(err)) == 0) {
		if (loss < 0 || loss > 100 || delay < 0 || delay > 10000)
			abort();
	} else {
		one_line(err);
	}
	err[0] = '\0';
	if (lib_ctl_options(c.tok, c.ntok, opts, 2, "PORT=n DVIPA=0|1", err, sizeof(err)) < 0)
		one_line(err);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char cmd1[LIB_CTL_LINE_MAX + 1], cmd2[LIB_CTL_LINE_MAX + 1];
	const char *body;
	char err[200];
	json_t *v, *w;
	int j1, j2, r1, r2, rc;

	if (size < 1)
		return 0;
	/* The same bytes in one read each time and in reads of chosen sizes. */
	r1 = frame(data + 1, size - 1, 0, &j1, cmd1);
	r2 = frame(data + 1, size - 1, data[0] | 1u, &j2, cmd2);
	if (r1 != r2 || j1 != j2 || (r1 == LIB_CTL_FRAME_LINE && strcmp(cmd1, cmd2) != 0))
		abort();
	if (r1 == LIB_CTL_FRAME_LINE)
		request(cmd1);

	if (lib_ctl_reply_parse((const char *)data, size, &rc, &body) == 0 &&
	    (body < (const char *)data || body > (const char *)data + size || rc < 0 || rc > 99999))
		abort();

	err[0] = '\0';
	v = lib_json_parse((const char *)data, size, err, sizeof(err));
	if (v) {
		char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

		if (!text)
			abort();
		w = lib_json_parse(text, strlen(text), err, sizeof(err));
		if (!w || !json_equal(v, w))
			abort();
		json_decref(w);
		free(text);
		json_decref(v);
	} else {
		one_line(err);
	}
	return 0;
}
