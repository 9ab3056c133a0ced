"""Workshop section 9: metrics -- a hand-written ``Mean`` over the values seen since the last
report, then Keras's ``Mean`` and ``SparseCategoricalAccuracy`` (a running sum and count)."""
import tapeflow as tf

tf.random.set_seed(2019)  # not in the article: the same numbers on every run

# From the previous section: the pipeline and the accuracy function.
train, test = tf.keras.datasets.mnist.load_data()


def preprocess_tfdata(x, y):
    x = tf.reshape(x, (1, 28*28))
    x = tf.cast(tf.squeeze(x), tf.float32) / 255.0
    return x, y


def sparse_accuracy(y_true, y_pred):
    equal_preds = (tf.math.argmax(y_pred, axis=1)
                   == tf.cast(y_true, tf.int64))
    return tf.reduce_mean(tf.cast(equal_preds, tf.float32))


train_dataset = tf.data.Dataset.from_tensor_slices(train)
train_dataset = train_dataset.map(preprocess_tfdata).shuffle(buffer_size=5000)
train_dataset = train_dataset.batch(256).prefetch(buffer_size=tf.data.experimental.AUTOTUNE)


class Mean(object):
    def __init__(self):
        self.vals = []

    def add_value(self, x):
        self.vals.append(x)

    def result(self):
        return sum(self.vals)/len(self.vals)

    def reset_states(self):
        self.vals = []


model = tf.keras.Sequential([
    tf.keras.layers.Dense(50),
    tf.keras.layers.ReLU(),
    tf.keras.layers.Dense(10, activation='softmax')
])

optimizer = tf.keras.optimizers.SGD(learning_rate=0.05)
loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=False)
loss_mean = Mean()
accuracy_mean = Mean()

for epoch in range(2):
    for step, (x, y) in enumerate(train_dataset):
        with tf.GradientTape() as tape:
            y_pred = model(x)
            loss_per_example = loss_fn(y_true=y, y_pred=y_pred)
            loss = tf.reduce_mean(loss_per_example)

        gradient = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradient, model.trainable_variables))
        loss_mean.add_value(loss.numpy())
        accuracy_mean.add_value(sparse_accuracy(y, y_pred))

        if step % 100 == 0:
            print(f'Epoch {epoch} Step {step} Loss: {loss_mean.result()} '
                  f'Accuracy: {accuracy_mean.result()}')
            loss_mean.reset_states()
            accuracy_mean.reset_states()

# Keras's metrics accumulate a sum and a count instead of a list of values.
optimizer = tf.keras.optimizers.SGD(learning_rate=0.05)
loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=False)
loss_metric = tf.keras.metrics.Mean()
accuracy_metric = tf.keras.metrics.SparseCategoricalAccuracy()


for epoch in range(2):
    for step, (x, y) in enumerate(train_dataset):
        with tf.GradientTape() as tape:
            y_pred = model(x)
            loss_per_example = loss_fn(y_true=y, y_pred=y_pred)
            loss = tf.reduce_mean(loss_per_example)

        gradient = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradient, model.trainable_variables))
        loss_metric(loss)
        accuracy_metric(y_true=y, y_pred=y_pred)

        if step % 100 == 0:
            print(f'Epoch {epoch} Step {step} Loss: {loss_metric.result()} '
                  f'Accuracy: {accuracy_metric.result()}')
            loss_metric.reset_states()
            accuracy_metric.reset_states()
