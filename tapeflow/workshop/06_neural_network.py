"""Workshop section 6: a fully connected neural network from scratch -- relu, a randomly
initialised Linear layer, one hidden layer of 50, trained on all of MNIST."""
import tapeflow as tf
from _common import STEPS, Linear, accuracy, preprocess

tf.random.set_seed(2019)  # not in the article: the same numbers on every run

(x_train, y_train), (x_test, y_test) = tf.keras.datasets.mnist.load_data()
x_train, y_train = preprocess(x_train, y_train)


def relu(x):
    return tf.maximum(x, 0)


print(repr(relu(tf.constant([-2., 0., 3.]))))  # not in the article: relu on three values


class FullyConnectedNetwork(object):
    def __init__(self, input_length, output_length):
        self.l1 = Linear(input_length, 50)
        self.l2 = Linear(50, output_length)

        self.trainable_variables = (self.l1.trainable_variables
                                    + self.l2.trainable_variables)

    def __call__(self, x):
        return tf.nn.softmax(self.l2(tf.nn.relu(self.l1(x))))


optimizer = tf.keras.optimizers.SGD(learning_rate=0.1)
neural_network = FullyConnectedNetwork(28*28, 10)

for i in range(STEPS):
    with tf.GradientTape() as tape:
        y_pred = neural_network(x_train)
        loss_per_example = tf.keras.losses.categorical_crossentropy(y_true=y_train,
                                                                    y_pred=y_pred)
        loss = tf.reduce_mean(loss_per_example)

    gradient = tape.gradient(loss, neural_network.trainable_variables)
    optimizer.apply_gradients(zip(gradient,
                                  neural_network.trainable_variables))
    if i % 100 == 0:
        print(f'Loss: {loss.numpy()}  Accuracy: {accuracy(y_pred, y_train)}')

# Not in the article: why the accuracies above are not the article's. Measured with this
# section's code and tf.random.set_seed(s) for s in 1-5 and 2019 (examples/workshop/README.md
# has the runs, and TensorFlow's, which spread as widely).
print("Not the article's 0.510 (step 100) and 0.706 (step 900)? The random initial weights "
      "(stddev 1) decide most of it: over 6 seeds (1-5 and the 2019 above, measured) this "
      "network is at 0.30-0.51 train accuracy at step 100 and 0.56-0.86 at step 900.")
