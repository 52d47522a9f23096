# Developer shortcuts; the README's quick start (./run, ./test) needs no make.
.PHONY: run test bench setup
setup:
	scripts/bootstrap
run:
	./run
test:
	./test
bench: setup
	.venv/bin/python bench/sensing.py
