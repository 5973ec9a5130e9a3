# The README's two commands are `make run` and `make test`; both are idempotent.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
MO := locale/zh_Hans/LC_MESSAGES/django.mo
PO := locale/zh_Hans/LC_MESSAGES/django.po

.PHONY: bench bench-scoring bench-certificates build-province load fault-pg-restart backup restore run test setup system-packages system-packages-test messages migrate demo lint fmt ci clean

run: setup system-packages migrate demo
	@echo "漯河市市长质量奖管理系统: http://127.0.0.1:8000  (Ctrl-C stops it)"
	@$(PY) -m celery -A mayor_award beat --loglevel WARNING --schedule var/celerybeat-schedule & \
	  beat=$$!; trap 'kill $$beat 2>/dev/null' EXIT INT TERM; \
	  $(PY) manage.py runserver 127.0.0.1:8000

test: setup system-packages-test
	$(PY) -m pytest

setup: $(INSTALLED) $(MO)

$(INSTALLED): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (found %s)." % sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

$(MO): $(PO) $(INSTALLED)
	@command -v msgfmt >/dev/null || scripts/system-packages.sh
	$(PY) manage.py compilemessages --locale zh_Hans --verbosity 0
	@touch $@

messages: $(INSTALLED)
	$(PY) manage.py makemessages --locale zh_Hans --no-obsolete --no-location --ignore '.venv/*' --ignore 'var/*'

system-packages:
	@scripts/system-packages.sh

system-packages-test:
	@scripts/system-packages.sh --test

system-packages-bench:
	@scripts/system-packages.sh --bench

migrate: setup
	@mkdir -p var
	$(PY) manage.py migrate --noinput --verbosity 0

demo: migrate
	$(PY) manage.py seed_demo

# Issue 9: a provincial-scale cycle on PostgreSQL (DATABASE_URL), then every key page under gunicorn and wrk.
build-province: setup
	$(PY) manage.py build_province

bench: setup system-packages-bench
	$(PY) scripts/bench.py

# Issue 8: reliability runs on loopback against gunicorn and PostgreSQL (docs/reliability.md has the figures).
load: setup system-packages-bench
	$(PY) scripts/load_scores.py

fault-pg-restart: setup system-packages-bench
	$(PY) scripts/fault_pg_restart.py

# Backup: the database and the private files into one folder under var/backups (or BACKUP_DIR).
backup: setup
	$(PY) manage.py backup_award $(if $(BACKUP_DIR),--into $(BACKUP_DIR),)

# Restore: make restore BACKUP=var/backups/<stamp> (into an empty database and an empty private folder).
restore: setup
	$(PY) manage.py restore_award $(BACKUP)

bench-scoring: setup
	.venv/bin/python scripts/bench_scoring.py

bench-certificates: setup
	.venv/bin/python scripts/bench_certificates.py

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

fmt: setup
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

ci:
	.ci/run

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
