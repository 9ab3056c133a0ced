"""``tf.audio``: 16-bit PCM WAV files to float32 sample tensors and back (``decode_wav``,
``encode_wav``), on the host with the standard library's ``struct``."""
import struct

from ..backend import host as np
from ..dtypes import float32, int32, string
from ..errors import InvalidArgumentError
from ..io._files import scalar_bytes
from ..tensor import convert_to_tensor

__all__ = ["decode_wav", "encode_wav"]

_OP = "DecodeWav"


def _bad(message):
    return InvalidArgumentError(None, _OP, f"{message} [Op:{_OP}]")


def _chunks(b):
    """``{chunk id: bytes}`` of a RIFF/WAVE file, up to and including its ``data`` chunk."""
    if len(b) < 12:
        raise _bad("Data too short when trying to read string")
    if b[:4] != b"RIFF" or b[8:12] != b"WAVE":
        raise _bad(f"Header mismatch: Expected RIFF/WAVE but found {b[:4]!r}/{b[8:12]!r}")
    out, pos = {}, 12
    while "data" not in out:
        if pos + 8 > len(b):
            raise _bad("Data too short when trying to read string")
        cid, size = b[pos:pos + 4].decode("latin1"), struct.unpack_from("<I", b, pos + 4)[0]
        if pos + 8 + size > len(b):
            raise _bad("Data too short when trying to read string")
        out.setdefault(cid, b[pos + 8:pos + 8 + size])
        pos += 8 + size + (size & 1)
    return out


def decode_wav(contents, desired_channels=-1, desired_samples=-1, name=None):
    """``(audio, sample_rate)`` of a 16-bit PCM WAV file as ``tf.audio.decode_wav`` gives
    them: float32 ``[samples, channels]`` in [-1, 1) and an int32 scalar.

    Args:
        contents: the file's bytes (a scalar string tensor or ``bytes``).
        desired_channels: keep this many channels (extra ones dropped, a mono file's one
            repeated); -1 keeps the file's.
        desired_samples: pad with zeros or cut to this many samples; -1 keeps the file's.
        name: unused (TF's op name).

    Returns:
        The audio tensor and the sample rate tensor.

    Raises:
        InvalidArgumentError: not a WAV file, not 16-bit PCM, or truncated.
    """
    chunks = _chunks(scalar_bytes(contents, "contents", _OP))
    fmt = chunks.get("fmt ")
    if fmt is None or len(fmt) < 16:
        raise _bad("Data too short when trying to read string")
    audio_format, channels, rate, _, _, bits = struct.unpack_from("<HHIIHH", fmt)
    if audio_format not in (1, 0xFFFE):
        raise _bad(f"Bad audio format for WAV: Expected 1 (PCM), or 0xFFFE (Extensible), but "
                   f"got{audio_format}")
    if bits != 16:
        raise _bad(f"Can only read 16-bit WAV files, but received {bits}")
    if channels == 0:
        raise _bad("Bad number of channels for WAV file: 0")
    raw = chunks["data"]
    frames = len(raw) // (2 * channels)
    pcm = np.frombuffer(raw[:frames * 2 * channels], dtype="<i2").reshape(frames, channels)
    audio = pcm.astype(np.float32) / np.float32(32768.0)
    if desired_channels not in (-1, None) and desired_channels != channels:
        # extra channels are dropped; missing ones repeat the file's last channel (as TF)
        audio = audio[:, :desired_channels] if desired_channels < channels else \
            np.concatenate([audio] + [audio[:, -1:]] * (desired_channels - channels), axis=1)
    if desired_samples not in (-1, None):
        out = np.zeros((desired_samples, audio.shape[1]), np.float32)
        n = min(desired_samples, frames)
        out[:n] = audio[:n]
        audio = out
    return convert_to_tensor(audio), convert_to_tensor(np.int32(rate))


_ENC = "EncodeWav"


def encode_wav(audio, sample_rate, name=None):
    """A 16-bit PCM WAV file's bytes for float32 ``audio`` ``[samples, channels]``, as
    ``tf.audio.encode_wav`` writes them: samples scaled by 32768, rounded half away from
    zero and clipped to the int16 range.

    Args:
        audio: float32 samples, ``[samples, channels]``, nominally in [-1, 1).
        sample_rate: the sample rate (an int32 scalar).
        name: unused (TF's op name).

    Returns:
        A scalar string tensor.

    Raises:
        InvalidArgumentError: ``audio`` is not 2-D float32 or ``sample_rate`` not a scalar.
        TypeError: ``sample_rate`` is not an integer.
    """
    a = convert_to_tensor(audio)
    if a.dtype != float32:
        raise InvalidArgumentError(None, _ENC, f"cannot compute {_ENC} as input #0(zero-based) "
                                   f"was expected to be a float tensor but is a "
                                   f"{a.dtype.name} tensor [Op:{_ENC}]")
    rate = convert_to_tensor(sample_rate, int32)
    x = np.asarray(a.numpy(), np.float64)
    if x.ndim != 2:
        raise InvalidArgumentError(None, _ENC, f"audio must be 2-dimensional{list(x.shape)} "
                                   f"[Op:{_ENC}]")
    r = np.asarray(rate.numpy())
    if r.ndim != 0:
        raise InvalidArgumentError(None, _ENC, f"Input sample_rate should be a scalar tensor, "
                                   f"got {list(r.shape)} instead. [Op:{_ENC}]")
    scaled = x * 32768.0
    pcm = np.clip(np.sign(scaled) * np.floor(np.abs(scaled) + 0.5), -32768, 32767)
    data = pcm.astype("<i2").tobytes()
    channels, rate = x.shape[1], int(r)
    fmt = struct.pack("<HHIIHH", 1, channels, rate, rate * channels * 2, channels * 2, 16)
    body = b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt + b"data" + \
        struct.pack("<I", len(data)) + data
    out = np.empty((), object)
    out[()] = b"RIFF" + struct.pack("<I", len(body)) + body
    return convert_to_tensor(out, string)
