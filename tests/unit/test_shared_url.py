"""Meetings of one group that give one URL are each published by `minutes build`, the first
in meeting-id order at the URL and the next at `-2`, `-3`, ..., as publish places them
(decision 110; tests/integration/test_shared_url_pipeline.py), with a shared-url warning on
each naming the others and every one's URL; `minutes check` (and `minutes sync`'s check) warns
alike and exits 0."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from minutes import shared_url
from minutes.build import build
from minutes.check import check_keyed
from minutes.cli import EXIT_INVALID, EXIT_OK, main
from tests.support.sources import write

SITE = "https://minutes.example.org"
BODY = "# M\n\n- a\n- b\n- c\n"
DATED = "---\ndate: 2019-04-18\n---\n" + BODY

# (two paths under SRC that give one URL, the URL, the one that sorts first by meeting id):
# every way two sources claim one segment.
TWINS = [
    pytest.param("g/2019-04-18.md", "g/2019.04.18.md", "/g/2019-04-18/", 0, id="date-spelling"),
    pytest.param("g/20190418.md", "g/2019_04_18.md", "/g/2019-04-18/", 0, id="digits-underscores"),
    pytest.param("g/2019-04-18.md", "g/2019/04/18.md", "/g/2019-04-18/", 0, id="date-folders"),
    pytest.param("g/2019-04-18-sync.md", "g/Sync 2019.04.18.md", "/g/2019-04-18-sync/", 0, id="words-placed"),
    pytest.param("g/2019-04-18-sync.md", "g/sync/2019-04-18.md", "/g/2019-04-18-sync/", 0, id="folder-for-words"),
    pytest.param("g/2019-04-18-sync/NOTES.md", "g/2019-04-18-Sync.md", "/g/2019-04-18-sync/", 1, id="folder-meeting"),
    pytest.param("g/2019-04-18-sync.md", "g/sync.md", "/g/2019-04-18-sync/", 0, id="front-matter-date"),
    pytest.param("g/2019-04-18-ok.md", "g/2019-04-18-OK.md", "/g/2019-04-18-ok/", 1, id="case-of-the-stem"),
]


def source(rel: str) -> str:
    return DATED if not any(c.isdigit() for c in rel) else BODY


def named(rel: str) -> str:
    """How an error names the source: a folder meeting by its folder."""
    key = "minutes/" + rel
    return key.rsplit("/", 1)[0] + "/" if rel.endswith("NOTES.md") else key


@pytest.fixture
def src(tmp_path: Path) -> Path:
    root = tmp_path / "minutes"
    write(root / "g" / "2024-01-01-other.md", BODY)
    return root


def test_placed_gives_the_segment_then_dash_n_in_meeting_order():
    assert shared_url.placed("2019-04-18", ["2019.04.18", "20190418", "2019-04-18@notes", "2019-04-18"]) \
        == {"2019-04-18": "2019-04-18", "2019-04-18@notes": "2019-04-18-2",
            "2019.04.18": "2019-04-18-3", "20190418": "2019-04-18-4"}
    assert shared_url.placed("2019-04-18", ["x"]) == {"x": "2019-04-18"}


@pytest.mark.parametrize("first,second,url,before", TWINS)
def test_build_publishes_both_in_meeting_order_and_warns_each(src, tmp_path, first, second, url, before):
    for rel in (first, second):
        write(src / rel, source(rel))
    result = build(src, tmp_path / "site", site_url=SITE, workers=1)
    later = url[:-1] + "-2/"
    placed = {"minutes/" + first: url if before == 0 else later,
              "minutes/" + second: later if before == 0 else url}
    assert sorted(r.url_path for r in result.records) == sorted([*placed.values(), "/g/2024-01-01-other/"])
    assert not result.rejected
    for key, at in placed.items():
        (problem,) = [p for p in result.warnings[key] if p.code == "shared-url"]
        other = next(k for k in placed if k != key)
        assert f"{key} at {at}" in problem.message and f"{other} (at {placed[other]})" in problem.message
        assert "delete the other" in problem.hint and "<yyyy-mm-dd>-<topic>.md" in problem.hint
    assert (tmp_path / "site" / url.strip("/") / "index.html").exists()
    assert (tmp_path / "site" / later.strip("/") / "index.html").exists()

    (src / (first if before == 0 else second)).unlink()   # the one at the URL: the other moves up
    result = build(src, tmp_path / "site", site_url=SITE, workers=1)
    assert sorted(r.url_path for r in result.records) == sorted([url, "/g/2024-01-01-other/"])
    assert not any(p.code == "shared-url" for ps in result.warnings.values() for p in ps)


@pytest.mark.parametrize("first,second,url,before", TWINS)
def test_check_warns_both_and_places_them_as_build_does(src, first, second, url, before, capsys):
    for rel in (first, second):
        write(src / rel, source(rel))
    assert main(["check", "--format", "json", str(src)]) == EXIT_OK
    verdicts = {v["key"]: v for v in json.loads(capsys.readouterr().out)}
    later = url[:-1] + "-2/"
    placed = {"minutes/" + first: url if before == 0 else later,
              "minutes/" + second: later if before == 0 else url}
    for key, at in placed.items():
        verdict = verdicts[key]
        assert verdict["valid"]
        (problem,) = [p for p in verdict["problems"] if p["code"] == "shared-url"]
        assert f"{key} at {at}" in problem["message"]
        assert verdict["meta"]["url_path"] == at


def test_sync_check_warns_both(tmp_path):
    files = {"minutes/g/2019-04-18.md": write(tmp_path / "a.md", BODY),
             "minutes/g/2019.04.18.md": write(tmp_path / "b.md", BODY),
             "minutes/g/2019-04-19.md": write(tmp_path / "c.md", BODY)}
    verdicts = {v.key: v for v in check_keyed(files)}
    assert all(v.valid for v in verdicts.values())
    warned = sorted(k for k, v in verdicts.items() if any(p.code == "shared-url" for p in v.problems))
    assert warned == ["minutes/g/2019-04-18.md", "minutes/g/2019.04.18.md"]
    assert verdicts["minutes/g/2019.04.18.md"].meta["url_path"] == "/g/2019-04-18-2/"


def test_three_that_give_one_url_get_the_url_then_dash_2_and_3(src, tmp_path):
    rels = ["g/2019-04-18.md", "g/2019.04.18.md", "g/20190418.md"]
    for rel in rels:
        write(src / rel, BODY)
    result = build(src, tmp_path / "site", site_url=SITE, workers=2)
    assert not result.rejected
    at = {r.meeting: r.url_path for r in result.records if r.group == "g"}
    assert at["2019-04-18"] == "/g/2019-04-18/" and at["2019.04.18"] == "/g/2019-04-18-2/"
    assert at["20190418"] == "/g/2019-04-18-3/"
    for rel in rels:
        (problem,) = [p for p in result.warnings["minutes/" + rel] if p.code == "shared-url"]
        assert all("minutes/" + r in problem.message for r in rels)


def test_a_file_and_a_folder_of_its_name_are_one_meeting_refused_by_build_and_check(src, tmp_path, capsys):
    write(src / "g" / "2019-04-18.md", BODY)
    write(src / "g" / "2019-04-18" / "NOTES.md", BODY)
    result = build(src, tmp_path / "site", site_url=SITE, workers=1)
    (problems,) = result.rejected.values()
    assert [p.code for p in problems] == ["duplicate-source"]
    assert "minutes/g/2019-04-18.md and the folder minutes/g/2019-04-18/" in problems[0].message
    assert main(["check", str(src)]) == EXIT_INVALID
    assert "the folder minutes/g/2019-04-18/ are one meeting" in capsys.readouterr().out


def test_the_same_key_in_two_local_places_is_not_a_twin(tmp_path, capsys):
    """check of folders not under one SRC guesses each group from the folder (key_for): two
    folders' `meetings/2019-07-10.md` give one key, but are no two meetings of one bucket."""
    write(tmp_path / "a" / "meetings" / "2019-07-10.md", BODY)
    write(tmp_path / "b" / "meetings" / "2019-07-10.md", BODY)
    assert main(["check", str(tmp_path / "a"), str(tmp_path / "b")]) == EXIT_OK


def test_a_running_notes_section_and_a_file_of_its_date_are_placed_in_meeting_order(src, tmp_path):
    """`2019-04-18` sorts before the section's `2019-04-18@notes`, `2019.04.18` after it."""
    write(src / "g" / "2019-04-18.md", BODY)
    write(src / "g" / "2019.04.18.md", BODY)
    write(src / "g" / "notes.md", "# Notes\n\n## 2019-04-18\n\n- a\n- b\n\n## 2019-04-11\n\n- c\n")
    result = build(src, tmp_path / "site", site_url=SITE, workers=1)
    assert not result.rejected
    at = {r.meeting: r.url_path for r in result.records if r.group == "g"}
    assert at["2019-04-18"] == "/g/2019-04-18/" and at["2019-04-18@notes"] == "/g/2019-04-18-2/"
    assert at["2019.04.18"] == "/g/2019-04-18-3/"
    (problem,) = [p for p in result.warnings["minutes/g/notes.md"] if p.code == "shared-url"]
    assert "minutes/g/notes.md at /g/2019-04-18-2/" in problem.message


def test_placed_skips_a_dash_n_another_meeting_wants_as_its_own():
    wanted = {"2024-01-05-2", "2024-01-05-4"}
    assert shared_url.placed("2024-01-05", ["c", "a", "b"], wanted.__contains__) \
        == {"a": "2024-01-05", "b": "2024-01-05-3", "c": "2024-01-05-5"}


def test_twinned_names_the_segment_whose_twins_a_dash_n_may_hold():
    assert shared_url.twinned("2024-01-05-2") == "2024-01-05"
    assert shared_url.twinned("2024-01-05-sync-12") == "2024-01-05-sync"
    assert [shared_url.twinned(s) for s in ("2024-01-05", "2024-01-15", "2024-01-05-1",
                                           "2024-01-05-02", "2024-01-05-x")] == [None] * 5


# Sources of one group where a twin's `-n` is another meeting's own URL segment: the meeting
# that wants `-n` as its own keeps it, and the twin skips to the next free `-n` (decision 117).
OWN_DASH_N = [
    pytest.param({"g/2024-01-05.md": BODY, "g/2024.01.05.md": BODY, "g/2024-01-05-2.md": BODY},
                 {"2024-01-05": "/g/2024-01-05/", "2024.01.05": "/g/2024-01-05-3/",
                  "2024-01-05-2": "/g/2024-01-05-2/"}, id="a-twin-sorting-after-the-own"),
    pytest.param({"g/2024-01-05.md": BODY, "g/2024-01-05-.md": BODY, "g/2024-01-05-2.md": BODY},
                 {"2024-01-05": "/g/2024-01-05/", "2024-01-05-": "/g/2024-01-05-3/",
                  "2024-01-05-2": "/g/2024-01-05-2/"}, id="a-twin-sorting-before-the-own"),
    pytest.param({"g/2024-01-05.md": BODY,
                  "g/notes.md": "# Notes\n\n## 2024-01-05\n\n- a\n- b\n\n## 2024-01-05\n\n- c\n- d\n"},
                 {"2024-01-05": "/g/2024-01-05/", "2024-01-05@notes": "/g/2024-01-05-3/",
                  "2024-01-05-2@notes": "/g/2024-01-05-2/"}, id="two-sections-of-one-date"),
]


@pytest.mark.parametrize("files,expected", OWN_DASH_N)
def test_build_and_check_skip_a_dash_n_that_is_another_meetings_own(src, tmp_path, files, expected,
                                                                     capsys):
    for rel, text in files.items():
        write(src / rel, text)
    result = build(src, tmp_path / "site", site_url=SITE, workers=1)
    assert not result.rejected
    built = {r.meeting: r.url_path for r in result.records if r.group == "g" and "other" not in r.meeting}
    assert built == expected
    assert main(["check", "--format", "json", str(src)]) == EXIT_OK
    checked = {}
    for verdict in json.loads(capsys.readouterr().out):
        meta = verdict["meta"]
        if meta.get("running_notes"):
            checked.update({m["date"] + ("-2" if n == 0 else "") + "@notes": m["url_path"]
                            for n, m in enumerate(meta["meetings"])})
        elif "other" not in verdict["key"]:
            checked[verdict["key"].rsplit("/", 1)[1][:-3]] = meta["url_path"]
    assert checked == expected
