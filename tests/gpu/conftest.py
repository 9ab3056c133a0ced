"""Every test under tests/gpu/ is marked ``gpu`` and skipped, with the reason, unless CuPy
sees a CUDA device. Run them with ``pytest -m gpu`` (scripts/gpu_check.sh does)."""
import pytest

import tapeflow as tf


def _gpu_reason():
    if tf.config.list_physical_devices("GPU"):
        return None
    return f"no CUDA GPU: {tf.config.gpu_unavailable_reason}"


def pytest_collection_modifyitems(config, items):
    reason = None
    checked = False
    for item in items:
        if "tests/gpu/" not in str(item.fspath).replace("\\", "/"):
            continue
        item.add_marker(pytest.mark.gpu)
        if not checked:
            reason, checked = _gpu_reason(), True
        if reason:
            item.add_marker(pytest.mark.skip(reason=reason))
