# Browser tests: Debian's Chromium driven by the pip `playwright` package (never
# `playwright install`, which downloads a browser and fails offline). The Makefile
# includes this file; `make test` installs Chromium first through test-deps.
CHROMIUM ?= /usr/bin/chromium
WIDGET_PY := $(or $(BIN),.venv/bin)/python

.PHONY: browser-deps widget-size test-browser

test-deps:: browser-deps

# browser-deps: install Chromium with apt when $(CHROMIUM) is missing.
browser-deps:
	@if [ -x "$(CHROMIUM)" ]; then \
		echo "chromium: $$($(CHROMIUM) --version 2>/dev/null)"; \
	else \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update && \
		$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium; \
	fi

# widget-size: print the widget's raw and gzipped size; fails over the 30 KB budget.
widget-size:
	@$(WIDGET_PY) -c "import gzip,pathlib; b=pathlib.Path('widget/widget.js').read_bytes(); \
	g=len(gzip.compress(b,9)); print(f'widget.js: {len(b)} bytes, {g} bytes gzipped ({g/1024:.1f} KB of 30 KB)'); \
	raise SystemExit(g > 30*1024)"

# test-browser: only the widget's tests (real service + headless Chromium).
test-browser: browser-deps
	$(WIDGET_PY) -m pytest tests/browser tests/test_widget_asset.py $(PYTEST_ARGS)
