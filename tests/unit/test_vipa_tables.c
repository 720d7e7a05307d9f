/*
 * test_vipa_tables.c - proves the in-memory VIPA tables keep their contracts.
 *
 * VCRT: a table filled to exactly 90% of its power-of-two index accepts every
 * key, finds every key, refuses one more, removes and reinserts correctly, and
 * never moves an entry (pointers stay valid); foreach with removal visits each
 * of 100k random keys exactly once and removes exactly those the callback
 * chose; a million random insert/remove/lookup operations agree with a simple
 * reference at every step.
 * VDPT: ROUNDROBIN over 3 ready targets is exactly even over 300 picks; rdy=0
 * and quiesced entries, other services and unknown services are never picked;
 * an entry becoming unready does not disturb fairness among the others; none
 * ready gives NULL; WEIGHTEDACTIVE follows (active+1)/weight and rotates
 * ties; totalconn wraps.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vipa/vipa.h"
#define VKEY_RNG_SEED 0x243f6a8885a308d3ull
#include "tests/unit/vkey.h"

/*
 * A realistic key: one of four DVIPAs, port 8080, a client in fd00:200::/64
 * with a random interface id and a random port; `i` is embedded so keys are
 * distinct.
 */
static void
make_key(struct vipa_conn_key *k, uint32_t i)
{
	uint8_t dv[16] = { 0xfd, 0, 0x01, [15] = (uint8_t)(1 + (i & 3)) }, iid[8];
	uint64_t r = rng();

	memcpy(iid, &r, 4);
	memcpy(iid + 4, &i, 4);
	vkey(k, dv, iid, 8080, (uint16_t)(r >> 48));
}

/* ---- VCRT ------------------------------------------------------------------ */

static void
test_vcrt_full_at_90_percent(void **state)
{
	/* 58982 = floor(0.9 * 65536): the index is 2^16 slots, exactly 90% full. */
	const size_t cap = 58982;
	struct vipa_vcrt *t = vipa_vcrt_new(cap);
	struct vipa_conn_key *keys, extra;
	struct vipa_conn **ptr, *c;
	size_t i;
	int created;

	(void)state;
	assert_non_null(t);
	assert_int_equal(vipa_vcrt_capacity(t), cap);
	keys = calloc(cap, sizeof(*keys));
	ptr = calloc(cap, sizeof(*ptr));
	assert_non_null(keys);
	assert_non_null(ptr);
	for (i = 0; i < cap; i++) {
		make_key(&keys[i], (uint32_t)i);
		c = vipa_vcrt_insert(t, &keys[i], &created);
		assert_non_null(c);
		assert_int_equal(created, 1);
		assert_memory_equal(&c->key, &keys[i], sizeof(keys[i]));
		c->pkts_fwd = i;
		ptr[i] = c;
	}
	assert_int_equal(vipa_vcrt_count(t), cap);

	/* Full: an existing key is still found, a new one is refused. */
	c = vipa_vcrt_insert(t, &keys[7], &created);
	assert_ptr_equal(c, ptr[7]);
	assert_int_equal(created, 0);
	make_key(&extra, 0xfffffff0u);
	assert_null(vipa_vcrt_insert(t, &extra, &created));
	assert_int_equal(created, 0);
	assert_null(vipa_vcrt_lookup(t, &extra));

	for (i = 0; i < cap; i++) {
		c = vipa_vcrt_lookup(t, &keys[i]);
		assert_ptr_equal(c, ptr[i]);
		assert_int_equal(c->pkts_fwd, i);
	}

	/* Remove every odd key; the even ones must not move. */
	for (i = 1; i < cap; i += 2)
		assert_int_equal(vipa_vcrt_remove(t, &keys[i]), 0);
	for (i = 1; i < cap; i += 2)
		assert_int_equal(vipa_vcrt_remove(t, &keys[i]), -ENOENT);
	assert_int_equal(vipa_vcrt_count(t), (cap + 1) / 2);
	for (i = 0; i < cap; i++) {
		c = vipa_vcrt_lookup(t, &keys[i]);
		if (i & 1) {
			assert_null(c);
		} else {
			assert_ptr_equal(c, ptr[i]);
			assert_int_equal(c->pkts_fwd, i);
		}
	}

	/* Fill it again to 90% with the odd keys: new entries come back zeroed. */
	for (i = 1; i < cap; i += 2) {
		c = vipa_vcrt_insert(t, &keys[i], &created);
		assert_non_null(c);
		assert_int_equal(created, 1);
		assert_int_equal(c->pkts_fwd, 0);
		c->pkts_fwd = i;
		ptr[i] = c;
	}
	assert_int_equal(vipa_vcrt_count(t), cap);
	assert_null(vipa_vcrt_insert(t, &extra, NULL));
	for (i = 0; i < cap; i++) {
		c = vipa_vcrt_lookup(t, &keys[i]);
		assert_ptr_equal(c, ptr[i]);
		assert_int_equal(c->pkts_fwd, i);
	}
	free(keys);
	free(ptr);
	vipa_vcrt_destroy(&t);
	assert_null(t);
	vipa_vcrt_destroy(&t);	/* safe on NULL */
}

static void
test_vcrt_small_and_invalid(void **state)
{
	struct vipa_conn_key a, b;
	struct vipa_vcrt *t;

	(void)state;
	assert_null(vipa_vcrt_new(0));
	t = vipa_vcrt_new(1);
	assert_non_null(t);
	assert_int_equal(vipa_vcrt_capacity(t), 1);
	make_key(&a, 1);
	make_key(&b, 2);
	assert_non_null(vipa_vcrt_insert(t, &a, NULL));
	assert_null(vipa_vcrt_insert(t, &b, NULL));
	assert_int_equal(vipa_vcrt_remove(t, &a), 0);
	assert_non_null(vipa_vcrt_insert(t, &b, NULL));
	assert_int_equal(vipa_vcrt_count(t), 1);
	vipa_vcrt_destroy(&t);
}

struct fe_ctx {
	uint8_t *visits;	/* per reference index */
	const uint8_t *remove;	/* the callback's choice per reference index */
	size_t n;
};

static int
fe_cb(struct vipa_conn *c, void *arg)
{
	struct fe_ctx *x = arg;
	size_t i = (size_t)c->pkts_fwd;

	assert_true(i < x->n);
	x->visits[i]++;
	return x->remove[i];
}

static void
test_vcrt_foreach_remove(void **state)
{
	const size_t n = 100000;
	struct vipa_conn_key *keys;
	struct vipa_vcrt *t = vipa_vcrt_new(n);
	struct vipa_conn *c;
	uint8_t *remove, *visits, *present;
	struct fe_ctx x;
	size_t i, kept = 0, pass;

	(void)state;
	assert_non_null(t);
	keys = calloc(n, sizeof(*keys));
	remove = calloc(n, 1);
	visits = calloc(n, 1);
	present = calloc(n, 1);
	assert_non_null(keys);
	assert_non_null(remove);
	assert_non_null(visits);
	assert_non_null(present);
	for (i = 0; i < n; i++) {
		make_key(&keys[i], (uint32_t)i);
		c = vipa_vcrt_insert(t, &keys[i], NULL);
		assert_non_null(c);
		c->pkts_fwd = i;
		present[i] = 1;
	}
	/* Punch some holes first so the walk meets freed entries too. */
	for (i = 0; i < n; i += 17) {
		assert_int_equal(vipa_vcrt_remove(t, &keys[i]), 0);
		present[i] = 0;
	}

	for (pass = 0; pass < 3; pass++) {
		for (i = 0; i < n; i++) {
			/* Remove a random ~half, then a random ~quarter, then all. */
			remove[i] = pass == 2 || (pass == 0 ? (rng() & 1) : (rng() & 3) == 0);
			visits[i] = 0;
		}
		x.visits = visits;
		x.remove = remove;
		x.n = n;
		vipa_vcrt_foreach(t, fe_cb, &x);
		kept = 0;
		for (i = 0; i < n; i++) {
			/* Every entry present is visited exactly once, no other. */
			assert_int_equal(visits[i], present[i]);
			present[i] = present[i] && !remove[i];
			c = vipa_vcrt_lookup(t, &keys[i]);
			if (present[i]) {
				assert_non_null(c);
				assert_int_equal(c->pkts_fwd, i);
				kept++;
			} else {
				assert_null(c);
			}
		}
		assert_int_equal(vipa_vcrt_count(t), kept);
	}
	assert_int_equal(vipa_vcrt_count(t), 0);
	free(keys);
	free(remove);
	free(visits);
	free(present);
	vipa_vcrt_destroy(&t);
}

static void
test_vcrt_random_ops_vs_reference(void **state)
{
	/* 60k keys contend for a 40k table: inserts are refused when full. */
	const size_t nkeys = 60000, cap = 40000, ops = 1000000;
	struct vipa_conn_key *keys;
	struct vipa_vcrt *t = vipa_vcrt_new(cap);
	struct vipa_conn **ref, *c;
	size_t i, op, count = 0;
	int created;

	(void)state;
	assert_non_null(t);
	keys = calloc(nkeys, sizeof(*keys));
	ref = calloc(nkeys, sizeof(*ref));
	assert_non_null(keys);
	assert_non_null(ref);
	for (i = 0; i < nkeys; i++)
		make_key(&keys[i], (uint32_t)i);
	for (op = 0; op < ops; op++) {
		uint64_t r = rng();

		i = (size_t)(r >> 32) % nkeys;
		switch (r & 3) {
		case 0:
		case 1:
			c = vipa_vcrt_insert(t, &keys[i], &created);
			if (ref[i]) {
				assert_ptr_equal(c, ref[i]);
				assert_int_equal(created, 0);
			} else if (count == cap) {
				assert_null(c);
			} else {
				assert_non_null(c);
				assert_int_equal(created, 1);
				c->pkts_fwd = i;
				ref[i] = c;
				count++;
			}
			break;
		case 2:
			assert_int_equal(vipa_vcrt_remove(t, &keys[i]), ref[i] ? 0 : -ENOENT);
			if (ref[i])
				count--;
			ref[i] = NULL;
			break;
		default:
			assert_ptr_equal(vipa_vcrt_lookup(t, &keys[i]), ref[i]);
			break;
		}
		assert_int_equal(vipa_vcrt_count(t), count);
	}
	for (i = 0; i < nkeys; i++) {
		c = vipa_vcrt_lookup(t, &keys[i]);
		assert_ptr_equal(c, ref[i]);
		if (c)
			assert_int_equal(c->pkts_fwd, i);
	}
	free(keys);
	free(ref);
	vipa_vcrt_destroy(&t);
}

/* ---- VDPT ------------------------------------------------------------------ */

static const uint8_t dv1[16] = {0xfd, 0, 0x01, 0, [15] = 1};
static const uint8_t dv2[16] = {0xfd, 0, 0x01, 0, [15] = 2};

static void
dest_addr(uint8_t a[16], int n)
{
	memset(a, 0, 16);
	a[0] = 0xfd;
	a[2] = 0x0f;
	a[15] = (uint8_t)n;
}

static struct vipa_vdpt_entry *
add_dest(struct vipa_vdpt *t, const uint8_t dv[16], uint16_t port, int n, uint16_t rdy,
	 uint16_t weight)
{
	struct vipa_vdpt_entry *e;
	uint8_t a[16];

	dest_addr(a, n);
	e = vipa_vdpt_get(t, dv, port, a, 1);
	assert_non_null(e);
	assert_int_equal(e->weight, 1);
	e->rdy = rdy;
	e->weight = weight;
	return e;
}

static struct vipa_vdpt *
vdpt_new(void)
{
	struct vipa_vdpt *t = malloc(sizeof(*t));

	assert_non_null(t);
	vipa_vdpt_init(t);
	return t;
}

static void
test_vdpt_roundrobin_even(void **state)
{
	struct vipa_vdpt *t = vdpt_new();
	struct vipa_vdpt_entry *e[3], *p, *prev = NULL;
	int count[3] = {0}, i, k;

	(void)state;
	assert_int_equal(vipa_vdpt_service(t, dv1, 8080, VIPA_DIST_ROUNDROBIN), 0);
	for (i = 0; i < 3; i++)
		e[i] = add_dest(t, dv1, 8080, i + 1, 1, 1);
	/* Another service's ready entries must never be picked for this one. */
	add_dest(t, dv1, 8081, 9, 5, 1);
	add_dest(t, dv2, 8080, 9, 5, 1);
	for (i = 0; i < 300; i++) {
		p = vipa_vdpt_pick(t, dv1, 8080);
		assert_non_null(p);
		assert_ptr_not_equal(p, prev);
		for (k = 0; k < 3; k++)
			if (p == e[k])
				count[k]++;
		prev = p;
	}
	for (k = 0; k < 3; k++) {
		assert_int_equal(count[k], 100);
		assert_int_equal(e[k]->totalconn, 100);
	}
	free(t);
}

static void
test_vdpt_roundrobin_exclusions(void **state)
{
	struct vipa_vdpt *t = vdpt_new();
	struct vipa_vdpt_entry *a, *b, *c, *d, *p;
	int na = 0, nc = 0, nd = 0, i;

	(void)state;
	assert_int_equal(vipa_vdpt_service(t, dv1, 80, VIPA_DIST_ROUNDROBIN), 0);
	a = add_dest(t, dv1, 80, 1, 1, 1);
	b = add_dest(t, dv1, 80, 2, 0, 1);	/* no listener */
	c = add_dest(t, dv1, 80, 3, 3, 1);
	c->flags |= VIPA_VDPT_F_QUIESCED;
	d = add_dest(t, dv1, 80, 4, 2, 1);
	for (i = 0; i < 200; i++) {
		p = vipa_vdpt_pick(t, dv1, 80);
		assert_true(p == a || p == d);
		na += p == a;
		nd += p == d;
	}
	assert_int_equal(na, 100);
	assert_int_equal(nd, 100);
	assert_int_equal(b->totalconn, 0);
	assert_int_equal(c->totalconn, 0);

	/*
	 * Fairness when one becomes unready: c resumes, so a, c, d rotate; after
	 * one pick d goes unready, and a and c must still alternate evenly.
	 */
	c->flags = 0;
	na = nc = nd = 0;
	p = vipa_vdpt_pick(t, dv1, 80);
	assert_non_null(p);
	d->rdy = 0;
	for (i = 0; i < 100; i++) {
		p = vipa_vdpt_pick(t, dv1, 80);
		assert_true(p == a || p == c);
		na += p == a;
		nc += p == c;
	}
	assert_int_equal(na, 50);
	assert_int_equal(nc, 50);
	/* d back: three-way even again. */
	d->rdy = 1;
	na = nc = nd = 0;
	for (i = 0; i < 300; i++) {
		p = vipa_vdpt_pick(t, dv1, 80);
		na += p == a;
		nc += p == c;
		nd += p == d;
	}
	assert_int_equal(na, 100);
	assert_int_equal(nc, 100);
	assert_int_equal(nd, 100);
	free(t);
}

static void
test_vdpt_none_ready(void **state)
{
	struct vipa_vdpt *t = vdpt_new();
	struct vipa_vdpt_entry *a, *b;

	(void)state;
	/* No service declared: NULL even with a ready entry. */
	a = add_dest(t, dv1, 80, 1, 1, 1);
	assert_null(vipa_vdpt_pick(t, dv1, 80));
	assert_int_equal(vipa_vdpt_service(t, dv1, 80, VIPA_DIST_ROUNDROBIN), 0);
	assert_ptr_equal(vipa_vdpt_pick(t, dv1, 80), a);
	assert_int_equal(vipa_vdpt_service(t, dv1, 80, (enum vipa_distmethod)7), -EINVAL);
	b = add_dest(t, dv1, 80, 2, 0, 1);
	a->rdy = 0;
	assert_null(vipa_vdpt_pick(t, dv1, 80));
	b->rdy = 1;
	b->flags = VIPA_VDPT_F_QUIESCED;
	assert_null(vipa_vdpt_pick(t, dv1, 80));
	/* Declared, but without entries. */
	assert_int_equal(vipa_vdpt_service(t, dv2, 80, VIPA_DIST_WEIGHTEDACTIVE), 0);
	assert_null(vipa_vdpt_pick(t, dv2, 80));
	free(t);
}

static void
test_vdpt_weightedactive(void **state)
{
	struct vipa_vdpt *t = vdpt_new();
	struct vipa_vdpt_entry *e[3], *p, *x, *y;
	int i, k;

	(void)state;
	assert_int_equal(vipa_vdpt_service(t, dv1, 443, VIPA_DIST_WEIGHTEDACTIVE), 0);
	for (k = 0; k < 3; k++)
		e[k] = add_dest(t, dv1, 443, k + 1, 1, (uint16_t)(k + 1));
	/* The caller counts active; the picks spread in proportion to weight. */
	for (i = 0; i < 600; i++) {
		p = vipa_vdpt_pick(t, dv1, 443);
		assert_non_null(p);
		p->active++;
	}
	assert_int_equal(e[0]->active, 100);
	assert_int_equal(e[1]->active, 200);
	assert_int_equal(e[2]->active, 300);

	/* (0+1)/1 = 1 beats (10+1)/2 and (10+1)/3. */
	e[0]->active = 0;
	e[1]->active = 10;
	e[2]->active = 10;
	assert_ptr_equal(vipa_vdpt_pick(t, dv1, 443), e[0]);
	/* (4+1)/1 = 5 loses to (10+1)/3 = 3.67, which beats (10+1)/2 = 5.5. */
	e[0]->active = 4;
	assert_ptr_equal(vipa_vdpt_pick(t, dv1, 443), e[2]);
	/* Quiesced or unready entries are skipped however light they are. */
	e[2]->flags = VIPA_VDPT_F_QUIESCED;
	e[0]->rdy = 0;
	assert_ptr_equal(vipa_vdpt_pick(t, dv1, 443), e[1]);
	free(t);

	/* Ties rotate: two equal entries whose active never changes alternate. */
	t = vdpt_new();
	assert_int_equal(vipa_vdpt_service(t, dv1, 443, VIPA_DIST_WEIGHTEDACTIVE), 0);
	x = add_dest(t, dv1, 443, 1, 1, 2);
	y = add_dest(t, dv1, 443, 2, 1, 2);
	for (i = 0; i < 100; i++)
		assert_ptr_equal(vipa_vdpt_pick(t, dv1, 443), (i & 1) ? y : x);
	assert_int_equal(x->totalconn, 50);
	assert_int_equal(y->totalconn, 50);
	free(t);
}

static void
test_vdpt_totalconn_wraps(void **state)
{
	struct vipa_vdpt *t = vdpt_new();
	struct vipa_vdpt_entry *a;

	(void)state;
	assert_int_equal(vipa_vdpt_service(t, dv1, 80, VIPA_DIST_ROUNDROBIN), 0);
	a = add_dest(t, dv1, 80, 1, 1, 1);
	a->totalconn = UINT32_MAX;
	assert_ptr_equal(vipa_vdpt_pick(t, dv1, 80), a);
	assert_int_equal(a->totalconn, 0);
	assert_ptr_equal(vipa_vdpt_pick(t, dv1, 80), a);
	assert_int_equal(a->totalconn, 1);
	free(t);
}

static void
test_vdpt_get_remove(void **state)
{
	struct vipa_vdpt *t = vdpt_new();
	uint8_t a[16], b[16];
	int i;

	(void)state;
	dest_addr(a, 1);
	dest_addr(b, 2);
	assert_null(vipa_vdpt_get(t, dv1, 80, a, 0));
	for (i = 0; i < VIPA_VDPT_MAX; i++)
		assert_non_null(vipa_vdpt_get(t, dv1, (uint16_t)i, (i & 1) ? a : b, 1));
	assert_null(vipa_vdpt_get(t, dv2, 1, a, 1));	/* full */
	assert_non_null(vipa_vdpt_get(t, dv1, 3, a, 1));	/* existing still found */
	assert_int_equal(vipa_vdpt_remove(t, dv1, 3, a), 0);
	assert_int_equal(vipa_vdpt_remove(t, dv1, 3, a), -ENOENT);
	assert_non_null(vipa_vdpt_get(t, dv2, 1, a, 1));	/* reuses the free slot */
	assert_int_equal(vipa_vdpt_remove_dest(t, a), VIPA_VDPT_MAX / 2);
	assert_int_equal(vipa_vdpt_remove_dest(t, b), VIPA_VDPT_MAX / 2);
	assert_int_equal(t->n, 0);
	free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vcrt_full_at_90_percent),
		cmocka_unit_test(test_vcrt_small_and_invalid),
		cmocka_unit_test(test_vcrt_foreach_remove),
		cmocka_unit_test(test_vcrt_random_ops_vs_reference),
		cmocka_unit_test(test_vdpt_roundrobin_even),
		cmocka_unit_test(test_vdpt_roundrobin_exclusions),
		cmocka_unit_test(test_vdpt_none_ready),
		cmocka_unit_test(test_vdpt_weightedactive),
		cmocka_unit_test(test_vdpt_totalconn_wraps),
		cmocka_unit_test(test_vdpt_get_remove),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
