# The two commands of the README, and the rest.
.PHONY: run test bench e2e web fmt
run:      ## the platform on the embedded default, demo login printed
	@scripts/run.sh
test:     ## every test: Rust on SQLite and PostgreSQL, web, browser
	@scripts/test.sh
bench:    ## load tests; writes bench/RESULTS.md
	@scripts/bench.sh
e2e:      ## only the browser tests (after a build)
	@scripts/e2e.sh sqlite && scripts/e2e.sh postgres
web:      ## build the web UI into web/dist
	@bash -c 'source scripts/lib.sh && web_build'
fmt:
	@cargo fmt --all
