# 政务咨询助手 — the README's two commands are `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv
RASA_VENV := .venv-rasa
PY := $(VENV)/bin/python
# Apache ECharts for the reports page, pinned in charts/package-lock.json and served by the
# gateway itself (no CDN).
CHARTS := charts/node_modules/echarts/dist/echarts.min.js
# ESLint for the browser scripts (console, reports, widget), pinned in tools/jslint/package-lock.json.
ESLINT := tools/jslint/node_modules/.bin/eslint
JS_DIRS := bot/console/static connectors/webchat/static
# The development tools (pytest, ruff, mypy, the benchmarks' helpers) in the main virtualenv.
DEV_INSTALLED := $(VENV)/.installed-dev
LOCK_ARGS := --universal --python-version 3.11 --generate-hashes --quiet --custom-compile-command "make lock" $(UV_ARGS)
# Tests that assert what a trained or fitted model scores, and benchmark-like checks
# (pyproject.toml's markers): `make test-scores` runs them, `make test-unit` leaves them out.
SCORES := model_scores or benchmark
UNIT := not integration and not ($(SCORES))
# The unit tests on both cores (pytest-xdist): a module's (or class's) tests stay on one worker,
# so module-scoped fixtures (an app, a database, staff accounts) are built once, as without it.
# Integration tests share real servers and the machine's cores, so they run serially.
XDIST := -n 2 --dist loadscope
# pytest keeps its assertion-rewritten test modules, and Python the project's compiled ones, in
# __pycache__ between runs even where the environment asks for no bytecode files: each worker
# otherwise rewrites and compiles them all again (~2.5 s of CPU per process at collection).
PYTEST := env -u PYTHONDONTWRITEBYTECODE $(PY) -m pytest

.PHONY: help setup setup-runtime lock run train index test test-unit test-scores test-integration lint eval bench \
	bench-reports clean

help:
	@echo "make setup   创建两个虚拟环境（可重复运行）"
	@echo "make run     按需训练、建索引，启动全部服务"
	@echo "make test    代码检查 + 全部测试"
	@echo "make test-unit         单元测试（不含模型分数、基准与集成测试）"
	@echo "make test-scores       依赖训练所得模型分数的测试与基准类测试"
	@echo "make test-integration  集成测试（真实 Rasa、动作服务、网关）"
	@echo "make lock    按 pyproject.toml 重新生成带哈希的锁定文件（requirements/runtime.lock、dev.lock）"
	@echo "make eval    端到端评测（经 /api/v1/chat）、检索、领域分类与 NLU 评测"

setup: setup-runtime $(DEV_INSTALLED) $(ESLINT)

# What the servers need (both virtualenvs, the charts), without the development tools: the
# image (deploy/Dockerfile) runs this, as ESLint needs a newer Node.js than Debian's.
setup-runtime: $(VENV)/.installed $(RASA_VENV)/.installed $(CHARTS)

$(CHARTS): charts/package.json charts/package-lock.json
	npm ci --prefix charts --ignore-scripts --no-audit --no-fund
	touch $(CHARTS)

$(ESLINT): tools/jslint/package.json tools/jslint/package-lock.json
	npm ci --prefix tools/jslint --ignore-scripts --no-audit --no-fund
	touch $(ESLINT)

# The main virtualenv: the runtime lock (what the servers import), then, for development, the
# dev lock (tests, linters, benchmarks) on top. Both lock files carry every file's hash and
# are installed with --require-hashes; `make lock` writes them from pyproject.toml.
$(VENV)/.installed: requirements/runtime.lock bot/scripts/make-venv.sh knowledge/e5_engine.py
	bot/scripts/make-venv.sh main $(VENV) requirements/runtime.lock
	$(PY) -m knowledge.e5_engine

$(DEV_INSTALLED): $(VENV)/.installed requirements/dev.lock bot/scripts/make-venv.sh
	bot/scripts/make-venv.sh main-dev $(VENV) requirements/dev.lock

# Runtime pins from [project] dependencies, development pins from the dev group, resolved for
# Python 3.11+ on any platform; versions already in a lock file are kept unless a requirement
# moves them (delete a line, or pass UV_ARGS=--upgrade-package=NAME, to move one on purpose).
lock: $(DEV_INSTALLED)
	$(VENV)/bin/uv pip compile pyproject.toml $(LOCK_ARGS) -o requirements/runtime.lock
	$(VENV)/bin/uv pip compile --group dev -c requirements/runtime.lock $(LOCK_ARGS) -o requirements/dev.lock

$(RASA_VENV)/.installed: requirements/rasa.lock requirements/rasa-stock.txt bot/scripts/make-venv.sh
	bot/scripts/make-venv.sh rasa $(RASA_VENV) requirements/rasa.lock

run: setup
	$(PY) -m bot run

train: setup
	$(PY) -m bot train

index: setup
	$(PY) -m knowledge reindex

lint: $(DEV_INSTALLED) $(ESLINT)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy
	$(ESLINT) --config tools/jslint/eslint.config.js --max-warnings 0 $(JS_DIRS)

# `make test` (what .ci/run calls) runs every test, marked or not, once: the unit tests on both
# cores, then the rest (integration, model scores, benchmarks) serially; the targets below run
# its parts on their own.
test: setup lint
	$(PYTEST) -q $(XDIST) -m "$(UNIT)"
	$(PYTEST) -q -m "integration or $(SCORES)"

test-unit: $(DEV_INSTALLED)
	$(PYTEST) -q $(XDIST) -m "$(UNIT)"

# Two of them talk to the trained model through the running system (integration), so the
# whole setup.
test-scores: setup
	$(PYTEST) -q -m "$(SCORES)"

test-integration: setup
	$(PYTEST) -q -m "integration"

clean:
	rm -rf var models .pytest_cache .mypy_cache .ruff_cache

eval: setup
	$(PY) -m bot.evaluation.e2e
	$(PY) -m bot.evaluation.catalog
	$(PY) -m knowledge.evaluate
	$(PY) -m bot.evaluation

bench: setup
	$(PY) -m bot.benchmark

# The reports at scale: 1M messages, 100k tickets, 50k ratings in a throwaway PostgreSQL database.
bench-reports: setup
	$(PY) -m bot.benchmark.reports
