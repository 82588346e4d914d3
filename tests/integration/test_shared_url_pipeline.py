"""Meetings of one group that give one URL (`2019-04-18.md` and `2019.04.18.md`: only the
date's spelling differs; a dated folder beside a file; an undated file whose front matter gives
the date; a running-notes section of that date) through the pipeline on moto, against a fresh
build of the bucket (decision 110).

Found by the lead at the end of the twelfth session: the one uploaded second got `-2`
(model.free_segment, first come first served) while a fresh build gave `-2` by sorted key.
Decision 103 refused them all; decision 110 publishes each, at the place shared_url.placed
gives by meeting id, whatever the order of arrival: a twin that sorts before one published
moves it to `-2` (page moved, index told), a twin deleted moves the next up. The site equals a
fresh build after each step, in either upload order, and each meeting is emailed once. A file
and a dated folder of its own name are one meeting: refused (meeting.file_and_folder)."""
from __future__ import annotations

import itertools

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
    pytest.param(DASH, "minutes/g/meeting-notes.md", id="running-notes-section"),
]
RUNNING = b"# Notes\n\n## Apr 18, 2019\n\n- x\n- y\n\n## Apr 11, 2019\n\n- z\n"


def body_for(key: str, body: bytes = BODY) -> bytes:
    """The sources' bytes: an undated key takes its date from front matter; meeting-notes.md
    is a running-notes file with a section of that date."""
    if key.endswith("meeting-notes.md"):
        return RUNNING if body == BODY else RUNNING.replace(b"- x", b"- w")
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


def pages(stack) -> list[str]:
    return sorted(k for k in stack.site_keys() if k.startswith("g/2019-04-18") and k.endswith("index.html"))


@pytest.mark.parametrize("first,second", TWINS)
@pytest.mark.parametrize("reverse", [False, True], ids=["in-order", "reversed"])
@pytest.mark.parametrize("delete_first", [False, True], ids=["delete-second", "delete-first"])
def test_twins_are_each_published_in_meeting_order_whatever_came_first(stack, first, second,
                                                                        reverse, delete_first):
    stack.subscribe("ada@example.org", ["g"])
    if reverse:
        first, second = second, first
    assert stack.publish(first, body_for(first))["status"] == "published"
    stack.drain()
    assert site_differences(stack) == []
    both = stack.publish(second, body_for(second, OTHER))
    stack.drain()
    assert both["status"] == "published"
    assert pages(stack) == ["g/2019-04-18-sync-2/index.html", "g/2019-04-18-sync/index.html"] \
        if "sync" in first else ["g/2019-04-18-2/index.html", "g/2019-04-18/index.html"]
    assert site_differences(stack) == []
    emails = 3 if "minutes/g/meeting-notes.md" in (first, second) else 2   # its 2019-04-11 too
    assert len(outbox()) == emails   # one per meeting, whichever moved

    again = stack.publish(first, body_for(first, BODY.replace(b"- a", b"- again")))
    stack.drain()
    assert again["status"] == "published"
    assert site_differences(stack) == []

    deleted, kept = (first, second) if delete_first else (second, first)
    stack.invoke_publish(stack.delete_event(deleted))
    stack.drain()
    assert len(pages(stack)) == 1 and "-2/" not in pages(stack)[0]
    assert site_differences(stack) == []
    stack.invoke_publish(stack.delete_event(kept))
    stack.drain()
    assert site_differences(stack) == []
    assert len(outbox()) == emails


@pytest.mark.parametrize("reverse", [False, True], ids=["in-order", "reversed"])
def test_a_file_and_a_dated_folder_of_its_name_are_one_meeting_refused_until_one_goes(stack, reverse):
    keys = [DASH, "minutes/g/2019-04-18/NOTES.md"][::-1 if reverse else 1]
    stack.publish(keys[0], BODY)
    stack.drain()
    refused = stack.publish(keys[1], OTHER)
    stack.drain()
    assert refused["status"] == "rejected"
    assert [p["code"] for p in refused["problems"]] == ["duplicate-source"]
    assert pages(stack) == []
    assert site_differences(stack) == []
    stack.invoke_publish(stack.delete_event(keys[0]))
    stack.drain()
    assert pages(stack) == ["g/2019-04-18/index.html"]
    assert site_differences(stack) == []


def test_three_twins_move_up_as_the_ones_before_them_are_deleted(stack):
    keys = ["minutes/g/20190418.md", DOT, DASH]   # against meeting order: each moves the others
    for key in keys:
        stack.publish(key, BODY)
        stack.drain()
        assert site_differences(stack) == []
    assert pages(stack) == ["g/2019-04-18-2/index.html", "g/2019-04-18-3/index.html",
                            "g/2019-04-18/index.html"]
    for key in (DASH, DOT):
        stack.invoke_publish(stack.delete_event(key))
        stack.drain()
        assert site_differences(stack) == []
    assert pages(stack) == ["g/2019-04-18/index.html"]


@pytest.mark.parametrize("deleted", [DASH, DOT])
def test_a_moved_twin_keeps_its_feed_id_and_sends_no_second_email(stack, deleted):
    stack.subscribe("ada@example.org", ["g"])
    stack.publish(DOT, OTHER)
    stack.drain()
    stack.publish(DASH, BODY)   # sorts first: DOT moves to -2
    stack.drain()
    atom = stack.site_contents()["g/atom.xml"]
    assert b"g/2019.04.18</id>" in atom and b"g/2019-04-18</id>" in atom   # its key's id, moved or not
    assert b"<h1>N" in stack.site_contents()["g/2019-04-18-2/index.html"]
    assert len(outbox()) == 2
    stack.invoke_publish(stack.delete_event(deleted))
    stack.drain()
    kept = b"<h1>N" if deleted == DASH else b"<h1>M"
    assert PLAIN in stack.site_contents() and kept in stack.site_contents()[PLAIN]
    assert site_differences(stack) == []
    assert len(outbox()) == 2
    assert (b"g/2019.04.18</id>" if deleted == DASH else b"g/2019-04-18</id>") \
        in stack.site_contents()["g/atom.xml"]


# A twin's `-n` that is another meeting's own URL segment (decision 117): the meeting wanting
# `2024-01-05-2` as its own keeps it whatever came first; the twin skips to `-3`, and moves
# back to `-2` once that meeting is gone, as a fresh build places them.
OWN_DASH_N = {
    "after": ["minutes/g/2024-01-05.md", "minutes/g/2024.01.05.md", "minutes/g/2024-01-05-2.md"],
    "before": ["minutes/g/2024-01-05.md", "minutes/g/2024-01-05-.md", "minutes/g/2024-01-05-2.md"],
    "sections": ["minutes/g/2024-01-05.md", "minutes/g/notes.md"],
}
TWO_SECTIONS = b"# Notes\n\n## 2024-01-05\n\n- a\n- b\n\n## 2024-01-05\n\n- c\n- d\n"


ORDERS = [(kind, order) for kind, sources in OWN_DASH_N.items()
          for order in itertools.permutations(range(len(sources)))]


@pytest.mark.parametrize("kind,order", ORDERS, ids=[f"{k}-{''.join(map(str, o))}" for k, o in ORDERS])
def test_a_twin_skips_a_dash_n_another_meeting_has_as_its_own_whatever_the_order(stack, kind, order):
    keys = [OWN_DASH_N[kind][n] for n in order]
    for key in keys:
        assert stack.publish(key, TWO_SECTIONS if key.endswith("notes.md") else BODY)["status"] == "published"
        stack.drain()
        assert site_differences(stack) == [], f"after {key}"
    for key in keys:
        stack.invoke_publish(stack.delete_event(key))
        stack.drain()
        assert site_differences(stack) == [], f"after deleting {key}"
