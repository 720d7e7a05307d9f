/*
 * wheel.c - a timer wheel of fixed-size keys: "call me back with this key at
 * about this time", for expiries that would otherwise be sweeps of a whole
 * table (the routing stack's unconfirmed VCRT entries, binding refreshes).
 *
 * `slots` lists of slot_ms each cover a span of slots * slot_ms; a key is put
 * on the list of the slot its due time falls in (one further than the span
 * is put on the last slot of the span and put back when that slot comes up,
 * so any due time works).  lib_wheel_expire walks only the lists of the
 * slots that came due since the last call: the cost is the number of keys
 * due, not the number waiting.  Nodes come from a pool allocated at
 * creation (and made resident only as it is used); adding never allocates
 * and fails with -ENOSPC when the pool is used up (the caller then falls
 * back to a sweep).
 *
 * Keys are not unique and nothing is ever removed early: a caller whose
 * entry went away or was rescheduled simply finds, when the key comes back,
 * that there is nothing to do (lazy cancellation).  The callback therefore
 * looks the key up and checks the entry's own times.
 */
#include "lib/lib.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct lib_wheel {
	unsigned nslots, slot_ms;
	size_t key_len, stride, max, count;
	uint64_t done_tick;		/* slots up to this tick are processed */
	uint32_t *head;			/* per slot: node index + 1, 0 empty */
	uint32_t free_head;		/* freed nodes: index + 1 */
	size_t hw;			/* nodes from hw on were never used */
	uint8_t *pool;			/* max nodes of stride bytes */
};

struct wheel_node {
	uint64_t due;
	uint32_t next;			/* index + 1, 0 end */
	uint32_t pad;
	/* key_len bytes follow */
};

static struct wheel_node *
node(const struct lib_wheel *w, uint32_t i)
{
	return (struct wheel_node *)(w->pool + (size_t)i * w->stride);
}

struct lib_wheel *
lib_wheel_new(unsigned slots, unsigned slot_ms, size_t key_len, size_t max, uint64_t now_ms)
{
	struct lib_wheel *w;

	if (!slots || !slot_ms || !key_len || key_len > 256 || !max || max >= (1u << 31)) {
		errno = EINVAL;
		return NULL;
	}
	if (!(w = calloc(1, sizeof(*w))))
		return NULL;
	w->nslots = slots;
	w->slot_ms = slot_ms;
	w->key_len = key_len;
	w->stride = (sizeof(struct wheel_node) + key_len + 7) & ~(size_t)7;
	w->max = max;
	w->done_tick = now_ms / slot_ms;
	w->head = calloc(slots, sizeof(*w->head));
	w->pool = malloc(max * w->stride);
	if (!w->head || !w->pool) {
		lib_wheel_destroy(&w);
		errno = ENOMEM;
		return NULL;
	}
	/* The pool is not touched here: memory becomes resident as it is used. */
	return w;
}

void
lib_wheel_destroy(struct lib_wheel **wp)
{
	if (!*wp)
		return;
	free((*wp)->head);
	free((*wp)->pool);
	free(*wp);
	*wp = NULL;
}

size_t
lib_wheel_count(const struct lib_wheel *w)
{
	return w->count;
}

/* Puts node i (due already set) on the list of its slot. */
static void
link_node(struct lib_wheel *w, uint32_t i)
{
	struct wheel_node *n = node(w, i);
	uint64_t t = n->due / w->slot_ms;
	uint32_t s;

	if (t <= w->done_tick)
		t = w->done_tick + 1;
	if (t - w->done_tick >= w->nslots)
		t = w->done_tick + w->nslots - 1;
	if (w->nslots == 1)
		t = w->done_tick + 1;
	s = (uint32_t)(t % w->nslots);
	n->next = w->head[s];
	w->head[s] = i + 1;
}

int
lib_wheel_add(struct lib_wheel *w, const void *key, uint64_t due_ms)
{
	uint32_t i;
	struct wheel_node *n;

	if (w->free_head) {
		i = w->free_head - 1;
		n = node(w, i);
		w->free_head = n->next;
	} else if (w->hw < w->max) {
		i = (uint32_t)w->hw++;
		n = node(w, i);
	} else {
		return -ENOSPC;
	}
	n->due = due_ms;
	memcpy(n + 1, key, w->key_len);
	link_node(w, i);
	w->count++;
	return 0;
}

size_t
lib_wheel_expire(struct lib_wheel *w, uint64_t now_ms, lib_wheel_cb cb, void *arg)
{
	uint64_t tnow = now_ms / w->slot_ms, t;
	size_t fired = 0;

	if (tnow <= w->done_tick)
		return 0;
	/* After a long pause every slot is due once, no more. */
	if (tnow - w->done_tick > w->nslots)
		w->done_tick = tnow - w->nslots;
	for (t = w->done_tick + 1; t <= tnow; t++) {
		uint32_t s = (uint32_t)(t % w->nslots), i = w->head[s];

		w->head[s] = 0;
		w->done_tick = t;
		while (i) {
			struct wheel_node *n = node(w, i - 1);
			uint32_t next = n->next;

			if (n->due > now_ms) {
				/* Beyond the span when added: its turn is later. */
				link_node(w, i - 1);
			} else {
				n->next = w->free_head;
				w->free_head = i;
				w->count--;
				fired++;
				cb(n + 1, arg);
			}
			i = next;
		}
	}
	return fired;
}
