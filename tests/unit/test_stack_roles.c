/*
 * test_stack_roles.c - proves the role checks the routing stack applies to
 * every bus message (tcpip-stack/group.c, dist.c, mip6.c, dvipa.c): an
 * authenticated member may still only say what its role allows.
 *  - Group messages (VIPA_ADV, DIST_ADV) sent directed, and directed ones
 *    (TGT_*, BIND_INFO, MIP6_COPY, SYNC_REQ) published, are refused.
 *  - DIST_ADV only from the stack advertising the DVIPA ACTIVE, and only
 *    for a DVIPA some member defines.
 *  - TGT_CONN and TGT_LISTEN only from a destination of that port of the
 *    DVIPA we own: a forged report makes no route.
 *  - BIND_INFO only from the DVIPA's owner, for a port we are a target of.
 *  - SYNC_REQ only from the owner of a DVIPA we serve.
 *  - The DVIPA table: a DVIPA no member advertises any more ages out when
 *    its slot is needed; a full table refuses (and counts) new ones.
 * Every refusal is counted under its reason (s->bus_verdicts).  The stack's
 * files come from libstack.a; the bus and the clock are the fakes of
 * tests/unit/fake.h.  We are SYSA; SYSB and SYSC are alive beside us.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "tests/unit/fake.h"

static struct stack st;
static const uint8_t XA[16] = { 0xfd, 0, 0, 0x10, [15] = 1 };		/* fd00:10::1, us */
static const uint8_t XB[16] = { 0xfd, 0, 0, 0x10, [15] = 2 };
static const uint8_t XC[16] = { 0xfd, 0, 0, 0x10, [15] = 3 };
static const uint8_t DV[16] = { 0xfd, 0, 1, 0, [15] = 1 };		/* fd00:100::1 */
static const uint8_t CLIENT[16] = { 0xfd, 0, 0, 2, [15] = 9 };
static uint8_t buf[WIRE_XCF_MAX_BODY];

static int
setup(void **state)
{
	fake_bus_reset();
	fake_bus_member("SYSA", "TCPCS", XA, XCF_ACTIVE, 1);
	fake_bus_member("SYSB", "TCPCS", XB, XCF_ACTIVE, 1);
	fake_bus_member("SYSC", "TCPCS", XC, XCF_ACTIVE, 1);
	fake_stack_init(&st, uv_default_loop(), "SYSA", XA);
	*state = &st;
	return 0;
}

static const struct xcf_member_info *
member(const char *sys)
{
	char name[XCF_NAME_LEN + 1];

	snprintf(name, sizeof(name), "%sTCPCS", sys);
	return xcf_member(NULL, name);
}

static uint64_t
refused(const char *reason)
{
	return lib_verdict_count(&st.bus_verdicts, reason);
}

/* SYS's VIPA_ADV of n DVIPAs addr(i) (DV when n is 1 and first is 0). */
static void
vipa_adv(const char *sys, int first, int n, uint8_t status, int group)
{
	struct wire_xcf_vipa_adv m;
	ssize_t len;
	int i;

	memset(&m, 0, sizeof(m));
	for (i = 0; i < n; i++) {
		memcpy(m.v[i].addr, DV, 16);
		m.v[i].addr[14] = (uint8_t)(first + i);
		m.v[i].origin = WIRE_VIPA_DEFINE;
		m.v[i].status = status;
	}
	m.n = (uint8_t)n;
	len = wire_xcf_vipa_adv_encode(&m, buf, sizeof(buf));
	assert_true(len > 0);
	stack_group_deliver(&st, member(sys), WIRE_XCF_VIPA_ADV, buf, (size_t)len, group);
}

/* SYS's DIST_ADV of DV: port 80 to SYSA and SYSB. */
static void
dist_adv(const char *sys, const uint8_t dvipa[16], int group)
{
	struct wire_xcf_dist_adv m;
	ssize_t len;

	memset(&m, 0, sizeof(m));
	memcpy(m.dvipa, dvipa, 16);
	m.nports = 1;
	m.ports[0] = 80;
	m.ndest = 2;
	memcpy(m.dest[0].xcf, XA, 16);
	memcpy(m.dest[1].xcf, XB, 16);
	len = wire_xcf_dist_adv_encode(&m, buf, sizeof(buf));
	assert_true(len > 0);
	stack_group_deliver(&st, member(sys), WIRE_XCF_DIST_ADV, buf, (size_t)len, group);
}

/* We own DV, distributing port 80 to SYSB only. */
static struct stack_dvipa *
own_dv(void)
{
	struct stack_dvipa *d = stack_dvipa_get(&st, DV);

	assert_non_null(d);
	d->defined = 1;
	d->owned = 1;
	lib_strlcpy(d->owner, st.member, sizeof(d->owner));
	d->has_dist = 1;
	d->dist.nports = 1;
	d->dist.ports[0] = 80;
	d->dist.ndest = 1;
	memcpy(d->dist.dest[0].xcf, XB, 16);
	stack_dist_setup(&st, d);
	return d;
}

/* SYS reports connection CLIENT:cport -> DV:dport established. */
static void
tgt_conn(const char *sys, uint16_t dport, uint16_t cport, int group)
{
	static struct wire_xcf_tgt_conn m;
	ssize_t len;

	memset(&m, 0, sizeof(m));
	m.n = 1;
	m.c[0].event = WIRE_CONN_EST;
	memcpy(m.c[0].dvipa, DV, 16);
	m.c[0].dport = dport;
	memcpy(m.c[0].client, CLIENT, 16);
	m.c[0].cport = cport;
	len = wire_xcf_tgt_conn_encode(&m, buf, sizeof(buf));
	assert_true(len > 0);
	stack_group_deliver(&st, member(sys), WIRE_XCF_TGT_CONN, buf, (size_t)len, group);
}

static struct vipa_conn *
route(uint16_t dport, uint16_t cport)
{
	struct vipa_conn_key k;

	memset(&k, 0, sizeof(k));
	memcpy(k.dvipa, DV, 16);
	memcpy(k.client, CLIENT, 16);
	k.dport = dport;
	k.cport = cport;
	return vipa_vcrt_lookup(st.vcrt, &k);
}

static void
test_group_and_directed_kinds(void **state)
{
	(void)state;
	/* A VIPA_ADV sent to us alone is no group fact: refused, nothing made. */
	vipa_adv("SYSB", 0, 1, WIRE_VIPA_ACTIVE, 0);
	assert_int_equal(refused("group XCF message sent directed"), 1);
	assert_null(stack_dvipa_find(&st, DV));
	vipa_adv("SYSB", 0, 1, WIRE_VIPA_ACTIVE, 1);
	assert_non_null(stack_dvipa_find(&st, DV));
	assert_string_equal(stack_dvipa_find(&st, DV)->owner, "SYSBTCPCS");
	dist_adv("SYSB", DV, 0);
	assert_int_equal(refused("group XCF message sent directed"), 2);
	assert_false(stack_dvipa_find(&st, DV)->target);

	/* A connection report published to the group is refused too. */
	fake_stack_fini(&st);
	setup(state);
	own_dv();
	tgt_conn("SYSB", 80, 1000, 1);
	assert_int_equal(refused("directed XCF message published to the group"), 1);
	assert_null(route(80, 1000));
	tgt_conn("SYSB", 80, 1000, 0);
	assert_non_null(route(80, 1000));
}

static void
test_dist_adv_only_from_active_owner(void **state)
{
	static const uint8_t UNKNOWN[16] = { 0xfd, 0, 9, 9, [15] = 9 };
	struct stack_dvipa *d;

	(void)state;
	/* SYSB owns DV (ACTIVE), SYSC backs it up. */
	vipa_adv("SYSB", 0, 1, WIRE_VIPA_ACTIVE, 1);
	vipa_adv("SYSC", 0, 1, WIRE_VIPA_BACKUP_ST, 1);
	d = stack_dvipa_find(&st, DV);
	assert_non_null(d);

	dist_adv("SYSC", DV, 1);
	assert_int_equal(refused("DIST_ADV from a stack that is not the DVIPA's active owner"), 1);
	assert_false(d->target);

	dist_adv("SYSB", UNKNOWN, 1);
	assert_int_equal(refused("DIST_ADV for a DVIPA no member defines"), 1);
	assert_null(stack_dvipa_find(&st, UNKNOWN));

	dist_adv("SYSB", DV, 1);
	assert_true(d->target);
	assert_string_equal(d->owner, "SYSBTCPCS");

	/* SYSB moved it to SYSC: now only SYSC's DIST_ADV counts. */
	vipa_adv("SYSB", 0, 1, WIRE_VIPA_BACKUP_ST, 1);
	vipa_adv("SYSC", 0, 1, WIRE_VIPA_ACTIVE, 1);
	dist_adv("SYSB", DV, 1);
	assert_int_equal(refused("DIST_ADV from a stack that is not the DVIPA's active owner"), 2);
	dist_adv("SYSC", DV, 1);
	assert_string_equal(d->owner, "SYSCTCPCS");
}

static void
test_tgt_reports_only_from_destinations(void **state)
{
	struct wire_xcf_tgt_listen l;
	ssize_t len;

	(void)state;
	own_dv();
	/* SYSC is no destination: its forged report makes no route. */
	tgt_conn("SYSC", 80, 1001, 0);
	assert_int_equal(refused("connection report from a stack that is not a destination of the port"), 1);
	assert_null(route(80, 1001));
	/* SYSB is one, but not of port 81. */
	tgt_conn("SYSB", 81, 1002, 0);
	assert_int_equal(refused("connection report from a stack that is not a destination of the port"), 2);
	assert_null(route(81, 1002));
	tgt_conn("SYSB", 80, 1003, 0);
	assert_non_null(route(80, 1003));
	assert_memory_equal(route(80, 1003)->dest_xcf, XB, 16);
	/* Port 80 no longer distributed (OBEYFILE): SYSB's report of the
	 * connection routed to it is still taken (it keeps its route), a new
	 * one is not. */
	stack_dvipa_find(&st, DV)->dist.ports[0] = 8080;
	tgt_conn("SYSB", 80, 1003, 0);
	assert_int_equal(refused("connection report from a stack that is not a destination of the port"), 2);
	assert_non_null(route(80, 1003));
	tgt_conn("SYSB", 80, 1004, 0);
	assert_int_equal(refused("connection report from a stack that is not a destination of the port"), 3);
	assert_null(route(80, 1004));
	stack_dvipa_find(&st, DV)->dist.ports[0] = 80;

	/* Listener reports: SYSC's is refused, SYSB's is taken. */
	memset(&l, 0, sizeof(l));
	l.n = 1;
	memcpy(l.l[0].dvipa, DV, 16);
	l.l[0].port = 80;
	l.l[0].rdy = 3;
	l.l[0].weight = 1;
	len = wire_xcf_tgt_listen_encode(&l, buf, sizeof(buf));
	stack_group_deliver(&st, member("SYSC"), WIRE_XCF_TGT_LISTEN, buf, (size_t)len, 0);
	assert_int_equal(refused("listener report from a stack that is not a destination of the port"), 1);
	assert_null(vipa_vdpt_get(st.vdpt, DV, 80, XC, 0));
	stack_group_deliver(&st, member("SYSB"), WIRE_XCF_TGT_LISTEN, buf, (size_t)len, 0);
	assert_int_equal(vipa_vdpt_get(st.vdpt, DV, 80, XB, 0)->rdy, 3);
}

static void
bind_info(const char *sys, uint16_t dport, uint16_t cport)
{
	struct wire_xcf_bind_info b;
	ssize_t len;

	memset(&b, 0, sizeof(b));
	memcpy(b.dvipa, DV, 16);
	b.dport = dport;
	memcpy(b.client, CLIENT, 16);
	b.cport = cport;
	b.bypass = VIPA_BYPASS_BOUND;
	b.seq = 7;
	len = wire_xcf_bind_info_encode(&b, buf, sizeof(buf));
	assert_true(len > 0);
	stack_group_deliver(&st, member(sys), WIRE_XCF_BIND_INFO, buf, (size_t)len, 0);
}

static struct vipa_conn *
terminated(uint16_t dport, uint16_t cport)
{
	struct vipa_conn_key k;

	memset(&k, 0, sizeof(k));
	memcpy(k.dvipa, DV, 16);
	memcpy(k.client, CLIENT, 16);
	k.dport = dport;
	k.cport = cport;
	return vipa_vcrt_lookup(st.tgt.conns, &k);
}

static void
test_bind_info_and_sync_only_from_owner(void **state)
{
	struct wire_xcf_sync_req sr;
	ssize_t len;

	(void)state;
	/* SYSB owns DV and distributes port 80 to us. */
	vipa_adv("SYSB", 0, 1, WIRE_VIPA_ACTIVE, 1);
	vipa_adv("SYSC", 0, 1, WIRE_VIPA_BACKUP_ST, 1);
	dist_adv("SYSB", DV, 1);
	assert_true(stack_dvipa_find(&st, DV)->target);

	bind_info("SYSC", 80, 2000);
	assert_int_equal(refused("BIND_INFO from a stack that is not the DVIPA's owner"), 1);
	assert_null(terminated(80, 2000));
	bind_info("SYSB", 81, 2000);
	assert_int_equal(refused("BIND_INFO for a port we are not a target of"), 1);
	assert_null(terminated(81, 2000));
	bind_info("SYSB", 80, 2000);
	assert_non_null(terminated(80, 2000));
	assert_int_equal(terminated(80, 2000)->bu_seq, 7);

	memset(&sr, 0, sizeof(sr));
	len = wire_xcf_sync_req_encode(&sr, buf, sizeof(buf));
	fake_bus_clear_sent();
	stack_group_deliver(&st, member("SYSC"), WIRE_XCF_TGT_SYNC_REQ, buf, (size_t)len, 0);
	assert_int_equal(refused("SYNC_REQ from a stack that owns no DVIPA we serve"), 1);
	assert_int_equal(fake_bus_count(1, WIRE_XCF_TGT_LISTEN), 0);
	stack_group_deliver(&st, member("SYSB"), WIRE_XCF_TGT_SYNC_REQ, buf, (size_t)len, 0);
	assert_true(fake_bus_count(1, WIRE_XCF_TGT_LISTEN) >= 1);
}

static void
sysports(const char *sys, uint8_t op, uint16_t first, uint16_t count)
{
	struct wire_xcf_sysports m;
	ssize_t len;

	memset(&m, 0, sizeof(m));
	memcpy(m.dvipa, DV, 16);
	m.op = op;
	m.first = first;
	m.count = count;
	len = wire_xcf_sysports_encode(&m, buf, sizeof(buf));
	assert_true(len > 0);
	stack_group_deliver(&st, member(sys), WIRE_XCF_SYSPORTS, buf, (size_t)len, 0);
}

static void
test_sysports_roles(void **state)
{
	struct stack_dvipa *d;

	(void)state;
	/* We distribute DV with SYSPLEXPORTS to SYSB only. */
	d = own_dv();
	d->dist.sysplexports = 1;
	fake_bus_clear_sent();
	sysports("SYSC", WIRE_SYSPORTS_REQ, 0, 8);
	assert_int_equal(refused("SYSPLEXPORTS request from a stack that is no destination of the "
				 "DVIPA"), 1);
	assert_int_equal(fake_bus_count(1, WIRE_XCF_SYSPORTS), 0);
	sysports("SYSB", WIRE_SYSPORTS_REQ, 0, 8);
	assert_int_equal(fake_bus_count(1, WIRE_XCF_SYSPORTS), 1);

	/* As a target that asked SYSB, the owner, for ports of DV: SYSC's
	 * grant is refused (an accepted one would set our port range). */
	d->owned = 0;
	d->owner[0] = '\0';
	vipa_adv("SYSB", 0, 1, WIRE_VIPA_ACTIVE, 1);
	assert_true(stack_dvipa_is_owner(&st, d, "SYSBTCPCS"));
	st.tgt.sp_want = 1;
	memcpy(st.tgt.sp_dvipa, DV, 16);
	sysports("SYSC", WIRE_SYSPORTS_GRANT, 40000, 8);
	assert_int_equal(refused("SYSPLEXPORTS grant from a stack that does not own the DVIPA"), 1);
	assert_string_equal(st.tgt.sp_owner, "");
}

static void
test_dvipa_table_ages_out(void **state)
{
	uint8_t a[16];
	int i;

	(void)state;
	/* SYSB advertises 32 DVIPAs: they fill the table (32 entries). */
	vipa_adv("SYSB", 1, WIRE_XCF_MAX_VIPA, WIRE_VIPA_ACTIVE, 1);
	assert_int_equal(st.ndv, VIPA_MAX_DVIPA);
	/* SYSC's DVIPA finds no room: refused and counted. */
	vipa_adv("SYSC", 100, 1, WIRE_VIPA_ACTIVE, 1);
	assert_int_equal(refused("VIPA_ADV: DVIPA table full"), 1);
	memcpy(a, DV, 16);
	a[14] = 100;
	assert_null(stack_dvipa_find(&st, a));
	/* SYSB stops advertising half of them: they age out, SYSC's gets in. */
	vipa_adv("SYSB", 1, WIRE_XCF_MAX_VIPA / 2, WIRE_VIPA_ACTIVE, 1);
	vipa_adv("SYSC", 100, 1, WIRE_VIPA_ACTIVE, 1);
	assert_non_null(stack_dvipa_find(&st, a));
	assert_string_equal(stack_dvipa_find(&st, a)->owner, "SYSCTCPCS");
	for (i = 1; i <= WIRE_XCF_MAX_VIPA / 2; i++) {
		a[14] = (uint8_t)i;
		assert_non_null(stack_dvipa_find(&st, a));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_group_and_directed_kinds, setup,
						fake_stack_teardown),
		cmocka_unit_test_setup_teardown(test_dist_adv_only_from_active_owner, setup,
						fake_stack_teardown),
		cmocka_unit_test_setup_teardown(test_tgt_reports_only_from_destinations, setup,
						fake_stack_teardown),
		cmocka_unit_test_setup_teardown(test_bind_info_and_sync_only_from_owner, setup,
						fake_stack_teardown),
		cmocka_unit_test_setup_teardown(test_sysports_roles, setup, fake_stack_teardown),
		cmocka_unit_test_setup_teardown(test_dvipa_table_ages_out, setup,
						fake_stack_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
