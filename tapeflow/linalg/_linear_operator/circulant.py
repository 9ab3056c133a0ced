"""Circulant operators (1-D, block-circulant 2-D and 3-D), known by their spectrum: the
operator is ``F^-1 diag(spectrum) F`` with ``F`` the (multi-dimensional) DFT."""
from ... import dtypes
from ...backend import host as np
from ...ops.array import reshape, transpose
from ...ops.indexing import gather
from ...ops.math import cast, conj, real, reciprocal
from ...ops.reduction import reduce_prod, reduce_sum
from ...signal import _fft
from ...tensor import TensorBase, convert_to_tensor
from .base import LinearOperator, check_dtype, log_abs

__all__ = ["LinearOperatorCirculant", "LinearOperatorCirculant2D",
           "LinearOperatorCirculant3D"]

_FFT = {1: (_fft.fft, _fft.ifft), 2: (_fft.fft2d, _fft.ifft2d), 3: (_fft.fft3d, _fft.ifft3d)}


def _to_complex(t):
    if t.dtype.is_complex:
        return t
    return cast(t, dtypes.complex128 if t.dtype == dtypes.float64 else dtypes.complex64)


class _Circulant(LinearOperator):
    _RANK = 1

    def __getitem__(self, key):
        """The circulant operator of the selected batch members of ``spectrum``."""
        key = self._batch_key(key)
        params = self.parameters
        params["spectrum"] = self._spectrum[key + (slice(None),) * self._RANK]
        return type(self)(**params)

    def __init__(self, spectrum, input_output_dtype=dtypes.complex64, is_non_singular=None,
                 is_self_adjoint=None, is_positive_definite=None, is_square=True, name=None):
        params = dict(spectrum=spectrum, input_output_dtype=input_output_dtype,
                      is_non_singular=is_non_singular, is_self_adjoint=is_self_adjoint,
                      is_positive_definite=is_positive_definite, is_square=is_square,
                      name=name)
        s = spectrum if isinstance(spectrum, TensorBase) else convert_to_tensor(spectrum)
        if not (s.dtype.is_floating or s.dtype.is_complex):
            raise TypeError(f"Argument `spectrum` must have dtype in [float16, float32, "
                            f"float64, complex64, complex128]. Received: {s.dtype!r}.")
        if len(s.shape) < self._RANK:
            raise ValueError(f"Argument `spectrum` must have at least {self._RANK} "
                             f"dimensions. Received: {s}.")
        if is_square is False:
            raise ValueError("A circulant operator is always square.")
        self._spectrum = s
        self._complex = _to_complex(s)
        super().__init__(input_output_dtype, None, is_non_singular, is_self_adjoint,
                         is_positive_definite, True, name, params)

    @property
    def spectrum(self):
        """The spectrum (the operator's eigenvalues on the DFT basis)."""
        return self._spectrum

    def block_shape_tensor(self):
        """The block shape (``spectrum``'s last dimensions) as an int32 tensor."""
        return convert_to_tensor(list(self._block()), dtypes.int32)

    @property
    def block_depth(self):
        """How many trailing dimensions of ``spectrum`` are block dimensions."""
        return self._RANK

    def _block(self):
        return tuple(self._spectrum.shape[-self._RANK:])

    def _shape(self):
        n = int(np.prod(self._block()))
        return tuple(self._spectrum.shape[:-self._RANK]) + (n, n)

    def _cast_out(self, t):
        if self.dtype.is_complex:
            return t if t.dtype == self.dtype else cast(t, self.dtype)
        return cast(real(t), self.dtype)

    def convolution_kernel(self, name="convolution_kernel"):
        """The first column, reshaped to the block shape (the inverse DFT of the
        spectrum)."""
        return self._cast_out(_FFT[self._RANK][1](self._complex))

    def _to_dense(self):
        block = self._block()
        h = _FFT[self._RANK][1](self._complex)
        n = int(np.prod(block))
        flat = reshape(h, list(h.shape[:-self._RANK]) + [n])
        coords = np.stack(np.unravel_index(np.arange(n), block), axis=-1)  # [n, rank]
        diff = (coords[:, None, :] - coords[None, :, :]) % np.array(block)
        idx = np.ravel_multi_index(tuple(np.moveaxis(diff, -1, 0)), block).astype(np.int32)
        dense = reshape(gather(flat, convert_to_tensor(idx.reshape(-1)), axis=-1),
                        list(flat.shape[:-1]) + [n, n])
        return self._cast_out(dense)

    def _apply(self, x, spectrum, adjoint_arg):
        """``F^-1 diag(spectrum) F x`` column by column."""
        fwd, inv = _FFT[self._RANK]
        x = _to_complex(x)
        rank = len(x.shape)
        perm = list(range(rank - 2)) + [rank - 1, rank - 2]
        cols = conj(x) if adjoint_arg else transpose(x, perm)  # [..., R, N]
        blocks = reshape(cols, list(cols.shape[:-1]) + list(self._block()))
        s = reshape(spectrum, list(spectrum.shape[:-self._RANK]) + [1] + list(self._block()))
        y = inv(s * fwd(blocks))
        y = reshape(y, list(y.shape[:-self._RANK]) + [int(np.prod(self._block()))])
        return self._cast_out(transpose(y, perm))

    def _matmul(self, x, adjoint=False, adjoint_arg=False):
        s = conj(self._complex) if adjoint else self._complex
        return self._apply(x, s, adjoint_arg)

    def _solve(self, rhs, adjoint=False, adjoint_arg=False):
        s = conj(self._complex) if adjoint else self._complex
        return self._apply(rhs, reciprocal(s), adjoint_arg)

    def _block_axes(self):
        return list(range(-self._RANK, 0))

    def _determinant(self):
        return self._cast_out(reduce_prod(self._complex, axis=self._block_axes()))

    def _log_abs_determinant(self):
        out = reduce_sum(log_abs(self._complex), axis=self._block_axes())
        return cast(out, self.dtype)

    def _diag_part(self):
        mean = reduce_sum(self._complex, axis=self._block_axes()) / \
            float(np.prod(self._block()))
        n = int(np.prod(self._block()))
        ones = convert_to_tensor(np.ones(n), mean.dtype)
        return self._cast_out(reshape(mean, list(mean.shape) + [1]) * ones)

    def _eigvals(self):
        s = reshape(self._complex, list(self._shape()[:-1]))
        return self._cast_out(s)

    def _like(self, spectrum):
        return type(self)(spectrum, input_output_dtype=self.dtype)

    def _linop_adjoint(self):
        # TF builds the adjoint with the default input_output_dtype (complex64)
        return type(self)(conj(self._complex))

    def _linop_inverse(self):
        return self._like(reciprocal(self._complex))

    def _compose(self, other):
        if type(other) is type(self):
            return self._like(self._complex * other._complex)
        return super()._compose(other)

    def matvec(self, x, adjoint=False, name="matvec"):
        """``self @ x`` for vectors ``x`` of shape ``[..., N]``."""
        check_dtype(self, x)
        return super().matvec(x, adjoint=adjoint)


def _doc(rank, what):
    return f"""{what}

    Args:
      spectrum: ``[..., {', '.join('N' + str(i + 1) for i in range(rank))}]`` float or complex
        tensor: the eigenvalues on the {rank}-D DFT basis.
      input_output_dtype: dtype of ``to_dense`` and of the tensors acted on (default
        complex64); a real dtype keeps the real part.
      is_non_singular, is_self_adjoint, is_positive_definite, is_square: hints.
      name: the operator's name.
    """


class LinearOperatorCirculant(_Circulant):
    __doc__ = _doc(1, "A circulant operator: each row is the one above shifted right by one.")
    _RANK = 1

    def __init__(self, spectrum, input_output_dtype=dtypes.complex64, is_non_singular=None,
                 is_self_adjoint=None, is_positive_definite=None, is_square=True,
                 name="LinearOperatorCirculant"):
        super().__init__(spectrum, input_output_dtype, is_non_singular, is_self_adjoint,
                         is_positive_definite, is_square, name)


class LinearOperatorCirculant2D(_Circulant):
    __doc__ = _doc(2, "A block-circulant operator with circulant blocks (2-D convolution).")
    _RANK = 2

    def __init__(self, spectrum, input_output_dtype=dtypes.complex64, is_non_singular=None,
                 is_self_adjoint=None, is_positive_definite=None, is_square=True,
                 name="LinearOperatorCirculant2D"):
        super().__init__(spectrum, input_output_dtype, is_non_singular, is_self_adjoint,
                         is_positive_definite, is_square, name)


class LinearOperatorCirculant3D(_Circulant):
    __doc__ = _doc(3, "A doubly nested block-circulant operator (3-D convolution).")
    _RANK = 3

    def __init__(self, spectrum, input_output_dtype=dtypes.complex64, is_non_singular=None,
                 is_self_adjoint=None, is_positive_definite=None, is_square=True,
                 name="LinearOperatorCirculant3D"):
        super().__init__(spectrum, input_output_dtype, is_non_singular, is_self_adjoint,
                         is_positive_definite, is_square, name)
