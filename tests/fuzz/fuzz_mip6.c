/*
 * fuzz_mip6.c - libFuzzer harness for every Mobile IPv6 decoder in
 * wire/mip6.c: the Mobility Header (all types and options), the Type 2
 * Routing Header and the Home Address destination option.
 *
 * Each input goes through all three decoders.  Beyond "no crash, no
 * sanitizer report", it checks properties: a decoded message re-encodes,
 * and the re-encoding decodes to the same fields; the reported
 * Authenticator offset lies inside the message and is usable by
 * mip6_bu_authenticator; a decoded RH2 re-encodes to the same bytes; a
 * decoded Home Address option points at its own address in the input.
 * Build: make build-fuzz/fuzz_mip6; run: build-fuzz/fuzz_mip6 -max_total_time=20
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wire/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int cond)
{
	if (!cond)
		abort();
}

static void
same_msg(const struct mip6_msg *a, const struct mip6_msg *b)
{
	int i;

	check(a->type == b->type && a->proto == b->proto);
	switch (a->type) {
	case MIP6_MH_HOTI:
	case MIP6_MH_COTI:
		check(!memcmp(a->hoti.cookie, b->hoti.cookie, MIP6_COOKIE_LEN));
		break;
	case MIP6_MH_HOT:
	case MIP6_MH_COT:
		check(a->hot.nonce_idx == b->hot.nonce_idx);
		check(!memcmp(a->hot.cookie, b->hot.cookie, MIP6_COOKIE_LEN));
		check(!memcmp(a->hot.token, b->hot.token, MIP6_TOKEN_LEN));
		break;
	case MIP6_MH_BU:
		check(a->bu.seq == b->bu.seq && a->bu.flags == b->bu.flags &&
		      a->bu.lifetime == b->bu.lifetime);
		break;
	case MIP6_MH_BA:
		check(a->ba.status == b->ba.status && a->ba.flags == b->ba.flags &&
		      a->ba.seq == b->ba.seq && a->ba.lifetime == b->ba.lifetime);
		break;
	case MIP6_MH_BE:
		check(a->be.status == b->be.status && !memcmp(a->be.home, b->be.home, 16));
		break;
	}
	check(a->opts.present == b->opts.present);
	check(a->opts.refresh == b->opts.refresh);
	check(!memcmp(a->opts.alt_coa, b->opts.alt_coa, 16));
	check(a->opts.home_nonce_idx == b->opts.home_nonce_idx);
	check(a->opts.coa_nonce_idx == b->opts.coa_nonce_idx);
	check(!memcmp(a->opts.auth, b->opts.auth, MIP6_AUTH_LEN));
	check(a->opts.n_vso == b->opts.n_vso);
	for (i = 0; i < a->opts.n_vso; i++) {
		const struct mip6_vso *x = &a->opts.vso[i], *y = &b->opts.vso[i];

		check(x->vendor_id == y->vendor_id && x->subtype == y->subtype &&
		      x->len == y->len && !memcmp(x->bytes, y->bytes, x->len) &&
		      !memcmp(x->data, y->data, x->len));
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t zero16[16], zero20[20];
	static struct mip6_msg m, m2;	/* large: keep them off the stack */
	static uint8_t buf[MIP6_MAX_LEN];
	struct mip6_rh2 rh;
	struct mip6_hao h;
	const char *why = NULL;
	uint8_t auth[MIP6_AUTH_LEN], rbuf[WIRE_RH2_LEN];
	int err, off;

	/* Mobility Header. */
	err = mip6_msg_decode(&m, data, size, &why);
	check(err == 0 || why != NULL);
	off = mip6_auth_off(data, size);
	(void)mip6_csum_ok(zero16, zero16, data, size);
	if (size >= MIP6_HDR_LEN && size <= 4096)
		(void)mip6_csum(zero16, zero16, data, size);
	if (err == 0) {
		ssize_t n;

		check(m.len == size && size % 8 == 0);
		if (m.opts.present & MIP6_OPTF(MIP6_OPT_AUTH)) {
			check(off == m.opts.auth_off);
			check((size_t)off + MIP6_AUTH_LEN <= size);
			check(mip6_bu_authenticator(zero20, zero16, zero16, data, size,
						    (size_t)off, auth) == 0);
		} else {
			check(off == -ENOENT);
		}
		for (int i = 0; i < m.opts.n_vso; i++)
			check(m.opts.vso[i].data >= data &&
			      m.opts.vso[i].data + m.opts.vso[i].len <= data + size);
		n = mip6_msg_encode(&m, buf, sizeof(buf));
		check(n >= 8 && n % 8 == 0);
		check(mip6_msg_decode(&m2, buf, (size_t)n, NULL) == 0);
		same_msg(&m, &m2);
	} else {
		check(off == err);
	}

	/* Type 2 Routing Header. */
	if (mip6_rh2_decode(&rh, data, size, &why) == 0) {
		check(mip6_rh2_encode(&rh, rbuf, sizeof(rbuf)) == WIRE_RH2_LEN);
		check(!memcmp(rbuf, data, 4) && !memcmp(rbuf + 8, data + 8, 16));
	}

	/* Home Address destination option. */
	if (mip6_hao_decode(&h, data, size, &why) == 0) {
		check(h.len <= size && h.hao_off + 18u <= h.len);
		check(data[h.hao_off] == MIP6_HAO_OPT);
		check(!memcmp(h.home, data + h.hao_off + 2, 16));
		check(mip6_hao_encode(&h, rbuf, sizeof(rbuf)) == MIP6_HAO_HDR_LEN);
	}
	return 0;
}
