/*
 * test_ctl_proto.c - proves the control protocol's client and request side
 * (lib/ctl.c) and the JSON layer under the answers (lib/json.c), over real
 * Unix sockets:
 *  - lib_ctl_call reads a whole reply that a server writes in many small
 *    pieces with pauses (a client that took one read got only "RC=0\n"),
 *    and a reply of 1 MiB;
 *  - it gives up with -ETIMEDOUT at its deadline on a server that accepts
 *    and never answers, and -EPROTO on a reply without a status line; it
 *    refuses a command holding a line break (two requests) with -EINVAL;
 *  - against the real server (lib_ctl_start on a libuv loop): a display
 *    answered with lib_ctl_result arrives as JSON with integers above 2^53
 *    (up to 2^63 - 1) intact after lib_ctl_call_json, and as the renderer's
 *    text; an error as {"error": ...}; a line longer than the server takes
 *    is refused whole;
 *  - lib_ctl_parse: upper case, verb and operands, blank line, the length,
 *    printable and 16-operand limits with their messages;
 *  - lib_ctl_options / lib_ctl_link_parse: values, ranges, unknown operands,
 *    messages naming the key as written;
 *  - lib_ctl_path and lib_ctl_reply_parse;
 *  - lib_json_str escapes quotes, backslashes and control characters and
 *    replaces bytes that are not UTF-8; lib_json_parse is strict and names
 *    the offset of an error.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "lib/lib.h"

#define BIG ((json_int_t)9007199254740993LL)	/* 2^53 + 1: not a double */
#define HUGE_INT ((json_int_t)INT64_MAX)

static void
msleep(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* ---- a raw server on its own thread ---------------------------------------- */

enum raw_mode { RAW_CHUNKED, RAW_SILENT, RAW_NO_STATUS, RAW_MIB };

struct raw {
	char dir[64], path[96];
	int lfd;
	enum raw_mode mode;
	char req[256];
	pthread_t th;
};

static void *
raw_main(void *arg)
{
	struct raw *r = arg;
	int fd = accept(r->lfd, NULL, NULL);
	size_t got = 0;
	ssize_t n;

	if (fd < 0)
		return NULL;
	while (got < sizeof(r->req) - 1 && (n = read(fd, r->req + got, sizeof(r->req) - 1 - got)) > 0) {
		got += (size_t)n;
		if (memchr(r->req, '\n', got))
			break;
	}
	r->req[got] = '\0';
	switch (r->mode) {
	case RAW_CHUNKED: {
		static const char reply[] = "RC=0\nfirst line\nsecond line\n";
		size_t i;

		/* One byte at a time, with pauses: many reads for the client. */
		for (i = 0; i < sizeof(reply) - 1; i++) {
			if (write(fd, reply + i, 1) != 1)
				break;
			msleep(i % 5 == 0 ? 5 : 0);
		}
		break;
	}
	case RAW_SILENT:
		/* Never answers; waits until the client gives up and closes. */
		while (read(fd, r->req, sizeof(r->req)) > 0)
			;
		break;
	case RAW_NO_STATUS:
		n = write(fd, "hello\n", 6);
		(void)n;
		break;
	case RAW_MIB: {
		static char big[1 << 20];

		memset(big, 'x', sizeof(big));
		big[sizeof(big) - 1] = '\n';
		n = write(fd, "RC=8\n", 5);
		(void)n;
		lib_write_all(fd, big, sizeof(big));
		break;
	}
	}
	close(fd);
	return NULL;
}

static void
raw_start(struct raw *r, enum raw_mode mode)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	memset(r, 0, sizeof(*r));
	r->mode = mode;
	strcpy(r->dir, "/tmp/test_ctlp.XXXXXX");
	assert_non_null(mkdtemp(r->dir));
	assert_int_equal(lib_ctl_path(r->path, sizeof(r->path), r->dir, NULL, 0), 0);
	lib_strlcpy(sa.sun_path, r->path, sizeof(sa.sun_path));
	r->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(r->lfd >= 0);
	assert_int_equal(bind(r->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(r->lfd, 4), 0);
	assert_int_equal(pthread_create(&r->th, NULL, raw_main, r), 0);
}

static void
raw_stop(struct raw *r)
{
	pthread_join(r->th, NULL);
	close(r->lfd);
	unlink(r->path);
	rmdir(r->dir);
}

/* One lib_ctl_call to a raw server in mode; its result, *rc, body and the
 * request the server read (req). */
static int
raw_call(enum raw_mode mode, const char *cmd, int json, int timeout_ms, int *rc,
	 struct lib_sbuf *body, char *req, size_t reqlen)
{
	struct raw r;
	int x;

	raw_start(&r, mode);
	x = lib_ctl_call(r.path, cmd, json, timeout_ms, rc, body);
	raw_stop(&r);
	lib_strlcpy(req, r.req, reqlen);
	return x;
}

static void
test_call_reads_pieces(void **state)
{
	struct lib_sbuf body;
	char req[256];
	int rc = -1;

	(void)state;
	assert_int_equal(raw_call(RAW_CHUNKED, "D TCPIP,,SYSPLEX,GROUP", 1, 10000, &rc, &body, req,
				  sizeof(req)), 0);
	assert_string_equal(req, "JSON D TCPIP,,SYSPLEX,GROUP\n");
	assert_int_equal(rc, 0);
	assert_string_equal(body.s, "first line\nsecond line\n");
	assert_int_equal(body.len, strlen(body.s));
	lib_sbuf_free(&body);
	/* 1 MiB after an RC=8 status line. */
	assert_int_equal(raw_call(RAW_MIB, "SHOW", 0, 10000, &rc, &body, req, sizeof(req)), 0);
	assert_string_equal(req, "SHOW\n");
	assert_int_equal(rc, 8);
	assert_int_equal(body.len, 1u << 20);
	assert_int_equal(body.s[0], 'x');
	assert_int_equal(body.s[body.len - 1], '\n');
	lib_sbuf_free(&body);
}

static void
test_call_times_out(void **state)
{
	struct lib_sbuf body;
	char req[256];
	int rc = -1;

	(void)state;
	assert_int_equal(raw_call(RAW_SILENT, "SYSPLEX$ROLE", 0, 200, &rc, &body, req, sizeof(req)),
			 -ETIMEDOUT);
	assert_null(body.s);
	assert_int_equal(rc, -1);
	/* No status line. */
	assert_int_equal(raw_call(RAW_NO_STATUS, "SHOW", 0, 10000, &rc, &body, req, sizeof(req)),
			 -EPROTO);
}

static void
test_call_refuses_bad_replies(void **state)
{
	struct lib_sbuf body;
	struct raw r;
	int rc = -1;

	(void)state;
	/* A body that is not JSON where JSON was asked for. */
	{
		char err[160];
		json_t *v;

		raw_start(&r, RAW_CHUNKED);
		assert_int_equal(lib_ctl_call_json(r.path, "SHOW", 10000, &rc, &v, err, sizeof(err)),
				 -EBADMSG);
		raw_stop(&r);
		assert_null(v);
		assert_int_equal(strncmp(err, "offset ", 7), 0);
	}
	/* Nobody listens. */
	assert_int_equal(lib_ctl_call("/tmp/no/such/ctl.sock", "SHOW", 0, 1000, &rc, &body), -ENOENT);
	/* A line break would make two requests. */
	assert_int_equal(lib_ctl_call("/tmp/x", "SHOW\nV TCPIP,,SYSPLEX,LEAVEGROUP", 0, 1000, &rc,
				      &body), -EINVAL);
}

/* The command-line client: exit status 0 for RC=0, 1 for a refusal and 1
 * when nobody answers; the body goes to stdout. */
static void
test_client_exit_status(void **state)
{
	struct raw r;

	(void)state;
	raw_start(&r, RAW_CHUNKED);
	assert_int_equal(lib_ctl_client("test", r.dir, 0, "SHOW", 0, 10000), 0);
	raw_stop(&r);
	assert_string_equal(r.req, "SHOW\n");
	raw_start(&r, RAW_MIB);
	assert_int_equal(lib_ctl_client("test", r.dir, 0, "SHOW", 1, 10000), 1);
	raw_stop(&r);
	assert_string_equal(r.req, "JSON SHOW\n");
	assert_int_equal(lib_ctl_client("test", "/tmp/no/such/dir", 1, "SHOW", 0, 1000), 1);
}

/* ---- the real server on a libuv loop thread --------------------------------- */

struct srv {
	char dir[64], path[96];
	uv_loop_t loop;
	uv_async_t stop;
	struct lib_ctl *ctl;
	pthread_t th;
	int calls;
};

static void
render_text(const json_t *r, struct lib_sbuf *o, void *arg)
{
	(void)arg;
	lib_sbuf_printf(o, "BIG %lld HUGE %lld NAME %s\n", lib_json_geti(r, "big", 0),
			lib_json_geti(r, "huge", 0), lib_json_gets(r, "name", "?"));
}

static int
srv_exec(const char *line, int json, struct lib_sbuf *out, void *arg)
{
	struct srv *s = arg;

	s->calls++;
	if (strcmp(line, "SHOW") == 0)
		return lib_ctl_result(out, json, json_pack("{s:I,s:I,s:o,s:I}", "big", BIG, "huge",
							   HUGE_INT, "name", lib_json_str("A\"B"),
							   "neg", (json_int_t)INT64_MIN), render_text,
				      NULL);
	if (strcmp(line, "OK") == 0)
		return lib_ctl_ok(out, json, "DONE %d", 42);
	return lib_ctl_error(out, json, "unknown command '%s': expected SHOW or OK", line);
}

static void
srv_stop_cb(uv_async_t *a)
{
	struct srv *s = a->data;

	lib_ctl_stop(&s->ctl);
	uv_close((uv_handle_t *)a, NULL);
}

static void *
srv_main(void *arg)
{
	struct srv *s = arg;

	uv_run(&s->loop, UV_RUN_DEFAULT);
	return NULL;
}

static int
srv_setup(void **state)
{
	struct srv *s = calloc(1, sizeof(*s));

	assert_non_null(s);
	strcpy(s->dir, "/tmp/test_ctlp.XXXXXX");
	assert_non_null(mkdtemp(s->dir));
	assert_int_equal(uv_loop_init(&s->loop), 0);
	/* The agent's socket in that directory, as the agent opens it. */
	assert_non_null(s->ctl = lib_ctl_open(&s->loop, s->dir, 1, srv_exec, s));
	assert_int_equal(lib_ctl_path(s->path, sizeof(s->path), s->dir, NULL, 1), 0);
	uv_async_init(&s->loop, &s->stop, srv_stop_cb);
	s->stop.data = s;
	assert_int_equal(pthread_create(&s->th, NULL, srv_main, s), 0);
	*state = s;
	return 0;
}

static int
srv_teardown(void **state)
{
	struct srv *s = *state;

	uv_async_send(&s->stop);
	pthread_join(s->th, NULL);
	assert_int_equal(uv_loop_close(&s->loop), 0);
	rmdir(s->dir);
	free(s);
	return 0;
}

/* 64-bit integers go through the server, the socket and the client's
 * parser with every digit. */
static void
test_json_round_trip(void **state)
{
	struct srv *s = *state;
	char err[160];
	json_t *v = NULL;
	int rc = -1;

	assert_int_equal(lib_ctl_call_json(s->path, "WHAT", 10000, &rc, &v, err, sizeof(err)), 0);
	assert_int_equal(rc, 8);
	assert_non_null(strstr(lib_json_gets(v, "error", ""), "unknown command 'WHAT'"));
	json_decref(v);
	assert_int_equal(lib_ctl_call_json(s->path, "SHOW", 10000, &rc, &v, err, sizeof(err)), 0);
	assert_int_equal(rc, 0);
	assert_true(json_is_integer(json_object_get(v, "big")));
	assert_true(lib_json_geti(v, "big", 0) == BIG);
	assert_true(lib_json_geti(v, "huge", 0) == HUGE_INT);
	assert_true(lib_json_geti(v, "neg", 0) == INT64_MIN);
	assert_string_equal(lib_json_gets(v, "name", ""), "A\"B");
	json_decref(v);
}

static void
test_server_answers(void **state)
{
	static const struct {
		const char *cmd;
		int json, rc;
		const char *body;
	} t[] = {
		{ "SHOW", 1, 0, "{\"big\":9007199254740993,\"huge\":9223372036854775807,"
				"\"name\":\"A\\\"B\",\"neg\":-9223372036854775808}\n" },
		{ "SHOW", 0, 0, "BIG 9007199254740993 HUGE 9223372036854775807 NAME A\"B\n" },
		{ "OK", 1, 0, "{\"ok\":true,\"message\":\"DONE 42\"}\n" },
		{ "OK", 0, 0, "DONE 42\n" },
		{ "X\"Y", 1, 8, "{\"error\":\"unknown command 'X\\\"Y': expected SHOW or OK\"}\n" },
		{ "X\"Y", 0, 8, "unknown command 'X\"Y': expected SHOW or OK\n" },
	};
	struct srv *s = *state;
	struct lib_sbuf b;
	char *line;
	size_t i;
	int rc = -1;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(lib_ctl_call(s->path, t[i].cmd, t[i].json, 10000, &rc, &b), 0);
		assert_int_equal(rc, t[i].rc);
		assert_string_equal(b.s, t[i].body);
		lib_sbuf_free(&b);
	}
	/* Longer than the server takes: refused whole, never executed. */
	line = malloc(3000);
	assert_non_null(line);
	memset(line, 'A', 2999);
	line[2999] = '\0';
	s->calls = 0;
	assert_int_equal(lib_ctl_call(s->path, line, 0, 10000, &rc, &b), 0);
	assert_int_equal(rc, 8);
	assert_string_equal(b.s, "command line too long: at most 1023 characters; nothing was done\n");
	lib_sbuf_free(&b);
	free(line);
	assert_int_equal(__atomic_load_n(&s->calls, __ATOMIC_SEQ_CST), 0);
}

/* ---- the request --------------------------------------------------------------- */

static void
test_parse(void **state)
{
	struct lib_ctl_cmd c;
	char err[1200], line[2000];
	int i;

	(void)state;
	assert_int_equal(lib_ctl_parse("  d tcpip,,sysplex,group", &c, err, sizeof(err)), 0);
	assert_string_equal(c.verb, "D");
	assert_int_equal(c.ntok, 4);
	assert_string_equal(c.tok[1], "");
	assert_string_equal(c.tok[3], "GROUP");
	assert_int_equal(lib_ctl_parse("SYSPLEX$LINK LOSS=5 DELAY=7", &c, err, sizeof(err)), 0);
	assert_int_equal(c.ntok, 2);
	assert_string_equal(c.tok[1], "DELAY=7");
	assert_int_equal(lib_ctl_parse("   ", &c, err, sizeof(err)), 0);
	assert_string_equal(c.verb, "");
	assert_int_equal(c.ntok, 0);
	assert_int_equal(lib_ctl_parse("D TCPIP\tX", &c, err, sizeof(err)), -EILSEQ);
	assert_string_equal(err, "command contains a non-printable character at column 8");
	line[0] = '\0';
	strcat(line, "V X");
	for (i = 0; i < LIB_CTL_MAX_OPERANDS; i++)
		strcat(line, ",Y");
	assert_int_equal(lib_ctl_parse(line, &c, err, sizeof(err)), -E2BIG);
	assert_string_equal(err, "too many operands: at most 16 after V; nothing was done");
	assert_string_equal(c.verb, "V");
	memset(line, 'A', LIB_CTL_LINE_MAX - 1);
	line[LIB_CTL_LINE_MAX - 1] = '\0';
	assert_int_equal(lib_ctl_parse(line, &c, err, sizeof(err)), 0);
	line[LIB_CTL_LINE_MAX - 1] = 'A';
	line[LIB_CTL_LINE_MAX] = '\0';
	assert_int_equal(lib_ctl_parse(line, &c, err, sizeof(err)), -EMSGSIZE);
	assert_string_equal(err, "command line too long: at most 1023 characters; nothing was done");
}

static void
test_options(void **state)
{
	char a[] = "LOSS=5", b[] = "delay=10000", bad[] = "LOSS=101", empty[] = "DELAY=",
	     other[] = "SPEED=1", bare[] = "LOSS", err[200];
	char *tok[2] = { a, b };
	long loss = 1, delay = 2, port = -1;
	const struct lib_ctl_opt popt = { "PORT", "", 1, 65535, &port };
	char p0[] = "PORT=0", p1[] = "PORT=8080";
	char *pt = p0;

	(void)state;
	assert_int_equal(lib_ctl_link_parse(tok, 2, &loss, &delay, err, sizeof(err)), 0);
	assert_int_equal(loss, 5);
	assert_int_equal(delay, 10000);
	/* Not given: kept. */
	loss = 3;
	delay = 4;
	assert_int_equal(lib_ctl_link_parse(tok, 0, &loss, &delay, err, sizeof(err)), 0);
	assert_int_equal(loss, 3);
	tok[0] = bad;
	assert_int_equal(lib_ctl_link_parse(tok, 1, &loss, &delay, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "LOSS must be a whole number of percent 0..100, not '101'");
	assert_int_equal(loss, 3);
	tok[0] = empty;
	assert_int_equal(lib_ctl_link_parse(tok, 1, &loss, &delay, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "DELAY must be a whole number of milliseconds 0..10000, not ''");
	tok[0] = other;
	assert_int_equal(lib_ctl_link_parse(tok, 1, &loss, &delay, err, sizeof(err)), -ENOENT);
	assert_string_equal(err, "unexpected operand 'SPEED=1': expected LOSS=pct DELAY=ms");
	tok[0] = bare;
	assert_int_equal(lib_ctl_link_parse(tok, 1, &loss, &delay, err, sizeof(err)), -ENOENT);
	assert_int_equal(lib_ctl_options(&pt, 1, &popt, 1, "PORT=n", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "PORT must be 1..65535, not '0'");
	pt = p1;
	assert_int_equal(lib_ctl_options(&pt, 1, &popt, 1, "PORT=n", err, sizeof(err)), 0);
	assert_int_equal(port, 8080);
}

static void
test_path_and_status_line(void **state)
{
	char p[300], longdir[200];
	const char *body;
	int rc = -1;

	(void)state;
	assert_int_equal(lib_ctl_path(p, sizeof(p), "/run/sysplex/plex", "SYSA", 0), 0);
	assert_string_equal(p, "/run/sysplex/plex/SYSA/ctl.sock");
	assert_int_equal(lib_ctl_path(p, sizeof(p), "/run/sysplex/plex", "CLIENT1", 1), 0);
	assert_string_equal(p, "/run/sysplex/plex/CLIENT1/agent.ctl");
	assert_int_equal(lib_ctl_path(p, sizeof(p), "/tmp/st", NULL, 0), 0);
	assert_string_equal(p, "/tmp/st/ctl.sock");
	memset(longdir, 'd', sizeof(longdir) - 1);
	longdir[sizeof(longdir) - 1] = '\0';
	assert_int_equal(lib_ctl_path(p, sizeof(p), longdir, NULL, 0), -ENAMETOOLONG);

	assert_int_equal(lib_ctl_reply_parse("RC=8\nwhy\n", 9, &rc, &body), 0);
	assert_int_equal(rc, 8);
	assert_string_equal(body, "why\n");
	assert_int_equal(lib_ctl_reply_parse("RC=0\r\n", 6, &rc, &body), 0);
	assert_int_equal(rc, 0);
	assert_string_equal(body, "");
	assert_int_equal(lib_ctl_reply_parse("RC=0", 4, &rc, &body), 0);
	assert_int_equal(lib_ctl_reply_parse("RC=x\n", 5, &rc, &body), -EPROTO);
	assert_int_equal(lib_ctl_reply_parse("RC=0x\n", 6, &rc, &body), -EPROTO);
	assert_int_equal(lib_ctl_reply_parse("OK\n", 3, &rc, &body), -EPROTO);
}

/* ---- JSON ---------------------------------------------------------------------- */

static void
test_json_strings(void **state)
{
	struct lib_sbuf b = { 0 };
	json_t *v;

	(void)state;
	v = json_pack("{s:o,s:o,s:o}", "a", lib_json_str("q\"b\\c\n\x01"), "b", lib_json_str("ok\xff\xc3"),
		      "c", lib_json_str_or_null(""));
	assert_non_null(v);
	assert_int_equal(lib_json_dump(&b, v), 0);
	assert_string_equal(b.s, "{\"a\":\"q\\\"b\\\\c\\n\\u0001\",\"b\":\"ok??\",\"c\":null}\n");
	lib_sbuf_free(&b);
	json_decref(v);
	v = lib_json_str("\xc3\xa9t\xc3\xa9");	/* valid UTF-8 stays as it is */
	assert_string_equal(json_string_value(v), "\xc3\xa9t\xc3\xa9");
	json_decref(v);
}

static void
test_json_parse(void **state)
{
	static const char *const bad[] = { "{\"a\":1,}", "[1] x", "", "'a'", "{\"a\":01}", "\"\\ud800\"",
					   "\"tab\there\"", "NaN", "\"\xff\"" };
	char err[160], deep[200];
	json_t *v;
	size_t i;
	static const char good[] = "[9007199254740993, -2.5e3, \"a\\u0000b\"]";

	(void)state;
	v = lib_json_parse(good, strlen(good), err, sizeof(err));
	assert_non_null(v);
	assert_true(json_integer_value(json_array_get(v, 0)) == BIG);
	assert_int_equal(json_string_length(json_array_get(v, 2)), 3);
	json_decref(v);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_null(lib_json_parse(bad[i], strlen(bad[i]), err, sizeof(err)));
		assert_int_equal(strncmp(err, "offset ", 7), 0);
	}
	/* Nesting: 64 levels are taken, 65 are not (brackets in strings do not count). */
	memset(deep, '[', 64);
	memset(deep + 64, ']', 64);
	assert_non_null(v = lib_json_parse(deep, 128, err, sizeof(err)));
	json_decref(v);
	memset(deep, '[', 65);
	memset(deep + 65, ']', 65);
	assert_null(lib_json_parse(deep, 130, err, sizeof(err)));
	assert_string_equal(err, "offset 64: nesting deeper than 64");
	assert_non_null(v = lib_json_parse("\"[[[[\"", 6, err, sizeof(err)));
	json_decref(v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_call_reads_pieces),
		cmocka_unit_test(test_call_times_out),
		cmocka_unit_test(test_call_refuses_bad_replies),
		cmocka_unit_test(test_client_exit_status),
		cmocka_unit_test_setup_teardown(test_json_round_trip, srv_setup, srv_teardown),
		cmocka_unit_test_setup_teardown(test_server_answers, srv_setup, srv_teardown),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_path_and_status_line),
		cmocka_unit_test(test_json_strings),
		cmocka_unit_test(test_json_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
