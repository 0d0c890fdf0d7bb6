"""When the collection's action plugin runs a module inside the controller, and when it ships it."""

import datetime
import os
import sys
import types

import pytest

from ansible_collections.imagecat.glance.plugins.plugin_utils import _in_controller
from ansible_collections.imagecat.glance.plugins.plugin_utils._in_controller import (
    GlanceAction,
    _environment,
    _same_python,
    as_module_args,
)


class PassThroughTemplar:
    def template(self, value):
        return value


def action(transport="local", become=False, async_val=0):
    plugin = object.__new__(GlanceAction)
    plugin._connection = types.SimpleNamespace(transport=transport)
    plugin._play_context = types.SimpleNamespace(become=become)
    plugin._task = types.SimpleNamespace(async_val=async_val)
    plugin._templar = PassThroughTemplar()
    return plugin


def test_local_tasks_run_in_the_controller(monkeypatch):
    monkeypatch.delenv(_in_controller.SWITCH, raising=False)
    assert action()._in_controller({}, {}) is True
    assert action()._in_controller({"ansible_python_interpreter": sys.executable}, {}) is True
    assert action()._in_controller({"ansible_python_interpreter": "auto_silent"}, {}) is True


@pytest.mark.parametrize("plugin", [action(transport="ssh"), action(become=True), action(async_val=60)])
def test_remote_become_and_async_tasks_ship_the_module(plugin):
    assert plugin._in_controller({}, {}) is False


def test_another_python_ships_the_module(tmp_path):
    venv_python = tmp_path / "venv" / "bin" / "python"
    venv_python.parent.mkdir(parents=True)
    venv_python.symlink_to(os.path.realpath(sys.executable))
    assert _same_python(str(venv_python)) is False
    assert action()._in_controller({"ansible_python_interpreter": str(venv_python)}, {}) is False


@pytest.mark.parametrize("value, expected", [("0", False), ("false", False), ("no", False), ("1", True), ("yes", True)])
def test_the_switch_works_from_the_task_environment_and_the_controller(monkeypatch, value, expected):
    monkeypatch.delenv(_in_controller.SWITCH, raising=False)
    assert action()._in_controller({}, {_in_controller.SWITCH: value}) is expected
    monkeypatch.setenv(_in_controller.SWITCH, value)
    assert action()._in_controller({}, {}) is expected


def test_without_keystoneauth_the_module_is_shipped(monkeypatch):
    monkeypatch.setattr(_in_controller._connection, "HAS_KEYSTONEAUTH", False)
    assert action()._in_controller({}, {}) is False


def test_module_args_are_plain_json_types():
    class TaggedDict(dict):
        pass

    args = {"properties": TaggedDict(a=1, b=[1, "x", True]), "when": datetime.date(2026, 1, 2), "none": None}
    plain = as_module_args(args)
    assert plain["properties"].__class__ is dict
    assert plain["properties"] == {"a": 1, "b": [1, "x", True]}
    assert plain["when"] == "2026-01-02"
    assert plain["none"] is None


def test_the_task_environment_applies_only_during_the_run(monkeypatch):
    monkeypatch.setenv("OS_CLOUD", "before")
    monkeypatch.delenv("OS_REGION_NAME", raising=False)
    with _environment({"OS_CLOUD": "during", "OS_REGION_NAME": 2}):
        assert os.environ["OS_CLOUD"] == "during"
        assert os.environ["OS_REGION_NAME"] == "2"
    assert os.environ["OS_CLOUD"] == "before"
    assert "OS_REGION_NAME" not in os.environ
