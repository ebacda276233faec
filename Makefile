# ObsAI — one command to run, one to test.
.DEFAULT_GOAL := help
PY := .venv/bin/python
SHELL := /bin/bash

.PHONY: help install run test lint protos check-protos unit eval bench deploy-check clean

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

install: ## install uv, the workspace, redis-server, prometheus and buf (idempotent)
	@scripts/bootstrap.sh

run: install ## run the whole stack in the foreground (Ctrl-C stops everything)
	@$(PY) -m obsai_devstack run

protos: ## regenerate Python code and the Envoy descriptor set from protos/
	@$(PY) scripts/gen_protos.py

check-protos: ## fail when generated code is stale; lint the protos
	@$(PY) scripts/gen_protos.py --check
	@.tools/node_modules/.bin/buf lint services/gateway/generated/obsai.pb#format=binpb --path obsai/v1

lint: check-protos ## ruff, formatting and mypy
	@.venv/bin/ruff check .
	@.venv/bin/ruff format --check --quiet .
	@.venv/bin/mypy -p obsai_common -p obsai_auth -p obsai_catalog -p obsai_discovery -p obsai_query -p obsai_gateway -p obsai_devstack -p obsai_demo -p obsai_eval

test: install lint ## every check and every test, against real PostgreSQL, Redis, Envoy, Prometheus
	@.venv/bin/pytest -q

unit: ## fast unit tests only
	@.venv/bin/pytest -q tests/unit

eval: install ## accuracy on the dev set (see docs/EVALUATION.md)
	@$(PY) -m obsai_eval --questions tests/eval/devset.yaml --report .obsai/eval-report.json $(EVAL_ARGS)

bench: install ## benchmarks (see bench/README.md and docs/PERFORMANCE.md)
	@$(PY) bench/auth/gateway_bench.py
	@$(PY) bench/query/gateway_bench.py
	@$(PY) bench/query/pipeline_bench.py
	@$(PY) bench/planner/planning_bench.py
	@$(PY) bench/discovery/run.py --catalog

deploy-check: ## offline checks of compose, k8s manifests and Dockerfiles
	@scripts/check-deploy.sh

clean: ## remove local state (.obsai/) and caches
	rm -rf .obsai .pytest_cache .mypy_cache .ruff_cache
