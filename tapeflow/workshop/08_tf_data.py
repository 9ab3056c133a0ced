"""Workshop section 8: minibatches with ``tf.data`` -- map, shuffle, batch, prefetch, and a
training loop over epochs and steps."""
import tapeflow as tf

tf.random.set_seed(2019)  # not in the article: the same numbers on every run

train, test = tf.keras.datasets.mnist.load_data()

train_dataset = tf.data.Dataset.from_tensor_slices(train)
test_dataset = tf.data.Dataset.from_tensor_slices(test)


def preprocess_tfdata(x, y):
    x = tf.reshape(x, (1, 28*28))
    x = tf.cast(tf.squeeze(x), tf.float32) / 255.0
    return x, y


def sparse_accuracy(y_true, y_pred):
    equal_preds = (tf.math.argmax(y_pred, axis=1)
                   == tf.cast(y_true, tf.int64))
    return tf.reduce_mean(tf.cast(equal_preds, tf.float32))


train_dataset = train_dataset.map(preprocess_tfdata).shuffle(buffer_size=5000)
train_dataset = train_dataset.batch(256).prefetch(buffer_size=tf.data.experimental.AUTOTUNE)

test_dataset = test_dataset.map(preprocess_tfdata).batch(256)

model = tf.keras.Sequential([
    tf.keras.layers.Dense(50),
    tf.keras.layers.ReLU(),
    tf.keras.layers.Dense(10, activation='softmax')
])

optimizer = tf.keras.optimizers.SGD(learning_rate=0.05)
loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=False)

for epoch in range(2):
    for step, (x, y) in enumerate(train_dataset):
        with tf.GradientTape() as tape:
            y_pred = model(x)
            loss_per_example = loss_fn(y_true=y, y_pred=y_pred)
            loss = tf.reduce_mean(loss_per_example)

        gradient = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradient, model.trainable_variables))
        if step % 100 == 0:
            print(f'Epoch {epoch} Step {step} Loss: {loss.numpy()} '
                  f'Accuracy: {sparse_accuracy(y, y_pred)}')
