"""The edge in template.yaml: the CloudFront Function's logic (run with node), the distribution's
wiring (private bucket behind Origin Access Control, HTTPS only, HTTP/2 and 3, compression, the
404 page, the API under /api), and the security headers every page gets."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from minutes.local.template import Stack, load_template
from tests.support.edge import TEMPLATE, security_headers

RESOURCES = load_template(TEMPLATE)["Resources"]
DISTRIBUTION = RESOURCES["SiteDistribution"]["Properties"]["DistributionConfig"]

# node runs the function's code as CloudFront would call it: handler(event) -> request or response.
_HARNESS = """
const fs = require('fs');
const input = JSON.parse(fs.readFileSync(0, 'utf8'));
const handler = new Function(input.code + '\\nreturn handler;')();
process.stdout.write(JSON.stringify(input.events.map(e => handler(e))));
"""


def run_function(*requests: dict) -> list[dict]:
    node = shutil.which("node")
    if not node:
        pytest.fail("node is needed to run the CloudFront Function's code (apt-get install -y nodejs)",
                    pytrace=False)
    code = RESOURCES["SiteDirectoryIndexFunction"]["Properties"]["FunctionCode"]
    events = [{"version": "1.0", "context": {"eventType": "viewer-request"}, "viewer": {"ip": "192.0.2.1"},
               "request": {"method": "GET", "headers": {}, "cookies": {}, "querystring": {}, **r}}
              for r in requests]
    done = subprocess.run([node, "-e", _HARNESS], input=json.dumps({"code": code, "events": events}),
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def uri_after(uri: str) -> str:
    return run_function({"uri": uri})[0]["uri"]


# ---------------------------------------------------------------- the CloudFront Function


def test_directory_urls_serve_their_index_html():
    assert uri_after("/") == "/index.html"
    assert uri_after("/openxla/") == "/openxla/index.html"
    assert uri_after("/openxla/2022-09-20-sig-openxla/") == "/openxla/2022-09-20-sig-openxla/index.html"
    assert uri_after("/openxla/page/2/") == "/openxla/page/2/index.html"


def test_files_pass_unchanged():
    for uri in ("/feed.xml", "/openxla/atom.xml", "/404.html", "/assets/style.0123abcd.css",
                "/openxla/2022-09-20-community-meeting/%5BPublic%5D%20Slides.pdf",
                "/openxla/meetings.ics", "/search/t/6f7065.json", "/v1.2/notes.txt"):
        assert uri_after(uri) == uri


def test_a_directory_url_without_its_slash_redirects_keeping_the_query():
    plain, query, multi, flag = run_function(
        {"uri": "/openxla/2022-09-20-sig-openxla"},
        {"uri": "/search", "querystring": {"q": {"value": "stablehlo%20xla"}}},
        {"uri": "/openxla", "querystring": {"a": {"value": "1", "multiValue": [{"value": "1"}, {"value": "2"}]}}},
        {"uri": "/openxla", "querystring": {"preview": {"value": ""}}},
    )
    assert plain["statusCode"] == 301
    assert plain["headers"]["location"] == {"value": "/openxla/2022-09-20-sig-openxla/"}
    assert query["headers"]["location"] == {"value": "/search/?q=stablehlo%20xla"}
    assert multi["headers"]["location"] == {"value": "/openxla/?a=1&a=2"}
    assert flag["headers"]["location"] == {"value": "/openxla/?preview"}
    # A redirect is a response, not a request: it must not carry a uri for the origin.
    assert "uri" not in plain


# ---------------------------------------------------------------- the distribution


def test_the_site_bucket_is_private_and_read_only_through_the_distribution():
    bucket = RESOURCES["SiteBucket"]["Properties"]
    assert "WebsiteConfiguration" not in bucket
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    statements = RESOURCES["SiteBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    allows = [s for s in statements if s["Effect"] == "Allow"]
    assert len(allows) == 1
    (allow,) = allows
    assert allow["Principal"] == {"Service": "cloudfront.amazonaws.com"} and allow["Action"] == "s3:GetObject"
    assert "SiteDistribution" in allow["Condition"]["StringEquals"]["AWS:SourceArn"]["Fn::Sub"]
    assert any(s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
               for s in statements)
    (site,) = [o for o in DISTRIBUTION["Origins"] if o["Id"] == "site"]
    assert site["OriginAccessControlId"] == {"Fn::GetAtt": ["SiteOriginAccessControl", "Id"]}
    assert site["S3OriginConfig"] == {"OriginAccessIdentity": ""}
    oac = RESOURCES["SiteOriginAccessControl"]["Properties"]["OriginAccessControlConfig"]
    assert (oac["OriginAccessControlOriginType"], oac["SigningBehavior"]) == ("s3", "always")


def test_https_only_http2_and_http3_compressed_with_the_404_page():
    assert DISTRIBUTION["HttpVersion"] == "http2and3"
    default = DISTRIBUTION["DefaultCacheBehavior"]
    assert default["ViewerProtocolPolicy"] == "redirect-to-https" and default["Compress"] is True
    assert [a["EventType"] for a in default["FunctionAssociations"]] == ["viewer-request"]
    for behaviour in DISTRIBUTION["CacheBehaviors"]:
        # A POST cannot follow a redirect with its body: the API refuses http instead.
        assert behaviour["ViewerProtocolPolicy"] == "https-only" and behaviour["Compress"] is True
    for behaviour in [default, *DISTRIBUTION["CacheBehaviors"]]:
        assert behaviour["ResponseHeadersPolicyId"] == {"Ref": "SiteSecurityHeadersPolicy"}
    errors = {e["ErrorCode"]: e for e in DISTRIBUTION["CustomErrorResponses"]}
    assert errors[403]["ResponsePagePath"] == "/404.html" and errors[403]["ResponseCode"] == 404
    cache = RESOURCES["SiteCachePolicy"]["Properties"]["CachePolicyConfig"]
    keys = cache["ParametersInCacheKeyAndForwardedToOrigin"]
    assert keys["EnableAcceptEncodingGzip"] and keys["EnableAcceptEncodingBrotli"]


def test_every_api_route_goes_to_the_api_uncached():
    routes = {ev["Properties"]["Path"]
              for ev in RESOURCES["SubscriptionsFunction"]["Properties"]["Events"].values()
              if ev["Type"] == "HttpApi"}
    behaviours = {b["PathPattern"]: b for b in DISTRIBUTION["CacheBehaviors"]}
    for path in routes:
        pattern = path if path in behaviours else path.rsplit("/", 1)[0] + "/*"
        behaviour = behaviours[pattern]
        assert behaviour["TargetOriginId"] == "api", path
        assert "POST" in behaviour["AllowedMethods"], path
        assert behaviour["CachePolicyId"] == "4135ea2d-6df8-44a3-9df3-4b5a84be39ad", path  # CachingDisabled
    (api,) = [o for o in DISTRIBUTION["Origins"] if o["Id"] == "api"]
    assert "${SubscriptionsApi}.execute-api." in api["DomainName"]["Fn::Sub"]
    assert api["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"


def _resolved_distribution(**parameters) -> dict:
    stack = Stack(load_template(TEMPLATE), parameters={"SiteUrl": "https://minutes.example.org",
                                                       "SenderAddress": "minutes@example.org", **parameters})
    stack.refs.update(SiteCachePolicy="cp", SiteSecurityHeadersPolicy="rhp", SubscriptionsApi="abc123",
                      SiteBucket="site-bucket")
    stack.attrs.update({("SiteBucket", "RegionalDomainName"): "site-bucket.s3.us-east-1.amazonaws.com",
                        ("SiteOriginAccessControl", "Id"): "oac",
                        ("AccessLogsBucket", "DomainName"): "logs.s3.amazonaws.com",
                        ("SiteDirectoryIndexFunction", "FunctionMetadata.FunctionARN"): "fn"})
    return stack.resolve(RESOURCES["SiteDistribution"]["Properties"]["DistributionConfig"])


def test_a_custom_domain_gets_its_certificate_and_modern_tls():
    custom = _resolved_distribution(DomainName="minutes.example.org",
                                    CertificateArn="arn:aws:acm:us-east-1:123456789012:certificate/0a-1b")
    assert custom["Aliases"] == ["minutes.example.org"]
    assert custom["ViewerCertificate"] == {
        "AcmCertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/0a-1b",
        "SslSupportMethod": "sni-only", "MinimumProtocolVersion": "TLSv1.2_2021"}
    plain = _resolved_distribution()
    assert plain["Aliases"] is None     # AWS::NoValue: the property is left out
    assert plain["ViewerCertificate"] == {"CloudFrontDefaultCertificate": True}


# ---------------------------------------------------------------- headers


def test_security_headers_are_strict():
    headers = security_headers()
    csp = dict(part.strip().split(" ", 1) if " " in part.strip() else (part.strip(), "")
               for part in headers["Content-Security-Policy"].split(";"))
    assert csp["default-src"] == "'none'"
    for directive in ("script-src", "style-src", "connect-src"):
        assert csp[directive] == "'self'", directive      # no 'unsafe-inline', no other host
    assert csp["frame-ancestors"] == "'none'" and csp["base-uri"] == "'none'"
    assert csp["object-src"] == "'none'" and csp["form-action"] == "'self'"
    assert headers["Strict-Transport-Security"].startswith("max-age=")
    assert int(headers["Strict-Transport-Security"].split("=")[1].split(";")[0]) >= 31536000
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_a_subscriptions_url_elsewhere_may_receive_the_subscribe_form():
    headers = security_headers(SubscriptionsUrl="https://abc123.execute-api.us-east-1.amazonaws.com/api")
    assert "form-action 'self' https://abc123.execute-api.us-east-1.amazonaws.com;" in headers[
        "Content-Security-Policy"]


# ---------------------------------------------------------------- the local stack


def test_the_local_stack_creates_or_explains_every_resource_type():
    from minutes.aws.emulated import NOT_EMULATED, LocalCloud
    types = {r["Type"] for r in RESOURCES.values()}
    assert types <= set(LocalCloud._CREATED) | set(NOT_EMULATED), sorted(types - set(LocalCloud._CREATED))
    assert all(reason.strip() for reason in NOT_EMULATED.values())


def test_an_unknown_resource_type_stops_the_local_stack(tmp_path, aws_environment):
    from minutes.aws.emulated import LocalCloud
    from minutes.problems import ConfigError
    text = TEMPLATE.read_text(encoding="utf-8")
    (tmp_path / "template.yaml").write_text(
        text.replace("\nResources:\n", "\nResources:\n  Vpc:\n    Type: AWS::EC2::VPC\n"
                     "    Properties:\n      CidrBlock: 10.0.0.0/16\n", 1), encoding="utf-8")
    with pytest.raises(ConfigError, match="AWS::EC2::VPC"):
        LocalCloud(tmp_path, parameters={"SiteUrl": "https://minutes.example.org",
                                         "SenderAddress": "minutes@example.org"}).create()


def test_the_local_stack_creates_the_stacks_key(stack):
    """The local stack creates DataKey (so encryption settings resolve) with moto's KMS."""
    import boto3
    key = boto3.client("kms", region_name="us-east-1").describe_key(KeyId=stack.cloud.stack.refs["DataKey"])
    assert key["KeyMetadata"]["Enabled"] is True
