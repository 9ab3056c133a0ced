"""Workshop section 2: linear regression -- closed form, then gradient descent with
``GradientTape``, then the same loop with a ``Linear`` class and a hand-written optimizer.

The code is the article's, with ``import tapeflow as tf``. A notebook cell displays the
repr of its last expression; a script has to ``print(repr(...))`` it. Figures are saved
as PNGs (see ``_plots.py``) instead of shown inline.
"""
import tapeflow as tf
from _plots import plt, show

# Not in the article: a fixed seed, so the noise (and every number below) is the same on
# every run. The article's numbers came from one unseeded run and will differ from these.
tf.random.set_seed(2019)

# Suppose we have some data:
x = tf.range(1., 5., 0.1)  # ensure all the inputs are floats!
print(repr(x))

# A response variable with the relationship y = 3.5x - 1, plus some noise.
y = 3.5*x - 1 + tf.random.uniform(shape=(40,), minval=-1, maxval=1,
                                  dtype=tf.float32)
print(repr(y))

# Let's see how our data looks.
# import matplotlib.pyplot as plt / %matplotlib inline -- the magic is notebook-only;
# _plots gives pyplot on the Agg backend and show() saves the figure.
plt.scatter(x, y)
show("02_data")

# The parameters of our line.
m = tf.Variable(1, dtype=tf.float32)  # explicitly set the data type, the initial value is an int
b = tf.Variable(0, dtype=tf.float32)

y_pred = x*m + b  # a vectorized operation on all the entries of x
print(repr(y_pred))

plt.scatter(x, y)
plt.plot(x, y_pred)
show("02_initial_line")


def mse(y_true, y_pred):
    # TensorFlow has this function built in: tf.keras.losses.MSE(y_true, y_pred)
    return tf.reduce_mean((y_true - y_pred)**2)


print(repr(mse(y, y_pred)))  # want to minimize this value!

# For linear regression there is a closed form solution:
sxx = tf.reduce_mean((x - tf.reduce_mean(x))**2)
sxy = tf.reduce_mean((x - tf.reduce_mean(x))*(y - tf.reduce_mean(y)))

m.assign(sxy/sxx)
b.assign(tf.reduce_mean(y) - m*tf.reduce_mean(x))

y_pred = x*m + b

print(f'Loss: {mse(y, y_pred).numpy()}')

plt.scatter(x, y)
plt.plot(x, y_pred)

print(f'm: {m.numpy()}   b: {b.numpy()}')
show("02_closed_form")

# What if we didn't have a closed form? Gradient Descent!
m = tf.Variable(1, dtype=tf.float32)
b = tf.Variable(0, dtype=tf.float32)
print((m, b))

with tf.GradientTape() as tape:
    y_pred = x*m + b
    loss = mse(y_true=y, y_pred=y_pred)

print(tape.gradient(loss, [m, b]))

lr = 0.05  # learning rate

for step in range(100):
    with tf.GradientTape() as tape:
        y_pred = x*m + b
        loss = mse(y_true=y, y_pred=y_pred)

    gradient = tape.gradient(loss, [m, b])
    m.assign_sub(lr*gradient[0])
    b.assign_sub(lr*gradient[1])

    if step % 10 == 0:
        print(f'Loss: {loss.numpy()}')

plt.scatter(x, y_pred)
plt.scatter(x, y)

print(f'm: {m.numpy()}   b: {b.numpy()}')
show("02_gradient_descent")


# Some classes and objects to clean things up.
class Linear(object):
    def __init__(self):
        self.m = tf.Variable(1, dtype=tf.float32)
        self.b = tf.Variable(0, dtype=tf.float32)
        self.trainable_variables = [self.m, self.b]

    def __call__(self, x):  # assume x is a row vector
        return self.m * x + self.b


lr = 0.05  # learning rate

linear_model = Linear()

for step in range(100):
    with tf.GradientTape() as tape:
        y_pred = linear_model(x)
        loss = mse(y_true=y, y_pred=y_pred)

    gradient = tape.gradient(loss, linear_model.trainable_variables)

    for partial, variable in zip(gradient,
                                 linear_model.trainable_variables):
        variable.assign_sub(lr*partial)

    if step % 10 == 0:
        print(f'Loss: {loss.numpy()}')


# Let's also encapsulate our gradient update into an object.
class GradientDescentOptimizer(object):
    def __init__(self, lr=0.05):
        self.lr = 0.05

    # NOTE: as in the article, this ignores `lr` and `grads_and_vars` and reads the globals
    # `gradient` and `linear_model`; the loop below happens to pass exactly those.
    def apply_gradients(self, grads_and_vars):
        for grad, var in zip(gradient, linear_model.trainable_variables):
            var.assign_sub(self.lr*grad)


linear_model = Linear()
optimizer = GradientDescentOptimizer(lr=0.05)

for step in range(100):
    with tf.GradientTape() as tape:
        y_pred = linear_model(x)
        loss = mse(y_true=y, y_pred=y_pred)

    gradient = tape.gradient(loss, linear_model.trainable_variables)
    optimizer.apply_gradients(zip(gradient,
                                  linear_model.trainable_variables))

    if step % 10 == 0:
        print(f'Loss: {loss.numpy()}')


# TensorFlow actually gives us exactly this optimizer (with some more bells and whistles):
from tapeflow.keras.optimizers import SGD  # noqa: E402 - the article imports it here

linear_model = Linear()
# NOTE: `lr=` is the article's (Keras 2) spelling; tapeflow accepts it as a deprecated alias of
# `learning_rate=` and warns, as Keras 2 did.
optimizer = SGD(lr=0.05)

for step in range(100):
    with tf.GradientTape() as tape:
        y_pred = linear_model(x)
        loss = mse(y_true=y, y_pred=y_pred)

    gradient = tape.gradient(loss, linear_model.trainable_variables)
    optimizer.apply_gradients(zip(gradient,
                                  linear_model.trainable_variables))

    if step % 10 == 0:
        print(f'Loss: {loss.numpy()}')
