/*
 * vipa.h - dynamic VIPA logic: the z/OS PROFILE (VIPADYNAMIC block), the
 * destination port table (VDPT), the connection routing table (VCRT), the
 * choice of a target for a new connection, and the SQLite write-behind store.
 *
 * Contract:
 *  - The VCRT and VDPT are plain in-memory tables sized at creation; lookups,
 *    inserts and removals on the packet path never allocate.
 *  - Functions return 0 / a negative errno; pointers returned from tables stay
 *    valid until the entry is removed.
 *  - The store (vipa_store_*) queues changes in preallocated rings and writes
 *    them to SQLite off the event loop (uv_queue_work) in one transaction per
 *    flush; the packet path only appends to a ring.
 */
#ifndef SYSPLEX_VIPA_H
#define SYSPLEX_VIPA_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <uv.h>

#define VIPA_MAX_DVIPA 32
#define VIPA_MAX_PORTS 64
#define VIPA_MAX_DEST 32
#define VIPA_IFNAME_LEN 16
#define VIPA_MIN_RANK 1
#define VIPA_MAX_RANK 254
/* MIP6BINDLIFETIME: RFC 6275 MAX_RR_BINDING_LIFETIME, in the BU's 4 s units */
#define VIPA_BINDLIFE_MAX 420
#define VIPA_BINDLIFE_UNIT 4

/* ---- PROFILE ------------------------------------------------------------
 *
 * Addresses: every address is 16 bytes.  An IPv4 address is stored
 * IPv4-mapped (::ffff:a.b.c.d, RFC 4291 2.5.5.2) and the structure that holds
 * it says so with a `v4` flag; vipa_addr_str() prints dotted quad for it.
 */
#define VIPA_MAX_DIST 64		/* VIPADISTRIBUTE statements in effect */
#define VIPA_MAX_RANGE 64		/* VIPARANGE statements in effect */
#define VIPA_MAX_VROUTE 32		/* VIPAROUTE statements in effect */
#define VIPA_MAX_WARN 32		/* warnings kept (more are only counted) */
#define VIPA_WARN_LEN 160
#define VIPA_SAF_LEN 8
#define VIPA_HS_MAX_BACKUP 31		/* HOTSTANDBY: backups on one statement */
#define VIPA_OPTLOCAL_MAX 16
#define VIPA_ADDRSTRLEN 46		/* INET6_ADDRSTRLEN */

enum vipa_distmethod {
	VIPA_DIST_ROUNDROBIN = 1,	/* the values cross the XCF bus (DIST_ADV) */
	VIPA_DIST_WEIGHTEDACTIVE = 2,
	VIPA_DIST_BASEWLM = 3,		/* the z/OS default */
	VIPA_DIST_SERVERWLM = 4,
	VIPA_DIST_HOTSTANDBY = 5,
};
/* The DISTMETHOD when a VIPADISTRIBUTE names none (z/OS: BASEWLM). */
#define VIPA_DIST_DEFAULT VIPA_DIST_BASEWLM
enum vipa_moveable {
	VIPA_MOVE_IMMEDIATE = 1,	/* VIPADEFINE / VIPABACKUP */
	VIPA_MOVE_WHENIDLE = 2,
	VIPA_MOVE_NONDISRUPTIVE = 3,	/* VIPARANGE */
	VIPA_MOVE_DISRUPTIVE = 4,
};
/* HOTSTANDBY server type of a DESTIP. */
enum vipa_srvtype { VIPA_SRV_NONE = 0, VIPA_SRV_PREFERRED = 1, VIPA_SRV_BACKUP = 2 };

struct vipa_dest {
	uint8_t xcf[16];	/* the target's DYNAMICXCF address */
	uint16_t weight;	/* WEIGHTEDACTIVE weight, 1 when not given */
	uint8_t srvtype;	/* HOTSTANDBY: enum vipa_srvtype */
	uint8_t rank;		/* HOTSTANDBY BACKUP rank 1..254 */
};

/* A VIPADEFINE or VIPABACKUP statement (an IPv4 statement naming several
 * addresses gives one entry per address). */
struct vipa_define {
	int backup;			/* 0 = VIPADEFINE, 1 = VIPABACKUP */
	uint8_t rank;			/* VIPABACKUP rank 1..254; 0 for VIPADEFINE */
	enum vipa_moveable moveable;
	char ifname[VIPA_IFNAME_LEN + 1];	/* IPv6 interface name, e.g. DVIPA1; "" for IPv4 */
	uint8_t addr[16];
	uint8_t v4;			/* IPv4 DVIPA (addr IPv4-mapped) */
	uint8_t plen;			/* IPv4: address_mask as a prefix length */
	uint8_t src;			/* 0 = the profile, 1 = an OBEYFILE */
	int line;			/* where it was defined */
};

/* A VIPADISTRIBUTE DEFINE statement (as left after any DELETE). */
struct vipa_distribute {
	enum vipa_distmethod method;
	uint16_t timedaff;		/* TIMEDAFFINITY seconds, 0 = none */
	char ifname[VIPA_IFNAME_LEN + 1];	/* as written (interface name); "" for IPv4 */
	uint8_t dvipa[16];		/* resolved from the VIPADEFINE/VIPABACKUP */
	uint8_t v4;			/* IPv4 DVIPA */
	int nports;
	uint16_t ports[VIPA_MAX_PORTS];
	int destall;			/* DESTIP ALL */
	int ndest;
	struct vipa_dest dest[VIPA_MAX_DEST];
	int mip6;			/* MOBILEIPV6 (our extension), default NOMOBILEIPV6 */
	uint8_t optlocal;		/* OPTLOCAL value 0..16 when has_optlocal */
	uint8_t has_optlocal;		/* OPTLOCAL given (default NOOPTLOCAL) */
	uint8_t sysplexports;		/* SYSPLEXPORTS */
	uint8_t autoswitchback;		/* HOTSTANDBY: AUTOSWITCHBACK (default) */
	uint8_t healthswitch;		/* HOTSTANDBY: HEALTHSWITCH (default) */
	uint8_t has_proctype;		/* BASEWLM PROCTYPE given */
	uint8_t proc_cp, proc_zaap, proc_ziip;	/* PROCTYPE percentages, sum 100 */
	uint8_t xcost_zaap, xcost_ziip;	/* SERVERWLM PROCXCOST 1..100 (default 1) */
	uint8_t ilweighting;		/* SERVERWLM ILWEIGHTING 0..3 (default 0) */
	uint8_t src;
	int line;
};

/* A VIPARANGE DEFINE statement. */
struct vipa_range {
	enum vipa_moveable moveable;	/* NONDISRUPTIVE (default) or DISRUPTIVE */
	char ifname[VIPA_IFNAME_LEN + 1];	/* IPv6 interface name; "" for IPv4 */
	uint8_t addr[16];		/* as written (not masked) */
	uint8_t plen;			/* prefix length of the subnet */
	uint8_t v4;
	char saf[VIPA_SAF_LEN + 1];	/* SAF resname, "" none */
	uint8_t src;
	int line;
};

/* A VIPAROUTE DEFINE statement: forward to the target whose DYNAMICXCF
 * address is xcf by encapsulating (GRE) to target. */
struct vipa_vroute {
	uint8_t xcf[16];
	uint8_t target[16];
	uint8_t v4;
	uint8_t src;
	int line;
};

#define VIPA_DATAPATH_BPF 1		/* the kernel fast path (eBPF), TUN where it fails */
#define VIPA_DATAPATH_TUN 2		/* every data packet through the daemon's TUN */

struct vipa_profile {
	char path[256];
	int has_dynxcf;
	uint8_t dynxcf[16];		/* IPCONFIG6 DYNAMICXCF address */
	uint8_t intfid[8];		/* INTFID, all zero when absent */
	int has_intfid;
	int has_dynxcf4;		/* IPCONFIG DYNAMICXCF given */
	uint8_t dynxcf4[16];		/* its address, IPv4-mapped */
	uint8_t dynxcf4_plen;		/* its subnet mask as a prefix length */
	uint8_t dynxcf4_cost;		/* its cost metric */
	int nomip6;			/* IPCONFIG6 NOMOBILEIPV6: this stack, as a target,
					 * does not support the MIPv6 bypass (our extension) */
	int datapath;			/* DATAPATH (ours): VIPA_DATAPATH_*, 0 not given */
	uint16_t bindlife;		/* IPCONFIG6 MIP6BINDLIFETIME seconds (ours): the
					 * binding lifetime this stack asks for in its BUs
					 * as a routing stack; 0 = not given (the maximum) */
	int ndefine;
	struct vipa_define define[VIPA_MAX_DVIPA * 2];
	int ndist;
	struct vipa_distribute dist[VIPA_MAX_DIST];
	int nrange;
	struct vipa_range range[VIPA_MAX_RANGE];
	int nvroute;
	struct vipa_vroute vroute[VIPA_MAX_VROUTE];
	/* Statements skipped with a warning ("FILE:LINE: STATEMENT: ..."). */
	int nwarn;			/* all of them */
	char warn[VIPA_MAX_WARN][VIPA_WARN_LEN];	/* the first VIPA_MAX_WARN */
};

/*
 * Parses a PROFILE.  On error returns -EINVAL and writes one line into err:
 * "FILE:LINE: STATEMENT: what is wrong" (no trailing newline).  Statements
 * that are accepted but skipped are listed in p->warn (same form).
 */
int vipa_profile_parse_file(struct vipa_profile *p, const char *path, char *err, size_t errlen);
/* Same, from a buffer; `name` is used in messages in place of a file name. */
int vipa_profile_parse_buf(struct vipa_profile *p, const char *name, const char *buf,
			   size_t len, char *err, size_t errlen);
/* Prints the normalized profile (upper-case keywords, one statement a line,
 * canonical addresses, defaults spelled out), as `tcpip-stack -n` does. */
void vipa_profile_print(const struct vipa_profile *p, FILE *out);
/* Writes the warnings, one a line, and "... N more" when some were not kept. */
void vipa_profile_print_warnings(const struct vipa_profile *p, FILE *out);
/* Finds the first VIPADISTRIBUTE for dvipa, or NULL. */
const struct vipa_distribute *vipa_profile_dist(const struct vipa_profile *p,
						const uint8_t dvipa[16]);
/* Finds the VIPADISTRIBUTE distributing (dvipa, port), or NULL. */
const struct vipa_distribute *vipa_profile_dist_port(const struct vipa_profile *p,
						     const uint8_t dvipa[16], uint16_t port);
/* Finds the most specific VIPARANGE containing addr, or NULL. */
const struct vipa_range *vipa_profile_range_match(const struct vipa_profile *p,
						  const uint8_t addr[16]);
/* Finds the VIPAROUTE for a target's DYNAMICXCF address, or NULL. */
const struct vipa_vroute *vipa_profile_vroute(const struct vipa_profile *p,
					      const uint8_t xcf[16]);
const char *vipa_distmethod_name(enum vipa_distmethod m);
/* True when a is IPv4-mapped (::ffff:a.b.c.d). */
int vipa_addr_is_v4(const uint8_t a[16]);
/* Dotted quad for an IPv4-mapped address, RFC 5952 text otherwise. */
const char *vipa_addr_str(const uint8_t a[16], char *buf, size_t len);

/*
 * OBEYFILE: a change to a running profile (V TCPIP,tcpname,OBEYFILE,FILE).
 * The file is read as a continuation of the running profile `cur`: its
 * statements add to or delete from a copy, `next`, checked exactly as at
 * start up.  When any statement is wrong nothing is applied: the function
 * returns -EINVAL, err says where and why, *nchg is 0 and `next` is
 * unspecified.  On success `next` is the new profile and chg[0..*nchg) the
 * changes from cur to next, in the order a stack applies them (deletions
 * first, then additions); -ENOSPC when more than `cap` changes.
 * IPCONFIG6/IPCONFIG DYNAMICXCF cannot change (an error unless identical).
 */
enum vipa_change_kind {
	VIPA_CHG_DIST_DEL = 1,		/* (dvipa, port, dest) no longer distributed */
	VIPA_CHG_DVIPA_DEL,		/* VIPADELETE: define[] index in cur */
	VIPA_CHG_RANGE_DEL,		/* range[] index in cur */
	VIPA_CHG_VROUTE_DEL,		/* vroute[] index in cur */
	VIPA_CHG_DVIPA_ADD,		/* new VIPADEFINE/VIPABACKUP: define[] index in next */
	VIPA_CHG_RANGE_ADD,		/* range[] index in next */
	VIPA_CHG_VROUTE_ADD,		/* vroute[] index in next */
	VIPA_CHG_DIST_ADD,		/* (dvipa, port, dest) newly distributed: dist[] in next */
};
struct vipa_change {
	enum vipa_change_kind kind;
	int index;			/* see the kind */
	uint8_t addr[16];		/* DVIPA, range address or VIPAROUTE xcf */
	uint16_t port;			/* DIST_*: the port */
	int destall;			/* DIST_*: DESTIP ALL */
	uint8_t dest[16];		/* DIST_*: the destination unless destall */
};
int vipa_profile_obey_buf(const struct vipa_profile *cur, struct vipa_profile *next,
			  const char *name, const char *buf, size_t len,
			  struct vipa_change *chg, int cap, int *nchg, char *err, size_t errlen);
int vipa_profile_obey_file(const struct vipa_profile *cur, struct vipa_profile *next,
			   const char *path, struct vipa_change *chg, int cap, int *nchg,
			   char *err, size_t errlen);
const char *vipa_change_name(enum vipa_change_kind k);

/* ---- VDPT: destination port table ------------------------------------------- */
/* TSR history (vipa_tsr_update). */
struct vipa_tsr_state {
	uint64_t sent, est;		/* connections sent / established, decayed,
					 * in 1/1024ths */
};
#define VIPA_VDPT_MAX 1024
#define VIPA_VDPT_F_QUIESCED 0x01
#define VIPA_VDPT_F_NOMIP6 0x02	/* target does not support the MIPv6 bypass */

struct vipa_vdpt_entry {
	int used;
	uint8_t dvipa[16];
	uint16_t port;
	uint8_t dest_xcf[16];		/* target's DYNAMICXCF address */
	char dest_name[17];		/* XCF member of the target, "" if unknown */
	uint16_t rdy;			/* listeners the target reported */
	uint16_t weight;		/* configured (or reported) weight, >= 1 */
	uint32_t totalconn;		/* connections given to it (wraps) */
	uint32_t active;		/* connections it currently has in the VCRT */
	uint8_t flags;			/* VIPA_VDPT_F_* */
	uint64_t last_report_ms;
	/* Distribution by WLM weights and HOTSTANDBY (see vipa_vdpt_pick). */
	uint8_t wlm;			/* BASEWLM system / SERVERWLM server weight 0..64 */
	uint8_t tsr;			/* target server responsiveness 0..100 (100 when new) */
	uint8_t hs_type;		/* HOTSTANDBY: enum vipa_srvtype */
	uint8_t hs_rank;		/* HOTSTANDBY BACKUP rank */
	int32_t swrr;			/* smooth weighted round-robin state */
	/* What the target reports of its emulated WLM system and listener
	 * (TGT_LISTEN), and the routing stack's TSR bookkeeping. */
	uint8_t has_wlm;		/* capacity/load/sef reported */
	uint8_t load;			/* the target system's load, percent */
	uint8_t sef;			/* the listener's server efficiency fraction */
	uint8_t sys_wlm;		/* its BASEWLM system weight (vipa_vdpt_wlm_update) */
	uint32_t capacity;		/* the target system's capacity */
	uint32_t confirmed;		/* connections seen established (wraps) */
	uint32_t tsr_sent_seen, tsr_est_seen;	/* totalconn / confirmed at the last tick */
	uint32_t tsr_grace;		/* sent before the last tick, unconfirmed then */
	struct vipa_tsr_state tsr_st;
};

struct vipa_vdpt {
	int n;				/* high-water mark of used slots */
	struct vipa_vdpt_entry e[VIPA_VDPT_MAX];
	/* per (dvipa, port) round-robin cursors and smooth-weight state */
	struct {
		int used;
		uint8_t dvipa[16];
		uint16_t port;
		enum vipa_distmethod method;
		uint32_t cursor;
		uint8_t autoswitchback;	/* HOTSTANDBY options (default 1, 1) */
		uint8_t healthswitch;
		uint8_t has_active;	/* HOTSTANDBY: the active target is known */
		uint8_t active[16];	/* its DYNAMICXCF address */
	} svc[VIPA_MAX_DVIPA * VIPA_MAX_PORTS];
	int nsvc;
};

void vipa_vdpt_init(struct vipa_vdpt *t);
/* Declares that (dvipa, port) is distributed with `method`. */
int vipa_vdpt_service(struct vipa_vdpt *t, const uint8_t dvipa[16], uint16_t port,
		      enum vipa_distmethod method);
/* Finds or creates the entry for (dvipa, port, dest); NULL when full. */
struct vipa_vdpt_entry *vipa_vdpt_get(struct vipa_vdpt *t, const uint8_t dvipa[16],
				      uint16_t port, const uint8_t dest_xcf[16], int create);
int vipa_vdpt_remove(struct vipa_vdpt *t, const uint8_t dvipa[16], uint16_t port,
		     const uint8_t dest_xcf[16]);
/* Removes every entry of a destination (target left the group); returns how many. */
int vipa_vdpt_remove_dest(struct vipa_vdpt *t, const uint8_t dest_xcf[16]);
/* Sets the HOTSTANDBY options of a declared service; -ENOENT if none. */
int vipa_vdpt_service_hs(struct vipa_vdpt *t, const uint8_t dvipa[16], uint16_t port,
			 int autoswitchback, int healthswitch);
/* The method of a declared service, 0 if none. */
enum vipa_distmethod vipa_vdpt_method(const struct vipa_vdpt *t, const uint8_t dvipa[16],
				      uint16_t port);
/*
 * Chooses the target for a new connection to (dvipa, port) among entries with
 * rdy > 0 and not quiesced: ROUNDROBIN rotates evenly; WEIGHTEDACTIVE picks
 * the entry with the lowest active/weight ratio (ties rotate); BASEWLM and
 * SERVERWLM share new connections in proportion to wlm * tsr (smooth
 * weighted round robin; entries of weight 0 get none unless all are 0, and
 * when all weights are equal it is exactly ROUNDROBIN); HOTSTANDBY gives
 * every connection to the active target (vipa_hs_choose's rules, the
 * HEALTHSWITCH health being tsr > 0).  Increments the chosen entry's
 * totalconn.  Returns the entry or NULL when none is ready.
 */
struct vipa_vdpt_entry *vipa_vdpt_pick(struct vipa_vdpt *t, const uint8_t dvipa[16],
				       uint16_t port);
/*
 * The same decision laid out for a kernel data path that routes SYNs by
 * itself: up to max (at most VIPA_SCHED_MAX) slots, each a target's
 * dest_xcf, taken in turn by new connections.  ROUNDROBIN, and the WLM
 * methods with equal weights: each eligible entry (rdy > 0, not quiesced)
 * once, in VDPT order; WLM weights: a smooth weighted round robin sequence
 * over the weights scaled to at most max slots (a weight > 0 keeps at
 * least one; weight 0 gets none).  0 (leave every SYN to vipa_vdpt_pick)
 * for WEIGHTEDACTIVE and HOTSTANDBY (they depend on each pick), no
 * eligible entry, or more eligible entries than slots.  Changes nothing.
 */
#define VIPA_SCHED_MAX 64
int vipa_vdpt_schedule(const struct vipa_vdpt *t, const uint8_t dvipa[16], uint16_t port,
		       uint8_t (*out)[16], int max);
/*
 * The FLG letters of a VDPT row for D TCPIP,,NETSTAT,VDPT: B = the WLM
 * column is a BASEWLM system weight, S = a SERVERWLM server weight; for
 * HOTSTANDBY A = the active target, H = a hot standby; Q = quiesced.
 * Writes at most 4 letters and a NUL into buf (at least 5 bytes).
 */
const char *vipa_vdpt_flags(const struct vipa_vdpt *t, const struct vipa_vdpt_entry *e,
			    char *buf, size_t len);
/*
 * Recomputes the WLM weights of the entries of (dvipa, port) from what their
 * targets reported (has_wlm): sys_wlm = the BASEWLM system weights
 * (vipa_wlm_system_weights) over the service's reporting targets; wlm =
 * sys_wlm, or for SERVERWLM the server weight vipa_wlm_server_weight(sys_wlm,
 * sef).  Entries without a report get 0 (a pick shares evenly while none has
 * reported, and gives them nothing while others have weights).
 */
void vipa_vdpt_wlm_update(struct vipa_vdpt *t, const uint8_t dvipa[16], uint16_t port);
/*
 * One TSR interval (the routing stack calls it every second): for every
 * entry, the connections sent (totalconn) and seen established (confirmed)
 * since the last tick update its TSR (vipa_tsr_update with the entry's SEF,
 * 100 until the target reported one).
 */
void vipa_vdpt_tsr_tick(struct vipa_vdpt *t);

/* ---- WLM: the emulated Workload Manager (pure functions, dist.c) ------------ */
#define VIPA_WLM_MAX 64			/* the highest WLM weight */
struct vipa_wlm_sys {
	uint32_t capacity;		/* relative processing capacity, 0 = none */
	uint8_t load;			/* percent of the capacity in use, 0..100 */
};
/*
 * BASEWLM system weights: spare_i = capacity_i * (100 - load_i); the system
 * with the most spare capacity gets VIPA_WLM_MAX, every other one
 * round(VIPA_WLM_MAX * spare_i / spare_max), at least 1 when it has any
 * spare capacity; no spare capacity gives 0.  When no system has spare
 * capacity all weights are 0 (the pick then treats them as equal).
 */
void vipa_wlm_system_weights(const struct vipa_wlm_sys *s, int n, uint8_t *w);
/*
 * Server efficiency fraction (SEF, 0..100), measured by a target for one
 * listener over an interval: accept efficiency 100 * accepted / (accepted +
 * dropped) (100 when nothing arrived), lowered by the fill of the accept
 * queue: * (100 - fill / 2) / 100 with fill = 100 * backlog / backlog_max.
 */
uint8_t vipa_wlm_sef(uint32_t accepted, uint32_t dropped, uint32_t backlog,
		     uint32_t backlog_max);
/* SERVERWLM server weight a target reports: system weight * SEF / 100,
 * rounded, at least 1 when both are non-zero. */
uint8_t vipa_wlm_server_weight(uint8_t sys_weight, uint8_t sef);
/*
 * Target server responsiveness as the routing stack sees it.  TCSR (target
 * connectivity success rate) = 100 * established / sent over a decaying
 * window (each update keeps 3/4 of the history); TSR = TCSR * SEF / 100.
 */
uint8_t vipa_tsr_update(struct vipa_tsr_state *st, uint32_t sent, uint32_t est, uint8_t sef);
/* The weight a pick uses: wlm * tsr / 100, at least 1 when both are non-zero. */
uint32_t vipa_wlm_effective(uint8_t wlm, uint8_t tsr);
/*
 * Smooth weighted round robin over n weights (nginx's algorithm): every
 * candidate's current value grows by its weight, the largest (the first
 * among equals) is chosen and loses the total.  Over any sum(w) picks each
 * candidate is chosen exactly w_i times.  Weight-0 candidates are never
 * chosen; returns -1 when all weights are 0.  cur[] is the caller's state.
 */
int vipa_swrr_pick(int32_t *cur, const uint32_t *w, int n);

/* HOTSTANDBY: one candidate target. */
struct vipa_hs_cand {
	uint8_t srvtype;		/* enum vipa_srvtype */
	uint8_t rank;			/* BACKUP rank (higher is preferred) */
	uint8_t available;		/* ready, not quiesced and (HEALTHSWITCH) healthy */
};
/*
 * The active target: with AUTOSWITCHBACK the PREFERRED one while it is
 * available, else the available BACKUP of the highest rank (the first listed
 * among equal ranks).  With NOAUTOSWITCHBACK the current active target
 * (index `current`, -1 none) stays while it is available; otherwise the same
 * order picks a new one.  Returns the index, or -1 when none is available.
 */
int vipa_hs_choose(const struct vipa_hs_cand *c, int n, int current, int autoswitchback);

/* ---- SYSPLEXPORTS: ephemeral port blocks per target (pure, sysports.c) ------ */
#define VIPA_SYSPORTS_BLOCK 64		/* ports in a block */
#define VIPA_SYSPORTS_NBLOCK (65536 / VIPA_SYSPORTS_BLOCK)
#define VIPA_SYSPORTS_MAX_TGT 32
/*
 * The routing stack of a SYSPLEXPORTS DVIPA owns one of these and hands out
 * blocks of VIPA_SYSPORTS_BLOCK ephemeral ports to targets (over XCF), so no
 * two targets ever use the same source port with the DVIPA; it also answers
 * which target owns the port of an inbound packet for a connection a target
 * opened.  Blocks are allocated next-fit (a block freed is the last to be
 * reused), inside [lo, hi] rounded inwards to whole blocks.
 */
struct vipa_sysports {
	uint16_t first_block, last_block;	/* the range, in blocks */
	uint16_t next;				/* next-fit cursor (block) */
	uint8_t owner[VIPA_SYSPORTS_NBLOCK];	/* 0 free, else target slot + 1 */
	uint8_t tgt[VIPA_SYSPORTS_MAX_TGT][16];	/* target DYNAMICXCF addresses */
	uint8_t tgt_used[VIPA_SYSPORTS_MAX_TGT];
};
/* -EINVAL when [lo, hi] holds no whole block. */
int vipa_sysports_init(struct vipa_sysports *sp, uint16_t lo, uint16_t hi);
/* Gives the target a free block; returns its first port, -ENOSPC when none
 * is free or there are already VIPA_SYSPORTS_MAX_TGT targets. */
int vipa_sysports_alloc(struct vipa_sysports *sp, const uint8_t xcf[16]);
/* The same for `count` consecutive blocks (one contiguous port range, e.g.
 * for a target's ip_local_port_range); returns the first port. */
int vipa_sysports_alloc_n(struct vipa_sysports *sp, const uint8_t xcf[16], int count);
/* Frees the block holding port if the target owns it; -ENOENT otherwise. */
int vipa_sysports_release(struct vipa_sysports *sp, const uint8_t xcf[16], uint16_t port);
/* Frees every block of a target (it left); returns how many. */
int vipa_sysports_release_all(struct vipa_sysports *sp, const uint8_t xcf[16]);
/* The owner of port: copies its address and returns 0, -ENOENT if free. */
int vipa_sysports_owner(const struct vipa_sysports *sp, uint16_t port, uint8_t xcf[16]);
/* Blocks a target holds (for D TCPIP,,SYSPLEX,PORTS). */
int vipa_sysports_count(const struct vipa_sysports *sp, const uint8_t xcf[16]);
/* Gives the target exactly the `count` blocks from `port` (a block
 * boundary): a target keeping its ports across a change of routing stack.
 * Returns port; -EBUSY when another target holds one of them, -EINVAL when
 * they are not inside the range, -ENOSPC when there are too many targets. */
int vipa_sysports_claim(struct vipa_sysports *sp, const uint8_t xcf[16], uint16_t port, int count);
/* The first port of the target's lowest block; -ENOENT when it has none. */
int vipa_sysports_first(const struct vipa_sysports *sp, const uint8_t xcf[16]);

/* ---- VCRT: connection routing table ------------------------------------------
 * A lib_tab (lib/lib.h) of struct vipa_conn keyed by struct vipa_conn_key:
 * the routing stack's table of the connections it routes, and a target's
 * table of the connections it terminates. */
enum vipa_conn_state { VIPA_CONN_SYN = 1, VIPA_CONN_EST = 2 };
enum vipa_bypass { VIPA_BYPASS_NONE = 0, VIPA_BYPASS_TESTING = 1, VIPA_BYPASS_BOUND = 2 };

struct vipa_conn_key {
	uint8_t dvipa[16];
	uint8_t client[16];
	uint16_t dport;
	uint16_t cport;
};

struct vipa_conn {
	struct vipa_conn_key key;
	uint8_t dest_xcf[16];		/* target it is routed to */
	uint8_t state;			/* enum vipa_conn_state */
	uint8_t bypass;			/* enum vipa_bypass */
	uint8_t coa[16];		/* care-of address when bound */
	uint8_t confirmed;		/* routing stack: counted in its VDPT entry's
					 * `confirmed` (the TSR's established) */
	uint8_t unaccepted;		/* target: consecutive polls that found the
					 * socket still in the listener's accept queue */
	uint64_t created_ms;
	uint64_t listed_gen;		/* mark and sweep: generation of the last
					 * complete listing that held it (routing
					 * stack: its target's full report; target:
					 * its socket table poll) */
	uint64_t pkts_fwd;		/* packets the routing stack forwarded */
	uint64_t bytes_fwd;
	/* Mobile IPv6 bypass bookkeeping (routing stack) */
	uint16_t bu_seq;		/* sequence number of the last BU sent */
	uint16_t bu_life;		/* lifetime (s) of the binding, as granted */
	uint8_t bu_tries;		/* BUs sent without a BA */
	uint8_t refreshing;		/* a refresh of the binding is under way */
	uint8_t per_home;		/* its bypass is the client's per-home-address
					 * binding of the DVIPA (a standard RFC 6275
					 * correspondent node), not its own */
	uint8_t early;			/* routing stack: half-open, its kernel fast
					 * path entry installed at the SYN (fast.c) */
	uint64_t bypass_ms;		/* when the bypass state last changed */
	uint64_t bu_ms;			/* when the last BU was sent (bound: the one
					 * that registered the binding) */
	uint64_t fin_ms;		/* routing stack: client FIN or RST seen */
	uint32_t syn_isn;		/* routing stack: the client's initial sequence
					 * number (its SYN), so a retransmitted SYN
					 * keeps its target */
	uint32_t mip6_tick;		/* routing stack: the 100 ms tick its bypass's
					 * retry or refresh is scheduled for in the
					 * timer wheel of mip6.c; 0 none */
};

struct vipa_vcrt;
/* Creates a table for up to `cap` connections (its index is a power of two,
 * at most 90% full); vipa_vcrt_capacity() returns cap. */
struct vipa_vcrt *vipa_vcrt_new(size_t cap);
void vipa_vcrt_destroy(struct vipa_vcrt **t);
size_t vipa_vcrt_count(const struct vipa_vcrt *t);
size_t vipa_vcrt_capacity(const struct vipa_vcrt *t);
struct vipa_conn *vipa_vcrt_lookup(struct vipa_vcrt *t, const struct vipa_conn_key *k);
/* Returns the existing entry or a new zeroed one with the key set (*created
 * says which); NULL when the table is full. */
struct vipa_conn *vipa_vcrt_insert(struct vipa_vcrt *t, const struct vipa_conn_key *k,
				   int *created);
int vipa_vcrt_remove(struct vipa_vcrt *t, const struct vipa_conn_key *k);
/* An entry's id (its pool index, below the capacity) and the entry of an
 * id (NULL when none now): for indexes beside the table (vipa_cidx). */
uint32_t vipa_vcrt_id(const struct vipa_vcrt *t, const struct vipa_conn *c);
struct vipa_conn *vipa_vcrt_at(struct vipa_vcrt *t, uint32_t id);
/* Calls cb for every entry; cb returns non-zero to remove that entry. */
void vipa_vcrt_foreach(struct vipa_vcrt *t, int (*cb)(struct vipa_conn *c, void *arg), void *arg);

/* ---- index by client (vipa/cidx.c) ------------------------------------------------
 * For each client address, a list of ids (the pool indexes of a table's
 * entries, lib_tab_id / lib_tab_at): a client's entries that wait for
 * something, found without a walk of the whole table.  O(1) add / delete /
 * move, no allocation after creation.  Membership may be lazy (the owner
 * checks each id in the walk's callback and drops those that no longer
 * belong).  ids: ids are below it (the table's capacity); clients: at most
 * that many clients with a non-empty list at once. */
struct vipa_cidx;
struct vipa_cidx *vipa_cidx_new(size_t ids, size_t clients);	/* NULL, errno EINVAL / ENOMEM */
void vipa_cidx_destroy(struct vipa_cidx **x);			/* *x becomes NULL; NULL safe */
/* Puts id on client's list (moving it from another client's); 0 when it is
 * there already; -EINVAL for an id out of range, -ENOSPC when too many
 * clients have lists. */
int vipa_cidx_add(struct vipa_cidx *x, const uint8_t client[16], uint32_t id);
void vipa_cidx_del(struct vipa_cidx *x, uint32_t id);		/* no-op when on no list */
int vipa_cidx_has(const struct vipa_cidx *x, uint32_t id);
size_t vipa_cidx_count(const struct vipa_cidx *x);		/* ids on lists */
size_t vipa_cidx_clients(const struct vipa_cidx *x);		/* non-empty lists */
int vipa_cidx_walking(const struct vipa_cidx *x);		/* inside a vipa_cidx_foreach */
/* Calls cb for each id on client's list (newest first); cb returns non-zero
 * to take that id off.  cb may add or delete any id: added ones are not
 * visited, deleted ones not yet visited are skipped.  Not reentrant (a
 * nested call visits nothing).  Returns the number of ids visited. */
size_t vipa_cidx_foreach(struct vipa_cidx *x, const uint8_t client[16],
			 int (*cb)(uint32_t id, void *arg), void *arg);

/* ---- connection digest (vipa/digest.c) ------------------------------------------
 * A count and an order-independent 64-bit hash of a set of connections (of
 * one DVIPA, by convention), updated in O(1) per connection added or
 * removed; equal sets give equal digests whatever the order of the updates.
 * Targets and routing stack compare digests to notice that their views of a
 * DVIPA's connections diverged.  Add a key only when it was not in the set,
 * remove one only when it was.  A zeroed struct is the empty set. */
#define VIPA_DIGEST_KEY_LEN 36	/* the canonical bytes hashed per connection */
struct vipa_digest {
	uint64_t count;
	uint64_t sum;		/* sum modulo 2^64 of vipa_digest_hash of the members */
};
/* SipHash-2-4 with a fixed key of DVIPA | client | be16 DVIPA port | be16
 * client port: the same on every stack. */
uint64_t vipa_digest_hash(const struct vipa_conn_key *k);
void vipa_digest_add(struct vipa_digest *d, const struct vipa_conn_key *k);
void vipa_digest_del(struct vipa_digest *d, const struct vipa_conn_key *k);
int vipa_digest_equal(const struct vipa_digest *a, const struct vipa_digest *b);
/* From scratch: the digest of the table's connections of one DVIPA (O(n)). */
void vipa_digest_vcrt(struct vipa_vcrt *t, const uint8_t dvipa[16], struct vipa_digest *d);

/* ---- SQLite write-behind store -------------------------------------------------- */
struct vipa_store;
struct vipa_store_stats {
	uint64_t queued, written, flushes, errors, dropped, reopened;
	uint64_t moved_aside;		/* unusable files moved aside */
	uint64_t last_flush_us;		/* duration of the last flush transaction */
};
enum vipa_store_state {
	VIPA_STORE_ACTIVE = 1,		/* changes are written to the file */
	VIPA_STORE_DISABLED = 2,	/* no file can be written: running without persistence */
};
#define VIPA_STORE_REASON_LEN 256
struct vipa_store_info {
	enum vipa_store_state state;
	char path[PATH_MAX];
	char moved_to[PATH_MAX];	/* where the last unusable file went, "" none */
	char moved_why[VIPA_STORE_REASON_LEN];	/* what was wrong with it */
	char disabled_why[VIPA_STORE_REASON_LEN];	/* DISABLED: why no file can be written */
};
/*
 * Opens the file (creating it if needed), WAL mode, synchronous=NORMAL, the
 * schema.  flush_ms: how often queued changes are written.
 *
 * A bad file never stops the caller.  A file that is not a store this
 * program can use (not an SQLite database, corrupt, another program's or
 * another schema version's tables, read-only) is moved aside to
 * PATH.bad-YYYYMMDDTHHMMSSZ (its -wal and -shm with it, for the operator) and
 * a new one is created.  When no file can be written (the bad one cannot be
 * moved, the directory is not writable, the disk is full, the file is
 * locked) the store runs DISABLED: changes are not kept, it tries again every
 * 100 flush intervals and rewrites the attached tables once a file works.
 * Flushes that fail three times in a row (or find the file corrupt) lead to
 * the same.  Each event is logged once: EZD1218E (moved aside), EZD1219E
 * (running without persistence), EZD1220I (written again); vipa_store_info()
 * reports the state.  Returns NULL only without memory or with a path longer
 * than PATH_MAX (err says which).
 */
struct vipa_store *vipa_store_open(uv_loop_t *loop, const char *path, unsigned flush_ms,
				   char *err, size_t errlen);
/* Queue changes: O(1), no allocation.  When the ring is full the store marks
 * itself for a full rewrite from the tables at the next flush.  A DISABLED
 * store queues nothing.  All of these accept a NULL store and do nothing. */
void vipa_store_conn_put(struct vipa_store *s, const struct vipa_conn *c);
void vipa_store_conn_del(struct vipa_store *s, const struct vipa_conn_key *k);
void vipa_store_vdpt_put(struct vipa_store *s, const struct vipa_vdpt_entry *e);
void vipa_store_vdpt_del(struct vipa_store *s, const uint8_t dvipa[16], uint16_t port,
			 const uint8_t dest_xcf[16]);
/* Tables the store can snapshot from when it must rewrite everything (ring
 * overflow, or the file was lost and recreated). */
void vipa_store_attach(struct vipa_store *s, struct vipa_vcrt *vcrt, struct vipa_vdpt *vdpt);
/* Half-open connections (VIPA_CONN_SYN) are never stored: the caller does
 * not put them, a rewrite's snapshot leaves them out, and a load skips a
 * row of one (an older version's). */
/* Loads persisted rows into the tables (at start, before traffic).  0 when
 * DISABLED (nothing to load).  A file found corrupt while loading is moved
 * aside and replaced, and -EIO returned (the rows read so far stay). */
int vipa_store_load(struct vipa_store *s, struct vipa_vcrt *vcrt, struct vipa_vdpt *vdpt);
void vipa_store_stats(const struct vipa_store *s, struct vipa_store_stats *st);
void vipa_store_info(const struct vipa_store *s, struct vipa_store_info *i);
const char *vipa_store_state_name(enum vipa_store_state st);
/* Flushes synchronously and closes; safe with NULL.  Call it before the loop
 * is closed and run the loop afterwards, as for any uv handle, so the store's
 * timer (and a flush that was in flight) finish releasing their memory. */
void vipa_store_close(struct vipa_store **s);

#endif
