/*
 * xcf_mip6.c - XCF bodies of the Mobile IPv6 bypass: MIP6_COPY (a target
 * hands the routing stack a Mobility Header packet) and BIND_INFO (the
 * routing stack tells a target the binding state of a connection).
 *
 * MIP6_COPY                              BIND_INFO
 * +----------------------+              +----------------------+
 * | src (16)             |              | dvipa (16)           |
 * | dst (16)             |              | dport (2)            |
 * | coa (16)             |              | client (16)          |
 * | mhlen (2)            |              | cport (2)            |
 * | MH (mhlen <= 2048)   |              | bypass (1) coa (16)  |
 * +----------------------+              | seq (2) lifetime (2) |
 *                                       +----------------------+
 */
#include "wire/wire.h"

#include <errno.h>
#include <string.h>

static int
rd_done(const struct wire_rd *r, const char **reason)
{
	if (r->err) {
		if (reason)
			*reason = "truncated message body";
		return -EMSGSIZE;
	}
	if (wire_rd_left(r)) {
		if (reason)
			*reason = "trailing bytes after message body";
		return -EINVAL;
	}
	return 0;
}

int
wire_xcf_mip6_copy_decode(struct wire_xcf_mip6_copy *m, const uint8_t *p, size_t len,
			  const char **reason)
{
	struct wire_rd r;

	wire_rd_init(&r, p, len);
	wire_rd_bytes(&r, m->src, 16);
	wire_rd_bytes(&r, m->dst, 16);
	wire_rd_bytes(&r, m->coa, 16);
	m->mhlen = wire_rd_u16(&r);
	if (!r.err && (m->mhlen > WIRE_XCF_MAX_MH || m->mhlen < 8)) {
		if (reason)
			*reason = "MIP6_COPY: Mobility Header length out of range";
		return -EINVAL;
	}
	wire_rd_bytes(&r, m->mh, r.err ? 0 : m->mhlen);
	return rd_done(&r, reason);
}

ssize_t
wire_xcf_mip6_copy_encode(const struct wire_xcf_mip6_copy *m, uint8_t *p, size_t cap)
{
	struct wire_wr w;

	if (m->mhlen > WIRE_XCF_MAX_MH)
		return -EINVAL;
	wire_wr_init(&w, p, cap);
	wire_wr_bytes(&w, m->src, 16);
	wire_wr_bytes(&w, m->dst, 16);
	wire_wr_bytes(&w, m->coa, 16);
	wire_wr_u16(&w, m->mhlen);
	wire_wr_bytes(&w, m->mh, m->mhlen);
	return wire_wr_result(&w);
}

int
wire_xcf_bind_info_decode(struct wire_xcf_bind_info *m, const uint8_t *p, size_t len,
			  const char **reason)
{
	struct wire_rd r;

	wire_rd_init(&r, p, len);
	wire_rd_bytes(&r, m->dvipa, 16);
	m->dport = wire_rd_u16(&r);
	wire_rd_bytes(&r, m->client, 16);
	m->cport = wire_rd_u16(&r);
	m->bypass = wire_rd_u8(&r);
	wire_rd_bytes(&r, m->coa, 16);
	m->seq = wire_rd_u16(&r);
	m->lifetime = wire_rd_u16(&r);
	if (!r.err && (m->bypass & WIRE_XCF_BYPASS_STATE) > 2) {
		if (reason)
			*reason = "BIND_INFO: unknown bypass state";
		return -EINVAL;
	}
	return rd_done(&r, reason);
}

ssize_t
wire_xcf_bind_info_encode(const struct wire_xcf_bind_info *m, uint8_t *p, size_t cap)
{
	struct wire_wr w;

	wire_wr_init(&w, p, cap);
	wire_wr_bytes(&w, m->dvipa, 16);
	wire_wr_u16(&w, m->dport);
	wire_wr_bytes(&w, m->client, 16);
	wire_wr_u16(&w, m->cport);
	wire_wr_u8(&w, m->bypass);
	wire_wr_bytes(&w, m->coa, 16);
	wire_wr_u16(&w, m->seq);
	wire_wr_u16(&w, m->lifetime);
	return wire_wr_result(&w);
}
