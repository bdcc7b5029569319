# Two commands for readers (`make lab`, `make test`), `make site` (a static HTML site of the
# executed notebooks, in site/) and two for maintainers (`make figures`, `make notebooks`).
# Each creates .venv on first use. A conda user runs `make lab-conda` in the activated environment.
PYTHON ?= python3
# The torch this project is developed and tested with; any torch >= 2.4 works (set TORCH= to keep
# the torch you already have).
TORCH ?= torch==2.13.0
# Where torch comes from, besides PyPI. PyPI's Linux x86-64 torch is the CUDA build (torch plus about
# twenty nvidia-* and triton wheels, over 2 GB); PyTorch's CPU index holds `2.13.0+cpu` (about
# 190 MB), which pip prefers because a local version label sorts above the bare version. A GPU user
# sets TORCH_INDEX= (PyPI's CUDA build) or https://download.pytorch.org/whl/cuXXX for another CUDA.
TORCH_INDEX ?= https://download.pytorch.org/whl/cpu
VENV := .venv
BIN := $(VENV)/bin
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9]*.ipynb))

.PHONY: lab lab-conda test lint unit nbval learners-run run-nbval run-learners figures notebooks site clean

# One stamp per set of extras, so each command installs what it needs and no more: a reader gets
# `lab`, `make test` gets `lab,test,site` (tests/test_site.py builds the site). `make site` gets only
# the `site` extra's packages, without the package itself or torch: it renders committed outputs.
$(VENV)/.torch:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(if $(TORCH),$(BIN)/pip install $(if $(TORCH_INDEX),--extra-index-url $(TORCH_INDEX)) "$(TORCH)")
	touch $@

$(VENV)/.lab $(VENV)/.test: $(VENV)/.%: pyproject.toml $(VENV)/.torch
	$(BIN)/pip install -e ".[$(EXTRAS_$*)]"
	touch $@

EXTRAS_lab := lab
EXTRAS_test := lab,test,site

$(VENV)/.site: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python tools/requirements.py site > $(VENV)/site-requirements.txt
	$(BIN)/pip install -r $(VENV)/site-requirements.txt
	touch $@

# Lab serves the repository root, so the notebooks' links to ../figures/ resolve, and opens the
# first notebook. Root (a container) needs --allow-root; an ordinary user does not get it.
# --LabApp.custom_css loads tools/lab/custom.css (installed by tools/lab_settings.py); the pre-save hook
# (tools/lab/realnvp_widget_state.py, found through PYTHONPATH) keeps the saved state of every widget
# an output still shows. LAB_ARGS: more arguments for `jupyter lab` (e.g. LAB_ARGS=--no-browser).
LAB_FLAGS := --ServerApp.root_dir="$(CURDIR)" --LabApp.custom_css=True \
	--ContentsManager.pre_save_hook=realnvp_widget_state.keep_shown_widgets \
	$(if $(filter 0,$(shell id -u)),--allow-root)
LAB_ARGS ?=
FIRST_NOTEBOOK := $(firstword $(NOTEBOOKS))

# tools/lab_settings.py installs the project's Lab settings into the environment: ipywidgets'
# saveState, so a notebook saved after Run All keeps sliders that scrub when reopened (with the
# pre-save hook, which keeps the widgets shown from saved state that saveState would drop), and CSS that
# hides the broken-chain icon on sliders that scrub without a kernel. `jupyter trust` signs the
# committed notebooks for this user, so Lab renders their saved widget state at once: the sliders
# scrub before any cell runs (an untrusted notebook shows their first frame).
define OPEN_LAB
	$(BIN)/python tools/lab_settings.py
	$(BIN)/jupyter trust $(NOTEBOOKS)
	PYTHONPATH="$(CURDIR)/tools/lab$${PYTHONPATH:+:$$PYTHONPATH}" $(BIN)/jupyter lab $(LAB_FLAGS) $(LAB_ARGS) $(FIRST_NOTEBOOK)
endef

lab: $(VENV)/.lab
	$(OPEN_LAB)

# The same in an activated conda environment (environment.yml), which already has every package.
lab-conda: BIN = $(CONDA_PREFIX)/bin
lab-conda:
	@test -n "$(CONDA_PREFIX)" || { echo "activate the environment first: conda activate realnvp"; exit 1; }
	$(OPEN_LAB)

# Then the notebooks, twice: as committed (nbval) and as a learner runs them (learners-run), side by
# side, since most of either is training on one thread. OMP_NUM_THREADS=1, because processes that each
# spin two OpenMP threads on two busy cores run many times slower (benchmarks/digits_threads.txt).
# (The run-* targets are nbval's and learners-run's commands without the install, which lint did.)
test: lint unit
	OMP_NUM_THREADS=1 $(MAKE) --no-print-directory --jobs=2 --output-sync=target run-nbval run-learners

lint: $(VENV)/.test
	$(BIN)/ruff check realnvp_lib tests benchmarks notebooks tools
	$(BIN)/ruff format --check realnvp_lib tests benchmarks notebooks tools

# One OpenMP thread: the tests' tensors are small, and the browser tests' Lab and Chromium share the two
# cores, where a second torch thread spins waiting for a busy core (benchmarks/digits_threads.txt).
unit: $(VENV)/.test
	OMP_NUM_THREADS=1 $(BIN)/python -m pytest --doctest-modules -m "not learners_run" tests realnvp_lib

NBVAL := $(if $(NOTEBOOKS),$(BIN)/python -m pytest --nbval-lax --nbval-current-env $(NOTEBOOKS),@echo no notebooks)
nbval: $(VENV)/.test
	$(NBVAL)
run-nbval:
	$(NBVAL)

# The learner's run: every notebook in a temporary copy with an empty cache, its skeletons filled with
# their solutions and its exercises' solutions appended, on another CPU's floating-point path
# (tests/test_learners_run.py). The committed notebooks are not rewritten.
LEARNERS_RUN := $(BIN)/python -m pytest -m learners_run tests/test_learners_run.py
learners-run: $(VENV)/.test
	$(LEARNERS_RUN)
run-learners:
	$(LEARNERS_RUN)

figures: $(VENV)/.lab
	MPLBACKEND=Agg $(BIN)/python tools/make_figures.py figures/

# Executed, then streams coalesced: a committed progress bar is its finished line, not 100 redraws.
# Then the metadata JupyterLab writes (tools/notebook_metadata.py), so opening one changes nothing.
notebooks: $(VENV)/.lab
	cd notebooks && for nb in $(notdir $(NOTEBOOKS)); do \
		../$(BIN)/jupyter nbconvert --to notebook --execute --inplace \
			--ExecutePreprocessor.timeout=600 "$$nb" && \
		../$(BIN)/jupyter nbconvert --to notebook --inplace --coalesce-streams "$$nb" || exit 1; done
	$(BIN)/python tools/notebook_metadata.py $(NOTEBOOKS)

# Renders the committed outputs as they are (run `make notebooks` first to refresh them). Needs npm
# once, for the sliders' widget manager (tools/html_manager.py: pinned, hash-checked, cached in .cache/).
site: $(VENV)/.site
	@echo "make site: renders the committed notebooks as they are, with only the page renderer and MathJax (the site extra: no torch, nothing is executed)"
	$(BIN)/python tools/build_site.py site

clean:
	rm -rf $(VENV) notebooks/cache .pytest_cache site
