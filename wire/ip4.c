/*
 * ip4.c - IPv4 for the IPv4 DVIPA forwarding path: the header (RFC 791)
 * decode and encode with its checksum, a read-only view with TCP/UDP ports,
 * the TCP/UDP checksum over the IPv4 pseudo-header, the incremental checksum
 * update of RFC 1624 and an in-place destination rewrite built on it, and
 * the ICMP "fragmentation needed" error (RFC 792, RFC 1191) a forwarder
 * sends when an encapsulated packet would not fit.
 *
 * Contract (see wire.h for the layouts):
 *  - Pure: no I/O, no clock, no logging, no globals, no allocation.
 *  - Every read is checked against the length first; a malformed packet
 *    yields a negative errno and a static reason, never a read outside
 *    [pkt, pkt + len).  Functions that modify a packet leave it untouched
 *    when they fail.
 */
#include "wire/wire.h"

#include <errno.h>
#include <string.h>

#define IP4_OFF_TOTLEN 2
#define IP4_OFF_FRAG 6
#define IP4_OFF_PROTO 9
#define IP4_OFF_CSUM 10
#define IP4_OFF_SRC 12
#define IP4_OFF_DST 16
#define TCP_MIN_HLEN 20
#define UDP_HLEN 8
#define ICMP4_HDR_LEN 8

static uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void
wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static int
fail(const char **reason, const char *why, int err)
{
	if (reason)
		*reason = why;
	return err;
}

int
wire_ip4_decode(struct wire_ip4 *h, const uint8_t *p, size_t len, const char **reason)
{
	if (len < WIRE_IP4_HDR_LEN)
		return fail(reason, "shorter than an IPv4 header", -EMSGSIZE);
	if ((p[0] >> 4) != 4)
		return fail(reason, "not IPv4", -EINVAL);
	h->hlen = (uint8_t)((p[0] & 0x0f) * 4);
	if (h->hlen < WIRE_IP4_HDR_LEN)
		return fail(reason, "IHL below 5", -EINVAL);
	h->tot_len = rd16(p + IP4_OFF_TOTLEN);
	if (h->tot_len < h->hlen)
		return fail(reason, "total length shorter than the header", -EINVAL);
	if (len < h->tot_len)
		return fail(reason, "shorter than its total length", -EMSGSIZE);
	h->tos = p[1];
	h->id = rd16(p + 4);
	h->frag = rd16(p + IP4_OFF_FRAG);
	h->ttl = p[8];
	h->proto = p[IP4_OFF_PROTO];
	h->csum = rd16(p + IP4_OFF_CSUM);
	memcpy(h->src, p + IP4_OFF_SRC, 4);
	memcpy(h->dst, p + IP4_OFF_DST, 4);
	return 0;
}

ssize_t
wire_ip4_encode(const struct wire_ip4 *h, uint8_t *p, size_t cap)
{
	if (h->hlen != WIRE_IP4_HDR_LEN)
		return -EINVAL;
	if (cap < WIRE_IP4_HDR_LEN)
		return -ENOSPC;
	p[0] = 0x45;
	p[1] = h->tos;
	wr16(p + IP4_OFF_TOTLEN, h->tot_len);
	wr16(p + 4, h->id);
	wr16(p + IP4_OFF_FRAG, h->frag);
	p[8] = h->ttl;
	p[IP4_OFF_PROTO] = h->proto;
	wr16(p + IP4_OFF_CSUM, 0);
	memcpy(p + IP4_OFF_SRC, h->src, 4);
	memcpy(p + IP4_OFF_DST, h->dst, 4);
	wr16(p + IP4_OFF_CSUM, wire_csum_fold(wire_csum_add(0, p, WIRE_IP4_HDR_LEN)));
	return WIRE_IP4_HDR_LEN;
}

int
wire_ip4_csum_ok(const uint8_t *p, size_t len)
{
	size_t hl;

	if (len < WIRE_IP4_HDR_LEN)
		return 0;
	hl = (size_t)(p[0] & 0x0f) * 4;
	if (hl < WIRE_IP4_HDR_LEN || hl > len)
		return 0;
	return wire_csum_fold(wire_csum_add(0, p, hl)) == 0;
}

int
wire_ip4_parse(struct wire_pkt4 *pk, const uint8_t *pkt, size_t len, const char **reason)
{
	const uint8_t *l4;
	size_t l4len;
	int rc;

	memset(pk, 0, sizeof(*pk));
	if ((rc = wire_ip4_decode(&pk->ip, pkt, len, reason)) < 0)
		return rc;
	pk->l4_off = pk->ip.hlen;
	pk->is_fragment = (pk->ip.frag & (WIRE_IP4_MF | WIRE_IP4_OFFMASK)) != 0;
	if (pk->ip.frag & WIRE_IP4_OFFMASK)
		return 0;	/* not the first fragment: no upper-layer header */
	l4 = pkt + pk->ip.hlen;
	l4len = (size_t)pk->ip.tot_len - pk->ip.hlen;
	if (pk->ip.proto == WIRE_PROTO_TCP) {
		if (l4len < TCP_MIN_HLEN)
			return fail(reason, "truncated TCP header", -EMSGSIZE);
		pk->sport = rd16(l4);
		pk->dport = rd16(l4 + 2);
		pk->tcp_hlen = (uint8_t)((l4[12] >> 4) * 4);
		pk->tcp_flags = l4[13];
		if (pk->tcp_hlen < TCP_MIN_HLEN || pk->tcp_hlen > l4len)
			return fail(reason, "bad TCP data offset", -EINVAL);
	} else if (pk->ip.proto == WIRE_PROTO_UDP) {
		if (l4len < UDP_HLEN)
			return fail(reason, "truncated UDP header", -EMSGSIZE);
		pk->sport = rd16(l4);
		pk->dport = rd16(l4 + 2);
	}
	return 0;
}

uint16_t
wire_csum_ip4(const uint8_t src[4], const uint8_t dst[4], uint8_t proto, const void *data,
	      size_t len)
{
	uint8_t tail[4];
	uint32_t sum;

	tail[0] = 0;
	tail[1] = proto;
	tail[2] = (uint8_t)(len >> 8);
	tail[3] = (uint8_t)len;
	sum = wire_csum_add(0, src, 4);
	sum = wire_csum_add(sum, dst, 4);
	sum = wire_csum_add(sum, tail, sizeof(tail));
	sum = wire_csum_add(sum, data, len);
	return wire_csum_fold(sum);
}

int
wire_ip4_csum_partial(const uint8_t *pkt, size_t len, uint16_t *start, uint16_t *offset)
{
	struct wire_ip4 h;
	uint8_t tail[4];
	uint32_t sum;
	size_t l4len, off;
	uint16_t want;

	if (wire_ip4_decode(&h, pkt, len, NULL) < 0 || (h.frag & (WIRE_IP4_MF | WIRE_IP4_OFFMASK)))
		return 0;
	if (h.proto == WIRE_PROTO_TCP)
		off = 16;
	else if (h.proto == WIRE_PROTO_UDP)
		off = 6;
	else
		return 0;
	l4len = (size_t)h.tot_len - h.hlen;
	if (l4len < off + 2 || l4len > 0xffff)
		return 0;
	/* The pseudo-header alone, folded but not inverted: what Linux leaves
	 * in the field for the device (~csum_tcpudp_magic). */
	tail[0] = 0;
	tail[1] = h.proto;
	tail[2] = (uint8_t)(l4len >> 8);
	tail[3] = (uint8_t)l4len;
	sum = wire_csum_add(0, h.src, 4);
	sum = wire_csum_add(sum, h.dst, 4);
	sum = wire_csum_add(sum, tail, sizeof(tail));
	want = (uint16_t)~wire_csum_fold(sum);
	if (rd16(pkt + h.hlen + off) != want)
		return 0;
	*start = h.hlen;
	*offset = (uint16_t)off;
	return 1;
}

/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), over 16-bit words. */
static uint16_t
csum_update(uint16_t csum, const uint8_t *old, const uint8_t *new_, size_t len)
{
	uint32_t sum = (uint16_t)~csum;
	size_t i;

	for (i = 0; i + 1 < len; i += 2) {
		sum += (uint16_t)~rd16(old + i);
		sum += rd16(new_ + i);
	}
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

uint16_t
wire_csum_replace4(uint16_t csum, const uint8_t old[4], const uint8_t new_[4])
{
	return csum_update(csum, old, new_, 4);
}

uint16_t
wire_csum_replace2(uint16_t csum, uint16_t old, uint16_t new_)
{
	uint8_t o[2], n[2];

	wr16(o, old);
	wr16(n, new_);
	return csum_update(csum, o, n, 2);
}

int
wire_ip4_set_dst(uint8_t *pkt, size_t len, const uint8_t dst[4])
{
	struct wire_pkt4 pk;
	uint8_t old[4];
	size_t l4len, coff = 0;
	int rc;

	if ((rc = wire_ip4_parse(&pk, pkt, len, NULL)) < 0)
		return rc;
	memcpy(old, pkt + IP4_OFF_DST, 4);
	l4len = (size_t)pk.ip.tot_len - pk.ip.hlen;
	if (!(pk.ip.frag & WIRE_IP4_OFFMASK)) {
		if (pk.ip.proto == WIRE_PROTO_TCP && l4len >= TCP_MIN_HLEN)
			coff = pk.ip.hlen + 16;
		else if (pk.ip.proto == WIRE_PROTO_UDP && l4len >= UDP_HLEN &&
			 rd16(pkt + pk.ip.hlen + 6) != 0)
			coff = pk.ip.hlen + 6;
	}
	memcpy(pkt + IP4_OFF_DST, dst, 4);
	wr16(pkt + IP4_OFF_CSUM, wire_csum_replace4(rd16(pkt + IP4_OFF_CSUM), old, dst));
	if (coff) {
		uint16_t c = wire_csum_replace4(rd16(pkt + coff), old, dst);

		/* A UDP checksum that computes to 0 is sent as 0xffff. */
		if (pk.ip.proto == WIRE_PROTO_UDP && c == 0)
			c = 0xffff;
		wr16(pkt + coff, c);
	}
	return 0;
}

ssize_t
wire_icmp4_frag_needed(uint8_t *out, size_t cap, const uint8_t src[4], const uint8_t *orig,
		       size_t orig_len, uint16_t mtu)
{
	struct wire_ip4 in, h;
	size_t quote, icmp_len, total;
	uint8_t *icmp;

	if (wire_ip4_decode(&in, orig, orig_len, NULL) < 0)
		return -EINVAL;
	if (!(in.frag & WIRE_IP4_DF))
		return -EINVAL;
	quote = (size_t)in.hlen + 8;
	if (quote > in.tot_len)
		quote = in.tot_len;
	icmp_len = ICMP4_HDR_LEN + quote;
	total = WIRE_IP4_HDR_LEN + icmp_len;
	if (cap < total)
		return -ENOSPC;
	memset(&h, 0, sizeof(h));
	h.hlen = WIRE_IP4_HDR_LEN;
	h.tos = 0xc0;	/* internetwork control, as routers send their errors */
	h.tot_len = (uint16_t)total;
	h.ttl = 64;
	h.proto = WIRE_PROTO_ICMP;
	memcpy(h.src, src, 4);
	memcpy(h.dst, in.src, 4);
	wire_ip4_encode(&h, out, cap);
	icmp = out + WIRE_IP4_HDR_LEN;
	icmp[0] = 3;	/* destination unreachable */
	icmp[1] = 4;	/* fragmentation needed and DF set */
	wr16(icmp + 2, 0);
	wr16(icmp + 4, 0);
	wr16(icmp + 6, mtu);
	memcpy(icmp + ICMP4_HDR_LEN, orig, quote);
	wr16(icmp + 2, wire_csum_fold(wire_csum_add(0, icmp, icmp_len)));
	return (ssize_t)total;
}
