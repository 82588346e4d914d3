"""The subscriptions HTTP API's routes (Powertools event handler): subscribe (double opt-in),
confirm, unsubscribe, preferences. functions/subscriptions/app.py resolves events with `app`.

GET routes only read and show a page with one button; the POST behind the button acts. Input is
validated by pydantic models (minutes.subscription_requests), imported on the first request
that carries input, so a cold start for a link's page does not pay for pydantic; every error has
one response, a page for people and JSON for programs (minutes.subscription_web).
"""
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.metrics import MetricUnit

from . import runtime
from .subscription_web import Pages, link_token, read_input, token, wants_json
from .tokens import UNSUBSCRIBE, InvalidLink
from .subscriptions import InvalidInput, form_to_request, json_to_request

# Powertools shares one logger and one metric set per service, so the handler's decorators
# flush what these routes add.
logger = Logger()
metrics = Metrics(namespace="MinutesPipeline")
# Behind the site's CloudFront the API sits under /api; on its own URL it does not.
app = APIGatewayHttpResolver(strip_prefixes=["/api"])


def _pages() -> Pages:
    return Pages(runtime.settings().site_url)


def _parse(kind: str, data: dict, model):
    """The request as `model` (subscription_requests), or InvalidInput saying what is wrong."""
    from .subscription_requests import validate
    return validate(model, json_to_request(data) if kind == "json" else form_to_request(data))


@app.post("/subscriptions")
@app.post("/")  # the site's subscribe form posts to the API's base URL (SiteConfig.subscribe_url)
def subscribe():
    from .subscription_requests import SubscribeRequest   # pydantic: only where input is parsed
    request = _parse(*read_input(app.current_event.raw_event), SubscribeRequest)
    outcome = runtime.subscriptions().subscribe(request)
    metrics.add_metric(name="SubscribeRequests", unit=MetricUnit.Count, value=1)
    logger.info("subscribe", extra={"outcome": outcome, "groups": len(request.groups)})
    return _pages().subscribed(wants_json(app.current_event.raw_event), request.email)


@app.get("/confirm")
def confirm_page():
    link = token(app.current_event.raw_event)
    pending = runtime.subscriptions().pending(link)
    manage = runtime.subscriptions().manage_token(pending.email)
    return _pages().confirm_page(link, pending, runtime.subscriptions().links.preferences(manage))


@app.post("/confirm")
def confirm():
    email, groups = runtime.subscriptions().confirm(link_token(app.current_event.raw_event))
    metrics.add_metric(name="SubscriptionsConfirmed", unit=MetricUnit.Count, value=len(groups))
    manage = runtime.subscriptions().links.preferences(runtime.subscriptions().manage_token(email))
    return _pages().confirmed(wants_json(app.current_event.raw_event), email, groups, manage)


@app.get("/unsubscribe")
def unsubscribe_page():
    link = token(app.current_event.raw_event)
    email = runtime.subscriptions().address(link, UNSUBSCRIBE)
    return _pages().unsubscribe_page(link, email, runtime.subscriptions().links.preferences(link))


@app.post("/unsubscribe")
def unsubscribe():
    # RFC 8058 one-click: the token is in the URL; the body (List-Unsubscribe=One-Click, as a
    # form or multipart) says nothing more, so it is not parsed, only size-checked.
    link = link_token(app.current_event.raw_event)
    email = runtime.subscriptions().unsubscribe(link)
    metrics.add_metric(name="Unsubscribed", unit=MetricUnit.Count, value=1)
    return _pages().unsubscribed(wants_json(app.current_event.raw_event), email,
                                 runtime.subscriptions().links.preferences(link))


@app.get("/preferences")
def preferences_page():
    prefs = runtime.subscriptions().preferences(token(app.current_event.raw_event))
    return _pages().preferences(prefs, as_json=wants_json(app.current_event.raw_event))


@app.post("/preferences")
def preferences():
    from .subscription_requests import PreferencesRequest
    kind, data = read_input(app.current_event.raw_event)
    link = token(app.current_event.raw_event, data)
    runtime.subscriptions().address(link, UNSUBSCRIBE)  # a bad link says so before the form does
    prefs = runtime.subscriptions().save_preferences(link, _parse(kind, data, PreferencesRequest))
    return _pages().preferences(prefs, saved=True, as_json=wants_json(app.current_event.raw_event))


@app.exception_handler(InvalidLink)
def invalid_link(exc: InvalidLink):
    return _pages().invalid_link(wants_json(app.current_event.raw_event), exc.purpose, exc.expired)


@app.exception_handler(InvalidInput)
def invalid_input(exc: InvalidInput):
    return _pages().bad_input(wants_json(app.current_event.raw_event), exc)

