"""A small folder tree of images and texts, and ``*_dataset_from_directory`` calls checked
against Keras 3.15: ``tests/data/record_dir_datasets.py`` writes Keras's answers to
``dir_datasets.json`` and ``test_dir_datasets.py`` makes the same calls on tapeflow. A call
uses ``I``, ``T`` and ``A`` (image, text and audio_dataset_from_directory) and ``D`` (the
tree's root); paths in answers are relative to ``D``."""
import hashlib
import os

import numpy as np


def _wav(path, samples, channels=1, width=2, rate=8000):
    import wave

    os.makedirs(os.path.dirname(path), exist_ok=True)
    with wave.open(path, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(np.asarray(samples).astype({1: "u1", 2: "<i2"}[width]).tobytes())


def make_wavs(root):
    """Writes ``root/wav`` (classes a, b of mono 16-bit clips of several lengths),
    ``root/wav2`` (a stereo clip) and ``root/wavbad`` (an 8-bit clip)."""
    rng = np.random.RandomState(1)
    for cls, lengths in (("a", (4, 7, 2)), ("b", (5, 3))):
        for i, n in enumerate(lengths):
            _wav(os.path.join(root, "wav", cls, f"c{i}.wav"), rng.randint(-32768, 32767, n))
    _wav(os.path.join(root, "wav", "b", "sub", "LOUD.WAV"), [32767, -32768, 0])
    _wav(os.path.join(root, "wav2", "s.wav"), rng.randint(-3000, 3000, 8), channels=2)
    _wav(os.path.join(root, "wavbad", "u8.wav"), [1, 2, 3], width=1)


def make_tree(root):
    """Writes ``root/img`` (classes cat, dog and a hidden folder; PNG, JPEG, BMP, GIF, files
    in subfolders, a text file to skip), ``root/txt`` (classes neg, pos, z (empty)) and the
    WAV folders of ``make_wavs``."""
    make_wavs(root)
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
    # audio
    "A(D + '/wav', shuffle=False, batch_size=2)",
    "A(D + '/wav', shuffle=False, output_sequence_length=5, label_mode='categorical')",
    "A(D + '/wav', shuffle=False, ragged=True, batch_size=None, label_mode='binary')",
    "A(D + '/wav', seed=4, validation_split=0.4, subset='both')",
    "A(D + '/wav2', labels=None, batch_size=None)",
    "A(D + '/wavbad', labels=None)",
    "A(D + '/wav', sampling_rate=16000)",
    "A(D + '/wav', sampling_rate=1.5)",
    "A(D + '/wav', ragged=True, output_sequence_length=3)",
    "A(D + '/wav', labels=(1, 0))",
    "A(D + '/txt')",
]


def to_numpy(t):
    """A tensor's (or a ragged tensor's, padded) NumPy value."""
    return t.to_tensor().numpy() if "Ragged" in type(t).__name__ else t.numpy()


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
    if isinstance(result, (list, tuple)):
        return {type(result).__name__: [encode(r, root, to_numpy) for r in result]}
    spec = result.element_spec
    out = {"class_names": result.class_names,
           "element_spec": [[s.shape.as_list() if s.shape.rank is not None else None,
                             s.dtype.name, "Ragged" in type(s).__name__]
                            for s in (spec if isinstance(spec, tuple) else (spec,))]}
    if hasattr(result, "file_paths"):
        out["file_paths"] = [os.path.relpath(p, root) for p in result.file_paths]
    elements = []
    try:
        for el in result:
            parts = el if isinstance(el, tuple) else (el,)
            elements.append([dict(_array(to_numpy(p)), ragged="Ragged" in type(p).__name__)
                             for p in parts])
    except Exception as e:  # an error while reading the files: its class
        out["iteration_error"] = type(e).__name__
    out["elements"] = elements
    return out


def digest(record):
    """A short fingerprint of a record (for messages)."""
    return hashlib.sha256(repr(record).encode()).hexdigest()[:12]
