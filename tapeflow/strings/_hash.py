"""The string hashes behind ``tf.strings.to_hash_bucket_fast`` (FarmHash's Fingerprint64,
the "na" variant of its 64-bit hash) and ``to_hash_bucket_strong`` (SipHash-2-4 keyed by
two 64-bit words), written from the public descriptions of both algorithms.

All arithmetic is on Python ints masked to 64 bits; reads are little-endian.
"""
_M = (1 << 64) - 1
_K0 = 0xC3A5C85C97CB3127
_K1 = 0xB492B66FBE98F273
_K2 = 0x9AE16A3B2F90404F


def _u64(s, i):
    return int.from_bytes(s[i:i + 8], "little")


def _u32(s, i):
    return int.from_bytes(s[i:i + 4], "little")


def _rot(v, r):  # rotate right
    return ((v >> r) | (v << (64 - r))) & _M


def _shift_mix(v):
    return v ^ (v >> 47)


def _len16(u, v, mul):
    a = ((u ^ v) * mul) & _M
    a ^= a >> 47
    b = ((v ^ a) * mul) & _M
    b ^= b >> 47
    return (b * mul) & _M


def _len0to16(s, n):
    if n >= 8:
        mul = _K2 + n * 2
        a = (_u64(s, 0) + _K2) & _M
        b = _u64(s, n - 8)
        c = (_rot(b, 37) * mul + a) & _M
        d = ((_rot(a, 25) + b) * mul) & _M
        return _len16(c, d, mul)
    if n >= 4:
        mul = _K2 + n * 2
        return _len16((n + (_u32(s, 0) << 3)) & _M, _u32(s, n - 4), mul)
    if n > 0:
        y = (s[0] + (s[n >> 1] << 8)) & 0xFFFFFFFF
        z = (n + (s[n - 1] << 2)) & 0xFFFFFFFF
        return (_shift_mix(((y * _K2) ^ (z * _K0)) & _M) * _K2) & _M
    return _K2


def _len17to32(s, n):
    mul = _K2 + n * 2
    a = (_u64(s, 0) * _K1) & _M
    b = _u64(s, 8)
    c = (_u64(s, n - 8) * mul) & _M
    d = (_u64(s, n - 16) * _K2) & _M
    return _len16((_rot((a + b) & _M, 43) + _rot(c, 30) + d) & _M,
                  (a + _rot((b + _K2) & _M, 18) + c) & _M, mul)


def _len33to64(s, n):
    mul = _K2 + n * 2
    a = (_u64(s, 0) * _K2) & _M
    b = _u64(s, 8)
    c = (_u64(s, n - 8) * mul) & _M
    d = (_u64(s, n - 16) * _K2) & _M
    y = (_rot((a + b) & _M, 43) + _rot(c, 30) + d) & _M
    z = _len16(y, (a + _rot((b + _K2) & _M, 18) + c) & _M, mul)
    e = (_u64(s, 16) * mul) & _M
    f = _u64(s, 24)
    g = ((y + _u64(s, n - 32)) * mul) & _M
    h = ((z + _u64(s, n - 24)) * mul) & _M
    return _len16((_rot((e + f) & _M, 43) + _rot(g, 30) + h) & _M,
                  (e + _rot((f + a) & _M, 18) + g) & _M, mul)


def _weak32(s, i, a, b):
    w, x, y, z = _u64(s, i), _u64(s, i + 8), _u64(s, i + 16), _u64(s, i + 24)
    a = (a + w) & _M
    b = _rot((b + a + z) & _M, 21)
    c = a
    a = (a + x + y) & _M
    b = (b + _rot(a, 44)) & _M
    return (a + z) & _M, (b + c) & _M


def fingerprint64(s):
    """FarmHash Fingerprint64 of the bytes ``s`` (an unsigned 64-bit int)."""
    n = len(s)
    if n <= 16:
        return _len0to16(s, n)
    if n <= 32:
        return _len17to32(s, n)
    if n <= 64:
        return _len33to64(s, n)
    seed = 81
    x = seed
    y = (seed * _K1 + 113) & _M
    z = (_shift_mix((y * _K2 + 113) & _M) * _K2) & _M
    v0 = v1 = w0 = w1 = 0
    x = (x * _K2 + _u64(s, 0)) & _M
    end = ((n - 1) // 64) * 64
    last64 = end + ((n - 1) & 63) - 63
    i = 0
    while True:
        x = (_rot((x + y + v0 + _u64(s, i + 8)) & _M, 37) * _K1) & _M
        y = (_rot((y + v1 + _u64(s, i + 48)) & _M, 42) * _K1) & _M
        x ^= w1
        y = (y + v0 + _u64(s, i + 40)) & _M
        z = (_rot((z + w0) & _M, 33) * _K1) & _M
        v0, v1 = _weak32(s, i, (v1 * _K1) & _M, (x + w0) & _M)
        w0, w1 = _weak32(s, i + 32, (z + w1) & _M, (y + _u64(s, i + 16)) & _M)
        z, x = x, z
        i += 64
        if i == end:
            break
    mul = _K1 + ((z & 0xFF) << 1)
    i = last64
    w0 = (w0 + ((n - 1) & 63)) & _M
    v0 = (v0 + w0) & _M
    w0 = (w0 + v0) & _M
    x = (_rot((x + y + v0 + _u64(s, i + 8)) & _M, 37) * mul) & _M
    y = (_rot((y + v1 + _u64(s, i + 48)) & _M, 42) * mul) & _M
    x ^= (w1 * 9) & _M
    y = (y + v0 * 9 + _u64(s, i + 40)) & _M
    z = (_rot((z + w0) & _M, 33) * mul) & _M
    v0, v1 = _weak32(s, i, (v1 * mul) & _M, (x + w0) & _M)
    w0, w1 = _weak32(s, i + 32, (z + w1) & _M, (y + _u64(s, i + 16)) & _M)
    z, x = x, z
    return _len16((_len16(v0, w0, mul) + _shift_mix(y) * _K0 + z) & _M,
                  (_len16(v1, w1, mul) + x) & _M, mul)


def _rotl(v, r):
    return ((v << r) | (v >> (64 - r))) & _M


def siphash24(k0, k1, s):
    """SipHash-2-4 of the bytes ``s`` under the key (``k0``, ``k1``), a 64-bit int."""
    v0 = k0 ^ 0x736F6D6570736575
    v1 = k1 ^ 0x646F72616E646F6D
    v2 = k0 ^ 0x6C7967656E657261
    v3 = k1 ^ 0x7465646279746573

    def rounds(v0, v1, v2, v3, k):
        for _ in range(k):
            v0 = (v0 + v1) & _M
            v1 = _rotl(v1, 13) ^ v0
            v0 = _rotl(v0, 32)
            v2 = (v2 + v3) & _M
            v3 = _rotl(v3, 16) ^ v2
            v0 = (v0 + v3) & _M
            v3 = _rotl(v3, 21) ^ v0
            v2 = (v2 + v1) & _M
            v1 = _rotl(v1, 17) ^ v2
            v2 = _rotl(v2, 32)
        return v0, v1, v2, v3

    n = len(s)
    full = n - n % 8
    for i in range(0, full, 8):
        m = _u64(s, i)
        v3 ^= m
        v0, v1, v2, v3 = rounds(v0, v1, v2, v3, 2)
        v0 ^= m
    last = ((n & 0xFF) << 56) | int.from_bytes(s[full:], "little")
    v3 ^= last
    v0, v1, v2, v3 = rounds(v0, v1, v2, v3, 2)
    v0 ^= last
    v2 ^= 0xFF
    v0, v1, v2, v3 = rounds(v0, v1, v2, v3, 4)
    return v0 ^ v1 ^ v2 ^ v3


# -- Fingerprint64 of many strings at once: the same steps on NumPy uint64 arrays -------------
def fingerprint64_many(strings):
    """``fingerprint64`` of every bytes object in the list ``strings``, as a uint64 array:
    strings of one length class go through each step together (NumPy's uint64 arithmetic
    wraps as the algorithm's does)."""
    import numpy as np  # deferred: the scalar hash above needs no NumPy

    n = len(strings)
    out = np.empty(n, np.uint64)
    if not n:
        return out
    lens = np.fromiter(map(len, strings), np.int64, n)
    buf = np.frombuffer(b"".join(strings) + bytes(64), np.uint8)
    starts = np.zeros(n, np.int64)
    np.cumsum(lens[:-1], out=starts[1:])
    u = np.uint64
    k0, k1, k2 = u(_K0), u(_K1), u(_K2)
    eight, four = np.arange(8), np.arange(4)

    def f64(rows, off):
        idx = (starts[rows] + off)[:, None] + eight
        return np.ascontiguousarray(buf[idx]).view("<u8").ravel()

    def f32(rows, off):
        idx = (starts[rows] + off)[:, None] + four
        return np.ascontiguousarray(buf[idx]).view("<u4").ravel().astype(np.uint64)

    def rot(v, r):
        return (v >> u(r)) | (v << u(64 - r))

    def smix(v):
        return v ^ (v >> u(47))

    def h16(a_, b_, mul):
        a = (a_ ^ b_) * mul
        a ^= a >> u(47)
        b = (b_ ^ a) * mul
        b ^= b >> u(47)
        return b * mul

    with np.errstate(over="ignore"):
        rows = np.flatnonzero(lens == 0)
        out[rows] = k2
        rows = np.flatnonzero((lens > 0) & (lens < 4))
        if rows.size:
            ln = lens[rows]
            b0 = buf[starts[rows]].astype(np.uint64)
            bm = buf[starts[rows] + (ln >> 1)].astype(np.uint64)
            bl = buf[starts[rows] + ln - 1].astype(np.uint64)
            y = (b0 + (bm << u(8))) & u(0xFFFFFFFF)
            z = (ln.astype(np.uint64) + (bl << u(2))) & u(0xFFFFFFFF)
            out[rows] = smix((y * k2) ^ (z * k0)) * k2
        rows = np.flatnonzero((lens >= 4) & (lens < 8))
        if rows.size:
            ln = lens[rows]
            mul = k2 + ln.astype(np.uint64) * u(2)
            a = f32(rows, 0)
            out[rows] = h16(ln.astype(np.uint64) + (a << u(3)), f32(rows, ln - 4), mul)
        rows = np.flatnonzero((lens >= 8) & (lens <= 16))
        if rows.size:
            ln = lens[rows]
            mul = k2 + ln.astype(np.uint64) * u(2)
            a = f64(rows, 0) + k2
            b = f64(rows, ln - 8)
            c = rot(b, 37) * mul + a
            d = (rot(a, 25) + b) * mul
            out[rows] = h16(c, d, mul)
        rows = np.flatnonzero((lens > 16) & (lens <= 32))
        if rows.size:
            ln = lens[rows]
            mul = k2 + ln.astype(np.uint64) * u(2)
            a = f64(rows, 0) * k1
            b = f64(rows, 8)
            c = f64(rows, ln - 8) * mul
            d = f64(rows, ln - 16) * k2
            out[rows] = h16(rot(a + b, 43) + rot(c, 30) + d, a + rot(b + k2, 18) + c, mul)
        rows = np.flatnonzero((lens > 32) & (lens <= 64))
        if rows.size:
            ln = lens[rows]
            mul = k2 + ln.astype(np.uint64) * u(2)
            a = f64(rows, 0) * k2
            b = f64(rows, 8)
            c = f64(rows, ln - 8) * mul
            d = f64(rows, ln - 16) * k2
            y = rot(a + b, 43) + rot(c, 30) + d
            z = h16(y, a + rot(b + k2, 18) + c, mul)
            e = f64(rows, 16) * mul
            f = f64(rows, 24)
            g = (y + f64(rows, ln - 32)) * mul
            h = (z + f64(rows, ln - 24)) * mul
            out[rows] = h16(rot(e + f, 43) + rot(g, 30) + h, e + rot(f + a, 18) + g, mul)
        rows = np.flatnonzero(lens > 64)
        if rows.size:
            out[rows] = _long_many(rows, lens[rows], f64, rot, smix, h16)
    return out


def _long_many(rows, ln, f64, rot, smix, h16):
    """The > 64-byte case of ``fingerprint64_many``: every string's 64-byte blocks in step,
    a string leaving the loop when its blocks are done."""
    import numpy as np  # deferred: as above

    u = np.uint64
    k0, k1, k2 = u(_K0), u(_K1), u(_K2)
    m = rows.size
    seed = u(81)
    x = np.full(m, seed, np.uint64)
    y = np.full(m, seed * k1 + u(113), np.uint64)
    z = smix(y * k2 + u(113)) * k2
    v0 = np.zeros(m, np.uint64)
    v1 = np.zeros(m, np.uint64)
    w0 = np.zeros(m, np.uint64)
    w1 = np.zeros(m, np.uint64)
    x = x * k2 + f64(rows, 0)
    blocks = (ln - 1) // 64  # loop iterations of each string

    def weak(r, off, a, b):
        w, xx, yy, zz = f64(r, off), f64(r, off + 8), f64(r, off + 16), f64(r, off + 24)
        a = a + w
        b = rot(b + a + zz, 21)
        c = a
        a = a + xx + yy
        b = b + rot(a, 44)
        return a + zz, b + c

    for j in range(int(blocks.max())):
        act = np.flatnonzero(blocks > j)
        r, off = rows[act], j * 64
        xa, ya, za = x[act], y[act], z[act]
        v0a, v1a, w0a, w1a = v0[act], v1[act], w0[act], w1[act]
        xa = rot(xa + ya + v0a + f64(r, off + 8), 37) * k1
        ya = rot(ya + v1a + f64(r, off + 48), 42) * k1
        xa ^= w1a
        ya = ya + v0a + f64(r, off + 40)
        za = rot(za + w0a, 33) * k1
        v0a, v1a = weak(r, off, v1a * k1, xa + w0a)
        w0a, w1a = weak(r, off + 32, za + w1a, ya + f64(r, off + 16))
        x[act], y[act], z[act] = za, ya, xa  # z and x swap
        v0[act], v1[act], w0[act], w1[act] = v0a, v1a, w0a, w1a
    mul = k1 + ((z & u(0xFF)) << u(1))
    last = blocks * 64 + ((ln - 1) & 63) - 63
    w0 = w0 + ((ln - 1) & 63).astype(np.uint64)
    v0 = v0 + w0
    w0 = w0 + v0
    x = rot(x + y + v0 + f64(rows, last + 8), 37) * mul
    y = rot(y + v1 + f64(rows, last + 48), 42) * mul
    x ^= w1 * u(9)
    y = y + v0 * u(9) + f64(rows, last + 40)
    z = rot(z + w0, 33) * mul
    v0, v1 = weak(rows, last, v1 * mul, x + w0)
    w0, w1 = weak(rows, last + 32, z + w1, y + f64(rows, last + 16))
    z, x = x, z
    return h16(h16(v0, w0, mul) + smix(y) * k0 + z, h16(v1, w1, mul) + x, mul)


def hash64(s, seed=0xDECAFCAFFE):
    """TF's own 64-bit string hash (``tf.strings.to_hash_bucket``): MurmurHash64A over
    little-endian 8-byte words, with TF's default seed."""
    m = 0xC6A4A7935BD1E995
    n = len(s)
    h = (seed ^ (n * m)) & _M
    full = n - n % 8
    for i in range(0, full, 8):
        k = (_u64(s, i) * m) & _M
        k ^= k >> 47
        k = (k * m) & _M
        h = ((h ^ k) * m) & _M
    if n % 8:
        h ^= int.from_bytes(s[full:], "little")
        h = (h * m) & _M
    h ^= h >> 47
    h = (h * m) & _M
    return h ^ (h >> 47)
