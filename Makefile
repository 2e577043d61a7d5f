# make run: set up .venv when missing and start Yaomu on the bundled catalogue.
# make test: set up .venv when missing and run the whole test suite.
# make check: what CI runs: ruff, ruff format, mypy, lint-imports (the architecture contract), then make test.
# make soak: the long-running suites at full length (50 SIGKILLs during an apply).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test check soak lint bench bundle smoke clean system-deps

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,build]'
	touch $(STAMP)

system-deps:
	bash .ci/system-deps

run: $(STAMP) system-deps
	$(BIN)/yaomu

test: $(STAMP) system-deps
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q desktop tests

lint: $(STAMP)
	$(BIN)/ruff check desktop tests bench
	$(BIN)/ruff format --check desktop tests bench

check: lint
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(MAKE) test

soak: $(STAMP) system-deps
	YAOMU_SOAK=1 QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q tests/sync/test_kill.py

bench: $(STAMP)
	$(BIN)/python bench/search.py
	$(BIN)/python bench/sync.py
	$(BIN)/python bench/feed.py
	$(BIN)/python bench/estimate.py
	$(BIN)/python bench/receipt.py
	$(BIN)/python bench/startup.py

bundle: $(STAMP)
	$(BIN)/pyinstaller --noconfirm --clean build.spec

smoke: bundle
	QT_QPA_PLATFORM=offscreen dist/yaomu/yaomu --smoke-test

clean:
	rm -rf build dist
