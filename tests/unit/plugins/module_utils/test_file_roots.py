"""Which files a catalogue may name: resolve_catalogue_file."""

import os

import pytest

from ansible_collections.imagecat.glance.plugins.module_utils._file_roots import resolve_catalogue_file
from ansible_collections.imagecat.glance.plugins.module_utils._images import InputError


@pytest.fixture
def tree(tmp_path):
    """repo/catalogue (the catalogue's directory, with images/), repo/other, and /outside."""
    (tmp_path / "repo" / "catalogue" / "images").mkdir(parents=True)
    (tmp_path / "repo" / "other").mkdir()
    (tmp_path / "outside").mkdir()
    return tmp_path


def test_relative_names_are_resolved_against_the_catalogue_directory(tree):
    base = tree / "repo" / "catalogue"
    assert resolve_catalogue_file("images/a.raw", str(base)) == str(base / "images" / "a.raw")
    assert resolve_catalogue_file("./images/../b.raw", str(base)) == str(base / "b.raw")


@pytest.mark.parametrize("name, why", [
    ("../other/a.raw", "climbs out of it with '..'"),
    ("images/../../../outside/a.raw", "climbs out of it with '..'"),
    ("/etc/shadow", "is an absolute path"),
    ("~/.ssh/id_rsa", "is an absolute path"),
])
def test_escapes_are_refused_without_allowed_roots(tree, name, why):
    base = tree / "repo" / "catalogue"
    with pytest.raises(InputError) as error:
        resolve_catalogue_file(name, str(base), where="images[0] (x), version '1'")
    message = error.value.message
    assert message.startswith("images[0] (x), version '1': %s %s; the catalogue's directory is %s." % (name, why, base))
    assert "allowed_file_roots" in message and "GitOps" in message


def test_a_symbolic_link_out_of_the_catalogue_is_refused(tree):
    base = tree / "repo" / "catalogue"
    (base / "images" / "disk.raw").symlink_to("/etc/passwd")
    (base / "linked").symlink_to(tree / "outside")
    for name in ("images/disk.raw", "linked/a.raw"):
        with pytest.raises(InputError, match="leads out of it through a symbolic link"):
            resolve_catalogue_file(name, str(base))


def test_a_symbolic_link_inside_the_catalogue_is_fine(tree):
    base = tree / "repo" / "catalogue"
    (base / "images" / "real.raw").write_bytes(b"x")
    (base / "alias.raw").symlink_to(base / "images" / "real.raw")
    assert resolve_catalogue_file("alias.raw", str(base)) == str(base / "alias.raw")


def test_allowed_roots_admit_absolute_names_and_escapes_into_them_only(tree):
    base = tree / "repo" / "catalogue"
    roots = [str(tree / "outside")]
    assert resolve_catalogue_file(str(tree / "outside" / "a.raw"), str(base), roots) == str(tree / "outside" / "a.raw")
    assert resolve_catalogue_file("../../outside/a.raw", str(base), roots) == str(tree / "outside" / "a.raw")
    for name in ("../other/a.raw", "/etc/shadow", str(tree / "outsider" / "a.raw")):  # a prefix is not a parent
        with pytest.raises(InputError, match="allowed_file_roots"):
            resolve_catalogue_file(name, str(base), roots)


def test_the_catalogue_directory_itself_can_be_a_symbolic_link(tree):
    link = tree / "checkout"
    link.symlink_to(tree / "repo")
    assert resolve_catalogue_file("images/a.raw", str(link / "catalogue")) == \
        os.path.join(os.path.realpath(str(link / "catalogue")), "images", "a.raw")


def test_entries_of_the_playbook_itself_are_restricted_only_by_allowed_roots(tree):
    assert resolve_catalogue_file("/etc/hostname") == "/etc/hostname"
    roots = [str(tree / "outside")]
    assert resolve_catalogue_file(str(tree / "outside" / "a.raw"), None, roots) == str(tree / "outside" / "a.raw")
    with pytest.raises(InputError, match="/etc/hostname is outside the allowed_file_roots"):
        resolve_catalogue_file("/etc/hostname", None, roots)
