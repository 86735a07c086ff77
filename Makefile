# The two set-up commands of the README: `make run` and `make test`.
# Everything else here is what those two need; each step is skipped when already done.

# Debian's CPython 3.11 when the machine has it: Debian builds it with profile-guided and link-time
# optimisation, the pyenv build that comes first on PATH here without; the application then needs
# 15-20 % less CPU per request (bench/RESULTS.md, round d).
PYTHON ?= $(shell test -x /usr/bin/python3.11 && echo /usr/bin/python3.11 || echo python3.11)
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
HOST ?= 127.0.0.1
# The test suite runs on PostgreSQL (every machine of the project runs it at 127.0.0.1:5432);
# DATABASE_URL overrides it. `make test` also runs the suite once on SQLite, the default of `make run`.
TEST_DATABASE_URL ?= $(or $(DATABASE_URL),postgres://postgres@127.0.0.1:5432/crm)

NPM ?= npm
# Debian's Chromium drives the browser tests (Playwright's own browser download needs the internet).
CHROMIUM ?= /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test lint venv clean messages chromium assets screenshots bench lock

$(PY):
	@$(PYTHON) -m ensurepip --version >/dev/null 2>&1 || \
	  ($(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq python3.11-venv)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# The requirements name the packages; constraints.txt pins the versions every machine installs.
$(VENV)/.installed: requirements.txt constraints.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements.txt -c constraints.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt constraints.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements-dev.txt -c constraints.txt
	touch $@ $(VENV)/.installed

# Re-pin after changing a requirements file: resolve them afresh in a scratch virtualenv.
LOCK_VENV := /tmp/crm-lock-venv
lock:
	rm -rf $(LOCK_VENV)
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(LOCK_VENV)/bin/python -m pip install --quiet -r requirements-dev.txt
	{ echo "# Every package version the test suite ran with: make installs with -c constraints.txt, so each"; \
	  echo "# machine gets exactly these. Regenerate with \`make lock\` after changing requirements*.txt."; \
	  $(LOCK_VENV)/bin/python -m pip freeze; } > constraints.txt
	rm -rf $(LOCK_VENV)

venv: $(VENV)/.installed

# htmx and Chart.js (and axe-core for the accessibility scan), served as static files.
node_modules/.installed: package.json package-lock.json
	$(NPM) ci --no-audit --no-fund
	touch $@

assets: node_modules/.installed

# Test-only system packages: Chromium for the browser tests, GNU gettext to check the catalogues.
chromium:
	@test -x $(CHROMIUM) && command -v msgfmt >/dev/null || \
	  ($(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium gettext)

run: $(VENV)/.installed node_modules/.installed
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	@echo ""
	@echo "Serving on http://$(HOST):$(PORT)/  (admin: http://$(HOST):$(PORT)/admin/) — stop with Ctrl+C"
	$(PY) manage.py runserver $(HOST):$(PORT)

lint: $(VENV)/.installed-dev
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	DATABASE_URL=sqlite:///:memory: $(PY) manage.py makemigrations --check --dry-run
	DATABASE_URL=sqlite:///:memory: $(PY) manage.py check

# The suite on PostgreSQL, then the portable path again on SQLite (the PostgreSQL-only tests
# ran in the first pass, and so did the suites marked "once", whose subject does not depend on the
# database engine: the browser, the schema fuzzing, the property tests and the permission matrix).
# Both passes run on every core (pytest-xdist; each worker has its own test database). The
# PostgreSQL pass prepares the per-request statements as production does with persistent
# connections (DB_PREPARED_STATEMENTS, common/prepared.py).
test: lint node_modules/.installed chromium
	DATABASE_URL=$(TEST_DATABASE_URL) DB_PREPARED_STATEMENTS=true $(PY) -m pytest -n auto
	DATABASE_URL=sqlite:///$(CURDIR)/.test-sqlite.sqlite3 $(PY) -m pytest -n auto -q -m "not postgresql and not once"

# Screenshots of the main pages from the demo data (docs/screenshots/), on a scratch database.
SHOT_DB := /tmp/crm-screenshots.sqlite3
screenshots: $(VENV)/.installed-dev node_modules/.installed chromium
	rm -f $(SHOT_DB)
	DATABASE_URL=sqlite:///$(SHOT_DB) $(PY) manage.py migrate --noinput -v0
	DATABASE_URL=sqlite:///$(SHOT_DB) $(PY) manage.py seed_demo > /dev/null
	DATABASE_URL=sqlite:///$(SHOT_DB) $(PY) manage.py runserver 127.0.0.1:8799 --noreload > /dev/null 2>&1 & \
	  server=$$!; sleep 3; $(PY) scripts/screenshots.py --url http://127.0.0.1:8799; status=$$?; kill $$server; exit $$status

# The performance benchmark (bench/run.py, bench/RESULTS.md) on its own PostgreSQL database crm_bench,
# created and filled with 100,000 opportunities on the first run, and crm_bench_small (1,000 opportunities)
# whose query counts must be the same; options in BENCH_ARGS, e.g. BENCH_ARGS="--no-load".
bench: $(VENV)/.installed
	$(PY) bench/run.py $(BENCH_ARGS)

messages: $(VENV)/.installed-dev
	$(PY) manage.py makemessages --all --no-obsolete --ignore=.venv --ignore=node_modules --ignore=tests
	$(PY) manage.py compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) node_modules staticfiles .pytest_cache .ruff_cache db.sqlite3 .test-sqlite.sqlite3
