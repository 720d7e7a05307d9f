/*
 * fast.c - the kernel fast path of the client agent (DATAPATH BPF, the
 * default where it loads): the eBPF programs of kdp/ on the client's LAN
 * device do agent_cn_outbound's per-packet work (RH2 insert toward the
 * care-of address of a bound connection or home address) on egress, and
 * agent_cn_inbound_hao's for the Home Address option packets of bound
 * standard mobile nodes on ingress.  The DVIPA prefixes are then routed
 * straight to the LAN (table 101: PREFIX dev LAN, through the router the
 * main table names for PREFIX in a routed network, MTU LAN - 24, so a bound
 * packet fits once its RH2 is in), so unbound DVIPA traffic never enters
 * the agent; the TUN stays for what the agent itself writes (Mobility
 * Headers with an RH2) and for the Home Address options the programs leave
 * (Binding Updates, no binding: nftables steers them in as before).
 *
 * The binding cache stays the agent's (cn.c); every binding it accepts,
 * refreshes or deletes is mirrored here with its expiry.  The program ends
 * a connection binding itself when the client ends the connection (SYN,
 * RST, FIN, as cn.c does on the TUN path); agent_fast_sync_conn, from the
 * agent's one-second tick, takes that, the last use (for Binding Refresh
 * Requests) and the packet counts into the binding cache.
 *
 * While a SYSPLEX$LINK delay is set the prefixes are routed into the TUN
 * again (the delay line is there); loss is applied by the program.  When
 * the programs cannot be loaded, or -D TUN is given, the agent runs as
 * before: every DVIPA packet through the TUN.
 *
 * State: struct agent_fast (agent.h).  Level 0 of client-agent/ (agent.h):
 * calls kdp/ only.
 */
#include "client-agent/agent.h"

#include <errno.h>
#include <jansson.h>
#include <string.h>

#include "kdp/kdp.h"

_Static_assert(AGENT_FIN_LINGER_MS == KDP_FIN_LINGER_MS && AGENT_RST_LINGER_MS == KDP_RST_LINGER_MS,
	       "the program keeps a binding after the FIN and the RST as long as the agent does");

int
agent_fast_active(const struct agent *a)
{
	return a->fast.kdp != NULL;
}

const char *
agent_fast_datapath(const struct agent *a)
{
	return a->fast.kdp ? "BPF" : "TUN";
}

static void
conn_of(struct kdp_conn *kc, const struct agent_conn_key *k)
{
	memset(kc, 0, sizeof(*kc));
	memcpy(kc->dvipa, k->home, 16);
	memcpy(kc->client, k->client, 16);
	kc->dport = k->home_port;
	kc->cport = k->client_port;
}

/* Whether the first plen bits of a and b agree. */
static int
prefix_match(const uint8_t a[16], const uint8_t b[16], int plen)
{
	int full = plen / 8, rest = plen % 8;

	if (memcmp(a, b, (size_t)full) != 0)
		return 0;
	return rest == 0 || ((a[full] ^ b[full]) & (0xff00 >> rest) & 0xff) == 0;
}

/* The next hop of the main table's most specific IPv6 route out of the LAN
 * that covers dst/plen (a routed network: the client's router); NULL when
 * that route is on-link or there is none (the LAN itself). */
static const uint8_t *
lan_gateway(struct agent *a, const uint8_t dst[16], int plen, uint8_t gw[16])
{
	struct lib_route r[128];
	int n = lib_nl_routes(a->nl, AF_INET6, 254, r, 128), i, best = -1;

	for (i = 0; i < n; i++)
		if (r[i].oif == a->fast.lan_ifindex && r[i].plen <= plen &&
		    prefix_match(r[i].dst, dst, r[i].plen) && (best < 0 || r[i].plen > r[best].plen))
			best = i;
	if (best < 0 || !r[best].has_gw)
		return NULL;
	memcpy(gw, r[best].gw, 16);
	return gw;
}

/* Table 101: the prefixes to the LAN (BPF; through the router the main table
 * names for them, if any) or into the TUN. */
static void
prefix_routes(struct agent *a, int add)
{
	struct agent_fast *f = &a->fast;
	int lan = f->kdp && !f->tun_only, i, stale = 0;
	uint8_t gwbuf[16];

	for (i = 0; i < a->nprefix; i++) {
		/* A killed agent may have left its route (to the LAN: a TUN's
		 * goes with its device). */
		if (add)
			for (stale = 0; stale < 2; stale++)
				lib_nl_route(a->nl, 0, AGENT_TABLE, a->prefix[i], a->plen[i], 0, NULL);
		if (add)
			lib_nl_route_mtu(a->nl, 1, AGENT_TABLE, a->prefix[i], a->plen[i],
					 lan ? f->lan_ifindex : a->tun_ifindex,
					 lan ? lan_gateway(a, a->prefix[i], a->plen[i], gwbuf) : NULL,
					 lan ? f->mtu : 0);
		else
			lib_nl_route(a->nl, 0, AGENT_TABLE, a->prefix[i], a->plen[i],
				     f->routed_lan ? f->lan_ifindex : a->tun_ifindex, NULL);
	}
	f->routed_lan = add && lan;
}

void
agent_fast_routes(struct agent *a, int add)
{
	prefix_routes(a, add);
}

int
agent_fast_start(struct agent *a, unsigned lan_mtu)
{
	struct agent_fast *f = &a->fast;
	struct kdp_opts o;
	int i, r;

	f->mtu = lan_mtu - WIRE_RH2_LEN;
	f->lan_ifindex = lib_nl_ifindex(a->lanif);
	if (f->want_tun) {
		lib_strlcpy(f->why, "-D TUN", sizeof(f->why));
		log_info("DATAPATH TUN: every DVIPA packet through %s", a->tunif);
		return 0;
	}
	memset(&o, 0, sizeof(o));
	o.role = KDP_ROLE_CLIENT;
	o.ifname = a->lanif;
	o.max_conns = AGENT_CONNS_MAX;
	o.max_homes = AGENT_MAX_HOME;
	r = kdp_open(&f->kdp, &o, f->why, sizeof(f->why));
	for (i = 0; r == 0 && i < a->nprefix; i++)
		if ((r = kdp_prefix_add(f->kdp, a->prefix[i], a->plen[i])) < 0) {
			snprintf(f->why, sizeof(f->why), "kdp_prefix_add: %s", strerror(-r));
			kdp_close(&f->kdp);
		}
	if (r < 0) {
		log_warnx("DATAPATH BPF UNAVAILABLE ON %s: %s: USING DATAPATH TUN", a->lanif,
			  f->why);
		return 0;
	}
	f->why[0] = '\0';
	log_info("DATAPATH BPF ACTIVE ON %s (%s): unbound DVIPA traffic goes straight to the LAN",
		 a->lanif, kdp_attach_name(f->kdp));
	return 0;
}

void
agent_fast_stop(struct agent *a)
{
	kdp_close(&a->fast.kdp);
}

int
agent_fast_link(struct agent *a, int loss_pct, unsigned delay_ms)
{
	struct agent_fast *f = &a->fast;
	int r, tun_only = delay_ms > 0;

	if (!f->kdp)
		return 0;
	if ((r = kdp_set_loss(f->kdp, (unsigned)loss_pct)) < 0)
		return r;
	if (tun_only != f->tun_only) {
		prefix_routes(a, 0);
		f->tun_only = tun_only;
		prefix_routes(a, 1);
	}
	return 0;
}

void
agent_fast_conn(struct agent *a, const struct agent_conn_binding *c)
{
	struct kdp_conn kc;

	if (!a->fast.kdp)
		return;
	conn_of(&kc, &c->key);
	if (kdp_bind_conn_set(a->fast.kdp, &kc, c->coa, c->expires_ms) < 0)
		a->fast.errors++;
	else
		a->fast.bind_set++;
}

/* Takes the kernel's counts since the last look into the binding and the
 * agent's counters (a binding made afresh counts from 0 again). */
static void
take_counts(struct agent *a, uint64_t *kpkts, uint64_t *kbytes, uint64_t *pkts, uint64_t *bytes,
	    uint64_t *last_use, const struct kdp_counters *ct)
{
	uint64_t dp = ct->pkts >= *kpkts ? ct->pkts - *kpkts : ct->pkts;
	uint64_t db = ct->bytes >= *kbytes ? ct->bytes - *kbytes : ct->bytes;

	*pkts += dp;
	*bytes += db;
	a->cnt.direct_pkts += dp;
	a->cnt.direct_bytes += db;
	*kpkts = ct->pkts;
	*kbytes = ct->bytes;
	if (ct->last_ms > *last_use)
		*last_use = ct->last_ms;
}

int
agent_fast_sync_conn(struct agent *a, struct agent_conn_binding *c)
{
	struct kdp_conn kc;
	struct kdp_counters ct;

	if (!a->fast.kdp)
		return 0;
	conn_of(&kc, &c->key);
	if (kdp_bind_conn_get(a->fast.kdp, &kc, &ct) < 0)
		return 0;
	take_counts(a, &c->kpkts, &c->kbytes, &c->pkts, &c->bytes, &c->last_use_ms, &ct);
	if (ct.end_ms)
		return 1;
	if (ct.rst_ms && !c->rst_ms) {
		c->rst_ms = ct.rst_ms;
		if (c->expires_ms > c->rst_ms + AGENT_RST_LINGER_MS)
			c->expires_ms = c->rst_ms + AGENT_RST_LINGER_MS;
		a->cnt.conn_ended++;
	}
	if (ct.fin_ms && !c->fin_ms) {
		c->fin_ms = ct.fin_ms;
		if (c->expires_ms > c->fin_ms + AGENT_FIN_LINGER_MS) {
			c->expires_ms = c->fin_ms + AGENT_FIN_LINGER_MS;
			a->cnt.conn_ended++;
		}
	}
	return 0;
}

void
agent_fast_conn_gone(struct agent *a, struct agent_conn_binding *c)
{
	struct kdp_conn kc;

	if (!a->fast.kdp)
		return;
	agent_fast_sync_conn(a, c);
	conn_of(&kc, &c->key);
	if (kdp_bind_conn_del(a->fast.kdp, &kc) == 0)
		a->fast.bind_del++;
}

void
agent_fast_home(struct agent *a, const struct agent_home_binding *b)
{
	if (!a->fast.kdp)
		return;
	if (kdp_bind_home_set(a->fast.kdp, b->home, b->coa, b->expires_ms) < 0)
		a->fast.errors++;
	else
		a->fast.bind_set++;
}

void
agent_fast_sync_home(struct agent *a, struct agent_home_binding *b)
{
	struct kdp_counters ct;

	if (!a->fast.kdp || kdp_bind_home_get(a->fast.kdp, b->home, &ct) < 0)
		return;
	take_counts(a, &b->kpkts, &b->kbytes, &b->pkts, &b->bytes, &b->last_use_ms, &ct);
	if (ct.hao_pkts > b->khao) {
		a->cnt.hao_in += ct.hao_pkts - b->khao;
		b->khao = ct.hao_pkts;
	}
}

void
agent_fast_home_gone(struct agent *a, struct agent_home_binding *b)
{
	if (!a->fast.kdp)
		return;
	agent_fast_sync_home(a, b);
	if (kdp_bind_home_del(a->fast.kdp, b->home) == 0)
		a->fast.bind_del++;
}

/* The kernel fast path: what the agent did to its tables, what its
 * programs did (summed over CPUs). */
json_t *
agent_fast_show(struct agent *a)
{
	json_t *o = json_pack("{s:b,s:I,s:I,s:I}", "tun_only", a->fast.tun_only,
			      "bind_set", (json_int_t)a->fast.bind_set,
			      "bind_del", (json_int_t)a->fast.bind_del,
			      "errors", (json_int_t)a->fast.errors);
	json_t *p = json_object();
	uint64_t v[KDP_STAT_COUNT];
	int i;

	if (a->fast.kdp && kdp_stats(a->fast.kdp, v) == 0)
		for (i = 0; i < KDP_STAT_COUNT; i++)
			json_object_set_new(p, kdp_stat_name(i), json_integer((json_int_t)v[i]));
	json_object_set_new(o, "program", p);
	return o;
}
