#!/usr/bin/python3
"""ip4_vectors.py - independent check for tests/unit/test_wire_ip4.c.

Reads "name hex" lines (packets built by the C encoders) on stdin and parses
each with Scapy, a tool this project did not write: the IPv4 header
checksum, the GRE header (flags, key, protocol, checksum over header and
payload), the inner packet and its TCP/UDP checksum, and the ICMP
fragmentation-needed error are checked against Scapy's own recomputation
and the constants below (which match test_wire_ip4.c).  Exit status 0 only
if every expected line was seen and matched; 2 if Scapy cannot be imported
(so the C test fails instead of silently skipping).
"""
import sys

OUTER_SRC, OUTER_DST, INNER_DST, REWRITTEN = "10.1.0.1", "10.1.0.3", "10.20.1.2", "10.1.0.3"


def recomputed(pkt, layer):
    """The checksum Scapy computes for `layer` of a copy of pkt."""
    from scapy.all import IP
    p = IP(bytes(pkt))
    del p[layer].chksum
    return IP(bytes(p))[layer].chksum


def check(name, raw):
    from scapy.all import GRE, ICMP, IP, TCP, UDP, IPerror
    ip = IP(raw)
    assert ip.version == 4 and ip.ihl == 5, "not a plain IPv4 header"
    assert ip.len == len(raw), "total length %d != %d" % (ip.len, len(raw))
    assert ip.chksum == recomputed(ip, IP), "IPv4 header checksum"
    if name.startswith("gre"):
        assert ip.proto == 47 and ip.src == OUTER_SRC and ip.dst == OUTER_DST
        assert ip.ttl == 64
        g = ip[GRE]
        assert g.proto == 0x0800 and g.version == 0 and g.recursion_control == 0
        if name == "gre_csum_key":
            assert g.chksum_present == 1 and g.key_present == 1 and g.key == 42
            assert ip.flags.DF and ip.tos == 0x10
            gre_bytes = bytes(g)
            s = 0
            for i in range(0, len(gre_bytes) - 1, 2):
                s += (gre_bytes[i] << 8) | gre_bytes[i + 1]
            if len(gre_bytes) % 2:
                s += gre_bytes[-1] << 8
            while s >> 16:
                s = (s & 0xffff) + (s >> 16)
            assert s == 0xffff, "GRE checksum does not verify"
            inner = g.payload
            assert inner[IP].proto == 6 and inner[TCP].chksum == recomputed(inner, TCP)
        else:
            assert g.chksum_present == 0 and g.key_present == 0 and not ip.flags.DF
            inner = g.payload
            assert inner[IP].proto == 17 and inner[UDP].chksum == recomputed(inner, UDP)
        assert inner[IP].dst == INNER_DST and inner[IP].chksum == recomputed(inner, IP)
    elif name == "tcp_rewritten":
        assert ip.dst == REWRITTEN and ip[TCP].chksum == recomputed(ip, TCP)
    elif name == "icmp_frag_needed":
        assert ip.proto == 1 and ip.src == INNER_DST and ip.dst == OUTER_SRC
        icmp = ip[ICMP]
        assert icmp.type == 3 and icmp.code == 4 and icmp.nexthopmtu == 1476
        assert icmp.chksum == recomputed(ip, ICMP), "ICMP checksum"
        assert ip[IPerror].dst == REWRITTEN
    else:
        raise AssertionError("unknown vector")


def main():
    try:
        import scapy.all  # noqa: F401
    except Exception as e:  # pragma: no cover
        print("ip4_vectors.py: cannot import Scapy: %s" % e, file=sys.stderr)
        return 2
    want = {"gre_csum_key", "gre_plain", "tcp_rewritten", "icmp_frag_needed"}
    seen = set()
    for line in sys.stdin:
        if not line.strip():
            continue
        name, hexs = line.split()
        try:
            check(name, bytes.fromhex(hexs))
        except AssertionError as e:
            print("ip4_vectors.py: %s: %s" % (name, e), file=sys.stderr)
            return 1
        seen.add(name)
    if seen != want:
        print("ip4_vectors.py: missing %s" % sorted(want - seen), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
