/*
 * kdp_abi.h - the layout of the kernel data path's BPF maps, shared by the
 * BPF programs (kdp/stack.bpf.c, kdp/client.bpf.c) and their loader (kdp/kdp.c).  Internal to the
 * kdp module: daemons use kdp/kdp.h, which speaks host byte order and
 * milliseconds and never exposes these structures.
 *
 * Conventions: addresses are 16 bytes as on the wire; ports are in network
 * byte order (so the programs compare without swapping); times are
 * CLOCK_MONOTONIC nanoseconds (bpf_ktime_get_ns).  Counters in map values
 * are updated with atomic adds by the programs and only read by the loader.
 *
 * Stack object (stack.bpf.c, tc ingress of the LAN device):
 *   kdp_cfg    ARRAY[1]   struct kdp_cfg
 *   kdp_dvipa  HASH       struct kdp_addr -> struct kdp_dvipa_val
 *   kdp_conn   HASH       struct kdp_conn_key -> struct kdp_conn_val  (the VCRT)
 *   kdp_stats  PERCPU_ARRAY[KDP_ST_MAX] __u64
 *   kdp_sched  HASH       struct kdp_sched_key -> struct kdp_sched_val (the
 *                         daemon's schedule of a distributed DVIPA port)
 *   kdp_sgate  ARRAY[KDP_SG_MAX] __u64 (the SYN path's budget and wakeups)
 *   kdp_synring RINGBUF   struct kdp_syn_rec records (SYNs the program routed)
 * Client object (client.bpf.c, tc egress and ingress of the LAN device):
 *   kdp_cfg    ARRAY[1]   struct kdp_cfg (only loss_pct is used)
 *   kdp_prefix LPM_TRIE   struct kdp_lpm_key -> __u32 (the DVIPA prefixes)
 *   kdp_bconn  HASH       struct kdp_conn_key -> struct kdp_bind_val
 *   kdp_bhome  HASH       struct kdp_addr -> struct kdp_bind_val
 *   kdp_stats  PERCPU_ARRAY[KDP_ST_MAX] __u64
 * Connection events object (events.bpf.c, tracing programs, no device):
 *   kdp_evaddr HASH       struct kdp_addr -> __u32 KDP_EVA_* (watched addresses)
 *   kdp_evmark PERCPU_ARRAY[1] struct kdp_ev_mark (the invocation kdp_ev_state handled)
 *   kdp_evring RINGBUF    struct kdp_ev_rec records
 *   .rodata    kdp_ev_netns (namespace inode number)
 *   .bss       kdp_ev_lost (ring full), kdp_ev_covered (nested runs taken)
 */
#ifndef SYSPLEX_KDP_ABI_H
#define SYSPLEX_KDP_ABI_H

#ifndef __bpf__
#include <linux/types.h>
#endif

#define KDP_RH2_LEN 24

struct kdp_addr {
	__u8 a[16];
};

/* Global settings of one loaded instance (key 0). */
struct kdp_cfg {
	__u8 self_coa[16];	/* stack: our DYNAMICXCF (care-of) address */
	__u32 local_ifindex;	/* stack: deliver locally by redirecting into this
				 * device's ingress (0: let the kernel route it) */
	__u32 loss_pct;		/* fault injection: drop this percentage */
	__be32 self4;		/* stack: our IPv4 DYNAMICXCF address (0: none; the
				 * IPv4 path is then left to the daemon) */
	__u64 owner_until_ns;	/* stack: forward for OWNED/MOVING DVIPAs only
				 * before this time (the owner's lease; 0: no
				 * limit), so a stopped daemon's tables stop
				 * forwarding by themselves */
};

/* DVIPA flags (stack).  Forwarding needs OWNED or MOVING (dp.c case 1),
 * stripping needs TARGET or OWNED (dp.c case 2). */
#define KDP_DV_OWNED 0x1
#define KDP_DV_MOVING 0x2
#define KDP_DV_TARGET 0x4

struct kdp_dvipa_val {
	__u32 flags;
	__u32 pad;
	__u64 strip_pkts, strip_bytes;	/* RH2 stripped for this DVIPA */
	__u64 fwd_pkts, fwd_bytes;	/* forwarded or delivered, all connections */
};

/* A connection as the VCRT keys it: DVIPA, client address, DVIPA port,
 * client port (IPv4 addresses IPv4-mapped).  The client's binding cache uses
 * the same key. */
struct kdp_conn_key {
	__u8 dvipa[16];
	__u8 client[16];
	__u16 dport;		/* network byte order */
	__u16 cport;		/* network byte order */
};

struct kdp_conn_val {
	__u8 dest[16];		/* the target's DYNAMICXCF address; for an IPv4
				 * DVIPA (IPv4-mapped key) the outer destination
				 * of the GRE packet, IPv4-mapped */
	__u64 pkts, bytes;	/* forwarded by the program */
	__u64 last_ns;		/* last packet forwarded */
	__u64 fin_ns;		/* first client FIN or RST seen, 0 if none */
};

/* The schedule of a distributed DVIPA port (SYNs the program routes itself):
 * n slots, each a target as kdp_conn_val.dest; a new connection takes slot
 * (next++ % n).  The daemon fills it from its distribution decision (round
 * robin: each ready target once; weights: a smooth weighted round robin
 * sequence) and replaces it whole when the targets change; no entry, or
 * n 0: every SYN to the port goes to the daemon. */
#define KDP_SCHED_SLOTS 64
struct kdp_sched_key {
	__u8 dvipa[16];
	__u16 dport;		/* network byte order */
	__u16 pad;
};

struct kdp_sched_val {
	__u32 n;
	__u32 next;
	__u8 dest[KDP_SCHED_SLOTS][16];
};

/* kdp_sgate: the program creates a connection entry at a SYN only while
 * made < limit (the daemon sets limit = records it consumed + the half-open
 * entries it still allows), and wakes the daemon's ring consumer at most
 * every KDP_SYN_WAKE_NS unless KDP_SYN_WAKE_BYTES wait (the daemon polls
 * the ring itself for a while after each record it took, and reads it
 * before anything that needs its records: a SYN, a target's report). */
enum {
	KDP_SG_MADE,		/* entries the program made at a SYN (atomic) */
	KDP_SG_LIMIT,		/* written by the daemon */
	KDP_SG_WAKE_NS,		/* last forced wakeup */
	KDP_SG_MAX
};
#define KDP_SYN_WAKE_NS 5000000ull
#define KDP_SYN_WAKE_BYTES (256 * 72)

/* One SYN the program routed (64 bytes): the connection, the client's ISN,
 * the target it chose. */
struct kdp_syn_rec {
	__u8 dvipa[16];
	__u8 client[16];
	__u16 dport, cport;	/* network byte order */
	__u32 isn;		/* host byte order */
	__u8 dest[16];
	__u32 len;		/* IPv6 bytes of the SYN */
	__u32 pad;
	__u64 ts_ns;
};

struct kdp_bind_val {
	__u8 coa[16];		/* care-of address */
	__u64 expires_ns;	/* binding lifetime end (monotonic) */
	__u64 pkts, bytes;	/* sent straight to the care-of address */
	__u64 last_ns;		/* last use */
	__u64 hao_pkts;		/* home binding: Home Address option packets let in */
	__u64 fin_ns;		/* connection binding: the client's first FIN, 0 none */
	__u64 end_ns;		/* connection binding: ended by the client (a SYN, or
				 * anything but an RST after its RST) */
	__u64 rst_ns;		/* connection binding: the client's first RST, 0 none */
};

/* A connection binding lasts this long after the client's FIN (its last
 * ACKs), as client-agent/cn.c keeps it on the TUN path. */
#define KDP_FIN_LINGER_NS 10000000000ull
/* ...and this long after its RST, for the RSTs its kernel sends to segments
 * still in flight (only those). */
#define KDP_RST_LINGER_NS 1000000000ull

struct kdp_lpm_key {
	__u32 prefixlen;
	__u8 addr[16];
};

/* Why each packet went where it went: per-CPU counters, summed by the
 * loader.  PASS_* packets go to the slow path unchanged. */
enum kdp_stat {
	KDP_ST_SEEN,		/* IPv6 and IPv4 packets the program looked at */
	KDP_ST_FWD,		/* stack: RH2 inserted (IPv4: GRE), sent to the target */
	KDP_ST_LOCAL,		/* stack: connection served here, delivered locally */
	KDP_ST_STRIP,		/* stack: RH2 (IPv4: GRE) stripped, delivered to the DVIPA */
	KDP_ST_BOUND,		/* client: RH2 inserted, sent to the care-of address */
	KDP_ST_UNBOUND,		/* client: DVIPA traffic without a binding, untouched */
	KDP_ST_HAO,		/* client: Home Address option removed, let in */
	KDP_ST_PASS_SYN,	/* stack: SYN (the daemon picks the target) */
	KDP_ST_PASS_NOENTRY,	/* stack: no connection entry / DVIPA not ours */
	KDP_ST_PASS_TOOBIG,	/* the rewritten packet would exceed the MTU */
	KDP_ST_PASS_ROUTE,	/* FIB lookup gave no usable route */
	KDP_ST_PASS_HOPLIMIT,	/* hop limit would expire */
	KDP_ST_PASS_PROTO,	/* extension headers / protocol left to user space */
	KDP_ST_PASS_MALFORMED,	/* truncated or inconsistent headers */
	KDP_ST_PASS_ERROR,	/* a helper failed; packet left as it was */
	KDP_ST_LOSS,		/* dropped by fault injection */
	KDP_ST_PASS_LEASE,	/* stack: the owner's lease ran out */
	KDP_ST_SYN_FWD,		/* stack: a SYN routed from the schedule, entry made */
	KDP_ST_SYN_BUSY,	/* stack: a SYN left to the daemon: budget spent, ring
				 * or table full */
	KDP_ST_MAX
};

/* Connection events (events.bpf.c).  Address flags: which events a
 * watched local address gives. */
#define KDP_EVA_CONN 0x1	/* connections on it (a DVIPA) */
#define KDP_EVA_LISTEN 0x2	/* listeners on it (a DVIPA, or :: for wildcards) */

/* Record types, and flags. */
#define KDP_EVT_ESTABLISHED 1
#define KDP_EVT_ENDED 2
#define KDP_EVT_LISTEN 3
#define KDP_EVT_UNLISTEN 4
#define KDP_EVT_LINGER 5	/* now a FIN_WAIT2 timewait socket: alive, watched by lookups */
#define KDP_EVF_ACTIVE 0x1	/* established by connect() */

/* One ring buffer record: 56 bytes, ports in host byte order, states as
 * in linux/tcp.h (TCP_ESTABLISHED = 1 ... TCP_CLOSING = 11). */
struct kdp_ev_rec {
	__u8 laddr[16];		/* local address (the DVIPA, or :: for a listener) */
	__u8 raddr[16];		/* remote address (the client) */
	__u16 lport, rport;
	__u8 type;		/* KDP_EVT_* */
	__u8 oldstate, newstate;
	__u8 flags;		/* KDP_EVF_* */
	__s32 err;		/* the socket's error at the end (ECONNRESET, ETIMEDOUT) */
	__u32 pad;
	__u64 ts_ns;		/* CLOCK_MONOTONIC */
};

/* tc return codes (linux/pkt_cls.h; tcx uses the same numbers). */
#define KDP_TC_NEXT (-1)	/* no verdict: next program, then the stack */
#define KDP_TC_OK 0
#define KDP_TC_SHOT 2
#define KDP_TC_REDIRECT 7

#endif
