"""Signature Version 2 and credential checks, driven with python-amazon-mws over loopback."""

import base64
import datetime as dt
import hashlib
import hmac
from urllib.parse import quote

import mws
import mws.mws
import pytest
import requests
from lxml import etree


def error_of(exc: mws.MWSError) -> tuple[int, str]:
    root = etree.fromstring(exc.response.content)
    code = root.findtext("{*}Error/{*}Code")
    assert root.findtext("{*}RequestID"), "ErrorResponse carries a RequestID"
    return exc.response.status_code, code


def call_error(fn, *args, **kw) -> tuple[int, str]:
    with pytest.raises(mws.MWSError) as info:
        fn(*args, **kw)
    return error_of(info.value)


def signed_url(url, path, params, secret, host_line, method="GET"):
    """Sign like Amazon documents it (RFC 3986 encoding), with a chosen host line."""
    enc = {quote(k, safe="-_.~"): quote(v, safe="-_.~") for k, v in params.items()}
    query = "&".join(f"{k}={enc[k]}" for k in sorted(enc))
    data = "\n".join([method, host_line, path, query])
    sig = base64.b64encode(hmac.new(secret.encode(), data.encode(), hashlib.sha256).digest())
    return f"{url}{path}?{query}&Signature={quote(sig.decode(), safe='')}"


def base_params(creds, action="GetFeedSubmissionCount", version="2009-01-01", **extra):
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "AWSAccessKeyId": creds.access_key,
        "Action": action,
        "Merchant": creds.seller_id,
        "SignatureMethod": "HmacSHA256",
        "SignatureVersion": "2",
        "Timestamp": now,
        "Version": version,
        **extra,
    }


def test_valid_call_and_headers(sandbox, seller):
    resp = sandbox.feeds(seller).get_feed_submission_count()
    assert resp.parsed["Count"] == "0"
    headers = resp.response.headers
    assert headers["x-mws-request-id"] and headers["x-mws-timestamp"].endswith("Z")
    assert headers["x-mws-quota-max"] == "80.0"
    assert headers["x-mws-quota-remaining"] == "79.0"
    assert "x-mws-quota-resetsOn" in headers


def test_wrong_secret(sandbox, seller):
    seller.secret_key = "not-the-secret"
    assert call_error(sandbox.feeds(seller).get_feed_submission_count) == (
        403,
        "SignatureDoesNotMatch",
    )


def test_unknown_access_key(sandbox, seller):
    seller.access_key = "AKIAUNKNOWN"
    assert call_error(sandbox.feeds(seller).get_feed_submission_count) == (
        403,
        "InvalidAccessKeyId",
    )


def test_wrong_seller_id(sandbox, seller):
    other = sandbox.new_seller()
    seller.seller_id = other.seller_id  # own key, someone else's merchant id
    assert call_error(sandbox.feeds(seller).get_feed_submission_count) == (401, "AccessDenied")
    assert call_error(sandbox.sellers(seller).list_marketplace_participations) == (
        401,
        "AccessDenied",
    )


def test_auth_token_required_when_configured(sandbox):
    creds = sandbox.new_seller(auth_token="amzn.mws.4ea38b7b-f563-7709-4bae-87aeaEXAMPLE")
    assert sandbox.feeds(creds).get_feed_submission_count().parsed["Count"] == "0"
    token = creds.auth_token
    creds.auth_token = None
    assert call_error(sandbox.feeds(creds).get_feed_submission_count) == (401, "AccessDenied")
    creds.auth_token = token + "x"
    assert call_error(sandbox.feeds(creds).get_feed_submission_count) == (401, "AccessDenied")


@pytest.mark.parametrize(("minutes", "ok"), [(14, True), (-14, True), (16, False), (-16, False)])
def test_timestamp_skew_against_real_clock(sandbox, seller, monkeypatch, minutes, ok):
    # The sandbox clock runs ahead (other tests advance it): only the real clock matters.
    sandbox.advance(3600)
    skewed = dt.datetime.utcnow().replace(microsecond=0) + dt.timedelta(minutes=minutes)
    monkeypatch.setattr(mws.mws, "mws_utc_now", lambda: skewed)
    client = sandbox.feeds(seller)
    if ok:
        assert client.get_feed_submission_count().parsed["Count"] == "0"
    else:
        assert call_error(client.get_feed_submission_count) == (400, "RequestExpired")


def test_expires_instead_of_timestamp(sandbox, seller):
    params = base_params(seller)
    del params["Timestamp"]
    future = dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=5)
    params["Expires"] = future.strftime("%Y-%m-%dT%H:%M:%SZ")
    host = sandbox.url.split("://")[1]
    resp = requests.get(signed_url(sandbox.url, "/", params, seller.secret_key, host), timeout=10)
    assert resp.status_code == 200, resp.text
    params["Expires"] = "2001-01-01T00:00:00Z"
    resp = requests.get(signed_url(sandbox.url, "/", params, seller.secret_key, host), timeout=10)
    assert resp.status_code == 400 and b"RequestExpired" in resp.content


@pytest.mark.parametrize("style", ["plain", "mws"])
def test_host_line_plain_or_as_mws_signs_it(sandbox, seller, style):
    host = sandbox.url.split("://")[1]
    host_line = host if style == "plain" else sandbox.url
    for path in ("/", "/Feeds/2009-01-01"):
        url = signed_url(sandbox.url, path, base_params(seller), seller.secret_key, host_line)
        assert requests.get(url, timeout=10).status_code == 200
    url = signed_url(sandbox.url, "/", base_params(seller), seller.secret_key, "example.com")
    resp = requests.get(url, timeout=10)
    assert resp.status_code == 403 and b"SignatureDoesNotMatch" in resp.content


def test_post_form_body_parameters(sandbox, seller):
    host = sandbox.url.split("://")[1]
    url = signed_url(sandbox.url, "/", base_params(seller), seller.secret_key, host, "POST")
    base, query = url.split("?", 1)
    resp = requests.post(
        base + "/",
        data=query,
        timeout=10,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert resp.status_code == 200, resp.text


def test_version_checked_per_section(sandbox, seller):
    client = mws.Orders(
        seller.access_key,
        seller.secret_key,
        seller.seller_id,
        domain=sandbox.url,
        version="2011-01-01",
    )
    assert call_error(client.get_service_status) == (400, "InvalidParameterValue")
    feeds = mws.Feeds(
        seller.access_key,
        seller.secret_key,
        seller.seller_id,
        domain=sandbox.url,
        version="2013-09-01",
    )
    assert call_error(feeds.get_feed_submission_count) == (400, "InvalidParameterValue")


def test_get_service_status_everywhere(sandbox, seller):
    for cls in (mws.Feeds, mws.Reports, mws.Orders, mws.Sellers, mws.Inventory):
        client = cls(seller.access_key, seller.secret_key, seller.seller_id, domain=sandbox.url)
        assert client.get_service_status().parsed["Status"] == "GREEN", cls


def test_unknown_action_and_address(sandbox, seller):
    client = sandbox.feeds(seller)
    with pytest.raises(mws.MWSError) as info:
        client.make_request({"Action": "LaunchRocket"})
    assert error_of(info.value) == (404, "InvalidAction")
    odd = mws.Feeds(
        seller.access_key,
        seller.secret_key,
        seller.seller_id,
        domain=sandbox.url,
        uri="/Nowhere/2009-01-01",
    )
    assert call_error(odd.get_feed_submission_count) == (404, "InvalidAddress")


def test_missing_parameters(sandbox, seller):
    params = base_params(seller)
    del params["SignatureVersion"]
    host = sandbox.url.split("://")[1]
    resp = requests.get(signed_url(sandbox.url, "/", params, seller.secret_key, host), timeout=10)
    assert resp.status_code == 400 and b"MissingParameter" in resp.content
    params = base_params(seller)
    del params["Merchant"]
    resp = requests.get(signed_url(sandbox.url, "/", params, seller.secret_key, host), timeout=10)
    assert resp.status_code == 400 and b"MissingParameter" in resp.content


def test_bad_input_never_kills_the_server(sandbox, seller):
    url = sandbox.url
    for resp in (
        requests.get(url + "/?%ZZ=%%%&&&=&Action", timeout=10),
        requests.get(url + "/?Action=%FF%FE", timeout=10),
        requests.put(url + "/?Action=SubmitFeed", data=b"x", timeout=10),
        requests.delete(url + "/Orders/2013-09-01?Action=ListOrders", timeout=10),
        requests.post(url + "/Sellers/2011-07-01", data=b"\x00\xff" * 100, timeout=10),
    ):
        assert 400 <= resp.status_code < 500, resp.text
        root = etree.fromstring(resp.content)
        assert root.tag.endswith("ErrorResponse")
        assert b"Traceback" not in resp.content
    # A body over the limit is refused without being read.
    resp = requests.post(
        url + "/?Action=SubmitFeed",
        timeout=30,
        headers={"Content-Length": str(60 * 1024 * 1024)},
        data=b"",
    )
    assert resp.status_code == 413 and b"RequestEntityTooLarge" in resp.content
    assert sandbox.feeds(seller).get_feed_submission_count().parsed["Count"] == "0"
