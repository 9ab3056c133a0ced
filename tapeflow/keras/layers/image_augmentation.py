"""Keras 3's batch-mixing and compound image augmentations: ``MixUp``, ``CutMix``,
``RandomErasing``, ``RandomGaussianBlur``, ``RandomPerspective``, ``RandomColorJitter``,
``RandAugment``, ``AugMix``, ``RandomElasticTransform``, CLAHE, ``MaxNumBoundingBoxes`` and
``Pipeline`` (see ``image_preprocessing`` for the shared machinery).

``MixUp`` and ``CutMix`` mix labels too when called on ``{"images": ..., "labels": ...}``.
"""
from ...backend import host as np
from ...backend import to_host
from ...ops import array as A
from ...ops import indexing as IX
from ...ops import math as M
from ...ops._core import Op, apply
from . import image_preprocessing as ip
from .base import Layer
from .image_preprocessing import BaseImagePreprocessingLayer, _as_tuple, _factor


def _beta(rng, alpha, size):
    return rng.beta(alpha, alpha, size=size).astype(np.float32)


def _labels_mixed(labels, perm, weight):
    """``weight * labels + (1 - weight) * labels[perm]`` with one weight per example."""
    y = labels.astype(np.float32) if labels.dtype.kind != "f" else labels
    w = weight.reshape((-1,) + (1,) * (y.ndim - 1)).astype(y.dtype)
    return w * y + (1 - w) * y[perm]


class MixUp(BaseImagePreprocessingLayer):
    """Blends each image with another of the batch (a random permutation) by a weight
    drawn from ``Beta(alpha, alpha)``; labels given in a dict are blended alike."""

    def __init__(self, alpha=0.2, data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        self.alpha = alpha

    def _params(self, rng, b):
        return rng.permutation(b), _beta(rng, self.alpha, b)

    def _apply(self, x, state):
        x = x if x.dtype == self.compute_dtype else M.cast(x, self.compute_dtype)
        drawn = self._draw(x, lambda s, rng: np.stack(self._params(rng, s[0])).astype(
            np.float64), state)
        perm = M.cast(drawn[0], "int64")
        w = self._per_image(x, M.cast(drawn[1], x.dtype))
        partner = IX.gather(x, perm, axis=0) if len(x.shape) == 4 else x
        return w * x + (1.0 - w) * partner

    def _augment_labels(self, labels, rng, image_shape):
        b = image_shape[0] if len(image_shape) == 4 else 1
        perm, w = self._params(rng, b)
        return _labels_mixed(labels, perm, w)

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha, "seed": self.seed}


def _box_mask(b, h, w, ratio_x, ratio_y, rng):
    """Per-example boxes of ``ratio`` times the sides at uniform positions: the mask
    ``(b, h, w, 1)`` and each box's share of the image."""
    def bounds(n, ratio):
        length = (ratio * n).astype(np.float32)
        start = rng.uniform(0, 1, size=b).astype(np.float32) * (np.float32(n) - length)
        return start, start + length

    x0, x1 = bounds(w, ratio_x)
    y0, y1 = bounds(h, ratio_y)
    gy, gx = np.meshgrid(np.arange(h, dtype=np.float32), np.arange(w, dtype=np.float32),
                         indexing="ij")
    c = lambda v: v[:, None, None]
    mask = (gx >= c(x0)) & (gx < c(x1)) & (gy >= c(y0)) & (gy < c(y1))
    return mask[..., None], ((x1 - x0) * (y1 - y0) / np.float32(w * h))


class CutMix(BaseImagePreprocessingLayer):
    """Pastes a random box of another image of the batch into each image, the box's area
    drawn from ``Beta(a, a)`` with ``a`` from ``factor``; dict labels are mixed by the area
    kept. A single (3-D) image passes through."""

    _moves_pixels = True

    _out = "float"

    def __init__(self, factor=1.0, seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        self.factor = _factor(factor, (0, 1))

    def _params(self, rng, b, h, w):
        alpha = np.float32(rng.uniform(self.factor[0], self.factor[1])) + np.float32(1e-6)
        weight = _beta(rng, alpha, b)
        ratio = np.sqrt(np.float32(1) - weight)
        mask, share = _box_mask(b, h, w, ratio, ratio, rng)
        return rng.permutation(b), mask, np.float32(1) - share

    def _call_images(self, inputs, training, state=None):
        x = self._convert(inputs)
        if len(x.shape) == 3:  # as Keras: nothing to mix with
            from ...ops import math as M  # deferred: only the single-image path

            return x if x.dtype == self.compute_dtype else M.cast(x, self.compute_dtype)
        return super()._call_images(x, training, state)

    def _apply(self, x, state):
        def draw(shape, rng):  # [permutation | box mask] per image
            b, h, w, _ = shape
            perm, mask, _ = self._params(rng, b, h, w)
            return np.concatenate([perm[:, None], mask.reshape(b, -1)], axis=1).astype(
                np.float64)

        drawn = self._draw(x, draw, state)
        perm = M.cast(drawn[:, 0], "int64")
        h_ax, w_ax = ip._hw_axes(x, self.data_format)
        shape = [x.shape[0], 1, 1, 1]
        shape[h_ax], shape[w_ax] = x.shape[h_ax], x.shape[w_ax]
        mask = M.cast(A.reshape(drawn[:, 1:], shape), "bool")
        return M.where(mask, IX.gather(x, perm, axis=0), x)

    def _augment_labels(self, labels, rng, image_shape):
        if len(image_shape) != 4:
            return labels
        h, w = (image_shape[1], image_shape[2]) if self.data_format == "channels_last" \
            else (image_shape[2], image_shape[3])
        perm, _, weight = self._params(rng, image_shape[0], h, w)
        return _labels_mixed(labels, perm, weight)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "seed": self.seed}


class RandomErasing(BaseImagePreprocessingLayer):
    """Overwrites a random box of each image (area share drawn from ``scale``), with
    probability drawn from ``factor``, by ``fill_value`` (None: Gaussian noise scaled to
    the top of ``value_range``), clipped to ``value_range``."""

    _out = "float"

    def __init__(self, factor=1.0, scale=(0.02, 0.33), fill_value=None, value_range=(0, 255),
                 seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        self.factor = _factor(factor, (0, 1))
        self.scale = _factor(scale, (0, 1))
        if fill_value is not None and not (
                isinstance(fill_value, (int, float)) or
                (isinstance(fill_value, (tuple, list)) and len(fill_value) == 3)):
            raise ValueError("The `fill_value` argument should be a number or a list of three "
                             f"numbers. Received: fill_value={fill_value}")
        self.fill_value = fill_value
        self.value_range = _as_tuple(value_range)

    def _apply(self, x, state):
        cf = self.data_format == "channels_first"

        def draw(shape, rng):  # [fill values..., erase flag] per pixel, channels last
            a = np.zeros(shape, np.float32)
            erased = self._augment(a, rng, flags=True)
            return np.asarray(erased, np.float64)

        drawn = M.cast(self._draw(x, draw, state), x.dtype)
        if cf:
            drawn = A.transpose(drawn, [0, 3, 1, 2])
        if len(x.shape) == 3:
            drawn = A.squeeze(drawn, [0])
        c_ax = len(x.shape) - 1 if not cf else len(x.shape) - 3
        n = x.shape[c_ax]
        begin = [0] * len(x.shape)
        size = list(drawn.shape)
        size[c_ax] = n
        fill = A.slice(drawn, begin, size)
        begin[c_ax], size[c_ax] = n, 1
        flag = M.cast(A.slice(drawn, begin, size), "bool")
        return M.where(flag, fill + M.zeros_like(x), x)

    def _augment(self, a, rng, flags=False):
        b, h, w, _ = a.shape
        share = np.sqrt(rng.uniform(self.scale[0], self.scale[1], size=(b, 2)).astype(
            np.float32))
        mask, _ = _box_mask(b, h, w, share[:, 0], share[:, 1], rng)
        p = rng.uniform(self.factor[0], self.factor[1], size=b)
        apply_ = (rng.uniform(0, 1, size=b) < p)[:, None, None, None]
        if self.fill_value is None:
            fill = rng.standard_normal(a.shape).astype(np.float32) * np.float32(
                self.value_range[1])
        else:
            fill = np.broadcast_to(np.asarray(self.fill_value, np.float32), a.shape)
        fill = np.clip(fill, self.value_range[0], self.value_range[1])
        if flags:  # the fill and where it goes, for the differentiable path
            return np.concatenate([fill, np.broadcast_to(apply_ & mask, (b, h, w, 1))], -1)
        return np.where(apply_ & mask, fill, a)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "scale": self.scale,
                "fill_value": self.fill_value, "value_range": self.value_range,
                "seed": self.seed}


def _gaussian_kernel(size, sigma):
    x = np.arange(size, dtype=np.float32) - np.float32((size - 1) / 2)
    k = np.exp(np.float32(-0.5) * (x / np.float32(sigma)) ** 2)
    return k / k.sum(dtype=np.float32)


def _blur_kernel(kernel_size, sigma):
    kx, ky = _gaussian_kernel(kernel_size[0], sigma[0]), _gaussian_kernel(kernel_size[1],
                                                                         sigma[1])
    # as Keras: the (y, x) outer product is laid out as kernel_size[0] rows (the same for a
    # square kernel, a reshuffle of it otherwise)
    return np.outer(ky, kx).astype(np.float32).reshape(kernel_size[0], kernel_size[1])


def gaussian_blur(a, kernel_size, sigma):
    """Blur NHWC host images with a separable Gaussian (``kernel_size`` and ``sigma`` as
    ``(x, y)`` pairs), zero-padded to the same size as Keras's depthwise convolution."""
    return _filter(a, _blur_kernel(kernel_size, sigma))


def _filter(a, kernel):
    """NHWC host images filtered per channel by ``kernel``, zero-padded ("same")."""
    rows, cols = kernel.shape
    h, w = a.shape[1:3]
    top, left = (rows - 1) // 2, (cols - 1) // 2
    padded = np.pad(a, [(0, 0), (top, rows - 1 - top), (left, cols - 1 - left), (0, 0)])
    out = np.zeros_like(a, dtype=np.float32)
    for i in range(rows):
        for j in range(cols):
            out += kernel[i, j] * padded[:, i:i + h, j:j + w]
    return out


class RandomGaussianBlur(BaseImagePreprocessingLayer):
    """Blurs each image, with probability drawn from ``factor``, by a Gaussian of
    ``kernel_size`` whose sigma is drawn from ``sigma``; clipped to ``value_range``."""

    _out = "float"

    def __init__(self, factor=1.0, kernel_size=3, sigma=1.0, value_range=(0, 255),
                 data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        self.factor = _factor(factor, (0, 1))
        if isinstance(kernel_size, (tuple, list)):
            if len(kernel_size) != 2 or kernel_size[0] % 2 == 0 or kernel_size[1] % 2 == 0:
                raise ValueError("The `kernel_size` argument should be a number (or a list "
                                 "of two numbers) that is odd. Received: "
                                 f"kernel_size={kernel_size}")
            kernel_size = tuple(kernel_size)
        elif kernel_size % 2 == 0:
            raise ValueError("The `kernel_size` argument should be a number (or a list of two "
                             f"numbers) that is odd. Received: kernel_size={kernel_size}")
        else:
            kernel_size = (kernel_size, kernel_size)
        self.kernel_size = kernel_size
        self.sigma = _factor(sigma, (0, 1))
        self.value_range = _as_tuple(value_range)

    def _params(self, shape, rng):
        """``[blur flags (batch), kernel weights (rows * cols)]`` of one call."""
        b = shape[0]
        p = rng.uniform(self.factor[0], self.factor[1], size=b)
        apply_ = rng.uniform(0, 1, size=b) < p
        sigma = rng.uniform(self.sigma[0], self.sigma[1], size=2).astype(np.float32) + \
            np.float32(1e-6)
        return np.concatenate([apply_, _blur_kernel(self.kernel_size, sigma).ravel()])

    def _apply(self, x, state):
        drawn = self._draw(x, lambda s, rng: self._params(s, rng).astype(np.float64), state)
        b = x.shape[0] if len(x.shape) == 4 else 1
        apply_ = self._per_image(x, M.cast(drawn[:b], "bool"))
        rows, cols = self.kernel_size
        blurred = ip.conv_same(x, drawn[b:], rows, cols, self.data_format)
        lo, hi = (float(v) for v in self.value_range)
        return M.clip_by_value(M.where(apply_, blurred, x), lo, hi)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor,
                "kernel_size": self.kernel_size, "sigma": self.sigma,
                "value_range": self.value_range, "seed": self.seed}


def homography(start_points, end_points):
    """``(batch, 8)`` projective transforms taking each of the four ``end_points`` (output
    corners, ``(batch, 4, 2)`` as x, y) to its ``start_points`` (input corners)."""
    s = np.asarray(start_points, np.float64)
    e = np.asarray(end_points, np.float64)
    rows, rhs = [], []
    for k in range(4):
        ex, ey, sx, sy = e[:, k, 0], e[:, k, 1], s[:, k, 0], s[:, k, 1]
        one, zero = np.ones_like(ex), np.zeros_like(ex)
        rows.append(np.stack([ex, ey, one, zero, zero, zero, -sx * ex, -sx * ey], -1))
        rows.append(np.stack([zero, zero, zero, ex, ey, one, -sy * ex, -sy * ey], -1))
        rhs += [sx, sy]
    m = np.stack(rows, axis=1)
    return np.linalg.solve(m, np.stack(rhs, axis=1)[..., None])[..., 0].astype(np.float32)


class RandomPerspective(BaseImagePreprocessingLayer):
    """Warps each image, with probability drawn from ``factor``, by the perspective that
    moves its corners by up to ``scale / 2`` of their coordinates (outside: ``fill_value``).
    """

    _moves_pixels = True

    _out = "float"

    def __init__(self, factor=1.0, scale=1.0, interpolation="bilinear", fill_value=0.0,
                 seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        self.factor = _factor(factor, (0, 1))
        if not 0 <= scale <= 1:
            raise ValueError("The `scale` argument should be a number in the range [0,1]. "
                             f"Received: scale={scale}")
        if interpolation not in ip._INTERPOLATIONS:
            raise NotImplementedError(f"Unknown `interpolation` {interpolation}. Expected of "
                                      f"one {ip._INTERPOLATIONS}.")
        self.scale, self.interpolation, self.fill_value = scale, interpolation, fill_value

    def _transforms(self, shape, rng):
        """The warps of one call; images left alone get the identity."""
        b, h, w = shape[:3]
        p = rng.uniform(self.factor[0], self.factor[1], size=b)
        apply_ = (rng.uniform(0, 1, size=b) < p)[:, None]
        move = rng.uniform(-0.5 * self.scale, 0.5 * self.scale, size=(b, 4, 2)).astype(
            np.float32)
        start = np.asarray([[0, 0], [w - 1, 0], [0, h - 1], [w - 1, h - 1]], np.float32)
        start = np.repeat(start[None], b, axis=0)
        identity = np.asarray([1, 0, 0, 0, 1, 0, 0, 0], np.float32)
        return np.where(apply_, homography(start, start + start * move), identity)

    def _apply(self, x, state):
        t = self._draw(x, self._transforms, state)
        return ip._warp(x, t, self.interpolation, "constant", self.fill_value,
                        self.data_format)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "scale": self.scale,
                "interpolation": self.interpolation, "fill_value": self.fill_value,
                "seed": self.seed}


class RandomColorJitter(BaseImagePreprocessingLayer):
    """Random brightness, contrast, saturation and hue changes in turn (each only when its
    factor is given), as the corresponding ``Random*`` layers."""

    _out = "float"

    def __init__(self, value_range=(0, 255), brightness_factor=None, contrast_factor=None,
                 saturation_factor=None, hue_factor=None, seed=None, data_format=None,
                 **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        self.value_range = _as_tuple(value_range)
        self.brightness_factor, self.contrast_factor = brightness_factor, contrast_factor
        self.saturation_factor, self.hue_factor = saturation_factor, hue_factor
        parts = []
        for cls, factor in ((ip.RandomBrightness, brightness_factor),
                            (ip.RandomContrast, contrast_factor),
                            (ip.RandomSaturation, saturation_factor),
                            (ip.RandomHue, hue_factor)):
            if factor is not None:
                parts.append(cls(factor=factor, value_range=value_range, seed=seed,
                                 data_format=data_format, dtype=kwargs.get("dtype")))
        self.__dict__["_parts"] = parts

    def _apply(self, x, state):
        """Each part in turn: brightness and contrast as differentiable ops, saturation and
        hue on the host (they have no gradient in TF either)."""
        for i, part in enumerate(self.__dict__["_parts"]):
            sub = None if state is None else (state[0], tuple(state[1]) + (i,))
            if hasattr(part, "_apply"):
                x = part._apply(x, sub)
            else:
                x = part._host_call(x, part._augment, x.dtype, state=sub)
        return x

    def get_config(self):
        return {**super().get_config(), "value_range": self.value_range,
                "brightness_factor": self.brightness_factor,
                "contrast_factor": self.contrast_factor,
                "saturation_factor": self.saturation_factor, "hue_factor": self.hue_factor,
                "seed": self.seed}


class Pipeline(Layer):
    """Applies ``layers`` one after another (the ``training`` flag passed to each); unlike
    ``Sequential`` it is a plain layer, usable inside ``Dataset.map``."""

    def __init__(self, layers, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self._pipeline_layers = list(layers)
        self.built = True

    @property
    def layers(self):
        return list(self._pipeline_layers)

    def call(self, inputs, training=True):
        for layer in self._pipeline_layers:
            inputs = layer(inputs, training=training)
        return inputs

    def compute_output_shape(self, input_shape):
        for layer in self._pipeline_layers:
            input_shape = layer.compute_output_shape(input_shape)
        return input_shape

    def get_config(self):
        from .. import _registry  # cycle: the registry imports the layers package

        return {"layers": [_registry.serialize(layer) for layer in self._pipeline_layers],
                "name": self.name}

    @classmethod
    def from_config(cls, config):
        """A pipeline from its config: the layers deserialised in order."""
        from .. import _registry  # cycle: the registry imports the layers package

        config = dict(config)
        layers = config.pop("layers", None)
        if not isinstance(layers, (list, tuple)):
            raise ValueError("`Pipeline` config must contain a `layers` key mapping to a list "
                             f"of serialized layers. Received config with layers={layers}.")
        return cls([_registry.deserialize("layer", c) for c in layers], **config)


class MaxNumBoundingBoxes(BaseImagePreprocessingLayer):
    """Pads or truncates the ``bounding_boxes`` of ``{"images", "bounding_boxes"}`` data to
    ``max_number`` boxes per image (padding boxes and labels with ``fill_value``); images
    pass through."""

    _random = False

    def __init__(self, max_number, fill_value=-1, **kwargs):
        super().__init__(**kwargs)
        self.max_number, self.fill_value = int(max_number), int(fill_value)

    def call(self, inputs, training=True):
        if not isinstance(inputs, dict) or "bounding_boxes" not in inputs:
            return inputs
        if not self.bounding_box_format:
            return self._call_dict(inputs, training)  # Keras's error for a missing format
        from ...tensor import convert_to_tensor  # deferred: only the dict path

        out = dict(inputs)
        boxes = dict(inputs["bounding_boxes"])
        for key in ("boxes", "labels"):
            if key not in boxes:
                continue
            a = np.asarray(boxes[key].numpy() if hasattr(boxes[key], "numpy") else boxes[key])
            axis = a.ndim - 2 if key == "boxes" else a.ndim - 1
            n = a.shape[axis]
            if n >= self.max_number:
                a = np.take(a, np.arange(self.max_number), axis=axis)
            else:
                pad = [(0, 0)] * a.ndim
                pad[axis] = (0, self.max_number - n)
                a = np.pad(a, pad, constant_values=self.fill_value)
            boxes[key] = convert_to_tensor(a)
        out["bounding_boxes"] = boxes
        return out

    def get_config(self):
        return {**super().get_config(), "max_number": self.max_number}


# -- compound augmentations ------------------------------------------------------------------
def auto_contrast(a, value_range):
    """Host ``AutoContrast``: each image's channels stretched to fill ``value_range``."""
    lo, hi = (np.float32(v) for v in value_range)
    x = ip._to_range(a.astype(np.float32), (lo, hi), (0, 255))
    low = x.min(axis=(1, 2), keepdims=True)
    spread = x.max(axis=(1, 2), keepdims=True) - low
    flat = spread == 0
    scale = np.float32(255) / np.where(flat, np.float32(1), spread)
    out = np.clip(x * scale + (-low * scale), 0, 255)
    out = ip._to_range(out, (0, 255), (lo, hi))
    return np.where(flat | np.isnan(out), a.astype(np.float32), out)


def _ops_table(layer, factor, value_range, interpolation, data_format, seed, all_ops):
    """The augmentations ``RandAugment`` and ``AugMix`` choose from, in Keras's order, as
    ``(name, host function of (images, rng))`` pairs."""
    common = {"seed": seed, "data_format": data_format}
    geo = {"interpolation": interpolation, **common}
    colour = {"value_range": value_range, **common}
    table = [
        ("random_shear", ip.RandomShear(x_factor=factor, y_factor=factor, **geo)),
        ("random_translation", ip.RandomTranslation(factor, factor, **geo)),
        ("random_rotation", ip.RandomRotation(factor, **geo)),
    ]
    extra = [
        ("random_brightness", ip.RandomBrightness(factor, **colour)),
        ("random_color_degeneration", ip.RandomColorDegeneration(factor, **colour)),
        ("random_contrast", ip.RandomContrast(factor, **colour)),
        ("random_sharpness", ip.RandomSharpness(factor, **colour)),
    ]
    if all_ops:
        table += extra
    table += [
        ("random_posterization", ip.RandomPosterization(max(1, int(8 * factor[1])), **colour)),
        ("solarization", ip.Solarization(factor, factor, **colour)),
    ]
    fns = [(name, (lambda a, rng, sub=sub: sub._augment(a.astype(np.float32), rng)))
           for name, sub in table]
    contrast_range = value_range if type(layer).__name__ == "RandAugment" else (0, 255)
    eq = ip.Equalization(value_range=contrast_range)
    fns += [("auto_contrast", lambda a, rng: auto_contrast(a, contrast_range)),
            ("equalization", lambda a, rng: eq._equalize(a, rng))]
    return fns


class RandAugment(BaseImagePreprocessingLayer):
    """Applies ``num_ops`` augmentations chosen at random (one choice per call, for the
    whole batch) from shear, translation, rotation, brightness, colour degeneration,
    contrast, sharpness, posterization, solarization, auto-contrast and equalization, each
    of strength ``factor``."""

    _out = "float"
    _moves_pixels = True

    def __init__(self, value_range=(0, 255), num_ops=2, factor=0.5, interpolation="bilinear",
                 seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        self.value_range, self.num_ops = _as_tuple(value_range), num_ops
        self.factor = _factor(factor, (0, 1))
        self.interpolation = interpolation
        self.__dict__["_ops"] = _ops_table(self, self.factor, value_range, interpolation,
                                           "channels_last", seed, True)

    def _augment(self, a, rng):
        ops = self.__dict__["_ops"]
        a = a.astype(np.float32)
        for i in rng.integers(0, len(ops), size=self.num_ops):
            a = ops[i][1](a, rng).astype(np.float32)
        return a

    def get_config(self):
        return {**super().get_config(), "value_range": self.value_range,
                "num_ops": self.num_ops, "factor": self.factor,
                "interpolation": self.interpolation, "seed": self.seed}


class AugMix(BaseImagePreprocessingLayer):
    """AugMix: ``num_chains`` chains of up to ``chain_depth`` random augmentations, mixed
    with Dirichlet(``alpha``) weights, then blended with the original by a
    Beta(``alpha``, ``alpha``) weight and clipped to ``value_range``. ``all_ops=False``
    leaves out the colour operations."""

    _out = "float"
    _moves_pixels = True

    def __init__(self, value_range=(0, 255), num_chains=3, chain_depth=3, factor=0.3,
                 alpha=1.0, all_ops=True, interpolation="bilinear", seed=None,
                 data_format=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        self.value_range, self.num_chains, self.chain_depth = _as_tuple(value_range), num_chains, \
            chain_depth
        self.factor = _factor(factor, (0, 1))
        self.alpha, self.all_ops, self.interpolation = alpha, all_ops, interpolation
        self.__dict__["_ops"] = _ops_table(self, self.factor, value_range, interpolation,
                                           "channels_last", seed, all_ops)

    def _augment(self, a, rng):
        ops = self.__dict__["_ops"]
        a = a.astype(np.float32)
        gammas = rng.gamma(self.alpha, size=self.num_chains)
        weights = (gammas / gammas.sum()).astype(np.float32)
        keep = np.float32(rng.beta(self.alpha, self.alpha))
        mixed = np.zeros_like(a)
        for c in range(self.num_chains):
            chain = a.copy()
            for _ in range(self.chain_depth):
                pick = rng.integers(0, len(ops) + 1)  # the extra choice: skip this step
                if pick < len(ops):
                    chain = ops[pick][1](chain, rng).astype(np.float32)
            mixed += chain * weights[c]
        return np.clip(keep * a + (1 - keep) * mixed, *self.value_range)

    def get_config(self):
        return {**super().get_config(), "value_range": self.value_range,
                "num_chains": self.num_chains, "chain_depth": self.chain_depth,
                "factor": self.factor, "alpha": self.alpha, "all_ops": self.all_ops,
                "interpolation": self.interpolation, "seed": self.seed}


_ELASTIC_FILL_MODES = ("constant", "nearest", "wrap", "mirror", "reflect")


def _fold(i, n, mode):
    """Integer indices ``i`` folded into ``[0, n)`` by ``mode`` (SciPy's conventions)."""
    if mode == "nearest":
        return np.clip(i, 0, n - 1)
    if mode == "wrap":
        return np.mod(i, n)
    if mode == "mirror":
        if n == 1:
            return np.zeros_like(i)
        period = 2 * n - 2
        i = np.mod(i, period)
        return np.where(i >= n, period - i, i)
    if mode == "reflect":
        period = 2 * n
        i = np.mod(i, period)
        return np.where(i >= n, period - 1 - i, i)
    return i  # constant: out-of-range reads are masked by the caller


def coordinates_plan(coords, order, fill_mode):
    """``map_coordinates`` as a plan (``image_preprocessing.warp_plan``'s layout): where
    each output pixel reads, from ``coords`` ``(b, h, w, 2)`` source rows and columns."""
    b, h, w, _ = coords.shape
    ys, xs = coords[..., 0], coords[..., 1]
    if order == 0:
        corners = [(np.floor(ys + 0.5), np.floor(xs + 0.5), np.ones_like(ys))]
    else:
        y0, x0 = np.floor(ys), np.floor(xs)
        wy, wx = ys - y0, xs - x0
        corners = [(y0, x0, (1 - wy) * (1 - wx)), (y0, x0 + 1, (1 - wy) * wx),
                   (y0 + 1, x0, wy * (1 - wx)), (y0 + 1, x0 + 1, wy * wx)]
    base = (np.arange(b) * h * w)[:, None, None]
    plan = np.empty((b, h, w, len(corners), 2), np.float64)
    for i, (yi, xi, wt) in enumerate(corners):
        yi, xi = yi.astype(np.int64), xi.astype(np.int64)
        inside = (yi >= 0) & (yi < h) & (xi >= 0) & (xi < w)
        yf = np.clip(_fold(yi, h, fill_mode), 0, h - 1)
        xf = np.clip(_fold(xi, w, fill_mode), 0, w - 1)
        plan[..., i, 0] = base + yf * w + xf
        plan[..., i, 1] = np.where(inside | (fill_mode != "constant"), wt, 0)
    return plan


def _coordinates_plan_fwd(coords, order, fill_mode):
    return coordinates_plan(np.asarray(to_host(coords), np.float64), order, fill_mode)


COORDINATES_PLAN = Op("ImageCoordinatesPlan", _coordinates_plan_fwd, None, None,
                      same_dtype=False)


class RandomElasticTransform(BaseImagePreprocessingLayer):
    """Elastic distortion: each image (with probability drawn from ``factor``) is resampled
    along a random, Gaussian-smoothed displacement field whose size grows with ``scale``;
    clipped to ``value_range``."""

    _out = "float"
    _moves_pixels = True

    def __init__(self, factor=1.0, scale=1.0, interpolation="bilinear", fill_mode="reflect",
                 fill_value=0.0, value_range=(0, 255), seed=None, data_format=None,
                 **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        self.factor = _factor(factor, (0, 1))
        self.scale = _factor(scale, (0, 1))
        if interpolation not in ip._INTERPOLATIONS:
            raise NotImplementedError(f"Unknown `interpolation` {interpolation}. Expected of "
                                      f"one {ip._INTERPOLATIONS}.")
        if fill_mode not in _ELASTIC_FILL_MODES:
            raise NotImplementedError(f"Unknown `fill_mode` {fill_mode}. Expected of one "
                                      f"{set(_ELASTIC_FILL_MODES)}.")
        self.interpolation, self.fill_mode, self.fill_value = interpolation, fill_mode, \
            fill_value
        self.value_range = _as_tuple(value_range)

    def _apply(self, x, state):
        if self.scale[1] == 0 or self.factor[1] == 0:
            return x
        drawn = self._draw(x, lambda s, rng: self._coordinates(s, rng), state)
        single = len(x.shape) == 3
        if single:
            x = A.expand_dims(x, 0)
        if self.data_format == "channels_first":
            x = A.transpose(x, [0, 2, 3, 1])
        order = ip._INTERPOLATIONS.index(self.interpolation)
        plan = apply(COORDINATES_PLAN, (drawn[..., :2],), {"order": order,
                                                           "fill_mode": self.fill_mode})
        out = ip._read_plan(x, plan, self.fill_mode == "constant", self.fill_value,
                            "channels_last", False)
        keep = M.cast(drawn[..., 2:], "bool")  # (b, h, w, 1): the images left alone
        lo, hi = (float(v) for v in self.value_range)
        out = M.clip_by_value(M.where(keep, x, out), lo, hi)
        if self.data_format == "channels_first":
            out = A.transpose(out, [0, 3, 1, 2])
        return A.squeeze(out, [0]) if single else out

    def _coordinates(self, shape, rng):
        """``(b, h, w, 3)``: the source row and column of each pixel and whether its
        image is left alone."""
        b, h, w, _ = shape
        p = rng.uniform(self.factor[0], self.factor[1], size=b)
        apply_ = rng.uniform(0, 1, size=b) < p
        strength = np.float32(rng.uniform(self.scale[0], self.scale[1]))
        alpha = np.float32(max(h, w) * 0.1 * strength)
        sigma = np.float32(min(h, w) * 0.05 * strength)
        size = 6 * int(sigma) | 1
        fields = rng.standard_normal((2, b, h, w, 1)).astype(np.float32) * sigma
        dx = gaussian_blur(fields[0], (size, size), (sigma, sigma))[..., 0]
        dy = gaussian_blur(fields[1], (size, size), (sigma, sigma))[..., 0]
        ys, xs = np.meshgrid(np.arange(h, dtype=np.float32), np.arange(w, dtype=np.float32),
                             indexing="ij")
        keep = np.broadcast_to(~apply_[:, None, None], (b, h, w))
        return np.stack([ys + alpha * dy, xs + alpha * dx, keep], -1).astype(np.float64)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "scale": self.scale,
                "interpolation": self.interpolation, "fill_mode": self.fill_mode,
                "fill_value": self.fill_value, "value_range": self.value_range,
                "seed": self.seed}


def clahe(a, clip_limit, grid):
    """Contrast-limited adaptive histogram equalisation of NHWC host images in 0-255:
    per-tile histograms clipped at ``clip_limit`` times the mean bin (the excess spread
    evenly), their CDFs as lookup tables, blended bilinearly between tile centres."""
    b, h, w, c = a.shape
    gh, gw = grid
    th, tw = -(-h // gh), -(-w // gw)
    ph, pw = th * gh - h, tw * gw - w
    if ph or pw:
        a = np.pad(a, [(0, 0), (0, ph), (0, pw), (0, 0)], mode="symmetric")
    n = th * tw
    tiles = a.reshape(b, gh, th, gw, tw, c).transpose(0, 1, 3, 5, 2, 4).reshape(-1, n)
    ints = np.clip(tiles.astype(np.int32), 0, 255)
    offsets = (np.arange(ints.shape[0]) * 256)[:, None]
    hist = np.bincount((ints + offsets).ravel(), minlength=ints.shape[0] * 256)
    hist = hist.reshape(b, gh, gw, c, 256).astype(np.float32)
    if clip_limit > 0:
        clipped = np.minimum(hist, np.float32(clip_limit * n / 256.0))
        hist = clipped + (hist - clipped).sum(-1, keepdims=True) / np.float32(256)
    cdf = np.cumsum(hist, axis=-1, dtype=np.float32)
    low = cdf.min(-1, keepdims=True)
    denom = np.float32(n) - low
    denom = np.where(denom == 0, np.float32(1), denom)
    lut = np.clip((cdf - low) * np.float32(255) / denom, 0, 255)
    lut = np.concatenate([lut[:, :1], lut, lut[:, -1:]], axis=1)
    lut = np.concatenate([lut[:, :, :1], lut, lut[:, :, -1:]], axis=2)

    def axis(n_pad, t, g):
        pos = (np.arange(n_pad, dtype=np.float32) - np.float32(t / 2.0)) / np.float32(t) + 1
        lo = np.floor(pos)
        return (np.clip(lo, 0, g + 1).astype(np.int64), np.clip(lo + 1, 0, g + 1).astype(
            np.int64), pos - lo)

    y0, y1, wy = axis(th * gh, th, gh)
    x0, x1, wx = axis(tw * gw, tw, gw)
    pix = np.clip(a, 0, 255).astype(np.int32)
    bi, ci = np.arange(b)[:, None, None, None], np.arange(c)[None, None, None, :]
    ye = lambda v: v[None, :, None, None]
    xe = lambda v: v[None, None, :, None]
    val = lambda ys, xs: lut[bi, ye(ys), xe(xs), ci, pix]
    top = val(y0, x0) * (1 - xe(wx)) + val(y0, x1) * xe(wx)
    bottom = val(y1, x0) * (1 - xe(wx)) + val(y1, x1) * xe(wx)
    out = top * (1 - ye(wy)) + bottom * ye(wy)
    return out[:, :h, :w]


class ContrastLimitedAdaptiveHistogramEqualization(BaseImagePreprocessingLayer):
    """CLAHE: histogram equalisation per tile of a ``tile_grid_size`` grid, each tile's
    histogram clipped at ``clip_limit`` and the tiles' mappings blended bilinearly; the
    output keeps the input's dtype (integers truncated)."""

    _random = False

    def __init__(self, value_range=(0, 255), clip_limit=4.0, tile_grid_size=(8, 8),
                 data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.value_range, self.clip_limit = _as_tuple(value_range), clip_limit
        self.tile_grid_size = _as_tuple(tile_grid_size)

    def call(self, inputs, training=True):
        x = self._convert(inputs)
        self._check_rank(x)
        return self._host_call(x, self._equalize, x.dtype, random=False)

    def _equalize(self, a, rng):
        x = ip._to_range(a.astype(np.float32), self.value_range, (0, 255))
        out = clahe(x, self.clip_limit, tuple(self.tile_grid_size))
        return ip._to_range(out, (0, 255), self.value_range)

    def get_config(self):
        return {**super().get_config(), "value_range": self.value_range,
                "clip_limit": self.clip_limit, "tile_grid_size": self.tile_grid_size}


__all__ = ["AugMix", "ContrastLimitedAdaptiveHistogramEqualization", "CutMix",
           "MaxNumBoundingBoxes", "MixUp", "Pipeline", "RandAugment", "RandomColorJitter",
           "RandomElasticTransform", "RandomErasing", "RandomGaussianBlur", "RandomPerspective"]
