"""Workshop section 7: Keras layers -- ``Dense``, a subclassed ``tf.keras.Model``, and a
``Sequential`` model trained by the same custom loop."""
import tapeflow as tf
from _common import STEPS, accuracy, preprocess
from tapeflow.keras.layers import Dense

tf.random.set_seed(2019)  # not in the article: the same numbers on every run

(x_train, y_train), (x_test, y_test) = tf.keras.datasets.mnist.load_data()
x_train, y_train = preprocess(x_train, y_train)


class Model(tf.keras.Model):
    def __init__(self, input_length, output_length):
        super(Model, self).__init__()
        self.layer1 = Dense(50, input_shape=(input_length,),
                            activation='relu')
        self.layer2 = Dense(output_length, input_shape=(output_length,))

    def call(self, x):
        output1 = self.layer1(x)
        output2 = self.layer2(output1)
        return tf.nn.softmax(output2)


# Not in the article (it only defines the class): one call, to show it works.
print(repr(Model(28*28, 10)(x_train[:2])))

# The sequential API (notice we don't specify an input shape):
model = tf.keras.Sequential([
    tf.keras.layers.Dense(50),
    tf.keras.layers.ReLU(),
    tf.keras.layers.Dense(10, activation='softmax')
])

optimizer = tf.keras.optimizers.SGD(learning_rate=0.05)

for i in range(STEPS):
    with tf.GradientTape() as tape:
        y_pred = model(x_train)
        loss_per_example = tf.keras.losses.categorical_crossentropy(
            y_true=y_train, y_pred=y_pred)
        loss = tf.reduce_mean(loss_per_example)

    gradient = tape.gradient(loss, model.trainable_variables)
    if i % 100 == 0:
        print(f'Loss: {loss.numpy()}  '
              f'Accuracy: {accuracy(y_pred, y_train)}')
    optimizer.apply_gradients(zip(gradient, model.trainable_variables))
