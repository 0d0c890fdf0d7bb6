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
	ANSIBLE_STDOUT_CALLBACK=default ANSIBLE_LOCALHOST_WARNING=false ANSIBLE_INVENTORY_UNPARSED_WARNING=false \
	PATH=$(CURDIR)/$(BIN):$$PATH

.PHONY: help venv demo test sanity units integration molecule cloud-up cloud-down cloud-env cloud-status \
	changelog-lint bench bench-image bench-import bench-inventory bench-catalogue clean collection-link

help:
	@echo "make demo        set up .venv and the local cloud, run playbooks/demo.yml"
	@echo "make test        sanity + unit + integration + molecule tests (starts the local cloud)"
	@echo "make sanity | units | integration | molecule   one part of make test"
	@echo "make cloud-up | cloud-down | cloud-status | cloud-env"
	@echo "make bench | bench-image | bench-import | bench-inventory | bench-catalogue   benchmarks/ against the local cloud"
	@echo "make bench-download [BENCH_ARGS='--size-mib 256 --runs 1']   benchmarks/image_download.py"

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
	$(ANSIBLE_ENV) $(BIN)/ansible-playbook playbooks/demo.yml
	$(ANSIBLE_ENV) $(BIN)/ansible-playbook playbooks/demo_catalogue.yml
	$(ANSIBLE_ENV) $(BIN)/ansible-playbook playbooks/demo_upstream.yml
	$(ANSIBLE_ENV) ANSIBLE_INVENTORY_ENABLED=imagecat.glance.images \
		$(BIN)/ansible-inventory -i playbooks/demo_inventory/demo.glance_images.yml --graph

# ---- tests ----------------------------------------------------------------------------
test: sanity units integration molecule

sanity: venv changelog-lint
	tools/ansible_test.sh sanity --venv --python 3.11

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

.PHONY: bench-download
bench-download: venv collection-link cloud-up
	$(ANSIBLE_ENV) $(BIN)/python benchmarks/image_download.py $(BENCH_ARGS)

clean:
	rm -rf .cache tests/output
