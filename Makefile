# imagecat.glance: set-up, demo and tests. `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CLOUD := $(PYTHON) tools/local_cloud/cloud.py
CLOUD_DIR ?= $(CURDIR)/.local_cloud
CLOUDS_YAML := $(CLOUD_DIR)/clouds.yaml
# ansible-playbook finds the collection through a symlink tree under .cache/.
COLLECTIONS := $(CURDIR)/.cache/collections
ANSIBLE_ENV := ANSIBLE_COLLECTIONS_PATH=$(COLLECTIONS) OS_CLIENT_CONFIG_FILE=$(CLOUDS_YAML) \
	ANSIBLE_STDOUT_CALLBACK=default PATH=$(CURDIR)/$(BIN):$$PATH

.PHONY: help venv demo test sanity units integration molecule cloud-up cloud-down cloud-env cloud-status \
	changelog-lint build build-check galaxy-importer lint docs docs-lint docs-check docs-screenshot chromium ee bench bench-image bench-import bench-inventory bench-catalogue clean collection-link

help:
	@echo "make demo        set up .venv and the local cloud, run playbooks/demo.yml"
	@echo "make test        sanity, unit, integration, molecule tests (starts the local cloud), build and lint checks"
	@echo "make sanity | units | integration | molecule   one part of make test"
	@echo "make cloud-up | cloud-down | cloud-status | cloud-env"
	@echo "make build       the collection tarball in .cache/build/ (build-check, galaxy-importer check it)"
	@echo "make lint | docs | docs-lint | docs-check | docs-screenshot | ee   ansible-lint, docs site, execution environment"
	@echo "make bench | bench-image | bench-import | bench-inventory | bench-catalogue   benchmarks/ against the local cloud"
	@echo "make bench-download [BENCH_ARGS='--size-mib 256 --runs 1']   benchmarks/image_download.py"
	@echo "make bench-transfer [BENCH_ARGS='--size-mib 256 --runs 1']   benchmarks/transfer.py (url, xz, controller transfer)"

# ---- environment ---------------------------------------------------------------------
$(BIN)/.installed: requirements.txt requirements-dev.txt constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -r requirements-dev.txt
	touch $@

venv: $(BIN)/.installed

collection-link:
	@mkdir -p $(COLLECTIONS)/ansible_collections/imagecat
	@ln -sfn $(CURDIR) $(COLLECTIONS)/ansible_collections/imagecat/glance

# ---- local cloud ------------------------------------------------------------------------
cloud-up:
	$(CLOUD) up

cloud-down:
	$(CLOUD) down

cloud-status:
	$(CLOUD) status

cloud-env:
	@$(CLOUD) env

# ---- demo -----------------------------------------------------------------------------
demo: venv collection-link cloud-up
	$(ANSIBLE_ENV) $(BIN)/ansible-playbook -i playbooks/inventory.yml playbooks/demo.yml
	$(ANSIBLE_ENV) $(BIN)/ansible-playbook -i playbooks/inventory.yml playbooks/demo_catalogue.yml
	$(ANSIBLE_ENV) $(BIN)/ansible-playbook -i playbooks/inventory.yml playbooks/demo_upstream.yml
	$(ANSIBLE_ENV) $(BIN)/ansible-playbook -i playbooks/targets/two_regions.yml playbooks/demo_targets.yml
	$(ANSIBLE_ENV) ANSIBLE_INVENTORY_ENABLED=imagecat.glance.images \
		$(BIN)/ansible-inventory -i playbooks/demo_inventory/demo.glance_images.yml --graph

# ---- tests ----------------------------------------------------------------------------
test: sanity units integration molecule build-check galaxy-importer lint docs-lint docs-check ee

sanity: venv changelog-lint
	PATH=$(CURDIR)/$(BIN):$$PATH tools/ansible_test.sh sanity --venv --python 3.11

units: venv
	$(BIN)/python -m pytest -q tests/unit

changelog-lint: venv
	$(BIN)/antsibull-changelog lint

# Starts the local cloud when it is not running, and stops it again afterwards in that case.
# Fails when fewer targets ran than the tree holds (or than INTEGRATION_ARGS names): ansible-test
# itself exits 0 when it skips them (tools/integration_ran.py reads its results).
integration: venv
	@if $(CLOUD) status >/dev/null 2>&1; then started=0; else started=1; fi; \
	since=$$(date +%s); \
	$(CLOUD) up && \
	$(BIN)/python tools/integration_config.py $(CLOUD_DIR)/cloud.json tests/integration/integration_config.yml && \
	tools/ansible_test.sh integration --python 3.11 $(INTEGRATION_ARGS) && \
	$(PYTHON) tools/integration_ran.py --tree tests/integration/targets --since $$since \
		--results .cache/ansible_collections/imagecat/glance/tests/output -- $(INTEGRATION_ARGS); rc=$$?; \
	if [ $$started = 1 ]; then $(CLOUD) down; fi; exit $$rc

# The catalogue role's scenario (extensions/molecule/catalogue). Its create step starts the local
# cloud when it is not running, and its destroy step stops it again in that case.
molecule: venv collection-link
	$(ANSIBLE_ENV) $(BIN)/molecule test -s catalogue
	$(ANSIBLE_ENV) $(BIN)/molecule test -s catalogue_targets

bench: venv collection-link cloud-up
	$(ANSIBLE_ENV) $(BIN)/python benchmarks/image_info_list.py

bench-image: venv collection-link cloud-up
	$(ANSIBLE_ENV) $(BIN)/python benchmarks/image_module.py

bench-import: venv collection-link cloud-up
	$(ANSIBLE_ENV) $(BIN)/python benchmarks/image_import.py

bench-inventory: venv collection-link cloud-up
	$(ANSIBLE_ENV) $(BIN)/python benchmarks/inventory_list.py

bench-catalogue: venv collection-link cloud-up
	$(ANSIBLE_ENV) $(BIN)/python benchmarks/catalogue.py
	$(ANSIBLE_ENV) $(BIN)/python benchmarks/catalogue_scale.py $(BENCH_SCALE_ARGS)

.PHONY: bench-download
bench-download: venv collection-link cloud-up
	$(ANSIBLE_ENV) $(BIN)/python benchmarks/image_download.py $(BENCH_ARGS)

.PHONY: bench-transfer
bench-transfer: venv collection-link cloud-up
	$(ANSIBLE_ENV) $(BIN)/python benchmarks/transfer.py $(BENCH_ARGS)

clean:
	rm -rf .cache tests/output

# ---- packaging --------------------------------------------------------------------------
BUILD_DIR := $(CURDIR)/.cache/build
TARBALL := $(BUILD_DIR)/imagecat-glance-$(shell sed -n 's/^version: *//p' galaxy.yml).tar.gz

build: venv
	rm -rf $(BUILD_DIR) && $(BIN)/ansible-galaxy collection build --force --output-path $(BUILD_DIR) .
	@tar tzf $(TARBALL) | grep -vc '/$$' | xargs printf '%s files in the tarball\n'

# Only shipped paths, equal file for file to a build from a fresh clone, no dangling references.
build-check: build
	$(BIN)/python tools/check_build.py $(TARBALL) --ansible-galaxy $(BIN)/ansible-galaxy

# The checks Galaxy runs on upload (offline; ansible-lint's part runs too).
# It exits 0 on some findings, so any WARNING or ERROR line in its log fails the target.
# Its own ansible-lint pass is off: make lint runs ansible-lint on all of it (production profile).
galaxy-importer: build
	cd $(BUILD_DIR) && PATH=$(CURDIR)/$(BIN):$$PATH GALAXY_IMPORTER_RUN_ANSIBLE_LINT=false \
		$(CURDIR)/$(BIN)/python -m galaxy_importer.main $(TARBALL) \
		> $(BUILD_DIR)/galaxy-importer.log 2>&1; rc=$$?; tail -3 $(BUILD_DIR)/galaxy-importer.log; \
	if [ $$rc != 0 ] || grep -E '^(WARNING|ERROR)' $(BUILD_DIR)/galaxy-importer.log; then exit 1; fi

# ansible-lint, production profile: the collection (.ansible-lint), then the integration
# targets with their own config (tests/integration/.ansible-lint).
lint: venv collection-link
	PATH=$(CURDIR)/$(BIN):$$PATH ANSIBLE_COLLECTIONS_PATH=$(COLLECTIONS) $(BIN)/ansible-lint
	PATH=$(CURDIR)/$(BIN):$$PATH ANSIBLE_COLLECTIONS_PATH=$(COLLECTIONS) $(BIN)/ansible-lint \
		-c tests/integration/.ansible-lint tests/integration
	$(BIN)/python tools/check_yaml_warnings.py playbooks roles tests/integration extensions

# ---- docs site --------------------------------------------------------------------------
# HTML docs with antsibull-docs + Sphinx, offline, warnings are errors: .cache/docs/build/html/.
DOCS_DIR := $(CURDIR)/.cache/docs
DOCS_ENV := PATH=$(CURDIR)/$(BIN):$$PATH ANSIBLE_COLLECTIONS_PATH=$(COLLECTIONS)

docs: venv collection-link
	rm -rf $(DOCS_DIR) && mkdir -p -m 700 $(DOCS_DIR)/rst
	$(DOCS_ENV) $(BIN)/antsibull-docs --config-file docs/sphinx/antsibull-docs.cfg collection \
		--use-current --dest-dir $(DOCS_DIR)/rst imagecat.glance
	cp docs/sphinx/index.rst docs/sphinx/ansible_refs.rst $(DOCS_DIR)/rst/
	$(DOCS_ENV) $(BIN)/sphinx-build -M html $(DOCS_DIR)/rst $(DOCS_DIR)/build -c docs/sphinx -W --keep-going -q
	@echo "docs: $(DOCS_DIR)/build/html/index.html"

docs-lint: venv collection-link
	$(DOCS_ENV) $(BIN)/antsibull-docs lint-collection-docs --plugin-docs .

# The built site in headless Chromium (Debian's chromium; installed here when missing, CI runs
# as root): every plugin's and role's page with its options table, every guide.
CHROMIUM ?= chromium
chromium:
	@command -v $(CHROMIUM) >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium \
		|| { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium; }

docs-check: docs chromium
	$(DOCS_ENV) $(BIN)/python tools/check_docs_site.py $(DOCS_DIR)/build/html --chromium $(CHROMIUM) \
		--screenshot $(DOCS_DIR)/screenshot.png

# Refreshes the README's picture of the site (docs/docs-site.png, committed).
docs-screenshot: docs chromium
	$(DOCS_ENV) $(BIN)/python tools/check_docs_site.py $(DOCS_DIR)/build/html --chromium $(CHROMIUM) \
		--screenshot docs/docs-site.png

# ---- execution environment -----------------------------------------------------------------
# ansible-builder create (no container engine needed) and its introspection of the built tarball.
ee: build
	rm -rf $(CURDIR)/.cache/ee && $(BIN)/python tools/check_ee.py $(TARBALL) $(CURDIR)/.cache/ee
