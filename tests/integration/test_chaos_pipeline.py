"""The pipeline hunt (test_differential_pipeline) under an AWS that does all it may (decision
109, tests/support/chaos.py): hostile trees uploaded, edited, deleted and uploaded again while S3
events arrive in any order (an older event of a key after a newer one, a delete and a put of one
key racing), twice, or after their handler crashed between two AWS calls; index and notify
crash mid-batch; SQS messages come twice. After it all settles:

- the SiteBucket equals a fresh `minutes build` of what the MinutesBucket holds;
- every subscriber got one email per announced meeting, nothing else;
- a meeting's feed id, once minted, never changed;
- a rejected upload changed nothing (site, queues, Meetings table);
- nothing is left in a dead-letter queue, nothing failed for good.

Derandomized in the suite (3 trees); `HUNT_CHAOS=200 HUNT_RANDOM=1` hunts further."""
from __future__ import annotations

import os
import random

from hypothesis import HealthCheck, given, settings, strategies as st

from minutes import keys
from minutes.problems import Rejected
from tests.conftest import fake_aws_environment
from tests.integration.test_differential_pipeline import BASE, good_version
from tests.support.aws import local_stack
from tests.support.chaos import Chaos, CrashSwitch
from tests.support.hostile_minutes import source_tree
from tests.support.soak import SUBSCRIBERS, DEAD_LETTER_QUEUES, email_differences, site_differences

HUNT = settings(max_examples=int(os.environ.get("HUNT_CHAOS", "3")), deadline=None,
                derandomize=not os.environ.get("HUNT_RANDOM"), database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def without_url_twins(tree: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    """Leave out a second key that gives a meeting's URL (2019-04-18.md and 2019.04.18.md;
    2024-05-10-A.MD and 2024-05-10-a.md): decision 103 refuses those; this hunt is not about them."""
    seen, kept = {}, []
    for rel, data in tree:
        try:
            key = keys.parse_key("minutes/" + rel)
            url = (key.group, key.segment()) if key.is_markdown or key.is_folder else None
        except (Rejected, ValueError):
            url = None
        if url is not None and seen.setdefault(url, key.meeting) != key.meeting:
            continue
        kept.append(("minutes/" + rel, data))
    return kept


def meeting_of(key: str) -> str:
    try:
        return keys.parse_key(key).meeting
    except Rejected:
        return key


@HUNT
@given(source_tree(max_meetings=5), st.integers(0, 2**32 - 1))
def test_the_site_settles_to_a_fresh_build_whatever_aws_delivers_and_when(tree, seed):
    files = without_url_twins(tree)
    rng = random.Random(seed)
    with fake_aws_environment(), local_stack() as stack:
        for address, groups in SUBSCRIBERS.items():
            stack.subscribe(address, list(groups))
        stack.publish(*BASE)
        crash = CrashSwitch(stack).install()
        chaos = Chaos(stack, rng, crash)
        try:
            rng.shuffle(files)
            for key, data in files:           # uploads, AWS acting between them
                chaos.put(key, data)
                while rng.random() < 0.6:
                    chaos.step()
            minted = chaos.feed_ids()
            for _ in range(len(files)):        # then edits, deletes, a key put back
                key, first = rng.choice(files)
                roll = rng.random()
                if roll < 0.45:
                    chaos.put(key, good_version(key, first))
                elif roll < 0.8 and key in stack.source_objects():
                    chaos.delete(key)
                else:
                    chaos.put(key, good_version(key, first))
                    chaos.delete(key)
                    if rng.random() < 0.5:
                        chaos.put(key, good_version(key, first))
                while rng.random() < 0.7:
                    chaos.step()
                for meeting, feed_id in chaos.feed_ids().items():
                    minted.setdefault(meeting, feed_id)
            chaos.settle()
        finally:
            crash.uninstall()
        story = "\n".join([f"seed {seed}; {dict(chaos.counts)}", *chaos.said])
        print(f"chaos: {len(files)} files, {dict(chaos.counts)}")
        assert not stack.cloud.failures, story
        assert [q for q in DEAD_LETTER_QUEUES if q in stack.cloud.stack.refs
                and stack.queue_depth(q)] == [], story
        assert chaos.rejected_changed == [], story
        assert site_differences(stack) == [], story
        assert email_differences(stack, every_published_announced=False,
                                 lost=chaos.lost_emails()) == [], story
        changed = {m: (minted[m], now) for m, now in chaos.feed_ids().items()
                   if m in minted and minted[m] != now}
        assert changed == {}, story
