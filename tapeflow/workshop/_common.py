"""What later workshop sections take from earlier ones (each section runs in a fresh
interpreter): the article's helper functions, and the step count of the long loops.

``WORKSHOP_STEPS`` (default 1000, the article's) shortens the 1000-step training loops for
quick runs and tests; the article's code is otherwise unchanged.
"""
import os

import tapeflow as tf

STEPS = int(os.environ.get("WORKSHOP_STEPS", "1000"))


class Linear(object):
    def __init__(self, input_length, output_length):
        self.W = tf.Variable(tf.random.normal([input_length,
                                               output_length]))
        self.b = tf.Variable(tf.zeros(output_length))
        self.trainable_variables = [self.W, self.b]

    def __call__(self, x):  # assume x is a row vector
        return x @ self.W + self.b  # @ is the matrix multiplication operator


def preprocess(x, y):
    # Converts numpy arrays to preprocessing tensors
    x, y = tf.convert_to_tensor(x), tf.convert_to_tensor(y)
    x = tf.reshape(x, (-1, 28*28))
    x = tf.cast(x, tf.float32) / 255.0
    y = tf.one_hot(y, depth=10)
    return x, y


def accuracy(y_true, y_pred):
    equal_preds = tf.math.argmax(y_pred, axis=1) == tf.math.argmax(y_true, axis=1)
    return tf.reduce_mean(tf.cast(equal_preds, tf.float32))


def categorical_crossentropy(y_true, y_pred):
    return -tf.reduce_sum(y_true*tf.math.log(y_pred), axis=1)
