/*
 * test_cds_net.c - proves the wire encoding of the couple data set records
 * on TCP (xcf/cdsnet.c):
 *  - decode(encode(x)) == x for a request and for replies of 0, 1 and
 *    XCF_MAX_MEMBERS slots, names that fill their field included (they come
 *    back terminated);
 *  - the encoding is big-endian at fixed offsets (magic first, "CDS1");
 *  - every length other than the exact one is rejected (-EMSGSIZE) without
 *    reading out of bounds (run it under ASan), and so is a count above
 *    XCF_MAX_MEMBERS;
 *  - bad magic and unknown operations are -EPROTO;
 *  - the server addresses: tcp://ADDR:PORT, ADDR:PORT, [IPV6]:PORT accepted;
 *    an IPv6 address without brackets, a port out of range, a name, an
 *    empty host are refused;
 *  - the couple config's CDS statement takes tcp://ADDR:PORT and says where
 *    and why a malformed one is wrong; its KEY (the server's public key);
 *  - the server's decisions: which keys it admits (the data set's slots'),
 *    that a member writes only as itself, the per-member token bucket;
 *  - a request the server refuses (no such slot, not active, malformed)
 *    keeps the couple data set open: only the file's own errors reopen it.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "xcf/internal.h"

static uint8_t buf[CDS_NET_REP_MAX + CDS_NET_SLOT_LEN];	/* room for one slot too many */
static struct cds_rep rep_in, rep_out;

static void
fill_req(struct cds_req *q)
{
	memset(q, 0, sizeof(*q));
	q->magic = CDS_MAGIC;
	q->op = CDS_OP_PILL;
	q->seq = 0x0102030405060708ull;
	strcpy(q->sys, "SYSA");
	q->inc = 77;
	strcpy(q->victim, "SYSB$#@1");	/* fills its 8-byte field */
	q->victim_inc = 99;
	q->expect_beat = 12345;
	memset(q->reason, 'R', sizeof(q->reason) - 1);
}

static void
test_req_roundtrip(void **state)
{
	struct cds_req q, d;
	size_t len;
	(void)state;

	fill_req(&q);
	len = cds_net_req_encode(&q, buf);
	assert_int_equal(len, CDS_NET_REQ_LEN);
	assert_memory_equal(buf, "\x43\x44\x53\x32\x00\x00\x00\x04", 8);
	assert_int_equal(cds_net_req_decode(buf, len, &d), 0);
	assert_int_equal(d.magic, q.magic);
	assert_int_equal(d.op, q.op);
	assert_true(d.seq == q.seq && d.inc == q.inc && d.victim_inc == q.victim_inc &&
		    d.expect_beat == q.expect_beat);
	assert_string_equal(d.sys, "SYSA");
	assert_string_equal(d.victim, "SYSB$#@1");
	assert_int_equal(strlen(d.reason), XCF_REASON_LEN - 1);
}

static void
test_req_bad(void **state)
{
	struct cds_req q, d;
	size_t len, l;
	(void)state;

	fill_req(&q);
	len = cds_net_req_encode(&q, buf);
	for (l = 0; l < len + 8; l++) {
		uint8_t *copy;

		if (l == len)
			continue;
		copy = malloc(l ? l : 1);	/* exact size: ASan sees any overread */
		memcpy(copy, buf, l < len ? l : len);
		if (l > len)
			memset(copy + len, 0, l - len);
		assert_int_equal(cds_net_req_decode(copy, l, &d), -EMSGSIZE);
		free(copy);
	}
	buf[0] ^= 1;
	assert_int_equal(cds_net_req_decode(buf, len, &d), -EPROTO);
	buf[0] ^= 1;
	buf[7] = 0;			/* op 0 */
	assert_int_equal(cds_net_req_decode(buf, len, &d), -EPROTO);
	buf[7] = CDS_OP_MAX + 1;
	assert_int_equal(cds_net_req_decode(buf, len, &d), -EPROTO);
}

static void
fill_rep(struct cds_rep *r, int n)
{
	int i;

	memset(r, 0, sizeof(*r));
	r->magic = CDS_MAGIC;
	r->op = CDS_OP_BEAT;
	r->seq = 42;
	r->rc = -ESTALE;
	r->n = n;
	r->beat = 1u << 31;
	strcpy(r->err, "an error");
	for (i = 0; i < n; i++) {
		struct xcf_slot *s = &r->slot[i];

		/* Names that fill their fields: 8 and 16 characters. */
		memcpy(s->sysname, "SYS00000", 8);
		s->sysname[6] = (char)('0' + i / 10);
		s->sysname[7] = (char)('0' + i % 10);
		memcpy(s->member, s->sysname, 8);
		memcpy(s->member + 8, "TCPCS000", 8);
		s->ord = i;
		s->weight = 9999;
		s->incarnation = 0xfedcba9876543210ull + (uint64_t)i;
		s->state = XCF_SLOT_PARTITIONED;
		s->beat = (uint64_t)i * 1000;
		s->beat_wall_ms = 1700000000000ull;
		s->pill_inc = 3;
		strcpy(s->pill_by, "SYSC");
		s->pill_wall_ms = 1700000000001ull;
		strcpy(s->reason, "STATUS UPDATE MISSING");
		/* A public key fills its field too. */
		memcpy(s->key, "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7", XCF_KEY_LEN);
	}
}

static void
test_rep_roundtrip(void **state)
{
	static const int counts[] = { 0, 1, XCF_MAX_MEMBERS };
	size_t k;
	(void)state;

	for (k = 0; k < sizeof(counts) / sizeof(counts[0]); k++) {
		size_t len;

		fill_rep(&rep_in, counts[k]);
		len = cds_net_rep_encode(&rep_in, buf);
		assert_int_equal(len, CDS_NET_REP_HDR_LEN + (size_t)counts[k] * CDS_NET_SLOT_LEN);
		assert_int_equal(cds_net_rep_decode(buf, len, &rep_out), 0);
		/* Every field, strings included, comes back as it was (the
		 * structures were zeroed, so padding compares too). */
		assert_memory_equal(&rep_in, &rep_out, sizeof(rep_in));
	}
}

static void
test_rep_bad(void **state)
{
	size_t len, l;
	(void)state;

	fill_rep(&rep_in, 3);
	len = cds_net_rep_encode(&rep_in, buf);
	for (l = 0; l < len + 8; l++) {
		uint8_t *copy;

		if (l == len)
			continue;
		copy = malloc(l ? l : 1);
		memcpy(copy, buf, l < len ? l : len);
		if (l > len)
			memset(copy + len, 0, l - len);
		assert_int_equal(cds_net_rep_decode(copy, l, &rep_out), -EMSGSIZE);
		free(copy);
	}
	/* A count above the maximum, with a length that would match it. */
	fill_rep(&rep_in, XCF_MAX_MEMBERS);
	len = cds_net_rep_encode(&rep_in, buf);
	buf[27] = XCF_MAX_MEMBERS + 1;	/* n: bytes 24..27 */
	memset(buf + len, 0, CDS_NET_SLOT_LEN);
	assert_int_equal(cds_net_rep_decode(buf, len + CDS_NET_SLOT_LEN, &rep_out), -EMSGSIZE);
	buf[27] = XCF_MAX_MEMBERS;
	buf[3] ^= 0x80;
	assert_int_equal(cds_net_rep_decode(buf, len, &rep_out), -EPROTO);
	/* A name filling its field is terminated on decoding. */
	buf[3] ^= 0x80;
	memset(buf + CDS_NET_REP_HDR_LEN, 'Z', CDS_NET_NAME + XCF_NAME_LEN);
	assert_int_equal(cds_net_rep_decode(buf, len, &rep_out), 0);
	assert_string_equal(rep_out.slot[0].sysname, "ZZZZZZZZ");
	assert_int_equal(strlen(rep_out.slot[0].member), XCF_NAME_LEN);
}

static void
test_addr(void **state)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	(void)state;

	assert_int_equal(xcf_cds_addr("tcp://[fd00:1::3]:7400", &ss, &sl), 0);
	assert_int_equal(ss.ss_family, AF_INET6);
	assert_int_equal(xcf_cds_addr("[::]:7400", &ss, &sl), 0);
	assert_int_equal(xcf_cds_addr("192.0.2.1:1", &ss, &sl), 0);
	assert_int_equal(ss.ss_family, AF_INET);
	assert_int_equal(xcf_cds_addr("tcp://192.0.2.1:65535", &ss, &sl), 0);
	assert_int_equal(xcf_cds_addr("fd00::1:7400", &ss, &sl), -EINVAL);
	assert_int_equal(xcf_cds_addr("[fd00::1]7400", &ss, &sl), -EINVAL);
	assert_int_equal(xcf_cds_addr("192.0.2.1:0", &ss, &sl), -EINVAL);
	assert_int_equal(xcf_cds_addr("192.0.2.1:65536", &ss, &sl), -EINVAL);
	assert_int_equal(xcf_cds_addr("192.0.2.1:", &ss, &sl), -EINVAL);
	assert_int_equal(xcf_cds_addr("192.0.2.1:7x", &ss, &sl), -EINVAL);
	assert_int_equal(xcf_cds_addr("cds.example:7400", &ss, &sl), -EINVAL);
	assert_int_equal(xcf_cds_addr(":7400", &ss, &sl), -EINVAL);
	assert_int_equal(xcf_cds_addr("[]:7400", &ss, &sl), -EINVAL);
	assert_true(xcf_cds_is_remote("tcp://[::1]:1"));
	assert_false(xcf_cds_is_remote("/run/sysplex/x/cds.db"));
}

static void
test_couple_cds(void **state)
{
	static struct xcf_couple c;
	static const char good[] = "SYSPLEX P\nCDS tcp://[fd00:1::3]:7400 LEASE 800\n"
				   "MEMBER SYSA TCPCS tcp://[fd00:1::1]:7000\n";
	static const char bad[] = "SYSPLEX P\nCDS tcp://fd00:1::3:7400\n"
				  "MEMBER SYSA TCPCS tcp://[fd00:1::1]:7000\n";
	static const char rel[] = "SYSPLEX P\nCDS cds.db\nMEMBER SYSA TCPCS tcp://[fd00:1::1]:7000\n";
	char err[300];
	(void)state;

	assert_int_equal(xcf_couple_parse_buf(&c, "c", good, strlen(good), err, sizeof(err)), 0);
	assert_string_equal(c.cds, "tcp://[fd00:1::3]:7400");
	assert_int_equal(c.lease_ms, 800);
	assert_int_equal(xcf_couple_parse_buf(&c, "c", bad, strlen(bad), err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "c:2: CDS: 'tcp://fd00:1::3:7400' is not tcp://ADDR:PORT"));
	assert_int_equal(xcf_couple_parse_buf(&c, "c", rel, strlen(rel), err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "neither an absolute path"));
}

/* The CDS statement's KEY: the server's public key, in either order with
 * LEASE, once; only for a server; a Z85 key. */
static void
test_couple_cds_key(void **state)
{
	static struct xcf_couple c;
	char pub[XCF_KEY_LEN + 1], sec[XCF_KEY_LEN + 1], text[512], err[300];
	const char *m = "MEMBER SYSA TCPCS tcp://[fd00:1::1]:7000\n";
	struct {
		const char *cds;
		const char *want;	/* NULL: accepted */
	} t[] = {
		{ "tcp://[fd00:1::3]:7400 KEY %s LEASE 800", NULL },
		{ "tcp://[fd00:1::3]:7400 LEASE 800 KEY %s", NULL },
		{ "tcp://[fd00:1::3]:7400", NULL },	/* the stack refuses it, not the parser */
		{ "/var/lib/cds.db KEY %s", "c:2: CDS: KEY is the key of a CDS server" },
		{ "tcp://[fd00:1::3]:7400 KEY %.39s", "c:2: CDS: KEY '" },
		{ "tcp://[fd00:1::3]:7400 KEY %s KEY %s", "c:2: CDS: 'KEY': expected LEASE ms or KEY k, once each" },
		{ "tcp://[fd00:1::3]:7400 WEIGHT 3", "c:2: CDS: 'WEIGHT': expected LEASE ms or KEY k" },
		{ "tcp://[fd00:1::3]:7400 KEY", "c:2: CDS: expected CDS PATH [LEASE ms] or CDS tcp://" },
	};
	size_t i;
	(void)state;

	assert_int_equal(xcf_keypair(pub, sec), 0);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char cds[200];
		int rc;

		snprintf(cds, sizeof(cds), t[i].cds, pub, pub);
		snprintf(text, sizeof(text), "SYSPLEX P\nCDS %s\n%s", cds, m);
		rc = xcf_couple_parse_buf(&c, "c", text, strlen(text), err, sizeof(err));
		if (!t[i].want) {
			if (rc != 0)
				fail_msg("'%s' refused: %s", cds, err);
			assert_string_equal(c.cds_key, strstr(t[i].cds, "KEY") ? pub : "");
		} else {
			assert_int_equal(rc, -EINVAL);
			if (!strstr(err, t[i].want))
				fail_msg("'%s': '%s', want '%s'", cds, err, t[i].want);
		}
	}
	assert_int_equal(c.lease_ms, 400);
}

/* The server admits a key the data set lists (naming its system) and no
 * other; slots without a key admit nobody. */
static void
test_admit(void **state)
{
	static struct xcf_slot sl[3];
	char pub[3][XCF_KEY_LEN + 1], sec[XCF_KEY_LEN + 1], sys[9];
	uint8_t raw[32];
	int i;
	(void)state;

	memset(sl, 0, sizeof(sl));
	for (i = 0; i < 3; i++) {
		assert_int_equal(xcf_keypair(pub[i], sec), 0);
		snprintf(sl[i].sysname, sizeof(sl[i].sysname), "SYS%c", 'A' + i);
	}
	strcpy(sl[0].key, pub[0]);
	strcpy(sl[1].key, pub[1]);	/* SYSC: no key in its slot */
	assert_int_equal(xcf_key_decode(pub[1], raw), 0);
	assert_int_equal(cds_net_admit(sl, 3, raw, sys), 0);
	assert_string_equal(sys, "SYSB");
	assert_int_equal(xcf_key_decode(pub[0], raw), 0);
	assert_int_equal(cds_net_admit(sl, 3, raw, sys), 0);
	assert_string_equal(sys, "SYSA");
	assert_int_equal(xcf_key_decode(pub[2], raw), 0);
	assert_int_equal(cds_net_admit(sl, 3, raw, sys), -ENOENT);
	memset(raw, 0, sizeof(raw));
	assert_int_equal(cds_net_admit(sl, 3, raw, sys), -ENOENT);
	assert_int_equal(cds_net_admit(sl, 0, raw, sys), -ENOENT);
}

/* A member reads everything and writes only as itself. */
static void
test_permit(void **state)
{
	struct cds_req q;
	const char *why = NULL;
	uint32_t op;
	(void)state;

	fill_req(&q);	/* sys SYSA */
	for (op = CDS_OP_READ; op <= CDS_OP_MAX; op++) {
		q.op = op;
		assert_int_equal(cds_net_permit(&q, "SYSA", &why), 0);
		why = NULL;
		assert_int_equal(cds_net_permit(&q, "SYSB", &why), op == CDS_OP_READ ? 0 : -EACCES);
		if (op != CDS_OP_READ)
			assert_non_null(why);
	}
	q.op = CDS_OP_PILL;
	assert_int_equal(cds_net_permit(&q, "SYSB", &why), -EACCES);
	assert_string_equal(why, "a poison pill in another member's name");
	q.op = CDS_OP_BEAT;
	assert_int_equal(cds_net_permit(&q, "SYSAB", &why), -EACCES);
}

/* The token bucket: CDS_NET_BURST at once, then CDS_NET_RATE a second. */
static void
test_rate(void **state)
{
	struct cds_net_rate r;
	int i, n;
	(void)state;

	memset(&r, 0, sizeof(r));
	for (n = 0; cds_net_rate_take(&r, 1000); n++)
		assert_true(n <= CDS_NET_BURST);
	assert_int_equal(n, CDS_NET_BURST);
	assert_int_equal(cds_net_rate_take(&r, 1000), 0);
	/* 1000 / CDS_NET_RATE ms later: exactly one more. */
	assert_int_equal(cds_net_rate_take(&r, 1000 + 1000 / CDS_NET_RATE), 1);
	assert_int_equal(cds_net_rate_take(&r, 1000 + 1000 / CDS_NET_RATE), 0);
	/* One second at the rate: CDS_NET_RATE requests, no more. */
	for (n = 0, i = 0; i < 1000; i++)
		n += cds_net_rate_take(&r, 1005 + (uint64_t)i + 1);
	assert_true(n >= CDS_NET_RATE - 1 && n <= CDS_NET_RATE + 1);
	/* A long pause refills to the burst, not beyond. */
	for (n = 0; cds_net_rate_take(&r, 100000); n++)
		;
	assert_int_equal(n, CDS_NET_BURST);
	/* The clock going backwards gives nothing. */
	assert_int_equal(cds_net_rate_take(&r, 50000), 0);
}

/* Refusals keep the server's file open: a member asking for a system with
 * no slot, over and over, must not make it reopen the file per request. */
static void
test_refusal_keeps_open(void **state)
{
	static struct xcf_couple c;
	static const char text[] = "SYSPLEX P\nMEMBER SYSA TCPCS tcp://[fd00:1::1]:7000\n"
				   "MEMBER SYSB TCPCS tcp://[fd00:1::2]:7000\n";
	char dir[] = "/tmp/test_cds_net.XXXXXX", path[64], err[300];
	struct xcf_cds *db = NULL, *was;
	struct cds_req q;
	struct cds_rep r;
	(void)state;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/cds.db", dir);
	assert_int_equal(xcf_couple_parse_buf(&c, "c", text, strlen(text), err, sizeof(err)), 0);
	assert_int_equal(xcf_cds_format(path, &c, err, sizeof(err)), 0);

	memset(&q, 0, sizeof(q));
	q.magic = CDS_MAGIC;
	q.op = CDS_OP_REGISTER;
	strcpy(q.sys, "SYSA");
	q.inc = 5;
	xcf_cds_handle(&db, path, &q, &r);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.n, 2);
	assert_non_null(db);
	was = db;

	strcpy(q.sys, "SYSX");			/* no slot */
	xcf_cds_handle(&db, path, &q, &r);
	assert_int_equal(r.rc, -ESRCH);
	assert_non_null(strstr(r.err, "SYSX has no slot"));
	q.op = CDS_OP_BEAT;
	xcf_cds_handle(&db, path, &q, &r);
	assert_int_equal(r.rc, -ESRCH);
	assert_ptr_equal(db, was);
	assert_true(xcf_cds_refusal(-ESRCH) && xcf_cds_refusal(-EPERM) && xcf_cds_refusal(-ESTALE));
	assert_false(xcf_cds_refusal(-EIO) || xcf_cds_refusal(-ENOENT) || xcf_cds_refusal(-EPROTO));

	strcpy(q.sys, "SYSB");			/* not active: BEAT says OUT, PILL -EPERM */
	q.op = CDS_OP_PILL;
	strcpy(q.victim, "SYSA");
	q.victim_inc = 5;
	q.expect_beat = XCF_CDS_ANY_BEAT;
	xcf_cds_handle(&db, path, &q, &r);
	assert_int_equal(r.rc, -EPERM);
	assert_ptr_equal(db, was);

	q.magic = 0;				/* malformed */
	xcf_cds_handle(&db, path, &q, &r);
	assert_int_equal(r.rc, -EINVAL);
	assert_ptr_equal(db, was);

	xcf_cds_close(&db);
	assert_null(db);
	unlink(path);
	snprintf(err, sizeof(err), "%s-wal", path);
	unlink(err);
	snprintf(err, sizeof(err), "%s-shm", path);
	unlink(err);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_req_roundtrip),
		cmocka_unit_test(test_req_bad),
		cmocka_unit_test(test_rep_roundtrip),
		cmocka_unit_test(test_rep_bad),
		cmocka_unit_test(test_addr),
		cmocka_unit_test(test_couple_cds),
		cmocka_unit_test(test_couple_cds_key),
		cmocka_unit_test(test_admit),
		cmocka_unit_test(test_permit),
		cmocka_unit_test(test_rate),
		cmocka_unit_test(test_refusal_keeps_open),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
