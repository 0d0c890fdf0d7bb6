"""Make the checkout importable as ansible_collections.imagecat.glance when pytest runs from it.

ansible-test does this itself; a plain ``pytest tests/unit`` from the repository
root gets the same layout through a symlink under .cache/ (git-ignored).
"""

import os
import sys

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

if os.path.basename(os.path.dirname(os.path.dirname(REPO))) != "ansible_collections":
    root = os.path.join(REPO, ".cache", "pytest")
    link = os.path.join(root, "ansible_collections", "imagecat", "glance")
    if not os.path.islink(link):
        os.makedirs(os.path.dirname(link), exist_ok=True)
        os.symlink(REPO, link)
    if root not in sys.path:
        sys.path.insert(0, root)
else:
    root = os.path.dirname(os.path.dirname(os.path.dirname(REPO)))
    if root not in sys.path:
        sys.path.insert(0, root)

# Test helpers imported by name (``from fakes import ...``): ansible-test's pytest plugins
# import test files in a way that does not put their directory on sys.path.
for helpers in (os.path.join(REPO, "tests", "unit", "plugins", "module_utils"),):
    if helpers not in sys.path:
        sys.path.insert(0, helpers)
