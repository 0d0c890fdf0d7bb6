# -*- coding: utf-8 -*-
# Copyright: imagecat.glance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to imagecat.glance: the base class every module of the collection runs on.

It merges the connection argument spec with the module's own, connects lazily,
translates every GlanceError into one ``fail_json`` shape, and adds ``diff``
to the result only when Ansible runs in diff mode.
"""

from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.imagecat.glance.plugins.module_utils._connection import (
    CONNECTION_ARGSPEC,
    MissingLibraryError,
    OptionAdapter,
    connect,
)
from ansible_collections.imagecat.glance.plugins.module_utils._glance import GlanceError


class GlanceModule:
    """Subclasses set ``argument_spec`` (their own options) and implement ``run()``.

    ``run()`` returns the result dict without ``changed``/``diff`` bookkeeping:
    use ``self.result(changed, before=..., after=..., **resources)``.
    """

    argument_spec = {}
    module_kwargs = {}

    def __init__(self):
        spec = dict(CONNECTION_ARGSPEC)
        spec.update(self.argument_spec)
        self.module = AnsibleModule(argument_spec=spec, supports_check_mode=True, **self.module_kwargs)
        self.params = self.module.params
        self.check_mode = self.module.check_mode
        self._connection = None

    @property
    def connection(self):
        if self._connection is None:
            self._connection = connect(OptionAdapter.from_dict(self.params))
        return self._connection

    @property
    def client(self):
        return self.connection.client

    def run(self):
        raise NotImplementedError

    def result(self, changed=False, before=None, after=None, **resources):
        result = dict(changed=changed, **resources)
        if self.module._diff and (before is not None or after is not None):
            result["diff"] = dict(before=before, after=after)
        return result

    def fail(self, error):
        if isinstance(error, MissingLibraryError):
            self.module.fail_json(msg=missing_required_lib(error.library), exception=str(error.error))
        details = {}
        if error.status is not None:
            details["status"] = error.status
        if error.request_id:
            details["request_id"] = error.request_id
        self.module.fail_json(msg=error.message, **details)

    @classmethod
    def execute(cls):
        """Entry point for a module's main()."""
        instance = cls()
        try:
            result = instance.run()
        except GlanceError as error:
            instance.fail(error)
        instance.module.exit_json(**result)
