"""``tf.linalg``: matrix products and decompositions."""
from ..ops.decompositions import *  # noqa: F403
from ..ops.linalg import *  # noqa: F403
from ..ops.matfun import eig, eigh_tridiagonal, eigvals, logm, sqrtm  # noqa: F401
from ..ops.nn import l2_normalize  # noqa: F401
from . import experimental  # noqa: F401
from ._linear_operator import *  # noqa: F403
from ._linear_operator import LinearOperator  # noqa: F401
