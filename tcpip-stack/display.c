/*
 * display.c - what the stack's operator displays show, as result objects:
 * each display reads the stack's state once into one JSON object (jansson),
 * which ctl.c writes as the JSON answer or hands to a text renderer
 * (render.c).  Nothing here formats text; every name from outside (PROFILE,
 * coupling bus, kernel) goes in through lib_json_str, so it is escaped by
 * construction.  The shapes are those of docs/CONSOLE.md.
 *
 * Level 8 of tcpip-stack/ (stack.h): reads the state of every file; calls
 * dvipa.c.
 */
#include "tcpip-stack/stack.h"

#include "kdp/kdp.h"

#include <ctype.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <ifaddrs.h>
#include <jansson.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- helpers --------------------------------------------------------------- */

/* An IPv6 address as a JSON string. */
static json_t *
addr(const uint8_t a[16])
{
	char buf[64];

	return json_string(vipa_addr_str(a, buf, sizeof(buf)));
}

static json_t *
u64(uint64_t v)
{
	return json_integer((json_int_t)v);
}

static void
set(json_t *o, const char *key, json_t *v)
{
	json_object_set_new(o, key, v);
}

/* A stack answer: {"system": ..., "stack": ...} to which the display adds. */
static json_t *
answer(struct stack *s)
{
	json_t *r = json_object();

	set(r, "system", lib_json_str(s->sysname));
	set(r, "stack", lib_json_str(s->tcpname));
	return r;
}

/* rows as `key` and their count as "records". */
static json_t *
with_rows(json_t *r, const char *key, json_t *rows)
{
	size_t n = json_array_size(rows);

	set(r, key, rows);
	set(r, "records", json_integer((json_int_t)n));
	return r;
}

static const char *
state_name(uint8_t st)
{
	return st == VIPA_CONN_EST ? "ESTABLISHED" : "SYN-RECEIVED";
}

static const char *
bypass_name(uint8_t b)
{
	switch (b) {
	case VIPA_BYPASS_TESTING: return "TESTING";
	case VIPA_BYPASS_BOUND: return "BOUND";
	default: return "NONE";
	}
}

/* Is the stack the routing stack of any DVIPA? */
static int
is_distributor(struct stack *s)
{
	int i;

	for (i = 0; i < s->ndv; i++)
		if (s->dv[i].owned && s->dv[i].has_dist)
			return 1;
	return 0;
}

/* A stack out of the sysplex group has no dynamic VIPA (z/OS deletes them
 * at LEAVEGROUP; VIPADCFG keeps the definitions for JOINGROUP). */
static int
is_member(struct stack *s)
{
	return xcf_joined(s->xcf) && !s->left_group;
}

/* ---- VDPT ------------------------------------------------------------------ */

static int
cmp_vdpt(const void *a, const void *b)
{
	const struct vipa_vdpt_entry *x = *(const struct vipa_vdpt_entry *const *)a;
	const struct vipa_vdpt_entry *y = *(const struct vipa_vdpt_entry *const *)b;
	int c = memcmp(x->dvipa, y->dvipa, 16);

	if (c)
		return c;
	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	return memcmp(x->dest_xcf, y->dest_xcf, 16);
}

json_t *
stack_show_vdpt(struct stack *s)
{
	const struct vipa_vdpt_entry *rows[VIPA_VDPT_MAX];
	json_t *a = json_array();
	int i, n = 0;

	for (i = 0; i < s->vdpt->n; i++)
		if (s->vdpt->e[i].used)
			rows[n++] = &s->vdpt->e[i];
	qsort(rows, (size_t)n, sizeof(rows[0]), cmp_vdpt);
	for (i = 0; i < n; i++) {
		const struct vipa_vdpt_entry *e = rows[i];
		enum vipa_distmethod m = vipa_vdpt_method(s->vdpt, e->dvipa, e->port);
		char flg[8];
		json_t *row;

		vipa_vdpt_flags(s->vdpt, e, flg, sizeof(flg));
		row = json_pack("{s:o,s:i,s:o,s:o,s:i,s:I,s:I,s:i,s:b,s:i,s:i,s:s,s:s}",
			"dest", addr(e->dvipa), "port", e->port, "destxcf", addr(e->dest_xcf),
			"destname", lib_json_str(e->dest_name), "rdy", e->rdy,
			"totalconn", (json_int_t)e->totalconn, "actconn", (json_int_t)e->active,
			"weight", e->weight, "quiesced", (e->flags & VIPA_VDPT_F_QUIESCED) != 0,
			"wlm", e->wlm, "tsr", e->tsr, "flg", flg,
			"distmethod", m ? vipa_distmethod_name(m) : "");
		/* What the target reported of its WLM system and server. */
		if (row && e->has_wlm)
			json_object_set_new(row, "wlmsys", json_pack("{s:I,s:i,s:i,s:i}",
				"capacity", (json_int_t)e->capacity, "load", e->load,
				"sysweight", e->sys_wlm, "sef", e->sef));
		json_array_append_new(a, row);
	}
	return with_rows(answer(s), "vdpt", a);
}

/* ---- VCRT ------------------------------------------------------------------ */

struct vcrt_ctx {
	struct stack *s;
	int owner;
	json_t *a;
};

/* Which kind of correspondent node the client is: the routing stack learns
 * it (stack_mip6_cn_kind); a target knows it from the binding information. */
static const char *
cn_name(struct vcrt_ctx *x, const struct vipa_conn *c)
{
	if (x->owner)
		return stack_mip6_cn_kind_name(stack_mip6_cn_kind(x->s, c->key.client));
	if (c->bypass == VIPA_BYPASS_NONE)
		return stack_mip6_cn_kind_name(STACK_CN_UNKNOWN);
	return stack_mip6_cn_kind_name(c->per_home ? STACK_CN_STANDARD : STACK_CN_AGENT);
}

/* The path the connection's inbound packets take here: on the routing
 * stack BPF when the kernel has its entry and forwards (its counters are
 * added to the daemon's), else TUN; on a target the path of the RH2 strip. */
static int
vcrt_row(struct vipa_conn *c, void *arg)
{
	struct vcrt_ctx *x = arg;
	int bound = c->bypass == VIPA_BYPASS_BOUND;
	struct kdp_counters kc;
	const char *path = stack_fast_datapath(x->s);

	memset(&kc, 0, sizeof(kc));
	if (x->owner && stack_fast_conn_counters(x->s, &c->key, &kc) < 0)
		path = "TUN";
	if (x->s->fast.tun_only)
		path = "TUN";
	json_array_append_new(x->a, json_pack("{s:o,s:i,s:o,s:i,s:o,s:s,s:s,s:s?,s:s,s:o,s:s,s:o,s:o,s:o,s:I}",
		"dest", addr(c->key.dvipa), "dport", c->key.dport, "source", addr(c->key.client),
		"sport", c->key.cport, "destxcf", addr(c->dest_xcf), "state", state_name(c->state),
		"bypass", vipa_addr_is_v4(c->key.dvipa) ? "IPV4-ROUTED" : bypass_name(c->bypass),
		"binding", c->bypass == VIPA_BYPASS_NONE ? NULL : c->per_home ? "HOME" : "CONNECTION",
		"cn", cn_name(x, c), "careof", bound ? addr(c->coa) : json_null(),
		"path", path,
		"fwdpkts", u64(c->pkts_fwd + kc.pkts), "fwdbytes", u64(c->bytes_fwd + kc.bytes),
		"kernelpkts", u64(kc.pkts),
		"bound_after_ms", bound && c->bypass_ms >= c->created_ms ?
		(json_int_t)(c->bypass_ms - c->created_ms) : (json_int_t)-1));
	return 0;
}

json_t *
stack_show_vcrt(struct stack *s)
{
	/* The distributor shows every routed connection, a target those it
	 * terminates. */
	int owner = is_distributor(s);
	json_t *r = answer(s);
	struct vcrt_ctx x = { s, owner, json_array() };

	set(r, "role", json_string(owner ? "distributor" : "target"));
	vipa_vcrt_foreach(owner ? s->vcrt : s->tgt.conns, vcrt_row, &x);
	return with_rows(r, "vcrt", x.a);
}

/* ---- VIPADYN / VIPADCFG ---------------------------------------------------- */

static const char *
origin_name(const struct stack_dvipa *d)
{
	if (d->range)
		return "VIPARANGE BIND";
	if (d->defined)
		return "VIPADEFINE";
	if (d->backup)
		return "VIPABACKUP";
	return "VIPADISTRIBUTE";
}

/* Does this stack have anything of d to show? */
static int
dvipa_shown(const struct stack_dvipa *d)
{
	return d->defined || d->backup || d->target || d->owned;
}

json_t *
stack_show_vipadyn(struct stack *s)
{
	int i, member = is_member(s);
	json_t *r = answer(s), *a = json_array();

	set(r, "member", json_boolean(member));
	for (i = 0; i < s->ndv && member; i++) {
		const struct stack_dvipa *d = &s->dv[i];
		json_t *row;

		if (!dvipa_shown(d))
			continue;
		row = json_pack("{s:o,s:o,s:s,s:s,s:s,s:i,s:o}", "ipaddr", addr(d->addr),
				"intfname", lib_json_str(d->ifname), "status", stack_dvipa_status(d),
				"origin", origin_name(d), "diststat", stack_dvipa_diststat(d),
				"rank", d->rank, "owner", lib_json_str(d->owner));
		/* When this stack activated it (wall clock): ACTTIME. */
		if (row && d->owned)
			set(row, "acttime_ms", u64(d->activated_wall_ms));
		json_array_append_new(a, row);
	}
	return with_rows(r, "vipadyn", a);
}

static const char *
moveable_name(enum vipa_moveable m)
{
	switch (m) {
	case VIPA_MOVE_WHENIDLE: return "WHENIDLE";
	case VIPA_MOVE_NONDISRUPTIVE: return "NONDISRUPTIVE";
	case VIPA_MOVE_DISRUPTIVE: return "DISRUPTIVE";
	default: return "IMMEDIATE";
	}
}

static const char *
srvtype_name(uint8_t t)
{
	return t == VIPA_SRV_PREFERRED ? "PREFERRED" : t == VIPA_SRV_BACKUP ? "BACKUP" : "";
}

/* The configuration as normalized PROFILE statements (vipa_profile_print). */
static json_t *
profile_text(const struct vipa_profile *p)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	json_t *v;

	if (!f)
		return NULL;
	vipa_profile_print(p, f);
	fclose(f);
	v = lib_json_str(buf);
	free(buf);
	return v;
}

json_t *
stack_show_vipadcfg(struct stack *s)
{
	const struct vipa_profile *p = &s->prof;
	json_t *def = json_array(), *bak = json_array(), *dis = json_array(), *rng = json_array();
	json_t *r = answer(s);
	int i, j;

	for (i = 0; i < p->ndefine; i++) {
		const struct vipa_define *d = &p->define[i];

		if (d->backup)
			json_array_append_new(bak, json_pack("{s:o,s:o,s:i,s:s}", "intfname",
				lib_json_str(d->ifname), "ipaddr", addr(d->addr), "rank", d->rank,
				"moveable", moveable_name(d->moveable)));
		else
			json_array_append_new(def, json_pack("{s:o,s:o,s:s}", "intfname",
				lib_json_str(d->ifname), "ipaddr", addr(d->addr),
				"moveable", moveable_name(d->moveable)));
	}
	for (i = 0; i < p->nrange; i++) {
		const struct vipa_range *g = &p->range[i];

		json_array_append_new(rng, json_pack("{s:o,s:o,s:i,s:s,s:o}", "intfname",
			lib_json_str(g->ifname), "ipaddr", addr(g->addr), "prefixlen", g->plen,
			"moveable", moveable_name(g->moveable), "saf", lib_json_str(g->saf)));
	}
	for (i = 0; i < p->ndist; i++) {
		const struct vipa_distribute *d = &p->dist[i];
		json_t *ports = json_array(), *dest, *dests = json_array(), *row;

		for (j = 0; j < d->nports; j++)
			json_array_append_new(ports, json_integer(d->ports[j]));
		if (d->destall) {
			dest = json_string("ALL");
		} else {
			dest = json_array();
			for (j = 0; j < d->ndest; j++) {
				json_array_append_new(dest, addr(d->dest[j].xcf));
				json_array_append_new(dests, json_pack("{s:o,s:i,s:s,s:i}", "destxcf",
					addr(d->dest[j].xcf), "weight", d->dest[j].weight,
					"srvtype", srvtype_name(d->dest[j].srvtype), "rank",
					d->dest[j].rank));
			}
		}
		row = json_pack("{s:o,s:o,s:o,s:o,s:s,s:b,s:i,s:b}", "ipaddr",
			addr(d->dvipa), "ports", ports, "destxcf", dest, "dests", dests,
			"distmethod", vipa_distmethod_name(d->method), "mobileipv6", d->mip6 != 0,
			"timedaffinity", d->timedaff, "sysplexports", d->sysplexports != 0);
		if (row && d->method == VIPA_DIST_HOTSTANDBY) {
			set(row, "autoswitchback", json_boolean(d->autoswitchback));
			set(row, "healthswitch", json_boolean(d->healthswitch));
		}
		json_array_append_new(dis, row);
	}
	set(r, "vipadcfg", json_pack("{s:o,s:o,s:o,s:o}", "define", def, "backup", bak,
				     "range", rng, "distribute", dis));
	set(r, "profile", profile_text(p));
	return r;
}

/* ---- HOME and CONN --------------------------------------------------------- */

json_t *
stack_show_home(struct stack *s)
{
	struct ifaddrs *ifa, *i;
	json_t *a;

	if (getifaddrs(&ifa) < 0)
		return json_pack("{s:s}", "error", "getifaddrs failed");
	a = json_array();
	for (i = ifa; i; i = i->ifa_next) {
		const struct sockaddr_in6 *sa = (const struct sockaddr_in6 *)i->ifa_addr;

		if (!sa || sa->sin6_family != AF_INET6 || IN6_IS_ADDR_LINKLOCAL(&sa->sin6_addr) ||
		    IN6_IS_ADDR_LOOPBACK(&sa->sin6_addr))
			continue;
		json_array_append_new(a, json_pack("{s:o,s:o}", "address",
						   addr(sa->sin6_addr.s6_addr), "link",
						   lib_json_str(i->ifa_name)));
	}
	freeifaddrs(ifa);
	return with_rows(answer(s), "home", a);
}

static const char *
tcp_state(uint8_t st)
{
	static const char *const names[] = { "?", "ESTABLSH", "SYNSENT", "SYNRCVD", "FINWAIT1",
					     "FINWAIT2", "TIMEWAIT", "CLOSED", "CLOSWAIT", "LASTACK",
					     "LISTEN", "CLOSING" };
	return st < LIB_ARRAY_LEN(names) ? names[st] : "?";
}

/* One row of the CONN report. */
struct conn_row {
	struct lib_sock so;
	char user[9];
};

struct conn_ctx {
	struct stack *s;
	struct conn_row *rows;
	int n, cap;
};

/* Does the socket belong to a DVIPA this stack knows: bound to it, or a
 * listener on :: for one of its distributed ports? */
static int
on_dvipa(struct stack *s, const struct lib_sock *so)
{
	static const uint8_t any[16];
	int i, j;

	for (i = 0; i < s->ndv; i++) {
		const struct stack_dvipa *d = &s->dv[i];

		if (memcmp(so->laddr, d->addr, 16) == 0)
			return 1;
		if (so->state != TCP_LISTEN || memcmp(so->laddr, any, 16) != 0)
			continue;
		for (j = 0; j < d->adv.nports; j++)
			if (d->adv.ports[j] == so->lport)
				return 1;
		if (stack_dvipa_is_dist_port(d, so->lport))
			return 1;
	}
	return 0;
}

static int
conn_collect(const struct lib_sock *so, void *arg)
{
	struct conn_ctx *c = arg;

	if (!on_dvipa(c->s, so))
		return 0;
	if (c->n == c->cap) {
		int cap = c->cap ? 2 * c->cap : 64;
		struct conn_row *r = realloc(c->rows, (size_t)cap * sizeof(*r));

		if (!r)
			return 1;
		c->rows = r;
		c->cap = cap;
	}
	memset(&c->rows[c->n], 0, sizeof(c->rows[0]));
	c->rows[c->n].so = *so;
	lib_strlcpy(c->rows[c->n].user, "?", sizeof(c->rows[0].user));
	c->n++;
	return 0;
}

static int
cmp_row_inode(const void *a, const void *b)
{
	uint32_t x = ((const struct conn_row *)a)->so.inode, y = ((const struct conn_row *)b)->so.inode;

	return x < y ? -1 : x > y;
}

/* The user id of each socket, as z/OS shows the job name: the command name
 * of the process holding it (upper case, 8 characters), found through
 * /proc/PID/fd of the processes in our network namespace. */
static void
conn_owners(struct conn_ctx *c)
{
	struct stat self, ns;
	struct dirent *p, *f;
	DIR *proc, *fds;
	char path[300], link[64], comm[64];

	if (c->n == 0 || stat("/proc/self/ns/net", &self) < 0 || !(proc = opendir("/proc")))
		return;
	qsort(c->rows, (size_t)c->n, sizeof(c->rows[0]), cmp_row_inode);
	while ((p = readdir(proc)) != NULL) {
		FILE *cf;

		if (p->d_name[0] < '1' || p->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/ns/net", p->d_name);
		if (stat(path, &ns) < 0 || ns.st_ino != self.st_ino || ns.st_dev != self.st_dev)
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", p->d_name);
		comm[0] = '\0';
		if ((cf = fopen(path, "re")) != NULL) {
			if (!fgets(comm, sizeof(comm), cf))
				comm[0] = '\0';
			fclose(cf);
		}
		comm[strcspn(comm, "\n")] = '\0';
		snprintf(path, sizeof(path), "/proc/%s/fd", p->d_name);
		if (!(fds = opendir(path)))
			continue;
		while ((f = readdir(fds)) != NULL) {
			struct conn_row key, *r;
			char fp[600];
			ssize_t n;
			unsigned long ino;

			snprintf(fp, sizeof(fp), "%s/%s", path, f->d_name);
			n = readlink(fp, link, sizeof(link) - 1);
			if (n <= 0)
				continue;
			link[n] = '\0';
			if (sscanf(link, "socket:[%lu]", &ino) != 1)
				continue;
			key.so.inode = (uint32_t)ino;
			r = bsearch(&key, c->rows, (size_t)c->n, sizeof(c->rows[0]), cmp_row_inode);
			if (r && comm[0]) {
				size_t i, k = 0;

				/* A job name: A-Z 0-9, eight at most. */
				for (i = 0; comm[i] && k < 8; i++)
					if (isalnum((unsigned char)comm[i]))
						r->user[k++] = (char)toupper((unsigned char)comm[i]);
				r->user[k] = '\0';
				if (!k)
					lib_strlcpy(r->user, "?", sizeof(r->user));
			}
		}
		closedir(fds);
	}
	closedir(proc);
}

/* D TCPIP,tcp,NETSTAT,CONN: the TCP connections and listeners of the
 * DVIPAs this stack knows (user id, connection id, state, the sockets); the
 * coupling bus's own sockets are not shown. */
json_t *
stack_show_conn(struct stack *s)
{
	struct conn_ctx c = { s, NULL, 0, 0 };
	json_t *a = json_array();
	int i;

	lib_diag_tcp6(0xfff & ~(1u << TCP_TIME_WAIT), conn_collect, &c);
	conn_owners(&c);
	for (i = 0; i < c.n; i++) {
		const struct conn_row *w = &c.rows[i];
		char id[16];

		snprintf(id, sizeof(id), "%08X", w->so.inode);
		json_array_append_new(a, json_pack("{s:o,s:s,s:o,s:i,s:o,s:i,s:s}",
			"userid", lib_json_str(w->user), "conn", id, "local", addr(w->so.laddr),
			"lport", w->so.lport, "remote", addr(w->so.raddr), "rport", w->so.rport,
			"state", tcp_state(w->so.state)));
	}
	free(c.rows);
	return with_rows(answer(s), "conn", a);
}

/* ---- ROUTE: the routing table of the stack's system ------------------------- */

#define ROUTE_MAX 4096

/* z/OS route flags: U up, G via a gateway, H a host route, S static (put
 * there by the launcher or a stack: not replaceable by a routing daemon),
 * O learned by OSPF (installed by the system's routing daemon, which plays
 * OMPROUTE). */
static void
route_flags(const struct lib_route *r, char *f)
{
	int n = 0;

	if (!(r->nh_flags & (RTNH_F_LINKDOWN | RTNH_F_DEAD)))
		f[n++] = 'U';
	if (r->has_gw)
		f[n++] = 'G';
	if (r->plen == (r->family == AF_INET6 ? 128 : 32))
		f[n++] = 'H';
	if (r->protocol == RTPROT_STATIC || r->protocol == RTPROT_BOOT)
		f[n++] = 'S';
	if (r->protocol == RTPROT_OSPF)
		f[n++] = 'O';
	f[n] = '\0';
}

static const char *
route_proto(uint8_t p)
{
	switch (p) {
	case RTPROT_KERNEL: return "kernel";
	case RTPROT_BOOT: return "boot";
	case RTPROT_STATIC: return "static";
	case RTPROT_REDIRECT: return "redirect";
	case RTPROT_RA: return "ra";
	case RTPROT_OSPF: return "ospf";
	default: return "other";
	}
}

/* The route's MTU, else its interface's (SIOCGIFMTU: the interface of our
 * network namespace, whatever /sys shows); 0 when unknown. */
static unsigned
route_mtu(const struct lib_route *r, const char *ifname)
{
	struct ifreq ifr;
	unsigned mtu = 0;
	int fd;

	if (r->mtu || !ifname[0])
		return r->mtu;
	memset(&ifr, 0, sizeof(ifr));
	lib_strlcpy(ifr.ifr_name, ifname, sizeof(ifr.ifr_name));
	fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	if (ioctl(fd, SIOCGIFMTU, &ifr) == 0 && ifr.ifr_mtu > 0)
		mtu = (unsigned)ifr.ifr_mtu;
	close(fd);
	return mtu;
}

/* One route (one next hop): "DEFAULT" or ADDR/LEN, the gateway as an
 * address or "::" / "0.0.0.0". */
static json_t *
route_row(const struct lib_route *r)
{
	static const uint8_t zero[16];
	char dest[64], a[INET6_ADDRSTRLEN], gw[INET6_ADDRSTRLEN], flags[8], ifname[IF_NAMESIZE] = "";

	if (r->oif > 0 && !if_indextoname((unsigned)r->oif, ifname))
		snprintf(ifname, sizeof(ifname), "%d", r->oif);
	if (r->plen == 0) {
		snprintf(dest, sizeof(dest), "DEFAULT");
	} else {
		inet_ntop(r->family, r->dst, a, sizeof(a));
		snprintf(dest, sizeof(dest), "%s/%u", a, r->plen);
	}
	inet_ntop(r->family, r->has_gw ? r->gw : zero, gw, sizeof(gw));
	route_flags(r, flags);
	return json_pack("{s:s,s:s,s:s,s:o,s:s,s:I,s:I,s:s}", "family",
			 r->family == AF_INET6 ? "ipv6" : "ipv4", "destination", dest, "gateway", gw,
			 "interface", lib_json_str(ifname), "flags", flags,
			 "mtu", (json_int_t)route_mtu(r, ifname), "metric", (json_int_t)r->metric,
			 "protocol", route_proto(r->protocol));
}

/* D TCPIP,tcp,NETSTAT,ROUTE: the main routing table of the system the stack
 * runs in (rtnetlink), IPv4 then IPv6, one row per next hop. */
json_t *
stack_show_route(struct stack *s)
{
	struct lib_route *r = calloc(ROUTE_MAX, sizeof(*r));
	int n, i, fam;
	json_t *a;

	n = r ? lib_nl_routes(s->nl, AF_UNSPEC, RT_TABLE_MAIN, r, ROUTE_MAX) : -ENOMEM;
	if (n < 0) {
		char why[128];

		snprintf(why, sizeof(why), "cannot read the routing table: %s", strerror(-n));
		free(r);
		return json_pack("{s:s}", "error", why);
	}
	a = json_array();
	for (fam = 0; fam < 2; fam++)
		for (i = 0; i < n; i++)
			if (r[i].family == (fam == 0 ? AF_INET : AF_INET6))
				json_array_append_new(a, route_row(&r[i]));
	free(r);
	return with_rows(answer(s), "routes", a);
}

/* ---- CONFIG: the stack's configuration and persistence --------------------- */

json_t *
stack_show_config(struct stack *s)
{
	struct vipa_store_info *si = calloc(1, sizeof(*si));
	struct vipa_store_stats st;
	json_t *r;

	if (!si)
		return NULL;
	vipa_store_info(s->store, si);
	vipa_store_stats(s->store, &st);
	r = answer(s);
	set(r, "config", json_pack("{s:o,s:s,s:o,s:o,s:b,s:o,s:I,s:s}", "member", lib_json_str(s->member),
				   "group", "EZBTCPCS", "dynamicxcf", addr(s->xcfaddr),
				   "dynamicxcf4", vipa_addr_is_v4(s->xcfaddr4) ? addr(s->xcfaddr4) : json_null(),
				   "mobileipv6", !s->no_mip6, "lan", lib_json_str(s->lanif),
				   "lan_mtu", (json_int_t)s->lan_mtu, "tun", STACK_TUN_NAME));
	set(json_object_get(r, "config"), "datapath", json_string(stack_fast_datapath(s)));
	set(json_object_get(r, "config"), "datapath_attach",
	    s->fast.kdp ? json_string(kdp_attach_name(s->fast.kdp)) : json_null());
	set(json_object_get(r, "config"), "datapath_reason",
	    lib_json_str_or_null(s->fast.why));
	set(r, "persistence", json_pack("{s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}",
		"status", vipa_store_state_name(si->state), "file", lib_json_str_or_null(si->path),
		"disabled_reason", lib_json_str_or_null(si->disabled_why),
		"moved_to", lib_json_str_or_null(si->moved_to),
		"moved_reason", lib_json_str_or_null(si->moved_why),
		"moved_aside", u64(st.moved_aside), "recreated", u64(st.reopened),
		"written", u64(st.written), "flushes", u64(st.flushes), "errors", u64(st.errors)));
	free(si);
	return r;
}

/* ---- sysplex-wide displays ------------------------------------------------- */

static const char *
cand_status(uint8_t st)
{
	switch (st) {
	case WIRE_VIPA_ACTIVE: return "ACTIVE";
	case WIRE_VIPA_MOVING: return "MOVING";
	case WIRE_VIPA_QUIESCING: return "QUIESCING";
	case WIRE_VIPA_DEACTIVATED: return "DEACTIVATED";
	default: return "BACKUP";
	}
}

/* Is member m a destination of DVIPA d, as far as this stack knows? */
static int
is_dest(struct stack *s, const struct stack_dvipa *d, const char *member)
{
	const struct xcf_member_info *mi;
	int i;

	if (strcmp(member, s->member) == 0)
		return d->target;
	mi = xcf_member(s->xcf, member);
	if (!mi || mi->state != XCF_ACTIVE || !d->adv.nports)
		return 0;
	if (d->adv.ndest == 0)
		return 1;
	for (i = 0; i < d->adv.ndest; i++)
		if (memcmp(d->adv.dest[i].xcf, mi->xcfaddr, 16) == 0)
			return 1;
	return 0;
}

/* ORIGIN of a DVIPA in the sysplex: how its active owner defines it (ours
 * when we own it; a VIPARANGE bind anywhere shows as such). */
static const char *
sysplex_origin(const struct stack_dvipa *d)
{
	int i;

	if (d->owned)
		return origin_name(d);
	for (i = 0; i < d->ncand; i++)
		if (d->cand[i].status == WIRE_VIPA_ACTIVE)
			return d->cand[i].flags & WIRE_VIPA_F_RANGE ? "VIPARANGE BIND" :
			       d->cand[i].origin == WIRE_VIPA_DEFINE ? "VIPADEFINE" : "VIPABACKUP";
	return d->range ? "VIPARANGE BIND" : d->defined ? "VIPADEFINE" : d->backup ? "VIPABACKUP" : "";
}

static void
sysplex_row(struct stack *s, json_t *a, const struct stack_dvipa *d, const char *member,
	    const char *status, unsigned rank, int dist)
{
	const struct xcf_member_info *mi = xcf_member(s->xcf, member);
	int self = strcmp(member, s->member) == 0, dest = is_dest(s, d, member);
	const char *mvs = self ? s->sysname : mi ? mi->sysname : "?";
	const char *tcp = self ? s->tcpname : mi ? mi->tcpname : "?";

	json_array_append_new(a, json_pack("{s:o,s:o,s:o,s:s,s:I,s:s,s:s}", "ipaddr", addr(d->addr),
		"tcpname", lib_json_str(tcp), "mvsname", lib_json_str(mvs), "status", status,
		"rank", (json_int_t)rank,
		"dist", dist && dest ? "BOTH" : dist ? "DIST" : dest ? "DEST" : "",
		"origin", sysplex_origin(d)));
}

json_t *
stack_show_sysplex_vipadyn(struct stack *s)
{
	struct xcf_member_info m[XCF_MAX_MEMBERS];
	int i, j, k, nm, member = is_member(s);
	json_t *r = answer(s), *a = json_array();

	set(r, "member", json_boolean(member));
	nm = member ? xcf_members(s->xcf, m, XCF_MAX_MEMBERS) : 0;
	for (i = 0; i < s->ndv && member; i++) {
		const struct stack_dvipa *d = &s->dv[i];
		int shown_self = 0;

		if (!d->ncand && !dvipa_shown(d))
			continue;
		if (dvipa_shown(d)) {
			sysplex_row(s, a, d, s->member,
				    d->owned || (!d->defined && !d->backup) ? "ACTIVE" : stack_dvipa_status(d),
				    d->backup ? d->rank : 0, d->owned && d->has_dist);
			shown_self = 1;
		}
		for (j = 0; j < d->ncand; j++) {
			const struct stack_cand *c = &d->cand[j];

			if (shown_self && strcmp(c->member, s->member) == 0)
				continue;
			sysplex_row(s, a, d, c->member, cand_status(c->status),
				    c->origin == WIRE_VIPA_BACKUP ? c->rank : 0,
				    c->status == WIRE_VIPA_ACTIVE && (c->flags & WIRE_VIPA_F_DIST ||
								     d->adv.nports));
		}
		/* Targets that define nothing for it. */
		for (k = 0; k < nm; k++) {
			int listed = strcmp(m[k].member, s->member) == 0 && shown_self;

			for (j = 0; j < d->ncand && !listed; j++)
				if (strcmp(d->cand[j].member, m[k].member) == 0)
					listed = 1;
			if (!listed && strcmp(m[k].member, s->member) != 0 && is_dest(s, d, m[k].member))
				sysplex_row(s, a, d, m[k].member, "ACTIVE", 0, 0);
		}
	}
	return with_rows(r, "sysplex_vipadyn", a);
}

/* ---- SYSPLEX,PORTS ---------------------------------------------------------- */

/* The port blocks of one target as ranges of consecutive blocks. */
static json_t *
port_ranges(const struct vipa_sysports *sp, int slot)
{
	json_t *a = json_array();
	uint32_t b, start = 0;
	int in = 0;

	for (b = sp->first_block; b <= (uint32_t)sp->last_block + 1; b++) {
		int mine = b <= sp->last_block && sp->owner[b] == slot + 1;

		if (mine && !in) {
			start = b;
			in = 1;
		} else if (!mine && in) {
			json_array_append_new(a, json_pack("{s:I,s:I}", "first",
				(json_int_t)(start * VIPA_SYSPORTS_BLOCK), "last",
				(json_int_t)(b * VIPA_SYSPORTS_BLOCK - 1)));
			in = 0;
		}
	}
	return a;
}

/* D TCPIP,,SYSPLEX,PORTS: on a routing stack, the ephemeral port blocks of
 * each SYSPLEXPORTS DVIPA it owns, per target; on a target, the ports it
 * was given. */
json_t *
stack_show_sysplex_ports(struct stack *s)
{
	json_t *r = answer(s), *a = json_array();
	int i, j;

	for (i = 0; i < s->ndv; i++) {
		const struct stack_dvipa *d = &s->dv[i];

		if (!d->owned || !d->sp_init)
			continue;
		for (j = 0; j < VIPA_SYSPORTS_MAX_TGT; j++) {
			const struct xcf_member_info *m;
			char name[XCF_NAME_LEN + 1] = "";

			if (!d->sp.tgt_used[j])
				continue;
			if (memcmp(d->sp.tgt[j], s->xcfaddr, 16) == 0)
				lib_strlcpy(name, s->member, sizeof(name));
			else if ((m = xcf_member_by_addr(s->xcf, d->sp.tgt[j])))
				lib_strlcpy(name, m->member, sizeof(name));
			json_array_append_new(a, json_pack("{s:o,s:o,s:o,s:i,s:o}", "dvipa",
				addr(d->addr), "destxcf", addr(d->sp.tgt[j]), "destname",
				lib_json_str(name), "blocks", vipa_sysports_count(&d->sp, d->sp.tgt[j]),
				"ranges", port_ranges(&d->sp, j)));
		}
	}
	if (s->tgt.sp_want)
		set(r, "local", json_pack("{s:o,s:I,s:I,s:o}", "dvipa", addr(s->tgt.sp_dvipa),
			"first", (json_int_t)s->tgt.sp_first, "last", (json_int_t)(s->tgt.sp_count ?
			s->tgt.sp_first + s->tgt.sp_count * VIPA_SYSPORTS_BLOCK - 1 : 0),
			"from", lib_json_str(s->tgt.sp_owner)));
	return with_rows(r, "ports", a);
}

static const char *
member_state(enum xcf_member_state st)
{
	switch (st) {
	case XCF_ACTIVE: return "ACTIVE";
	case XCF_FAILED: return "FAILED";
	case XCF_LEFT: return "LEFT";
	case XCF_PARTITIONED: return "PARTITIONED";
	case XCF_JOINING: return "JOINING";
	default: return "NOTJOINED";
	}
}

/* Every member as we see it: ourselves by our own state (a stack that left
 * still hears the others, so they keep theirs). */
json_t *
stack_show_group(struct stack *s)
{
	struct xcf_member_info m[XCF_MAX_MEMBERS];
	int i, n = xcf_members(s->xcf, m, XCF_MAX_MEMBERS);
	json_t *r = answer(s), *a = json_array();

	set(r, "group", json_string("EZBTCPCS"));
	for (i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{s:o,s:o,s:o,s:s,s:b}", "member",
			lib_json_str(m[i].member), "mvsname", lib_json_str(m[i].sysname),
			"tcpname", lib_json_str(m[i].tcpname), "status", member_state(m[i].state),
			"in_doubt", m[i].in_doubt != 0));
	return with_rows(r, "members", a);
}

json_t *
stack_show_xcf_groups(struct stack *s)
{
	struct xcf_member_info m[XCF_MAX_MEMBERS];
	int i, n = xcf_members(s->xcf, m, XCF_MAX_MEMBERS), live = 0;

	for (i = 0; i < n; i++)
		if (m[i].state == XCF_ACTIVE)
			live++;
	return json_pack("{s:[{s:s,s:i}]}", "groups", "name", "EZBTCPCS", "members", live);
}

/* D XCF,COUPLE: the couple data set as this system last read it. */
json_t *
stack_show_couple(struct stack *s)
{
	struct xcf_cds_view *v = calloc(1, sizeof(*v));
	json_t *r, *a;
	int i;

	if (!v)
		return NULL;
	if (xcf_cds_view(s->xcf, v) < 0) {
		free(v);
		return json_pack("{s:s}", "error", "no couple data set");
	}
	a = json_array();
	for (i = 0; i < v->n; i++) {
		const struct xcf_slot *t = &v->slot[i];

		json_array_append_new(a, json_pack("{s:o,s:o,s:s,s:o,s:o,s:o,s:I,s:b,s:o,s:o,s:o}",
			"system", lib_json_str(t->sysname), "member", lib_json_str(t->member),
			"status", xcf_slot_state_name(t->state), "incarnation", u64(t->incarnation),
			"beat", u64(t->beat), "unchanged_ms", u64(v->unchanged_ms[i]),
			"weight", (json_int_t)t->weight, "in_doubt", v->in_doubt[i] != 0,
			"partitioned_by", lib_json_str(t->pill_inc ? t->pill_by : ""),
			"reason", lib_json_str(t->pill_inc ? t->reason : ""),
			"pill_incarnation", u64(t->pill_inc)));
	}
	r = json_pack("{s:o,s:o,s:o,s:I,s:I,s:I,s:I,s:b,s:b,s:o,s:o,s:{s:s,s:o,s:o,s:o}}",
		"system", lib_json_str(s->sysname), "sysplex", lib_json_str(v->sysplex),
		"cds", lib_json_str(v->path), "interval_ms", (json_int_t)v->hb_ms,
		"failure_ms", (json_int_t)v->fail_ms, "lease_ms", (json_int_t)v->lease_ms,
		"isolate_ms", (json_int_t)v->isolate_ms, "reachable", v->reachable != 0,
		"fault", v->fault != 0, "error", lib_json_str(v->error),
		"read_age_ms", u64(v->read_age_ms),
		"self", "status", member_state(v->self_state), "lease_left_ms", u64(v->lease_left_ms),
		"lease_lapses", u64(v->lapses), "update_ms_max", u64(v->beat_ms_max));
	free(v);
	if (!r) {
		json_decref(a);
		return NULL;
	}
	return with_rows(r, "slots", a);
}

/* ---- private queries for the launcher, tests and benchmarks ---------------- */

/* SYSPLEX$ROLE: per DVIPA its status and distribution role here; an owned
 * one with the owner's monotonic activation time and the time of this
 * answer (one clock for every stack on the host): two answers prove two
 * owners at once only if their intervals overlap. */
json_t *
stack_show_role(struct stack *s)
{
	struct xcf_member_info m[XCF_MAX_MEMBERS];
	json_t *a = json_array(), *r;
	int i, n, live = 0;

	for (i = 0; i < s->ndv; i++) {
		const struct stack_dvipa *d = &s->dv[i];
		const char *ds = stack_dvipa_diststat(d);
		json_t *row;

		if (!dvipa_shown(d))
			continue;
		row = json_pack("{s:o,s:s,s:s}", "dvipa", addr(d->addr), "status",
				stack_dvipa_status(d), "dist", ds[0] ? ds : "-");
		if (row && d->owned) {
			set(row, "since_ms", u64(d->active_since_ms));
			set(row, "now_ms", u64(lib_now_ms()));
		}
		json_array_append_new(a, row);
	}
	r = answer(s);
	/* Whether it is in the group, and how many members it sees ACTIVE
	 * (itself included): the launcher's readiness waits for everyone. */
	set(r, "member", json_boolean(is_member(s)));
	n = xcf_members(s->xcf, m, XCF_MAX_MEMBERS);
	for (i = 0; i < n; i++)
		live += m[i].state == XCF_ACTIVE;
	set(r, "active_members", json_integer(is_member(s) ? live : 0));
	return with_rows(r, "dvipas", a);
}

/* SYSPLEX$MIP6: the correspondent nodes the routing stack knows (the kind
 * it learned of each client) and the per-home-address bindings of the
 * standard ones: {"clients": [{"client", "cn"}], "homes": [{"client",
 * "dvipa", "careof", "state", "conns", "seq", "lifetime"}]}. */
static int
mip6_peer_row(void *entry, void *arg)
{
	const struct stack_mip6_peer *p = entry;

	json_array_append_new(arg, json_pack("{s:o,s:s}", "client", addr(p->client), "cn",
					     stack_mip6_cn_kind_name(p->kind)));
	return 0;
}

static int
mip6_home_row(void *entry, void *arg)
{
	const struct stack_mip6_home *h = entry;

	json_array_append_new(arg, json_pack("{s:o,s:o,s:o,s:s,s:I,s:i,s:i}", "client",
		addr(h->key.client), "dvipa", addr(h->key.dvipa), "careof", addr(h->coa), "state",
		bypass_name(h->state), "conns", (json_int_t)h->nconn, "seq", h->seq, "lifetime",
		h->life));
	return 0;
}

json_t *
stack_show_mip6(struct stack *s)
{
	json_t *homes = json_array(), *r = answer(s), *clients = json_array();

	lib_tab_foreach(s->mip6.peers, mip6_peer_row, clients);
	lib_tab_foreach(s->mip6.homes, mip6_home_row, homes);
	set(r, "homes", homes);
	return with_rows(r, "clients", clients);
}

struct counter {
	const char *name;
	uint64_t v;
};

static json_t *
add_counters(json_t *o, const struct counter *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		set(o, c[i].name, u64(c[i].v));
	return o;
}

/* The kernel fast path: what its program did (kdp_stats, summed over
 * CPUs) and what the daemon did to its tables. */
static json_t *
kernel_stats(struct stack *s)
{
	const struct stack_fast *f = &s->fast;
	const struct counter fc[] = {
		{ "conn_put", f->conn_put }, { "conn_del", f->conn_del },
		{ "conn_full", f->conn_full }, { "early", f->early }, { "early_put", f->early_put },
		{ "errors", f->errors }, { "sweeps", f->sweeps },
		{ "syn_taken", f->ksyn }, { "syn_known", f->ksyn_known },
		{ "sched_sets", f->sched_sets },
	};
	json_t *o = json_object(), *p = json_object();
	uint64_t v[KDP_STAT_COUNT];
	int i;

	set(o, "datapath", json_string(stack_fast_datapath(s)));
	set(o, "tun_only", json_boolean(f->tun_only));
	add_counters(o, fc, LIB_ARRAY_LEN(fc));
	{
		int n = 0;

		for (i = 0; i < STACK_FAST_SCHED_MAX; i++)
			n += f->sched[i].used && f->sched[i].hash;	/* not paused */
		set(o, "schedules", u64((uint64_t)n));
	}
	if (f->kdp) {
		set(o, "entries", u64((uint64_t)kdp_conn_foreach(f->kdp, NULL, NULL)));
		if (kdp_stats(f->kdp, v) == 0)
			for (i = 0; i < KDP_STAT_COUNT; i++)
				set(p, kdp_stat_name(i), u64(v[i]));
	}
	set(o, "program", p);
	if (f->kdp) {
		json_t *a = json_array();

		for (i = 0; i < s->ndv; i++) {
			struct kdp_dvipa_stats d;

			if (kdp_dvipa_get(f->kdp, s->dv[i].addr, &d) < 0)
				continue;
			/* Packets are wire segments: a GSO super-packet counts
			 * each of its segments, the program ran once for it. */
			json_array_append_new(a, json_pack("{s:o,s:i,s:o,s:o,s:o,s:o}",
				"dvipa", addr(s->dv[i].addr), "flags", (int)d.flags,
				"strip_pkts", u64(d.strip_pkts), "strip_bytes", u64(d.strip_bytes),
				"fwd_pkts", u64(d.fwd_pkts), "fwd_bytes", u64(d.fwd_bytes)));
		}
		set(o, "dvipas", a);
	}
	return o;
}

static json_t *
counter_array(const uint64_t *v, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, u64(v[i]));
	return a;
}

static json_t *
verdicts(const struct lib_verdicts *vs)
{
	json_t *o = json_object();
	int i;

	for (i = 0; vs && i < vs->n; i++)
		set(o, vs->v[i].reason, u64(vs->v[i].count));
	return o;
}

/* SYSPLEX$STATS: the stack's counters. */
json_t *
stack_show_stats(struct stack *s)
{
	struct vipa_store_stats st;
	struct vipa_store_info *si = calloc(1, sizeof(*si));
	const struct stack_counters *c = &s->cnt;
	const struct stack_mip6 *m = &s->mip6;
	json_t *r, *store, *mip6, *track;

	if (!si)
		return NULL;
	vipa_store_stats(s->store, &st);
	vipa_store_info(s->store, si);
	{
		const struct counter top[] = {
			{ "rx_pkts", c->rx_pkts }, { "rx_bytes", c->rx_bytes },
			{ "fwd_pkts", c->fwd_pkts }, { "fwd_bytes", c->fwd_bytes },
			{ "local_pkts", c->local_pkts }, { "strip_pkts", c->strip_pkts },
			{ "new_conns", c->new_conns }, { "no_target", c->no_target },
			{ "no_entry", c->no_entry }, { "tun_write_err", c->tun_write_err },
			{ "link_dropped", c->link_dropped }, { "ptb_sent", c->ptb_sent },
			{ "ptb_limited", c->ptb_limited },
			{ "full_reports", c->full_reports }, { "vcrt", vipa_vcrt_count(s->vcrt) },
			{ "syn_evicted", s->dist.syn_evicted },
			{ "lapse_holds", s->own.holds }, { "lapse_kept", s->own.held_kept },
			{ "lapse_dropped", s->own.held_dropped },
		};
		const struct stack_tgt *t = &s->tgt;
		const struct counter ct[] = {
			{ "events", t->events }, { "dumps", t->dumps }, { "repairs", t->repairs },
			{ "full_bursts", t->full_bursts }, { "full_joined", t->full_joined },
			{ "digests_sent", t->digests }, { "dropped_reports", t->dropped_reports },
			{ "conn_msgs", t->sends },
			{ "connections", vipa_vcrt_count(t->conns) },
			{ "est_rx", s->dist.est_rx }, { "end_rx", s->dist.end_rx },
			{ "digests_rx", s->dist.digests_rx }, { "digest_diff", s->dist.digest_diff },
			{ "sync_sent", s->dist.sync_sent },
		};
		const struct counter sto[] = {
			{ "queued", st.queued }, { "written", st.written }, { "flushes", st.flushes },
			{ "errors", st.errors }, { "dropped", st.dropped }, { "reopened", st.reopened },
			{ "moved_aside", st.moved_aside },
		};
		const struct counter mc[] = {
			{ "started", m->started }, { "bound", m->bound }, { "deletes", m->deletes },
			{ "target_lost", m->target_lost }, { "gave_up", m->gave_up },
			{ "copies", m->copies }, { "bind_info", m->bind_info },
			{ "ba_errors", m->ba_errors }, { "syn_to_bu_ms_sum", m->syn_to_bu_ms_sum },
			{ "refreshes", m->refreshes }, { "refreshed", m->refreshed },
			{ "home_bound", m->home_bound }, { "home_released", m->home_released },
			{ "home_conns", m->home_conns }, { "home_conflicts", m->home_conflicts },
			{ "homes", lib_tab_count(m->homes) },
			{ "waiting", vipa_cidx_count(m->waiting) },
			{ "timers", lib_wheel_count(m->wheel) },
			{ "timers_fired", m->wheel_fired }, { "sweeps", m->sweeps },
			{ "wait_visits", m->wait_visits },
			{ "bind_lifetime", s->prof.bindlife ? s->prof.bindlife
							    : MIP6_MAX_RR_BINDING_LIFETIME },
		};

		r = json_object();
		set(r, "system", lib_json_str(s->sysname));
		add_counters(r, top, LIB_ARRAY_LEN(top));
		store = json_object();
		set(store, "state", json_string(vipa_store_state_name(si->state)));
		set(r, "store", add_counters(store, sto, LIB_ARRAY_LEN(sto)));
		track = add_counters(json_object(), ct, LIB_ARRAY_LEN(ct));
		set(track, "mode", json_string(t->ev ? "EVENTS" : "POLL"));
		set(r, "tracking", track);
		mip6 = add_counters(json_object(), mc, LIB_ARRAY_LEN(mc));
		set(mip6, "tx", counter_array(m->tx, 8));
		set(mip6, "rx", counter_array(m->rx, 8));
		set(r, "mip6", mip6);
		set(r, "kernel", kernel_stats(s));
		set(r, "drops", json_pack("{s:o,s:o,s:o}", "tun", verdicts(&s->tun_verdicts),
					  "stack", verdicts(&s->bus_verdicts),
					  "xcf", verdicts(xcf_verdicts(s->xcf))));
	}
	free(si);
	return r;
}
