"""``GradientTape``: records ops on watched tensors while active, then walks the record in
reverse to accumulate gradients by tensor identity (a flat list, no recursion)."""
import functools
import logging
import threading

from . import _recording, nest
from .backend import host, ones_vector, reduce_add, xp_of
from .ops import _core
from .ops._core import Op
from .ops.array import broadcast_to, reshape, stack
from .tensor import TensorBase, const, convert_to_tensor

_log = logging.getLogger("tapeflow")


class UnconnectedGradients:
    """What ``GradientTape.gradient`` returns for a source the target does not depend on:
    ``NONE`` or ``ZERO``."""
    NONE = "none"
    ZERO = "zero"


class GradientTape:
    """Record operations for automatic differentiation (TF 2 semantics).

    Ops run inside the ``with`` block on watched tensors (and, by default, on trainable
    variables) are recorded; ``gradient(target, sources)`` then gives d(sum of target)/d
    source for each source.

    Args:
        persistent: allow several ``gradient``/``jacobian`` calls (else one).
        watch_accessed_variables: watch every trainable variable the block reads.

    >>> x = tf.Variable(3.0)
    >>> with tf.GradientTape() as tape:
    ...     y = x * x
    >>> float(tape.gradient(y, x))
    6.0
    """

    _is_trace = False
    _thread = None

    def __init__(self, persistent=False, watch_accessed_variables=True):
        self._persistent = persistent
        self._auto = watch_accessed_variables
        self._nodes = []
        self._reads = []  # (variable, snapshot) per recorded variable read, in order
        self._ids = set()
        self._watched = []  # explicitly watched tensors and variables (kept alive for their ids)
        self._vars = {}  # id -> variable, in access order
        self._used = False
        self._depth = 0

    # -- context ----------------------------------------------------------------------------
    def __enter__(self):
        if self._used and not self._persistent:
            raise RuntimeError("GradientTape.gradient can only be called once on non-persistent "
                               "tapes.")
        self._thread = threading.get_ident()
        _recording.push(self)
        self._depth += 1
        return self

    def __exit__(self, *exc):
        self._depth -= 1
        _recording.pop(self)
        return False

    def stop_recording(self):
        """Context manager pausing this tape (ops inside are not recorded)."""
        return _Paused(self)

    def reset(self):
        self._nodes = []
        self._reads = []
        self._ids = {id(t) for t in self._watched}
        self._vars = {}

    # -- watching ---------------------------------------------------------------------------
    def watch(self, tensor):
        for t in nest.flatten(tensor):
            if not isinstance(t, TensorBase):
                raise ValueError(f"Passed in object {t!r} of type {type(t).__name__!r}, not "
                                 "tf.Tensor or tf.Variable or ExtensionType.")
            if t._v.dtype.kind not in "fc":
                _log.warning("The dtype of the watched tensor must be floating (e.g. "
                             "tf.float32), got %r", t.dtype)
                continue
            self._watched.append(t)
            self._ids.add(id(t))
            if isinstance(t, _core.VariableType):
                self._vars.setdefault(id(t), t)

    def watched_variables(self):
        return tuple(self._vars.values())

    def _read(self, var, snapshot):
        """Record that ``snapshot`` is the value ``var`` had when an op read it: the
        snapshot's gradient flows to the variable once the backward sweep is done."""
        ids = self._ids
        ids.add(id(var))
        ids.add(id(snapshot))
        self._vars.setdefault(id(var), var)
        self._reads.append((var, snapshot))

    # -- gradients --------------------------------------------------------------------------
    def gradient(self, target, sources, output_gradients=None,
                 unconnected_gradients=UnconnectedGradients.NONE):
        """d(sum of target)/d(source) for each source, in the structure of ``sources``."""
        self._check_usable()
        if unconnected_gradients not in ("none", "zero"):
            raise ValueError(f"Unknown value for unconnected_gradients: {unconnected_gradients!r}")
        plain = type(sources) is list  # the common case: a flat list of variables
        flat_sources = sources if plain else nest.flatten(sources)
        for s in flat_sources:
            if not isinstance(s, TensorBase):
                raise ValueError(f"Passed in object {s!r} of type {type(s).__name__!r}, not "
                                 "tf.Tensor or tf.Variable or ExtensionType.")
        targets = [target] if isinstance(target, TensorBase) else nest.flatten(target)
        seeds = None if output_gradients is None else nest.flatten(output_gradients)
        grads = self._backward(targets, seeds, flat_sources)
        self._consume()
        if unconnected_gradients == "zero":
            grads = [_zeros(s) if g is None else g for s, g in zip(flat_sources, grads)]
        return grads if plain else nest.pack_sequence_as(sources, grads)

    def _check_usable(self):
        if self._used and not self._persistent:
            raise RuntimeError("A non-persistent GradientTape can only be used to compute one "
                               "set of gradients (or jacobians)")

    def _consume(self):
        """A non-persistent tape drops its record after one gradient/jacobian."""
        if not self._persistent:
            self._used = True
            self._nodes = []
            self._reads = []

    def _backward(self, targets, seeds, sources):
        # the sweep's own ops are not recorded on this tape
        paused = _recording.pop(self)
        try:
            grads = {}
            for i, t in enumerate(targets):
                if not isinstance(t, TensorBase):
                    t = convert_to_tensor(t)
                # every target is seeded, watched or not: d(t)/d(t) = 1 for a source that is
                # the target itself (TF gives 1.0 for tape.gradient(v, v) with nothing recorded)
                if seeds is None or seeds[i] is None:
                    g = const(xp_of(t._v).ones(t._v.shape, t._v.dtype))
                else:
                    g = _as_grad(seeds[i], t)
                _accumulate(grads, id(t), g)
            if grads:
                get = grads.get
                for node in reversed(self._nodes):
                    g = get(id(node.out))
                    if g is None:
                        continue
                    # rules return Tensors (or None), one per input
                    in_grads = node.op.grad(node, g)
                    for x, gx, need in zip(node.inputs, in_grads, node.needs):
                        if gx is None or not need:
                            continue
                        shape = x._v.shape
                        if gx._v.shape != shape:
                            gx = unbroadcast(gx, shape)
                        k = id(x)
                        prev = get(k)
                        grads[k] = gx if prev is None else prev + gx
                # NOTE: every consumer of a snapshot was recorded after the read, so its
                # gradient is complete here; it is the variable's (summed over reads)
                for var, snap in self._reads:
                    g = get(id(snap))
                    if g is not None:
                        _accumulate(grads, id(var), g)
            result = []
            for s in sources:
                g = grads.get(id(s))
                if g is not None and s._v.dtype.kind not in "fc":
                    g = None  # integer sources get None, as in TF
                result.append(g)
            return result
        finally:
            if paused:
                _recording.push(self)

    def jacobian(self, target, sources, unconnected_gradients=UnconnectedGradients.NONE,
                 parallel_iterations=None, experimental_use_pfor=True):
        """d target[i...] / d source[j...] with shape target.shape + source.shape."""
        self._check_usable()
        flat_sources = nest.flatten(sources)
        target = target if isinstance(target, TensorBase) else convert_to_tensor(target)
        n = int(target._v.size)
        xp = xp_of(target._v)
        rows = [[] for _ in flat_sources]
        for i in range(n):
            seed = xp.zeros(n, target._v.dtype)
            seed[i] = 1
            gs = self._backward([target], [const(seed.reshape(target._v.shape))], flat_sources)
            for k, (s, g) in enumerate(zip(flat_sources, gs)):
                rows[k].append(g if g is not None else _zeros(s))
        self._consume()
        out = []
        for s, r in zip(flat_sources, rows):
            connected = any(g is not None for g in r)
            shape = list(target._v.shape) + list(s._v.shape)
            if n == 0:
                j = _zeros_shape(s, shape)
            else:
                j = reshape(stack(r), shape)
            if not connected and unconnected_gradients == "none":
                j = None
            out.append(j)
        return nest.pack_sequence_as(sources, out)

    def batch_jacobian(self, target, source, unconnected_gradients=UnconnectedGradients.NONE,
                       parallel_iterations=None, experimental_use_pfor=True):
        """Per-example Jacobians: result[b] = d target[b] / d source[b]."""
        self._check_usable()
        tv = target._v
        if tv.shape[0] != source._v.shape[0]:
            raise ValueError(f"Need first dimension of target shape {list(tv.shape)} and source "
                             f"shape {list(source._v.shape)} to match.")
        b = tv.shape[0]
        per = int(tv.size // b) if b else 0
        xp = xp_of(tv)
        cols = []
        connected = False
        for j in range(per):
            seed = xp.zeros((b, per), tv.dtype)
            seed[:, j] = 1
            (g,) = self._backward([target], [const(seed.reshape(tv.shape))], [source])
            connected = connected or g is not None
            cols.append(g if g is not None else _zeros(source))
        self._consume()
        shape = list(tv.shape) + list(source._v.shape[1:])
        if not connected and unconnected_gradients == "none":
            return None
        if per == 0:
            return _zeros_shape(source, shape)
        return reshape(stack(cols, axis=1), shape)


class _Paused:
    def __init__(self, tape):
        self._tape = tape
        self._was = False

    def __enter__(self):
        self._was = _recording.pop(self._tape)
        return self

    def __exit__(self, *exc):
        if self._was:
            _recording.push(self._tape)
        return False


def _accumulate(grads, key, g):
    prev = grads.get(key)
    grads[key] = g if prev is None else prev + g


def _as_grad(seed, like):
    if isinstance(seed, TensorBase):
        return seed
    return convert_to_tensor(seed, like.dtype)


def _zeros(s):
    return const(xp_of(s._v).zeros(s._v.shape, s._v.dtype))


def _zeros_shape(s, shape):
    return const(xp_of(s._v).zeros(shape, s._v.dtype))


@functools.lru_cache(maxsize=1024)
def _sum_axes(gshape, shape):
    lead = len(gshape) - len(shape)
    return tuple(range(lead)) + tuple(
        lead + i for i, d in enumerate(shape) if d == 1 and gshape[lead + i] != 1)


def _sum_to_fwd(g, shape):
    if not shape and type(g) is host.ndarray and g.dtype.kind in "fc":
        # NOTE: a scalar's gradient (a bias or a coefficient): every axis, one plain reduction
        return host.add.reduce(g, axis=tuple(range(g.ndim)), dtype=g.dtype) if g.ndim else g
    axes = _sum_axes(g.shape, shape)
    if not axes:
        r = g
    elif (axes[-1] == len(axes) - 1 and g.ndim > len(axes) and g.dtype.char in "fd"
          and type(g) is host.ndarray and g.flags.c_contiguous):
        # NOTE: summing the leading axes (a bias gradient) as ones @ g, one matrix-vector
        # product: 2-4x faster than a reduction down the columns of a tall matrix
        m = 1
        for d in g.shape[:len(axes)]:
            m *= d
        r = ones_vector(m, g.dtype) @ g.reshape(m, -1)
    else:
        r = reduce_add(g, axes, False, g.dtype)
    return r if r.shape == shape else r.reshape(shape)


def _sum_to_grad(n, gg):
    return (broadcast_to(gg, n.inputs[0]._v.shape),)


SUM_TO = Op("SumToShape", _sum_to_fwd, _sum_to_grad, None)


def unbroadcast(g, shape):
    """Sum ``g`` down to ``shape`` (the inverse of broadcasting) as one recorded op."""
    return _core.apply(SUM_TO, (g,), {"shape": tuple(shape)})
