"""Workshop section 1: tensors, vectorized operations, broadcasting, variables, scalars.

The code is the article's, with ``import tapeflow as tf``. A notebook cell displays the
repr of its last expression; a script has to ``print(repr(...))`` it.
"""
import tapeflow as tf

# %tensorflow_version 2.x  -- a Colab magic; there is nothing to select outside Colab.

# TensorFlow is a library for manipulating tensors: multidimensional arrays.
x = tf.convert_to_tensor([1, 2, 3, 4])
print(repr(x))

# Unlike Python lists, you can do vectorized operations:
print(repr(2*x + 1))

# Broadcasting: add a vector to every row of a matrix.
vec = tf.convert_to_tensor([1, 2, 3, 4])
matrix = tf.convert_to_tensor([[1, 1, 1, 1],
                               [4, 4, 4, 4],
                               [5, 5, 5, 5]])

print(repr(matrix[1, :]))  # second row of the matrix

# With normal lists you might write a loop -- but tensors cannot be assigned to.
try:
    for i in range(3):
        matrix[i, :] += vec
except TypeError as e:
    print(f"TypeError: {e}")

# If you need something that is modifiable, use a variable.
matrix = tf.Variable([[1, 1, 1, 1],
                      [4, 4, 4, 4],
                      [5, 5, 5, 5]])
print(repr(matrix))

# Adding them directly broadcasts vec along the first dimension.
print(repr(matrix + vec))

# Now we can assign this new value to matrix:
print(repr(matrix.assign(matrix + vec)))

# We can create scalar tensors and variables:
x = tf.Variable(0)
v = tf.convert_to_tensor(1)

print(repr(x + v))
