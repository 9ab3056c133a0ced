# tapeflow's two entry points. Needs only python3 (3.10+) and make; everything else is
# installed from PyPI into ./.venv the first time and again only when pyproject.toml changes.
.PHONY: workshop test docs fuzz bench clean-venv

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check --no-input -q

# The interpreter (and pip) of the virtual environment.
$(PY):
	$(PYTHON) -m venv $(VENV)

# One stamp per extra, keyed on pyproject.toml: installs are skipped while it is unchanged.
$(VENV)/.stamp-plot: pyproject.toml | $(PY)
	$(PIP) install -e '.[plot]'
	@touch $@

$(VENV)/.stamp-docs: pyproject.toml | $(PY)
	$(PIP) install -e '.[docs]'
	@touch $@

$(VENV)/.stamp-dev: pyproject.toml | $(PY)
	$(PIP) install -e '.[dev]'
	@touch $@

## make workshop: run every workshop section in order (tapeflow-workshop); plots go to
## ./out/workshop/. Options through ARGS, e.g. make workshop ARGS="--quick --section mnist"
ARGS ?=
workshop: $(VENV)/.stamp-plot
	MPLBACKEND=Agg $(VENV)/bin/tapeflow-workshop $(ARGS)

## make test: lint, then the test suite. The docs site's browser test drives Debian's
## chromium (tests/test_docs_site.py): run as root with apt-get, it is installed when missing.
test: $(VENV)/.stamp-dev
	@if [ ! -x /usr/bin/chromium ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing Debian's chromium for the docs site's browser test"; \
		DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			chromium </dev/null; fi
	$(VENV)/bin/ruff check .
	$(PY) -m pytest

## make docs: the documentation site (MkDocs, strict: a broken link or reference fails it)
## into ./site/; open site/index.html. The test suite builds it too (tests/test_docs_site.py).
docs: $(VENV)/.stamp-docs
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict
	@echo "docs: open site/index.html"

## make fuzz: the file-format fault-injection suite at full length (the test suite runs a
## short budget of it): mutated and malicious files, and SIGKILLs during saves
fuzz: $(VENV)/.stamp-dev
	$(PY) tests/fuzz/fuzz_files.py --cases 2000 --kills 50 --seed 1

## make bench: every benchmark side by side with its peers, written to
## benchmarks/results/latest.md. The peers (tensorflow-cpu, torch, jax) are installed from the
## package index into a separate ./.bench-venv (several GB, minutes the first time), so the
## figures depend on no environment that exists on one machine only. Options through
## BENCH_ARGS, e.g. make bench BENCH_ARGS="--quick --only mlp_epoch" or "--busy".
BENCH_VENV := .bench-venv
BENCH_PY   := $(BENCH_VENV)/bin/python
BENCH_ARGS ?=
$(BENCH_VENV)/.stamp: pyproject.toml benchmarks/requirements-peers.txt
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_PY) -m pip --disable-pip-version-check --no-input -q install -e '.[mpi]' \
		-r benchmarks/requirements-peers.txt
	@# triton (pulled in by torch's CUDA builds) segfaults when imported beside TensorFlow,
	@# and the CPU benchmarks never use it
	$(BENCH_PY) -m pip --disable-pip-version-check -q uninstall -y triton || true
	@touch $@

bench: $(BENCH_VENV)/.stamp
	PYTHONPATH=$(CURDIR) $(BENCH_PY) benchmarks/run_all.py $(BENCH_ARGS)

clean-venv:
	rm -rf $(VENV) $(BENCH_VENV)
