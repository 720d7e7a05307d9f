/*
 * net.c - what the stack changes in its system's kernel network
 * configuration: the TUN device tcpip0, the sysctls, the care-of route, the
 * local rule moved below the DVIPA rules, a DVIPA as a local address, the
 * policy routing that takes a DVIPA's LAN-inbound packets into the TUN, and
 * unsolicited neighbour advertisements; at a clean exit it puts the local
 * rule and the sysctls back as it found them.  Everything goes through lib/
 * (rtnetlink, TUN, sysctl); without an rtnetlink handle (s->nl NULL, as in
 * unit tests) every change fails and is logged, and nothing is touched.
 *
 * Level 2 of tcpip-stack/ (stack.h): calls ndp.c (joining the DVIPA's
 * solicited-node group when routing it in).
 */
#include "tcpip-stack/stack.h"

#include <linux/if_addr.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The sysctls the stack sets, and to what (the order of s->sysctl_old). */
static const struct {
	const char *path, *value;
} net_sysctls[] = {
	{ "net/ipv6/conf/all/forwarding", "1" },
	/* TCP early demux would hand LAN-inbound segments for the DVIPA
	 * straight to a local socket (when this stack is its own target)
	 * before policy routing takes them to the TUN: the handshake then
	 * never completes. */
	{ "net/ipv4/ip_early_demux", "0" },
	{ "net/ipv4/tcp_early_demux", "0" },
	/* VIPARANGE: a server binds an address of the range before it is a
	 * DVIPA here (z/OS creates the DVIPA at the bind; we see the listener
	 * in the next socket poll and create it then). */
	{ "net/ipv6/ip_nonlocal_bind", "1" },
};
_Static_assert(sizeof(net_sysctls) / sizeof(net_sysctls[0]) ==
	       sizeof(((struct stack *)0)->sysctl_old) / sizeof(((struct stack *)0)->sysctl_old[0]),
	       "struct stack's sysctl_old has one entry per sysctl of net_sysctls");

/* Reads /proc/sys/PATH into buf without its line end; 0 or -1. */
static int
sysctl_get(const char *path, char *buf, size_t len)
{
	char full[128];
	FILE *f;
	int ok;

	snprintf(full, sizeof(full), "/proc/sys/%s", path);
	if (!(f = fopen(full, "r")))
		return -1;
	ok = fgets(buf, (int)len, f) != NULL;
	fclose(f);
	if (!ok)
		return -1;
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

int
stack_net_setup(struct stack *s)
{
	struct lib_tun_opts o = { .vnet_hdr = 1, .offload = 1, .multiqueue = 0,
				  .mtu = 0, .txqlen = 10000 };
	char path[128];
	int r;

	s->nl = lib_nl_open();
	if (!s->nl) {
		log_warn("rtnetlink");
		return -1;
	}
	s->lan_ifindex = lib_nl_ifindex(s->lanif);
	if (s->lan_ifindex <= 0) {
		log_warnx("LAN interface %s does not exist", s->lanif);
		return -1;
	}
	s->lan_mtu = 1500;
	snprintf(path, sizeof(path), "/sys/class/net/%s/mtu", s->lanif);
	{
		FILE *f = fopen(path, "r");
		if (f) {
			if (fscanf(f, "%u", &s->lan_mtu) != 1)
				s->lan_mtu = 1500;
			fclose(f);
		}
	}
	/* The TUN takes full LAN-sized packets (a target receives RH2 packets of
	 * up to the LAN MTU); the routing stack answers a packet that would not
	 * fit once the RH2 is added with its own Packet Too Big (dp.c). */
	o.mtu = s->lan_mtu;
	s->tun_fd = lib_tun_open(STACK_TUN_NAME, &o);
	if (s->tun_fd < 0) {
		log_warnx("cannot open TUN %s: %s", STACK_TUN_NAME, strerror(-s->tun_fd));
		return -1;
	}
	s->tun_ifindex = lib_nl_ifindex(STACK_TUN_NAME);
	for (size_t i = 0; i < sizeof(net_sysctls) / sizeof(net_sysctls[0]); i++) {
		struct stack_sysctl *sv = &s->sysctl_old[i];

		sv->saved = sysctl_get(net_sysctls[i].path, sv->old, sizeof(sv->old)) == 0;
		lib_sysctl_set(net_sysctls[i].path, net_sysctls[i].value);
	}
	/* Our DYNAMICXCF address is the care-of address: routed into the TUN,
	 * never local (the kernel would reject the RH2 itself). */
	r = lib_nl_route(s->nl, 1, 254, s->xcfaddr, 128, s->tun_ifindex, NULL);
	if (r < 0) {
		log_warnx("cannot route the DYNAMICXCF address into %s: %s", STACK_TUN_NAME,
			  strerror(-r));
		return -1;
	}
	/* Policy rules for DVIPAs must come before the local table. */
	if (lib_nl_rule(s->nl, 1, STACK_PRIO_LOCAL, NULL, NULL, 0, 0, 255) < 0 ||
	    lib_nl_rule(s->nl, 0, 0, NULL, NULL, 0, 0, 255) < 0) {
		log_warnx("cannot move the local routing rule");
		return -1;
	}
	s->local_rule_moved = 1;
	return 0;
}

/* Puts back what stack_net_setup changed outside the TUN (the TUN, its
 * addresses and routes go with it): the local rule at priority 0 and the
 * sysctls' previous values.  Only at a clean exit; a killed stack leaves
 * them, and its successor finds them as it would set them. */
void
stack_net_close(struct stack *s)
{
	if (s->nl && s->local_rule_moved &&
	    (lib_nl_rule(s->nl, 1, 0, NULL, NULL, 0, 0, 255) < 0 ||
	     lib_nl_rule(s->nl, 0, STACK_PRIO_LOCAL, NULL, NULL, 0, 0, 255) < 0))
		log_warnx("cannot put the local routing rule back at priority 0");
	s->local_rule_moved = 0;
	for (size_t i = 0; i < sizeof(net_sysctls) / sizeof(net_sysctls[0]); i++) {
		struct stack_sysctl *o = &s->sysctl_old[i];
		char now[16];

		if (o->saved && sysctl_get(net_sysctls[i].path, now, sizeof(now)) == 0 &&
		    strcmp(now, o->old) != 0)
			lib_sysctl_set(net_sysctls[i].path, o->old);
		o->saved = 0;
	}
	lib_nl_close(&s->nl);
	if (s->tun_fd >= 0)
		close(s->tun_fd);
	s->tun_fd = -1;
}

/* The DVIPA as a local address of this system lives on our TUN, not on lo:
 * a stack that dies takes it along (its TUN goes with the process), as a
 * failed z/OS stack's home addresses go, so its kernel cannot go on
 * answering for the DVIPA on its own.  Its peer is our DYNAMICXCF address
 * (routed into the TUN anyway): a routing daemon then sees a connected
 * route for that, not for the DVIPA, so only the owner's host route
 * (ndp.c) advertises the DVIPA.  No prefix route: every route on the TUN is
 * one the stack put there.  When an address with a peer goes, the kernel
 * deletes the first route to the peer on the device it finds: its own peer
 * route, or, once that went with an earlier DVIPA, our care-of route; so
 * the care-of route is put back after every removal. */
void
stack_net_dvipa_local(struct stack *s, struct stack_dvipa *d, int on)
{
	int r = lib_nl_addr_peer(s->nl, on, s->tun_ifindex, d->addr, s->xcfaddr, 128,
				 IFA_F_NODAD | IFA_F_NOPREFIXROUTE);
	char a[64];

	if (r < 0)
		log_warnx("cannot %s DVIPA %s on %s: %s", on ? "add" : "remove",
			  lib_ip6_str(d->addr, a, sizeof(a)), STACK_TUN_NAME, strerror(-r));
	if (!on && (r = lib_nl_route(s->nl, 1, 254, s->xcfaddr, 128, s->tun_ifindex, NULL)) < 0)
		log_warnx("cannot route the DYNAMICXCF address into %s again: %s", STACK_TUN_NAME,
			  strerror(-r));
}

/* The routing stack takes LAN-inbound packets for the DVIPA into its TUN and
 * answers neighbour solicitations for it (ndp.c). */
void
stack_net_route_in(struct stack *s, struct stack_dvipa *d, int on)
{
	char a[64];
	int r = 0;

	lib_ip6_str(d->addr, a, sizeof(a));
	if (on) {
		r |= lib_nl_route(s->nl, 1, STACK_TABLE_DVIPA, d->addr, 128, s->tun_ifindex, NULL);
		r |= lib_nl_rule(s->nl, 1, STACK_PRIO_DVIPA, s->lanif, d->addr, 128, 0,
				 STACK_TABLE_DVIPA);
		r |= stack_ndp_join(s, d->addr, 1);
		if (lib_ndisc_send_una(s->lanif, d->addr) < 0)
			log_warnx("unsolicited neighbour advertisement for %s failed", a);
	} else {
		r |= stack_ndp_join(s, d->addr, 0);
		r |= lib_nl_rule(s->nl, 0, STACK_PRIO_DVIPA, s->lanif, d->addr, 128, 0,
				 STACK_TABLE_DVIPA);
		r |= lib_nl_route(s->nl, 0, STACK_TABLE_DVIPA, d->addr, 128, s->tun_ifindex, NULL);
	}
	if (r < 0)
		log_warnx("routing of DVIPA %s into %s could not be %s", a, STACK_TUN_NAME,
			  on ? "set up" : "removed");
}

int
stack_net_announce(struct stack *s, const struct stack_dvipa *d)
{
	return lib_ndisc_send_una(s->lanif, d->addr);
}
