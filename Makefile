# The two commands of the README's quick start. Each installs what is missing first.
.PHONY: run test bench

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
