/*
 * stack.h - internal header of the tcpip-stack daemon (one per emulated
 * z/OS system).  Not a module header: only the daemon's own files include it.
 *
 * Roles per DVIPA (one stack may hold all three):
 *  - routing stack (owner): the DVIPA is routed into our TUN for packets from
 *    the LAN; we choose a target per new connection (VDPT), remember it
 *    (VCRT) and forward every inbound packet of the connection to it with a
 *    Type 2 Routing Header whose home address is the DVIPA;
 *  - target: the DVIPA is a local address on our TUN (tcpip0); our DYNAMICXCF
 *    (care-of) address is routed into it; we strip the RH2 and hand the
 *    packet to the kernel;
 *    we report listeners (Rdy) and connections to the owner over XCF;
 *  - backup: VIPABACKUP rank, takes over when the owner is gone.
 *
 * Files, in levels: a file calls only files on lower levels; a lower file
 * reaches an upper one only through a callback the upper one registered
 * (libuv style: the xcf callbacks, self-delivery, the neighbour socket's
 * readiness).  Every file keeps its state in its own struct below, hung off
 * struct stack, with an init (memory, no I/O) and a fini; those with
 * sockets or handles also start and stop.  docs/DESIGN.md draws the same
 * picture.
 *
 *   L11 main.c     options, the process
 *   L10 stack.c    assembly: start-up and shut-down of every file, timers,
 *                  signals, the lease check before neighbour answers
 *   L9  ctl.c      control socket and commands
 *   L8  display.c  the operator displays as result objects
 *       state.c    every file's state: init and fini in one place
 *   L7  group.c    XCF callbacks: joins, departures, SFM, message dispatch
 *       vary.c     operator actions V TCPIP,,SYSPLEX,...
 *       dp.c       the TUN data plane, TIMEDAFFINITY
 *   L6  own.c      who owns each DVIPA; activation; our VIPA_ADV
 *   L5  dist.c     routing stack: DIST_ADV, VDPT and VCRT from the targets'
 *                  reports, connection bookkeeping
 *   L4  mip6.c     the Mobile IPv6 bypass (mobile node; target forwarding)
 *   L3  tgt.c      the target side: becoming a target, connection events (or
 *                  socket polling), incremental reports and digests
 *   L2  net.c      the kernel's network configuration (TUN, addresses,
 *                  routes, rules, announcements)
 *   L1  bus.c      sending on XCF; messages to ourselves queued, delivered
 *                  from the loop
 *       ndp.c      neighbour advertisements for owned DVIPAs
 *       fast.c     the kernel fast path (DATAPATH BPF): its tables filled
 *                  from the DVIPAs and the VCRT, the lease
 *   L0  dvipa.c    the DVIPA table
 *       render.c   the displays' text from their result objects (render.h)
 *
 * Every file but main.c goes into libstack.a, which the unit tests link.
 */
#ifndef SYSPLEX_STACK_H
#define SYSPLEX_STACK_H

#include <stdint.h>
#include <uv.h>

#include "kdp/kdp.h"
#include "lib/lib.h"
#include "vipa/vipa.h"
#include "wire/wire.h"
#include "xcf/xcf.h"

#define STACK_TUN_NAME "tcpip0"
#define STACK_TABLE_DVIPA 200		/* policy routing table: DVIPA dev tcpip0 */
#define STACK_PRIO_DVIPA 50		/* rule: iif LAN to DVIPA lookup 200 */
#define STACK_METRIC_BLACKHOLE 2147483647u /* table 200: DVIPA blackhole, last */
#define STACK_PRIO_LOCAL 100		/* the local rule, moved from 0 */
#define STACK_HEADROOM 64
#define STACK_PKT_MAX (65536 + WIRE_VNET_HDR_LEN)
#define STACK_RX_BUDGET 256		/* packets per TUN wake-up before yielding */
#define STACK_POLL_MS 100		/* target: socket table poll (without events) */
#define STACK_VERIFY_MS 10000		/* target with events: socket table check */
#define STACK_TGT_HOLD_MS 2		/* target with events: reports held after one is sent */
#define STACK_SYNC_HOLD_MS 3000		/* routing stack: one TGT_SYNC_REQ per target
					 * and DVIPA in this time */
#define STACK_ADV_MS 1000		/* periodic re-advertisement */
/* A new owner announces a DVIPA (gratuitous ARP, unsolicited NA) at once and
 * STACK_ANNOUNCE_REPEATS more times STACK_ANNOUNCE_MS apart, as RFC 5227 2.3
 * (ANNOUNCE_NUM 2, ANNOUNCE_INTERVAL 2 s) and RFC 4861 7.2.6 (up to
 * MAX_NEIGHBOR_ADVERTISEMENT 3) do: one can be lost, and Linux ignores an
 * ARP update within a second (locktime) of the entry's last change. */
#define STACK_ANNOUNCE_REPEATS 2
#define STACK_ANNOUNCE_MS 2000
#define STACK_SYN_TIMEOUT_MS 10000	/* VCRT entry never confirmed by its target */
#define STACK_MOVING_MS 3000		/* old owner keeps forwarding after giving a DVIPA up */
#define STACK_FIN_LINGER_MS 2000	/* unconfirmed entry after the client's FIN/RST */
#define STACK_FIN_TIMEOUT_MS 60000	/* any entry after the client's FIN/RST */
#define STACK_VCRT_MAX (1 << 18)	/* routing stack: connections routed */
#define STACK_SYN_MAX (1 << 16)		/* of them half-open (SYN seen, not confirmed):
					 * beyond, the oldest half-open one goes */
#define STACK_TCONN_MAX (1 << 16)	/* target: connections terminated */
#define STACK_MAX_CONNS_MIN 1024	/* -C: the smallest and largest tables */
#define STACK_MAX_CONNS_MAX (1 << 24)
#define STACK_AFFINITY_MAX (1 << 14)	/* TIMEDAFFINITY (client, DVIPA, port) entries */
#define STACK_SYSPORTS_LO 32768		/* SYSPLEXPORTS: the ephemeral ports shared out */
#define STACK_SYSPORTS_HI 60999		/* (Linux's default ip_local_port_range) */
#define STACK_SYSPORTS_BLOCKS 8		/* blocks of 64 a target asks for: 512 ports */
#define STACK_PTB_RATE 200		/* Packet Too Big replies per second (bursts as many) */
#define STACK_FAST_EARLY_MAX 4096	/* of them half-open, installed at the SYN (fast.c) */

struct stack;

struct stack_dvipa {
	uint8_t addr[16];
	char ifname[VIPA_IFNAME_LEN + 1];
	int defined;			/* VIPADEFINE here */
	int backup;			/* VIPABACKUP here */
	uint8_t rank;
	enum vipa_moveable moveable;
	int has_dist;			/* own VIPADISTRIBUTE */
	struct vipa_distribute dist;
	int owned;			/* we are the routing stack now */
	int activated_ms_valid;
	uint64_t activated_wall_ms;
	uint64_t active_since_ms;	/* lib_now_ms() of the activation (SYSPLEX$ROLE) */
	/* Repeats of the gratuitous ARP / unsolicited NA of a new owner: left
	 * to send, and when the next is due (stack_net_announce_tick). */
	uint8_t announce_left;
	uint64_t announce_next_ms;
	char owner[XCF_NAME_LEN + 1];	/* current routing stack ("" unknown) */
	/* target side: the owner's distribution as last advertised */
	int target;			/* we are a target of it */
	int range;			/* an application-instance DVIPA: created by a
					 * server's bind() in a VIPARANGE here */
	int draining;			/* no longer a destination (OBEYFILE), a target
					 * still while our connections of it live */
	struct wire_xcf_dist_adv adv;
	int listen_dirty;		/* send a full listener report */
	uint64_t owner_inc;		/* target: the incarnation of owner we report to */
	/* routing stack: our lease lapsed while we owned it and nobody else
	 * took it: its VCRT entries are kept (not forwarded for) until we own
	 * it again or another stack does (own.c, "held") */
	int held;
	uint64_t held_since_ms;
	uint16_t rdy[VIPA_MAX_PORTS];	/* listeners per adv.ports[i] */
	/* ownership (own.c): what every other live stack advertises for it */
	struct stack_cand {
		char member[XCF_NAME_LEN + 1];
		uint8_t origin, rank, status, flags;
	} cand[XCF_MAX_MEMBERS];
	int ncand;
	int inherited;			/* distribution inherited from the owner's DIST_ADV */
	int moving;			/* given up; still forwarding until moving_until_ms */
	uint64_t moving_until_ms;
	char moving_to[XCF_NAME_LEN + 1];
	uint64_t owner_lost_ms;		/* its active owner vanished (for the message) */
	char last_owner[XCF_NAME_LEN + 1];
	int deactivated;		/* V TCPIP,,SYSPLEX,DEACTIVATE */
	uint8_t quiesced[VIPA_MAX_PORTS];	/* target: V TCPIP,,SYSPLEX,QUIESCE per adv.ports[i] */
	/* SYSPLEXPORTS, routing stack: the port blocks handed to the targets */
	int sp_init;
	struct vipa_sysports sp;
};

struct stack_counters {
	uint64_t rx_pkts, rx_bytes;
	uint64_t fwd_pkts, fwd_bytes;	/* forwarded to another target */
	uint64_t local_pkts;		/* delivered locally (we are the target) */
	uint64_t strip_pkts;		/* RH2 stripped on the target side */
	uint64_t new_conns, no_target, no_entry;
	uint64_t tun_write_err;
	uint64_t link_dropped;		/* SYSPLEX$LINK loss and delay-line overflow */
	uint64_t ptb_sent;		/* Packet Too Big: rewritten packet would not fit */
	uint64_t ptb_limited;		/* ...not sent: over STACK_PTB_RATE */
	uint64_t full_reports;		/* target: full connection reports sent to owners */
};

/* ---- bus.c: what this stack sends on XCF ----------------------------------------- */

/* How a message reaches the stack's message handler (group.c). */
typedef void (*stack_deliver_fn)(struct stack *s, const struct xcf_member_info *from,
				 uint8_t type, const uint8_t *body, size_t len, int group);

#define STACK_SELFQ_BYTES (8u << 20)	/* messages to ourselves per loop iteration */

struct stack_bus {
	stack_deliver_fn deliver;
	struct xcf_member_info self;	/* the sender of what we send ourselves */
	uv_idle_t idle;			/* delivers the queue from the loop */
	int idle_init;
	/* Two queues: new messages go into q[fill]; the loop swaps them and
	 * delivers the other, so what a handler sends waits its turn. */
	struct {
		uint8_t *buf;
		size_t len;
	} q[2];
	int fill;
	uint64_t self_sent, self_dropped;
};

/* ---- ndp.c ------------------------------------------------------------------------ */

struct stack_ndp {
	int fd;				/* raw ICMPv6 on the LAN, -1 closed */
	uv_poll_t poll;
	uint8_t mac[6];
};

/* ---- fast.c: the kernel fast path ------------------------------------------------- */

struct kdp;
struct kdp_counters;

#define STACK_FAST_SCHED_MAX 256	/* distributed (DVIPA, port)s with a schedule */
struct stack_fast_sched {
	uint8_t dvipa[16];
	uint16_t port;
	uint8_t used, seen;
	uint64_t hash;			/* of the slots given (never 0) */
};

struct stack_fast {
	struct kdp *kdp;		/* NULL: every packet through the TUN */
	int tun_only;			/* SYSPLEX$LINK delay set: the TUN path meanwhile */
	char why[256];			/* why the TUN path ("" when BPF) */
	uint8_t flags[VIPA_MAX_DVIPA];	/* kernel DVIPA flags last set, per s->dv[i] */
	uint8_t set[VIPA_MAX_DVIPA];	/* ...and whether they were set at all */
	uint8_t addr[VIPA_MAX_DVIPA][16];	/* ...for which DVIPA (a slot may be reused) */
	uint64_t lease_ms;		/* lease last given to the program */
	uint64_t conn_put, conn_del;	/* kernel connection entries installed / deleted */
	uint64_t conn_full;		/* not installed: the kernel table was full */
	uint64_t early;			/* half-open entries installed at their SYN, now */
	uint64_t early_put;		/* ...so far */
	uint64_t errors, sweeps;
	/* A FIN or RST the program saw first: the entry's expiry is due. */
	void (*fin_seen)(struct stack *s, const struct vipa_conn *c);
	/* The sweep in steps (fast.c): where the kernel table's walk and the
	 * VCRT's stopped; a full pass over the VCRT is owed (fill: the
	 * DVIPAs' flags changed, or we took over) or wanted (room: an entry
	 * went after the kernel table was full; at most every
	 * STACK_FAST_FILL_MS). */
	struct kdp_conn_cursor kcur;
	uint32_t vcur;
	int fill, full;
	uint64_t fill_ms, fills;
	/* SYNs the program routes itself (fast.c): the schedules given to it,
	 * per distributed (DVIPA, port), by a hash of their slots; the ring
	 * buffer of its records (polled for KDP_SYN_IDLE_MS after each one),
	 * and what dp.c makes of a record. */
	struct stack_fast_sched sched[STACK_FAST_SCHED_MAX];
	uint64_t sched_sets;		/* schedules given (changed or deleted) */
	uint64_t ksyn;			/* records taken: connections the program routed */
	uint64_t ksyn_known;		/* ...of which the VCRT already had (routed here) */
	void (*kernel_syn)(struct stack *s, const struct kdp_syn *ks);
	uv_poll_t syn_poll;
	uv_timer_t syn_timer;
	int syn_handles;		/* syn_poll and syn_timer initialised */
	uint64_t syn_last_ms;		/* last consume that found records */
};

/* ---- tgt.c: the target side --------------------------------------------------------- */

struct stack_tgt_event {
	uint8_t dv;			/* index into s->dv */
	struct wire_xcf_conn r;
};

#define STACK_TGT_EVQ_MAX 65536
/* A full report goes in bursts of at most STACK_TGT_FULL_BURST messages of
 * WIRE_XCF_MAX_CONN connections, one burst every STACK_TGT_FULL_PACE_MS
 * (about 400,000 connections/s), so that the loop (the couple data set
 * lease, the events) runs between them. */
#define STACK_TGT_FULL_BURST 8
#define STACK_TGT_FULL_PACE_MS 10

/* Why a target sends the owner of a DVIPA a full report (stack_tgt_full_needed). */
enum stack_full_why {
	STACK_FULL_NONE = 0,
	STACK_FULL_NEW_TARGET,		/* we became a target of the DVIPA */
	STACK_FULL_NEW_OWNER,		/* another stack owns it (takeover, takeback) */
	STACK_FULL_OWNER_INC,		/* the same owner, a new incarnation (restart, rejoin) */
	STACK_FULL_REBUILD,		/* we own it and rebuild our VCRT (it was dropped) */
	STACK_FULL_ASKED,		/* TGT_SYNC_REQ: the owner's digest differed */
};

/* A full report of one DVIPA in progress (tgt.c): the owner it goes to and
 * the next pool id of our connection table to look at. */
struct stack_tgt_full {
	int on;				/* wanted or in progress */
	int started;			/* its FIRST message went */
	uint32_t next;
	uint64_t inc;			/* the owner's incarnation */
	char owner[XCF_NAME_LEN + 1];
};

/* The server efficiency fraction (SEF) of one listener (DVIPA, port), as the
 * target measures it: of its socket polls, `late` found a connection still
 * waiting in the accept queue after a full poll interval (the server did not
 * keep up); both counts decayed every second (3/4 of the history kept), in
 * 1/1024ths.  SEF = 100 * (polls - late) / polls. */
struct stack_tgt_sef {
	uint32_t polls, late;		/* this second */
	uint64_t dpolls, dlate;		/* decayed */
	uint8_t late_now;		/* the current poll found one waiting */
	uint8_t sef;			/* 0..100, reported in TGT_LISTEN */
};

struct kdp_ev;

struct stack_tgt {
	struct vipa_vcrt *conns;	/* connections we terminate */
	struct stack_tgt_sef sef[VIPA_MAX_DVIPA][VIPA_MAX_PORTS];
	uint64_t sef_ms;		/* last SEF interval */
	struct vipa_digest dg[VIPA_MAX_DVIPA];	/* of conns, per s->dv index */
	uint64_t poll_gen;		/* socket table polls so far */
	/* Connection events from the kernel (kdp_ev_*); NULL: we poll. */
	struct kdp_ev *ev;
	uv_poll_t ev_poll;		/* the ring buffer is readable */
	uv_timer_t ev_timer;		/* lookups of lingering connections are due, or
					 * the held reports (hold_ms) */
	uint64_t hold_ms;		/* events are sent at once from then on */
	uint64_t sends;			/* TGT_CONN messages sent */
	int ev_handles;
	int listen_check;		/* a listener came or went: count them again */
	int dump_conns;			/* the dump in progress lists connections */
	int resync;			/* events were lost: dump the table */
	uint64_t verify_ms;		/* the last full dump (lib_now_ms) */
	uint64_t drop_reports;		/* SYSPLEX$EVDROP: reports to leave unsent */
	/* counters (SYSPLEX$STATS) */
	uint64_t events;		/* connection events applied */
	uint64_t dumps;			/* full socket table dumps */
	uint64_t repairs;		/* changes a check found that events missed */
	uint64_t digests;		/* TGT_DIGESTs sent */
	uint64_t dropped_reports;	/* reports left unsent (SYSPLEX$EVDROP) */
	struct stack_tgt_event *evq;	/* connection events for the owners */
	size_t nev;
	uint16_t rdy[VIPA_MAX_DVIPA][VIPA_MAX_PORTS];	/* listeners found by a poll */
	/* Listeners on addresses inside our VIPARANGEs, found by the last
	 * poll (own.c makes and deletes application-instance DVIPAs of them). */
	uint8_t range_seen[VIPA_MAX_DVIPA][16];
	int nrange_seen;
	int range_polled;		/* the last poll looked for them */
	/* SYSPLEXPORTS, target: our ephemeral ports for connections from a
	 * DVIPA (one run for the namespace: its ip_local_port_range) */
	uint8_t sp_dvipa[16];		/* the DVIPA we asked for */
	int sp_want;			/* we are a target of a SYSPLEXPORTS DVIPA */
	uint16_t sp_first, sp_count;	/* granted: sp_count blocks from sp_first */
	char sp_owner[XCF_NAME_LEN + 1];	/* who granted them */
	uint64_t sp_ask_ms;
	struct wire_xcf_tgt_conn connmsg;	/* the TGT_CONN being built */
	uint8_t txbuf[WIRE_XCF_MAX_BODY];
	/* Full reports: one in progress at a time (the owner keeps one report
	 * generation per target), paced by full_timer. */
	struct stack_tgt_full full[VIPA_MAX_DVIPA];
	uv_timer_t full_timer;
	int full_timer_init;
	uint64_t full_bursts;		/* bursts sent from the timer */
	uint64_t full_joined;		/* requests a report in progress answers */
};

/* ---- mip6.c: the Mobile IPv6 bypass ------------------------------------------------- */

#define STACK_MIP6_RR_MAX 1024
#define STACK_MIP6_PEND_MAX 1024
#define STACK_MIP6_RECENT_MAX 256

/* A return routability test of (client, tested address). */
struct stack_mip6_rr {
	int used;
	uint8_t client[16];
	uint8_t addr[16];		/* home (DVIPA) or care-of address tested */
	uint8_t dvipa[16];		/* the DVIPA the test is for */
	int care_of;
	uint8_t cookie[MIP6_COOKIE_LEN];
	uint8_t token[MIP6_TOKEN_LEN];
	uint16_t idx;
	int have, tries;
	uint64_t sent_ms, got_ms;
};

/* A deleting BU waiting for a home token. */
struct stack_mip6_pend {
	int used;
	uint8_t client[16], dvipa[16];
	uint16_t cport, dport;
	uint64_t since_ms;
	int retried;			/* a repeat after status 135 */
};

/* A deleting BU sent lately, so a status-135 answer can be retried once. */
struct stack_mip6_recent {
	int used, retried;
	uint8_t client[16], dvipa[16];
	uint16_t cport, dport;
	uint64_t sent_ms;
};

/* Which kind of correspondent node a client is (learned from its CoT:
 * ours echoes WIRE_VSO_COPYTO, a standard RFC 6275 node skips it; and from
 * its BA: ours echoes WIRE_VSO_CONN, a standard one binds the home address). */
enum stack_cn_kind { STACK_CN_UNKNOWN = 0, STACK_CN_AGENT = 1, STACK_CN_STANDARD = 2 };
#define STACK_MIP6_PEERS_MAX 16384
struct stack_mip6_peer {
	uint8_t client[16];		/* key */
	uint8_t kind;			/* enum stack_cn_kind */
	uint64_t seen_ms;
};

/* A standard client's per-home-address binding of a DVIPA: every packet
 * of the client to the DVIPA goes to coa (the target) while it is BOUND at
 * the client.  All the client's connections to the DVIPA are on that target
 * and carry vipa_conn.per_home; nconn counts them. */
#define STACK_MIP6_HOMES_MAX 16384
struct stack_mip6_home_key {
	uint8_t dvipa[16];
	uint8_t client[16];
};
struct stack_mip6_home {
	struct stack_mip6_home_key key;
	uint8_t coa[16];		/* the target (care-of address) */
	uint8_t state;			/* enum vipa_bypass: TESTING, BOUND, NONE (gave up) */
	uint8_t bu_tries, refreshing;
	uint8_t sent;			/* a BU was sent: the client may hold it */
	uint16_t seq;			/* sequence number of the last BU sent */
	uint16_t life;			/* granted lifetime (s) */
	uint32_t nconn;			/* connections under it */
	uint64_t created_ms, bu_ms, state_ms;
};

/* The BU sequence counter of one binding (a client and a DVIPA). */
#define STACK_MIP6_SEQ_MAX 65536
struct stack_mip6_seq {
	struct stack_mip6_home_key key;
	uint16_t next;			/* the number of our next BU for it */
	uint64_t used_ms;		/* last taken or moved */
};

struct stack_mip6 {
	/* counters (D TCPIP,,NETSTAT,STATS) */
	uint64_t tx[8], rx[8];		/* Mobility Header messages by type */
	uint64_t started, bound, deletes, target_lost, gave_up, copies, bind_info,
		 ba_errors;
	uint64_t refreshes, refreshed;	/* binding refreshes started / acknowledged */
	uint64_t syn_to_bu_ms_sum;	/* sum over bypassed connections: SYN to first BU */
	uint64_t home_bound, home_released, home_conns, home_conflicts;	/* per home address */
	/* state */
	struct lib_tab *peers;		/* struct stack_mip6_peer by client */
	struct lib_tab *homes;		/* struct stack_mip6_home by (DVIPA, client) */
	uint64_t scan_sec;		/* target: CoT copies narrowed by a table scan... */
	unsigned scans;			/* ...in that second (bounded) */
	uint64_t last_tick_ms;
	/* Per-connection work without walks of the VCRT (mip6.c, "pending
	 * work"): the connections waiting for a return routability test or
	 * a BA, by client (waiting); every established connection by client
	 * (byclient: the connections a per-home-address binding covers); when
	 * each connection's retry or refresh is due (wheel, 100 ms slots). */
	struct vipa_cidx *waiting, *byclient;
	struct lib_wheel *wheel;
	int sweep;			/* the wheel was full: the next tick walks the VCRT */
	uint64_t sweep_ms;
	int wait_full, byclient_full;	/* an index refused a client: walk the VCRT
					 * instead until the next sweep */
	uint64_t wheel_fired, sweeps;	/* SYSPLEX$STATS */
	uint64_t wait_visits;		/* connections a HoT or CoT looked at */
	struct lib_tab *seqs;		/* struct stack_mip6_seq by (DVIPA, client) */
	uint16_t bu_seq_start;		/* 0: counters start at random (unit tests set it) */
	struct stack_mip6_rr rr[STACK_MIP6_RR_MAX];
	struct stack_mip6_pend pend[STACK_MIP6_PEND_MAX];
	struct stack_mip6_recent recent[STACK_MIP6_RECENT_MAX];
	unsigned recent_next;
	uint8_t pkt[WIRE_VNET_HDR_LEN + WIRE_IP6_HDR_LEN + MIP6_MAX_LEN];
	uint8_t txbuf[WIRE_XCF_MAX_BODY];
};

/* ---- dist.c: the routing stack's distribution ---------------------------------------- */

/* A half-open VCRT entry, in the order they were made (dist.c). */
struct stack_dist_syn {
	struct vipa_conn_key key;
	uint64_t created_ms;
};

struct stack_dist {
	/* Every half-open entry made, oldest first (a ring of STACK_SYN_MAX):
	 * a record whose entry was confirmed or removed meanwhile is stale. */
	struct stack_dist_syn *syn;
	size_t syn_head, syn_n;
	uint64_t syn_evicted;		/* half-open entries evicted by newer ones */
	/* generation of the full connection report in progress from each
	 * target (see stack_dist_on_conn) */
	struct {
		uint8_t dest[16];
		uint64_t gen;
	} fullgen[XCF_MAX_MEMBERS];
	uint64_t full_gen;
	/* Per DVIPA (s->dv index) and target: the digest of the VCRT's
	 * established entries routed to it, kept with the table (O(1) per
	 * change) and compared with the target's TGT_DIGEST. */
	struct stack_dist_dg {
		int used;
		uint8_t dest[16];
		struct vipa_digest dg;
		uint64_t sync_ms;	/* our last TGT_SYNC_REQ for it */
	} dg[VIPA_MAX_DVIPA][XCF_MAX_MEMBERS];
	/* When entries may be due to expire (syn_expire): keys in a timer
	 * wheel, so expiry never walks the VCRT; a full walk only when the
	 * wheel was full or the VCRT was loaded from SQLite (sweep). */
	struct lib_wheel *expiry;
	int sweep;
	uint64_t est_rx, end_rx;	/* connection reports received */
	uint64_t digests_rx, digest_diff, sync_sent;
	struct wire_xcf_tgt_conn rx_conn;	/* a TGT_CONN being handled */
	uint8_t txbuf[WIRE_XCF_MAX_BODY];
};

/* ---- own.c: ownership ---------------------------------------------------------------- */

struct stack_own {
	uint64_t settle_until_ms;	/* no activation before the group is known */
	/* members whose VIPA_ADV we have heard since they joined */
	struct {
		char member[XCF_NAME_LEN + 1];
		uint64_t incarnation;
	} heard[XCF_MAX_MEMBERS];
	int nheard;
	uv_timer_t timer;		/* re-evaluates ownership when a wait ends */
	int timer_init;
	/* lease lapses of DVIPAs we owned (SYSPLEX$STATS): VCRTs held, owned
	 * again with them, dropped (another owner, we left) */
	uint64_t holds, held_kept, held_dropped;
	uint8_t txbuf[WIRE_XCF_MAX_BODY];
};

/* ---- dp.c: the data plane ------------------------------------------------------------ */

/* TIMEDAFFINITY: a client's new connections to a DVIPA port go to the
 * target of its previous one until expires_ms. */
struct stack_affinity_key {
	uint8_t dvipa[16];
	uint8_t client[16];
	uint16_t port;
};
struct stack_affinity {
	struct stack_affinity_key key;
	uint8_t target[16];		/* DYNAMICXCF address of the target */
	uint64_t expires_ms;
};

struct stack_dp {
	uv_poll_t tun_poll;
	int tun_poll_init;
	uint8_t *rxbuf;			/* STACK_HEADROOM + STACK_PKT_MAX */
	struct lib_tab *affinity;	/* struct stack_affinity */
	int link_loss_pct;		/* SYSPLEX$LINK: fault injection */
	unsigned link_delay_ms;
	struct lib_delay *delay;
	uint8_t ptb[WIRE_VNET_HDR_LEN + 1280];	/* a Packet Too Big being built */
	uint16_t ip4_id;		/* identification of the GRE packets we send */
	int gre_fd;			/* raw GRE socket (VIPAROUTE to us), -1 closed */
	uv_poll_t gre_poll;
	int gre_poll_init;
	uint64_t ptb_tokens, ptb_ms;	/* their rate: a token bucket */
};

struct stack {
	uv_loop_t *loop;
	int no_mip6;			/* -M: this stack does not support the bypass */
	int poll_conns;			/* -P: poll the socket table, no connection events */
	size_t max_conns;		/* -C: VCRT and target table capacity; 0 = the
					 * defaults STACK_VCRT_MAX / STACK_TCONN_MAX */
	int left_group;			/* V TCPIP,,SYSPLEX,LEAVEGROUP */
	int quiesce_target;		/* V TCPIP,,SYSPLEX,QUIESCE,TARGET */
	/* The emulated WLM system this stack runs on (-W, V TCPIP,,WLM),
	 * reported to the routing stacks in TGT_LISTEN. */
	int wlm_set;			/* set before stack_state_init (else 100, 0) */
	uint32_t wlm_capacity;		/* relative capacity, 0 = none */
	uint8_t wlm_load;		/* percent in use */
	struct vipa_profile prof;
	struct xcf_couple couple;
	char xcf_secret[XCF_KEY_LEN + 1];	/* our CURVE secret key (from STATEDIR/xcf.key) */
	struct xcf *xcf;
	char sysname[9], tcpname[9], member[XCF_NAME_LEN + 1];
	uint8_t xcfaddr[16];		/* IPCONFIG6 DYNAMICXCF (IPv4-mapped IPCONFIG one without) */
	uint8_t xcfaddr4[16];		/* IPCONFIG DYNAMICXCF, IPv4-mapped; zero when none */
	char lanif[16];
	int lan_ifindex;
	char statedir[200];
	struct lib_nl *nl;
	int tun_fd, tun_ifindex;
	unsigned lan_mtu;
	/* What net.c changed in the host and puts back at a clean exit: the
	 * sysctls' values before (saved = read; path empty = free entry), the
	 * local rules moved (IPv6, IPv4). */
	struct stack_sysctl {
		char path[96];
		char old[16];
		int saved;
	} sysctl_old[16];
	int local_rule_moved, local_rule4_moved;

	int ndv;
	struct stack_dvipa dv[VIPA_MAX_DVIPA];

	struct vipa_vdpt *vdpt;		/* routing stack: destination port table */
	struct vipa_vcrt *vcrt;		/* routing stack: connection routing table */
	struct vipa_store *store;

	uv_timer_t poll_timer, adv_timer;
	uv_signal_t sigterm, sigint;
	struct lib_ctl *ctl;
	unsigned ctl_reports;		/* ctl.c: number of the last NETSTAT/SYSPLEX report header */

	struct stack_counters cnt;
	struct lib_verdicts tun_verdicts, bus_verdicts, ctl_verdicts;
	uint64_t started_wall_ms;

	/* the files' own state */
	struct stack_bus bus;
	struct stack_ndp ndp;
	struct stack_tgt tgt;
	struct stack_mip6 mip6;
	struct stack_dist dist;
	struct stack_own own;
	struct stack_dp dp;
	struct stack_fast fast;
};

/* ---- L0 dvipa.c: the DVIPA table --------------------------------------------------- */
struct stack_dvipa *stack_dvipa_find(struct stack *s, const uint8_t addr[16]);
/* Finds or adds the entry; when the table is full an idle entry is reused
 * (NULL when none is). */
struct stack_dvipa *stack_dvipa_get(struct stack *s, const uint8_t addr[16]);
/* A stack's address as a target of the DVIPA: its IPv4 DYNAMICXCF address
 * for an IPv4 DVIPA (zero when it has none), its IPv6 one otherwise.  VDPT
 * and VCRT rows name targets by it. */
const uint8_t *stack_dest_addr(const struct xcf_member_info *m, const uint8_t dvipa[16]);
const uint8_t *stack_self_addr(const struct stack *s, const uint8_t dvipa[16]);
/* Does nothing hold the entry any more (no definition, role, candidate or
 * queued report of ours)?  Such an entry ages out when its slot is needed. */
int stack_dvipa_idle(const struct stack *s, const struct stack_dvipa *d);
/* Does member advertise the DVIPA ACTIVE (its VIPA_ADV)? */
int stack_dvipa_cand_active(const struct stack_dvipa *d, const char *member);
/* Is member the DVIPA's routing stack (we: we own it; another: it
 * advertises it ACTIVE or is the owner we know)? */
int stack_dvipa_is_owner(const struct stack *s, const struct stack_dvipa *d, const char *member);
/* Is the stack with target address xcf (stack_dest_addr: its IPv4
 * DYNAMICXCF address for an IPv4 DVIPA) a destination of the DVIPA's
 * distribution for port (the VIPADISTRIBUTE of that port: ours, or the one
 * we inherited)? */
int stack_dvipa_is_dest(const struct stack *s, const struct stack_dvipa *d, const uint8_t xcf[16],
			uint16_t port);
int stack_dvipa_is_dist_port(const struct stack_dvipa *d, uint16_t port);
const char *stack_dvipa_diststat(const struct stack_dvipa *d);
const char *stack_dvipa_status(const struct stack_dvipa *d);
/* The VIPADEFINE, VIPABACKUP and VIPADISTRIBUTE statements of s->prof.
 * Several VIPADISTRIBUTEs of one DVIPA (other ports, other destinations)
 * are summed up in d->dist: the union of their ports and destinations,
 * which the DIST_ADV carries; each port keeps its own statement. */
void stack_dvipa_load_profile(struct stack *s);
/* The same for the VIPADISTRIBUTEs alone (again after an OBEYFILE): a
 * DVIPA's own statements replace what it had (or inherited). */
void stack_dvipa_load_dists(struct stack *s);
/* The statement distributing (DVIPA, port): our profile's, or the
 * inherited summary; NULL when the port is not distributed. */
const struct vipa_distribute *stack_dvipa_dist_for(const struct stack *s,
						   const struct stack_dvipa *d, uint16_t port);

/* ---- L1 ndp.c: neighbour advertisements for owned DVIPAs ---------------------------- */
void stack_ndp_init(struct stack *s);
/* Opens the socket on the LAN; `readable` is called when solicitations
 * wait (it checks the lease, then calls stack_ndp_answer). */
int stack_ndp_start(struct stack *s, uv_poll_cb readable);
/* Reads waiting solicitations and answers those for DVIPAs we own. */
void stack_ndp_answer(struct stack *s);
/* RFC 4861 7.1.1: is this Neighbor Solicitation (ICMPv6 message icmp, len
 * octets, received with hop limit hoplimit from src to dst, dst NULL when
 * unknown) valid?  NULL, or why not. */
const char *stack_ndp_ns_check(const uint8_t *icmp, size_t len, int hoplimit, const uint8_t src[16],
			       const uint8_t dst[16]);
/* Starts (join 1) or stops advertising a DVIPA as its owner: answering
 * neighbour solicitations for it on the LAN, and its host route in the main
 * table, which a routed network's OSPF redistributes. */
int stack_ndp_join(struct stack *s, const uint8_t dvipa[16], int join);
void stack_ndp_stop(struct stack *s);

/* ---- L1 fast.c: the kernel fast path (DATAPATH BPF) ------------------------------------ */
/* fin_seen: how the sweep hands a VCRT entry whose client FIN or RST only
 * the program saw to the connection-expiry wheel (dist.c's
 * stack_dist_watch, a level above). */
void stack_fast_init(struct stack *s, void (*fin_seen)(struct stack *, const struct vipa_conn *));
/* Loads the program on the LAN device unless the PROFILE says DATAPATH TUN;
 * when it cannot, logs why once and the stack runs the TUN path.  0. */
int stack_fast_start(struct stack *s);
void stack_fast_stop(struct stack *s);
/* 1 when the program runs (DATAPATH BPF). */
int stack_fast_active(const struct stack *s);
/* "BPF" or "TUN". */
const char *stack_fast_datapath(const struct stack *s);
/* The kernel flags (KDP_DVIPA_*) a DVIPA needs; none while tun_only. */
unsigned stack_fast_dvipa_flags(const struct stack_dvipa *d, int tun_only);
/* The lease and every DVIPA's flags, set where they changed. */
void stack_fast_sync(struct stack *s);
/* A VCRT entry has its target: the kernel forwards its packets from now on
 * (only for a DVIPA we own or still forward). */
void stack_fast_conn_put(struct stack *s, const struct vipa_conn *c);
/* A new VCRT entry (a SYN routed): its kernel entry at once, while fewer
 * than STACK_FAST_EARLY_MAX half-open ones have one (c->early). */
void stack_fast_conn_early(struct stack *s, struct vipa_conn *c);
/* The connection of an entry installed at its SYN was confirmed. */
void stack_fast_conn_confirmed(struct stack *s, struct vipa_conn *c);
/* A VCRT entry goes: called before it does. */
void stack_fast_conn_gone(struct stack *s, const struct vipa_conn *c);
/* The kernel's counters of a connection: 0, or -ENOENT (not in the kernel). */
int stack_fast_conn_counters(struct stack *s, const struct vipa_conn_key *k,
			     struct kdp_counters *ct);
/* Every second: kernel entries without a VCRT entry go, missing ones are
 * installed, FIN times are taken into the VCRT (and the entry handed to
 * fin_seen, so it ages out as one whose FIN the daemon saw). */
void stack_fast_sweep(struct stack *s);
/* The same with a whole pass over the VCRT (the fast path started, we took
 * a DVIPA over). */
void stack_fast_resync(struct stack *s);
/* SYSPLEX$LINK: loss in the program; a delay sends everything to the TUN. */
int stack_fast_link(struct stack *s, int loss_pct, unsigned delay_ms);
/* kernel_syn: what makes the VCRT entry of a connection whose SYN the
 * program routed (dp.c's stack_dp_kernel_syn, a level above). */
void stack_fast_on_syn(struct stack *s, void (*kernel_syn)(struct stack *, const struct kdp_syn *));
/* The schedule (KDP_SCHED_MAX slots, targets' DYNAMICXCF addresses) of a
 * distributed port of a DVIPA for SYNs the program routes: the VDPT's
 * decision (vipa_vdpt_schedule) for a DVIPA we own (IPv6), none (0: every
 * SYN to the daemon) for a TIMEDAFFINITY port (a client's affinity is the
 * daemon's), for a MOBILEIPV6 DVIPA while any standard client's binding
 * of a home address is being made or made (its new connections follow it),
 * and without the program or with everything on the TUN path. */
int stack_fast_sched_fill(struct stack *s, const struct stack_dvipa *d, uint16_t port,
			  uint8_t (*out)[16]);
/* Gives the program every schedule that changed (and deletes those of
 * ports no longer distributed here): after anything that may change a
 * VDPT, an ownership, a TIMEDAFFINITY, a binding; no system call when
 * nothing changed. */
void stack_fast_sched_sync(struct stack *s);
/* Takes the program's SYN records (kernel_syn for each) and renews its
 * half-open budget; before the daemon routes a SYN itself.  Returns how
 * many. */
int stack_fast_syn_drain(struct stack *s);
/* A VCRT entry made from such a record: its kernel entry is there (as one
 * installed at the SYN, c->early), or the target is corrected to c's. */
void stack_fast_conn_kernel(struct stack *s, struct vipa_conn *c, const uint8_t kdest[16]);
/* A kernel entry without a VCRT entry (a record that made none) goes. */
void stack_fast_conn_drop(struct stack *s, const struct vipa_conn_key *k);

/* ---- L1 bus.c: sending on XCF -------------------------------------------------------- */
/* deliver: the handler that messages to ourselves go to (as bus messages
 * go to the xcf msg_cb). */
int stack_bus_init(struct stack *s, stack_deliver_fn deliver);
void stack_bus_fini(struct stack *s);
/* A directed message.  One to ourselves (the routing stack is its own
 * target) is queued and handed to `deliver` from the loop, before it next
 * polls for input, never from inside this call. */
int stack_send(struct stack *s, const char *member, uint8_t type, const void *body, size_t len);
/* A group message to every other member. */
int stack_publish(struct stack *s, uint8_t type, const void *body, size_t len);
/* Delivers the messages to ourselves queued so far (the loop does this;
 * tests call it). */
void stack_bus_deliver_queued(struct stack *s);

/* ---- L2 net.c: the kernel's network configuration ---------------------------------- */
/* rtnetlink, the LAN's MTU, the TUN, sysctls, the care-of route, the local
 * rule moved.  0, or -1 (logged). */
int stack_net_setup(struct stack *s);
void stack_net_close(struct stack *s);
/* The DVIPA as a local address on our TUN (target, owner). */
void stack_net_dvipa_local(struct stack *s, struct stack_dvipa *d, int on);
/* The routing stack takes LAN-inbound packets for the DVIPA into its TUN
 * and answers neighbour solicitations for it. */
void stack_net_route_in(struct stack *s, struct stack_dvipa *d, int on);
/* Answer neighbour solicitations (IPv6) or ARP requests (IPv4) for the
 * DVIPA on the LAN, or stop: the owner does, a MOVING stack no longer. */
void stack_net_answer(struct stack *s, struct stack_dvipa *d, int on);
/* An unsolicited neighbour advertisement (IPv6) or gratuitous ARP (IPv4)
 * for the DVIPA; 0 or -errno. */
int stack_net_announce(struct stack *s, const struct stack_dvipa *d);
/* Every STACK_ADV_MS: the repeats of the owned DVIPAs' announcements that are
 * due (STACK_ANNOUNCE_REPEATS after the first, STACK_ANNOUNCE_MS apart);
 * how many it sent. */
int stack_net_announce_tick(struct stack *s);

/* ---- L3 tgt.c: the target side --------------------------------------------------------- */
int stack_tgt_init(struct stack *s);
void stack_tgt_fini(struct stack *s);
/* Loads the connection events program (kdp_ev_*) and polls its ring from
 * the loop; where it cannot load (or with -P) says so in one log line and
 * leaves the 100 ms socket table poll in charge.  Always 0. */
int stack_tgt_start(struct stack *s);
void stack_tgt_stop(struct stack *s);
/* One connection event from the kernel (struct kdp_event), applied
 * idempotently: a connection on a DVIPA we are a target of is added or
 * removed and reported (queued; stack_tgt_flush sends them). */
struct kdp_event;
void stack_tgt_on_event(struct stack *s, const struct kdp_event *ev);
/* Sends the queued connection reports to the owners. */
void stack_tgt_flush(struct stack *s);
/* The same, unless a report went less than STACK_TGT_HOLD_MS ago: then they
 * are held until then; returns ms until the held ones are due, -1 when none
 * are held (tgt.c, ev_round). */
int stack_tgt_report(struct stack *s);
/* The poll timer: without events a socket table poll; with events the
 * periodic check (a full dump every STACK_VERIFY_MS). */
void stack_tgt_tick(struct stack *s);
/* The adv timer: our listeners and the digest of our connections of each
 * DVIPA we are a target of, to its owner. */
void stack_tgt_report_digests(struct stack *s);
/* TGT_SYNC_REQ: full reports of dvipa (all zero: of every DVIPA). */
void stack_tgt_on_sync(struct stack *s, const uint8_t dvipa[16]);
/* The owner's distribution (its DIST_ADV, or ours when we own it): are we a
 * target of it?  Becoming one makes the DVIPA local and reports. */
void stack_tgt_apply_dist(struct stack *s, struct stack_dvipa *d,
			  const struct wire_xcf_dist_adv *m, const char *owner);
/* We are no target of anything any more (we left the group). */
void stack_tgt_stop_all(struct stack *s);
/* Our entry for a connection we terminate, created ESTABLISHED when new. */
struct vipa_conn *stack_tgt_conn(struct stack *s, const struct vipa_conn_key *k, int *created);
/* A full socket table dump: connections and listeners, differences
 * reported. */
void stack_tgt_poll(struct stack *s);
/* A full report of d to its owner, paced (STACK_TGT_FULL_BURST messages at
 * once, the rest from a timer); one already in progress to the same owner
 * and incarnation answers the request. */
void stack_tgt_report_full(struct stack *s, struct stack_dvipa *d);
/* The next burst of the full report in progress (the pacing timer's work;
 * unit tests call it directly); returns 1 while one remains. */
int stack_tgt_full_continue(struct stack *s);
/* The decision (pure; unit-tested): must a target send the owner of a DVIPA
 * a full report after a DIST_ADV?  was/is: we were/are a target of it;
 * old_owner, old_inc: whom we reported to, and its incarnation (0: not
 * known); owner, inc: the DIST_ADV's sender.  Only a new target, a new owner
 * or a new incarnation of the owner need one; the owner's lease lapsing and
 * coming back (same owner, same incarnation), a changed distribution
 * (weights, ports) or the DIST_ADV repeated every second do not. */
enum stack_full_why stack_tgt_full_needed(int was, int is, const char *old_owner,
					  uint64_t old_inc, const char *owner, uint64_t inc);
/* Closes the pacing timer (stack_state_close). */
void stack_tgt_close(struct stack *s);
/* Full reports of every DVIPA we are a target of. */
void stack_tgt_report_all(struct stack *s);
/* SYSPLEXPORTS: the routing stack granted (or refused) us port blocks. */
void stack_tgt_on_sysports(struct stack *s, const struct xcf_member_info *from,
			   const struct wire_xcf_sysports *m);
/* V TCPIP,tcp,WLM,CAPACITY=n,LOAD=n: this system's emulated WLM figures
 * (capacity < 0 or load < 0: unchanged); every owner we are a target of
 * hears them at once.  0, with the console message in msg. */
int stack_wlm_set(struct stack *s, long capacity, long load, char *msg, size_t len);
/* The SEF after one second of polls (pure; unit-tested): vipa_wlm_sef over
 * the decayed counts (polls without a late connection as accepted, polls
 * with one as dropped), after folding this second's in. */
uint8_t stack_tgt_sef_update(struct stack_tgt_sef *f);

/* ---- L4 mip6.c: the Mobile IPv6 bypass (routing stack as mobile node, target
 * forwarding copies) ----------------------------------------------------------------------- */
int stack_mip6_init(struct stack *s);
void stack_mip6_fini(struct stack *s);
/* What we know of a client's correspondent node (enum stack_cn_kind). */
int stack_mip6_cn_kind(struct stack *s, const uint8_t client[16]);
const char *stack_mip6_cn_kind_name(int kind);
/* Distributor, for a new connection of the client to the DVIPA: the target
 * its per-home-address binding (being made, or made) sends it to, or NULL. */
const uint8_t *stack_mip6_home_target(struct stack *s, const uint8_t client[16],
				      const uint8_t dvipa[16]);
/* The binding's target cannot take the connection: the binding goes (a
 * BU with care-of = home when the client may hold it), so the client's new
 * connections come to the distributor again. */
void stack_mip6_home_release(struct stack *s, const uint8_t client[16], const uint8_t dvipa[16]);
/* Distributor: a standard client's new connection went to target; its next
 * ones follow it (the binding about to be made covers them all). */
void stack_mip6_home_pick(struct stack *s, const uint8_t client[16], const uint8_t dvipa[16],
			  const uint8_t target[16]);
/* A connection learned from a target's report with the binding state the
 * target holds (r->bypass, with WIRE_XCF_BYPASS_HOME): takeover. */
void stack_mip6_conn_learned(struct stack *s, struct vipa_conn *c, const struct wire_xcf_conn *r);
int stack_mip6_enabled(struct stack *s, const struct vipa_conn *c);
void stack_mip6_conn_established(struct stack *s, struct vipa_conn *c);
void stack_mip6_conn_ended(struct stack *s, const struct vipa_conn *c, int target_lost);
/* A connection's bypass state came from a report (dist.c): its pending
 * work (a retry, the binding's refresh) is filed where the tick finds it. */
void stack_mip6_track(struct stack *s, struct vipa_conn *c);
/* The entry leaves the VCRT: off the indexes of pending work. */
void stack_mip6_conn_gone(struct stack *s, const struct vipa_conn *c);
void stack_mip6_tick(struct stack *s);
void stack_mip6_rx_owner(struct stack *s, const struct wire_pkt *pk, const uint8_t *pkt, size_t len);
void stack_mip6_rx_target(struct stack *s, const struct wire_pkt *pk, const uint8_t *pkt,
			  size_t len);
void stack_mip6_on_copy(struct stack *s, const struct xcf_member_info *from, const uint8_t *b,
			size_t len);
/* BIND_INFO: taken only from the DVIPA's routing stack, for a port of it
 * we are a target of. */
void stack_mip6_on_bind_info(struct stack *s, const struct xcf_member_info *from,
			     const uint8_t *b, size_t len);
void stack_mip6_apply_bind_info(struct stack *s, const struct wire_xcf_bind_info *b);
/* A binding made by another routing stack (or a client's BA 135) used
 * sequence number seq for (client, dvipa): every BU we send for that binding
 * from now on is numbered after it (RFC 6275 11.7.1 order). */
void stack_mip6_seq_seen(struct stack *s, const uint8_t client[16], const uint8_t dvipa[16],
			 uint16_t seq);
/* The number our next BU to client for dvipa will carry (made if new). */
uint16_t stack_mip6_seq_next(struct stack *s, const uint8_t client[16], const uint8_t dvipa[16]);

/* ---- L5 dist.c: the routing stack's distribution ------------------------------------------ */
int stack_dist_init(struct stack *s);
void stack_dist_fini(struct stack *s);
/* The entry's expiry is to be checked when it may be due (a new SYN entry;
 * the client's FIN or RST seen). */
void stack_dist_watch(struct stack *s, const struct vipa_conn *c);
/* A new half-open VCRT entry for k (state SYN, created now, the client's
 * ISN), or NULL when the VCRT is full of confirmed connections.  At most
 * STACK_SYN_MAX entries are half-open: beyond, the oldest half-open one is
 * evicted first; a confirmed (ESTABLISHED) entry never is.  Half-open
 * entries are not written to the store (the target's confirmation does). */
struct vipa_conn *stack_dist_syn_entry(struct stack *s, const struct vipa_conn_key *k,
				       uint32_t isn);
/* A SYN (no ACK) for an existing entry c with initial sequence number isn:
 * a new connection on the same ports (1: distribute it afresh), or a
 * retransmission of c's own SYN (0: same target)?  A different ISN is a new
 * connection once c was confirmed or the client ended it. */
int stack_dist_syn_is_new(const struct vipa_conn *c, uint32_t isn);
/* Our DIST_ADV of an owned DVIPA, built and published. */
void stack_dist_build_adv(const struct stack_dvipa *d, struct wire_xcf_dist_adv *m);
void stack_dist_publish(struct stack *s, struct stack_dvipa *d);
/* Declares the services and VDPT rows of a DVIPA we now own. */
void stack_dist_setup(struct stack *s, struct stack_dvipa *d);
/* Bookkeeping before a VCRT entry goes (VDPT active count, store, and the
 * Mobile IPv6 deletion BU); target_lost when its target left the group. */
void stack_dist_conn_removed(struct stack *s, const struct vipa_conn *c, int target_lost);
/* Entries whose end no target reported (timer). */
void stack_dist_expire(struct stack *s);
/* A connection we routed was seen established (the client completed the
 * handshake through us, or its target reported it): counted once for its
 * target's TSR. */
void stack_dist_confirm(struct stack *s, struct vipa_conn *c);
/* One TSR interval (timer, every second). */
void stack_dist_tsr_tick(struct stack *s);
/* SYSPLEXPORTS: a target asks for port blocks, or gives them back. */
void stack_dist_on_sysports(struct stack *s, const struct xcf_member_info *from,
			    const struct wire_xcf_sysports *m);
/* SYSPLEXPORTS: the target holding the DVIPA port (a connection it opened),
 * or NULL. */
const uint8_t *stack_dist_port_owner(struct stack *s, struct stack_dvipa *d, uint16_t port,
				     uint8_t buf[16]);
/* The per-target digests computed again from the whole VCRT (after a load
 * from SQLite and after entries were dropped wholesale: O(n)). */
void stack_dist_digest_rebuild(struct stack *s);
/* A target's TGT_DIGEST: compared with ours; a difference asks the target
 * for a full report of that DVIPA (at most once per STACK_SYNC_HOLD_MS). */
void stack_dist_on_digest(struct stack *s, const struct xcf_member_info *from,
			  const uint8_t *b, size_t len);
/* A target left: its connections and VDPT rows go. */
void stack_dist_target_left(struct stack *s, const struct xcf_member_info *m);
void stack_dist_on_adv(struct stack *s, const struct xcf_member_info *from, const uint8_t *b,
		       size_t len);
void stack_dist_on_listen(struct stack *s, const struct xcf_member_info *from, const uint8_t *b,
			  size_t len);
void stack_dist_on_conn(struct stack *s, const struct xcf_member_info *from, const uint8_t *b,
			size_t len);

/* ---- L6 own.c: who owns each DVIPA (backup chain, takeover, takeback, the lease) ---------- */
void stack_own_init(struct stack *s);
void stack_own_fini(struct stack *s);
/* Our VIPA_ADV: every DVIPA we define, back up, own or still forward. */
void stack_own_publish(struct stack *s);
/* A member joined (ourselves included). */
void stack_own_on_join(struct stack *s, const struct xcf_member_info *m);
void stack_own_on_adv(struct stack *s, const struct xcf_member_info *from,
		      const struct wire_xcf_vipa_adv *m);
void stack_own_on_leave(struct stack *s, const struct xcf_member_info *m);
void stack_own_evaluate(struct stack *s);
/* May we act as an owner now (member with a valid CDS lease, not left)? */
int stack_own_allowed(struct stack *s);
/* The first thing every owner action does: 1 when allowed; otherwise every
 * owned or MOVING DVIPA is given up at once, and 0. */
int stack_own_guard(struct stack *s);
/* VIPARANGE: an application-instance DVIPA for every listener the last
 * socket poll found on an address inside one of our VIPARANGEs, deleted
 * when its listener is gone (see own.c). */
void stack_own_ranges(struct stack *s);
/* VIPADELETE (OBEYFILE): we no longer define or back up the DVIPA; owned,
 * it is given up at once (a backup takes it over). */
void stack_own_delete(struct stack *s, struct stack_dvipa *d);
/* We are out of the sysplex (LEAVEGROUP, or removed by SFM): give every
 * DVIPA up and forget what the others advertised. */
void stack_own_out(struct stack *s);

/* ---- L7 dp.c: the TUN data plane ------------------------------------------------------------ */
/* The forwarding decision, apart from the packet I/O (a kernel data path
 * takes the same): the VCRT entry of a TCP segment of connection k (a new
 * half-open one with a target from the VDPT for a SYN; isn: the segment's
 * sequence number), or NULL when it is dropped. */
struct vipa_conn *stack_dp_route(struct stack *s, struct stack_dvipa *d,
				 const struct vipa_conn_key *k, uint8_t tcp_flags, uint32_t isn,
				 size_t len);
/* A connection whose SYN the kernel program routed from its schedule (a
 * record of it, kdp_syn): its VCRT entry, as stack_dp_route makes it for a
 * SYN, with the program's target (counters, TIMEDAFFINITY, a standard
 * client's binding, the expiry); a connection the VCRT has keeps its
 * target (the kernel entry is corrected); with no VCRT entry made, the
 * kernel entry goes. */
void stack_dp_kernel_syn(struct stack *s, const struct kdp_syn *ks);
/* How a packet reaches the target dest (a DYNAMICXCF address, IPv4-mapped
 * for IPv4): ourselves, an IPv6 Type 2 Routing Header, or IPv4 in GRE to
 * `outer` (dest, or the target address of a VIPAROUTE for dest). */
enum stack_dp_via { STACK_DP_LOCAL = 1, STACK_DP_RH2, STACK_DP_GRE };
enum stack_dp_via stack_dp_next_hop(const struct stack *s, const uint8_t dest[16],
				    uint8_t outer[16]);
int stack_dp_init(struct stack *s);
int stack_dp_start(struct stack *s);
/* Loss (percent) and delay (ms) applied to packets the TUN path handles. */
int stack_dp_link(struct stack *s, int loss_pct, unsigned delay_ms);
/* Expired TIMEDAFFINITY entries go (timer). */
void stack_dp_expire(struct stack *s);
/* One frame (virtio-net header, then the IPv6 packet; STACK_HEADROOM bytes
 * before it may be written) read from the TUN: classified and forwarded,
 * delivered, or dropped with its reason counted. */
void stack_dp_packet(struct stack *s, uint8_t *frame, size_t flen);
/* May a Packet Too Big go out now (STACK_PTB_RATE)?  Counts the refusals. */
int stack_dp_ptb_ok(struct stack *s);
void stack_dp_stop(struct stack *s);
void stack_dp_fini(struct stack *s);

/* ---- L7 group.c: the XCF callbacks ------------------------------------------------------------ */
extern const struct xcf_cbs stack_group_cbs;	/* arg: the struct stack */
/* Handles one message, from the bus or from ourselves (bus.c); group: it
 * was published to the group (else directed to us).  A message of the wrong
 * kind, or from a stack whose role does not allow it, is counted and
 * dropped (s->bus_verdicts). */
void stack_group_deliver(struct stack *s, const struct xcf_member_info *from, uint8_t type,
			 const uint8_t *body, size_t len, int group);

/* ---- L7 vary.c: operator actions (0, or -1 with a message in msg) ------------------------------ */
int stack_leavegroup(struct stack *s, char *msg, size_t len);
int stack_joingroup(struct stack *s, char *msg, size_t len);
int stack_deactivate(struct stack *s, const uint8_t dvipa[16], int on, char *msg, size_t len);
int stack_quiesce(struct stack *s, int port /* -1 = TARGET */, int on, char *msg, size_t len);
/* V TCPIP,tcp,OBEYFILE,path: a profile change, all or nothing (see vary.c). */
int stack_obey(struct stack *s, const char *path, char *msg, size_t len);

/* ---- L8 display.c: the operator displays as result objects (docs/CONSOLE.md
 * has their shapes; render.h the text renderers); NULL when out of memory. ---- */
struct json_t *stack_show_vdpt(struct stack *s);
struct json_t *stack_show_vcrt(struct stack *s);
struct json_t *stack_show_vipadyn(struct stack *s);
struct json_t *stack_show_vipadcfg(struct stack *s);
struct json_t *stack_show_home(struct stack *s);
struct json_t *stack_show_conn(struct stack *s);
struct json_t *stack_show_config(struct stack *s);
struct json_t *stack_show_route(struct stack *s);
struct json_t *stack_show_sysplex_vipadyn(struct stack *s);
struct json_t *stack_show_group(struct stack *s);
struct json_t *stack_show_xcf_groups(struct stack *s);
struct json_t *stack_show_couple(struct stack *s);
struct json_t *stack_show_role(struct stack *s);
struct json_t *stack_show_stats(struct stack *s);
struct json_t *stack_show_mip6(struct stack *s);
struct json_t *stack_show_sysplex_ports(struct stack *s);

/* ---- L8 state.c: every file's state ---------------------------------------------------------- */
/* From s->loop, sysname, tcpname, xcfaddr and prof: the member name, the
 * tables, every file's init, the DVIPAs of the profile.  0 or -1 (logged). */
int stack_state_init(struct stack *s);
/* Closes the state's loop handles (run the loop once more afterwards)... */
void stack_state_close(struct stack *s);
/* ...then frees the rest. */
void stack_state_fini(struct stack *s);

/* ---- L9 ctl.c: control socket and commands ------------------------------------------------------ */
int stack_ctl_start(struct stack *s);
void stack_ctl_stop(struct stack *s);
/* Executes one command line; output (status line not included) into out.
 * Returns 0 (RC=0) or -1 (RC=8). */
int stack_ctl_exec(struct stack *s, const char *line, int json, struct lib_sbuf *out);

/* ---- L10 stack.c: start-up and shut-down -------------------------------------------------------- */
int stack_init(struct stack *s, uv_loop_t *loop);
void stack_shutdown(struct stack *s);

#endif
