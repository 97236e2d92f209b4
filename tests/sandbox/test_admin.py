"""Admin interface, web page, command line options, start-up and restarts."""

import subprocess
import sys

import pytest
import requests
from conftest import envelope, product_msg

from amazon_sandbox.testing import ROOT

HANDLER_MODULES = [
    "amazon_sandbox.api_orders",
    "amazon_sandbox.api_reports",
    "amazon_sandbox.api_spapi",
    "amazon_sandbox.api_spapi_definitions",
    "amazon_sandbox.api_spapi_feeds",
    "amazon_sandbox.api_spapi_listings",
    "amazon_sandbox.api_spapi_reports",
    "amazon_sandbox.api_spapi_tokens",
    "amazon_sandbox.feeds",
    "amazon_sandbox.sellers",
]


def test_restart_keeps_catalog_feeds_and_clock(start_sandbox, tmp_path):
    box = start_sandbox("--seller", "A1RESTART:KEY1:SECRET1", data_dir=tmp_path / "data")
    from conftest import Creds

    creds = Creds("A1RESTART", "KEY1", "SECRET1")
    report_before = box.process(
        creds, envelope("Product", [product_msg("KEEP")]), "_POST_PRODUCT_DATA_"
    )
    pending = box.submit(creds, envelope("Product", [product_msg("LATER")]), "_POST_PRODUCT_DATA_")
    clock_before = box.admin("GET", "/admin/clock")
    box.restart()
    clock_after = box.admin("GET", "/admin/clock")
    assert clock_after["offset"] >= clock_before["offset"] >= 400
    skus = [r["sku"] for r in box.admin("GET", "/admin/sellers/A1RESTART/catalog")]
    assert skus == ["KEEP"]
    feeds = box.admin("GET", "/admin/sellers/A1RESTART/feeds")
    assert [f["status"] for f in feeds] == ["_SUBMITTED_", "_DONE_"]
    box.advance(400)
    assert box.feeds(creds).get_feed_submission_result(pending).parsed["ProcessingReport"]
    done = [
        f
        for f in box.admin("GET", "/admin/sellers/A1RESTART/feeds")
        if f["feed_id"] != int(pending)
    ]
    assert box.admin("GET", f"/admin/sellers/A1RESTART/feeds/{done[0]['feed_id']}/report") == (
        report_before
    )
    skus = [r["sku"] for r in box.admin("GET", "/admin/sellers/A1RESTART/catalog")]
    assert skus == ["KEEP", "LATER"]
    # No --seller on the second start: the seller from the first start is still there, and
    # no demo seller is added to a store that has sellers.
    box.args = []
    box.restart()
    assert [s["seller_id"] for s in box.admin("GET", "/admin/sellers")] == ["A1RESTART"]


def test_health_lists_every_handler_module(sandbox):
    assert sandbox.admin("GET", "/admin/health")["modules"] == HANDLER_MODULES


# Run in a child Python before the sandbox's main(): one handler module cannot be imported.
BREAKAGES = {
    "missing": "sys.modules['amazon_sandbox.api_reports'] = None",
    "raising": (
        "class Broken:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'amazon_sandbox.api_orders':\n"
        "            raise RuntimeError('amazon_sandbox.api_orders is broken on purpose')\n"
        "sys.meta_path.insert(0, Broken())"
    ),
}


@pytest.mark.parametrize("breakage", sorted(BREAKAGES))
def test_a_handler_module_that_cannot_be_imported_stops_the_start(tmp_path, breakage):
    """No sandbox without one of its APIs (its tests would skip or pass for nothing)."""
    script = "\n".join(
        [
            "import sys",
            BREAKAGES[breakage],
            "from amazon_sandbox.__main__ import main",
            f"sys.exit(main(['--port', '0', '--data-dir', {str(tmp_path)!r}]))",
        ]
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        out, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
    assert "listening on" not in out, "the sandbox started without one of its modules"
    assert proc.returncode not in (0, None)
    assert "amazon_sandbox.api_" in err  # the traceback names the module


def test_demo_seller_and_demo_orders(start_sandbox):
    box = start_sandbox("--demo-orders", "5", "--seed", "11")
    sellers = box.admin("GET", "/admin/sellers")
    assert sellers == [
        {
            "seller_id": "A2DEMOSELLER01",
            "access_key": "DEMOACCESSKEY",
            "secret_key": "DEMOSECRETKEY",
            "marketplace_ids": ["ATVPDKIKX0DER"],
            "auth_token": None,
            # SP-API (Login with Amazon), derived from the seller id: README.md
            "client_id": "amzn1.application-oa2-client.cf6982d6bd990c842ef6522f33ab6d4d",
            "client_secret": "amzn1.oa2-cs.v1."
            "1c48ec7cdbe7b754eb04372b7343cbbcc80642883cda895ae79566e276ace3a5",
            "refresh_token": "Atzr|"
            "4832e95f20cda5517c217a4ba037ef09004cdf5bdec4e8c893230a4bcf7531be",
            "refresh_token_revoked": False,
        }
    ]
    orders = box.admin("GET", "/admin/sellers/A2DEMOSELLER01/orders")
    assert len(orders) == 5
    # the demo seller already sells the SKUs of the Odoo demo data: its orders are for them
    catalog = {row["sku"] for row in box.admin("GET", "/admin/sellers/A2DEMOSELLER01/catalog")}
    assert "AMZ-DEMO-KETTLE" in catalog and len(catalog) == 9
    ordered = {item["seller_sku"] for order in orders for item in order["items"]}
    assert ordered and ordered <= catalog
    box.restart()  # the seller has orders now: none added
    assert len(box.admin("GET", "/admin/sellers/A2DEMOSELLER01/orders")) == 5


def test_admin_feed_views_and_catalog_edit(sandbox, seller):
    feed_id = sandbox.submit(
        seller, envelope("Product", [product_msg("V1")]), "_POST_PRODUCT_DATA_"
    )
    base = f"/admin/sellers/{seller.seller_id}"
    listed = sandbox.admin("GET", f"{base}/feeds")
    assert listed[0]["feed_id"] == int(feed_id) and listed[0]["message_count"] == 1
    assert b"<SKU>V1</SKU>" in sandbox.admin("GET", f"{base}/feeds/{feed_id}/xml")
    sandbox.admin("GET", f"{base}/feeds/{feed_id}/report", expect=409)
    sandbox.advance(400)
    detail = sandbox.admin("GET", f"{base}/feeds/{feed_id}")
    assert detail["status"] == "_DONE_" and "ProcessingReport" in detail["report"]
    assert detail["summary"] == {
        "processed": 1,
        "successful": 1,
        "with_error": 0,
        "with_warning": 0,
    }
    row = sandbox.admin(
        "POST", f"{base}/catalog/V1", {"quantity": 12, "fulfillment_channel": "AFN"}
    )
    assert (row["quantity"], row["fulfillment_channel"]) == (12, "AFN")
    assert sandbox.admin("GET", f"{base}/catalog/V1")["asin"] == row["asin"]
    sandbox.admin("GET", f"{base}/catalog/NOPE", expect=404)
    sandbox.admin("GET", f"{base}/feeds/1", expect=404)
    sandbox.admin("GET", "/admin/nothing", expect=404)
    sandbox.admin("DELETE", "/admin/clock", expect=405)
    sandbox.admin("POST", "/admin/clock/advance", {"seconds": "soon"}, expect=400)
    resp = requests.post(sandbox.url + "/admin/sellers", data=b"{not json", timeout=10)
    assert resp.status_code == 400 and "error" in resp.json()


def test_create_seller_validation(sandbox):
    sandbox.admin("POST", "/admin/sellers", {"seller_id": "X"}, expect=400)
    creds = sandbox.new_seller()
    sandbox.admin(
        "POST",
        "/admin/sellers",
        {"seller_id": "OTHER", "access_key": creds.access_key, "secret_key": "s"},
        expect=400,
    )


def test_web_page_lists_catalog_and_feeds(sandbox, seller):
    sandbox.process(
        seller, envelope("Product", [product_msg("WEB-SKU", "Web &amp; Co")]), "_POST_PRODUCT_DATA_"
    )
    resp = requests.get(sandbox.url + "/", timeout=10)
    assert resp.status_code == 200 and resp.headers["Content-Type"].startswith("text/html")
    assert "WEB-SKU" in resp.text and "Web &amp; Co" in resp.text
    assert seller.seller_id in resp.text and "_POST_PRODUCT_DATA_" in resp.text


def test_list_marketplace_participations(sandbox):
    creds = sandbox.new_seller(marketplaces=("ATVPDKIKX0DER", "A2EUQ1WTGCTBG2"))
    parsed = sandbox.sellers(creds).list_marketplace_participations().parsed
    ids = [p["MarketplaceId"] for p in parsed["ListParticipations"]["Participation"]]
    assert ids == ["ATVPDKIKX0DER", "A2EUQ1WTGCTBG2"]
    names = [m["Name"] for m in parsed["ListMarketplaces"]["Marketplace"]]
    assert names == ["Amazon.com", "Amazon.ca"]
    assert "NextToken" not in parsed


def test_reset(start_sandbox):
    box = start_sandbox()
    from conftest import Creds

    creds = Creds("A2DEMOSELLER01", "DEMOACCESSKEY", "DEMOSECRETKEY")
    box.process(creds, envelope("Product", [product_msg("R1")]), "_POST_PRODUCT_DATA_")
    box.fault(creds, "internal_error", count=5)
    box.admin("POST", "/admin/reset", {"data": True})
    assert box.admin("GET", "/admin/sellers/A2DEMOSELLER01/catalog") == []
    assert box.admin("GET", "/admin/sellers/A2DEMOSELLER01/faults") == []
    assert box.admin("GET", "/admin/throttle")["counters"] == []
    assert box.feeds(creds).get_feed_submission_count().parsed["Count"] == "0"
