"""SP-API face: the Listings Items API 2021-08-01 over real HTTP, on the catalog the MWS feeds
write: a listing put through SP-API is in MWS's catalog and listings report, and one MWS made
answers getListingsItem. Validation against the product type schemas (issues as Amazon's),
VALIDATION_PREVIEW, JSON Patch, delete, search paging, variation families, and
patchListingsItem's throttling. Every JSON answer is validated against Amazon's model
(`spapi_check`)."""

from __future__ import annotations

import re
from urllib.parse import quote

import mws
import pytest
from conftest import US, SpClient, envelope, listing_attributes, product_msg

from amazon_integration.lib.reports import parse_listings
from amazon_sandbox.catalog import make_asin

MODEL = "listingsItems_2021-08-01.json"
ITEMS = "/listings/2021-08-01/items"
EVERYTHING = (
    "summaries,attributes,issues,offers,fulfillmentAvailability,procurement,relationships,"
    "productTypes"
)
IMAGE = "https://images.example.com/lamp.jpg"
QUOTA = {
    "errors": [
        {"code": "QuotaExceeded", "message": "You exceeded your quota for the requested resource."}
    ]
}


@pytest.fixture(scope="module")
def box(sandbox, tmp_path_factory):
    """A private server without throttling (the throttling test uses the shared one)."""
    server = type(sandbox)(tmp_path_factory.mktemp("listings"), ["--no-throttle"])
    yield server
    server.stop()


class Client(SpClient):
    """One seller's Listings Items API calls, each answer validated against the model."""

    model = MODEL

    def path(self, sku: str | None = None, seller_id: str | None = None) -> str:
        base = f"{ITEMS}/{seller_id or self.creds.seller_id}"
        return f"{base}/{quote(sku, safe='')}" if sku else base

    def get(self, sku, included=EVERYTHING, status=200, **params):
        params = {"marketplaceIds": US, "includedData": included, **params}
        return self.call("getListingsItem", self.path(sku), params=params, status=status)

    def put(self, sku, attributes, product_type="PRODUCT", status=200, body=None, **params):
        body = body or {"productType": product_type, "attributes": attributes}
        params = {"marketplaceIds": US, **params}
        return self.call(
            "putListingsItem", self.path(sku), method="PUT", params=params, json=body, status=status
        )

    def patch(self, sku, patches, product_type="PRODUCT", status=200, **params):
        body = {"productType": product_type, "patches": patches}
        params = {"marketplaceIds": US, **params}
        return self.call(
            "patchListingsItem",
            self.path(sku),
            method="PATCH",
            params=params,
            json=body,
            status=status,
        )

    def delete(self, sku, status=200, **params):
        params = {"marketplaceIds": US, **params}
        return self.call(
            "deleteListingsItem", self.path(sku), method="DELETE", params=params, status=status
        )

    def search(self, status=200, **params):
        params = {"marketplaceIds": US, **params}
        return self.call("searchListingsItems", self.path(), params=params, status=status)

    def catalog(self) -> dict:
        rows = self.box.admin("GET", f"/admin/sellers/{self.creds.seller_id}/catalog")
        return {r["sku"]: r for r in rows}


def price(amount) -> list[dict]:
    return [{"schedule": [{"value_with_tax": amount}]}]


def accepted(answer: dict) -> dict:
    assert answer["status"] == "ACCEPTED", answer
    assert re.fullmatch(r"[0-9a-f-]{36}", answer["submissionId"])
    return answer


def invalid(answer: dict) -> list[dict]:
    assert answer["status"] == "INVALID", answer
    return [i for i in answer["issues"] if i["severity"] == "ERROR"]


def quantity_patch(quantity: int) -> list[dict]:
    return [
        {
            "op": "replace",
            "path": "/attributes/fulfillment_availability",
            "value": [{"fulfillment_channel_code": "DEFAULT", "quantity": quantity}],
        }
    ]


def mws_listings(box, creds) -> dict:
    """The MWS listings report (_GET_MERCHANT_LISTINGS_ALL_DATA_), by SKU."""
    client = mws.Reports(creds.access_key, creds.secret_key, creds.seller_id, domain=box.url)
    info = client.request_report("_GET_MERCHANT_LISTINGS_ALL_DATA_").parsed["ReportRequestInfo"]
    box.advance(60)
    parsed = client.get_report_request_list(requestids=[info["ReportRequestId"]]).parsed
    report = client.get_report(parsed["ReportRequestInfo"]["GeneratedReportId"])
    return {r["sku"]: r for r in parse_listings(report.parsed)}


# ---- put and get, both faces ----------------------------------------------------------


def test_put_then_get_every_dataset_and_mws_sees_it(box, spapi_check):
    creds = box.new_seller()
    client = Client(box, creds, spapi_check)
    attributes = listing_attributes()
    answer = accepted(client.put("LAMP 1/blue", attributes, includedData="issues,identifiers"))
    asin = make_asin(creds.seller_id, "LAMP 1/blue")
    assert re.fullmatch(r"B0[0-9A-Z]{8}", asin)
    assert answer["sku"] == "LAMP 1/blue" and answer["issues"] == []
    assert answer["identifiers"] == [{"marketplaceId": US, "asin": asin}]
    item = client.get("LAMP 1/blue")
    summary = item["summaries"][0]
    assert summary["createdDate"] == summary["lastUpdatedDate"]
    assert summary == {
        "marketplaceId": US,
        "asin": asin,
        "productType": "PRODUCT",
        "conditionType": "new_new",
        "status": ["BUYABLE", "DISCOVERABLE"],
        "itemName": "Desk lamp",
        "createdDate": summary["createdDate"],
        "lastUpdatedDate": summary["lastUpdatedDate"],
        "mainImage": {"link": IMAGE, "height": 500, "width": 500},
    }
    assert item["attributes"] == attributes
    assert item["issues"] == [] and item["procurement"] == []
    assert item["offers"] == [
        {
            "marketplaceId": US,
            "offerType": "B2C",
            "price": {"currencyCode": "USD", "amount": "19.99"},
            "audience": {"value": "ALL", "displayName": "Sell on Amazon"},
        }
    ]
    assert item["fulfillmentAvailability"] == [{"fulfillmentChannelCode": "DEFAULT", "quantity": 7}]
    assert item["relationships"] == [{"marketplaceId": US, "relationships": []}]
    assert item["productTypes"] == [{"marketplaceId": US, "productType": "PRODUCT"}]
    assert set(client.get("LAMP 1/blue", included="")) == {"sku", "summaries"}  # the default
    # the same row for MWS
    row = client.catalog()["LAMP 1/blue"]
    assert {k: row[k] for k in ("asin", "title", "brand", "price", "currency", "quantity")} == {
        "asin": asin,
        "title": "Desk lamp",
        "brand": "Acme",
        "price": "19.99",
        "currency": "USD",
        "quantity": 7,
    }
    assert row["standard_product_id"] == "UPC:012345678905"
    assert row["images"] == {"Main": IMAGE} and row["product_type"] == "PRODUCT"
    listed = mws_listings(box, creds)["LAMP 1/blue"]
    assert listed == {
        "sku": "LAMP 1/blue",
        "asin": asin,
        "status": "active",
        "quantity": 7,
        "price": "19.99",
    }
    # a listing without a main image: not discoverable, with a WARNING issue
    client.put("LAMP-2", listing_attributes(image=None))
    item = client.get("LAMP-2")
    assert item["summaries"][0]["status"] == ["BUYABLE"]
    assert "mainImage" not in item["summaries"][0]
    (issue,) = item["issues"]
    assert (issue["code"], issue["severity"], issue["attributeNames"]) == (
        "18448",
        "WARNING",
        ["main_product_image_locator"],
    )
    assert issue["enforcements"]["actions"] == [{"action": "SEARCH_SUPPRESSED"}]
    # getListingsItem of an unknown SKU
    error = client.get("NOPE", status=404)["errors"][0]
    assert error["code"] == "NOT_FOUND" and "NOPE" in error["message"]


def inventory_msg(sku: str, quantity: int, extra: str = "") -> str:
    return (
        f"<OperationType>Update</OperationType><Inventory><SKU>{sku}</SKU>"
        f"<Quantity>{quantity}</Quantity>{extra}</Inventory>"
    )


def test_a_listing_mws_made_answers_through_sp_api(box, spapi_check):
    creds = box.new_seller()
    client = Client(box, creds, spapi_check)
    product = envelope("Product", [product_msg("MWS-1", upc="036000291452")])
    box.process(creds, product, "_POST_PRODUCT_DATA_")
    latency = "<FulfillmentLatency>2</FulfillmentLatency>"
    stock = envelope("Inventory", [inventory_msg("MWS-1", 4, latency)])
    box.process(creds, stock, "_POST_INVENTORY_AVAILABILITY_DATA_")
    pricing = (
        "<OperationType>Update</OperationType><Price><SKU>MWS-1</SKU>"
        '<StandardPrice currency="USD">12.50</StandardPrice></Price>'
    )
    box.process(creds, envelope("Price", [pricing]), "_POST_PRODUCT_PRICING_DATA_")
    item = client.get("MWS-1")
    assert item["summaries"][0]["productType"] == "PRODUCT"
    assert item["summaries"][0]["status"] == ["BUYABLE"]
    assert item["summaries"][0]["asin"] == client.catalog()["MWS-1"]["asin"]
    attributes = item["attributes"]
    assert attributes["item_name"] == [
        {"value": "Widget", "language_tag": "en_US", "marketplace_id": US}
    ]
    assert attributes["brand"][0]["value"] == "Acme"
    assert attributes["externally_assigned_product_identifier"] == [
        {"type": "upc", "value": "036000291452", "marketplace_id": US}
    ]
    assert attributes["purchasable_offer"][0]["our_price"] == [
        {"schedule": [{"value_with_tax": 12.5}]}
    ]
    assert attributes["fulfillment_availability"] == [
        {"fulfillment_channel_code": "DEFAULT", "quantity": 4, "lead_time_to_ship_max_days": 2}
    ]
    # a listing SP-API made, changed by an MWS feed: the attributes follow, the others stay
    client.put("SP-1", listing_attributes())
    stock = envelope("Inventory", [inventory_msg("SP-1", 40)])
    box.process(creds, stock, "_POST_INVENTORY_AVAILABILITY_DATA_")
    item = client.get("SP-1")
    assert item["fulfillmentAvailability"] == [
        {"fulfillmentChannelCode": "DEFAULT", "quantity": 40}
    ]
    assert item["attributes"]["bullet_point"] == listing_attributes()["bullet_point"]
    # patching the MWS listing keeps what MWS said
    accepted(client.patch("MWS-1", quantity_patch(9)))
    row = client.catalog()["MWS-1"]
    assert (row["quantity"], row["price"], row["title"]) == (9, "12.50", "Widget")


# ---- validation -----------------------------------------------------------------------------


def test_missing_required_attribute_is_invalid_and_saves_nothing(box, spapi_check):
    creds = box.new_seller()
    client = Client(box, creds, spapi_check)
    attributes = listing_attributes()
    del attributes["brand"]
    (error,) = invalid(client.put("LAMP-1", attributes, includedData="issues,identifiers"))
    assert error == {
        "code": "90220",
        "message": "'brand' is required but not supplied.",
        "severity": "ERROR",
        "attributeNames": ["brand"],
        "categories": ["MISSING_ATTRIBUTE"],
    }
    client.get("LAMP-1", status=404)
    assert client.catalog() == {}


@pytest.mark.parametrize(
    ("change", "code", "attribute"),
    [
        (
            {"condition_type": [{"value": "mint", "marketplace_id": US}]},
            "4000001",
            "condition_type",
        ),
        (
            {"externally_assigned_product_identifier": [{"type": "upc", "value": "12AB"}]},
            "4000001",
            "externally_assigned_product_identifier",
        ),
        (
            {
                "item_name": [
                    {"value": "Lamp", "language_tag": "en_US", "marketplace_id": US},
                    {"value": "Lamp!", "language_tag": "en_US", "marketplace_id": US},
                ]
            },
            "4000001",
            "item_name",
        ),
        (
            {"purchasable_offer": [{"currency": "EUR", "our_price": price(5)}]},
            "4000001",
            "purchasable_offer",
        ),
        (
            {"fulfillment_availability": [{"fulfillment_channel_code": "DEFAULT", "quantity": -1}]},
            "4000001",
            "fulfillment_availability",
        ),
        (
            {"purchasable_offer": [{"currency": "USD"}]},
            "90220",
            "purchasable_offer",
        ),
        ({"list_price": [{"currency": "USD"}]}, "4000001", "list_price"),
    ],
)
def test_invalid_values_are_named(box, spapi_check, change, code, attribute):
    client = Client(box, box.new_seller(), spapi_check)
    errors = invalid(client.put("LAMP-1", listing_attributes(**change)))
    assert [(e["code"], e["attributeNames"]) for e in errors] == [(code, [attribute])]
    assert errors[0]["categories"] == [
        "MISSING_ATTRIBUTE" if code == "90220" else "INVALID_ATTRIBUTE"
    ]
    client.get("LAMP-1", status=404)


def test_product_type_and_unknown_attributes(box, spapi_check):
    client = Client(box, box.new_seller(), spapi_check)
    (error,) = invalid(client.put("LAMP-1", listing_attributes(), product_type="LUGGAGE"))
    assert error["code"] == "4000003" and "LUGGAGE" in error["message"]
    list_price = [{"currency": "USD", "value_with_tax": 24.99, "marketplace_id": US}]
    attributes = listing_attributes(flux_capacity=[{"value": 3}], list_price=list_price)
    answer = accepted(client.put("LAMP-1", attributes))
    assert [(i["code"], i["severity"], i["attributeNames"]) for i in answer["issues"]] == [
        ("4000002", "WARNING", ["flux_capacity"])
    ]
    assert "flux_capacity" not in client.get("LAMP-1")["attributes"]
    for body, word in (
        ({"attributes": listing_attributes()}, "productType"),
        ({"productType": "PRODUCT"}, "attributes"),
        ({"productType": "PRODUCT", "attributes": {}, "requirements": "ALL"}, "requirements"),
    ):
        error = client.put("LAMP-1", None, body=body, status=400)["errors"][0]
        assert error["code"] == "InvalidInput" and word in error["message"]


def test_validation_preview_saves_nothing(box, spapi_check):
    client = Client(box, box.new_seller(), spapi_check)
    preview = {"mode": "VALIDATION_PREVIEW"}
    answer = client.put("LAMP-1", listing_attributes(), **preview)
    assert answer["status"] == "VALID" and answer["issues"] == []
    client.get("LAMP-1", status=404)
    assert client.catalog() == {}
    accepted(client.put("LAMP-1", listing_attributes(quantity=5)))
    assert client.put("LAMP-1", listing_attributes(quantity=50), **preview)["status"] == "VALID"
    assert client.patch("LAMP-1", quantity_patch(60), **preview)["status"] == "VALID"
    invalid(client.patch("LAMP-1", quantity_patch(-1), **preview))
    assert client.get("LAMP-1")["fulfillmentAvailability"][0]["quantity"] == 5
    assert client.catalog()["LAMP-1"]["quantity"] == 5
    error = client.put("LAMP-1", listing_attributes(), status=400, mode="LIVE")["errors"][0]
    assert error["code"] == "InvalidInput"


# ---- patch and delete ------------------------------------------------------------------------


def test_patch_quantity_shows_in_both_faces(box, spapi_check):
    creds = box.new_seller()
    client = Client(box, creds, spapi_check)
    accepted(client.put("LAMP-1", listing_attributes(quantity=7)))
    answer = accepted(client.patch("LAMP-1", quantity_patch(3), includedData="identifiers"))
    assert "issues" not in answer and answer["identifiers"][0]["asin"].startswith("B0")
    assert client.get("LAMP-1")["fulfillmentAvailability"] == [
        {"fulfillmentChannelCode": "DEFAULT", "quantity": 3}
    ]
    assert client.catalog()["LAMP-1"]["quantity"] == 3
    assert mws_listings(box, creds)["LAMP-1"]["quantity"] == 3
    accepted(client.patch("LAMP-1", quantity_patch(0)))
    assert client.get("LAMP-1")["summaries"][0]["status"] == ["DISCOVERABLE"]  # not BUYABLE
    assert mws_listings(box, creds)["LAMP-1"]["status"] == "inactive"
    (error,) = invalid(client.patch("LAMP-1", quantity_patch(-1)))
    assert (error["code"], error["attributeNames"]) == ("4000001", ["fulfillment_availability"])
    assert client.catalog()["LAMP-1"]["quantity"] == 0
    (error,) = invalid(client.patch("GHOST", quantity_patch(1)))
    assert error["code"] == "13013"
    (error,) = invalid(client.patch("LAMP-1", quantity_patch(1), product_type="LUGGAGE"))
    assert error["code"] == "4000003"


def test_patch_merge_and_delete(box, spapi_check):
    client = Client(box, box.new_seller(), spapi_check)
    accepted(client.put("LAMP-1", listing_attributes(price=19.99)))
    merge = {
        "op": "merge",
        "path": "/attributes/purchasable_offer",
        "value": [{"marketplace_id": US, "currency": "USD", "our_price": price(17.5)}],
    }
    accepted(client.patch("LAMP-1", [merge]))
    item = client.get("LAMP-1")
    assert item["offers"][0]["price"] == {"currencyCode": "USD", "amount": "17.50"}
    assert len(item["attributes"]["purchasable_offer"]) == 1
    bullets = {
        "op": "add",
        "path": "/attributes/bullet_point",
        "value": [{"value": "Dimmable", "language_tag": "en_US", "marketplace_id": US}],
    }
    delete_image = {"op": "delete", "path": "/attributes/main_product_image_locator"}
    accepted(client.patch("LAMP-1", [bullets, delete_image]))
    item = client.get("LAMP-1")
    assert item["attributes"]["bullet_point"] == bullets["value"]
    assert item["summaries"][0]["status"] == ["BUYABLE"]
    assert [i["code"] for i in item["issues"]] == ["18448"]
    assert client.catalog()["LAMP-1"]["images"] == {}
    (error,) = invalid(client.patch("LAMP-1", [{"op": "delete", "path": "/attributes/brand"}]))
    assert (error["code"], error["attributeNames"]) == ("90220", ["brand"])
    for patches, word in (
        ([{"op": "replace", "path": "/attributes/item_name/0/value", "value": []}], "top-level"),
        ([{"op": "move", "path": "/attributes/brand", "value": []}], "op"),
        ([{"op": "replace", "path": "/attributes/brand"}], "value"),
        ([], "patches"),
    ):
        error = client.patch("LAMP-1", patches, status=400)["errors"][0]
        assert error["code"] == "InvalidInput" and word in error["message"], patches


def test_offer_only_and_product_only_requirements(box, spapi_check):
    client = Client(box, box.new_seller(), spapi_check)
    accepted(client.put("LAMP-1", listing_attributes(price=19.99)))
    offer = {
        "condition_type": [{"value": "used_good", "marketplace_id": US}],
        "purchasable_offer": [{"currency": "USD", "our_price": price(25)}],
    }
    body = {"productType": "PRODUCT", "requirements": "LISTING_OFFER_ONLY", "attributes": offer}
    accepted(client.put("LAMP-1", None, body=body))
    item = client.get("LAMP-1")
    assert item["summaries"][0]["itemName"] == "Desk lamp"  # the product facts stay
    assert item["summaries"][0]["conditionType"] == "used_good"
    assert item["offers"][0]["price"]["amount"] == "25.00"
    product = listing_attributes("Floor lamp")
    body = {"productType": "PRODUCT", "requirements": "LISTING_PRODUCT_ONLY", "attributes": product}
    answer = accepted(client.put("LAMP-1", None, body=body))
    assert {i["attributeNames"][0] for i in answer["issues"]} == {
        "condition_type",
        "purchasable_offer",
        "fulfillment_availability",
    }  # sales terms: not part of LISTING_PRODUCT_ONLY, ignored
    item = client.get("LAMP-1")
    assert item["summaries"][0]["itemName"] == "Floor lamp"
    assert item["offers"][0]["price"]["amount"] == "25.00"
    body = {
        "productType": "PRODUCT",
        "requirements": "LISTING_OFFER_ONLY",
        "attributes": {"condition_type": offer["condition_type"]},
    }
    (error,) = invalid(client.put("LAMP-1", None, body=body))
    assert error["attributeNames"] == ["purchasable_offer"]


def test_delete(box, spapi_check):
    creds = box.new_seller()
    client = Client(box, creds, spapi_check)
    accepted(client.put("LAMP-1", listing_attributes()))
    accepted(client.put("LAMP-2", listing_attributes("Floor lamp")))
    answer = accepted(client.delete("LAMP-1"))
    assert answer["sku"] == "LAMP-1" and answer["issues"] == []
    client.get("LAMP-1", status=404)
    assert set(client.catalog()) == set(mws_listings(box, creds)) == {"LAMP-2"}
    accepted(client.delete("LAMP-1"))  # nothing left to delete: still accepted
    error = client.delete("LAMP-1", status=400, marketplaceIds=f"{US},A2EUQ1WTGCTBG2")
    assert error["errors"][0]["code"] == "InvalidInput"


# ---- search ---------------------------------------------------------------------------------


def test_search_filters_and_paging(box, spapi_check):
    client = Client(box, box.new_seller(), spapi_check)
    for n in range(1, 6):
        upc = f"01234567890{n}"
        client.put(f"LAMP-{n}", listing_attributes(f"Lamp {n}", quantity=n - 1, upc=upc))
        box.advance(1)
    everything = client.search()
    assert everything["numberOfResults"] == 5 and "pagination" not in everything
    assert [i["sku"] for i in everything["items"]] == [f"LAMP-{n}" for n in range(5, 0, -1)]
    assert set(everything["items"][0]) == {"sku", "summaries"}
    params = {"pageSize": 2, "sortBy": "sku", "sortOrder": "ASC", "includedData": "offers"}
    pages, answer = [], client.search(**params)
    while True:
        pages.append([i["sku"] for i in answer["items"]])
        assert answer["numberOfResults"] == 5 and set(answer["items"][0]) == {"sku", "offers"}
        token = answer.get("pagination", {}).get("nextToken")
        if not token:
            break
        answer = client.search(pageToken=token, **params)
    assert pages == [["LAMP-1", "LAMP-2"], ["LAMP-3", "LAMP-4"], ["LAMP-5"]]
    back = client.search(pageToken=answer["pagination"]["previousToken"], **params)
    assert [i["sku"] for i in back["items"]] == ["LAMP-3", "LAMP-4"]
    error = client.search(status=400, pageToken=answer["pagination"]["previousToken"])
    assert error["errors"][0]["code"] == "InvalidInput"  # issued for other parameters
    found = client.search(identifiers="LAMP-2,LAMP-4,NOPE", identifiersType="SKU")
    assert sorted(i["sku"] for i in found["items"]) == ["LAMP-2", "LAMP-4"]
    found = client.search(identifiers="012345678903", identifiersType="UPC")
    assert [i["sku"] for i in found["items"]] == ["LAMP-3"]
    asin = client.get("LAMP-5")["summaries"][0]["asin"]
    assert client.search(identifiers=asin, identifiersType="ASIN")["items"][0]["sku"] == "LAMP-5"
    assert client.search(withoutStatus="BUYABLE")["items"][0]["sku"] == "LAMP-1"  # quantity 0
    assert client.search(withStatus="BUYABLE", sortBy="sku")["numberOfResults"] == 4
    assert client.search(withIssueSeverity="WARNING")["numberOfResults"] == 0
    assert client.search(packageHierarchySku="LAMP-1")["numberOfResults"] == 0
    first = client.get("LAMP-1")["summaries"][0]["createdDate"]
    assert client.search(createdAfter=first)["numberOfResults"] == 5
    assert client.search(createdBefore=first)["numberOfResults"] == 1
    for params in (
        {"pageSize": 21},
        {"identifiers": "LAMP-1"},
        {"identifiersType": "SKU"},
        {"identifiers": "LAMP-1", "identifiersType": "SKU", "variationParentSku": "X"},
        {"sortBy": "price"},
        {"withStatus": "SOLD"},
        {"includedData": "everything"},
        {"createdAfter": "yesterday"},
    ):
        error = client.search(status=400, **params)["errors"][0]
        assert error["code"] == "InvalidInput", params


# ---- variations, sellers, stock --------------------------------------------------------------


def shirt(size: str, **extra) -> dict:
    text = [{"value": "100% cotton", "language_tag": "en_US", "marketplace_id": US}]
    family = {
        "fabric_type": text,
        "parentage_level": [{"value": "child", "marketplace_id": US}],
        "child_parent_sku_relationship": [
            {"child_relationship_type": "variation", "parent_sku": "OXFORD", "marketplace_id": US}
        ],
        "variation_theme": [{"name": "SIZE/COLOR"}],
        "color": [{"value": "Blue", "language_tag": "en_US", "marketplace_id": US}],
        "size": [{"value": size, "language_tag": "en_US", "marketplace_id": US}],
    }
    return listing_attributes(f"Oxford shirt {size}", **{**family, **extra})


def test_variation_family(box, spapi_check):
    client = Client(box, box.new_seller(), spapi_check)
    accepted(client.put("OXFORD-M", shirt("M"), product_type="SHIRT"))  # before its parent
    parent = listing_attributes(  # as Amazon's variation examples: no parent_sku on a parent
        "Oxford shirt",
        fabric_type=shirt("M")["fabric_type"],
        parentage_level=[{"value": "parent", "marketplace_id": US}],
        child_parent_sku_relationship=[
            {"child_relationship_type": "variation", "marketplace_id": US}
        ],
        variation_theme=[{"name": "SIZE/COLOR"}],
    )
    for name in ("purchasable_offer", "condition_type", "externally_assigned_product_identifier"):
        del parent[name]
    accepted(client.put("OXFORD", parent, product_type="SHIRT"))
    accepted(client.put("OXFORD-L", shirt("L", upc="012345678912"), product_type="SHIRT"))
    family = client.get("OXFORD")
    assert family["summaries"][0]["status"] == ["DISCOVERABLE"]  # a parent is not buyable
    assert family["relationships"][0]["relationships"] == [
        {
            "type": "VARIATION",
            "childSkus": ["OXFORD-M", "OXFORD-L"],
            "variationTheme": {"attributes": ["size", "color"], "theme": "SIZE/COLOR"},
        }
    ]
    child = client.get("OXFORD-L")
    assert child["relationships"][0]["relationships"] == [
        {"type": "VARIATION", "parentSkus": ["OXFORD"]}
    ]
    assert child["summaries"][0]["status"] == ["BUYABLE", "DISCOVERABLE"]
    assert client.catalog()["OXFORD"]["relationships"] == [
        {"sku": "OXFORD-M", "type": "Variation"},
        {"sku": "OXFORD-L", "type": "Variation"},
    ]
    found = client.search(variationParentSku="OXFORD", sortBy="sku", sortOrder="ASC")
    assert [i["sku"] for i in found["items"]] == ["OXFORD-L", "OXFORD-M"]
    no_color = shirt("S")
    del no_color["color"]
    (error,) = invalid(client.put("OXFORD-S", no_color, product_type="SHIRT"))
    assert (error["code"], error["attributeNames"]) == ("90220", ["color"])
    wrong = shirt("S", variation_theme=[{"name": "FLAVOR"}])
    (error,) = invalid(client.put("OXFORD-S", wrong, product_type="SHIRT"))
    assert error["attributeNames"] == ["variation_theme"]
    orphan = shirt("S", parentage_level=[{"value": "child", "marketplace_id": US}])
    del orphan["child_parent_sku_relationship"][0]["parent_sku"]
    (error,) = invalid(client.put("OXFORD-S", orphan, product_type="SHIRT"))
    assert error["message"] == (
        "'child_parent_sku_relationship.parent_sku' is required but not supplied."
    )
    assert error["attributeNames"] == ["child_parent_sku_relationship"]


def test_seller_and_marketplace_checks(box, spapi_check):
    creds, other = box.new_seller(), box.new_seller()
    client = Client(box, creds, spapi_check)
    accepted(client.put("LAMP-1", listing_attributes()))
    resp = box.spapi(creds, Client(box, other, spapi_check).path("LAMP-1"), {"marketplaceIds": US})
    assert resp.status_code == 403
    assert spapi_check(resp, MODEL, "getListingsItem")["errors"][0]["code"] == "Unauthorized"
    for params in ({"marketplaceIds": "A1PA6795UKMFR9"}, {"marketplaceIds": ""}):
        error = client.get("LAMP-1", status=400, **params)["errors"][0]
        assert error["code"] == "InvalidInput"
    resp = box.spapi(
        creds, client.path("LAMP-1"), {"marketplaceIds": US}, method="PUT", token=client.token
    )
    assert resp.status_code == 400  # no body


def test_amazon_fulfilled_stock_is_amazons(box, spapi_check):
    creds = box.new_seller()
    client = Client(box, creds, spapi_check)
    accepted(client.put("LAMP-1", listing_attributes(quantity=5)))
    box.admin(
        "POST",
        f"/admin/sellers/{creds.seller_id}/catalog/LAMP-1",
        {"quantity": 12, "fulfillment_channel": "AFN"},
    )
    item = client.get("LAMP-1")
    assert item["fulfillmentAvailability"] == [
        {"fulfillmentChannelCode": "AMAZON_NA", "quantity": 12}
    ]
    assert item["summaries"][0]["fnSku"].startswith("X00")
    # the seller's quantity for an Amazon-fulfilled listing is not taken
    patch = quantity_patch(1)
    patch[0]["value"][0]["fulfillment_channel_code"] = "AMAZON_NA"
    accepted(client.patch("LAMP-1", patch))
    assert client.catalog()["LAMP-1"]["quantity"] == 12


# ---- throttling -----------------------------------------------------------------------------


def test_patch_is_throttled_at_five_per_second(start_sandbox, spapi_check):
    """The model's 5 per second, burst 5. The sandbox clock runs a thousand times slower than
    the real one, so that six requests are "immediate" even on a busy machine."""
    sandbox = start_sandbox("--time-scale", "0.001")
    seller = sandbox.new_seller()
    client = Client(sandbox, seller, spapi_check)
    accepted(client.put("LAMP-1", listing_attributes()))
    statuses = []
    for quantity in range(6):
        resp = sandbox.spapi(
            seller,
            client.path("LAMP-1"),
            {"marketplaceIds": US},
            method="PATCH",
            token=client.token,
            json={"productType": "PRODUCT", "patches": quantity_patch(quantity)},
        )
        assert resp.headers["x-amzn-RateLimit-Limit"] == "5"
        statuses.append(resp.status_code)
    assert statuses == [200] * 5 + [429]
    assert spapi_check(resp, MODEL, "patchListingsItem") == QUOTA
    assert client.catalog()["LAMP-1"]["quantity"] == 4
    sandbox.advance(0.2)  # one request back every 1 / 5 s
    accepted(client.patch("LAMP-1", quantity_patch(9)))
    assert client.get("LAMP-1")["fulfillmentAvailability"][0]["quantity"] == 9  # own bucket
