/*
 * fuzz_ip4.c - libFuzzer harness for the IPv4 and GRE codecs (wire/ip4.c,
 * wire/gre.c, wire/csum.c).
 *
 * Input: one byte of options (GRE flags for the encapsulation), then a
 * packet.  Properties checked, beyond "no crash, no out-of-bounds access"
 * (ASan sees every read of the exact-size buffers):
 *  - a successful wire_ip4_parse has its offsets inside the packet;
 *  - a successful wire_gre4_decap has the inner packet inside the input and
 *    its GRE header re-encodes to the same bytes;
 *  - wire_ip4_set_dst on a copy either fails leaving it unchanged or
 *    succeeds with a valid header checksum whenever the input had one, and
 *    changes only the destination and the two checksum fields;
 *  - when wire_gre4_encap succeeds, wire_gre4_decap of the result succeeds
 *    and gives back the packet (up to its total length) unchanged;
 *  - wire_icmp4_frag_needed never writes past its buffer;
 *  - a checksum wire_ip4_csum_partial finds left to the device lies inside
 *    the packet's total length.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wire/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t src[4] = { 10, 1, 0, 1 }, dst[4] = { 10, 1, 0, 3 };
static uint8_t room[WIRE_GRE_HDR_MAX + WIRE_IP4_HDR_LEN + 70000];

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wire_pkt4 pk;
	struct wire_gre4_info info;
	struct wire_gre g;
	uint8_t *copy, icmp[128];
	size_t over, len;
	ssize_t n;
	uint8_t opt;

	if (size < 1 || size > 65535 + 1)
		return 0;
	opt = data[0];
	data++;
	len = size - 1;

	if (wire_ip4_parse(&pk, data, len, NULL) == 0) {
		if (pk.l4_off > len || pk.ip.tot_len > len || pk.ip.hlen > pk.ip.tot_len)
			abort();
		if (pk.ip.proto == WIRE_PROTO_TCP && !pk.is_fragment &&
		    (size_t)pk.l4_off + pk.tcp_hlen > pk.ip.tot_len)
			abort();
	}

	{
		struct wire_ip4 h;
		uint16_t cs, co;

		/* The field it names lies inside the packet's total length. */
		if (wire_ip4_csum_partial(data, len, &cs, &co) &&
		    (wire_ip4_decode(&h, data, len, NULL) != 0 || h.tot_len > len ||
		     (size_t)cs + co + 2 > h.tot_len))
			abort();
	}

	if (wire_gre4_decap(&info, data, len, NULL) == 0) {
		uint8_t hdr[WIRE_GRE_HDR_MAX];
		size_t gl = wire_gre_hlen(&info.gre);

		if (info.inner_off + info.inner_len > len || info.inner_off < WIRE_IP4_HDR_LEN)
			abort();
		if (wire_gre_encode(&info.gre, hdr, sizeof(hdr)) != (ssize_t)gl)
			abort();
		/* The encoder writes the checksum and Reserved1 as 0; a
		 * received Reserved1 may be anything (RFC 2784 2.5). */
		if (info.gre.has_csum)
			memcpy(hdr + 4, data + info.outer.hlen + 4, 4);
		if (memcmp(hdr, data + info.outer.hlen, gl) != 0)
			abort();
	}

	copy = malloc(len ? len : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, len);
	if (wire_ip4_set_dst(copy, len, dst) < 0) {
		if (memcmp(copy, data, len) != 0)
			abort();
	} else {
		size_t i;

		if (wire_ip4_csum_ok(data, len) && !wire_ip4_csum_ok(copy, len))
			abort();
		for (i = 0; i < len; i++) {
			size_t tcs = (size_t)pk.l4_off + 16, ucs = (size_t)pk.l4_off + 6;

			if (copy[i] == data[i] || (i >= 16 && i < 20) || i == 10 || i == 11)
				continue;
			if (pk.ip.proto == WIRE_PROTO_TCP && (i == tcs || i == tcs + 1))
				continue;
			if (pk.ip.proto == WIRE_PROTO_UDP && (i == ucs || i == ucs + 1))
				continue;
			abort();
		}
	}
	free(copy);

	memset(&g, 0, sizeof(g));
	g.has_csum = opt & 1;
	g.has_key = (opt >> 1) & 1;
	g.has_seq = (opt >> 2) & 1;
	g.key = 0x01020304;
	over = WIRE_IP4_HDR_LEN + wire_gre_hlen(&g);
	memcpy(room + over, data, len);
	n = wire_gre4_encap(room + over, len, src, dst, &g, 9);
	if (n > 0) {
		if (wire_gre4_decap(&info, room, (size_t)n, NULL) != 0)
			abort();
		if (info.inner_off != over || memcmp(room + over, data, info.inner_len) != 0)
			abort();
	}

	n = wire_icmp4_frag_needed(icmp, opt % sizeof(icmp), src, data, len, 1400);
	if (n > (ssize_t)(opt % sizeof(icmp)))
		abort();
	return 0;
}
