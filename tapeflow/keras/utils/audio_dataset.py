"""``keras.utils.audio_dataset_from_directory``: a ``tf.data.Dataset`` of the 16-bit PCM WAV
files of a folder, labelled by their subfolder."""
from ... import data
from ...audio import decode_wav
from ...backend import host as np
from ...data import TensorSpec
from ...io import read_file
from ...ragged import RaggedTensor, RaggedTensorSpec
from . import dataset_utils as du

ALLOWED_FORMATS = (".wav",)


def _read_audio(path, output_sequence_length):
    audio, _ = decode_wav(read_file(path), desired_samples=output_sequence_length or -1)
    return audio


def _to_dataset(file_paths, labels, label_mode, num_classes, output_sequence_length, ragged,
                shuffle=False, shuffle_buffer_size=None, seed=None):
    ds = data.Dataset.from_tensor_slices(file_paths)
    if label_mode:
        ds = data.Dataset.zip((ds, du.labels_to_dataset(labels, label_mode, num_classes)))
    if shuffle:
        ds = ds.shuffle(buffer_size=shuffle_buffer_size or 1024, seed=seed)
    if ragged:
        return du.map_files(ds, lambda x: RaggedTensor.from_tensor(_read_audio(x, None)),
                            RaggedTensorSpec([None, None], "float32", 1), bool(label_mode))
    return du.map_files(ds, lambda x: _read_audio(x, output_sequence_length),
                        TensorSpec([output_sequence_length, None], "float32"), bool(label_mode))


def _prepare(ds, batch_size, class_names, output_sequence_length, ragged):
    ds = ds.prefetch(data.AUTOTUNE)
    if batch_size is not None:
        if output_sequence_length is None and not ragged:
            ds = ds.padded_batch(batch_size)
        else:
            ds = ds.batch(batch_size)
    ds.class_names = class_names
    return ds


def _check_args(labels, label_mode, class_names, output_sequence_length, ragged,
                sampling_rate):
    if labels not in ("inferred", None):
        if not isinstance(labels, (list, tuple)):
            raise ValueError(
                "The `labels` argument should be a list/tuple of integer labels, of the same "
                "size as the number of audio files in the target directory. If you wish to "
                "infer the labels from the subdirectory names in the target directory, pass "
                '`labels="inferred"`. If you wish to get a dataset that only contains audio '
                f"samples (no labels), pass `labels=None`. Received: labels={labels}")
        if class_names:
            raise ValueError('You can only pass `class_names` if `labels="inferred"`. '
                             f"Received: labels={labels}, and class_names={class_names}")
    if label_mode not in {"int", "categorical", "binary", None}:
        raise ValueError('`label_mode` argument must be one of "int", "categorical", "binary", '
                         f"or None. Received: label_mode={label_mode}")
    if ragged and output_sequence_length is not None:
        raise ValueError("Cannot set both `ragged` and `output_sequence_length`")
    if sampling_rate is not None:
        if not isinstance(sampling_rate, int):
            raise ValueError("`sampling_rate` should have an integer value. Received: "
                             f"sampling_rate={sampling_rate}")
        if sampling_rate <= 0:
            raise ValueError("`sampling_rate` should be higher than 0. Received: "
                             f"sampling_rate={sampling_rate}")
        # NOTE: resampling is tensorflow-io's in Keras; tapeflow has no resampler either
        raise ImportError("To use the argument `sampling_rate`, you should install "
                          "tensorflow_io. You can install it via `pip install tensorflow-io`.")


def audio_dataset_from_directory(directory, labels="inferred", label_mode="int",
                                 class_names=None, batch_size=32, sampling_rate=None,
                                 output_sequence_length=None, ragged=False, shuffle=True,
                                 seed=None, validation_split=None, subset=None,
                                 follow_links=False, verbose=True):
    """A dataset of the WAV files under ``directory`` (``directory/<class>/*.wav`` for
    inferred labels), as ``tf.keras.utils.audio_dataset_from_directory`` makes it.

    Files are decoded as ``tf.audio.decode_wav`` does (16-bit PCM only) into float32
    ``[samples, channels]`` tensors.

    Args:
        directory: the folder of the ``.wav`` files (searched recursively).
        labels: ``"inferred"`` (one class per subfolder, in sorted order), a list or tuple
            of integer labels (one per file, in the sorted order of the file paths), or None.
        label_mode: ``"int"``, ``"categorical"``, ``"binary"`` or None (no labels).
        class_names: with inferred labels, the subfolders to use, in label order.
        batch_size: the batch size (None: unbatched elements). Batches are zero-padded to
            their longest clip unless ``output_sequence_length`` or ``ragged`` is set.
        sampling_rate: resampling needs tensorflow-io in Keras; an ``ImportError`` here.
        output_sequence_length: pad or cut every clip to this many samples.
        ragged: give ragged tensors (clips of their own lengths).
        shuffle: shuffle the files (numpy ``RandomState(seed)``, then a ``shuffle`` buffer).
        seed: the shuffle and split seed (required with ``validation_split`` and shuffle).
        validation_split: the fraction of the files held out for validation.
        subset: ``"training"``, ``"validation"`` or ``"both"`` (a tuple of the two datasets).
        follow_links: descend into symbolic links to folders.
        verbose: print the number of files and classes found.

    Returns:
        A ``tf.data.Dataset`` of audio batches, or of ``(audio, labels)``, with a
        ``class_names`` attribute; a tuple ``(train, validation)`` for ``subset="both"``.

    Raises:
        ValueError: inconsistent arguments or no WAV file found.
        ImportError: ``sampling_rate`` is set.
    """
    _check_args(labels, label_mode, class_names, output_sequence_length, ragged, sampling_rate)
    if labels is None or label_mode is None:
        labels, label_mode = None, None
    du.check_validation_split_arg(validation_split, subset, shuffle, seed)
    if seed is None:
        seed = np.random.randint(1e6)
    buffer = batch_size * 8 if batch_size is not None else 1024
    file_paths, labels, class_names = du.index_directory(
        directory, labels, formats=ALLOWED_FORMATS, class_names=class_names, shuffle=shuffle,
        seed=seed, follow_links=follow_links, verbose=verbose)
    if label_mode == "binary" and len(class_names) != 2:
        raise ValueError('When passing `label_mode="binary"`, there must be exactly 2 '
                         f"class_names. Received: class_names={class_names}")
    num_classes = len(class_names) if class_names else 0
    prep = (batch_size, class_names, output_sequence_length, ragged)
    if subset == "both":
        paths_train, labels_train = du.get_training_or_validation_split(
            file_paths, labels, validation_split, "training")
        if not paths_train:
            raise ValueError(f"No training audio files found in directory {directory}. Allowed "
                             f"format(s): {ALLOWED_FORMATS}")
        paths_val, labels_val = du.get_training_or_validation_split(
            file_paths, labels, validation_split, "validation")
        if not paths_val:
            raise ValueError(f"No validation audio files found in directory {directory}. "
                             f"Allowed format(s): {ALLOWED_FORMATS}")
        train = _to_dataset(paths_train, labels_train, label_mode, num_classes,
                            output_sequence_length, ragged, shuffle, buffer, seed)
        val = _to_dataset(paths_val, labels_val, label_mode, num_classes,
                          output_sequence_length, ragged)
        return _prepare(train, *prep), _prepare(val, *prep)
    file_paths, labels = du.get_training_or_validation_split(file_paths, labels,
                                                             validation_split, subset)
    if not file_paths:
        raise ValueError(f"No audio files found in directory {directory}. Allowed format(s): "
                         f"{ALLOWED_FORMATS}")
    ds = _to_dataset(file_paths, labels, label_mode, num_classes, output_sequence_length,
                     ragged, shuffle, buffer, seed)
    return _prepare(ds, *prep)
