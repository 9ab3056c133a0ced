"""Grouping transformations of ``tf.data``: ``group_by_reducer`` (with ``Reducer``),
``group_by_window``, ``bucket_by_sequence_length`` and ``rejection_resample``.

Groups are kept in a dict keyed by the int64 key; groups still open when the input ends
come out in increasing key order, as TF's kernels (an ordered map) give them.
"""
from .. import dtypes, errors
from ..backend import host as np
from ..tensor import TensorBase, wrap
from . import _structure as S
from ._structure import TensorSpec
from .dataset import (
    UNKNOWN,
    Dataset,
    MapDataset,
    _Function,
    _leaf,
    _ListDataset,
    _seed_base,
    _unpacks,
)


def _key_fn(parent, key_func, where):
    """A ``_Function`` for ``key_func``, checked (by probing) to return a scalar int64."""
    spec = MapDataset(parent, key_func).element_spec
    if not isinstance(spec, TensorSpec) or spec.dtype != dtypes.int64:
        got = spec.dtype.name if isinstance(spec, TensorSpec) else spec
        raise ValueError(f"Tensor conversion requested dtype int64 for Tensor with dtype {got}: "
                         f"`key_func` passed to {where} must return a scalar tf.int64 tensor.")
    if spec.shape.rank != 0:
        raise ValueError(f"`key_func` passed to {where} must return a scalar tf.int64 tensor, "
                         f"got shape {spec.shape}.")
    return _Function(key_func, parent._template(), where)


def _call(fn, args):
    """``fn`` on a structure of tensors, unpacking a plain tuple into arguments."""
    return fn(*args) if _unpacks(args) else fn(args)


def _tensors(value):
    """A nested structure of tensors from a function's output."""
    return S.map_structure(lambda v: v if isinstance(v, (TensorBase, Dataset)) else
                           wrap(S.to_array(v)), S.normalize(value, "tf.data"))


class Reducer:
    """``tf.data.experimental.Reducer``: how ``group_by_reducer`` folds each group.

    Args:
      init_func: ``key -> initial state``.
      reduce_func: ``(state, element) -> new state``.
      finalize_func: ``state -> output element`` (a tuple state is passed unpacked).
    """

    def __init__(self, init_func, reduce_func, finalize_func):
        self._init_func = init_func
        self._reduce_func = reduce_func
        self._finalize_func = finalize_func

    init_func = property(lambda self: self._init_func)
    reduce_func = property(lambda self: self._reduce_func)
    finalize_func = property(lambda self: self._finalize_func)


class GroupByReducerDataset(Dataset):
    """``group_by_reducer``: one output element per key, the reduced group finalized."""

    def __init__(self, parent, key_func, reducer):
        self._parent = parent
        self._key = _key_fn(parent, key_func, "group_by_reducer()")
        self._reducer = reducer
        self._spec = None

    def _finalize(self, state):
        return _tensors(_call(self._reducer.finalize_func, state))

    @property
    def element_spec(self):
        if self._spec is None:
            state = _tensors(self._reducer.init_func(wrap(np.asarray(0, np.int64))))
            out = self._finalize(state)
            self._spec = S.map_structure(lambda t: S.spec_of(S.to_array(t)), out)
        return self._spec

    def _elements(self):
        template = self._parent._template()
        states = {}
        for pos, arrays in enumerate(self._parent._elements()):
            key = int(self._key(arrays, pos)[0])
            if key not in states:
                states[key] = _tensors(self._reducer.init_func(wrap(np.asarray(key, np.int64))))
            element = S.pack(template, [_leaf(a) for a in arrays])
            states[key] = _tensors(self._reducer.reduce_func(states[key], element))
        for key in sorted(states):
            out = self._finalize(states[key])
            yield [S.to_array(t) for t in S.flatten(out)]

    def _cardinality(self):
        return UNKNOWN


class GroupByWindowDataset(Dataset):
    """``group_by_window``: elements grouped by key into windows of ``window_size`` (or
    ``window_size_func(key)``); ``reduce_func(key, window_dataset)`` gives the output."""

    def __init__(self, parent, key_func, reduce_func, window_size=None, window_size_func=None):
        if (window_size is None) == (window_size_func is None):
            raise ValueError("Either the `window_size` argument or the `window_size_func` "
                             "argument must be specified.")
        self._parent = parent
        self._key = _key_fn(parent, key_func, "group_by_window()")
        self._reduce = reduce_func
        if window_size is not None:
            size = int(window_size.numpy() if isinstance(window_size, TensorBase)
                       else window_size)
            self._size_of = lambda key: size
        else:
            self._size_of = lambda key: int(S.to_array(window_size_func(
                wrap(np.asarray(key, np.int64)))))
        self._spec = None

    def _window_output(self, key, elements):
        ds = self._reduce(wrap(np.asarray(key, np.int64)),
                          _ListDataset(elements, self._parent.element_spec))
        if not isinstance(ds, Dataset):
            raise TypeError("`reduce_func` passed to group_by_window() must return a Dataset, "
                            f"got {type(ds).__name__}.")
        return ds

    @property
    def element_spec(self):
        if self._spec is None:
            self._spec = self._window_output(0, []).element_spec
        return self._spec

    def _elements(self):
        groups = {}
        for pos, arrays in enumerate(self._parent._elements()):
            key = int(self._key(arrays, pos)[0])
            size = self._size_of(key)
            if size <= 0:
                raise errors.InvalidArgumentError(None, "GroupByWindowDataset",
                                                  f"Window size must be greater than zero, "
                                                  f"but got {size}.")
            group = groups.setdefault(key, [])
            group.append(arrays)
            if len(group) >= size:
                del groups[key]
                yield from self._window_output(key, group)._elements()
        for key in sorted(groups):
            yield from self._window_output(key, groups[key])._elements()

    def _cardinality(self):
        return UNKNOWN


def bucket_by_sequence_length(dataset, element_length_func, bucket_boundaries,
                              bucket_batch_sizes, padded_shapes=None, padding_values=None,
                              pad_to_bucket_boundary=False, no_padding=False,
                              drop_remainder=False):
    """Elements batched with others of similar length (``Dataset.bucket_by_sequence_length``).

    Args:
      dataset: the input ``Dataset``.
      element_length_func: element -> its length (a scalar int32/int64).
      bucket_boundaries: increasing upper length bounds of the buckets.
      bucket_batch_sizes: one batch size per bucket (``len(bucket_boundaries) + 1``).
      padded_shapes, padding_values: as ``padded_batch``.
      pad_to_bucket_boundary: pad every batch of a bucket to that bucket's boundary - 1.
      no_padding: batch with ``batch`` (the elements must share a shape).
      drop_remainder: drop a bucket's last, smaller batch.

    Returns:
      A ``Dataset`` of batches.
    """
    boundaries = [int(b) for b in bucket_boundaries]
    sizes = [int(b) for b in (bucket_batch_sizes.numpy() if isinstance(
        bucket_batch_sizes, TensorBase) else bucket_batch_sizes)]
    if len(sizes) != len(boundaries) + 1:
        raise ValueError(f"`len(bucket_batch_sizes)` must equal `len(bucket_boundaries) + 1` but "
                         f"`len(bucket_batch_sizes)={len(sizes)}` and "
                         f"`len(bucket_boundaries)={len(boundaries)}`.")
    edges = np.asarray(boundaries, np.int64)
    limit = max(boundaries) if boundaries else None

    def key_func(*element):
        length = _call(element_length_func, element if len(element) > 1 else element[0])
        n = int(S.to_array(length))
        if pad_to_bucket_boundary and limit is not None and n >= limit:
            raise errors.InvalidArgumentError(
                None, "bucket_by_sequence_length", "assertion failed: [When "
                "pad_to_bucket_boundary=True, elements must have length < "
                f"max(bucket_boundaries).] (length {n}, max(bucket_boundaries) {limit})")
        return wrap(np.asarray(int(np.searchsorted(edges, n, side="right")), np.int64))

    def reduce_func(bucket, window):
        size = sizes[int(bucket.numpy())]
        if no_padding:
            return window.batch(size, drop_remainder=drop_remainder)
        shapes = padded_shapes
        if pad_to_bucket_boundary:
            b = int(bucket.numpy())
            bound = boundaries[b] - 1 if b < len(boundaries) else None
            shapes = S.map_structure(
                lambda s: [bound] + [None] * (s.shape.rank - 1), window.element_spec)
        return window.padded_batch(size, shapes, padding_values, drop_remainder=drop_remainder)

    def window_size_func(bucket):
        return wrap(np.asarray(sizes[int(bucket.numpy())], np.int64))

    out = GroupByWindowDataset(dataset, key_func, reduce_func,
                               window_size_func=window_size_func)
    # NOTE: as TF's: the batch dim is unknown (buckets differ), and so is the padded length
    # when each bucket pads to its own boundary
    spec = out.element_spec
    pad_dim = pad_to_bucket_boundary and not no_padding
    out._spec = S.map_structure(
        lambda s: TensorSpec([None] + ([None] if pad_dim and s.shape.rank > 1 else
                                       list(s.shape.dims[1:2])) + list(s.shape.dims[2:]),
                             s.dtype) if s.shape.rank else s, spec)
    return out


class RejectionResampleDataset(Dataset):
    """``rejection_resample``: ``(class, element)`` pairs, elements kept with a probability
    that moves the class distribution from ``initial_dist`` (estimated on the fly when not
    given) towards ``target_dist``."""

    def __init__(self, parent, class_func, target_dist, initial_dist, seed):
        self._parent = parent
        self._class = _Function(class_func, parent._template(), "rejection_resample()")
        self._target = np.asarray(S.to_array(target_dist), np.float64)
        self._initial = (None if initial_dist is None
                         else np.asarray(S.to_array(initial_dist), np.float64))
        self._base = _seed_base(seed)
        self._epoch = 0
        cls = MapDataset(parent, class_func).element_spec
        if not isinstance(cls, TensorSpec) or not cls.dtype.is_integer or cls.shape.rank != 0:
            raise ValueError(f"`class_func` must return a scalar integer tensor, got {cls}.")
        self._cls = cls
        self._spec = (cls, parent.element_spec)

    def _template(self):
        return (self._cls, self._parent._template())

    def _elements(self):
        rng = np.random.default_rng([self._base, self._epoch])
        self._epoch += 1
        k = self._target.size
        counts = np.zeros(k, np.float64)
        for pos, arrays in enumerate(self._parent._elements()):
            c = int(self._class(arrays, pos)[0])
            if not 0 <= c < k:
                raise errors.InvalidArgumentError(None, "rejection_resample",
                                                  f"class {c} out of range [0, {k})")
            if self._initial is None:
                counts[c] += 1
                initial = counts / counts.sum()
            else:
                initial = self._initial
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = np.where(initial > 0, self._target / initial, 0.0)
            top = ratio.max()
            p = ratio[c] / top if top > 0 else 0.0
            if rng.random() < p:
                yield [np.asarray(c, self._cls.dtype._np)] + list(arrays)

    def _cardinality(self):
        return UNKNOWN

