/*
 * test_lib_wheel.c - proves lib/wheel.c, the timer wheel: every key fires
 * once, never before its due time and at most one slot after it, whether
 * its due time is inside the span, beyond it, or already past when added;
 * a long pause fires everything due once; a full pool refuses (-ENOSPC)
 * and takes keys again once some fired; a callback may add keys.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "lib/lib.h"

#define NKEYS 2000

static uint64_t fired_at[NKEYS];
static int fired_n[NKEYS];
static uint64_t now;

static void
cb(const void *key, void *arg)
{
	uint32_t k;

	(void)arg;
	memcpy(&k, key, 4);
	assert_true(k < NKEYS);
	fired_n[k]++;
	fired_at[k] = now;
}

static void
test_due_times(void **state)
{
	struct lib_wheel *w;
	uint64_t due[NKEYS], start = 1000000;
	uint32_t k;

	(void)state;
	memset(fired_n, 0, sizeof(fired_n));
	/* 64 slots of 10 ms: a span of 640 ms; dues up to 20 s. */
	w = lib_wheel_new(64, 10, 4, NKEYS, start);
	assert_non_null(w);
	for (k = 0; k < NKEYS; k++) {
		due[k] = start + (k * 7919u) % 20000;	/* spread, many beyond the span */
		if (k % 10 == 0)
			due[k] = start - 5;		/* already past */
		assert_int_equal(lib_wheel_add(w, &k, due[k]), 0);
	}
	assert_int_equal(lib_wheel_count(w), NKEYS);
	for (now = start; now <= start + 21000; now += 3)
		lib_wheel_expire(w, now, cb, NULL);
	assert_int_equal(lib_wheel_count(w), 0);
	for (k = 0; k < NKEYS; k++) {
		assert_int_equal(fired_n[k], 1);
		assert_true(fired_at[k] >= due[k]);
		assert_true(fired_at[k] <= (due[k] > start ? due[k] : start) + 10 + 3);
	}
	lib_wheel_destroy(&w);
	assert_null(w);
}

static void
test_pause_and_pool(void **state)
{
	struct lib_wheel *w;
	uint32_t k;

	(void)state;
	memset(fired_n, 0, sizeof(fired_n));
	w = lib_wheel_new(8, 100, 4, 16, 0);
	assert_non_null(w);
	for (k = 0; k < 16; k++)
		assert_int_equal(lib_wheel_add(w, &k, 50 + k * 100), 0);
	k = 99;
	assert_int_equal(lib_wheel_add(w, &k, 10), -ENOSPC);
	/* A pause far longer than the span: everything due fires, once. */
	now = 100000;
	assert_int_equal(lib_wheel_expire(w, now, cb, NULL), 16);
	for (k = 0; k < 16; k++)
		assert_int_equal(fired_n[k], 1);
	assert_int_equal(lib_wheel_expire(w, now + 1000, cb, NULL), 0);
	k = 3;
	assert_int_equal(lib_wheel_add(w, &k, now + 5000), 0);
	assert_int_equal(lib_wheel_expire(w, now + 4999, cb, NULL), 0);
	assert_int_equal(lib_wheel_expire(w, now + 5100, cb, NULL), 1);
	lib_wheel_destroy(&w);
	assert_null(lib_wheel_new(0, 10, 4, 1, 0));
	assert_null(lib_wheel_new(8, 10, 0, 1, 0));
}

/* A callback that adds: each key comes back twice more, 100 ms apart. */
static struct lib_wheel *again_w;

static void
again_cb(const void *key, void *arg)
{
	uint32_t k;

	(void)arg;
	memcpy(&k, key, 4);
	fired_n[k]++;
	if (fired_n[k] < 3)
		assert_int_equal(lib_wheel_add(again_w, &k, now + 100), 0);
}

static void
test_callback_adds(void **state)
{
	uint32_t k;

	(void)state;
	memset(fired_n, 0, sizeof(fired_n));
	again_w = lib_wheel_new(16, 10, 4, 8, 0);
	assert_non_null(again_w);
	for (k = 0; k < 4; k++)
		assert_int_equal(lib_wheel_add(again_w, &k, 20), 0);
	for (now = 0; now <= 1000; now += 5)
		lib_wheel_expire(again_w, now, again_cb, NULL);
	for (k = 0; k < 4; k++)
		assert_int_equal(fired_n[k], 3);
	lib_wheel_destroy(&again_w);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_due_times),
		cmocka_unit_test(test_pause_and_pool),
		cmocka_unit_test(test_callback_adds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
