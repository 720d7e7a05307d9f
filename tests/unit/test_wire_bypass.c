/*
 * test_wire_bypass.c - proves the bus bodies of the Mobile IPv6 bypass
 * (MIP6_COPY, BIND_INFO) and our per-connection vendor option round-trip,
 * reject every truncation and every bad field, and that the vendor option
 * survives a full Mobility Header encode/decode with the byte layout
 * documented in wire/vso.c.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "wire/wire.h"

static void
test_mip6_copy_roundtrip(void **state)
{
	static struct wire_xcf_mip6_copy a, b;
	uint8_t buf[4096];
	ssize_t n;
	size_t i;
	const char *why;

	(void)state;
	memset(&a, 0, sizeof(a));
	memset(a.src, 0x11, 16);
	memset(a.dst, 0x22, 16);
	memset(a.coa, 0x33, 16);
	a.mhlen = 40;
	for (i = 0; i < a.mhlen; i++)
		a.mh[i] = (uint8_t)i;
	n = wire_xcf_mip6_copy_encode(&a, buf, sizeof(buf));
	assert_int_equal(n, 16 * 3 + 2 + 40);
	memset(&b, 0xee, sizeof(b));
	assert_int_equal(wire_xcf_mip6_copy_decode(&b, buf, (size_t)n, &why), 0);
	assert_memory_equal(a.src, b.src, 16);
	assert_memory_equal(a.coa, b.coa, 16);
	assert_int_equal(b.mhlen, 40);
	assert_memory_equal(a.mh, b.mh, 40);
	for (i = 0; i < (size_t)n; i++)
		assert_true(wire_xcf_mip6_copy_decode(&b, buf, i, &why) < 0);
	buf[n] = 0;
	assert_int_equal(wire_xcf_mip6_copy_decode(&b, buf, (size_t)n + 1, &why), -EINVAL);
	/* MH length out of range either way */
	buf[48] = 0;
	buf[49] = 4;
	assert_int_equal(wire_xcf_mip6_copy_decode(&b, buf, 48 + 2 + 4, &why), -EINVAL);
	buf[48] = 0x10;
	buf[49] = 0x00;
	assert_int_equal(wire_xcf_mip6_copy_decode(&b, buf, sizeof(buf), &why), -EINVAL);
	a.mhlen = WIRE_XCF_MAX_MH + 1;
	assert_int_equal(wire_xcf_mip6_copy_encode(&a, buf, sizeof(buf)), -EINVAL);
	a.mhlen = 40;
	assert_int_equal(wire_xcf_mip6_copy_encode(&a, buf, 50), -ENOSPC);
}

static void
test_bind_info_roundtrip(void **state)
{
	struct wire_xcf_bind_info a, b;
	uint8_t buf[128];
	ssize_t n;
	size_t i;
	const char *why;

	(void)state;
	memset(&a, 0, sizeof(a));
	memset(a.dvipa, 0xfd, 16);
	memset(a.client, 0x01, 16);
	memset(a.coa, 0x10, 16);
	a.dport = 8080;
	a.cport = 41001;
	a.bypass = 2;
	a.seq = 65535;
	a.lifetime = 420;
	n = wire_xcf_bind_info_encode(&a, buf, sizeof(buf));
	assert_int_equal(n, 16 + 2 + 16 + 2 + 1 + 16 + 2 + 2);
	assert_int_equal(wire_xcf_bind_info_decode(&b, buf, (size_t)n, &why), 0);
	assert_memory_equal(&a.dvipa, &b.dvipa, 16);
	assert_int_equal(b.dport, 8080);
	assert_int_equal(b.cport, 41001);
	assert_int_equal(b.bypass, 2);
	assert_int_equal(b.seq, 65535);
	assert_int_equal(b.lifetime, 420);
	for (i = 0; i < (size_t)n; i++)
		assert_true(wire_xcf_bind_info_decode(&b, buf, i, &why) < 0);
	buf[36] = 3;	/* unknown bypass state */
	assert_int_equal(wire_xcf_bind_info_decode(&b, buf, (size_t)n, &why), -EINVAL);
	assert_int_equal(wire_xcf_bind_info_encode(&a, buf, 10), -ENOSPC);
}

static void
test_vso_conn(void **state)
{
	struct mip6_msg m, d;
	uint8_t mh[256];
	uint16_t cp = 0, dp = 0;
	ssize_t n;
	int i, found = 0;
	const char *why;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.proto = WIRE_PROTO_NONE;
	m.type = MIP6_MH_BRR;
	assert_int_equal(wire_vso_conn_find(&m.opts, &cp, &dp), 0);
	assert_int_equal(wire_vso_conn_add(&m.opts, 41001, 8080), 0);
	n = mip6_msg_encode(&m, mh, sizeof(mh));
	assert_true(n > 0);
	/* The byte layout: type 19, length 10, vendor 2, sub-type 1, ports, 6. */
	for (i = MIP6_HDR_LEN; i + 12 <= n; i++) {
		static const uint8_t want[12] = { 19, 10, 0, 0, 0, 2, 1, 0xa0, 0x29, 0x1f, 0x90, 6 };
		if (memcmp(mh + i, want, 12) == 0)
			found = 1;
	}
	assert_true(found);
	assert_int_equal(mip6_msg_decode(&d, mh, (size_t)n, &why), 0);
	assert_int_equal(wire_vso_conn_find(&d.opts, &cp, &dp), 1);
	assert_int_equal(cp, 41001);
	assert_int_equal(dp, 8080);
	/* A malformed one is reported, not taken. */
	d.opts.vso[0].len = 4;
	assert_int_equal(wire_vso_conn_find(&d.opts, &cp, &dp), -EINVAL);
	d.opts.vso[0].len = 5;
	d.opts.vso[0].bytes[4] = 17;
	assert_int_equal(wire_vso_conn_find(&d.opts, &cp, &dp), -EINVAL);
	/* Full. */
	while (m.opts.n_vso < MIP6_MAX_VSO)
		assert_int_equal(wire_vso_conn_add(&m.opts, 1, 2), 0);
	assert_int_equal(wire_vso_conn_add(&m.opts, 1, 2), -ENOSPC);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mip6_copy_roundtrip),
		cmocka_unit_test(test_bind_info_roundtrip),
		cmocka_unit_test(test_vso_conn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
