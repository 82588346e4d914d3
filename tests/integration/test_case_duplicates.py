"""Two keys of one document whose names differ only in case (ok.md and ok.MD; NOTES.md and
NOTES.MD in a folder): a fresh build publishes neither (duplicate-source, decision 88), so
the pipeline refuses the upload with that code and takes the meeting's page down; deleting
either key publishes the other (decision 94). The site equals a fresh build after each step."""
import pytest

from tests.support.soak import site_differences

FIRST = b"---\ntitle: First\n---\n# First\n\n- Notes on the roadmap.\n- More notes here.\n- And more.\n"
SECOND = b"---\ntitle: Second\n---\n# Second\n\n- Other notes.\n- More notes here.\n- And more.\n"
FOLDER = "minutes/openxla/2022-10-18-community/"


@pytest.mark.parametrize("keep,other", [
    ("minutes/openxla/2024-01-01-ok.md", "minutes/openxla/2024-01-01-ok.MD"),
    (FOLDER + "NOTES.md", FOLDER + "NOTES.MD")])
def test_case_duplicate_is_refused_until_one_is_deleted(stack, keep, other):
    page = ("openxla/2024-01-01-ok/index.html" if keep.endswith("ok.md")
            else "openxla/2022-10-18-community/index.html")
    assert stack.publish(keep, FIRST)["status"] == "published"
    stack.drain()
    dup = stack.publish(other, SECOND)
    stack.drain()
    assert dup["status"] == "rejected"
    assert [p["code"] for p in dup["problems"]] == ["duplicate-source"]
    assert "delete the other" in dup["problems"][0]["hint"]
    assert page not in stack.site_keys()
    assert site_differences(stack) == []

    again = stack.publish(keep, FIRST.replace(b"roadmap", b"new roadmap"))   # still two
    stack.drain()
    assert again["status"] == "rejected"
    assert site_differences(stack) == []

    gone = stack.invoke_publish(stack.delete_event(other))
    stack.drain()
    assert gone["status"] == "published"
    assert "new roadmap" in stack.site_text(page)
    assert site_differences(stack) == []
