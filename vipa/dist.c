/*
 * dist.c - the pure parts of distribution: the emulated Workload Manager's
 * weights (BASEWLM system weights, SERVERWLM server weights), target server
 * responsiveness (TSR), smooth weighted round robin and the HOTSTANDBY
 * choice.  No state of its own, no allocation, no clock: the callers (the
 * VDPT's pick, the stack's WLM timer, the targets' reports) own the inputs.
 *
 * Formulas (z/OS-like; documented for operators in docs/DESIGN.md):
 *  - BASEWLM: weight_i = round(64 * spare_i / max spare), spare_i =
 *    capacity_i * (100 - load_i); >= 1 when spare_i > 0; 0 without spare.
 *  - SEF = accept efficiency * (100 - accept queue fill / 2) / 100.
 *  - SERVERWLM: server weight = system weight * SEF / 100.
 *  - TSR = TCSR * SEF / 100, TCSR = 100 * established / sent (decayed).
 *  - A pick uses wlm * tsr / 100.
 */
#include "vipa/vipa.h"

#include <string.h>

/* round(a * b / c) in 64 bits; c > 0. */
static uint64_t
muldiv_round(uint64_t a, uint64_t b, uint64_t c)
{
	return (a * b + c / 2) / c;
}

void
vipa_wlm_system_weights(const struct vipa_wlm_sys *s, int n, uint8_t *w)
{
	uint64_t spare, max = 0;
	int i;

	for (i = 0; i < n; i++) {
		uint8_t load = s[i].load > 100 ? 100 : s[i].load;

		spare = (uint64_t)s[i].capacity * (100u - load);
		if (spare > max)
			max = spare;
	}
	for (i = 0; i < n; i++) {
		uint8_t load = s[i].load > 100 ? 100 : s[i].load;
		uint64_t v;

		spare = (uint64_t)s[i].capacity * (100u - load);
		if (max == 0 || spare == 0) {
			w[i] = 0;
			continue;
		}
		v = muldiv_round(VIPA_WLM_MAX, spare, max);
		w[i] = (uint8_t)(v ? v : 1);
	}
}

uint8_t
vipa_wlm_sef(uint32_t accepted, uint32_t dropped, uint32_t backlog, uint32_t backlog_max)
{
	uint64_t eff = 100, fill = 0;

	if ((uint64_t)accepted + dropped > 0)
		eff = (uint64_t)accepted * 100 / ((uint64_t)accepted + dropped);
	if (backlog_max > 0)
		fill = backlog >= backlog_max ? 100 : (uint64_t)backlog * 100 / backlog_max;
	return (uint8_t)(eff * (100 - fill / 2) / 100);
}

uint8_t
vipa_wlm_server_weight(uint8_t sys_weight, uint8_t sef)
{
	uint64_t v;

	if (sys_weight == 0 || sef == 0)
		return 0;
	v = muldiv_round(sys_weight, sef > 100 ? 100 : sef, 100);
	return (uint8_t)(v ? v : 1);
}

uint8_t
vipa_tsr_update(struct vipa_tsr_state *st, uint32_t sent, uint32_t est, uint8_t sef)
{
	uint64_t tcsr;

	/* Keep 3/4 of the history, in 1/1024ths so that rounding does not bias
	 * the ratio (the loss is rounded up so that old counts do reach 0); a
	 * steady input x converges to about 4096x. */
	st->sent = st->sent - (st->sent + 3) / 4 + (uint64_t)sent * 1024;
	st->est = st->est - (st->est + 3) / 4 + (uint64_t)est * 1024;
	if (st->est > st->sent)
		st->est = st->sent;
	tcsr = st->sent ? (st->est * 100 + st->sent / 2) / st->sent : 100;
	return (uint8_t)(tcsr * (sef > 100 ? 100 : sef) / 100);
}

uint32_t
vipa_wlm_effective(uint8_t wlm, uint8_t tsr)
{
	uint32_t v;

	if (wlm == 0 || tsr == 0)
		return 0;
	v = (uint32_t)muldiv_round(wlm, tsr > 100 ? 100 : tsr, 100);
	return v ? v : 1;
}

int
vipa_swrr_pick(int32_t *cur, const uint32_t *w, int n)
{
	int64_t total = 0;
	int i, best = -1;

	for (i = 0; i < n; i++) {
		if (w[i] == 0)
			continue;
		total += w[i];
		cur[i] += (int32_t)w[i];
		if (best < 0 || cur[i] > cur[best])
			best = i;
	}
	if (best >= 0)
		cur[best] -= (int32_t)total;
	return best;
}

/* True when candidate a is preferred to b for HOTSTANDBY (both available). */
static int
hs_better(const struct vipa_hs_cand *a, const struct vipa_hs_cand *b)
{
	if (a->srvtype == VIPA_SRV_PREFERRED)
		return b->srvtype != VIPA_SRV_PREFERRED;
	if (b->srvtype == VIPA_SRV_PREFERRED)
		return 0;
	return a->rank > b->rank;
}

int
vipa_hs_choose(const struct vipa_hs_cand *c, int n, int current, int autoswitchback)
{
	int i, best = -1;

	if (!autoswitchback && current >= 0 && current < n && c[current].available)
		return current;
	for (i = 0; i < n; i++)
		if (c[i].available && (best < 0 || hs_better(&c[i], &c[best])))
			best = i;
	return best;
}
