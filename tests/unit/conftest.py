"""Make the checkout importable as ansible_collections.imagecat.glance when pytest runs from it.

ansible-test does this itself; a plain ``pytest tests/unit`` from the repository
root gets the same layout through a symlink under .cache/ (git-ignored). The link
is made to point at THIS checkout (a copied checkout brings a link to the original
along), and the bootstrap checks that the collection imported is this checkout's:
otherwise the tests would pass or fail on code that is not the code under test.
"""

import os
import sys

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def point_link_at_repo(link):
    """The symlink ``link`` -> REPO, replacing one that points elsewhere (atomically)."""
    if os.path.islink(link) and os.path.realpath(link) == os.path.realpath(REPO):
        return
    if os.path.lexists(link) and not os.path.islink(link):
        raise RuntimeError("tests/unit/conftest.py: %s is not a symbolic link; remove it (it is made again as a "
                           "link to %s)." % (link, REPO))
    os.makedirs(os.path.dirname(link), exist_ok=True)
    temp = "%s.%d.tmp" % (link, os.getpid())
    os.symlink(REPO, temp)
    os.replace(temp, link)


def check_collection_is_this_checkout():
    import ansible_collections.imagecat.glance.plugins.module_utils._module as probe

    found = os.path.realpath(probe.__file__)
    if not found.startswith(os.path.realpath(REPO) + os.sep):
        raise RuntimeError("tests/unit/conftest.py: ansible_collections.imagecat.glance is imported from %s, not from "
                           "this checkout %s; the tests would not test this code." % (found, REPO))


if os.path.basename(os.path.dirname(os.path.dirname(REPO))) != "ansible_collections":
    root = os.path.join(REPO, ".cache", "pytest")
    point_link_at_repo(os.path.join(root, "ansible_collections", "imagecat", "glance"))
    if root not in sys.path:
        sys.path.insert(0, root)
else:
    root = os.path.dirname(os.path.dirname(os.path.dirname(REPO)))
    if root not in sys.path:
        sys.path.insert(0, root)
check_collection_is_this_checkout()

# Test helpers imported by name (``from fakes import ...``): ansible-test's pytest plugins
# import test files in a way that does not put their directory on sys.path.
for helpers in (os.path.join(REPO, "tests", "unit", "plugins", "module_utils"),
                os.path.join(REPO, "tests", "unit", "plugins", "modules")):
    if helpers not in sys.path:
        sys.path.insert(0, helpers)
