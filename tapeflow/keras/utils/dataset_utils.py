"""Indexing a folder of files for the ``*_dataset_from_directory`` helpers: the file order,
labels, class names and the training/validation split, as Keras 3.15 makes them."""
import os

from ... import data
from ...backend import host as np
from ...ops import array as array_ops
from ...ops import math as math_ops


def check_validation_split_arg(validation_split, subset, shuffle, seed):
    """Keras's ``ValueError`` for an inconsistent ``validation_split`` / ``subset`` / ``seed``."""
    if validation_split and not 0 < validation_split < 1:
        raise ValueError(f"`validation_split` must be between 0 and 1, received: "
                         f"{validation_split}")
    if (validation_split or subset) and not (validation_split and subset):
        raise ValueError("If `subset` is set, `validation_split` must be set, and inversely.")
    if subset not in ("training", "validation", "both", None):
        raise ValueError('`subset` must be either "training", "validation" or "both", '
                         f"received: {subset}")
    if validation_split and shuffle and seed is None:
        raise ValueError("If using `validation_split` and shuffling the data, you must provide "
                         "a `seed` argument, to make sure that there is no overlap between the "
                         "training and validation subset.")


def _valid_files(directory, follow_links, formats):
    """``(folder, name)`` of the files under ``directory`` whose lower-cased name ends with
    one of ``formats``: folders in the order of their path strings, names sorted in each."""
    walk = os.walk(directory, followlinks=follow_links)
    for root, _, files in sorted(walk, key=lambda x: x[0]):
        for fname in sorted(files):
            if fname.lower().endswith(formats):
                yield root, fname


def _index_subdirectory(directory, class_indices, follow_links, formats):
    """The files of one class folder (paths relative to its parent) and their labels."""
    dirname = os.path.basename(directory)
    filenames, labels = [], []
    for root, fname in _valid_files(directory, follow_links, formats):
        labels.append(class_indices[dirname])
        filenames.append(os.path.join(dirname, os.path.relpath(os.path.join(root, fname),
                                                               directory)))
    return filenames, labels


def _class_folders(directory, class_names):
    subdirs = [d for d in sorted(os.listdir(directory))
               if os.path.isdir(os.path.join(directory, d)) and not d.startswith(".")]
    if class_names is not None:
        if not set(class_names).issubset(set(subdirs)):
            raise ValueError("The `class_names` passed did not match the names of the "
                             f"subdirectories of the target directory. Expected: {subdirs} (or "
                             f"a subset of it), but received: class_names={class_names}")
        subdirs = class_names
    return subdirs


def index_directory(directory, labels, formats, class_names=None, shuffle=True, seed=None,
                    follow_links=False, verbose=True):
    """``(file_paths, labels, class_names)`` of the files under ``directory``.

    Args:
        directory: the folder; with ``labels="inferred"`` one subfolder per class.
        labels: ``"inferred"`` (from the subfolder names), a list of labels (one per file,
            in the sorted file order) or None.
        formats: the file name endings to keep (a tuple, lower case).
        class_names: the subfolders to use, in label order (``labels="inferred"`` only).
        shuffle: shuffle paths and labels with ``numpy.random.RandomState(seed)``.
        seed: the shuffle's seed (a random one when None).
        follow_links: descend into symbolic links to folders.
        verbose: print how many files and classes were found.

    Returns:
        The file paths (a list), the labels (an int32 array for inferred labels, the given
        list, or None) and the class names (None without labels).
    """
    if labels == "inferred":
        subdirs = _class_folders(directory, class_names)
    else:
        subdirs = [""]
        if class_names is not None:
            if labels is None:
                raise ValueError("When `labels=None` (no labels), argument `class_names` "
                                 "cannot be specified.")
            raise ValueError("When argument `labels` is specified, argument `class_names` "
                             "cannot be specified (the `class_names` will be the sorted list of "
                             "labels).")
    class_names = subdirs
    class_indices = dict(zip(class_names, range(len(class_names))))
    filenames, labels_list = [], []
    for subdir in subdirs:
        names, found = _index_subdirectory(os.path.join(directory, subdir), class_indices,
                                           follow_links, formats)
        filenames += names
        labels_list.append(found)
    if labels == "inferred":
        labels = np.zeros((len(filenames),), dtype="int32")
        i = 0
        for part in labels_list:
            labels[i:i + len(part)] = part
            i += len(part)
    elif labels is None:
        class_names = None
    else:
        if len(labels) != len(filenames):
            raise ValueError("Expected the lengths of `labels` to match the number of files in "
                             f"the target directory. len(labels) is {len(labels)} while we "
                             f"found {len(filenames)} files in directory {directory}.")
        class_names = [str(label) for label in sorted(set(labels))]
    if verbose:
        if labels is None:
            print(f"Found {len(filenames)} files.")
        else:
            print(f"Found {len(filenames)} files belonging to {len(class_names)} classes.")
    file_paths = [os.path.join(directory, fname) for fname in filenames]
    if shuffle:
        if seed is None:
            seed = np.random.randint(1e6)
        np.random.RandomState(seed).shuffle(file_paths)
        if labels is not None:
            np.random.RandomState(seed).shuffle(labels)
    return file_paths, labels, class_names


def get_training_or_validation_split(samples, labels, validation_split, subset):
    """The ``subset`` part of ``samples`` and ``labels``: the last ``int(validation_split *
    len(samples))`` are for validation, the rest for training (printed, as Keras does)."""
    if not validation_split:
        return samples, labels
    num_val_samples = int(validation_split * len(samples))
    if subset == "training":
        print(f"Using {len(samples) - num_val_samples} files for training.")
        samples = samples[:-num_val_samples]
        if labels is not None:
            labels = labels[:-num_val_samples]
    elif subset == "validation":
        print(f"Using {num_val_samples} files for validation.")
        samples = samples[-num_val_samples:]
        if labels is not None:
            labels = labels[-num_val_samples:]
    else:
        raise ValueError('`subset` must be either "training" or "validation", received: '
                         f"{subset}")
    return samples, labels


def map_files(ds, load, spec, labelled):
    """``ds`` (paths, or ``(path, label)`` pairs) mapped through ``load(path)``, whose output
    is declared to have ``spec`` (what TF's trace of Keras's loader gives, unknown sizes
    included).

    NOTE: tapeflow's ``map`` finds its element spec by probing the function with made-up
    inputs, which a file reader cannot read (the probe paths name no file); it would then
    run the first real file instead, fixing its shape in the spec and raising a bad first
    file's error when the dataset is made. Declaring the spec keeps both as TF has them: the
    shapes Keras documents, and file errors when the dataset is iterated.
    """
    if labelled:
        label_spec = ds.element_spec[1]
        out = ds.map(lambda x, y: (load(x), y))
        out._spec = (spec, label_spec)
    else:
        out = ds.map(load)
        out._spec = spec
    return out


def labels_to_dataset(labels, label_mode, num_classes):
    """A ``tf.data.Dataset`` of the labels: ints as they are, ``"binary"`` as float32 ``[x]``,
    ``"categorical"`` one-hot float32 rows of ``num_classes``."""
    ds = data.Dataset.from_tensor_slices(labels)
    if label_mode == "binary":
        ds = ds.map(lambda x: array_ops.expand_dims(math_ops.cast(x, "float32"), axis=-1))
    elif label_mode == "categorical":
        ds = ds.map(lambda x: array_ops.one_hot(x, num_classes))
    return ds


def check_common_args(labels, label_mode, class_names, kind):
    """Keras's checks of ``labels`` / ``label_mode`` / ``class_names`` for ``kind`` files
    (``"image"``, ``"text"``, ``"audio"``)."""
    if labels not in ("inferred", None):
        if not isinstance(labels, (list, tuple)):
            raise ValueError(
                "`labels` argument should be a list/tuple of integer labels, of the same size "
                f"as the number of {kind} files in the target directory. If you wish to infer "
                "the labels from the subdirectory names in the target directory, pass "
                '`labels="inferred"`. If you wish to get a dataset that only contains '
                f"{_only_contains(kind)} (no labels), pass `labels=None`. Received: "
                f"labels={labels}")
        if class_names:
            raise ValueError('You can only pass `class_names` if `labels="inferred"`. '
                             f"Received: labels={labels}, and class_names={class_names}")
    if label_mode not in {"int", "categorical", "binary", None}:
        raise ValueError('`label_mode` argument must be one of "int", "categorical", "binary", '
                         f"or None. Received: label_mode={label_mode}")


def _only_contains(kind):
    return {"image": "images", "text": "text samples", "audio": "audio samples"}[kind]


def check_format(fmt):
    """Keras's ``ValueError`` for a ``format`` other than ``"tf"`` (and ``"grain"``, which
    tapeflow does not have)."""
    if fmt not in ("tf", "grain"):
        raise ValueError(f'`format` should be either "tf" or "grain". Received: format={fmt}')
    if fmt == "grain":
        raise NotImplementedError('format="grain" needs the Grain library; tapeflow builds '
                                  'tf.data datasets only (format="tf").')
