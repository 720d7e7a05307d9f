/*
 * cdsnet.c - the couple data set over TCP, for systems on separate hosts:
 * the wire encoding of the CDS request/reply records, the CDS server (one
 * host keeps the SQLite file and answers every system), and the relay a
 * stack's CDS agent becomes when the couple config names a server
 * (`CDS tcp://ADDR:PORT`) instead of a file.
 *
 *   member --SOCK_SEQPACKET, raw records--> agent (relay) --TCP, framed--> server --> SQLite
 *
 * The member side (sfm.c) is unchanged: it talks to its agent as before, and
 * the agent, instead of opening the file, forwards each request to the
 * server and hands back its answer.  The agent keeps the property the local
 * file gave: a stopped stack never holds the data set's lock (the server
 * does every transaction itself, each one short).
 *
 * Framing: a 4-byte big-endian length, then the record.  Every field is
 * big-endian and of fixed size; names are fixed-width fields padded with
 * NUL (a name that fills its field has no terminator); return codes are
 * Linux errno values (both ends run Linux).  A request is exactly
 * CDS_NET_REQ_LEN bytes, a reply CDS_NET_REP_HDR_LEN + n x CDS_NET_SLOT_LEN
 * with n <= XCF_MAX_MEMBERS.  The decoders check every length, the magic,
 * the operation and the count before reading, and terminate every string.
 *
 * The server (xcf_cds_server) accepts up to CDS_NET_MAX_CONN connections,
 * each served by a child process of its own (SQLite's locks are process
 * locks, as between the local agents).  A frame of the wrong length, a
 * record that does not decode, or a connection silent for
 * CDS_NET_IDLE_S closes that connection with one log line; nothing else
 * changes.  The relay gives every exchange CDS_NET_IO_MS to finish (connect
 * included); when it cannot, it answers its member -EIO with the reason and
 * connects again for the next request, so a member's lease simply runs out
 * while the server cannot be reached, as with a lost local file.
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

#define CDS_NET_MAX_CONN 64
#define CDS_NET_IDLE_S 30
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

/* ---- framed I/O with a deadline ------------------------------------------------------ */

/* Waits for fd to be ready for events until deadline (lib_now_ms), 0 / -ETIMEDOUT. */
static int
wait_fd(int fd, short events, uint64_t deadline)
{
	for (;;) {
		uint64_t now = lib_now_ms();
		struct pollfd pfd = { fd, events, 0 };
		int r;

		if (now >= deadline)
			return -ETIMEDOUT;
		r = poll(&pfd, 1, (int)(deadline - now));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r > 0)
			return 0;
	}
}

static int
read_full(int fd, void *buf, size_t len, uint64_t deadline)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = recv(fd, (char *)buf + got, len - got, MSG_DONTWAIT);
		int r;

		if (n > 0) {
			got += (size_t)n;
			continue;
		}
		if (n == 0)
			return got ? -EPIPE : -ECONNRESET;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -errno;
		if ((r = wait_fd(fd, POLLIN, deadline)) < 0)
			return r;
	}
	return 0;
}

static int
write_full(int fd, const void *buf, size_t len, uint64_t deadline)
{
	size_t put = 0;

	while (put < len) {
		ssize_t n = send(fd, (const char *)buf + put, len - put,
				 MSG_DONTWAIT | MSG_NOSIGNAL);
		int r;

		if (n > 0) {
			put += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN)
			return -errno;
		if ((r = wait_fd(fd, POLLOUT, deadline)) < 0)
			return r;
	}
	return 0;
}

/* One frame: length, then the record.  -EMSGSIZE when the length is not
 * between min and max (nothing of the record is read then). */
static int
read_frame(int fd, uint8_t *buf, size_t min, size_t max, size_t *len, uint64_t deadline)
{
	uint8_t hdr[4];
	uint32_t l;
	int r;

	if ((r = read_full(fd, hdr, 4, deadline)) < 0)
		return r;
	get32(hdr, &l);
	if (l < min || l > max)
		return -EMSGSIZE;
	if ((r = read_full(fd, buf, l, deadline)) < 0)
		return r;
	*len = l;
	return 0;
}

static int
write_frame(int fd, uint8_t *buf, size_t len, uint64_t deadline)
{
	uint8_t hdr[4];
	int r;

	put32(hdr, (uint32_t)len);
	if ((r = write_full(fd, hdr, 4, deadline)) < 0)
		return r;
	return write_full(fd, buf, len, deadline);
}

static void
tune(int fd)
{
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
}

/* ---- the relay (the agent of a member whose CDS is a server) -------------------------- */

static int
relay_connect(const struct sockaddr_storage *ss, socklen_t sslen, uint64_t deadline)
{
	int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), r, e;
	socklen_t el = sizeof(e);

	if (fd < 0)
		return -errno;
	if (connect(fd, (const struct sockaddr *)ss, sslen) < 0) {
		if (errno != EINPROGRESS) {
			r = -errno;
			close(fd);
			return r;
		}
		if ((r = wait_fd(fd, POLLOUT, deadline)) < 0 ||
		    (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) < 0 ? (r = -errno) : 0) ||
		    (e ? (r = -e) : 0)) {
			close(fd);
			return r;
		}
	}
	tune(fd);
	return fd;
}

/* Forwards the requests arriving on fd (the member's socketpair) to the
 * server at `server`; ends when the member closes its end. */
int
cds_net_relay(int fd, const char *server)
{
	struct sockaddr_storage ss;
	socklen_t sslen;
	struct cds_req q;
	static struct cds_rep r;
	static uint8_t buf[CDS_NET_REP_MAX];
	int tcp = -1, logged = 0;

	if (xcf_cds_addr(server, &ss, &sslen) < 0) {
		log_warnx("CDS agent: '%s' is not tcp://ADDR:PORT", server);
		return 1;
	}
	for (;;) {
		ssize_t n = recv(fd, &q, sizeof(q), 0);
		uint64_t deadline;
		size_t len;
		int rc = 0;

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
		deadline = lib_now_ms() + CDS_NET_IO_MS;
		if (tcp < 0 && (rc = tcp = relay_connect(&ss, sslen, deadline)) >= 0)
			rc = 0;
		if (rc == 0)
			len = cds_net_req_encode(&q, buf), rc = write_frame(tcp, buf, len, deadline);
		if (rc == 0)
			rc = read_frame(tcp, buf, CDS_NET_REP_HDR_LEN, CDS_NET_REP_MAX, &len,
					deadline);
		if (rc == 0 && (rc = cds_net_rep_decode(buf, len, &r)) == 0 &&
		    (r.seq != q.seq || r.op != q.op))
			rc = -EPROTO;
		if (rc < 0) {
			if (tcp >= 0)
				close(tcp);
			tcp = -1;
			memset(&r, 0, sizeof(r));
			r.magic = CDS_MAGIC;
			r.op = q.op;
			r.seq = q.seq;
			r.rc = -EIO;
			snprintf(r.err, sizeof(r.err), "CDS server %s: %s", server + 6,
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
	if (tcp >= 0)
		close(tcp);
	return 0;
}

/* ---- the server ---------------------------------------------------------------------- */

/* One connection, in a child process of its own. */
static void
serve_conn(int fd, const char *peer, const char *path)
{
	static uint8_t buf[CDS_NET_REP_MAX];
	static struct cds_rep r;
	struct xcf_cds *db = NULL;
	struct cds_req q;
	int served = 0;

	for (;;) {
		uint64_t deadline = lib_now_ms() + CDS_NET_IDLE_S * 1000u;
		size_t len;
		int rc = read_frame(fd, buf, 1, CDS_NET_REQ_LEN, &len, deadline);

		if (rc == -ECONNRESET)
			break;		/* closed between requests: the normal end */
		if (rc == 0)
			rc = cds_net_req_decode(buf, len, &q);
		if (rc < 0) {
			log_warnx("CDS server: connection from %s closed after %d requests: %s",
				  peer, served,
				  rc == -EMSGSIZE ? "record of a wrong length" :
				  rc == -EPROTO ? "not a CDS request" :
				  rc == -ETIMEDOUT ? "silent too long" : strerror(-rc));
			break;
		}
		xcf_cds_handle(&db, path, &q, &r);
		if (r.rc < 0 && r.rc != -EPERM && r.rc != -ESTALE)
			log_warnx("CDS server: %s", r.err);
		len = cds_net_rep_encode(&r, buf);
		if (write_frame(fd, buf, len, lib_now_ms() + CDS_NET_IO_MS) < 0)
			break;
		served++;
	}
	xcf_cds_close(&db);
}

static volatile sig_atomic_t server_stop;

static void
server_sig(int sig)
{
	LIB_UNUSED(sig);
	server_stop = 1;
}

int
xcf_cds_server(const char *addr, const char *path)
{
	struct sockaddr_storage ss, from;
	socklen_t sslen, fl;
	char err[300];
	struct xcf_cds *c;
	int lfd, one = 1, nconn = 0, i, full = 0;
	pid_t kids[CDS_NET_MAX_CONN];
	struct sigaction sa;

	if (xcf_cds_addr(addr, &ss, &sslen) < 0) {
		log_warnx("CDS server: '%s' is not ADDR:PORT ([IPV6]:PORT)", addr);
		return 2;
	}
	/* The file must be a couple data set before we answer anybody. */
	c = xcf_cds_open(path, CDS_NET_IO_MS, err, sizeof(err));
	if (!c) {
		log_warnx("CDS server: %s", err);
		return 1;
	}
	xcf_cds_close(&c);
	lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(lfd, (struct sockaddr *)&ss, sslen) < 0 || listen(lfd, 16) < 0) {
		log_warn("CDS server: %s", addr);
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = server_sig;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	log_info("IXC358I CDS SERVER LISTENING ON %s FOR %s", addr, path);
	while (!server_stop) {
		struct pollfd pfd = { lfd, POLLIN, 0 };
		char peer[INET6_ADDRSTRLEN + 8];
		pid_t pid;
		int fd;

		while ((pid = waitpid(-1, NULL, WNOHANG)) > 0)
			for (i = 0; i < nconn; i++)
				if (kids[i] == pid) {
					kids[i] = kids[--nconn];
					break;
				}
		if (poll(&pfd, 1, 200) <= 0)
			continue;
		fl = sizeof(from);
		fd = accept4(lfd, (struct sockaddr *)&from, &fl, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		if (getnameinfo((struct sockaddr *)&from, fl, peer, sizeof(peer), NULL, 0,
				NI_NUMERICHOST) != 0)
			lib_strlcpy(peer, "?", sizeof(peer));
		if (nconn >= CDS_NET_MAX_CONN) {
			/* Logged once until a connection ends: a flood of
			 * connections is no flood of log lines. */
			if (!full)
				log_warnx("CDS server: connection from %s refused: %d connections "
					  "open (more are refused without a message until one ends)",
					  peer, nconn);
			full = 1;
			close(fd);
			continue;
		}
		full = 0;
		tune(fd);
		pid = fork();
		if (pid == 0) {
			close(lfd);
			signal(SIGTERM, SIG_DFL);
			signal(SIGINT, SIG_DFL);
			serve_conn(fd, peer, path);
			_exit(0);
		}
		close(fd);
		if (pid > 0)
			kids[nconn++] = pid;
		else
			log_warn("CDS server: fork");
	}
	close(lfd);
	/* The connections end with us. */
	for (i = 0; i < nconn; i++)
		kill(kids[i], SIGTERM);
	while (waitpid(-1, NULL, 0) > 0)
		;
	log_info("CDS server on %s ended", addr);
	return 0;
}
