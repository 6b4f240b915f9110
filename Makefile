# netboot — the two front-door commands (README): `make run` and `make test`.
SWIFT ?= swift
PYTHON ?= /usr/bin/python3
CONFIG ?= etc/netboot.yaml

.PHONY: run build test lint unit integration demo demo-deploy clean

run: ## install what is missing, build, and serve on the embedded defaults
	scripts/install-deps run
	$(SWIFT) build
	$$($(SWIFT) build --show-bin-path)/netboot serve

build:
	$(SWIFT) build

test: ## install what is missing, build, lint, run unit and integration tests
	scripts/install-deps test
	$(SWIFT) build
	$(MAKE) lint unit integration

lint: ## swift format lint with the committed .swift-format (scripts/format-lint says what is enforced)
	SWIFT=$(SWIFT) scripts/format-lint

unit:
	$(SWIFT) test

integration:
	NETBOOT_BIN=$$($(SWIFT) build --show-bin-path)/netboot $(PYTHON) -m pytest -q Tests/Integration

demo: ## a newcomer's tour: a VM boots over PXE from the appliance (needs root)
	scripts/install-deps test
	$(SWIFT) build
	NETBOOT_BIN=$$($(SWIFT) build --show-bin-path)/netboot $(PYTHON) scripts/lab/lab.py demo

demo-deploy: ## zero-touch deployment: a VM images its disk from the appliance, reboots into it, resumes (needs root)
	scripts/install-deps test
	$(SWIFT) build
	NETBOOT_BIN=$$($(SWIFT) build --show-bin-path)/netboot $(PYTHON) scripts/lab/lab.py deploy

clean:
	rm -rf .build
