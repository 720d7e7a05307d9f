/*
 * synflood.c - a bounded SYN flood from spoofed IPv6 sources, for the
 * routing stack's SYN flood test (tests/netns/test_synflood.sh) and by hand.
 *
 *   synflood -d DST -p PORT -n COUNT [-r PER_SECOND] [-s PREFIX]
 *
 * Sends COUNT TCP SYNs (with an MSS option, as a kernel sends them) to
 * [DST]:PORT from a raw IPv6 socket (IPPROTO_RAW: we write the IPv6 header),
 * each from a random address of PREFIX/64 (default fd00:99::/64, an address
 * nobody answers) and a random port and initial sequence number, in batches
 * (sendmmsg), paced to PER_SECOND when given.  Prints one line:
 *   "synflood sent N in S s (R/s), M send errors"
 * Exit 0 when it sent, 1 when the socket could not be made, 2 on usage.
 */
#include "lib/lib.h"
#include "wire/wire.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define SYN_LEN (40 + 24)	/* IPv6 + TCP with the 4-byte MSS option */

static uint64_t rng_state;

static uint64_t
rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static void
usage(void)
{
	fprintf(stderr, "usage: synflood -d DST -p PORT -n COUNT [-r PER_SECOND] [-s PREFIX]\n");
	exit(2);
}

/* One SYN from a random address of prefix (its upper 64 bits) to dst:port. */
static void
make_syn(uint8_t *p, const uint8_t prefix[16], const uint8_t dst[16], uint16_t port)
{
	uint64_t r = rng(), r2 = rng();
	uint8_t *tcp = p + 40;
	uint16_t sum, sport;

	memset(p, 0, SYN_LEN);
	p[0] = 0x60;
	p[4] = 0;
	p[5] = 24;			/* payload length */
	p[6] = 6;			/* TCP */
	p[7] = 64;
	memcpy(p + 8, prefix, 8);
	memcpy(p + 16, &r, 8);
	memcpy(p + 24, dst, 16);
	sport = (uint16_t)(1024 + (r2 & 0xefff));
	tcp[0] = (uint8_t)(sport >> 8);
	tcp[1] = (uint8_t)sport;
	tcp[2] = (uint8_t)(port >> 8);
	tcp[3] = (uint8_t)port;
	memcpy(tcp + 4, (uint8_t *)&r2 + 2, 4);	/* initial sequence number */
	tcp[12] = 6 << 4;		/* data offset: 24 bytes */
	tcp[13] = 0x02;			/* SYN */
	tcp[14] = 0xff;			/* window 65535 */
	tcp[15] = 0xff;
	tcp[20] = 2;			/* MSS 1440 */
	tcp[21] = 4;
	tcp[22] = 1440 >> 8;
	tcp[23] = 1440 & 0xff;
	sum = wire_csum_ip6(p + 8, p + 24, 6, tcp, 24);
	tcp[16] = (uint8_t)(sum >> 8);
	tcp[17] = (uint8_t)sum;
}

int
main(int argc, char **argv)
{
	static uint8_t pkts[BATCH][SYN_LEN];
	struct sockaddr_in6 to[BATCH];
	struct mmsghdr msg[BATCH];
	struct iovec iov[BATCH];
	uint8_t dst[16], prefix[16];
	const char *dst_s = NULL, *prefix_s = "fd00:99::";
	unsigned long count = 0, rate = 0, sent = 0, errors = 0;
	unsigned port = 0;
	uint64_t t0;
	int ch, fd, i;
	double secs;

	while ((ch = getopt(argc, argv, "d:p:n:r:s:")) != -1) {
		switch (ch) {
		case 'd': dst_s = optarg; break;
		case 'p': port = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'n': count = strtoul(optarg, NULL, 10); break;
		case 'r': rate = strtoul(optarg, NULL, 10); break;
		case 's': prefix_s = optarg; break;
		default: usage();
		}
	}
	if (!dst_s || lib_ip6_parse(dst_s, dst) < 0 || lib_ip6_parse(prefix_s, prefix) < 0 ||
	    port < 1 || port > 65535 || count < 1 || optind != argc)
		usage();
	if (getrandom(&rng_state, sizeof(rng_state), 0) != sizeof(rng_state) || !rng_state)
		rng_state = lib_now_ns() | 1;
	fd = socket(AF_INET6, SOCK_RAW, IPPROTO_RAW);
	if (fd < 0) {
		perror("synflood: socket(AF_INET6, SOCK_RAW, IPPROTO_RAW)");
		return 1;
	}
	memset(msg, 0, sizeof(msg));
	for (i = 0; i < BATCH; i++) {
		memset(&to[i], 0, sizeof(to[i]));
		to[i].sin6_family = AF_INET6;
		memcpy(&to[i].sin6_addr, dst, 16);
		iov[i].iov_base = pkts[i];
		iov[i].iov_len = SYN_LEN;
		msg[i].msg_hdr.msg_name = &to[i];
		msg[i].msg_hdr.msg_namelen = sizeof(to[i]);
		msg[i].msg_hdr.msg_iov = &iov[i];
		msg[i].msg_hdr.msg_iovlen = 1;
	}
	t0 = lib_now_ns();
	while (sent + errors < count) {
		unsigned n = count - sent - errors < BATCH ? (unsigned)(count - sent - errors) : BATCH;
		int r;

		if (rate) {
			/* Pace: the batch may go when its first packet is due. */
			uint64_t due = t0 + (sent + errors) * 1000000000ull / rate;
			uint64_t now = lib_now_ns();

			if (due > now) {
				struct timespec ts = { (time_t)((due - now) / 1000000000ull),
						       (long)((due - now) % 1000000000ull) };
				nanosleep(&ts, NULL);
			}
		}
		for (i = 0; i < (int)n; i++)
			make_syn(pkts[i], prefix, dst, (uint16_t)port);
		r = sendmmsg(fd, msg, n, 0);
		if (r < 0) {
			if (errno != ENOBUFS && errno != EAGAIN && errno != EINTR) {
				perror("synflood: sendmmsg");
				return 1;
			}
			errors += n;
			continue;
		}
		sent += (unsigned long)r;
		errors += n - (unsigned)r;
	}
	secs = (double)(lib_now_ns() - t0) / 1e9;
	printf("synflood sent %lu in %.2f s (%.0f/s), %lu send errors\n", sent, secs,
	       secs > 0 ? (double)sent / secs : 0.0, errors);
	close(fd);
	return 0;
}
