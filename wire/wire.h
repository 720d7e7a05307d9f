/*
 * wire.h - pure encoders and decoders for everything sysplex puts on a wire.
 *
 * Contract for every function in this module:
 *  - no I/O, no clock, no logging, no globals, no malloc: safe to fuzz;
 *  - decoders check every length before reading and return 0 on success or a
 *    negative errno (-EINVAL malformed, -EPROTO wrong version/type,
 *    -EMSGSIZE truncated); when `reason` is non-NULL a static string naming
 *    what was wrong is stored there;
 *  - encoders return the number of bytes written or -ENOSPC when `cap` is
 *    too small; they never write past cap;
 *  - all multi-byte fields on the wire are network byte order, except the
 *    virtio-net header, which is host order by definition (TUN vnet header);
 *  - decode(encode(x)) == x for every message (tested in tests/unit).
 *
 * Sections: bounded readers/writers, IPv6/TCP packet view and the in-place
 * Type 2 Routing Header rewrite used on the forwarding path, checksums, the
 * XCF bus envelope and message bodies, and (mip6_*) the Mobility Header.
 */
#ifndef SYSPLEX_WIRE_H
#define SYSPLEX_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* ---- bounded reader / writer ------------------------------------------- */
struct wire_rd {
	const uint8_t *p;
	size_t len, off;
	int err;		/* sticky: set to -EMSGSIZE on the first over-read */
};
struct wire_wr {
	uint8_t *p;
	size_t cap, off;
	int err;		/* sticky: set to -ENOSPC on the first over-write */
};
void wire_rd_init(struct wire_rd *r, const uint8_t *p, size_t len);
uint8_t wire_rd_u8(struct wire_rd *r);
uint16_t wire_rd_u16(struct wire_rd *r);
uint32_t wire_rd_u32(struct wire_rd *r);
uint64_t wire_rd_u64(struct wire_rd *r);
void wire_rd_bytes(struct wire_rd *r, void *out, size_t n);	/* zero-fills on error */
size_t wire_rd_left(const struct wire_rd *r);
void wire_wr_init(struct wire_wr *w, uint8_t *p, size_t cap);
void wire_wr_u8(struct wire_wr *w, uint8_t v);
void wire_wr_u16(struct wire_wr *w, uint16_t v);
void wire_wr_u32(struct wire_wr *w, uint32_t v);
void wire_wr_u64(struct wire_wr *w, uint64_t v);
void wire_wr_bytes(struct wire_wr *w, const void *p, size_t n);
/* Returns w->off, or w->err when an over-write happened. */
ssize_t wire_wr_result(const struct wire_wr *w);

/* ---- Internet checksum --------------------------------------------------- */
/* One's-complement sum of data (not folded, not inverted) added to `sum`. */
uint32_t wire_csum_add(uint32_t sum, const void *data, size_t len);
uint16_t wire_csum_fold(uint32_t sum);	/* folds and inverts */
/* Upper-layer checksum over the IPv6 pseudo-header (RFC 8200 8.1) and data. */
uint16_t wire_csum_ip6(const uint8_t src[16], const uint8_t dst[16], uint8_t proto,
		       const void *data, size_t len);

/* ---- virtio-net header (IFF_VNET_HDR on TUN; 10 bytes, host order) -------- */
#define WIRE_VNET_HDR_LEN 10
#define WIRE_VNET_F_NEEDS_CSUM 1
#define WIRE_VNET_GSO_NONE 0
#define WIRE_VNET_GSO_TCPV4 1
#define WIRE_VNET_GSO_UDP 3
#define WIRE_VNET_GSO_TCPV6 4
#define WIRE_VNET_GSO_UDP_L4 5
#define WIRE_VNET_GSO_ECN 0x80
struct wire_vnet_hdr {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
};
void wire_vnet_decode(struct wire_vnet_hdr *h, const uint8_t p[WIRE_VNET_HDR_LEN]);
void wire_vnet_encode(const struct wire_vnet_hdr *h, uint8_t p[WIRE_VNET_HDR_LEN]);

/* ---- IPv6 packet view ------------------------------------------------------
 *
 *  0                   1                   2                   3
 * +-------+-------+---------------+-------------------------------+
 * |Version| Traffic Class |           Flow Label                  |
 * +-------+-------+---------------+---------------+---------------+
 * |         Payload Length        |  Next Header  |   Hop Limit   |
 * +-------------------------------+---------------+---------------+
 * |                 Source Address (16)  | Destination Address (16)|
 * +---------------------------------------------------------------+
 * followed by extension headers (Hop-by-Hop 0, Routing 43, Fragment 44,
 * Destination Options 60, Mobility 135 is an upper layer) and the payload.
 */
#define WIRE_IP6_HDR_LEN 40
#define WIRE_RH2_LEN 24
#define WIRE_PROTO_HOPOPTS 0
#define WIRE_PROTO_TCP 6
#define WIRE_PROTO_UDP 17
#define WIRE_PROTO_ROUTING 43
#define WIRE_PROTO_FRAGMENT 44
#define WIRE_PROTO_ICMPV6 58
#define WIRE_PROTO_NONE 59
#define WIRE_PROTO_DSTOPTS 60
#define WIRE_PROTO_MH 135
#define WIRE_TCP_FIN 0x01
#define WIRE_TCP_SYN 0x02
#define WIRE_TCP_RST 0x04
#define WIRE_TCP_PSH 0x08
#define WIRE_TCP_ACK 0x10

struct wire_pkt {
	const uint8_t *src;		/* -> source address in the packet */
	const uint8_t *dst;		/* -> destination address in the packet */
	uint16_t payload_len;		/* from the header */
	uint8_t hop_limit;
	uint8_t proto;			/* upper-layer protocol after extension headers */
	uint16_t l4_off;		/* offset of the upper-layer header */
	uint16_t rh_off;		/* offset of a Routing Header, 0 if none */
	uint8_t rh_type, rh_segleft;
	const uint8_t *rh2_home;	/* -> home address of a valid Type 2 RH, else NULL */
	uint16_t hao_off;		/* offset of the Home Address option, 0 if none */
	const uint8_t *hao;		/* -> home address in a HAO, else NULL */
	int is_fragment;		/* a Fragment header was seen (l4 not parsed) */
	/* TCP only (proto == 6 and header present): */
	uint16_t sport, dport;
	uint8_t tcp_flags;
	uint8_t tcp_hlen;		/* TCP header length in bytes */
};
/*
 * Parses the IPv6 header and walks extension headers up to the upper-layer
 * protocol.  Bytes beyond 40 + payload_len are ignored; a packet shorter than
 * its payload length is -EMSGSIZE (TUN GSO super-packets carry a correct
 * payload length, so they parse like any other packet).
 */
int wire_ip6_parse(struct wire_pkt *pk, const uint8_t *pkt, size_t len, const char **reason);
/*
 * Writes the 40-byte fixed IPv6 header of a packet we build: version 6,
 * traffic class and flow label 0, hop limit 64, the next header and the
 * payload length given.  Returns WIRE_IP6_HDR_LEN, or -ENOSPC when cap is
 * smaller.
 */
ssize_t wire_ip6_hdr_encode(uint8_t *p, size_t cap, const uint8_t src[16], const uint8_t dst[16],
			    uint8_t next_hdr, uint16_t payload_len);

/*
 * In-place Type 2 Routing Header rewrite for the forwarding paths.
 *
 *  RH2 (RFC 6275 6.4), 24 bytes, placed directly after the fixed header:
 * +---------------+---------------+---------------+---------------+
 * |  Next Header  | Hdr Ext Len=2 | Routing Type=2| Seg Left=1    |
 * +---------------+---------------+---------------+---------------+
 * |                          Reserved                             |
 * +---------------------------------------------------------------+
 * |                      Home Address (16)                        |
 * +---------------------------------------------------------------+
 *
 * wire_rh2_insert: `pkt` points at an IPv6 packet of `len` bytes with at
 * least WIRE_RH2_LEN bytes of writable headroom before it.  The fixed header
 * moves 24 bytes back, the RH2 is written after it with home address = the
 * old destination, the destination becomes `coa`, payload length grows by
 * 24.  `vh` (may be NULL) is adjusted for GSO/checksum offsets.  Returns the
 * new length; the packet now starts at pkt - 24.  Upper-layer checksums stay
 * valid because they cover the final destination (the home address).
 * -EMSGSIZE when truncated or a length would pass 65535, -EINVAL when not
 * IPv6 or a Hop-by-Hop header comes first (it must stay first).
 *
 * wire_rh2_strip: undoes it: requires an RH2 directly after the fixed header
 * with segments left 1; the destination becomes the home address, the fixed
 * header moves 24 bytes forward.  Returns the new length; the packet now
 * starts at pkt + 24.  -EINVAL when there is no such RH2 (or vh's
 * csum_start points into it), -EMSGSIZE when truncated.
 */
ssize_t wire_rh2_insert(uint8_t *pkt, size_t len, const uint8_t coa[16],
			struct wire_vnet_hdr *vh);
ssize_t wire_rh2_strip(uint8_t *pkt, size_t len, struct wire_vnet_hdr *vh);

/* ---- XCF bus envelope ---------------------------------------------------------
 *
 * Every bus message is one ZeroMQ frame: a 40-byte envelope and a body.
 *  0       1       2       3
 * +-------+-------+-------+-------+
 * |  'X'  |  'C'  |version| type  |   version = WIRE_XCF_VERSION
 * +-------+-------+-------+-------+
 * |     flags     |   body len    |   body len = frame length - 40
 * +-------+-------+-------+-------+
 * |   sender member name (16 bytes, NUL padded)  |
 * +-------+-------+-------+-------+
 * |      incarnation (u64)        |   changes each time the member starts
 * +-------+-------+-------+-------+
 * |      sequence (u64)           |   per sender and incarnation: grows by one
 * +-------+-------+-------+-------+   with every message the sender sends
 * |      body ...                     (from 1), never reused, never wraps
 */
#define WIRE_XCF_VERSION 4	/* 2: TGT_CONN records carry the BU sequence number;
				 * 3: WLM data in TGT_LISTEN, HOTSTANDBY in DIST_ADV;
				 * 4: a 64-bit sequence number (receivers refuse
				 * one that does not grow: replays) */
#define WIRE_XCF_HDR_LEN 40
#define WIRE_XCF_NAME_LEN 16
#define WIRE_XCF_MAX_BODY 65000
enum wire_xcf_type {
	WIRE_XCF_HEARTBEAT = 1,	/* group: membership and liveness */
	WIRE_XCF_LEAVE = 2,	/* group: orderly leave */
	WIRE_XCF_VIPA_ADV = 3,	/* group: a stack's DVIPA definitions and status */
	WIRE_XCF_DIST_ADV = 4,	/* group: owner's distribution of a DVIPA */
	WIRE_XCF_TGT_LISTEN = 5,	/* directed to owner: listeners (Rdy) per port */
	WIRE_XCF_TGT_CONN = 6,	/* directed to owner: connections established/ended */
	WIRE_XCF_TGT_SYNC_REQ = 7,	/* directed to target: report everything again */
	WIRE_XCF_MIP6_COPY = 8,	/* directed: a copy of a Mobility Header packet */
	WIRE_XCF_BIND_INFO = 9,	/* directed owner->target: binding state of a conn */
	WIRE_XCF_SYSPORTS = 10,	/* directed: SYSPLEXPORTS ephemeral port blocks */
	WIRE_XCF_TGT_DIGEST = 11,	/* directed to owner: count + hash of a target's
					 * connections per DVIPA */
	WIRE_XCF_TYPE_MAX = 11
};
struct wire_xcf_hdr {
	uint8_t version;
	uint8_t type;
	uint16_t flags;
	uint16_t body_len;
	char sender[WIRE_XCF_NAME_LEN + 1];	/* NUL terminated */
	uint64_t incarnation;
	uint64_t seq;
};
/* Decodes and validates the envelope (magic, version, type range, name is
 * printable, body_len == len - 40).  On success *body points into p. */
int wire_xcf_hdr_decode(struct wire_xcf_hdr *h, const uint8_t *p, size_t len,
			const uint8_t **body, const char **reason);
ssize_t wire_xcf_hdr_encode(const struct wire_xcf_hdr *h, uint8_t *p, size_t cap);

/* HEARTBEAT body: hb u32 ms, fail u32 ms, state u8, sysname 8, tcpname 8, xcfaddr 16,
 * xcfaddr4 16 (the IPv4 DYNAMICXCF address IPv4-mapped, all zero when none) */
#define WIRE_XCF_SYSNAME_LEN 8
struct wire_xcf_heartbeat {
	uint32_t hb_interval_ms;
	uint32_t fail_ms;
	uint8_t state;		/* 1 = joined, 2 = leaving */
	char sysname[WIRE_XCF_SYSNAME_LEN + 1];
	char tcpname[WIRE_XCF_SYSNAME_LEN + 1];
	uint8_t xcfaddr[16];
	uint8_t xcfaddr4[16];
};
int wire_xcf_heartbeat_decode(struct wire_xcf_heartbeat *m, const uint8_t *p, size_t len,
			      const char **reason);
ssize_t wire_xcf_heartbeat_encode(const struct wire_xcf_heartbeat *m, uint8_t *p, size_t cap);

/* VIPA_ADV body: n u8, then n x {addr 16, origin u8, rank u8, status u8, flags u8} */
#define WIRE_XCF_MAX_VIPA 32
enum wire_vipa_origin { WIRE_VIPA_DEFINE = 1, WIRE_VIPA_BACKUP = 2 };
enum wire_vipa_status {
	WIRE_VIPA_ACTIVE = 1, WIRE_VIPA_BACKUP_ST = 2, WIRE_VIPA_MOVING = 3,
	WIRE_VIPA_QUIESCING = 4,	/* reserved (z/OS: a deleted DVIPA keeping its
					 * connections); nothing here sends it */
	WIRE_VIPA_DEACTIVATED = 5
};
#define WIRE_VIPA_F_MIP6 0x01
#define WIRE_VIPA_F_WHENIDLE 0x02
#define WIRE_VIPA_F_DIST 0x04	/* this stack has its own VIPADISTRIBUTE for it */
#define WIRE_VIPA_F_RANGE 0x20	/* VIPA_ADV: an application-instance DVIPA (VIPARANGE bind) */
#define WIRE_VIPA_F_SYSPORTS 0x40	/* DIST_ADV: SYSPLEXPORTS (targets ask for port blocks) */
struct wire_xcf_vipa_adv {
	uint8_t n;
	struct {
		uint8_t addr[16];
		uint8_t origin, rank, status, flags;
	} v[WIRE_XCF_MAX_VIPA];
};
int wire_xcf_vipa_adv_decode(struct wire_xcf_vipa_adv *m, const uint8_t *p, size_t len,
			     const char **reason);
ssize_t wire_xcf_vipa_adv_encode(const struct wire_xcf_vipa_adv *m, uint8_t *p, size_t cap);

/* DIST_ADV body: dvipa 16, method u8, flags u8, timedaff u16, nports u8,
 * ports u16 x nports, ndest u8 (0 = DESTIP ALL), ndest x {xcf 16, weight u16,
 * srvtype u8, rank u8} (srvtype and rank: HOTSTANDBY PREFERRED / BACKUP rank;
 * flags WIRE_VIPA_F_NOSWITCHBACK and WIRE_VIPA_F_NOHEALTHSW its options) */
#define WIRE_VIPA_F_NOSWITCHBACK 0x08	/* DIST_ADV: HOTSTANDBY NOAUTOSWITCHBACK */
#define WIRE_VIPA_F_NOHEALTHSW 0x10	/* DIST_ADV: HOTSTANDBY NOHEALTHSWITCH */
#define WIRE_XCF_MAX_PORTS 64
#define WIRE_XCF_MAX_DEST 32
struct wire_xcf_dist_adv {
	uint8_t dvipa[16];
	uint8_t method;		/* enum vipa_distmethod */
	uint8_t flags;		/* WIRE_VIPA_F_* */
	uint16_t timedaff;
	uint8_t nports;
	uint16_t ports[WIRE_XCF_MAX_PORTS];
	uint8_t ndest;
	struct {
		uint8_t xcf[16];
		uint16_t weight;
		uint8_t srvtype, rank;
	} dest[WIRE_XCF_MAX_DEST];
};
int wire_xcf_dist_adv_decode(struct wire_xcf_dist_adv *m, const uint8_t *p, size_t len,
			     const char **reason);
ssize_t wire_xcf_dist_adv_encode(const struct wire_xcf_dist_adv *m, uint8_t *p, size_t cap);

/* TGT_LISTEN body: flags u8 (1 = full report: replaces earlier ones), n u8,
 * capacity u32, load u8 (the sender's emulated WLM system: relative capacity
 * and percent in use), n x {dvipa 16, port u16, rdy u16, weight u16 (0 =
 * quiesced), sef u8 (server efficiency fraction 0..100 of the listener)} */
#define WIRE_XCF_MAX_LISTEN 128
#define WIRE_XCF_F_FULL 0x01
#define WIRE_XCF_F_FIRST 0x02
#define WIRE_XCF_F_LAST 0x04
#define WIRE_XCF_F_MIP6 0x08	/* TGT_LISTEN: the target supports the MIPv6 bypass */
struct wire_xcf_tgt_listen {
	uint8_t flags;
	uint8_t n;
	uint32_t capacity;
	uint8_t load;
	struct {
		uint8_t dvipa[16];
		uint16_t port, rdy, weight;
		uint8_t sef;
	} l[WIRE_XCF_MAX_LISTEN];
};
int wire_xcf_tgt_listen_decode(struct wire_xcf_tgt_listen *m, const uint8_t *p, size_t len,
			       const char **reason);
ssize_t wire_xcf_tgt_listen_encode(const struct wire_xcf_tgt_listen *m, uint8_t *p, size_t cap);

/* TGT_CONN body: flags u8 (WIRE_XCF_F_FULL: part of a complete list of live
 * conns, which may span several messages: the first has WIRE_XCF_F_FIRST, the
 * last WIRE_XCF_F_LAST; connections of the sender missing from the complete
 * list are gone),
 * n u16, n x {event u8, dvipa 16, dport u16, client 16, cport u16, bypass u8, coa 16,
 * seq u16}: seq is the sequence number of the last Binding Update sent for a
 * bound connection (from BIND_INFO), so a new routing stack continues it.
 * bypass: the state (enum vipa_bypass) in the low bits; WIRE_XCF_BYPASS_HOME
 * set when the binding is the client's per-home-address binding of the
 * DVIPA (a standard RFC 6275 correspondent node), clear when it is the
 * connection's own (also in BIND_INFO). */
#define WIRE_XCF_MAX_CONN 512
#define WIRE_XCF_BYPASS_HOME 0x80
#define WIRE_XCF_BYPASS_STATE 0x7f
enum wire_conn_event { WIRE_CONN_EST = 1, WIRE_CONN_END = 2 };
struct wire_xcf_conn {
	uint8_t event;
	uint8_t dvipa[16];
	uint16_t dport;
	uint8_t client[16];
	uint16_t cport;
	uint8_t bypass;		/* enum vipa_bypass */
	uint8_t coa[16];
	uint16_t seq;		/* last BU sequence number of the binding, 0 none */
};
struct wire_xcf_tgt_conn {
	uint8_t flags;
	uint8_t scope[16];	/* the DVIPA a FULL report covers */
	uint16_t n;
	struct wire_xcf_conn c[WIRE_XCF_MAX_CONN];
};
int wire_xcf_tgt_conn_decode(struct wire_xcf_tgt_conn *m, const uint8_t *p, size_t len,
			     const char **reason);
ssize_t wire_xcf_tgt_conn_encode(const struct wire_xcf_tgt_conn *m, uint8_t *p, size_t cap);

/* TGT_SYNC_REQ body: dvipa 16 (all zero = every DVIPA) */
struct wire_xcf_sync_req {
	uint8_t dvipa[16];
};
int wire_xcf_sync_req_decode(struct wire_xcf_sync_req *m, const uint8_t *p, size_t len,
			     const char **reason);
ssize_t wire_xcf_sync_req_encode(const struct wire_xcf_sync_req *m, uint8_t *p, size_t cap);

/* TGT_DIGEST body: n u8 (at most WIRE_XCF_MAX_VIPA), n x {dvipa 16, count u64,
 * sum u64}: the target's live connections of each DVIPA as a vipa_digest
 * (count and the sum of their SipHash-2-4 values); the routing stack
 * compares it with its own view and asks (TGT_SYNC_REQ) for a full report
 * only when they differ. */
struct wire_xcf_tgt_digest {
	uint8_t n;
	struct {
		uint8_t dvipa[16];
		uint64_t count, sum;
	} d[WIRE_XCF_MAX_VIPA];
};
int wire_xcf_tgt_digest_decode(struct wire_xcf_tgt_digest *m, const uint8_t *p, size_t len,
			       const char **reason);
ssize_t wire_xcf_tgt_digest_encode(const struct wire_xcf_tgt_digest *m, uint8_t *p, size_t cap);

/* MIP6_COPY body (wire/xcf_mip6.c): a Mobility Header packet a target
 * received for the routing stack (claim 1: the copy of the CoT, of the BA,
 * and a client's BRR), with its addresses:
 *   src 16 (the client), dst 16 (final destination: the home address from
 *   the RH2, or the care-of address), coa 16 (the address it arrived on),
 *   mhlen u16, MH bytes */
#define WIRE_XCF_MAX_MH 2048
struct wire_xcf_mip6_copy {
	uint8_t src[16], dst[16], coa[16];
	uint16_t mhlen;
	uint8_t mh[WIRE_XCF_MAX_MH];
};
int wire_xcf_mip6_copy_decode(struct wire_xcf_mip6_copy *m, const uint8_t *p, size_t len,
			      const char **reason);
ssize_t wire_xcf_mip6_copy_encode(const struct wire_xcf_mip6_copy *m, uint8_t *p, size_t cap);

/* SYSPORTS body: dvipa 16, op u8, first u16, count u16.  op REQ (target ->
 * owner): give me `count` blocks of WIRE_SYSPORTS_BLOCK ephemeral ports for
 * connections from the DVIPA; GRANT (owner -> target): ports first ..
 * first + count * block - 1 are yours (count 0: refused); RELEASE (target ->
 * owner): I give my blocks back. */
enum wire_sysports_op { WIRE_SYSPORTS_REQ = 1, WIRE_SYSPORTS_GRANT = 2, WIRE_SYSPORTS_RELEASE = 3 };
struct wire_xcf_sysports {
	uint8_t dvipa[16];
	uint8_t op;
	uint16_t first;
	uint16_t count;
};
int wire_xcf_sysports_decode(struct wire_xcf_sysports *m, const uint8_t *p, size_t len,
			     const char **reason);
ssize_t wire_xcf_sysports_encode(const struct wire_xcf_sysports *m, uint8_t *p, size_t cap);

/* BIND_INFO body (owner -> target; claim 1's "binding information request"
 * with the state information): one connection's binding state:
 *   dvipa 16, dport u16, client 16, cport u16, bypass u8, coa 16, seq u16,
 *   lifetime u16 (seconds) */
struct wire_xcf_bind_info {
	uint8_t dvipa[16];
	uint16_t dport;
	uint8_t client[16];
	uint16_t cport;
	uint8_t bypass;
	uint8_t coa[16];
	uint16_t seq;
	uint16_t lifetime;
};
int wire_xcf_bind_info_decode(struct wire_xcf_bind_info *m, const uint8_t *p, size_t len,
			      const char **reason);
ssize_t wire_xcf_bind_info_encode(const struct wire_xcf_bind_info *m, uint8_t *p, size_t cap);

/* Our RFC 5094 Vendor-Specific mobility options (vendor id 2, IBM's SMI
 * Private Enterprise Number, as z/OS is IBM's):
 *  - WIRE_VSO_CONN: the connection a binding belongs to; data = client port
 *    u16, DVIPA port u16, protocol u8 (6).  In BU, BA and BRR it makes the
 *    binding per connection (the client is the correspondent, the DVIPA the
 *    home address), so two connections to one DVIPA can be bound to two
 *    different targets;
 *  - WIRE_VSO_COPYTO: in a CoTI, echoed in the CoT by our correspondent node:
 *    "the target must forward a copy of this CoT to the routing stack of
 *    this DVIPA"; data = DVIPA (16). */
#define WIRE_VSO_VENDOR 2
#define WIRE_VSO_CONN 1
#define WIRE_VSO_COPYTO 2
#define WIRE_VSO_CONN_LEN 5

/* Appends our connection option (client port, DVIPA port, TCP) to a message's
 * options; -ENOSPC when MIP6_MAX_VSO are already there (wire/vso.c). */
struct mip6_opts;
int wire_vso_conn_add(struct mip6_opts *o, uint16_t cport, uint16_t dport);
/* Finds it in decoded options: 1 (ports filled in), 0 when absent, -EINVAL
 * when present but malformed. */
int wire_vso_conn_find(const struct mip6_opts *o, uint16_t *cport, uint16_t *dport);

/* ==== Mobility Header (RFC 6275), prefix mip6_ ==============================
 * The messages the distributor bypass uses (docs/DESIGN.md, "Mobile IPv6
 * bypass").
 */

/*
 * Every Mobility Header message starts with these six octets (RFC 6275 6.1.1):
 * +---------------+---------------+---------------+---------------+
 * | Payload Proto |  Header Len   |   MH Type     |   Reserved    |
 * +---------------+---------------+---------------+---------------+
 * |           Checksum            |  message data and options ... |
 * +-------------------------------+-------------------------------+
 * Payload Proto is 59, Header Len is (total length / 8) - 1, the total
 * length is a multiple of 8 octets, and options follow the fixed message
 * data.  The per-message layouts are drawn at the top of wire/mip6.c.
 *
 * mip6_msg_decode validates the header (length, payload proto, minimum
 * length per type, option lengths) but not the checksum: call mip6_csum_ok
 * first, with the addresses RFC 6275 6.1.1 names.  An unknown MH type gives
 * -EPROTONOSUPPORT (reason "unknown MH type") so the caller can answer with
 * a Binding Error, status MIP6_BE_UNKNOWN_MH; m->type then holds the type.
 * Unknown options are skipped (counted in opts.n_unknown).  A Vendor-Specific
 * option's data stays in the input: opts.vso[i].data points into `p`, so the
 * decoded message is valid only while that buffer is.  The decoder also
 * copies the data into opts.vso[i].bytes, which is what the encoder reads.
 *
 * mip6_msg_encode writes the fixed data, then the options in the order
 * Nonce Indices, Binding Refresh Advice, Alternate Care-of Address,
 * Vendor-Specific, Binding Authorization Data (last, as RFC 6275 6.2.7
 * requires), each preceded by the Pad1/PadN its alignment needs, and pads
 * the whole message to a multiple of 8 octets.  The checksum field is
 * written as 0: fill in the Authenticator (mip6_auth_off +
 * mip6_bu_authenticator) and then the checksum (mip6_csum_set).
 */
#define MIP6_HDR_LEN 6		/* Payload Proto .. Checksum */
#define MIP6_MAX_LEN 2048	/* (255 + 1) * 8: the Header Len byte's limit */
#define MIP6_COOKIE_LEN 8
#define MIP6_TOKEN_LEN 8
#define MIP6_NONCE_LEN 8	/* our nonces are 64 bits (RFC 6275 5.2.2 leaves it open) */
#define MIP6_KCN_LEN 20
#define MIP6_KBM_LEN 20
#define MIP6_AUTH_LEN 12	/* First(96, HMAC_SHA1(...)) */
#define MIP6_MAX_VSO 4		/* Vendor-Specific options kept per message */
#define MIP6_VSO_DATA_MAX 250	/* 255 - vendor id (4) - sub-type (1) */
/* Protocol constants, RFC 6275 12. */
#define MIP6_MAX_NONCE_LIFETIME 240	/* seconds */
#define MIP6_MAX_TOKEN_LIFETIME 210	/* seconds */
#define MIP6_MAX_RR_BINDING_LIFETIME 420	/* seconds */

enum mip6_mh_type {
	MIP6_MH_BRR = 0,	/* Binding Refresh Request */
	MIP6_MH_HOTI = 1,	/* Home Test Init */
	MIP6_MH_COTI = 2,	/* Care-of Test Init */
	MIP6_MH_HOT = 3,	/* Home Test */
	MIP6_MH_COT = 4,	/* Care-of Test */
	MIP6_MH_BU = 5,		/* Binding Update */
	MIP6_MH_BA = 6,		/* Binding Acknowledgement */
	MIP6_MH_BE = 7,		/* Binding Error */
	MIP6_MH_TYPE_MAX = 7
};
/* Binding Update flags (first octet after the Sequence Number). */
#define MIP6_BU_F_A 0x80	/* Acknowledge */
#define MIP6_BU_F_H 0x40	/* Home Registration */
#define MIP6_BU_F_L 0x20	/* Link-Local Address Compatibility */
#define MIP6_BU_F_K 0x10	/* Key Management Mobility Capability */
/* Binding Acknowledgement flags (octet after the Status). */
#define MIP6_BA_F_K 0x80
enum mip6_ba_status {
	MIP6_BA_ACCEPTED = 0,
	MIP6_BA_ACCEPTED_PREFIX_DISC = 1,
	MIP6_BA_UNSPECIFIED = 128,
	MIP6_BA_PROHIBITED = 129,
	MIP6_BA_NO_RESOURCES = 130,
	MIP6_BA_HOME_REG_UNSUPPORTED = 131,
	MIP6_BA_NOT_HOME_SUBNET = 132,
	MIP6_BA_NOT_HOME_AGENT = 133,
	MIP6_BA_DAD_FAILED = 134,
	MIP6_BA_SEQ_OUT_OF_WINDOW = 135,
	MIP6_BA_EXPIRED_HOME_NONCE = 136,
	MIP6_BA_EXPIRED_COA_NONCE = 137,
	MIP6_BA_EXPIRED_NONCES = 138,
	MIP6_BA_REG_TYPE_CHANGE = 139
};
enum mip6_be_status {
	MIP6_BE_UNKNOWN_HAO = 1,	/* unknown binding for Home Address option */
	MIP6_BE_UNKNOWN_MH = 2		/* unrecognized MH Type value */
};
enum mip6_opt_type {
	MIP6_OPT_PAD1 = 0,
	MIP6_OPT_PADN = 1,
	MIP6_OPT_REFRESH = 2,	/* Binding Refresh Advice, len 2, align 2n */
	MIP6_OPT_ALTCOA = 3,	/* Alternate Care-of Address, len 16, align 8n+6 */
	MIP6_OPT_NONCE = 4,	/* Nonce Indices, len 4, align 2n */
	MIP6_OPT_AUTH = 5,	/* Binding Authorization Data, len 12, align 8n+2 */
	MIP6_OPT_VSO = 19	/* Vendor-Specific (RFC 5094), len >= 5, align 4n+2 */
};
#define MIP6_OPTF(t) (1u << (t))	/* bit of an option in mip6_opts.present */

struct mip6_vso {
	uint32_t vendor_id;	/* SMI Private Enterprise Number */
	uint8_t subtype;
	uint8_t len;		/* data length, <= MIP6_VSO_DATA_MAX */
	const uint8_t *data;	/* decode: the data inside the decoded buffer */
	uint8_t bytes[MIP6_VSO_DATA_MAX];	/* encode: the data written */
};
struct mip6_opts {
	uint32_t present;	/* MIP6_OPTF(MIP6_OPT_REFRESH | ALTCOA | NONCE | AUTH) */
	uint16_t refresh;	/* Binding Refresh Advice interval, 4 s units */
	uint8_t alt_coa[16];
	uint16_t home_nonce_idx, coa_nonce_idx;
	uint8_t auth[MIP6_AUTH_LEN];
	uint16_t auth_off;	/* decode: offset of the Authenticator in the MH */
	uint8_t n_vso;
	struct mip6_vso vso[MIP6_MAX_VSO];
	uint8_t n_unknown;	/* decode: unknown options skipped */
};
struct mip6_init {		/* HoTI, CoTI */
	uint8_t cookie[MIP6_COOKIE_LEN];
};
struct mip6_test {		/* HoT, CoT */
	uint16_t nonce_idx;
	uint8_t cookie[MIP6_COOKIE_LEN];
	uint8_t token[MIP6_TOKEN_LEN];
};
struct mip6_bu {
	uint16_t seq;
	uint8_t flags;		/* MIP6_BU_F_*; the low four bits belong to later RFCs */
	uint16_t lifetime;	/* 4 s units; 0 deletes the binding */
};
struct mip6_ba {
	uint8_t status;		/* enum mip6_ba_status */
	uint8_t flags;		/* MIP6_BA_F_* and the bits of later RFCs */
	uint16_t seq;
	uint16_t lifetime;	/* 4 s units */
};
struct mip6_be {
	uint8_t status;		/* enum mip6_be_status */
	uint8_t home[16];
};
struct mip6_msg {
	uint8_t proto;		/* Payload Proto: WIRE_PROTO_NONE (59) */
	uint8_t type;		/* enum mip6_mh_type */
	uint16_t csum;		/* decode: as received; the encoder writes 0 */
	uint16_t len;		/* decode: total length in octets */
	union {			/* by type; a BRR has no fixed data */
		struct mip6_init hoti, coti;
		struct mip6_test hot, cot;
		struct mip6_bu bu;
		struct mip6_ba ba;
		struct mip6_be be;
	};
	struct mip6_opts opts;
};
int mip6_msg_decode(struct mip6_msg *m, const uint8_t *p, size_t len, const char **reason);
ssize_t mip6_msg_encode(const struct mip6_msg *m, uint8_t *p, size_t cap);
/* Offset of the Authenticator inside an encoded MH, or a negative errno
 * (-ENOENT when the message is valid but has no Authorization Data option). */
int mip6_auth_off(const uint8_t *mh, size_t len);

/*
 * MH checksum: the Internet checksum over the IPv6 pseudo-header (src, dst,
 * upper-layer length, next header 135) and the MH.  mip6_csum treats the
 * checksum field as zero and returns the value to store (host order);
 * mip6_csum_set stores it; mip6_csum_ok returns 1 when the stored checksum
 * is right.  src is the home address when a Home Address option is
 * present; dst is the home address of a Type 2 Routing Header.
 */
uint16_t mip6_csum(const uint8_t src[16], const uint8_t dst[16], const uint8_t *mh, size_t len);
void mip6_csum_set(const uint8_t src[16], const uint8_t dst[16], uint8_t *mh, size_t len);
int mip6_csum_ok(const uint8_t src[16], const uint8_t dst[16], const uint8_t *mh, size_t len);

/*
 * Type 2 Routing Header (RFC 6275 6.4), WIRE_RH2_LEN octets; drawn above
 * wire_rh2_insert.  The decoder reads the header at the start of `p` (more
 * bytes may follow) and accepts Segments Left 1 (as sent) or 0 (already
 * processed); the encoder writes rh->segleft, which must be 0 or 1.
 */
struct mip6_rh2 {
	uint8_t next_hdr;
	uint8_t segleft;
	uint8_t home[16];
};
int mip6_rh2_decode(struct mip6_rh2 *rh, const uint8_t *p, size_t len, const char **reason);
ssize_t mip6_rh2_encode(const struct mip6_rh2 *rh, uint8_t *p, size_t cap);

/*
 * Destination Options header carrying a Home Address option (RFC 6275 6.3):
 * option type 201, length 16, alignment 8n+6.  The encoder writes the
 * 24-octet header  NH | Hdr Ext Len 2 | PadN(2) | 201 | 16 | home address.
 * The decoder walks any Destination Options header at the start of `p`,
 * skips padding and unknown options whose type says "skip" (top bits 00),
 * and returns -ENOENT when there is no Home Address option, -EPROTO for an
 * unknown option that must not be skipped.
 */
#define MIP6_HAO_OPT 201
#define MIP6_HAO_HDR_LEN 24
struct mip6_hao {
	uint8_t next_hdr;
	uint8_t home[16];
	uint16_t len;		/* decode: header length in octets */
	uint16_t hao_off;	/* decode: offset of the option's type octet */
};
int mip6_hao_decode(struct mip6_hao *h, const uint8_t *p, size_t len, const char **reason);
ssize_t mip6_hao_encode(const struct mip6_hao *h, uint8_t *p, size_t cap);

/* ---- SHA-1 (FIPS 180-4) and HMAC-SHA1 (RFC 2104), wire/sha1.c ---- */
#define MIP6_SHA1_LEN 20
struct mip6_sha1 {
	uint32_t h[5];
	uint64_t total;		/* bytes hashed so far */
	uint8_t buf[64];
	size_t nbuf;
};
struct mip6_hmac_sha1 {
	struct mip6_sha1 inner, outer;
};
void mip6_sha1_init(struct mip6_sha1 *c);
void mip6_sha1_update(struct mip6_sha1 *c, const void *data, size_t len);
void mip6_sha1_final(struct mip6_sha1 *c, uint8_t out[MIP6_SHA1_LEN]);
void mip6_sha1(const void *data, size_t len, uint8_t out[MIP6_SHA1_LEN]);
void mip6_hmac_sha1_init(struct mip6_hmac_sha1 *c, const void *key, size_t keylen);
void mip6_hmac_sha1_update(struct mip6_hmac_sha1 *c, const void *data, size_t len);
void mip6_hmac_sha1_final(struct mip6_hmac_sha1 *c, uint8_t out[MIP6_SHA1_LEN]);
void mip6_hmac_sha1(const void *key, size_t keylen, const void *data, size_t len,
		    uint8_t out[MIP6_SHA1_LEN]);

/* ---- Return routability (RFC 6275 5.2) ----
 * mip6_keygen_token: First(64, HMAC_SHA1(Kcn, addr | nonce | c)), c a single
 *   octet, 0 for the home token (addr = home address), 1 for the care-of
 *   token (care_of != 0, addr = care-of address).
 * mip6_kbm: SHA1(home token | care-of token), or SHA1(home token) when
 *   coa_tok is NULL (deregistration: lifetime 0 or care-of = home address).
 * mip6_bu_authenticator: First(96, HMAC_SHA1(Kbm, coa | cn | MH data)) where
 *   MH data is the whole MH with the Checksum counted as zero and without
 *   the 12 Authenticator octets at auth_off (RFC 6275 6.2.7; the same rule
 *   serves a Binding Acknowledgement).  -EINVAL when auth_off does not leave
 *   a 12-octet field inside the MH after its fixed header.
 * mip6_seq_newer: 1 when sequence number a is newer than b, i.e. a - b
 *   modulo 2^16 is in 1 .. 32767 (RFC 6275 9.5.1: b and the 32768 values
 *   before it are "less than or equal"; a difference of exactly 32768 is
 *   NOT newer).
 */
void mip6_keygen_token(const uint8_t kcn[MIP6_KCN_LEN], const uint8_t addr[16],
		       const uint8_t nonce[MIP6_NONCE_LEN], int care_of,
		       uint8_t out[MIP6_TOKEN_LEN]);
void mip6_kbm(const uint8_t home_tok[MIP6_TOKEN_LEN], const uint8_t *coa_tok,
	      uint8_t out[MIP6_KBM_LEN]);
int mip6_bu_authenticator(const uint8_t kbm[MIP6_KBM_LEN], const uint8_t coa[16],
			  const uint8_t cn[16], const uint8_t *mh, size_t mhlen,
			  size_t auth_off, uint8_t out[MIP6_AUTH_LEN]);
int mip6_seq_newer(uint16_t a, uint16_t b);


/* ---- IPv4 (RFC 791) and its checksums --------------------------------------
 *
 *  0                   1                   2                   3
 * +-------+-------+---------------+-------------------------------+
 * |Version|  IHL  |Type of Service|          Total Length         |
 * +-------+-------+---------------+-----+-------------------------+
 * |         Identification        |Flags|      Fragment Offset    |
 * +---------------+---------------+-----+-------------------------+
 * |  Time to Live |    Protocol   |         Header Checksum       |
 * +---------------+---------------+-------------------------------+
 * |                       Source Address                          |
 * +---------------------------------------------------------------+
 * |                    Destination Address                        |
 * +---------------------------------------------------------------+
 * |                    Options (IHL > 5), up to 40 bytes           |
 * +---------------------------------------------------------------+
 *
 * IPv4 pseudo-header for TCP/UDP checksums (RFC 793 3.1, RFC 768):
 * source (4) | destination (4) | zero (1) | protocol (1) | length (2).
 */
#define WIRE_IP4_HDR_LEN 20
#define WIRE_IP4_HDR_MAX 60
#define WIRE_PROTO_ICMP 1
#define WIRE_PROTO_IPIP 4
#define WIRE_PROTO_GRE 47
#define WIRE_IP4_DF 0x4000
#define WIRE_IP4_MF 0x2000
#define WIRE_IP4_OFFMASK 0x1fff
struct wire_ip4 {
	uint8_t hlen;			/* header length in bytes, 20..60 */
	uint8_t tos;
	uint16_t tot_len;
	uint16_t id;
	uint16_t frag;			/* flags and fragment offset as on the wire */
	uint8_t ttl;
	uint8_t proto;
	uint16_t csum;			/* as read; ignored by the encoder */
	uint8_t src[4], dst[4];
};
/*
 * Decodes the header: version 4, 20 <= IHL*4 <= total length <= len.  Bytes
 * beyond the total length are ignored.  The header checksum is not checked
 * (wire_ip4_csum_ok does).
 */
int wire_ip4_decode(struct wire_ip4 *h, const uint8_t *p, size_t len, const char **reason);
/* Writes a 20-byte header (hlen must be 20) with its checksum computed. */
ssize_t wire_ip4_encode(const struct wire_ip4 *h, uint8_t *p, size_t cap);
/* True when the header at p (len bytes available) has a valid checksum. */
int wire_ip4_csum_ok(const uint8_t *p, size_t len);

/* An IPv4 packet with its TCP ports and flags (fragments: no L4). */
struct wire_pkt4 {
	struct wire_ip4 ip;
	uint16_t l4_off;		/* offset of the upper-layer header */
	int is_fragment;		/* MF set or a non-zero offset */
	uint16_t sport, dport;		/* TCP or UDP, first fragment only */
	uint8_t tcp_flags;
	uint8_t tcp_hlen;		/* TCP header length in bytes */
};
int wire_ip4_parse(struct wire_pkt4 *pk, const uint8_t *pkt, size_t len, const char **reason);

/* TCP/UDP checksum over the IPv4 pseudo-header and data (fold of the sum,
 * inverted: the value for the checksum field when it held 0, or 0 when the
 * data already carries a correct checksum). */
uint16_t wire_csum_ip4(const uint8_t src[4], const uint8_t dst[4], uint8_t proto, const void *data,
		       size_t len);
/*
 * 1 when the IPv4 packet at pkt (len bytes) is TCP or UDP, not a fragment,
 * and its checksum field holds the sum of the pseudo-header alone (folded,
 * not inverted): a checksum its sender left to the device (Linux's
 * CHECKSUM_PARTIAL), which a packet still carries when no device completed
 * it (a routing stack's kernel path encapsulated it as it came, and a raw
 * socket read it).  Sets *start (the transport header's offset) and *offset
 * (the field's offset in it) as a virtio-net header wants them; else 0.  A
 * complete checksum equals that value for one packet in 65,536 or so: for a
 * packet delivered locally, as the caller's are, marking it for completion
 * is harmless (the receiving kernel takes it as verified either way).
 */
int wire_ip4_csum_partial(const uint8_t *pkt, size_t len, uint16_t *start, uint16_t *offset);
/* Incremental update (RFC 1624 eqn. 3) of a checksum field when 4 or 2
 * covered bytes change from old to new. */
uint16_t wire_csum_replace4(uint16_t csum, const uint8_t old[4], const uint8_t new_[4]);
uint16_t wire_csum_replace2(uint16_t csum, uint16_t old, uint16_t new_);
/*
 * Rewrites the destination address of the IPv4 packet at pkt in place and
 * updates the header checksum and, for the first fragment of TCP or UDP, the
 * transport checksum incrementally (a UDP checksum of 0 stays 0).  -EMSGSIZE
 * or -EINVAL when the packet is truncated or not IPv4; unchanged then.
 */
int wire_ip4_set_dst(uint8_t *pkt, size_t len, const uint8_t dst[4]);
/*
 * Builds, into out, an ICMP Destination Unreachable / Fragmentation Needed
 * (type 3 code 4, next-hop MTU per RFC 1191) from src to the source of the
 * IPv4 packet orig, quoting its header and first 8 bytes of data (RFC 792).
 * Returns the length of the whole IPv4 packet, -ENOSPC, or -EINVAL when orig
 * is not an IPv4 packet that may get one (not DF, or an ICMP error itself is
 * left to the caller: this only checks the header).
 */
ssize_t wire_icmp4_frag_needed(uint8_t *out, size_t cap, const uint8_t src[4], const uint8_t *orig,
			       size_t orig_len, uint16_t mtu);

/* ---- GRE (RFC 2784; Key and Sequence Number, RFC 2890) ----------------------
 *
 * +-+-+-+-+-------------------------------+-----+-------------------------------+
 * |C| |K|S|          Reserved0            | Ver |        Protocol Type          |
 * +-+-+-+-+-------------------------------+-----+-------------------------------+
 * |      Checksum (C set)                 |       Reserved1 (C set)             |
 * +---------------------------------------+-------------------------------------+
 * |                              Key (K set)                                    |
 * +-----------------------------------------------------------------------------+
 * |                      Sequence Number (S set)                                |
 * +-----------------------------------------------------------------------------+
 * Ver must be 0; the other Reserved0 bits must be 0 (RFC 2784 2.3, the
 * receiver discards otherwise).  The checksum covers the GRE header and
 * payload.  The emulator's VIPAROUTE and IPv4 DYNAMICXCF forwarding use the
 * 4-byte form (no C, K, S): IPv4 in GRE in IPv4, 24 bytes of overhead.
 */
#define WIRE_GRE_C 0x8000
#define WIRE_GRE_K 0x2000
#define WIRE_GRE_S 0x1000
#define WIRE_GRE_VER 0x0007
#define WIRE_GRE_HDR_MIN 4
#define WIRE_GRE_HDR_MAX 16
#define WIRE_ETHERTYPE_IP 0x0800
#define WIRE_ETHERTYPE_IPV6 0x86dd
struct wire_gre {
	uint8_t has_csum, has_key, has_seq;
	uint16_t proto;			/* EtherType of the payload */
	uint16_t csum;			/* as read (has_csum) */
	uint32_t key, seq;
};
/* Header length for g's flags. */
size_t wire_gre_hlen(const struct wire_gre *g);
/* Decodes the header; *hlen gets its length. */
int wire_gre_decode(struct wire_gre *g, const uint8_t *p, size_t len, size_t *hlen,
		    const char **reason);
/* Encodes the header; a checksum field is written as 0 (wire_gre_csum_set
 * fills it once the payload follows). */
ssize_t wire_gre_encode(const struct wire_gre *g, uint8_t *p, size_t cap);
/* Sets / checks the GRE checksum over header + payload (len bytes at p). */
void wire_gre_csum_set(uint8_t *p, size_t len);
int wire_gre_csum_ok(const uint8_t *p, size_t len);
/*
 * IPv4-in-GRE-in-IPv4, in place: pkt points at an IPv4 packet of len bytes
 * with at least WIRE_IP4_HDR_LEN + wire_gre_hlen(g) writable bytes before it.
 * The outer header (src -> dst, protocol 47, TTL 64, the inner TOS and DF
 * bit, identification `id`) and the GRE header are written there; the GRE
 * checksum is filled when g->has_csum.  Returns the new length (the packet
 * now starts at pkt - overhead); -EMSGSIZE when the result would pass 65535
 * or the inner packet is truncated, -EINVAL when it is not IPv4.
 */
ssize_t wire_gre4_encap(uint8_t *pkt, size_t len, const uint8_t src[4], const uint8_t dst[4],
			const struct wire_gre *g, uint16_t id);
/* What wire_gre4_decap found. */
struct wire_gre4_info {
	struct wire_ip4 outer;
	struct wire_gre gre;
	size_t inner_off;		/* offset of the inner packet */
	size_t inner_len;		/* its length (up to the outer total length) */
};
/*
 * Checks an outer IPv4 packet carrying GRE: a valid outer header (checksum
 * included), not a fragment, protocol 47, a valid GRE header (checksum
 * verified when present: -EBADMSG) carrying IPv4 or IPv6, and an inner
 * packet of at least its fixed header.  Nothing is modified: the inner
 * packet is at pkt + inner_off.
 */
int wire_gre4_decap(struct wire_gre4_info *info, const uint8_t *pkt, size_t len,
		    const char **reason);

#endif
