/*
 * render.h - the stack's text renderers (render.c): each turns the result
 * object of one display (display.c, shapes in docs/CONSOLE.md) into the z/OS
 * text of that display.  Not a module header: the stack's ctl.c and the
 * unit tests include it.  Each has the type lib_ctl_render_cb; arg is a
 * struct stack_render (or NULL: report number 0, no DETAIL).
 */
#ifndef SYSPLEX_STACK_RENDER_H
#define SYSPLEX_STACK_RENDER_H

#include "lib/lib.h"

struct stack_render {
	unsigned *seq;			/* the report counter of NETSTAT/SYSPLEX headers */
	int detail;			/* VDPT, VCRT, ROUTE: the DETAIL lines; group: STACK_RENDER_XCF */
};
#define STACK_RENDER_XCF 2		/* the group as D XCF,GROUP,EZBTCPCS shows it */

void stack_render_vdpt(const struct json_t *r, struct lib_sbuf *o, void *arg);
void stack_render_vcrt(const struct json_t *r, struct lib_sbuf *o, void *arg);
/* SYSPLEX$MIP6: the clients' kinds and the per-home-address bindings. */
void stack_render_mip6(const struct json_t *r, struct lib_sbuf *o, void *arg);
void stack_render_vipadyn(const struct json_t *r, struct lib_sbuf *o, void *arg);
void stack_render_vipadcfg(const struct json_t *r, struct lib_sbuf *o, void *arg);
void stack_render_home(const struct json_t *r, struct lib_sbuf *o, void *arg);
void stack_render_conn(const struct json_t *r, struct lib_sbuf *o, void *arg);
void stack_render_route(const struct json_t *r, struct lib_sbuf *o, void *arg);
void stack_render_config(const struct json_t *r, struct lib_sbuf *o, void *arg);
void stack_render_sysplex_ports(const struct json_t *r, struct lib_sbuf *o, void *arg);
void stack_render_sysplex_vipadyn(const struct json_t *r, struct lib_sbuf *o, void *arg);
void stack_render_group(const struct json_t *r, struct lib_sbuf *o, void *arg);
void stack_render_xcf_groups(const struct json_t *r, struct lib_sbuf *o, void *arg);
void stack_render_couple(const struct json_t *r, struct lib_sbuf *o, void *arg);
void stack_render_role(const struct json_t *r, struct lib_sbuf *o, void *arg);
void stack_render_error(const struct json_t *r, struct lib_sbuf *o, void *arg);

#endif
