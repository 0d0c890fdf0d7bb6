# -*- coding: utf-8 -*-
# Copyright: imagecat.glance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to imagecat.glance: the action plugin behind every module of the collection.

Image service modules talk to an API over HTTP; they almost always run with
``connection: local`` (or ``delegate_to: localhost``), so Ansible's usual way of
running them (build an AnsiballZ payload, start a new Python, import the
libraries, get a new Keystone token, let Glance validate that token) costs far
more than the API calls themselves. When the task runs on the controller anyway,
``GlanceAction`` runs the module's class inside the Ansible worker process:

- the libraries are imported once, when the strategy loads this plugin in the
  main ``ansible-playbook`` process, and every forked worker inherits them;
- the items of a loop share one authenticated session (one token).

It falls back to shipping the module as usual whenever running in-process could
differ from what the user asked for: a connection other than ``local``,
``become``, ``async``, an ``ansible_python_interpreter`` that is not the
controller's own Python, keystoneauth1 missing on the controller, or the
environment variable ``IMAGECAT_GLANCE_IN_CONTROLLER`` set to a false value (on
the controller or in the task's ``environment``).
"""

from __future__ import annotations

import contextlib
import json
import os
import sys

from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase
from ansible.utils.vars import merge_hash

from ansible_collections.imagecat.glance.plugins.module_utils import _connection

try:  # ansible-core 2.19+: the exact encoding a module's arguments get on their way to the target
    from ansible.module_utils.common.json import Direction, get_module_decoder, get_module_encoder
    _ARGS_ENCODER = get_module_encoder("legacy", Direction.CONTROLLER_TO_MODULE)
    _ARGS_DECODER = get_module_decoder("legacy", Direction.CONTROLLER_TO_MODULE)
except ImportError:  # ansible-core 2.18
    from ansible.module_utils.common.json import AnsibleJSONEncoder as _ARGS_ENCODER
    _ARGS_DECODER = json.JSONDecoder

SWITCH = "IMAGECAT_GLANCE_IN_CONTROLLER"

# Authenticated connections of this process, shared by the items of a loop (a worker
# process runs one task for one host, so this never outlives a task).
_CONNECTIONS = {}

if _connection.HAS_KEYSTONEAUTH:
    # Import openstacksdk's config loader now, in the process that loads the plugin, so that
    # forked workers find it imported. A missing openstacksdk is reported when it is needed.
    with contextlib.suppress(ImportError):
        _connection._import_openstack_config_loader()


def _same_python(interpreter):
    if not interpreter:
        return True
    interpreter = str(interpreter).strip()
    if interpreter.startswith("auto"):
        # Interpreter discovery picks a Python on the target; on the controller, running the
        # module here is what the user most likely means, and keeps its libraries.
        return True
    # Compare the directories, not the files: a virtualenv's python is a symlink to the same
    # binary as the base Python, yet sees other libraries.
    return os.path.realpath(os.path.dirname(interpreter)) == os.path.realpath(os.path.dirname(sys.executable))


def as_module_args(args):
    """The task's arguments as a module receives them: plain JSON types, no Ansible tags."""
    return json.loads(json.dumps(args, cls=_ARGS_ENCODER), cls=_ARGS_DECODER)


@contextlib.contextmanager
def _environment(variables):
    """The task's ``environment`` for the duration of the run, like a module process gets it."""
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update({name: str(value) for name, value in variables.items()})
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class GlanceAction(ActionBase):
    """Subclasses set ``module_class`` (a GlanceModule subclass) and ``module_name``."""

    module_class = None
    module_name = None
    _supports_check_mode = True
    _supports_async = True

    def _in_controller(self, task_vars, environment):
        switch = environment.get(SWITCH, os.environ.get(SWITCH, "true"))
        try:
            if not boolean(switch, strict=True):
                return False
        except TypeError:
            pass
        if not _connection.HAS_KEYSTONEAUTH:
            return False
        if self._connection.transport != "local" or self._play_context.become or self._task.async_val:
            return False
        interpreter = task_vars.get("ansible_python_interpreter")
        if interpreter is not None:
            interpreter = self._templar.template(interpreter)
        return _same_python(interpreter)

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        del tmp
        environment = {}
        self._compute_environment_string(environment)
        if not self._in_controller(task_vars, environment):
            wrap_async = self._task.async_val and not self._connection.has_native_async
            result = merge_hash(result, self._execute_module(task_vars=task_vars, wrap_async=wrap_async))
            if not wrap_async:
                self._remove_tmp_path(self._connection._shell.tmpdir)
            return result
        with _environment(environment):
            outcome = self.module_class.run_in_controller(
                self.module_name, as_module_args(self._task.args), check_mode=self._task.check_mode, diff=self._task.diff,
                connections=_CONNECTIONS)
        return merge_hash(result, outcome)
