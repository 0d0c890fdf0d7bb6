"""Every module class of the collection, run shipped (AnsibleModule) and inside the controller
(ControllerModule) against the same in-memory Glance: the two task results must be the same.

The classes are discovered from plugins/modules, so a new module is included without a change here.
"""

import glob
import importlib
import json
import os
import sys

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.imagecat.glance.plugins.module_utils import _glance, _images, _module
from ansible_collections.imagecat.glance.plugins.module_utils._module import GlanceModule

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "plugin_utils"))
from glance_stub import image  # noqa: E402

MODULES_DIR = os.path.join(os.path.dirname(_module.__file__), "..", "modules")
IMAGE_ID = "3b5c7a4e-1a0f-4a37-9b7e-0e8c6d1e5f00"
# Arguments that take each module through a successful check-mode run against writable_glance;
# "{tmp}" stands for a scratch directory. A module missing here fails test_every_module_has_arguments.
ARGS = {
    "image": {"name": "new-image", "tags": ["t"]},
    "image_info": {"filters": {"name": "a"}},
    "image_member": {"image": "a", "member": "p2"},
    "image_tag": {"image": "a", "tags": ["x"]},
    "image_import": {"name": "a", "method": "copy-image", "stores": ["s2"]},
    "image_store": {"image": "a", "stores": ["s2"]},
    "image_cache": {"image": "a"},
    "image_cache_info": {"image": "a"},
    "image_download": {"image": "a", "dest": "{tmp}/a.img", "hash_cache": "false"},
    "image_location": {"image": "a"},
    "image_task_info": {"image": "a"},
    "metadefs_info": {},
    "service_info": {},
    "catalogue": {"images": [{"name": "a", "disk_format": "raw", "container_format": "bare",
                              "versions": [{"version": "1", "uri": "http://mirror.test/a.img"}]}]},
    "catalogue_update": {"path": ["{tmp}/empty.yml"]},
}


def module_classes():
    found = []
    for path in sorted(glob.glob(os.path.join(MODULES_DIR, "*.py"))):
        name = os.path.basename(path)[:-3]
        if name.startswith("_"):
            continue
        module = importlib.import_module("ansible_collections.imagecat.glance.plugins.modules." + name)
        classes = [obj for obj in vars(module).values() if isinstance(obj, type) and issubclass(obj, GlanceModule)
                   and obj.__module__ == module.__name__]
        found.extend((name, cls) for cls in classes)
    return found


def shipped(cls, name, args, capsys):
    """The task result of a shipped run, and the warnings it gave. (Inside pytest, ansible-core takes
    itself for the controller, so AnsibleModule.warn() displays a warning on stderr instead of adding
    it to the result, as it does on a target.)"""
    with patch_module_args(dict(args, _ansible_check_mode=True, _ansible_diff=True)):
        with pytest.raises(SystemExit):
            cls.execute()
    captured = capsys.readouterr()
    result = json.loads(captured.out)
    return result, result.pop("warnings", None) or " ".join(captured.err.split())


def test_every_module_is_found():
    names = [name for name, dummy in module_classes()]
    assert {"image", "image_info", "image_member", "image_tag", "image_import", "service_info",
            "catalogue"} <= set(names)


def test_every_module_has_arguments():
    assert sorted(name for name, dummy in module_classes()) == sorted(ARGS)


def arguments(name, cls, tmp_path):
    args = json.loads(json.dumps(ARGS[name]).replace("{tmp}", str(tmp_path)))
    (tmp_path / "empty.yml").write_text("images: []\n")
    return dict(args, cloud="demo") if cls.connection_options else args


@pytest.mark.parametrize("name, cls", module_classes(), ids=[name for name, dummy in module_classes()])
def test_shipped_and_in_controller_results_are_the_same(name, cls, cloud, capsys, tmp_path):
    cloud.images.append(image("a", IMAGE_ID, os_hash_algo="sha512", os_hash_value="0" * 128, stores="s1"))
    cloud.stores = [{"id": "s1", "default": True}, {"id": "s2"}]
    cloud.cache = {"cached_images": [], "queued_images": []}
    args = arguments(name, cls, tmp_path)
    in_controller = cls.run_in_controller(name, args, check_mode=True, diff=True)
    requests_in_controller = list(cloud.requests)
    del cloud.requests[:]
    # A fresh process for the shipped run: no discovered versions or schemas yet.
    _glance._VERSION_CACHE.clear()
    _images._SCHEMA_CACHE.clear()
    result, shipped_warnings = shipped(cls, name, args, capsys)
    # Ansible's executor adds changed=false to a failed task's result either way.
    for one in (result, in_controller):
        one.setdefault("changed", False)
    assert "failed" not in in_controller, in_controller.get("msg")
    for warning in in_controller.pop("warnings", []):
        assert " ".join(warning.split()) in shipped_warnings
    assert result == json.loads(json.dumps(in_controller))
    assert cloud.requests == requests_in_controller
    # Each run read the cloud (catalogue_update reads files only), and neither wrote to it.
    assert requests_in_controller or not cls.connection_options
    assert cloud.writes() == []
