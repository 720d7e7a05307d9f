/*
 * state.c - every file's state, made and freed in one place: the tables,
 * the queues, each file's struct in struct stack.  No I/O: stack.c opens
 * the TUN, the sockets and the bus around it, and the unit tests use it as
 * it is.
 *
 * Level 8 of tcpip-stack/ (stack.h): calls the init and fini of every file
 * below.
 */
#include "tcpip-stack/stack.h"

#include <stdlib.h>
#include <string.h>

int
stack_state_init(struct stack *s)
{
	s->tun_fd = -1;
	s->tun_verdicts.what = "tun";
	s->bus_verdicts.what = "xcf";
	s->ctl_verdicts.what = "ctl";
	snprintf(s->member, sizeof(s->member), "%s%s", s->sysname, s->tcpname);
	s->vdpt = calloc(1, sizeof(*s->vdpt));
	s->vcrt = vipa_vcrt_new(s->max_conns ? s->max_conns : STACK_VCRT_MAX);
	if (!s->vdpt || !s->vcrt || stack_bus_init(s, stack_group_deliver) < 0 ||
	    stack_tgt_init(s) < 0 || stack_dp_init(s) < 0 || stack_mip6_init(s) < 0 ||
	    stack_dist_init(s) < 0) {
		log_warnx("out of memory");
		return -1;
	}
	vipa_vdpt_init(s->vdpt);
	if (!s->wlm_set) {
		s->wlm_capacity = 100;
		s->wlm_load = 0;
	}
	stack_ndp_init(s);
	stack_own_init(s);
	stack_fast_init(s, stack_dist_watch);
	stack_fast_on_syn(s, stack_dp_kernel_syn);
	stack_dvipa_load_profile(s);
	return 0;
}

void
stack_state_close(struct stack *s)
{
	stack_own_fini(s);
	stack_tgt_close(s);
	stack_bus_fini(s);
}

void
stack_state_fini(struct stack *s)
{
	vipa_vcrt_destroy(&s->vcrt);
	stack_tgt_fini(s);
	stack_dp_fini(s);
	stack_mip6_fini(s);
	stack_dist_fini(s);
	free(s->vdpt);
	s->vdpt = NULL;
}
