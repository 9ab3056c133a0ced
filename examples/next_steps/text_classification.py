"""TensorFlow's "Basic text classification" and "Text classification with an RNN" tutorials,
run with ``import tapeflow as tf`` on a small generated IMDB-style folder tree.

    python examples/next_steps/text_classification.py            # tutorial-like sizes
    python examples/next_steps/text_classification.py --quick    # tiny data, 1 epoch

The tutorials download the IMDB reviews (aclImdb, and tensorflow_datasets for the RNN one);
here ``make_imdb`` writes an aclImdb-like tree of short generated reviews instead
(``train/pos``, ``train/neg``, ``train/unsup``, ``test/pos``, ``test/neg``; ``<br />`` tags,
capitals and punctuation included). Everything after that is the tutorials' code, in order,
apart from the data paths and the sizes. Plots go to ``--out`` (``out/next_steps/`` by
default) when matplotlib is installed (``pip install tapeflow[plot]``).
"""
import os
import random
import re
import shutil
import string
import sys

import numpy as np

from _common import parse_args, plt, show  # puts the checkout on sys.path

# isort: split
import tapeflow as tf  # after the checkout is on sys.path
from tapeflow.keras import layers, losses

POSITIVE = ["great", "wonderful", "brilliant", "moving", "superb", "delightful", "loved",
            "beautiful", "funny", "masterpiece", "charming", "excellent"]
NEGATIVE = ["terrible", "boring", "awful", "dull", "waste", "worst", "hated", "clumsy",
            "annoying", "mess", "predictable", "poor"]
NEUTRAL = ["the", "movie", "film", "a", "was", "and", "of", "plot", "actors", "story", "it",
           "this", "scene", "director", "i", "with", "music", "ending", "really", "quite"]


def review(rng, sentiment):
    """One generated review: sentences of neutral words with this sentiment's words mixed in,
    some capitalised, with punctuation and ``<br />`` tags as in the IMDB files."""
    words = POSITIVE if sentiment == "pos" else NEGATIVE
    sentences = []
    for _ in range(rng.randint(3, 8)):
        sentence = [rng.choice(words) if rng.random() < 0.4 else rng.choice(NEUTRAL)
                    for _ in range(rng.randint(4, 10))]
        sentence[0] = sentence[0].capitalize()
        sentences.append(" ".join(sentence) + rng.choice([".", "!", "...", "?"]))
    return " ".join(s + (" <br /><br />" if rng.random() < 0.3 else "") for s in sentences)


def make_imdb(root, per_class):
    """Write an aclImdb-like tree under ``root``: ``per_class`` reviews in each of
    ``train/pos``, ``train/neg``, ``test/pos``, ``test/neg`` (named ``<id>_<rating>.txt``)
    and a few unlabelled ones in ``train/unsup``. Returns ``root``."""
    rng = random.Random(0)
    if os.path.isdir(root):
        shutil.rmtree(root)
    for split in ("train", "test"):
        for sentiment in ("pos", "neg"):
            folder = os.path.join(root, split, sentiment)
            os.makedirs(folder)
            for i in range(per_class):
                rating = rng.randint(7, 10) if sentiment == "pos" else rng.randint(1, 4)
                with open(os.path.join(folder, f"{i}_{rating}.txt"), "w") as f:
                    f.write(review(rng, sentiment))
    os.makedirs(os.path.join(root, "train", "unsup"))
    for i in range(10):
        with open(os.path.join(root, "train", "unsup", f"{i}_0.txt"), "w") as f:
            f.write(review(rng, rng.choice(["pos", "neg"])))
    return root


def plot_graphs(history, metric):
    plt.plot(history.history[metric])
    plt.plot(history.history['val_' + metric], '')
    plt.xlabel("Epochs")
    plt.ylabel(metric)
    plt.legend([metric, 'val_' + metric])


def basic_text_classification(dataset_dir, out, epochs):
    """"Basic text classification": bag of embeddings, ``Dense(1)`` logits, export model."""
    print(os.listdir(dataset_dir))
    train_dir = os.path.join(dataset_dir, 'train')
    print(os.listdir(train_dir))

    sample_file = os.path.join(train_dir, 'pos', sorted(os.listdir(
        os.path.join(train_dir, 'pos')))[0])
    with open(sample_file) as f:
        print(f.read())

    remove_dir = os.path.join(train_dir, 'unsup')
    shutil.rmtree(remove_dir)

    batch_size = 32
    seed = 42

    raw_train_ds = tf.keras.utils.text_dataset_from_directory(
        train_dir,
        batch_size=batch_size,
        validation_split=0.2,
        subset='training',
        seed=seed)

    for text_batch, label_batch in raw_train_ds.take(1):
        for i in range(3):
            print("Review", text_batch.numpy()[i])
            print("Label", label_batch.numpy()[i])

    print("Label 0 corresponds to", raw_train_ds.class_names[0])
    print("Label 1 corresponds to", raw_train_ds.class_names[1])

    raw_val_ds = tf.keras.utils.text_dataset_from_directory(
        train_dir,
        batch_size=batch_size,
        validation_split=0.2,
        subset='validation',
        seed=seed)

    raw_test_ds = tf.keras.utils.text_dataset_from_directory(
        os.path.join(dataset_dir, 'test'),
        batch_size=batch_size)

    def custom_standardization(input_data):
        lowercase = tf.strings.lower(input_data)
        stripped_html = tf.strings.regex_replace(lowercase, '<br />', ' ')
        return tf.strings.regex_replace(stripped_html,
                                        '[%s]' % re.escape(string.punctuation),
                                        '')

    max_features = 10000
    sequence_length = 250

    vectorize_layer = layers.TextVectorization(
        standardize=custom_standardization,
        max_tokens=max_features,
        output_mode='int',
        output_sequence_length=sequence_length)

    # Make a text-only dataset (without labels), then call adapt
    train_text = raw_train_ds.map(lambda x, y: x)
    vectorize_layer.adapt(train_text)

    def vectorize_text(text, label):
        text = tf.expand_dims(text, -1)
        return vectorize_layer(text), label

    # retrieve a batch (of 32 reviews and labels) from the dataset
    text_batch, label_batch = next(iter(raw_train_ds))
    first_review, first_label = text_batch[0], label_batch[0]
    print("Review", first_review)
    print("Label", raw_train_ds.class_names[first_label])
    print("Vectorized review", vectorize_text(first_review, first_label))

    print("  12 ---> ", vectorize_layer.get_vocabulary()[12])
    print("  31 ---> ", vectorize_layer.get_vocabulary()[31])
    print('Vocabulary size: {}'.format(len(vectorize_layer.get_vocabulary())))

    train_ds = raw_train_ds.map(vectorize_text)
    val_ds = raw_val_ds.map(vectorize_text)
    test_ds = raw_test_ds.map(vectorize_text)

    AUTOTUNE = tf.data.AUTOTUNE

    train_ds = train_ds.cache().prefetch(buffer_size=AUTOTUNE)
    val_ds = val_ds.cache().prefetch(buffer_size=AUTOTUNE)
    test_ds = test_ds.cache().prefetch(buffer_size=AUTOTUNE)

    embedding_dim = 16

    model = tf.keras.Sequential([
        layers.Embedding(max_features, embedding_dim),
        layers.Dropout(0.2),
        layers.GlobalAveragePooling1D(),
        layers.Dropout(0.2),
        layers.Dense(1)])

    model.summary()

    model.compile(loss=losses.BinaryCrossentropy(from_logits=True),
                  optimizer='adam',
                  metrics=[tf.metrics.BinaryAccuracy(threshold=0.0)])

    history = model.fit(
        train_ds,
        validation_data=val_ds,
        epochs=epochs)

    loss, accuracy = model.evaluate(test_ds)

    print("Loss: ", loss)
    print("Accuracy: ", accuracy)

    history_dict = history.history
    print(history_dict.keys())

    acc = history_dict['binary_accuracy']
    val_acc = history_dict['val_binary_accuracy']
    loss = history_dict['loss']
    val_loss = history_dict['val_loss']

    epochs = range(1, len(acc) + 1)

    if plt is not None:
        # "bo" is for "blue dot"
        plt.plot(epochs, loss, 'bo', label='Training loss')
        # b is for "solid blue line"
        plt.plot(epochs, val_loss, 'b', label='Validation loss')
        plt.title('Training and validation loss')
        plt.xlabel('Epochs')
        plt.ylabel('Loss')
        plt.legend()
        show(out, "text_loss")

        plt.plot(epochs, acc, 'bo', label='Training acc')
        plt.plot(epochs, val_acc, 'b', label='Validation acc')
        plt.title('Training and validation accuracy')
        plt.xlabel('Epochs')
        plt.ylabel('Accuracy')
        plt.legend(loc='lower right')
        show(out, "text_accuracy")

    export_model = tf.keras.Sequential([
        vectorize_layer,
        model,
        layers.Activation('sigmoid')
    ])

    export_model.compile(
        loss=losses.BinaryCrossentropy(from_logits=False), optimizer="adam",
        metrics=['accuracy']
    )

    # Test it with `raw_test_ds`, which yields raw strings
    metrics = export_model.evaluate(raw_test_ds, return_dict=True)
    print(metrics)

    examples = tf.constant([
        "The movie was great!",
        "The movie was okay.",
        "The movie was terrible..."
    ])

    print(export_model.predict(examples))


def text_classification_rnn(dataset_dir, out, epochs, quick):
    """"Text classification with an RNN": ``TextVectorization`` inside the model, a masked
    ``Embedding`` and a ``Bidirectional(LSTM)``."""
    # tfds.load('imdb_reviews', as_supervised=True): unbatched (text, label) pairs
    train_dataset = tf.keras.utils.text_dataset_from_directory(
        os.path.join(dataset_dir, 'train'), batch_size=None, seed=0)
    test_dataset = tf.keras.utils.text_dataset_from_directory(
        os.path.join(dataset_dir, 'test'), batch_size=None, seed=0)
    print(train_dataset.element_spec)

    for example, label in train_dataset.take(1):
        print('text: ', example.numpy())
        print('label: ', label.numpy())

    BUFFER_SIZE = 10000
    BATCH_SIZE = 64
    train_dataset = train_dataset.shuffle(BUFFER_SIZE).batch(BATCH_SIZE).prefetch(
        tf.data.AUTOTUNE)
    test_dataset = test_dataset.batch(BATCH_SIZE).prefetch(tf.data.AUTOTUNE)

    for example, label in train_dataset.take(1):
        print('texts: ', example.numpy()[:3])
        print()
        print('labels: ', label.numpy()[:3])

    VOCAB_SIZE = 1000
    encoder = tf.keras.layers.TextVectorization(
        max_tokens=VOCAB_SIZE)
    encoder.adapt(train_dataset.map(lambda text, label: text))

    vocab = np.array(encoder.get_vocabulary())
    print(vocab[:20])

    encoded_example = encoder(example)[:3].numpy()
    print(encoded_example)

    for n in range(3):
        print("Original: ", example[n].numpy())
        print("Round-trip: ", " ".join(vocab[encoded_example[n]]))
        print()

    model = tf.keras.Sequential([
        encoder,
        tf.keras.layers.Embedding(
            input_dim=len(encoder.get_vocabulary()),
            output_dim=64,
            # Use masking to handle the variable sequence lengths
            mask_zero=True),
        tf.keras.layers.Bidirectional(tf.keras.layers.LSTM(64)),
        tf.keras.layers.Dense(64, activation='relu'),
        tf.keras.layers.Dense(1)
    ])

    print([layer.supports_masking for layer in model.layers])

    # predict on a sample text without padding.
    sample_text = ('The movie was cool. The animation and the graphics '
                   'were out of this world. I would recommend this movie.')
    predictions = model.predict(np.array([sample_text]))
    print(predictions[0])

    # predict on a sample text with padding
    padding = "the " * (200 if quick else 2000)
    predictions = model.predict(np.array([sample_text, padding]))
    print(predictions[0])

    model.compile(loss=tf.keras.losses.BinaryCrossentropy(from_logits=True),
                  optimizer=tf.keras.optimizers.Adam(1e-4 if not quick else 1e-3),
                  metrics=['accuracy'])

    history = model.fit(train_dataset, epochs=epochs,
                        validation_data=test_dataset,
                        validation_steps=30)

    test_loss, test_acc = model.evaluate(test_dataset)

    print('Test Loss:', test_loss)
    print('Test Accuracy:', test_acc)

    if plt is not None:
        plt.figure(figsize=(16, 8))
        plt.subplot(1, 2, 1)
        plot_graphs(history, 'accuracy')
        plt.ylim(None, 1)
        plt.subplot(1, 2, 2)
        plot_graphs(history, 'loss')
        plt.ylim(0, None)
        show(out, "rnn_history")

    sample_text = ('The movie was cool. The animation and the graphics '
                   'were out of this world. I would recommend this movie.')
    predictions = model.predict(np.array([sample_text]))
    print(predictions)


def main(argv=None):
    """Generate the data, then run both tutorials; returns the exit status."""
    args = parse_args(__doc__, "data", argv)
    tf.random.set_seed(42)
    dataset_dir = make_imdb(os.path.join(args.out, "aclImdb"), 500 if args.quick else 2500)
    print("=== Basic text classification ===")
    basic_text_classification(dataset_dir, args.out, 1 if args.quick else 10)
    print("=== Text classification with an RNN ===")
    text_classification_rnn(dataset_dir, args.out, 1 if args.quick else 5, args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
