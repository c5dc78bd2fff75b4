# Everyday entry points. `make` alone lists them.
.DEFAULT_GOAL := help
SHELL := /bin/bash

# uv from PATH, or the copy `make bootstrap` installs with pip (reachable through python3 -m uv
# even when pip's script directory is not on PATH).
UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
UV_VERSION := 0.13.9
STACK := $(UV) run python deploy/local/stack.py

.PHONY: help bootstrap infra-install infra-up infra-down infra-status run stop test test-unit \
	lint bench bench-journey catalogue api-docs clock compose-up compose-down

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z][a-z-]*:.*## / {printf "  %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

bootstrap: ## install uv if missing, then the locked Python dependencies
	@if ! command -v uv >/dev/null 2>&1 && ! python3 -m uv --version >/dev/null 2>&1; then \
		echo "installing uv $(UV_VERSION)…"; \
		PIP_ROOT_USER_ACTION=ignore python3 -m pip install --quiet uv==$(UV_VERSION) \
		|| PIP_ROOT_USER_ACTION=ignore python3 -m pip install --quiet --user \
			--break-system-packages uv==$(UV_VERSION); \
	fi
	$(UV) sync --frozen

infra-install: ## install PostgreSQL, Redis, Java and the Kafka jars where missing
	$(STACK) install

infra-up: ## start PostgreSQL :55432, Redis :56379 and Kafka :59092 (no Docker needed)
	$(STACK) up

infra-down: ## stop the local PostgreSQL, Redis and Kafka (data is kept in .local/)
	$(STACK) down

infra-status: ## show what the local stack runs and whether it answers
	$(STACK) status

run: bootstrap ## start infrastructure and the five services, seed demo data; Ctrl-C stops
	$(UV) run python deploy/local/run.py

stop: ## stop the services started by `make run`, then the local stack
	-$(UV) run python deploy/local/run.py stop
	$(STACK) down

test: bootstrap infra-install ## the whole suite on real PostgreSQL, Redis and Kafka
	$(UV) run pytest

test-unit: ## unit tests only: no servers needed
	$(UV) run pytest tests/unit

lint: ## ruff (lint + format check) and mypy --strict over the whole tree
	$(UV) run ruff check . && $(UV) run ruff format --check . && $(UV) run mypy libs services tests deploy benchmarks

bench: ## event plumbing and the journey service's speed, beside same-run ceilings
	$(UV) run python benchmarks/run.py
	$(MAKE) --no-print-directory bench-journey

bench-journey: ## journey service on Kafka + PostgreSQL: make bench-journey ARGS="--events 20000 --timers 100000"
	$(UV) run python benchmarks/journey.py $(ARGS)

catalogue: ## regenerate the event catalogue in docs/events/ from the contracts
	$(UV) run python -m rapport_events.catalogue

SERVICE_PACKAGES := identity service_orders loyalty journey notifier

api-docs: ## regenerate the services' OpenAPI documents in docs/api/
	$(UV) run python -m rapport_platform.openapi $(SERVICE_PACKAGES)

clock: ## move the running platform's shared clock forward: make clock DAYS=30
	$(UV) run python deploy/local/run.py clock $(or $(DAYS),1)

compose-up: ## everything in containers instead (needs a Docker engine)
	docker compose -f deploy/compose/docker-compose.yml up --build --detach

compose-down: ## stop the containers started by compose-up
	docker compose -f deploy/compose/docker-compose.yml down
