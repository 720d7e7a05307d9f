/*
 * sha1.c - SHA-1 (FIPS 180-4) and HMAC-SHA1 (RFC 2104) for the Mobile IPv6
 * return routability procedure (RFC 6275 5.2), which is defined on exactly
 * these two primitives.  Embedded so that wire/ needs no crypto library.
 *
 * Contract: pure functions over caller-owned contexts; no allocation, no
 * globals.  SHA-1 is used here only as RFC 6275 prescribes it (keyed, with
 * short-lived keys); it is not offered as a general-purpose hash.
 * Checked against the RFC 3174 and RFC 2202 test vectors in
 * tests/unit/test_mip6.c.
 */
#include "wire/wire.h"

#include <string.h>

static uint32_t
rol32(uint32_t x, unsigned n)
{
	return (x << n) | (x >> (32 - n));
}

/* Processes one 64-byte block (FIPS 180-4 6.1.2). */
static void
sha1_block(struct mip6_sha1 *c, const uint8_t *b)
{
	uint32_t w[80], a, bb, cc, d, e, f, k, t;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = ((uint32_t)b[4 * i] << 24) | ((uint32_t)b[4 * i + 1] << 16) |
		       ((uint32_t)b[4 * i + 2] << 8) | b[4 * i + 3];
	for (i = 16; i < 80; i++)
		w[i] = rol32(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
	a = c->h[0];
	bb = c->h[1];
	cc = c->h[2];
	d = c->h[3];
	e = c->h[4];
	for (i = 0; i < 80; i++) {
		if (i < 20) {
			f = (bb & cc) | (~bb & d);
			k = 0x5a827999;
		} else if (i < 40) {
			f = bb ^ cc ^ d;
			k = 0x6ed9eba1;
		} else if (i < 60) {
			f = (bb & cc) | (bb & d) | (cc & d);
			k = 0x8f1bbcdc;
		} else {
			f = bb ^ cc ^ d;
			k = 0xca62c1d6;
		}
		t = rol32(a, 5) + f + e + k + w[i];
		e = d;
		d = cc;
		cc = rol32(bb, 30);
		bb = a;
		a = t;
	}
	c->h[0] += a;
	c->h[1] += bb;
	c->h[2] += cc;
	c->h[3] += d;
	c->h[4] += e;
}

void
mip6_sha1_init(struct mip6_sha1 *c)
{
	c->h[0] = 0x67452301;
	c->h[1] = 0xefcdab89;
	c->h[2] = 0x98badcfe;
	c->h[3] = 0x10325476;
	c->h[4] = 0xc3d2e1f0;
	c->total = 0;
	c->nbuf = 0;
}

void
mip6_sha1_update(struct mip6_sha1 *c, const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t n;

	c->total += len;
	if (c->nbuf > 0) {
		n = 64 - c->nbuf;
		if (n > len)
			n = len;
		memcpy(c->buf + c->nbuf, p, n);
		c->nbuf += n;
		p += n;
		len -= n;
		if (c->nbuf < 64)
			return;
		sha1_block(c, c->buf);
		c->nbuf = 0;
	}
	while (len >= 64) {
		sha1_block(c, p);
		p += 64;
		len -= 64;
	}
	if (len > 0) {
		memcpy(c->buf, p, len);
		c->nbuf = len;
	}
}

/* Appends the 0x80 marker, zeros and the 64-bit bit length (FIPS 180-4 5.1.1). */
void
mip6_sha1_final(struct mip6_sha1 *c, uint8_t out[MIP6_SHA1_LEN])
{
	uint64_t bits = c->total * 8;
	int i;

	c->buf[c->nbuf++] = 0x80;
	if (c->nbuf > 56) {
		memset(c->buf + c->nbuf, 0, 64 - c->nbuf);
		sha1_block(c, c->buf);
		c->nbuf = 0;
	}
	memset(c->buf + c->nbuf, 0, 56 - c->nbuf);
	for (i = 0; i < 8; i++)
		c->buf[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
	sha1_block(c, c->buf);
	for (i = 0; i < 5; i++) {
		out[4 * i] = (uint8_t)(c->h[i] >> 24);
		out[4 * i + 1] = (uint8_t)(c->h[i] >> 16);
		out[4 * i + 2] = (uint8_t)(c->h[i] >> 8);
		out[4 * i + 3] = (uint8_t)c->h[i];
	}
	memset(c, 0, sizeof(*c));
}

void
mip6_sha1(const void *data, size_t len, uint8_t out[MIP6_SHA1_LEN])
{
	struct mip6_sha1 c;

	mip6_sha1_init(&c);
	mip6_sha1_update(&c, data, len);
	mip6_sha1_final(&c, out);
}

/*
 * HMAC (RFC 2104): H(K ^ opad | H(K ^ ipad | text)), K zero-padded to the
 * 64-byte block, and first hashed when it is longer than a block.
 */
void
mip6_hmac_sha1_init(struct mip6_hmac_sha1 *c, const void *key, size_t keylen)
{
	uint8_t k[64], pad[64];
	int i;

	memset(k, 0, sizeof(k));
	if (keylen > sizeof(k))
		mip6_sha1(key, keylen, k);
	else if (keylen > 0)
		memcpy(k, key, keylen);
	for (i = 0; i < 64; i++)
		pad[i] = k[i] ^ 0x36;
	mip6_sha1_init(&c->inner);
	mip6_sha1_update(&c->inner, pad, sizeof(pad));
	for (i = 0; i < 64; i++)
		pad[i] = k[i] ^ 0x5c;
	mip6_sha1_init(&c->outer);
	mip6_sha1_update(&c->outer, pad, sizeof(pad));
	memset(k, 0, sizeof(k));
	memset(pad, 0, sizeof(pad));
}

void
mip6_hmac_sha1_update(struct mip6_hmac_sha1 *c, const void *data, size_t len)
{
	mip6_sha1_update(&c->inner, data, len);
}

void
mip6_hmac_sha1_final(struct mip6_hmac_sha1 *c, uint8_t out[MIP6_SHA1_LEN])
{
	uint8_t ih[MIP6_SHA1_LEN];

	mip6_sha1_final(&c->inner, ih);
	mip6_sha1_update(&c->outer, ih, sizeof(ih));
	mip6_sha1_final(&c->outer, out);
	memset(ih, 0, sizeof(ih));
}

void
mip6_hmac_sha1(const void *key, size_t keylen, const void *data, size_t len,
	       uint8_t out[MIP6_SHA1_LEN])
{
	struct mip6_hmac_sha1 c;

	mip6_hmac_sha1_init(&c, key, keylen);
	mip6_hmac_sha1_update(&c, data, len);
	mip6_hmac_sha1_final(&c, out);
}
