/*
 * test_stack_dp.c - proves the forwarding decisions of tcpip-stack/dp.c and
 * the distribution bookkeeping of dist.c and dvipa.c for IPv4 DVIPAs and for
 * several VIPADISTRIBUTE statements of one DVIPA, on stack SYSA (IPv6 and
 * IPv4 DYNAMICXCF) with SYSB and SYSC beside it.  The stack's files come
 * from libstack.a; the bus and the clock are the fakes of tests/unit/fake.h.
 *  - Several VIPADISTRIBUTEs of a DVIPA all load: the DIST_ADV summary has
 *    every port, and each port keeps its own statement (method, destinations),
 *    which decides which targets' listener reports make VDPT rows.
 *  - A target is named by its IPv4 DYNAMICXCF address for an IPv4 DVIPA and
 *    by its IPv6 one otherwise (stack_dest_addr, stack_self_addr).
 *  - The next hop: ourselves (local), an IPv6 target (Type 2 Routing
 *    Header), an IPv4 target in GRE to its IPv4 DYNAMICXCF address, or to
 *    the VIPAROUTE target address when a VIPAROUTE names it.
 *  - The route of an IPv4 connection: a SYN gets a target from the VDPT
 *    (ROUNDROBIN over the ready ones) and a VCRT entry, later segments keep
 *    it, a non-SYN without an entry is dropped and counted, a new SYN on the
 *    ports of an established entry is routed afresh.
 *  - IPv4 connections never get the Mobile IPv6 bypass.
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
#define V4(a, b, c, d) { [10] = 0xff, [11] = 0xff, [12] = a, [13] = b, [14] = c, [15] = d }
static const uint8_t XA4[16] = V4(10, 10, 0, 1);
static const uint8_t XB4[16] = V4(10, 10, 0, 2);
static const uint8_t XC4[16] = V4(10, 10, 0, 3);
static const uint8_t LB4[16] = V4(10, 1, 0, 2);			/* SYSB's LAN address */
static const uint8_t DV6[16] = { 0xfd, 0, 1, 0, [15] = 1 };		/* fd00:100::1 */
static const uint8_t DV4[16] = V4(10, 100, 0, 1);
static const uint8_t CL4[16] = V4(10, 1, 0, 101);

static const char PROFILE[] =
	"IPCONFIG6 DYNAMICXCF fd00:10::1\n"
	"IPCONFIG DYNAMICXCF 10.10.0.1 255.255.255.0 1\n"
	"VIPADYNAMIC\n"
	"  VIPADEFINE MOVEABLE IMMEDIATE DVIPA1 fd00:100::1\n"
	"  VIPADISTRIBUTE DEFINE DISTMETHOD ROUNDROBIN DVIPA1 PORT 8080 DESTIP ALL\n"
	"  VIPADISTRIBUTE DEFINE DISTMETHOD WEIGHTEDACTIVE DVIPA1 PORT 23 DESTIP fd00:10::2\n"
	"  VIPADEFINE MOVEABLE IMMEDIATE 255.255.255.0 10.100.0.1\n"
	"  VIPADISTRIBUTE DEFINE DISTMETHOD ROUNDROBIN 10.100.0.1 PORT 8080 DESTIP ALL\n"
	"  VIPADISTRIBUTE DEFINE DISTMETHOD ROUNDROBIN 10.100.0.1 PORT 23 DESTIP 10.10.0.2\n"
	"  VIPAROUTE DEFINE 10.10.0.2 10.1.0.2\n"
	"ENDVIPADYNAMIC\n";

static const struct xcf_member_info *
member(const char *sys)
{
	char name[XCF_NAME_LEN + 1];

	snprintf(name, sizeof(name), "%sTCPCS", sys);
	return xcf_member(NULL, name);
}

static int
setup(void **state)
{
	char err[256];

	(void)state;
	fake_bus_reset();
	memcpy(fake_bus_member("SYSA", "TCPCS", XA, XCF_ACTIVE, 1)->xcfaddr4, XA4, 16);
	memcpy(fake_bus_member("SYSB", "TCPCS", XB, XCF_ACTIVE, 1)->xcfaddr4, XB4, 16);
	memcpy(fake_bus_member("SYSC", "TCPCS", XC, XCF_ACTIVE, 1)->xcfaddr4, XC4, 16);
	fake_stack_init(&st, uv_default_loop(), "SYSA", XA);
	memcpy(st.xcfaddr4, XA4, 16);
	assert_int_equal(vipa_profile_parse_buf(&st.prof, "profile", PROFILE, strlen(PROFILE), err,
						sizeof(err)), 0);
	st.ndv = 0;
	stack_dvipa_load_profile(&st);
	*state = &st;
	return 0;
}

static struct stack_dvipa *
dv(const uint8_t a[16])
{
	struct stack_dvipa *d = stack_dvipa_find(&st, a);

	assert_non_null(d);
	return d;
}

/* We route the DVIPA: its services and rows as activation sets them up. */
static struct stack_dvipa *
own(const uint8_t a[16])
{
	struct stack_dvipa *d = dv(a);

	d->owned = 1;
	stack_dist_setup(&st, d);
	return d;
}

/* SYS reports `rdy` listeners on (dvipa, port). */
static void
listen_report(const char *sys, const uint8_t dvipa[16], uint16_t port, uint16_t rdy)
{
	struct wire_xcf_tgt_listen m;
	uint8_t buf[WIRE_XCF_MAX_BODY];
	ssize_t n;

	memset(&m, 0, sizeof(m));
	m.flags = WIRE_XCF_F_MIP6;
	m.n = 1;
	memcpy(m.l[0].dvipa, dvipa, 16);
	m.l[0].port = port;
	m.l[0].rdy = rdy;
	m.l[0].weight = 1;
	n = wire_xcf_tgt_listen_encode(&m, buf, sizeof(buf));
	assert_true(n > 0);
	stack_dist_on_listen(&st, member(sys), buf, (size_t)n);
}

static void
test_multi_distribute(void **state)
{
	struct stack_dvipa *d = dv(DV6);
	const struct vipa_distribute *v;
	struct wire_xcf_dist_adv m;

	(void)state;
	/* The summary: both ports, every destination (one statement is ALL). */
	assert_true(d->has_dist);
	assert_int_equal(d->dist.nports, 2);
	assert_true(stack_dvipa_is_dist_port(d, 8080));
	assert_true(stack_dvipa_is_dist_port(d, 23));
	assert_false(stack_dvipa_is_dist_port(d, 80));
	stack_dist_build_adv(d, &m);
	assert_int_equal(m.nports, 2);
	assert_int_equal(m.ndest, 0);			/* DESTIP ALL */
	/* Each port its own statement. */
	v = stack_dvipa_dist_for(&st, d, 23);
	assert_non_null(v);
	assert_int_equal(v->method, VIPA_DIST_WEIGHTEDACTIVE);
	assert_int_equal(v->ndest, 1);
	assert_int_equal(stack_dvipa_dist_for(&st, d, 8080)->method, VIPA_DIST_ROUNDROBIN);
	assert_null(stack_dvipa_dist_for(&st, d, 80));
	own(DV6);
	assert_int_equal(vipa_vdpt_method(st.vdpt, DV6, 23), VIPA_DIST_WEIGHTEDACTIVE);
	assert_int_equal(vipa_vdpt_method(st.vdpt, DV6, 8080), VIPA_DIST_ROUNDROBIN);
	/* Port 23 goes to SYSB only: SYSC's listener there makes no row. */
	listen_report("SYSC", DV6, 23, 1);
	listen_report("SYSB", DV6, 23, 1);
	listen_report("SYSC", DV6, 8080, 1);
	assert_null(vipa_vdpt_get(st.vdpt, DV6, 23, XC, 0));
	assert_int_equal(vipa_vdpt_get(st.vdpt, DV6, 23, XB, 0)->rdy, 1);
	assert_int_equal(vipa_vdpt_get(st.vdpt, DV6, 8080, XC, 0)->rdy, 1);
}

static void
test_dest_addr(void **state)
{
	(void)state;
	assert_memory_equal(stack_dest_addr(member("SYSB"), DV4), XB4, 16);
	assert_memory_equal(stack_dest_addr(member("SYSB"), DV6), XB, 16);
	assert_memory_equal(stack_self_addr(&st, DV4), XA4, 16);
	assert_memory_equal(stack_self_addr(&st, DV6), XA, 16);
	/* An IPv4 listener report names the target by its IPv4 address. */
	own(DV4);
	listen_report("SYSC", DV4, 8080, 2);
	assert_int_equal(vipa_vdpt_get(st.vdpt, DV4, 8080, XC4, 0)->rdy, 2);
	assert_null(vipa_vdpt_get(st.vdpt, DV4, 8080, XC, 0));
}

static void
test_next_hop(void **state)
{
	uint8_t outer[16];

	(void)state;
	assert_int_equal(stack_dp_next_hop(&st, XA, outer), STACK_DP_LOCAL);
	assert_int_equal(stack_dp_next_hop(&st, XA4, outer), STACK_DP_LOCAL);
	assert_int_equal(stack_dp_next_hop(&st, XB, outer), STACK_DP_RH2);
	assert_memory_equal(outer, XB, 16);
	/* SYSC: GRE over DYNAMICXCF, to its IPv4 DYNAMICXCF address. */
	assert_int_equal(stack_dp_next_hop(&st, XC4, outer), STACK_DP_GRE);
	assert_memory_equal(outer, XC4, 16);
	/* SYSB: VIPAROUTE DEFINE 10.10.0.2 10.1.0.2, GRE to 10.1.0.2. */
	assert_int_equal(stack_dp_next_hop(&st, XB4, outer), STACK_DP_GRE);
	assert_memory_equal(outer, LB4, 16);
}

/* A segment of the client's connection from cport; its sequence number
 * (the ISN of a SYN) is isn. */
static struct vipa_conn *
seg_isn(uint16_t cport, uint8_t flags, uint32_t isn)
{
	struct vipa_conn_key k;

	memset(&k, 0, sizeof(k));
	memcpy(k.dvipa, DV4, 16);
	memcpy(k.client, CL4, 16);
	k.dport = 8080;
	k.cport = cport;
	return stack_dp_route(&st, dv(DV4), &k, flags, isn, 60);
}

static struct vipa_conn *
seg(uint16_t cport, uint8_t flags)
{
	return seg_isn(cport, flags, 1000u + cport);
}

static void
test_route_ipv4(void **state)
{
	const uint8_t *seen[3];
	struct vipa_conn *c;
	int i, j;

	(void)state;
	own(DV4);
	listen_report("SYSA", DV4, 8080, 1);
	listen_report("SYSB", DV4, 8080, 1);
	listen_report("SYSC", DV4, 8080, 1);
	/* Not a SYN, no entry: dropped and counted. */
	assert_null(seg(40000, WIRE_TCP_ACK));
	assert_int_equal(st.cnt.no_entry, 1);
	/* Three SYNs: three different targets (ROUNDROBIN), each an IPv4
	 * DYNAMICXCF address. */
	for (i = 0; i < 3; i++) {
		c = seg((uint16_t)(40001 + i), WIRE_TCP_SYN);
		assert_non_null(c);
		assert_int_equal(c->state, VIPA_CONN_SYN);
		assert_true(vipa_addr_is_v4(c->dest_xcf));
		seen[i] = c->dest_xcf;
		for (j = 0; j < i; j++)
			assert_memory_not_equal(seen[j], seen[i], 16);
	}
	assert_int_equal(st.cnt.new_conns, 3);
	/* Later segments keep their target. */
	c = seg(40002, WIRE_TCP_ACK);
	assert_non_null(c);
	assert_ptr_equal(c->dest_xcf, seen[1]);
	assert_int_equal(st.cnt.new_conns, 3);
	/* A SYN on the ports of an established entry with the same ISN is a
	 * retransmission: same entry, same target. */
	c->state = VIPA_CONN_EST;
	c = seg(40002, WIRE_TCP_SYN);
	assert_non_null(c);
	assert_int_equal(c->state, VIPA_CONN_EST);
	assert_int_equal(st.cnt.new_conns, 3);
	/* With another ISN it is a new connection. */
	c = seg_isn(40002, WIRE_TCP_SYN, 7);
	assert_non_null(c);
	assert_int_equal(c->state, VIPA_CONN_SYN);
	assert_int_equal(st.cnt.new_conns, 4);
}

/* SYS reports the connection CL4:cport -> DV4:dport established. */
static void
conn_report(const char *sys, uint16_t dport, uint16_t cport)
{
	static struct wire_xcf_tgt_conn m;
	uint8_t buf[WIRE_XCF_MAX_BODY];
	ssize_t n;

	memset(&m, 0, sizeof(m));
	m.n = 1;
	m.c[0].event = WIRE_CONN_EST;
	memcpy(m.c[0].dvipa, DV4, 16);
	m.c[0].dport = dport;
	memcpy(m.c[0].client, CL4, 16);
	m.c[0].cport = cport;
	n = wire_xcf_tgt_conn_encode(&m, buf, sizeof(buf));
	assert_true(n > 0);
	stack_dist_on_conn(&st, member(sys), buf, (size_t)n);
}

static struct vipa_conn *
vcrt(uint16_t dport, uint16_t cport)
{
	struct vipa_conn_key k;

	memset(&k, 0, sizeof(k));
	memcpy(k.dvipa, DV4, 16);
	memcpy(k.client, CL4, 16);
	k.dport = dport;
	k.cport = cport;
	return vipa_vcrt_lookup(st.vcrt, &k);
}

/* The role checks name the targets of an IPv4 DVIPA by their IPv4
 * DYNAMICXCF addresses (DESTIP 10.10.0.2 is SYSB), and the SYN flood bound
 * holds for IPv4 connections as for IPv6 ones. */
static void
test_ipv4_roles_and_syn_flood(void **state)
{
	struct vipa_conn_key k;
	struct vipa_conn *c;
	uint32_t i;

	(void)state;
	own(DV4);
	listen_report("SYSB", DV4, 23, 1);
	listen_report("SYSC", DV4, 23, 1);
	listen_report("SYSB", DV4, 8080, 1);
	assert_int_equal(vipa_vdpt_get(st.vdpt, DV4, 23, XB4, 0)->rdy, 1);
	assert_null(vipa_vdpt_get(st.vdpt, DV4, 23, XC4, 0));
	/* A connection report on port 23: only from the destination. */
	conn_report("SYSC", 23, 50000);
	assert_null(vcrt(23, 50000));
	conn_report("SYSB", 23, 50000);
	c = vcrt(23, 50000);
	assert_non_null(c);
	assert_int_equal(c->state, VIPA_CONN_EST);
	assert_memory_equal(c->dest_xcf, XB4, 16);
	/* STACK_SYN_MAX + 100 spoofed SYNs from other IPv4 sources: the oldest
	 * half-open ones go, the confirmed connection stays. */
	memset(&k, 0, sizeof(k));
	memcpy(k.dvipa, DV4, 16);
	k.client[10] = k.client[11] = 0xff;
	k.client[12] = 192;
	k.dport = 8080;
	for (i = 0; i < STACK_SYN_MAX + 100; i++) {
		k.client[13] = (uint8_t)(i >> 16);
		k.client[14] = (uint8_t)(i >> 8);
		k.client[15] = (uint8_t)i;
		k.cport = (uint16_t)(1024 + i % 1000);
		assert_non_null(stack_dp_route(&st, dv(DV4), &k, WIRE_TCP_SYN, i, 60));
	}
	assert_int_equal(st.dist.syn_evicted, 100);
	c = vcrt(23, 50000);
	assert_non_null(c);
	assert_int_equal(c->state, VIPA_CONN_EST);
}

static void
test_ipv4_never_bypassed(void **state)
{
	struct vipa_conn *c;
	int i;

	(void)state;
	/* Even with MOBILEIPV6 on its statement (the parser refuses it). */
	for (i = 0; i < st.prof.ndist; i++)
		st.prof.dist[i].mip6 = 1;
	own(DV4);
	own(DV6);
	listen_report("SYSB", DV4, 8080, 1);
	c = seg(41000, WIRE_TCP_SYN);
	assert_non_null(c);
	assert_false(stack_mip6_enabled(&st, c));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_multi_distribute, setup, fake_stack_teardown),
		cmocka_unit_test_setup_teardown(test_dest_addr, setup, fake_stack_teardown),
		cmocka_unit_test_setup_teardown(test_next_hop, setup, fake_stack_teardown),
		cmocka_unit_test_setup_teardown(test_route_ipv4, setup, fake_stack_teardown),
		cmocka_unit_test_setup_teardown(test_ipv4_never_bypassed, setup, fake_stack_teardown),
		cmocka_unit_test_setup_teardown(test_ipv4_roles_and_syn_flood, setup,
						fake_stack_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
