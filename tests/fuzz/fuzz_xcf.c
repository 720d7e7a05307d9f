/*
 * fuzz_xcf.c - libFuzzer harness for the XCF bus codecs (wire/xcf.c).
 *
 * Proves, for any input: the envelope decoder and every body decoder
 * (HEARTBEAT, VIPA_ADV, DIST_ADV, TGT_LISTEN, TGT_CONN, TGT_SYNC_REQ, TGT_DIGEST) never
 * read out of bounds or crash, whether given the whole input or the body
 * behind a valid envelope; whatever a decoder accepts re-encodes to exactly
 * the bytes it came from (the encoding is canonical), so decode and encode
 * agree.  Built by `make build-fuzz/fuzz_xcf` (clang, ASan, UBSan).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wire/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t out[WIRE_XCF_HDR_LEN + WIRE_XCF_MAX_BODY];
static struct wire_xcf_heartbeat hb;
static struct wire_xcf_vipa_adv va;
static struct wire_xcf_dist_adv da;
static struct wire_xcf_tgt_listen tl;
static struct wire_xcf_tgt_conn tc;
static struct wire_xcf_sync_req sr;
static struct wire_xcf_tgt_digest dg;
static struct wire_xcf_mip6_copy mc;
static struct wire_xcf_bind_info bi;
static struct wire_xcf_sysports sp;

/* A decoder that accepted p[0..len) must have produced its exact encoding. */
static void
same(ssize_t n, const uint8_t *p, size_t len)
{
	if (n < 0 || (size_t)n != len || memcmp(out, p, len) != 0)
		abort();
}

static void
bodies(const uint8_t *p, size_t len)
{
	const char *why;

	why = NULL;
	if (wire_xcf_heartbeat_decode(&hb, p, len, &why) == 0)
		same(wire_xcf_heartbeat_encode(&hb, out, sizeof(out)), p, len);
	else if (!why)
		abort();
	why = NULL;
	if (wire_xcf_vipa_adv_decode(&va, p, len, &why) == 0)
		same(wire_xcf_vipa_adv_encode(&va, out, sizeof(out)), p, len);
	else if (!why)
		abort();
	why = NULL;
	if (wire_xcf_dist_adv_decode(&da, p, len, &why) == 0)
		same(wire_xcf_dist_adv_encode(&da, out, sizeof(out)), p, len);
	else if (!why)
		abort();
	why = NULL;
	if (wire_xcf_tgt_listen_decode(&tl, p, len, &why) == 0)
		same(wire_xcf_tgt_listen_encode(&tl, out, sizeof(out)), p, len);
	else if (!why)
		abort();
	why = NULL;
	if (wire_xcf_tgt_conn_decode(&tc, p, len, &why) == 0)
		same(wire_xcf_tgt_conn_encode(&tc, out, sizeof(out)), p, len);
	else if (!why)
		abort();
	why = NULL;
	if (wire_xcf_sync_req_decode(&sr, p, len, &why) == 0)
		same(wire_xcf_sync_req_encode(&sr, out, sizeof(out)), p, len);
	else if (!why)
		abort();
	why = NULL;
	if (wire_xcf_tgt_digest_decode(&dg, p, len, &why) == 0)
		same(wire_xcf_tgt_digest_encode(&dg, out, sizeof(out)), p, len);
	else if (!why)
		abort();
	why = NULL;
	if (wire_xcf_mip6_copy_decode(&mc, p, len, &why) == 0)
		same(wire_xcf_mip6_copy_encode(&mc, out, sizeof(out)), p, len);
	else if (!why)
		abort();
	why = NULL;
	if (wire_xcf_bind_info_decode(&bi, p, len, &why) == 0)
		same(wire_xcf_bind_info_encode(&bi, out, sizeof(out)), p, len);
	if (wire_xcf_sysports_decode(&sp, p, len, &why) == 0)
		same(wire_xcf_sysports_encode(&sp, out, sizeof(out)), p, len);
	else if (!why)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wire_xcf_hdr h;
	const uint8_t *body = NULL;
	const char *why = NULL;

	if (wire_xcf_hdr_decode(&h, data, size, &body, &why) == 0) {
		if (body != data + WIRE_XCF_HDR_LEN || h.body_len != size - WIRE_XCF_HDR_LEN)
			abort();
		same(wire_xcf_hdr_encode(&h, out, sizeof(out)), data, WIRE_XCF_HDR_LEN);
		bodies(body, h.body_len);
	} else if (!why) {
		abort();
	}
	bodies(data, size);
	return 0;
}
