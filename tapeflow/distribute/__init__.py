"""``tf.distribute``: data-parallel training on MPI (through mpi4py) with TensorFlow's API.

Launch the same script on every rank (``mpiexec -n 4 python train.py``) and create
``MultiWorkerMirroredStrategy()`` (plain name: ``MPIStrategy``) at the start; models compiled
in its ``scope()`` then ``fit`` data-parallel. See docs/distributed.md. Importing this package
does not import mpi4py; creating a multi-process strategy does.
"""
from ..nn import compute_average_loss, scale_regularization_loss
from . import experimental
from ._mirrored import PerReplica
from ._mpi import CollectiveTimeoutError
from .input import AutoShardPolicy, DistributedDataset
from .strategy import (
    InputContext,
    InputOptions,
    MirroredStrategy,
    MPIStrategy,
    MultiWorkerMirroredStrategy,
    OneDeviceStrategy,
    ReduceOp,
    ReplicaContext,
    Strategy,
    experimental_set_strategy,
    get_replica_context,
    get_strategy,
    has_strategy,
    in_cross_replica_context,
)

__all__ = [
    "AutoShardPolicy", "CollectiveTimeoutError", "DistributedDataset", "InputContext",
    "InputOptions", "MPIStrategy", "MirroredStrategy", "MultiWorkerMirroredStrategy",
    "OneDeviceStrategy", "PerReplica", "ReduceOp", "ReplicaContext", "Strategy",
    "compute_average_loss",
    "experimental", "experimental_set_strategy", "get_replica_context", "get_strategy",
    "has_strategy", "in_cross_replica_context", "scale_regularization_loss",
]
