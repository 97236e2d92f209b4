"""Reports API over real HTTP with python-amazon-mws: request -> done -> download, listing,
paging, acknowledgements, schedules and settlements."""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta
from decimal import Decimal

import mws
import pytest
from lxml import etree

from amazon_sandbox.clock import parse_iso
from amazon_sandbox.feed_processing import envelope_schema  # cached per process
from amazon_sandbox.reports import parse_flat_file
from amazon_sandbox.settlement import parse_settlement

MARKETS = ("ATVPDKIKX0DER", "A1PA6795UKMFR9")
SETTLEMENT = "_GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2_"


@pytest.fixture(scope="module")
def box(sandbox, tmp_path_factory):
    server = type(sandbox)(tmp_path_factory.mktemp("reports"), ["--no-throttle", "--seed", "5"])
    yield server
    server.stop()


def reports_client(box, creds) -> mws.Reports:
    return mws.Reports(creds.access_key, creds.secret_key, creds.seller_id, domain=box.url)


def as_list(node):
    if node is None:
        return []
    return node if isinstance(node, list) else [node]


def now_of(box):
    return parse_iso(box.admin("GET", "/admin/clock")["now"])


def seller_with_paid_orders(box, count=25, seed=1):
    creds = box.new_seller(marketplaces=MARKETS)
    box.admin("POST", f"/admin/sellers/{creds.seller_id}/orders", {"count": count, "seed": seed})
    box.advance(31 * 60)  # past the payment hold
    return creds


def request_info(client, request_id):
    parsed = client.get_report_request_list(requestids=[request_id]).parsed
    return parsed["ReportRequestInfo"]


def check_md5(resp):
    header = resp.response.headers["Content-MD5"]
    assert header == base64.b64encode(hashlib.md5(resp.response.content).digest()).decode()


def test_request_report_to_done_then_get_report(box):
    creds = seller_with_paid_orders(box)
    client = reports_client(box, creds)
    start = (now_of(box) - timedelta(days=1)).isoformat()
    info = client.request_report("_GET_FLAT_FILE_ORDERS_DATA_", start_date=start).parsed
    info = info["ReportRequestInfo"]
    assert info["ReportProcessingStatus"] == "_SUBMITTED_" and info["Scheduled"] == "false"
    request_id = info["ReportRequestId"]
    assert request_info(client, request_id)["ReportProcessingStatus"] == "_SUBMITTED_"
    box.advance(15)
    info = request_info(client, request_id)
    assert info["ReportProcessingStatus"] == "_IN_PROGRESS_" and "StartedProcessingDate" in info
    box.advance(60)
    info = request_info(client, request_id)
    assert info["ReportProcessingStatus"] == "_DONE_"
    report_id = info["GeneratedReportId"]
    assert parse_iso(info["CompletedDate"]) >= parse_iso(info["StartedProcessingDate"])
    # The library checks Content-MD5 of flat files itself (DataWrapper); check it again here.
    resp = client.get_report(report_id)
    check_md5(resp)
    assert resp.response.headers["Content-Type"].startswith("text/plain")
    rows = parse_flat_file(resp.parsed.decode("utf-8"))
    orders = box.admin("GET", f"/admin/sellers/{creds.seller_id}/orders")
    paid = [o for o in orders if o["payments_date"] and o["status"] != "Canceled"]
    assert paid and {r["order-id"] for r in rows} == {o["amazon_order_id"] for o in paid}
    assert len(rows) == sum(len(o["items"]) for o in paid)
    assert {r["currency"] for r in rows} == {"USD", "EUR"}
    # Restricted to one marketplace.
    info = client.request_report(
        "_GET_FLAT_FILE_ORDERS_DATA_", start_date=start, marketplaceids=["A1PA6795UKMFR9"]
    ).parsed
    box.advance(60)
    report_id = request_info(client, info["ReportRequestInfo"]["ReportRequestId"])[
        "GeneratedReportId"
    ]
    rows = parse_flat_file(client.get_report(report_id).parsed.decode())
    assert rows and {r["currency"] for r in rows} == {"EUR"}


def test_xml_report_and_done_no_data(box):
    creds = seller_with_paid_orders(box, count=10, seed=2)
    client = reports_client(box, creds)
    xml_id = client.request_report("_GET_XML_ALL_ORDERS_DATA_BY_LAST_UPDATE_").parsed[
        "ReportRequestInfo"
    ]["ReportRequestId"]
    empty = box.new_seller()
    empty_client = reports_client(box, empty)
    none_id = empty_client.request_report("_GET_FLAT_FILE_ORDERS_DATA_").parsed[
        "ReportRequestInfo"
    ]["ReportRequestId"]
    box.advance(60)
    info = request_info(empty_client, none_id)
    assert info["ReportProcessingStatus"] == "_DONE_NO_DATA_" and "GeneratedReportId" not in info
    info = request_info(client, xml_id)
    resp = client.get_report(info["GeneratedReportId"])
    check_md5(resp)
    assert resp.response.headers["Content-Type"].startswith("text/xml")
    root = etree.fromstring(resp.response.content)
    assert root.findtext("MessageType") == "AllOrdersReport"
    assert len(root.findall("Message/Order")) == 10


@pytest.mark.parametrize(
    "report_type, word",
    [
        (SETTLEMENT, "not requestable"),
        ("_GET_ORDERS_DATA_", "not requestable"),
        ("_GET_NOTHING_", "ReportType"),
    ],
)
def test_unrequestable_report_types(box, report_type, word):
    client = reports_client(box, box.new_seller())
    with pytest.raises(mws.MWSError) as excinfo:
        client.request_report(report_type)
    resp = excinfo.value.response
    assert resp.status_code == 400 and "InvalidParameterValue" in resp.text and word in resp.text


def test_request_list_paging_count_and_acknowledgements(box):
    creds = seller_with_paid_orders(box, count=5, seed=3)
    client = reports_client(box, creds)
    ids = [
        client.request_report("_GET_FLAT_FILE_ORDERS_DATA_").parsed["ReportRequestInfo"][
            "ReportRequestId"
        ]
        for _ in range(5)
    ]
    box.advance(60)
    first = client.get_report_request_list(max_count=2).parsed
    assert first["HasNext"] == "true"
    seen = [i["ReportRequestId"] for i in as_list(first["ReportRequestInfo"])]
    token = first["NextToken"]
    while token:
        page = client.get_report_request_list(next_token=token).parsed
        seen += [i["ReportRequestId"] for i in as_list(page.get("ReportRequestInfo"))]
        token = page.get("NextToken")
        assert page["HasNext"] == ("true" if token else "false")
    assert seen == list(reversed(ids))  # newest first
    done = client.get_report_request_list(processingstatuses=["_DONE_"]).parsed
    assert len(as_list(done["ReportRequestInfo"])) == 5
    listed = client.get_report_list(types=["_GET_FLAT_FILE_ORDERS_DATA_"], max_count=3).parsed
    assert listed["HasNext"] == "true" and len(as_list(listed["ReportInfo"])) == 3
    count = client.get_report_count(report_types=["_GET_FLAT_FILE_ORDERS_DATA_"]).parsed
    assert count["Count"] == "5"
    report_ids = [i["ReportId"] for i in as_list(listed["ReportInfo"])]
    acked = client.make_request(
        {
            "Action": "UpdateReportAcknowledgements",
            "ReportIdList.Id.1": report_ids[0],
            "Acknowledged": "true",
        }
    ).parsed
    assert acked["Count"] == "1" and acked["ReportInfo"]["Acknowledged"] == "true"
    count = client.get_report_count(acknowledged=False).parsed
    assert count["Count"] == "4"
    by_request = client.get_report_list(requestids=[ids[0]]).parsed
    assert as_list(by_request["ReportInfo"])[0]["ReportRequestId"] == ids[0]
    with pytest.raises(mws.MWSError):
        client.get_report_list(next_token="bm9wZQ==")
    with pytest.raises(mws.MWSError) as excinfo:
        client.get_report("1")
    assert excinfo.value.response.status_code == 400


def test_settlements_settle_now_and_scheduled(box):
    creds = seller_with_paid_orders(box, count=30, seed=4)
    client = reports_client(box, creds)
    box.advance(5 * 3600)  # Amazon ships the AFN orders
    out = box.admin("POST", f"/admin/sellers/{creds.seller_id}/settle")
    assert out["report_id"]
    listed = client.get_report_list(types=[SETTLEMENT]).parsed
    infos = as_list(listed["ReportInfo"])
    assert out["report_id"] in {i["ReportId"] for i in infos}
    for info in infos:
        resp = client.get_report(info["ReportId"])
        rows = parse_settlement(resp.parsed.decode())
        total = sum(Decimal(r["amount"]) for r in rows[1:])
        assert Decimal(rows[0]["total-amount"]) == total
        assert {r["transaction-type"] for r in rows[1:]} >= {"Order", "other-transaction"}
        assert any(r["amount-description"] == "FBAPerUnitFulfillmentFee" for r in rows)
    requests_ = as_list(
        client.get_report_request_list(types=[SETTLEMENT]).parsed["ReportRequestInfo"]
    )
    assert all(
        r["Scheduled"] == "true" and r["ReportProcessingStatus"] == "_DONE_" for r in requests_
    )
    # Nothing new happened: settling again publishes nothing.
    assert box.admin("POST", f"/admin/sellers/{creds.seller_id}/settle")["report_id"] is None
    # New AFN orders ship within the next 24 hours: the scheduled settlement picks them up.
    box.admin("POST", f"/admin/sellers/{creds.seller_id}/orders", {"count": 30, "seed": 44})
    box.advance(25 * 3600)
    later = as_list(client.get_report_list(types=[SETTLEMENT]).parsed["ReportInfo"])
    assert len(later) > len(infos)


def test_scheduled_order_report_is_xsd_valid(box, amazon_xsd_dir):
    creds = box.new_seller(marketplaces=MARKETS)
    client = reports_client(box, creds)
    resp = client.make_request(
        {
            "Action": "ManageReportSchedule",
            "ReportType": "_GET_ORDERS_DATA_",
            "Schedule": "_1_HOUR_",
        }
    ).parsed
    assert resp["Count"] == "1" and resp["ReportSchedule"]["Schedule"] == "_1_HOUR_"
    listed = client.make_request({"Action": "GetReportScheduleList"}).parsed
    assert listed["ReportSchedule"]["ReportType"] == "_GET_ORDERS_DATA_"
    box.admin("POST", f"/admin/sellers/{creds.seller_id}/orders", {"count": 20, "seed": 6})
    box.advance(2 * 3600)
    infos = as_list(client.get_report_list(types=["_GET_ORDERS_DATA_"]).parsed.get("ReportInfo"))
    assert infos
    body = client.get_report(infos[0]["ReportId"]).response.content
    schema = envelope_schema(amazon_xsd_dir)
    assert schema.validate(etree.fromstring(body)), schema.error_log


def key_paths(node, prefix=""):
    out = set()
    if isinstance(node, list):
        for child in node:
            out |= key_paths(child, prefix)
    elif isinstance(node, dict):
        for key, value in dict.items(node):
            if key not in ("value", "namespace"):
                path = f"{prefix}.{key}" if prefix else key
                out |= {path} | key_paths(value, path)
    return out


def test_response_shapes_match_amazon_samples(box, amazon_samples_dir):
    creds = seller_with_paid_orders(box, count=3, seed=8)
    client = reports_client(box, creds)
    submitted = client.request_report("_GET_FLAT_FILE_ORDERS_DATA_")
    sample = (amazon_samples_dir / "RequestReportResponse.xml").read_bytes()
    expected = key_paths(mws.mws.DictWrapper(sample, "RequestReportResult").parsed)
    assert key_paths(submitted.parsed) == expected
    client.request_report("_GET_FLAT_FILE_ORDERS_DATA_")
    box.advance(60)
    listed = client.get_report_request_list(max_count=1)
    sample = (amazon_samples_dir / "GetReportRequestListResponse.xml").read_bytes()
    expected = key_paths(mws.mws.DictWrapper(sample, "GetReportRequestListResult").parsed)
    assert key_paths(listed.parsed) == expected
    root = etree.fromstring(listed.response.content)
    assert root.tag == "{http://mws.amazonaws.com/doc/2009-01-01/}GetReportRequestListResponse"
    assert root.findtext("{*}ResponseMetadata/{*}RequestId")


def _envelope(message_type: str, body: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?><AmazonEnvelope '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:noNamespaceSchemaLocation="amzn-envelope.xsd"><Header><DocumentVersion>1.01'
        "</DocumentVersion><MerchantIdentifier>M</MerchantIdentifier></Header>"
        f"<MessageType>{message_type}</MessageType><Message><MessageID>1</MessageID>{body}"
        "</Message></AmazonEnvelope>"
    ).encode()


def _feed(box, creds, xml: bytes, feed_type: str) -> None:
    client = mws.Feeds(creds.access_key, creds.secret_key, creds.seller_id, domain=box.url)
    feed_id = client.submit_feed(xml, feed_type).parsed["FeedSubmissionInfo"]["FeedSubmissionId"]
    box.advance(400)
    report = client.get_feed_submission_result(feed_id).parsed["ProcessingReport"]
    assert report["ProcessingSummary"]["MessagesSuccessful"] == "1", report


def test_feed_shipment_and_refund_reach_the_settlement(box):
    """Order feeds (through api_orders.load_order/save_order) → the settlement report."""
    creds = box.new_seller()
    box.admin("POST", f"/admin/sellers/{creds.seller_id}/orders", {"count": 20, "seed": 12})
    box.advance(31 * 60)
    orders = box.admin("GET", f"/admin/sellers/{creds.seller_id}/orders")
    order = next(
        o
        for o in orders
        if o["fulfillment_channel"] == "MFN"
        and o["status"] == "Unshipped"
        and not o["planned_cancel_date"]
    )
    item = order["items"][0]
    oid = order["amazon_order_id"]
    _feed(
        box,
        creds,
        _envelope(
            "OrderAcknowledgement",
            (
                f"<OrderAcknowledgement><AmazonOrderID>{oid}</AmazonOrderID>"
                "<MerchantOrderID>SO-0042</MerchantOrderID><StatusCode>Success</StatusCode>"
                "</OrderAcknowledgement>"
            ),
        ),
        "_POST_ORDER_ACKNOWLEDGEMENT_DATA_",
    )
    shipped_at = now_of(box).replace(microsecond=0).isoformat()
    _feed(
        box,
        creds,
        _envelope(
            "OrderFulfillment",
            (
                f"<OrderFulfillment><AmazonOrderID>{oid}</AmazonOrderID>"
                f"<MerchantFulfillmentID>SHIP-1</MerchantFulfillmentID>"
                f"<FulfillmentDate>{shipped_at}</FulfillmentDate><FulfillmentData>"
                "<CarrierCode>UPS</CarrierCode><ShipperTrackingNumber>1Z999</ShipperTrackingNumber>"
                "</FulfillmentData></OrderFulfillment>"
            ),
        ),
        "_POST_ORDER_FULFILLMENT_DATA_",
    )
    _feed(
        box,
        creds,
        _envelope(
            "OrderAdjustment",
            (
                f"<OrderAdjustment><AmazonOrderID>{oid}</AmazonOrderID><AdjustedItem>"
                f"<AmazonOrderItemCode>{item['order_item_id']}</AmazonOrderItemCode>"
                "<AdjustmentReason>CustomerReturn</AdjustmentReason><ItemPriceAdjustments>"
                f'<Component><Type>Principal</Type><Amount currency="{order["currency"]}">'
                f"{item['item_price']}</Amount></Component></ItemPriceAdjustments></AdjustedItem>"
                "</OrderAdjustment>"
            ),
        ),
        "_POST_PAYMENT_ADJUSTMENT_DATA_",
    )
    # The Orders API shows the seller's order id and the shipment.
    got = box.orders(creds).get_order([oid]).parsed["Orders"]["Order"]
    assert got["OrderStatus"] == "Shipped" and got["SellerOrderId"] == "SO-0042"
    report_id = box.admin("POST", f"/admin/sellers/{creds.seller_id}/settle")["report_id"]
    rows = parse_settlement(reports_client(box, creds).get_report(report_id).parsed.decode())
    mine = [r for r in rows[1:] if r["order-id"] == oid]
    sold = [r for r in mine if r["transaction-type"] == "Order"]
    refund = [r for r in mine if r["transaction-type"] == "Refund"]
    assert {r["shipment-id"] for r in sold} == {"SHIP-1"}
    assert {r["merchant-order-id"] for r in mine} == {"SO-0042"}
    principal = {
        r["order-item-code"]: r["amount"]
        for r in sold
        if r["amount-description"] == "Principal" and r["amount-type"] == "ItemPrice"
    }
    assert principal == {i["order_item_id"]: i["item_price"] for i in order["items"]}
    assert [r["amount"] for r in refund if r["amount-description"] == "Principal"] == [
        f"-{item['item_price']}"
    ]
    assert Decimal(rows[0]["total-amount"]) == sum(Decimal(r["amount"]) for r in rows[1:])
