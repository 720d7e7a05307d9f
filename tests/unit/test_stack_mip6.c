/*
 * test_stack_mip6.c - proves the target side of the Mobile IPv6 bypass in
 * tcpip-stack/mip6.c (stack_mip6_rx_target): what a target does with a
 * Mobility Header that reaches its care-of address.
 *
 * The daemon's files come from libstack.a; the bus and the clock are the
 * fakes of tests/unit/fake.h, and the XCF messages the stack sends are read
 * from the fake bus.  Packets are built byte by byte and parsed with the
 * real wire_ip6_parse, as dp.c does.
 *  - A CoT whose COPYTO option names a DVIPA another stack owns is copied to
 *    that owner (XCF MIP6_COPY) with the client as source, the DVIPA as
 *    destination, our care-of address and the Mobility Header unchanged.
 *    The DVIPA comes out of a decoded message that only lives inside a
 *    block: it used to be read after that block had ended (use after
 *    scope).  Under `make SANITIZE=1` every memcmp is a call ASan checks
 *    (-fno-builtin-memcmp, Makefile), and the old code fails this test
 *    there: stack_dvipa_find reads the DVIPA after its scope ended.
 *  - A CoT for a DVIPA we own is handled here (counted as a copy, no bus
 *    message); for an unknown DVIPA, without COPYTO, or with a COPYTO of the
 *    wrong length nothing is sent and the drop is counted.
 *
 * And the routing stack as the mobile node of the DVIPA, against a
 * correspondent node the test plays (its Kcn and nonce are the test's; the
 * HoT reaches the stack as from its TUN, the CoT and the BA as MIP6_COPY
 * from the target); what the stack writes into its TUN is read from a
 * datagram socket pair:
 *  - an established connection starts the return routability tests (HoTI
 *    from the DVIPA, CoTI from the target's care-of address naming the
 *    DVIPA in COPYTO); the BU waits for both tokens, then carries the
 *    target as Alternate Care-of Address, the connection option, the nonce
 *    indices and an authenticator the correspondent node verifies;
 *  - an authentic BA binds the connection (care-of = target) and sends the
 *    target BIND_INFO; a forged one changes nothing; an error BA without a
 *    valid authenticator never cancels the bypass;
 *  - a stack's BU sequence numbers start at a random number;
 *  - unanswered BUs are repeated each second, the tests are run again
 *    halfway, and after the fifth BU the connection stays routed (gave_up);
 *  - status 135 numbers the next BU after the client's last accepted one;
 *  - near the end of the lifetime the binding is refreshed with fresh tests
 *    and stays BOUND meanwhile; a client's BRR starts the same;
 *  - a connection's end deletes the binding (lifetime 0, care-of = home,
 *    home token only), after a fresh home test when the token is old; a
 *    departed target counts as target lost; a connection never bound
 *    sends nothing; a target that does not support the bypass gets none.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/unit/fake.h"

/* ---- fixtures --------------------------------------------------------------------------- */

static struct stack st;
static const uint8_t OWNER_XCF[16] = { 0xfd, 0, 0, 0x10, [15] = 1 };		/* fd00:10::1 */
static const uint8_t CLIENT[16] = { 0xfd, 0, 0, 1, [15] = 0x01, [14] = 0x01 };	/* fd00:1::101 */
static const uint8_t COA[16] = { 0xfd, 0, 0, 0x10, [15] = 2 };			/* fd00:10::2 */
static const uint8_t DV_OTHER[16] = { 0xfd, 0, 1, 0, [15] = 1 };		/* fd00:100::1 */
static const uint8_t DV_OURS[16] = { 0xfd, 0, 1, 0, [15] = 2 };			/* fd00:100::2 */
static const uint8_t DV_UNKNOWN[16] = { 0xfd, 0, 1, 0, [15] = 9 };
static const uint8_t COA2[16] = { 0xfd, 0, 0, 0x10, [15] = 3 };		/* fd00:10::3 */

static int
setup(void **state)
{
	fake_bus_reset();
	fake_bus_member("SYSA", "TCPCS", OWNER_XCF, XCF_ACTIVE, 1);
	fake_bus_member("SYSB", "TCPCS", COA, XCF_ACTIVE, 1);
	fake_stack_init(&st, uv_default_loop(), "SYSB", COA);
	st.ndv = 2;
	memcpy(st.dv[0].addr, DV_OTHER, 16);
	st.dv[0].target = 1;
	lib_strlcpy(st.dv[0].owner, "SYSATCPCS", sizeof(st.dv[0].owner));
	memcpy(st.dv[1].addr, DV_OURS, 16);
	st.dv[1].owned = 1;
	st.dv[1].target = 1;
	lib_strlcpy(st.dv[1].owner, "SYSBTCPCS", sizeof(st.dv[1].owner));
	*state = &st;
	return 0;
}


/* Builds client -> our care-of address: IPv6 + a CoT carrying a COPYTO
 * option of copyto_len bytes naming dvipa (no option when copyto_len is 0).
 * Returns the packet length; *mhlen the Mobility Header's. */
static size_t
build_cot(uint8_t *pkt, size_t cap, const uint8_t dvipa[16], uint8_t copyto_len, size_t *mhlen)
{
	struct mip6_msg m;
	uint8_t *mh = pkt + WIRE_IP6_HDR_LEN;
	ssize_t n;

	memset(&m, 0, sizeof(m));
	m.proto = WIRE_PROTO_NONE;
	m.type = MIP6_MH_COT;
	m.cot.nonce_idx = 7;
	memset(m.cot.cookie, 0xc5, sizeof(m.cot.cookie));
	memset(m.cot.token, 0x7e, sizeof(m.cot.token));
	if (copyto_len) {
		struct mip6_vso *v = &m.opts.vso[m.opts.n_vso++];

		v->vendor_id = WIRE_VSO_VENDOR;
		v->subtype = WIRE_VSO_COPYTO;
		v->len = copyto_len;
		memset(v->bytes, 0, sizeof(v->bytes));
		memcpy(v->bytes, dvipa, copyto_len < 16 ? copyto_len : 16);
	}
	n = mip6_msg_encode(&m, mh, cap - WIRE_IP6_HDR_LEN);
	assert_true(n > 0);
	mip6_csum_set(CLIENT, COA, mh, (size_t)n);
	wire_ip6_hdr_encode(pkt, cap, CLIENT, COA, WIRE_PROTO_MH, (uint16_t)n);
	*mhlen = (size_t)n;
	return WIRE_IP6_HDR_LEN + (size_t)n;
}

static void
rx(const uint8_t *pkt, size_t len)
{
	struct wire_pkt pk;
	const char *why = NULL;

	assert_int_equal(wire_ip6_parse(&pk, pkt, len, &why), 0);
	assert_int_equal(pk.proto, WIRE_PROTO_MH);
	assert_null(pk.rh2_home);
	stack_mip6_rx_target(&st, &pk, pkt, len);
}

/* ---- tests ------------------------------------------------------------------------------- */

static void
test_cot_copied_to_owner(void **state)
{
	static struct wire_xcf_mip6_copy cp;
	const struct fake_msg *sent;
	uint8_t pkt[512];
	size_t mhlen, len = build_cot(pkt, sizeof(pkt), DV_OTHER, 16, &mhlen);
	const char *why = NULL;

	(void)state;
	rx(pkt, len);
	assert_int_equal(fake_bus.nsent, 1);
	sent = fake_bus_last(1, 0);
	assert_string_equal(sent->member, "SYSATCPCS");
	assert_int_equal(sent->type, WIRE_XCF_MIP6_COPY);
	assert_int_equal(wire_xcf_mip6_copy_decode(&cp, sent->body, sent->len, &why), 0);
	assert_memory_equal(cp.src, CLIENT, 16);
	assert_memory_equal(cp.dst, COA, 16);	/* a CoT is addressed to the care-of address */
	assert_memory_equal(cp.coa, COA, 16);
	assert_int_equal(cp.mhlen, mhlen);
	assert_memory_equal(cp.mh, pkt + WIRE_IP6_HDR_LEN, mhlen);
	assert_int_equal(st.mip6.copies, 1);
	assert_int_equal(lib_verdict_total(&st.tun_verdicts), 0);
}

static void
test_cot_for_our_dvipa_handled_here(void **state)
{
	uint8_t pkt[512];
	size_t mhlen, len = build_cot(pkt, sizeof(pkt), DV_OURS, 16, &mhlen);

	(void)state;
	rx(pkt, len);
	assert_int_equal(fake_bus.nsent, 0);
	assert_int_equal(st.mip6.copies, 1);
	/* No test was started for this cookie: the owner side drops it. */
	assert_int_equal(lib_verdict_count(&st.bus_verdicts, "CoT with an unknown cookie"), 1);
}

/* A standard correspondent node's CoT carries no COPYTO: the target finds
 * the routing stack itself.  When the client has connections to one of the
 * DVIPAs we serve, its owner gets the copy; when in doubt (no connection
 * known, an unknown DVIPA named, a malformed COPYTO), every routing stack of
 * a DVIPA we serve does - each ignores the cookies it did not send. */
static void
test_cot_without_copyto_goes_to_the_candidates(void **state)
{
	uint8_t pkt[512];
	size_t mhlen, len;
	struct vipa_conn_key k;
	int created = 0, i;
	const uint8_t copyto_len[3] = { 16, 0, 8 };

	(void)state;
	for (i = 0; i < 3; i++) {
		/* DV_UNKNOWN named; none; a COPYTO of the wrong length. */
		len = build_cot(pkt, sizeof(pkt), DV_UNKNOWN, copyto_len[i], &mhlen);
		rx(pkt, len);
	}
	assert_int_equal(fake_bus_count(1, WIRE_XCF_MIP6_COPY), 3);	/* to SYSA */
	assert_int_equal(st.mip6.copies, 6);	/* and 3 handled here (we own DV_OURS) */
	assert_int_equal(lib_verdict_count(&st.bus_verdicts, "CoT with an unknown cookie"), 3);
	/* The client has a connection to DV_OTHER here: only SYSA gets it. */
	memset(&k, 0, sizeof(k));
	memcpy(k.dvipa, DV_OTHER, 16);
	memcpy(k.client, CLIENT, 16);
	k.dport = 8080;
	k.cport = 40000;
	assert_non_null(stack_tgt_conn(&st, &k, &created));
	len = build_cot(pkt, sizeof(pkt), DV_OTHER, 0, &mhlen);
	rx(pkt, len);
	assert_int_equal(fake_bus_count(1, WIRE_XCF_MIP6_COPY), 4);
	assert_string_equal(fake_bus_last(1, WIRE_XCF_MIP6_COPY)->member, "SYSATCPCS");
	assert_int_equal(st.mip6.copies, 7);
	/* We serve no DVIPA at all: dropped, counted. */
	st.dv[0].target = 0;
	st.dv[1].target = 0;
	st.dv[1].owned = 0;
	rx(pkt, len);
	assert_int_equal(st.mip6.copies, 7);
	assert_int_equal(lib_verdict_count(&st.tun_verdicts,
					   "CoT at our care-of address while we serve no DVIPA"), 1);
}

/* ==== the routing stack as mobile node ================================================ */

#define HOME DV_OTHER			/* the DVIPA we own here */
#define NONCE_IDX 7
#define CPORT 40001
#define DPORT 8080

static const uint8_t KCN[MIP6_KCN_LEN] = { 0x4b, 0x63, 0x6e, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
					   12, 13, 14, 15, 16, 17 };
static const uint8_t NONCE[MIP6_NONCE_LEN] = { 0x6e, 0x6f, 0x6e, 0x63, 0x65, 1, 2, 3 };
static int tunfd[2];
static struct vipa_conn *conn;
/* The correspondent node the test plays: ours (echoes COPYTO and the
 * connection option) or, with std_cn, a standard RFC 6275 node. */
static int std_cn;

/* A Mobility Header the stack wrote into its TUN. */
struct sent_mh {
	uint8_t src[16], dst[16];
	uint8_t mh[MIP6_MAX_LEN];
	size_t mhlen;
	struct mip6_msg m;
};

static int
setup_mn(void **state)
{
	struct stack_dvipa *d;
	struct vipa_vdpt_entry *e;
	struct vipa_conn_key k;

	(void)state;
	std_cn = 0;
	fake_bus_reset();
	fake_bus_member("SYSA", "TCPCS", OWNER_XCF, XCF_ACTIVE, 1);
	fake_bus_member("SYSB", "TCPCS", COA, XCF_ACTIVE, 1);
	fake_bus_member("SYSC", "TCPCS", COA2, XCF_ACTIVE, 1);
	fake_stack_init(&st, uv_default_loop(), "SYSA", OWNER_XCF);
	/* Each binding's BU numbers start at a random number
	 * (test_mn_seq_starts_random); the tests that check the numbering
	 * start them at 1. */
	st.mip6.bu_seq_start = 1;
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, tunfd), 0);
	st.tun_fd = tunfd[1];
	d = stack_dvipa_get(&st, HOME);
	d->defined = 1;
	d->owned = 1;
	d->has_dist = 1;
	d->dist.mip6 = 1;
	d->dist.nports = 1;
	d->dist.ports[0] = DPORT;
	d->dist.destall = 1;
	lib_strlcpy(d->owner, "SYSATCPCS", sizeof(d->owner));
	e = vipa_vdpt_get(st.vdpt, HOME, DPORT, COA, 1);
	assert_non_null(e);
	e->rdy = 1;
	e->weight = 1;
	e = vipa_vdpt_get(st.vdpt, HOME, DPORT, COA2, 1);
	assert_non_null(e);
	e->rdy = 1;
	e->weight = 1;
	memset(&k, 0, sizeof(k));
	memcpy(k.dvipa, HOME, 16);
	memcpy(k.client, CLIENT, 16);
	k.dport = DPORT;
	k.cport = CPORT;
	conn = vipa_vcrt_insert(st.vcrt, &k, NULL);
	assert_non_null(conn);
	memcpy(conn->dest_xcf, COA, 16);
	conn->state = VIPA_CONN_EST;
	conn->created_ms = lib_now_ms();
	return 0;
}

static int
teardown_mn(void **state)
{
	(void)state;
	close(tunfd[0]);
	close(tunfd[1]);
	st.tun_fd = -1;
	fake_stack_fini(&st);
	return 0;
}

/* The next Mobility Header the stack wrote; 0 when there is none. */
static int
next_mh(struct sent_mh *o)
{
	uint8_t buf[WIRE_VNET_HDR_LEN + WIRE_IP6_HDR_LEN + MIP6_MAX_LEN];
	struct wire_pkt pk;
	const char *why = NULL;
	ssize_t n = read(tunfd[0], buf, sizeof(buf));

	if (n < 0)
		return 0;
	assert_true(n > WIRE_VNET_HDR_LEN + WIRE_IP6_HDR_LEN);
	assert_int_equal(wire_ip6_parse(&pk, buf + WIRE_VNET_HDR_LEN, (size_t)n - WIRE_VNET_HDR_LEN,
					&why), 0);
	assert_int_equal(pk.proto, WIRE_PROTO_MH);
	memcpy(o->src, pk.src, 16);
	memcpy(o->dst, pk.dst, 16);
	o->mhlen = (size_t)n - WIRE_VNET_HDR_LEN - pk.l4_off;
	memcpy(o->mh, buf + WIRE_VNET_HDR_LEN + pk.l4_off, o->mhlen);
	assert_true(mip6_csum_ok(o->src, o->dst, o->mh, o->mhlen));
	assert_int_equal(mip6_msg_decode(&o->m, o->mh, o->mhlen, &why), 0);
	return 1;
}

static void
next_mh_of(struct sent_mh *o, uint8_t type)
{
	assert_true(next_mh(o));
	assert_int_equal(o->m.type, type);
}

static int
nothing_sent(void)
{
	struct sent_mh o;

	return !next_mh(&o);
}

/* The correspondent node's tokens and binding management keys. */
static void
token(const uint8_t addr[16], int care_of, uint8_t out[MIP6_TOKEN_LEN])
{
	mip6_keygen_token(KCN, addr, NONCE, care_of, out);
}

static void
kbm(int deleting, uint8_t out[MIP6_KBM_LEN])
{
	uint8_t h[MIP6_TOKEN_LEN], c[MIP6_TOKEN_LEN];

	token(HOME, 0, h);
	token(COA, 1, c);
	mip6_kbm(h, deleting ? NULL : c, out);
}

/* A packet client -> the DVIPA reaching the owner's TUN. */
static void
deliver_owner(const uint8_t *mh, size_t mhlen)
{
	uint8_t pkt[WIRE_IP6_HDR_LEN + MIP6_MAX_LEN];
	struct wire_pkt pk;
	const char *why = NULL;

	wire_ip6_hdr_encode(pkt, sizeof(pkt), CLIENT, HOME, WIRE_PROTO_MH, (uint16_t)mhlen);
	memcpy(pkt + WIRE_IP6_HDR_LEN, mh, mhlen);
	assert_int_equal(wire_ip6_parse(&pk, pkt, WIRE_IP6_HDR_LEN + mhlen, &why), 0);
	stack_mip6_rx_owner(&st, &pk, pkt, WIRE_IP6_HDR_LEN + mhlen);
}

/* The target's copy of a Mobility Header client -> dst that reached its
 * care-of address. */
static void
deliver_copy(const uint8_t dst[16], const uint8_t *mh, size_t mhlen)
{
	static struct wire_xcf_mip6_copy cp;
	uint8_t body[WIRE_XCF_MAX_BODY];
	ssize_t n;

	memcpy(cp.src, CLIENT, 16);
	memcpy(cp.dst, dst, 16);
	memcpy(cp.coa, COA, 16);
	cp.mhlen = (uint16_t)mhlen;
	memcpy(cp.mh, mh, mhlen);
	n = wire_xcf_mip6_copy_encode(&cp, body, sizeof(body));
	assert_true(n > 0);
	stack_mip6_on_copy(&st, xcf_member(NULL, "SYSBTCPCS"), body, (size_t)n);
}

/* The correspondent node answers a HoTI (the HoT goes to the DVIPA) or a
 * CoTI (the CoT goes to the care-of address; the target copies it). */
static void
answer_init(const struct sent_mh *init)
{
	int care_of = init->m.type == MIP6_MH_COTI;
	struct mip6_test *t;
	struct mip6_msg m;
	uint8_t mh[MIP6_MAX_LEN];
	ssize_t n;

	assert_true(init->m.type == MIP6_MH_HOTI || care_of);
	assert_memory_equal(init->dst, CLIENT, 16);
	memset(&m, 0, sizeof(m));
	m.proto = WIRE_PROTO_NONE;
	m.type = care_of ? MIP6_MH_COT : MIP6_MH_HOT;
	t = care_of ? &m.cot : &m.hot;
	t->nonce_idx = NONCE_IDX;
	memcpy(t->cookie, care_of ? init->m.coti.cookie : init->m.hoti.cookie, MIP6_COOKIE_LEN);
	token(init->src, care_of, t->token);
	if (care_of && !std_cn) {
		/* Our correspondent node echoes the COPYTO option. */
		int i;

		for (i = 0; i < init->m.opts.n_vso; i++)
			if (init->m.opts.vso[i].subtype == WIRE_VSO_COPYTO)
				m.opts.vso[m.opts.n_vso++] = init->m.opts.vso[i];
	}
	n = mip6_msg_encode(&m, mh, sizeof(mh));
	assert_true(n > 0);
	mip6_csum_set(CLIENT, init->src, mh, (size_t)n);
	if (care_of)
		deliver_copy(init->src, mh, (size_t)n);
	else
		deliver_owner(mh, (size_t)n);
}

/* The correspondent node's BA to the care-of address (copied by the
 * target); a wrong authenticator when forged. */
static void
send_ba(uint8_t status, uint16_t seq, uint16_t lifetime, int forged)
{
	struct mip6_msg m;
	uint8_t mh[MIP6_MAX_LEN], k[MIP6_KBM_LEN];
	ssize_t n;
	int off;

	memset(&m, 0, sizeof(m));
	m.proto = WIRE_PROTO_NONE;
	m.type = MIP6_MH_BA;
	m.ba.status = status;
	m.ba.seq = seq;
	m.ba.lifetime = lifetime;
	m.opts.present = MIP6_OPTF(MIP6_OPT_AUTH);
	if (!std_cn)
		wire_vso_conn_add(&m.opts, CPORT, DPORT);
	n = mip6_msg_encode(&m, mh, sizeof(mh));
	assert_true(n > 0);
	off = mip6_auth_off(mh, (size_t)n);
	assert_true(off > 0);
	kbm(0, k);
	assert_int_equal(mip6_bu_authenticator(k, COA, CLIENT, mh, (size_t)n, (size_t)off, mh + off), 0);
	if (forged)
		mh[off] ^= 0x01;
	mip6_csum_set(CLIENT, HOME, mh, (size_t)n);
	deliver_copy(HOME, mh, (size_t)n);
}

/* A BU's authenticator, checked as the correspondent node checks it. */
static void
assert_bu_authentic(const struct sent_mh *bu, int deleting)
{
	uint8_t k[MIP6_KBM_LEN], auth[MIP6_AUTH_LEN];

	kbm(deleting, k);
	assert_int_equal(mip6_bu_authenticator(k, bu->m.opts.alt_coa, CLIENT, bu->mh, bu->mhlen,
					       bu->m.opts.auth_off, auth), 0);
	assert_memory_equal(auth, bu->mh + bu->m.opts.auth_off, MIP6_AUTH_LEN);
}

static void
assert_bu_for_conn(const struct sent_mh *bu)
{
	uint16_t cport, dport;

	assert_int_equal(bu->m.type, MIP6_MH_BU);
	assert_memory_equal(bu->src, HOME, 16);
	assert_memory_equal(bu->dst, CLIENT, 16);
	assert_int_equal(wire_vso_conn_find(&bu->m.opts, &cport, &dport), 1);
	assert_int_equal(cport, CPORT);
	assert_int_equal(dport, DPORT);
	assert_true(bu->m.opts.present & MIP6_OPTF(MIP6_OPT_NONCE));
	assert_int_equal(bu->m.opts.home_nonce_idx, NONCE_IDX);
}

/* Both tests, answered: returns the BU that follows. */
static void
tests_answered(struct sent_mh *bu)
{
	struct sent_mh h, c;

	next_mh_of(&h, MIP6_MH_HOTI);
	next_mh_of(&c, MIP6_MH_COTI);
	answer_init(&h);
	answer_init(&c);
	next_mh_of(bu, MIP6_MH_BU);
}

/* The connection bound through a full exchange; returns its BU. */
/* The number the stack gives the BU after one numbered seq (0 means none). */
static uint16_t
seq_next(uint16_t seq)
{
	return (uint16_t)(seq + 1) ? (uint16_t)(seq + 1) : 1;
}

static void
bound(struct sent_mh *bu)
{
	stack_mip6_conn_established(&st, conn);
	tests_answered(bu);
	send_ba(MIP6_BA_ACCEPTED, bu->m.bu.seq, bu->m.bu.lifetime, 0);
	assert_int_equal(conn->bypass, VIPA_BYPASS_BOUND);
	assert_true(nothing_sent());
}

/* Each binding (client, DVIPA) has its own BU counter, started at a random
 * number: four stacks do not all start at the same number for a client,
 * none at 0, and two clients of one stack do not share a counter. */
static void
test_mn_seq_starts_random(void **state)
{
	static struct stack x;
	uint16_t first[4], a, b;
	int i;

	(void)state;
	for (i = 0; i < 4; i++) {
		fake_stack_init(&x, uv_default_loop(), "SYSC", OWNER_XCF);
		first[i] = stack_mip6_seq_next(&x, CLIENT, HOME);
		assert_int_not_equal(first[i], 0);
		fake_stack_fini(&x);
	}
	assert_false(first[0] == first[1] && first[1] == first[2] && first[2] == first[3]);
	/* Within one stack: a counter per client, each its own random start. */
	fake_stack_init(&x, uv_default_loop(), "SYSC", OWNER_XCF);
	for (i = 0; i < 4; i++) {
		uint8_t other[16];

		memcpy(other, CLIENT, 16);
		other[15] = (uint8_t)(0x80 + i);
		first[i] = stack_mip6_seq_next(&x, other, HOME);
	}
	assert_false(first[0] == first[1] && first[1] == first[2] && first[2] == first[3]);
	/* What one binding's client answers moves only that binding's counter. */
	a = stack_mip6_seq_next(&x, CLIENT, HOME);
	b = stack_mip6_seq_next(&x, COA2, HOME);
	stack_mip6_seq_seen(&x, CLIENT, HOME, (uint16_t)(a + 1000));
	assert_int_equal(stack_mip6_seq_next(&x, CLIENT, HOME), (uint16_t)(a + 1001));
	assert_int_equal(stack_mip6_seq_next(&x, COA2, HOME), b);
	fake_stack_fini(&x);
}

/* RFC 6275 11.7.1 serial-number order: a number seen moves a binding's
 * counter only forward (modulo 2^16, half the space ahead), across the wrap,
 * and never to 0. */
static void
test_mn_seq_serial_order(void **state)
{
	(void)state;
	st.mip6.bu_seq_start = 65000;
	assert_int_equal(stack_mip6_seq_next(&st, COA2, HOME), 65000);
	stack_mip6_seq_seen(&st, COA2, HOME, 64000);		/* older: stays */
	assert_int_equal(stack_mip6_seq_next(&st, COA2, HOME), 65000);
	stack_mip6_seq_seen(&st, COA2, HOME, 65535);		/* newer: after it, skipping 0 */
	assert_int_equal(stack_mip6_seq_next(&st, COA2, HOME), 1);
	stack_mip6_seq_seen(&st, COA2, HOME, 65534);		/* older across the wrap */
	assert_int_equal(stack_mip6_seq_next(&st, COA2, HOME), 1);
	stack_mip6_seq_seen(&st, COA2, HOME, 20000);		/* newer: within half the space */
	assert_int_equal(stack_mip6_seq_next(&st, COA2, HOME), 20001);
	stack_mip6_seq_seen(&st, COA2, HOME, (uint16_t)(20001 + 32768));	/* half-way: not newer */
	assert_int_equal(stack_mip6_seq_next(&st, COA2, HOME), 20001);
}

static void
test_mn_tests_then_bu(void **state)
{
	struct sent_mh h, c, bu;
	const uint8_t *copyto = NULL;
	int i;

	(void)state;
	stack_mip6_conn_established(&st, conn);
	assert_int_equal(conn->bypass, VIPA_BYPASS_TESTING);
	assert_int_equal(st.mip6.started, 1);
	next_mh_of(&h, MIP6_MH_HOTI);
	assert_memory_equal(h.src, HOME, 16);
	next_mh_of(&c, MIP6_MH_COTI);
	assert_memory_equal(c.src, COA, 16);	/* claim 1: from the target's care-of address */
	for (i = 0; i < c.m.opts.n_vso; i++)
		if (c.m.opts.vso[i].subtype == WIRE_VSO_COPYTO && c.m.opts.vso[i].len == 16)
			copyto = c.m.opts.vso[i].data;
	assert_non_null(copyto);
	assert_memory_equal(copyto, HOME, 16);
	assert_true(nothing_sent());
	/* One token is not enough. */
	answer_init(&h);
	assert_true(nothing_sent());
	answer_init(&c);
	next_mh_of(&bu, MIP6_MH_BU);
	assert_bu_for_conn(&bu);
	assert_int_not_equal(bu.m.bu.seq, 0);	/* random: not guessable from others */
	assert_int_equal(bu.m.bu.flags, MIP6_BU_F_A);
	assert_int_equal(bu.m.bu.lifetime, MIP6_MAX_RR_BINDING_LIFETIME / 4);
	assert_memory_equal(bu.m.opts.alt_coa, COA, 16);
	assert_int_equal(bu.m.opts.coa_nonce_idx, NONCE_IDX);
	assert_bu_authentic(&bu, 0);
	assert_int_equal(conn->bu_seq, bu.m.bu.seq);
	assert_int_equal(conn->bypass, VIPA_BYPASS_TESTING);
}

static void
test_mn_ba_binds_and_tells_the_target(void **state)
{
	static struct wire_xcf_bind_info b;
	const struct fake_msg *f;
	const char *why = NULL;
	struct sent_mh bu;

	(void)state;
	stack_mip6_conn_established(&st, conn);
	tests_answered(&bu);
	send_ba(MIP6_BA_ACCEPTED, bu.m.bu.seq, 60, 0);	/* granted: 240 s */
	assert_int_equal(conn->bypass, VIPA_BYPASS_BOUND);
	assert_memory_equal(conn->coa, COA, 16);
	assert_int_equal(conn->bu_life, 240);
	assert_int_equal(st.mip6.bound, 1);
	f = fake_bus_last(1, WIRE_XCF_BIND_INFO);
	assert_non_null(f);
	assert_string_equal(f->member, "SYSBTCPCS");
	assert_int_equal(wire_xcf_bind_info_decode(&b, f->body, f->len, &why), 0);
	assert_memory_equal(b.dvipa, HOME, 16);
	assert_memory_equal(b.client, CLIENT, 16);
	assert_int_equal(b.cport, CPORT);
	assert_int_equal(b.dport, DPORT);
	assert_int_equal(b.bypass, VIPA_BYPASS_BOUND);
	assert_memory_equal(b.coa, COA, 16);
	assert_int_equal(b.seq, bu.m.bu.seq);
	assert_int_equal(b.lifetime, 240);
}

static void
test_mn_forged_ba_changes_nothing(void **state)
{
	struct sent_mh bu;

	(void)state;
	stack_mip6_conn_established(&st, conn);
	tests_answered(&bu);
	send_ba(MIP6_BA_ACCEPTED, bu.m.bu.seq, 105, 1);
	assert_int_equal(conn->bypass, VIPA_BYPASS_TESTING);
	assert_int_equal(st.mip6.bound, 0);
	assert_int_equal(fake_bus_count(1, WIRE_XCF_BIND_INFO), 0);
	assert_int_equal(lib_verdict_count(&st.bus_verdicts, "BA with a wrong authenticator"), 1);
}

/* An error BA (status >= 128) without a valid authenticator never cancels
 * the bypass: not while testing, not once bound; an expired-nonce BA
 * (which carries none) is taken only for a BU we wait on; an authentic
 * refusal ends the bypass. */
static void
test_mn_unauthenticated_error_ba_ignored(void **state)
{
	struct sent_mh bu;

	(void)state;
	stack_mip6_conn_established(&st, conn);
	tests_answered(&bu);
	send_ba(MIP6_BA_NO_RESOURCES, bu.m.bu.seq, 0, 1);
	assert_int_equal(conn->bypass, VIPA_BYPASS_TESTING);
	assert_int_equal(lib_verdict_count(&st.bus_verdicts,
					   "error BA without a valid authenticator"), 1);
	send_ba(MIP6_BA_ACCEPTED, bu.m.bu.seq, 105, 0);
	assert_int_equal(conn->bypass, VIPA_BYPASS_BOUND);
	/* Bound: a forged refusal or an expired-nonce BA changes nothing. */
	send_ba(MIP6_BA_PROHIBITED, bu.m.bu.seq, 0, 1);
	assert_int_equal(conn->bypass, VIPA_BYPASS_BOUND);
	send_ba(MIP6_BA_EXPIRED_NONCES, bu.m.bu.seq, 0, 1);
	assert_int_equal(conn->bypass, VIPA_BYPASS_BOUND);
	assert_int_equal(lib_verdict_count(&st.bus_verdicts, "error BA for no BU we wait on"), 1);
	assert_true(nothing_sent());
	assert_int_equal(st.mip6.ba_errors, 0);
	/* An authentic refusal is obeyed. */
	send_ba(MIP6_BA_PROHIBITED, bu.m.bu.seq, 0, 0);
	assert_int_equal(conn->bypass, VIPA_BYPASS_NONE);
	assert_int_equal(st.mip6.ba_errors, 1);
}

/* The 500 ms housekeeping walk, a second later. */
static void
second_passes(void)
{
	fake_clock_advance(1000);
	stack_mip6_tick(&st);
}

/* A connection of another client, bound now (its refresh far ahead). */
static void
other_bound_conn(int i)
{
	struct vipa_conn_key k;
	struct vipa_conn *c;

	memset(&k, 0, sizeof(k));
	memcpy(k.dvipa, HOME, 16);
	memcpy(k.client, CLIENT, 16);
	k.client[13] = (uint8_t)(1 + i / 1000);	/* 3 other clients */
	k.dport = DPORT;
	k.cport = (uint16_t)(20000 + i);
	c = vipa_vcrt_insert(st.vcrt, &k, NULL);
	assert_non_null(c);
	memcpy(c->dest_xcf, COA, 16);
	memcpy(c->coa, COA, 16);
	c->state = VIPA_CONN_EST;
	c->bypass = VIPA_BYPASS_BOUND;
	c->bu_ms = c->created_ms = lib_now_ms();
	c->bu_life = 420;
	stack_mip6_track(&st, c);
}

/* No walk of the VCRT per event or per tick (mip6.c, "pending work"): with
 * 3,000 bound connections of other clients in the table, the HoT and the
 * CoT of our connection's tests look at that connection only, and the
 * second of ticks that follows fires only its keys (none of the others',
 * whose refreshes are due in 367 s); the binding still comes. */
static void
test_mn_pending_work_without_walks(void **state)
{
	struct sent_mh bu;
	int i;

	(void)state;
	for (i = 0; i < 3000; i++)
		other_bound_conn(i);
	stack_mip6_tick(&st);			/* the first tick's sweep (a loaded VCRT) */
	assert_int_equal(st.mip6.sweeps, 1);
	st.mip6.wheel_fired = 0;
	stack_mip6_conn_established(&st, conn);
	tests_answered(&bu);
	assert_int_equal(st.mip6.wait_visits, 2);	/* the HoT's and the CoT's */
	assert_bu_for_conn(&bu);
	second_passes();			/* the BU's retry, nothing else */
	assert_true(st.mip6.wheel_fired <= 2);
	assert_int_equal(st.mip6.sweeps, 1);
	while (next_mh(&bu))
		assert_int_equal(bu.m.type, MIP6_MH_BU);
	send_ba(MIP6_BA_ACCEPTED, conn->bu_seq, 105, 0);
	assert_int_equal(conn->bypass, VIPA_BYPASS_BOUND);
	assert_int_equal(vipa_cidx_count(st.mip6.waiting), 1);	/* lazy: until a walk */
	st.mip6.wheel_fired = 0;
	second_passes();
	assert_true(st.mip6.wheel_fired <= 1);
	assert_true(nothing_sent());
}

static void
test_mn_unanswered_bu_gives_up(void **state)
{
	struct sent_mh bu, h, c;

	(void)state;
	stack_mip6_conn_established(&st, conn);
	tests_answered(&bu);			/* BU 1 */
	assert_true(nothing_sent());
	second_passes();
	next_mh_of(&bu, MIP6_MH_BU);		/* BU 2 */
	assert_true(nothing_sent());
	/* Halfway: the correspondent may have a new Kcn; test again. */
	second_passes();
	next_mh_of(&h, MIP6_MH_HOTI);
	next_mh_of(&c, MIP6_MH_COTI);
	assert_true(nothing_sent());
	answer_init(&h);
	answer_init(&c);
	next_mh_of(&bu, MIP6_MH_BU);		/* BU 3 */
	second_passes();
	next_mh_of(&bu, MIP6_MH_BU);		/* BU 4 */
	assert_int_equal(conn->bypass, VIPA_BYPASS_TESTING);
	second_passes();
	assert_true(nothing_sent());
	assert_int_equal(conn->bypass, VIPA_BYPASS_NONE);	/* stays routed */
	assert_int_equal(st.mip6.gave_up, 1);
	second_passes();
	assert_true(nothing_sent());
}

static void
test_mn_seq_out_of_window_renumbers(void **state)
{
	struct sent_mh bu;

	(void)state;
	stack_mip6_conn_established(&st, conn);
	tests_answered(&bu);
	/* The client holds a binding numbered 500 (another routing stack's). */
	send_ba(MIP6_BA_SEQ_OUT_OF_WINDOW, 500, 0, 0);
	next_mh_of(&bu, MIP6_MH_BU);
	assert_int_equal(bu.m.bu.seq, 501);
	assert_bu_authentic(&bu, 0);
	assert_int_equal(st.mip6.ba_errors, 1);
	send_ba(MIP6_BA_ACCEPTED, 501, 105, 0);
	assert_int_equal(conn->bypass, VIPA_BYPASS_BOUND);
}

static void
test_mn_refresh_before_expiry(void **state)
{
	struct sent_mh bu, h, c;
	uint16_t seq;

	(void)state;
	bound(&bu);
	seq = bu.m.bu.seq;
	/* 7/8 of the 420 s lifetime: not yet... */
	fake_clock_advance(367000);
	stack_mip6_tick(&st);
	assert_true(nothing_sent());
	/* ...now: fresh tests (the tokens are older than the binding's BU). */
	fake_clock_advance(1000);
	stack_mip6_tick(&st);
	assert_int_equal(st.mip6.refreshes, 1);
	next_mh_of(&h, MIP6_MH_HOTI);
	next_mh_of(&c, MIP6_MH_COTI);
	assert_int_equal(conn->bypass, VIPA_BYPASS_BOUND);	/* still valid at the client */
	answer_init(&h);
	answer_init(&c);
	next_mh_of(&bu, MIP6_MH_BU);
	assert_int_equal(bu.m.bu.seq, seq_next(seq));
	assert_bu_authentic(&bu, 0);
	send_ba(MIP6_BA_ACCEPTED, bu.m.bu.seq, 105, 0);
	assert_int_equal(conn->bypass, VIPA_BYPASS_BOUND);
	assert_int_equal(st.mip6.refreshed, 1);
	assert_int_equal(st.mip6.bound, 1);
	assert_int_equal(fake_bus_count(1, WIRE_XCF_BIND_INFO), 2);
}

static void
test_mn_brr_starts_a_refresh(void **state)
{
	struct sent_mh bu, h;
	struct mip6_msg m;
	uint8_t mh[MIP6_MAX_LEN];
	ssize_t n;

	(void)state;
	bound(&bu);
	fake_clock_advance(5000);
	memset(&m, 0, sizeof(m));
	m.proto = WIRE_PROTO_NONE;
	m.type = MIP6_MH_BRR;
	wire_vso_conn_add(&m.opts, CPORT, DPORT);
	n = mip6_msg_encode(&m, mh, sizeof(mh));
	assert_true(n > 0);
	mip6_csum_set(CLIENT, HOME, mh, (size_t)n);
	deliver_copy(HOME, mh, (size_t)n);	/* via the target, claim 1 */
	assert_int_equal(st.mip6.refreshes, 1);
	next_mh_of(&h, MIP6_MH_HOTI);
}

/* A bound connection ends (its target left the group, or not): the
 * deleting BU. */
static void
binding_deleted(int target_lost)
{
	struct sent_mh bu, del;

	bound(&bu);
	stack_mip6_conn_ended(&st, conn, target_lost);
	next_mh_of(&del, MIP6_MH_BU);
	assert_bu_for_conn(&del);
	assert_int_equal(del.m.bu.lifetime, 0);
	assert_int_equal(del.m.bu.flags, 0);
	assert_memory_equal(del.m.opts.alt_coa, HOME, 16);	/* care-of = home */
	assert_int_equal(del.m.bu.seq, seq_next(bu.m.bu.seq));
	assert_bu_authentic(&del, 1);
	assert_int_equal(st.mip6.deletes, 1);
	assert_int_equal(st.mip6.target_lost, target_lost);
}

static void
test_mn_connection_end_deletes_the_binding(void **state)
{
	(void)state;
	binding_deleted(0);
}

static void
test_mn_target_lost_deletes_too(void **state)
{
	(void)state;
	binding_deleted(1);
}

static void
test_mn_deletion_waits_for_a_fresh_home_token(void **state)
{
	struct sent_mh bu, h, del;

	(void)state;
	bound(&bu);
	fake_clock_advance(200000);		/* the tokens are too old to use */
	stack_mip6_conn_ended(&st, conn, 0);
	next_mh_of(&h, MIP6_MH_HOTI);
	assert_true(nothing_sent());
	assert_int_equal(st.mip6.deletes, 0);
	answer_init(&h);
	next_mh_of(&del, MIP6_MH_BU);
	assert_int_equal(del.m.bu.lifetime, 0);
	assert_bu_authentic(&del, 1);
	assert_int_equal(st.mip6.deletes, 1);
}

static void
test_mn_unbound_connection_sends_no_deletion(void **state)
{
	(void)state;
	stack_mip6_conn_ended(&st, conn, 0);
	assert_true(nothing_sent());
	assert_int_equal(st.mip6.deletes, 0);
}

static void
test_mn_target_without_bypass_stays_routed(void **state)
{
	(void)state;
	vipa_vdpt_get(st.vdpt, HOME, DPORT, COA, 0)->flags |= VIPA_VDPT_F_NOMIP6;
	stack_mip6_conn_established(&st, conn);
	assert_true(nothing_sent());
	assert_int_equal(conn->bypass, VIPA_BYPASS_NONE);
	assert_int_equal(st.mip6.started, 0);
}

/* ==== a standard RFC 6275 correspondent node: per-home-address bindings ============== */

/* SYSB's report (TGT_CONN) of one connection of client from cport, with
 * the binding state it holds. */
static void
report_conn(const uint8_t client[16], uint16_t cport, uint8_t bypass, uint16_t seq)
{
	static struct wire_xcf_tgt_conn m;
	uint8_t body[WIRE_XCF_MAX_BODY];
	ssize_t n;

	memset(&m, 0, sizeof(m));
	memcpy(m.scope, HOME, 16);
	m.n = 1;
	m.c[0].event = WIRE_CONN_EST;
	memcpy(m.c[0].dvipa, HOME, 16);
	m.c[0].dport = DPORT;
	memcpy(m.c[0].client, client, 16);
	m.c[0].cport = cport;
	m.c[0].bypass = bypass;
	memcpy(m.c[0].coa, COA, 16);
	m.c[0].seq = seq;
	n = wire_xcf_tgt_conn_encode(&m, body, sizeof(body));
	assert_true(n > 0);
	stack_dist_on_conn(&st, xcf_member(NULL, "SYSBTCPCS"), body, (size_t)n);
}

/* Another connection of the client to the DVIPA, routed to target dest. */
static struct vipa_conn *
another_conn(uint16_t cport, const uint8_t dest[16])
{
	struct vipa_conn_key k;
	struct vipa_conn *c;

	memset(&k, 0, sizeof(k));
	memcpy(k.dvipa, HOME, 16);
	memcpy(k.client, CLIENT, 16);
	k.dport = DPORT;
	k.cport = cport;
	c = vipa_vcrt_insert(st.vcrt, &k, NULL);
	assert_non_null(c);
	memcpy(c->dest_xcf, dest, 16);
	c->state = VIPA_CONN_EST;
	c->created_ms = lib_now_ms();
	/* As dist.c does for every connection a target reports established. */
	stack_mip6_track(&st, c);
	return c;
}

static void
assert_bu_for_home(const struct sent_mh *bu)
{
	uint16_t cport, dport;

	assert_int_equal(bu->m.type, MIP6_MH_BU);
	assert_memory_equal(bu->src, HOME, 16);
	assert_memory_equal(bu->dst, CLIENT, 16);
	/* A plain RFC 6275 BU: no vendor option at all. */
	assert_int_equal(wire_vso_conn_find(&bu->m.opts, &cport, &dport), 0);
	assert_int_equal(bu->m.opts.n_vso, 0);
	assert_true(bu->m.opts.present & MIP6_OPTF(MIP6_OPT_NONCE));
}

static const struct stack_mip6_home *
home_of_client(void)
{
	struct stack_mip6_home_key k;

	memcpy(k.dvipa, HOME, 16);
	memcpy(k.client, CLIENT, 16);
	return lib_tab_lookup(st.mip6.homes, &k);
}

/* The connection bound per home address through a full exchange with a
 * standard node (its CoT has no COPYTO); returns the BU. */
static void
home_bound_std(struct sent_mh *bu)
{
	std_cn = 1;
	stack_mip6_conn_established(&st, conn);
	tests_answered(bu);
	assert_int_equal(stack_mip6_cn_kind(&st, CLIENT), STACK_CN_STANDARD);
	assert_bu_for_home(bu);
	assert_memory_equal(bu->m.opts.alt_coa, COA, 16);
	assert_bu_authentic(bu, 0);
	assert_int_equal(conn->bypass, VIPA_BYPASS_TESTING);
	send_ba(MIP6_BA_ACCEPTED, bu->m.bu.seq, 60, 0);
	assert_true(nothing_sent());
}

static void
test_std_cot_learns_the_kind_and_binds_the_home_address(void **state)
{
	static struct wire_xcf_bind_info b;
	const struct fake_msg *f;
	const char *why = NULL;
	struct sent_mh bu;

	(void)state;
	home_bound_std(&bu);
	assert_int_equal(conn->bypass, VIPA_BYPASS_BOUND);
	assert_int_equal(conn->per_home, 1);
	assert_memory_equal(conn->coa, COA, 16);
	assert_int_equal(conn->bu_seq, bu.m.bu.seq);
	assert_int_equal(conn->bu_life, 240);
	assert_non_null(home_of_client());
	assert_int_equal(home_of_client()->state, VIPA_BYPASS_BOUND);
	assert_int_equal(home_of_client()->nconn, 1);
	assert_int_equal(st.mip6.home_bound, 1);
	/* The target learns that the binding is the client's per home address. */
	f = fake_bus_last(1, WIRE_XCF_BIND_INFO);
	assert_non_null(f);
	assert_int_equal(wire_xcf_bind_info_decode(&b, f->body, f->len, &why), 0);
	assert_int_equal(b.bypass, VIPA_BYPASS_BOUND | WIRE_XCF_BYPASS_HOME);
	assert_int_equal(b.cport, CPORT);
	/* The distributor's choice for this client's new connections: the target. */
	assert_memory_equal(stack_mip6_home_target(&st, CLIENT, HOME), COA, 16);
}

/* Claim 1 for a per-home-address binding: new connections reach the bound
 * target directly, which reports them; each is recorded with the binding's
 * state, no BU.  The deleting BU goes only when the last one has ended. */
static void
test_std_new_connections_under_the_binding_then_deleted_after_the_last(void **state)
{
	struct sent_mh bu, del;
	struct vipa_conn *more[3];
	int i;

	(void)state;
	home_bound_std(&bu);
	for (i = 0; i < 3; i++) {
		more[i] = another_conn((uint16_t)(CPORT + 1 + i), COA);
		stack_mip6_conn_established(&st, more[i]);
		assert_int_equal(more[i]->bypass, VIPA_BYPASS_BOUND);
		assert_int_equal(more[i]->per_home, 1);
		assert_int_equal(more[i]->bu_seq, bu.m.bu.seq);
		assert_memory_equal(more[i]->coa, COA, 16);
	}
	assert_true(nothing_sent());		/* no BU for them */
	assert_int_equal(home_of_client()->nconn, 4);
	assert_int_equal(fake_bus_count(1, WIRE_XCF_BIND_INFO), 4);
	/* They end one by one: nothing until the last. */
	for (i = 0; i < 3; i++) {
		struct vipa_conn_key k = more[i]->key;

		stack_mip6_conn_ended(&st, more[i], 0);
		vipa_vcrt_remove(st.vcrt, &k);
		assert_true(nothing_sent());
	}
	assert_int_equal(home_of_client()->nconn, 1);
	stack_mip6_conn_ended(&st, conn, 0);
	next_mh_of(&del, MIP6_MH_BU);
	assert_bu_for_home(&del);
	assert_int_equal(del.m.bu.lifetime, 0);
	assert_memory_equal(del.m.opts.alt_coa, HOME, 16);	/* care-of = home */
	assert_bu_authentic(&del, 1);
	assert_null(home_of_client());
	assert_int_equal(st.mip6.deletes, 1);
}

/* The target fails: the fourth BU (care-of = home = DVIPA), once for the
 * binding, when its last connection leaves the tables. */
static void
test_std_target_lost_sends_the_fourth_bu_once(void **state)
{
	struct sent_mh bu, del;
	struct vipa_conn *other;

	(void)state;
	home_bound_std(&bu);
	other = another_conn(CPORT + 1, COA);
	stack_mip6_conn_established(&st, other);
	stack_mip6_conn_ended(&st, other, 1);
	assert_true(nothing_sent());
	stack_mip6_conn_ended(&st, conn, 1);
	next_mh_of(&del, MIP6_MH_BU);
	assert_memory_equal(del.m.opts.alt_coa, HOME, 16);
	assert_int_equal(del.m.bu.lifetime, 0);
	assert_true(nothing_sent());
	assert_int_equal(st.mip6.target_lost, 1);
}

/* A connection of a bound client that goes to another target (the binding
 * would send its packets to the wrong one): the third BU ends the binding,
 * and every connection of the client is routed again. */
static void
test_std_connection_elsewhere_ends_the_binding(void **state)
{
	struct sent_mh bu, del;
	struct vipa_conn *other;

	(void)state;
	home_bound_std(&bu);
	other = another_conn(CPORT + 1, COA2);
	stack_mip6_conn_established(&st, other);
	next_mh_of(&del, MIP6_MH_BU);
	assert_memory_equal(del.m.opts.alt_coa, HOME, 16);
	assert_int_equal(del.m.bu.lifetime, 0);
	assert_int_equal(conn->bypass, VIPA_BYPASS_NONE);
	assert_int_equal(conn->per_home, 0);
	assert_int_equal(other->bypass, VIPA_BYPASS_NONE);
	assert_null(home_of_client());
	assert_null(stack_mip6_home_target(&st, CLIENT, HOME));
	assert_int_equal(st.mip6.home_released, 1);
	/* A report the target sent before it heard of the release does not
	 * bring the binding back. */
	report_conn(CLIENT, CPORT, VIPA_BYPASS_BOUND | WIRE_XCF_BYPASS_HOME, bu.m.bu.seq);
	assert_int_equal(conn->per_home, 0);
	assert_int_equal(conn->bypass, VIPA_BYPASS_NONE);
	assert_null(home_of_client());
}

/* The bound target stops taking new connections (Rdy 0): the third BU, so
 * that the client's new connections come to the distributor again. */
static void
test_std_target_not_ready_releases(void **state)
{
	struct sent_mh bu, del;

	(void)state;
	home_bound_std(&bu);
	vipa_vdpt_get(st.vdpt, HOME, DPORT, COA, 0)->rdy = 0;
	second_passes();
	next_mh_of(&del, MIP6_MH_BU);
	assert_memory_equal(del.m.opts.alt_coa, HOME, 16);
	assert_int_equal(conn->bypass, VIPA_BYPASS_NONE);
	assert_null(home_of_client());
}

/* The DVIPA is given up (its VCRT entries go without a BU: the new routing
 * stack learns the binding from the targets): the binding is forgotten
 * silently, no BU is sent for it. */
static void
test_std_binding_forgotten_when_the_dvipa_is_given_up(void **state)
{
	struct sent_mh bu;
	struct vipa_conn_key k;

	(void)state;
	home_bound_std(&bu);
	stack_dvipa_find(&st, HOME)->owned = 0;
	k = conn->key;
	vipa_vcrt_remove(st.vcrt, &k);		/* as own.c's give_up does */
	second_passes();
	assert_true(nothing_sent());
	assert_null(home_of_client());
	assert_int_equal(st.mip6.deletes, 0);
}

/* A standard client with connections on two targets is not bound: the
 * binding would take one of them to the wrong target. */
static void
test_std_no_binding_while_connections_are_on_two_targets(void **state)
{
	struct sent_mh h, c;
	struct vipa_conn *other;

	(void)state;
	std_cn = 1;
	other = another_conn(CPORT + 1, COA2);
	stack_mip6_conn_established(&st, conn);
	next_mh_of(&h, MIP6_MH_HOTI);
	next_mh_of(&c, MIP6_MH_COTI);
	answer_init(&h);
	answer_init(&c);
	assert_true(nothing_sent());		/* no BU */
	assert_int_equal(conn->bypass, VIPA_BYPASS_NONE);
	assert_int_equal(other->bypass, VIPA_BYPASS_NONE);
	assert_null(home_of_client());
	assert_int_equal(st.mip6.home_conflicts, 1);
}

/* Connections that were all on one target before the client's kind was
 * known come under one binding, made by one BU. */
static void
test_std_connections_on_one_target_share_one_binding(void **state)
{
	struct sent_mh bu;
	struct vipa_conn *more[2];
	int i;

	(void)state;
	for (i = 0; i < 2; i++) {
		more[i] = another_conn((uint16_t)(CPORT + 1 + i), COA);
		stack_mip6_conn_established(&st, more[i]);
	}
	std_cn = 1;
	stack_mip6_conn_established(&st, conn);
	tests_answered(&bu);
	assert_bu_for_home(&bu);
	assert_true(nothing_sent());		/* one BU for the three */
	send_ba(MIP6_BA_ACCEPTED, bu.m.bu.seq, 60, 0);
	assert_int_equal(home_of_client()->nconn, 3);
	assert_int_equal(conn->bypass, VIPA_BYPASS_BOUND);
	for (i = 0; i < 2; i++) {
		assert_int_equal(more[i]->bypass, VIPA_BYPASS_BOUND);
		assert_int_equal(more[i]->per_home, 1);
	}
	assert_true(nothing_sent());
}

/* The distributor keeps a standard client's new connections on one target
 * from its first SYN, so that they can all be bound. */
static void
test_std_distributor_keeps_the_client_on_one_target(void **state)
{
	(void)state;
	assert_null(stack_mip6_home_target(&st, CLIENT, HOME));
	stack_mip6_home_pick(&st, CLIENT, HOME, COA2);	/* kind unknown: nothing */
	assert_null(stack_mip6_home_target(&st, CLIENT, HOME));
	std_cn = 1;
	stack_mip6_conn_established(&st, conn);
	{
		struct sent_mh h, c, bu;

		next_mh_of(&h, MIP6_MH_HOTI);
		next_mh_of(&c, MIP6_MH_COTI);
		answer_init(&c);		/* the kind is known from the CoT */
		assert_int_equal(stack_mip6_cn_kind(&st, CLIENT), STACK_CN_STANDARD);
		assert_null(stack_mip6_home_target(&st, CLIENT, HOME));
		answer_init(&h);
		next_mh_of(&bu, MIP6_MH_BU);	/* the binding is being made */
		assert_bu_for_home(&bu);
	}
	stack_mip6_home_pick(&st, CLIENT, DV_OURS, COA);	/* not distributed here */
	assert_null(stack_mip6_home_target(&st, CLIENT, DV_OURS));
	/* The binding being made is to COA: later SYNs go there too. */
	assert_memory_equal(stack_mip6_home_target(&st, CLIENT, HOME), COA, 16);
	stack_mip6_home_release(&st, CLIENT, HOME);
	assert_null(stack_mip6_home_target(&st, CLIENT, HOME));
	/* A pick for a client without a binding starts one on the target picked. */
	stack_mip6_home_pick(&st, CLIENT, HOME, COA2);
	assert_memory_equal(stack_mip6_home_target(&st, CLIENT, HOME), COA2, 16);
}

/* Our per-connection BU answered by a standard node (its kind was not
 * known: the CoT echoed COPYTO), i.e. a BA without the connection option:
 * a per-home-address binding was made, and the routing stack records it. */
static void
test_std_ba_without_the_option_for_a_connection_bu(void **state)
{
	struct sent_mh bu;

	(void)state;
	stack_mip6_conn_established(&st, conn);
	tests_answered(&bu);
	assert_bu_for_conn(&bu);
	std_cn = 1;			/* the BA without the option */
	send_ba(MIP6_BA_ACCEPTED, bu.m.bu.seq, 60, 0);
	assert_int_equal(conn->bypass, VIPA_BYPASS_BOUND);
	assert_int_equal(conn->per_home, 1);
	assert_int_equal(stack_mip6_cn_kind(&st, CLIENT), STACK_CN_STANDARD);
	assert_non_null(home_of_client());
	assert_int_equal(home_of_client()->seq, bu.m.bu.seq);
	/* A forged one for another sequence number changes nothing. */
	send_ba(MIP6_BA_ACCEPTED, 999, 60, 0);
	assert_int_equal(lib_verdict_count(&st.bus_verdicts, "BA for no outstanding BU"), 1);
}

/* Takeover: a connection learned from a target's report under a standard
 * client's binding rebuilds the binding (and the client's kind); it is
 * refreshed at once with our own tokens and a BU numbered after the
 * report's; its end deletes it. */
static void
test_std_binding_rebuilt_from_a_report(void **state)
{
	struct wire_xcf_conn r;
	struct sent_mh h, c, bu, del;

	(void)state;
	std_cn = 1;
	memset(&r, 0, sizeof(r));
	r.bypass = VIPA_BYPASS_BOUND | WIRE_XCF_BYPASS_HOME;
	memcpy(r.coa, COA, 16);
	r.seq = 700;
	stack_mip6_seq_seen(&st, CLIENT, HOME, r.seq);
	stack_mip6_conn_learned(&st, conn, &r);
	assert_int_equal(conn->bypass, VIPA_BYPASS_BOUND);
	assert_int_equal(conn->per_home, 1);
	assert_int_equal(stack_mip6_cn_kind(&st, CLIENT), STACK_CN_STANDARD);
	assert_int_equal(home_of_client()->state, VIPA_BYPASS_BOUND);
	assert_memory_equal(stack_mip6_home_target(&st, CLIENT, HOME), COA, 16);
	second_passes();
	next_mh_of(&h, MIP6_MH_HOTI);
	next_mh_of(&c, MIP6_MH_COTI);
	answer_init(&h);
	answer_init(&c);
	next_mh_of(&bu, MIP6_MH_BU);
	assert_bu_for_home(&bu);
	assert_int_equal(bu.m.bu.seq, 701);
	send_ba(MIP6_BA_ACCEPTED, 701, 60, 0);
	assert_int_equal(st.mip6.refreshed, 1);
	assert_int_equal(conn->bu_seq, 701);
	stack_mip6_conn_ended(&st, conn, 0);
	next_mh_of(&del, MIP6_MH_BU);
	assert_int_equal(del.m.bu.seq, 702);
	assert_int_equal(del.m.bu.lifetime, 0);
}

/* The same through the bus: a target's full report (TGT_CONN) after a
 * takeover names a connection under a standard client's binding (the
 * WIRE_XCF_BYPASS_HOME flag); the new routing stack records it under a
 * rebuilt binding, and the distributor sends the client's next connections
 * to that target. */
static void
test_std_report_rebuilds_the_binding(void **state)
{
	struct vipa_conn_key k;
	struct vipa_conn *c;

	(void)state;
	memset(&k, 0, sizeof(k));
	memcpy(k.dvipa, HOME, 16);
	memcpy(k.client, CLIENT, 16);
	k.dport = DPORT;
	k.cport = CPORT + 7;
	report_conn(CLIENT, k.cport, VIPA_BYPASS_BOUND | WIRE_XCF_BYPASS_HOME, 300);
	c = vipa_vcrt_lookup(st.vcrt, &k);
	assert_non_null(c);
	assert_int_equal(c->bypass, VIPA_BYPASS_BOUND);
	assert_int_equal(c->per_home, 1);
	assert_int_equal(c->bu_seq, 300);
	assert_int_equal(stack_mip6_cn_kind(&st, CLIENT), STACK_CN_STANDARD);
	assert_int_equal(home_of_client()->state, VIPA_BYPASS_BOUND);
	assert_int_equal(home_of_client()->nconn, 1);
	assert_memory_equal(stack_mip6_home_target(&st, CLIENT, HOME), COA, 16);
	assert_int_equal(stack_mip6_seq_next(&st, CLIENT, HOME), 301);
	/* Without the flag: a per-connection binding, as before. */
	report_conn(COA2, CPORT + 8, VIPA_BYPASS_BOUND, 0);	/* another client */
	memcpy(k.client, COA2, 16);
	k.cport = CPORT + 8;
	c = vipa_vcrt_lookup(st.vcrt, &k);
	assert_non_null(c);
	assert_int_equal(c->bypass, VIPA_BYPASS_BOUND);
	assert_int_equal(c->per_home, 0);
	assert_null(stack_mip6_home_target(&st, COA2, HOME));
}

/* A standard node's BRR (no option) refreshes its binding. */
static void
test_std_brr_refreshes_the_binding(void **state)
{
	struct sent_mh bu, h;
	struct mip6_msg m;
	uint8_t mh[MIP6_MAX_LEN];
	ssize_t n;

	(void)state;
	home_bound_std(&bu);
	fake_clock_advance(5000);
	memset(&m, 0, sizeof(m));
	m.proto = WIRE_PROTO_NONE;
	m.type = MIP6_MH_BRR;
	n = mip6_msg_encode(&m, mh, sizeof(mh));
	assert_true(n > 0);
	mip6_csum_set(CLIENT, HOME, mh, (size_t)n);
	deliver_copy(HOME, mh, (size_t)n);
	assert_int_equal(st.mip6.refreshes, 1);
	next_mh_of(&h, MIP6_MH_HOTI);
}

/* The target records the binding information's kind and reports it. */
static void
test_std_target_keeps_the_kind(void **state)
{
	struct wire_xcf_bind_info b;
	struct vipa_conn_key k;
	struct vipa_conn *c;

	(void)state;
	memset(&b, 0, sizeof(b));
	memcpy(b.dvipa, HOME, 16);
	memcpy(b.client, CLIENT, 16);
	b.dport = DPORT;
	b.cport = CPORT;
	b.bypass = VIPA_BYPASS_BOUND | WIRE_XCF_BYPASS_HOME;
	memcpy(b.coa, COA, 16);
	b.seq = 9;
	stack_mip6_apply_bind_info(&st, &b);
	k = conn->key;
	c = vipa_vcrt_lookup(st.tgt.conns, &k);
	assert_non_null(c);
	assert_int_equal(c->bypass, VIPA_BYPASS_BOUND);
	assert_int_equal(c->per_home, 1);
	assert_int_equal(c->bu_seq, 9);
}

int
main(void)
{
#define TT(f) cmocka_unit_test_setup_teardown(f, setup, fake_stack_teardown)
#define TM(f) cmocka_unit_test_setup_teardown(f, setup_mn, teardown_mn)
	const struct CMUnitTest tests[] = {
		TT(test_cot_copied_to_owner),
		TT(test_cot_for_our_dvipa_handled_here),
		TT(test_cot_without_copyto_goes_to_the_candidates),
		TM(test_mn_tests_then_bu),
		TM(test_mn_ba_binds_and_tells_the_target),
		TM(test_mn_forged_ba_changes_nothing),
		TM(test_mn_seq_starts_random),
		TM(test_mn_seq_serial_order),
		TM(test_mn_unauthenticated_error_ba_ignored),
		TM(test_mn_unanswered_bu_gives_up),
		TM(test_mn_seq_out_of_window_renumbers),
		TM(test_mn_refresh_before_expiry),
		TM(test_mn_pending_work_without_walks),
		TM(test_mn_brr_starts_a_refresh),
		TM(test_mn_connection_end_deletes_the_binding),
		TM(test_mn_target_lost_deletes_too),
		TM(test_mn_deletion_waits_for_a_fresh_home_token),
		TM(test_mn_unbound_connection_sends_no_deletion),
		TM(test_mn_target_without_bypass_stays_routed),
		TM(test_std_cot_learns_the_kind_and_binds_the_home_address),
		TM(test_std_new_connections_under_the_binding_then_deleted_after_the_last),
		TM(test_std_target_lost_sends_the_fourth_bu_once),
		TM(test_std_connection_elsewhere_ends_the_binding),
		TM(test_std_target_not_ready_releases),
		TM(test_std_no_binding_while_connections_are_on_two_targets),
		TM(test_std_binding_forgotten_when_the_dvipa_is_given_up),
		TM(test_std_connections_on_one_target_share_one_binding),
		TM(test_std_distributor_keeps_the_client_on_one_target),
		TM(test_std_ba_without_the_option_for_a_connection_bu),
		TM(test_std_binding_rebuilt_from_a_report),
		TM(test_std_report_rebuilds_the_binding),
		TM(test_std_brr_refreshes_the_binding),
		TM(test_std_target_keeps_the_kind),
	};
#undef TT
#undef TM

	lib_log_init("test", LIB_LOG_WARN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
