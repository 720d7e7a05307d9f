/*
 * test_wire_pkt.c - proves wire/csum.c and wire/pkt.c against bytes we did
 * not produce with the code under test:
 *  - checksums match RFC 1071's worked example, a well-known IPv4 header,
 *    a naive reference sum over random data, and the TCP/ICMPv6 checksums
 *    Scapy 2.5 computed for the packets below;
 *  - wire_ip6_parse finds ports, flags, extension headers, the Type 2
 *    Routing Header and the Home Address option in Scapy-built packets and
 *    in hand-built fragments, and rejects every truncation and every
 *    malformation cleanly (each buffer is an exact-size heap copy, so an
 *    over-read is caught by AddressSanitizer under SANITIZE=1);
 *  - wire_ip6_hdr_encode writes the fixed header of Scapy's TCP SYN byte for
 *    byte, and refuses a buffer shorter than 40 bytes;
 *  - wire_rh2_insert of a TCP SYN gives byte for byte the packet Scapy built
 *    with the same RH2, its TCP checksum stays valid against the home
 *    address, and insert then strip restores the packet and vnet header.
 * The Scapy vectors were made with:
 *   tcp = TCP(sport=40000, dport=8080, flags='S', seq=1, window=64800,
 *             options=[('MSS',1440),('NOP',None),('WScale',7)])/Raw(b"hello")
 *   IPv6(src="fd00:1::101", dst="fd00:100::1", hlim=64)/tcp
 *   IPv6(src=..., dst="fd00:10::2")/IPv6ExtHdrRouting(type=2, segleft=1,
 *        addresses=["fd00:100::1"])/tcp
 *   IPv6(...)/ICMPv6EchoRequest(id=0x1234, seq=7, data=b"ping-data")
 *   IPv6(src=coa, dst=cli)/IPv6ExtHdrHopByHop(options=[PadN(4 zeros)])/
 *        IPv6ExtHdrDestOpt(options=[PadN(2 zeros), HAO(hoa=dvipa)])/
 *        IPv6ExtHdrRouting(type=2, segleft=1, addresses=[dvipa])/TCP(flags='SA')
 *   IPv6(src=coa, dst=cli)/IPv6ExtHdrDestOpt(PadN, HAO)/MIP6MH_BU(flags='A')
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "wire/wire.h"

/* ---- vectors ------------------------------------------------------------ */

static const uint8_t CLI[16] = {0xfd, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x01};
static const uint8_t DVIPA[16] = {0xfd, 0x00, 0x01, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01};
static const uint8_t COA[16] = {0xfd, 0x00, 0x00, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02};

static const uint8_t scapy_tcp_syn[73] = {
	0x60, 0x00, 0x00, 0x00, 0x00, 0x21, 0x06, 0x40, 0xfd, 0x00, 0x00, 0x01,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x01,
	0xfd, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x01, 0x9c, 0x40, 0x1f, 0x90, 0x00, 0x00, 0x00, 0x01,
	0x00, 0x00, 0x00, 0x00, 0x70, 0x02, 0xfd, 0x20, 0x8b, 0x5e, 0x00, 0x00,
	0x02, 0x04, 0x05, 0xa0, 0x01, 0x03, 0x03, 0x07, 0x68, 0x65, 0x6c, 0x6c,
	0x6f,
};
static const uint8_t scapy_tcp_syn_rh2[97] = {
	0x60, 0x00, 0x00, 0x00, 0x00, 0x39, 0x2b, 0x40, 0xfd, 0x00, 0x00, 0x01,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x01,
	0xfd, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x02, 0x06, 0x02, 0x02, 0x01, 0x00, 0x00, 0x00, 0x00,
	0xfd, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x01, 0x9c, 0x40, 0x1f, 0x90, 0x00, 0x00, 0x00, 0x01,
	0x00, 0x00, 0x00, 0x00, 0x70, 0x02, 0xfd, 0x20, 0x8b, 0x5e, 0x00, 0x00,
	0x02, 0x04, 0x05, 0xa0, 0x01, 0x03, 0x03, 0x07, 0x68, 0x65, 0x6c, 0x6c,
	0x6f,
};
static const uint8_t scapy_icmp6_echo[57] = {
	0x60, 0x00, 0x00, 0x00, 0x00, 0x11, 0x3a, 0xff, 0xfd, 0x00, 0x00, 0x01,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x01,
	0xfd, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x01, 0x80, 0x00, 0xa2, 0xca, 0x12, 0x34, 0x00, 0x07,
	0x70, 0x69, 0x6e, 0x67, 0x2d, 0x64, 0x61, 0x74, 0x61,
};
static const uint8_t scapy_hbh_dst_rh2_tcp[116] = {
	0x60, 0x00, 0x00, 0x00, 0x00, 0x4c, 0x00, 0x40, 0xfd, 0x00, 0x00, 0x10,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
	0xfd, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x01, 0x01, 0x3c, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0x00,
	0x2b, 0x02, 0x01, 0x02, 0x00, 0x00, 0xc9, 0x10, 0xfd, 0x00, 0x01, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x06, 0x02, 0x02, 0x01, 0x00, 0x00, 0x00, 0x00, 0xfd, 0x00, 0x01, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x1f, 0x90, 0x9c, 0x40, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x02,
	0x50, 0x12, 0x20, 0x00, 0xd8, 0xe6, 0x00, 0x00,
};
static const uint8_t scapy_mh_bu_hao[80] = {
	0x60, 0x00, 0x00, 0x00, 0x00, 0x28, 0x3c, 0x40, 0xfd, 0x00, 0x00, 0x10,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
	0xfd, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x01, 0x01, 0x87, 0x02, 0x01, 0x02, 0x00, 0x00, 0xc9, 0x10,
	0xfd, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x01, 0x3b, 0x01, 0x05, 0x00, 0x43, 0x43, 0x00, 0x09,
	0x80, 0x00, 0x00, 0x03, 0x01, 0x02, 0x00, 0x00,
};

/* ---- independent helpers -------------------------------------------------- */

/* Textbook RFC 1071 sum: big-endian 16-bit words, byte by byte, folded. */
static uint32_t
ref_sum(uint32_t s, const uint8_t *p, size_t len)
{
	size_t i;
	uint64_t acc = s;

	for (i = 0; i + 1 < len; i += 2)
		acc += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		acc += (uint32_t)p[len - 1] << 8;
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint32_t)acc;
}

/* Reference sum of an IPv6 pseudo-header plus data (not inverted). */
static uint32_t
ref_sum_ip6(const uint8_t *src, const uint8_t *dst, uint8_t proto, const uint8_t *data,
	    size_t len)
{
	uint8_t ph[40];

	memcpy(ph, src, 16);
	memcpy(ph + 16, dst, 16);
	ph[32] = (uint8_t)(len >> 24);
	ph[33] = (uint8_t)(len >> 16);
	ph[34] = (uint8_t)(len >> 8);
	ph[35] = (uint8_t)len;
	ph[36] = ph[37] = ph[38] = 0;
	ph[39] = proto;
	return ref_sum(ref_sum(0, ph, sizeof(ph)), data, len);
}

/* Writes a 40-byte IPv6 header by hand. */
static void
put_ip6(uint8_t *p, uint8_t nh, uint16_t plen, const uint8_t *src, const uint8_t *dst)
{
	memset(p, 0, 40);
	p[0] = 0x60;
	p[4] = (uint8_t)(plen >> 8);
	p[5] = (uint8_t)plen;
	p[6] = nh;
	p[7] = 64;
	memcpy(p + 8, src, 16);
	memcpy(p + 24, dst, 16);
}

static uint8_t *
dup_exact(const uint8_t *p, size_t len)
{
	uint8_t *c = malloc(len ? len : 1);

	assert_non_null(c);
	memcpy(c, p, len);
	return c;
}

/* Parses an exact-size heap copy; returns the result code. */
static int
parse_copy(const uint8_t *p, size_t len, struct wire_pkt *pk, const char **reason)
{
	uint8_t *c = dup_exact(p, len);
	int rc;

	*reason = NULL;
	rc = wire_ip6_parse(pk, c, len, reason);
	free(c);
	return rc;
}

/* ---- checksums -------------------------------------------------------------- */

static void
test_csum_rfc1071_example(void **state)
{
	/* RFC 1071 section 3: these bytes sum to ddf2, checksum 220d. */
	static const uint8_t d[8] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};

	(void)state;
	assert_int_equal(wire_csum_fold(wire_csum_add(0, d, sizeof(d))), 0x220d);
}

static void
test_csum_ipv4_header(void **state)
{
	/* The IPv4 header of the Wikipedia checksum example: checksum b861. */
	static const uint8_t h[20] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
				      0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
	uint8_t c[20];

	(void)state;
	assert_int_equal(wire_csum_fold(wire_csum_add(0, h, sizeof(h))), 0xb861);
	memcpy(c, h, sizeof(c));
	c[10] = 0xb8;
	c[11] = 0x61;
	assert_int_equal(wire_csum_fold(wire_csum_add(0, c, sizeof(c))), 0);
}

static void
test_csum_matches_reference(void **state)
{
	static uint8_t buf[70000];
	size_t i, len, cut;
	unsigned seed = 12345;

	(void)state;
	for (i = 0; i < sizeof(buf); i++) {
		seed = seed * 1103515245u + 12345u;
		buf[i] = (uint8_t)(seed >> 16);
	}
	/* Every length up to 300 at every start alignment, odd ones included. */
	for (len = 0; len <= 300; len++)
		for (i = 0; i < 4; i++)
			assert_int_equal(wire_csum_fold(wire_csum_add(0, buf + i, len)),
					 (uint16_t)~ref_sum(0, buf + i, len));
	/* A sum in pieces (all but the last even) equals the sum in one go. */
	for (cut = 0; cut <= 200; cut += 2) {
		uint32_t s = wire_csum_add(0, buf, cut);

		s = wire_csum_add(s, buf + cut, 301 - cut);
		assert_int_equal(wire_csum_fold(s), (uint16_t)~ref_sum(0, buf, 301));
	}
	/* Large and all-ones data must not lose carries. */
	assert_int_equal(wire_csum_fold(wire_csum_add(0, buf, sizeof(buf))),
			 (uint16_t)~ref_sum(0, buf, sizeof(buf)));
	memset(buf, 0xff, sizeof(buf));
	{
		uint32_t s = 0xffffffffu;

		for (i = 0; i < 50; i++)
			s = wire_csum_add(s, buf, sizeof(buf));
		assert_int_equal(wire_csum_fold(s), 0);
	}
}

static void
test_csum_ip6_scapy_vectors(void **state)
{
	uint8_t seg[64];
	size_t n;

	(void)state;
	/* TCP: zero the checksum field and recompute; Scapy said 8b5e. */
	n = sizeof(scapy_tcp_syn) - 40;
	memcpy(seg, scapy_tcp_syn + 40, n);
	seg[16] = seg[17] = 0;
	assert_int_equal(wire_csum_ip6(CLI, DVIPA, 6, seg, n), 0x8b5e);
	/* The whole segment with its checksum sums to ffff (folds to 0). */
	assert_int_equal(wire_csum_ip6(CLI, DVIPA, 6, scapy_tcp_syn + 40, n), 0);
	assert_int_equal(ref_sum_ip6(CLI, DVIPA, 6, scapy_tcp_syn + 40, n), 0xffff);

	/* ICMPv6 echo request (odd length): Scapy said a2ca. */
	n = sizeof(scapy_icmp6_echo) - 40;
	memcpy(seg, scapy_icmp6_echo + 40, n);
	seg[2] = seg[3] = 0;
	assert_int_equal(wire_csum_ip6(CLI, DVIPA, 58, seg, n), 0xa2ca);
	assert_int_equal(wire_csum_ip6(CLI, DVIPA, 58, scapy_icmp6_echo + 40, n), 0);
	assert_int_equal(ref_sum_ip6(CLI, DVIPA, 58, scapy_icmp6_echo + 40, n), 0xffff);
}

/* ---- virtio-net header -------------------------------------------------------- */

static void
test_vnet_roundtrip(void **state)
{
	struct wire_vnet_hdr h = {.flags = 1, .gso_type = 4, .hdr_len = 86, .gso_size = 1440,
				  .csum_start = 40, .csum_offset = 16}, d;
	uint8_t b[WIRE_VNET_HDR_LEN], want[WIRE_VNET_HDR_LEN];
	uint16_t v;

	(void)state;
	/* Build the expected bytes independently: u8, u8, then host-order u16s. */
	want[0] = 1;
	want[1] = 4;
	v = 86;
	memcpy(want + 2, &v, 2);
	v = 1440;
	memcpy(want + 4, &v, 2);
	v = 40;
	memcpy(want + 6, &v, 2);
	v = 16;
	memcpy(want + 8, &v, 2);
	wire_vnet_encode(&h, b);
	assert_memory_equal(b, want, sizeof(b));
	wire_vnet_decode(&d, want);
	assert_int_equal(d.flags, 1);
	assert_int_equal(d.gso_type, 4);
	assert_int_equal(d.hdr_len, 86);
	assert_int_equal(d.gso_size, 1440);
	assert_int_equal(d.csum_start, 40);
	assert_int_equal(d.csum_offset, 16);
}

/* ---- parsing valid packets --------------------------------------------------- */

static void
test_parse_tcp(void **state)
{
	struct wire_pkt pk;
	const char *why;
	uint8_t *c = dup_exact(scapy_tcp_syn, sizeof(scapy_tcp_syn));

	(void)state;
	assert_int_equal(wire_ip6_parse(&pk, c, sizeof(scapy_tcp_syn), &why), 0);
	assert_ptr_equal(pk.src, c + 8);
	assert_ptr_equal(pk.dst, c + 24);
	assert_memory_equal(pk.dst, DVIPA, 16);
	assert_int_equal(pk.payload_len, 33);
	assert_int_equal(pk.hop_limit, 64);
	assert_int_equal(pk.proto, WIRE_PROTO_TCP);
	assert_int_equal(pk.l4_off, 40);
	assert_int_equal(pk.sport, 40000);
	assert_int_equal(pk.dport, 8080);
	assert_int_equal(pk.tcp_flags, WIRE_TCP_SYN);
	assert_int_equal(pk.tcp_hlen, 28);
	assert_int_equal(pk.rh_off, 0);
	assert_null(pk.rh2_home);
	assert_null(pk.hao);
	assert_int_equal(pk.is_fragment, 0);
	/* Bytes beyond the payload length are ignored. */
	free(c);
	{
		uint8_t big[100];

		memset(big, 0xee, sizeof(big));
		memcpy(big, scapy_tcp_syn, sizeof(scapy_tcp_syn));
		assert_int_equal(wire_ip6_parse(&pk, big, sizeof(big), NULL), 0);
		assert_int_equal(pk.dport, 8080);
	}
}

static void
test_parse_icmp6(void **state)
{
	struct wire_pkt pk;
	const char *why;

	(void)state;
	assert_int_equal(parse_copy(scapy_icmp6_echo, sizeof(scapy_icmp6_echo), &pk, &why), 0);
	assert_int_equal(pk.proto, WIRE_PROTO_ICMPV6);
	assert_int_equal(pk.l4_off, 40);
	assert_int_equal(pk.hop_limit, 255);
	assert_int_equal(pk.sport, 0);
	assert_int_equal(pk.tcp_hlen, 0);
}

static void
test_parse_rh2_tcp(void **state)
{
	struct wire_pkt pk;
	const char *why;
	uint8_t *c = dup_exact(scapy_tcp_syn_rh2, sizeof(scapy_tcp_syn_rh2));

	(void)state;
	assert_int_equal(wire_ip6_parse(&pk, c, sizeof(scapy_tcp_syn_rh2), &why), 0);
	assert_int_equal(pk.rh_off, 40);
	assert_int_equal(pk.rh_type, 2);
	assert_int_equal(pk.rh_segleft, 1);
	assert_ptr_equal(pk.rh2_home, c + 48);
	assert_memory_equal(pk.rh2_home, DVIPA, 16);
	assert_memory_equal(pk.dst, COA, 16);
	assert_int_equal(pk.proto, WIRE_PROTO_TCP);
	assert_int_equal(pk.l4_off, 64);
	assert_int_equal(pk.dport, 8080);
	/* The TCP checksum covers the home address, not the care-of address. */
	assert_int_equal(ref_sum_ip6(pk.src, pk.rh2_home, 6, c + 64, sizeof(scapy_tcp_syn_rh2) - 64),
			 0xffff);
	free(c);
}

static void
test_parse_hbh_dst_rh2_tcp(void **state)
{
	struct wire_pkt pk;
	const char *why;
	uint8_t *c = dup_exact(scapy_hbh_dst_rh2_tcp, sizeof(scapy_hbh_dst_rh2_tcp));

	(void)state;
	assert_int_equal(wire_ip6_parse(&pk, c, sizeof(scapy_hbh_dst_rh2_tcp), &why), 0);
	assert_int_equal(pk.hao_off, 54);	/* 40 + HBH 8 + DST fixed 2 + PadN 4 */
	assert_ptr_equal(pk.hao, c + 56);
	assert_memory_equal(pk.hao, DVIPA, 16);
	assert_int_equal(pk.rh_off, 72);
	assert_int_equal(pk.rh_type, 2);
	assert_int_equal(pk.rh_segleft, 1);
	assert_ptr_equal(pk.rh2_home, c + 80);
	assert_int_equal(pk.proto, WIRE_PROTO_TCP);
	assert_int_equal(pk.l4_off, 96);
	assert_int_equal(pk.sport, 8080);
	assert_int_equal(pk.dport, 40000);
	assert_int_equal(pk.tcp_flags, WIRE_TCP_SYN | WIRE_TCP_ACK);
	assert_int_equal(pk.tcp_hlen, 20);
	/*
	 * Scapy ignores a HAO that follows a PadN (see the design notes), so it
	 * checksummed with the packet's source and the RH2's home address; the
	 * pointers found here reproduce exactly that.
	 */
	assert_int_equal(ref_sum_ip6(pk.src, pk.rh2_home, 6, c + 96, 20), 0xffff);
	free(c);
}

static void
test_parse_mh_hao(void **state)
{
	struct wire_pkt pk;
	const char *why;

	(void)state;
	assert_int_equal(parse_copy(scapy_mh_bu_hao, sizeof(scapy_mh_bu_hao), &pk, &why), 0);
	assert_int_equal(pk.proto, WIRE_PROTO_MH);
	assert_int_equal(pk.l4_off, 64);
	assert_int_equal(pk.hao_off, 46);
	assert_non_null(pk.hao);
	assert_int_equal(pk.rh_off, 0);
	assert_null(pk.rh2_home);
}

/* A DSTOPTS header carrying only Pad1 and PadN, then No Next Header. */
static void
test_parse_none_and_padding(void **state)
{
	uint8_t p[64];
	struct wire_pkt pk;
	const char *why;

	(void)state;
	put_ip6(p, WIRE_PROTO_NONE, 0, CLI, DVIPA);
	assert_int_equal(parse_copy(p, 40, &pk, &why), 0);
	assert_int_equal(pk.proto, WIRE_PROTO_NONE);
	assert_int_equal(pk.l4_off, 40);

	put_ip6(p, WIRE_PROTO_DSTOPTS, 16, CLI, DVIPA);
	memset(p + 40, 0, 16);
	p[40] = WIRE_PROTO_NONE;
	p[41] = 1;			/* 16 bytes */
	p[42] = 0;			/* Pad1 */
	p[43] = 1, p[44] = 3;		/* PadN, 3 bytes of data */
	p[48] = 1, p[49] = 6;		/* PadN, 6 bytes of data */
	assert_int_equal(parse_copy(p, 56, &pk, &why), 0);
	assert_int_equal(pk.proto, WIRE_PROTO_NONE);
	assert_int_equal(pk.l4_off, 56);
	assert_null(pk.hao);
}

static void
test_parse_fragments(void **state)
{
	uint8_t p[128];
	struct wire_pkt pk;
	const char *why;

	(void)state;
	/* First fragment of a TCP packet: offset 0, M = 1. */
	put_ip6(p, WIRE_PROTO_FRAGMENT, 8 + 24, CLI, DVIPA);
	memset(p + 40, 0, 32);
	p[40] = WIRE_PROTO_TCP;
	p[43] = 0x01;
	p[44] = 0xde, p[45] = 0xad, p[46] = 0xbe, p[47] = 0xef;
	p[48] = 0x9c, p[49] = 0x40, p[50] = 0x1f, p[51] = 0x90;
	assert_int_equal(parse_copy(p, 72, &pk, &why), 0);
	assert_int_equal(pk.is_fragment, 1);
	assert_int_equal(pk.proto, WIRE_PROTO_TCP);
	assert_int_equal(pk.l4_off, 48);
	assert_int_equal(pk.sport, 0);	/* no L4 fields from a fragment */
	assert_int_equal(pk.dport, 0);

	/* A later fragment: offset 185 (1480 bytes), 8 bytes of data. */
	put_ip6(p, WIRE_PROTO_FRAGMENT, 16, CLI, DVIPA);
	memset(p + 40, 0xab, 16);
	p[40] = WIRE_PROTO_TCP;
	p[41] = 0;
	p[42] = (185 << 3) >> 8;
	p[43] = (uint8_t)(185 << 3);
	assert_int_equal(parse_copy(p, 56, &pk, &why), 0);
	assert_int_equal(pk.is_fragment, 1);
	assert_int_equal(pk.l4_off, 48);

	/* A fragment header cut by the payload length. */
	put_ip6(p, WIRE_PROTO_FRAGMENT, 4, CLI, DVIPA);
	assert_int_equal(parse_copy(p, 44, &pk, &why), -EMSGSIZE);
	assert_string_equal(why, "extension header overruns packet");
}

static void
test_parse_other_routing_headers(void **state)
{
	uint8_t p[128];
	struct wire_pkt pk;
	const char *why;

	(void)state;
	/* RH2 with segments left 2: recorded but not a valid RH2. */
	memcpy(p, scapy_tcp_syn_rh2, sizeof(scapy_tcp_syn_rh2));
	p[43] = 2;
	assert_int_equal(parse_copy(p, sizeof(scapy_tcp_syn_rh2), &pk, &why), 0);
	assert_int_equal(pk.rh_off, 40);
	assert_int_equal(pk.rh_type, 2);
	assert_int_equal(pk.rh_segleft, 2);
	assert_null(pk.rh2_home);
	/* Segments left 0 is still a valid RH2. */
	p[43] = 0;
	assert_int_equal(parse_copy(p, sizeof(scapy_tcp_syn_rh2), &pk, &why), 0);
	assert_non_null(pk.rh2_home);
	/* Type 0 routing header: not an RH2. */
	p[42] = 0;
	p[43] = 1;
	assert_int_equal(parse_copy(p, sizeof(scapy_tcp_syn_rh2), &pk, &why), 0);
	assert_int_equal(pk.rh_type, 0);
	assert_null(pk.rh2_home);
	/* Type 2 with a 40-byte header (Hdr Ext Len 4): not well formed. */
	put_ip6(p, WIRE_PROTO_ROUTING, 40, CLI, COA);
	memset(p + 40, 0, 40);
	p[40] = WIRE_PROTO_NONE;
	p[41] = 4;
	p[42] = 2;
	p[43] = 1;
	assert_int_equal(parse_copy(p, 80, &pk, &why), 0);
	assert_int_equal(pk.rh_type, 2);
	assert_null(pk.rh2_home);
	assert_int_equal(pk.proto, WIRE_PROTO_NONE);
	assert_int_equal(pk.l4_off, 80);
}

/* ---- malformed packets -------------------------------------------------------- */

static void
expect_bad(const uint8_t *p, size_t len, int err, const char *reason)
{
	struct wire_pkt pk;
	const char *why;

	assert_int_equal(parse_copy(p, len, &pk, &why), err);
	assert_non_null(why);
	assert_string_equal(why, reason);
}

static void
test_parse_malformed(void **state)
{
	uint8_t p[160];

	(void)state;
	/* Wrong version. */
	memcpy(p, scapy_tcp_syn, sizeof(scapy_tcp_syn));
	p[0] = 0x45;
	expect_bad(p, sizeof(scapy_tcp_syn), -EPROTO, "not IPv6");
	/* Short fixed header. */
	expect_bad(scapy_tcp_syn, 39, -EMSGSIZE, "truncated IPv6 header");
	/* Payload length one more than the packet holds. */
	memcpy(p, scapy_tcp_syn, sizeof(scapy_tcp_syn));
	p[5] = 34;
	expect_bad(p, sizeof(scapy_tcp_syn), -EMSGSIZE, "payload length exceeds packet");
	/* TCP data offset below 5 words. */
	memcpy(p, scapy_tcp_syn, sizeof(scapy_tcp_syn));
	p[52] = 0x40;
	expect_bad(p, sizeof(scapy_tcp_syn), -EINVAL, "bad TCP data offset");
	/* TCP data offset beyond the payload (60 > 33 bytes). */
	p[52] = 0xf0;
	expect_bad(p, sizeof(scapy_tcp_syn), -EMSGSIZE, "TCP header overruns packet");
	/* TCP with fewer than 20 bytes of header. */
	memcpy(p, scapy_tcp_syn, 40 + 19);
	p[5] = 19;
	expect_bad(p, 59, -EMSGSIZE, "truncated TCP header");

	/* Destination Options whose Hdr Ext Len runs past the payload. */
	put_ip6(p, WIRE_PROTO_DSTOPTS, 8, CLI, DVIPA);
	memset(p + 40, 0, 8);
	p[40] = WIRE_PROTO_NONE;
	p[41] = 1;
	expect_bad(p, 48, -EMSGSIZE, "extension header overruns packet");
	/* An option whose length runs past its header. */
	p[41] = 0;
	p[42] = 1, p[43] = 5;	/* PadN with 5 bytes, only 4 left */
	expect_bad(p, 48, -EINVAL, "option overruns extension header");
	/* An option type byte in the last byte with no room for its length. */
	p[42] = 1, p[43] = 3;	/* PadN 3: bytes 44..46 */
	p[47] = 0xc9;
	expect_bad(p, 48, -EINVAL, "option overruns extension header");

	/* A HAO with length 15. */
	memcpy(p, scapy_mh_bu_hao, sizeof(scapy_mh_bu_hao));
	p[47] = 15;
	expect_bad(p, sizeof(scapy_mh_bu_hao), -EINVAL, "bad home address option length");

	/* Two HAOs in one header. */
	put_ip6(p, WIRE_PROTO_DSTOPTS, 40, CLI, DVIPA);
	memset(p + 40, 0, 40);
	p[40] = WIRE_PROTO_NONE;
	p[41] = 4;
	p[42] = 0xc9, p[43] = 16;
	p[60] = 0xc9, p[61] = 16;
	expect_bad(p, 80, -EINVAL, "duplicate home address option");

	/* Hop-by-Hop after a Destination Options header. */
	put_ip6(p, WIRE_PROTO_DSTOPTS, 16, CLI, DVIPA);
	memset(p + 40, 0, 16);
	p[40] = WIRE_PROTO_HOPOPTS;
	p[42] = 1, p[43] = 4;
	p[48] = WIRE_PROTO_NONE;
	p[50] = 1, p[51] = 4;
	expect_bad(p, 56, -EINVAL, "hop-by-hop header not first");

	/* Two routing headers. */
	put_ip6(p, WIRE_PROTO_ROUTING, 48, CLI, COA);
	memcpy(p + 40, scapy_tcp_syn_rh2 + 40, 24);
	memcpy(p + 64, scapy_tcp_syn_rh2 + 40, 24);
	p[40] = WIRE_PROTO_ROUTING;
	p[64] = WIRE_PROTO_NONE;
	expect_bad(p, 88, -EINVAL, "duplicate routing header");

	/* A routing header with only one byte inside the payload. */
	put_ip6(p, WIRE_PROTO_ROUTING, 1, CLI, COA);
	p[40] = 0;
	expect_bad(p, 41, -EMSGSIZE, "extension header overruns packet");
}

/* Every prefix of every valid packet is rejected without an over-read, and a
 * smaller payload length either parses within bounds or is rejected. */
static void
test_parse_every_truncation(void **state)
{
	static const struct {
		const uint8_t *p;
		size_t len;
	} v[] = {
		{scapy_tcp_syn, sizeof(scapy_tcp_syn)},
		{scapy_tcp_syn_rh2, sizeof(scapy_tcp_syn_rh2)},
		{scapy_icmp6_echo, sizeof(scapy_icmp6_echo)},
		{scapy_hbh_dst_rh2_tcp, sizeof(scapy_hbh_dst_rh2_tcp)},
		{scapy_mh_bu_hao, sizeof(scapy_mh_bu_hao)},
	};
	size_t i, cut;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		for (cut = 0; cut < v[i].len; cut++) {
			struct wire_pkt pk;
			const char *why;
			int rc = parse_copy(v[i].p, cut, &pk, &why);

			assert_true(rc == -EMSGSIZE);
			assert_non_null(why);
		}
		for (cut = 0; cut < v[i].len - 40; cut++) {
			uint8_t *c = dup_exact(v[i].p, 40 + cut);
			struct wire_pkt pk;
			const char *why = NULL;
			int rc;

			c[4] = (uint8_t)(cut >> 8);
			c[5] = (uint8_t)cut;
			rc = wire_ip6_parse(&pk, c, 40 + cut, &why);
			if (rc < 0) {
				assert_non_null(why);
			} else {
				assert_true(pk.l4_off <= 40 + cut);
				if (pk.proto == WIRE_PROTO_TCP && !pk.is_fragment)
					assert_true(pk.l4_off + pk.tcp_hlen <= 40 + cut);
				if (pk.hao)
					assert_true(pk.hao + 16 <= c + 40 + cut);
				if (pk.rh2_home)
					assert_true(pk.rh2_home + 16 <= c + 40 + cut);
			}
			free(c);
		}
	}
}

/* ---- RH2 insert / strip ----------------------------------------------------------- */

static void
test_rh2_insert_matches_scapy(void **state)
{
	uint8_t buf[256];
	uint8_t *pkt = buf + 64;
	struct wire_pkt pk;
	const char *why;
	ssize_t n;

	(void)state;
	memset(buf, 0x5a, sizeof(buf));
	memcpy(pkt, scapy_tcp_syn, sizeof(scapy_tcp_syn));
	n = wire_rh2_insert(pkt, sizeof(scapy_tcp_syn), COA, NULL);
	assert_int_equal(n, sizeof(scapy_tcp_syn_rh2));
	assert_memory_equal(pkt - WIRE_RH2_LEN, scapy_tcp_syn_rh2, sizeof(scapy_tcp_syn_rh2));
	/* Nothing before the new start was touched. */
	assert_int_equal(buf[64 - WIRE_RH2_LEN - 1], 0x5a);
	/* The TCP checksum is still valid for the final destination. */
	assert_int_equal(wire_ip6_parse(&pk, pkt - WIRE_RH2_LEN, (size_t)n, &why), 0);
	assert_non_null(pk.rh2_home);
	assert_memory_equal(pk.rh2_home, DVIPA, 16);
	assert_int_equal(ref_sum_ip6(pk.src, pk.rh2_home, 6, pkt - WIRE_RH2_LEN + pk.l4_off,
				     (size_t)n - pk.l4_off),
			 0xffff);
	assert_int_equal(wire_csum_ip6(pk.src, pk.rh2_home, 6, pkt - WIRE_RH2_LEN + pk.l4_off,
				       (size_t)n - pk.l4_off),
			 0);
	/* ... and it would not be against the care-of address. */
	assert_int_not_equal(ref_sum_ip6(pk.src, pk.dst, 6, pkt - WIRE_RH2_LEN + pk.l4_off,
					 (size_t)n - pk.l4_off),
			     0xffff);
}

static void
test_rh2_strip_scapy(void **state)
{
	uint8_t buf[256];
	ssize_t n;

	(void)state;
	memcpy(buf, scapy_tcp_syn_rh2, sizeof(scapy_tcp_syn_rh2));
	n = wire_rh2_strip(buf, sizeof(scapy_tcp_syn_rh2), NULL);
	assert_int_equal(n, sizeof(scapy_tcp_syn));
	assert_memory_equal(buf + WIRE_RH2_LEN, scapy_tcp_syn, sizeof(scapy_tcp_syn));
}

static void
test_rh2_roundtrip(void **state)
{
	static const struct {
		const uint8_t *p;
		size_t len;
	} v[] = {
		{scapy_tcp_syn, sizeof(scapy_tcp_syn)},
		{scapy_tcp_syn_rh2, sizeof(scapy_tcp_syn_rh2)},
		{scapy_icmp6_echo, sizeof(scapy_icmp6_echo)},
		{scapy_mh_bu_hao, sizeof(scapy_mh_bu_hao)},
	};
	static const struct wire_vnet_hdr vhs[] = {
		{0, WIRE_VNET_GSO_NONE, 0, 0, 0, 0},
		{WIRE_VNET_F_NEEDS_CSUM, WIRE_VNET_GSO_NONE, 0, 0, 40, 16},
		{WIRE_VNET_F_NEEDS_CSUM, WIRE_VNET_GSO_TCPV6, 72, 1428, 40, 16},
		{WIRE_VNET_F_NEEDS_CSUM, WIRE_VNET_GSO_TCPV6 | WIRE_VNET_GSO_ECN, 72, 1428, 40, 16},
		{0, WIRE_VNET_GSO_UDP_L4, 48, 1200, 0, 0},
	};
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		for (j = 0; j < sizeof(vhs) / sizeof(vhs[0]); j++) {
			uint8_t buf[256];
			uint8_t *pkt = buf + WIRE_RH2_LEN;
			struct wire_vnet_hdr vh = vhs[j];
			struct wire_pkt pk;
			const char *why;
			ssize_t n;

			memset(buf, 0, sizeof(buf));
			memcpy(pkt, v[i].p, v[i].len);
			n = wire_rh2_insert(pkt, v[i].len, COA, &vh);
			assert_int_equal(n, (ssize_t)v[i].len + WIRE_RH2_LEN);
			assert_int_equal(vh.hdr_len, vhs[j].gso_type ? vhs[j].hdr_len + 24
								    : vhs[j].hdr_len);
			assert_int_equal(vh.csum_start, vhs[j].flags ? vhs[j].csum_start + 24
								    : vhs[j].csum_start);
			assert_int_equal(vh.gso_size, vhs[j].gso_size);
			assert_int_equal(vh.csum_offset, vhs[j].csum_offset);
			/* The RH2 sits directly after the header; dst is the CoA. */
			assert_int_equal(buf[6], WIRE_PROTO_ROUTING);
			assert_int_equal(buf[40], v[i].p[6]);
			assert_int_equal(buf[41], 2);
			assert_int_equal(buf[42], 2);
			assert_int_equal(buf[43], 1);
			assert_memory_equal(buf + 24, COA, 16);
			assert_memory_equal(buf + 48, v[i].p + 24, 16);
			if (i != 1) {
				/* (Vector 1 already had an RH2: two are refused.) */
				assert_int_equal(wire_ip6_parse(&pk, buf, (size_t)n, &why), 0);
				assert_int_equal(pk.rh_off, 40);
				assert_memory_equal(pk.rh2_home, v[i].p + 24, 16);
			}
			n = wire_rh2_strip(buf, (size_t)n, &vh);
			assert_int_equal(n, (ssize_t)v[i].len);
			assert_memory_equal(buf + WIRE_RH2_LEN, v[i].p, v[i].len);
			assert_memory_equal(&vh, &vhs[j], sizeof(vh));
		}
	}
}

static void
test_rh2_errors(void **state)
{
	uint8_t buf[256], before[256];
	uint8_t *pkt = buf + WIRE_RH2_LEN;
	struct wire_vnet_hdr vh = {WIRE_VNET_F_NEEDS_CSUM, WIRE_VNET_GSO_TCPV6, 84, 1400, 50, 16};
	size_t cut;

	(void)state;
	/* Insert: not IPv6, too short, payload length beyond the packet. */
	memset(buf, 0, sizeof(buf));
	memcpy(pkt, scapy_tcp_syn, sizeof(scapy_tcp_syn));
	pkt[0] = 0x45;
	memcpy(before, buf, sizeof(buf));
	assert_int_equal(wire_rh2_insert(pkt, sizeof(scapy_tcp_syn), COA, NULL), -EINVAL);
	assert_memory_equal(buf, before, sizeof(buf));
	pkt[0] = 0x60;
	for (cut = 0; cut < sizeof(scapy_tcp_syn); cut++)
		assert_true(wire_rh2_insert(pkt, cut, COA, NULL) < 0);
	/* Insert: a payload length of 65535 cannot grow by 24. */
	pkt[4] = 0xff, pkt[5] = 0xf0;
	memcpy(before, buf, sizeof(buf));
	{
		static uint8_t big[24 + 40 + 0xfff0];

		memcpy(big + 24, pkt, 40);
		assert_int_equal(wire_rh2_insert(big + 24, sizeof(big) - 24, COA, NULL), -EMSGSIZE);
	}
	/* Insert: a Hop-by-Hop header must stay first. */
	memset(buf, 0, sizeof(buf));
	memcpy(pkt, scapy_hbh_dst_rh2_tcp, sizeof(scapy_hbh_dst_rh2_tcp));
	memcpy(before, buf, sizeof(buf));
	assert_int_equal(wire_rh2_insert(pkt, sizeof(scapy_hbh_dst_rh2_tcp), COA, &vh), -EINVAL);
	assert_memory_equal(buf, before, sizeof(buf));

	/* Strip: no routing header, wrong type, segments left 0, truncation. */
	memset(buf, 0, sizeof(buf));
	memcpy(buf, scapy_tcp_syn, sizeof(scapy_tcp_syn));
	assert_int_equal(wire_rh2_strip(buf, sizeof(scapy_tcp_syn), NULL), -EINVAL);
	memcpy(buf, scapy_tcp_syn_rh2, sizeof(scapy_tcp_syn_rh2));
	buf[42] = 0;
	assert_int_equal(wire_rh2_strip(buf, sizeof(scapy_tcp_syn_rh2), NULL), -EINVAL);
	buf[42] = 2;
	buf[43] = 0;
	assert_int_equal(wire_rh2_strip(buf, sizeof(scapy_tcp_syn_rh2), NULL), -EINVAL);
	buf[43] = 1;
	memcpy(before, buf, sizeof(buf));
	for (cut = 0; cut < sizeof(scapy_tcp_syn_rh2); cut++) {
		uint8_t *c = dup_exact(buf, cut);

		assert_true(wire_rh2_strip(c, cut, NULL) < 0);
		free(c);
	}
	/* Strip: a checksum start inside the removed header is refused. */
	vh.csum_start = 40;
	assert_int_equal(wire_rh2_strip(buf, sizeof(scapy_tcp_syn_rh2), &vh), -EINVAL);
	assert_memory_equal(buf, before, sizeof(buf));
	assert_int_equal(vh.csum_start, 40);
	assert_int_equal(vh.hdr_len, 84);
	/* A good one adjusts both offsets. */
	vh.csum_start = 64;
	assert_int_equal(wire_rh2_strip(buf, sizeof(scapy_tcp_syn_rh2), &vh),
			 sizeof(scapy_tcp_syn));
	assert_int_equal(vh.csum_start, 40);
	assert_int_equal(vh.hdr_len, 60);
}

/* The care-of address may be read from the very bytes that move. */
static void
test_ip6_hdr_encode_matches_scapy(void **state)
{
	uint8_t buf[sizeof(scapy_tcp_syn)];

	(void)state;
	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(wire_ip6_hdr_encode(buf, sizeof(buf), CLI, DVIPA, WIRE_PROTO_TCP,
					     sizeof(scapy_tcp_syn) - WIRE_IP6_HDR_LEN),
			 WIRE_IP6_HDR_LEN);
	memcpy(buf + WIRE_IP6_HDR_LEN, scapy_tcp_syn + WIRE_IP6_HDR_LEN,
	       sizeof(scapy_tcp_syn) - WIRE_IP6_HDR_LEN);
	assert_memory_equal(buf, scapy_tcp_syn, sizeof(scapy_tcp_syn));
	assert_int_equal(wire_ip6_hdr_encode(buf, WIRE_IP6_HDR_LEN - 1, CLI, DVIPA, WIRE_PROTO_TCP, 0),
			 -ENOSPC);
}

static void
test_rh2_insert_coa_aliases_packet(void **state)
{
	uint8_t buf[256];
	uint8_t *pkt = buf + WIRE_RH2_LEN;

	(void)state;
	memcpy(pkt, scapy_tcp_syn, sizeof(scapy_tcp_syn));
	assert_int_equal(wire_rh2_insert(pkt, sizeof(scapy_tcp_syn), pkt + 8, NULL),
			 sizeof(scapy_tcp_syn) + WIRE_RH2_LEN);
	assert_memory_equal(buf + 24, CLI, 16);
	assert_memory_equal(buf + 48, DVIPA, 16);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csum_rfc1071_example),
		cmocka_unit_test(test_csum_ipv4_header),
		cmocka_unit_test(test_csum_matches_reference),
		cmocka_unit_test(test_csum_ip6_scapy_vectors),
		cmocka_unit_test(test_vnet_roundtrip),
		cmocka_unit_test(test_parse_tcp),
		cmocka_unit_test(test_parse_icmp6),
		cmocka_unit_test(test_parse_rh2_tcp),
		cmocka_unit_test(test_parse_hbh_dst_rh2_tcp),
		cmocka_unit_test(test_parse_mh_hao),
		cmocka_unit_test(test_parse_none_and_padding),
		cmocka_unit_test(test_parse_fragments),
		cmocka_unit_test(test_parse_other_routing_headers),
		cmocka_unit_test(test_parse_malformed),
		cmocka_unit_test(test_parse_every_truncation),
		cmocka_unit_test(test_rh2_insert_matches_scapy),
		cmocka_unit_test(test_rh2_strip_scapy),
		cmocka_unit_test(test_rh2_roundtrip),
		cmocka_unit_test(test_rh2_errors),
		cmocka_unit_test(test_rh2_insert_coa_aliases_packet),
		cmocka_unit_test(test_ip6_hdr_encode_matches_scapy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
