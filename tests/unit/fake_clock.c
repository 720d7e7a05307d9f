/*
 * fake_clock.c - the clock for the daemons' unit tests (fake.h): lib/clock.c's
 * functions, reading a time the test moves by hand, so retries, lifetimes
 * and waits are tested without waiting.
 */
#include "tests/unit/fake.h"

uint64_t fake_clock_ms = 1000000;

void
fake_clock_advance(uint64_t ms)
{
	fake_clock_ms += ms;
}

uint64_t
lib_now_ms(void)
{
	return fake_clock_ms;
}

uint64_t
lib_now_ns(void)
{
	return fake_clock_ms * 1000000ull;
}

uint64_t
lib_wall_ms(void)
{
	return 1700000000000ull + fake_clock_ms;
}
