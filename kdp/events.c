/*
 * events.c - the connection events of the kernel data path (kdp_ev_*, see
 * kdp.h): the loader of kdp/events.bpf.c (skeleton events.skel.h), its ring
 * buffer and the lookups of lingering connections.  A file of its own so that
 * the daemons' unit tests can fake the rest of kdp/ (the fast path's tables)
 * and still link these.
 */
#include "kdp/kdp.h"
#include "kdp/kdp_abi.h"
#include "kdp/internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <netinet/tcp.h>

#include "lib/lib.h"

#include "events.skel.h"


/*
 * Lingering connections (see kdp.h) live in a pool of entries addressed by
 * index, found by 4-tuple through a hash with a random seed (clients choose
 * their ports), and queued for their next lookup in one FIFO per stage:
 * every entry of a stage waits the same delay, so each FIFO is in due order
 * and the due entries are at its head (O(1) per check, no sweep).  An entry
 * ended early (its 4-tuple reused) leaves the hash at once and its queue
 * place when it comes up.  The pool grows by doubling up to max_linger.
 */
#define EV_STAGES 5
static const unsigned ev_delay_ms[EV_STAGES] = { 2, 10, 50, 250, 1000 };
#define EV_CHECKS_PER_CALL 256
#define EV_NONE UINT32_MAX
#define EV_NESTED_CHECK_MS 10	/* the program's recursion misses read at most this often */

struct ev_linger {
	struct kdp_ev_rec r;	/* the LINGER record: tuple, states */
	uint64_t due_ms;
	uint32_t hnext, qnext;	/* hash chain, queue or free list (EV_NONE: end) */
	uint8_t live;
};

struct ev_queue {
	uint32_t head, tail;
};

struct kdp_ev {
	struct kdp_events *skel;
	struct ring_buffer *rb;
	struct lib_diag *diag;
	int fd_addr;
	uint64_t lost_seen;	/* kdp_ev_lost when the last KDP_EV_LOST was given */
	/* The program's recursion misses and the nested runs taken, read
	 * together at most every EV_NESTED_CHECK_MS by kdp_ev_consume (the
	 * misses take a system call); owed: records came since. */
	uint64_t nested, covered, nested_ms;
	int nested_owed;
	uint64_t lookups, records;
	/* Lingering connections. */
	struct ev_linger *pool;
	uint32_t cap, max, used, nlive, free;
	uint32_t *bucket;	/* cap buckets (a power of 2) */
	uint64_t seed;
	struct ev_queue q[EV_STAGES];
	/* During kdp_ev_consume. */
	kdp_ev_cb cb;
	void *arg;
	int n;
	uint64_t now;
};

static int
ev_fail(char *err, size_t errlen, int e, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = kdp_vfail(err, errlen, e, "connection events", fmt, ap);
	va_end(ap);
	return r;
}

static void
ev_deliver(struct kdp_ev *e, const struct kdp_ev_rec *r, enum kdp_ev_type type, uint8_t newstate,
	   uint8_t flags, uint64_t ts_ms)
{
	struct kdp_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	memcpy(ev.laddr, r->laddr, 16);
	memcpy(ev.raddr, r->raddr, 16);
	ev.lport = r->lport;
	ev.rport = r->rport;
	ev.oldstate = r->oldstate;
	ev.newstate = newstate;
	ev.flags = flags;
	ev.err = r->err;
	ev.ts_ms = ts_ms;
	e->n++;
	if (e->cb)
		e->cb(&ev, e->arg);
}

static uint32_t
ev_hash(const struct kdp_ev *e, const struct kdp_ev_rec *r)
{
	uint64_t h = e->seed, w;
	int i;

	for (i = 0; i < 4; i++) {
		memcpy(&w, i < 2 ? r->laddr + 8 * i : r->raddr + 8 * (i - 2), 8);
		h = (h ^ w) * 0x9e3779b97f4a7c15ull;
		h ^= h >> 29;
	}
	h = (h ^ ((uint64_t)r->lport << 16 | r->rport)) * 0xbf58476d1ce4e5b9ull;
	return (uint32_t)(h >> 32);
}

static int
ev_same(const struct kdp_ev_rec *a, const struct kdp_ev_rec *b)
{
	return a->lport == b->lport && a->rport == b->rport && memcmp(a->laddr, b->laddr, 16) == 0 &&
	       memcmp(a->raddr, b->raddr, 16) == 0;
}

/* The live entry of a 4-tuple, or EV_NONE; *link the place pointing to it. */
static uint32_t
ev_find(struct kdp_ev *e, const struct kdp_ev_rec *r, uint32_t **link)
{
	uint32_t *l, i;

	if (!e->cap)
		return EV_NONE;
	l = &e->bucket[ev_hash(e, r) & (e->cap - 1)];
	for (i = *l; i != EV_NONE; l = &e->pool[i].hnext, i = *l)
		if (ev_same(&e->pool[i].r, r))
			break;
	if (link)
		*link = l;
	return i;
}

static void
ev_hash_add(struct kdp_ev *e, uint32_t i)
{
	uint32_t *b = &e->bucket[ev_hash(e, &e->pool[i].r) & (e->cap - 1)];

	e->pool[i].hnext = *b;
	*b = i;
}

/* Doubles the pool (and the hash); -ENOSPC at max_linger. */
static int
ev_grow(struct kdp_ev *e)
{
	uint32_t ncap = e->cap ? e->cap * 2 : 64, i, *nb;
	struct ev_linger *np;

	if (e->cap >= e->max)
		return -ENOSPC;
	if (ncap > e->max)
		ncap = e->max;
	np = realloc(e->pool, (size_t)ncap * sizeof(*np));
	if (!np)
		return -ENOMEM;
	e->pool = np;
	nb = malloc((size_t)ncap * sizeof(*nb));
	if (!nb)
		return -ENOMEM;
	free(e->bucket);
	e->bucket = nb;
	/* Buckets are indexed with cap - 1: keep cap a power of 2 for them
	 * (max_linger is rounded up at open). */
	e->cap = ncap;
	for (i = 0; i < ncap; i++)
		nb[i] = EV_NONE;
	for (i = 0; i < e->used; i++)
		if (e->pool[i].live)
			ev_hash_add(e, i);
	return 0;
}

static void
ev_enqueue(struct kdp_ev *e, uint32_t i, unsigned stage)
{
	struct ev_queue *q = &e->q[stage];

	e->pool[i].due_ms = e->now + ev_delay_ms[stage];
	e->pool[i].qnext = EV_NONE;
	if (q->tail == EV_NONE)
		q->head = i;
	else
		e->pool[q->tail].qnext = i;
	q->tail = i;
}

/* Ends a lingering connection: out of the hash now (its queue place is
 * freed when it comes up). */
static void
ev_unlink(struct kdp_ev *e, uint32_t i, uint32_t *link)
{
	*link = e->pool[i].hnext;
	e->pool[i].live = 0;
	e->nlive--;
}

static void
ev_linger_add(struct kdp_ev *e, const struct kdp_ev_rec *r)
{
	uint32_t i;

	if (ev_find(e, r, NULL) != EV_NONE)
		return;
	if (e->free == EV_NONE && e->used == e->cap && ev_grow(e) < 0) {
		/* No room to watch it: reported ended now (see kdp.h). */
		ev_deliver(e, r, KDP_EV_ENDED, TCP_CLOSE, KDP_EV_F_TW, e->now);
		return;
	}
	if (e->free != EV_NONE) {
		i = e->free;
		e->free = e->pool[i].qnext;
	} else {
		i = e->used++;
	}
	e->pool[i].r = *r;
	e->pool[i].live = 1;
	e->nlive++;
	ev_hash_add(e, i);
	ev_enqueue(e, i, 0);
}

static int
ev_sample_cb(void *ctx, void *data, size_t size)
{
	struct kdp_ev *e = ctx;
	const struct kdp_ev_rec *r = data;
	uint64_t ts;
	uint32_t i, *link;

	e->records++;
	if (size < sizeof(*r))
		return 0;
	ts = kdp_ns_to_ms(r->ts_ns);
	if (r->type == KDP_EVT_LINGER) {
		ev_deliver(e, r, KDP_EV_LINGER, r->newstate, r->flags, ts);
		ev_linger_add(e, r);
		return 0;
	}
	if (r->type == KDP_EVT_ESTABLISHED && e->nlive &&
	    (i = ev_find(e, r, &link)) != EV_NONE) {
		/* The 4-tuple is in use again: the lingering one is over. */
		ev_deliver(e, &e->pool[i].r, KDP_EV_ENDED, TCP_CLOSE, KDP_EV_F_TW, ts);
		ev_unlink(e, i, link);
	}
	ev_deliver(e, r, (enum kdp_ev_type)r->type, r->newstate, r->flags, ts);
	return 0;
}

/* Looks up the due lingering connections. */
static void
ev_check(struct kdp_ev *e)
{
	unsigned st, checks = 0;

	for (st = 0; st < EV_STAGES; st++) {
		struct ev_queue *q = &e->q[st];

		while (q->head != EV_NONE && checks < EV_CHECKS_PER_CALL) {
			uint32_t i = q->head, *link;
			struct ev_linger *l = &e->pool[i];
			int state = TCP_CLOSE;

			if (l->live && l->due_ms > e->now)
				break;
			q->head = l->qnext;
			if (q->head == EV_NONE)
				q->tail = EV_NONE;
			if (l->live) {
				checks++;
				e->lookups++;
				state = lib_diag_tcp6_state(e->diag, l->r.laddr, l->r.lport,
							    l->r.raddr, l->r.rport);
				if (state == TCP_FIN_WAIT2 || (state < 0 && state != -ENOENT)) {
					/* Alive, or not known now: ask again later. */
					ev_enqueue(e, i, st + 1 < EV_STAGES ? st + 1 : st);
					continue;
				}
				ev_deliver(e, &l->r, KDP_EV_ENDED,
					   state == TCP_TIME_WAIT ? TCP_TIME_WAIT : TCP_CLOSE,
					   KDP_EV_F_TW, e->now);
				ev_find(e, &l->r, &link);
				ev_unlink(e, i, link);
			}
			l->qnext = e->free;
			e->free = i;
		}
	}
}

/* The inode number of our network namespace (what the program compares). */
static int
netns_ino(uint32_t *ino)
{
	struct stat st;

	if (stat("/proc/self/ns/net", &st) < 0)
		return -errno;
	*ino = (uint32_t)st.st_ino;
	return 0;
}

int
kdp_ev_open(struct kdp_ev **out, const struct kdp_ev_opts *o, char *err, size_t errlen)
{
	static const struct kdp_ev_opts defaults;
	unsigned ring, addrs, linger, i;
	struct kdp_ev *e;
	uint32_t ino = 0;
	int r;

	*out = NULL;
	if (err && errlen)
		err[0] = '\0';
	kdp_quiet();
	if (!o)
		o = &defaults;
	ring = o->ring_bytes ? o->ring_bytes : 1u << 20;
	addrs = o->max_addrs ? o->max_addrs : 256;
	linger = o->max_linger ? o->max_linger : 65536;
	if (ring < 4096 || (ring & (ring - 1)) || ring > 1u << 30)
		return ev_fail(err, errlen, EINVAL, "ring size %u (a power of 2, 4 KiB to 1 GiB)",
			       ring);
	if (linger > 1u << 24)
		return ev_fail(err, errlen, EINVAL, "max_linger %u (at most 2^24)", linger);
	if ((r = netns_ino(&ino)) < 0)
		return ev_fail(err, errlen, r, "reading /proc/self/ns/net");
	e = calloc(1, sizeof(*e));
	if (!e)
		return ev_fail(err, errlen, ENOMEM, "allocating");
	e->fd_addr = -1;
	e->free = EV_NONE;
	for (e->max = 1; e->max < linger; e->max *= 2)
		;
	for (i = 0; i < EV_STAGES; i++)
		e->q[i].head = e->q[i].tail = EV_NONE;
	if (getrandom(&e->seed, sizeof(e->seed), GRND_NONBLOCK) != sizeof(e->seed))
		e->seed = (uint64_t)(uintptr_t)e ^ lib_now_ms();
	if ((r = lib_diag_open(&e->diag)) < 0) {
		r = ev_fail(err, errlen, r, "opening a sock_diag socket");
		goto out;
	}
	e->skel = kdp_events__open();
	if (!e->skel) {
		r = ev_fail(err, errlen, errno, "opening the event program");
		goto out;
	}
	e->skel->rodata->kdp_ev_netns = ino;
	e->skel->rodata->kdp_ev_lazy = o->lazy_ends ? 1 : 0;
	if ((r = bpf_map__set_max_entries(e->skel->maps.kdp_evring, ring)) < 0 ||
	    (r = bpf_map__set_max_entries(e->skel->maps.kdp_evaddr, addrs)) < 0) {
		r = ev_fail(err, errlen, r, "sizing the maps");
		goto out;
	}
	if ((r = kdp_events__load(e->skel)) < 0) {
		r = ev_fail(err, errlen, r, "loading the event program");
		goto out;
	}
	if ((r = kdp_events__attach(e->skel)) < 0) {
		r = ev_fail(err, errlen, r, "attaching to the tracepoint inet_sock_set_state");
		goto out;
	}
	e->rb = ring_buffer__new(bpf_map__fd(e->skel->maps.kdp_evring), ev_sample_cb, e, NULL);
	if (!e->rb) {
		r = ev_fail(err, errlen, errno, "mapping the ring buffer");
		goto out;
	}
	e->fd_addr = bpf_map__fd(e->skel->maps.kdp_evaddr);
	*out = e;
	return 0;
out:
	kdp_ev_close(&e);
	return r;
}

void
kdp_ev_close(struct kdp_ev **ep)
{
	struct kdp_ev *e = ep ? *ep : NULL;

	if (!e)
		return;
	ring_buffer__free(e->rb);
	kdp_events__destroy(e->skel);
	lib_diag_close(&e->diag);
	free(e->pool);
	free(e->bucket);
	free(e);
	*ep = NULL;
}

int
kdp_ev_prog_fd(const struct kdp_ev *e, int i)
{
	if (i == 0)
		return bpf_program__fd(e->skel->progs.kdp_ev_state);
	if (i == 1)
		return bpf_program__fd(e->skel->progs.kdp_ev_nested);
	return -ENOENT;
}

int
kdp_ev_fd(const struct kdp_ev *e)
{
	return ring_buffer__epoll_fd(e->rb);
}

int
kdp_ev_addr_set(struct kdp_ev *e, const uint8_t addr[16], unsigned flags)
{
	struct kdp_addr key;
	__u32 v = flags;
	int r;

	if (!flags || (flags & ~(unsigned)(KDP_EV_WATCH_CONN | KDP_EV_WATCH_LISTEN)))
		return -EINVAL;
	memcpy(key.a, addr, 16);
	r = kdp_errno_neg(bpf_map_update_elem(e->fd_addr, &key, &v, BPF_ANY));
	return r == -E2BIG ? -ENOSPC : r;
}

int
kdp_ev_addr_del(struct kdp_ev *e, const uint8_t addr[16])
{
	struct kdp_addr key;

	memcpy(key.a, addr, 16);
	return kdp_errno_neg(bpf_map_delete_elem(e->fd_addr, &key));
}

int
kdp_ev_stats(const struct kdp_ev *e, struct kdp_ev_stats *st)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);

	memset(st, 0, sizeof(*st));
	/* Taken before skipped: every run taken was a skip first. */
	st->nested_taken = __atomic_load_n(&e->skel->bss->kdp_ev_covered, __ATOMIC_ACQUIRE);
	st->ring_full = __atomic_load_n(&e->skel->bss->kdp_ev_lost, __ATOMIC_ACQUIRE);
	st->queued = __atomic_load_n(&e->skel->bss->kdp_ev_queued, __ATOMIC_ACQUIRE);
	st->closes = __atomic_load_n(&e->skel->bss->kdp_ev_closes, __ATOMIC_ACQUIRE);
	st->delivered = e->records;
	st->lookups = e->lookups;
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(bpf_program__fd(e->skel->progs.kdp_ev_state), &info, &len) < 0)
		return -errno;
	st->nested = info.recursion_misses;
	return 0;
}

uint64_t
kdp_ev_lost(const struct kdp_ev *e)
{
	struct kdp_ev_stats st;

	kdp_ev_stats(e, &st);
	return st.ring_full + (st.nested > st.nested_taken ? st.nested - st.nested_taken : 0);
}

unsigned
kdp_ev_lingering(const struct kdp_ev *e)
{
	return e->nlive;
}

/* kdp_ev_lost for kdp_ev_consume: the ring's drops as they are, the nested
 * runs missed as last read (again when EV_NESTED_CHECK_MS have passed).
 * Reading the misses is a system call (BPF_OBJ_GET_INFO_BY_FD), which
 * every round made once, i.e. about once per connection event at a low
 * rate; a miss is still reported within EV_NESTED_CHECK_MS
 * (kdp_ev_timeout_ms brings the round that reads them). */
static uint64_t
consume_lost(struct kdp_ev *e, int records)
{
	uint64_t ring = __atomic_load_n(&e->skel->bss->kdp_ev_lost, __ATOMIC_ACQUIRE);

	if (e->now - e->nested_ms >= EV_NESTED_CHECK_MS || e->now < e->nested_ms) {
		struct kdp_ev_stats st;

		if (kdp_ev_stats(e, &st) == 0) {
			e->nested = st.nested;
			e->covered = st.nested_taken;
		}
		e->nested_ms = e->now;
		e->nested_owed = 0;
	} else if (records) {
		e->nested_owed = 1;
	}
	return ring + (e->nested > e->covered ? e->nested - e->covered : 0);
}

int
kdp_ev_consume(struct kdp_ev *e, kdp_ev_cb cb, void *arg)
{
	uint64_t lost;
	int r;

	e->cb = cb;
	e->arg = arg;
	e->n = 0;
	e->now = lib_now_ms();
	r = ring_buffer__consume(e->rb);
	if (r >= 0) {
		/* Read after draining: a drop after this read left records in
		 * the ring behind it, whose wakeup brings the next round. */
		lost = consume_lost(e, e->n);
		if (lost > e->lost_seen) {
			struct kdp_event ev;

			memset(&ev, 0, sizeof(ev));
			ev.type = KDP_EV_LOST;
			ev.lost = lost - e->lost_seen;
			ev.ts_ms = e->now;
			e->lost_seen = lost;
			e->n++;
			if (cb)
				cb(&ev, arg);
		}
		ev_check(e);
		r = e->n;
	}
	e->cb = NULL;
	e->arg = NULL;
	return r;
}

int
kdp_ev_timeout_ms(const struct kdp_ev *e)
{
	uint64_t due = UINT64_MAX, now;
	unsigned st;

	for (st = 0; st < EV_STAGES; st++) {
		uint32_t i = e->q[st].head;

		/* Entries ended early are skipped at no cost: they are due. */
		if (i != EV_NONE && e->pool[i].due_ms < due)
			due = e->pool[i].live ? e->pool[i].due_ms : 0;
	}
	if (e->nested_owed && e->nested_ms + EV_NESTED_CHECK_MS < due)
		due = e->nested_ms + EV_NESTED_CHECK_MS;
	if (due == UINT64_MAX)
		return -1;
	now = lib_now_ms();
	return due <= now ? 0 : (int)(due - now);
}

const char *
kdp_ev_type_name(int type)
{
	static const char *const names[] = {
		[KDP_EV_ESTABLISHED] = "ESTABLISHED", [KDP_EV_ENDED] = "ENDED",
		[KDP_EV_LISTEN] = "LISTEN", [KDP_EV_UNLISTEN] = "UNLISTEN",
		[KDP_EV_LINGER] = "LINGER", [KDP_EV_LOST] = "LOST",
	};

	return type > 0 && type <= KDP_EV_LOST ? names[type] : NULL;
}
