# slogen: `make build` then `make test` on a fresh Debian machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
SLOGEN := $(VENV)/bin/slogen
# A folder of specs, one per service, when slos/ exists; else the one slo.yaml.
SPEC ?= $(if $(wildcard slos/*.yaml slos/*.yml),slos,slo.yaml)
OUT ?= out
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: help build test e2e demo bench lint tools explain update-golden clean

help: ## Show this help
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

build: $(VENV)/.installed ## Build out/ from slo.yaml (and the spec's JSON Schema)
	$(SLOGEN) build $(SPEC) --out $(OUT)
	$(SLOGEN) schema --out slo.schema.json

tools: ## Install promtool, amtool, vmalert and chromium (Debian packages prometheus, prometheus-alertmanager, victoria-metrics, chromium) when missing
	@if ! command -v promtool >/dev/null || ! command -v amtool >/dev/null || ! command -v prometheus-alertmanager >/dev/null || ! command -v vmalert >/dev/null || ! command -v chromium >/dev/null; then \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends prometheus prometheus-alertmanager victoria-metrics chromium; \
	fi
	@promtool --version | head -1

# Two workers a core: the live-stack tests spend most of their minutes waiting on real clocks. Tests go out one at
# a time, longest first (tests/conftest.py), so the minutes-long ones overlap from the start.
WORKERS ?= $(shell echo $$(( $$(nproc) * 2 )))

test: $(VENV)/.installed tools ## Run the whole test suite (unit, golden, CLI, property, hostile, promtool, e2e)
	$(PY) -m pytest -n $(WORKERS) --dist load --maxschedchunk 1

e2e: $(VENV)/.installed tools ## Real Prometheus + Alertmanager on 127.0.0.1 with the bundle; faults reach the right receivers
	$(PY) -m pytest -m e2e -v

demo: $(VENV)/.installed tools ## Play faults against the bundle in real Prometheus + Alertmanager; print who is told
	$(SLOGEN) demo $(SPEC)

bench: $(VENV)/.installed tools ## Print the benchmarks: alert quality and Prometheus cost against Sloth, build scaling, lint speed
	$(PY) bench/alert_quality.py
	$(PY) bench/prom_cost.py
	$(PY) bench/build_scaling.py
	$(PY) bench/instrument_overhead.py
	$(PY) bench/status_report.py
	$(PY) bench/lint_speed.py

lint: $(VENV)/.installed tools ## The CI gate: schema and bundle drift, promtool check/test, slogen's own checks
	$(SLOGEN) schema --check --out slo.schema.json
	$(SLOGEN) build $(SPEC) --out $(OUT) --check
	$(SLOGEN) lint $(SPEC) --out $(OUT)

explain: $(VENV)/.installed ## Print each SLO's budget, alert thresholds and detection times
	$(SLOGEN) explain $(SPEC)

update-golden: $(VENV)/.installed ## Rewrite the golden bundles under tests/golden/ from their specs
	$(PY) -m pytest tests/test_golden.py --update-golden -q

clean: ## Remove the virtual environment and caches
	rm -rf $(VENV) .pytest_cache .hypothesis *.egg-info
