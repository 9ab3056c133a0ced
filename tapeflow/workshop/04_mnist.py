"""Workshop section 4: MNIST -- load it, look at an image, count the classes."""
import tapeflow as tf
from _plots import plt, show

(x, y), _ = tf.keras.datasets.mnist.load_data()

x, y = tf.convert_to_tensor(x), tf.convert_to_tensor(y)

plt.imshow(x[3])
show("04_digit")
print(repr(y[3]))

# What's the shape of each image? How many images? How many of each class? Which dtypes?
print((x.shape, y.shape))  # 28*28 images, 60 000 images

for i in range(10):
    print(f'Number of {i}: {tf.reduce_sum(tf.cast(y == i, tf.int32)).numpy()}')

print((x.dtype, y.dtype))
