"""``tf.data.Options`` and its option groups (threading, autotune, optimization, distribute,
service): typed attributes that default to ``None`` (unset), merged as TF merges them
(``with_options`` twice, or options of several input datasets: a value set later wins).
tapeflow's pipelines need none of these knobs; they are checked, stored and merged."""
import enum


class AutoShardPolicy(enum.IntEnum):
    """How tf.distribute shards a dataset over workers (``OFF``, ``AUTO``, ``FILE``, ``DATA``,
    ``HINT``). tf.distribute shards the rows of each global batch for every policy but
    ``OFF`` (``FILE`` is treated as ``DATA``: every rank reads the whole pipeline and keeps
    its rows, so any pipeline shards correctly)."""

    OFF = -1
    AUTO = 0
    FILE = 1
    DATA = 2
    HINT = 3


class AutotuneAlgorithm(enum.Enum):
    """The algorithm TF's autotuner uses; accepted and stored (tapeflow does not autotune)."""

    DEFAULT = 0
    HILL_CLIMB = 1
    GRADIENT_DESCENT = 2
    MAX_PARALLELISM = 3
    STAGE_BASED = 4


class ExternalStatePolicy(enum.Enum):
    """What TF does when a dataset with external state is serialized (``WARN``, ``IGNORE``,
    ``FAIL``); accepted and stored."""

    WARN = 0
    IGNORE = 1
    FAIL = 2


class _OptionsBase:
    """Options with a fixed set of typed attributes; unset ones are ``None`` (or a default)."""

    _FIELDS = {}  # name: (type or tuple of types, default; a class default is instantiated)

    def __init__(self):
        for name, (_, default) in self._FIELDS.items():
            value = default() if isinstance(default, type) else default
            object.__setattr__(self, name, value)

    def __setattr__(self, name, value):
        if name not in self._FIELDS:
            raise AttributeError(f"Cannot set the property {name} on {type(self).__name__}.")
        kind = self._FIELDS[name][0]
        if value is not None and not isinstance(value, kind):
            kinds = kind if isinstance(kind, tuple) else (kind,)
            shown = kinds[0] if len(kinds) == 1 else kinds
            raise TypeError(f'Property "{name}" must be of type {shown}, got: {value} '
                            f"(type: {type(value)})")
        object.__setattr__(self, name, value)

    def __eq__(self, other):
        if type(other) is not type(self):
            return NotImplemented
        return all(getattr(self, k) == getattr(other, k) for k in self._FIELDS)

    def __ne__(self, other):
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else not eq

    __hash__ = None

    def _merged(self, other):
        """A copy of ``self`` with every option ``other`` sets taking ``other``'s value."""
        out = type(self)()
        for name in self._FIELDS:
            mine, theirs = getattr(self, name), getattr(other, name)
            if isinstance(mine, _OptionsBase):
                value = mine._merged(theirs)
            else:
                value = mine if theirs is None or theirs == _default_of(self, name) else theirs
            object.__setattr__(out, name, value)
        return out


def _default_of(options, name):
    default = options._FIELDS[name][1]
    return None if isinstance(default, type) else default


class ThreadingOptions(_OptionsBase):
    """``options.threading``: ``max_intra_op_parallelism`` and ``private_threadpool_size``."""

    _FIELDS = {"max_intra_op_parallelism": (int, None), "private_threadpool_size": (int, None)}


class AutotuneOptions(_OptionsBase):
    """``options.autotune``: ``enabled``, ``cpu_budget``, ``ram_budget``,
    ``autotune_algorithm``, ``initial_parallelism``, ``min_parallelism``."""

    _FIELDS = {"autotune_algorithm": (AutotuneAlgorithm, None), "cpu_budget": (int, None),
               "enabled": (bool, None), "initial_parallelism": (int, None),
               "min_parallelism": (int, None), "ram_budget": (int, None)}


class OptimizationOptions(_OptionsBase):
    """``options.experimental_optimization``: switches for TF's static graph rewrites."""

    _FIELDS = {name: (bool, None) for name in (
        "apply_default_optimizations", "filter_fusion", "filter_parallelization",
        "inject_prefetch", "map_and_batch_fusion", "map_and_filter_fusion", "map_fusion",
        "map_parallelization", "noop_elimination", "parallel_batch", "seq_interleave_prefetch",
        "shuffle_and_repeat_fusion")}


class DistributeOptions(_OptionsBase):
    """``options.experimental_distribute``: tf.distribute reads ``auto_shard_policy`` (an
    ``AutoShardPolicy``, default ``AUTO``); ``num_devices`` is stored."""

    _FIELDS = {"auto_shard_policy": (AutoShardPolicy, AutoShardPolicy.AUTO),
               "num_devices": (int, None)}


class ServiceOptions(_OptionsBase):
    """``options.experimental_service``: ``pinned`` (for the tf.data service)."""

    _FIELDS = {"pinned": (bool, None)}


class Options(_OptionsBase):
    """``tf.data.Options``: typed pipeline options set on a dataset by ``with_options``.

    Every attribute starts unset (``None``) or as an empty option group; assigning an
    unknown attribute raises ``AttributeError``, a value of the wrong type ``TypeError``.
    ``merge`` (and a second ``with_options``) keeps the values set and lets the newer ones win.
    """

    _FIELDS = {"autotune": (AutotuneOptions, AutotuneOptions),
               "dataset_name": (str, None),
               "deterministic": (bool, None),
               "experimental_distribute": (DistributeOptions, DistributeOptions),
               "experimental_external_state_policy": (ExternalStatePolicy, None),
               "experimental_optimization": (OptimizationOptions, OptimizationOptions),
               "experimental_service": (ServiceOptions, ServiceOptions),
               "experimental_slack": (bool, None),
               "experimental_symbolic_checkpoint": (bool, None),
               "threading": (ThreadingOptions, ThreadingOptions),
               "experimental_warm_start": (bool, None),
               "framework_type": (list, None)}

    @property
    def experimental_threading(self):
        """The older name of ``threading``."""
        return self.threading

    @experimental_threading.setter
    def experimental_threading(self, value):
        self.threading = value

    @property
    def experimental_deterministic(self):
        """The older name of ``deterministic``."""
        return self.deterministic

    @experimental_deterministic.setter
    def experimental_deterministic(self, value):
        self.deterministic = value

    def __setattr__(self, name, value):
        name = {"experimental_threading": "threading",
                "experimental_deterministic": "deterministic"}.get(name, name)
        super().__setattr__(name, value)

    def merge(self, options):
        """A new ``Options`` with ``options``' set values over this one's.

        Args:
          options: another ``tf.data.Options``.

        Returns:
          The merged ``tf.data.Options``.
        """
        if not isinstance(options, Options):
            raise TypeError(f"Could not merge incompatible options of type {type(options)} and "
                            f"{type(self)}.")
        return self._merged(options)
