"""The sanitiser: no credential, signed query string or secret header survives it."""

import logging

from amazon_integration.lib.sanitize import MASK, RedactingFilter, install_log_filter, redact

KEY, SECRET, TOKEN = "AKIAEXAMPLEKEY123456", "s3cr3t/Key+Value==", "amzn.mws.4ea38b7b-f563"
SIGNED = (
    "/Sellers/2011-07-01?AWSAccessKeyId=AKIAEXAMPLEKEY123456&Action=ListMarketplace"
    "Participations&MWSAuthToken=amzn.mws.4ea38b7b-f563&SellerId=A1&Signature=abc%2Bdef%3D"
)


def test_connection_error_of_requests_loses_query_string():
    text = (
        "ConnectionError: HTTPConnectionPool(host='127.0.0.1', port=9): Max retries exceeded "
        f"with url: {SIGNED} (Caused by NewConnectionError('refused'))"
    )
    out = redact(text, [KEY, SECRET, TOKEN])
    assert KEY not in out and TOKEN not in out and "abc%2Bdef" not in out
    assert "with url: /Sellers/2011-07-01 (Caused by" in out  # the path stays readable


def test_absolute_url_keeps_host_and_path():
    out = redact(f"GET https://mws.amazonservices.com{SIGNED} failed")
    assert out == "GET https://mws.amazonservices.com/Sellers/2011-07-01 failed"


def test_known_values_masked_anywhere_even_without_url():
    text = f"key {KEY} secret {SECRET} token {TOKEN}"
    assert redact(text, [KEY, SECRET, TOKEN]) == f"key {MASK} secret {MASK} token {MASK}"


def test_parameters_outside_urls_are_masked():
    out = redact("body: grant_type=refresh_token&refresh_token=Atzr|IwEB&client_secret=xyz")
    assert "Atzr" not in out and "xyz" not in out
    assert f"refresh_token={MASK}" in out and f"client_secret={MASK}" in out


def test_header_lines_and_dicts_are_masked():
    out = redact("x-amz-access-token: Atza|secret-value\nAuthorization: Bearer abc.def")
    assert "Atza|secret-value" not in out and "abc.def" not in out
    out = redact("{'x-amz-access-token': 'Atza|v', 'user-agent': 'odoo'}")
    assert "Atza|v" not in out and "'user-agent': 'odoo'" in out
    out = redact('{"access_token": "Atza|IwEB", "expires_in": 3600}')
    assert "Atza|IwEB" not in out and '"expires_in": 3600' in out


def test_plain_text_is_untouched_and_short_values_are_not_searched():
    text = "Amazon refused the request: InvalidParameterValue 'abc' is not a valid SKU"
    assert redact(text, ["abc", None, ""]) == text
    assert redact(None) == ""
    assert redact(b"bytes ok") == "bytes ok"


def test_longer_secret_masked_before_a_shorter_one_it_contains():
    assert redact("value ABCDEFGH", ["ABCD", "ABCDEFGH"]) == f"value {MASK}"


def test_log_filter_rewrites_urllib3_request_lines():
    record = logging.LogRecord(
        "urllib3.connectionpool",
        logging.DEBUG,
        __file__,
        1,
        '%s://%s:%s "%s %s %s" %s %s',
        ("http", "127.0.0.1", 80, "POST", SIGNED, "HTTP/1.1", 200, 10),
        None,
    )
    assert RedactingFilter().filter(record)
    message = record.getMessage()
    assert KEY not in message and TOKEN not in message and "Signature" not in message
    assert '"POST /Sellers/2011-07-01 HTTP/1.1" 200' in message


def test_filter_is_installed_once_on_the_http_loggers():
    install_log_filter()
    install_log_filter()
    filters = logging.getLogger("urllib3.connectionpool").filters
    assert sum(isinstance(f, RedactingFilter) for f in filters) == 1
