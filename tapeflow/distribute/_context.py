"""Which strategy is active: the ``scope()`` stack per thread, the replica context inside
``strategy.run``, and the process's MPI job (set once by a multi-process strategy).

Nothing heavy is imported here: keras hooks read this module on every step.
"""
import threading


class _Local(threading.local):
    def __init__(self):
        self.scopes = []  # strategies whose scope() is entered, innermost last
        self.replica = None  # the ReplicaContext inside strategy.run
        self.step = None  # (strategy, gradient scale) while fit runs one train_step


local = _Local()


class _Process:
    collective = None  # the MPI Collective of a multi-process job (rank 0 of 1 otherwise)
    strategy = None  # the multi-process strategy that owns it


process = _Process()


def is_chief():
    """True on rank 0 of a multi-process job and in every single-process run."""
    c = process.collective
    return c is None or c.rank == 0


def rank_and_size():
    c = process.collective
    return (0, 1) if c is None else (c.rank, c.size)
