/*
 * fuzz_agent_pkt.c - libFuzzer harness for the client agent's packet path
 * (client-agent/cn.c): what the client sends to a DVIPA through the TUN
 * (agent_cn_outbound: the binding lookup, the RH2 insertion), a mobile
 * node's packet with a Home Address option steered in from the LAN
 * (agent_cn_inbound_hao: the rewrite, the BU inside), and a Mobility
 * Header to the correspondent node (agent_cn_rx_mh: HoTI, CoTI, BU and its
 * checks, the binding cache, its quotas and kept entries).  The agent holds
 * a per-connection binding and a per-home binding; its TUN writes go to
 * /dev/null, its MH socket is closed (sends fail and are counted).
 *
 * Input: one octet choosing the path (modulo 3), then for the first two the
 * IPv6 packet, for the third the source address (16 octets) and the
 * Mobility Header (its checksum is set by the harness, so the decoder and
 * the checks behind it are reached).  Proves, for any input: no crash, no
 * read or write out of bounds, no undefined behaviour (ASan, UBSan).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/fuzz/fuzz_agent.h"
#include "tests/fuzz/fuzz_seed.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct agent ag;
static unsigned runs;
static uint8_t buf[AGENT_HEADROOM + AGENT_PKT_MAX];

static void
setup(void)
{
	if (ag.cn.conns)
		agent_cn_fini(&ag);
	else
		ag.tun_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	fuzz_agent_bind(&ag, 100000);
}

/* The seed inputs: a bound connection's segment, a mobile node's packet
 * with a HAO, a HoTI and a BU. */
static void
write_seeds(const char *dir)
{
	uint8_t p[512], *ip = p + 1;
	struct mip6_msg m;
	ssize_t n;

	memset(p, 0, sizeof(p));
	p[0] = 0;
	ip[0] = 0x60;
	ip[5] = 20;
	ip[6] = WIRE_PROTO_TCP;
	ip[7] = 64;
	memcpy(ip + 8, ME, 16);
	memcpy(ip + 24, HOME, 16);
	ip[40] = 42001 >> 8;
	ip[41] = 42001 & 0xff;
	ip[42] = 8080 >> 8;
	ip[43] = 8080 & 0xff;
	ip[52] = 5 << 4;
	ip[53] = WIRE_TCP_ACK;
	fuzz_seed(dir, "outbound_ack", p, 1 + 60);
	memset(p, 0, sizeof(p));
	p[0] = 1;
	ip[0] = 0x60;
	ip[5] = 24 + 20;
	ip[6] = WIRE_PROTO_DSTOPTS;
	ip[7] = 64;
	memcpy(ip + 8, COA, 16);
	memcpy(ip + 24, ME, 16);
	ip[40] = WIRE_PROTO_TCP;
	ip[41] = 2;
	ip[42] = 1;
	ip[43] = 2;
	ip[46] = 0xc9;
	ip[47] = 16;
	memcpy(ip + 48, HOME, 16);
	ip[64 + 12] = 5 << 4;
	ip[64 + 13] = WIRE_TCP_ACK;
	fuzz_seed(dir, "hao", p, 1 + 84);
	memset(p, 0, sizeof(p));
	p[0] = 2;
	memcpy(p + 1, HOME, 16);
	memset(&m, 0, sizeof(m));
	m.proto = WIRE_PROTO_NONE;
	m.type = MIP6_MH_HOTI;
	n = mip6_msg_encode(&m, p + 17, sizeof(p) - 17);
	if (n > 0)
		fuzz_seed(dir, "hoti", p, 17 + (size_t)n);
	memset(&m, 0, sizeof(m));
	m.proto = WIRE_PROTO_NONE;
	m.type = MIP6_MH_BU;
	m.bu.seq = 6;
	m.bu.flags = MIP6_BU_F_A;
	m.bu.lifetime = 10;
	m.opts.present = MIP6_OPTF(MIP6_OPT_NONCE) | MIP6_OPTF(MIP6_OPT_AUTH) |
			 MIP6_OPTF(MIP6_OPT_ALTCOA);
	m.opts.home_nonce_idx = 1;
	m.opts.coa_nonce_idx = 1;
	memcpy(m.opts.alt_coa, COA, 16);
	wire_vso_conn_add(&m.opts, 42001, 8080);
	n = mip6_msg_encode(&m, p + 17, sizeof(p) - 17);
	if (n > 0)
		fuzz_seed(dir, "bu", p, 17 + (size_t)n);
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
	uint8_t *frame = buf + AGENT_HEADROOM;
	size_t flen;

	if (size < 1 || size - 1 > AGENT_PKT_MAX - WIRE_VNET_HDR_LEN)
		return 0;
	if (!ag.cn.conns || ++runs % 4096 == 0)
		setup();
	switch (data[0] % 3) {
	case 0:
		memset(frame, 0, WIRE_VNET_HDR_LEN);
		memcpy(frame + WIRE_VNET_HDR_LEN, data + 1, size - 1);
		flen = WIRE_VNET_HDR_LEN + size - 1;
		if (flen > WIRE_VNET_HDR_LEN)
			agent_cn_outbound(&ag, frame, &flen);
		break;
	case 1:
		memset(frame, 0, WIRE_VNET_HDR_LEN);
		memcpy(frame + WIRE_VNET_HDR_LEN, data + 1, size - 1);
		if (size - 1 > 0)
			agent_cn_inbound_hao(&ag, frame, WIRE_VNET_HDR_LEN + size - 1);
		break;
	default: {
		uint8_t *mh;
		size_t len;

		if (size < 17 || size - 17 > MIP6_MAX_LEN)
			return 0;
		len = size - 17;
		mh = malloc(len ? len : 1);	/* exactly the message: ASan sees overreads */
		if (!mh)
			return 0;
		memcpy(mh, data + 17, len);
		if (len >= MIP6_HDR_LEN)
			mip6_csum_set(data + 1, ME, mh, len);
		agent_cn_rx_mh(&ag, data + 1, ME, mh, len);
		free(mh);
		break;
	}
	}
	return 0;
}
