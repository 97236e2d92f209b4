"""SP-API face: JSON_LISTINGS_FEED through the Feeds API 2021-06-30, over real HTTP: each
message processed like the Listings Items API call of its operation, on the catalog both faces
share; the JSON processing report (valid against Amazon's listings-feed-processing-report
schema v2); a document invalid as a whole ends FATAL. Every JSON answer is validated against
Amazon's models (`spapi_check`), the submitted documents against listings-feed-schema-v2."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import requests
from conftest import US, SpClient, listing_attributes

from amazon_sandbox.clock import parse_iso

FEEDS_MODEL = "feeds_2021-06-30.json"
LISTINGS_MODEL = "listingsItems_2021-08-01.json"
FEEDS = "/feeds/2021-06-30/feeds"
FEED_TYPE = "JSON_LISTINGS_FEED"
JSON_TYPE = "application/json"
REPORT_SCHEMA = "listings-feed-processing-report-schema-v2.json"
FEED_SCHEMA = "listings-feed-schema-v2.json"


@pytest.fixture(scope="module")
def box(sandbox, tmp_path_factory):
    server = type(sandbox)(tmp_path_factory.mktemp("jsonfeed"), ["--no-throttle"])
    yield server
    server.stop()


class Client(SpClient):
    model = FEEDS_MODEL

    def submit(self, document, check=None) -> str:
        """Upload and create a JSON_LISTINGS_FEED (the document validated first with `check`,
        when given); the feedId."""
        if check is not None:
            errors = [e.message for e in check.iter_errors(document)]
            assert not errors, errors
        data = document if isinstance(document, bytes) else json.dumps(document).encode()
        return self.box.sp_submit_feed(
            self.creds, FEED_TYPE, data, content_type=JSON_TYPE, token=self.token
        )

    def feed(self, feed_id):
        return self.call("getFeed", f"{FEEDS}/{feed_id}")

    def report(self, feed_id, schema) -> dict:
        """The processing report of a finished feed, validated against Amazon's schema."""
        report = json.loads(self.box.sp_feed_result(self.creds, feed_id, token=self.token))
        errors = [e.message for e in schema.iter_errors(report)]
        assert not errors, errors
        return report

    def listing(self, sku, status=200):
        resp = self.box.spapi(
            self.creds,
            f"/listings/2021-08-01/items/{self.creds.seller_id}/{sku}",
            {"marketplaceIds": US, "includedData": "summaries,attributes,fulfillmentAvailability"},
            token=self.token,
        )
        assert resp.status_code == status, resp.text
        return self.check(resp, LISTINGS_MODEL, "getListingsItem")


def document(creds, *messages, **header) -> dict:
    return {
        "header": {"sellerId": creds.seller_id, "version": "2.0", "issueLocale": "en_US", **header},
        "messages": [{"messageId": n, **m} for n, m in enumerate(messages, 1)],
    }


def update(sku, **attributes) -> dict:
    return {
        "sku": sku,
        "operationType": "UPDATE",
        "productType": "PRODUCT",
        "requirements": "LISTING",
        "attributes": listing_attributes(**attributes),
    }


def test_one_good_one_bad_message(box, spapi_check, feed_schema):
    creds = box.new_seller()
    client = Client(box, creds, spapi_check)
    bad = update("LAMP-2")
    del bad["attributes"]["brand"]
    feed_id = client.submit(document(creds, update("LAMP-1"), bad), feed_schema(FEED_SCHEMA))
    feed = client.feed(feed_id)
    created = parse_iso(feed["createdTime"])
    assert (feed["feedType"], feed["processingStatus"]) == (FEED_TYPE, "IN_QUEUE")
    box.advance(35)
    assert client.feed(feed_id)["processingStatus"] == "IN_PROGRESS"
    client.listing("LAMP-1", status=404)  # applied when the feed finishes
    box.advance(60)
    feed = client.feed(feed_id)
    assert feed["processingStatus"] == "DONE"
    assert parse_iso(feed["processingEndTime"]) == created + timedelta(seconds=92)
    report = client.report(feed_id, feed_schema(REPORT_SCHEMA))
    assert report == {
        "header": {"sellerId": creds.seller_id, "version": "2.0", "feedId": feed_id},
        "issues": [
            {
                "messageId": 2,
                "sku": "LAMP-2",
                "code": "90220",
                "severity": "ERROR",
                "message": "'brand' is required but not supplied.",
                "attributeName": "brand",
            }
        ],
        "summary": {
            "errors": 1,
            "warnings": 0,
            "messagesProcessed": 2,
            "messagesAccepted": 1,
            "messagesInvalid": 1,
        },
    }
    item = client.listing("LAMP-1")
    assert item["summaries"][0]["status"] == ["BUYABLE", "DISCOVERABLE"]
    assert item["attributes"] == listing_attributes()
    client.listing("LAMP-2", status=404)
    catalog = box.admin("GET", f"/admin/sellers/{creds.seller_id}/catalog")
    assert [(r["sku"], r["quantity"], r["price"]) for r in catalog] == [("LAMP-1", 7, "19.99")]
    admin = box.admin("GET", f"/admin/sellers/{creds.seller_id}/sp-feeds/{feed_id}")
    assert admin["messageCount"] == 2 and admin["summary"] == report["summary"]


def test_every_operation_and_the_items_section(box, spapi_check, feed_schema):
    creds = box.new_seller()
    client = Client(box, creds, spapi_check)
    first = client.submit(
        document(creds, update("A"), update("B", upc="012345678912"), update("C")),
        feed_schema(FEED_SCHEMA),
    )
    box.advance(100)
    assert client.report(first, feed_schema(REPORT_SCHEMA))["summary"]["messagesAccepted"] == 3
    price = [{"currency": "USD", "our_price": [{"schedule": [{"value_with_tax": 9.5}]}]}]
    messages = [
        {
            "sku": "A",
            "operationType": "PARTIAL_UPDATE",
            "productType": "PRODUCT",
            "attributes": {
                "fulfillment_availability": [{"fulfillment_channel_code": "DEFAULT", "quantity": 2}]
            },
        },
        {
            "sku": "B",
            "operationType": "PATCH",
            "productType": "PRODUCT",
            "patches": [{"op": "replace", "path": "/attributes/purchasable_offer", "value": price}],
        },
        {"sku": "C", "operationType": "DELETE"},
        {
            "sku": "Z",
            "operationType": "PATCH",
            "productType": "PRODUCT",
            "patches": [{"op": "delete", "path": "/attributes/brand"}],
        },
        {"sku": "A", "operationType": "PATCH", "productType": "PRODUCT"},
        {
            "sku": "B",
            "operationType": "PATCH",
            "productType": "PRODUCT",
            "patches": [{"op": "replace", "path": "/attributes/brand/0", "value": []}],
        },
    ]
    doc = document(
        creds,
        *messages,
        report={
            "includedData": ["summaries", "fulfillmentAvailability"],
            "apiVersion": "2021-08-01",
        },
    )
    doc["messages"].append({**doc["messages"][0], "messageId": 1})  # a duplicate messageId
    feed_id = client.submit(doc)
    box.advance(100)
    report = client.report(feed_id, feed_schema(REPORT_SCHEMA))
    assert report["header"]["report"]["includedData"] == ["summaries", "fulfillmentAvailability"]
    assert [(i.get("messageId"), i["sku"], i["code"]) for i in report["issues"]] == [
        (4, "Z", "13013"),
        (5, "A", "4000000"),
        (6, "B", "4000000"),
        (1, "A", "4000000"),
    ]
    assert "not unique" in report["issues"][3]["message"]
    assert "top-level" in report["issues"][2]["message"]
    assert report["summary"] == {
        "errors": 4,
        "warnings": 0,
        "messagesProcessed": 7,
        "messagesAccepted": 3,
        "messagesInvalid": 4,
        "itemSummary": {"items": 2, "errors": 0, "warnings": 0},
    }
    items = {i["sku"]: i for i in report["items"]}
    assert set(items) == {"A", "B"}
    assert items["A"]["fulfillmentAvailability"] == [
        {"fulfillmentChannelCode": "DEFAULT", "quantity": 2}
    ]
    assert set(items["B"]) == {"sku", "summaries", "fulfillmentAvailability"}
    catalog = {r["sku"]: r for r in box.admin("GET", f"/admin/sellers/{creds.seller_id}/catalog")}
    assert set(catalog) == {"A", "B"}
    assert (catalog["A"]["quantity"], catalog["A"]["price"]) == (2, "19.99")
    assert (catalog["B"]["quantity"], catalog["B"]["price"]) == (7, "9.50")


def fatal_cases(creds, other):
    good, seller = update("LAMP-1"), creds.seller_id
    return {
        "not JSON": b'{"header": {"sellerId": ',
        "not an object": b"[1, 2]",
        "wrong version": {
            **document(creds, good),
            "header": {"sellerId": seller, "version": "1.0"},
        },
        "no messages": {"header": {"sellerId": seller, "version": "2.0"}, "messages": []},
        "a message not an object": {**document(creds), "messages": [good, "DELETE LAMP-2"]},
        "another seller": document(other, good),
        "over 25,000 messages": document(
            creds, *({"sku": f"S{n}", "operationType": "DELETE"} for n in range(25001))
        ),
    }


@pytest.mark.parametrize(
    "case",
    [
        "not JSON",
        "not an object",
        "wrong version",
        "no messages",
        "a message not an object",
        "another seller",
        "over 25,000 messages",
    ],
)
def test_a_document_invalid_as_a_whole_ends_fatal(box, spapi_check, feed_schema, case):
    creds, other = box.new_seller(), box.new_seller()
    client = Client(box, creds, spapi_check)
    feed_id = client.submit(fatal_cases(creds, other)[case])
    box.advance(200)
    feed = client.feed(feed_id)
    assert feed["processingStatus"] == "FATAL" and feed["resultFeedDocumentId"]
    report = client.report(feed_id, feed_schema(REPORT_SCHEMA))
    assert report["header"] == {"sellerId": creds.seller_id, "version": "2.0", "feedId": feed_id}
    (issue,) = report["issues"]
    assert (issue["code"], issue["severity"]) == ("4000000", "ERROR")
    assert "messageId" not in issue
    assert report["summary"] == {
        "errors": 1,
        "warnings": 0,
        "messagesProcessed": 0,
        "messagesAccepted": 0,
        "messagesInvalid": 0,
    }
    assert box.admin("GET", f"/admin/sellers/{creds.seller_id}/catalog") == []


def test_one_marketplace_per_feed(box, spapi_check):
    creds = box.new_seller(marketplaces=(US, "A2EUQ1WTGCTBG2"))
    client = Client(box, creds, spapi_check)
    created = client.call(
        "createFeedDocument",
        "/feeds/2021-06-30/documents",
        method="POST",
        json={"contentType": JSON_TYPE},
        status=201,
    )
    canadian = update("LAMP-1", marketplace="A2EUQ1WTGCTBG2")  # priced in USD
    put = requests.put(
        created["url"],
        data=json.dumps(document(creds, canadian)).encode(),
        headers={"Content-Type": JSON_TYPE},
        timeout=30,
    )
    assert put.status_code == 200
    document_id = created["feedDocumentId"]
    spec = {"feedType": FEED_TYPE, "inputFeedDocumentId": document_id}
    both = {**spec, "marketplaceIds": [US, "A2EUQ1WTGCTBG2"]}
    error = client.call("createFeed", FEEDS, method="POST", json=both, status=400)["errors"][0]
    assert error["code"] == "InvalidInput" and "one marketplace" in error["message"]
    canada = {**spec, "marketplaceIds": ["A2EUQ1WTGCTBG2"]}
    feed_id = client.call("createFeed", FEEDS, method="POST", json=canada, status=202)["feedId"]
    box.advance(100)
    report = json.loads(box.sp_feed_result(creds, feed_id, token=client.token))
    # the feed is for Amazon.ca: USD is not its currency
    assert [(i["code"], i["attributeName"]) for i in report["issues"]] == [
        ("4000001", "purchasable_offer")
    ]


def test_without_amazons_schemas(start_sandbox, spapi_check):
    """Without Amazon's models and schemas beside the repository, the sandbox checks the
    document against its built-in essentials of listings-feed-schema-v2."""
    private = start_sandbox("--spapi-models", "none", "--no-throttle")
    creds = private.new_seller()
    client = Client(private, creds, spapi_check)
    wrong = {**document(creds, update("LAMP-1")), "header": {"sellerId": creds.seller_id}}
    feed_ids = [
        client.submit(document(creds, update("LAMP-1"), {"sku": "X", "operationType": "SELL"})),
        client.submit(wrong),
    ]
    private.advance(100)
    assert [client.feed(f)["processingStatus"] for f in feed_ids] == ["DONE", "FATAL"]
    reports = [json.loads(private.sp_feed_result(creds, f, token=client.token)) for f in feed_ids]
    assert reports[0]["summary"]["messagesAccepted"] == 1
    assert [(i["messageId"], i["code"]) for i in reports[0]["issues"]] == [(2, "4000000")]
    assert "'version' is a required property" in reports[1]["issues"][0]["message"]
