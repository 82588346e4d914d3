"""A differential hunt through the pipeline (decision 100): hostile and odd source trees
(tests/support/hostile_minutes.py) uploaded to the stack on moto in any order, with the site
updates drained at any point, then some files deleted: after each phase the SiteBucket equals
a fresh `minutes build` of what the MinutesBucket holds, and no handler failed.

Each key is uploaded once: a rejected new version of a published document keeps the last good
page (decision 94's "left alone"), which a fresh build of the bucket cannot know. Derandomized;
`HUNT_PIPELINE=200 HUNT_RANDOM=1` hunts further."""
from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings, strategies as st

from tests.conftest import fake_aws_environment
from tests.support.aws import local_stack
from tests.support.hostile_minutes import source_tree
from tests.support.soak import site_differences

# A meeting that publishes: a site where nothing ever published has no pages at all, while a
# fresh build of only rejected sources still writes the home page, feeds and 404 page.
BASE = ("minutes/base/2024-01-01-base.md", b"# Base\n\n- a\n- b\n- c\n")


@st.composite
def sequence(draw) -> tuple[list, set, list]:
    tree = [("minutes/" + rel, data) for rel, data in draw(source_tree(max_meetings=5))]
    uploads = draw(st.permutations(tree))
    drains = draw(st.sets(st.integers(0, len(uploads))))
    deleted = draw(st.lists(st.sampled_from([key for key, _ in tree]), unique=True))
    return uploads, drains, deleted


@settings(max_examples=int(os.environ.get("HUNT_PIPELINE", "6")), deadline=None,
          derandomize=not os.environ.get("HUNT_RANDOM"), database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(sequence())
def test_any_order_of_hostile_uploads_and_deletes_leaves_a_fresh_build(steps):
    uploads, drains, deleted = steps
    with fake_aws_environment(), local_stack() as stack:
        stack.publish(*BASE)
        said = []
        for at, (key, data) in enumerate(uploads):
            if at in drains:
                stack.drain()
            verdict = stack.publish(key, data)
            said.append(f"put {key}: {verdict['status']} {[p['code'] for p in verdict['problems']]}")
        stack.drain()
        assert not stack.cloud.failures, said
        assert site_differences(stack) == [], said
        for key in deleted:
            stack.invoke_publish(stack.delete_event(key))
            said.append(f"delete {key}")
        stack.drain()
        assert not stack.cloud.failures, said
        assert site_differences(stack) == [], said
