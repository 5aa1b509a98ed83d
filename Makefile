# Two commands a newcomer needs (see README.md):
#   make demo   set everything up, run the main job
#   make test   set everything up, run the whole test suite
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test sysdeps lint typecheck unit notebooks bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[all]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/emergent-lab run leader-crash

# Mosquitto and Chromium for the integration tests: required under CI,
# optional elsewhere (those tests skip with a reason when they are missing).
sysdeps:
	@if [ "$$CI" = "true" ]; then bash scripts/system-deps.sh; \
	else bash scripts/system-deps.sh || echo "(tests that need them will skip)"; fi

lint: $(STAMP)
	$(VENV)/bin/ruff check $(wildcard emergent_lab widgets tests benchmarks scripts)

typecheck: $(STAMP)
	$(VENV)/bin/mypy

unit: $(STAMP)
	$(VENV)/bin/pytest -q tests

notebooks: $(STAMP)
	@if ls notebooks/*.ipynb >/dev/null 2>&1; then \
	  $(VENV)/bin/pytest -q --nbval notebooks/ --nbval-sanitize-with notebooks/sanitize.cfg; \
	else echo "no notebooks yet"; fi

test: sysdeps lint typecheck unit notebooks

bench: $(STAMP)
	$(PY) benchmarks/engine.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
