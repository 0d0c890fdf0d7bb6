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
# Arguments that get each known module past validation; a module not listed runs with none.
ARGS = {
    "image": {"name": "new-image"},
    "image_info": {"filters": {"name": "a"}},
    "image_member": {"image": "a", "member": "p2"},
    "image_tag": {"image": "a", "tags": ["x"]},
    "image_import": {"name": "a", "method": "copy-image", "stores": ["s1"]},
    "catalogue": {"images": []},
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
    with patch_module_args(dict(args, _ansible_check_mode=True, _ansible_diff=True)):
        with pytest.raises(SystemExit):
            cls.execute()
    return json.loads(capsys.readouterr().out)


def test_every_module_is_found():
    names = [name for name, dummy in module_classes()]
    assert {"image", "image_info", "image_member", "image_tag", "image_import", "service_info",
            "catalogue"} <= set(names)


@pytest.mark.parametrize("name, cls", module_classes(), ids=[name for name, dummy in module_classes()])
def test_shipped_and_in_controller_results_are_the_same(name, cls, glance, capsys):
    glance.images.append(image("a", IMAGE_ID))
    args = dict(ARGS.get(name, {}), cloud="demo")
    in_controller = cls.run_in_controller(name, args, check_mode=True, diff=True)
    requests_in_controller = list(glance.requests)
    del glance.requests[:]
    # A fresh process for the shipped run: no discovered versions or schemas yet.
    _glance._VERSION_CACHE.clear()
    _images._SCHEMA_CACHE.clear()
    result = shipped(cls, name, args, capsys)
    # Ansible's executor adds changed=false to a failed task's result either way.
    for one in (result, in_controller):
        one.setdefault("changed", False)
    assert result == json.loads(json.dumps(in_controller))
    assert glance.requests == requests_in_controller
    assert glance.writes() == []
