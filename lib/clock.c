/*
 * clock.c - the clocks every program reads: monotonic (timeouts, ages) and
 * wall (what displays and the couple data set show).  Kept alone in this
 * file so that unit tests of the daemons can link a clock they drive in its
 * place (tests/unit/fake_clock.c).
 */
#include "lib/lib.h"

#include <time.h>

uint64_t
lib_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t
lib_now_ms(void)
{
	return lib_now_ns() / 1000000ull;
}

uint64_t
lib_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000ull + (uint64_t)ts.tv_nsec / 1000000ull;
}
