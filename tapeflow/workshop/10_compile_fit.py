"""Workshop section 10: Keras does the heavy lifting -- ``compile`` and ``fit`` with
validation on the test set, and the training curves from the returned ``History``."""
import os

import tapeflow as tf
from _plots import plt, show

tf.random.set_seed(2019)  # not in the article: the same numbers on every run
EPOCHS = int(os.environ.get("WORKSHOP_EPOCHS", "10"))  # the article's 10, shorter for tests

(x_train, y_train), (x_test, y_test) = tf.keras.datasets.mnist.load_data()
x_train = x_train/255.0
x_test = x_test/255.0

model = tf.keras.Sequential([
    tf.keras.layers.Flatten(),
    tf.keras.layers.Dense(50),
    tf.keras.layers.ReLU(),
    tf.keras.layers.Dense(10, activation='softmax')
])

model.compile(optimizer='sgd', loss='sparse_categorical_crossentropy',
              metrics=['accuracy'])

# Not in the article: a TensorBoard log when one is asked for (tapeflow-workshop
# --tensorboard DIR sets WORKSHOP_TENSORBOARD); view it with `tensorboard --logdir DIR`.
TENSORBOARD = os.environ.get("WORKSHOP_TENSORBOARD")
callbacks = [tf.keras.callbacks.TensorBoard(log_dir=TENSORBOARD)] if TENSORBOARD else []

history = model.fit(x=x_train, y=y_train, batch_size=256, epochs=EPOCHS,
                    validation_data=(x_test, y_test), callbacks=callbacks)

# Not in the article: the training curves from History.
for key in ("loss", "accuracy"):
    plt.plot(history.history[key], label=key)
    plt.plot(history.history["val_" + key], label="val_" + key)
    plt.xlabel("epoch")
    plt.legend()
    show(f"10_{key}")
