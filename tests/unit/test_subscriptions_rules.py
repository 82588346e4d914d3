"""The subscriber rules (minutes.subscriptions): addresses, groups, modes, requests, CSV import.
Pure: no AWS."""
from __future__ import annotations

import pytest
from aws_lambda_powertools.utilities.parser import parse
from pydantic import ValidationError

from minutes.subscription_requests import PreferencesRequest, SubscribeRequest, validate
from minutes.subscriptions import (EVERY_GROUP, InvalidInput, Subscription, choose_groups, describe_groups,
                                   form_to_request, json_to_request, normalise_email, parse_mode,
                                   read_import_csv)


# --- addresses -------------------------------------------------------------------------------

@pytest.mark.parametrize("typed, stored", [
    ("ada@example.org", "ada@example.org"),
    ("  Ada.Lovelace@Example.ORG \n", "ada.lovelace@example.org"),
    ("ada+minutes@example.org", "ada+minutes@example.org"),
    ("ada@example.org.", "ada@example.org"),
    ("ann@bücher.example", "ann@xn--bcher-kva.example"),
    ("ANN@BÜCHER.EXAMPLE", "ann@xn--bcher-kva.example"),
    ("ann@bu\u0308cher.example", "ann@xn--bcher-kva.example"),      # NFD typed, NFC stored
    ("o'brien@sub.example.co.uk", "o'brien@sub.example.co.uk"),
])
def test_addresses_are_normalised(typed, stored):
    assert normalise_email(typed) == stored


@pytest.mark.parametrize("typed, code", [
    ("", "email-missing"),
    ("   ", "email-missing"),
    ("ada", "email-no-at"),
    ("@example.org", "email-no-at"),
    ("ada@", "email-no-at"),
    ("ada lovelace@example.org", "email-spaces"),
    ("ada@example.org\r\nBcc: eve@example.org", "email-spaces"),
    ("ada@exa\u200bmple.org", "email-spaces"),                      # zero-width space
    ("ada..l@example.org", "email-local"),
    (".ada@example.org", "email-local"),
    ('"ada"@example.org', "email-local"),
    ("ada,eve@example.org", "email-local"),
    ("adä@example.org", "email-local-unicode"),
    ("ada@example", "email-domain"),
    ("ada@-example.org", "email-domain"),
    ("ada@[192.0.2.1]", "email-domain"),
    ("ada@example.123", "email-domain"),
    ("a" * 65 + "@example.org", "email-local"),
    ("ada@" + "a" * 250 + ".org", "email-domain"),
])
def test_bad_addresses_are_refused_with_a_code_and_a_message(typed, code):
    with pytest.raises(InvalidInput) as caught:
        normalise_email(typed)
    assert caught.value.code == code
    assert caught.value.field == "email" and caught.value.message


# --- groups and modes ------------------------------------------------------------------------

def test_groups_are_sorted_distinct_names_or_every_group():
    assert choose_groups(["openxla", "ONNX-converters", "openxla"]) == ("onnx-converters", "openxla")
    assert choose_groups("openxla onnx;xla,k8s") == ("k8s", "onnx", "openxla", "xla")
    assert choose_groups(["openxla", "*"]) == (EVERY_GROUP,)
    assert choose_groups(["all"]) == (EVERY_GROUP,)
    assert choose_groups([], allow_empty=True) == ()


@pytest.mark.parametrize("groups, code", [
    ([], "group-missing"), (["../etc"], "group-invalid"), (["api"], "group-invalid"),
    (["#address"], "group-invalid"), ([f"g{n}" for n in range(51)], "group-too-many"), ([3], "group-invalid"),
])
def test_bad_group_choices_are_refused(groups, code):
    with pytest.raises(InvalidInput) as caught:
        choose_groups(groups)
    assert caught.value.code == code


def test_modes():
    assert parse_mode(None) == "each" and parse_mode("Digest") == "digest" and parse_mode("weekly") == "digest"
    with pytest.raises(InvalidInput):
        parse_mode("hourly")


def test_describe_groups():
    assert describe_groups(["*"]) == "every group"
    assert describe_groups(["a"]) == "a"
    assert describe_groups(["a", "b", "c"]) == "a, b and c"


# --- requests through Powertools' parser -------------------------------------------------------

def test_a_form_post_becomes_a_subscribe_request():
    form = {"email": [" Ada@Example.org"], "group": ["openxla"], "mode": ["digest"]}
    request = parse(event=form_to_request(form), model=SubscribeRequest)
    assert (request.email, request.groups, request.mode) == ("ada@example.org", ("openxla",), "digest")


def test_a_json_body_becomes_a_subscribe_request():
    request = parse(event=json_to_request({"email": "ada@example.org", "group": "openxla"}), model=SubscribeRequest)
    assert request.groups == ("openxla",) and request.mode == "each"
    default = parse(event={"email": "ada@example.org"}, model=SubscribeRequest)
    assert default.groups == (EVERY_GROUP,)


def test_all_groups_checkbox_wins():
    request = parse(event=form_to_request({"all_groups": ["1"], "groups": ["openxla"]}), model=PreferencesRequest)
    assert request.groups == (EVERY_GROUP,)


def test_validation_errors_carry_our_problem():
    with pytest.raises(ValidationError) as caught:
        parse(event={"email": "nope", "groups": ["openxla"]}, model=SubscribeRequest)
    assert isinstance(caught.value.errors()[0]["ctx"]["error"], InvalidInput)


def test_overlong_strings_are_refused():
    with pytest.raises(ValidationError):
        parse(event={"email": "a" * 5000 + "@example.org"}, model=SubscribeRequest)


def test_the_api_reports_a_validation_error_as_our_problem():
    """What the routes call: the InvalidInput a validator raised, or one naming the field."""
    with pytest.raises(InvalidInput) as bad_email:
        validate(SubscribeRequest, {"email": "nope", "groups": ["openxla"]})
    assert (bad_email.value.code, bad_email.value.field) == ("email-no-at", "email")
    with pytest.raises(InvalidInput) as missing:
        validate(PreferencesRequest, {"mode": "each"})
    assert (missing.value.code, missing.value.field) == ("field-missing", "groups")
    with pytest.raises(InvalidInput) as not_a_word:   # JSON can send any type
        validate(SubscribeRequest, {"email": "ada@example.org", "mode": 5})
    assert (not_a_word.value.code, not_a_word.value.field) == ("mode-invalid", "mode")


# --- one address ------------------------------------------------------------------------------

def test_subscription_view():
    sub = Subscription("ada@example.org", {"openxla": "confirmed", "xla": "pending", "k8s": "unsubscribed"},
                       {"openxla": "digest", "xla": "each"})
    assert sub.confirmed == ("openxla",) and sub.pending == ("xla",) and sub.mode == "digest"
    assert sub.needs_confirmation(("openxla", "xla", "onnx")) == ("xla", "onnx")


# --- CSV import --------------------------------------------------------------------------------

def test_csv_import_reports_every_bad_row_with_its_line():
    text = "\ufeffemail,name,groups,mode\n" \
           "ada@example.org,Ada,openxla,each\n" \
           "not-an-address,Bob,,\n" \
           "\n" \
           "grace@example.org,\"Grace\nHopper\",openxla xla,digest\n" \
           "linus@example.org,Linus,../bad,\n" \
           "ADA@example.org,Ada again,,digest\n" \
           "ken@example.org,Ken,,hourly\n" \
           "dennis@example.org,Dennis,,\n"
    found = read_import_csv(text, groups=("openxla",))
    assert [(r.line, r.email, r.groups, r.mode) for r in found.rows] == [
        (2, "ada@example.org", ("openxla",), "each"),
        (6, "grace@example.org", ("openxla", "xla"), "digest"),   # a quoted field spans lines 5-6
        (10, "dennis@example.org", ("openxla",), "each")]
    assert [(b.line, b.message) for b in found.bad] == [
        (3, "An email address needs a name, an @ and a domain."),
        (7, "'../bad' is not a group name."),
        (8, "ada@example.org is on line 2 already, with mode each."),
        (9, "'hourly' is not a delivery mode.")]


def test_csv_without_a_header_is_email_groups_mode():
    found = read_import_csv("ada@example.org\ngrace@example.org,*,digest\n# a comment\n")
    assert [(r.email, r.groups, r.mode) for r in found.rows] == [
        ("ada@example.org", (EVERY_GROUP,), "each"), ("grace@example.org", (EVERY_GROUP,), "digest")]
    assert found.bad == []


def test_an_export_reads_back_one_address_per_person_and_only_the_confirmed():
    text = ("email,group,status,mode,created_at\n"
            "ada@example.org,openxla,confirmed,each,2026-01-01\n"
            "ada@example.org,xla,confirmed,each,2026-01-01\n"
            "bob@example.org,openxla,unsubscribed,each,2026-01-01\n"
            "eve@example.org,openxla,suppressed,each,2026-01-01\n")
    found = read_import_csv(text)
    assert [(r.email, r.groups) for r in found.rows] == [("ada@example.org", ("openxla", "xla"))]
    assert found.ignored == 2 and found.bad == []
