/*
 * agent.h - internal header of client-agent, the Mobile IPv6 correspondent
 * node (RFC 6275) of a client host.  Not a module header.
 *
 * Files, in levels: a file calls only files on lower levels.  Every file
 * keeps its state in its own struct below, hung off struct agent, with init
 * (memory, no I/O) and fini, and start / stop where it has sockets.
 *
 *   L4 main.c    options, --show, the process
 *   L3 agent.c   start-up and shut-down: TUN device, routing and nftables,
 *                the per-packet loop, the timer, signals
 *   L2 actl.c    control socket (agent.ctl), the SHOW display, --show
 *   L1 cn.c      return routability (Kcn, nonces, HoT/CoT), Binding Update
 *                checks, the binding cache, BA/BE/BRR
 *   L0 link.c    SYSPLEX$LINK: loss and delay on the TUN path
 *      fast.c    the kernel fast path (DATAPATH BPF): the binding cache
 *                mirrored into the programs' tables, the prefixes' route
 * Every file but main.c goes into libagent.a, which the unit tests link.
 *
 * With --standard (a->standard) it is a plain RFC 6275 correspondent node:
 * every mobility option it does not know is skipped (6.2.1, 9.5.1), our
 * vendor options included, so it never echoes COPYTO, binds every BU per
 * home address and answers without WIRE_VSO_CONN - what any standard node
 * does; the tests use it to prove that the bypass needs nothing more.
 *
 * The binding cache has two kinds of entries:
 *   - per connection (our RFC 5094 vendor option WIRE_VSO_CONN in the BU):
 *     struct agent_conn_binding in a lib_tab keyed by (home address, client
 *     address, home port, client port);
 *   - per home address (a standard mobile node's binding): a small array of
 *     struct agent_home_binding.
 */
#ifndef SYSPLEX_AGENT_H
#define SYSPLEX_AGENT_H

#include <stdint.h>
#include <uv.h>

#include "lib/lib.h"
#include "wire/wire.h"

#define AGENT_TABLE 101			/* to PREFIX -> dev TUN */
#define AGENT_TABLE_HAO 102		/* steered inbound packets -> dev TUN */
#define AGENT_PRIO_HAO 40		/* fwmark AGENT_MARK lookup 102 */
#define AGENT_PRIO_IIF 50		/* iif TUN lookup main */
#define AGENT_PRIO_TO 60		/* to PREFIX lookup 101 */
#define AGENT_PRIO_LOCAL 100		/* the local rule, moved from 0 */
#define AGENT_MARK 0x4d495036		/* "MIP6" */
#define AGENT_MAX_PREFIX 16
#define AGENT_HEADROOM 64
#define AGENT_PKT_MAX (65536 + WIRE_VNET_HDR_LEN)
#define AGENT_RX_BUDGET 256
#define AGENT_MAX_HOME 64
#define AGENT_NONCES 16
#define AGENT_NONCE_EVERY_MS 30000
#define AGENT_FIN_LINGER_MS 10000	/* a bound connection's binding after the client's FIN */
#define AGENT_RST_LINGER_MS 1000	/* ...after its RST, for RSTs only */
#define AGENT_CONNS_MAX (1 << 14)	/* per-connection bindings */
#define AGENT_QUOTA_DIV 4		/* one home or care-of address: at most
					 * conns_max / AGENT_QUOTA_DIV of them */
#define AGENT_ERR_RATE 100		/* Binding Errors and error BAs per second */
#define AGENT_RR_RATE 2000		/* HoT and CoT replies per second */

/* A per-connection binding: what a BU with WIRE_VSO_CONN registered. */
struct agent_conn_key {
	uint8_t home[16];		/* the home address (the DVIPA) */
	uint8_t client[16];		/* our address on the connection */
	uint16_t home_port;
	uint16_t client_port;
};
struct agent_conn_binding {
	struct agent_conn_key key;
	uint8_t coa[16];		/* the care-of address (the target) */
	uint16_t seq;			/* sequence number of the last accepted BU */
	uint16_t life_s;		/* lifetime granted by the last accepted BU */
	uint64_t created_ms;
	uint64_t expires_ms;		/* monotonic: the binding ends here */
	uint64_t last_use_ms;		/* last packet sent to the care-of address */
	uint64_t brr_ms;		/* last Binding Refresh Request; 0 none since the BU */
	uint64_t fin_ms;		/* the client's FIN was seen; 0 none */
	uint64_t rst_ms;		/* the client's RST was seen; 0 none */
	uint64_t pkts, bytes;		/* sent straight to the care-of address */
	/* Deleted or expired: kept (no longer used for packets) with its
	 * sequence number until keep_ms, when every nonce a BU for it may
	 * have used has expired, so a replayed BU is still old (RFC 6275
	 * 5.2.8). */
	int deleted;
	uint64_t keep_ms;
	uint64_t kpkts, kbytes;		/* of those, the kernel's as last read (fast.c) */
};

struct agent_home_binding {
	int used;			/* a live binding */
	int deleted;			/* not live: its sequence number kept until keep_ms */
	uint8_t home[16], coa[16];
	uint8_t me[16];			/* our address the BU came to */
	uint16_t seq;
	uint16_t life_s;		/* lifetime granted by the last accepted BU */
	uint64_t expires_ms, created_ms, last_use_ms, keep_ms;
	uint64_t brr_ms;		/* last Binding Refresh Request; 0 none since the BU */
	uint64_t pkts, bytes;
	uint64_t kpkts, kbytes, khao;	/* the kernel's counts as last read (fast.c) */
};

/* How many per-connection entries (live or kept) one address holds, as
 * home (kind 0) or care-of address (kind 1). */
struct agent_quota_key {
	uint8_t addr[16];
	uint8_t kind;
};
struct agent_quota {
	struct agent_quota_key key;
	uint32_t n;
};

/* A token bucket: at most `rate` per second, bursts of `rate`. */
struct agent_rate {
	uint64_t tokens, ms;
};

struct agent_nonce {
	int used;
	uint16_t idx;
	uint8_t nonce[MIP6_NONCE_LEN];
	uint64_t created_ms;
};

struct agent_counters {
	uint64_t pkts, bytes;		/* read from the TUN */
	uint64_t direct_pkts, direct_bytes;	/* sent with an RH2 to a care-of address */
	uint64_t rx[8], tx[8];		/* Mobility Header messages by type */
	uint64_t bu_accepted, bu_deleted, bu_rejected, hao_in;
	uint64_t conn_ended;		/* bindings ended by what the client sent (SYN, RST, FIN) */
	uint64_t bu_refreshed;		/* accepted BUs that renewed a live per-connection entry */
	uint64_t bu_evicted;		/* entries evicted for a newer binding (quota, full) */
	uint64_t replies_limited;	/* HoT/CoT, BE, error BAs not sent (rate limit) */
};

/* cn.c: the correspondent node */
struct agent_cn {
	uint8_t kcn[MIP6_KCN_LEN];
	struct agent_nonce nonces[AGENT_NONCES];
	uint16_t nonce_idx;		/* index of the newest nonce */
	struct lib_tab *conns;		/* struct agent_conn_binding */
	struct lib_tab *quota;		/* struct agent_quota */
	uint32_t quota_max;		/* per home / care-of address */
	struct agent_rate err_rate, rr_rate;
	struct agent_home_binding home[AGENT_MAX_HOME];
	int mh_fd;			/* raw Mobility Header socket, -1 closed */
	uv_poll_t mh_poll;
	int mh_poll_init;
	uint8_t mhbuf[MIP6_MAX_LEN];	/* a Mobility Header being sent */
	uint8_t pkt[WIRE_VNET_HDR_LEN + WIRE_IP6_HDR_LEN + WIRE_RH2_LEN + MIP6_MAX_LEN];
	uint8_t rxbuf[MIP6_MAX_LEN + 64];	/* a Mobility Header received */
};

/* fast.c: the kernel fast path */
struct kdp;
struct agent_fast {
	struct kdp *kdp;		/* NULL: every DVIPA packet through the TUN */
	int want_tun;			/* -D TUN */
	int tun_only;			/* SYSPLEX$LINK delay set: prefixes into the TUN */
	int routed_lan;			/* table 101 routes the prefixes to the LAN now */
	int lan_ifindex;
	unsigned mtu;			/* the prefixes' route MTU on the LAN: LAN MTU - 24 */
	char why[256];			/* why the TUN path ("" when BPF) */
	uint64_t bind_set, bind_del, errors;
};

/* link.c: SYSPLEX$LINK fault injection on the TUN path */
struct agent_link {
	int loss_pct;
	unsigned delay_ms;
	struct lib_delay *delay;
	uint64_t dropped;
};

struct agent {
	uv_loop_t *loop;
	char tunif[16], lanif[16], statedir[200];
	int nprefix;
	uint8_t prefix[AGENT_MAX_PREFIX][16];
	int plen[AGENT_MAX_PREFIX];
	struct lib_nl *nl;
	int tun_fd, tun_ifindex;
	uv_poll_t poll;
	uv_timer_t timer;
	uv_signal_t sigterm, sigint;
	struct lib_ctl *ctl;
	uint8_t *rxbuf;
	int nft_ok;			/* inbound Home Address steering installed */
	int standard;			/* --standard: a plain RFC 6275 correspondent node
					 * that skips our vendor options as unknown */
	struct agent_counters cnt;
	struct lib_verdicts verdicts;
	/* the files' own state */
	struct agent_cn cn;
	struct agent_link link;
	struct agent_fast fast;
};

/* ---- L0 link.c ------------------------------------------------------------------------ */
/* Writes a frame to the TUN through SYSPLEX$LINK's loss and delay. */
void agent_tun_write(struct agent *a, const uint8_t *frame, size_t len);
int agent_link(struct agent *a, int loss_pct, unsigned delay_ms);
void agent_link_fini(struct agent *a);

/* ---- L0 fast.c: the kernel fast path (DATAPATH BPF) ----------------------------------- */
/* Loads the programs on the LAN device unless -D TUN; when they cannot be,
 * logs why once and the agent runs the TUN path.  0. */
int agent_fast_start(struct agent *a, unsigned lan_mtu);
void agent_fast_stop(struct agent *a);
int agent_fast_active(const struct agent *a);
const char *agent_fast_datapath(const struct agent *a);	/* "BPF" or "TUN" */
/* Table 101's routes of the prefixes: to the LAN (BPF), into the TUN
 * (TUN, or while a delay is set). */
void agent_fast_routes(struct agent *a, int add);
/* SYSPLEX$LINK: loss in the programs; a delay routes the prefixes into the TUN. */
int agent_fast_link(struct agent *a, int loss_pct, unsigned delay_ms);
/* A binding accepted or refreshed: into the kernel with its expiry. */
void agent_fast_conn(struct agent *a, const struct agent_conn_binding *c);
void agent_fast_home(struct agent *a, const struct agent_home_binding *b);
/* The kernel's counts, last use and the client's FIN into the binding;
 * 1 when the client ended the connection (the binding must go). */
int agent_fast_sync_conn(struct agent *a, struct agent_conn_binding *c);
void agent_fast_sync_home(struct agent *a, struct agent_home_binding *b);
/* A binding goes: its last counts are taken, its kernel entry deleted. */
void agent_fast_conn_gone(struct agent *a, struct agent_conn_binding *c);
void agent_fast_home_gone(struct agent *a, struct agent_home_binding *b);
/* SHOW's "kernel" object: the tables' and the programs' counters. */
struct json_t *agent_fast_show(struct agent *a);

/* ---- L1 cn.c -------------------------------------------------------------------------- */
/* Kcn, the first nonce, a binding cache for conns_max connections; no I/O. */
int agent_cn_init(struct agent *a, size_t conns_max);
/* The raw Mobility Header socket, polled on a->loop. */
int agent_cn_start(struct agent *a);
void agent_cn_stop(struct agent *a);
void agent_cn_fini(struct agent *a);
/* One Mobility Header from src to our address me (HoTI, CoTI, BU). */
void agent_cn_rx_mh(struct agent *a, const uint8_t src[16], const uint8_t me[16],
		    const uint8_t *mh, size_t mhlen);
/* Per packet, from the TUN: rewrites toward a care-of address when bound.
 * Returns the frame to write (may start before `frame`) and its length. */
uint8_t *agent_cn_outbound(struct agent *a, uint8_t *frame, size_t *flen);
/* A packet steered in from the LAN (it carries a Home Address option). */
void agent_cn_inbound_hao(struct agent *a, uint8_t *frame, size_t flen);
/* Once a second: nonces, expiry, Binding Refresh Requests. */
void agent_cn_tick(struct agent *a);

/* ---- L2 actl.c ------------------------------------------------------------------------ */
int agent_ctl_start(struct agent *a);
void agent_ctl_stop(struct agent *a);
/* SHOW's result object (docs/CONSOLE.md: the binding cache, its count, the
 * counters, the LAN interface) and its text; NULL when out of memory. */
struct json_t *agent_ctl_show(struct agent *a);
void agent_ctl_render(const struct json_t *r, struct lib_sbuf *o, void *arg);

/* ---- L3 agent.c ----------------------------------------------------------------------- */
/* Everything but the loop: TUN, correspondent node, control socket,
 * routes, handles.  Exits with a message on failure (start-up only). */
void agent_start(struct agent *a, uv_loop_t *loop);
/* Undoes agent_start (the routes first). */
void agent_stop(struct agent *a);

#endif
