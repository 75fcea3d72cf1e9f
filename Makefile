# propdesk: two commands. `make up` starts the whole platform; `make test` runs every check.
# Needs only Python 3.11+: uv, the workspace and the embedded servers are installed on first use.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo "$(PYTHON) -m uv")
RUN := $(UV) run --frozen
PYTEST_WORKERS ?= 2
# uv ships its own CA roots; on machines behind a TLS-inspecting proxy it must use the system bundle.
ifeq ($(SSL_CERT_FILE),)
ifneq ($(wildcard /etc/ssl/certs/ca-certificates.crt),)
export SSL_CERT_FILE := /etc/ssl/certs/ca-certificates.crt
endif
endif

.PHONY: help bootstrap up test lint format check-docs docs unit e2e external fuzz vendor browser screenshots bench-backbone bench-intake bench-notify bench-repairs bench-incidents bench-billing bench-identity bench-console clean

help:
	@echo "make up              start embedded PostgreSQL + NATS, all five services, the demo estate"
	@echo "make test            ruff, generated-docs check, the whole suite (real PostgreSQL and NATS)"
	@echo "make docs            regenerate docs/asyncapi.yaml and docs/openapi/*.json from code"
	@echo "make fuzz            schemathesis against every service, 5 minutes each (PROPDESK_FUZZ_SECONDS)"
	@echo "make bench-backbone  outbox -> JetStream -> inbox pipeline vs raw baselines (docs/performance.md)"
	@echo "make bench-repairs   resident reports under load with the whole stack; SLA timer precision"
	@echo "make bench-incidents emergency broadcast to 10,000 residents; step-deadline timer precision"
	@echo "make bench-billing   100,000-unit billing run, reconciliation, arrears view"
	@echo "make bench-identity  token checks in a service, password cost, refresh grant latency at 100/s"

bootstrap:
	@command -v uv >/dev/null 2>&1 || $(PYTHON) -m uv --version >/dev/null 2>&1 || \
		$(PYTHON) -m pip install --quiet --disable-pip-version-check uv
	@$(UV) sync --frozen --quiet

up: bootstrap
	$(RUN) propdesk up

lint: bootstrap
	$(RUN) ruff check .
	$(RUN) ruff format --check .

format: bootstrap
	$(RUN) ruff check --fix .
	$(RUN) ruff format .

docs: bootstrap
	$(RUN) propdesk asyncapi
	$(RUN) propdesk openapi
	$(RUN) propdesk nats-auth

check-docs: bootstrap
	$(RUN) python tools/vendor.py --check
	$(RUN) propdesk asyncapi --check
	$(RUN) propdesk openapi --check
	$(RUN) propdesk nats-auth --check

# The suite runs under xdist; every worker gets its own embedded servers (or the URLs in
# PROPDESK_TEST_DATABASE_URL / PROPDESK_TEST_NATS_URL, or testcontainers when Docker answers).
# The console's front-end libraries (htmx and its SSE extension) from the npm registry, pinned and checked.
vendor: bootstrap
	$(RUN) python tools/vendor.py

# Browser tests drive Chromium: Debian's package (and CJK fonts for the screenshots), installed when missing
# and we are root; otherwise Playwright's own browser.
browser:
	@if command -v chromium >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then :; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing Debian's chromium and fonts-noto-cjk for the browser tests ..."; \
		(apt-get install -y -qq chromium fonts-noto-cjk >/dev/null 2>&1 || \
		 (apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq chromium fonts-noto-cjk >/dev/null)); \
	else $(RUN) playwright install chromium; fi

# Screenshots of every console page at desk and phone size, into docs/screens/ (the README shows them).
screenshots: bootstrap browser
	PROPDESK_SCREENSHOTS=$(CURDIR)/docs/screens $(RUN) pytest -q services/console/tests -m "not external" -p no:randomly

unit: bootstrap browser
	$(RUN) pytest -n $(PYTEST_WORKERS) -m "not external" -q --durations=15

# One end-to-end check in external mode: servers started separately from propdesk.
external: bootstrap
	$(RUN) pytest -m external -q

test: lint check-docs unit external

bench-notify: bootstrap
	$(RUN) python bench/notify.py

bench-billing: bootstrap
	$(RUN) python bench/billing.py

bench-incidents: bootstrap
	$(RUN) python bench/incidents.py

bench-repairs: bootstrap
	$(RUN) python bench/repairs.py

bench-console: bootstrap
	$(RUN) python bench/console.py

bench-intake: bootstrap
	$(RUN) python bench/intake.py

bench-identity: bootstrap
	$(RUN) python bench/identity.py

bench-backbone: bootstrap
	$(RUN) python bench/backbone.py

clean:
	rm -rf .propdesk .pytest_cache .ruff_cache

# schemathesis against every service for PROPDESK_FUZZ_SECONDS each (default 5 minutes); JUnit reports in
# .propdesk/fuzz. `make test` runs the same test with a bounded number of examples per operation.
fuzz: bootstrap
	PROPDESK_FUZZ_SECONDS=$${PROPDESK_FUZZ_SECONDS:-300} PROPDESK_FUZZ_REPORTS=.propdesk/fuzz \
		$(RUN) pytest -n $(PYTEST_WORKERS) -q tests/test_fuzz.py --timeout 3600
