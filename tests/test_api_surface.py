"""docs/api_surface.md is what scripts/api_surface.py writes for this checkout, and every name it
counts as present really is on tapeflow (not a placeholder that raises NotImplementedError)."""
import fnmatch
import importlib.util
import os

import pytest

import tapeflow
from tapeflow.unsupported import _Unsupported

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NAMESPACES = [
    "tf", "tf.math", "tf.linalg", "tf.nn", "tf.random", "tf.dtypes", "tf.debugging", "tf.nest",
    "tf.config", "tf.data", "tf.data.experimental", "tf.keras.layers", "tf.keras.losses",
    "tf.keras.metrics", "tf.keras.optimizers", "tf.keras.optimizers.schedules",
    "tf.keras.callbacks", "tf.keras.initializers", "tf.keras.activations", "tf.keras.ops",
    "tf.io", "tf.io.gfile", "tf.errors", "tf.strings", "tf.image", "tf.sparse", "tf.ragged",
    "tf.signal", "tf.audio", "tf.bitwise", "tf.sets", "tf.lookup", "tf.train", "tf.summary",
    "tf.autograph", "tf.distribute", "tf.experimental", "tf.test", "tf.keras",
    "tf.keras.utils", "tf.keras.models", "tf.keras.backend", "tf.keras.regularizers",
    "tf.keras.constraints", "tf.keras.preprocessing", "tf.keras.mixed_precision",
    "tf.keras.datasets",
]


def _load(name):
    spec = importlib.util.spec_from_file_location(name, os.path.join(ROOT, "scripts",
                                                                     name + ".py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def surface():
    return _load("api_surface")


@pytest.fixture(scope="module")
def rendered(surface):
    return surface.render()


def test_the_checked_in_report_is_up_to_date(surface, rendered):
    _, text = rendered
    with open(surface.REPORT, encoding="utf-8") as f:
        stored = f.read()
    assert stored == text, f"docs/api_surface.md is stale: run {surface.WRITE_COMMAND}"


def test_the_name_list_covers_the_namespaces_with_kinds(surface):
    data = surface.load_names()
    assert data["tensorflow"].startswith("2.21.")
    assert list(data["namespaces"]) == NAMESPACES
    for ns, names in data["namespaces"].items():
        assert names, ns
        assert all(not n.startswith("_") for n in names), ns
        assert set(names.values()) <= set(surface.KINDS), ns
    # a few that TF certainly has, with their kinds
    assert data["namespaces"]["tf"]["GradientTape"] == "class"
    assert data["namespaces"]["tf"]["reduce_sum"] == "function"
    assert data["namespaces"]["tf"]["math"] == "module"
    assert data["namespaces"]["tf"]["float32"] == "constant"
    assert data["namespaces"]["tf.keras.layers"]["Dense"] == "class"


def _really_there(obj, name):
    """Independent of the script: getattr works and the value is no placeholder."""
    try:
        value = getattr(obj, name)
    except AttributeError:
        return False
    if isinstance(value, _Unsupported):
        return False
    qualname = getattr(value, "__qualname__", "")
    return not (isinstance(qualname, str) and qualname.startswith("_Unsupported."))


def test_every_name_counted_present_is_reachable_and_real(rendered):
    rows, _ = rendered
    checked = 0
    for row in rows:
        obj = tapeflow
        for part in row["namespace"].split(".")[1:]:
            obj = getattr(obj, part) if _really_there(obj, part) else None
        if obj is None:  # tapeflow has no such namespace (yet): nothing in it can be present
            assert not row["present"], row["namespace"]
            continue
        for name in row["present"]:
            assert _really_there(obj, name), f"{row['namespace']}.{name}"
            checked += 1
        for name in row["missing"]:
            assert not _really_there(obj, name), f"{row['namespace']}.{name} is there"
    assert checked > 100


def test_placeholders_count_as_missing(surface, rendered):
    rows, _ = rendered
    tf_row = next(r for r in rows if r["namespace"] == "tf")
    # a namespace tapeflow.unsupported stands in for exists only to raise NotImplementedError
    stand_in = _Unsupported("demo", "demo tensors")
    assert surface.is_placeholder(stand_in.join)
    with pytest.raises(NotImplementedError):
        stand_in.join(["a"])
    assert not surface.is_placeholder(tapeflow.reduce_sum)
    assert "strings" in tf_row["present"]  # implemented now, so counted

    def marked():
        raise NotImplementedError

    marked._tapeflow_unsupported = True
    assert surface.is_placeholder(marked)


def test_out_of_scope_entries_have_reasons_and_match_names(surface, rendered):
    rows, _ = rendered
    data = surface.load_names()
    for ns, pattern, reason in surface.OUT_OF_SCOPE:
        assert len(reason) > 10, (ns, pattern)
        assert any(fnmatch.fnmatchcase(n, pattern) for n in data["namespaces"][ns]), \
            f"{ns}.{pattern} matches no TensorFlow name"
    tf_row = next(r for r in rows if r["namespace"] == "tf")
    assert "compat" in tf_row["out_of_scope"]
    assert "compat" not in tf_row["missing"] and "compat" not in tf_row["present"]
    assert tf_row["total"] == len(data["namespaces"]["tf"]) - len(tf_row["out_of_scope"])


def test_the_report_shows_coverage_per_namespace(rendered):
    rows, text = rendered
    for row in rows:
        n = len(row["present"])
        pct = 100.0 * n / row["total"] if row["total"] else 100.0
        assert f"| `{row['namespace']}` | {n} | {row['total']} | {pct:.1f}% |" in text
    assert "## Out of scope" in text and "## Missing names" in text
