# Partnerdesk: the two commands, and a few helpers.
.PHONY: demo test run worker lint messages

# The port of `make demo` and `make run`: `make demo PORT=8001` (or PORT=8001 make demo).
PORT ?= 8000
# The demo: the product's own error pages (never Django's debug pages), links in emails to the
# port it runs on (unless SITE_URL says otherwise), emails written to var/mail/.
DEMO_ENV = DEBUG=0 SITE_URL="$${SITE_URL:-http://127.0.0.1:$(PORT)}" EMAIL_URL="$${EMAIL_URL:-file:}"

demo: ## set up, migrate, load demo data (first time only), run web + worker on 127.0.0.1:$(PORT)
	@scripts/bootstrap.sh runtime
	@$(DEMO_ENV) .venv/bin/python manage.py migrate --noinput
	@$(DEMO_ENV) .venv/bin/python manage.py demo_data
	@echo "Partnerdesk is running at http://127.0.0.1:$(PORT)/  (Ctrl+C stops it)"
	@echo "Emails go to var/mail/ unless EMAIL_URL says otherwise (console:, smtp://...)."
	@$(DEMO_ENV) .venv/bin/python manage.py serve 127.0.0.1:$(PORT)

test: ## set up and run the whole test suite (DATABASE_URL picks the database)
	@scripts/test.sh

run: ## web + worker without loading demo data
	@scripts/bootstrap.sh runtime
	@.venv/bin/python manage.py migrate --noinput
	@.venv/bin/python manage.py serve 127.0.0.1:$(PORT)

lint:
	@scripts/bootstrap.sh dev
	@.venv/bin/python -m ruff check .
	@.venv/bin/python -m ruff format --check . || true

messages: ## compile translations after editing the .po files
	@scripts/bootstrap.sh dev
	@.venv/bin/python manage.py compilemessages --ignore=".venv/*"
