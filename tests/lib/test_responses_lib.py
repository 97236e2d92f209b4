"""amazon_integration.lib.responses: tolerant XML, errors, paging, dates, amounts."""

from datetime import datetime, timezone
from decimal import Decimal

import pytest

from amazon_integration.lib import responses as r

SUCCESS_SAMPLES = {
    "GetFeedSubmissionListResponse.xml": "1105b931-6f1c-4480-8e97-f3b467840a9e",
    "GetReportRequestListResponse.xml": "732480cb-84a8-4c15-9084-a46bd9a0889b",
    "ListOrdersResponse.xml": "88faca76-b600-46d2-b53c-0c8c4533e43a",
    "RequestReportResponse.xml": "88faca76-b600-46d2-b53c-0c8c4533e43a",
    "SubmitFeedResponse.xml": "75424a38-f333-4105-98f0-2aa9592d665c",
}

ERROR_SAMPLES = {
    # file: (code, type, request id, kind with Amazon's usual status)
    "ErrorResponse.xml": (
        "InvalidClientTokenId",
        "Sender",
        "b7afc6c3-6f75-4707-bcf4-0475ad23162c",
        403,
        "auth",
    ),
    "QuotaExceeded.xml": (
        "QuotaExceeded",
        None,
        "5115e00d-35a8-4589-8083-f0ef998f76ef",
        503,
        "throttled",
    ),
    "RequestThrottled.xml": (
        "RequestThrottled",
        None,
        "a7b39ee6-4f76-48ee-92f1-43bc54f693df",
        503,
        "throttled",
    ),
}


def test_every_sample_is_covered(amazon_samples_dir):
    names = {p.name for p in amazon_samples_dir.glob("*.xml")}
    assert names == set(SUCCESS_SAMPLES) | set(ERROR_SAMPLES)


@pytest.mark.parametrize("name", sorted(SUCCESS_SAMPLES))
def test_success_samples_parse_without_namespaces(amazon_samples_dir, name):
    body = (amazon_samples_dir / name).read_bytes()
    root = r.parse_xml(body)
    assert root.tag == name.removesuffix(".xml")
    assert all("{" not in el.tag for el in root.iter() if isinstance(el.tag, str))
    assert r.error_from_body(body) is None
    assert r.request_id(body) == SUCCESS_SAMPLES[name]


@pytest.mark.parametrize("name", sorted(ERROR_SAMPLES))
def test_error_samples(amazon_samples_dir, name):
    code, type_, req_id, status, kind = ERROR_SAMPLES[name]
    body = (amazon_samples_dir / name).read_bytes()
    info = r.error_from_body(body)
    assert info is not None
    assert (info.code, info.type, info.request_id) == (code, type_, req_id)
    assert info.message
    assert r.classify(info.code, status) == kind
    # Amazon also sends ErrorResponses with HTTP 200: the body alone decides.
    assert r.classify(info.code, 200) == kind
    assert r.request_id(body) == req_id


def test_quota_exceeded_message_kept(amazon_samples_dir):
    info = r.error_from_body((amazon_samples_dir / "QuotaExceeded.xml").read_bytes())
    assert info.message.startswith("You exceeded your quota of 80.0 requests per 1 hour")


def test_namespace_with_line_break_is_repaired(amazon_samples_dir):
    body = (amazon_samples_dir / "ListOrdersResponse.xml").read_bytes()
    assert b"mws.amazonservices.com/\n" in body  # the documentation's typo is really there
    root = r.parse_xml(body)
    assert len(r.findall(root, "ListOrdersResult/Orders/Order")) == 3


def test_leading_whitespace_before_declaration(amazon_samples_dir):
    body = (amazon_samples_dir / "RequestThrottled.xml").read_bytes()
    assert body[:1].isspace()
    assert r.parse_xml(body).tag == "ErrorResponse"


@pytest.mark.parametrize(
    "body",
    [
        b'<?xml version="1.0" encoding="utf-16"?><A><B>\xc3\xa9</B></A>',  # lies about encoding
        b'\xef\xbb\xbf  <?xml version="1.0"?>\n<A><B>\xc3\xa9</B></A>',  # BOM then blanks
        b"<A><B>\xc3\xa9</B></A>",  # no declaration
        '<?xml version="1.0" encoding="ISO-8859-1"?><A><B>é</B></A>',  # str with declaration
        '\ufeff <?xml version="1.0" encoding="ISO-8859-1"?><A><B>é</B></A>',  # ... and a BOM
        b'<A xmlns="urn:x\n   y" xmlns:p="urn:\tz"><p:B>\xc3\xa9</p:B><Unknown/></A>',
        b'<?xml version="1.0" encoding="ISO-8859-1"?>\n<A xmlns="urn:x\n y"><B>\xe9</B></A>',
    ],
)
def test_parse_xml_tolerates_odd_bodies(body):
    root = r.parse_xml(body)
    assert root.tag == "A"
    assert r.text(root, "B") == "é"


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"", "empty"),
        (b"   \n", "empty"),
        (b"<html><body>Service Unavailable", "malformed XML"),
        (b"Service Unavailable", "not XML"),
        (b"<A><B></A>", "malformed XML"),
    ],
)
def test_parse_xml_malformed(body, fragment):
    with pytest.raises(r.ResponseParseError, match=fragment):
        r.parse_xml(body)


def test_response_parse_error_is_a_value_error():
    assert issubclass(r.ResponseParseError, ValueError)


def test_entities_are_not_expanded():
    body = (
        b'<?xml version="1.0"?><!DOCTYPE A [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        b"<A><B>&e;</B></A>"
    )
    root = r.parse_xml(body)
    assert "root:" not in (r.text(root, "B") or "")


def test_error_response_with_status_200_and_namespace_prefix():
    body = (
        b'<?xml version="1.0"?><m:ErrorResponse xmlns:m="http://mws.amazonaws.com/doc/2009-01-01/">'
        b"<m:Error><m:Type>Sender</m:Type><m:Code>NextTokenCorrupted</m:Code>"
        b"<m:Message>bad token</m:Message></m:Error><m:RequestID>rid-1</m:RequestID>"
        b"</m:ErrorResponse>"
    )
    info = r.error_from_body(body)
    assert info == r.MwsErrorInfo("NextTokenCorrupted", "bad token", "Sender", "rid-1", None)
    assert r.classify(info.code, 200) == "restart_paging"


def test_error_from_broken_error_response_uses_regex():
    body = b"<ErrorResponse><Error><Code>InternalError</Code><Message>oops</Message></Error>"
    info = r.error_from_body(body)
    assert (info.code, info.message) == ("InternalError", "oops")
    assert r.classify(info.code, 500) == "transient"


def test_error_from_body_ignores_non_errors():
    assert r.error_from_body(None) is None
    assert r.error_from_body(b"") is None
    assert r.error_from_body(b"<html>502 Bad Gateway</html>") is None
    # an Error element inside a result is data, not a failed request
    assert (
        r.error_from_body(
            b"<XResponse><XResult><Error><Code>X</Code></Error></XResult>"
            b"<Note>ErrorResponse</Note></XResponse>"
        )
        is None
    )


@pytest.mark.parametrize(
    ("code", "status", "kind"),
    [
        ("RequestThrottled", 503, "throttled"),
        ("QuotaExceeded", 503, "throttled"),
        ("QuotaExceeded", None, "throttled"),
        ("InternalError", 500, "transient"),
        ("ServiceUnavailable", 503, "transient"),
        ("", 502, "transient"),
        (None, 504, "transient"),
        ("Timeout", None, "transient"),
        ("ConnectionError", None, "transient"),
        ("", 408, "transient"),
        ("SignatureDoesNotMatch", 403, "auth"),
        ("InvalidAccessKeyId", 403, "auth"),
        ("AccessDenied", 401, "auth"),
        ("", 401, "auth"),
        ("NextTokenCorrupted", 400, "restart_paging"),
        ("InvalidParameterValue", 400, "permanent"),
        ("InvalidAddress", 404, "permanent"),
        ("SomethingNew", 400, "permanent"),
        ("SomethingNew", None, "permanent"),
        (" RequestThrottled ", 200, "throttled"),
    ],
)
def test_classify(code, status, kind):
    assert r.classify(code, status) == kind


def test_request_id_from_headers():
    headers = {"Content-Type": "text/xml", "X-Mws-Request-Id": "hdr-1"}
    assert r.request_id(b"not xml", headers) == "hdr-1"
    assert r.request_id(None, {"x-mws-request-id": "hdr-2"}) == "hdr-2"
    assert r.request_id(b"<A/>", {}) is None
    body = b"<A><ResponseMetadata><RequestId>body-1</RequestId></ResponseMetadata></A>"
    assert r.request_id(body, headers) == "body-1"
    assert r.request_id(r.parse_xml(body)) == "body-1"


def _result(xml: str):
    return r.parse_xml(f"<R><Result>{xml}</Result></R>").find("Result")


@pytest.mark.parametrize(
    ("xml", "token", "more"),
    [
        ("<NextToken>t1</NextToken><HasNext>true</HasNext>", "t1", True),
        ("<NextToken>t1</NextToken><HasNext>false</HasNext>", "t1", False),
        ("<HasNext>true</HasNext>", None, False),  # cannot page without a token
        ("<MoreResultsAvailable>true</MoreResultsAvailable><NextToken>t2</NextToken>", "t2", True),
        (
            "<MoreResultsAvailable>false</MoreResultsAvailable><NextToken>t2</NextToken>",
            "t2",
            False,
        ),
        ("<NextToken> t3 </NextToken>", "t3", True),
        ("<NextToken/>", None, False),
        ("<Other>x</Other>", None, False),
    ],
)
def test_paging(xml, token, more):
    result = _result(xml)
    assert r.next_token(result) == token
    assert r.has_more(result) is more


def test_paging_on_samples(amazon_samples_dir):
    for name, token in (
        ("GetFeedSubmissionListResponse.xml", "2YgYW55IGNhcm5hbCBwbGVhc3VyZS4="),
        ("GetReportRequestListResponse.xml", "2YgYW55IPQhcm5hbCBwbGVhc3VyZS4="),
        ("ListOrdersResponse.xml", "2YgYW55IGNhcm5hbCBwbGVhc3VyZS4="),
    ):
        root = r.parse_xml((amazon_samples_dir / name).read_bytes())
        result = root[0]
        assert r.next_token(result) == token
        assert r.has_more(result) is True
    root = r.parse_xml((amazon_samples_dir / "SubmitFeedResponse.xml").read_bytes())
    assert r.has_more(root[0]) is False
    assert r.text(root, "SubmitFeedResult/FeedSubmissionInfo/FeedSubmissionId") == "2291326430"
    assert r.parse_datetime(
        r.text(root, "SubmitFeedResult/FeedSubmissionInfo/SubmittedDate")
    ) == datetime(2009, 2, 20, 2, 10, 35, tzinfo=timezone.utc)


UTC = timezone.utc


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2017-02-20T19:49:35Z", datetime(2017, 2, 20, 19, 49, 35, tzinfo=UTC)),
        ("2009-02-20T02:10:35+00:00", datetime(2009, 2, 20, 2, 10, 35, tzinfo=UTC)),
        ("2017-02-25T18%3A10%3A21.687Z", datetime(2017, 2, 25, 18, 10, 21, 687000, tzinfo=UTC)),
        ("2017-02-05T00%3a06%3a07.000Z", datetime(2017, 2, 5, 0, 6, 7, tzinfo=UTC)),
        ("2017-02-20T11:49:35-08:00", datetime(2017, 2, 20, 19, 49, 35, tzinfo=UTC)),
        ("2017-02-20T21:49:35+0200", datetime(2017, 2, 20, 19, 49, 35, tzinfo=UTC)),
        ("2017-02-20T19:49:35.1234567Z", datetime(2017, 2, 20, 19, 49, 35, 123456, tzinfo=UTC)),
        ("2017-02-20T19:49:35", datetime(2017, 2, 20, 19, 49, 35, tzinfo=UTC)),
        ("\n   2011-02-17T23:44:43+00:00\n   ", datetime(2011, 2, 17, 23, 44, 43, tzinfo=UTC)),
        ("2017-03-13 07:06:20 UTC", datetime(2017, 3, 13, 7, 6, 20, tzinfo=UTC)),
        ("13.03.2017 07:06:20 UTC", datetime(2017, 3, 13, 7, 6, 20, tzinfo=UTC)),
        ("13.03.2017", datetime(2017, 3, 13, tzinfo=UTC)),
        ("2017-03-13", datetime(2017, 3, 13, tzinfo=UTC)),
        ("2017-03-13 07:06:20 PST", datetime(2017, 3, 13, 15, 6, 20, tzinfo=UTC)),
        ("2017/03/13 16:06:20 JST", datetime(2017, 3, 13, 7, 6, 20, tzinfo=UTC)),
        ("03/13/2017", datetime(2017, 3, 13, tzinfo=UTC)),
        ("", None),
        ("   ", None),
        (None, None),
    ],
)
def test_parse_datetime(value, expected):
    result = r.parse_datetime(value)
    assert result == expected
    if result is not None:
        assert result.tzinfo is UTC


@pytest.mark.parametrize(
    "value",
    [
        "20178-02-20T19:49:35Z",
        "2017-02-30T00:00:00Z",
        "2017-13-01",
        "yesterday",
        "2017-02-20T19:49:35 XYZ",
    ],
)
def test_parse_datetime_rejects(value):
    with pytest.raises(r.ResponseParseError, match=r"date|zone"):
        r.parse_datetime(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("25.00", Decimal("25.00")),
        ("-4.50", Decimal("-4.50")),
        ("-4,50", Decimal("-4.50")),
        ("1.234,56", Decimal("1234.56")),
        ("1,234.56", Decimal("1234.56")),
        (" 1507 ", Decimal("1507")),
        ("0", Decimal("0")),
        (None, None),
        ("", None),
    ],
)
def test_parse_amount(value, expected):
    assert r.parse_amount(value) == expected


@pytest.mark.parametrize("value", ["abc", "1,2,3", "NaN", "Infinity", "12.3.4"])
def test_parse_amount_rejects(value):
    with pytest.raises(r.ResponseParseError, match="amount"):
        r.parse_amount(value)


def test_format_amount():
    assert r.format_amount(Decimal("4.5")) == "4.50"
    assert r.format_amount(Decimal("0.005")) == "0.01"
    assert r.format_amount("-4,5") == "-4.50"
    assert r.format_amount(None) is None


def test_parse_bool_and_int():
    assert r.parse_bool("true") is True
    assert r.parse_bool(" FALSE ") is False
    assert r.parse_bool("") is None
    assert r.parse_int("3") == 3
    assert r.parse_int("3.0") == 3
    assert r.parse_int("") is None
    with pytest.raises(r.ResponseParseError):
        r.parse_int("3.5")


def test_decode_text():
    assert r.decode_text("\ufeffa\tb") == "a\tb"
    assert r.decode_text(b"\xef\xbb\xbfM\xc3\xbcller") == "Müller"
    assert r.decode_text(b"M\xfcller \x80") == "Müller €"  # cp1252
    assert r.decode_text(b"\x81") == "\x81"  # undefined in cp1252: Latin-1, never lost
    assert r.decode_text("Müller".encode("utf-16")) == "Müller"
    assert r.decode_text(b"\x83\x65\x83\x58\x83\x67", "cp932") == "テスト"
