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
#include <sys/socket.h>
#include <unistd.h>

/* The sysctls the stack sets on every system, and to what. */
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
#define NET_NSYSCTL (sizeof(net_sysctls) / sizeof(net_sysctls[0]))
/* IPv4 (setup_v4) sets at most NET_NSYSCTL4 more. */
#define NET_NSYSCTL4 8
_Static_assert(NET_NSYSCTL + NET_NSYSCTL4 <=
	       sizeof(((struct stack *)0)->sysctl_old) / sizeof(((struct stack *)0)->sysctl_old[0]),
	       "struct stack's sysctl_old has room for every sysctl net.c sets");

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

/* Sets /proc/sys/PATH to value, its previous value kept in the next free
 * entry of s->sysctl_old for stack_net_close to put back. */
static void
sysctl_save_set(struct stack *s, const char *path, const char *value)
{
	for (size_t i = 0; i < sizeof(s->sysctl_old) / sizeof(s->sysctl_old[0]); i++) {
		struct stack_sysctl *sv = &s->sysctl_old[i];

		if (sv->path[0])
			continue;
		snprintf(sv->path, sizeof(sv->path), "%s", path);
		sv->saved = sysctl_get(path, sv->old, sizeof(sv->old)) == 0;
		break;
	}
	lib_sysctl_set(path, value);
}

/*
 * IPv4 (IPCONFIG DYNAMICXCF): the IPv4 DYNAMICXCF address routed into the
 * TUN and never local (GRE for it reaches the daemon, not the kernel's own
 * GRE), forwarding, the IPv4 local rule moved as the IPv6 one, no reverse
 * path filter (packets for a DVIPA come back out of the TUN with the
 * client's source).  ARP: the owner of a DVIPA answers for it by proxy ARP
 * (a proxy entry on the LAN interface while it owns the DVIPA, not while it
 * only still forwards for it, MOVING; the kernel answers at once with
 * proxy_delay 0, and only while the route to the DVIPA from the LAN leads
 * elsewhere, into the TUN: a dead stack's TUN takes the route along, so its
 * kernel stops answering at once); a target, where the DVIPA is merely
 * local on the TUN, never answers for it on the LAN (arp_ignore 1) nor names
 * it in its own requests (arp_announce 2).
 */
static int
setup_v4(struct stack *s)
{
	char path[96];
	int r;

	sysctl_save_set(s, "net/ipv4/ip_forward", "1");
	sysctl_save_set(s, "net/ipv4/conf/all/rp_filter", "0");
	sysctl_save_set(s, "net/ipv4/conf/all/arp_ignore", "1");
	/* ARP requests of a target answering from the DVIPA name our LAN
	 * address as the sender, never the DVIPA (the client would take our
	 * MAC for the DVIPA's and bypass the routing stack). */
	sysctl_save_set(s, "net/ipv4/conf/all/arp_announce", "2");
	snprintf(path, sizeof(path), "net/ipv4/conf/%s/rp_filter", STACK_TUN_NAME);
	lib_sysctl_set(path, "0");	/* goes with the TUN */
	snprintf(path, sizeof(path), "net/ipv4/conf/%s/rp_filter", s->lanif);
	sysctl_save_set(s, path, "0");
	snprintf(path, sizeof(path), "net/ipv4/neigh/%s/proxy_delay", s->lanif);
	sysctl_save_set(s, path, "0");
	r = lib_nl_route(s->nl, 1, 254, s->xcfaddr4, 128, s->tun_ifindex, NULL);
	if (r < 0) {
		log_warnx("cannot route the IPv4 DYNAMICXCF address into %s: %s", STACK_TUN_NAME,
			  strerror(-r));
		return -1;
	}
	if (lib_nl_rule_af(s->nl, AF_INET, 1, STACK_PRIO_LOCAL, NULL, NULL, 0, 0, 255) < 0 ||
	    lib_nl_rule_af(s->nl, AF_INET, 0, 0, NULL, NULL, 0, 0, 255) < 0) {
		log_warnx("cannot move the IPv4 local routing rule");
		return -1;
	}
	s->local_rule4_moved = 1;
	return 0;
}

int
stack_net_setup(struct stack *s)
{
	/* No IPv4 super-packets: a GRE-encapsulated one cannot be described
	 * by a virtio-net header, so IPv4 arrives segmented (dp.c). */
	struct lib_tun_opts o = { .vnet_hdr = 1, .offload = 1, .multiqueue = 0,
				  .no_gso4 = 1, .mtu = 0, .txqlen = 10000 };
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
	for (size_t i = 0; i < NET_NSYSCTL; i++)
		sysctl_save_set(s, net_sysctls[i].path, net_sysctls[i].value);
	/* Our DYNAMICXCF address is the care-of address: routed into the TUN,
	 * never local (the kernel would reject the RH2 itself). */
	r = vipa_addr_is_v4(s->xcfaddr) ? 0 :
	    lib_nl_route(s->nl, 1, 254, s->xcfaddr, 128, s->tun_ifindex, NULL);
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
	return vipa_addr_is_v4(s->xcfaddr4) ? setup_v4(s) : 0;
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
	if (s->nl && s->local_rule4_moved &&
	    (lib_nl_rule_af(s->nl, AF_INET, 1, 0, NULL, NULL, 0, 0, 255) < 0 ||
	     lib_nl_rule_af(s->nl, AF_INET, 0, STACK_PRIO_LOCAL, NULL, NULL, 0, 0, 255) < 0))
		log_warnx("cannot put the IPv4 local routing rule back at priority 0");
	s->local_rule4_moved = 0;
	for (size_t i = 0; i < sizeof(s->sysctl_old) / sizeof(s->sysctl_old[0]); i++) {
		struct stack_sysctl *o = &s->sysctl_old[i];
		char now[16];

		if (o->path[0] && o->saved && sysctl_get(o->path, now, sizeof(now)) == 0 &&
		    strcmp(now, o->old) != 0)
			lib_sysctl_set(o->path, o->old);
		o->path[0] = '\0';
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
 * of the DVIPA's family (routed into the TUN anyway): a routing daemon then sees a connected
 * route for that, not for the DVIPA, so only the owner's host route
 * (ndp.c) advertises the DVIPA.  No prefix route: every route on the TUN is
 * one the stack put there.  When an address with a peer goes, the kernel
 * deletes the first route to the peer on the device it finds: its own peer
 * route, or, once that went with an earlier DVIPA, our care-of route; so
 * the care-of route is put back after every removal. */
void
stack_net_dvipa_local(struct stack *s, struct stack_dvipa *d, int on)
{
	/* An IPv4 DVIPA's peer is the IPv4 DYNAMICXCF address. */
	const uint8_t *peer = !vipa_addr_is_v4(d->addr) ? s->xcfaddr :
			      vipa_addr_is_v4(s->xcfaddr4) ? s->xcfaddr4 : d->addr;
	int r = lib_nl_addr_peer(s->nl, on, s->tun_ifindex, d->addr, peer, 128,
				 IFA_F_NODAD | IFA_F_NOPREFIXROUTE);
	char a[64];

	if (r < 0)
		log_warnx("cannot %s DVIPA %s on %s: %s", on ? "add" : "remove",
			  vipa_addr_str(d->addr, a, sizeof(a)), STACK_TUN_NAME, strerror(-r));
	if (!on && peer != d->addr &&
	    (r = lib_nl_route(s->nl, 1, 254, peer, 128, s->tun_ifindex, NULL)) < 0)
		log_warnx("cannot route the DYNAMICXCF address into %s again: %s", STACK_TUN_NAME,
			  strerror(-r));
}

/* The owner answers neighbour solicitations (IPv6, ndp.c) or ARP requests
 * (IPv4, a proxy entry) for the DVIPA; a stack that gave it up does not,
 * even while it still forwards what reaches it (MOVING).  While it answers,
 * the owner also has the DVIPA's host route on its TUN in the main table,
 * which a routing daemon advertises (ndp.c for IPv6; DVIPA/32 here for
 * IPv4, which ospfd redistributes as ospf6d does the /128). */
void
stack_net_answer(struct stack *s, struct stack_dvipa *d, int on)
{
	char a[64];
	int r;

	if (!vipa_addr_is_v4(d->addr)) {
		stack_ndp_join(s, d->addr, on);
		return;
	}
	vipa_addr_str(d->addr, a, sizeof(a));
	r = lib_nl_route(s->nl, on, 254, d->addr, 128, s->tun_ifindex, NULL);
	if (r < 0)
		log_warnx("cannot %s the host route of %s on %s: %s", on ? "add" : "remove", a,
			  STACK_TUN_NAME, strerror(-r));
	r = lib_nl_proxy_neigh(s->nl, on, s->lan_ifindex, d->addr);
	if (r < 0)
		log_warnx("cannot %s the proxy ARP entry of %s: %s", on ? "add" : "remove", a,
			  strerror(-r));
}

/* The family's part of stack_net_route_in: answering for the DVIPA and,
 * when it starts, announcing it once (IPv4: proxy ARP and a gratuitous ARP;
 * IPv6: the NDP join and an unsolicited neighbour advertisement).  < 0 when
 * the NDP join failed. */
static int
net_route_in_answer(struct stack *s, struct stack_dvipa *d, int on, const char *a)
{
	int r = 0;

	if (vipa_addr_is_v4(d->addr)) {
		/* IPv4: proxy ARP answers while the route leads into the TUN. */
		stack_net_answer(s, d, on);
		if (on && lib_arp_send_garp(s->lanif, d->addr + 12) < 0)
			log_warnx("gratuitous ARP for %s failed", a);
	} else {
		r = stack_ndp_join(s, d->addr, on);
		if (on && lib_ndisc_send_una(s->lanif, d->addr) < 0)
			log_warnx("unsolicited neighbour advertisement for %s failed", a);
	}
	return r;
}

/* The routing stack takes LAN-inbound packets for the DVIPA into its TUN and
 * answers neighbour solicitations or ARP requests for it.
 *
 * Table STACK_TABLE_DVIPA also holds a blackhole for the DVIPA, below the
 * route into the TUN (a higher metric).  When the stack dies, its TUN goes
 * down before it goes away: the kernel flushes the routes through it at
 * once, but the DVIPA stays a local address (the local table keeps the
 * address of a down device) until the device is unregistered, which a
 * busy machine can take many milliseconds to reach.  Without the blackhole
 * a client's packet arriving then fell through the emptied table to the
 * local table, was delivered here and, its connection being on another
 * target, answered with a RST: the connection was lost although the
 * takeover saves it.  With it such packets are dropped, the client
 * retransmits, and the new owner routes them.  The blackhole outlives a
 * killed stack like the rule does; the next one finds both as it would set
 * them. */
void
stack_net_route_in(struct stack *s, struct stack_dvipa *d, int on)
{
	char a[64];
	int r = 0;

	vipa_addr_str(d->addr, a, sizeof(a));
	if (on) {
		r |= lib_nl_route_blackhole(s->nl, 1, STACK_TABLE_DVIPA, d->addr, 128,
					    STACK_METRIC_BLACKHOLE);
		r |= lib_nl_route(s->nl, 1, STACK_TABLE_DVIPA, d->addr, 128, s->tun_ifindex, NULL);
		r |= lib_nl_rule(s->nl, 1, STACK_PRIO_DVIPA, s->lanif, d->addr, 128, 0,
				 STACK_TABLE_DVIPA);
		r |= net_route_in_answer(s, d, 1, a);
		d->announce_left = STACK_ANNOUNCE_REPEATS;
		d->announce_next_ms = lib_now_ms() + STACK_ANNOUNCE_MS;
	} else {
		d->announce_left = 0;
		r |= net_route_in_answer(s, d, 0, a);
		r |= lib_nl_rule(s->nl, 0, STACK_PRIO_DVIPA, s->lanif, d->addr, 128, 0,
				 STACK_TABLE_DVIPA);
		r |= lib_nl_route(s->nl, 0, STACK_TABLE_DVIPA, d->addr, 128, s->tun_ifindex, NULL);
		r |= lib_nl_route_blackhole(s->nl, 0, STACK_TABLE_DVIPA, d->addr, 128,
					    STACK_METRIC_BLACKHOLE);
	}
	if (r < 0)
		log_warnx("routing of DVIPA %s into %s could not be %s", a, STACK_TUN_NAME,
			  on ? "set up" : "removed");
}

int
stack_net_announce(struct stack *s, const struct stack_dvipa *d)
{
	if (vipa_addr_is_v4(d->addr))
		return lib_arp_send_garp(s->lanif, d->addr + 12);
	return lib_ndisc_send_una(s->lanif, d->addr);
}

int
stack_net_announce_tick(struct stack *s)
{
	uint64_t now = lib_now_ms();
	int i, n = 0;

	for (i = 0; i < s->ndv; i++) {
		struct stack_dvipa *d = &s->dv[i];

		if (!d->owned || !d->announce_left || now < d->announce_next_ms)
			continue;
		d->announce_left--;
		d->announce_next_ms = now + STACK_ANNOUNCE_MS;
		if (stack_net_announce(s, d) < 0)
			lib_verdict(&s->bus_verdicts, "cannot repeat a DVIPA's announcement");
		n++;
	}
	return n;
}
