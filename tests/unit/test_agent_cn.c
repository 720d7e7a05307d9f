/*
 * test_agent_cn.c - proves that a per-connection binding in the client
 * agent (client-agent/cn.c, from libagent.a) never outlives its
 * connection, whatever becomes of the deleting Binding Update:
 *  - a segment of the bound connection goes to the care-of address (a Type 2
 *    Routing Header naming the home address is inserted);
 *  - a SYN from the same ports is a new connection: it goes to the home
 *    address unchanged (so the routing stack sees it and picks a target) and
 *    the old binding is gone; before, it went straight to the old target;
 *  - an RST goes direct, then the binding is gone;
 *  - after the client's FIN the binding lives AGENT_FIN_LINGER_MS at most
 *    and no Binding Refresh Request is sent for it (one is, without a FIN);
 *  - the Binding Refresh Request comes in the last quarter of the lifetime
 *    the last BU was granted, however old the binding is.
 * Packets are built byte by byte; what the agent writes to its TUN goes
 * into a pipe the test reads.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "client-agent/agent.h"

static struct agent ag;
static int pipefd[2];
static const uint8_t HOME[16] = { 0xfd, 0, 1, 0, [15] = 1 };			/* fd00:100::1 */
static const uint8_t ME[16] = { 0xfd, 0, 0, 1, [14] = 1, [15] = 1 };		/* fd00:1::101 */
static const uint8_t COA[16] = { 0xfd, 0, 0, 0x10, [15] = 2 };			/* fd00:10::2 */
#define CPORT 42001
#define HPORT 8080

static int
setup(void **state)
{
	struct agent_conn_key k;
	struct agent_conn_binding *c;
	int created;

	(void)state;
	memset(&ag, 0, sizeof(ag));
	assert_int_equal(agent_cn_init(&ag, 64), 0);
	assert_int_equal(pipe2(pipefd, O_NONBLOCK | O_CLOEXEC), 0);
	ag.tun_fd = pipefd[1];
	ag.verdicts.what = "agent";
	memset(&k, 0, sizeof(k));
	memcpy(k.home, HOME, 16);
	memcpy(k.client, ME, 16);
	k.home_port = HPORT;
	k.client_port = CPORT;
	c = lib_tab_insert(ag.cn.conns, &k, &created);
	assert_non_null(c);
	memcpy(c->coa, COA, 16);
	c->seq = 5;
	/* Made 320 s ago for 420 s, 100 s left: in the last quarter of its
	 * lifetime, so a refresh would be due. */
	c->created_ms = lib_now_ms() - 320000;
	c->life_s = 420;
	c->expires_ms = lib_now_ms() + 100000;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	agent_cn_fini(&ag);
	close(pipefd[0]);
	close(pipefd[1]);
	return 0;
}

static struct agent_conn_binding *
binding(void)
{
	struct agent_conn_key k;

	memset(&k, 0, sizeof(k));
	memcpy(k.home, HOME, 16);
	memcpy(k.client, ME, 16);
	k.home_port = HPORT;
	k.client_port = CPORT;
	return lib_tab_lookup(ag.cn.conns, &k);
}

/* A client segment ME..CPORT -> HOME..HPORT with flags, in a frame with
 * headroom for the RH2; returns the frame pointer, *flen its length. */
static uint8_t *
segment(uint8_t *buf, uint8_t flags, size_t *flen)
{
	uint8_t *frame = buf + 64, *ip = frame + WIRE_VNET_HDR_LEN, *tcp = ip + WIRE_IP6_HDR_LEN;

	memset(buf, 0, 64 + WIRE_VNET_HDR_LEN + WIRE_IP6_HDR_LEN + 20);
	ip[0] = 0x60;
	ip[5] = 20;
	ip[6] = WIRE_PROTO_TCP;
	ip[7] = 64;
	memcpy(ip + 8, ME, 16);
	memcpy(ip + 24, HOME, 16);
	tcp[0] = CPORT >> 8;
	tcp[1] = CPORT & 0xff;
	tcp[2] = HPORT >> 8;
	tcp[3] = HPORT & 0xff;
	tcp[12] = 5 << 4;
	tcp[13] = flags;
	*flen = WIRE_VNET_HDR_LEN + WIRE_IP6_HDR_LEN + 20;
	return frame;
}

/* Sends one segment through the agent; 1 when it went to the care-of
 * address (an RH2 was inserted), 0 when it goes to the home address. */
static int
went_direct(uint8_t flags)
{
	static uint8_t buf[256];
	size_t flen;
	uint8_t *frame = segment(buf, flags, &flen), *out = agent_cn_outbound(&ag, frame, &flen);

	if (out == frame) {
		assert_memory_equal(out + WIRE_VNET_HDR_LEN + 24, HOME, 16);
		return 0;
	}
	assert_ptr_equal(out, frame - WIRE_RH2_LEN);
	assert_memory_equal(out + WIRE_VNET_HDR_LEN + 24, COA, 16);
	assert_int_equal(out[WIRE_VNET_HDR_LEN + 6], WIRE_PROTO_ROUTING);
	return 1;
}

static void
test_bound_segments_go_direct(void **state)
{
	(void)state;
	assert_true(went_direct(WIRE_TCP_ACK));
	assert_true(went_direct(WIRE_TCP_ACK | WIRE_TCP_PSH));
	assert_non_null(binding());
	assert_int_equal(ag.cnt.direct_pkts, 2);
	assert_int_equal(ag.cnt.conn_ended, 0);
}

static void
test_new_syn_ends_the_binding(void **state)
{
	(void)state;
	assert_false(went_direct(WIRE_TCP_SYN));
	assert_null(binding());
	assert_int_equal(ag.cnt.conn_ended, 1);
	/* And the new connection's segments stay routed. */
	assert_false(went_direct(WIRE_TCP_ACK));
}

static void
test_rst_goes_direct_then_ends(void **state)
{
	(void)state;
	assert_true(went_direct(WIRE_TCP_RST | WIRE_TCP_ACK));
	assert_null(binding());
	assert_false(went_direct(WIRE_TCP_ACK));
	assert_int_equal(ag.cnt.conn_ended, 1);
}

static void
test_fin_limits_the_binding(void **state)
{
	struct agent_conn_binding *c;
	uint64_t now;
	char junk[256];

	(void)state;
	assert_true(went_direct(WIRE_TCP_FIN | WIRE_TCP_ACK));
	now = lib_now_ms();
	c = binding();
	assert_non_null(c);
	assert_true(c->fin_ms > 0);
	assert_true(c->expires_ms <= now + AGENT_FIN_LINGER_MS);
	assert_true(went_direct(WIRE_TCP_ACK));	/* the last ACKs still go direct */
	/* The binding is in use and near its end: no BRR all the same. */
	agent_cn_tick(&ag);
	assert_int_equal(read(pipefd[0], junk, sizeof(junk)), -1);
	assert_int_equal(ag.cnt.tx[MIP6_MH_BRR], 0);
	/* Once the linger is over, it is gone. */
	c->expires_ms = lib_now_ms();
	agent_cn_tick(&ag);
	assert_null(binding());
	assert_false(went_direct(WIRE_TCP_ACK));
}

static void
test_brr_without_fin(void **state)
{
	struct agent_conn_binding *c;
	char junk[256];

	(void)state;
	/* The control case for the test above: in use, near its end, no FIN. */
	assert_true(went_direct(WIRE_TCP_ACK));
	c = binding();
	c->expires_ms = lib_now_ms() + 5000;
	agent_cn_tick(&ag);
	assert_true(read(pipefd[0], junk, sizeof(junk)) > 0);
	assert_int_equal(ag.cnt.tx[MIP6_MH_BRR], 1);
}

/* The request is timed from the lifetime the last BU was granted, not from
 * when the binding was first made: a binding made 400 s ago and just
 * refreshed for 16 s gets no request until its last quarter (plus 1 s), then
 * one, and the next one only an eighth of the lifetime (at least 1 s) later.
 * Before, the agent took (expiry - creation) / 4, which grows with every
 * refresh, and asked again at once after each refresh. */
static void
test_brr_from_granted_lifetime(void **state)
{
	struct agent_conn_binding *c;
	char junk[256];

	(void)state;
	assert_true(went_direct(WIRE_TCP_ACK));		/* in use */
	c = binding();
	c->created_ms = lib_now_ms() - 400000;
	c->life_s = 16;
	c->expires_ms = lib_now_ms() + 10000;		/* 10 of 16 s left */
	agent_cn_tick(&ag);
	assert_int_equal(read(pipefd[0], junk, sizeof(junk)), -1);
	assert_int_equal(ag.cnt.tx[MIP6_MH_BRR], 0);
	c->expires_ms = lib_now_ms() + 4500;		/* within 16 / 4 + 1 s */
	agent_cn_tick(&ag);
	assert_true(read(pipefd[0], junk, sizeof(junk)) > 0);
	assert_int_equal(ag.cnt.tx[MIP6_MH_BRR], 1);
	agent_cn_tick(&ag);				/* not again at once */
	assert_int_equal(ag.cnt.tx[MIP6_MH_BRR], 1);
	c->brr_ms = lib_now_ms() - 2100;			/* 16 / 8 s later: again */
	agent_cn_tick(&ag);
	assert_int_equal(ag.cnt.tx[MIP6_MH_BRR], 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bound_segments_go_direct, setup, teardown),
		cmocka_unit_test_setup_teardown(test_new_syn_ends_the_binding, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rst_goes_direct_then_ends, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fin_limits_the_binding, setup, teardown),
		cmocka_unit_test_setup_teardown(test_brr_without_fin, setup, teardown),
		cmocka_unit_test_setup_teardown(test_brr_from_granted_lifetime, setup, teardown),
	};

	lib_log_init("test", LIB_LOG_WARN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
