"""``tf.TensorArray``: a list of same-dtype tensors that grows by writes, read back one by
one or all at once (``stack``, ``gather``, ``concat``). Elements are the written tensors
themselves and ``stack``/``concat``/``unstack``/``split`` are recorded ops, so gradients
flow through writes and reads. ``write`` returns a new TensorArray sharing the storage, as
TF's eager TensorArray does (use ``ta = ta.write(i, x)`` for code that also runs traced).
"""
from . import dtypes
from .errors import InvalidArgumentError, OutOfRangeError
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

    def _like(self):
        return TensorArray(self._dtype, dynamic_size=self._dynamic,
                           clear_after_read=self._clear, infer_shape=self._infer,
                           _storage=self._s)

    # -- properties --------------------------------------------------------------------------
    @property
    def dtype(self):
        return self._dtype

    @property
    def dynamic_size(self):
        return self._dynamic

    @property
    def element_shape(self):
        return self._s.element_shape

    @property
    def handle(self):
        return None

    @property
    def flow(self):
        return None

    def size(self, name=None):
        """The number of elements, an int32 scalar."""
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
        self._put(int(index), self._value(value))
        return self._like()

    def unstack(self, value, name=None):
        """Elements set to the rows of ``value``."""
        t = value if isinstance(value, TensorBase) else convert_to_tensor(value, self._dtype)
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
        return self._get(int(index), True)

    def _all(self):
        return [self._get(i, False) for i in range(len(self._s.elems))]

    def stack(self, name=None):
        """All elements stacked along a new first axis."""
        if not self._s.elems:
            shape = self._s.element_shape
            dims = shape.as_list() if shape.rank is not None else []
            return zeros([0] + [d or 0 for d in dims], self._dtype)
        return stack(self._all())

    def gather(self, indices, name=None):
        """Elements ``indices`` stacked along a new first axis."""
        idx = [int(i) for i in _host_list(indices)]
        return stack([self._get(i, False) for i in idx]) if idx else self.stack()[:0]

    def concat(self, name=None):
        """All elements concatenated along their first axis."""
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
        return self._like()

    def close(self, name=None):
        self._s.closed = True

    def mark_used(self):
        return None

    def grad(self, source, flow=None, name=None):
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
