"""16-bit colour PNGs, which Pillow reduces to 8 bits: a small reader (every filter type,
non-interlaced) and writer (zlib, filter 0) for bit depth 16."""
import struct
import zlib

from ..backend import host as np

_SIG = b"\x89PNG\r\n\x1a\n"
_CHANNELS = {0: 1, 2: 3, 4: 2, 6: 4}


def header(data):
    """``(width, height, bit depth, colour type, interlace)`` from the IHDR chunk."""
    w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", data[16:29])
    return w, h, depth, ctype, interlace


def _chunks(data):
    pos = 8
    while pos + 8 <= len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        yield kind, data[pos + 8:pos + 8 + n]
        pos += 12 + n


def _paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else (b if pb <= pc else c)


def decode16(data):
    """A non-interlaced 16-bit PNG as a [h, w, c] uint16 array."""
    w, h, depth, ctype, interlace = header(data)
    if depth != 16 or ctype not in _CHANNELS or interlace:
        raise ValueError("not a non-interlaced 16-bit PNG")
    c = _CHANNELS[ctype]
    bpp = 2 * c
    stride = w * bpp
    raw = zlib.decompress(b"".join(body for kind, body in _chunks(data) if kind == b"IDAT"))
    rows = np.frombuffer(raw, np.uint8)[:h * (stride + 1)].reshape(h, stride + 1)
    out = np.zeros((h, stride), np.uint8)
    prior = np.zeros(stride, np.int64)
    for y in range(h):
        f, line = rows[y, 0], rows[y, 1:].astype(np.int64)
        if f == 0:
            rec = line
        elif f == 2:
            rec = (line + prior) % 256
        elif f == 1:
            rec = np.cumsum(line.reshape(w, bpp), axis=0).reshape(-1) % 256
        else:
            rec = line.copy()
            for x in range(stride):
                a = rec[x - bpp] if x >= bpp else 0
                b = prior[x]
                if f == 3:
                    rec[x] = (rec[x] + (a + b) // 2) % 256
                else:
                    cc = prior[x - bpp] if x >= bpp else 0
                    rec[x] = (rec[x] + _paeth(a, b, cc)) % 256
        out[y] = rec
        prior = rec
    return out.view(">u2").astype(np.uint16).reshape(h, w, c)


def _chunk(kind, body):
    return (struct.pack(">I", len(body)) + kind + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))


def encode16(a, level):
    """A [h, w, c] uint16 array (c in 1..4) as PNG bytes."""
    h, w, c = a.shape
    ctype = {1: 0, 2: 4, 3: 2, 4: 6}[c]
    rows = a.astype(">u2").reshape(h, w * c).view(np.uint8)
    raw = np.concatenate([np.zeros((h, 1), np.uint8), rows], 1).tobytes()
    ihdr = struct.pack(">IIBBBBB", w, h, 16, ctype, 0, 0, 0)
    return (_SIG + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(raw, level))
            + _chunk(b"IEND", b""))
