/*
 * fuzz_pkt.c - libFuzzer harness for the IPv6 packet view and the in-place
 * Type 2 Routing Header rewrite (wire/pkt.c, wire/csum.c).
 *
 * Input: 10 bytes of virtio-net header, then an IPv6 packet (shorter inputs
 * are parsed as a packet alone).  Properties checked, beyond "no crash, no
 * out-of-bounds access" (ASan sees every read of the exact-size buffers):
 *  - a successful parse has every offset and pointer inside the packet;
 *  - when wire_rh2_insert succeeds, wire_ip6_parse of the result finds the
 *    RH2 at offset 40 whenever the input parsed without a routing header,
 *    and wire_rh2_strip restores the original bytes and vnet header (for
 *    a checksum start of at least 40, as every real packet has);
 *  - wire_rh2_strip of the raw input never writes outside the packet.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wire/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t coa[16] = {0xfd, 0x00, 0x00, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02};

static void
check_view(const struct wire_pkt *pk, const uint8_t *p, size_t len)
{
	const uint8_t *end = p + len;

	if (pk->l4_off > len || pk->rh_off > len || pk->hao_off > len)
		abort();
	if (pk->rh2_home && (pk->rh2_home < p || pk->rh2_home + 16 > end))
		abort();
	if (pk->hao && (pk->hao < p || pk->hao + 16 > end))
		abort();
	if (pk->proto == WIRE_PROTO_TCP && !pk->is_fragment &&
	    (size_t)pk->l4_off + pk->tcp_hlen > len)
		abort();
	(void)wire_csum_ip6(pk->src, pk->dst, pk->proto, p + pk->l4_off, len - pk->l4_off);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wire_vnet_hdr vh0 = {0}, vh;
	struct wire_pkt pk, pk2;
	const uint8_t *pkt = data;
	size_t len = size;
	uint8_t *buf, *copy;
	const char *why;
	int parsed;
	ssize_t n, m;

	if (size >= WIRE_VNET_HDR_LEN) {
		wire_vnet_decode(&vh0, data);
		pkt = data + WIRE_VNET_HDR_LEN;
		len = size - WIRE_VNET_HDR_LEN;
	}
	parsed = wire_ip6_parse(&pk, pkt, len, &why) == 0;
	if (parsed)
		check_view(&pk, pkt, len);
	else if (!why)
		abort();

	/* Insert into a copy with exactly WIRE_RH2_LEN bytes of headroom. */
	buf = malloc(WIRE_RH2_LEN + len + 1);
	copy = malloc(len + 1);
	if (!buf || !copy)
		abort();
	memcpy(buf + WIRE_RH2_LEN, pkt, len);
	vh = vh0;
	n = wire_rh2_insert(buf + WIRE_RH2_LEN, len, coa, &vh);
	if (n >= 0) {
		if ((size_t)n != len + WIRE_RH2_LEN)
			abort();
		if (wire_ip6_parse(&pk2, buf, (size_t)n, &why) == 0) {
			check_view(&pk2, buf, (size_t)n);
			if (pk2.rh_off != WIRE_IP6_HDR_LEN || !pk2.rh2_home)
				abort();
		} else if (parsed && !pk.rh_off) {
			abort();	/* a good packet without RH stays good */
		}
		m = wire_rh2_strip(buf, (size_t)n, &vh);
		if (!(vh0.flags & WIRE_VNET_F_NEEDS_CSUM) || vh0.csum_start >= WIRE_IP6_HDR_LEN) {
			if (m != (ssize_t)len || memcmp(buf + WIRE_RH2_LEN, pkt, len) != 0 ||
			    memcmp(&vh, &vh0, sizeof(vh)) != 0)
				abort();
		}
	} else if (memcmp(buf + WIRE_RH2_LEN, pkt, len) != 0) {
		abort();	/* a failed insert leaves the packet alone */
	}

	/* Strip the raw input in place. */
	memcpy(copy, pkt, len);
	vh = vh0;
	m = wire_rh2_strip(copy, len, &vh);
	if (m >= 0 && (size_t)m + WIRE_RH2_LEN != len)
		abort();
	if (m < 0 && memcmp(copy, pkt, len) != 0)
		abort();
	free(buf);
	free(copy);
	return 0;
}
