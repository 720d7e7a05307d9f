/*
 * fake_kdp.c - the kernel fast path for the daemons' unit tests (fake.h):
 * the kdp/kdp.h calls a stack makes, on tables in memory instead of BPF
 * maps, so a test sees exactly what the daemon installed, changed and
 * deleted, and can play the program's part (counters, a client's FIN).
 */
#include "tests/unit/fake.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kdp/kdp.h"

struct fake_kdp fake_kdp;

struct kdp {
	int role;
};

static struct kdp the_kdp;

void
fake_kdp_reset(int loadable)
{
	memset(&fake_kdp, 0, sizeof(fake_kdp));
	fake_kdp.loadable = loadable;
}

static int
same_conn(const struct kdp_conn *a, const struct kdp_conn *b)
{
	return memcmp(a->dvipa, b->dvipa, 16) == 0 && memcmp(a->client, b->client, 16) == 0 &&
	       a->dport == b->dport && a->cport == b->cport;
}

struct fake_kdp_conn *
fake_kdp_conn_find(const struct kdp_conn *c)
{
	int i;

	for (i = 0; i < FAKE_KDP_CONNS; i++)
		if (fake_kdp.conn[i].used && same_conn(&fake_kdp.conn[i].c, c))
			return &fake_kdp.conn[i];
	return NULL;
}

int
fake_kdp_conn_count(void)
{
	int i, n = 0;

	for (i = 0; i < FAKE_KDP_CONNS; i++)
		n += fake_kdp.conn[i].used;
	return n;
}

int
kdp_open(struct kdp **out, const struct kdp_opts *o, char *err, size_t errlen)
{
	*out = NULL;
	if (!fake_kdp.loadable) {
		snprintf(err, errlen, "fake: BPF not loadable here");
		return -EPERM;
	}
	the_kdp.role = (int)o->role;
	fake_kdp.opened_conns = o->max_conns;
	fake_kdp.open = 1;
	*out = &the_kdp;
	return 0;
}

void
kdp_close(struct kdp **k)
{
	if (*k)
		fake_kdp.open = 0;
	*k = NULL;
}

const char *
kdp_attach_name(const struct kdp *k)
{
	LIB_UNUSED(k);
	return "fake";
}

int
kdp_set_self(struct kdp *k, const uint8_t coa[16], const char *local_ifname)
{
	LIB_UNUSED(k);
	memcpy(fake_kdp.self, coa, 16);
	lib_strlcpy(fake_kdp.local_if, local_ifname ? local_ifname : "", sizeof(fake_kdp.local_if));
	return 0;
}

int
kdp_set_self4(struct kdp *k, const uint8_t addr4[16])
{
	LIB_UNUSED(k);
	memset(fake_kdp.self4, 0, 16);
	if (addr4)
		memcpy(fake_kdp.self4, addr4, 16);
	return 0;
}

int
kdp_set_lease(struct kdp *k, uint64_t until_ms)
{
	LIB_UNUSED(k);
	fake_kdp.lease_ms = until_ms;
	return 0;
}

int
kdp_set_loss(struct kdp *k, unsigned pct)
{
	LIB_UNUSED(k);
	fake_kdp.loss_pct = pct;
	return 0;
}

int
kdp_dvipa_set(struct kdp *k, const uint8_t dvipa[16], unsigned flags)
{
	int i, freei = -1;

	LIB_UNUSED(k);
	fake_kdp.dvipa_sets++;
	for (i = 0; i < FAKE_KDP_DVIPAS; i++) {
		if (fake_kdp.dv[i].used && memcmp(fake_kdp.dv[i].addr, dvipa, 16) == 0)
			break;
		if (!fake_kdp.dv[i].used && freei < 0)
			freei = i;
	}
	if (i == FAKE_KDP_DVIPAS) {
		if (freei < 0)
			return -ENOSPC;
		i = freei;
		fake_kdp.dv[i].used = 1;
		memcpy(fake_kdp.dv[i].addr, dvipa, 16);
	}
	fake_kdp.dv[i].flags = flags;
	return 0;
}

int
kdp_dvipa_del(struct kdp *k, const uint8_t dvipa[16])
{
	int i;

	LIB_UNUSED(k);
	for (i = 0; i < FAKE_KDP_DVIPAS; i++)
		if (fake_kdp.dv[i].used && memcmp(fake_kdp.dv[i].addr, dvipa, 16) == 0) {
			fake_kdp.dv[i].used = 0;
			return 0;
		}
	return -ENOENT;
}

int
kdp_dvipa_get(struct kdp *k, const uint8_t dvipa[16], struct kdp_dvipa_stats *st)
{
	int i;

	LIB_UNUSED(k);
	for (i = 0; i < FAKE_KDP_DVIPAS; i++)
		if (fake_kdp.dv[i].used && memcmp(fake_kdp.dv[i].addr, dvipa, 16) == 0) {
			memset(st, 0, sizeof(*st));
			st->flags = fake_kdp.dv[i].flags;
			return 0;
		}
	return -ENOENT;
}

unsigned
fake_kdp_flags(const uint8_t dvipa[16])
{
	struct kdp_dvipa_stats st;

	return kdp_dvipa_get(NULL, dvipa, &st) == 0 ? st.flags : 0xffffffffu;
}

int
kdp_conn_set(struct kdp *k, const struct kdp_conn *c, const uint8_t dest[16])
{
	struct fake_kdp_conn *e = fake_kdp_conn_find(c);
	int i;

	LIB_UNUSED(k);
	if (!e) {
		for (i = 0; i < FAKE_KDP_CONNS && fake_kdp.conn[i].used; i++)
			;
		if (i == FAKE_KDP_CONNS || (fake_kdp.max_conns_or_0 &&
		    (unsigned)fake_kdp_conn_count() >= fake_kdp.max_conns_or_0))
			return -ENOSPC;
		e = &fake_kdp.conn[i];
		memset(e, 0, sizeof(*e));
		e->used = 1;
		e->c = *c;
	}
	memcpy(e->dest, dest, 16);
	fake_kdp.conn_sets++;
	return 0;
}

int
kdp_conn_del(struct kdp *k, const struct kdp_conn *c)
{
	struct fake_kdp_conn *e = fake_kdp_conn_find(c);

	LIB_UNUSED(k);
	if (!e)
		return -ENOENT;
	e->used = 0;
	return 0;
}

int
kdp_conn_get(struct kdp *k, const struct kdp_conn *c, uint8_t dest[16], struct kdp_counters *ct)
{
	struct fake_kdp_conn *e = fake_kdp_conn_find(c);

	LIB_UNUSED(k);
	if (!e)
		return -ENOENT;
	if (dest)
		memcpy(dest, e->dest, 16);
	if (ct)
		*ct = e->ct;
	return 0;
}

int
kdp_conn_foreach(struct kdp *k, kdp_conn_cb cb, void *arg)
{
	int i, n = 0;

	LIB_UNUSED(k);
	for (i = 0; i < FAKE_KDP_CONNS; i++) {
		struct fake_kdp_conn e;

		if (!fake_kdp.conn[i].used)
			continue;
		e = fake_kdp.conn[i];
		n++;
		if (cb && cb(&e.c, e.dest, &e.ct, arg))
			break;
	}
	return n;
}

/* Steps over the array: the cursor is an index into it, as the kernel's
 * is a hash bucket. */
int
kdp_conn_walk(struct kdp *k, struct kdp_conn_cursor *cur, int max, kdp_conn_cb cb, void *arg)
{
	int i = 0, n = 0;

	LIB_UNUSED(k);
	if (cur->have)
		i = (int)cur->batch;
	cur->have = 0;
	for (; i < FAKE_KDP_CONNS; i++) {
		struct fake_kdp_conn e;

		if (!fake_kdp.conn[i].used)
			continue;
		if (n == max) {
			cur->batch = (uint32_t)i;
			cur->have = 1;
			break;
		}
		e = fake_kdp.conn[i];
		n++;
		if (cb)
			cb(&e.c, e.dest, &e.ct, arg);
	}
	fake_kdp.walk_steps++;
	return n;
}

int
kdp_stats(struct kdp *k, uint64_t out[KDP_STAT_COUNT])
{
	LIB_UNUSED(k);
	memset(out, 0, KDP_STAT_COUNT * sizeof(out[0]));
	return 0;
}

const char *
kdp_stat_name(int i)
{
	static const char *const n[KDP_STAT_COUNT] = {
		"seen", "fwd", "local", "strip", "bound", "unbound", "hao", "pass_syn",
		"pass_noentry", "pass_toobig", "pass_route", "pass_hoplimit", "pass_proto",
		"pass_malformed", "pass_error", "loss", "pass_lease", "syn_fwd", "syn_busy",
	};

	return i >= 0 && i < KDP_STAT_COUNT ? n[i] : NULL;
}

/* ---- SYNs routed by the program ------------------------------------------------------ */

static unsigned fake_turn[FAKE_KDP_SCHEDS];

int
kdp_sched_set(struct kdp *k, const uint8_t dvipa[16], uint16_t port, const uint8_t (*dest)[16],
	      unsigned n)
{
	int i, fr = -1;

	LIB_UNUSED(k);
	if (n > KDP_SCHED_MAX)
		return -EINVAL;
	fake_kdp.sched_sets++;
	for (i = 0; i < FAKE_KDP_SCHEDS; i++) {
		if (!fake_kdp.sched[i].used) {
			if (fr < 0)
				fr = i;
			continue;
		}
		if (fake_kdp.sched[i].port == port && memcmp(fake_kdp.sched[i].dvipa, dvipa, 16) == 0)
			break;
	}
	if (i == FAKE_KDP_SCHEDS) {
		if (!dest)
			return 0;
		if (fr < 0)
			return -ENOSPC;
		i = fr;
		fake_turn[i] = 0;
	}
	if (!dest) {
		fake_kdp.sched[i].used = 0;
		return 0;
	}
	/* As the real one: n 0 pauses it; the rotation goes on. */
	fake_kdp.sched[i].used = 1;
	memcpy(fake_kdp.sched[i].dvipa, dvipa, 16);
	fake_kdp.sched[i].port = port;
	fake_kdp.sched[i].n = n;
	if (n)
		memcpy(fake_kdp.sched[i].dest, dest, (size_t)n * 16);
	return 0;
}

int
fake_kdp_sched(const uint8_t dvipa[16], uint16_t port, uint8_t (*dest)[16])
{
	int i;

	for (i = 0; i < FAKE_KDP_SCHEDS; i++) {
		if (fake_kdp.sched[i].used && fake_kdp.sched[i].port == port &&
		    memcmp(fake_kdp.sched[i].dvipa, dvipa, 16) == 0) {
			if (dest)
				memcpy(dest, fake_kdp.sched[i].dest, fake_kdp.sched[i].n * 16);
			return (int)fake_kdp.sched[i].n;
		}
	}
	return -1;
}

int
fake_kdp_syn(const uint8_t dvipa[16], uint16_t port, const uint8_t client[16], uint16_t cport,
	     uint32_t isn, uint8_t dest[16])
{
	struct kdp_syn *r;
	struct kdp_conn c;
	int i, j;

	for (i = 0; i < FAKE_KDP_SCHEDS; i++)
		if (fake_kdp.sched[i].used && fake_kdp.sched[i].port == port &&
		    memcmp(fake_kdp.sched[i].dvipa, dvipa, 16) == 0)
			break;
	if (i == FAKE_KDP_SCHEDS || !fake_kdp.sched[i].n ||
	    fake_kdp.syn_consumed + (uint64_t)fake_kdp.nsyn >= fake_kdp.syn_limit ||
	    fake_kdp.nsyn == FAKE_KDP_SYNQ)
		return -1;
	memset(&c, 0, sizeof(c));
	memcpy(c.dvipa, dvipa, 16);
	memcpy(c.client, client, 16);
	c.dport = port;
	c.cport = cport;
	if (fake_kdp_conn_find(&c))
		return -1;
	j = (int)(fake_turn[i]++ % fake_kdp.sched[i].n);
	if (kdp_conn_set(&the_kdp, &c, fake_kdp.sched[i].dest[j]) < 0)
		return -1;
	r = &fake_kdp.synq[fake_kdp.nsyn++];
	memset(r, 0, sizeof(*r));
	r->c = c;
	r->isn = isn;
	memcpy(r->dest, fake_kdp.sched[i].dest[j], 16);
	r->len = 80;
	r->ts_ms = lib_now_ms();
	if (dest)
		memcpy(dest, r->dest, 16);
	return 0;
}

int
kdp_syn_fd(struct kdp *k)
{
	LIB_UNUSED(k);
	return -EOPNOTSUPP;
}

int
kdp_syn_consume(struct kdp *k, kdp_syn_cb cb, void *arg)
{
	struct kdp_syn q[FAKE_KDP_SYNQ];
	int i, n = fake_kdp.nsyn;

	LIB_UNUSED(k);
	memcpy(q, fake_kdp.synq, (size_t)n * sizeof(q[0]));
	fake_kdp.nsyn = 0;
	for (i = 0; i < n; i++) {
		fake_kdp.syn_consumed++;
		cb(&q[i], arg);
	}
	return n;
}

int
kdp_syn_allow(struct kdp *k, uint64_t more)
{
	LIB_UNUSED(k);
	fake_kdp.syn_limit = fake_kdp.syn_consumed + more;
	return 0;
}

uint64_t
kdp_syn_consumed(const struct kdp *k)
{
	LIB_UNUSED(k);
	return fake_kdp.syn_consumed;
}
