/*
 * test_stack_input.c - proves the routing stack's bounds on what the LAN
 * sends it (tcpip-stack/ndp.c, dp.c):
 *  - a Neighbor Solicitation is answered only when RFC 4861 7.1.1 allows:
 *    hop limit 255 (one that crossed a router has less), code 0, at least
 *    24 octets, a unicast target, options of non-zero length within the
 *    message, and from :: only to a solicited-node group and without a
 *    source link-layer address option;
 *  - Packet Too Big replies are rate limited: STACK_PTB_RATE at once, then
 *    as many per second, the refusals counted.
 * The stack's files come from libstack.a; the clock is the fake of
 * tests/unit/fake.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "tests/unit/fake.h"

static const uint8_t DV[16] = { 0xfd, 0, 1, 0, [15] = 1 };
static const uint8_t SRC[16] = { 0xfd, 0, 0, 1, [14] = 1, [15] = 1 };
static const uint8_t ANY[16];
static const uint8_t SN[16] = { 0xff, 2, [11] = 1, [12] = 0xff, [15] = 1 };	/* of DV */

/* An NS for DV with a source link-layer address option; its length. */
static size_t
ns(uint8_t *b)
{
	memset(b, 0, 32);
	b[0] = 135;
	memcpy(b + 8, DV, 16);
	b[24] = 1;		/* source link-layer address */
	b[25] = 1;
	return 32;
}

static void
test_ns_checks(void **state)
{
	uint8_t b[64];
	size_t n;

	(void)state;
	n = ns(b);
	assert_null(stack_ndp_ns_check(b, n, 255, SRC, DV));
	assert_null(stack_ndp_ns_check(b, n, 255, SRC, NULL));
	/* Forwarded by a router (spoofed from off-link): refused. */
	assert_string_equal(stack_ndp_ns_check(b, n, 254, SRC, DV),
			    "NS with a hop limit other than 255 (not from the link)");
	assert_non_null(stack_ndp_ns_check(b, n, 64, SRC, DV));
	assert_non_null(stack_ndp_ns_check(b, n, -1, SRC, DV));	/* not known */
	assert_non_null(stack_ndp_ns_check(b, 23, 255, SRC, DV));
	b[1] = 1;
	assert_string_equal(stack_ndp_ns_check(b, n, 255, SRC, DV), "NS with a code other than 0");
	n = ns(b);
	b[8] = 0xff;
	assert_string_equal(stack_ndp_ns_check(b, n, 255, SRC, DV), "NS for a multicast target");
	n = ns(b);
	b[25] = 0;
	assert_string_equal(stack_ndp_ns_check(b, n, 255, SRC, DV),
			    "NS with an option of length 0 or truncated");
	n = ns(b);
	b[25] = 2;
	assert_string_equal(stack_ndp_ns_check(b, n, 255, SRC, DV),
			    "NS with an option longer than the message");
	/* Duplicate address detection: from :: to the solicited-node group,
	 * without the link-layer address option. */
	n = ns(b);
	assert_string_equal(stack_ndp_ns_check(b, n, 255, ANY, SN),
			    "NS from :: with a source link-layer address");
	assert_null(stack_ndp_ns_check(b, 24, 255, ANY, SN));
	assert_string_equal(stack_ndp_ns_check(b, 24, 255, ANY, DV),
			    "NS from :: not to a solicited-node group");
}

static void
test_ptb_rate_limited(void **state)
{
	struct stack st;
	int i, sent = 0;

	(void)state;
	fake_bus_reset();
	fake_stack_init(&st, uv_default_loop(), "SYSA", SRC);
	for (i = 0; i < 3 * STACK_PTB_RATE; i++)
		sent += stack_dp_ptb_ok(&st);
	assert_int_equal(sent, STACK_PTB_RATE);
	assert_int_equal(st.cnt.ptb_limited, 2 * STACK_PTB_RATE);
	fake_clock_advance(100);	/* a tenth of a second: a tenth of the rate */
	for (i = 0, sent = 0; i < STACK_PTB_RATE; i++)
		sent += stack_dp_ptb_ok(&st);
	assert_int_equal(sent, STACK_PTB_RATE / 10);
	fake_clock_advance(10000);	/* never more than the burst */
	for (i = 0, sent = 0; i < 3 * STACK_PTB_RATE; i++)
		sent += stack_dp_ptb_ok(&st);
	assert_int_equal(sent, STACK_PTB_RATE);
	fake_stack_fini(&st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ns_checks),
		cmocka_unit_test(test_ptb_rate_limited),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
