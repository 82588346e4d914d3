"""The soak (issue 11): random scribes and an at-least-once, out-of-order AWS, then every
invariant at once. The suite runs a short one with a fixed seed (CI must not fail by the luck
of a draw; a seed that once found a bug is a good one to keep); `make soak` a long one:

    SOAK_OPS=1000 make soak            # a random seed, printed
    SOAK_SEED=1234 SOAK_OPS=1000 make soak   # replay a failure
    SOAK_SEED=random make test         # the suite's soaks with random seeds
"""
from __future__ import annotations

import os
import random

from tests.support.soak import Soak


def soak_seed(default: int) -> int:
    """SOAK_SEED if set (`random`: a new one each run), else the test's own fixed seed."""
    seed = os.environ.get("SOAK_SEED") or str(default)
    return random.SystemRandom().randrange(1 << 32) if seed == "random" else int(seed)


def test_after_any_sequence_of_events_the_site_is_a_fresh_build_and_mail_went_once(stack):
    seed, ops = soak_seed(20261128), int(os.environ.get("SOAK_OPS", "60"))
    print(f"\nsoak: SOAK_SEED={seed} SOAK_OPS={ops}")
    soak = Soak(stack, seed)

    soak.run(ops)
    soak.settle()

    replay = f"replay: SOAK_SEED={seed} SOAK_OPS={ops} make soak ({soak.log.summary()})"
    for check in (soak.dead_letters, soak.leftovers, soak.site_differences, soak.email_differences):
        problems = check()
        assert not problems, "\n".join([replay, *problems[:25]])
    print(f"soak: {soak.log.summary()}")


def test_the_mail_check_reads_every_page_of_the_meetings_table(stack, monkeypatch):
    """DynamoDB answers a Scan one page (1 MB) at a time, and a long soak's Meetings table
    spans several: the mail check once read the first page only, so every email of a meeting
    on a later page "named 0 meetings" (SOAK_SEED=1580191971 SOAK_OPS=2000). moto's page is
    made small here so that a short run spans pages, as a long one does at 1 MB."""
    monkeypatch.setattr("moto.dynamodb.models.table.RESULT_SIZE_LIMIT", 20_000)
    soak = Soak(stack, 20261128)
    soak.run(30)
    soak.settle()

    first_page = stack.table("MeetingsTable").scan(ConsistentRead=True)
    assert "LastEvaluatedKey" in first_page, "the table fits in one page: the test proves nothing"
    on_first = {(i["group"], i["meeting"]) for i in first_page["Items"]}
    announced_later = [i for i in stack.items("MeetingsTable")
                       if "announced_at" in i and (i["group"], i["meeting"]) not in on_first]
    assert announced_later, "no meeting past the first page was announced: the test proves nothing"
    assert soak.email_differences() == []
