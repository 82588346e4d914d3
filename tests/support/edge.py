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


def at_the_edge(origin_headers: dict[str, str], **parameters: str) -> dict[str, str]:
    """The headers a viewer gets for a response the origin sent with `origin_headers`: the
    policy's headers replace the origin's where its Override is true, and fill in otherwise."""
    template = load_template(TEMPLATE)
    config = template["Resources"]["SiteSecurityHeadersPolicy"]["Properties"]["ResponseHeadersPolicyConfig"]
    overrides = {"Content-Security-Policy": "ContentSecurityPolicy", "Strict-Transport-Security":
                 "StrictTransportSecurity", "X-Content-Type-Options": "ContentTypeOptions",
                 "X-Frame-Options": "FrameOptions", "Referrer-Policy": "ReferrerPolicy"}
    edge = security_headers(**parameters)
    result = dict(origin_headers)
    present = {name.lower(): name for name in origin_headers}
    for name, value in edge.items():
        override = config["SecurityHeadersConfig"][overrides[name]]["Override"]
        if name.lower() in present and not override:
            continue
        result.pop(present.get(name.lower(), name), None)
        result[name] = value
    return result
