"""`minutes doctor`: is a deployed stack ready to publish and mail? The pure part.

The AWS adapter (aws/doctor.py) gathers `StackFacts`; `diagnose` turns them into findings, each
with a code, what is wrong and how to fix it. No boto3 here: every rule is tested on plain facts.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from urllib.parse import urlsplit

# SES's sandbox quota (https://docs.aws.amazon.com/ses/latest/dg/manage-sending-quotas.html):
# production access raises both numbers.
SANDBOX_DAILY_QUOTA, SANDBOX_SEND_RATE = 200, 1
QUOTA_WARNING_SHARE = 0.8
HEALTHY_STACK_STATES = {"CREATE_COMPLETE", "UPDATE_COMPLETE", "IMPORT_COMPLETE"}
BUSY_STACK_SUFFIX = "_IN_PROGRESS"

EXIT_READY, EXIT_FIX, EXIT_CANNOT_CHECK = 0, 1, 2


class Level(str, enum.Enum):
    OK = "ok"
    WARNING = "warning"    # works, with a limit the operator should know about
    ERROR = "error"        # the pipeline cannot do part of its job until this is fixed


@dataclass(frozen=True)
class Finding:
    code: str
    level: Level
    message: str
    fix: str = ""


@dataclass(frozen=True)
class Topic:
    arn: str
    confirmed: int = 0        # subscriptions with a SubscriptionArn
    pending: int = 0          # email subscriptions still waiting for their confirmation click
    protocols: tuple[str, ...] = ()


@dataclass(frozen=True)
class Bucket:
    name: str
    exists: bool = True
    versioning: str = ""                  # "Enabled", "Suspended" or "" (never enabled)
    public_access_blocked: bool = False   # all four settings on
    notifies_lambda: bool = False         # has a Lambda notification configuration
    policy_names_distribution: bool = False


@dataclass(frozen=True)
class Distribution:
    id: str
    exists: bool = True
    enabled: bool = False
    status: str = ""                      # "Deployed" or "InProgress"
    domain_name: str = ""
    aliases: tuple[str, ...] = ()
    origin_domains: tuple[str, ...] = ()
    origins_with_access_control: tuple[str, ...] = ()


@dataclass(frozen=True)
class Alarm:
    name: str
    actions_enabled: bool
    alarm_actions: tuple[str, ...]
    state: str = "OK"                     # "OK", "ALARM", "INSUFFICIENT_DATA"
    reason: str = ""


@dataclass(frozen=True)
class SendQuota:
    max_24_hour_send: float
    max_send_rate: float
    sent_last_24_hours: float


@dataclass(frozen=True)
class StackFacts:
    stack_name: str
    status: str
    parameters: dict[str, str] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)
    identities: dict[str, str] = field(default_factory=dict)   # identity -> SES verification status
    quota: SendQuota | None = None
    topics: dict[str, Topic] = field(default_factory=dict)     # output key -> topic
    minutes_bucket: Bucket | None = None
    site_bucket: Bucket | None = None
    distribution: Distribution | None = None
    alarms: tuple[Alarm, ...] = ()


def diagnose(facts: StackFacts) -> list[Finding]:
    """Every check, in the order an operator would fix things."""
    found = [_stack(facts)]
    found += _email(facts)
    found += _topics(facts)
    found += _buckets(facts)
    found += _distribution(facts)
    found += _alarms(facts)
    return found


def exit_code(findings: list[Finding], *, strict: bool = False) -> int:
    """0: ready; 1: something to fix (an error, or with `strict` a warning too)."""
    levels = {f.level for f in findings}
    if Level.ERROR in levels or (strict and Level.WARNING in levels):
        return EXIT_FIX
    return EXIT_READY


def format_text(findings: list[Finding]) -> str:
    marks = {Level.OK: "ok  ", Level.WARNING: "warn", Level.ERROR: "FAIL"}
    lines = []
    for f in findings:
        lines.append(f"{marks[f.level]}  {f.code}: {f.message}")
        if f.fix and f.level is not Level.OK:
            lines.append(f"      fix: {f.fix}")
    errors = sum(f.level is Level.ERROR for f in findings)
    warnings = sum(f.level is Level.WARNING for f in findings)
    lines.append(f"{errors} to fix, {warnings} warnings, {len(findings) - errors - warnings} ok")
    return "\n".join(lines)


# --- the checks ------------------------------------------------------------------------------


def _ok(code: str, message: str) -> Finding:
    return Finding(code, Level.OK, message)


def _stack(facts: StackFacts) -> Finding:
    if facts.status in HEALTHY_STACK_STATES:
        return _ok("stack", f"{facts.stack_name} is {facts.status}")
    if facts.status.endswith(BUSY_STACK_SUFFIX):
        return Finding("stack", Level.WARNING, f"{facts.stack_name} is {facts.status}",
                       "wait for the deployment to finish, then run minutes doctor again")
    return Finding("stack", Level.ERROR, f"{facts.stack_name} is {facts.status}",
                   "read the stack's events in the CloudFormation console (the first FAILED one says "
                   "why), fix it and run sam deploy again")


def _email(facts: StackFacts) -> list[Finding]:
    found = []
    sender = facts.parameters.get("SenderAddress", "")
    domain = sender.rpartition("@")[2]
    statuses = {name: facts.identities.get(name, "") for name in (sender, domain) if name}
    if "Success" in statuses.values():
        verified = next(name for name, status in statuses.items() if status == "Success")
        found.append(_ok("sender-identity", f"{sender} may send (SES identity {verified} is verified)"))
    elif any(statuses.values()):
        shown = ", ".join(f"{name}: {status}" for name, status in statuses.items() if status)
        found.append(Finding("sender-identity", Level.ERROR, f"{sender} is not verified yet ({shown})",
                             f"click the link SES mailed to {sender}, or publish the DKIM CNAME records "
                             f"of {domain} (aws sesv2 get-email-identity --email-identity {domain})"))
    else:
        found.append(Finding("sender-identity", Level.ERROR,
                             f"neither {sender} nor {domain} is an SES identity in this region",
                             f"aws sesv2 create-email-identity --email-identity {domain} (then publish its "
                             f"DKIM records), or --email-identity {sender} (then click the link)"))
    quota = facts.quota
    if quota is None:
        return found
    if quota.max_24_hour_send <= SANDBOX_DAILY_QUOTA and quota.max_send_rate <= SANDBOX_SEND_RATE:
        found.append(Finding("ses-sandbox", Level.WARNING,
                             f"SES is in the sandbox ({quota.max_24_hour_send:.0f} emails a day, "
                             f"{quota.max_send_rate:g} a second, only to verified addresses)",
                             "request production access: SES console > Account dashboard > Request "
                             "production access (or aws sesv2 put-account-details)"))
    else:
        found.append(_ok("ses-sandbox", f"SES has production access ({quota.max_24_hour_send:.0f} a day, "
                                        f"{quota.max_send_rate:g} a second)"))
    if quota.max_24_hour_send and quota.sent_last_24_hours >= QUOTA_WARNING_SHARE * quota.max_24_hour_send:
        found.append(Finding("send-quota", Level.WARNING,
                             f"{quota.sent_last_24_hours:.0f} of {quota.max_24_hour_send:.0f} emails sent in "
                             "the last 24 hours", "ask SES for a higher sending quota before the next meeting"))
    else:
        found.append(_ok("send-quota", f"{quota.sent_last_24_hours:.0f} of {quota.max_24_hour_send:.0f} "
                                       "emails used in the last 24 hours"))
    return found


_TOPICS = {
    # output key: (code, who should be there, level when nobody is, how to subscribe)
    "AlarmTopicArn": ("alarm-subscribers", "nobody receives the alarms", Level.ERROR,
                      "aws sns subscribe --topic-arn {arn} --protocol email --notification-endpoint "
                      "you@example.org (then click the link), or deploy with AlarmEmail"),
    "ScribeNotificationsTopicArn": ("scribe-subscribers", "no scribe hears publish verdicts", Level.WARNING,
                                    "aws sns subscribe --topic-arn {arn} --protocol email "
                                    "--notification-endpoint scribe@example.org (each scribe clicks the link)"),
    "EmailFeedbackTopicArn": ("bounce-feedback", "bounces and complaints reach no function", Level.ERROR,
                              "redeploy: BouncesFunction's SNS subscription is part of the stack"),
}


def _topics(facts: StackFacts) -> list[Finding]:
    found = []
    for key, (code, nobody, level, how) in _TOPICS.items():
        topic = facts.topics.get(key)
        if topic is None:
            found.append(Finding(code, Level.ERROR, f"the stack has no {key} output or the topic is gone",
                                 "redeploy the stack from template.yaml"))
        elif topic.confirmed:
            pending = f", {topic.pending} waiting for confirmation" if topic.pending else ""
            found.append(_ok(code, f"{topic.confirmed} confirmed subscriber(s){pending}"))
        else:
            waiting = (f" ({topic.pending} subscription(s) wait for their confirmation link to be clicked)"
                       if topic.pending else "")
            found.append(Finding(code, level, f"{nobody}{waiting}", how.format(arn=topic.arn)))
    return found


def _buckets(facts: StackFacts) -> list[Finding]:
    found = []
    minutes, site = facts.minutes_bucket, facts.site_bucket
    if minutes is None or not minutes.exists:
        found.append(Finding("minutes-bucket", Level.ERROR, "the minutes bucket is missing",
                             "redeploy the stack (the bucket is retained on delete: import it back if it exists)"))
    else:
        problems = []
        if minutes.versioning != "Enabled":
            problems.append("versioning is off (an overwritten upload would be lost)")
        if not minutes.public_access_blocked:
            problems.append("public access is not fully blocked")
        if not minutes.notifies_lambda:
            problems.append("uploads notify no function (nothing would publish)")
        found.append(Finding("minutes-bucket", Level.ERROR, f"{minutes.name}: " + "; ".join(problems),
                             "redeploy the stack from template.yaml (sam deploy); do not edit the bucket by hand")
                     if problems else _ok("minutes-bucket", f"{minutes.name}: private, versioned, wired to publish"))
    if site is None or not site.exists:
        found.append(Finding("site-bucket", Level.ERROR, "the site bucket is missing", "redeploy the stack"))
    else:
        problems = []
        if not site.public_access_blocked:
            problems.append("public access is not fully blocked (it is served only through CloudFront)")
        if not site.policy_names_distribution:
            problems.append("its policy does not let the distribution read it (every page would be 404)")
        found.append(Finding("site-bucket", Level.ERROR, f"{site.name}: " + "; ".join(problems),
                             "redeploy the stack from template.yaml")
                     if problems else _ok("site-bucket", f"{site.name}: private, readable by the distribution"))
    return found


def _distribution(facts: StackFacts) -> list[Finding]:
    dist = facts.distribution
    if dist is None or not dist.exists:
        return [Finding("distribution", Level.ERROR, "the stack's CloudFront distribution is missing",
                        "redeploy the stack from template.yaml")]
    found = []
    if not dist.enabled:
        found.append(Finding("distribution", Level.ERROR, f"distribution {dist.id} is disabled",
                             "enable it (CloudFront console) or redeploy the stack"))
    elif dist.status != "Deployed":
        found.append(Finding("distribution", Level.WARNING, f"distribution {dist.id} is {dist.status}",
                             "wait (a change reaches every edge location in a few minutes)"))
    else:
        found.append(_ok("distribution", f"{dist.id} serves https://{dist.domain_name}"))
    site = facts.site_bucket
    if site is not None:
        wired = [d for d in dist.origin_domains if d.startswith(site.name + ".s3.")]
        if not wired:
            found.append(Finding("distribution-origin", Level.ERROR,
                                 f"no origin of {dist.id} is the site bucket {site.name}", "redeploy the stack"))
        elif not set(wired) & set(dist.origins_with_access_control):
            found.append(Finding("distribution-origin", Level.ERROR,
                                 f"the site origin of {dist.id} signs no requests (no Origin Access Control)",
                                 "redeploy the stack"))
        else:
            found.append(_ok("distribution-origin", f"reads {site.name} through Origin Access Control"))
    site_url = facts.parameters.get("SiteUrl", "")
    host = (urlsplit(site_url).hostname or "").lower()
    served = {dist.domain_name.lower(), *(a.lower() for a in dist.aliases)}
    if host in served:
        found.append(_ok("site-url", f"SiteUrl {site_url} is served by the distribution"))
    else:
        found.append(Finding("site-url", Level.ERROR,
                             f"SiteUrl is {site_url}, but the distribution answers only for "
                             f"{', '.join(sorted(served))}: links in pages, feeds and emails would not work",
                             f"sam deploy --parameter-overrides SiteUrl=https://{dist.domain_name} (or set "
                             f"DomainName={host} with CertificateArn, and point {host}'s DNS at "
                             f"{dist.domain_name})"))
    return found


def _alarms(facts: StackFacts) -> list[Finding]:
    if not facts.alarms:
        return [Finding("alarms", Level.ERROR, "the stack has no CloudWatch alarms", "redeploy the stack")]
    alarm_topic = facts.outputs.get("AlarmTopicArn", "")
    unarmed = [a.name for a in facts.alarms if not a.actions_enabled or alarm_topic not in a.alarm_actions]
    found = []
    if unarmed:
        found.append(Finding("alarms", Level.ERROR, f"{len(unarmed)} alarm(s) notify nobody: {', '.join(unarmed)}",
                             "aws cloudwatch enable-alarm-actions --alarm-names ... (or redeploy the stack)"))
    else:
        found.append(_ok("alarms", f"{len(facts.alarms)} alarms armed, notifying the alarm topic"))
    for alarm in facts.alarms:
        if alarm.state == "ALARM":
            found.append(Finding("alarm-firing", Level.ERROR, f"{alarm.name} is firing: {alarm.reason}",
                                 "see the alarm's description and the dashboard (DashboardUrl output); a "
                                 "message in a dead-letter queue can be replayed once its cause is fixed"))
    return found
