# The two commands of the README's quick start. Each installs what is missing first.
.PHONY: run test bench

run:
	@bash .ci/setup.sh
	@bash .ci/run-app.sh

test:
	@bash .ci/setup.sh
	@bash .ci/test.sh
