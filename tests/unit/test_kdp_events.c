/*
 * test_kdp_events.c - proves the connection events of the kernel data path
 * (kdp_ev_*, kdp/events.bpf.c) with real TCP connections in a network
 * namespace of the test's own (main() unshares one; a loopback with a
 * DVIPA-like address fd00:100::1 and client addresses fd00:1::101..), the
 * events read through the descriptor a daemon would poll.  Needs root.
 *
 * What is checked:
 *  - 2000 short connections (open and closed within a few milliseconds,
 *    four ways of closing in turn: client first, server first, client RST,
 *    server half-close first), each on a 4-tuple of its own, are each
 *    reported established exactly once and ended exactly once, in that
 *    order (a LINGER, if any, between them), and nothing else is reported;
 *  - long connections: reported established and not ended while they live,
 *    also half-closed either way (CLOSE_WAIT; the server's FIN_WAIT2, both as
 *    a full socket and as the timewait socket close() leaves while the
 *    client's FIN is still due: reported LINGER, looked up again and again,
 *    not ended while the client may still send); ended when the socket is
 *    gone or in TIME_WAIT, with the states and flags saying how;
 *  - RST from the client (ECONNRESET), an abort by the server, an RST to a
 *    lingering FIN_WAIT2 timewait socket, its tcp_fin_timeout expiry, and a
 *    retransmission timeout (TCP_USER_TIMEOUT, ETIMEDOUT, the client's
 *    packets dropped by nftables) end connections;
 *  - listeners on a watched address and on :: (watched for listeners only),
 *    one event per SO_REUSEPORT socket, and their closing; nothing for
 *    listeners or connections on unwatched addresses, nor after an address
 *    is unwatched;
 *  - the same activity in another namespace (seen there by its own event
 *    source, the control) gives nothing here;
 *  - a full ring drops events and says so (a KDP_EV_LOST event whose counts
 *    add up with what was delivered to all that happened); the consumer
 *    resynchronises from a sock_diag dump and the events after it are exact;
 *  - the API: bad flags and ring sizes, a full address map, unknown
 *    addresses, names; without privileges, a negative errno and one line.
 *
 * Waiting is done by polling the events' descriptor or the socket table with
 * generous deadlines; absence is asserted only after the kernel has settled
 * the transition (the state seen in the socket table, or a transition made
 * inside our own system call), never after a sleep.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kdp/kdp.h"
#include "lib/lib.h"

#define PORT 8080
#define DEADLINE_MS 60000
#define NCLI 4

static uint8_t DV[16], DV2[16], ANY[16], CLI[NCLI][16], CLI_GONE[16], OTHER[16];

/* ---- helpers --------------------------------------------------------------------- */

static int
sh_ok(const char *cmd)
{
	return system(cmd) == 0;
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
sa6(struct sockaddr_in6 *sa, const uint8_t a[16], uint16_t port)
{
	memset(sa, 0, sizeof(*sa));
	sa->sin6_family = AF_INET6;
	memcpy(&sa->sin6_addr, a, 16);
	sa->sin6_port = htons(port);
}

static int
listener(const uint8_t a[16], uint16_t port, int reuseport)
{
	struct sockaddr_in6 sa;
	int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	assert_true(fd >= 0);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
	if (reuseport)
		assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)), 0);
	sa6(&sa, a, port);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 4096), 0);
	return fd;
}

/* A connection from client address `from` (port *cport, 0: any) to a:port;
 * the accepted socket in *srv, the client's port in *cport.  Returns the
 * client socket. */
static int
conn_from(int lfd, const uint8_t from[16], const uint8_t a[16], uint16_t port, int *srv,
	  uint16_t *cport)
{
	struct sockaddr_in6 sa;
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	assert_true(fd >= 0);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
	sa6(&sa, from, *cport);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	sa6(&sa, a, port);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		fail_msg("connect: %s", strerror(errno));
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	*cport = ntohs(sa.sin6_port);
	*srv = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	assert_true(*srv >= 0);
	return fd;
}

static int
conn(int lfd, const uint8_t from[16], const uint8_t a[16], uint16_t port, int *srv,
     uint16_t *cport)
{
	*cport = 0;
	return conn_from(lfd, from, a, port, srv, cport);
}

/* close() sending an RST (SO_LINGER 0). */
static void
close_rst(int fd)
{
	struct linger l = { 1, 0 };

	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l)), 0);
	close(fd);
}

/* ---- the event log ----------------------------------------------------------------- */

struct evlog {
	struct kdp_event *v;
	size_t n, cap;
	uint64_t lost;		/* sum of KDP_EV_LOST counts */
	unsigned lost_events;
};

static void
log_cb(const struct kdp_event *ev, void *arg)
{
	struct evlog *l = arg;

	if (ev->type == KDP_EV_LOST) {
		l->lost += ev->lost;
		l->lost_events++;
		return;
	}
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 1024;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
		assert_non_null(l->v);
	}
	l->v[l->n++] = *ev;
}

static void
log_free(struct evlog *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* Consumes what is queued now, without waiting. */
static void
drain(struct kdp_ev *e, struct evlog *l)
{
	assert_true(kdp_ev_consume(e, log_cb, l) >= 0);
}

/* Waits on the descriptor for up to ms and consumes. */
static void
pump(struct kdp_ev *e, struct evlog *l, int ms)
{
	struct pollfd p = { .fd = kdp_ev_fd(e), .events = POLLIN };
	int t = kdp_ev_timeout_ms(e);

	/* As a daemon: readable, or lingering connections to look up. */
	if (t >= 0 && t < ms)
		ms = t;
	assert_true(poll(&p, 1, ms) >= 0 || errno == EINTR);
	drain(e, l);
}

static size_t
count(const struct evlog *l, int type, const uint8_t *raddr, uint16_t rport)
{
	size_t i, n = 0;

	for (i = 0; i < l->n; i++)
		if ((int)l->v[i].type == type &&
		    (!raddr || (memcmp(l->v[i].raddr, raddr, 16) == 0 && l->v[i].rport == rport)))
			n++;
	return n;
}

/* The last event of a type for a client tuple (NULL if none). */
static const struct kdp_event *
find(const struct evlog *l, int type, const uint8_t *raddr, uint16_t rport)
{
	size_t i;

	for (i = l->n; i-- > 0;)
		if ((int)l->v[i].type == type && memcmp(l->v[i].raddr, raddr, 16) == 0 &&
		    l->v[i].rport == rport)
			return &l->v[i];
	return NULL;
}

/* Waits until at least n events of a type (for a tuple, or any) are logged. */
#define wait_count(e, l, type, raddr, rport, n) wait_count_at(__LINE__, e, l, type, raddr, rport, n)
static void
wait_count_at(int line, struct kdp_ev *e, struct evlog *l, int type, const uint8_t *raddr,
	      uint16_t rport, size_t n)
{
	uint64_t end = now_ms() + DEADLINE_MS;

	drain(e, l);
	while (count(l, type, raddr, rport) < n) {
		if (now_ms() > end) {
			struct kdp_ev_stats st;

			kdp_ev_stats(e, &st);
			fail_msg("line %d: waited %d ms for %zu %s events, have %zu (queued %llu "
				 "delivered %llu, ring full %llu, nested %llu taken %llu)", line,
				 DEADLINE_MS, n, kdp_ev_type_name(type), count(l, type, raddr, rport),
				 (unsigned long long)st.queued, (unsigned long long)st.delivered,
				 (unsigned long long)st.ring_full, (unsigned long long)st.nested,
				 (unsigned long long)st.nested_taken);
		}
		pump(e, l, 100);
	}
}

/* Lets the instance look its lingering connections up n more times (it
 * backs off: 2, 10, 50 ms ...), as a daemon's timer would.  The timeout may
 * also bring a round for the nested-drop counters, which looks nothing up:
 * counts the lookups themselves, not the rounds. */
static void
wait_lookups(struct kdp_ev *e, struct evlog *l, int n)
{
	uint64_t end = now_ms() + DEADLINE_MS;
	struct kdp_ev_stats st;
	uint64_t want;

	assert_int_equal(kdp_ev_stats(e, &st), 0);
	want = st.lookups + (uint64_t)n;
	while (st.lookups < want) {
		int t = kdp_ev_timeout_ms(e);
		struct timespec ts;

		assert_true(t >= 0);
		if (now_ms() > end)
			fail_msg("%llu lookups after %d ms, waited for %llu",
				 (unsigned long long)st.lookups, DEADLINE_MS,
				 (unsigned long long)want);
		ts.tv_sec = t / 1000;
		ts.tv_nsec = (long)(t % 1000) * 1000000 + 1000000;
		nanosleep(&ts, NULL);
		drain(e, l);
		assert_int_equal(kdp_ev_stats(e, &st), 0);
	}
}

/* Consumes until no connection lingers (their lookups are due in up to a
 * second each), as a daemon's timer would. */
static void
wait_no_linger(struct kdp_ev *e, struct evlog *l)
{
	uint64_t end = now_ms() + DEADLINE_MS;

	drain(e, l);
	while (kdp_ev_lingering(e)) {
		if (now_ms() > end)
			fail_msg("%u connections still lingering", kdp_ev_lingering(e));
		pump(e, l, 100);
	}
	drain(e, l);
}

/* ---- the socket table -------------------------------------------------------------- */

struct find_sock {
	const uint8_t *laddr, *raddr;
	uint16_t lport, rport;
	int state;	/* found: its state; -1 none */
	int n;		/* sockets on laddr:lport (any peer) */
};

static int
find_sock_cb(const struct lib_sock *s, void *arg)
{
	struct find_sock *f = arg;

	if (memcmp(s->laddr, f->laddr, 16) != 0 || s->lport != f->lport)
		return 0;
	f->n++;
	if (f->raddr && memcmp(s->raddr, f->raddr, 16) == 0 && s->rport == f->rport)
		f->state = s->state;
	return 0;
}

#define LIVE_STATES                                                                            \
	((1u << TCP_ESTABLISHED) | (1u << TCP_SYN_RECV) | (1u << TCP_FIN_WAIT1) |               \
	 (1u << TCP_FIN_WAIT2) | (1u << TCP_CLOSE_WAIT) | (1u << TCP_LAST_ACK) |                \
	 (1u << TCP_CLOSING))

/* The state of the server side of (client, cport) on DV:PORT (a timewait
 * socket shows its substate), -1 when it is gone or in TIME_WAIT. */
static int
sock_state(const uint8_t client[16], uint16_t cport)
{
	struct find_sock f = { DV, client, PORT, cport, -1, 0 };

	assert_true(lib_diag_tcp6(LIVE_STATES, find_sock_cb, &f) >= 0);
	return f.state;
}

static void
wait_state(const uint8_t client[16], uint16_t cport, int state)
{
	uint64_t end = now_ms() + DEADLINE_MS;
	struct timespec ts = { 0, 2000000 };
	int st;

	while ((st = sock_state(client, cport)) != state) {
		if (now_ms() > end)
			fail_msg("port %u: state %d, waited for %d", cport, st, state);
		nanosleep(&ts, NULL);
	}
}

/* Waits until exactly n sockets on DV:PORT are in a live state (the
 * listener is not). */
static void
wait_live(int n)
{
	uint64_t end = now_ms() + DEADLINE_MS;
	struct timespec ts = { 0, 5000000 };

	for (;;) {
		struct find_sock f = { DV, NULL, PORT, 0, -1, 0 };

		assert_true(lib_diag_tcp6(LIVE_STATES, find_sock_cb, &f) >= 0);
		if (f.n == n)
			return;
		if (now_ms() > end)
			fail_msg("%d sockets live on port %d, waited for %d", f.n, PORT, n);
		nanosleep(&ts, NULL);
	}
}

/* ---- fixtures ------------------------------------------------------------------------- */

static struct kdp_ev *
open_ev(unsigned ring)
{
	struct kdp_ev_opts o = { .ring_bytes = ring };
	char err[KDP_ERR_LEN];
	struct kdp_ev *e;
	int r = kdp_ev_open(&e, &o, err, sizeof(err));

	if (r < 0)
		fail_msg("kdp_ev_open: %d %s", r, err);
	assert_int_equal(kdp_ev_addr_set(e, DV, KDP_EV_WATCH_CONN | KDP_EV_WATCH_LISTEN), 0);
	return e;
}

/* ---- tests ------------------------------------------------------------------------------- */

static void
test_short_connections(void **state)
{
	enum { N = 2000 };
	static uint16_t cport[N];
	static uint8_t cli[N];
	struct kdp_ev *e = open_ev(0);
	struct evlog l = {0};
	int lfd = listener(DV, PORT, 0), i;
	size_t j, ended = 0, missing = 0;

	(void)state;
	for (i = 0; i < N; i++) {
		int c, s;

		/* A 4-tuple of its own (the kernel may give a client port
		 * again once the previous connection is over). */
		cli[i] = (uint8_t)(i % NCLI);
		cport[i] = (uint16_t)(20000 + i);
		c = conn_from(lfd, CLI[cli[i]], DV, PORT, &s, &cport[i]);
		switch (i % 4) {
		case 0:	/* client closes first */
			close(c);
			close(s);
			break;
		case 1:	/* server closes first: FIN_WAIT2 timewait, then the FIN */
			close(s);
			close(c);
			break;
		case 2:	/* client resets */
			close_rst(c);
			close(s);
			break;
		default:	/* server half-closes, client closes, server closes */
			shutdown(s, SHUT_WR);
			close(c);
			close(s);
			break;
		}
		if (i % 64 == 63)
			drain(e, &l);
	}
	/* Every connection ends: the kernel settles (no live socket: every
	 * event is queued before the state it reports shows), then the
	 * lingering ones are looked up until none is left. */
	wait_live(0);
	wait_no_linger(e, &l);
	/* Exact, unless the source said it lost events (it may, rarely: a
	 * state change nested in the program's run at the wrong instruction;
	 * the daemon then resynchronises): what is missing is then at most
	 * what it said it lost, and nothing is ever reported twice. */
	for (i = 0; i < N; i++) {
		size_t est = SIZE_MAX, end = SIZE_MAX, linger = SIZE_MAX, n_est = 0, n_end = 0;
		size_t n_linger = 0;

		for (j = 0; j < l.n; j++) {
			const struct kdp_event *v = &l.v[j];

			if (v->rport != cport[i] || memcmp(v->raddr, CLI[cli[i]], 16) != 0)
				continue;
			assert_memory_equal(v->laddr, DV, 16);
			assert_int_equal(v->lport, PORT);
			if (v->type == KDP_EV_ESTABLISHED) {
				n_est++;
				est = j;
				assert_int_equal(v->oldstate, TCP_SYN_RECV);
				assert_int_equal(v->flags, 0);
			} else if (v->type == KDP_EV_ENDED) {
				n_end++;
				end = j;
				assert_true(v->newstate == TCP_CLOSE || v->newstate == TCP_TIME_WAIT);
			} else if (v->type == KDP_EV_LINGER) {
				n_linger++;
				linger = j;
				assert_int_equal(v->oldstate, TCP_FIN_WAIT2);
			}
		}
		missing += (n_est == 0) + (n_end == 0);
		if (n_est > 1 || n_end > 1 || (n_est && n_end && est > end) || n_linger > 1 ||
		    (n_linger && ((n_est && linger < est) || (n_end && linger > end))) ||
		    (!l.lost && (n_est != 1 || n_end != 1))) {
			struct kdp_ev_stats st;

			kdp_ev_stats(e, &st);
			fail_msg("connection %d (port %u): %zu established, %zu ended, %zu lingered, "
				 "order %zu %zu %zu, %llu lost; closes seen %llu, queued %llu, "
				 "delivered %llu, nested %llu taken %llu", i, cport[i], n_est, n_end,
				 n_linger, est, linger, end, (unsigned long long)l.lost,
				 (unsigned long long)st.closes, (unsigned long long)st.queued,
				 (unsigned long long)st.delivered, (unsigned long long)st.nested,
				 (unsigned long long)st.nested_taken);
		}
	}
	if (missing > l.lost)
		fail_msg("%zu events missing, %llu reported lost", missing,
			 (unsigned long long)l.lost);
	if (l.lost)
		fprintf(stderr, "test_kdp_events: %llu events reported lost (nested), %zu missing\n",
			(unsigned long long)l.lost, missing);
	/* Nothing else: N of each, the listener, and the lingering ones'
	 * LINGER (each before its end, at most one each). */
	for (j = 0; j < l.n; j++)
		ended += l.v[j].type == KDP_EV_ENDED;
	assert_int_equal(ended + count(&l, KDP_EV_ESTABLISHED, NULL, 0) + missing, 2 * N);
	if (!l.lost)
		assert_int_equal(count(&l, KDP_EV_LISTEN, NULL, 0), 1);
	assert_int_equal(l.n, ended + count(&l, KDP_EV_ESTABLISHED, NULL, 0) +
				      count(&l, KDP_EV_LISTEN, NULL, 0) +
				      count(&l, KDP_EV_LINGER, NULL, 0));
	assert_true(count(&l, KDP_EV_LISTEN, NULL, 0) <= 1);
	assert_int_equal(kdp_ev_lingering(e), 0);
	close(lfd);
	log_free(&l);
	kdp_ev_close(&e);
	assert_null(e);
}

static void
expect_no_end(struct kdp_ev *e, struct evlog *l, const uint8_t client[16], uint16_t cport)
{
	drain(e, l);
	if (count(l, KDP_EV_ENDED, client, cport))
		fail_msg("port %u reported ended while alive", cport);
}

static void
test_long_connections(void **state)
{
	enum { N = 200 };
	static int c[N], s[N];
	static uint16_t cp[N];
	struct kdp_ev_stats st;
	struct kdp_ev *e = open_ev(0);
	struct evlog l = {0};
	const struct kdp_event *v;
	int lfd = listener(DV, PORT, 0), i;

	(void)state;
	for (i = 0; i < N; i++)
		c[i] = conn(lfd, CLI[i % NCLI], DV, PORT, &s[i], &cp[i]);
	wait_count(e, &l, KDP_EV_ESTABLISHED, NULL, 0, N);
	for (i = 0; i < N; i++) {
		assert_int_equal(sock_state(CLI[i % NCLI], cp[i]), TCP_ESTABLISHED);
		expect_no_end(e, &l, CLI[i % NCLI], cp[i]);
	}

	/* 0: the client closes: CLOSE_WAIT lives; the server's close ends it
	 * (LAST_ACK, then gone). */
	close(c[0]);
	wait_state(CLI[0], cp[0], TCP_CLOSE_WAIT);
	expect_no_end(e, &l, CLI[0], cp[0]);
	close(s[0]);
	wait_count(e, &l, KDP_EV_ENDED, CLI[0], cp[0], 1);
	v = find(&l, KDP_EV_ENDED, CLI[0], cp[0]);
	assert_int_equal(v->oldstate, TCP_LAST_ACK);
	assert_int_equal(v->newstate, TCP_CLOSE);
	assert_int_equal(v->flags, 0);

	/* 1: the server half-closes: FIN_WAIT2 as a full socket lives; the
	 * client's FIN ends it (TIME_WAIT). */
	shutdown(s[1], SHUT_WR);
	wait_state(CLI[1], cp[1], TCP_FIN_WAIT2);
	expect_no_end(e, &l, CLI[1], cp[1]);
	close(c[1]);
	wait_count(e, &l, KDP_EV_ENDED, CLI[1], cp[1], 1);
	v = find(&l, KDP_EV_ENDED, CLI[1], cp[1]);
	assert_int_equal(v->oldstate, TCP_FIN_WAIT2);
	assert_int_equal(v->newstate, TCP_TIME_WAIT);
	assert_int_equal(v->flags, 0);
	close(s[1]);

	/* 2: the server closes while the client keeps the connection: the
	 * socket becomes a FIN_WAIT2 timewait socket inside close(), which is
	 * not an end (the client's FIN must still reach us); the FIN is. */
	shutdown(s[2], SHUT_WR);
	wait_state(CLI[2], cp[2], TCP_FIN_WAIT2);
	close(s[2]);
	assert_int_equal(sock_state(CLI[2], cp[2]), TCP_FIN_WAIT2);
	expect_no_end(e, &l, CLI[2], cp[2]);
	v = find(&l, KDP_EV_LINGER, CLI[2], cp[2]);
	assert_non_null(v);
	assert_int_equal(v->oldstate, TCP_FIN_WAIT2);
	assert_int_equal(kdp_ev_lingering(e), 1);
	/* Looked up again and again, still alive: not ended. */
	wait_lookups(e, &l, 2);
	expect_no_end(e, &l, CLI[2], cp[2]);
	assert_int_equal(kdp_ev_stats(e, &st), 0);
	assert_true(st.lookups >= 2);
	/* Straight from ESTABLISHED too (FIN_WAIT1, the ACK, then timewait). */
	close(s[3]);
	wait_state(CLI[3], cp[3], TCP_FIN_WAIT2);
	close(c[2]);
	wait_count(e, &l, KDP_EV_ENDED, CLI[2], cp[2], 1);
	v = find(&l, KDP_EV_ENDED, CLI[2], cp[2]);
	assert_int_equal(v->oldstate, TCP_FIN_WAIT2);
	assert_int_equal(v->newstate, TCP_TIME_WAIT);
	assert_int_equal(v->flags, KDP_EV_F_TW);
	expect_no_end(e, &l, CLI[3], cp[3]);
	close(c[3]);
	wait_count(e, &l, KDP_EV_ENDED, CLI[3], cp[3], 1);
	assert_int_equal(find(&l, KDP_EV_ENDED, CLI[3], cp[3])->flags, KDP_EV_F_TW);
	assert_int_equal(kdp_ev_lingering(e), 0);

	/* The others still live, then all end. */
	for (i = 4; i < N; i++)
		expect_no_end(e, &l, CLI[i % NCLI], cp[i]);
	for (i = 4; i < N; i++) {
		close(s[i]);
		close(c[i]);
	}
	for (i = 4; i < N; i++)
		wait_count(e, &l, KDP_EV_ENDED, CLI[i % NCLI], cp[i], 1);
	wait_live(0);
	drain(e, &l);
	assert_int_equal(count(&l, KDP_EV_ENDED, NULL, 0), N);
	assert_int_equal(count(&l, KDP_EV_ESTABLISHED, NULL, 0), N);
	close(lfd);
	log_free(&l);
	kdp_ev_close(&e);
}

static void
test_resets_and_timeouts(void **state)
{
	struct kdp_ev *e = open_ev(0);
	struct evlog l = {0};
	const struct kdp_event *v;
	int lfd = listener(DV, PORT, 0), c, s, c2, s2;
	unsigned tmo = 500;
	uint16_t cp, cp2;
	char buf[4096];

	(void)state;
	/* The client resets. */
	c = conn(lfd, CLI[0], DV, PORT, &s, &cp);
	close_rst(c);
	wait_count(e, &l, KDP_EV_ENDED, CLI[0], cp, 1);
	v = find(&l, KDP_EV_ENDED, CLI[0], cp);
	assert_int_equal(v->oldstate, TCP_ESTABLISHED);
	assert_int_equal(v->newstate, TCP_CLOSE);
	assert_int_equal(v->err, ECONNRESET);
	close(s);

	/* The server aborts (inside its close()). */
	c = conn(lfd, CLI[1], DV, PORT, &s, &cp);
	close_rst(s);
	drain(e, &l);
	v = find(&l, KDP_EV_ENDED, CLI[1], cp);
	assert_non_null(v);
	assert_int_equal(v->oldstate, TCP_ESTABLISHED);
	close(c);

	/* An RST to a lingering FIN_WAIT2 timewait socket ends it. */
	c = conn(lfd, CLI[2], DV, PORT, &s, &cp);
	shutdown(s, SHUT_WR);
	wait_state(CLI[2], cp, TCP_FIN_WAIT2);
	close(s);
	expect_no_end(e, &l, CLI[2], cp);
	close_rst(c);
	wait_count(e, &l, KDP_EV_ENDED, CLI[2], cp, 1);
	v = find(&l, KDP_EV_ENDED, CLI[2], cp);
	assert_int_equal(v->flags, KDP_EV_F_TW);
	assert_int_equal(v->newstate, TCP_CLOSE);

	/* tcp_fin_timeout expires for one whose client never sends its FIN. */
	assert_true(sh_ok("sysctl -qw net.ipv4.tcp_fin_timeout=1"));
	c = conn(lfd, CLI[3], DV, PORT, &s, &cp);
	shutdown(s, SHUT_WR);
	wait_state(CLI[3], cp, TCP_FIN_WAIT2);
	close(s);
	expect_no_end(e, &l, CLI[3], cp);
	wait_count(e, &l, KDP_EV_ENDED, CLI[3], cp, 1);
	v = find(&l, KDP_EV_ENDED, CLI[3], cp);
	assert_int_equal(v->flags, KDP_EV_F_TW);
	assert_int_equal(v->newstate, TCP_CLOSE);
	assert_true(sh_ok("sysctl -qw net.ipv4.tcp_fin_timeout=60"));
	close(c);

	/* A retransmission timeout: whatever reaches the client is dropped,
	 * the server's data is never acknowledged, TCP_USER_TIMEOUT ends it. */
	c2 = conn(lfd, CLI_GONE, DV, PORT, &s2, &cp2);
	assert_int_equal(setsockopt(s2, IPPROTO_TCP, TCP_USER_TIMEOUT, &tmo, sizeof(tmo)), 0);
	assert_true(sh_ok("nft add table ip6 kevt && "
			  "nft add chain ip6 kevt in '{ type filter hook input priority 0; }' && "
			  "nft add rule ip6 kevt in ip6 daddr fd00:1::199 drop"));
	memset(buf, 'x', sizeof(buf));
	assert_int_equal(send(s2, buf, sizeof(buf), MSG_DONTWAIT), (ssize_t)sizeof(buf));
	wait_state(CLI_GONE, cp2, -1);	/* the kernel gave up */
	wait_count(e, &l, KDP_EV_ENDED, CLI_GONE, cp2, 1);
	v = find(&l, KDP_EV_ENDED, CLI_GONE, cp2);
	assert_int_equal(v->err, ETIMEDOUT);
	assert_int_equal(v->oldstate, TCP_ESTABLISHED);
	assert_true(sh_ok("nft delete table ip6 kevt"));
	close(s2);
	close(c2);

	/* Every established one ended exactly once. */
	wait_live(0);
	drain(e, &l);
	assert_int_equal(count(&l, KDP_EV_ESTABLISHED, NULL, 0), 5);
	assert_int_equal(count(&l, KDP_EV_ENDED, NULL, 0), 5);
	close(lfd);
	log_free(&l);
	kdp_ev_close(&e);
}

static void
test_listeners(void **state)
{
	struct kdp_ev *e = open_ev(0);
	struct evlog l = {0};
	int a, b, r1, r2, u, w, c, s;
	uint16_t cp;

	(void)state;
	assert_int_equal(kdp_ev_addr_set(e, ANY, KDP_EV_WATCH_LISTEN), 0);
	a = listener(DV, 9001, 0);
	b = listener(ANY, 9002, 0);
	r1 = listener(DV, 9004, 1);
	r2 = listener(DV, 9004, 1);
	drain(e, &l);
	assert_int_equal(l.n, 4);
	assert_int_equal(l.v[0].type, KDP_EV_LISTEN);
	assert_memory_equal(l.v[0].laddr, DV, 16);
	assert_int_equal(l.v[0].lport, 9001);
	assert_int_equal(l.v[1].type, KDP_EV_LISTEN);
	assert_memory_equal(l.v[1].laddr, ANY, 16);
	assert_int_equal(l.v[1].lport, 9002);
	assert_int_equal(l.v[2].lport, 9004);
	assert_int_equal(l.v[3].lport, 9004);

	/* Unwatched: a listener elsewhere, connections to a listener on ::
	 * (watched for listeners only) and on another local address. */
	u = listener(OTHER, 9003, 0);
	c = conn(b, CLI[0], DV2, 9002, &s, &cp);
	close(s);
	close(c);
	c = conn(u, CLI[0], OTHER, 9003, &s, &cp);
	close(c);
	close(s);
	drain(e, &l);
	assert_int_equal(l.n, 4);

	/* Closing: one UNLISTEN per socket, in order. */
	close(a);
	close(b);
	close(r1);
	close(u);
	drain(e, &l);
	assert_int_equal(l.n, 7);
	assert_int_equal(l.v[4].type, KDP_EV_UNLISTEN);
	assert_int_equal(l.v[4].lport, 9001);
	assert_int_equal(l.v[5].type, KDP_EV_UNLISTEN);
	assert_memory_equal(l.v[5].laddr, ANY, 16);
	assert_int_equal(l.v[6].type, KDP_EV_UNLISTEN);
	assert_int_equal(l.v[6].lport, 9004);
	close(r2);
	drain(e, &l);
	assert_int_equal(l.n, 8);

	/* Unwatching :: and the DVIPA: nothing more; watching again: events. */
	assert_int_equal(kdp_ev_addr_del(e, ANY), 0);
	assert_int_equal(kdp_ev_addr_del(e, DV), 0);
	b = listener(ANY, 9002, 0);
	a = listener(DV, 9001, 0);
	c = conn(a, CLI[1], DV, 9001, &s, &cp);
	close(c);
	close(s);
	drain(e, &l);
	assert_int_equal(l.n, 8);
	assert_int_equal(kdp_ev_addr_set(e, DV, KDP_EV_WATCH_CONN), 0);
	w = listener(DV, 9005, 0);	/* watched for connections only */
	c = conn(a, CLI[1], DV, 9001, &s, &cp);
	drain(e, &l);
	assert_int_equal(l.n, 9);
	assert_int_equal(l.v[8].type, KDP_EV_ESTABLISHED);
	assert_int_equal(l.v[8].rport, cp);
	close(c);
	close(s);
	close(a);
	close(b);
	close(w);
	log_free(&l);
	kdp_ev_close(&e);
}

/* In a namespace of its own: connections and listeners on the same
 * addresses, seen by an event source there (the control). */
static int
other_namespace_child(void)
{
	struct kdp_ev *e;
	struct evlog l = {0};
	int lfd, i, c, s;
	uint16_t cp;

	if (unshare(CLONE_NEWNET) != 0 ||
	    !sh_ok("ip link set lo up && ip -6 addr add fd00:100::1/128 dev lo nodad && "
		   "ip -6 addr add fd00:1::101/128 dev lo nodad"))
		return 2;
	e = open_ev(0);
	lfd = listener(DV, PORT, 0);
	for (i = 0; i < 50; i++) {
		c = conn(lfd, CLI[0], DV, PORT, &s, &cp);
		close(c);
		close(s);
	}
	wait_count(e, &l, KDP_EV_ENDED, NULL, 0, 50);
	close(lfd);
	drain(e, &l);
	if (count(&l, KDP_EV_ESTABLISHED, NULL, 0) != 50 || count(&l, KDP_EV_LISTEN, NULL, 0) != 1 ||
	    count(&l, KDP_EV_UNLISTEN, NULL, 0) != 1)
		return 3;
	kdp_ev_close(&e);
	return 0;
}

static void
test_other_namespace(void **state)
{
	struct kdp_ev *e = open_ev(0);
	struct evlog l = {0};
	pid_t pid;
	int st;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(other_namespace_child());
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	/* The child saw its 50 connections end: our program ran for the same
	 * state changes (before theirs' returned), and reported nothing. */
	drain(e, &l);
	assert_int_equal(l.n, 0);
	assert_int_equal(l.lost_events, 0);
	kdp_ev_close(&e);
}

struct resync {
	uint16_t port[64];
	int n;
};

static int
resync_cb(const struct lib_sock *so, void *arg)
{
	struct resync *r = arg;

	if (memcmp(so->laddr, DV, 16) == 0 && so->lport == PORT && r->n < 64)
		r->port[r->n++] = so->rport;
	return 0;
}

static void
test_overflow(void **state)
{
	enum { HELD = 30, CHURN = 100 };
	struct kdp_ev *e = open_ev(4096);	/* 64 records */
	struct kdp_ev_stats st;
	struct evlog l = {0};
	struct resync r = {0};
	static int c[HELD], s[HELD];
	static uint16_t cp[HELD];
	int lfd = listener(DV, PORT, 0), i, cc, ss;
	uint16_t p;
	size_t expected, before;
	uint64_t end = now_ms() + DEADLINE_MS;

	(void)state;
	for (i = 0; i < HELD; i++)
		c[i] = conn(lfd, CLI[1], DV, PORT, &s[i], &cp[i]);
	wait_count(e, &l, KDP_EV_ESTABLISHED, NULL, 0, HELD);
	assert_int_equal(l.lost_events, 0);
	log_free(&l);

	/* Without consuming: 100 short connections and 10 of the held ones
	 * ended, 220 events for 64 places. */
	for (i = 0; i < CHURN; i++) {
		cc = conn(lfd, CLI[2], DV, PORT, &ss, &p);
		close(cc);
		close(ss);
	}
	for (i = 0; i < 10; i++) {
		close(c[i]);
		close(s[i]);
	}
	wait_live(HELD - 10);
	expected = 2 * CHURN + 10;
	while (l.n + l.lost < expected) {
		if (now_ms() > end)
			fail_msg("delivered %zu + lost %llu of %zu", l.n, (unsigned long long)l.lost,
				 expected);
		pump(e, &l, 100);
	}
	/* Dropped for a full ring: exactly what was not delivered (unless a
	 * nested state change was lost too, which the loss count includes). */
	assert_int_equal(kdp_ev_stats(e, &st), 0);
	assert_true(st.ring_full >= expected - 64);
	assert_true(l.n + st.ring_full <= expected);
	assert_true(l.n + l.lost >= expected);
	if (l.lost == st.ring_full)
		assert_int_equal(l.n + st.ring_full, expected);
	assert_true(l.lost_events >= 1);
	assert_int_equal(l.lost, kdp_ev_lost(e));

	/* Resynchronise: the dump has exactly the 20 still held. */
	assert_true(lib_diag_tcp6(LIVE_STATES, resync_cb, &r) >= 0);
	assert_int_equal(r.n, HELD - 10);
	for (i = 10; i < HELD; i++) {
		int k, found = 0;

		for (k = 0; k < r.n; k++)
			found |= r.port[k] == cp[i];
		assert_true(found);
	}
	/* After it, events are exact again and nothing more is lost. */
	log_free(&l);
	for (i = 10; i < 15; i++) {
		close(s[i]);
		close(c[i]);
	}
	for (i = 10; i < 15; i++)
		wait_count(e, &l, KDP_EV_ENDED, CLI[1], cp[i], 1);
	before = count(&l, KDP_EV_ENDED, NULL, 0);
	assert_int_equal(before, 5);
	assert_int_equal(l.n, before + count(&l, KDP_EV_LINGER, NULL, 0));
	assert_int_equal(l.lost_events, 0);
	for (i = 15; i < HELD; i++) {
		close(s[i]);
		close(c[i]);
	}
	wait_count(e, &l, KDP_EV_ENDED, NULL, 0, HELD - 10);
	assert_int_equal(l.lost_events, 0);
	close(lfd);
	log_free(&l);
	kdp_ev_close(&e);
}

static void
test_api(void **state)
{
	struct kdp_ev_opts o = { .ring_bytes = 5000 };
	struct kdp_ev_stats st;
	char err[KDP_ERR_LEN];
	struct kdp_ev *e;
	uint8_t a[16];
	int i;

	(void)state;
	assert_int_equal(kdp_ev_open(&e, &o, err, sizeof(err)), -EINVAL);
	assert_null(e);
	assert_non_null(strstr(err, "connection events unavailable: ring size 5000"));
	o.ring_bytes = 0;
	o.max_addrs = 2;
	assert_int_equal(kdp_ev_open(&e, &o, err, sizeof(err)), 0);
	assert_true(kdp_ev_fd(e) >= 0);
	assert_int_equal(kdp_ev_addr_set(e, DV, 0), -EINVAL);
	assert_int_equal(kdp_ev_addr_set(e, DV, 4), -EINVAL);
	memcpy(a, DV, 16);
	for (i = 0; i < 2; i++) {
		a[15] = (uint8_t)(0x10 + i);
		assert_int_equal(kdp_ev_addr_set(e, a, KDP_EV_WATCH_CONN), 0);
	}
	assert_int_equal(kdp_ev_addr_set(e, a, KDP_EV_WATCH_LISTEN), 0);	/* change */
	a[15] = 0x20;
	assert_int_equal(kdp_ev_addr_set(e, a, KDP_EV_WATCH_CONN), -ENOSPC);
	assert_int_equal(kdp_ev_addr_del(e, a), -ENOENT);
	assert_int_equal(kdp_ev_consume(e, NULL, NULL), 0);
	assert_int_equal(kdp_ev_lost(e), 0);
	assert_int_equal(kdp_ev_timeout_ms(e), -1);
	assert_int_equal(kdp_ev_lingering(e), 0);
	assert_int_equal(kdp_ev_stats(e, &st), 0);
	assert_true(st.ring_full == 0 && st.lookups == 0 && st.nested_taken <= st.nested);
	kdp_ev_close(&e);
	assert_null(e);
	kdp_ev_close(&e);
	kdp_ev_close(NULL);
	assert_string_equal(kdp_ev_type_name(KDP_EV_ESTABLISHED), "ESTABLISHED");
	assert_string_equal(kdp_ev_type_name(KDP_EV_LOST), "LOST");
	assert_string_equal(kdp_ev_type_name(KDP_EV_LINGER), "LINGER");
	assert_null(kdp_ev_type_name(0));
	assert_null(kdp_ev_type_name(7));
}

static void
test_unprivileged(void **state)
{
	int fds[2], st;
	pid_t pid;
	char err[KDP_ERR_LEN] = "";
	ssize_t n;

	(void)state;
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct kdp_ev *e;
		int r;

		close(fds[0]);
		if (setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0)
			_exit(2);
		r = kdp_ev_open(&e, NULL, err, sizeof(err));
		if (write(fds[1], err, strlen(err)) < 0)
			_exit(3);
		_exit(r == -EPERM ? 0 : 1);
	}
	close(fds[1]);
	n = read(fds[0], err, sizeof(err) - 1);
	close(fds[0]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(n > 0);
	err[n] = '\0';
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("unprivileged kdp_ev_open: exit %d, \"%s\"", WEXITSTATUS(st), err);
	assert_non_null(strstr(err, "connection events unavailable: "));
	assert_null(strchr(err, '\n'));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_short_connections),
		cmocka_unit_test(test_long_connections),
		cmocka_unit_test(test_resets_and_timeouts),
		cmocka_unit_test(test_listeners),
		cmocka_unit_test(test_other_namespace),
		cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_api),
		cmocka_unit_test(test_unprivileged),
	};
	int i;

	if (geteuid() != 0) {
		fprintf(stderr, "test_kdp_events: needs root (BPF, a network namespace); skipped\n");
		return 0;
	}
	if (unshare(CLONE_NEWNET) != 0) {
		perror("test_kdp_events: unshare(CLONE_NEWNET)");
		return 1;
	}
	inet_pton(AF_INET6, "fd00:100::1", DV);
	inet_pton(AF_INET6, "fd00:100::2", DV2);
	inet_pton(AF_INET6, "fd00:200::9", OTHER);
	inet_pton(AF_INET6, "fd00:1::199", CLI_GONE);
	for (i = 0; i < NCLI; i++) {
		char a[64];

		snprintf(a, sizeof(a), "fd00:1::%x", 0x101 + i);
		inet_pton(AF_INET6, a, CLI[i]);
	}
	if (!sh_ok("ip link set lo up && "
		   "for a in fd00:100::1 fd00:100::2 fd00:200::9 fd00:1::101 fd00:1::102 "
		   "fd00:1::103 fd00:1::104 fd00:1::199; do "
		   "ip -6 addr add $a/128 dev lo nodad || exit 1; done")) {
		fprintf(stderr, "test_kdp_events: cannot build the test namespace\n");
		return 1;
	}
	/* TEST=name runs one test (as the netns tests' single runs). */
	if (getenv("TEST"))
		cmocka_set_test_filter(getenv("TEST"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
