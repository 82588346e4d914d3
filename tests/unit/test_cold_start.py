"""A handler's cold start imports only what its module level needs: no boto3 (clients are made
on first use), no X-Ray SDK where tracing cannot record, no pydantic (the subscriptions API
loads its request models on the first request that carries input), no renderer, templates or
mail.

Each import runs in a fresh interpreter with a clean environment, as Lambda's init does.
Behaviour, not time: bench/cold_start.py measures the milliseconds.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
HANDLERS = sorted(p.parent.name for p in (REPO / "functions").glob("*/app.py"))

# Heavy modules and what uses them; none is needed to import a handler.
HEAVY = {
    "boto3": "AWS clients (made on first use)",
    "botocore.session": "AWS clients",
    "s3transfer": "boto3's S3 transfers",
    "aws_xray_sdk": "tracing (only where X-Ray records)",
    "aws_lambda_powertools.utilities.parser": "Powertools parser models",
    "pydantic": "validating people's input (the subscriptions API's POST routes, on first use)",
    "comrak": "the Markdown engine (publish, on its path)",
    "nh3": "sanitising (publish)",
    "jinja2": "pages and emails",
    "css_inline": "emails",
    "feedgen": "feeds (index)",
    "lxml": "feeds (index)",
    "yaml": "front matter (publish)",
    "minutes.render": "rendering",
    "minutes.pages": "pages",
    "minutes.site": "the site plan",
    "minutes.mail": "emails",
}


def imported_by(handler: str, **env: str) -> set[str]:
    code = "import json, sys; import app; print(json.dumps(sorted(sys.modules)))"
    clean = {"PATH": os.environ.get("PATH", ""), "PYTHONDONTWRITEBYTECODE": "1", **env}
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO / "functions" / handler, env=clean,
                         check=True, capture_output=True, text=True).stdout
    return set(json.loads(out))


def loaded(modules: set[str], name: str) -> bool:
    return name in modules or any(m.startswith(name + ".") for m in modules)


def test_every_handler_is_checked():
    assert HANDLERS == ["bounces", "digest", "index", "notify", "publish", "subscriptions"]


@pytest.mark.parametrize("handler", HANDLERS)
def test_a_handler_imports_nothing_heavy(handler):
    modules = imported_by(handler)
    assert "app" in modules and "aws_lambda_powertools" in modules
    heavy = {name for name in HEAVY if loaded(modules, name)}
    assert heavy == set(), {name: HEAVY[name] for name in heavy}


def test_on_lambda_with_tracing_on_the_handler_is_traced():
    """The same import inside Lambda (LAMBDA_TASK_ROOT set, tracing not disabled) does load
    the X-Ray SDK: tracing is skipped only where Powertools would disable it anyway."""
    modules = imported_by("index", LAMBDA_TASK_ROOT="/var/task", AWS_REGION="us-east-1",
                          AWS_XRAY_CONTEXT_MISSING="IGNORE_ERROR")
    assert loaded(modules, "aws_xray_sdk")
    disabled = imported_by("index", LAMBDA_TASK_ROOT="/var/task", POWERTOOLS_TRACE_DISABLED="1")
    assert not loaded(disabled, "aws_xray_sdk")


# What building each function's service (its first invocation, before the first AWS call) must
# still not load: what other functions' paths use. boto3 is loaded here: clients are made.
SERVICES = {"bounces": "bounces", "digest": "digester", "index": "indexer", "notify": "notifier",
            "publish": "publisher", "subscriptions": "subscriptions"}
NOT_ON_PATH = {
    "bounces": {"yaml", "comrak", "jinja2", "feedgen", "pydantic", "minutes.mail"},
    "subscriptions": {"yaml", "comrak", "feedgen", "pydantic", "minutes.site"},
    # Mail and feeds show rendered HTML: neither needs the Markdown engine or the sanitiser.
    "notify": {"yaml", "feedgen", "pydantic", "comrak", "nh3", "minutes.render", "minutes.pages",
               "minutes.site", "minutes.document"},
    "digest": {"yaml", "feedgen", "pydantic", "comrak", "nh3", "minutes.render", "minutes.pages",
               "minutes.site", "minutes.document"},
    "index": {"pydantic", "css_inline", "comrak", "nh3", "minutes.render", "minutes.mail",
              "minutes.document"},
    "publish": {"pydantic", "css_inline", "minutes.mail"},
}
SETTINGS = {"AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x",
            "MINUTES_BUCKET": "m", "SITE_BUCKET": "s", "MEETINGS_TABLE": "t", "SUBSCRIBERS_TABLE": "u",
            "DELIVERIES_TABLE": "d", "DIGEST_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/1/q",
            "SITE_UPDATES_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/1/q.fifo",
            "NOTIFICATIONS_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/1/n"}


@pytest.mark.parametrize("handler", HANDLERS)
def test_building_a_service_loads_nothing_another_path_needs(handler):
    code = (f"import json, sys; import app; from minutes import runtime; runtime.{SERVICES[handler]}(); "
            "print(json.dumps(sorted(sys.modules)))")
    clean = {"PATH": os.environ.get("PATH", ""), "PYTHONDONTWRITEBYTECODE": "1", **SETTINGS}
    modules = set(json.loads(subprocess.run([sys.executable, "-c", code], cwd=REPO / "functions" / handler,
                                            env=clean, check=True, capture_output=True, text=True).stdout))
    assert loaded(modules, "boto3")
    assert {name for name in NOT_ON_PATH[handler] if loaded(modules, name)} == set()


def test_rendering_does_not_import_signal():
    """render (publish's path) imports interrupts for raise_if_swallowed alone; only the
    `minutes` command installs a SIGINT handler, so `signal` is imported there (decision 100:
    it was imported with render, ~0.4 ms)."""
    code = "import json, sys; import minutes.render; print(json.dumps(sorted(sys.modules)))"
    clean = {"PATH": os.environ.get("PATH", ""), "PYTHONDONTWRITEBYTECODE": "1"}
    modules = set(json.loads(subprocess.run([sys.executable, "-c", code], env=clean, check=True,
                                            capture_output=True, text=True).stdout))
    assert "minutes.interrupts" in modules and "signal" not in modules
