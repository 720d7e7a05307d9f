/*
 * events.bpf.c - connection events: the TCP connections on a set of local
 * addresses (a target's DVIPAs) as they are established and as they end,
 * and the listeners on them, pushed by the kernel into a BPF ring buffer for
 * one network namespace.  It replaces the periodic NETLINK_SOCK_DIAG dump of
 * the whole socket table (tcpip-stack/tgt.c) wherever BPF can be loaded.
 *
 * Semantics (the same as the dump's, see tgt.c): a connection is reported
 * when it reaches ESTABLISHED, and ends when its socket is gone or in
 * TIME_WAIT.  Until then (FIN_WAIT1/2, CLOSE_WAIT, LAST_ACK, CLOSING) the
 * client may still send, so the connection is alive.  Listeners count per
 * socket (SO_REUSEPORT groups give one event per socket).
 *
 * Hook: tp_btf/inet_sock_set_state, the kernel's tracepoint on every TCP
 * state change (tcp_set_state and inet_sk_set_state), in every namespace.
 * The first tests are the protocol, family and namespace (a few loads), the
 * second the address map, so unrelated sockets cost a few instructions and
 * no map access.  It gives:
 *    * -> LISTEN             a listener appears (listen()); one with no port
 *                            yet (listen() without bind()) is not reported;
 *    LISTEN -> CLOSE         a listener goes;
 *    SYN_RECV/SYN_SENT -> ESTABLISHED   a connection is established
 *                            (passive: the handshake's last ACK arrived,
 *                            before accept(); SYN_SENT: an active open);
 *    ESTABLISHED..CLOSING -> CLOSE      the full socket ends: RST
 *                            (tcp_reset, sk_err ECONNRESET), retransmission,
 *                            keepalive and user timeouts (tcp_write_err,
 *                            ETIMEDOUT), close() with SO_LINGER 0 or unread
 *                            data, the last ACK of a passive close (LAST_ACK),
 *                            and the passage to TIME_WAIT (tcp_time_wait
 *                            replaces the socket by a timewait socket and
 *                            calls tcp_done: from CLOSING, or from FIN_WAIT2
 *                            once the peer's FIN arrived, SOCK_DONE).
 * One passage is not an end: close() of a socket in FIN_WAIT2 whose peer
 * has not sent its FIN (with the default tcp_fin_timeout, what every active
 * close by a server becomes as soon as its FIN is acknowledged) replaces it
 * by a timewait socket in FIN_WAIT2, and the client may still send: its FIN
 * must still reach us.  The kernel has no tracepoint for timewait sockets,
 * and fentry/kprobes are not available everywhere (kernel lockdown refuses
 * them), so that passage is reported as LINGER and the loader (kdp.c)
 * watches the connection with exact sock_diag lookups (one socket each,
 * backing off) until it is gone or in TIME_WAIT.  A CLOSE from FIN_WAIT2 is
 * taken for that passage unless the peer's FIN came (SOCK_DONE), the socket
 * has an error (RST, timeout) or TCP_LINGER2 is negative (an abort): in the
 * rare other cases (tcp_max_tw_buckets reached, the orphan's FIN_WAIT2
 * timer) the first lookup finds the socket gone.
 * Connections that die before ESTABLISHED (SYN_RECV children reset, failed
 * connects) are not reported at all, neither established nor ended.
 *
 * Why a tracepoint and not sock_diag destroy notifications
 * (SKNLGRP_INET6_TCP_DESTROY): those report only ends, so new connections
 * would still need the periodic dump, and they report the socket's
 * destruction, which for a TIME_WAIT passage comes when the application
 * closes its descriptor, not when the connection ends; a timewait socket's
 * end is not reported at all.  Each one is a netlink multicast message
 * (an skb allocated and a full inet_diag_msg filled per socket of the
 * namespace, whatever its address), with no filter in the kernel.  Here the
 * per-event work is a fixed 56-byte record in a ring shared with the
 * consumer, only for the addresses asked for, and nothing at all for the
 * other sockets beyond the namespace test.  bench/kdp_events.c measures
 * both.  sock_ops was not chosen either: it is per cgroup, not per
 * namespace, and sees state changes only of sockets it enabled one by one.
 *
 * Overflow: when the ring is full the event is dropped and kdp_ev_lost is
 * incremented (a global the loader reads through its memory map); with the
 * nested invocations the kernel skipped and kdp_ev_nested did not take
 * (below), the loader reports them as lost, and the consumer resynchronises
 * from a full sock_diag dump.
 *
 * The map layouts are in kdp/kdp_abi.h.  This object does not include
 * kdp_bpf.h (the tc programs' packet helpers and maps): it shares only the
 * ABI.
 */
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "kdp/kdp_abi.h"

char LICENSE[] SEC("license") = "GPL";

#define AF_INET6 10

/* Set by the loader before the load: the inode number of the network
 * namespace to watch (the verifier sees a constant). */
const volatile __u32 kdp_ev_netns = 0;
/* 1: ENDED and LINGER records wake nobody (BPF_RB_NO_WAKEUP): the
 * consumer takes them with the next record that does (the others force
 * their wakeup), or from its own timer (kdp_ev_opts.lazy_ends).  Each wakeup is an irq_work, which raises
 * a self-IPI: an APIC write that is costly in a virtual machine. */
const volatile __u8 kdp_ev_lazy = 0;

/* Events dropped because the ring was full, and events queued (read
 * through the .bss map). */
__u64 kdp_ev_lost = 0;
__u64 kdp_ev_queued = 0;
/* Closes of watched connections seen (whatever became of them). */
__u64 kdp_ev_closes = 0;

/* The watched local addresses: struct kdp_addr -> KDP_EVA_* flags. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, struct kdp_addr);
	__type(value, __u32);
} kdp_evaddr SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);	/* the loader sets the size */
} kdp_evring SEC(".maps");

/* 1 when a socket's common part is IPv6 in the watched namespace. */
static __always_inline int
ours(const struct sock_common *c)
{
	if (c->skc_family != AF_INET6)
		return 0;
	return c->skc_net.net->ns.inum == kdp_ev_netns;
}

/* The address flags of the socket's local address (0: not watched). */
static __always_inline __u32
watched(const struct sock_common *c)
{
	struct kdp_addr a;
	__u32 *f;

	__builtin_memcpy(a.a, &c->skc_v6_rcv_saddr, 16);
	f = bpf_map_lookup_elem(&kdp_evaddr, &a);
	return f ? *f : 0;
}

/* The local port.  Not skc_num: tcp_set_state releases the port (zeroing
 * it) before the tracepoint of a CLOSE; inet_sport stays. */
static __always_inline __u16
lport(struct sock *sk)
{
	return bpf_ntohs(BPF_CORE_READ((struct inet_sock *)sk, inet_sport));
}

static __always_inline void
emit(struct sock *sk, __u8 type, __u8 oldstate, __u8 newstate, __u8 flags, int err)
{
	const struct sock_common *c = &sk->__sk_common;
	struct kdp_ev_rec *r = bpf_ringbuf_reserve(&kdp_evring, sizeof(*r), 0);

	if (!r) {
		__sync_fetch_and_add(&kdp_ev_lost, 1);
		return;
	}
	__builtin_memcpy(r->laddr, &c->skc_v6_rcv_saddr, 16);
	__builtin_memcpy(r->raddr, &c->skc_v6_daddr, 16);
	r->lport = lport(sk);
	r->rport = bpf_ntohs(c->skc_dport);
	r->type = type;
	r->oldstate = oldstate;
	r->newstate = newstate;
	r->flags = flags;
	r->err = err;
	r->pad = 0;
	r->ts_ns = bpf_ktime_get_ns();
	/* Lazy: the others force the wakeup, since the ring's own rule (wake
	 * when the consumer has read everything before) would keep them
	 * behind an unread lazy record; an irq_work already raised is not
	 * raised again, so this is one wakeup per round of the consumer. */
	if (!kdp_ev_lazy)
		bpf_ringbuf_submit(r, 0);
	else if (type == KDP_EVT_ENDED || type == KDP_EVT_LINGER)
		bpf_ringbuf_submit(r, BPF_RB_NO_WAKEUP);
	else
		bpf_ringbuf_submit(r, BPF_RB_FORCE_WAKEUP);
	__sync_fetch_and_add(&kdp_ev_queued, 1);
}

/* 1 for the states of a live connection that the dump reports. */
static __always_inline int
connected(int st)
{
	return st == TCP_ESTABLISHED || st == TCP_FIN_WAIT1 || st == TCP_FIN_WAIT2 ||
	       st == TCP_CLOSE_WAIT || st == TCP_LAST_ACK || st == TCP_CLOSING;
}

/* What a CLOSE from a live state is: KDP_EVT_ENDED with newstate CLOSE or
 * TIME_WAIT, or KDP_EVT_LINGER (see above). */
static __always_inline __u8
closed(struct sock *sk, int oldstate, __u8 *newstate)
{
	int done = (sk->__sk_common.skc_flags >> SOCK_DONE) & 1, err = sk->sk_err;

	*newstate = TCP_CLOSE;
	if (err)
		return KDP_EVT_ENDED;
	if (oldstate == TCP_CLOSING || (oldstate == TCP_FIN_WAIT2 && done)) {
		*newstate = TCP_TIME_WAIT;
		return KDP_EVT_ENDED;
	}
	if (oldstate == TCP_FIN_WAIT2) {
		struct tcp_sock *tp = bpf_skc_to_tcp_sock(sk);

		if (tp && tp->linger2 >= 0) {
			*newstate = TCP_FIN_WAIT2;
			return KDP_EVT_LINGER;
		}
	}
	return KDP_EVT_ENDED;
}

static __always_inline void
handle(struct sock *sk, int oldstate, int newstate)
{
	const struct sock_common *c = &sk->__sk_common;
	__u8 type, st;
	__u32 f;

	if (sk->sk_protocol != IPPROTO_TCP || !ours(c))
		return;
	f = watched(c);
	if (!f)
		return;
	if (newstate == TCP_LISTEN) {
		if ((f & KDP_EVA_LISTEN) && lport(sk))
			emit(sk, KDP_EVT_LISTEN, (__u8)oldstate, TCP_LISTEN, 0, 0);
	} else if (oldstate == TCP_LISTEN) {
		if ((f & KDP_EVA_LISTEN) && newstate == TCP_CLOSE && lport(sk))
			emit(sk, KDP_EVT_UNLISTEN, TCP_LISTEN, TCP_CLOSE, 0, 0);
	} else if (!(f & KDP_EVA_CONN)) {
		return;
	} else if (newstate == TCP_ESTABLISHED &&
		   (oldstate == TCP_SYN_RECV || oldstate == TCP_SYN_SENT)) {
		emit(sk, KDP_EVT_ESTABLISHED, (__u8)oldstate, TCP_ESTABLISHED,
		     oldstate == TCP_SYN_SENT ? KDP_EVF_ACTIVE : 0, 0);
	} else if (newstate == TCP_CLOSE && connected(oldstate)) {
		__sync_fetch_and_add(&kdp_ev_closes, 1);
		type = closed(sk, oldstate, &st);
		emit(sk, type, (__u8)oldstate, st, 0, sk->sk_err);
	}
}

/*
 * Nesting.  The kernel runs a tracing program at most once at a time per
 * CPU: when kdp_ev_state runs in process context (any TCP socket's close()
 * or listen() on the host) and an interrupt's softirq processes packets or
 * timers on the same CPU, the state changes of that softirq find it busy
 * and are skipped (counted as the program's recursion misses) - bursts of
 * them under load.  A second program on the same tracepoint, kdp_ev_nested,
 * runs after it in every invocation and takes exactly those it skipped:
 * kdp_ev_state marks each invocation it handled in a per-CPU slot as its
 * last instruction (socket, old and new state); kdp_ev_nested finds its own
 * invocation marked (and clears the mark) or handles it itself.  A skipped
 * nested invocation is never marked: the interrupted run either has not
 * marked yet or marked its own, other socket.  The one imperfection is a
 * duplicate, never a loss: an interrupt between the two programs of one
 * invocation whose softirq runs both again leaves the outer second program
 * a foreign mark, and it reports the outer change a second time (consumers
 * apply events idempotently).  Order is kept per socket: an interrupted
 * process-context run holds its socket's lock, so the nested ones are
 * about other sockets.  kdp_ev_covered counts what kdp_ev_nested took; the
 * loader reports recursion misses beyond it as lost.
 */
struct kdp_ev_mark {
	__u64 sk;
	__u32 states;	/* oldstate << 8 | newstate */
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct kdp_ev_mark);
} kdp_evmark SEC(".maps");

/* Invocations kdp_ev_nested took for kdp_ev_state. */
__u64 kdp_ev_covered = 0;

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(kdp_ev_state, struct sock *sk, int oldstate, int newstate)
{
	__u32 zero = 0;
	struct kdp_ev_mark *m;

	handle(sk, oldstate, newstate);
	m = bpf_map_lookup_elem(&kdp_evmark, &zero);
	if (m) {
		m->sk = (__u64)(unsigned long)sk;
		m->states = (__u32)oldstate << 8 | (__u32)newstate;
	}
	return 0;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(kdp_ev_nested, struct sock *sk, int oldstate, int newstate)
{
	__u32 zero = 0;
	struct kdp_ev_mark *m = bpf_map_lookup_elem(&kdp_evmark, &zero);

	if (!m)
		return 0;
	if (m->sk == (__u64)(unsigned long)sk &&
	    m->states == ((__u32)oldstate << 8 | (__u32)newstate)) {
		m->sk = 0;
		return 0;
	}
	__sync_fetch_and_add(&kdp_ev_covered, 1);
	handle(sk, oldstate, newstate);
	return 0;
}
