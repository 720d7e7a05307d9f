/*
 * test_vipa_digest.c - proves the connection digest (vipa/digest.c) is a set
 * digest that targets and routing stacks can compare:
 *  - the member hash is SipHash-2-4 with the documented fixed key over the
 *    documented 36 canonical bytes (golden values from an independent
 *    implementation), so every stack computes the same function;
 *  - adding then removing returns to the empty digest; the same set built in
 *    different orders, or by different interleavings of adds and removes,
 *    gives the same digest (commutativity);
 *  - kept incrementally through 200,000 random VCRT inserts and removes over
 *    three DVIPAs, it equals the digest computed from scratch from the table
 *    at every checkpoint, per DVIPA;
 *  - sets of the same size that differ in one member, in the DVIPA, or only
 *    in the byte order of a port, give different digests.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <arpa/inet.h>

#include "vipa/vipa.h"
#include "tests/unit/vkey.h"

static void
mkkey(struct vipa_conn_key *k, const char *dvipa, const char *client, uint16_t dport,
      uint16_t cport)
{
	memset(k, 0, sizeof(*k));
	assert_int_equal(inet_pton(AF_INET6, dvipa, k->dvipa), 1);
	assert_int_equal(inet_pton(AF_INET6, client, k->client), 1);
	k->dport = dport;
	k->cport = cport;
}

/* Connection i of DVIPA fd00:100::(1 + dv): a client in fd00:200::/64. */
static void
nkey(struct vipa_conn_key *k, unsigned dv, uint32_t i)
{
	const uint8_t dvipa[16] = { 0xfd, 0, 0, 0x01, [15] = (uint8_t)(1 + dv) };
	const uint8_t iid[8] = { [4] = (uint8_t)(i >> 24), [5] = (uint8_t)(i >> 16) };

	vkey(k, dvipa, iid, 8080, (uint16_t)(i * 7919u));
}

static void
test_golden(void **state)
{
	struct vipa_conn_key k;

	(void)state;
	/* Values from an independent SipHash-2-4 (checked against the
	 * reference vector) with key 0x7379737078656320, 0x6469676573743176. */
	mkkey(&k, "fd00:100::1", "fd00:1::101", 8080, 40000);
	assert_true(vipa_digest_hash(&k) == 0x8053dc15b242fde8ull);
	mkkey(&k, "fd00:100::2", "2001:db8::ffff", 443, 65535);
	assert_true(vipa_digest_hash(&k) == 0x537de5496b7901bfull);
}

static void
test_add_remove(void **state)
{
	struct vipa_digest d = {0}, empty = {0};
	struct vipa_conn_key k;
	uint32_t i;

	(void)state;
	for (i = 0; i < 1000; i++) {
		nkey(&k, 0, i);
		vipa_digest_add(&d, &k);
	}
	assert_int_equal(d.count, 1000);
	assert_false(vipa_digest_equal(&d, &empty));
	for (i = 1000; i-- > 0;) {
		nkey(&k, 0, (i * 37) % 1000);	/* another order than the adds' */
		vipa_digest_del(&d, &k);
	}
	assert_true(vipa_digest_equal(&d, &empty));
	assert_true(d.sum == 0 && d.count == 0);
}

static void
test_commutative(void **state)
{
	enum { N = 5000 };
	static uint32_t perm[N];
	struct vipa_digest a = {0}, b = {0}, c = {0};
	struct vipa_conn_key k;
	uint32_t i, j, t;

	(void)state;
	for (i = 0; i < N; i++)
		perm[i] = i;
	for (i = N - 1; i > 0; i--) {
		j = (uint32_t)(rng() % (i + 1));
		t = perm[i];
		perm[i] = perm[j];
		perm[j] = t;
	}
	for (i = 0; i < N; i++) {
		nkey(&k, 1, i);
		vipa_digest_add(&a, &k);
		nkey(&k, 1, perm[i]);
		vipa_digest_add(&b, &k);
	}
	assert_true(vipa_digest_equal(&a, &b));
	/* c: the same final set through adds and removes interleaved: every
	 * member added, and 3000 extra keys each added and removed ten steps
	 * later. */
	for (i = 0; i < N; i++) {
		nkey(&k, 1, perm[i]);
		vipa_digest_add(&c, &k);
		if (i < 3000) {
			nkey(&k, 1, N + i);
			vipa_digest_add(&c, &k);
		}
		if (i >= 10 && i - 10 < 3000) {
			nkey(&k, 1, N + i - 10);
			vipa_digest_del(&c, &k);
		}
	}
	assert_true(vipa_digest_equal(&a, &c));
}

static void
test_incremental_equals_scratch(void **state)
{
	enum { DVS = 3, SPACE = 30000, OPS = 200000 };
	struct vipa_vcrt *t = vipa_vcrt_new(SPACE * DVS);
	struct vipa_digest inc[DVS] = {{0}}, scratch;
	struct vipa_conn_key k;
	uint8_t dv[16];
	unsigned op, d;

	(void)state;
	assert_non_null(t);
	for (op = 0; op < OPS; op++) {
		int created;

		d = (unsigned)(rng() % DVS);
		nkey(&k, d, (uint32_t)(rng() % SPACE));
		if (rng() % 3) {
			assert_non_null(vipa_vcrt_insert(t, &k, &created));
			if (created)
				vipa_digest_add(&inc[d], &k);
		} else if (vipa_vcrt_remove(t, &k) == 0) {
			vipa_digest_del(&inc[d], &k);
		}
		if (op % 20000 == 19999) {
			size_t total = 0;

			for (d = 0; d < DVS; d++) {
				nkey(&k, d, 0);
				memcpy(dv, k.dvipa, 16);
				vipa_digest_vcrt(t, dv, &scratch);
				assert_true(vipa_digest_equal(&inc[d], &scratch));
				total += scratch.count;
			}
			assert_int_equal(total, vipa_vcrt_count(t));
			assert_true(total > 1000);
		}
	}
	vipa_vcrt_destroy(&t);
}

static void
test_differences(void **state)
{
	struct vipa_digest a = {0}, b = {0};
	struct vipa_conn_key k, k2;
	uint32_t i;

	(void)state;
	for (i = 0; i < 100; i++) {
		nkey(&k, 0, i);
		vipa_digest_add(&a, &k);
		nkey(&k, 0, i == 50 ? 1000 : i);	/* one member differs */
		vipa_digest_add(&b, &k);
	}
	assert_int_equal(a.count, b.count);
	assert_false(vipa_digest_equal(&a, &b));
	/* The DVIPA, each port and the port byte order are all in the hash. */
	mkkey(&k, "fd00:100::1", "fd00:1::101", 8080, 40000);
	mkkey(&k2, "fd00:100::2", "fd00:1::101", 8080, 40000);
	assert_true(vipa_digest_hash(&k) != vipa_digest_hash(&k2));
	mkkey(&k2, "fd00:100::1", "fd00:1::101", 8081, 40000);
	assert_true(vipa_digest_hash(&k) != vipa_digest_hash(&k2));
	mkkey(&k2, "fd00:100::1", "fd00:1::101", 8080, 40001);
	assert_true(vipa_digest_hash(&k) != vipa_digest_hash(&k2));
	mkkey(&k, "fd00:100::1", "fd00:1::101", 0x1234, 80);
	mkkey(&k2, "fd00:100::1", "fd00:1::101", 0x3412, 80);
	assert_true(vipa_digest_hash(&k) != vipa_digest_hash(&k2));
	mkkey(&k2, "fd00:100::1", "fd00:1::101", 80, 0x1234);	/* ports swapped */
	assert_true(vipa_digest_hash(&k) != vipa_digest_hash(&k2));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden),
		cmocka_unit_test(test_add_remove),
		cmocka_unit_test(test_commutative),
		cmocka_unit_test(test_incremental_equals_scratch),
		cmocka_unit_test(test_differences),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
