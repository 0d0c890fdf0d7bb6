"""imagecat.glance.image_import (ImageImportModule): bad input is refused before any request."""

import pytest

from ansible_collections.imagecat.glance.plugins.modules.image_import import ImageImportModule


@pytest.mark.parametrize("args, says", [
    ({"method": "web-download", "uri": "file:///etc/passwd"}, "uri: 'file:///etc/passwd' is not an http or https URL"),
    ({"method": "web-download", "uri": "https://e.test/x", "timeout": 0}, "timeout: give a number of seconds"),
    ({"method": "glance-direct", "filename": "EMPTY"}, "is empty (0 bytes)"),
    ({"method": "glance-direct"}, "filename: method glance-direct needs filename"),
])
def test_bad_input_fails_before_any_request(glance, tmp_path, args, says):
    empty = tmp_path / "empty.raw"
    empty.write_bytes(b"")
    args = dict(args, name="x", cloud="demo", disk_format="raw", container_format="bare")
    if args.get("filename") == "EMPTY":
        args["filename"] = str(empty)
    result = ImageImportModule.run_in_controller("image_import", args)
    assert result["failed"] is True
    assert says in result["msg"]
    assert glance.requests == []
