/*
 * xcfprobe.c - an outsider on the coupling bus, for tests/netns/test_xcf_auth.sh.
 *
 *   xcfprobe listen SECONDS [-k SERVERKEY] ENDPOINT [[-k SERVERKEY] ENDPOINT]...
 *       a SUB subscribed to everything, connected to every ENDPOINT (plain,
 *       or, with any -k, a CURVE client with a key pair of its own that
 *       knows the public key of the server of each following ENDPOINT);
 *       prints "frames N": what it received
 *   xcfprobe attack SECONDS ROUTER GROUP MEMBER DVIPA [SERVERKEY]
 *       first listens on GROUP (plain SUB) for up to 3 s to learn MEMBER's
 *       incarnation from its heartbeats, then for SECONDS sends from a
 *       DEALER whose routing id is MEMBER (plain, or a CURVE client with a
 *       key of its own and the server key SERVERKEY) to ROUTER, every 50 ms,
 *       frames that claim to come from MEMBER: a VIPA_ADV saying MEMBER
 *       defines DVIPA and has it ACTIVE, and a TGT_CONN reporting an
 *       established connection [fd00:1::99]:4242 -> [DVIPA]:8080.  Each in
 *       the current envelope and in that of version 2 (36 bytes, a 32-bit
 *       sequence number), so the same test shows the attack against a build
 *       of the bus without authentication.  Prints "sub_frames N incarnation
 *       I sent N".
 * Exit 0 when it ran (what it achieved is for the test to judge), 2 on usage
 * errors, 1 when a socket could not be made.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "lib/lib.h"
#include "wire/wire.h"

static void
usage(void)
{
	fprintf(stderr, "usage: xcfprobe listen SECONDS [-k SERVERKEY] ENDPOINT...\n"
		"       xcfprobe attack SECONDS ROUTER GROUP MEMBER DVIPA [SERVERKEY]\n");
	exit(2);
}

static void
die(const char *what)
{
	fprintf(stderr, "xcfprobe: %s: %s\n", what, zmq_strerror(errno));
	exit(1);
}

/* A socket; a CURVE client with a fresh key pair when server_key is set. */
static void *
sock(void *ctx, int type, const char *server_key)
{
	char pub[41], sec[41];
	void *s = zmq_socket(ctx, type);
	int zero = 0, one = 1;

	if (!s)
		die("zmq_socket");
	zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof(zero));
	zmq_setsockopt(s, ZMQ_IPV6, &one, sizeof(one));
	if (server_key) {
		if (zmq_curve_keypair(pub, sec) < 0 ||
		    zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, pub, 41) < 0 ||
		    zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, sec, 41) < 0 ||
		    zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, server_key, strlen(server_key) + 1) < 0)
			die("CURVE options");
	}
	return s;
}

static uint64_t
rd_be64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* Receives for ms; counts frames; remembers member's incarnation (from a
 * HEARTBEAT of envelope version 2 or 3: the same offsets up to it). */
static unsigned long
listen_for(void *s, unsigned ms, const char *member, uint64_t *inc)
{
	uint8_t buf[70000];
	unsigned long n = 0;
	uint64_t dl = lib_now_ms() + ms;

	while (lib_now_ms() < dl) {
		zmq_pollitem_t it = { s, 0, ZMQ_POLLIN, 0 };
		int r;

		if (zmq_poll(&it, 1, (long)(dl - lib_now_ms())) <= 0)
			continue;
		r = zmq_recv(s, buf, sizeof(buf), ZMQ_DONTWAIT);
		if (r < 0)
			continue;
		n++;
		if (member && r >= 36 && buf[0] == 'X' && buf[1] == 'C' && buf[3] == 1 &&
		    strncmp((const char *)buf + 8, member, 16) == 0)
			*inc = rd_be64(buf + 24);
	}
	return n;
}

/* Envelope + body, version 3 (this build) or 2 (36 bytes, u32 sequence). */
static size_t
frame(uint8_t *out, int version, uint8_t type, const char *member, uint64_t inc, uint64_t seq,
      const uint8_t *body, size_t blen)
{
	size_t hl = version == 2 ? 36 : WIRE_XCF_HDR_LEN, i;

	memset(out, 0, hl);
	out[0] = 'X';
	out[1] = 'C';
	out[2] = (uint8_t)version;
	out[3] = type;
	out[6] = (uint8_t)(blen >> 8);
	out[7] = (uint8_t)blen;
	memcpy(out + 8, member, strnlen(member, 16));
	for (i = 0; i < 8; i++)
		out[24 + i] = (uint8_t)(inc >> (56 - 8 * i));
	if (version == 2) {
		for (i = 0; i < 4; i++)
			out[32 + i] = (uint8_t)(seq >> (24 - 8 * i));
	} else {
		for (i = 0; i < 8; i++)
			out[32 + i] = (uint8_t)(seq >> (56 - 8 * i));
	}
	memcpy(out + hl, body, blen);
	return hl + blen;
}

static int
attack(unsigned secs, const char *router, const char *group, const char *member,
       const char *dvipa_s, const char *server_key)
{
	static struct wire_xcf_vipa_adv va;
	static struct wire_xcf_tgt_conn tc;
	uint8_t dvipa[16], client[16], vbody[64], cbody[128], out[256];
	void *ctx = zmq_ctx_new(), *sub, *dealer;
	unsigned long heard, sent = 0;
	uint64_t inc = 0, seq = 1000, dl;
	ssize_t vn, cn;
	int v;

	if (lib_ip6_parse(dvipa_s, dvipa) < 0 || lib_ip6_parse("fd00:1::99", client) < 0)
		usage();
	sub = sock(ctx, ZMQ_SUB, NULL);
	zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "", 0);
	if (zmq_connect(sub, group) < 0)
		die(group);
	heard = listen_for(sub, 3000, member, &inc);
	va.n = 1;
	memcpy(va.v[0].addr, dvipa, 16);
	va.v[0].origin = WIRE_VIPA_DEFINE;
	va.v[0].status = WIRE_VIPA_ACTIVE;
	va.v[0].flags = WIRE_VIPA_F_MIP6 | WIRE_VIPA_F_DIST;
	tc.n = 1;
	tc.c[0].event = WIRE_CONN_EST;
	memcpy(tc.c[0].dvipa, dvipa, 16);
	tc.c[0].dport = 8080;
	memcpy(tc.c[0].client, client, 16);
	tc.c[0].cport = 4242;
	vn = wire_xcf_vipa_adv_encode(&va, vbody, sizeof(vbody));
	cn = wire_xcf_tgt_conn_encode(&tc, cbody, sizeof(cbody));
	if (vn < 0 || cn < 0)
		die("encode");
	dealer = sock(ctx, ZMQ_DEALER, server_key);
	zmq_setsockopt(dealer, ZMQ_ROUTING_ID, member, strlen(member));
	if (zmq_connect(dealer, router) < 0)
		die(router);
	dl = lib_now_ms() + (uint64_t)secs * 1000;
	while (lib_now_ms() < dl) {
		for (v = 2; v <= 3; v++) {
			size_t n = frame(out, v, WIRE_XCF_VIPA_ADV, member, inc, ++seq, vbody,
					 (size_t)vn);

			if (zmq_send(dealer, out, n, ZMQ_DONTWAIT) >= 0)
				sent++;
			n = frame(out, v, WIRE_XCF_TGT_CONN, member, inc, ++seq, cbody, (size_t)cn);
			if (zmq_send(dealer, out, n, ZMQ_DONTWAIT) >= 0)
				sent++;
		}
		usleep(50000);
	}
	printf("sub_frames %lu incarnation %llu sent %lu\n", heard, (unsigned long long)inc, sent);
	zmq_close(sub);
	zmq_close(dealer);
	zmq_ctx_term(ctx);
	return 0;
}

int
main(int argc, char **argv)
{
	unsigned secs;

	if (argc < 4)
		usage();
	secs = (unsigned)strtoul(argv[2], NULL, 10);
	if (secs == 0 || secs > 600)
		usage();
	if (strcmp(argv[1], "listen") == 0) {
		const char *key = NULL;
		void *ctx = zmq_ctx_new(), *s;
		int i;

		for (i = 3; i < argc; i++)
			if (strcmp(argv[i], "-k") == 0 && i + 1 < argc)
				key = argv[i + 1];
		s = sock(ctx, ZMQ_SUB, key);
		zmq_setsockopt(s, ZMQ_SUBSCRIBE, "", 0);
		for (i = 3; i < argc; i++) {
			if (strcmp(argv[i], "-k") == 0) {
				if (++i == argc)
					usage();
				if (zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, argv[i],
						   strlen(argv[i]) + 1) < 0)
					die("ZMQ_CURVE_SERVERKEY");
				continue;
			}
			if (zmq_connect(s, argv[i]) < 0)
				die(argv[i]);
		}
		printf("frames %lu\n", listen_for(s, secs * 1000, NULL, NULL));
		zmq_close(s);
		zmq_ctx_term(ctx);
		return 0;
	}
	if (strcmp(argv[1], "attack") == 0 && (argc == 7 || argc == 8))
		return attack(secs, argv[3], argv[4], argv[5], argv[6], argc == 8 ? argv[7] : NULL);
	usage();
	return 2;
}
