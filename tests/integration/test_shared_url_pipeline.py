"""Two meetings of one group that give one URL (`2019-04-18.md` and `2019.04.18.md`: only the
date's spelling differs; a dated folder beside a file; an undated file whose front matter gives
the date) through the pipeline on moto, against a fresh build of the bucket (decision 103).

Found by the lead at the end of the twelfth session: the one uploaded second got `-2`
(model.free_segment, first come first served) while a fresh build gave `-2` by sorted key, so
deleting the owner of the plain URL left the other at `-2` where a fresh build moved it, and
uploaded against key order the feeds' ids differed at once. Now such meetings are refused as
duplicates, as case twins are (decision 94): publish refuses the upload with duplicate-source
naming every key and the URL, and takes down the page of the meeting published before; deleting
either publishes the other, with no second email. The site equals a fresh build after each
step, in either upload order."""
from __future__ import annotations

import pytest

from tests.conftest import fake_aws_environment
from tests.support.aws import local_stack, outbox
from tests.support.soak import site_differences

BODY = b"# M\n\n- a\n- b\n- c\n"
OTHER = b"# N\n\n- d\n- e\n- f\n"
DASH, DOT = "minutes/g/2019-04-18.md", "minutes/g/2019.04.18.md"
PLAIN = "g/2019-04-18/index.html"

# Pairs of sources that give one URL, each a different way to claim one segment.
TWINS = [
    pytest.param(DASH, DOT, id="date-spelling"),
    pytest.param("minutes/g/20190418.md", "minutes/g/2019/04/18.md", id="digits-and-date-folders"),
    pytest.param("minutes/g/2019-04-18-sync.md", "minutes/g/Sync 2019_04_18.md", id="words-placed"),
    pytest.param("minutes/g/2019-04-18-sync/NOTES.md", "minutes/g/sync/2019-04-18.md", id="folder-and-file"),
    pytest.param("minutes/g/2019-04-18-sync.md", "minutes/g/sync.md", id="front-matter-date"),
    pytest.param("minutes/g/2019-04-18.md", "minutes/g/2019-04-18/NOTES.md", id="file-and-its-folder"),
]


def body_for(key: str, body: bytes = BODY) -> bytes:
    """The sources' bytes: an undated key takes its date from front matter."""
    return body if any(c.isdigit() for c in key) else b"---\ndate: 2019-04-18\n---\n" + body


def differences(order: list[str], deleted: str) -> tuple[list, list]:
    """(site vs fresh build once all are uploaded, and once `deleted` is deleted)."""
    with fake_aws_environment(), local_stack() as stack:
        stack.publish("minutes/base/2024-01-01-base.md", BODY)
        for key in order:
            stack.publish(key, BODY)
            stack.drain()
        uploaded = site_differences(stack)
        stack.invoke_publish(stack.delete_event(deleted))
        stack.drain()
        return uploaded, site_differences(stack)


@pytest.mark.parametrize("order,deleted", [([DASH, DOT], DOT), ([DASH, DOT], DASH),
                                           ([DOT, DASH], DOT), ([DOT, DASH], DASH)])
def test_the_site_equals_a_fresh_build_in_either_order_whichever_is_deleted(order, deleted):
    uploaded, after = differences(order, deleted)
    assert uploaded == [] and after == []


def test_deleting_the_owner_of_the_plain_url_moves_the_other_to_it():
    uploaded, after = differences([DASH, DOT], DASH)
    assert uploaded == [] and after == []


def test_uploaded_against_key_order_the_site_equals_a_fresh_build():
    uploaded, after = differences([DOT, DASH], DOT)
    assert uploaded == [] and after == []


@pytest.mark.parametrize("first,second", TWINS)
@pytest.mark.parametrize("reverse", [False, True], ids=["in-order", "reversed"])
@pytest.mark.parametrize("delete_first", [False, True], ids=["delete-second", "delete-first"])
def test_twins_are_refused_until_one_is_deleted(stack, first, second, reverse, delete_first):
    if reverse:
        first, second = second, first
    assert stack.publish(first, body_for(first))["status"] == "published"
    stack.drain()
    assert site_differences(stack) == []
    refused = stack.publish(second, body_for(second, OTHER))
    stack.drain()
    assert refused["status"] == "rejected"
    assert [p["code"] for p in refused["problems"]] == ["duplicate-source"]
    message = refused["problems"][0]["message"]
    for key in (first, second):   # each named: the file, or a folder meeting's folder
        assert (key.rsplit("/", 1)[0] + "/" if key.endswith("NOTES.md") else key) in message
    assert not any(k.startswith("g/2019-04-18") for k in stack.site_keys())
    assert site_differences(stack) == []

    again = stack.publish(first, body_for(first, BODY.replace(b"- a", b"- again")))   # still two
    stack.drain()
    assert again["status"] == "rejected"
    assert site_differences(stack) == []

    deleted, kept = (first, second) if delete_first else (second, first)
    stack.invoke_publish(stack.delete_event(deleted))
    stack.drain()
    assert any(k.startswith("g/2019-04-18") for k in stack.site_keys())
    assert site_differences(stack) == []
    stack.invoke_publish(stack.delete_event(kept))
    stack.drain()
    assert not any(k.startswith("g/2019-04-18") for k in stack.site_keys())
    assert site_differences(stack) == []


def test_three_keys_with_one_url_are_refused_until_two_are_deleted(stack):
    keys = [DASH, DOT, "minutes/g/20190418.md"]
    for key in keys:
        stack.publish(key, BODY)
        stack.drain()
        assert site_differences(stack) == []
    for key in keys[:2]:
        stack.invoke_publish(stack.delete_event(key))
        stack.drain()
        assert site_differences(stack) == []
    assert PLAIN in stack.site_keys()


@pytest.mark.parametrize("deleted", [DASH, DOT])
def test_deleting_either_twin_sends_no_second_email(stack, deleted):
    stack.subscribe("ada@example.org", ["g"])
    stack.publish(DASH, BODY)
    stack.drain()
    assert len(outbox()) == 1
    stack.publish(DOT, OTHER)
    stack.drain()
    stack.invoke_publish(stack.delete_event(deleted))   # the other takes the URL (back)
    stack.drain()
    kept = b"<h1>N" if deleted == DASH else b"<h1>M"
    assert PLAIN in stack.site_keys() and kept in stack.site_contents()[PLAIN]
    assert site_differences(stack) == []
    assert len(outbox()) == 1
