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

.PHONY: help setup setup-runtime run train index test test-unit lint eval bench bench-reports clean

help:
	@echo "make setup   创建两个虚拟环境（可重复运行）"
	@echo "make run     按需训练、建索引，启动全部服务"
	@echo "make test    代码检查 + 全部测试"
	@echo "make eval    端到端评测（经 /api/v1/chat）、检索、领域分类与 NLU 评测"

setup: setup-runtime $(ESLINT)

# What the servers need (both virtualenvs, the charts), without the development tools: the
# image (deploy/Dockerfile) runs this, as ESLint needs a newer Node.js than Debian's.
setup-runtime: $(VENV)/.installed $(RASA_VENV)/.installed $(CHARTS)

$(CHARTS): charts/package.json charts/package-lock.json
	npm ci --prefix charts --ignore-scripts --no-audit --no-fund
	touch $(CHARTS)

$(ESLINT): tools/jslint/package.json tools/jslint/package-lock.json
	npm ci --prefix tools/jslint --ignore-scripts --no-audit --no-fund
	touch $(ESLINT)

$(VENV)/.installed: requirements/main.lock bot/scripts/make-venv.sh knowledge/e5_engine.py
	bot/scripts/make-venv.sh main $(VENV) requirements/main.lock
	$(PY) -m knowledge.e5_engine

$(RASA_VENV)/.installed: requirements/rasa.lock requirements/rasa-stock.txt bot/scripts/make-venv.sh
	bot/scripts/make-venv.sh rasa $(RASA_VENV) requirements/rasa.lock

run: setup
	$(PY) -m bot run

train: setup
	$(PY) -m bot train

index: setup
	$(PY) -m knowledge reindex

lint: $(VENV)/.installed $(ESLINT)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy
	$(ESLINT) --config tools/jslint/eslint.config.js --max-warnings 0 $(JS_DIRS)

test-unit: $(VENV)/.installed
	$(PY) -m pytest -q -m "not integration"

test: setup lint
	$(PY) -m pytest -q

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
