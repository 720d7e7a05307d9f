/*
 * lib.h - shared support for every sysplex program: logging, drop-reason
 * counters, small string/buffer helpers and libuv glue, the control protocol
 * of the daemons (both ends) and JSON through jansson.
 *
 * Contract:
 *  - Logging goes to stderr (daemons run with stderr redirected to a log file
 *    by the launcher).  Each line: "TIME PROG LEVEL message".
 *  - fatal()/fatalx() are for start-up only: they exit(1).
 *  - lib_verdict counters record why an input (packet, bus message, command)
 *    was dropped.  The first occurrence of each reason is logged, later ones
 *    are only counted, so a flood of bad input cannot flood the log.
 *  - Nothing in here allocates on a per-packet path.
 */
#ifndef SYSPLEX_LIB_H
#define SYSPLEX_LIB_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <getopt.h>
#include <stdio.h>

#define LIB_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define LIB_UNUSED(x) ((void)(x))

/* ---- logging --------------------------------------------------------- */
enum lib_log_level { LIB_LOG_DEBUG = 0, LIB_LOG_INFO, LIB_LOG_WARN, LIB_LOG_ERR };

void lib_log_init(const char *progname, enum lib_log_level min_level);
void lib_log(enum lib_log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
#define log_debug(...) lib_log(LIB_LOG_DEBUG, __VA_ARGS__)
#define log_info(...) lib_log(LIB_LOG_INFO, __VA_ARGS__)
#define log_warnx(...) lib_log(LIB_LOG_WARN, __VA_ARGS__)
/* log_warn appends ": strerror(errno)". */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* ---- drop verdicts: count every reason, log each reason once ---------- */
#define LIB_VERDICT_MAX 64
struct lib_verdicts {
	const char *what;		/* e.g. "tun", "xcf", "ctl" */
	int n;
	struct {
		const char *reason;	/* static string, compared by pointer then text */
		uint64_t count;
	} v[LIB_VERDICT_MAX];
};
/* Counts one drop of `reason` (a string literal) and logs it the first time. */
void lib_verdict(struct lib_verdicts *vs, const char *reason);
uint64_t lib_verdict_count(const struct lib_verdicts *vs, const char *reason);
uint64_t lib_verdict_total(const struct lib_verdicts *vs);

/* ---- time (lib/clock.c) ------------------------------------------------
 * The clock is a file of its own, with nothing else in it: unit tests of the
 * daemons' decisions link their own clock in its place. */
uint64_t lib_now_ms(void);	/* CLOCK_MONOTONIC in ms */
uint64_t lib_now_ns(void);	/* CLOCK_MONOTONIC in ns */
uint64_t lib_wall_ms(void);	/* CLOCK_REALTIME in ms */

/* ---- scheduling (lib/util.c) -------------------------------------------
 * Puts the calling process (and what it forks and execs later) under
 * SCHED_RR at the lowest real-time priority, as cluster daemons whose
 * timers decide membership do (corosync, sbd): heartbeats and the couple
 * data set lease then keep their timing on a machine that is busy with
 * other work.  Returns 0 or -errno (-EPERM without CAP_SYS_NICE). */
int lib_sched_realtime(void);

/* ---- strings / addresses ---------------------------------------------- */
/* strlcpy semantics; returns strlen(src). */
size_t lib_strlcpy(char *dst, const char *src, size_t size);
/* Parses an IPv6 address; 0 on success, -EINVAL otherwise. */
int lib_ip6_parse(const char *s, uint8_t out[16]);
/* Formats into buf (at least 46 bytes); returns buf. */
const char *lib_ip6_str(const uint8_t a[16], char *buf, size_t len);

/* A growable text buffer for command output (not for packet paths). */
struct lib_sbuf {
	char *s;
	size_t len, cap;
	int oom;
};
void lib_sbuf_printf(struct lib_sbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Appends len bytes (they may include NUL; the buffer stays NUL-terminated). */
void lib_sbuf_add(struct lib_sbuf *b, const void *data, size_t len);
void lib_sbuf_free(struct lib_sbuf *b);

/* Writes all of buf to fd, retrying on EINTR/short writes; 0 or -errno. */
int lib_write_all(int fd, const void *buf, size_t len);

/* ---- fixed-capacity hash tables (lib/tab.c) --------------------------------
 * An open-addressing table of up to `cap` entries of entry_size bytes each,
 * from a pool allocated (and touched) at creation: lookups, inserts and
 * removals never allocate, so it serves on packet paths.  An entry is a
 * struct whose first key_len bytes are its key (its first member, with no
 * padding inside); the rest is the payload.  Pointers to entries stay valid
 * until the entry is removed.  Entries are 8-byte aligned.  The hash is
 * seeded per table from getrandom(2), so remote peers cannot aim at one
 * chain. */
struct lib_tab;
/* NULL with errno EINVAL (cap 0 or above 2^30, key_len 0 or above
 * entry_size, entry_size above 64 KiB) or ENOMEM. */
struct lib_tab *lib_tab_new(size_t cap, size_t key_len, size_t entry_size);
void lib_tab_destroy(struct lib_tab **t);	/* *t becomes NULL; safe with NULL */
size_t lib_tab_count(const struct lib_tab *t);
size_t lib_tab_capacity(const struct lib_tab *t);
void *lib_tab_lookup(struct lib_tab *t, const void *key);
/* Returns the existing entry, or a new one with the key copied in and the
 * payload zeroed (*created says which, when created is not NULL); NULL
 * when the table is full. */
void *lib_tab_insert(struct lib_tab *t, const void *key, int *created);
int lib_tab_remove(struct lib_tab *t, const void *key);	/* 0 or -ENOENT */
/* Calls cb for every entry; cb returns non-zero to remove that entry.  cb
 * may remove or insert other entries (inserted ones may or may not be
 * visited) but never changes a key. */
void lib_tab_foreach(struct lib_tab *t, int (*cb)(void *entry, void *arg), void *arg);
/* An entry's pool index (below the capacity; stable while it is in the
 * table, and reused by a later entry once it is removed), and the entry at
 * a pool index (NULL when none is there now).  For indexes kept beside a
 * table (vipa/cidx.c). */
uint32_t lib_tab_id(const struct lib_tab *t, const void *entry);
void *lib_tab_at(struct lib_tab *t, uint32_t id);

/* ---- timer wheel (lib/wheel.c) ----------------------------------------------
 * Keys of key_len bytes handed back at about their due time: slots lists of
 * slot_ms each; at most max keys pending (a preallocated pool).  A key may
 * be added several times (each fires once); nothing is cancelled: the
 * callback checks whether there is still something to do. */
struct lib_wheel;
typedef void (*lib_wheel_cb)(const void *key, void *arg);
/* NULL with errno EINVAL or ENOMEM; now_ms: the clock the due times use. */
struct lib_wheel *lib_wheel_new(unsigned slots, unsigned slot_ms, size_t key_len, size_t max,
				uint64_t now_ms);
void lib_wheel_destroy(struct lib_wheel **w);	/* *w becomes NULL; safe with NULL */
/* 0, or -ENOSPC when max keys are pending. */
int lib_wheel_add(struct lib_wheel *w, const void *key, uint64_t due_ms);
/* Calls cb (which may add keys) for every key due by now_ms, in slot order
 * (within a slot in no particular order; a key fires no earlier than its due
 * time and at most a slot later); returns how many fired. */
size_t lib_wheel_expire(struct lib_wheel *w, uint64_t now_ms, lib_wheel_cb cb, void *arg);
size_t lib_wheel_count(const struct lib_wheel *w);

/* ---- TUN devices (lib/tun.c) ------------------------------------------------
 * Opens (creating if needed) TUN device `ifname` in the current namespace,
 * IFF_TUN|IFF_NO_PI, plus IFF_VNET_HDR when o->vnet_hdr, IFF_MULTI_QUEUE when
 * o->multiqueue.  With vnet_hdr and offload: TUNSETOFFLOAD
 * TUN_F_CSUM|TSO4|TSO6 (|USO4|USO6 when the kernel takes it; without TSO4 and
 * USO4 when o->no_gso4: IPv4 then arrives segmented); otherwise
 * TUNSETOFFLOAD(0) (a persistent TUN keeps the last reader's offloads).  Sets
 * addrgenmode none (never disable_ipv6), the MTU, txqueuelen, and brings the
 * link up.  Returns a non-blocking fd or -errno. */
struct lib_tun_opts {
	int vnet_hdr;
	int offload;
	int multiqueue;
	int no_gso4;		/* no IPv4 super-packets (their reader encapsulates them) */
	unsigned mtu;		/* 0 = leave as is */
	unsigned txqlen;	/* 0 = leave as is */
};
int lib_tun_open(const char *ifname, const struct lib_tun_opts *o);

/* ---- rtnetlink through libmnl (lib/nl.c) -------------------------------------
 * All calls act on the current network namespace and are idempotent: adding
 * what exists (EEXIST) or deleting what is gone (ENOENT/ESRCH/EADDRNOTAVAIL)
 * is success.  Return 0 or -errno.  An IPv4-mapped address (::ffff:a.b.c.d)
 * means IPv4: the request is made for AF_INET, and a prefix length given with
 * it counts the 96 bits of the mapping (a /32 is 128). */
struct lib_nl;
struct lib_nl *lib_nl_open(void);
void lib_nl_close(struct lib_nl **nl);
int lib_nl_ifindex(const char *ifname);	/* 0 when absent */
/* up: 1 up, 0 down, -1 leave as is; mtu/txqlen 0 = leave as is. */
int lib_nl_link_set(struct lib_nl *nl, int ifindex, int up, unsigned mtu, unsigned txqlen);
/* addrgenmode none (no link-local address); set it before the link goes up.
 * -EAFNOSUPPORT when the device has no IPv6 (MTU below 1280). */
int lib_nl_addrgen_none(struct lib_nl *nl, int ifindex);
int lib_nl_addr(struct lib_nl *nl, int add, int ifindex, const uint8_t a[16], int plen,
		int nodad);
/* The same with a peer (the kernel routes peer/plen on the device too; a
 * stays a local address) and IFA_F_* flags (IFA_F_NODAD, IFA_F_NOPREFIXROUTE:
 * no route for a/plen; the peer's route stays).  IPv4 for an IPv4-mapped a
 * (plen counts the 96 bits of the mapping; the peer must be IPv4 too). */
int lib_nl_addr_peer(struct lib_nl *nl, int add, int ifindex, const uint8_t a[16],
		     const uint8_t peer[16], int plen, uint32_t flags);
/* Route in `table` (254 main, 255 local, other numbers allowed): dst/plen
 * out oif, via gw when gw != NULL (IPv4 for an IPv4-mapped dst, plen then
 * counting the 96 bits of the mapping); protocol static (a delete removes only a
 * static route, not the kernel's route of an address with the same prefix). */
int lib_nl_route(struct lib_nl *nl, int add, uint32_t table, const uint8_t dst[16], int plen,
		 int oif, const uint8_t *gw);
/* The same with the route's MTU (mtu 0: the device's). */
int lib_nl_route_mtu(struct lib_nl *nl, int add, uint32_t table, const uint8_t dst[16], int plen,
		     int oif, const uint8_t *gw, unsigned mtu);
/* A blackhole route in `table` for dst/plen with metric prio (0: the
 * kernel's default): what matches it is dropped without an answer.  A
 * delete removes only a blackhole made here. */
int lib_nl_route_blackhole(struct lib_nl *nl, int add, uint32_t table, const uint8_t dst[16],
			   int plen, uint32_t prio);
/* Policy rule: prio, optional iif name, optional dst/plen (dst NULL = any),
 * optional fwmark (0 = none), action lookup `table`; IPv6, or IPv4 for an
 * IPv4-mapped dst.  lib_nl_rule_af names the family (AF_INET or AF_INET6),
 * for rules without a destination. */
int lib_nl_rule(struct lib_nl *nl, int add, uint32_t prio, const char *iif, const uint8_t *dst,
		int dst_plen, uint32_t fwmark, uint32_t table);
int lib_nl_rule_af(struct lib_nl *nl, int af, int add, uint32_t prio, const char *iif,
		   const uint8_t *dst, int dst_plen, uint32_t fwmark, uint32_t table);
/* One next hop of a unicast route, as lib_nl_routes reads it (a route with
 * several next hops gives several entries).  IPv4 addresses are the first 4
 * bytes of dst and gw. */
struct lib_route {
	uint8_t family;		/* AF_INET6 or AF_INET */
	uint8_t plen;
	uint8_t protocol;	/* RTPROT_KERNEL, RTPROT_STATIC, RTPROT_OSPF ... */
	uint8_t type;		/* RTN_UNICAST */
	uint8_t dst[16];
	uint8_t gw[16];
	int has_gw;
	int oif;		/* 0 when none */
	uint32_t metric;
	uint32_t mtu;		/* the route's MTU metric, 0 when unset */
	uint32_t table;
	uint32_t nh_flags;	/* RTNH_F_LINKDOWN, RTNH_F_DEAD ... of the next hop */
};
/* Reads the unicast routes of `table` (family AF_INET6, AF_INET or AF_UNSPEC
 * for both, IPv6 first) into out.  Returns the number of entries, -ENOSPC
 * when there are more than max, or -errno. */
int lib_nl_routes(struct lib_nl *nl, int family, uint32_t table, struct lib_route *out, int max);
/* Proxy neighbour entry (ip -6 neigh add proxy A dev IF; for IPv4, proxy
 * ARP: ip neigh add proxy A dev IF). */
int lib_nl_proxy_neigh(struct lib_nl *nl, int add, int ifindex, const uint8_t a[16]);
/* Writes value to /proc/sys/<path> (path like "net/ipv6/conf/lan0/proxy_ndp"). */
int lib_sysctl_set(const char *path, const char *value);
/* Sends an unsolicited Neighbour Advertisement for `target` from interface
 * ifname to ff02::1 with the Override flag and a Target Link-Layer Address
 * option (RFC 4861 7.2.6), so neighbours re-resolve at once. */
int lib_ndisc_send_una(const char *ifname, const uint8_t target[16]);
/* Sends a gratuitous ARP request for the IPv4 address `addr` from ifname
 * (RFC 5227 ARP Announcement), so neighbours re-resolve it at once. */
int lib_arp_send_garp(const char *ifname, const uint8_t addr[4]);

/* ---- TCP socket dump through NETLINK_SOCK_DIAG (lib/diag.c) -------------------
 * Dumps AF_INET6 TCP sockets of the current namespace whose state bit is in
 * `states` (1 << TCP_ESTABLISHED | 1 << TCP_LISTEN ...) and calls cb for each;
 * cb returns non-zero to stop.  Returns the number of sockets or -errno. */
struct lib_sock {
	uint8_t laddr[16], raddr[16];
	uint16_t lport, rport;	/* host order */
	uint8_t state;		/* TCP_* from <netinet/tcp.h> */
	uint32_t uid, inode;	/* owner and socket inode (0 when the socket is gone) */
};
int lib_diag_tcp6(uint32_t states, int (*cb)(const struct lib_sock *s, void *arg), void *arg);
/* The same for AF_INET sockets, their addresses IPv4-mapped (::ffff:a.b.c.d,
 * as an IPv6 socket shows an IPv4 peer). */
int lib_diag_tcp4(uint32_t states, int (*cb)(const struct lib_sock *s, void *arg), void *arg);
/* One socket by its 4-tuple (an exact request, no dump: O(1) in the kernel),
 * on a netlink socket kept open in the namespace where lib_diag_open ran.
 * lib_diag_tcp6_state returns its TCP_* state (a timewait socket gives its
 * substate, TCP_FIN_WAIT2 or TCP_TIME_WAIT), -ENOENT when there is no such
 * connection, or another -errno. */
struct lib_diag;
int lib_diag_open(struct lib_diag **out);
void lib_diag_close(struct lib_diag **d);
int lib_diag_tcp6_state(struct lib_diag *d, const uint8_t laddr[16], uint16_t lport,
			const uint8_t raddr[16], uint16_t rport);

/* ---- delay line and loss (lib/delay.c): fault injection in our data paths --
 * The kernel here has no netem, so `sysplex link` delays and drops packets in
 * the userspace TUN paths of the stacks and agents.  A delay line copies each
 * packet into a preallocated byte ring and hands it to `out` after delay_ms;
 * a packet that does not fit is dropped and counted.  Nothing is allocated
 * per packet. */
struct lib_delay;
struct uv_loop_s;
typedef void (*lib_delay_out_cb)(const uint8_t *frame, size_t len, void *arg);
struct lib_delay *lib_delay_new(struct uv_loop_s *loop, size_t ring_bytes, lib_delay_out_cb out,
				void *arg);
void lib_delay_set(struct lib_delay *d, unsigned delay_ms);
/* Queues a copy of frame; -ENOBUFS when the ring is full. */
int lib_delay_push(struct lib_delay *d, const uint8_t *frame, size_t len);
uint64_t lib_delay_dropped(const struct lib_delay *d);
/* Sends what is queued at once and frees everything (the loop must run once
 * more to close the timer). */
void lib_delay_destroy(struct lib_delay **d);
/* 1 with probability pct/100 (xorshift; not for cryptography). */
int lib_chance(unsigned pct);

/* ---- JSON (lib/json.c, jansson) ------------------------------------------------
 * A display is built as one jansson object (its result), written as compact
 * JSON or rendered as text from that same object.  Integers are 64-bit
 * (json_int_t) both ways.  The header does not include <jansson.h>: files
 * that build or read objects include it themselves. */
struct json_t;
#define LIB_JSON_DEPTH 64		/* the deepest nesting lib_json_parse takes */
/* A JSON string of s ("" for NULL); bytes that are not UTF-8 become '?'.
 * NULL only when out of memory. */
struct json_t *lib_json_str(const char *s);
/* As lib_json_str, but JSON null for NULL or "". */
struct json_t *lib_json_str_or_null(const char *s);
/* Members of object o, for renderers: the string (dflt when absent or not a
 * string), the integer (dflt when absent or not a number), the boolean (0
 * unless true). */
const char *lib_json_gets(const struct json_t *o, const char *key, const char *dflt);
long long lib_json_geti(const struct json_t *o, const char *key, long long dflt);
int lib_json_getb(const struct json_t *o, const char *key);
/* Appends v as compact JSON (members in the order they were set) and a line
 * end; 0 or -1 (out of memory, b->oom set). */
int lib_json_dump(struct lib_sbuf *b, const struct json_t *v);
/* Parses exactly one JSON value of len bytes, strictly (RFC 8259: no
 * trailing text, no comments, valid UTF-8, nesting at most LIB_JSON_DEPTH;
 * strings may hold \u0000; integers must fit 64 bits).  The caller
 * json_decref's it.  NULL on error with "offset N: why" in err. */
struct json_t *lib_json_parse(const char *s, size_t len, char *err, size_t errlen);

/* ---- the control protocol (lib/ctl.c) ----------------------------------------
 * The daemons' operator interface (docs/RUNTIME.md): a Unix stream socket,
 * mode 0600, one request line per connection, "[JSON ]COMMAND\n", answered
 * with "RC=0\n" or "RC=8\n" and a body, then closed. */
#define LIB_CTL_LINE_MAX 1024		/* request bytes with the line end: longer is refused */
#define LIB_CTL_MAX_OPERANDS 16		/* operands a command takes */
#define LIB_CTL_STACK_SOCK "ctl.sock"	/* in a stack's state directory */
#define LIB_CTL_AGENT_SOCK "agent.ctl"	/* in a client agent's state directory */

/* The server's framing of a request, pure (what lib_ctl_start does with the
 * bytes it reads): buf[0..len) is what the connection sent so far, len at
 * most LIB_CTL_LINE_MAX, buf with room for one more byte; eof says the client
 * closed its side.  LIB_CTL_FRAME_LINE: a request; it ends at the first line
 * end (the rest is ignored), is NUL-terminated in place without it, *json
 * says it started "JSON " and *cmd points at the command.  _MORE: wait for
 * more bytes.  _LONG: LIB_CTL_LINE_MAX bytes without a line end: refused
 * whole (*json as the line began).  _NONE: the client closed without
 * sending anything. */
enum { LIB_CTL_FRAME_MORE, LIB_CTL_FRAME_LINE, LIB_CTL_FRAME_LONG, LIB_CTL_FRAME_NONE };
int lib_ctl_frame(char *buf, size_t len, int eof, int *json, char **cmd);

/* Where a daemon's control socket is: DIR/SOCK, or DIR/HOST/SOCK when host
 * is not NULL (the launcher: DIR is the instance's run directory); SOCK is
 * the agent's when agent is non-zero, else the stack's.  -ENAMETOOLONG when
 * it does not fit len or a Unix socket address. */
int lib_ctl_path(char *buf, size_t len, const char *dir, const char *host, int agent);

/* The server.  exec gets the line without its JSON prefix and line end, and
 * writes the body into out (lib_ctl_result, lib_ctl_ok, lib_ctl_error);
 * it returns 0 for RC=0 and a negative value for RC=8. */
struct lib_ctl;
typedef int (*lib_ctl_exec_cb)(const char *line, int json, struct lib_sbuf *out, void *arg);
struct lib_ctl *lib_ctl_start(struct uv_loop_s *loop, const char *path, lib_ctl_exec_cb exec,
			      void *arg, char *err, size_t errlen);
/* lib_ctl_start on the socket of the daemon whose state directory is dir
 * (lib_ctl_path); NULL after logging why not. */
struct lib_ctl *lib_ctl_open(struct uv_loop_s *loop, const char *dir, int agent,
			     lib_ctl_exec_cb exec, void *arg);
/* Closes the socket and removes its file (the loop must run once more). */
void lib_ctl_stop(struct lib_ctl **c);

/* The client: sends "[JSON ]cmd\n" (cmd is one line) to the socket at path
 * and reads the whole reply, however many reads it takes, until the server
 * closes, all within timeout_ms.  0 with *rc (n of "RC=n") and body (the
 * rest, NUL-terminated; lib_sbuf_free it), or -errno: -ETIMEDOUT, -ENOENT /
 * -ECONNREFUSED (nobody serves there), -EPROTO (no status line), -EMSGSIZE
 * (a reply over 64 MiB), -EINVAL (cmd holds a line break). */
int lib_ctl_call(const char *path, const char *cmd, int json, int timeout_ms, int *rc,
		 struct lib_sbuf *body);
/* A daemon's command-line client (`tcpip-stack --cmd`, `client-agent
 * --show`): cmd to the daemon whose state directory is dir (lib_ctl_path;
 * agent selects the client agent's socket), the reply body on stdout.  The
 * exit status: 0 for RC=0, 1 for a refusal or when nobody answers (said on
 * stderr, prefixed with prog). */
int lib_ctl_client(const char *prog, const char *dir, int agent, const char *cmd, int json,
		   int timeout_ms);
/* The same with "JSON " and the body parsed: 0 with *reply (json_decref it)
 * and *rc, or -errno (the call failed, err says why) or -EBADMSG (the body
 * is not JSON, err says where). */
int lib_ctl_call_json(const char *path, const char *cmd, int timeout_ms, int *rc,
		      struct json_t **reply, char *err, size_t errlen);
/* Splits a reply of len bytes into its status (*rc) and *body; -EPROTO when
 * it does not start with a status line "RC=n". */
int lib_ctl_reply_parse(const char *s, size_t len, int *rc, const char **body);

/* Answers.  A display: result (the reference is taken) written as compact
 * JSON when json is set or render is NULL, else rendered as text by
 * render(result, out, arg); 0, or -1 with an error answer when result is
 * NULL (out of memory). */
typedef void (*lib_ctl_render_cb)(const struct json_t *result, struct lib_sbuf *out, void *arg);
int lib_ctl_result(struct lib_sbuf *out, int json, struct json_t *result, lib_ctl_render_cb render,
		   void *arg);
/* A one-line answer: text "msg\n", or {"ok":true,"message":"msg"} (ok) or
 * {"error":"msg"}.  lib_ctl_ok is a success (0), lib_ctl_error a refusal
 * naming what was expected (-1: RC=8). */
void lib_ctl_say(struct lib_sbuf *out, int json, int ok, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
#define lib_ctl_ok(out, json, ...) (lib_ctl_say((out), (json), 1, __VA_ARGS__), 0)
#define lib_ctl_error(out, json, ...) (lib_ctl_say((out), (json), 0, __VA_ARGS__), -1)

/* The request.  lib_ctl_parse upper-cases line into c->buf and splits it
 * into the verb (the first word) and its operands (lib_ctl_operands).  A
 * blank line gives the verb "".  Refused with a one-line reason in err: a
 * line of more than LIB_CTL_LINE_MAX - 1 characters (-EMSGSIZE), one with a
 * character that is not printable ASCII (-EILSEQ), more than
 * LIB_CTL_MAX_OPERANDS operands (-E2BIG; c->verb is still set). */
struct lib_ctl_cmd {
	char buf[LIB_CTL_LINE_MAX];
	char *verb;
	/* One slot more than operands: a caller may put the verb in front. */
	char *tok[LIB_CTL_MAX_OPERANDS + 1];
	int ntok;
};
int lib_ctl_parse(const char *line, struct lib_ctl_cmd *c, char *err, size_t errlen);
/*
 * Splits the operands of a command in place: separated by commas or blanks
 * (blanks also separate: "VCRT DETAIL" = "VCRT,DETAIL"), empty fields kept
 * ("TCPIP,,SYSPLEX"), trailing empty ones dropped.  Stores at most max
 * pointers into tok.  Returns the number of operands, or -E2BIG when there
 * are more than max (tok is then unusable).
 */
int lib_ctl_operands(char *p, char **tok, int max);
/* KEY=VALUE operands with whole-number values: each of tok[0..n) must name
 * one of opts (case-insensitively) and hold a number in [min, max], stored
 * in *val.  -ENOENT for another operand ("unexpected operand 'X': expected
 * <expected>"), -EINVAL for a bad value ("KEY must be <unit>MIN..MAX, not
 * 'V'", KEY as written); the message goes to err. */
struct lib_ctl_opt {
	const char *key;		/* e.g. "LOSS" */
	const char *unit;		/* e.g. "a whole number of percent ", or "" */
	long min, max;
	long *val;
};
int lib_ctl_options(char *const *tok, int n, const struct lib_ctl_opt *opts, int nopts,
		    const char *expected, char *err, size_t errlen);
/* The operands of SYSPLEX$LINK (docs/RUNTIME.md): LOSS=pct (0..100) and
 * DELAY=ms (0..10000); *loss and *delay keep their values for an operand not
 * given.  0, or as lib_ctl_options. */
int lib_ctl_link_parse(char *const *tok, int n, long *loss, long *delay, char *err, size_t errlen);
/* SYSPLEX$LINK as a daemon answers it: parses tok (loss and delay are the
 * current values), applies the result with set(arg, loss, delay) and
 * answers "LINK OF <host>: LOSS p% DELAY d MS (IN THE <who> TUN DATA PATH)";
 * a bad operand or a failed set gets the one-line refusal (-1). */
int lib_ctl_link(struct lib_sbuf *out, int json, char *const *tok, int n, long loss, long delay,
		 int (*set)(void *arg, int loss_pct, unsigned delay_ms), void *arg, const char *host,
		 const char *who);

/* "A, B or C" of words[0..n) into buf ("" for none); returns buf. */
const char *lib_word_list(char *buf, size_t len, const char *const *words, size_t n);
/* The word of `words` closest to w (edit distance at most 2), or NULL: for
 * "did you mean" in answers to bad commands. */
const char *lib_closest_word(const char *w, const char *const *words, size_t n);

/* ---- command lines (lib/opt.c) ----------------------------------------------
 * A program's options are one table, terminated by { 0 }, from which
 * getopt_long's arguments and the OPTIONS part of --help are both made.  key
 * is the short letter, or LIB_OPT_LONG + n for an option with only a long
 * name; lib_opt_next returns the key, -1 after the last option, '?' for an
 * unknown option or a missing argument (after printing which to stderr,
 * prefixed by g->prog). */
#define LIB_OPT_LONG 256
#define LIB_OPT_MAX 32
struct lib_opt {
	int key;
	const char *name;		/* long name without "--", or NULL */
	const char *arg;		/* the argument's name, NULL for none */
	const char *help;		/* one line */
};
struct lib_getopt {
	const struct lib_opt *opts;
	const char *prog;		/* for messages */
	char shortopts[3 * LIB_OPT_MAX + 3];
	struct option longopts[LIB_OPT_MAX + 1];
};
/* -1 when the table is too long.  stop_at_operand: options end at the
 * first operand (else they are taken from anywhere, as getopt_long does). */
int lib_opt_init(struct lib_getopt *g, const struct lib_opt *opts, int stop_at_operand);
int lib_opt_next(struct lib_getopt *g, int argc, char **argv, const char **arg);
/* One line per option: "  -p, --profile FILE   what it does". */
void lib_opt_help(FILE *f, const struct lib_opt *opts);
/* "PROG (sysplex) VERSION" */
void lib_opt_version(FILE *f, const char *prog);
/* The version of the programs, made by the Makefile from its RELEASE and
 * git (build/gen/version.c). */
extern const char lib_version[];

#endif
