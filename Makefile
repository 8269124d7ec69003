.PHONY: run test lint
run:
	scripts/run.sh
test:
	scripts/test.sh
lint:
	.venv/bin/python -m ruff check . && .venv/bin/python -m ruff format --check .
.PHONY: bench
bench:
	$(if $(wildcard .venv/bin/python),.venv/bin/python,python3) -m bench.run_all
