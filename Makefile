# Two commands do everything: `make train` (the main job) and `make test` (the test suite).
# Each creates .venv and installs what it needs on first use: `make train` only manabu and
# its runtime dependencies; `make test` adds the test extra (pytest, PyTorch as the oracle).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: train test bench install install-test clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

train: install
	$(BIN)/manabu train

test: install-test
	OPENBLAS_NUM_THREADS=1 $(BIN)/python -m pytest -q

# OPENBLAS_CORETYPE/L2_SIZE pin an old kernel on some machines; the benchmark lets NumPy
# pick its best one (PyTorch uses its own kernels either way).
bench: install-test
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE $(BIN)/python -m bench.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache
