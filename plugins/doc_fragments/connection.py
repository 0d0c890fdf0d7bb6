# -*- coding: utf-8 -*-
# Copyright: imagecat.glance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    """Connection options shared by every module of imagecat.glance."""

    DOCUMENTATION = r"""
options:
  cloud:
    description:
      - Name of a cloud in C(clouds.yaml) (and C(secure.yaml)), read with openstacksdk's config loader,
        so a cloud that works with the C(openstack) CLI or openstack.cloud works here unchanged.
      - When neither O(cloud), O(auth) nor O(endpoint) is set, C(OS_CLOUD) or the C(OS_*) variables
        of the environment are used, as the C(openstack) CLI does.
      - C(OS_CLIENT_CONFIG_FILE) points at a C(clouds.yaml) outside the standard locations.
    type: str
  auth:
    description:
      - Authentication parameters given inline, such as C(auth_url), C(username), C(password),
        C(project_name), C(user_domain_name), C(project_domain_name); the keys the O(auth_type) plugin takes
        (for example C(token) for C(v3token), C(application_credential_id) and
        C(application_credential_secret) for C(v3applicationcredential)).
      - Merged over the cloud selected by O(cloud) (or C(OS_CLOUD)). Without either, O(auth) is used alone;
        C(clouds.yaml), C(secure.yaml) and the C(OS_*) credential variables are not read.
      - Only the values of secret keys (C(password), C(token), C(application_credential_secret), any key
        whose name contains C(secret), C(key), C(passcode) or C(otp)) are masked in results and logs;
        usernames, project names and C(auth_url) stay readable.
    type: dict
  auth_type:
    description:
      - The keystoneauth1 plugin name, for example C(password), C(v3token), C(v3applicationcredential).
    type: str
  region_name:
    description:
      - Region whose image endpoint is used.
    type: str
  interface:
    description:
      - Which catalogue endpoint to use. Defaults to the cloud's setting, else C(public).
    type: str
    choices: [public, internal, admin]
  validate_certs:
    description:
      - Verify the TLS certificates of Keystone and Glance.
      - When unset, the cloud's C(verify) setting is used; without one, certificates are verified.
      - V(false) adds a warning to the task's result.
    type: bool
    aliases: [verify]
  ca_cert:
    description:
      - Path of a CA bundle to verify the services' certificates with.
    type: path
  client_cert:
    description:
      - Path of a client certificate for TLS client authentication.
    type: path
  client_key:
    description:
      - Path of the private key of O(client_cert).
    type: path
  api_timeout:
    description:
      - Seconds to wait for one HTTP response before giving up; above 0. Unset, requests wait without limit.
    type: int
  endpoint:
    description:
      - URL of the Image service, for example C(https://glance.example.com:9292).
      - Without O(cloud) or O(auth), Glance is reached directly with no Keystone, optionally with O(token).
      - With O(cloud) or O(auth), overrides the image endpoint of the catalogue.
    type: str
  token:
    description:
      - A pre-issued token sent as C(X-Auth-Token) to O(endpoint). Needs O(endpoint).
    type: str
requirements:
  - python >= 3.9
  - keystoneauth1 >= 5.0
  - openstacksdk >= 1.0 (only its C(clouds.yaml) loader, when O(cloud) or C(OS_*) variables are used)
notes:
  - Secrets (the secret keys of O(auth), O(token), O(client_key)) are never returned or logged.
  - Which source wins (task options, C(clouds.yaml), C(OS_*)), retries and TLS are described in the
    connection guide of the collection's docs.
"""

    # For lookup and inventory plugins: where else each connection option may come from.
    # Merged over DOCUMENTATION (extends_documentation_fragment: imagecat.glance.connection.PLUGINS).
    # Secrets (auth, token) have no ini entry: ansible.cfg is no place for credentials.
    PLUGINS = r"""
options:
  cloud:
    env:
      - name: ANSIBLE_GLANCE_CLOUD
    ini:
      - section: imagecat_glance
        key: cloud
    vars:
      - name: ansible_glance_cloud
  auth:
    vars:
      - name: ansible_glance_auth
  auth_type:
    env:
      - name: ANSIBLE_GLANCE_AUTH_TYPE
    ini:
      - section: imagecat_glance
        key: auth_type
    vars:
      - name: ansible_glance_auth_type
  region_name:
    env:
      - name: ANSIBLE_GLANCE_REGION_NAME
    ini:
      - section: imagecat_glance
        key: region_name
    vars:
      - name: ansible_glance_region_name
  interface:
    env:
      - name: ANSIBLE_GLANCE_INTERFACE
    ini:
      - section: imagecat_glance
        key: interface
    vars:
      - name: ansible_glance_interface
  validate_certs:
    env:
      - name: ANSIBLE_GLANCE_VALIDATE_CERTS
    ini:
      - section: imagecat_glance
        key: validate_certs
    vars:
      - name: ansible_glance_validate_certs
  ca_cert:
    env:
      - name: ANSIBLE_GLANCE_CA_CERT
    ini:
      - section: imagecat_glance
        key: ca_cert
    vars:
      - name: ansible_glance_ca_cert
  client_cert:
    env:
      - name: ANSIBLE_GLANCE_CLIENT_CERT
    ini:
      - section: imagecat_glance
        key: client_cert
    vars:
      - name: ansible_glance_client_cert
  client_key:
    env:
      - name: ANSIBLE_GLANCE_CLIENT_KEY
    ini:
      - section: imagecat_glance
        key: client_key
    vars:
      - name: ansible_glance_client_key
  api_timeout:
    env:
      - name: ANSIBLE_GLANCE_API_TIMEOUT
    ini:
      - section: imagecat_glance
        key: api_timeout
    vars:
      - name: ansible_glance_api_timeout
  endpoint:
    env:
      - name: ANSIBLE_GLANCE_ENDPOINT
    ini:
      - section: imagecat_glance
        key: endpoint
    vars:
      - name: ansible_glance_endpoint
  token:
    env:
      - name: ANSIBLE_GLANCE_TOKEN
    vars:
      - name: ansible_glance_token
"""
