/*
 * kdp.h - the kernel data path: eBPF programs that do the per-packet work
 * of the TUN data paths (tcpip-stack/dp.c, client-agent/cn.c) inside the
 * kernel, and the small API a daemon uses to load them and fill their
 * tables.  The daemons stay the control plane: they own the VCRT, the
 * binding cache and every decision; the programs only apply the entries
 * they are given, and leave every packet they do not fully understand
 * unchanged to the slow path (the TUN and its daemon).  A second, separate
 * part (kdp_ev_*, at the end) reports a target's connections and listeners
 * from the kernel as they change, instead of socket table polling.
 *
 * Roles (one instance per LAN device and process):
 *   KDP_ROLE_STACK   tc ingress of a stack's LAN device: RH2 strip for the
 *                    DVIPAs it serves as a target, RH2 insert + forwarding
 *                    for the connections it routes as the routing stack,
 *                    local delivery of connections whose target it is.
 *   KDP_ROLE_CLIENT  tc egress of a client's LAN device: RH2 insert for
 *                    bound connections and home addresses; tc ingress:
 *                    Home Address option packets of bound mobile nodes.
 *
 * Lifetime: programs are attached with tcx links owned by the instance's
 * file descriptors and nothing is pinned, so the kernel path disappears
 * with the process that loaded it, however it ends (a killed daemon leaves
 * no fast path behind that would forward with stale tables).  Where tcx is
 * missing (kernels before 6.6) the classic cls_bpf filter is used at a
 * fixed handle and priority: it survives its process, and kdp_open (or
 * kdp_cleanup) replaces or removes what a killed process left.
 *
 * The LAN device must forward IPv6 (net.ipv6.conf.DEV.forwarding = 1, as
 * the stacks and the agent set it): the kernel's FIB helper, which picks the
 * next hop of a rewritten packet, refuses to work on a device that does not;
 * kdp_open says so instead of loading programs that would pass everything.
 *
 * Errors: every function returns 0 (or a count) or a negative errno.
 * kdp_open failing means "use the TUN path": its `err` text is one line
 * fit for a log (what failed and why, e.g. no CAP_BPF, no BTF, verifier).
 *
 * Units: addresses are 16 bytes in network order; ports host order; times
 * milliseconds of CLOCK_MONOTONIC (lib_now_ms's clock), 0 meaning never.
 * Map updates are atomic per entry; a packet sees an entry either before or
 * after an update, never half of it.  None of these calls allocates per
 * packet; kdp_open allocates the tables at their full size.
 */
#ifndef SYSPLEX_KDP_H
#define SYSPLEX_KDP_H

#include <stddef.h>
#include <stdint.h>

struct kdp;

enum kdp_role {
	KDP_ROLE_STACK = 1,
	KDP_ROLE_CLIENT = 2,
};

enum kdp_attach {
	KDP_ATTACH_AUTO = 0,	/* tcx, else cls_bpf */
	KDP_ATTACH_TCX,
	KDP_ATTACH_TC,		/* cls_bpf on a clsact qdisc */
	KDP_ATTACH_NONE,	/* load only (tests: BPF_PROG_TEST_RUN) */
};

struct kdp_opts {
	enum kdp_role role;
	const char *ifname;	/* LAN device (not needed with KDP_ATTACH_NONE) */
	enum kdp_attach attach;
	unsigned max_conns;	/* connection entries / per-connection bindings; 0: 65536 */
	unsigned max_dvipas;	/* stack: DVIPAs; 0: 256 */
	unsigned max_homes;	/* client: per-home-address bindings; 0: 64 */
};

#define KDP_ERR_LEN 256

/* Loads the role's programs, creates their maps and attaches them. */
int kdp_open(struct kdp **out, const struct kdp_opts *o, char *err, size_t errlen);
/* Detaches, frees the maps; nulls *k; safe with NULL. */
void kdp_close(struct kdp **k);
/* "tcx", "tc" or "none". */
const char *kdp_attach_name(const struct kdp *k);
/* Removes cls_bpf filters of ours that a killed process left on ifname
 * (ingress and egress).  Returns how many were removed. */
int kdp_cleanup(const char *ifname);

/* Fault injection (sysplex link loss=): drop pct % of the packets the
 * programs handle: what a stack forwards, strips or delivers, and every
 * packet a client sends to a DVIPA prefix.  0 turns it off. */
int kdp_set_loss(struct kdp *k, unsigned pct);

/* Stack: the routing stack's lease.  Connections of OWNED and MOVING DVIPAs
 * are forwarded (or delivered) by the program only before until_ms (the
 * time the daemon's couple data set lease runs out); after it every such
 * packet goes to the slow path, so the tables of a stopped daemon stop
 * forwarding by themselves.  The daemon renews it while its lease is valid.
 * 0 (the state after kdp_open) means no limit (standalone use). */
int kdp_set_lease(struct kdp *k, uint64_t until_ms);

/* The BPF programs attached to a device's ingress (or egress) hook by tcx
 * links and our cls_bpf filter: returns how many, and their names separated
 * by spaces in names (may be NULL).  For displays and tests. */
int kdp_attached(const char *ifname, int ingress, char *names, size_t len);

/* ---- stack ---------------------------------------------------------------- */
/* Our DYNAMICXCF (care-of) address, and the layer-3 device (the stack's TUN)
 * into whose ingress locally served packets are handed, as dp.c writes them
 * into the TUN (NULL: leave them to the kernel's routing from the LAN). */
int kdp_set_self(struct kdp *k, const uint8_t coa[16], const char *local_ifname);
/* Our IPv4 DYNAMICXCF address (IPv4-mapped; NULL: none): IPv4 DVIPAs get
 * the kernel path, GRE to and from it (stack.bpf.c).  -EINVAL for an address
 * that is not IPv4-mapped. */
int kdp_set_self4(struct kdp *k, const uint8_t addr4[16]);

#define KDP_DVIPA_OWNED 0x1	/* we are its routing stack: forward */
#define KDP_DVIPA_MOVING 0x2	/* given away, still forwarding (takeback) */
#define KDP_DVIPA_TARGET 0x4	/* we serve it: strip RH2 for it */
struct kdp_dvipa_stats {
	unsigned flags;
	uint64_t strip_pkts, strip_bytes;	/* RH2 stripped for it */
	uint64_t fwd_pkts, fwd_bytes;		/* forwarded or delivered, all connections */
};
/* Sets a DVIPA's flags (creating it; counters are kept on a change). */
int kdp_dvipa_set(struct kdp *k, const uint8_t dvipa[16], unsigned flags);
int kdp_dvipa_del(struct kdp *k, const uint8_t dvipa[16]);
int kdp_dvipa_get(struct kdp *k, const uint8_t dvipa[16], struct kdp_dvipa_stats *st);

/* A connection, as the VCRT keys it (and the client's binding cache). */
struct kdp_conn {
	uint8_t dvipa[16];
	uint8_t client[16];
	uint16_t dport;		/* the DVIPA's port */
	uint16_t cport;		/* the client's port */
};
struct kdp_counters {
	uint64_t pkts, bytes;	/* handled by the kernel path (wire segments, IPv6 bytes) */
	uint64_t last_ms;	/* last such packet */
	uint64_t fin_ms;	/* stack: first client FIN or RST forwarded */
	uint64_t hao_pkts;	/* client home binding: Home Address option packets let in */
	uint64_t end_ms;	/* client connection binding: ended by the client (a new SYN
				 * on its ports, or anything but an RST after its RST):
				 * the binding no longer applies; 0 while it does */
	uint64_t rst_ms;	/* client connection binding: the client's first RST */
};
/* Routes a connection to the target whose DYNAMICXCF address is dest (this
 * stack's own address: delivered locally).  Counters are kept when only the
 * target changes.  -ENOSPC when the table is full. */
int kdp_conn_set(struct kdp *k, const struct kdp_conn *c, const uint8_t dest[16]);
int kdp_conn_del(struct kdp *k, const struct kdp_conn *c);
/* dest and ct may be NULL. -ENOENT when absent. */
int kdp_conn_get(struct kdp *k, const struct kdp_conn *c, uint8_t dest[16],
		 struct kdp_counters *ct);
/* Calls cb for every connection entry (deleting the current entry from cb
 * is allowed); cb returns non-zero to stop.  Returns the number visited
 * (cb NULL: just counts). */
typedef int (*kdp_conn_cb)(const struct kdp_conn *c, const uint8_t dest[16],
			   const struct kdp_counters *ct, void *arg);
int kdp_conn_foreach(struct kdp *k, kdp_conn_cb cb, void *arg);
/* The same in steps: where the last step stopped (zeroed: the start). */
struct kdp_conn_cursor {
	uint32_t batch;		/* the hash bucket the next step starts with */
	int have;		/* 0: the next step starts at the table's start */
};
/* Calls cb for the entries of the next hash buckets from the cursor on,
 * whole buckets, at most max entries (unless one bucket alone holds more),
 * stopping at the end of the table (the cursor then goes back to the
 * start).  Entries added or deleted meanwhile do not disturb the walk (the
 * cursor is a bucket, not an entry).  Both walks read the table in batches
 * of up to 256 entries a system call and call back after each batch is
 * read, so cb may delete.  Returns the number visited. */
int kdp_conn_walk(struct kdp *k, struct kdp_conn_cursor *cur, int max, kdp_conn_cb cb, void *arg);

/* ---- stack: SYNs routed by the program ------------------------------------ */
/*
 * The daemon lays its distribution decision for a distributed DVIPA port
 * out in up to KDP_SCHED_SLOTS slots (each a target's DYNAMICXCF address,
 * as kdp_conn_set's dest); the program gives a SYN (no ACK, no RST) of a
 * connection without an entry to that port the next slot's target: it
 * makes the connection entry itself, forwards the SYN, and queues a
 * struct kdp_syn for the daemon, which makes its VCRT entry from it.  It
 * does so only for kdp_syn_allow's budget of entries beyond those the
 * daemon has consumed (a SYN flood then reaches the daemon, which applies
 * its own limits); every other SYN goes to the daemon as before.
 *
 * Wakeups are batched (each is an IPI, costly in a VM): the program makes
 * kdp_syn_fd readable for a record only when no wakeup was given in the
 * last 5 ms or 256 records wait.  So the caller polls: after a
 * kdp_syn_consume that delivered records, it calls kdp_syn_consume again
 * every KDP_SYN_POLL_MS, and goes on doing so until none came for
 * KDP_SYN_IDLE_MS (more than the 5 ms: a record queued without a wakeup
 * is always found).  The records are not urgent (the program forwarded
 * the SYN), but call kdp_syn_consume before routing a SYN itself (it may
 * be one the program already routed) and before taking anything that may
 * speak of the connection (a target's report).
 */
#define KDP_SCHED_MAX 64
#define KDP_SYN_POLL_MS 5
#define KDP_SYN_IDLE_MS 20
/* Sets the schedule of (dvipa, port) to the n targets dest[0..n-1]; n 0
 * pauses it (its SYNs go to the daemon), dest NULL deletes it.  The
 * rotation continues where it was across changes and pauses.  -EINVAL for n > KDP_SCHED_MAX, -ENOSPC when
 * the table of schedules (1024) is full. */
int kdp_sched_set(struct kdp *k, const uint8_t dvipa[16], uint16_t port,
		  const uint8_t (*dest)[16], unsigned n);
struct kdp_syn {
	struct kdp_conn c;	/* the connection (its entry is in the table) */
	uint32_t isn;		/* the client's initial sequence number */
	uint8_t dest[16];	/* the target the program chose */
	uint32_t len;		/* IPv6 bytes of the SYN */
	uint64_t ts_ms;		/* when, lib_now_ms's clock */
};
/* A descriptor that polls readable when the program woke the consumer. */
int kdp_syn_fd(struct kdp *k);
/* Delivers the waiting records to cb; returns how many (never blocks). */
typedef void (*kdp_syn_cb)(const struct kdp_syn *s, void *arg);
int kdp_syn_consume(struct kdp *k, kdp_syn_cb cb, void *arg);
/* The program may make `more` entries beyond the records consumed so far
 * (0, the state after kdp_open: none: every SYN goes to the daemon).  One
 * system call when the limit changes. */
int kdp_syn_allow(struct kdp *k, uint64_t more);
/* Records consumed since kdp_open. */
uint64_t kdp_syn_consumed(const struct kdp *k);

/* ---- client --------------------------------------------------------------- */
/* The DVIPA prefixes: only traffic to them is looked at (the agent's TUN
 * route).  At most 64. */
int kdp_prefix_add(struct kdp *k, const uint8_t prefix[16], int plen);
int kdp_prefix_del(struct kdp *k, const uint8_t prefix[16], int plen);
#define KDP_FIN_LINGER_MS 10000
#define KDP_RST_LINGER_MS 1000
/* Bindings mirrored from the binding cache, valid until expires_ms.  As
 * client-agent/cn.c does on the TUN path, the program ends a connection
 * binding itself when the client ends its connection: a SYN on its ports
 * (a new connection: sent unbound, to the routing stack) sets end_ms; an
 * RST goes direct and sets rst_ms: for KDP_RST_LINGER_MS more the binding
 * carries only the RSTs the client's kernel sends to segments still in
 * flight, and anything else ends it (end_ms); a FIN sets fin_ms and
 * shortens the binding to KDP_FIN_LINGER_MS after it.  A later
 * kdp_bind_conn_set (a refresh) keeps those: the binding stays ended, or
 * ends as the RST or FIN said.  The agent reads them
 * (kdp_bind_conn_get) to keep its binding cache in step. */
int kdp_bind_conn_set(struct kdp *k, const struct kdp_conn *c, const uint8_t coa[16],
		      uint64_t expires_ms);
int kdp_bind_conn_del(struct kdp *k, const struct kdp_conn *c);
int kdp_bind_conn_get(struct kdp *k, const struct kdp_conn *c, struct kdp_counters *ct);
int kdp_bind_home_set(struct kdp *k, const uint8_t home[16], const uint8_t coa[16],
		      uint64_t expires_ms);
int kdp_bind_home_del(struct kdp *k, const uint8_t home[16]);
int kdp_bind_home_get(struct kdp *k, const uint8_t home[16], struct kdp_counters *ct);

/* ---- statistics ----------------------------------------------------------- */
/* Why packets went where they went (kernel path or slow path), summed over
 * CPUs; indexes KDP_STAT_*.  out has room for KDP_STAT_COUNT values. */
#define KDP_STAT_COUNT 19
enum {
	KDP_STAT_SEEN, KDP_STAT_FWD, KDP_STAT_LOCAL, KDP_STAT_STRIP, KDP_STAT_BOUND,
	KDP_STAT_UNBOUND, KDP_STAT_HAO, KDP_STAT_PASS_SYN, KDP_STAT_PASS_NOENTRY,
	KDP_STAT_PASS_TOOBIG, KDP_STAT_PASS_ROUTE, KDP_STAT_PASS_HOPLIMIT,
	KDP_STAT_PASS_PROTO, KDP_STAT_PASS_MALFORMED, KDP_STAT_PASS_ERROR, KDP_STAT_LOSS, KDP_STAT_PASS_LEASE,
	KDP_STAT_SYN_FWD, KDP_STAT_SYN_BUSY,
};
int kdp_stats(struct kdp *k, uint64_t out[KDP_STAT_COUNT]);
/* "seen", "fwd", ..., "loss", "pass_lease"; NULL out of range. */
const char *kdp_stat_name(int i);

/* ---- connection events ------------------------------------------------------ */
/*
 * The TCP connections on the watched local addresses (a target's DVIPAs) of
 * the caller's network namespace, as they are established and as they end,
 * and the listeners on them, pushed by the kernel (kdp/events.bpf.c, the
 * inet_sock_set_state tracepoint) into a ring buffer: what tcpip-stack/tgt.c
 * learns today by dumping the whole socket table every 100 ms.  A
 * connection is established when it reaches ESTABLISHED and ends when its
 * socket is gone or in TIME_WAIT (the client may send until then);
 * listeners are counted per socket.  An event source is independent of the
 * tc programs above: it needs no device.
 *
 * Use: kdp_ev_open; kdp_ev_addr_set for each DVIPA (KDP_EV_WATCH_CONN |
 * KDP_EV_WATCH_LISTEN) and for :: (KDP_EV_WATCH_LISTEN: wildcard
 * listeners); one full sock_diag dump (lib_diag_tcp6) for what existed
 * before; then call kdp_ev_consume whenever kdp_ev_fd polls readable (a
 * libuv uv_poll_t) and when kdp_ev_timeout_ms has passed (a uv_timer_t,
 * re-armed after each call).  Events are idempotent with respect to a dump
 * taken after they were queued: an ESTABLISHED for a connection already
 * known, an ENDED for one not known, are no-ops for the consumer.
 *
 * Lingering: when we close first and the client has not sent its FIN, the
 * socket becomes a FIN_WAIT2 timewait socket, which no tracepoint follows;
 * the connection is alive (the client's FIN must still reach us).  The
 * instance then gives KDP_EV_LINGER and looks the connection up with exact
 * sock_diag requests, 2 ms, 10 ms, 50 ms, 250 ms after and then every
 * second, until it is in TIME_WAIT or gone: then KDP_EV_ENDED with
 * KDP_EV_F_TW.  The cost is one lookup per check of such a connection
 * (normally one: the client's FIN follows ours within a round trip), none
 * for the others.  A new connection on the same 4-tuple ends the old one
 * first.
 *
 * Loss: when the ring is full the kernel drops events and counts them.  The
 * kernel also skips the program for a state change made while it already
 * runs on that CPU (an interrupt's softirq on top of a close()); a second
 * program takes those instead (rarely reporting a change twice: apply
 * events idempotently), and skips it did not take, if any, are counted as
 * lost too (they may be other namespaces' sockets).  kdp_ev_consume
 * then ends its round with one KDP_EV_LOST event (count = losses since the
 * previous one; the skips are read at most every 10 ms, and
 * kdp_ev_timeout_ms brings the round that reads them): the consumer must
 * resynchronise with a full dump (and keep consuming: what is queued after
 * the dump replays idempotently).
 * kdp_ev_lost gives the running total.  Under heavy load a few state
 * changes have been seen to escape the programs without any counter
 * showing it (docs/DESIGN.md, "Not yet explained"): compare a digest of the
 * table with a dump's every few seconds as well.
 *
 * kdp_ev_open failing (no CAP_BPF/CAP_PERFMON, no BTF, a kernel without the
 * tracepoint) means "keep polling": it returns a negative errno and, in
 * err, one line fit for a log saying what failed and why.
 */
struct kdp_ev;

struct kdp_ev_opts {
	unsigned ring_bytes;	/* ring buffer size: a power of 2 >= 4096; 0: 1 MiB
				 * (16,384 events: 56 bytes and an 8-byte header) */
	unsigned max_addrs;	/* watched addresses; 0: 256 */
	unsigned max_linger;	/* lingering connections watched at once; 0: 65536
				 * (beyond, a lingering connection is reported
				 * ended at once) */
	int lazy_ends;		/* ENDED and LINGER records do not make kdp_ev_fd
				 * readable: the caller consumes them with the next
				 * record that does or from a timer of its own (a
				 * ring buffer wakeup is an IPI, costly in a VM) */
};

#define KDP_EV_WATCH_CONN 0x1	/* report connections on the address */
#define KDP_EV_WATCH_LISTEN 0x2	/* report listeners on the address */

enum kdp_ev_type {
	KDP_EV_ESTABLISHED = 1,
	KDP_EV_ENDED = 2,
	KDP_EV_LISTEN = 3,
	KDP_EV_UNLISTEN = 4,
	KDP_EV_LINGER = 5,	/* still alive as a FIN_WAIT2 timewait socket
				 * (informational: ENDED follows) */
	KDP_EV_LOST = 6,	/* events were dropped: resynchronise */
};

#define KDP_EV_F_ACTIVE 0x1	/* established by connect() from the address */
#define KDP_EV_F_TW 0x2		/* ended after lingering: found in TIME_WAIT or gone
				 * by a lookup, or replaced by a new connection */

struct kdp_event {
	enum kdp_ev_type type;
	uint8_t laddr[16];	/* local: the watched address (:: for wildcard listeners) */
	uint8_t raddr[16];	/* remote: the client (:: for listeners) */
	uint16_t lport, rport;	/* host byte order */
	uint8_t oldstate;	/* TCP states (netinet/tcp.h TCP_ESTABLISHED ...) */
	uint8_t newstate;	/* ENDED: TCP_TIME_WAIT or TCP_CLOSE */
	uint8_t flags;		/* KDP_EV_F_* */
	int err;		/* ENDED: the socket's error (ECONNRESET, ETIMEDOUT) or 0 */
	uint64_t ts_ms;		/* when, lib_now_ms's clock */
	uint64_t lost;		/* KDP_EV_LOST: events dropped since the last one */
};

int kdp_ev_open(struct kdp_ev **out, const struct kdp_ev_opts *o, char *err, size_t errlen);
/* Detaches the program, frees the ring; nulls *e; safe with NULL. */
void kdp_ev_close(struct kdp_ev **e);
/* A descriptor that polls readable while events wait (an epoll descriptor). */
int kdp_ev_fd(const struct kdp_ev *e);
/* Watches a local address (flags KDP_EV_WATCH_*), or changes its flags;
 * -ENOSPC when max_addrs are watched. */
int kdp_ev_addr_set(struct kdp_ev *e, const uint8_t addr[16], unsigned flags);
int kdp_ev_addr_del(struct kdp_ev *e, const uint8_t addr[16]);
/* Delivers every waiting event to cb, in the order the kernel queued them
 * (per socket, the order of its state changes), then KDP_EV_LOST if events
 * were dropped since the last round, then the ends of lingering connections
 * whose lookup is due and finds them over.  Never blocks (lookups are
 * netlink round trips, at most 256 a call).  Returns the number of events
 * delivered, or a negative errno. */
typedef void (*kdp_ev_cb)(const struct kdp_event *ev, void *arg);
int kdp_ev_consume(struct kdp_ev *e, kdp_ev_cb cb, void *arg);
/* Milliseconds until kdp_ev_consume has lookups due (0: now), -1 when no
 * connection lingers. */
int kdp_ev_timeout_ms(const struct kdp_ev *e);
/* Events dropped since kdp_ev_open (ring full). */
uint64_t kdp_ev_lost(const struct kdp_ev *e);
/* Connections lingering now. */
unsigned kdp_ev_lingering(const struct kdp_ev *e);
/* Counters since kdp_ev_open, for displays and benchmarks. */
struct kdp_ev_stats {
	uint64_t queued;	/* records the kernel queued */
	uint64_t closes;	/* closes of watched connections the programs saw */
	uint64_t delivered;	/* records kdp_ev_consume took from the ring */
	uint64_t ring_full;	/* records dropped, the ring being full */
	uint64_t nested;	/* state changes the main program was skipped for */
	uint64_t nested_taken;	/* changes the second program took (the skipped
				 * ones, and rare duplicates) */
	uint64_t lookups;	/* sock_diag lookups of lingering connections */
};
int kdp_ev_stats(const struct kdp_ev *e, struct kdp_ev_stats *st);
/* "ESTABLISHED", "ENDED", "LISTEN", "UNLISTEN", "LINGER", "LOST"; NULL
 * otherwise. */
const char *kdp_ev_type_name(int type);

/* ---- tests ---------------------------------------------------------------- */
enum kdp_prog {
	KDP_PROG_STACK_IN,	/* stack, tc ingress */
	KDP_PROG_CLIENT_OUT,	/* client, tc egress */
	KDP_PROG_CLIENT_IN,	/* client, tc ingress */
};
/* The program's file descriptor (for BPF_PROG_TEST_RUN), -ENOENT when the
 * instance's role has no such program. */
int kdp_prog_fd(const struct kdp *k, enum kdp_prog p);
/* The connection events' programs, 0 the main one, 1 the one taking nested
 * invocations (for their run statistics, bpf_enable_stats); -ENOENT else. */
int kdp_ev_prog_fd(const struct kdp_ev *e, int i);

#endif
