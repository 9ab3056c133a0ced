"""``tf.distribute.CrossDeviceOps`` and its implementations: how a several-device
``MirroredStrategy`` combines its replicas' values (``reduce``, ``batch_reduce``) and copies a
value to devices (``broadcast``).

In tapeflow the replicas of one process run in turn on their devices, so every
implementation computes the same thing: the parts summed (averaged for ``MEAN``) on one
device, then copied to each destination device. ``ReductionToOneDevice`` sums with its
``accumulation_fn``; ``HierarchicalCopyAllReduce`` and ``NcclAllReduce`` (TF's GPU all-reduce
algorithms) accept their ``num_packs`` and sum with ``tf.math.add_n``. Processes of an MPI
job combine through ``MultiWorkerMirroredStrategy`` instead.
"""
import contextlib

from .. import backend
from ..framework import _DEVICE_RE
from ..ops.math import add_n, divide
from ..tensor import TensorBase, convert_to_tensor
from ._mirrored import Mirrored, PerReplica, _device_scope, put
from ._values import DistributedValues

__all__ = ["CrossDeviceOps", "HierarchicalCopyAllReduce", "NcclAllReduce",
           "ReductionToOneDevice"]


def _check_destinations(destinations):
    ok = isinstance(destinations, (DistributedValues, TensorBase)) or (
        isinstance(destinations, str) and destinations)
    if not ok:
        raise ValueError("destinations must be one of a `DistributedValues` object, a "
                         "tf.Variable object, or a device string.")


def _device_names(destinations):
    """The device name of each destination (a string, a tensor or variable, or the parts of
    a ``DistributedValues``)."""
    if isinstance(destinations, str):
        return [destinations]
    if isinstance(destinations, PerReplica):
        return [n for part in destinations for n in _device_names(part)]
    return [getattr(destinations, "device", "") or ""]


def _device(name):
    """The registered ``backend.Device`` a device name denotes (None: the current one)."""
    m = _DEVICE_RE.match(name.strip()) if name else None
    if not m or not m.group(6):
        return None
    kind = m.group(6).upper()
    index = int(name.strip().rsplit(":", 1)[1]) if name.strip()[-1].isdigit() else 0
    backend.ensure()
    return next((d for d in backend.devices if d.kind == kind and d.index == index), None)


def _on(value, name):
    """``value`` copied to the device ``name`` (unchanged when that is not registered)."""
    dev = _device(name)
    if dev is None or (isinstance(value, TensorBase) and backend.device_of(value._v) is dev):
        return value
    return put(value, dev)


def _to_destinations(value, destinations):
    """``value`` on the destination device, or a ``Mirrored`` copy on each of several."""
    names = _device_names(destinations)
    if len(names) == 1:
        return _on(value, names[0])
    return Mirrored(*[_on(value, n) for n in names])


def _is_distributed(value):
    return isinstance(value, PerReplica) and len(value) > 1


def _plain(value):
    return value[0] if isinstance(value, PerReplica) else value


def _check_op(reduce_op):
    from .strategy import ReduceOp  # cycle: distribute.strategy imports this module

    if not isinstance(reduce_op, ReduceOp):
        raise ValueError("`reduce_op` must be Reduce.SUM or Reduce.MEAN.")
    return reduce_op


def _combine(reduce_op, per_replica_value, device_name, accumulation_fn):
    """The parts of ``per_replica_value`` on one device, accumulated (and averaged)."""
    parts = [p if isinstance(p, TensorBase) else convert_to_tensor(p)
             for p in per_replica_value]
    dev = _device(device_name)
    # NOTE: ops under the device scope copy the parts there (recorded copies, so tapes
    # differentiate through the reduction)
    with contextlib.nullcontext() if dev is None else _device_scope(dev):
        total = accumulation_fn(parts)
        if reduce_op.value == "MEAN":
            total = divide(total, len(parts))  # NOTE: integers average to float64, as TF
    return total


class CrossDeviceOps:
    """The base class of the ways to reduce and broadcast values across devices.

    ``reduce``/``batch_reduce``/``broadcast`` check their arguments and pass a single
    replica's value through; subclasses implement ``reduce_implementation``,
    ``batch_reduce_implementation`` (and may override ``broadcast_implementation``).
    """

    def reduce(self, reduce_op, per_replica_value, destinations, options=None):
        """Combine ``per_replica_value`` (a ``PerReplica``) and place it on ``destinations``.

        Args:
          reduce_op: a ``tf.distribute.ReduceOp`` (``SUM`` or ``MEAN``).
          per_replica_value: a ``DistributedValues``, or a plain tensor (one replica).
          destinations: a device string, a tensor or variable (its device), or a
            ``DistributedValues`` (the device of each of its parts).
          options: a ``tf.distribute.experimental.CommunicationOptions`` (accepted).

        Returns:
          A tensor on the destination device, or a ``Mirrored`` value with one copy per
          destination device.
        """
        _check_destinations(destinations)
        if not _is_distributed(per_replica_value):
            return _to_destinations(_plain(per_replica_value), destinations)
        _check_op(reduce_op)
        return self.reduce_implementation(reduce_op, per_replica_value, destinations, options)

    def batch_reduce(self, reduce_op, value_destination_pairs, options=None):
        """``reduce`` of each ``(value, destinations)`` pair.

        Args:
          reduce_op: a ``tf.distribute.ReduceOp``.
          value_destination_pairs: a list of ``(per_replica_value, destinations)`` tuples.
          options: accepted, as for ``reduce``.

        Returns:
          A list with one reduced value per pair.
        """
        pairs = list(value_destination_pairs)
        for pair in pairs:
            if not isinstance(pair, tuple) or isinstance(pair, DistributedValues):
                raise ValueError("Each element of `value_destination_pairs` should be a "
                                 "tuple.")
            _check_destinations(pair[1])
        if not any(_is_distributed(v) for v, _ in pairs):
            return [_to_destinations(_plain(v), d) for v, d in pairs]
        _check_op(reduce_op)
        return self.batch_reduce_implementation(reduce_op, pairs, options)

    def broadcast(self, tensor, destinations):
        """``tensor`` copied to ``destinations``.

        Args:
          tensor: the value to copy.
          destinations: as for ``reduce``.

        Returns:
          A tensor, or a ``Mirrored`` value for several destination devices.
        """
        _check_destinations(destinations)
        return self.broadcast_implementation(tensor, destinations)

    def reduce_implementation(self, reduce_op, per_replica_value, destinations, options):
        """The reduction itself (``reduce`` has checked its arguments); subclasses define it.

        Args:
          reduce_op, per_replica_value, destinations, options: as for ``reduce``.

        Returns:
          The reduced value on ``destinations``.
        """
        raise NotImplementedError("_reduce method must be implemented in descendants.")

    def batch_reduce_implementation(self, reduce_op, value_destination_pairs, options):
        """The batched reduction itself; subclasses define it.

        Args:
          reduce_op, value_destination_pairs, options: as for ``batch_reduce``.

        Returns:
          A list of reduced values.
        """
        raise NotImplementedError("batch_reduce_implementation method must be implemented "
                                  "in descendants.")

    def broadcast_implementation(self, tensor, destinations):
        """Copy ``tensor`` to each destination device.

        Args:
          tensor, destinations: as for ``broadcast``.

        Returns:
          A tensor, or a ``Mirrored`` value for several destination devices.
        """
        return _to_destinations(tensor, destinations)


class ReductionToOneDevice(CrossDeviceOps):
    """Copy the parts to one device, accumulate them there, copy the result to the
    destinations.

    Args:
      reduce_to_device: the device that accumulates (default: the first destination).
      accumulation_fn: ``fn(list_of_tensors) -> tensor`` (default ``tf.math.add_n``).
    """

    def __init__(self, reduce_to_device=None, accumulation_fn=None):
        self.reduce_to_device = reduce_to_device
        self.accumulation_fn = accumulation_fn or add_n

    def reduce_implementation(self, reduce_op, per_replica_value, destinations, options):
        """Accumulate on ``reduce_to_device`` (or the first destination), then copy.

        Args:
          reduce_op, per_replica_value, destinations, options: as for ``reduce``.

        Returns:
          The reduced value on ``destinations``.
        """
        where = self.reduce_to_device or _device_names(destinations)[0]
        total = _combine(reduce_op, per_replica_value, where, self.accumulation_fn)
        return _to_destinations(total, destinations)

    def batch_reduce_implementation(self, reduce_op, value_destination_pairs, options):
        """``reduce_implementation`` of each pair.

        Args:
          reduce_op, value_destination_pairs, options: as for ``batch_reduce``.

        Returns:
          A list of reduced values.
        """
        return [self.reduce_implementation(reduce_op, v, d, options)
                for v, d in value_destination_pairs]


class _AllReduceCrossDeviceOps(CrossDeviceOps):
    """The all-reduce family: parts summed with ``tf.math.add_n`` on the first destination
    device, then copied to every destination."""

    _label = ""

    def __init__(self, num_packs=1):
        if num_packs < 0:
            raise ValueError(f"{self._label} requires num_packs >= 0, but {num_packs} is "
                             "specified")
        self.num_packs = num_packs

    def reduce_implementation(self, reduce_op, per_replica_value, destinations, options):
        """Sum (or average) the parts, then copy the result to ``destinations``.

        Args:
          reduce_op, per_replica_value, destinations, options: as for ``reduce``.

        Returns:
          The reduced value on ``destinations``.
        """
        total = _combine(reduce_op, per_replica_value, _device_names(destinations)[0], add_n)
        return _to_destinations(total, destinations)

    # each pair on its own, as ReductionToOneDevice does
    batch_reduce_implementation = ReductionToOneDevice.batch_reduce_implementation


class HierarchicalCopyAllReduce(_AllReduceCrossDeviceOps):
    """TF's hierarchical-copy all-reduce (for GPUs without NCCL); here the common sum.

    Args:
      num_packs: how many packs TF would split the gradients into (>= 0; accepted).
    """

    _label = "HierarchicalCopy"


class NcclAllReduce(_AllReduceCrossDeviceOps):
    """TF's NCCL all-reduce; here the common sum (no NCCL is needed).

    Args:
      num_packs: how many packs TF would split the gradients into (>= 0; accepted).
    """

    _label = "NCCL all-reduce"
