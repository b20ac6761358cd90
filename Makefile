# Two commands for a newcomer: `make chat` and `make test`. Both are idempotent.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DATA   ?= data/ml-100k
SHARED_MODELS ?= $(firstword $(wildcard ../shared/models /work/shared/models))
CHROMA_MODEL_CACHE := $(HOME)/.cache/chroma/onnx_models/all-MiniLM-L6-v2/onnx

.PHONY: chat test install dev data models lint format bench eval clean

chat: install models data  ## Set up everything and start the chat on MovieLens-100K.
	$(BIN)/ars chat --data $(DATA)

test: dev models  ## Install the dev extras and run the whole test suite.
	$(BIN)/pytest

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(VENV)/.installed
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

dev: $(VENV)/.installed-dev
$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

# Offline machines get the embedding model from ../shared/models; others let Chroma download it.
models:
	@if [ -d "$(SHARED_MODELS)/all-MiniLM-L6-v2/onnx" ] && [ ! -f "$(CHROMA_MODEL_CACHE)/model.onnx" ]; then \
		mkdir -p "$(CHROMA_MODEL_CACHE)" && cp -r "$(SHARED_MODELS)/all-MiniLM-L6-v2/onnx/." "$(CHROMA_MODEL_CACHE)/" && \
		echo "copied the embedding model into $(CHROMA_MODEL_CACHE)"; fi

data: install
	@$(BIN)/ars data movielens-100k --out $(DATA) --if-missing

lint:
	$(BIN)/ruff check agentic_recsys tests benchmarks
	$(BIN)/ruff format --check agentic_recsys tests benchmarks
	$(BIN)/mypy

format:
	$(BIN)/ruff format agentic_recsys tests benchmarks
	$(BIN)/ruff check --fix agentic_recsys tests benchmarks

bench: install models data  ## Latency and memory benchmarks (numbers go in the README).
	OPENBLAS_NUM_THREADS=1 $(BIN)/python benchmarks/bench_recommend.py $(DATA)
	$(BIN)/python benchmarks/bench_turns.py $(DATA)
	$(BIN)/python benchmarks/bench_memory.py
	-$(BIN)/python benchmarks/bench_local_llm.py

eval: install models data  ## Offline and conversational evaluation on MovieLens-100K.
	$(BIN)/ars eval offline $(DATA)
	$(BIN)/ars eval converse $(DATA)

clean:
	rm -rf $(VENV) build *.egg-info
