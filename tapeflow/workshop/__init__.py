"""The workshop of the seed article, section by section, run with ``python -m tapeflow.workshop``.

Each section is a script in this folder (``NN_name.py``) whose code is the article's with
``import tapeflow as tf``; ``tapeflow-workshop --help`` lists the options, and
``main`` (in ``cli``) is the entry point.
"""
import os

HERE = os.path.dirname(os.path.abspath(__file__))

# (number, name, file, one-line title), in the article's order
SECTIONS = [
    (1, "tensors", "01_tensors.py",
     "Tensors: vectorized operations, broadcasting, the item-assignment error, Variables"),
    (2, "linear_regression", "02_linear_regression.py",
     "Linear regression: closed form, gradient descent with GradientTape, Linear, SGD"),
    (3, "multiple_inputs_outputs", "03_multiple_inputs_outputs.py",
     "Multiple inputs and outputs: a weight matrix and a bias vector"),
    (4, "mnist", "04_mnist.py",
     "MNIST: shapes, one image, how many of each digit"),
    (5, "logistic_regression", "05_logistic_regression.py",
     "Multiclass logistic regression: softmax, cross-entropy, accuracy, overfitting"),
    (6, "neural_network", "06_neural_network.py",
     "A fully connected neural network from scratch"),
    (7, "keras_layers", "07_keras_layers.py",
     "Keras layers: Dense, Model subclassing, Sequential in a custom loop"),
    (8, "tf_data", "08_tf_data.py",
     "Minibatches with tf.data"),
    (9, "metrics", "09_metrics.py",
     "Metrics: a hand-written Mean, then Keras metrics"),
    (10, "compile_fit", "10_compile_fit.py",
     "compile and fit, with the training curves from History"),
]

# sections that load MNIST (the others run without any data)
NEEDS_MNIST = {n for n, *_ in SECTIONS if n >= 4}


def section_path(filename):
    return os.path.join(HERE, filename)


def main(argv=None):
    from .cli import main as _main  # cycle: workshop.cli imports this package

    return _main(argv)
