# The two set-up commands: `make demo` and `make test`. Everything else here serves them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test install lint clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit("Python 3.11 or newer is required (found %s)" % sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)

# Reinstall only when the lock file or the package metadata changes.
$(STAMP): $(BIN)/python requirements.lock pyproject.toml
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

# The PDF report's Japanese font is a system package (Debian's fonts-ipaexfont-gothic): docs/dependencies.md.
install: $(STAMP)
	bash scripts/pdf-font.sh

# `make demo PORT=8100` serves on another port (the default stays 8000; `ceptoar demo --port`).
demo: install
	$(BIN)/ceptoar demo $(if $(PORT),--port $(PORT))

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/lint-imports --no-cache

test: install
	bash scripts/test.sh

clean:
	rm -rf $(VENV) var/test-*
