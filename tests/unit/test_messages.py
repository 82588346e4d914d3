"""Queue bodies: what each function sends, the next one parses back; anything else is refused
with a message naming the field."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from minutes.messages import (Announce, BadMessage, Deliver, DigestBatch, DigestReader, SiteUpdate,
                              parse_digest_batch, parse_event_time, parse_notification,
                              parse_site_update)

UTC = dt.timezone.utc


def test_what_is_sent_parses_back_to_the_same_value():
    update = SiteUpdate("openxla", "2022-09-20-sig-openxla", "delete")
    assert parse_site_update(json.dumps(update.as_dict())) == update
    announce, deliver = Announce("g", "m"), Deliver("g", "m", ("a@example.org", "b@example.org"))
    assert parse_notification(json.dumps(announce.as_dict())) == announce
    assert parse_notification(json.dumps(deliver.as_dict())) == deliver
    batch = DigestBatch("2024-W02", dt.datetime(2024, 1, 8, tzinfo=UTC), dt.datetime(2024, 1, 15, tzinfo=UTC),
                        (("g", "m1"), ("h", "m2")), (DigestReader("a@example.org", ("g", "h")),))
    assert parse_digest_batch(json.dumps(batch.as_dict())) == batch


def test_pydantic_era_bodies_still_parse():
    """Messages queued before the switch (pydantic's JSON: `Z` times) are read the same way."""
    body = ('{"week": "2024-W02", "start": "2024-01-08T00:00:00Z", "end": "2024-01-15T00:00:00Z", '
            '"meetings": [["g", "m"]], "readers": [{"email": "a@example.org", "groups": ["g"]}]}')
    assert parse_digest_batch(body).start == dt.datetime(2024, 1, 8, tzinfo=UTC)
    assert parse_notification('{"kind": "announce", "group": "g", "meeting": "m", "recipients": []}') \
        == Announce("g", "m")
    assert parse_event_time("2024-01-08T09:00:00Z") == dt.datetime(2024, 1, 8, 9, tzinfo=UTC)


@pytest.mark.parametrize("body, names", [
    ("not json", "not JSON"),
    ("[1, 2]", "JSON list, not an object"),
    ('{"group": "g", "action": "upsert"}', "lacks meeting"),
    ('{"group": "g", "meeting": "m", "action": "upsert", "extra": 1}', "has unknown extra"),
    ('{"group": "g", "meeting": "m", "action": "rebuild-everything"}', "body.action"),
    ('{"group": "", "meeting": "m", "action": "upsert"}', "body.group"),
    ('{"group": 7, "meeting": "m", "action": "upsert"}', "body.group"),
    ('{"group": "g", "meeting": "' + "m" * 1025 + '", "action": "upsert"}', "body.meeting"),
])
def test_a_bad_site_update_names_what_is_wrong(body, names):
    with pytest.raises(BadMessage, match=names):
        parse_site_update(body)


@pytest.mark.parametrize("body, names", [
    ('{"kind": "shout", "group": "g", "meeting": "m"}', "body.kind"),
    ('{"kind": "deliver", "group": "g", "meeting": "m", "recipients": "a@example.org"}', "recipients"),
    ('{"kind": "deliver", "group": "g", "meeting": "m", "recipients": [1]}', "recipients"),
    ('{"kind": "deliver", "group": "g", "meeting": "m", "recipients": ' + json.dumps(["a@x.org"] * 501) + "}",
     "recipients"),
])
def test_a_bad_notification_names_what_is_wrong(body, names):
    with pytest.raises(BadMessage, match=names):
        parse_notification(body)


@pytest.mark.parametrize("change, names", [
    ({"week": "2024-02"}, "ISO week"),
    ({"start": "yesterday"}, "body.start"),
    ({"end": "2024-01-15T00:00:00"}, "no time zone"),
    ({"meetings": []}, "body.meetings"),
    ({"meetings": [["g"]]}, r"meetings\[0\]"),
    ({"readers": [{"email": "a@example.org"}]}, r"readers\[0\] lacks groups"),
    ({"readers": [{"email": "a@example.org", "groups": []}]}, r"readers\[0\].groups"),
])
def test_a_bad_digest_batch_names_what_is_wrong(change, names):
    body = {"week": "2024-W02", "start": "2024-01-08T00:00:00Z", "end": "2024-01-15T00:00:00Z",
            "meetings": [["g", "m"]], "readers": [{"email": "a@example.org", "groups": ["g"]}], **change}
    with pytest.raises(BadMessage, match=names):
        parse_digest_batch(json.dumps(body))
