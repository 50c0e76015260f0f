# newsqa: question answering over news articles with sentence citations.
#   make run    install what is missing, index the default corpus if stale, serve on :8000
#               with one worker process per core (NEWSQA_SERVER__WORKERS)
#   make test   install what is missing and run the whole test suite
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
CORPUS ?= data/articles
# The install stamp changes when pyproject.toml does, so a changed dependency list reinstalls.
STAMP := $(VENV)/.installed-$(shell sha1sum pyproject.toml 2>/dev/null | cut -c1-12)

.PHONY: install run index ingest test test-fast lint format bench bench-faults eval clean help
.DEFAULT_GOAL := help

help:
	@echo "make run | test | lint | ingest | bench | eval | eval-report | llm-local | clean"

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# torch first, pinned: the CPU build on this machine's disk (see README).
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $@

install: $(STAMP)

# Index the default corpus only when something changed (content hash per file).
index: install
	@$(BIN)/python -m ingest --check $(CORPUS) >/dev/null || $(BIN)/python -m ingest $(CORPUS)

ingest: install
	$(BIN)/python -m ingest $(if $(PATHS),$(PATHS),$(CORPUS))

# One worker process per core unless NEWSQA_SERVER__WORKERS says otherwise.
run: index
	NEWSQA_SERVER__WORKERS=$${NEWSQA_SERVER__WORKERS:-0} $(BIN)/python -m service

test: install test-deps
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: install
	$(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check service ingest eval tests bench
	$(BIN)/ruff format --check service ingest eval tests bench
	$(BIN)/mypy

format: install
	$(BIN)/ruff format service ingest eval tests bench
	$(BIN)/ruff check --fix service ingest eval tests bench

# make bench: seed-corpus latency and req/s, then the scale mode over SCALE synthetic
# articles (each size in turn); 100k only when asked: make bench SCALE=100000;
# DISTINCT=1: no sentence repeats across the synthetic articles (a real archive's cold cost)
SCALE ?= 1000 10000
bench: install
	$(BIN)/python -m bench
	$(if $(strip $(SCALE)),$(BIN)/python -m bench --scale $(SCALE) $(if $(strip $(DISTINCT)),--distinct))

# Soak under faults (writer process, Chroma killed/hung, LLM server killed): bench/faults.py.
# The LLM phase needs the local model (make llm-deps); without it, it is skipped and says so.
bench-faults: install
	$(BIN)/python -m bench faults

clean:
	rm -rf $(VENV) data/chroma data/snapshots .pytest_cache .mypy_cache .ruff_cache

# Extra targets (browser test dependencies, the local LLM server...) live in mk/*.mk;
# each may add prerequisites to test-deps.
test-deps::
-include mk/*.mk
