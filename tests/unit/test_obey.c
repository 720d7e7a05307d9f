/*
 * test_obey.c - proves the PROFILE additions for a real z/OS profile and the
 * OBEYFILE delta in vipa/profile.c:
 *  - IPv4 DVIPAs (mask + several addresses), IPCONFIG DYNAMICXCF, HOTSTANDBY
 *    destinations, VIPARANGE and VIPAROUTE parse into the expected
 *    structures (IPv4 kept IPv4-mapped with the v4 flag, printed dotted);
 *  - skipped statements are listed as warnings "FILE:LINE: STMT: ...", at
 *    most VIPA_MAX_WARN kept and the rest counted;
 *  - lookups: the VIPADISTRIBUTE of a (DVIPA, port), the most specific
 *    VIPARANGE containing an address, the VIPAROUTE of a target;
 *  - OBEYFILE: adding and deleting distributions, VIPADELETE, a new
 *    VIPABACKUP, VIPARANGE and VIPAROUTE changes give exactly the expected
 *    change list in apply order; re-stating what runs gives no change;
 *    a wrong statement anywhere (even the last) gives the error with the
 *    OBEYFILE's name and line, no change and the running profile untouched;
 *    redefining a running DVIPA names the running configuration's line;
 *    DYNAMICXCF cannot change; too many changes is -ENOSPC.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vipa/vipa.h"

static struct vipa_profile cur, next, saved;
static struct vipa_change chg[256];
static char err[512];

static void
addr(const char *s, uint8_t out[16])
{
	struct in_addr a4;

	if (inet_pton(AF_INET, s, &a4) == 1) {
		memset(out, 0, 16);
		out[10] = out[11] = 0xff;
		memcpy(out + 12, &a4, 4);
		return;
	}
	assert_int_equal(inet_pton(AF_INET6, s, out), 1);
}

static void
assert_addr(const uint8_t a[16], const char *s)
{
	uint8_t b[16];

	addr(s, b);
	assert_memory_equal(a, b, 16);
}

static void
must_parse(const char *text, struct vipa_profile *p)
{
	if (vipa_profile_parse_buf(p, "run.prof", text, strlen(text), err, sizeof(err)) != 0)
		fail_msg("unexpected error: %s", err);
}

static int
obey(const char *text, int *n)
{
	err[0] = '\0';
	return vipa_profile_obey_buf(&cur, &next, "obey.prof", text, strlen(text), chg,
				     (int)(sizeof(chg) / sizeof(chg[0])), n, err, sizeof(err));
}

static const char base[] =
	"IPCONFIG DYNAMICXCF 10.1.0.1 255.255.255.0 1\n"
	"IPCONFIG6 DYNAMICXCF fd00:10::1\n"
	"VIPADYNAMIC\n"
	"  VIPADEFINE 255.255.255.0 10.1.1.1 10.1.1.2\n"
	"  VIPADEFINE DVIPA1 fd00:100::1\n"
	"  VIPARANGE 255.255.255.0 10.1.9.0\n"
	"  VIPADISTRIBUTE DISTMETHOD ROUNDROBIN 10.1.1.1 PORT 80 443 DESTIP 10.1.0.2 10.1.0.3\n"
	"  VIPADISTRIBUTE DVIPA1 PORT 8080 DESTIP ALL\n"
	"  VIPAROUTE 10.1.0.3 192.168.3.1\n"
	"ENDVIPADYNAMIC\n";

static void
test_structures(void **state)
{
	char a[64];

	(void)state;
	must_parse("IPCONFIG DYNAMICXCF 10.1.0.1/24 7\n"
		   "VIPADYNAMIC\n"
		   "  VIPADEFINE MOVEABLE WHENIDLE 255.255.255.0 10.1.1.1 10.1.1.2\n"
		   "  VIPABACKUP 77 255.255.0.0 10.2.1.1\n"
		   "  VIPADISTRIBUTE DISTMETHOD HOTSTANDBY NOAUTOSWITCHBACK 10.1.1.1 PORT 23\n"
		   "     DESTIP 10.1.0.2 BACKUP 9 10.1.0.3 PREFERRED\n"
		   "  VIPADISTRIBUTE OPTLOCAL SYSPLEXPORTS 10.1.1.2 PORT 8000-8002 DESTIP ALL\n"
		   "  VIPARANGE 255.255.255.0 10.1.9.0\n"
		   "  VIPARANGE 255.255.255.255 10.1.9.7 SAF ONE\n"
		   "  VIPAROUTE 10.1.0.3 192.168.3.1\n"
		   "ENDVIPADYNAMIC\n", &cur);
	assert_true(cur.has_dynxcf4);
	assert_false(cur.has_dynxcf);
	assert_addr(cur.dynxcf4, "10.1.0.1");
	assert_int_equal(cur.dynxcf4_plen, 24);
	assert_int_equal(cur.dynxcf4_cost, 7);
	assert_int_equal(cur.ndefine, 3);
	assert_true(cur.define[1].v4);
	assert_int_equal(cur.define[1].plen, 24);
	assert_int_equal(cur.define[1].moveable, VIPA_MOVE_WHENIDLE);
	assert_string_equal(cur.define[1].ifname, "");
	assert_addr(cur.define[1].addr, "10.1.1.2");
	assert_true(vipa_addr_is_v4(cur.define[1].addr));
	assert_string_equal(vipa_addr_str(cur.define[1].addr, a, sizeof(a)), "10.1.1.2");
	assert_int_equal(cur.define[2].rank, 77);
	assert_int_equal(cur.define[2].plen, 16);
	assert_int_equal(cur.ndist, 2);
	assert_int_equal(cur.dist[0].method, VIPA_DIST_HOTSTANDBY);
	assert_false(cur.dist[0].autoswitchback);
	assert_true(cur.dist[0].healthswitch);
	assert_int_equal(cur.dist[0].dest[0].srvtype, VIPA_SRV_BACKUP);
	assert_int_equal(cur.dist[0].dest[0].rank, 9);
	assert_int_equal(cur.dist[0].dest[1].srvtype, VIPA_SRV_PREFERRED);
	assert_int_equal(cur.dist[1].method, VIPA_DIST_DEFAULT);
	assert_int_equal(VIPA_DIST_DEFAULT, VIPA_DIST_BASEWLM);
	assert_true(cur.dist[1].has_optlocal);
	assert_int_equal(cur.dist[1].optlocal, 1);
	assert_true(cur.dist[1].sysplexports);
	assert_int_equal(cur.dist[1].nports, 3);
	assert_int_equal(cur.dist[1].ports[2], 8002);
	/* Lookups. */
	{
		uint8_t x[16];

		addr("10.1.1.2", x);
		assert_ptr_equal(vipa_profile_dist_port(&cur, x, 8001), &cur.dist[1]);
		assert_null(vipa_profile_dist_port(&cur, x, 23));
		addr("10.1.9.7", x);
		assert_ptr_equal(vipa_profile_range_match(&cur, x), &cur.range[1]);
		addr("10.1.9.8", x);
		assert_ptr_equal(vipa_profile_range_match(&cur, x), &cur.range[0]);
		addr("10.1.8.8", x);
		assert_null(vipa_profile_range_match(&cur, x));
		addr("10.1.0.3", x);
		assert_non_null(vipa_profile_vroute(&cur, x));
		assert_addr(vipa_profile_vroute(&cur, x)->target, "192.168.3.1");
		addr("10.1.0.2", x);
		assert_null(vipa_profile_vroute(&cur, x));
	}
	/* An IPv6 range matches on its prefix. */
	must_parse("IPCONFIG6 DYNAMICXCF fd00:10::1\nVIPADYNAMIC\n VIPARANGE R6 fd00:200::/63\n"
		   "ENDVIPADYNAMIC\n", &cur);
	{
		uint8_t x[16];

		addr("fd00:200:0:1::5", x);
		assert_non_null(vipa_profile_range_match(&cur, x));
		addr("fd00:200:0:2::5", x);
		assert_null(vipa_profile_range_match(&cur, x));
	}
}

static void
test_warnings(void **state)
{
	char text[8192], *buf = NULL;
	size_t len = 0;
	FILE *f;
	int i;

	(void)state;
	must_parse("TCPCONFIG RESTRICTLOWPORTS\n"
		   "IPCONFIG6 DYNAMICXCF fd00:10::1\n"
		   "BEGINROUTES\n ROUTE DEFAULT 10.1.1.254 L1 MTU 1492\nENDROUTES\n"
		   "VIPADYNAMIC\n VIPASMPARMS SWSAINITIAL 10.1.1.1\nENDVIPADYNAMIC\n", &cur);
	assert_int_equal(cur.nwarn, 3);
	assert_string_equal(cur.warn[0], "run.prof:1: TCPCONFIG: skipped: not emulated");
	assert_string_equal(cur.warn[1], "run.prof:3: BEGINROUTES: skipped up to ENDROUTES: not emulated");
	assert_string_equal(cur.warn[2], "run.prof:7: VIPASMPARMS: skipped: not emulated");

	text[0] = '\0';
	for (i = 0; i < VIPA_MAX_WARN + 5; i++)
		strcat(text, "SOMAXCONN 10\n");
	must_parse(text, &cur);
	assert_int_equal(cur.nwarn, VIPA_MAX_WARN + 5);
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	vipa_profile_print_warnings(&cur, f);
	fclose(f);
	assert_non_null(strstr(buf, "run.prof:32: SOMAXCONN: skipped: not emulated\n"
				    "... and 5 more skipped statements\n"));
	free(buf);
}

/* The change at i has this kind, address and port (port 0: not checked). */
static void
assert_chg(int i, enum vipa_change_kind k, const char *a, uint16_t port, const char *dest)
{
	if (chg[i].kind != k)
		fail_msg("change %d is %s, expected %s", i, vipa_change_name(chg[i].kind),
			 vipa_change_name(k));
	assert_addr(chg[i].addr, a);
	if (port)
		assert_int_equal(chg[i].port, port);
	if (dest && strcmp(dest, "ALL") == 0)
		assert_true(chg[i].destall);
	else if (dest)
		assert_addr(chg[i].dest, dest);
}

static void
test_obey_changes(void **state)
{
	int n;

	(void)state;
	must_parse(base, &cur);
	memcpy(&saved, &cur, sizeof(saved));

	/* Re-stating nothing new is no change. */
	assert_int_equal(obey("VIPADYNAMIC\nENDVIPADYNAMIC\n", &n), 0);
	assert_int_equal(n, 0);

	/* Add a distribution for a new port, delete one destination of port
	 * 443, add a VIPABACKUP, delete the range and the VIPAROUTE. */
	assert_int_equal(obey("VIPADYNAMIC\n"
			      "  VIPADISTRIBUTE DELETE 10.1.1.1 PORT 443 DESTIP 10.1.0.3\n"
			      "  VIPABACKUP 50 255.255.255.0 10.1.2.1\n"
			      "  VIPADISTRIBUTE DISTMETHOD SERVERWLM 10.1.1.2 PORT 25 DESTIP ALL\n"
			      "  VIPARANGE DELETE 255.255.255.0 10.1.9.0\n"
			      "  VIPAROUTE DELETE 10.1.0.3 192.168.3.1\n"
			      "  VIPARANGE MOVEABLE DISRUPTIVE 255.255.255.0 10.1.7.0\n"
			      "ENDVIPADYNAMIC\n", &n), 0);
	assert_int_equal(n, 6);
	assert_chg(0, VIPA_CHG_DIST_DEL, "10.1.1.1", 443, "10.1.0.3");
	assert_chg(1, VIPA_CHG_RANGE_DEL, "10.1.9.0", 0, NULL);
	assert_chg(2, VIPA_CHG_VROUTE_DEL, "10.1.0.3", 0, NULL);
	assert_chg(3, VIPA_CHG_DVIPA_ADD, "10.1.2.1", 0, NULL);
	assert_true(next.define[chg[3].index].backup);
	assert_int_equal(next.define[chg[3].index].rank, 50);
	assert_chg(4, VIPA_CHG_RANGE_ADD, "10.1.7.0", 0, NULL);
	assert_int_equal(next.range[chg[4].index].moveable, VIPA_MOVE_DISRUPTIVE);
	assert_chg(5, VIPA_CHG_DIST_ADD, "10.1.1.2", 25, "ALL");
	assert_int_equal(next.dist[chg[5].index].method, VIPA_DIST_SERVERWLM);
	/* Port 443 still goes to 10.1.0.2, port 80 to both. */
	{
		uint8_t x[16];
		const struct vipa_distribute *d;

		addr("10.1.1.1", x);
		d = vipa_profile_dist_port(&next, x, 443);
		assert_non_null(d);
		assert_int_equal(d->ndest, 1);
		assert_addr(d->dest[0].xcf, "10.1.0.2");
		assert_int_equal(vipa_profile_dist_port(&next, x, 80)->ndest, 2);
	}
	/* The running profile was not touched. */
	assert_memory_equal(&cur, &saved, sizeof(cur));

	/* VIPADELETE takes the DVIPA and its distributions; the distribution
	 * deletions come first. */
	assert_int_equal(obey("VIPADYNAMIC\n VIPADELETE DVIPA1\nENDVIPADYNAMIC\n", &n), 0);
	assert_int_equal(n, 2);
	assert_chg(0, VIPA_CHG_DIST_DEL, "fd00:100::1", 8080, "ALL");
	assert_chg(1, VIPA_CHG_DVIPA_DEL, "fd00:100::1", 0, NULL);
	assert_int_equal(chg[1].index, 2);

	/* Changing the method of a running distribution: delete then define. */
	assert_int_equal(obey("VIPADYNAMIC\n"
			      " VIPADISTRIBUTE DELETE DVIPA1 PORT 8080 DESTIP ALL\n"
			      " VIPADISTRIBUTE DISTMETHOD ROUNDROBIN DVIPA1 PORT 8080 DESTIP ALL\n"
			      "ENDVIPADYNAMIC\n", &n), 0);
	assert_int_equal(n, 2);
	assert_chg(0, VIPA_CHG_DIST_DEL, "fd00:100::1", 8080, "ALL");
	assert_chg(1, VIPA_CHG_DIST_ADD, "fd00:100::1", 8080, "ALL");
	/* Deleting and re-adding the same thing is no change. */
	assert_int_equal(obey("VIPADYNAMIC\n"
			      " VIPADISTRIBUTE DELETE DVIPA1 PORT 8080 DESTIP ALL\n"
			      " VIPADISTRIBUTE DVIPA1 PORT 8080 DESTIP ALL\n"
			      "ENDVIPADYNAMIC\n", &n), 0);
	assert_int_equal(n, 0);
	/* The same DYNAMICXCF again is fine. */
	assert_int_equal(obey("IPCONFIG DYNAMICXCF 10.1.0.1 255.255.255.0 1\n"
			      "IPCONFIG6 DYNAMICXCF fd00:10::1\n", &n), 0);
	assert_int_equal(n, 0);
	assert_memory_equal(&cur, &saved, sizeof(cur));
}

static const struct {
	const char *text;
	const char *want;
} obey_errs[] = {
	/* The error is on the last statement: nothing before it applies. */
	{ "VIPADYNAMIC\n VIPADISTRIBUTE 10.1.1.2 PORT 25 DESTIP ALL\n"
	  " VIPADELETE DVIPA1\n VIPADISTRIBUTE DELETE 10.1.1.1 PORT 22 DESTIP ALL\n"
	  "ENDVIPADYNAMIC\n",
	  "obey.prof:4: VIPADISTRIBUTE: port 22 of 10.1.1.1 is not distributed" },
	{ "VIPADYNAMIC\n VIPADEFINE DVIPA1 fd00:100::1\nENDVIPADYNAMIC\n",
	  "obey.prof:2: VIPADEFINE: DVIPA fd00:100::1 already defined at line 5 of the running configuration" },
	{ "VIPADYNAMIC\n VIPADISTRIBUTE 10.1.1.1 PORT 80 DESTIP ALL\nENDVIPADYNAMIC\n",
	  "obey.prof:2: VIPADISTRIBUTE: port 80 of 10.1.1.1 is already distributed by the VIPADISTRIBUTE at line 7 of the running configuration" },
	{ "VIPADYNAMIC\n VIPARANGE 255.255.255.0 10.1.9.0\nENDVIPADYNAMIC\n",
	  "obey.prof:2: VIPARANGE: VIPARANGE 10.1.9.0/24 already defined at line 6 of the running configuration" },
	{ "IPCONFIG6 DYNAMICXCF fd00:10::9\n",
	  "obey.prof:1: IPCONFIG6: DYNAMICXCF cannot be changed by OBEYFILE (it is fd00:10::1)" },
	{ "IPCONFIG DYNAMICXCF 10.1.0.9 255.255.255.0 1\n",
	  "obey.prof:1: IPCONFIG: DYNAMICXCF cannot be changed by OBEYFILE (it is 10.1.0.1/24)" },
	{ "VIPADYNAMIC\n VIPADEFINE 255.255.255.0 10.1.5.1\n",
	  "obey.prof:1: VIPADYNAMIC: missing ENDVIPADYNAMIC" },
	{ "VIPADYNAMIC\n VIPADELETE 10.1.1.1\n VIPADISTRIBUTE 10.1.1.1 PORT 1 DESTIP ALL\nENDVIPADYNAMIC\n",
	  "obey.prof:3: VIPADISTRIBUTE: 10.1.1.1 is not defined by an earlier VIPADEFINE or VIPABACKUP in this profile" },
	{ "BOGUS\n", "obey.prof:1: BOGUS: unknown statement" },
};

static void
test_obey_errors(void **state)
{
	size_t i;
	int n;

	(void)state;
	must_parse(base, &cur);
	memcpy(&saved, &cur, sizeof(saved));
	for (i = 0; i < sizeof(obey_errs) / sizeof(obey_errs[0]); i++) {
		n = 99;
		if (obey(obey_errs[i].text, &n) != -EINVAL || strcmp(err, obey_errs[i].want) != 0)
			fail_msg("case %zu:\n  got:  %s\n  want: %s", i, err, obey_errs[i].want);
		assert_int_equal(n, 0);
		assert_memory_equal(&cur, &saved, sizeof(cur));
	}
	/* Too many changes for the caller's list. */
	{
		static const char t[] = "VIPADYNAMIC\n VIPADELETE DVIPA1\nENDVIPADYNAMIC\n";

		assert_int_equal(vipa_profile_obey_buf(&cur, &next, "o", t, strlen(t), chg, 1, &n,
						       err, sizeof(err)), -ENOSPC);
	}
	assert_int_equal(n, 0);
	assert_string_equal(err, "o:0: OBEYFILE: more than 1 changes");
	/* The running profile cannot be its own result. */
	assert_int_equal(vipa_profile_obey_buf(&cur, &cur, "o", "", 0, chg, 1, &n, err, sizeof(err)),
			 -EINVAL);
	/* A file that cannot be read. */
	assert_int_equal(vipa_profile_obey_file(&cur, &next, "/nonexistent/obey", chg, 1, &n, err,
						sizeof(err)), -EINVAL);
	assert_string_equal(err, "/nonexistent/obey:0: OBEYFILE: cannot open: No such file or directory");
	assert_memory_equal(&cur, &saved, sizeof(cur));
}

/* The new profile after an OBEYFILE prints and parses back to itself, and a
 * second OBEYFILE applies on top of it. */
static void
test_obey_chain(void **state)
{
	static struct vipa_profile third;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int n;

	(void)state;
	must_parse(base, &cur);
	assert_int_equal(obey("VIPADYNAMIC\n VIPADEFINE 255.255.255.0 10.1.5.1\n"
			      " VIPADISTRIBUTE 10.1.5.1 PORT 7 DESTIP 10.1.0.2\nENDVIPADYNAMIC\n", &n), 0);
	assert_int_equal(n, 2);
	{
		static const char t[] = "VIPADYNAMIC\n VIPADELETE 10.1.5.1\nENDVIPADYNAMIC\n";

		assert_int_equal(vipa_profile_obey_buf(&next, &third, "second", t, strlen(t), chg, 8,
						       &n, err, sizeof(err)), 0);
	}
	assert_int_equal(n, 2);
	assert_chg(0, VIPA_CHG_DIST_DEL, "10.1.5.1", 7, "10.1.0.2");
	assert_chg(1, VIPA_CHG_DVIPA_DEL, "10.1.5.1", 0, NULL);
	f = open_memstream(&buf, &len);
	vipa_profile_print(&third, f);
	fclose(f);
	must_parse(buf, &saved);
	free(buf);
	assert_int_equal(saved.ndefine, cur.ndefine);
	assert_int_equal(saved.ndist, cur.ndist);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_structures),
		cmocka_unit_test(test_warnings),
		cmocka_unit_test(test_obey_changes),
		cmocka_unit_test(test_obey_errors),
		cmocka_unit_test(test_obey_chain),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
