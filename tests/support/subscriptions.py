"""Helpers for the subscriptions tests: HTTP API events built from events/api-*.json, the
stack's real token secret, links read out of sent emails and pages."""
from __future__ import annotations

import base64
import copy
import datetime as dt
import json
import re
import urllib.parse
from html.parser import HTMLParser

import boto3

from minutes.aws.dynamo import SubscribersTable
from minutes.tokens import make_token

from tests.support.aws import REGION, load_event

API_BASE = "https://minutes.example.org/api"


def api_event(method: str, path: str, *, query: dict | None = None, form: dict | str | None = None,
              json_body=None, raw: bytes | None = None, content_type: str | None = None,
              headers: dict | None = None) -> dict:
    """An HTTP API (payload 2.0) event like events/api-subscribe.json, for any route."""
    sample = "api-subscribe.json" if method == "POST" else "api-confirm.json"
    event = copy.deepcopy(load_event(sample))
    path = path if path.startswith("/api") else "/api" + path
    event["routeKey"] = event["requestContext"]["routeKey"] = f"{method} {path}"
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    event["requestContext"]["http"]["method"] = method
    query_string = urllib.parse.urlencode(query or {})
    event["rawQueryString"] = query_string
    event.pop("queryStringParameters", None)
    if query:
        event["queryStringParameters"] = {k: str(v) for k, v in query.items()}
    event["headers"].pop("content-type", None)
    event.pop("body", None)
    event["isBase64Encoded"] = False
    body: bytes | None = raw
    if form is not None:
        body = (form if isinstance(form, str) else urllib.parse.urlencode(form, doseq=True)).encode()
        content_type = content_type or "application/x-www-form-urlencoded"
    elif json_body is not None:
        body = json.dumps(json_body).encode()
        content_type = content_type or "application/json"
    if body is not None:
        # HTTP APIs base64-encode form posts; a JSON body arrives as text.
        if content_type and "json" in content_type:
            event["body"] = body.decode()
        else:
            event["body"], event["isBase64Encoded"] = base64.b64encode(body).decode(), True
        event["headers"]["content-length"] = str(len(body))
    else:
        event["headers"].pop("content-length", None)
    if content_type:
        event["headers"]["content-type"] = content_type
    event["headers"].update({k.lower(): v for k, v in (headers or {}).items()})
    return event


def call(cloud, method: str, path: str, **kwargs) -> dict:
    return cloud.invoke("SubscriptionsFunction", api_event(method, path, **kwargs))


def body_of(response: dict) -> str:
    body = response.get("body") or ""
    return base64.b64decode(body).decode() if response.get("isBase64Encoded") else body


def header(response: dict, name: str) -> str:
    return {k.lower(): v for k, v in response.get("headers", {}).items()}.get(name.lower(), "")


def secret(stack) -> str:
    """The stack's link-signing secret (TokenSecret in Secrets Manager)."""
    client = boto3.client("secretsmanager", region_name=REGION)
    return client.get_secret_value(SecretId=stack.ref("TokenSecret"))["SecretString"]


def token(stack, purpose: str, email: str, *, expires_at: int | None = None) -> str:
    return make_token(secret(stack), purpose=purpose, email=email, expires_at=expires_at)


def link_token(url: str) -> str:
    return urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["token"][0]


def link_path(url: str) -> str:
    return urllib.parse.urlsplit(url).path


def subscribers(stack) -> SubscribersTable:
    return SubscribersTable(stack.table("SubscribersTable"))


def items(stack) -> list[dict]:
    """Every Subscribers item, sorted: to compare before and after."""
    return sorted(stack.table("SubscribersTable").scan(ConsistentRead=True)["Items"],
                  key=lambda i: (i["email"], i["group"]))


def statuses(stack, email: str) -> dict[str, str]:
    return {i["group"]: i.get("status", "") for i in items(stack)
            if i["email"] == email and i["group"] != SubscribersTable.ADDRESS}


def add_digest_reader(stack, email: str, groups: list[str]) -> None:
    subscribers(stack).add_confirmed(email, groups, when=dt.datetime.now(dt.timezone.utc), mode="digest")


class Forms(HTMLParser):
    """The forms, links and text of a page, as a browser would see them."""

    def __init__(self, markup: str):
        super().__init__()
        self.forms: list[dict] = []
        self.links: list[str] = []
        self.scripts = 0
        self._text: list[str] = []
        self.feed(markup)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"method": (attrs.get("method") or "get").lower(),
                               "action": attrs.get("action", ""), "inputs": [], "buttons": 0})
        elif tag == "input" and self.forms:
            self.forms[-1]["inputs"].append(attrs)
        elif tag == "button" and self.forms:
            self.forms[-1]["buttons"] += 1
        elif tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        elif tag == "script":
            self.scripts += 1

    def handle_data(self, data):
        self._text.append(data)

    @property
    def text(self) -> str:
        return re.sub(r"\s+", " ", " ".join(self._text))


def resolve(page_url: str, action: str) -> tuple[str, dict]:
    """(path, query) a form's action points at, relative to the page it is on."""
    target = urllib.parse.urlsplit(urllib.parse.urljoin(page_url, action))
    return target.path, {k: v[0] for k, v in urllib.parse.parse_qs(target.query).items()}
