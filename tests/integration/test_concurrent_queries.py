"""Queries made at once on threads of one resource client (aws/parallel.concurrently: the index's
_scope, neighbours_many, _newest) each get their own condition: boto3 builds a condition
object's expression with one builder per client, which resets and counts its placeholders as it
builds, so a query building `stream = ... AND position >= ...` while another reset that builder
bound `#n0` to both names ("Query condition missed key schema element: stream": the flake of
test_index's malformed-update test under load, decision 118). The interleaving is forced here,
not waited for."""
from __future__ import annotations

import threading

from boto3.dynamodb.conditions import ConditionExpressionBuilder

from minutes.aws.listings import ListingsTable

STEP = 5   # seconds any forced step waits at most (a step never reached fails the test, no hang)


def test_two_queries_built_at_once_keep_their_own_placeholders(stack, monkeypatch):
    table = stack.table("ListingsTable")
    listings = ListingsTable(table)
    for position in ("2024-01-01 a", "2024-02-01 b", "2024-03-01 c"):
        table.put_item(Item={"stream": "/g/", "position": position, "group": "g",
                             "meeting": position[-1], "segment": position[-1], "title": "T",
                             "date": position[:10], "status": "published", "summary": "",
                             "feed_id": f"tag:x,2024:g/{position[-1]}"})
    table.put_item(Item={"stream": "#heads:/", "position": "/", "n": 3})
    a_named_once, b_reset, a_built = threading.Event(), threading.Event(), threading.Event()
    name, reset = ConditionExpressionBuilder._build_name_placeholder, ConditionExpressionBuilder.reset
    named = {"A": 0}

    def naming(builder, *args, **kwargs):   # thread A: its second name after B's reset
        if threading.current_thread().name == "A":
            named["A"] += 1
            if named["A"] == 2:
                b_reset.wait(STEP)
        placeholder = name(builder, *args, **kwargs)
        if threading.current_thread().name == "A":
            (a_named_once if named["A"] == 1 else a_built).set()
        return placeholder

    def resetting(builder):   # thread B: resets the client's builder after A's first name
        if threading.current_thread().name == "B":
            a_named_once.wait(STEP)
            reset(builder)
            b_reset.set()
            a_built.wait(STEP)
            return
        reset(builder)

    monkeypatch.setattr(ConditionExpressionBuilder, "_build_name_placeholder", naming)
    monkeypatch.setattr(ConditionExpressionBuilder, "reset", resetting)
    found: dict[str, object] = {}

    def run(label, read):
        try:
            found[label] = read()
        except Exception as failed:   # what moto (and DynamoDB) answer a query so built
            found[label] = failed

    threads = [threading.Thread(target=run, name="A", args=(
                   "A", lambda: [r.meeting for r in listings.entries("/g/", since="2024-02-01")])),
               threading.Thread(target=run, name="B", args=("B", lambda: listings.heads("/")))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(4 * STEP)
    assert (b_reset.is_set(), a_built.is_set()) == (True, True)   # the interleaving happened
    assert found == {"A": ["c", "b"], "B": {"/": 3}}
