# From Zero — build, test and maintain the book.  `make help` lists the targets.
#
# The two commands a newcomer needs (README.md):
#   make book   create .venv if needed, install requirements.txt, build the HTML
#   make test   run every check: lint, library tests, strict nbval over every notebook,
#               a clean warnings-as-errors book build, and the browser test of the site
#               (headless Chromium: Debian's `chromium` package; .ci/run installs it)

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
NOTEBOOKS := $(sort $(wildcard chapters/*.ipynb))
JOBS   ?= 2

.PHONY: help venv book book-only test lint unit notebooks build-check browser refresh clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 16

$(STAMP): requirements.txt code/pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (From Zero)" > /dev/null
	@touch $(STAMP)

venv: $(STAMP)  ## create .venv and install the pinned requirements (done by book and test)

book: $(STAMP)  ## build the HTML book from a clean _build and print where it is
	rm -rf _build
	$(BIN)/jupyter-book build . -W -n --keep-going
	@echo "The book is at: file://$(CURDIR)/_build/html/index.html"

book-only: $(STAMP)  ## rebuild the HTML without cleaning _build first (faster, repeats no warnings)
	$(BIN)/jupyter-book build . -W -n --keep-going

test: $(STAMP)  ## run every test (what .ci/run runs)
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory unit
	$(MAKE) --no-print-directory notebooks
	$(MAKE) --no-print-directory build-check
	$(MAKE) --no-print-directory browser

lint: $(STAMP)  ## ruff over the library, the tests, the tools and the notebooks
	$(BIN)/ruff check code tests tools chapters
	$(BIN)/ruff format --check code tests tools

unit: $(STAMP)  ## the library's unit and property tests (no network: sockets disabled)
	$(BIN)/pytest tests -n $(JOBS) --disable-socket --allow-unix-socket -m "not browser"

notebooks: $(STAMP)  ## execute every notebook and compare with its committed outputs (strict nbval)
	$(BIN)/pytest --nbval --nbval-current-env -p no:cacheprovider \
	  -n $(JOBS) --dist loadscope $(NOTEBOOKS)

build-check: $(STAMP)  ## clean warnings-as-errors build of the committed outputs
	rm -rf _build
	$(BIN)/jupyter-book build . -W -n --keep-going

browser: $(STAMP)  ## open every page of _build/html in headless Chromium (run after build-check)
	$(BIN)/pytest tests/test_browser.py -m browser -p no:cacheprovider

refresh: $(STAMP)  ## re-execute notebooks in place to refresh stored outputs (NB=chapters/x.ipynb for one)
	$(BIN)/python tools/refresh_outputs.py $(if $(NB),$(NB),$(NOTEBOOKS)) $(if $(FORCE),--force,)

clean:  ## remove the build (keeps .venv)
	rm -rf _build .pytest_cache .ruff_cache
