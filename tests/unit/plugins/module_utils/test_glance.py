import pytest

from ansible_collections.imagecat.glance.plugins.module_utils._glance import (
    GlanceClient,
    GlanceError,
    backoff_delays,
    clean_error_message,
    image_api_root,
    parse_version,
    _VERSION_CACHE,
)
from fakes import FakeResponse, FakeSession, scripted


class Boom(Exception):
    """Stands in for keystoneauth1's ConnectionError."""


def make_client(responder, retries=3):
    sleeps = []
    session = FakeSession(responder)
    client = GlanceClient(session, "http://glance.test:9292/v2/", retries=retries,
                          sleep=sleeps.append, connection_errors=(Boom,))
    return client, session, sleeps


def test_endpoint_root_drops_version_suffix():
    assert image_api_root("http://h:9292/v2/") == "http://h:9292"
    assert image_api_root("http://h/image/v2.1") == "http://h/image"
    assert image_api_root("http://h/image/") == "http://h/image"


def test_every_request_asks_for_json():
    client, session, dummy_sleeps = make_client(scripted(FakeResponse(200, {"images": []})))
    client.get_json("/v2/images")
    method, url, kwargs = session.calls[0]
    assert (method, url) == ("GET", "http://glance.test:9292/v2/images")
    assert kwargs["headers"]["Accept"] == "application/json"
    assert kwargs["raise_exc"] is False


def test_error_carries_status_message_and_request_id():
    body = {"message": "Image 42 not found<br /><br />\n\n", "code": "404 Not Found", "title": "Not Found"}
    client = make_client(scripted(FakeResponse(404, body, {"x-openstack-request-id": "req-1"})))[0]
    with pytest.raises(GlanceError) as caught:
        client.get_json("/v2/images/42")
    error = caught.value
    assert error.status == 404
    assert error.request_id == "req-1"
    assert error.message.endswith("HTTP 404: Image 42 not found")
    assert "<br" not in error.message


def test_non_json_error_body_is_used_as_text():
    client = make_client(scripted(FakeResponse(502, text="<html>Bad Gateway</html>")), retries=0)[0]
    with pytest.raises(GlanceError) as caught:
        client.get_json("/v2/images")
    assert caught.value.status == 502
    assert "Bad Gateway" in caught.value.message


def test_idempotent_get_is_retried_on_5xx_and_connection_errors():
    client, session, sleeps = make_client(scripted(
        FakeResponse(503, {"message": "busy"}), Boom("reset"), FakeResponse(200, {"ok": 1})))
    assert client.get_json("/v2/images") == {"ok": 1}
    assert len(session.calls) == 3
    assert len(sleeps) == 2


def test_retries_are_bounded():
    client, session, sleeps = make_client(lambda *args: FakeResponse(500, {"message": "x"}), retries=2)
    with pytest.raises(GlanceError) as caught:
        client.get_json("/v2/images")
    assert caught.value.status == 500
    assert len(session.calls) == 3
    assert len(sleeps) == 2


def test_post_and_patch_are_not_retried_unless_the_caller_says_so():
    for method in ("POST", "PATCH"):
        client, session, sleeps = make_client(lambda *args: FakeResponse(503, {"message": "x"}))
        with pytest.raises(GlanceError):
            client.request(method, "/v2/images", json_body={})
        assert len(session.calls) == 1, method
        assert sleeps == []


def test_connection_error_after_retries_names_the_endpoint():
    client, session, dummy_sleeps = make_client(lambda *args: Boom("Connection refused"), retries=1)
    with pytest.raises(GlanceError) as caught:
        client.get_json("/v2/images")
    assert "cannot reach the Image service at http://glance.test:9292" in caught.value.message
    assert "Connection refused" in caught.value.message
    assert len(session.calls) == 2


def test_backoff_is_capped_and_jittered():
    assert backoff_delays(6, base=0.5, cap=4.0, rng=lambda: 1.0) == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    assert backoff_delays(3, rng=lambda: 0.0) == [0.0, 0.0, 0.0]


def test_pagination_rebuilds_repeated_parameters_from_our_query():
    pages = [
        FakeResponse(200, {"images": [{"id": "a"}, {"id": "b"}], "next": "/v2/images?tag=y&limit=2&marker=b"}),
        FakeResponse(200, {"images": [{"id": "c"}, {"id": "d"}], "next": "/v2/images?tag=y&limit=2&marker=d"}),
        FakeResponse(200, {"images": []}),
    ]
    client, session, dummy_sleeps = make_client(scripted(*pages))
    items = list(client.paginate("/v2/images", "images", params=[("tag", "x"), ("tag", "y")], page_size=2))
    assert [i["id"] for i in items] == ["a", "b", "c", "d"]
    queries = [call[2]["params"] for call in session.calls]
    assert queries[0] == [("tag", "x"), ("tag", "y"), ("limit", "2")]
    assert queries[1] == [("tag", "x"), ("tag", "y"), ("limit", "2"), ("marker", "b")]
    assert queries[2][-1] == ("marker", "d")
    # every request goes to our endpoint, never to the link as given
    assert all(call[1] == "http://glance.test:9292/v2/images" for call in session.calls)


def test_pagination_fails_on_a_repeated_marker():
    pages = iter([FakeResponse(200, {"images": [{"id": "a"}], "next": "/v2/images?marker=a"}),
                  FakeResponse(200, {"images": [{"id": "b"}], "next": "/v2/images?marker=a"})])
    client, session, dummy_sleeps = make_client(lambda *args: next(pages))
    seen = []
    with pytest.raises(GlanceError, match="sent the marker a again after page 2: its pagination loops"):
        for item in client.paginate("/v2/images", "images"):
            seen.append(item["id"])
    assert seen == ["a", "b"]
    assert len(session.calls) == 2


def test_pagination_fails_when_a_page_repeats_only_listed_items():
    page = FakeResponse(200, {"images": [{"id": "a"}], "next": "/v2/images?marker=new"})
    client, session, dummy_sleeps = make_client(lambda *args: page)
    with pytest.raises(GlanceError, match="page 2 lists only items that earlier pages listed"):
        list(client.paginate("/v2/images", "images"))
    assert len(session.calls) == 2


def test_pagination_lists_an_item_that_moved_behind_the_marker_once():
    pages = iter([FakeResponse(200, {"images": [{"id": "a"}, {"id": "b"}], "next": "/v2/images?marker=b"}),
                  FakeResponse(200, {"images": [{"id": "a"}, {"id": "c"}]})])
    client, session, dummy_sleeps = make_client(lambda *args: next(pages))
    assert [i["id"] for i in client.paginate("/v2/images", "images")] == ["a", "b", "c"]


def test_pagination_is_bounded_by_a_page_limit():
    counter = iter(range(100))

    def endless(*args):  # a new marker and new items on every page, forever
        number = next(counter)
        return FakeResponse(200, {"images": [{"id": "i%d" % number}], "next": "/v2/images?marker=i%d" % number})
    client, session, dummy_sleeps = make_client(endless)
    with pytest.raises(GlanceError, match="stopped after 5 pages \\(5 items\\) without reaching the last page"):
        list(client.paginate("/v2/images", "images", max_pages=5))
    assert len(session.calls) == 5


def test_the_page_limit_allows_exactly_that_many_pages():
    pages = iter([FakeResponse(200, {"images": [{"id": "a"}], "next": "/v2/images?marker=a"}),
                  FakeResponse(200, {"images": [{"id": "b"}]})])
    client, session, dummy_sleeps = make_client(lambda *args: next(pages))
    assert [i["id"] for i in client.paginate("/v2/images", "images", max_pages=2)] == ["a", "b"]


def test_versions_are_discovered_once_per_endpoint():
    _VERSION_CACHE.clear()
    doc = {"versions": [{"id": "v2.9", "status": "SUPPORTED"}, {"id": "v2.18", "status": "CURRENT"},
                        {"id": "v2.17", "status": "SUPPORTED"}, {"id": "v2.14", "status": "SUPPORTED"}]}
    client, session, dummy_sleeps = make_client(lambda *args: FakeResponse(300, doc))
    assert client.current_version() == "2.18"
    assert client.has_version("2.14") and not client.has_version("2.8")
    assert client.supports("2.6") and not client.supports("2.19")
    other, other_session = make_client(lambda *args: FakeResponse(300, doc))[:2]
    other.current_version()
    assert len(session.calls) + len(other_session.calls) == 1
    _VERSION_CACHE.clear()


def test_parse_version_sorts_numerically():
    ids = ["v2.15", "v2.9", "v2.17", "v2.7", "v2.10"]
    assert max(ids, key=parse_version) == "v2.17"
    assert parse_version("garbage") == (0, 0)


def test_clean_error_message():
    assert clean_error_message("a<br /><br />\nb\n\n") == "a b"


def test_requests_are_counted_by_method_retries_included():
    client = make_client(scripted(FakeResponse(503, text="busy"), FakeResponse(200, {"images": []}),
                                  FakeResponse(200, [])))[0]
    client.get_json("/v2/images")
    client.request("PATCH", "/v2/images/1", json_body=[], expected=(200,))
    assert client.request_counts == {"GET": 2, "PATCH": 1}


def test_giving_up_says_so_and_marks_the_error_as_replayed():
    client, session, dummy_sleeps = make_client(lambda *args: FakeResponse(503, {"message": "busy"}), retries=3)
    with pytest.raises(GlanceError) as caught:
        client.get_json("/v2/images")
    assert caught.value.message.endswith("busy (gave up after 3 retries)")
    assert caught.value.replayed is True
    client, session, dummy_sleeps = make_client(scripted(FakeResponse(404, {"message": "gone"})))
    with pytest.raises(GlanceError) as caught:
        client.get_json("/v2/images/x")
    assert caught.value.replayed is False and "gave up" not in caught.value.message


def test_failures_no_retry_can_mend_are_not_retried():
    sleeps = []
    session = FakeSession(lambda *args: Boom("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"))
    client = GlanceClient(session, "https://glance.test:9292", sleep=sleeps.append, connection_errors=(Boom,),
                          describe_error=lambda exc, url: "TLS of %s: %s" % (url, exc) if "SSL" in str(exc) else None)
    with pytest.raises(GlanceError) as caught:
        client.get_json("/v2/images")
    assert caught.value.message.startswith("GET https://glance.test:9292/v2/images failed: TLS of https://glance.test:9292")
    assert len(session.calls) == 1 and sleeps == []
