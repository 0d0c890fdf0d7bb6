# -*- coding: utf-8 -*-
# Copyright: imagecat.glance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to imagecat.glance: the base class every module of the collection runs on.

It merges the connection argument spec with the module's own, connects lazily,
translates every GlanceError into one ``fail_json`` shape, and adds ``diff``
to the result only when Ansible runs in diff mode.

A module class runs in one of two hosts: ``execute()`` (the module's ``main()``,
shipped to the target by Ansible as usual) or ``run_in_controller()`` (called by
the collection's action plugins, see plugins/plugin_utils/_in_controller.py).
The second swaps AnsibleModule for ``ControllerModule``, which validates the
same argument spec with the same validator and hides ``no_log`` values the
same way, so a task gets the same result either way.
"""

from __future__ import annotations

import copy
import os

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.parameters import remove_values
from ansible.module_utils.errors import UnsupportedError

from ansible_collections.imagecat.glance.plugins.module_utils._connection import (
    CONNECTION_ARGSPEC,
    MissingLibraryError,
    OptionAdapter,
    auth_secret_values,
    connect,
)
from ansible_collections.imagecat.glance.plugins.module_utils._glance import COUNTED_METHODS, GlanceError
from ansible_collections.imagecat.glance.plugins.module_utils._image_data import flush_digest_caches
from ansible_collections.imagecat.glance.plugins.module_utils._legacy import require_image_v2


class _GlanceAnsibleModule(AnsibleModule):
    """AnsibleModule whose masked values include the secret keys of ``auth``, and nothing else of it.

    ``auth`` is not ``no_log`` as a whole (that masked usernames and URLs in every result). Its
    secret values join ``no_log_values`` before the invocation is logged, so neither the log nor
    exit_json/fail_json ever carry them.
    """

    def _mask_auth(self):
        self.no_log_values.update(auth_secret_values(self.params.get("auth")))

    def _log_invocation(self):
        self._mask_auth()
        super()._log_invocation()

    def exit_json(self, **kwargs):
        self._mask_auth()
        super().exit_json(**kwargs)

    def fail_json(self, msg, **kwargs):
        # Also reached from AnsibleModule.__init__ when another option is invalid.
        self._mask_auth()
        super().fail_json(msg, **kwargs)


class GlanceModule:
    """Subclasses set ``argument_spec`` (their own options) and implement ``run()``.

    ``run()`` returns the result dict without ``changed``/``diff`` bookkeeping:
    use ``self.result(changed, before=..., after=..., **resources)``.

    What a module may use of ``self.module``: only ``params``, ``check_mode``, ``_diff``,
    ``warn()`` and ``fail_json()`` (the last through ``fail()``), because a module class also runs
    inside the controller, where ``self.module`` is a ``ControllerModule`` that has nothing else.
    Prefer ``self.params``, ``self.check_mode``, ``self.warn()`` and ``self.result()``; everything
    else (``run_command``, ``get_bin_path``, ``tmpdir``, ``exit_json`` ...) is off limits.
    A unit test (test_every_module.py, in the source repository) runs every module class both ways.
    """

    argument_spec = {}
    module_kwargs = {}
    # Modules that never write set this; the others refuse a legacy-only endpoint (see ``client``).
    read_only = False
    # False for a module that never talks to the Image service (it gets no connection options).
    connection_options = True
    # True for a module whose results report api_requests: its failures carry them too, so that a
    # refused task shows what it sent (nothing written, for bad input).
    report_requests = False

    def __init__(self, module=None):
        self.module = module or _GlanceAnsibleModule(argument_spec=self.full_spec(), supports_check_mode=True,
                                                     **self.module_kwargs)
        self.params = self.module.params
        self.check_mode = self.module.check_mode
        self._connection = None
        self._writable_checked = False
        self._counts_before = None

    @classmethod
    def full_spec(cls):
        spec = dict(CONNECTION_ARGSPEC) if cls.connection_options else {}
        spec.update(cls.argument_spec)
        return spec

    @property
    def connection(self):
        """The connection; for a writing module, its image endpoint checked once to serve Image API v2.

        The version document is read before the module's first request to the image endpoint, so
        a module pointed at an endpoint that serves only Image API v1, or at a Compute API, fails
        before any write (the version document is cached per process: a loop reads it once).
        """
        if self._connection is None:
            self._connection = connect(OptionAdapter.from_dict(self.params))
            for warning in getattr(self._connection, "warnings", ()):
                self.warn(warning)
        if not self.read_only and not self._writable_checked:
            require_image_v2(self._connection.client)
            self._writable_checked = True
        if self.report_requests and self._counts_before is None:
            # (A connection shared by the items of a loop has counted the items before this one.)
            self._counts_before = dict(self._connection.client.request_counts)
        return self._connection

    @property
    def client(self):
        return self.connection.client

    def run(self):
        raise NotImplementedError

    def warn(self, message):
        """A warning in the task result, also when the task then fails."""
        self.module.warn(message)

    def set_file_attributes(self, path, mode=None, owner=None, group=None, changed=False, diff=None):
        """Ansible's file conventions for ``mode``/``owner``/``group`` (octal or symbolic modes, names or
        ids), by AnsibleModule's own helpers in both hosts; check mode changes nothing. Returns changed."""
        changed = self.module.set_owner_if_different(path, owner, changed, diff)
        changed = self.module.set_group_if_different(path, group, changed, diff)
        return self.module.set_mode_if_different(path, mode, changed, diff)

    def result(self, changed=False, before=None, after=None, **resources):
        result = dict(changed=changed, **resources)
        if self.module._diff and (before is not None or after is not None):
            result["diff"] = dict(before=before, after=after)
        return result

    def _finish_run(self):
        """The end of a run, failed or not: the digest caches it used are written once, and their
        warnings (a cache refused as untrusted, a write that failed) join the result."""
        for message in flush_digest_caches():
            self.warn(message)

    def fail(self, error):
        if isinstance(error, MissingLibraryError):
            self.module.fail_json(msg=missing_required_lib(error.library), exception=str(error.error))
        details = {}
        if error.status is not None:
            details["status"] = error.status
        if error.request_id:
            details["request_id"] = error.request_id
        if self.report_requests:
            details["api_requests"] = self.requests_sent()
        self.module.fail_json(msg=error.message, **details)

    def requests_sent(self):
        """Requests this run sent to the Image service, by method (all 0 when it never used the connection,
        which a loop's earlier items may have used)."""
        if self._connection is None or self._counts_before is None:
            return dict.fromkeys(COUNTED_METHODS, 0)
        return self._connection.client.requests_since(self._counts_before)

    @classmethod
    def execute(cls):
        """Entry point for a module's main()."""
        instance = cls()
        try:
            try:
                result = instance.run()
            finally:
                instance._finish_run()
        except GlanceError as error:
            instance.fail(error)
        instance.module.exit_json(**result)

    @classmethod
    def run_in_controller(cls, name, args, check_mode=False, diff=False, connections=None):
        """Run the module inside the calling (controller) process; returns the task result.

        ``connections`` (a dict) keeps authenticated connections between calls in one process,
        keyed by the connection options, so the items of a loop share one token.
        """
        try:
            module = ControllerModule(name, cls.full_spec(), args, check_mode, diff, cls.module_kwargs)
            instance = cls(module)
            key = None
            if connections is not None:
                # The options and the OS_* variables (clouds.yaml path, OS_CLOUD, ...) pick the cloud.
                key = repr((sorted((option, repr(instance.params.get(option))) for option in CONNECTION_ARGSPEC),
                            sorted(item for item in os.environ.items() if item[0].startswith("OS_"))))
                instance._connection = connections.get(key)
                # A shared connection's warnings (validate_certs: false) belong to every item.
                for warning in getattr(instance._connection, "warnings", ()):
                    instance.warn(warning)
            try:
                try:
                    result = instance.run()
                finally:
                    instance._finish_run()
            except GlanceError as error:
                instance.fail(error)
            finally:
                if key is not None and instance._connection is not None:
                    connections[key] = instance._connection
            module.exit_json(**result)
        except ModuleExit as done:
            return done.result
        raise AssertionError("unreachable: exit_json always raises")  # pragma: no cover


class ModuleExit(Exception):
    """How ControllerModule ends a run: the finished task result, no_log values hidden."""

    def __init__(self, result):
        super().__init__("module finished")
        self.result = result


class ControllerModule:
    """The part of AnsibleModule that GlanceModule uses, for runs inside the controller.

    Arguments are checked by ansible-core's ArgumentSpecValidator (AnsibleModule's own
    validator), failures read the same, and results pass through ``remove_values`` with the
    ``no_log`` values the validator found, like AnsibleModule's exit_json/fail_json.
    """

    def __init__(self, name, argument_spec, args, check_mode, diff, module_kwargs):
        self.check_mode = bool(check_mode)
        self._diff = bool(diff)
        self.warnings = []
        self.no_log_values = set()
        # A copy: the validator fills dict defaults (default={} with suboptions) in place, and the spec
        # is shared by every run in this process (the items of a loop).
        validator = ArgumentSpecValidator(copy.deepcopy(argument_spec), **module_kwargs)
        validated = validator.validate(dict(args))
        self.params = validated.validated_parameters
        self.no_log_values.update(validated._no_log_values)
        self.no_log_values.update(auth_secret_values(self.params.get("auth")))
        for alias in validated._warnings:
            self.warnings.append("Both option %s and its alias %s are set." % (alias["option"], alias["alias"]))
        if validated.errors.errors:  # (the error collection itself is always truthy)
            msg = validated.errors.msg
            if isinstance(validated.errors[0], UnsupportedError):
                msg = "Unsupported parameters for (%s) module: %s" % (name, msg)
            self.fail_json(msg=msg)

    def warn(self, warning):
        self.warnings.append(warning)

    # AnsibleModule's file-attribute helpers, the very functions (looked up when called, as ansible-test's
    # import check swaps AnsibleModule for a stand-in): they use only check_mode, fail_json and each other,
    # so files get the same owner, group and mode, and the same errors, in both hosts.
    def set_owner_if_different(self, *args, **kwargs):
        return AnsibleModule.set_owner_if_different(self, *args, **kwargs)

    def set_group_if_different(self, *args, **kwargs):
        return AnsibleModule.set_group_if_different(self, *args, **kwargs)

    def set_mode_if_different(self, *args, **kwargs):
        return AnsibleModule.set_mode_if_different(self, *args, **kwargs)

    def check_file_absent_if_check_mode(self, path):
        return AnsibleModule.check_file_absent_if_check_mode(self, path)

    def user_and_group(self, path, expand=True):
        return AnsibleModule.user_and_group(self, path, expand)

    def _symbolic_mode_to_octal(self, path_stat, symbolic_mode):
        return AnsibleModule._symbolic_mode_to_octal(path_stat, symbolic_mode)

    def fail_json(self, msg, **kwargs):
        if "exception" in kwargs:
            # AnsibleModule takes an exception object and reports its traceback under this key.
            kwargs["exception"] = str(kwargs["exception"])
        kwargs.update(failed=True, msg=msg)
        self.exit_json(**kwargs)

    def exit_json(self, **kwargs):
        kwargs.setdefault("changed", False)
        kwargs.setdefault("invocation", {"module_args": self.params})
        if self.warnings:
            kwargs["warnings"] = list(self.warnings)
        preserved = {key: value for key, value in kwargs.items() if value is None or isinstance(value, bool)}
        result = remove_values(kwargs, self.no_log_values)
        result.update(preserved)
        raise ModuleExit(result)
