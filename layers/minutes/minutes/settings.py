"""Deployment settings, read from the environment template.yaml sets (names in docs/architecture.md)."""
from __future__ import annotations

import os
import urllib.parse
from dataclasses import dataclass, fields

from .problems import ConfigError


_CONVERT = {"int": int, "float": float}


@dataclass(frozen=True)
class Settings:
    minutes_bucket: str = ""
    site_bucket: str = ""
    meetings_table: str = ""
    listings_table: str = ""
    subscribers_table: str = ""
    deliveries_table: str = ""
    site_updates_queue_url: str = ""
    notifications_queue_url: str = ""
    scribe_topic_arn: str = ""
    site_url: str = "http://localhost:8000"
    sender_address: str = "minutes@example.org"
    subscriptions_url: str = ""      # the subscriptions API (issue 6); defaults under site_url
    token_secret: str = "local-development-secret"
    max_size_bytes: int = 1024 * 1024
    recipients_per_message: int = 50
    # Subscriptions, bounces, digest (issue 6).
    token_secret_name: str = ""      # SSM SecureString (/...) or Secrets Manager secret; else token_secret
    mail_configuration_set: str = ""  # SES configuration set (bounce/complaint events -> SNS)
    digest_queue_url: str = ""
    confirm_token_days: int = 7
    confirm_cooldown_seconds: int = 900
    soft_bounce_limit: int = 3       # soft bounces within soft_bounce_window_days that suppress
    soft_bounce_window_days: int = 30
    # Of the account's SES send rate, what one container of a mailing function may use: the
    # template sets it so that all containers of all mailers together stay within the rate.
    send_rate_share: float = 1.0
    # A throttled notification or digest batch comes back after this many seconds, doubled on each receive
    # (60, 120, 240, 480: 15 minutes before its dead-letter queue), not the queue's 30 minutes.
    throttle_retry_seconds: int = 60

    @classmethod
    def from_env(cls, env=None, *, required: tuple[str, ...] = ()) -> "Settings":
        env = os.environ if env is None else env
        values = {}
        for f in fields(cls):
            raw = env.get(f.name.upper())
            if raw is not None and raw != "":
                values[f.name] = _CONVERT.get(f.type, str)(raw)
        missing = [name.upper() for name in required if not values.get(name)]
        if missing:
            raise ConfigError("missing environment variables: " + ", ".join(missing))
        return cls(**values)

    @property
    def api_url(self) -> str:
        """Where the subscriptions API answers: SUBSCRIPTIONS_URL, else <site>/api."""
        return (self.subscriptions_url or self.site_url.rstrip("/") + "/api").rstrip("/")

    @property
    def site_host(self) -> str:
        return urllib.parse.urlsplit(self.site_url).hostname or "localhost"

    def page_url(self, path: str) -> str:
        return self.site_url.rstrip("/") + path
