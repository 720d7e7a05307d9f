/*
 * gre.c - Generic Routing Encapsulation (RFC 2784, with the Key and Sequence
 * Number of RFC 2890) and the IPv4-in-GRE-in-IPv4 encapsulation the routing
 * stack uses to forward IPv4 DVIPA traffic to a target (over the DYNAMICXCF
 * network or, with VIPAROUTE, to the target's VIPAROUTE address).
 *
 * Contract (see wire.h for the layout):
 *  - Pure: no I/O, no clock, no logging, no globals, no allocation.
 *  - Every read is checked against the length first.  wire_gre4_encap writes
 *    only in [pkt - overhead, pkt) and leaves the packet untouched when it
 *    fails; wire_gre4_decap writes nothing.
 */
#include "wire/wire.h"

#include <errno.h>
#include <string.h>

static int
fail(const char **reason, const char *why, int err)
{
	if (reason)
		*reason = why;
	return err;
}

size_t
wire_gre_hlen(const struct wire_gre *g)
{
	return WIRE_GRE_HDR_MIN + (g->has_csum ? 4u : 0u) + (g->has_key ? 4u : 0u) +
	       (g->has_seq ? 4u : 0u);
}

int
wire_gre_decode(struct wire_gre *g, const uint8_t *p, size_t len, size_t *hlen,
		const char **reason)
{
	struct wire_rd r;
	uint16_t flags;

	memset(g, 0, sizeof(*g));
	wire_rd_init(&r, p, len);
	flags = wire_rd_u16(&r);
	g->proto = wire_rd_u16(&r);
	if (r.err)
		return fail(reason, "truncated GRE header", -EMSGSIZE);
	if (flags & WIRE_GRE_VER)
		return fail(reason, "GRE version not 0", -EPROTO);
	/* Reserved0: bit 1 (routing, RFC 1701) and bits 4..12 must be 0. */
	if (flags & ~(WIRE_GRE_C | WIRE_GRE_K | WIRE_GRE_S | WIRE_GRE_VER))
		return fail(reason, "GRE reserved bits set", -EINVAL);
	g->has_csum = (flags & WIRE_GRE_C) != 0;
	g->has_key = (flags & WIRE_GRE_K) != 0;
	g->has_seq = (flags & WIRE_GRE_S) != 0;
	if (g->has_csum) {
		g->csum = wire_rd_u16(&r);
		(void)wire_rd_u16(&r);	/* Reserved1 */
	}
	if (g->has_key)
		g->key = wire_rd_u32(&r);
	if (g->has_seq)
		g->seq = wire_rd_u32(&r);
	if (r.err)
		return fail(reason, "truncated GRE header", -EMSGSIZE);
	if (hlen)
		*hlen = r.off;
	return 0;
}

ssize_t
wire_gre_encode(const struct wire_gre *g, uint8_t *p, size_t cap)
{
	struct wire_wr w;
	uint16_t flags = 0;

	if (g->has_csum)
		flags |= WIRE_GRE_C;
	if (g->has_key)
		flags |= WIRE_GRE_K;
	if (g->has_seq)
		flags |= WIRE_GRE_S;
	wire_wr_init(&w, p, cap);
	wire_wr_u16(&w, flags);
	wire_wr_u16(&w, g->proto);
	if (g->has_csum) {
		wire_wr_u16(&w, 0);
		wire_wr_u16(&w, 0);
	}
	if (g->has_key)
		wire_wr_u32(&w, g->key);
	if (g->has_seq)
		wire_wr_u32(&w, g->seq);
	return wire_wr_result(&w);
}

void
wire_gre_csum_set(uint8_t *p, size_t len)
{
	uint16_t c;

	if (len < 8 || !(p[0] & 0x80))
		return;
	p[4] = p[5] = 0;
	c = wire_csum_fold(wire_csum_add(0, p, len));
	p[4] = (uint8_t)(c >> 8);
	p[5] = (uint8_t)c;
}

int
wire_gre_csum_ok(const uint8_t *p, size_t len)
{
	if (len < 8 || !(p[0] & 0x80))
		return 1;
	return wire_csum_fold(wire_csum_add(0, p, len)) == 0;
}

ssize_t
wire_gre4_encap(uint8_t *pkt, size_t len, const uint8_t src[4], const uint8_t dst[4],
		const struct wire_gre *g, uint16_t id)
{
	struct wire_ip4 in, out;
	struct wire_gre gg = *g;
	size_t ghl = wire_gre_hlen(g), over = WIRE_IP4_HDR_LEN + ghl, total;
	uint8_t *o = pkt - over;
	int rc;

	if ((rc = wire_ip4_decode(&in, pkt, len, NULL)) < 0)
		return rc;
	total = over + in.tot_len;
	if (total > 65535)
		return -EMSGSIZE;
	gg.proto = WIRE_ETHERTYPE_IP;
	memset(&out, 0, sizeof(out));
	out.hlen = WIRE_IP4_HDR_LEN;
	out.tos = in.tos;
	out.tot_len = (uint16_t)total;
	out.id = id;
	out.frag = in.frag & WIRE_IP4_DF;
	out.ttl = 64;
	out.proto = WIRE_PROTO_GRE;
	memcpy(out.src, src, 4);
	memcpy(out.dst, dst, 4);
	wire_ip4_encode(&out, o, WIRE_IP4_HDR_LEN);
	wire_gre_encode(&gg, o + WIRE_IP4_HDR_LEN, ghl);
	if (gg.has_csum)
		wire_gre_csum_set(o + WIRE_IP4_HDR_LEN, ghl + in.tot_len);
	return (ssize_t)total;
}

int
wire_gre4_decap(struct wire_gre4_info *info, const uint8_t *pkt, size_t len, const char **reason)
{
	const uint8_t *g;
	size_t glen, ghl;
	int rc;

	memset(info, 0, sizeof(*info));
	if ((rc = wire_ip4_decode(&info->outer, pkt, len, reason)) < 0)
		return rc;
	if (!wire_ip4_csum_ok(pkt, len))
		return fail(reason, "bad outer IPv4 header checksum", -EBADMSG);
	if (info->outer.frag & (WIRE_IP4_MF | WIRE_IP4_OFFMASK))
		return fail(reason, "outer packet is a fragment", -EINVAL);
	if (info->outer.proto != WIRE_PROTO_GRE)
		return fail(reason, "outer protocol is not GRE", -EPROTO);
	g = pkt + info->outer.hlen;
	glen = (size_t)info->outer.tot_len - info->outer.hlen;
	if ((rc = wire_gre_decode(&info->gre, g, glen, &ghl, reason)) < 0)
		return rc;
	if (info->gre.has_csum && !wire_gre_csum_ok(g, glen))
		return fail(reason, "bad GRE checksum", -EBADMSG);
	info->inner_off = info->outer.hlen + ghl;
	info->inner_len = glen - ghl;
	if (info->gre.proto == WIRE_ETHERTYPE_IP) {
		if (info->inner_len < WIRE_IP4_HDR_LEN || (pkt[info->inner_off] >> 4) != 4)
			return fail(reason, "GRE payload is not an IPv4 packet", -EINVAL);
	} else if (info->gre.proto == WIRE_ETHERTYPE_IPV6) {
		if (info->inner_len < WIRE_IP6_HDR_LEN || (pkt[info->inner_off] >> 4) != 6)
			return fail(reason, "GRE payload is not an IPv6 packet", -EINVAL);
	} else {
		return fail(reason, "GRE payload is neither IPv4 nor IPv6", -EPROTO);
	}
	return 0;
}
