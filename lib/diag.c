/*
 * diag.c - lists the IPv6 TCP sockets of the current network namespace
 * through NETLINK_SOCK_DIAG (the interface `ss` uses), so a stack can see its
 * listeners (readiness per DVIPA port) and its established connections.
 *
 * Contract (see lib.h): one SOCK_DIAG_BY_FAMILY dump request (struct
 * inet_diag_req_v2: AF_INET6, IPPROTO_TCP, idiag_states = states) on a socket
 * of its own; cb is called once per socket with ports in host order; a
 * non-zero return from cb ends the walk early.  Returns the number of sockets
 * passed to cb, or -errno.  Not for packet paths (it allocates a dump buffer).
 *
 * lib_diag_tcp6_state asks for one socket: the same request without
 * NLM_F_DUMP and with the 4-tuple in its inet_diag_sockid (src = local,
 * cookie INET_DIAG_NOCOOKIE); the kernel answers with that socket's message
 * or an NLMSG_ERROR (ENOENT).  Its lookup falls back to a listener on the
 * local port, so the answer's tuple is compared with the question's.
 *
 * Each reply is a struct inet_diag_msg:
 * +---------------+---------------+---------------+---------------+
 * | idiag_family  | idiag_state   | idiag_timer   | idiag_retrans |
 * +---------------+---------------+---------------+---------------+
 * | sport (be16)  | dport (be16)  | src (16)  | dst (16) | if, cookie |
 * +---------------------------------------------------------------+
 * | expires, rqueue, wqueue, uid, inode (u32 each), then attributes |
 * +---------------------------------------------------------------+
 */
#include "lib/lib.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

/* Dump replies come in batches of up to 32 KiB; a smaller buffer truncates. */
#define DIAG_BUF_LEN 32768

struct diag_walk {
	int family;
	int (*cb)(const struct lib_sock *s, void *arg);
	void *arg;
	int count;
	int stop;
};

static int
diag_msg_cb(const struct nlmsghdr *nlh, void *data)
{
	struct diag_walk *w = data;
	const struct inet_diag_msg *m;
	struct lib_sock s;

	if (w->stop)
		return MNL_CB_OK;	/* drain the rest of the dump */
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*m))
		return MNL_CB_OK;
	m = mnl_nlmsg_get_payload(nlh);
	if (m->idiag_family != w->family)
		return MNL_CB_OK;
	memset(&s, 0, sizeof(s));
	if (w->family == AF_INET) {
		/* IPv4 as IPv4-mapped IPv6, as a dual-stack socket shows it. */
		s.laddr[10] = s.laddr[11] = s.raddr[10] = s.raddr[11] = 0xff;
		memcpy(s.laddr + 12, m->id.idiag_src, 4);
		memcpy(s.raddr + 12, m->id.idiag_dst, 4);
	} else {
		memcpy(s.laddr, m->id.idiag_src, 16);
		memcpy(s.raddr, m->id.idiag_dst, 16);
	}
	s.lport = ntohs(m->id.idiag_sport);
	s.rport = ntohs(m->id.idiag_dport);
	s.state = m->idiag_state;
	s.uid = m->idiag_uid;
	s.inode = m->idiag_inode;
	w->count++;
	if (w->cb && w->cb(&s, w->arg))
		w->stop = 1;
	return MNL_CB_OK;
}

static int
diag_dump(int family, uint32_t states, int (*cb)(const struct lib_sock *s, void *arg), void *arg)
{
	struct diag_walk w = {.family = family, .cb = cb, .arg = arg};
	struct mnl_socket *sk;
	struct nlmsghdr *nlh;
	struct inet_diag_req_v2 *req;
	char *buf;
	uint32_t seq, portid;
	int err = 0;

	buf = malloc(DIAG_BUF_LEN);
	if (!buf)
		return -ENOMEM;
	sk = mnl_socket_open2(NETLINK_SOCK_DIAG, SOCK_CLOEXEC);
	if (!sk || mnl_socket_bind(sk, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		goto out;
	}
	portid = mnl_socket_get_portid(sk);
	seq = (uint32_t)time(NULL);

	memset(buf, 0, MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(*req)));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));
	req->sdiag_family = (uint8_t)family;
	req->sdiag_protocol = IPPROTO_TCP;
	req->idiag_states = states;
	if (mnl_socket_sendto(sk, nlh, nlh->nlmsg_len) < 0) {
		err = -errno;
		goto out;
	}
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(sk, buf, DIAG_BUF_LEN);
		int r;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			goto out;
		}
		/* mnl_cb_run checks sequence and port id, and stops at NLMSG_DONE. */
		r = mnl_cb_run(buf, (size_t)n, seq, portid, diag_msg_cb, &w);
		if (r == MNL_CB_ERROR) {
			err = errno ? -errno : -EIO;
			goto out;
		}
		if (r == MNL_CB_STOP)
			break;
	}
out:
	if (sk)
		mnl_socket_close(sk);
	free(buf);
	return err ? err : w.count;
}

int
lib_diag_tcp6(uint32_t states, int (*cb)(const struct lib_sock *s, void *arg), void *arg)
{
	return diag_dump(AF_INET6, states, cb, arg);
}

int
lib_diag_tcp4(uint32_t states, int (*cb)(const struct lib_sock *s, void *arg), void *arg)
{
	return diag_dump(AF_INET, states, cb, arg);
}

struct lib_diag {
	struct mnl_socket *sk;
	uint32_t portid, seq;
	char buf[8192];
};

int
lib_diag_open(struct lib_diag **out)
{
	struct lib_diag *d = calloc(1, sizeof(*d));
	int e;

	*out = NULL;
	if (!d)
		return -ENOMEM;
	d->sk = mnl_socket_open2(NETLINK_SOCK_DIAG, SOCK_CLOEXEC);
	if (!d->sk || mnl_socket_bind(d->sk, 0, MNL_SOCKET_AUTOPID) < 0) {
		e = -errno;
		lib_diag_close(&d);
		return e;
	}
	d->portid = mnl_socket_get_portid(d->sk);
	d->seq = (uint32_t)time(NULL);
	*out = d;
	return 0;
}

void
lib_diag_close(struct lib_diag **dp)
{
	struct lib_diag *d = dp ? *dp : NULL;

	if (!d)
		return;
	if (d->sk)
		mnl_socket_close(d->sk);
	free(d);
	*dp = NULL;
}

struct diag_one {
	const struct inet_diag_sockid *id;
	int state;
};

static int
diag_one_cb(const struct nlmsghdr *nlh, void *data)
{
	struct diag_one *o = data;
	const struct inet_diag_msg *m;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*m))
		return MNL_CB_OK;
	m = mnl_nlmsg_get_payload(nlh);
	/* A listener answers for a connection that is gone. */
	if (m->idiag_family == AF_INET6 && m->id.idiag_sport == o->id->idiag_sport &&
	    m->id.idiag_dport == o->id->idiag_dport &&
	    memcmp(m->id.idiag_src, o->id->idiag_src, 16) == 0 &&
	    memcmp(m->id.idiag_dst, o->id->idiag_dst, 16) == 0)
		o->state = m->idiag_state;
	return MNL_CB_OK;
}

int
lib_diag_tcp6_state(struct lib_diag *d, const uint8_t laddr[16], uint16_t lport,
		    const uint8_t raddr[16], uint16_t rport)
{
	struct inet_diag_req_v2 *req;
	struct diag_one o = { NULL, -ENOENT };
	struct nlmsghdr *nlh;
	ssize_t n;
	int r;

	memset(d->buf, 0, MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(*req)));
	nlh = mnl_nlmsg_put_header(d->buf);
	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = ++d->seq;
	req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));
	req->sdiag_family = AF_INET6;
	req->sdiag_protocol = IPPROTO_TCP;
	req->idiag_states = ~0u;
	req->id.idiag_sport = htons(lport);
	req->id.idiag_dport = htons(rport);
	memcpy(req->id.idiag_src, laddr, 16);
	memcpy(req->id.idiag_dst, raddr, 16);
	req->id.idiag_cookie[0] = req->id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	o.id = &req->id;
	if (mnl_socket_sendto(d->sk, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	/* The request stays in d->buf's head; the answer goes after it. */
	do
		n = mnl_socket_recvfrom(d->sk, d->buf + 256, sizeof(d->buf) - 256);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	r = mnl_cb_run(d->buf + 256, (size_t)n, d->seq, d->portid, diag_one_cb, &o);
	if (r == MNL_CB_ERROR)
		return errno == ENOENT ? -ENOENT : (errno ? -errno : -EIO);
	return o.state;
}
