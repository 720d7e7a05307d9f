/*
 * test_profile.c - proves the PROFILE parser and printer in vipa/profile.c:
 *  - the default sysplex's three profiles and a WEIGHTEDACTIVE profile with a
 *    DESTIP list parse into the expected structures (defaults spelled out:
 *    MOVEABLE IMMEDIATE, rank 1, BASEWLM, NOMOBILEIPV6, weight 1);
 *  - statements continue over several lines, `;` comments run to the end of
 *    the line (even glued to a token), keywords are case-insensitive and take
 *    the z/OS abbreviations, VIPADISTRIBUTE keywords come in any order, a
 *    DVIPA is named by interface name or address, and the common z/OS
 *    statements we do not act on are skipped;
 *  - every semantic and syntax error yields exactly
 *    "FILE:LINE: STATEMENT: what is wrong" with the right line, and the first
 *    error stops parsing;
 *  - the limits (64 ports, 32 destinations, 32 DVIPAs) are accepted exactly
 *    and refused one beyond;
 *  - print -> parse gives back the same structure (apart from path and line
 *    numbers) and printing is a fixed point; the printed text is exact;
 *  - vipa_profile_parse_file reads a file and reports one it cannot open;
 *    vipa_profile_dist and vipa_distmethod_name answer correctly; a short or
 *    absent error buffer is never overrun.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vipa/vipa.h"

/* The file name the tests use in messages. */
#define NAME "t.prof"
/* Lines 1 and 2 of most test profiles; the statement under test is on 3. */
#define HDR "IPCONFIG6 DYNAMICXCF fd00:10::1\nVIPADYNAMIC\n"

static struct vipa_profile prof, prof2;
static char err[512];

static int
parse(const char *text, struct vipa_profile *p)
{
	err[0] = '\0';
	return vipa_profile_parse_buf(p, NAME, text, strlen(text), err, sizeof(err));
}

static void
must_parse(const char *text, struct vipa_profile *p)
{
	int rc = parse(text, p);

	if (rc != 0)
		fail_msg("unexpected error: %s\nprofile:\n%s", err, text);
}

static void
ip6(const char *s, uint8_t out[16])
{
	assert_int_equal(inet_pton(AF_INET6, s, out), 1);
}

static void
assert_addr(const uint8_t a[16], const char *s)
{
	uint8_t x[16];

	ip6(s, x);
	assert_memory_equal(a, x, 16);
}

/* Prints a profile into a heap string the caller frees. */
static char *
print_str(const struct vipa_profile *p)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	vipa_profile_print(p, f);
	fclose(f);
	assert_non_null(buf);
	return buf;
}

/* Copies a profile with the fields that legitimately differ after a round
 * trip (path, line numbers, where an entry came from, warnings) cleared. */
static void
strip(const struct vipa_profile *p, struct vipa_profile *out)
{
	int i;

	memcpy(out, p, sizeof(*out));
	memset(out->path, 0, sizeof(out->path));
	for (i = 0; i < out->ndefine; i++)
		out->define[i].line = out->define[i].src = 0;
	for (i = 0; i < out->ndist; i++)
		out->dist[i].line = out->dist[i].src = 0;
	for (i = 0; i < out->nrange; i++)
		out->range[i].line = out->range[i].src = 0;
	for (i = 0; i < out->nvroute; i++)
		out->vroute[i].line = out->vroute[i].src = 0;
	out->nwarn = 0;
	memset(out->warn, 0, sizeof(out->warn));
}

/* Parses text, prints it, parses the print and checks the two structures are
 * the same and that printing the second gives the same text.  Returns the
 * printed text (caller frees). */
static char *
round_trip(const char *text)
{
	static struct vipa_profile a, b;
	char *s1, *s2;

	must_parse(text, &prof);
	s1 = print_str(&prof);
	must_parse(s1, &prof2);
	strip(&prof, &a);
	strip(&prof2, &b);
	assert_memory_equal(&a, &b, sizeof(a));
	s2 = print_str(&prof2);
	assert_string_equal(s1, s2);
	free(s2);
	return s1;
}

/* ---- good profiles ------------------------------------------------------------ */

static const char SYSA[] =
	"; SYSA: owner and routing stack\n"
	"IPCONFIG6 DYNAMICXCF fd00:10::1\n"
	"VIPADYNAMIC\n"
	"  VIPADEFINE MOVEABLE IMMEDIATE DVIPA1 fd00:100::1\n"
	"  VIPADISTRIBUTE DEFINE DISTMETHOD ROUNDROBIN MOBILEIPV6 DVIPA1 PORT 8080 DESTIP ALL\n"
	"ENDVIPADYNAMIC\n";

static void
test_sysa(void **state)
{
	const struct vipa_distribute *d;

	(void)state;
	must_parse(SYSA, &prof);
	assert_string_equal(prof.path, NAME);
	assert_true(prof.has_dynxcf);
	assert_addr(prof.dynxcf, "fd00:10::1");
	assert_false(prof.has_intfid);
	assert_int_equal(prof.ndefine, 1);
	assert_false(prof.define[0].backup);
	assert_int_equal(prof.define[0].rank, 0);
	assert_int_equal(prof.define[0].moveable, VIPA_MOVE_IMMEDIATE);
	assert_string_equal(prof.define[0].ifname, "DVIPA1");
	assert_addr(prof.define[0].addr, "fd00:100::1");
	assert_int_equal(prof.define[0].line, 4);
	assert_int_equal(prof.ndist, 1);
	d = &prof.dist[0];
	assert_int_equal(d->method, VIPA_DIST_ROUNDROBIN);
	assert_int_equal(d->timedaff, 0);
	assert_string_equal(d->ifname, "DVIPA1");
	assert_addr(d->dvipa, "fd00:100::1");
	assert_int_equal(d->nports, 1);
	assert_int_equal(d->ports[0], 8080);
	assert_true(d->destall);
	assert_int_equal(d->ndest, 0);
	assert_true(d->mip6);
	assert_int_equal(d->line, 5);
}

static void
test_sysb_sysc(void **state)
{
	(void)state;
	must_parse("IPCONFIG6 DYNAMICXCF fd00:10::2\nVIPADYNAMIC\n"
		   "  VIPABACKUP 100 DVIPA1 fd00:100::1\nENDVIPADYNAMIC\n", &prof);
	assert_addr(prof.dynxcf, "fd00:10::2");
	assert_int_equal(prof.ndefine, 1);
	assert_true(prof.define[0].backup);
	assert_int_equal(prof.define[0].rank, 100);
	assert_int_equal(prof.define[0].moveable, VIPA_MOVE_IMMEDIATE);
	assert_string_equal(prof.define[0].ifname, "DVIPA1");
	assert_int_equal(prof.ndist, 0);

	must_parse("IPCONFIG6 DYNAMICXCF fd00:10::3\n", &prof);
	assert_true(prof.has_dynxcf);
	assert_addr(prof.dynxcf, "fd00:10::3");
	assert_int_equal(prof.ndefine, 0);
	assert_int_equal(prof.ndist, 0);

	/* An empty block is fine when DYNAMICXCF is there. */
	must_parse("IPCONFIG6 DYNAMICXCF fd00:10::3\nVIPADYNAMIC\nENDVIPADYNAMIC\n", &prof);
	assert_int_equal(prof.ndefine, 0);
	/* So is an empty profile. */
	must_parse("", &prof);
	assert_false(prof.has_dynxcf);
	must_parse("  ; nothing but a comment\n\n", &prof);
}

static void
test_backup_defaults(void **state)
{
	(void)state;
	/* Rank is optional (1) as in z/OS; WHENIDLE is accepted. */
	must_parse(HDR "VIPABACKUP DVIPA1 fd00:100::1\n"
		       "VIPABACKUP 254 MOVEABLE WHENIDLE DVIPA2 fd00:100::2\n"
		       "VIPADEFINE MOVEABLE WHENIDLE DVIPA3 fd00:100::3\nENDVIPADYNAMIC\n",
		   &prof);
	assert_int_equal(prof.ndefine, 3);
	assert_int_equal(prof.define[0].rank, 1);
	assert_int_equal(prof.define[0].moveable, VIPA_MOVE_IMMEDIATE);
	assert_int_equal(prof.define[1].rank, 254);
	assert_int_equal(prof.define[1].moveable, VIPA_MOVE_WHENIDLE);
	assert_false(prof.define[2].backup);
	assert_int_equal(prof.define[2].moveable, VIPA_MOVE_WHENIDLE);
}

static void
test_weighted(void **state)
{
	const struct vipa_distribute *d;

	(void)state;
	must_parse("IPCONFIG6 DYNAMICXCF fd00:10::1 INTFID 0:0:0:A\n"
		   "VIPADYNAMIC\n"
		   "  VIPADEFINE DVIPA1 fd00:100::1\n"
		   "  VIPADISTRIBUTE DISTMETHOD WEIGHTEDACTIVE TIMEDAFFINITY 30 DVIPA1\n"
		   "     PORT 8080 443\n"
		   "     DESTIP fd00:10::1 WEIGHT 10\n"
		   "            fd00:10::2\n"
		   "            fd00:10::3 WEIGHT 99\n"
		   "ENDVIPADYNAMIC\n",
		   &prof);
	assert_true(prof.has_intfid);
	{
		static const uint8_t id[8] = { 0, 0, 0, 0, 0, 0, 0, 0x0a };
		assert_memory_equal(prof.intfid, id, 8);
	}
	d = &prof.dist[0];
	assert_int_equal(d->method, VIPA_DIST_WEIGHTEDACTIVE);
	assert_int_equal(d->timedaff, 30);
	assert_false(d->mip6);
	assert_int_equal(d->nports, 2);
	assert_int_equal(d->ports[1], 443);
	assert_false(d->destall);
	assert_int_equal(d->ndest, 3);
	assert_addr(d->dest[0].xcf, "fd00:10::1");
	assert_int_equal(d->dest[0].weight, 10);
	assert_int_equal(d->dest[1].weight, 1);
	assert_int_equal(d->dest[2].weight, 99);
	assert_int_equal(d->line, 4);
}

static void
test_multiline_comments(void **state)
{
	(void)state;
	/* One VIPADISTRIBUTE over six lines, comments glued to tokens, tabs and
	 * CRLF line ends. */
	must_parse("IPCONFIG6 ; the XCF address follows on the next line\r\n"
		   "\tDYNAMICXCF\r\n"
		   "\tfd00:10::1;comment glued to the address\r\n"
		   "VIPADYNAMIC;x\n"
		   "VIPADEFINE\n"
		   "  DVIPA1\n"
		   "  fd00:100::1\n"
		   "VIPADISTRIBUTE\n"
		   "  DVIPA1 ; by name\n"
		   "  PORT 8080\n"
		   "  8081;another\n"
		   "  DESTIP\n"
		   "  ALL\n"
		   "ENDVIPADYNAMIC ; done\n",
		   &prof);
	assert_addr(prof.dynxcf, "fd00:10::1");
	assert_int_equal(prof.define[0].line, 5);
	assert_int_equal(prof.dist[0].line, 8);
	assert_int_equal(prof.dist[0].nports, 2);
	assert_int_equal(prof.dist[0].ports[1], 8081);
	assert_true(prof.dist[0].destall);
}

static void
test_case_and_abbreviations(void **state)
{
	static struct vipa_profile a, b;

	(void)state;
	must_parse(HDR "VIPADEFINE MOVEABLE IMMEDIATE DVIPA1 FD00:100::1\n"
		       "VIPADISTRIBUTE DEFINE DISTMETHOD WEIGHTEDACTIVE TIMEDAFFINITY 5 MOBILEIPV6"
		       " DVIPA1 PORT 80 DESTIP FD00:10::2 WEIGHT 3\nENDVIPADYNAMIC\n",
		   &prof);
	strip(&prof, &a);
	must_parse("ipconfig6 dynamicxcf fd00:10::1\nvipad\n"
		   "vipadef moveable immed dvipa1 fd00:100::1\n"
		   "vipadist define distm weighteda timedaff 5 mobileipv6"
		   " Dvipa1 port 80 destip fd00:10::2 weight 3\nendvipad\n",
		   &prof2);
	strip(&prof2, &b);
	assert_memory_equal(&a, &b, sizeof(a));
	assert_string_equal(prof2.define[0].ifname, "DVIPA1");
	assert_string_equal(prof2.dist[0].ifname, "DVIPA1");

	/* Too short an abbreviation is not a keyword. */
	assert_int_equal(parse(HDR "VIPADE DVIPA1 fd00:100::1\n", &prof), -EINVAL);
	assert_string_equal(err, NAME ":3: VIPADE: unknown statement");
}

static void
test_keyword_order(void **state)
{
	static const char *const orders[] = {
		"VIPADISTRIBUTE DEFINE DISTMETHOD BASEWLM TIMEDAFFINITY 9 MOBILEIPV6 DVIPA1",
		"VIPADISTRIBUTE MOBILEIPV6 TIMEDAFFINITY 9 DISTMETHOD BASEWLM DEFINE DVIPA1",
		"VIPADISTRIBUTE TIMEDAFFINITY 9 MOBILEIPV6 DVIPA1",
		"VIPADISTRIBUTE MOBILEIPV6 DEFINE TIMEDAFFINITY 9 fd00:100::1",
		"VIPADISTRIBUTE MOBILEIPV6 TIMEDAFFINITY 9 FD00:100:0:0:0:0:0:1",
	};
	static struct vipa_profile a, b;
	char text[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(orders) / sizeof(orders[0]); i++) {
		snprintf(text, sizeof(text),
			 HDR "VIPADEFINE DVIPA1 fd00:100::1\n%s PORT 8080 DESTIP ALL\n"
			     "ENDVIPADYNAMIC\n",
			 orders[i]);
		must_parse(text, i == 0 ? &prof : &prof2);
		if (i == 0) {
			strip(&prof, &a);
			continue;
		}
		strip(&prof2, &b);
		assert_memory_equal(&a, &b, sizeof(a));
	}
	assert_string_equal(prof2.dist[0].ifname, "DVIPA1");
	assert_int_equal(prof2.dist[0].timedaff, 9);
	assert_true(prof2.dist[0].mip6);
}

static void
test_ignored_statements(void **state)
{
	(void)state;
	must_parse("TCPCONFIG TCPSENDBFRSIZE 256K\n  RESTRICTLOWPORTS\n"
		   "UDPCONFIG RESTRICTLOWPORTS\n"
		   "IPCONFIG DATAGRAMFWD SYSPLEXROUTING DYNAMICXCF 10.1.1.1 255.255.255.0 1\n"
		   "GLOBALCONFIG NOTCPIPSTATISTICS\n"
		   "SOMAXCONN 1024\nITRACE OFF\nSACONFIG ENABLED AGENT 161\n"
		   "AUTOLOG 5 FTPD JOBNAME FTPD1 ENDAUTOLOG\n"
		   "PORT 20 TCP * NOAUTOLOG\n     21 TCP OMVS\n"
		   "PORTRANGE 10000 2000 TCP OMVS\n"
		   "DEVICE OSA1 MPCIPA\nLINK OSALINK IPAQENET OSA1\nHOME 10.1.1.1 OSALINK\n"
		   "INTERFACE OSA6 DEFINE IPAQENET6 PORTNAME P IPADDR fd00:1::1/64\n"
		   "BEGINROUTES\n ROUTE DEFAULT 10.1.1.254 OSALINK MTU 1492\n"
		   " ROUTE fd00::/16 = OSA6 MTU 1500 ; PORT, HOME, LINK would be fine here\n"
		   "ENDROUTES\n"
		   "IPCONFIG6 DATAGRAMFWD HOPLIMIT 255 DYNAMICXCF fd00:10::1 SOURCEVIPA\n"
		   "VIPADYNAMIC\nVIPADEFINE DVIPA1 fd00:100::1\n"
		   "VIPADISTRIBUTE DVIPA1 PORT 8080 DESTIP ALL\nENDVIPADYNAMIC\n"
		   "START OSA1\n",
		   &prof);
	assert_addr(prof.dynxcf, "fd00:10::1");
	assert_int_equal(prof.ndefine, 1);
	assert_int_equal(prof.ndist, 1);
}

static void
test_distribute_on_backup(void **state)
{
	const struct vipa_distribute *d;
	uint8_t a[16];

	(void)state;
	/* A VIPADISTRIBUTE for a VIPABACKUP DVIPA, named by address, and two
	 * VIPADYNAMIC blocks in one profile. */
	must_parse(HDR "VIPABACKUP 10 DVIPA2 fd00:100::2\nENDVIPADYNAMIC\n"
		       "VIPADYNAMIC\nVIPADEFINE DVIPA1 fd00:100::1\n"
		       "VIPADISTRIBUTE fd00:100::2 PORT 80 DESTIP fd00:10::2 fd00:10::3\n"
		       "VIPADISTRIBUTE DVIPA1 PORT 81 DESTIP ALL\n"
		       "ENDVIPADYNAMIC\n",
		   &prof);
	assert_int_equal(prof.ndist, 2);
	ip6("fd00:100::2", a);
	d = vipa_profile_dist(&prof, a);
	assert_ptr_equal(d, &prof.dist[0]);
	assert_string_equal(d->ifname, "DVIPA2");
	assert_int_equal(d->ndest, 2);
	assert_int_equal(d->dest[1].weight, 1);
	ip6("fd00:100::1", a);
	assert_ptr_equal(vipa_profile_dist(&prof, a), &prof.dist[1]);
	ip6("fd00:100::9", a);
	assert_null(vipa_profile_dist(&prof, a));
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(vipa_distmethod_name(VIPA_DIST_ROUNDROBIN), "ROUNDROBIN");
	assert_string_equal(vipa_distmethod_name(VIPA_DIST_WEIGHTEDACTIVE), "WEIGHTEDACTIVE");
	assert_string_equal(vipa_distmethod_name((enum vipa_distmethod)0), "?");
}

/* ---- errors -------------------------------------------------------------------- */

struct err_case {
	const char *text;
	const char *want;
};

static const struct err_case err_cases[] = {
	/* Ports. */
	{ HDR "VIPADEFINE DVIPA1 fd00:100::1\nVIPADISTRIBUTE DVIPA1\n PORT 8080\n 70000\n"
	      " DESTIP ALL\nENDVIPADYNAMIC\n",
	  NAME ":6: VIPADISTRIBUTE: port 70000 out of range 1..65535" },
	{ HDR "VIPADEFINE DVIPA1 fd00:100::1\nVIPADISTRIBUTE DVIPA1 PORT 0 DESTIP ALL\n",
	  NAME ":4: VIPADISTRIBUTE: port 0 out of range 1..65535" },
	{ HDR "VIPADEFINE DVIPA1 fd00:100::1\nVIPADISTRIBUTE DVIPA1 PORT 99999999999999 DESTIP ALL\n",
	  NAME ":4: VIPADISTRIBUTE: port 99999999999999 out of range 1..65535" },
	{ HDR "VIPADEFINE DVIPA1 fd00:100::1\nVIPADISTRIBUTE DVIPA1 PORT 80 80 DESTIP ALL\n",
	  NAME ":4: VIPADISTRIBUTE: port 80 listed twice" },
	{ HDR "VIPADEFINE DVIPA1 fd00:100::1\nVIPADISTRIBUTE DVIPA1 PORT 80 http DESTIP ALL\n",
	  NAME ":4: VIPADISTRIBUTE: 'http' is not a valid port number" },
	{ HDR "VIPADEFINE DVIPA1 fd00:100::1\nVIPADISTRIBUTE DVIPA1 PORT 80x DESTIP ALL\n",
	  NAME ":4: VIPADISTRIBUTE: '80x' is not a valid port number" },
	{ HDR "VIPADEFINE DVIPA1 fd00:100::1\nVIPADISTRIBUTE DVIPA1 PORT\n DESTIP ALL\n",
	  NAME ":4: VIPADISTRIBUTE: port number expected after PORT" },
	{ HDR "VIPADEFINE DVIPA1 fd00:100::1\nVIPADISTRIBUTE DVIPA1 DESTIP ALL\n",
	  NAME ":4: VIPADISTRIBUTE: PORT expected after DVIPA1" },
	{ HDR "VIPADEFINE DVIPA1 fd00:100::1\nVIPADISTRIBUTE DVIPA1 PORT 80\nENDVIPADYNAMIC\n",
	  NAME ":4: VIPADISTRIBUTE: DESTIP expected after the port list" },
	/* The DVIPA named by VIPADISTRIBUTE. */
	{ HDR "VIPADEFINE DVIPA1 fd00:100::1\nVIPADISTRIBUTE DVIPA2 PORT 8080 DESTIP ALL\n",
	  NAME ":4: VIPADISTRIBUTE: DVIPA2 is not defined by an earlier VIPADEFINE or VIPABACKUP in this profile" },
	{ HDR "VIPADEFINE DVIPA1 fd00:100::1\nVIPADISTRIBUTE fd00:100:0::2 PORT 8080 DESTIP ALL\n",
	  NAME ":4: VIPADISTRIBUTE: fd00:100::2 is not defined by an earlier VIPADEFINE or VIPABACKUP in this profile" },
	{ HDR "VIPADISTRIBUTE DVIPA1 PORT 8080 DESTIP ALL\nVIPADEFINE DVIPA1 fd00:100::1\n",
	  NAME ":3: VIPADISTRIBUTE: DVIPA1 is not defined by an earlier VIPADEFINE or VIPABACKUP in this profile" },
	{ HDR "VIPADEFINE DVIPA1 fd00:100::1\nVIPADISTRIBUTE DVIPA1 PORT 1 DESTIP ALL\n"
	      "VIPADISTRIBUTE fd00:100::1 PORT 2 1 DESTIP ALL\n",
	  NAME ":5: VIPADISTRIBUTE: port 1 of fd00:100::1 is already distributed by the VIPADISTRIBUTE at line 4" },
	{ HDR "VIPADEFINE DVIPA1 fd00:100::1\nVIPADISTRIBUTE DISTMETHOD ROUNDROBIN\n PORT 1 DESTIP ALL\n",
	  NAME ":4: VIPADISTRIBUTE: DVIPA interface name or address expected" },
	{ HDR "VIPADEFINE DVIPA1 fd00:100::1\nVIPADISTRIBUTE DESTIP ALL\n",
	  NAME ":4: VIPADISTRIBUTE: DVIPA interface name or address expected before DESTIP" },
	/* Duplicate DVIPAs. */
	{ HDR "VIPADEFINE DVIPA1 fd00:100::1\nVIPADEFINE DVIPA2 FD00:100:0::1\n",
	  NAME ":4: VIPADEFINE: DVIPA fd00:100::1 already defined at line 3" },
	{ HDR "VIPABACKUP 1 DVIPA1 fd00:100::1\nVIPABACKUP 2 DVIPA2 fd00:100::1\n",
	  NAME ":4: VIPABACKUP: DVIPA fd00:100::1 already defined at line 3" },
	{ HDR "VIPADEFINE DVIPA1 fd00:100::1\nVIPADEFINE dvipa1 fd00:100::2\n",
	  NAME ":4: VIPADEFINE: interface name DVIPA1 already used for fd00:100::1 at line 3" },
	/* VIPADEFINE and VIPABACKUP of one address, both orders. */
	{ HDR "VIPADEFINE DVIPA1 fd00:100::1\nVIPABACKUP 100 DVIPA1 fd00:100::1\n",
	  NAME ":4: VIPABACKUP: fd00:100::1 is defined by both VIPADEFINE and VIPABACKUP (line 3) in this profile" },
	{ HDR "VIPABACKUP 100 DVIPA1 fd00:100::1\n\nVIPADEFINE DVIPA1\n  fd00:100::1\n",
	  NAME ":6: VIPADEFINE: fd00:100::1 is defined by both VIPADEFINE and VIPABACKUP (line 3) in this profile" },
	/* IPv4. */
	{ HDR "VIPADEFINE MOVEABLE IMMEDIATE 255.255.255.0 10.1.1.1\nENDVIPADYNAMIC\n",
	  NAME ":3: VIPADYNAMIC: IPv4 DVIPAs require IPCONFIG DYNAMICXCF" },
	{ HDR "VIPADEFINE DVIPA1 10.1.1.1\n",
	  NAME ":3: VIPADEFINE: 10.1.1.1: an IPv4 DVIPA is written address_mask ipv4_addr (not after an interface name)" },
	{ HDR "VIPABACKUP 100 10.1.1.1\n",
	  NAME ":3: VIPABACKUP: 10.1.1.1 is not a valid address mask" },
	{ HDR "VIPABACKUP 100 255.255.255.0\n",
	  NAME ":3: VIPABACKUP: IPv4 address expected after the address mask" },
	{ HDR "VIPADEFINE 255.255.255.0 10.1.1.1 fd00::1\n",
	  NAME ":3: VIPADEFINE: unexpected 'fd00::1'" },
	{ HDR "VIPADEFINE 255.255.255.0 127.0.0.1\n",
	  NAME ":3: VIPADEFINE: 127.0.0.1 is not a unicast IPv4 address" },
	{ HDR "VIPADEFINE 255.255.255.0 224.0.0.1\n",
	  NAME ":3: VIPADEFINE: 224.0.0.1 is not a unicast IPv4 address" },
	{ HDR "VIPADEFINE 0.0.0.0 10.1.1.1\n",
	  NAME ":3: VIPADEFINE: 0.0.0.0 is not a valid address mask" },
	{ HDR "VIPADEFINE DVIPA1 fd00:100::1\nVIPADISTRIBUTE 10.1.1.1 PORT 1 DESTIP ALL\n",
	  NAME ":4: VIPADISTRIBUTE: 10.1.1.1 is not defined by an earlier VIPADEFINE or VIPABACKUP in this profile" },
	{ HDR "VIPADEFINE DVIPA1 fd00:100::1\nVIPADISTRIBUTE DVIPA1 PORT 1 DESTIP 10.9.9.9\n",
	  NAME ":4: VIPADISTRIBUTE: DESTIP 10.9.9.9 is not of the DVIPA's address family (IPv6)" },
	{ "IPCONFIG6 DYNAMICXCF 10.1.1.1\n",
	  NAME ":1: IPCONFIG6: 10.1.1.1: an IPv6 address is expected here" },
	{ "IPCONFIG DYNAMICXCF fd00::1 255.255.255.0 1\n",
	  NAME ":1: IPCONFIG: fd00::1: an IPv4 address is expected here" },
	{ "IPCONFIG DYNAMICXCF 10.1.1.1 255.255.255.0 1 DYNAMICXCF 10.1.1.1 255.255.255.0 1\n",
	  NAME ":1: IPCONFIG: DYNAMICXCF given twice (first at line 1)" },
	{ "IPCONFIG DYNAMICXCF 10.1.1.1/33 1\n",
	  NAME ":1: IPCONFIG: mask bits '33' out of range 1..32" },
	{ "IPCONFIG DYNAMICXCF 10.1.1.1 255.255.255.0 256\n",
	  NAME ":1: IPCONFIG: cost metric 256 out of range 0..255" },
	/* Addresses and names. */
	{ HDR "VIPADEFINE DVIPA1 fe80::1\n",
	  NAME ":3: VIPADEFINE: fe80::1 is not a global or unique-local unicast address" },
	{ HDR "VIPADEFINE DVIPA1 ff02::1\n",
	  NAME ":3: VIPADEFINE: ff02::1 is not a global or unique-local unicast address" },
	{ HDR "VIPADEFINE DVIPA1 ::\n",
	  NAME ":3: VIPADEFINE: :: is not a global or unique-local unicast address" },
	{ HDR "VIPADEFINE DVIPA1 fd00:100::1/64\n",
	  NAME ":3: VIPADEFINE: fd00:100::1/64: a prefix length is not valid here" },
	{ HDR "VIPADEFINE DVIPA1 fd00:100::1::2\n",
	  NAME ":3: VIPADEFINE: 'fd00:100::1::2' is not a valid IPv6 address" },
	{ HDR "VIPADEFINE fd00:100::1\n",
	  NAME ":3: VIPADEFINE: interface name expected before fd00:100::1" },
	{ HDR "VIPADEFINE DVIPA1\nENDVIPADYNAMIC\n",
	  NAME ":3: VIPADEFINE: IPv6 address expected after DVIPA1" },
	{ HDR "VIPADEFINE\n",
	  NAME ":3: VIPADEFINE: address mask and IPv4 address, or interface name and IPv6 address expected" },
	{ HDR "VIPADEFINE ABCDEFGHIJKLMNOPQ fd00:100::1\n",
	  NAME ":3: VIPADEFINE: interface name 'ABCDEFGHIJKLMNOPQ' is longer than 16 characters" },
	{ HDR "VIPADEFINE DV-1 fd00:100::1\n",
	  NAME ":3: VIPADEFINE: 'DV-1' is not a valid interface name" },
	{ HDR "VIPADEFINE DVIPA1 fd00:100::1 fd00:100::2\n",
	  NAME ":3: VIPADEFINE: unexpected 'fd00:100::2'" },
	{ HDR "VIPADEFINE DVIPA1 fd00:100::1\nVIPADEFINE DVIPA2 fd00:100::2 junk\n",
	  NAME ":4: VIPADEFINE: unexpected 'junk'" },
	/* DISTMETHOD. */
	{ HDR "VIPADEFINE DVIPA1 fd00:100::1\nVIPADISTRIBUTE DISTMETHOD TARGCONTROLLED DVIPA1 PORT 1 DESTIP ALL\n",
	  NAME ":4: VIPADISTRIBUTE: DISTMETHOD TARGCONTROLLED (multi-tier) is not supported by this emulator" },
	{ HDR "VIPADEFINE DVIPA1 fd00:100::1\nVIPADISTRIBUTE DISTMETHOD serverwlm DVIPA1 PORT 1 DESTIP fd00:10::2 WEIGHT 1\n",
	  NAME ":4: VIPADISTRIBUTE: WEIGHT is only valid with DISTMETHOD WEIGHTEDACTIVE" },
	{ HDR "VIPADEFINE DVIPA1 fd00:100::1\nVIPADISTRIBUTE DISTM\n HOTSTANDBY DVIPA1 PORT 1 DESTIP ALL\n",
	  NAME ":4: VIPADISTRIBUTE: DESTIP ALL is not valid with DISTMETHOD HOTSTANDBY" },
	{ HDR "VIPADEFINE DVIPA1 fd00:100::1\nVIPADISTRIBUTE DISTMETHOD HOTSTANDBY DVIPA1 PORT 1 DESTIP fd00:10::2 PREFERRED fd00:10::3\n",
	  NAME ":4: VIPADISTRIBUTE: DESTIP fd00:10::3 needs PREFERRED or BACKUP rank with DISTMETHOD HOTSTANDBY" },
	{ HDR "VIPADEFINE DVIPA1 fd00:100::1\nVIPADISTRIBUTE DISTMETHOD HOTSTANDBY DVIPA1 PORT 1 DESTIP fd00:10::2 PREFERRED\n",
	  NAME ":4: VIPADISTRIBUTE: DISTMETHOD HOTSTANDBY needs exactly one PREFERRED and at least one BACKUP DESTIP" },
	{ HDR "VIPADEFINE DVIPA1 fd00:100::1\nVIPADISTRIBUTE DISTMETHOD HOTSTANDBY DVIPA1 PORT 1 DESTIP fd00:10::2 BACKUP\n",
	  NAME ":4: VIPADISTRIBUTE: BACKUP needs a rank 1..254" },
	{ HDR "VIPADEFINE DVIPA1 fd00:100::1\nVIPADISTRIBUTE DISTMETHOD HOTSTANDBY DVIPA1 PORT 1 DESTIP PREFERRED\n",
	  NAME ":4: VIPADISTRIBUTE: PREFERRED must follow a DESTIP address" },
	{ HDR "VIPADEFINE DVIPA1 fd00:100::1\nVIPADISTRIBUTE HEALTHSWITCH DVIPA1 PORT 1 DESTIP ALL\n",
	  NAME ":4: VIPADISTRIBUTE: HEALTHSWITCH and NOHEALTHSWITCH are only valid with DISTMETHOD HOTSTANDBY" },
	{ HDR "VIPADEFINE DVIPA1 fd00:100::1\nVIPADISTRIBUTE PROCXCOST ZAAP 0 DVIPA1 PORT 1 DESTIP ALL\n",
	  NAME ":4: VIPADISTRIBUTE: ZAAP 0 out of range 1..100" },
	{ HDR "VIPADEFINE DVIPA1 fd00:100::1\nVIPADISTRIBUTE PROCXCOST ZAAP 2 DVIPA1 PORT 1 DESTIP ALL\n",
	  NAME ":4: VIPADISTRIBUTE: PROCXCOST is only valid with DISTMETHOD SERVERWLM" },
	{ HDR "VIPADEFINE DVIPA1 fd00:100::1\nVIPADISTRIBUTE DISTMETHOD BASEWLM PROCTYPE DVIPA1 PORT 1 DESTIP ALL\n",
	  NAME ":4: VIPADISTRIBUTE: PROCTYPE needs CP, ZAAP and ZIIP percentages" },
	{ HDR "VIPADEFINE DVIPA1 fd00:100::1\nVIPADISTRIBUTE SYSPLEXPORTS SYSPLEXP DVIPA1 PORT 1 DESTIP ALL\n",
	  NAME ":4: VIPADISTRIBUTE: SYSPLEXPORTS given twice" },
	{ HDR "VIPADEFINE DVIPA1 fd00:100::1\nVIPADISTRIBUTE DVIPA1 PORT 10-9 DESTIP ALL\n",
	  NAME ":4: VIPADISTRIBUTE: port range 10-9 ends before it starts" },
	{ HDR "VIPADEFINE DVIPA1 fd00:100::1\nVIPADISTRIBUTE DVIPA1 PORT 1-65 DESTIP ALL\n",
	  NAME ":4: VIPADISTRIBUTE: more than 64 ports" },
	{ HDR "VIPADEFINE DVIPA1 fd00:100::1\nVIPADISTRIBUTE DISTMETHOD RANDOM DVIPA1 PORT 1 DESTIP ALL\n",
	  NAME ":4: VIPADISTRIBUTE: unknown DISTMETHOD 'RANDOM'; use BASEWLM, ROUNDROBIN, SERVERWLM, WEIGHTEDACTIVE or HOTSTANDBY" },
	{ HDR "VIPADEFINE DVIPA1 fd00:100::1\nVIPADISTRIBUTE DISTMETHOD ROUNDROBIN DISTMETHOD ROUNDROBIN DVIPA1\n",
	  NAME ":4: VIPADISTRIBUTE: DISTMETHOD given twice" },
	{ HDR "VIPADEFINE DVIPA1 fd00:100::1\nVIPADISTRIBUTE MOBILEIPV6 NOMOBILEIPV6 DVIPA1\n",
	  NAME ":4: VIPADISTRIBUTE: MOBILEIPV6 or NOMOBILEIPV6 given twice" },
	{ HDR "VIPADEFINE DVIPA1 fd00:100::1\nVIPADISTRIBUTE TIMEDAFFINITY 65536 DVIPA1\n",
	  NAME ":4: VIPADISTRIBUTE: TIMEDAFFINITY 65536 out of range 0..65535" },
	{ HDR "VIPADEFINE DVIPA1 fd00:100::1\nVIPADISTRIBUTE TIER1 DVIPA1 PORT 1 DESTIP ALL\n",
	  NAME ":4: VIPADISTRIBUTE: TIER1 is not supported by this emulator" },
	{ HDR "VIPADEFINE DVIPA1 fd00:100::1\nVIPADISTRIBUTE DVIPA1 PORT 1 DESTIP ALL PROCTYPE CP 20\n",
	  NAME ":4: VIPADISTRIBUTE: unexpected 'PROCTYPE'" },
	/* DELETE. */
	{ HDR "VIPADEFINE DVIPA1 fd00:100::1\nVIPADISTRIBUTE DELETE DVIPA1 PORT 1 DESTIP ALL\n",
	  NAME ":4: VIPADISTRIBUTE: port 1 of fd00:100::1 is not distributed" },
	{ HDR "VIPADEFINE DVIPA1 fd00:100::1\nVIPADISTRIBUTE DVIPA1 PORT 1 DESTIP fd00:10::2\n"
	      "VIPADISTRIBUTE DELETE DVIPA1 PORT 1 DESTIP ALL\n",
	  NAME ":5: VIPADISTRIBUTE: DESTIP ALL does not match the VIPADISTRIBUTE at line 4 (DESTIP list)" },
	{ HDR "VIPADEFINE DVIPA1 fd00:100::1\nVIPADISTRIBUTE DEFINE DELETE DVIPA1 PORT 1 DESTIP ALL\n",
	  NAME ":4: VIPADISTRIBUTE: DEFINE or DELETE given twice" },
	/* DESTIP and WEIGHT. */
	{ HDR "VIPADEFINE DVIPA1 fd00:100::1\nVIPADISTRIBUTE DVIPA1 PORT 1\n DESTIP fd00:10::1 WEIGHT 2\n",
	  NAME ":5: VIPADISTRIBUTE: WEIGHT is only valid with DISTMETHOD WEIGHTEDACTIVE" },
	{ HDR "VIPADEFINE DVIPA1 fd00:100::1\nVIPADISTRIBUTE DISTMETHOD WEIGHTEDACTIVE DVIPA1 PORT 1\n"
	      " DESTIP fd00:10::1 WEIGHT 100\n",
	  NAME ":5: VIPADISTRIBUTE: WEIGHT 100 out of range 1..99" },
	{ HDR "VIPADEFINE DVIPA1 fd00:100::1\nVIPADISTRIBUTE DISTMETHOD WEIGHTEDACTIVE DVIPA1 PORT 1\n"
	      " DESTIP fd00:10::1 WEIGHT 0\n",
	  NAME ":5: VIPADISTRIBUTE: WEIGHT 0 out of range 1..99" },
	{ HDR "VIPADEFINE DVIPA1 fd00:100::1\nVIPADISTRIBUTE DISTMETHOD WEIGHTEDACTIVE DVIPA1 PORT 1\n"
	      " DESTIP fd00:10::1 WEIGHT\nENDVIPADYNAMIC\n",
	  NAME ":5: VIPADISTRIBUTE: WEIGHT needs a value 1..99" },
	{ HDR "VIPADEFINE DVIPA1 fd00:100::1\nVIPADISTRIBUTE DISTMETHOD WEIGHTEDACTIVE DVIPA1 PORT 1\n"
	      " DESTIP WEIGHT 5\n",
	  NAME ":5: VIPADISTRIBUTE: WEIGHT must follow a DESTIP address" },
	{ HDR "VIPADEFINE DVIPA1 fd00:100::1\nVIPADISTRIBUTE DVIPA1 PORT 1 DESTIP\nENDVIPADYNAMIC\n",
	  NAME ":4: VIPADISTRIBUTE: DESTIP needs ALL or at least one DYNAMICXCF address" },
	{ HDR "VIPADEFINE DVIPA1 fd00:100::1\nVIPADISTRIBUTE DVIPA1 PORT 1 DESTIP fd00:10::1\n"
	      " FD00:10:0::1\n",
	  NAME ":5: VIPADISTRIBUTE: DESTIP fd00:10::1 listed twice" },
	{ HDR "VIPADEFINE DVIPA1 fd00:100::1\nVIPADISTRIBUTE DVIPA1 PORT 1 DESTIP ALL fd00:10::1\n",
	  NAME ":4: VIPADISTRIBUTE: unexpected 'fd00:10::1'" },
	/* Ranks and MOVEABLE. */
	{ HDR "VIPABACKUP 255 MOVEABLE IMMEDIATE DVIPA1 fd00:100::1\n",
	  NAME ":3: VIPABACKUP: rank 255 out of range 1..254" },
	{ HDR "VIPABACKUP 0 DVIPA1 fd00:100::1\n",
	  NAME ":3: VIPABACKUP: rank 0 out of range 1..254" },
	{ HDR "VIPABACKUP 1x DVIPA1 fd00:100::1\n",
	  NAME ":3: VIPABACKUP: '1x' is not a valid rank" },
	{ HDR "VIPADEFINE MOVEABLE DVIPA1 fd00:100::1\n",
	  NAME ":3: VIPADEFINE: MOVEABLE must be followed by IMMEDIATE or WHENIDLE" },
	{ HDR "VIPADEFINE IMMEDIATE DVIPA1 fd00:100::1\n",
	  NAME ":3: VIPADEFINE: IMMEDIATE must follow MOVEABLE" },
	{ HDR "VIPADEFINE MOVEABLE IMMEDIATE MOVEABLE WHENIDLE DVIPA1 fd00:100::1\n",
	  NAME ":3: VIPADEFINE: MOVEABLE given twice" },
	{ HDR "VIPADEFINE SERVICEMGR DVIPA1 fd00:100::1\n",
	  NAME ":3: VIPADEFINE: SERVICEMGR is not supported by this emulator" },
	/* Block structure. */
	{ HDR "VIPADEFINE DVIPA1 fd00:100::1\n",
	  NAME ":2: VIPADYNAMIC: missing ENDVIPADYNAMIC" },
	{ "IPCONFIG6 DYNAMICXCF fd00:10::1\n\nVIPADEFINE DVIPA1 fd00:100::1\n",
	  NAME ":3: VIPADEFINE: only valid between VIPADYNAMIC and ENDVIPADYNAMIC" },
	{ "IPCONFIG6 DYNAMICXCF fd00:10::1\nVIPABACKUP 1 DVIPA1 fd00:100::1\n",
	  NAME ":2: VIPABACKUP: only valid between VIPADYNAMIC and ENDVIPADYNAMIC" },
	{ "IPCONFIG6 DYNAMICXCF fd00:10::1\nVIPADYNAMIC\nENDVIPADYNAMIC\n"
	  "VIPADISTRIBUTE DVIPA1 PORT 1 DESTIP ALL\n",
	  NAME ":4: VIPADISTRIBUTE: only valid between VIPADYNAMIC and ENDVIPADYNAMIC" },
	{ "IPCONFIG6 DYNAMICXCF fd00:10::1\nENDVIPADYNAMIC\n",
	  NAME ":2: ENDVIPADYNAMIC: ENDVIPADYNAMIC without VIPADYNAMIC" },
	{ HDR "VIPADYNAMIC\n",
	  NAME ":3: VIPADYNAMIC: not valid inside VIPADYNAMIC ... ENDVIPADYNAMIC (missing ENDVIPADYNAMIC?)" },
	{ HDR "VIPADEFINE DVIPA1 fd00:100::1\nIPCONFIG6 DYNAMICXCF fd00:10::1\n",
	  NAME ":4: IPCONFIG6: not valid inside VIPADYNAMIC ... ENDVIPADYNAMIC (missing ENDVIPADYNAMIC?)" },
	{ HDR "VIPARANGE DEFINE DVIPA1 fd00:100::/129\n",
	  NAME ":3: VIPARANGE: prefix length '129' out of range 1..128" },
	{ HDR "VIPARANGE DEFINE DELETE 255.255.255.0 10.1.1.0\n",
	  NAME ":3: VIPARANGE: DEFINE or DELETE given twice" },
	{ HDR "VIPARANGE MOVEABLE IMMEDIATE 255.255.255.0 10.1.1.0\n",
	  NAME ":3: VIPARANGE: MOVEABLE must be followed by NONDISRUPTIVE or DISRUPTIVE" },
	{ HDR "VIPARANGE 255.255.255.0 10.1.1.0 SAF TOOLONGNAME\n",
	  NAME ":3: VIPARANGE: 'TOOLONGNAME' is not a valid SAF resource name (1-8 characters)" },
	{ HDR "VIPAROUTE DEFINE 10.1.0.2\n",
	  NAME ":3: VIPAROUTE: target IP address expected after the DYNAMICXCF address" },
	{ HDR "VIPAROUTE DELETE 10.1.0.2 10.2.0.2\n",
	  NAME ":3: VIPAROUTE: no VIPAROUTE for 10.1.0.2 to that target to delete" },
	{ HDR "VIPADELETE fd00:100::1\n",
	  NAME ":3: VIPADELETE: name an IPv6 DVIPA by its interface name, not fd00:100::1" },
	{ HDR "VIPADELETE DVIPA9\n",
	  NAME ":3: VIPADELETE: DVIPA9 is not defined by a VIPADEFINE or VIPABACKUP" },
	{ "VIPADELETE DVIPA9\n",
	  NAME ":1: VIPADELETE: only valid between VIPADYNAMIC and ENDVIPADYNAMIC" },
	{ "ENDROUTES\n", NAME ":1: ENDROUTES: ENDROUTES without BEGINROUTES" },
	{ "AUTOLOG 5 FTPD\n", NAME ":1: AUTOLOG: missing ENDAUTOLOG" },
	{ "INCLUDE USER.TCPIP(VIPAS)\n",
	  NAME ":1: INCLUDE: statement is not supported by this emulator" },
	{ "BEGINROUTES\n ROUTE DEFAULT 10.1.1.1 L1 MTU 1500\n",
	  NAME ":1: BEGINROUTES: missing ENDROUTES" },
	{ "ENDROUTES\n", NAME ":1: ENDROUTES: ENDROUTES without BEGINROUTES" },
	/* DYNAMICXCF. */
	{ "\nVIPADYNAMIC\nENDVIPADYNAMIC\n",
	  NAME ":2: VIPADYNAMIC: VIPADYNAMIC requires IPCONFIG6 DYNAMICXCF" },
	{ "IPCONFIG DYNAMICXCF 10.1.1.1 255.255.255.0 1\nVIPADYNAMIC\n"
	  "VIPADEFINE DVIPA1 fd00:100::1\nENDVIPADYNAMIC\n",
	  NAME ":2: VIPADYNAMIC: VIPADYNAMIC requires IPCONFIG6 DYNAMICXCF" },
	{ "IPCONFIG6 DYNAMICXCF fd00:10::1\nIPCONFIG6 DYNAMICXCF fd00:10::2\n",
	  NAME ":2: IPCONFIG6: DYNAMICXCF given twice (first at line 1)" },
	{ "IPCONFIG6 DYNAMICXCF\n", NAME ":1: IPCONFIG6: DYNAMICXCF needs an IPv6 address" },
	{ "IPCONFIG6 DYNAMICXCF fd00:10::1 INTFID 1:2:3\n",
	  NAME ":1: IPCONFIG6: '1:2:3' is not a valid INTFID (x:x:x:x)" },
	{ "IPCONFIG6 DYNAMICXCF fd00:10::1 INTFID 1:2:3:12345\n",
	  NAME ":1: IPCONFIG6: '1:2:3:12345' is not a valid INTFID (x:x:x:x)" },
	{ "IPCONFIG6 DYNAMICXCF fd00:10::1 INTFID 0:0:0:0\n",
	  NAME ":1: IPCONFIG6: INTFID 0:0:0:0 is not allowed" },
	{ "IPCONFIG6 DYNAMICXCF fd00:10::1 INTFID\n",
	  NAME ":1: IPCONFIG6: INTFID needs an interface ID x:x:x:x" },
	{ "IPCONFIG6 INTFID 0:0:0:1\n",
	  NAME ":1: IPCONFIG6: INTFID must follow DYNAMICXCF ipv6addr" },
	/* Statements and the lexer. */
	{ "VIPADYNAMICS\n", NAME ":1: VIPADYNAMICS: unknown statement" },
	{ "; a comment\n  Frobnicate 1 2\n", NAME ":2: FROBNICATE: unknown statement" },
	{ HDR "VIPADEFINE DVIPA1 fd00:100::1\nVIPADEFNE DVIPA2 fd00:100::2\n",
	  NAME ":4: VIPADEFNE: unknown statement" },
	{ "IPCONFIG6 DYNAMICXCF fd00:10::1\n\x01\n", NAME ":2: IPCONFIG6: invalid character 0x01" },
	{ "\xef\xbb\xbfIPCONFIG6\n", NAME ":1: PROFILE: invalid character 0xef" },
	{ "IPCONFIG6 DYNAMICXCF fd00:10::1\n"
	  "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n",
	  NAME ":2: IPCONFIG6: token longer than 63 characters" },
	/* MIP6BINDLIFETIME: 4..420 seconds in the BU's 4-second units. */
	{ "IPCONFIG6 DYNAMICXCF fd00:10::1 MIP6BINDLIFETIME 0\n",
	  NAME ":1: IPCONFIG6: MIP6BINDLIFETIME 0 must be a multiple of 4 from 4 to 420 "
	  "(Binding Update lifetimes count 4-second units, at most MAX_RR_BINDING_LIFETIME)" },
	{ "IPCONFIG6 DYNAMICXCF fd00:10::1 MIP6BINDLIFETIME 424\n",
	  NAME ":1: IPCONFIG6: MIP6BINDLIFETIME 424 must be a multiple of 4 from 4 to 420 "
	  "(Binding Update lifetimes count 4-second units, at most MAX_RR_BINDING_LIFETIME)" },
	{ "IPCONFIG6 MIP6BINDLIFETIME -4\n",
	  NAME ":1: IPCONFIG6: MIP6BINDLIFETIME -4 must be a multiple of 4 from 4 to 420 "
	  "(Binding Update lifetimes count 4-second units, at most MAX_RR_BINDING_LIFETIME)" },
	{ "IPCONFIG6 MIP6BINDLIFETIME 8 MIP6BINDLIFETIME 8\n",
	  NAME ":1: IPCONFIG6: MIP6BINDLIFETIME given twice" },
	{ "IPCONFIG6 DYNAMICXCF fd00:10::1 MIP6BINDLIFETIME\n",
	  NAME ":1: IPCONFIG6: MIP6BINDLIFETIME needs a number of seconds" },
	/* DATAPATH (ours): BPF or TUN, once. */
	{ "DATAPATH\n", NAME ":1: DATAPATH: DATAPATH needs BPF or TUN" },
	{ "DATAPATH XDP\n", NAME ":1: DATAPATH: DATAPATH XDP: expected BPF or TUN" },
	{ "DATAPATH TUN BPF\n", NAME ":1: DATAPATH: DATAPATH takes one operand, not BPF" },
	{ "DATAPATH TUN\nDATAPATH TUN\n", NAME ":2: DATAPATH: DATAPATH given twice (first on line 1)" },
	/* The first error stops parsing: line 3 is reported, not line 4. */
	{ HDR "VIPADEFINE DVIPA1 10.0.0.1\nVIPADEFINE DVIPA2 10.0.0.2\n",
	  NAME ":3: VIPADEFINE: 10.0.0.1: an IPv4 DVIPA is written address_mask ipv4_addr (not after an interface name)" },
};

static void
test_errors(void **state)
{
	size_t i, bad = 0;

	(void)state;
	for (i = 0; i < sizeof(err_cases) / sizeof(err_cases[0]); i++) {
		int rc = parse(err_cases[i].text, &prof);

		if (rc != -EINVAL || strcmp(err, err_cases[i].want) != 0) {
			print_message("case %zu: rc %d\n  got:  %s\n  want: %s\nprofile:\n%s\n", i,
				      rc, err, err_cases[i].want, err_cases[i].text);
			bad++;
		}
	}
	if (bad)
		fail_msg("%zu of %zu cases failed", bad, i);
}

/* IPCONFIG6 MIP6BINDLIFETIME: absent = 0 (the stack asks for 420 s); the
 * bounds 4 and 420 are accepted. */
static void
test_bindlife(void **state)
{
	(void)state;
	assert_int_equal(parse("IPCONFIG6 DYNAMICXCF fd00:10::1\n", &prof), 0);
	assert_int_equal(prof.bindlife, 0);
	assert_int_equal(parse("IPCONFIG6 MIP6BINDLIFETIME 4 DYNAMICXCF fd00:10::1\n", &prof), 0);
	assert_int_equal(prof.bindlife, 4);
	assert_true(prof.has_dynxcf);
	assert_int_equal(parse("IPCONFIG6 DYNAMICXCF fd00:10::1\n  mip6bindlifetime 420\n", &prof), 0);
	assert_int_equal(prof.bindlife, 420);
}

/* DATAPATH: absent = 0 (BPF where it loads); BPF and TUN in any case;
 * printed back only when given. */
static void
test_datapath(void **state)
{
	char *out;

	(void)state;
	assert_int_equal(parse("IPCONFIG6 DYNAMICXCF fd00:10::1\n", &prof), 0);
	assert_int_equal(prof.datapath, 0);
	assert_int_equal(parse("IPCONFIG6 DYNAMICXCF fd00:10::1\ndatapath tun\n", &prof), 0);
	assert_int_equal(prof.datapath, VIPA_DATAPATH_TUN);
	out = print_str(&prof);
	assert_non_null(strstr(out, "DATAPATH TUN\n"));
	free(out);
	assert_int_equal(parse("DATAPATH BPF\nIPCONFIG6 DYNAMICXCF fd00:10::1\n", &prof), 0);
	assert_int_equal(prof.datapath, VIPA_DATAPATH_BPF);
	assert_true(prof.has_dynxcf);
}

/* A NUL byte inside the buffer is an invalid character, not the end. */
static void
test_nul_byte(void **state)
{
	static const char text[] = "IPCONFIG6 DYNAMICXCF fd00:10::1\n\0VIPADYNAMIC\n";

	(void)state;
	assert_int_equal(vipa_profile_parse_buf(&prof, NAME, text, sizeof(text) - 1, err,
						sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, NAME ":2: IPCONFIG6: invalid character 0x00");
	/* And a length shorter than the text parses only what it covers. */
	assert_int_equal(vipa_profile_parse_buf(&prof, NAME, text, 31, err, sizeof(err)), 0);
	assert_true(prof.has_dynxcf);
}

/* ---- limits ---------------------------------------------------------------------- */

static char big[16384];

static void
make_ports(int n)
{
	int i;
	size_t l;

	snprintf(big, sizeof(big), HDR "VIPADEFINE DVIPA1 fd00:100::1\nVIPADISTRIBUTE DVIPA1 PORT");
	for (i = 0; i < n; i++) {
		l = strlen(big);
		snprintf(big + l, sizeof(big) - l, "%s%d", i % 10 == 9 ? "\n " : " ", 1000 + i);
	}
	l = strlen(big);
	snprintf(big + l, sizeof(big) - l, " DESTIP ALL\nENDVIPADYNAMIC\n");
}

static void
make_dests(int n)
{
	int i;
	size_t l;

	snprintf(big, sizeof(big),
		 HDR "VIPADEFINE DVIPA1 fd00:100::1\n"
		     "VIPADISTRIBUTE DISTMETHOD WEIGHTEDACTIVE DVIPA1 PORT 80 DESTIP\n");
	for (i = 0; i < n; i++) {
		l = strlen(big);
		snprintf(big + l, sizeof(big) - l, "  fd00:10::%x WEIGHT %d\n", i + 1, i % 99 + 1);
	}
	l = strlen(big);
	snprintf(big + l, sizeof(big) - l, "ENDVIPADYNAMIC\n");
}

static void
make_dvipas(int n)
{
	int i;
	size_t l;

	snprintf(big, sizeof(big), HDR);
	for (i = 0; i < n; i++) {
		l = strlen(big);
		if (i % 2)
			snprintf(big + l, sizeof(big) - l, "VIPABACKUP %d DVIPA%d fd00:100::%x\n",
				 i + 1, i + 1, i + 1);
		else
			snprintf(big + l, sizeof(big) - l, "VIPADEFINE DVIPA%d fd00:100::%x\n", i + 1,
				 i + 1);
	}
	for (i = 0; i < n; i++) {
		l = strlen(big);
		snprintf(big + l, sizeof(big) - l, "VIPADISTRIBUTE DVIPA%d PORT %d DESTIP ALL\n",
			 i + 1, 100 + i);
	}
	l = strlen(big);
	snprintf(big + l, sizeof(big) - l, "ENDVIPADYNAMIC\n");
}

static void
test_limits(void **state)
{
	char *s;

	(void)state;
	make_ports(VIPA_MAX_PORTS);
	s = round_trip(big);
	free(s);
	assert_int_equal(prof.dist[0].nports, VIPA_MAX_PORTS);
	assert_int_equal(prof.dist[0].ports[VIPA_MAX_PORTS - 1], 1000 + VIPA_MAX_PORTS - 1);
	make_ports(VIPA_MAX_PORTS + 1);
	assert_int_equal(parse(big, &prof), -EINVAL);
	assert_string_equal(err, NAME ":10: VIPADISTRIBUTE: more than 64 ports");

	make_dests(VIPA_MAX_DEST);
	s = round_trip(big);
	free(s);
	assert_int_equal(prof.dist[0].ndest, VIPA_MAX_DEST);
	assert_int_equal(prof.dist[0].dest[31].weight, 32);
	make_dests(VIPA_MAX_DEST + 1);
	assert_int_equal(parse(big, &prof), -EINVAL);
	assert_string_equal(err, NAME ":37: VIPADISTRIBUTE: more than 32 DESTIP addresses");

	make_dvipas(VIPA_MAX_DVIPA);
	s = round_trip(big);
	free(s);
	assert_int_equal(prof.ndefine, VIPA_MAX_DVIPA);
	assert_int_equal(prof.ndist, VIPA_MAX_DVIPA);
	make_dvipas(VIPA_MAX_DVIPA + 1);
	assert_int_equal(parse(big, &prof), -EINVAL);
	assert_string_equal(err, NAME ":35: VIPADEFINE: more than 32 DVIPAs");
}

/* ---- printing ---------------------------------------------------------------------- */

static void
test_print_exact(void **state)
{
	char *s;

	(void)state;
	s = round_trip(SYSA);
	assert_string_equal(s, "IPCONFIG6 DYNAMICXCF fd00:10::1\n"
			       "VIPADYNAMIC\n"
			       "  VIPADEFINE MOVEABLE IMMEDIATE DVIPA1 fd00:100::1\n"
			       "  VIPADISTRIBUTE DEFINE DISTMETHOD ROUNDROBIN MOBILEIPV6 DVIPA1 PORT 8080 DESTIP ALL\n"
			       "ENDVIPADYNAMIC\n");
	free(s);

	s = round_trip("ipconfig6 dynamicxcf FD00:0010::0001 intfid 00:ABCD:0:1\nvipadynamic\n"
		       "vipabackup moveable whenidle web fd00:0100:0000::0002\n"
		       "vipadefine dvipa1 fd00:100::1\n"
		       "vipadistribute distmethod weightedactive timedaffinity 600 web port 443 80\n"
		       "  destip fd00:10::2 fd00:10::3 weight 7\n"
		       "vipadistribute dvipa1 port 8080 destip fd00:10::1\n"
		       "endvipadynamic\n");
	assert_string_equal(s, "IPCONFIG6 DYNAMICXCF fd00:10::1 INTFID 0:abcd:0:1\n"
			       "VIPADYNAMIC\n"
			       "  VIPABACKUP 1 MOVEABLE WHENIDLE WEB fd00:100::2\n"
			       "  VIPADEFINE MOVEABLE IMMEDIATE DVIPA1 fd00:100::1\n"
			       "  VIPADISTRIBUTE DEFINE DISTMETHOD WEIGHTEDACTIVE TIMEDAFFINITY 600"
			       " NOMOBILEIPV6 WEB PORT 443 80 DESTIP fd00:10::2 WEIGHT 1 fd00:10::3 WEIGHT 7\n"
			       "  VIPADISTRIBUTE DEFINE DISTMETHOD BASEWLM NOMOBILEIPV6 DVIPA1 PORT 8080"
			       " DESTIP fd00:10::1\n"
			       "ENDVIPADYNAMIC\n");
	free(s);

	/* No DYNAMICXCF and no DVIPA: nothing to print. */
	s = round_trip("TCPCONFIG RESTRICTLOWPORTS\n");
	assert_string_equal(s, "");
	free(s);
	/* An empty block is not printed. */
	s = round_trip("IPCONFIG6 DYNAMICXCF fd00:10::3\nVIPADYNAMIC\nENDVIPADYNAMIC\n");
	assert_string_equal(s, "IPCONFIG6 DYNAMICXCF fd00:10::3\n");
	free(s);
}

static void
test_round_trip(void **state)
{
	static const char *const texts[] = {
		SYSA,
		"IPCONFIG6 DYNAMICXCF fd00:10::2\nVIPADYNAMIC\nVIPABACKUP 100 DVIPA1 fd00:100::1\n"
		"ENDVIPADYNAMIC\n",
		"IPCONFIG6 DYNAMICXCF 2001:db8::151:1 INTFID 6:7:8:9\nVIPADYNAMIC\n"
		"VIPADEFINE MOVEABLE WHENIDLE A fd00:100::a\n"
		"VIPABACKUP 7 B@#$_1 2001:db8:1::1\n"
		"VIPADISTRIBUTE MOBILEIPV6 TIMEDAFFINITY 65535 DISTMETHOD WEIGHTEDACTIVE A PORT 1 65535"
		" DESTIP 2001:db8::1 WEIGHT 99 2001:db8::2 WEIGHT 1\n"
		"VIPADISTRIBUTE 2001:db8:1::1 PORT 22 DESTIP ALL\n"
		"ENDVIPADYNAMIC\n",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		free(round_trip(texts[i]));
}

/* ---- files and error buffers ----------------------------------------------------------- */

static void
test_parse_file(void **state)
{
	char path[] = "/tmp/test_profile.XXXXXX";
	int fd;
	FILE *f;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs(SYSA, f);
	fclose(f);
	assert_int_equal(vipa_profile_parse_file(&prof, path, err, sizeof(err)), 0);
	assert_string_equal(prof.path, path);
	assert_int_equal(prof.ndist, 1);
	assert_true(prof.dist[0].mip6);

	f = fopen(path, "w");
	assert_non_null(f);
	fputs(HDR "VIPADEFINE DVIPA1 fd00:100::1\nVIPADISTRIBUTE DVIPA1 PORT 70000 DESTIP ALL\n", f);
	fclose(f);
	assert_int_equal(vipa_profile_parse_file(&prof, path, err, sizeof(err)), -EINVAL);
	{
		char want[256];
		snprintf(want, sizeof(want), "%s:4: VIPADISTRIBUTE: port 70000 out of range 1..65535",
			 path);
		assert_string_equal(err, want);
	}
	unlink(path);

	assert_int_equal(vipa_profile_parse_file(&prof, "/nonexistent/prof", err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "/nonexistent/prof:0: PROFILE: cannot open: No such file or directory");
}

static void
test_err_buffer(void **state)
{
	static const char bad[] = HDR "VIPADEFINE DVIPA1 10.0.0.1\n";
	char small[12];

	(void)state;
	memset(small, 'x', sizeof(small));
	assert_int_equal(vipa_profile_parse_buf(&prof, NAME, bad, strlen(bad), small, 8), -EINVAL);
	assert_string_equal(small, "t.prof:");
	assert_int_equal(small[8], 'x');
	assert_int_equal(vipa_profile_parse_buf(&prof, NAME, bad, strlen(bad), NULL, 0), -EINVAL);
	/* A NULL name and buffer are tolerated. */
	assert_int_equal(vipa_profile_parse_buf(&prof, NULL, NULL, 0, err, sizeof(err)), 0);
	err[0] = 'x';
	/* Success clears the error text. */
	assert_int_equal(vipa_profile_parse_buf(&prof, NAME, SYSA, strlen(SYSA), err, sizeof(err)), 0);
	assert_string_equal(err, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sysa),
		cmocka_unit_test(test_sysb_sysc),
		cmocka_unit_test(test_backup_defaults),
		cmocka_unit_test(test_weighted),
		cmocka_unit_test(test_multiline_comments),
		cmocka_unit_test(test_case_and_abbreviations),
		cmocka_unit_test(test_keyword_order),
		cmocka_unit_test(test_ignored_statements),
		cmocka_unit_test(test_distribute_on_backup),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_bindlife),
		cmocka_unit_test(test_datapath),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_print_exact),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_parse_file),
		cmocka_unit_test(test_err_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
