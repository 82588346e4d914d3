"""The subscriptions API through API Gateway (HTTP API) events, on the local stack: double
opt-in, confirm, one-click unsubscribe, preferences; no enumeration; GET never changes anything;
expired and forged links; the confirmation cooldown; size and type limits."""
from __future__ import annotations

import datetime as dt
import time

import boto3
import pytest

from minutes import runtime
from minutes.aws.listings import ListingsTable
from minutes.aws.ses import Mailer
from minutes.services.subscriptions import Subscriptions
from minutes.tokens import make_token

from tests.support.aws import REGION, SAMPLE_KEY, minutes_text, outbox, sample_minutes
from tests.support.subscriptions import (API_BASE, Forms, body_of, call, header, items, link_path,
                                         link_token, resolve, secret, statuses, subscribers, token)

ADA = "ada@example.org"


@pytest.fixture
def api(stack):
    # Meeting emails signed with the stack's real secret, so their links work on the API.
    runtime.provide(notifier=stack.notifier(token_secret=secret(stack)))
    return stack


def subscribe(cloud, email=ADA, **form):
    return call(cloud, "POST", "/subscriptions", form={"email": email, **form})


def confirmation_link(mail) -> str:
    text = mail.get_body(("plain",)).get_content()
    (link,) = [w for w in text.split() if w.startswith(f"{API_BASE}/confirm?")]
    return link


def follow(cloud, link: str, method: str = "GET", **kwargs) -> dict:
    return call(cloud, method, link_path(link), query={"token": link_token(link)}, **kwargs)


def press_the_button(cloud, page_url: str, response: dict, **kwargs) -> dict:
    """Submit the page's one form as a browser would: POST to its action, no cookies, no JS."""
    forms = Forms(body_of(response))
    assert forms.scripts == 0
    (form,) = [f for f in forms.forms if f["buttons"]][:1]
    assert form["method"] == "post"
    path, query = resolve(page_url, form["action"])
    return call(cloud, "POST", path, query=query, form={}, **kwargs)


# --- the whole double opt-in --------------------------------------------------------------


def test_double_opt_in_then_meeting_email_then_one_click_unsubscribe(api):
    cloud = api.cloud
    answer = subscribe(cloud, "Ada@EXAMPLE.org", group="openxla")
    assert answer["statusCode"] == 202
    assert "Check your inbox" in body_of(answer)
    assert statuses(api, ADA) == {"openxla": "pending"}

    (mail,) = outbox()
    assert str(mail["To"]) == ADA and "Confirm your subscription" in str(mail["Subject"])
    link = confirmation_link(mail)

    page = follow(cloud, link)                              # the mail scanner and the person
    assert page["statusCode"] == 200
    assert "openxla" in Forms(body_of(page)).text
    assert statuses(api, ADA) == {"openxla": "pending"}     # opening the link changed nothing

    done = press_the_button(cloud, link, page)
    assert done["statusCode"] == 200 and "You are subscribed" in body_of(done)
    assert statuses(api, ADA) == {"openxla": "confirmed"}

    api.publish(SAMPLE_KEY, sample_minutes())
    api.drain()
    meeting_mail = [m for m in outbox() if str(m["Subject"]).startswith("[openxla]")]
    assert [str(m["To"]) for m in meeting_mail] == [ADA]
    assert str(meeting_mail[0]["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"
    https = str(meeting_mail[0]["List-Unsubscribe"]).split(",")[0].strip("<> ")

    # RFC 8058: the mail provider POSTs List-Unsubscribe=One-Click to the https URL.
    one_click = follow(cloud, https, "POST", form="List-Unsubscribe=One-Click",
                       headers={"user-agent": "Mozilla/5.0 (compatible; Google-Unsubscribe)", "accept": "*/*"})
    assert one_click["statusCode"] == 200
    assert statuses(api, ADA) == {"openxla": "unsubscribed"}

    sent_before = len(outbox())
    api.publish("minutes/openxla/2022-10-18-sig-openxla.md", minutes_text("SIG OpenXLA, October"))
    api.drain()
    assert len(outbox()) == sent_before                     # nothing more for Ada


def test_one_click_works_as_multipart_and_with_an_empty_body(api):
    for n, kwargs in enumerate([
            {"raw": b"--b\r\nContent-Disposition: form-data; name=\"List-Unsubscribe\"\r\n\r\n"
                    b"One-Click\r\n--b--\r\n", "content_type": "multipart/form-data; boundary=b"},
            {}]):
        email = f"reader{n}@example.org"
        subscribers(api).add_confirmed(email, ["openxla"], when=_now())
        response = call(api.cloud, "POST", "/unsubscribe", query={"token": token(api, "unsubscribe", email)},
                        **kwargs)
        assert response["statusCode"] == 200, body_of(response)
        assert statuses(api, email) == {"openxla": "unsubscribed"}


def test_the_sites_subscribe_form_posts_to_the_api_base(api):
    """SiteConfig.subscribe_url is SUBSCRIPTIONS_URL itself: POST /api subscribes too."""
    response = call(api.cloud, "POST", "/api", form={"email": ADA, "group": "onnx-converters"})
    assert response["statusCode"] == 202
    assert statuses(api, ADA) == {"onnx-converters": "pending"}


def test_json_clients_get_json(api):
    response = call(api.cloud, "POST", "/subscriptions",
                    json_body={"email": ADA, "groups": ["openxla", "xla"], "mode": "digest"})
    assert response["statusCode"] == 202 and header(response, "content-type") == "application/json"
    assert '"status": "accepted"' in body_of(response)
    assert statuses(api, ADA) == {"openxla": "pending", "xla": "pending"}
    confirmed = call(api.cloud, "POST", "/confirm", json_body={"token": link_token(confirmation_link(outbox()[0]))})
    assert confirmed["statusCode"] == 200 and '"confirmed"' in body_of(confirmed)
    assert {i["group"]: i["mode"] for i in items(api) if i["email"] == ADA and "mode" in i} == {
        "openxla": "digest", "xla": "digest"}


# --- no enumeration, GET changes nothing ----------------------------------------------------


def test_the_answer_is_the_same_whoever_asks(api):
    subscribers(api).add_confirmed("known@example.org", ["openxla"], when=_now())
    subscribers(api).suppress("bounced@example.org", reason="hard-bounce:General", when=_now())
    subscribe(api.cloud, "pending@example.org", group="openxla")
    answers = {}
    for email in ("new@example.org", "known@example.org", "bounced@example.org", "pending@example.org"):
        for as_json in (False, True):
            kwargs = {"json_body": {"email": email, "groups": ["openxla"]}} if as_json else \
                {"form": {"email": email, "group": "openxla"}}
            response = call(api.cloud, "POST", "/subscriptions", **kwargs)
            answers[(email, as_json)] = (response["statusCode"], body_of(response).replace(email, "EMAIL"),
                                         header(response, "content-type"))
    for as_json in (False, True):
        assert len({v for (e, j), v in answers.items() if j == as_json}) == 1
    # Only the new address got mail (one confirmation); the pending one is in its cooldown.
    assert sorted(str(m["To"]) for m in outbox()) == ["new@example.org", "pending@example.org"]


def test_get_never_changes_anything(api):
    subscribe(api.cloud, group="openxla")
    confirm_link = confirmation_link(outbox()[0])
    before = items(api)
    for response in (follow(api.cloud, confirm_link),
                     call(api.cloud, "GET", "/unsubscribe", query={"token": token(api, "unsubscribe", ADA)}),
                     call(api.cloud, "GET", "/preferences", query={"token": token(api, "unsubscribe", ADA)})):
        assert response["statusCode"] == 200
        assert header(response, "cache-control") == "no-store"
        assert header(response, "referrer-policy") == "no-referrer"
        assert "script-src" not in header(response, "content-security-policy")
        assert "default-src 'none'" in header(response, "content-security-policy")
    assert items(api) == before


# --- bad links and bad input ------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_an_expired_confirmation_link_gets_a_clear_page(api, method):
    expired = token(api, "confirm", ADA, expires_at=int(time.time()) - 60)
    response = call(api.cloud, method, "/confirm", query={"token": expired}, **({"form": {}} if method == "POST" else {}))
    assert response["statusCode"] == 400
    assert header(response, "content-type").startswith("text/html")
    page = Forms(body_of(response)).text
    assert "This link has expired" in page and "Subscribe again" in page
    assert "Traceback" not in body_of(response)


@pytest.mark.parametrize("forged", [
    "not-a-token", "", "a.b.c",
    # signed with another secret
    make_token("guess", purpose="unsubscribe", email=ADA),
])
def test_a_forged_link_gets_a_clear_page(api, forged):
    for path in ("/unsubscribe", "/preferences", "/confirm"):
        response = call(api.cloud, "POST", path, query={"token": forged} if forged else {}, form={})
        assert response["statusCode"] == 400, path
        assert "This link is not valid" in Forms(body_of(response)).text


def test_a_token_made_for_another_purpose_or_tampered_with_is_refused(api):
    subscribers(api).add_confirmed(ADA, ["openxla"], when=_now())
    unsubscribe = token(api, "unsubscribe", ADA)
    assert call(api.cloud, "POST", "/confirm", query={"token": unsubscribe}, form={})["statusCode"] == 400
    confirm = token(api, "confirm", ADA, expires_at=int(time.time()) + 3600)
    assert call(api.cloud, "POST", "/unsubscribe", query={"token": confirm}, form={})["statusCode"] == 400
    payload, mac = unsubscribe.split(".")
    other = token(api, "unsubscribe", "eve@example.org").split(".")[0]
    assert call(api.cloud, "POST", "/unsubscribe", query={"token": f"{other}.{mac}"}, form={})["statusCode"] == 400
    assert statuses(api, ADA) == {"openxla": "confirmed"}


@pytest.mark.parametrize("email, message", [
    ("", "An email address is required."),
    ("not-an-address", "An email address needs a name, an @ and a domain."),
    ("ada@example", "is not a valid domain name"),
    ("ada@example.org\r\nBcc: eve@example.org", "cannot contain spaces or control characters"),
    ("anna..b@example.org", "is not a valid name before the @"),
])
def test_bad_addresses_get_a_400_that_says_why(api, email, message):
    page = call(api.cloud, "POST", "/subscriptions", form={"email": email, "group": "openxla"})
    assert page["statusCode"] == 400 and message in Forms(body_of(page)).text
    data = call(api.cloud, "POST", "/subscriptions", json_body={"email": email, "groups": ["openxla"]})
    assert data["statusCode"] == 400 and message in body_of(data) and '"field": "email"' in body_of(data)
    assert outbox() == [] and items(api) == []


def test_bad_groups_and_modes_get_a_400(api):
    for form in ({"email": ADA, "group": "../etc"}, {"email": ADA, "group": "openxla", "mode": "hourly"},
                 {"email": ADA, "group": "api"}):
        assert subscribe(api.cloud, **{k: v for k, v in form.items() if k != "email"})["statusCode"] == 400
    assert call(api.cloud, "POST", "/subscriptions", json_body=["not", "an", "object"])["statusCode"] == 400
    assert call(api.cloud, "POST", "/subscriptions", raw=b"{nope", content_type="application/json")["statusCode"] == 400


def test_body_size_and_type_limits(api):
    big = call(api.cloud, "POST", "/subscriptions", form={"email": ADA, "group": "openxla", "x": "y" * 9000})
    assert big["statusCode"] == 413
    typed = call(api.cloud, "POST", "/subscriptions", raw=b"email=ada@example.org", content_type="text/plain")
    assert typed["statusCode"] == 415
    huge_unsubscribe = call(api.cloud, "POST", "/unsubscribe", query={"token": token(api, "unsubscribe", ADA)},
                            raw=b"x" * 20000, content_type="application/octet-stream")
    assert huge_unsubscribe["statusCode"] == 413
    assert outbox() == []


# --- cooldown -------------------------------------------------------------------------------------


class Clock:
    def __init__(self):
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def test_confirmation_emails_have_a_per_address_cooldown(api):
    clock = Clock()
    s = api.settings("SubscriptionsFunction")
    runtime.provide(subscriptions=Subscriptions(
        settings=s, subscribers=subscribers(api), listings=ListingsTable(api.table("ListingsTable")),
        mailer=Mailer(boto3.client("sesv2", region_name=REGION), boto3.client("ses", region_name=REGION),
                      configuration_set=s.mail_configuration_set),
        secret=lambda: secret(api), clock=clock))
    assert s.confirm_cooldown_seconds == 900
    for _ in range(5):
        assert subscribe(api.cloud, group="openxla")["statusCode"] == 202
    assert len(outbox()) == 1
    clock.now += 899
    subscribe(api.cloud, group="xla")
    assert len(outbox()) == 1
    assert statuses(api, ADA) == {"openxla": "pending", "xla": "pending"}   # stored, not mailed
    clock.now += 2
    subscribe(api.cloud, group="openxla")
    assert len(outbox()) == 2
    # Either link confirms everything pending, and the page says what that is first.
    page = follow(api.cloud, confirmation_link(outbox()[0]))
    assert "openxla and xla" in Forms(body_of(page)).text


# --- preferences -----------------------------------------------------------------------------------


def test_preferences_change_groups_and_mode_without_unsubscribing(api):
    api.publish(SAMPLE_KEY, sample_minutes())
    api.publish("minutes/onnx-converters/020-20210507.md", minutes_text("ONNX converters"))
    api.publish("minutes/wg-drafts/2024-05-07.md", minutes_text("Draft", front="draft: true"))
    api.drain()
    subscribers(api).add_confirmed(ADA, ["*"], when=_now())
    manage = token(api, "unsubscribe", ADA)
    page = call(api.cloud, "GET", "/preferences", query={"token": manage})
    forms = Forms(body_of(page))
    offered = {i["value"] for f in forms.forms for i in f["inputs"] if i.get("name") == "groups"}
    assert offered == {"openxla", "onnx-converters"}   # groups with listed meetings (not drafts only)
    assert any(i.get("name") == "all_groups" and "checked" in i for f in forms.forms for i in f["inputs"])

    path, query = resolve(f"{API_BASE}/preferences?token={manage}", forms.forms[0]["action"])
    saved = call(api.cloud, "POST", path, query=query, form={"groups": ["openxla"], "mode": "digest"})
    assert saved["statusCode"] == 200 and "Saved" in body_of(saved)
    assert statuses(api, ADA) == {"*": "unsubscribed", "openxla": "confirmed"}
    assert subscribers(api).confirmed("openxla") == []          # digest readers get no per-meeting mail
    assert subscribers(api).digest_readers() == {ADA: {"openxla"}}

    back = call(api.cloud, "POST", path, query=query, form={"all_groups": "1", "mode": "each"})
    assert back["statusCode"] == 200
    assert statuses(api, ADA) == {"*": "confirmed", "openxla": "unsubscribed"}
    assert subscribers(api).confirmed("onnx-converters") == [ADA]

    nothing = call(api.cloud, "POST", path, query=query, form={"mode": "each"})
    assert nothing["statusCode"] == 400 and "Choose at least one group" in body_of(nothing)


def _now():
    return dt.datetime.now(dt.timezone.utc)
