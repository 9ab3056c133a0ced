"""TensorFlow's "Simple audio recognition" tutorial, run with ``import tapeflow as tf`` on
generated WAV files.

    python examples/next_steps/audio_spectrogram.py            # tutorial-like sizes
    python examples/next_steps/audio_spectrogram.py --quick    # tiny data, 1 epoch

The tutorial downloads mini Speech Commands; here ``make_tones`` writes a folder of short
16 kHz 16-bit WAV files instead, one subfolder per class, each class a chord of its own sine
tones (random phases, loudness, start and length) plus noise, written with
``tf.audio.encode_wav``. Everything after that is the tutorial's code, in order, apart from
the data paths, the sizes and the parts noted in the code (``os.listdir`` for
``tf.io.gfile.listdir``, seaborn's heatmap, the export model). Plots go to ``--out``
(``out/next_steps/`` by default) when matplotlib is installed (``pip install
tapeflow[plot]``).
"""
import os
import pathlib
import shutil
import sys

import numpy as np

from _common import parse_args, plt, show  # puts the checkout on sys.path

# isort: split
import tapeflow as tf  # after the checkout is on sys.path
from tapeflow.keras import layers, models

RATE = 16000
# class -> the frequencies (Hz) of its chord
TONES = {"high": (2400.0, 3600.0), "low": (220.0, 330.0), "mid": (880.0, 1100.0),
         "sweep": None}  # sweep: a tone gliding from 300 Hz to 3000 Hz


def tone(rng, freqs, n):
    """``n`` samples in [-1, 1]: ``freqs``'s sines (a glide for None) starting at a random
    time, then noise over the whole clip."""
    t = np.arange(n) / RATE
    if freqs is None:
        x = np.sin(2 * np.pi * (300 * t + (3000 - 300) / 2 * t * t))
    else:
        x = sum(np.sin(2 * np.pi * f * t + rng.uniform(0, 2 * np.pi)) for f in freqs)
        x = x / len(freqs)
    start = rng.integers(0, n // 4)
    x[:start] = 0
    x = x * rng.uniform(0.3, 0.8) + rng.normal(0, 0.05, n)
    return np.clip(x, -1, 1)


def write_wav(path, samples):
    """Write float ``samples`` in [-1, 1] as a mono 16-bit PCM WAV file at ``RATE``."""
    audio = tf.constant(samples[:, None], tf.float32)
    tf.io.write_file(path, tf.audio.encode_wav(audio, RATE))


def make_tones(root, per_class):
    """Write ``per_class`` WAV files of each class under ``root/<class>/`` (0.6 to 1 s long)
    and a README.md, as the speech commands folder has; returns ``root``."""
    rng = np.random.default_rng(0)
    if os.path.isdir(root):
        shutil.rmtree(root)
    for name, freqs in TONES.items():
        os.makedirs(os.path.join(root, name))
        for i in range(per_class):
            n = int(rng.integers(RATE * 6 // 10, RATE + 1))
            write_wav(os.path.join(root, name, f"{i:04x}_nohash_0.wav"), tone(rng, freqs, n))
    with open(os.path.join(root, "README.md"), "w") as f:
        f.write("Generated tones, one folder per class.\n")
    return root


def squeeze(audio, labels):
    audio = tf.squeeze(audio, axis=-1)
    return audio, labels


def get_spectrogram(waveform):
    # Convert the waveform to a spectrogram via a STFT.
    spectrogram = tf.signal.stft(
        waveform, frame_length=255, frame_step=128)
    # Obtain the magnitude of the STFT.
    spectrogram = tf.abs(spectrogram)
    # Add a `channels` dimension, so that the spectrogram can be used
    # as image-like input data with convolution layers (which expect
    # shape (`batch_size`, `height`, `width`, `channels`).
    spectrogram = spectrogram[..., tf.newaxis]
    return spectrogram


def plot_spectrogram(spectrogram, ax):
    if len(spectrogram.shape) > 2:
        assert len(spectrogram.shape) == 3
        spectrogram = np.squeeze(spectrogram, axis=-1)
    # Convert the frequencies to log scale and transpose, so that the time is
    # represented on the x-axis (columns).
    # Add an epsilon to avoid taking a log of zero.
    log_spec = np.log(spectrogram.T + np.finfo(float).eps)
    height = log_spec.shape[0]
    width = log_spec.shape[1]
    X = np.linspace(0, np.size(spectrogram), num=width, dtype=int)
    Y = range(height)
    ax.pcolormesh(X, Y, log_spec)


def make_spec_ds(ds):
    return ds.map(
        map_func=lambda audio, label: (get_spectrogram(audio), label),
        num_parallel_calls=tf.data.AUTOTUNE)


def main(argv=None):
    """Generate the WAV files, then run the tutorial; returns the exit status."""
    args = parse_args(__doc__, "WAV files", argv)
    out = args.out

    # Set the seed value for experiment reproducibility.
    seed = 42
    tf.random.set_seed(seed)
    np.random.seed(seed)

    DATASET_PATH = make_tones(os.path.join(out, "tones"), 90 if args.quick else 250)

    data_dir = pathlib.Path(DATASET_PATH)

    # the tutorial lists the folder with tf.io.gfile.listdir, which tapeflow lacks
    commands = np.array(sorted(os.listdir(str(data_dir))))
    commands = commands[(commands != 'README.md') & (commands != '.DS_Store')]
    print('Commands:', commands)

    train_ds, val_ds = tf.keras.utils.audio_dataset_from_directory(
        directory=data_dir,
        batch_size=64,
        validation_split=0.2,
        seed=0,
        output_sequence_length=16000,
        subset='both')

    label_names = np.array(train_ds.class_names)
    print()
    print("label names:", label_names)

    print(train_ds.element_spec)

    train_ds = train_ds.map(squeeze, tf.data.AUTOTUNE)
    val_ds = val_ds.map(squeeze, tf.data.AUTOTUNE)

    test_ds = val_ds.shard(num_shards=2, index=0)
    val_ds = val_ds.shard(num_shards=2, index=1)

    for example_audio, example_labels in train_ds.take(1):
        print(example_audio.shape)
        print(example_labels.shape)

    print(label_names[[1, 1, 3, 0]])

    if plt is not None:
        plt.figure(figsize=(16, 10))
        rows = 3
        cols = 3
        n = rows * cols
        for i in range(n):
            plt.subplot(rows, cols, i + 1)
            audio_signal = example_audio[i]
            plt.plot(audio_signal)
            plt.title(label_names[example_labels[i]])
            plt.yticks(np.arange(-1.2, 1.2, 0.2))
            plt.ylim([-1.1, 1.1])
        show(out, "waveforms")

    for i in range(3):
        label = label_names[example_labels[i]]
        waveform = example_audio[i]
        spectrogram = get_spectrogram(waveform)

        print('Label:', label)
        print('Waveform shape:', waveform.shape)
        print('Spectrogram shape:', spectrogram.shape)

    if plt is not None:
        fig, axes = plt.subplots(2, figsize=(12, 8))
        timescale = np.arange(waveform.shape[0])
        axes[0].plot(timescale, waveform.numpy())
        axes[0].set_title('Waveform')
        axes[0].set_xlim([0, 16000])

        plot_spectrogram(spectrogram.numpy(), axes[1])
        axes[1].set_title('Spectrogram')
        plt.suptitle(label.title())
        show(out, "spectrogram")

    train_spectrogram_ds = make_spec_ds(train_ds)
    val_spectrogram_ds = make_spec_ds(val_ds)
    test_spectrogram_ds = make_spec_ds(test_ds)

    for example_spectrograms, example_spect_labels in train_spectrogram_ds.take(1):
        break

    if plt is not None:
        rows = 3
        cols = 3
        n = rows * cols
        fig, axes = plt.subplots(rows, cols, figsize=(16, 9))

        for i in range(n):
            r = i // cols
            c = i % cols
            ax = axes[r][c]
            plot_spectrogram(example_spectrograms[i].numpy(), ax)
            ax.set_title(label_names[example_spect_labels[i].numpy()])
        show(out, "spectrograms")

    train_spectrogram_ds = train_spectrogram_ds.cache().shuffle(10000).prefetch(
        tf.data.AUTOTUNE)
    val_spectrogram_ds = val_spectrogram_ds.cache().prefetch(tf.data.AUTOTUNE)
    test_spectrogram_ds = test_spectrogram_ds.cache().prefetch(tf.data.AUTOTUNE)

    input_shape = example_spectrograms.shape[1:]
    print('Input shape:', input_shape)
    num_labels = len(label_names)

    # Instantiate the `tf.keras.layers.Normalization` layer.
    norm_layer = layers.Normalization()
    # Fit the state of the layer to the spectrograms
    # with `Normalization.adapt`.
    norm_layer.adapt(data=train_spectrogram_ds.map(map_func=lambda spec, label: spec))

    model = models.Sequential([
        layers.Input(shape=input_shape),
        # Downsample the input.
        layers.Resizing(32, 32),
        # Normalize.
        norm_layer,
        layers.Conv2D(32, 3, activation='relu'),
        layers.Conv2D(64, 3, activation='relu'),
        layers.MaxPooling2D(),
        layers.Dropout(0.25),
        layers.Flatten(),
        layers.Dense(128, activation='relu'),
        layers.Dropout(0.5),
        layers.Dense(num_labels),
    ])

    model.summary()

    model.compile(
        optimizer=tf.keras.optimizers.Adam(),
        loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=['accuracy'],
    )

    EPOCHS = 1 if args.quick else 10
    history = model.fit(
        train_spectrogram_ds,
        validation_data=val_spectrogram_ds,
        epochs=EPOCHS,
        callbacks=tf.keras.callbacks.EarlyStopping(verbose=1, patience=2),
    )

    metrics = history.history
    print(metrics)
    if plt is not None:
        plt.figure(figsize=(16, 6))
        plt.subplot(1, 2, 1)
        plt.plot(history.epoch, metrics['loss'], metrics['val_loss'])
        plt.legend(['loss', 'val_loss'])
        plt.ylim([0, max(plt.ylim())])
        plt.xlabel('Epoch')
        plt.ylabel('Loss [CrossEntropy]')

        plt.subplot(1, 2, 2)
        plt.plot(history.epoch, 100 * np.array(metrics['accuracy']),
                 100 * np.array(metrics['val_accuracy']))
        plt.legend(['accuracy', 'val_accuracy'])
        plt.ylim([0, 100])
        plt.xlabel('Epoch')
        plt.ylabel('Accuracy [%]')
        show(out, "history")

    print(model.evaluate(test_spectrogram_ds, return_dict=True))

    y_pred = model.predict(test_spectrogram_ds)
    y_pred = tf.argmax(y_pred, axis=1)
    y_true = tf.concat(list(test_spectrogram_ds.map(lambda s, lab: lab)), axis=0)

    confusion_mtx = tf.math.confusion_matrix(y_true, y_pred)
    print(confusion_mtx)
    if plt is not None:  # the tutorial draws it with seaborn's heatmap
        plt.figure(figsize=(10, 8))
        plt.imshow(confusion_mtx.numpy(), cmap="Blues")
        plt.xticks(range(num_labels), label_names)
        plt.yticks(range(num_labels), label_names)
        plt.xlabel('Prediction')
        plt.ylabel('Label')
        show(out, "confusion_matrix")

    x = data_dir / 'low' / '0000_nohash_0.wav'
    x = tf.io.read_file(str(x))
    x, sample_rate = tf.audio.decode_wav(x, desired_channels=1, desired_samples=16000,)
    x = tf.squeeze(x, axis=-1)
    waveform = x
    x = get_spectrogram(x)
    x = x[tf.newaxis, ...]

    prediction = model(x)
    x_labels = list(label_names)
    print("softmax:", tf.nn.softmax(prediction[0]).numpy())
    if plt is not None:
        plt.bar(x_labels, tf.nn.softmax(prediction[0]))
        plt.title('Low')
        show(out, "prediction")
    # (the tutorial's ExportModel, a tf.Module reading file names, is left out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
