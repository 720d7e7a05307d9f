/*
 * xcf_bench.c - the coupling bus's small-message rate, and what CURVE costs.
 *
 * Prints plain lines "name value unit comment" (bench/README.md):
 *   zmq_plain_per_s   raw ZeroMQ, DEALER -> ROUTER over tcp loopback, no security
 *   zmq_curve_per_s   the same with CURVE (client and server keys)
 *   xcf_directed_per_s  the bus: xcf_send from one member to another (tcp
 *                     loopback), envelope encoded, received, authenticated
 *                     (ZAP User-Id), sequence-checked, decoded and delivered
 *                     to the application callback
 * Every figure is one thread doing both ends, as the stack's loop does:
 * send until the queue is full, then receive what is there, BENCH_MSGS
 * messages of BENCH_BODY bytes.  The ratios to zmq_plain_per_s, taken in the
 * same run, are the comparable figures.
 *
 * Usage: xcf_bench [messages, default 200000]
 */
#include "lib/lib.h"
#include "wire/wire.h"
#include "xcf/xcf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#define BENCH_BODY 100
#define BENCH_PORT 47300

static unsigned long nmsgs = 200000;

static double
secs_since(uint64_t t0)
{
	return (double)(lib_now_ns() - t0) / 1e9;
}

static void
die(const char *what)
{
	fprintf(stderr, "xcf_bench: %s: %s\n", what, zmq_strerror(errno));
	exit(1);
}

/* Raw ZeroMQ: a DEALER sending to a ROUTER, one thread; returns msgs/s. */
static double
raw_rate(int curve, int port)
{
	char spub[41], ssec[41], cpub[41], csec[41], ep[64];
	uint8_t body[BENCH_BODY], buf[256];
	unsigned long sent = 0, got = 0;
	void *ctx = zmq_ctx_new(), *rtr, *dlr;
	int one = 1, zero = 0;
	uint64_t t0;

	memset(body, 0x5a, sizeof(body));
	rtr = zmq_socket(ctx, ZMQ_ROUTER);
	dlr = zmq_socket(ctx, ZMQ_DEALER);
	zmq_setsockopt(rtr, ZMQ_LINGER, &zero, sizeof(zero));
	zmq_setsockopt(dlr, ZMQ_LINGER, &zero, sizeof(zero));
	if (curve) {
		if (zmq_curve_keypair(spub, ssec) < 0 || zmq_curve_keypair(cpub, csec) < 0)
			die("zmq_curve_keypair");
		zmq_setsockopt(rtr, ZMQ_CURVE_SERVER, &one, sizeof(one));
		zmq_setsockopt(rtr, ZMQ_CURVE_SECRETKEY, ssec, 41);
		zmq_setsockopt(dlr, ZMQ_CURVE_SERVERKEY, spub, 41);
		zmq_setsockopt(dlr, ZMQ_CURVE_PUBLICKEY, cpub, 41);
		zmq_setsockopt(dlr, ZMQ_CURVE_SECRETKEY, csec, 41);
	}
	snprintf(ep, sizeof(ep), "tcp://127.0.0.1:%d", port);
	if (zmq_bind(rtr, ep) < 0 || zmq_connect(dlr, ep) < 0)
		die("bind/connect");
	/* The connection up (one message through) before the clock starts. */
	zmq_send(dlr, body, sizeof(body), 0);
	zmq_recv(rtr, buf, sizeof(buf), 0);
	zmq_recv(rtr, buf, sizeof(buf), 0);
	t0 = lib_now_ns();
	while (got < nmsgs) {
		int flags = 0;	/* wait for the first, take the others that are there */

		while (sent < nmsgs && zmq_send(dlr, body, sizeof(body), ZMQ_DONTWAIT) >= 0)
			sent++;
		while (got < sent && zmq_recv(rtr, buf, sizeof(buf), flags) >= 0) {
			zmq_recv(rtr, buf, sizeof(buf), 0);
			got++;
			flags = ZMQ_DONTWAIT;
		}
	}
	zmq_close(dlr);
	zmq_close(rtr);
	zmq_ctx_term(ctx);
	return (double)nmsgs / secs_since(t0);
}

/* ---- the bus ------------------------------------------------------------------- */

static uv_loop_t loop;
static unsigned long delivered;
static int joined[2];

static void
join_cb(struct xcf *x, const struct xcf_member_info *m, void *arg)
{
	LIB_UNUSED(x);
	if (strcmp(m->member, "SYSATCPCS") && strcmp(m->member, "SYSBTCPCS"))
		return;
	joined[*(int *)arg] |= strcmp(m->member, "SYSATCPCS") == 0 ? 1 : 2;
}

static void
msg_cb(struct xcf *x, const struct xcf_member_info *from, uint8_t type, const uint8_t *body,
       size_t len, int group, void *arg)
{
	LIB_UNUSED(x);
	LIB_UNUSED(from);
	LIB_UNUSED(type);
	LIB_UNUSED(body);
	LIB_UNUSED(len);
	LIB_UNUSED(group);
	LIB_UNUSED(arg);
	delivered++;
}

static double
xcf_rate(int port)
{
	static const struct xcf_cbs cbs = { join_cb, NULL, msg_cb, NULL };
	static struct xcf_couple couple;
	static int idx[2] = { 0, 1 };
	char text[1024], err[300];
	struct xcf *x[2];
	uint8_t body[BENCH_BODY];
	unsigned long sent = 0;
	uint64_t t0, dl;
	int i, rc;
#ifdef XCF_KEY_LEN
	char pub[2][XCF_KEY_LEN + 1], sec[2][XCF_KEY_LEN + 1];

	for (i = 0; i < 2; i++)
		if (xcf_keypair(pub[i], sec[i]) < 0)
			die("xcf_keypair");
	snprintf(text, sizeof(text),
		 "SYSPLEX BENCH\nMEMBER SYSA TCPCS tcp://127.0.0.1:%d KEY %s\n"
		 "MEMBER SYSB TCPCS tcp://127.0.0.1:%d KEY %s\n", port, pub[0], port + 2, pub[1]);
#else
	snprintf(text, sizeof(text),
		 "SYSPLEX BENCH\nMEMBER SYSA TCPCS tcp://127.0.0.1:%d\n"
		 "MEMBER SYSB TCPCS tcp://127.0.0.1:%d\n", port, port + 2);
#endif
	if (xcf_couple_parse_buf(&couple, "bench", text, strlen(text), err, sizeof(err)) < 0) {
		fprintf(stderr, "xcf_bench: %s\n", err);
		exit(1);
	}
	uv_loop_init(&loop);
	for (i = 0; i < 2; i++) {
		struct xcf_config cfg;

		memset(&cfg, 0, sizeof(cfg));
		cfg.couple = &couple;
		cfg.sysname = i ? "SYSB" : "SYSA";
		cfg.tcpname = "TCPCS";
#ifdef XCF_KEY_LEN
		cfg.secret_key = sec[i];
		cfg.peer_rate = 100000000;	/* the product's default would cap the figure */
#endif
		x[i] = xcf_new(&loop, &cfg, &cbs, &idx[i]);
		if (!x[i] || xcf_join(x[i]) < 0)
			die("xcf_new/xcf_join");
	}
	dl = lib_now_ms() + 30000;
	while ((joined[0] != 3 || joined[1] != 3) && lib_now_ms() < dl)
		uv_run(&loop, UV_RUN_ONCE);
	memset(body, 0x5a, sizeof(body));
	/* The DEALER's connection up: one message through. */
	while ((rc = xcf_send(x[0], "SYSBTCPCS", WIRE_XCF_TGT_SYNC_REQ, body, 16)) < 0 &&
	       lib_now_ms() < dl)
		uv_run(&loop, UV_RUN_NOWAIT);
	while (delivered < 1 && lib_now_ms() < dl)
		uv_run(&loop, UV_RUN_ONCE);
	if (delivered < 1) {
		fprintf(stderr, "xcf_bench: the bus did not come up\n");
		exit(1);
	}
	delivered = 0;
	t0 = lib_now_ns();
	while (delivered < nmsgs && lib_now_ms() < dl + 120000) {
		while (sent < nmsgs &&
		       xcf_send(x[0], "SYSBTCPCS", WIRE_XCF_MIP6_COPY, body, sizeof(body)) == 0)
			sent++;
		uv_run(&loop, UV_RUN_NOWAIT);
	}
	t0 = lib_now_ns() - t0;
	for (i = 0; i < 2; i++)
		xcf_destroy(&x[i]);
	while (uv_run(&loop, UV_RUN_NOWAIT))
		;
	uv_loop_close(&loop);
	return (double)delivered / ((double)t0 / 1e9);
}

int
main(int argc, char **argv)
{
	double plain, curve, bus;

	if (argc > 1)
		nmsgs = strtoul(argv[1], NULL, 10);
	if (nmsgs < 1000)
		nmsgs = 1000;
	lib_log_init("xcf_bench", LIB_LOG_ERR);
	plain = raw_rate(0, BENCH_PORT + 10);
	curve = raw_rate(1, BENCH_PORT + 11);
	bus = xcf_rate(BENCH_PORT);
	printf("zmq_plain_per_s %16.0f msg/s   baseline: DEALER->ROUTER, %d-byte messages, "
	       "tcp loopback, one thread\n", plain, BENCH_BODY);
	printf("zmq_curve_per_s %16.0f msg/s   %.3fx of baseline: the same with CURVE\n", curve,
	       curve / plain);
	printf("xcf_directed_per_s %13.0f msg/s   %.3fx of baseline: xcf_send -> msg_cb "
	       "(envelope, %s), one loop\n", bus, bus / plain,
#ifdef XCF_KEY_LEN
	       "CURVE, ZAP User-Id, sequence check"
#else
	       "no security"
#endif
	);
	return 0;
}
