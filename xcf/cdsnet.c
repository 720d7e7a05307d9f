/*
 * cdsnet.c - the couple data set over the network, for systems on separate
 * hosts: the wire encoding of the CDS request/reply records, the CDS server
 * (one host keeps the SQLite file and answers every system), and the relay a
 * stack's CDS agent becomes when the couple config names a server
 * (`CDS tcp://ADDR:PORT KEY k`) instead of a file.
 *
 *   member --SOCK_SEQPACKET, raw records--> agent (relay) --ZeroMQ CURVE--> server --> SQLite
 *
 * The member side (sfm.c) is unchanged: it talks to its agent as before, and
 * the agent, instead of opening the file, forwards each request to the
 * server and hands back its answer.  The agent keeps the property the local
 * file gave: a stopped stack never holds the data set's lock (the server
 * does every transaction itself, each one short).
 *
 * Authenticated and private, as the coupling bus: the server is a ZeroMQ
 * ROUTER and CURVE server with a key pair of its own (its public key is the
 * couple config's CDS ... KEY); the relay a DEALER and CURVE client with the
 * member's key pair, which the stack hands it over the socketpair.  The
 * server's ZAP handler admits only the member keys the data set lists (its
 * slots' keys, recorded by --cds-format) and names each connection after
 * the system whose key it presented (the ZAP User-Id); a member reads every
 * slot but writes only its own (cds_net_permit).  Everything else is
 * refused: an unknown key at the handshake (counted, each key logged once:
 * IXC259I), a message over 1 KiB (ZMQ_MAXMSGSIZE drops the connection; the
 * handshake's commands need a few hundred bytes), a record of the wrong
 * size, a record that does not decode or has more than one frame,
 * and a member's requests above CDS_NET_RATE per second (a token bucket of
 * CDS_NET_BURST), dropped unanswered and counted.  A client that does not
 * finish its handshake within CDS_NET_IO_MS is disconnected.  The counts
 * are logged when the server ends.
 *
 * Records: every field is big-endian and of fixed size, one ZeroMQ frame
 * each; names are fixed-width fields padded with NUL (a name that fills its
 * field has no terminator); return codes are Linux errno values (both ends
 * run Linux).  A request is exactly CDS_NET_REQ_LEN bytes, a reply
 * CDS_NET_REP_HDR_LEN + n x CDS_NET_SLOT_LEN with n <= XCF_MAX_MEMBERS.  The
 * decoders check every length, the magic, the operation and the count
 * before reading, and terminate every string.
 *
 * The server is one process answering one request at a time (each a short
 * SQLite transaction).  The relay gives every exchange CDS_NET_IO_MS to
 * finish (connect and handshake included), and fails it at once when its
 * socket monitor reports the connection refused, the handshake failed (the
 * server refused our key) or the server closed the connection; it answers
 * its member -EIO with the reason and makes a new connection for the next
 * request (what the failed one had queued is dropped with it), so a
 * member's lease simply runs out while the server cannot be reached, as
 * with a lost local file.
 */
#include "xcf/internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#define CDS_NET_IO_MS 2000

/* ---- encoding ---------------------------------------------------------------------- */

static uint8_t *
put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
	return p + 4;
}

static uint8_t *
put64(uint8_t *p, uint64_t v)
{
	return put32(put32(p, v >> 32), (uint32_t)v);
}

static uint8_t *
putstr(uint8_t *p, const char *s, size_t field)
{
	size_t l = strnlen(s, field);

	memcpy(p, s, l);
	memset(p + l, 0, field - l);
	return p + field;
}

static const uint8_t *
get32(const uint8_t *p, uint32_t *v)
{
	*v = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	return p + 4;
}

static const uint8_t *
get64(const uint8_t *p, uint64_t *v)
{
	uint32_t hi, lo;

	p = get32(get32(p, &hi), &lo);
	*v = (uint64_t)hi << 32 | lo;
	return p;
}

/* Copies a field of `field` bytes into dst (of dlen > field bytes) and
 * terminates it. */
static const uint8_t *
getstr(const uint8_t *p, char *dst, size_t dlen, size_t field)
{
	size_t l = strnlen((const char *)p, field);

	if (l >= dlen)
		l = dlen - 1;
	memcpy(dst, p, l);
	dst[l] = '\0';
	return p + field;
}

size_t
cds_net_req_encode(const struct cds_req *q, uint8_t *buf)
{
	uint8_t *p = buf;

	p = put32(p, q->magic);
	p = put32(p, q->op);
	p = put64(p, q->seq);
	p = putstr(p, q->sys, CDS_NET_NAME);
	p = put64(p, q->inc);
	p = putstr(p, q->victim, CDS_NET_NAME);
	p = put64(p, q->victim_inc);
	p = put64(p, q->expect_beat);
	p = putstr(p, q->reason, XCF_REASON_LEN);
	return (size_t)(p - buf);
}

int
cds_net_req_decode(const uint8_t *buf, size_t len, struct cds_req *q)
{
	const uint8_t *p = buf;

	memset(q, 0, sizeof(*q));
	if (len != CDS_NET_REQ_LEN)
		return -EMSGSIZE;
	p = get32(p, &q->magic);
	p = get32(p, &q->op);
	if (q->magic != CDS_MAGIC || q->op < CDS_OP_READ || q->op > CDS_OP_MAX)
		return -EPROTO;
	p = get64(p, &q->seq);
	p = getstr(p, q->sys, sizeof(q->sys), CDS_NET_NAME);
	p = get64(p, &q->inc);
	p = getstr(p, q->victim, sizeof(q->victim), CDS_NET_NAME);
	p = get64(p, &q->victim_inc);
	p = get64(p, &q->expect_beat);
	getstr(p, q->reason, sizeof(q->reason), XCF_REASON_LEN);
	return 0;
}

size_t
cds_net_rep_encode(const struct cds_rep *r, uint8_t *buf)
{
	uint8_t *p = buf;
	int i, n = r->n < 0 ? 0 : r->n > XCF_MAX_MEMBERS ? XCF_MAX_MEMBERS : r->n;

	p = put32(p, r->magic);
	p = put32(p, r->op);
	p = put64(p, r->seq);
	p = put32(p, (uint32_t)r->rc);
	p = put32(p, (uint32_t)n);
	p = put64(p, r->beat);
	p = putstr(p, r->err, CDS_NET_ERR);
	for (i = 0; i < n; i++) {
		const struct xcf_slot *s = &r->slot[i];

		p = putstr(p, s->sysname, CDS_NET_NAME);
		p = putstr(p, s->member, XCF_NAME_LEN);
		p = put32(p, (uint32_t)s->ord);
		p = put32(p, s->weight);
		p = put64(p, s->incarnation);
		*p++ = s->state;
		p = put64(p, s->beat);
		p = put64(p, s->beat_wall_ms);
		p = put64(p, s->pill_inc);
		p = putstr(p, s->pill_by, CDS_NET_NAME);
		p = put64(p, s->pill_wall_ms);
		p = putstr(p, s->reason, XCF_REASON_LEN);
		p = putstr(p, s->key, XCF_KEY_LEN);
	}
	return (size_t)(p - buf);
}

int
cds_net_rep_decode(const uint8_t *buf, size_t len, struct cds_rep *r)
{
	const uint8_t *p = buf;
	uint32_t u, n;
	int i;

	memset(r, 0, sizeof(*r));
	if (len < CDS_NET_REP_HDR_LEN)
		return -EMSGSIZE;
	p = get32(p, &r->magic);
	p = get32(p, &r->op);
	if (r->magic != CDS_MAGIC || r->op < CDS_OP_READ || r->op > CDS_OP_MAX)
		return -EPROTO;
	p = get64(p, &r->seq);
	p = get32(p, &u);
	r->rc = (int32_t)u;
	p = get32(p, &n);
	if (n > XCF_MAX_MEMBERS || len != CDS_NET_REP_HDR_LEN + n * CDS_NET_SLOT_LEN)
		return -EMSGSIZE;
	r->n = (int32_t)n;
	p = get64(p, &r->beat);
	p = getstr(p, r->err, sizeof(r->err), CDS_NET_ERR);
	for (i = 0; i < (int)n; i++) {
		struct xcf_slot *s = &r->slot[i];

		p = getstr(p, s->sysname, sizeof(s->sysname), CDS_NET_NAME);
		p = getstr(p, s->member, sizeof(s->member), XCF_NAME_LEN);
		p = get32(p, &u);
		s->ord = (int)u;
		p = get32(p, &s->weight);
		p = get64(p, &s->incarnation);
		s->state = *p++;
		p = get64(p, &s->beat);
		p = get64(p, &s->beat_wall_ms);
		p = get64(p, &s->pill_inc);
		p = getstr(p, s->pill_by, sizeof(s->pill_by), CDS_NET_NAME);
		p = get64(p, &s->pill_wall_ms);
		p = getstr(p, s->reason, sizeof(s->reason), XCF_REASON_LEN);
		p = getstr(p, s->key, sizeof(s->key), XCF_KEY_LEN);
	}
	return 0;
}

/* ---- the server's decisions (pure) ------------------------------------------------ */

int
cds_net_admit(const struct xcf_slot *slots, int n, const uint8_t key[32], char sys[9])
{
	uint8_t raw[32];
	int i;

	for (i = 0; i < n; i++)
		if (slots[i].key[0] && xcf_key_decode(slots[i].key, raw) == 0 &&
		    memcmp(raw, key, 32) == 0) {
			lib_strlcpy(sys, slots[i].sysname, 9);
			return 0;
		}
	return -ENOENT;
}

int
cds_net_permit(const struct cds_req *q, const char *sys, const char **why)
{
	if (q->op == CDS_OP_READ)
		return 0;
	if (strcmp(q->sys, sys) == 0)
		return 0;
	*why = q->op == CDS_OP_PILL ? "a poison pill in another member's name" :
	       "a write to another member's slot";
	return -EACCES;
}

int
cds_net_rate_take(struct cds_net_rate *r, uint64_t now_ms)
{
	if (!r->primed) {
		r->primed = 1;
		r->tokens_milli = (uint64_t)CDS_NET_BURST * 1000;
	} else if (now_ms > r->last_ms) {
		r->tokens_milli += (now_ms - r->last_ms) * CDS_NET_RATE;
		if (r->tokens_milli > (uint64_t)CDS_NET_BURST * 1000)
			r->tokens_milli = (uint64_t)CDS_NET_BURST * 1000;
	}
	r->last_ms = now_ms;
	if (r->tokens_milli < 1000)
		return 0;
	r->tokens_milli -= 1000;
	return 1;
}

/* ---- ZeroMQ helpers ------------------------------------------------------------------ */

static int
zset(void *s, int opt, int v)
{
	return zmq_setsockopt(s, opt, &v, sizeof(v));
}

static int
zkey(void *s, int opt, const char *z85)
{
	return zmq_setsockopt(s, opt, z85, XCF_KEY_LEN);
}

static int
zmore(void *s)
{
	int more = 0;
	size_t sz = sizeof(more);

	return zmq_getsockopt(s, ZMQ_RCVMORE, &more, &sz) == 0 && more;
}

/* ---- the relay (the agent of a member whose CDS is a server) -------------------------- */

/*
 * The relay's connection: a DEALER, CURVE client with the member's key pair
 * and the server's public key of the couple config, and a monitor that
 * tells at once when the connection is refused, the handshake fails (the
 * server refused our key) or the server closes the connection.  Made again
 * after every failed exchange, so nothing a failed exchange left queued is
 * ever sent later.
 */
struct relay {
	void *ctx, *s, *mon;
	const char *server;
	const struct cds_cred *cred;
	char pub[XCF_KEY_LEN + 1];
	int nmon;
};

static void
relay_close(struct relay *rl)
{
	if (rl->s) {
		zmq_socket_monitor(rl->s, NULL, 0);
		zmq_close(rl->s);
	}
	if (rl->mon)
		zmq_close(rl->mon);
	rl->s = rl->mon = NULL;
}

static int
relay_open(struct relay *rl)
{
	char mon[64];
	int64_t max = CDS_NET_REP_MAX;

	rl->s = zmq_socket(rl->ctx, ZMQ_DEALER);
	if (!rl->s)
		return -errno;
	snprintf(mon, sizeof(mon), "inproc://cds-relay-monitor-%d", rl->nmon++);
	if (zset(rl->s, ZMQ_LINGER, 0) < 0 || zset(rl->s, ZMQ_IPV6, 1) < 0 ||
	    zset(rl->s, ZMQ_IMMEDIATE, 1) < 0 ||
	    zmq_setsockopt(rl->s, ZMQ_MAXMSGSIZE, &max, sizeof(max)) < 0 ||
	    zkey(rl->s, ZMQ_CURVE_SERVERKEY, rl->cred->server_key) < 0 ||
	    zkey(rl->s, ZMQ_CURVE_PUBLICKEY, rl->pub) < 0 ||
	    zkey(rl->s, ZMQ_CURVE_SECRETKEY, rl->cred->secret) < 0 ||
	    zmq_socket_monitor(rl->s, mon, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
			       ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
			       ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_CONNECT_RETRIED |
			       ZMQ_EVENT_DISCONNECTED) < 0) {
		int e = errno;

		relay_close(rl);
		return -e;
	}
	rl->mon = zmq_socket(rl->ctx, ZMQ_PAIR);
	if (!rl->mon || zset(rl->mon, ZMQ_LINGER, 0) < 0 || zmq_connect(rl->mon, mon) < 0 ||
	    zmq_connect(rl->s, rl->server) < 0) {
		int e = errno;

		relay_close(rl);
		return -e;
	}
	return 0;
}

/* Reads the monitor's events; a failure (the connection refused, the
 * handshake failed, the server closed it) puts its reason into why and
 * returns 1, else 0. */
static int
relay_events(struct relay *rl, char *why, size_t len)
{
	uint8_t ev[6];
	char ep[128];
	int failed = 0;

	while (rl->mon && zmq_recv(rl->mon, ev, sizeof(ev), ZMQ_DONTWAIT) == 6) {
		uint16_t id;
		uint32_t v;

		/* The event in host order (zmq_socket_monitor). */
		memcpy(&id, ev, 2);
		memcpy(&v, ev + 2, 4);

		if (zmore(rl->mon))
			zmq_recv(rl->mon, ep, sizeof(ep), ZMQ_DONTWAIT);
		failed = 1;
		if (id == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
			snprintf(why, len, "the server refused our key (%u)", v);
		else if (id == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL ||
			 id == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL)
			snprintf(why, len, "CURVE handshake failed (not the server's KEY of the "
				 "couple config?)");
		else if (id == ZMQ_EVENT_CONNECT_RETRIED)
			snprintf(why, len, "cannot connect");
		else if (id == ZMQ_EVENT_DISCONNECTED)
			snprintf(why, len, "the server closed the connection");
		else
			failed = 0;
		if (failed)
			break;
	}
	return failed;
}

/* Waits until the relay's socket is ready for events (ZMQ_POLLIN /
 * ZMQ_POLLOUT): 0; -ETIMEDOUT at the deadline; -ECONNABORTED at once when
 * the monitor reports a failure (why says which), as a refused TCP
 * connection would. */
static int
relay_wait(struct relay *rl, short events, uint64_t deadline, char *why, size_t len)
{
	for (;;) {
		zmq_pollitem_t it[2] = { { rl->s, 0, events, 0 }, { rl->mon, 0, ZMQ_POLLIN, 0 } };
		uint64_t now = lib_now_ms();
		int r;

		if (relay_events(rl, why, len))
			return -ECONNABORTED;
		if (now >= deadline)
			return -ETIMEDOUT;
		r = zmq_poll(it, 2, (long)(deadline - now));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (it[0].revents & events)
			return 0;
	}
}

/* One request and its answer within CDS_NET_IO_MS (connecting included);
 * an answer to an earlier request (seq) is skipped. */
static int
relay_exchange(struct relay *rl, const struct cds_req *q, struct cds_rep *r, uint8_t *buf,
	       char *why, size_t wlen)
{
	uint64_t deadline = lib_now_ms() + CDS_NET_IO_MS;
	size_t len;
	int rc;

	if (!rl->s && (rc = relay_open(rl)) < 0)
		return rc;
	len = cds_net_req_encode(q, buf);
	if ((rc = relay_wait(rl, ZMQ_POLLOUT, deadline, why, wlen)) < 0)
		return rc;
	if (zmq_send(rl->s, buf, len, ZMQ_DONTWAIT) != (int)len)
		return -errno;
	for (;;) {
		int n;

		if ((rc = relay_wait(rl, ZMQ_POLLIN, deadline, why, wlen)) < 0)
			return rc;
		n = zmq_recv(rl->s, buf, CDS_NET_REP_MAX, ZMQ_DONTWAIT);
		if (n < 0)
			return -errno;
		if (zmore(rl->s) || n > CDS_NET_REP_MAX)
			return -EPROTO;
		if ((rc = cds_net_rep_decode(buf, (size_t)n, r)) < 0)
			return rc;
		if (r->op == q->op && r->seq == q->seq)
			return 0;
	}
}

/* Forwards the requests arriving on fd (the member's socketpair) to the
 * server at `server`; ends when the member closes its end. */
int
cds_net_relay(int fd, const char *server, const struct cds_cred *cred)
{
	static struct cds_rep r;
	static uint8_t buf[CDS_NET_REP_MAX];
	struct relay rl;
	struct cds_req q;
	struct sockaddr_storage ss;
	socklen_t sslen;
	int logged = 0;

	memset(&rl, 0, sizeof(rl));
	if (xcf_cds_addr(server, &ss, &sslen) < 0) {
		log_warnx("CDS agent: '%s' is not tcp://ADDR:PORT", server);
		return 1;
	}
	if (xcf_key_public(cred->secret, rl.pub) < 0) {
		log_warnx("CDS agent: no valid secret key from the stack");
		return 1;
	}
	rl.ctx = zmq_ctx_new();
	if (!rl.ctx) {
		log_warn("CDS agent: zmq_ctx_new");
		return 1;
	}
	rl.server = server;
	rl.cred = cred;
	for (;;) {
		ssize_t n = recv(fd, &q, sizeof(q), 0);
		char why[96];
		int rc;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if ((size_t)n != sizeof(q)) {
			log_warnx("CDS agent: request of %zd bytes ignored", n);
			continue;
		}
		q.sys[sizeof(q.sys) - 1] = q.victim[sizeof(q.victim) - 1] = '\0';
		q.reason[sizeof(q.reason) - 1] = '\0';
		why[0] = '\0';
		rc = relay_exchange(&rl, &q, &r, buf, why, sizeof(why));
		if (rc < 0) {
			if (!why[0])
				relay_events(&rl, why, sizeof(why));
			relay_close(&rl);
			memset(&r, 0, sizeof(r));
			r.magic = CDS_MAGIC;
			r.op = q.op;
			r.seq = q.seq;
			r.rc = -EIO;
			snprintf(r.err, sizeof(r.err), "CDS server %s: %s", server + 6,
				 why[0] ? why : rc == -ETIMEDOUT ? "no answer within 2 s" :
				 strerror(-rc));
			if (!logged)
				log_warnx("%s", r.err);
			logged = 1;
		} else {
			if (logged)
				log_info("CDS server %s reached again", server + 6);
			logged = 0;
		}
		while (send(fd, &r, sizeof(r), MSG_NOSIGNAL) < 0) {
			if (errno != EINTR)
				goto out;
		}
	}
out:
	relay_close(&rl);
	zmq_ctx_term(rl.ctx);
	return 0;
}

/* ---- the server ---------------------------------------------------------------------- */

#define CDS_SRV_REFUSED_LOG 16		/* refused keys logged one by one */

struct cds_srv {
	void *ctx, *rtr, *zap;
	const char *addr, *path;
	struct xcf_cds *db;
	struct xcf_slot slots[XCF_MAX_MEMBERS];	/* the keys we admit */
	int nslots;
	uint64_t slots_ms;
	struct {
		char sys[9];
		struct cds_net_rate rate;
	} m[XCF_MAX_MEMBERS];
	int nm;
	uint8_t refused[CDS_SRV_REFUSED_LOG][32];
	int nrefused;
	uint64_t served;
	struct lib_verdicts verdicts;
};

static const char V_KEY[] = "CDS connection refused: key not a member's in the couple data set";
static const char V_MECH[] = "CDS connection refused: not CURVE";
static const char V_SHAPE[] = "CDS request dropped: not one frame";
static const char V_DECODE[] = "CDS request dropped: not a CDS request";
static const char V_RATE[] = "CDS request dropped: over the member's rate";
static const char V_PERM[] = "CDS request refused: not the member's own slot";

/* The member keys the data set lists: read at start, and again (at most once
 * a second) when a key is not among them. */
static int
srv_load_keys(struct cds_srv *sv, char *err, size_t errlen)
{
	int n;

	sv->slots_ms = lib_now_ms();
	if (!sv->db && !(sv->db = xcf_cds_open(sv->path, CDS_NET_IO_MS, err, errlen)))
		return -1;
	n = xcf_cds_read(sv->db, sv->slots, XCF_MAX_MEMBERS);
	if (n < 0) {
		snprintf(err, errlen, "%s", xcf_cds_errmsg(sv->db));
		xcf_cds_close(&sv->db);
		return -1;
	}
	sv->nslots = n;
	return 0;
}

static void
srv_log_refused(struct cds_srv *sv, const uint8_t key[32], const char *addr)
{
	char z85[XCF_KEY_LEN + 1];
	int i;

	for (i = 0; i < sv->nrefused; i++)
		if (memcmp(sv->refused[i], key, 32) == 0)
			return;
	if (sv->nrefused == CDS_SRV_REFUSED_LOG)
		return;
	memcpy(sv->refused[sv->nrefused++], key, 32);
	if (!zmq_z85_encode(z85, key, 32))
		lib_strlcpy(z85, "?", sizeof(z85));
	log_warnx("IXC259I CDS CONNECTION FROM %s REFUSED: KEY %s IS NOT A MEMBER'S KEY IN THE "
		  "COUPLE DATA SET", addr, z85);
}

/* One ZAP request (RFC 27): 200 with User-Id = the system whose key the
 * client presented, or 400. */
static void
srv_zap(struct cds_srv *sv)
{
	char part[7][64], sys[9] = "", err[256];
	size_t plen[7];
	const char *status = "400", *text = "not a member's key";
	int n = 0, more = 1;

	while (more) {
		int r = zmq_recv(sv->zap, n < 7 ? part[n] : part[6], sizeof(part[0]) - 1,
				 ZMQ_DONTWAIT);

		if (r < 0)
			return;
		if (n < 7) {
			plen[n] = (size_t)r < sizeof(part[0]) - 1 ? (size_t)r : sizeof(part[0]) - 1;
			part[n][plen[n]] = '\0';
		}
		n++;
		more = zmore(sv->zap);
	}
	if (n == 7 && strcmp(part[0], "1.0") == 0 && strcmp(part[5], "CURVE") == 0 &&
	    plen[6] == 32) {
		const uint8_t *key = (const uint8_t *)part[6];
		int rc = cds_net_admit(sv->slots, sv->nslots, key, sys);

		if (rc < 0 && lib_now_ms() >= sv->slots_ms + 1000 &&
		    srv_load_keys(sv, err, sizeof(err)) == 0)
			rc = cds_net_admit(sv->slots, sv->nslots, key, sys);
		if (rc == 0) {
			status = "200";
			text = "OK";
		} else {
			lib_verdict(&sv->verdicts, V_KEY);
			srv_log_refused(sv, key, part[3]);
		}
	} else {
		lib_verdict(&sv->verdicts, V_MECH);
	}
	zmq_send(sv->zap, "1.0", 3, ZMQ_SNDMORE | ZMQ_DONTWAIT);
	zmq_send(sv->zap, n > 1 ? part[1] : "", n > 1 ? plen[1] : 0, ZMQ_SNDMORE | ZMQ_DONTWAIT);
	zmq_send(sv->zap, status, 3, ZMQ_SNDMORE | ZMQ_DONTWAIT);
	zmq_send(sv->zap, text, strlen(text), ZMQ_SNDMORE | ZMQ_DONTWAIT);
	zmq_send(sv->zap, sys, strlen(sys), ZMQ_SNDMORE | ZMQ_DONTWAIT);
	zmq_send(sv->zap, "", 0, ZMQ_DONTWAIT);
}

static struct cds_net_rate *
srv_rate(struct cds_srv *sv, const char *sys)
{
	int i;

	for (i = 0; i < sv->nm; i++)
		if (strcmp(sv->m[i].sys, sys) == 0)
			return &sv->m[i].rate;
	if (sv->nm == XCF_MAX_MEMBERS)
		return NULL;
	lib_strlcpy(sv->m[sv->nm].sys, sys, sizeof(sv->m[0].sys));
	memset(&sv->m[sv->nm].rate, 0, sizeof(sv->m[0].rate));
	return &sv->m[sv->nm++].rate;
}

/* One message on the ROUTER: [routing id][request], the request's User-Id
 * the member ZAP admitted the connection as. */
static void
srv_request(struct cds_srv *sv)
{
	static uint8_t buf[CDS_NET_REP_MAX];
	static struct cds_rep r;
	zmq_msg_t id, req;
	struct cds_net_rate *rate;
	struct cds_req q;
	const char *user, *why = "";
	size_t len;

	zmq_msg_init(&id);
	zmq_msg_init(&req);
	if (zmq_msg_recv(&id, sv->rtr, ZMQ_DONTWAIT) < 0)
		goto out;
	if (!zmq_msg_more(&id) || zmq_msg_recv(&req, sv->rtr, ZMQ_DONTWAIT) < 0 ||
	    zmq_msg_more(&req)) {
		while (zmore(sv->rtr))
			zmq_recv(sv->rtr, buf, 0, ZMQ_DONTWAIT);
		lib_verdict(&sv->verdicts, V_SHAPE);
		goto out;
	}
	user = zmq_msg_gets(&req, "User-Id");
	if (!user || !*user) {
		lib_verdict(&sv->verdicts, V_MECH);	/* ZAP admitted nobody: cannot happen */
		goto out;
	}
	rate = srv_rate(sv, user);
	if (!rate || !cds_net_rate_take(rate, lib_now_ms())) {
		lib_verdict(&sv->verdicts, V_RATE);
		goto out;
	}
	if (cds_net_req_decode(zmq_msg_data(&req), zmq_msg_size(&req), &q) < 0) {
		lib_verdict(&sv->verdicts, V_DECODE);
		goto out;
	}
	if (cds_net_permit(&q, user, &why) < 0) {
		lib_verdict(&sv->verdicts, V_PERM);
		memset(&r, 0, sizeof(r));
		r.magic = CDS_MAGIC;
		r.op = q.op;
		r.seq = q.seq;
		r.rc = -EACCES;
		snprintf(r.err, sizeof(r.err), "CDS server: %s refused: %s as %s", user, why,
			 q.sys);
	} else {
		xcf_cds_handle(&sv->db, sv->path, &q, &r);
		if (r.rc < 0 && !xcf_cds_refusal(r.rc))
			log_warnx("CDS server: %s", r.err);
		sv->served++;
	}
	len = cds_net_rep_encode(&r, buf);
	if (zmq_msg_send(&id, sv->rtr, ZMQ_SNDMORE | ZMQ_DONTWAIT) >= 0)
		zmq_send(sv->rtr, buf, len, ZMQ_DONTWAIT);
out:
	zmq_msg_close(&id);
	zmq_msg_close(&req);
}

static volatile sig_atomic_t server_stop;

static void
server_sig(int sig)
{
	LIB_UNUSED(sig);
	server_stop = 1;
}

static void
srv_close(struct cds_srv *sv)
{
	if (sv->rtr)
		zmq_close(sv->rtr);
	if (sv->zap)
		zmq_close(sv->zap);
	if (sv->ctx)
		zmq_ctx_term(sv->ctx);
	xcf_cds_close(&sv->db);
}

int
xcf_cds_server(const char *addr, const char *path, const char *keyfile)
{
	static struct cds_srv sv;
	char err[300], ep[XCF_PATH_LEN + 8], pub[XCF_KEY_LEN + 1], sec[XCF_KEY_LEN + 1];
	struct sockaddr_storage ss;
	socklen_t sslen;
	/* At most a request; the CURVE handshake's commands (up to a few
	 * hundred bytes) count against the limit too. */
	int64_t max = CDS_NET_REQ_LEN > 1024 ? CDS_NET_REQ_LEN : 1024;
	struct sigaction sa;
	size_t i;

	memset(&sv, 0, sizeof(sv));
	sv.verdicts.what = "cds";
	sv.addr = addr;
	sv.path = path;
	if (xcf_cds_addr(addr, &ss, &sslen) < 0) {
		log_warnx("CDS server: '%s' is not ADDR:PORT ([IPV6]:PORT)", addr);
		return 2;
	}
	if (xcf_key_load(keyfile, pub, sec, err, sizeof(err)) < 0) {
		log_warnx("CDS server: %s (`tcpip-stack --keygen DIR` makes a key pair)", err);
		return 1;
	}
	/* The file must be a couple data set listing member keys before we
	 * answer anybody. */
	if (srv_load_keys(&sv, err, sizeof(err)) < 0) {
		log_warnx("CDS server: %s", err);
		explicit_bzero(sec, sizeof(sec));
		return 1;
	}
	for (i = 0; i < (size_t)sv.nslots && !sv.slots[i].key[0]; i++)
		;
	if (i == (size_t)sv.nslots) {
		log_warnx("CDS server: %s lists no member key: format it again from a couple "
			  "config with a KEY for every MEMBER", path);
		explicit_bzero(sec, sizeof(sec));
		xcf_cds_close(&sv.db);
		return 1;
	}
	snprintf(ep, sizeof(ep), "tcp://%s", strncmp(addr, "tcp://", 6) == 0 ? addr + 6 : addr);
	sv.ctx = zmq_ctx_new();
	sv.zap = sv.ctx ? zmq_socket(sv.ctx, ZMQ_REP) : NULL;
	/* The ZAP handler first: ZeroMQ asks it about every CURVE client. */
	if (!sv.zap || zset(sv.zap, ZMQ_LINGER, 0) < 0 ||
	    zmq_bind(sv.zap, "inproc://zeromq.zap.01") < 0 ||
	    !(sv.rtr = zmq_socket(sv.ctx, ZMQ_ROUTER)) || zset(sv.rtr, ZMQ_LINGER, 0) < 0 ||
	    zset(sv.rtr, ZMQ_IPV6, 1) < 0 || zset(sv.rtr, ZMQ_CURVE_SERVER, 1) < 0 ||
	    zkey(sv.rtr, ZMQ_CURVE_PUBLICKEY, pub) < 0 || zkey(sv.rtr, ZMQ_CURVE_SECRETKEY, sec) < 0 ||
	    zmq_setsockopt(sv.rtr, ZMQ_ZAP_DOMAIN, "CDS", 3) < 0 ||
	    zmq_setsockopt(sv.rtr, ZMQ_MAXMSGSIZE, &max, sizeof(max)) < 0 ||
	    zset(sv.rtr, ZMQ_HANDSHAKE_IVL, CDS_NET_IO_MS) < 0 || zmq_bind(sv.rtr, ep) < 0) {
		log_warnx("CDS server: %s: %s", ep, zmq_strerror(errno));
		explicit_bzero(sec, sizeof(sec));
		srv_close(&sv);
		return 1;
	}
	explicit_bzero(sec, sizeof(sec));
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = server_sig;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	log_info("IXC358I CDS SERVER LISTENING ON %s FOR %s, KEY %s, %d MEMBER KEYS", addr, path,
		 pub, sv.nslots);
	while (!server_stop) {
		zmq_pollitem_t it[2] = { { sv.rtr, 0, ZMQ_POLLIN, 0 }, { sv.zap, 0, ZMQ_POLLIN, 0 } };
		int k;

		if (zmq_poll(it, 2, 200) <= 0)
			continue;
		/* Bounded turns: the handshakes of a flood of clients do not
		 * starve the members' requests, nor the reverse. */
		for (k = 0; k < 64 && (it[1].revents & ZMQ_POLLIN); k++) {
			srv_zap(&sv);
			zmq_poll(&it[1], 1, 0);
		}
		for (k = 0; k < 64 && (it[0].revents & ZMQ_POLLIN); k++) {
			srv_request(&sv);
			zmq_poll(&it[0], 1, 0);
		}
	}
	log_info("CDS server on %s ended: %llu requests served; refused: %llu connections "
		 "(key), %llu requests (rate), %llu (not its slot), %llu (malformed)", addr,
		 (unsigned long long)sv.served,
		 (unsigned long long)(lib_verdict_count(&sv.verdicts, V_KEY) +
				      lib_verdict_count(&sv.verdicts, V_MECH)),
		 (unsigned long long)lib_verdict_count(&sv.verdicts, V_RATE),
		 (unsigned long long)lib_verdict_count(&sv.verdicts, V_PERM),
		 (unsigned long long)(lib_verdict_count(&sv.verdicts, V_SHAPE) +
				      lib_verdict_count(&sv.verdicts, V_DECODE)));
	srv_close(&sv);
	return 0;
}
