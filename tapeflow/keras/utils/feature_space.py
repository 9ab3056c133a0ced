"""``keras.utils.FeatureSpace``: structured-data preprocessing from a dict of named features
(floats, normalized or rescaled or binned floats, categorical or hashed integers and strings,
hashed crosses), learned with ``adapt(dataset)`` and applied to a dict of inputs, giving one
concatenated float32 tensor or a dict of encoded features.

Built on tapeflow's Keras preprocessing layers (``Normalization``, ``Discretization``,
``StringLookup``, ``IntegerLookup``, ``Hashing``, ``HashedCrossing``, ``CategoryEncoding``).
Features are encoded, concatenated and listed in sorted order of their names, as in Keras.

>>> import numpy as np, tapeflow as tf
>>> FS = tf.keras.utils.FeatureSpace
>>> fs = FS(features={"x": "float", "c": "string_categorical"})
>>> data = {"x": np.array([1.0, 2.0, 3.0], "float32"), "c": np.array(["a", "b", "a"])}
>>> fs.adapt(tf.data.Dataset.from_tensor_slices(data).batch(2))
>>> fs(data).numpy()
array([[0., 1., 0., 1.],
       [0., 0., 1., 2.],
       [0., 1., 0., 3.]], dtype=float32)
"""
import datetime
import json
import os
import zipfile

from ..._io import atomic_path
from ...backend import host as np
from ...tensor import TensorBase
from ..layers.base import Layer

_FEATURE_MODES = ("int", "one_hot", "float")
_MODULE = "keras.src.layers.preprocessing.feature_space"


def _layers():
    from .. import layers  # the layers package is loaded with keras; kept local for clarity

    return layers


def _auto_name(prefix):
    from .._legacy_backend import get_uid

    uid = get_uid(prefix)
    return prefix if uid == 1 else f"{prefix}_{uid - 1}"


class Cross:
    """A hashed cross of the named features (``FeatureSpace.cross``): their preprocessed
    values hashed together into ``crossing_dim`` bins."""

    def __init__(self, feature_names, crossing_dim, output_mode="one_hot"):
        if output_mode not in ("int", "one_hot"):
            raise ValueError("Invalid value for argument `output_mode`. Expected one of "
                             f"{{'int', 'one_hot'}}. Received: output_mode={output_mode}")
        self.feature_names = tuple(feature_names)
        self.crossing_dim = crossing_dim
        self.output_mode = output_mode

    @property
    def name(self):
        """``'a_X_b'`` for a cross of ``a`` and ``b``."""
        return "_X_".join(self.feature_names)

    def get_config(self):
        """The constructor's arguments."""
        return {"feature_names": self.feature_names, "crossing_dim": self.crossing_dim,
                "output_mode": self.output_mode}

    @classmethod
    def from_config(cls, config):
        """A ``Cross`` from ``get_config()``'s dict."""
        return cls(**config)


class Feature:
    """One feature of a ``FeatureSpace``: the input ``dtype``, the ``preprocessor`` layer
    and how its output is encoded (``"int"``, ``"one_hot"`` or ``"float"``)."""

    def __init__(self, dtype, preprocessor, output_mode):
        if output_mode not in _FEATURE_MODES:
            raise ValueError("Invalid value for argument `output_mode`. Expected one of "
                             "{'int', 'one_hot', 'float'}. Received: "
                             f"output_mode={output_mode}")
        self.dtype = dtype
        if isinstance(preprocessor, dict):
            preprocessor = _deserialize_layer(preprocessor)
        self.preprocessor = preprocessor
        self.output_mode = output_mode

    def get_config(self):
        """``dtype``, the serialized preprocessor and ``output_mode``."""
        from ..saving import serialize_keras_object

        return {"dtype": self.dtype, "preprocessor": serialize_keras_object(self.preprocessor),
                "output_mode": self.output_mode}

    @classmethod
    def from_config(cls, config):
        """A ``Feature`` from ``get_config()``'s dict."""
        return cls(**config)


def _deserialize_layer(spec):
    from ..saving import deserialize_keras_object

    if spec.get("class_name") == "TFDIdentity":  # Keras's internal pass-through layer
        return _layers().Identity(**{k: v for k, v in spec.get("config", {}).items()
                                     if k in ("name", "trainable")})
    if spec.get("class_name") == "Discretization" and \
            spec.get("config", {}).get("bin_boundaries") == []:  # not adapted yet
        spec = {**spec, "config": {**spec["config"], "bin_boundaries": None}}
    return deserialize_keras_object(spec)


def _serialized(obj, class_name):
    return {"module": _MODULE, "class_name": class_name, "config": obj.get_config(),
            "registered_name": class_name}


def _adapt_array(layer, values):
    layer.adapt(values)


class FeatureSpace(Layer):
    """Preprocess and encode a dict of structured features.

    ``features`` maps each input name to a ``Feature`` (from ``FeatureSpace.float()``,
    ``string_categorical()``...) or to one of the strings ``"float"``,
    ``"float_normalized"``, ``"float_rescaled"``, ``"float_discretized"`` (with
    ``num_discretization_bins`` bins), ``"integer_categorical"``, ``"string_categorical"``,
    ``"integer_hashed"``, ``"string_hashed"`` (with ``hashing_dim`` bins). ``crosses`` lists
    ``FeatureSpace.cross(...)`` (or tuples of names, hashed into ``crossing_dim`` bins).
    Call ``adapt(dataset)`` (a ``tf.data.Dataset`` of feature dicts, or a dict of arrays)
    before using it. ``output_mode="concat"`` gives one float32 tensor, ``"dict"`` a dict of
    the encoded features.
    """

    @classmethod
    def cross(cls, feature_names, crossing_dim, output_mode="one_hot"):
        """A hashed cross of ``feature_names`` into ``crossing_dim`` bins."""
        return Cross(feature_names, crossing_dim, output_mode=output_mode)

    @classmethod
    def feature(cls, dtype, preprocessor, output_mode):
        """A feature with a custom ``preprocessor`` layer."""
        return Feature(dtype, preprocessor, output_mode)

    @classmethod
    def float(cls, name=None):
        """A float feature passed through as it is."""
        name = name or _auto_name("float")
        return Feature("float32", _layers().Identity(name=f"{name}_preprocessor"), "float")

    @classmethod
    def float_rescaled(cls, scale=1.0, offset=0.0, name=None):
        """A float feature mapped to ``x * scale + offset``."""
        name = name or _auto_name("float_rescaled")
        layer = _layers().Rescaling(scale=scale, offset=offset, name=f"{name}_preprocessor")
        return Feature("float32", layer, "float")

    @classmethod
    def float_normalized(cls, name=None):
        """A float feature normalized by the mean and variance ``adapt`` learns."""
        name = name or _auto_name("float_normalized")
        layer = _layers().Normalization(axis=-1, name=f"{name}_preprocessor")
        return Feature("float32", layer, "float")

    @classmethod
    def float_discretized(cls, num_bins, bin_boundaries=None, output_mode="one_hot",
                          name=None):
        """A float feature binned (boundaries given or learned by ``adapt``)."""
        name = name or _auto_name("float_discretized")
        layer = _layers().Discretization(num_bins=num_bins, bin_boundaries=bin_boundaries,
                                         name=f"{name}_preprocessor")
        return Feature("float32", layer, output_mode)

    @classmethod
    def integer_categorical(cls, max_tokens=None, num_oov_indices=1, output_mode="one_hot",
                            name=None):
        """An integer category, indexed by the vocabulary ``adapt`` learns."""
        name = name or _auto_name("integer_categorical")
        layer = _layers().IntegerLookup(name=f"{name}_preprocessor", max_tokens=max_tokens,
                                        num_oov_indices=num_oov_indices,
                                        vocabulary_dtype="int64")
        return Feature("int32", layer, output_mode)

    @classmethod
    def string_categorical(cls, max_tokens=None, num_oov_indices=1, output_mode="one_hot",
                           name=None):
        """A string category, indexed by the vocabulary ``adapt`` learns."""
        name = name or _auto_name("string_categorical")
        layer = _layers().StringLookup(name=f"{name}_preprocessor", max_tokens=max_tokens,
                                       num_oov_indices=num_oov_indices)
        return Feature("string", layer, output_mode)

    @classmethod
    def string_hashed(cls, num_bins, output_mode="one_hot", name=None):
        """A string category hashed into ``num_bins`` bins."""
        name = name or _auto_name("string_hashed")
        layer = _layers().Hashing(name=f"{name}_preprocessor", num_bins=num_bins)
        return Feature("string", layer, output_mode)

    @classmethod
    def integer_hashed(cls, num_bins, output_mode="one_hot", name=None):
        """An integer category hashed into ``num_bins`` bins."""
        name = name or _auto_name("integer_hashed")
        layer = _layers().Hashing(name=f"{name}_preprocessor", num_bins=num_bins)
        return Feature("int32", layer, output_mode)

    def __init__(self, features, output_mode="concat", crosses=None, crossing_dim=32,
                 hashing_dim=32, num_discretization_bins=32, name=None):
        super().__init__(name=name)
        if not features:
            raise ValueError("The `features` argument cannot be None or empty.")
        if output_mode not in ("dict", "concat"):
            raise ValueError("Invalid value for argument `output_mode`. Expected one of "
                             f"{{'dict', 'concat'}}. Received: output_mode={output_mode}")
        self.crossing_dim = crossing_dim
        self.hashing_dim = hashing_dim
        self.num_discretization_bins = num_discretization_bins
        self.output_mode = output_mode
        self.__dict__["features"] = {n: self._standardize_feature(n, v)
                                     for n, v in features.items()}
        self.__dict__["crosses"] = [self._standardize_cross(c) for c in (crosses or [])]
        unknown = [c.feature_names for c in self.crosses
                   if any(n not in self.features for n in c.feature_names)]
        if unknown:
            raise ValueError("All features referenced in the `crosses` argument should be "
                             "present in the `features` dict. Received unknown features: "
                             f"{unknown[0]}")
        self.__dict__["preprocessors"] = {n: f.preprocessor for n, f in self.features.items()}
        self.__dict__["crossers"] = {
            c.name: _layers().HashedCrossing(num_bins=c.crossing_dim, name=c.name)
            for c in self.crosses}
        self.__dict__["_is_adapted"] = False
        self.__dict__["_symbolic"] = None
        self.built = False  # as Keras: built by adapt()

    def _standardize_feature(self, name, feature):
        if isinstance(feature, Feature):
            return feature
        if isinstance(feature, dict):
            return Feature.from_config(feature.get("config", feature))
        makers = {"float": lambda: self.float(name=name),
                  "float_normalized": lambda: self.float_normalized(name=name),
                  "float_rescaled": lambda: self.float_rescaled(name=name),
                  "float_discretized": lambda: self.float_discretized(
                      name=name, num_bins=self.num_discretization_bins),
                  "integer_categorical": lambda: self.integer_categorical(name=name),
                  "string_categorical": lambda: self.string_categorical(name=name),
                  "integer_hashed": lambda: self.integer_hashed(self.hashing_dim, name=name),
                  "string_hashed": lambda: self.string_hashed(self.hashing_dim, name=name)}
        if not isinstance(feature, str) or feature not in makers:
            raise ValueError(f"Invalid feature type: {feature}")
        return makers[feature]()

    def _standardize_cross(self, cross):
        if isinstance(cross, Cross):
            return cross
        if isinstance(cross, dict):
            return Cross.from_config(cross.get("config", cross))
        return self.cross(cross, crossing_dim=self.crossing_dim)

    # -- adapt -------------------------------------------------------------------------------
    def adapt(self, dataset):
        """Learn each feature's statistics (vocabularies, mean and variance, bin
        boundaries) from ``dataset``: a ``tf.data.Dataset`` of feature dicts (batched or
        not) or a dict of arrays."""
        names = [n for n, f in self.features.items() if hasattr(f.preprocessor, "adapt")]
        if names:
            columns = self._columns(dataset, names)
            for n in names:
                _adapt_array(self.features[n].preprocessor, columns[n])
        self.__dict__["_is_adapted"] = True
        self.__dict__["_symbolic"] = None
        self.built = True

    @staticmethod
    def _columns(dataset, names):
        if isinstance(dataset, dict):
            batches = [dataset]
        elif hasattr(dataset, "as_numpy_iterator"):
            batches = list(dataset.as_numpy_iterator())
        else:
            raise ValueError("`adapt()` can only be called on a tf.data.Dataset or a dict of "
                             f"arrays. Received instead: {dataset} (of type {type(dataset)})")
        out = {}
        for n in names:
            parts = []
            for b in batches:
                v = np.asarray(_host(b[n]))
                if v.dtype.kind in "US":
                    v = v.astype(object)
                parts.append(v.reshape(-1, 1) if v.ndim <= 1 else v)
            out[n] = np.concatenate(parts, axis=0)
        return out

    def _check_adapted(self):
        if not self._is_adapted:
            raise ValueError("You need to call `.adapt(dataset)` on the FeatureSpace before "
                             "you can start using it.")

    # -- call --------------------------------------------------------------------------------
    def _sizes(self, name):
        layer = self.features[name].preprocessor
        if hasattr(layer, "vocabulary_size"):
            return layer.vocabulary_size()
        if hasattr(layer, "bin_boundaries") and layer.bin_boundaries is not None:
            return len(layer.bin_boundaries) + 1
        return getattr(layer, "num_bins", None)

    def _encode(self, preprocessed, size, mode):
        from .. import ops  # deferred: keras.ops loads on first use

        if mode == "one_hot":
            return _layers().CategoryEncoding(num_tokens=size, output_mode="one_hot")(
                preprocessed)
        if mode == "int":
            return preprocessed
        return ops.cast(preprocessed, "float32") if preprocessed.dtype.name != "float32" \
            else preprocessed

    def _run(self, inputs):
        """Preprocessed and encoded features, by name (tensors or symbolic tensors)."""
        pre = {n: self.features[n].preprocessor(inputs[n]) for n in sorted(self.features)}
        out = {n: self._encode(pre[n], self._sizes(n), self.features[n].output_mode)
               for n in pre}
        for c in self.crosses:
            crossed = self.crossers[c.name](tuple(pre[n] for n in c.feature_names))
            out[c.name] = self._encode(crossed, c.crossing_dim, c.output_mode)
        return {n: out[n] for n in sorted(out)}

    def _merge(self, encoded):
        if self.output_mode == "dict":
            return encoded
        from .. import ops

        for n, v in encoded.items():
            if v.dtype.is_integer:
                raise ValueError(f"Cannot concatenate features because feature '{n}' has not "
                                 f"been encoded (it has dtype {v.dtype.name}). Consider using "
                                 "`output_mode='dict'`.")
        parts = [v if v.dtype.name == "float32" else ops.cast(v, "float32")
                 for v in encoded.values()]
        if len(parts) == 1:
            return parts[0]
        return _layers().Concatenate(axis=-1)(parts)

    def __call__(self, data):
        """Encode a dict of features (arrays, lists or tensors, batched along the first
        axis or one sample of scalars)."""
        self._check_adapted()
        from ...tensor import convert_to_tensor
        from ..layers.input_layer import KerasTensor

        if any(isinstance(data[n], KerasTensor) for n in self.features):
            return self._merge(self._run({n: data[n] for n in self.features}))

        inputs, unbatched = {}, True
        for n in self.features:
            v = data[n]
            v = v if isinstance(v, TensorBase) else convert_to_tensor(_host_input(v))
            if len(v.shape) > 0:
                unbatched = False
            inputs[n] = v
        from ...ops import array as A

        for n, v in inputs.items():
            if len(v.shape) == 0:
                v = A.reshape(v, (1, 1))
            elif len(v.shape) == 1:
                v = A.expand_dims(v, -1)
            inputs[n] = v
        out = self._merge(self._run(inputs))
        if unbatched:
            if isinstance(out, dict):
                return {k: A.squeeze(v, 0) for k, v in out.items()}
            return A.squeeze(out, 0)
        return out

    def call(self, data):
        """As ``__call__``."""
        return self(data)

    # -- symbolic ----------------------------------------------------------------------------
    def _build_symbolic(self):
        if self._symbolic is None:
            from ..layers import Input

            inputs = {n: Input(shape=(1,), dtype=f.dtype, name=n)
                      for n, f in self.features.items()}
            self.__dict__["_symbolic"] = (inputs, self._merge(self._run(inputs)))
        return self._symbolic

    def get_inputs(self):
        """The dict of symbolic ``keras.Input`` s, one per feature (shape ``(None, 1)``)."""
        self._check_adapted()
        return self._build_symbolic()[0]

    def get_encoded_features(self):
        """The symbolic encoded output (a tensor, or a dict in ``"dict"`` mode) of
        ``get_inputs()``, to build a functional model on."""
        self._check_adapted()
        return self._build_symbolic()[1]

    # -- config and saving -------------------------------------------------------------------
    def get_config(self):
        """The features and crosses (serialized) and the constructor's options."""
        return {"features": {n: _serialized(f, "Feature") for n, f in self.features.items()},
                "output_mode": self.output_mode,
                "crosses": [_serialized(c, "Cross") for c in self.crosses],
                "crossing_dim": self.crossing_dim, "hashing_dim": self.hashing_dim,
                "num_discretization_bins": self.num_discretization_bins}

    @classmethod
    def from_config(cls, config):
        """A FeatureSpace from ``get_config()``'s dict (to be adapted again, as in
        Keras)."""
        config = dict(config)
        config["features"] = {n: Feature.from_config(f.get("config", f))
                              for n, f in config["features"].items()}
        config["crosses"] = [Cross.from_config(c.get("config", c))
                             for c in config.get("crosses") or []]
        return cls(**config)

    def _state_config(self):
        """``get_config()`` with the adapted normalization statistics written in."""
        config = self.get_config()
        for n, f in self.features.items():
            layer = f.preprocessor
            if isinstance(layer, _layers().Normalization) and layer.built:
                inner = config["features"][n]["config"]["preprocessor"]["config"]
                inner["mean"] = np.asarray(layer.mean).reshape(-1).tolist()
                inner["variance"] = np.asarray(layer.variance).reshape(-1).tolist()
        return config

    def save(self, filepath):
        """Write the FeatureSpace, adapted state included, to a ``.keras`` file that
        ``keras.saving.load_model`` reads back.

        NOTE: tapeflow writes the adapted state (vocabularies, bin boundaries, normalization
        statistics) in ``config.json``, not in weights and asset files as Keras does.
        """
        filepath = os.fspath(filepath)
        if not filepath.endswith(".keras"):
            raise ValueError("Invalid `filepath` argument: expected a `.keras` extension. "
                             f"Received: filepath={filepath}")
        from ..._version import __version__ as tapeflow_version
        from .. import __version__ as keras_version

        spec = {"module": "keras.utils", "class_name": "FeatureSpace",
                "config": self._state_config(), "registered_name": None,
                "adapted": bool(self._is_adapted)}
        metadata = {"keras_version": keras_version, "tapeflow_version": tapeflow_version,
                    "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S")}
        with atomic_path(filepath, suffix=".keras") as tmp:
            with zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED) as z:
                z.writestr("metadata.json", json.dumps(metadata))
                z.writestr("config.json", json.dumps(spec, default=_json_default))

    @classmethod
    def _from_saved(cls, spec, path):
        """The FeatureSpace of a ``.keras`` file's ``config.json`` (``load_model``)."""
        try:
            fs = cls.from_config(spec["config"])
        except (KeyError, TypeError) as e:
            raise ValueError(f"Could not load '{path}': its config.json does not describe a "
                             f"FeatureSpace tapeflow can build ({type(e).__name__}: {e}).") \
                from None
        for f in fs.features.values():
            layer = f.preprocessor
            unadapted = isinstance(layer, _layers().Normalization) and \
                layer.__dict__["_given"][0] is None
            if unadapted or hasattr(layer, "vocabulary_size") and not layer.get_vocabulary():
                raise ValueError(f"Could not load '{path}': the adapted state of "
                                 f"'{layer.name}' is not in its config.json (a FeatureSpace "
                                 "saved by Keras keeps it in weights and asset files, which "
                                 "tapeflow does not read for a FeatureSpace); adapt it again.")
        fs.__dict__["_is_adapted"] = bool(spec.get("adapted", True))
        fs.built = fs._is_adapted
        return fs


def _json_default(o):
    if isinstance(o, tuple):
        return list(o)
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(f"Object of type {type(o).__name__} is not JSON serializable")


def _host(v):
    if isinstance(v, TensorBase):
        return v.numpy()
    return v


def _host_input(v):
    v = np.asarray(_host(v))
    return v.astype(object) if v.dtype.kind in "US" else v
