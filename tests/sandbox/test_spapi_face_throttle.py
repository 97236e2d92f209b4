"""SP-API face: token buckets per (seller, operation) at the models' usage plans, on the sandbox
clock; the throttle counters; injected faults by operationId."""

from __future__ import annotations

import json

import pytest

from amazon_sandbox.spapi import read_usage_plans, usage_plan

ORDERS = "/orders/2026-01-01/orders"
PARTICIPATIONS = "/sellers/v1/marketplaceParticipations"
QUOTA = {
    "errors": [
        {"code": "QuotaExceeded", "message": "You exceeded your quota for the requested resource."}
    ]
}
SEARCH = {"createdAfter": "2020-01-01T00:00:00Z"}
DEFAULTS = {
    "searchOrders": {"rate": "0.0056", "burst": 20},
    "getOrder": {"rate": "0.5", "burst": 30},
    "getMarketplaceParticipations": {"rate": "0.016", "burst": 15},
    # Feeds API 2021-06-30
    "createFeedDocument": {"rate": "0.5", "burst": 15},
    "createFeed": {"rate": "0.0083", "burst": 15},
    "getFeed": {"rate": "2", "burst": 15},
    "getFeeds": {"rate": "0.0222", "burst": 10},
    "getFeedDocument": {"rate": "0.0222", "burst": 10},
    "cancelFeed": {"rate": "2", "burst": 15},
    # Reports API 2021-06-30
    "createReport": {"rate": "0.0167", "burst": 15},
    "getReports": {"rate": "0.0222", "burst": 10},
    "getReport": {"rate": "2", "burst": 15},
    "getReportDocument": {"rate": "0.0167", "burst": 15},
    "cancelReport": {"rate": "0.0222", "burst": 10},
    "getReportSchedules": {"rate": "0.0222", "burst": 10},
    # Tokens API 2021-03-01
    "createRestrictedDataToken": {"rate": "1", "burst": 10},
    # Product Type Definitions API 2020-09-01
    "searchDefinitionsProductTypes": {"rate": "5", "burst": 10},
    "getDefinitionsProductType": {"rate": "5", "burst": 10},
    # Listings Items API 2021-08-01
    "getListingsItem": {"rate": "5", "burst": 10},
    "putListingsItem": {"rate": "5", "burst": 10},
    "patchListingsItem": {"rate": "5", "burst": 5},
    "deleteListingsItem": {"rate": "5", "burst": 5},
    "searchListingsItems": {"rate": "5", "burst": 5},
}
MODELS = (
    "orders_2026-01-01.json",
    "sellers.json",
    "feeds_2021-06-30.json",
    "reports_2021-06-30.json",
    "tokens_2021-03-01.json",
    "definitionsProductTypes_2020-09-01.json",
    "listingsItems_2021-08-01.json",
)


def mine(box, creds):
    counters = box.admin("GET", "/admin/throttle")["counters"]
    return {c["operation"]: c for c in counters if c["seller_id"] == creds.seller_id}


def test_search_orders_burst_then_429_and_restore(sandbox, seller, spapi_check):
    token = sandbox.access_token(seller)
    for _ in range(20):
        resp = sandbox.spapi(seller, ORDERS, SEARCH, token=token)
        assert resp.status_code == 200
        assert resp.headers["x-amzn-RateLimit-Limit"] == "0.0056"
        assert resp.headers["x-amzn-RequestId"]
    resp = sandbox.spapi(seller, ORDERS, SEARCH, token=token)
    assert resp.status_code == 429
    assert spapi_check(resp, "orders_2026-01-01.json", "searchOrders") == QUOTA
    assert resp.headers["x-amzn-RateLimit-Limit"] == "0.0056"
    request_ids = {resp.headers["x-amzn-RequestId"]}
    # another operation has its own bucket
    assert sandbox.spapi(seller, PARTICIPATIONS, token=token).status_code == 200
    sandbox.advance(178)  # one request comes back every 1 / 0.0056 = 178.57 s
    resp = sandbox.spapi(seller, ORDERS, SEARCH, token=token)
    assert resp.status_code == 429
    request_ids.add(resp.headers["x-amzn-RequestId"])
    assert len(request_ids) == 2
    sandbox.advance(1)
    assert sandbox.spapi(seller, ORDERS, SEARCH, token=token).status_code == 200
    assert sandbox.spapi(seller, ORDERS, SEARCH, token=token).status_code == 429
    counters = mine(sandbox, seller)
    assert counters["searchOrders"] == {
        "seller_id": seller.seller_id,
        "operation": "searchOrders",
        "allowed": 21,
        "throttled": 3,
        "quota_exceeded": 0,
    }
    assert counters["getMarketplaceParticipations"]["allowed"] == 1
    # sellers are isolated
    other = sandbox.new_seller()
    assert sandbox.spapi(other, ORDERS, SEARCH).status_code == 200


def test_participations_burst_of_15(sandbox, seller, spapi_check):
    token = sandbox.access_token(seller)
    for _ in range(15):
        assert sandbox.spapi(seller, PARTICIPATIONS, token=token).status_code == 200
    resp = sandbox.spapi(seller, PARTICIPATIONS, token=token)
    assert resp.status_code == 429
    assert spapi_check(resp, "sellers.json", "getMarketplaceParticipations") == QUOTA
    assert resp.headers["x-amzn-RateLimit-Limit"] == "0.016"


def test_get_order_burst_of_30(sandbox, seller):
    token = sandbox.access_token(seller)
    statuses = [
        sandbox.spapi(seller, f"{ORDERS}/111-0000000-0000000", token=token).status_code
        for _ in range(31)
    ]
    assert statuses == [404] * 30 + [429]  # a refused call is still a call
    sandbox.advance(2)  # 1 / 0.5 s
    assert sandbox.spapi(seller, f"{ORDERS}/111-0000000-0000000", token=token).status_code == 404


def test_no_throttle_option(start_sandbox):
    box = start_sandbox("--no-throttle")
    creds = box.new_seller()
    token = box.access_token(creds)
    for _ in range(25):
        resp = box.spapi(creds, ORDERS, SEARCH, token=token)
        assert resp.status_code == 200
    assert resp.headers["x-amzn-RateLimit-Limit"] == "0.0056"
    counters = box.admin("GET", "/admin/throttle")
    assert counters["throttled_total"] == 0
    assert mine(box, creds)["searchOrders"]["allowed"] == 25


def test_limits_are_read_from_the_models(sandbox, spapi_models):
    """The sandbox's buckets are the Usage Plan tables of Amazon's models."""
    health = sandbox.admin("GET", "/admin/health")
    assert health["spapi_models"] == str(spapi_models)
    plans = {}
    for model in MODELS:
        data = json.loads((spapi_models / model).read_text())
        for item in data["paths"].values():
            for op in item.values():
                if isinstance(op, dict) and op.get("operationId") in DEFAULTS:
                    plans[op["operationId"]] = usage_plan(op["description"])
    assert {
        name: (limit["rate"], limit["burst"]) for name, limit in health["spapi_limits"].items()
    } == plans
    assert all(limit["source"] == "model" for limit in health["spapi_limits"].values())
    assert plans == {name: (d["rate"], d["burst"]) for name, d in DEFAULTS.items()}


def test_defaults_without_models(start_sandbox):
    box = start_sandbox("--spapi-models", "none")
    health = box.admin("GET", "/admin/health")
    assert health["spapi_models"] is None
    assert health["spapi_limits"] == {
        name: {**d, "source": "default"} for name, d in DEFAULTS.items()
    }
    creds = box.new_seller()
    resp = box.spapi(creds, ORDERS, SEARCH)
    assert resp.headers["x-amzn-RateLimit-Limit"] == "0.0056"


def test_limits_from_another_models_directory(start_sandbox, tmp_path):
    description = (
        "Returns orders.\n\n**Usage Plan:**\n\n| Rate (requests per second) | Burst |\n"
        "| ---- | ---- |\n| 2 | 3 |\n\nThe `x-amzn-RateLimit-Limit` response header ..."
    )
    model = {
        "swagger": "2.0",
        "paths": {
            "/orders/2026-01-01/orders": {
                "get": {"operationId": "searchOrders", "description": description}
            }
        },
    }
    (tmp_path / "orders_2026-01-01.json").write_text(json.dumps(model))
    (tmp_path / "broken.json").write_text("{not json")
    assert read_usage_plans(tmp_path) == {"orders_2026-01-01.json#searchOrders": ("2", 3)}
    box = start_sandbox("--spapi-models", str(tmp_path))
    limits = box.admin("GET", "/admin/health")["spapi_limits"]
    assert limits["searchOrders"] == {"rate": "2", "burst": 3, "source": "model"}
    assert limits["getOrder"]["source"] == "default"
    creds = box.new_seller()
    token = box.access_token(creds)
    codes = [box.spapi(creds, ORDERS, SEARCH, token=token).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    box.advance(0.5)
    assert box.spapi(creds, ORDERS, SEARCH, token=token).status_code == 200


def test_usage_plan_parser():
    text = "x\n\n| Rate (requests per second) | Burst |\n| ---- | ---- |\n| 0.0167 | 20 |\n"
    assert usage_plan(text) == ("0.0167", 20)
    assert usage_plan("no table here") is None


# ---- faults ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "status", "code"),
    [
        ("internal_error", 500, "InternalFailure"),
        ("unavailable", 503, "ServiceUnavailable"),
        ("throttle_storm", 429, "QuotaExceeded"),
    ],
)
def test_faults_before_the_handler(sandbox, seller, spapi_check, kind, status, code):
    token = sandbox.access_token(seller)
    extra = {"seconds": 60} if kind == "throttle_storm" else {"count": 2}
    sandbox.fault(seller, kind, operation="searchOrders", **extra)
    # another operation is untouched
    assert sandbox.spapi(seller, PARTICIPATIONS, token=token).status_code == 200
    for _ in range(2):
        resp = sandbox.spapi(seller, ORDERS, SEARCH, token=token)
        assert resp.status_code == status
        body = spapi_check(resp, "orders_2026-01-01.json", "searchOrders")
        assert body["errors"][0]["code"] == code
    if kind == "throttle_storm":
        assert mine(sandbox, seller)["searchOrders"]["throttled"] == 2
        sandbox.advance(60)
    assert sandbox.spapi(seller, ORDERS, SEARCH, token=token).status_code == 200


def test_faults_after_the_handler(sandbox, seller):
    token = sandbox.access_token(seller)
    sandbox.fault(seller, "malformed", operation="getMarketplaceParticipations")
    resp = sandbox.spapi(seller, PARTICIPATIONS, token=token)
    assert resp.status_code == 200
    with pytest.raises(ValueError):
        resp.json()
    sandbox.fault(seller, "error_200")
    resp = sandbox.spapi(seller, PARTICIPATIONS, token=token)
    assert resp.status_code == 200
    assert resp.json()["errors"][0]["code"] == "InternalFailure"
    assert sandbox.spapi(seller, PARTICIPATIONS, token=token).json()["payload"]


def test_pagination_token_corrupted_fault(start_sandbox):
    box = start_sandbox("--no-throttle")
    creds = box.new_seller()
    box.admin("POST", f"/admin/sellers/{creds.seller_id}/orders", {"count": 3, "seed": 1})
    box.advance(180)
    token = box.access_token(creds)
    box.fault(creds, "next_token_corrupted")
    params = {**SEARCH, "maxResultsPerPage": 1}
    first = box.spapi(creds, ORDERS, params, token=token).json()  # not paged: untouched
    more = {**params, "paginationToken": first["pagination"]["nextToken"]}
    resp = box.spapi(creds, ORDERS, more, token=token)
    assert resp.status_code == 400
    assert resp.json()["errors"][0]["code"] == "InvalidInput"
    assert box.spapi(creds, ORDERS, more, token=token).status_code == 200


def test_delay_fault(sandbox, seller):
    import time

    token = sandbox.access_token(seller)
    sandbox.fault(seller, "delay", seconds=0.5, operation="getMarketplaceParticipations")
    start = time.monotonic()
    assert sandbox.spapi(seller, PARTICIPATIONS, token=token).status_code == 200
    assert time.monotonic() - start >= 0.5
