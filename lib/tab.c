/*
 * tab.c - a fixed-capacity open-addressing hash table: entries of one size
 * whose first key_len bytes are the key (a struct whose first member is its
 * key), from a preallocated pool.  The VCRT (vipa/vcrt.c), TIMEDAFFINITY
 * (tcpip-stack/dp.c) and the client agent's per-connection binding cache
 * (client-agent/cn.c) are tables of this kind, each with its own entry
 * struct.
 *
 * Layout.  Two preallocated arrays, both sized at creation:
 *
 *   pool[cap]   the entries, `stride` bytes apart (entry_size rounded up to
 *               8).  An entry never moves while it is in the table, so
 *               pointers handed out stay valid until that entry is removed.
 *               Free entries are kept on a stack of indices; live[] marks the
 *               used ones.
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
 *               probe reads the key only when the tag matches.
 *
 * Probing is linear with robin-hood ordering: inside a run of occupied
 * slots, keys are ordered by home slot, so a lookup stops as soon as it meets
 * a slot whose dist is smaller than its own.  Insertion shifts the rest of
 * the run one slot right; removal shifts the following slots with dist > 0
 * one slot left (backward-shift deletion), so no tombstones ever build up.
 * 2^b is the smallest power of two with cap <= 90% of it, so the index is
 * never more than 90% full.
 *
 * The hash is a keyed multiply-fold mix of the key, 16 bytes a round (in
 * the style of wyhash), with 64-bit seeds from getrandom(2) per table, so a
 * client cannot precompute addresses and ports that collide.  A run that
 * would need a distance beyond 65534 makes insert refuse instead of
 * corrupting the index.
 *
 * Nothing allocates after lib_tab_new; the arrays are touched at creation
 * so no page fault waits on the packet path either.  Large arrays are mapped
 * with MADV_HUGEPAGE: random lookups in a table of a million entries are
 * bound by TLB and cache misses, and huge pages remove most of the former.
 */
#include "lib/lib.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <unistd.h>

#define TAB_DIST_MAX 0xffffu		/* largest dist + 1 a slot can hold */
#define TAB_MIN_BITS 4
#define TAB_MAX_CAP (1u << 30)
#define TAB_MAX_ENTRY 65536

struct tab_slot {
	uint32_t meta;			/* (tag << 16) | (dist + 1); 0 = empty */
	uint32_t idx;			/* index into pool */
};

struct lib_tab {
	struct tab_slot *slot;
	size_t mask;			/* number of slots - 1 */
	unsigned shift;			/* 64 - log2(number of slots) */
	uint8_t *pool;
	size_t stride;			/* bytes from one entry to the next */
	size_t key_len, entry_size;
	uint8_t *live;			/* live[i] != 0 when entry i is in the table */
	uint32_t *freestk;		/* indices of freed pool entries */
	size_t nfree;
	size_t hw;			/* pool entries [0, hw) have been handed out */
	size_t cap;
	size_t count;
	size_t slot_bytes, pool_bytes, live_bytes, free_bytes;
	uint64_t seed[4];
};

static inline uint64_t
tab_mum(uint64_t a, uint64_t b)
{
	__uint128_t r = (__uint128_t)a * b;

	return (uint64_t)r ^ (uint64_t)(r >> 64);
}

static inline uint64_t
tab_load64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint64_t
tab_load32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/*
 * The hash of an n-byte key: two independent lanes (a, b) take 32 bytes a
 * round; the last 1..32 bytes are read as words that may overlap bytes a
 * round already took, so no byte beyond the key is ever read.  For the
 * 36-byte connection key this is one round and one final mix, two
 * multiplies deep.
 */
static inline __attribute__((always_inline)) uint64_t
tab_hash(const struct lib_tab *t, const uint8_t *k, size_t n)
{
	uint64_t a = t->seed[0], b = t->seed[1], x, y;
	size_t i = 0, rem;

	for (; n - i > 32; i += 32) {
		a = tab_mum(tab_load64(k + i) ^ a, tab_load64(k + i + 8) ^ t->seed[2]);
		b = tab_mum(tab_load64(k + i + 16) ^ b, tab_load64(k + i + 24) ^ t->seed[3]);
	}
	rem = n - i;
	if (i && rem <= 8) {
		/* A short tail after a round: one word ending with the key. */
		x = tab_load64(k + n - 8);
		y = 0;
	} else if (rem > 16) {
		a = tab_mum(tab_load64(k + i) ^ a, tab_load64(k + i + 8) ^ t->seed[2]);
		x = tab_load64(k + n - 16);
		y = tab_load64(k + n - 8);
	} else if (rem >= 8) {
		x = tab_load64(k + i);
		y = tab_load64(k + n - 8);
	} else if (rem >= 4) {
		x = tab_load32(k + i);
		y = tab_load32(k + n - 4);
	} else {
		x = (uint64_t)k[i] << 16 | (uint64_t)k[i + rem / 2] << 8 | k[n - 1];
		y = 0;
	}
	return tab_mum(a ^ x ^ t->seed[3], b ^ y ^ t->seed[2]);
}

/* With n a constant (the 4-tuple's probe) the compiler expands this in
 * place; otherwise it is a call. */
static inline __attribute__((always_inline)) int
tab_key_eq(const uint8_t *a, const uint8_t *b, size_t n)
{
	return memcmp(a, b, n) == 0;
}

static inline uint8_t *
tab_entry(const struct lib_tab *t, uint32_t idx)
{
	return t->pool + (size_t)idx * t->stride;
}

static void
tab_seed(struct lib_tab *t)
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

		for (i = 0; i < 4; i++) {
			x += 0x9e3779b97f4a7c15ull;
			t->seed[i] = tab_mum(x, x ^ 0xbf58476d1ce4e5b9ull);
		}
	}
	/* A zero factor would make a multiply ignore its other input. */
	for (i = 0; i < 4; i++)
		t->seed[i] |= 1;
}

/* Maps a zeroed, prefaulted array; huge pages when the kernel allows. */
static void *
tab_map(size_t bytes)
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
tab_unmap(void *p, size_t bytes)
{
	if (p)
		munmap(p, bytes);
}

struct lib_tab *
lib_tab_new(size_t cap, size_t key_len, size_t entry_size)
{
	struct lib_tab *t;
	size_t nslots;
	unsigned bits = TAB_MIN_BITS;

	if (cap == 0 || cap > TAB_MAX_CAP || key_len == 0 || key_len > entry_size ||
	    entry_size > TAB_MAX_ENTRY) {
		errno = EINVAL;
		return NULL;
	}
	while (((size_t)1 << bits) * 9 / 10 < cap)
		bits++;
	nslots = (size_t)1 << bits;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->key_len = key_len;
	t->entry_size = entry_size;
	t->stride = (entry_size + 7) & ~(size_t)7;
	t->slot_bytes = nslots * sizeof(*t->slot);
	t->pool_bytes = cap * t->stride;
	t->live_bytes = cap;
	t->free_bytes = cap * sizeof(*t->freestk);
	t->slot = tab_map(t->slot_bytes);
	t->pool = tab_map(t->pool_bytes);
	t->live = tab_map(t->live_bytes);
	t->freestk = tab_map(t->free_bytes);
	if (t->slot == NULL || t->pool == NULL || t->live == NULL || t->freestk == NULL) {
		lib_tab_destroy(&t);
		errno = ENOMEM;
		return NULL;
	}
	t->mask = nslots - 1;
	t->shift = 64 - bits;
	t->cap = cap;
	tab_seed(t);
	return t;
}

void
lib_tab_destroy(struct lib_tab **tp)
{
	struct lib_tab *t = *tp;

	if (t == NULL)
		return;
	tab_unmap(t->slot, t->slot_bytes);
	tab_unmap(t->pool, t->pool_bytes);
	tab_unmap(t->live, t->live_bytes);
	tab_unmap(t->freestk, t->free_bytes);
	free(t);
	*tp = NULL;
}

size_t
lib_tab_count(const struct lib_tab *t)
{
	return t->count;
}

size_t
lib_tab_capacity(const struct lib_tab *t)
{
	return t->cap;
}

/*
 * Probes for k.  Returns 1 and sets *pos to its slot when present; returns 0
 * and sets *pos / *dist to where it would be inserted otherwise.
 */
static inline __attribute__((always_inline)) int
tab_find_n(const struct lib_tab *t, const uint8_t *k, size_t n, size_t *pos, uint32_t *dist,
	   uint32_t *tag)
{
	uint64_t h = tab_hash(t, k, n);
	size_t i = (size_t)(h >> t->shift);
	uint32_t tg = (uint32_t)(h & 0xffff);
	uint32_t d = 1, m;

	*tag = tg;
	for (;;) {
		m = t->slot[i].meta;
		if ((m & 0xffff) < d)
			break;		/* empty, or a key closer to home: k is absent */
		if ((m >> 16) == tg && tab_key_eq(tab_entry(t, t->slot[i].idx), k, n)) {
			*pos = i;
			return 1;
		}
		i = (i + 1) & t->mask;
		if (++d > TAB_DIST_MAX)
			break;
	}
	*pos = i;
	*dist = d;
	return 0;
}

/* The connection 4-tuple (36 bytes: two addresses, two ports) is the key
 * of every table on a packet path: its probe is compiled for that length,
 * any other length takes the general one. */
#define TAB_KEY_4TUPLE 36

static inline __attribute__((always_inline)) int
tab_find(const struct lib_tab *t, const uint8_t *k, size_t *pos, uint32_t *dist, uint32_t *tag)
{
	if (t->key_len == TAB_KEY_4TUPLE)
		return tab_find_n(t, k, TAB_KEY_4TUPLE, pos, dist, tag);
	return tab_find_n(t, k, t->key_len, pos, dist, tag);
}

static inline __attribute__((always_inline)) void *
tab_lookup_n(const struct lib_tab *t, const uint8_t *k, size_t n)
{
	size_t pos;
	uint32_t dist, tag;

	if (!tab_find_n(t, k, n, &pos, &dist, &tag))
		return NULL;
	return tab_entry(t, t->slot[pos].idx);
}

/* The packet path's lookup: the 4-tuple's probe in place, any other
 * key length in a function of its own (so neither crowds the other's
 * registers). */
static __attribute__((noinline)) void *
tab_lookup_any(const struct lib_tab *t, const uint8_t *k)
{
	return tab_lookup_n(t, k, t->key_len);
}

void *
lib_tab_lookup(struct lib_tab *t, const void *k)
{
	if (t->key_len != TAB_KEY_4TUPLE)
		return tab_lookup_any(t, k);
	return tab_lookup_n(t, k, TAB_KEY_4TUPLE);
}

void *
lib_tab_insert(struct lib_tab *t, const void *k, int *created)
{
	uint8_t *e;
	size_t pos, j, p;
	uint32_t dist, tag, idx;

	if (created)
		*created = 0;
	if (tab_find(t, k, &pos, &dist, &tag))
		return tab_entry(t, t->slot[pos].idx);
	if (t->count >= t->cap || dist > TAB_DIST_MAX)
		return NULL;
	/*
	 * Find the end of the run starting at pos; every slot in it moves one
	 * place right, so none of them may already be at the largest distance.
	 */
	for (j = pos; t->slot[j].meta & 0xffff; j = (j + 1) & t->mask)
		if ((t->slot[j].meta & 0xffff) == TAB_DIST_MAX)
			return NULL;
	for (; j != pos; j = p) {
		p = (j - 1) & t->mask;
		t->slot[j].meta = t->slot[p].meta + 1;
		t->slot[j].idx = t->slot[p].idx;
	}
	idx = t->nfree ? t->freestk[--t->nfree] : (uint32_t)t->hw++;
	t->slot[pos].meta = tag << 16 | dist;
	t->slot[pos].idx = idx;
	e = tab_entry(t, idx);
	memcpy(e, k, t->key_len);
	memset(e + t->key_len, 0, t->entry_size - t->key_len);
	t->live[idx] = 1;
	t->count++;
	if (created)
		*created = 1;
	return e;
}

/* Removes the key in slot pos: frees its entry and shifts the run back. */
static void
tab_remove_slot(struct lib_tab *t, size_t pos)
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
lib_tab_remove(struct lib_tab *t, const void *k)
{
	size_t pos;
	uint32_t dist, tag;

	if (!tab_find(t, k, &pos, &dist, &tag))
		return -ENOENT;
	tab_remove_slot(t, pos);
	return 0;
}

/*
 * Walks the pool, not the index: pool entries never move, so removing the
 * current entry (or any other) while walking cannot make the walk skip an
 * entry or see one twice, whatever the backward shifts do to the index.
 * Entries the callback inserts may or may not be visited.  An entry to
 * remove is found by its own key, read in place (it is freed only after).
 */
void
lib_tab_foreach(struct lib_tab *t, int (*cb)(void *entry, void *arg), void *arg)
{
	size_t i, pos;
	uint32_t dist, tag;

	for (i = 0; i < t->hw; i++) {
		if (!t->live[i])
			continue;
		if (cb(tab_entry(t, (uint32_t)i), arg) == 0 || !t->live[i])
			continue;
		if (tab_find(t, tab_entry(t, (uint32_t)i), &pos, &dist, &tag) &&
		    t->slot[pos].idx == i)
			tab_remove_slot(t, pos);
	}
}

uint32_t
lib_tab_id(const struct lib_tab *t, const void *entry)
{
	return (uint32_t)(((const uint8_t *)entry - t->pool) / t->stride);
}

void *
lib_tab_at(struct lib_tab *t, uint32_t id)
{
	if (id >= t->hw || !t->live[id])
		return NULL;
	return tab_entry(t, id);
}
