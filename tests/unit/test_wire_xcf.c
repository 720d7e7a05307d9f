/*
 * test_wire_xcf.c - proves the XCF bus codecs in wire/xcf.c:
 *  - decode(encode(x)) == x for the envelope and every body (HEARTBEAT,
 *    VIPA_ADV, DIST_ADV, TGT_LISTEN, TGT_CONN, SYNC_REQ, TGT_DIGEST), at empty and full
 *    counts;
 *  - every truncation of a valid frame (envelope + body) and of every valid
 *    body is rejected, without reading out of bounds (run it under ASan);
 *  - one extra byte is "trailing bytes";
 *  - bad magic, version, type, body length, names, counts above the
 *    structure maxima, unknown enum values are rejected with a reason;
 *  - encoders never write past cap (-ENOSPC) and refuse counts above maxima.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "wire/wire.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define FRAME_MAX (WIRE_XCF_HDR_LEN + WIRE_XCF_MAX_BODY + 16)

static uint8_t frame[FRAME_MAX];
static uint8_t body[WIRE_XCF_MAX_BODY + 16];
static uint8_t cut[FRAME_MAX];

/* Big messages live in static storage: TGT_CONN is about 28 KiB. */
static struct wire_xcf_tgt_conn conn_in, conn_out;
static struct wire_xcf_dist_adv dist_in, dist_out;
static struct wire_xcf_tgt_listen listen_in, listen_out;
static struct wire_xcf_vipa_adv vipa_in, vipa_out;

typedef int (*decode_fn)(void *m, const uint8_t *p, size_t len, const char **reason);

static void
fill(uint8_t *p, size_t n, uint8_t seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 7);
}

static void
make_hdr(struct wire_xcf_hdr *h, uint8_t type, uint16_t body_len)
{
	memset(h, 0, sizeof(*h));
	h->version = WIRE_XCF_VERSION;
	h->type = type;
	h->flags = 0x1234;
	h->body_len = body_len;
	strcpy(h->sender, "SYSATCPCS");
	h->incarnation = 0x0102030405060708ull;
	h->seq = 0xdeadbeef01020304ull;
}

/* Builds envelope + body into `frame`; returns the frame length. */
static size_t
make_frame(uint8_t type, const uint8_t *b, size_t blen)
{
	struct wire_xcf_hdr h;
	ssize_t n;

	make_hdr(&h, type, (uint16_t)blen);
	n = wire_xcf_hdr_encode(&h, frame, sizeof(frame));
	assert_int_equal(n, WIRE_XCF_HDR_LEN);
	if (blen)
		memcpy(frame + n, b, blen);
	return (size_t)n + blen;
}

/*
 * The common checks for one body of type `type` encoded in body[0..blen):
 * it travels in an envelope intact; the body decodes into `out` equal to
 * `in`; every truncated frame and body fails; one trailing byte fails.
 */
static void
check_body(uint8_t type, size_t blen, decode_fn dec, void *out, const void *in, size_t msize,
	   void *scratch)
{
	struct wire_xcf_hdr h;
	const uint8_t *bp = NULL;
	const char *why;
	size_t flen = make_frame(type, body, blen), i;
	int rc;

	why = NULL;
	assert_int_equal(wire_xcf_hdr_decode(&h, frame, flen, &bp, &why), 0);
	assert_ptr_equal(bp, frame + WIRE_XCF_HDR_LEN);
	assert_int_equal(h.type, type);
	assert_int_equal(h.body_len, blen);
	memset(out, 0, msize);
	assert_int_equal(dec(out, bp, blen, &why), 0);
	assert_memory_equal(out, in, msize);

	/* Every truncation of the frame: the copy is exactly i bytes long, so
	 * ASan catches any read past the end. */
	for (i = 0; i < flen; i++) {
		uint8_t *c = malloc(i ? i : 1);

		assert_non_null(c);
		memcpy(c, frame, i);
		why = NULL;
		rc = wire_xcf_hdr_decode(&h, c, i, &bp, &why);
		assert_true(rc < 0);
		assert_non_null(why);
		free(c);
	}
	/* Every truncation of the body. */
	for (i = 0; i < blen; i++) {
		uint8_t *c = malloc(i ? i : 1);

		assert_non_null(c);
		memcpy(c, body, i);
		why = NULL;
		rc = dec(scratch, c, i, &why);
		assert_true(rc < 0);
		assert_non_null(why);
		free(c);
	}
	/* One byte too many, in the frame and in the body. */
	memcpy(cut, frame, flen);
	cut[flen] = 0;
	why = NULL;
	assert_int_equal(wire_xcf_hdr_decode(&h, cut, flen + 1, &bp, &why), -EINVAL);
	assert_string_equal(why, "trailing bytes");
	memcpy(cut, body, blen);
	cut[blen] = 0;
	why = NULL;
	assert_int_equal(dec(scratch, cut, blen + 1, &why), -EINVAL);
	assert_string_equal(why, "trailing bytes");
}

/* Every cap below the encoded length is -ENOSPC and writes nothing past it. */
static void
check_enospc(ssize_t (*enc)(const void *, uint8_t *, size_t), const void *m, size_t len)
{
	size_t cap;
	uint8_t *p;

	for (cap = 0; cap < len; cap++) {
		p = malloc(cap ? cap : 1);
		assert_non_null(p);
		assert_int_equal(enc(m, p, cap), -ENOSPC);
		free(p);
	}
}

/* Wrappers with uniform signatures for the helpers above. */
static ssize_t
enc_hdr(const void *m, uint8_t *p, size_t c)
{
	return wire_xcf_hdr_encode(m, p, c);
}
static int
dec_hb(void *m, const uint8_t *p, size_t l, const char **r)
{
	return wire_xcf_heartbeat_decode(m, p, l, r);
}
static ssize_t
enc_hb(const void *m, uint8_t *p, size_t c)
{
	return wire_xcf_heartbeat_encode(m, p, c);
}
static int
dec_vipa(void *m, const uint8_t *p, size_t l, const char **r)
{
	return wire_xcf_vipa_adv_decode(m, p, l, r);
}
static ssize_t
enc_vipa(const void *m, uint8_t *p, size_t c)
{
	return wire_xcf_vipa_adv_encode(m, p, c);
}
static int
dec_dist(void *m, const uint8_t *p, size_t l, const char **r)
{
	return wire_xcf_dist_adv_decode(m, p, l, r);
}
static ssize_t
enc_dist(const void *m, uint8_t *p, size_t c)
{
	return wire_xcf_dist_adv_encode(m, p, c);
}
static int
dec_listen(void *m, const uint8_t *p, size_t l, const char **r)
{
	return wire_xcf_tgt_listen_decode(m, p, l, r);
}
static ssize_t
enc_listen(const void *m, uint8_t *p, size_t c)
{
	return wire_xcf_tgt_listen_encode(m, p, c);
}
static int
dec_conn(void *m, const uint8_t *p, size_t l, const char **r)
{
	return wire_xcf_tgt_conn_decode(m, p, l, r);
}
static ssize_t
enc_conn(const void *m, uint8_t *p, size_t c)
{
	return wire_xcf_tgt_conn_encode(m, p, c);
}
static int
dec_sync(void *m, const uint8_t *p, size_t l, const char **r)
{
	return wire_xcf_sync_req_decode(m, p, l, r);
}
static ssize_t
enc_sync(const void *m, uint8_t *p, size_t c)
{
	return wire_xcf_sync_req_encode(m, p, c);
}
static int
dec_sysports(void *m, const uint8_t *p, size_t l, const char **r)
{
	return wire_xcf_sysports_decode(m, p, l, r);
}
static ssize_t
enc_sysports(const void *m, uint8_t *p, size_t c)
{
	return wire_xcf_sysports_encode(m, p, c);
}

/* ---- envelope ------------------------------------------------------------------ */

static void
test_hdr_roundtrip(void **state)
{
	struct wire_xcf_hdr in, out;
	const uint8_t *bp;
	const char *why = NULL;
	uint8_t b[3] = {1, 2, 3};
	size_t n;

	(void)state;
	make_hdr(&in, WIRE_XCF_TGT_SYNC_REQ, 3);
	n = make_frame(WIRE_XCF_TGT_SYNC_REQ, b, 3);
	assert_int_equal(n, WIRE_XCF_HDR_LEN + 3);
	/* The layout of the diagram in wire.h. */
	assert_int_equal(frame[0], 'X');
	assert_int_equal(frame[1], 'C');
	assert_int_equal(frame[2], WIRE_XCF_VERSION);
	assert_int_equal(frame[3], WIRE_XCF_TGT_SYNC_REQ);
	assert_int_equal(frame[4], 0x12);
	assert_int_equal(frame[5], 0x34);
	assert_int_equal(frame[7], 3);
	assert_memory_equal(frame + 8, "SYSATCPCS\0\0\0\0\0\0\0", 16);
	assert_int_equal(frame[24], 1);
	assert_int_equal(frame[31], 8);
	assert_int_equal(frame[32], 0xde);
	assert_int_equal(frame[35], 0xef);
	memset(&out, 0, sizeof(out));
	assert_int_equal(wire_xcf_hdr_decode(&out, frame, n, &bp, &why), 0);
	assert_memory_equal(&out, &in, sizeof(in));
	assert_memory_equal(bp, b, 3);

	/* A 16-character sender fills the field without a NUL. */
	strcpy(in.sender, "ABCDEFGHIJKLMNOP");
	in.body_len = 0;
	assert_int_equal(wire_xcf_hdr_encode(&in, frame, sizeof(frame)), WIRE_XCF_HDR_LEN);
	assert_int_equal(wire_xcf_hdr_decode(&out, frame, WIRE_XCF_HDR_LEN, &bp, &why), 0);
	assert_string_equal(out.sender, "ABCDEFGHIJKLMNOP");
	check_enospc(enc_hdr, &in, WIRE_XCF_HDR_LEN);
}

static void
expect_hdr_error(const uint8_t *p, size_t len, int err, const char *reason)
{
	struct wire_xcf_hdr h;
	const uint8_t *bp = NULL;
	const char *why = NULL;

	assert_int_equal(wire_xcf_hdr_decode(&h, p, len, &bp, &why), err);
	assert_non_null(why);
	if (reason)
		assert_string_equal(why, reason);
}

static void
test_hdr_bad(void **state)
{
	struct wire_xcf_hdr h;
	size_t n;

	(void)state;
	n = make_frame(WIRE_XCF_LEAVE, NULL, 0);
	memcpy(cut, frame, n);
	cut[0] = 'Y';
	expect_hdr_error(cut, n, -EINVAL, "XCF frame with bad magic");
	memcpy(cut, frame, n);
	cut[1] = 'c';
	expect_hdr_error(cut, n, -EINVAL, "XCF frame with bad magic");
	memcpy(cut, frame, n);
	cut[2] = WIRE_XCF_VERSION + 1;
	expect_hdr_error(cut, n, -EPROTO, "XCF version not supported");
	cut[2] = 0;
	expect_hdr_error(cut, n, -EPROTO, "XCF version not supported");
	memcpy(cut, frame, n);
	cut[3] = 0;
	expect_hdr_error(cut, n, -EPROTO, "XCF message type unknown");
	cut[3] = WIRE_XCF_TYPE_MAX + 1;
	expect_hdr_error(cut, n, -EPROTO, "XCF message type unknown");
	cut[3] = 0xff;
	expect_hdr_error(cut, n, -EPROTO, "XCF message type unknown");
	/* Body length says more than there is, or more than the maximum. */
	memcpy(cut, frame, n);
	cut[7] = 1;
	expect_hdr_error(cut, n, -EMSGSIZE, "XCF body truncated");
	cut[6] = 0xff;
	cut[7] = 0xff;
	expect_hdr_error(cut, n, -EINVAL, "XCF body longer than the maximum");
	/* Sender names: empty, not printable, garbage after the NUL, a space. */
	memcpy(cut, frame, n);
	memset(cut + 8, 0, 16);
	expect_hdr_error(cut, n, -EINVAL, "XCF sender name not printable");
	memcpy(cut, frame, n);
	cut[9] = 0x07;
	expect_hdr_error(cut, n, -EINVAL, "XCF sender name not printable");
	memcpy(cut, frame, n);
	cut[23] = 'Z';
	expect_hdr_error(cut, n, -EINVAL, "XCF sender name not printable");
	memcpy(cut, frame, n);
	cut[10] = ' ';
	expect_hdr_error(cut, n, -EINVAL, "XCF sender name not printable");
	memcpy(cut, frame, n);
	cut[10] = 0x80;
	expect_hdr_error(cut, n, -EINVAL, "XCF sender name not printable");
	/* Short frames. */
	expect_hdr_error(frame, 0, -EMSGSIZE, NULL);
	expect_hdr_error(frame, WIRE_XCF_HDR_LEN - 1, -EMSGSIZE, NULL);

	/* The encoder refuses what the decoder would. */
	make_hdr(&h, WIRE_XCF_LEAVE, 0);
	h.sender[0] = '\0';
	assert_int_equal(wire_xcf_hdr_encode(&h, frame, sizeof(frame)), -EINVAL);
	make_hdr(&h, WIRE_XCF_LEAVE, 0);
	memset(h.sender, 'A', sizeof(h.sender));	/* no NUL within 17 bytes */
	assert_int_equal(wire_xcf_hdr_encode(&h, frame, sizeof(frame)), -EINVAL);
	make_hdr(&h, WIRE_XCF_LEAVE, 0);
	h.body_len = WIRE_XCF_MAX_BODY + 1;
	assert_int_equal(wire_xcf_hdr_encode(&h, frame, sizeof(frame)), -EINVAL);
}

static void
test_hdr_max_body(void **state)
{
	struct wire_xcf_hdr h;
	const uint8_t *bp;
	const char *why = NULL;
	size_t n;

	(void)state;
	fill(body, WIRE_XCF_MAX_BODY, 3);
	n = make_frame(WIRE_XCF_MIP6_COPY, body, WIRE_XCF_MAX_BODY);
	assert_int_equal(wire_xcf_hdr_decode(&h, frame, n, &bp, &why), 0);
	assert_int_equal(h.body_len, WIRE_XCF_MAX_BODY);
}

/* ---- HEARTBEAT ----------------------------------------------------------------- */

static void
make_hb(struct wire_xcf_heartbeat *m)
{
	memset(m, 0, sizeof(*m));
	m->hb_interval_ms = 50;
	m->fail_ms = 250;
	m->state = 1;
	strcpy(m->sysname, "SYSA");
	strcpy(m->tcpname, "TCPCS");
	fill(m->xcfaddr, 16, 0xfd);
	m->xcfaddr4[10] = m->xcfaddr4[11] = 0xff;	/* ::ffff:10.0.0.1 */
	m->xcfaddr4[12] = 10;
	m->xcfaddr4[15] = 1;
}

static void
test_heartbeat(void **state)
{
	struct wire_xcf_heartbeat in, out, scratch;
	const char *why;
	ssize_t n;

	(void)state;
	make_hb(&in);
	n = wire_xcf_heartbeat_encode(&in, body, sizeof(body));
	assert_int_equal(n, 4 + 4 + 1 + 8 + 8 + 16 + 16);
	check_body(WIRE_XCF_HEARTBEAT, (size_t)n, dec_hb, &out, &in, sizeof(in), &scratch);
	check_enospc(enc_hb, &in, (size_t)n);

	/* Eight-character names use the whole field. */
	strcpy(in.sysname, "SYSABCDE");
	strcpy(in.tcpname, "TCPIP@#$");
	n = wire_xcf_heartbeat_encode(&in, body, sizeof(body));
	check_body(WIRE_XCF_HEARTBEAT, (size_t)n, dec_hb, &out, &in, sizeof(in), &scratch);

	/* Bad values. */
	make_hb(&in);
	in.state = 3;
	n = wire_xcf_heartbeat_encode(&in, body, sizeof(body));
	why = NULL;
	assert_int_equal(wire_xcf_heartbeat_decode(&out, body, (size_t)n, &why), -EINVAL);
	assert_string_equal(why, "HEARTBEAT state unknown");
	make_hb(&in);
	in.fail_ms = in.hb_interval_ms;
	n = wire_xcf_heartbeat_encode(&in, body, sizeof(body));
	assert_int_equal(wire_xcf_heartbeat_decode(&out, body, (size_t)n, &why), -EINVAL);
	assert_string_equal(why, "HEARTBEAT intervals inconsistent");
	make_hb(&in);
	n = wire_xcf_heartbeat_encode(&in, body, sizeof(body));
	body[9] = 0x01;		/* sysname */
	assert_int_equal(wire_xcf_heartbeat_decode(&out, body, (size_t)n, &why), -EINVAL);
	assert_string_equal(why, "HEARTBEAT system or TCP name not printable");
	n = wire_xcf_heartbeat_encode(&in, body, sizeof(body));
	memset(body + 17, 0, 8);	/* empty tcpname */
	assert_int_equal(wire_xcf_heartbeat_decode(&out, body, (size_t)n, &why), -EINVAL);
	/* Names the encoder cannot represent. */
	make_hb(&in);
	strcpy(in.sysname, "");
	assert_int_equal(wire_xcf_heartbeat_encode(&in, body, sizeof(body)), -EINVAL);
	make_hb(&in);
	memset(in.tcpname, 'T', sizeof(in.tcpname));
	assert_int_equal(wire_xcf_heartbeat_encode(&in, body, sizeof(body)), -EINVAL);
}

/* ---- VIPA_ADV ------------------------------------------------------------------ */

static void
make_vipa(struct wire_xcf_vipa_adv *m, int n)
{
	int i;

	memset(m, 0, sizeof(*m));
	m->n = (uint8_t)n;
	for (i = 0; i < n; i++) {
		fill(m->v[i].addr, 16, (uint8_t)i);
		m->v[i].origin = (uint8_t)(i % 2 ? WIRE_VIPA_BACKUP : WIRE_VIPA_DEFINE);
		m->v[i].rank = (uint8_t)(i + 1);
		m->v[i].status = (uint8_t)(1 + i % 5);
		m->v[i].flags = (uint8_t)(i & 7);
	}
}

static void
test_vipa_adv(void **state)
{
	const char *why;
	ssize_t n;
	int cnt[] = {0, 1, 7, WIRE_XCF_MAX_VIPA};
	size_t k;

	(void)state;
	for (k = 0; k < ARRAY_LEN(cnt); k++) {
		make_vipa(&vipa_in, cnt[k]);
		n = wire_xcf_vipa_adv_encode(&vipa_in, body, sizeof(body));
		assert_int_equal(n, 1 + 20 * cnt[k]);
		check_body(WIRE_XCF_VIPA_ADV, (size_t)n, dec_vipa, &vipa_out, &vipa_in,
			   sizeof(vipa_in), &vipa_out);
		check_enospc(enc_vipa, &vipa_in, (size_t)n);
	}
	/* A count above the maximum, with enough bytes behind it. */
	memset(body, 0, sizeof(body));
	body[0] = WIRE_XCF_MAX_VIPA + 1;
	why = NULL;
	assert_int_equal(wire_xcf_vipa_adv_decode(&vipa_out, body, 1 + 20 * (WIRE_XCF_MAX_VIPA + 1),
						  &why), -EINVAL);
	assert_string_equal(why, "VIPA_ADV has too many DVIPAs");
	body[0] = 0xff;
	assert_int_equal(wire_xcf_vipa_adv_decode(&vipa_out, body, 1 + 20 * 255, &why), -EINVAL);
	vipa_in.n = WIRE_XCF_MAX_VIPA + 1;
	assert_int_equal(wire_xcf_vipa_adv_encode(&vipa_in, body, sizeof(body)), -EINVAL);
	/* Unknown origin / status. */
	make_vipa(&vipa_in, 2);
	vipa_in.v[1].status = 0;
	n = wire_xcf_vipa_adv_encode(&vipa_in, body, sizeof(body));
	assert_int_equal(wire_xcf_vipa_adv_decode(&vipa_out, body, (size_t)n, &why), -EINVAL);
	assert_string_equal(why, "VIPA_ADV origin or status unknown");
	make_vipa(&vipa_in, 2);
	vipa_in.v[0].origin = 3;
	n = wire_xcf_vipa_adv_encode(&vipa_in, body, sizeof(body));
	assert_int_equal(wire_xcf_vipa_adv_decode(&vipa_out, body, (size_t)n, &why), -EINVAL);
}

/* ---- DIST_ADV ------------------------------------------------------------------ */

static void
make_dist(struct wire_xcf_dist_adv *m, int nports, int ndest)
{
	int i;

	memset(m, 0, sizeof(*m));
	fill(m->dvipa, 16, 0x10);
	m->method = 2;
	m->flags = WIRE_VIPA_F_MIP6;
	m->timedaff = 300;
	m->nports = (uint8_t)nports;
	for (i = 0; i < nports; i++)
		m->ports[i] = (uint16_t)(8080 + i);
	m->ndest = (uint8_t)ndest;
	for (i = 0; i < ndest; i++) {
		fill(m->dest[i].xcf, 16, (uint8_t)(0x40 + i));
		m->dest[i].weight = (uint16_t)(i + 1);
		m->dest[i].srvtype = (uint8_t)(i % 3);
		m->dest[i].rank = (uint8_t)(i * 7);
	}
}

static void
test_dist_adv(void **state)
{
	const char *why;
	ssize_t n;
	int np[] = {0, 1, 3, WIRE_XCF_MAX_PORTS}, nd[] = {0, 2, WIRE_XCF_MAX_DEST, 1};
	size_t k;

	(void)state;
	for (k = 0; k < ARRAY_LEN(np); k++) {
		make_dist(&dist_in, np[k], nd[k]);
		n = wire_xcf_dist_adv_encode(&dist_in, body, sizeof(body));
		assert_int_equal(n, 16 + 1 + 1 + 2 + 1 + 2 * np[k] + 1 + 20 * nd[k]);
		check_body(WIRE_XCF_DIST_ADV, (size_t)n, dec_dist, &dist_out, &dist_in,
			   sizeof(dist_in), &dist_out);
		check_enospc(enc_dist, &dist_in, (size_t)n);
	}
	/* Counts above the maxima. */
	make_dist(&dist_in, 0, 0);
	n = wire_xcf_dist_adv_encode(&dist_in, body, sizeof(body));
	memset(body + 21, 0, 200);
	body[20] = WIRE_XCF_MAX_PORTS + 1;
	why = NULL;
	assert_int_equal(wire_xcf_dist_adv_decode(&dist_out, body, 300, &why), -EINVAL);
	assert_string_equal(why, "DIST_ADV has too many ports");
	body[20] = 0;
	body[21] = WIRE_XCF_MAX_DEST + 1;
	assert_int_equal(wire_xcf_dist_adv_decode(&dist_out, body, 22 + 20 * 33, &why), -EINVAL);
	assert_string_equal(why, "DIST_ADV has too many destinations");
	dist_in.nports = WIRE_XCF_MAX_PORTS + 1;
	assert_int_equal(wire_xcf_dist_adv_encode(&dist_in, body, sizeof(body)), -EINVAL);
	dist_in.nports = 0;
	dist_in.ndest = WIRE_XCF_MAX_DEST + 1;
	assert_int_equal(wire_xcf_dist_adv_encode(&dist_in, body, sizeof(body)), -EINVAL);
}

/* ---- TGT_LISTEN ---------------------------------------------------------------- */

static void
make_listen(struct wire_xcf_tgt_listen *m, int n)
{
	int i;

	memset(m, 0, sizeof(*m));
	m->flags = WIRE_XCF_F_FULL;
	m->n = (uint8_t)n;
	m->capacity = 0x01020304u;
	m->load = 77;
	for (i = 0; i < n; i++) {
		fill(m->l[i].dvipa, 16, (uint8_t)i);
		m->l[i].port = (uint16_t)(80 + i);
		m->l[i].rdy = (uint16_t)i;
		m->l[i].weight = (uint16_t)(1000 - i);
		m->l[i].sef = (uint8_t)(100 - i % 101);
	}
}

static void
test_tgt_listen(void **state)
{
	const char *why;
	ssize_t n;
	int cnt[] = {0, 1, 5, WIRE_XCF_MAX_LISTEN};
	size_t k;

	(void)state;
	for (k = 0; k < ARRAY_LEN(cnt); k++) {
		make_listen(&listen_in, cnt[k]);
		n = wire_xcf_tgt_listen_encode(&listen_in, body, sizeof(body));
		assert_int_equal(n, 2 + 5 + 23 * cnt[k]);
		check_body(WIRE_XCF_TGT_LISTEN, (size_t)n, dec_listen, &listen_out, &listen_in,
			   sizeof(listen_in), &listen_out);
		check_enospc(enc_listen, &listen_in, (size_t)n);
	}
	memset(body, 0, sizeof(body));
	body[1] = WIRE_XCF_MAX_LISTEN + 1;
	why = NULL;
	assert_int_equal(wire_xcf_tgt_listen_decode(&listen_out, body, 2 + 5 + 23 * 129, &why),
			 -EINVAL);
	assert_string_equal(why, "TGT_LISTEN has too many entries");
	listen_in.n = WIRE_XCF_MAX_LISTEN + 1;
	assert_int_equal(wire_xcf_tgt_listen_encode(&listen_in, body, sizeof(body)), -EINVAL);
}

/* ---- TGT_CONN ------------------------------------------------------------------ */

static void
make_conn(struct wire_xcf_tgt_conn *m, int n)
{
	int i;

	memset(m, 0, sizeof(*m));
	m->flags = WIRE_XCF_F_FULL | WIRE_XCF_F_FIRST;
	fill(m->scope, 16, 7);
	m->n = (uint16_t)n;
	for (i = 0; i < n; i++) {
		struct wire_xcf_conn *c = &m->c[i];

		c->event = (uint8_t)(i % 2 ? WIRE_CONN_END : WIRE_CONN_EST);
		fill(c->dvipa, 16, 1);
		c->dport = 8080;
		fill(c->client, 16, (uint8_t)i);
		c->cport = (uint16_t)(40000 + i);
		c->bypass = (uint8_t)(i % 3);
		fill(c->coa, 16, (uint8_t)(i * 3));
		c->seq = (uint16_t)(65535 - i);
	}
}

static void
test_tgt_conn(void **state)
{
	const char *why;
	ssize_t n;
	int cnt[] = {0, 1, 3, WIRE_XCF_MAX_CONN};
	size_t k;

	(void)state;
	for (k = 0; k < ARRAY_LEN(cnt); k++) {
		make_conn(&conn_in, cnt[k]);
		n = wire_xcf_tgt_conn_encode(&conn_in, body, sizeof(body));
		assert_int_equal(n, 19 + 56 * cnt[k]);
		assert_true(n <= WIRE_XCF_MAX_BODY);
		/* The largest is checked only as a round trip: its truncations
		 * are the same code as the small ones, 28k times over. */
		if (cnt[k] == WIRE_XCF_MAX_CONN) {
			const char *w = NULL;

			memset(&conn_out, 0, sizeof(conn_out));
			assert_int_equal(wire_xcf_tgt_conn_decode(&conn_out, body, (size_t)n, &w), 0);
			assert_memory_equal(&conn_out, &conn_in, sizeof(conn_in));
			assert_int_equal(wire_xcf_tgt_conn_decode(&conn_out, body, (size_t)n - 1, &w),
					 -EMSGSIZE);
			continue;
		}
		check_body(WIRE_XCF_TGT_CONN, (size_t)n, dec_conn, &conn_out, &conn_in,
			   sizeof(conn_in), &conn_out);
		check_enospc(enc_conn, &conn_in, (size_t)n);
	}
	memset(body, 0, sizeof(body));
	body[17] = (WIRE_XCF_MAX_CONN + 1) >> 8;
	body[18] = (WIRE_XCF_MAX_CONN + 1) & 0xff;
	why = NULL;
	assert_int_equal(wire_xcf_tgt_conn_decode(&conn_out, body, sizeof(body), &why), -EINVAL);
	assert_string_equal(why, "TGT_CONN has too many connections");
	body[17] = body[18] = 0xff;
	assert_int_equal(wire_xcf_tgt_conn_decode(&conn_out, body, sizeof(body), &why), -EINVAL);
	conn_in.n = WIRE_XCF_MAX_CONN + 1;
	assert_int_equal(wire_xcf_tgt_conn_encode(&conn_in, body, sizeof(body)), -EINVAL);
	/* Unknown event. */
	make_conn(&conn_in, 2);
	conn_in.c[1].event = 0;
	n = wire_xcf_tgt_conn_encode(&conn_in, body, sizeof(body));
	assert_int_equal(wire_xcf_tgt_conn_decode(&conn_out, body, (size_t)n, &why), -EINVAL);
	assert_string_equal(why, "TGT_CONN event unknown");
}

/* ---- TGT_SYNC_REQ -------------------------------------------------------------- */

static void
test_sync_req(void **state)
{
	struct wire_xcf_sync_req in, out, scratch;
	ssize_t n;

	(void)state;
	memset(&in, 0, sizeof(in));
	n = wire_xcf_sync_req_encode(&in, body, sizeof(body));
	assert_int_equal(n, 16);
	check_body(WIRE_XCF_TGT_SYNC_REQ, (size_t)n, dec_sync, &out, &in, sizeof(in), &scratch);
	fill(in.dvipa, 16, 0xfd);
	n = wire_xcf_sync_req_encode(&in, body, sizeof(body));
	check_body(WIRE_XCF_TGT_SYNC_REQ, (size_t)n, dec_sync, &out, &in, sizeof(in), &scratch);
	check_enospc(enc_sync, &in, 16);
}

/* SYSPORTS: 21 bytes, every operation; an unknown one is refused both ways. */
static void
test_sysports(void **state)
{
	struct wire_xcf_sysports in, out, scratch;
	const char *why = NULL;
	ssize_t n;
	int op;

	(void)state;
	for (op = WIRE_SYSPORTS_REQ; op <= WIRE_SYSPORTS_RELEASE; op++) {
		memset(&in, 0, sizeof(in));
		fill(in.dvipa, 16, 0xfd);
		in.op = (uint8_t)op;
		in.first = (uint16_t)(1024 * op);
		in.count = (uint16_t)(op * 3);
		n = wire_xcf_sysports_encode(&in, body, sizeof(body));
		assert_int_equal(n, 21);
		check_body(WIRE_XCF_SYSPORTS, (size_t)n, dec_sysports, &out, &in, sizeof(in),
			   &scratch);
		check_enospc(enc_sysports, &in, 21);
	}
	body[16] = 9;
	assert_int_equal(wire_xcf_sysports_decode(&out, body, 21, &why), -EINVAL);
	assert_string_equal(why, "SYSPORTS has an unknown operation");
	in.op = 0;
	assert_int_equal(wire_xcf_sysports_encode(&in, body, sizeof(body)), -EINVAL);
}

/* ---- TGT_DIGEST ---------------------------------------------------------------- */

static int
dec_digest(void *m, const uint8_t *p, size_t l, const char **r)
{
	return wire_xcf_tgt_digest_decode(m, p, l, r);
}
static ssize_t
enc_digest(const void *m, uint8_t *p, size_t c)
{
	return wire_xcf_tgt_digest_encode(m, p, c);
}

static void
test_tgt_digest(void **state)
{
	static struct wire_xcf_tgt_digest in, out, scratch;
	const char *why;
	ssize_t n;
	int i;

	(void)state;
	memset(&in, 0, sizeof(in));
	n = wire_xcf_tgt_digest_encode(&in, body, sizeof(body));
	assert_int_equal(n, 1);
	check_body(WIRE_XCF_TGT_DIGEST, (size_t)n, dec_digest, &out, &in, sizeof(in), &scratch);
	/* Full: every field distinct, big-endian 64-bit values. */
	in.n = WIRE_XCF_MAX_VIPA;
	for (i = 0; i < in.n; i++) {
		fill(in.d[i].dvipa, 16, (uint8_t)(0xfd + i));
		in.d[i].count = 0x0102030405060708ull + (uint64_t)i;
		in.d[i].sum = 0xf0e0d0c0b0a09080ull - (uint64_t)i;
	}
	n = wire_xcf_tgt_digest_encode(&in, body, sizeof(body));
	assert_int_equal(n, 1 + WIRE_XCF_MAX_VIPA * 32);
	assert_int_equal(body[17], 0x01);
	assert_int_equal(body[24], 0x08);
	assert_int_equal(body[25], 0xf0);
	check_body(WIRE_XCF_TGT_DIGEST, (size_t)n, dec_digest, &out, &in, sizeof(in), &scratch);
	check_enospc(enc_digest, &in, (size_t)n);
	/* One DVIPA too many. */
	body[0] = WIRE_XCF_MAX_VIPA + 1;
	why = NULL;
	assert_int_equal(wire_xcf_tgt_digest_decode(&out, body, (size_t)n + 32, &why), -EINVAL);
	assert_string_equal(why, "TGT_DIGEST has too many DVIPAs");
	in.n = WIRE_XCF_MAX_VIPA + 1;
	assert_int_equal(wire_xcf_tgt_digest_encode(&in, body, sizeof(body)), -EINVAL);
}

/* Decoders accept a NULL reason pointer. */
static void
test_null_reason(void **state)
{
	struct wire_xcf_hdr h;
	struct wire_xcf_heartbeat hb;
	struct wire_xcf_sync_req sr;

	(void)state;
	assert_true(wire_xcf_hdr_decode(&h, body, 3, NULL, NULL) < 0);
	assert_true(wire_xcf_heartbeat_decode(&hb, body, 3, NULL) < 0);
	assert_true(wire_xcf_vipa_adv_decode(&vipa_out, body, 0, NULL) < 0);
	assert_true(wire_xcf_dist_adv_decode(&dist_out, body, 3, NULL) < 0);
	assert_true(wire_xcf_tgt_listen_decode(&listen_out, body, 1, NULL) < 0);
	assert_true(wire_xcf_tgt_conn_decode(&conn_out, body, 2, NULL) < 0);
	assert_true(wire_xcf_sync_req_decode(&sr, body, 15, NULL) < 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hdr_roundtrip),
		cmocka_unit_test(test_hdr_bad),
		cmocka_unit_test(test_hdr_max_body),
		cmocka_unit_test(test_heartbeat),
		cmocka_unit_test(test_vipa_adv),
		cmocka_unit_test(test_dist_adv),
		cmocka_unit_test(test_tgt_listen),
		cmocka_unit_test(test_tgt_conn),
		cmocka_unit_test(test_sync_req),
		cmocka_unit_test(test_sysports),
		cmocka_unit_test(test_tgt_digest),
		cmocka_unit_test(test_null_reason),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
