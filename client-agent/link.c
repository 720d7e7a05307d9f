/*
 * link.c - SYSPLEX$LINK fault injection in the agent's TUN path: the kernel
 * here has no netem, so `sysplex link` drops (LOSS=pct) and delays
 * (DELAY=ms, a lib_delay line) the packets the agent writes back into its
 * TUN, as the stacks do in theirs.
 *
 * State: struct agent_link (agent.h).  Level 0 of client-agent/ (agent.h):
 * calls no other file of the agent.
 */
#include "client-agent/agent.h"

#include <unistd.h>

static void
delay_out_cb(const uint8_t *frame, size_t len, void *arg)
{
	struct agent *a = arg;

	if (write(a->tun_fd, frame, len) < 0)
		lib_verdict(&a->verdicts, "TUN write failed");
}

void
agent_tun_write(struct agent *a, const uint8_t *frame, size_t len)
{
	struct agent_link *l = &a->link;

	if (l->loss_pct && lib_chance((unsigned)l->loss_pct)) {
		l->dropped++;
		return;
	}
	if (l->delay_ms && l->delay) {
		if (lib_delay_push(l->delay, frame, len) < 0)
			l->dropped++;
		return;
	}
	delay_out_cb(frame, len, a);
}

int
agent_link(struct agent *a, int loss_pct, unsigned delay_ms)
{
	struct agent_link *l = &a->link;

	if (delay_ms && !l->delay) {
		l->delay = lib_delay_new(a->loop, 64u << 20, delay_out_cb, a);
		if (!l->delay)
			return -1;
	}
	if (l->delay)
		lib_delay_set(l->delay, delay_ms);
	l->loss_pct = loss_pct;
	l->delay_ms = delay_ms;
	return 0;
}

void
agent_link_fini(struct agent *a)
{
	lib_delay_destroy(&a->link.delay);
}
