# The whole developer workflow: `make demo` and `make test` (each sets up what it needs).
PYTHON ?= python3
# .venv's interpreter: the fastest CPython 3.11 here that can make a venv (scripts/pick_python.py,
# decision 120: a PGO+LTO build runs `minutes build` ~20% faster); PYTHON=... on the command
# line or in the environment chooses it instead.
VENV_PYTHON = $(if $(filter command line environment,$(origin PYTHON)),$(PYTHON),$(shell $(PYTHON) scripts/pick_python.py))
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SAM_VENV := .venv-sam
SAM_STAMP := $(SAM_VENV)/.installed
CHECKOV_VENV := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed
PYTEST_ARGS ?=

.PHONY: demo test unit build bench bench-build soak clean system-deps

$(STAMP): requirements/dev.txt requirements/constraints.txt layers/minutes/requirements.txt layers/minutes/pyproject.toml
	$(VENV_PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements/dev.txt -c requirements/constraints.txt
	$(BIN)/pip install -q --disable-pip-version-check --no-deps -e layers/minutes
	$(BIN)/python -m minutes.compiled_templates   # as pip compiles .pyc (decision 83)
	touch $@

# SAM CLI pins an older boto3 than the functions need, so it lives in its own venv.
$(SAM_STAMP): requirements/sam.txt requirements/sam-constraints.txt
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install -q --disable-pip-version-check -r requirements/sam.txt -c requirements/sam-constraints.txt
	touch $@

# checkov (the template's security scan) pins its own boto3 and many more: its own venv too.
$(CHECKOV_STAMP): requirements/checkov.txt requirements/checkov-constraints.txt
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install -q --disable-pip-version-check -r requirements/checkov.txt -c requirements/checkov-constraints.txt
	touch $@

demo: $(STAMP)
	$(BIN)/minutes demo --out demo

# The tests run on every core (pytest-xdist): each is independent (free ports, its own tmp
# folders and emulated account, environment per process). TEST_WORKERS=0: one process.
TEST_WORKERS ?= auto
test: $(STAMP) $(SAM_STAMP) $(CHECKOV_STAMP) system-deps
	SAM_CLI=$(CURDIR)/$(SAM_VENV)/bin/sam CHECKOV=$(CURDIR)/$(CHECKOV_VENV)/bin/checkov $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

unit: $(STAMP)
	$(BIN)/python -m pytest tests/unit $(PYTEST_ARGS)

system-deps:
	bash scripts/system-deps.sh

# The deployable artifacts (.aws-sam/build), as `sam deploy` uploads them; then every handler
# must import from the built layer in a clean interpreter, and the layer's size is printed.
build: $(SAM_STAMP)
	$(SAM_VENV)/bin/sam build
	python3.11 scripts/check_build.py .aws-sam/build

# The long soak (issue 11): SOAK_OPS random steps (default 1000); SOAK_SEED replays a run.
# The functions' logs go to soak.log; the seed, the summary and any failure are printed.
soak: $(STAMP)
	@SOAK_SEED=$${SOAK_SEED:-random} SOAK_OPS=$${SOAK_OPS:-1000} $(BIN)/python -m pytest tests/integration/test_soak.py -rA \
		-p no:logging $(PYTEST_ARGS) > soak.log 2>&1; status=$$?; \
	grep -E "^soak:|^E  |replay:|passed|failed" soak.log; echo "full log: soak.log"; exit $$status

BENCH_STAMP := $(VENV)/.bench-installed
$(BENCH_STAMP): $(STAMP) requirements/bench.txt requirements/constraints.txt
	$(BIN)/pip install -q --disable-pip-version-check -r requirements/bench.txt -c requirements/constraints.txt
	touch $@

# BENCH_SIZES=1000,10000 for the full comparison (10,000 meetings take minutes); BENCH_HUGO=0
# skips the Hugo anchor.
BENCH_SIZES ?= 1000
BENCH_HUGO ?= 1
bench: $(BENCH_STAMP)
	$(BIN)/python -m bench; status=$$?; $(BIN)/python -m bench.publish_at_scale || status=1; \
	$(BIN)/python -m bench.cold_start || status=1; $(BIN)/python -m bench.mail_fanout || status=1; \
	$(BIN)/python -m bench.search_size || status=1; $(BIN)/python -m bench.search_words || status=1; \
	$(BIN)/python -m bench.feed_entries || status=1; \
	$(BIN)/python -m bench.engines || status=1; \
	$(MAKE) bench-build || status=1; exit $$status

bench-build: $(BENCH_STAMP)
	$(BIN)/python -m bench.build_vs_hugo --sizes $(BENCH_SIZES) $(if $(filter 0,$(BENCH_HUGO)),--no-hugo) --results bench/RESULTS.md

clean:
	rm -rf $(VENV) $(SAM_VENV) $(CHECKOV_VENV) demo .pytest_cache .hypothesis soak.log
