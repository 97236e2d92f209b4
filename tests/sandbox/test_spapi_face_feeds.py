"""SP-API face: the Feeds API 2021-06-30 over real HTTP, from the same store as MWS.

createFeedDocument → PUT to the pre-signed URL → createFeed → getFeed (IN_QUEUE, IN_PROGRESS,
DONE or FATAL on the sandbox clock) → getFeedDocument → download (gzipped or plain). The order
feeds are built with the connector's `build_feed` and processed by the MWS feed processor (with
the XSDs); every JSON answer is validated against Amazon's model (`spapi_check`)."""

from __future__ import annotations

import gzip
from datetime import timedelta
from decimal import Decimal

import pytest
import requests
from conftest import SpClient
from lxml import etree

from amazon_integration.lib.feeds import (
    AckItem,
    AdjustedItem,
    FulfillmentItem,
    OrderAcknowledgementMessage,
    OrderAdjustmentMessage,
    OrderFulfillmentMessage,
    build_feed,
)
from amazon_integration.lib.processing_report import parse_processing_report
from amazon_sandbox.clock import iso_z, parse_iso
from amazon_sandbox.feed_processing import envelope_schema

MODEL = "feeds_2021-06-30.json"
ORDERS_MODEL = "orders_2026-01-01.json"
DOCUMENTS = "/feeds/2021-06-30/documents"
FEEDS = "/feeds/2021-06-30/feeds"
XML = "text/xml; charset=UTF-8"
ACK, SHIP, ADJUST = (
    "POST_ORDER_ACKNOWLEDGEMENT_DATA",
    "POST_ORDER_FULFILLMENT_DATA",
    "POST_PAYMENT_ADJUSTMENT_DATA",
)
REMOVED = (
    "POST_PRODUCT_DATA",
    "POST_INVENTORY_AVAILABILITY_DATA",
    "POST_PRODUCT_PRICING_DATA",
    "POST_PRODUCT_IMAGE_DATA",
    "POST_PRODUCT_RELATIONSHIP_DATA",
    "POST_PRODUCT_OVERRIDES_DATA",
)
QUOTA = {
    "errors": [
        {"code": "QuotaExceeded", "message": "You exceeded your quota for the requested resource."}
    ]
}


@pytest.fixture(scope="module")
def box(sandbox, tmp_path_factory, amazon_xsd_dir):
    """A private server validating feeds against Amazon's XSDs, without throttling (the
    throttling test uses the shared one)."""
    server = type(sandbox)(
        tmp_path_factory.mktemp("spfeeds"),
        ["--no-throttle", "--seed", "5", "--xsd-dir", str(amazon_xsd_dir)],
    )
    yield server
    server.stop()


class Client(SpClient):
    """One seller's SP-API calls, each answer validated against the Feeds model."""

    model = MODEL

    def create_document(self, content_type=XML):
        return self.call(
            "createFeedDocument",
            DOCUMENTS,
            method="POST",
            json={"contentType": content_type},
            status=201,
        )

    def upload(self, data: bytes, content_type=XML) -> str:
        document = self.create_document(content_type)
        put = requests.put(
            document["url"], data=data, headers={"Content-Type": content_type}, timeout=30
        )
        assert put.status_code == 200, put.text
        return document["feedDocumentId"]

    def create(self, feed_type, document_id, markets=None, status=202, **extra):
        spec = {
            "feedType": feed_type,
            "marketplaceIds": markets or [self.creds.marketplace_id],
            "inputFeedDocumentId": document_id,
            **extra,
        }
        return self.call("createFeed", FEEDS, method="POST", json=spec, status=status)

    def submit(self, feed_type, data: bytes) -> str:
        return self.create(feed_type, self.upload(data))["feedId"]

    def feed(self, feed_id, status=200):
        return self.call("getFeed", f"{FEEDS}/{feed_id}", status=status)

    def feeds(self, params, status=200):
        return self.call("getFeeds", FEEDS, params=params, status=status)

    def document(self, document_id, params=None, status=200):
        return self.call(
            "getFeedDocument", f"{DOCUMENTS}/{document_id}", params=params, status=status
        )

    def result(self, feed_id) -> tuple[dict, bytes]:
        """(getFeedDocument's answer, the result document's bytes, decompressed)."""
        feed = self.feed(feed_id)
        assert feed["processingStatus"] in ("DONE", "FATAL"), feed
        document = self.document(feed["resultFeedDocumentId"])
        return document, self.box.download(document["url"], document.get("compressionAlgorithm"))


def paid_orders(box, creds, count=12, seed=3) -> list[dict]:
    """The seller's orders once their payment cleared (MFN Unshipped ones first)."""
    box.admin("POST", f"/admin/sellers/{creds.seller_id}/orders", {"count": count, "seed": seed})
    box.advance(31 * 60)
    orders = box.admin("GET", f"/admin/sellers/{creds.seller_id}/orders")
    return sorted(
        orders,
        key=lambda o: (
            not (
                o["fulfillment_channel"] == "MFN"
                and o["status"] == "Unshipped"
                and not o["planned_cancel_date"]
            ),
            o["amazon_order_id"],
        ),
    )


def order_of(box, creds, order_id) -> dict:
    orders = box.admin("GET", f"/admin/sellers/{creds.seller_id}/orders")
    return next(o for o in orders if o["amazon_order_id"] == order_id)


def now_of(box):
    return parse_iso(box.admin("GET", "/admin/clock")["now"])


def assert_valid_report(body: bytes, xsd_dir):
    tree = etree.fromstring(body).getroottree()
    schema = envelope_schema(xsd_dir)
    assert schema.validate(tree), schema.error_log


def ack_xml(creds, order, merchant_order_id="SO-77") -> bytes:
    items = [
        AckItem(item["order_item_id"], merchant_order_item_id=f"L{n}")
        for n, item in enumerate(order["items"], 1)
    ]
    message = OrderAcknowledgementMessage(
        "ack-1", order["amazon_order_id"], "Success", merchant_order_id, items
    )
    return build_feed("OrderAcknowledgement", creds.seller_id, [message]).xml


def ship_xml(creds, order, when, tracking="1Z999AA10123456784") -> bytes:
    message = OrderFulfillmentMessage(
        "ship-1",
        when,
        amazon_order_id=order["amazon_order_id"],
        carrier="UPS",
        shipping_method="Ground",
        tracking_number=tracking,
        items=[
            FulfillmentItem(item["order_item_id"], quantity=item["quantity_ordered"])
            for item in order["items"]
        ],
    )
    return build_feed("OrderFulfillment", creds.seller_id, [message]).xml


# ---- the three order feeds -------------------------------------------------------------------


def test_acknowledgement_feed_cycle_and_timings(box, spapi_check, amazon_xsd_dir):
    creds = box.new_seller()
    client = Client(box, creds, spapi_check)
    order = paid_orders(box, creds)[0]
    document_id = client.upload(ack_xml(creds, order))
    feed_id = client.create(ACK, document_id)["feedId"]
    assert feed_id.isdigit()
    feed = client.feed(feed_id)
    created = parse_iso(feed["createdTime"])
    assert feed == {
        "feedId": feed_id,
        "feedType": ACK,
        "marketplaceIds": [creds.marketplace_id],
        "createdTime": feed["createdTime"],
        "processingStatus": "IN_QUEUE",
    }
    box.advance(25)
    assert client.feed(feed_id)["processingStatus"] == "IN_QUEUE"
    box.advance(10)  # IN_PROGRESS 30 s after creation
    feed = client.feed(feed_id)
    assert feed["processingStatus"] == "IN_PROGRESS"
    assert parse_iso(feed["processingStartTime"]) == created + timedelta(seconds=30)
    assert "resultFeedDocumentId" not in feed
    box.advance(50)
    assert client.feed(feed_id)["processingStatus"] == "IN_PROGRESS"
    box.advance(10)  # DONE at 90 s + 2 s for the (first) thousand messages
    feed = client.feed(feed_id)
    assert feed["processingStatus"] == "DONE"
    assert parse_iso(feed["processingEndTime"]) == created + timedelta(seconds=92)
    document, body = client.result(feed_id)
    assert document["feedDocumentId"] == feed["resultFeedDocumentId"]
    assert_valid_report(body, amazon_xsd_dir)
    report = parse_processing_report(body)
    assert (report.status_code, report.processed, report.successful) == ("Complete", 1, 1)
    assert report.document_transaction_id == feed_id
    # the effect on the order, seen by both faces
    acked = order_of(box, creds, order["amazon_order_id"])["acknowledged"]
    assert acked["merchant_order_id"] == "SO-77"
    resp = box.spapi(creds, f"/orders/2026-01-01/orders/{order['amazon_order_id']}")
    got = spapi_check(resp, ORDERS_MODEL, "getOrder")["order"]
    assert got["orderAliases"] == [{"aliasId": "SO-77", "aliasType": "SELLER_ORDER_ID"}]
    mws = box.orders(creds).get_order([order["amazon_order_id"]]).parsed["Orders"]["Order"]
    assert mws["SellerOrderId"] == "SO-77"
    # the uploaded document can be read back with getFeedDocument too
    input_document = client.document(document_id)
    assert "compressionAlgorithm" not in input_document
    assert box.download(input_document["url"]) == ack_xml(creds, order)


def test_fulfillment_feed_ships_the_order(box, spapi_check, amazon_xsd_dir):
    creds = box.new_seller()
    client = Client(box, creds, spapi_check)
    order = paid_orders(box, creds)[0]
    oid = order["amazon_order_id"]
    when = now_of(box).replace(microsecond=0)
    feed_id = client.submit(SHIP, ship_xml(creds, order, when))
    assert order_of(box, creds, oid)["status"] == "Unshipped"
    box.advance(400)
    _document, body = client.result(feed_id)
    assert_valid_report(body, amazon_xsd_dir)
    assert parse_processing_report(body).successful == 1
    stored = order_of(box, creds, oid)
    assert stored["status"] == "Shipped"
    assert [s["tracking_number"] for s in stored["shipments"]] == ["1Z999AA10123456784"]
    resp = box.spapi(
        creds, f"/orders/2026-01-01/orders/{oid}", {"includedData": "FULFILLMENT,PACKAGES"}
    )
    got = spapi_check(resp, ORDERS_MODEL, "getOrder")["order"]
    assert got["fulfillment"]["fulfillmentStatus"] == "SHIPPED"
    assert got["packages"][0]["trackingNumber"] == "1Z999AA10123456784"
    assert got["packages"][0]["carrier"] == "UPS"
    assert parse_iso(got["packages"][0]["shipTime"]) == when


def test_adjustment_feed_refunds_a_shipped_order(box, spapi_check, amazon_xsd_dir):
    creds = box.new_seller()
    client = Client(box, creds, spapi_check)
    order = paid_orders(box, creds)[0]
    client.submit(SHIP, ship_xml(creds, order, now_of(box)))
    box.advance(400)
    item = order["items"][0]
    refund = (Decimal(item["item_price"]) / 2).quantize(Decimal("0.01"))
    message = OrderAdjustmentMessage(
        "refund-1",
        [
            AdjustedItem(
                "CustomerReturn",
                amazon_order_item_code=item["order_item_id"],
                price_adjustments={"Principal": refund},
                currency=order["currency"],
                merchant_adjustment_item_id="RMA-1",
            )
        ],
        amazon_order_id=order["amazon_order_id"],
    )
    xml = build_feed("OrderAdjustment", creds.seller_id, [message]).xml
    feed_id = client.submit(ADJUST, xml)
    box.advance(400)
    _document, body = client.result(feed_id)
    assert_valid_report(body, amazon_xsd_dir)
    assert parse_processing_report(body).successful == 1
    adjustments = order_of(box, creds, order["amazon_order_id"])["adjustments"]
    assert len(adjustments) == 1
    adjusted = adjustments[0]["items"][0]
    assert adjusted["order_item_id"] == item["order_item_id"]
    assert adjusted["reason"] == "CustomerReturn"
    assert Decimal(adjusted["principal"]) == refund


def test_result_is_the_mws_processing_report(box, spapi_check, amazon_xsd_dir):
    """Per-message results: the same report as GetFeedSubmissionResult for the same feed, bar
    the DocumentTransactionID (the feed id); a failed message does not stop the others."""
    creds = box.new_seller()
    client = Client(box, creds, spapi_check)
    orders = paid_orders(box, creds, count=20)

    def feed(order):
        messages = [
            OrderFulfillmentMessage(
                n,
                now_of(box),
                amazon_order_id=order_id,
                carrier="USPS",
                tracking_number=f"9400{n}",
            )
            for n, order_id in enumerate((order["amazon_order_id"], "111-0000000-0000000"), 1)
        ]
        return build_feed("OrderFulfillment", creds.seller_id, messages).xml

    sp_feed = client.submit(SHIP, feed(orders[0]))
    box.advance(400)
    _document, sp_body = client.result(sp_feed)
    assert_valid_report(sp_body, amazon_xsd_dir)
    mws_body = box.process(creds, feed(orders[1]), "_POST_ORDER_FULFILLMENT_DATA_")
    sp_report, mws_report = parse_processing_report(sp_body), parse_processing_report(mws_body)
    assert sp_report.document_transaction_id == sp_feed
    assert (sp_report.processed, sp_report.successful, sp_report.with_error) == (2, 1, 1)
    assert [(r.message_id, r.message_code) for r in sp_report.results] == [(2, "18028")]
    assert sp_report.results == mws_report.results
    assert (mws_report.processed, mws_report.successful) == (2, 1)
    for order in orders[:2]:
        assert order_of(box, creds, order["amazon_order_id"])["status"] == "Shipped"


def test_xsd_invalid_document_is_reported_like_mws(box, spapi_check, amazon_xsd_dir):
    creds = box.new_seller()
    client = Client(box, creds, spapi_check)
    xml = ack_xml(creds, paid_orders(box, creds)[0]).replace(
        b"<StatusCode>", b"<Bogus/><StatusCode>"
    )
    feed_id = client.submit(ACK, xml)
    box.advance(400)
    feed = client.feed(feed_id)
    assert feed["processingStatus"] == "DONE"
    _document, body = client.result(feed_id)
    report = parse_processing_report(body)
    assert report.processed == 0 and report.with_error == 1
    assert report.results[0].message_code == "5001"
    assert report.results[0].description.startswith("XML Parsing Error at Line")


# ---- listing feeds, wrong input ---------------------------------------------------------------


@pytest.mark.parametrize("feed_type", REMOVED)
def test_removed_xml_listing_feeds_end_fatal(box, spapi_check, feed_type, amazon_xsd_dir):
    creds = box.new_seller()
    client = Client(box, creds, spapi_check)
    envelope = build_feed(
        "Product", creds.seller_id, [{"key": 1, "sku": "SKU-1", "title": "A lamp"}]
    ).xml
    feed_id = client.submit(feed_type, envelope)
    assert client.feed(feed_id)["processingStatus"] == "IN_QUEUE"
    box.advance(400)
    feed = client.feed(feed_id)
    assert feed["processingStatus"] == "FATAL"
    assert feed["processingEndTime"] and feed["resultFeedDocumentId"]
    _document, body = client.result(feed_id)
    assert_valid_report(body, amazon_xsd_dir)
    report = parse_processing_report(body)
    assert report.processed == 0 and report.with_error == 1
    assert feed_type in report.results[0].description
    assert "2025-07-31" in report.results[0].description
    assert box.admin("GET", f"/admin/sellers/{creds.seller_id}/catalog") == []


def test_create_feed_refusals(box, spapi_check):
    creds, other = box.new_seller(), box.new_seller()
    client, other_client = Client(box, creds, spapi_check), Client(box, other, spapi_check)
    xml = ack_xml(creds, {"amazon_order_id": "111-0000000-0000000", "items": []})
    uploaded = client.upload(xml)

    def refused(spec, details_or_message):
        body = client.call("createFeed", FEEDS, method="POST", json=spec, status=400)
        error = body["errors"][0]
        assert error["code"] == "InvalidInput"
        assert details_or_message in error["message"] + error.get("details", "")

    base = {"feedType": ACK, "marketplaceIds": [creds.marketplace_id]}
    refused(
        {**base, "inputFeedDocumentId": uploaded, "feedType": "POST_FLAT_FILE_LISTINGS_DATA"},
        "feedType",
    )
    refused(
        {**base, "inputFeedDocumentId": uploaded, "feedType": "_POST_ORDER_ACKNOWLEDGEMENT_DATA_"},
        "feedType",
    )
    refused({"feedType": ACK, "inputFeedDocumentId": uploaded}, "marketplaceIds")
    refused(
        {**base, "inputFeedDocumentId": uploaded, "marketplaceIds": ["A1PA6795UKMFR9"]},
        "participate",
    )
    refused({**base, "inputFeedDocumentId": uploaded, "marketplaceIds": []}, "marketplaceIds")
    refused(base, "inputFeedDocumentId")
    refused({**base, "inputFeedDocumentId": "amzn1.tortuga.4.na.nope"}, "No feed document")
    refused({**base, "inputFeedDocumentId": other_client.upload(xml)}, "No feed document")
    not_uploaded = client.create_document()["feedDocumentId"]
    refused({**base, "inputFeedDocumentId": not_uploaded}, "not been uploaded")
    refused({**base, "inputFeedDocumentId": uploaded, "feedOptions": {"a": 1}}, "feedOptions")
    # contentType is required; the body must be JSON
    body = client.call("createFeedDocument", DOCUMENTS, method="POST", json={}, status=400)
    assert body["errors"][0]["code"] == "InvalidInput"
    resp = requests.post(
        box.url + FEEDS,
        data="{not json",
        headers={"x-amz-access-token": client.token, "content-type": "application/json"},
        timeout=30,
    )
    assert spapi_check(resp, MODEL, "createFeed")["errors"][0]["code"] == "InvalidInput"
    resp = requests.post(
        box.url + FEEDS,
        data="feedType=x",
        headers={"x-amz-access-token": client.token, "content-type": "text/plain"},
        timeout=30,
    )
    assert resp.status_code == 415
    assert spapi_check(resp, MODEL, "createFeed")["errors"][0]["code"] == "UnsupportedMediaType"
    # feed options are accepted; another seller's feed is not found
    feed_id = client.create(ACK, uploaded, feedOptions={"note": "x"})["feedId"]
    other_client.feed(feed_id, status=404)
    assert client.feed("nope", status=404)["errors"][0]["code"] == "NotFound"
    # no token, no feed
    resp = box.spapi(None, FEEDS, {"feedTypes": ACK})
    assert resp.status_code == 403
    assert spapi_check(resp, MODEL, "getFeeds")["errors"][0]["code"] == "Unauthorized"


# ---- pre-signed URLs --------------------------------------------------------------------------


def test_upload_url_expires_after_five_sandbox_minutes(box, spapi_check):
    creds = box.new_seller()
    client = Client(box, creds, spapi_check)
    xml = ack_xml(creds, {"amazon_order_id": "111-0000000-0000000", "items": []})
    late = client.create_document()
    assert "X-Amz-Expires=300" in late["url"] and "X-Amz-Signature=" in late["url"]
    in_time = client.create_document()
    box.advance(295)
    assert requests.put(in_time["url"], data=xml, timeout=30).status_code == 200
    box.advance(6)  # 301 s after the URL was issued
    resp = requests.put(late["url"], data=xml, headers={"Content-Type": XML}, timeout=30)
    assert resp.status_code == 403
    error = etree.fromstring(resp.content)
    assert error.tag == "Error"
    assert error.findtext("Code") == "AccessDenied"
    assert error.findtext("Message") == "Request has expired"
    assert error.findtext("X-Amz-Expires") == "300"
    assert parse_iso(error.findtext("Expires")) < parse_iso(error.findtext("ServerTime"))
    # the document was never uploaded: createFeed refuses it
    body = client.create(ACK, late["feedDocumentId"], status=400)
    assert "not been uploaded" in body["errors"][0]["details"]
    # the one uploaded in time makes a feed
    assert client.create(ACK, in_time["feedDocumentId"])["feedId"]


def test_signatures_methods_and_admin_expiry(box, spapi_check):
    creds = box.new_seller()
    client = Client(box, creds, spapi_check)
    document = client.create_document()
    url = document["url"]
    wrong = url[:-6] + ("000000" if not url.endswith("000000") else "111111")
    resp = requests.put(wrong, data=b"<x/>", timeout=30)
    assert resp.status_code == 403
    assert etree.fromstring(resp.content).findtext("Code") == "SignatureDoesNotMatch"
    # the PUT URL does not download; no authentication at all is refused
    assert requests.get(url, timeout=30).status_code == 403
    bare = url.split("?")[0]
    resp = requests.put(bare, data=b"<x/>", timeout=30)
    assert resp.status_code == 400
    assert etree.fromstring(resp.content).findtext("Code") == "AuthorizationQueryParametersError"
    # no access token needed; the admin expires every URL of the seller at once
    assert requests.put(url, data=b"<x/>", timeout=30).status_code == 200
    assert box.expire_document_urls(creds)["expired"] >= 1
    resp = requests.put(url, data=b"<x/>", timeout=30)
    assert resp.status_code == 403
    assert etree.fromstring(resp.content).findtext("Message") == "Request has expired"
    # the download URL expires too
    download = client.document(document["feedDocumentId"])
    assert box.download(download["url"]) == b"<x/>"
    box.advance(301)
    assert requests.get(download["url"], timeout=30).status_code == 403
    assert client.document("amzn1.tortuga.4.na.nope", status=404)["errors"][0]["code"] == (
        "NotFound"
    )


def test_gzip_and_plain_result_documents(box, spapi_check):
    creds = box.new_seller()
    client = Client(box, creds, spapi_check)
    xml = ack_xml(creds, {"amazon_order_id": "111-0000000-0000000", "items": []})
    # by default results alternate: gzipped, plain, gzipped…
    feeds = [client.submit(ACK, xml) for _ in range(3)]
    box.advance(400)
    documents = [client.document(client.feed(f)["resultFeedDocumentId"]) for f in feeds]
    assert [d.get("compressionAlgorithm") for d in documents] == ["GZIP", None, "GZIP"]
    raw = [requests.get(d["url"], timeout=30) for d in documents]
    assert raw[0].content[:2] == b"\x1f\x8b" and "Content-Encoding" not in raw[0].headers
    assert raw[1].content.startswith(b"<?xml")
    assert gzip.decompress(raw[0].content).startswith(b"<?xml")
    admin_view = box.admin("GET", f"/admin/sellers/{creds.seller_id}/sp-feeds/{feeds[0]}")
    assert gzip.decompress(raw[0].content).decode() == admin_view["result"]
    # forced by the admin: every one plain, or the next one gzipped
    box.document_compression(creds, mode="plain")
    box.document_compression(creds, next="gzip")
    feeds = [client.submit(ACK, xml) for _ in range(3)]
    box.advance(400)
    algorithms = [
        client.document(client.feed(f)["resultFeedDocumentId"]).get("compressionAlgorithm")
        for f in feeds
    ]
    assert algorithms == ["GZIP", None, None]
    # enableContentEncodingUrlHeader: Content-Encoding gzip, so HTTP clients decompress
    gzipped = client.document(
        client.feed(feeds[0])["resultFeedDocumentId"],
        params={"enableContentEncodingUrlHeader": "true"},
    )
    resp = requests.get(gzipped["url"], timeout=30)
    assert resp.headers["Content-Encoding"] == "gzip"
    assert resp.content.startswith(b"<?xml")
    listed = box.admin("GET", f"/admin/sellers/{creds.seller_id}/documents")
    assert listed["compression"]["mode"] == "plain"
    assert {d["kind"] for d in listed["documents"]} == {"feed_input", "feed_result"}


# ---- getFeeds, cancelFeed --------------------------------------------------------------------


def test_get_feeds_filters_pages_and_cancel(box, spapi_check):
    creds = box.new_seller()
    client = Client(box, creds, spapi_check)
    ack = ack_xml(creds, {"amazon_order_id": "111-0000000-0000000", "items": []})
    ids = {}
    for name, feed_type in (
        ("a1", ACK),
        ("a2", ACK),
        ("p1", "POST_PRODUCT_DATA"),
        ("a3", ACK),
        ("p2", "POST_INVENTORY_AVAILABILITY_DATA"),
    ):
        ids[name] = client.submit(feed_type, ack)
        box.advance(5)
    # cancel: only IN_QUEUE feeds, 200 without a body
    cancelled = box.spapi(creds, f"{FEEDS}/{ids['a3']}", method="DELETE", token=client.token)
    assert cancelled.status_code == 200
    assert spapi_check(cancelled, MODEL, "cancelFeed") is None
    assert client.feed(ids["a3"])["processingStatus"] == "CANCELLED"
    again = box.spapi(creds, f"{FEEDS}/{ids['a3']}", method="DELETE", token=client.token)
    assert again.status_code == 400
    assert "IN_QUEUE" in spapi_check(again, MODEL, "cancelFeed")["errors"][0]["details"]
    missing = box.spapi(creds, f"{FEEDS}/123", method="DELETE", token=client.token)
    assert missing.status_code == 404
    box.advance(10)  # a1 started 30 s after its creation
    assert client.feed(ids["a1"])["processingStatus"] == "IN_PROGRESS"
    started = box.spapi(creds, f"{FEEDS}/{ids['a1']}", method="DELETE", token=client.token)
    assert started.status_code == 400
    box.advance(400)

    def listed(params):
        return [f["feedId"] for f in client.feeds(params)["feeds"]]

    every = "POST_ORDER_ACKNOWLEDGEMENT_DATA,POST_PRODUCT_DATA,POST_INVENTORY_AVAILABILITY_DATA"
    assert listed({"feedTypes": every}) == [ids[n] for n in ("p2", "a3", "p1", "a2", "a1")]
    assert listed({"feedTypes": every, "processingStatuses": "FATAL"}) == [ids["p2"], ids["p1"]]
    assert listed({"feedTypes": ACK, "processingStatuses": ["CANCELLED", "DONE"]}) == [
        ids["a3"],
        ids["a2"],
        ids["a1"],
    ]
    assert listed({"feedTypes": ACK, "processingStatuses": "IN_QUEUE"}) == []
    a2 = client.feed(ids["a2"])["createdTime"]
    p1 = client.feed(ids["p1"])["createdTime"]
    assert listed({"feedTypes": every, "createdSince": a2, "createdUntil": p1}) == [
        ids["p1"],
        ids["a2"],
    ]
    before = iso_z(parse_iso(client.feed(ids["a1"])["createdTime"]) - timedelta(seconds=1))
    assert listed({"feedTypes": every, "createdUntil": before}) == []
    assert listed({"feedTypes": every, "marketplaceIds": "A1PA6795UKMFR9"}) == []
    assert len(listed({"feedTypes": every, "marketplaceIds": creds.marketplace_id})) == 5
    # pages: nextToken alone brings the rest, newest first
    page = client.feeds({"feedTypes": ACK, "pageSize": 2})
    assert [f["feedId"] for f in page["feeds"]] == [ids["a3"], ids["a2"]]
    page2 = client.feeds({"nextToken": page["nextToken"]})
    assert [f["feedId"] for f in page2["feeds"]] == [ids["a1"]]
    assert "nextToken" not in page2
    # refusals
    for params in (
        {},
        {"nextToken": page["nextToken"], "feedTypes": ACK},
        {"nextToken": "bogus"},
        {"feedTypes": ACK, "pageSize": 0},
        {"feedTypes": ACK, "pageSize": 101},
        {"feedTypes": ACK, "processingStatuses": "_DONE_"},
        {"feedTypes": "_POST_ORDER_ACKNOWLEDGEMENT_DATA_"},
        {"feedTypes": ACK, "createdSince": "yesterday"},
        {"feedTypes": ACK, "createdSince": iso_z(now_of(box) + timedelta(days=1))},
    ):
        assert client.feeds(params, status=400)["errors"][0]["code"] == "InvalidInput", params
    other = Client(box, box.new_seller(), spapi_check)
    assert other.feeds({"nextToken": page["nextToken"]}, status=400)
    assert other.feeds({"feedTypes": every}) == {"feeds": []}
    # the admin lists them too
    admin = box.admin("GET", f"/admin/sellers/{creds.seller_id}/sp-feeds")
    assert [f["feedId"] for f in admin] == [ids[n] for n in ("p2", "a3", "p1", "a2", "a1")]


def test_sandbox_helpers_and_faults(box, spapi_check):
    """testing.Sandbox's sp_submit_feed / sp_feed_result, and a fault named by operationId."""
    creds = box.new_seller()
    order = paid_orders(box, creds)[0]
    feed_id = box.sp_submit_feed(creds, ACK, ack_xml(creds, order))
    box.advance(400)
    assert parse_processing_report(box.sp_feed_result(creds, feed_id)).successful == 1
    box.fault(creds, "internal_error", operation="createFeed")
    client = Client(box, creds, spapi_check)
    body = client.create(ACK, client.upload(ack_xml(creds, order)), status=500)
    assert body["errors"][0]["code"] == "InternalFailure"


# ---- throttling (the shared, throttled server) -------------------------------------------------


def test_burst_then_429(sandbox, seller, spapi_check):
    client = Client(sandbox, seller, spapi_check)
    for _ in range(15):
        client.create_document()
    resp = sandbox.spapi(
        seller, DOCUMENTS, method="POST", token=client.token, json={"contentType": XML}
    )
    assert resp.status_code == 429
    assert resp.headers["x-amzn-RateLimit-Limit"] == "0.5"
    assert spapi_check(resp, MODEL, "createFeedDocument") == QUOTA
    sandbox.advance(2)  # one every 1 / 0.5 s
    client.create_document()
    for _ in range(10):
        client.feeds({"feedTypes": ACK})
    resp = sandbox.spapi(seller, FEEDS, {"feedTypes": ACK}, token=client.token)
    assert resp.status_code == 429
    assert spapi_check(resp, MODEL, "getFeeds") == QUOTA
    assert resp.headers["x-amzn-RateLimit-Limit"] == "0.0222"
    counters = sandbox.admin("GET", "/admin/throttle")["counters"]
    mine = {c["operation"]: c for c in counters if c["seller_id"] == seller.seller_id}
    assert mine["createFeedDocument"]["throttled"] == 1
    assert mine["getFeeds"]["throttled"] == 1
