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
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "tests/unit/fake.h"

/* ---- fixtures --------------------------------------------------------------------------- */

static struct stack st;
static const uint8_t OWNER_XCF[16] = { 0xfd, 0, 0, 0x10, [15] = 1 };		/* fd00:10::1 */
static const uint8_t CLIENT[16] = { 0xfd, 0, 0, 1, [15] = 0x01, [14] = 0x01 };	/* fd00:1::101 */
static const uint8_t COA[16] = { 0xfd, 0, 0, 0x10, [15] = 2 };			/* fd00:10::2 */
static const uint8_t DV_OTHER[16] = { 0xfd, 0, 1, 0, [15] = 1 };		/* fd00:100::1 */
static const uint8_t DV_OURS[16] = { 0xfd, 0, 1, 0, [15] = 2 };			/* fd00:100::2 */
static const uint8_t DV_UNKNOWN[16] = { 0xfd, 0, 1, 0, [15] = 9 };

static int
setup(void **state)
{
	(void)state;
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
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	fake_stack_fini(&st);
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
	memset(pkt, 0, WIRE_IP6_HDR_LEN);
	pkt[0] = 0x60;
	pkt[4] = (uint8_t)(n >> 8);
	pkt[5] = (uint8_t)n;
	pkt[6] = WIRE_PROTO_MH;
	pkt[7] = 64;
	memcpy(pkt + 8, CLIENT, 16);
	memcpy(pkt + 24, COA, 16);
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

static void
test_cot_without_a_known_dvipa_dropped(void **state)
{
	uint8_t pkt[512];
	size_t mhlen, len;

	(void)state;
	len = build_cot(pkt, sizeof(pkt), DV_UNKNOWN, 16, &mhlen);
	rx(pkt, len);
	len = build_cot(pkt, sizeof(pkt), DV_OTHER, 0, &mhlen);
	rx(pkt, len);
	len = build_cot(pkt, sizeof(pkt), DV_OTHER, 8, &mhlen);
	rx(pkt, len);
	assert_int_equal(fake_bus.nsent, 0);
	assert_int_equal(st.mip6.copies, 0);
	assert_int_equal(lib_verdict_count(&st.tun_verdicts,
					   "Mobility Header at our care-of address for no known DVIPA"), 3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_cot_copied_to_owner, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cot_for_our_dvipa_handled_here, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cot_without_a_known_dvipa_dropped, setup, teardown),
	};

	lib_log_init("test", LIB_LOG_WARN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
