/*
 * xcf.h - the coupling bus (plays z/OS XCF) over ZeroMQ, driven by libuv.
 * This module is the only code that includes <zmq.h>.
 *
 * Model: a sysplex is a fixed list of systems (the couple data set, see
 * xcf_couple_parse), each with one endpoint base.  A member binds
 *   - a ROUTER at BASE.rtr (ipc) or tcp port P   (directed messages), and
 *   - a PUB    at BASE.pub (ipc) or tcp port P+1 (heartbeats, group messages),
 * connects a DEALER (routing id = its member name) to every peer's ROUTER and
 * a SUB to every peer's PUB.  Members join group EZBTCPCS by publishing
 * heartbeats; a peer is "active" from its first valid heartbeat and "failed"
 * when no heartbeat arrived for fail_ms; an orderly xcf_leave() publishes
 * LEAVE.  A new incarnation (restart) is reported as a failure then a join.
 * Every member tells its application of every change (join_cb / leave_cb).
 *
 * Every frame is a wire/ XCF envelope + body; malformed or unknown frames are
 * dropped, counted per reason (xcf_verdicts) and logged once per reason.
 * Frames from a non-member of the couple data set are dropped too.
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

/* The couple data set: which systems form the sysplex and where they listen.
 * File syntax, one statement per line, ';' starts a comment:
 *     SYSPLEX PLEX1
 *     GROUP EZBTCPCS                       (optional; the default)
 *     INTERVAL 50 FAILURE 250              (ms: heartbeat, failure detection)
 *     MEMBER SYSA TCPCS ipc:///run/sysplex/plex1/xcf/SYSA
 *     MEMBER SYSB TCPCS tcp://192.0.2.2:7000
 */
struct xcf_couple_member {
	char sysname[9];
	char tcpname[9];
	char member[XCF_NAME_LEN + 1];	/* sysname + tcpname, e.g. SYSATCPCS */
	char endpoint[XCF_EP_LEN];	/* base endpoint as written */
};
struct xcf_couple {
	char sysplex[9];
	char group[9];
	unsigned hb_ms, fail_ms;
	int n;
	struct xcf_couple_member m[XCF_MAX_MEMBERS];
};
/* Returns 0 or -EINVAL with "FILE:LINE: what" in err. */
int xcf_couple_parse(struct xcf_couple *c, const char *path, char *err, size_t errlen);
int xcf_couple_parse_buf(struct xcf_couple *c, const char *name, const char *buf, size_t len,
			 char *err, size_t errlen);
/* Derives the ROUTER and PUB endpoints of a base endpoint. */
int xcf_endpoints(const char *base, char *rtr, size_t rlen, char *pub, size_t plen);

enum xcf_member_state { XCF_ACTIVE = 1, XCF_FAILED = 2, XCF_LEFT = 3, XCF_NOTJOINED = 0 };
struct xcf_member_info {
	char member[XCF_NAME_LEN + 1];
	char sysname[9];
	char tcpname[9];
	uint8_t xcfaddr[16];		/* from its heartbeats */
	uint64_t incarnation;
	enum xcf_member_state state;
	uint64_t joined_ms;		/* lib_wall_ms() when it became active */
	uint64_t last_hb_ms;		/* lib_now_ms() of its last heartbeat */
	uint64_t rx_msgs, tx_msgs;
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
};

struct xcf_config {
	const struct xcf_couple *couple;
	const char *sysname;		/* this member: must be in the couple data set */
	const char *tcpname;
	uint8_t xcfaddr[16];		/* advertised in heartbeats */
};

/* Creates the member (no sockets yet).  NULL + errno on bad config. */
struct xcf *xcf_new(uv_loop_t *loop, const struct xcf_config *cfg, const struct xcf_cbs *cbs,
		    void *arg);
/* Binds, connects to every peer, starts heartbeats: joins EZBTCPCS. */
int xcf_join(struct xcf *x);
/* Publishes LEAVE, stops heartbeats, closes sockets (the object stays usable
 * for xcf_join again: V TCPIP,,SYSPLEX,JOINGROUP).  Calls leave_cb(XCF_LEFT)
 * for every active peer, then for ourselves; 0 when not joined. */
int xcf_leave(struct xcf *x);
int xcf_joined(const struct xcf *x);
/* Stops the bus without LEAVE and no callbacks, and frees everything (the
 * memory once the loop has run the close callbacks); *x becomes NULL.  Safe
 * with NULL. */
void xcf_destroy(struct xcf **x);

/* Directed message to a member by name; -EHOSTUNREACH when it is not active
 * or not connected, -EAGAIN when its queue is full. */
int xcf_send(struct xcf *x, const char *member, uint8_t type, const void *body, size_t len);
/* Group message to every active member (not delivered to ourselves). */
int xcf_publish(struct xcf *x, uint8_t type, const void *body, size_t len);

const char *xcf_self(const struct xcf *x);	/* our member name */
/* Copies up to max members (every member of the couple data set, any state). */
int xcf_members(const struct xcf *x, struct xcf_member_info *out, int max);
/* Finds an active member by its XCF address; NULL if none. */
const struct xcf_member_info *xcf_member_by_addr(const struct xcf *x, const uint8_t addr[16]);
const struct xcf_member_info *xcf_member(const struct xcf *x, const char *member);
const struct lib_verdicts *xcf_verdicts(const struct xcf *x);

#endif
