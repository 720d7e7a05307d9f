/*
 * xcf.h - the coupling bus (plays z/OS XCF) over ZeroMQ, driven by libuv, and
 * the sysplex couple data set with Sysplex Failure Management (SFM).
 * This module is the only code that includes <zmq.h>.
 *
 * Model: a sysplex is a fixed list of systems (the couple config, see
 * xcf_couple_parse), each with one endpoint base and one CURVE key pair.  A
 * member receives on the sockets it binds and sends on the sockets it
 * connects:
 *   - a ROUTER at BASE.rtr (ipc) or tcp port P   (directed messages in),
 *   - a SUB    at BASE.pub (ipc) or tcp port P+1 (heartbeats, group messages in),
 *   - one DEALER per peer, connected to that peer's ROUTER (directed out),
 *   - one PUB connected to every peer's SUB (group out).
 * Every socket runs ZeroMQ's CURVE mechanism: the bound ones as servers with
 * our key pair, the connecting ones as clients that must find the peer's
 * public key of the couple config at the other end.  A ZAP handler admits
 * only the public keys of the other members and names each connection after
 * the member whose key it presented (the ZAP User-Id); every message must
 * carry that member's name as its sender.  So nobody without a member's
 * secret key can send to the bus or read from it.  Members join group
 * EZBTCPCS by publishing heartbeats; a peer is "active" from its first valid
 * heartbeat and "failed" when no heartbeat arrived for fail_ms; an orderly
 * xcf_leave() publishes LEAVE.  A new incarnation (restart) is reported as a
 * failure then a join.  Every member tells its application of every change
 * (join_cb / leave_cb).
 *
 * Every frame is a wire/ XCF envelope + body; malformed or unknown frames are
 * dropped, counted per reason (xcf_verdicts) and logged once per reason, and
 * so are connections refused at the handshake (wrong or unknown key, no
 * CURVE), frames whose sequence number does not grow (replays), and frames
 * beyond a member's message rate.
 *
 * The couple data set (CDS, cds.c; named by the couple config's CDS
 * statement) is the sysplex's shared status record: one slot per system with
 * its incarnation, state, a heartbeat counter and a "poison pill".  A member
 * renews a lease by updating its slot every INTERVAL; it may act as the owner
 * of anything only while that lease is valid (xcf_lease_ok).  SFM (sfm.c)
 * removes members whose XCF heartbeats stop: the full rule and the safety
 * argument are in the header of xcf/sfm.c and in docs/DESIGN.md.
 */
#ifndef SYSPLEX_XCF_H
#define SYSPLEX_XCF_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "lib/lib.h"

#define XCF_MAX_MEMBERS 16
#define XCF_NAME_LEN 16		/* member name, e.g. SYSATCPCS */
#define XCF_EP_LEN 200

#define XCF_PATH_LEN 200
#define XCF_WEIGHT_MAX 9999
#define XCF_CAPACITY_MAX 1000000
#define XCF_CAPACITY_DEFAULT 100
#define XCF_KEY_LEN 40			/* a CURVE key (32 bytes) in Z85 */
#define XCF_KEY_FILE "xcf.key"		/* a member's key file in its state directory */

/* The couple config: which systems form the sysplex, where they listen, and
 * where the couple data set is.  File syntax, one statement per line, ';'
 * starts a comment:
 *     SYSPLEX PLEX1
 *     GROUP EZBTCPCS                       (optional; the default)
 *     INTERVAL 50 FAILURE 250              (ms: heartbeat, failure detection)
 *     CDS /run/sysplex/plex1/cds.db LEASE 400
 *                                          (the couple data set, an SQLite
 *                                          file; LEASE ms optional, default
 *                                          400, at least 4 x INTERVAL)
 *     CDS tcp://[2001:db8::10]:7400 KEY k LEASE 400
 *                                          (or: a CDS server on another host,
 *                                          tcpip-stack --cds-server, cdsnet.c;
 *                                          KEY its CURVE public key, Z85: the
 *                                          parser takes it missing, the stack
 *                                          does not)
 *     MEMBER SYSA TCPCS ipc:///run/sysplex/plex1/xcf/SYSA WEIGHT 10
 *     MEMBER SYSB TCPCS tcp://192.0.2.2:7000 KEY rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7
 *                                          (WEIGHT 1-9999, the SFM policy's
 *                                          system weight, default 1; KEY the
 *                                          member's CURVE public key, Z85)
 *     MEMBER SYSC TCPCS tcp://192.0.2.3:7000 CAPACITY 300 LOAD 20 KEY ...
 *                                          (the emulated WLM: the system's
 *                                          relative capacity 0-1000000,
 *                                          default 100, and load 0-100 %,
 *                                          default 0, at start)
 * Without a CDS statement the bus runs without SFM (membership from
 * heartbeats alone); the TCP/IP stack refuses such a config.  The parser
 * takes a MEMBER without KEY (a config being written); xcf_new and the
 * stack refuse one (xcf_key_check).
 */
struct xcf_couple_member {
	char sysname[9];
	char tcpname[9];
	char member[XCF_NAME_LEN + 1];	/* sysname + tcpname, e.g. SYSATCPCS */
	char endpoint[XCF_EP_LEN];	/* base endpoint as written */
	unsigned weight;		/* SFM policy weight (1 when not given) */
	unsigned capacity;		/* WLM capacity (XCF_CAPACITY_DEFAULT) */
	unsigned load;			/* WLM load, percent (0) */
	unsigned seen;			/* keywords given (parser) */
	char key[XCF_KEY_LEN + 1];	/* CURVE public key, Z85; "" when not given */
};
struct xcf_couple {
	char sysplex[9];
	char group[9];
	unsigned hb_ms, fail_ms;
	char cds[XCF_PATH_LEN];		/* couple data set path, "" = none */
	char cds_key[XCF_KEY_LEN + 1];	/* a CDS server's CURVE public key, "" = none */
	unsigned lease_ms;		/* owner lease on the CDS */
	int n;
	struct xcf_couple_member m[XCF_MAX_MEMBERS];
};
/* Returns 0 or -EINVAL with "FILE:LINE: what" in err. */
int xcf_couple_parse(struct xcf_couple *c, const char *path, char *err, size_t errlen);
int xcf_couple_parse_buf(struct xcf_couple *c, const char *name, const char *buf, size_t len,
			 char *err, size_t errlen);
/* Derives the ROUTER and group (SUB) endpoints of a base endpoint. */
int xcf_endpoints(const char *base, char *rtr, size_t rlen, char *pub, size_t plen);

/* ---- keys (keys.c; xcf_key_decode in couple.c) ------------------------------------
 * One CURVE key pair per member: the public key in the couple config and the
 * couple data set, the secret key in a file of mode 0600 (format in keys.c). */
/* Decodes a Z85 key of XCF_KEY_LEN characters; 0 or -EINVAL.  Pure. */
int xcf_key_decode(const char *z85, uint8_t out[32]);
/* A new key pair; 0 or -errno (-ENOTSUP: libzmq without CURVE). */
int xcf_keypair(char pub[XCF_KEY_LEN + 1], char sec[XCF_KEY_LEN + 1]);
/* The public key of a secret key; 0 or -EINVAL. */
int xcf_key_public(const char *sec, char pub[XCF_KEY_LEN + 1]);
/* Makes a key pair and writes it to the new file path (mode 0600; an existing
 * file is never replaced); the public key into pub.  0 or -EINVAL with a
 * message in err. */
int xcf_key_generate(const char *path, char pub[XCF_KEY_LEN + 1], char *err, size_t errlen);
/* Parses the text of a key file (`name` for messages): a PUBLIC and a SECRET
 * line of Z85 keys, comments (;) and blank lines.  Pure: does not check that
 * the two keys belong together.  0 or -EINVAL with "NAME[:LINE]: what". */
int xcf_key_parse(const char *text, size_t len, const char *name, char pub[XCF_KEY_LEN + 1],
		  char sec[XCF_KEY_LEN + 1], char *err, size_t errlen);
/* Reads a key file (regular, mode without group/other bits, PUBLIC matches
 * SECRET).  0 or -EINVAL with "PATH[:LINE]: what" in err. */
int xcf_key_load(const char *path, char pub[XCF_KEY_LEN + 1], char sec[XCF_KEY_LEN + 1],
		 char *err, size_t errlen);
/* Every member of c has a KEY, and sec is the secret key of member
 * (sysname, tcpname)'s KEY.  0 or -EINVAL with the reason in err. */
int xcf_key_check(const struct xcf_couple *c, const char *sysname, const char *tcpname,
		  const char *sec, char *err, size_t errlen);

/* A member's state as this member sees it.  XCF_PARTITIONED: removed from
 * the sysplex by SFM (a poison pill in its CDS slot).  XCF_JOINING is only
 * ever our own state: the bus is open, but we are not (yet, or no longer) a
 * member: waiting for the CDS, or to hear every system still in the sysplex
 * before rejoining under a new incarnation. */
enum xcf_member_state { XCF_NOTJOINED = 0, XCF_ACTIVE = 1, XCF_FAILED = 2, XCF_LEFT = 3,
			XCF_PARTITIONED = 4, XCF_JOINING = 5 };
struct xcf_member_info {
	char member[XCF_NAME_LEN + 1];
	char sysname[9];
	char tcpname[9];
	uint8_t xcfaddr[16];		/* from its heartbeats */
	uint8_t xcfaddr4[16];		/* its IPv4 DYNAMICXCF address (IPv4-mapped), zero if none */
	uint64_t incarnation;
	enum xcf_member_state state;
	uint64_t joined_ms;		/* lib_wall_ms() when it became active */
	uint64_t last_hb_ms;		/* lib_now_ms() of its last heartbeat */
	uint64_t rx_msgs, tx_msgs;
	/* SFM: its heartbeats stopped (or were never heard) but the CDS still
	 * has it in the sysplex: nobody may take over from it yet. */
	int in_doubt;
};

struct xcf;
struct xcf_cbs {
	/* A member became active (includes ourselves once joined). */
	void (*join_cb)(struct xcf *x, const struct xcf_member_info *m, void *arg);
	/* A member left (XCF_LEFT) or failed (XCF_FAILED). */
	void (*leave_cb)(struct xcf *x, const struct xcf_member_info *m, void *arg);
	/* An application message (types other than HEARTBEAT/LEAVE), envelope
	 * already validated; `group` is 1 for group (PUB) messages. */
	void (*msg_cb)(struct xcf *x, const struct xcf_member_info *from, uint8_t type,
		       const uint8_t *body, size_t len, int group, void *arg);
	/* The sysplex view changed without a join or leave: SFM completed the
	 * removal of a member, our lease lapsed or was renewed.  Optional. */
	void (*sfm_cb)(struct xcf *x, void *arg);
};

struct xcf_config {
	const struct xcf_couple *couple;
	const char *sysname;		/* this member: must be in the couple data set */
	const char *tcpname;
	const char *secret_key;		/* our CURVE secret key (Z85); xcf_key_check must pass */
	unsigned peer_rate;		/* frames per second from one member (bursts of twice
					 * that); 0: the default, 50000 */
	uint8_t xcfaddr[16];		/* advertised in heartbeats */
	uint8_t xcfaddr4[16];		/* IPv4 DYNAMICXCF (IPv4-mapped), zero if none */
	/* With a CDS in the couple config: returns a socket connected to a CDS
	 * server (xcf_cds_serve) or -errno.  Called at the first join and
	 * whenever the connection is lost.  The stack spawns an agent process
	 * (xcf_cds_spawn); an arbiter on another host would be connected here. */
	int (*cds_connect)(void *arg);
	void *cds_arg;
};

/* Creates the member (no sockets yet).  NULL + errno on bad config: ENOENT
 * not a member, EKEYREJECTED keys missing or not ours (xcf_key_check),
 * EINVAL anything else. */
struct xcf *xcf_new(uv_loop_t *loop, const struct xcf_config *cfg, const struct xcf_cbs *cbs,
		    void *arg);
/* Binds, connects to every peer and joins EZBTCPCS under a new incarnation.
 * Without a CDS the join is immediate (join_cb for ourselves before it
 * returns).  With a CDS the bus is open at once (we hear the others) but we
 * become a member only when our slot is registered, which waits until we
 * hear every system the CDS shows alive in the sysplex: join_cb(ourselves)
 * comes then, from the loop. */
int xcf_join(struct xcf *x);
/* Orderly leave: invalidates our lease, records LEFT in our CDS slot (a
 * bounded synchronous write), publishes LEAVE and stops heartbeats.  The
 * application must have stopped acting as owner first.  The bus stays open,
 * so we keep seeing the others (displays); xcf_join rejoins under a new
 * incarnation (V TCPIP,,SYSPLEX,JOINGROUP).  Calls leave_cb(XCF_LEFT) for
 * every active peer, then for ourselves; 0 when not joined. */
int xcf_leave(struct xcf *x);
/* Are we a member (heartbeating, registered in the CDS)? */
int xcf_joined(const struct xcf *x);
/* Our own state: XCF_ACTIVE (member), XCF_JOINING, XCF_LEFT, or
 * XCF_NOTJOINED (bus closed). */
enum xcf_member_state xcf_self_state(const struct xcf *x);
/* Stops the bus without LEAVE and no callbacks, and frees everything (the
 * memory once the loop has run the close callbacks); *x becomes NULL.  Safe
 * with NULL. */
void xcf_destroy(struct xcf **x);

/* Directed message to a member by name; -EHOSTUNREACH when it is not an
 * active member, -EAGAIN when our connection to it is not up (yet) or its
 * queue is full. */
int xcf_send(struct xcf *x, const char *member, uint8_t type, const void *body, size_t len);
/* Group message to every active member (not delivered to ourselves). */
int xcf_publish(struct xcf *x, uint8_t type, const void *body, size_t len);

const char *xcf_self(const struct xcf *x);	/* our member name */
/* Copies up to max members (every member of the couple data set, any state). */
int xcf_members(const struct xcf *x, struct xcf_member_info *out, int max);
/* Finds an active member by its XCF address (IPv6 or IPv4); NULL if none. */
const struct xcf_member_info *xcf_member_by_addr(const struct xcf *x, const uint8_t addr[16]);
const struct xcf_member_info *xcf_member(const struct xcf *x, const char *member);
const struct lib_verdicts *xcf_verdicts(const struct xcf *x);

/* ---- Sysplex Failure Management (sfm.c) --------------------------------------- */

/* May we act as an owner right now: a member whose last successful CDS
 * heartbeat (timed from before it was sent) is younger than the lease?  Cheap
 * (one clock read); call it at the top of every owner action.  Without a CDS:
 * xcf_joined(). */
int xcf_lease_ok(const struct xcf *x);
/* Milliseconds of lease left (0 when none). */
uint64_t xcf_lease_left_ms(const struct xcf *x);
/* Is nobody in doubt: every system the CDS has in the sysplex is a live
 * member we hear, and every member SFM removed has surely stopped?  Taking
 * over anything waits for this.  Without a CDS: always 1. */
int xcf_settled(const struct xcf *x);
/* Fault injection (sysplex cds-loss / cds-restore): while lost, every CDS
 * operation of this member fails at once, as if the data set could not be
 * reached.  0, or -ENODEV without a CDS. */
int xcf_cds_fault(struct xcf *x, int lost);

/* The SFM policy for a partition: given the weights of the systems on our
 * side (ours included) and on the other side (systems the CDS shows alive
 * that we cannot hear), and whether the first system listed among both sides
 * is on ours, does our side survive?  The heavier side wins; a tie goes to the
 * side holding the first-listed system. */
int xcf_sfm_side_wins(unsigned our_weight, unsigned their_weight, int first_is_ours);

/* ---- the couple data set (cds.c) ----------------------------------------------- */

enum xcf_slot_state { XCF_SLOT_INACTIVE = 0, XCF_SLOT_ACTIVE = 1, XCF_SLOT_PARTITIONED = 2,
		      XCF_SLOT_LEFT = 3 };
#define XCF_REASON_LEN 40
/* One system's slot in the couple data set. */
struct xcf_slot {
	char sysname[9];
	char member[XCF_NAME_LEN + 1];
	int ord;			/* position in the couple config (0 = first) */
	unsigned weight;
	uint64_t incarnation;		/* of its current (or last) life */
	uint8_t state;			/* enum xcf_slot_state */
	uint64_t beat;			/* status heartbeat counter */
	uint64_t beat_wall_ms;		/* CLOCK_REALTIME of the last beat (display) */
	uint64_t pill_inc;		/* incarnation removed by the last pill, 0 none */
	char pill_by[9];		/* who wrote it */
	uint64_t pill_wall_ms;
	char reason[XCF_REASON_LEN];	/* why it was partitioned out */
	char key[XCF_KEY_LEN + 1];	/* its CURVE public key */
};
/* What this member last read from the CDS, for D XCF,COUPLE. */
struct xcf_cds_view {
	char path[XCF_PATH_LEN];
	char sysplex[9];
	unsigned hb_ms, fail_ms, lease_ms, isolate_ms;
	int reachable;			/* last operation succeeded */
	int fault;			/* cds-loss injected */
	char error[120];		/* last error, "" none */
	uint64_t read_age_ms;		/* since the last successful read */
	uint64_t lease_left_ms;
	uint64_t lapses;		/* times our lease lapsed while a member */
	uint64_t beat_ms_max;		/* slowest status update round trip */
	enum xcf_member_state self_state;
	int n;
	struct xcf_slot slot[XCF_MAX_MEMBERS];
	uint64_t unchanged_ms[XCF_MAX_MEMBERS];	/* since we saw its beat change */
	int in_doubt[XCF_MAX_MEMBERS];
};
/* Fills v; -ENODEV without a CDS. */
int xcf_cds_view(const struct xcf *x, struct xcf_cds_view *v);

/* Return code of xcf_cds_beat when our slot is no longer ours (a pill, or a
 * newer incarnation, or LEFT). */
#define XCF_CDS_OUT 1
#define XCF_CDS_ANY_BEAT UINT64_MAX

/* The backend: one SQLite file (WAL, busy timeout, every write in one short
 * BEGIN IMMEDIATE transaction).  Only CDS servers (the agent process, the
 * launcher) use it; members talk to a server (xcf_cds_serve). */
struct xcf_cds;
/* Creates (replaces) the couple data set for couple c: one INACTIVE slot per
 * member, with its weight and public key.  0, or -1 with a message in err. */
int xcf_cds_format(const char *path, const struct xcf_couple *c, char *err, size_t errlen);
/* Opens an existing CDS; NULL with a message in err. */
struct xcf_cds *xcf_cds_open(const char *path, unsigned busy_ms, char *err, size_t errlen);
void xcf_cds_close(struct xcf_cds **c);
/* The last SQLite error of c (for messages). */
const char *xcf_cds_errmsg(struct xcf_cds *c);
/* Every slot in couple order: the count, or -errno. */
int xcf_cds_read(struct xcf_cds *c, struct xcf_slot *out, int max);
/* Our status heartbeat: beat+1 in our slot if it is still ACTIVE with our
 * incarnation (0), else XCF_CDS_OUT with nothing written; every slot into
 * out either way (*n).  -ESRCH when sys has no slot, -errno when the CDS
 * cannot be used. */
int xcf_cds_beat(struct xcf_cds *c, const char *sys, uint64_t inc, struct xcf_slot *out,
		 int max, int *n);
/* Registers a new incarnation in our slot (ACTIVE, beat+1); every slot into
 * out.  XCF_CDS_OUT with nothing written when the slot holds a newer
 * incarnation, or this one no longer ACTIVE (partitioned out or left: an
 * incarnation never comes back; a retry of a register that was written is
 * a beat).  -ESRCH when sys has no slot. */
int xcf_cds_register(struct xcf_cds *c, const char *sys, uint64_t inc, struct xcf_slot *out,
		     int max, int *n);
/* The poison pill, atomically: in one transaction, only if our own slot is
 * ACTIVE with our incarnation (else -EPERM: we were removed ourselves) and the
 * victim's is ACTIVE with victim_inc and, unless expect_beat is
 * XCF_CDS_ANY_BEAT, still at beat expect_beat (else -ESTALE), mark the
 * victim PARTITIONED by us for reason (-ESRCH when either has no slot).
 * *beat: the victim's beat at the pill.
 * So two systems can never pill each other. */
int xcf_cds_pill(struct xcf_cds *c, const char *by, uint64_t by_inc, const char *victim,
		 uint64_t victim_inc, uint64_t expect_beat, const char *reason, uint64_t *beat);
/* LEFT in our slot if it is ACTIVE with our incarnation. */
int xcf_cds_leave(struct xcf_cds *c, const char *sys, uint64_t inc);
const char *xcf_slot_state_name(uint8_t st);

/* A CDS server on fd (a SOCK_SEQPACKET socket): answers requests until the
 * peer closes it; opens path lazily and again after an error.  When path
 * is a CDS server (tcp://), relays to it instead, with the keys the first
 * record on fd brings (xcf_cds_spawn).  Returns 0 (1 when the keys are
 * missing or bad). */
int xcf_cds_serve(int fd, const char *path);
/* Starts the agent process: `exe --cds-agent FD PATH` (argv[0] = argv0 when
 * not NULL, for ps), connected to us by a socketpair; the agent dies with
 * us.  When path is a CDS server, the member's CURVE secret key and the
 * server's public key (Z85; both required then) go to the agent over the
 * socketpair first.  Returns our end, or -errno. */
int xcf_cds_spawn(const char *exe, const char *argv0, const char *path, const char *secret,
		  const char *server_key);
/* Does the couple config's CDS name a server (tcp://ADDR:PORT) rather than a
 * file? */
int xcf_cds_is_remote(const char *cds);
/* The CDS server for systems on separate hosts (cdsnet.c): listens on
 * ADDR:PORT ([IPV6]:PORT), a ZeroMQ CURVE server with the key pair of
 * keyfile, admits only the member keys the couple data set at path lists,
 * and answers their requests from it until SIGTERM or SIGINT.  Returns the
 * exit status: 0 after a signal, 1 when the key file, the data set or the
 * address cannot be used, 2 when ADDR:PORT is malformed. */
int xcf_cds_server(const char *addr, const char *path, const char *keyfile);

#endif
