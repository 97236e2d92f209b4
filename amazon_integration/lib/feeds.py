"""Amazon MWS XML feeds from plain data (lxml, no Odoo).

The caller describes each message with one of the dataclasses below (or a dict with the same
field names) and hands a list of them to :func:`build_feed`, which returns a
:class:`FeedDocument`: the UTF-8 XML, the ``_POST_..._DATA_`` feed type, and
``message_map`` (MessageID -> the ``key`` the caller put on the message, so that each
``Result`` of the processing report finds its integration row again).

Rules (see :mod:`.feed_values` for the value policy):

* one message type per envelope, MessageIDs 1..N in the order given;
* catalog messages carry ``OperationType`` (``Update`` by default, ``Delete``, and
  ``PartialUpdate`` for products only); order messages carry none, as in Amazon's examples;
* free text is cleaned and truncated to the XSD length; identifiers that do not fit are
  rejected with :class:`FeedDataError`. With ``skip_invalid=True`` such messages are left
  out and listed in ``FeedDocument.rejected`` instead of failing the whole feed;
* a negative inventory quantity is sent as 0 (Odoo's forecast can go below zero);
* variation data needs a category ``ProductData`` in the Product XSD. :class:`Variation`
  is written under the ``Home`` category (the one whose ``VariationData`` takes Size and
  Color without other mandatory fields); for any other category pass the category element
  yourself as ``ProductMessage.product_data`` (XML text or an lxml element).

The document is written incrementally (``etree.xmlfile``): only one ``Message`` subtree is
alive at a time, so a 100,000-message inventory feed needs little more memory than its bytes.
"""

from collections.abc import Mapping, Sequence
from copy import deepcopy
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from decimal import Decimal
from io import BytesIO
from typing import Any

from lxml import etree

from .feed_values import (
    BASE_CURRENCIES,
    CARRIER_CODES,
    LENGTH_UNITS,
    PRICE_CURRENCIES,
    WEIGHT_UNITS,
    FeedDataError,
    amazon_order_id,
    carrier_code,
    clean_text,
    currency,
    date_text,
    datetime_text,
    decimal_text,
    identifier,
    integer,
    order_item_code,
    seller_message,
    sku_text,
    standard_product_id,
    unit,
)

__all__ = [
    "CARRIER_CODES",
    "FEED_TYPES",
    "IMAGE_TYPES",
    "AckItem",
    "AdjustedItem",
    "Dimensions",
    "FeedDataError",
    "FeedDocument",
    "FulfillmentItem",
    "ImageMessage",
    "InventoryMessage",
    "OrderAcknowledgementMessage",
    "OrderAdjustmentMessage",
    "OrderFulfillmentMessage",
    "OverrideMessage",
    "PriceMessage",
    "ProductMessage",
    "Relation",
    "RelationshipMessage",
    "Sale",
    "ShippingOverride",
    "Variation",
    "Weight",
    "add_inventory",
    "add_order_acknowledgement",
    "add_order_adjustment",
    "add_order_fulfillment",
    "add_override",
    "add_price",
    "add_product",
    "add_product_image",
    "add_relationship",
    "build_feed",
    "carrier_code",
    "image_messages",
    "standard_product_id",
]

Number = Decimal | int | str | float
DateLike = datetime | date | str

DOCUMENT_VERSION = "1.01"
_XSI = "http://www.w3.org/2001/XMLSchema-instance"


def _enum(text):
    return frozenset(text.split())


IMAGE_TYPES = ("Main", "Swatch", *(f"PT{i}" for i in range(1, 9)))
#: ``ImageType`` values of ProductImage.xsd beyond the usual Main/PT1..PT8/Swatch.
_OTHER_IMAGE_TYPES = _enum(
    "BKLB Search PM01 MainOfferImage OfferImage1 OfferImage2 OfferImage3 OfferImage4 "
    "OfferImage5 PFEE PFUK PFDE PFFR PFIT PFES EEGL PT98 PT99 ELFL"
)
CONDITION_TYPES = _enum(
    "New UsedLikeNew UsedVeryGood UsedGood UsedAcceptable CollectibleLikeNew "
    "CollectibleVeryGood CollectibleGood CollectibleAcceptable Refurbished Club"
)
#: ``Home/VariationData/VariationTheme`` values whose attributes :class:`Variation` carries.
VARIATION_THEMES = ("Size", "Color", "Size-Color", "Color-Size")
RELATION_TYPES = _enum(
    "Variation DisplaySet Collection Accessory Customized Part Complements Piece "
    "Necessary ReplacementPart Similar Episode Season MerchantTitleAuthority Component"
)
CANCEL_REASONS = _enum(
    "NoInventory ShippingAddressUndeliverable CustomerExchange BuyerCanceled "
    "GeneralAdjustment CarrierCreditDecision RiskAssessmentInformationNotValid "
    "CarrierCoverageFailure CustomerReturn MerchandiseNotReceived"
)
ADJUSTMENT_REASONS = _enum(
    "NoInventory CustomerReturn GeneralAdjustment CouldNotShip DifferentItem Abandoned "
    "CustomerCancel PriceError ProductOutofStock CustomerAddressIncorrect Exchange Other "
    "CarrierCreditDecision RiskAssessmentInformationNotValid CarrierCoverageFailure "
    "TransactionRecord Undeliverable RefusedDelivery"
)
ADJUSTMENT_COMPONENTS = _enum(
    "Principal Shipping Tax ShippingTax RestockingFee RestockingFeeTax GiftWrap "
    "GiftWrapTax Surcharge ReturnShipping Goodwill ExportCharge COD CODTax Other "
    "FreeReplacementReturnShipping"
)


# --- message data -------------------------------------------------------------------------


@dataclass(slots=True)
class Dimensions:
    """``ItemDimensions`` / ``PackageDimensions``: lengths in ``unit``, weight in ``weight_unit``.

    Units accept the XSD codes (CM, MM, M, IN, FT; KG, GR, LB, OZ, MG) and common spellings.
    """

    length: Number | None = None
    width: Number | None = None
    height: Number | None = None
    unit: str = "CM"
    weight: Number | None = None
    weight_unit: str = "KG"


@dataclass(slots=True)
class Weight:
    """``PackageWeight`` / ``ShippingWeight``."""

    value: Number
    unit: str = "KG"


@dataclass(slots=True)
class Variation:
    """Variation attributes, written as ``ProductData/Home`` (see the module docstring).

    ``parentage``: ``parent`` or ``child``; ``theme``: one of :data:`VARIATION_THEMES`.
    """

    parentage: str
    theme: str | None = None
    size: str | None = None
    color: str | None = None


@dataclass(slots=True)
class ProductMessage:
    """One ``Product``. ``Delete`` messages only need ``key`` and ``sku``.

    ``barcode`` becomes ``StandardProductID`` (type detected unless ``product_id_type``);
    ``msrp`` is in ``currency``; ``bullet_points`` and ``search_terms`` keep their first 5.
    """

    key: Any
    sku: str
    operation: str = "Update"
    title: str | None = None
    barcode: str | None = None
    product_id_type: str | None = None
    product_tax_code: str | None = None
    condition: str | None = None
    condition_note: str | None = None
    brand: str | None = None
    description: str | None = None
    bullet_points: Sequence[str] = ()
    item_dimensions: Dimensions | None = None
    package_dimensions: Dimensions | None = None
    package_weight: Weight | None = None
    shipping_weight: Weight | None = None
    msrp: Number | None = None
    currency: str = "USD"
    manufacturer: str | None = None
    mfr_part_number: str | None = None
    search_terms: Sequence[str] = ()
    item_type: str | None = None
    variation: Variation | None = None
    product_data: Any = None


@dataclass(slots=True)
class InventoryMessage:
    """One ``Inventory``. Merchant-fulfilled (MFN) items send ``quantity`` (negative -> 0);
    ``afn=True`` sends ``Lookup=FulfillmentNetwork`` with ``FulfillmentCenterID``
    (``AMAZON_NA`` unless given) and ignores quantity, restock date and latency."""

    key: Any
    sku: str
    quantity: int | None = None
    afn: bool = False
    fulfillment_center_id: str | None = None
    restock_date: DateLike | None = None
    fulfillment_latency: int | None = None
    switch_fulfillment_to: str | None = None
    operation: str = "Update"


@dataclass(slots=True)
class Sale:
    """``Sale``: ``price`` between ``start`` and ``end`` (both required by the XSD)."""

    start: DateLike
    end: DateLike
    price: Number


@dataclass(slots=True)
class PriceMessage:
    """One ``Price``: ``standard_price``, optional ``map_price`` and ``sale``, in ``currency``."""

    key: Any
    sku: str
    standard_price: Number | None = None
    currency: str = "USD"
    sale: Sale | None = None
    map_price: Number | None = None
    operation: str = "Update"


@dataclass(slots=True)
class ImageMessage:
    """One ``ProductImage``; ``Delete`` messages need no ``url``."""

    key: Any
    sku: str
    image_type: str = "Main"
    url: str | None = None
    operation: str = "Update"


@dataclass(slots=True)
class Relation:
    sku: str
    type: str = "Variation"


@dataclass(slots=True)
class RelationshipMessage:
    """One ``Relationship``: a parent SKU and its children (SKU strings or :class:`Relation`).
    With ``operation="Delete"`` the listed relations are removed."""

    key: Any
    parent_sku: str
    children: Sequence[Any] = ()
    operation: str = "Update"


@dataclass(slots=True)
class ShippingOverride:
    """One ``ShippingOverride``: ``ship_option`` (e.g. "Std Cont US Street Addr") with either
    ``restricted`` (``IsShippingRestricted``) or ``type`` Exclusive|Additive and ``amount``."""

    ship_option: str
    type: str | None = "Exclusive"
    amount: Number | None = None
    currency: str = "USD"
    restricted: bool | None = None


@dataclass(slots=True)
class OverrideMessage:
    key: Any
    sku: str
    overrides: Sequence[ShippingOverride] = ()
    operation: str = "Update"


@dataclass(slots=True)
class AckItem:
    amazon_order_item_code: str
    merchant_order_item_id: str | None = None
    cancel_reason: str | None = None


@dataclass(slots=True)
class OrderAcknowledgementMessage:
    """``OrderAcknowledgement``: ``status`` Success (accepted) or Failure (cancel the order)."""

    key: Any
    amazon_order_id: str
    status: str = "Success"
    merchant_order_id: str | None = None
    items: Sequence[AckItem] = ()


@dataclass(slots=True)
class FulfillmentItem:
    amazon_order_item_code: str | None = None
    merchant_order_item_id: str | None = None
    quantity: int | None = None
    merchant_fulfillment_item_id: int | None = None


@dataclass(slots=True)
class OrderFulfillmentMessage:
    """``OrderFulfillment`` (shipping confirmation). ``carrier`` is a free name mapped by
    :func:`carrier_code`; without items the whole order is confirmed."""

    key: Any
    fulfillment_date: DateLike
    amazon_order_id: str | None = None
    merchant_order_id: str | None = None
    merchant_fulfillment_id: int | None = None
    carrier: str | None = None
    shipping_method: str | None = None
    tracking_number: str | None = None
    items: Sequence[FulfillmentItem] = ()


@dataclass(slots=True)
class AdjustedItem:
    """``AdjustedItem``: ``price_adjustments`` maps a component type (Principal, Shipping,
    Tax, ShippingTax, ...) to its amount in ``currency``, written in the mapping's order."""

    reason: str
    amazon_order_item_code: str | None = None
    merchant_order_item_id: str | None = None
    price_adjustments: Mapping[str, Number] = field(default_factory=dict)
    currency: str = "USD"
    merchant_adjustment_item_id: str | None = None
    quantity_cancelled: int | None = None


@dataclass(slots=True)
class OrderAdjustmentMessage:
    key: Any
    items: Sequence[AdjustedItem]
    amazon_order_id: str | None = None
    merchant_order_id: str | None = None
    action_type: str | None = None


@dataclass(frozen=True)
class FeedDocument:
    """A built feed: ``xml`` to post as the SubmitFeed body with ``feed_type``.

    ``message_map``: MessageID -> caller key. ``rejected``: ``(key, reason)`` for messages
    left out (only with ``skip_invalid=True``), the reason in a seller's words
    (:func:`~.feed_values.seller_message`).
    """

    xml: bytes
    feed_type: str
    message_type: str
    message_map: dict[int, Any]
    rejected: list[tuple[Any, str]] = field(default_factory=list)

    @property
    def message_count(self):
        return len(self.message_map)


# --- helpers ------------------------------------------------------------------------------

_SE = etree.SubElement


def _as(cls, value, *, key, name):
    """Accept a dataclass instance or a dict of its fields for nested values."""
    if value is None or isinstance(value, cls):
        return value
    if isinstance(value, Mapping):
        try:
            return cls(**value)
        except TypeError as exc:
            raise FeedDataError(str(exc), key=key, field=name) from None
    raise FeedDataError(f"expected {cls.__name__} or dict, got {value!r}", key=key, field=name)


def _sku(value, key, name="SKU"):
    return sku_text(value, key=key, field=name)


def _choice(value, allowed, *, key, name):
    if value not in allowed:
        raise FeedDataError(
            f"{value!r} is not one of {', '.join(sorted(allowed))}", key=key, field=name
        )
    return value


def _amount(parent, tag, value, cur, allowed, *, key, minimum=None, exclusive=False):
    element = _SE(parent, tag)
    element.set("currency", currency(cur, allowed, field=f"{tag}@currency", key=key))
    element.text = decimal_text(value, field=tag, key=key, minimum=minimum, exclusive=exclusive)
    return element


def _measure(parent, tag, value, unit_text, *, key, total_digits=12):
    element = _SE(parent, tag)
    element.set("unitOfMeasure", unit_text)
    element.text = decimal_text(value, field=tag, key=key, total_digits=total_digits, minimum=0)
    return element


def _dimensions(parent, tag, dims, key):
    dims = _as(Dimensions, dims, key=key, name=tag)
    if dims is None:
        return
    element = _SE(parent, tag)
    if dims.length is not None or dims.width is not None or dims.height is not None:
        length_unit = unit(dims.unit, LENGTH_UNITS, field=f"{tag}.unit", key=key)
        for name in ("length", "width", "height"):
            value = getattr(dims, name)
            if value is not None:
                _measure(element, name.capitalize(), value, length_unit, key=key)
    if dims.weight is not None:
        weight_unit = unit(dims.weight_unit, WEIGHT_UNITS, field=f"{tag}.weight_unit", key=key)
        _measure(element, "Weight", dims.weight, weight_unit, key=key)


def _weight(parent, tag, weight, key):
    weight = _as(Weight, weight, key=key, name=tag)
    if weight is not None:
        weight_unit = unit(weight.unit, WEIGHT_UNITS, field=f"{tag}.unit", key=key)
        _measure(parent, tag, weight.value, weight_unit, key=key)


def _texts(values, max_length, limit, *, key, name):
    if isinstance(values, str):
        values = [values]
    cleaned = (clean_text(v, max_length, field=name, key=key) for v in values or ())
    return [v for v in cleaned if v][:limit]


def _product_data(parent, raw, key):
    if isinstance(raw, (bytes, str)):
        try:
            raw = etree.fromstring(
                raw.encode() if isinstance(raw, str) else raw,
                etree.XMLParser(resolve_entities=False, no_network=True),
            )
        except etree.XMLSyntaxError as exc:
            raise FeedDataError(
                f"not well-formed XML: {exc}", key=key, field="ProductData"
            ) from None
    elif not isinstance(raw, etree._Element):
        raise FeedDataError("expected XML text or an lxml element", key=key, field="ProductData")
    if raw.tag == "ProductData":
        parent.append(deepcopy(raw))
    else:
        _SE(parent, "ProductData").append(deepcopy(raw))


# --- one writer per message kind ----------------------------------------------------------


def add_product(parent, msg):
    """Append ``<Product>`` for a :class:`ProductMessage` to ``parent`` and return it."""
    key = msg.key
    product = _SE(parent, "Product")
    _SE(product, "SKU").text = _sku(msg.sku, key)
    if msg.operation == "Delete":
        return product
    if msg.barcode:
        id_type, id_value = standard_product_id(msg.barcode, msg.product_id_type, key=key)
        spid = _SE(product, "StandardProductID")
        _SE(spid, "Type").text = id_type
        _SE(spid, "Value").text = id_value
    tax_code = clean_text(msg.product_tax_code, 50, field="ProductTaxCode", key=key)
    if tax_code:
        _SE(product, "ProductTaxCode").text = tax_code
    if msg.condition or msg.condition_note:
        condition = _SE(product, "Condition")
        _SE(condition, "ConditionType").text = _choice(
            msg.condition or "New", CONDITION_TYPES, key=key, name="ConditionType"
        )
        note = clean_text(msg.condition_note, 2000, field="ConditionNote", key=key)
        if note:
            _SE(condition, "ConditionNote").text = note
    _description_data(product, msg, key)
    if msg.variation is not None and msg.product_data is not None:
        raise FeedDataError(
            "give variation or product_data, not both", key=key, field="ProductData"
        )
    if msg.variation is not None:
        _variation(product, _as(Variation, msg.variation, key=key, name="variation"), key)
    elif msg.product_data is not None:
        _product_data(product, msg.product_data, key)
    return product


def _description_data(product, msg, key):
    title = clean_text(msg.title, 500, field="Title", key=key)
    brand = clean_text(msg.brand, 100, field="Brand", key=key)
    description = clean_text(msg.description, 2000, field="Description", key=key)
    bullets = _texts(msg.bullet_points, 500, 5, key=key, name="BulletPoint")
    manufacturer = clean_text(msg.manufacturer, 100, field="Manufacturer", key=key)
    part_number = identifier(
        msg.mfr_part_number, 40, field="MfrPartNumber", key=key, required=False
    )
    search_terms = _texts(msg.search_terms, 50, 5, key=key, name="SearchTerms")
    item_type = clean_text(msg.item_type, 500, field="ItemType", key=key)
    others = (
        brand,
        description,
        bullets,
        msg.item_dimensions,
        msg.package_dimensions,
        msg.package_weight,
        msg.shipping_weight,
        msg.msrp,
        manufacturer,
        part_number,
        search_terms,
        item_type,
    )
    if not title:
        if any(v is not None and v != [] for v in others):
            raise FeedDataError("a title is required with description data", key=key, field="Title")
        return
    data = _SE(product, "DescriptionData")
    _SE(data, "Title").text = title
    if brand:
        _SE(data, "Brand").text = brand
    if description:
        _SE(data, "Description").text = description
    for bullet in bullets:
        _SE(data, "BulletPoint").text = bullet
    _dimensions(data, "ItemDimensions", msg.item_dimensions, key)
    _dimensions(data, "PackageDimensions", msg.package_dimensions, key)
    _weight(data, "PackageWeight", msg.package_weight, key)
    _weight(data, "ShippingWeight", msg.shipping_weight, key)
    if msg.msrp is not None:
        _amount(data, "MSRP", msg.msrp, msg.currency, BASE_CURRENCIES, key=key, minimum=0)
    if manufacturer:
        _SE(data, "Manufacturer").text = manufacturer
    if part_number:
        _SE(data, "MfrPartNumber").text = part_number
    for term in search_terms:
        _SE(data, "SearchTerms").text = term
    if item_type:
        _SE(data, "ItemType").text = item_type


def _variation(product, variation, key):
    home = _SE(_SE(product, "ProductData"), "Home")
    _SE(home, "Parentage").text = _choice(
        variation.parentage, {"parent", "child"}, key=key, name="Parentage"
    )
    size = clean_text(variation.size, 50, field="Size", key=key)
    color = clean_text(variation.color, 50, field="Color", key=key)
    if variation.theme or size or color:
        data = _SE(home, "VariationData")
        if variation.theme:
            _SE(data, "VariationTheme").text = _choice(
                variation.theme, set(VARIATION_THEMES), key=key, name="VariationTheme"
            )
        if size:
            _SE(data, "Size").text = size
        if color:
            _SE(data, "Color").text = color


def add_inventory(parent, msg):
    """Append ``<Inventory>`` for an :class:`InventoryMessage` to ``parent`` and return it."""
    key = msg.key
    inventory = _SE(parent, "Inventory")
    _SE(inventory, "SKU").text = sku_text(msg.sku, key=key)
    if msg.afn:
        center = identifier(
            msg.fulfillment_center_id or "AMAZON_NA", 50, field="FulfillmentCenterID", key=key
        )
        _SE(inventory, "FulfillmentCenterID").text = center
        _SE(inventory, "Lookup").text = "FulfillmentNetwork"
    else:
        if msg.fulfillment_center_id:
            _SE(inventory, "FulfillmentCenterID").text = identifier(
                msg.fulfillment_center_id, 50, field="FulfillmentCenterID", key=key
            )
        quantity = msg.quantity
        if type(quantity) is not int:
            if quantity is None:
                raise FeedDataError(
                    "a quantity is required (or afn=True)", key=key, field="Quantity"
                )
            quantity = integer(quantity, field="Quantity", key=key)
        _SE(inventory, "Quantity").text = str(quantity) if quantity > 0 else "0"
        if msg.restock_date is not None:
            _SE(inventory, "RestockDate").text = date_text(
                msg.restock_date, field="RestockDate", key=key
            )
        latency = msg.fulfillment_latency
        if latency is not None:
            if type(latency) is not int or not 1 <= latency <= 30:
                latency = integer(
                    latency, field="FulfillmentLatency", key=key, minimum=1, maximum=30
                )
            _SE(inventory, "FulfillmentLatency").text = str(latency)
    if msg.switch_fulfillment_to is not None:
        _SE(inventory, "SwitchFulfillmentTo").text = _choice(
            msg.switch_fulfillment_to, {"MFN", "AFN"}, key=key, name="SwitchFulfillmentTo"
        )
    return inventory


def add_price(parent, msg):
    """Append ``<Price>`` for a :class:`PriceMessage` to ``parent`` and return it."""
    key = msg.key
    price = _SE(parent, "Price")
    _SE(price, "SKU").text = _sku(msg.sku, key)
    cur = msg.currency
    if msg.standard_price is not None:
        _amount(
            price,
            "StandardPrice",
            msg.standard_price,
            cur,
            PRICE_CURRENCIES,
            key=key,
            minimum=0,
            exclusive=True,
        )
    if msg.map_price is not None:
        _amount(price, "MAP", msg.map_price, cur, PRICE_CURRENCIES, key=key, minimum=0)
    sale = _as(Sale, msg.sale, key=key, name="Sale")
    if sale is not None:
        start = datetime_text(sale.start, field="Sale.StartDate", key=key)
        end = datetime_text(sale.end, field="Sale.EndDate", key=key)
        if start.endswith("Z") and end.endswith("Z") and len(start) == len(end) and end <= start:
            raise FeedDataError(f"ends ({end}) before it starts ({start})", key=key, field="Sale")
        element = _SE(price, "Sale")
        _SE(element, "StartDate").text = start
        _SE(element, "EndDate").text = end
        _amount(
            element,
            "SalePrice",
            sale.price,
            cur,
            PRICE_CURRENCIES,
            key=key,
            minimum=0,
            exclusive=True,
        )
    return price


def add_product_image(parent, msg):
    """Append ``<ProductImage>`` for an :class:`ImageMessage` to ``parent`` and return it."""
    key = msg.key
    image = _SE(parent, "ProductImage")
    _SE(image, "SKU").text = _sku(msg.sku, key)
    if msg.image_type not in IMAGE_TYPES and msg.image_type not in _OTHER_IMAGE_TYPES:
        raise FeedDataError(f"unknown image type {msg.image_type!r}", key=key, field="ImageType")
    _SE(image, "ImageType").text = msg.image_type
    if msg.operation != "Delete":
        url = (msg.url or "").strip()
        if not url.startswith(("http://", "https://")) or any(c.isspace() for c in url):
            raise FeedDataError(
                f"{msg.url!r} is not an http(s) URL", key=key, field="ImageLocation"
            )
        _SE(image, "ImageLocation").text = url
    return image


def add_relationship(parent, msg):
    """Append ``<Relationship>`` for a :class:`RelationshipMessage` and return it."""
    key = msg.key
    relationship = _SE(parent, "Relationship")
    _SE(relationship, "ParentSKU").text = _sku(msg.parent_sku, key, "ParentSKU")
    if not msg.children:
        raise FeedDataError("at least one child SKU is required", key=key, field="Relation")
    for child in msg.children:
        relation = (
            Relation(child)
            if isinstance(child, str)
            else _as(Relation, child, key=key, name="Relation")
        )
        element = _SE(relationship, "Relation")
        _SE(element, "SKU").text = _sku(relation.sku, key, "Relation.SKU")
        _SE(element, "Type").text = _choice(relation.type, RELATION_TYPES, key=key, name="Type")
    return relationship


def add_override(parent, msg):
    """Append ``<Override>`` for an :class:`OverrideMessage` and return it."""
    key = msg.key
    override = _SE(parent, "Override")
    _SE(override, "SKU").text = _sku(msg.sku, key)
    for item in msg.overrides:
        item = _as(ShippingOverride, item, key=key, name="ShippingOverride")
        element = _SE(override, "ShippingOverride")
        _SE(element, "ShipOption").text = identifier(
            item.ship_option, 250, field="ShipOption", key=key
        )
        if item.restricted is not None:
            _SE(element, "IsShippingRestricted").text = "true" if item.restricted else "false"
            continue
        _SE(element, "Type").text = _choice(
            item.type, {"Exclusive", "Additive"}, key=key, name="ShippingOverride.Type"
        )
        if item.amount is None:
            raise FeedDataError("an amount is required", key=key, field="ShipAmount")
        _amount(
            element, "ShipAmount", item.amount, item.currency, BASE_CURRENCIES, key=key, minimum=0
        )
    return override


def add_order_acknowledgement(parent, msg):
    """Append ``<OrderAcknowledgement>`` and return it."""
    key = msg.key
    ack = _SE(parent, "OrderAcknowledgement")
    _SE(ack, "AmazonOrderID").text = amazon_order_id(msg.amazon_order_id, key=key)
    merchant_order_id = identifier(
        msg.merchant_order_id, 50, field="MerchantOrderID", key=key, required=False
    )
    if merchant_order_id:
        _SE(ack, "MerchantOrderID").text = merchant_order_id
    _SE(ack, "StatusCode").text = _choice(
        msg.status, {"Success", "Failure"}, key=key, name="StatusCode"
    )
    for item in msg.items:
        item = _as(AckItem, item, key=key, name="Item")
        element = _SE(ack, "Item")
        _SE(element, "AmazonOrderItemCode").text = order_item_code(
            item.amazon_order_item_code, key=key
        )
        item_id = identifier(
            item.merchant_order_item_id, 50, field="MerchantOrderItemID", key=key, required=False
        )
        if item_id:
            _SE(element, "MerchantOrderItemID").text = item_id
        if item.cancel_reason:
            _SE(element, "CancelReason").text = _choice(
                item.cancel_reason, CANCEL_REASONS, key=key, name="CancelReason"
            )
    return ack


def _order_ref(element, msg, key):
    if msg.amazon_order_id:
        _SE(element, "AmazonOrderID").text = amazon_order_id(msg.amazon_order_id, key=key)
    elif msg.merchant_order_id:
        _SE(element, "MerchantOrderID").text = identifier(
            msg.merchant_order_id, 50, field="MerchantOrderID", key=key
        )
    else:
        raise FeedDataError("amazon_order_id or merchant_order_id is required", key=key)


def _item_ref(element, item, key):
    if item.amazon_order_item_code:
        _SE(element, "AmazonOrderItemCode").text = order_item_code(
            item.amazon_order_item_code, key=key
        )
    elif item.merchant_order_item_id:
        _SE(element, "MerchantOrderItemID").text = identifier(
            item.merchant_order_item_id, 50, field="MerchantOrderItemID", key=key
        )
    else:
        raise FeedDataError(
            "amazon_order_item_code or merchant_order_item_id is required", key=key, field="Item"
        )


def _id_number(value, name, key):
    return str(integer(value, field=name, key=key, minimum=1, maximum=10**20 - 1))


def add_order_fulfillment(parent, msg):
    """Append ``<OrderFulfillment>`` and return it."""
    key = msg.key
    fulfillment = _SE(parent, "OrderFulfillment")
    _order_ref(fulfillment, msg, key)
    if msg.merchant_fulfillment_id is not None:
        _SE(fulfillment, "MerchantFulfillmentID").text = _id_number(
            msg.merchant_fulfillment_id, "MerchantFulfillmentID", key
        )
    _SE(fulfillment, "FulfillmentDate").text = datetime_text(
        msg.fulfillment_date, field="FulfillmentDate", key=key
    )
    method = clean_text(msg.shipping_method, 50, field="ShippingMethod", key=key)
    tracking = identifier(
        msg.tracking_number, 50, field="ShipperTrackingNumber", key=key, required=False
    )
    code, name = carrier_code(msg.carrier)
    if code or name:
        data = _SE(fulfillment, "FulfillmentData")
        if code:
            _SE(data, "CarrierCode").text = code
        else:
            _SE(data, "CarrierName").text = clean_text(name, 50, field="CarrierName", key=key)
        if method:
            _SE(data, "ShippingMethod").text = method
        if tracking:
            _SE(data, "ShipperTrackingNumber").text = tracking
    elif method or tracking:
        raise FeedDataError(
            "a carrier is required with a tracking number or shipping method",
            key=key,
            field="FulfillmentData",
        )
    for item in msg.items:
        item = _as(FulfillmentItem, item, key=key, name="Item")
        element = _SE(fulfillment, "Item")
        _item_ref(element, item, key)
        if item.merchant_fulfillment_item_id is not None:
            _SE(element, "MerchantFulfillmentItemID").text = _id_number(
                item.merchant_fulfillment_item_id, "MerchantFulfillmentItemID", key
            )
        if item.quantity is not None:
            _SE(element, "Quantity").text = str(
                integer(item.quantity, field="Item.Quantity", key=key, minimum=1)
            )
    return fulfillment


def add_order_adjustment(parent, msg):
    """Append ``<OrderAdjustment>`` and return it. Amounts keep the caller's sign."""
    key = msg.key
    adjustment = _SE(parent, "OrderAdjustment")
    _order_ref(adjustment, msg, key)
    if msg.action_type:
        _SE(adjustment, "ActionType").text = _choice(
            msg.action_type, {"Refund", "Cancel"}, key=key, name="ActionType"
        )
    if not msg.items:
        raise FeedDataError("at least one adjusted item is required", key=key, field="AdjustedItem")
    for item in msg.items:
        item = _as(AdjustedItem, item, key=key, name="AdjustedItem")
        element = _SE(adjustment, "AdjustedItem")
        _item_ref(element, item, key)
        adjustment_id = clean_text(
            item.merchant_adjustment_item_id, 50, field="MerchantAdjustmentItemID", key=key
        )
        if adjustment_id:
            _SE(element, "MerchantAdjustmentItemID").text = adjustment_id
        _SE(element, "AdjustmentReason").text = _choice(
            item.reason, ADJUSTMENT_REASONS, key=key, name="AdjustmentReason"
        )
        if item.price_adjustments:
            prices = _SE(element, "ItemPriceAdjustments")
            for component_type, amount in item.price_adjustments.items():
                component = _SE(prices, "Component")
                _SE(component, "Type").text = _choice(
                    component_type, ADJUSTMENT_COMPONENTS, key=key, name="Component.Type"
                )
                _amount(component, "Amount", amount, item.currency, BASE_CURRENCIES, key=key)
        if item.quantity_cancelled is not None:
            _SE(element, "QuantityCancelled").text = str(
                integer(item.quantity_cancelled, field="QuantityCancelled", key=key, minimum=1)
            )
    return adjustment


# --- envelope -------------------------------------------------------------------------------

_CATALOG_OPS = ("Update", "Delete")
#: message type -> (data class, feed type, writer, allowed OperationType or None for none)
_KINDS = {
    "Product": (
        ProductMessage,
        "_POST_PRODUCT_DATA_",
        add_product,
        ("Update", "PartialUpdate", "Delete"),
    ),
    "Inventory": (
        InventoryMessage,
        "_POST_INVENTORY_AVAILABILITY_DATA_",
        add_inventory,
        _CATALOG_OPS,
    ),
    "Price": (PriceMessage, "_POST_PRODUCT_PRICING_DATA_", add_price, _CATALOG_OPS),
    "ProductImage": (ImageMessage, "_POST_PRODUCT_IMAGE_DATA_", add_product_image, _CATALOG_OPS),
    "Relationship": (
        RelationshipMessage,
        "_POST_PRODUCT_RELATIONSHIP_DATA_",
        add_relationship,
        _CATALOG_OPS,
    ),
    "Override": (OverrideMessage, "_POST_PRODUCT_OVERRIDES_DATA_", add_override, _CATALOG_OPS),
    "OrderAcknowledgement": (
        OrderAcknowledgementMessage,
        "_POST_ORDER_ACKNOWLEDGEMENT_DATA_",
        add_order_acknowledgement,
        None,
    ),
    "OrderFulfillment": (
        OrderFulfillmentMessage,
        "_POST_ORDER_FULFILLMENT_DATA_",
        add_order_fulfillment,
        None,
    ),
    "OrderAdjustment": (
        OrderAdjustmentMessage,
        "_POST_PAYMENT_ADJUSTMENT_DATA_",
        add_order_adjustment,
        None,
    ),
}
#: MessageType -> feed type (``_POST_..._DATA_``).
FEED_TYPES = {message_type: kind[1] for message_type, kind in _KINDS.items()}
_BY_FEED_TYPE = {feed_type: message_type for message_type, feed_type in FEED_TYPES.items()}
MESSAGE_CLASSES = {message_type: kind[0] for message_type, kind in _KINDS.items()}


def _coerce(cls, msg, field_names):
    if isinstance(msg, cls):
        return msg
    if isinstance(msg, Mapping):
        unknown = set(msg) - field_names
        if unknown:
            raise FeedDataError(
                f"unknown field(s) {', '.join(sorted(unknown))} for {cls.__name__}",
                key=msg.get("key"),
            )
        try:
            return cls(**msg)
        except TypeError as exc:
            raise FeedDataError(f"{cls.__name__}: {exc}", key=msg.get("key")) from None
    raise TypeError(f"expected {cls.__name__} or dict, got {type(msg).__name__}")


def build_feed(
    message_type,
    merchant_id,
    messages,
    *,
    purge_and_replace=False,
    skip_invalid=False,
    marketplace_name=None,
):
    """Build one feed envelope of ``message_type`` messages for ``merchant_id``.

    ``message_type`` is an envelope MessageType (``Product``, ``Inventory``, ``Price``,
    ``ProductImage``, ``Relationship``, ``Override``, ``OrderAcknowledgement``,
    ``OrderFulfillment``, ``OrderAdjustment``) or its feed type (``_POST_..._DATA_``).
    ``messages`` is an iterable of that type's dataclass or dicts of its fields; it is
    consumed once, so a generator keeps memory low. ``purge_and_replace`` (avoid: Amazon
    drops every listing not in the feed) and ``marketplace_name`` (Override feeds only) go
    to the envelope. Raises :class:`FeedDataError` for an invalid message (unless
    ``skip_invalid``) and when there is no message at all; with ``skip_invalid``, a feed
    whose every message was refused is a document with an empty ``message_map`` (and no
    XML) listing them in ``rejected``.
    """
    message_type = _BY_FEED_TYPE.get(message_type, message_type)
    if message_type not in _KINDS:
        raise ValueError(f"unsupported message type {message_type!r}")
    cls, feed_type, writer, operations = _KINDS[message_type]
    field_names = {f.name for f in fields(cls)}
    merchant = identifier(merchant_id, 50, field="MerchantIdentifier")
    if marketplace_name is not None and message_type != "Override":
        raise ValueError("MarketplaceName is only supported for Override feeds")

    message_map = {}
    rejected = []
    out = BytesIO()
    element, sub_element = etree.Element, _SE
    with etree.xmlfile(out, encoding="UTF-8") as xf:
        xf.write_declaration()
        attrib = {f"{{{_XSI}}}noNamespaceSchemaLocation": "amzn-envelope.xsd"}
        with xf.element("AmazonEnvelope", attrib, nsmap={"xsi": _XSI}):
            header = element("Header")
            sub_element(header, "DocumentVersion").text = DOCUMENT_VERSION
            sub_element(header, "MerchantIdentifier").text = merchant
            xf.write(header)
            xf.write(_leaf("MessageType", message_type))
            if marketplace_name is not None:
                xf.write(
                    _leaf(
                        "MarketplaceName", identifier(marketplace_name, 50, field="MarketplaceName")
                    )
                )
            if purge_and_replace:
                xf.write(_leaf("PurgeAndReplace", "true"))
            write = xf.write
            message_id = 0
            for raw in messages:
                message = element("Message")
                try:
                    msg = raw if type(raw) is cls else _coerce(cls, raw, field_names)
                    sub_element(message, "MessageID").text = str(message_id + 1)
                    if operations is not None:
                        operation = msg.operation
                        if operation not in operations:
                            raise FeedDataError(
                                f"{operation!r} is not one of {', '.join(operations)}",
                                key=msg.key,
                                field="OperationType",
                            )
                        sub_element(message, "OperationType").text = operation
                    writer(message, msg)
                except FeedDataError as exc:
                    if not skip_invalid:
                        raise
                    rejected.append((exc.key, seller_message(exc)))
                    continue
                except ValueError as exc:  # lxml refuses text that XML cannot carry
                    key = raw.get("key") if isinstance(raw, Mapping) else raw.key
                    error = FeedDataError(str(exc), key=key)
                    if not skip_invalid:
                        raise error from exc
                    rejected.append((key, seller_message(error)))
                    continue
                message_id += 1
                write(message)
                message_map[message_id] = msg.key
    if not message_map:
        if skip_invalid and rejected:
            # every message refused: nothing to send, the caller reports each rejection
            return FeedDocument(
                xml=b"",
                feed_type=feed_type,
                message_type=message_type,
                message_map={},
                rejected=rejected,
            )
        raise FeedDataError(
            f"no {message_type} message to send"
            + (f" ({len(rejected)} rejected)" if rejected else "")
        )
    return FeedDocument(
        xml=out.getvalue(),
        feed_type=feed_type,
        message_type=message_type,
        message_map=message_map,
        rejected=rejected,
    )


def _leaf(tag, text):
    element = etree.Element(tag)
    element.text = text
    return element


def image_messages(key, sku, urls, *, swatch_url=None, previous_types=()):
    """Image messages that make Amazon show exactly ``urls`` for ``sku``.

    ``urls[0]`` is the Main image, the next ones PT1..PT8 (more are ignored), ``swatch_url``
    the Swatch. Every type in ``previous_types`` (what was sent last time) that now has no
    image gets a Delete message, so removed pictures disappear from the listing.
    """
    slots = ["Main", *(f"PT{i}" for i in range(1, 9))]
    wanted = {slot: url for slot, url in zip(slots, [u for u in urls if u], strict=False) if url}
    if swatch_url:
        wanted["Swatch"] = swatch_url
    result = [ImageMessage(key, sku, slot, url) for slot, url in wanted.items()]
    for image_type in previous_types:
        if image_type not in wanted:
            result.append(ImageMessage(key, sku, image_type, operation="Delete"))
    return result
