"""A folder meeting with one rejected document (decision 94): the pipeline and a fresh build
both publish the rest with a warning naming it; the upload of the bad document is rejected and
changes nothing; a later good upload of the minutes is published, not refused for it."""
import pytest

from tests.support.soak import site_differences

FOLDER = "minutes/openxla/2022-10-18-community/"
NOTES = b"# Community\n\n- Notes on the roadmap.\n- More notes.\n- And more.\n"
PAGE = "openxla/2022-10-18-community/index.html"
BAD = {"binary": b"\x00\x01\x02binary" * 10,
       "not-a-character": b"---\ntitle: \"\\ud800\"\n---\n# A\n- x\n",
       "too-large": b"# Agenda\n\n" + b"- item\n" * 200_000}


@pytest.mark.parametrize("code", sorted(BAD))
def test_bad_agenda_is_left_out_and_notes_still_publish(stack, code):
    assert stack.publish(FOLDER + "NOTES.md", NOTES)["status"] == "published"
    stack.drain()
    site_before = stack.site_contents()
    bad = stack.publish(FOLDER + "agenda.md", BAD[code])
    stack.drain()
    assert bad["status"] == "rejected"
    assert [(p["code"], p["severity"], p["file"]) for p in bad["problems"]] == \
        [(code, "error", FOLDER + "agenda.md")]
    assert stack.site_contents() == site_before    # a rejected upload changes nothing
    assert site_differences(stack) == []

    again = stack.publish(FOLDER + "NOTES.md", NOTES.replace(b"roadmap", b"new roadmap"))
    stack.drain()
    assert again["status"] == "published"
    assert [(p["code"], p["severity"]) for p in again["problems"]] == [(code, "warning")]
    assert again["problems"][0]["file"] == FOLDER + "agenda.md"
    assert again["problems"][0]["message"].startswith("Left out of the meeting's page")
    assert "new roadmap" in stack.site_text(PAGE)
    assert site_differences(stack) == []


def test_bad_minutes_still_reject_the_meeting(stack):
    """The minutes themselves are never left out: published minutes would become an
    upcoming meeting (the agenda's)."""
    assert stack.publish(FOLDER + "agenda.md", b"# Agenda\n\n- roadmap\n")["status"] == "upcoming"
    stack.drain()
    bad = stack.publish(FOLDER + "NOTES.md", BAD["binary"])
    assert bad["status"] == "rejected"
    assert [p["code"] for p in bad["problems"]] == ["binary"]
