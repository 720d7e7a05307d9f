/*
 * xcf.c - the coupling bus: membership, heartbeats, failure detection and
 * directed / group messages over ZeroMQ with CURVE, driven by a libuv loop.
 *
 * Sockets of a member (all in one ZeroMQ context, open from the first
 * xcf_join to xcf_destroy).  A member receives only on the sockets it binds
 * and sends only on the sockets it connects, so that every frame it receives
 * arrives over a connection whose client key the ZAP handler checked:
 *   ZAP     REP bound at inproc://zeromq.zap.01 (RFC 27) before anything
 *           else: ZeroMQ asks it about every CURVE client of this context.
 *           It admits the public key of every other member of the couple
 *           config (unless the couple data set lists another key for it)
 *           and names the connection after that member (User-Id); it
 *           refuses any other key, counted and logged.  Without a ZAP
 *           handler ZeroMQ would let in any client knowing our public key.
 *   ROUTER  bound at BASE.rtr / tcp P; CURVE server; HANDOVER off (the
 *           default, set explicitly).  Directed messages in, from the
 *           peers' DEALERs, which set no routing id: the ROUTER numbers its
 *           connections itself, so no client can claim a member's name as a
 *           routing id (nor take over another's: with handover off, libzmq
 *           4.3 would otherwise park a reconnecting member's new pipe and
 *           later read one of its data frames as its routing id).  The
 *           member a frame comes from is the User-Id ZAP gave its connection.
 *   SUB     bound at BASE.pub / tcp P+1; CURVE server; subscribed to
 *           everything, a small receive high-water mark per publisher so
 *           stale heartbeats are dropped.  Heartbeats, LEAVE, group messages in.
 *   DEALER  one per peer, connected to that peer's ROUTER as a CURVE client
 *           that must find the peer's public key there; IMMEDIATE, so a
 *           message is only queued on a completed connection.  Directed out.
 *   PUB     connected to every peer's SUB, each with that peer's public key;
 *           IMMEDIATE.  Heartbeats, LEAVE, group messages out.
 * Every socket caps a message at the largest valid frame (ZMQ_MAXMSGSIZE),
 * so an oversized frame is refused by ZeroMQ before it is buffered whole.
 *
 * Every frame received must name as its sender the member of its connection's
 * key, and carry a sequence number above the last one accepted from that
 * member's incarnation on that channel (directed or group: each is one
 * ordered pipe), so a frame cannot be replayed, even by a member.  Each
 * member's frames are also held to a rate (xcf_config.peer_rate, by default
 * XCF_PEER_RATE per second; a token bucket): beyond it they are dropped
 * undecoded, so no member can keep the loop busy with them.  Queues are bounded by ZeroMQ's high-water marks
 * (per connection) and each pass reads at most XCF_PASS_BUDGET messages.
 *
 * libuv integration (libzmq's documentation of ZMQ_FD and ZMQ_EVENTS): ZMQ_FD
 * is edge-triggered and any ZeroMQ call may consume its wake-up.  The ZMQ_FD
 * of every socket we receive on, and the PUB's (so that new subscribers are
 * attached promptly), is watched for UV_READABLE only; on every poll callback
 * pump() loops on ZMQ_EVENTS until no socket reports POLLIN, and so does a
 * uv_prepare run before a loop iteration when a ZeroMQ call on a watched
 * socket was made outside pump() since (pump_owed: a send on the PUB, the
 * sockets' set-up; the ROUTER, SUB and ZAP are only used inside pump(), the
 * DEALERs are not watched).  A ZMQ_EVENTS check is two system calls
 * (getpid, poll) per socket, and the prepare runs on every iteration,
 * whatever woke the loop: a routing stack's TUN packets, a target's
 * connection events.  A pass handles at most
 * XCF_PASS_BUDGET messages; when it stops early a uv_idle brings us back
 * without blocking.  Sends never wait (ZMQ_DONTWAIT) and are not queued here,
 * so POLLOUT is never needed.  The DEALERs are not watched (nothing is sent to
 * them): the failure timer processes their pending commands.  Every uv_poll
 * is stopped and closed before its socket is zmq_close()d.
 *
 * Memory: frames are built in a buffer inside struct xcf and received into
 * ZeroMQ's own messages, read in place; nothing is allocated here per
 * message.  The uv_poll handles are allocated when the bus opens, because a
 * closing handle may still be in use; struct xcf itself is freed by the last
 * handle close callback.
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
#define XCF_RTR_RCVHWM 1000	/* per member: directed messages queued unread */
#define XCF_LEAVE_LINGER_MS 100	/* time given to LEAVE (and last sends) to flush */
#define XCF_HANDSHAKE_MS 5000	/* a connection must complete its handshake by then */
/* Each member's frames, by default: at most this many per second on average,
 * bursts of twice that.  Far above what a stack sends (its reports are
 * batched), low enough that a member gone wrong cannot occupy the loop. */
#define XCF_PEER_RATE 50000
#define XCF_ZAP_ENDPOINT "inproc://zeromq.zap.01"


static int has_input(void *s);
static int more_parts(void *s);

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
	x->pump_owed = 1;	/* may have taken the PUB's wake-up */
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
	if (!p || p == &x->m[x->self] || p->info.state != XCF_ACTIVE || !p->dealer)
		return -EHOSTUNREACH;
	n = build_frame(x, type, body, len);
	if (n < 0)
		return (int)n;
	/* IMMEDIATE: EAGAIN while the connection to the peer's ROUTER is not
	 * up (yet), or when its queue is full. */
	if (zmq_send(p->dealer, x->txbuf, (size_t)n, ZMQ_DONTWAIT) < 0)
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

	log_debug("XCF %s: %s is down (%d)", xcf_self(x), p->info.member, (int)why);
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

	log_debug("XCF %s: %s is up (incarnation %llu, sequence %llu)", xcf_self(x),
		  p->info.member, (unsigned long long)h->incarnation, (unsigned long long)h->seq);
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

/* One more frame from p within its rate?  A token bucket. */
static int
within_rate(const struct xcf *x, struct xcf_peer *p, uint64_t now)
{
	if (now > p->tokens_ms) {
		uint64_t add = (now - p->tokens_ms) * x->peer_rate / 1000, burst = 2 * x->peer_rate;

		p->tokens = p->tokens + add > burst ? burst : p->tokens + add;
		p->tokens_ms = now;
	}
	if (p->tokens == 0)
		return 0;
	p->tokens--;
	return 1;
}

/*
 * One received frame.  `user` is the ZAP User-Id of the connection it came
 * over (the member whose key that connection presented); `ch` is the channel
 * (XCF_CH_DIRECTED: the ROUTER, XCF_CH_GROUP: the SUB).
 */
static void
on_frame(struct xcf *x, const uint8_t *frame, size_t len, const char *user, int ch)
{
	struct wire_xcf_hdr h;
	struct xcf_peer *p;
	const uint8_t *body;
	const char *why = NULL;
	int group = ch == XCF_CH_GROUP;

	p = user ? peer_by_name(x, user) : NULL;
	if (!p || p == &x->m[x->self]) {
		/* ZAP admits only other members' keys: cannot happen. */
		lib_verdict(&x->verdicts, "XCF frame without an authenticated member");
		return;
	}
	if (!within_rate(x, p, lib_now_ms())) {
		lib_verdict(&x->verdicts, "member over its message rate");
		return;
	}
	if (len > XCF_FRAME_MAX) {
		lib_verdict(&x->verdicts, "XCF frame longer than the maximum");
		return;
	}
	if (wire_xcf_hdr_decode(&h, frame, len, &body, &why) < 0) {
		lib_verdict(&x->verdicts, why ? why : "XCF envelope malformed");
		return;
	}
	if (strcmp(h.sender, p->info.member) != 0) {
		lib_verdict(&x->verdicts, "sender is not the member of the key it connected with");
		return;
	}
	if (p->key_mismatch) {
		lib_verdict(&x->verdicts, "sender's key differs in the couple data set");
		return;
	}
	/* Within an incarnation the numbers grow with every frame the member
	 * sends, and each channel is one ordered pipe: a number that does not
	 * grow is a frame seen before, and so is a frame of an older
	 * incarnation than one already seen on the channel (incarnations only
	 * grow; without this, such a frame would pass again and again while
	 * the member's view still holds the older incarnation). */
	if (h.incarnation < p->rx[ch].inc) {
		lib_verdict(&x->verdicts, "XCF frame of an incarnation older than the last one "
					  "(replay)");
		return;
	}
	if (h.incarnation == p->rx[ch].inc && h.seq <= p->rx[ch].seq) {
		lib_verdict(&x->verdicts, "XCF sequence number not above the last one (replay)");
		return;
	}
	p->rx[ch].inc = h.incarnation;
	p->rx[ch].seq = h.seq;
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

/* ---- the ZAP handler (RFC 27) --------------------------------------------------- */

/* Logs a refused key the first time (of the first few keys). */
static void
log_refused(struct xcf *x, const uint8_t key[32], const char *addr, const char *why)
{
	char z85[XCF_KEY_LEN + 1];
	int i;

	for (i = 0; i < x->nrefused; i++)
		if (memcmp(x->refused[i], key, 32) == 0)
			return;
	if (x->nrefused == (int)(sizeof(x->refused) / sizeof(x->refused[0])))
		return;
	memcpy(x->refused[x->nrefused++], key, 32);
	if (!zmq_z85_encode(z85, key, 32))
		lib_strlcpy(z85, "?", sizeof(z85));
	log_warnx("XCF CONNECTION FROM %s REFUSED: KEY %s %s", addr, z85, why);
}

/*
 * Answers one ZAP request: version "1.0", request id, domain, address,
 * identity, mechanism, credentials (CURVE: the client's 32-byte public key).
 * 200 with User-Id = the member whose key it is, or 400.
 */
static void
handle_zap(struct xcf *x)
{
	void *s = x->zs[ZS_ZAP];
	char part[7][64];
	size_t plen[7];
	uint8_t key[32];
	const char *user = "", *status = "400", *text = "key not in the couple data set";
	int n = 0, more = 1, i;

	while (more) {
		int r = zmq_recv(s, n < 7 ? part[n] : part[6], sizeof(part[0]) - 1, ZMQ_DONTWAIT);

		if (r < 0)
			return;		/* REP: a request comes whole or not at all */
		if (n < 7) {
			plen[n] = (size_t)r < sizeof(part[0]) - 1 ? (size_t)r : sizeof(part[0]) - 1;
			part[n][plen[n]] = '\0';
		}
		n++;
		more = more_parts(s);
	}
	if (n == 7 && strcmp(part[0], "1.0") == 0 && strcmp(part[5], "CURVE") == 0 &&
	    plen[6] == 32) {
		memcpy(key, part[6], 32);
		for (i = 0; i < x->couple.n; i++) {
			struct xcf_peer *p = &x->m[i];

			if (memcmp(p->key, key, 32) != 0)
				continue;
			if (i == x->self) {
				text = "is our own key";
			} else if (p->key_mismatch) {
				text = "differs from the couple data set's";
			} else {
				user = p->info.member;
				status = "200";
				text = "OK";
			}
			break;
		}
		if (strcmp(status, "200") != 0) {
			lib_verdict(&x->verdicts, "XCF connection refused: key not a member's");
			log_refused(x, key, part[3], i < x->couple.n ? text :
				    "IS NOT IN THE COUPLE DATA SET");
		}
	} else {
		lib_verdict(&x->verdicts, "XCF connection refused: not CURVE");
	}
	/* The reply: version, request id, status code and text, user id,
	 * metadata (none). */
	zmq_send(s, "1.0", 3, ZMQ_SNDMORE | ZMQ_DONTWAIT);
	zmq_send(s, n > 1 ? part[1] : "", n > 1 ? plen[1] : 0, ZMQ_SNDMORE | ZMQ_DONTWAIT);
	zmq_send(s, status, 3, ZMQ_SNDMORE | ZMQ_DONTWAIT);
	zmq_send(s, text, strlen(text), ZMQ_SNDMORE | ZMQ_DONTWAIT);
	zmq_send(s, user, strlen(user), ZMQ_SNDMORE | ZMQ_DONTWAIT);
	zmq_send(s, "", 0, ZMQ_DONTWAIT);
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
drop_parts(void *s)
{
	int n = 0;

	while (more_parts(s)) {
		zmq_msg_t m;

		zmq_msg_init(&m);
		if (zmq_msg_recv(&m, s, ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(&m);
			break;
		}
		zmq_msg_close(&m);
		n++;
	}
	return n;
}

/* Receives and handles one message of socket k; returns 0 when none was there. */
static int
recv_one(struct xcf *x, int k)
{
	void *s = x->zs[k];
	zmq_msg_t m;
	int n;

	if (k == ZS_ZAP) {
		if (!has_input(s))
			return 0;
		handle_zap(x);
		return 1;
	}
	if (k == ZS_ROUTER) {
		/* The routing id: a number the ROUTER gave the connection; the
		 * member it belongs to is the frame's User-Id. */
		zmq_msg_init(&m);
		n = zmq_msg_recv(&m, s, ZMQ_DONTWAIT);
		zmq_msg_close(&m);
		if (n < 0)
			return 0;
		if (!more_parts(s)) {
			lib_verdict(&x->verdicts, "ROUTER message without a frame");
			return 1;
		}
	}
	zmq_msg_init(&m);
	n = zmq_msg_recv(&m, s, ZMQ_DONTWAIT);
	if (n < 0) {
		zmq_msg_close(&m);
		return k == ZS_ROUTER;
	}
	if (drop_parts(s) > 0) {
		lib_verdict(&x->verdicts, "XCF message with extra parts");
	} else {
		on_frame(x, zmq_msg_data(&m), zmq_msg_size(&m), zmq_msg_gets(&m, "User-Id"),
			 k == ZS_ROUTER ? XCF_CH_DIRECTED : XCF_CH_GROUP);
	}
	zmq_msg_close(&m);
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

	x->pump_owed = 0;	/* a send from a callback below sets it again */
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
	struct xcf *x = h->data;

	if (x->pump_owed)
		run(x);
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

/* The DEALERs are not watched: this processes their pending commands
 * (connections made and lost).  Nothing is ever sent to them (a peer's ROUTER
 * only receives); whatever comes anyway is read, counted and dropped. */
static void
touch_dealers(struct xcf *x)
{
	int i, n;

	for (i = 0; i < x->couple.n; i++) {
		void *d = x->m[i].dealer;

		for (n = 0; d && n < XCF_PASS_BUDGET && has_input(d); n++) {
			zmq_msg_t m;

			zmq_msg_init(&m);
			if (zmq_msg_recv(&m, d, ZMQ_DONTWAIT) >= 0)
				lib_verdict(&x->verdicts, "XCF message on a sending channel");
			zmq_msg_close(&m);
		}
	}
}

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
	touch_dealers(x);
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
		/* A member whose key the couple data set does not confirm is
		 * heard no more: it is down at once. */
		if (now - p->info.last_hb_ms <= x->couple.fail_ms && !p->key_mismatch)
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
	if (--x->handles == 0 && x->destroyed) {
		explicit_bzero(x->sec_z85, sizeof(x->sec_z85));
		free(x);
	}
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
	for (k = 0; k < x->couple.n; k++)
		zclose(&x->m[k].dealer, linger);
	zclose(&x->zs[ZS_ROUTER], 0);
	zclose(&x->zs[ZS_SUB], 0);
	zclose(&x->zs[ZS_ZAP], 0);
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
	int64_t maxmsg = XCF_FRAME_MAX;

	if (ivl < 10)
		ivl = 10;
	if (ivl > 100)
		ivl = 100;
	*out = zmq_socket(x->ctx, type);
	if (!*out)
		return -errno;
	/* IPv6 tcp endpoints need ZMQ_IPV6 (IPv4 keeps working).  ZMTP
	 * heartbeats let a connection to a vanished host (tcp) be torn
	 * down and retried, so a restarted peer is reached again.  No frame
	 * larger than a valid one is ever read in. */
	if ((rc = zopt(*out, ZMQ_LINGER, 0)) < 0 || (rc = zopt(*out, ZMQ_IPV6, 1)) < 0 ||
	    (rc = zopt(*out, ZMQ_RECONNECT_IVL, ivl)) < 0 ||
	    (rc = zopt(*out, ZMQ_HEARTBEAT_IVL, (int)x->couple.fail_ms)) < 0 ||
	    (rc = zopt(*out, ZMQ_HEARTBEAT_TIMEOUT, 2 * (int)x->couple.fail_ms)) < 0 ||
	    (rc = zopt(*out, ZMQ_HANDSHAKE_IVL, XCF_HANDSHAKE_MS)) < 0)
		return rc;
	if (zmq_setsockopt(*out, ZMQ_MAXMSGSIZE, &maxmsg, sizeof(maxmsg)) < 0)
		return -errno;
	return 0;
}

static int
zstr(void *s, int opt, const char *v)
{
	return zmq_setsockopt(s, opt, v, strlen(v) + 1) < 0 ? -errno : 0;
}

/* A bound socket: CURVE server with our key pair, clients checked by ZAP. */
static int
curve_server(struct xcf *x, void *s)
{
	int rc;

	if ((rc = zopt(s, ZMQ_CURVE_SERVER, 1)) < 0 ||
	    (rc = zstr(s, ZMQ_CURVE_PUBLICKEY, x->pub_z85)) < 0 ||
	    (rc = zstr(s, ZMQ_CURVE_SECRETKEY, x->sec_z85)) < 0)
		return rc;
	/* A domain makes ZAP required for this socket's connections. */
	if (zmq_setsockopt(s, ZMQ_ZAP_DOMAIN, x->couple.sysplex, strlen(x->couple.sysplex)) < 0)
		return -errno;
	return 0;
}

/* A connecting socket: CURVE client with our key pair; the server key is set
 * before each connect (ZeroMQ takes the options at connect time). */
static int
curve_client(struct xcf *x, void *s)
{
	int rc;

	if ((rc = zstr(s, ZMQ_CURVE_PUBLICKEY, x->pub_z85)) < 0 ||
	    (rc = zstr(s, ZMQ_CURVE_SECRETKEY, x->sec_z85)) < 0)
		return rc;
	return 0;
}

/* Connects s to endpoint ep of peer i, which must prove it holds i's key. */
static int
connect_peer(struct xcf *x, void *s, int i, const char *ep)
{
	int rc;

	if ((rc = zstr(s, ZMQ_CURVE_SERVERKEY, x->couple.m[i].key)) < 0)
		return rc;
	return zmq_connect(s, ep) < 0 ? -errno : 0;
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
	unsigned check_ms;
	int i, rc;

	if ((rc = xcf_endpoints(cm->endpoint, rtr, sizeof(rtr), pub, sizeof(pub))) < 0)
		return rc;
	if ((rc = ipc_prepare(rtr)) < 0 || (rc = ipc_prepare(pub)) < 0)
		return rc;
	x->ctx = zmq_ctx_new();
	if (!x->ctx)
		return -errno;
	/* The ZAP handler first: a CURVE server of this context that finds
	 * none lets every client in. */
	x->zs[ZS_ZAP] = zmq_socket(x->ctx, ZMQ_REP);
	if (!x->zs[ZS_ZAP] || (rc = zopt(x->zs[ZS_ZAP], ZMQ_LINGER, 0)) < 0 ||
	    zmq_bind(x->zs[ZS_ZAP], XCF_ZAP_ENDPOINT) < 0) {
		rc = -errno;
		goto fail;
	}
	if ((rc = zsocket(x, ZMQ_ROUTER, &x->zs[ZS_ROUTER])) < 0 ||
	    (rc = zopt(x->zs[ZS_ROUTER], ZMQ_ROUTER_HANDOVER, 0)) < 0 ||
	    (rc = zopt(x->zs[ZS_ROUTER], ZMQ_RCVHWM, XCF_RTR_RCVHWM)) < 0 ||
	    (rc = curve_server(x, x->zs[ZS_ROUTER])) < 0)
		goto fail;
	if ((rc = zsocket(x, ZMQ_SUB, &x->zs[ZS_SUB])) < 0 ||
	    (rc = zopt(x->zs[ZS_SUB], ZMQ_RCVHWM, XCF_SUB_RCVHWM)) < 0 ||
	    (rc = curve_server(x, x->zs[ZS_SUB])) < 0)
		goto fail;
	if (zmq_setsockopt(x->zs[ZS_SUB], ZMQ_SUBSCRIBE, "", 0) < 0 ||
	    zmq_bind(x->zs[ZS_ROUTER], rtr) < 0 || zmq_bind(x->zs[ZS_SUB], pub) < 0) {
		rc = -errno;
		goto fail;
	}
	if ((rc = zsocket(x, ZMQ_PUB, &x->zs[ZS_PUB])) < 0 ||
	    (rc = zopt(x->zs[ZS_PUB], ZMQ_IMMEDIATE, 1)) < 0 ||
	    (rc = curve_client(x, x->zs[ZS_PUB])) < 0)
		goto fail;
	for (i = 0; i < x->couple.n; i++) {
		struct xcf_peer *p = &x->m[i];

		if (i == x->self)
			continue;
		if ((rc = xcf_endpoints(x->couple.m[i].endpoint, prtr, sizeof(prtr), ppub,
					sizeof(ppub))) < 0)
			goto fail;
		if ((rc = connect_peer(x, x->zs[ZS_PUB], i, ppub)) < 0)
			goto fail;
		if ((rc = zsocket(x, ZMQ_DEALER, &p->dealer)) < 0 ||
		    (rc = zopt(p->dealer, ZMQ_IMMEDIATE, 1)) < 0 ||
		    (rc = curve_client(x, p->dealer)) < 0 ||
		    (rc = connect_peer(x, p->dealer, i, prtr)) < 0)
			goto fail;
	}
	for (i = 0; i < ZS_NPOLL; i++)
		if ((rc = watch(x, i)) < 0)
			goto fail;
	x->bus = 1;
	x->gen++;
	x->pump_owed = 1;
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
	{
		char err[300];

		if (xcf_key_check(c, cfg->sysname, cfg->tcpname, cfg->secret_key, err,
				  sizeof(err)) < 0) {
			log_warnx("XCF: %s", err);
			errno = EKEYREJECTED;
			return NULL;
		}
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
		xcf_key_decode(cm->key, x->m[i].key);	/* checked by xcf_key_check */
	}
	x->peer_rate = cfg->peer_rate ? cfg->peer_rate : XCF_PEER_RATE;
	for (i = 0; i < x->couple.n; i++) {
		x->m[i].tokens = 2 * (uint64_t)x->peer_rate;
		x->m[i].tokens_ms = lib_now_ms();
	}
	lib_strlcpy(x->sec_z85, cfg->secret_key, sizeof(x->sec_z85));
	lib_strlcpy(x->pub_z85, x->couple.m[self].key, sizeof(x->pub_z85));
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
