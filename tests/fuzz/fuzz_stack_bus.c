/*
 * fuzz_stack_bus.c - libFuzzer harness for the routing stack's XCF receive
 * path past the envelope (fuzz_xcf has the envelope and the codecs): the
 * message handlers of tcpip-stack/ (group.c's dispatch and role checks,
 * own.c, dist.c, tgt.c, mip6.c) as an authenticated member's message
 * reaches them, on the stack of tests/fuzz/fuzz_stack.h.
 *
 * Input: one octet (type 1..10 in the low four bits, modulo 10; bit 4:
 * published to the group; bits 5-6: the sender, SYSA (ourselves), SYSB or
 * SYSC), then the message body.  Proves, for any input: no crash, no read
 * out of bounds, no undefined behaviour (ASan, UBSan), whatever the
 * sender's role.  FUZZ_WRITE_SEEDS=DIR writes the seed inputs (one valid
 * message of each type) into DIR and exits.
 */
#include "tests/fuzz/fuzz_stack.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t seed[1 + WIRE_XCF_MAX_BODY];

/* A seed: sel octet, then the body. */
static void
put(const char *dir, const char *name, uint8_t sel, ssize_t n)
{
	if (n < 0)
		return;
	seed[0] = sel;
	fuzz_seed(dir, name, seed, 1 + (size_t)n);
}

static void
write_seeds(const char *dir)
{
	static struct wire_xcf_tgt_conn tc;
	struct wire_xcf_tgt_listen tl;
	struct wire_xcf_bind_info bi;
	struct wire_xcf_sync_req sr;
	static struct wire_xcf_mip6_copy mc;
	uint8_t *b = seed + 1;
	size_t cap = sizeof(seed) - 1;

	put(dir, "vipa_adv", (uint8_t)(WIRE_XCF_VIPA_ADV - 1) | 0x10 | 0x20, fz_vipa_adv(b, cap));
	put(dir, "dist_adv", (uint8_t)(WIRE_XCF_DIST_ADV - 1) | 0x10 | 0x20, fz_dist_adv(b, cap));
	memset(&tl, 0, sizeof(tl));
	tl.flags = WIRE_XCF_F_FULL | WIRE_XCF_F_MIP6;
	tl.n = 1;
	memcpy(tl.l[0].dvipa, FZ_DV1, 16);
	tl.l[0].port = 80;
	tl.l[0].rdy = 2;
	tl.l[0].weight = 1;
	put(dir, "tgt_listen", (uint8_t)(WIRE_XCF_TGT_LISTEN - 1) | 0x20, wire_xcf_tgt_listen_encode(&tl, b, cap));
	memset(&tc, 0, sizeof(tc));
	tc.flags = WIRE_XCF_F_FULL | WIRE_XCF_F_FIRST | WIRE_XCF_F_LAST;
	memcpy(tc.scope, FZ_DV1, 16);
	tc.n = 2;
	tc.c[0].event = WIRE_CONN_EST;
	memcpy(tc.c[0].dvipa, FZ_DV1, 16);
	tc.c[0].dport = 80;
	memcpy(tc.c[0].client, FZ_CLIENT, 16);
	tc.c[0].cport = 40000;
	tc.c[0].bypass = VIPA_BYPASS_BOUND;
	memcpy(tc.c[0].coa, FZ_XB, 16);
	tc.c[0].seq = 9;
	tc.c[1] = tc.c[0];
	tc.c[1].event = WIRE_CONN_END;
	tc.c[1].cport = 40001;
	put(dir, "tgt_conn", (uint8_t)(WIRE_XCF_TGT_CONN - 1) | 0x20, wire_xcf_tgt_conn_encode(&tc, b, cap));
	memset(&sr, 0, sizeof(sr));
	put(dir, "sync_req", (uint8_t)(WIRE_XCF_TGT_SYNC_REQ - 1) | 0x20, wire_xcf_sync_req_encode(&sr, b, cap));
	memset(&bi, 0, sizeof(bi));
	memcpy(bi.dvipa, FZ_DV2, 16);
	bi.dport = 8080;
	memcpy(bi.client, FZ_CLIENT, 16);
	bi.cport = 40002;
	bi.bypass = VIPA_BYPASS_BOUND;
	memcpy(bi.coa, FZ_XA, 16);
	bi.seq = 3;
	bi.lifetime = 105;
	put(dir, "bind_info", (uint8_t)(WIRE_XCF_BIND_INFO - 1) | 0x20, wire_xcf_bind_info_encode(&bi, b, cap));
	memset(&mc, 0, sizeof(mc));
	memcpy(mc.src, FZ_CLIENT, 16);
	memcpy(mc.dst, FZ_DV1, 16);
	memcpy(mc.coa, FZ_XB, 16);
	mc.mhlen = 8;
	mc.mh[0] = WIRE_PROTO_NONE;
	mc.mh[2] = MIP6_MH_BRR;
	mip6_csum_set(FZ_CLIENT, FZ_DV1, mc.mh, 8);
	put(dir, "mip6_copy", (uint8_t)(WIRE_XCF_MIP6_COPY - 1) | 0x20, wire_xcf_mip6_copy_encode(&mc, b, cap));
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
	uint8_t type, sel;

	if (size < 1 || size > 1 + WIRE_XCF_MAX_BODY)
		return 0;
	fz_stack_next();
	sel = data[0];
	type = (uint8_t)(1 + (sel & 0x0f) % 10);
	fz_deliver(((sel >> 5) & 3) % 3, type, data + 1, size - 1, (sel >> 4) & 1);
	return 0;
}
