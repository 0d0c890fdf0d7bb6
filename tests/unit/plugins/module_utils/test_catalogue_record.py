"""The catalogue's record of what it set on an image: encoding, split over properties, round trip."""

import pytest

from ansible_collections.imagecat.glance.plugins.module_utils._catalogue_record import (
    MAX_VALUE_LENGTH,
    RECORD_PROPERTY,
    Record,
    decode,
    encode,
    is_record_property,
    read_record,
    record_ops,
    record_properties,
    value_digest,
)


def test_a_small_record_is_one_readable_property():
    record = Record(fields={"min_ram": value_digest(64)}, tags={"t2", "t1"}, properties={"os_distro": value_digest("ubuntu")})
    props = record_properties(record)
    assert list(props) == [RECORD_PROPERTY]
    expected = "1;f=min_ram:%s;t=t1,t2;p=os_distro:%s" % (value_digest("64"), value_digest("ubuntu"))
    assert props[RECORD_PROPERTY] == expected
    assert read_record(props) == record


def test_digests_are_short_and_follow_glance_strings():
    assert len(value_digest("x" * 1000)) == 5
    assert value_digest(True) == value_digest("true") != value_digest(False)
    assert value_digest(64) == value_digest("64")


def test_separators_and_percent_in_keys_and_tags_round_trip():
    odd = "a;b,c:d%25e=f"
    record = Record(fields={}, tags={odd, "plain", "ünïcode"}, properties={odd: value_digest("v"), "k": "AAAAA"})
    text = encode(record)
    assert odd not in text
    assert decode(text) == record


def test_a_long_record_is_split_into_properties_of_255_characters_and_read_back():
    record = Record(tags={"tag-%03d-%s" % (n, "x" * 30) for n in range(40)},
                    properties={"key_%03d" % n: value_digest(n) for n in range(60)})
    props = record_properties(record)
    assert len(props) > 3
    assert list(props) == [RECORD_PROPERTY] + ["%s_%d" % (RECORD_PROPERTY, n) for n in range(2, len(props) + 1)]
    assert all(len(value) <= MAX_VALUE_LENGTH for value in props.values())
    assert all(len(value) == MAX_VALUE_LENGTH for value in list(props.values())[:-1])
    image = dict(props, name="x", os_distro="ubuntu")
    assert read_record(image) == record


def test_a_shorter_record_removes_the_chunks_it_no_longer_needs():
    long = Record(properties={"key_%03d" % n: "AAAAA" for n in range(60)})
    image = dict(record_properties(long), id="i")
    short = Record(properties={"a": "BBBBB"})
    ops = record_ops(image, short)
    assert ops[0] == {"op": "replace", "path": "/" + RECORD_PROPERTY, "value": "1;f=;t=;p=a:BBBBB"}
    assert [op["path"] for op in ops[1:]] == ["/%s_%d" % (RECORD_PROPERTY, n) for n in range(2, len(image))]
    assert all(op["op"] == "remove" for op in ops[1:])
    assert record_ops(dict(image, **record_properties(long)), long) == []


def test_no_record_or_an_unreadable_one_reads_as_none():
    assert read_record({"name": "x"}) is None
    assert read_record({RECORD_PROPERTY: "9;f=;t=;p="}) is None
    assert read_record({RECORD_PROPERTY: "1;garbage"}) is None


@pytest.mark.parametrize("key, owned", [
    (RECORD_PROPERTY, True), (RECORD_PROPERTY + "_2", True), (RECORD_PROPERTY + "_17", True),
    (RECORD_PROPERTY + "_1", False), (RECORD_PROPERTY + "_x", False), ("imagecat_catalogue_entry", False),
])
def test_which_properties_are_the_record(key, owned):
    assert is_record_property(key) is owned
