"""The subscriptions API's two requests that carry people's input (subscribe, preferences), as
pydantic models run by Powertools' parser, and the one way a failed validation is reported.

Its own module so that pydantic (~100 ms of import) is loaded by the routes that validate input,
on their first request, and not by every cold start of the API (decision 35).
"""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .subscriptions import EVERY_GROUP, InvalidInput, choose_groups, normalise_email, parse_mode

Mode = Literal["each", "digest"]


class _Choice(BaseModel):
    """Which groups, and every meeting or a weekly digest: what subscribing and changing
    preferences both choose."""
    model_config = ConfigDict(extra="ignore", str_max_length=1000)
    groups: tuple[str, ...]
    mode: Mode = "each"

    @field_validator("groups", mode="before")
    @classmethod
    def _groups(cls, value):
        return choose_groups(value)

    @field_validator("mode", mode="before")
    @classmethod
    def _mode(cls, value):
        return parse_mode(value)


class SubscribeRequest(_Choice):
    """POST /subscriptions, as JSON or as an HTML form."""
    email: str
    groups: tuple[str, ...] = Field(default=(EVERY_GROUP,))

    @field_validator("email", mode="before")
    @classmethod
    def _email(cls, value):
        return normalise_email(value)


class PreferencesRequest(_Choice):
    """POST /preferences: the whole new choice (groups and mode)."""


def validate(model: type[_Choice], data: dict) -> _Choice:
    """The request, or InvalidInput naming the first thing wrong with it."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise input_problem(exc) from None


def input_problem(exc: ValidationError) -> InvalidInput:
    """The first problem of a validation error, as the InvalidInput our validators raised."""
    for error in exc.errors():
        found = (error.get("ctx") or {}).get("error")
        if isinstance(found, InvalidInput):
            return found
    error = exc.errors()[0] if exc.errors() else {}
    where = ".".join(str(p) for p in error.get("loc", ()))
    if error.get("type") == "missing":
        return InvalidInput("field-missing", f"'{where}' is required.", field_name=where)
    return InvalidInput("field-invalid", f"'{where}': {error.get('msg', 'invalid value')}.", field_name=where)
