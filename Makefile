# StudyHub — the commands a developer needs. Everything runs inside .venv,
# which the first command creates.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run serve test lint format bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet ".[dev]"
	touch $(STAMP)

## Create the virtualenv, migrate, load the question bank and demo team, serve.
run: $(STAMP)
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(BIN)/python manage.py migrate --noinput
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(BIN)/python manage.py load_question_bank
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(BIN)/python manage.py load_demo_data
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(BIN)/python manage.py runserver $(HOST):$(PORT)

## Production: collect static files, migrate, serve with gunicorn (gunicorn.conf.py).
## Needs DJANGO_SECRET_KEY and DJANGO_ALLOWED_HOSTS; docs/deploy.md lists the rest.
## SERVE_MIGRATE=0 skips migrating (on all but one of several app servers);
## SERVE_COLLECTSTATIC=0 skips collecting static files (already in DJANGO_STATIC_ROOT,
## e.g. collected when an image was built: compressing them takes about 30 s of CPU).
SERVE_MIGRATE ?= 1
SERVE_COLLECTSTATIC ?= 1
serve: $(STAMP)
	if [ "$(SERVE_COLLECTSTATIC)" = 1 ]; then $(BIN)/python manage.py collectstatic --noinput --verbosity 0; fi
	if [ "$(SERVE_MIGRATE)" = 1 ]; then $(BIN)/python manage.py migrate --noinput; fi
	exec $(BIN)/gunicorn --config gunicorn.conf.py --bind $(HOST):$(PORT) studyhub.wsgi

## Run the whole suite, browser tests included, in TEST_WORKERS processes (pytest-xdist),
## each running whole test files: while one waits on Chromium, a server or a database the
## other has the CPU. TEST_WORKERS=0 runs it in this one process.
TEST_WORKERS ?= 2
test: $(STAMP)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

## Benchmark StudyHub as in production (docs/performance.md): gunicorn, wrk, budgets.
## Uses PostgreSQL when DATABASE_URL is set (database <name>_bench), else SQLite.
## Then the scale table (bench/scale.py): each page at 1×, 10× and 100× the data, from
## databases built once under var/ (or scale_1/10/100 on DATABASE_URL's server).
## BENCH_SCALE=0 skips it; BENCH_SCALE_ARGS="--scales 1,100 --no-fail" and the like.
## Then the load test (bench/load.py): locust, headless, signed-in learners and
## instructors with 5-15 s of think time against gunicorn, in steps of concurrent people,
## and the mark under a saturating load. BENCH_LOAD=0 skips it; BENCH_LOAD_ARGS tunes it.
## Every part runs; the target fails if one missed a budget.
BENCH_SCALE ?= 1
BENCH_LOAD ?= 1
bench: $(STAMP)
	command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
	status=0; \
	$(BIN)/python bench/run.py $(BENCH_ARGS) || status=$$?; \
	if [ "$(BENCH_SCALE)" != 0 ]; then \
		$(BIN)/python bench/scale.py $(BENCH_SCALE_ARGS) || status=$$?; \
	fi; \
	if [ "$(BENCH_LOAD)" != 0 ]; then \
		$(BIN)/python bench/load.py $(BENCH_LOAD_ARGS) || status=$$?; \
	fi; \
	exit $$status

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) var/*.sqlite3*
