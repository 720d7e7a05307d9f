/*
 * test_stack_fast.c - proves the decisions of tcpip-stack/fast.c, the
 * daemon's side of the kernel fast path, against the fake kernel tables of
 * tests/unit/fake_kdp.c (what the daemon installed is what the program
 * would read).  Each test is stack SYSA with SYSB and SYSC alive beside it
 * and one DVIPA that SYSA defines and owns.
 *  - The choice: the TUN path when the PROFILE says DATAPATH TUN (nothing
 *    loaded) or when the program cannot be loaded (the reason kept for the
 *    displays); otherwise BPF, with our care-of address and the TUN for
 *    local delivery.
 *  - The DVIPA flags follow ownership and the target role; the program's
 *    lease is our couple data set lease, and lapses with it (the DVIPA is
 *    given up and its kernel entries go).
 *  - A connection a target reports gets a kernel entry with that target;
 *    every way its VCRT entry goes (its end, its target's departure, the
 *    DVIPA given up, expiry) deletes the kernel entry with it: a kernel
 *    entry never outlives its VCRT entry.
 *  - A SYN routed gets its kernel entry at once (the client's answer to
 *    the SYN-ACK and its first data then take the kernel, not a second
 *    trip through the daemon), which the target's report confirms without
 *    installing it again; a half-open one that ages out takes it with it,
 *    and the sweep keeps it; beyond STACK_FAST_EARLY_MAX half-open ones
 *    with an entry (a SYN flood) the entry waits for the client's answer,
 *    as before.
 *  - SYNs the program routes: the schedule it is given per distributed
 *    port follows the ready, unquiesced targets (and goes when none is,
 *    for a TIMEDAFFINITY port, a DVIPA given up, a standard client's home
 *    binding of a MOBILEIPV6 DVIPA); a record of such a SYN makes the VCRT
 *    entry with the program's target, counted as a SYN we routed, its
 *    kernel entry one installed at the SYN (the target's report confirms
 *    it); the retransmitted SYN the program leaves to us keeps that
 *    target; a record of a connection we routed already keeps ours (the
 *    kernel entry corrected); one of a DVIPA we no longer own, or that
 *    makes no VCRT entry, takes its kernel entry away; the program's
 *    budget is what STACK_FAST_EARLY_MAX leaves.
 *  - The sweep deletes kernel entries the VCRT does not have, installs VCRT
 *    entries the kernel misses (a full table, a takeover), corrects a
 *    target, and takes the client's FIN time into the VCRT entry and onto
 *    the expiry wheel (the entry and its kernel entry age out without the
 *    target's END report).
 *  - An IPv4 DVIPA's connections get kernel entries to the GRE packet's
 *    outer destination (the target's IPv4 DYNAMICXCF address, or its
 *    VIPAROUTE), none without our own IPv4 DYNAMICXCF address.
 *  - A DVIPA table slot reused for another DVIPA (a full table's idle entry
 *    ages out): the old DVIPA's kernel entry goes, the new one gets flags.
 *  - SYSPLEX$LINK: loss goes to the program; a delay clears the DVIPA flags
 *    (every packet through the TUN, where the delay line is) until it ends.
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
static const uint8_t CL[16] = { 0xfd, 0, 0, 1, [14] = 1, [15] = 1 };	/* fd00:1::101 */
/* IPv4, IPv4-mapped: DYNAMICXCF 10.10.0.x, DVIPA 10.100.0.1, client 10.1.0.101. */
static const uint8_t XA4[16] = { [10] = 0xff, [11] = 0xff, 10, 10, 0, 1 };
static const uint8_t XB4[16] = { [10] = 0xff, [11] = 0xff, 10, 10, 0, 2 };
static const uint8_t XC4[16] = { [10] = 0xff, [11] = 0xff, 10, 10, 0, 3 };
static const uint8_t DV4[16] = { [10] = 0xff, [11] = 0xff, 10, 100, 0, 1 };
static const uint8_t CL4[16] = { [10] = 0xff, [11] = 0xff, 10, 1, 0, 101 };

static int
setup(void **state)
{
	(void)state;
	fake_bus_reset();
	fake_kdp_reset(1);
	memcpy(fake_bus_member("SYSA", "TCPCS", XA, XCF_ACTIVE, 1)->xcfaddr4, XA4, 16);
	memcpy(fake_bus_member("SYSB", "TCPCS", XB, XCF_ACTIVE, 1)->xcfaddr4, XB4, 16);
	memcpy(fake_bus_member("SYSC", "TCPCS", XC, XCF_ACTIVE, 1)->xcfaddr4, XC4, 16);
	fake_bus.joined = 0;
	fake_stack_init(&st, uv_default_loop(), "SYSA", XA);
	memcpy(st.xcfaddr4, XA4, 16);
	lib_strlcpy(st.lanif, "lan0", sizeof(st.lanif));
	*state = &st;
	return 0;
}

static struct stack_dvipa *
dv(void)
{
	struct stack_dvipa *d = stack_dvipa_find(&st, DV);

	assert_non_null(d);
	return d;
}

static const struct xcf_member_info *
member(const char *sys)
{
	char name[XCF_NAME_LEN + 1];

	snprintf(name, sizeof(name), "%sTCPCS", sys);
	return xcf_member(NULL, name);
}

/* We define the DVIPA (distributed on port 8080 to every stack), nobody
 * else says anything of it; we join, the group settles, we own it. */
static void
own_dvipa(const uint8_t dvipa[16])
{
	struct stack_dvipa *d = stack_dvipa_get(&st, dvipa);
	struct wire_xcf_vipa_adv none;

	d->defined = 1;
	d->moveable = VIPA_MOVE_IMMEDIATE;
	d->has_dist = 1;
	memset(&d->dist, 0, sizeof(d->dist));
	memcpy(d->dist.dvipa, dvipa, 16);
	d->dist.nports = 1;
	d->dist.ports[0] = 8080;
	d->dist.destall = 1;
	d->dist.method = VIPA_DIST_ROUNDROBIN;
	memset(&none, 0, sizeof(none));
	stack_own_on_adv(&st, member("SYSB"), &none);
	stack_own_on_adv(&st, member("SYSC"), &none);
	fake_bus.joined = 1;
	stack_own_on_join(&st, member("SYSA"));
	fake_clock_advance(1000);
	stack_own_evaluate(&st);
	assert_true(d->owned);
}

static void
own(void)
{
	own_dvipa(DV);
}

/* SYS reports a connection of client port cport (event: WIRE_CONN_EST or
 * WIRE_CONN_END). */
static void
report_of(const char *sys, const uint8_t dvipa[16], const uint8_t client[16], uint16_t cport,
	  uint8_t event)
{
	static struct wire_xcf_tgt_conn m;
	static uint8_t buf[WIRE_XCF_MAX_BODY];
	ssize_t n;

	memset(&m, 0, sizeof(m));
	m.n = 1;
	m.c[0].event = event;
	memcpy(m.c[0].dvipa, dvipa, 16);
	m.c[0].dport = 8080;
	memcpy(m.c[0].client, client, 16);
	m.c[0].cport = cport;
	n = wire_xcf_tgt_conn_encode(&m, buf, sizeof(buf));
	assert_true(n > 0);
	stack_dist_on_conn(&st, member(sys), buf, (size_t)n);
}

static void
report(const char *sys, uint16_t cport, uint8_t event)
{
	report_of(sys, DV, CL, cport, event);
}

static struct kdp_conn
kconn(uint16_t cport)
{
	struct kdp_conn c;

	memset(&c, 0, sizeof(c));
	memcpy(c.dvipa, DV, 16);
	memcpy(c.client, CL, 16);
	c.dport = 8080;
	c.cport = cport;
	return c;
}

static struct vipa_conn *
vcrt(uint16_t cport)
{
	struct vipa_conn_key k;

	memset(&k, 0, sizeof(k));
	memcpy(k.dvipa, DV, 16);
	memcpy(k.client, CL, 16);
	k.dport = 8080;
	k.cport = cport;
	return vipa_vcrt_lookup(st.vcrt, &k);
}

/* The kernel entry of client port cport routes to dest (NULL: none). */
static void
assert_kernel(uint16_t cport, const uint8_t *dest)
{
	struct kdp_conn c = kconn(cport);
	struct fake_kdp_conn *e = fake_kdp_conn_find(&c);

	if (!dest) {
		assert_null(e);
		return;
	}
	assert_non_null(e);
	assert_memory_equal(e->dest, dest, 16);
}

/* SYS reports one listener on DV port 8080 (Rdy 1). */
static void
listen_on(const char *sys)
{
	static struct wire_xcf_tgt_listen m;
	static uint8_t buf[WIRE_XCF_MAX_BODY];
	ssize_t n;

	memset(&m, 0, sizeof(m));
	m.n = 1;
	memcpy(m.l[0].dvipa, DV, 16);
	m.l[0].port = 8080;
	m.l[0].rdy = 1;
	m.l[0].weight = 1;
	n = wire_xcf_tgt_listen_encode(&m, buf, sizeof(buf));
	assert_true(n > 0);
	stack_dist_on_listen(&st, member(sys), buf, (size_t)n);
}

/* A segment of the client's connection from cport, as the TUN path routes it. */
static struct vipa_conn *
segment(uint16_t cport, uint8_t flags)
{
	struct vipa_conn_key k;

	memset(&k, 0, sizeof(k));
	memcpy(k.dvipa, DV, 16);
	memcpy(k.client, CL, 16);
	k.dport = 8080;
	k.cport = cport;
	return stack_dp_route(&st, dv(), &k, flags, 1000u + cport, 60);
}

/* ---- the choice ---------------------------------------------------------------------- */

static void
test_tun_when_not_loadable(void **state)
{
	(void)state;
	fake_kdp_reset(0);
	assert_int_equal(stack_fast_start(&st), 0);
	assert_false(stack_fast_active(&st));
	assert_string_equal(stack_fast_datapath(&st), "TUN");
	assert_non_null(strstr(st.fast.why, "not loadable"));
	/* Nothing is asked of a kernel path that is not there. */
	own();
	report("SYSB", 41000, WIRE_CONN_EST);
	assert_non_null(vcrt(41000));
	assert_int_equal(fake_kdp.conn_sets, 0);
	assert_int_equal(fake_kdp.dvipa_sets, 0);
}

static void
test_datapath_tun(void **state)
{
	(void)state;
	st.prof.datapath = VIPA_DATAPATH_TUN;
	assert_int_equal(stack_fast_start(&st), 0);
	assert_false(fake_kdp.open);
	assert_string_equal(stack_fast_datapath(&st), "TUN");
	assert_non_null(strstr(st.fast.why, "DATAPATH TUN"));
}

static void
test_bpf(void **state)
{
	(void)state;
	assert_int_equal(stack_fast_start(&st), 0);
	assert_true(fake_kdp.open);
	assert_string_equal(stack_fast_datapath(&st), "BPF");
	assert_string_equal(st.fast.why, "");
	assert_memory_equal(fake_kdp.self, XA, 16);
	assert_string_equal(fake_kdp.local_if, STACK_TUN_NAME);
}

/* ---- flags and lease ------------------------------------------------------------------- */

static void
test_flags_follow_ownership_and_lease(void **state)
{
	(void)state;
	assert_int_equal(stack_fast_start(&st), 0);
	own();
	assert_int_equal(fake_kdp_flags(DV), KDP_DVIPA_OWNED | KDP_DVIPA_TARGET);
	stack_fast_sync(&st);
	assert_int_equal(fake_kdp.lease_ms, lib_now_ms() + 400);
	report("SYSB", 41000, WIRE_CONN_EST);
	assert_kernel(41000, XB);

	/* The lease lapses: the DVIPA is given up at once (the program
	 * forwards for it no more: not OWNED, its lease over), but its routes
	 * are held: a lapse the owner recovers from must not cost a full
	 * report of every connection from every target. */
	fake_bus.lease_ok = 0;
	assert_int_equal(stack_own_guard(&st), 0);
	assert_false(dv()->owned);
	assert_true(dv()->held);
	assert_non_null(vcrt(41000));
	assert_int_equal(fake_kdp_flags(DV) & (KDP_DVIPA_OWNED | KDP_DVIPA_MOVING), 0);
	stack_fast_sync(&st);
	assert_true(fake_kdp.lease_ms <= lib_now_ms());
	/* Reports still reach the held table. */
	report("SYSB", 41001, WIRE_CONN_EST);
	report("SYSB", 41000, WIRE_CONN_END);
	assert_non_null(vcrt(41001));
	assert_null(vcrt(41000));

	/* The lease comes back and nobody took the DVIPA: ours again, with
	 * its routes, and nothing asked of the targets. */
	fake_bus.lease_ok = 1;
	stack_own_evaluate(&st);
	assert_true(dv()->owned);
	assert_false(dv()->held);
	assert_int_equal(st.own.held_kept, 1);
	assert_non_null(vcrt(41001));
	assert_kernel(41001, XB);
	assert_int_equal(fake_kdp_flags(DV) & KDP_DVIPA_OWNED, KDP_DVIPA_OWNED);
	assert_int_equal(fake_bus_count(1, WIRE_XCF_TGT_SYNC_REQ), 0);
}

/* A lapse after which another stack owns the DVIPA: the held routes go. */
static void
test_lapse_then_other_owner(void **state)
{
	struct wire_xcf_vipa_adv adv;

	(void)state;
	assert_int_equal(stack_fast_start(&st), 0);
	own();
	report("SYSB", 41000, WIRE_CONN_EST);
	fake_bus.lease_ok = 0;
	assert_int_equal(stack_own_guard(&st), 0);
	assert_true(dv()->held);
	assert_non_null(vcrt(41000));
	/* SYSB (its backup) advertises it ACTIVE. */
	memset(&adv, 0, sizeof(adv));
	adv.n = 1;
	memcpy(adv.v[0].addr, DV, 16);
	adv.v[0].origin = WIRE_VIPA_BACKUP;
	adv.v[0].rank = 100;
	adv.v[0].status = WIRE_VIPA_ACTIVE;
	stack_own_on_adv(&st, member("SYSB"), &adv);
	assert_false(dv()->owned);
	assert_false(dv()->held);
	assert_null(vcrt(41000));
	assert_kernel(41000, NULL);
	assert_int_equal(st.own.held_dropped, 1);
	/* Its reports are not ours to apply now. */
	report("SYSB", 41002, WIRE_CONN_EST);
	assert_null(vcrt(41002));
}

/* Leaving the sysplex (a new incarnation starts with nothing) drops them. */
static void
test_lapse_then_out(void **state)
{
	(void)state;
	assert_int_equal(stack_fast_start(&st), 0);
	own();
	report("SYSB", 41000, WIRE_CONN_EST);
	fake_bus.lease_ok = 0;
	assert_int_equal(stack_own_guard(&st), 0);
	assert_true(dv()->held);
	stack_own_out(&st);
	assert_false(dv()->held);
	assert_null(vcrt(41000));
	assert_kernel(41000, NULL);
}

/* ---- connections ------------------------------------------------------------------------ */

static void
test_conn_ends(void **state)
{
	(void)state;
	assert_int_equal(stack_fast_start(&st), 0);
	own();
	report("SYSB", 41000, WIRE_CONN_EST);
	report("SYSC", 41001, WIRE_CONN_EST);
	assert_kernel(41000, XB);
	assert_kernel(41001, XC);
	/* Its target reports the end. */
	report("SYSB", 41000, WIRE_CONN_END);
	assert_null(vcrt(41000));
	assert_kernel(41000, NULL);
	assert_kernel(41001, XC);
	/* Its target leaves the sysplex. */
	stack_dist_target_left(&st, member("SYSC"));
	assert_null(vcrt(41001));
	assert_kernel(41001, NULL);
	assert_int_equal(fake_kdp_conn_count(), 0);
}

static void
test_conn_expires(void **state)
{
	(void)state;
	assert_int_equal(stack_fast_start(&st), 0);
	own();
	report("SYSB", 41000, WIRE_CONN_EST);
	/* The start-up walk of the VCRT (entries loaded from SQLite) is over:
	 * from now on only the expiry wheel ages entries out. */
	stack_dist_expire(&st);
	/* The client's FIN, seen by the program only, reaches the VCRT entry
	 * with the sweep, which puts it on the wheel; the entry then ages out
	 * (no END report from the target), the kernel entry with it: neither
	 * is left. */
	{
		struct kdp_conn c = kconn(41000);
		fake_kdp_conn_find(&c)->ct.fin_ms = lib_now_ms();
	}
	stack_fast_sweep(&st);
	assert_int_equal(vcrt(41000)->fin_ms, lib_now_ms());
	fake_clock_advance(STACK_FIN_TIMEOUT_MS - 1000);
	stack_dist_expire(&st);
	assert_non_null(vcrt(41000));
	fake_clock_advance(1000);
	stack_dist_expire(&st);
	assert_null(vcrt(41000));
	assert_kernel(41000, NULL);
	assert_int_equal(fake_kdp_conn_count(), 0);
}

static void
test_sweep_repairs(void **state)
{
	struct kdp_conn stray = kconn(42000), missing = kconn(41000);

	(void)state;
	assert_int_equal(stack_fast_start(&st), 0);
	own();
	report("SYSB", 41000, WIRE_CONN_EST);
	report("SYSB", 41001, WIRE_CONN_EST);
	/* An entry the VCRT does not have, one the kernel lost, one with the
	 * wrong target. */
	assert_int_equal(kdp_conn_set(st.fast.kdp, &stray, XC), 0);
	assert_int_equal(kdp_conn_del(st.fast.kdp, &missing), 0);
	{
		struct kdp_conn c = kconn(41001);
		assert_int_equal(kdp_conn_set(st.fast.kdp, &c, XC), 0);
	}
	stack_fast_sweep(&st);
	assert_kernel(42000, NULL);
	assert_kernel(41000, XB);
	assert_kernel(41001, XB);
	assert_int_equal(fake_kdp_conn_count(), 2);
}

/* The kernel table is as large as the VCRT, so a connection the VCRT holds
 * always has room for its kernel entry: with the default table and with the
 * size -C asks for (idle connections that filled a smaller kernel table sent
 * every new connection's packets through the TUN). */
static void
test_table_as_vcrt(void **state)
{
	(void)state;
	assert_int_equal(stack_fast_start(&st), 0);
	assert_int_equal(fake_kdp.opened_conns, STACK_VCRT_MAX);
	assert_true(fake_kdp.opened_conns >= vipa_vcrt_capacity(st.vcrt));
	stack_fast_stop(&st);
	st.max_conns = 1200000;
	assert_int_equal(stack_fast_start(&st), 0);
	assert_int_equal(fake_kdp.opened_conns, 1200000);
}

static void
test_conn_at_syn(void **state)
{
	struct vipa_conn *c;
	uint64_t sets;

	(void)state;
	assert_int_equal(stack_fast_start(&st), 0);
	own();
	listen_on("SYSB");
	c = segment(41000, WIRE_TCP_SYN);
	assert_non_null(c);
	assert_memory_equal(c->dest_xcf, XB, 16);
	assert_true(c->early);
	assert_kernel(41000, XB);
	assert_int_equal(st.fast.early, 1);
	sets = fake_kdp.conn_sets;
	/* The target confirms it: it is not installed again. */
	report("SYSB", 41000, WIRE_CONN_EST);
	c = vcrt(41000);
	assert_true(c->confirmed);
	assert_false(c->early);
	assert_int_equal(st.fast.early, 0);
	assert_int_equal(fake_kdp.conn_sets, sets);
	assert_kernel(41000, XB);
	/* A half-open one that never completes ages out with its kernel entry. */
	stack_dist_expire(&st);
	assert_non_null(segment(41001, WIRE_TCP_SYN));
	assert_kernel(41001, XB);
	assert_int_equal(st.fast.early, 1);
	fake_clock_advance(STACK_SYN_TIMEOUT_MS + 1000);
	stack_dist_expire(&st);
	assert_null(vcrt(41001));
	assert_kernel(41001, NULL);
	assert_int_equal(st.fast.early, 0);
	/* The sweep keeps an entry installed at its SYN. */
	assert_non_null(segment(41002, WIRE_TCP_SYN));
	stack_fast_sweep(&st);
	assert_kernel(41002, XB);
	/* As many half-open entries with one as allowed (a flood): the next
	 * entry comes with the client's answer to the SYN-ACK. */
	st.fast.early = STACK_FAST_EARLY_MAX;
	c = segment(41003, WIRE_TCP_SYN);
	assert_non_null(c);
	assert_false(c->early);
	assert_kernel(41003, NULL);
	c = segment(41003, WIRE_TCP_ACK);
	assert_non_null(c);
	assert_true(c->confirmed);
	assert_kernel(41003, XB);
}

/* A full kernel table: the connection stays on the TUN path, counted, and
 * gets its kernel entry once there is room. */
static void
test_table_full(void **state)
{
	(void)state;
	assert_int_equal(stack_fast_start(&st), 0);
	own();
	fake_kdp.max_conns_or_0 = 1;
	report("SYSB", 41000, WIRE_CONN_EST);
	report("SYSB", 41001, WIRE_CONN_EST);
	assert_kernel(41000, XB);
	assert_kernel(41001, NULL);
	assert_int_equal(st.fast.conn_full, 1);
	report("SYSB", 41000, WIRE_CONN_END);
	stack_fast_sweep(&st);
	assert_kernel(41001, XB);
}

/* An IPv4 DVIPA (routed in GRE): its flags as an IPv6 one's, our IPv4
 * DYNAMICXCF address for the GRE source, and each connection's kernel entry
 * sends to the target's IPv4 DYNAMICXCF address; a target reached through a
 * VIPAROUTE to the VIPAROUTE's target address (the sweep corrects the entry when a
 * VIPAROUTE comes or goes). */
static void
test_ipv4_gre(void **state)
{
	static const uint8_t LANB4[16] = { [10] = 0xff, [11] = 0xff, 10, 1, 0, 2 };
	struct kdp_conn kc;
	struct fake_kdp_conn *e;

	(void)state;
	assert_int_equal(stack_fast_start(&st), 0);
	assert_memory_equal(fake_kdp.self4, XA4, 16);
	own();
	own_dvipa(DV4);
	assert_int_equal(fake_kdp_flags(DV4), KDP_DVIPA_OWNED | KDP_DVIPA_TARGET);
	report_of("SYSB", DV4, CL4, 41000, WIRE_CONN_EST);
	memset(&kc, 0, sizeof(kc));
	memcpy(kc.dvipa, DV4, 16);
	memcpy(kc.client, CL4, 16);
	kc.dport = 8080;
	kc.cport = 41000;
	assert_non_null(e = fake_kdp_conn_find(&kc));
	assert_memory_equal(e->dest, XB4, 16);
	/* VIPAROUTE DEFINE for SYSB: GRE to its LAN address from now on. */
	memcpy(st.prof.vroute[0].xcf, XB4, 16);
	memcpy(st.prof.vroute[0].target, LANB4, 16);
	st.prof.vroute[0].v4 = 1;
	st.prof.nvroute = 1;
	stack_fast_sweep(&st);
	assert_memory_equal(fake_kdp_conn_find(&kc)->dest, LANB4, 16);
	/* A new connection to SYSB gets the VIPAROUTE's address at once. */
	report_of("SYSB", DV4, CL4, 41001, WIRE_CONN_EST);
	kc.cport = 41001;
	assert_memory_equal(fake_kdp_conn_find(&kc)->dest, LANB4, 16);
	report_of("SYSB", DV4, CL4, 41001, WIRE_CONN_END);
	assert_null(fake_kdp_conn_find(&kc));
	kc.cport = 41000;
	st.prof.nvroute = 0;
	stack_fast_sweep(&st);
	assert_memory_equal(fake_kdp_conn_find(&kc)->dest, XB4, 16);
	/* Its end takes the kernel entry with it. */
	report_of("SYSB", DV4, CL4, 41000, WIRE_CONN_END);
	assert_null(fake_kdp_conn_find(&kc));
}

/* A stack without an IPv4 DYNAMICXCF address forwards no IPv4 (dp.c has no
 * GRE source either): no IPv4 address for the program, no IPv4 entries. */
static void
test_ipv4_without_xcf4(void **state)
{
	(void)state;
	memset(st.xcfaddr4, 0, 16);
	assert_int_equal(stack_fast_start(&st), 0);
	assert_false(vipa_addr_is_v4(fake_kdp.self4));
	own_dvipa(DV4);
	report_of("SYSB", DV4, CL4, 41000, WIRE_CONN_EST);
	stack_fast_sweep(&st);
	assert_int_equal(fake_kdp_conn_count(), 0);
}

/* ---- a reused DVIPA table slot ------------------------------------------------------------ */

/* A full DVIPA table reuses an idle entry's slot for a new DVIPA
 * (stack_dvipa_get): the old DVIPA's kernel entry goes, the new one gets
 * its flags, and the kernel's map (as large as the table) never fills with
 * DVIPAs nobody holds. */
static void
test_reused_slot(void **state)
{
	uint8_t a[16];
	struct stack_dvipa *d;
	int i, slot;

	(void)state;
	assert_int_equal(stack_fast_start(&st), 0);
	own();
	for (i = 0; st.ndv < VIPA_MAX_DVIPA; i++) {
		memcpy(a, DV, 16);
		a[14] = (uint8_t)(1 + i);
		assert_non_null(stack_dvipa_get(&st, a));
	}
	stack_fast_sync(&st);
	for (i = 0; i < st.ndv; i++)
		assert_int_not_equal(fake_kdp_flags(st.dv[i].addr), 0xffffffffu);
	/* A new one in a full table: an idle entry's slot, as a target. */
	memcpy(a, DV, 16);
	a[14] = 0xee;
	d = stack_dvipa_get(&st, a);
	assert_non_null(d);
	slot = (int)(d - st.dv);
	assert_int_not_equal(slot, (int)(dv() - st.dv));
	d->target = 1;
	stack_fast_sync(&st);
	assert_int_equal(fake_kdp_flags(a), KDP_DVIPA_TARGET);
	/* The DVIPA that held the slot before is no longer in the kernel. */
	for (i = 0; i < FAKE_KDP_DVIPAS; i++)
		if (fake_kdp.dv[i].used)
			assert_non_null(stack_dvipa_find(&st, fake_kdp.dv[i].addr));
	assert_int_equal(fake_kdp_flags(DV), KDP_DVIPA_OWNED | KDP_DVIPA_TARGET);
	assert_int_equal(st.fast.errors, 0);
}

/* ---- SYSPLEX$LINK ------------------------------------------------------------------------ */

static void
test_link(void **state)
{
	(void)state;
	assert_int_equal(stack_fast_start(&st), 0);
	own();
	assert_int_equal(stack_dp_link(&st, 10, 0), 0);
	assert_int_equal(fake_kdp.loss_pct, 10);
	assert_int_equal(fake_kdp_flags(DV), KDP_DVIPA_OWNED | KDP_DVIPA_TARGET);
	assert_int_equal(stack_dp_link(&st, 0, 50), 0);
	assert_int_equal(fake_kdp.loss_pct, 0);
	assert_int_equal(fake_kdp_flags(DV), 0);
	assert_int_equal(stack_dp_link(&st, 0, 0), 0);
	assert_int_equal(fake_kdp_flags(DV), KDP_DVIPA_OWNED | KDP_DVIPA_TARGET);
}

/* ---- SYNs routed by the program ------------------------------------------------------ */

static void
test_schedule_follows_targets(void **state)
{
	uint8_t slot[KDP_SCHED_MAX][16];
	struct vipa_vdpt_entry *e;
	uint8_t d[16];

	(void)state;
	assert_int_equal(stack_fast_start(&st), 0);
	stack_fast_sched_sync(&st);
	assert_int_equal(fake_kdp_sched(DV, 8080, NULL), -1);	/* not ours yet */
	own();
	stack_fast_sched_sync(&st);
	assert_int_equal(fake_kdp_sched(DV, 8080, NULL), -1);	/* no ready target */
	listen_on("SYSB");
	listen_on("SYSC");
	stack_fast_sched_sync(&st);
	assert_int_equal(fake_kdp_sched(DV, 8080, slot), 2);
	assert_memory_equal(slot[0], XB, 16);
	assert_memory_equal(slot[1], XC, 16);
	/* Nothing changed: nothing given again. */
	fake_kdp.sched_sets = 0;
	stack_fast_sched_sync(&st);
	assert_int_equal(fake_kdp.sched_sets, 0);
	/* A quiesced target leaves the schedule at once, and comes back. */
	e = vipa_vdpt_get(st.vdpt, DV, 8080, XB, 0);
	assert_non_null(e);
	e->flags |= VIPA_VDPT_F_QUIESCED;
	stack_fast_sched_sync(&st);
	assert_int_equal(fake_kdp_sched(DV, 8080, slot), 1);
	assert_memory_equal(slot[0], XC, 16);
	e->flags &= (uint8_t)~VIPA_VDPT_F_QUIESCED;
	stack_fast_sched_sync(&st);
	assert_int_equal(fake_kdp_sched(DV, 8080, NULL), 2);
	/* A pause (TIMEDAFFINITY here; a standard client's home binding
	 * likewise) keeps the rotation: the first SYN after it goes to the
	 * next target, not to the first again. */
	assert_int_equal(fake_kdp_syn(DV, 8080, CL, 41100, 7, d), 0);
	assert_memory_equal(d, XB, 16);
	dv()->dist.timedaff = 60;
	stack_fast_sched_sync(&st);
	assert_int_equal(fake_kdp_sched(DV, 8080, NULL), 0);
	assert_int_equal(fake_kdp_syn(DV, 8080, CL, 41101, 7, d), -1);	/* the daemon's */
	dv()->dist.timedaff = 0;
	stack_fast_sched_sync(&st);
	assert_int_equal(fake_kdp_syn(DV, 8080, CL, 41102, 7, d), 0);
	assert_memory_equal(d, XC, 16);
	/* A target that leaves the group: its slot goes. */
	fake_bus_member("SYSC", "TCPCS", XC, XCF_FAILED, 1);
	stack_group_cbs.leave_cb(NULL, member("SYSC"), &st);
	assert_int_equal(fake_kdp_sched(DV, 8080, slot), 1);
	assert_memory_equal(slot[0], XB, 16);
	/* TIMEDAFFINITY: a client's affinity is the daemon's: paused. */
	dv()->dist.timedaff = 60;
	stack_fast_sched_sync(&st);
	assert_int_equal(fake_kdp_sched(DV, 8080, NULL), 0);
	dv()->dist.timedaff = 0;
	stack_fast_sched_sync(&st);
	assert_int_equal(fake_kdp_sched(DV, 8080, NULL), 1);
	/* WEIGHTEDACTIVE depends on each pick: paused. */
	assert_int_equal(vipa_vdpt_service(st.vdpt, DV, 8080, VIPA_DIST_WEIGHTEDACTIVE), 0);
	stack_fast_sched_sync(&st);
	assert_int_equal(fake_kdp_sched(DV, 8080, NULL), 0);
	assert_int_equal(vipa_vdpt_service(st.vdpt, DV, 8080, VIPA_DIST_ROUNDROBIN), 0);
	stack_fast_sched_sync(&st);
	assert_int_equal(fake_kdp_sched(DV, 8080, NULL), 1);
	/* Everything on the TUN path (a SYSPLEX$LINK delay): paused. */
	assert_int_equal(stack_fast_link(&st, 0, 50), 0);
	assert_int_equal(fake_kdp_sched(DV, 8080, NULL), 0);
	assert_int_equal(stack_fast_link(&st, 0, 0), 0);
	assert_int_equal(fake_kdp_sched(DV, 8080, NULL), 1);
}

static void
test_kernel_syn(void **state)
{
	uint8_t dest[16];
	struct vipa_conn *c;
	struct vipa_vdpt_entry *e;
	uint64_t nc;

	(void)state;
	assert_int_equal(stack_fast_start(&st), 0);
	own();
	listen_on("SYSB");
	stack_fast_sched_sync(&st);
	/* The budget: all of STACK_FAST_EARLY_MAX. */
	assert_int_equal(fake_kdp.syn_limit, STACK_FAST_EARLY_MAX);
	nc = st.cnt.new_conns;
	e = vipa_vdpt_get(st.vdpt, DV, 8080, XB, 0);
	assert_int_equal(fake_kdp_syn(DV, 8080, CL, 41000, 1000u + 41000u, dest), 0);
	assert_memory_equal(dest, XB, 16);
	assert_null(vcrt(41000));
	assert_int_equal(stack_fast_syn_drain(&st), 1);
	c = vcrt(41000);
	assert_non_null(c);
	assert_memory_equal(c->dest_xcf, XB, 16);
	assert_int_equal(c->state, VIPA_CONN_SYN);
	assert_true(c->early);
	assert_int_equal(st.fast.early, 1);
	assert_int_equal(st.fast.ksyn, 1);
	assert_int_equal(st.cnt.new_conns, nc + 1);
	assert_int_equal(e->totalconn, 1);
	assert_int_equal(e->active, 1);
	assert_kernel(41000, XB);
	assert_int_equal(fake_kdp.syn_limit, fake_kdp.syn_consumed + STACK_FAST_EARLY_MAX - 1);
	/* Its retransmitted SYN (the program leaves SYNs of known connections
	 * to us) keeps the target. */
	c = segment(41000, WIRE_TCP_SYN);
	assert_non_null(c);
	assert_memory_equal(c->dest_xcf, XB, 16);
	assert_int_equal(st.cnt.new_conns, nc + 1);
	/* The target confirms it: installed already, not again. */
	report("SYSB", 41000, WIRE_CONN_EST);
	c = vcrt(41000);
	assert_true(c->confirmed);
	assert_false(c->early);
	assert_int_equal(st.fast.early, 0);
	/* The SYN is in the ring when we route one ourselves: taken first. */
	assert_int_equal(fake_kdp_syn(DV, 8080, CL, 41001, 1000u + 41001u, NULL), 0);
	c = segment(41001, WIRE_TCP_SYN);
	assert_non_null(c);
	assert_int_equal(st.fast.ksyn, 2);
	assert_int_equal(st.cnt.new_conns, nc + 2);
	/* A record of a connection we routed ourselves keeps our target. */
	listen_on("SYSC");
	stack_fast_sched_sync(&st);
	assert_int_equal(fake_kdp_sched(DV, 8080, NULL), 2);
	c = segment(41002, WIRE_TCP_SYN);
	assert_non_null(c);
	memcpy(dest, c->dest_xcf, 16);
	stack_fast_conn_gone(&st, c);	/* its kernel entry lost */
	c->early = 0;
	while (1) {
		uint8_t d2[16];

		assert_int_equal(fake_kdp_syn(DV, 8080, CL, 41002, 1000u + 41002u, d2), 0);
		if (memcmp(d2, dest, 16) != 0)
			break;
		stack_fast_syn_drain(&st);
		stack_fast_conn_gone(&st, vcrt(41002));
		vcrt(41002)->early = 0;
	}
	nc = st.fast.ksyn_known;
	stack_fast_syn_drain(&st);
	assert_int_equal(st.fast.ksyn_known, nc + 1);
	assert_memory_equal(vcrt(41002)->dest_xcf, dest, 16);
	assert_kernel(41002, dest);
	/* A record for a DVIPA no longer ours: its kernel entry goes. */
	assert_int_equal(fake_kdp_syn(DV, 8080, CL, 41003, 1000u + 41003u, NULL), 0);
	dv()->owned = 0;
	stack_fast_syn_drain(&st);
	assert_null(vcrt(41003));
	assert_kernel(41003, NULL);
	dv()->owned = 1;
	nc = st.cnt.new_conns;
	/* The budget spent (a flood): the program leaves SYNs to us. */
	st.fast.early = STACK_FAST_EARLY_MAX;
	stack_fast_syn_drain(&st);
	assert_int_equal(fake_kdp.syn_limit, fake_kdp.syn_consumed);
	assert_int_equal(fake_kdp_syn(DV, 8080, CL, 41004, 1000u + 41004u, NULL), -1);
	st.fast.early = 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_tun_when_not_loadable, setup, fake_stack_teardown),
		cmocka_unit_test_setup_teardown(test_datapath_tun, setup, fake_stack_teardown),
		cmocka_unit_test_setup_teardown(test_bpf, setup, fake_stack_teardown),
		cmocka_unit_test_setup_teardown(test_flags_follow_ownership_and_lease, setup,
						fake_stack_teardown),
		cmocka_unit_test_setup_teardown(test_lapse_then_other_owner, setup, fake_stack_teardown),
		cmocka_unit_test_setup_teardown(test_lapse_then_out, setup, fake_stack_teardown),
		cmocka_unit_test_setup_teardown(test_conn_ends, setup, fake_stack_teardown),
		cmocka_unit_test_setup_teardown(test_conn_expires, setup, fake_stack_teardown),
		cmocka_unit_test_setup_teardown(test_sweep_repairs, setup, fake_stack_teardown),
		cmocka_unit_test_setup_teardown(test_table_as_vcrt, setup, fake_stack_teardown),
		cmocka_unit_test_setup_teardown(test_conn_at_syn, setup, fake_stack_teardown),
		cmocka_unit_test_setup_teardown(test_table_full, setup, fake_stack_teardown),
		cmocka_unit_test_setup_teardown(test_ipv4_gre, setup, fake_stack_teardown),
		cmocka_unit_test_setup_teardown(test_ipv4_without_xcf4, setup, fake_stack_teardown),
		cmocka_unit_test_setup_teardown(test_link, setup, fake_stack_teardown),
		cmocka_unit_test_setup_teardown(test_reused_slot, setup, fake_stack_teardown),
		cmocka_unit_test_setup_teardown(test_schedule_follows_targets, setup,
						fake_stack_teardown),
		cmocka_unit_test_setup_teardown(test_kernel_syn, setup, fake_stack_teardown),
	};

	lib_log_init("test", LIB_LOG_ERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
