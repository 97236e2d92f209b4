"""The catalog over SP-API, pure part (lib/listings_json, lib/listings_checks): attributes from
plain values, patches, the JSON_LISTINGS_FEED document checked against Amazon's feed schemas,
the processing report and Listings Items answers, and the offline product type check."""

import gzip
import json
import os
import socket
import urllib.request
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from jsonschema import Draft7Validator

from amazon_integration.lib.feed_values import FeedDataError
from amazon_integration.lib.listings_checks import (
    IGNORED_KEYWORDS,
    Problem,
    SchemaError,
    parse_listing,
    parse_processing_report,
    parse_submission,
    schema_version,
    validate,
)
from amazon_integration.lib.listings_json import (
    MAX_MESSAGES,
    FeedMessage,
    ListingValues,
    attributes,
    build_feed,
    chunks,
    patches_for,
    price_patch,
    product_identifier,
    stock_patch,
)
from amazon_integration.lib.responses import ResponseParseError

ROOT = Path(__file__).resolve().parents[2]
DE = "A1PA6795UKMFR9"
US = "ATVPDKIKX0DER"


def spapi_dir() -> Path:
    """Amazon's SP-API files: beside $AMAZON_SPAPI_MODELS, else ../shared/amazon/sp-api
    beside the repository (as the sandbox tests find the models)."""
    env = os.environ.get("AMAZON_SPAPI_MODELS")
    return Path(env).parent if env else ROOT.parent / "shared" / "amazon" / "sp-api"


@pytest.fixture(scope="module")
def feed_schemas() -> Path:
    path = spapi_dir() / "schemas" / "feeds"
    if not (path / "listings-feed-schema-v2.json").exists():
        pytest.skip(f"Amazon's JSON listings feed schemas not found at {path}")
    return path


@pytest.fixture(scope="module")
def listings_model() -> dict:
    path = spapi_dir() / "models" / "listingsItems_2021-08-01.json"
    if not path.exists():
        pytest.skip(f"Amazon's Listings Items model not found at {path}")
    return json.loads(path.read_text(encoding="utf-8"))


def _schema(path: Path) -> Draft7Validator:
    schema = json.loads(path.read_text(encoding="utf-8"))
    Draft7Validator.check_schema(schema)
    return Draft7Validator(schema)


def full(**changes) -> ListingValues:
    values = {
        "sku": "SUITCASE-RED",
        "product_type": "LUGGAGE",
        "marketplace_id": DE,
        "language_tag": "de_DE",
        "name": "  Koffer\n  Rot ",
        "brand": "Acme",
        "barcode": "4006381333931",
        "bullet_points": ["Leicht", "", "  Robust  "],
        "description": "Zeile 1\r\nZeile 2",
        "currency": "eur",
        "price": Decimal("49.995"),
        "sale_price": 39.9,
        "sale_start": date(2025, 11, 20),
        "sale_end": date(2025, 12, 1),
        "min_price": 30,
        "max_price": "80",
        "list_price": 59,
        "quantity": 7,
        "lead_time_days": 2,
        "main_image_url": "https://img.example/main.jpg",
        "other_image_urls": [f"https://img.example/{i}.jpg" for i in range(1, 11)],
        "shipping_group": "legacy-template-id",
    }
    values.update(changes)
    return ListingValues(**values)


# --- attributes ---------------------------------------------------------------------------


def test_attributes_of_a_full_product():
    attrs = attributes(full())
    text = {"language_tag": "de_DE", "marketplace_id": DE}
    assert attrs["condition_type"] == [{"value": "new_new", "marketplace_id": DE}]
    assert attrs["item_name"] == [{"value": "Koffer Rot", **text}]
    assert attrs["brand"] == [{"value": "Acme", **text}]
    assert attrs["externally_assigned_product_identifier"] == [
        {"type": "ean", "value": "4006381333931", "marketplace_id": DE}
    ]
    assert attrs["bullet_point"] == [{"value": "Leicht", **text}, {"value": "Robust", **text}]
    assert attrs["product_description"] == [{"value": "Zeile 1\nZeile 2", **text}]
    assert attrs["purchasable_offer"] == [
        {
            "marketplace_id": DE,
            "currency": "EUR",
            "audience": "ALL",
            "our_price": [{"schedule": [{"value_with_tax": 50.0}]}],  # rounded half-up
            "discounted_price": [
                {
                    "schedule": [
                        {
                            "start_at": "2025-11-20T00:00:00Z",
                            "end_at": "2025-12-01T00:00:00Z",
                            "value_with_tax": 39.9,
                        }
                    ]
                }
            ],
            "minimum_seller_allowed_price": [{"schedule": [{"value_with_tax": 30.0}]}],
            "maximum_seller_allowed_price": [{"schedule": [{"value_with_tax": 80.0}]}],
        }
    ]
    assert attrs["list_price"] == [
        {"value_with_tax": 59.0, "currency": "EUR", "marketplace_id": DE}
    ]
    assert attrs["fulfillment_availability"] == [
        {"fulfillment_channel_code": "DEFAULT", "quantity": 7, "lead_time_to_ship_max_days": 2}
    ]
    assert attrs["main_product_image_locator"] == [
        {"media_location": "https://img.example/main.jpg", "marketplace_id": DE}
    ]
    others = [name for name in attrs if name.startswith("other_product_image_locator_")]
    assert others == [f"other_product_image_locator_{i}" for i in range(1, 9)]  # the first 8
    assert attrs["other_product_image_locator_8"][0]["media_location"].endswith("/8.jpg")
    assert attrs["merchant_shipping_group"] == [
        {"value": "legacy-template-id", "marketplace_id": DE}
    ]
    assert not {"parentage_level", "child_parent_sku_relationship", "variation_theme"} & set(attrs)
    for name, entries in attrs.items():
        assert isinstance(entries, list) and entries, name
        for entry in entries:
            assert None not in entry.values(), name
            if name != "fulfillment_availability":
                assert entry["marketplace_id"] == DE, name


def test_attributes_of_a_variant_child_and_its_parent():
    child = attributes(
        full(
            parentage="child",
            parent_sku="SUITCASE",
            variation_theme="COLOR",
            extra={"color": "Rot"},
        )
    )
    assert child["parentage_level"] == [{"value": "child", "marketplace_id": DE}]
    assert child["child_parent_sku_relationship"] == [
        {"child_relationship_type": "variation", "marketplace_id": DE, "parent_sku": "SUITCASE"}
    ]
    assert child["variation_theme"] == [{"name": "COLOR"}]
    assert child["color"] == [{"value": "Rot", "marketplace_id": DE, "language_tag": "de_DE"}]

    parent = attributes(
        ListingValues(
            "SUITCASE", "LUGGAGE", DE, "de_DE", name="Koffer", parentage="parent",
            variation_theme="COLOR",
        )
    )  # fmt: skip
    assert parent["parentage_level"] == [{"value": "parent", "marketplace_id": DE}]
    assert parent["child_parent_sku_relationship"] == [
        {"child_relationship_type": "variation", "marketplace_id": DE}
    ]
    assert "purchasable_offer" not in parent and "fulfillment_availability" not in parent

    with pytest.raises(FeedDataError, match="parent's SKU"):
        attributes(full(parentage="child"))
    with pytest.raises(FeedDataError, match="parent or child"):
        attributes(full(parentage="sibling"))


def test_empty_values_are_left_out_and_fba_sends_no_quantity():
    bare = ListingValues("SKU-1", "PRODUCT", US, "en_US", name="", brand=None, bullet_points=[" "])
    assert attributes(bare) == {"condition_type": [{"value": "new_new", "marketplace_id": US}]}
    assert attributes(ListingValues("SKU-1", "PRODUCT", US, "en_US", condition=None)) == {}
    fba = attributes(full(fulfillment_channel="AMAZON_EU", quantity=12, lead_time_days=3))
    assert fba["fulfillment_availability"] == [{"fulfillment_channel_code": "AMAZON_EU"}]
    assert attributes(full(quantity=-4))["fulfillment_availability"][0]["quantity"] == 0


def test_value_refusals_name_the_attribute():
    with pytest.raises(FeedDataError, match="currency") as caught:
        attributes(full(currency=None))
    assert caught.value.key == "SUITCASE-RED" and caught.value.field == "currency"
    with pytest.raises(FeedDataError, match="start and an end"):
        attributes(full(sale_end=None))
    with pytest.raises(FeedDataError, match="before it starts"):
        attributes(full(sale_start=date(2026, 1, 1)))
    with pytest.raises(FeedDataError, match="language tag"):
        attributes(full(language_tag=None))
    with pytest.raises(FeedDataError, match="http"):
        attributes(full(main_image_url="ftp://img.example/main.jpg"))
    with pytest.raises(FeedDataError, match="negative"):
        attributes(full(price=-1))


@pytest.mark.parametrize(
    ("barcode", "expected"),
    [
        ("036000291452", ("upc", "036000291452")),
        ("4006381333931", ("ean", "4006381333931")),
        ("400-6381 333931", ("ean", "4006381333931")),
        ("96385074", ("ean", "96385074")),
        ("10012345678902", ("gtin", "10012345678902")),
    ],
)
def test_barcode_type_by_length_and_check_digit(barcode, expected):
    assert product_identifier(barcode) == expected


@pytest.mark.parametrize(
    ("barcode", "reason"),
    [
        ("4006381333932", "check digit"),
        ("036000291453", "check digit"),
        ("12345678901", "UPC"),
        ("B07XJ8C8F5", "UPC"),
        ("", "UPC"),
    ],
)
def test_barcode_refusals(barcode, reason):
    with pytest.raises(FeedDataError, match=reason):
        product_identifier(barcode, key="SKU-1")


def test_extra_mapping_paths():
    extra = {
        "color": "Rot",
        "material[0].value": "Baumwolle",
        "material[1].value": "Leder",
        "item_package_dimensions.length.value": Decimal("10.5"),
        "item_package_dimensions.length.unit": "centimeters",
        "item_package_dimensions[0].width": {"value": 20, "unit": "centimeters"},
        "number_of_items": 2,
        "batteries_required": False,
        "special_feature": ["wasserdicht", "leicht"],
        "purchasable_offer[0].audience": "B2B",
        "list_price": None,
        "merchant_shipping_group[0]": None,
        "country_of_origin": "CN",
        "country_of_origin[0].language_tag": None,
        "release_date": date(2025, 3, 1),
        "care_instructions[0].language_tag": None,  # nothing to remove: nothing created
        "model_name.value": "",
    }
    attrs = attributes(full(extra=extra))
    text = {"marketplace_id": DE, "language_tag": "de_DE"}
    assert attrs["color"] == [{"value": "Rot", **text}]
    assert attrs["material"] == [{"value": "Baumwolle", **text}, {"value": "Leder", **text}]
    assert attrs["item_package_dimensions"] == [
        {
            "marketplace_id": DE,
            "length": {"value": 10.5, "unit": "centimeters"},
            "width": {"value": 20, "unit": "centimeters"},
        }
    ]
    assert attrs["number_of_items"] == [{"value": 2, "marketplace_id": DE}]
    assert attrs["batteries_required"] == [{"value": False, "marketplace_id": DE}]
    assert attrs["special_feature"] == [
        {"value": "wasserdicht", **text},
        {"value": "leicht", **text},
    ]
    assert attrs["purchasable_offer"][0]["audience"] == "B2B"
    assert attrs["purchasable_offer"][0]["our_price"]  # set in place, the rest kept
    assert "list_price" not in attrs and "merchant_shipping_group" not in attrs
    assert attrs["country_of_origin"] == [{"value": "CN", "marketplace_id": DE}]
    assert attrs["release_date"] == [{"value": "2025-03-01", **text}]
    assert "care_instructions" not in attrs and "model_name" not in attrs
    json.dumps(attrs)  # plain JSON values only


@pytest.mark.parametrize("path", ["", "[0].value", "color..value", "color.[0]", "a[x]", "color[2]"])
def test_bad_extra_paths_are_refused(path):
    with pytest.raises(FeedDataError) as caught:
        attributes(full(extra={path: "x"}))
    assert caught.value.key == "SUITCASE-RED"


def test_hook_changes_the_attributes():
    seen = []

    def in_place(attrs, values):
        seen.append(values.sku)
        attrs["item_name"][0]["value"] += " (2 Stück)"
        del attrs["list_price"]

    attrs = attributes(full(), hook=in_place)
    assert seen == ["SUITCASE-RED"]
    assert attrs["item_name"][0]["value"] == "Koffer Rot (2 Stück)"
    assert "list_price" not in attrs
    assert attributes(full(), hook=lambda attrs, values: {"brand": attrs["brand"]}) == {
        "brand": [{"value": "Acme", "language_tag": "de_DE", "marketplace_id": DE}]
    }


# --- patches ------------------------------------------------------------------------------


def test_stock_and_price_patches():
    assert stock_patch(full()) == [
        {
            "op": "replace",
            "path": "/attributes/fulfillment_availability",
            "value": [
                {
                    "fulfillment_channel_code": "DEFAULT",
                    "quantity": 7,
                    "lead_time_to_ship_max_days": 2,
                }
            ],
        }
    ]
    assert stock_patch(full(fulfillment_channel="AMAZON_EU"))[0]["value"] == [
        {"fulfillment_channel_code": "AMAZON_EU"}
    ]
    price = price_patch(full())
    assert [p["path"] for p in price] == ["/attributes/purchasable_offer", "/attributes/list_price"]
    assert price[0]["value"] == attributes(full())["purchasable_offer"]
    assert [p["path"] for p in price_patch(full(list_price=None))] == [
        "/attributes/purchasable_offer"
    ]
    with pytest.raises(FeedDataError, match="quantity"):
        stock_patch(full(quantity=None))
    with pytest.raises(FeedDataError, match="price"):
        price_patch(full(price=None))


def test_patches_for_groups():
    values = full(extra={"color": "Rot"})
    paths = lambda what: [(p["op"], p["path"].rsplit("/", 1)[1]) for p in patches_for(values, what)]  # noqa: E731
    assert paths("stock") == [("replace", "fulfillment_availability")]
    assert paths({"price"}) == [("replace", "purchasable_offer"), ("replace", "list_price")]
    content = paths("content")
    assert ("replace", "item_name") in content and ("replace", "color") in content
    assert not {"purchasable_offer", "fulfillment_availability", "main_product_image_locator"} & {
        name for _op, name in content
    }
    images = patches_for(full(other_image_urls=["https://img.example/1.jpg"]), "images")
    assert [(p["op"], p["path"]) for p in images[:3]] == [
        ("replace", "/attributes/main_product_image_locator"),
        ("replace", "/attributes/other_product_image_locator_1"),
        ("delete", "/attributes/other_product_image_locator_2"),
    ]
    assert len(images) == 9 and images[-1]["value"] == [{"marketplace_id": DE}]
    assert patches_for(full(), {"stock", "price"}) == stock_patch(full()) + price_patch(full())
    with pytest.raises(ValueError, match="patch groups"):
        patches_for(values, {"stock", "colour"})
    with pytest.raises(FeedDataError, match="quantity"):
        patches_for(full(quantity=None, extra={"color": "Rot"}), {"stock", "content"})
    with pytest.raises(FeedDataError, match="no image"):
        patches_for(full(main_image_url=None, other_image_urls=()), "images")


# --- the feed document --------------------------------------------------------------------


def three_messages():
    return [
        FeedMessage.for_update(full(name="Koffer – Größe M")),
        FeedMessage.for_patch(full(sku="BAG-1"), {"stock", "price"}),
        FeedMessage.for_delete("OLD-SKU", marketplace_id=DE),
    ]


def test_feed_validates_against_amazons_schemas(feed_schemas):
    body = build_feed("A2SELLER", three_messages(), marketplace_id=DE, issue_locale="de_DE")
    document = json.loads(body.decode("utf-8"))
    _schema(feed_schemas / "listings-feed-schema-v2.json").validate(document)
    message_schema = _schema(feed_schemas / "listings-feed-message-schema-v2.json")
    for message in document["messages"]:
        message_schema.validate(message)
    assert document["header"] == {"sellerId": "A2SELLER", "version": "2.0", "issueLocale": "de_DE"}
    assert [(m["messageId"], m["sku"], m["operationType"]) for m in document["messages"]] == [
        (1, "SUITCASE-RED", "UPDATE"),
        (2, "BAG-1", "PATCH"),
        (3, "OLD-SKU", "DELETE"),
    ]
    update, patch, delete = document["messages"]
    assert update["productType"] == "LUGGAGE" and update["requirements"] == "LISTING"
    assert update["attributes"]["item_name"][0]["value"] == "Koffer – Größe M"
    assert len(patch["patches"]) == 3 and delete == {
        "messageId": 3,
        "sku": "OLD-SKU",
        "operationType": "DELETE",
    }
    # UTF-8 as is, compact, and the same bytes as a bare json.dumps of the document
    assert "Koffer – Größe M".encode() in body and b"\\u" not in body and b", " not in body
    assert body == json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def test_feed_with_the_report_asked_for_validates(feed_schemas):
    body = build_feed(
        "A2SELLER",
        [FeedMessage("SKU-1", "PARTIAL_UPDATE", "LUGGAGE", attributes=stock_attrs())],
        marketplace_id=DE,
        included_data=["issues", "summaries"],
    )
    document = json.loads(body)
    _schema(feed_schemas / "listings-feed-schema-v2.json").validate(document)
    assert document["header"]["report"] == {
        "includedData": ["issues", "summaries"],
        "apiVersion": "2021-08-01",
    }


def stock_attrs():
    return {"fulfillment_availability": [{"fulfillment_channel_code": "DEFAULT", "quantity": 3}]}


def test_mixed_marketplaces_are_refused():
    messages = [
        *three_messages(),
        FeedMessage.for_patch(full(sku="US-1", marketplace_id=US), "stock"),
    ]
    with pytest.raises(ValueError, match="one marketplace per feed"):
        build_feed("A2SELLER", messages, marketplace_id=DE)


def test_feed_message_refusals():
    def refused(message, match):
        with pytest.raises(ValueError, match=match):
            build_feed("A2SELLER", [message], marketplace_id=DE)

    refused(FeedMessage("SKU-1", "UPDATE", None, attributes=stock_attrs()), "productType")
    refused(FeedMessage("SKU-1", "UPDATE", "LUGGAGE", attributes={}), "needs attributes")
    refused(FeedMessage("SKU-1", "PATCH", "LUGGAGE"), "needs patches")
    refused(FeedMessage("SKU-1", "REPLACE", "LUGGAGE"), "operationType")
    refused(FeedMessage("x" * 41, "DELETE"), "40")
    with pytest.raises(ValueError, match="at least one"):
        build_feed("A2SELLER", [], marketplace_id=DE)
    twice = [FeedMessage("A", "DELETE", message_id=2), FeedMessage("B", "DELETE")]
    with pytest.raises(ValueError, match="messageId 2"):
        build_feed("A2SELLER", twice, marketplace_id=DE)


def test_chunks_at_25000():
    messages = [FeedMessage(f"SKU-{i}", "DELETE") for i in range(MAX_MESSAGES + 1)]
    with pytest.raises(ValueError, match="chunks"):
        build_feed("A2SELLER", messages, marketplace_id=DE)
    parts = list(chunks(messages))
    assert [len(part) for part in parts] == [MAX_MESSAGES, 1]
    assert parts[1][0].sku == f"SKU-{MAX_MESSAGES}"
    first = json.loads(build_feed("A2SELLER", parts[0], marketplace_id=DE))
    assert first["messages"][-1]["messageId"] == MAX_MESSAGES
    assert [len(p) for p in chunks(iter(messages[:5]), size=2)] == [2, 2, 1]
    assert list(chunks([])) == []


# --- Amazon's answers ---------------------------------------------------------------------


def test_processing_report_example(feed_schemas):
    raw = (feed_schemas / "listings-feed-processing-report-schema-v2.example.json").read_bytes()
    for body in (raw, raw.decode("utf-8"), gzip.compress(raw), b"\xef\xbb\xbf" + raw):
        report = parse_processing_report(body)
        assert (report.seller_id, report.feed_id) == ("AXXXXXXXXXXXX", "1234567890")
        assert (report.errors, report.warnings, report.processed) == (3, 0, 4)
        assert (report.accepted, report.invalid) == (2, 2)
        assert sorted(report.issues) == [4, 5]
        assert report.skus == {4: "My-SKU-B", 5: "My-SKU-C"}
        assert [(i.code, i.severity) for i in report.issues[4]] == [("90220", "ERROR")] * 2
        assert "batteries_required" in report.issues[4][0].message
        [offer] = report.issues[5]
        assert offer.attribute_names == ("purchasable_offer.our_price",) and offer.is_error
        assert len(report.items) == 2
    status, text = report.outcome(5)
    assert status == "error" and "ERROR 99022" in text and "purchasable_offer.our_price" in text
    assert report.outcome(1) == ("success", "")


def test_processing_report_of_a_refused_feed():
    body = json.dumps(
        {
            "header": {"sellerId": "A2SELLER", "version": "2.0", "feedId": 5001},
            "issues": [
                {"code": "FATAL", "severity": "ERROR", "message": "not processed"},
                {"messageId": "2", "sku": "S", "code": "1", "severity": "WARNING", "message": "w"},
            ],
            "summary": {"errors": 1, "warnings": 1, "messagesProcessed": 0,
                        "messagesAccepted": 0, "messagesInvalid": 0},
        }
    )  # fmt: skip
    report = parse_processing_report(body)
    assert report.feed_id == "5001" and [i.code for i in report.document_issues] == ["FATAL"]
    assert report.outcome(1)[0] == "error" and report.outcome(2)[0] == "error"
    assert report.issues[2][0].severity == "WARNING"


@pytest.mark.parametrize(
    "body",
    [
        None,
        b"",
        b"  ",
        b"<AmazonEnvelope/>",
        b"[1, 2]",
        b'{"issues": []}',
        b'{"header": {}, "summary": {"errors": "many"}}',
        b'{"header": {}, "summary": {}, "issues": {"a": 1}}',
        b'{"header": {}, "summary": {}, "issues": [{"messageId": "x"}]}',
        b"\x1f\x8b\x08broken",
        b"\xff\xfe{}",
    ],
)
def test_unreadable_reports_raise(body):
    with pytest.raises(ResponseParseError):
        parse_processing_report(body)


def test_submission_answers(listings_model):
    path = listings_model["paths"]["/listings/2021-08-01/items/{sellerId}/{sku}"]
    example = path["patch"]["responses"]["200"]["examples"]["application/json"]
    accepted = parse_submission(example)
    assert accepted.accepted and accepted.status == "ACCEPTED" and accepted.issues == ()
    assert (accepted.sku, accepted.submission_id) == (
        "GM-ZDPI-9B4E",
        "f1dc2914-75dd-11ea-bc55-0242ac130003",
    )
    invalid = parse_submission(
        json.dumps(
            {
                "sku": "SKU-1",
                "status": "INVALID",
                "submissionId": "s-1",
                "issues": [
                    {
                        "code": "90220",
                        "message": "'brand' is required but not supplied.",
                        "severity": "ERROR",
                        "attributeNames": ["brand"],
                        "categories": ["MISSING_ATTRIBUTE"],
                    }
                ],
            }
        ).encode()
    )
    assert not invalid.accepted
    assert [(i.code, i.attribute_names, i.categories) for i in invalid.issues] == [
        ("90220", ("brand",), ("MISSING_ATTRIBUTE",))
    ]
    with pytest.raises(ResponseParseError, match="InvalidInput"):
        parse_submission({"errors": [{"code": "InvalidInput", "message": "bad"}]})
    with pytest.raises(ResponseParseError, match="status"):
        parse_submission({"sku": "SKU-1"})


def test_listing_answer(listings_model):
    path = listings_model["paths"]["/listings/2021-08-01/items/{sellerId}/{sku}"]
    example = path["get"]["responses"]["200"]["examples"]["application/json"]
    us = parse_listing(example, US)
    assert (us.sku, us.asin, us.product_type) == ("GM-ZDPI-9B4E", "B071VG5N9D", "LUGGAGE")
    assert us.statuses == ("BUYABLE",) and us.buyable
    assert (us.price, us.currency) == (Decimal("100.00"), "USD")
    assert (us.quantity, us.fulfillment_channel) == (100, "DEFAULT")
    assert [i.code for i in us.issues] == ["90220", "18027", "99300", "18155", "18742"]
    assert us.issues[0].attribute_names == ("size",)
    ca = parse_listing(json.dumps(example), "A2EUQ1WTGCTBG2")
    assert (
        ca.statuses == ()
        and not ca.buyable
        and (ca.price, ca.currency) == (Decimal("130.00"), "CAD")
    )
    assert [i.code for i in ca.issues] == ["18027", "99300"]
    assert parse_listing({"sku": "S"}).asin is None
    with pytest.raises(ResponseParseError, match="sku"):
        parse_listing({"summaries": []})


# --- the product type schema --------------------------------------------------------------

PRODUCT_TYPE = {
    "$schema": "https://schemas.amazon.com/selling-partners/definitions/product-types/meta-schema/v1",
    "$id": "https://schemas.amazon.com/selling-partners/definitions/product-types/schema/v1/TEST",
    "$defs": {
        "marketplace_id": {"type": "string", "editable": False, "hidden": True},
        "language_tag": {"type": "string", "editable": False, "hidden": True},
        "text": {
            "type": "array",
            "minItems": 1,
            "minUniqueItems": 1,
            "maxUniqueItems": 1,
            "selectors": ["marketplace_id", "language_tag"],
            "items": {
                "type": "object",
                "required": ["language_tag", "value"],
                "additionalProperties": False,
                "properties": {
                    "value": {"type": "string", "minLength": 1, "maxUtf8ByteLength": 20},
                    "language_tag": {"$ref": "#/$defs/language_tag"},
                    "marketplace_id": {"$ref": "#/$defs/marketplace_id"},
                },
            },
        },
        "schedule": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["schedule"],
                "properties": {
                    "schedule": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["value_with_tax"],
                            "properties": {
                                "value_with_tax": {"type": "number", "minimum": 0.01},
                                "start_at": {"type": "string", "format": "date-time"},
                                "end_at": {"type": "string", "format": "date-time"},
                            },
                        },
                    }
                },
            },
        },
    },
    "type": "object",
    "required": ["item_name", "brand", "condition_type"],
    "properties": {
        "item_name": {"$ref": "#/$defs/text"},
        "brand": {"$ref": "#/$defs/text"},
        "condition_type": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["value"],
                "properties": {
                    "value": {
                        "type": "string",
                        "enum": ["new_new", "used_like_new", "refurbished_refurbished"],
                        "enumNames": ["New", "Used - Like New", "Refurbished"],
                    },
                    "marketplace_id": {"$ref": "#/$defs/marketplace_id"},
                },
            },
        },
        "purchasable_offer": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["currency", "our_price"],
                "properties": {
                    "currency": {"type": "string", "enum": ["EUR", "USD"]},
                    "audience": {"type": "string"},
                    "marketplace_id": {"$ref": "#/$defs/marketplace_id"},
                    "our_price": {"$ref": "#/$defs/schedule"},
                    "discounted_price": {"$ref": "#/$defs/schedule"},
                    "minimum_seller_allowed_price": {"$ref": "#/$defs/schedule"},
                    "maximum_seller_allowed_price": {"$ref": "#/$defs/schedule"},
                },
            },
        },
    },
}


@pytest.fixture
def no_network(monkeypatch):
    """Every way out refused and recorded (a library could swallow the refusal)."""
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise AssertionError(f"network used: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    yield
    assert attempts == []


def good_listing():
    return ListingValues(
        "SKU-1", "TEST", DE, "de_DE", name="Koffer", brand="Acme", currency="EUR", price=10,
        sale_price=8, sale_start=date(2025, 1, 1), sale_end=date(2025, 2, 1),
    )  # fmt: skip


def test_a_good_listing_has_no_problem(no_network):
    assert validate(PRODUCT_TYPE, attributes(good_listing())) == []
    assert {"selectors", "maxUniqueItems", "enumNames", "editable", "hidden"} <= set(
        IGNORED_KEYWORDS
    )


def test_missing_attributes_are_named_one_by_one(no_network):
    problems = validate(PRODUCT_TYPE, {"condition_type": [{"value": "new_new"}]})
    assert problems == [
        Problem("item_name", "item_name is required"),
        Problem("brand", "brand is required"),
    ]


def test_one_problem_per_attribute(no_network):
    attrs = attributes(good_listing())
    attrs["condition_type"][0]["value"] = "brand_new"
    attrs["brand"][0]["value"] = "Ä" * 11  # 11 characters, 22 bytes in UTF-8
    offer = attrs["purchasable_offer"][0]
    offer["currency"] = "GBP"
    offer["our_price"][0]["schedule"][0]["value_with_tax"] = "10"
    offer["discounted_price"][0]["schedule"][0]["value_with_tax"] = 0
    problems = {p.attribute: p for p in validate(PRODUCT_TYPE, attrs)}
    assert list(problems) == ["brand", "condition_type", "purchasable_offer"]
    assert problems["condition_type"].path == "condition_type[0].value"
    assert (
        "'brand_new' is not an allowed value (new_new, used_like_new"
        in problems["condition_type"].message
    )
    assert problems["brand"].path == "brand[0].value"
    assert "22 bytes in UTF-8, more than 20" in problems["brand"].message
    assert problems["purchasable_offer"].message.startswith("purchasable_offer[0]")
    assert str(problems["brand"]) == problems["brand"].message


def test_nested_and_root_shapes(no_network):
    attrs = attributes(good_listing())
    del attrs["purchasable_offer"][0]["our_price"]
    assert validate(PRODUCT_TYPE, attrs) == [
        Problem(
            "purchasable_offer",
            "purchasable_offer[0].our_price is required",
            "purchasable_offer[0]",
        )
    ]
    either = {
        **PRODUCT_TYPE,
        "required": [],
        "anyOf": [{"required": ["item_name"]}, {"required": ["brand"]}],
    }
    assert validate(either, {}) == [Problem("item_name or brand", "item_name or brand is required")]
    assert validate(PRODUCT_TYPE, [])[0].attribute == ""


def test_validation_never_uses_the_network(no_network):
    remote = {
        **PRODUCT_TYPE,
        "properties": {"brand": {"$ref": "https://schemas.example/brand.json"}},
    }
    with pytest.raises(SchemaError, match=r"brand\.json"):
        validate(remote, {"brand": [{"value": "Acme"}]})
    with pytest.raises(SchemaError):
        validate("not a schema", {})


def test_schema_version():
    definition = {
        "productType": "LUGGAGE",
        "productTypeVersion": {"version": "U8Ng2XZ3bNkKNpB3K4m3g5OfIk3ZB0w", "latest": True},
        "schema": {
            "link": {"resource": "https://example/schema.json", "verb": "GET"},
            "checksum": "x",
        },
    }
    assert schema_version(definition) == "U8Ng2XZ3bNkKNpB3K4m3g5OfIk3ZB0w"
    assert schema_version(json.dumps(definition).encode()) == "U8Ng2XZ3bNkKNpB3K4m3g5OfIk3ZB0w"
    with pytest.raises(ResponseParseError, match="productTypeVersion"):
        schema_version({"productType": "LUGGAGE"})


def test_a_submission_answer_is_one_outcome():
    """What a direct call's answer puts on its feed line: state, text, Amazon's code."""
    accepted = parse_submission(b'{"sku": "A", "status": "ACCEPTED", "submissionId": "s1"}')
    assert accepted.outcome() == ("success", "ACCEPTED", None)
    warned = parse_submission(
        b'{"sku": "A", "status": "ACCEPTED", "submissionId": "s2", "issues": [{"code": "18027",'
        b' "message": "Image too small", "severity": "WARNING"}]}'
    )
    assert warned.outcome() == ("warning", "WARNING 18027: Image too small", "18027")
    refused = parse_submission(
        b'{"sku": "A", "status": "INVALID", "submissionId": "s3", "issues": ['
        b'{"code": "90000", "message": "Just so you know", "severity": "INFO"},'
        b'{"code": "13013", "message": "No such SKU", "severity": "ERROR"}]}'
    )
    assert refused.outcome() == ("error", "ERROR 13013: No such SKU", "13013")
    silent = parse_submission(b'{"sku": "A", "status": "INVALID", "submissionId": "s4"}')
    assert silent.outcome() == ("error", "INVALID", None)
