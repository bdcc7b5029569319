# Two commands for readers (`make lab`, `make test`), `make site` (a static HTML site of the
# executed notebooks, in site/) and two for maintainers (`make figures`, `make notebooks`).
# Each creates .venv on first use.
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

.PHONY: lab test lint unit nbval figures notebooks site clean

# One stamp per set of extras, so each command installs what it needs and no more: a reader gets
# `lab`, `make test` gets `lab,test,site` (tests/test_site.py builds the site), `make site` gets `site`.
$(VENV)/.torch:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(if $(TORCH),$(BIN)/pip install $(if $(TORCH_INDEX),--extra-index-url $(TORCH_INDEX)) "$(TORCH)")
	touch $@

$(VENV)/.lab $(VENV)/.test $(VENV)/.site: $(VENV)/.%: pyproject.toml $(VENV)/.torch
	$(BIN)/pip install -e ".[$(EXTRAS_$*)]"
	touch $@

EXTRAS_lab := lab
EXTRAS_test := lab,test,site
EXTRAS_site := site

# Lab serves the repository root, so the notebooks' links to ../figures/ resolve, and opens the
# first notebook. Root (a container) needs --allow-root; an ordinary user does not get it.
LAB_FLAGS := --ServerApp.root_dir="$(CURDIR)" $(if $(filter 0,$(shell id -u)),--allow-root)
FIRST_NOTEBOOK := $(firstword $(NOTEBOOKS))

# `jupyter trust` signs the committed notebooks for this user, so Lab renders their saved widget state
# at once: the sliders scrub before any cell runs (an untrusted notebook shows their first frame).
lab: $(VENV)/.lab
	$(BIN)/jupyter trust $(NOTEBOOKS)
	$(BIN)/jupyter lab $(LAB_FLAGS) $(FIRST_NOTEBOOK)

test: lint unit nbval

lint: $(VENV)/.test
	$(BIN)/ruff check realnvp_lib tests benchmarks notebooks tools
	$(BIN)/ruff format --check realnvp_lib tests benchmarks notebooks tools

unit: $(VENV)/.test
	$(BIN)/python -m pytest --doctest-modules tests realnvp_lib

nbval: $(VENV)/.test
ifneq ($(NOTEBOOKS),)
	$(BIN)/python -m pytest --nbval-lax --nbval-current-env $(NOTEBOOKS)
endif

figures: $(VENV)/.lab
	MPLBACKEND=Agg $(BIN)/python tools/make_figures.py figures/

# Executed, then streams coalesced: a committed progress bar is its finished line, not 100 redraws.
notebooks: $(VENV)/.lab
	cd notebooks && for nb in $(notdir $(NOTEBOOKS)); do \
		../$(BIN)/jupyter nbconvert --to notebook --execute --inplace \
			--ExecutePreprocessor.timeout=600 "$$nb" && \
		../$(BIN)/jupyter nbconvert --to notebook --inplace --coalesce-streams "$$nb" || exit 1; done

# Renders the committed outputs as they are (run `make notebooks` first to refresh them). Needs npm
# once, for the sliders' widget manager (tools/html_manager.py: pinned, hash-checked, cached in .cache/).
site: $(VENV)/.site
	$(BIN)/python tools/build_site.py site

clean:
	rm -rf $(VENV) notebooks/cache .pytest_cache site
