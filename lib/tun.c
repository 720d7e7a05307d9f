/*
 * tun.c - opens a TUN device (one queue) for the packet paths of the stack
 * and the client agent.
 *
 * Contract (see lib.h): the device is created when missing, IFF_TUN |
 * IFF_NO_PI, plus IFF_VNET_HDR and IFF_MULTI_QUEUE on request.  With a vnet
 * header the header size is set to the 10-byte struct virtio_net_hdr (a
 * persistent device keeps the size a previous user chose).  Offloads: with
 * vnet header and offload, the widest set the kernel takes of
 * CSUM|TSO4|TSO6|USO4|USO6, then CSUM|TSO4|TSO6, then CSUM; otherwise none
 * (TUNSETOFFLOAD(0), because a persistent device keeps the last reader's
 * offloads).  Then MTU and txqueuelen, addrgenmode none (IPv6 stays enabled,
 * but the kernel adds no link-local address), and the link goes up, in that
 * order: addrgenmode must be set while the link is still down, and after the
 * MTU (an MTU below 1280 removes IPv6 from the device).  Returns a
 * non-blocking, close-on-exec fd or -errno; on failure nothing stays open.
 */
#include "lib/lib.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* Debian 12's <linux/if_tun.h> predates UDP segmentation offload. */
#ifndef TUN_F_USO4
#define TUN_F_USO4 0x20
#endif
#ifndef TUN_F_USO6
#define TUN_F_USO6 0x40
#endif

#define TUN_VNET_HDR_SZ 10	/* sizeof(struct virtio_net_hdr) */

/* Tries the offload sets from the widest down; 0 or -errno. */
static int
tun_set_offload(int fd, int no_gso4)
{
	static const unsigned sets[] = {
		TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_USO4 | TUN_F_USO6,
		TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6,
		TUN_F_CSUM,
	};
	const unsigned v4 = TUN_F_TSO4 | TUN_F_USO4;
	size_t i;

	for (i = 0; i < LIB_ARRAY_LEN(sets); i++) {
		if (ioctl(fd, TUNSETOFFLOAD, (unsigned long)(sets[i] & (no_gso4 ? ~v4 : ~0u))) == 0)
			return 0;
		if (errno != EINVAL)
			break;
	}
	return -errno;
}

/* Applies MTU, txqueuelen, addrgenmode none and up through rtnetlink. */
static int
tun_link_setup(const char *ifname, const struct lib_tun_opts *o)
{
	struct lib_nl *nl;
	int ifindex, err;

	ifindex = lib_nl_ifindex(ifname);
	if (ifindex <= 0)
		return -ENODEV;
	nl = lib_nl_open();
	if (!nl)
		return errno ? -errno : -ENOMEM;
	err = 0;
	if (o->mtu || o->txqlen)
		err = lib_nl_link_set(nl, ifindex, -1, o->mtu, o->txqlen);
	if (!err) {
		err = lib_nl_addrgen_none(nl, ifindex);
		/* Without IPv6 on the device (MTU < 1280) there is nothing to set. */
		if (err == -EAFNOSUPPORT)
			err = 0;
	}
	if (!err)
		err = lib_nl_link_set(nl, ifindex, 1, 0, 0);
	lib_nl_close(&nl);
	return err;
}

int
lib_tun_open(const char *ifname, const struct lib_tun_opts *o)
{
	static const struct lib_tun_opts defaults;
	struct ifreq ifr;
	int fd, err, hdrsz = TUN_VNET_HDR_SZ;

	if (!o)
		o = &defaults;
	if (!ifname || !ifname[0] || strlen(ifname) >= IFNAMSIZ)
		return -EINVAL;
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	lib_strlcpy(ifr.ifr_name, ifname, sizeof(ifr.ifr_name));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	if (o->vnet_hdr)
		ifr.ifr_flags |= IFF_VNET_HDR;
	if (o->multiqueue)
		ifr.ifr_flags |= IFF_MULTI_QUEUE;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0)
		goto fail;
	if (o->vnet_hdr && ioctl(fd, TUNSETVNETHDRSZ, &hdrsz) < 0)
		goto fail;
	if (o->vnet_hdr && o->offload) {
		err = tun_set_offload(fd, o->no_gso4);
		if (err)
			goto fail_err;
	} else if (ioctl(fd, TUNSETOFFLOAD, 0UL) < 0) {
		goto fail;
	}
	/* The kernel may have completed a name template such as "tun%d". */
	err = tun_link_setup(ifr.ifr_name, o);
	if (err)
		goto fail_err;
	return fd;
fail:
	err = -errno;
fail_err:
	close(fd);
	return err;
}
