/*
 * test_dist.c - proves the distribution logic of vipa/dist.c, vipa/vdpt.c
 * and vipa/sysports.c:
 *  - BASEWLM system weights follow spare capacity (64 for the most, the
 *    others proportional, 0 without spare, at least 1 with some), SEF, the
 *    SERVERWLM server weight and TSR follow their documented formulas;
 *  - smooth weighted round robin gives each candidate exactly its weight
 *    over a round, never picks weight 0;
 *  - through the VDPT: BASEWLM with equal (or no) weights picks exactly as
 *    ROUNDROBIN does, step for step, also while a target drops out; with
 *    capacity-proportional weights 10,000 picks land within +-2% of the
 *    capacity shares; a weight-0 system gets nothing while others have
 *    spare capacity and an equal share when all are 0; SERVERWLM shifts
 *    away from a server whose TSR falls; an unready target gets nothing;
 *  - HOTSTANDBY: the PREFERRED target while available, then the highest
 *    BACKUP rank; AUTOSWITCHBACK returns to the preferred one,
 *    NOAUTOSWITCHBACK stays; HEALTHSWITCH leaves a target with TSR 0,
 *    NOHEALTHSWITCH does not; vipa_hs_choose on arrays;
 *  - the VDPT FLG letters (B, S, A, H, Q);
 *  - the schedule for a kernel data path (vipa_vdpt_schedule): ROUNDROBIN
 *    and equal weights each ready target once, quiesced and unready ones
 *    never; WLM weights in proportion (scaled to the slots, a weight > 0
 *    keeps one, weight 0 none) and in the order the smooth weighted round
 *    robin picks; none for WEIGHTEDACTIVE, HOTSTANDBY, no ready target,
 *    more targets than slots; and it picks nothing (totalconn unchanged);
 *  - SYSPLEXPORTS: blocks never shared between targets, next-fit reuse,
 *    owner lookup, release, release of a target that left, exhaustion.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vipa/vipa.h"

static const uint8_t dv[16] = { 0xfd, 0, 1, 0, [15] = 1 };

static void
xcf(int i, uint8_t out[16])
{
	memset(out, 0, 16);
	out[0] = 0xfd;
	out[15] = (uint8_t)i;
}

/* A VDPT with n ready targets for (dv, 80) distributed by method. */
static struct vipa_vdpt *
table(int n, enum vipa_distmethod method)
{
	struct vipa_vdpt *t = calloc(1, sizeof(*t));
	uint8_t x[16];
	int i;

	assert_non_null(t);
	vipa_vdpt_init(t);
	assert_int_equal(vipa_vdpt_service(t, dv, 80, method), 0);
	for (i = 0; i < n; i++) {
		xcf(i + 1, x);
		assert_non_null(vipa_vdpt_get(t, dv, 80, x, 1));
		t->e[i].rdy = 1;
	}
	return t;
}

static int
pick_index(struct vipa_vdpt *t)
{
	struct vipa_vdpt_entry *e = vipa_vdpt_pick(t, dv, 80);

	return e ? (int)(e - t->e) : -1;
}

/* Which target (index + 1 of xcf) slot i of a schedule holds. */
static int
slot_of(uint8_t (*slot)[16], int i)
{
	return slot[i][15];
}

static void
test_schedule(void **state)
{
	uint8_t slot[VIPA_SCHED_MAX][16];
	struct vipa_vdpt *t;
	int i, n, count[4];

	(void)state;
	/* ROUNDROBIN: each ready target once, in VDPT order. */
	t = table(3, VIPA_DIST_ROUNDROBIN);
	assert_int_equal(vipa_vdpt_schedule(t, dv, 80, slot, VIPA_SCHED_MAX), 3);
	for (i = 0; i < 3; i++)
		assert_int_equal(slot_of(slot, i), i + 1);
	assert_int_equal(t->e[0].totalconn + t->e[1].totalconn + t->e[2].totalconn, 0);
	/* Quiesced and unready targets never get a slot. */
	t->e[1].flags |= VIPA_VDPT_F_QUIESCED;
	assert_int_equal(vipa_vdpt_schedule(t, dv, 80, slot, VIPA_SCHED_MAX), 2);
	assert_int_equal(slot_of(slot, 0), 1);
	assert_int_equal(slot_of(slot, 1), 3);
	t->e[0].rdy = 0;
	assert_int_equal(vipa_vdpt_schedule(t, dv, 80, slot, VIPA_SCHED_MAX), 1);
	assert_int_equal(slot_of(slot, 0), 3);
	t->e[2].rdy = 0;
	assert_int_equal(vipa_vdpt_schedule(t, dv, 80, slot, VIPA_SCHED_MAX), 0);
	/* Another service, more targets than slots: none. */
	assert_int_equal(vipa_vdpt_schedule(t, dv, 81, slot, VIPA_SCHED_MAX), 0);
	free(t);
	t = table(3, VIPA_DIST_ROUNDROBIN);
	assert_int_equal(vipa_vdpt_schedule(t, dv, 80, slot, 2), 0);
	free(t);

	/* BASEWLM with equal weights: as ROUNDROBIN. */
	t = table(3, VIPA_DIST_BASEWLM);
	for (i = 0; i < 3; i++)
		t->e[i].wlm = 8;
	assert_int_equal(vipa_vdpt_schedule(t, dv, 80, slot, VIPA_SCHED_MAX), 3);
	/* Weights 3, 1, 0: four slots, three for the first, none for the
	 * third, in smooth order (the second not at the start or end twice). */
	t->e[0].wlm = 3;
	t->e[1].wlm = 1;
	t->e[2].wlm = 0;
	n = vipa_vdpt_schedule(t, dv, 80, slot, VIPA_SCHED_MAX);
	assert_int_equal(n, 4);
	memset(count, 0, sizeof(count));
	for (i = 0; i < n; i++)
		count[slot_of(slot, i)]++;
	assert_int_equal(count[1], 3);
	assert_int_equal(count[2], 1);
	assert_int_equal(count[3], 0);
	assert_int_equal(slot_of(slot, 0), 1);
	/* Weights above the slots: scaled, in proportion, each > 0 keeps one. */
	t->e[0].wlm = 64;
	t->e[1].wlm = 32;
	t->e[2].wlm = 1;
	n = vipa_vdpt_schedule(t, dv, 80, slot, VIPA_SCHED_MAX);
	assert_true(n <= VIPA_SCHED_MAX && n >= VIPA_SCHED_MAX - 2);
	memset(count, 0, sizeof(count));
	for (i = 0; i < n; i++)
		count[slot_of(slot, i)]++;
	assert_int_equal(count[3], 1);
	assert_in_range(count[1], 2 * count[2] - 2, 2 * count[2] + 2);
	/* TSR lowers the effective weight (SERVERWLM and BASEWLM alike). */
	t->e[0].wlm = 10;
	t->e[1].wlm = 10;
	t->e[2].wlm = 10;
	t->e[1].tsr = 0;
	assert_int_equal(vipa_vdpt_schedule(t, dv, 80, slot, VIPA_SCHED_MAX), 20);
	free(t);

	/* Decisions that depend on each pick: none. */
	t = table(2, VIPA_DIST_WEIGHTEDACTIVE);
	assert_int_equal(vipa_vdpt_schedule(t, dv, 80, slot, VIPA_SCHED_MAX), 0);
	free(t);
	t = table(2, VIPA_DIST_HOTSTANDBY);
	assert_int_equal(vipa_vdpt_schedule(t, dv, 80, slot, VIPA_SCHED_MAX), 0);
	free(t);
}

static void
test_wlm_formulas(void **state)
{
	struct vipa_wlm_sys s[4] = { { 100, 0 }, { 200, 0 }, { 300, 0 }, { 300, 100 } };
	struct vipa_tsr_state st = { 0, 0 };
	uint8_t w[4];
	int i;

	(void)state;
	vipa_wlm_system_weights(s, 4, w);
	assert_int_equal(w[0], 21);
	assert_int_equal(w[1], 43);
	assert_int_equal(w[2], 64);
	assert_int_equal(w[3], 0);
	/* Load takes spare capacity away: 300 at 50% = 150 spare. */
	s[2].load = 50;
	vipa_wlm_system_weights(s, 3, w);
	assert_int_equal(w[1], 64);
	assert_int_equal(w[2], 48);
	assert_int_equal(w[0], 32);
	/* A tiny spare still counts. */
	s[0].capacity = 1;
	s[0].load = 99;
	vipa_wlm_system_weights(s, 3, w);
	assert_int_equal(w[0], 1);
	/* Nobody has spare capacity: all 0. */
	for (i = 0; i < 3; i++)
		s[i].load = 100;
	vipa_wlm_system_weights(s, 3, w);
	assert_int_equal(w[0] + w[1] + w[2], 0);
	/* Loads above 100 count as 100. */
	s[0].load = 250;
	s[1].load = 0;
	vipa_wlm_system_weights(s, 2, w);
	assert_int_equal(w[0], 0);
	assert_int_equal(w[1], 64);

	assert_int_equal(vipa_wlm_sef(0, 0, 0, 0), 100);
	assert_int_equal(vipa_wlm_sef(90, 10, 0, 128), 90);
	assert_int_equal(vipa_wlm_sef(100, 0, 128, 128), 50);
	assert_int_equal(vipa_wlm_sef(100, 0, 999, 128), 50);
	assert_int_equal(vipa_wlm_sef(0, 5, 0, 128), 0);
	assert_int_equal(vipa_wlm_server_weight(64, 100), 64);
	assert_int_equal(vipa_wlm_server_weight(64, 50), 32);
	assert_int_equal(vipa_wlm_server_weight(1, 1), 1);
	assert_int_equal(vipa_wlm_server_weight(0, 100), 0);
	assert_int_equal(vipa_wlm_server_weight(64, 0), 0);
	assert_int_equal(vipa_wlm_effective(64, 100), 64);
	assert_int_equal(vipa_wlm_effective(64, 50), 32);
	assert_int_equal(vipa_wlm_effective(1, 1), 1);
	assert_int_equal(vipa_wlm_effective(0, 100), 0);
	assert_int_equal(vipa_wlm_effective(64, 0), 0);

	/* TSR: everything established -> 100; SEF scales it. */
	for (i = 0; i < 10; i++)
		assert_int_equal(vipa_tsr_update(&st, 10, 10, 100), 100);
	assert_int_equal(vipa_tsr_update(&st, 10, 10, 40), 40);
	/* A server that stops completing connections decays towards 0. */
	for (i = 0; i < 30; i++)
		vipa_tsr_update(&st, 10, 0, 100);
	assert_true(vipa_tsr_update(&st, 10, 0, 100) < 5);
	/* Half of them: converges to 50. */
	memset(&st, 0, sizeof(st));
	for (i = 0; i < 40; i++)
		vipa_tsr_update(&st, 10, 5, 100);
	assert_int_equal(vipa_tsr_update(&st, 10, 5, 100), 50);
	/* Nothing sent: 100 (no evidence against the target). */
	memset(&st, 0, sizeof(st));
	assert_int_equal(vipa_tsr_update(&st, 0, 0, 100), 100);
	/* More established than sent (reports racing) never passes 100. */
	assert_int_equal(vipa_tsr_update(&st, 1, 5, 100), 100);
}

static void
test_swrr(void **state)
{
	const uint32_t w[4] = { 5, 1, 0, 1 };
	int32_t cur[4] = { 0 };
	int count[4] = { 0 }, seq[7], i;
	const uint32_t zero[2] = { 0, 0 };

	(void)state;
	for (i = 0; i < 7; i++) {
		seq[i] = vipa_swrr_pick(cur, w, 4);
		assert_true(seq[i] >= 0);
		count[seq[i]]++;
	}
	assert_int_equal(count[0], 5);
	assert_int_equal(count[1], 1);
	assert_int_equal(count[2], 0);
	assert_int_equal(count[3], 1);
	/* Smooth: the heavy one is never picked more than twice in a row here. */
	assert_int_equal(seq[0], 0);
	assert_int_not_equal(seq[1] == 0 && seq[2] == 0 && seq[3] == 0, 1);
	/* State returns to zero after a full round. */
	for (i = 0; i < 4; i++)
		assert_int_equal(cur[i], 0);
	assert_int_equal(vipa_swrr_pick(cur, zero, 2), -1);
}

static void
test_basewlm_equal_is_roundrobin(void **state)
{
	struct vipa_vdpt *rr = table(3, VIPA_DIST_ROUNDROBIN);
	struct vipa_vdpt *bw = table(3, VIPA_DIST_BASEWLM);
	int i, a, b;

	(void)state;
	for (i = 0; i < 300; i++) {
		if (i == 100) {
			rr->e[1].rdy = 0;
			bw->e[1].rdy = 0;
		}
		if (i == 150) {
			rr->e[1].rdy = 1;
			bw->e[1].rdy = 1;
			/* Equal non-zero WLM weights change nothing either. */
			bw->e[0].wlm = bw->e[1].wlm = bw->e[2].wlm = 40;
		}
		a = pick_index(rr);
		b = pick_index(bw);
		assert_int_equal(a, b);
	}
	assert_int_equal(bw->e[0].totalconn + bw->e[1].totalconn + bw->e[2].totalconn, 300);
	free(rr);
	free(bw);
}

/* Capacities 100, 200 and 300 with no load: shares 1/6, 2/6, 3/6 within
 * +-2% over 10,000 picks. */
static void
test_basewlm_shares(void **state)
{
	struct vipa_vdpt *t = table(3, VIPA_DIST_BASEWLM);
	struct vipa_wlm_sys s[3] = { { 100, 0 }, { 200, 0 }, { 300, 0 } };
	uint8_t w[3];
	int count[3] = { 0 }, i, k;
	double total_w;

	(void)state;
	vipa_wlm_system_weights(s, 3, w);
	for (i = 0; i < 3; i++)
		t->e[i].wlm = w[i];
	total_w = w[0] + w[1] + w[2];
	for (k = 0; k < 10000; k++) {
		i = pick_index(t);
		assert_true(i >= 0 && i < 3);
		count[i]++;
	}
	for (i = 0; i < 3; i++) {
		double share = count[i] / 10000.0, want = (i + 1) / 6.0;

		if (share < want - 0.02 || share > want + 0.02)
			fail_msg("target %d: share %.4f, capacity share %.4f", i, share, want);
		/* And exactly the weight share, up to one round. */
		assert_true(abs(count[i] - (int)(10000 * w[i] / total_w)) <= 2);
	}
	/* Raising SYSC's load shifts work away from it. */
	s[2].load = 80;
	vipa_wlm_system_weights(s, 3, w);
	for (i = 0; i < 3; i++) {
		t->e[i].wlm = w[i];
		count[i] = 0;
	}
	for (k = 0; k < 6000; k++)
		count[pick_index(t)]++;
	assert_true(count[2] < count[0]);
	assert_true(count[1] > count[0]);
	/* A system with no spare capacity gets nothing while others have some. */
	s[2].load = 100;
	vipa_wlm_system_weights(s, 3, w);
	for (i = 0; i < 3; i++) {
		t->e[i].wlm = w[i];
		count[i] = 0;
	}
	for (k = 0; k < 300; k++)
		count[pick_index(t)]++;
	assert_int_equal(count[2], 0);
	/* When none has, all are used evenly. */
	for (i = 0; i < 3; i++) {
		t->e[i].wlm = 0;
		count[i] = 0;
	}
	for (k = 0; k < 300; k++)
		count[pick_index(t)]++;
	assert_int_equal(count[0], 100);
	assert_int_equal(count[1], 100);
	assert_int_equal(count[2], 100);
	free(t);
}

/* SERVERWLM: a slow server (TSR and its reported weight falling) gets less. */
static void
test_serverwlm_tsr(void **state)
{
	struct vipa_vdpt *t = table(2, VIPA_DIST_SERVERWLM);
	int count[2] = { 0 }, k;

	(void)state;
	t->e[0].wlm = t->e[1].wlm = 64;
	t->e[1].tsr = 25;
	for (k = 0; k < 1000; k++)
		count[pick_index(t)]++;
	assert_int_equal(count[0], 800);
	assert_int_equal(count[1], 200);
	/* A refusing server: TSR 0, no new connections at all. */
	t->e[1].tsr = 0;
	count[0] = count[1] = 0;
	for (k = 0; k < 100; k++)
		count[pick_index(t)]++;
	assert_int_equal(count[1], 0);
	/* Not ready: nothing either, and NULL when nobody is. */
	t->e[1].tsr = 100;
	t->e[0].rdy = 0;
	for (k = 0; k < 10; k++)
		assert_int_equal(pick_index(t), 1);
	t->e[1].rdy = 0;
	assert_null(vipa_vdpt_pick(t, dv, 80));
	free(t);
}

static void
test_hotstandby(void **state)
{
	struct vipa_vdpt *t = table(3, VIPA_DIST_HOTSTANDBY);
	char f[8];
	int k;

	(void)state;
	/* Entry 0: BACKUP 50; entry 1: PREFERRED; entry 2: BACKUP 100. */
	t->e[0].hs_type = VIPA_SRV_BACKUP;
	t->e[0].hs_rank = 50;
	t->e[1].hs_type = VIPA_SRV_PREFERRED;
	t->e[2].hs_type = VIPA_SRV_BACKUP;
	t->e[2].hs_rank = 100;
	for (k = 0; k < 5; k++)
		assert_int_equal(pick_index(t), 1);
	assert_string_equal(vipa_vdpt_flags(t, &t->e[1], f, sizeof(f)), "A");
	assert_string_equal(vipa_vdpt_flags(t, &t->e[2], f, sizeof(f)), "H");
	/* The preferred server goes: the highest-ranked backup. */
	t->e[1].rdy = 0;
	assert_int_equal(pick_index(t), 2);
	assert_string_equal(vipa_vdpt_flags(t, &t->e[2], f, sizeof(f)), "A");
	t->e[2].flags |= VIPA_VDPT_F_QUIESCED;
	assert_int_equal(pick_index(t), 0);
	assert_string_equal(vipa_vdpt_flags(t, &t->e[2], f, sizeof(f)), "HQ");
	t->e[2].flags = 0;
	/* AUTOSWITCHBACK (default): back to the preferred one. */
	t->e[1].rdy = 1;
	assert_int_equal(pick_index(t), 1);
	/* NOAUTOSWITCHBACK: stay on the backup once it is active. */
	assert_int_equal(vipa_vdpt_service_hs(t, dv, 80, 0, 1), 0);
	t->e[1].rdy = 0;
	assert_int_equal(pick_index(t), 2);
	t->e[1].rdy = 1;
	for (k = 0; k < 5; k++)
		assert_int_equal(pick_index(t), 2);
	/* HEALTHSWITCH: a target with TSR 0 is left... */
	t->e[2].tsr = 0;
	assert_int_equal(pick_index(t), 1);
	/* ...and with NOHEALTHSWITCH it would not be. */
	assert_int_equal(vipa_vdpt_service_hs(t, dv, 80, 1, 0), 0);
	t->e[1].tsr = 0;
	assert_int_equal(pick_index(t), 1);
	assert_int_equal(vipa_vdpt_method(t, dv, 80), VIPA_DIST_HOTSTANDBY);
	assert_int_equal(vipa_vdpt_service_hs(t, dv, 81, 1, 1), -ENOENT);
	assert_int_equal(vipa_vdpt_method(t, dv, 81), 0);
	/* Nobody ready. */
	for (k = 0; k < 3; k++)
		t->e[k].rdy = 0;
	assert_null(vipa_vdpt_pick(t, dv, 80));
	free(t);
}

static void
test_hs_choose(void **state)
{
	struct vipa_hs_cand c[4] = {
		{ VIPA_SRV_BACKUP, 10, 1 },
		{ VIPA_SRV_BACKUP, 30, 1 },
		{ VIPA_SRV_PREFERRED, 0, 1 },
		{ VIPA_SRV_BACKUP, 30, 1 },
	};

	(void)state;
	assert_int_equal(vipa_hs_choose(c, 4, -1, 1), 2);
	assert_int_equal(vipa_hs_choose(c, 4, 0, 1), 2);	/* switch back */
	assert_int_equal(vipa_hs_choose(c, 4, 0, 0), 0);	/* stay */
	c[2].available = 0;
	assert_int_equal(vipa_hs_choose(c, 4, -1, 1), 1);	/* first of equal ranks */
	c[0].available = 0;
	assert_int_equal(vipa_hs_choose(c, 4, 0, 0), 1);	/* current gone */
	c[1].available = c[3].available = 0;
	assert_int_equal(vipa_hs_choose(c, 4, -1, 1), -1);
	assert_int_equal(vipa_hs_choose(c, 0, -1, 1), -1);
}

static void
test_flags(void **state)
{
	struct vipa_vdpt *t = table(1, VIPA_DIST_BASEWLM);
	char f[8];

	(void)state;
	assert_string_equal(vipa_vdpt_flags(t, &t->e[0], f, sizeof(f)), "B");
	vipa_vdpt_service(t, dv, 80, VIPA_DIST_SERVERWLM);
	assert_string_equal(vipa_vdpt_flags(t, &t->e[0], f, sizeof(f)), "S");
	vipa_vdpt_service(t, dv, 80, VIPA_DIST_ROUNDROBIN);
	t->e[0].flags |= VIPA_VDPT_F_QUIESCED;
	assert_string_equal(vipa_vdpt_flags(t, &t->e[0], f, sizeof(f)), "Q");
	t->e[0].flags = 0;
	assert_string_equal(vipa_vdpt_flags(t, &t->e[0], f, sizeof(f)), "");
	/* A new entry starts with TSR 100 and no WLM weight. */
	assert_int_equal(t->e[0].tsr, 100);
	assert_int_equal(t->e[0].wlm, 0);
	free(t);
}

static void
test_sysports(void **state)
{
	static struct vipa_sysports sp;
	uint8_t a[16], b[16], o[16];
	int p1, p2, p3, i, n;

	(void)state;
	xcf(1, a);
	xcf(2, b);
	assert_int_equal(vipa_sysports_init(&sp, 1000, 1050), -EINVAL);	/* no whole block */
	/* 1024..1279: four blocks. */
	assert_int_equal(vipa_sysports_init(&sp, 1000, 1300), 0);
	p1 = vipa_sysports_alloc(&sp, a);
	p2 = vipa_sysports_alloc(&sp, b);
	p3 = vipa_sysports_alloc(&sp, a);
	assert_int_equal(p1, 1024);
	assert_int_equal(p2, 1088);
	assert_int_equal(p3, 1152);
	assert_int_equal(vipa_sysports_owner(&sp, 1024 + 63, o), 0);
	assert_memory_equal(o, a, 16);
	assert_int_equal(vipa_sysports_owner(&sp, 1088, o), 0);
	assert_memory_equal(o, b, 16);
	assert_int_equal(vipa_sysports_owner(&sp, 1216, o), -ENOENT);
	assert_int_equal(vipa_sysports_count(&sp, a), 2);
	/* Only the owner can release a block. */
	assert_int_equal(vipa_sysports_release(&sp, b, 1030), -ENOENT);
	assert_int_equal(vipa_sysports_release(&sp, a, 1030), 0);
	/* Next-fit: the free block at the end comes before the one just freed. */
	assert_int_equal(vipa_sysports_alloc(&sp, b), 1216);
	assert_int_equal(vipa_sysports_alloc(&sp, b), 1024);
	assert_int_equal(vipa_sysports_alloc(&sp, a), -ENOSPC);
	/* A target that leaves frees all its blocks. */
	assert_int_equal(vipa_sysports_release_all(&sp, b), 3);
	assert_int_equal(vipa_sysports_count(&sp, b), 0);
	assert_int_equal(vipa_sysports_release_all(&sp, b), 0);
	/* No two targets ever own one port, over a full default range. */
	assert_int_equal(vipa_sysports_init(&sp, 1024, 65535), 0);
	for (i = 0, n = 0; i < VIPA_SYSPORTS_NBLOCK; i++) {
		uint8_t t[16];

		xcf(1 + i % VIPA_SYSPORTS_MAX_TGT, t);
		if (vipa_sysports_alloc(&sp, t) >= 0)
			n++;
	}
	assert_int_equal(n, (65536 - 1024) / VIPA_SYSPORTS_BLOCK);
	for (i = 1024; i < 65536; i += 7) {
		uint8_t t[16];
		int blk = i / VIPA_SYSPORTS_BLOCK - 1024 / VIPA_SYSPORTS_BLOCK;

		assert_int_equal(vipa_sysports_owner(&sp, (uint16_t)i, o), 0);
		xcf(1 + blk % VIPA_SYSPORTS_MAX_TGT, t);
		assert_memory_equal(o, t, 16);
	}
	/* Contiguous runs: 16 blocks (1024 ports) for one target, never
	 * overlapping another's, refused when no run is free. */
	assert_int_equal(vipa_sysports_init(&sp, 1024, 1024 + 64 * 40 - 1), 0);
	xcf(1, a);
	xcf(2, b);
	assert_int_equal(vipa_sysports_alloc(&sp, b), 1024);
	assert_int_equal(vipa_sysports_alloc_n(&sp, a, 16), 1024 + 64);
	assert_int_equal(vipa_sysports_alloc_n(&sp, b, 16), 1024 + 64 * 17);
	assert_int_equal(vipa_sysports_alloc_n(&sp, a, 16), -ENOSPC);	/* 7 left */
	assert_int_equal(vipa_sysports_alloc_n(&sp, a, 7), 1024 + 64 * 33);
	assert_int_equal(vipa_sysports_count(&sp, a), 23);
	assert_int_equal(vipa_sysports_owner(&sp, 1024 + 64 * 17 - 1, o), 0);
	assert_memory_equal(o, a, 16);
	assert_int_equal(vipa_sysports_owner(&sp, 1024 + 64 * 17, o), 0);
	assert_memory_equal(o, b, 16);
	assert_int_equal(vipa_sysports_alloc_n(&sp, a, 0), -ENOSPC);
	assert_int_equal(vipa_sysports_alloc_n(&sp, a, 41), -ENOSPC);
	assert_int_equal(vipa_sysports_release_all(&sp, b), 17);
	assert_int_equal(vipa_sysports_alloc_n(&sp, b, 16), 1024 + 64 * 17);
	/* A 33rd target cannot be added even with free blocks. */
	assert_int_equal(vipa_sysports_init(&sp, 1024, 65535), 0);
	for (i = 0; i < VIPA_SYSPORTS_MAX_TGT; i++) {
		uint8_t t[16];

		xcf(1 + i, t);
		assert_true(vipa_sysports_alloc(&sp, t) >= 0);
	}
	xcf(1, a);
	assert_int_equal(vipa_sysports_alloc(&sp, a), 1024 + 64 * 32);
	assert_int_equal(vipa_sysports_release(&sp, a, 1024), 0);
	xcf(99, b);
	assert_int_equal(vipa_sysports_alloc(&sp, b), -ENOSPC);
	assert_int_equal(vipa_sysports_alloc(&sp, a), 1024 + 64 * 33);
	/* Once target 1 holds nothing its place is free for another. */
	assert_int_equal(vipa_sysports_release_all(&sp, a), 2);
	assert_int_equal(vipa_sysports_alloc(&sp, b), 1024 + 64 * 34);
}

/* A target keeps its ports across a change of routing stack: the new one
 * gives it exactly the blocks it asks for, unless another holds them. */
static void
test_sysports_claim(void **state)
{
	static struct vipa_sysports sp;
	uint8_t a[16], b[16], o[16];

	(void)state;
	xcf(1, a);
	xcf(2, b);
	assert_int_equal(vipa_sysports_init(&sp, 32768, 60999), 0);
	assert_int_equal(vipa_sysports_first(&sp, a), -ENOENT);
	assert_int_equal(vipa_sysports_claim(&sp, a, 40960, 4), 40960);
	assert_int_equal(vipa_sysports_count(&sp, a), 4);
	assert_int_equal(vipa_sysports_first(&sp, a), 40960);
	assert_int_equal(vipa_sysports_owner(&sp, 40960 + 4 * 64 - 1, o), 0);
	assert_memory_equal(o, a, 16);
	/* Claiming again what it holds is fine; another target cannot. */
	assert_int_equal(vipa_sysports_claim(&sp, a, 40960, 4), 40960);
	assert_int_equal(vipa_sysports_claim(&sp, b, 40960 + 3 * 64, 2), -EBUSY);
	assert_int_equal(vipa_sysports_claim(&sp, b, 40961, 1), -EINVAL);	/* not a block start */
	assert_int_equal(vipa_sysports_claim(&sp, b, 1024, 1), -EINVAL);	/* outside the range */
	assert_int_equal(vipa_sysports_claim(&sp, b, 60928, 2), -EINVAL);	/* runs past the end */
	/* The allocator then never hands out the claimed blocks. */
	assert_int_equal(vipa_sysports_alloc_n(&sp, b, 4), 32768);
	assert_true(vipa_sysports_first(&sp, b) == 32768);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wlm_formulas),
		cmocka_unit_test(test_swrr),
		cmocka_unit_test(test_basewlm_equal_is_roundrobin),
		cmocka_unit_test(test_basewlm_shares),
		cmocka_unit_test(test_serverwlm_tsr),
		cmocka_unit_test(test_hotstandby),
		cmocka_unit_test(test_hs_choose),
		cmocka_unit_test(test_flags),
		cmocka_unit_test(test_schedule),
		cmocka_unit_test(test_sysports),
		cmocka_unit_test(test_sysports_claim),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
