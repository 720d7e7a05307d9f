/*
 * cn.c - the correspondent node of RFC 6275 on a client host.
 *
 * Return routability (5.2): a secret Kcn (20 random octets) and a table of
 * nonces, a new one every 30 s, each valid MAX_NONCE_LIFETIME (240 s).  A
 * HoTI from a home address gets a HoT with First(64, HMAC_SHA1(Kcn, home |
 * nonce | 0)); a CoTI from a care-of address a CoT with ... | 1).  We keep no
 * state per test: tokens are recomputed when the Binding Update arrives.
 *
 * Binding Update (9.5.1), in this order: checksum; H flag -> BA 131; Nonce
 * Indices and Binding Authorization Data present, else silently discarded;
 * nonce indices known and unexpired, else BA 136/137/138; authenticator
 * (Kbm from the recomputed tokens, so only addresses that completed the
 * tests can bind) wrong -> silently discarded; sequence number not newer
 * than the entry's -> BA 135; then the entry is created, refreshed or (lifetime
 * 0, or care-of = home) deleted, and a BA with Binding Authorization Data is
 * sent when the A flag asks for it: to the care-of address with a Type 2
 * Routing Header (straight to the target, claim 1), or to the home address
 * for a deletion.  Every rejection is counted by reason and never changes
 * where traffic goes.
 *
 * A BU with our vendor option WIRE_VSO_CONN binds one connection (claim 1's
 * "binding cache entry associated with the connection"); without it the
 * binding is per home address, as for any standard mobile node.
 *
 * A per-connection binding never outlives its connection, whatever becomes
 * of the deleting BU: the agent sees every packet the client sends to the
 * home address, and ends the binding itself when the client sends a SYN
 * from the same ports (a new connection: it goes to the home address, i.e.
 * the routing stack, which chooses its target), after an RST (sent direct,
 * then the binding ends), and AGENT_FIN_LINGER_MS after the client's FIN
 * (the last ACKs may go through the routing stack; no refresh is asked for).
 *
 * State: struct agent_cn (agent.h).  Level 1 of client-agent/ (agent.h):
 * calls fast.c only (every binding it makes, ends or evicts is mirrored
 * into the kernel's table there).  Its I/O: the raw Mobility Header
 * socket (mh_fd) and writes of built packets into the TUN (tun_fd).
 */
#include "client-agent/agent.h"

#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef IPPROTO_MH
#define IPPROTO_MH 135
#endif

/* ---- nonces -------------------------------------------------------------------- */

static void
nonce_new(struct agent *a)
{
	struct agent_nonce *n = &a->cn.nonces[(uint16_t)(a->cn.nonce_idx + 1) % AGENT_NONCES];

	a->cn.nonce_idx++;
	n->used = 1;
	n->idx = a->cn.nonce_idx;
	n->created_ms = lib_now_ms();
	if (getrandom(n->nonce, sizeof(n->nonce), 0) != sizeof(n->nonce))
		memset(n->nonce, 0, sizeof(n->nonce));	/* never reached on Linux */
}

static const struct agent_nonce *
nonce_get(struct agent *a, uint16_t idx)
{
	const struct agent_nonce *n = &a->cn.nonces[idx % AGENT_NONCES];

	if (!n->used || n->idx != idx ||
	    lib_now_ms() - n->created_ms > MIP6_MAX_NONCE_LIFETIME * 1000ull)
		return NULL;
	return n;
}

/* ---- sending ----------------------------------------------------------------------- */

/* Sends an MH to dst from our address src through the raw socket (the
 * kernel fills in the checksum: IPV6_CHECKSUM). */
static void
send_raw(struct agent *a, const uint8_t dst[16], const struct mip6_msg *m,
	 const uint8_t *kbm, const uint8_t *auth_coa, const uint8_t src[16])
{
	uint8_t *mhbuf = a->cn.mhbuf;
	struct sockaddr_in6 sa;
	ssize_t n = mip6_msg_encode(m, mhbuf, sizeof(a->cn.mhbuf));

	if (n < 0) {
		lib_verdict(&a->verdicts, "cannot encode a Mobility Header");
		return;
	}
	if (kbm) {
		int off = mip6_auth_off(mhbuf, (size_t)n);
		if (off < 0 || mip6_bu_authenticator(kbm, auth_coa, src, mhbuf, (size_t)n,
						     (size_t)off, mhbuf + off) < 0)
			return;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sin6_family = AF_INET6;
	memcpy(&sa.sin6_addr, dst, 16);
	if (sendto(a->cn.mh_fd, mhbuf, (size_t)n, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		lib_verdict(&a->verdicts, "sending a Mobility Header failed");
	else
		a->cnt.tx[m->type]++;
}

/* Sends an MH from src to the care-of address with a Type 2 Routing Header
 * naming the home address (sockets cannot emit an RH2 without kernel MIPv6:
 * the packet is built here and written into the TUN, which sends it out of
 * the LAN). */
static void
send_rh2(struct agent *a, const uint8_t src[16], const uint8_t coa[16], const uint8_t home[16],
	 const struct mip6_msg *m, const uint8_t *kbm)
{
	uint8_t *pkt = a->cn.pkt, *ip = pkt + WIRE_VNET_HDR_LEN, *rh = ip + WIRE_IP6_HDR_LEN;
	uint8_t *mh = rh + WIRE_RH2_LEN;
	ssize_t n = mip6_msg_encode(m, mh, MIP6_MAX_LEN);
	size_t plen;

	if (n < 0) {
		lib_verdict(&a->verdicts, "cannot encode a Mobility Header");
		return;
	}
	if (kbm) {
		int off = mip6_auth_off(mh, (size_t)n);
		if (off < 0 || mip6_bu_authenticator(kbm, coa, src, mh, (size_t)n, (size_t)off,
						     mh + off) < 0)
			return;
	}
	/* The checksum covers the final destination: the home address. */
	mip6_csum_set(src, home, mh, (size_t)n);
	memset(pkt, 0, WIRE_VNET_HDR_LEN);
	plen = WIRE_RH2_LEN + (size_t)n;
	wire_ip6_hdr_encode(ip, WIRE_IP6_HDR_LEN, src, coa, WIRE_PROTO_ROUTING, (uint16_t)plen);
	rh[0] = WIRE_PROTO_MH;
	rh[1] = 2;
	rh[2] = 2;
	rh[3] = 1;
	memset(rh + 4, 0, 4);
	memcpy(rh + 8, home, 16);
	if (write(a->tun_fd, pkt, WIRE_VNET_HDR_LEN + WIRE_IP6_HDR_LEN + plen) < 0)
		lib_verdict(&a->verdicts, "TUN write of a Mobility Header failed");
	else
		a->cnt.tx[m->type]++;
}

static void
init_msg(struct mip6_msg *m, uint8_t type)
{
	memset(m, 0, sizeof(*m));
	m->proto = WIRE_PROTO_NONE;
	m->type = type;
}

/* ---- bounds: reply rates, quotas, kept entries ------------------------------------- */

/* May one more reply of this kind go out now?  Replies to spoofable
 * sources (RFC 6275 9.3.3 asks it for Binding Errors) are rate limited. */
static int
rate_ok(struct agent *a, struct agent_rate *r, uint64_t rate)
{
	uint64_t now = lib_now_ms();

	if (now > r->ms) {
		uint64_t add = (now - r->ms) * rate / 1000;

		if (add) {
			r->tokens = r->tokens + add > rate ? rate : r->tokens + add;
			r->ms = now;
		}
	}
	if (!r->tokens) {
		a->cnt.replies_limited++;
		lib_verdict(&a->verdicts, "reply not sent: rate limit (HoT/CoT, BE, error BA)");
		return 0;
	}
	r->tokens--;
	return 1;
}

static uint32_t
quota_n(struct agent *a, const uint8_t addr[16], uint8_t kind)
{
	struct agent_quota_key k;
	struct agent_quota *q;

	memset(&k, 0, sizeof(k));
	memcpy(k.addr, addr, 16);
	k.kind = kind;
	q = lib_tab_lookup(a->cn.quota, &k);
	return q ? q->n : 0;
}

static void
quota_add(struct agent *a, const uint8_t addr[16], uint8_t kind, int delta)
{
	struct agent_quota_key k;
	struct agent_quota *q;

	memset(&k, 0, sizeof(k));
	memcpy(k.addr, addr, 16);
	k.kind = kind;
	q = delta > 0 ? lib_tab_insert(a->cn.quota, &k, NULL) : lib_tab_lookup(a->cn.quota, &k);
	if (!q)
		return;		/* cannot happen: as large as the cache, twice */
	q->n = delta > 0 ? q->n + 1 : q->n ? q->n - 1 : 0;
	if (!q->n)
		lib_tab_remove(a->cn.quota, &k);
}

/* Every per-connection entry goes through these two. */
static struct agent_conn_binding *
conn_add(struct agent *a, const struct agent_conn_key *k, const uint8_t coa[16])
{
	struct agent_conn_binding *c = lib_tab_insert(a->cn.conns, k, NULL);

	if (!c)
		return NULL;
	memcpy(c->coa, coa, 16);
	quota_add(a, k->home, 0, 1);
	quota_add(a, coa, 1, 1);
	return c;
}

static void
conn_forget(struct agent *a, struct agent_conn_binding *c)
{
	struct agent_conn_key k = c->key;

	/* A live one evicted leaves the kernel's table too (a kept one has
	 * already left it). */
	if (!c->deleted)
		agent_fast_conn_gone(a, c);
	quota_add(a, c->key.home, 0, -1);
	quota_add(a, c->coa, 1, -1);
	lib_tab_remove(a->cn.conns, &k);
}

/* A binding that ends (deleted, expired, ended by the client) stays as a
 * kept entry: no longer used, its sequence number still checked. */
static void
conn_end(struct agent *a, struct agent_conn_binding *c, uint64_t now)
{
	agent_fast_conn_gone(a, c);
	c->deleted = 1;
	c->expires_ms = 0;
	c->keep_ms = now + MIP6_MAX_NONCE_LIFETIME * 1000ull;
}

/* The entry to give up for a new one: among those of `addr` as home (kind
 * 0) or care-of address (1), or among all (addr NULL), a kept entry first
 * (the oldest), else the one least recently active. */
struct victim_ctx {
	const uint8_t *addr;
	uint8_t kind;
	struct agent_conn_binding *best;
	int best_deleted;
	uint64_t best_ms;
};

static int
victim_cb(void *entry, void *arg)
{
	struct agent_conn_binding *c = entry;
	struct victim_ctx *v = arg;
	uint64_t ms = c->deleted ? c->keep_ms : c->last_use_ms > c->created_ms ? c->last_use_ms :
		      c->created_ms;

	if (v->addr && memcmp(v->kind ? c->coa : c->key.home, v->addr, 16) != 0)
		return 0;
	if (!v->best || (c->deleted && !v->best_deleted) ||
	    (c->deleted == v->best_deleted && ms < v->best_ms)) {
		v->best = c;
		v->best_deleted = c->deleted;
		v->best_ms = ms;
	}
	return 0;
}

static int
evict_one(struct agent *a, const uint8_t *addr, uint8_t kind)
{
	struct victim_ctx v = { addr, kind, NULL, 0, 0 };

	lib_tab_foreach(a->cn.conns, victim_cb, &v);
	if (!v.best)
		return 0;
	conn_forget(a, v.best);
	a->cnt.bu_evicted++;
	return 1;
}

/* Room for a new per-connection binding of home at coa: one address over
 * its quota gives up one of its own entries, a full cache its least
 * recently active one, so one mobile node never denies the others. */
static struct agent_conn_binding *
conn_new(struct agent *a, const struct agent_conn_key *k, const uint8_t coa[16])
{
	struct agent_conn_binding *c;

	if (quota_n(a, k->home, 0) >= a->cn.quota_max)
		evict_one(a, k->home, 0);
	if (quota_n(a, coa, 1) >= a->cn.quota_max)
		evict_one(a, coa, 1);
	if (lib_tab_count(a->cn.conns) >= lib_tab_capacity(a->cn.conns))
		evict_one(a, NULL, 0);
	c = conn_add(a, k, coa);
	return c;
}

static const struct mip6_vso *
find_vso(const struct mip6_opts *o, uint8_t subtype)
{
	int i;

	for (i = 0; i < o->n_vso; i++)
		if (o->vso[i].vendor_id == WIRE_VSO_VENDOR && o->vso[i].subtype == subtype)
			return &o->vso[i];
	return NULL;
}

static void
copy_vso(struct mip6_opts *dst, const struct mip6_vso *v)
{
	struct mip6_vso *d;

	if (!v || dst->n_vso >= MIP6_MAX_VSO)
		return;
	d = &dst->vso[dst->n_vso++];
	d->vendor_id = v->vendor_id;
	d->subtype = v->subtype;
	d->len = v->len;
	memcpy(d->bytes, v->bytes, v->len);
}

/* ---- HoTI / CoTI -------------------------------------------------------------------- */

static void
on_init(struct agent *a, const uint8_t src[16], const uint8_t me[16], const struct mip6_msg *in)
{
	const struct agent_nonce *n = nonce_get(a, a->cn.nonce_idx);
	int care_of = in->type == MIP6_MH_COTI;
	struct mip6_msg m;
	struct mip6_test *t;

	if (!rate_ok(a, &a->cn.rr_rate, AGENT_RR_RATE))
		return;
	if (!n) {
		nonce_new(a);
		n = nonce_get(a, a->cn.nonce_idx);
	}
	init_msg(&m, care_of ? MIP6_MH_COT : MIP6_MH_HOT);
	t = care_of ? &m.cot : &m.hot;
	t->nonce_idx = n->idx;
	memcpy(t->cookie, care_of ? in->coti.cookie : in->hoti.cookie, MIP6_COOKIE_LEN);
	mip6_keygen_token(a->cn.kcn, src, n->nonce, care_of, t->token);
	/* Claim 1: the CoT carries the mobility option asking the target to
	 * forward a copy to the routing stack (echoed from the CoTI). */
	if (care_of)
		copy_vso(&m.opts, find_vso(&in->opts, WIRE_VSO_COPYTO));
	send_raw(a, src, &m, NULL, NULL, me);
}

/* ---- Binding Update ------------------------------------------------------------------- */

static void
send_ba(struct agent *a, const uint8_t me[16], const uint8_t home[16], const uint8_t coa[16],
	uint8_t status, uint16_t seq, uint16_t lifetime, const uint8_t *kbm,
	const struct mip6_vso *conn, int direct)
{
	struct mip6_msg m;

	if (status >= MIP6_BA_UNSPECIFIED && !rate_ok(a, &a->cn.err_rate, AGENT_ERR_RATE))
		return;
	init_msg(&m, MIP6_MH_BA);
	m.ba.status = status;
	m.ba.seq = seq;
	m.ba.lifetime = lifetime;
	if (kbm)
		m.opts.present |= MIP6_OPTF(MIP6_OPT_AUTH);
	copy_vso(&m.opts, conn);
	if (direct)
		send_rh2(a, me, coa, home, &m, kbm);
	else
		send_raw(a, home, &m, kbm, coa, me);
}

static void
reject(struct agent *a, const char *why)
{
	a->cnt.bu_rejected++;
	lib_verdict(&a->verdicts, why);
}

/* The per-home entry of home, live or kept (create: made when missing; a
 * full table gives up its oldest kept entry, else its least recently active
 * binding). */
static struct agent_home_binding *
home_find(struct agent *a, const uint8_t home[16], int create)
{
	struct agent_home_binding *f = NULL, *old = NULL;
	uint64_t now = lib_now_ms(), old_ms = 0;
	int i;

	for (i = 0; i < AGENT_MAX_HOME; i++) {
		struct agent_home_binding *b = &a->cn.home[i];
		int kept = b->deleted && b->keep_ms > now;
		uint64_t ms = kept ? b->keep_ms : b->last_use_ms > b->created_ms ? b->last_use_ms :
			      b->created_ms;

		if ((b->used || kept) && memcmp(b->home, home, 16) == 0)
			return b;
		if (!b->used && !kept) {
			if (!f)
				f = b;
			continue;
		}
		if (!old || (kept && !old->deleted) || (kept == old->deleted && ms < old_ms)) {
			old = b;
			old_ms = ms;
		}
	}
	if (!create)
		return NULL;
	if (!f) {
		f = old;
		a->cnt.bu_evicted++;
		/* A live binding evicted leaves the kernel's table too. */
		if (f->used)
			agent_fast_home_gone(a, f);
	}
	memset(f, 0, sizeof(*f));
	memcpy(f->home, home, 16);
	f->created_ms = now;
	return f;
}

static void
on_bu(struct agent *a, const uint8_t src[16], const uint8_t me[16], const struct mip6_msg *m,
      const uint8_t *mh, size_t mhlen)
{
	const uint8_t *home = src, *coa = src;
	const struct agent_nonce *hn, *cn = NULL;
	uint8_t htok[MIP6_TOKEN_LEN], ctok[MIP6_TOKEN_LEN], kbm[MIP6_KBM_LEN], auth[MIP6_AUTH_LEN];
	const struct mip6_vso *conn = find_vso(&m->opts, WIRE_VSO_CONN);
	uint16_t granted, cport = 0, dport = 0;
	uint64_t now = lib_now_ms();
	int deleting, direct;

	if (m->opts.present & MIP6_OPTF(MIP6_OPT_ALTCOA))
		coa = m->opts.alt_coa;
	deleting = m->bu.lifetime == 0 || memcmp(coa, home, 16) == 0;
	if (m->bu.flags & MIP6_BU_F_H) {
		/* A home registration: we are no home agent. */
		reject(a, "BU with H flag: home registration not supported");
		send_ba(a, me, home, coa, MIP6_BA_HOME_REG_UNSUPPORTED, m->bu.seq, 0, NULL, conn, 0);
		return;
	}
	if (!(m->opts.present & MIP6_OPTF(MIP6_OPT_NONCE)) ||
	    !(m->opts.present & MIP6_OPTF(MIP6_OPT_AUTH))) {
		reject(a, "BU without Nonce Indices or Binding Authorization Data (discarded)");
		return;
	}
	if (wire_vso_conn_find(&m->opts, &cport, &dport) < 0) {
		reject(a, "BU with a malformed connection option (discarded)");
		return;
	}
	hn = nonce_get(a, m->opts.home_nonce_idx);
	if (!deleting)
		cn = nonce_get(a, m->opts.coa_nonce_idx);
	if (!hn || (!deleting && !cn)) {
		uint8_t st = !hn && !deleting && !cn ? MIP6_BA_EXPIRED_NONCES :
			     !hn ? MIP6_BA_EXPIRED_HOME_NONCE : MIP6_BA_EXPIRED_COA_NONCE;
		reject(a, "BU with an unknown or expired nonce index");
		send_ba(a, me, home, coa, st, m->bu.seq, 0, NULL, conn, 0);
		return;
	}
	mip6_keygen_token(a->cn.kcn, home, hn->nonce, 0, htok);
	if (!deleting)
		mip6_keygen_token(a->cn.kcn, coa, cn->nonce, 1, ctok);
	mip6_kbm(htok, deleting ? NULL : ctok, kbm);
	if (mip6_bu_authenticator(kbm, coa, me, mh, mhlen, m->opts.auth_off, auth) < 0 ||
	    memcmp(auth, mh + m->opts.auth_off, MIP6_AUTH_LEN) != 0) {
		/* RFC 6275 9.5.1: silently discard. */
		reject(a, "BU with a wrong authenticator (discarded)");
		return;
	}
	granted = m->bu.lifetime;
	if (granted > MIP6_MAX_RR_BINDING_LIFETIME / 4)
		granted = MIP6_MAX_RR_BINDING_LIFETIME / 4;
	direct = !deleting;

	if (conn) {
		struct agent_conn_key k;
		struct agent_conn_binding *c;
		int created = 0;

		memset(&k, 0, sizeof(k));
		memcpy(k.home, home, 16);
		memcpy(k.client, me, 16);
		k.client_port = cport;
		k.home_port = dport;
		c = lib_tab_lookup(a->cn.conns, &k);
		/* A kept entry (deleted or expired) still holds its number. */
		if (c && !mip6_seq_newer(m->bu.seq, c->seq)) {
			reject(a, "BU with an old sequence number");
			send_ba(a, me, home, coa, MIP6_BA_SEQ_OUT_OF_WINDOW, c->seq, 0, kbm, conn, 0);
			return;
		}
		if (deleting) {
			if (c && !c->deleted) {
				conn_end(a, c, now);
				a->cnt.bu_deleted++;
			}
			if (c)
				c->seq = m->bu.seq;
		} else {
			if (c && memcmp(c->coa, coa, 16) != 0) {
				/* Moves to another care-of address: counted there. */
				quota_add(a, c->coa, 1, -1);
				quota_add(a, coa, 1, 1);
				memcpy(c->coa, coa, 16);
			}
			if (!c || c->deleted) {
				if (!c)
					c = conn_new(a, &k, coa);
				if (!c) {
					reject(a, "binding cache full");
					send_ba(a, me, home, coa, MIP6_BA_NO_RESOURCES, m->bu.seq, 0, kbm,
						conn, 0);
					return;
				}
				/* New, or a kept entry made live again: all but
				 * its key and care-of address start afresh. */
				memset((uint8_t *)c + offsetof(struct agent_conn_binding, seq), 0,
				       sizeof(*c) - offsetof(struct agent_conn_binding, seq));
				created = 1;
			}
			if (created)
				c->created_ms = now;
			if (!created)
				a->cnt.bu_refreshed++;
			c->seq = m->bu.seq;
			c->life_s = (uint16_t)(granted * 4u);
			c->expires_ms = now + granted * 4000ull;
			/* A refresh does not extend an ending connection's binding. */
			if (c->rst_ms && c->expires_ms > c->rst_ms + AGENT_RST_LINGER_MS)
				c->expires_ms = c->rst_ms + AGENT_RST_LINGER_MS;
			if (c->fin_ms && c->expires_ms > c->fin_ms + AGENT_FIN_LINGER_MS)
				c->expires_ms = c->fin_ms + AGENT_FIN_LINGER_MS;
			c->brr_ms = 0;
			a->cnt.bu_accepted++;
			agent_fast_conn(a, c);
		}
	} else {
		struct agent_home_binding *b = home_find(a, home, 0);

		if (b && !mip6_seq_newer(m->bu.seq, b->seq)) {
			reject(a, "BU with an old sequence number");
			send_ba(a, me, home, coa, MIP6_BA_SEQ_OUT_OF_WINDOW, b->seq, 0, kbm, NULL, 0);
			return;
		}
		if (deleting) {
			if (b && b->used) {
				agent_fast_home_gone(a, b);
				b->used = 0;
				b->deleted = 1;
				b->keep_ms = now + MIP6_MAX_NONCE_LIFETIME * 1000ull;
				a->cnt.bu_deleted++;
			}
			if (b)
				b->seq = m->bu.seq;
		} else {
			if (!b)
				b = home_find(a, home, 1);
			else if (b->used && memcmp(b->coa, coa, 16) == 0 && b->seq)
				a->cnt.bu_refreshed++;
			b->used = 1;
			b->deleted = 0;
			memcpy(b->coa, coa, 16);
			memcpy(b->me, me, 16);
			b->seq = m->bu.seq;
			b->life_s = (uint16_t)(granted * 4u);
			b->expires_ms = now + granted * 4000ull;
			b->brr_ms = 0;
			a->cnt.bu_accepted++;
			agent_fast_home(a, b);
		}
	}
	if (m->bu.flags & MIP6_BU_F_A)
		send_ba(a, me, home, coa, MIP6_BA_ACCEPTED, m->bu.seq, granted, kbm, conn, direct);
}

static void
send_be(struct agent *a, const uint8_t to[16], const uint8_t me[16], uint8_t status,
	const uint8_t home[16])
{
	struct mip6_msg m;

	if (!rate_ok(a, &a->cn.err_rate, AGENT_ERR_RATE))
		return;
	init_msg(&m, MIP6_MH_BE);
	m.be.status = status;
	memcpy(m.be.home, home, 16);
	send_raw(a, to, &m, NULL, NULL, me);
}

/* One Mobility Header addressed to us (src, me). */
void
agent_cn_rx_mh(struct agent *a, const uint8_t src[16], const uint8_t me[16], const uint8_t *mh,
	       size_t mhlen)
{
	struct mip6_msg m;	/* 1.2 KB */
	const char *why = "malformed Mobility Header";
	int r;

	if (!mip6_csum_ok(src, me, mh, mhlen)) {
		lib_verdict(&a->verdicts, "Mobility Header with a bad checksum");
		return;
	}
	r = mip6_msg_decode(&m, mh, mhlen, &why);
	if (r == -EPROTONOSUPPORT) {
		/* RFC 6275 9.2: unknown MH type -> Binding Error status 2. */
		lib_verdict(&a->verdicts, "unknown Mobility Header type");
		send_be(a, src, me, MIP6_BE_UNKNOWN_MH, src);
		return;
	}
	if (r < 0) {
		lib_verdict(&a->verdicts, why);
		return;
	}
	if (a->standard)
		/* RFC 6275 6.2.1: options a node does not understand are
		 * skipped; a standard node knows no vendor option. */
		m.opts.n_vso = 0;
	a->cnt.rx[m.type]++;
	switch (m.type) {
	case MIP6_MH_HOTI:
	case MIP6_MH_COTI:
		on_init(a, src, me, &m);
		break;
	case MIP6_MH_BU:
		on_bu(a, src, me, &m, mh, mhlen);
		break;
	default:
		/* HoT, CoT, BA, BRR and BE are for mobile nodes. */
		lib_verdict(&a->verdicts, "Mobility Header type a correspondent node does not take");
		break;
	}
}

static void
mh_cb(uv_poll_t *h, int status, int events)
{
	struct agent *a = h->data;
	int i;

	LIB_UNUSED(events);
	if (status < 0)
		return;
	for (i = 0; i < 64; i++) {
		uint8_t *buf = a->cn.rxbuf;
		union {
			struct cmsghdr hdr;
			uint8_t b[CMSG_SPACE(sizeof(struct in6_pktinfo))];
		} cbuf;
		struct sockaddr_in6 from;
		struct iovec iov = { buf, sizeof(a->cn.rxbuf) };
		struct msghdr msg = { &from, sizeof(from), &iov, 1, &cbuf, sizeof(cbuf), 0 };
		struct cmsghdr *c;
		const uint8_t *me = NULL;
		ssize_t n = recvmsg(a->cn.mh_fd, &msg, MSG_DONTWAIT);

		if (n < 0)
			return;
		for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
			if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO)
				me = ((struct in6_pktinfo *)CMSG_DATA(c))->ipi6_addr.s6_addr;
		if (!me || (msg.msg_flags & MSG_TRUNC)) {
			lib_verdict(&a->verdicts, "Mobility Header without destination or truncated");
			continue;
		}
		agent_cn_rx_mh(a, from.sin6_addr.s6_addr, me, buf, (size_t)n);
	}
}

/* ---- per packet ------------------------------------------------------------------------ */

uint8_t *
agent_cn_outbound(struct agent *a, uint8_t *frame, size_t *flen)
{
	struct wire_vnet_hdr vh;
	struct wire_pkt pk;
	const char *why = NULL;
	uint8_t *pkt = frame + WIRE_VNET_HDR_LEN;
	size_t len = *flen - WIRE_VNET_HDR_LEN;
	const uint8_t *coa = NULL;
	uint8_t coa_buf[16];
	uint64_t now;
	ssize_t nl;

	if (wire_ip6_parse(&pk, pkt, len, &why) < 0)
		return frame;	/* not ours to judge: the kernel will */
	/* Return routability and BAs travel as addressed (a HoT must reach
	 * the home address through the routing stack). */
	if (pk.proto == WIRE_PROTO_MH || pk.rh_off)
		return frame;
	now = lib_now_ms();
	if (pk.proto == WIRE_PROTO_TCP && pk.tcp_hlen) {
		struct agent_conn_key k;
		struct agent_conn_binding *c;

		memcpy(k.home, pk.dst, 16);
		memcpy(k.client, pk.src, 16);
		k.home_port = pk.dport;
		k.client_port = pk.sport;
		c = lib_tab_lookup(a->cn.conns, &k);
		if (c && c->deleted)
			c = NULL;
		if (c && ((pk.tcp_flags & (WIRE_TCP_SYN | WIRE_TCP_ACK)) == WIRE_TCP_SYN ||
			  (c->rst_ms && !(pk.tcp_flags & WIRE_TCP_RST)))) {
			/* A new connection on the ports of a bound one (the binding
			 * was for the old connection only), or more than RSTs after
			 * the client's RST (counted as ended then). */
			if (!c->rst_ms)
				a->cnt.conn_ended++;
			conn_end(a, c, now);
			c = NULL;
		}
		if (c && c->expires_ms > now) {
			memcpy(coa_buf, c->coa, 16);
			coa = coa_buf;
			c->pkts++;
			c->bytes += len;
			c->last_use_ms = now;
			if ((pk.tcp_flags & WIRE_TCP_RST) && !c->rst_ms) {
				/* This one goes direct, and for a moment the RSTs the
				 * client's kernel sends to segments still in flight;
				 * anything else, or the end of that moment, ends it. */
				c->rst_ms = now;
				if (c->expires_ms > now + AGENT_RST_LINGER_MS)
					c->expires_ms = now + AGENT_RST_LINGER_MS;
				a->cnt.conn_ended++;
				agent_fast_conn(a, c);
			} else if ((pk.tcp_flags & WIRE_TCP_FIN) && !c->fin_ms) {
				c->fin_ms = now;
				if (c->expires_ms > now + AGENT_FIN_LINGER_MS) {
					c->expires_ms = now + AGENT_FIN_LINGER_MS;
					a->cnt.conn_ended++;
					agent_fast_conn(a, c);
				}
			}
		}
	}
	if (!coa) {
		int i;
		for (i = 0; i < AGENT_MAX_HOME; i++) {
			struct agent_home_binding *b = &a->cn.home[i];
			if (b->used && b->expires_ms > now && memcmp(b->home, pk.dst, 16) == 0) {
				coa = b->coa;
				b->pkts++;
				b->bytes += len;
				b->last_use_ms = now;
				break;
			}
		}
	}
	if (!coa)
		return frame;
	wire_vnet_decode(&vh, frame);
	nl = wire_rh2_insert(pkt, len, coa, &vh);
	if (nl < 0)
		return frame;
	pkt -= WIRE_RH2_LEN;
	wire_vnet_encode(&vh, pkt - WIRE_VNET_HDR_LEN);
	a->cnt.direct_pkts++;
	a->cnt.direct_bytes += (uint64_t)nl;
	*flen = (size_t)nl + WIRE_VNET_HDR_LEN;
	return pkt - WIRE_VNET_HDR_LEN;
}

/*
 * A packet from a standard mobile node: source = care-of address, Home
 * Address option = home address.  The kernel (no MIPv6) would drop it, so
 * nftables steers it here.  With a binding for that home address at that
 * care-of address, the source becomes the home address, the option goes, and
 * the packet is handed back to the kernel; a BU (the MN's own) is taken as
 * is; anything else gets a Binding Error (status 1) as RFC 6275 9.3.1 says.
 */
void
agent_cn_inbound_hao(struct agent *a, uint8_t *frame, size_t flen)
{
	struct wire_pkt pk;
	const char *why = "malformed packet";
	uint8_t *pkt = frame + WIRE_VNET_HDR_LEN;
	size_t len = flen - WIRE_VNET_HDR_LEN;
	uint8_t home[16], coa[16], me[16];
	struct agent_home_binding *b;

	if (wire_ip6_parse(&pk, pkt, len, &why) < 0) {
		lib_verdict(&a->verdicts, why);
		return;
	}
	if (!pk.hao) {
		/* Other destination options are the kernel's business: hand the
		 * packet back unchanged (from the TUN it carries no mark). */
		if (write(a->tun_fd, frame, flen) < 0)
			lib_verdict(&a->verdicts, "TUN write failed");
		return;
	}
	a->cnt.hao_in++;
	memcpy(home, pk.hao, 16);
	memcpy(coa, pk.src, 16);
	memcpy(me, pk.dst, 16);
	if (pk.proto == WIRE_PROTO_MH && (size_t)pk.l4_off + MIP6_HDR_LEN <= len &&
	    pkt[pk.l4_off + 2] == MIP6_MH_BU) {
		size_t mhlen = (size_t)pk.payload_len + WIRE_IP6_HDR_LEN - pk.l4_off;
		if (pk.l4_off + mhlen > len) {
			lib_verdict(&a->verdicts, "truncated Mobility Header");
			return;
		}
		/* The BU's authenticator covers the care-of address (the
		 * source); the checksum covers the home address. */
		if (!mip6_csum_ok(home, me, pkt + pk.l4_off, mhlen)) {
			lib_verdict(&a->verdicts, "Mobility Header with a bad checksum");
			return;
		}
		{
			struct mip6_msg m;	/* 1.2 KB */
			if (mip6_msg_decode(&m, pkt + pk.l4_off, mhlen, &why) < 0) {
				lib_verdict(&a->verdicts, why);
				return;
			}
			if (a->standard)
				m.opts.n_vso = 0;	/* unknown options: skipped */
			if (!(m.opts.present & MIP6_OPTF(MIP6_OPT_ALTCOA))) {
				m.opts.present |= MIP6_OPTF(MIP6_OPT_ALTCOA);
				memcpy(m.opts.alt_coa, coa, 16);
			}
			a->cnt.rx[MIP6_MH_BU]++;
			on_bu(a, home, me, &m, pkt + pk.l4_off, mhlen);
		}
		return;
	}
	b = home_find(a, home, 0);
	if (!b || !b->used || memcmp(b->coa, coa, 16) != 0 || b->expires_ms <= lib_now_ms()) {
		lib_verdict(&a->verdicts, "Home Address option without a binding");
		send_be(a, coa, me, MIP6_BE_UNKNOWN_HAO, home);
		return;
	}
	/* Drop the Destination Options header that holds the HAO (after a
	 * Hop-by-Hop header, a first Destination Options header or a Routing
	 * header, RFC 6275 6.3), whichever it is; the headers before it move
	 * up, the one before it names what followed it. */
	{
		size_t off = WIRE_IP6_HDR_LEN, prev = 6, dlen = 0;
		uint8_t nh = pkt[6];
		uint16_t plen;

		while (off + 2 <= len && (nh == WIRE_PROTO_HOPOPTS || nh == WIRE_PROTO_ROUTING ||
					  nh == WIRE_PROTO_DSTOPTS)) {
			dlen = ((size_t)pkt[off + 1] + 1) * 8;
			if (off + dlen > len)
				break;
			if (nh == WIRE_PROTO_DSTOPTS && pk.hao_off >= off && pk.hao_off < off + dlen)
				break;
			prev = off;
			nh = pkt[off];
			off += dlen;
			dlen = 0;
		}
		if (!dlen || off + dlen > len || nh != WIRE_PROTO_DSTOPTS ||
		    dlen > pk.payload_len) {
			lib_verdict(&a->verdicts, "Home Address option in no Destination Options header");
			return;
		}
		plen = (uint16_t)(pk.payload_len - dlen);
		memcpy(pkt + 8, home, 16);
		pkt[4] = (uint8_t)(plen >> 8);
		pkt[5] = (uint8_t)plen;
		pkt[prev] = pkt[off];
		memmove(pkt + dlen, pkt, off);
		pkt += dlen;
		memset(pkt - WIRE_VNET_HDR_LEN, 0, WIRE_VNET_HDR_LEN);
		if (write(a->tun_fd, pkt - WIRE_VNET_HDR_LEN, len - dlen + WIRE_VNET_HDR_LEN) < 0)
			lib_verdict(&a->verdicts, "TUN write failed");
	}
}

/* ---- housekeeping ------------------------------------------------------------------------- */

struct tick_ctx {
	struct agent *a;
	uint64_t now;
};

static int
tick_conn(void *entry, void *arg)
{
	struct agent_conn_binding *c = entry;
	struct tick_ctx *t = arg;
	uint64_t life_ms = c->life_s * 1000ull, every_ms = life_ms / 8;
	struct mip6_msg m;

	if (c->deleted) {
		if (c->keep_ms > t->now)
			return 0;
		/* Every nonce it could have used has expired: forget it. */
		quota_add(t->a, c->key.home, 0, -1);
		quota_add(t->a, c->coa, 1, -1);
		return 1;
	}
	if (agent_fast_sync_conn(t->a, c)) {
		/* The client ended the connection (the kernel path saw it). */
		conn_end(t->a, c, t->now);
		t->a->cnt.conn_ended++;
		return 0;
	}
	if (c->expires_ms <= t->now) {
		conn_end(t->a, c, t->now);	/* expired: kept a while */
		return 0;
	}
	if (c->fin_ms || c->rst_ms)
		return 0;	/* the connection is ending: no refresh */
	/* RFC 6275 9.5.5: a binding about to expire (in the last quarter of
	 * the lifetime it was granted) and in use (a packet within 10 s): ask
	 * the mobile node (through the target, claim 1) for a new Binding
	 * Update; again every eighth of the lifetime (1..10 s) until one
	 * comes. */
	if (every_ms < 1000)
		every_ms = 1000;
	if (every_ms > 10000)
		every_ms = 10000;
	if (c->expires_ms - t->now < life_ms / 4 + 1000 &&
	    t->now - c->last_use_ms < 10000 && t->now - c->brr_ms > every_ms) {
		init_msg(&m, MIP6_MH_BRR);
		wire_vso_conn_add(&m.opts, c->key.client_port, c->key.home_port);
		send_rh2(t->a, c->key.client, c->coa, c->key.home, &m, NULL);
		c->brr_ms = t->now;
	}
	return 0;
}

void
agent_cn_tick(struct agent *a)
{
	struct tick_ctx t = { a, lib_now_ms() };
	const struct agent_nonce *cur = &a->cn.nonces[a->cn.nonce_idx % AGENT_NONCES];
	int i;

	if (!cur->used || t.now - cur->created_ms >= AGENT_NONCE_EVERY_MS)
		nonce_new(a);
	lib_tab_foreach(a->cn.conns, tick_conn, &t);
	for (i = 0; i < AGENT_MAX_HOME; i++) {
		struct agent_home_binding *b = &a->cn.home[i];
		uint64_t life_ms = b->life_s * 1000ull, every_ms = life_ms / 8;
		struct mip6_msg m;

		if (b->deleted && b->keep_ms <= t.now)
			b->deleted = 0;		/* its nonces have expired: forgotten */
		if (!b->used)
			continue;
		agent_fast_sync_home(a, b);
		if (b->expires_ms <= t.now) {
			agent_fast_home_gone(a, b);
			/* Expired: kept a while with its sequence number. */
			b->used = 0;
			b->deleted = 1;
			b->keep_ms = t.now + MIP6_MAX_NONCE_LIFETIME * 1000ull;
			continue;
		}
		/* RFC 6275 9.5.5, as for a per-connection binding: a binding in
		 * use about to expire gets a Binding Refresh Request (a standard
		 * one: no option), through the care-of address. */
		if (every_ms < 1000)
			every_ms = 1000;
		if (every_ms > 10000)
			every_ms = 10000;
		if (b->expires_ms - t.now < life_ms / 4 + 1000 && t.now - b->last_use_ms < 10000 &&
		    t.now - b->brr_ms > every_ms) {
			init_msg(&m, MIP6_MH_BRR);
			send_rh2(a, b->me, b->coa, b->home, &m, NULL);
			b->brr_ms = t.now;
		}
	}
}

/* ---- set-up ----------------------------------------------------------------------------------- */

int
agent_cn_init(struct agent *a, size_t conns_max)
{
	struct agent_cn *c = &a->cn;

	memset(c, 0, sizeof(*c));
	c->mh_fd = -1;
	if (getrandom(c->kcn, sizeof(c->kcn), 0) != sizeof(c->kcn))
		return -EIO;
	nonce_new(a);
	c->conns = lib_tab_new(conns_max, sizeof(struct agent_conn_key),
			       sizeof(struct agent_conn_binding));
	c->quota = lib_tab_new(2 * conns_max, sizeof(struct agent_quota_key),
			       sizeof(struct agent_quota));
	if (!c->conns || !c->quota) {
		agent_cn_fini(a);
		return -ENOMEM;
	}
	c->quota_max = (uint32_t)(conns_max / AGENT_QUOTA_DIV);
	if (!c->quota_max)
		c->quota_max = 1;
	c->err_rate.tokens = AGENT_ERR_RATE;
	c->err_rate.ms = lib_now_ms();
	c->rr_rate.tokens = AGENT_RR_RATE;
	c->rr_rate.ms = c->err_rate.ms;
	return 0;
}

int
agent_cn_start(struct agent *a)
{
	struct agent_cn *c = &a->cn;
	int on = 1, off = 4;

	/* Receives HoTI, CoTI and BU (with no such socket the kernel answers
	 * ICMPv6 Parameter Problem); the kernel checksums what we send. */
	c->mh_fd = socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_MH);
	if (c->mh_fd < 0)
		return -errno;
	if (setsockopt(c->mh_fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof(on)) < 0 ||
	    setsockopt(c->mh_fd, IPPROTO_IPV6, IPV6_CHECKSUM, &off, sizeof(off)) < 0)
		return -errno;
	uv_poll_init(a->loop, &c->mh_poll, c->mh_fd);
	c->mh_poll_init = 1;
	c->mh_poll.data = a;
	uv_poll_start(&c->mh_poll, UV_READABLE, mh_cb);
	return 0;
}

void
agent_cn_stop(struct agent *a)
{
	struct agent_cn *c = &a->cn;

	if (c->mh_poll_init) {
		uv_poll_stop(&c->mh_poll);
		c->mh_poll_init = 0;
	}
	if (c->mh_fd >= 0)
		close(c->mh_fd);
	c->mh_fd = -1;
}

void
agent_cn_fini(struct agent *a)
{
	lib_tab_destroy(&a->cn.conns);
	lib_tab_destroy(&a->cn.quota);
}
