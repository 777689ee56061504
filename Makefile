# Partnerdesk: the two commands, and a few helpers.
.PHONY: demo test run worker lint messages

demo: ## set up, migrate, load demo data (first time only), run web + worker on 127.0.0.1:8000
	@scripts/bootstrap.sh runtime
	@.venv/bin/python manage.py migrate --noinput
	@.venv/bin/python manage.py demo_data
	@echo "Partnerdesk is running at http://127.0.0.1:8000/  (Ctrl+C stops it)"
	@echo "Emails go to var/mail/ unless EMAIL_URL says otherwise (console:, smtp://...)."
	@EMAIL_URL="$${EMAIL_URL:-file:}" .venv/bin/python manage.py serve 127.0.0.1:8000

test: ## set up and run the whole test suite (DATABASE_URL picks the database)
	@scripts/test.sh

run: ## web + worker without loading demo data
	@scripts/bootstrap.sh runtime
	@.venv/bin/python manage.py migrate --noinput
	@.venv/bin/python manage.py serve

lint:
	@scripts/bootstrap.sh dev
	@.venv/bin/python -m ruff check .
	@.venv/bin/python -m ruff format --check . || true

messages: ## compile translations after editing the .po files
	@scripts/bootstrap.sh dev
	@.venv/bin/python manage.py compilemessages --ignore=".venv/*"
