"""The MWS implementation of the capabilities, without HTTP: a recording transport and gate.

What each capability sends (operation, parameters), how it reads the answer (Amazon's
documented samples where there is one), and the gate's part: quota first, nothing sent on a
wait, the reply or the error reported.
"""

from datetime import datetime, timezone

import pytest

from amazon_integration.lib import api
from amazon_integration.lib.api import AmazonCallError, QuotaWait
from amazon_integration.lib.mws_api import MWS_QUOTAS, REPORT_TYPES, MwsApi
from amazon_integration.lib.transport import MwsReply


class Transport:
    def __init__(self, answers):
        self.answers = answers  # operation -> body (bytes) or AmazonCallError
        self.sent = []

    def call(self, operation, **kwargs):
        self.sent.append((operation, kwargs))
        answer = self.answers[operation]
        if isinstance(answer, AmazonCallError):
            raise answer
        return MwsReply(
            operation, answer, {"x-mws-timestamp": "2026-01-01T00:00:00Z"}, 200, "rid", 0.01
        )


class Gate:
    def __init__(self, wait=0):
        self.wait = wait
        self.events = []

    def acquire(self, capability, operation, reserve):
        self.events.append(("acquire", capability, operation, reserve))
        return self.wait

    def replied(self, capability, operation, reply):
        self.events.append(("replied", capability, operation))

    def failed(self, capability, operation, error):
        self.events.append(("failed", capability, operation, error.code))


def mws(answers, wait=0):
    transport, gate = Transport(answers), Gate(wait)
    return MwsApi(transport, gate, seller_id="S1", marketplaces=["ATVPDKIKX0DER"]), transport, gate


SUBMISSION = b"""<?xml version="1.0"?>
<SubmitFeedResponse xmlns="http://mws.amazonaws.com/doc/2009-01-01/"><SubmitFeedResult>
<FeedSubmissionInfo><FeedSubmissionId>2291326430</FeedSubmissionId>
<FeedType>_POST_ORDER_ACKNOWLEDGEMENT_DATA_</FeedType>
<SubmittedDate>2009-02-20T02:10:35+00:00</SubmittedDate>
<FeedProcessingStatus>_SUBMITTED_</FeedProcessingStatus></FeedSubmissionInfo>
</SubmitFeedResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata>
</SubmitFeedResponse>"""

REQUEST_LIST = b"""<?xml version="1.0"?>
<GetReportRequestListResponse xmlns="http://mws.amazonaws.com/doc/2009-01-01/">
<GetReportRequestListResult><HasNext>false</HasNext><ReportRequestInfo>
<ReportRequestId>2291326454</ReportRequestId><ReportType>_GET_AFN_INVENTORY_DATA_</ReportType>
<StartDate>2009-01-21T02:10:39+00:00</StartDate><EndDate>2009-02-13T02:10:39+00:00</EndDate>
<Scheduled>false</Scheduled><SubmittedDate>2009-02-20T02:10:39+00:00</SubmittedDate>
<ReportProcessingStatus>_DONE_</ReportProcessingStatus>
<GeneratedReportId>3538561173</GeneratedReportId></ReportRequestInfo>
</GetReportRequestListResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata>
</GetReportRequestListResponse>"""


def test_feed_submission_speaks_mws_and_answers_in_connector_terms():
    amazon, transport, gate = mws({"SubmitFeed": SUBMISSION})
    submission = amazon.feeds.submit("OrderAcknowledgement", b"<xml/>", reserve=2)
    operation, params = transport.sent[0]
    assert operation == "SubmitFeed"
    assert params["feed_type"] == "_POST_ORDER_ACKNOWLEDGEMENT_DATA_"
    assert params["marketplaceids"] == ["ATVPDKIKX0DER"] and params["feed"] == b"<xml/>"
    assert submission.submission_id == "2291326430"
    assert (submission.state, submission.status) == (api.QUEUED, "_SUBMITTED_")
    assert gate.events == [
        ("acquire", "feeds.submit", "SubmitFeed", 2),
        ("replied", "feeds.submit", "SubmitFeed"),
    ]


def test_report_request_status_maps_kinds_and_states():
    amazon, transport, _gate = mws({"GetReportRequestList": REQUEST_LIST})
    (request,) = amazon.reports.requests(["2291326454"])
    assert transport.sent == [("GetReportRequestList", {"requestids": ["2291326454"]})]
    assert (request.kind, request.state, request.report_id) == (
        api.REPORT_FBA_INVENTORY,
        api.DONE,
        "3538561173",
    )
    assert request.start == datetime(2009, 1, 21, 2, 10, 39, tzinfo=timezone.utc)


def test_report_request_names_its_mws_type_and_window():
    amazon, transport, _gate = mws({"RequestReport": b"<bad/>"})
    with pytest.raises(AmazonCallError) as info:
        amazon.reports.request(api.REPORT_ORDERS_NEW, datetime(2026, 1, 1), "2026-01-02T00:00:00Z")
    assert info.value.code == api.UNREADABLE and info.value.kind == api.TRANSIENT
    _operation, params = transport.sent[0]
    assert params["report_type"] == REPORT_TYPES[api.REPORT_ORDERS_NEW]
    assert (params["start_date"], params["end_date"]) == (
        "2026-01-01T00:00:00Z",
        "2026-01-02T00:00:00Z",
    )


def test_order_search_by_update_or_creation():
    body = b"""<ListOrdersResponse><ListOrdersResult><NextToken>T2</NextToken>
    <LastUpdatedBefore>2026-01-01T10:00:00Z</LastUpdatedBefore><Orders/></ListOrdersResult>
    </ListOrdersResponse>"""
    amazon, transport, _gate = mws({"ListOrders": body, "ListOrdersByNextToken": body})
    page = amazon.orders.search(after="2026-01-01T00:00:00Z", statuses=["Unshipped"])
    assert transport.sent[0][1]["lastupdatedafter"] == "2026-01-01T00:00:00Z"
    assert transport.sent[0][1]["orderstatus"] == ["Unshipped"]
    assert (page.items, page.next_token) == ([], "T2")
    assert page.until == datetime(2026, 1, 1, 10, tzinfo=timezone.utc)
    amazon.orders.search(after="2026-01-01T00:00:00Z", before="2026-01-02T00:00:00Z", by="created")
    assert set(transport.sent[1][1]) >= {"created_after", "created_before"}
    amazon.orders.next_page("T2")
    assert transport.sent[2] == ("ListOrdersByNextToken", {"next_token": "T2"})


def test_quota_wait_sends_nothing_and_errors_reach_the_gate():
    amazon, transport, gate = mws({}, wait=30)
    with pytest.raises(QuotaWait) as info:
        amazon.sellers.participations()
    assert (info.value.operation, info.value.wait) == ("sellers.participations", 30)
    assert transport.sent == []
    error = AmazonCallError("GetReport", api.THROTTLED, "RequestThrottled", "slow down", 503)
    amazon, transport, gate = mws({"GetReport": error})
    with pytest.raises(AmazonCallError):
        amazon.reports.download("R1")
    assert gate.events[-1] == ("failed", "reports.download", "GetReport", "RequestThrottled")


def test_declared_quotas_and_server_clock():
    assert MwsApi.operation("orders.next_items") == "ListOrderItemsByNextToken"
    assert MWS_QUOTAS.bucket_of("ListOrderItemsByNextToken") == "ListOrderItems"
    assert MWS_QUOTAS.limit_for("SubmitFeed").hourly == 30
    assert MwsApi.observe({"X-MWS-Timestamp": "2026-01-01T00:00:00Z"}) == 1767225600.0
    assert MwsApi.observe({}) is None
