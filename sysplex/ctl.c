/*
 * ctl.c - what the launcher asks the stacks through their control sockets
 * (the protocol itself is lib/ctl.c): SYSPLEX$ROLE, and from it the routing
 * stack; every request of the launcher goes through plex_ctl_call.
 */
#include "sysplex/sysplex.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

int
plex_ctl_call(const struct plex_inst *in, const char *path, const char *cmd, int json,
	      int timeout_ms, int *rc, struct lib_sbuf *body)
{
	if (in->call)
		return in->call(path, cmd, json, timeout_ms, rc, body);
	return lib_ctl_call(path, cmd, json, timeout_ms, rc, body);
}

int
plex_ctl_call_json(const struct plex_inst *in, const char *path, const char *cmd,
		   int timeout_ms, int *rc, json_t **reply, char *err, size_t errlen)
{
	struct lib_sbuf body;
	int r;

	if (!in->call)
		return lib_ctl_call_json(path, cmd, timeout_ms, rc, reply, err, errlen);
	*reply = NULL;
	r = in->call(path, cmd, 1, timeout_ms, rc, &body);
	if (r < 0) {
		snprintf(err, errlen, "%s", strerror(-r));
		return r;
	}
	*reply = lib_json_parse(body.s ? body.s : "", body.len, err, errlen);
	lib_sbuf_free(&body);
	return *reply ? 0 : -EBADMSG;
}

int
plex_role(const struct plex_inst *in, const char *sys, int timeout_ms, json_t **reply)
{
	char path[PATH_MAX], err[160];
	int rc = 8, r;

	*reply = NULL;
	r = lib_ctl_path(path, sizeof(path), in->rundir, sys, 0);
	if (r == 0)
		r = plex_ctl_call_json(in, path, "SYSPLEX$ROLE", timeout_ms, &rc, reply, err, sizeof(err));
	if (r == 0 && (rc != 0 || !json_is_array(json_object_get(*reply, "dvipas"))))
		r = -EPROTO;
	if (r < 0) {
		json_decref(*reply);
		*reply = NULL;
	}
	return r;
}

int
plex_find_routing(const struct plex_inst *in, const struct plex_state *st, int timeout_ms,
		  char *dvipa, size_t dlen)
{
	int i;

	for (i = 0; i < st->nhosts; i++) {
		const json_t *e;
		json_t *roles;
		size_t j;

		if (!st->h[i].is_system || plex_role(in, st->h[i].name, timeout_ms, &roles) < 0)
			continue;
		json_array_foreach(json_object_get(roles, "dvipas"), j, e) {
			const char *dist = lib_json_gets(e, "dist", "");

			if (strcasecmp(lib_json_gets(e, "status", ""), "ACTIVE") == 0 &&
			    (strcasecmp(dist, "DIST") == 0 || strcasecmp(dist, "DIST/DEST") == 0)) {
				if (dvipa)
					lib_strlcpy(dvipa, lib_json_gets(e, "dvipa", ""), dlen);
				json_decref(roles);
				return i;
			}
		}
		json_decref(roles);
	}
	return -1;
}
