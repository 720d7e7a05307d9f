/*
 * test_vipa_cidx.c - the index by client (vipa/cidx.c) against a model:
 *  - 200,000 random adds (new ids, moves between clients, repeats) and
 *    deletes over 2,000 ids and 50 clients: after every 1,000 operations
 *    each client's walk visits exactly the ids the model puts there, once
 *    each, and the counts agree;
 *  - a walk's callback may drop the id it is given, delete ids not yet
 *    visited (they are skipped) and add ids (they are not visited);
 *  - a full head table refuses a new client (-ENOSPC) and takes it again
 *    once a client's list empties; an id out of range is refused;
 *  - lib_tab_id / lib_tab_at (and the VCRT's faces) map entries to ids and
 *    back, NULL for a removed entry.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>

#include "vipa/vipa.h"
#include "tests/unit/vkey.h"

static void
client_of(uint8_t c[16], int i)
{
	memset(c, 0, 16);
	c[0] = 0xfd;
	c[14] = (uint8_t)(i >> 8);
	c[15] = (uint8_t)i;
}

#define NIDS 2000
#define NCLI 50

struct seen {
	int model[NIDS];	/* client + 1, 0 none */
	int hits[NIDS];
	int want;
};

static int
visit(uint32_t id, void *arg)
{
	struct seen *s = arg;

	assert_true(id < NIDS);
	assert_int_equal(s->model[id], s->want);
	s->hits[id]++;
	return 0;
}

static void
check(struct vipa_cidx *x, struct seen *s)
{
	int c, i, total = 0, clients = 0;
	uint8_t cl[16];

	for (c = 0; c < NCLI; c++) {
		size_t n, want = 0;

		memset(s->hits, 0, sizeof(s->hits));
		s->want = c + 1;
		client_of(cl, c);
		n = vipa_cidx_foreach(x, cl, visit, s);
		for (i = 0; i < NIDS; i++) {
			if (s->model[i] == c + 1) {
				assert_int_equal(s->hits[i], 1);
				want++;
			} else {
				assert_int_equal(s->hits[i], 0);
			}
		}
		assert_int_equal(n, want);
		total += (int)want;
		clients += want > 0;
	}
	assert_int_equal(vipa_cidx_count(x), total);
	assert_int_equal(vipa_cidx_clients(x), clients);
}

static void
test_model(void **state)
{
	static struct seen s;
	struct vipa_cidx *x = vipa_cidx_new(NIDS, NCLI);
	uint8_t cl[16];
	int op;

	(void)state;
	assert_non_null(x);
	memset(&s, 0, sizeof(s));
	for (op = 0; op < 200000; op++) {
		uint32_t id = (uint32_t)(rng() % NIDS);
		int c = (int)(rng() % NCLI);

		if (rng() % 3 == 0) {
			vipa_cidx_del(x, id);
			s.model[id] = 0;
		} else {
			client_of(cl, c);
			assert_int_equal(vipa_cidx_add(x, cl, id), 0);
			s.model[id] = c + 1;
		}
		assert_int_equal(vipa_cidx_has(x, id), s.model[id] != 0);
		if (op % 1000 == 999)
			check(x, &s);
	}
	vipa_cidx_destroy(&x);
	assert_null(x);
}

static int count_cb(uint32_t id, void *arg);

struct mut {
	struct vipa_cidx *x;
	int visited[16];
	int step;
};

/* Visiting 10..1 (newest first): at 8, drops itself, deletes 5, adds 12 to
 * the same client; at 3, moves 2 to another client. */
static int
mutate(uint32_t id, void *arg)
{
	struct mut *m = arg;
	uint8_t cl[16];

	m->visited[id]++;
	assert_true(vipa_cidx_walking(m->x));
	client_of(cl, 1);
	assert_int_equal(vipa_cidx_foreach(m->x, cl, count_cb, &(int){ 0 }), 0);	/* nested: nothing */
	if (id == 8) {
		vipa_cidx_del(m->x, 5);
		client_of(cl, 1);
		assert_int_equal(vipa_cidx_add(m->x, cl, 12), 0);
		return 1;
	}
	if (id == 3) {
		client_of(cl, 2);
		assert_int_equal(vipa_cidx_add(m->x, cl, 2), 0);
	}
	return 0;
}

static int
count_cb(uint32_t id, void *arg)
{
	(void)id;
	++*(int *)arg;
	return 0;
}

static void
test_walk_mutations(void **state)
{
	struct vipa_cidx *x = vipa_cidx_new(16, 4);
	struct mut m;
	uint8_t cl[16];
	uint32_t i;
	int n = 0;

	(void)state;
	assert_non_null(x);
	client_of(cl, 1);
	for (i = 1; i <= 10; i++)
		assert_int_equal(vipa_cidx_add(x, cl, i), 0);
	memset(&m, 0, sizeof(m));
	m.x = x;
	assert_int_equal(vipa_cidx_foreach(x, cl, mutate, &m), 8);	/* 5 and 2 skipped */
	assert_int_equal(m.visited[12], 0);
	assert_int_equal(m.visited[5], 0);
	assert_int_equal(m.visited[2], 0);
	assert_int_equal(m.visited[1], 1);
	assert_false(vipa_cidx_walking(x));
	assert_false(vipa_cidx_has(x, 8));
	assert_false(vipa_cidx_has(x, 5));
	/* 1,3,4,6,7,9,10 and 12 on client 1; 2 on client 2. */
	vipa_cidx_foreach(x, cl, count_cb, &n);
	assert_int_equal(n, 8);
	client_of(cl, 2);
	n = 0;
	vipa_cidx_foreach(x, cl, count_cb, &n);
	assert_int_equal(n, 1);
	assert_int_equal(vipa_cidx_count(x), 9);
	vipa_cidx_destroy(&x);
}

static void
test_limits(void **state)
{
	struct vipa_cidx *x = vipa_cidx_new(8, 2);
	uint8_t a[16], b[16], c[16];

	(void)state;
	assert_non_null(x);
	client_of(a, 1);
	client_of(b, 2);
	client_of(c, 3);
	assert_int_equal(vipa_cidx_add(x, a, 8), -EINVAL);
	assert_int_equal(vipa_cidx_add(x, a, 0), 0);
	assert_int_equal(vipa_cidx_add(x, a, 0), 0);	/* already there */
	assert_int_equal(vipa_cidx_add(x, b, 1), 0);
	assert_int_equal(vipa_cidx_add(x, c, 2), -ENOSPC);
	vipa_cidx_del(x, 1);				/* b's list empties */
	vipa_cidx_del(x, 1);				/* twice: no-op */
	assert_int_equal(vipa_cidx_add(x, c, 2), 0);
	assert_int_equal(vipa_cidx_clients(x), 2);
	assert_null(vipa_cidx_new(0, 1));
	assert_null(vipa_cidx_new(1, 0));
	vipa_cidx_destroy(&x);
	vipa_cidx_destroy(&x);				/* NULL safe */
}

static void
test_tab_ids(void **state)
{
	struct vipa_vcrt *t = vipa_vcrt_new(64);
	struct vipa_conn_key k;
	struct vipa_conn *c[10];
	int i, created;

	(void)state;
	assert_non_null(t);
	memset(&k, 0, sizeof(k));
	for (i = 0; i < 10; i++) {
		k.cport = (uint16_t)(1000 + i);
		c[i] = vipa_vcrt_insert(t, &k, &created);
		assert_non_null(c[i]);
		assert_true(vipa_vcrt_id(t, c[i]) < 64);
		assert_ptr_equal(vipa_vcrt_at(t, vipa_vcrt_id(t, c[i])), c[i]);
	}
	k.cport = 1003;
	i = (int)vipa_vcrt_id(t, c[3]);
	assert_int_equal(vipa_vcrt_remove(t, &k), 0);
	assert_null(vipa_vcrt_at(t, (uint32_t)i));
	assert_null(vipa_vcrt_at(t, 63));	/* never used */
	vipa_vcrt_destroy(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_model),
		cmocka_unit_test(test_walk_mutations),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_tab_ids),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
