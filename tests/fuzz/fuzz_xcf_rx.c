/*
 * fuzz_xcf_rx.c - libFuzzer harness for the XCF receive path of xcf/xcf.c
 * (included here, its other files linked from build-fuzz/libxcf.a): a frame
 * as it comes off the bus with the member name its CURVE key was admitted
 * under (the ZAP User-Id), through on_frame: the rate limit, the envelope,
 * sender = key's member, the per-channel replay check, HEARTBEAT and LEAVE
 * (membership: peer up, restart, older incarnation, left), the directed /
 * group rules and the delivery of application messages.  (fuzz_stack_bus
 * has what the stack's handlers do with a delivered message; fuzz_xcf the
 * codecs.)  The member is SYSA of a sysplex of three, joined, without
 * sockets (its heartbeat answers are dropped).
 *
 * Input: one octet (bits 0-1: the key's member, SYSA itself, SYSB or SYSC;
 * bit 2: the group channel, else directed; bit 3: we are not joined; bit 4:
 * the channel's replay state is forgotten first), then the frame.  Proves,
 * for any input: no crash, no read out of bounds, no undefined behaviour;
 * a message reaches the application only from an active member other than
 * ourselves, on the sender's key, of its current incarnation, not older
 * than the last incarnation seen on that channel, with a sequence number
 * above the last of that incarnation there.  FUZZ_WRITE_SEEDS=DIR
 * writes the seed inputs into DIR and exits.
 */
#include "xcf/xcf.c"

#include "tests/fuzz/fuzz_seed.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct xcf *fx;
static struct xcf_couple fc;
static const char *const names[3] = { "SYSATCPCS", "SYSBTCPCS", "SYSCTCPCS" };
static int delivered;

static void
on_msg(struct xcf *x, const struct xcf_member_info *from, uint8_t type, const uint8_t *body,
       size_t len, int group, void *arg)
{
	(void)x;
	(void)type;
	(void)body;
	(void)len;
	(void)group;
	(void)arg;
	if (from->state != XCF_ACTIVE || !strcmp(from->member, names[0]))
		abort();
	delivered = 1;
}

static void
put(const char *dir, const char *name, uint8_t sel, uint8_t type, const char *sender,
    uint64_t inc, uint64_t seq, const uint8_t *body, size_t blen)
{
	struct wire_xcf_hdr h;
	uint8_t p[WIRE_XCF_HDR_LEN + 256];
	ssize_t n;

	memset(&h, 0, sizeof(h));
	h.version = WIRE_XCF_VERSION;
	h.type = type;
	h.body_len = (uint16_t)blen;
	lib_strlcpy(h.sender, sender, sizeof(h.sender));
	h.incarnation = inc;
	h.seq = seq;
	n = wire_xcf_hdr_encode(&h, p, sizeof(p));
	if (n < 0 || (size_t)n + blen > sizeof(p))
		return;
	if (blen)
		memcpy(p + n, body, blen);
	fuzz_seed_sel(dir, name, sel, p, (size_t)n + blen);
}

static void
write_seeds(const char *dir)
{
	struct wire_xcf_heartbeat hb;
	uint8_t b[128], vb[8] = { 0 };
	ssize_t n;

	memset(&hb, 0, sizeof(hb));
	hb.hb_interval_ms = 50;
	hb.fail_ms = 250;
	hb.state = 1;
	lib_strlcpy(hb.sysname, "SYSB", sizeof(hb.sysname));
	lib_strlcpy(hb.tcpname, "TCPCS", sizeof(hb.tcpname));
	hb.xcfaddr[0] = 0xfd;
	hb.xcfaddr[15] = 2;
	n = wire_xcf_heartbeat_encode(&hb, b, sizeof(b));
	if (n < 0)
		return;
	put(dir, "hb_sysb", 1 | 4 | 16, WIRE_XCF_HEARTBEAT, "SYSBTCPCS", 1000, 1, b, (size_t)n);
	put(dir, "hb_sysb_restart", 1 | 4 | 16, WIRE_XCF_HEARTBEAT, "SYSBTCPCS", 2000, 1, b,
	    (size_t)n);
	put(dir, "hb_directed", 1, WIRE_XCF_HEARTBEAT, "SYSBTCPCS", 1000, 5, b, (size_t)n);
	put(dir, "leave_sysb", 1 | 4, WIRE_XCF_LEAVE, "SYSBTCPCS", 1000, 9, NULL, 0);
	put(dir, "msg_sysb", 1 | 16, WIRE_XCF_LEAVE + 1, "SYSBTCPCS", 1000, 2, vb, sizeof(vb));
	put(dir, "msg_wrong_sender", 2, WIRE_XCF_LEAVE + 1, "SYSBTCPCS", 1000, 3, vb, sizeof(vb));
	put(dir, "from_self", 0 | 4, WIRE_XCF_HEARTBEAT, "SYSATCPCS", 1, 1, b, (size_t)n);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const struct xcf_cbs cbs = { .msg_cb = on_msg };
	char pub[41], sec[41], text[1024], err[300];
	struct xcf_config cfg;
	int len;

	(void)argc;
	(void)argv;
	fuzz_seed_init(write_seeds);
	if (zmq_curve_keypair(pub, sec) != 0)
		abort();
	len = snprintf(text, sizeof(text),
		       "SYSPLEX PLEX1\nINTERVAL 50 FAILURE 250\n"
		       "MEMBER SYSA TCPCS tcp://[fd00:1::1]:7000 WEIGHT 1 KEY %s\n"
		       "MEMBER SYSB TCPCS tcp://[fd00:1::2]:7000 WEIGHT 1 KEY "
		       "?j.2zgY1/6Va7X*YsL?UZ.aZBW889Yt{RGpFVymP\n"
		       "MEMBER SYSC TCPCS tcp://[fd00:1::3]:7000 WEIGHT 1 KEY "
		       "Xx?<n&oHMZ*()}ee=ID-I{H73P6:PV7]wnJCO5E^\n", pub);
	if (xcf_couple_parse_buf(&fc, "couple", text, (size_t)len, err, sizeof(err)) < 0) {
		fprintf(stderr, "fuzz_xcf_rx: %s\n", err);
		abort();
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.couple = &fc;
	cfg.sysname = "SYSA";
	cfg.tcpname = "TCPCS";
	cfg.secret_key = sec;
	cfg.peer_rate = 1u << 30;	/* the limit itself is a unit test's */
	cfg.xcfaddr[0] = 0xfd;
	cfg.xcfaddr[15] = 1;
	fx = xcf_new(uv_default_loop(), &cfg, &cbs, NULL);
	if (!fx)
		abort();
	fx->joined = 1;
	fx->self_state = XCF_ACTIVE;
	fx->m[fx->self].info.state = XCF_ACTIVE;
	fx->incarnation = 1;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xcf_peer *p;
	uint64_t inc, seq, rx_inc;
	int who, ch, was_active;

	if (size < 1 || size - 1 > XCF_FRAME_MAX + 1)
		return 0;
	who = (data[0] & 3) % 3;
	ch = (data[0] & 4) ? XCF_CH_GROUP : XCF_CH_DIRECTED;
	fx->joined = !(data[0] & 8);
	p = &fx->m[who];
	if (data[0] & 16)
		memset(p->rx, 0, sizeof(p->rx));
	inc = p->info.incarnation;
	seq = p->rx[ch].seq;
	rx_inc = p->rx[ch].inc;
	was_active = p->info.state == XCF_ACTIVE;
	delivered = 0;
	on_frame(fx, data + 1, size - 1, names[who], ch);
	if (delivered) {
		/* An application message: from an active member's current life,
		 * numbered above the last one on its channel. */
		if (!was_active || !fx->joined || p->info.incarnation != inc || inc < rx_inc ||
		    (inc == rx_inc && p->rx[ch].seq <= seq))
			abort();
	}
	return 0;
}
