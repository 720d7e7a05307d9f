/*
 * test_agent_fast.c - proves that the client agent's kernel table of
 * bindings (client-agent/fast.c, DATAPATH BPF) holds exactly the live
 * bindings of its binding cache (client-agent/cn.c), whichever way a binding
 * leaves it:
 *  - a per-connection binding evicted by the per-home-address quota, or by a
 *    full cache, leaves the kernel's table (otherwise the kernel would go on
 *    sending the evicted connection's packets to its care-of address);
 *  - a per-home-address binding evicted from a full table likewise;
 *  - a deleted or expired binding, kept for its sequence number,
 *    is in the binding cache but not in the kernel's table.
 * The kdp/ functions fast.c calls are defined here (a table of bindings in
 * memory), so the linker takes none from libkdp.a; Binding Updates are
 * built and authenticated as a mobile node would (return routability's
 * tokens from the agent's own Kcn and nonce).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client-agent/agent.h"
#include "kdp/kdp.h"

/* ---- the kernel's binding tables, faked ---------------------------------------- */

#define FAKE_CONNS 64

static struct fake_conn {
	int used;
	struct kdp_conn c;
	uint8_t coa[16];
} fconns[FAKE_CONNS];

static struct fake_home {
	int used;
	uint8_t home[16], coa[16];
} fhomes[AGENT_MAX_HOME + 1];

static int fake_kdp_obj;

static struct fake_conn *
fconn_find(const struct kdp_conn *c)
{
	int i;

	for (i = 0; i < FAKE_CONNS; i++)
		if (fconns[i].used && memcmp(&fconns[i].c, c, sizeof(*c)) == 0)
			return &fconns[i];
	return NULL;
}

static struct fake_home *
fhome_find(const uint8_t home[16])
{
	int i;

	for (i = 0; i <= AGENT_MAX_HOME; i++)
		if (fhomes[i].used && memcmp(fhomes[i].home, home, 16) == 0)
			return &fhomes[i];
	return NULL;
}

int
kdp_open(struct kdp **out, const struct kdp_opts *o, char *err, size_t errlen)
{
	(void)o;
	*out = (struct kdp *)&fake_kdp_obj;
	if (errlen)
		err[0] = '\0';
	return 0;
}

void
kdp_close(struct kdp **k)
{
	*k = NULL;
}

const char *
kdp_attach_name(const struct kdp *k)
{
	(void)k;
	return "fake";
}

int
kdp_set_loss(struct kdp *k, unsigned pct)
{
	(void)k;
	(void)pct;
	return 0;
}

int
kdp_prefix_add(struct kdp *k, const uint8_t prefix[16], int plen)
{
	(void)k;
	(void)prefix;
	(void)plen;
	return 0;
}

int
kdp_bind_conn_set(struct kdp *k, const struct kdp_conn *c, const uint8_t coa[16],
		  uint64_t expires_ms)
{
	struct fake_conn *f = fconn_find(c);
	int i;

	(void)k;
	(void)expires_ms;
	for (i = 0; !f && i < FAKE_CONNS; i++)
		if (!fconns[i].used)
			f = &fconns[i];
	if (!f)
		return -ENOSPC;
	f->used = 1;
	f->c = *c;
	memcpy(f->coa, coa, 16);
	return 0;
}

int
kdp_bind_conn_del(struct kdp *k, const struct kdp_conn *c)
{
	struct fake_conn *f = fconn_find(c);

	(void)k;
	if (!f)
		return -ENOENT;
	f->used = 0;
	return 0;
}

int
kdp_bind_conn_get(struct kdp *k, const struct kdp_conn *c, struct kdp_counters *ct)
{
	(void)k;
	if (!fconn_find(c))
		return -ENOENT;
	if (ct)
		memset(ct, 0, sizeof(*ct));
	return 0;
}

int
kdp_bind_home_set(struct kdp *k, const uint8_t home[16], const uint8_t coa[16],
		  uint64_t expires_ms)
{
	struct fake_home *f = fhome_find(home);
	int i;

	(void)k;
	(void)expires_ms;
	for (i = 0; !f && i <= AGENT_MAX_HOME; i++)
		if (!fhomes[i].used)
			f = &fhomes[i];
	if (!f)
		return -ENOSPC;
	f->used = 1;
	memcpy(f->home, home, 16);
	memcpy(f->coa, coa, 16);
	return 0;
}

int
kdp_bind_home_del(struct kdp *k, const uint8_t home[16])
{
	struct fake_home *f = fhome_find(home);

	(void)k;
	if (!f)
		return -ENOENT;
	f->used = 0;
	return 0;
}

int
kdp_bind_home_get(struct kdp *k, const uint8_t home[16], struct kdp_counters *ct)
{
	(void)k;
	if (!fhome_find(home))
		return -ENOENT;
	if (ct)
		memset(ct, 0, sizeof(*ct));
	return 0;
}

int
kdp_stats(struct kdp *k, uint64_t out[KDP_STAT_COUNT])
{
	(void)k;
	memset(out, 0, KDP_STAT_COUNT * sizeof(out[0]));
	return 0;
}

const char *
kdp_stat_name(int i)
{
	(void)i;
	return NULL;
}

/* ---- the agent ------------------------------------------------------------------ */

static struct agent ag;
static int pipefd[2];
static const uint8_t HOME[16] = { 0xfd, 0, 1, 0, [15] = 1 };			/* fd00:100::1 */
static const uint8_t ME[16] = { 0xfd, 0, 0, 1, [14] = 1, [15] = 1 };		/* fd00:1::101 */
#define HPORT 8080

static int
setup(void **state)
{
	(void)state;
	memset(fconns, 0, sizeof(fconns));
	memset(fhomes, 0, sizeof(fhomes));
	memset(&ag, 0, sizeof(ag));
	ag.verdicts.what = "agent";
	/* A cache of 8 connections, 2 per home or care-of address.  No raw
	 * Mobility Header socket: the answers are not looked at here. */
	assert_int_equal(agent_cn_init(&ag, 8), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, pipefd), 0);
	ag.tun_fd = pipefd[1];
	ag.fast.kdp = (struct kdp *)&fake_kdp_obj;	/* DATAPATH BPF */
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	ag.fast.kdp = NULL;
	agent_cn_fini(&ag);
	close(pipefd[0]);
	close(pipefd[1]);
	return 0;
}

/* An authenticated BU from home (care-of address = home + 1) for the
 * connection (cport, HPORT), or for the home address when cport is 0. */
static void
bu(const uint8_t home[16], uint16_t cport, uint16_t seq, uint16_t lifetime)
{
	const struct agent_nonce *n = &ag.cn.nonces[ag.cn.nonce_idx % AGENT_NONCES];
	uint8_t coa[16], h[MIP6_TOKEN_LEN], c[MIP6_TOKEN_LEN], kbm[MIP6_KBM_LEN];
	uint8_t mh[MIP6_MAX_LEN];
	struct mip6_msg m;
	ssize_t len;
	int off;

	memcpy(coa, home, 16);
	coa[15]++;
	memset(&m, 0, sizeof(m));
	m.proto = WIRE_PROTO_NONE;
	m.type = MIP6_MH_BU;
	m.bu.seq = seq;
	m.bu.lifetime = lifetime;
	m.opts.present = MIP6_OPTF(MIP6_OPT_NONCE) | MIP6_OPTF(MIP6_OPT_AUTH) |
			 MIP6_OPTF(MIP6_OPT_ALTCOA);
	m.opts.home_nonce_idx = ag.cn.nonce_idx;
	m.opts.coa_nonce_idx = ag.cn.nonce_idx;
	memcpy(m.opts.alt_coa, coa, 16);
	if (cport)
		wire_vso_conn_add(&m.opts, cport, HPORT);
	mip6_keygen_token(ag.cn.kcn, home, n->nonce, 0, h);
	mip6_keygen_token(ag.cn.kcn, coa, n->nonce, 1, c);
	mip6_kbm(h, lifetime ? c : NULL, kbm);
	len = mip6_msg_encode(&m, mh, sizeof(mh));
	assert_true(len > 0);
	off = mip6_auth_off(mh, (size_t)len);
	assert_true(off > 0);
	assert_int_equal(mip6_bu_authenticator(kbm, coa, ME, mh, (size_t)len, (size_t)off,
					       mh + off), 0);
	mip6_csum_set(home, ME, mh, (size_t)len);
	agent_cn_rx_mh(&ag, home, ME, mh, (size_t)len);
}

static void
home_n(uint8_t out[16], int i)
{
	memcpy(out, HOME, 16);
	out[13] = (uint8_t)(0x40 + i);
}

static struct agent_conn_binding *
conn_binding(const uint8_t home[16], uint16_t cport)
{
	struct agent_conn_key k;

	memset(&k, 0, sizeof(k));
	memcpy(k.home, home, 16);
	memcpy(k.client, ME, 16);
	k.home_port = HPORT;
	k.client_port = cport;
	return lib_tab_lookup(ag.cn.conns, &k);
}

static int
in_kernel(const uint8_t home[16], uint16_t cport)
{
	struct kdp_conn kc;

	memset(&kc, 0, sizeof(kc));
	memcpy(kc.dvipa, home, 16);
	memcpy(kc.client, ME, 16);
	kc.dport = HPORT;
	kc.cport = cport;
	return fconn_find(&kc) != NULL;
}

/* Every live binding of the cache is in the kernel's table and nothing
 * else is. */
struct count {
	int live, missing;
};

static int
count_live(void *entry, void *arg)
{
	struct agent_conn_binding *c = entry;
	struct count *n = arg;

	if (c->deleted)
		return 0;
	n->live++;
	n->missing += !in_kernel(c->key.home, c->key.client_port);
	return 0;
}

static void
assert_mirrored(void)
{
	struct count n = { 0, 0 };
	int i, k = 0, homes = 0;

	lib_tab_foreach(ag.cn.conns, count_live, &n);
	for (i = 0; i < FAKE_CONNS; i++)
		k += fconns[i].used;
	assert_int_equal(n.missing, 0);
	assert_int_equal(k, n.live);
	for (i = 0; i < AGENT_MAX_HOME; i++)
		if (ag.cn.home[i].used) {
			homes++;
			assert_non_null(fhome_find(ag.cn.home[i].home));
		}
	k = 0;
	for (i = 0; i <= AGENT_MAX_HOME; i++)
		k += fhomes[i].used;
	assert_int_equal(k, homes);
}

static void
test_quota_eviction_leaves_kernel(void **state)
{
	uint8_t home[16];

	(void)state;
	home_n(home, 0);
	bu(home, 1000, 1, 10);
	bu(home, 1001, 1, 10);
	assert_int_equal(ag.cnt.bu_accepted, 2);
	assert_true(in_kernel(home, 1000) && in_kernel(home, 1001));
	assert_mirrored();
	/* A third of this home's: its least recently active one (1001; 1000
	 * is in use) is evicted, from the kernel too. */
	conn_binding(home, 1000)->last_use_ms = lib_now_ms() + 1;
	bu(home, 1002, 1, 10);
	assert_int_equal(ag.cnt.bu_evicted, 1);
	assert_null(conn_binding(home, 1001));
	assert_false(in_kernel(home, 1001));
	assert_true(in_kernel(home, 1000) && in_kernel(home, 1002));
	assert_mirrored();
}

static void
test_full_cache_eviction_leaves_kernel(void **state)
{
	uint8_t home[16];
	int i;

	(void)state;
	for (i = 0; i < 4; i++) {
		home_n(home, i);
		bu(home, 1000, 1, 10);
		bu(home, 1001, 1, 10);
	}
	assert_int_equal(lib_tab_count(ag.cn.conns), 8);
	assert_mirrored();
	/* A fifth home's BU takes the least recently active binding's place. */
	home_n(home, 5);
	bu(home, 1000, 1, 10);
	assert_int_equal(ag.cnt.bu_evicted, 1);
	assert_int_equal(lib_tab_count(ag.cn.conns), 8);
	assert_mirrored();
}

static void
test_home_eviction_leaves_kernel(void **state)
{
	uint8_t home[16];
	int i;

	(void)state;
	for (i = 0; i < AGENT_MAX_HOME; i++) {
		home_n(home, i);
		bu(home, 0, 1, 10);
	}
	assert_int_equal(ag.cnt.bu_accepted, AGENT_MAX_HOME);
	assert_mirrored();
	home_n(home, AGENT_MAX_HOME);
	bu(home, 0, 1, 10);
	assert_int_equal(ag.cnt.bu_evicted, 1);
	assert_non_null(fhome_find(home));
	assert_mirrored();
}

static void
test_kept_entries_not_in_kernel(void **state)
{
	uint8_t home[16];

	(void)state;
	home_n(home, 0);
	bu(home, 1000, 1, 10);
	bu(home, 1001, 1, 10);
	bu(home, 0, 1, 10);
	assert_mirrored();
	/* Deleted: kept for its sequence number, gone from the kernel. */
	bu(home, 1000, 2, 0);
	assert_int_equal(ag.cnt.bu_deleted, 1);
	assert_int_equal(lib_tab_count(ag.cn.conns), 2);
	assert_mirrored();
	bu(home, 0, 2, 0);
	assert_int_equal(ag.cnt.bu_deleted, 2);
	assert_null(fhome_find(home));
	assert_mirrored();
	/* Expired likewise. */
	conn_binding(home, 1001)->expires_ms = lib_now_ms() - 1;
	agent_cn_tick(&ag);
	assert_non_null(conn_binding(home, 1001));
	assert_true(conn_binding(home, 1001)->deleted);
	assert_false(in_kernel(home, 1001));
	assert_mirrored();
	/* A new BU makes a kept entry live again, in the kernel too. */
	bu(home, 1000, 3, 10);
	assert_false(conn_binding(home, 1000)->deleted);
	assert_true(in_kernel(home, 1000));
	assert_mirrored();
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_quota_eviction_leaves_kernel),
		T(test_full_cache_eviction_leaves_kernel),
		T(test_home_eviction_leaves_kernel),
		T(test_kept_entries_not_in_kernel),
	};
#undef T

	lib_log_init("test", LIB_LOG_ERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
