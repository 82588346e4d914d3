"""The subscriptions API's HTTP side: read a request body (JSON or an HTML form, size-limited),
answer in the caller's language (JSON for JSON clients, a small HTML page otherwise), and map
every error to one response. Pages render from templates/subscriptions/; no boto3 here.

Pages carry no script and a strict Content-Security-Policy; `Referrer-Policy: no-referrer` keeps
the token in the URL from leaking to the site the page links to; nothing is cached.
"""
from __future__ import annotations

import base64
import binascii
import functools
import json
import urllib.parse
from pathlib import Path

from aws_lambda_powertools.event_handler import Response

from .subscriptions import InvalidInput, Subscription, describe_groups as _groups_text

MAX_BODY_BYTES = 8 * 1024
MAX_TOKEN = 1024
_TEMPLATES = Path(__file__).with_name("templates")
_JSON, _FORM, _MULTIPART = "application/json", "application/x-www-form-urlencoded", "multipart/form-data"
_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


class RequestProblem(InvalidInput):
    """The request itself is wrong (too large, unsupported type): `status` says which."""

    def __init__(self, status: int, code: str, message: str, hint: str = ""):
        super().__init__(code, message, hint)
        self.status = status


# --- reading ---------------------------------------------------------------------------------


def raw_body(event) -> bytes:
    body = event.get("body") or ""
    if len(body) > MAX_BODY_BYTES * 2:  # base64 makes 4 of 3; checked again once decoded
        raise _too_large()
    try:
        data = base64.b64decode(body, validate=True) if event.get("isBase64Encoded") else body.encode()
    except (binascii.Error, ValueError):
        raise RequestProblem(400, "body-encoding", "The request body could not be read.") from None
    if len(data) > MAX_BODY_BYTES:
        raise _too_large()
    return data


def _too_large() -> RequestProblem:
    return RequestProblem(413, "body-too-large", f"The request is larger than {MAX_BODY_BYTES} bytes.")


def content_type(event) -> str:
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    return headers.get("content-type", "").split(";")[0].strip().lower()


def read_input(event) -> tuple[str, dict]:
    """('json' | 'form', data) from a POST body: a JSON object, or form fields -> lists of values."""
    data = raw_body(event)
    kind = content_type(event)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise RequestProblem(400, "body-encoding", "The request body is not UTF-8 text.") from None
    if kind == _JSON:
        try:
            body = json.loads(text) if text.strip() else {}
        except json.JSONDecodeError:
            raise RequestProblem(400, "body-json", "The request body is not valid JSON.") from None
        if not isinstance(body, dict):
            raise RequestProblem(400, "body-json", "The request body must be a JSON object.")
        return "json", body
    if kind in (_FORM, ""):
        try:
            return "form", urllib.parse.parse_qs(text, keep_blank_values=True, max_num_fields=200)
        except ValueError:
            raise RequestProblem(400, "body-form", "Too many form fields.") from None
    raise RequestProblem(415, "body-type", f"Send JSON ({_JSON}) or an HTML form ({_FORM}).")


def token(event, body: dict | None = None) -> str:
    """The link's token: in the query string (links, one-click POST), or a JSON body's `token`."""
    value = (event.get("queryStringParameters") or {}).get("token")
    if not value and isinstance(body, dict) and isinstance(body.get("token"), str):
        value = body["token"]
    return value if value and len(value) <= MAX_TOKEN else ""


def link_token(event) -> str:
    """The token of a confirm or unsubscribe POST: the body is size-checked and, from a JSON
    client, read for a `token`; any other body (a one-click `List-Unsubscribe=One-Click`, as a
    form or as multipart) says nothing more and is not parsed."""
    data = raw_body(event)
    body = None
    if content_type(event) == _JSON and data.strip():
        try:
            body = json.loads(data)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise RequestProblem(400, "body-json", "The request body is not valid JSON.") from None
    return token(event, body)


def wants_json(event) -> bool:
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    accept = headers.get("accept", "")
    return content_type(event) == _JSON or ("application/json" in accept and "text/html" not in accept)


# --- answering -------------------------------------------------------------------------------


@functools.cache
def _environment() -> "jinja2.Environment":
    return environment()


def environment(writable: str | None = None,
                shipped: str | None = str(_TEMPLATES / "__pycache__")) -> "jinja2.Environment":
    """The subscription pages' templates, compiled ones from `writable` or the package's
    (compiled_templates.SHIPPED, not imported here: the JSON answers do not load jinja2)."""
    import jinja2  # only pages need it, not the JSON answers
    from .compiled_templates import CompiledTemplates
    cache = CompiledTemplates("subscriptions", writable, shipped)
    return jinja2.Environment(loader=jinja2.FileSystemLoader(_TEMPLATES), autoescape=True,
                              bytecode_cache=cache, undefined=jinja2.StrictUndefined,
                              trim_blocks=True, lstrip_blocks=True)


class Pages:
    """Every page and JSON answer of the API. `site_url` is the public site, for the header."""

    def __init__(self, site_url: str):
        self.site_url = site_url.rstrip("/") + "/"
        self.site_host = urllib.parse.urlsplit(site_url).hostname or site_url

    def html(self, status: int, template: str, **context) -> Response:
        page = _environment().get_template(f"subscriptions/{template}").render(
            site_url=self.site_url, site_host=self.site_host, **context)
        return Response(status, "text/html; charset=utf-8", page, headers=_HEADERS)

    @staticmethod
    def json(status: int, data: dict) -> Response:
        return Response(status, "application/json", json.dumps(data), headers=_HEADERS)

    def message(self, status: int, title: str, *paragraphs: str, links=(), problem=False) -> Response:
        return self.html(status, "message.html.j2", title=title, paragraphs=paragraphs, links=links,
                         problem=problem)

    # --- answers --------------------------------------------------------------------------

    def subscribed(self, as_json: bool, email: str) -> Response:
        """The one answer to every valid subscribe request, whatever the address's state."""
        text = ("If this address can receive email, a message with a confirmation link is on its way. "
                "Nothing is sent to it until that link is followed and confirmed.")
        if as_json:
            return self.json(202, {"status": "accepted", "message": text})
        return self.message(202, "Check your inbox", f"We got your request for {email}.", text,
                            "No email? Check the spam folder, or ask again in a few minutes.",
                            links=[("Back to the minutes", self.site_url)])

    def confirm_page(self, token_value: str, subscription: Subscription, preferences_url: str) -> Response:
        pending = subscription.pending
        digest = bool(pending) and all(subscription.modes.get(g) == "digest" for g in pending)
        return self.html(200, "confirm.html.j2", title="Confirm your subscription", email=subscription.email,
                         groups=_groups_text(pending) if pending else "", digest=digest,
                         action=_action("confirm", token_value), preferences_url=preferences_url)

    def confirmed(self, as_json: bool, email: str, groups: list[str], preferences_url: str) -> Response:
        if as_json:
            return self.json(200, {"status": "confirmed", "groups": groups})
        if not groups:
            return self.message(200, "Nothing to confirm",
                                f"There is nothing waiting to be confirmed for {email}.",
                                links=[("See your subscription", preferences_url)])
        return self.message(200, "You are subscribed",
                            f"{email} now gets the meeting minutes of {_groups_text(groups)}.",
                            "Every email has a link to change this or to unsubscribe.",
                            links=[("Change groups or delivery", preferences_url),
                                   ("Back to the minutes", self.site_url)])

    def unsubscribe_page(self, token_value: str, email: str, preferences_url: str) -> Response:
        return self.html(200, "unsubscribe.html.j2", title="Unsubscribe", email=email,
                         action=_action("unsubscribe", token_value), preferences_url=preferences_url)

    def unsubscribed(self, as_json: bool, email: str, preferences_url: str) -> Response:
        if as_json:
            return self.json(200, {"status": "unsubscribed"})
        return self.message(200, "You are unsubscribed", f"{email} gets no more meeting minutes emails.",
                            links=[("Changed your mind? Choose groups again", preferences_url)])

    def preferences(self, prefs, *, saved: bool = False, as_json: bool = False) -> Response:
        sub = prefs.subscription
        if as_json:
            return self.json(200, {"email": prefs.email, "groups": list(sub.confirmed), "mode": sub.mode,
                                   "suppressed": sub.suppressed, "known_groups": list(prefs.known_groups)})
        return self.html(200, "preferences.html.j2", title="Your subscription", email=prefs.email,
                         suppressed=sub.suppressed, saved=saved, every_group=prefs.every_group,
                         choices=prefs.choices, mode=sub.mode,
                         action=_action("preferences", prefs.manage_token),
                         unsubscribe_action=_action("unsubscribe", prefs.manage_token))

    def invalid_link(self, as_json: bool, purpose: str, expired: bool) -> Response:
        if as_json:
            return self.json(400, {"error": {"code": "link-expired" if expired else "link-invalid",
                                             "message": "This link has expired." if expired
                                             else "This link is not valid."}})
        if expired:
            return self.message(400, "This link has expired",
                                "Confirmation links work for a limited time, and this one is too old.",
                                "Subscribe again on the site to get a new link.",
                                links=[("Go to the minutes", self.site_url)], problem=True)
        return self.message(400, "This link is not valid",
                            "The link is incomplete or was changed. Open it again from the email, or "
                            "copy the whole address into your browser.",
                            links=[("Go to the minutes", self.site_url)], problem=True)

    def bad_input(self, as_json: bool, problem: InvalidInput) -> Response:
        status = getattr(problem, "status", 400)
        if as_json:
            return self.json(status, {"error": problem.as_dict()})
        return self.message(status, "That did not work", problem.message,
                            *([problem.hint] if problem.hint else []),
                            links=[("Back to the minutes", self.site_url)], problem=True)


def _action(path: str, token_value: str) -> str:
    """A form action relative to the page (works behind /api and on the API's own URL)."""
    return f"{path}?token={urllib.parse.quote(token_value, safe='')}"
