/*
 * ctl.c - the stack's control socket (STATEDIR/ctl.sock, mode 0600) and the
 * operator displays it answers, in z/OS form or as JSON.
 *
 * Protocol (docs/RUNTIME.md): one request line "[JSON ]COMMAND\n"; the answer
 * is "RC=0\n" or "RC=8\n" and a body, then the server closes.  A bad command
 * gets one line naming what was expected; it never affects the daemon.
 */
#include "tcpip-stack/stack.h"

#include <ctype.h>
#include <dirent.h>
#include <stdarg.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/tcp.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CTL_LINE_MAX (LIB_CTL_LINE_MAX - 1)	/* characters, without the line end */

static unsigned report_seq;

/* ---- helpers --------------------------------------------------------------- */

static const char *
ip6(const uint8_t a[16], char *buf)
{
	return lib_ip6_str(a, buf, 64);
}

static void
header(struct stack *s, struct lib_sbuf *o)
{
	lib_sbuf_printf(o, "EZD0101I NETSTAT CS V2R5 %s %u\n", s->tcpname, ++report_seq);
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

/* ---- VDPT ------------------------------------------------------------------------ */

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

static void
show_vdpt(struct stack *s, int detail, int json, struct lib_sbuf *o)
{
	const struct vipa_vdpt_entry *rows[VIPA_VDPT_MAX];
	char a[64], b[64];
	int i, n = 0;

	for (i = 0; i < s->vdpt->n; i++)
		if (s->vdpt->e[i].used)
			rows[n++] = &s->vdpt->e[i];
	qsort(rows, (size_t)n, sizeof(rows[0]), cmp_vdpt);
	if (json) {
		lib_sbuf_printf(o, "{\"system\":\"%s\",\"stack\":\"%s\",\"vdpt\":[", s->sysname,
				s->tcpname);
		for (i = 0; i < n; i++) {
			const struct vipa_vdpt_entry *e = rows[i];
			lib_sbuf_printf(o, "%s{\"dest\":\"%s\",\"port\":%u,\"destxcf\":\"%s\","
					"\"destname\":", i ? "," : "", ip6(e->dvipa, a), e->port,
					ip6(e->dest_xcf, b));
			lib_sbuf_json_str(o, e->dest_name);
			lib_sbuf_printf(o, ",\"rdy\":%u,\"totalconn\":%u,\"actconn\":%u,\"weight\":%u,"
					"\"quiesced\":%s}", e->rdy, e->totalconn, e->active, e->weight,
					(e->flags & VIPA_VDPT_F_QUIESCED) ? "true" : "false");
		}
		lib_sbuf_printf(o, "],\"records\":%d}\n", n);
		return;
	}
	header(s, o);
	lib_sbuf_printf(o, "DYNAMIC VIPA DESTINATION PORT TABLE FOR TCP/IP STACKS:\n");
	for (i = 0; i < n; i++) {
		const struct vipa_vdpt_entry *e = rows[i];
		lib_sbuf_printf(o, "DEST:         %s..%u\n", ip6(e->dvipa, a), e->port);
		lib_sbuf_printf(o, "  DESTXCF:    %s\n", ip6(e->dest_xcf, b));
		lib_sbuf_printf(o, "  TOTALCONN:  %010u  RDY: %03u  WLM: %02u  TSR: 100\n",
				e->totalconn, e->rdy, e->weight > 99 ? 99 : e->weight);
		lib_sbuf_printf(o, "  FLG: %s\n", (e->flags & VIPA_VDPT_F_QUIESCED) ? "QUIESCED" : "");
		if (detail) {
			lib_sbuf_printf(o, "  DESTNAME:   %s\n", e->dest_name[0] ? e->dest_name : "-");
			lib_sbuf_printf(o, "  ACTCONN:    %010u\n", e->active);
		}
	}
	lib_sbuf_printf(o, "%d OF %d RECORDS DISPLAYED\nEND OF THE REPORT\n", n, n);
}

/* ---- VCRT ------------------------------------------------------------------------ */

struct vcrt_ctx {
	struct lib_sbuf *o;
	int detail, json, n, owner;
};

static int
vcrt_row(struct vipa_conn *c, void *arg)
{
	struct vcrt_ctx *v = arg;
	char a[64], b[64], d[64], e[64];

	if (v->json) {
		lib_sbuf_printf(v->o, "%s{\"dest\":\"%s\",\"dport\":%u,\"source\":\"%s\",\"sport\":%u,"
				"\"destxcf\":\"%s\",\"state\":\"%s\",\"bypass\":\"%s\",\"careof\":%s%s%s,"
				"\"fwdpkts\":%llu,\"fwdbytes\":%llu,\"bound_after_ms\":%lld}",
				v->n ? "," : "", ip6(c->key.dvipa, a), c->key.dport,
				ip6(c->key.client, b), c->key.cport, ip6(c->dest_xcf, d),
				state_name(c->state), bypass_name(c->bypass),
				c->bypass == VIPA_BYPASS_BOUND ? "\"" : "",
				c->bypass == VIPA_BYPASS_BOUND ? ip6(c->coa, e) : "null",
				c->bypass == VIPA_BYPASS_BOUND ? "\"" : "",
				(unsigned long long)c->pkts_fwd, (unsigned long long)c->bytes_fwd,
				c->bypass == VIPA_BYPASS_BOUND && c->bypass_ms >= c->created_ms ?
				(long long)(c->bypass_ms - c->created_ms) : -1LL);
	} else {
		lib_sbuf_printf(v->o, "DEST:         %s..%u\n", ip6(c->key.dvipa, a), c->key.dport);
		lib_sbuf_printf(v->o, "  SOURCE:     %s..%u\n", ip6(c->key.client, b), c->key.cport);
		lib_sbuf_printf(v->o, "  DESTXCF:    %s\n", ip6(c->dest_xcf, d));
		if (v->detail) {
			lib_sbuf_printf(v->o, "  STATE:      %s\n", state_name(c->state));
			lib_sbuf_printf(v->o, "  BYPASS:     %s", bypass_name(c->bypass));
			if (c->bypass == VIPA_BYPASS_BOUND) {
				lib_sbuf_printf(v->o, "  CAREOF: %s", ip6(c->coa, e));
				if (c->bypass_ms >= c->created_ms)
					lib_sbuf_printf(v->o, "  BOUND AFTER: %llu MS",
							(unsigned long long)(c->bypass_ms - c->created_ms));
			}
			lib_sbuf_printf(v->o, "\n");
			if (v->owner)
				lib_sbuf_printf(v->o, "  FWDPKTS:    %010llu  FWDBYTES: %llu\n",
						(unsigned long long)c->pkts_fwd,
						(unsigned long long)c->bytes_fwd);
		}
	}
	v->n++;
	return 0;
}

static void
show_vcrt(struct stack *s, int detail, int json, struct lib_sbuf *o)
{
	struct vcrt_ctx v = { o, detail, json, 0, 0 };
	struct vipa_vcrt *t;

	/* The distributor shows every routed connection, a target those it
	 * terminates. */
	v.owner = is_distributor(s);
	t = v.owner ? s->vcrt : s->tconn;
	if (json) {
		lib_sbuf_printf(o, "{\"system\":\"%s\",\"stack\":\"%s\",\"role\":\"%s\",\"vcrt\":[",
				s->sysname, s->tcpname, v.owner ? "distributor" : "target");
		vipa_vcrt_foreach(t, vcrt_row, &v);
		lib_sbuf_printf(o, "],\"records\":%d}\n", v.n);
		return;
	}
	header(s, o);
	lib_sbuf_printf(o, "DYNAMIC VIPA CONNECTION ROUTING TABLE:\n");
	vipa_vcrt_foreach(t, vcrt_row, &v);
	lib_sbuf_printf(o, "%d OF %d RECORDS DISPLAYED\nEND OF THE REPORT\n", v.n, v.n);
}

/* ---- VIPADYN / VIPADCFG -------------------------------------------------------------- */

static const char *
origin_name(const struct stack_dvipa *d)
{
	if (d->defined)
		return "VIPADEFINE";
	if (d->backup)
		return "VIPABACKUP";
	return "VIPADISTRIBUTE";
}

static void
show_vipadyn(struct stack *s, int json, struct lib_sbuf *o)
{
	char a[64], t[32];
	int i, n = 0;

	/* A stack out of the sysplex group has no dynamic VIPA (z/OS deletes
	 * them at LEAVEGROUP; VIPADCFG keeps the definitions for JOINGROUP). */
	int member = xcf_joined(s->xcf) && !s->left_group;

	if (json)
		lib_sbuf_printf(o, "{\"system\":\"%s\",\"stack\":\"%s\",\"member\":%s,\"vipadyn\":[",
				s->sysname, s->tcpname, member ? "true" : "false");
	else {
		header(s, o);
		if (!member)
			lib_sbuf_printf(o, "EZZ8269I %s IS NOT A MEMBER OF A SYSPLEX GROUP: NO DYNAMIC "
					"VIPA\n", s->tcpname);
		lib_sbuf_printf(o, "DYNAMIC VIPA:\n");
	}
	for (i = 0; i < s->ndv && member; i++) {
		const struct stack_dvipa *d = &s->dv[i];
		if (!d->defined && !d->backup && !d->target && !d->owned)
			continue;
		if (json) {
			lib_sbuf_printf(o, "%s{\"ipaddr\":\"%s\",\"intfname\":", n ? "," : "",
					ip6(d->addr, a));
			lib_sbuf_json_str(o, d->ifname);
			lib_sbuf_printf(o, ",\"status\":\"%s\",\"origin\":\"%s\",\"diststat\":\"%s\","
					"\"rank\":%u,\"owner\":", stack_dvipa_status(d), origin_name(d),
					stack_dvipa_diststat(d), d->rank);
			lib_sbuf_json_str(o, d->owner);
			lib_sbuf_printf(o, "}");
		} else {
			time_t tt = (time_t)(d->activated_wall_ms / 1000);
			struct tm tm;

			lib_sbuf_printf(o, "  INTFNAME: %s\n", d->ifname[0] ? d->ifname : "-");
			lib_sbuf_printf(o, "    IPADDR: %s\n", ip6(d->addr, a));
			lib_sbuf_printf(o, "    STATUS: %-10s ORIGIN: %-14s DISTSTAT: %s\n",
					stack_dvipa_status(d), origin_name(d), stack_dvipa_diststat(d));
			if (d->owned) {
				gmtime_r(&tt, &tm);
				strftime(t, sizeof(t), "%m/%d/%Y %H:%M:%S", &tm);
				lib_sbuf_printf(o, "    ACTTIME: %s\n", t);
			}
		}
		n++;
	}
	if (json)
		lib_sbuf_printf(o, "],\"records\":%d}\n", n);
	else
		lib_sbuf_printf(o, "%d OF %d RECORDS DISPLAYED\nEND OF THE REPORT\n", n, n);
}

static const char *
moveable_name(enum vipa_moveable m)
{
	return m == VIPA_MOVE_WHENIDLE ? "WHENIDLE" : "IMMEDIATE";
}

static void
show_vipadcfg(struct stack *s, int json, struct lib_sbuf *o)
{
	const struct vipa_profile *p = &s->prof;
	char a[64];
	int i, j, n;

	if (!json) {
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);

		header(s, o);
		lib_sbuf_printf(o, "DYNAMIC VIPA INFORMATION:\n");
		if (f) {
			vipa_profile_print(p, f);
			fclose(f);
			lib_sbuf_printf(o, "%s", buf ? buf : "");
			free(buf);
		}
		lib_sbuf_printf(o, "END OF THE REPORT\n");
		return;
	}
	lib_sbuf_printf(o, "{\"system\":\"%s\",\"stack\":\"%s\",\"vipadcfg\":{\"define\":[",
			s->sysname, s->tcpname);
	for (i = 0, n = 0; i < p->ndefine; i++) {
		if (p->define[i].backup)
			continue;
		lib_sbuf_printf(o, "%s{\"intfname\":", n++ ? "," : "");
		lib_sbuf_json_str(o, p->define[i].ifname);
		lib_sbuf_printf(o, ",\"ipaddr\":\"%s\",\"moveable\":\"%s\"}", ip6(p->define[i].addr, a),
				moveable_name(p->define[i].moveable));
	}
	lib_sbuf_printf(o, "],\"backup\":[");
	for (i = 0, n = 0; i < p->ndefine; i++) {
		if (!p->define[i].backup)
			continue;
		lib_sbuf_printf(o, "%s{\"intfname\":", n++ ? "," : "");
		lib_sbuf_json_str(o, p->define[i].ifname);
		lib_sbuf_printf(o, ",\"ipaddr\":\"%s\",\"rank\":%u,\"moveable\":\"%s\"}",
				ip6(p->define[i].addr, a), p->define[i].rank,
				moveable_name(p->define[i].moveable));
	}
	lib_sbuf_printf(o, "],\"distribute\":[");
	for (i = 0; i < p->ndist; i++) {
		const struct vipa_distribute *d = &p->dist[i];
		lib_sbuf_printf(o, "%s{\"ipaddr\":\"%s\",\"ports\":[", i ? "," : "", ip6(d->dvipa, a));
		for (j = 0; j < d->nports; j++)
			lib_sbuf_printf(o, "%s%u", j ? "," : "", d->ports[j]);
		lib_sbuf_printf(o, "],\"destxcf\":");
		if (d->destall)
			lib_sbuf_printf(o, "\"ALL\"");
		else {
			lib_sbuf_printf(o, "[");
			for (j = 0; j < d->ndest; j++)
				lib_sbuf_printf(o, "%s\"%s\"", j ? "," : "", ip6(d->dest[j].xcf, a));
			lib_sbuf_printf(o, "]");
		}
		lib_sbuf_printf(o, ",\"distmethod\":\"%s\",\"mobileipv6\":%s,\"timedaffinity\":%u}",
				vipa_distmethod_name(d->method), d->mip6 ? "true" : "false", d->timedaff);
	}
	lib_sbuf_printf(o, "]}}\n");
}

/* ---- HOME and CONN ------------------------------------------------------------------- */

static void
show_home(struct stack *s, int json, struct lib_sbuf *o)
{
	struct ifaddrs *ifa, *i;
	char a[64];
	int n = 0;

	if (getifaddrs(&ifa) < 0) {
		lib_sbuf_printf(o, json ? "{\"error\":\"getifaddrs failed\"}\n" : "getifaddrs failed\n");
		return;
	}
	if (json)
		lib_sbuf_printf(o, "{\"system\":\"%s\",\"stack\":\"%s\",\"home\":[", s->sysname,
				s->tcpname);
	else {
		header(s, o);
		lib_sbuf_printf(o, "HOME ADDRESS LIST:\n");
	}
	for (i = ifa; i; i = i->ifa_next) {
		const struct sockaddr_in6 *sa = (const struct sockaddr_in6 *)i->ifa_addr;
		if (!sa || sa->sin6_family != AF_INET6 || IN6_IS_ADDR_LINKLOCAL(&sa->sin6_addr) ||
		    IN6_IS_ADDR_LOOPBACK(&sa->sin6_addr))
			continue;
		ip6(sa->sin6_addr.s6_addr, a);
		if (json) {
			lib_sbuf_printf(o, "%s{\"address\":\"%s\",\"link\":", n ? "," : "", a);
			lib_sbuf_json_str(o, i->ifa_name);
			lib_sbuf_printf(o, "}");
		} else
			lib_sbuf_printf(o, "LINKNAME:   %s\n  ADDRESS:  %s\n", i->ifa_name, a);
		n++;
	}
	freeifaddrs(ifa);
	if (json)
		lib_sbuf_printf(o, "],\"records\":%d}\n", n);
	else
		lib_sbuf_printf(o, "%d OF %d RECORDS DISPLAYED\nEND OF THE REPORT\n", n, n);
}

static const char *
tcp_state(uint8_t st)
{
	static const char *names[] = { "?", "ESTABLSH", "SYNSENT", "SYNRCVD", "FINWAIT1",
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
 * DVIPAs this stack knows, in the z/OS form (user id, connection id,
 * state, then the sockets); the coupling bus's own sockets are not shown. */
static void
show_conn(struct stack *s, int json, struct lib_sbuf *o)
{
	struct conn_ctx c = { s, NULL, 0, 0 };
	char l[64], r[64];
	int i;

	lib_diag_tcp6(0xfff & ~(1u << TCP_TIME_WAIT), conn_collect, &c);
	conn_owners(&c);
	if (json)
		lib_sbuf_printf(o, "{\"system\":\"%s\",\"stack\":\"%s\",\"conn\":[", s->sysname,
				s->tcpname);
	else {
		header(s, o);
		lib_sbuf_printf(o, "USER ID  CONN     STATE\n");
	}
	for (i = 0; i < c.n; i++) {
		const struct conn_row *w = &c.rows[i];

		ip6(w->so.laddr, l);
		ip6(w->so.raddr, r);
		if (json) {
			lib_sbuf_printf(o, "%s{\"userid\":", i ? "," : "");
			lib_sbuf_json_str(o, w->user);
			lib_sbuf_printf(o, ",\"conn\":\"%08X\",\"local\":\"%s\",\"lport\":%u,"
					"\"remote\":\"%s\",\"rport\":%u,\"state\":\"%s\"}",
					w->so.inode, l, w->so.lport, r, w->so.rport,
					tcp_state(w->so.state));
		} else {
			lib_sbuf_printf(o, "%-8s %08X %s\n  LOCAL SOCKET:   %s..%u\n  FOREIGN SOCKET: %s..%u\n",
					w->user, w->so.inode, tcp_state(w->so.state), l, w->so.lport, r,
					w->so.rport);
		}
	}
	if (json)
		lib_sbuf_printf(o, "],\"records\":%d}\n", c.n);
	else
		lib_sbuf_printf(o, "%d OF %d RECORDS DISPLAYED\nEND OF THE REPORT\n", c.n, c.n);
	free(c.rows);
}

/* ---- CONFIG: the stack's configuration and persistence ------------------------------------- */

static void
json_str_or_null(struct lib_sbuf *o, const char *s)
{
	if (s && s[0])
		lib_sbuf_json_str(o, s);
	else
		lib_sbuf_printf(o, "null");
}

static void
show_config(struct stack *s, int json, struct lib_sbuf *o)
{
	static struct vipa_store_info si;
	struct vipa_store_stats st;
	char a[64];

	vipa_store_info(s->store, &si);
	vipa_store_stats(s->store, &st);
	ip6(s->xcfaddr, a);
	if (json) {
		lib_sbuf_printf(o, "{\"system\":\"%s\",\"stack\":\"%s\",\"config\":{\"member\":\"%s\","
				"\"group\":\"EZBTCPCS\",\"dynamicxcf\":\"%s\",\"mobileipv6\":%s,"
				"\"lan\":", s->sysname, s->tcpname, s->member, a,
				s->no_mip6 ? "false" : "true");
		lib_sbuf_json_str(o, s->lanif);
		lib_sbuf_printf(o, ",\"lan_mtu\":%u},\"persistence\":{\"status\":\"%s\",\"file\":",
				s->lan_mtu, vipa_store_state_name(si.state));
		json_str_or_null(o, si.path);
		lib_sbuf_printf(o, ",\"disabled_reason\":");
		json_str_or_null(o, si.disabled_why);
		lib_sbuf_printf(o, ",\"moved_to\":");
		json_str_or_null(o, si.moved_to);
		lib_sbuf_printf(o, ",\"moved_reason\":");
		json_str_or_null(o, si.moved_why);
		lib_sbuf_printf(o, ",\"moved_aside\":%llu,\"recreated\":%llu,\"written\":%llu,"
				"\"flushes\":%llu,\"errors\":%llu}}\n",
				(unsigned long long)st.moved_aside, (unsigned long long)st.reopened,
				(unsigned long long)st.written, (unsigned long long)st.flushes,
				(unsigned long long)st.errors);
		return;
	}
	header(s, o);
	lib_sbuf_printf(o, "IPV6 CONFIGURATION TABLE:\n");
	lib_sbuf_printf(o, "  DYNAMICXCF: %s  MOBILEIPV6: %s\n", a, s->no_mip6 ? "NO" : "YES");
	lib_sbuf_printf(o, "  LAN INTERFACE: %s  MTU: %u  TUN INTERFACE: %s\n", s->lanif, s->lan_mtu,
			STACK_TUN_NAME);
	lib_sbuf_printf(o, "SYSPLEX CONFIGURATION:\n");
	lib_sbuf_printf(o, "  GROUP: EZBTCPCS  MEMBER: %s  MVSNAME: %s\n", s->member, s->sysname);
	lib_sbuf_printf(o, "PERSISTENCE (VCRT AND VDPT STORE):\n");
	lib_sbuf_printf(o, "  STATUS: %s\n", vipa_store_state_name(si.state));
	lib_sbuf_printf(o, "  FILE: %s\n", si.path[0] ? si.path : "-");
	if (si.disabled_why[0])
		lib_sbuf_printf(o, "  NOT WRITTEN: %s\n", si.disabled_why);
	if (si.moved_to[0]) {
		lib_sbuf_printf(o, "  UNUSABLE FILE MOVED TO: %s\n", si.moved_to);
		lib_sbuf_printf(o, "    BECAUSE: %s\n", si.moved_why);
	}
	lib_sbuf_printf(o, "  ROWS WRITTEN: %llu  FLUSHES: %llu  ERRORS: %llu  RECREATED: %llu  "
			"MOVED ASIDE: %llu\n", (unsigned long long)st.written,
			(unsigned long long)st.flushes, (unsigned long long)st.errors,
			(unsigned long long)st.reopened, (unsigned long long)st.moved_aside);
	lib_sbuf_printf(o, "END OF THE REPORT\n");
}

/* ---- sysplex-wide displays --------------------------------------------------------------- */

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

static void
sysplex_row(struct stack *s, struct lib_sbuf *o, int json, int *n, const struct stack_dvipa *d,
	    const char *member, const char *status, unsigned rank, int dist)
{
	const struct xcf_member_info *mi = xcf_member(s->xcf, member);
	char a[64];
	const char *mvs = strcmp(member, s->member) == 0 ? s->sysname : mi ? mi->sysname : "?";
	const char *tcp = strcmp(member, s->member) == 0 ? s->tcpname : mi ? mi->tcpname : "?";
	int dest = is_dest(s, d, member);
	const char *ds = dist && dest ? "BOTH" : dist ? "DIST" : dest ? "DEST" : "";

	if (json) {
		lib_sbuf_printf(o, "%s{\"ipaddr\":\"%s\",\"tcpname\":\"%s\",\"mvsname\":\"%s\","
				"\"status\":\"%s\",\"rank\":%u,\"dist\":\"%s\"}", *n ? "," : "",
				ip6(d->addr, a), tcp, mvs, status, rank, ds);
	} else {
		char r[12] = "";	/* room for any unsigned value */
		if (rank)
			snprintf(r, sizeof(r), "%03u", rank);
		lib_sbuf_printf(o, "  %-8s %-8s %-11s %-4s %s\n", tcp, mvs, status, r, ds);
	}
	(*n)++;
}

static void
show_sysplex_vipadyn(struct stack *s, int json, struct lib_sbuf *o)
{
	char a[64];
	int i, j, n = 0;

	int member = xcf_joined(s->xcf) && !s->left_group;

	if (json)
		lib_sbuf_printf(o, "{\"system\":\"%s\",\"stack\":\"%s\",\"member\":%s,"
				"\"sysplex_vipadyn\":[", s->sysname, s->tcpname, member ? "true" : "false");
	else {
		lib_sbuf_printf(o, "EZZ8260I SYSPLEX CS V2R5 %u\nVIPA DYNAMIC DISPLAY FROM %s AT %s\n",
				++report_seq, s->tcpname, s->sysname);
		if (!member)
			lib_sbuf_printf(o, "EZZ8269I %s IS NOT A MEMBER OF A SYSPLEX GROUP\n", s->tcpname);
	}
	for (i = 0; i < s->ndv && member; i++) {
		const struct stack_dvipa *d = &s->dv[i];
		int shown_self = 0;

		if (!d->ncand && !d->defined && !d->backup && !d->target && !d->owned)
			continue;
		if (!json)
			lib_sbuf_printf(o, "IPADDR: %s\n  TCPNAME  MVSNAME  STATUS      RANK DIST\n"
					"  -------- -------- ----------- ---- ----\n", ip6(d->addr, a));
		if (d->defined || d->backup || d->owned || d->target) {
			sysplex_row(s, o, json, &n, d, s->member,
				    d->owned || (!d->defined && !d->backup) ? "ACTIVE" : stack_dvipa_status(d),
				    d->backup ? d->rank : 0, d->owned && d->has_dist);
			shown_self = 1;
		}
		for (j = 0; j < d->ncand; j++) {
			const struct stack_cand *c = &d->cand[j];
			if (shown_self && strcmp(c->member, s->member) == 0)
				continue;
			sysplex_row(s, o, json, &n, d, c->member, cand_status(c->status),
				    c->origin == WIRE_VIPA_BACKUP ? c->rank : 0,
				    c->status == WIRE_VIPA_ACTIVE && (c->flags & WIRE_VIPA_F_DIST ||
								     d->adv.nports));
		}
		/* Targets that define nothing for it. */
		{
			struct xcf_member_info m[XCF_MAX_MEMBERS];
			int k, nm = xcf_members(s->xcf, m, XCF_MAX_MEMBERS);

			for (k = 0; k < nm; k++) {
				int listed = strcmp(m[k].member, s->member) == 0 && shown_self;
				for (j = 0; j < d->ncand && !listed; j++)
					if (strcmp(d->cand[j].member, m[k].member) == 0)
						listed = 1;
				if (!listed && strcmp(m[k].member, s->member) != 0 &&
				    is_dest(s, d, m[k].member))
					sysplex_row(s, o, json, &n, d, m[k].member, "ACTIVE", 0, 0);
			}
		}
	}
	if (json)
		lib_sbuf_printf(o, "],\"records\":%d}\n", n);
	else
		lib_sbuf_printf(o, "%d OF %d RECORDS DISPLAYED\n", n, n);
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
static void
show_group(struct stack *s, int json, int xcf_style, struct lib_sbuf *o)
{
	struct xcf_member_info m[XCF_MAX_MEMBERS];
	int i, n = xcf_members(s->xcf, m, XCF_MAX_MEMBERS), k = 0;

	if (json) {
		lib_sbuf_printf(o, "{\"group\":\"EZBTCPCS\",\"members\":[");
		for (i = 0; i < n; i++)
			lib_sbuf_printf(o, "%s{\"member\":\"%s\",\"mvsname\":\"%s\",\"tcpname\":\"%s\","
					"\"status\":\"%s\",\"in_doubt\":%s}", k++ ? "," : "", m[i].member,
					m[i].sysname, m[i].tcpname, member_state(m[i].state),
					m[i].in_doubt ? "true" : "false");
		lib_sbuf_printf(o, "],\"records\":%d}\n", k);
		return;
	}
	if (xcf_style) {
		lib_sbuf_printf(o, "IXC333I  DISPLAY XCF\nINFORMATION FOR GROUP EZBTCPCS\n"
				"    MEMBER NAME:     SYSTEM:   STATUS:\n");
		for (i = 0; i < n; i++)
			lib_sbuf_printf(o, "    %-16s %-9s %s%s\n", m[i].member, m[i].sysname,
					member_state(m[i].state), m[i].in_doubt ? " (IN DOUBT)" : "");
		return;
	}
	lib_sbuf_printf(o, "EZZ8270I SYSPLEX CS V2R5 %u\nSYSPLEX GROUP EZBTCPCS SEEN FROM %s AT %s\n"
			"  MEMBER           MVSNAME  TCPNAME  STATUS\n", ++report_seq, s->tcpname, s->sysname);
	for (i = 0; i < n; i++)
		lib_sbuf_printf(o, "  %-16s %-8s %-8s %s%s\n", m[i].member, m[i].sysname, m[i].tcpname,
				member_state(m[i].state), m[i].in_doubt ? " (IN DOUBT)" : "");
	lib_sbuf_printf(o, "%d OF %d RECORDS DISPLAYED\n", n, n);
}

static void
show_xcf_groups(struct stack *s, int json, struct lib_sbuf *o)
{
	struct xcf_member_info m[XCF_MAX_MEMBERS];
	int i, n = xcf_members(s->xcf, m, XCF_MAX_MEMBERS), live = 0;

	for (i = 0; i < n; i++)
		if (m[i].state == XCF_ACTIVE)
			live++;
	if (json)
		lib_sbuf_printf(o, "{\"groups\":[{\"name\":\"EZBTCPCS\",\"members\":%d}]}\n", live);
	else
		lib_sbuf_printf(o, "IXC331I  DISPLAY XCF\nGROUPS(SIZE):  EZBTCPCS(%d)\n", live);
}

/* D XCF,COUPLE: the couple data set as this system last read it. */
static void
show_couple(struct stack *s, int json, struct lib_sbuf *o)
{
	static struct xcf_cds_view v;
	int i;

	if (xcf_cds_view(s->xcf, &v) < 0) {
		lib_sbuf_printf(o, json ? "{\"error\":\"no couple data set\"}\n" :
				"IXC357I  DISPLAY XCF\nNO COUPLE DATA SET\n");
		return;
	}
	if (json) {
		lib_sbuf_printf(o, "{\"system\":\"%s\",\"sysplex\":\"%s\",\"cds\":", s->sysname,
				v.sysplex);
		lib_sbuf_json_str(o, v.path);
		lib_sbuf_printf(o, ",\"interval_ms\":%u,\"failure_ms\":%u,\"lease_ms\":%u,"
				"\"isolate_ms\":%u,\"reachable\":%s,\"fault\":%s,\"error\":",
				v.hb_ms, v.fail_ms, v.lease_ms, v.isolate_ms,
				v.reachable ? "true" : "false", v.fault ? "true" : "false");
		lib_sbuf_json_str(o, v.error);
		lib_sbuf_printf(o, ",\"read_age_ms\":%llu,\"self\":{\"status\":\"%s\","
				"\"lease_left_ms\":%llu,\"lease_lapses\":%llu,\"update_ms_max\":%llu},"
				"\"slots\":[", (unsigned long long)v.read_age_ms,
				member_state(v.self_state), (unsigned long long)v.lease_left_ms,
				(unsigned long long)v.lapses, (unsigned long long)v.beat_ms_max);
		for (i = 0; i < v.n; i++) {
			const struct xcf_slot *t = &v.slot[i];

			lib_sbuf_printf(o, "%s{\"system\":\"%s\",\"member\":\"%s\",\"status\":\"%s\","
					"\"incarnation\":%llu,\"beat\":%llu,\"unchanged_ms\":%llu,"
					"\"weight\":%u,\"in_doubt\":%s,\"partitioned_by\":", i ? "," : "",
					t->sysname, t->member, xcf_slot_state_name(t->state),
					(unsigned long long)t->incarnation, (unsigned long long)t->beat,
					(unsigned long long)v.unchanged_ms[i], t->weight,
					v.in_doubt[i] ? "true" : "false");
			lib_sbuf_json_str(o, t->pill_inc ? t->pill_by : "");
			lib_sbuf_printf(o, ",\"reason\":");
			lib_sbuf_json_str(o, t->pill_inc ? t->reason : "");
			lib_sbuf_printf(o, ",\"pill_incarnation\":%llu}", (unsigned long long)t->pill_inc);
		}
		lib_sbuf_printf(o, "],\"records\":%d}\n", v.n);
		return;
	}
	lib_sbuf_printf(o, "IXC357I  DISPLAY XCF\nSYSPLEX %s COUPLE DATA SET AS SEEN FROM %s\n"
			"  DSN: %s\n  INTERVAL: %u MS  FAILURE: %u MS  LEASE: %u MS  ISOLATE: %u MS\n",
			v.sysplex, s->sysname, v.path, v.hb_ms, v.fail_ms, v.lease_ms, v.isolate_ms);
	lib_sbuf_printf(o, "  %s: %s, LEASE %llu MS LEFT, LAST READ %llu MS AGO%s%s\n"
			"  LEASE LAPSES: %llu  SLOWEST STATUS UPDATE: %llu MS\n", s->sysname,
			member_state(v.self_state), (unsigned long long)v.lease_left_ms,
			(unsigned long long)v.read_age_ms, v.reachable ? "" : ", NOT REACHABLE: ",
			v.reachable ? "" : v.error, (unsigned long long)v.lapses,
			(unsigned long long)v.beat_ms_max);
	lib_sbuf_printf(o, "  SYSTEM   STATUS       INCARNATION           BEAT  UNCHANGED WEIGHT "
			"PARTITIONED BY\n");
	for (i = 0; i < v.n; i++) {
		const struct xcf_slot *t = &v.slot[i];
		char by[80] = "";

		if (t->pill_inc)
			snprintf(by, sizeof(by), "%s (%s)", t->pill_by, t->reason);
		lib_sbuf_printf(o, "  %-8s %-12s %-19llu %6llu %7llu MS %6u %s%s\n", t->sysname,
				xcf_slot_state_name(t->state), (unsigned long long)t->incarnation,
				(unsigned long long)t->beat, (unsigned long long)v.unchanged_ms[i],
				t->weight, by, v.in_doubt[i] ? " IN DOUBT" : "");
	}
	lib_sbuf_printf(o, "%d OF %d RECORDS DISPLAYED\n", v.n, v.n);
}

/* ---- private queries for the launcher, tests and benchmarks ---------------------------- */

static void
show_role(struct stack *s, struct lib_sbuf *o)
{
	char a[64];
	int i;

	for (i = 0; i < s->ndv; i++) {
		const struct stack_dvipa *d = &s->dv[i];
		const char *ds = stack_dvipa_diststat(d);
		if (!d->defined && !d->backup && !d->target && !d->owned)
			continue;
		lib_sbuf_printf(o, "%s %s %s", ip6(d->addr, a), stack_dvipa_status(d), ds[0] ? ds : "-");
		/* The owner's monotonic activation time and the time of this
		 * answer (one clock for every stack on the host): two answers
		 * prove two owners at once only if their intervals overlap. */
		if (d->owned)
			lib_sbuf_printf(o, " SINCE=%llu NOW=%llu", (unsigned long long)d->active_since_ms,
					(unsigned long long)lib_now_ms());
		lib_sbuf_printf(o, "\n");
	}
}

static void
show_stats(struct stack *s, struct lib_sbuf *o)
{
	struct vipa_store_stats st;
	struct vipa_store_info si;
	const struct lib_verdicts *vs[3];
	int i, j;

	vipa_store_stats(s->store, &st);
	vipa_store_info(s->store, &si);
	lib_sbuf_printf(o, "{\"system\":\"%s\",\"rx_pkts\":%llu,\"rx_bytes\":%llu,\"fwd_pkts\":%llu,"
			"\"fwd_bytes\":%llu,\"local_pkts\":%llu,\"strip_pkts\":%llu,\"new_conns\":%llu,"
			"\"no_target\":%llu,\"no_entry\":%llu,\"tun_write_err\":%llu,\"link_dropped\":%llu,\"ptb_sent\":%llu,"
			"\"full_reports\":%llu,\"vcrt\":%zu,\"store\":{\"state\":\"%s\",\"queued\":%llu,\"written\":%llu,"
			"\"flushes\":%llu,\"errors\":%llu,\"dropped\":%llu,\"reopened\":%llu,"
			"\"moved_aside\":%llu",
			s->sysname,
			(unsigned long long)s->cnt.rx_pkts, (unsigned long long)s->cnt.rx_bytes,
			(unsigned long long)s->cnt.fwd_pkts, (unsigned long long)s->cnt.fwd_bytes,
			(unsigned long long)s->cnt.local_pkts, (unsigned long long)s->cnt.strip_pkts,
			(unsigned long long)s->cnt.new_conns, (unsigned long long)s->cnt.no_target,
			(unsigned long long)s->cnt.no_entry, (unsigned long long)s->cnt.tun_write_err,
			(unsigned long long)s->cnt.link_dropped, (unsigned long long)s->cnt.ptb_sent,
			(unsigned long long)s->cnt.full_reports, vipa_vcrt_count(s->vcrt), vipa_store_state_name(si.state),
			(unsigned long long)st.queued,
			(unsigned long long)st.written, (unsigned long long)st.flushes,
			(unsigned long long)st.errors, (unsigned long long)st.dropped,
			(unsigned long long)st.reopened, (unsigned long long)st.moved_aside);
	lib_sbuf_printf(o, "},\"mip6\":{\"started\":%llu,\"bound\":%llu,\"deletes\":%llu,"
			"\"target_lost\":%llu,\"gave_up\":%llu,\"copies\":%llu,\"bind_info\":%llu,"
			"\"ba_errors\":%llu,\"syn_to_bu_ms_sum\":%llu,\"refreshes\":%llu,"
			"\"refreshed\":%llu,\"bind_lifetime\":%u,\"tx\":[",
			(unsigned long long)s->mip6.started, (unsigned long long)s->mip6.bound,
			(unsigned long long)s->mip6.deletes, (unsigned long long)s->mip6.target_lost,
			(unsigned long long)s->mip6.gave_up, (unsigned long long)s->mip6.copies,
			(unsigned long long)s->mip6.bind_info, (unsigned long long)s->mip6.ba_errors,
			(unsigned long long)s->mip6.syn_to_bu_ms_sum,
			(unsigned long long)s->mip6.refreshes, (unsigned long long)s->mip6.refreshed,
			s->prof.bindlife ? s->prof.bindlife : MIP6_MAX_RR_BINDING_LIFETIME);
	for (i = 0; i < 8; i++)
		lib_sbuf_printf(o, "%s%llu", i ? "," : "", (unsigned long long)s->mip6.tx[i]);
	lib_sbuf_printf(o, "],\"rx\":[");
	for (i = 0; i < 8; i++)
		lib_sbuf_printf(o, "%s%llu", i ? "," : "", (unsigned long long)s->mip6.rx[i]);
	lib_sbuf_printf(o, "]");
	vs[0] = &s->tun_verdicts;
	vs[1] = &s->bus_verdicts;
	vs[2] = xcf_verdicts(s->xcf);
	lib_sbuf_printf(o, "},\"drops\":{");
	for (i = 0; i < 3; i++) {
		lib_sbuf_printf(o, "%s\"%s\":{", i ? "," : "", i == 0 ? "tun" : i == 1 ? "stack" : "xcf");
		for (j = 0; vs[i] && j < vs[i]->n; j++) {
			lib_sbuf_printf(o, "%s", j ? "," : "");
			lib_sbuf_json_str(o, vs[i]->v[j].reason);
			lib_sbuf_printf(o, ":%llu", (unsigned long long)vs[i]->v[j].count);
		}
		lib_sbuf_printf(o, "}");
	}
	lib_sbuf_printf(o, "}}\n");
}

/* ---- command parsing ------------------------------------------------------------------- */

static const char *const reports[] = { "VDPT", "VCRT", "VIPADYN", "VIPADCFG", "HOME", "CONN",
				       "CONFIG" };
static const char *const sysplex_reports[] = { "VIPADYN", "GROUP" };
static const char *const actions[] = { "LEAVEGROUP", "JOINGROUP", "DEACTIVATE", "REACTIVATE",
				       "QUIESCE", "RESUME" };
static const char *const verbs[] = { "D", "DISPLAY", "V", "VARY", "SYSPLEX$ROLE",
				      "SYSPLEX$STATS", "SYSPLEX$LINK", "SYSPLEX$CDS" };

static int
fail(struct lib_sbuf *o, int json, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int
fail(struct lib_sbuf *o, int json, const char *fmt, ...)
{
	char msg[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (json) {
		lib_sbuf_printf(o, "{\"error\":");
		lib_sbuf_json_str(o, msg);
		lib_sbuf_printf(o, "}\n");
	} else
		lib_sbuf_printf(o, "%s\n", msg);
	return -1;
}

static int
unknown_word(struct lib_sbuf *o, int json, const char *what, const char *w,
	     const char *const *words, size_t n)
{
	char list[256] = "";
	const char *sug = lib_closest_word(w, words, n);
	size_t i;

	for (i = 0; i < n; i++) {
		strncat(list, words[i], sizeof(list) - strlen(list) - 1);
		if (i + 1 < n)
			strncat(list, i + 2 == n ? " or " : ", ", sizeof(list) - strlen(list) - 1);
	}
	if (sug)
		return fail(o, json, "unknown %s '%s': expected %s (did you mean %s?)", what, w, list, sug);
	return fail(o, json, "unknown %s '%s': expected %s", what, w, list);
}

static int
ok_msg(struct lib_sbuf *o, int json, const char *msg)
{
	if (json) {
		lib_sbuf_printf(o, "{\"ok\":true,\"message\":");
		lib_sbuf_json_str(o, msg);
		lib_sbuf_printf(o, "}\n");
	} else
		lib_sbuf_printf(o, "%s\n", msg);
	return 0;
}

/* SYSPLEX$LINK LOSS=pct DELAY=ms: fault injection in our TUN data path. */
static int
do_link(struct stack *s, char **tok, int ntok, int json, struct lib_sbuf *o)
{
	int i, loss = s->link_loss_pct, delay = (int)s->link_delay_ms;
	char msg[128];

	for (i = 1; i < ntok; i++) {
		char *end;
		long v;
		if (strncmp(tok[i], "LOSS=", 5) == 0) {
			v = strtol(tok[i] + 5, &end, 10);
			if (!tok[i][5] || *end || v < 0 || v > 100)
				return fail(o, json, "LOSS must be a whole number of percent 0..100, not '%s'",
					    tok[i] + 5);
			loss = (int)v;
		} else if (strncmp(tok[i], "DELAY=", 6) == 0) {
			v = strtol(tok[i] + 6, &end, 10);
			if (!tok[i][6] || *end || v < 0 || v > 10000)
				return fail(o, json, "DELAY must be a whole number of milliseconds 0..10000, "
					    "not '%s'", tok[i] + 6);
			delay = (int)v;
		} else
			return fail(o, json, "unexpected operand '%s': expected LOSS=pct DELAY=ms", tok[i]);
	}
	if (stack_dp_link(s, loss, (unsigned)delay) < 0)
		return fail(o, json, "cannot set up the delay line");
	snprintf(msg, sizeof(msg), "LINK OF %s: LOSS %d%% DELAY %d MS (IN THE STACK'S TUN DATA PATH)",
		 s->sysname, loss, delay);
	return ok_msg(o, json, msg);
}

/* V TCPIP,tcp,SYSPLEX,ACTION[,OPERAND] */
static int
do_vary(struct stack *s, char **tok, int ntok, int json, struct lib_sbuf *o)
{
	char msg[256];
	int r = -1;

	if (ntok < 4 || strcmp(tok[0], "TCPIP") != 0 || strcmp(tok[2], "SYSPLEX") != 0)
		return fail(o, json, "expected V TCPIP,tcpname,SYSPLEX,action (LEAVEGROUP, JOINGROUP, "
			    "DEACTIVATE,DVIPA=a, REACTIVATE,DVIPA=a, QUIESCE,PORT=n|TARGET, RESUME,PORT=n|TARGET)");
	if (tok[1][0] && strcmp(tok[1], s->tcpname) != 0)
		return fail(o, json, "EZZ0334I TCP/IP STACK %s NOT FOUND (this stack is %s)", tok[1], s->tcpname);
	if (strcmp(tok[3], "LEAVEGROUP") == 0 && ntok == 4)
		r = stack_leavegroup(s, msg, sizeof(msg));
	else if (strcmp(tok[3], "JOINGROUP") == 0 && ntok == 4)
		r = stack_joingroup(s, msg, sizeof(msg));
	else if (strcmp(tok[3], "DEACTIVATE") == 0 || strcmp(tok[3], "REACTIVATE") == 0) {
		uint8_t a[16];
		if (ntok != 5 || strncmp(tok[4], "DVIPA=", 6) != 0 || lib_ip6_parse(tok[4] + 6, a) < 0)
			return fail(o, json, "expected V TCPIP,%s,SYSPLEX,%s,DVIPA=ipv6address", s->tcpname, tok[3]);
		r = stack_deactivate(s, a, tok[3][0] == 'D', msg, sizeof(msg));
	} else if (strcmp(tok[3], "QUIESCE") == 0 || strcmp(tok[3], "RESUME") == 0) {
		int port = -1;
		if (ntok == 5 && strncmp(tok[4], "PORT=", 5) == 0) {
			char *end;
			long v = strtol(tok[4] + 5, &end, 10);
			if (*end || v < 1 || v > 65535)
				return fail(o, json, "PORT must be 1..65535, not '%s'", tok[4] + 5);
			port = (int)v;
		} else if (!(ntok == 5 && strcmp(tok[4], "TARGET") == 0))
			return fail(o, json, "expected V TCPIP,%s,SYSPLEX,%s,PORT=n or ...,TARGET", s->tcpname, tok[3]);
		r = stack_quiesce(s, port, tok[3][0] == 'Q', msg, sizeof(msg));
	} else
		return unknown_word(o, json, "SYSPLEX action", tok[3], actions, LIB_ARRAY_LEN(actions));
	if (r < 0)
		return fail(o, json, "%s", msg);
	log_info("%s", msg);
	return ok_msg(o, json, msg);
}

/* D TCPIP,tcp,NETSTAT,report[,DETAIL] | D TCPIP,tcp,SYSPLEX,report | D XCF,GROUP[,name] |
 * D XCF,COUPLE */
static int
do_display(struct stack *s, char **tok, int ntok, int json, struct lib_sbuf *o)
{
	int i, detail = 0;

	if (ntok >= 1 && strcmp(tok[0], "XCF") == 0) {
		if (ntok == 2 && (strcmp(tok[1], "COUPLE") == 0 || strcmp(tok[1], "CPL") == 0)) {
			show_couple(s, json, o);
			return 0;
		}
		if (ntok < 2 || (strcmp(tok[1], "GROUP") != 0 && strcmp(tok[1], "G") != 0))
			return fail(o, json, "expected D XCF,GROUP[,EZBTCPCS] or D XCF,COUPLE");
		if (ntok == 2)
			show_xcf_groups(s, json, o);
		else if (ntok == 3 && strcmp(tok[2], "EZBTCPCS") == 0)
			show_group(s, json, 1, o);
		else
			return fail(o, json, "unknown XCF group '%s': expected EZBTCPCS", ntok > 2 ? tok[2] : "");
		return 0;
	}
	if (ntok < 1 || strcmp(tok[0], "TCPIP") != 0)
		return fail(o, json, "expected D TCPIP,tcpname,NETSTAT,report or D TCPIP,,SYSPLEX,report or D XCF,GROUP or D XCF,COUPLE");
	if (ntok < 4)
		return fail(o, json, "expected D TCPIP,tcpname,NETSTAT,report (VDPT, VCRT, VIPADYN, VIPADCFG, HOME, CONN, CONFIG)");
	if (tok[1][0] && strcmp(tok[1], s->tcpname) != 0)
		return fail(o, json, "EZZ0334I TCP/IP STACK %s NOT FOUND (this stack is %s)", tok[1], s->tcpname);
	if (strcmp(tok[2], "SYSPLEX") == 0) {
		if (ntok != 4)
			return fail(o, json, "unexpected operand '%s' after %s", tok[4], tok[3]);
		if (strcmp(tok[3], "VIPADYN") == 0 || strcmp(tok[3], "VIPAD") == 0)
			show_sysplex_vipadyn(s, json, o);
		else if (strcmp(tok[3], "GROUP") == 0)
			show_group(s, json, 0, o);
		else
			return unknown_word(o, json, "SYSPLEX report", tok[3], sysplex_reports,
					    LIB_ARRAY_LEN(sysplex_reports));
		return 0;
	}
	if (strcmp(tok[2], "NETSTAT") != 0 && strcmp(tok[2], "N") != 0) {
		static const char *const kinds[] = { "NETSTAT", "SYSPLEX" };
		return unknown_word(o, json, "TCPIP display", tok[2], kinds, LIB_ARRAY_LEN(kinds));
	}
	for (i = 4; i < ntok; i++) {
		if (strcmp(tok[i], "DETAIL") == 0)
			detail = 1;
		else
			return fail(o, json, "unexpected operand '%s': expected DETAIL", tok[i]);
	}
	if (strcmp(tok[3], "VDPT") == 0)
		show_vdpt(s, detail, json, o);
	else if (strcmp(tok[3], "VCRT") == 0)
		show_vcrt(s, detail, json, o);
	else if (strcmp(tok[3], "VIPADYN") == 0)
		show_vipadyn(s, json, o);
	else if (strcmp(tok[3], "VIPADCFG") == 0)
		show_vipadcfg(s, json, o);
	else if (strcmp(tok[3], "HOME") == 0)
		show_home(s, json, o);
	else if (strcmp(tok[3], "CONN") == 0)
		show_conn(s, json, o);
	else if (strcmp(tok[3], "CONFIG") == 0)
		show_config(s, json, o);
	else
		return unknown_word(o, json, "NETSTAT report", tok[3], reports, LIB_ARRAY_LEN(reports));
	return 0;
}

int
stack_ctl_exec(struct stack *s, const char *line, int json, struct lib_sbuf *o)
{
	/* One slot more than operands: SYSPLEX$LINK puts its verb in front. */
	char buf[CTL_LINE_MAX + 1], *tok[LIB_CTL_MAX_OPERANDS + 1], *p, *verb;
	int ntok;
	size_t k;

	if (strlen(line) > CTL_LINE_MAX)
		return fail(o, json, "command line too long: at most %d characters; nothing was done",
			    CTL_LINE_MAX);
	lib_strlcpy(buf, line, sizeof(buf));
	for (k = 0; buf[k]; k++) {
		unsigned char c = (unsigned char)buf[k];
		if (c < 0x20 || c > 0x7e)
			return fail(o, json, "command contains a non-printable character at column %zu", k + 1);
		buf[k] = (char)toupper(c);
	}
	p = buf;
	while (*p == ' ')
		p++;
	if (!*p)
		return fail(o, json, "empty command: expected D TCPIP,... or V TCPIP,...");
	verb = p;
	p += strcspn(p, " ");
	if (*p)
		*p++ = '\0';
	while (*p == ' ')
		p++;
	/* Operands: comma separated; blanks also separate (VCRT DETAIL);
	 * empty fields are kept (D TCPIP,,SYSPLEX,...). */
	ntok = lib_ctl_operands(p, tok, LIB_CTL_MAX_OPERANDS);
	if (ntok < 0)
		return fail(o, json, "too many operands: at most %d after %s; nothing was done",
			    LIB_CTL_MAX_OPERANDS, verb);
	if (strcmp(verb, "SYSPLEX$ROLE") == 0) {
		show_role(s, o);
		return 0;
	}
	if (strcmp(verb, "SYSPLEX$STATS") == 0) {
		show_stats(s, o);
		return 0;
	}
	if (strcmp(verb, "SYSPLEX$CDS") == 0) {
		char msg[160];
		int lost;

		if (ntok != 1 || (strcmp(tok[0], "LOSS") != 0 && strcmp(tok[0], "RESTORE") != 0))
			return fail(o, json, "expected SYSPLEX$CDS LOSS or SYSPLEX$CDS RESTORE");
		lost = tok[0][0] == 'L';
		if (xcf_cds_fault(s->xcf, lost) < 0)
			return fail(o, json, "%s has no couple data set", s->sysname);
		snprintf(msg, sizeof(msg), "COUPLE DATA SET %s FROM %s (fault injected in the stack's "
			 "CDS client)", lost ? "NOT REACHABLE" : "REACHABLE AGAIN", s->sysname);
		return ok_msg(o, json, msg);
	}
	if (strcmp(verb, "SYSPLEX$LINK") == 0) {
		memmove(tok + 1, tok, sizeof(tok[0]) * (size_t)ntok);
		tok[0] = verb;
		return do_link(s, tok, ntok + 1, json, o);
	}
	if (strcmp(verb, "D") == 0 || strcmp(verb, "DISPLAY") == 0)
		return do_display(s, tok, ntok, json, o);
	if (strcmp(verb, "V") == 0 || strcmp(verb, "VARY") == 0)
		return do_vary(s, tok, ntok, json, o);
	return unknown_word(o, json, "command", verb, verbs, 4);
}

/* ---- socket ---------------------------------------------------------------------------- */

static int
exec_cb(const char *line, int json, struct lib_sbuf *out, void *arg)
{
	struct stack *s = arg;
	int rc;

	/* Reporting a DVIPA ACTIVE is an owner action: the lease first (after
	 * SIGCONT this runs before any timer). */
	stack_own_guard(s);
	rc = stack_ctl_exec(s, line, json, out);

	if (rc < 0)
		lib_verdict(&s->ctl_verdicts, "bad operator command");
	return rc;
}

int
stack_ctl_start(struct stack *s)
{
	char path[256], err[300];

	snprintf(path, sizeof(path), "%s/ctl.sock", s->statedir);
	s->ctl = lib_ctl_start(s->loop, path, exec_cb, s, err, sizeof(err));
	if (!s->ctl) {
		log_warnx("%s", err);
		return -1;
	}
	return 0;
}

void
stack_ctl_stop(struct stack *s)
{
	lib_ctl_stop(&s->ctl);
}
