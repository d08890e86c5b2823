# The two commands of the README: `make demo` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test bench bench-rollout golden mutate

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" bash scripts/demo.sh

test: $(STAMP)
	$(PY) -m pytest -q -n auto

bench: $(STAMP)
	$(PY) -m bench.fleet

bench-rollout: $(STAMP)
	$(PY) -m bench.rollout

golden: $(STAMP)
	$(PY) -m tests.golden --update

# Mutation testing of the core (bench/mutation_targets.toml), MUTATE_JOBS modules at a time at the lowest priority;
# writes bench/MUTATION.md. `make mutate MUTATE_ARGS="--changed origin/main"` mutates only what changed.
MUTATE_JOBS ?= 2
mutate: $(STAMP)
	nice -n 19 $(PY) -m bench.mutation --jobs $(MUTATE_JOBS) $(MUTATE_ARGS)
