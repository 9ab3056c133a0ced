"""``Dataset.save`` / ``Dataset.load`` / ``snapshot`` / ``distributed_save`` in tapeflow's own
directory format (TF writes snapshot protobufs; the two cannot read each other's files).

A saved dataset is a directory holding:

- ``shard_<k>.npz``: the elements of shard ``k`` (``shard_func``'s value; one shard when it
  is not given), one stacked column per component (strings as bytes plus offsets, components
  of varying shape as flat values plus an index), written as ``Dataset.cache`` files are;
- ``dataset_spec.json``: ``{"format": "tapeflow-dataset", "version": 1, "element_spec": ...,
  "compression": ..., "shards": [...], "cardinality": n}``, written last.

Every file is written atomically (``tapeflow._io``), and the spec file only after every
shard: a directory without it is an unfinished save, which ``load`` refuses.
"""
import json
import os

from .. import dtypes, errors
from .._io import atomic_open
from ..backend import host as np
from ..tensor import TensorShape
from . import _structure as S
from ._structure import TensorSpec
from .dataset import (
    Dataset,
    DatasetSpec,
    _Function,
    _ListDataset,
    _read_cache,
    _write_cache,
)

_SPEC_FILE = "dataset_spec.json"
_FORMAT = "tapeflow-dataset"


# -- element specs as JSON ---------------------------------------------------------------------
def _encode(spec):
    if isinstance(spec, TensorSpec):
        return {"tensor": {"shape": spec.shape.dims, "dtype": spec.dtype.name,
                           "name": spec.name}}
    if isinstance(spec, dict):
        return {"dict": [[k, _encode(v)] for k, v in spec.items()]}
    if isinstance(spec, tuple):
        return {"tuple": [_encode(v) for v in spec]}
    raise TypeError(f"Dataset.save supports elements of dense tensors (in tuples and dicts), "
                    f"got a component of type {spec}.")


def _decode(obj):
    if "tensor" in obj:
        t = obj["tensor"]
        return TensorSpec(TensorShape(t["shape"]), dtypes.as_dtype(t["dtype"]), t["name"])
    if "dict" in obj:
        return {k: _decode(v) for k, v in obj["dict"]}
    return tuple(_decode(v) for v in obj["tuple"])


# -- writing -----------------------------------------------------------------------------------
def _compressed(compression):
    if compression in (None, "", "NONE"):
        return False
    if compression in ("GZIP", "AUTO", "SNAPPY"):
        return compression != "AUTO"
    raise ValueError(f"Invalid `compression` argument: {compression!r} (expected None, "
                     "'GZIP', 'SNAPPY' or 'AUTO').")


def _write(path, elements_by_shard, spec, compression):
    """Write the shards, then the spec file that marks the save complete."""
    path = os.fspath(path)
    os.makedirs(path, exist_ok=True)
    old = os.path.join(path, _SPEC_FILE)
    if os.path.exists(old):  # the directory is being replaced: incomplete until the end
        os.unlink(old)
    width = len(S.flatten(spec))
    names, count = [], 0
    for k in sorted(elements_by_shard):
        name = f"shard_{k}.npz"
        _write_cache(os.path.join(path, name), elements_by_shard[k], width,
                     _compressed(compression))
        names.append(name)
        count += len(elements_by_shard[k])
    meta = {"format": _FORMAT, "version": 1, "element_spec": _encode(spec),
            "compression": compression, "shards": names, "cardinality": count}
    with atomic_open(old, "w") as f:
        json.dump(meta, f)


def _by_shard(dataset, elements, shard_func):
    """``{shard index: [elements]}`` for ``elements`` of ``dataset``."""
    if shard_func is None:
        return {0: list(elements)}
    fn = _Function(shard_func, dataset._template(), "Dataset.save() shard_func")
    out = {}
    for pos, el in enumerate(elements):
        r = fn(el, pos)
        if len(r) != 1 or r[0].shape != () or r[0].dtype != np.int64:
            raise TypeError("`shard_func` must return a scalar int64 tensor, got "
                            f"{[str(a.dtype) for a in r]} with shapes {[a.shape for a in r]}.")
        k = int(r[0])
        if k < 0:
            raise errors.InvalidArgumentError(None, "SaveDataset", f"shard_func returned a "
                                              f"negative shard index: {k}")
        out.setdefault(k, []).append(el)
    return out


def save(dataset, path, compression=None, shard_func=None, checkpoint_args=None):
    """Write ``dataset``'s elements and element spec to the directory ``path``.

    Args:
      dataset: a finite ``Dataset`` of dense tensors.
      path: the directory (created; a previous save there is replaced).
      compression: ``None`` or ``"GZIP"`` (deflated shards).
      shard_func: element -> scalar int64: the shard file of each element.
      checkpoint_args: unused (TF checkpoints long saves).
    """
    _compressed(compression)
    spec = dataset.element_spec
    _encode(spec)
    if dataset._cardinality() == -1:
        raise errors.InvalidArgumentError(None, "SaveDataset", "Cannot save an infinite "
                                          "dataset.")
    _write(path, _by_shard(dataset, dataset._elements(), shard_func), spec, compression)


def distributed_save(dataset, path, data_service_address=None, compression="AUTO"):
    """``tf.data.experimental.distributed_save``: tapeflow has no tf.data service, so the
    dataset is written here, at once, in ``save``'s format (``load`` reads it).

    Args:
      dataset: the ``Dataset``.
      path: the directory.
      data_service_address: accepted and unused.
      compression: as ``save``'s.
    """
    save(dataset, path, None if compression == "AUTO" else compression)


# -- reading -----------------------------------------------------------------------------------
def _meta(path):
    f = os.path.join(os.fspath(path), _SPEC_FILE)
    try:
        with open(f, encoding="utf-8") as fh:
            meta = json.load(fh)
    except FileNotFoundError:
        raise errors.NotFoundError(None, "LoadDataset", f"Could not find a saved dataset at "
                                   f"{os.fspath(path)} (no {_SPEC_FILE}: nothing saved there, "
                                   "or the save did not finish)") from None
    except (OSError, ValueError) as e:
        raise errors.DataLossError(None, "LoadDataset", f"{f} cannot be read: {e}") from None
    if meta.get("format") != _FORMAT:
        raise errors.DataLossError(None, "LoadDataset", f"{f} is not a tapeflow saved dataset")
    return meta


class _ShardDataset(Dataset):
    """The elements of one saved shard file."""

    def __init__(self, file, spec, count=None):
        self._file = file
        self._spec = spec
        self._count = count

    def _elements(self):
        kind, data = _read_cache(self._file, len(S.flatten(self._spec)))
        if kind == "arrays":
            n = data[0].shape[0]
            return ([c[i, ...] for c in data] for i in range(n))
        return iter(data)

    def _cardinality(self):
        return -2 if self._count is None else self._count


class LoadDataset(Dataset):
    """``Dataset.load``: the shards of a saved directory, one after another (or as
    ``reader_func`` combines them)."""

    def __init__(self, path, element_spec=None, compression=None, reader_func=None):
        meta = _meta(path)
        saved = _decode(meta["element_spec"])
        if element_spec is not None and S.flatten(element_spec) != S.flatten(saved):
            raise ValueError(f"The `element_spec` given ({element_spec}) does not match the "
                             f"saved one ({saved}).")
        self._spec = saved if element_spec is None else element_spec
        self._n = int(meta["cardinality"])
        root = os.fspath(path)
        shards = [_ShardDataset(os.path.join(root, n), self._spec) for n in meta["shards"]]
        self._shards = shards
        self._reader = reader_func
        self._mismatch = None
        if (meta.get("compression") or None) != (compression or None):
            self._mismatch = (meta.get("compression"), compression)
        self._combined = None
        if reader_func is not None:
            source = _ListDataset([[d] for d in shards], DatasetSpec(self._spec))
            out = reader_func(source)
            if not isinstance(out, Dataset):
                raise TypeError("`reader_func` must return a Dataset.")
            self._combined = out

    def _elements(self):
        if self._mismatch is not None:  # NOTE: TF, too, fails to read shards so loaded
            saved, given = self._mismatch
            raise errors.DataLossError(None, "LoadDataset", f"The dataset was saved with "
                                       f"compression={saved!r} but is loaded with "
                                       f"compression={given!r}.")
        if self._combined is not None:
            yield from self._combined._elements()
            return
        for d in self._shards:
            yield from d._elements()

    def _cardinality(self):
        return self._n if self._combined is None else self._combined._cardinality()


def load(path, element_spec=None, compression=None, reader_func=None, wait=False):
    """A dataset of what ``save`` wrote to ``path``.

    Args:
      path: the directory.
      element_spec: the expected element spec (read from the directory when ``None``).
      compression: ignored (the shards say whether they are deflated).
      reader_func: a function from a dataset of shard datasets to the output dataset.
      wait: unused.

    Returns:
      A ``Dataset``.
    """
    return LoadDataset(path, element_spec, compression, reader_func)


class SnapshotDataset(Dataset):
    """``snapshot``: the input's elements; the first complete pass writes them to ``path``
    (``save``'s format) and later passes, in this or another program, read them from there."""

    def __init__(self, parent, path, compression="AUTO", reader_func=None, shard_func=None):
        self._parent = parent
        self._path = os.fspath(path)
        self._compression = None if compression == "AUTO" else compression
        _compressed(self._compression)
        self._reader = reader_func
        self._shard = shard_func
        self._spec = parent.element_spec
        _encode(self._spec)

    def _template(self):
        return self._parent._template()

    def _cardinality(self):
        return self._parent._cardinality()

    def _saved(self):
        try:
            meta = _meta(self._path)
        except errors.OpError:
            return None
        if _decode(meta["element_spec"]) != self._spec:
            return None  # another dataset's snapshot: written over on the next full pass
        return LoadDataset(self._path, None, None, self._reader)

    def _elements(self):
        saved = self._saved()
        if saved is not None:
            yield from saved._elements()
            return
        got = []
        for el in self._parent._elements():
            got.append(el)
            yield el
        _write(self._path, _by_shard(self._parent, got, self._shard), self._spec,
               self._compression)
