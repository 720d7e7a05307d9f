/*
 * fake.h - the I/O edges the daemons' unit tests replace (test_stack_*):
 * the XCF bus (tests/unit/fake_xcf.c: what xcf says about the members, our
 * lease and whether the sysplex is settled, and every message sent) and the
 * clock (tests/unit/fake_clock.c: lib_now_ms and friends, moved by hand);
 * and a stack with the state stack_init gives it but none of its I/O
 * (tests/unit/fake_stack.c).  The Makefile links these before libstack.a.
 */
#ifndef SYSPLEX_TESTS_FAKE_H
#define SYSPLEX_TESTS_FAKE_H

#include <stdint.h>
#include <uv.h>

#include "tcpip-stack/stack.h"
#include "xcf/xcf.h"

/* ---- the bus ------------------------------------------------------------------- */
#define FAKE_MAX_MSGS 64

struct fake_msg {
	char member[XCF_NAME_LEN + 1];	/* directed: the addressee */
	uint8_t type;
	size_t len;
	uint8_t body[WIRE_XCF_MAX_BODY];
};

struct fake_bus {
	struct xcf_member_info m[XCF_MAX_MEMBERS];	/* every member, ourselves too */
	int n;
	int joined, lease_ok, settled;
	uint64_t lease_left_ms;		/* xcf_lease_left_ms while lease_ok (400) */
	/* What was sent: the first FAKE_MAX_MSGS of each kind are kept, every
	 * one is counted. */
	int nsent, npub;
	struct fake_msg sent[FAKE_MAX_MSGS];	/* xcf_send */
	struct fake_msg pub[FAKE_MAX_MSGS];	/* xcf_publish */
};
extern struct fake_bus fake_bus;

/* Empties the bus: no members, joined with a lease, settled. */
void fake_bus_reset(void);
/* Adds or updates a member. */
struct xcf_member_info *fake_bus_member(const char *sysname, const char *tcpname,
					const uint8_t xcfaddr[16], enum xcf_member_state st,
					uint64_t incarnation);
/* Forgets what was sent. */
void fake_bus_clear_sent(void);
/* How many directed (directed 1) or group (0) messages of `type` were sent
 * (type 0: of any type); the last one kept, or NULL. */
int fake_bus_count(int directed, uint8_t type);
const struct fake_msg *fake_bus_last(int directed, uint8_t type);

/* ---- the clock ------------------------------------------------------------------ */
extern uint64_t fake_clock_ms;		/* lib_now_ms(); starts at 1000000 */
void fake_clock_advance(uint64_t ms);

/* ---- the kernel fast path (kdp/kdp.h) ---------------------------------------------- */
#include "kdp/kdp.h"

#define FAKE_KDP_CONNS 256
#define FAKE_KDP_DVIPAS VIPA_MAX_DVIPA	/* as the daemon sizes the map */

#define FAKE_KDP_SCHEDS 16
#define FAKE_KDP_SYNQ 64

struct fake_kdp_conn {
	int used;
	struct kdp_conn c;
	uint8_t dest[16];
	struct kdp_counters ct;		/* the test plays the program */
};

struct fake_kdp {
	int loadable;			/* kdp_open succeeds */
	int open;
	uint8_t self[16];
	uint8_t self4[16];		/* kdp_set_self4 (zero: none) */
	char local_if[16];
	uint64_t lease_ms;
	unsigned loss_pct;
	unsigned max_conns_or_0;	/* table size the test wants (0: FAKE_KDP_CONNS) */
	unsigned opened_conns;		/* kdp_opts.max_conns of the last kdp_open */
	uint64_t conn_sets, dvipa_sets;
	uint64_t walk_steps;		/* kdp_conn_walk calls */
	struct {
		int used;
		uint8_t addr[16];
		unsigned flags;
	} dv[FAKE_KDP_DVIPAS];
	struct fake_kdp_conn conn[FAKE_KDP_CONNS];
	/* SYNs the program routes: its schedules, the records the test
	 * queues (as the program would: fake_kdp_syn), the daemon's budget. */
	struct {
		int used;
		uint8_t dvipa[16];
		uint16_t port;
		unsigned n;
		uint8_t dest[KDP_SCHED_MAX][16];
	} sched[FAKE_KDP_SCHEDS];
	uint64_t sched_sets;
	struct kdp_syn synq[FAKE_KDP_SYNQ];
	int nsyn;
	uint64_t syn_consumed, syn_limit;
};
extern struct fake_kdp fake_kdp;

/* Empties the tables; kdp_open succeeds when loadable. */
void fake_kdp_reset(int loadable);
struct fake_kdp_conn *fake_kdp_conn_find(const struct kdp_conn *c);
int fake_kdp_conn_count(void);
/* The schedule of (dvipa, port): its slot count (-1: none given). */
int fake_kdp_sched(const uint8_t dvipa[16], uint16_t port, uint8_t (*dest)[16]);
/* Plays the program for a SYN of (dvipa, port) from client:cport: takes the
 * schedule's next slot (per-schedule turn), makes the connection entry and
 * queues the record; -1 (nothing done) when there is no schedule, the
 * budget is spent or the entry exists.  dest (may be NULL): the target. */
int fake_kdp_syn(const uint8_t dvipa[16], uint16_t port, const uint8_t client[16],
		 uint16_t cport, uint32_t isn, uint8_t dest[16]);
/* A DVIPA's flags, 0xffffffff when the table has no entry for it. */
unsigned fake_kdp_flags(const uint8_t dvipa[16]);

/* ---- a stack without I/O ----------------------------------------------------------- */
/* Every file's state as stack_init makes it, for member SYSNAME + "TCPCS" at
 * xcfaddr; no TUN (tun_fd -1), no rtnetlink (network changes fail and are
 * logged), no store, no control socket.  loop: where the self-delivery and
 * ownership timers live (the test runs it, or calls
 * stack_bus_deliver_queued). */
void fake_stack_init(struct stack *s, uv_loop_t *loop, const char *sysname,
		     const uint8_t xcfaddr[16]);
void fake_stack_fini(struct stack *s);
/* A cmocka teardown: fake_stack_fini of the stack the setup left in *state. */
int fake_stack_teardown(void **state);

#endif
