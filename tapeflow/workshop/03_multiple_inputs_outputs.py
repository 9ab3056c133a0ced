"""Workshop section 3: multiple inputs and outputs -- the ``Linear`` class grows a weight
matrix W and a bias vector b, and ``@`` does the matrix multiplication."""
import tapeflow as tf


class Linear(object):
    def __init__(self, input_length, output_length):
        self.W = tf.Variable(tf.ones([input_length, output_length]))
        self.b = tf.Variable(tf.zeros(output_length))
        self.trainable_variables = [self.W, self.b]

    def __call__(self, x):  # assume x is a row vector
        return x @ self.W + self.b  # @ is the matrix multiplication operator


# Not in the article (it only defines the class here): three inputs, two outputs.
linear_model = Linear(input_length=3, output_length=2)
print(repr(linear_model(tf.constant([[1., 2., 3.], [4., 5., 6.]]))))
