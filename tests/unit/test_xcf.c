/*
 * test_xcf.c - proves the coupling bus (xcf/couple.c, xcf/keys.c, xcf/xcf.c):
 *  - the couple data set parser takes the documented syntax (comments,
 *    blank lines, CRLF, any keyword case, defaults, KEY) and rejects every
 *    kind of mistake with "FILE:LINE: what" on the right line; endpoints
 *    derive as documented (ipc .rtr/.pub, tcp P/P+1);
 *  - keys: our Z85 decoder agrees with ZeroMQ's; a key file is made 0600 and
 *    never overwritten, read back, refused when open to others or malformed
 *    (with where and why); a member's secret key must be its couple KEY;
 *  - on a real bus (three members in one process, one uv loop, ipc:// in a
 *    fresh mkdtemp directory whose xcf/ subdirectory the bus creates, CURVE
 *    with one key pair each):
 *    everybody sees everybody join (itself included); a directed message
 *    reaches exactly its member; a group message reaches the two others and
 *    not the sender; a send to a member that is absent is -EHOSTUNREACH;
 *    outsiders (plain sockets, CURVE clients with keys of their own) get
 *    nothing in or out and an unlisted key is refused and counted; with a
 *    member's key, garbage, forged senders, replays, frames over the rate
 *    and a frame over ZMQ_MAXMSGSIZE (directed and group) are dropped and
 *    counted per reason; destroying a member without leave
 *    is reported as XCF_FAILED (missed heartbeats); an orderly
 *    leave is XCF_LEFT; a rejoin works; a stale socket file is removed
 *    while a live one is EADDRINUSE; a restart under a new incarnation is a
 *    failure then a join.
 * Waits poll the loop until a deadline (no sleeps); nothing is measured.
 */
#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>
#include <zmq.h>

#include "lib/lib.h"
#include "wire/wire.h"
#include "xcf/xcf.h"

#define HB_MS 100		/* a 3 s failure time: a loaded machine (load 30-60 under the
				 * sanitizers) stalled the loop past 1 s and members failed */
#define FAIL_MS 3000
#define WAIT_MS 30000		/* generous deadline for anything to happen */
#define PEER_RATE 2000		/* frames per second per member (bursts of 4000) */

/* ---- couple data set ------------------------------------------------------------ */

static int
parse(struct xcf_couple *c, const char *text, char *err, size_t errlen)
{
	return xcf_couple_parse_buf(c, "t.cfg", text, strlen(text), err, errlen);
}

static void
test_couple_good(void **state)
{
	struct xcf_couple c;
	char err[256];
	const char *text =
		"; the emulated sysplex\r\n"
		"SYSPLEX PLEX1\r\n"
		"\n"
		"group EZBTCPCS   ; default anyway\n"
		"  Interval 20 Failure 100\n"
		"MEMBER SYSA TCPCS ipc:///run/sysplex/plex1/xcf/SYSA\n"
		"\tMEMBER\tSYSB TCPIP2 tcp://192.0.2.2:7000 ;comment\n"
		"MEMBER SYS$ TCP#@ tcp://[fd00::1]:7002";

	(void)state;
	assert_int_equal(parse(&c, text, err, sizeof(err)), 0);
	assert_string_equal(c.sysplex, "PLEX1");
	assert_string_equal(c.group, "EZBTCPCS");
	assert_int_equal(c.hb_ms, 20);
	assert_int_equal(c.fail_ms, 100);
	assert_int_equal(c.n, 3);
	assert_string_equal(c.m[0].sysname, "SYSA");
	assert_string_equal(c.m[0].tcpname, "TCPCS");
	assert_string_equal(c.m[0].member, "SYSATCPCS");
	assert_string_equal(c.m[0].endpoint, "ipc:///run/sysplex/plex1/xcf/SYSA");
	assert_string_equal(c.m[1].member, "SYSBTCPIP2");
	assert_string_equal(c.m[1].endpoint, "tcp://192.0.2.2:7000");
	assert_string_equal(c.m[2].member, "SYS$TCP#@");

	/* Defaults: group EZBTCPCS, 50 ms heartbeat, 250 ms failure. */
	assert_int_equal(parse(&c, "SYSPLEX P\nMEMBER A B ipc://x\n", err, sizeof(err)), 0);
	assert_string_equal(c.group, "EZBTCPCS");
	assert_int_equal(c.hb_ms, 50);
	assert_int_equal(c.fail_ms, 250);
	/* INTERVAL and FAILURE may come on separate lines, in any order. */
	assert_int_equal(parse(&c, "SYSPLEX P\nFAILURE 1000\nINTERVAL 300\nMEMBER A B ipc://x\n",
			       err, sizeof(err)), 0);
	assert_int_equal(c.hb_ms, 300);
	assert_int_equal(c.fail_ms, 1000);
}

static void
test_couple_bad(void **state)
{
	static const struct {
		const char *text;
		const char *prefix;	/* what err must start with */
		const char *word;	/* and contain */
	} cases[] = {
		{"SYSPLEX P\nMEMBER A B ipc://x\nBOGUS 1\n", "t.cfg:3: ", "unknown statement"},
		{"SYSPLEX P\nMEMBER A B\n", "t.cfg:2: ", "MEMBER"},
		{"SYSPLEX P\nMEMBER A B ipc://x extra\n", "t.cfg:2: ", "MEMBER"},
		{"SYSPLEX P\n\nMEMBER A B http://x\n", "t.cfg:3: ", "endpoint"},
		{"SYSPLEX P\nMEMBER A B ipc://\n", "t.cfg:2: ", "endpoint"},
		{"SYSPLEX P\nMEMBER A B tcp://h:65535\n", "t.cfg:2: ", "endpoint"},
		{"SYSPLEX P\nMEMBER A B tcp://h:0\n", "t.cfg:2: ", "endpoint"},
		{"SYSPLEX P\nMEMBER A B tcp://h:7x\n", "t.cfg:2: ", "endpoint"},
		{"SYSPLEX P\nMEMBER A B tcp://fd00::1:7000\n", "t.cfg:2: ", "endpoint"},
		{"SYSPLEX P\nMEMBER A B tcp://:7000\n", "t.cfg:2: ", "endpoint"},
		{"SYSPLEX P\nMEMBER A B ipc://x\nMEMBER A C ipc://y\n", "t.cfg:3: ", "twice"},
		{"SYSPLEX P\nMEMBER A B ipc://x\nMEMBER C D ipc://x\n", "t.cfg:3: ", "twice"},
		{"SYSPLEX P\nMEMBER AB C ipc://x\nMEMBER A BC ipc://y\n", "t.cfg:3: ", "twice"},
		{"SYSPLEX P\nMEMBER SYSTEMABC B ipc://x\n", "t.cfg:2: ", "system name"},
		{"SYSPLEX P\nMEMBER A TCP-IP ipc://x\n", "t.cfg:2: ", "TCP name"},
		{"SYSPLEX TOOLONGNAME\nMEMBER A B ipc://x\n", "t.cfg:1: ", "SYSPLEX"},
		{"SYSPLEX P\nSYSPLEX Q\nMEMBER A B ipc://x\n", "t.cfg:2: ", "twice"},
		{"SYSPLEX\nMEMBER A B ipc://x\n", "t.cfg:1: ", "SYSPLEX"},
		{"SYSPLEX P\nGROUP\n", "t.cfg:2: ", "GROUP"},
		{"SYSPLEX P\nINTERVAL fast\nMEMBER A B ipc://x\n", "t.cfg:2: ", "INTERVAL"},
		{"SYSPLEX P\nINTERVAL 0\nMEMBER A B ipc://x\n", "t.cfg:2: ", "INTERVAL"},
		{"SYSPLEX P\nINTERVAL 50 FAILURE\nMEMBER A B ipc://x\n", "t.cfg:2: ", "INTERVAL"},
		{"SYSPLEX P\nINTERVAL 50 HEARTBEAT 9\n", "t.cfg:2: ", "HEARTBEAT"},
		{"SYSPLEX P\nINTERVAL 50\nINTERVAL 60\n", "t.cfg:3: ", "twice"},
		{"SYSPLEX P\nMEMBER A B ipc://x\nINTERVAL 100 FAILURE 100\n", "t.cfg:3: ", "FAILURE"},
		{"SYSPLEX P\nINTERVAL 300\nMEMBER A B ipc://x\n", "t.cfg:2: ", "FAILURE"},
		{"MEMBER A B ipc://x\n", "t.cfg:1: ", "no SYSPLEX"},
		{"SYSPLEX P\n; nothing\n", "t.cfg:2: ", "no MEMBER"},
		{"SYSPLEX P\nA B C D E F G H I J K L M\n", "t.cfg:2: ", "too many words"},
		{"SYSPLEX P\nMEMBER A B ipc://x KEY\n", "t.cfg:2: ", "KEY k"},
		{"SYSPLEX P\nMEMBER A B ipc://x KEY short\n", "t.cfg:2: ", "not a CURVE public key"},
		/* 40 characters, but '~' is not Z85; then one group above 2^32. */
		{"SYSPLEX P\nMEMBER A B ipc://x KEY ~q:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7\n",
		 "t.cfg:2: ", "not a CURVE public key"},
		{"SYSPLEX P\nMEMBER A B ipc://x KEY ####0q:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]\n",
		 "t.cfg:2: ", "not a CURVE public key"},
		{"SYSPLEX P\nMEMBER A B ipc://x KEY rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7 "
		 "KEY rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7\n", "t.cfg:2: ", "KEY given twice"},
		{"SYSPLEX P\nMEMBER A B ipc://x KEY rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7\n"
		 "MEMBER C D ipc://y KEY rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7\n", "t.cfg:3: ",
		 "one key pair per member"},
	};
	struct xcf_couple c;
	char err[256], text[4096];
	size_t i;
	int n, k;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		if (parse(&c, cases[i].text, err, sizeof(err)) != -EINVAL ||
		    strncmp(err, cases[i].prefix, strlen(cases[i].prefix)) != 0 ||
		    !strstr(err, cases[i].word))
			fail_msg("case %zu: '%s' gave '%s'", i, cases[i].text, err);
	}
	/* Seventeen members: the 17th line of members is the error. */
	n = snprintf(text, sizeof(text), "SYSPLEX P\n");
	for (k = 0; k < XCF_MAX_MEMBERS + 1; k++)
		n += snprintf(text + n, sizeof(text) - (size_t)n, "MEMBER S%d T ipc://s%d\n", k, k);
	assert_int_equal(parse(&c, text, err, sizeof(err)), -EINVAL);
	assert_true(strncmp(err, "t.cfg:18: ", 10) == 0);
	/* A NUL byte and an overlong line. */
	assert_int_equal(xcf_couple_parse_buf(&c, "t.cfg", "SYSPLEX P\n\0\n", 12, err,
					      sizeof(err)), -EINVAL);
	assert_true(strncmp(err, "t.cfg:2: ", 9) == 0);
	memset(text, 'A', 1000);
	text[1000] = '\0';
	assert_int_equal(parse(&c, text, err, sizeof(err)), -EINVAL);
	assert_true(strncmp(err, "t.cfg:1: ", 9) == 0);
	/* A tiny error buffer is truncated, never overrun. */
	assert_int_equal(parse(&c, "BOGUS\n", err, 4), -EINVAL);
	assert_int_equal(strlen(err), 3);
}

static void
test_couple_file(void **state)
{
	char dir[] = "/tmp/test_xcf.XXXXXX", path[256], err[512];
	struct xcf_couple c;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/couple.cfg", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("SYSPLEX PLEX1\nMEMBER SYSA TCPCS ipc:///tmp/x/SYSA\nFOO\n", f);
	fclose(f);
	assert_int_equal(xcf_couple_parse(&c, path, err, sizeof(err)), -EINVAL);
	assert_true(strncmp(err, path, strlen(path)) == 0);
	assert_non_null(strstr(err, ":3: "));
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("SYSPLEX PLEX1\nMEMBER SYSA TCPCS ipc:///tmp/x/SYSA\n", f);
	fclose(f);
	assert_int_equal(xcf_couple_parse(&c, path, err, sizeof(err)), 0);
	assert_int_equal(c.n, 1);
	unlink(path);
	assert_int_equal(xcf_couple_parse(&c, path, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "No such file"));
	rmdir(dir);
}

/* Key pairs, key files, and a member's key against the couple config. */
static void
test_keys(void **state)
{
	char dir[] = "/tmp/test_xcf.XXXXXX", path[256], err[512], text[512];
	char pub[XCF_KEY_LEN + 1], sec[XCF_KEY_LEN + 1], pub2[XCF_KEY_LEN + 1];
	char sec2[XCF_KEY_LEN + 1], lp[XCF_KEY_LEN + 1], ls[XCF_KEY_LEN + 1];
	uint8_t raw[32], zraw[32];
	struct xcf_couple c;
	struct stat st;
	FILE *f;

	(void)state;
	/* Our Z85 decoder agrees with ZeroMQ's (ZeroMQ's documented key too). */
	assert_int_equal(xcf_keypair(pub, sec), 0);
	assert_int_equal(xcf_key_decode(pub, raw), 0);
	assert_non_null(zmq_z85_decode(zraw, pub));
	assert_memory_equal(raw, zraw, 32);
	assert_int_equal(xcf_key_decode("rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7", raw), 0);
	assert_non_null(zmq_z85_decode(zraw, "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"));
	assert_memory_equal(raw, zraw, 32);
	assert_int_equal(xcf_key_decode("HelloWorld", raw), -EINVAL);	/* too short */
	assert_int_equal(xcf_key_public(sec, pub2), 0);
	assert_string_equal(pub2, pub);
	assert_int_equal(xcf_key_public("not a key", pub2), -EINVAL);

	/* A key file: 0600, never overwritten, read back. */
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/%s", dir, XCF_KEY_FILE);
	assert_int_equal(xcf_key_generate(path, pub2, err, sizeof(err)), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(xcf_key_generate(path, pub, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "exists already"));
	assert_int_equal(xcf_key_load(path, lp, ls, err, sizeof(err)), 0);
	assert_string_equal(lp, pub2);
	assert_int_equal(xcf_key_public(ls, pub), 0);
	assert_string_equal(pub, pub2);
	/* Open to others: refused. */
	chmod(path, 0640);
	assert_int_equal(xcf_key_load(path, lp, ls, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "mode 0640"));
	chmod(path, 0600);

	/* Bad files, each with where and why. */
	{
		static const struct { const char *fmt, *why; } bad[] = {
			{"PUBLIC %s\n", "needs a PUBLIC and a SECRET"},
			{"PUBLIC %s\nSECRET short\n", ":2: SECRET"},
			{"PUBLIC %s\nSECRET %s\n", "not the public key of SECRET"},
			{"PUBLIC %s\nPUBLIC %s\n", ":2: expected"},
			{"FOO %s\n", ":1: expected"},
		};
		size_t i;

		assert_int_equal(xcf_keypair(pub2, sec2), 0);
		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			unlink(path);
			f = fopen(path, "w");
			assert_non_null(f);
			fprintf(f, bad[i].fmt, pub, sec2);
			fclose(f);
			chmod(path, 0600);
			err[0] = '\0';
			assert_int_equal(xcf_key_load(path, lp, ls, err, sizeof(err)), -EINVAL);
			if (!strstr(err, bad[i].why) || strncmp(err, path, strlen(path)) != 0)
				fail_msg("case %zu: '%s'", i, err);
		}
	}
	unlink(path);
	assert_int_equal(xcf_key_load(path, lp, ls, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "No such file"));

	/* The couple config: every member needs a KEY; ours must be our key. */
	assert_int_equal(xcf_key_public(sec, pub), 0);
	snprintf(text, sizeof(text), "SYSPLEX P\nMEMBER A T ipc://a KEY %s\nMEMBER B T ipc://b\n",
		 pub);
	assert_int_equal(parse(&c, text, err, sizeof(err)), 0);
	assert_string_equal(c.m[0].key, pub);
	assert_string_equal(c.m[1].key, "");
	assert_int_equal(xcf_key_check(&c, "A", "T", sec, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "MEMBER B has no KEY"));
	snprintf(text, sizeof(text),
		 "SYSPLEX P\nMEMBER A T ipc://a KEY %s WEIGHT 3\nMEMBER B T ipc://b KEY %s\n",
		 pub, pub2);
	assert_int_equal(parse(&c, text, err, sizeof(err)), 0);
	assert_int_equal(c.m[0].weight, 3);
	assert_int_equal(xcf_key_check(&c, "A", "T", sec, err, sizeof(err)), 0);
	assert_int_equal(xcf_key_check(&c, "B", "T", sec, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "belongs to public key"));
	assert_int_equal(xcf_key_check(&c, "Z", "T", sec, err, sizeof(err)), -EINVAL);
	assert_int_equal(xcf_key_check(&c, "A", "T", NULL, err, sizeof(err)), -EINVAL);
	rmdir(dir);
}

static void
test_endpoints(void **state)
{
	char r[XCF_EP_LEN + 8], p[XCF_EP_LEN + 8], small[12];

	(void)state;
	assert_int_equal(xcf_endpoints("ipc:///run/x/SYSA", r, sizeof(r), p, sizeof(p)), 0);
	assert_string_equal(r, "ipc:///run/x/SYSA.rtr");
	assert_string_equal(p, "ipc:///run/x/SYSA.pub");
	assert_int_equal(xcf_endpoints("tcp://192.0.2.2:7000", r, sizeof(r), p, sizeof(p)), 0);
	assert_string_equal(r, "tcp://192.0.2.2:7000");
	assert_string_equal(p, "tcp://192.0.2.2:7001");
	assert_int_equal(xcf_endpoints("tcp://[fd00::2]:65534", r, sizeof(r), p, sizeof(p)), 0);
	assert_string_equal(r, "tcp://[fd00::2]:65534");
	assert_string_equal(p, "tcp://[fd00::2]:65535");
	assert_int_equal(xcf_endpoints("tcp://h:65535", r, sizeof(r), p, sizeof(p)), -EINVAL);
	assert_int_equal(xcf_endpoints("udp://h:1", r, sizeof(r), p, sizeof(p)), -EINVAL);
	assert_int_equal(xcf_endpoints("ipc:///a/long/path", small, sizeof(small), p, sizeof(p)),
			 -ENAMETOOLONG);
}

/* ---- the bus ---------------------------------------------------------------------- */

struct ev {
	char kind;		/* 'J' join, 'L' leave */
	char member[XCF_NAME_LEN + 1];
	enum xcf_member_state state;
};
struct msg {
	uint8_t type;
	char from[XCF_NAME_LEN + 1];
	int group;
	size_t len;
	uint8_t body[64];
};
struct node {
	const char *sys;
	struct xcf *x;
	int nev, nmsg;
	struct ev ev[256];
	struct msg msg[256];
};

static uv_loop_t loop;
static char tmpdir[64];
static struct xcf_couple couple;
static struct node nodes[4];	/* SYSA, SYSB, SYSC; SYSD is never started */
/* The members' key pairs; SYSD's serves the raw sockets of the tests. */
static char pubk[4][XCF_KEY_LEN + 1], seck[4][XCF_KEY_LEN + 1];
static const uint8_t zero16[16];

static void
record_ev(struct node *n, char kind, const struct xcf_member_info *m)
{
	struct ev *e;

	if (n->nev == (int)(sizeof(n->ev) / sizeof(n->ev[0])))
		return;
	e = &n->ev[n->nev++];
	e->kind = kind;
	lib_strlcpy(e->member, m->member, sizeof(e->member));
	e->state = m->state;
}

static void
join_cb(struct xcf *x, const struct xcf_member_info *m, void *arg)
{
	(void)x;
	assert_int_equal(m->state, XCF_ACTIVE);
	record_ev(arg, 'J', m);
}

static void
leave_cb(struct xcf *x, const struct xcf_member_info *m, void *arg)
{
	(void)x;
	assert_true(m->state == XCF_LEFT || m->state == XCF_FAILED);
	record_ev(arg, 'L', m);
}

static void
msg_cb(struct xcf *x, const struct xcf_member_info *from, uint8_t type, const uint8_t *body,
       size_t len, int group, void *arg)
{
	struct node *n = arg;
	struct msg *m;

	(void)x;
	if (n->nmsg == (int)(sizeof(n->msg) / sizeof(n->msg[0])))
		return;
	m = &n->msg[n->nmsg++];
	m->type = type;
	lib_strlcpy(m->from, from->member, sizeof(m->from));
	m->group = group;
	m->len = len;
	memcpy(m->body, body, len < sizeof(m->body) ? len : sizeof(m->body));
}

static const struct xcf_cbs cbs = {join_cb, leave_cb, msg_cb, NULL};

static int
count_ev(const struct node *n, char kind, const char *member, enum xcf_member_state st)
{
	int i, c = 0;

	for (i = 0; i < n->nev; i++)
		if (n->ev[i].kind == kind && strcmp(n->ev[i].member, member) == 0 &&
		    (kind == 'J' || n->ev[i].state == st))
			c++;
	return c;
}

static int
count_msg(const struct node *n, uint8_t type, const char *from, int group)
{
	int i, c = 0;

	for (i = 0; i < n->nmsg; i++)
		if (n->msg[i].type == type && strcmp(n->msg[i].from, from) == 0 &&
		    n->msg[i].group == group)
			c++;
	return c;
}

/* Runs the loop until cond holds or ms pass, then asserts cond. */
#define WAIT_UNTIL(cond, ms)                                                     \
	do {                                                                     \
		uint64_t dl_ = lib_now_ms() + (ms);                              \
		while (!(cond) && lib_now_ms() < dl_)                            \
			uv_run(&loop, UV_RUN_ONCE);                              \
		if (!(cond))                                                     \
			fail_msg("timed out waiting for %s", #cond);             \
	} while (0)

/* Runs the loop for ms (to show that something does NOT happen). */
static void
turn_loop(unsigned ms)
{
	uint64_t dl = lib_now_ms() + ms;

	while (lib_now_ms() < dl)
		uv_run(&loop, UV_RUN_ONCE);
}

/*
 * xcf_send, retried while it is -EHOSTUNREACH or -EAGAIN: right after a
 * member becomes active our DEALER may not be connected to its ROUTER yet.
 */
static int
send_retry(struct xcf *x, const char *member, uint8_t type, const void *b, size_t len)
{
	uint64_t dl = lib_now_ms() + WAIT_MS;
	int rc;

	while (((rc = xcf_send(x, member, type, b, len)) == -EHOSTUNREACH || rc == -EAGAIN) &&
	       lib_now_ms() < dl)
		uv_run(&loop, UV_RUN_ONCE);
	return rc;
}

static const char *
mname(int i)
{
	return couple.m[i].member;
}

static struct xcf *
start(int i)
{
	struct xcf_config cfg;
	struct xcf *x;

	memset(&cfg, 0, sizeof(cfg));
	cfg.couple = &couple;
	cfg.sysname = couple.m[i].sysname;
	cfg.tcpname = "TCPCS";
	cfg.secret_key = seck[i];
	cfg.peer_rate = PEER_RATE;
	cfg.xcfaddr[0] = 0xfd;
	cfg.xcfaddr[15] = (uint8_t)(i + 1);
	x = xcf_new(&loop, &cfg, &cbs, &nodes[i]);
	assert_non_null(x);
	return x;
}

static int
rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static int
bus_setup(void **state)
{
	char text[2048], err[256];
	int n = 0, i;
	static const char *sys[] = {"SYSA", "SYSB", "SYSC", "SYSD"};

	(void)state;
	lib_log_init("test_xcf", getenv("XCF_DEBUG") ? LIB_LOG_DEBUG : LIB_LOG_ERR);	/* first-drop warnings are expected */
	strcpy(tmpdir, "/tmp/test_xcf.XXXXXX");
	if (!mkdtemp(tmpdir) || uv_loop_init(&loop) != 0)
		return -1;
	n += snprintf(text + n, sizeof(text) - (size_t)n,
		      "SYSPLEX TEST\nINTERVAL %d FAILURE %d\n", HB_MS, FAIL_MS);
	for (i = 0; i < 4; i++) {
		if (xcf_keypair(pubk[i], seck[i]) < 0)
			return -1;
		n += snprintf(text + n, sizeof(text) - (size_t)n,
			      "MEMBER %s TCPCS ipc://%s/xcf/%s KEY %s\n", sys[i], tmpdir, sys[i],
			      pubk[i]);
		nodes[i].sys = sys[i];
	}
	if (parse(&couple, text, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	return 0;
}

static int
bus_teardown(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < 4; i++)
		xcf_destroy(&nodes[i].x);
	uv_run(&loop, UV_RUN_DEFAULT);
	if (uv_loop_close(&loop) != 0)
		return -1;
	nftw(tmpdir, rm_cb, 8, FTW_DEPTH | FTW_PHYS);
	return 0;
}

static int
everybody_joined(void)
{
	int i, j;

	for (i = 0; i < 3; i++)
		for (j = 0; j < 3; j++)
			if (count_ev(&nodes[i], 'J', mname(j), 0) < 1)
				return 0;
	return 1;
}

static void
test_bus_join(void **state)
{
	struct xcf_member_info info[XCF_MAX_MEMBERS];
	const struct xcf_member_info *m;
	struct xcf_config cfg;
	uint8_t addr[16] = {0xfd};
	int i;

	(void)state;
	/* Not a member of the couple data set. */
	memset(&cfg, 0, sizeof(cfg));
	cfg.couple = &couple;
	cfg.sysname = "SYSZ";
	errno = 0;
	assert_null(xcf_new(&loop, &cfg, &cbs, NULL));
	assert_int_equal(errno, ENOENT);
	cfg.sysname = "SYSA";
	cfg.tcpname = "OTHER";
	assert_null(xcf_new(&loop, &cfg, &cbs, NULL));
	/* No secret key, or B's for A: refused. */
	cfg.tcpname = "TCPCS";
	errno = 0;
	assert_null(xcf_new(&loop, &cfg, &cbs, NULL));
	assert_int_equal(errno, EKEYREJECTED);
	cfg.secret_key = seck[1];
	assert_null(xcf_new(&loop, &cfg, &cbs, NULL));
	assert_int_equal(errno, EKEYREJECTED);

	for (i = 0; i < 3; i++) {
		nodes[i].x = start(i);
		assert_string_equal(xcf_self(nodes[i].x), mname(i));
		assert_int_equal(xcf_joined(nodes[i].x), 0);
		assert_int_equal(xcf_send(nodes[i].x, mname(0), WIRE_XCF_TGT_SYNC_REQ, "", 0),
				 -ENOTCONN);
		assert_int_equal(xcf_join(nodes[i].x), 0);
		assert_int_equal(xcf_joined(nodes[i].x), 1);
		assert_int_equal(xcf_join(nodes[i].x), -EALREADY);
		/* Ourselves at once. */
		assert_int_equal(count_ev(&nodes[i], 'J', mname(i), 0), 1);
	}
	WAIT_UNTIL(everybody_joined(), WAIT_MS);

	assert_int_equal(xcf_members(nodes[0].x, info, XCF_MAX_MEMBERS), 4);
	for (i = 0; i < 3; i++) {
		assert_string_equal(info[i].member, mname(i));
		assert_int_equal(info[i].state, XCF_ACTIVE);
		assert_int_equal(info[i].xcfaddr[15], i + 1);
		assert_true(info[i].incarnation != 0);
	}
	assert_int_equal(info[3].state, XCF_NOTJOINED);
	assert_int_equal(xcf_members(nodes[0].x, info, 2), 2);
	addr[15] = 2;
	m = xcf_member_by_addr(nodes[0].x, addr);
	assert_non_null(m);
	assert_string_equal(m->member, "SYSBTCPCS");
	addr[15] = 4;
	assert_null(xcf_member_by_addr(nodes[0].x, addr));
	assert_null(xcf_member_by_addr(nodes[0].x, zero16));
	assert_non_null(xcf_member(nodes[0].x, "SYSDTCPCS"));
	assert_null(xcf_member(nodes[0].x, "NOSUCH"));
}

static void
test_bus_directed(void **state)
{
	struct wire_xcf_sync_req sr;
	uint8_t b[16];

	(void)state;
	memset(&sr, 0, sizeof(sr));
	sr.dvipa[0] = 0xfd;
	sr.dvipa[15] = 1;
	assert_int_equal(wire_xcf_sync_req_encode(&sr, b, sizeof(b)), 16);
	assert_int_equal(send_retry(nodes[0].x, mname(1), WIRE_XCF_TGT_SYNC_REQ, b, 16), 0);
	WAIT_UNTIL(count_msg(&nodes[1], WIRE_XCF_TGT_SYNC_REQ, mname(0), 0) == 1, WAIT_MS);
	assert_int_equal(nodes[1].msg[0].len, 16);
	assert_memory_equal(nodes[1].msg[0].body, b, 16);
	/* And back, with an empty body. */
	assert_int_equal(send_retry(nodes[1].x, mname(0), WIRE_XCF_MIP6_COPY, NULL, 0), 0);
	WAIT_UNTIL(count_msg(&nodes[0], WIRE_XCF_MIP6_COPY, mname(1), 0) == 1, WAIT_MS);
	assert_int_equal(nodes[0].msg[0].len, 0);
	assert_int_equal(nodes[2].nmsg, 0);
	assert_true(xcf_member(nodes[1].x, mname(0))->rx_msgs > 0);
	assert_int_equal(xcf_member(nodes[0].x, mname(1))->tx_msgs, 1);
}

static void
test_bus_group(void **state)
{
	struct wire_xcf_vipa_adv va;
	uint8_t b[64];
	ssize_t n;
	int before_a = nodes[0].nmsg;

	(void)state;
	memset(&va, 0, sizeof(va));
	va.n = 1;
	va.v[0].addr[0] = 0xfd;
	va.v[0].origin = WIRE_VIPA_DEFINE;
	va.v[0].status = WIRE_VIPA_ACTIVE;
	n = wire_xcf_vipa_adv_encode(&va, b, sizeof(b));
	assert_int_equal(n, 21);
	assert_int_equal(xcf_publish(nodes[0].x, WIRE_XCF_VIPA_ADV, b, (size_t)n), 0);
	WAIT_UNTIL(count_msg(&nodes[1], WIRE_XCF_VIPA_ADV, mname(0), 1) == 1 &&
		   count_msg(&nodes[2], WIRE_XCF_VIPA_ADV, mname(0), 1) == 1, WAIT_MS);
	assert_memory_equal(nodes[2].msg[nodes[2].nmsg - 1].body, b, (size_t)n);
	/* Not to ourselves: a few more loop turns bring nothing to A. */
	turn_loop(3 * HB_MS);
	assert_int_equal(nodes[0].nmsg, before_a);
	/* Types the bus owns, or out of range, are refused. */
	assert_int_equal(xcf_publish(nodes[0].x, WIRE_XCF_HEARTBEAT, b, 1), -EINVAL);
	assert_int_equal(xcf_publish(nodes[0].x, WIRE_XCF_LEAVE, NULL, 0), -EINVAL);
	assert_int_equal(xcf_publish(nodes[0].x, WIRE_XCF_TYPE_MAX + 1, NULL, 0), -EINVAL);
	assert_int_equal(xcf_send(nodes[0].x, mname(1), 0, NULL, 0), -EINVAL);
	assert_int_equal(xcf_publish(nodes[0].x, WIRE_XCF_VIPA_ADV, b, WIRE_XCF_MAX_BODY + 1),
			 -EMSGSIZE);
}

static void
test_bus_unreachable(void **state)
{
	(void)state;
	/* SYSD is in the couple data set but was never started. */
	assert_int_equal(xcf_send(nodes[0].x, "SYSDTCPCS", WIRE_XCF_TGT_SYNC_REQ, NULL, 0),
			 -EHOSTUNREACH);
	assert_int_equal(xcf_send(nodes[0].x, "NOSUCHTCPCS", WIRE_XCF_TGT_SYNC_REQ, NULL, 0),
			 -EHOSTUNREACH);
	assert_int_equal(xcf_send(nodes[0].x, mname(0), WIRE_XCF_TGT_SYNC_REQ, NULL, 0),
			 -EHOSTUNREACH);
}

/* The incarnation raw_frame puts in its envelopes. */
static uint64_t raw_inc = 42;

/* Builds a frame from `sender` of `type` with `body` and sequence number seq
 * (incarnation 42) into buf. */
static size_t
raw_frame(uint8_t *buf, size_t cap, const char *sender, uint8_t type, const void *body,
	  size_t len, uint64_t seq)
{
	struct wire_xcf_hdr h;
	ssize_t n;

	memset(&h, 0, sizeof(h));
	h.version = WIRE_XCF_VERSION;
	h.type = type;
	h.body_len = (uint16_t)len;
	lib_strlcpy(h.sender, sender, sizeof(h.sender));
	h.incarnation = raw_inc;
	h.seq = seq;
	n = wire_xcf_hdr_encode(&h, buf, cap);
	assert_int_equal(n, WIRE_XCF_HDR_LEN);
	memcpy(buf + n, body, len);
	return (size_t)n + len;
}

static uint64_t
drops(int i, const char *reason)
{
	return lib_verdict_count(xcf_verdicts(nodes[i].x), reason);
}

/* A raw socket of `type`; with a secret key (and the public key that goes
 * with it) a CURVE client, else plain. */
static void *
raw_socket(void *ctx, int type, const char *pub, const char *sec)
{
	void *s = zmq_socket(ctx, type);
	int linger = 0;		/* the loop does not run while zmq_ctx_term waits */

	assert_non_null(s);
	zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof(linger));
	if (sec) {
		assert_int_equal(zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, pub, XCF_KEY_LEN + 1), 0);
		assert_int_equal(zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, sec, XCF_KEY_LEN + 1), 0);
	}
	return s;
}

/* Connects a CURVE client (or a plain socket: server_key NULL) to ep. */
static void
raw_connect(void *s, const char *server_key, const char *fmt, const char *sys)
{
	char ep[256];

	snprintf(ep, sizeof(ep), fmt, tmpdir, sys);
	if (server_key)
		assert_int_equal(zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, server_key,
						XCF_KEY_LEN + 1), 0);
	assert_int_equal(zmq_connect(s, ep), 0);
}

/* Nobody without a member's key gets anything onto the bus or off it. */
static void
test_bus_outsiders(void **state)
{
	char fpub[XCF_KEY_LEN + 1], fsec[XCF_KEY_LEN + 1];
	uint8_t buf[256], body[16] = {0}, got[256];
	void *ctx, *plain, *fresh, *sub, *csub;
	int i, before[3];
	size_t n;

	(void)state;
	for (i = 0; i < 3; i++)
		before[i] = nodes[i].nmsg;
	ctx = zmq_ctx_new();
	assert_non_null(ctx);
	assert_int_equal(xcf_keypair(fpub, fsec), 0);
	n = raw_frame(buf, sizeof(buf), "SYSBTCPCS", WIRE_XCF_TGT_SYNC_REQ, body, 16, 1);
	/* A plain DEALER (no CURVE) with B's name as routing id. */
	plain = raw_socket(ctx, ZMQ_DEALER, NULL, NULL);
	zmq_setsockopt(plain, ZMQ_ROUTING_ID, "SYSBTCPCS", 9);
	raw_connect(plain, NULL, "ipc://%s/xcf/%s.rtr", "SYSA");
	/* A CURVE DEALER that knows A's public key, with a key of its own. */
	fresh = raw_socket(ctx, ZMQ_DEALER, fpub, fsec);
	zmq_setsockopt(fresh, ZMQ_ROUTING_ID, "SYSBTCPCS", 9);
	raw_connect(fresh, pubk[0], "ipc://%s/xcf/%s.rtr", "SYSA");
	zmq_send(plain, buf, n, ZMQ_DONTWAIT);
	zmq_send(fresh, buf, n, ZMQ_DONTWAIT);
	/* A plain SUB and a CURVE SUB with an unknown key on A's group endpoint. */
	sub = raw_socket(ctx, ZMQ_SUB, NULL, NULL);
	zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "", 0);
	raw_connect(sub, NULL, "ipc://%s/xcf/%s.pub", "SYSA");
	csub = raw_socket(ctx, ZMQ_SUB, fpub, fsec);
	zmq_setsockopt(csub, ZMQ_SUBSCRIBE, "", 0);
	raw_connect(csub, pubk[0], "ipc://%s/xcf/%s.pub", "SYSA");
	/* The unknown key is refused by ZAP, counted (and logged once). */
	WAIT_UNTIL(drops(0, "XCF connection refused: key not a member's") >= 2, WAIT_MS);
	/* Heartbeats and group messages flow meanwhile: none reaches them. */
	assert_int_equal(xcf_publish(nodes[0].x, WIRE_XCF_VIPA_ADV, NULL, 0), 0);
	WAIT_UNTIL(nodes[1].nmsg == before[1] + 1 && nodes[2].nmsg == before[2] + 1, WAIT_MS);
	turn_loop(5 * HB_MS);
	assert_int_equal(zmq_recv(sub, got, sizeof(got), ZMQ_DONTWAIT), -1);
	assert_int_equal(zmq_recv(csub, got, sizeof(got), ZMQ_DONTWAIT), -1);
	assert_int_equal(nodes[0].nmsg, before[0]);
	zmq_close(plain);
	zmq_close(fresh);
	zmq_close(sub);
	zmq_close(csub);
	zmq_ctx_term(ctx);
	for (i = 0; i < 3; i++)
		assert_int_equal(xcf_member(nodes[0].x, mname(i))->state, XCF_ACTIVE);
}

/* With a member's key (SYSD's: in the couple config, never started), frames
 * are still checked one by one. */
static void
test_bus_garbage(void **state)
{
	uint8_t buf[256], body[16] = {0}, hbb[64];
	struct wire_xcf_heartbeat hb;
	void *ctx, *dealer, *pub;
	size_t n;
	ssize_t hn;
	int i, before;
	static uint8_t big[70000];

	(void)state;
	before = nodes[0].nmsg;
	ctx = zmq_ctx_new();
	assert_non_null(ctx);
	/* Directed: SYSD's key on a DEALER to A's ROUTER. */
	dealer = raw_socket(ctx, ZMQ_DEALER, pubk[3], seck[3]);
	raw_connect(dealer, pubk[0], "ipc://%s/xcf/%s.rtr", "SYSA");
	assert_int_equal(zmq_send(dealer, "garbage", 7, 0), 7);
	/* SYSD's connection claims to be B. */
	n = raw_frame(buf, sizeof(buf), "SYSBTCPCS", WIRE_XCF_TGT_SYNC_REQ, body, 16, 1);
	assert_int_equal(zmq_send(dealer, buf, n, 0), (int)n);
	n = raw_frame(buf, sizeof(buf), "EVILTCPCS", WIRE_XCF_TGT_SYNC_REQ, body, 16, 2);
	assert_int_equal(zmq_send(dealer, buf, n, 0), (int)n);
	buf[2] = WIRE_XCF_VERSION - 1;
	assert_int_equal(zmq_send(dealer, buf, n, 0), (int)n);
	buf[2] = WIRE_XCF_VERSION;
	buf[3] = 200;
	assert_int_equal(zmq_send(dealer, buf, n, 0), (int)n);
	assert_int_equal(zmq_send(dealer, "XC", 2, ZMQ_SNDMORE), 2);
	assert_int_equal(zmq_send(dealer, "more", 4, 0), 4);
	/* As itself, but SYSD never joined; then the same frame again. */
	n = raw_frame(buf, sizeof(buf), "SYSDTCPCS", WIRE_XCF_TGT_SYNC_REQ, body, 16, 5);
	assert_int_equal(zmq_send(dealer, buf, n, 0), (int)n);
	assert_int_equal(zmq_send(dealer, buf, n, 0), (int)n);
	/* A HEARTBEAT must come on the group channel. */
	memset(&hb, 0, sizeof(hb));
	hb.hb_interval_ms = HB_MS;
	hb.fail_ms = FAIL_MS;
	hb.state = 1;
	strcpy(hb.sysname, "SYSD");
	strcpy(hb.tcpname, "TCPCS");
	hn = wire_xcf_heartbeat_encode(&hb, hbb, sizeof(hbb));
	n = raw_frame(buf, sizeof(buf), "SYSDTCPCS", WIRE_XCF_HEARTBEAT, hbb, (size_t)hn, 6);
	assert_int_equal(zmq_send(dealer, buf, n, 0), (int)n);
	WAIT_UNTIL(drops(0, "XCF frame shorter than the envelope") == 1 &&
		   drops(0, "sender is not the member of the key it connected with") == 2 &&
		   drops(0, "XCF version not supported") == 1 &&
		   drops(0, "XCF message type unknown") == 1 &&
		   drops(0, "XCF message with extra parts") == 1 &&
		   drops(0, "message from an inactive member") == 1 &&
		   drops(0, "XCF sequence number not above the last one (replay)") == 1 &&
		   drops(0, "HEARTBEAT or LEAVE sent directed") == 1, WAIT_MS);
	/* A frame of an older incarnation than one seen on the channel before
	 * is a replay, whatever its sequence number. */
	raw_inc = 43;
	n = raw_frame(buf, sizeof(buf), "SYSDTCPCS", WIRE_XCF_TGT_SYNC_REQ, body, 16, 1);
	assert_int_equal(zmq_send(dealer, buf, n, 0), (int)n);
	raw_inc = 42;
	n = raw_frame(buf, sizeof(buf), "SYSDTCPCS", WIRE_XCF_TGT_SYNC_REQ, body, 16, 99);
	assert_int_equal(zmq_send(dealer, buf, n, 0), (int)n);
	WAIT_UNTIL(drops(0, "message from an inactive member") == 2 &&
		   drops(0, "XCF frame of an incarnation older than the last one (replay)") == 1,
		   WAIT_MS);
	raw_inc = 44;

	/* A frame larger than any valid one: ZeroMQ drops the connection
	 * (ZMQ_MAXMSGSIZE), so it is never read in: frames sent after it (over
	 * the connection the DEALER makes again) are, but no "trailing bytes"
	 * (the envelope says 16). */
	n = raw_frame(buf, sizeof(buf), "SYSBTCPCS", WIRE_XCF_TGT_SYNC_REQ, body, 16, 7);
	memcpy(big, buf, n);
	assert_int_equal(zmq_send(dealer, big, sizeof(big), 0), (int)sizeof(big));
	for (i = 0; drops(0, "sender is not the member of the key it connected with") == 2; i++) {
		assert_true(i < 1000);
		zmq_send(dealer, buf, n, ZMQ_DONTWAIT);
		turn_loop(20);
	}
	assert_int_equal(drops(0, "trailing bytes"), 0);
	assert_int_equal(drops(0, "XCF frame longer than the maximum"), 0);

	/* A member over its rate: the frames beyond it are dropped undecoded.
	 * Frames go until A has dropped one: a send that finds the DEALER's
	 * queue full is tried again after a turn of the loop (A reads), so no
	 * frame is lost on the way and A gets them as fast as it reads, far
	 * above the rate (a burst of 2 x PEER_RATE, refilled at PEER_RATE a
	 * second).  Frames dropped at a full queue instead (as before) made
	 * the count that reached A depend on how often the loop happened to
	 * read during the sends. */
	{
		uint64_t dl = lib_now_ms() + WAIT_MS;

		for (i = 0; drops(0, "member over its message rate") == 0; i++) {
			assert_true(i < 100 * PEER_RATE);
			n = raw_frame(buf, sizeof(buf), "SYSDTCPCS", WIRE_XCF_TGT_SYNC_REQ, body,
				      16, (uint64_t)i + 100);
			while (zmq_send(dealer, buf, n, ZMQ_DONTWAIT) < 0) {
				assert_true(lib_now_ms() < dl);
				uv_run(&loop, UV_RUN_NOWAIT);
			}
			if (i % 64 == 63)
				uv_run(&loop, UV_RUN_NOWAIT);
		}
		assert_true(i > 2 * PEER_RATE);	/* not before the burst was spent */
	}


	/* Group: SYSD's key on a PUB connected to every member's SUB.  Its
	 * HEARTBEAT names the wrong system, so SYSD does not join. */
	pub = raw_socket(ctx, ZMQ_PUB, pubk[3], seck[3]);
	for (i = 0; i < 3; i++)
		raw_connect(pub, pubk[i], "ipc://%s/xcf/%s.pub", nodes[i].sys);
	strcpy(hb.sysname, "SYSX");
	hn = wire_xcf_heartbeat_encode(&hb, hbb, sizeof(hbb));
	/* Subscribers connect when they next retry: publish until all count. */
	for (i = 0; i < 1000; i++) {
		int done = 1, k;

		for (k = 0; k < 3; k++)
			done &= drops(k, "XCF frame with bad magic") > 0 &&
				drops(k, "HEARTBEAT names differ from the couple data set") > 0;
		if (done)
			break;
		n = raw_frame(buf, sizeof(buf), "SYSDTCPCS", WIRE_XCF_HEARTBEAT, hbb, (size_t)hn,
			      (uint64_t)i + 1);
		zmq_send(pub, "garbage-garbage-garbage-garbage-garbage-garbage", 47, ZMQ_DONTWAIT);
		zmq_send(pub, buf, n, ZMQ_DONTWAIT);
		turn_loop(10);
	}
	assert_true(i < 1000);
	assert_int_equal(xcf_member(nodes[0].x, "SYSDTCPCS")->state, XCF_NOTJOINED);
	assert_int_equal(nodes[0].nmsg, before);
	zmq_close(pub);
	zmq_close(dealer);
	zmq_ctx_term(ctx);
	/* Nobody fell out of the group meanwhile. */
	for (i = 0; i < 3; i++)
		assert_int_equal(xcf_member(nodes[0].x, mname(i))->state, XCF_ACTIVE);
}

static void
test_bus_failure(void **state)
{
	(void)state;
	/* C disappears without LEAVE: the others notice by missed heartbeats. */
	xcf_destroy(&nodes[2].x);
	assert_null(nodes[2].x);
	xcf_destroy(&nodes[2].x);	/* NULL is fine */
	WAIT_UNTIL(count_ev(&nodes[0], 'L', mname(2), XCF_FAILED) == 1 &&
		   count_ev(&nodes[1], 'L', mname(2), XCF_FAILED) == 1, WAIT_MS);
	assert_int_equal(count_ev(&nodes[0], 'L', mname(2), XCF_LEFT), 0);
	assert_int_equal(xcf_member(nodes[0].x, mname(2))->state, XCF_FAILED);
	assert_int_equal(xcf_send(nodes[0].x, mname(2), WIRE_XCF_TGT_SYNC_REQ, NULL, 0),
			 -EHOSTUNREACH);
	/* A and B still see each other. */
	assert_int_equal(count_ev(&nodes[0], 'L', mname(1), XCF_FAILED), 0);
	assert_int_equal(count_ev(&nodes[1], 'L', mname(0), XCF_FAILED), 0);
}

static void
test_bus_leave_rejoin(void **state)
{
	int msgs;

	(void)state;
	assert_int_equal(xcf_leave(nodes[1].x), 0);
	assert_int_equal(xcf_joined(nodes[1].x), 0);
	assert_int_equal(xcf_leave(nodes[1].x), 0);	/* idempotent */
	/* B's own view empties at once: A and itself left. */
	assert_int_equal(count_ev(&nodes[1], 'L', mname(0), XCF_LEFT), 1);
	assert_int_equal(count_ev(&nodes[1], 'L', mname(1), XCF_LEFT), 1);
	assert_int_equal(count_ev(&nodes[1], 'L', mname(2), XCF_LEFT), 0);	/* had failed */
	assert_int_equal(xcf_publish(nodes[1].x, WIRE_XCF_VIPA_ADV, NULL, 0), -ENOTCONN);
	WAIT_UNTIL(count_ev(&nodes[0], 'L', mname(1), XCF_LEFT) == 1, WAIT_MS);
	assert_int_equal(count_ev(&nodes[0], 'L', mname(1), XCF_FAILED), 0);
	assert_int_equal(xcf_send(nodes[0].x, mname(1), WIRE_XCF_TGT_SYNC_REQ, NULL, 0),
			 -EHOSTUNREACH);

	/* Rejoin (V TCPIP,,SYSPLEX,JOINGROUP). */
	assert_int_equal(xcf_join(nodes[1].x), 0);
	assert_int_equal(count_ev(&nodes[1], 'J', mname(1), 0), 2);
	WAIT_UNTIL(count_ev(&nodes[0], 'J', mname(1), 0) == 2 &&
		   count_ev(&nodes[1], 'J', mname(0), 0) == 2, WAIT_MS);
	msgs = count_msg(&nodes[1], WIRE_XCF_TGT_SYNC_REQ, mname(0), 0);
	assert_int_equal(send_retry(nodes[0].x, mname(1), WIRE_XCF_TGT_SYNC_REQ, zero16, 16), 0);
	WAIT_UNTIL(count_msg(&nodes[1], WIRE_XCF_TGT_SYNC_REQ, mname(0), 0) == msgs + 1, WAIT_MS);
	assert_int_equal(count_ev(&nodes[0], 'L', mname(1), XCF_FAILED), 0);
}

/* Leaves a socket file nobody listens on, as a killed member would. */
static void
stale_socket(const char *path)
{
	struct sockaddr_un sun;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	lib_strlcpy(sun.sun_path, path, sizeof(sun.sun_path));
	unlink(path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);
}

static void
test_bus_restart(void **state)
{
	char path[256];
	struct xcf *dup;
	uint64_t inc;
	int fails, joins;

	(void)state;
	/* A second SYSA cannot take the endpoint of the live one. */
	dup = start(0);
	assert_int_equal(xcf_join(dup), -EADDRINUSE);
	assert_int_equal(xcf_joined(dup), 0);
	xcf_destroy(&dup);

	/* C comes back over the stale socket files of a crash. */
	snprintf(path, sizeof(path), "%s/xcf/SYSC.rtr", tmpdir);
	stale_socket(path);
	snprintf(path, sizeof(path), "%s/xcf/SYSC.pub", tmpdir);
	stale_socket(path);
	nodes[2].nev = nodes[2].nmsg = 0;
	nodes[2].x = start(2);
	assert_int_equal(xcf_join(nodes[2].x), 0);
	WAIT_UNTIL(count_ev(&nodes[0], 'J', mname(2), 0) == 2 &&
		   count_ev(&nodes[1], 'J', mname(2), 0) == 2 &&
		   count_ev(&nodes[2], 'J', mname(0), 0) == 1 &&
		   count_ev(&nodes[2], 'J', mname(1), 0) == 1, WAIT_MS);

	/* C restarts at once, under a new incarnation: to A that is a
	 * failure of the old one, then a join of the new one. */
	inc = xcf_member(nodes[0].x, mname(2))->incarnation;
	fails = count_ev(&nodes[0], 'L', mname(2), XCF_FAILED);
	joins = count_ev(&nodes[0], 'J', mname(2), 0);
	xcf_destroy(&nodes[2].x);
	nodes[2].x = start(2);
	assert_int_equal(xcf_join(nodes[2].x), 0);
	WAIT_UNTIL(count_ev(&nodes[0], 'J', mname(2), 0) == joins + 1, WAIT_MS);
	assert_int_equal(count_ev(&nodes[0], 'L', mname(2), XCF_FAILED), fails + 1);
	assert_int_equal(nodes[0].ev[nodes[0].nev - 2].kind, 'L');
	assert_int_equal(nodes[0].ev[nodes[0].nev - 1].kind, 'J');
	assert_true(xcf_member(nodes[0].x, mname(2))->incarnation > inc);
	assert_int_equal(xcf_member(nodes[0].x, mname(2))->state, XCF_ACTIVE);
}

int
main(void)
{
	const struct CMUnitTest couple_tests[] = {
		cmocka_unit_test(test_couple_good),
		cmocka_unit_test(test_couple_bad),
		cmocka_unit_test(test_couple_file),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_endpoints),
	};
	const struct CMUnitTest bus_tests[] = {
		cmocka_unit_test(test_bus_join),
		cmocka_unit_test(test_bus_directed),
		cmocka_unit_test(test_bus_group),
		cmocka_unit_test(test_bus_unreachable),
		cmocka_unit_test(test_bus_outsiders),
		cmocka_unit_test(test_bus_garbage),
		cmocka_unit_test(test_bus_failure),
		cmocka_unit_test(test_bus_leave_rejoin),
		cmocka_unit_test(test_bus_restart),
	};
	int fails;

	fails = cmocka_run_group_tests(couple_tests, NULL, NULL);
	fails += cmocka_run_group_tests(bus_tests, bus_setup, bus_teardown);
	return fails;
}
