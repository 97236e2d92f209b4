"""SP-API face: the Tokens API 2021-03-01 (createRestrictedDataToken) over real HTTP, the
Restricted Data Token as an access token for its resources only, on the sandbox clock, and the
restricted report GET_FLAT_FILE_ORDER_REPORT_DATA_SHIPPING, whose document needs one. Every
JSON answer is validated against Amazon's model (`spapi_check`)."""

from __future__ import annotations

import pytest
from conftest import SpClient

from amazon_integration.lib.reports import read_tsv
from amazon_sandbox.clock import parse_iso
from amazon_sandbox.reports import FLAT_ORDER_COLUMNS

MODEL = "tokens_2021-03-01.json"
REPORTS_MODEL = "reports_2021-06-30.json"
RDT_PATH = "/tokens/2021-03-01/restrictedDataToken"
REPORTS = "/reports/2021-06-30/reports"
DOCUMENTS = "/reports/2021-06-30/documents"
PARTICIPATIONS = "/sellers/v1/marketplaceParticipations"
ORDERS = "/orders/2026-01-01/orders"
SHIPPING = "GET_FLAT_FILE_ORDER_REPORT_DATA_SHIPPING"
FLAT_ALL = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL"
SINCE = "2020-01-01T00:00:00Z"
#: the buyer's and the shipping address's columns of the restricted order report
PII_COLUMNS = [
    "buyer-email",
    "buyer-name",
    "recipient-name",
    "ship-address-1",
    "ship-city",
    "ship-postal-code",
    "ship-country",
]
DENIED = {
    "errors": [
        {
            "code": "Unauthorized",
            "message": "Access to requested resource is denied.",
            "details": "The access token you provided is revoked, malformed or invalid.",
        }
    ]
}
EXPIRED = {
    "errors": [
        {
            "code": "Unauthorized",
            "message": "Access to requested resource is denied.",
            "details": "The access token you provided has expired.",
        }
    ]
}
QUOTA = {
    "errors": [
        {"code": "QuotaExceeded", "message": "You exceeded your quota for the requested resource."}
    ]
}


def get(path: str) -> dict:
    return {"method": "GET", "path": path}


class Client(SpClient):
    """One seller's Tokens API calls (with its plain LWA access token), validated."""

    model = MODEL

    def rdt_answer(self, *resources, status=200, **extra):
        body = {"restrictedResources": list(resources), **extra}
        return self.call(
            "createRestrictedDataToken", RDT_PATH, method="POST", json=body, status=status
        )

    def rdt(self, *resources) -> str:
        return self.rdt_answer(*resources)["restrictedDataToken"]


class Reports(SpClient):
    """The Reports API calls of the same seller, validated against the reports model."""

    model = REPORTS_MODEL

    def document(self, document_id, token=None, status=200):
        resp = self.box.spapi(self.creds, f"{DOCUMENTS}/{document_id}", token=token or self.token)
        body = self.check(resp, self.model, "getReportDocument")
        assert resp.status_code == status, resp.text
        return body

    def run(self, report_type, **spec) -> dict:
        """createReport (plain token), 60 sandbox seconds, getReport: the DONE Report."""
        spec.setdefault("marketplaceIds", [self.creds.marketplace_id])
        created = self.call(
            "createReport",
            REPORTS,
            method="POST",
            json={"reportType": report_type, **spec},
            status=202,
        )
        self.box.advance(60)
        report = self.call("getReport", f"{REPORTS}/{created['reportId']}")
        assert report["processingStatus"] == "DONE", report
        return report


# ---- createRestrictedDataToken --------------------------------------------------------------


def test_create_restricted_data_token(sandbox, seller, spapi_check):
    client = Client(sandbox, seller, spapi_check)
    resp = sandbox.spapi(
        seller,
        RDT_PATH,
        method="POST",
        token=client.token,
        json={
            "targetApplication": "amzn1.sellerapps.app.target-application",
            "restrictedResources": [
                {
                    "method": "GET",
                    "path": "/orders/v0/orders/{orderId}/address",
                    "dataElements": ["shippingAddress"],
                },
                get(f"{DOCUMENTS}/amzn1.spdoc.1.4.na.x"),
            ],
        },
    )
    assert resp.status_code == 200, resp.text
    assert resp.headers["x-amzn-RateLimit-Limit"] == "1"
    answer = spapi_check(resp, MODEL, "createRestrictedDataToken")
    assert set(answer) == {"restrictedDataToken", "expiresIn"}
    assert answer["restrictedDataToken"].startswith("Atz.sprdt|")
    assert answer["expiresIn"] == 3600
    assert client.rdt(get(PARTICIPATIONS)) != answer["restrictedDataToken"]  # random


@pytest.mark.parametrize(
    ("body", "details"),
    [
        ({}, "Resource not provided."),
        ({"restrictedResources": []}, "Resource not provided."),
        ({"restrictedResources": "GET /orders"}, "Resource not provided."),
        ({"restrictedResources": [{"method": "PATCH", "path": "/x"}]}, "Invalid method"),
        ({"restrictedResources": [{"method": "get", "path": "/x"}]}, "Invalid method"),
        ({"restrictedResources": [{"method": "", "path": "/x"}]}, "Invalid method"),
        ({"restrictedResources": [{"path": "/x"}]}, "Invalid method"),
        ({"restrictedResources": [{"method": "GET"}]}, "Invalid path"),
        ({"restrictedResources": [get("orders/v0/orders")]}, "Invalid path"),
        ({"restrictedResources": [get("")]}, "Invalid path"),
        ({"restrictedResources": ["GET /x"]}, "must be an object"),
        (
            {"restrictedResources": [{**get("/x"), "dataElements": "buyerInfo"}]},
            "dataElements",
        ),
        ({"restrictedResources": [get(f"/x/{n}") for n in range(51)]}, "At most 50"),
        ({"restrictedResources": [get("/x")], "targetApplication": 7}, "targetApplication"),
    ],
)
def test_bad_bodies(sandbox, spapi_check, body, details):
    client = Client(sandbox, sandbox.new_seller(), spapi_check)
    error = client.call(
        "createRestrictedDataToken", RDT_PATH, method="POST", json=body, status=400
    )["errors"]
    assert len(error) == 1 and error[0]["code"] == "InvalidInput"
    assert error[0]["message"] == "Request is missing or has invalid parameters"
    assert details in error[0]["details"], error


def test_amazons_error_json_and_a_body_that_is_no_object(sandbox, seller, spapi_check):
    client = Client(sandbox, seller, spapi_check)
    assert client.rdt_answer(status=400) == {
        "errors": [
            {
                "code": "InvalidInput",
                "message": "Request is missing or has invalid parameters",
                "details": "Resource not provided.",
            }
        ]
    }
    body = client.call(
        "createRestrictedDataToken", RDT_PATH, method="POST", json=[get("/x")], status=400
    )
    assert body["errors"][0]["code"] == "InvalidInput"


def test_a_plain_access_token_is_needed(sandbox, seller, spapi_check):
    client = Client(sandbox, seller, spapi_check)
    body = {"restrictedResources": [get(PARTICIPATIONS)]}
    for token in (None, "Atza|forged", "Atz.sprdt|forged"):
        resp = sandbox.spapi(None, RDT_PATH, method="POST", token=token, json=body)
        assert resp.status_code == 403
        assert spapi_check(resp, MODEL, "createRestrictedDataToken") == DENIED
    # an RDT is no access token for the Tokens API, not even one naming it
    for rdt in (client.rdt(get(PARTICIPATIONS)), client.rdt({"method": "POST", "path": RDT_PATH})):
        resp = sandbox.spapi(None, RDT_PATH, method="POST", token=rdt, json=body)
        assert resp.status_code == 403
        answer = spapi_check(resp, MODEL, "createRestrictedDataToken")
        assert answer["errors"][0]["code"] == "Unauthorized"


# ---- an RDT is an access token for its resources only ---------------------------------------


def test_an_rdt_opens_its_resources_and_nothing_else(sandbox, seller, spapi_check):
    client = Client(sandbox, seller, spapi_check)
    rdt = client.rdt(get(PARTICIPATIONS), get(f"{ORDERS}/{{orderId}}"))
    resp = sandbox.spapi(None, PARTICIPATIONS, token=rdt)
    assert resp.status_code == 200
    assert resp.json()["payload"][0]["marketplace"]["id"] == seller.marketplace_id
    # a template segment stands for one path segment: getOrder passes (and finds no order)
    resp = sandbox.spapi(None, f"{ORDERS}/111-0000000-0000000", token=rdt)
    assert resp.status_code == 404
    assert resp.json()["errors"][0]["code"] == "NotFound"
    # another route, or the list under the template: denied like a bad token
    resp = sandbox.spapi(None, ORDERS, {"createdAfter": SINCE}, token=rdt)
    assert resp.status_code == 403
    assert spapi_check(resp, "orders_2026-01-01.json", "searchOrders") == DENIED
    resp = sandbox.spapi(None, f"{REPORTS}/1", token=rdt)
    assert (resp.status_code, resp.json()) == (403, DENIED)
    # another method on the same path
    other = client.rdt({"method": "DELETE", "path": f"{REPORTS}/1"})
    assert sandbox.spapi(None, f"{REPORTS}/1", token=other).json() == DENIED
    assert sandbox.spapi(None, f"{REPORTS}/1", method="DELETE", token=other).status_code == 404


def test_an_rdt_expires_on_the_sandbox_clock(sandbox, seller, spapi_check):
    client = Client(sandbox, seller, spapi_check)
    rdt = client.rdt(get(PARTICIPATIONS))
    sandbox.advance(3599)
    assert sandbox.spapi(None, PARTICIPATIONS, token=rdt).status_code == 200
    sandbox.advance(1)  # one hour on the sandbox clock
    resp = sandbox.spapi(None, PARTICIPATIONS, token=rdt)
    assert resp.status_code == 403
    assert spapi_check(resp, "sellers.json", "getMarketplaceParticipations") == EXPIRED
    # the admin's expire-access-tokens expires RDTs too
    client.token = sandbox.access_token(seller)
    rdt = client.rdt(get(PARTICIPATIONS))
    assert sandbox.expire_tokens(seller) == {"seller_id": seller.seller_id, "expired": 2}
    assert sandbox.spapi(None, PARTICIPATIONS, token=rdt).json() == EXPIRED


def test_rate_1_burst_10(sandbox, seller, spapi_check):
    client = Client(sandbox, seller, spapi_check)
    for _ in range(10):
        client.rdt(get(PARTICIPATIONS))
    resp = sandbox.spapi(
        seller, RDT_PATH, method="POST", token=client.token, json={"restrictedResources": []}
    )
    assert resp.status_code == 429  # the bucket comes before the body
    assert resp.headers["x-amzn-RateLimit-Limit"] == "1"
    assert spapi_check(resp, MODEL, "createRestrictedDataToken") == QUOTA
    sandbox.advance(1)
    client.rdt(get(PARTICIPATIONS))
    counters = sandbox.admin("GET", "/admin/throttle")["counters"]
    mine = {c["operation"]: c for c in counters if c["seller_id"] == seller.seller_id}
    assert mine["createRestrictedDataToken"]["allowed"] == 11
    assert mine["createRestrictedDataToken"]["throttled"] == 1


# ---- the restricted order report ------------------------------------------------------------


@pytest.fixture(scope="module")
def shop(sandbox, tmp_path_factory):
    """A private server without throttling, one seller with 12 orders, paid."""
    box = type(sandbox)(tmp_path_factory.mktemp("sptokens"), ["--no-throttle", "--seed", "3"])
    creds = box.new_seller()
    box.admin("POST", f"/admin/sellers/{creds.seller_id}/orders", {"count": 12, "seed": 11})
    box.advance(31 * 60)
    yield box, creds
    box.stop()


def test_restricted_report_document_needs_its_rdt(shop, spapi_check):
    box, creds = shop
    tokens, reports = Client(box, creds, spapi_check), Reports(box, creds, spapi_check)
    report = reports.run(SHIPPING, dataStartTime=SINCE)
    assert report["reportType"] == SHIPPING
    listed = reports.call("getReports", REPORTS, params={"reportTypes": SHIPPING})["reports"]
    assert [r["reportId"] for r in listed] == [report["reportId"]]
    document_id = report["reportDocumentId"]
    # a plain access token: 403
    denied = reports.document(document_id, status=403)["errors"][0]
    assert denied["code"] == "Unauthorized"
    assert denied["message"] == "Access to requested resource is denied."
    # the RDT naming exactly that document: the usual answer
    rdt = tokens.rdt(get(f"{DOCUMENTS}/{document_id}"))
    document = reports.document(document_id, token=rdt)
    assert document["reportDocumentId"] == document_id and document["url"]
    header, rows = read_tsv(box.download(document["url"], document.get("compressionAlgorithm")))
    assert header == [c.lower() for c in FLAT_ORDER_COLUMNS]  # read_tsv lowers the header
    assert set(PII_COLUMNS) <= set(header)
    assert rows and all(row["ship-address-1"] and row["recipient-name"] for _line, row in rows)
    stored = {
        o["amazon_order_id"]: o
        for o in box.admin("GET", f"/admin/sellers/{creds.seller_id}/orders")
    }
    for _line, row in rows:
        address = stored[row["order-id"]]["shipping_address"]
        assert row["ship-postal-code"] == address["postal_code"]
        assert row["ship-city"] == address["city"]
    # the RDT opens that document only: not another document, not another route
    other = reports.run(SHIPPING, dataStartTime=SINCE)["reportDocumentId"]
    assert reports.document(other, token=rdt, status=403) == DENIED
    resp = box.spapi(None, f"{REPORTS}/{report['reportId']}", token=rdt)
    assert (resp.status_code, resp.json()) == (403, DENIED)
    # a template RDT is not enough for a restricted document, but opens the others
    template = tokens.rdt(get(f"{DOCUMENTS}/{{reportDocumentId}}"))
    assert reports.document(document_id, token=template, status=403)["errors"][0]["code"] == (
        "Unauthorized"
    )
    flat = reports.run(FLAT_ALL, dataStartTime=SINCE)["reportDocumentId"]
    assert reports.document(flat, token=template)["reportDocumentId"] == flat
    # an unknown document is still 404 (with a plain token)
    assert reports.document("amzn1.spdoc.1.4.na.nope", status=404)


def test_restricted_report_window_and_other_reports(shop, spapi_check):
    box, creds = shop
    reports = Reports(box, creds, spapi_check)
    orders = box.admin("GET", f"/admin/sellers/{creds.seller_id}/orders")
    paid = sorted(
        (o for o in orders if o["payments_date"] and o["status"] not in ("Pending", "Canceled")),
        key=lambda o: o["purchase_date"],
    )
    assert len(paid) >= 3
    start, end = paid[1]["purchase_date"], paid[-2]["purchase_date"]
    report = reports.run(SHIPPING, dataStartTime=start, dataEndTime=end)
    assert parse_iso(report["dataStartTime"]) == parse_iso(start)
    assert parse_iso(report["dataEndTime"]) == parse_iso(end)
    rdt = Client(box, creds, spapi_check).rdt(get(f"{DOCUMENTS}/{report['reportDocumentId']}"))
    document = reports.document(report["reportDocumentId"], token=rdt)
    _header, rows = read_tsv(box.download(document["url"], document.get("compressionAlgorithm")))
    expected = {
        o["amazon_order_id"]
        for o in paid
        if parse_iso(start) <= parse_iso(o["purchase_date"]) <= parse_iso(end)
    }
    assert {row["order-id"] for _line, row in rows} == expected
    # the other order reports' documents need no RDT
    flat = reports.run(FLAT_ALL, dataStartTime=SINCE)
    assert reports.document(flat["reportDocumentId"])["url"]
