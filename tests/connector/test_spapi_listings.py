"""The SP-API catalog capabilities (lib/spapi_api._Listings, _ProductTypes, a JSON_LISTINGS_FEED
through _Feeds) against the sandbox's SP-API face: a listing built from plain values
(lib/listings_json), checked offline against the product type's schema the sandbox serves
(lib/listings_checks), put, read back, patched, fed in bulk and deleted."""

import json

import pytest
from test_spapi_feeds import Gate

from amazon_integration.lib import api, listings_checks, listings_json
from amazon_integration.lib.spapi_api import SpApi
from amazon_integration.lib.spapi_transport import MemoryTokenStore
from amazon_sandbox.testing import Sandbox

US = "ATVPDKIKX0DER"


@pytest.fixture(scope="module")
def box(tmp_path_factory):
    sandbox = Sandbox(tmp_path_factory.mktemp("sandbox"), [])  # started by its constructor
    yield sandbox
    sandbox.stop()


@pytest.fixture
def amazon(box):
    creds = box.new_seller()
    connection = SpApi.connect(
        credentials={
            "lwa_client_id": creds.client_id,
            "lwa_client_secret": creds.client_secret,
            "lwa_refresh_token": creds.refresh_token,
        },
        seller_id=creds.seller_id,
        endpoint=box.url,
        timeout=10.0,
        marketplaces=[US],
        gate=Gate(),
        tokens=MemoryTokenStore(),
        lwa_endpoint=f"{box.url}/auth/o2/token",
    )
    connection.box, connection.creds = box, creds
    return connection


def lamp(sku="LAMP-1", **values):
    defaults = {
        "sku": sku,
        "product_type": "PRODUCT",
        "marketplace_id": US,
        "language_tag": "en_US",
        "name": "Desk lamp",
        "brand": "Acme",
        "barcode": "012345678905",
        "bullet_points": ("Warm light", "Steel base"),
        "description": "A desk lamp, made to last.",
        "currency": "USD",
        "price": 19.99,
        "quantity": 7,
        "lead_time_days": 2,
        "main_image_url": "https://images.example.com/lamp.jpg",
    }
    return listings_json.ListingValues(**{**defaults, **values})


def test_a_listing_is_checked_offline_put_read_back_patched_and_deleted(amazon):
    [found] = [name for name, _label in amazon.product_types.search("lamp") if name == "PRODUCT"]
    definition = amazon.product_types.definition(found)
    assert definition.version and definition.schema_url
    schema = amazon.product_types.schema(definition)
    attributes = listings_json.attributes(lamp())
    assert listings_checks.validate(schema, attributes) == [], "valid before it is sent"
    missing = dict(attributes)
    del missing["brand"]
    problems = listings_checks.validate(schema, missing)
    assert [p.attribute for p in problems] == ["brand"], problems

    submission = amazon.listings.put("LAMP-1", "PRODUCT", attributes)
    assert submission.accepted and submission.submission_id, submission
    state = amazon.listings.get("LAMP-1")
    assert state.asin and state.asin.startswith("B0")
    assert state.buyable and state.quantity == 7 and float(state.price) == 19.99

    patched = amazon.listings.patch(
        "LAMP-1", "PRODUCT", listings_json.patches_for(lamp(quantity=3, price=17.5), {"stock"})
    )
    assert patched.accepted, patched
    assert amazon.listings.get("LAMP-1").quantity == 3
    mws_row = amazon.box.admin("GET", f"/admin/sellers/{amazon.creds.seller_id}/catalog/LAMP-1")
    assert mws_row["quantity"] == 3, "the same catalog as the MWS face"

    assert amazon.listings.delete("LAMP-1").accepted
    with pytest.raises(api.AmazonCallError) as gone:
        amazon.listings.get("LAMP-1")
    assert gone.value.http_status == 404


def test_amazon_names_the_attribute_it_refuses(amazon):
    attributes = listings_json.attributes(lamp(condition="brand_new_in_box"))
    preview = amazon.listings.put("LAMP-2", "PRODUCT", attributes, preview=True)
    assert not preview.accepted
    assert any("condition_type" in issue.attribute_names for issue in preview.issues), preview
    with pytest.raises(api.AmazonCallError):
        amazon.listings.get("LAMP-2")  # a preview saves nothing


def test_a_json_listings_feed_reports_each_message(amazon):
    good = listings_json.FeedMessage.for_update(lamp("LAMP-3"))
    bad = listings_json.FeedMessage.for_update(lamp("LAMP-4", brand=None))
    document = listings_json.build_feed(amazon.creds.seller_id, [good, bad], marketplace_id=US)
    submission = amazon.feeds.submit(listings_json.MESSAGE_KIND, document)
    assert submission.feed_type == "JSON_LISTINGS_FEED"
    amazon.box.advance(600)
    [done] = amazon.feeds.status([submission.submission_id])
    assert done.state == api.DONE, done
    body = amazon.feeds.result(submission.submission_id)
    report = listings_checks.parse_processing_report(body)
    assert (report.accepted, report.invalid) == (1, 1), report
    assert report.outcome(1)[0] == "success"
    outcome, text = report.outcome(2)
    assert outcome == "error" and "brand" in text
    stored = amazon.box.admin("GET", f"/admin/sellers/{amazon.creds.seller_id}/sp-feeds")
    uploaded = json.loads(
        amazon.box.admin(
            "GET", f"/admin/sellers/{amazon.creds.seller_id}/sp-feeds/{submission.submission_id}"
        )["document"]
    )
    assert uploaded["header"]["sellerId"] == amazon.creds.seller_id
    assert stored[0]["marketplaceIds"] == [US]
