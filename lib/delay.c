/*
 * delay.c - a delay line for fault injection in userspace packet paths (this
 * kernel has no netem).  Packets are copied into one preallocated byte ring
 * with a FIFO of (offset, length, due time) records; a libuv timer hands
 * them to the output callback when due, in order.  A packet that does not fit
 * is dropped and counted, like a full queue on a real link.
 */
#include "lib/lib.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#define DELAY_QMAX 65536

struct delay_rec {
	size_t off;
	uint32_t len;
	uint64_t due_ms;
};

struct lib_delay {
	uv_timer_t timer;
	uint8_t *ring;
	size_t cap, tail;		/* bytes: the next packet goes at tail */
	struct delay_rec *q;
	size_t qhead, qn;
	unsigned delay_ms;
	lib_delay_out_cb out;
	void *arg;
	uint64_t dropped;
	int closing;
};

static uint32_t rng_state = 0x9e3779b9u;

int
lib_chance(unsigned pct)
{
	uint32_t x = rng_state;

	if (pct == 0)
		return 0;
	if (pct >= 100)
		return 1;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	rng_state = x;
	return x % 100 < pct;
}

static void timer_cb(uv_timer_t *t);

static void
rearm(struct lib_delay *d)
{
	uint64_t now = lib_now_ms(), due;

	if (d->qn == 0 || d->closing)
		return;
	due = d->q[d->qhead].due_ms;
	uv_timer_start(&d->timer, timer_cb, due > now ? due - now : 0, 0);
}

static void
timer_cb(uv_timer_t *t)
{
	struct lib_delay *d = t->data;
	uint64_t now = lib_now_ms();

	while (d->qn > 0 && d->q[d->qhead].due_ms <= now) {
		struct delay_rec *r = &d->q[d->qhead];
		d->out(d->ring + r->off, r->len, d->arg);
		d->qhead = (d->qhead + 1) % DELAY_QMAX;
		d->qn--;
	}
	if (d->qn == 0)
		d->tail = 0;
	rearm(d);
}

struct lib_delay *
lib_delay_new(struct uv_loop_s *loop, size_t ring_bytes, lib_delay_out_cb out, void *arg)
{
	struct lib_delay *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->ring = malloc(ring_bytes);
	d->q = calloc(DELAY_QMAX, sizeof(*d->q));
	if (!d->ring || !d->q) {
		free(d->ring);
		free(d->q);
		free(d);
		return NULL;
	}
	d->cap = ring_bytes;
	d->out = out;
	d->arg = arg;
	uv_timer_init(loop, &d->timer);
	d->timer.data = d;
	return d;
}

void
lib_delay_set(struct lib_delay *d, unsigned delay_ms)
{
	d->delay_ms = delay_ms;
}

int
lib_delay_push(struct lib_delay *d, const uint8_t *frame, size_t len)
{
	size_t off;

	if (d->qn == DELAY_QMAX || len > d->cap / 2) {
		d->dropped++;
		return -ENOBUFS;
	}
	/* The live bytes run from the oldest record to tail, possibly
	 * wrapping.  Take contiguous space after tail, else wrap to 0 when the
	 * oldest record leaves room before it. */
	if (len == 0) {
		d->dropped++;
		return -EINVAL;
	}
	if (d->qn == 0) {
		off = 0;
	} else {
		size_t oldest = d->q[d->qhead].off;

		if (d->tail > oldest) {
			if (d->cap - d->tail >= len)
				off = d->tail;
			else if (oldest >= len)
				off = 0;
			else {
				d->dropped++;
				return -ENOBUFS;
			}
		} else if (oldest - d->tail >= len) {
			off = d->tail;
		} else {
			d->dropped++;
			return -ENOBUFS;
		}
	}
	memcpy(d->ring + off, frame, len);
	d->tail = off + len;
	/* One millisecond more: the clock counts whole milliseconds, so a
	 * packet pushed late in one is still held at least delay_ms. */
	d->q[(d->qhead + d->qn) % DELAY_QMAX] = (struct delay_rec){ off, (uint32_t)len,
								    lib_now_ms() + d->delay_ms + 1 };
	d->qn++;
	if (d->qn == 1)
		rearm(d);
	return 0;
}

uint64_t
lib_delay_dropped(const struct lib_delay *d)
{
	return d->dropped;
}

static void
close_cb(uv_handle_t *h)
{
	struct lib_delay *d = h->data;

	free(d->ring);
	free(d->q);
	free(d);
}

void
lib_delay_destroy(struct lib_delay **dp)
{
	struct lib_delay *d = *dp;

	if (!d)
		return;
	*dp = NULL;
	d->closing = 1;
	uv_timer_stop(&d->timer);
	while (d->qn > 0) {
		struct delay_rec *r = &d->q[d->qhead];
		d->out(d->ring + r->off, r->len, d->arg);
		d->qhead = (d->qhead + 1) % DELAY_QMAX;
		d->qn--;
	}
	uv_close((uv_handle_t *)&d->timer, close_cb);
}
