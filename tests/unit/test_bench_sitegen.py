"""The benchmark's generator (bench/sitegen.py): seeded, realistic, and minutes that publish."""
from __future__ import annotations

from pathlib import Path

from bench.sitegen import GROUPS, generate, touch_one
from minutes.build import build


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_the_same_seed_gives_the_same_bytes_in_both_trees(tmp_path):
    one, two = generate(tmp_path / "a", 30, seed=3), generate(tmp_path / "b", 30, seed=3)
    assert tree(one.minutes) == tree(two.minutes) and tree(one.hugo) == tree(two.hugo)
    hugo_content = {k: v for k, v in tree(one.hugo / "content").items() if not k.endswith("_index.md")}
    assert hugo_content == tree(one.minutes)
    assert tree(generate(tmp_path / "c", 30, seed=4).minutes) != tree(one.minutes)


def test_meetings_are_about_ten_kilobytes_over_many_groups(tmp_path):
    generated = generate(tmp_path, 60)
    sizes = [len(b) for b in tree(generated.minutes).values()]
    assert len(sizes) == 60 and 7_000 <= sum(sizes) / len(sizes) <= 13_000
    assert len({key.split("/")[0] for key in generated.keys}) == GROUPS
    assert all(b.startswith(b'---\ntitle: "') and b"\ndate: " in b[:80] for b in tree(generated.minutes).values())


def test_every_generated_meeting_publishes(tmp_path):
    generated = generate(tmp_path / "gen", 40)
    result = build(generated.minutes, tmp_path / "site", site_url="https://bench.example.org", workers=1)
    assert not result.rejected and len(result.records) == 40


def test_touch_one_changes_exactly_one_meeting_in_both_trees(tmp_path):
    generated = generate(tmp_path, 20)
    before_minutes, before_hugo = tree(generated.minutes), tree(generated.hugo / "content")
    key = touch_one(generated)
    after_minutes, after_hugo = tree(generated.minutes), tree(generated.hugo / "content")
    assert [k for k in before_minutes if before_minutes[k] != after_minutes[k]] == [key]
    assert [k for k in before_hugo if before_hugo[k] != after_hugo[k]] == [key]
