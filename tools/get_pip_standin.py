"""Offline stand-in for the get-pip.py bootstrap script that ansible-test downloads.

ansible-test creates its virtual environments without pip and then bootstraps pip
by running ``get-pip-<version>.py``, which it downloads from
https://ci-files.testing.ansible.com/ (not reachable here) unless a cached copy
exists at ``~/.ansible/test/cache/get_pip_<version with underscores>.py``.
``tools/ansible_test.sh`` installs this file at that cache path.

How ansible-test 2.19 runs it (see ansible_test/_util/target/setup/requirements.py,
``bootstrap()``, and ansible_test/_util/target/setup/quiet_pip.py, ``main()``):

* quiet_pip.py puts the cache directory first on sys.path and runs this file with
  ``runpy.run_module(<name>, run_name='__main__', alter_sys=True)`` using the
  virtual environment's interpreter, so ``sys.executable`` is the venv python;
* argv is ``--disable-pip-version-check pip==24.2 --no-setuptools --no-wheel``
  (common pip options, the infrastructure packages, then the two get-pip flags);
* the environment carries ``PIP_BREAK_SYSTEM_PACKAGES=1`` and ``GET_PIP=<path>``.

Like the real get-pip.py, every argument that is not a get-pip flag is handed to
``pip install``.  pip itself comes from the standard library's bundled wheel via
``ensurepip.bootstrap()`` (no network needed for that step); the requested pip
version is then installed from the package index configured in /etc/pip.conf.
``--no-setuptools`` / ``--no-wheel`` are honoured by removing what ensurepip
added (Python 3.11's ensurepip always installs setuptools).
"""

from __future__ import annotations

import ensurepip
import importlib.util
import os
import subprocess
import sys

# Flags understood by the real get-pip.py that are not pip-install options.
GET_PIP_FLAGS = frozenset(('--no-setuptools', '--no-wheel', '--no-pip'))


def main(argv: list[str]) -> int:
    """Bootstrap pip, then pip-install the requested packages."""
    pip_args = [arg for arg in argv if arg not in GET_PIP_FLAGS]
    options = [arg for arg in pip_args if arg.startswith('-')]

    # ensurepip on Python < 3.12 also installs its bundled setuptools; the real
    # get-pip.py installs none with --no-setuptools (and no wheel with --no-wheel),
    # which is what ansible-test asks for: its sanity environments (import test!)
    # must not gain setuptools/pkg_resources.  Remember what was there before.
    unwanted = [name for flag, name in (('--no-setuptools', 'setuptools'), ('--no-wheel', 'wheel'))
                if flag in argv and importlib.util.find_spec(name) is None]

    saved_environ = dict(os.environ)

    # ensurepip deletes every PIP_* variable and sets PIP_CONFIG_FILE=/dev/null in
    # os.environ (ensurepip._disable_pip_configuration_settings).  PIP_CONFIG_FILE=/dev/null
    # hides /etc/pip.conf, which holds the CA bundle needed to reach the package index,
    # so put the caller's environment back before running pip ourselves.
    ensurepip.bootstrap(upgrade=True, verbosity=0)

    os.environ.clear()
    os.environ.update(saved_environ)

    if os.environ.get('PIP_CONFIG_FILE') == os.devnull:
        del os.environ['PIP_CONFIG_FILE']

    pip = [sys.executable, '-m', 'pip']

    if len(options) < len(pip_args):
        # Something to install besides options (the real get-pip.py passes all of them to pip install).
        status = subprocess.call(pip + ['install'] + pip_args)

        if status:
            return status

    importlib.invalidate_caches()
    installed = [name for name in unwanted if importlib.util.find_spec(name) is not None]

    if installed:
        status = subprocess.call(pip + ['uninstall', '--yes', '--disable-pip-version-check'] + installed)

        if status:
            return status

    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
