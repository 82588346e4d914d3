"""Two keys that give one URL (`2019-04-18.md` and `2019.04.18.md`: only the date's spelling
differs) through the pipeline on moto, against a fresh build of the bucket. Found by the lead at
the end of the twelfth session; not fixed yet, so each case is a strict expected failure that
says what differs (the next person: make them pass and drop the marks).

- The one uploaded second gets `-2` in the pipeline (model.free_segment: who claimed the URL
  first); a fresh build gives `-2` by sorted key ('-' sorts before '.'). Uploaded in that same
  order the two agree, until the owner of the plain URL is deleted: a fresh build moves the other
  to the plain URL, the pipeline leaves it at `-2`.
- Uploaded the other way round, the feeds' ids differ at once: the pipeline keeps the id of the
  URL the dotted file claimed first, a fresh build mints it from the URL it now gets.
The design choice is the owners' (decision 100 has the same conflict for a date moved to another
year): a URL and feed id that never change, or a site that equals a fresh build."""
from __future__ import annotations

import pytest

from tests.conftest import fake_aws_environment
from tests.support.aws import local_stack
from tests.support.soak import site_differences

BODY = b"# M\n\n- a\n- b\n- c\n"
DASH, DOT = "minutes/g/2019-04-18.md", "minutes/g/2019.04.18.md"


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


def test_in_key_order_the_two_agree_once_uploaded():
    uploaded, _ = differences([DASH, DOT], DOT)
    assert uploaded == []


@pytest.mark.xfail(strict=True, reason="the pipeline leaves the other meeting at -2 when the "
                   "owner of the plain URL is deleted; a fresh build gives it the plain URL")
def test_deleting_the_owner_of_the_plain_url_moves_the_other_to_it():
    uploaded, after = differences([DASH, DOT], DASH)
    assert uploaded == [] and after == []


@pytest.mark.xfail(strict=True, reason="uploaded against key order, the feeds' ids are those of "
                   "the URL each file claimed first, not those a fresh build mints")
def test_uploaded_against_key_order_the_site_equals_a_fresh_build():
    uploaded, after = differences([DOT, DASH], DOT)
    assert uploaded == [] and after == []
