import gzip
import hashlib
import json
import lzma

import pytest

from ansible_collections.imagecat.glance.plugins.module_utils import _publish
from ansible_collections.imagecat.glance.plugins.module_utils._glance import GlanceClient, GlanceError
from ansible_collections.imagecat.glance.plugins.module_utils._images import is_uuid, named_image_ids
from ansible_collections.imagecat.glance.plugins.module_utils._publish import (
    STAGED_FOR,
    Publisher,
    publish_ops,
    replace_ids,
    staged_body,
    staging_name,
)
from fakes import FakeResponse, FakeSession

ME, OTHER = "p1", "p2"


class Glance:
    """Images by id; POST answers 409 for an existing id (``None``: an id of a deleted image)."""

    def __init__(self, existing=None, created_at="2026-01-01T00:00:00Z"):
        self.images = dict(existing or {})
        self.created_at = created_at
        self.session = FakeSession(self.respond)
        self.client = GlanceClient(self.session, "http://g:9292")

    def respond(self, method, url, kwargs):
        path = url.split("9292", 1)[1]
        if method == "POST" and path == "/v2/images":
            body = json.loads(kwargs["data"])
            if body["id"] in self.images:
                return FakeResponse(409, {"message": "conflict"})
            image = dict(body, owner=ME, status="queued", created_at=self.created_at)
            self.images[body["id"]] = image
            return FakeResponse(201, image)
        if method == "GET" and path.startswith("/v2/images/"):
            image = self.images.get(path.rsplit("/", 1)[1])
            return FakeResponse(200, image) if image else FakeResponse(404, {"message": "gone"})
        if method == "DELETE":
            return FakeResponse(204) if self.images.pop(path.rsplit("/", 1)[1], None) else FakeResponse(404, {})
        raise AssertionError("unexpected %s %s" % (method, path))

    def methods(self):
        return [call[0] for call in self.session.calls]


def publisher(glance, warnings):
    return Publisher(glance.client, ME, warnings.append, timeout=5)


def test_a_create_uses_the_first_deterministic_id():
    glance, warnings = Glance(), []
    ids = named_image_ids(ME, "ubuntu")
    image, made_here = publisher(glance, warnings).create({"name": "ubuntu"}, ids, {"name": "ubuntu"})
    assert (image["id"], made_here, warnings) == (ids[0], True, [])
    assert glance.methods() == ["POST"]


def test_a_concurrent_create_of_our_own_image_is_adopted():
    ids = named_image_ids(ME, "ubuntu")
    ours = {"id": ids[0], "name": "ubuntu", "owner": ME, "status": "queued"}
    glance, warnings = Glance({ids[0]: ours}), []
    image, made_here = publisher(glance, warnings).create({"name": "ubuntu"}, ids, {"name": "ubuntu"})
    assert (image, made_here, warnings) == (ours, False, [])


def test_an_adopted_image_is_read_again_until_the_tags_its_creator_stores_just_after_it_show():
    """Glance stores a new image's tags in a second transaction: a 409 may be read in between."""
    ids = named_image_ids(ME, "ubuntu")
    glance, warnings = Glance({ids[0]: {"id": ids[0], "name": "ubuntu", "owner": ME, "tags": []}}), []
    reads = []

    def respond(method, url, kwargs):
        if method == "GET":
            reads.append(url)
            if len(reads) == 2:
                glance.images[ids[0]]["tags"] = ["managed", "ubuntu"]
        return Glance.respond(glance, method, url, kwargs)
    glance.session.responder = respond
    image, made_here = publisher(glance, warnings).create({"name": "ubuntu", "tags": ["managed", "ubuntu"]},
                                                          ids, {"name": "ubuntu"})
    assert (image["tags"], made_here, warnings) == (["managed", "ubuntu"], False, [])
    assert glance.methods() == ["POST", "GET", "GET"]


def test_an_adopted_image_whose_tags_never_show_gets_them(monkeypatch):
    monkeypatch.setattr(_publish, "TAGS_WAIT", 0.2)
    ids = named_image_ids(ME, "ubuntu")
    glance = Glance({ids[0]: {"id": ids[0], "name": "ubuntu", "owner": ME, "tags": ["ubuntu"]}})
    patches = []

    def respond(method, url, kwargs):
        if method == "PATCH":
            patches.append(json.loads(kwargs["data"]))
            glance.images[ids[0]]["tags"] = patches[-1][0]["value"]
            return FakeResponse(200, glance.images[ids[0]])
        return Glance.respond(glance, method, url, kwargs)
    glance.session.responder = respond
    publisher_ = Publisher(glance.client, ME, print, timeout=5)
    image, made_here = publisher_.create({"name": "ubuntu", "tags": ["managed", "ubuntu"]}, ids, {"name": "ubuntu"})
    assert patches == [[{"op": "replace", "path": "/tags", "value": ["ubuntu", "managed"]}]]
    assert (sorted(image["tags"]), made_here) == (["managed", "ubuntu"], False)


def test_a_create_replayed_after_a_503_that_landed_is_made_here():
    """The first POST created the image but was answered 503: the replay meets 409, and this run made it."""
    ids = named_image_ids(ME, "ubuntu")
    landed = {"id": ids[0], "name": "ubuntu", "owner": ME, "status": "queued"}
    answers = [FakeResponse(503, {"message": "busy"}), FakeResponse(409, {"message": "exists"}),
               FakeResponse(200, landed)]
    session = FakeSession(lambda method, url, kwargs: answers.pop(0))
    client = GlanceClient(session, "http://g:9292", sleep=lambda seconds: None)
    image, made_here = Publisher(client, ME, print).create({"name": "ubuntu"}, ids, {"name": "ubuntu"})
    assert (image, made_here) == (landed, True)
    assert [call[0] for call in session.calls] == ["POST", "POST", "GET"]


def test_a_marker_may_list_alternatives():
    """A concurrent replace that already published its image: the plain name and the data, no staging marker."""
    ids = named_image_ids(ME, "ubuntu")
    published = {"id": ids[0], "name": "ubuntu", "owner": ME, "status": "active", "os_hash_value": "d"}
    glance, warnings = Glance({ids[0]: published}), []
    marker = [{"imagecat_staged_for": "ubuntu"}, {"name": "ubuntu", "os_hash_value": "d"}]
    image, made_here = publisher(glance, warnings).create({"name": "x"}, ids, marker)
    assert (image, made_here, warnings) == (published, False, [])
    # Other data under that name is not this replacement: the next id.
    glance = Glance({ids[0]: dict(published, os_hash_value="other")})
    image, made_here = publisher(glance, []).create({"name": "x"}, ids, marker)
    assert (image["id"], made_here) == (ids[1], True)


def test_ids_of_deleted_or_renamed_own_images_are_skipped_without_a_warning():
    ids = named_image_ids(ME, "ubuntu")
    renamed = {"id": ids[1], "name": "ubuntu-old", "owner": ME}
    glance, warnings = Glance({ids[0]: None, ids[1]: renamed}), []
    image, made_here = publisher(glance, warnings).create({"name": "ubuntu"}, ids, {"name": "ubuntu"})
    assert (image["id"], made_here, warnings) == (ids[2], True, [])
    assert glance.methods() == ["POST", "GET", "POST", "GET", "POST"]


def test_another_projects_image_under_our_id_is_never_adopted():
    ids = named_image_ids(ME, "ubuntu")
    squatter = {"id": ids[0], "name": "ubuntu", "owner": OTHER, "visibility": "community"}
    glance, warnings = Glance({ids[0]: squatter}), []
    image, made_here = publisher(glance, warnings).create({"name": "ubuntu"}, ids, {"name": "ubuntu"},
                                                          siblings=lambda: [])
    assert made_here is True
    assert image["id"] not in ids and is_uuid(image["id"])
    assert image["owner"] == ME
    assert glance.images[ids[0]] == squatter
    assert len(warnings) == 1 and OTHER in warnings[0] and ids[0] in warnings[0]


def test_when_every_id_is_taken_the_run_still_gets_an_image():
    ids = named_image_ids(ME, "ubuntu", attempts=3)
    glance, warnings = Glance({image_id: None for image_id in ids}), []
    image, made_here = publisher(glance, warnings).create({"name": "ubuntu"}, ids, {"name": "ubuntu"})
    assert made_here is True and image["id"] not in ids
    assert len(warnings) == 1 and "first 3 ids" in warnings[0]


def test_two_runs_that_met_a_squatter_keep_the_image_made_first():
    ids = named_image_ids(ME, "ubuntu", attempts=1)
    squatter = {"id": ids[0], "name": "ubuntu", "owner": OTHER}
    earlier = {"id": "00000000-0000-4000-8000-000000000000", "name": "ubuntu", "owner": ME,
               "status": "queued", "created_at": "2025-12-31T23:59:59Z"}
    glance, warnings = Glance({ids[0]: squatter, earlier["id"]: earlier}), []
    made = []
    image, made_here = publisher(glance, warnings).create(
        {"name": "ubuntu"}, ids, {"name": "ubuntu"},
        siblings=lambda: made.append(1) or [i for i in glance.images.values() if i and i.get("owner") == ME])
    assert (image, made_here) == (earlier, False)
    assert made == [1]
    # The image this run made was deleted again: one image of ours is left.
    assert [i["id"] for i in glance.images.values() if i and i.get("owner") == ME] == [earlier["id"]]


def test_replace_ids_depend_on_project_name_and_data():
    first = list(replace_ids(ME, "x", "d1", attempts=2))
    assert first == list(replace_ids(ME, "x", "d1", attempts=2))
    assert len(set(first) | set(replace_ids(OTHER, "x", "d1", 1)) | set(replace_ids(ME, "x", "d2", 1))) == 4


def test_a_staged_body_is_hidden_marked_and_named_apart():
    body = staged_body({"name": "x", "disk_format": "raw"}, "x", "abcdef0123456789")
    assert body == {"name": "x (imagecat staging abcdef012345)", "disk_format": "raw", "os_hidden": True,
                    STAGED_FOR: "x"}
    assert len(staging_name("n" * 300, "abc")) == 255


def test_publishing_takes_the_name_and_drops_the_marker():
    staged = {"name": staging_name("x", "k"), "os_hidden": True, STAGED_FOR: "x"}
    assert publish_ops(staged, "x", False) == [
        {"op": "replace", "path": "/name", "value": "x"},
        {"op": "replace", "path": "/os_hidden", "value": False},
        {"op": "remove", "path": "/" + STAGED_FOR}]
    assert publish_ops({"name": "x", "os_hidden": False}, "x", False) == []


@pytest.mark.parametrize("sent, checksum, says", [
    ({"sha512": "bad"}, None, "but bad was sent"),
    ({"sha512": "good"}, ("sha256", "want"), "has sha256 got, not the expected want"),
])
def test_verify_compares_what_was_sent_and_the_declared_checksum(sent, checksum, says):
    image = {"id": "i", "status": "active", "os_hash_algo": "sha512", "os_hash_value": "good"}
    sent = dict(sent, sha256="got")
    with pytest.raises(GlanceError) as caught:
        Publisher(None, ME, print).verify(image, sent, checksum)
    assert says in caught.value.message


def test_verify_accepts_matching_data():
    image = {"id": "i", "status": "active", "os_hash_algo": "sha512", "os_hash_value": "good", "checksum": "m"}
    Publisher(None, ME, print).verify(image, {"sha512": "good"}, ("md5", "m"))


def test_a_failed_delete_of_an_incomplete_image_warns_and_keeps_it():
    def refuse(method, url, kwargs):
        return FakeResponse(403, {"message": "no"})
    warnings = []
    staged = {"id": "i", "name": staging_name("x", "k"), STAGED_FOR: "x"}
    pub = Publisher(GlanceClient(FakeSession(refuse), "http://g:9292"), ME, warnings.append)
    assert pub.discard(staged) is False
    assert "stays hidden under its staging name" in warnings[0]


class Uploads(Glance):
    """Glance that takes uploads: a PUT consumes its body (chunks) and the image becomes active with the
    sha512 of what arrived; a body that fails half-way leaves the image queued with traces."""

    def respond(self, method, url, kwargs):
        path = url.split("9292", 1)[1]
        if method == "PUT" and path.endswith("/file"):
            image = self.images[path.split("/")[3]]
            self.headers = kwargs["headers"]
            received = hashlib.sha512()
            size = 0
            for chunk in kwargs["data"]:
                received.update(chunk)
                size += len(chunk)
            image.update(status="active", os_hash_algo="sha512", os_hash_value=received.hexdigest(), size=size)
            return FakeResponse(204)
        return super().respond(method, url, kwargs)


def test_a_compressed_file_is_uploaded_decompressed_and_verified(tmp_path):
    data = b"disk " * 300000
    packed = tmp_path / "disk.raw.xz"
    packed.write_bytes(lzma.compress(data))
    glance = Uploads()
    pub = publisher(glance, [])
    image, dummy = pub.create({"name": "x"}, ["i1"], {"name": "x"})
    image = pub.put_data(image, {"kind": "transfer", "filename": str(packed), "checksum": None})
    assert image["status"] == "active" and image["size"] == len(data)
    assert image["os_hash_value"] == hashlib.sha512(data).hexdigest()
    # Chunked: the decompressed size is not known beforehand.
    assert "x-openstack-image-size" not in glance.headers
    assert pub.bytes_sent == len(data)


def test_a_source_that_fails_its_checksum_deletes_the_image_this_run_made(tmp_path):
    packed = tmp_path / "disk.raw.gz"
    packed.write_bytes(gzip.compress(b"x" * 3000000))

    class Aborting(Uploads):
        def respond(self, method, url, kwargs):
            if method == "PUT":
                try:
                    for dummy in kwargs["data"]:
                        pass
                except GlanceError:
                    raise  # what requests does: the body iterator's error ends the request
            return super().respond(method, url, kwargs)
    glance = Aborting()
    pub = publisher(glance, [])
    image, dummy = pub.create({"name": "x"}, ["i1"], {"name": "x"})
    with pytest.raises(GlanceError, match="disk.raw.gz: checksum: the data read has sha256 .* not the expected 0{64}"):
        pub.put_data(image, {"kind": "transfer", "filename": str(packed), "checksum": ("sha256", "0" * 64)},
                     made_here=True)
    assert glance.images == {}
    assert glance.methods()[:2] == ["POST", "PUT"] and glance.methods()[-1] == "DELETE"
