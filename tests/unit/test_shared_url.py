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
