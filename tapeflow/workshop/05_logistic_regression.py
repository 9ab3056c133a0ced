"""Workshop section 5: multiclass logistic regression on MNIST -- one-hot labels, the
softmax (by hand, where it overflows, then tf.nn.softmax), cross-entropy, accuracy, a
500-example overfit, the test set, then the full training set."""
import tapeflow as tf
from _common import STEPS, accuracy, categorical_crossentropy, preprocess

tf.random.set_seed(2019)  # not in the article: the same numbers on every run

(x, y), _ = tf.keras.datasets.mnist.load_data()
x, y = tf.convert_to_tensor(x), tf.convert_to_tensor(y)

# We'll work with just 500 examples, and normalize the pixels to [0, 1].
x, y = x[:500], y[:500]
x = tf.cast(x, tf.float32) / 255.0

y = tf.one_hot(y, depth=10)
print(repr(y))

x = tf.reshape(x, (-1, 28*28))
print(repr(x))


class Linear(object):
    def __init__(self, input_length, output_length):
        self.W = tf.Variable(tf.ones([input_length, output_length]))
        self.b = tf.Variable(tf.zeros(output_length))
        self.trainable_variables = [self.W, self.b]

    def __call__(self, x):  # assume x is a row vector
        return x @ self.W + self.b  # @ is the matrix multiplication operator


linear_model = Linear(input_length=784, output_length=10)
print(repr(linear_model(x)))


def softmax(x):
    return tf.math.exp(x) / tf.reduce_sum(tf.math.exp(x))


print(repr(softmax(linear_model(x))))  # numerical overflow: nan and 0

y_pred = tf.nn.softmax(linear_model(x))  # the built-in one is numerically stable
print(repr(y_pred))
print(repr(tf.reduce_sum(y_pred, axis=1)))
print(repr(accuracy(y, y_pred)))
print(repr(categorical_crossentropy(y, y_pred)))  # the cross entropy per example

optimizer = tf.keras.optimizers.SGD(learning_rate=0.1)

linear_model = Linear(28*28, 10)

for i in range(STEPS):
    with tf.GradientTape() as tape:
        y_pred = tf.nn.softmax(linear_model(x))
        loss_per_example = categorical_crossentropy(y_true=y,
                                                    y_pred=y_pred)
        loss = tf.reduce_mean(loss_per_example)

    gradient = tape.gradient(loss, linear_model.trainable_variables)
    optimizer.apply_gradients(zip(gradient,
                                  linear_model.trainable_variables))
    if i % 100 == 0:
        print(f'Loss: {loss.numpy()}  Accuracy: {accuracy(y_pred, y)}')

print(repr(y_pred[0].numpy()))
print(repr(y[0].numpy()))

# Evaluate on the test set.
(x_train, y_train), (x_test, y_test) = tf.keras.datasets.mnist.load_data()
x_test, y_test = preprocess(x_test, y_test)

y_pred = tf.nn.softmax(linear_model(x_test))
loss = tf.reduce_mean(categorical_crossentropy(y_true=y_test,
                                               y_pred=y_pred))
print(f'Loss: {loss.numpy()}  Accuracy: {accuracy(y_pred, y_test)}')

# Overfit: train on the entire training set instead.
x_train, y_train = preprocess(x_train, y_train)

optimizer = tf.keras.optimizers.SGD(learning_rate=0.1)
linear_model = Linear(28*28, 10)

for i in range(STEPS):
    with tf.GradientTape() as tape:
        y_pred = tf.nn.softmax(linear_model(x_train))
        loss_per_example = categorical_crossentropy(y_true=y_train,
                                                    y_pred=y_pred)
        loss = tf.reduce_mean(loss_per_example)

    gradient = tape.gradient(loss, linear_model.trainable_variables)
    optimizer.apply_gradients(zip(gradient,
                                  linear_model.trainable_variables))
    if i % 100 == 0:
        print(f'Loss: {loss.numpy()}  Accuracy: {accuracy(y_pred, y_train)}')

y_pred = tf.nn.softmax(linear_model(x_test))
loss_per_example = categorical_crossentropy(y_true=y_test,
                                            y_pred=y_pred)
loss = tf.reduce_mean(loss_per_example)
print(f'Loss: {loss.numpy()}  Accuracy: {accuracy(y_pred, y_test)}')
