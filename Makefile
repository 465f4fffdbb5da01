# The two commands of the README's quick start. Each installs what is missing first.
.PHONY: run test bench bench-crm audit

run:
	@bash .ci/setup.sh
	@bash .ci/run-app.sh

test:
	@bash .ci/setup.sh
	@bash .ci/test.sh

# Not a test: release build, then throughput/latency, wasm size and memory figures.
bench:
	@bash .ci/setup.sh
	@bash .ci/bench.sh

# Not a test: 100,000 customers and 1,000,000 interactions on SQLite and PostgreSQL; p50/p95 of
# the customer list (page 1 and a deep page) and the customer page.
bench-crm:
	@bash .ci/setup.sh
	@bash .ci/bench-crm.sh

# Not a test: Lighthouse (mobile, simulated throttling) over every page of the release build,
# signed out and as the demo admin; prints each page's scores.
audit:
	@bash .ci/setup.sh
	@bash .ci/audit.sh
