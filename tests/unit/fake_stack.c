/*
 * fake_stack.c - a stack for the daemons' unit tests (fake.h): every file's
 * state as stack_init makes it (state.c), and none of its I/O.
 */
#include "tests/unit/fake.h"

#include <stdlib.h>
#include <string.h>

void
fake_stack_init(struct stack *s, uv_loop_t *loop, const char *sysname, const uint8_t xcfaddr[16])
{
	memset(s, 0, sizeof(*s));
	s->loop = loop;
	lib_strlcpy(s->sysname, sysname, sizeof(s->sysname));
	lib_strlcpy(s->tcpname, "TCPCS", sizeof(s->tcpname));
	memcpy(s->xcfaddr, xcfaddr, 16);
	s->couple.hb_ms = 50;
	s->couple.fail_ms = 250;
	if (stack_state_init(s) < 0)
		abort();
}

void
fake_stack_fini(struct stack *s)
{
	stack_fast_stop(s);
	stack_state_close(s);
	if (s->loop)
		uv_run(s->loop, UV_RUN_NOWAIT);
	stack_state_fini(s);
}

int
fake_stack_teardown(void **state)
{
	fake_stack_fini(*state);
	return 0;
}
