# kongres — `make demo` runs the demo, `make test` runs every check. See README.md.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: demo test lint fmt lock bench faults scan messages clean vendor

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else "kongres needs Python 3.12 or newer (set PYTHON=...)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The site's packages and the tools to test, lint and measure it, every file checked by its hash.
$(VENV)/.installed: $(BIN)/python requirements.lock requirements-dev.lock pyproject.toml
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock -r requirements-dev.lock
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	@touch $@

node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null; then npm ci --no-audit --no-fund --silent && touch $@; \
	 else echo "npm not found: browser accessibility tests will say so"; fi

# The demo's address in mails, feeds and pages follows PORT (unless KONGRES_SITE_URL is set).
demo: export KONGRES_SITE_URL ?= http://127.0.0.1:$(PORT)
# ... and the demo serves its uploaded images itself (production leaves /media/ to nginx).
demo: export KONGRES_SERVE_MEDIA ?= true
demo: $(VENV)/.installed
	@$(BIN)/kongres migrate --verbosity 0
	@$(BIN)/kongres demo
	@$(BIN)/kongres createorganiser --demo
	@# the worker sends the mail (to var/mail/ unless mail_url says otherwise); stopped with the server
	@$(BIN)/kongres worker & worker=$$!; \
	 trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT; \
	 $(BIN)/kongres serve --port $(PORT)

# bandit ([tool.bandit] in pyproject.toml) fails on a finding of medium or high severity. Its
# warnings "nosec encountered (...), but no failed test" are dropped: bandit 1.9 prints them for
# the other strings of a line or statement that carries a `# nosec` (PyCQA/bandit#1041, #1352).
BANDIT = $(BIN)/bandit -c pyproject.toml -r src -q --severity-level medium \
	2> >(grep -v 'nosec encountered' >&2)

# Tests that run the same whatever the test database is, so the PostgreSQL pass of `make test`
# leaves them out: the benches' tests (their own PostgreSQL database,
# KONGRES_BENCH_TEST_DATABASE_URL), deploy/'s tests and `kongres serve`'s (processes of their
# own, on SQLite in a folder of their own). Elsewhere that pass runs only the tests given the
# test database (--database-tests-only, tests/conftest.py): pytest-django refuses any query to
# the others, so they too run the same on either database.
NOT_THE_TEST_DATABASE := tests/bench tests/deploy tests/core/test_serve.py

test: $(VENV)/.installed node_modules/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(BANDIT)
	@# the locks against the advisory database; only warns when it cannot be reached
	$(BIN)/python .ci/audit_dependencies.py
	$(BIN)/kongres makemigrations --check --dry-run --verbosity 0
	$(BIN)/pytest $(PYTEST_ARGS)
	@if [ -n "$$KONGRES_TEST_DATABASE_URL" ]; then \
	  echo "== again on PostgreSQL, the tests given the test database (not $(NOT_THE_TEST_DATABASE))"; \
	  KONGRES_DATABASE_URL="$$KONGRES_TEST_DATABASE_URL" $(BIN)/pytest $(PYTEST_ARGS) \
	    --database-tests-only $(addprefix --ignore=,$(NOT_THE_TEST_DATABASE)); \
	fi

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(BANDIT)

fmt: $(VENV)/.installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Regenerate the lock files from pyproject.toml with uv (needs the network to PyPI; uv runs from
# a throw-away venv and is no dependency of kongres). requirements.lock: what the site installs
# (the dependencies, the redis extra, setuptools to install kongres itself); requirements-dev.lock:
# the dev and bench extras, without what requirements.lock has. Both carry every file's hash and
# hold for Python 3.12+ on any platform. The versions locked stay unless pyproject.toml rules them
# out; `make lock UPGRADE=--upgrade` takes the newest.
LOCK_VENV := /tmp/kongres-lock
UV_COMPILE = $(LOCK_VENV)/bin/uv pip compile --quiet --universal --python-version 3.12 \
	--generate-hashes $(UPGRADE) --custom-compile-command "make lock"
lock:
	rm -rf $(LOCK_VENV) && $(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/pip install --quiet uv==0.13.8
	sed -n 's/^requires = \["\(setuptools[^"]*\)"\]$$/\1/p' pyproject.toml > $(LOCK_VENV)/build.in
	$(UV_COMPILE) --extra redis -o requirements.lock pyproject.toml $(LOCK_VENV)/build.in
	$(UV_COMPILE) --extra redis --extra dev --extra bench -c requirements.lock \
	  $$(sed -n 's/^\([A-Za-z0-9._-]*\)==.*/--no-emit-package \1/p' requirements.lock) \
	  -o requirements-dev.lock pyproject.toml

# Copy the front-end code we serve from the npm packages (package.json) into the static files,
# after changing a version there: the ALTCHA widget (registration/static/registration/vendor/altcha).
vendor: node_modules/.installed
	cp node_modules/altcha/dist/external/altcha.min.js node_modules/altcha/dist/external/altcha.css \
	   node_modules/altcha/dist/workers/pbkdf2.js node_modules/altcha/dist/i18n/pl.js \
	   node_modules/altcha/LICENSE.txt src/kongres/registration/static/registration/vendor/altcha/
	@echo "vendor: now update the version in src/kongres/registration/static/registration/vendor/altcha/README.txt"

# Each app keeps its own translations in <app>/locale (needs GNU gettext).
messages: $(VENV)/.installed
	for app in src/kongres/*/locale; do \
	  (cd $$app/.. && $(CURDIR)/$(BIN)/kongres makemessages -l pl --no-obsolete --add-location file \
	   && $(CURDIR)/$(BIN)/kongres compilemessages -l pl); done

clean:
	rm -rf $(VENV) node_modules var/screenshots .pytest_cache

# Benchmarks (issue 6, bench/README.md): a production-like server on its own PostgreSQL database
# (KONGRES_BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/kongres_bench), loaded
# by wrk and pgbench; writes bench/RESULTS.md. `make bench BENCH_ARGS=--quick`: a smoke test.
bench: $(VENV)/.installed
	@command -v wrk >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "bench: installing wrk (apt-get install -y wrk)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; \
	  else \
	    echo "bench: wrk is missing; install it (Debian/Ubuntu: sudo apt-get install wrk)"; exit 1; \
	  fi; }
	@command -v pgbench >/dev/null || echo "bench: pgbench is missing (Debian/Ubuntu: apt-get install postgresql-client); the database ceiling is left out"
	@$(MAKE) --no-print-directory nginx-installed
	$(BIN)/python -m bench $(BENCH_ARGS)
	@# the draw (issue 19) and the certificates (issue 20), each printing its target line; a
	@# missed one does not stop the rest
	-$(BIN)/python -m bench.draw $(if $(filter --quick,$(BENCH_ARGS)),--applications 500 --places 60)
	-$(BIN)/python -m bench.certificates $(if $(filter --quick,$(BENCH_ARGS)),--count 100)
	$(BIN)/python -m bench.production $(filter --quick,$(BENCH_ARGS)) --results bench/RESULTS.md

# The production topology under faults (bench/faults.py): an app server and a worker killed,
# the mail server down, PostgreSQL and Redis cut; one `target` line each with what was lost.
# `make faults FAULTS_ARGS=--quick`: the short version CI runs (tests/bench/test_faults.py).
faults: $(VENV)/.installed
	@$(MAKE) --no-print-directory nginx-installed
	$(BIN)/python -m bench.faults $(FAULTS_ARGS)

# nginx (Debian's package) for the production topology (bench/topology.py), installed when run as root.
.PHONY: nginx-installed
nginx-installed:
	@PATH="$$PATH:/usr/sbin:/sbin" command -v nginx >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing nginx (apt-get install -y nginx)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null; \
	  else \
	    echo "nginx is missing; install it (Debian/Ubuntu: sudo apt-get install nginx)"; exit 1; \
	  fi; }

# Security scan (issue 17, bench/scan.py): the demo behind the real nginx site of deploy/, over
# https on 127.0.0.1, scanned by wapiti (about 9 minutes) and nikto (3); a finding of medium or
# higher fails it unless deploy/scan-allowlist.toml gives the reason it does not apply. As root
# on Debian it installs wapiti and nikto with apt where the sources have them (nikto is in
# Debian's non-free section: read through a temporary apt list, the system's sources stay as
# they are); wapiti otherwise from PyPI into a throw-away venv in /tmp.
# `make scan SCAN_ARGS="--max-scan-time 60 --keep /tmp/scan"`: shorter, and keep the reports.
WAPITI_VENV := /tmp/kongres-wapiti
NIKTO_APT := /tmp/kongres-nikto-apt
scan: $(VENV)/.installed
	@missing=; for tool in wapiti nikto; do command -v $$tool >/dev/null || missing="$$missing $$tool"; done; \
	 if [ -n "$$missing" ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  apt-get update -qq; \
	  for tool in $$missing; do \
	    if apt-cache policy $$tool 2>/dev/null | grep -q 'Candidate: [0-9]'; then \
	      echo "scan: installing $$tool (apt-get install -y $$tool)"; \
	      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$tool >/dev/null; \
	    elif [ "$$tool" = nikto ] && [ -r /etc/os-release ] && . /etc/os-release && [ "$$ID" = debian ]; then \
	      echo "scan: installing nikto from Debian's non-free section ($$VERSION_CODENAME; a temporary apt list)"; \
	      apt_nf="$(NIKTO_APT)/sources.list"; mkdir -p $(NIKTO_APT)/lists/partial; \
	      echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $$VERSION_CODENAME main non-free" > $$apt_nf; \
	      apt_opts="-o Dir::Etc::SourceList=$$apt_nf -o Dir::Etc::SourceParts=/dev/null -o Dir::State::Lists=$(NIKTO_APT)/lists"; \
	      apt-get $$apt_opts update -qq && DEBIAN_FRONTEND=noninteractive apt-get $$apt_opts install -y -qq nikto >/dev/null; \
	    else \
	      echo "scan: $$tool is not in the configured apt sources (Debian has nikto in non-free)"; \
	    fi; \
	  done; \
	 fi
	@if ! command -v wapiti >/dev/null && [ ! -x $(WAPITI_VENV)/bin/wapiti ]; then \
	  echo "scan: installing wapiti3 from PyPI into $(WAPITI_VENV)"; \
	  $(PYTHON) -m venv $(WAPITI_VENV) && $(WAPITI_VENV)/bin/pip install --quiet wapiti3; \
	fi
	$(BIN)/python -m bench.scan $(SCAN_ARGS)
