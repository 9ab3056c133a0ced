"""``keras.utils.text_dataset_from_directory``: a ``tf.data.Dataset`` of the ``.txt`` files of a
folder, labelled by their subfolder."""
from ... import data
from ...data import TensorSpec
from ...io import read_file
from ...strings import substr
from . import dataset_utils as du


def _read_text(path, max_length):
    txt = read_file(path)
    if max_length is not None:
        txt = substr(txt, 0, max_length)
    return txt


def _to_dataset(file_paths, labels, label_mode, num_classes, max_length, shuffle=False,
                shuffle_buffer_size=None, seed=None):
    ds = data.Dataset.from_tensor_slices(file_paths)
    if label_mode:
        ds = data.Dataset.zip((ds, du.labels_to_dataset(labels, label_mode, num_classes)))
    if shuffle:
        ds = ds.shuffle(buffer_size=shuffle_buffer_size or 1024, seed=seed)
    return du.map_files(ds, lambda x: _read_text(x, max_length), TensorSpec([], "string"),
                        bool(label_mode))


def _finish(ds, batch_size, class_names):
    if batch_size is not None:
        ds = ds.batch(batch_size)
    ds = ds.prefetch(data.AUTOTUNE)
    ds.class_names = class_names
    return ds


def text_dataset_from_directory(directory, labels="inferred", label_mode="int",
                                class_names=None, batch_size=32, max_length=None, shuffle=True,
                                seed=None, validation_split=None, subset=None,
                                follow_links=False, format="tf", verbose=True):
    """A dataset of the text files under ``directory`` (``directory/<class>/*.txt`` for
    inferred labels), as ``tf.keras.utils.text_dataset_from_directory`` makes it.

    Args:
        directory: the folder of the ``.txt`` files (searched recursively).
        labels: ``"inferred"`` (one class per subfolder, in sorted order), a list or tuple
            of integer labels (one per file, in the sorted order of the file paths), or None.
        label_mode: ``"int"`` (int32), ``"categorical"`` (one-hot float32), ``"binary"``
            (float32 ``[0.]``/``[1.]``, two classes only) or None (no labels).
        class_names: with inferred labels, the subfolders to use, in label order.
        batch_size: the batch size (None: unbatched elements).
        max_length: keep at most this many bytes of each text.
        shuffle: shuffle the files (numpy ``RandomState(seed)``, then a ``shuffle`` buffer of
            ``8 * batch_size`` in the pipeline).
        seed: the shuffle and split seed (required with ``validation_split`` and shuffle).
        validation_split: the fraction of the files held out for validation (the last ones
            after the shuffle).
        subset: ``"training"``, ``"validation"`` or ``"both"`` (a list of the two datasets).
        follow_links: descend into symbolic links to folders.
        format: ``"tf"`` (``"grain"`` is not available in tapeflow).
        verbose: print the number of files and classes found.

    Returns:
        A ``tf.data.Dataset`` of string tensors, or of ``(text, label)`` pairs, with a
        ``class_names`` attribute; a list ``[train, validation]`` for ``subset="both"``.

    Raises:
        ValueError: inconsistent arguments or no text file found.
    """
    du.check_common_args(labels, label_mode, class_names, "text")
    du.check_format(format)
    if labels is None or label_mode is None:
        labels, label_mode = None, None
    du.check_validation_split_arg(validation_split, subset, shuffle, seed)
    if seed is None:
        seed = du.np.random.randint(1e6)
    file_paths, labels, class_names = du.index_directory(
        directory, labels, formats=(".txt",), class_names=class_names, shuffle=shuffle,
        seed=seed, follow_links=follow_links, verbose=verbose)
    if label_mode == "binary" and len(class_names) != 2:
        raise ValueError('When passing `label_mode="binary"`, there must be exactly 2 '
                         f"class_names. Received: class_names={class_names}")
    buffer = batch_size * 8 if batch_size is not None else 1024
    num_classes = len(class_names) if class_names else 0
    if subset == "both":
        paths_train, labels_train = du.get_training_or_validation_split(
            file_paths, labels, validation_split, "training")
        paths_val, labels_val = du.get_training_or_validation_split(
            file_paths, labels, validation_split, "validation")
        if not paths_train:
            raise ValueError(f"No training text files found in directory {directory}. Allowed "
                             "format: .txt")
        if not paths_val:
            raise ValueError(f"No validation text files found in directory {directory}. "
                             "Allowed format: .txt")
        train = _to_dataset(paths_train, labels_train, label_mode, num_classes, max_length,
                            shuffle, buffer, seed)
        val = _to_dataset(paths_val, labels_val, label_mode, num_classes, max_length)
        return [_finish(train, batch_size, class_names), _finish(val, batch_size, class_names)]
    file_paths, labels = du.get_training_or_validation_split(file_paths, labels,
                                                             validation_split, subset)
    if not file_paths:
        raise ValueError(f"No text files found in directory {directory}. Allowed format: .txt")
    ds = _to_dataset(file_paths, labels, label_mode, num_classes, max_length, shuffle, buffer,
                     seed)
    return _finish(ds, batch_size, class_names)
