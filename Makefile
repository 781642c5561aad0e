# Two commands work on a fresh machine: `make run` (set up, start the seeded devnet and the
# reference node) and `make test` (set up, run every test). Everything installs from the package
# registries.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP_PY   := $(VENV)/.installed
STAMP_NODE := node_modules/.installed
# Slither has a virtualenv of its own: slither-analyzer 0.11.6 requires web3<8, and in .venv it
# would downgrade the project's web3. Pinned here; the stamp follows this file.
SLITHER_VENV  := build/slither-venv
SLITHER_PINS  := slither-analyzer==0.11.6 crytic-compile==0.4.2
STAMP_SLITHER := $(SLITHER_VENV)/.installed

.PHONY: setup run test bench bench-verification contracts check-contracts completions check-completions clean fuzz slither invariants

setup: $(STAMP_PY) $(STAMP_NODE) $(STAMP_SLITHER)

$(STAMP_PY): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,node,zkml]'
	touch $@

$(STAMP_NODE): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

$(STAMP_SLITHER): Makefile
	$(PYTHON) -m venv $(SLITHER_VENV)
	$(SLITHER_VENV)/bin/pip install --quiet --upgrade pip
	$(SLITHER_VENV)/bin/pip install --quiet $(SLITHER_PINS)
	touch $@

run: setup
	$(BIN)/ogcli devnet up
	$(BIN)/ogcli devnet status
	@echo "starting the reference node on http://127.0.0.1:8700, serving and verifying (Ctrl-C stops it; 'ogcli devnet down' stops the chain)"
	@echo "try, in another terminal: .venv/bin/ogcli wallet new me; .venv/bin/ogcli wallet use me; .venv/bin/ogcli devnet fund me; .venv/bin/ogcli infer chat 'what is a receipt?'"
	$(BIN)/ogcli node run --dev-keys --role all --port 8700

test: setup
	$(BIN)/pytest

bench: setup
	$(BIN)/python benchmarks/gas.py
	$(BIN)/python benchmarks/batch_gas.py
	$(BIN)/python benchmarks/devnet_up.py
	$(BIN)/python benchmarks/help_time.py
	$(BIN)/python benchmarks/validators_table.py
	$(BIN)/python benchmarks/storage_rss.py
	$(BIN)/python benchmarks/inference_path.py
	$(BIN)/python benchmarks/exact_gas.py
	$(BIN)/python benchmarks/channel_path.py
	$(BIN)/python benchmarks/verifier_throughput.py
	$(BIN)/python benchmarks/batch_verifier_throughput.py
	$(BIN)/python benchmarks/indexer_ingest.py
	$(BIN)/python benchmarks/dashboard.py
	$(BIN)/python benchmarks/zkml.py

# Issue 8's figures in one command: records judged per second, and zkML prove/verify against the plain call.
bench-verification: setup
	$(BIN)/python benchmarks/verifier_throughput.py
	$(BIN)/python benchmarks/batch_verifier_throughput.py
	$(BIN)/python benchmarks/zkml.py

# Invariant tests (invariants/, forge with the solcjs shim; see invariants/README.md). `make test`
# runs them with foundry.toml's default profile (40 runs x 250 calls per invariant, fixed seed);
# `make invariants` does the same alone; `make fuzz` runs the long profile with a fresh seed
# (FUZZ_SEED=... replays one).
invariants: $(STAMP_NODE)
	PATH="$(CURDIR)/node_modules/.bin:$$PATH" FOUNDRY_PROFILE=default forge test --match-path 'invariants/test/*'

fuzz: $(STAMP_NODE)
	@seed=$${FUZZ_SEED:-$$(od -An -N8 -tu8 /dev/urandom | tr -d ' ')}; \
	echo "make fuzz: seed $$seed (FUZZ_SEED=$$seed make fuzz runs the same calls again)"; \
	PATH="$(CURDIR)/node_modules/.bin:$$PATH" FOUNDRY_PROFILE=fuzz forge test --match-path 'invariants/test/*' --fuzz-seed $$seed

# The static-analysis gate: every high/medium slither finding on contracts/ is in .slither-triage.json.
slither: $(STAMP_PY) $(STAMP_NODE) $(STAMP_SLITHER)
	PATH="$(CURDIR)/node_modules/.bin:$$PATH" $(BIN)/python tests/static/slither_gate.py

contracts: $(STAMP_NODE)
	node scripts/build_contracts.mjs

check-contracts: $(STAMP_NODE)
	node scripts/build_contracts.mjs --check

completions: $(STAMP_PY)
	$(BIN)/python scripts/gen_completions.py

check-completions: $(STAMP_PY)
	$(BIN)/python scripts/gen_completions.py --check

clean:
	rm -rf $(VENV) node_modules .pytest_cache .hypothesis build/forge $(SLITHER_VENV)
