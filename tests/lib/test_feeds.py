"""Feed building: every feed type, validated against Amazon's amzn-envelope.xsd."""

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from lxml import etree

from amazon_integration.lib import feeds as F
from amazon_integration.lib.feeds import FeedDataError, build_feed

_SCHEMA = {}


@pytest.fixture(scope="module")
def schema(amazon_xsd_dir):
    if "schema" not in _SCHEMA:
        parser = etree.XMLParser(no_network=True)
        _SCHEMA["schema"] = etree.XMLSchema(
            etree.parse(str(amazon_xsd_dir / "amzn-envelope.xsd"), parser)
        )
    return _SCHEMA["schema"]


@pytest.fixture
def valid(schema):
    """Parse a FeedDocument, assert it validates, return its root."""

    def check(doc):
        assert doc.xml.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
        root = etree.fromstring(doc.xml)
        if not schema.validate(root):
            raise AssertionError(f"XSD: {schema.error_log}\n{doc.xml[:3000]!r}")
        ids = [int(x) for x in root.xpath("/AmazonEnvelope/Message/MessageID/text()")]
        assert ids == list(range(1, len(ids) + 1))
        assert sorted(doc.message_map) == ids
        return root

    return check


def _texts(root, path):
    return root.xpath(path + "/text()")


# --- envelope ------------------------------------------------------------------------------


def test_envelope_header_type_and_message_map(valid):
    messages = [F.InventoryMessage(key=("row", n), sku=f"SKU-{n}", quantity=n) for n in (7, 3, 9)]
    doc = build_feed("Inventory", "A1B2C3MERCHANT", messages)
    root = valid(doc)
    assert doc.feed_type == "_POST_INVENTORY_AVAILABILITY_DATA_"
    assert doc.message_type == "Inventory"
    assert doc.message_count == 3
    assert _texts(root, "/AmazonEnvelope/Header/DocumentVersion") == ["1.01"]
    assert _texts(root, "/AmazonEnvelope/Header/MerchantIdentifier") == ["A1B2C3MERCHANT"]
    assert _texts(root, "/AmazonEnvelope/MessageType") == ["Inventory"]
    assert root.find("PurgeAndReplace") is None
    # each MessageID maps back to the key of the message that carries that SKU
    for message in root.iter("Message"):
        key = doc.message_map[int(message.findtext("MessageID"))]
        assert message.findtext("Inventory/SKU") == f"SKU-{key[1]}"
        assert message.findtext("OperationType") == "Update"


def test_feed_type_alias_purge_and_generator_input(valid):
    messages = (F.PriceMessage(n, f"S{n}", Decimal("1.50") * n) for n in range(1, 4))
    doc = build_feed("_POST_PRODUCT_PRICING_DATA_", "M", messages, purge_and_replace=True)
    root = valid(doc)
    assert doc.message_type == "Price"
    assert _texts(root, "/AmazonEnvelope/PurgeAndReplace") == ["true"]
    assert doc.message_map == {1: 1, 2: 2, 3: 3}


def test_dict_messages_and_unknown_fields(valid):
    doc = build_feed("Inventory", "M", [{"key": 5, "sku": "A", "quantity": 2}])
    root = valid(doc)
    assert doc.message_map == {1: 5}
    assert _texts(root, "//Quantity") == ["2"]
    with pytest.raises(FeedDataError, match=r"unknown field.*qty"):
        build_feed("Inventory", "M", [{"key": 5, "sku": "A", "qty": 2}])
    with pytest.raises(TypeError):
        build_feed("Inventory", "M", [F.PriceMessage(1, "A", 1)])


def test_envelope_errors():
    with pytest.raises(ValueError, match="unsupported message type"):
        build_feed("Listings", "M", [])
    with pytest.raises(FeedDataError, match="no Inventory message"):
        build_feed("Inventory", "M", [])
    with pytest.raises(FeedDataError, match="MerchantIdentifier"):
        build_feed("Inventory", " ", [F.InventoryMessage(1, "A", 1)])
    with pytest.raises(ValueError, match="Override"):
        build_feed("Inventory", "M", [F.InventoryMessage(1, "A", 1)], marketplace_name="x")
    with pytest.raises(FeedDataError, match="PartialUpdate"):
        build_feed("Inventory", "M", [F.InventoryMessage(1, "A", 1, operation="PartialUpdate")])


def test_skip_invalid_leaves_bad_messages_out_and_renumbers(valid):
    messages = [
        F.InventoryMessage("good-1", "A", 1),
        F.InventoryMessage("bad-sku", "X" * 41, 1),
        F.InventoryMessage("bad-latency", "B", 1, fulfillment_latency=31),
        F.InventoryMessage("good-2", "C", 2),
    ]
    with pytest.raises(FeedDataError, match=r"key='bad-sku'.*SKU"):
        build_feed("Inventory", "M", messages)
    doc = build_feed("Inventory", "M", messages, skip_invalid=True)
    root = valid(doc)
    assert doc.message_map == {1: "good-1", 2: "good-2"}
    assert [key for key, _ in doc.rejected] == ["bad-sku", "bad-latency"]
    assert "FulfillmentLatency" in doc.rejected[1][1]
    assert _texts(root, "//SKU") == ["A", "C"]
    # every message refused: an empty document naming them, never an exception that would
    # stop the caller's run (one bad product blocked the whole catalog)
    alone = build_feed("Inventory", "M", messages[1:2], skip_invalid=True)
    assert alone.message_map == {} and alone.xml == b""
    assert [key for key, _ in alone.rejected] == ["bad-sku"]
    with pytest.raises(FeedDataError, match=r"key='bad-sku'"):
        build_feed("Inventory", "M", messages[1:2])
    with pytest.raises(FeedDataError, match="no Inventory message to send"):
        build_feed("Inventory", "M", [], skip_invalid=True)


def test_text_lxml_refuses_becomes_feed_data_error():
    # a lone surrogate cannot be encoded: the builder reports it against the message key
    with pytest.raises(FeedDataError, match="key=9"):
        build_feed("Inventory", "M", [F.InventoryMessage(9, "A\ud800B", 1)])


# --- inventory ------------------------------------------------------------------------------


def test_inventory_quantities_latency_restock_and_afn(valid):
    messages = [
        F.InventoryMessage(1, "MFN-1", 12, fulfillment_latency=2, restock_date=date(2024, 5, 1)),
        F.InventoryMessage(2, "MFN-ZERO", 0),
        F.InventoryMessage(3, "MFN-NEG", -4),
        F.InventoryMessage(4, "AFN-1", quantity=99, afn=True, fulfillment_latency=3),
        F.InventoryMessage(5, "AFN-EU", afn=True, fulfillment_center_id="AMAZON_EU"),
        F.InventoryMessage(6, "SWITCH", 5, switch_fulfillment_to="MFN"),
        F.InventoryMessage(7, "SWITCH-AFN", afn=True, switch_fulfillment_to="AFN"),
        F.InventoryMessage(8, "MAXLAT", "3", fulfillment_latency=30),
    ]
    root = valid(build_feed("Inventory", "M", messages))
    inv = {i.findtext("SKU"): i for i in root.iter("Inventory")}
    assert [c.tag for c in inv["MFN-1"]] == ["SKU", "Quantity", "RestockDate", "FulfillmentLatency"]
    assert inv["MFN-1"].findtext("RestockDate") == "2024-05-01"
    assert inv["MFN-ZERO"].findtext("Quantity") == "0"
    assert inv["MFN-NEG"].findtext("Quantity") == "0"
    assert [c.tag for c in inv["AFN-1"]] == ["SKU", "FulfillmentCenterID", "Lookup"]
    assert inv["AFN-1"].findtext("FulfillmentCenterID") == "AMAZON_NA"
    assert inv["AFN-1"].findtext("Lookup") == "FulfillmentNetwork"
    assert inv["AFN-EU"].findtext("FulfillmentCenterID") == "AMAZON_EU"
    assert inv["SWITCH"].findtext("SwitchFulfillmentTo") == "MFN"
    assert inv["SWITCH-AFN"].findtext("SwitchFulfillmentTo") == "AFN"
    assert inv["MAXLAT"].findtext("Quantity") == "3"
    assert inv["MAXLAT"].findtext("FulfillmentLatency") == "30"


@pytest.mark.parametrize(
    ("message", "match"),
    [
        (F.InventoryMessage(1, "A"), "quantity is required"),
        (F.InventoryMessage(1, "A", 1, fulfillment_latency=0), "FulfillmentLatency"),
        (F.InventoryMessage(1, "A", 1, fulfillment_latency=31), "FulfillmentLatency"),
        (F.InventoryMessage(1, "A", 1.5), "not an integer"),
        (F.InventoryMessage(1, "A", 1, switch_fulfillment_to="FBA"), "SwitchFulfillmentTo"),
        (F.InventoryMessage(1, "", 1), "SKU"),
        (F.InventoryMessage(1, "A\tB", 1), "control characters"),
        (F.InventoryMessage(1, "A", 1, restock_date="soon"), "RestockDate"),
    ],
)
def test_inventory_rejects(message, match):
    with pytest.raises(FeedDataError, match=match):
        build_feed("Inventory", "M", [message])


def test_inventory_sku_of_exactly_40_characters_is_kept(valid):
    root = valid(build_feed("Inventory", "M", [F.InventoryMessage(1, "S" * 40, 1)]))
    assert _texts(root, "//SKU") == ["S" * 40]


# --- product ----------------------------------------------------------------------------------


def _full_product(**overrides):
    values = {
        "key": 101,
        "sku": "TSHIRT-RED-M",
        "title": "Organic cotton T-shirt, red, M",
        "barcode": "4006381333931",
        "condition": "New",
        "condition_note": "Sealed",
        "brand": "Acme",
        "description": "Soft organic cotton.\nMachine washable.",
        "bullet_points": ["100% cotton", "Fair trade", "Red", "Size M", "Slim fit", "Sixth"],
        "item_dimensions": F.Dimensions(30, 20, 2.5, "cm", weight="0.2", weight_unit="kg"),
        "package_dimensions": {"length": 12, "width": 8, "height": 1, "unit": "IN"},
        "package_weight": F.Weight("0.25", "KG"),
        "shipping_weight": {"value": 9, "unit": "oz"},
        "msrp": "19.99",
        "currency": "EUR",
        "manufacturer": "Acme Textiles",
        "mfr_part_number": "AT-TS-001",
        "search_terms": ["tshirt", "organic"],
        "item_type": "t-shirts",
        "product_tax_code": "A_GEN_TAX",
        "variation": F.Variation("child", "Size-Color", size="M", color="Red"),
    }
    values.update(overrides)
    return F.ProductMessage(**values)


def test_product_full_update(valid):
    root = valid(build_feed("Product", "M", [_full_product()]))
    product = root.find("Message/Product")
    assert [c.tag for c in product] == [
        "SKU",
        "StandardProductID",
        "ProductTaxCode",
        "Condition",
        "DescriptionData",
        "ProductData",
    ]
    assert product.findtext("StandardProductID/Type") == "EAN"
    assert product.findtext("StandardProductID/Value") == "4006381333931"
    data = product.find("DescriptionData")
    assert data.findtext("Description") == "Soft organic cotton. Machine washable."
    assert [b.text for b in data.findall("BulletPoint")] == [
        "100% cotton",
        "Fair trade",
        "Red",
        "Size M",
        "Slim fit",
    ]
    length = data.find("ItemDimensions/Length")
    assert (length.text, length.get("unitOfMeasure")) == ("30.00", "CM")
    assert data.find("ItemDimensions/Height").text == "2.50"
    assert data.find("ItemDimensions/Weight").get("unitOfMeasure") == "KG"
    assert data.find("PackageDimensions/Length").get("unitOfMeasure") == "IN"
    assert data.find("PackageDimensions/Weight") is None
    assert data.find("ShippingWeight").get("unitOfMeasure") == "OZ"
    msrp = data.find("MSRP")
    assert (msrp.text, msrp.get("currency")) == ("19.99", "EUR")
    assert data.findtext("MfrPartNumber") == "AT-TS-001"
    home = product.find("ProductData/Home")
    assert home.findtext("Parentage") == "child"
    assert home.findtext("VariationData/VariationTheme") == "Size-Color"
    assert home.findtext("VariationData/Color") == "Red"


def test_product_unicode_and_long_text_truncated(valid):
    title = "Tasse à café « Ünïcode » ☕ 日本語 " * 40  # > 500 characters
    long_bullet = "b" * 600
    root = valid(
        build_feed(
            "Product",
            "M",
            [
                _full_product(
                    title=title,
                    bullet_points=[long_bullet],
                    description="d" * 2500,
                    brand="B" * 150,
                    search_terms=["s" * 80],
                    variation=None,
                )
            ],
        )
    )
    data = root.find("Message/Product/DescriptionData")
    assert len(data.findtext("Title")) == 500
    assert data.findtext("Title").startswith("Tasse à café « Ünïcode » ☕ 日本語")
    assert len(data.findtext("BulletPoint")) == 500
    assert len(data.findtext("Description")) == 2000
    assert len(data.findtext("Brand")) == 100
    assert len(data.findtext("SearchTerms")) == 50


def test_product_text_cleaning_drops_control_characters(valid):
    root = valid(
        build_feed("Product", "M", [F.ProductMessage(1, "A", title="Bad\x00\x07 title\r\n")])
    )
    assert root.findtext("Message/Product/DescriptionData/Title") == "Bad title"


def test_product_delete_partial_update_and_minimal(valid):
    messages = [
        F.ProductMessage("del", "OLD-SKU", operation="Delete", title="ignored"),
        F.ProductMessage("partial", "SKU-2", operation="PartialUpdate", title="New title"),
        F.ProductMessage("minimal", "SKU-3"),
        F.ProductMessage(
            "raw",
            "SKU-4",
            title="Raw category",
            product_data="<Miscellaneous><ProductType>Misc_Other</ProductType></Miscellaneous>",
        ),
    ]
    doc = build_feed("Product", "M", messages)
    root = valid(doc)
    by_key = {doc.message_map[int(m.findtext("MessageID"))]: m for m in root.iter("Message")}
    assert by_key["del"].findtext("OperationType") == "Delete"
    assert [c.tag for c in by_key["del"].find("Product")] == ["SKU"]
    assert by_key["partial"].findtext("OperationType") == "PartialUpdate"
    assert [c.tag for c in by_key["minimal"].find("Product")] == ["SKU"]
    assert by_key["raw"].findtext("Product/ProductData/Miscellaneous/ProductType") == "Misc_Other"


def test_product_parent_variation(valid):
    parent = F.ProductMessage(
        1, "TSHIRT", title="T-shirt", variation={"parentage": "parent", "theme": "Size"}
    )
    root = valid(build_feed("Product", "M", [parent]))
    assert root.findtext("Message/Product/ProductData/Home/Parentage") == "parent"


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        ({"title": None}, "title is required"),
        ({"sku": "S" * 41}, "SKU"),
        ({"barcode": "4006381333932"}, "check digit"),
        ({"msrp": "19.99", "currency": "AUD"}, "currency 'AUD'"),
        ({"msrp": "-1"}, "MSRP"),
        ({"msrp": "abc"}, "not a number"),
        ({"condition": "Mint"}, "ConditionType"),
        ({"package_weight": F.Weight(1, "stone")}, "unit 'stone'"),
        ({"item_dimensions": F.Dimensions(length=-1)}, "Length"),
        ({"mfr_part_number": "P" * 41}, "MfrPartNumber"),
        ({"variation": F.Variation("child", "Flavor")}, "VariationTheme"),
        ({"variation": F.Variation("sibling")}, "Parentage"),
        ({"product_data": "<Home>", "variation": None}, "not well-formed"),
        ({"product_data": "<Home/>"}, "not both"),
    ],
)
def test_product_rejects(overrides, match):
    with pytest.raises(FeedDataError, match=match):
        build_feed("Product", "M", [_full_product(**overrides)])


def test_money_is_never_a_float_repr(valid):
    messages = [
        F.ProductMessage(1, "A", title="t", msrp=0.1 + 0.2),  # float noise must not leak
        F.ProductMessage(2, "B", title="t", msrp=Decimal("1.005")),
        F.ProductMessage(3, "C", title="t", msrp=7),
    ]
    root = valid(build_feed("Product", "M", messages))
    assert _texts(root, "//MSRP") == ["0.30", "1.01", "7.00"]


# --- price ------------------------------------------------------------------------------------


def test_price_currencies_sale_and_map(valid):
    start = datetime(2024, 11, 29, 0, 0, tzinfo=timezone(timedelta(hours=1)))
    messages = [
        F.PriceMessage("usd", "A", Decimal("24.99")),
        F.PriceMessage("eur", "B", "19.9", currency="EUR", map_price="15"),
        F.PriceMessage("jpy", "C", 1980, currency="jpy"),
        F.PriceMessage(
            "gbp", "D", "12.50", currency="GBP", sale=F.Sale(start, date(2024, 12, 2), "9.99")
        ),
        F.PriceMessage("aud", "E", "30", currency="AUD"),
        F.PriceMessage(
            "inr",
            "F",
            "499",
            currency="INR",
            sale={"start": "2024-01-01T00:00:00Z", "end": "2024-02-01T00:00:00Z", "price": "399"},
        ),
    ]
    doc = build_feed("Price", "M", messages)
    root = valid(doc)
    prices = {
        doc.message_map[int(m.findtext("MessageID"))]: m.find("Price") for m in root.iter("Message")
    }
    assert (
        prices["usd"].findtext("StandardPrice"),
        prices["usd"].find("StandardPrice").get("currency"),
    ) == ("24.99", "USD")
    assert prices["eur"].findtext("StandardPrice") == "19.90"
    assert [c.tag for c in prices["eur"]] == ["SKU", "StandardPrice", "MAP"]
    assert prices["jpy"].find("StandardPrice").get("currency") == "JPY"
    assert prices["jpy"].findtext("StandardPrice") == "1980.00"
    sale = prices["gbp"].find("Sale")
    assert sale.findtext("StartDate") == "2024-11-28T23:00:00Z"
    assert sale.findtext("EndDate") == "2024-12-02T00:00:00Z"
    assert (sale.findtext("SalePrice"), sale.find("SalePrice").get("currency")) == ("9.99", "GBP")
    assert prices["aud"].find("StandardPrice").get("currency") == "AUD"
    assert prices["inr"].findtext("Sale/SalePrice") == "399.00"


@pytest.mark.parametrize(
    ("message", "match"),
    [
        (F.PriceMessage(1, "A", 0), "StandardPrice"),
        (F.PriceMessage(1, "A", "-5"), "StandardPrice"),
        (F.PriceMessage(1, "A", "5", currency="CHF"), "currency 'CHF'"),
        (F.PriceMessage(1, "A", "5", sale=F.Sale(date(2024, 2, 1), date(2024, 1, 1), 4)), "before"),
        (F.PriceMessage(1, "A", "5", sale=F.Sale("tomorrow", date(2024, 1, 1), 4)), "StartDate"),
        (F.PriceMessage(1, "A", float("nan")), "finite"),
        (F.PriceMessage(1, "A", True), "not an amount"),
    ],
)
def test_price_rejects(message, match):
    with pytest.raises(FeedDataError, match=match):
        build_feed("Price", "M", [message])


# --- images -------------------------------------------------------------------------------------


def test_images_update_and_delete_removed_slots(valid):
    messages = F.image_messages(
        7,
        "SKU-1",
        ["http://img.example.com/main.jpg", "", "https://img.example.com/2.jpg"],
        swatch_url="http://img.example.com/swatch.gif",
        previous_types=["Main", "PT1", "PT2", "PT5", "Swatch"],
    )
    doc = build_feed("ProductImage", "M", messages)
    root = valid(doc)
    got = [
        (
            m.findtext("OperationType"),
            m.findtext("ProductImage/ImageType"),
            m.findtext("ProductImage/ImageLocation"),
        )
        for m in root.iter("Message")
    ]
    assert got == [
        ("Update", "Main", "http://img.example.com/main.jpg"),
        ("Update", "PT1", "https://img.example.com/2.jpg"),
        ("Update", "Swatch", "http://img.example.com/swatch.gif"),
        ("Delete", "PT2", None),
        ("Delete", "PT5", None),
    ]
    assert set(doc.message_map.values()) == {7}


def test_image_messages_keep_main_plus_eight():
    urls = [f"http://x/{i}.jpg" for i in range(12)]
    types = [m.image_type for m in F.image_messages(1, "S", urls)]
    assert types == ["Main", *(f"PT{i}" for i in range(1, 9))]


@pytest.mark.parametrize(
    ("message", "match"),
    [
        (F.ImageMessage(1, "A", "Main", "ftp://x/a.jpg"), "ImageLocation"),
        (F.ImageMessage(1, "A", "Main", "http://x/a b.jpg"), "ImageLocation"),
        (F.ImageMessage(1, "A", "Main"), "ImageLocation"),
        (F.ImageMessage(1, "A", "PT9", "http://x/a.jpg"), "image type"),
    ],
)
def test_image_rejects(message, match):
    with pytest.raises(FeedDataError, match=match):
        build_feed("ProductImage", "M", [message])


# --- relationship / override ----------------------------------------------------------------


def test_relationship_update_and_delete(valid):
    messages = [
        F.RelationshipMessage("p", "TSHIRT", ["TSHIRT-RED-M", F.Relation("TSHIRT-BLUE-M")]),
        F.RelationshipMessage("acc", "TSHIRT", [{"sku": "HANGER", "type": "Accessory"}]),
        F.RelationshipMessage("del", "TSHIRT", ["TSHIRT-OLD"], operation="Delete"),
    ]
    root = valid(build_feed("Relationship", "M", messages))
    rels = list(root.iter("Relationship"))
    assert rels[0].findtext("ParentSKU") == "TSHIRT"
    assert [(r.findtext("SKU"), r.findtext("Type")) for r in rels[0].iter("Relation")] == [
        ("TSHIRT-RED-M", "Variation"),
        ("TSHIRT-BLUE-M", "Variation"),
    ]
    assert rels[1].findtext("Relation/Type") == "Accessory"
    assert list(root.iter("OperationType"))[2].text == "Delete"
    with pytest.raises(FeedDataError, match="child"):
        build_feed("Relationship", "M", [F.RelationshipMessage(1, "P", [])])
    with pytest.raises(FeedDataError, match="Type"):
        build_feed(
            "Relationship", "M", [F.RelationshipMessage(1, "P", [F.Relation("C", "Sibling")])]
        )


def test_override_exclusive_additive_restricted(valid):
    messages = [
        F.OverrideMessage(
            1,
            "A",
            [
                F.ShippingOverride("Std Cont US Street Addr", "Exclusive", "4.99"),
                F.ShippingOverride("Exp Cont US Street Addr", "Additive", 2, currency="USD"),
                F.ShippingOverride("Second", restricted=True),
            ],
        ),
        F.OverrideMessage(
            2, "B", [{"ship_option": "Std UK Dom", "amount": "3.5", "currency": "GBP"}]
        ),
        F.OverrideMessage(3, "C", operation="Delete"),
    ]
    root = valid(build_feed("Override", "M", messages))
    first, second, _ = root.iter("Override")
    overrides = first.findall("ShippingOverride")
    assert [o.findtext("Type") for o in overrides] == ["Exclusive", "Additive", None]
    assert overrides[0].find("ShipAmount").get("currency") == "USD"
    assert overrides[1].findtext("ShipAmount") == "2.00"
    assert overrides[2].findtext("IsShippingRestricted") == "true"
    assert second.find("ShippingOverride/ShipAmount").get("currency") == "GBP"
    with pytest.raises(FeedDataError, match=r"ShippingOverride\.Type"):
        build_feed(
            "Override", "M", [F.OverrideMessage(1, "A", [F.ShippingOverride("S", "Free", 1)])]
        )
    with pytest.raises(FeedDataError, match="amount is required"):
        build_feed("Override", "M", [F.OverrideMessage(1, "A", [F.ShippingOverride("S")])])


def test_override_marketplace_name(valid):
    doc = build_feed("Override", "M", [F.OverrideMessage(1, "A")], marketplace_name="Amazon.com")
    root = valid(doc)
    assert _texts(root, "/AmazonEnvelope/MarketplaceName") == ["Amazon.com"]


# --- order feeds ----------------------------------------------------------------------------


def test_order_acknowledgement_success_and_failure(valid):
    messages = [
        F.OrderAcknowledgementMessage(
            "so-1",
            "002-1234567-1234567",
            merchant_order_id="S00042",
            items=[F.AckItem("12345678901234", merchant_order_item_id="42-1")],
        ),
        F.OrderAcknowledgementMessage(
            "so-2",
            "203-7654321-7654321",
            status="Failure",
            items=[{"amazon_order_item_code": "12345678901235", "cancel_reason": "NoInventory"}],
        ),
    ]
    doc = build_feed("OrderAcknowledgement", "M", messages)
    root = valid(doc)
    assert doc.feed_type == "_POST_ORDER_ACKNOWLEDGEMENT_DATA_"
    assert root.find(".//OperationType") is None  # order feeds carry none
    acks = list(root.iter("OrderAcknowledgement"))
    assert [c.tag for c in acks[0]] == ["AmazonOrderID", "MerchantOrderID", "StatusCode", "Item"]
    assert acks[0].findtext("Item/MerchantOrderItemID") == "42-1"
    assert acks[1].findtext("StatusCode") == "Failure"
    assert acks[1].findtext("Item/CancelReason") == "NoInventory"


@pytest.mark.parametrize(
    ("message", "match"),
    [
        (F.OrderAcknowledgementMessage(1, "12345"), "AmazonOrderID"),
        (F.OrderAcknowledgementMessage(1, "002-1234567-1234567", "Maybe"), "StatusCode"),
        (
            F.OrderAcknowledgementMessage(1, "002-1234567-1234567", items=[F.AckItem("123")]),
            "AmazonOrderItemCode",
        ),
        (
            F.OrderAcknowledgementMessage(
                1, "002-1234567-1234567", items=[F.AckItem("12345678901234", cancel_reason="Bored")]
            ),
            "CancelReason",
        ),
        (
            F.OrderAcknowledgementMessage(1, "002-1234567-1234567", merchant_order_id="S" * 51),
            "MerchantOrderID",
        ),
    ],
)
def test_order_acknowledgement_rejects(message, match):
    with pytest.raises(FeedDataError, match=match):
        build_feed("OrderAcknowledgement", "M", [message])


def test_order_fulfillment_carrier_code_name_and_items(valid):
    shipped = datetime(2024, 3, 4, 15, 30, 0)
    messages = [
        F.OrderFulfillmentMessage(
            "pick-1",
            shipped,
            amazon_order_id="002-1234567-1234567",
            merchant_fulfillment_id=9001,
            carrier="ups",
            shipping_method="UPS Ground",
            tracking_number="1Z999AA10123456784",
            items=[
                F.FulfillmentItem("12345678901234", quantity=2),
                {"amazon_order_item_code": "12345678901235", "quantity": 1},
            ],
        ),
        F.OrderFulfillmentMessage(
            "pick-2",
            "2024-03-05T10:00:00+01:00",
            merchant_order_id="S00043",
            carrier="Speedy Couriers Ltd",
            tracking_number="SC-1",
            items=[
                F.FulfillmentItem(merchant_order_item_id="43-1", merchant_fulfillment_item_id=1)
            ],
        ),
        F.OrderFulfillmentMessage("pick-3", date(2024, 3, 6), "002-1234567-1234568"),
    ]
    doc = build_feed("OrderFulfillment", "M", messages)
    root = valid(doc)
    assert doc.feed_type == "_POST_ORDER_FULFILLMENT_DATA_"
    first, second, third = root.iter("OrderFulfillment")
    assert first.findtext("FulfillmentDate") == "2024-03-04T15:30:00Z"
    assert first.findtext("MerchantFulfillmentID") == "9001"
    assert first.findtext("FulfillmentData/CarrierCode") == "UPS"
    assert first.find("FulfillmentData/CarrierName") is None
    assert first.findtext("FulfillmentData/ShipperTrackingNumber") == "1Z999AA10123456784"
    assert _texts(first, "Item/Quantity") == ["2", "1"]
    assert second.findtext("MerchantOrderID") == "S00043"
    assert second.findtext("FulfillmentData/CarrierName") == "Speedy Couriers Ltd"
    assert second.find("FulfillmentData/CarrierCode") is None
    assert second.findtext("Item/MerchantOrderItemID") == "43-1"
    assert third.find("FulfillmentData") is None
    assert third.findtext("FulfillmentDate") == "2024-03-06T00:00:00Z"


@pytest.mark.parametrize(
    ("message", "match"),
    [
        (F.OrderFulfillmentMessage(1, date(2024, 1, 1)), "amazon_order_id or merchant_order_id"),
        (
            F.OrderFulfillmentMessage(
                1, date(2024, 1, 1), "002-1234567-1234567", tracking_number="1Z"
            ),
            "carrier is required",
        ),
        (F.OrderFulfillmentMessage(1, "yesterday", "002-1234567-1234567"), "FulfillmentDate"),
        (
            F.OrderFulfillmentMessage(
                1, date(2024, 1, 1), "002-1234567-1234567", carrier="UPS", tracking_number="9" * 51
            ),
            "ShipperTrackingNumber",
        ),
        (
            F.OrderFulfillmentMessage(
                1,
                date(2024, 1, 1),
                "002-1234567-1234567",
                items=[F.FulfillmentItem("12345678901234", quantity=0)],
            ),
            "Quantity",
        ),
        (
            F.OrderFulfillmentMessage(
                1, date(2024, 1, 1), "002-1234567-1234567", items=[F.FulfillmentItem()]
            ),
            "amazon_order_item_code",
        ),
        (
            F.OrderFulfillmentMessage(
                1, date(2024, 1, 1), "002-1234567-1234567", merchant_fulfillment_id=0
            ),
            "MerchantFulfillmentID",
        ),
    ],
)
def test_order_fulfillment_rejects(message, match):
    with pytest.raises(FeedDataError, match=match):
        build_feed("OrderFulfillment", "M", [message])


def test_order_adjustment_components_and_currencies(valid):
    messages = [
        F.OrderAdjustmentMessage(
            "refund-1",
            [
                F.AdjustedItem(
                    "CustomerReturn",
                    "12345678901234",
                    price_adjustments={
                        "Principal": "29.99",
                        "Shipping": Decimal("4.5"),
                        "Tax": "2.40",
                        "ShippingTax": 0,
                    },
                    merchant_adjustment_item_id="RMA-7",
                    quantity_cancelled=1,
                )
            ],
            amazon_order_id="002-1234567-1234567",
            action_type="Refund",
        ),
        F.OrderAdjustmentMessage(
            "refund-2",
            [
                {
                    "reason": "GeneralAdjustment",
                    "merchant_order_item_id": "44-1",
                    "price_adjustments": {"Principal": "5"},
                    "currency": "EUR",
                }
            ],
            merchant_order_id="S00044",
        ),
    ]
    doc = build_feed("OrderAdjustment", "M", messages)
    root = valid(doc)
    assert doc.feed_type == "_POST_PAYMENT_ADJUSTMENT_DATA_"
    first, second = root.iter("OrderAdjustment")
    item = first.find("AdjustedItem")
    assert [c.tag for c in item] == [
        "AmazonOrderItemCode",
        "MerchantAdjustmentItemID",
        "AdjustmentReason",
        "ItemPriceAdjustments",
        "QuantityCancelled",
    ]
    components = [
        (c.findtext("Type"), c.findtext("Amount"), c.find("Amount").get("currency"))
        for c in item.iter("Component")
    ]
    assert components == [
        ("Principal", "29.99", "USD"),
        ("Shipping", "4.50", "USD"),
        ("Tax", "2.40", "USD"),
        ("ShippingTax", "0.00", "USD"),
    ]
    assert first.findtext("ActionType") == "Refund"
    assert second.findtext("MerchantOrderID") == "S00044"
    assert (
        second.find("AdjustedItem/ItemPriceAdjustments/Component/Amount").get("currency") == "EUR"
    )


@pytest.mark.parametrize(
    ("item", "match"),
    [
        (F.AdjustedItem("Whim", "12345678901234"), "AdjustmentReason"),
        (
            F.AdjustedItem("CustomerReturn", "12345678901234", price_adjustments={"Bonus": 1}),
            "Component.Type",
        ),
        (
            F.AdjustedItem(
                "CustomerReturn",
                "12345678901234",
                price_adjustments={"Principal": 1},
                currency="CHF",
            ),
            "currency",
        ),
        (
            F.AdjustedItem("CustomerReturn", "12345678901234", quantity_cancelled=0),
            "QuantityCancelled",
        ),
    ],
)
def test_order_adjustment_rejects(item, match):
    with pytest.raises(FeedDataError, match=match):
        build_feed(
            "OrderAdjustment", "M", [F.OrderAdjustmentMessage(1, [item], "002-1234567-1234567")]
        )
    with pytest.raises(FeedDataError, match="adjusted item"):
        build_feed("OrderAdjustment", "M", [F.OrderAdjustmentMessage(1, [], "002-1234567-1234567")])


def test_large_inventory_feed_is_valid_and_mapped(valid):
    messages = [
        F.InventoryMessage(
            ("product", n), f"SKU-{n:05d}", n % 7 - 2, fulfillment_latency=1 + n % 30
        )
        for n in range(2000)
    ]
    doc = build_feed("Inventory", "M", messages)
    root = valid(doc)
    assert doc.message_count == 2000
    assert doc.message_map[1] == ("product", 0)
    assert doc.message_map[2000] == ("product", 1999)
    assert min(int(q) for q in _texts(root, "//Quantity")) == 0
