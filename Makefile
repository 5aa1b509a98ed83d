# Two commands a newcomer needs (see README.md):
#   make demo   set everything up, run the main job
#   make test   set everything up, run the whole test suite
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo cli-demo refresh-notebooks test sysdeps lint typecheck suite unit notebooks bench bench-scale screenshot clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[all]'
	touch $(STAMP)

# JupyterLab on loopback, opened on the first lesson (--allow-root: CI and
# these machines run as root).
demo: $(STAMP)
	@token=$$($(PY) -c 'import secrets; print(secrets.token_hex(16))'); \
	echo "emergent-lab: open http://127.0.0.1:8888/lab/tree/notebooks/00_quickstart.ipynb?token=$$token"; \
	exec $(VENV)/bin/jupyter lab --ip=127.0.0.1 --port=8888 --port-retries=0 --no-browser --allow-root \
	  --IdentityProvider.token=$$token --ServerApp.root_dir=$(CURDIR)

cli-demo: $(STAMP)
	$(VENV)/bin/emergent-lab run leader-crash

# Re-execute the lessons after an engine change (saved without widget state
# and without the inline BokehJS copy).
refresh-notebooks: $(STAMP)
	$(PY) -m scripts.refresh_lessons notebooks/*.ipynb

# Mosquitto and Chromium for the integration tests: required under CI,
# optional elsewhere (those tests skip with a reason when they are missing).
sysdeps:
	@if [ "$$CI" = "true" ]; then bash scripts/system-deps.sh; \
	else bash scripts/system-deps.sh || echo "(tests that need them will skip)"; fi

lint: $(STAMP)
	$(VENV)/bin/ruff check $(wildcard emergent_lab tests benchmarks scripts)
	$(VENV)/bin/ruff format --check $(wildcard emergent_lab tests benchmarks scripts)

typecheck: $(STAMP)
	$(VENV)/bin/mypy

# Two workers, a test file each at a time (a file's module fixtures, such as
# the browser tests' JupyterLab, stay in one worker): the browser and MQTT
# tests mostly wait on real time, so the CPU-bound tests run beside them.
PARALLEL := -n 2 --dist loadfile

NBVAL := --nbval --nbval-sanitize-with notebooks/sanitize.cfg

# The lessons and the tests in one run, the lessons first: the longest
# lesson starts at once, and neither worker waits idle at the end of one
# half for the other half to begin.
suite: $(STAMP)
	$(VENV)/bin/pytest -q $(PARALLEL) --durations=25 $(NBVAL) notebooks tests

unit: $(STAMP)
	$(VENV)/bin/pytest -q $(PARALLEL) --durations=25 tests

notebooks: $(STAMP)
	$(VENV)/bin/pytest -q $(PARALLEL) --durations=10 $(NBVAL) notebooks

test: sysdeps lint typecheck suite

bench: $(STAMP)
	$(PY) benchmarks/engine.py
	$(PY) benchmarks/dashboard.py

# The scale benchmarks (minutes each; vs_simpy at n = 1,000 takes ~17 minutes).
bench-scale: $(STAMP)
	$(PY) benchmarks/dissemination.py
	$(PY) benchmarks/failover.py
	$(PY) benchmarks/vs_simpy.py --seconds 10
	$(PY) benchmarks/size.py

# Rewrites docs/dashboard.png through the browser test's harness.
screenshot: $(STAMP)
	$(PY) scripts/screenshot.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
