/*
 * mip6.c - Mobile IPv6 (RFC 6275) wire codecs and return routability
 * crypto: the Mobility Header with its eight message types and options,
 * its checksum, the Type 2 Routing Header and the Home Address destination
 * option, keygen tokens, Kbm and the Binding Update authenticator.
 *
 * Contract (see wire/wire.h): pure functions, no I/O, clock, logging,
 * globals or allocation; decoders check every length before reading and
 * return 0 or a negative errno with a static reason; encoders never write
 * past `cap`.  Checksums are verified by the caller (mip6_csum_ok).
 *
 * Byte layouts.  Every MH message starts with the common six octets:
 *
 *  0               1               2               3
 * +---------------+---------------+---------------+---------------+
 * | Payload Proto |  Header Len   |   MH Type     |   Reserved    |
 * +---------------+---------------+---------------+---------------+
 * |           Checksum            |  (message data)               |
 * +-------------------------------+-------------------------------+
 *
 * and continues at offset 6 as follows (options start right after the
 * fixed data; the minimum length is what RFC 6275 9.2 checks):
 *
 * BRR (0), minimum 8:           HoTI (1) / CoTI (2), minimum 16:
 * +-------------------------------+   +-------------------------------+
 * |           Reserved            |   |           Reserved            |
 * +-------------------------------+   +-------------------------------+
 * |     Mobility Options ...          |  Home / Care-of Init Cookie (8)
 *                                     +-------------------------------+
 *                                     |     Mobility Options ...
 *
 * HoT (3) / CoT (4), minimum 24:
 * +-------------------------------+
 * |  Home / Care-of Nonce Index   |
 * +-------------------------------+-------------------------------+
 * |              Home / Care-of Init Cookie (8)                   |
 * +---------------------------------------------------------------+
 * |              Home / Care-of Keygen Token (8)                  |
 * +---------------------------------------------------------------+
 * |     Mobility Options ...
 *
 * BU (5), minimum 12 (so 16 once padded):
 * +-------------------------------+
 * |           Sequence #          |
 * +-+-+-+-+-+-+-+-+---------------+-------------------------------+
 * |A|H|L|K|M|R|P|F|   Reserved    |           Lifetime            |
 * +-+-+-+-+-+-+-+-+---------------+-------------------------------+
 * |     Mobility Options ...
 * (M, R, P, F come from later RFCs and are carried as they are; the
 * Lifetime is in units of 4 seconds.)
 *
 * BA (6), minimum 12:
 * +---------------+-+-------------+
 * |    Status     |K|  Reserved   |
 * +---------------+-+-------------+-------------------------------+
 * |           Sequence #          |           Lifetime            |
 * +-------------------------------+-------------------------------+
 * |     Mobility Options ...
 *
 * BE (7), minimum 24:
 * +---------------+---------------+
 * |    Status     |   Reserved    |
 * +---------------+---------------+-------------------------------+
 * |                     Home Address (16)                         |
 * +---------------------------------------------------------------+
 * |     Mobility Options ...
 *
 * Mobility options are Type | Length | data, Length excluding the first two
 * octets, except Pad1, which is a single zero octet:
 *   Pad1 (0)                       no alignment
 *   PadN (1)    n zero octets      no alignment
 *   Binding Refresh Advice (2)     len 2: Refresh Interval (4 s units), 2n
 *   Alternate Care-of Address (3)  len 16: address, 8n+6
 *   Nonce Indices (4)              len 4: Home, Care-of Nonce Index, 2n
 *   Binding Authorization Data (5) len 12: Authenticator, 8n+2, always last
 *   Vendor-Specific (19, RFC 5094) len 5+n: Vendor ID (4), Sub-Type (1),
 *                                  data (n), 4n+2
 */
#include "wire/wire.h"

#include <errno.h>
#include <string.h>

/* Minimum total length per MH type (RFC 6275 9.2); also the options offset. */
static const uint8_t mh_min_len[MIP6_MH_TYPE_MAX + 1] = {
	[MIP6_MH_BRR] = 8,  [MIP6_MH_HOTI] = 16, [MIP6_MH_COTI] = 16, [MIP6_MH_HOT] = 24,
	[MIP6_MH_COT] = 24, [MIP6_MH_BU] = 12,	 [MIP6_MH_BA] = 12,   [MIP6_MH_BE] = 24,
};

static int
fail(const char **reason, const char *why, int err)
{
	if (reason)
		*reason = why;
	return err;
}

static uint16_t
be16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

/* ---- Mobility options ------------------------------------------------------ */

/*
 * Walks the options between `off` and `end`.  Fixed options must have their
 * exact length and may appear once; an option running past the end of the
 * message is malformed; unknown options are skipped (RFC 6275 6.2.1); only
 * padding may follow the Binding Authorization Data option, which "must be
 * the last mobility option" (RFC 6275 6.2.7).
 */
static int
opts_decode(struct mip6_opts *o, const uint8_t *p, size_t off, size_t end,
	    const char **reason)
{
	int after_auth = 0;

	while (off < end) {
		uint8_t t = p[off], olen;
		const uint8_t *d;

		if (t == MIP6_OPT_PAD1) {
			off++;
			continue;
		}
		if (end - off < 2 || p[off + 1] > end - off - 2)
			return fail(reason, "option overruns message", -EINVAL);
		olen = p[off + 1];
		d = p + off + 2;
		if (after_auth && t != MIP6_OPT_PADN)
			return fail(reason, "option after Binding Authorization Data", -EINVAL);
		if (t == MIP6_OPT_REFRESH || t == MIP6_OPT_ALTCOA || t == MIP6_OPT_NONCE ||
		    t == MIP6_OPT_AUTH) {
			if (o->present & MIP6_OPTF(t))
				return fail(reason, "duplicate mobility option", -EINVAL);
			o->present |= MIP6_OPTF(t);
		}
		switch (t) {
		case MIP6_OPT_PADN:
			break;
		case MIP6_OPT_REFRESH:
			if (olen != 2)
				return fail(reason, "Binding Refresh Advice length not 2", -EINVAL);
			o->refresh = be16(d);
			break;
		case MIP6_OPT_ALTCOA:
			if (olen != 16)
				return fail(reason, "Alternate Care-of Address length not 16",
					    -EINVAL);
			memcpy(o->alt_coa, d, 16);
			break;
		case MIP6_OPT_NONCE:
			if (olen != 4)
				return fail(reason, "Nonce Indices length not 4", -EINVAL);
			o->home_nonce_idx = be16(d);
			o->coa_nonce_idx = be16(d + 2);
			break;
		case MIP6_OPT_AUTH:
			if (olen != MIP6_AUTH_LEN)
				return fail(reason, "Binding Authorization Data length not 12",
					    -EINVAL);
			memcpy(o->auth, d, MIP6_AUTH_LEN);
			o->auth_off = (uint16_t)(off + 2);
			after_auth = 1;
			break;
		case MIP6_OPT_VSO: {
			struct mip6_vso *v;

			if (olen < 5)
				return fail(reason, "Vendor-Specific option shorter than 5",
					    -EINVAL);
			if (o->n_vso == MIP6_MAX_VSO)
				return fail(reason, "too many Vendor-Specific options", -EINVAL);
			v = &o->vso[o->n_vso++];
			v->vendor_id = ((uint32_t)d[0] << 24) | ((uint32_t)d[1] << 16) |
				       ((uint32_t)d[2] << 8) | d[3];
			v->subtype = d[4];
			v->len = (uint8_t)(olen - 5);
			v->data = d + 5;
			memcpy(v->bytes, d + 5, v->len);
			break;
		}
		default:
			if (o->n_unknown < UINT8_MAX)
				o->n_unknown++;
			break;
		}
		off += 2 + (size_t)olen;
	}
	return 0;
}

/*
 * Writes Pad1 or PadN so that the next octet sits at offset x*n + y from the
 * start of the MH (the RFC's "xn+y" alignment).
 */
static void
pad_to(struct wire_wr *w, size_t x, size_t y)
{
	size_t cur = w->off % x, n = (x + y - cur) % x;

	if (n == 1) {
		wire_wr_u8(w, MIP6_OPT_PAD1);
	} else if (n >= 2) {
		wire_wr_u8(w, MIP6_OPT_PADN);
		wire_wr_u8(w, (uint8_t)(n - 2));
		while (n-- > 2)
			wire_wr_u8(w, 0);
	}
}

static void
opts_encode(const struct mip6_opts *o, struct wire_wr *w)
{
	uint8_t i;

	if (o->present & MIP6_OPTF(MIP6_OPT_NONCE)) {
		pad_to(w, 2, 0);
		wire_wr_u8(w, MIP6_OPT_NONCE);
		wire_wr_u8(w, 4);
		wire_wr_u16(w, o->home_nonce_idx);
		wire_wr_u16(w, o->coa_nonce_idx);
	}
	if (o->present & MIP6_OPTF(MIP6_OPT_REFRESH)) {
		pad_to(w, 2, 0);
		wire_wr_u8(w, MIP6_OPT_REFRESH);
		wire_wr_u8(w, 2);
		wire_wr_u16(w, o->refresh);
	}
	if (o->present & MIP6_OPTF(MIP6_OPT_ALTCOA)) {
		pad_to(w, 8, 6);
		wire_wr_u8(w, MIP6_OPT_ALTCOA);
		wire_wr_u8(w, 16);
		wire_wr_bytes(w, o->alt_coa, 16);
	}
	for (i = 0; i < o->n_vso; i++) {
		const struct mip6_vso *v = &o->vso[i];

		pad_to(w, 4, 2);
		wire_wr_u8(w, MIP6_OPT_VSO);
		wire_wr_u8(w, (uint8_t)(5 + v->len));
		wire_wr_u32(w, v->vendor_id);
		wire_wr_u8(w, v->subtype);
		wire_wr_bytes(w, v->bytes, v->len);
	}
	if (o->present & MIP6_OPTF(MIP6_OPT_AUTH)) {
		pad_to(w, 8, 2);
		wire_wr_u8(w, MIP6_OPT_AUTH);
		wire_wr_u8(w, MIP6_AUTH_LEN);
		wire_wr_bytes(w, o->auth, MIP6_AUTH_LEN);
	}
}

/* ---- Mobility Header ------------------------------------------------------- */

int
mip6_msg_decode(struct mip6_msg *m, const uint8_t *p, size_t len, const char **reason)
{
	struct wire_rd r;
	size_t total;

	memset(m, 0, sizeof(*m));
	if (len < 8)
		return fail(reason, "Mobility Header shorter than 8 octets", -EMSGSIZE);
	m->proto = p[0];
	m->type = p[2];
	m->csum = be16(p + 4);
	total = ((size_t)p[1] + 1) * 8;
	m->len = (uint16_t)total;
	if (len < total)
		return fail(reason, "Mobility Header shorter than its Header Len", -EMSGSIZE);
	if (len > total)
		return fail(reason, "Mobility Header longer than its Header Len", -EINVAL);
	if (m->proto != WIRE_PROTO_NONE)
		return fail(reason, "Payload Proto is not 59", -EINVAL);
	if (m->type > MIP6_MH_TYPE_MAX)
		return fail(reason, "unknown MH type", -EPROTONOSUPPORT);
	if (total < mh_min_len[m->type])
		return fail(reason, "Header Len below the minimum for the MH type", -EINVAL);

	wire_rd_init(&r, p, total);
	r.off = MIP6_HDR_LEN;
	switch (m->type) {
	case MIP6_MH_BRR:
		break;
	case MIP6_MH_HOTI:
	case MIP6_MH_COTI:
		r.off += 2;
		wire_rd_bytes(&r, m->hoti.cookie, MIP6_COOKIE_LEN);
		break;
	case MIP6_MH_HOT:
	case MIP6_MH_COT:
		m->hot.nonce_idx = wire_rd_u16(&r);
		wire_rd_bytes(&r, m->hot.cookie, MIP6_COOKIE_LEN);
		wire_rd_bytes(&r, m->hot.token, MIP6_TOKEN_LEN);
		break;
	case MIP6_MH_BU:
		m->bu.seq = wire_rd_u16(&r);
		m->bu.flags = wire_rd_u8(&r);
		(void)wire_rd_u8(&r);
		m->bu.lifetime = wire_rd_u16(&r);
		break;
	case MIP6_MH_BA:
		m->ba.status = wire_rd_u8(&r);
		m->ba.flags = wire_rd_u8(&r);
		m->ba.seq = wire_rd_u16(&r);
		m->ba.lifetime = wire_rd_u16(&r);
		break;
	case MIP6_MH_BE:
		m->be.status = wire_rd_u8(&r);
		(void)wire_rd_u8(&r);
		wire_rd_bytes(&r, m->be.home, 16);
		break;
	}
	if (r.err)	/* cannot happen: total >= the minimum checked above */
		return fail(reason, "Mobility Header truncated", r.err);
	return opts_decode(&m->opts, p, mh_min_len[m->type], total, reason);
}

ssize_t
mip6_msg_encode(const struct mip6_msg *m, uint8_t *p, size_t cap)
{
	struct wire_wr w;
	uint8_t i;

	if (m->type > MIP6_MH_TYPE_MAX || m->opts.n_vso > MIP6_MAX_VSO)
		return -EINVAL;
	for (i = 0; i < m->opts.n_vso; i++)
		if (m->opts.vso[i].len > MIP6_VSO_DATA_MAX)
			return -EINVAL;

	wire_wr_init(&w, p, cap);
	wire_wr_u8(&w, WIRE_PROTO_NONE);
	wire_wr_u8(&w, 0);	/* Header Len, set below */
	wire_wr_u8(&w, m->type);
	wire_wr_u8(&w, 0);
	wire_wr_u16(&w, 0);	/* checksum: mip6_csum_set */
	switch (m->type) {
	case MIP6_MH_BRR:
		wire_wr_u16(&w, 0);
		break;
	case MIP6_MH_HOTI:
	case MIP6_MH_COTI:
		wire_wr_u16(&w, 0);
		wire_wr_bytes(&w, m->hoti.cookie, MIP6_COOKIE_LEN);
		break;
	case MIP6_MH_HOT:
	case MIP6_MH_COT:
		wire_wr_u16(&w, m->hot.nonce_idx);
		wire_wr_bytes(&w, m->hot.cookie, MIP6_COOKIE_LEN);
		wire_wr_bytes(&w, m->hot.token, MIP6_TOKEN_LEN);
		break;
	case MIP6_MH_BU:
		wire_wr_u16(&w, m->bu.seq);
		wire_wr_u8(&w, m->bu.flags);
		wire_wr_u8(&w, 0);
		wire_wr_u16(&w, m->bu.lifetime);
		break;
	case MIP6_MH_BA:
		wire_wr_u8(&w, m->ba.status);
		wire_wr_u8(&w, m->ba.flags);
		wire_wr_u16(&w, m->ba.seq);
		wire_wr_u16(&w, m->ba.lifetime);
		break;
	case MIP6_MH_BE:
		wire_wr_u8(&w, m->be.status);
		wire_wr_u8(&w, 0);
		wire_wr_bytes(&w, m->be.home, 16);
		break;
	}
	opts_encode(&m->opts, &w);
	pad_to(&w, 8, 0);
	if (w.err)
		return w.err;
	if (w.off > MIP6_MAX_LEN)
		return -EINVAL;
	p[1] = (uint8_t)(w.off / 8 - 1);
	return (ssize_t)w.off;
}

int
mip6_auth_off(const uint8_t *mh, size_t len)
{
	struct mip6_msg m;
	int err = mip6_msg_decode(&m, mh, len, NULL);

	if (err)
		return err;
	if (!(m.opts.present & MIP6_OPTF(MIP6_OPT_AUTH)))
		return -ENOENT;
	return m.opts.auth_off;
}

/* ---- checksum -------------------------------------------------------------- */

/*
 * Built on wire/csum.c.  mip6_csum sums the pseudo-header (RFC 8200 8.1,
 * next header 135) and the MH without its two checksum octets, i.e. as if
 * the field were zero; the pieces before the last have even lengths, as
 * wire_csum_add requires.
 */
uint16_t
mip6_csum(const uint8_t src[16], const uint8_t dst[16], const uint8_t *mh, size_t len)
{
	uint8_t ph[8];
	uint32_t s;

	ph[0] = (uint8_t)((uint64_t)len >> 24);
	ph[1] = (uint8_t)(len >> 16);
	ph[2] = (uint8_t)(len >> 8);
	ph[3] = (uint8_t)len;
	ph[4] = ph[5] = ph[6] = 0;
	ph[7] = WIRE_PROTO_MH;
	s = wire_csum_add(0, src, 16);
	s = wire_csum_add(s, dst, 16);
	s = wire_csum_add(s, ph, sizeof(ph));
	if (len >= MIP6_HDR_LEN) {
		s = wire_csum_add(s, mh, 4);
		s = wire_csum_add(s, mh + MIP6_HDR_LEN, len - MIP6_HDR_LEN);
	} else {
		s = wire_csum_add(s, mh, len);
	}
	return wire_csum_fold(s);
}

void
mip6_csum_set(const uint8_t src[16], const uint8_t dst[16], uint8_t *mh, size_t len)
{
	uint16_t c;

	if (len < MIP6_HDR_LEN)
		return;
	c = mip6_csum(src, dst, mh, len);
	mh[4] = (uint8_t)(c >> 8);
	mh[5] = (uint8_t)c;
}

/* The sum over everything, the stored checksum included, is all ones when
 * the checksum is right (0x0000 and 0xffff in the field are then equivalent). */
int
mip6_csum_ok(const uint8_t src[16], const uint8_t dst[16], const uint8_t *mh, size_t len)
{
	if (len < MIP6_HDR_LEN)
		return 0;
	return wire_csum_ip6(src, dst, WIRE_PROTO_MH, mh, len) == 0;
}

/* ---- Type 2 Routing Header ------------------------------------------------- */

int
mip6_rh2_decode(struct mip6_rh2 *rh, const uint8_t *p, size_t len, const char **reason)
{
	memset(rh, 0, sizeof(*rh));
	if (len < WIRE_RH2_LEN)
		return fail(reason, "Type 2 Routing Header truncated", -EMSGSIZE);
	if (p[2] != 2)
		return fail(reason, "Routing Type is not 2", -EPROTO);
	if (p[1] != 2)
		return fail(reason, "Type 2 Routing Header Hdr Ext Len is not 2", -EINVAL);
	if (p[3] > 1)
		return fail(reason, "Type 2 Routing Header Segments Left above 1", -EINVAL);
	rh->next_hdr = p[0];
	rh->segleft = p[3];
	memcpy(rh->home, p + 8, 16);
	return 0;
}

ssize_t
mip6_rh2_encode(const struct mip6_rh2 *rh, uint8_t *p, size_t cap)
{
	if (rh->segleft > 1)
		return -EINVAL;
	if (cap < WIRE_RH2_LEN)
		return -ENOSPC;
	p[0] = rh->next_hdr;
	p[1] = 2;
	p[2] = 2;
	p[3] = rh->segleft;
	memset(p + 4, 0, 4);
	memcpy(p + 8, rh->home, 16);
	return WIRE_RH2_LEN;
}

/* ---- Home Address destination option -------------------------------------- */

/*
 *  0               1               2               3
 * +---------------+---------------+---------------+---------------+
 * |  Next Header  | Hdr Ext Len=2 |  PadN (1)     |  Opt Len = 2  |
 * +---------------+---------------+---------------+---------------+
 * |       0       |       0       | Opt Type = 201|  Opt Len = 16 |
 * +---------------+---------------+---------------+---------------+
 * |                     Home Address (16)                         |
 * +---------------------------------------------------------------+
 * The Home Address option starts at offset 6 = 8n+6, so the address is
 * 8-octet aligned (RFC 6275 6.3).
 */
int
mip6_hao_decode(struct mip6_hao *h, const uint8_t *p, size_t len, const char **reason)
{
	size_t hl, off;
	int found = 0;

	memset(h, 0, sizeof(*h));
	if (len < 2)
		return fail(reason, "Destination Options header truncated", -EMSGSIZE);
	hl = ((size_t)p[1] + 1) * 8;
	if (len < hl)
		return fail(reason, "Destination Options header truncated", -EMSGSIZE);
	h->next_hdr = p[0];
	h->len = (uint16_t)hl;
	for (off = 2; off < hl;) {
		uint8_t t = p[off], olen;

		if (t == 0) {	/* Pad1 */
			off++;
			continue;
		}
		if (hl - off < 2 || p[off + 1] > hl - off - 2)
			return fail(reason, "destination option overruns header", -EINVAL);
		olen = p[off + 1];
		if (t == MIP6_HAO_OPT) {
			if (found)
				return fail(reason, "more than one Home Address option", -EINVAL);
			if (olen != 16)
				return fail(reason, "Home Address option length not 16", -EINVAL);
			memcpy(h->home, p + off + 2, 16);
			h->hao_off = (uint16_t)off;
			found = 1;
		} else if (t != 1 && (t & 0xc0) != 0) {
			return fail(reason, "unknown destination option that must not be skipped",
				    -EPROTO);
		}
		off += 2 + (size_t)olen;
	}
	if (!found)
		return fail(reason, "no Home Address option", -ENOENT);
	return 0;
}

ssize_t
mip6_hao_encode(const struct mip6_hao *h, uint8_t *p, size_t cap)
{
	if (cap < MIP6_HAO_HDR_LEN)
		return -ENOSPC;
	p[0] = h->next_hdr;
	p[1] = MIP6_HAO_HDR_LEN / 8 - 1;
	p[2] = 1;		/* PadN with two zero octets: HAO at 8n+6 */
	p[3] = 2;
	p[4] = 0;
	p[5] = 0;
	p[6] = MIP6_HAO_OPT;
	p[7] = 16;
	memcpy(p + 8, h->home, 16);
	return MIP6_HAO_HDR_LEN;
}

/* ---- return routability (RFC 6275 5.2) ------------------------------------ */

/*
 * RFC 6275 5.2.5:
 *   home keygen token := First (64, HMAC_SHA1 (Kcn, (home address | nonce | 0)))
 *   care-of keygen token := First (64, HMAC_SHA1 (Kcn, (care-of address | nonce | 1)))
 * where the final 0 or 1 is a single octet.
 */
void
mip6_keygen_token(const uint8_t kcn[MIP6_KCN_LEN], const uint8_t addr[16],
		  const uint8_t nonce[MIP6_NONCE_LEN], int care_of, uint8_t out[MIP6_TOKEN_LEN])
{
	struct mip6_hmac_sha1 c;
	uint8_t mac[MIP6_SHA1_LEN], which = care_of ? 1 : 0;

	mip6_hmac_sha1_init(&c, kcn, MIP6_KCN_LEN);
	mip6_hmac_sha1_update(&c, addr, 16);
	mip6_hmac_sha1_update(&c, nonce, MIP6_NONCE_LEN);
	mip6_hmac_sha1_update(&c, &which, 1);
	mip6_hmac_sha1_final(&c, mac);
	memcpy(out, mac, MIP6_TOKEN_LEN);
}

/*
 * RFC 6275 5.2.5: Kbm = SHA1 (home keygen token | care-of keygen token), and
 * Kbm = SHA1 (home keygen token) when the binding is being deleted.
 */
void
mip6_kbm(const uint8_t home_tok[MIP6_TOKEN_LEN], const uint8_t *coa_tok,
	 uint8_t out[MIP6_KBM_LEN])
{
	struct mip6_sha1 c;

	mip6_sha1_init(&c);
	mip6_sha1_update(&c, home_tok, MIP6_TOKEN_LEN);
	if (coa_tok)
		mip6_sha1_update(&c, coa_tok, MIP6_TOKEN_LEN);
	mip6_sha1_final(&c, out);
}

/*
 * RFC 6275 6.2.7:
 *   Mobility Data = care-of address | correspondent | MH Data
 *   Authenticator = First (96, HMAC_SHA1 (Kbm, Mobility Data))
 * The sentences followed for MH Data, verbatim: "'MH Data' is the content
 * of the Mobility Header, excluding the Authenticator field itself.  The
 * Authenticator value is calculated as if the Checksum field in the
 * Mobility Header was zero."  So the Header Len (which counts the
 * Authenticator), the Binding Authorization Data option's type and length
 * octets and any padding are covered; the 12 Authenticator octets are
 * left out (not zeroed: left out), and the Checksum is counted as two
 * zero octets whatever the buffer holds, so a received message can be
 * verified in place.
 */
int
mip6_bu_authenticator(const uint8_t kbm[MIP6_KBM_LEN], const uint8_t coa[16],
		      const uint8_t cn[16], const uint8_t *mh, size_t mhlen, size_t auth_off,
		      uint8_t out[MIP6_AUTH_LEN])
{
	static const uint8_t zero_csum[2];
	struct mip6_hmac_sha1 c;
	uint8_t mac[MIP6_SHA1_LEN];

	if (auth_off < MIP6_HDR_LEN || auth_off > mhlen || mhlen - auth_off < MIP6_AUTH_LEN)
		return -EINVAL;
	mip6_hmac_sha1_init(&c, kbm, MIP6_KBM_LEN);
	mip6_hmac_sha1_update(&c, coa, 16);
	mip6_hmac_sha1_update(&c, cn, 16);
	mip6_hmac_sha1_update(&c, mh, 4);
	mip6_hmac_sha1_update(&c, zero_csum, sizeof(zero_csum));
	mip6_hmac_sha1_update(&c, mh + MIP6_HDR_LEN, auth_off - MIP6_HDR_LEN);
	mip6_hmac_sha1_update(&c, mh + auth_off + MIP6_AUTH_LEN,
			      mhlen - auth_off - MIP6_AUTH_LEN);
	mip6_hmac_sha1_final(&c, mac);
	memcpy(out, mac, MIP6_AUTH_LEN);
	return 0;
}

/*
 * RFC 6275 9.5.1: "A Sequence Number in a received Binding Update is
 * considered less than or equal to the last received number if its value
 * lies in the range of the last received number and the preceding 32768
 * values, inclusive.  For example, if the last received sequence number was
 * 15, then messages with sequence numbers 0 through 15, as well as 32783
 * through 65535, would be considered less than or equal."  15 - 32768 is
 * 32783 modulo 2^16, so the text and its example agree: `a` is newer than
 * `b` only when a - b (mod 2^16) is 1 .. 32767; a difference of exactly
 * 32768 is not newer.  (RFC 3931's similar rule puts 32768 on the other
 * side, which is where test suites differ.)
 */
int
mip6_seq_newer(uint16_t a, uint16_t b)
{
	uint16_t d = (uint16_t)(a - b);

	return d >= 1 && d <= 32767;
}
