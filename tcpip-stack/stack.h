/*
 * stack.h - internal header of the tcpip-stack daemon (one per emulated
 * z/OS system).  Not a module header: only the daemon's own files include it.
 *
 * Roles per DVIPA (one stack may hold all three):
 *  - routing stack (owner): the DVIPA is routed into our TUN for packets from
 *    the LAN; we choose a target per new connection (VDPT), remember it
 *    (VCRT) and forward every inbound packet of the connection to it with a
 *    Type 2 Routing Header whose home address is the DVIPA;
 *  - target: the DVIPA is a local address on our TUN (tcpip0); our DYNAMICXCF
 *    (care-of) address is routed into it; we strip the RH2 and hand the
 *    packet to the kernel;
 *    we report listeners (Rdy) and connections to the owner over XCF;
 *  - backup: VIPABACKUP rank, takes over when the owner is gone.
 */
#ifndef SYSPLEX_STACK_H
#define SYSPLEX_STACK_H

#include <stdint.h>
#include <uv.h>

#include "lib/lib.h"
#include "vipa/vipa.h"
#include "wire/wire.h"
#include "xcf/xcf.h"

#define STACK_TUN_NAME "tcpip0"
#define STACK_TABLE_DVIPA 200		/* policy routing table: DVIPA dev tcpip0 */
#define STACK_PRIO_DVIPA 50		/* rule: iif LAN to DVIPA lookup 200 */
#define STACK_PRIO_LOCAL 100		/* the local rule, moved from 0 */
#define STACK_HEADROOM 64
#define STACK_PKT_MAX (65536 + WIRE_VNET_HDR_LEN)
#define STACK_RX_BUDGET 256		/* packets per TUN wake-up before yielding */
#define STACK_POLL_MS 100		/* target: socket table poll */
#define STACK_ADV_MS 1000		/* periodic re-advertisement */
#define STACK_SYN_TIMEOUT_MS 10000	/* VCRT entry never confirmed by its target */
#define STACK_MOVING_MS 3000		/* old owner keeps forwarding after giving a DVIPA up */
#define STACK_FIN_LINGER_MS 2000	/* unconfirmed entry after the client's FIN/RST */
#define STACK_FIN_TIMEOUT_MS 60000	/* any entry after the client's FIN/RST */

struct stack_dvipa {
	uint8_t addr[16];
	char ifname[VIPA_IFNAME_LEN + 1];
	int defined;			/* VIPADEFINE here */
	int backup;			/* VIPABACKUP here */
	uint8_t rank;
	enum vipa_moveable moveable;
	int has_dist;			/* own VIPADISTRIBUTE */
	struct vipa_distribute dist;
	int owned;			/* we are the routing stack now */
	int activated_ms_valid;
	uint64_t activated_wall_ms;
	uint64_t active_since_ms;	/* lib_now_ms() of the activation (SYSPLEX$ROLE) */
	char owner[XCF_NAME_LEN + 1];	/* current routing stack ("" unknown) */
	/* target side: the owner's distribution as last advertised */
	int target;			/* we are a target of it */
	struct wire_xcf_dist_adv adv;
	int listen_dirty;		/* send a full listener report */
	uint16_t rdy[VIPA_MAX_PORTS];	/* listeners per adv.ports[i] */
	/* ownership (own.c): what every other live stack advertises for it */
	struct stack_cand {
		char member[XCF_NAME_LEN + 1];
		uint8_t origin, rank, status, flags;
	} cand[XCF_MAX_MEMBERS];
	int ncand;
	int inherited;			/* distribution inherited from the owner's DIST_ADV */
	int moving;			/* given up; still forwarding until moving_until_ms */
	uint64_t moving_until_ms;
	char moving_to[XCF_NAME_LEN + 1];
	uint64_t owner_lost_ms;		/* its active owner vanished (for the message) */
	char last_owner[XCF_NAME_LEN + 1];
	int deactivated;		/* V TCPIP,,SYSPLEX,DEACTIVATE */
	uint8_t quiesced[VIPA_MAX_PORTS];	/* target: V TCPIP,,SYSPLEX,QUIESCE per adv.ports[i] */
};

struct stack_counters {
	uint64_t rx_pkts, rx_bytes;
	uint64_t fwd_pkts, fwd_bytes;	/* forwarded to another target */
	uint64_t local_pkts;		/* delivered locally (we are the target) */
	uint64_t strip_pkts;		/* RH2 stripped on the target side */
	uint64_t new_conns, no_target, no_entry;
	uint64_t tun_write_err;
	uint64_t link_dropped;		/* SYSPLEX$LINK loss and delay-line overflow */
	uint64_t ptb_sent;		/* Packet Too Big: rewritten packet would not fit */
	uint64_t full_reports;		/* target: full connection reports sent to owners */
};

struct stack_mip6_counters {
	uint64_t tx[8], rx[8];		/* Mobility Header messages by type */
	uint64_t started, bound, deletes, target_lost, gave_up, copies, bind_info,
		 ba_errors;
	uint64_t refreshes, refreshed;	/* binding refreshes started / acknowledged */
	uint64_t syn_to_bu_ms_sum;	/* sum over bypassed connections: SYN to first BU */
	uint64_t last_tick_ms;
};

struct stack {
	uv_loop_t *loop;
	int no_mip6;			/* -M: this stack does not support the bypass */
	int left_group;			/* V TCPIP,,SYSPLEX,LEAVEGROUP */
	int quiesce_target;		/* V TCPIP,,SYSPLEX,QUIESCE,TARGET */
	int link_loss_pct;		/* SYSPLEX$LINK: fault injection in dp.c */
	unsigned link_delay_ms;
	struct lib_delay *delay;
	struct vipa_profile prof;
	struct xcf_couple couple;
	struct xcf *xcf;
	char sysname[9], tcpname[9], member[XCF_NAME_LEN + 1];
	uint8_t xcfaddr[16];
	char lanif[16];
	int lan_ifindex;
	char statedir[200];
	struct lib_nl *nl;
	int tun_fd, tun_ifindex;
	unsigned lan_mtu;
	uv_poll_t tun_poll;
	uint8_t *rxbuf;			/* STACK_HEADROOM + STACK_PKT_MAX */

	int ndv;
	struct stack_dvipa dv[VIPA_MAX_DVIPA];

	struct vipa_vdpt *vdpt;		/* routing stack: destination port table */
	struct vipa_vcrt *vcrt;		/* routing stack: connection routing table */
	struct vipa_vcrt *tconn;	/* target: connections we terminate */
	struct vipa_vcrt *affinity;	/* TIMEDAFFINITY: key (DVIPA, client, port, 0),
					 * dest_xcf = target, last_ms = expiry */
	struct vipa_store *store;
	uint64_t poll_gen;

	uv_timer_t poll_timer, adv_timer;
	uv_signal_t sigterm, sigint;
	struct lib_ctl *ctl;
	unsigned ctl_reports;		/* number of the last NETSTAT/SYSPLEX report header */

	/* routing stack: generation of the full connection report in progress
	 * from each target (see on_tgt_conn) */
	struct {
		uint8_t dest[16];
		uint64_t gen;
	} fullgen[XCF_MAX_MEMBERS];
	uint64_t full_gen;

	struct stack_counters cnt;
	struct stack_mip6_counters mip6;
	struct lib_verdicts tun_verdicts, bus_verdicts, ctl_verdicts;
	uint64_t started_wall_ms;
	uint64_t settle_until_ms;	/* no activation before the group is known */
	/* members whose VIPA_ADV we have heard since they joined (own.c) */
	struct {
		char member[XCF_NAME_LEN + 1];
		uint64_t incarnation;
	} heard[XCF_MAX_MEMBERS];
	int nheard;
	uv_timer_t own_timer;		/* re-evaluates ownership when a wait ends */
};

/* stack.c: roles, XCF message handling */
int stack_init(struct stack *s, uv_loop_t *loop);
void stack_shutdown(struct stack *s);
int stack_send(struct stack *s, const char *member, uint8_t type, const void *body, size_t len);
struct stack_dvipa *stack_dvipa_find(struct stack *s, const uint8_t addr[16]);
int stack_dvipa_is_dist_port(const struct stack_dvipa *d, uint16_t port);
const char *stack_dvipa_diststat(const struct stack_dvipa *d);
const char *stack_dvipa_status(const struct stack_dvipa *d);
/* Bookkeeping before a VCRT entry goes (VDPT active count, store, and the
 * Mobile IPv6 deletion BU); target_lost when its target left the group. */
void stack_conn_removed(struct stack *s, const struct vipa_conn *c, int target_lost);

void stack_dvipa_activate(struct stack *s, struct stack_dvipa *d, const char *from);
void stack_dvipa_route_in(struct stack *s, struct stack_dvipa *d, int on);
void stack_publish_vipa_adv(struct stack *s);
struct stack_dvipa *stack_dvipa_get(struct stack *s, const uint8_t addr[16]);

/* own.c: who owns each DVIPA (backup chain, takeover, takeback, the lease) */
void stack_own_on_adv(struct stack *s, const struct xcf_member_info *from,
		      const struct wire_xcf_vipa_adv *m);
void stack_own_on_leave(struct stack *s, const struct xcf_member_info *m);
void stack_own_evaluate(struct stack *s);
/* May we act as an owner now (member with a valid CDS lease, not left)? */
int stack_own_allowed(struct stack *s);
/* The first thing every owner action does: 1 when allowed; otherwise every
 * owned or MOVING DVIPA is given up at once, and 0. */
int stack_own_guard(struct stack *s);
/* We are out of the sysplex (LEAVEGROUP, or removed by SFM): give every
 * DVIPA up and forget what the others advertised. */
void stack_own_out(struct stack *s);

/* ndp.c: neighbour advertisements for owned DVIPAs */
int stack_ndp_start(struct stack *s);
void stack_ndp_stop(struct stack *s);
int stack_ndp_join(struct stack *s, const uint8_t dvipa[16], int join);

/* dp.c: the TUN data plane */
int stack_dp_start(struct stack *s);
/* Loss (percent) and delay (ms) applied to packets the TUN path handles. */
int stack_dp_link(struct stack *s, int loss_pct, unsigned delay_ms);
void stack_dp_stop(struct stack *s);

/* tgt.c: target-side socket polling and reports */
void stack_tgt_poll(struct stack *s);
void stack_tgt_report_full(struct stack *s, struct stack_dvipa *d);

/* mip6.c: the Mobile IPv6 bypass (routing stack as mobile node, target
 * forwarding copies) */
int stack_mip6_enabled(struct stack *s, const struct vipa_conn *c);
void stack_mip6_conn_established(struct stack *s, struct vipa_conn *c);
void stack_mip6_conn_ended(struct stack *s, const struct vipa_conn *c, int target_lost);
void stack_mip6_tick(struct stack *s);
void stack_mip6_rx_owner(struct stack *s, const struct wire_pkt *pk, const uint8_t *pkt, size_t len);
void stack_mip6_rx_target(struct stack *s, const struct wire_pkt *pk, const uint8_t *pkt,
			  size_t len);
void stack_mip6_on_copy(struct stack *s, const struct xcf_member_info *from, const uint8_t *b,
			size_t len);
void stack_mip6_on_bind_info(struct stack *s, const uint8_t *b, size_t len);
void stack_mip6_apply_bind_info(struct stack *s, const struct wire_xcf_bind_info *b);
/* A binding made by another routing stack used sequence number seq: every
 * BU we send from now on is numbered after it. */
void stack_mip6_seq_seen(struct stack *s, uint16_t seq);

/* Operator actions (stack.c): 0, or -1 with a message in err. */
int stack_leavegroup(struct stack *s, char *msg, size_t len);
int stack_joingroup(struct stack *s, char *msg, size_t len);
int stack_deactivate(struct stack *s, const uint8_t dvipa[16], int on, char *msg, size_t len);
int stack_quiesce(struct stack *s, int port /* -1 = TARGET */, int on, char *msg, size_t len);

/* display.c: the operator displays as result objects (docs/CONSOLE.md has
 * their shapes; render.h the text renderers); NULL when out of memory. */
struct json_t *stack_show_vdpt(struct stack *s);
struct json_t *stack_show_vcrt(struct stack *s);
struct json_t *stack_show_vipadyn(struct stack *s);
struct json_t *stack_show_vipadcfg(struct stack *s);
struct json_t *stack_show_home(struct stack *s);
struct json_t *stack_show_conn(struct stack *s);
struct json_t *stack_show_config(struct stack *s);
struct json_t *stack_show_sysplex_vipadyn(struct stack *s);
struct json_t *stack_show_group(struct stack *s);
struct json_t *stack_show_xcf_groups(struct stack *s);
struct json_t *stack_show_couple(struct stack *s);
struct json_t *stack_show_role(struct stack *s);
struct json_t *stack_show_stats(struct stack *s);

/* ctl.c: control socket and commands */
int stack_ctl_start(struct stack *s);
void stack_ctl_stop(struct stack *s);
/* Executes one command line; output (status line not included) into out.
 * Returns 0 (RC=0) or -1 (RC=8). */
int stack_ctl_exec(struct stack *s, const char *line, int json, struct lib_sbuf *out);

#endif
