"""Audio preprocessing: ``MelSpectrogram`` (a short-time Fourier transform's power warped to
the mel scale, optionally in decibels)."""
from ...backend import host as np
from ...ops import array as A
from ...ops import linalg
from ...ops import math as M
from ...ops import reduction as R
from ...tensor import TensorBase, convert_to_tensor
from ..ops import math as KM
from .base import Layer

_MEL_BREAK_HZ, _MEL_HIGH_Q = 700.0, 1127.0


def _hertz_to_mel(hz):
    return _MEL_HIGH_Q * np.log(1.0 + hz / _MEL_BREAK_HZ)


def mel_weight_matrix(num_mel_bins, num_spectrogram_bins, sampling_rate, lower_edge_hertz,
                      upper_edge_hertz, dtype="float32"):
    """``(num_spectrogram_bins, num_mel_bins)``: triangular filters, peak 1, evenly spaced on
    the HTK mel scale between the two edges (the DC bin gets no weight), as in Keras."""
    f = np.dtype(dtype).type
    nyquist = f(sampling_rate) / f(2.0)
    freqs = np.linspace(f(0.0), nyquist, num_spectrogram_bins, dtype=dtype)[1:]
    bins_mel = _hertz_to_mel(freqs)[:, None]
    edges = np.linspace(_hertz_to_mel(f(lower_edge_hertz)), _hertz_to_mel(f(upper_edge_hertz)),
                        num_mel_bins + 2, dtype=dtype)
    lower, center, upper = edges[:-2][None], edges[1:-1][None], edges[2:][None]
    lower_slopes = (bins_mel - lower) / (center - lower)
    upper_slopes = (upper - bins_mel) / (upper - center)
    weights = np.maximum(f(0.0), np.minimum(lower_slopes, upper_slopes))
    return np.pad(weights, [[1, 0], [0, 0]]).astype(dtype)


class MelSpectrogram(Layer):
    """Audio ``(batch, samples)`` (or ``(samples,)``) to a mel spectrogram
    ``(batch, num_mel_bins, frames)``: centred STFT frames of ``sequence_length`` samples
    every ``sequence_stride`` (Hann window by default), magnitudes to the power ``mag_exp``,
    mel filterbank, then decibels relative to ``ref_power`` clipped ``top_db`` below the
    maximum when ``power_to_db``."""

    def __init__(self, fft_length=2048, sequence_stride=512, sequence_length=None,
                 window="hann", sampling_rate=16000, num_mel_bins=128, min_freq=20.0,
                 max_freq=None, power_to_db=True, top_db=80.0, mag_exp=2.0, min_power=1e-10,
                 ref_power=1.0, **kwargs):
        self.fft_length, self.sequence_stride = fft_length, sequence_stride
        self.sequence_length = sequence_length or fft_length
        if self.fft_length < self.sequence_length:
            raise ValueError("`fft_length` must be greater than or equal to  `sequence_length`. "
                             f"Received: `sequence_length`={self.sequence_length}, "
                             f"`fft_length`={self.fft_length}.")
        self.window, self.sampling_rate, self.num_mel_bins = window, sampling_rate, num_mel_bins
        self.min_freq = min_freq
        self.max_freq = max_freq or int(sampling_rate / 2)
        self.power_to_db, self.top_db, self.mag_exp = power_to_db, top_db, mag_exp
        self.min_power, self.ref_power = min_power, ref_power
        super().__init__(**kwargs)

    def _convert(self, x):
        return x if isinstance(x, TensorBase) else convert_to_tensor(np.asarray(x))

    def call(self, inputs):
        dtype = self.compute_dtype if self.compute_dtype in ("float32", "float64") else "float32"
        x = inputs if inputs.dtype.name == dtype else M.cast(inputs, dtype)
        real, imag = KM.stft(x, self.sequence_length, self.sequence_stride, self.fft_length,
                             window=self.window, center=True)
        spec = M.pow(M.sqrt(M.square(real) + M.square(imag)), self.mag_exp)
        matrix = mel_weight_matrix(self.num_mel_bins, spec.shape[-1], self.sampling_rate,
                                   self.min_freq, self.max_freq, dtype)
        out = linalg.tensordot(spec, convert_to_tensor(matrix), 1)
        if self.power_to_db:
            out = self._dbscale(out)
        rank = out.ndim
        perm = list(range(rank - 2)) + [rank - 1, rank - 2]
        out = A.transpose(out, perm)
        return out if out.dtype.name == self.compute_dtype else M.cast(out, self.compute_dtype)

    def _dbscale(self, x):
        log_spec = 10.0 * M.log(M.maximum(x, self.min_power)) / np.log(10.0)
        ref = max(abs(float(self.ref_power)), self.min_power)
        log_spec = log_spec - 10.0 * float(np.log10(np.float32(ref)))
        return M.maximum(log_spec, R.reduce_max(log_spec) - self.top_db)

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        n = shape[-1]
        frames = None if n is None else (n + self.sequence_stride + 1) // self.sequence_stride
        return tuple(shape[:-1] + [self.num_mel_bins, frames])

    def get_config(self):
        return {**super().get_config(), "fft_length": self.fft_length,
                "sequence_stride": self.sequence_stride,
                "sequence_length": self.sequence_length, "window": self.window,
                "sampling_rate": self.sampling_rate, "num_mel_bins": self.num_mel_bins,
                "min_freq": self.min_freq, "max_freq": self.max_freq,
                "power_to_db": self.power_to_db, "top_db": self.top_db,
                "mag_exp": self.mag_exp, "min_power": self.min_power,
                "ref_power": self.ref_power}

