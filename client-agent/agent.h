/*
 * agent.h - internal header of client-agent, the Mobile IPv6 correspondent
 * node (RFC 6275) of a client host.  Not a module header.
 *
 * Parts:
 *   agent.c  command line, TUN device, routing, the per-packet loop
 *   cn.c     return routability (Kcn, nonces, HoT/CoT), Binding Update
 *            checks, the binding cache, BA/BE/BRR
 *   actl.c   control socket (agent.ctl), the SHOW display, --show
 *
 * The binding cache has two kinds of entries:
 *   - per connection (our RFC 5094 vendor option WIRE_VSO_CONN in the BU):
 *     kept in a vipa_vcrt keyed by (home address, client address, home port,
 *     client port); in struct vipa_conn: coa = care-of address, bu_seq =
 *     sequence number, bu_life = lifetime granted by the last accepted BU
 *     (s), last_ms = expiry (monotonic ms), created_ms = when created,
 *     pkts_fwd/bytes_fwd = packets sent straight to the care-of address,
 *     bypass_ms = last use, bu_ms = last BRR sent (0: none since the last
 *     BU), fin_ms = when the client's FIN was seen (0 none);
 *   - per home address (a standard mobile node's binding): a small array.
 */
#ifndef SYSPLEX_AGENT_H
#define SYSPLEX_AGENT_H

#include <stdint.h>
#include <uv.h>

#include "lib/lib.h"
#include "vipa/vipa.h"
#include "wire/wire.h"

#define AGENT_TABLE 101			/* to PREFIX -> dev TUN */
#define AGENT_TABLE_HAO 102		/* steered inbound packets -> dev TUN */
#define AGENT_PRIO_HAO 40		/* fwmark AGENT_MARK lookup 102 */
#define AGENT_PRIO_IIF 50		/* iif TUN lookup main */
#define AGENT_PRIO_TO 60		/* to PREFIX lookup 101 */
#define AGENT_PRIO_LOCAL 100		/* the local rule, moved from 0 */
#define AGENT_MARK 0x4d495036		/* "MIP6" */
#define AGENT_MAX_PREFIX 16
#define AGENT_HEADROOM 64
#define AGENT_PKT_MAX (65536 + WIRE_VNET_HDR_LEN)
#define AGENT_RX_BUDGET 256
#define AGENT_MAX_HOME 64
#define AGENT_NONCES 16
#define AGENT_NONCE_EVERY_MS 30000
#define AGENT_FIN_LINGER_MS 10000	/* a bound connection's binding after the client's FIN */

struct agent_home_binding {
	int used;
	uint8_t home[16], coa[16];
	uint16_t seq;
	uint64_t expires_ms, created_ms, last_use_ms;
	uint64_t pkts, bytes;
};

struct agent_nonce {
	int used;
	uint16_t idx;
	uint8_t nonce[MIP6_NONCE_LEN];
	uint64_t created_ms;
};

struct agent_counters {
	uint64_t pkts, bytes;		/* read from the TUN */
	uint64_t direct_pkts, direct_bytes;	/* sent with an RH2 to a care-of address */
	uint64_t rx[8], tx[8];		/* Mobility Header messages by type */
	uint64_t bu_accepted, bu_deleted, bu_rejected, hao_in;
	uint64_t conn_ended;		/* bindings ended by what the client sent (SYN, RST, FIN) */
	uint64_t bu_refreshed;		/* accepted BUs that renewed a live per-connection entry */
};

struct agent {
	uv_loop_t *loop;
	char tunif[16], lanif[16], statedir[200];
	int nprefix;
	uint8_t prefix[AGENT_MAX_PREFIX][16];
	int plen[AGENT_MAX_PREFIX];
	struct lib_nl *nl;
	int tun_fd, tun_ifindex, mh_fd;
	uv_poll_t poll, mh_poll;
	uv_timer_t timer;
	uv_signal_t sigterm, sigint;
	struct lib_ctl *ctl;
	uint8_t *rxbuf;
	uint8_t kcn[MIP6_KCN_LEN];
	struct agent_nonce nonces[AGENT_NONCES];
	uint16_t nonce_idx;		/* index of the newest nonce */
	struct vipa_vcrt *conns;	/* per-connection bindings */
	struct agent_home_binding home[AGENT_MAX_HOME];
	int nft_ok;			/* inbound Home Address steering installed */
	int link_loss_pct;		/* SYSPLEX$LINK: fault injection on the TUN path */
	unsigned link_delay_ms;
	struct lib_delay *delay;
	uint64_t link_dropped;
	struct agent_counters cnt;
	struct lib_verdicts verdicts;
};

/* cn.c */
int agent_cn_init(struct agent *a);
void agent_cn_close(struct agent *a);
/* Per packet, from the TUN: rewrites toward a care-of address when bound.
 * Returns the frame to write (may start before `frame`) and its length. */
uint8_t *agent_cn_outbound(struct agent *a, uint8_t *frame, size_t *flen);
/* A packet steered in from the LAN (it carries a Home Address option). */
void agent_cn_inbound_hao(struct agent *a, uint8_t *frame, size_t flen);
/* Once a second: nonces, expiry, Binding Refresh Requests. */
void agent_cn_tick(struct agent *a);

/* agent.c: writes a frame to the TUN through SYSPLEX$LINK's loss and delay */
void agent_tun_write(struct agent *a, const uint8_t *frame, size_t len);
int agent_link(struct agent *a, int loss_pct, unsigned delay_ms);

/* actl.c: the control socket (SHOW, SYSPLEX$LINK) and `--show` */
int agent_ctl_start(struct agent *a);
void agent_ctl_stop(struct agent *a);
int agent_ctl_client(const char *statedir, const char *cmd, int json);
/* SHOW's result object (docs/CONSOLE.md: the binding cache, its count, the
 * counters, the LAN interface) and its text; NULL when out of memory. */
struct json_t *agent_ctl_show(struct agent *a);
void agent_ctl_render(const struct json_t *r, struct lib_sbuf *o, void *arg);

#endif
