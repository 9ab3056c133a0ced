"""Weight initializers (``glorot_uniform``, ``he_normal``, ``zeros``...), seedable.

Values are drawn on the host with the keras RNG and handed to the layer as a Tensor.
"""
import math

from .. import dtypes
from ..backend import host as np
from ..tensor import convert_to_tensor
from . import _registry, backend


def _fans(shape):
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = int(np.prod(shape[:-2])) if len(shape) > 2 else 1
    return shape[-2] * receptive, shape[-1] * receptive


def _tensor(value, dtype):
    dt = dtypes.as_dtype(dtype or backend.floatx())
    return convert_to_tensor(np.asarray(value).astype(dt.as_numpy_dtype, order="C"))


def _truncated(gen, shape, mean, stddev):
    """Normal draws redrawn until they fall within two standard deviations."""
    out = gen.standard_normal(shape)
    bad = np.abs(out) > 2.0
    while bad.any():
        out[bad] = gen.standard_normal(int(bad.sum()))
        bad = np.abs(out) > 2.0
    return out * stddev + mean


class Initializer:
    """Base class: ``init(shape, dtype=None)`` returns a Tensor."""

    def __call__(self, shape, dtype=None):
        raise NotImplementedError

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class _Seeded(Initializer):
    def __init__(self, seed=None):
        self.seed = seed

    def _gen(self):
        return backend.initializer_rng(self.seed, type(self).__name__)


class Zeros(Initializer):
    def __call__(self, shape, dtype=None):
        return _tensor(np.zeros(tuple(shape)), dtype)


class Ones(Initializer):
    def __call__(self, shape, dtype=None):
        return _tensor(np.ones(tuple(shape)), dtype)


class Constant(Initializer):
    def __init__(self, value=0.0):
        self.value = value

    def __call__(self, shape, dtype=None):
        return _tensor(np.broadcast_to(np.asarray(self.value), tuple(shape)), dtype)

    def get_config(self):
        v = self.value
        return {"value": v.tolist() if hasattr(v, "tolist") else v}


class Identity(Initializer):
    def __init__(self, gain=1.0):
        self.gain = gain

    def __call__(self, shape, dtype=None):
        if len(shape) != 2:
            raise ValueError("Identity matrix initializer can only be used for 2D matrices. "
                             f"Received: shape={shape} of rank {len(shape)}.")
        return _tensor(self.gain * np.eye(*shape), dtype)

    def get_config(self):
        # NOTE: Keras 3.15's Identity config is empty (its gain is lost on a round trip);
        # tapeflow keeps the gain
        return {"gain": self.gain}


class RandomNormal(_Seeded):
    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def __call__(self, shape, dtype=None):
        return _tensor(self._gen().normal(self.mean, self.stddev, tuple(shape)), dtype)

    def get_config(self):
        return {"seed": self.seed, "mean": self.mean, "stddev": self.stddev}


class RandomUniform(_Seeded):
    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        super().__init__(seed)
        self.minval, self.maxval = minval, maxval

    def __call__(self, shape, dtype=None):
        return _tensor(self._gen().uniform(self.minval, self.maxval, tuple(shape)), dtype)

    def get_config(self):
        return {"seed": self.seed, "minval": self.minval, "maxval": self.maxval}


class TruncatedNormal(_Seeded):
    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def __call__(self, shape, dtype=None):
        return _tensor(_truncated(self._gen(), tuple(shape), self.mean, self.stddev), dtype)

    def get_config(self):
        return {"seed": self.seed, "mean": self.mean, "stddev": self.stddev}


class VarianceScaling(_Seeded):
    """Draws scaled by ``scale / fan`` (fan_in, fan_out or their average)."""

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None,
                 input_axes=None, output_axes=None):
        super().__init__(seed)
        # the kernel axes whose sizes make fan_in (fan_out); None: the usual ones
        self.input_axes, self.output_axes = input_axes, output_axes
        if scale <= 0.0:
            raise ValueError(f"Argument `scale` must be positive float. Received: scale={scale}")
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(f"Invalid `mode` argument: expected one of fan_in, fan_out, "
                             f"fan_avg. Received: mode={mode}")
        if distribution not in ("truncated_normal", "untruncated_normal", "uniform", "normal"):
            raise ValueError(f"Invalid `distribution` argument: expected one of "
                             f"truncated_normal, untruncated_normal, uniform. Received: "
                             f"distribution={distribution}")
        self.scale, self.mode, self.distribution = scale, mode, distribution

    # NOTE: (input axes, output axes) of the kernel when its fans are not the usual ones
    # (EinsumDense sets them, as Keras 3 does); None: fans from the shape
    fan_axes = None

    def __call__(self, shape, dtype=None):
        shape = tuple(int(d) for d in shape)
        if self.fan_axes is None:
            fan_in, fan_out = _fans(shape)
            if self.input_axes is not None:
                fan_in = _axes_size(shape, self.input_axes)
            if self.output_axes is not None:
                fan_out = _axes_size(shape, self.output_axes)
        else:
            fan_in, fan_out = (math.prod(shape[a] for a in axes) for axes in self.fan_axes)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        scale = self.scale / max(1.0, n)
        gen = self._gen()
        if self.distribution == "truncated_normal":
            # NOTE: 0.8796... is the stddev of a unit normal truncated at two stddevs.
            value = _truncated(gen, shape, 0.0, math.sqrt(scale) / 0.87962566103423978)
        elif self.distribution in ("untruncated_normal", "normal"):
            value = gen.normal(0.0, math.sqrt(scale), shape)
        else:
            limit = math.sqrt(3.0 * scale)
            value = gen.uniform(-limit, limit, shape)
        return _tensor(value, dtype)

    def get_config(self):
        return {"seed": self.seed, "scale": self.scale, "mode": self.mode,
                "distribution": self.distribution, "input_axes": self.input_axes,
                "output_axes": self.output_axes}


def _axes_size(shape, axes):
    """The product of ``shape``'s sizes along ``axes`` (one axis or a sequence of them)."""
    axes = (axes,) if isinstance(axes, int) else axes
    return math.prod(shape[a] for a in axes)


def _preset(name, scale, mode, distribution):
    class Preset(VarianceScaling):
        def __init__(self, seed=None, input_axes=None, output_axes=None):
            super().__init__(scale, mode, distribution, seed, input_axes, output_axes)

        def get_config(self):
            return {"seed": self.seed, "input_axes": self.input_axes,
                    "output_axes": self.output_axes}

    Preset.__name__ = Preset.__qualname__ = name
    return Preset


GlorotUniform = _preset("GlorotUniform", 1.0, "fan_avg", "uniform")
GlorotNormal = _preset("GlorotNormal", 1.0, "fan_avg", "truncated_normal")
HeNormal = _preset("HeNormal", 2.0, "fan_in", "truncated_normal")
HeUniform = _preset("HeUniform", 2.0, "fan_in", "uniform")
LecunNormal = _preset("LecunNormal", 1.0, "fan_in", "truncated_normal")
LecunUniform = _preset("LecunUniform", 1.0, "fan_in", "uniform")


class Orthogonal(_Seeded):
    def __init__(self, gain=1.0, seed=None):
        super().__init__(seed)
        self.gain = gain

    def __call__(self, shape, dtype=None):
        shape = tuple(int(d) for d in shape)
        if len(shape) < 2:
            raise ValueError(f"The tensor to initialize must be at least two-dimensional. "
                             f"Received: shape={shape} of rank {len(shape)}.")
        rows = int(np.prod(shape[:-1]))
        cols = shape[-1]
        a = self._gen().standard_normal((max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(a)
        q = q * np.sign(np.diag(r))
        if rows < cols:
            q = q.T
        return _tensor(self.gain * q[:rows, :cols].reshape(shape), dtype)

    def get_config(self):
        return {"seed": self.seed, "gain": self.gain}


def _window(name, length, periodic):
    """A named window of ``length`` samples (hann/hamming/boxcar here, else SciPy's)."""
    n = length + 1 if periodic else length
    if name in ("hann", "hanning", "hamming") and n > 1:
        a = 0.5 if name != "hamming" else 0.54
        w = a - (1 - a) * np.cos(2 * np.pi * np.arange(n) / (n - 1))
        return w[:length]
    if name in ("boxcar", "rect", "rectangular", "ones"):
        return np.ones(length)
    try:
        from scipy import signal  # optional: other windows come from SciPy
    except ImportError as e:
        raise ImportError(f"The window {name!r} needs SciPy: pip install scipy") from e
    return signal.get_window(name, length, fftbins=periodic)


class STFT(Initializer):
    """The real (``side='real'``) or imaginary part of a windowed DFT basis, for a
    ``(frame_length, input_channels, fft_bins)`` convolution kernel that computes an STFT."""

    def __init__(self, side="real", window="hann", scaling="density", periodic=False):
        if side not in ("real", "imag"):
            raise ValueError(f"side should be 'real' or 'imag', not {side}")
        if scaling is not None and scaling not in ("density", "spectrum"):
            raise ValueError("Scaling is invalid, it must be `None`, 'density' or 'spectrum'. "
                             f"Received scaling={scaling}")
        self.side, self.window, self.scaling, self.periodic = side, window, scaling, periodic

    def __call__(self, shape, dtype=None):
        frame_length, _, bins = (int(d) for d in shape)
        n_fft = (bins - 1) * 2
        freq = np.arange(bins).reshape(1, 1, bins) / n_fft
        time = np.arange(frame_length).reshape(frame_length, 1, 1)
        args = -2.0 * time * freq * np.pi
        kernel = np.cos(args) if self.side == "real" else np.sin(args)
        if self.window is not None:
            win = self.window
            win = _window(win, frame_length, self.periodic) if isinstance(win, str) \
                else np.asarray(win, dtype=np.float64)
            if win.ndim != 1 or win.shape[-1] != frame_length:
                raise ValueError("The shape of `window` must be equal to [frame_length]."
                                 f"Received: window shape={win.shape}")
            win = win.reshape(frame_length, 1, 1)
            scale = 1.0
            if self.scaling == "density":
                scale = np.sqrt(np.sum(win * win))
            elif self.scaling == "spectrum":
                scale = np.sum(np.abs(win))
            kernel = kernel * win / scale
        return _tensor(np.broadcast_to(kernel, (frame_length, shape[1], bins)), dtype)

    def get_config(self):
        return {"side": self.side, "window": self.window, "periodic": self.periodic,
                "scaling": self.scaling}


stft = STFTInitializer = STFT
zeros, ones, constant = Zeros, Ones, Constant
glorot_uniform, glorot_normal = GlorotUniform, GlorotNormal
he_normal, he_uniform = HeNormal, HeUniform
lecun_normal, lecun_uniform, orthogonal = LecunNormal, LecunUniform, Orthogonal
# NOTE: Keras 3 exports these classes under more names too
identity = IdentityInitializer = Identity
OrthogonalInitializer = Orthogonal
variance_scaling = VarianceScaling
random_normal, random_uniform, truncated_normal = RandomNormal, RandomUniform, TruncatedNormal


_CLASSES = (Zeros, Ones, Constant, Identity, RandomNormal, RandomUniform, TruncatedNormal,
            VarianceScaling, GlorotUniform, GlorotNormal, HeNormal, HeUniform, LecunNormal,
            LecunUniform, Orthogonal, STFT)
_registry.register("initializer", *_CLASSES, aliases={
    **{backend.snake_case(c.__name__): c for c in _CLASSES},
    "zeros": Zeros, "ones": Ones, "constant": Constant, "identity": Identity,
    "uniform": RandomUniform, "normal": RandomNormal})


def get(identifier):
    """An initializer for a name, a config dict, an instance, a class or a callable."""
    return _registry.get("initializer", identifier)


def serialize(initializer):
    """An initializer's Keras 3 config dict (``class_name``, ``config``...)."""
    return _registry.serialize(initializer)


def deserialize(config, custom_objects=None):
    """An initializer from its config dict or name (only built-in, registered and
    ``custom_objects`` classes resolve)."""
    return _registry.deserialize("initializer", config, custom_objects)
