"""The op library: one module per op family, each op's forward and gradient side by side."""
from . import _core, array, math, reduction  # noqa: F401 - importing installs the operators
