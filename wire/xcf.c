/*
 * xcf.c - encoders and decoders of the XCF bus envelope and message bodies.
 *
 * Pure code (see wire.h): no malloc, I/O, clock or logging.  Every decoder
 * reads through a bounded wire_rd, checks every count against the maximum of
 * its structure before reading the entries, and rejects bytes after the end
 * of a body ("trailing bytes").  Names on the wire are fixed-size fields of
 * printable ASCII (no space), at least one character, padded with NULs.
 *
 * Envelope (40 bytes, every multi-byte field big-endian):
 *
 *  0       1       2       3       4       5       6       7
 * +-------+-------+-------+-------+-------+-------+-------+-------+
 * |  'X'  |  'C'  |version| type  |     flags     |   body len    |
 * +-------+-------+-------+-------+-------+-------+-------+-------+
 * |                 sender member name (16, NUL padded)           |
 * |                                                               |
 * +-------+-------+-------+-------+-------+-------+-------+-------+
 * |                        incarnation (u64)                      |
 * +-------+-------+-------+-------+-------+-------+-------+-------+
 * |                         sequence (u64)                        |
 * +-------+-------+-------+-------+-------+-------+-------+-------+
 * |  body (body len bytes) ...
 *
 * Bodies:
 *  HEARTBEAT (57)  hb ms u32 | fail ms u32 | state u8 | sysname 8 | tcpname 8 |
 *                  xcfaddr 16 | xcfaddr4 16 (IPv4-mapped, all zero when none)
 *  LEAVE (0)       empty
 *  VIPA_ADV        n u8 | n x { addr 16 | origin u8 | rank u8 | status u8 | flags u8 }
 *  DIST_ADV        dvipa 16 | method u8 | flags u8 | timedaff u16 | nports u8 |
 *                  nports x port u16 | ndest u8 | ndest x { xcf 16 | weight u16 }
 *  TGT_LISTEN      flags u8 | n u8 | n x { dvipa 16 | port u16 | rdy u16 | weight u16 }
 *  TGT_CONN        flags u8 | scope 16 | n u16 | n x { event u8 | dvipa 16 | dport u16 |
 *                  client 16 | cport u16 | bypass u8 | coa 16 | seq u16 }
 *  TGT_SYNC_REQ    dvipa 16
 *  TGT_DIGEST      n u8 | n x { dvipa 16 | count u64 | sum u64 }
 */
#include "wire/wire.h"

#include <errno.h>
#include <string.h>

#define SET_REASON(r, s) do { if (r) *(r) = (s); } while (0)

/*
 * Reads a fixed-size name field of `n` bytes into out[n + 1]: one or more
 * printable characters, then only NULs.  Returns 0 or -EINVAL.
 */
static int
rd_name(struct wire_rd *r, char *out, size_t n)
{
	size_t i, len;

	wire_rd_bytes(r, out, n);
	out[n] = '\0';
	if (r->err)
		return 0;	/* the caller reports the truncation */
	len = strnlen(out, n);
	if (len == 0)
		return -EINVAL;
	for (i = 0; i < len; i++)
		if (out[i] <= ' ' || out[i] > '~')
			return -EINVAL;
	for (i = len; i < n; i++)
		if (out[i] != '\0')
			return -EINVAL;
	return 0;
}

/*
 * Writes `name` (NUL terminated within n + 1 bytes) as an n-byte field.
 * Returns 0 or -EINVAL when it is empty, too long or not printable.
 */
static int
wr_name(struct wire_wr *w, const char *name, size_t n)
{
	uint8_t field[32];
	size_t i, len = strnlen(name, n + 1);

	if (len == 0 || len > n || n > sizeof(field))
		return -EINVAL;
	for (i = 0; i < len; i++)
		if (name[i] <= ' ' || name[i] > '~')
			return -EINVAL;
	memset(field, 0, sizeof(field));
	memcpy(field, name, len);
	wire_wr_bytes(w, field, n);
	return 0;
}

/* Common end of every body decoder: truncation first, then extra bytes. */
static int
rd_finish(const struct wire_rd *r, const char *truncated, const char **reason)
{
	if (r->err) {
		SET_REASON(reason, truncated);
		return -EMSGSIZE;
	}
	if (wire_rd_left(r) != 0) {
		SET_REASON(reason, "trailing bytes");
		return -EINVAL;
	}
	return 0;
}

/* ---- envelope ------------------------------------------------------------ */

int
wire_xcf_hdr_decode(struct wire_xcf_hdr *h, const uint8_t *p, size_t len,
		    const uint8_t **body, const char **reason)
{
	struct wire_rd r;
	uint8_t magic[2];

	if (len < WIRE_XCF_HDR_LEN) {
		SET_REASON(reason, "XCF frame shorter than the envelope");
		return -EMSGSIZE;
	}
	wire_rd_init(&r, p, len);
	wire_rd_bytes(&r, magic, 2);
	if (magic[0] != 'X' || magic[1] != 'C') {
		SET_REASON(reason, "XCF frame with bad magic");
		return -EINVAL;
	}
	h->version = wire_rd_u8(&r);
	h->type = wire_rd_u8(&r);
	h->flags = wire_rd_u16(&r);
	h->body_len = wire_rd_u16(&r);
	if (rd_name(&r, h->sender, WIRE_XCF_NAME_LEN) < 0) {
		SET_REASON(reason, "XCF sender name not printable");
		return -EINVAL;
	}
	h->incarnation = wire_rd_u64(&r);
	h->seq = wire_rd_u64(&r);
	if (r.err) {
		SET_REASON(reason, "XCF frame shorter than the envelope");
		return -EMSGSIZE;
	}
	if (h->version != WIRE_XCF_VERSION) {
		SET_REASON(reason, "XCF version not supported");
		return -EPROTO;
	}
	if (h->type == 0 || h->type > WIRE_XCF_TYPE_MAX) {
		SET_REASON(reason, "XCF message type unknown");
		return -EPROTO;
	}
	if (h->body_len > WIRE_XCF_MAX_BODY) {
		SET_REASON(reason, "XCF body longer than the maximum");
		return -EINVAL;
	}
	if ((size_t)h->body_len > len - WIRE_XCF_HDR_LEN) {
		SET_REASON(reason, "XCF body truncated");
		return -EMSGSIZE;
	}
	if ((size_t)h->body_len < len - WIRE_XCF_HDR_LEN) {
		SET_REASON(reason, "trailing bytes");
		return -EINVAL;
	}
	if (body)
		*body = p + WIRE_XCF_HDR_LEN;
	return 0;
}

ssize_t
wire_xcf_hdr_encode(const struct wire_xcf_hdr *h, uint8_t *p, size_t cap)
{
	struct wire_wr w;

	if (h->body_len > WIRE_XCF_MAX_BODY)
		return -EINVAL;
	wire_wr_init(&w, p, cap);
	wire_wr_u8(&w, 'X');
	wire_wr_u8(&w, 'C');
	wire_wr_u8(&w, h->version);
	wire_wr_u8(&w, h->type);
	wire_wr_u16(&w, h->flags);
	wire_wr_u16(&w, h->body_len);
	if (wr_name(&w, h->sender, WIRE_XCF_NAME_LEN) < 0)
		return -EINVAL;
	wire_wr_u64(&w, h->incarnation);
	wire_wr_u64(&w, h->seq);
	return wire_wr_result(&w);
}

/* ---- HEARTBEAT ------------------------------------------------------------- */

int
wire_xcf_heartbeat_decode(struct wire_xcf_heartbeat *m, const uint8_t *p, size_t len,
			  const char **reason)
{
	struct wire_rd r;
	int rc, bad_name = 0;

	memset(m, 0, sizeof(*m));
	wire_rd_init(&r, p, len);
	m->hb_interval_ms = wire_rd_u32(&r);
	m->fail_ms = wire_rd_u32(&r);
	m->state = wire_rd_u8(&r);
	bad_name |= rd_name(&r, m->sysname, WIRE_XCF_SYSNAME_LEN);
	bad_name |= rd_name(&r, m->tcpname, WIRE_XCF_SYSNAME_LEN);
	wire_rd_bytes(&r, m->xcfaddr, 16);
	wire_rd_bytes(&r, m->xcfaddr4, 16);
	if ((rc = rd_finish(&r, "HEARTBEAT truncated", reason)) < 0)
		return rc;
	if (bad_name) {
		SET_REASON(reason, "HEARTBEAT system or TCP name not printable");
		return -EINVAL;
	}
	if (m->state != 1 && m->state != 2) {
		SET_REASON(reason, "HEARTBEAT state unknown");
		return -EINVAL;
	}
	if (m->hb_interval_ms == 0 || m->fail_ms <= m->hb_interval_ms) {
		SET_REASON(reason, "HEARTBEAT intervals inconsistent");
		return -EINVAL;
	}
	return 0;
}

ssize_t
wire_xcf_heartbeat_encode(const struct wire_xcf_heartbeat *m, uint8_t *p, size_t cap)
{
	struct wire_wr w;

	wire_wr_init(&w, p, cap);
	wire_wr_u32(&w, m->hb_interval_ms);
	wire_wr_u32(&w, m->fail_ms);
	wire_wr_u8(&w, m->state);
	if (wr_name(&w, m->sysname, WIRE_XCF_SYSNAME_LEN) < 0 ||
	    wr_name(&w, m->tcpname, WIRE_XCF_SYSNAME_LEN) < 0)
		return -EINVAL;
	wire_wr_bytes(&w, m->xcfaddr, 16);
	wire_wr_bytes(&w, m->xcfaddr4, 16);
	return wire_wr_result(&w);
}

/* ---- VIPA_ADV -------------------------------------------------------------- */

int
wire_xcf_vipa_adv_decode(struct wire_xcf_vipa_adv *m, const uint8_t *p, size_t len,
			 const char **reason)
{
	struct wire_rd r;
	int i, rc, bad = 0;

	wire_rd_init(&r, p, len);
	m->n = wire_rd_u8(&r);
	if (r.err) {
		SET_REASON(reason, "VIPA_ADV truncated");
		return -EMSGSIZE;
	}
	if (m->n > WIRE_XCF_MAX_VIPA) {
		SET_REASON(reason, "VIPA_ADV has too many DVIPAs");
		return -EINVAL;
	}
	for (i = 0; i < m->n; i++) {
		wire_rd_bytes(&r, m->v[i].addr, 16);
		m->v[i].origin = wire_rd_u8(&r);
		m->v[i].rank = wire_rd_u8(&r);
		m->v[i].status = wire_rd_u8(&r);
		m->v[i].flags = wire_rd_u8(&r);
		if (m->v[i].origin < WIRE_VIPA_DEFINE || m->v[i].origin > WIRE_VIPA_BACKUP ||
		    m->v[i].status < WIRE_VIPA_ACTIVE || m->v[i].status > WIRE_VIPA_DEACTIVATED)
			bad = 1;
	}
	if ((rc = rd_finish(&r, "VIPA_ADV truncated", reason)) < 0)
		return rc;
	if (bad) {
		SET_REASON(reason, "VIPA_ADV origin or status unknown");
		return -EINVAL;
	}
	return 0;
}

ssize_t
wire_xcf_vipa_adv_encode(const struct wire_xcf_vipa_adv *m, uint8_t *p, size_t cap)
{
	struct wire_wr w;
	int i;

	if (m->n > WIRE_XCF_MAX_VIPA)
		return -EINVAL;
	wire_wr_init(&w, p, cap);
	wire_wr_u8(&w, m->n);
	for (i = 0; i < m->n; i++) {
		wire_wr_bytes(&w, m->v[i].addr, 16);
		wire_wr_u8(&w, m->v[i].origin);
		wire_wr_u8(&w, m->v[i].rank);
		wire_wr_u8(&w, m->v[i].status);
		wire_wr_u8(&w, m->v[i].flags);
	}
	return wire_wr_result(&w);
}

/* ---- DIST_ADV -------------------------------------------------------------- */

int
wire_xcf_dist_adv_decode(struct wire_xcf_dist_adv *m, const uint8_t *p, size_t len,
			 const char **reason)
{
	struct wire_rd r;
	int i, rc;

	wire_rd_init(&r, p, len);
	wire_rd_bytes(&r, m->dvipa, 16);
	m->method = wire_rd_u8(&r);
	m->flags = wire_rd_u8(&r);
	m->timedaff = wire_rd_u16(&r);
	m->nports = wire_rd_u8(&r);
	if (r.err) {
		SET_REASON(reason, "DIST_ADV truncated");
		return -EMSGSIZE;
	}
	if (m->nports > WIRE_XCF_MAX_PORTS) {
		SET_REASON(reason, "DIST_ADV has too many ports");
		return -EINVAL;
	}
	for (i = 0; i < m->nports; i++)
		m->ports[i] = wire_rd_u16(&r);
	m->ndest = wire_rd_u8(&r);
	if (r.err) {
		SET_REASON(reason, "DIST_ADV truncated");
		return -EMSGSIZE;
	}
	if (m->ndest > WIRE_XCF_MAX_DEST) {
		SET_REASON(reason, "DIST_ADV has too many destinations");
		return -EINVAL;
	}
	for (i = 0; i < m->ndest; i++) {
		wire_rd_bytes(&r, m->dest[i].xcf, 16);
		m->dest[i].weight = wire_rd_u16(&r);
		m->dest[i].srvtype = wire_rd_u8(&r);
		m->dest[i].rank = wire_rd_u8(&r);
	}
	if ((rc = rd_finish(&r, "DIST_ADV truncated", reason)) < 0)
		return rc;
	return 0;
}

ssize_t
wire_xcf_dist_adv_encode(const struct wire_xcf_dist_adv *m, uint8_t *p, size_t cap)
{
	struct wire_wr w;
	int i;

	if (m->nports > WIRE_XCF_MAX_PORTS || m->ndest > WIRE_XCF_MAX_DEST)
		return -EINVAL;
	wire_wr_init(&w, p, cap);
	wire_wr_bytes(&w, m->dvipa, 16);
	wire_wr_u8(&w, m->method);
	wire_wr_u8(&w, m->flags);
	wire_wr_u16(&w, m->timedaff);
	wire_wr_u8(&w, m->nports);
	for (i = 0; i < m->nports; i++)
		wire_wr_u16(&w, m->ports[i]);
	wire_wr_u8(&w, m->ndest);
	for (i = 0; i < m->ndest; i++) {
		wire_wr_bytes(&w, m->dest[i].xcf, 16);
		wire_wr_u16(&w, m->dest[i].weight);
		wire_wr_u8(&w, m->dest[i].srvtype);
		wire_wr_u8(&w, m->dest[i].rank);
	}
	return wire_wr_result(&w);
}

/* ---- TGT_LISTEN ------------------------------------------------------------ */

int
wire_xcf_tgt_listen_decode(struct wire_xcf_tgt_listen *m, const uint8_t *p, size_t len,
			   const char **reason)
{
	struct wire_rd r;
	int i, rc;

	wire_rd_init(&r, p, len);
	m->flags = wire_rd_u8(&r);
	m->n = wire_rd_u8(&r);
	m->capacity = wire_rd_u32(&r);
	m->load = wire_rd_u8(&r);
	if (r.err) {
		SET_REASON(reason, "TGT_LISTEN truncated");
		return -EMSGSIZE;
	}
	if (m->n > WIRE_XCF_MAX_LISTEN) {
		SET_REASON(reason, "TGT_LISTEN has too many entries");
		return -EINVAL;
	}
	for (i = 0; i < m->n; i++) {
		wire_rd_bytes(&r, m->l[i].dvipa, 16);
		m->l[i].port = wire_rd_u16(&r);
		m->l[i].rdy = wire_rd_u16(&r);
		m->l[i].weight = wire_rd_u16(&r);
		m->l[i].sef = wire_rd_u8(&r);
	}
	if ((rc = rd_finish(&r, "TGT_LISTEN truncated", reason)) < 0)
		return rc;
	return 0;
}

ssize_t
wire_xcf_tgt_listen_encode(const struct wire_xcf_tgt_listen *m, uint8_t *p, size_t cap)
{
	struct wire_wr w;
	int i;

	if (m->n > WIRE_XCF_MAX_LISTEN)
		return -EINVAL;
	wire_wr_init(&w, p, cap);
	wire_wr_u8(&w, m->flags);
	wire_wr_u8(&w, m->n);
	wire_wr_u32(&w, m->capacity);
	wire_wr_u8(&w, m->load);
	for (i = 0; i < m->n; i++) {
		wire_wr_bytes(&w, m->l[i].dvipa, 16);
		wire_wr_u16(&w, m->l[i].port);
		wire_wr_u16(&w, m->l[i].rdy);
		wire_wr_u16(&w, m->l[i].weight);
		wire_wr_u8(&w, m->l[i].sef);
	}
	return wire_wr_result(&w);
}

/* ---- TGT_CONN -------------------------------------------------------------- */

int
wire_xcf_tgt_conn_decode(struct wire_xcf_tgt_conn *m, const uint8_t *p, size_t len,
			 const char **reason)
{
	struct wire_rd r;
	int i, rc, bad = 0;

	wire_rd_init(&r, p, len);
	m->flags = wire_rd_u8(&r);
	wire_rd_bytes(&r, m->scope, 16);
	m->n = wire_rd_u16(&r);
	if (r.err) {
		SET_REASON(reason, "TGT_CONN truncated");
		return -EMSGSIZE;
	}
	if (m->n > WIRE_XCF_MAX_CONN) {
		SET_REASON(reason, "TGT_CONN has too many connections");
		return -EINVAL;
	}
	for (i = 0; i < m->n; i++) {
		struct wire_xcf_conn *c = &m->c[i];

		c->event = wire_rd_u8(&r);
		wire_rd_bytes(&r, c->dvipa, 16);
		c->dport = wire_rd_u16(&r);
		wire_rd_bytes(&r, c->client, 16);
		c->cport = wire_rd_u16(&r);
		c->bypass = wire_rd_u8(&r);
		wire_rd_bytes(&r, c->coa, 16);
		c->seq = wire_rd_u16(&r);
		if (c->event != WIRE_CONN_EST && c->event != WIRE_CONN_END)
			bad = 1;
	}
	if ((rc = rd_finish(&r, "TGT_CONN truncated", reason)) < 0)
		return rc;
	if (bad) {
		SET_REASON(reason, "TGT_CONN event unknown");
		return -EINVAL;
	}
	return 0;
}

ssize_t
wire_xcf_tgt_conn_encode(const struct wire_xcf_tgt_conn *m, uint8_t *p, size_t cap)
{
	struct wire_wr w;
	int i;

	if (m->n > WIRE_XCF_MAX_CONN)
		return -EINVAL;
	wire_wr_init(&w, p, cap);
	wire_wr_u8(&w, m->flags);
	wire_wr_bytes(&w, m->scope, 16);
	wire_wr_u16(&w, m->n);
	for (i = 0; i < m->n; i++) {
		const struct wire_xcf_conn *c = &m->c[i];

		wire_wr_u8(&w, c->event);
		wire_wr_bytes(&w, c->dvipa, 16);
		wire_wr_u16(&w, c->dport);
		wire_wr_bytes(&w, c->client, 16);
		wire_wr_u16(&w, c->cport);
		wire_wr_u8(&w, c->bypass);
		wire_wr_bytes(&w, c->coa, 16);
		wire_wr_u16(&w, c->seq);
	}
	return wire_wr_result(&w);
}

/* ---- TGT_SYNC_REQ ---------------------------------------------------------- */

int
wire_xcf_sync_req_decode(struct wire_xcf_sync_req *m, const uint8_t *p, size_t len,
			 const char **reason)
{
	struct wire_rd r;
	int rc;

	wire_rd_init(&r, p, len);
	wire_rd_bytes(&r, m->dvipa, 16);
	if ((rc = rd_finish(&r, "TGT_SYNC_REQ truncated", reason)) < 0)
		return rc;
	return 0;
}

ssize_t
wire_xcf_sync_req_encode(const struct wire_xcf_sync_req *m, uint8_t *p, size_t cap)
{
	struct wire_wr w;

	wire_wr_init(&w, p, cap);
	wire_wr_bytes(&w, m->dvipa, 16);
	return wire_wr_result(&w);
}

/* ---- SYSPORTS ---------------------------------------------------------------- */

int
wire_xcf_sysports_decode(struct wire_xcf_sysports *m, const uint8_t *p, size_t len,
			 const char **reason)
{
	struct wire_rd r;
	int rc;

	wire_rd_init(&r, p, len);
	wire_rd_bytes(&r, m->dvipa, 16);
	m->op = wire_rd_u8(&r);
	m->first = wire_rd_u16(&r);
	m->count = wire_rd_u16(&r);
	if ((rc = rd_finish(&r, "SYSPORTS truncated", reason)) < 0)
		return rc;
	if (m->op < WIRE_SYSPORTS_REQ || m->op > WIRE_SYSPORTS_RELEASE) {
		SET_REASON(reason, "SYSPORTS has an unknown operation");
		return -EINVAL;
	}
	return 0;
}

ssize_t
wire_xcf_sysports_encode(const struct wire_xcf_sysports *m, uint8_t *p, size_t cap)
{
	struct wire_wr w;

	if (m->op < WIRE_SYSPORTS_REQ || m->op > WIRE_SYSPORTS_RELEASE)
		return -EINVAL;
	wire_wr_init(&w, p, cap);
	wire_wr_bytes(&w, m->dvipa, 16);
	wire_wr_u8(&w, m->op);
	wire_wr_u16(&w, m->first);
	wire_wr_u16(&w, m->count);
	return wire_wr_result(&w);
}

/* ---- TGT_DIGEST ------------------------------------------------------------ */

int
wire_xcf_tgt_digest_decode(struct wire_xcf_tgt_digest *m, const uint8_t *p, size_t len,
			   const char **reason)
{
	struct wire_rd r;
	int i, rc;

	wire_rd_init(&r, p, len);
	m->n = wire_rd_u8(&r);
	if (!r.err && m->n > WIRE_XCF_MAX_VIPA) {
		SET_REASON(reason, "TGT_DIGEST has too many DVIPAs");
		return -EINVAL;
	}
	for (i = 0; i < m->n && !r.err; i++) {
		wire_rd_bytes(&r, m->d[i].dvipa, 16);
		m->d[i].count = wire_rd_u64(&r);
		m->d[i].sum = wire_rd_u64(&r);
	}
	if ((rc = rd_finish(&r, "TGT_DIGEST truncated", reason)) < 0)
		return rc;
	return 0;
}

ssize_t
wire_xcf_tgt_digest_encode(const struct wire_xcf_tgt_digest *m, uint8_t *p, size_t cap)
{
	struct wire_wr w;
	int i;

	if (m->n > WIRE_XCF_MAX_VIPA)
		return -EINVAL;
	wire_wr_init(&w, p, cap);
	wire_wr_u8(&w, m->n);
	for (i = 0; i < m->n; i++) {
		wire_wr_bytes(&w, m->d[i].dvipa, 16);
		wire_wr_u64(&w, m->d[i].count);
		wire_wr_u64(&w, m->d[i].sum);
	}
	return wire_wr_result(&w);
}
