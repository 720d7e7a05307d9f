/*
 * test_stack_route.c - proves D TCPIP,,NETSTAT,ROUTE's result object
 * (stack_show_route, tcpip-stack/display.c) against routes iproute2 made in
 * a network namespace of the test's own (unshare(CLONE_NEWNET)), on a dummy
 * interface with MTU 1400:
 *  - the z/OS flags: U for every usable route, G with a gateway, H for a
 *    host route, S for a static one (the launcher's and the stacks' routes,
 *    `ip route add`'s default protocol boot too), O for one a routing daemon
 *    installed with protocol ospf (what FRR's zebra does); a connected route
 *    is U alone;
 *  - the protocol, the metric, the route's MTU or else its interface's,
 *    "DEFAULT" for ::/0, "::" / "0.0.0.0" without a gateway;
 *  - IPv4 rows before IPv6 rows, routes of other tables left out, "records"
 *    the number of rows;
 *  - without rtnetlink, an error object that says why;
 *  - a target that drops the local addresses of two DVIPAs
 *    (stack_net_dvipa_local) keeps its care-of route into the TUN;
 *  - the owner of an IPv4 DVIPA has its /32 host route on the TUN exactly
 *    while it answers for it (stack_net_answer).
 * The stack is the fake one of tests/unit/fake.h with an rtnetlink socket.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <linux/rtnetlink.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/unit/fake.h"

/* display.c's other displays ask the bus for more than the fake bus has;
 * ROUTE asks for none of it. */
const struct lib_verdicts *
xcf_verdicts(const struct xcf *x)
{
	(void)x;
	fail_msg("ROUTE asked the bus for its verdicts");
	return NULL;
}

int
xcf_cds_view(const struct xcf *x, struct xcf_cds_view *v)
{
	(void)x;
	(void)v;
	fail_msg("ROUTE asked the bus for the couple data set");
	return -1;
}

const char *
xcf_slot_state_name(uint8_t st)
{
	(void)st;
	fail_msg("ROUTE asked the bus for a slot state");
	return "";
}

static struct stack st;
static const uint8_t XA[16] = { 0xfd, 0, 0, 0x10, [15] = 1 };	/* fd00:10::1 */

static void
sh(const char *cmd)
{
	if (system(cmd) != 0)
		fail_msg("command failed: %s", cmd);
}

/* The row for destination dst, or NULL. */
static const json_t *
row(const json_t *r, const char *dst)
{
	const json_t *e;
	size_t i;

	json_array_foreach(json_object_get(r, "routes"), i, e)
		if (strcmp(lib_json_gets(e, "destination", ""), dst) == 0)
			return e;
	return NULL;
}

static void
expect_row(const json_t *r, const char *family, const char *dst, const char *gw,
	   const char *flags, const char *proto, long long metric, long long mtu)
{
	const json_t *e = row(r, dst);

	if (!e)
		fail_msg("no row for %s in %s", dst, json_dumps(r, JSON_COMPACT));
	assert_string_equal(lib_json_gets(e, "family", ""), family);
	assert_string_equal(lib_json_gets(e, "gateway", ""), gw);
	assert_string_equal(lib_json_gets(e, "interface", ""), "d0");
	assert_string_equal(lib_json_gets(e, "flags", ""), flags);
	assert_string_equal(lib_json_gets(e, "protocol", ""), proto);
	if (metric >= 0)
		assert_int_equal(lib_json_geti(e, "metric", -1), metric);
	assert_int_equal(lib_json_geti(e, "mtu", -1), mtu);
}

static void
test_route_object(void **state)
{
	json_t *r, *e;
	size_t i, n;
	int seen6 = 0;

	(void)state;
	sh("ip link add d0 mtu 1400 type veth peer name d1 mtu 1400 && ip link set d1 up && ip link set d0 up");
	sh("ip -6 addr add fd00:2::2/64 dev d0 nodad && ip addr add 10.2.0.2/24 dev d0");
	sh("ip -6 route add fd00:100::1/128 dev d0 proto static");
	sh("ip -6 route add fd00:10::3/128 via fd00:2::ff02 dev d0 proto ospf metric 20");
	sh("ip -6 route add default via fd00:2::ff02 dev d0 mtu 1300");
	sh("ip route add 10.9.0.0/24 via 10.2.0.254 dev d0 proto ospf metric 20");
	sh("ip -6 route add fd00:77::/64 dev d0 table 200");
	st.nl = lib_nl_open();
	assert_non_null(st.nl);
	r = stack_show_route(&st);
	assert_non_null(r);
	assert_string_equal(lib_json_gets(r, "system", ""), "SYSA");
	assert_string_equal(lib_json_gets(r, "stack", ""), "TCPCS");
	expect_row(r, "ipv6", "fd00:2::/64", "::", "U", "kernel", -1, 1400);
	expect_row(r, "ipv6", "fd00:100::1/128", "::", "UHS", "static", -1, 1400);
	expect_row(r, "ipv6", "fd00:10::3/128", "fd00:2::ff02", "UGHO", "ospf", 20, 1400);
	expect_row(r, "ipv6", "DEFAULT", "fd00:2::ff02", "UGS", "boot", -1, 1300);
	expect_row(r, "ipv4", "10.2.0.0/24", "0.0.0.0", "U", "kernel", -1, 1400);
	expect_row(r, "ipv4", "10.9.0.0/24", "10.2.0.254", "UGO", "ospf", 20, 1400);
	assert_null(row(r, "fd00:77::/64"));
	n = json_array_size(json_object_get(r, "routes"));
	assert_int_equal(lib_json_geti(r, "records", -1), (long long)n);
	json_array_foreach(json_object_get(r, "routes"), i, e) {
		int v6 = strcmp(lib_json_gets(e, "family", ""), "ipv6") == 0;

		if (!v6 && seen6)
			fail_msg("an IPv4 row after an IPv6 row: %s", json_dumps(r, JSON_COMPACT));
		seen6 |= v6;
	}
	json_decref(r);
	lib_nl_close(&st.nl);
	sh("ip link del d0");
}

/* A target of two DVIPAs drops both (stack_net_dvipa_local): the care-of
 * route into the TUN stays, though the kernel deletes a route to an
 * address's peer when the address goes (the second time, ours). */
static void
test_careof_route_kept(void **state)
{
	static const uint8_t dv1[16] = { 0xfd, 0, 1, 0, [15] = 1 };
	static const uint8_t dv2[16] = { 0xfd, 0, 1, 0, [15] = 2 };
	struct stack_dvipa d1, d2;
	struct lib_route r[64];
	int n, i, careof;

	(void)state;
	sh("ip link add t0 type veth peer name t1 && ip link set t1 up && ip link set t0 up");
	st.nl = lib_nl_open();
	assert_non_null(st.nl);
	st.tun_ifindex = lib_nl_ifindex("t0");
	assert_true(st.tun_ifindex > 0);
	assert_int_equal(lib_nl_route(st.nl, 1, 254, XA, 128, st.tun_ifindex, NULL), 0);
	memset(&d1, 0, sizeof(d1));
	memset(&d2, 0, sizeof(d2));
	memcpy(d1.addr, dv1, 16);
	memcpy(d2.addr, dv2, 16);
	stack_net_dvipa_local(&st, &d1, 1);
	stack_net_dvipa_local(&st, &d2, 1);
	stack_net_dvipa_local(&st, &d1, 0);
	stack_net_dvipa_local(&st, &d2, 0);
	n = lib_nl_routes(st.nl, AF_INET6, 254, r, 64);
	assert_true(n >= 0);
	for (i = careof = 0; i < n; i++)
		if (r[i].plen == 128 && memcmp(r[i].dst, XA, 16) == 0 && r[i].oif == st.tun_ifindex &&
		    r[i].protocol == RTPROT_STATIC)
			careof++;
	assert_int_equal(careof, 1);
	lib_nl_close(&st.nl);
	sh("ip link del t0");
}

/* The main table's IPv4 host routes of dst on the device ifindex, made by
 * a stack (protocol static). */
static int
host_routes4(int ifindex, const uint8_t dst[16])
{
	struct lib_route r[64];
	int n, i, k = 0;

	n = lib_nl_routes(st.nl, AF_INET, 254, r, 64);
	assert_true(n >= 0);
	for (i = 0; i < n; i++)
		if (r[i].plen == 32 && memcmp(r[i].dst, dst + 12, 4) == 0 && r[i].oif == ifindex &&
		    r[i].protocol == RTPROT_STATIC)
			k++;
	return k;
}

/* The owner of an IPv4 DVIPA has its /32 host route on the TUN in the main
 * table exactly while it answers ARP for it (stack_net_answer): what ospfd
 * redistributes, as ospf6d the /128 of an IPv6 DVIPA. */
static void
test_ip4_host_route(void **state)
{
	static const uint8_t dv4[16] = { [10] = 0xff, [11] = 0xff, 10, 100, 0, 1 };
	struct stack_dvipa d;

	(void)state;
	sh("ip link add t0 type veth peer name t1 && ip link set t1 up && ip link set t0 up");
	sh("ip link add l0 type veth peer name l1 && ip link set l1 up && ip link set l0 up");
	st.nl = lib_nl_open();
	assert_non_null(st.nl);
	st.tun_ifindex = lib_nl_ifindex("t0");
	st.lan_ifindex = lib_nl_ifindex("l0");
	assert_true(st.tun_ifindex > 0 && st.lan_ifindex > 0);
	memset(&d, 0, sizeof(d));
	memcpy(d.addr, dv4, 16);
	assert_int_equal(host_routes4(st.tun_ifindex, dv4), 0);
	stack_net_answer(&st, &d, 1);
	assert_int_equal(host_routes4(st.tun_ifindex, dv4), 1);
	stack_net_answer(&st, &d, 1);	/* again: still one */
	assert_int_equal(host_routes4(st.tun_ifindex, dv4), 1);
	stack_net_answer(&st, &d, 0);
	assert_int_equal(host_routes4(st.tun_ifindex, dv4), 0);
	lib_nl_close(&st.nl);
	sh("ip link del t0 && ip link del l0");
}

static void
test_route_error(void **state)
{
	json_t *r;

	(void)state;
	st.nl = NULL;
	r = stack_show_route(&st);
	assert_non_null(r);
	assert_string_equal(lib_json_gets(r, "error", ""),
			    "cannot read the routing table: Invalid argument");
	assert_null(json_object_get(r, "routes"));
	json_decref(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_route_object),
		cmocka_unit_test(test_careof_route_kept),
		cmocka_unit_test(test_ip4_host_route),
		cmocka_unit_test(test_route_error),
	};
	int rc;

	if (geteuid() != 0) {
		fprintf(stderr, "test_stack_route: needs root (creates a network namespace); "
			"skipped\n");
		return 0;
	}
	if (unshare(CLONE_NEWNET) != 0) {
		perror("test_stack_route: unshare(CLONE_NEWNET)");
		return 1;
	}
	fake_bus_reset();
	fake_stack_init(&st, uv_default_loop(), "SYSA", XA);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	fake_stack_fini(&st);
	return rc;
}
