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
from ._values import DistributedValues
from .cross_device_ops import (
    CrossDeviceOps,
    HierarchicalCopyAllReduce,
    NcclAllReduce,
    ReductionToOneDevice,
)
from .input import AutoShardPolicy, DistributedDataset, DistributedIterator
from .strategy import (
    InputContext,
    InputOptions,
    InputReplicationMode,
    MirroredStrategy,
    MPIStrategy,
    MultiWorkerMirroredStrategy,
    OneDeviceStrategy,
    ReduceOp,
    ReplicaContext,
    RunOptions,
    Strategy,
    StrategyExtended,
    experimental_set_strategy,
    get_replica_context,
    get_strategy,
    has_strategy,
    in_cross_replica_context,
)

__all__ = [
    "AutoShardPolicy", "CollectiveTimeoutError", "CrossDeviceOps", "DistributedDataset",
    "DistributedIterator", "DistributedValues", "HierarchicalCopyAllReduce", "InputContext",
    "InputOptions", "InputReplicationMode", "MPIStrategy", "MirroredStrategy",
    "MultiWorkerMirroredStrategy", "NcclAllReduce", "OneDeviceStrategy", "PerReplica",
    "ReduceOp", "ReductionToOneDevice", "ReplicaContext", "RunOptions", "Strategy",
    "StrategyExtended", "compute_average_loss",
    "experimental", "experimental_set_strategy", "get_replica_context", "get_strategy",
    "has_strategy", "in_cross_replica_context", "scale_regularization_loss",
]
