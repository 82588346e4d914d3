"""The site's security headers as the CloudFront response headers policy in template.yaml sends
them: the one source of truth for the CSP the browser tests check pages against."""
from __future__ import annotations

from pathlib import Path

from minutes.local.template import Stack, load_template

TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"


def security_headers(**parameters: str) -> dict[str, str]:
    template = load_template(TEMPLATE)
    stack = Stack(template, parameters={"SiteUrl": "https://minutes.example.org",
                                        "SenderAddress": "minutes@example.org", **parameters})
    policy = template["Resources"]["SiteSecurityHeadersPolicy"]["Properties"]["ResponseHeadersPolicyConfig"]
    config = stack.resolve(policy["SecurityHeadersConfig"])
    hsts = config["StrictTransportSecurity"]
    sts = f"max-age={hsts['AccessControlMaxAgeSec']}"
    sts += "; includeSubDomains" if hsts.get("IncludeSubdomains") else ""
    sts += "; preload" if hsts.get("Preload") else ""
    headers = {
        "Content-Security-Policy": config["ContentSecurityPolicy"]["ContentSecurityPolicy"],
        "Strict-Transport-Security": sts,
        "Referrer-Policy": config["ReferrerPolicy"]["ReferrerPolicy"],
        "X-Frame-Options": config["FrameOptions"]["FrameOption"],
    }
    if "ContentTypeOptions" in config:
        headers["X-Content-Type-Options"] = "nosniff"
    return headers
