"""X-Ray tracing for the handlers, made only where it can record.

Powertools' Tracer imports the X-Ray SDK (about 130 ms of cold start) even when tracing is
disabled: outside Lambda, under `sam local`, or with POWERTOOLS_TRACE_DISABLED. Where it would be
disabled anyway, the decorator below is the identity and the SDK is never imported; on Lambda
with tracing on it is Powertools' own `Tracer().capture_lambda_handler`.
"""
from __future__ import annotations

from typing import Callable, TypeVar

from aws_lambda_powertools import Tracer

Handler = TypeVar("Handler", bound=Callable)


def enabled() -> bool:
    """Powertools' own rule (env and runtime), so both agree on when a trace is recorded."""
    return not Tracer._is_tracer_disabled()


def capture_lambda_handler(handler: Handler) -> Handler:
    return Tracer().capture_lambda_handler(handler) if enabled() else handler
