"""TensorFlow's "Image classification" tutorial (with its data augmentation part, as in
"Data augmentation"), run with ``import tapeflow as tf`` on generated PNG images.

    python examples/next_steps/image_augmentation.py            # tutorial-like sizes
    python examples/next_steps/image_augmentation.py --quick    # tiny data, 1 epoch

The tutorial downloads the flower photos; here ``make_shapes`` draws a folder of small PNGs
instead (one subfolder per class: circles, squares and triangles in their own colours, on
noisy backgrounds), written with ``tf.io.encode_png`` and ``tf.io.write_file``. Everything
after that is the tutorial's code, in order, apart from the data paths and the sizes. Plots
go to ``--out`` (``out/next_steps/`` by default) when matplotlib is installed
(``pip install tapeflow[plot]``).
"""
import os
import pathlib
import shutil
import sys

import numpy as np

from _common import parse_args, plt, show  # puts the checkout on sys.path

# isort: split
import tapeflow as tf  # after the checkout is on sys.path
from tapeflow import keras
from tapeflow.keras import layers
from tapeflow.keras.models import Sequential

# class -> its colour (RGB); the shapes differ too
CLASSES = {"circles": (220, 60, 40), "squares": (40, 180, 70), "triangles": (50, 80, 220)}


def draw(rng, shape, colour, size):
    """One ``size`` x ``size`` RGB uint8 image: ``shape`` in about ``colour`` at a random
    place and scale on a noisy grey background."""
    img = rng.normal(110, 25, (size, size, 3))
    r = rng.uniform(0.2, 0.35) * size
    cy, cx = rng.uniform(r, size - r, 2)
    yy, xx = np.mgrid[:size, :size] + 0.5
    if shape == "circles":
        inside = (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r
    elif shape == "squares":
        inside = (abs(yy - cy) <= r) & (abs(xx - cx) <= r)
    else:  # an upward triangle: apex at the top, base at the bottom
        inside = (yy <= cy + r) & (abs(xx - cx) <= (yy - (cy - r)) / 2)
    img[inside] = np.asarray(colour) + rng.normal(0, 20, (int(inside.sum()), 3))
    return np.clip(img, 0, 255).astype(np.uint8)


def make_shapes(root, per_class, size):
    """Write ``per_class`` PNGs of each class under ``root/<class>/``; returns ``root``."""
    rng = np.random.default_rng(0)
    if os.path.isdir(root):
        shutil.rmtree(root)
    for name, colour in CLASSES.items():
        os.makedirs(os.path.join(root, name))
        for i in range(per_class):
            png = tf.io.encode_png(draw(rng, name, colour, size))
            tf.io.write_file(os.path.join(root, name, f"{name}_{i:04d}.png"), png)
    return root


def plot_history(history, epochs, out, name):
    """The tutorial's accuracy and loss curves of ``history``."""
    acc = history.history['accuracy']
    val_acc = history.history['val_accuracy']

    loss = history.history['loss']
    val_loss = history.history['val_loss']

    epochs_range = range(epochs)

    if plt is None:
        return
    plt.figure(figsize=(8, 8))
    plt.subplot(1, 2, 1)
    plt.plot(epochs_range, acc, label='Training Accuracy')
    plt.plot(epochs_range, val_acc, label='Validation Accuracy')
    plt.legend(loc='lower right')
    plt.title('Training and Validation Accuracy')

    plt.subplot(1, 2, 2)
    plt.plot(epochs_range, loss, label='Training Loss')
    plt.plot(epochs_range, val_loss, label='Validation Loss')
    plt.legend(loc='upper right')
    plt.title('Training and Validation Loss')
    show(out, name)


def main(argv=None):
    """Generate the images, then run the tutorial; returns the exit status."""
    args = parse_args(__doc__, "images", argv)
    out = args.out
    tf.random.set_seed(123)
    size = 32 if args.quick else 64
    data_dir = make_shapes(os.path.join(out, "shapes"), 100 if args.quick else 300, size)
    data_dir = pathlib.Path(data_dir)

    image_count = len(list(data_dir.glob('*/*.png')))
    print(image_count)

    circles = list(data_dir.glob('circles/*'))
    print(circles[0])

    batch_size = 32
    img_height = size
    img_width = size

    train_ds = tf.keras.utils.image_dataset_from_directory(
        data_dir,
        validation_split=0.2,
        subset="training",
        seed=123,
        image_size=(img_height, img_width),
        batch_size=batch_size)

    val_ds = tf.keras.utils.image_dataset_from_directory(
        data_dir,
        validation_split=0.2,
        subset="validation",
        seed=123,
        image_size=(img_height, img_width),
        batch_size=batch_size)

    class_names = train_ds.class_names
    print(class_names)

    if plt is not None:
        plt.figure(figsize=(10, 10))
        for images, labels in train_ds.take(1):
            for i in range(9):
                plt.subplot(3, 3, i + 1)
                plt.imshow(images[i].numpy().astype("uint8"))
                plt.title(class_names[labels[i]])
                plt.axis("off")
        show(out, "images")

    for image_batch, labels_batch in train_ds:
        print(image_batch.shape)
        print(labels_batch.shape)
        break

    AUTOTUNE = tf.data.AUTOTUNE

    train_ds = train_ds.cache().shuffle(1000).prefetch(buffer_size=AUTOTUNE)
    val_ds = val_ds.cache().prefetch(buffer_size=AUTOTUNE)

    normalization_layer = layers.Rescaling(1. / 255)

    normalized_ds = train_ds.map(lambda x, y: (normalization_layer(x), y))
    image_batch, labels_batch = next(iter(normalized_ds))
    first_image = image_batch[0]
    # Notice the pixel values are now in `[0,1]`.
    print(np.min(first_image), np.max(first_image))

    num_classes = len(class_names)

    data_augmentation = keras.Sequential(
        [
            layers.RandomFlip("horizontal",
                              input_shape=(img_height,
                                           img_width,
                                           3)),
            layers.RandomRotation(0.1),
            layers.RandomZoom(0.1),
        ]
    )

    if plt is not None:
        plt.figure(figsize=(10, 10))
        for images, _ in train_ds.take(1):
            for i in range(9):
                augmented_images = data_augmentation(images)
                plt.subplot(3, 3, i + 1)
                plt.imshow(augmented_images[0].numpy().astype("uint8"))
                plt.axis("off")
        show(out, "augmented")

    model = Sequential([
        data_augmentation,
        layers.Rescaling(1. / 255),
        layers.Conv2D(16, 3, padding='same', activation='relu'),
        layers.MaxPooling2D(),
        layers.Conv2D(32, 3, padding='same', activation='relu'),
        layers.MaxPooling2D(),
        layers.Conv2D(64, 3, padding='same', activation='relu'),
        layers.MaxPooling2D(),
        layers.Dropout(0.2),
        layers.Flatten(),
        layers.Dense(128, activation='relu'),
        layers.Dense(num_classes, name="outputs")
    ])

    model.compile(optimizer='adam',
                  loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=['accuracy'])

    model.summary()

    epochs = 1 if args.quick else 15
    history = model.fit(
        train_ds,
        validation_data=val_ds,
        epochs=epochs
    )
    print(history.history)
    plot_history(history, epochs, out, "history")

    # the tutorial downloads a sunflower photo and reads it with tf.keras.utils.load_img;
    # here a fresh triangle is drawn, written and read back as a PNG file
    triangle_path = os.path.join(out, "new_triangle.png")
    tf.io.write_file(triangle_path, tf.io.encode_png(
        draw(np.random.default_rng(1), "triangles", CLASSES["triangles"], size)))

    img = tf.io.decode_png(tf.io.read_file(triangle_path), channels=3)
    img_array = tf.cast(tf.image.resize(img, (img_height, img_width)), tf.float32)
    img_array = tf.expand_dims(img_array, 0)  # Create a batch

    predictions = model.predict(img_array)
    score = tf.nn.softmax(predictions[0])

    print(
        "This image most likely belongs to {} with a {:.2f} percent confidence."
        .format(class_names[np.argmax(score)], 100 * np.max(score))
    )
    print("softmax:", score.numpy())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
