"""SP-API face: the Reports API 2021-06-30 over real HTTP, from the MWS face's report store.

createReport → getReport (IN_QUEUE, IN_PROGRESS, DONE or CANCELLED on the sandbox clock) →
getReportDocument → download at the pre-signed URL (gzipped or plain) → the connector's
parsers; the settlements the sandbox schedules listed by getReports; getReportSchedules;
throttling. Every JSON answer is validated against Amazon's model (`spapi_check`)."""

from __future__ import annotations

import gzip
from datetime import timedelta
from decimal import Decimal

import mws
import pytest
import requests
from conftest import SpClient, envelope, product_msg
from lxml import etree

from amazon_integration.lib.reports import (
    parse_afn_inventory,
    parse_listings,
    parse_xml_orders_report,
    read_tsv,
)
from amazon_integration.lib.settlement import check_total, parse_settlement_v2
from amazon_sandbox.clock import iso_z, parse_iso

MODEL = "reports_2021-06-30.json"
REPORTS = "/reports/2021-06-30/reports"
DOCUMENTS = "/reports/2021-06-30/documents"
SCHEDULES = "/reports/2021-06-30/schedules"
XML_ALL = "GET_XML_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL"
FLAT_ALL = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL"
AFN = "GET_AFN_INVENTORY_DATA"
LISTINGS = "GET_MERCHANT_LISTINGS_ALL_DATA"
SETTLEMENT = "GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2"
US, DE = "ATVPDKIKX0DER", "A1PA6795UKMFR9"
#: a window start before every order of the tests (other tests move the clock by a day)
SINCE = "2020-01-01T00:00:00Z"
#: Amazon's columns of GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL ("Order Tracking
#: reports attributes" in Amazon's SP-API documentation)
FLAT_ALL_COLUMNS = [
    "amazon-order-id",
    "merchant-order-id",
    "purchase-date",
    "last-updated-date",
    "order-status",
    "fulfillment-channel",
    "sales-channel",
    "order-channel",
    "ship-service-level",
    "product-name",
    "sku",
    "asin",
    "item-status",
    "quantity",
    "currency",
    "item-price",
    "item-tax",
    "shipping-price",
    "shipping-tax",
    "gift-wrap-price",
    "gift-wrap-tax",
    "item-promotion-discount",
    "ship-promotion-discount",
    "ship-city",
    "ship-state",
    "ship-postal-code",
    "ship-country",
    "promotion-ids",
    "is-business-order",
    "purchase-order-number",
    "price-designation",
]
QUOTA = {
    "errors": [
        {"code": "QuotaExceeded", "message": "You exceeded your quota for the requested resource."}
    ]
}


class Client(SpClient):
    """One seller's Reports API calls, each answer validated against the model."""

    model = MODEL

    def create(self, report_type, status=202, **spec):
        spec.setdefault("marketplaceIds", [self.creds.marketplace_id])
        return self.call(
            "createReport",
            REPORTS,
            method="POST",
            json={"reportType": report_type, **spec},
            status=status,
        )

    def report(self, report_id, status=200):
        return self.call("getReport", f"{REPORTS}/{report_id}", status=status)

    def reports(self, params, status=200):
        return self.call("getReports", REPORTS, params=params, status=status)

    def cancel(self, report_id, status=200):
        return self.call("cancelReport", f"{REPORTS}/{report_id}", method="DELETE", status=status)

    def document(self, document_id, params=None, status=200):
        return self.call(
            "getReportDocument", f"{DOCUMENTS}/{document_id}", params=params, status=status
        )

    def download(self, report: dict) -> tuple[dict, bytes]:
        """(getReportDocument's answer, the document's bytes, decompressed)."""
        document = self.document(report["reportDocumentId"])
        return document, self.box.download(document["url"], document.get("compressionAlgorithm"))

    def catalog(self) -> dict[str, dict]:
        """The seller's catalog rows (admin) by SKU."""
        rows = self.box.admin("GET", f"/admin/sellers/{self.creds.seller_id}/catalog")
        return {r["sku"]: r for r in rows}

    def run(self, report_type, **spec) -> tuple[dict, bytes]:
        """createReport, 60 sandbox seconds, getReport: (Report, document bytes or b"")."""
        report_id = self.create(report_type, **spec)["reportId"]
        self.box.advance(60)
        report = self.report(report_id)
        if report["processingStatus"] != "DONE":
            return report, b""
        return report, self.download(report)[1]


def now_of(box):
    return parse_iso(box.admin("GET", "/admin/clock")["now"])


def day_ago(box, days: int = 1) -> str:
    return iso_z(now_of(box) - timedelta(days=days))


def price_msg(sku: str, price: str, currency: str = "USD") -> str:
    return (
        f"<OperationType>Update</OperationType><Price><SKU>{sku}</SKU>"
        f'<StandardPrice currency="{currency}">{price}</StandardPrice></Price>'
    )


def stock_msg(sku: str, quantity: int) -> str:
    return (
        f"<OperationType>Update</OperationType><Inventory><SKU>{sku}</SKU>"
        f"<Quantity>{quantity}</Quantity></Inventory>"
    )


@pytest.fixture(scope="module")
def shop(sandbox, tmp_path_factory):
    """A private server without throttling, one seller in the US and Germany with 24 paid
    orders (one shipped by an SP-API feed), a catalog of five SKUs (two fulfilled by Amazon,
    one without price) and one settlement."""
    box = type(sandbox)(tmp_path_factory.mktemp("spreports"), ["--no-throttle", "--seed", "5"])
    creds = box.new_seller(marketplaces=(US, DE))
    box.admin("POST", f"/admin/sellers/{creds.seller_id}/orders", {"count": 24, "seed": 7})
    box.advance(31 * 60)
    skus = [f"LAMP-{n}" for n in range(1, 6)]
    box.process(
        creds,
        envelope("Product", [product_msg(s, f"Lamp {s}") for s in skus]),
        "_POST_PRODUCT_DATA_",
    )
    box.process(
        creds,
        envelope("Price", [price_msg(s, f"{10 + n}.50") for n, s in enumerate(skus[:4])]),
        "_POST_PRODUCT_PRICING_DATA_",
    )
    box.process(
        creds,
        envelope("Inventory", [stock_msg(s, 3) for s in skus]),
        "_POST_INVENTORY_AVAILABILITY_DATA_",
    )
    for sku, quantity in (("LAMP-4", 17), ("LAMP-5", 0)):
        box.admin(
            "POST",
            f"/admin/sellers/{creds.seller_id}/catalog/{sku}",
            {"quantity": quantity, "fulfillment_channel": "AFN"},
        )
    orders = box.admin("GET", f"/admin/sellers/{creds.seller_id}/orders")
    mfn = next(
        o
        for o in orders
        if o["fulfillment_channel"] == "MFN"
        and o["status"] == "Unshipped"
        and not o["planned_cancel_date"]
    )
    shipment = envelope(
        "OrderFulfillment",
        [
            f"<OrderFulfillment><AmazonOrderID>{mfn['amazon_order_id']}</AmazonOrderID>"
            f"<FulfillmentDate>{iso_z(now_of(box))}</FulfillmentDate><FulfillmentData>"
            "<CarrierCode>UPS</CarrierCode><ShipperTrackingNumber>1Z1</ShipperTrackingNumber>"
            "</FulfillmentData></OrderFulfillment>"
        ],
    )
    box.sp_submit_feed(creds, "POST_ORDER_FULFILLMENT_DATA", shipment)
    box.advance(400)
    box.shipped = mfn["amazon_order_id"]
    box.settlement = box.admin("POST", f"/admin/sellers/{creds.seller_id}/settle")["report_id"]
    assert box.settlement
    yield box, creds
    box.stop()


def stored_orders(box, creds) -> dict[str, dict]:
    orders = box.admin("GET", f"/admin/sellers/{creds.seller_id}/orders")
    return {o["amazon_order_id"]: o for o in orders}


# ---- one cycle per report type ------------------------------------------------------------


def test_xml_all_orders_cycle_and_timings(shop, spapi_check):
    box, creds = shop
    client = Client(box, creds, spapi_check)
    start = SINCE
    report_id = client.create(XML_ALL, dataStartTime=start, marketplaceIds=[US, DE])["reportId"]
    report = client.report(report_id)
    created = parse_iso(report["createdTime"])
    assert report == {
        "reportId": report_id,
        "reportType": XML_ALL,
        "marketplaceIds": [US, DE],
        "dataStartTime": start,
        "dataEndTime": report["createdTime"],
        "createdTime": report["createdTime"],
        "processingStatus": "IN_QUEUE",
    }
    box.advance(5)
    assert client.report(report_id)["processingStatus"] == "IN_QUEUE"
    box.advance(10)  # IN_PROGRESS 10 s after creation
    report = client.report(report_id)
    assert report["processingStatus"] == "IN_PROGRESS"
    assert parse_iso(report["processingStartTime"]) == created + timedelta(seconds=10)
    box.advance(25)
    assert client.report(report_id)["processingStatus"] == "IN_PROGRESS"
    box.advance(10)  # DONE 45 s after creation
    report = client.report(report_id)
    assert report["processingStatus"] == "DONE"
    assert parse_iso(report["processingEndTime"]) == created + timedelta(seconds=45)
    document, body = client.download(report)
    assert document["reportDocumentId"] == report["reportDocumentId"]
    assert report["reportDocumentId"].startswith("amzn1.spdoc.")
    parsed = {o["amazon_order_id"]: o for o in parse_xml_orders_report(body)}
    stored = stored_orders(box, creds)
    assert set(parsed) == set(stored)  # every order was updated in the window
    assert parsed[box.shipped]["status"] == "Shipped"
    for oid, order in parsed.items():
        assert order["status"] == stored[oid]["status"]
        assert order["marketplace_id"] == stored[oid]["marketplace_id"]
        assert [i["order_item_id"] for i in order["items"]] == [
            i["order_item_id"] for i in stored[oid]["items"]
        ]
    # one marketplace only
    report, body = client.run(XML_ALL, dataStartTime=start, marketplaceIds=[DE])
    germans = {o for o, order in stored.items() if order["marketplace_id"] == DE}
    assert germans and {o["amazon_order_id"] for o in parse_xml_orders_report(body)} == germans
    # the MWS face sees the same report requests
    info = (
        mws.Reports(creds.access_key, creds.secret_key, creds.seller_id, domain=box.url)
        .get_report_request_list(requestids=[report_id])
        .parsed["ReportRequestInfo"]
    )
    assert info["ReportType"] == "_GET_XML_ALL_ORDERS_DATA_BY_LAST_UPDATE_"
    assert info["ReportProcessingStatus"] == "_DONE_"


def test_flat_all_orders_in_amazons_columns(shop, spapi_check):
    box, creds = shop
    client = Client(box, creds, spapi_check)
    report, body = client.run(FLAT_ALL, dataStartTime=SINCE, marketplaceIds=[US, DE])
    assert report["processingStatus"] == "DONE"
    header, rows = read_tsv(body)
    assert header == FLAT_ALL_COLUMNS
    stored = stored_orders(box, creds)
    assert len(rows) == sum(len(o["items"]) for o in stored.values())
    lines: dict[str, list] = {}
    for _line, row in rows:  # an order's rows follow its items
        order = stored[row["amazon-order-id"]]
        item = order["items"][len(lines.setdefault(order["amazon_order_id"], []))]
        lines[order["amazon_order_id"]].append(row)
        assert row["sku"] == item["seller_sku"] and row["asin"] == item["asin"]
        assert row["order-status"] == (
            "Cancelled" if order["status"] == "Canceled" else order["status"]
        )
        assert row["fulfillment-channel"] == (
            "Amazon" if order["fulfillment_channel"] == "AFN" else "Merchant"
        )
        assert row["currency"] == order["currency"]
        assert int(row["quantity"]) == item["quantity_ordered"]
        assert Decimal(row["item-price"]) == Decimal(item["item_price"])
        assert Decimal(row["item-promotion-discount"]) == -Decimal(item["promotion_discount"])
        assert parse_iso(row["last-updated-date"]) == parse_iso(order["last_update_date"])
    shipped = [row for _line, row in rows if row["amazon-order-id"] == box.shipped]
    assert {row["item-status"] for row in shipped} == {"Shipped"}


def test_afn_inventory_report(shop, spapi_check):
    box, creds = shop
    client = Client(box, creds, spapi_check)
    report, body = client.run(AFN)
    assert report["processingStatus"] == "DONE"
    rows = parse_afn_inventory(body)
    assert {r["sku"]: r["quantity"] for r in rows} == {"LAMP-4": 17, "LAMP-5": 0}
    catalog = client.catalog()
    assert all(r["asin"] == catalog[r["sku"]]["asin"] for r in rows)
    assert {r["warehouse_condition"] for r in rows} == {"SELLABLE"}


def test_merchant_listings_report(shop, spapi_check):
    box, creds = shop
    client = Client(box, creds, spapi_check)
    report, body = client.run(LISTINGS)
    assert report["processingStatus"] == "DONE"
    rows = {r["sku"]: r for r in parse_listings(body)}
    catalog = client.catalog()
    assert set(rows) == set(catalog) == {f"LAMP-{n}" for n in range(1, 6)}
    assert {sku: r["asin"] for sku, r in rows.items()} == {
        sku: r["asin"] for sku, r in catalog.items()
    }
    assert {sku: r["status"] for sku, r in rows.items()} == {
        "LAMP-1": "active",
        "LAMP-2": "active",
        "LAMP-3": "active",
        "LAMP-4": "active",  # fulfilled by Amazon: no quantity of its own
        "LAMP-5": "inactive",  # no price
    }
    assert rows["LAMP-1"]["price"] == "10.50" and rows["LAMP-1"]["quantity"] == 3


# ---- settlements --------------------------------------------------------------------------


def test_settlements_are_listed_not_requested(shop, spapi_check):
    box, creds = shop
    client = Client(box, creds, spapi_check)
    body = client.create(SETTLEMENT, status=400)
    assert body["errors"][0]["code"] == "InvalidInput"
    assert "cannot be requested" in body["errors"][0]["message"]
    listed = client.reports({"reportTypes": SETTLEMENT})["reports"]
    assert len(listed) == 1
    report = listed[0]
    assert report["processingStatus"] == "DONE" and report["reportType"] == SETTLEMENT
    assert (
        parse_iso(report["dataStartTime"])
        < parse_iso(report["dataEndTime"])
        <= parse_iso(report["createdTime"])
    )
    _document, body = client.download(report)
    settlement = parse_settlement_v2(body)
    total, announced = check_total(settlement)
    assert total == announced
    assert box.shipped in {line.order_id for line in settlement.lines}
    # the next period closes 24 sandbox hours later: a new settlement (the shipment is gone,
    # the subscription fee stays) and the schedule moves on
    schedules = client.call("getReportSchedules", SCHEDULES, params={"reportTypes": SETTLEMENT})
    [schedule] = schedules["reportSchedules"]
    assert schedule["period"] == "P1D" and schedule["marketplaceIds"] == [US, DE]
    next_time = parse_iso(schedule["nextReportCreationTime"])
    box.advance((next_time - now_of(box)).total_seconds() + 1)
    client.token = box.access_token(creds)  # the old one expired an hour later
    listed = client.reports({"reportTypes": SETTLEMENT, "processingStatuses": "DONE"})["reports"]
    assert len(listed) >= 1 and listed[-1]["reportId"] == report["reportId"]
    schedules = client.call("getReportSchedules", SCHEDULES, params={"reportTypes": SETTLEMENT})
    assert parse_iso(schedules["reportSchedules"][0]["nextReportCreationTime"]) > next_time
    assert client.call("getReportSchedules", SCHEDULES, params={"reportTypes": AFN}) == {
        "reportSchedules": []
    }
    assert client.call("getReportSchedules", SCHEDULES, status=400)["errors"][0]["code"] == (
        "InvalidInput"
    )


# ---- no data, refusals, cancel, listing ------------------------------------------------------


def test_no_data_is_cancelled(shop, spapi_check):
    box, creds = shop
    client = Client(box, creds, spapi_check)
    # the model: dataStartTime and dataEndTime default to now, so nothing was updated
    report, body = client.run(XML_ALL)
    assert report["processingStatus"] == "CANCELLED" and body == b""
    assert "reportDocumentId" not in report and report["processingEndTime"]
    empty = Client(box, box.new_seller(), spapi_check)
    for report_type in (AFN, LISTINGS, FLAT_ALL):
        report, _body = empty.run(report_type, dataStartTime=day_ago(box))
        assert report["processingStatus"] == "CANCELLED", report_type


def test_create_report_refusals(shop, spapi_check):
    box, creds = shop
    client = Client(box, creds, spapi_check)
    future = iso_z(now_of(box) + timedelta(hours=1))
    for report_type, spec, word in (
        ("GET_FLAT_FILE_OPEN_LISTINGS_DATA", {}, "reportType"),
        ("_GET_XML_ALL_ORDERS_DATA_BY_LAST_UPDATE_", {}, "reportType"),
        (XML_ALL, {"marketplaceIds": ["A1F83G8C2ARO7P"]}, "marketplaceId"),
        (XML_ALL, {"marketplaceIds": []}, "marketplaceIds"),
        (XML_ALL, {"dataStartTime": future}, "future"),
        (XML_ALL, {"dataStartTime": "last week"}, "dataStartTime"),
        (
            XML_ALL,
            {"dataStartTime": day_ago(box), "dataEndTime": "2001-01-01T00:00:00Z"},
            "before",
        ),
        (XML_ALL, {"reportOptions": {"x": 1}}, "reportOptions"),
    ):
        body = client.create(report_type, status=400, **spec)
        error = body["errors"][0]
        assert error["code"] == "InvalidInput"
        assert word in error["message"], (report_type, spec, error)
    body = client.call(
        "createReport", REPORTS, method="POST", json={"reportType": XML_ALL}, status=400
    )
    assert "marketplaceIds" in body["errors"][0]["message"]
    assert client.report("999", status=404)["errors"][0]["code"] == "NotFound"
    assert client.document("amzn1.spdoc.1.4.na.nope", status=404)["errors"][0]["code"] == (
        "NotFound"
    )


def test_cancel_report(shop, spapi_check):
    box, creds = shop
    client = Client(box, creds, spapi_check)
    report_id = client.create(XML_ALL, dataStartTime=day_ago(box))["reportId"]
    assert client.cancel(report_id) is None
    report = client.report(report_id)
    assert report["processingStatus"] == "CANCELLED"
    body = client.cancel(report_id, status=400)
    assert "IN_QUEUE" in body["errors"][0]["details"]
    # the shop's orders were bought before the settlement test moved the clock to the next
    # settlement, up to a day later depending on the wall clock: a week covers them always
    started = client.create(XML_ALL, dataStartTime=day_ago(box, 7))["reportId"]
    box.advance(15)
    assert client.cancel(started, status=400)["errors"][0]["code"] == "InvalidInput"
    other = Client(box, box.new_seller(), spapi_check)
    assert other.cancel(started, status=404)["errors"][0]["code"] == "NotFound"
    assert other.report(started, status=404)
    box.advance(60)
    assert client.report(report_id)["processingStatus"] == "CANCELLED"
    assert client.report(started)["processingStatus"] == "DONE"


def test_get_reports_filters_and_pages(shop, spapi_check):
    box, creds = shop
    client = Client(box, creds, spapi_check)
    start = SINCE
    ids = {}
    for name, report_type, markets in (
        ("x1", XML_ALL, [US]),
        ("f1", FLAT_ALL, [DE]),
        ("x2", XML_ALL, [DE]),
        ("l1", LISTINGS, [US]),
        ("x3", XML_ALL, [US, DE]),
    ):
        ids[name] = client.create(report_type, dataStartTime=start, marketplaceIds=markets)[
            "reportId"
        ]
        box.advance(2)
    client.cancel(ids["x3"])
    box.advance(60)

    def listed(params):
        return [r["reportId"] for r in client.reports(params)["reports"]]

    xml_since = {"reportTypes": XML_ALL, "createdSince": client.report(ids["x1"])["createdTime"]}
    assert listed(xml_since) == [ids["x3"], ids["x2"], ids["x1"]]
    assert listed({**xml_since, "processingStatuses": "DONE"}) == [ids["x2"], ids["x1"]]
    assert listed({**xml_since, "processingStatuses": "CANCELLED"}) == [ids["x3"]]
    assert listed({**xml_since, "processingStatuses": "FATAL"}) == []
    assert listed({**xml_since, "marketplaceIds": DE}) == [ids["x3"], ids["x2"]]
    until = client.report(ids["x2"])["createdTime"]
    assert listed({**xml_since, "createdUntil": until}) == [ids["x2"], ids["x1"]]
    mixed = {
        "reportTypes": [XML_ALL, FLAT_ALL, LISTINGS],
        "createdSince": xml_since["createdSince"],
    }
    assert listed(mixed) == [ids[n] for n in ("x3", "l1", "x2", "f1", "x1")]
    page = client.reports({**mixed, "pageSize": 2})
    assert [r["reportId"] for r in page["reports"]] == [ids["x3"], ids["l1"]]
    seen = [r["reportId"] for r in page["reports"]]
    while "nextToken" in page:
        page = client.reports({"nextToken": page["nextToken"]})
        seen += [r["reportId"] for r in page["reports"]]
    assert seen == listed(mixed)
    first = client.reports({**mixed, "pageSize": 2})
    for params in (
        {},
        {"processingStatuses": "DONE"},
        {"nextToken": first["nextToken"], "reportTypes": XML_ALL},
        {"nextToken": "bogus"},
        {"reportTypes": "GET_NOTHING"},
        {"reportTypes": XML_ALL, "processingStatuses": "_DONE_"},
        {"reportTypes": XML_ALL, "pageSize": 0},
        {"reportTypes": XML_ALL, "createdUntil": "2001-01-01T00:00:00Z"},
    ):
        assert client.reports(params, status=400)["errors"][0]["code"] == "InvalidInput", params
    done = client.report(ids["x1"])
    assert done["reportDocumentId"] == client.report(ids["x1"])["reportDocumentId"]


# ---- documents -----------------------------------------------------------------------------


def test_gzip_and_plain_documents_and_url_expiry(shop, spapi_check):
    box, creds = shop
    client = Client(box, creds, spapi_check)
    box.document_compression(creds, next="gzip")
    gzipped, _body = client.run(LISTINGS)
    box.document_compression(creds, next="plain")
    plain, _body = client.run(LISTINGS)
    first = client.document(gzipped["reportDocumentId"])
    second = client.document(plain["reportDocumentId"])
    assert first["compressionAlgorithm"] == "GZIP" and "compressionAlgorithm" not in second
    raw = requests.get(first["url"], timeout=30)
    assert raw.content[:2] == b"\x1f\x8b" and "Content-Encoding" not in raw.headers
    text = requests.get(second["url"], timeout=30)
    assert gzip.decompress(raw.content) == text.content
    assert text.content.startswith(b"item-name\t")
    assert text.headers["Content-Type"].startswith("text/plain")
    # the document keeps its compression; Content-Encoding when asked
    again = client.document(
        gzipped["reportDocumentId"], params={"enableContentEncodingUrlHeader": "true"}
    )
    assert again["compressionAlgorithm"] == "GZIP"
    resp = requests.get(again["url"], timeout=30)
    assert resp.headers["Content-Encoding"] == "gzip" and resp.content == text.content
    # URLs live five sandbox minutes; the admin can expire them at once
    box.advance(301)
    resp = requests.get(first["url"], timeout=30)
    assert resp.status_code == 403
    assert etree.fromstring(resp.content).findtext("Message") == "Request has expired"
    fresh = client.document(plain["reportDocumentId"])
    assert requests.get(fresh["url"], timeout=30).status_code == 200
    box.expire_document_urls(creds)
    assert requests.get(fresh["url"], timeout=30).status_code == 403
    # another seller cannot see the document
    other = Client(box, box.new_seller(), spapi_check)
    assert other.document(plain["reportDocumentId"], status=404)


# ---- throttling (the shared, throttled server) -------------------------------------------------


def test_burst_then_429(sandbox, seller, spapi_check):
    client = Client(sandbox, seller, spapi_check)
    for _ in range(15):
        client.create(AFN)
    resp = sandbox.spapi(
        seller,
        REPORTS,
        method="POST",
        token=client.token,
        json={"reportType": AFN, "marketplaceIds": [seller.marketplace_id]},
    )
    assert resp.status_code == 429
    assert resp.headers["x-amzn-RateLimit-Limit"] == "0.0167"
    assert spapi_check(resp, MODEL, "createReport") == QUOTA
    sandbox.advance(60)  # one every 1 / 0.0167 = 59.9 s
    client.create(AFN)
    for _ in range(10):
        client.reports({"reportTypes": AFN})
    resp = sandbox.spapi(seller, REPORTS, {"reportTypes": AFN}, token=client.token)
    assert resp.status_code == 429
    assert spapi_check(resp, MODEL, "getReports") == QUOTA
    counters = sandbox.admin("GET", "/admin/throttle")["counters"]
    mine = {c["operation"]: c for c in counters if c["seller_id"] == seller.seller_id}
    assert mine["createReport"]["throttled"] == 1 and mine["createReport"]["allowed"] == 16
    assert mine["getReports"]["throttled"] == 1
