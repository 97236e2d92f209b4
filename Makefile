# Common tasks. Each target documents itself in README.md.
PYTHON ?= python3

.PHONY: test test-pure test-odoo demo sandbox bench lint

test:  ## Odoo-free suite always; Odoo suite when an Odoo 18 is importable ($$ODOO_PYTHON)
	$(PYTHON) tools/run_tests.py

test-pure:
	$(PYTHON) tools/run_tests.py --pure

test-odoo:
	$(PYTHON) tools/run_tests.py --odoo

demo:  ## the sandbox + Odoo with the addons and demo data on http://localhost:8069
	$(PYTHON) tools/demo.py

sandbox:  ## the Amazon sandbox (SP-API and MWS) alone on http://127.0.0.1:8765
	$(PYTHON) -m amazon_sandbox --host 127.0.0.1 --port 8765 --data-dir var/sandbox

bench:  ## every benchmark, figures printed
	$(PYTHON) tools/run_bench.py

lint:
	.venv/bin/pre-commit run --all-files
