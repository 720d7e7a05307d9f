#!/usr/bin/python3
"""mip6_vectors.py - independent reference for tests/unit/test_mip6.c.

Nothing here calls sysplex code: the return routability formulas of
RFC 6275 5.2.5 and 6.2.7 are written out again with Python's hmac/hashlib,
and Mobility Header bytes are built and parsed by Scapy.  The C test runs
this script with /usr/bin/python3 and compares.  Modes:

  rr           prints "key hex" lines: fixed inputs, keygen tokens, Kbm, and
               two complete Binding Updates (Authenticator and checksum
               filled in) laid out by the RFC rules implemented below.
  scapy-gen    prints "name hex" lines: Mobility Headers (and a Type 2
               Routing Header and a Home Address destination option) built
               by Scapy from the constants below, for the C decoder.
  scapy-check  reads "name hex" lines (the C encoders' output) on stdin,
               parses each with Scapy, checks every field against the same
               constants, walks the options itself to check the RFC
               alignment and padding, and verifies the checksum.  Exit
               status 0 only if every line was checked and matched.

If Scapy cannot be imported the scapy modes exit with status 2, so the C
test fails instead of silently skipping.  The constants below must match
the EXPECTED_* values in test_mip6.c.
"""
import hashlib
import hmac
import ipaddress
import struct
import sys

SRC = "2001:db8::1"
DST = "2001:db8::2"
HOME = "2001:db8::9"
ALT_COA = "2001:db8::5"
HOTI_COOKIE = bytes.fromhex("1122334455667788")
COTI_COOKIE = bytes.fromhex("8877665544332211")
HOT_INDEX, HOT_TOKEN = 0x0102, bytes.fromhex("a1a2a3a4a5a6a7a8")
COT_INDEX, COT_TOKEN = 0x0304, bytes.fromhex("b1b2b3b4b5b6b7b8")
BU_SEQ, BU_LIFETIME, BU_HNI, BU_CONI = 0x1234, 100, 7, 9
AUTH = bytes.fromhex("0102030405060708090a0b0c")
BA_SEQ, BA_LIFETIME, BA_REFRESH = 0x1234, 100, 30
VSO_VENDOR, VSO_SUBTYPE, VSO_DATA = 32473, 1, bytes.fromhex("c3501f90")


def addr(s):
    return ipaddress.IPv6Address(s).packed


def csum(src, dst, mh):
    """Internet checksum over the RFC 8200 8.1 pseudo-header (next header
    135) and the MH whose checksum field must already be zero."""
    data = src + dst + struct.pack("!I3xB", len(mh), 135) + mh
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def pad_to(buf, x, y):
    """RFC 6275 6.2.1 / RFC 8200 4.2: Pad1 or PadN up to offset xn+y."""
    n = (y - len(buf)) % x
    if n == 1:
        buf += b"\x00"
    elif n > 1:
        buf += bytes([1, n - 2]) + bytes(n - 2)
    return buf


# ---- rr ---------------------------------------------------------------------
def keygen_token(kcn, address, nonce, which):
    # RFC 6275 5.2.5: First(64, HMAC_SHA1(Kcn, (address | nonce | 0 or 1))).
    return hmac.new(kcn, address + nonce + bytes([which]), hashlib.sha1).digest()[:8]


def build_bu(seq, flags, lifetime, hni, coni, vso=None):
    """A BU with Nonce Indices, optional Vendor-Specific option and an empty
    Binding Authorization Data option; returns (mh, auth_off)."""
    mh = bytearray([59, 0, 5, 0, 0, 0]) + struct.pack("!HBBH", seq, flags, 0, lifetime)
    mh = pad_to(mh, 2, 0)
    mh += struct.pack("!BBHH", 4, 4, hni, coni)
    if vso:
        mh = pad_to(mh, 4, 2)
        vendor, subtype, data = vso
        mh += struct.pack("!BBIB", 19, 5 + len(data), vendor, subtype) + data
    mh = pad_to(mh, 8, 2)
    mh += bytes([5, 12])
    auth_off = len(mh)
    mh += bytes(12)
    mh = pad_to(mh, 8, 0)
    mh[1] = len(mh) // 8 - 1
    return mh, auth_off


def sign(mh, auth_off, kbm, coa, cn, src, dst):
    # RFC 6275 6.2.7: Authenticator = First(96, HMAC_SHA1(Kbm, coa | cn |
    # MH Data)); MH Data excludes the Authenticator field, checksum zero.
    mh[4:6] = b"\0\0"
    data = bytes(mh[:auth_off]) + bytes(mh[auth_off + 12:])
    auth = hmac.new(kbm, coa + cn + data, hashlib.sha1).digest()[:12]
    mh[auth_off:auth_off + 12] = auth
    mh[4:6] = struct.pack("!H", csum(src, dst, bytes(mh)))
    return auth


def mode_rr():
    out = []
    kcn = hashlib.sha1(b"sysplex test Kcn").digest()
    hoa, coa, cn = addr("fd00:100::1"), addr("fd00:1::b"), addr("fd00:2::c")
    hnonce = bytes.fromhex("0011223344556677")
    cnonce = bytes.fromhex("8899aabbccddeeff")
    htok = keygen_token(kcn, hoa, hnonce, 0)
    ctok = keygen_token(kcn, coa, cnonce, 1)
    kbm = hashlib.sha1(htok + ctok).digest()
    kbm_del = hashlib.sha1(htok).digest()
    out += [("kcn", kcn), ("hoa", hoa), ("coa", coa), ("cn", cn),
            ("home_nonce", hnonce), ("coa_nonce", cnonce),
            ("home_token", htok), ("coa_token", ctok),
            ("kbm", kbm), ("kbm_del", kbm_del)]
    # Registration: BU from the care-of address with a Home Address option,
    # so the checksum's source is the home address.
    seq, lifetime, hni, coni = 0x0042, 105, 3, 4
    mh, off = build_bu(seq, 0x80, lifetime, hni, coni)
    auth = sign(mh, off, kbm, coa, cn, hoa, cn)
    out += [("bu_fields", struct.pack("!HBHHH", seq, 0x80, lifetime, hni, coni)),
            ("bu_auth_off", struct.pack("!H", off)), ("bu_auth", auth),
            ("bu_mh", bytes(mh))]
    # Deregistration (lifetime 0): Kbm from the home token only, and the
    # "care-of address" in the Authenticator is the home address.  Carries
    # a Vendor-Specific option to exercise 4n+2 and the 8n+2 padding after it.
    seq, lifetime = 0x0043, 0
    mh, off = build_bu(seq, 0x80, lifetime, hni, coni,
                       (VSO_VENDOR, VSO_SUBTYPE, VSO_DATA))
    auth = sign(mh, off, kbm_del, hoa, cn, hoa, cn)
    out += [("del_fields", struct.pack("!HBHHH", seq, 0x80, lifetime, hni, coni)),
            ("del_auth_off", struct.pack("!H", off)), ("del_auth", auth),
            ("del_mh", bytes(mh))]
    for k, v in out:
        print(k, v.hex())


# ---- scapy ------------------------------------------------------------------
def import_scapy():
    try:
        from scapy.layers import inet6  # noqa: F401
        return inet6
    except Exception as e:  # any failure must fail the C test
        print("mip6_vectors.py: cannot import Scapy: %s" % e, file=sys.stderr)
        sys.exit(2)


def mode_scapy_gen():
    s = import_scapy()
    ip = s.IPv6(src=SRC, dst=DST)
    msgs = [
        ("brr", s.MIP6MH_BRR()),
        ("hoti", s.MIP6MH_HoTI(cookie=HOTI_COOKIE)),
        ("coti", s.MIP6MH_CoTI(cookie=COTI_COOKIE)),
        ("hot", s.MIP6MH_HoT(index=HOT_INDEX, cookie=HOTI_COOKIE, token=HOT_TOKEN)),
        ("cot", s.MIP6MH_CoT(index=COT_INDEX, cookie=COTI_COOKIE, token=COT_TOKEN)),
        ("bu", s.MIP6MH_BU(seq=BU_SEQ, flags="A", mhtime=BU_LIFETIME, options=[
            s.MIP6OptAltCoA(acoa=ALT_COA),
            s.MIP6OptNonceIndices(olen=4, hni=BU_HNI, coni=BU_CONI),
            s.MIP6OptUnknown(otype=19, odata=struct.pack("!IB", VSO_VENDOR, VSO_SUBTYPE)
                             + VSO_DATA),
            s.MIP6OptBindingAuthData(olen=12, authenticator=int.from_bytes(AUTH, "big"))])),
        ("ba", s.MIP6MH_BA(status=0, flags="K", seq=BA_SEQ, mhtime=BA_LIFETIME,
                           options=[s.MIP6OptBRAdvice(rinter=BA_REFRESH)])),
        ("be", s.MIP6MH_BE(status=2, ha=HOME)),
    ]
    for name, mh in msgs:
        raw = bytes(ip / mh)[40:]
        print(name, raw.hex())
    rh2 = s.IPv6ExtHdrRouting(nh=135, type=2, segleft=1, addresses=[HOME])
    print("rh2", bytes(rh2).hex())
    hao = s.IPv6ExtHdrDestOpt(nh=135, options=[s.HAO(hoa=HOME)])
    print("hao", bytes(hao).hex())


ALIGN = {2: (2, 0), 3: (8, 6), 4: (2, 0), 5: (8, 2), 19: (4, 2)}
FIXED_LEN = {2: 2, 3: 16, 4: 4, 5: 12}
MH_FIXED = {0: 8, 1: 16, 2: 16, 3: 24, 4: 24, 5: 12, 6: 12, 7: 24}


def walk_options(raw):
    """Our own walk of the options: checks alignment, exact lengths, zero
    padding, and returns {type: [(offset, data)]}."""
    off, found, after_auth = MH_FIXED[raw[2]], {}, False
    while off < len(raw):
        t = raw[off]
        if t == 0:
            off += 1
            continue
        assert off + 2 <= len(raw) and off + 2 + raw[off + 1] <= len(raw), "overrun"
        n = raw[off + 1]
        data = raw[off + 2:off + 2 + n]
        if t == 1:
            assert data == bytes(n), "PadN with non-zero data"
        else:
            assert not after_auth, "option after Binding Authorization Data"
            if t in ALIGN:
                x, y = ALIGN[t]
                assert off % x == y, "option %d at %d breaks %dn+%d" % (t, off, x, y)
            if t in FIXED_LEN:
                assert n == FIXED_LEN[t], "option %d length %d" % (t, n)
            found.setdefault(t, []).append((off, data))
            after_auth = t == 5
        off += 2 + n
    return found


def check_mh(s, name, raw):
    src, dst = addr(SRC), addr(DST)
    assert len(raw) % 8 == 0 and raw[1] == len(raw) // 8 - 1, "Header Len"
    assert raw[0] == 59, "Payload Proto"
    zero = raw[:4] + b"\0\0" + raw[6:]
    assert struct.unpack("!H", raw[4:6])[0] == csum(src, dst, zero), "checksum"
    opts = walk_options(raw)
    hdr = bytes(s.IPv6(src=SRC, dst=DST, nh=135, plen=len(raw)))
    p = s.IPv6(hdr + raw)
    if name == "brr":
        m = p[s.MIP6MH_BRR]
        assert m.mhtype == 0
    elif name in ("hoti", "coti"):
        m = p[s.MIP6MH_HoTI] if name == "hoti" else p[s.MIP6MH_CoTI]
        assert m.mhtype == (1 if name == "hoti" else 2)
        assert m.cookie == (HOTI_COOKIE if name == "hoti" else COTI_COOKIE)
    elif name in ("hot", "cot"):
        m = p[s.MIP6MH_HoT] if name == "hot" else p[s.MIP6MH_CoT]
        assert m.mhtype == (3 if name == "hot" else 4)
        assert m.index == (HOT_INDEX if name == "hot" else COT_INDEX)
        assert m.cookie == (HOTI_COOKIE if name == "hot" else COTI_COOKIE)
        assert m.token == (HOT_TOKEN if name == "hot" else COT_TOKEN)
    elif name == "bu":
        m = p[s.MIP6MH_BU]
        assert m.mhtype == 5 and m.seq == BU_SEQ and m.mhtime == BU_LIFETIME
        assert str(m.flags) == "A", "BU flags %s" % m.flags
        ni = m[s.MIP6OptNonceIndices]
        assert ni.olen == 4 and ni.hni == BU_HNI and ni.coni == BU_CONI
        assert m[s.MIP6OptAltCoA].acoa == ALT_COA
        bad = m[s.MIP6OptBindingAuthData]
        assert bad.olen == 12 and bad.authenticator == int.from_bytes(AUTH, "big")
        vso = [o for o in m.options if o.otype == 19]
        assert len(vso) == 1
        assert vso[0].odata == struct.pack("!IB", VSO_VENDOR, VSO_SUBTYPE) + VSO_DATA
        assert sorted(opts) == [3, 4, 5, 19]
        assert opts[5][0][0] + 14 == len(raw), "Authorization Data is not last"
    elif name == "ba":
        m = p[s.MIP6MH_BA]
        assert m.mhtype == 6 and m.status == 0 and m.seq == BA_SEQ
        assert m.mhtime == BA_LIFETIME and str(m.flags) == "K"
        assert m[s.MIP6OptBRAdvice].rinter == BA_REFRESH
    elif name == "be":
        m = p[s.MIP6MH_BE]
        assert m.mhtype == 7 and m.status == 2 and m.ha == HOME
    else:
        raise AssertionError("unknown name " + name)
    assert m.len == len(raw) // 8 - 1


def mode_scapy_check():
    s = import_scapy()
    seen = []
    for line in sys.stdin:
        if not line.strip():
            continue
        name, hexs = line.split()
        raw = bytes.fromhex(hexs)
        try:
            if name == "rh2":
                r = s.IPv6ExtHdrRouting(raw)
                assert r.type == 2 and r.len == 2 and r.segleft == 1 and r.nh == 135
                assert r.addresses == [HOME] and len(raw) == 24
            elif name == "hao":
                d = s.IPv6ExtHdrDestOpt(raw)
                assert d.nh == 135 and d.len == 2 and len(raw) == 24
                # Our own check of the layout (RFC 6275 6.3: 8n+6).
                assert raw[2:6] == bytes([1, 2, 0, 0]) and raw[6:8] == bytes([201, 16])
                assert raw[8:24] == addr(HOME)
                hao = [o for o in d.options if o.otype == 201]
                assert len(hao) == 1
                assert getattr(hao[0], "hoa", None) == HOME or \
                    bytes(hao[0])[2:18] == addr(HOME)
            else:
                check_mh(s, name, raw)
        except AssertionError as e:
            print("mip6_vectors.py: %s: %s" % (name, e), file=sys.stderr)
            sys.exit(1)
        seen.append(name)
    print("checked", " ".join(seen))
    if not seen:
        sys.exit(1)


if __name__ == "__main__":
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    if mode == "rr":
        mode_rr()
    elif mode == "scapy-gen":
        mode_scapy_gen()
    elif mode == "scapy-check":
        mode_scapy_check()
    else:
        print("usage: mip6_vectors.py rr|scapy-gen|scapy-check", file=sys.stderr)
        sys.exit(64)
