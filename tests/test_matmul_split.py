"""Large 2-D products split over tapeflow's workers (``ops/_chunks.matmul_2d``): row and column
blocks, or fixed ``K_BLOCK`` slices of a long inner dimension, chosen by the shapes alone, so
the values are the same whatever the number of workers (the same on every machine), and within
rounding of one ``np.matmul`` call."""
import numpy as np
import pytest

from tapeflow.backend import tuning
from tapeflow.ops import _chunks


@pytest.fixture
def small_split(monkeypatch):
    """Split from a few multiply-adds on, and OpenBLAS left as the test found it."""
    monkeypatch.setattr(_chunks, "SPLIT_MACS", 1)
    monkeypatch.setattr(_chunks, "K_BLOCK", 64)
    blas = tuning._openblas()
    before = blas[0]() if blas else None
    yield blas
    if blas:
        blas[1](before)


def one_thread(blas, a, b):
    if blas is None:
        return np.matmul(a, b)
    with tuning.one_blas_thread():
        return np.matmul(a, b)


@pytest.mark.parametrize("shape", [(300, 40, 7), (7, 40, 300), (33, 100, 33), (1000, 3, 2)])
def test_row_and_column_blocks_do_not_depend_on_the_workers(monkeypatch, small_split, shape):
    m, k, n = shape
    rng = np.random.default_rng(0)
    a = rng.standard_normal((m, k)).astype(np.float32)
    b = rng.standard_normal((k, n)).astype(np.float32)
    at = np.ascontiguousarray(a.T).T  # a transposed view (a weight gradient's x.T) too
    before = small_split[0]() if small_split else None
    results = []
    for workers in (1, 2, 3, 8):
        monkeypatch.setattr(_chunks, "workers", lambda w=workers: w)
        results.append((_chunks.matmul_2d(a, b), _chunks.matmul_2d(at, b)))
    for r, rt in results[1:]:
        np.testing.assert_array_equal(r, results[0][0])
        np.testing.assert_array_equal(rt, results[0][1])
    np.testing.assert_allclose(results[0][0], a @ b, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(results[0][1], a @ b, rtol=1e-5, atol=1e-5)
    if small_split:
        assert small_split[0]() == before  # OpenBLAS's own setting is back after the products


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_long_inner_dimension_is_summed_in_fixed_blocks_on_any_machine(monkeypatch,
                                                                         small_split, dtype):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((1000, 12)).astype(dtype)  # k = 1000 >= 2 K_BLOCK, 8 max(m, n)
    g = rng.standard_normal((1000, 5)).astype(dtype)
    results = []
    for workers in (1, 2, 4):
        monkeypatch.setattr(_chunks, "workers", lambda w=workers: w)
        results.append(_chunks.matmul_2d(x.T, g))
    for r in results[1:]:
        np.testing.assert_array_equal(r, results[0])  # whatever the core count
    expected = sum(one_thread(small_split, x.T[:, i:i + 64], g[i:i + 64])
                   for i in range(0, 1000, 64))
    np.testing.assert_array_equal(results[0], expected)
    assert results[0].dtype == dtype and results[0].shape == (12, 5)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(results[0], x.T @ g, rtol=tol, atol=tol)


def test_other_products_are_one_numpy_call(monkeypatch, small_split):
    monkeypatch.setattr(_chunks, "workers", lambda: 2)
    a = np.arange(12 * 300, dtype=np.int64).reshape(12, 300) % 7
    b = np.arange(300 * 5, dtype=np.int64).reshape(300, 5) % 5
    np.testing.assert_array_equal(_chunks.matmul_2d(a, b), a @ b)  # integers: no split
    c = b.astype(np.float64)
    np.testing.assert_array_equal(_chunks.matmul_2d(a.astype(np.float32), c),
                                  a.astype(np.float32) @ c)  # mixed dtypes: NumPy's rules


@pytest.mark.parametrize("workers", [1, 2, 4])
def test_a_narrow_weight_gradient_runs_swapped_with_the_same_values(monkeypatch, small_split,
                                                                     workers):
    # x.T @ g with a narrow g: computed as (g.T @ x).T, each K_BLOCK slice on one BLAS thread
    monkeypatch.setattr(_chunks, "workers", lambda: workers)
    rng = np.random.default_rng(2)
    x = rng.standard_normal((1000, 48)).astype(np.float32)
    g = rng.standard_normal((1000, 10)).astype(np.float32)
    out = _chunks.matmul_2d(x.T, g)
    assert out.shape == (48, 10) and out.dtype == np.float32 and out.flags.c_contiguous
    expected = sum(one_thread(small_split, g.T[:, i:i + 64], x[i:i + 64])
                   for i in range(0, 1000, 64)).T
    np.testing.assert_array_equal(out, expected)
    np.testing.assert_allclose(out, x.T @ g, rtol=1e-5, atol=1e-4)


def test_only_narrow_products_of_a_transposed_view_are_swapped():
    def asked(m, k, n, dtype=np.float32, transposed=True):
        a = np.zeros((k, m), dtype).T if transposed else np.zeros((m, k), dtype)
        return _chunks.narrow_transposed(a, m, k, n)

    assert asked(784, 30000, 10) and asked(784, 256, 10) and asked(288, 2541, 64)
    assert not asked(784, 30000, 10, transposed=False)  # x @ w: as asked
    assert not asked(784, 256, 50)  # short inner dimension, output wider than 16
    assert not asked(512, 2048, 128) and not asked(9, 14500, 32)  # wide outputs
    assert not asked(784, 30000, 10, dtype=np.int64)  # no BLAS for integers
    assert not asked(40, 1, 2)  # a k = 1 view is C-contiguous too: nothing to swap
