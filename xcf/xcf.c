/*
 * xcf.c - the coupling bus: membership, heartbeats, failure detection and
 * directed / group messages over ZeroMQ, driven by a libuv loop.
 *
 * Sockets of a joined member (all in one ZeroMQ context created by
 * xcf_join and terminated by xcf_leave, so that a rejoin starts clean):
 *   ROUTER  bound at BASE.rtr / tcp P; ROUTER_MANDATORY and ROUTER_HANDOVER.
 *           Directed messages are sent here, addressed by member name, to the
 *           peer's DEALER; an absent peer is EHOSTUNREACH.  Frames received
 *           here (from any DEALER) must name the routing id as their sender.
 *   DEALER  routing id = our member name, IMMEDIATE; connected to every
 *           peer's ROUTER; receives the directed messages sent to us.
 *   PUB     bound at BASE.pub / tcp P+1: heartbeats, LEAVE, group messages.
 *   SUB     connected to every peer's PUB, subscribed to everything, with a
 *           small receive high-water mark so stale heartbeats are dropped.
 *
 * libuv integration (libzmq's documentation of ZMQ_FD and ZMQ_EVENTS): ZMQ_FD
 * is edge-triggered and any ZeroMQ call may consume its wake-up.  Every socket's ZMQ_FD (the PUB's too,
 * so that new subscribers are attached promptly) is watched for UV_READABLE
 * only; on every poll callback and in a uv_prepare
 * run before every loop iteration, pump() loops on ZMQ_EVENTS until no
 * socket reports POLLIN.  A pass handles at most XCF_PASS_BUDGET messages;
 * when it stops early a uv_idle brings us back without blocking.  Sends never
 * wait (ZMQ_DONTWAIT) and are not queued here, so POLLOUT is never needed.
 * Every uv_poll is stopped and closed before its socket is zmq_close()d.
 *
 * Memory: frames are built and received in buffers inside struct xcf; no
 * allocation happens per message.  The uv_poll handles are allocated per
 * join, because a closing handle may still be in use when the next join
 * starts; struct xcf itself is freed by the last handle close callback.
 *
 * Membership: a peer becomes ACTIVE on its first valid heartbeat (join_cb),
 * FAILED when no heartbeat arrived for fail_ms (leave_cb), LEFT on LEAVE
 * (leave_cb).  A heartbeat with a new incarnation from an ACTIVE peer is a
 * restart: leave_cb(FAILED) then join_cb (an older one is stale and
 * dropped); a FAILED peer whose heartbeats
 * resume (same or new incarnation) joins again.  On a peer's join we publish
 * a heartbeat at once, so it learns of us before anything our application
 * sends it from join_cb.  Application messages are only delivered from
 * ACTIVE peers with the incarnation we know.  Our own xcf_leave() reports
 * every active peer, then ourselves, as XCF_LEFT: we no longer take part.
 *
 * Bus and membership are separate: the sockets stay open from the first
 * xcf_join to xcf_destroy (x->bus), and peers are tracked from their
 * heartbeats all that time, but only a member (x->joined) heartbeats, sends,
 * receives application messages and gets callbacks.  With a couple data set
 * we become a member when sfm.c has registered our incarnation in it, and
 * stop being one when SFM removed us or we lost the CDS (xcf_stop_member);
 * after xcf_leave we keep hearing the others, so displays stay true.  On
 * becoming a member, join_cb reports ourselves, then every peer we hear.
 */
#include "xcf/xcf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <zmq.h>

#include "xcf/internal.h"

#define XCF_PASS_BUDGET 128	/* messages handled per pump pass */
#define XCF_SUB_RCVHWM 100	/* per publisher: stale beats beyond this are dropped */
#define XCF_LEAVE_LINGER_MS 100	/* time given to LEAVE (and last sends) to flush */


/* ---- lookups ------------------------------------------------------------- */

static struct xcf_peer *
peer_by_name(struct xcf *x, const char *name)
{
	int i;

	for (i = 0; i < x->couple.n; i++)
		if (strcmp(x->m[i].info.member, name) == 0)
			return &x->m[i];
	return NULL;
}

const char *
xcf_self(const struct xcf *x)
{
	return x->m[x->self].info.member;
}

int
xcf_joined(const struct xcf *x)
{
	return x && x->joined;
}

enum xcf_member_state
xcf_self_state(const struct xcf *x)
{
	return x ? x->self_state : XCF_NOTJOINED;
}

int
xcf_members(const struct xcf *x, struct xcf_member_info *out, int max)
{
	uint64_t now = lib_now_ms();
	int i;

	for (i = 0; i < x->couple.n && i < max; i++) {
		out[i] = x->m[i].info;
		if (i == x->self)
			out[i].state = x->self_state;
		else
			out[i].in_doubt = xcf_sfm_in_doubt(x, i, now);
	}
	return i;
}

const struct xcf_member_info *
xcf_member_by_addr(const struct xcf *x, const uint8_t addr[16])
{
	int i;

	for (i = 0; i < x->couple.n; i++)
		if (x->m[i].info.state == XCF_ACTIVE &&
		    (memcmp(x->m[i].info.xcfaddr, addr, 16) == 0 ||
		     (x->m[i].info.xcfaddr4[11] == 0xff &&
		      memcmp(x->m[i].info.xcfaddr4, addr, 16) == 0)))
			return &x->m[i].info;
	return NULL;
}

const struct xcf_member_info *
xcf_member(const struct xcf *x, const char *member)
{
	int i;

	for (i = 0; i < x->couple.n; i++)
		if (strcmp(x->m[i].info.member, member) == 0)
			return &x->m[i].info;
	return NULL;
}

const struct lib_verdicts *
xcf_verdicts(const struct xcf *x)
{
	return &x->verdicts;
}

/* ---- sending ------------------------------------------------------------- */

/* Builds envelope + body in x->txbuf; returns the frame length or -errno. */
static ssize_t
build_frame(struct xcf *x, uint8_t type, const void *body, size_t len)
{
	struct wire_xcf_hdr h;
	ssize_t n;

	if (len > WIRE_XCF_MAX_BODY)
		return -EMSGSIZE;
	memset(&h, 0, sizeof(h));
	h.version = WIRE_XCF_VERSION;
	h.type = type;
	h.body_len = (uint16_t)len;
	lib_strlcpy(h.sender, xcf_self(x), sizeof(h.sender));
	h.incarnation = x->incarnation;
	h.seq = ++x->seq;
	n = wire_xcf_hdr_encode(&h, x->txbuf, sizeof(x->txbuf));
	if (n < 0)
		return n;
	if (len)
		memcpy(x->txbuf + n, body, len);
	return n + (ssize_t)len;
}

static int
pub_frame(struct xcf *x, uint8_t type, const void *body, size_t len)
{
	ssize_t n = build_frame(x, type, body, len);

	if (n < 0)
		return (int)n;
	if (zmq_send(x->zs[ZS_PUB], x->txbuf, (size_t)n, ZMQ_DONTWAIT) < 0)
		return -errno;
	x->m[x->self].info.tx_msgs++;
	return 0;
}

static int
send_heartbeat(struct xcf *x)
{
	struct wire_xcf_heartbeat hb;
	const struct xcf_couple_member *cm = &x->couple.m[x->self];
	uint8_t body[64];
	ssize_t n;

	memset(&hb, 0, sizeof(hb));
	hb.hb_interval_ms = x->couple.hb_ms;
	hb.fail_ms = x->couple.fail_ms;
	hb.state = 1;
	lib_strlcpy(hb.sysname, cm->sysname, sizeof(hb.sysname));
	lib_strlcpy(hb.tcpname, cm->tcpname, sizeof(hb.tcpname));
	memcpy(hb.xcfaddr, x->m[x->self].info.xcfaddr, 16);
	memcpy(hb.xcfaddr4, x->m[x->self].info.xcfaddr4, 16);
	n = wire_xcf_heartbeat_encode(&hb, body, sizeof(body));
	if (n < 0)
		return (int)n;
	x->m[x->self].info.last_hb_ms = lib_now_ms();
	return pub_frame(x, WIRE_XCF_HEARTBEAT, body, (size_t)n);
}

int
xcf_publish(struct xcf *x, uint8_t type, const void *body, size_t len)
{
	if (!x->joined)
		return -ENOTCONN;
	if (type <= WIRE_XCF_LEAVE || type > WIRE_XCF_TYPE_MAX)
		return -EINVAL;
	return pub_frame(x, type, body, len);
}

int
xcf_send(struct xcf *x, const char *member, uint8_t type, const void *body, size_t len)
{
	struct xcf_peer *p;
	ssize_t n;

	if (!x->joined)
		return -ENOTCONN;
	if (type <= WIRE_XCF_LEAVE || type > WIRE_XCF_TYPE_MAX)
		return -EINVAL;
	if (len > WIRE_XCF_MAX_BODY)
		return -EMSGSIZE;
	p = peer_by_name(x, member);
	if (!p || p == &x->m[x->self] || p->info.state != XCF_ACTIVE)
		return -EHOSTUNREACH;
	n = build_frame(x, type, body, len);
	if (n < 0)
		return (int)n;
	/* ROUTER_MANDATORY: the routing id part fails when the peer's DEALER
	 * is not connected (EHOSTUNREACH) or its queue is full (EAGAIN). */
	if (zmq_send(x->zs[ZS_ROUTER], member, strlen(member), ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
		return -errno;
	if (zmq_send(x->zs[ZS_ROUTER], x->txbuf, (size_t)n, ZMQ_DONTWAIT) < 0)
		return -errno;
	p->info.tx_msgs++;
	x->m[x->self].info.tx_msgs++;
	return 0;
}

/* ---- membership changes ---------------------------------------------------- */

/* A peer stopped being active (failed, left, or removed by SFM).  The
 * application hears of it only while we are a member. */
void
xcf_peer_down(struct xcf *x, struct xcf_peer *p, enum xcf_member_state why)
{
	int was = p->info.state == XCF_ACTIVE;

	p->info.state = why;
	x->view_changed_ms = lib_now_ms();
	if (was && x->joined && x->cbs.leave_cb)
		x->cbs.leave_cb(x, &p->info, x->arg);
}

static void
peer_up(struct xcf *x, struct xcf_peer *p, const struct wire_xcf_hdr *h,
	const struct wire_xcf_heartbeat *hb, uint64_t now)
{
	unsigned gen = x->gen;

	p->info.incarnation = h->incarnation;
	memcpy(p->info.xcfaddr, hb->xcfaddr, 16);
	memcpy(p->info.xcfaddr4, hb->xcfaddr4, 16);
	p->info.state = XCF_ACTIVE;
	p->info.joined_ms = lib_wall_ms();
	p->info.last_hb_ms = now;
	x->view_changed_ms = now;
	if (!x->joined)
		return;
	/* Answer at once, so the newcomer knows us before it sees whatever our
	 * application sends it from join_cb (same PUB pipe, so in order). */
	send_heartbeat(x);
	if (x->gen == gen && x->cbs.join_cb)
		x->cbs.join_cb(x, &p->info, x->arg);
}

static void
on_heartbeat(struct xcf *x, struct xcf_peer *p, const struct wire_xcf_hdr *h,
	     const uint8_t *body)
{
	struct wire_xcf_heartbeat hb;
	const char *why = NULL;
	uint64_t now = lib_now_ms();
	unsigned gen = x->gen;

	if (wire_xcf_heartbeat_decode(&hb, body, h->body_len, &why) < 0) {
		lib_verdict(&x->verdicts, why ? why : "HEARTBEAT malformed");
		return;
	}
	if (strcmp(hb.sysname, p->cm->sysname) != 0 || strcmp(hb.tcpname, p->cm->tcpname) != 0) {
		lib_verdict(&x->verdicts, "HEARTBEAT names differ from the couple data set");
		return;
	}
	if (hb.state != 1)
		return;		/* a member on its way out: its LEAVE follows */
	if (p->sfm.dead_inc && h->incarnation <= p->sfm.dead_inc) {
		/* SFM removed that life: it will notice and rejoin anew. */
		lib_verdict(&x->verdicts, "HEARTBEAT from a member partitioned out");
		return;
	}
	if (p->info.state == XCF_ACTIVE) {
		if (p->info.incarnation == h->incarnation) {
			p->info.last_hb_ms = now;
			memcpy(p->info.xcfaddr, hb.xcfaddr, 16);
			memcpy(p->info.xcfaddr4, hb.xcfaddr4, 16);
			return;
		}
		/* Incarnations grow with time: beats of the old one still queued
		 * in another pipe must not undo a restart. */
		if (h->incarnation < p->info.incarnation) {
			lib_verdict(&x->verdicts, "HEARTBEAT from an older incarnation");
			return;
		}
		/* Restarted without us noticing: the old incarnation failed. */
		xcf_peer_down(x, p, XCF_FAILED);
		if (x->gen != gen)
			return;
		peer_up(x, p, h, &hb, now);
		return;
	}
	if (p->left_inc && p->left_inc == h->incarnation) {
		lib_verdict(&x->verdicts, "HEARTBEAT after LEAVE");
		return;
	}
	peer_up(x, p, h, &hb, now);
}

static void
on_leave(struct xcf *x, struct xcf_peer *p, const struct wire_xcf_hdr *h)
{
	if (h->body_len != 0) {
		lib_verdict(&x->verdicts, "trailing bytes");
		return;
	}
	if (p->info.state != XCF_ACTIVE || p->info.incarnation != h->incarnation) {
		lib_verdict(&x->verdicts, "LEAVE from an inactive member");
		return;
	}
	p->left_inc = h->incarnation;
	xcf_peer_down(x, p, XCF_LEFT);
}

/*
 * One received frame.  `id`/`idlen` is the ROUTER routing id (NULL on the
 * other sockets); `group` says it came from the SUB socket.
 */
static void
on_frame(struct xcf *x, const uint8_t *frame, size_t len, const char *id, size_t idlen,
	 int group)
{
	struct wire_xcf_hdr h;
	struct xcf_peer *p;
	const uint8_t *body;
	const char *why = NULL;

	if (len > XCF_FRAME_MAX) {
		lib_verdict(&x->verdicts, "XCF frame longer than the maximum");
		return;
	}
	if (wire_xcf_hdr_decode(&h, frame, len, &body, &why) < 0) {
		lib_verdict(&x->verdicts, why ? why : "XCF envelope malformed");
		return;
	}
	p = peer_by_name(x, h.sender);
	if (!p) {
		lib_verdict(&x->verdicts, "sender not in the couple data set");
		return;
	}
	if (p == &x->m[x->self]) {
		lib_verdict(&x->verdicts, "sender uses our own member name");
		return;
	}
	if (id && (idlen != strlen(h.sender) || memcmp(id, h.sender, idlen) != 0)) {
		lib_verdict(&x->verdicts, "sender does not match the routing id");
		return;
	}
	if (h.type == WIRE_XCF_HEARTBEAT || h.type == WIRE_XCF_LEAVE) {
		if (!group) {
			lib_verdict(&x->verdicts, "HEARTBEAT or LEAVE sent directed");
			return;
		}
		p->info.rx_msgs++;
		if (h.type == WIRE_XCF_HEARTBEAT)
			on_heartbeat(x, p, &h, body);
		else
			on_leave(x, p, &h);
		return;
	}
	if (!x->joined)
		return;		/* not a member: nothing for us */
	if (p->info.state != XCF_ACTIVE) {
		lib_verdict(&x->verdicts, "message from an inactive member");
		return;
	}
	if (p->info.incarnation != h.incarnation) {
		lib_verdict(&x->verdicts, "message from an unknown incarnation");
		return;
	}
	p->info.rx_msgs++;
	if (x->cbs.msg_cb)
		x->cbs.msg_cb(x, &p->info, h.type, body, h.body_len, group, x->arg);
}

/* ---- receiving: the ZMQ_FD / ZMQ_EVENTS pump --------------------------------- */

static int
has_input(void *s)
{
	int ev = 0;
	size_t sz = sizeof(ev);

	if (zmq_getsockopt(s, ZMQ_EVENTS, &ev, &sz) < 0)
		return 0;
	return (ev & ZMQ_POLLIN) != 0;
}

static int
more_parts(void *s)
{
	int more = 0;
	size_t sz = sizeof(more);

	if (zmq_getsockopt(s, ZMQ_RCVMORE, &more, &sz) < 0)
		return 0;
	return more;
}

/* Discards the rest of a multipart message; returns how many parts. */
static int
drop_parts(struct xcf *x, void *s)
{
	int n = 0;

	while (more_parts(s)) {
		if (zmq_recv(s, x->rxbuf, sizeof(x->rxbuf), ZMQ_DONTWAIT) < 0)
			break;
		n++;
	}
	return n;
}

/* Receives and handles one message of socket k; returns 0 when none was there. */
static int
recv_one(struct xcf *x, int k)
{
	void *s = x->zs[k];
	int n, idn = 0;

	if (k == ZS_ROUTER) {
		idn = zmq_recv(s, x->idbuf, sizeof(x->idbuf), ZMQ_DONTWAIT);
		if (idn < 0)
			return 0;
		if (!more_parts(s)) {
			lib_verdict(&x->verdicts, "ROUTER message without a frame");
			return 1;
		}
		if ((size_t)idn > sizeof(x->idbuf))
			idn = (int)sizeof(x->idbuf);	/* cannot match any member name */
	}
	n = zmq_recv(s, x->rxbuf, sizeof(x->rxbuf), ZMQ_DONTWAIT);
	if (n < 0)
		return k == ZS_ROUTER;
	if (drop_parts(x, s) > 0) {
		lib_verdict(&x->verdicts, "XCF message with extra parts");
		return 1;
	}
	if ((size_t)n > sizeof(x->rxbuf) - 1) {
		lib_verdict(&x->verdicts, "XCF frame longer than the maximum");
		return 1;
	}
	on_frame(x, x->rxbuf, (size_t)n, k == ZS_ROUTER ? x->idbuf : NULL, (size_t)idn,
		 k == ZS_SUB);
	return 1;
}

/*
 * Handles up to `budget` messages, round-robin over the sockets.  Returns 1
 * when it stopped with input possibly left, 0 when every socket is drained
 * (or the bus went away under a callback).
 */
static int
pump(struct xcf *x, int budget)
{
	unsigned gen = x->gen;
	int k, progress;

	has_input(x->zs[ZS_PUB]);	/* processes its commands; it never has input */
	do {
		progress = 0;
		for (k = 0; k < ZS_NRECV && budget > 0; k++) {
			if (!has_input(x->zs[k]))
				continue;
			if (recv_one(x, k)) {
				progress = 1;
				budget--;
			}
			if (x->gen != gen)
				return 0;
		}
	} while (progress && budget > 0);
	return budget == 0;
}

static void idle_cb(uv_idle_t *h);

/* Keeps the idle handle running while input may be left unread. */
static void
set_idle(struct xcf *x, int more)
{
	if (more && !x->idle_on) {
		uv_idle_start(&x->idle, idle_cb);
		x->idle_on = 1;
	} else if (!more && x->idle_on) {
		uv_idle_stop(&x->idle);
		x->idle_on = 0;
	}
}

/* One pass over the sockets, from every poll, prepare and idle callback. */
static void
run(struct xcf *x)
{
	int more;

	if (!x->bus)
		return;
	more = pump(x, XCF_PASS_BUDGET);
	if (x->bus)
		set_idle(x, more);
}

static void
idle_cb(uv_idle_t *h)
{
	run(h->data);
}

static void
prepare_cb(uv_prepare_t *h)
{
	run(h->data);
}

static void
poll_cb(uv_poll_t *h, int status, int events)
{
	struct xcf_poll *xp = h->data;

	LIB_UNUSED(status);
	LIB_UNUSED(events);
	run(xp->x);
}

/* ---- timers ------------------------------------------------------------------ */

static void
hb_timer_cb(uv_timer_t *t)
{
	struct xcf *x = t->data;

	if (x->joined)
		send_heartbeat(x);
}

static void
fail_timer_cb(uv_timer_t *t)
{
	struct xcf *x = t->data;
	unsigned gen = x->gen;
	uint64_t now;
	int i, more;

	if (!x->bus)
		return;
	/* Read what is queued first: heartbeats waiting unread because the loop
	 * was busy must not make their senders look failed. */
	more = pump(x, XCF_PASS_BUDGET);
	if (x->gen != gen)
		return;
	if (more) {
		set_idle(x, 1);
		return;
	}
	now = lib_now_ms();
	for (i = 0; i < x->couple.n; i++) {
		struct xcf_peer *p = &x->m[i];

		if (i == x->self || p->info.state != XCF_ACTIVE)
			continue;
		if (now - p->info.last_hb_ms <= x->couple.fail_ms)
			continue;
		xcf_peer_down(x, p, XCF_FAILED);
		if (x->gen != gen)
			return;
	}
}

/* ---- handles and teardown ------------------------------------------------------- */

static void
handle_gone(struct xcf *x)
{
	if (--x->handles == 0 && x->destroyed)
		free(x);
}

static void
handle_close_cb(uv_handle_t *h)
{
	handle_gone(h->data);
}

static void
poll_close_cb(uv_handle_t *h)
{
	struct xcf_poll *xp = h->data;
	struct xcf *x = xp->x;

	free(xp);
	handle_gone(x);
}

static void
zclose(void **s, int linger)
{
	if (!*s)
		return;
	zmq_setsockopt(*s, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_close(*s);
	*s = NULL;
}

/*
 * Stops everything of a join: watchers first (a uv_poll must be closed before
 * its socket), then the sockets, then the context, which waits for `linger`
 * ms at most for the last frames and for the bound endpoints to be released.
 */
static void
close_bus(struct xcf *x, int linger)
{
	int k;

	uv_timer_stop(&x->hb_timer);
	uv_timer_stop(&x->fail_timer);
	uv_prepare_stop(&x->prepare);
	uv_idle_stop(&x->idle);
	x->idle_on = 0;
	for (k = 0; k < ZS_NPOLL; k++) {
		if (!x->poll[k])
			continue;
		uv_poll_stop(&x->poll[k]->h);
		uv_close((uv_handle_t *)&x->poll[k]->h, poll_close_cb);
		x->poll[k] = NULL;
	}
	zclose(&x->zs[ZS_PUB], linger);
	zclose(&x->zs[ZS_ROUTER], linger);
	zclose(&x->zs[ZS_DEALER], 0);
	zclose(&x->zs[ZS_SUB], 0);
	if (x->ctx) {
		while (zmq_ctx_term(x->ctx) < 0 && errno == EINTR)
			;
		x->ctx = NULL;
	}
	x->bus = 0;
	x->joined = 0;
	x->gen++;
}

/* ---- joining ----------------------------------------------------------------- */

static int
mkdir_p(const char *dir)
{
	char tmp[XCF_EP_LEN + 8];
	size_t i, n = lib_strlcpy(tmp, dir, sizeof(tmp));

	if (n >= sizeof(tmp))
		return -ENAMETOOLONG;
	for (i = 1; i <= n; i++) {
		if (tmp[i] != '/' && tmp[i] != '\0')
			continue;
		tmp[i] = '\0';
		if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
			return -errno;
		if (i < n)
			tmp[i] = '/';
	}
	return 0;
}

/*
 * Before binding ipc://PATH: creates PATH's directory and removes a stale
 * socket file left by a member that died.  A socket somebody still accepts
 * on is EADDRINUSE (the same member running twice).
 */
static int
ipc_prepare(const char *ep)
{
	const char *path = ep + 6;
	char dir[XCF_EP_LEN + 8];
	struct sockaddr_un sun;
	struct stat st;
	char *slash;
	int fd, rc;

	if (strncmp(ep, "ipc://", 6) != 0 || path[0] == '@')
		return 0;
	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	lib_strlcpy(dir, path, sizeof(dir));
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		if ((rc = mkdir_p(dir)) < 0)
			return rc;
	}
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	close(fd);
	if (rc == 0)
		return -EADDRINUSE;
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

static int
zopt(void *s, int opt, int v)
{
	return zmq_setsockopt(s, opt, &v, sizeof(v)) < 0 ? -errno : 0;
}

/* Creates a socket with the options every bus socket shares. */
static int
zsocket(struct xcf *x, int type, void **out)
{
	int rc, ivl = (int)x->couple.hb_ms;

	if (ivl < 10)
		ivl = 10;
	if (ivl > 100)
		ivl = 100;
	*out = zmq_socket(x->ctx, type);
	if (!*out)
		return -errno;
	/* IPv6 tcp endpoints need ZMQ_IPV6 (IPv4 keeps working).  ZMTP
	 * heartbeats let a connection to a vanished host (tcp) be torn
	 * down and retried, so a restarted peer is reached again. */
	if ((rc = zopt(*out, ZMQ_LINGER, 0)) < 0 || (rc = zopt(*out, ZMQ_IPV6, 1)) < 0 ||
	    (rc = zopt(*out, ZMQ_RECONNECT_IVL, ivl)) < 0 ||
	    (rc = zopt(*out, ZMQ_HEARTBEAT_IVL, (int)x->couple.fail_ms)) < 0 ||
	    (rc = zopt(*out, ZMQ_HEARTBEAT_TIMEOUT, 2 * (int)x->couple.fail_ms)) < 0)
		return rc;
	return 0;
}

static int
watch(struct xcf *x, int k)
{
	struct xcf_poll *xp;
	uv_os_sock_t fd;
	size_t sz = sizeof(fd);
	int rc;

	if (zmq_getsockopt(x->zs[k], ZMQ_FD, &fd, &sz) < 0)
		return -errno;
	xp = calloc(1, sizeof(*xp));
	if (!xp)
		return -ENOMEM;
	xp->x = x;
	if ((rc = uv_poll_init_socket(x->loop, &xp->h, fd)) < 0) {
		free(xp);
		return rc;
	}
	xp->h.data = xp;
	x->handles++;
	x->poll[k] = xp;
	return uv_poll_start(&xp->h, UV_READABLE, poll_cb);
}

/*
 * A new incarnation: wall-clock ms in the high bits, so that a restart is
 * always newer, and 20 random bits (getrandom) below, so that two starts in
 * the same millisecond differ.
 */
uint64_t
xcf_new_incarnation(uint64_t old)
{
	uint64_t r = 0, inc;

	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
		r = lib_now_ns() ^ (uint64_t)getpid();
	inc = (lib_wall_ms() << 20) | (r & 0xfffff);
	if (inc <= old)
		inc = old + 1;
	return inc;
}

/* Binds, connects to every peer, starts watching: from now on we hear the
 * others' heartbeats (but are not a member yet). */
static int
open_bus(struct xcf *x)
{
	const struct xcf_couple_member *cm = &x->couple.m[x->self];
	char rtr[XCF_EP_LEN + 8], pub[XCF_EP_LEN + 8];
	char prtr[XCF_EP_LEN + 8], ppub[XCF_EP_LEN + 8];
	struct xcf_member_info *self = &x->m[x->self].info;
	unsigned check_ms;
	int i, rc;

	if ((rc = xcf_endpoints(cm->endpoint, rtr, sizeof(rtr), pub, sizeof(pub))) < 0)
		return rc;
	if ((rc = ipc_prepare(rtr)) < 0 || (rc = ipc_prepare(pub)) < 0)
		return rc;
	x->ctx = zmq_ctx_new();
	if (!x->ctx)
		return -errno;
	if ((rc = zsocket(x, ZMQ_ROUTER, &x->zs[ZS_ROUTER])) < 0 ||
	    (rc = zopt(x->zs[ZS_ROUTER], ZMQ_ROUTER_MANDATORY, 1)) < 0 ||
	    (rc = zopt(x->zs[ZS_ROUTER], ZMQ_ROUTER_HANDOVER, 1)) < 0)
		goto fail;
	if ((rc = zsocket(x, ZMQ_DEALER, &x->zs[ZS_DEALER])) < 0 ||
	    (rc = zopt(x->zs[ZS_DEALER], ZMQ_IMMEDIATE, 1)) < 0)
		goto fail;
	if (zmq_setsockopt(x->zs[ZS_DEALER], ZMQ_ROUTING_ID, self->member,
			   strlen(self->member)) < 0) {
		rc = -errno;
		goto fail;
	}
	if ((rc = zsocket(x, ZMQ_PUB, &x->zs[ZS_PUB])) < 0)
		goto fail;
	if ((rc = zsocket(x, ZMQ_SUB, &x->zs[ZS_SUB])) < 0 ||
	    (rc = zopt(x->zs[ZS_SUB], ZMQ_RCVHWM, XCF_SUB_RCVHWM)) < 0)
		goto fail;
	if (zmq_setsockopt(x->zs[ZS_SUB], ZMQ_SUBSCRIBE, "", 0) < 0 ||
	    zmq_bind(x->zs[ZS_ROUTER], rtr) < 0 || zmq_bind(x->zs[ZS_PUB], pub) < 0) {
		rc = -errno;
		goto fail;
	}
	for (i = 0; i < x->couple.n; i++) {
		if (i == x->self)
			continue;
		if ((rc = xcf_endpoints(x->couple.m[i].endpoint, prtr, sizeof(prtr), ppub,
					sizeof(ppub))) < 0)
			goto fail;
		if (zmq_connect(x->zs[ZS_DEALER], prtr) < 0 || zmq_connect(x->zs[ZS_SUB], ppub) < 0) {
			rc = -errno;
			goto fail;
		}
	}
	for (i = 0; i < ZS_NPOLL; i++)
		if ((rc = watch(x, i)) < 0)
			goto fail;
	x->bus = 1;
	x->gen++;
	check_ms = x->couple.fail_ms / 4;
	if (check_ms > x->couple.hb_ms)
		check_ms = x->couple.hb_ms;
	if (check_ms == 0)
		check_ms = 1;
	uv_timer_start(&x->hb_timer, hb_timer_cb, x->couple.hb_ms, x->couple.hb_ms);
	uv_timer_start(&x->fail_timer, fail_timer_cb, check_ms, check_ms);
	uv_prepare_start(&x->prepare, prepare_cb);
	return 0;
fail:
	close_bus(x, 0);
	return rc;
}

void
xcf_become_member(struct xcf *x)
{
	struct xcf_member_info *self = &x->m[x->self].info;
	unsigned gen;
	int i;

	x->seq = 0;
	self->incarnation = x->incarnation;
	self->state = XCF_ACTIVE;
	self->joined_ms = lib_wall_ms();
	self->last_hb_ms = lib_now_ms();
	x->joined = 1;
	x->self_state = XCF_ACTIVE;
	x->gen++;
	gen = x->gen;
	send_heartbeat(x);
	if (x->cbs.join_cb)
		x->cbs.join_cb(x, self, x->arg);
	/* Everybody we already hear joins our view now. */
	for (i = 0; i < x->couple.n && x->gen == gen; i++)
		if (i != x->self && x->m[i].info.state == XCF_ACTIVE && x->cbs.join_cb)
			x->cbs.join_cb(x, &x->m[i].info, x->arg);
}

/* Ends our membership: every active peer, then ourselves, leaves our view
 * (the callbacks get a copy with state `peer_why` / `self_why`); the peers
 * keep being tracked. */
static void
end_membership(struct xcf *x, enum xcf_member_state peer_why, enum xcf_member_state self_why)
{
	int active[XCF_MAX_MEMBERS];
	struct xcf_member_info copy;
	unsigned gen;
	int i;

	x->joined = 0;
	x->self_state = self_why;
	x->m[x->self].info.state = self_why;
	x->gen++;
	gen = x->gen;
	for (i = 0; i < x->couple.n; i++)
		active[i] = i != x->self && x->m[i].info.state == XCF_ACTIVE;
	for (i = 0; i < x->couple.n && x->gen == gen; i++) {
		if (!active[i] || !x->cbs.leave_cb)
			continue;
		copy = x->m[i].info;
		copy.state = peer_why;
		x->cbs.leave_cb(x, &copy, x->arg);
	}
	if (x->gen == gen && x->cbs.leave_cb)
		x->cbs.leave_cb(x, &x->m[x->self].info, x->arg);
}

void
xcf_stop_member(struct xcf *x, enum xcf_member_state why)
{
	if (!x->joined)
		return;
	end_membership(x, XCF_LEFT, why);
}

int
xcf_join(struct xcf *x)
{
	int rc;

	if (x->joined || x->self_state == XCF_JOINING)
		return -EALREADY;
	if (!x->bus && (rc = open_bus(x)) < 0)
		return rc;
	x->incarnation = xcf_new_incarnation(x->incarnation);
	x->m[x->self].info.incarnation = x->incarnation;
	if (!x->has_cds) {
		xcf_become_member(x);
		return 0;
	}
	x->self_state = XCF_JOINING;
	x->m[x->self].info.state = XCF_JOINING;
	xcf_sfm_start(x);
	return 0;
}

int
xcf_leave(struct xcf *x)
{
	if (!x->joined) {
		if (x->self_state == XCF_JOINING) {
			/* Joining, not a member yet: just stop trying. */
			x->self_state = XCF_LEFT;
			x->m[x->self].info.state = XCF_LEFT;
			x->join_inc = 0;
		}
		return 0;
	}
	if (x->has_cds)
		xcf_sfm_leave(x);
	pub_frame(x, WIRE_XCF_LEAVE, NULL, 0);
	/* We no longer take part: every active member leaves our view,
	 * ourselves last.  We keep hearing them (displays); a rejoin reports
	 * them again. */
	end_membership(x, XCF_LEFT, XCF_LEFT);
	return 0;
}

/* ---- life cycle ---------------------------------------------------------------- */

struct xcf *
xcf_new(uv_loop_t *loop, const struct xcf_config *cfg, const struct xcf_cbs *cbs, void *arg)
{
	const struct xcf_couple *c;
	struct xcf *x;
	int i, self = -1;

	if (!loop || !cfg || !cfg->couple || !cfg->sysname) {
		errno = EINVAL;
		return NULL;
	}
	c = cfg->couple;
	if (c->n <= 0 || c->n > XCF_MAX_MEMBERS ||
	    (c->hb_ms && c->fail_ms && c->fail_ms <= c->hb_ms)) {
		errno = EINVAL;
		return NULL;
	}
	for (i = 0; i < c->n; i++) {
		if (strcmp(c->m[i].sysname, cfg->sysname) != 0)
			continue;
		if (cfg->tcpname && cfg->tcpname[0] && strcmp(c->m[i].tcpname, cfg->tcpname) != 0)
			continue;
		self = i;
		break;
	}
	if (self < 0) {
		errno = ENOENT;
		return NULL;
	}
	x = calloc(1, sizeof(*x));
	if (!x)
		return NULL;
	x->loop = loop;
	x->couple = *c;
	if (x->couple.hb_ms == 0)
		x->couple.hb_ms = 50;
	if (x->couple.fail_ms == 0)
		x->couple.fail_ms = x->couple.hb_ms * 5;
	if (x->couple.group[0] == '\0')
		lib_strlcpy(x->couple.group, "EZBTCPCS", sizeof(x->couple.group));
	if (cbs)
		x->cbs = *cbs;
	x->arg = arg;
	x->self = self;
	x->verdicts.what = "xcf";
	for (i = 0; i < x->couple.n; i++) {
		struct xcf_couple_member *cm = &x->couple.m[i];
		struct xcf_member_info *mi = &x->m[i].info;

		x->m[i].cm = cm;
		if (cm->member[0] == '\0')
			snprintf(cm->member, sizeof(cm->member), "%.8s%.8s", cm->sysname,
				 cm->tcpname);
		lib_strlcpy(mi->member, cm->member, sizeof(mi->member));
		lib_strlcpy(mi->sysname, cm->sysname, sizeof(mi->sysname));
		lib_strlcpy(mi->tcpname, cm->tcpname, sizeof(mi->tcpname));
	}
	memcpy(x->m[self].info.xcfaddr, cfg->xcfaddr, 16);
	memcpy(x->m[self].info.xcfaddr4, cfg->xcfaddr4, 16);
	x->self_state = XCF_NOTJOINED;
	if (xcf_sfm_init(x, cfg) < 0) {
		free(x);
		errno = EINVAL;
		return NULL;
	}
	uv_timer_init(loop, &x->hb_timer);
	uv_timer_init(loop, &x->fail_timer);
	uv_prepare_init(loop, &x->prepare);
	uv_idle_init(loop, &x->idle);
	x->hb_timer.data = x->fail_timer.data = x;
	x->prepare.data = x->idle.data = x;
	x->handles = 4;
	uv_timer_init(loop, &x->cds_timer);
	x->cds_timer.data = x;
	x->handles++;
	return x;
}

void
xcf_destroy(struct xcf **xp)
{
	struct xcf *x;

	if (!xp || !(x = *xp))
		return;
	*xp = NULL;
	/* No LEAVE and no callbacks: to the others this looks like a failure
	 * (a LEAVE just published by xcf_leave is given time to go out). */
	xcf_sfm_destroy(x);
	if (x->bus)
		close_bus(x, XCF_LEAVE_LINGER_MS);
	x->destroyed = 1;
	x->gen++;
	uv_close((uv_handle_t *)&x->cds_timer, handle_close_cb);
	uv_close((uv_handle_t *)&x->hb_timer, handle_close_cb);
	uv_close((uv_handle_t *)&x->fail_timer, handle_close_cb);
	uv_close((uv_handle_t *)&x->prepare, handle_close_cb);
	uv_close((uv_handle_t *)&x->idle, handle_close_cb);
}
