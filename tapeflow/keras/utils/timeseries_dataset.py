"""``keras.utils.timeseries_dataset_from_array``: sliding windows over an array as a
``tf.data.Dataset`` of batches."""
from ... import dtypes
from ...backend import host as np
from ...data import Dataset, TensorSpec
from .image import _host


def _check(name, value, n):
    if value <= 0:
        raise ValueError(f"`{name}` must be higher than 0. Received: {name}={value}")
    if value >= n:
        raise ValueError(f"`{name}` must be lower than the length of the data. Received: "
                         f"{name}={value}, for data of length {n}")


def timeseries_dataset_from_array(data, targets, sequence_length, sequence_stride=1,
                                  sampling_rate=1, batch_size=128, shuffle=False, seed=None,
                                  start_index=None, end_index=None):
    """Windows of ``sequence_length`` steps, ``sampling_rate`` apart, starting every
    ``sequence_stride`` steps of ``data[start_index:end_index]``; with ``targets``, each
    window is paired with ``targets[i]`` for the window starting at ``data[i]``. Batches of
    ``batch_size`` (single windows when None); ``shuffle`` draws the windows' order from
    ``seed`` afresh on each pass.

    >>> ds = timeseries_dataset_from_array(np.arange(6), None, 3, batch_size=2)
    >>> [b.numpy().tolist() for b in ds]
    [[[0, 1, 2], [1, 2, 3]], [[2, 3, 4], [3, 4, 5]]]
    """
    n = len(data)
    if start_index:
        if start_index < 0:
            raise ValueError("`start_index` must be 0 or greater. Received: "
                             f"start_index={start_index}")
        if start_index >= n:
            raise ValueError("`start_index` must be lower than the length of the data. "
                             f"Received: start_index={start_index}, for data of length {n}")
    if end_index:
        if start_index and end_index <= start_index:
            # NOTE: Keras's message ends with a space
            raise ValueError("`end_index` must be higher than `start_index`. Received: "
                             f"start_index={start_index}, and end_index={end_index} ")
        if end_index >= n:
            raise ValueError("`end_index` must be lower than the length of the data. "
                             f"Received: end_index={end_index}, for data of length {n}")
    _check("sampling_rate", sampling_rate, n)
    _check("sequence_stride", sequence_stride, n)
    start = start_index or 0
    end = n if end_index is None else end_index
    count = end - start - (sequence_length - 1) * sampling_rate
    if targets is not None:
        count = min(count, len(targets))
    index_dtype = "int32" if count < 2147483647 else "int64"
    starts = np.arange(0, max(count, 0), sequence_stride, dtype=index_dtype)
    if shuffle and seed is None:
        seed = np.random.randint(1000000)
    values = _host(data)[start:end]
    labels = None if targets is None else _host(targets)[start:end]
    offsets = np.arange(0, sequence_length * sampling_rate, sampling_rate)
    window_spec = TensorSpec((None,) + values.shape[1:], dtypes.as_dtype(values.dtype))
    label_spec = None if labels is None else TensorSpec(labels.shape[1:],
                                                        dtypes.as_dtype(labels.dtype))
    if batch_size is not None:
        window_spec = TensorSpec((None,) + tuple(window_spec.shape), window_spec.dtype)
        if label_spec is not None:
            label_spec = TensorSpec((None,) + tuple(label_spec.shape), label_spec.dtype)
    rng = np.random.RandomState(seed) if shuffle else None

    def windows():
        order = rng.permutation(starts) if rng is not None else starts
        step = batch_size or 1
        for a in range(0, len(order), step):
            first = order[a:a + step]
            x = values[first[:, None] + offsets]
            y = None if labels is None else labels[first]
            if batch_size is None:
                x, y = x[0], (None if y is None else y[0])
            yield x if y is None else (x, y)

    spec = window_spec if label_spec is None else (window_spec, label_spec)
    return Dataset.from_generator(windows, output_signature=spec)
