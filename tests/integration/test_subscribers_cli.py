"""`minutes subscribers`: the operator's list against the real table (boto3 on moto)."""
from __future__ import annotations

import csv
import io
import json

import boto3

from minutes.cli import main

from tests.support.aws import REGION
from tests.support.subscriptions import items, statuses, subscribers


def run(stack, capsys, *args: str, table: bool = True) -> tuple[int, str, str]:
    where = ["--table", stack.ref("SubscribersTable")] if table else []
    code = main(["subscribers", *where, "--region", REGION, *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_import_adds_good_rows_confirmed_and_reports_bad_rows_by_line(stack, capsys, tmp_path):
    source = tmp_path / "list.csv"
    source.write_text("email,name,groups,mode\n"
                      "ada@example.org,Ada,openxla,\n"
                      "grace at example.org,Grace,,\n"
                      "linus@example.org,Linus,onnx xla,digest\n"
                      "ken@example.org,Ken,../x,\n", encoding="utf-8")
    code, out, err = run(stack, capsys, "import", str(source))
    assert code == 1
    assert f"{source}:3: " in err and "cannot contain spaces" in err
    assert f"{source}:5: " in err and "'../x' is not a group name" in err
    assert "added 2, skipped 0 suppressed, 2 bad rows" in out
    assert statuses(stack, "ada@example.org") == {"openxla": "confirmed"}
    assert statuses(stack, "linus@example.org") == {"onnx": "confirmed", "xla": "confirmed"}
    assert subscribers(stack).digest_readers() == {"linus@example.org": {"onnx", "xla"}}


def test_a_dry_run_changes_nothing(stack, capsys, tmp_path):
    source = tmp_path / "list.csv"
    source.write_text("ada@example.org\nbad\n")
    code, out, _ = run(stack, capsys, "import", "--dry-run", str(source))
    assert code == 1 and "1 addresses would be added, 1 bad rows" in out
    assert items(stack) == []


def test_add_list_remove_export(stack, capsys, tmp_path):
    assert run(stack, capsys, "add", "Ada@Example.org", "--group", "openxla", "--group", "xla")[0] == 0
    assert run(stack, capsys, "add", "grace@example.org", "--mode", "digest")[0] == 0
    code, out, _ = run(stack, capsys, "list")
    assert code == 0 and out.splitlines() == [
        "ada@example.org\topenxla\tconfirmed\teach", "ada@example.org\txla\tconfirmed\teach",
        "grace@example.org\t*\tconfirmed\tdigest"]
    assert run(stack, capsys, "list", "--group", "xla")[1] == "ada@example.org\txla\tconfirmed\teach\n"

    exported = tmp_path / "export.csv"
    assert run(stack, capsys, "export", "--out", str(exported))[0] == 0
    rows = list(csv.DictReader(io.StringIO(exported.read_text())))
    assert [(r["email"], r["group"], r["status"], r["mode"]) for r in rows] == [
        ("ada@example.org", "openxla", "confirmed", "each"), ("ada@example.org", "xla", "confirmed", "each"),
        ("grace@example.org", "*", "confirmed", "digest")]
    assert all(r["created_at"] and r["confirmed_at"] for r in rows)
    # The export imports again as it is (round trip to another deployment).
    assert run(stack, capsys, "import", str(exported))[0] == 0

    assert run(stack, capsys, "remove", "ada@example.org", "--group", "xla")[0] == 0
    assert statuses(stack, "ada@example.org") == {"openxla": "confirmed"}
    assert run(stack, capsys, "remove", "ada@example.org")[0] == 0
    code, _, err = run(stack, capsys, "remove", "ada@example.org")
    assert code == 1 and "not on the list" in err


def test_a_suppressed_address_is_not_added(stack, capsys):
    import datetime as dt
    subscribers(stack).suppress("grace@example.org", reason="complaint:abuse", when=dt.datetime.now(dt.timezone.utc))
    code, out, err = run(stack, capsys, "add", "grace@example.org")
    assert code == 1 and "suppressed" in err and "added 0, skipped 1 suppressed" in out
    assert statuses(stack, "grace@example.org") == {}


def test_a_bad_address_is_refused(stack, capsys):
    code, _, err = run(stack, capsys, "add", "not-an-address")
    assert code == 1 and "needs a name, an @ and a domain" in err


def test_the_table_name_comes_from_the_stack_outputs(stack, capsys):
    template = {"Resources": {"Placeholder": {"Type": "AWS::SNS::Topic"}},
                "Outputs": {"SubscribersTableName": {"Value": stack.ref("SubscribersTable")}}}
    boto3.client("cloudformation", region_name=REGION).create_stack(
        StackName="minutes-pipeline", TemplateBody=json.dumps(template))
    assert run(stack, capsys, "add", "ada@example.org", table=False)[0] == 0
    assert statuses(stack, "ada@example.org") == {"*": "confirmed"}
    code, _, err = run(stack, capsys, "--stack", "no-such-stack", "list", table=False)
    assert code == 2 and "AWS said" in err
