"""``keras.utils.image_dataset_from_directory``: a ``tf.data.Dataset`` of the images of a
folder, decoded, resized and labelled by their subfolder."""
from ... import data
from ...backend import host as np
from ...data import TensorSpec
from ...image import resize, resize_with_pad
from ...io import decode_image, read_file
from ...ops import array as array_ops
from . import dataset_utils as du

ALLOWLIST_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5", "gaussian",
                  "mitchellcubic")


def _crop_box(height, width, size):
    """The centred crop of a ``height`` x ``width`` image with ``size``'s aspect ratio
    (Keras's ``smart_resize``; float32 arithmetic, as its TF graph does it)."""
    th, tw = size
    ch = max(min(height, int(np.float32(np.float32(width * th)) / np.float32(tw))), 1)
    cw = max(min(width, int(np.float32(np.float32(height * tw)) / np.float32(th))), 1)
    return int(np.float32(height - ch) / np.float32(2)), int(np.float32(width - cw) / 2), ch, cw


def load_image(path, image_size, num_channels, interpolation, data_format,
               crop_to_aspect_ratio=False, pad_to_aspect_ratio=False):
    """One image file as a float32 tensor of ``image_size`` (channels last or first)."""
    img = decode_image(read_file(path), channels=num_channels, expand_animations=False)
    if crop_to_aspect_ratio:
        h, w = int(img.shape[0]), int(img.shape[1])
        top, left, ch, cw = _crop_box(h, w, image_size)
        img = resize(img[top:top + ch, left:left + cw, :], image_size, method=interpolation)
    elif pad_to_aspect_ratio:
        img = resize_with_pad(img, image_size[0], image_size[1], method=interpolation)
    else:
        img = resize(img, image_size, method=interpolation)
    if data_format == "channels_first":
        img = array_ops.transpose(img, (2, 0, 1))
    return img


def _to_dataset(image_paths, labels, label_mode, num_classes, load_args, shuffle=False,
                shuffle_buffer_size=None, seed=None):
    if load_args[4] and load_args[5]:  # as Keras, once the files are indexed
        raise ValueError("Only one of `pad_to_aspect_ratio`, `crop_to_aspect_ratio` can be set "
                         "to `True`.")
    ds = data.Dataset.from_tensor_slices(image_paths)
    if label_mode:
        ds = data.Dataset.zip((ds, du.labels_to_dataset(labels, label_mode, num_classes)))
    if shuffle:
        ds = ds.shuffle(buffer_size=shuffle_buffer_size or 1024, seed=seed)
    (h, w), channels, interpolation, data_format = load_args[:4]
    shape = [h, w, channels] if data_format == "channels_last" else [channels, h, w]
    dtype = "uint8" if interpolation == "nearest" else "float32"  # nearest keeps the dtype
    return du.map_files(ds, lambda x: load_image(x, *load_args), TensorSpec(shape, dtype),
                        bool(label_mode))


def _finish(ds, batch_size, class_names, file_paths):
    if batch_size is not None:
        ds = ds.batch(batch_size)
    ds = ds.prefetch(data.AUTOTUNE)
    ds.class_names = class_names
    ds.file_paths = file_paths
    return ds


def _check_image_args(color_mode, image_size, interpolation, data_format):
    channels = {"rgb": 3, "rgba": 4, "grayscale": 1}.get(color_mode)
    if channels is None:
        raise ValueError('`color_mode` must be one of {"rgb", "rgba", "grayscale"}. '
                         f"Received: color_mode={color_mode}")
    if isinstance(image_size, int):
        image_size = (image_size, image_size)
    elif not isinstance(image_size, (list, tuple)) or not len(image_size) == 2:
        raise ValueError("Invalid `image_size` value. Expected a tuple of 2 integers. "
                         f"Received: image_size={image_size}")
    interpolation = interpolation.lower()
    if interpolation not in INTERPOLATIONS:
        raise ValueError(f"Argument `interpolation` should be one of {INTERPOLATIONS}. "
                         f"Received: interpolation={interpolation}")
    if data_format is None:
        data_format = "channels_last"  # NOTE: tapeflow has no image_data_format setting
    data_format = str(data_format).lower()
    if data_format not in ("channels_first", "channels_last"):
        raise ValueError("The `data_format` argument must be one of {'channels_first', "
                         f"'channels_last'}}. Received: data_format={data_format}")
    return channels, tuple(image_size), interpolation, data_format


def image_dataset_from_directory(directory, labels="inferred", label_mode="int",
                                 class_names=None, color_mode="rgb", batch_size=32,
                                 image_size=(256, 256), shuffle=True, seed=None,
                                 validation_split=None, subset=None, interpolation="bilinear",
                                 follow_links=False, crop_to_aspect_ratio=False,
                                 pad_to_aspect_ratio=False, data_format=None, format="tf",
                                 verbose=True):
    """A dataset of the images under ``directory`` (``directory/<class>/*.png`` ... for
    inferred labels), as ``tf.keras.utils.image_dataset_from_directory`` makes it.

    Images (BMP, GIF (first frame), JPEG, PNG) are decoded with ``tf.io.decode_image`` and
    resized with ``tf.image.resize`` to float32 tensors of ``image_size``.

    Args:
        directory: the folder of the images (searched recursively).
        labels: ``"inferred"`` (one class per subfolder, in sorted order), a list or tuple
            of integer labels (one per file, in the sorted order of the file paths), or None.
        label_mode: ``"int"`` (int32), ``"categorical"`` (one-hot float32), ``"binary"``
            (float32 ``[0.]``/``[1.]``, two classes only) or None (no labels).
        class_names: with inferred labels, the subfolders to use, in label order.
        color_mode: ``"rgb"``, ``"rgba"`` or ``"grayscale"`` (3, 4 or 1 channels).
        batch_size: the batch size (None: unbatched elements).
        image_size: ``(height, width)`` (or one int for both) to resize to.
        shuffle: shuffle the files (numpy ``RandomState(seed)``, then a ``shuffle`` buffer of
            ``8 * batch_size`` in the pipeline).
        seed: the shuffle and split seed (required with ``validation_split`` and shuffle).
        validation_split: the fraction of the files held out for validation (the last ones
            after the shuffle).
        subset: ``"training"``, ``"validation"`` or ``"both"`` (a list of the two datasets).
        interpolation: the resize method (``"bilinear"``, ``"nearest"``, ``"bicubic"``,
            ``"area"``, ``"lanczos3"``, ``"lanczos5"``, ``"gaussian"``, ``"mitchellcubic"``).
        follow_links: descend into symbolic links to folders.
        crop_to_aspect_ratio: crop the centre to ``image_size``'s aspect ratio first.
        pad_to_aspect_ratio: pad (``tf.image.resize_with_pad``) instead of distorting.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        format: ``"tf"`` (``"grain"`` is not available in tapeflow).
        verbose: print the number of files and classes found.

    Returns:
        A ``tf.data.Dataset`` of image batches, or of ``(images, labels)``, with
        ``class_names`` and ``file_paths`` attributes; a list ``[train, validation]`` for
        ``subset="both"``.

    Raises:
        ValueError: inconsistent arguments or no image found.
    """
    du.check_common_args(labels, label_mode, class_names, "image")
    if labels is None or label_mode is None:
        labels, label_mode = None, None
    channels, image_size, interpolation, data_format = _check_image_args(
        color_mode, image_size, interpolation, data_format)
    du.check_format(format)
    du.check_validation_split_arg(validation_split, subset, shuffle, seed)
    if seed is None:
        seed = np.random.randint(1e6)
    image_paths, labels, class_names = du.index_directory(
        directory, labels, formats=ALLOWLIST_FORMATS, class_names=class_names, shuffle=shuffle,
        seed=seed, follow_links=follow_links, verbose=verbose)
    if label_mode == "binary" and len(class_names) != 2:
        raise ValueError('When passing `label_mode="binary"`, there must be exactly 2 '
                         f"class_names. Received: class_names={class_names}")
    buffer = batch_size * 8 if batch_size is not None else 1024
    num_classes = len(class_names) if class_names else 0
    load_args = (image_size, channels, interpolation, data_format, crop_to_aspect_ratio,
                 pad_to_aspect_ratio)
    if subset == "both":
        paths_train, labels_train = du.get_training_or_validation_split(
            image_paths, labels, validation_split, "training")
        paths_val, labels_val = du.get_training_or_validation_split(
            image_paths, labels, validation_split, "validation")
        if not paths_train:
            raise ValueError(f"No training images found in directory {directory}. Allowed "
                             f"formats: {ALLOWLIST_FORMATS}")
        if not paths_val:
            raise ValueError(f"No validation images found in directory {directory}. Allowed "
                             f"formats: {ALLOWLIST_FORMATS}")
        train = _to_dataset(paths_train, labels_train, label_mode, num_classes, load_args,
                            shuffle, buffer, seed)
        val = _to_dataset(paths_val, labels_val, label_mode, num_classes, load_args)
        return [_finish(train, batch_size, class_names, paths_train),
                _finish(val, batch_size, class_names, paths_val)]
    image_paths, labels = du.get_training_or_validation_split(image_paths, labels,
                                                              validation_split, subset)
    if not image_paths:
        raise ValueError(f"No images found in directory {directory}. Allowed formats: "
                         f"{ALLOWLIST_FORMATS}")
    ds = _to_dataset(image_paths, labels, label_mode, num_classes, load_args, shuffle, buffer,
                     seed)
    return _finish(ds, batch_size, class_names, image_paths)
