"""A small folder tree of images and texts, and ``*_dataset_from_directory`` calls checked
against Keras 3.15: ``tests/data/record_dir_datasets.py`` writes Keras's answers to
``dir_datasets.json`` and ``test_dir_datasets.py`` makes the same calls on tapeflow. A call
uses ``I`` (image_dataset_from_directory), ``T`` (text_dataset_from_directory) and ``D`` (the
tree's root); paths in answers are relative to ``D``."""
import hashlib
import os

import numpy as np


def make_tree(root):
    """Writes ``root/img`` (classes cat, dog and a hidden folder; PNG, JPEG, BMP, GIF, files
    in subfolders, a text file to skip) and ``root/txt`` (classes neg, pos, z (empty))."""
    from PIL import Image  # optional: Pillow writes the images

    rng = np.random.RandomState(0)
    img = os.path.join(root, "img")
    for cls, n in (("cat", 4), ("dog", 3), (".hidden", 1)):
        os.makedirs(os.path.join(img, cls, "sub"), exist_ok=True)
        for i in range(n):
            a = rng.randint(0, 256, (10 + i * 3, 14 - i, 3)).astype(np.uint8)
            Image.fromarray(a).save(os.path.join(img, cls, f"im{i}.png"))
        Image.fromarray(rng.randint(0, 256, (8, 6)).astype(np.uint8)).save(
            os.path.join(img, cls, "sub", "g.JPG"), quality=95)
        Image.fromarray(rng.randint(0, 256, (5, 9, 3)).astype(np.uint8)).save(
            os.path.join(img, cls, "b.bmp"))
        with open(os.path.join(img, cls, "notes.txt"), "w") as f:
            f.write("x")
    Image.fromarray(rng.randint(0, 256, (6, 6)).astype(np.uint8)).convert("P").save(
        os.path.join(img, "dog", "a.gif"))
    Image.fromarray(rng.randint(0, 256, (7, 7, 3)).astype(np.uint8)).save(
        os.path.join(img, "top.png"))
    txt = os.path.join(root, "txt")
    for cls, n in (("neg", 5), ("pos", 4), ("z", 0)):
        os.makedirs(os.path.join(txt, cls), exist_ok=True)
        for i in range(n):
            with open(os.path.join(txt, cls, f"t{i}.txt"), "w", encoding="utf-8") as f:
                f.write(f"{cls} text number {i} " + "\u00e9" * i)
        with open(os.path.join(txt, cls, "skip.md"), "w") as f:
            f.write("no")
    for sub, name, body in (("deep/er", "d.TXT", "deep"), ("deep-a", "a.txt", "deep-a")):
        os.makedirs(os.path.join(txt, "pos", sub), exist_ok=True)
        with open(os.path.join(txt, "pos", sub, name), "w") as f:
            f.write(body)


CASES = [
    # texts: unshuffled, every label mode, lengths, lists of labels, splits
    "T(D + '/txt', shuffle=False, batch_size=4)",
    "T(D + '/txt', shuffle=False, batch_size=None, label_mode='categorical')",
    "T(D + '/txt', shuffle=False, label_mode='binary', class_names=['pos', 'neg'])",
    "T(D + '/txt', shuffle=False, label_mode='binary')",
    "T(D + '/txt', shuffle=False, max_length=7, labels=None)",
    "T(D + '/txt', shuffle=False, label_mode=None, batch_size=3)",
    "T(D + '/txt/neg', shuffle=False, labels=[0, 1, 0, 1, 1], batch_size=2)",
    "T(D + '/txt/neg', shuffle=False, labels=[0, 1])",
    "T(D + '/txt', shuffle=False, labels='inferred', class_names=['q'])",
    "T(D + '/txt', shuffle=True, seed=5, validation_split=0.25, subset='training')",
    "T(D + '/txt', shuffle=True, seed=5, validation_split=0.25, subset='validation')",
    "T(D + '/txt', seed=9, validation_split=0.3, subset='both', batch_size=100)",
    "T(D + '/txt', shuffle=False, validation_split=0.05, subset='training')",
    "T(D + '/txt', validation_split=0.2, subset='training')",
    "T(D + '/txt', validation_split=1.5, subset='training', seed=1)",
    "T(D + '/txt', subset='training')",
    "T(D + '/txt', validation_split=0.5, subset='train', seed=1)",
    "T(D + '/txt', labels='yes')",
    "T(D + '/txt', labels=[0, 1], class_names=['a'])",
    "T(D + '/txt', label_mode='sparse')",
    "T(D + '/txt/z')",
    "T(D + '/txt', labels=None, class_names=['neg'])",
    # images
    "I(D + '/img', shuffle=False, image_size=(6, 5), batch_size=4)",
    "I(D + '/img', shuffle=False, image_size=(5, 5), label_mode='binary', batch_size=None,"
    " interpolation='nearest')",
    "I(D + '/img/cat/sub', shuffle=False, image_size=4, color_mode='grayscale', labels=None,"
    " interpolation='bicubic', class_names=None)",
    "I(D + '/img', shuffle=False, image_size=(5, 8), crop_to_aspect_ratio=True,"
    " label_mode='categorical', color_mode='rgba', batch_size=20)",
    "I(D + '/img', shuffle=False, image_size=(7, 3), crop_to_aspect_ratio=True,"
    " label_mode='categorical', interpolation='lanczos3')",
    "I(D + '/img', shuffle=False, image_size=(5, 8), pad_to_aspect_ratio=True, labels=None,"
    " interpolation='AREA', data_format='channels_first')",
    "I(D + '/img', seed=3, image_size=(3, 3), validation_split=0.4, subset='both')",
    "I(D + '/img', image_size=(3, 3), color_mode='cmyk')",
    "I(D + '/img', image_size=(3, 3, 1))",
    "I(D + '/img', image_size=(3, 3), interpolation='cubic')",
    "I(D + '/img', image_size=(3, 3), crop_to_aspect_ratio=True, pad_to_aspect_ratio=True)",
    "I(D + '/img', image_size=(3, 3), class_names=['dog', 'cow'])",
    "I(D + '/txt', image_size=(3, 3))",
]


def _array(a):
    a = np.asarray(a)
    out = {"dtype": str(a.dtype), "shape": list(a.shape)}
    if a.dtype.kind in "SUO":
        out["values"] = [v.decode("utf-8") if isinstance(v, bytes) else str(v)
                         for v in a.reshape(-1).tolist()]
    elif a.dtype.kind == "f":
        out["values"] = np.round(a.astype(np.float64), 3).reshape(-1).tolist()
    else:
        out["values"] = a.reshape(-1).tolist()
    return out


def encode(result, root, to_numpy):
    """A JSON-able record of a dataset (``class_names``, ``file_paths`` relative to ``root``,
    and every element, through ``to_numpy``) or of an exception."""
    if isinstance(result, BaseException):
        return {"error": type(result).__name__, "message": str(result).replace(root, "D")}
    if isinstance(result, list):
        return [encode(r, root, to_numpy) for r in result]
    out = {"class_names": result.class_names}
    if hasattr(result, "file_paths"):
        out["file_paths"] = [os.path.relpath(p, root) for p in result.file_paths]
    elements = []
    try:
        for el in result:
            parts = el if isinstance(el, tuple) else (el,)
            elements.append([_array(to_numpy(p)) for p in parts])
    except Exception as e:  # an error while reading the files: its class
        out["iteration_error"] = type(e).__name__
    out["elements"] = elements
    return out


def digest(record):
    """A short fingerprint of a record (for messages)."""
    return hashlib.sha256(repr(record).encode()).hexdigest()[:12]
