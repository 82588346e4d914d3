"""`minutes demo`: the whole pipeline on AWS emulated in-process (moto).

Creates the stack template.yaml declares, seeds demo subscribers, uploads real minutes (the
SIG OpenXLA sample and meetings from corpus/), lets S3 events and queues run the functions,
then copies SiteBucket to <out>/site and every email SES accepted to <out>/outbox/*.eml.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

DEMO_SITE_URL = "https://minutes.example.org"
DEMO_SENDER = "minutes@example.org"
# (key in the bucket, path in the repository): real minutes, unchanged.
DEMO_UPLOADS = [
    ("minutes/openxla/group.yaml", "samples/openxla-group.yaml"),
    ("minutes/openxla/2022-09-20-sig-openxla.md", "samples/2022-09-20-sig-openxla.md"),
    ("minutes/openxla/2022-10-18-openxla-community-meeting/", "corpus/openxla/meetings/2022-10-18-openxla-community-meeting"),
    ("minutes/openxla/2022-11-15-openxla-community-meeting/", "corpus/openxla/meetings/2022-11-15-openxla-community-meeting"),
    ("minutes/openxla/2023-03-21-community-meeting/", "corpus/openxla/meetings/2023-03-21-community-meeting"),
    ("minutes/onnx-converters/020-20210507.md", "corpus/onnx/converters/meetings/020-20210507.md"),
    ("minutes/onnx-converters/021-20210625.md", "corpus/onnx/converters/meetings/021-20210625.md"),
    ("minutes/onnx-converters/022-20210820.md", "corpus/onnx/converters/meetings/022-20210820.md"),
    ("minutes/rust-lang-design/2021-02-24-lints-and-editions.md", "corpus/rust-lang/design-meeting-minutes/2021-02-24-lints-and-editions.md"),
    ("minutes/k8s-sig-apps/2016-05-18.md", "corpus/kubernetes/sig-apps/minutes/2016-05-18.md"),
]
DEMO_SUBSCRIBERS = {  # confirmed, so the outbox shows who gets what
    "ada@example.org": ["openxla"],
    "grace@example.org": ["openxla", "onnx-converters"],
    "linus@example.org": ["onnx-converters"],
}


@dataclass(frozen=True)
class DemoResult:
    site: Path
    outbox: Path
    pages: int
    emails: int
    failures: int


def repo_root() -> Path:
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "template.yaml").exists():
            return parent
    raise FileNotFoundError("template.yaml not found above " + str(here))


def uploads(root: Path) -> list[tuple[str, Path]]:
    """(key, file) pairs; a folder meeting uploads attachments first, then its documents."""
    found = []
    for key, rel in DEMO_UPLOADS:
        path = root / rel
        if path.is_dir():
            files = sorted(path.iterdir(), key=lambda p: (p.suffix.lower() == ".md", p.name))
            found += [(key + f.name, f) for f in files if f.is_file()]
        else:
            found.append((key, path))
    return found


def run(out: Path, *, root: Path | None = None) -> DemoResult:
    from moto import mock_aws
    root = root or repo_root()
    _fake_credentials()
    (out / "logs").mkdir(parents=True, exist_ok=True)
    # The functions log JSON (Powertools) to stdout, as on Lambda: keep it as a log file.
    with mock_aws(), open(out / "logs" / "functions.jsonl", "w") as log, \
            contextlib.redirect_stdout(log), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="No application metrics to publish")
        from ..aws.emulated import LocalCloud
        cloud = LocalCloud(root, parameters={"SiteUrl": DEMO_SITE_URL, "SenderAddress": DEMO_SENDER}).create()
        _seed_subscribers(cloud)
        _production_send_rate()
        for key, path in uploads(root):
            cloud.put_object("MinutesBucket", key, path.read_bytes())
        cloud.drain()
        _demo_subscription_flow(cloud, root)
        site = export_bucket(cloud, "SiteBucket", out / "site")
        emails = export_outbox(out / "outbox")
        pages = sum(1 for p in site.rglob("index.html"))
        return DemoResult(site, out / "outbox", pages, emails, len(cloud.failures))


def _fake_credentials() -> None:
    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                        ("AWS_SESSION_TOKEN", "testing"), ("AWS_DEFAULT_REGION", "us-east-1")):
        os.environ[name] = value


def _production_send_rate(rate: int = 14) -> None:
    """moto's SES quota is fixed at 1 message a second (a sandbox account); the demo's account
    is out of the sandbox, at SES's usual starting rate, so the demo does not wait on pacing.
    Only this emulated backend's answer changes; the functions still read it and pace."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends
    backend = ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]
    sandbox_quota = backend.get_send_quota

    def production_quota():
        quota = sandbox_quota()
        quota.max_send_rate = rate
        return quota

    backend.get_send_quota = production_quota


def _seed_subscribers(cloud) -> None:
    from ..aws.dynamo import SubscribersTable
    now = dt.datetime.now(dt.timezone.utc)
    for email, groups in DEMO_SUBSCRIBERS.items():
        SubscribersTable(cloud.table("SubscribersTable")).add_confirmed(email, groups, when=now)


DEMO_NEW_SUBSCRIBER = "margaret@example.org"   # subscribes through the API: a confirmation email
DEMO_DIGEST_READER = "katherine@example.org"   # every group, weekly digest: the digest email


def _demo_subscription_flow(cloud, root: Path) -> None:
    """A subscribe through the API (events/api-subscribe.json) and one weekly digest (the
    schedule's event, events/schedule-digest.json, for the week of this run's uploads)."""
    import base64
    import json
    import urllib.parse
    from ..aws.dynamo import SubscribersTable
    event = json.loads((root / "events" / "api-subscribe.json").read_text())
    body = urllib.parse.urlencode({"email": DEMO_NEW_SUBSCRIBER, "group": "openxla", "mode": "each"})
    event["body"] = base64.b64encode(body.encode()).decode()
    event["headers"]["content-length"] = str(len(body))
    cloud.invoke("SubscriptionsFunction", event)
    now = dt.datetime.now(dt.timezone.utc)
    SubscribersTable(cloud.table("SubscribersTable")).add_confirmed(DEMO_DIGEST_READER, ["*"],
                                                                   when=now, mode="digest")
    schedule = json.loads((root / "events" / "schedule-digest.json").read_text())
    next_monday = now.date() + dt.timedelta(days=7 - now.weekday())
    schedule["time"] = f"{next_monday.isoformat()}T08:00:00Z"
    cloud.invoke("DigestFunction", schedule)
    cloud.drain()


def export_bucket(cloud, logical_id: str, target: Path) -> Path:
    """Copy a bucket to a folder (what `aws s3 sync` would do)."""
    if target.exists():
        shutil.rmtree(target)
    bucket = cloud.bucket(logical_id)
    for page in cloud.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            path = target / item["Key"]
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(cloud.s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read())
    return target


def sent_messages() -> list:
    """Every message moto's SES accepted (SESv2 raw sends are stored by the SES backend)."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends
    return list(ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages)


def export_outbox(target: Path) -> int:
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    count = 0
    for n, message in enumerate(sent_messages(), 1):
        raw = getattr(message, "raw_data", None)
        if raw is None:
            continue
        recipient = (message.destinations or ["unknown"])[0] if isinstance(message.destinations, list) \
            else next(iter(message.destinations.get("ToAddresses", ["unknown"])), "unknown")
        name = f"{n:03d}-{recipient.replace('@', '_at_')}.eml"
        (target / name).write_bytes(raw.encode() if isinstance(raw, str) else raw)
        count += 1
    return count


def run_demo(out: Path) -> int:
    started = time.monotonic()
    result = run(Path(out))
    print(f"Demo finished in {time.monotonic() - started:.1f} s on AWS emulated in-process (moto).")
    print(f"  site:   {result.site.resolve()}/index.html  ({result.pages} pages)")
    print(f"  outbox: {result.outbox.resolve()}/  ({result.emails} emails as .eml)")
    print(f"  logs:   {(Path(out) / 'logs' / 'functions.jsonl').resolve()}")
    print(f"  preview: .venv/bin/minutes serve {result.site}  (then open http://127.0.0.1:8000/)")
    if result.failures:
        print(f"  {result.failures} invocations failed after retries (see the PublishFailures queue)")
        return 1
    return 0
