/*
 * test_lib_tab.c - proves lib/tab.c, the fixed-capacity hash table, for
 * keys of every length class its hash and probe treat apart (1, 3, 4, 7, 8,
 * 15, 16, 17, 32, 33, the 34 of TIMEDAFFINITY, the 36 of a 4-tuple, 40, 41,
 * 64, 100 bytes) and payloads of odd sizes; the VCRT's own tests
 * (test_vipa_tables.c) cover the 4-tuple through vipa/vcrt.c.
 *  - A million random inserts, removals and lookups against a reference:
 *    the same entry (pointer) comes back for a key until it is removed,
 *    inserts are refused when the table is full, the count is right.
 *  - A new entry has its key copied in and its payload zeroed, even where a
 *    removed entry left bytes behind; entries are 8-byte aligned.
 *  - Keys that differ only in their last byte, or only inside the bytes a
 *    round and the tail both read, are different keys.
 *  - foreach visits every entry once and removes those its callback asks
 *    for, while the callback removes others too.
 *  - Bad sizes are refused with EINVAL.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/lib.h"

/* Key i of length n: mostly constant bytes (as addresses are), the index
 * spread over a few of them. */
static void
make_key(uint8_t *k, size_t n, uint32_t i)
{
	size_t j;

	for (j = 0; j < n; j++)
		k[j] = (uint8_t)(0xfd ^ j);
	for (j = 0; j < 4 && j < n; j++)
		k[n - 1 - (j * 5) % n] ^= (uint8_t)(i >> (8 * j));
}

/* The table under test and what it should hold. */
struct model {
	struct lib_tab *t;
	size_t key_len, entry_size, cap, count;
	uint8_t *keys;			/* key i at keys + i * key_len */
	uint8_t **ref;			/* the entry of key i, NULL when absent */
};

static void
model_insert(struct model *x, size_t i)
{
	const uint8_t *k = x->keys + i * x->key_len;
	int created = -1;
	uint8_t *e = lib_tab_insert(x->t, k, &created);
	size_t j;

	if (x->ref[i] || x->count == x->cap) {
		/* Already there: the same entry; full: refused. */
		assert_ptr_equal(e, x->ref[i]);
		assert_int_equal(created, 0);
		return;
	}
	assert_non_null(e);
	assert_int_equal(created, 1);
	assert_int_equal((uintptr_t)e % 8, 0);
	assert_memory_equal(e, k, x->key_len);
	for (j = x->key_len; j < x->entry_size; j++)
		assert_int_equal(e[j], 0);
	/* Leave bytes behind for the next user of the slot. */
	memset(e + x->key_len, 0xa5, x->entry_size - x->key_len);
	x->ref[i] = e;
	x->count++;
}

static void
model_remove(struct model *x, size_t i)
{
	assert_int_equal(lib_tab_remove(x->t, x->keys + i * x->key_len), x->ref[i] ? 0 : -ENOENT);
	if (x->ref[i])
		x->count--;
	x->ref[i] = NULL;
}

static void
random_ops(size_t key_len, size_t entry_size)
{
	/* A one-byte key has 256 values only. */
	const size_t nkeys = key_len == 1 ? 256 : 3000, ops = 200000;
	struct model x = { NULL, key_len, entry_size, key_len == 1 ? 200 : 2000, 0, NULL, NULL };
	size_t i, op;

	x.keys = calloc(nkeys, key_len);
	x.ref = calloc(nkeys, sizeof(*x.ref));
	x.t = lib_tab_new(x.cap, key_len, entry_size);
	assert_non_null(x.keys);
	assert_non_null(x.ref);
	assert_non_null(x.t);
	assert_int_equal(lib_tab_capacity(x.t), x.cap);
	for (i = 0; i < nkeys; i++)
		make_key(x.keys + i * key_len, key_len, (uint32_t)i);
	for (op = 0; op < ops; op++) {
		long r = random();

		i = (size_t)(r >> 2) % nkeys;
		if ((r & 3) < 2)
			model_insert(&x, i);
		else if ((r & 3) == 2)
			model_remove(&x, i);
		else
			assert_ptr_equal(lib_tab_lookup(x.t, x.keys + i * key_len), x.ref[i]);
		assert_int_equal(lib_tab_count(x.t), x.count);
	}
	for (i = 0; i < nkeys; i++)
		assert_ptr_equal(lib_tab_lookup(x.t, x.keys + i * key_len), x.ref[i]);
	lib_tab_destroy(&x.t);
	assert_null(x.t);
	lib_tab_destroy(&x.t);
	free(x.keys);
	free(x.ref);
}

static void
test_random_ops_every_key_length(void **state)
{
	static const size_t lens[] = { 1, 3, 4, 7, 8, 15, 16, 17, 32, 33, 34, 36, 40, 41, 64, 100 };
	size_t i;

	(void)state;
	srandom(20250101);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		random_ops(lens[i], lens[i]);		/* key only */
		random_ops(lens[i], lens[i] + 13);	/* an odd payload */
	}
}

static void
test_near_keys_differ(void **state)
{
	static const size_t lens[] = { 8, 16, 34, 36, 41 };
	uint8_t a[64], b[64];
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		size_t n = lens[i];

		for (j = 0; j < n; j++) {
			struct lib_tab *t = lib_tab_new(8, n, n + 8);

			assert_non_null(t);
			memset(a, 0x11, n);
			memcpy(b, a, n);
			b[j] ^= 0x01;		/* one bit, at every position */
			assert_non_null(lib_tab_insert(t, a, NULL));
			assert_null(lib_tab_lookup(t, b));
			assert_non_null(lib_tab_insert(t, b, NULL));
			assert_int_equal(lib_tab_count(t), 2);
			assert_ptr_not_equal(lib_tab_lookup(t, a), lib_tab_lookup(t, b));
			lib_tab_destroy(&t);
		}
	}
}

struct walk {
	struct lib_tab *t;
	int seen[512];
	uint8_t victim[34];
};

static int
walk_cb(void *entry, void *arg)
{
	struct walk *w = arg;
	uint8_t *e = entry;
	int i = e[0] | e[1] << 8;

	w->seen[i]++;
	if (i == 7)
		lib_tab_remove(w->t, w->victim);	/* another entry, from inside */
	return i % 3 == 0;			/* and every third one itself */
}

static void
test_foreach_removes(void **state)
{
	struct walk w;
	uint8_t k[34];
	int i, left = 0;

	(void)state;
	memset(&w, 0, sizeof(w));
	w.t = lib_tab_new(512, sizeof(k), 48);
	assert_non_null(w.t);
	for (i = 0; i < 500; i++) {
		memset(k, 0, sizeof(k));
		k[0] = (uint8_t)i;
		k[1] = (uint8_t)(i >> 8);
		assert_non_null(lib_tab_insert(w.t, k, NULL));
	}
	memset(w.victim, 0, sizeof(w.victim));
	w.victim[0] = 200;			/* 200 % 3 != 0 */
	lib_tab_foreach(w.t, walk_cb, &w);
	for (i = 0; i < 500; i++) {
		assert_true(w.seen[i] <= 1);
		if (i != 200)
			assert_int_equal(w.seen[i], 1);
		memset(k, 0, sizeof(k));
		k[0] = (uint8_t)i;
		k[1] = (uint8_t)(i >> 8);
		if (i % 3 != 0 && i != 200) {
			assert_non_null(lib_tab_lookup(w.t, k));
			left++;
		} else {
			assert_null(lib_tab_lookup(w.t, k));
		}
	}
	assert_int_equal(lib_tab_count(w.t), left);
	lib_tab_destroy(&w.t);
}

static void
test_bad_sizes(void **state)
{
	/* capacity 0; key 0; key longer than the entry; entry above 64 KiB */
	static const size_t bad[][3] = { { 0, 8, 16 }, { 10, 0, 16 }, { 10, 17, 16 },
					 { 10, 8, 65537 } };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		assert_null(lib_tab_new(bad[i][0], bad[i][1], bad[i][2]));
		assert_int_equal(errno, EINVAL);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_ops_every_key_length),
		cmocka_unit_test(test_near_keys_differ),
		cmocka_unit_test(test_foreach_removes),
		cmocka_unit_test(test_bad_sizes),
	};

	lib_log_init("test_lib_tab", LIB_LOG_WARN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
