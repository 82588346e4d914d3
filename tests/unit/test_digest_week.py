"""Which week a digest covers, and which meetings each reader gets (services.digest, pure)."""
from __future__ import annotations

import datetime as dt

import pytest

from minutes.model import MeetingRecord
from minutes.services.digest import Week, digest_week, wanted

UTC = dt.timezone.utc


@pytest.mark.parametrize("when, start", [
    (dt.datetime(2026, 7, 13, 8, 0, tzinfo=UTC), dt.datetime(2026, 7, 6, tzinfo=UTC)),     # Monday run
    (dt.datetime(2026, 7, 13, 0, 0, tzinfo=UTC), dt.datetime(2026, 7, 6, tzinfo=UTC)),
    (dt.datetime(2026, 7, 19, 23, 59, tzinfo=UTC), dt.datetime(2026, 7, 6, tzinfo=UTC)),   # a late retry
    (dt.datetime(2026, 7, 12, 23, 59, tzinfo=UTC), dt.datetime(2026, 6, 29, tzinfo=UTC)),
    (dt.datetime(2026, 7, 13, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=10))), dt.datetime(2026, 6, 29, tzinfo=UTC)),
])
def test_the_digest_covers_the_last_full_week_in_utc(when, start):
    week = digest_week(when)
    assert week.start == start and week.end == start + dt.timedelta(days=7)
    assert week.start.weekday() == 0


def test_week_labels_are_iso_weeks():
    assert digest_week(dt.datetime(2026, 7, 13, 8, tzinfo=UTC)).label == "2026-W28"
    assert digest_week(dt.datetime(2027, 1, 4, 8, tzinfo=UTC)).label == "2026-W53"
    assert Week(dt.datetime(2026, 7, 6, tzinfo=UTC), dt.datetime(2026, 7, 13, tzinfo=UTC)).last_day == dt.date(2026, 7, 12)


def test_readers_get_the_meetings_of_their_groups():
    meetings = [MeetingRecord(group=g, meeting=m, segment=m, title=m, date=dt.date(2026, 7, 7))
                for g, m in (("openxla", "a"), ("onnx", "b"))]
    assert [m.meeting for m in wanted(meetings, {"openxla"})] == ["a"]
    assert [m.meeting for m in wanted(meetings, {"*"})] == ["a", "b"]
    assert wanted(meetings, {"k8s"}) == []
