/*
 * test_agent_cn.c - proves that a per-connection binding in the client
 * agent (client-agent/cn.c, from libagent.a) never outlives its
 * connection, whatever becomes of the deleting Binding Update:
 *  - a segment of the bound connection goes to the care-of address (a Type 2
 *    Routing Header naming the home address is inserted);
 *  - a SYN from the same ports is a new connection: it goes to the home
 *    address unchanged (so the routing stack sees it and picks a target) and
 *    the old binding is gone; before, it went straight to the old target;
 *  - an RST goes direct (and the RSTs after it, for a second), then
 *    anything else ends the binding;
 *  - after the client's FIN the binding lives AGENT_FIN_LINGER_MS at most
 *    and no Binding Refresh Request is sent for it (one is, without a FIN);
 *  - the Binding Refresh Request comes in the last quarter of the lifetime
 *    the last BU was granted, however old the binding is;
 *  - a standard mobile node's packet: the Destination Options header that
 *    holds the Home Address option is dropped, not another one.
 * Packets are built byte by byte; what the agent writes to its TUN goes
 * into a datagram socket pair the test reads.
 *
 * And the Binding Update checks of RFC 6275 9.5.1, in their order, with
 * the agent's real raw Mobility Header socket in a network namespace of the
 * test's own (root; without it these tests are skipped and say so), where
 * the home, care-of and client addresses are local, so every answer the
 * agent sends comes back to a raw socket of the test:
 *  - a HoTI and a CoTI get a HoT and a CoT with the tokens of Kcn, the
 *    tested address and the current nonce; a BU with them is accepted and
 *    answered straight to the care-of address (RH2 naming the home address)
 *    with a BA whose authenticator verifies, lifetime capped at
 *    MAX_RR_BINDING_LIFETIME;
 *  - the order: H flag -> BA 131 before anything else; no Nonce Indices or
 *    Authorization Data -> discarded; an unknown or expired nonce index ->
 *    BA 136 / 137 / 138 before the authenticator is looked at; a wrong
 *    authenticator -> discarded before the sequence number is; a sequence
 *    number not newer (modulo 2^16) -> BA 135 carrying the one held;
 *  - quotas: a full per-connection cache or per-home table -> BA 130, while
 *    existing bindings still refresh;
 *  - lifetime 0 deletes the binding and is acknowledged to the home address.
 * And --standard: the agent as a plain RFC 6275 correspondent node skips
 * our vendor options (no COPYTO echoed, the BU binds the home address, the
 * BA carries none); a per-home-address binding in use near its end gets a
 * Binding Refresh Request without options through the care-of address.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <string.h>
#include <sys/socket.h>
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
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, pipefd), 0);
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

/* No binding in use: none at all, or one kept for its sequence number. */
static int
unbound(void)
{
	const struct agent_conn_binding *c = binding();

	return !c || c->deleted;
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
	assert_true(unbound());
	assert_int_equal(ag.cnt.conn_ended, 1);
	/* And the new connection's segments stay routed. */
	assert_false(went_direct(WIRE_TCP_ACK));
}

static void
test_rst_goes_direct_then_ends(void **state)
{
	(void)state;
	assert_true(went_direct(WIRE_TCP_RST | WIRE_TCP_ACK));
	assert_int_equal(ag.cnt.conn_ended, 1);
	/* The RSTs its kernel sends to segments still in flight follow it,
	 * for a moment only. */
	assert_non_null(binding());
	assert_true(binding()->expires_ms <= lib_now_ms() + AGENT_RST_LINGER_MS);
	assert_true(went_direct(WIRE_TCP_RST));
	/* Anything else: the binding is over. */
	assert_false(went_direct(WIRE_TCP_ACK));
	assert_true(unbound());
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
	assert_true(unbound());
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

/* A standard mobile node's packet (source = care-of address, Home Address
 * option) whose HAO is in the second of two Destination Options headers:
 * the agent rewrites the source to the home address and drops that
 * header only; the first stays, naming TCP as what follows it.  (It used
 * to drop the first.) */
static void
test_hao_strips_the_header_holding_it(void **state)
{
	uint8_t buf[256], out[256], *frame = buf + 64, *ip = frame + WIRE_VNET_HDR_LEN;
	uint8_t *d1 = ip + WIRE_IP6_HDR_LEN, *d2 = d1 + 8, *tcp = d2 + 24;
	struct agent_home_binding *b = &ag.cn.home[0];
	ssize_t n;

	(void)state;
	memset(b, 0, sizeof(*b));
	b->used = 1;
	memcpy(b->home, HOME, 16);
	memcpy(b->coa, COA, 16);
	b->expires_ms = lib_now_ms() + 100000;
	memset(buf, 0, sizeof(buf));
	ip[0] = 0x60;
	ip[5] = 8 + 24 + 20;
	ip[6] = WIRE_PROTO_DSTOPTS;
	ip[7] = 64;
	memcpy(ip + 8, COA, 16);
	memcpy(ip + 24, ME, 16);
	d1[0] = WIRE_PROTO_DSTOPTS;		/* a first header: PadN only */
	d1[1] = 0;
	d1[2] = 1;
	d1[3] = 4;
	d2[0] = WIRE_PROTO_TCP;			/* the second: PadN, then the HAO at 8n+6 */
	d2[1] = 2;
	d2[2] = 1;
	d2[3] = 2;
	d2[6] = 0xc9;
	d2[7] = 16;
	memcpy(d2 + 8, HOME, 16);
	tcp[0] = HPORT >> 8;
	tcp[1] = HPORT & 0xff;
	tcp[12] = 5 << 4;
	tcp[13] = WIRE_TCP_ACK;
	agent_cn_inbound_hao(&ag, frame, WIRE_VNET_HDR_LEN + WIRE_IP6_HDR_LEN + 8 + 24 + 20);
	n = read(pipefd[0], out, sizeof(out));
	assert_int_equal(n, WIRE_VNET_HDR_LEN + WIRE_IP6_HDR_LEN + 8 + 20);
	ip = out + WIRE_VNET_HDR_LEN;
	assert_memory_equal(ip + 8, HOME, 16);		/* source: the home address */
	assert_int_equal(ip[4] << 8 | ip[5], 8 + 20);
	assert_int_equal(ip[6], WIRE_PROTO_DSTOPTS);	/* the first header stays... */
	assert_int_equal(ip[WIRE_IP6_HDR_LEN], WIRE_PROTO_TCP);	/* ...naming TCP next */
	assert_int_equal(ip[WIRE_IP6_HDR_LEN + 2], 1);	/* its PadN */
	assert_int_equal(ip[WIRE_IP6_HDR_LEN + 8 + 13], WIRE_TCP_ACK);
}

/* ==== Binding Update checks (RFC 6275 9.5.1) ============================================ */

static int capfd = -1;		/* raw MH socket of the test, -1 without a namespace */

struct heard {
	uint8_t from[16], to[16];
	uint8_t mh[MIP6_MAX_LEN];
	size_t len;
	struct mip6_msg m;
};

static int
setup_bu(void **state)
{
	(void)state;
	if (capfd < 0)
		skip();
	memset(&ag, 0, sizeof(ag));
	ag.loop = uv_default_loop();
	ag.verdicts.what = "agent";
	assert_int_equal(agent_cn_init(&ag, 8), 0);	/* 2 per home or care-of address */
	assert_int_equal(agent_cn_start(&ag), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, pipefd), 0);
	ag.tun_fd = pipefd[1];
	return 0;
}

static int
teardown_bu(void **state)
{
	char junk[MIP6_MAX_LEN];

	(void)state;
	agent_cn_stop(&ag);
	agent_cn_fini(&ag);
	close(pipefd[0]);
	close(pipefd[1]);
	uv_run(ag.loop, UV_RUN_NOWAIT);
	while (recv(capfd, junk, sizeof(junk), MSG_DONTWAIT) >= 0)
		;
	return 0;
}

/* A Mobility Header from src to us (ME), as the MH socket hands it over. */
static void
mh_from(const uint8_t src[16], struct mip6_msg *m, int bad_auth, const uint8_t *kbm)
{
	uint8_t mh[MIP6_MAX_LEN];
	ssize_t n;

	m->proto = WIRE_PROTO_NONE;
	n = mip6_msg_encode(m, mh, sizeof(mh));
	assert_true(n > 0);
	if (kbm) {
		int off = mip6_auth_off(mh, (size_t)n);
		const uint8_t *coa = (m->opts.present & MIP6_OPTF(MIP6_OPT_ALTCOA)) ?
				     m->opts.alt_coa : src;

		assert_true(off > 0);
		assert_int_equal(mip6_bu_authenticator(kbm, coa, ME, mh, (size_t)n, (size_t)off,
						       mh + off), 0);
		if (bad_auth)
			mh[off] ^= 0x80;
	}
	mip6_csum_set(src, ME, mh, (size_t)n);
	agent_cn_rx_mh(&ag, src, ME, mh, (size_t)n);
}

/* The next Mobility Header the agent sent through its raw socket. */
static void
heard(struct heard *h)
{
	uint8_t cbuf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
	struct sockaddr_in6 from;
	struct iovec iov = { h->mh, sizeof(h->mh) };
	struct msghdr msg = { &from, sizeof(from), &iov, 1, cbuf, sizeof(cbuf), 0 };
	struct pollfd p = { capfd, POLLIN, 0 };
	struct cmsghdr *c;
	const char *why = NULL;
	ssize_t n;

	/* Local delivery: at once; the deadline only bounds a failure. */
	assert_int_equal(poll(&p, 1, 10000), 1);
	n = recvmsg(capfd, &msg, MSG_DONTWAIT);
	assert_true(n > 0);
	h->len = (size_t)n;
	memcpy(h->from, &from.sin6_addr, 16);
	memset(h->to, 0, 16);
	for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
		if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO)
			memcpy(h->to, ((struct in6_pktinfo *)CMSG_DATA(c))->ipi6_addr.s6_addr, 16);
	assert_int_equal(mip6_msg_decode(&h->m, h->mh, h->len, &why), 0);
}

/* The BA the agent sent through its raw socket to the home address. */
static uint8_t
ba_to_home(uint16_t *seq)
{
	struct heard h;

	heard(&h);
	assert_int_equal(h.m.type, MIP6_MH_BA);
	assert_memory_equal(h.to, HOME, 16);
	if (seq)
		*seq = h.m.ba.seq;
	return h.m.ba.status;
}

static const struct agent_nonce *
cur_nonce(void)
{
	return &ag.cn.nonces[ag.cn.nonce_idx % AGENT_NONCES];
}

/* Kbm for home (and coa unless deleting), from the nonce of index idx. */
static void
kbm_for(const uint8_t home[16], const uint8_t *coa, uint8_t out[MIP6_KBM_LEN])
{
	uint8_t h[MIP6_TOKEN_LEN], c[MIP6_TOKEN_LEN];

	mip6_keygen_token(ag.cn.kcn, home, cur_nonce()->nonce, 0, h);
	if (coa)
		mip6_keygen_token(ag.cn.kcn, coa, cur_nonce()->nonce, 1, c);
	mip6_kbm(h, coa ? c : NULL, out);
}

/* A BU from home naming COA, with the current nonce, for the connection
 * (cport, HPORT), or for the home address when cport is 0. */
static const uint8_t *bu_coa = COA;	/* the care-of address BUs name */

static void
bu_cport(uint16_t seq, uint16_t lifetime, uint8_t flags, uint16_t cport, const uint8_t home[16],
	 int bad_auth)
{
	struct mip6_msg m;
	uint8_t k[MIP6_KBM_LEN];
	int deleting = lifetime == 0;

	memset(&m, 0, sizeof(m));
	m.type = MIP6_MH_BU;
	m.bu.seq = seq;
	m.bu.flags = flags;
	m.bu.lifetime = lifetime;
	m.opts.present = MIP6_OPTF(MIP6_OPT_NONCE) | MIP6_OPTF(MIP6_OPT_AUTH) |
			 MIP6_OPTF(MIP6_OPT_ALTCOA);
	m.opts.home_nonce_idx = ag.cn.nonce_idx;
	m.opts.coa_nonce_idx = ag.cn.nonce_idx;
	memcpy(m.opts.alt_coa, bu_coa, 16);
	if (cport)
		wire_vso_conn_add(&m.opts, cport, HPORT);
	kbm_for(home, deleting ? NULL : bu_coa, k);
	mh_from(home, &m, bad_auth, k);
}

static void
bu(uint16_t seq, uint16_t lifetime, uint8_t flags, int conn, const uint8_t home[16],
   int bad_auth)
{
	bu_cport(seq, lifetime, flags, conn ? CPORT : 0, home, bad_auth);
}

/* The BA the agent sent straight to the care-of address (through its TUN,
 * with an RH2 naming the home address); its authenticator verifies. */
static void
ba_direct(uint16_t seq, uint16_t lifetime)
{
	uint8_t buf[2048], k[MIP6_KBM_LEN], auth[MIP6_AUTH_LEN];
	struct wire_pkt pk;
	struct mip6_msg m;
	const char *why = NULL;
	const uint8_t *mh;
	size_t mhlen;
	ssize_t n = read(pipefd[0], buf, sizeof(buf));

	assert_true(n > WIRE_VNET_HDR_LEN);
	assert_int_equal(wire_ip6_parse(&pk, buf + WIRE_VNET_HDR_LEN, (size_t)n - WIRE_VNET_HDR_LEN,
					&why), 0);
	assert_memory_equal(pk.src, ME, 16);
	assert_memory_equal(pk.dst, COA, 16);
	assert_non_null(pk.rh2_home);
	assert_memory_equal(pk.rh2_home, HOME, 16);
	assert_int_equal(pk.proto, WIRE_PROTO_MH);
	mh = buf + WIRE_VNET_HDR_LEN + pk.l4_off;
	mhlen = (size_t)n - WIRE_VNET_HDR_LEN - pk.l4_off;
	assert_true(mip6_csum_ok(ME, HOME, mh, mhlen));
	assert_int_equal(mip6_msg_decode(&m, mh, mhlen, &why), 0);
	assert_int_equal(m.type, MIP6_MH_BA);
	assert_int_equal(m.ba.status, MIP6_BA_ACCEPTED);
	assert_int_equal(m.ba.seq, seq);
	assert_int_equal(m.ba.lifetime, lifetime);
	kbm_for(HOME, COA, k);
	assert_int_equal(mip6_bu_authenticator(k, COA, ME, mh, mhlen, m.opts.auth_off, auth), 0);
	assert_memory_equal(auth, mh + m.opts.auth_off, MIP6_AUTH_LEN);
}

/* A HoTI from HOME (care_of 0) or a CoTI from COA (1) gets its answer at
 * that address: the cookie back, the current nonce's index, and the token
 * of Kcn, the address and that nonce. */
static void
init_answered(int care_of)
{
	const uint8_t *addr = care_of ? COA : HOME;
	const struct mip6_test *t;
	struct mip6_msg m;
	struct heard h;
	uint8_t tok[MIP6_TOKEN_LEN];

	memset(&m, 0, sizeof(m));
	m.type = care_of ? MIP6_MH_COTI : MIP6_MH_HOTI;
	memset(care_of ? m.coti.cookie : m.hoti.cookie, 0x11 + care_of, MIP6_COOKIE_LEN);
	mh_from(addr, &m, 0, NULL);
	heard(&h);
	assert_int_equal(h.m.type, care_of ? MIP6_MH_COT : MIP6_MH_HOT);
	assert_memory_equal(h.to, addr, 16);
	t = care_of ? &h.m.cot : &h.m.hot;
	assert_memory_equal(t->cookie, care_of ? m.coti.cookie : m.hoti.cookie, MIP6_COOKIE_LEN);
	assert_int_equal(t->nonce_idx, ag.cn.nonce_idx);
	mip6_keygen_token(ag.cn.kcn, addr, cur_nonce()->nonce, care_of, tok);
	assert_memory_equal(t->token, tok, MIP6_TOKEN_LEN);
}

static void
test_rr_then_bu_accepted(void **state)
{
	struct agent_conn_binding *c;

	(void)state;
	init_answered(0);
	init_answered(1);

	bu(9, 0xffff, MIP6_BU_F_A, 1, HOME, 0);
	ba_direct(9, MIP6_MAX_RR_BINDING_LIFETIME / 4);	/* capped */
	c = binding();
	assert_non_null(c);
	assert_memory_equal(c->coa, COA, 16);
	assert_int_equal(c->seq, 9);
	assert_int_equal(c->life_s, MIP6_MAX_RR_BINDING_LIFETIME);
	assert_int_equal(ag.cnt.bu_accepted, 1);
	assert_int_equal(ag.cnt.bu_rejected, 0);
}

static void
test_bu_checks_in_order(void **state)
{
	struct mip6_msg m;
	uint64_t rejected, ba_sent;
	uint16_t seq;

	(void)state;
	/* H flag: BA 131 first, whatever else is wrong (bad authenticator). */
	bu(1, 10, MIP6_BU_F_A | MIP6_BU_F_H, 1, HOME, 1);
	assert_int_equal(ba_to_home(NULL), MIP6_BA_HOME_REG_UNSUPPORTED);

	/* No Nonce Indices: discarded, nothing sent. */
	ba_sent = ag.cnt.tx[MIP6_MH_BA];
	memset(&m, 0, sizeof(m));
	m.type = MIP6_MH_BU;
	m.bu.seq = 1;
	m.bu.flags = MIP6_BU_F_A;
	m.bu.lifetime = 10;
	m.opts.present = MIP6_OPTF(MIP6_OPT_AUTH);
	mh_from(HOME, &m, 0, NULL);
	assert_int_equal(ag.cnt.tx[MIP6_MH_BA], ba_sent);
	assert_int_equal(lib_verdict_count(&ag.verdicts, "BU without Nonce Indices or Binding "
					   "Authorization Data (discarded)"), 1);

	/* Unknown nonce indices: 136 / 137 / 138, before the authenticator. */
	memset(&m, 0, sizeof(m));
	m.type = MIP6_MH_BU;
	m.bu.seq = 1;
	m.bu.flags = MIP6_BU_F_A;
	m.bu.lifetime = 10;
	m.opts.present = MIP6_OPTF(MIP6_OPT_NONCE) | MIP6_OPTF(MIP6_OPT_AUTH) |
			 MIP6_OPTF(MIP6_OPT_ALTCOA);
	memcpy(m.opts.alt_coa, COA, 16);
	m.opts.home_nonce_idx = (uint16_t)(ag.cn.nonce_idx + 5);
	m.opts.coa_nonce_idx = ag.cn.nonce_idx;
	mh_from(HOME, &m, 0, NULL);
	assert_int_equal(ba_to_home(NULL), MIP6_BA_EXPIRED_HOME_NONCE);
	m.opts.home_nonce_idx = ag.cn.nonce_idx;
	m.opts.coa_nonce_idx = (uint16_t)(ag.cn.nonce_idx + 5);
	mh_from(HOME, &m, 0, NULL);
	assert_int_equal(ba_to_home(NULL), MIP6_BA_EXPIRED_COA_NONCE);
	m.opts.home_nonce_idx = (uint16_t)(ag.cn.nonce_idx + 5);
	mh_from(HOME, &m, 0, NULL);
	assert_int_equal(ba_to_home(NULL), MIP6_BA_EXPIRED_NONCES);
	assert_null(binding());

	/* A good binding at 100; then a wrong authenticator with an old
	 * sequence number is discarded (the authenticator comes first)... */
	bu(100, 10, MIP6_BU_F_A, 1, HOME, 0);
	ba_direct(100, 10);
	ba_sent = ag.cnt.tx[MIP6_MH_BA];
	rejected = ag.cnt.bu_rejected;
	bu(50, 10, MIP6_BU_F_A, 1, HOME, 1);
	assert_int_equal(ag.cnt.tx[MIP6_MH_BA], ba_sent);
	assert_int_equal(ag.cnt.bu_rejected, rejected + 1);
	assert_int_equal(binding()->seq, 100);
	/* ...an authentic one with it gets 135 and the number we hold. */
	bu(100, 10, MIP6_BU_F_A, 1, HOME, 0);
	assert_int_equal(ba_to_home(&seq), MIP6_BA_SEQ_OUT_OF_WINDOW);
	assert_int_equal(seq, 100);
	assert_int_equal(binding()->seq, 100);
}

static void
test_sequence_numbers_wrap(void **state)
{
	uint16_t seq;

	(void)state;
	bu(65535, 10, MIP6_BU_F_A, 1, HOME, 0);
	ba_direct(65535, 10);
	bu(0, 10, MIP6_BU_F_A, 1, HOME, 0);		/* newer, modulo 2^16 */
	ba_direct(0, 10);
	bu(32767, 10, MIP6_BU_F_A, 1, HOME, 0);	/* 32767 ahead: newer */
	ba_direct(32767, 10);
	bu(65535, 10, MIP6_BU_F_A, 1, HOME, 0);	/* exactly 32768 ahead: not */
	assert_int_equal(ba_to_home(&seq), MIP6_BA_SEQ_OUT_OF_WINDOW);
	assert_int_equal(seq, 32767);
	assert_int_equal(ag.cnt.bu_refreshed, 2);
}

static void
test_expired_nonce(void **state)
{
	(void)state;
	ag.cn.nonces[ag.cn.nonce_idx % AGENT_NONCES].created_ms -=
		MIP6_MAX_NONCE_LIFETIME * 1000ull + 1;
	bu(1, 10, MIP6_BU_F_A, 1, HOME, 0);
	assert_int_equal(ba_to_home(NULL), MIP6_BA_EXPIRED_NONCES);
	assert_null(binding());
}

/* A BU from home (not HOME) for connection cport, accepted with its BA. */
static void
bu_accepted_from(const uint8_t home[16], uint16_t cport, uint16_t seq)
{
	static uint8_t coa[16];
	uint64_t accepted = ag.cnt.bu_accepted;


	/* A mobile node of its own: care-of address = home address + 1. */
	memcpy(coa, home, 16);
	coa[15]++;
	bu_coa = coa;
	bu_cport(seq, 10, 0, cport, home, 0);
	bu_coa = COA;
	assert_int_equal(ag.cnt.bu_accepted, accepted + 1);
}

static size_t
live_of(const uint8_t home[16])
{
	struct agent_conn_key k;
	size_t n = 0;
	uint32_t p;

	memset(&k, 0, sizeof(k));
	memcpy(k.home, home, 16);
	memcpy(k.client, ME, 16);
	k.home_port = HPORT;
	for (p = 1; p < 65536; p++) {
		const struct agent_conn_binding *c;
		k.client_port = (uint16_t)p;
		c = lib_tab_lookup(ag.cn.conns, &k);
		n += c && !c->deleted;
	}
	return n;
}

static void
test_connection_cache_quota(void **state)
{
	uint8_t homes[5][16];
	int i;

	(void)state;
	/* The cache of this agent holds 8 connections, 2 per home address.
	 * A third of HOME's evicts HOME's least recently active one. */
	bu_cport(1, 10, MIP6_BU_F_A, CPORT, HOME, 0);
	ba_direct(1, 10);
	bu_cport(1, 10, MIP6_BU_F_A, CPORT + 1, HOME, 0);
	ba_direct(1, 10);
	binding()->last_use_ms = lib_now_ms() + 1;	/* CPORT in use: CPORT + 1 goes */
	bu_cport(1, 10, MIP6_BU_F_A, CPORT + 2, HOME, 0);
	ba_direct(1, 10);
	assert_int_equal(live_of(HOME), 2);
	assert_non_null(binding());
	assert_int_equal(ag.cnt.bu_evicted, 1);
	/* A binding held still refreshes. */
	bu_cport(2, 10, MIP6_BU_F_A, CPORT, HOME, 0);
	ba_direct(2, 10);
	assert_int_equal(ag.cnt.bu_refreshed, 1);
	/* Full (4 homes x 2): a fifth home's BU is still accepted, in place
	 * of the least recently active binding of all. */
	for (i = 0; i < 5; i++) {
		memcpy(homes[i], HOME, 16);
		homes[i][13] = (uint8_t)(0x50 + i);
	}
	for (i = 0; i < 3; i++) {
		bu_accepted_from(homes[i], 1000, 1);
		bu_accepted_from(homes[i], 1001, 1);
	}
	assert_int_equal(lib_tab_count(ag.cn.conns), 8);
	binding()->last_use_ms = lib_now_ms() + 2;
	bu_accepted_from(homes[4], 1000, 1);
	assert_int_equal(lib_tab_count(ag.cn.conns), 8);
	assert_int_equal(live_of(homes[4]), 1);
	assert_non_null(binding());		/* in use: kept */
}

/* One attacker (its own home and care-of addresses, return routability
 * passed) sends per-connection BUs for thousands of ports: it only ever
 * replaces its own bindings, and another mobile node's BU is accepted. */
static void
test_one_node_cannot_fill_the_cache(void **state)
{
	uint8_t evil[16];
	uint32_t p;

	(void)state;
	memcpy(evil, HOME, 16);
	evil[13] = 0x66;
	for (p = 0; p < 2000; p++)
		bu_accepted_from(evil, (uint16_t)(2000 + p), 1);
	assert_int_equal(live_of(evil), ag.cn.quota_max);
	assert_int_equal(lib_tab_count(ag.cn.conns), ag.cn.quota_max);
	bu_cport(1, 10, MIP6_BU_F_A, CPORT, HOME, 0);
	ba_direct(1, 10);
	assert_non_null(binding());
}

/* A captured BU replayed after its binding was deleted, or after it
 * expired, is rejected as old while its nonces could still be valid. */
static void
test_replay_after_delete_or_expiry(void **state)
{
	uint16_t seq;

	(void)state;
	bu(1, 10, MIP6_BU_F_A, 1, HOME, 0);
	ba_direct(1, 10);
	bu(2, 0, MIP6_BU_F_A, 1, HOME, 0);	/* deleted */
	assert_int_equal(ba_to_home(NULL), MIP6_BA_ACCEPTED);
	assert_non_null(binding());
	assert_true(binding()->deleted);
	assert_false(went_direct(WIRE_TCP_ACK));	/* not used any more */
	bu(1, 10, MIP6_BU_F_A, 1, HOME, 0);	/* the replay */
	assert_int_equal(ba_to_home(&seq), MIP6_BA_SEQ_OUT_OF_WINDOW);
	assert_int_equal(seq, 2);
	assert_true(binding()->deleted);
	/* A newer one binds again. */
	bu(3, 10, MIP6_BU_F_A, 1, HOME, 0);
	ba_direct(3, 10);
	assert_false(binding()->deleted);
	/* Expiry keeps the number too... */
	binding()->expires_ms = lib_now_ms() - 1;
	agent_cn_tick(&ag);
	assert_true(binding()->deleted);
	bu(3, 10, MIP6_BU_F_A, 1, HOME, 0);
	assert_int_equal(ba_to_home(&seq), MIP6_BA_SEQ_OUT_OF_WINDOW);
	assert_int_equal(seq, 3);
	/* ...until every nonce it could have used has expired. */
	binding()->keep_ms = lib_now_ms() - 1;
	agent_cn_tick(&ag);
	assert_null(binding());
	/* The per-home kind likewise. */
	bu(7, 10, 0, 0, HOME, 0);
	bu(8, 0, MIP6_BU_F_A, 0, HOME, 0);
	assert_int_equal(ba_to_home(NULL), MIP6_BA_ACCEPTED);
	bu(7, 10, MIP6_BU_F_A, 0, HOME, 0);
	assert_int_equal(ba_to_home(&seq), MIP6_BA_SEQ_OUT_OF_WINDOW);
	assert_int_equal(seq, 8);
}

/* Binding Errors (to spoofable sources) are rate limited. */
static void
test_binding_errors_rate_limited(void **state)
{
	uint8_t mh[8] = { WIRE_PROTO_NONE, 0, 42, 0, 0, 0, 0, 0 };	/* unknown MH type 42 */
	int i;

	(void)state;
	for (i = 0; i < 3 * AGENT_ERR_RATE; i++) {
		mip6_csum_set(COA, ME, mh, sizeof(mh));
		agent_cn_rx_mh(&ag, COA, ME, mh, sizeof(mh));
	}
	/* The bucket holds AGENT_ERR_RATE; the test takes far less than a
	 * second per AGENT_ERR_RATE messages only on a fast machine, so
	 * bound what was sent by the elapsed time instead of assuming it. */
	assert_true(ag.cnt.tx[MIP6_MH_BE] >= AGENT_ERR_RATE);
	assert_true(ag.cnt.tx[MIP6_MH_BE] + ag.cnt.replies_limited == 3 * AGENT_ERR_RATE);
	assert_true(ag.cnt.replies_limited > 0 || ag.cnt.tx[MIP6_MH_BE] == 3 * AGENT_ERR_RATE);
}

static void
test_home_binding_quota(void **state)
{
	uint8_t home[16];
	int i;

	(void)state;
	memcpy(home, HOME, 16);
	home[13] = 0x42;
	for (i = 0; i < AGENT_MAX_HOME; i++) {
		home[15] = (uint8_t)i;
		bu(1, 10, 0, 0, home, 0);	/* standard mobile nodes: no A flag */
	}
	assert_int_equal(ag.cnt.bu_accepted, AGENT_MAX_HOME);
	/* One more: accepted in place of the least recently active. */
	bu(1, 10, MIP6_BU_F_A, 0, HOME, 0);
	assert_int_equal(ag.cnt.bu_accepted, AGENT_MAX_HOME + 1);
	assert_int_equal(ag.cnt.bu_evicted, 1);
}

static void
test_lifetime_zero_deletes(void **state)
{
	(void)state;
	bu(1, 10, MIP6_BU_F_A, 1, HOME, 0);
	ba_direct(1, 10);
	assert_non_null(binding());
	/* Deleting: the home token alone authorizes it. */
	bu(2, 0, MIP6_BU_F_A, 1, HOME, 0);
	assert_int_equal(ba_to_home(NULL), MIP6_BA_ACCEPTED);
	assert_true(binding()->deleted);	/* kept for its sequence number only */
	assert_int_equal(ag.cnt.bu_deleted, 1);
}

/* ==== --standard: a plain RFC 6275 correspondent node =================================== */

/* A standard node skips the options it does not know, our vendor options
 * among them: its CoT does not echo COPYTO, a BU with the connection option
 * binds the home address, and its BA carries no vendor option.  (Our agent,
 * the control: echoes COPYTO and binds the connection.) */
static void
cot_echo(int standard, int *echoed)
{
	struct mip6_msg m;
	struct heard h;
	struct mip6_vso *v;

	ag.standard = standard;
	memset(&m, 0, sizeof(m));
	m.type = MIP6_MH_COTI;
	memset(m.coti.cookie, 0x22, MIP6_COOKIE_LEN);
	v = &m.opts.vso[m.opts.n_vso++];
	v->vendor_id = WIRE_VSO_VENDOR;
	v->subtype = WIRE_VSO_COPYTO;
	v->len = 16;
	memcpy(v->bytes, HOME, 16);
	mh_from(COA, &m, 0, NULL);
	heard(&h);
	assert_int_equal(h.m.type, MIP6_MH_COT);
	*echoed = h.m.opts.n_vso;
}

static void
test_standard_skips_vendor_options(void **state)
{
	uint8_t buf[2048];
	struct wire_pkt pk;
	struct mip6_msg m;
	const char *why = NULL;
	ssize_t n;
	int echoed;

	(void)state;
	cot_echo(0, &echoed);
	assert_int_equal(echoed, 1);
	cot_echo(1, &echoed);
	assert_int_equal(echoed, 0);
	init_answered(0);
	bu(9, 60, MIP6_BU_F_A, 1, HOME, 0);		/* with the connection option */
	assert_null(binding());
	assert_true(ag.cn.home[0].used);		/* the home address is bound */
	assert_memory_equal(ag.cn.home[0].coa, COA, 16);
	assert_int_equal(ag.cn.home[0].life_s, 240);
	n = read(pipefd[0], buf, sizeof(buf));
	assert_true(n > WIRE_VNET_HDR_LEN);
	assert_int_equal(wire_ip6_parse(&pk, buf + WIRE_VNET_HDR_LEN, (size_t)n - WIRE_VNET_HDR_LEN,
					&why), 0);
	assert_int_equal(mip6_msg_decode(&m, buf + WIRE_VNET_HDR_LEN + pk.l4_off,
					 (size_t)n - WIRE_VNET_HDR_LEN - pk.l4_off, &why), 0);
	assert_int_equal(m.type, MIP6_MH_BA);
	assert_int_equal(m.ba.status, MIP6_BA_ACCEPTED);
	assert_int_equal(m.opts.n_vso, 0);
	assert_memory_equal(pk.dst, COA, 16);		/* straight to the care-of address */
	assert_int_equal(ag.cnt.bu_accepted, 1);
}

/* A per-home-address binding in use near its end gets a Binding Refresh
 * Request without any option, through the care-of address. */
static void
test_home_binding_brr(void **state)
{
	struct agent_home_binding *b = &ag.cn.home[0];
	uint8_t buf[512];
	struct wire_pkt pk;
	struct mip6_msg m;
	const char *why = NULL;
	ssize_t n;

	(void)state;
	lib_tab_remove(ag.cn.conns, &binding()->key);
	b->used = 1;
	memcpy(b->home, HOME, 16);
	memcpy(b->coa, COA, 16);
	memcpy(b->me, ME, 16);
	b->life_s = 16;
	b->expires_ms = lib_now_ms() + 10000;
	assert_true(went_direct(WIRE_TCP_ACK));		/* in use */
	agent_cn_tick(&ag);
	assert_int_equal(read(pipefd[0], buf, sizeof(buf)), -1);	/* not yet */
	b->expires_ms = lib_now_ms() + 4500;
	agent_cn_tick(&ag);
	n = read(pipefd[0], buf, sizeof(buf));
	assert_true(n > WIRE_VNET_HDR_LEN);
	assert_int_equal(wire_ip6_parse(&pk, buf + WIRE_VNET_HDR_LEN, (size_t)n - WIRE_VNET_HDR_LEN,
					&why), 0);
	assert_memory_equal(pk.dst, COA, 16);
	assert_non_null(pk.rh2_home);
	assert_memory_equal(pk.rh2_home, HOME, 16);
	assert_int_equal(mip6_msg_decode(&m, buf + WIRE_VNET_HDR_LEN + pk.l4_off,
					 (size_t)n - WIRE_VNET_HDR_LEN - pk.l4_off, &why), 0);
	assert_int_equal(m.type, MIP6_MH_BRR);
	assert_int_equal(m.opts.n_vso, 0);
	agent_cn_tick(&ag);				/* not again at once */
	assert_int_equal(ag.cnt.tx[MIP6_MH_BRR], 1);
}

/* A new namespace drops what is sent to an address before the kernel's
 * address work has installed its local route (Ip6OutNoRoutes): a probe (a
 * BRR) goes to each address in turn until one comes back from each. */
static int
path_ready_to(const uint8_t addr[16])
{
	uint8_t mh[8] = { WIRE_PROTO_NONE, 0, MIP6_MH_BRR, 0, 0, 0, 0, 0 }, buf[64];
	struct sockaddr_in6 sa;
	struct pollfd p = { capfd, POLLIN, 0 };
	int tries;

	memset(&sa, 0, sizeof(sa));
	sa.sin6_family = AF_INET6;
	memcpy(&sa.sin6_addr, addr, 16);
	for (tries = 0; tries < 200; tries++) {
		if (sendto(capfd, mh, sizeof(mh), 0, (struct sockaddr *)&sa, sizeof(sa)) < 0 &&
		    errno != ENETUNREACH && errno != EADDRNOTAVAIL)
			return -1;
		if (poll(&p, 1, 50) == 1) {
			while (recv(capfd, buf, sizeof(buf), MSG_DONTWAIT) >= 0)
				;
			return 0;
		}
	}
	return -1;
}

static int
path_ready(void)
{
	return path_ready_to(HOME) < 0 || path_ready_to(COA) < 0 || path_ready_to(ME) < 0 ? -1 : 0;
}

/* Everything below happens in a network namespace of our own: lo up, the
 * addresses of the home, the care-of and the client local. */
static int
namespace_up(void)
{
	struct lib_nl *nl;
	int on = 1, r = 0;

	if (geteuid() != 0) {
		fprintf(stderr, "test_agent_cn: not root: the Binding Update tests need a "
			"network namespace and are skipped\\n");
		return -1;
	}
	if (unshare(CLONE_NEWNET) != 0) {
		perror("test_agent_cn: unshare(CLONE_NEWNET)");
		return -1;
	}
	nl = lib_nl_open();
	if (!nl)
		return -1;
	r |= lib_nl_link_set(nl, lib_nl_ifindex("lo"), 1, 0, 0);
	r |= lib_nl_addr(nl, 1, lib_nl_ifindex("lo"), HOME, 128, 1);
	r |= lib_nl_addr(nl, 1, lib_nl_ifindex("lo"), ME, 128, 1);
	r |= lib_nl_addr(nl, 1, lib_nl_ifindex("lo"), COA, 128, 1);
	lib_nl_close(&nl);
	if (r < 0)
		return -1;
	capfd = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_MH);
	if (capfd < 0 || setsockopt(capfd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof(on)) < 0)
		return -1;
	return path_ready();
}

int
main(void)
{
#define TC(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
#define TB(f) cmocka_unit_test_setup_teardown(f, setup_bu, teardown_bu)
	const struct CMUnitTest tests[] = {
		TC(test_bound_segments_go_direct),
		TC(test_new_syn_ends_the_binding),
		TC(test_rst_goes_direct_then_ends),
		TC(test_fin_limits_the_binding),
		TC(test_brr_without_fin),
		TC(test_brr_from_granted_lifetime),
		TC(test_hao_strips_the_header_holding_it),
		TB(test_rr_then_bu_accepted),
		TB(test_bu_checks_in_order),
		TB(test_sequence_numbers_wrap),
		TB(test_expired_nonce),
		TB(test_connection_cache_quota),
		TB(test_home_binding_quota),
		TB(test_lifetime_zero_deletes),
		TB(test_standard_skips_vendor_options),
		TC(test_home_binding_brr),
		TB(test_one_node_cannot_fill_the_cache),
		TB(test_replay_after_delete_or_expiry),
		TB(test_binding_errors_rate_limited),
	};
#undef TC
#undef TB

	lib_log_init("test", LIB_LOG_ERR);
	if (namespace_up() < 0 && capfd >= 0) {
		close(capfd);
		capfd = -1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
