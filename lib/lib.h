/*
 * lib.h - shared support for every sysplex program: logging, drop-reason
 * counters, small string/buffer helpers and libuv glue.
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

/* ---- time ------------------------------------------------------------ */
uint64_t lib_now_ms(void);	/* CLOCK_MONOTONIC in ms */
uint64_t lib_now_ns(void);	/* CLOCK_MONOTONIC in ns */
uint64_t lib_wall_ms(void);	/* CLOCK_REALTIME in ms */

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
/* Appends s as a JSON string literal (with quotes, escaped); the _n form
 * takes a length (the bytes may include NUL). */
void lib_sbuf_json_str(struct lib_sbuf *b, const char *s);
void lib_sbuf_json_strn(struct lib_sbuf *b, const char *s, size_t len);
void lib_sbuf_free(struct lib_sbuf *b);

/* Writes all of buf to fd, retrying on EINTR/short writes; 0 or -errno. */
int lib_write_all(int fd, const void *buf, size_t len);

/* ---- TUN devices (lib/tun.c) ------------------------------------------------
 * Opens (creating if needed) TUN device `ifname` in the current namespace,
 * IFF_TUN|IFF_NO_PI, plus IFF_VNET_HDR when o->vnet_hdr, IFF_MULTI_QUEUE when
 * o->multiqueue.  With vnet_hdr and offload: TUNSETOFFLOAD
 * TUN_F_CSUM|TSO4|TSO6 (|USO4|USO6 when the kernel takes it); otherwise
 * TUNSETOFFLOAD(0) (a persistent TUN keeps the last reader's offloads).  Sets
 * addrgenmode none (never disable_ipv6), the MTU, txqueuelen, and brings the
 * link up.  Returns a non-blocking fd or -errno. */
struct lib_tun_opts {
	int vnet_hdr;
	int offload;
	int multiqueue;
	unsigned mtu;		/* 0 = leave as is */
	unsigned txqlen;	/* 0 = leave as is */
};
int lib_tun_open(const char *ifname, const struct lib_tun_opts *o);

/* ---- rtnetlink through libmnl (lib/nl.c) -------------------------------------
 * All calls act on the current network namespace and are idempotent: adding
 * what exists (EEXIST) or deleting what is gone (ENOENT/ESRCH/EADDRNOTAVAIL)
 * is success.  Return 0 or -errno. */
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
/* IPv6 route in `table` (254 main, 255 local, other numbers allowed): dst/plen
 * out oif, via gw when gw != NULL. */
int lib_nl_route(struct lib_nl *nl, int add, uint32_t table, const uint8_t dst[16], int plen,
		 int oif, const uint8_t *gw);
/* IPv6 policy rule: prio, optional iif name, optional dst/plen (dst NULL = any),
 * optional fwmark (0 = none), action lookup `table`. */
int lib_nl_rule(struct lib_nl *nl, int add, uint32_t prio, const char *iif, const uint8_t *dst,
		int dst_plen, uint32_t fwmark, uint32_t table);
/* Proxy neighbour entry (ip -6 neigh add proxy A dev IF). */
int lib_nl_proxy_neigh(struct lib_nl *nl, int add, int ifindex, const uint8_t a[16]);
/* Writes value to /proc/sys/<path> (path like "net/ipv6/conf/lan0/proxy_ndp"). */
int lib_sysctl_set(const char *path, const char *value);
/* Sends an unsolicited Neighbour Advertisement for `target` from interface
 * ifname to ff02::1 with the Override flag and a Target Link-Layer Address
 * option (RFC 4861 7.2.6), so neighbours re-resolve at once. */
int lib_ndisc_send_una(const char *ifname, const uint8_t target[16]);

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

/* ---- control sockets (lib/ctlsrv.c) ------------------------------------------
 * The daemons' operator interface (docs/RUNTIME.md): a Unix stream socket,
 * mode 0600, one request line per connection, "[JSON ]COMMAND\n", answered
 * with "RC=0\n" or "RC=8\n" and the body exec wrote, then closed.  exec
 * returns 0 for RC=0 and a negative value for RC=8; the line it gets has the
 * JSON prefix and the line end removed. */
#define LIB_CTL_LINE_MAX 1024		/* request bytes with the line end: longer is refused */
#define LIB_CTL_MAX_OPERANDS 16		/* operands lib_ctl_operands accepts */
struct lib_ctl;
typedef int (*lib_ctl_exec_cb)(const char *line, int json, struct lib_sbuf *out, void *arg);
struct lib_ctl *lib_ctl_start(struct uv_loop_s *loop, const char *path, lib_ctl_exec_cb exec,
			      void *arg, char *err, size_t errlen);
/* Closes the socket and removes its file (the loop must run once more). */
void lib_ctl_stop(struct lib_ctl **c);
/*
 * Splits the operands of a command in place: separated by commas or blanks
 * (blanks also separate: "VCRT DETAIL" = "VCRT,DETAIL"), empty fields kept
 * ("TCPIP,,SYSPLEX"), trailing empty ones dropped.  Stores at most max
 * pointers into tok.  Returns the number of operands, or -E2BIG when there
 * are more than max (tok is then unusable).
 */
int lib_ctl_operands(char *p, char **tok, int max);

/* The word of `words` closest to w (edit distance at most 2), or NULL: for
 * "did you mean" in answers to bad commands. */
const char *lib_closest_word(const char *w, const char *const *words, size_t n);

#endif
