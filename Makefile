# DIGS — the two commands of the README do all the set-up on a fresh Debian machine with Swift:
#   make demo   installs what is missing, builds (release) and runs the quickstart pipeline
#   make test   installs what the tests need and runs every test (Swift, then Python checks)

SHELL := /bin/bash
APT_PACKAGES := libhdf5-dev libcfitsio-dev libopenblas-dev libcairo2-dev hdf5-tools fitsverify pkg-config
VENV ?= $(HOME)/.cache/digs/venv
PYTHON_TEST_PACKAGES := h5py==3.16.0 astropy==8.0.2 numpy==2.4.6 pytest==9.2.0
SWIFT_BUILD := swift build -c release --build-tests
DIGS := .build/release/digs
export DIGS_INTEROP_DIR ?= $(CURDIR)/.build/interop

.PHONY: demo test build deps venv swift-test python-test clean

## Install missing Debian packages (needs root or sudo; skipped when all are present).
deps:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:" $$missing; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

## Python tools for the independent checks, in a virtualenv outside the repository.
venv: $(VENV)/.installed
$(VENV)/.installed:
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q $(PYTHON_TEST_PACKAGES)
	touch $@

## Release build of the library, the `digs` executable and the tests (one build for all).
build: deps
	$(SWIFT_BUILD)

swift-test: build
	swift test -c release --skip-build

python-test: venv swift-test
	$(VENV)/bin/python -m pytest -q Tests/python

test: swift-test python-test

demo: build
	@mkdir -p products/demo
	@echo "== DIGS demo: the stages that exist so far, on their real products =="
	$(DIGS) --help
	$(DIGS) validate $(DIGS_INTEROP_DIR)/*.h5 2>/dev/null || $(MAKE) swift-test
	$(DIGS) inspect $(DIGS_INTEROP_DIR)/observation_set.h5

clean:
	rm -rf .build products/*/
