/*
 * pkt.c - the virtio-net header of a TUN read or write, a read-only view of
 * an IPv6 packet (fixed header, extension headers, TCP ports and flags), and
 * the in-place Type 2 Routing Header insert and strip of the forwarding path.
 *
 * Contract (see wire.h for the field-by-field description):
 *  - Pure: no I/O, no clock, no logging, no globals, no allocation.
 *  - Every read is checked against the packet length first; a malformed
 *    packet yields a negative errno and a static reason string, never a read
 *    outside [pkt, pkt + len).
 *  - wire_rh2_insert writes only in [pkt - WIRE_RH2_LEN, pkt + WIRE_IP6_HDR_LEN)
 *    and wire_rh2_strip only in [pkt, pkt + WIRE_IP6_HDR_LEN + WIRE_RH2_LEN);
 *    both leave the packet untouched when they fail.
 *
 * virtio-net header as TUN passes it with IFF_VNET_HDR (host byte order):
 * +---------------+---------------+-------------------------------+
 * |     flags     |   gso_type    |           hdr_len             |
 * +---------------+---------------+-------------------------------+
 * |           gso_size            |          csum_start           |
 * +-------------------------------+-------------------------------+
 * |          csum_offset          |
 * +-------------------------------+
 *
 * Extension header shapes walked by wire_ip6_parse:
 *   Hop-by-Hop / Destination Options: Next Header, Hdr Ext Len (8-octet
 *     units beyond the first 8), then TLV options: Pad1 is a single zero
 *     byte, every other option is Type, Length, Length bytes of data.
 *   Routing: Next Header, Hdr Ext Len, Routing Type, Segments Left, data.
 *   Fragment: Next Header, Reserved, Offset+flags (16), Identification (32);
 *     always 8 bytes.
 *   Home Address option (RFC 6275 6.3): Type 0xC9, Length 16, address.
 */
#include "wire/wire.h"

#include <errno.h>
#include <string.h>

#define IP6_OFF_PLEN 4
#define IP6_OFF_NXT 6
#define IP6_OFF_HLIM 7
#define IP6_OFF_SRC 8
#define IP6_OFF_DST 24
#define OPT_PAD1 0x00
#define OPT_HAO 0xc9
#define OPT_HAO_LEN 16
#define FRAG_HDR_LEN 8
#define TCP_MIN_HLEN 20

/* ---- virtio-net header ------------------------------------------------ */

void
wire_vnet_decode(struct wire_vnet_hdr *h, const uint8_t p[WIRE_VNET_HDR_LEN])
{
	h->flags = p[0];
	h->gso_type = p[1];
	memcpy(&h->hdr_len, p + 2, 2);
	memcpy(&h->gso_size, p + 4, 2);
	memcpy(&h->csum_start, p + 6, 2);
	memcpy(&h->csum_offset, p + 8, 2);
}

void
wire_vnet_encode(const struct wire_vnet_hdr *h, uint8_t p[WIRE_VNET_HDR_LEN])
{
	p[0] = h->flags;
	p[1] = h->gso_type;
	memcpy(p + 2, &h->hdr_len, 2);
	memcpy(p + 4, &h->gso_size, 2);
	memcpy(p + 6, &h->csum_start, 2);
	memcpy(p + 8, &h->csum_offset, 2);
}

/* ---- IPv6 packet view --------------------------------------------------- */

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void
put16(uint8_t *p, uint16_t v)
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

/*
 * Walks the TLV options of a Hop-by-Hop or Destination Options header that
 * occupies [off, off + hlen) of pkt (already known to lie inside the packet).
 * In a Destination Options header a Home Address option is recorded in pk.
 */
static int
walk_options(struct wire_pkt *pk, const uint8_t *pkt, size_t off, size_t hlen, int dstopts,
	     const char **reason)
{
	size_t o = off + 2, end = off + hlen;

	while (o < end) {
		uint8_t type = pkt[o];
		size_t olen;

		if (type == OPT_PAD1) {
			o++;
			continue;
		}
		if (end - o < 2)
			return fail(reason, "option overruns extension header", -EINVAL);
		olen = pkt[o + 1];
		if (end - o - 2 < olen)
			return fail(reason, "option overruns extension header", -EINVAL);
		if (dstopts && type == OPT_HAO) {
			if (o > UINT16_MAX)
				return fail(reason, "extension headers too long", -EINVAL);
			if (olen != OPT_HAO_LEN)
				return fail(reason, "bad home address option length", -EINVAL);
			if (pk->hao)
				return fail(reason, "duplicate home address option", -EINVAL);
			pk->hao_off = (uint16_t)o;
			pk->hao = pkt + o + 2;
		}
		o += 2 + olen;
	}
	return 0;
}

/* Records the upper-layer header; for TCP also its ports, flags and length. */
static int
parse_l4(struct wire_pkt *pk, const uint8_t *pkt, size_t off, size_t end, uint8_t nh,
	 const char **reason)
{
	size_t hlen;

	pk->proto = nh;
	pk->l4_off = (uint16_t)off;
	if (nh != WIRE_PROTO_TCP)
		return 0;
	/*
	 * TCP header: sport 16, dport 16, seq 32, ack 32, data offset 4 bits +
	 * reserved 4, flags 8, window 16, checksum 16, urgent 16, options.
	 */
	if (end - off < TCP_MIN_HLEN)
		return fail(reason, "truncated TCP header", -EMSGSIZE);
	hlen = (size_t)(pkt[off + 12] >> 4) * 4;
	if (hlen < TCP_MIN_HLEN)
		return fail(reason, "bad TCP data offset", -EINVAL);
	if (end - off < hlen)
		return fail(reason, "TCP header overruns packet", -EMSGSIZE);
	pk->sport = get16(pkt + off);
	pk->dport = get16(pkt + off + 2);
	pk->tcp_flags = pkt[off + 13];
	pk->tcp_hlen = (uint8_t)hlen;
	return 0;
}

ssize_t
wire_ip6_hdr_encode(uint8_t *p, size_t cap, const uint8_t src[16], const uint8_t dst[16],
		    uint8_t next_hdr, uint16_t payload_len)
{
	static const uint8_t version_class_flow[4] = { 0x60, 0, 0, 0 };

	if (cap < WIRE_IP6_HDR_LEN)
		return -ENOSPC;
	memcpy(p, version_class_flow, sizeof(version_class_flow));
	put16(p + IP6_OFF_PLEN, payload_len);
	p[IP6_OFF_NXT] = next_hdr;
	p[IP6_OFF_HLIM] = 64;
	memcpy(p + IP6_OFF_SRC, src, 16);
	memcpy(p + IP6_OFF_DST, dst, 16);
	return WIRE_IP6_HDR_LEN;
}

int
wire_ip6_parse(struct wire_pkt *pk, const uint8_t *pkt, size_t len, const char **reason)
{
	size_t off = WIRE_IP6_HDR_LEN, end;
	uint8_t nh;
	int err;

	memset(pk, 0, sizeof(*pk));
	if (len < WIRE_IP6_HDR_LEN)
		return fail(reason, "truncated IPv6 header", -EMSGSIZE);
	if (pkt[0] >> 4 != 6)
		return fail(reason, "not IPv6", -EPROTO);
	pk->payload_len = get16(pkt + IP6_OFF_PLEN);
	end = WIRE_IP6_HDR_LEN + (size_t)pk->payload_len;
	if (end > len)
		return fail(reason, "payload length exceeds packet", -EMSGSIZE);
	pk->src = pkt + IP6_OFF_SRC;
	pk->dst = pkt + IP6_OFF_DST;
	pk->hop_limit = pkt[IP6_OFF_HLIM];
	nh = pkt[IP6_OFF_NXT];

	/* Every extension header is at least 8 bytes, so this loop ends. */
	for (;;) {
		size_t hlen;

		/* Offsets are stored in 16 bits; deeper headers are refused. */
		if (off > UINT16_MAX)
			return fail(reason, "extension headers too long", -EINVAL);
		switch (nh) {
		case WIRE_PROTO_HOPOPTS:
		case WIRE_PROTO_DSTOPTS:
		case WIRE_PROTO_ROUTING:
			if (end - off < 2)
				return fail(reason, "extension header overruns packet", -EMSGSIZE);
			hlen = ((size_t)pkt[off + 1] + 1) * 8;
			if (end - off < hlen)
				return fail(reason, "extension header overruns packet", -EMSGSIZE);
			if (nh == WIRE_PROTO_HOPOPTS && off != WIRE_IP6_HDR_LEN)
				return fail(reason, "hop-by-hop header not first", -EINVAL);
			if (nh == WIRE_PROTO_ROUTING) {
				if (pk->rh_off)
					return fail(reason, "duplicate routing header", -EINVAL);
				pk->rh_off = (uint16_t)off;
				pk->rh_type = pkt[off + 2];
				pk->rh_segleft = pkt[off + 3];
				if (pk->rh_type == 2 && hlen == WIRE_RH2_LEN && pk->rh_segleft <= 1)
					pk->rh2_home = pkt + off + 8;
			} else {
				err = walk_options(pk, pkt, off, hlen, nh == WIRE_PROTO_DSTOPTS,
						   reason);
				if (err)
					return err;
			}
			nh = pkt[off];
			off += hlen;
			break;
		case WIRE_PROTO_FRAGMENT:
			/*
			 * The rest is (part of) a fragmented payload: record what
			 * follows the Fragment header and stop; no L4 fields.
			 */
			if (end - off < FRAG_HDR_LEN)
				return fail(reason, "extension header overruns packet", -EMSGSIZE);
			if (off + FRAG_HDR_LEN > UINT16_MAX)
				return fail(reason, "extension headers too long", -EINVAL);
			pk->is_fragment = 1;
			pk->proto = pkt[off];
			pk->l4_off = (uint16_t)(off + FRAG_HDR_LEN);
			return 0;
		case WIRE_PROTO_NONE:
			pk->proto = nh;
			pk->l4_off = (uint16_t)off;
			return 0;
		default:
			return parse_l4(pk, pkt, off, end, nh, reason);
		}
	}
}

/* ---- Type 2 Routing Header insert / strip ------------------------------------ */

/* True when gso_type (ECN bit aside) names a segmentation offload. */
static int
vnet_is_gso(const struct wire_vnet_hdr *vh)
{
	return (vh->gso_type & (uint8_t)~WIRE_VNET_GSO_ECN) != WIRE_VNET_GSO_NONE;
}

ssize_t
wire_rh2_insert(uint8_t *pkt, size_t len, const uint8_t coa[16], struct wire_vnet_hdr *vh)
{
	uint8_t *hdr = pkt - WIRE_RH2_LEN;
	uint8_t *rh, c[16];
	uint16_t plen;
	uint8_t nxt;

	if (len < WIRE_IP6_HDR_LEN)
		return -EMSGSIZE;
	if (pkt[0] >> 4 != 6)
		return -EINVAL;
	plen = get16(pkt + IP6_OFF_PLEN);
	if ((size_t)WIRE_IP6_HDR_LEN + plen > len)
		return -EMSGSIZE;
	if ((size_t)plen + WIRE_RH2_LEN > UINT16_MAX)
		return -EMSGSIZE;
	/* A Hop-by-Hop header must stay first (RFC 8200 4.1). */
	if (pkt[IP6_OFF_NXT] == WIRE_PROTO_HOPOPTS)
		return -EINVAL;
	if (vh) {
		if (vnet_is_gso(vh) && (size_t)vh->hdr_len + WIRE_RH2_LEN > UINT16_MAX)
			return -EMSGSIZE;
		if ((vh->flags & WIRE_VNET_F_NEEDS_CSUM) &&
		    (size_t)vh->csum_start + WIRE_RH2_LEN > UINT16_MAX)
			return -EMSGSIZE;
	}

	/*
	 *  before:            [ fixed header 40 ][ payload ... ]
	 *                     ^pkt
	 *  after:  [ fixed header 40 ][ RH2 24 ][ payload ... ]
	 *          ^pkt - 24          ^pkt + 16
	 * The RH2's home address field (pkt + 24 .. pkt + 40) is where the old
	 * destination address already lies; it is copied anyway so the code
	 * does not depend on that coincidence.
	 */
	memcpy(c, coa, sizeof(c));	/* coa may point into the bytes that move */
	nxt = pkt[IP6_OFF_NXT];
	memmove(hdr, pkt, WIRE_IP6_HDR_LEN);
	rh = hdr + WIRE_IP6_HDR_LEN;
	memmove(rh + 8, hdr + IP6_OFF_DST, 16);
	rh[0] = nxt;
	rh[1] = 2;	/* Hdr Ext Len: (24 / 8) - 1 */
	rh[2] = 2;	/* Routing Type 2 */
	rh[3] = 1;	/* Segments Left */
	memset(rh + 4, 0, 4);
	hdr[IP6_OFF_NXT] = WIRE_PROTO_ROUTING;
	put16(hdr + IP6_OFF_PLEN, (uint16_t)(plen + WIRE_RH2_LEN));
	memcpy(hdr + IP6_OFF_DST, c, 16);
	if (vh) {
		if (vnet_is_gso(vh))
			vh->hdr_len = (uint16_t)(vh->hdr_len + WIRE_RH2_LEN);
		if (vh->flags & WIRE_VNET_F_NEEDS_CSUM)
			vh->csum_start = (uint16_t)(vh->csum_start + WIRE_RH2_LEN);
	}
	return (ssize_t)(len + WIRE_RH2_LEN);
}

ssize_t
wire_rh2_strip(uint8_t *pkt, size_t len, struct wire_vnet_hdr *vh)
{
	const uint8_t *rh = pkt + WIRE_IP6_HDR_LEN;
	uint16_t plen;

	if (len < WIRE_IP6_HDR_LEN + WIRE_RH2_LEN || pkt[0] >> 4 != 6)
		return -EINVAL;
	if (pkt[IP6_OFF_NXT] != WIRE_PROTO_ROUTING || rh[1] != 2 || rh[2] != 2 || rh[3] != 1)
		return -EINVAL;
	plen = get16(pkt + IP6_OFF_PLEN);
	if (plen < WIRE_RH2_LEN)
		return -EINVAL;
	if ((size_t)WIRE_IP6_HDR_LEN + plen > len)
		return -EMSGSIZE;
	if (vh) {
		/*
		 * The checksum must start past the header being removed; hdr_len
		 * is only a hint for the linear part, so it just must not wrap.
		 */
		if (vnet_is_gso(vh) && vh->hdr_len < WIRE_RH2_LEN)
			return -EINVAL;
		if ((vh->flags & WIRE_VNET_F_NEEDS_CSUM) &&
		    vh->csum_start < WIRE_IP6_HDR_LEN + WIRE_RH2_LEN)
			return -EINVAL;
	}

	/*
	 *  before: [ fixed header 40 ][ RH2 24 ][ payload ... ]
	 *          ^pkt
	 *  after:            [ fixed header 40 ][ payload ... ]
	 *                    ^pkt + 24
	 */
	memmove(pkt + IP6_OFF_DST, rh + 8, 16);
	pkt[IP6_OFF_NXT] = rh[0];
	put16(pkt + IP6_OFF_PLEN, (uint16_t)(plen - WIRE_RH2_LEN));
	memmove(pkt + WIRE_RH2_LEN, pkt, WIRE_IP6_HDR_LEN);
	if (vh) {
		if (vnet_is_gso(vh))
			vh->hdr_len = (uint16_t)(vh->hdr_len - WIRE_RH2_LEN);
		if (vh->flags & WIRE_VNET_F_NEEDS_CSUM)
			vh->csum_start = (uint16_t)(vh->csum_start - WIRE_RH2_LEN);
	}
	return (ssize_t)(len - WIRE_RH2_LEN);
}
