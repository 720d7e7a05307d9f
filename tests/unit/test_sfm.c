/*
 * test_sfm.c - proves the couple data set (xcf/cds.c) and Sysplex Failure
 * Management (xcf/sfm.c):
 *  - the couple config takes CDS PATH [LEASE ms] and MEMBER ... WEIGHT n and
 *    rejects every kind of mistake on the right line;
 *  - the SQLite backend (a real file in a fresh mkdtemp directory): a
 *    formatted data set has one INACTIVE slot per member with its weight;
 *    REGISTER makes a slot ACTIVE under an incarnation; a BEAT counts in an
 *    ACTIVE slot and answers XCF_CDS_OUT (writing nothing) once the slot is
 *    pilled, LEFT or taken by another incarnation; a pill needs the writer's
 *    own slot ACTIVE (-EPERM) and the victim's ACTIVE with the incarnation and
 *    beat expected (-ESTALE); a file that is not a couple data set, or is
 *    missing, is refused with a message;
 *  - two processes that race to pill each other, 40 times: exactly one of
 *    them is partitioned out every time, never both;
 *  - the SFM policy: the heavier side wins, a tie goes to the side of the
 *    first-listed system;
 *  - members on a real bus (one uv loop, ipc://, each with a CDS server in a
 *    thread): they join once registered and hold a lease; a member destroyed
 *    without leaving is in doubt (nothing may be taken over) until SFM has
 *    pilled it and waited out its lease, then it is PARTITIONED and the
 *    sysplex is settled (sfm_cb); a member that cannot reach the data set
 *    loses its lease, leaves (leave_cb for itself, XCF_PARTITIONED) and,
 *    once it can again, rejoins under a new incarnation; an orderly leave
 *    writes LEFT, so nobody is in doubt.
 * Waits poll the loop until a deadline; nothing is measured.
 */
#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "lib/lib.h"
#include "xcf/xcf.h"

/* Short enough for a quick test, long enough that a busy machine's
 * scheduling stalls (the three members share this process's one loop) do
 * not read as failures or lapsed leases: 20/100/120 failed under load. */
#define HB_MS 50
#define FAIL_MS 250
#define LEASE_MS 300
#define WAIT_MS 5000

static char tmpdir[64];

static int
rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static int
setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_sfm.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	nftw(tmpdir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

/* ---- the couple config ----------------------------------------------------------- */

static int
parse(struct xcf_couple *c, const char *text, char *err, size_t errlen)
{
	return xcf_couple_parse_buf(c, "t.cfg", text, strlen(text), err, errlen);
}

static void
test_couple_cds(void **state)
{
	static const struct { const char *text, *line, *what; } bad[] = {
		{"SYSPLEX P\nCDS\nMEMBER A B ipc://x\n", "t.cfg:2: ", "CDS PATH"},
		{"SYSPLEX P\nCDS relative.db\nMEMBER A B ipc://x\n", "t.cfg:2: ", "absolute"},
		{"SYSPLEX P\nCDS /a LEASE\nMEMBER A B ipc://x\n", "t.cfg:2: ", "CDS PATH"},
		{"SYSPLEX P\nCDS /a LEASE x\nMEMBER A B ipc://x\n", "t.cfg:2: ", "LEASE"},
		{"SYSPLEX P\nCDS /a LEASE 0\nMEMBER A B ipc://x\n", "t.cfg:2: ", "LEASE"},
		{"SYSPLEX P\nCDS /a TIME 5\nMEMBER A B ipc://x\n", "t.cfg:2: ", "CDS: 'TIME': expected LEASE ms or KEY k"},
		{"SYSPLEX P\nCDS /a\nCDS /b\nMEMBER A B ipc://x\n", "t.cfg:3: ", "twice"},
		{"SYSPLEX P\nINTERVAL 50 FAILURE 250\nCDS /a LEASE 150\nMEMBER A B ipc://x\n",
		 "t.cfg:3: ", "4 x INTERVAL"},
		{"SYSPLEX P\nMEMBER A B ipc://x WEIGHT\n", "t.cfg:2: ", "WEIGHT n"},
		{"SYSPLEX P\nMEMBER A B ipc://x WEIGHT 0\n", "t.cfg:2: ", "WEIGHT"},
		{"SYSPLEX P\nMEMBER A B ipc://x WEIGHT 10000\n", "t.cfg:2: ", "WEIGHT"},
		{"SYSPLEX P\nMEMBER A B ipc://x HEAVY 3\n", "t.cfg:2: ", "WEIGHT n"},
		{"SYSPLEX P\nMEMBER A B ipc://x LOAD 101\n", "t.cfg:2: ", "LOAD '101' is not a number 0-100"},
		{"SYSPLEX P\nMEMBER A B ipc://x CAPACITY -1\n", "t.cfg:2: ", "CAPACITY"},
		{"SYSPLEX P\nMEMBER A B ipc://x LOAD 1 LOAD 2\n", "t.cfg:2: ", "LOAD given twice"},
	};
	struct xcf_couple c;
	char err[256];
	size_t i;

	(void)state;
	assert_int_equal(parse(&c, "SYSPLEX P\nINTERVAL 20 FAILURE 100\ncds /run/x/cds.db lease 80\n"
			       "MEMBER A T ipc://a WEIGHT 7\nMEMBER B T ipc://b\n", err, sizeof(err)), 0);
	assert_string_equal(c.cds, "/run/x/cds.db");
	assert_int_equal(c.lease_ms, 80);
	assert_int_equal(c.m[0].weight, 7);
	assert_int_equal(c.m[1].weight, 1);
	/* The emulated WLM system of a member: CAPACITY 100 and LOAD 0 unless given. */
	assert_int_equal(c.m[0].capacity, 100);
	assert_int_equal(c.m[0].load, 0);
	assert_int_equal(parse(&c, "SYSPLEX P\nMEMBER A T ipc://a LOAD 30 WEIGHT 2 CAPACITY 250\n",
			       err, sizeof(err)), 0);
	assert_int_equal(c.m[0].capacity, 250);
	assert_int_equal(c.m[0].load, 30);
	assert_int_equal(c.m[0].weight, 2);
	assert_int_equal(parse(&c, "SYSPLEX P\nCDS /x.db\nMEMBER A T ipc://a\n", err, sizeof(err)), 0);
	assert_int_equal(c.lease_ms, 400);
	assert_int_equal(parse(&c, "SYSPLEX P\nMEMBER A T ipc://a\n", err, sizeof(err)), 0);
	assert_string_equal(c.cds, "");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(parse(&c, bad[i].text, err, sizeof(err)), -EINVAL);
		if (strncmp(err, bad[i].line, strlen(bad[i].line)) != 0 || !strstr(err, bad[i].what))
			fail_msg("case %zu: '%s' (want %s...%s)", i, err, bad[i].line, bad[i].what);
	}
}

/* ---- the backend ------------------------------------------------------------------- */

/* The members' key pairs (made once). */
static char pubk[3][XCF_KEY_LEN + 1], seck[3][XCF_KEY_LEN + 1];

static void
couple3(struct xcf_couple *c, const char *path)
{
	char text[1024], err[256];
	int i;

	for (i = 0; i < 3; i++)
		if (!pubk[i][0])
			assert_int_equal(xcf_keypair(pubk[i], seck[i]), 0);
	snprintf(text, sizeof(text),
		 "SYSPLEX P\nINTERVAL %d FAILURE %d\nCDS %s LEASE %d\n"
		 "MEMBER SYSA TCPCS ipc://%s/xcf/SYSA WEIGHT 2 KEY %s\n"
		 "MEMBER SYSB TCPCS ipc://%s/xcf/SYSB KEY %s\n"
		 "MEMBER SYSC TCPCS ipc://%s/xcf/SYSC KEY %s\n", HB_MS, FAIL_MS, path, LEASE_MS,
		 tmpdir, pubk[0], tmpdir, pubk[1], tmpdir, pubk[2]);
	if (parse(c, text, err, sizeof(err)) < 0)
		fail_msg("%s", err);
}

static const struct xcf_slot *
slot_of(const struct xcf_slot *s, int n, const char *sys)
{
	int i;

	for (i = 0; i < n; i++)
		if (strcmp(s[i].sysname, sys) == 0)
			return &s[i];
	fail_msg("no slot %s", sys);
	return NULL;
}

static void
test_cds_backend(void **state)
{
	struct xcf_slot s[XCF_MAX_MEMBERS];
	struct xcf_couple c;
	struct xcf_cds *db;
	char path[128], err[300];
	uint64_t beat;
	int n, i;
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/cds.db", tmpdir);
	couple3(&c, path);
	assert_int_equal(xcf_cds_format(path, &c, err, sizeof(err)), 0);
	/* Formatting again replaces it. */
	assert_int_equal(xcf_cds_format(path, &c, err, sizeof(err)), 0);
	db = xcf_cds_open(path, 100, err, sizeof(err));
	assert_non_null(db);
	n = xcf_cds_read(db, s, XCF_MAX_MEMBERS);
	assert_int_equal(n, 3);
	for (i = 0; i < 3; i++) {
		assert_int_equal(s[i].ord, i);
		assert_int_equal(s[i].state, XCF_SLOT_INACTIVE);
		assert_int_equal(s[i].weight, i == 0 ? 2 : 1);
		assert_string_equal(s[i].key, pubk[i]);	/* the data set lists the keys */
	}
	assert_string_equal(s[1].member, "SYSBTCPCS");

	assert_int_equal(xcf_cds_register(db, "SYSA", 11, s, XCF_MAX_MEMBERS, &n), 0);
	assert_int_equal(xcf_cds_register(db, "SYSB", 21, s, XCF_MAX_MEMBERS, &n), 0);
	assert_int_equal(slot_of(s, n, "SYSB")->state, XCF_SLOT_ACTIVE);
	assert_int_equal(slot_of(s, n, "SYSB")->incarnation, 21);
	assert_int_equal(xcf_cds_register(db, "SYSX", 1, s, XCF_MAX_MEMBERS, &n), -ESRCH);
	beat = slot_of(s, n, "SYSA")->beat;
	assert_int_equal(xcf_cds_beat(db, "SYSA", 11, s, XCF_MAX_MEMBERS, &n), 0);
	assert_int_equal(slot_of(s, n, "SYSA")->beat, beat + 1);
	/* A beat of an old incarnation writes nothing. */
	assert_int_equal(xcf_cds_beat(db, "SYSA", 10, s, XCF_MAX_MEMBERS, &n), XCF_CDS_OUT);
	assert_int_equal(slot_of(s, n, "SYSA")->beat, beat + 1);

	/* Pills: the expected beat, the victim's incarnation, the writer's slot. */
	beat = slot_of(s, n, "SYSB")->beat;
	assert_int_equal(xcf_cds_pill(db, "SYSA", 11, "SYSB", 21, beat + 5, "T", &beat), -ESTALE);
	assert_int_equal(xcf_cds_pill(db, "SYSA", 11, "SYSB", 20, XCF_CDS_ANY_BEAT, "T", &beat),
			 -ESTALE);
	assert_int_equal(xcf_cds_pill(db, "SYSA", 10, "SYSB", 21, XCF_CDS_ANY_BEAT, "T", &beat),
			 -EPERM);
	assert_int_equal(xcf_cds_pill(db, "SYSC", 0, "SYSB", 21, XCF_CDS_ANY_BEAT, "T", &beat),
			 -EPERM);
	assert_int_equal(xcf_cds_pill(db, "SYSA", 11, "SYSB", 21, slot_of(s, n, "SYSB")->beat,
				      "STATUS UPDATE MISSING", &beat), 0);
	assert_int_equal(beat, slot_of(s, n, "SYSB")->beat);
	assert_int_equal(xcf_cds_beat(db, "SYSB", 21, s, XCF_MAX_MEMBERS, &n), XCF_CDS_OUT);
	assert_int_equal(slot_of(s, n, "SYSB")->state, XCF_SLOT_PARTITIONED);
	assert_int_equal(slot_of(s, n, "SYSB")->pill_inc, 21);
	assert_string_equal(slot_of(s, n, "SYSB")->pill_by, "SYSA");
	assert_string_equal(slot_of(s, n, "SYSB")->reason, "STATUS UPDATE MISSING");
	assert_int_equal(slot_of(s, n, "SYSB")->beat, beat);
	/* A pilled system pills nobody, and is not pilled twice. */
	assert_int_equal(xcf_cds_pill(db, "SYSB", 21, "SYSA", 11, XCF_CDS_ANY_BEAT, "T", &beat),
			 -EPERM);
	assert_int_equal(xcf_cds_pill(db, "SYSA", 11, "SYSB", 21, XCF_CDS_ANY_BEAT, "T", &beat),
			 -ESTALE);
	/* The pilled incarnation never registers again (a retry of a register
	 * whose answer was lost, arriving after the pill), nor an older one. */
	assert_int_equal(xcf_cds_register(db, "SYSB", 21, s, XCF_MAX_MEMBERS, &n), XCF_CDS_OUT);
	assert_int_equal(slot_of(s, n, "SYSB")->state, XCF_SLOT_PARTITIONED);
	assert_int_equal(slot_of(s, n, "SYSB")->beat, beat);
	assert_int_equal(xcf_cds_register(db, "SYSB", 20, s, XCF_MAX_MEMBERS, &n), XCF_CDS_OUT);
	assert_int_equal(slot_of(s, n, "SYSB")->incarnation, 21);
	/* It rejoins under a new incarnation; a retry of that register is a beat. */
	assert_int_equal(xcf_cds_register(db, "SYSB", 22, s, XCF_MAX_MEMBERS, &n), 0);
	beat = slot_of(s, n, "SYSB")->beat;
	assert_int_equal(xcf_cds_register(db, "SYSB", 22, s, XCF_MAX_MEMBERS, &n), 0);
	assert_int_equal(slot_of(s, n, "SYSB")->beat, beat + 1);
	assert_int_equal(slot_of(s, n, "SYSB")->state, XCF_SLOT_ACTIVE);
	assert_int_equal(xcf_cds_beat(db, "SYSB", 22, s, XCF_MAX_MEMBERS, &n), 0);
	assert_int_equal(slot_of(s, n, "SYSB")->state, XCF_SLOT_ACTIVE);
	/* LEFT. */
	assert_int_equal(xcf_cds_leave(db, "SYSA", 11), 0);
	assert_int_equal(xcf_cds_beat(db, "SYSA", 11, s, XCF_MAX_MEMBERS, &n), XCF_CDS_OUT);
	assert_int_equal(slot_of(s, n, "SYSA")->state, XCF_SLOT_LEFT);
	assert_int_equal(xcf_cds_pill(db, "SYSB", 22, "SYSA", 11, XCF_CDS_ANY_BEAT, "T", &beat),
			 -ESTALE);
	xcf_cds_close(&db);
	assert_null(db);

	/* Not a couple data set; missing. */
	snprintf(path, sizeof(path), "%s/other.db", tmpdir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("this is not SQLite\n", f);
	fclose(f);
	assert_null(xcf_cds_open(path, 100, err, sizeof(err)));
	assert_non_null(strstr(err, path));
	snprintf(path, sizeof(path), "%s/none.db", tmpdir);
	assert_null(xcf_cds_open(path, 100, err, sizeof(err)));
	assert_non_null(strstr(err, "No such file"));
}

/* Two processes race to pill each other; exactly one is partitioned out. */
static void
test_cds_no_mutual_pill(void **state)
{
	struct xcf_slot s[XCF_MAX_MEMBERS];
	struct xcf_couple c;
	char path[128], err[300];
	int round, n;

	(void)state;
	snprintf(path, sizeof(path), "%s/race.db", tmpdir);
	couple3(&c, path);
	for (round = 0; round < 40; round++) {
		struct xcf_cds *db;
		pid_t pid[2];
		int k, out = 0;

		assert_int_equal(xcf_cds_format(path, &c, err, sizeof(err)), 0);
		db = xcf_cds_open(path, 1000, err, sizeof(err));
		assert_non_null(db);
		assert_int_equal(xcf_cds_register(db, "SYSA", 1, s, XCF_MAX_MEMBERS, &n), 0);
		assert_int_equal(xcf_cds_register(db, "SYSB", 2, s, XCF_MAX_MEMBERS, &n), 0);
		xcf_cds_close(&db);
		for (k = 0; k < 2; k++) {
			pid[k] = fork();
			assert_true(pid[k] >= 0);
			if (pid[k] == 0) {
				struct xcf_cds *mine = xcf_cds_open(path, 1000, err, sizeof(err));
				const char *me = k ? "SYSB" : "SYSA", *other = k ? "SYSA" : "SYSB";
				uint64_t b;
				int rc = -1;

				if (mine)
					rc = xcf_cds_pill(mine, me, (uint64_t)k + 1, other,
							  (uint64_t)(1 - k) + 1, XCF_CDS_ANY_BEAT, "RACE",
							  &b);
				_exit(rc == 0 ? 0 : rc == -EPERM || rc == -ESTALE ? 1 : 2);
			}
		}
		for (k = 0; k < 2; k++) {
			int st;

			assert_int_equal(waitpid(pid[k], &st, 0), pid[k]);
			assert_true(WIFEXITED(st));
			assert_true(WEXITSTATUS(st) <= 1);
		}
		db = xcf_cds_open(path, 1000, err, sizeof(err));
		assert_non_null(db);
		n = xcf_cds_read(db, s, XCF_MAX_MEMBERS);
		out = (slot_of(s, n, "SYSA")->state == XCF_SLOT_PARTITIONED) +
		      (slot_of(s, n, "SYSB")->state == XCF_SLOT_PARTITIONED);
		xcf_cds_close(&db);
		if (out != 1)
			fail_msg("round %d: %d systems partitioned out", round, out);
	}
}

static void
test_policy(void **state)
{
	(void)state;
	assert_true(xcf_sfm_side_wins(2, 1, 0));
	assert_false(xcf_sfm_side_wins(1, 2, 1));
	assert_true(xcf_sfm_side_wins(1, 1, 1));
	assert_false(xcf_sfm_side_wins(1, 1, 0));
	assert_true(xcf_sfm_side_wins(10, 3, 0));
	assert_false(xcf_sfm_side_wins(2, 2, 0));
}

/* ---- members on a real bus ------------------------------------------------------------- */

struct node {
	const char *sys;
	struct xcf *x;
	int self_joins, self_leaves, sfm_cbs;
	enum xcf_member_state last_self_leave;
	int fail_connect;
};

static uv_loop_t loop;
static struct xcf_couple couple;
static struct node nodes[3];

static void *
server_thread(void *arg)
{
	int *fds = arg;

	xcf_cds_serve(fds[0], couple.cds);
	close(fds[0]);
	free(fds);
	return NULL;
}

/* The test's CDS server: a thread on one end of a socketpair. */
static int
connect_cb(void *arg)
{
	struct node *n = arg;
	int sv[2], *fds;
	pthread_t t;

	if (n->fail_connect)
		return -ECONNREFUSED;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	fds = malloc(sizeof(int));
	assert_non_null(fds);
	fds[0] = sv[1];
	assert_int_equal(pthread_create(&t, NULL, server_thread, fds), 0);
	pthread_detach(t);
	return sv[0];
}

static void
join_cb(struct xcf *x, const struct xcf_member_info *m, void *arg)
{
	struct node *n = arg;

	(void)x;
	if (strcmp(m->sysname, n->sys) == 0)
		n->self_joins++;
}

static void
leave_cb(struct xcf *x, const struct xcf_member_info *m, void *arg)
{
	struct node *n = arg;

	(void)x;
	if (strcmp(m->sysname, n->sys) == 0) {
		n->self_leaves++;
		n->last_self_leave = m->state;
	}
}

static void
sfm_cb(struct xcf *x, void *arg)
{
	(void)x;
	((struct node *)arg)->sfm_cbs++;
}

static void
msg_cb(struct xcf *x, const struct xcf_member_info *from, uint8_t type, const uint8_t *body,
       size_t len, int group, void *arg)
{
	(void)x;
	(void)from;
	(void)type;
	(void)body;
	(void)len;
	(void)group;
	(void)arg;
}

static const struct xcf_cbs cbs = {join_cb, leave_cb, msg_cb, sfm_cb};

#define WAIT_UNTIL(cond, ms)                                                     \
	do {                                                                     \
		uint64_t dl_ = lib_now_ms() + (ms);                              \
		while (!(cond) && lib_now_ms() < dl_)                            \
			uv_run(&loop, UV_RUN_ONCE);                              \
		if (!(cond))                                                     \
			fail_msg("timed out waiting for %s", #cond);             \
	} while (0)

static struct xcf *
start(int i)
{
	struct xcf_config cfg;
	struct xcf *x;

	memset(&cfg, 0, sizeof(cfg));
	cfg.couple = &couple;
	cfg.sysname = nodes[i].sys;
	cfg.tcpname = "TCPCS";
	cfg.secret_key = seck[i];
	cfg.xcfaddr[15] = (uint8_t)(i + 1);
	cfg.cds_connect = connect_cb;
	cfg.cds_arg = &nodes[i];
	x = xcf_new(&loop, &cfg, &cbs, &nodes[i]);
	assert_non_null(x);
	assert_int_equal(xcf_join(x), 0);
	return x;
}

static const struct xcf_member_info *
info(int from, int who)
{
	static struct xcf_member_info m[XCF_MAX_MEMBERS];
	int n = xcf_members(nodes[from].x, m, XCF_MAX_MEMBERS);

	assert_true(who < n);
	return &m[who];
}

static int
slot_state(int from, int who)
{
	static struct xcf_cds_view v;

	assert_int_equal(xcf_cds_view(nodes[from].x, &v), 0);
	return who < v.n ? v.slot[who].state : -1;
}

static void
test_members(void **state)
{
	char path[128], err[300];
	uint64_t inc;
	int i, cbs0;

	(void)state;
	signal(SIGPIPE, SIG_IGN);
	snprintf(path, sizeof(path), "%s/bus.db", tmpdir);
	couple3(&couple, path);
	assert_int_equal(xcf_cds_format(path, &couple, err, sizeof(err)), 0);
	assert_int_equal(uv_loop_init(&loop), 0);
	nodes[0].sys = "SYSA";
	nodes[1].sys = "SYSB";
	nodes[2].sys = "SYSC";
	for (i = 0; i < 3; i++)
		nodes[i].x = start(i);
	/* Joined once registered, with a lease; nobody in doubt. */
	WAIT_UNTIL(nodes[0].self_joins && nodes[1].self_joins && nodes[2].self_joins, WAIT_MS);
	WAIT_UNTIL(info(0, 1)->state == XCF_ACTIVE && info(0, 2)->state == XCF_ACTIVE &&
		   info(2, 0)->state == XCF_ACTIVE, WAIT_MS);
	for (i = 0; i < 3; i++) {
		assert_true(xcf_lease_ok(nodes[i].x));
		assert_true(xcf_lease_left_ms(nodes[i].x) <= LEASE_MS);
		assert_int_equal(xcf_self_state(nodes[i].x), XCF_ACTIVE);
	}
	WAIT_UNTIL(xcf_settled(nodes[0].x) && slot_state(0, 2) == XCF_SLOT_ACTIVE, WAIT_MS);

	/* SYSC crashes (destroyed without leaving): in doubt, then removed. */
	cbs0 = nodes[0].sfm_cbs;
	xcf_destroy(&nodes[2].x);
	WAIT_UNTIL(info(0, 2)->state != XCF_ACTIVE, WAIT_MS);
	/* In doubt, and nobody settled, until SFM partitioned it out (on a
	 * slow machine both may have happened by the time we look). */
	assert_true(slot_state(0, 2) == XCF_SLOT_PARTITIONED ||
		    (info(0, 2)->in_doubt && !xcf_settled(nodes[0].x)));
	WAIT_UNTIL(slot_state(0, 2) == XCF_SLOT_PARTITIONED, WAIT_MS);
	WAIT_UNTIL(xcf_settled(nodes[0].x) && xcf_settled(nodes[1].x), WAIT_MS);
	assert_int_equal(info(0, 2)->state, XCF_PARTITIONED);
	assert_false(info(0, 2)->in_doubt);
	assert_true(nodes[0].sfm_cbs > cbs0);
	assert_true(xcf_lease_ok(nodes[0].x) && xcf_lease_ok(nodes[1].x));

	/* SYSB loses the couple data set: it loses its lease, leaves, and
	 * rejoins under a new incarnation once it can reach it again. */
	inc = info(1, 1)->incarnation;
	assert_int_equal(xcf_cds_fault(nodes[1].x, 1), 0);
	WAIT_UNTIL(!xcf_lease_ok(nodes[1].x), WAIT_MS);
	WAIT_UNTIL(nodes[1].self_leaves == 1, WAIT_MS);
	assert_int_equal(nodes[1].last_self_leave, XCF_PARTITIONED);
	assert_int_equal(xcf_self_state(nodes[1].x), XCF_JOINING);
	WAIT_UNTIL(slot_state(0, 1) == XCF_SLOT_PARTITIONED && xcf_settled(nodes[0].x), WAIT_MS);
	assert_int_equal(xcf_cds_fault(nodes[1].x, 0), 0);
	WAIT_UNTIL(nodes[1].self_joins == 2 && xcf_lease_ok(nodes[1].x), WAIT_MS);
	assert_true(info(1, 1)->incarnation > inc);
	WAIT_UNTIL(slot_state(0, 1) == XCF_SLOT_ACTIVE && info(0, 1)->state == XCF_ACTIVE &&
		   xcf_settled(nodes[0].x), WAIT_MS);

	/* An orderly leave: LEFT in the data set, nobody in doubt. */
	assert_int_equal(xcf_leave(nodes[1].x), 0);
	assert_false(xcf_lease_ok(nodes[1].x));
	assert_int_equal(xcf_self_state(nodes[1].x), XCF_LEFT);
	WAIT_UNTIL(info(0, 1)->state == XCF_LEFT && slot_state(0, 1) == XCF_SLOT_LEFT, WAIT_MS);
	assert_true(xcf_settled(nodes[0].x));
	/* The one that left still hears SYSA. */
	assert_int_equal(info(1, 0)->state, XCF_ACTIVE);

	for (i = 0; i < 3; i++)
		xcf_destroy(&nodes[i].x);
	while (uv_run(&loop, UV_RUN_NOWAIT))
		;
	uv_loop_close(&loop);
}

/* A slot that shows our next incarnation already partitioned out (a
 * register whose answer was lost, then a pill by a member that never heard
 * us): the register is refused and the system registers a newer one
 * instead of living as a member whose beats the others drop. */
static void
test_join_over_pilled_slot(void **state)
{
	struct xcf_slot s[XCF_MAX_MEMBERS];
	char path[128], err[300];
	struct xcf_cds *db;
	uint64_t fut, beat;
	int i, n;

	(void)state;
	snprintf(path, sizeof(path), "%s/pilled.db", tmpdir);
	couple3(&couple, path);
	assert_int_equal(xcf_cds_format(path, &couple, err, sizeof(err)), 0);
	db = xcf_cds_open(path, 100, err, sizeof(err));
	assert_non_null(db);
	fut = (lib_wall_ms() + 3600000) << 20;	/* above what a join picks now */
	assert_int_equal(xcf_cds_register(db, "SYSA", 1, s, XCF_MAX_MEMBERS, &n), 0);
	assert_int_equal(xcf_cds_register(db, "SYSC", fut, s, XCF_MAX_MEMBERS, &n), 0);
	assert_int_equal(xcf_cds_pill(db, "SYSA", 1, "SYSC", fut, XCF_CDS_ANY_BEAT,
				      "STATUS UPDATE MISSING", &beat), 0);
	assert_int_equal(xcf_cds_leave(db, "SYSA", 1), 0);
	xcf_cds_close(&db);

	assert_int_equal(uv_loop_init(&loop), 0);
	nodes[0].sys = "SYSA";
	nodes[1].sys = "SYSB";
	nodes[2].sys = "SYSC";
	for (i = 0; i < 3; i++) {
		nodes[i].self_joins = nodes[i].self_leaves = 0;
		nodes[i].x = start(i);
	}
	WAIT_UNTIL(nodes[0].self_joins && nodes[1].self_joins && nodes[2].self_joins, WAIT_MS);
	assert_true(info(2, 2)->incarnation > fut);
	/* The others hear the new SYSC. */
	WAIT_UNTIL(info(0, 2)->state == XCF_ACTIVE && info(1, 2)->state == XCF_ACTIVE &&
		   slot_state(0, 2) == XCF_SLOT_ACTIVE, WAIT_MS);
	assert_int_equal(info(0, 2)->incarnation, info(2, 2)->incarnation);
	for (i = 0; i < 3; i++)
		xcf_destroy(&nodes[i].x);
	while (uv_run(&loop, UV_RUN_NOWAIT))
		;
	uv_loop_close(&loop);
}

static int
refused(int i)
{
	const struct lib_verdicts *v = xcf_verdicts(nodes[i].x);

	return lib_verdict_count(v, "XCF connection refused: key not a member's") +
	       lib_verdict_count(v, "sender's key differs in the couple data set") > 0;
}

/* The couple data set lists another key for SYSC than the couple config:
 * the others refuse SYSC's connections (counted) and never see it join,
 * while they run with each other. */
static void
test_key_mismatch(void **state)
{
	char path[128], err[300], other_pub[XCF_KEY_LEN + 1], other_sec[XCF_KEY_LEN + 1];
	char sql[256];
	sqlite3 *db;
	int i;

	(void)state;
	signal(SIGPIPE, SIG_IGN);
	snprintf(path, sizeof(path), "%s/keys.db", tmpdir);
	couple3(&couple, path);
	assert_int_equal(xcf_cds_format(path, &couple, err, sizeof(err)), 0);
	assert_int_equal(xcf_keypair(other_pub, other_sec), 0);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	snprintf(sql, sizeof(sql), "UPDATE cds_slot SET pubkey = '%s' WHERE sysname = 'SYSC'",
		 other_pub);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(uv_loop_init(&loop), 0);
	memset(nodes, 0, sizeof(nodes));
	nodes[0].sys = "SYSA";
	nodes[1].sys = "SYSB";
	nodes[2].sys = "SYSC";
	for (i = 0; i < 3; i++)
		nodes[i].x = start(i);
	WAIT_UNTIL(nodes[0].self_joins && nodes[1].self_joins && info(0, 1)->state == XCF_ACTIVE &&
		   info(1, 0)->state == XCF_ACTIVE, WAIT_MS);
	/* Refused at the handshake, or (a connection made before the data set
	 * was read) frame by frame. */
	WAIT_UNTIL(refused(0) && refused(1), WAIT_MS);
	WAIT_UNTIL(info(0, 2)->state != XCF_ACTIVE && info(1, 2)->state != XCF_ACTIVE, WAIT_MS);
	/* And for a while after, SYSC is never an active member for them. */
	for (i = 0; i < 20; i++) {
		uint64_t dl = lib_now_ms() + HB_MS;

		while (lib_now_ms() < dl)
			uv_run(&loop, UV_RUN_ONCE);
		assert_int_not_equal(info(0, 2)->state, XCF_ACTIVE);
		assert_int_not_equal(info(1, 2)->state, XCF_ACTIVE);
	}
	for (i = 0; i < 3; i++)
		xcf_destroy(&nodes[i].x);
	while (uv_run(&loop, UV_RUN_NOWAIT))
		;
	uv_loop_close(&loop);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_couple_cds),
		cmocka_unit_test(test_policy),
		cmocka_unit_test_setup_teardown(test_cds_backend, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cds_no_mutual_pill, setup, teardown),
		cmocka_unit_test_setup_teardown(test_members, setup, teardown),
		cmocka_unit_test_setup_teardown(test_join_over_pilled_slot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_mismatch, setup, teardown),
	};

	lib_log_init("test_sfm", LIB_LOG_WARN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
