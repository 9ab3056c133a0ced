"""``keras.utils.split_dataset``: a small in-memory dataset cut into two ``tf.data`` datasets,
with Keras 3.15's sizes, order, structure and errors."""
import random
import time
import warnings

from ... import nest
from ...backend import host as np
from ...data import Dataset
from ...data._transforms import ComponentBatchDataset
from ...data.dataset import BatchDataset, PaddedBatchDataset
from ...tensor import TensorBase

__all__ = ["split_dataset"]

_BATCHED = (BatchDataset, PaddedBatchDataset, ComponentBatchDataset)


def split_dataset(dataset, left_size=None, right_size=None, shuffle=False, seed=None,
                  preferred_backend=None):
    """``(left, right)``: the first ``left_size`` and the last ``right_size`` samples of
    ``dataset`` as ``tf.data.Dataset``s (batched like ``dataset`` when it is a batched
    dataset).

    ``dataset``: a ``tf.data.Dataset``, a NumPy array, or a list or tuple of equally long
    arrays (each sample then a tuple). A size is a count or a fraction of the samples; the
    one left out is the rest. ``shuffle``: the samples are shuffled first with Python's
    ``random``, seeded with ``seed`` (a random seed when None), as Keras does.
    ``preferred_backend`` is accepted for Keras's signature; the result is always tf.data.
    """
    del preferred_backend
    if not isinstance(dataset, (Dataset, list, tuple, np.ndarray)):
        raise TypeError(f"Unsupported dataset type: {type(dataset)}")
    if left_size is None and right_size is None:
        raise ValueError("At least one of the `left_size` or `right_size` must be specified. "
                         "Received: left_size=None and right_size=None")
    samples = _samples(dataset)
    if shuffle:
        if seed is None:
            seed = random.randint(0, int(1e6))
        random.seed(seed)
        random.shuffle(samples)
    left, right = _sizes(left_size, right_size, len(samples))
    splits = []
    for part in (samples[:left], samples[-right:]):
        split = Dataset.from_tensor_slices(_restore(part, dataset))
        if isinstance(dataset, _BATCHED):
            split = split.batch(dataset._size)
        splits.append(split.prefetch(-1))
    return tuple(splits)


def _samples(dataset):
    """The samples of ``dataset`` as a list (tuples of rows for a list or tuple of arrays),
    checked as Keras checks them."""
    if isinstance(dataset, (list, tuple)):
        what = "list" if isinstance(dataset, list) else "tuple"
        if not dataset:
            raise ValueError("Received an empty list dataset. Please provide a non-empty list "
                             "of arrays." if what == "list" else
                             "Received an empty list dataset.Please provide a non-empty tuple "
                             "of arrays.")
        for i, a in enumerate(dataset):
            if not isinstance(a, np.ndarray):
                raise ValueError(f"Expected a {what} of `numpy.ndarray` objects,Received: "
                                 f"{type(a)} at index {i}.")
            if a.shape[0] != dataset[0].shape[0]:
                raise ValueError(
                    f"Received a {what} of NumPy arrays with different lengths.Mismatch found "
                    f"at index {i}, Expected shape={dataset[0].shape} Received shape="
                    f"{a.shape}.Please provide a {what} of NumPy arrays of the same length.")
        source = zip(*dataset)
    elif isinstance(dataset, Dataset):
        source = iter(dataset.unbatch() if isinstance(dataset, _BATCHED) else dataset)
    else:
        source = iter(dataset)
    samples = []
    start = time.time()
    slow_warned = False
    for i, sample in enumerate(source):
        if i == 0:
            first = np.shape(sample) if isinstance(sample, (np.ndarray, TensorBase)) else None
        elif first is not None and np.shape(sample) != first:
            raise ValueError(f"All `dataset` samples must have same shape, Expected shape: "
                             f"{first} Received shape: {np.shape(sample)} at index {i - 1}.")
        if i % 10 == 1 and not slow_warned and time.time() - start >= 11:
            slow_warned = True
            warnings.warn("The dataset is taking longer than 10 seconds to iterate over. This "
                          "may be due to the size of the dataset. Keep in mind that the "
                          "`split_dataset` utility is only for small in-memory dataset (e.g. "
                          "< 10,000 samples).", ResourceWarning, stacklevel=3)
        samples.append(sample)
    if not samples:
        raise ValueError("Received an empty dataset. Argument `dataset` must be a non-empty "
                         "list/tuple of `numpy.ndarray` objects or `tf.data.Dataset` objects.")
    return samples


def _sizes(left, right, total):
    """The two sizes as counts, with Keras's checks and messages."""
    kinds = type(left), type(right)
    if left is not None and kinds[0] not in (int, float) and right is not None and \
            kinds[1] not in (int, float):
        raise TypeError(f"Invalid `left_size` and `right_size` Types. Expected: integer or "
                        f"float or None, Received: type(left_size)={kinds[0]} and "
                        f"type(right_size)={kinds[1]}")
    if left is not None and kinds[0] not in (int, float):
        raise TypeError(f"Invalid `left_size` Type. Expected: int or float or None, Received: "
                        f"type(left_size)={kinds[0]}.  ")
    if right is not None and kinds[1] not in (int, float):
        raise TypeError(f"Invalid `right_size` Type. Expected: int or float or None,Received: "
                        f"type(right_size)={kinds[1]}.")
    if left == 0 and right == 0:
        raise ValueError("Both `left_size` and `right_size` are zero. At least one of the "
                         "split sizes must be non-zero.")
    if _out_of_range(left, total):
        raise ValueError(f"`left_size` should be either a positive integer smaller than "
                         f"{total}, or a float within the range `[0, 1]`. Received: "
                         f"left_size={left}")
    if _out_of_range(right, total):
        raise ValueError(f"`right_size` should be either a positive integer and smaller than "
                         f"{total} or a float within the range `[0, 1]`. Received: "
                         f"right_size={right}")
    if kinds[0] is float and kinds[1] is float and left + right > 1:
        raise ValueError("The sum of `left_size` and `right_size` is greater than 1. It must "
                         "be less than or equal to 1.")
    # NOTE: Keras rounds fractions and carries counts as floats until the end (its messages
    # show them so: `left_size`=2.0)
    left = None if left is None else round(left * total) if kinds[0] is float else float(left)
    right = None if right is None else \
        round(right * total) if kinds[1] is float else float(right)
    if left is None:
        left = total - right
    elif right is None:
        right = total - left
    if left + right > total:
        raise ValueError(f"The sum of `left_size` and `right_size` should be smaller than the "
                         f"{total}. Received: left_size + right_size = {left + right}and "
                         f"total_length = {total}")
    for size, side in ((left, "left"), (right, "right")):
        if size == 0:
            raise ValueError(f"With `dataset` of length={total}, `left_size`={left} and "
                             f"`right_size`={right}.Resulting {side} side dataset split will "
                             "be empty. Adjust any of the aforementioned parameters")
    return int(left), int(right)


def _out_of_range(size, total):
    if type(size) is int:
        return size <= 0 or size >= total
    return type(size) is float and (size <= 0 or size >= 1)


def _restore(samples, dataset):
    """The samples stacked back into the structure of one sample (lists made tuples), or,
    from a NumPy array, into one array."""
    if isinstance(dataset, np.ndarray):
        return np.array(samples)
    columns = [np.array(col) for col in zip(*(nest.flatten(s) for s in samples))]
    packed = nest.pack_sequence_as(samples[0], columns)
    return _tuples(packed)


def _tuples(x):
    if isinstance(x, (list, tuple)):
        return tuple(_tuples(v) for v in x)
    if isinstance(x, dict):
        return {k: _tuples(v) for k, v in x.items()}
    return x
