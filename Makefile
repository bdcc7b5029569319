# Two commands for readers (`make lab`, `make test`), `make site` (a static HTML site of the
# executed notebooks, in site/) and two for maintainers (`make figures`, `make notebooks`).
# Each creates .venv on first use.
PYTHON ?= python3
# The CPU wheel this project is developed and tested with; any torch >= 2.4 works elsewhere
# (set TORCH= to keep the torch you already have).
TORCH ?= torch==2.13.0
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9]*.ipynb))

.PHONY: lab test lint unit nbval figures notebooks site clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(if $(TORCH),$(BIN)/pip install "$(TORCH)")
	$(BIN)/pip install -e ".[lab,test,site]"
	touch $(STAMP)

# Lab serves the repository root, so the notebooks' links to ../figures/ resolve, and opens the
# first notebook. Root (a container) needs --allow-root; an ordinary user does not get it.
LAB_FLAGS := --ServerApp.root_dir="$(CURDIR)" $(if $(filter 0,$(shell id -u)),--allow-root)
FIRST_NOTEBOOK := $(firstword $(NOTEBOOKS))

lab: $(STAMP)
	$(BIN)/jupyter lab $(LAB_FLAGS) $(FIRST_NOTEBOOK)

test: lint unit nbval

lint: $(STAMP)
	$(BIN)/ruff check realnvp_lib tests benchmarks notebooks tools

unit: $(STAMP)
	$(BIN)/python -m pytest --doctest-modules tests realnvp_lib

nbval: $(STAMP)
ifneq ($(NOTEBOOKS),)
	$(BIN)/python -m pytest --nbval-lax --nbval-current-env $(NOTEBOOKS)
endif

figures: $(STAMP)
	MPLBACKEND=Agg $(BIN)/python -m realnvp_lib.viz.figures figures/

# Executed, then streams coalesced: a committed progress bar is its finished line, not 100 redraws.
notebooks: $(STAMP)
	cd notebooks && for nb in $(notdir $(NOTEBOOKS)); do \
		../$(BIN)/jupyter nbconvert --to notebook --execute --inplace \
			--ExecutePreprocessor.timeout=600 "$$nb" && \
		../$(BIN)/jupyter nbconvert --to notebook --inplace --coalesce-streams "$$nb" || exit 1; done

# Renders the committed outputs as they are (run `make notebooks` first to refresh them).
site: $(STAMP)
	$(BIN)/python tools/build_site.py site

clean:
	rm -rf $(VENV) notebooks/cache .pytest_cache site
