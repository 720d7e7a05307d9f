/*
 * internal.h - what the files of the xcf module share and nobody else sees:
 * struct xcf (the bus and the SFM state of one member), the bus functions
 * sfm.c calls, and the request/reply records between a member and its CDS
 * server.  Not a public header: only the .c files of xcf/ include it.
 */
#ifndef SYSPLEX_XCF_INTERNAL_H
#define SYSPLEX_XCF_INTERNAL_H

#include "xcf/xcf.h"
#include "wire/wire.h"

#include <errno.h>
#include <sys/socket.h>

#define XCF_FRAME_MAX (WIRE_XCF_HDR_LEN + WIRE_XCF_MAX_BODY)
#define XCF_MAX_PILLS XCF_MAX_MEMBERS

/* Sockets we receive on come first: the two bound CURVE servers and the ZAP
 * handler that authenticates their clients.  The PUB is watched only so that
 * its commands (new subscriptions) are processed promptly.  The per-peer
 * DEALERs are in struct xcf_peer. */
enum { ZS_ROUTER, ZS_SUB, ZS_ZAP, ZS_NRECV, ZS_PUB = ZS_NRECV, ZS_NPOLL };

/* Where a frame came from: the channels a member sends us on. */
enum { XCF_CH_DIRECTED = 0, XCF_CH_GROUP = 1, XCF_NCH };

struct xcf_poll {
	uv_poll_t h;
	struct xcf *x;
};

/* SFM's record of one system (sfm.c). */
struct xcf_sfm_peer {
	int have_slot;
	struct xcf_slot slot;		/* as last read from the CDS */
	/* The (incarnation, beat) we last read and when we first read it: the
	 * write that produced it had started before seen_ms. */
	uint64_t seen_inc, seen_beat, seen_ms;
	uint64_t doubt_inc, doubt_since_ms;	/* in doubt since (this incarnation) */
	uint64_t removed_inc;		/* IXC105I issued: out of the sysplex */
	uint64_t dead_inc;		/* its heartbeats up to this incarnation are ignored */
	uint64_t waiting_logged_inc;	/* "the other side prevails" logged */
};

struct xcf_peer {
	struct xcf_member_info info;
	const struct xcf_couple_member *cm;
	uint64_t left_inc;		/* incarnation that said LEAVE: ignore its beats */
	struct xcf_sfm_peer sfm;
	uint8_t key[32];		/* its CURVE public key (from the couple config) */
	int key_mismatch;		/* the CDS lists another key: its connections are refused */
	void *dealer;			/* our directed channel to it (NULL: ourselves) */
	/* The last (incarnation, sequence number) accepted on each channel: a
	 * frame of that incarnation whose number does not grow is a replay. */
	struct { uint64_t inc, seq; } rx[XCF_NCH];
	/* Its message rate: a token bucket (x->peer_rate per second). */
	uint64_t tokens, tokens_ms;
};

enum cds_op { CDS_OP_READ = 1, CDS_OP_BEAT, CDS_OP_REGISTER, CDS_OP_PILL, CDS_OP_LEAVE,
	      CDS_OP_MAX = CDS_OP_LEAVE };
#define CDS_MAGIC 0x43445332u	/* "CDS2": 2, slots carry the public key */

/* A request to the CDS server and its answer.  Both ends run the same build
 * on the same host (the agent is our own binary), so these are sent as the
 * raw records over a SOCK_SEQPACKET socketpair; the receiver checks the size,
 * the magic, the operation, the counts and terminates every string.  A
 * server on another host would need a real wire encoding. */
struct cds_req {
	uint32_t magic, op;
	uint64_t seq;
	char sys[9];
	uint64_t inc;
	char victim[9];
	uint64_t victim_inc, expect_beat;
	char reason[XCF_REASON_LEN];
};
struct cds_rep {
	uint32_t magic, op;
	uint64_t seq;
	int32_t rc;			/* 0, XCF_CDS_OUT, -errno */
	int32_t n;			/* slots that follow */
	uint64_t beat;			/* PILL: the victim's beat at the pill */
	char err[120];
	struct xcf_slot slot[XCF_MAX_MEMBERS];
};

/* The records on TCP (cdsnet.c): fixed-size big-endian fields, names
 * NUL-padded to their field. */
#define CDS_NET_NAME 8
#define CDS_NET_ERR 120
#define CDS_NET_REQ_LEN (4 + 4 + 8 + CDS_NET_NAME + 8 + CDS_NET_NAME + 8 + 8 + XCF_REASON_LEN)
#define CDS_NET_SLOT_LEN (CDS_NET_NAME + XCF_NAME_LEN + 4 + 4 + 8 + 1 + 8 + 8 + 8 + \
			  CDS_NET_NAME + 8 + XCF_REASON_LEN + XCF_KEY_LEN)
#define CDS_NET_REP_HDR_LEN (4 + 4 + 8 + 4 + 4 + 8 + CDS_NET_ERR)
#define CDS_NET_REP_MAX (CDS_NET_REP_HDR_LEN + XCF_MAX_MEMBERS * CDS_NET_SLOT_LEN)
/* Encoders write into buf (CDS_NET_REQ_LEN / CDS_NET_REP_MAX bytes) and
 * return the length; decoders return 0, -EMSGSIZE (length) or -EPROTO
 * (magic, operation). */
size_t cds_net_req_encode(const struct cds_req *q, uint8_t *buf);
int cds_net_req_decode(const uint8_t *buf, size_t len, struct cds_req *q);
size_t cds_net_rep_encode(const struct cds_rep *r, uint8_t *buf);
int cds_net_rep_decode(const uint8_t *buf, size_t len, struct cds_rep *r);
/* Parses tcp://ADDR:PORT, ADDR:PORT or [IPV6]:PORT (numeric); 0 or -EINVAL. */
int xcf_cds_addr(const char *s, struct sockaddr_storage *ss, socklen_t *sslen);
/* What the stack hands its agent first when the data set is a CDS server:
 * the member's CURVE secret key and the server's public key (Z85), over the
 * socketpair, never on a command line. */
#define CDS_CRED_MAGIC 0x43445343u	/* "CDSC" */
struct cds_cred {
	uint32_t magic;
	char secret[XCF_KEY_LEN + 1];
	char server_key[XCF_KEY_LEN + 1];
};
/* The agent as a relay to the server named `server` (tcp://ADDR:PORT),
 * a CURVE client with the keys of cred. */
int cds_net_relay(int fd, const char *server, const struct cds_cred *cred);

/* The CDS server's decisions (cdsnet.c), pure:
 * cds_net_admit: the system whose public key (32 bytes) is key among the
 * n slots of the data set, into sys; 0, or -ENOENT (not a member's key).
 * cds_net_permit: may the member sys (its connection's key's) make request
 * q?  A member reads every slot but writes only as itself (BEAT, REGISTER,
 * PILL, LEAVE name it as q->sys); 0, or -EACCES with why.
 * cds_net_rate_take: a token bucket of CDS_NET_RATE requests per second
 * and CDS_NET_BURST at once per member; 1 when this request may go, 0 when
 * it is over the rate. */
#define CDS_NET_RATE 200
#define CDS_NET_BURST 400
struct cds_net_rate {
	uint64_t last_ms;
	uint64_t tokens_milli;		/* tokens x 1000 */
	int primed;
};
int cds_net_admit(const struct xcf_slot *slots, int n, const uint8_t key[32], char sys[9]);
int cds_net_permit(const struct cds_req *q, const char *sys, const char **why);
int cds_net_rate_take(struct cds_net_rate *r, uint64_t now_ms);
/* Answers one request from the file at path (cds.c), opening it first when
 * *db is NULL. */
void xcf_cds_handle(struct xcf_cds **db, const char *path, const struct cds_req *q,
		    struct cds_rep *r);
/* rc is a refusal of the request (-EPERM, -ESTALE, -ESRCH, -EINVAL), not
 * an error of the file: the server keeps the file open and logs nothing. */
static inline int
xcf_cds_refusal(int rc)
{
	return rc == -EPERM || rc == -ESTALE || rc == -ESRCH || rc == -EINVAL;
}

struct xcf_pill {
	int idx;
	uint64_t inc, expect_beat;
	char reason[XCF_REASON_LEN];
};

struct xcf {
	uv_loop_t *loop;
	struct xcf_couple couple;
	struct xcf_cbs cbs;
	void *arg;
	int self;			/* index of ourselves in couple.m / m */
	struct xcf_peer m[XCF_MAX_MEMBERS];
	struct lib_verdicts verdicts;

	int bus;			/* sockets open: we hear the others */
	int joined;			/* a member: heartbeats, callbacks, messages */
	enum xcf_member_state self_state;	/* ACTIVE, JOINING, LEFT, NOTJOINED */
	unsigned gen;			/* bumped by every join, leave and destroy */
	int destroyed;
	int handles;			/* open libuv handles; the last close frees x */
	uint64_t incarnation;
	uint64_t seq;			/* of our last frame (this incarnation) */
	uint64_t view_changed_ms;	/* last time a peer joined or failed */

	void *ctx;
	void *zs[ZS_NPOLL];		/* ROUTER, DEALER, SUB, PUB */
	struct xcf_poll *poll[ZS_NPOLL];
	uv_timer_t hb_timer, fail_timer;
	uv_prepare_t prepare;
	uv_idle_t idle;
	int idle_on;
	int pump_owed;			/* a ZeroMQ call on a watched socket since the
					 * last pump (xcf.c, prepare_cb) */

	/* ---- SFM and the CDS (sfm.c) ---- */
	int has_cds;
	int (*cds_connect)(void *arg);
	void *cds_arg;
	unsigned margin_ms, isolate_ms;	/* lease/8; lease + margin */
	int cds_fd;			/* connection to the CDS server, -1 none */
	struct xcf_poll *cds_poll;
	uint64_t cds_next_connect_ms;	/* back-off after a failed connect */
	uv_timer_t cds_timer;
	int fault;			/* cds-loss injected */
	int outstanding;		/* a request is in flight */
	struct cds_req req;		/* ... this one */
	uint64_t req_sent_ms;
	uint64_t req_seq;
	struct xcf_pill pills[XCF_MAX_PILLS];
	int npills;
	uint64_t join_inc;		/* incarnation we are registering, 0 none */
	uint64_t pending_leave_inc;	/* registered after xcf_leave: take it back */
	uint64_t lease_until;		/* lib_now_ms() bound of our lease */
	int lease_lapsed;		/* told the application it lapsed */
	uint64_t lapses;		/* how often it lapsed while we were a member */
	uint64_t beat_ms_max;		/* slowest successful status update (round trip) */
	int last_failed;		/* the last CDS operation failed */
	uint64_t read_ms;		/* last successful read of every slot */
	int nslot;
	char cds_error[120];
	int error_logged;
	int waiting_logged;		/* JOINING: "waiting for ..." logged */
	uint64_t join_wait_ms;		/* JOINING: since when we wait to hear somebody */
	int settled_last;		/* xcf_settled() at the last evaluation */
	struct cds_rep rep;		/* receive buffer */

	/* CURVE: our key pair (Z85, as ZeroMQ's options take it). */
	char pub_z85[XCF_KEY_LEN + 1], sec_z85[XCF_KEY_LEN + 1];
	unsigned peer_rate;		/* frames per second per member; bursts of twice that */
	/* Keys refused by the ZAP handler and already logged (the first few). */
	uint8_t refused[8][32];
	int nrefused;

	uint8_t txbuf[XCF_FRAME_MAX];
};

/* xcf.c: bus functions SFM uses. */
void xcf_peer_down(struct xcf *x, struct xcf_peer *p, enum xcf_member_state why);
/* We are a member from now on (the CDS registered us, or there is none). */
void xcf_become_member(struct xcf *x);
/* We are no longer a member (removed by SFM, or cut off from the CDS):
 * silent (no LEAVE), callbacks as xcf_leave, our state `why`. */
void xcf_stop_member(struct xcf *x, enum xcf_member_state why);
uint64_t xcf_new_incarnation(uint64_t old);

/* sfm.c: called by xcf.c. */
int xcf_sfm_init(struct xcf *x, const struct xcf_config *cfg);
void xcf_sfm_start(struct xcf *x);		/* xcf_join with a CDS */
int xcf_sfm_leave(struct xcf *x);		/* xcf_leave: LEFT in our slot */
void xcf_sfm_destroy(struct xcf *x);
int xcf_sfm_in_doubt(const struct xcf *x, int i, uint64_t now);

#endif
