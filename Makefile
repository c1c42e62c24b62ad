# Two commands get a newcomer going: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CONFIG ?= config/monitor.toml
STAMP := $(VENV)/.installed

.PHONY: run test demo poll bench clean install

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	# Bytecode now, as a regular install has it: an editable install otherwise compiles
	# every module at every start where writing it is turned off (PYTHONDONTWRITEBYTECODE).
	$(BIN)/python -m compileall -q monitor
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/monitor --config $(CONFIG) run

poll: $(STAMP)
	$(BIN)/monitor --config $(CONFIG) poll

test: $(STAMP)
	$(BIN)/python -m pytest

demo: $(STAMP)
	$(BIN)/monitor demo

bench: $(STAMP)
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
