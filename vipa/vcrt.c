/*
 * vcrt.c - the connection routing table (VCRT): every connection the
 * distributor routes, keyed by (DVIPA, client, dport, cport).
 *
 * Layout.  Two preallocated arrays, both sized at creation:
 *
 *   pool[cap]   struct vipa_conn entries.  An entry never moves while it is in
 *               the table, so pointers handed out stay valid until that entry
 *               is removed (the contract in vipa.h).  Free entries are kept on
 *               a stack of indices; live[] marks the used ones.
 *
 *   slot[2^b]   the open-addressing index, 8 bytes a slot:
 *
 *                 0              16             32                     64
 *                 +--------------+--------------+----------------------+
 *                 | dist + 1     | tag          | pool index           |
 *                 +--------------+--------------+----------------------+
 *
 *               dist + 1 == 0 means empty; dist is how far the slot is from
 *               the key's home slot; tag is 16 other bits of the hash, so a
 *               probe reads the 36-byte key only when the tag matches.
 *
 * Probing is linear with robin-hood ordering: inside a run of occupied
 * slots, keys are ordered by home slot, so a lookup stops as soon as it meets
 * a slot whose dist is smaller than its own.  Insertion shifts the rest of
 * the run one slot right; removal shifts the following slots with dist > 0
 * one slot left (backward-shift deletion), so no tombstones ever build up.
 * 2^b is the smallest power of two with cap <= 90% of it, so the index is
 * never more than 90% full.
 *
 * The hash is a keyed multiply-fold mix of the 36-byte key (in the style of
 * wyhash) with 64-bit seeds from getrandom(2) per table, so a client cannot
 * precompute addresses and ports that collide.  A run that would need a
 * distance beyond 65534 makes insert refuse instead of corrupting the index.
 *
 * Nothing allocates after vipa_vcrt_new; the arrays are touched at creation
 * so no page fault waits on the packet path either.  Large arrays are mapped
 * with MADV_HUGEPAGE: random lookups in a table of a million entries are
 * bound by TLB and cache misses, and huge pages remove most of the former.
 */
#include "vipa/vipa.h"
#include "lib/lib.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <unistd.h>

_Static_assert(sizeof(struct vipa_conn_key) == 36, "vipa_conn_key must be 36 packed bytes");

#define VCRT_DIST_MAX 0xffffu		/* largest dist + 1 a slot can hold */
#define VCRT_MIN_BITS 4
#define VCRT_MAX_CAP (1u << 30)

struct vcrt_slot {
	uint32_t meta;			/* (tag << 16) | (dist + 1); 0 = empty */
	uint32_t idx;			/* index into pool */
};

struct vipa_vcrt {
	struct vcrt_slot *slot;
	size_t mask;			/* number of slots - 1 */
	unsigned shift;			/* 64 - log2(number of slots) */
	struct vipa_conn *pool;
	uint8_t *live;			/* live[i] != 0 when pool[i] is in the table */
	uint32_t *freestk;		/* indices of freed pool entries */
	size_t nfree;
	size_t hw;			/* pool entries [0, hw) have been handed out */
	size_t cap;
	size_t count;
	size_t slot_bytes, pool_bytes, live_bytes, free_bytes;
	uint64_t seed[6];
};

static inline uint64_t
vcrt_mum(uint64_t a, uint64_t b)
{
	__uint128_t r = (__uint128_t)a * b;

	return (uint64_t)r ^ (uint64_t)(r >> 64);
}

static inline uint64_t
vcrt_load64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint64_t
vcrt_hash(const struct vipa_vcrt *t, const struct vipa_conn_key *k)
{
	uint64_t a, b, ports;

	ports = (uint64_t)k->dport | (uint64_t)k->cport << 16;
	a = vcrt_mum(vcrt_load64(k->dvipa) ^ t->seed[0], vcrt_load64(k->dvipa + 8) ^ t->seed[1]);
	b = vcrt_mum(vcrt_load64(k->client) ^ t->seed[2],
		     vcrt_load64(k->client + 8) ^ t->seed[3]);
	return vcrt_mum(a ^ ports ^ t->seed[4], b ^ t->seed[5]);
}

static inline int
vcrt_key_eq(const struct vipa_conn_key *a, const struct vipa_conn_key *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

static void
vcrt_seed(struct vipa_vcrt *t)
{
	size_t got = 0;
	ssize_t r;
	int i;

	while (got < sizeof(t->seed)) {
		r = getrandom((uint8_t *)t->seed + got, sizeof(t->seed) - got, 0);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	if (got < sizeof(t->seed)) {
		/* No entropy source: mix the clock and addresses; still per table. */
		uint64_t x = lib_now_ns() ^ (uint64_t)(uintptr_t)t ^ ((uint64_t)getpid() << 32);

		for (i = 0; i < 6; i++) {
			x += 0x9e3779b97f4a7c15ull;
			t->seed[i] = vcrt_mum(x, x ^ 0xbf58476d1ce4e5b9ull) | 1;
		}
	}
	/* A zero factor would make a multiply ignore its other input. */
	for (i = 0; i < 6; i++)
		t->seed[i] |= 1;
}

/* Maps a zeroed, prefaulted array; huge pages when the kernel allows. */
static void *
vcrt_map(size_t bytes)
{
	void *p;

	p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
#ifdef MADV_HUGEPAGE
	if (bytes >= (2u << 20))
		madvise(p, bytes, MADV_HUGEPAGE);
#endif
	memset(p, 0, bytes);	/* touch every page now */
	return p;
}

static void
vcrt_unmap(void *p, size_t bytes)
{
	if (p)
		munmap(p, bytes);
}

struct vipa_vcrt *
vipa_vcrt_new(size_t cap)
{
	struct vipa_vcrt *t;
	size_t nslots;
	unsigned bits = VCRT_MIN_BITS;

	if (cap == 0 || cap > VCRT_MAX_CAP) {
		errno = EINVAL;
		return NULL;
	}
	while (((size_t)1 << bits) * 9 / 10 < cap)
		bits++;
	nslots = (size_t)1 << bits;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->slot_bytes = nslots * sizeof(*t->slot);
	t->pool_bytes = cap * sizeof(*t->pool);
	t->live_bytes = cap;
	t->free_bytes = cap * sizeof(*t->freestk);
	t->slot = vcrt_map(t->slot_bytes);
	t->pool = vcrt_map(t->pool_bytes);
	t->live = vcrt_map(t->live_bytes);
	t->freestk = vcrt_map(t->free_bytes);
	if (t->slot == NULL || t->pool == NULL || t->live == NULL || t->freestk == NULL) {
		vipa_vcrt_destroy(&t);
		errno = ENOMEM;
		return NULL;
	}
	t->mask = nslots - 1;
	t->shift = 64 - bits;
	t->cap = cap;
	vcrt_seed(t);
	return t;
}

void
vipa_vcrt_destroy(struct vipa_vcrt **tp)
{
	struct vipa_vcrt *t = *tp;

	if (t == NULL)
		return;
	vcrt_unmap(t->slot, t->slot_bytes);
	vcrt_unmap(t->pool, t->pool_bytes);
	vcrt_unmap(t->live, t->live_bytes);
	vcrt_unmap(t->freestk, t->free_bytes);
	free(t);
	*tp = NULL;
}

size_t
vipa_vcrt_count(const struct vipa_vcrt *t)
{
	return t->count;
}

size_t
vipa_vcrt_capacity(const struct vipa_vcrt *t)
{
	return t->cap;
}

/*
 * Probes for k.  Returns 1 and sets *pos to its slot when present; returns 0
 * and sets *pos / *dist to where it would be inserted otherwise.
 */
static inline int
vcrt_find(const struct vipa_vcrt *t, const struct vipa_conn_key *k, size_t *pos,
	  uint32_t *dist, uint32_t *tag)
{
	uint64_t h = vcrt_hash(t, k);
	size_t i = (size_t)(h >> t->shift);
	uint32_t tg = (uint32_t)(h & 0xffff);
	uint32_t d = 1, m;

	*tag = tg;
	for (;;) {
		m = t->slot[i].meta;
		if ((m & 0xffff) < d)
			break;		/* empty, or a key closer to home: k is absent */
		if ((m >> 16) == tg && vcrt_key_eq(&t->pool[t->slot[i].idx].key, k)) {
			*pos = i;
			return 1;
		}
		i = (i + 1) & t->mask;
		if (++d > VCRT_DIST_MAX)
			break;
	}
	*pos = i;
	*dist = d;
	return 0;
}

struct vipa_conn *
vipa_vcrt_lookup(struct vipa_vcrt *t, const struct vipa_conn_key *k)
{
	size_t pos;
	uint32_t dist, tag;

	if (!vcrt_find(t, k, &pos, &dist, &tag))
		return NULL;
	return &t->pool[t->slot[pos].idx];
}

struct vipa_conn *
vipa_vcrt_insert(struct vipa_vcrt *t, const struct vipa_conn_key *k, int *created)
{
	struct vipa_conn *c;
	size_t pos, j, p;
	uint32_t dist, tag, idx;

	if (created)
		*created = 0;
	if (vcrt_find(t, k, &pos, &dist, &tag))
		return &t->pool[t->slot[pos].idx];
	if (t->count >= t->cap || dist > VCRT_DIST_MAX)
		return NULL;
	/*
	 * Find the end of the run starting at pos; every slot in it moves one
	 * place right, so none of them may already be at the largest distance.
	 */
	for (j = pos; t->slot[j].meta & 0xffff; j = (j + 1) & t->mask)
		if ((t->slot[j].meta & 0xffff) == VCRT_DIST_MAX)
			return NULL;
	for (; j != pos; j = p) {
		p = (j - 1) & t->mask;
		t->slot[j].meta = t->slot[p].meta + 1;
		t->slot[j].idx = t->slot[p].idx;
	}
	idx = t->nfree ? t->freestk[--t->nfree] : (uint32_t)t->hw++;
	t->slot[pos].meta = tag << 16 | dist;
	t->slot[pos].idx = idx;
	c = &t->pool[idx];
	memset(c, 0, sizeof(*c));
	c->key = *k;
	t->live[idx] = 1;
	t->count++;
	if (created)
		*created = 1;
	return c;
}

/* Removes the key in slot pos: frees its entry and shifts the run back. */
static void
vcrt_remove_slot(struct vipa_vcrt *t, size_t pos)
{
	uint32_t idx = t->slot[pos].idx;
	size_t i = pos, j = (pos + 1) & t->mask;

	t->live[idx] = 0;
	t->freestk[t->nfree++] = idx;
	t->count--;
	while ((t->slot[j].meta & 0xffff) > 1) {
		t->slot[i].meta = t->slot[j].meta - 1;
		t->slot[i].idx = t->slot[j].idx;
		i = j;
		j = (j + 1) & t->mask;
	}
	t->slot[i].meta = 0;
	t->slot[i].idx = 0;
}

int
vipa_vcrt_remove(struct vipa_vcrt *t, const struct vipa_conn_key *k)
{
	size_t pos;
	uint32_t dist, tag;

	if (!vcrt_find(t, k, &pos, &dist, &tag))
		return -ENOENT;
	vcrt_remove_slot(t, pos);
	return 0;
}

/*
 * Walks the pool, not the index: pool entries never move, so removing the
 * current entry (or any other) while walking cannot make the walk skip an
 * entry or see one twice, whatever the backward shifts do to the index.
 * Entries the callback inserts may or may not be visited.
 */
void
vipa_vcrt_foreach(struct vipa_vcrt *t, int (*cb)(struct vipa_conn *c, void *arg), void *arg)
{
	struct vipa_conn_key k;
	size_t i, pos;
	uint32_t dist, tag;

	for (i = 0; i < t->hw; i++) {
		if (!t->live[i])
			continue;
		if (cb(&t->pool[i], arg) == 0 || !t->live[i])
			continue;
		k = t->pool[i].key;
		if (vcrt_find(t, &k, &pos, &dist, &tag) && t->slot[pos].idx == i)
			vcrt_remove_slot(t, pos);
	}
}
