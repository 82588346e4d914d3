"""Meetings of one group that give one URL are refused, each of them, by `minutes build` and
`minutes check` (and `minutes sync`'s check), as publish refuses them (decision 103;
tests/integration/test_shared_url_pipeline.py): one error per meeting, naming the others and
the URL; deleting all but one publishes that one at the plain URL."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from minutes.build import build
from minutes.check import check_keyed
from minutes.cli import EXIT_INVALID, EXIT_OK, main
from tests.support.sources import write

SITE = "https://minutes.example.org"
BODY = "# M\n\n- a\n- b\n- c\n"
DATED = "---\ndate: 2019-04-18\n---\n" + BODY

# (two paths under SRC that give one URL, the URL): every way two sources claim one segment.
TWINS = [
    pytest.param("g/2019-04-18.md", "g/2019.04.18.md", "/g/2019-04-18/", id="date-spelling"),
    pytest.param("g/20190418.md", "g/2019_04_18.md", "/g/2019-04-18/", id="digits-underscores"),
    pytest.param("g/2019-04-18.md", "g/2019/04/18.md", "/g/2019-04-18/", id="date-folders"),
    pytest.param("g/2019-04-18-sync.md", "g/Sync 2019.04.18.md", "/g/2019-04-18-sync/", id="words-placed"),
    pytest.param("g/2019-04-18-sync.md", "g/sync/2019-04-18.md", "/g/2019-04-18-sync/", id="folder-for-words"),
    pytest.param("g/2019-04-18-sync/NOTES.md", "g/2019-04-18-Sync.md", "/g/2019-04-18-sync/", id="folder-meeting"),
    pytest.param("g/2019-04-18-sync.md", "g/sync.md", "/g/2019-04-18-sync/", id="front-matter-date"),
    pytest.param("g/2019-04-18-ok.md", "g/2019-04-18-OK.md", "/g/2019-04-18-ok/", id="case-of-the-stem"),
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


@pytest.mark.parametrize("first,second,url", TWINS)
def test_build_refuses_both_with_one_error_each_until_one_is_deleted(src, tmp_path, first, second, url):
    for rel in (first, second):
        write(src / rel, source(rel))
    result = build(src, tmp_path / "site", site_url=SITE, workers=1)
    assert [r.url_path for r in result.records] == ["/g/2024-01-01-other/"]
    assert len(result.rejected) == 2
    for problems in result.rejected.values():
        assert [p.code for p in problems] == ["duplicate-source"]
        assert named(first) in problems[0].message and named(second) in problems[0].message
        assert url in problems[0].message and "delete the other" in problems[0].hint
    assert not (tmp_path / "site" / url.strip("/")).exists()

    (src / second).unlink()
    result = build(src, tmp_path / "site", site_url=SITE, workers=1)
    assert sorted(r.url_path for r in result.records) == sorted([url, "/g/2024-01-01-other/"])
    assert not result.rejected


@pytest.mark.parametrize("first,second,url", TWINS)
def test_check_refuses_both_as_build_does(src, first, second, url, capsys):
    for rel in (first, second):
        write(src / rel, source(rel))
    assert main(["check", "--format", "json", str(src)]) == EXIT_INVALID
    verdicts = {v["key"]: v for v in json.loads(capsys.readouterr().out)}
    refused = {key: v for key, v in verdicts.items() if not v["valid"]}
    assert sorted(refused) == sorted(["minutes/" + first, "minutes/" + second])
    for verdict in refused.values():
        (problem,) = verdict["problems"]
        assert problem["code"] == "duplicate-source" and url in problem["message"]
        assert named(first) in problem["message"] and named(second) in problem["message"]
    (src / second).unlink()
    assert main(["check", str(src)]) == EXIT_OK
    assert f"-> {url}" in capsys.readouterr().out


def test_sync_check_refuses_both(tmp_path):
    files = {"minutes/g/2019-04-18.md": write(tmp_path / "a.md", BODY),
             "minutes/g/2019.04.18.md": write(tmp_path / "b.md", BODY),
             "minutes/g/2019-04-19.md": write(tmp_path / "c.md", BODY)}
    verdicts = {v.key: v for v in check_keyed(files)}
    assert [k for k, v in sorted(verdicts.items()) if not v.valid] == \
        ["minutes/g/2019-04-18.md", "minutes/g/2019.04.18.md"]
    assert verdicts["minutes/g/2019-04-19.md"].valid


def test_three_that_give_one_url_each_name_the_other_two(src, tmp_path):
    rels = ["g/2019-04-18.md", "g/2019.04.18.md", "g/20190418.md"]
    for rel in rels:
        write(src / rel, BODY)
    result = build(src, tmp_path / "site", site_url=SITE, workers=2)
    assert len(result.rejected) == 3
    for key, (problem,) in result.rejected.items():
        assert all("minutes/" + rel in problem.message for rel in rels)


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


def test_a_running_notes_section_and_a_file_of_its_date_are_not_refused(src, tmp_path):
    """Left to model.free_segment (decision 103): the section's URL is claimed first come,
    first served in the pipeline; a build gives `-2` to the later in meeting order."""
    write(src / "g" / "2019-04-18.md", BODY)
    write(src / "g" / "notes.md", "# Notes\n\n## 2019-04-18\n\n- a\n- b\n\n## 2019-04-11\n\n- c\n")
    result = build(src, tmp_path / "site", site_url=SITE, workers=1)
    assert not result.rejected
    assert {r.url_path for r in result.records} >= {"/g/2019-04-18/", "/g/2019-04-18-2/"}
