# DIGS — the two commands of the README do all the set-up on a fresh Debian machine with Swift:
#   make demo   installs what is missing, builds (release), runs the quickstart pipeline (`digs run`)
#               and writes its HTML report
#   make test   installs what the tests need and runs every test (Swift, then Python checks)

SHELL := /bin/bash
APT_PACKAGES := libhdf5-dev libcfitsio-dev libopenblas-dev libcairo2-dev libssl-dev fonts-dejavu-core hdf5-tools fitsverify stilts pkg-config
VENV ?= $(HOME)/.cache/digs/venv
PYTHON_TEST_PACKAGES := h5py==3.16.0 astropy==8.0.2 numpy==2.4.6 scipy==1.17.1 pytest==9.2.0 bagpipes==1.3.6 snakemake==9.27.1
SWIFT_BUILD := swift build -c release --build-tests
DIGS := .build/release/digs
export DIGS_INTEROP_DIR ?= $(CURDIR)/.build/interop

PIPELINE ?= pipelines/quickstart.yaml
PIPELINE_OUTPUT = $(shell sed -n 's/^output: *//p' $(PIPELINE))

.PHONY: demo test build deps test-deps venv real-spectra swift-test python-test bench fidelity real-fit clean

## Install missing Debian packages (needs root or sudo; skipped when all are present).
## The tests also need a browser (headless Chromium checks the HTML report).
APT_TEST_PACKAGES := chromium
define apt_install
	@missing=$$(for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:" $$missing; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi
endef
deps:
	$(call apt_install,$(APT_PACKAGES))
test-deps:
	$(call apt_install,$(APT_PACKAGES) $(APT_TEST_PACKAGES))

## Python tools for the independent checks, in a virtualenv outside the repository.
## The stamp names the package list, so changing a pin re-installs.
VENV_STAMP := $(VENV)/.installed-$(shell echo '$(PYTHON_TEST_PACKAGES)' | md5sum | cut -c1-12)
venv: $(VENV_STAMP)
$(VENV_STAMP):
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q $(PYTHON_TEST_PACKAGES)
	touch $@

## Real spectra that PyPI packages ship, for the ingest tests: two DESI EDR coadd files of 5
## fibres each (specutils' DESI loader tests) and two SDSS DR18 galaxy spectra (pPXF's examples).
## Only the data files are unpacked from the wheels; the packages are not installed.
REAL_SPECTRA_WHEELS := specutils==2.4.0 ppxf==9.5.2
export DIGS_REAL_SPECTRA ?= $(HOME)/.cache/digs/real-spectra
real-spectra: $(DIGS_REAL_SPECTRA)/.unpacked
$(DIGS_REAL_SPECTRA)/.unpacked: | $(VENV_STAMP)
	mkdir -p $(DIGS_REAL_SPECTRA)
	$(VENV)/bin/pip download -q --no-deps $(REAL_SPECTRA_WHEELS) -d $(DIGS_REAL_SPECTRA)
	cd $(DIGS_REAL_SPECTRA) && $(VENV)/bin/python -c "import zipfile, glob, os; \
	  [zipfile.ZipFile(w).extract(n) for w in glob.glob('*.whl') for n in zipfile.ZipFile(w).namelist() \
	   if '/desi_test_data/coadd-' in n or '_SDSS_DR18.fits' in n]"
	touch $@

## Release build of the library, the `digs` executable and the tests (one build for all).
build: deps
	$(SWIFT_BUILD)

swift-test: build
	swift test -c release --skip-build --no-parallel

python-test: venv test-deps real-spectra swift-test
	$(VENV)/bin/python -m pytest -q Tests/python

test: swift-test python-test

## The quickstart pipeline with `digs run` (each stage skipped when its product is up to date):
## SSP import, prior draws and noiseless spectra for the training and test sets, noisy training
## pairs, the trained flow, the test observations, their posteriors, the calibration table, the
## MCMC baseline on a few galaxies and its comparison with the posteriors, the FITS catalog;
## then the figures, validation of every product, and the run's HTML report.
demo: build
	$(DIGS) run $(PIPELINE)
	$(DIGS) plot -c $(PIPELINE)
	$(DIGS) validate $(PIPELINE_OUTPUT)/*.h5
	fitsverify -q $(PIPELINE_OUTPUT)/catalog_test.fits
	$(DIGS) report -c $(PIPELINE)
	@echo "Report: open $(PIPELINE_OUTPUT)/report/index.html in a browser (file://$(CURDIR)/$(PIPELINE_OUTPUT)/report/index.html)"

## Speed figures against the reference tools, measured in the same run. The training and
## sampling benchmarks against sbi need a Python with torch and sbi:
## `make bench SBI_PYTHON=/path/to/python` (torch is large, so it is not installed here);
## they use the quickstart's products.
SBI_PYTHON ?=
bench: build venv
	test -f products/smoke/01_ssp_library.h5 || $(DIGS) ssp import -c pipelines/smoke.yaml
	$(VENV)/bin/python Tests/benchmarks/simulate_vs_bagpipes.py products/smoke/01_ssp_library.h5 200
	@if [ -f products/quickstart/05_flow.h5 ]; then \
	  $(DIGS) benchmark infer -c pipelines/quickstart.yaml --threads 1; \
	  $(DIGS) benchmark infer -c pipelines/quickstart.yaml --threads 2; \
	  $(DIGS) benchmark mcmc -c pipelines/quickstart.yaml; \
	else echo "inference and MCMC benchmarks skipped: run make demo first"; fi
	@if [ -n "$(SBI_PYTHON)" ] && [ -f products/quickstart/05_flow.h5 ]; then \
	  $(SBI_PYTHON) Tests/benchmarks/train_vs_sbi.py products/quickstart/04_augmented.h5 100000 $(DIGS); \
	  $(SBI_PYTHON) Tests/benchmarks/infer_vs_sbi.py pipelines/quickstart.yaml products/quickstart/04_augmented.h5 \
	    products/quickstart/03_sed_test.h5 100 $(DIGS); \
	else echo "sbi benchmarks skipped: set SBI_PYTHON and run make demo first"; fi

## Posterior fidelity (Tests/benchmarks/fidelity.py): the flow against the converged reference MCMC
## on 100 test galaxies, the importance-sampling ESS, NLTP, and calibration on 10^4 fresh test
## galaxies, each against its target. Runs the pipeline up to sbc first (up to date after make demo).
fidelity: build venv
	$(VENV)/bin/python Tests/benchmarks/fidelity.py $(PIPELINE) --digs $(DIGS) --calibration 10000

## The real SDSS spectra pPXF ships (Tests/benchmarks/real_spectra.py): ingest → infer → export →
## plot fit → mcmc with pipelines/sdss.yaml, and the NPE beside the MCMC and pPXF's published fits.
real-fit: build venv real-spectra
	$(DIGS) run pipelines/sdss.yaml
	$(VENV)/bin/python Tests/benchmarks/real_spectra.py pipelines/sdss.yaml --digs $(DIGS)

clean:
	rm -rf .build products/*/
