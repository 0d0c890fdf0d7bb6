"""imagecat.glance.image_download (ImageDownloadModule) inside the controller: one download, then none;
file attributes by AnsibleModule's own helpers; check mode writes nothing."""

import os
from urllib.parse import urlsplit

from fakes import FakeResponse, FakeSession, connect_modules_to
from test_download import IMAGE_ID, image, serving

from ansible_collections.imagecat.glance.plugins.modules.image_download import ImageDownloadModule


def module_run(monkeypatch, tmp_path, args, check_mode=False):
    data_requests = []
    responder, asked = serving()

    def respond(method, url, kwargs):
        path = urlsplit(url).path
        if path == "/":
            return FakeResponse(300, {"versions": [{"id": "v2.17", "status": "CURRENT"}]})
        if path == "/v2/images/%s" % IMAGE_ID:
            return FakeResponse(200, image())
        data_requests.append(path)
        return responder(method, url, kwargs)
    connect_modules_to(monkeypatch, FakeSession(respond))
    args = dict(dict(image=IMAGE_ID, dest=str(tmp_path / "x.img"), hash_cache=str(tmp_path / "digests.json")), **args)
    result = ImageDownloadModule.run_in_controller("image_download", dict(args, cloud="t"), check_mode=check_mode,
                                                   diff=True)
    return result, data_requests


def test_the_module_downloads_once_and_sets_the_mode(monkeypatch, tmp_path):
    checked, requests = module_run(monkeypatch, tmp_path, {"mode": "0600"}, check_mode=True)
    assert checked["changed"] is True and requests == [] and os.listdir(str(tmp_path)) == []
    done, requests = module_run(monkeypatch, tmp_path, {"mode": "0600"})
    assert done["changed"] is True and len(requests) == 1
    assert oct(os.stat(str(tmp_path / "x.img")).st_mode & 0o777) == "0o600"
    again, requests = module_run(monkeypatch, tmp_path, {"mode": "0600"})
    assert again["changed"] is False and requests == []
    symbolic, requests = module_run(monkeypatch, tmp_path, {"mode": "u=rw,g=r,o="})
    assert symbolic["changed"] is True and requests == []
    assert symbolic["diff"]["before"]["mode"] == "0600" and symbolic["diff"]["after"]["mode"] == "0640"
    bad, requests = module_run(monkeypatch, tmp_path, {"mode": "u=banana"})
    assert bad["failed"] is True and "mode must be in octal or symbolic form" in bad["msg"]
    owner, requests = module_run(monkeypatch, tmp_path, {"owner": "no-such-user-here"})
    assert owner["failed"] is True and "chown failed: failed to look up user no-such-user-here" in owner["msg"]
