# dlpipe: `make run` and `make test` do everything on a fresh machine (they create .venv first).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(abspath $(VENV))/bin
CORES  ?= 2
MEM_MB ?= 2680
export PATH := $(BIN):$(PATH)
UV_SOURCES = --index-strategy unsafe-best-match $(if $(PIP_INDEX_URL),--index-url $(PIP_INDEX_URL)) \
  $(foreach url,$(PIP_EXTRA_INDEX_URL),--extra-index-url $(url)) \
  $(foreach where,$(PIP_FIND_LINKS),--find-links $(where))

.PHONY: venv run repro cluster test test-fast dag report image clean-venv

venv: $(VENV)/.installed  ## create .venv and install the pinned lock (set-up only)

$(VENV)/.installed: requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), f"dlpipe needs Python 3.11, $(PYTHON) is {sys.version.split()[0]}"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	# uv installs the lock: it fetches, unpacks and byte-compiles on every core, where pip works
	# through the wheels one at a time (bench/bench_venv.py). It reads its own settings, not pip's:
	# the wheel directories and indexes given to pip in the environment pass on, and it looks in
	# every index for each pin, as pip does
	$(BIN)/python -m pip install --quiet $$(grep '^uv==' requirements.lock)
	$(BIN)/uv pip install --quiet --python $(BIN)/python $(UV_SOURCES) --compile-bytecode \
	  --requirement requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python $(UV_SOURCES) --no-deps --editable .
	touch $@

# Both front ends run their jobs under `dlpipe preload`: each job is forked from one process
# that has imported its libraries (the same outputs as a fresh process; ~1-5 s less per job).
run: venv  ## set up, then run the whole pipeline with Snakemake and record its outputs with DVC
	python -m dlpipe preload -- \
	  snakemake --workflow-profile profiles/default --cores $(CORES) --resources mem_mb=$(MEM_MB)
	# every output is now that of the current params, data and code: DVC records them, so
	# `dvc status` and `dvc repro` find nothing to do either
	if [ -d .dvc ]; then dvc commit --force --quiet; fi

repro: venv  ## the same DAG through DVC
	python -m dlpipe preload -- dvc repro

cluster: venv  ## the same DAG submitted to SLURM (profiles/slurm)
	snakemake --workflow-profile profiles/slurm

report: venv  ## Snakemake's HTML report with every figure
	snakemake --workflow-profile profiles/default --report reports/report.html

# Unit tests on every core; then the DAG tests (marker slow, all in tests/dag: that phase's
# workers import only those files), one file per worker and two workers per core: a worker
# there mostly waits on its jobs (and on SLURM's scheduler), so the DAG files start at once and
# fill each other's waits. Both phases run; either failing fails the target.
test: venv  ## set up, then run the whole test suite (starts a local SLURM cluster when it can)
	status=0; \
	python -m pytest -n $(CORES) --dist loadfile -m "not slow" || status=$$?; \
	python -m pytest -n $$(( 2 * $(CORES) )) --dist loadfile -m slow tests/dag || status=$$?; \
	exit $$status

test-fast: venv  ## unit tests only
	python -m pytest -n $(CORES) -m "not slow and not slurm"

dag: venv  ## re-render dvc.yaml from the stage table
	python -m dlpipe dag

# PROJECTS="iris price": their bundles are copied into the image; none: the image serves (or
# runs stages in) a working copy mounted at /srv/dlpipe. setup-podman.sh installs podman first
# where it is missing (root, Debian) and sets the runtime this machine needs.
PROJECTS ?=
image: venv  ## build dlpipe's container image with podman (PROJECTS="iris price" copies bundles in)
	bash container/setup-podman.sh
	python -m dlpipe image $(PROJECTS)

clean-venv:
	rm -rf $(VENV)
