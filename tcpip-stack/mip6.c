/*
 * mip6.c - Mobile IPv6 distributor bypass, the stack side (claim 1 of US
 * 7,886,076).  The routing stack plays the mobile node of the DVIPA (the home
 * address); a target's DYNAMICXCF address is the care-of address; the client
 * (client-agent) is the correspondent node.
 *
 *   target reports the connection established (TGT_CONN)        -> VCRT EST
 *   routing stack: HoTI  src DVIPA       -> client -> HoT back to the DVIPA
 *   routing stack: CoTI  src target CoA  -> client -> CoT to the target, which
 *                  forwards a copy (MIP6_COPY, asked for by WIRE_VSO_COPYTO;
 *                  a standard node does not echo it: the target finds the
 *                  routing stack from the DVIPAs it serves)
 *   both tokens in: BU src DVIPA, Alternate CoA = target, per-connection
 *                  (WIRE_VSO_CONN), Nonce Indices, Authorization Data
 *   client: BA directly to the target (RH2, home = DVIPA) -> copy to the
 *                  routing stack -> VCRT bypass BOUND -> BIND_INFO to target
 *   connection ended: BU lifetime 0 deletes the client's entry
 *   target lost: BU with care-of = home = DVIPA (and lifetime 0)
 *   client BRR (via the target) -> fresh return routability, new BU
 *
 * A standard RFC 6275 correspondent node (it does not echo COPYTO in its
 * CoT) gets one binding per (client, DVIPA) instead, with plain BUs: see
 * "per-home-address bindings" below.  Each client's kind is kept in
 * s->mip6.peers, each such binding in s->mip6.homes.
 *
 * Sequence numbers: one counter per binding, i.e. per (client, DVIPA): the
 * client keeps its binding cache entries by home address (the DVIPA), and
 * every BU for that pair (per-connection or per-home-address, refresh or
 * deletion) is compared with the entry's last number (RFC 6275 9.5.1).  A
 * counter starts at a random number (getrandom), so one who sees none of
 * our BUs to a client cannot guess the next, and what one client sees tells
 * nothing of another's.  It is kept newer, in the serial-number arithmetic
 * of RFC 6275 11.7.1 (mip6_seq_newer), than the last sequence number of a
 * binding learned from a target's report (a binding another routing stack
 * made: takeover, takeback, DEACTIVATE, LEAVEGROUP), so the client accepts
 * our refreshes and deletions of it.  Counters unused for longer than any
 * binding lives (SEQ_KEEP_MS) are dropped when the table is full; a new one
 * starts at a random number again.  A client that still answers "sequence number out of
 * window" (status 135, with its last accepted number) gets the BU again,
 * numbered after that: once for a deletion, within the usual tries for a
 * binding.
 *
 * Tokens are cached per (client, tested address) while younger than
 * STACK_TOKEN_USE_S, so later connections of the same client reuse them.
 * Every packet is built here and written into the TUN (the kernel routes it
 * out of the LAN); checksums and authenticators are computed here.
 *
 * No event and no tick walks the VCRT: the connections with pending work
 * are indexed by client and their retries and refreshes are keys in a timer
 * wheel (see "pending work" below).
 *
 * State: struct stack_mip6 (stack.h): the return routability tests, the
 * deletions waiting for a token and those sent lately, the BU sequence
 * counter, the clients' kinds, the per-home-address bindings, the indexes
 * of pending work and their timer wheel, the counters.  Level 4 of
 * tcpip-stack/ (stack.h): calls tgt.c (a target's entry for a binding it is
 * told of), bus.c and dvipa.c.
 */
#include "tcpip-stack/stack.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#define STACK_TOKEN_USE_S 180		/* < MAX_TOKEN_LIFETIME (210 s) */
#define STACK_RETRY_MS 1000
#define STACK_MIP6_CLIENTS_MAX 65536	/* clients with entries in an index at once */
#define MIP6_TICK_MS 100		/* the wheel's slot */
#define MIP6_RETRY_TICK_MS 500		/* a waiting connection is looked at this often */

/* A timer wheel key: the connection and the tick it was scheduled for (a
 * node whose tick is not the entry's mip6_tick any more is stale). */
struct mip6_due {
	struct vipa_conn_key k;
	uint32_t tick;
};
#define STACK_MAX_TRIES 5
#define RECENT_DEL_MS 10000		/* how long a deletion may be refused and retried */
/* A binding's sequence counter outlives any binding it numbered. */
#define SEQ_KEEP_MS (2 * 1000ull * MIP6_MAX_RR_BINDING_LIFETIME)

/* The binding lifetime this stack asks for (IPCONFIG6 MIP6BINDLIFETIME). */
static unsigned
bind_life_s(const struct stack *s)
{
	return s->prof.bindlife ? s->prof.bindlife : MIP6_MAX_RR_BINDING_LIFETIME;
}

int
stack_mip6_init(struct stack *s)
{
	size_t ids;

	memset(&s->mip6, 0, sizeof(s->mip6));
	s->mip6.peers = lib_tab_new(STACK_MIP6_PEERS_MAX, 16, sizeof(struct stack_mip6_peer));
	s->mip6.homes = lib_tab_new(STACK_MIP6_HOMES_MAX, sizeof(struct stack_mip6_home_key),
				    sizeof(struct stack_mip6_home));
	s->mip6.seqs = lib_tab_new(STACK_MIP6_SEQ_MAX, sizeof(struct stack_mip6_home_key),
				   sizeof(struct stack_mip6_seq));
	ids = s->vcrt ? vipa_vcrt_capacity(s->vcrt) : STACK_VCRT_MAX;
	s->mip6.waiting = vipa_cidx_new(ids, STACK_MIP6_CLIENTS_MAX);
	s->mip6.byclient = vipa_cidx_new(ids, STACK_MIP6_CLIENTS_MAX);
	/* 100 ms slots over 102 s; a refresh due later (up to 7/8 of 420 s)
	 * waits on the last slot and is put back, as the wheel does. */
	s->mip6.wheel = lib_wheel_new(1024, MIP6_TICK_MS, sizeof(struct mip6_due), ids, lib_now_ms());
	/* Entries loaded from SQLite are looked at once. */
	s->mip6.sweep = 1;
	if (!s->mip6.peers || !s->mip6.homes || !s->mip6.seqs || !s->mip6.waiting ||
	    !s->mip6.byclient || !s->mip6.wheel) {
		stack_mip6_fini(s);
		return -ENOMEM;
	}
	return 0;
}

void
stack_mip6_fini(struct stack *s)
{
	lib_tab_destroy(&s->mip6.peers);
	lib_tab_destroy(&s->mip6.homes);
	lib_tab_destroy(&s->mip6.seqs);
	vipa_cidx_destroy(&s->mip6.waiting);
	vipa_cidx_destroy(&s->mip6.byclient);
	lib_wheel_destroy(&s->mip6.wheel);
}

/* ---- BU sequence numbers: one counter per binding (client, DVIPA) ----------------- */

/* A number no one can guess, never 0 (0 means "none" in reports). */
static uint16_t
seq_random(const struct stack *s)
{
	uint16_t v = 0;

	if (s->mip6.bu_seq_start)
		return s->mip6.bu_seq_start;	/* unit tests: numbering from a known start */
	while (!v)
		if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != sizeof(v))
			v = (uint16_t)(lib_now_ns() | 1);
	return v;
}

static int
seq_stale(void *entry, void *arg)
{
	const struct stack_mip6_seq *q = entry;

	return lib_now_ms() - q->used_ms > *(const uint64_t *)arg;
}

/* The counter of the binding (client, dvipa), made (random start) when
 * there is none; NULL when the table is full of counters still in use. */
static struct stack_mip6_seq *
seq_get(struct stack *s, const uint8_t client[16], const uint8_t dvipa[16])
{
	struct stack_mip6_home_key k;
	struct stack_mip6_seq *q;
	int created;

	memset(&k, 0, sizeof(k));
	memcpy(k.dvipa, dvipa, 16);
	memcpy(k.client, client, 16);
	q = lib_tab_insert(s->mip6.seqs, &k, &created);
	if (!q) {
		uint64_t keep = SEQ_KEEP_MS;

		lib_tab_foreach(s->mip6.seqs, seq_stale, &keep);
		q = lib_tab_insert(s->mip6.seqs, &k, &created);
		if (!q)
			return NULL;
	}
	if (created)
		q->next = seq_random(s);
	q->used_ms = lib_now_ms();
	return q;
}

/* The sequence number of our next BU for the binding (client, dvipa). */
static uint16_t
seq_take(struct stack *s, const uint8_t client[16], const uint8_t dvipa[16])
{
	struct stack_mip6_seq *q = seq_get(s, client, dvipa);
	uint16_t v;

	if (!q)
		return seq_random(s);	/* the client answers 135 if it is too old */
	v = q->next++;
	if (!q->next)
		q->next = 1;
	return v;
}

uint16_t
stack_mip6_seq_next(struct stack *s, const uint8_t client[16], const uint8_t dvipa[16])
{
	struct stack_mip6_seq *q = seq_get(s, client, dvipa);

	return q ? q->next : 0;
}

/* ---- the kind of correspondent node of each client -------------------------------- */

static int
peer_forget_old(void *entry, void *arg)
{
	const struct stack_mip6_peer *p = entry;

	return lib_now_ms() - p->seen_ms > *(const uint64_t *)arg;
}

static void
peer_learn(struct stack *s, const uint8_t client[16], int kind)
{
	struct stack_mip6_peer *p = lib_tab_insert(s->mip6.peers, client, NULL);

	if (!p) {
		/* Full: forget the clients not heard from for ten minutes. */
		uint64_t age = 600000;

		lib_tab_foreach(s->mip6.peers, peer_forget_old, &age);
		p = lib_tab_insert(s->mip6.peers, client, NULL);
	}
	if (!p)
		return;
	if (p->kind != kind && p->kind != STACK_CN_UNKNOWN) {
		char a[64];

		log_info("MIP6 correspondent node %s is now %s (was %s)",
			 lib_ip6_str(client, a, sizeof(a)), stack_mip6_cn_kind_name(kind),
			 stack_mip6_cn_kind_name(p->kind));
	}
	p->kind = (uint8_t)kind;
	p->seen_ms = lib_now_ms();
}

int
stack_mip6_cn_kind(struct stack *s, const uint8_t client[16])
{
	const struct stack_mip6_peer *p = lib_tab_lookup(s->mip6.peers, client);

	return p ? p->kind : STACK_CN_UNKNOWN;
}

const char *
stack_mip6_cn_kind_name(int kind)
{
	return kind == STACK_CN_AGENT ? "AGENT" : kind == STACK_CN_STANDARD ? "STANDARD" : "UNKNOWN";
}

/* ---- building and sending ----------------------------------------------------- */

static int
send_mh(struct stack *s, const uint8_t src[16], const uint8_t dst[16], const struct mip6_msg *m,
	const uint8_t *kbm, const uint8_t *auth_coa)
{
	uint8_t *pkt = s->mip6.pkt, *ip = pkt + WIRE_VNET_HDR_LEN, *mh = ip + WIRE_IP6_HDR_LEN;
	ssize_t n = mip6_msg_encode(m, mh, MIP6_MAX_LEN);

	if (n < 0) {
		lib_verdict(&s->bus_verdicts, "cannot encode a Mobility Header");
		return -EINVAL;
	}
	if (kbm) {
		int off = mip6_auth_off(mh, (size_t)n);
		if (off < 0 || mip6_bu_authenticator(kbm, auth_coa, dst, mh, (size_t)n, (size_t)off,
						     mh + off) < 0)
			return -EINVAL;
	}
	mip6_csum_set(src, dst, mh, (size_t)n);
	memset(pkt, 0, WIRE_VNET_HDR_LEN);
	wire_ip6_hdr_encode(ip, WIRE_IP6_HDR_LEN, src, dst, WIRE_PROTO_MH, (uint16_t)n);
	if (write(s->tun_fd, pkt, WIRE_VNET_HDR_LEN + WIRE_IP6_HDR_LEN + (size_t)n) < 0) {
		lib_verdict(&s->tun_verdicts, "TUN write of a Mobility Header failed");
		return -errno;
	}
	s->mip6.tx[m->type <= MIP6_MH_TYPE_MAX ? m->type : 0]++;
	return 0;
}

/* ---- return routability (the routing stack as mobile node) ----------------------- */

static struct stack_mip6_rr *
rr_find(struct stack *s, const uint8_t client[16], const uint8_t addr[16], int care_of,
	int create)
{
	struct stack_mip6_rr *freee = NULL, *oldest = NULL;
	int i;

	for (i = 0; i < STACK_MIP6_RR_MAX; i++) {
		struct stack_mip6_rr *e = &s->mip6.rr[i];
		if (!e->used) {
			if (!freee)
				freee = e;
			continue;
		}
		if (e->care_of == care_of && memcmp(e->client, client, 16) == 0 &&
		    memcmp(e->addr, addr, 16) == 0)
			return e;
		if (!oldest || e->sent_ms < oldest->sent_ms)
			oldest = e;
	}
	if (!create)
		return NULL;
	if (!freee)
		freee = oldest;
	memset(freee, 0, sizeof(*freee));
	freee->used = 1;
	memcpy(freee->client, client, 16);
	memcpy(freee->addr, addr, 16);
	freee->care_of = care_of;
	return freee;
}

static int
rr_fresh(const struct stack_mip6_rr *e, uint64_t now)
{
	return e && e->have && now - e->got_ms < STACK_TOKEN_USE_S * 1000ull;
}

/* Forgets the tokens of (client, home) and (client, coa) obtained at or
 * before `before_ms` (all of them: UINT64_MAX), so that the next BU runs
 * fresh tests first.  which: 1 the home token, 2 the care-of token, 3 both. */
static void
rr_forget(struct stack *s, const uint8_t client[16], const uint8_t home[16], const uint8_t coa[16],
	  int which, uint64_t before_ms)
{
	struct stack_mip6_rr *e;

	if ((which & 1) && (e = rr_find(s, client, home, 0, 0)) && e->got_ms <= before_ms)
		e->have = 0;
	if ((which & 2) && (e = rr_find(s, client, coa, 1, 0)) && e->got_ms <= before_ms)
		e->have = 0;
}

/* Which tokens a BA status says expired (1 home, 2 care-of, 3 both; 0 none). */
static int
rr_expired_by(uint8_t status)
{
	switch (status) {
	case MIP6_BA_EXPIRED_HOME_NONCE: return 1;
	case MIP6_BA_EXPIRED_COA_NONCE: return 2;
	case MIP6_BA_EXPIRED_NONCES: return 3;
	default: return 0;
	}
}

/* Makes sure a token for (client, addr) is held or being obtained; 1 when
 * a fresh one is held. */
static int
rr_ensure(struct stack *s, const uint8_t client[16], const uint8_t dvipa[16],
	  const uint8_t addr[16], int care_of)
{
	struct stack_mip6_rr *e = rr_find(s, client, addr, care_of, 1);
	uint64_t now = lib_now_ms();
	struct mip6_msg m;

	if (rr_fresh(e, now))
		return 1;
	if (e->sent_ms && now - e->sent_ms < STACK_RETRY_MS)
		return 0;	/* a test is under way */
	if (e->sent_ms && e->tries >= STACK_MAX_TRIES && now - e->sent_ms < 10000)
		return 0;	/* the client does not answer: back off */
	if (e->tries >= STACK_MAX_TRIES)
		e->tries = 0;
	memset(&m, 0, sizeof(m));
	m.proto = WIRE_PROTO_NONE;
	m.type = care_of ? MIP6_MH_COTI : MIP6_MH_HOTI;
	if (getrandom(e->cookie, sizeof(e->cookie), 0) != sizeof(e->cookie))
		return 0;
	memcpy(e->dvipa, dvipa, 16);
	if (care_of) {
		struct mip6_vso *v = &m.opts.vso[m.opts.n_vso++];
		memcpy(m.coti.cookie, e->cookie, MIP6_COOKIE_LEN);
		/* Claim 1: the CoT must carry a mobility header asking the target
		 * to forward a copy to the routing stack. */
		v->vendor_id = WIRE_VSO_VENDOR;
		v->subtype = WIRE_VSO_COPYTO;
		v->len = 16;
		memcpy(v->bytes, dvipa, 16);
		/* Source = the target's care-of address (claim 1). */
		send_mh(s, addr, client, &m, NULL, NULL);
	} else {
		memcpy(m.hoti.cookie, e->cookie, MIP6_COOKIE_LEN);
		send_mh(s, dvipa, client, &m, NULL, NULL);
	}
	e->sent_ms = now;
	e->tries++;
	return 0;
}

static void
set_bypass(struct vipa_conn *c, uint8_t state)
{
	if (c->bypass != state) {
		c->bypass = state;
		c->bypass_ms = lib_now_ms();
	}
}

/* A BU registering care-of address coa for the client's home address
 * dvipa, under the Kbm of the tokens held for (client, dvipa) and (client,
 * coa).  With cport or dport: our vendor option WIRE_VSO_CONN (a
 * per-connection binding at our correspondent node); without: a plain RFC
 * 6275 BU (a per-home-address binding). */
static int
send_bu(struct stack *s, const uint8_t client[16], const uint8_t dvipa[16], const uint8_t coa[16],
	uint16_t seq, uint16_t cport, uint16_t dport)
{
	const struct stack_mip6_rr *h = rr_find(s, client, dvipa, 0, 0);
	const struct stack_mip6_rr *co = rr_find(s, client, coa, 1, 0);
	uint8_t kbm[MIP6_KBM_LEN];
	struct mip6_msg m;

	if (!h || !co)
		return -EINVAL;
	memset(&m, 0, sizeof(m));
	m.proto = WIRE_PROTO_NONE;
	m.type = MIP6_MH_BU;
	m.bu.seq = seq;
	m.bu.flags = MIP6_BU_F_A;
	m.bu.lifetime = (uint16_t)(bind_life_s(s) / 4);
	m.opts.present = MIP6_OPTF(MIP6_OPT_NONCE) | MIP6_OPTF(MIP6_OPT_ALTCOA) |
			 MIP6_OPTF(MIP6_OPT_AUTH);
	m.opts.home_nonce_idx = h->idx;
	m.opts.coa_nonce_idx = co->idx;
	memcpy(m.opts.alt_coa, coa, 16);
	if (cport || dport)
		wire_vso_conn_add(&m.opts, cport, dport);
	mip6_kbm(h->token, co->token, kbm);
	return send_mh(s, dvipa, client, &m, kbm, coa);
}

static void home_join(struct stack *s, struct vipa_conn *c);
static void home_try(struct stack *s, struct stack_mip6_home *h);
static struct stack_mip6_home *home_get(struct stack *s, const uint8_t client[16],
					const uint8_t dvipa[16], int create);

/* ---- pending work: indexes and a timer wheel, no walks of the VCRT ------------------
 *
 * Nothing per event or per tick walks the VCRT:
 *  - a connection waiting for a return routability test or a BA (TESTING,
 *    or a refresh under way; not under a per-home-address binding) is on
 *    its client's list in s->mip6.waiting (vipa_cidx): a HoT or CoT retries
 *    only that client's waiting connections (on_test), a standard node's
 *    BA looks only there for the BU it answers (on_ba_home);
 *  - every established connection is on its client's list in
 *    s->mip6.byclient: a per-home-address binding's walks (home_walk) meet
 *    only that client's connections;
 *  - each connection's next look (every MIP6_RETRY_TICK_MS while it waits;
 *    at 7/8 of its binding's lifetime when bound, for the refresh) is a key
 *    in the timer wheel s->mip6.wheel, and the tick handles only the keys
 *    that came due (conn_due_cb).  A key whose tick is no longer the
 *    entry's mip6_tick is stale (the entry went, or was scheduled earlier):
 *    at most one live key per connection.
 * track() puts a connection where its work will find it; it is called
 * wherever a connection starts to wait or is bound (try_bind, on_ba, a
 * report: stack_mip6_track).  Both indexes are lazy: a connection that
 * stops waiting or ends stays on its list until a walk meets it and drops
 * it (the callbacks check each entry).  When an index refuses a client
 * (more than STACK_MIP6_CLIENTS_MAX at once) or the wheel is full, the
 * walks of the whole VCRT stand in (wait_full, byclient_full) and a sweep
 * (every 500 ms at most) puts every connection back until there is room.
 * The per-home-address bindings (one per standard client and DVIPA, not
 * per connection) keep their walk twice a second (home_tick).
 */
static int
conn_waiting(const struct vipa_conn *c)
{
	return !c->per_home && (c->bypass == VIPA_BYPASS_TESTING || c->refreshing);
}

/* When the connection is to be looked at next; 0 never (as it is now). */
static uint64_t
conn_due(struct stack *s, const struct vipa_conn *c, uint64_t now)
{
	unsigned life;

	if (c->per_home)
		return 0;	/* the binding's own tick (home_tick) */
	if (conn_waiting(c))
		return now + MIP6_RETRY_TICK_MS;
	if (c->bypass != VIPA_BYPASS_BOUND)
		return 0;
	/* No refresh request may come (the client sends one only for a
	 * binding in use): refresh before the binding expires there. */
	life = c->bu_life ? c->bu_life : bind_life_s(s);
	return c->bu_ms + life * 1000ull * 7 / 8 + 1;
}

/* A DVIPA we distribute with MOBILEIPV6 (a standard client's binding may
 * cover its connections). */
static int
dvipa_mip6(struct stack *s, const uint8_t dvipa[16])
{
	const struct stack_dvipa *d = stack_dvipa_find(s, dvipa);

	return d && d->has_dist && d->dist.mip6;
}

static void
track(struct stack *s, struct vipa_conn *c)
{
	uint64_t now = lib_now_ms(), due;
	uint32_t id = vipa_vcrt_id(s->vcrt, c), tick;
	struct mip6_due k;

	if (dvipa_mip6(s, c->key.dvipa) &&
	    vipa_cidx_add(s->mip6.byclient, c->key.client, id) == -ENOSPC)
		s->mip6.byclient_full = s->mip6.sweep = 1;
	if (conn_waiting(c) && vipa_cidx_add(s->mip6.waiting, c->key.client, id) == -ENOSPC)
		s->mip6.wait_full = s->mip6.sweep = 1;
	if (!(due = conn_due(s, c, now)))
		return;
	if (due < now)
		due = now;
	tick = (uint32_t)(due / MIP6_TICK_MS + 1);
	if (c->mip6_tick && c->mip6_tick <= tick)
		return;		/* a key as early comes first and looks again */
	memset(&k, 0, sizeof(k));
	k.k = c->key;
	k.tick = tick;
	if (lib_wheel_add(s->mip6.wheel, &k, (uint64_t)tick * MIP6_TICK_MS) < 0) {
		s->mip6.sweep = 1;
		return;
	}
	c->mip6_tick = tick;
}

void
stack_mip6_track(struct stack *s, struct vipa_conn *c)
{
	track(s, c);
}

void
stack_mip6_conn_gone(struct stack *s, const struct vipa_conn *c)
{
	uint32_t id = vipa_vcrt_id(s->vcrt, c);

	vipa_cidx_del(s->mip6.waiting, id);
	vipa_cidx_del(s->mip6.byclient, id);
}

static void try_bind1(struct stack *s, struct vipa_conn *c);

/* Sends the BU of a connection once both keygen tokens are in (claim 1:
 * "once both the Care-of Test message and the Home Test message have been
 * received at the routing stack"); the connection's pending work is then
 * filed where it will be found (track). */
static void
try_bind(struct stack *s, struct vipa_conn *c)
{
	try_bind1(s, c);
	track(s, c);
}

static void
try_bind1(struct stack *s, struct vipa_conn *c)
{
	uint64_t now = lib_now_ms();
	int ok_h, ok_c;

	if (c->per_home) {
		/* Its bypass is the client's binding of the DVIPA. */
		struct stack_mip6_home *hb = home_get(s, c->key.client, c->key.dvipa, 0);

		if (hb)
			home_try(s, hb);
		return;
	}
	if (c->bypass != VIPA_BYPASS_TESTING && !c->refreshing)
		return;
	ok_h = rr_ensure(s, c->key.client, c->key.dvipa, c->key.dvipa, 0);
	ok_c = rr_ensure(s, c->key.client, c->key.dvipa, c->dest_xcf, 1);
	if (!ok_h || !ok_c)
		return;
	if (!c->refreshing && !c->bu_tries &&
	    stack_mip6_cn_kind(s, c->key.client) == STACK_CN_STANDARD) {
		/* Its CoT told us: a standard correspondent node, which binds the
		 * home address, not the connection. */
		home_join(s, c);
		return;
	}
	if (c->bu_tries && now - c->bu_ms < STACK_RETRY_MS)
		return;		/* waiting for the BA */
	if (c->bu_tries >= STACK_MAX_TRIES) {
		/* No BA: the client is no Mobile IPv6 correspondent (or, for a
		 * refresh, no longer answers); stay routed: a binding it may
		 * still hold expires on its own. */
		set_bypass(c, VIPA_BYPASS_NONE);
		c->refreshing = 0;
		s->mip6.gave_up++;
		return;
	}
	if (c->bu_tries == STACK_MAX_TRIES / 2) {
		/* Unanswered BUs: a correspondent silently discards a BU whose
		 * authenticator it cannot verify, e.g. after it restarted with a
		 * new Kcn.  Test again before the last tries. */
		rr_forget(s, c->key.client, c->key.dvipa, c->dest_xcf, 3, UINT64_MAX);
		c->bu_tries++;
		c->bu_ms = 0;
		try_bind1(s, c);
		return;
	}
	c->bu_seq = seq_take(s, c->key.client, c->key.dvipa);
	if (send_bu(s, c->key.client, c->key.dvipa, c->dest_xcf, c->bu_seq, c->key.cport,
		    c->key.dport) == 0) {
		c->bu_ms = now;
		c->bu_tries++;
		if (c->bu_tries == 1 && !c->refreshing)
			s->mip6.syn_to_bu_ms_sum += now - c->created_ms;
	}
}

/* A BU that deletes the client's entry: lifetime 0, care-of = home = DVIPA
 * (claim 1's second and fourth Binding Updates).  Needs a fresh home token;
 * otherwise the home test runs first and the deletion waits in `pend`. */
static int
send_delete(struct stack *s, const uint8_t client[16], const uint8_t dvipa[16], uint16_t cport,
	    uint16_t dport, int retried)
{
	const struct stack_mip6_rr *h;
	uint8_t kbm[MIP6_KBM_LEN];
	struct mip6_msg m;
	struct stack_mip6_recent *r;

	if (!rr_ensure(s, client, dvipa, dvipa, 0))
		return 0;
	h = rr_find(s, client, dvipa, 0, 0);
	memset(&m, 0, sizeof(m));
	m.proto = WIRE_PROTO_NONE;
	m.type = MIP6_MH_BU;
	m.bu.seq = seq_take(s, client, dvipa);
	m.bu.flags = 0;
	m.bu.lifetime = 0;
	m.opts.present = MIP6_OPTF(MIP6_OPT_NONCE) | MIP6_OPTF(MIP6_OPT_ALTCOA) |
			 MIP6_OPTF(MIP6_OPT_AUTH);
	m.opts.home_nonce_idx = h->idx;
	m.opts.coa_nonce_idx = 0;
	memcpy(m.opts.alt_coa, dvipa, 16);
	if (cport || dport)
		wire_vso_conn_add(&m.opts, cport, dport);
	mip6_kbm(h->token, NULL, kbm);
	send_mh(s, dvipa, client, &m, kbm, dvipa);
	s->mip6.deletes++;
	r = &s->mip6.recent[s->mip6.recent_next++ % STACK_MIP6_RECENT_MAX];
	r->used = 1;
	r->retried = retried;
	memcpy(r->client, client, 16);
	memcpy(r->dvipa, dvipa, 16);
	r->cport = cport;
	r->dport = dport;
	r->sent_ms = lib_now_ms();
	return 1;
}

static void
queue_delete(struct stack *s, const uint8_t client[16], const uint8_t dvipa[16], uint16_t cport,
	     uint16_t dport, int retried)
{
	int i;

	if (send_delete(s, client, dvipa, cport, dport, retried))
		return;
	for (i = 0; i < STACK_MIP6_PEND_MAX; i++) {
		struct stack_mip6_pend *p = &s->mip6.pend[i];

		if (p->used)
			continue;
		p->used = 1;
		memcpy(p->client, client, 16);
		memcpy(p->dvipa, dvipa, 16);
		p->cport = cport;
		p->dport = dport;
		p->since_ms = lib_now_ms();
		p->retried = retried;
		return;
	}
	lib_verdict(&s->bus_verdicts, "binding deletion queue full");
}

/* ---- per-home-address bindings (standard correspondent nodes) ---------------------
 *
 * A standard RFC 6275 correspondent node skips our vendor options (9.5.1,
 * 6.2.1): it binds the home address, so from its BA on every packet of the
 * client to the DVIPA - new connections included - goes straight to the
 * care-of address.  The routing stack keeps that binding as one record per
 * (DVIPA, client) and keeps the VCRT true to it:
 *  - it is made only while every connection of the client to the DVIPA is
 *    on one target that takes all of the DVIPA's distributed ports (ready,
 *    not quiesced, with the bypass); all of them carry vipa_conn.per_home;
 *  - the distributor sends the client's new connections to that target
 *    while the binding is being made or is made (stack_mip6_home_target);
 *    once it is made they reach the target directly, which reports them,
 *    and they are recorded with the binding's state (the copy of the BU
 *    information) and the target told (BIND_INFO);
 *  - a connection that must go elsewhere (the target no longer takes new
 *    connections, or one went elsewhere before the binding was known) ends
 *    the binding: a BU with care-of = home = DVIPA (the third BU), after
 *    which all the client's packets come to the distributor again, whose
 *    VCRT entries send each connection where it is;
 *  - the deleting BU goes when the last connection under the binding ends,
 *    or when the target fails (the fourth BU, care-of = home = DVIPA).
 */

static void send_bind_info(struct stack *s, const struct vipa_conn *c);

static struct stack_mip6_home *
home_get(struct stack *s, const uint8_t client[16], const uint8_t dvipa[16], int create)
{
	struct stack_mip6_home_key k;
	struct stack_mip6_home *h;
	int created = 0;

	memcpy(k.dvipa, dvipa, 16);
	memcpy(k.client, client, 16);
	if (!create)
		return lib_tab_lookup(s->mip6.homes, &k);
	h = lib_tab_insert(s->mip6.homes, &k, &created);
	if (h && created) {
		h->created_ms = h->state_ms = lib_now_ms();
		h->state = VIPA_BYPASS_TESTING;
		/* The client's new connections follow the binding: the kernel
		 * program's schedule of the DVIPA goes (fast.c). */
		stack_fast_sched_sync(s);
	}
	return h;
}

static void
home_set_state(struct stack_mip6_home *h, uint8_t state)
{
	if (h->state != state) {
		h->state = state;
		h->state_ms = lib_now_ms();
	}
}

/* May every packet of a client to the DVIPA go to target coa?  It must take
 * each distributed port of the DVIPA: ready, not quiesced, with the bypass. */
static int
home_target_ok(struct stack *s, const uint8_t dvipa[16], const uint8_t coa[16])
{
	struct stack_dvipa *d = stack_dvipa_find(s, dvipa);
	int i;

	if (!d || !d->owned || !d->has_dist || !d->dist.mip6 || !d->dist.nports)
		return 0;
	for (i = 0; i < d->dist.nports; i++) {
		const struct vipa_vdpt_entry *e = vipa_vdpt_get(s->vdpt, dvipa, d->dist.ports[i], coa, 0);

		if (!e || !e->rdy || (e->flags & (VIPA_VDPT_F_QUIESCED | VIPA_VDPT_F_NOMIP6)))
			return 0;
	}
	return 1;
}

/* The connection comes under the binding and takes its state; tell: send
 * the target the binding information even when the state is unchanged (a
 * refresh's new sequence number). */
static void
home_attach(struct stack *s, struct stack_mip6_home *h, struct vipa_conn *c, int tell)
{
	uint8_t was = c->bypass;

	if (!c->per_home) {
		c->per_home = 1;
		h->nconn++;
		s->mip6.home_conns++;
	}
	c->bu_tries = 0;
	c->refreshing = 0;
	if (h->state == VIPA_BYPASS_BOUND) {
		memcpy(c->coa, h->coa, 16);
		c->bu_seq = h->seq;
		c->bu_life = h->life;
		c->bu_ms = h->bu_ms;
		set_bypass(c, VIPA_BYPASS_BOUND);
		if (tell || was != VIPA_BYPASS_BOUND)
			send_bind_info(s, c);
	} else {
		set_bypass(c, h->state);
		if (was == VIPA_BYPASS_BOUND)
			send_bind_info(s, c);
	}
}

enum { HOME_ATTACH, HOME_TELL, HOME_DETACH, HOME_UNBIND };

struct home_walk {
	struct stack *s;
	struct stack_mip6_home *h;
	int what;
	int conflicts;			/* connections on another target */
};

static int
home_walk_cb(struct vipa_conn *c, void *arg)
{
	struct home_walk *w = arg;
	uint8_t was = c->bypass;

	if (memcmp(c->key.client, w->h->key.client, 16) || memcmp(c->key.dvipa, w->h->key.dvipa, 16))
		return 0;
	switch (w->what) {
	case HOME_ATTACH:
	case HOME_TELL:
		if (memcmp(c->dest_xcf, w->h->coa, 16) != 0)
			w->conflicts++;
		else
			home_attach(w->s, w->h, c, w->what == HOME_TELL);
		break;
	case HOME_DETACH:
	case HOME_UNBIND:
		if (!c->per_home)
			break;
		if (w->what == HOME_DETACH)
			c->per_home = 0;
		c->bu_tries = 0;
		c->refreshing = 0;
		set_bypass(c, VIPA_BYPASS_NONE);
		if (was == VIPA_BYPASS_BOUND)
			send_bind_info(w->s, c);
		break;
	}
	return 0;
}

/* One of the client's connections (byclient); one of another client (the
 * id was reused) or gone leaves the list. */
static int
home_walk_id(uint32_t id, void *arg)
{
	struct home_walk *w = arg;
	struct vipa_conn *c = vipa_vcrt_at(w->s->vcrt, id);

	if (!c || memcmp(c->key.client, w->h->key.client, 16) != 0)
		return 1;
	return home_walk_cb(c, arg);
}

/* The client's connections to the DVIPA: its list in byclient. */
static int
home_walk(struct stack *s, struct stack_mip6_home *h, int what)
{
	struct home_walk w = { s, h, what, 0 };

	/* The index is full, or already being walked (a walk inside a walk
	 * would visit nothing): the whole VCRT. */
	if (s->mip6.byclient_full || vipa_cidx_walking(s->mip6.byclient))
		vipa_vcrt_foreach(s->vcrt, home_walk_cb, &w);
	else
		vipa_cidx_foreach(s->mip6.byclient, h->key.client, home_walk_id, &w);
	return w.conflicts;
}

/* The binding goes.  When the client may hold it, a BU with care-of = home
 * = DVIPA deletes it there; the client's connections left are routed by the
 * distributor again (their VCRT entries are where their packets go now). */
static void
home_drop(struct stack *s, struct stack_mip6_home *h, int target_lost)
{
	struct stack_mip6_home_key k = h->key;
	int may_hold = h->sent;

	if (h->nconn)
		home_walk(s, h, HOME_DETACH);
	lib_tab_remove(s->mip6.homes, &k);
	if (!may_hold)
		return;
	if (target_lost)
		s->mip6.target_lost++;
	queue_delete(s, k.client, k.dvipa, 0, 0, 0);
}

/* A connection that the binding would send elsewhere: the third BU. */
static void
home_release(struct stack *s, struct stack_mip6_home *h)
{
	char a[64], b[64], t[64];

	if (h->sent)
		log_info("MIP6 per-home-address binding of %s for %s released: a connection "
			 "must go elsewhere than %s", lib_ip6_str(h->key.client, a, sizeof(a)),
			 lib_ip6_str(h->key.dvipa, b, sizeof(b)), lib_ip6_str(h->coa, t, sizeof(t)));
	s->mip6.home_released++;
	home_drop(s, h, 0);
}

/* Sends the binding's BU once both tokens are in (the per-connection rules:
 * retries each second, a fresh test halfway, given up after the fifth). */
static void
home_try(struct stack *s, struct stack_mip6_home *h)
{
	uint64_t now = lib_now_ms();
	int ok_h, ok_c;

	if ((h->state != VIPA_BYPASS_TESTING && !h->refreshing) || !h->nconn)
		return;
	ok_h = rr_ensure(s, h->key.client, h->key.dvipa, h->key.dvipa, 0);
	ok_c = rr_ensure(s, h->key.client, h->key.dvipa, h->coa, 1);
	if (!ok_h || !ok_c)
		return;
	if (h->bu_tries && now - h->bu_ms < STACK_RETRY_MS)
		return;
	if (h->bu_tries >= STACK_MAX_TRIES) {
		/* No BA: the connections stay routed (a binding the client may
		 * still hold expires on its own); new ones keep off it. */
		home_set_state(h, VIPA_BYPASS_NONE);
		h->refreshing = 0;
		home_walk(s, h, HOME_UNBIND);
		s->mip6.gave_up++;
		return;
	}
	if (h->bu_tries == STACK_MAX_TRIES / 2) {
		rr_forget(s, h->key.client, h->key.dvipa, h->coa, 3, UINT64_MAX);
		h->bu_tries++;
		h->bu_ms = 0;
		home_try(s, h);
		return;
	}
	if (!h->sent && (home_walk(s, h, HOME_ATTACH) || !home_target_ok(s, h->key.dvipa, h->coa))) {
		/* Every connection of the client to the DVIPA comes under the
		 * binding: it would send one on another target to the wrong one. */
		s->mip6.home_conflicts++;
		home_drop(s, h, 0);
		return;
	}
	h->seq = seq_take(s, h->key.client, h->key.dvipa);
	if (send_bu(s, h->key.client, h->key.dvipa, h->coa, h->seq, 0, 0) == 0) {
		if (!h->bu_tries && !h->refreshing)
			s->mip6.started++;
		h->bu_ms = now;
		h->bu_tries++;
		h->sent = 1;
	}
}

/* A standard client's connection joins the client's binding of the DVIPA,
 * made now when there is none. */
static void
home_join(struct stack *s, struct vipa_conn *c)
{
	struct stack_mip6_home *h = home_get(s, c->key.client, c->key.dvipa, 0);

	if (h && memcmp(h->coa, c->dest_xcf, 16) != 0) {
		if (!h->nconn && !h->sent) {
			/* Picked for a connection that went elsewhere: follow it. */
			memcpy(h->coa, c->dest_xcf, 16);
		} else {
			s->mip6.home_conflicts++;
			home_release(s, h);
			set_bypass(c, VIPA_BYPASS_NONE);
			return;
		}
	}
	if (!h && !(h = home_get(s, c->key.client, c->key.dvipa, 1))) {
		set_bypass(c, VIPA_BYPASS_NONE);
		return;
	}
	if (!h->nconn)
		memcpy(h->coa, c->dest_xcf, 16);
	home_attach(s, h, c, 0);
	home_try(s, h);
}

static void
home_refresh_start(struct stack *s, struct stack_mip6_home *h)
{
	if (h->state != VIPA_BYPASS_BOUND || h->refreshing)
		return;
	rr_forget(s, h->key.client, h->key.dvipa, h->coa, 3, h->bu_ms);
	h->refreshing = 1;
	h->bu_tries = 0;
	s->mip6.refreshes++;
	home_try(s, h);
}

static int
home_tick(void *entry, void *arg)
{
	struct stack_mip6_home *h = entry;
	struct stack *s = arg;
	uint64_t now = lib_now_ms();
	unsigned life = h->life ? h->life : bind_life_s(s);
	const struct stack_dvipa *d = stack_dvipa_find(s, h->key.dvipa);

	if (!d || !d->owned)
		/* Given up: its connections left our VCRT without a BU (the new
		 * routing stack learns the binding from the targets). */
		return 1;
	if (!h->nconn)
		/* Picked by the distributor for a connection that never came. */
		return !h->sent && now - h->created_ms > STACK_SYN_TIMEOUT_MS;
	if (h->state == VIPA_BYPASS_BOUND && !home_target_ok(s, h->key.dvipa, h->coa))
		home_release(s, h);
	else if (h->state == VIPA_BYPASS_TESTING || h->refreshing)
		home_try(s, h);
	else if (h->state == VIPA_BYPASS_BOUND && now - h->bu_ms > life * 1000ull * 7 / 8)
		home_refresh_start(s, h);
	return 0;
}

const uint8_t *
stack_mip6_home_target(struct stack *s, const uint8_t client[16], const uint8_t dvipa[16])
{
	const struct stack_mip6_home *h;

	if (!lib_tab_count(s->mip6.homes))
		return NULL;
	h = home_get(s, client, dvipa, 0);
	return h && (h->state == VIPA_BYPASS_TESTING || h->state == VIPA_BYPASS_BOUND) ? h->coa : NULL;
}

void
stack_mip6_home_release(struct stack *s, const uint8_t client[16], const uint8_t dvipa[16])
{
	struct stack_mip6_home *h = home_get(s, client, dvipa, 0);

	if (h)
		home_release(s, h);
}

void
stack_mip6_home_pick(struct stack *s, const uint8_t client[16], const uint8_t dvipa[16],
		     const uint8_t target[16])
{
	struct stack_mip6_home *h;

	if (stack_mip6_cn_kind(s, client) != STACK_CN_STANDARD || home_get(s, client, dvipa, 0) ||
	    !home_target_ok(s, dvipa, target))
		return;
	if ((h = home_get(s, client, dvipa, 1)))
		memcpy(h->coa, target, 16);
}

void
stack_mip6_conn_learned(struct stack *s, struct vipa_conn *c, const struct wire_xcf_conn *r)
{
	struct stack_mip6_home *h;

	c->bypass = VIPA_BYPASS_BOUND;
	memcpy(c->coa, r->coa, 16);
	if (!(r->bypass & WIRE_XCF_BYPASS_HOME)) {
		track(s, c);	/* refreshed at once (bu_ms 0), with our tokens */
		return;
	}
	peer_learn(s, c->key.client, STACK_CN_STANDARD);
	h = home_get(s, c->key.client, c->key.dvipa, 1);
	if (!h)
		return;
	if (!h->nconn && !h->sent) {
		/* Another routing stack made it: refresh it at once with our own
		 * tokens (bu_ms 0), numbered after its last BU. */
		memcpy(h->coa, r->coa, 16);
		home_set_state(h, VIPA_BYPASS_BOUND);
		h->sent = 1;
		h->seq = r->seq;
		h->bu_ms = 0;
		h->life = (uint16_t)bind_life_s(s);
	}
	if (r->seq && mip6_seq_newer(r->seq, h->seq))
		h->seq = r->seq;
	if (r->seq)
		stack_mip6_seq_seen(s, c->key.client, c->key.dvipa, r->seq);	/* ours newer */
	if (!c->per_home) {
		c->per_home = 1;
		h->nconn++;
	}
	c->bu_seq = h->seq;
	track(s, c);
}


/* ---- hooks from dist.c ------------------------------------------------------------ */

int
stack_mip6_enabled(struct stack *s, const struct vipa_conn *c)
{
	struct stack_dvipa *d = stack_dvipa_find(s, c->key.dvipa);
	const struct vipa_distribute *v;
	struct vipa_vdpt_entry *e;

	/* The bypass is Mobile IPv6: IPv4 connections are always routed. */
	if (!d || !d->owned || vipa_addr_is_v4(c->key.dvipa))
		return 0;
	v = stack_dvipa_dist_for(s, d, c->key.dport);
	if (!v || !v->mip6)
		return 0;
	e = vipa_vdpt_get(s->vdpt, c->key.dvipa, c->key.dport, c->dest_xcf, 0);
	/* A target that does not support the optimization stays routed. */
	return e && !(e->flags & VIPA_VDPT_F_NOMIP6);
}

void
stack_mip6_conn_established(struct stack *s, struct vipa_conn *c)
{
	track(s, c);
	if (c->per_home || c->bypass != VIPA_BYPASS_NONE || c->bu_tries ||
	    !stack_mip6_enabled(s, c))
		return;
	if (stack_mip6_cn_kind(s, c->key.client) == STACK_CN_STANDARD) {
		/* Under the client's binding of the DVIPA (it reached its target
		 * directly when the binding is made), or the start of one. */
		home_join(s, c);
		return;
	}
	set_bypass(c, VIPA_BYPASS_TESTING);
	s->mip6.started++;
	try_bind(s, c);
}

void
stack_mip6_conn_ended(struct stack *s, const struct vipa_conn *c, int target_lost)
{
	if (c->per_home) {
		/* The deleting BU only when the client's last connection under
		 * the binding has ended (or its target is gone). */
		struct stack_mip6_home *h = home_get(s, c->key.client, c->key.dvipa, 0);

		if (h && h->nconn)
			h->nconn--;
		if (h && !h->nconn)
			home_drop(s, h, target_lost);
		return;
	}
	/* Only a client that may hold a binding needs a deleting BU. */
	if (c->bypass != VIPA_BYPASS_BOUND && !c->bu_tries)
		return;
	if (target_lost)
		s->mip6.target_lost++;
	queue_delete(s, c->key.client, c->key.dvipa, c->key.cport, c->key.dport, 0);
}

void
stack_mip6_seq_seen(struct stack *s, const uint8_t client[16], const uint8_t dvipa[16],
		    uint16_t seq)
{
	struct stack_mip6_seq *q = seq_get(s, client, dvipa);

	if (!q)
		return;
	/* Serial-number order (RFC 6275 11.7.1): keep the counter ahead. */
	if (seq == q->next || mip6_seq_newer(seq, q->next))
		q->next = (uint16_t)(seq + 1);
	if (q->next == 0)
		q->next = 1;
}

/*
 * Starts the refresh of a bound connection's binding (claim 1: the client's
 * binding refresh request "to send another Binding Update").  The
 * connection stays BOUND meanwhile: the client's entry is valid until its
 * lifetime ends.  A refresh proves return routability anew: tokens obtained
 * before the Binding Update that registered the current binding (bu_ms) are
 * not reused for it, so every refresh runs a fresh HoTI/CoTI exchange (RFC
 * 6275 caps bindings made by return routability at MAX_RR_BINDING_LIFETIME
 * so that the test is repeated); tokens a later test got are shared.
 */
static void
refresh_start(struct stack *s, struct vipa_conn *c)
{
	if (c->bypass != VIPA_BYPASS_BOUND || c->refreshing || c->per_home)
		return;
	rr_forget(s, c->key.client, c->key.dvipa, c->dest_xcf, 3, c->bu_ms);
	c->refreshing = 1;
	c->bu_tries = 0;
	s->mip6.refreshes++;
	try_bind(s, c);
}

/* A connection's retry or refresh (its key came due, or a sweep). */
static int
tick_conn(struct vipa_conn *c, void *arg)
{
	struct stack *s = arg;
	unsigned life = c->bu_life ? c->bu_life : bind_life_s(s);

	if (c->per_home)
		return 0;	/* the binding's own tick (home_tick) */
	if (c->bypass == VIPA_BYPASS_TESTING || c->refreshing)
		try_bind(s, c);
	else if (c->bypass == VIPA_BYPASS_BOUND &&
		 lib_now_ms() - c->bu_ms > life * 1000ull * 7 / 8)
		/* No refresh request came (the client sends one only for a
		 * binding in use): refresh before the binding expires at the
		 * client.  A binding learned from a target's report (bu_ms 0,
		 * after a takeover) is refreshed at once, with our own tokens. */
		refresh_start(s, c);
	track(s, c);
	return 0;
}

static void
conn_due_cb(const void *key, void *arg)
{
	struct stack *s = arg;
	struct mip6_due k;
	struct vipa_conn *c;

	memcpy(&k, key, sizeof(k));
	if (!(c = vipa_vcrt_lookup(s->vcrt, &k.k)) || c->mip6_tick != k.tick)
		return;		/* gone, or scheduled earlier since */
	c->mip6_tick = 0;
	s->mip6.wheel_fired++;
	tick_conn(c, s);
}

void
stack_mip6_tick(struct stack *s)
{
	uint64_t now = lib_now_ms();
	int i;

	for (i = 0; i < STACK_MIP6_PEND_MAX; i++) {
		struct stack_mip6_pend *p = &s->mip6.pend[i];

		if (!p->used)
			continue;
		if (send_delete(s, p->client, p->dvipa, p->cport, p->dport, p->retried) ||
		    now - p->since_ms > 15000)
			p->used = 0;
	}
	/* Retries and refreshes: the connections whose key came due; every
	 * connection only in a sweep (the wheel or an index was full, or the
	 * VCRT was loaded), at most twice a second. */
	if (s->mip6.sweep && now - s->mip6.sweep_ms >= MIP6_RETRY_TICK_MS) {
		s->mip6.sweep = s->mip6.wait_full = s->mip6.byclient_full = 0;
		s->mip6.sweep_ms = now;
		s->mip6.sweeps++;
		vipa_vcrt_foreach(s->vcrt, tick_conn, s);
	}
	lib_wheel_expire(s->mip6.wheel, now, conn_due_cb, s);
	/* The per-home-address bindings: one per standard client and DVIPA
	 * (at most STACK_MIP6_HOMES_MAX), not per connection. */
	if (lib_tab_count(s->mip6.homes) && now - s->mip6.last_tick_ms >= MIP6_RETRY_TICK_MS) {
		s->mip6.last_tick_ms = now;
		lib_tab_foreach(s->mip6.homes, home_tick, s);
	}
}

/* ---- receiving -------------------------------------------------------------------------- */

struct for_client {
	struct stack *s;
	const uint8_t *client;
	int n;
};


/* Does a CoT echo the COPYTO option of our CoTI?  Only our correspondent
 * node does; a standard one skips the unknown option (RFC 6275 9.5.1). */
static int
echoes_copyto(const struct mip6_msg *m)
{
	int i;

	for (i = 0; i < m->opts.n_vso; i++)
		if (m->opts.vso[i].vendor_id == WIRE_VSO_VENDOR &&
		    m->opts.vso[i].subtype == WIRE_VSO_COPYTO)
			return 1;
	return 0;
}

/* The walk of the whole VCRT, while the index is full. */
static int
retry_client(struct vipa_conn *c, void *arg)
{
	struct for_client *f = arg;

	if (conn_waiting(c) && memcmp(c->key.client, f->client, 16) == 0) {
		try_bind(f->s, c);
		f->n++;
	}
	return 0;
}

/* One of the client's waiting connections (waiting); one that waits no more,
 * went, or is another client's (the id was reused) leaves the list. */
static int
retry_pending(uint32_t id, void *arg)
{
	struct for_client *f = arg;
	struct vipa_conn *c = vipa_vcrt_at(f->s->vcrt, id);

	f->s->mip6.wait_visits++;
	if (!c || memcmp(c->key.client, f->client, 16) != 0 || !conn_waiting(c))
		return 1;
	try_bind(f->s, c);
	f->n++;
	return !conn_waiting(c);
}

/* HoT or CoT: keep the token, then bind what waited for it. */
static void
on_test(struct stack *s, const uint8_t client[16], const uint8_t addr[16], int care_of,
	const struct mip6_msg *m)
{
	struct stack_mip6_rr *e = rr_find(s, client, addr, care_of, 0);
	const struct mip6_test *t = care_of ? &m->cot : &m->hot;
	struct for_client f = { s, client, 0 };
	int i;

	if (!e || memcmp(e->cookie, t->cookie, MIP6_COOKIE_LEN) != 0) {
		lib_verdict(&s->bus_verdicts, care_of ? "CoT with an unknown cookie" :
			    "HoT with an unknown cookie");
		return;
	}
	memcpy(e->token, t->token, MIP6_TOKEN_LEN);
	e->idx = t->nonce_idx;
	e->have = 1;
	e->got_ms = lib_now_ms();
	e->tries = 0;
	s->mip6.rx[m->type]++;
	if (care_of)
		peer_learn(s, client, echoes_copyto(m) ? STACK_CN_AGENT : STACK_CN_STANDARD);
	if (s->mip6.wait_full || vipa_cidx_walking(s->mip6.waiting))
		vipa_vcrt_foreach(s->vcrt, retry_client, &f);
	else
		vipa_cidx_foreach(s->mip6.waiting, client, retry_pending, &f);
	/* The client's per-home-address bindings: one per DVIPA at most. */
	for (i = 0; i < s->ndv && lib_tab_count(s->mip6.homes); i++) {
		struct stack_mip6_home *h = home_get(s, client, s->dv[i].addr, 0);

		if (h && (h->state == VIPA_BYPASS_TESTING || h->refreshing))
			home_try(s, h);
	}
	if (!care_of)
		for (i = 0; i < STACK_MIP6_PEND_MAX; i++) {
			struct stack_mip6_pend *p = &s->mip6.pend[i];

			if (p->used && memcmp(p->client, client, 16) == 0 &&
			    send_delete(s, p->client, p->dvipa, p->cport, p->dport, p->retried))
				p->used = 0;
		}
}

static void
send_bind_info(struct stack *s, const struct vipa_conn *c)
{
	struct wire_xcf_bind_info b;
	const struct xcf_member_info *t;
	ssize_t n;

	memset(&b, 0, sizeof(b));
	memcpy(b.dvipa, c->key.dvipa, 16);
	b.dport = c->key.dport;
	memcpy(b.client, c->key.client, 16);
	b.cport = c->key.cport;
	b.bypass = (uint8_t)(c->bypass | (c->per_home ? WIRE_XCF_BYPASS_HOME : 0));
	memcpy(b.coa, c->coa, 16);
	b.seq = c->bu_seq;
	b.lifetime = c->bu_life ? c->bu_life : (uint16_t)bind_life_s(s);
	if (memcmp(c->dest_xcf, s->xcfaddr, 16) == 0) {
		stack_mip6_apply_bind_info(s, &b);
		return;
	}
	t = xcf_member_by_addr(s->xcf, c->dest_xcf);
	n = wire_xcf_bind_info_encode(&b, s->mip6.txbuf, sizeof(s->mip6.txbuf));
	if (t && n > 0)
		stack_send(s, t->member, WIRE_XCF_BIND_INFO, s->mip6.txbuf, (size_t)n);
}

/* Does the BA's Binding Authorization Data verify under the Kbm of the
 * tokens for (client, home) and, unless deleting, (client, tested care-of)?
 * auth_coa: the care-of address the BU named. */
static int
ba_auth_ok(struct stack *s, const uint8_t client[16], const uint8_t home[16], const uint8_t *tested_coa,
	   const uint8_t auth_coa[16], const uint8_t *mh, size_t mhlen)
{
	const struct stack_mip6_rr *h = rr_find(s, client, home, 0, 0);
	const struct stack_mip6_rr *co = tested_coa ? rr_find(s, client, tested_coa, 1, 0) : NULL;
	uint8_t kbm[MIP6_KBM_LEN], auth[MIP6_AUTH_LEN];
	int off = mip6_auth_off(mh, mhlen);

	if (!h || (tested_coa && !co) || off < 0)
		return 0;
	mip6_kbm(h->token, co ? co->token : NULL, kbm);
	return mip6_bu_authenticator(kbm, auth_coa, client, mh, mhlen, (size_t)off, auth) == 0 &&
	       memcmp(auth, mh + off, MIP6_AUTH_LEN) == 0;
}

/* Status 135 for a deleting BU we sent lately: the client holds a newer
 * sequence number for that binding (one another routing stack sent and no
 * report told us of).  Number after it and delete again, once. */
static int
delete_rejected(struct stack *s, const uint8_t client[16], const uint8_t home[16],
		uint16_t cport, uint16_t dport, const struct mip6_msg *m, const uint8_t *mh,
		size_t mhlen)
{
	uint64_t now = lib_now_ms();
	int i;

	for (i = 0; i < STACK_MIP6_RECENT_MAX; i++) {
		struct stack_mip6_recent *r = &s->mip6.recent[i];

		if (!r->used || r->cport != cport || r->dport != dport ||
		    memcmp(r->client, client, 16) || memcmp(r->dvipa, home, 16) ||
		    now - r->sent_ms > RECENT_DEL_MS)
			continue;
		if (!ba_auth_ok(s, client, home, NULL, home, mh, mhlen)) {
			lib_verdict(&s->bus_verdicts, "BA with a wrong authenticator");
			return 1;
		}
		r->used = 0;
		s->mip6.ba_errors++;
		if (r->retried) {
			lib_verdict(&s->bus_verdicts, "deleting BU refused twice (sequence number)");
			return 1;
		}
		stack_mip6_seq_seen(s, client, home, m->ba.seq);
		queue_delete(s, client, home, cport, dport, 1);
		return 1;
	}
	return 0;
}

/* A per-connection BU of ours (sent before the client's kind was known)
 * acknowledged without the connection option: a standard correspondent node,
 * which bound the home address.  Finds that connection. */
struct by_seq {
	struct stack *s;
	const uint8_t *client, *home;
	uint16_t seq;
	struct vipa_conn *c;
};

static int
by_seq_cb(struct vipa_conn *c, void *arg)
{
	struct by_seq *b = arg;

	if (!b->c && !c->per_home && c->bu_tries && c->bu_seq == b->seq &&
	    memcmp(c->key.client, b->client, 16) == 0 && memcmp(c->key.dvipa, b->home, 16) == 0)
		b->c = c;
	return 0;
}

/* The BU waits for its BA: the connection is on its client's list in waiting. */
static int
by_seq_id(uint32_t id, void *arg)
{
	struct by_seq *b = arg;
	struct vipa_conn *c = vipa_vcrt_at(b->s->vcrt, id);

	if (!c || memcmp(c->key.client, b->client, 16) != 0)
		return 1;
	return by_seq_cb(c, arg);
}

/* Accepted: the binding is made (or refreshed); every connection under it
 * records its state and its target is told. */
static void
home_bound(struct stack *s, struct stack_mip6_home *h, const struct mip6_msg *m)
{
	h->life = m->ba.lifetime ? (uint16_t)(m->ba.lifetime * 4u) : (uint16_t)bind_life_s(s);
	if (h->refreshing)
		s->mip6.refreshed++;
	else
		s->mip6.home_bound++;
	h->refreshing = 0;
	h->bu_tries = 0;
	home_set_state(h, VIPA_BYPASS_BOUND);
	peer_learn(s, h->key.client, STACK_CN_STANDARD);
	if (home_walk(s, h, HOME_TELL)) {
		/* A connection of the client on another target: its packets now
		 * go to this one.  The binding goes at once (third BU). */
		s->mip6.home_conflicts++;
		home_release(s, h);
	}
}

/* A BA without our connection option: the acknowledgement of a
 * per-home-address binding. */
static void
on_ba_home(struct stack *s, const uint8_t client[16], const uint8_t home[16],
	   const struct mip6_msg *m, const uint8_t *mh, size_t mhlen)
{
	struct stack_mip6_home *h = home_get(s, client, home, 0);
	int ok = m->ba.status == MIP6_BA_ACCEPTED || m->ba.status == MIP6_BA_ACCEPTED_PREFIX_DISC;

	if (m->ba.status == MIP6_BA_SEQ_OUT_OF_WINDOW) {
		if (h && (h->state == VIPA_BYPASS_TESTING || h->refreshing) && h->bu_tries) {
			if (!ba_auth_ok(s, client, home, h->coa, h->coa, mh, mhlen)) {
				lib_verdict(&s->bus_verdicts, "BA with a wrong authenticator");
				return;
			}
			s->mip6.ba_errors++;
			stack_mip6_seq_seen(s, client, home, m->ba.seq);
			h->bu_ms = 0;
			home_try(s, h);
			return;
		}
		if (!delete_rejected(s, client, home, 0, 0, m, mh, mhlen))
			lib_verdict(&s->bus_verdicts, "BA for no outstanding BU");
		return;
	}
	if (!h || !h->bu_tries || h->seq != m->ba.seq) {
		struct by_seq b = { s, client, home, m->ba.seq, NULL };

		if (!h && ok && mip6_auth_off(mh, mhlen) >= 0) {
			if (s->mip6.wait_full || vipa_cidx_walking(s->mip6.waiting))
				vipa_vcrt_foreach(s->vcrt, by_seq_cb, &b);
			else
				vipa_cidx_foreach(s->mip6.waiting, client, by_seq_id, &b);
			if (b.c && ba_auth_ok(s, client, home, b.c->dest_xcf, b.c->dest_xcf, mh, mhlen) &&
			    (h = home_get(s, client, home, 1))) {
				memcpy(h->coa, b.c->dest_xcf, 16);
				h->seq = m->ba.seq;
				h->sent = 1;
				h->bu_ms = b.c->bu_ms;
				home_bound(s, h, m);
				return;
			}
		}
		lib_verdict(&s->bus_verdicts, "BA for no outstanding BU");
		return;
	}
	if (ok) {
		if (mip6_auth_off(mh, mhlen) < 0) {
			lib_verdict(&s->bus_verdicts, "BA without Binding Authorization Data");
			return;
		}
		if (!ba_auth_ok(s, client, home, h->coa, h->coa, mh, mhlen)) {
			lib_verdict(&s->bus_verdicts, "BA with a wrong authenticator");
			return;
		}
		home_bound(s, h, m);
		return;
	}
	s->mip6.ba_errors++;
	if (rr_expired_by(m->ba.status)) {
		rr_forget(s, client, home, h->coa, rr_expired_by(m->ba.status), UINT64_MAX);
		h->bu_ms = 0;
		home_try(s, h);
		return;
	}
	home_set_state(h, VIPA_BYPASS_NONE);
	h->refreshing = 0;
	home_walk(s, h, HOME_UNBIND);
}

static void
on_ba(struct stack *s, const uint8_t client[16], const uint8_t home[16], const struct mip6_msg *m,
      const uint8_t *mh, size_t mhlen)
{
	struct vipa_conn_key k;
	struct vipa_conn *c;
	uint16_t cport, dport;

	if (wire_vso_conn_find(&m->opts, &cport, &dport) != 1) {
		on_ba_home(s, client, home, m, mh, mhlen);
		return;
	}
	memset(&k, 0, sizeof(k));
	memcpy(k.dvipa, home, 16);
	memcpy(k.client, client, 16);
	k.cport = cport;
	k.dport = dport;
	c = vipa_vcrt_lookup(s->vcrt, &k);
	if (m->ba.status == MIP6_BA_SEQ_OUT_OF_WINDOW) {
		/* The BA carries the client's last accepted sequence number, not
		 * ours (RFC 6275 9.5.1). */
		if (c && (c->bypass == VIPA_BYPASS_TESTING || c->refreshing) && c->bu_tries) {
			if (!ba_auth_ok(s, client, home, c->dest_xcf, c->dest_xcf, mh, mhlen)) {
				lib_verdict(&s->bus_verdicts, "BA with a wrong authenticator");
				return;
			}
			s->mip6.ba_errors++;
			stack_mip6_seq_seen(s, client, home, m->ba.seq);
			c->bu_ms = 0;
			try_bind(s, c);
			return;
		}
		if (delete_rejected(s, client, home, cport, dport, m, mh, mhlen))
			return;
		lib_verdict(&s->bus_verdicts, "BA for no outstanding BU");
		return;
	}
	if (!c || c->bu_seq != m->ba.seq) {
		lib_verdict(&s->bus_verdicts, "BA for no outstanding BU");
		return;
	}
	if (m->ba.status == MIP6_BA_ACCEPTED || m->ba.status == MIP6_BA_ACCEPTED_PREFIX_DISC) {
		/* The BA carries an authenticator under the same Kbm (RFC 6275
		 * 6.1.8): a forged BA cannot mark a connection bound. */
		if (mip6_auth_off(mh, mhlen) < 0) {
			lib_verdict(&s->bus_verdicts, "BA without Binding Authorization Data");
			return;
		}
		if (!ba_auth_ok(s, client, home, c->dest_xcf, c->dest_xcf, mh, mhlen)) {
			lib_verdict(&s->bus_verdicts, "BA with a wrong authenticator");
			return;
		}
		memcpy(c->coa, c->dest_xcf, 16);
		set_bypass(c, VIPA_BYPASS_BOUND);
		peer_learn(s, client, STACK_CN_AGENT);
		/* The client may grant less than we asked for (RFC 6275 9.5.1);
		 * the binding's lifetime runs from when the BU was sent (bu_ms,
		 * kept: the next refresh is due from there). */
		c->bu_life = m->ba.lifetime ? (uint16_t)(m->ba.lifetime * 4u) :
			     (uint16_t)bind_life_s(s);
		if (c->refreshing)
			s->mip6.refreshed++;
		else
			s->mip6.bound++;
		c->refreshing = 0;
		c->bu_tries = 0;
		track(s, c);	/* its refresh */
		/* Claim 1: record the state and send the target a binding
		 * information request with it. */
		send_bind_info(s, c);
		return;
	}
	if (rr_expired_by(m->ba.status)) {
		/* Sent without authenticator (the correspondent has no key for
		 * expired nonces): taken only for a BU we are waiting on, and it
		 * only makes us test again and retry (bounded by the tries);
		 * a bound binding is never touched by it. */
		if (!(c->bypass == VIPA_BYPASS_TESTING || c->refreshing) || !c->bu_tries) {
			lib_verdict(&s->bus_verdicts, "error BA for no BU we wait on");
			return;
		}
		s->mip6.ba_errors++;
		rr_forget(s, client, home, c->dest_xcf, rr_expired_by(m->ba.status), UINT64_MAX);
		c->bu_ms = 0;
		try_bind(s, c);
		return;
	}
	/* Any other refusal ends the bypass only when it is authentic (under
	 * the Kbm of our tests): a forged one is ignored. */
	if (!ba_auth_ok(s, client, home, c->dest_xcf, c->dest_xcf, mh, mhlen)) {
		lib_verdict(&s->bus_verdicts, "error BA without a valid authenticator");
		return;
	}
	s->mip6.ba_errors++;
	set_bypass(c, VIPA_BYPASS_NONE);
	c->refreshing = 0;
}

/* A client's Binding Refresh Request (claim 1: "a binding refresh request to
 * the target stack ... to send another Binding Update").  Ours names the
 * connection (WIRE_VSO_CONN): its entry is looked up.  A standard node's
 * names none: its binding of the home address (a per-connection binding it
 * might also hold is refreshed by its own timer, before it expires). */
static void
on_brr(struct stack *s, const uint8_t client[16], const uint8_t home[16], const struct mip6_msg *m)
{
	struct stack_mip6_home *h;
	struct vipa_conn_key k;
	struct vipa_conn *c;

	s->mip6.rx[MIP6_MH_BRR]++;
	memset(&k, 0, sizeof(k));
	if (wire_vso_conn_find(&m->opts, &k.cport, &k.dport) == 1) {
		memcpy(k.dvipa, home, 16);
		memcpy(k.client, client, 16);
		if ((c = vipa_vcrt_lookup(s->vcrt, &k)))
			refresh_start(s, c);
		return;
	}
	if ((h = home_get(s, client, home, 0)))
		home_refresh_start(s, h);
}

/* Handles a Mobility Header for the routing stack: HoT and BE from the LAN,
 * CoT / BA / BRR copied by a target.  dst is the final destination (the home
 * address for packets that carried an RH2), via the address it reached. */
static void
owner_rx(struct stack *s, const uint8_t src[16], const uint8_t dst[16], const uint8_t via[16],
	 const uint8_t *mh, size_t mhlen)
{
	struct mip6_msg m;
	const char *why = "malformed Mobility Header";
	struct stack_dvipa *d;
	int r;

	if (!mip6_csum_ok(src, dst, mh, mhlen)) {
		lib_verdict(&s->bus_verdicts, "Mobility Header with a bad checksum");
		return;
	}
	r = mip6_msg_decode(&m, mh, mhlen, &why);
	if (r < 0) {
		lib_verdict(&s->bus_verdicts, why);
		return;
	}
	switch (m.type) {
	case MIP6_MH_HOT:
		d = stack_dvipa_find(s, dst);
		if (!d || !d->owned) {
			lib_verdict(&s->bus_verdicts, "HoT for a DVIPA we do not own");
			return;
		}
		on_test(s, src, dst, 0, &m);
		break;
	case MIP6_MH_COT:
		on_test(s, src, via, 1, &m);
		break;
	case MIP6_MH_BA:
		s->mip6.rx[MIP6_MH_BA]++;
		on_ba(s, src, dst, &m, mh, mhlen);
		break;
	case MIP6_MH_BRR:
		on_brr(s, src, dst, &m);
		break;
	case MIP6_MH_BE:
		s->mip6.rx[MIP6_MH_BE]++;
		lib_verdict(&s->bus_verdicts, "Binding Error from a client");
		break;
	default:
		lib_verdict(&s->bus_verdicts, "Mobility Header type a mobile node does not take");
		break;
	}
}

/* From dp.c: a Mobility Header packet to a DVIPA we own. */
void
stack_mip6_rx_owner(struct stack *s, const struct wire_pkt *pk, const uint8_t *pkt, size_t len)
{
	size_t mhlen = len - pk->l4_off;

	if (pk->l4_off >= len || pk->payload_len + WIRE_IP6_HDR_LEN < pk->l4_off) {
		lib_verdict(&s->tun_verdicts, "truncated Mobility Header");
		return;
	}
	mhlen = (size_t)pk->payload_len + WIRE_IP6_HDR_LEN - pk->l4_off;
	owner_rx(s, pk->src, pk->dst, pk->dst, pkt + pk->l4_off, mhlen);
}

/* Target: the DVIPAs a CoT without a usable COPYTO may be for.  A DVIPA we
 * serve (as a target, or as its owner) with an owner, narrowed to those the
 * client has connections to when that is known (a scan of our connections,
 * at most 64 a second); when in doubt, every DVIPA we serve: each routing
 * stack ignores the cookies it did not send. */
struct cot_scan {
	struct stack *s;
	const uint8_t *client;
	uint8_t hit[VIPA_MAX_DVIPA];
	int n;
};

static int
cot_scan_cb(struct vipa_conn *c, void *arg)
{
	struct cot_scan *x = arg;
	struct stack_dvipa *d;

	if (memcmp(c->key.client, x->client, 16) == 0 &&
	    (d = stack_dvipa_find(x->s, c->key.dvipa)) && !x->hit[d - x->s->dv]) {
		x->hit[d - x->s->dv] = 1;
		x->n++;
	}
	return 0;
}

static int
cot_candidates(struct stack *s, const uint8_t client[16], uint8_t cand[VIPA_MAX_DVIPA])
{
	static struct cot_scan x;	/* 1 call at a time: the loop's */
	uint64_t sec = lib_now_ms() / 1000;
	int i, n = 0, owners = 0;
	const char *first = NULL;

	memset(cand, 0, VIPA_MAX_DVIPA);
	for (i = 0; i < s->ndv; i++)
		if ((s->dv[i].target || s->dv[i].owned) && s->dv[i].owner[0]) {
			cand[i] = 1;
			n++;
			if (!first || strcmp(first, s->dv[i].owner) != 0)
				owners++;
			if (!first)
				first = s->dv[i].owner;
		}
	if (owners <= 1)
		return n;		/* one routing stack: no need to know more */
	if (s->mip6.scan_sec != sec) {
		s->mip6.scan_sec = sec;
		s->mip6.scans = 0;
	}
	if (s->mip6.scans >= 64)
		return n;
	s->mip6.scans++;
	memset(&x, 0, sizeof(x));
	x.s = s;
	x.client = client;
	vipa_vcrt_foreach(s->tgt.conns, cot_scan_cb, &x);
	if (!x.n)
		return n;
	for (i = 0, n = 0; i < s->ndv; i++) {
		cand[i] = cand[i] && x.hit[i];
		n += cand[i];
	}
	return n;
}

/* Sends (or, for our own DVIPA, hands) the copy to the routing stack of d,
 * once per routing stack. */
static void
copy_to_owner(struct stack *s, struct stack_dvipa *d, struct wire_xcf_mip6_copy *cp)
{
	ssize_t n;

	s->mip6.copies++;
	if (d->owned) {
		owner_rx(s, cp->src, cp->dst, cp->coa, cp->mh, cp->mhlen);
		return;
	}
	/* After the connection reports held so far (tgt.c, ev_round): the
	 * owner hears of a connection before a copy about it. */
	stack_tgt_flush(s);
	n = wire_xcf_mip6_copy_encode(cp, s->mip6.txbuf, sizeof(s->mip6.txbuf));
	if (n > 0)
		stack_send(s, d->owner, WIRE_XCF_MIP6_COPY, s->mip6.txbuf, (size_t)n);
}

/* From dp.c: a Mobility Header packet that reached our care-of address
 * (CoT without RH2; BA or BRR with an RH2 naming `home`).  The routing
 * stack of the DVIPA gets a copy: for a BA or a BRR the RH2's home address
 * names it; for a CoT our COPYTO option when the client echoed it, else the
 * DVIPAs we serve that the client has connections to (cot_candidates). */
void
stack_mip6_rx_target(struct stack *s, const struct wire_pkt *pk, const uint8_t *pkt, size_t len)
{
	struct wire_xcf_mip6_copy copy, *cp = &copy;	/* 2 KB */
	const uint8_t *mh = pkt + pk->l4_off;
	size_t mhlen;
	const uint8_t *dvipa = pk->rh2_home;
	uint8_t copyto[16];		/* the DVIPA a CoT names; lives as long as dvipa */
	uint8_t cand[VIPA_MAX_DVIPA];
	struct stack_dvipa *d;
	int i, j, is_cot;

	if (pk->l4_off >= len || (size_t)pk->payload_len + WIRE_IP6_HDR_LEN > len) {
		lib_verdict(&s->tun_verdicts, "truncated Mobility Header");
		return;
	}
	mhlen = (size_t)pk->payload_len + WIRE_IP6_HDR_LEN - pk->l4_off;
	if (mhlen > WIRE_XCF_MAX_MH || mhlen < 8) {
		lib_verdict(&s->tun_verdicts, "Mobility Header too long to copy");
		return;
	}
	is_cot = !dvipa && mhlen >= MIP6_HDR_LEN && mh[2] == MIP6_MH_COT;
	if (is_cot) {
		/* Our correspondent node echoes WIRE_VSO_COPYTO. */
		struct mip6_msg m;
		const char *why = NULL;

		if (mip6_msg_decode(&m, mh, mhlen, &why) < 0) {
			lib_verdict(&s->tun_verdicts, why ? why : "malformed Mobility Header");
			return;
		}
		/* Copied out: the decoded message ends with this block. */
		for (i = 0; i < m.opts.n_vso && !dvipa; i++)
			if (m.opts.vso[i].vendor_id == WIRE_VSO_VENDOR &&
			    m.opts.vso[i].subtype == WIRE_VSO_COPYTO && m.opts.vso[i].len == 16) {
				memcpy(copyto, m.opts.vso[i].bytes, 16);
				dvipa = copyto;
			}
	}
	d = dvipa ? stack_dvipa_find(s, dvipa) : NULL;
	if (dvipa && (!d || !d->owner[0]))
		d = NULL;
	if (!d && !is_cot) {
		lib_verdict(&s->tun_verdicts, "Mobility Header at our care-of address for no known DVIPA");
		return;
	}
	memcpy(cp->src, pk->src, 16);
	memcpy(cp->dst, pk->rh2_home ? pk->rh2_home : pk->dst, 16);
	memcpy(cp->coa, pk->dst, 16);
	cp->mhlen = (uint16_t)mhlen;
	memcpy(cp->mh, mh, mhlen);
	if (d) {
		copy_to_owner(s, d, cp);
		return;
	}
	if (!cot_candidates(s, pk->src, cand)) {
		lib_verdict(&s->tun_verdicts, "CoT at our care-of address while we serve no DVIPA");
		return;
	}
	for (i = 0; i < s->ndv; i++) {
		if (!cand[i])
			continue;
		for (j = 0; j < i; j++)
			if (cand[j] && strcmp(s->dv[j].owner, s->dv[i].owner) == 0)
				break;
		if (j == i)
			copy_to_owner(s, &s->dv[i], cp);
	}
}

/* From the bus: a target's copy. */
void
stack_mip6_on_copy(struct stack *s, const struct xcf_member_info *from, const uint8_t *b,
		   size_t len)
{
	struct wire_xcf_mip6_copy cp;	/* 2 KB */
	const char *why = "malformed MIP6_COPY";
	struct stack_dvipa *d;

	if (wire_xcf_mip6_copy_decode(&cp, b, len, &why) < 0) {
		lib_verdict(&s->bus_verdicts, why);
		return;
	}
	/* Only the target itself may vouch for packets to its care-of address. */
	if (memcmp(cp.coa, from->xcfaddr, 16) != 0) {
		lib_verdict(&s->bus_verdicts, "MIP6_COPY for another stack's care-of address");
		return;
	}
	d = stack_dvipa_find(s, cp.dst);
	if ((!d || !d->owned) && cp.mhlen >= 3 && cp.mh[2] != MIP6_MH_COT) {
		lib_verdict(&s->bus_verdicts, "MIP6_COPY for a DVIPA we do not own");
		return;
	}
	owner_rx(s, cp.src, cp.dst, cp.coa, cp.mh, cp.mhlen);
}

/* Target: the routing stack's binding information request. */
void
stack_mip6_apply_bind_info(struct stack *s, const struct wire_xcf_bind_info *b)
{
	struct vipa_conn_key k;
	struct vipa_conn *c;
	int created = 0;

	memset(&k, 0, sizeof(k));
	memcpy(k.dvipa, b->dvipa, 16);
	memcpy(k.client, b->client, 16);
	k.dport = b->dport;
	k.cport = b->cport;
	/* With connection events we know our connections as they are
	 * established: one we do not know has ended already (a short
	 * connection bound just before its end), and an entry made for it
	 * would outlive it until the next check.  Polling, the BIND_INFO may
	 * come before the poll that finds the socket. */
	if (s->tgt.ev)
		c = vipa_vcrt_lookup(s->tgt.conns, &k);
	else
		c = stack_tgt_conn(s, &k, &created);
	if (!c)
		return;
	c->bypass = b->bypass & WIRE_XCF_BYPASS_STATE;
	c->per_home = (b->bypass & WIRE_XCF_BYPASS_HOME) != 0;
	memcpy(c->coa, b->coa, 16);
	c->bu_seq = b->seq;
	s->mip6.bind_info++;
}

void
stack_mip6_on_bind_info(struct stack *s, const struct xcf_member_info *from, const uint8_t *b,
			size_t len)
{
	struct wire_xcf_bind_info m;
	const char *why = "malformed BIND_INFO";
	struct stack_dvipa *d;
	int i;

	if (wire_xcf_bind_info_decode(&m, b, len, &why) < 0) {
		lib_verdict(&s->bus_verdicts, why);
		return;
	}
	d = stack_dvipa_find(s, m.dvipa);
	if (!d || !stack_dvipa_is_owner(s, d, from->member)) {
		lib_verdict(&s->bus_verdicts, "BIND_INFO from a stack that is not the DVIPA's owner");
		return;
	}
	for (i = 0; d->target && i < d->adv.nports && d->adv.ports[i] != m.dport; i++)
		;
	if (!d->target || i == d->adv.nports) {
		lib_verdict(&s->bus_verdicts, "BIND_INFO for a port we are not a target of");
		return;
	}
	stack_mip6_apply_bind_info(s, &m);
}
