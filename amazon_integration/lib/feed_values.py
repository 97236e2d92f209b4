"""Value checks and formatting for Amazon feed XML (no lxml, no Odoo).

Every function here turns one caller value into the exact text the XSD accepts, or raises
:class:`FeedDataError` naming the field. Policy, applied by the feed builders:

* free text (titles, descriptions, bullet points, brand, carrier name...) is cleaned
  (characters XML 1.0 forbids are dropped, whitespace runs become one space, as the XSD's
  ``normalizedString`` would read them anyway) and **truncated** to the XSD maximum length;
* identifiers (SKU, order ids, item codes, barcodes, tracking numbers, part numbers) are
  **rejected** when they do not fit, because a cut identifier would address another object;
* money is ``Decimal``, ``int`` or ``str`` (a ``float`` is read through ``repr``, so ``19.99``
  stays ``19.99``) and is written with exactly two decimals, rounded half-up: no float ever
  reaches the XML.
"""

import re
from datetime import date, datetime, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

__all__ = [
    "BASE_CURRENCIES",
    "CARRIER_CODES",
    "LENGTH_UNITS",
    "PRICE_CURRENCIES",
    "PRODUCT_ID_TYPES",
    "WEIGHT_UNITS",
    "FeedDataError",
    "carrier_code",
    "gtin_check_digit",
    "is_valid_gtin",
    "is_valid_isbn10",
    "seller_message",
    "standard_product_id",
]


class FeedDataError(ValueError):
    """A value given to a feed builder cannot be written as valid Amazon XML."""

    def __init__(self, message, *, key=None, field=None):
        self.key = key
        self.field = field
        self.reason = message
        prefix = []
        if key is not None:
            prefix.append(f"message key={key!r}")
        if field:
            prefix.append(field)
        super().__init__(f"{': '.join(prefix)}: {message}" if prefix else message)


#: What a seller calls the Amazon field a refused value was meant for (the Odoo field to fix).
FIELD_LABELS = {
    "StandardProductID": "Barcode",
    "StandardPrice": "Sales price",
    "SalePrice": "Sale price",
    "MAP": "Minimum advertised price",
    "Title": "Product name",
    "Description": "Sales description",
    "Brand": "Brand",
    "Manufacturer": "Manufacturer",
    "MfrPartNumber": "Internal reference",
    "ImageLocation": "Image",
    "SKU": "Amazon SKU",
    "ParentSKU": "Parent SKU",
    "FulfillmentLatency": "Handling time (days)",
    "Quantity": "Quantity",
    "PackageWeight": "Weight",
}


def seller_message(error):
    """A refused value in words a seller can act on: the field to fix (as the seller knows
    it), the reason, and Amazon's name of the field for the integrator."""
    label = FIELD_LABELS.get(error.field)
    if label:
        return f"{label}: {error.reason} (Amazon's {error.field})"
    if error.field:
        return f"{error.field}: {error.reason}"
    return error.reason


# --- enumerations copied from the XSDs (amzn-base.xsd, Price.xsd) --------------------------

#: ``BaseCurrencyCode`` (amzn-base.xsd): MSRP, Override ShipAmount, OrderAdjustment amounts.
BASE_CURRENCIES = frozenset({"USD", "GBP", "EUR", "JPY", "CAD", "CNY", "INR"})
#: ``BaseCurrencyCodeWithDefault`` (Price.xsd): StandardPrice, SalePrice, MAP.
PRICE_CURRENCIES = BASE_CURRENCIES | {"AUD", "BRL", "MXN", "DEFAULT"}

#: ``LengthUnitOfMeasure`` with a few spellings callers use (Odoo's uom names) mapped onto it.
LENGTH_UNITS = {
    **{u: u for u in ("MM", "CM", "M", "IN", "FT")},
    **{
        u: u
        for u in (
            "inches",
            "feet",
            "meters",
            "decimeters",
            "centimeters",
            "millimeters",
            "micrometers",
            "nanometers",
            "picometers",
        )
    },
    "mm": "MM",
    "cm": "CM",
    "m": "M",
    "in": "IN",
    "inch": "IN",
    "ft": "FT",
    "foot": "FT",
}
#: ``WeightUnitOfMeasure`` plus common spellings.
WEIGHT_UNITS = {
    **{u: u for u in ("GR", "KG", "OZ", "LB", "MG")},
    "g": "GR",
    "gr": "GR",
    "gram": "GR",
    "grams": "GR",
    "kg": "KG",
    "kilogram": "KG",
    "kilograms": "KG",
    "oz": "OZ",
    "ounce": "OZ",
    "ounces": "OZ",
    "lb": "LB",
    "lbs": "LB",
    "pound": "LB",
    "pounds": "LB",
    "mg": "MG",
}

PRODUCT_ID_TYPES = ("ISBN", "UPC", "EAN", "ASIN", "GTIN", "GCID", "PZN")

#: The ``CarrierCode`` enumeration of amzn-base.xsd, in the XSD's order.
CARRIER_CODES = (
    "USPS",
    "UPS",
    "UPSMI",
    "FedEx",
    "DHL",
    "Fastway",
    "GLS",
    "GO!",
    "Hermes Logistik Gruppe",
    "Royal Mail",
    "Parcelforce",
    "City Link",
    "TNT",
    "Target",
    "SagawaExpress",
    "NipponExpress",
    "YamatoTransport",
    "DHL Global Mail",
    "UPS Mail Innovations",
    "FedEx SmartPost",
    "OSM",
    "OnTrac",
    "Streamlite",
    "Newgistics",
    "Canada Post",
    "Blue Package",
    "Chronopost",
    "Deutsche Post",
    "DPD",
    "La Poste",
    "Parcelnet",
    "Poste Italiane",
    "SDA",
    "Smartmail",
    "FEDEX_JP",
    "JP_EXPRESS",
    "NITTSU",
    "SAGAWA",
    "YAMATO",
    "BlueDart",
    "AFL/Fedex",
    "Aramex",
    "India Post",
    "Professional",
    "DTDC",
    "Overnite Express",
    "First Flight",
    "Delhivery",
    "Lasership",
    "Yodel",
    "Other",
)

# Names carriers go by that do not start with their code's words.
_CARRIER_ALIASES = {
    "united states postal service": "USPS",
    "us postal service": "USPS",
    "u s postal service": "USPS",
    "united parcel service": "UPS",
    "fed ex": "FedEx",
    "federal express": "FedEx",
    "fedex smart post": "FedEx SmartPost",
    "hermes": "Hermes Logistik Gruppe",
    "hermes germany": "Hermes Logistik Gruppe",
    "royalmail": "Royal Mail",
    "parcel force": "Parcelforce",
    "citylink": "City Link",
    "dhl ecommerce": "DHL Global Mail",
    "dhl e commerce": "DHL Global Mail",
    "ups mi": "UPSMI",
    "sagawa express": "SagawaExpress",
    "nippon express": "NipponExpress",
    "yamato transport": "YamatoTransport",
    "kuroneko yamato": "YamatoTransport",
    "on trac": "OnTrac",
    "canadapost": "Canada Post",
    "postes canada": "Canada Post",
    "colissimo": "La Poste",
    "laposte": "La Poste",
    "blue dart": "BlueDart",
    "laser ship": "Lasership",
    "tnt express": "TNT",
    "go": "GO!",
    "general overnight": "GO!",
}


def _words(text):
    return tuple(re.findall(r"[0-9a-z]+", text.casefold()))


_CODE_BY_WORDS = {_words(code): code for code in CARRIER_CODES}
_ALIAS_BY_WORDS = {_words(alias): code for alias, code in _CARRIER_ALIASES.items()}
# Longest first so that "FedEx SmartPost Ground" finds FedEx SmartPost before FedEx.
_PREFIXES = sorted(
    ((words, code) for words, code in {**_CODE_BY_WORDS, **_ALIAS_BY_WORDS}.items()),
    key=lambda item: -len(item[0]),
)


def carrier_code(name):
    """Map a free carrier name onto Amazon's ``CarrierCode`` enumeration.

    Returns ``(code, name)``: ``code`` is one of :data:`CARRIER_CODES` or ``None`` when the
    name matches none (the feed then carries it as ``CarrierName``); ``name`` is the given
    name, stripped. Matching ignores case and punctuation and works on whole words: an exact
    code or known alias first, then the longest code whose words start the name
    ("DHL Express" -> DHL, "UPS Ground" -> UPS, "FedEx SmartPost" -> FedEx SmartPost). The
    catch-all code ``Other`` is never chosen by prefix.
    """
    name = (name or "").strip()
    words = _words(name)
    if not words:
        return None, name
    code = _CODE_BY_WORDS.get(words) or _ALIAS_BY_WORDS.get(words)
    if code:
        return code, name
    for prefix, candidate in _PREFIXES:
        if candidate != "Other" and words[: len(prefix)] == prefix:
            return candidate, name
    return None, name


# --- text ----------------------------------------------------------------------------------

# Characters XML 1.0 cannot carry at all (lxml refuses them).
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_SPACES = re.compile(r"\s+")


def clean_text(value, max_length, *, field, required=False, key=None):
    """Free text for a ``normalizedString``: cleaned, truncated to ``max_length`` characters.

    Returns ``None`` for an empty optional value; raises for an empty required one.
    """
    if value is None or value is False:
        text = ""
    elif isinstance(value, str):
        text = value
    else:
        text = str(value)
    text = _SPACES.sub(" ", _XML_ILLEGAL.sub("", text)).strip()
    if len(text) > max_length:
        text = text[:max_length].rstrip()
    if not text:
        if required:
            raise FeedDataError("a non-empty value is required", key=key, field=field)
        return None
    return text


def identifier(value, max_length, *, field, key=None, required=True, min_length=1):
    """An identifier written verbatim (outer whitespace stripped): rejected if it does not fit."""
    if value is None or value is False:
        text = ""
    else:
        text = str(value).strip()
    if not text:
        if required:
            raise FeedDataError("a value is required", key=key, field=field)
        return None
    if len(text) > max_length or len(text) < min_length:
        raise FeedDataError(
            f"{text!r} must be {min_length} to {max_length} characters long, it has {len(text)}",
            key=key,
            field=field,
        )
    if _XML_ILLEGAL.search(text) or "\t" in text or "\n" in text or "\r" in text:
        raise FeedDataError(f"{text!r} contains control characters", key=key, field=field)
    return text


_SKU_REFUSED = re.compile("[\x00-\x1f\ud800-\udfff\ufffe\uffff]")


def sku_text(value, *, key=None, field="SKU"):
    """A SKU (1..40 characters), as :func:`identifier` checks it, with a fast path for the
    common clean string (inventory feeds check 100,000 of them)."""
    if (
        type(value) is str
        and 0 < len(value) <= 40
        and not value[0].isspace()
        and not value[-1].isspace()
        and not _SKU_REFUSED.search(value)
    ):
        return value
    return identifier(value, 40, field=field, key=key)


_AMAZON_ORDER_ID = re.compile(r"\w{3}-\w{7}-\w{7}", re.ASCII)
_ORDER_ITEM_CODE = re.compile(r"\d{14}", re.ASCII)


def amazon_order_id(value, *, key=None, field="AmazonOrderID"):
    text = str(value or "").strip()
    if not _AMAZON_ORDER_ID.fullmatch(text):
        raise FeedDataError(
            f"{text!r} is not an Amazon order id (3-7-7 characters, e.g. 002-1234567-1234567)",
            key=key,
            field=field,
        )
    return text


def order_item_code(value, *, key=None, field="AmazonOrderItemCode"):
    text = str(value or "").strip()
    if not _ORDER_ITEM_CODE.fullmatch(text):
        raise FeedDataError(
            f"{text!r} is not an Amazon order item code (14 digits)", key=key, field=field
        )
    return text


# --- numbers ----------------------------------------------------------------------------

_CENT = Decimal("0.01")


def to_decimal(value, *, field, key=None):
    """``Decimal`` from a Decimal, int, str or float (a float through its shortest repr)."""
    if isinstance(value, bool) or value is None:
        raise FeedDataError(f"{value!r} is not an amount", key=key, field=field)
    try:
        if isinstance(value, Decimal):
            number = value
        elif isinstance(value, float):
            number = Decimal(repr(value))
        elif isinstance(value, (int, str)):
            number = Decimal(str(value).strip())
        else:
            raise TypeError
    except (InvalidOperation, TypeError, ValueError):
        raise FeedDataError(f"{value!r} is not a number", key=key, field=field) from None
    if not number.is_finite():
        raise FeedDataError(f"{value!r} is not a finite number", key=key, field=field)
    return number


def decimal_text(value, *, field, key=None, total_digits=20, minimum=None, exclusive=False):
    """Two-decimal text for the XSD's ``fractionDigits=2`` decimals, rounded half-up."""
    number = to_decimal(value, field=field, key=key).quantize(_CENT, rounding=ROUND_HALF_UP)
    if number.is_zero():
        number = abs(number)  # no "-0.00"
    if minimum is not None and (number <= minimum if exclusive else number < minimum):
        relation = "greater than" if exclusive else "at least"
        raise FeedDataError(f"{value!r} must be {relation} {minimum}", key=key, field=field)
    if len(number.as_tuple().digits) > total_digits:
        raise FeedDataError(f"{value!r} has more than {total_digits} digits", key=key, field=field)
    return format(number, "f")


def currency(value, allowed, *, field, key=None):
    code = str(value or "").strip().upper()
    if code not in allowed:
        raise FeedDataError(
            f"currency {value!r} is not accepted here (one of {', '.join(sorted(allowed))})",
            key=key,
            field=field,
        )
    return code


def unit(value, table, *, field, key=None):
    text = str(value or "").strip()
    found = table.get(text) or table.get(text.lower()) or table.get(text.upper())
    if not found:
        names = ", ".join(sorted(set(table.values())))
        raise FeedDataError(f"unit {value!r} is not one of {names}", key=key, field=field)
    return found


def integer(value, *, field, key=None, minimum=None, maximum=None):
    if isinstance(value, bool):
        raise FeedDataError(f"{value!r} is not an integer", key=key, field=field)
    if not isinstance(value, int):
        try:
            if isinstance(value, float) and not value.is_integer():
                raise ValueError
            number = int(value)
        except (TypeError, ValueError):
            raise FeedDataError(f"{value!r} is not an integer", key=key, field=field) from None
    else:
        number = value
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        bounds = f"{minimum if minimum is not None else '-inf'}..{maximum or 'inf'}"
        raise FeedDataError(f"{value!r} is outside {bounds}", key=key, field=field)
    return number


# --- dates ----------------------------------------------------------------------------------

_XSD_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?")
_XSD_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def datetime_text(value, *, field, key=None):
    """``xsd:dateTime`` in UTC. Naive datetimes are taken as UTC (Odoo stores them so);
    a plain date means midnight UTC; a string must already be an ISO 8601 date-time."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(timezone.utc)
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return value.strftime("%Y-%m-%dT00:00:00Z")
    if isinstance(value, str) and _XSD_DATETIME.fullmatch(value.strip()):
        return value.strip()
    raise FeedDataError(f"{value!r} is not a date-time", key=key, field=field)


def date_text(value, *, field, key=None):
    """``xsd:date`` (YYYY-MM-DD) from a date, a datetime (its UTC date) or such a string."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(timezone.utc)
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str) and _XSD_DATE.fullmatch(value.strip()):
        return value.strip()
    raise FeedDataError(f"{value!r} is not a date", key=key, field=field)


# --- barcodes -------------------------------------------------------------------------------


def gtin_check_digit(body):
    """GS1 check digit for the digits of a GTIN-8/12/13/14 without its last digit."""
    total = 0
    for position, char in enumerate(reversed(body)):
        total += int(char) * (3 if position % 2 == 0 else 1)
    return (10 - total % 10) % 10


def is_valid_gtin(code):
    """True for an 8, 12, 13 or 14 digit code whose GS1 check digit is right."""
    code = str(code)
    if len(code) not in (8, 12, 13, 14) or not code.isascii() or not code.isdigit():
        return False
    return gtin_check_digit(code[:-1]) == int(code[-1])


def is_valid_isbn10(code):
    """True for a 10 character ISBN (nine digits and a digit or X) with a right check digit."""
    code = str(code).upper()
    if len(code) != 10 or not code[:9].isascii() or not code[:9].isdigit():
        return False
    if not (code[9].isdigit() or code[9] == "X"):
        return False
    digits = [int(c) for c in code[:9]] + [10 if code[9] == "X" else int(code[9])]
    return sum((10 - i) * d for i, d in enumerate(digits)) % 11 == 0


_ASIN = re.compile(r"B[0-9A-Z]{9}")


def standard_product_id(barcode, id_type=None, *, key=None):
    """``(Type, Value)`` for ``StandardProductID`` from a barcode.

    Spaces and hyphens are ignored. Without ``id_type`` the type is detected: ``B`` + 9
    letters/digits is an ASIN; a valid ISBN-10 is ISBN; 12 digits UPC; 13 digits ISBN when
    they start with 978/979, else EAN; 8 digits EAN (EAN-8); 14 digits GTIN. Check digits are
    verified (GS1, ISBN-10 mod 11); a wrong one raises :class:`FeedDataError`. With an
    explicit ``GTIN``, shorter GS1 codes are left-padded with zeros to 14 digits.
    """
    field = "StandardProductID"
    value = re.sub(r"[\s-]", "", str(barcode or "")).upper()
    if not value:
        raise FeedDataError("an empty barcode has no product id", key=key, field=field)
    kind = (id_type or "").strip().upper() or None
    if kind is not None and kind not in PRODUCT_ID_TYPES:
        raise FeedDataError(f"unknown product id type {id_type!r}", key=key, field=field)

    def bad(reason):
        return FeedDataError(f"{barcode!r}: {reason}", key=key, field=field)

    if kind is None:
        if _ASIN.fullmatch(value) and not value.isdigit():
            return "ASIN", value
        if len(value) == 10 and is_valid_isbn10(value):
            return "ISBN", value
        if not (value.isascii() and value.isdigit()):
            raise bad("not a UPC/EAN/GTIN/ISBN/ASIN")
        kind = {8: "EAN", 12: "UPC", 13: "EAN", 14: "GTIN"}.get(len(value))
        if kind is None:
            raise bad(
                f"{len(value)} digits: Amazon takes an EAN-13, UPC-12, EAN-8 or GTIN-14 "
                "(or an ISBN or ASIN)"
            )
        if not is_valid_gtin(value):
            raise bad("wrong check digit (a typing error?)")
        if len(value) == 13 and value[:3] in ("978", "979"):
            kind = "ISBN"
        return kind, value

    if kind == "ASIN":
        if not re.fullmatch(r"[0-9A-Z]{10}", value):
            raise bad("an ASIN has 10 letters or digits")
    elif kind == "ISBN":
        isbn13 = len(value) == 13 and value[:3] in ("978", "979") and is_valid_gtin(value)
        if not (is_valid_isbn10(value) or isbn13):
            raise bad("not a valid ISBN-10 or ISBN-13")
    elif kind in ("UPC", "EAN", "GTIN"):
        lengths = {"UPC": (12,), "EAN": (8, 13), "GTIN": (8, 12, 13, 14)}[kind]
        if len(value) not in lengths or not is_valid_gtin(value):
            raise bad(f"not a valid {kind} ({'/'.join(map(str, lengths))} digits, check digit)")
        if kind == "GTIN":
            value = value.zfill(14)
    elif not 8 <= len(value) <= 16:  # GCID, PZN: only the XSD's length is known here
        raise bad("must have 8 to 16 characters")
    return kind, value
