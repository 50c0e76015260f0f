# Deployment checks: tests/deploy/test_compose.py validates docker-compose.yml with the
# compose CLI (`docker compose config`). No Docker engine is needed for that; when neither
# the compose plugin nor the standalone `docker-compose` is present, install Debian's.
.PHONY: compose-deps compose-config test-deploy

test-deps:: compose-deps

compose-deps:
	@if docker compose version >/dev/null 2>&1; then \
		echo "compose: $$(docker compose version)"; \
	elif command -v docker-compose >/dev/null 2>&1; then \
		echo "compose: $$(docker-compose version --short 2>/dev/null)"; \
	elif command -v apt-get >/dev/null 2>&1; then \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update -qq && \
		$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker-compose; \
	else \
		echo "compose: not installed; tests/deploy/test_compose.py will skip its checks"; \
	fi

# compose-config: print the compose file as compose resolves it.
compose-config: compose-deps
	@if docker compose version >/dev/null 2>&1; then docker compose config; else docker-compose config; fi

# test-deploy: only the deployment tests (settings, auth, limits, metrics, documents,
# the Chroma server, compose).
test-deploy: install compose-deps
	$(BIN)/python -m pytest tests/deploy $(PYTEST_ARGS)
