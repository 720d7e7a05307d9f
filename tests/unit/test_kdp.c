/*
 * test_kdp.c - proves the kernel data path (kdp/) against the kernel's own
 * BPF verifier and BPF_PROG_TEST_RUN, and against wire/, the code the TUN
 * data paths run today.  Needs root: main() moves the process into a
 * network namespace of its own (a veth pair "kdpa"/"kdpb", a TUN "kdptun",
 * the routes and neighbours the launcher would make), so the programs' FIB
 * lookups see a real routing table and nothing outside the test is touched.
 *
 * Packets are built with wire/ (bounded writer, checksums, the RH2 and Home
 * Address option encoders).  What is checked:
 *  - routing stack: a packet of a known connection comes out byte for byte
 *    as wire_rh2_insert makes it (hop limit one less, as the kernel forwards
 *    what dp.c writes into the TUN), with the MAC addresses of the target's
 *    next hop, and is redirected; with no neighbour entry it is handed to
 *    bpf_redirect_neigh; counters per connection and per DVIPA; a FIN is
 *    forwarded and remembered; the connection served by this stack itself
 *    goes into the TUN's ingress unchanged;
 *  - everything else is left unchanged to the slow path, each with its
 *    reason counted: SYN, no entry, DVIPA not owned, UDP, extension headers,
 *    hop limit 1, too big for the MTU after the RH2 (plain and GSO), no
 *    route, truncated and inconsistent headers, non-IPv6 frames, frames for
 *    another MAC address;
 *  - target: stripping gives byte for byte the packet before the insert (and
 *    what wire_rh2_strip gives), counted per DVIPA, delivered into the TUN's
 *    ingress when one is configured; segments left 0, other routing types,
 *    a Mobility Header or unknown header after the RH2, a DVIPA not served,
 *    truncated headers: unchanged;
 *  - client: per-connection and per-home bindings give the same bytes as
 *    wire_rh2_insert (no hop limit change) with the care-of next hop's MACs;
 *    expired bindings, traffic outside the DVIPA prefixes, Mobility Headers,
 *    packets with a routing header: unchanged; a fragment is rewritten (as
 *    the agent does) unless it carries a Mobility Header;
 *  - client ingress: a bound mobile node's Home Address option packet comes
 *    out as the agent makes it (no Destination Options header, source = home
 *    address, checksum valid); no binding, wrong care-of address, a Binding
 *    Update, malformed options: unchanged;
 *  - fault injection drops 100 % and 0 %;
 *  - the API: entries, counters kept across updates, full tables, wrong
 *    roles, bad arguments, a clear one-line error for a missing device and
 *    for a process without the privileges to load BPF;
 *  - attaching: a tcx attachment vanishes with the process that made it
 *    (killed without cleaning up); a cls_bpf one survives it and is removed
 *    by kdp_cleanup and replaced by the next kdp_open.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <linux/bpf.h>

#include "kdp/kdp.h"
#include "lib/lib.h"
#include "wire/wire.h"

#define PKT_MAX 4096
#define RET_NEXT 0xffffffffu	/* TC_ACT_UNSPEC / TCX_NEXT: no verdict */
#define RET_OK 0u
#define RET_SHOT 2u
#define RET_REDIRECT 7u

static const uint8_t MAC_A[6] = {0x02, 0, 0, 0, 0, 0x01};	/* kdpa: us */
static const uint8_t MAC_B[6] = {0x02, 0, 0, 0, 0, 0x02};	/* target's next hop */
static const uint8_t MAC_C[6] = {0x02, 0, 0, 0, 0, 0x0c};	/* a client */
static uint8_t CLI[16], DVIPA[16], DVIPA2[16], COA[16], COA3[16], SELF[16], OTHER[16];
static int ifindex_a;

/* ---- helpers ------------------------------------------------------------- */

static int
sh_ok(const char *cmd)
{
	return system(cmd) == 0;
}

static void
sh(const char *cmd)
{
	if (!sh_ok(cmd))
		fail_msg("command failed: %s", cmd);
}

static void
ip6(const char *s, uint8_t out[16])
{
	assert_int_equal(inet_pton(AF_INET6, s, out), 1);
}

/* A TCP segment (header of doff 32-bit words, `paylen` payload bytes) with
 * its checksum over the pseudo-header for csum_dst (the final destination). */
static size_t
tcp_seg(uint8_t *out, const uint8_t src[16], const uint8_t csum_dst[16], uint16_t sport,
	uint16_t dport, uint8_t flags, unsigned doff, size_t paylen)
{
	struct wire_wr w;
	size_t i, len;
	uint16_t ck;

	wire_wr_init(&w, out, PKT_MAX);
	wire_wr_u16(&w, sport);
	wire_wr_u16(&w, dport);
	wire_wr_u32(&w, 1000);
	wire_wr_u32(&w, 2000);
	wire_wr_u8(&w, (uint8_t)(doff << 4));
	wire_wr_u8(&w, flags);
	wire_wr_u16(&w, 64000);
	wire_wr_u16(&w, 0);
	wire_wr_u16(&w, 0);
	for (i = 20; i < doff * 4; i++)
		wire_wr_u8(&w, 1);	/* NOP options */
	for (i = 0; i < paylen; i++)
		wire_wr_u8(&w, (uint8_t)(i * 7));
	assert_true(wire_wr_result(&w) > 0);
	len = w.off;
	ck = wire_csum_ip6(src, csum_dst, WIRE_PROTO_TCP, out, len);
	out[16] = (uint8_t)(ck >> 8);
	out[17] = (uint8_t)ck;
	return len;
}

/* An Ethernet frame: MAC header, IPv6 header (next header nh, payload
 * length = plen_field, or the real length when plen_field < 0), payload. */
static size_t
frame_plen(uint8_t *out, const uint8_t dmac[6], const uint8_t src[16], const uint8_t dst[16],
	   uint8_t hlim, uint8_t nh, const uint8_t *pl, size_t plen, int plen_field)
{
	struct wire_wr w;

	wire_wr_init(&w, out, PKT_MAX);
	wire_wr_bytes(&w, dmac, 6);
	wire_wr_bytes(&w, MAC_C, 6);
	wire_wr_u16(&w, 0x86dd);
	wire_wr_u32(&w, 0x60000000);
	wire_wr_u16(&w, (uint16_t)(plen_field < 0 ? plen : (size_t)plen_field));
	wire_wr_u8(&w, nh);
	wire_wr_u8(&w, hlim);
	wire_wr_bytes(&w, src, 16);
	wire_wr_bytes(&w, dst, 16);
	wire_wr_bytes(&w, pl, plen);
	assert_true(wire_wr_result(&w) > 0);
	return w.off;
}

static size_t
frame(uint8_t *out, const uint8_t dmac[6], const uint8_t src[16], const uint8_t dst[16],
      uint8_t hlim, uint8_t nh, const uint8_t *pl, size_t plen)
{
	return frame_plen(out, dmac, src, dst, hlim, nh, pl, plen, -1);
}

/* A client's TCP packet to the DVIPA, as the routing stack receives it. */
static size_t
client_tcp(uint8_t *out, const uint8_t dst[16], uint16_t cport, uint8_t flags, size_t paylen,
	   uint8_t hlim)
{
	uint8_t seg[PKT_MAX];
	size_t n = tcp_seg(seg, CLI, dst, cport, 8080, flags, 8, paylen);

	return frame(out, MAC_A, CLI, dst, hlim, WIRE_PROTO_TCP, seg, n);
}

struct run {
	uint8_t out[PKT_MAX + 64];
	size_t len;
	uint32_t ret;
};

static void
run_gso(int fd, const uint8_t *in, size_t len, struct run *r, unsigned gso_size, unsigned segs)
{
	struct __sk_buff ctx;
	LIBBPF_OPTS(bpf_test_run_opts, o);
	int e;

	memset(&ctx, 0, sizeof(ctx));
	ctx.ifindex = (uint32_t)ifindex_a;
	ctx.gso_size = gso_size;
	ctx.gso_segs = segs;
	o.data_in = in;
	o.data_size_in = (uint32_t)len;
	o.data_out = r->out;
	o.data_size_out = sizeof(r->out);
	o.ctx_in = &ctx;
	o.ctx_size_in = sizeof(ctx);
	o.repeat = 1;
	e = bpf_prog_test_run_opts(fd, &o);
	if (e)
		fail_msg("BPF_PROG_TEST_RUN of %zu bytes: %s", len, strerror(errno));
	r->len = o.data_size_out;
	r->ret = o.retval;
}

static void
run(int fd, const uint8_t *in, size_t len, struct run *r)
{
	run_gso(fd, in, len, r, 0, 0);
}

/* Asserts that the program left the frame alone with no verdict. */
static void
assert_untouched(int fd, const uint8_t *in, size_t len)
{
	struct run r;

	run(fd, in, len, &r);
	assert_int_equal(r.ret, RET_NEXT);
	assert_int_equal(r.len, len);
	assert_memory_equal(r.out, in, len);
}

static struct kdp *
load(enum kdp_role role)
{
	struct kdp_opts o = { .role = role, .attach = KDP_ATTACH_NONE };
	char err[KDP_ERR_LEN];
	struct kdp *k;
	int r = kdp_open(&k, &o, err, sizeof(err));

	if (r < 0)
		fail_msg("kdp_open: %s", err);
	return k;
}

/* The routing stack of DVIPA (owned) and target of DVIPA2, with one
 * connection (CLI, 40000 -> DVIPA 8080) routed to COA. */
static struct kdp *
load_stack(void)
{
	struct kdp *k = load(KDP_ROLE_STACK);
	struct kdp_conn c;

	assert_int_equal(kdp_set_self(k, SELF, NULL), 0);
	assert_int_equal(kdp_dvipa_set(k, DVIPA, KDP_DVIPA_OWNED), 0);
	assert_int_equal(kdp_dvipa_set(k, DVIPA2, KDP_DVIPA_TARGET), 0);
	memset(&c, 0, sizeof(c));
	memcpy(c.dvipa, DVIPA, 16);
	memcpy(c.client, CLI, 16);
	c.dport = 8080;
	c.cport = 40000;
	assert_int_equal(kdp_conn_set(k, &c, COA), 0);
	return k;
}

static uint64_t
stat(struct kdp *k, int i)
{
	uint64_t s[KDP_STAT_COUNT];

	assert_int_equal(kdp_stats(k, s), 0);
	return s[i];
}

static struct kdp_conn
conn(const uint8_t dvipa[16], uint16_t cport)
{
	struct kdp_conn c;

	memset(&c, 0, sizeof(c));
	memcpy(c.dvipa, dvipa, 16);
	memcpy(c.client, CLI, 16);
	c.dport = 8080;
	c.cport = cport;
	return c;
}

/* What the TUN path makes of frame `in` when forwarding to coa: the RH2
 * insert of wire/ on the IPv6 packet, hop limit less `hdec`, new MACs. */
static size_t
expect_insert(uint8_t *out, const uint8_t *in, size_t len, const uint8_t coa[16], int hdec,
	      const uint8_t *dmac, const uint8_t *smac)
{
	uint8_t buf[PKT_MAX + 64];
	ssize_t n;

	memcpy(buf + 64, in + 14, len - 14);
	n = wire_rh2_insert(buf + 64, len - 14, coa, NULL);
	assert_true(n > 0);
	memcpy(out, in, 14);
	if (dmac)
		memcpy(out, dmac, 6);
	if (smac)
		memcpy(out + 6, smac, 6);
	memcpy(out + 14, buf + 64 - WIRE_RH2_LEN, (size_t)n);
	out[14 + 7] = (uint8_t)(out[14 + 7] - hdec);
	return 14 + (size_t)n;
}

/* ---- routing stack ----------------------------------------------------------- */

static void
test_rs_forward_exact(void **state)
{
	struct kdp *k = load_stack();
	int fd = kdp_prog_fd(k, KDP_PROG_STACK_IN);
	uint8_t in[PKT_MAX], want[PKT_MAX];
	struct kdp_counters ct;
	struct kdp_dvipa_stats ds;
	struct kdp_conn c = conn(DVIPA, 40000);
	uint8_t dest[16];
	struct run r;
	size_t n = client_tcp(in, DVIPA, 40000, WIRE_TCP_ACK | WIRE_TCP_PSH, 100, 64);
	size_t m = expect_insert(want, in, n, COA, 1, MAC_B, MAC_A);

	(void)state;
	run(fd, in, n, &r);
	assert_int_equal(r.ret, RET_REDIRECT);
	assert_int_equal(r.len, m);
	assert_memory_equal(r.out, want, m);
	/* The TCP checksum still holds for the final destination (the DVIPA
	 * in the RH2), and tshark-visible fields are where RFC 6275 puts them. */
	assert_int_equal(wire_csum_ip6(CLI, DVIPA, WIRE_PROTO_TCP, r.out + 14 + 64, m - 78), 0);
	assert_int_equal(r.out[14 + 6], 43);
	assert_memory_equal(r.out + 14 + 48, DVIPA, 16);

	assert_int_equal(kdp_conn_get(k, &c, dest, &ct), 0);
	assert_memory_equal(dest, COA, 16);
	assert_int_equal(ct.pkts, 1);
	assert_int_equal(ct.bytes, n - 14);
	assert_true(ct.last_ms > 0);
	assert_int_equal(ct.fin_ms, 0);
	assert_int_equal(kdp_dvipa_get(k, DVIPA, &ds), 0);
	assert_int_equal(ds.fwd_pkts, 1);
	assert_int_equal(ds.fwd_bytes, n - 14);
	assert_int_equal(stat(k, KDP_STAT_FWD), 1);

	/* A FIN is forwarded too, and its time kept for the daemon. */
	n = client_tcp(in, DVIPA, 40000, WIRE_TCP_ACK | WIRE_TCP_FIN, 0, 64);
	run(fd, in, n, &r);
	assert_int_equal(r.ret, RET_REDIRECT);
	assert_int_equal(kdp_conn_get(k, &c, NULL, &ct), 0);
	assert_int_equal(ct.pkts, 2);
	assert_true(ct.fin_ms > 0);
	kdp_close(&k);
	assert_null(k);
}

/* The owner's lease: before it runs out a known connection is forwarded;
 * after it (a stopped daemon renews nothing) the same packet goes to the slow
 * path untouched, counted as pass_lease; a renewed lease forwards again. */
static void
test_rs_lease(void **state)
{
	struct kdp *k = load_stack();
	int fd = kdp_prog_fd(k, KDP_PROG_STACK_IN);
	uint8_t in[PKT_MAX];
	struct kdp_conn c = conn(DVIPA, 40000);
	struct kdp_counters ct;
	struct run r;
	size_t n = client_tcp(in, DVIPA, 40000, WIRE_TCP_ACK, 10, 64);

	(void)state;
	assert_int_equal(kdp_set_lease(k, lib_now_ms() + 60000), 0);
	run(fd, in, n, &r);
	assert_int_equal(r.ret, RET_REDIRECT);
	assert_int_equal(kdp_set_lease(k, lib_now_ms() - 1), 0);
	assert_untouched(fd, in, n);
	assert_int_equal(stat(k, KDP_STAT_PASS_LEASE), 1);
	/* The entry counts only what the program forwarded. */
	assert_int_equal(kdp_conn_get(k, &c, NULL, &ct), 0);
	assert_int_equal(ct.pkts, 1);
	assert_int_equal(kdp_set_lease(k, lib_now_ms() + 60000), 0);
	run(fd, in, n, &r);
	assert_int_equal(r.ret, RET_REDIRECT);
	assert_int_equal(stat(k, KDP_STAT_FWD), 2);
	kdp_close(&k);
}

static void
test_rs_no_neighbour(void **state)
{
	struct kdp *k = load_stack();
	int fd = kdp_prog_fd(k, KDP_PROG_STACK_IN);
	struct kdp_conn c = conn(DVIPA, 40001);
	uint8_t in[PKT_MAX], want[PKT_MAX];
	struct run r;
	size_t n, m;

	(void)state;
	/* COA3 is routed via fd00:1::3, whose MAC nobody knows yet: the kernel
	 * resolves it (bpf_redirect_neigh); the MAC header stays as it was. */
	assert_int_equal(kdp_conn_set(k, &c, COA3), 0);
	n = client_tcp(in, DVIPA, 40001, WIRE_TCP_ACK, 10, 64);
	m = expect_insert(want, in, n, COA3, 1, NULL, NULL);
	run(fd, in, n, &r);
	assert_int_equal(r.ret, RET_REDIRECT);
	assert_int_equal(r.len, m);
	assert_memory_equal(r.out, want, m);
	kdp_close(&k);
}

static void
test_rs_local_target(void **state)
{
	struct kdp *k = load_stack();
	int fd = kdp_prog_fd(k, KDP_PROG_STACK_IN);
	struct kdp_conn c = conn(DVIPA, 40002);
	struct kdp_counters ct;
	uint8_t in[PKT_MAX];
	struct run r;
	size_t n = client_tcp(in, DVIPA, 40002, WIRE_TCP_ACK, 10, 64);

	(void)state;
	assert_int_equal(kdp_conn_set(k, &c, SELF), 0);
	/* No local device: the kernel's routing (into the TUN) decides. */
	assert_untouched(fd, in, n);
	assert_int_equal(stat(k, KDP_STAT_PASS_ROUTE), 1);
	/* With the TUN: handed into its ingress, unchanged, counted. */
	assert_int_equal(kdp_set_self(k, SELF, "kdptun"), 0);
	run(fd, in, n, &r);
	assert_int_equal(r.ret, RET_REDIRECT);
	assert_int_equal(r.len, n);
	assert_memory_equal(r.out, in, n);
	assert_int_equal(stat(k, KDP_STAT_LOCAL), 1);
	assert_int_equal(kdp_conn_get(k, &c, NULL, &ct), 0);
	assert_int_equal(ct.pkts, 1);
	kdp_close(&k);
}

static void
test_rs_slow_path(void **state)
{
	struct kdp *k = load_stack();
	int fd = kdp_prog_fd(k, KDP_PROG_STACK_IN);
	uint8_t in[PKT_MAX], seg[PKT_MAX], ext[PKT_MAX];
	size_t n, s;

	(void)state;
	/* SYN of a known connection: the daemon sees every SYN. */
	n = client_tcp(in, DVIPA, 40000, WIRE_TCP_SYN, 0, 64);
	assert_untouched(fd, in, n);
	assert_int_equal(stat(k, KDP_STAT_PASS_SYN), 1);
	/* Unknown connection. */
	n = client_tcp(in, DVIPA, 41234, WIRE_TCP_ACK, 10, 64);
	assert_untouched(fd, in, n);
	assert_int_equal(stat(k, KDP_STAT_PASS_NOENTRY), 1);
	/* A DVIPA we only serve (not owned) and an unknown address: not ours,
	 * not even counted as passed. */
	n = client_tcp(in, DVIPA2, 40000, WIRE_TCP_ACK, 10, 64);
	assert_untouched(fd, in, n);
	n = client_tcp(in, OTHER, 40000, WIRE_TCP_ACK, 10, 64);
	assert_untouched(fd, in, n);
	assert_int_equal(stat(k, KDP_STAT_PASS_NOENTRY), 1);
	/* UDP to the DVIPA, and TCP behind a Destination Options header. */
	memset(seg, 0, 16);
	n = frame(in, MAC_A, CLI, DVIPA, 64, WIRE_PROTO_UDP, seg, 16);
	assert_untouched(fd, in, n);
	ext[0] = WIRE_PROTO_TCP;
	ext[1] = 0;
	memset(ext + 2, 0, 6);
	ext[2] = 1;	/* PadN, 4 bytes of data */
	ext[3] = 4;
	s = tcp_seg(ext + 8, CLI, DVIPA, 40000, 8080, WIRE_TCP_ACK, 5, 10);
	n = frame(in, MAC_A, CLI, DVIPA, 64, WIRE_PROTO_DSTOPTS, ext, 8 + s);
	assert_untouched(fd, in, n);
	assert_int_equal(stat(k, KDP_STAT_PASS_PROTO), 2);
	/* Hop limit 1: the kernel's forwarding answers Time Exceeded. */
	n = client_tcp(in, DVIPA, 40000, WIRE_TCP_ACK, 10, 1);
	assert_untouched(fd, in, n);
	assert_int_equal(stat(k, KDP_STAT_PASS_HOPLIMIT), 1);
	/* Too big once the RH2 is in (route MTU 1500): the daemon sends Packet
	 * Too Big quoting the original.  1476 bytes still fit. */
	n = client_tcp(in, DVIPA, 40000, WIRE_TCP_ACK, 1500 - 40 - 32 - 23, 64);
	assert_int_equal(n - 14, 1477);
	assert_untouched(fd, in, n);
	assert_int_equal(stat(k, KDP_STAT_PASS_TOOBIG), 1);
	n = client_tcp(in, DVIPA, 40000, WIRE_TCP_ACK, 1500 - 40 - 32 - 24, 64);
	{
		struct run r;

		run(fd, in, n, &r);
		assert_int_equal(r.ret, RET_REDIRECT);
	}
	assert_int_equal(stat(k, KDP_STAT_FWD), 1);
	/* A GSO packet is judged by its segments: 40 + 32 + 1405 + 24 > 1500. */
	n = client_tcp(in, DVIPA, 40000, WIRE_TCP_ACK, 2 * 1405, 64);
	{
		struct run r;

		run_gso(fd, in, n, &r, 1405, 2);
		assert_int_equal(r.ret, RET_NEXT);
		assert_memory_equal(r.out, in, n);
	}
	assert_int_equal(stat(k, KDP_STAT_PASS_TOOBIG), 2);
	kdp_close(&k);
}

static void
test_rs_malformed(void **state)
{
	struct kdp *k = load_stack();
	int fd = kdp_prog_fd(k, KDP_PROG_STACK_IN);
	uint8_t in[PKT_MAX], seg[PKT_MAX];
	size_t n, s;

	(void)state;
	/* TCP data offset beyond the segment (60 bytes claimed, 32 there). */
	s = tcp_seg(seg, CLI, DVIPA, 40000, 8080, WIRE_TCP_ACK, 8, 0);
	seg[12] = 15 << 4;
	n = frame(in, MAC_A, CLI, DVIPA, 64, WIRE_PROTO_TCP, seg, s);
	assert_untouched(fd, in, n);
	/* Data offset below 5. */
	seg[12] = 4 << 4;
	n = frame(in, MAC_A, CLI, DVIPA, 64, WIRE_PROTO_TCP, seg, s);
	assert_untouched(fd, in, n);
	/* Truncated TCP header: 12 bytes. */
	n = frame(in, MAC_A, CLI, DVIPA, 64, WIRE_PROTO_TCP, seg, 12);
	assert_untouched(fd, in, n);
	/* Payload length larger than the packet, and 0 (jumbogram). */
	s = tcp_seg(seg, CLI, DVIPA, 40000, 8080, WIRE_TCP_ACK, 5, 10);
	n = frame_plen(in, MAC_A, CLI, DVIPA, 64, WIRE_PROTO_TCP, seg, s, (int)s + 1);
	assert_untouched(fd, in, n);
	n = frame_plen(in, MAC_A, CLI, DVIPA, 64, WIRE_PROTO_TCP, seg, s, 0);
	assert_untouched(fd, in, n);
	assert_int_equal(stat(k, KDP_STAT_PASS_MALFORMED), 5);
	/* Not counted at all: IPv6 version 4 in an IPv6 frame, an ARP frame,
	 * a frame for another MAC address.  (A frame shorter than the IPv6
	 * header is refused by BPF_PROG_TEST_RUN itself; the program checks
	 * the length before reading.) */
	n = frame(in, MAC_A, CLI, DVIPA, 64, WIRE_PROTO_TCP, seg, s);
	in[14] = 0x40;
	assert_untouched(fd, in, n);
	in[14] = 0x60;
	in[12] = 0x08;
	in[13] = 0x06;
	assert_untouched(fd, in, n);
	in[12] = 0x86;
	in[13] = 0xdd;
	memcpy(in, MAC_C, 6);
	assert_untouched(fd, in, n);
	assert_int_equal(stat(k, KDP_STAT_SEEN), 5);
	kdp_close(&k);
}

static void
test_rs_no_route(void **state)
{
	struct kdp *k = load_stack();
	int fd = kdp_prog_fd(k, KDP_PROG_STACK_IN);
	struct kdp_conn c = conn(DVIPA, 40003);
	uint8_t in[PKT_MAX], nowhere[16];
	size_t n;

	(void)state;
	ip6("fd00:99::9", nowhere);	/* no route at all */
	assert_int_equal(kdp_conn_set(k, &c, nowhere), 0);
	n = client_tcp(in, DVIPA, 40003, WIRE_TCP_ACK, 10, 64);
	assert_untouched(fd, in, n);
	assert_int_equal(stat(k, KDP_STAT_PASS_ROUTE), 1);
	/* Forwarding off on the LAN device: the kernel would not forward it
	 * either (the slow path decides as before). */
	sh("sysctl -qw net.ipv6.conf.kdpa.forwarding=0");
	n = client_tcp(in, DVIPA, 40000, WIRE_TCP_ACK, 10, 64);
	assert_untouched(fd, in, n);
	sh("sysctl -qw net.ipv6.conf.kdpa.forwarding=1");
	assert_int_equal(stat(k, KDP_STAT_PASS_ROUTE), 2);
	kdp_close(&k);
}

static void
test_loss(void **state)
{
	struct kdp *k = load_stack();
	int fd = kdp_prog_fd(k, KDP_PROG_STACK_IN);
	uint8_t in[PKT_MAX];
	struct run r;
	size_t n = client_tcp(in, DVIPA, 40000, WIRE_TCP_ACK, 10, 64);
	int i;

	(void)state;
	assert_int_equal(kdp_set_loss(k, 101), -EINVAL);
	assert_int_equal(kdp_set_loss(k, 100), 0);
	for (i = 0; i < 20; i++) {
		run(fd, in, n, &r);
		assert_int_equal(r.ret, RET_SHOT);
	}
	assert_int_equal(stat(k, KDP_STAT_LOSS), 20);
	assert_int_equal(kdp_set_loss(k, 0), 0);
	run(fd, in, n, &r);
	assert_int_equal(r.ret, RET_REDIRECT);
	assert_int_equal(stat(k, KDP_STAT_LOSS), 20);
	kdp_close(&k);
}

/* ---- target ---------------------------------------------------------------------- */

/* A packet as the routing stack (or a client) sends it to our care-of
 * address: wire_rh2_insert of `orig` (an Ethernet frame to dvipa). */
static size_t
to_careof(uint8_t *out, const uint8_t *orig, size_t len)
{
	return expect_insert(out, orig, len, SELF, 0, MAC_A, MAC_B);
}

static void
test_target_strip_exact(void **state)
{
	struct kdp *k = load_stack();
	int fd = kdp_prog_fd(k, KDP_PROG_STACK_IN);
	uint8_t orig[PKT_MAX], in[PKT_MAX], ref[PKT_MAX + 64], seg[PKT_MAX];
	struct kdp_dvipa_stats ds;
	struct run r;
	size_t n, m, s;
	ssize_t w;

	(void)state;
	n = client_tcp(orig, DVIPA2, 40000, WIRE_TCP_ACK | WIRE_TCP_PSH, 300, 63);
	memcpy(orig + 6, MAC_B, 6);
	m = to_careof(in, orig, n);
	run(fd, in, m, &r);
	assert_int_equal(r.ret, RET_OK);
	assert_int_equal(r.len, n);
	assert_memory_equal(r.out, orig, n);
	/* ... which is what wire_rh2_strip (dp.c) makes of the same input. */
	memcpy(ref, in, m);
	w = wire_rh2_strip(ref + 14, m - 14, NULL);
	assert_int_equal(w, (ssize_t)(n - 14));
	assert_memory_equal(r.out + 14, ref + 14 + WIRE_RH2_LEN, n - 14);
	assert_int_equal(kdp_dvipa_get(k, DVIPA2, &ds), 0);
	assert_int_equal(ds.strip_pkts, 1);
	assert_int_equal(ds.strip_bytes, m - 14);
	/* BPF_PROG_TEST_RUN can set gso_size but not a GSO type: the kernel
	 * then refuses to resize (only TCP GSO may be), and the packet goes
	 * unchanged and uncounted to the slow path.  (Real 64 KB TCP GSO
	 * packets are proven in tests/netns/test_kdp.sh.) */
	run_gso(fd, in, m, &r, 100, 3);
	assert_int_equal(r.ret, RET_NEXT);
	assert_memory_equal(r.out, in, m);
	assert_int_equal(stat(k, KDP_STAT_PASS_ERROR), 1);
	assert_int_equal(kdp_dvipa_get(k, DVIPA2, &ds), 0);
	assert_int_equal(ds.strip_pkts, 1);
	/* UDP and ICMPv6 behind the RH2 are stripped as well. */
	memset(seg, 0x11, 20);
	s = frame(orig, MAC_A, CLI, DVIPA2, 63, WIRE_PROTO_UDP, seg, 20);
	memcpy(orig + 6, MAC_B, 6);
	m = to_careof(in, orig, s);
	run(fd, in, m, &r);
	assert_int_equal(r.ret, RET_OK);
	assert_memory_equal(r.out, orig, s);
	/* With the TUN configured, into its ingress (as dp.c writes it). */
	assert_int_equal(kdp_set_self(k, SELF, "kdptun"), 0);
	run(fd, in, m, &r);
	assert_int_equal(r.ret, RET_REDIRECT);
	assert_memory_equal(r.out, orig, s);
	/* The owner of a DVIPA strips for it too (dp.c: target or owned). */
	n = client_tcp(orig, DVIPA, 40000, WIRE_TCP_ACK, 10, 63);
	memcpy(orig + 6, MAC_B, 6);
	m = to_careof(in, orig, n);
	run(fd, in, m, &r);
	assert_int_equal(r.ret, RET_REDIRECT);
	assert_memory_equal(r.out, orig, n);
	kdp_close(&k);
}

static void
test_target_slow_path(void **state)
{
	struct kdp *k = load_stack();
	int fd = kdp_prog_fd(k, KDP_PROG_STACK_IN);
	uint8_t orig[PKT_MAX], in[PKT_MAX], pl[PKT_MAX];
	struct mip6_rh2 rh;
	size_t n, m, s;

	(void)state;
	n = client_tcp(orig, DVIPA2, 40000, WIRE_TCP_ACK, 10, 63);
	m = to_careof(in, orig, n);
	/* Segments left 0, routing type 0, Hdr Ext Len 4. */
	in[14 + 40 + 3] = 0;
	assert_untouched(fd, in, m);
	in[14 + 40 + 3] = 1;
	in[14 + 40 + 2] = 0;
	assert_untouched(fd, in, m);
	in[14 + 40 + 2] = 2;
	in[14 + 40 + 1] = 4;
	assert_untouched(fd, in, m);
	in[14 + 40 + 1] = 2;
	/* A DVIPA we do not serve. */
	assert_int_equal(kdp_dvipa_set(k, DVIPA2, KDP_DVIPA_MOVING), 0);
	assert_untouched(fd, in, m);
	assert_int_equal(stat(k, KDP_STAT_PASS_NOENTRY), 1);
	assert_int_equal(kdp_dvipa_set(k, DVIPA2, KDP_DVIPA_TARGET), 0);
	/* To our care-of address without an RH2. */
	s = tcp_seg(pl, CLI, SELF, 40000, 8080, WIRE_TCP_ACK, 5, 10);
	n = frame(in, MAC_A, CLI, SELF, 64, WIRE_PROTO_TCP, pl, s);
	assert_untouched(fd, in, n);
	/* A Mobility Header (CoT, BA, BRR to the target) and a Destination
	 * Options header behind the RH2: the daemon's. */
	memset(&rh, 0, sizeof(rh));
	rh.next_hdr = WIRE_PROTO_MH;
	rh.segleft = 1;
	memcpy(rh.home, DVIPA2, 16);
	assert_int_equal(mip6_rh2_encode(&rh, pl, sizeof(pl)), WIRE_RH2_LEN);
	memset(pl + WIRE_RH2_LEN, 0, 16);
	pl[WIRE_RH2_LEN] = WIRE_PROTO_NONE;
	pl[WIRE_RH2_LEN + 1] = 1;
	n = frame(in, MAC_A, CLI, SELF, 64, WIRE_PROTO_ROUTING, pl, WIRE_RH2_LEN + 16);
	assert_untouched(fd, in, n);
	rh.next_hdr = WIRE_PROTO_DSTOPTS;
	assert_int_equal(mip6_rh2_encode(&rh, pl, sizeof(pl)), WIRE_RH2_LEN);
	n = frame(in, MAC_A, CLI, SELF, 64, WIRE_PROTO_ROUTING, pl, WIRE_RH2_LEN + 16);
	assert_untouched(fd, in, n);
	assert_int_equal(stat(k, KDP_STAT_PASS_PROTO), 6);
	/* Truncated: RH2 cut short; TCP header cut short behind it. */
	n = frame_plen(in, MAC_A, CLI, SELF, 64, WIRE_PROTO_ROUTING, pl, 20, 20);
	assert_untouched(fd, in, n);
	rh.next_hdr = WIRE_PROTO_TCP;
	assert_int_equal(mip6_rh2_encode(&rh, pl, sizeof(pl)), WIRE_RH2_LEN);
	n = frame(in, MAC_A, CLI, SELF, 64, WIRE_PROTO_ROUTING, pl, WIRE_RH2_LEN + 12);
	assert_untouched(fd, in, n);
	assert_int_equal(stat(k, KDP_STAT_PASS_MALFORMED), 2);
	assert_int_equal(stat(k, KDP_STAT_STRIP), 0);
	kdp_close(&k);
}

/* ---- client ---------------------------------------------------------------------- */

static struct kdp *
load_client(void)
{
	struct kdp *k = load(KDP_ROLE_CLIENT);
	uint8_t pfx[16];

	ip6("fd00:100::", pfx);
	assert_int_equal(kdp_prefix_add(k, pfx, 64), 0);
	return k;
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
test_client_bound(void **state)
{
	struct kdp *k = load_client();
	int fd = kdp_prog_fd(k, KDP_PROG_CLIENT_OUT);
	struct kdp_conn c = conn(DVIPA, 40000);
	struct kdp_counters ct;
	uint8_t in[PKT_MAX], want[PKT_MAX], pl[64];
	struct run r;
	size_t n, m;

	(void)state;
	/* Unbound: to the LAN untouched (the routing stack's job). */
	n = client_tcp(in, DVIPA, 40000, WIRE_TCP_ACK, 50, 64);
	memcpy(in, MAC_A, 6);	/* the routing stack's MAC */
	assert_untouched(fd, in, n);
	assert_int_equal(stat(k, KDP_STAT_UNBOUND), 1);
	/* Per connection: RH2 in, destination = care-of, its next hop's MAC. */
	assert_int_equal(kdp_bind_conn_set(k, &c, COA, now_ms() + 60000), 0);
	m = expect_insert(want, in, n, COA, 0, MAC_B, MAC_A);
	run(fd, in, n, &r);
	assert_int_equal(r.ret, RET_OK);	/* same device: on its way */
	assert_int_equal(r.len, m);
	assert_memory_equal(r.out, want, m);
	assert_int_equal(kdp_bind_conn_get(k, &c, &ct), 0);
	assert_int_equal(ct.pkts, 1);
	assert_int_equal(ct.bytes, n - 14);
	/* Another connection of the client is not bound by it. */
	n = client_tcp(in, DVIPA, 40001, WIRE_TCP_ACK, 50, 64);
	assert_untouched(fd, in, n);
	/* Expired: untouched again. */
	assert_int_equal(kdp_bind_conn_set(k, &c, COA, now_ms() - 1), 0);
	n = client_tcp(in, DVIPA, 40000, WIRE_TCP_ACK, 50, 64);
	assert_untouched(fd, in, n);
	/* Per home address: any packet to it, UDP included, SYN included. */
	assert_int_equal(kdp_bind_home_set(k, DVIPA, COA3, now_ms() + 60000), 0);
	memset(pl, 0x22, sizeof(pl));
	n = frame(in, MAC_A, CLI, DVIPA, 64, WIRE_PROTO_UDP, pl, sizeof(pl));
	m = expect_insert(want, in, n, COA3, 0, NULL, NULL);
	run(fd, in, n, &r);
	assert_int_equal(r.ret, RET_REDIRECT);	/* neighbour unknown: resolved */
	assert_memory_equal(r.out, want, m);
	n = client_tcp(in, DVIPA, 40000, WIRE_TCP_SYN, 0, 64);
	m = expect_insert(want, in, n, COA3, 0, NULL, NULL);
	run(fd, in, n, &r);
	assert_int_equal(r.ret, RET_REDIRECT);
	assert_memory_equal(r.out, want, m);
	/* A fragment is rewritten; one carrying a Mobility Header is not. */
	memset(pl, 0, 16);
	pl[0] = WIRE_PROTO_UDP;
	n = frame(in, MAC_A, CLI, DVIPA, 64, WIRE_PROTO_FRAGMENT, pl, 16);
	m = expect_insert(want, in, n, COA3, 0, NULL, NULL);
	run(fd, in, n, &r);
	assert_int_equal(r.ret, RET_REDIRECT);
	assert_memory_equal(r.out, want, m);
	pl[0] = WIRE_PROTO_MH;
	n = frame(in, MAC_A, CLI, DVIPA, 64, WIRE_PROTO_FRAGMENT, pl, 16);
	assert_untouched(fd, in, n);
	assert_int_equal(stat(k, KDP_STAT_BOUND), 4);
	kdp_close(&k);
}

/* The client ends its bound connection: a FIN goes direct and leaves the
 * binding 10 s; a refresh cannot extend that; an RST goes direct (and the
 * RSTs after it), anything else after it ends the binding; a SYN on the ports of a bound connection goes to the routing stack,
 * untouched, and ends the binding (it was for the old connection). */
static void
test_client_conn_end(void **state)
{
	struct kdp *k = load_client();
	int fd = kdp_prog_fd(k, KDP_PROG_CLIENT_OUT);
	struct kdp_conn c = conn(DVIPA, 40000);
	struct kdp_counters ct;
	uint8_t in[PKT_MAX];
	struct run r;
	uint64_t t0 = now_ms();
	size_t n;

	(void)state;
	assert_int_equal(kdp_bind_conn_set(k, &c, COA, t0 + 60000), 0);
	n = client_tcp(in, DVIPA, 40000, WIRE_TCP_ACK | WIRE_TCP_FIN, 0, 64);
	memcpy(in, MAC_A, 6);
	run(fd, in, n, &r);
	assert_int_equal(r.ret, RET_OK);
	assert_int_equal(kdp_bind_conn_get(k, &c, &ct), 0);
	assert_true(ct.fin_ms >= t0 && ct.fin_ms <= now_ms());
	assert_int_equal(ct.end_ms, 0);
	/* A refresh keeps the end 10 s after the FIN: still bound now. */
	assert_int_equal(kdp_bind_conn_set(k, &c, COA, t0 + 400000), 0);
	n = client_tcp(in, DVIPA, 40000, WIRE_TCP_ACK, 0, 64);
	run(fd, in, n, &r);
	assert_int_equal(r.ret, RET_OK);
	assert_int_equal(r.len, n + WIRE_RH2_LEN);
	/* An RST goes direct, so do the RSTs after it; anything else ends
	 * the binding. */
	n = client_tcp(in, DVIPA, 40000, WIRE_TCP_RST, 0, 64);
	run(fd, in, n, &r);
	assert_int_equal(r.len, n + WIRE_RH2_LEN);
	assert_int_equal(kdp_bind_conn_get(k, &c, &ct), 0);
	assert_true(ct.rst_ms >= t0);
	assert_int_equal(ct.end_ms, 0);
	run(fd, in, n, &r);
	assert_int_equal(r.len, n + WIRE_RH2_LEN);
	n = client_tcp(in, DVIPA, 40000, WIRE_TCP_ACK, 0, 64);
	assert_untouched(fd, in, n);
	assert_int_equal(kdp_bind_conn_get(k, &c, &ct), 0);
	assert_true(ct.end_ms >= t0);
	/* Refreshed after its end: still over. */
	assert_int_equal(kdp_bind_conn_set(k, &c, COA, now_ms() + 60000), 0);
	assert_untouched(fd, in, n);
	/* A new binding, then a SYN on its ports: untouched, and it ends. */
	assert_int_equal(kdp_bind_conn_del(k, &c), 0);
	assert_int_equal(kdp_bind_conn_set(k, &c, COA, now_ms() + 60000), 0);
	n = client_tcp(in, DVIPA, 40000, WIRE_TCP_SYN, 0, 64);
	assert_untouched(fd, in, n);
	assert_int_equal(kdp_bind_conn_get(k, &c, &ct), 0);
	assert_true(ct.end_ms >= t0);
	assert_int_equal(ct.pkts, 0);
	kdp_close(&k);
}

static void
test_client_untouched(void **state)
{
	struct kdp *k = load_client();
	int fd = kdp_prog_fd(k, KDP_PROG_CLIENT_OUT);
	uint8_t in[PKT_MAX], pl[PKT_MAX];
	struct mip6_rh2 rh;
	size_t n, s;

	(void)state;
	assert_int_equal(kdp_bind_home_set(k, DVIPA, COA, now_ms() + 60000), 0);
	assert_int_equal(kdp_bind_home_set(k, OTHER, COA, now_ms() + 60000), 0);
	/* Outside the DVIPA prefixes: not looked at, even with a binding. */
	n = client_tcp(in, OTHER, 40000, WIRE_TCP_ACK, 10, 64);
	assert_untouched(fd, in, n);
	assert_int_equal(stat(k, KDP_STAT_SEEN), 1);
	assert_int_equal(stat(k, KDP_STAT_BOUND), 0);
	/* Mobility Header (HoT to the home address must go the home way). */
	memset(pl, 0, 16);
	pl[0] = WIRE_PROTO_NONE;
	pl[1] = 1;
	n = frame(in, MAC_A, CLI, DVIPA, 64, WIRE_PROTO_MH, pl, 16);
	assert_untouched(fd, in, n);
	/* Already has a routing header (a BA the agent built). */
	memset(&rh, 0, sizeof(rh));
	rh.next_hdr = WIRE_PROTO_TCP;
	rh.segleft = 1;
	memcpy(rh.home, DVIPA, 16);
	assert_int_equal(mip6_rh2_encode(&rh, pl, sizeof(pl)), WIRE_RH2_LEN);
	s = tcp_seg(pl + WIRE_RH2_LEN, CLI, DVIPA, 40000, 8080, WIRE_TCP_ACK, 5, 0);
	n = frame(in, MAC_A, CLI, COA, 64, WIRE_PROTO_ROUTING, pl, WIRE_RH2_LEN + s);
	assert_untouched(fd, in, n);
	n = frame(in, MAC_A, CLI, DVIPA, 64, WIRE_PROTO_ROUTING, pl, WIRE_RH2_LEN + s);
	assert_untouched(fd, in, n);
	/* Hop-by-Hop first (the RH2 cannot go before it). */
	memset(pl, 0, 8);
	pl[0] = WIRE_PROTO_UDP;
	pl[2] = 1;
	pl[3] = 4;
	n = frame(in, MAC_A, CLI, DVIPA, 64, WIRE_PROTO_HOPOPTS, pl, 16);
	assert_untouched(fd, in, n);
	assert_int_equal(stat(k, KDP_STAT_PASS_PROTO), 3);
	/* Truncated TCP header; payload length beyond the packet. */
	s = tcp_seg(pl, CLI, DVIPA, 40000, 8080, WIRE_TCP_ACK, 5, 0);
	n = frame(in, MAC_A, CLI, DVIPA, 64, WIRE_PROTO_TCP, pl, 10);
	assert_untouched(fd, in, n);
	n = frame_plen(in, MAC_A, CLI, DVIPA, 64, WIRE_PROTO_TCP, pl, s, (int)s + 8);
	assert_untouched(fd, in, n);
	assert_int_equal(stat(k, KDP_STAT_PASS_MALFORMED), 2);
	/* Fault injection applies to DVIPA traffic, bound or not. */
	assert_int_equal(kdp_set_loss(k, 100), 0);
	n = client_tcp(in, DVIPA, 40000, WIRE_TCP_ACK, 10, 64);
	{
		struct run r;

		run(fd, in, n, &r);
		assert_int_equal(r.ret, RET_SHOT);
		n = client_tcp(in, OTHER, 40000, WIRE_TCP_ACK, 10, 64);
		run(fd, in, n, &r);
		assert_int_equal(r.ret, RET_NEXT);
	}
	kdp_close(&k);
}

/* A standard mobile node's packet: from its care-of address with a Home
 * Address option naming `home`, TCP to the client. */
static size_t
mn_packet(uint8_t *out, const uint8_t coa[16], const uint8_t home[16], uint8_t upper,
	  size_t *plain_len, uint8_t *plain)
{
	uint8_t pl[PKT_MAX], seg[PKT_MAX];
	struct mip6_hao h;
	size_t s = tcp_seg(seg, home, CLI, 8080, 40000, WIRE_TCP_ACK, 5, 33);

	memset(&h, 0, sizeof(h));
	h.next_hdr = upper;
	memcpy(h.home, home, 16);
	assert_int_equal(mip6_hao_encode(&h, pl, sizeof(pl)), MIP6_HAO_HDR_LEN);
	memcpy(pl + MIP6_HAO_HDR_LEN, seg, s);
	if (plain)
		*plain_len = frame(plain, MAC_A, home, CLI, 64, WIRE_PROTO_TCP, seg, s);
	return frame(out, MAC_A, coa, CLI, 64, WIRE_PROTO_DSTOPTS, pl, MIP6_HAO_HDR_LEN + s);
}

static void
test_client_hao(void **state)
{
	struct kdp *k = load_client();
	int fd = kdp_prog_fd(k, KDP_PROG_CLIENT_IN);
	uint8_t in[PKT_MAX], want[PKT_MAX];
	struct kdp_counters ct;
	struct run r;
	size_t n, m;

	(void)state;
	n = mn_packet(in, COA, DVIPA, WIRE_PROTO_TCP, &m, want);
	/* No binding: the agent answers with a Binding Error. */
	assert_untouched(fd, in, n);
	assert_int_equal(stat(k, KDP_STAT_PASS_NOENTRY), 1);
	/* Bound at another care-of address, or expired: same. */
	assert_int_equal(kdp_bind_home_set(k, DVIPA, COA3, now_ms() + 60000), 0);
	assert_untouched(fd, in, n);
	assert_int_equal(kdp_bind_home_set(k, DVIPA, COA, now_ms() - 1), 0);
	assert_untouched(fd, in, n);
	/* Bound: the option header goes, the source is the home address. */
	assert_int_equal(kdp_bind_home_set(k, DVIPA, COA, now_ms() + 60000), 0);
	run(fd, in, n, &r);
	assert_int_equal(r.ret, RET_OK);
	assert_int_equal(r.len, m);
	assert_memory_equal(r.out, want, m);
	assert_int_equal(wire_csum_ip6(DVIPA, CLI, WIRE_PROTO_TCP, r.out + 54, m - 54), 0);
	assert_int_equal(kdp_bind_home_get(k, DVIPA, &ct), 0);
	assert_int_equal(ct.hao_pkts, 1);
	assert_int_equal(stat(k, KDP_STAT_HAO), 1);
	/* A Binding Update with a HAO: the agent verifies it. */
	n = mn_packet(in, COA, DVIPA, WIRE_PROTO_MH, NULL, NULL);
	assert_untouched(fd, in, n);
	/* Malformed options: a HAO of length 8; an option overrunning. */
	n = mn_packet(in, COA, DVIPA, WIRE_PROTO_TCP, NULL, NULL);
	in[14 + 40 + 7] = 8;
	assert_untouched(fd, in, n);
	in[14 + 40 + 7] = 16;
	in[14 + 40 + 3] = 40;
	assert_untouched(fd, in, n);
	assert_int_equal(stat(k, KDP_STAT_PASS_MALFORMED), 2);
	/* Destination options without a HAO: the kernel's business. */
	in[14 + 40 + 3] = 0;
	in[14 + 40 + 3] = 2;
	in[14 + 40 + 6] = 0x1e;	/* an unknown skippable option type */
	assert_untouched(fd, in, n);
	kdp_close(&k);
}

/* ---- API ------------------------------------------------------------------------- */

static int
count_cb(const struct kdp_conn *c, const uint8_t dest[16], const struct kdp_counters *ct,
	 void *arg)
{
	(void)c;
	(void)dest;
	(void)ct;
	(*(int *)arg)++;
	return 0;
}

/* Which client ports a walk met (ports 50000..50015). */
static int
mark_cb(const struct kdp_conn *c, const uint8_t dest[16], const struct kdp_counters *ct,
	void *arg)
{
	(void)dest;
	(void)ct;
	((int *)arg)[c->cport - 50000]++;
	return 0;
}

static void
test_api(void **state)
{
	struct kdp_opts o = { .role = KDP_ROLE_STACK, .attach = KDP_ATTACH_NONE, .max_conns = 4 };
	char err[KDP_ERR_LEN];
	struct kdp *k, *c;
	struct kdp_conn cn;
	struct kdp_counters ct;
	uint8_t dest[16];
	int i, seen = 0;

	(void)state;
	assert_int_equal(kdp_open(&k, &o, err, sizeof(err)), 0);
	assert_string_equal(kdp_attach_name(k), "none");
	for (i = 0; i < 4; i++) {
		cn = conn(DVIPA, (uint16_t)(50000 + i));
		assert_int_equal(kdp_conn_set(k, &cn, COA), 0);
	}
	cn = conn(DVIPA, 50009);
	assert_int_equal(kdp_conn_set(k, &cn, COA), -ENOSPC);
	assert_int_equal(kdp_conn_get(k, &cn, NULL, NULL), -ENOENT);
	cn = conn(DVIPA, 50001);
	assert_int_equal(kdp_conn_set(k, &cn, COA3), 0);	/* update in place */
	assert_int_equal(kdp_conn_get(k, &cn, dest, &ct), 0);
	assert_memory_equal(dest, COA3, 16);
	assert_int_equal(kdp_conn_foreach(k, count_cb, &seen), 4);
	assert_int_equal(seen, 4);
	assert_int_equal(kdp_conn_del(k, &cn), 0);
	assert_int_equal(kdp_conn_del(k, &cn), -ENOENT);
	seen = 0;
	assert_int_equal(kdp_conn_foreach(k, count_cb, &seen), 3);
	{
		/* The walk in steps of at most 2 (whole hash buckets: fewer when
		 * the next bucket would not fit, all of one bucket if it alone
		 * holds more) until the end, then from the start again; every
		 * entry met once per pass.  Deleting entries does not disturb
		 * it (the cursor is a bucket). */
		struct kdp_conn_cursor cur;
		int met[16] = { 0 };
		int n, sum = 0, steps = 0;

		memset(&cur, 0, sizeof(cur));
		do {
			n = kdp_conn_walk(k, &cur, 2, mark_cb, met);
			assert_true(n <= 3);
			sum += n;
			assert_true(++steps <= 4);
		} while (cur.have);
		assert_int_equal(sum, 3);
		assert_int_equal(met[0] + met[1] + met[2] + met[3], 3);
		assert_int_equal(met[0], 1);
		assert_int_equal(met[2], 1);
		assert_int_equal(met[3], 1);
		assert_int_equal(kdp_conn_walk(k, &cur, 8, mark_cb, met), 3);
		assert_false(cur.have);
		memset(&cur, 0, sizeof(cur));
		memset(met, 0, sizeof(met));
		n = kdp_conn_walk(k, &cur, 1, mark_cb, met);
		cn = conn(DVIPA, 50000);
		assert_int_equal(kdp_conn_del(k, &cn), 0);
		cn = conn(DVIPA, 50002);
		assert_int_equal(kdp_conn_del(k, &cn), 0);
		while (cur.have)
			n += kdp_conn_walk(k, &cur, 1, mark_cb, met);
		assert_true(n >= 1 && n <= 3);
		assert_int_equal(met[3], 1);	/* never deleted: met */
		assert_int_equal(kdp_conn_walk(k, &cur, 8, NULL, NULL), 1);
		assert_int_equal(kdp_conn_foreach(k, NULL, NULL), 1);
	}
	/* A table larger than one batch: every entry once, in both walks. */
	{
		struct kdp_opts ob = o;
		struct kdp *kb;
		struct kdp_conn_cursor cur;
		int n = 0;

		ob.max_conns = 1000;
		assert_int_equal(kdp_open(&kb, &ob, err, sizeof(err)), 0);
		for (i = 0; i < 1000; i++) {
			cn = conn(DVIPA, (uint16_t)(20000 + i));
			assert_int_equal(kdp_conn_set(kb, &cn, COA), 0);
		}
		assert_int_equal(kdp_conn_foreach(kb, NULL, NULL), 1000);
		memset(&cur, 0, sizeof(cur));
		do {
			int m = kdp_conn_walk(kb, &cur, 100, NULL, NULL);

			assert_true(m <= 110);
			n += m;
		} while (cur.have);
		assert_int_equal(n, 1000);
		kdp_close(&kb);
	}
	/* Roles and arguments. */
	assert_int_equal(kdp_prefix_add(k, DVIPA, 64), -EOPNOTSUPP);
	assert_int_equal(kdp_bind_home_set(k, DVIPA, COA, 1), -EOPNOTSUPP);
	assert_int_equal(kdp_dvipa_set(k, DVIPA, 0x80), -EINVAL);
	assert_int_equal(kdp_set_self(k, SELF, "kdpa"), -EINVAL);	/* has a MAC */
	assert_int_equal(kdp_set_self(k, SELF, "nonexistent0"), -ENODEV);
	assert_int_equal(kdp_prog_fd(k, KDP_PROG_CLIENT_OUT), -ENOENT);
	assert_non_null(kdp_stat_name(KDP_STAT_PASS_SYN));
	assert_string_equal(kdp_stat_name(KDP_STAT_LOSS), "loss");
	assert_null(kdp_stat_name(KDP_STAT_COUNT));
	kdp_close(&k);
	kdp_close(&k);	/* safe twice */

	o.role = KDP_ROLE_CLIENT;
	o.max_conns = 0;
	assert_int_equal(kdp_open(&c, &o, err, sizeof(err)), 0);
	assert_int_equal(kdp_conn_set(c, &cn, COA), -EOPNOTSUPP);
	assert_int_equal(kdp_set_self(c, SELF, NULL), -EOPNOTSUPP);
	assert_int_equal(kdp_prefix_add(c, DVIPA, 129), -EINVAL);
	assert_int_equal(kdp_prefix_add(c, DVIPA, 64), 0);
	assert_int_equal(kdp_prefix_del(c, DVIPA, 64), 0);
	assert_int_equal(kdp_prefix_del(c, DVIPA, 64), -ENOENT);
	assert_int_equal(kdp_bind_home_del(c, DVIPA), -ENOENT);
	kdp_close(&c);

	/* A missing device: a clear error, nothing left behind. */
	o.attach = KDP_ATTACH_AUTO;
	o.ifname = "nonexistent0";
	assert_int_equal(kdp_open(&c, &o, err, sizeof(err)), -ENODEV);
	assert_null(c);
	assert_non_null(strstr(err, "kernel data path unavailable"));
	assert_non_null(strstr(err, "nonexistent0"));
	o.role = 7;
	assert_int_equal(kdp_open(&c, &o, err, sizeof(err)), -EINVAL);
}

/* Without privileges BPF cannot load: a negative errno and one line that
 * says so, for the daemon's log before it falls back to the TUN path. */
static void
test_unprivileged(void **state)
{
	int fds[2], st;
	char err[KDP_ERR_LEN + 16] = "";
	ssize_t n;
	pid_t pid;

	(void)state;
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct kdp_opts o = { .role = KDP_ROLE_STACK, .attach = KDP_ATTACH_NONE };
		struct kdp *k = NULL;
		char e[KDP_ERR_LEN];
		int r;

		close(fds[0]);
		if (setgid(65534) != 0 || setuid(65534) != 0)
			_exit(2);
		r = kdp_open(&k, &o, e, sizeof(e));
		if (write(fds[1], e, strlen(e)) < 0)
			_exit(2);
		_exit(r < 0 && !k ? 0 : 1);
	}
	close(fds[1]);
	n = read(fds[0], err, sizeof(err) - 1);
	close(fds[0]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_true(n > 0);
	err[n] = '\0';
	assert_non_null(strstr(err, "kernel data path unavailable: loading the stack program"));
	assert_null(strchr(err, '\n'));
}

/* Asserts what is attached to a hook of kdpb: count and a name in it. */
static void
expect_attached(int ingress, int count, const char *name)
{
	char names[256];
	int n = kdp_attached("kdpb", ingress, names, sizeof(names));

	if (n != count || (name && !strstr(names, name)))
		fail_msg("kdpb %s: %d attached (%s), expected %d (%s)",
			 ingress ? "ingress" : "egress", n, names, count, name ? name : "-");
}

/* Attaches in a child that then dies without cleaning up. */
static void
attach_and_die(enum kdp_role role, enum kdp_attach mode)
{
	pid_t pid = fork();
	int st;

	assert_true(pid >= 0);
	if (pid == 0) {
		struct kdp_opts o = { .role = role, .ifname = "kdpb", .attach = mode };
		char err[KDP_ERR_LEN];
		struct kdp *k;

		_exit(kdp_open(&k, &o, err, sizeof(err)) == 0 ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void
test_attach_lifetime(void **state)
{
	struct kdp_opts o = { .role = KDP_ROLE_STACK, .ifname = "kdpb", .attach = KDP_ATTACH_AUTO };
	char err[KDP_ERR_LEN];
	struct kdp *k;

	(void)state;
	/* tcx: attached while the instance lives, gone with its process. */
	expect_attached(1, 0, NULL);
	assert_int_equal(kdp_open(&k, &o, err, sizeof(err)), 0);
	assert_string_equal(kdp_attach_name(k), "tcx");
	expect_attached(1, 1, "kdp_stack_in");
	expect_attached(0, 0, NULL);
	kdp_close(&k);
	expect_attached(1, 0, NULL);
	attach_and_die(KDP_ROLE_CLIENT, KDP_ATTACH_TCX);
	expect_attached(1, 0, NULL);
	expect_attached(0, 0, NULL);

	/* cls_bpf: outlives a killed process; cleaned up explicitly ... */
	attach_and_die(KDP_ROLE_CLIENT, KDP_ATTACH_TC);
	expect_attached(1, 1, "kdp_client_in");
	expect_attached(0, 1, "kdp_client_out");
	assert_int_equal(kdp_cleanup("kdpb"), 2);
	expect_attached(1, 0, NULL);
	expect_attached(0, 0, NULL);
	assert_int_equal(kdp_cleanup("kdpb"), 0);
	assert_int_equal(kdp_cleanup("nonexistent0"), -ENODEV);
	assert_int_equal(kdp_attached("nonexistent0", 1, NULL, 0), -ENODEV);
	/* ... or replaced by the next instance, in either mode. */
	attach_and_die(KDP_ROLE_STACK, KDP_ATTACH_TC);
	o.attach = KDP_ATTACH_TC;
	assert_int_equal(kdp_open(&k, &o, err, sizeof(err)), 0);
	assert_string_equal(kdp_attach_name(k), "tc");
	expect_attached(1, 1, "kdp_stack_in");
	kdp_close(&k);
	expect_attached(1, 0, NULL);
	attach_and_die(KDP_ROLE_STACK, KDP_ATTACH_TC);
	expect_attached(1, 1, "kdp_stack_in");
	o.attach = KDP_ATTACH_AUTO;
	assert_int_equal(kdp_open(&k, &o, err, sizeof(err)), 0);
	assert_string_equal(kdp_attach_name(k), "tcx");
	expect_attached(1, 1, "kdp_stack_in");	/* ours via tcx, the leftover gone */
	kdp_close(&k);
	expect_attached(1, 0, NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rs_forward_exact),
		cmocka_unit_test(test_rs_lease),
		cmocka_unit_test(test_rs_no_neighbour),
		cmocka_unit_test(test_rs_local_target),
		cmocka_unit_test(test_rs_slow_path),
		cmocka_unit_test(test_rs_malformed),
		cmocka_unit_test(test_rs_no_route),
		cmocka_unit_test(test_loss),
		cmocka_unit_test(test_target_strip_exact),
		cmocka_unit_test(test_target_slow_path),
		cmocka_unit_test(test_client_bound),
		cmocka_unit_test(test_client_conn_end),
		cmocka_unit_test(test_client_untouched),
		cmocka_unit_test(test_client_hao),
		cmocka_unit_test(test_api),
		cmocka_unit_test(test_unprivileged),
		cmocka_unit_test(test_attach_lifetime),
	};

	if (geteuid() != 0) {
		fprintf(stderr, "test_kdp: needs root (BPF, a network namespace); skipped\n");
		return 0;
	}
	if (unshare(CLONE_NEWNET) != 0) {
		perror("test_kdp: unshare(CLONE_NEWNET)");
		return 1;
	}
	ip6("fd00:1::101", CLI);
	ip6("fd00:100::1", DVIPA);
	ip6("fd00:100::2", DVIPA2);
	ip6("fd00:10::2", COA);
	ip6("fd00:10::3", COA3);
	ip6("fd00:10::1", SELF);
	ip6("fd00:200::9", OTHER);
	if (!sh_ok("ip link set lo up && "
	   "ip link add kdpa address 02:00:00:00:00:01 type veth peer name kdpb && "
	   "ip link set kdpa up && ip link set kdpb up && "
	   "sysctl -qw net.ipv6.conf.all.forwarding=1 && "
	   "ip -6 addr add fd00:1::1/64 dev kdpa nodad && "
	   "ip -6 neigh add fd00:1::2 lladdr 02:00:00:00:00:02 dev kdpa nud permanent && "
	   "ip -6 route add fd00:10::2/128 via fd00:1::2 dev kdpa && "
	   "ip -6 route add fd00:10::3/128 via fd00:1::3 dev kdpa && "
	   "ip tuntap add dev kdptun mode tun && ip link set kdptun up")) {
		fprintf(stderr, "test_kdp: cannot build the test namespace\n");
		return 1;
	}
	ifindex_a = (int)if_nametoindex("kdpa");
	if (ifindex_a <= 0) {
		fprintf(stderr, "test_kdp: no device kdpa\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
