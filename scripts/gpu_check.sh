#!/usr/bin/env bash
# The GPU check for issue 9, in one call on a machine with an NVIDIA GPU, CuPy, PyTorch and
# JAX already installed (the device machine; nothing is installed, nothing is fetched):
#
#   run(command="bash scripts/gpu_check.sh", timeout_s=600)
#
# It runs the CPU-side device tests (stand-in GPU, DLPack, mixed precision), `pytest -m gpu`
# (ops vs NumPy, training parity, CUDA-graph replay, mixed precision, DLPack with
# torch/JAX/CuPy, host-to-device prefetch: pinned copies under load, fit with = without)
# and benchmarks/gpu.py, and writes to $OUT (default /tmp/tapeflow_gpu_check):
#   report.md       summary: environment, test counts, failures, benchmark table and ratios
#   env.txt         nvidia-smi, versions, what tf.config lists
#   gpu_tests.txt   pytest -m gpu output;  cpu_tests.txt  the CPU-side tests' output
#   gpu_bench.txt   the benchmark's table;  gpu_bench.json  its numbers
# MNIST is used for the parity tests when $TAPEFLOW_DATASETS/mnist exists (carry it), else
# a synthetic problem of the same shapes.
set -u
cd "$(dirname "$0")/.."
OUT="${OUT:-/tmp/tapeflow_gpu_check}"
mkdir -p "$OUT"
export OUT  # tests/gpu/test_gpu_prefetch.py writes its timing there
PY="${PYTHON:-python3}"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1 TF_CPP_MIN_LOG_LEVEL=3
# JAX would otherwise take 75% of the GPU's memory at its first array, starving CuPy/torch
export XLA_PYTHON_CLIENT_PREALLOCATE=false
START=$(date +%s)
BUDGET="${GPU_CHECK_BUDGET:-560}"  # seconds for the whole check; the benchmark gets the rest

{
  date -u
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>&1 | head -3
  "$PY" - <<'PY'
import importlib, sys
print("python", sys.version.split()[0])
for name in ("numpy", "cupy", "torch", "jax", "pytest", "ml_dtypes"):
    try:
        print(name, importlib.import_module(name).__version__)
    except Exception as e:  # noqa: BLE001
        print(name, "missing:", e)
import tapeflow as tf
print("GPU devices:", tf.config.list_physical_devices("GPU"))
print("reason if none:", repr(tf.config.gpu_unavailable_reason))
print("tf.constant device:", tf.constant([1.0]).device)
PY
} > "$OUT/env.txt" 2>&1

timeout 150 "$PY" -m pytest tests/test_placement.py tests/test_dlpack.py \
  tests/test_mixed_precision.py tests/test_device_prefetch.py -q -p no:cacheprovider -rs \
  > "$OUT/cpu_tests.txt" 2>&1
CPU_RC=$?
timeout 300 "$PY" -m pytest -m gpu tests/gpu -q -p no:cacheprovider -rs \
  > "$OUT/gpu_tests.txt" 2>&1
GPU_RC=$?
LEFT=$(( BUDGET - ($(date +%s) - START) ))
if [ "$LEFT" -gt 60 ]; then
  timeout "$LEFT" "$PY" benchmarks/gpu.py --json "$OUT/gpu_bench.json" \
    $( [ "$LEFT" -lt 200 ] && echo --quick ) > "$OUT/gpu_bench.txt" 2>&1
  BENCH_RC=$?
else
  echo "no time left for the benchmark" > "$OUT/gpu_bench.txt"; BENCH_RC=124
fi

{
  echo "# tapeflow GPU check ($(date -u))"
  echo; echo '## Environment'; echo '```'; cat "$OUT/env.txt"; echo '```'
  echo; echo "## CPU-side device tests (rc=$CPU_RC)"; echo '```'
  tail -n 15 "$OUT/cpu_tests.txt"; echo '```'
  echo; echo "## pytest -m gpu (rc=$GPU_RC)"; echo '```'
  grep -E "^(FAILED|ERROR|SKIPPED)" "$OUT/gpu_tests.txt" | sort -u | head -n 60
  cat "$OUT/gpu_prefetch.txt" 2>/dev/null  # fit timing with/without prefetch
  tail -n 3 "$OUT/gpu_tests.txt"; echo '```'
  echo; echo "## benchmarks/gpu.py (rc=$BENCH_RC)"; echo '```'; cat "$OUT/gpu_bench.txt"
  echo '```'
  echo; echo "total $(( $(date +%s) - START )) s"
} > "$OUT/report.md"
cat "$OUT/report.md"
