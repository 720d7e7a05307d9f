/*
 * test_stack_obey.c - proves the run-time profile changes of tcpip-stack/:
 * OBEYFILE (vary.c) and VIPARANGE application-instance DVIPAs (own.c), on
 * stack SYSA owning DVIPA fd00:100::1 (VIPADEFINE, port 8080 DESTIP ALL)
 * beside SYSB and SYSC; the bus and the clock are the fakes of fake.h.
 *  - A wrong OBEYFILE changes nothing: the start-up error (FILE:LINE), the
 *    profile, the VDPT and the distribution as they were.
 *  - An OBEYFILE adding a second VIPADISTRIBUTE for the DVIPA (another
 *    port, its own method and destinations): the port's service has that
 *    method and rows; the DIST_ADV advertises both ports.
 *  - Deleting a distribution: its VDPT rows go, its port is no longer
 *    distributed, a connection routed on it keeps its VCRT entry; deleting
 *    the last one advertises a distribution without ports.
 *  - VIPADELETE gives an owned DVIPA up and it is no longer defined here.
 *  - VIPARANGE: a listener found on an address inside a range makes a
 *    defined application-instance DVIPA (advertised with the RANGE flag);
 *    outside the range nothing; when the listener is gone the DVIPA goes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/unit/fake.h"

static struct stack st;
static const uint8_t XA[16] = { 0xfd, 0, 0, 0x10, [15] = 1 };
static const uint8_t XB[16] = { 0xfd, 0, 0, 0x10, [15] = 2 };
static const uint8_t XC[16] = { 0xfd, 0, 0, 0x10, [15] = 3 };
static const uint8_t DV[16] = { 0xfd, 0, 1, 0, [15] = 1 };		/* fd00:100::1 */
static const uint8_t R5[16] = { 0xfd, 0, 2, 0, [15] = 5 };		/* fd00:200::5 */
static const uint8_t R6[16] = { 0xfd, 0, 2, 1, [15] = 5 };		/* fd00:201::5 */
static char dir[64];

static const char profile[] =
	"IPCONFIG6 DYNAMICXCF fd00:10::1\n"
	"VIPADYNAMIC\n"
	"  VIPADEFINE MOVEABLE IMMEDIATE DVIPA1 fd00:100::1\n"
	"  VIPADISTRIBUTE DEFINE DISTMETHOD ROUNDROBIN DVIPA1 PORT 8080 DESTIP ALL\n"
	"  VIPARANGE DEFINE APPL6 fd00:200::/64\n"
	"ENDVIPADYNAMIC\n";

static int
setup(void **state)
{
	char err[256];
	struct stack_dvipa *d;

	fake_bus_reset();
	fake_bus_member("SYSA", "TCPCS", XA, XCF_ACTIVE, 1);
	fake_bus_member("SYSB", "TCPCS", XB, XCF_ACTIVE, 1);
	fake_bus_member("SYSC", "TCPCS", XC, XCF_ACTIVE, 1);
	fake_stack_init(&st, uv_default_loop(), "SYSA", XA);
	assert_int_equal(vipa_profile_parse_buf(&st.prof, "sysa.prof", profile, strlen(profile),
						err, sizeof(err)), 0);
	stack_dvipa_load_profile(&st);
	d = stack_dvipa_find(&st, DV);
	assert_non_null(d);
	/* We are the routing stack (as own.c's activation leaves it). */
	d->owned = 1;
	lib_strlcpy(d->owner, st.member, sizeof(d->owner));
	stack_dist_setup(&st, d);
	snprintf(dir, sizeof(dir), "/tmp/test_stack_obey.XXXXXX");
	assert_non_null(mkdtemp(dir));
	*state = &st;
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fail_msg("cannot remove %s", dir);
	return fake_stack_teardown(state);
}

/* The file's path (one buffer per file name, up to 8 files a test). */
static const char *
obeyfile(const char *name, const char *text)
{
	static char paths[8][128];
	static int next;
	char *path = paths[next++ % 8];
	FILE *f;

	snprintf(path, sizeof(paths[0]), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

static struct vipa_vdpt_entry *
row(uint16_t port, const uint8_t x[16], int create)
{
	return vipa_vdpt_get(st.vdpt, DV, port, x, create);
}

static void
test_wrong_obeyfile_changes_nothing(void **state)
{
	const char *p = obeyfile("bad.prof", "VIPADYNAMIC\n"
		"  VIPADISTRIBUTE DEFINE DISTMETHOD SERVERWLM DVIPA1 PORT 8081 DESTIP ALL\n"
		"  VIPADISTRIBUTE DELETE DVIPA1 PORT 22 DESTIP ALL\n"
		"ENDVIPADYNAMIC\n");
	char msg[1024], want[256];
	struct stack_dvipa *d = stack_dvipa_find(&st, DV);

	(void)state;
	assert_non_null(row(8080, XB, 1));
	assert_int_equal(stack_obey(&st, p, msg, sizeof(msg)), -1);
	snprintf(want, sizeof(want), "EZZ0059I VARY OBEY FAILED, NOTHING WAS APPLIED: %s:3: "
		 "VIPADISTRIBUTE: port 22 of fd00:100::1 is not distributed", p);
	assert_string_equal(msg, want);
	assert_int_equal(st.prof.ndist, 1);
	assert_int_equal(d->dist.nports, 1);
	assert_false(stack_dvipa_is_dist_port(d, 8081));
	assert_non_null(row(8080, XB, 0));
	assert_int_equal(stack_obey(&st, "/nonexistent/obey.prof", msg, sizeof(msg)), -1);
	assert_non_null(strstr(msg, "EZZ0059I"));
}

static void
test_add_and_delete_distributions(void **state)
{
	const char *add = obeyfile("add.prof", "VIPADYNAMIC\n"
		"  VIPADISTRIBUTE DEFINE DISTMETHOD HOTSTANDBY DVIPA1 PORT 8081 DESTIP\n"
		"    fd00:10::2 PREFERRED fd00:10::3 BACKUP 10\n"
		"ENDVIPADYNAMIC\n");
	const char *del = obeyfile("del.prof", "VIPADYNAMIC\n"
		"  VIPADISTRIBUTE DELETE DVIPA1 PORT 8080 DESTIP ALL\n"
		"ENDVIPADYNAMIC\n");
	const char *del2 = obeyfile("del2.prof", "VIPADYNAMIC\n"
		"  VIPADISTRIBUTE DELETE DVIPA1 PORT 8081 DESTIP fd00:10::2 fd00:10::3\n"
		"ENDVIPADYNAMIC\n");
	struct stack_dvipa *d = stack_dvipa_find(&st, DV);
	struct wire_xcf_dist_adv m;
	const struct fake_msg *f;
	struct vipa_conn_key k;
	const char *why;
	char msg[1024];
	int created;

	(void)state;
	assert_non_null(row(8080, XB, 1));	/* as a report would make it */
	fake_bus_clear_sent();
	assert_int_equal(stack_obey(&st, add, msg, sizeof(msg)), 0);
	assert_non_null(strstr(msg, "EZZ0053I COMMAND VARY OBEY COMPLETED SUCCESSFULLY: 2 CHANGE(S)"));
	assert_true(stack_dvipa_is_dist_port(d, 8080));
	assert_true(stack_dvipa_is_dist_port(d, 8081));
	assert_int_equal(vipa_vdpt_method(st.vdpt, DV, 8081), VIPA_DIST_HOTSTANDBY);
	assert_int_equal(vipa_vdpt_method(st.vdpt, DV, 8080), VIPA_DIST_ROUNDROBIN);
	assert_int_equal(row(8081, XB, 0)->hs_type, VIPA_SRV_PREFERRED);
	assert_int_equal(row(8081, XC, 0)->hs_rank, 10);
	assert_null(row(8081, XA, 0));
	f = fake_bus_last(0, WIRE_XCF_DIST_ADV);
	assert_non_null(f);
	assert_int_equal(wire_xcf_dist_adv_decode(&m, f->body, f->len, &why), 0);
	assert_int_equal(m.nports, 2);

	/* A connection routed on 8080 before the delete keeps its entry. */
	memset(&k, 0, sizeof(k));
	memcpy(k.dvipa, DV, 16);
	k.client[0] = 0xfd;
	k.client[15] = 0x77;
	k.dport = 8080;
	k.cport = 40000;
	memcpy(vipa_vcrt_insert(st.vcrt, &k, &created)->dest_xcf, XB, 16);
	assert_int_equal(stack_obey(&st, del, msg, sizeof(msg)), 0);
	assert_false(stack_dvipa_is_dist_port(d, 8080));
	assert_true(stack_dvipa_is_dist_port(d, 8081));
	assert_null(row(8080, XB, 0));
	assert_non_null(vipa_vcrt_lookup(st.vcrt, &k));
	assert_int_equal(st.prof.ndist, 1);

	/* The last distribution goes: an advertisement without ports. */
	fake_bus_clear_sent();
	assert_int_equal(stack_obey(&st, del2, msg, sizeof(msg)), 0);
	assert_false(d->has_dist);
	assert_null(row(8081, XB, 0));
	f = fake_bus_last(0, WIRE_XCF_DIST_ADV);
	assert_non_null(f);
	assert_int_equal(wire_xcf_dist_adv_decode(&m, f->body, f->len, &why), 0);
	assert_int_equal(m.nports, 0);
}

static void
test_vipadelete_gives_up(void **state)
{
	const char *p = obeyfile("vd.prof", "VIPADYNAMIC\n  VIPADELETE DVIPA1\nENDVIPADYNAMIC\n");
	struct stack_dvipa *d = stack_dvipa_find(&st, DV);
	char msg[1024];

	(void)state;
	assert_int_equal(stack_obey(&st, p, msg, sizeof(msg)), 0);
	assert_false(d->owned);
	assert_false(d->defined);
	assert_false(d->has_dist);
	assert_int_equal(st.prof.ndefine, 0);
}

static void
test_viparange_bind(void **state)
{
	struct stack_dvipa *d;
	struct wire_xcf_vipa_adv m;
	const struct fake_msg *f;
	const char *why;

	(void)state;
	st.tgt.range_polled = 1;
	st.tgt.nrange_seen = 2;
	memcpy(st.tgt.range_seen[0], R5, 16);
	memcpy(st.tgt.range_seen[1], R6, 16);	/* not inside the range */
	fake_bus_clear_sent();
	stack_own_ranges(&st);
	d = stack_dvipa_find(&st, R5);
	assert_non_null(d);
	assert_true(d->range);
	assert_true(d->defined);
	assert_string_equal(d->ifname, "APPL6");
	assert_null(stack_dvipa_find(&st, R6));
	f = fake_bus_last(0, WIRE_XCF_VIPA_ADV);
	assert_non_null(f);
	assert_int_equal(wire_xcf_vipa_adv_decode(&m, f->body, f->len, &why), 0);
	assert_int_equal(m.n, 2);
	assert_memory_equal(m.v[1].addr, R5, 16);
	assert_true(m.v[1].flags & WIRE_VIPA_F_RANGE);
	assert_int_equal(m.v[1].origin, WIRE_VIPA_DEFINE);
	/* Seen again: nothing new. */
	stack_own_ranges(&st);
	assert_int_equal(st.ndv, 2);
	/* No poll made (no ranges looked for): nothing is deleted. */
	st.tgt.range_polled = 0;
	st.tgt.nrange_seen = 0;
	stack_own_ranges(&st);
	assert_true(d->range);
	/* Its listener is gone. */
	st.tgt.range_polled = 1;
	stack_own_ranges(&st);
	assert_false(d->range);
	assert_false(d->defined);
	assert_false(d->owned);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_wrong_obeyfile_changes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_add_and_delete_distributions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vipadelete_gives_up, setup, teardown),
		cmocka_unit_test_setup_teardown(test_viparange_bind, setup, teardown),
	};

	lib_log_init("test", LIB_LOG_WARN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
