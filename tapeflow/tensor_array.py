"""``tf.TensorArray``: a list of same-dtype tensors that grows by writes, read back one by
one or all at once (``stack``, ``gather``, ``concat``). Elements are the written tensors
themselves and ``stack``/``concat``/``unstack``/``split`` are recorded ops, so gradients
flow through writes and reads. ``write`` returns a new TensorArray sharing the storage, as
TF's eager TensorArray does (use ``ta = ta.write(i, x)`` for code that also runs traced).

A TensorArray carried by a traced loop (``tf.function``'s ``for i in tf.range(n)``) is a
handle: one tensor holding the element list, which ``write``/``read``/``stack``... change
and read through recorded ops, so the loop's plan fills a fresh list on every call. Handles
have no gradient (a GradientTape inside the function runs such loops as Python).
"""
from . import dtypes
from .backend import host as np
from .backend import xp_of
from .errors import InvalidArgumentError, OutOfRangeError
from .ops._core import Op, apply
from .ops.array import concat, stack, zeros
from .ops.indexing import split, unstack
from .tensor import TensorBase, TensorShape, as_shape, convert_to_tensor

__all__ = ["TensorArray"]


class _Storage:
    __slots__ = ("elems", "cleared", "element_shape", "closed")

    def __init__(self, size, element_shape):
        self.elems = [None] * size
        self.cleared = set()
        self.element_shape = element_shape
        self.closed = False


class TensorArray:
    """A growable array of tensors of one ``dtype`` (TF's eager ``TensorArray``).

    Example::

        ta = tf.TensorArray(tf.float32, size=0, dynamic_size=True)
        for i in range(3):
            ta = ta.write(i, tf.constant(float(i)) ** 2)
        ta.stack()  # [0., 1., 4.]
    """

    def __init__(self, dtype, size=None, dynamic_size=None, clear_after_read=None,
                 tensor_array_name=None, handle=None, flow=None, infer_shape=True,
                 element_shape=None, colocate_with_first_write_call=True, name=None,
                 _storage=None):
        self._dtype = dtypes.as_dtype(dtype)
        self._dynamic = bool(dynamic_size)
        self._clear = True if clear_after_read is None else bool(clear_after_read)
        self._infer = infer_shape
        if _storage is None:
            if size is None:
                raise ValueError("Size must be provided if handle is not provided")
            n = int(size)
            shape = TensorShape(None) if element_shape is None else as_shape(element_shape)
            _storage = _Storage(n, shape)
        self._s = _storage
        self._h = None  # the handle tensor, while carried by a traced loop

    # -- handles (traced loops) ----------------------------------------------------------------
    def _handle_tensor(self):
        """A handle tensor over the current elements (recorded: a fresh list per call)."""
        if self._h is not None:
            return self._h
        elems = self._s.elems
        present = tuple(e is not None for e in elems)
        attrs = {"n": len(elems), "dynamic": self._dynamic, "present": present,
                 "dtype": self._dtype._np, "shape": _known(self._s.element_shape)}
        return apply(TA_NEW, [e for e in elems if e is not None], attrs)

    def _with_handle(self, h):
        ta = self._like()
        ta._h = h
        return ta

    def _like(self):
        return TensorArray(self._dtype, dynamic_size=self._dynamic,
                           clear_after_read=self._clear, infer_shape=self._infer,
                           _storage=self._s)

    # -- properties --------------------------------------------------------------------------
    @property
    def dtype(self):
        """The elements' dtype."""
        return self._dtype

    @property
    def dynamic_size(self):
        """Whether writes past the end grow the array."""
        return self._dynamic

    @property
    def element_shape(self):
        """The elements' shape (as known so far: given, or from the first write)."""
        return self._s.element_shape

    @property
    def handle(self):
        return None

    @property
    def flow(self):
        return None

    def size(self, name=None):
        """The number of elements, an int32 scalar."""
        if self._h is not None:
            return apply(TA_SIZE, (self._h,), {})
        return convert_to_tensor(len(self._s.elems), dtypes.int32)

    # -- writes ------------------------------------------------------------------------------
    def _value(self, value):
        t = value if isinstance(value, TensorBase) else convert_to_tensor(value, self._dtype)
        if t.dtype != self._dtype:
            raise InvalidArgumentError(
                None, "TensorArrayWrite",
                f"TensorArray dtype is {self._dtype.name} but Op is trying to write dtype "
                f"{t.dtype.name} [Op:TensorArrayWriteV3]")
        shape = TensorShape(t._v.shape)
        known = self._s.element_shape
        if not known.is_compatible_with(shape):
            raise ValueError(f"Incompatible shape for value ({_dims(shape)}), expected "
                             f"({_dims(known)})")
        if self._infer:
            self._s.element_shape = known.merge_with(shape)
        return t

    def _put(self, i, t):
        elems = self._s.elems
        if i < 0:
            raise OutOfRangeError(None, "TensorArrayWrite",
                                  f"Writing to negative indices (index {i}) is not allowed.")
        if i >= len(elems):
            if not self._dynamic:
                raise OutOfRangeError(
                    None, "TensorArrayWrite",
                    f"Tried to write to index {i} but array is not resizeable and size is: "
                    f"{len(elems)} ")
            elems.extend([None] * (i + 1 - len(elems)))
        elems[i] = t
        self._s.cleared.discard(i)

    def write(self, index, value, name=None):
        """Element ``index`` set to ``value``; returns the TensorArray to use from now on."""
        if self._h is not None:
            t = self._value(value)
            i = convert_to_tensor(index, dtypes.int32)
            return self._with_handle(apply(TA_WRITE, (self._h, i, t), {}))
        self._put(int(index), self._value(value))
        return self._like()

    def unstack(self, value, name=None):
        """Elements set to the rows of ``value``."""
        t = value if isinstance(value, TensorBase) else convert_to_tensor(value, self._dtype)
        if self._h is not None:
            return self._with_handle(apply(TA_UNSTACK, (self._h, t), {}))
        n = int(t._v.shape[0]) if t._v.ndim else 0
        rows = unstack(t) if n else []
        self._check_fits(n)
        for i, r in enumerate(rows):
            self._put(i, self._value(r))
        return self._like()

    def scatter(self, indices, value, name=None):
        """Elements ``indices[j]`` set to ``value[j]``."""
        idx = [int(i) for i in _host_list(indices)]
        t = value if isinstance(value, TensorBase) else convert_to_tensor(value, self._dtype)
        rows = unstack(t) if idx else []
        for i, r in zip(idx, rows):
            self._put(i, self._value(r))
        return self._like()

    def split(self, value, lengths, name=None):
        """Elements set to consecutive pieces of ``value`` along its first axis."""
        t = value if isinstance(value, TensorBase) else convert_to_tensor(value, self._dtype)
        sizes = [int(n) for n in _host_list(lengths)]
        pieces = split(t, sizes) if sizes else []
        self._check_fits(len(pieces))
        if t._v.ndim:  # pieces differ in their first dimension
            rest = TensorShape(t._v.shape[1:])
            self._s.element_shape = TensorShape([None]).concatenate(rest)
        for i, p in enumerate(pieces):
            self._put(i, p)
        return self._like()

    def _check_fits(self, n):
        size = len(self._s.elems)
        if n > size and not self._dynamic:
            raise InvalidArgumentError(
                None, "TensorArrayUnpack",
                f"Input value must have first dimension equal to the array size ({n} vs. "
                f"{size})")

    # -- reads -------------------------------------------------------------------------------
    def _get(self, i, clear):
        elems = self._s.elems
        if i < 0:
            raise OutOfRangeError(None, "TensorArrayRead",
                                  f"Reading from negative indices (index {i}) is not allowed.")
        if i >= len(elems):
            raise OutOfRangeError(None, "TensorArrayRead",
                                  f"Tried to read from index {i} but array size is: "
                                  f"{len(elems)} ")
        if i in self._s.cleared:
            raise InvalidArgumentError(
                None, "TensorArrayRead",
                f"Could not read index {i} twice because it was cleared after a previous read "
                "(perhaps try setting clear_after_read = false?)")
        t = elems[i]
        if t is None:
            shape = self._s.element_shape
            if not shape.is_fully_defined():
                raise InvalidArgumentError(
                    None, "TensorArrayRead",
                    f"Could not read from TensorArray index {i}.  Furthermore, the element "
                    "shape is not fully defined: <unknown>.  It is possible you are working "
                    "with a resizeable TensorArray and stop_gradients is not allowing the "
                    "gradients to be written.  If you set the full element_shape property on "
                    "the forward TensorArray, the proper all-zeros tensor will be returned "
                    "instead of incurring this error.")
            return zeros(shape.as_list(), self._dtype)
        if clear and self._clear:
            self._s.cleared.add(i)
        return t

    def read(self, index, name=None):
        """Element ``index`` (zeros of the element shape if never written)."""
        if self._h is not None:
            return apply(TA_READ, (self._h, convert_to_tensor(index, dtypes.int32)), {})
        return self._get(int(index), True)

    def _all(self):
        return [self._get(i, False) for i in range(len(self._s.elems))]

    def stack(self, name=None):
        """All elements stacked along a new first axis."""
        if self._h is not None:
            return apply(TA_STACK, (self._h,), {})
        if not self._s.elems:
            shape = self._s.element_shape
            dims = shape.as_list() if shape.rank is not None else []
            return zeros([0] + [d or 0 for d in dims], self._dtype)
        return stack(self._all())

    def gather(self, indices, name=None):
        """Elements ``indices`` stacked along a new first axis."""
        if self._h is not None:
            return apply(TA_GATHER, (self._h, convert_to_tensor(indices, dtypes.int32)), {})
        idx = [int(i) for i in _host_list(indices)]
        return stack([self._get(i, False) for i in idx]) if idx else self.stack()[:0]

    def concat(self, name=None):
        """All elements concatenated along their first axis."""
        if self._h is not None:
            return apply(TA_CONCAT, (self._h,), {})
        elems = self._all()
        for i, t in enumerate(elems):
            if t._v.ndim == 0:
                raise InvalidArgumentError(
                    None, "TensorArrayConcat",
                    f"Concat saw a scalar shape at index {i} but requires at least vectors.")
        if not elems:
            return zeros([0], self._dtype)
        return concat(elems, axis=0)

    # -- the rest of TF's API ------------------------------------------------------------------
    def identity(self):
        """A TensorArray sharing this one's elements."""
        return self._like()

    def close(self, name=None):
        """Mark the array closed (nothing else changes, as in TF's eager TensorArray)."""
        self._s.closed = True

    def mark_used(self):
        """Accepted for TF compatibility."""
        return None

    def grad(self, source, flow=None, name=None):
        """Graph-mode gradient arrays: not available (use a GradientTape)."""
        raise NotImplementedError("TensorArray.grad is a graph-mode API; take gradients of "
                                  "what you read or stack with tf.GradientTape instead")

    def __repr__(self):
        return f"<tapeflow.TensorArray object at 0x{id(self):x}>"


def _dims(shape):
    dims = shape.as_list() if shape.rank is not None else None
    if dims is None:
        return "<unknown>"
    return "(" + ", ".join(str(d) for d in dims) + ("," if len(dims) == 1 else "") + ")"


def _host_list(x):
    if isinstance(x, TensorBase):
        return x.numpy().reshape(-1).tolist()
    return list(x)


# -- the handle ops (host Python over a list; no gradient) -------------------------------------
class _List:
    __slots__ = ("elems", "dynamic", "dtype", "shape")

    def __init__(self, elems, dynamic, dtype, shape):
        self.elems, self.dynamic, self.dtype, self.shape = elems, dynamic, dtype, shape


def _known(shape):
    return tuple(shape.as_list()) if shape.is_fully_defined() else None


def _boxed(lst):
    h = np.empty((), object)
    h[()] = lst
    return h


def _new_fwd(*arrays, n, dynamic, present, dtype, shape):
    it = iter(arrays)
    elems = [next(it) if p else None for p in present]
    return _boxed(_List(elems + [None] * (n - len(elems)), dynamic, dtype, shape))


def _write_fwd(h, i, v):
    lst, i = h[()], int(i)
    if i < 0:
        raise OutOfRangeError(None, "TensorArrayWrite",
                              f"Writing to negative indices (index {i}) is not allowed.")
    if i >= len(lst.elems):
        if not lst.dynamic:
            raise OutOfRangeError(None, "TensorArrayWrite",
                                  f"Tried to write to index {i} but array is not resizeable "
                                  f"and size is: {len(lst.elems)} ")
        lst.elems.extend([None] * (i + 1 - len(lst.elems)))
    lst.elems[i] = v
    if lst.shape is None:
        lst.shape = tuple(v.shape)
    return h


def _element(lst, i, like=None):
    if i < 0 or i >= len(lst.elems):
        raise OutOfRangeError(None, "TensorArrayRead",
                              f"Tried to read from index {i} but array size is: "
                              f"{len(lst.elems)} ")
    e = lst.elems[i]
    if e is None:
        if lst.shape is None:
            raise InvalidArgumentError(None, "TensorArrayRead",
                                       f"Could not read from TensorArray index {i}: it was "
                                       "never written and the element shape is unknown.")
        xp = np if like is None else xp_of(like)
        return xp.zeros(lst.shape, lst.dtype)
    return e


def _first(lst):
    return next((e for e in lst.elems if e is not None), None)


def _stack_fwd(h):
    lst = h[()]
    like = _first(lst)
    if not lst.elems:
        return np.zeros((0,) + (lst.shape or ()), lst.dtype)
    xp = np if like is None else xp_of(like)
    return xp.stack([_element(lst, i, like) for i in range(len(lst.elems))])


def _gather_fwd(h, idx):
    lst = h[()]
    like = _first(lst)
    xp = np if like is None else xp_of(like)
    items = [_element(lst, int(i), like) for i in np.asarray(idx).reshape(-1)]
    return xp.stack(items) if items else np.zeros((0,) + (lst.shape or ()), lst.dtype)


def _concat_fwd(h):
    lst = h[()]
    like = _first(lst)
    xp = np if like is None else xp_of(like)
    items = [_element(lst, i, like) for i in range(len(lst.elems))]
    return xp.concatenate(items) if items else np.zeros((0,), lst.dtype)


def _unstack_fwd(h, value):
    lst = h[()]
    n = value.shape[0]
    if n > len(lst.elems):
        if not lst.dynamic:
            raise InvalidArgumentError(None, "TensorArrayUnpack",
                                       f"Input value must have first dimension equal to the "
                                       f"array size ({n} vs. {len(lst.elems)})")
        lst.elems.extend([None] * (n - len(lst.elems)))
    for i in range(n):
        lst.elems[i] = value[i]
    return h


TA_NEW = Op("TensorListReserve", _new_fwd, None, None, same_dtype=False)
TA_WRITE = Op("TensorListSetItem", _write_fwd, None, None, same_dtype=False)
TA_READ = Op("TensorListGetItem", lambda h, i: _element(h[()], int(i)), None, None,
             same_dtype=False)
TA_SIZE = Op("TensorListLength", lambda h: np.asarray(len(h[()].elems), np.int32), None, None)
TA_STACK = Op("TensorListStack", _stack_fwd, None, None)
TA_GATHER = Op("TensorListGather", _gather_fwd, None, None, same_dtype=False)
TA_CONCAT = Op("TensorListConcatV2", _concat_fwd, None, None)
TA_UNSTACK = Op("TensorListFromTensor", _unstack_fwd, None, None, same_dtype=False)
