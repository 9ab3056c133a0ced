"""Audio preprocessing: ``MelSpectrogram`` (a short-time Fourier transform's power warped to
the mel scale, optionally in decibels) and ``STFTSpectrogram`` (an STFT as a convolution with
trainable DFT kernels)."""
import math

from ...backend import host as np
from ...ops import array as A
from ...ops import conv as C
from ...ops import extra as X
from ...ops import indexing as P
from ...ops import linalg
from ...ops import math as M
from ...ops import reduction as R
from ...tensor import TensorBase, TensorShape, convert_to_tensor
from .. import backend, initializers
from ..ops import math as KM
from .base import InputSpec, Layer
from .convolutional import conv_output_length, normalize_data_format

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



class STFTSpectrogram(Layer):
    """Short-time Fourier transform of ``(batch, time, channels)`` signals as a strided 1-D
    convolution with windowed DFT kernels (the weights ``real_kernel`` and ``imag_kernel``,
    Keras's ``STFT`` initializer), giving per frame the log or plain magnitude, the power
    spectral density, the real or imaginary part, the angle, or real and imaginary parts
    together (``mode``)."""

    _MODES = ("log", "magnitude", "psd", "real", "imag", "angle", "stft")

    def __init__(self, mode="log", frame_length=256, frame_step=None, fft_length=None,
                 window="hann", periodic=False, scaling="density", padding="valid",
                 expand_dims=False, data_format=None, **kwargs):
        if frame_step is not None and (frame_step > frame_length or frame_step < 1):
            raise ValueError("`frame_step` should be a positive integer not greater than "
                             f"`frame_length`. Received frame_step={frame_step}, "
                             f"frame_length={frame_length}")
        if fft_length is not None and fft_length < frame_length:
            raise ValueError("`fft_length` should be not less than `frame_length`. Received "
                             f"fft_length={fft_length}, frame_length={frame_length}")
        if mode not in self._MODES:
            raise ValueError("Output mode is invalid, it must be one of "
                             f"{', '.join(self._MODES)}. Received: mode={mode}")
        if scaling is not None and scaling not in ("density", "spectrum"):
            raise ValueError("Scaling is invalid, it must be `None`, 'density' or 'spectrum'. "
                             f"Received scaling={scaling}")
        if padding not in ("valid", "same"):
            raise ValueError("Padding is invalid, it should be 'valid', 'same'. Received: "
                             f"padding={padding}")
        super().__init__(**kwargs)
        self.mode, self.frame_length, self.frame_step = mode, frame_length, frame_step
        self._frame_step = frame_step or frame_length // 2
        self.fft_length = fft_length
        self._fft_length = fft_length or 2 ** int(math.ceil(math.log2(frame_length)))
        self.window, self.periodic, self.scaling = window, periodic, scaling
        self.padding, self.expand_dims = padding, expand_dims
        self.data_format = normalize_data_format(data_format)
        self.input_spec = InputSpec(ndim=3)

    def build(self, input_shape):
        shape = (self.frame_length, 1, self._fft_length // 2 + 1)
        for side in ("real", "imag"):
            if self.mode != ("imag" if side == "real" else "real"):
                setattr(self, f"{side}_kernel", self.add_weight(
                    name=f"{side}_kernel", shape=shape, initializer=initializers.STFT(
                        side, self.window, self.scaling, self.periodic)))
        self.built = True

    def _conv(self, inputs, kernel):
        """``(batch, channels, bins, frames)``: each channel convolved on its own."""
        last = self.data_format == "channels_last"
        shape = list(inputs.shape)
        channels, steps = (shape[2], shape[1]) if last else (shape[1], shape[2])
        x = A.transpose(inputs, [0, 2, 1]) if last else inputs
        x = A.reshape(x, [-1, steps, 1] if last else [-1, 1, steps])
        kernel = kernel if kernel.dtype == x.dtype else M.cast(kernel, x.dtype)
        out = C.conv1d(x, kernel, self._frame_step, self.padding.upper(),
                       "NWC" if last else "NCW")
        if last:
            out = A.transpose(out, [0, 2, 1])
        bins, frames = out.shape[1], out.shape[2]
        return A.reshape(out, [-1, channels, bins, frames])

    def _adjust(self, out):
        channels, bins, frames = out.shape[1], out.shape[2], out.shape[3]
        if self.data_format == "channels_last":
            if self.expand_dims:
                return A.transpose(out, [0, 3, 2, 1])
            return A.transpose(A.reshape(out, [-1, channels * bins, frames]), [0, 2, 1])
        if self.expand_dims:
            return A.transpose(out, [0, 1, 3, 2])
        return A.reshape(out, [-1, channels * bins, frames])

    def call(self, inputs):
        if inputs.dtype.name not in ("float16", "float32", "float64"):
            raise TypeError("Invalid input type. Expected `float16`, `float32` or `float64`. "
                            f"Received: input type={inputs.dtype.name}")
        real = self._conv(inputs, self.real_kernel) if self.mode != "imag" else None
        imag = self._conv(inputs, self.imag_kernel) if self.mode != "real" else None
        if self.mode == "real":
            return self._adjust(real)
        if self.mode == "imag":
            return self._adjust(imag)
        if self.mode == "angle":
            return self._adjust(X.atan2(imag, real))
        if self.mode == "stft":
            return self._adjust(A.concat([real, imag], axis=2))
        power = M.square(real) + M.square(imag)
        if self.mode == "psd":
            inner = P.pad(power[:, :, 1:-1, :], [[0, 0], [0, 0], [1, 1], [0, 0]])
            return self._adjust(power + inner)
        eps = backend.epsilon()
        linear = self._adjust(M.sqrt(M.maximum(power, eps)))
        return linear if self.mode == "magnitude" else M.log(M.maximum(linear, eps))

    def compute_output_shape(self, input_shape):
        shape = tuple(TensorShape(input_shape).as_list())
        last = self.data_format == "channels_last"
        channels, steps = (shape[2], shape[1]) if last else (shape[1], shape[2])
        bins = (self._fft_length // 2 + 1) * (2 if self.mode == "stft" else 1)
        frames = conv_output_length(steps, self.frame_length, self.padding, self._frame_step)
        if self.expand_dims:
            return (shape[0], frames, bins, channels) if last else (shape[0], channels, frames,
                                                                    bins)
        total = None if channels is None else bins * channels
        return (shape[0], frames, total) if last else (shape[0], total, frames)

    def get_config(self):
        return {**super().get_config(), "mode": self.mode, "frame_length": self.frame_length,
                "frame_step": self.frame_step, "fft_length": self.fft_length,
                "window": self.window, "periodic": self.periodic, "scaling": self.scaling,
                "padding": self.padding, "data_format": self.data_format,
                "expand_dims": self.expand_dims}
