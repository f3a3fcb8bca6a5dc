# Two commands set everything up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
DEVSTAMP := $(VENV)/.dev-installed
export TF_CPP_MIN_LOG_LEVEL := 2

.PHONY: run test test-slow flask lint bench chromium models clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(STAMP): requirements.txt constraints.txt | $(PY)
	$(PY) -m pip install -q -r requirements.txt -c constraints.txt
	touch $@

$(DEVSTAMP): $(STAMP) requirements-dev.txt requirements-keras2.txt
	$(PY) -m pip install -q -r requirements-dev.txt -c constraints.txt
	$(PY) -m pip install -q --no-deps -r requirements-keras2.txt
	touch $@

## Start the Streamlit app on the shipped demo models.
run: $(STAMP)
	$(VENV)/bin/streamlit run streamlit_app.py --server.headless true

## Install what the tests need (dev requirements, Debian chromium) and run pytest.
test: $(DEVSTAMP) chromium
	$(PY) -m pytest

test-slow: $(DEVSTAMP) chromium
	$(PY) -m pytest -m slow

## Serve the Flask app with gunicorn (gunicorn.conf.py: 2 gthread workers) on 127.0.0.1:8000.
flask: $(STAMP)
	RA_SECRET_KEY=$${RA_SECRET_KEY:-$$($(PY) -c 'import secrets; print(secrets.token_hex(32))')} \
	  $(VENV)/bin/gunicorn -c gunicorn.conf.py 'flask_app:create_app()'

lint: $(DEVSTAMP)
	$(VENV)/bin/ruff check .

bench: $(DEVSTAMP)
	$(PY) -m bench.run_all

chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian chromium for browser tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || echo "warning: could not install chromium; browser tests will be skipped"; }

## Rebuild the shipped demo models from seeds (≈ 50 min on 2 CPU cores: CNN 26, scorer 14).
models: $(DEVSTAMP)
	$(PY) -m ra_models phantoms --out data/phantoms-train --n 3000 --seed 1
	$(PY) -m ra_models train xray --data data/phantoms-train --out assets/models/xray --seed 0 --lr 1e-3 --max-minutes 26
	$(PY) -m ra_models train scorer --data data/phantoms-train --out assets/models/svh --seed 0 --max-minutes 14
	$(PY) -m ra_models phantoms --out data/phantoms-test --n 400 --seed 2024
	$(PY) -m ra_models evaluate xray --model assets/models/xray --data data/phantoms-test --report assets/reports/xray --nuisance 60 --update-card
	$(PY) -m ra_models evaluate scorer --model assets/models/svh --data data/phantoms-test --report assets/reports/svh --update-card
	$(PY) -m ra_models phantoms --samples assets/samples
	$(PY) -m ra_models train clinical --out assets/models/clinical --n 12000 --seed 0
	$(PY) -m bench.ood_check --update-card
	$(PY) docs/make_figures.py

clean:
	rm -rf .pytest_cache .ruff_cache test-output
