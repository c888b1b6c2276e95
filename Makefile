# Two entry points: `make run` serves the site, `make test` runs the whole suite.
# Both work on a fresh Debian machine with Python 3.11 and no environment variables
# (SQLite in var/, local-memory cache, in-memory channel layer, eager Celery).
# DATABASE_URL / REDIS_URL / CELERY_BROKER_URL from the environment are passed through.

SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py

.PHONY: run test system-packages system-packages-browser venv messages setup demo

# The public address follows PORT unless SITE_URL is given (links in emails, the api probe).
run: export SITE_URL := $(or $(SITE_URL),http://127.0.0.1:$(or $(PORT),8000))
run: system-packages venv messages
	$(MANAGE) migrate --noinput
	$(MANAGE) collectstatic --noinput -v 0
	$(MANAGE) demo_load
	@echo "Serving on $$SITE_URL/ (Ctrl-C stops)"
	$(VENV)/bin/daphne -b 127.0.0.1 -p $${PORT:-8000} csm.asgi:application

test: system-packages-browser venv messages
	@# whitenoise warns on every request when STATIC_ROOT does not exist yet (no collectstatic)
	@mkdir -p "$${STATIC_ROOT:-$${CSM_VAR_DIR:-var}/static}"
	$(VENV)/bin/pytest -n auto

system-packages:
	@scripts/system-packages.sh

system-packages-browser:
	@scripts/system-packages.sh --browser

venv:
	@scripts/venv.sh

messages:
	$(MANAGE) compilemessages --ignore=.venv --ignore=var -v 0
