/*
 * fuzz_stack_tun.c - libFuzzer harness for the routing stack's TUN slow
 * path (tcpip-stack/dp.c, stack_dp_packet): the classifier (to an owned
 * DVIPA: distributed or local; to our care-of address: RH2 stripped or a
 * Mobility Header; anything else dropped), distribution into the VCRT,
 * the RH2 insertion and Packet Too Big, and the Mobility Header receive
 * paths of the routing stack and of a target (mip6.c), on the stack of
 * tests/fuzz/fuzz_stack.h.
 *
 * Input: the IPv6 packet as a client (or a target) would send it; the
 * harness puts a zero virtio-net header and STACK_HEADROOM before it, as
 * the TUN read does.  Proves, for any input: no crash, no read or write out
 * of bounds, no undefined behaviour (ASan, UBSan).  FUZZ_WRITE_SEEDS=DIR
 * writes the seed inputs into DIR and exits.
 */
#include "tests/fuzz/fuzz_stack.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t frame[STACK_HEADROOM + STACK_PKT_MAX];

/* An IPv6 header src -> dst, next header nh, payload plen, at p. */
static void
ip6(uint8_t *p, const uint8_t src[16], const uint8_t dst[16], uint8_t nh, size_t plen)
{
	memset(p, 0, WIRE_IP6_HDR_LEN);
	p[0] = 0x60;
	p[4] = (uint8_t)(plen >> 8);
	p[5] = (uint8_t)plen;
	p[6] = nh;
	p[7] = 64;
	memcpy(p + 8, src, 16);
	memcpy(p + 24, dst, 16);
}

static void
tcp(uint8_t *t, uint16_t sport, uint16_t dport, uint8_t flags)
{
	memset(t, 0, 20);
	t[0] = (uint8_t)(sport >> 8);
	t[1] = (uint8_t)sport;
	t[2] = (uint8_t)(dport >> 8);
	t[3] = (uint8_t)dport;
	t[4] = 0x12;
	t[12] = 5 << 4;
	t[13] = flags;
}

static void
write_seeds(const char *dir)
{
	uint8_t p[2048];
	struct mip6_msg m;
	ssize_t n;

	ip6(p, FZ_CLIENT, FZ_DV1, WIRE_PROTO_TCP, 20);
	tcp(p + 40, 40000, 80, WIRE_TCP_SYN);
	fuzz_seed(dir, "syn", p, 60);
	ip6(p, FZ_CLIENT, FZ_DV1, WIRE_PROTO_TCP, 1460 + 20);
	tcp(p + 40, 40000, 80, WIRE_TCP_ACK);
	memset(p + 60, 'x', 1460);
	fuzz_seed(dir, "big_ack", p, 40 + 20 + 1460);	/* too big once the RH2 is in */
	ip6(p, FZ_CLIENT, FZ_DV1, WIRE_PROTO_TCP, 20);
	tcp(p + 40, 40000, 22, WIRE_TCP_SYN);
	fuzz_seed(dir, "local_port", p, 60);
	/* To our care-of address with an RH2 naming DV2 (we are its target). */
	ip6(p, FZ_CLIENT, FZ_XA, WIRE_PROTO_ROUTING, 24 + 20);
	p[40] = WIRE_PROTO_TCP;
	p[41] = 2;
	p[42] = 2;
	p[43] = 1;
	memcpy(p + 48, FZ_DV2, 16);
	tcp(p + 64, 40001, 8080, WIRE_TCP_ACK);
	fuzz_seed(dir, "rh2", p, 84);
	/* Mobility Headers: a HoT to DV1, a CoT to our care-of address. */
	memset(&m, 0, sizeof(m));
	m.proto = WIRE_PROTO_NONE;
	m.type = MIP6_MH_HOT;
	m.hot.nonce_idx = 1;
	n = mip6_msg_encode(&m, p + 40, sizeof(p) - 40);
	if (n > 0) {
		mip6_csum_set(FZ_CLIENT, FZ_DV1, p + 40, (size_t)n);
		ip6(p, FZ_CLIENT, FZ_DV1, WIRE_PROTO_MH, (size_t)n);
		fuzz_seed(dir, "hot", p, 40 + (size_t)n);
	}
	memset(&m, 0, sizeof(m));
	m.proto = WIRE_PROTO_NONE;
	m.type = MIP6_MH_BA;
	m.ba.seq = 7;
	m.opts.present = MIP6_OPTF(MIP6_OPT_AUTH);
	wire_vso_conn_add(&m.opts, 40000, 80);
	n = mip6_msg_encode(&m, p + 40, sizeof(p) - 40);
	if (n > 0) {
		mip6_csum_set(FZ_CLIENT, FZ_XA, p + 40, (size_t)n);
		ip6(p, FZ_CLIENT, FZ_XA, WIRE_PROTO_MH, (size_t)n);
		fuzz_seed(dir, "ba_to_coa", p, 40 + (size_t)n);
	}
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_seed_init(write_seeds);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *f = frame + STACK_HEADROOM;

	if (size > STACK_PKT_MAX - WIRE_VNET_HDR_LEN)
		return 0;
	fz_stack_next();
	memset(f, 0, WIRE_VNET_HDR_LEN);
	memcpy(f + WIRE_VNET_HDR_LEN, data, size);
	if (WIRE_VNET_HDR_LEN + size > WIRE_VNET_HDR_LEN)
		stack_dp_packet(&fz_st, f, WIRE_VNET_HDR_LEN + size);
	return 0;
}
