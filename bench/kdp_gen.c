/*
 * kdp_gen.c - small-packet generator for bench/kdp.sh: sends one TCP ACK
 * (no payload unless -l) as fast as it can for a fixed time, from an
 * AF_PACKET socket with sendmmsg in batches (the qdisc bypassed), so the
 * receiving path, not the sender's TCP stack, is what saturates.
 *
 *   kdp_gen -i IF -m DSTMAC -s SRC -d DST [-H HOME] -p DPORT [-P SPORT]
 *           [-l PAYLOAD] [-t SECONDS] [-b BATCH]
 *
 * With -H the frame carries a Type 2 Routing Header (destination DST = a
 * care-of address, home address HOME), as a bypassed packet does; the TCP
 * checksum is over the final destination either way.  Prints one line:
 *   sent N seconds S pps X enobufs E
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "wire/wire.h"

#define BATCH_MAX 256

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
parse_mac(const char *s, uint8_t m[6])
{
	unsigned v[6];
	int i;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6)
		return -1;
	for (i = 0; i < 6; i++)
		m[i] = (uint8_t)v[i];
	return 0;
}

static void
usage(void)
{
	fprintf(stderr, "usage: kdp_gen -i IF -m DSTMAC -s SRC -d DST [-H HOME] -p DPORT [-P SPORT] "
			"[-l PAYLOAD] [-t SECONDS] [-b BATCH]\n");
	exit(2);
}

/* Builds the frame; returns its length. */
static size_t
build(uint8_t *f, size_t cap, const uint8_t smac[6], const uint8_t dmac[6], const uint8_t src[16],
      const uint8_t dst[16], const uint8_t *home, uint16_t sport, uint16_t dport, size_t paylen)
{
	uint8_t seg[2048];
	struct wire_wr w;
	struct mip6_rh2 rh;
	size_t seglen, i;
	uint16_t ck;

	wire_wr_init(&w, seg, sizeof(seg));
	wire_wr_u16(&w, sport);
	wire_wr_u16(&w, dport);
	wire_wr_u32(&w, 1);
	wire_wr_u32(&w, 1);
	wire_wr_u8(&w, 5 << 4);
	wire_wr_u8(&w, WIRE_TCP_ACK);
	wire_wr_u16(&w, 65535);
	wire_wr_u32(&w, 0);
	for (i = 0; i < paylen; i++)
		wire_wr_u8(&w, (uint8_t)i);
	seglen = w.off;
	ck = wire_csum_ip6(src, home ? home : dst, WIRE_PROTO_TCP, seg, seglen);
	seg[16] = (uint8_t)(ck >> 8);
	seg[17] = (uint8_t)ck;

	wire_wr_init(&w, f, cap);
	wire_wr_bytes(&w, dmac, 6);
	wire_wr_bytes(&w, smac, 6);
	wire_wr_u16(&w, 0x86dd);
	wire_wr_u32(&w, 0x60000000);
	wire_wr_u16(&w, (uint16_t)(seglen + (home ? WIRE_RH2_LEN : 0)));
	wire_wr_u8(&w, home ? WIRE_PROTO_ROUTING : WIRE_PROTO_TCP);
	wire_wr_u8(&w, 64);
	wire_wr_bytes(&w, src, 16);
	wire_wr_bytes(&w, dst, 16);
	if (home) {
		memset(&rh, 0, sizeof(rh));
		rh.next_hdr = WIRE_PROTO_TCP;
		rh.segleft = 1;
		memcpy(rh.home, home, 16);
		if (mip6_rh2_encode(&rh, f + w.off, cap - w.off) != WIRE_RH2_LEN)
			return 0;
		w.off += WIRE_RH2_LEN;
	}
	wire_wr_bytes(&w, seg, seglen);
	return wire_wr_result(&w) > 0 ? w.off : 0;
}

int
main(int argc, char **argv)
{
	static uint8_t frame[2048];
	struct mmsghdr msgs[BATCH_MAX];
	struct iovec iov;
	struct sockaddr_ll sll;
	struct ifreq ifr;
	uint8_t dmac[6], src[16], dst[16], home[16];
	const char *ifname = NULL;
	unsigned long sent = 0, enobufs = 0;
	unsigned sport = 40000, dport = 0, batch = 64;
	double secs = 3, t0, t;
	size_t paylen = 0, len;
	int ch, fd, one = 1, have_home = 0, have_mac = 0, have_src = 0, have_dst = 0, i;

	while ((ch = getopt(argc, argv, "i:m:s:d:H:p:P:l:t:b:")) != -1) {
		switch (ch) {
		case 'i': ifname = optarg; break;
		case 'm': have_mac = parse_mac(optarg, dmac) == 0; break;
		case 's': have_src = inet_pton(AF_INET6, optarg, src) == 1; break;
		case 'd': have_dst = inet_pton(AF_INET6, optarg, dst) == 1; break;
		case 'H': have_home = inet_pton(AF_INET6, optarg, home) == 1; if (!have_home) usage(); break;
		case 'p': dport = (unsigned)atoi(optarg); break;
		case 'P': sport = (unsigned)atoi(optarg); break;
		case 'l': paylen = (size_t)atoi(optarg); break;
		case 't': secs = atof(optarg); break;
		case 'b': batch = (unsigned)atoi(optarg); break;
		default: usage();
		}
	}
	if (!ifname || !have_mac || !have_src || !have_dst || !dport || dport > 65535 ||
	    sport > 65535 || paylen > 1400 || secs <= 0 || secs > 600 || !batch || batch > BATCH_MAX)
		usage();
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		perror("kdp_gen: socket(AF_PACKET)");
		return 1;
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) {
		perror("kdp_gen: SIOCGIFHWADDR");
		return 1;
	}
	len = build(frame, sizeof(frame), (const uint8_t *)ifr.ifr_hwaddr.sa_data, dmac, src, dst,
		    have_home ? home : NULL, (uint16_t)sport, (uint16_t)dport, paylen);
	if (!len) {
		fprintf(stderr, "kdp_gen: cannot build the frame\n");
		return 1;
	}
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = (int)if_nametoindex(ifname);
	sll.sll_protocol = htons(ETH_P_IPV6);
	if (!sll.sll_ifindex || bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		perror("kdp_gen: bind");
		return 1;
	}
	setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));
	iov.iov_base = frame;
	iov.iov_len = len;
	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < (int)batch; i++) {
		msgs[i].msg_hdr.msg_iov = &iov;
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	t0 = now_s();
	do {
		int n = sendmmsg(fd, msgs, batch, 0);

		if (n > 0)
			sent += (unsigned long)n;
		else if (n < 0 && errno == ENOBUFS)
			enobufs++;
		else if (n < 0 && errno != EINTR) {
			perror("kdp_gen: sendmmsg");
			return 1;
		}
		t = now_s();
	} while (t - t0 < secs);
	printf("sent %lu seconds %.3f pps %.0f enobufs %lu\n", sent, t - t0, (double)sent / (t - t0),
	       enobufs);
	close(fd);
	return 0;
}
