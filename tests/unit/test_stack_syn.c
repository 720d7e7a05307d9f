/*
 * test_stack_syn.c - proves the routing stack's decisions on half-open
 * connections (tcpip-stack/dist.c), which a SYN flood from spoofed sources
 * tests:
 *  - at most STACK_SYN_MAX VCRT entries are half-open; beyond, the oldest
 *    half-open entry is evicted, never a confirmed (ESTABLISHED) one, and
 *    the newest SYN always gets its entry;
 *  - a VCRT full of confirmed connections makes room from half-open ones
 *    only, and refuses a SYN when none is left;
 *  - half-open entries cost no store write; the target's confirmation
 *    writes one row (real SQLite store in a temporary directory);
 *  - a SYN for an existing entry: the same ISN is a retransmission (same
 *    target), another ISN is a new connection once the entry was confirmed
 *    or ended by the client.
 * The stack's files come from libstack.a; the bus and the clock are the
 * fakes of tests/unit/fake.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/unit/fake.h"

static struct stack st;
static const uint8_t XA[16] = { 0xfd, 0, 0, 0x10, [15] = 1 };
static const uint8_t DV[16] = { 0xfd, 0, 1, 0, [15] = 1 };

static int
setup(void **state)
{
	fake_bus_reset();
	fake_bus_member("SYSA", "TCPCS", XA, XCF_ACTIVE, 1);
	fake_stack_init(&st, uv_default_loop(), "SYSA", XA);
	*state = &st;
	return 0;
}

/* The i-th spoofed client's key (client fd00:99::i, port 1024 + i % 60000). */
static struct vipa_conn_key
key(uint32_t i)
{
	struct vipa_conn_key k;

	memset(&k, 0, sizeof(k));
	memcpy(k.dvipa, DV, 16);
	k.client[0] = 0xfd;
	k.client[3] = 0x99;
	k.client[12] = (uint8_t)(i >> 24);
	k.client[13] = (uint8_t)(i >> 16);
	k.client[14] = (uint8_t)(i >> 8);
	k.client[15] = (uint8_t)i;
	k.dport = 80;
	k.cport = (uint16_t)(1024 + i % 60000);
	return k;
}

struct state_count {
	uint8_t state;
	size_t n;
};

static int
count_cb(struct vipa_conn *c, void *arg)
{
	struct state_count *x = arg;

	x->n += c->state == x->state;
	return 0;
}

static size_t
count_state(uint8_t state)
{
	struct state_count a = { state, 0 };

	vipa_vcrt_foreach(st.vcrt, count_cb, &a);
	return a.n;
}

static void
test_half_open_bounded_established_kept(void **state)
{
	struct vipa_conn_key k;
	struct vipa_conn *c;
	uint32_t i;

	(void)state;
	/* 100 real connections, confirmed by their target. */
	for (i = 0; i < 100; i++) {
		k = key(i);
		c = stack_dist_syn_entry(&st, &k, 1000 + i);
		assert_non_null(c);
		c->state = VIPA_CONN_EST;
	}
	/* A flood: 3 x STACK_SYN_MAX SYNs from other sources. */
	for (i = 1000; i < 1000 + 3 * STACK_SYN_MAX; i++) {
		k = key(i);
		fake_clock_advance(i % 16 == 0);
		assert_non_null(stack_dist_syn_entry(&st, &k, i));
	}
	assert_int_equal(count_state(VIPA_CONN_EST), 100);
	assert_int_equal(count_state(VIPA_CONN_SYN), STACK_SYN_MAX);
	assert_int_equal(st.dist.syn_evicted, 2 * STACK_SYN_MAX);
	for (i = 0; i < 100; i++) {
		k = key(i);
		assert_non_null(vipa_vcrt_lookup(st.vcrt, &k));
	}
	/* The newest are there, the oldest went. */
	k = key(1000 + 3 * STACK_SYN_MAX - 1);
	assert_non_null(vipa_vcrt_lookup(st.vcrt, &k));
	k = key(1000);
	assert_null(vipa_vcrt_lookup(st.vcrt, &k));

	/* A legitimate client's SYN in the middle of it, confirmed before
	 * STACK_SYN_MAX more half-open ones came: it stays. */
	k = key(5000000);
	c = stack_dist_syn_entry(&st, &k, 7);
	c->state = VIPA_CONN_EST;
	for (i = 0; i < 2 * STACK_SYN_MAX; i++) {
		struct vipa_conn_key f = key(6000000 + i);
		assert_non_null(stack_dist_syn_entry(&st, &f, i));
	}
	assert_non_null(vipa_vcrt_lookup(st.vcrt, &k));
	assert_int_equal(count_state(VIPA_CONN_EST), 101);
}

static void
test_full_vcrt_only_half_open_make_room(void **state)
{
	size_t cap = vipa_vcrt_capacity(st.vcrt), n;
	struct vipa_conn_key k;
	struct vipa_conn *c;
	uint32_t i;

	(void)state;
	/* Confirmed connections fill all but 10 entries; 20 SYNs follow. */
	for (i = 0; i < cap - 10; i++) {
		int created;
		k = key(i);
		c = vipa_vcrt_insert(st.vcrt, &k, &created);
		assert_non_null(c);
		c->state = VIPA_CONN_EST;
	}
	for (i = 0; i < 20; i++) {
		k = key(10000000 + i);
		assert_non_null(stack_dist_syn_entry(&st, &k, i));
	}
	n = vipa_vcrt_count(st.vcrt);
	assert_int_equal(n, cap);
	assert_int_equal(count_state(VIPA_CONN_EST), cap - 10);
	assert_int_equal(st.dist.syn_evicted, 10);
	/* Only confirmed ones left: a SYN is refused, none is evicted. */
	for (i = 0; i < 20; i++) {
		int created;
		k = key(10000000 + i);
		c = vipa_vcrt_insert(st.vcrt, &k, &created);
		if (c)
			c->state = VIPA_CONN_EST;
	}
	k = key(20000000);
	assert_null(stack_dist_syn_entry(&st, &k, 1));
	assert_int_equal(count_state(VIPA_CONN_EST), cap);
}

static void
test_half_open_not_stored(void **state)
{
	char dir[] = "/tmp/test_stack_syn.XXXXXX", path[64], err[128];
	struct vipa_store_stats ss;
	struct vipa_conn_key k;
	struct vipa_conn *c;
	uint32_t i;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/vcrt.db", dir);
	st.store = vipa_store_open(st.loop, path, 100000, err, sizeof(err));
	assert_non_null(st.store);
	for (i = 0; i < 1000; i++) {
		k = key(i);
		assert_non_null(stack_dist_syn_entry(&st, &k, i));
	}
	/* ...and 1000 evicted by 2 x STACK_SYN_MAX more: no write either. */
	for (i = 0; i < STACK_SYN_MAX + 1000; i++) {
		k = key(100000 + i);
		assert_non_null(stack_dist_syn_entry(&st, &k, i));
	}
	vipa_store_stats(st.store, &ss);
	assert_int_equal(ss.queued, 0);
	/* The target confirms one: one row. */
	k = key(100000 + STACK_SYN_MAX + 999);
	c = vipa_vcrt_lookup(st.vcrt, &k);
	assert_non_null(c);
	c->state = VIPA_CONN_EST;
	vipa_store_conn_put(st.store, c);
	vipa_store_stats(st.store, &ss);
	assert_int_equal(ss.queued, 1);
	vipa_store_close(&st.store);
	uv_run(st.loop, UV_RUN_NOWAIT);
	unlink(path);
	snprintf(path, sizeof(path), "%s/vcrt.db-wal", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/vcrt.db-shm", dir);
	unlink(path);
	rmdir(dir);
}

static void
test_syn_retransmission_same_target(void **state)
{
	struct vipa_conn_key k = key(1);
	struct vipa_conn *c;

	(void)state;
	c = stack_dist_syn_entry(&st, &k, 0x12345678);
	assert_non_null(c);
	/* Half-open: the same SYN again, or another ISN, keeps the target. */
	assert_false(stack_dist_syn_is_new(c, 0x12345678));
	assert_false(stack_dist_syn_is_new(c, 0x9999));
	/* Confirmed: the same ISN is a retransmission, another a new one. */
	c->state = VIPA_CONN_EST;
	assert_false(stack_dist_syn_is_new(c, 0x12345678));
	assert_true(stack_dist_syn_is_new(c, 0x9999));
	/* Ended by the client before any confirmation: a new ISN is new. */
	c->state = VIPA_CONN_SYN;
	c->fin_ms = lib_now_ms();
	assert_false(stack_dist_syn_is_new(c, 0x12345678));
	assert_true(stack_dist_syn_is_new(c, 0x9999));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_half_open_bounded_established_kept, setup,
						fake_stack_teardown),
		cmocka_unit_test_setup_teardown(test_full_vcrt_only_half_open_make_room, setup,
						fake_stack_teardown),
		cmocka_unit_test_setup_teardown(test_half_open_not_stored, setup,
						fake_stack_teardown),
		cmocka_unit_test_setup_teardown(test_syn_retransmission_same_target, setup,
						fake_stack_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
