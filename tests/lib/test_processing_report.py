"""Processing report parsing, on reports written after Amazon's documented shape.

The envelope-shaped reports are also validated against amzn-envelope.xsd, so the fixtures
are reports Amazon could really have sent.
"""

import pytest
from lxml import etree

from amazon_integration.lib.processing_report import (
    ProcessingReport,
    ReportNotFinal,
    ReportParseError,
    Result,
    outcome_by_message,
    parse_processing_report,
)

_SCHEMA = {}


def _envelope(report_body):
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<AmazonEnvelope xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xsi:noNamespaceSchemaLocation="amzn-envelope.xsd">
  <Header>
    <DocumentVersion>1.02</DocumentVersion>
    <MerchantIdentifier>M_EXAMPLE_123456</MerchantIdentifier>
  </Header>
  <MessageType>ProcessingReport</MessageType>
  <Message>
    <MessageID>1</MessageID>
    <ProcessingReport>
{report_body}
    </ProcessingReport>
  </Message>
</AmazonEnvelope>
""".encode()


ALL_GOOD = _envelope("""
      <DocumentTransactionID>4200000001</DocumentTransactionID>
      <StatusCode>Complete</StatusCode>
      <ProcessingSummary>
        <MessagesProcessed>3</MessagesProcessed>
        <MessagesSuccessful>3</MessagesSuccessful>
        <MessagesWithError>0</MessagesWithError>
        <MessagesWithWarning>0</MessagesWithWarning>
      </ProcessingSummary>""")

MIXED = _envelope("""
      <DocumentTransactionID>4200000002</DocumentTransactionID>
      <StatusCode>Complete</StatusCode>
      <ProcessingSummary>
        <MessagesProcessed>4</MessagesProcessed>
        <MessagesSuccessful>2</MessagesSuccessful>
        <MessagesWithError>1</MessagesWithError>
        <MessagesWithWarning>1</MessagesWithWarning>
      </ProcessingSummary>
      <Result>
        <MessageID>2</MessageID>
        <ResultCode>Error</ResultCode>
        <ResultMessageCode>8560</ResultMessageCode>
        <ResultDescription>SKU TSHIRT-RED-M, Missing Attributes standard_product_id.
        </ResultDescription>
        <AdditionalInfo>
          <SKU>TSHIRT-RED-M</SKU>
        </AdditionalInfo>
      </Result>
      <Result>
        <MessageID>2</MessageID>
        <ResultCode>Warning</ResultCode>
        <ResultMessageCode>99001</ResultMessageCode>
        <ResultDescription>A value was not provided for "item_type".</ResultDescription>
        <AdditionalInfo>
          <SKU>TSHIRT-RED-M</SKU>
        </AdditionalInfo>
      </Result>
      <Result>
        <MessageID>4</MessageID>
        <ResultCode>Warning</ResultCode>
        <ResultMessageCode>5000</ResultMessageCode>
        <ResultDescription>The update for Sku 'MUG-1' was skipped because it is identical
          to the update in feed '4200000000'.</ResultDescription>
        <AdditionalInfo>
          <SKU>MUG-1</SKU>
        </AdditionalInfo>
      </Result>""")

ORDERS = _envelope("""
      <DocumentTransactionID>4200000003</DocumentTransactionID>
      <StatusCode>Complete</StatusCode>
      <ProcessingSummary>
        <MessagesProcessed>2</MessagesProcessed>
        <MessagesSuccessful>1</MessagesSuccessful>
        <MessagesWithError>1</MessagesWithError>
        <MessagesWithWarning>0</MessagesWithWarning>
      </ProcessingSummary>
      <Result>
        <MessageID>1</MessageID>
        <ResultCode>Error</ResultCode>
        <ResultMessageCode>25</ResultMessageCode>
        <ResultDescription>We are unable to process the XML feed because one or more items are
          invalid. Please re-submit the feed.</ResultDescription>
        <AdditionalInfo>
          <AmazonOrderID>002-1234567-1234567</AmazonOrderID>
          <AmazonOrderItemCode>12345678901234</AmazonOrderItemCode>
        </AdditionalInfo>
      </Result>""")

DOCUMENT_ERROR = _envelope("""
      <DocumentTransactionID>4200000004</DocumentTransactionID>
      <StatusCode>Complete</StatusCode>
      <ProcessingSummary>
        <MessagesProcessed>0</MessagesProcessed>
        <MessagesSuccessful>0</MessagesSuccessful>
        <MessagesWithError>1</MessagesWithError>
        <MessagesWithWarning>0</MessagesWithWarning>
      </ProcessingSummary>
      <Result>
        <MessageID>0</MessageID>
        <ResultCode>Error</ResultCode>
        <ResultMessageCode>5001</ResultMessageCode>
        <ResultDescription>XML Parsing Fatal Error at Line 1, Column 1: Invalid document
          structure</ResultDescription>
      </Result>""")

# A default namespace, comments, unknown elements, odd whitespace, no envelope.
NAMESPACED_BARE = b"""<?xml version="1.0" encoding="ISO-8859-1"?>
<!-- sandbox output -->
<ProcessingReport xmlns="http://example.com/unknown-ns">
   <DocumentTransactionID>   4200000005 </DocumentTransactionID>
   <StatusCode>
      Complete
   </StatusCode>
   <SomethingNew>ignored<Deep/></SomethingNew>
   <ProcessingSummary>
      <MessagesProcessed> 2 </MessagesProcessed>
      <MessagesSuccessful>1</MessagesSuccessful>
      <MessagesWithError>1</MessagesWithError>
      <MessagesWithWarning>0</MessagesWithWarning>
   </ProcessingSummary>
   <Result>
      <MessageID>1</MessageID>
      <ResultCode>error</ResultCode>
      <ResultMessageCode>8541</ResultMessageCode>
      <ResultDescription>Caf\xe9 title conflicts with catalog.</ResultDescription>
      <AdditionalInfo><SKU>CAFE-1</SKU><Marketplace>x</Marketplace></AdditionalInfo>
      <Extra/>
   </Result>
</ProcessingReport>
"""


@pytest.fixture(scope="module")
def schema(amazon_xsd_dir):
    if "schema" not in _SCHEMA:
        parser = etree.XMLParser(no_network=True)
        _SCHEMA["schema"] = etree.XMLSchema(
            etree.parse(str(amazon_xsd_dir / "amzn-envelope.xsd"), parser)
        )
    return _SCHEMA["schema"]


@pytest.mark.parametrize("body", [ALL_GOOD, MIXED, ORDERS, DOCUMENT_ERROR])
def test_fixtures_follow_amazons_schema(schema, body):
    assert schema.validate(etree.fromstring(body)), schema.error_log


def test_all_good():
    report = parse_processing_report(ALL_GOOD)
    assert report == ProcessingReport(
        status_code="Complete",
        processed=3,
        successful=3,
        with_error=0,
        with_warning=0,
        results=[],
        document_transaction_id="4200000001",
    )
    assert outcome_by_message(report, [1, 2, 3]) == {
        1: ("success", ""),
        2: ("success", ""),
        3: ("success", ""),
    }


def test_errors_and_warnings_per_message():
    report = parse_processing_report(MIXED)
    assert (report.processed, report.successful, report.with_error, report.with_warning) == (
        4,
        2,
        1,
        1,
    )
    assert report.results[0] == Result(
        message_id=2,
        code="Error",
        message_code="8560",
        description="SKU TSHIRT-RED-M, Missing Attributes standard_product_id.",
        sku="TSHIRT-RED-M",
    )
    # whitespace inside a description is collapsed
    assert report.results[2].description.startswith("The update for Sku 'MUG-1' was skipped")
    assert "identical to the update" in report.results[2].description
    outcome = outcome_by_message(report, [1, 2, 3, 4])
    assert outcome[1] == ("success", "")
    assert outcome[3] == ("success", "")
    status, text = outcome[2]
    assert status == "error"  # an error wins over a warning on the same message
    assert text.splitlines() == [
        "Error 8560: SKU TSHIRT-RED-M, Missing Attributes standard_product_id. (SKU TSHIRT-RED-M)",
        'Warning 99001: A value was not provided for "item_type". (SKU TSHIRT-RED-M)',
    ]
    assert outcome[4][0] == "warning"
    assert "5000" in outcome[4][1]
    assert report.document_errors == []


def test_order_results_carry_amazon_order_id():
    report = parse_processing_report(ORDERS)
    (result,) = report.results
    assert result.amazon_order_id == "002-1234567-1234567"
    assert result.amazon_order_item_code == "12345678901234"
    assert result.sku is None
    outcome = outcome_by_message(report, [1, 2])
    assert outcome[1][0] == "error"
    assert outcome[1][1].endswith("(002-1234567-1234567)")
    assert outcome[2] == ("success", "")


def test_message_id_zero_fails_every_message():
    report = parse_processing_report(DOCUMENT_ERROR)
    assert [r.message_code for r in report.document_errors] == ["5001"]
    outcome = outcome_by_message(report, [1, 2, 3])
    assert set(outcome) == {1, 2, 3}
    for status, text in outcome.values():
        assert status == "error"
        assert text.startswith("Error 5001: XML Parsing Fatal Error")


def test_document_warning_with_message_error():
    body = _envelope("""
      <DocumentTransactionID>1</DocumentTransactionID>
      <StatusCode>Complete</StatusCode>
      <Result><MessageID>0</MessageID><ResultCode>Warning</ResultCode>
        <ResultMessageCode>90111</ResultMessageCode>
        <ResultDescription>Old schema</ResultDescription></Result>
      <Result><MessageID>2</MessageID><ResultCode>Error</ResultCode>
        <ResultMessageCode>8026</ResultMessageCode>
        <ResultDescription>Not authorised</ResultDescription></Result>""")
    outcome = outcome_by_message(parse_processing_report(body), [1, 2])
    assert outcome[1] == ("warning", "Warning 90111: Old schema")
    assert outcome[2][0] == "error"
    assert outcome[2][1] == "Warning 90111: Old schema\nError 8026: Not authorised"


def test_rejected_report_without_results_fails_all():
    body = _envelope("""
      <DocumentTransactionID>1</DocumentTransactionID>
      <StatusCode>Rejected</StatusCode>""")
    report = parse_processing_report(body)
    assert report.status_code == "Rejected"
    assert (report.processed, report.with_error) == (0, 0)  # no summary: zeros
    outcome = outcome_by_message(report, [1, 2])
    assert outcome[1][0] == outcome[2][0] == "error"
    assert "Rejected" in outcome[1][1]


def test_processing_report_is_not_final():
    body = _envelope("""
      <DocumentTransactionID>1</DocumentTransactionID>
      <StatusCode>Processing</StatusCode>""")
    report = parse_processing_report(body)
    assert report.status_code == "Processing"
    with pytest.raises(ReportNotFinal):
        outcome_by_message(report, [1])


def test_namespaces_unknown_elements_whitespace_and_no_envelope():
    report = parse_processing_report(NAMESPACED_BARE)
    assert report.status_code == "Complete"
    assert report.document_transaction_id == "4200000005"
    assert report.processed == 2
    (result,) = report.results
    assert result.code == "Error"  # case normalised
    assert result.sku == "CAFE-1"
    assert result.description == "Café title conflicts with catalog."
    assert outcome_by_message(report, [1, 2])[2] == ("success", "")


def test_str_body_with_encoding_declaration():
    report = parse_processing_report(MIXED.decode("utf-8"))
    assert len(report.results) == 3


@pytest.mark.parametrize(
    ("body", "match"),
    [
        (b"", "empty"),
        (b"   \n", "empty"),
        (b"<AmazonEnvelope><Message>", "not well-formed"),
        (b"Internal Server Error", "not well-formed"),
        (
            b"<AmazonEnvelope><MessageType>ProcessingReport</MessageType></AmazonEnvelope>",
            "no <ProcessingReport>",
        ),
        (
            b"<ProcessingReport><DocumentTransactionID>1</DocumentTransactionID></ProcessingReport>",
            "StatusCode",
        ),
        (
            b"<ProcessingReport><StatusCode>Complete</StatusCode><ProcessingSummary>"
            b"<MessagesProcessed>many</MessagesProcessed></ProcessingSummary></ProcessingReport>",
            "MessagesProcessed",
        ),
        (
            b"<ProcessingReport><StatusCode>Complete</StatusCode><Result><ResultCode>Error"
            b"</ResultCode></Result></ProcessingReport>",
            "MessageID",
        ),
        (
            b"<ProcessingReport><StatusCode>Complete</StatusCode><Result><MessageID>-1</MessageID>"
            b"</Result></ProcessingReport>",
            "negative",
        ),
        (None, "expected bytes"),
    ],
)
def test_malformed_bodies_raise_report_parse_error(body, match):
    with pytest.raises(ReportParseError, match=match) as info:
        parse_processing_report(body)
    assert not isinstance(info.value, etree.LxmlError)


def test_error_response_raises_with_code():
    body = b"""<?xml version="1.0"?>
<ErrorResponse xmlns="http://mws.amazonaws.com/doc/2009-01-01/">
  <Error><Type>Sender</Type><Code>FeedProcessingResultNotReady</Code>
    <Message>Feed Submission Result is not ready for Feed 2291326430</Message></Error>
  <RequestID>e3f7ca3f-0d06-4bb3-b5b3-5b0b6a4e0b80</RequestID>
</ErrorResponse>"""
    with pytest.raises(ReportParseError, match="FeedProcessingResultNotReady") as info:
        parse_processing_report(body)
    assert info.value.code == "FeedProcessingResultNotReady"


def test_documented_error_response_sample(amazon_samples_dir):
    body = (amazon_samples_dir / "ErrorResponse.xml").read_bytes()
    with pytest.raises(ReportParseError) as info:
        parse_processing_report(body)
    assert info.value.code == "InvalidClientTokenId"


def test_entities_are_not_expanded():
    body = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<ProcessingReport><StatusCode>Complete</StatusCode><Result><MessageID>1</MessageID>
<ResultCode>Error</ResultCode><ResultMessageCode>1</ResultMessageCode>
<ResultDescription>&secret;</ResultDescription></Result></ProcessingReport>"""
    report = parse_processing_report(body)
    assert "root:" not in report.results[0].description


# ---------------------------------------------------------------- GetFeedSubmissionList


def test_feed_submission_list_on_amazons_sample(amazon_samples_dir):
    from datetime import datetime, timezone

    from amazon_integration.lib.processing_report import (
        FeedSubmissionInfo,
        parse_feed_submission_list,
    )

    body = (amazon_samples_dir / "GetFeedSubmissionListResponse.xml").read_bytes()
    assert parse_feed_submission_list(body) == [
        FeedSubmissionInfo(
            submission_id="2291326430",
            feed_type="_POST_PRODUCT_DATA_",
            processing_status="_SUBMITTED_",
            submitted_date=datetime(2009, 2, 20, 2, 10, 35, tzinfo=timezone.utc),
        )
    ]


def test_feed_submission_list_errors_and_gaps():
    from amazon_integration.lib.processing_report import parse_feed_submission_list
    from amazon_integration.lib.responses import MwsErrorResponse, ResponseParseError

    body = b"""<GetFeedSubmissionListByNextTokenResponse><GetFeedSubmissionListByNextTokenResult>
      <FeedSubmissionInfo><FeedType>_POST_ORDER_FULFILLMENT_DATA_</FeedType></FeedSubmissionInfo>
      <FeedSubmissionInfo><FeedSubmissionId>7</FeedSubmissionId>
        <FeedProcessingStatus>_DONE_</FeedProcessingStatus></FeedSubmissionInfo>
    </GetFeedSubmissionListByNextTokenResult></GetFeedSubmissionListByNextTokenResponse>"""
    (info,) = parse_feed_submission_list(body)
    assert (info.submission_id, info.processing_status, info.feed_type) == ("7", "_DONE_", None)
    error = b"""<ErrorResponse><Error><Type>Sender</Type><Code>RequestThrottled</Code>
      <Message>slow down</Message></Error><RequestID>x</RequestID></ErrorResponse>"""
    with pytest.raises(MwsErrorResponse):
        parse_feed_submission_list(error)
    with pytest.raises(ResponseParseError):
        parse_feed_submission_list(b"<GetFeedSubmissionListResponse><unclosed>")
