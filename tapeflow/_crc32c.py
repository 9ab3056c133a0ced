"""CRC-32C (Castagnoli) as TFRecord files, TensorBoard event files and TensorFlow's
checkpoint bundles use it, and the mask TensorFlow and LevelDB put on stored CRCs.

``google_crc32c`` (a C implementation) is used when it is installed; otherwise long buffers
run as many lanes side by side in NumPy."""
import math

import numpy as np


def _make_table():
    table = np.zeros(256, np.uint32)
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table[i] = c
    return table


_TABLE = _make_table()
_TABLE_LIST = [int(x) for x in _TABLE]


_WORD_TABLES = []


def _word_tables():
    """The register after four zero bytes, from a register holding only its low (high) 16
    bits: CRC32C is linear, so ``low[x & 0xFFFF] ^ high[x >> 16]`` steps one word."""
    if not _WORD_TABLES:
        i = np.arange(65536, dtype=np.uint32)
        for v in (i.copy(), i << 16):
            for _ in range(4):
                v = _TABLE[v & 0xFF] ^ (v >> 8)
            _WORD_TABLES.append(v)
    return _WORD_TABLES


def _gf2_times(matrix, vec):
    out = i = 0
    while vec:
        if vec & 1:
            out ^= matrix[i]
        vec >>= 1
        i += 1
    return out


def _gf2_square(matrix):
    return [_gf2_times(matrix, m) for m in matrix]


def _zeros_operator(nbytes):
    """The 32x32 GF(2) matrix (as 32 column ints) that feeds ``nbytes`` zero bytes to a
    reflected CRC32C register."""
    one_bit = [0x82F63B78] + [1 << (i - 1) for i in range(1, 32)]  # one zero bit
    op = _gf2_square(_gf2_square(_gf2_square(one_bit)))  # one zero byte
    result = [1 << i for i in range(32)]
    while nbytes:
        if nbytes & 1:
            result = [_gf2_times(op, c) for c in result]
        nbytes >>= 1
        if nbytes:
            op = _gf2_square(op)
    return result


def _raw_scalar(reg, data):
    table = _TABLE_LIST
    for b in data:
        reg = table[(reg ^ b) & 0xFF] ^ (reg >> 8)
    return reg


_FAST = []


def _fast_crc():
    """``google_crc32c.extend`` when that package is installed and gives the standard check
    value, else None (looked up once)."""
    if not _FAST:
        try:
            import google_crc32c  # optional: a C implementation when installed

            ok = google_crc32c.extend(0, b"123456789") == 0xE3069283
            _FAST.append(google_crc32c.extend if ok else None)
        except ImportError:
            _FAST.append(None)
    return _FAST[0]


def crc32c(data, crc=0):
    """CRC32C of ``data`` continuing from ``crc``. Large buffers run as many lanes side by side
    in NumPy, combined with GF(2) shift operators (the same result as byte by byte)."""
    fast = _fast_crc()
    if fast is not None:
        return fast(crc, bytes(data))
    data = memoryview(data).cast("B")
    n = len(data)
    reg = crc ^ 0xFFFFFFFF
    if n < 2048:
        return _raw_scalar(reg, data) ^ 0xFFFFFFFF
    # NOTE: lanes of 4-byte words run side by side, one NumPy step per word position (two
    # 64K-entry tables fold a word into a register), then combine in Python (one GF(2) shift
    # per lane): both costs balance near sqrt(n)
    lane_words = max(16, int(math.sqrt(n * 0.3)))
    lane_len = lane_words * 4
    lanes = n // lane_len
    body = np.frombuffer(data, "<u4", count=lane_words * lanes).reshape(lanes, lane_words)
    body = np.ascontiguousarray(body.T)
    regs = np.zeros(lanes, np.uint32)
    regs[0] = reg
    low, high = _word_tables()
    for row in body:
        x = regs ^ row
        regs = low[x & 0xFFFF] ^ high[x >> 16]
    shift = _zeros_operator(lane_len)
    total = 0
    for r in regs.tolist():
        total = _gf2_times(shift, total) ^ r
    total = _raw_scalar(total, data[lane_len * lanes:])
    return total ^ 0xFFFFFFFF


def mask(crc):
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def unmask(masked):
    rot = (masked - 0xA282EAD8) & 0xFFFFFFFF
    return ((rot >> 17) | (rot << 15)) & 0xFFFFFFFF


def masked_crc32c(data):
    """The masked CRC-32C of ``data``, as a TFRecord stores it."""
    return mask(crc32c(data))


def crc32c_many(chunks):
    """The CRC-32Cs of many byte strings at once (a uint32 array): short ones of similar
    length run side by side in NumPy, four bytes a step (TFRecord readers check one CRC per
    record, mostly of small records)."""
    n = len(chunks)
    out = np.zeros(n, np.uint32)
    lens = np.fromiter(map(len, chunks), np.int64, n)
    order = np.argsort(lens, kind="stable")
    ranked = lens[order]
    low, high = _word_tables() if n > 1 else (None, None)
    i = 0
    while i < n:
        m = int(ranked[i])
        if m < 4 or m >= 2048 or n == 1:  # too short to flip, or long: one at a time
            j = i + 1
            for k in order[i:j].tolist():
                out[k] = crc32c(chunks[k])
            i = j
            continue
        # a group whose longest is at most about twice its shortest: left-padded with zero
        # bytes to a common multiple of 4 (zeros leave a zero register unchanged)
        j = int(np.searchsorted(ranked, 2 * m + 64, side="right"))
        j = min(j, int(np.searchsorted(ranked, 2048, side="left")))
        group = order[i:j].tolist()
        width = -(-int(ranked[j - 1]) // 4) * 4
        rows = np.frombuffer(b"".join(bytes(width - len(chunks[k])) + bytes(chunks[k])
                                      for k in group), np.uint8).reshape(len(group), width)
        rows = rows.copy()
        starts = width - lens[group]
        # the initial register 0xFFFFFFFF is the first four bytes flipped, from zero
        for d in range(4):
            rows[np.arange(len(group)), starts + d] ^= 0xFF
        words = rows.view("<u4")
        reg = np.zeros(len(group), np.uint32)
        for col in range(words.shape[1]):
            x = reg ^ words[:, col]
            reg = low[x & 0xFFFF] ^ high[x >> 16]
        out[group] = reg ^ np.uint32(0xFFFFFFFF)
        i = j
    return out


def masked_many(crcs):
    """``mask`` over a uint32 array."""
    c = crcs.astype(np.uint64)
    return ((((c >> 15) | (c << 17)) + 0xA282EAD8) & 0xFFFFFFFF).astype(np.uint32)
