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
	if (m->idiag_family != AF_INET6)
		return MNL_CB_OK;
	memset(&s, 0, sizeof(s));
	memcpy(s.laddr, m->id.idiag_src, 16);
	memcpy(s.raddr, m->id.idiag_dst, 16);
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

int
lib_diag_tcp6(uint32_t states, int (*cb)(const struct lib_sock *s, void *arg), void *arg)
{
	struct diag_walk w = {.cb = cb, .arg = arg};
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
	req->sdiag_family = AF_INET6;
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
