/*
 * sysplex.h - internal interfaces of the `sysplex` launcher (bin/sysplex).
 *
 * The launcher builds an emulated sysplex in Linux network namespaces, starts
 * its daemons, records what it made in /run/sysplex/INST/state, and tears it
 * all down again.  docs/RUNTIME.md is the contract for every name, address
 * and command line used here.
 *
 * Files, by level: a file calls only files of the levels below its own
 * (and lib/, testsrv/ and the other modules), never one of its level or
 * above, so there is no circle among them.
 *   4  main.c    command line, `down` / `status` / `exec`; dispatches to the
 *                command files
 *   3  up.c      `up`: build, start the daemons, wait until the DVIPA answers
 *      console.c `console` (libedit) and `cmd`
 *      fault.c   `kill`, `restart`, `hang`, `resume`, `partition`, `heal`,
 *                `link`, `cds-loss`, `cds-restore`
 *      load.c    `load`: the HTTP load generator (testsrv/) inside a client
 *      lua.c     `run`: Lua scenarios on a libuv loop; the API's Lua half is
 *                prelude.lua, embedded at build time (plex_lua_prelude)
 *   2  opcmd.c   operator commands: ROUTE, launcher displays, routing to a
 *                stack
 *   1  build.c   namespaces, bridges, veths, addresses, routes, sysctls, run
 *                dir, teardown, the instance lock
 *      frr.c     FRR (OSPF, BFD) of a routed topology: configurations, the
 *                daemons' command lines, `--frr-exec`
 *      ctl.c     SYSPLEX$ROLE and the routing stack (the protocol: lib/ctl.c)
 *      topo.c    the Lua topology file -> struct plex_topo
 *   0  env.c     the program's and the daemons' directories, the default
 *                topology, the root check, names, "not up", the stack's argv
 *      proc.c    running programs (fork/exec), daemons, pids, killing
 *      state.c   the state file
 *
 * Concurrency: the commands are sequential programs that block with
 * timeouts (poll on a pipe or socket, short sleeps while polling for a
 * state); `run` (lua.c) and `load` (testsrv/load.c) each run one libuv loop.
 *
 * Conventions: functions return 0 / a negative errno (or -1 after printing a
 * one-line error to stderr, as documented per function).  Nothing here uses a
 * shell: every external program is run with fork/exec and an argv.
 */
#ifndef SYSPLEX_SYSPLEX_H
#define SYSPLEX_SYSPLEX_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/lib.h"

#define PLEX_RUN_ROOT "/run/sysplex"
#define PLEX_NETNS_DIR "/run/netns"
#define PLEX_INST_MAX 8			/* instance names: [a-z0-9]{1,8} */
#define PLEX_HOST_MAX 12		/* host names: [A-Z0-9]{1,12} (systems 1..8) */
#define PLEX_MAX_HOSTS 32
#define PLEX_MAX_ROUTES 8
#define PLEX_MAX_SEGS 8			/* LAN segments of a topology */
#define PLEX_SEG_MAX 12			/* segment names: [A-Z0-9]{1,12} */
#define PLEX_MAX_PROCS (PLEX_MAX_HOSTS * 6)
#define PLEX_ADDR_LEN 64		/* IPv6 text, with room for "/plen" */

/* ---- topology (topo.c) ----------------------------------------------------- */
/* A system's emulated WLM capacity (as xcf/'s couple config takes it). */
#define PLEX_WLM_CAPACITY_DEFAULT 100
#define PLEX_WLM_CAPACITY_MAX 1000000
/* A LAN segment: one bridge (br<i> in the LAN namespace). */
struct plex_seg {
	char name[PLEX_SEG_MAX + 1];	/* "LAN" for the one-LAN form */
	char prefix[PLEX_ADDR_LEN];	/* canonical network address, without /len */
	int plen;
	uint8_t net[16];
	unsigned mtu;
	char prefix4[PLEX_ADDR_LEN];	/* IPv4 network, "" when the segment has none */
	int plen4;
	uint8_t net4[4];
	int nrouters, nsystems, nclients;	/* hosts attached */
	int router;			/* index into h[] of its first router, -1 */
};

/* One interface of a host: lan0 .. lanN, in the order of its segments. */
struct plex_if {
	int seg;			/* index into seg[] */
	char name[16];			/* lan0, lan1 ... */
	char addr[PLEX_ADDR_LEN];	/* IPv6, canonical text */
	char addr4[PLEX_ADDR_LEN];	/* IPv4, "" when the segment has none */
};

struct plex_host {
	char name[PLEX_HOST_MAX + 1];	/* SYSA, CLIENT1, ROUTER1 */
	int is_system;			/* 1 = system (runs a stack) */
	int is_router;			/* 1 = router (runs FRR only); neither = client */
	int index;			/* 1-based; the LAN-side veth is INST<index> */
	char tcpname[9];		/* systems: stack name, default TCPCS */
	unsigned weight;		/* systems: SFM policy weight (1) */
	unsigned wlm_capacity, wlm_load;	/* systems: emulated WLM at start (100, 0) */
	char lan[PLEX_ADDR_LEN];	/* address on lan0, canonical text */
	int nif;			/* interfaces: 1, routers up to PLEX_MAX_SEGS */
	struct plex_if ifs[PLEX_MAX_SEGS];
	char xcf[PLEX_ADDR_LEN];	/* systems: DYNAMICXCF address, "" if none */
	char xcf4[PLEX_ADDR_LEN];	/* systems: IPCONFIG DYNAMICXCF address, "" if none */
	char *profile;			/* systems: PROFILE text (malloc'd), or NULL */
	int has_httpd;
	char httpd_addr[PLEX_ADDR_LEN];
	unsigned httpd_port;
	int agent;			/* clients: run client-agent (2: --standard) */
};

/* The routing protocol of a routed topology (one with routers): OSPFv3 (and
 * OSPFv2 where segments have IPv4) in every router and system, by FRR. */
struct plex_ospf {
	unsigned hello_s, dead_s;	/* hello and dead intervals (1, 3) */
	unsigned bfd_ms;		/* BFD transmit/receive interval, 0 = no BFD (100) */
	unsigned bfd_mult;		/* BFD detect multiplier (3) */
};

struct plex_topo {
	char path[PATH_MAX];
	char sysplex[9];		/* sysplex name, e.g. PLEX1 */
	int nsegs;
	struct plex_seg seg[PLEX_MAX_SEGS];	/* lan = {...} is one segment "LAN" */
	unsigned mtu;			/* every segment's */
	int routed;			/* it has routers: FRR runs in routers and systems */
	int has_v4;			/* some segment has IPv4 (prefix4) */
	struct plex_ospf ospf;
	unsigned hb_ms, fail_ms;	/* couple: interval_ms, failure_ms */
	unsigned lease_ms;		/* couple: lease_ms (the CDS lease) */
	int transport_ipc;		/* couple.transport: 0 "tcp" (default), 1 "ipc" */
	unsigned xcf_port;		/* couple.port: ROUTER port for tcp (PUB = +1) */
	int nroutes;
	char routes[PLEX_MAX_ROUTES][PLEX_ADDR_LEN];	/* client_routes, "a/len" */
	int nhosts;
	struct plex_host h[PLEX_MAX_HOSTS];	/* systems, then clients, then routers */
};

/* Loads and checks a topology file.  On error returns -1 with a one-line
 * message in err ("FILE:LINE: ..." for Lua errors, "FILE: field: why" for a
 * bad value). */
int plex_topo_load(struct plex_topo *t, const char *path, char *err, size_t errlen);
void plex_topo_free(struct plex_topo *t);
const struct plex_host *plex_topo_host(const struct plex_topo *t, const char *name);

/* ---- running programs (proc.c) --------------------------------------------- */
/* Runs argv[0] (PATH search) and waits.  Output (stdout+stderr, truncated)
 * goes into out when out != NULL, else to /dev/null.  Returns the exit
 * status (0..255), 128+signal, or -errno when it could not run. */
int plex_run(char *const argv[], char *out, size_t outlen, int timeout_ms);
/* Like plex_run, but on failure prints "sysplex: CMD...: OUTPUT" to stderr
 * and returns -1; 0 on success. */
int plex_run_checked(char *const argv[]);
/* Starts argv inside network namespace ns as `ip netns exec NS argv...` in a
 * new session, stdin /dev/null, stdout+stderr appended to logpath.  Returns
 * the pid (the daemon keeps it: `ip netns exec` execs) or -errno. */
pid_t plex_spawn(const char *ns, char *const argv[], const char *logpath);
/* The kernel's start time of pid (/proc/PID/stat field 22), 0 when gone. */
unsigned long long plex_pid_starttime(pid_t pid);
/* Is pid alive (not a zombie) and, when starttime != 0, still the same
 * process?  Reaps it first when it is our child. */
int plex_pid_alive(pid_t pid, unsigned long long starttime);
/* SIGTERM to every pid, poll up to term_ms for them to go, then SIGKILL and
 * poll up to 1 s more.  Entries with starttime that no longer match are
 * skipped (the pid was reused).  starttimes may be NULL.  Returns how many
 * were still alive at the end. */
int plex_kill_all(const pid_t *pids, const unsigned long long *starttimes, int n, int term_ms);
/* The state letter of pid in /proc/PID/stat ('T' or 't': stopped), 0 when
 * it is gone. */
char plex_pid_state(pid_t pid);
/* Prints the last `lines` lines of a file to stderr, indented. */
void plex_tail(const char *path, int lines);
/* Sleeps ms milliseconds (a poll step, not a fixed wait). */
void plex_msleep(unsigned ms);

/* ---- namespaces and links (build.c) ----------------------------------------- */
struct plex_inst {
	char name[PLEX_INST_MAX + 1];
	char rundir[64];		/* /run/sysplex/INST */
	char statefile[96];		/* /run/sysplex/INST/state */
	/* How the launcher sends a request to a stack or an agent, with
	 * lib_ctl_call's contract; NULL (plex_inst_init): lib_ctl_call, over
	 * the control socket at path.  The fuzz harness of the operator's
	 * commands answers here without a socket. */
	int (*call)(const char *path, const char *cmd, int json, int timeout_ms, int *rc,
		    struct lib_sbuf *body);
};
void plex_inst_init(struct plex_inst *in, const char *name);
/* Namespace name "INST-HOST" into buf. */
void plex_ns_name(const struct plex_inst *in, const char *host, char *buf, size_t len);
int plex_ns_exists(const char *ns);
/* Names of every namespace "INST-*"; returns the count (at most max). */
int plex_ns_list(const struct plex_inst *in, char names[][64], int max);
/* Pids of every process in namespace ns (as `ip netns pids`); count. */
int plex_ns_pids(const char *ns, pid_t *pids, int max);
/* Writes /proc/sys/<key with dots> = val inside namespace ns. 0 / -1. */
int plex_ns_sysctl(const char *ns, const char *key, const char *val);
/* Builds the run directory, namespaces, bridge, veths, addresses, routes and
 * sysctls for topology t.  Prints a one-line error and returns -1 on failure
 * (the caller tears down). */
int plex_build(const struct plex_inst *in, const struct plex_topo *t);
/* Writes couple.cfg and every system's profile into the run directory, and
 * formats the couple data set (RUNDIR/cds.db) the couple config names. */
int plex_write_config(const struct plex_inst *in, const struct plex_topo *t);
/* Removes everything of the instance: recorded pids, processes inside its
 * namespaces, every INST-* namespace, the run directory.  Quiet unless
 * verbose.  Returns 0, or -1 when something could not be removed. */
int plex_teardown(const struct plex_inst *in, int verbose);
/* rm -rf path (no symlinks followed). */
int plex_rmtree(const char *path);
/* Takes the instance's lock (flock on /run/sysplex/INST.lock), waiting for
 * a concurrent up/down of the same instance.  Returns the fd (kept open
 * until exit) or -1 after printing an error. */
int plex_lock(const struct plex_inst *in);
/* Releases the lock; with remove_file also removes the lock file (when the
 * instance is down), which plex_lock copes with. */
void plex_unlock(const struct plex_inst *in, int fd, int remove_file);

/* ---- state file (state.c) ---------------------------------------------------
 * Line format, one record a line, fields separated by single spaces:
 *   sysplex-state 1
 *   instance INST
 *   topology PATH
 *   bindir PATH              (where the daemons were started from)
 *   sysplex NAME
 *   ns NAMESPACE
 *   host NAME system|client|router NAMESPACE LANADDR XCFADDR|- TCPNAME|-
 *   proc HOST ROLE PID STARTTIME NAMESPACE LOGFILE
 * ROLE is stack, httpd or agent, or an FRR daemon: zebra, ospf6d, ospfd,
 * bfdd.  LANADDR is the address on lan0.  Unknown lines are ignored.
 */
struct plex_proc {
	char host[PLEX_HOST_MAX + 1];
	char role[16];
	pid_t pid;
	unsigned long long starttime;
	char ns[64];
	char log[PATH_MAX];
};
struct plex_state_host {
	char name[PLEX_HOST_MAX + 1];
	int is_system;
	int is_router;			/* neither: a client */
	char ns[64];
	char lan[PLEX_ADDR_LEN];
	char xcf[PLEX_ADDR_LEN];
	char tcpname[9];
};
struct plex_state {
	char instance[PLEX_INST_MAX + 1];
	char topology[PATH_MAX];
	char bindir[PATH_MAX];
	char sysplex[9];
	int nns;
	char ns[PLEX_MAX_HOSTS + 1][64];
	int nhosts;
	struct plex_state_host h[PLEX_MAX_HOSTS];
	int nprocs;
	struct plex_proc p[PLEX_MAX_PROCS];
};
/* Writes the state atomically (temp file + rename). 0 / -errno. */
int plex_state_write(const struct plex_inst *in, const struct plex_state *st);
/* Reads the state; -ENOENT when there is none. */
int plex_state_read(const struct plex_inst *in, struct plex_state *st);
const struct plex_state_host *plex_state_host(const struct plex_state *st, const char *name);
/* "system", "client" or "router". */
const char *plex_host_role(const struct plex_state_host *h);
/* Index into st->h of system/host `name` (case-insensitive), -1 if none. */
int plex_state_index(const struct plex_state *st, const char *name, int systems_only);

/* ---- routing daemons of a routed topology (frr.c) ---------------------------- */
/* Where the FRR daemons are: $SYSPLEX_FRR_DIR, else /usr/lib/frr. */
const char *plex_frr_bindir(void);
/* RUNDIR/HOST/frr into buf. */
void plex_frr_dir(const struct plex_inst *in, const char *host, char *buf, size_t len);
/* The FRR daemons host h runs, zebra first (none for clients, or when the
 * topology has no routers); returns how many. */
int plex_frr_daemons(const struct plex_topo *t, const struct plex_host *h, const char *out[4]);
/* A routed topology needs FRR installed: 0, or -1 after saying what is
 * missing. */
int plex_frr_check(const struct plex_topo *t);
/* Writes RUNDIR/HOST/frr/DAEMON.conf for every router and system (owned by
 * the frr user).  0 / -1 (printed). */
int plex_frr_write(const struct plex_inst *in, const struct plex_topo *t);
/* The argv that starts one FRR daemon of host (through `sysplex --frr-exec`,
 * every path in the host's frr directory); strings live in bufs. */
void plex_frr_argv(const struct plex_inst *in, const char *host, const char *daemon,
		   char *argv[24], char bufs[7][PATH_MAX]);
/* Starts the FRR daemons recorded in st (roles zebra, bfdd, ospf6d, ospfd)
 * of `host` (NULL: of every host) that are not running (pid 0: never
 * started): every zebra first, the others once its API socket is there
 * (they would retry only after 10 s).  Updates their pids in st; the caller
 * writes the state.  0, or -1 after saying what failed. */
int plex_frr_start(const struct plex_inst *in, struct plex_state *st, const char *host,
		   uint64_t deadline);
/* Waits (50 ms steps, until deadline on lib_now_ms) until namespace ns has
 * a route to each of the n addresses (IPv6): OSPF has converged for it.
 * 0, or -1 with the address still missing in *missing. */
int plex_frr_wait_routes(const char *ns, const char *const *addrs, int n, uint64_t deadline,
			 const char **missing);
/* `sysplex --frr-exec DIR PROGRAM ARG...` (argv after the option): binds DIR
 * over /run/frr and DIR/tmp over /var/tmp in the current (private) mount
 * namespace and execs PROGRAM; returns only on error (exit status). */
int plex_frr_exec(int argc, char **argv);

/* ---- the stacks' control sockets (ctl.c; the protocol: lib/ctl.c) ------------ */
/* A request to the control socket at path through in->call (see struct
 * plex_inst): lib_ctl_call's and lib_ctl_call_json's contracts. */
int plex_ctl_call(const struct plex_inst *in, const char *path, const char *cmd, int json,
		  int timeout_ms, int *rc, struct lib_sbuf *body);
int plex_ctl_call_json(const struct plex_inst *in, const char *path, const char *cmd,
		       int timeout_ms, int *rc, struct json_t **reply, char *err, size_t errlen);
/* Asks system sys's stack JSON SYSPLEX$ROLE: 0 with *reply (json_decref it),
 * whose "dvipas" holds per DVIPA {"dvipa", "status", "dist"}, or -errno when
 * the stack does not answer it with RC=0 in time. */
int plex_role(const struct plex_inst *in, const char *sys, int timeout_ms, struct json_t **reply);
/* Asks every system's stack `SYSPLEX$ROLE` and returns the index (into
 * st->h) of the first one that is ACTIVE with DIST or DIST/DEST for some
 * DVIPA, with that DVIPA in dvipa; -1 when none. */
int plex_find_routing(const struct plex_inst *in, const struct plex_state *st, int timeout_ms,
		      char *dvipa, size_t dlen);

/* ---- operator commands (opcmd.c) ------------------------------------------------
 * plex_opcmd runs one console command line: `ROUTE sys,cmd` / `ROUTE *ALL,cmd`,
 * the launcher's own display `D MIP6,BINDINGS[,client]`, and everything else
 * sent to a stack's ctl.sock: to `sys` when given ("" = not given), else to
 * the routing stack (for displays: the first stack that answers when there
 * is none).  The answer body goes to out.  Returns 0 (RC=0), 8 (RC=8: the
 * command was refused; out holds the one-line error) or -1 (no stack could
 * be asked; err holds a one-line reason). */
int plex_opcmd(const struct plex_inst *in, const struct plex_state *st, const char *sys,
	       const char *line, int json, int timeout_ms, struct lib_sbuf *out,
	       struct lib_sbuf *err);
/* The word of words[0..n) closest to w (case-insensitive edit distance at
 * most 2, or a prefix), or NULL. */
const char *plex_closest(const char *w, const char *const *words, size_t n);

/* ---- the operator console (console.c) ------------------------------------------
 * A console: the current system (the one plex_opcmd is given), answers as
 * JSON or text, whether any command failed. */
struct plex_console {
	const struct plex_inst *in;
	struct plex_state *st;		/* the instance's state, read again per command */
	char sys[PLEX_HOST_MAX + 1];
	int json;
	int failed;			/* a command was refused or got no answer */
	int tty;			/* interactive: SYSTEM name echoes the new system */
	/* Reads the state (NULL: plex_state_read; the fuzz harness's own). */
	int (*state_read)(const struct plex_inst *in, struct plex_state *st);
};
/* One console line: blank, a comment ('*', '#'), the console's own verbs
 * (SYSTEM [name], JSON ON|OFF, HELP, EXIT/QUIT/END), else an operator
 * command for plex_opcmd on the current system (an unknown verb is refused
 * with the closest word).  What it prints goes to out; errors are one line
 * in the console's mode (lib_ctl_say).  Returns 1 to leave, else 0. */
int plex_console_line(struct plex_console *c, char *line, struct lib_sbuf *out);

/* ---- where the launcher runs (env.c) ------------------------------------------- */
/* Directory of the running sysplex binary. */
const char *plex_self_dir(void);
/* Directory of the daemons: $SYSPLEX_BIN_DIR, else plex_self_dir(). */
const char *plex_bin_dir(void);
/* 0 as root; else prints why root is needed and returns -1. */
int plex_check_root(void);
/* Is s 1..max characters of [a-z0-9] ([A-Z0-9] with upper)? */
int plex_name_ok(const char *s, size_t max, int upper);
/* The program a daemon of this role runs ("stack": "tcpip-stack", "httpd":
 * "sysplex-httpd", "agent": "client-agent"; else role itself). */
const char *plex_prog_name(const char *role);
/* Prints "sysplex: instance I is not up ..." to stderr. */
void plex_not_up(const struct plex_inst *in);
#define PLEX_STACK_ARGV 20	/* plex_stack_argv's argv: 17 at most, NULL included */
/* The argv (at most 15 entries and the NULL) that starts system h's stack
 * (as `up` does); strings live in bufs, which the caller provides
 * (PATH_MAX each, 4 of them). */
void plex_stack_argv(const struct plex_inst *in, const char *bindir, const char *sys,
		     const char *tcpname, char *argv[PLEX_STACK_ARGV], char bufs[4][PATH_MAX]);
/* The shipped topology file `name` (e.g. "two.lua") into path: under
 * $SYSPLEX_HOME/sysplex/topologies, else PREFIX/share/sysplex/topologies
 * of an installed launcher, else sysplex/topologies of the build tree; 0
 * when it is readable.  plex_default_topology: "default.lua". */
int plex_shipped_topology(const char *name, char *path, size_t len);
int plex_default_topology(char *path, size_t len);

/* ---- commands (up.c, console.c, fault.c, load.c, lua.c), called by main.c ------ */
int plex_cmd_up(const struct plex_inst *in, int argc, char **argv);
int plex_cmd_cmd(const struct plex_inst *in, int argc, char **argv);
int plex_cmd_console(const struct plex_inst *in, int argc, char **argv);
int plex_cmd_fault(const struct plex_inst *in, const char *verb, int argc, char **argv);
int plex_cmd_load(const struct plex_inst *in, int argc, char **argv);
int plex_cmd_run(const struct plex_inst *in, int argc, char **argv);
/* sysplex/prelude.lua, NUL-terminated (generated by the Makefile). */
extern const char plex_lua_prelude[];

#endif
