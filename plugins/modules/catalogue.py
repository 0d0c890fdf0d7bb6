#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: imagecat.glance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: catalogue
short_description: Reconcile a whole image catalogue, with versions, rotation and pruning, in one task
version_added: 0.1.0
description:
  - Keeps the images of one project in the state a catalogue declares (typically YAML kept in git and
    applied on every merge). One task lists the project's images, plans, and sends only the writes the plan
    needs; with C(--check --diff) it shows the true plan and changes nothing.
  - Each entry of O(images) is an image name with its metadata and a list of versions. The newest version
    carries the plain name; older kept versions are named C(<name> (<version>)) and hidden (C(os_hidden)).
  - Every image the catalogue makes carries the O(managed_tag) tag and the properties C(imagecat_catalogue_entry)
    and C(imagecat_catalogue_version). Only images with the tag and both properties are managed; anything else is
    never changed, and one that uses a name of the catalogue is reported in RV(unmanaged).
  - "Idempotent and cheap when nothing changed: two paginated listings (Glance lists hidden images only when asked
    for them alone), one members request per image whose entry declares C(members), no write. Local files are
    compared by digest, cached by O(hash_cache), so an unchanged file is not read again."
  - Every entry is validated before anything is sent; an error names the entry (C(images[3] (ubuntu))), version, key.
requirements:
  - oslo.utils >= 10.0 (its image format inspector, when a local file is uploaded)
  - zstandard (only for zstd-compressed data)
author:
  - imagecat.glance maintainers (@imagecat)
options:
  images:
    description:
      - "The catalogue: a list of entries. An entry has the keys C(name) (required), C(versions) (required),
        C(disk_format) and C(container_format) (required to create images), C(visibility) (V(public),
        V(private), V(shared), V(community)), C(protected), C(min_disk), C(min_ram), C(properties) (a dict),
        C(tags) (tags of its images besides O(managed_tag); tags added by others stay), C(members) (project names or ids the
        images are shared with, exactly; implies visibility V(shared)), C(keep_versions) (overrides
        O(keep_versions)), C(version_order) and C(base_dir) (the catalogue's directory: relative C(filename)s of
        the entry are taken from it and may not leave it, see O(allowed_file_roots); the
        M(imagecat.glance.catalogue) role sets it to the directory of the catalogue file)."
      - "C(version_order): V(listed) (default) takes the last version of the list as the newest; V(natural)
        sorts the versions, digit runs as numbers (C(1.10) after C(1.9))."
      - "A version has C(version) (a string; quote numbers such as C(\"1.10\")), exactly one data source
        - C(filename) (a local file, uploaded), C(url) (below), C(uri) (imported by web-download) or C(import)
        (import options C(method) V(web-download) or V(glance-download), C(uri), C(stores), C(all_stores),
        C(all_stores_must_succeed), C(remote_region), C(remote_image_id), C(remote_service_interface)) - and
        optionally C(checksum) (C(<algorithm>:<hex>) of the data as read, checked before upload and against Glance
        when Glance stores it unchanged) and C(properties) (added to the entry's)."
      - "C(url) (http or https; 0.2.0) needs C(checksum), or C(checksum_url) (a checksum file listing it, GNU or BSD style,
        clearsigned or not; C(checksum_name) if it lists another name than the URL's last part), read only when the
        image is made. C(transfer) V(web-download) (default; Glance downloads) or V(controller) (download, decompress,
        upload in one streaming pass through the controller, constant memory); xz, gzip, bzip2 or zstd data (told by
        its first bytes) needs V(controller). The image records C(imagecat_catalogue_source) and
        C(imagecat_catalogue_checksum): a re-run downloads nothing. A compressed C(filename) is decompressed alike."
      - A version's data never changes. A file whose digest differs from its image's, or a changed C(uri),
        fails the task before any write, naming the entry and version; declare a new version instead.
      - "What the catalogue owns: the fields C(visibility), C(protected), C(min_disk), C(min_ram), and the
        properties and tags an entry declares. The image records them in C(imagecat_catalogue_applied) (split
        over C(imagecat_catalogue_applied_2), ... when longer than 255 characters). A property or tag the entry
        no longer declares is removed; a field it no longer declares goes back to Glance's default
        (C(visibility) V(shared), C(protected) false, C(min_disk) and C(min_ram) 0). Properties and tags the
        catalogue never set (Glance's own, an import plugin's, an operator's) are left alone. An image made by
        a version before 0.2.0 has no record: its first run writes the record and removes nothing."
      - Members are managed only for entries that declare C(members); one that stops declaring them leaves them.
    type: list
    elements: dict
    default: []
  managed_tag:
    description:
      - The tag that marks the images this catalogue owns. Use one tag per catalogue when several
        catalogues share a project.
    type: str
    default: imagecat-managed
  keep_versions:
    description:
      - How many versions of each entry to keep (the newest ones), unless the entry sets C(keep_versions).
        Declared versions beyond it are not created, and their existing images are pruned by O(prune).
        Unset, every declared version is kept.
    type: int
  prune:
    description:
      - What to do with managed images that are superseded beyond C(keep_versions), or whose version or entry is
        no longer declared.
      - V(none) leaves them as they are, V(hide) hides them, V(deactivate) deactivates them, V(delete) deletes
        them; a protected image is never deleted (it is reported in RV(superseded) and as a warning).
      - Whatever the policy, such an image of a declared entry that still has the plain name is renamed
        C(<name> (<version>)), so the plain name always means the newest version.
      - Images without O(managed_tag) are never pruned.
    type: str
    choices: [none, hide, deactivate, delete]
    default: none
  max_prune:
    description:
      - The most images one run may delete or deactivate (O(prune=delete) or O(prune=deactivate)); hiding and
        renaming are not counted. A run that would prune more fails before any write, in check mode too,
        naming the count. Raise it for a deliberate clean-up.
    type: int
    default: 10
    version_added: 0.2.0
  allow_prune_all:
    description:
      - An empty O(images) with O(prune) other than V(none) would prune every image of O(managed_tag), which is
        usually a truncated or wrong catalogue file, so it is refused unless this is V(true). O(max_prune) applies.
    type: bool
    default: false
    version_added: 0.2.0
  data_from_region:
    description:
      - Distribution between regions of one Keystone. The data of every version this run would upload from a
        file is instead imported with C(glance-download) from the image of the same version in this region,
        which a run of the same catalogue there (same O(managed_tag)) must have made first; the import is
        verified against the local file's sha512 (or the declared checksum); the controller sends it no data.
      - Needs a Keystone login (O(cloud) or O(auth)) that knows the region, a target Glance that enables
        C(glance-download), and in that region an active image of each version to send, tagged O(managed_tag),
        with the local file's sha512; otherwise the run fails before any write. In check mode a missing
        source image is a warning (the role's plan runs before the source region is applied).
    type: str
    version_added: 0.2.0
  on_drift:
    description:
      - What to do when a field, property or tag the catalogue set on an image was changed by hand since
        (its record, C(imagecat_catalogue_applied), says what the catalogue set last time).
      - V(fix) puts the catalogue's value back; the plan has a V(drift) action with the value found and the
        value written.
      - V(report) lists the same V(drift) action but writes nothing for it (the run is not C(changed) for it).
      - V(fail) fails the task before any write, naming each image and key.
    type: str
    choices: [fix, report, fail]
    default: fix
    version_added: 0.2.0
  parallel:
    description: How many images are uploaded, imported or changed at the same time.
    type: int
    default: 2
  timeout:
    description: Seconds to wait for each upload or import to finish.
    type: int
    default: 900
  allowed_file_roots:
    description:
      - "Directories that C(filename)s may point into besides their entry's C(base_dir). A C(filename) of an entry
        with C(base_dir) must stay inside that directory (symbolic links resolved): an absolute path, C(~) or a
        C(..) that leads out of it fails the task before any write, unless the file lies inside one of these
        directories. A safety rule for catalogues kept in git: a change to a catalogue file cannot make the
        controller upload an arbitrary file it can read (C(/etc/shadow), a private key) as an image."
      - Entries without C(base_dir) (written in the playbook itself) may name any file unless this option is set;
        then their files too must lie inside these directories.
    type: list
    elements: path
    version_added: 0.2.0
notes:
  - "Two runs of the same catalogue at the same moment do not make duplicates: a version's image is created with an
    id derived from the project, O(managed_tag), entry and version; the second create gets 409 and adopts it."
  - "Order of writes: new data first (the new newest version appears with the plain name), then renames, hiding
    and sharing of existing images, then pruning. For a moment two images may carry the plain name."
  - "What a run reads: the managed images by O(managed_tag) and the images holding a name of the catalogue (each
    entry's name and C(<name> (<version>)) of each declared version), each visible and hidden; nothing else. An
    unchanged run costs 2 + 2 x chunks C(GET) requests, a chunk being at most 100 names and 3 KiB of URL (plus one
    more per 1000 images of a listing, and the members below), whatever else the project holds; it sends no request
    to the servers of C(url) versions."
  - "Before the first write the run checks O(max_prune) and, where the cloud reports unified limits
    (C(/v2/info/usage)), that the images and bytes it adds stay within C(image_count_total) and
    C(image_size_total); otherwise it fails with the numbers and writes nothing."
  - Members cost one request per image of an entry that declares C(members), none for other entries.
seealso:
  - module: imagecat.glance.image
  - module: imagecat.glance.image_member
extends_documentation_fragment:
  - imagecat.glance.hash_cache
  - imagecat.glance.property_validation
  - imagecat.glance.connection
  - imagecat.glance.attributes
  - imagecat.glance.attributes.ACTIONS
"""

EXAMPLES = r"""
- name: Apply the catalogue kept in git (prune what it no longer declares)
  imagecat.glance.catalogue:
    cloud: mycloud
    keep_versions: 2
    prune: delete
    images:
      - name: ubuntu-24.04
        disk_format: qcow2
        container_format: bare
        min_disk: 10
        properties:
          os_distro: ubuntu
          os_version: "24.04"
        tags: [lts]
        members: [3e7352b2df5a471c8712fca260089244]
        versions:
          - version: "20260101"
            filename: /srv/images/noble-20260101.img
          - version: "20260201"
            filename: /srv/images/noble-20260201.img
            checksum: "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
      - name: cirros
        disk_format: qcow2
        container_format: bare
        versions:
          - version: "0.6.3"
            uri: https://download.cirros-cloud.net/0.6.3/cirros-0.6.3-x86_64-disk.img

- name: Show the plan without changing anything
  imagecat.glance.catalogue:
    cloud: mycloud
    images: "{{ catalogue.images }}"
    prune: delete
  check_mode: true
  diff: true
  register: plan

- name: One line per planned action
  ansible.builtin.debug:
    msg: "{{ plan.plan | map(attribute='action') | zip(plan.plan | map(attribute='image')) | map('join', ' ') | list }}"
"""

RETURN = r"""
plan:
  description:
    - "The actions of the run (in check mode: the actions the run would take), in order. Empty when nothing
      differs."
    - "C(action) is one of V(create), V(upload), V(import), V(update), V(rename), V(hide), V(share),
      V(reactivate), V(deactivate), V(delete), V(drift) (keys changed by hand: C(changes) lists C(key),
      C(have), C(want) and C(fixed); see O(on_drift)), V(adopt) (an image made before records gets its record;
      nothing else changes)."
  returned: always
  type: list
  elements: dict
  contains:
    action:
      description: What is done.
      type: str
    image:
      description: The image's name (after a rename, the new name).
      type: str
    id:
      description: The image's id (for a create, the id it is created with).
      type: str
    entry:
      description: The catalogue entry.
      type: str
    version:
      description: The version.
      type: str
    reason:
      description: Why.
      type: str
  sample:
    - {action: create, image: ubuntu-24.04, id: 0d5d3f5c-7c38-5a3e-9f83-2f1f0a0e8a11, entry: ubuntu-24.04,
       version: "20260201", reason: version 20260201 of entry ubuntu-24.04 is declared and has no image}
    - {action: rename, image: ubuntu-24.04 (20260101), id: 6a1e7a0e-2f9e-4c55-9a51-5e2cbd1d9f02,
       entry: ubuntu-24.04, version: "20260101", reason: version 20260101 is no longer the newest}
images:
  description:
    - "The managed images after the run (in check mode: as they would be), in Glance's own shape, in catalogue
      order; pruned images that were not deleted are included."
  returned: always
  type: list
  elements: dict
superseded:
  description: Managed images the catalogue no longer wants, with the reason and what prune did (C(pruned)).
  returned: always
  type: list
  elements: dict
unmanaged:
  description: Images without the managed tag (or catalogue properties) that use a name of the catalogue; left alone.
  returned: always
  type: list
  elements: dict
summary:
  description:
    - One line of counts for a run over many targets (the catalogue role prints one per target) -- images
      created, updated (metadata, sharing, renames, data of a version that lost it), pruned (hidden,
      deactivated or deleted), unchanged -- and the bytes of image data this run sent from the controller
      (predicted in check mode).
  returned: always
  type: dict
  sample: {created: 2, updated: 1, pruned: 0, unchanged: 17, bytes_sent: 2097152}
  version_added: 0.2.0
api_requests:
  description:
    - Requests this task sent to the Image service, by HTTP method (retries included; Keystone's are not
      counted). An unchanged run has only C(GET); a failed one has them too (none but C(GET) for bad input).
  returned: always
  type: dict
  sample: {GET: 4, POST: 0, PATCH: 0, PUT: 0, DELETE: 0}
"""

from ansible_collections.imagecat.glance.plugins.module_utils._catalogue import DRIFT_POLICIES, PRUNE_POLICIES, validate_catalogue
from ansible_collections.imagecat.glance.plugins.module_utils._catalogue_run import DEFAULT_MAX_PRUNE, CatalogueRun
from ansible_collections.imagecat.glance.plugins.module_utils._image_data import HASH_CACHE_ARGSPEC, hash_cache_path
from ansible_collections.imagecat.glance.plugins.module_utils._errors import InputError
from ansible_collections.imagecat.glance.plugins.module_utils._metadefs import VALIDATE_PROPERTIES_ARGSPEC, check_catalogue_properties
from ansible_collections.imagecat.glance.plugins.module_utils._module import GlanceModule
from ansible_collections.imagecat.glance.plugins.module_utils._projects import resolve_project


class CatalogueModule(GlanceModule):
    report_requests = True
    argument_spec = dict(
        images=dict(type="list", elements="dict", default=[]),
        managed_tag=dict(type="str", default="imagecat-managed"),
        keep_versions=dict(type="int"),
        prune=dict(type="str", default="none", choices=list(PRUNE_POLICIES)),
        max_prune=dict(type="int", default=DEFAULT_MAX_PRUNE),
        allow_prune_all=dict(type="bool", default=False),
        data_from_region=dict(type="str"),
        on_drift=dict(type="str", default="fix", choices=list(DRIFT_POLICIES)),
        parallel=dict(type="int", default=2),
        timeout=dict(type="int", default=900),
        hash_cache=HASH_CACHE_ARGSPEC,
        **VALIDATE_PROPERTIES_ARGSPEC,
        allowed_file_roots=dict(type="list", elements="path"),
    )

    def run(self):
        p = self.params
        if p["parallel"] < 1:
            raise InputError("parallel must be 1 or more.")
        if p["max_prune"] < 0:
            raise InputError("max_prune must be 0 or more (0: this run may not delete or deactivate any image).")
        entries = validate_catalogue(p["images"], p["keep_versions"], p["managed_tag"], p["allowed_file_roots"])
        run = CatalogueRun(self.connection, entries, p["managed_tag"], p["prune"], parallel=p["parallel"],
                           timeout=p["timeout"], hash_cache=hash_cache_path(p["hash_cache"]),
                           resolve_member=lambda member, option: resolve_project(self.connection, member, option),
                           max_prune=p["max_prune"], allow_prune_all=p["allow_prune_all"],
                           data_from_region=p["data_from_region"], on_drift=p["on_drift"])
        run.prepare(predict=self.check_mode)
        if run.changed:
            check_catalogue_properties(self.client, p["images"], p["validate_properties"], self.warn)
            if not self.check_mode:
                run.apply()
        for warning in run.warnings:
            self.module.warn(warning)
        result = run.report(predicted=self.check_mode)
        result["api_requests"] = self.requests_sent()
        if self.module._diff:
            result["diff"] = run.diffs()
        return result


def main():
    CatalogueModule.execute()


if __name__ == "__main__":
    main()
