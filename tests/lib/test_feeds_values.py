"""Value helpers of the feed builder: barcodes, carriers, money, text, dates."""

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from amazon_integration.lib import feed_values as V
from amazon_integration.lib.feed_values import FeedDataError, seller_message
from amazon_integration.lib.feeds import CARRIER_CODES, carrier_code, standard_product_id

# --- barcodes ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("barcode", "expected"),
    [
        ("036000291452", ("UPC", "036000291452")),
        ("0 36000 29145 2", ("UPC", "036000291452")),
        ("4006381333931", ("EAN", "4006381333931")),
        ("4006381333900", ("EAN", "4006381333900")),  # check digit 0
        ("96385074", ("EAN", "96385074")),
        ("9780306406157", ("ISBN", "9780306406157")),
        ("978-0-306-40615-7", ("ISBN", "9780306406157")),
        ("0306406152", ("ISBN", "0306406152")),
        ("080442957x", ("ISBN", "080442957X")),
        ("00012345600012", ("GTIN", "00012345600012")),
        ("10614141000415", ("GTIN", "10614141000415")),
        ("B00EXAMPLE", ("ASIN", "B00EXAMPLE")),
        ("b07h8qmz3n", ("ASIN", "B07H8QMZ3N")),
    ],
)
def test_standard_product_id_detection(barcode, expected):
    assert standard_product_id(barcode) == expected


@pytest.mark.parametrize(
    ("barcode", "match"),
    [
        ("036000291453", "check digit"),
        ("4006381333932", "check digit"),
        ("0306406153", "10 digits"),
        ("12345", "5 digits"),
        ("ABC-123", "not a UPC"),
        ("", "empty"),
    ],
)
def test_standard_product_id_rejects(barcode, match):
    with pytest.raises(FeedDataError, match=match):
        standard_product_id(barcode)


def test_standard_product_id_explicit_type():
    assert standard_product_id("036000291452", "GTIN") == ("GTIN", "00036000291452")
    assert standard_product_id("4006381333931", "ean") == ("EAN", "4006381333931")
    assert standard_product_id("0306406152", "ISBN") == ("ISBN", "0306406152")
    assert standard_product_id("B00EXAMPLE", "ASIN") == ("ASIN", "B00EXAMPLE")
    assert standard_product_id("1234567890123456", "GCID") == ("GCID", "1234567890123456")
    with pytest.raises(FeedDataError, match="UPC"):
        standard_product_id("4006381333931", "UPC")
    with pytest.raises(FeedDataError, match="unknown product id type"):
        standard_product_id("4006381333931", "SKU")
    with pytest.raises(FeedDataError, match="ISBN"):
        standard_product_id("4006381333931", "ISBN")


def test_check_digit_helpers():
    assert V.gtin_check_digit("03600029145") == 2
    assert V.gtin_check_digit("400638133393") == 1
    assert V.gtin_check_digit("400638133390") == 0
    assert V.is_valid_gtin("96385074")
    assert not V.is_valid_gtin("96385075")
    assert not V.is_valid_gtin("123")
    assert not V.is_valid_gtin("٠٣٦٠٠٠٢٩١٤٥٢")  # non-ASCII digits are not barcodes
    assert V.is_valid_isbn10("080442957X")
    assert not V.is_valid_isbn10("0804429570")


# --- carriers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("ups", "UPS"),
        ("UPS Ground", "UPS"),
        ("Fedex", "FedEx"),
        ("FedEx Home Delivery", "FedEx"),
        ("fedex smartpost", "FedEx SmartPost"),
        ("Fed Ex", "FedEx"),
        ("DHL Express", "DHL"),
        ("dhl", "DHL"),
        ("DHL Global Mail", "DHL Global Mail"),
        ("DHL eCommerce", "DHL Global Mail"),
        ("USPS Priority Mail", "USPS"),
        ("United States Postal Service", "USPS"),
        ("UPS Mail Innovations", "UPS Mail Innovations"),
        ("royal mail tracked 24", "Royal Mail"),
        ("Royalmail", "Royal Mail"),
        ("Hermes", "Hermes Logistik Gruppe"),
        ("Deutsche Post", "Deutsche Post"),
        ("DPD UK", "DPD"),
        ("Colissimo", "La Poste"),
        ("Canada Post", "Canada Post"),
        ("Poste Italiane", "Poste Italiane"),
        ("Yamato", "YAMATO"),
        ("Yamato Transport", "YamatoTransport"),
        ("GO!", "GO!"),
        ("AFL/Fedex", "AFL/Fedex"),
        ("TNT Express", "TNT"),
        ("Blue Dart", "BlueDart"),
    ],
)
def test_carrier_code_maps_names(name, code):
    assert carrier_code(name) == (code, name)
    assert code in CARRIER_CODES


@pytest.mark.parametrize("name", ["Speedy Couriers Ltd", "Other carrier", "Amazon Shipping"])
def test_carrier_code_falls_back_to_name(name):
    assert carrier_code(name) == (None, name)


def test_carrier_code_empty_and_exact_codes():
    assert carrier_code(None) == (None, "")
    assert carrier_code("  ") == (None, "")
    assert carrier_code("  ups  ") == ("UPS", "ups")
    for code in CARRIER_CODES:
        assert carrier_code(code)[0] == code


def test_carrier_codes_match_the_xsd(amazon_xsd_dir):
    from lxml import etree

    base = etree.parse(str(amazon_xsd_dir / "amzn-base.xsd"))
    ns = {"xsd": "http://www.w3.org/2001/XMLSchema"}
    values = base.xpath("//xsd:element[@name='CarrierCode']//xsd:enumeration/@value", namespaces=ns)
    assert tuple(values) == CARRIER_CODES


# --- money, numbers, text, dates ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("19.99"), "19.99"),
        ("5", "5.00"),
        (7, "7.00"),
        (19.99, "19.99"),
        (0.1 + 0.2, "0.30"),
        (Decimal("2.675"), "2.68"),  # half-up, not banker's rounding
        (Decimal("-0.001"), "0.00"),
        (" 12.5 ", "12.50"),
        (Decimal("1E+2"), "100.00"),
    ],
)
def test_decimal_text(value, text):
    assert V.decimal_text(value, field="X") == text


def test_decimal_text_limits():
    with pytest.raises(FeedDataError, match="greater than 0"):
        V.decimal_text(0, field="X", minimum=0, exclusive=True)
    with pytest.raises(FeedDataError, match="at least 0"):
        V.decimal_text("-0.01", field="X", minimum=0)
    with pytest.raises(FeedDataError, match="digits"):
        V.decimal_text("12345678901", field="X", total_digits=12)
    for bad in (None, True, "1,5", float("inf"), object()):
        with pytest.raises(FeedDataError):
            V.decimal_text(bad, field="X")


def test_clean_text_and_identifier():
    assert V.clean_text("  a\t b\n\nc \x01", 50, field="T") == "a b c"
    assert V.clean_text("", 50, field="T") is None
    assert V.clean_text("abcdef ghi", 7, field="T") == "abcdef"
    with pytest.raises(FeedDataError, match="non-empty"):
        V.clean_text(" ", 5, field="T", required=True)
    assert V.identifier(" SKU-1 ", 40, field="SKU") == "SKU-1"
    assert V.identifier(None, 40, field="SKU", required=False) is None
    with pytest.raises(FeedDataError, match="41"):
        V.identifier("x" * 41, 40, field="SKU")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("SKU-1", "SKU-1"),
        (" SKU-1 ", "SKU-1"),
        ("\u00a0SKU 1", "SKU 1"),
        (12345, "12345"),
        ("S" * 40, "S" * 40),
    ],
)
def test_sku_text_matches_identifier(value, text):
    assert V.sku_text(value) == text == V.identifier(value, 40, field="SKU")


@pytest.mark.parametrize("value", ["", "S" * 41, "A\tB", "A\x00B", None])
def test_sku_text_rejects(value):
    with pytest.raises(FeedDataError, match="SKU"):
        V.sku_text(value)


def test_order_ids():
    assert V.amazon_order_id(" 002-1234567-1234567 ") == "002-1234567-1234567"
    with pytest.raises(FeedDataError):
        V.amazon_order_id("002-1234567-123456")
    assert V.order_item_code("12345678901234") == "12345678901234"
    with pytest.raises(FeedDataError):
        V.order_item_code("1234567890123a")


def test_dates():
    assert V.datetime_text(datetime(2024, 1, 2, 3, 4, 5), field="D") == "2024-01-02T03:04:05Z"
    paris = timezone(timedelta(hours=2))
    assert V.datetime_text(datetime(2024, 6, 1, 10, 0, tzinfo=paris), field="D") == (
        "2024-06-01T08:00:00Z"
    )
    assert V.datetime_text(date(2024, 1, 2), field="D") == "2024-01-02T00:00:00Z"
    assert V.datetime_text("2024-01-02T03:04:05-08:00", field="D") == "2024-01-02T03:04:05-08:00"
    with pytest.raises(FeedDataError):
        V.datetime_text("2024-01-02", field="D")
    assert (
        V.date_text(datetime(2024, 1, 2, 23, 0, tzinfo=timezone(timedelta(hours=-5))), field="D")
        == "2024-01-03"
    )
    assert V.date_text("2024-01-02", field="D") == "2024-01-02"
    with pytest.raises(FeedDataError):
        V.date_text(20240102, field="D")


def test_units_and_integers():
    assert V.unit("kg", V.WEIGHT_UNITS, field="U") == "KG"
    assert V.unit("Pounds", V.WEIGHT_UNITS, field="U") == "LB"
    assert V.unit("inches", V.LENGTH_UNITS, field="U") == "inches"
    assert V.unit("cm", V.LENGTH_UNITS, field="U") == "CM"
    assert V.integer("4", field="N") == 4
    assert V.integer(4.0, field="N") == 4
    with pytest.raises(FeedDataError):
        V.integer(True, field="N")
    with pytest.raises(FeedDataError, match=r"outside 1\.\.30"):
        V.integer(31, field="N", minimum=1, maximum=30)


def test_feed_data_error_carries_key_and_field():
    error = FeedDataError("bad", key=("product.product", 7), field="SKU")
    assert error.key == ("product.product", 7)
    assert error.field == "SKU"
    assert error.reason == "bad"
    assert str(error) == "message key=('product.product', 7): SKU: bad"
    assert isinstance(error, ValueError)


def test_seller_message_names_the_field_a_seller_fixes():
    with pytest.raises(FeedDataError) as bad_barcode:
        standard_product_id("12345", key=7)
    text = seller_message(bad_barcode.value)
    assert text.startswith("Barcode: '12345': 5 digits")
    assert "EAN-13" in text and "(Amazon's StandardProductID)" in text
    assert "key=" not in text, "the internal message key means nothing to a seller"
    price = FeedDataError("-5 must be greater than 0", key=1, field="StandardPrice")
    assert (
        seller_message(price) == "Sales price: -5 must be greater than 0 (Amazon's StandardPrice)"
    )
    assert seller_message(FeedDataError("odd", field="Other")) == "Other: odd"
    assert seller_message(FeedDataError("plain")) == "plain"
