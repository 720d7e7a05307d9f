/*
 * mip6peer.c - a mobile node of the tests' own, for the correspondent
 * node's (client agent's) quota and replay tests (tests/netns/
 * test_cn_limits.sh).  It passes return routability honestly from two
 * addresses of its own host, then sends authenticated Binding Updates.
 *
 *   mip6peer -h HOME -c COA -d CN flood COUNT FIRSTPORT
 *       COUNT per-connection BUs (our vendor option WIRE_VSO_CONN, client
 *       ports FIRSTPORT.., DVIPA port 80), sequence number 1, no A flag,
 *       paced so the correspondent's socket buffer never overflows.
 *       Prints "flood sent N".
 *   mip6peer -h HOME -c COA -d CN replay PORT
 *       A BU for connection PORT (seq 1), a deleting BU (seq 2, A flag:
 *       its BA comes to HOME), then the first BU again, byte for byte,
 *       with the A flag (its BA too).  Prints "delete STATUS replay STATUS"
 *       (the BAs' statuses; "none" when no BA came within 10 s).
 * Exit 0 when it ran, 1 on a socket or return routability failure, 2 on
 * usage.  Root (raw Mobility Header sockets).
 */
#include "lib/lib.h"
#include "wire/wire.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef IPPROTO_MH
#define IPPROTO_MH 135
#endif

static uint8_t home[16], coa[16], cn[16];
static int hfd = -1, cfd = -1;

static void
usage(void)
{
	fprintf(stderr, "usage: mip6peer -h HOME -c COA -d CN flood COUNT FIRSTPORT\n"
			"       mip6peer -h HOME -c COA -d CN replay PORT\n");
	exit(2);
}

/* A raw MH socket bound to addr; the kernel fills the checksum in. */
static int
mh_socket(const uint8_t addr[16])
{
	struct sockaddr_in6 sa;
	int off = 4, fd = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_MH);

	if (fd < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sin6_family = AF_INET6;
	memcpy(&sa.sin6_addr, addr, 16);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_CHECKSUM, &off, sizeof(off)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
send_mh(int fd, const uint8_t *mh, size_t len)
{
	struct sockaddr_in6 sa;

	memset(&sa, 0, sizeof(sa));
	sa.sin6_family = AF_INET6;
	memcpy(&sa.sin6_addr, cn, 16);
	while (sendto(fd, mh, len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (errno != ENOBUFS && errno != EAGAIN)
			return -1;
		usleep(1000);
	}
	return 0;
}

/* The next MH of type `type` on fd within ms, decoded into m; -1 none. */
static int
recv_mh(int fd, uint8_t type, struct mip6_msg *m, uint8_t *buf, size_t cap, int ms)
{
	uint64_t end = lib_now_ms() + (uint64_t)ms;

	for (;;) {
		uint64_t now = lib_now_ms();
		struct pollfd p = { fd, POLLIN, 0 };
		const char *why = NULL;
		ssize_t n;

		if (now >= end || poll(&p, 1, (int)(end - now)) != 1)
			return -1;
		n = recv(fd, buf, cap, MSG_DONTWAIT);
		if (n > 0 && mip6_msg_decode(m, buf, (size_t)n, &why) == 0 && m->type == type)
			return (int)n;
	}
}

/* One test: HoTI from HOME or CoTI from COA; the token and nonce index. */
static int
rr_test(int care_of, uint8_t token[MIP6_TOKEN_LEN], uint16_t *idx)
{
	uint8_t buf[MIP6_MAX_LEN];
	struct mip6_msg m, r;
	ssize_t n;
	int tries;

	for (tries = 0; tries < 10; tries++) {
		memset(&m, 0, sizeof(m));
		m.proto = WIRE_PROTO_NONE;
		m.type = care_of ? MIP6_MH_COTI : MIP6_MH_HOTI;
		if (getrandom(care_of ? m.coti.cookie : m.hoti.cookie, MIP6_COOKIE_LEN, 0) < 0)
			return -1;
		n = mip6_msg_encode(&m, buf, sizeof(buf));
		if (n < 0 || send_mh(care_of ? cfd : hfd, buf, (size_t)n) < 0)
			return -1;
		if (recv_mh(care_of ? cfd : hfd, care_of ? MIP6_MH_COT : MIP6_MH_HOT, &r, buf,
			    sizeof(buf), 1000) < 0)
			continue;
		memcpy(token, care_of ? r.cot.token : r.hot.token, MIP6_TOKEN_LEN);
		*idx = care_of ? r.cot.nonce_idx : r.hot.nonce_idx;
		return 0;
	}
	return -1;
}

/* An authenticated BU into buf; its length. */
static ssize_t
make_bu(uint8_t *buf, size_t cap, uint16_t seq, uint16_t lifetime, uint8_t flags, uint16_t port,
	const uint8_t htok[MIP6_TOKEN_LEN], uint16_t hidx, const uint8_t ctok[MIP6_TOKEN_LEN],
	uint16_t cidx)
{
	uint8_t kbm[MIP6_KBM_LEN];
	struct mip6_msg m;
	ssize_t n;
	int off;

	memset(&m, 0, sizeof(m));
	m.proto = WIRE_PROTO_NONE;
	m.type = MIP6_MH_BU;
	m.bu.seq = seq;
	m.bu.flags = flags;
	m.bu.lifetime = lifetime;
	m.opts.present = MIP6_OPTF(MIP6_OPT_NONCE) | MIP6_OPTF(MIP6_OPT_AUTH) |
			 MIP6_OPTF(MIP6_OPT_ALTCOA);
	m.opts.home_nonce_idx = hidx;
	m.opts.coa_nonce_idx = lifetime ? cidx : 0;
	memcpy(m.opts.alt_coa, lifetime ? coa : home, 16);
	wire_vso_conn_add(&m.opts, port, 80);
	n = mip6_msg_encode(&m, buf, cap);
	off = n > 0 ? mip6_auth_off(buf, (size_t)n) : -1;
	if (off < 0)
		return -1;
	mip6_kbm(htok, lifetime ? ctok : NULL, kbm);
	if (mip6_bu_authenticator(kbm, lifetime ? coa : home, cn, buf, (size_t)n, (size_t)off,
				  buf + off) < 0)
		return -1;
	return n;
}

static const char *
ba_status(char *s, size_t len)
{
	uint8_t buf[MIP6_MAX_LEN];
	struct mip6_msg m;

	if (recv_mh(hfd, MIP6_MH_BA, &m, buf, sizeof(buf), 10000) < 0)
		return "none";
	snprintf(s, len, "%u", m.ba.status);
	return s;
}

int
main(int argc, char **argv)
{
	uint8_t htok[MIP6_TOKEN_LEN], ctok[MIP6_TOKEN_LEN], bu1[MIP6_MAX_LEN], buf[MIP6_MAX_LEN];
	const char *h = NULL, *c = NULL, *d = NULL;
	uint16_t hidx, cidx;
	ssize_t n1, n;
	int ch;

	while ((ch = getopt(argc, argv, "h:c:d:")) != -1) {
		switch (ch) {
		case 'h': h = optarg; break;
		case 'c': c = optarg; break;
		case 'd': d = optarg; break;
		default: usage();
		}
	}
	if (!h || !c || !d || lib_ip6_parse(h, home) < 0 || lib_ip6_parse(c, coa) < 0 ||
	    lib_ip6_parse(d, cn) < 0 || optind >= argc)
		usage();
	hfd = mh_socket(home);
	cfd = mh_socket(coa);
	if (hfd < 0 || cfd < 0) {
		perror("mip6peer: raw Mobility Header socket");
		return 1;
	}
	if (rr_test(0, htok, &hidx) < 0 || rr_test(1, ctok, &cidx) < 0) {
		fprintf(stderr, "mip6peer: no HoT/CoT from the correspondent node\n");
		return 1;
	}
	if (strcmp(argv[optind], "flood") == 0 && argc - optind == 3) {
		unsigned long count = strtoul(argv[optind + 1], NULL, 10), i;
		unsigned first = (unsigned)strtoul(argv[optind + 2], NULL, 10);

		for (i = 0; i < count; i++) {
			n = make_bu(buf, sizeof(buf), 1, 10, 0, (uint16_t)(first + i), htok, hidx,
				    ctok, cidx);
			if (n < 0 || send_mh(hfd, buf, (size_t)n) < 0) {
				perror("mip6peer: send");
				return 1;
			}
			if (i % 256 == 255)
				usleep(2000);	/* the agent's socket buffer */
		}
		printf("flood sent %lu\n", count);
		return 0;
	}
	if (strcmp(argv[optind], "replay") == 0 && argc - optind == 2) {
		uint16_t port = (uint16_t)strtoul(argv[optind + 1], NULL, 10);
		char s1[8], s2[8];
		const char *st;

		n1 = make_bu(bu1, sizeof(bu1), 1, 10, MIP6_BU_F_A, port, htok, hidx, ctok, cidx);
		n = make_bu(buf, sizeof(buf), 2, 0, MIP6_BU_F_A, port, htok, hidx, ctok, cidx);
		/* The BA of the first goes to COA with a Type 2 Routing Header,
		 * which this kernel drops; the agent reads its socket in order. */
		if (n1 < 0 || n < 0 || send_mh(hfd, bu1, (size_t)n1) < 0 ||
		    send_mh(hfd, buf, (size_t)n) < 0)
			return 1;
		st = ba_status(s1, sizeof(s1));
		printf("delete %s ", st);
		if (send_mh(hfd, bu1, (size_t)n1) < 0)
			return 1;
		printf("replay %s\n", ba_status(s2, sizeof(s2)));
		return 0;
	}
	usage();
	return 2;
}
