# One command per routine job. `make run` and `make test` are all a newcomer needs.
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

.PHONY: setup run test check bench messages smoke clean

$(STAMP): pyproject.toml requirements.lock
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -c requirements.lock -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

## run: the product with demo data (embedded PostgreSQL/Redis unless DATABASE_URL/REDIS_URL are set)
run: setup
	$(PY) -m devstack run

## test: the whole suite against real PostgreSQL and Redis
test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

## check: lint, format and migrations in sync
check: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) -m pytest -q -p no:randomly tests/test_migrations_in_sync.py

## bench: every benchmark under bench/, one table, bench/results.json
bench: setup
	$(PY) -m bench

## messages: refresh and compile the translation catalogues
messages: setup
	cd . && $(PY) manage.py makemessages -l zh_Hans -l en --ignore='.venv/*' --ignore='bench/*' --ignore='tests/*'
	$(PY) manage.py compilemessages --ignore='.venv/*'

## smoke: `make run` on this checkout reaches /healthz, then stops cleanly
smoke: setup
	bash infra/smoke-run.sh

clean:
	rm -rf .data staticfiles
