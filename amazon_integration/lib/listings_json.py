"""The catalog over SP-API, what is sent: listing attributes, patches, JSON_LISTINGS_FEED.

Since 2025-07-31 listings go through the Listings Items API or a ``JSON_LISTINGS_FEED``; their
attributes follow one JSON Schema per product type (checked offline by :mod:`.listings_checks`).

* :class:`ListingValues` holds plain values (what the connector reads from a product);
  :func:`attributes` turns them into Amazon's attribute dict: every attribute an array of
  objects, ``marketplace_id`` on each (except ``fulfillment_availability`` and
  ``variation_theme``, whose entries have no such property in Amazon's examples and schemas),
  ``language_tag`` on text; None and empty values are left out. ``extra`` adds an integrator's
  mapping by attribute path; ``hook`` may change the result.
* :func:`stock_patch`, :func:`price_patch`, :func:`patches_for`: JSON Patch operations.
* :func:`build_feed` writes the feed document (``listings-feed-schema-v2``), one marketplace per
  feed (the marketplace goes in createFeed's ``marketplaceIds``: the header has no such field).
* Amazon's answers (processing report, Listings Items API) and the offline check against the
  product type's JSON Schema are in :mod:`.listings_checks`.

A value that cannot be sent raises :class:`~.feed_values.FeedDataError` (``key`` the SKU,
``field`` the attribute), as for the XML feeds. Money is rounded half-up to cents and sent as
a JSON number; dates as UTC ``YYYY-MM-DDTHH:MM:SSZ`` (a plain date: midnight UTC).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from itertools import islice, pairwise
from typing import Any

from .feed_values import FeedDataError, datetime_text, integer, is_valid_gtin, sku_text, to_decimal

__all__ = [
    "CONTENT_TYPE",
    "FEED_TYPE",
    "MAX_MESSAGES",
    "OPERATION_TYPES",
    "PATCH_GROUPS",
    "FeedMessage",
    "ListingValues",
    "attributes",
    "build_feed",
    "chunks",
    "patches_for",
    "price_patch",
    "product_identifier",
    "stock_patch",
]

FEED_TYPE = "JSON_LISTINGS_FEED"
#: the connector's feed kind of a JSON listings feed (as "OrderFulfillment" is of the XML ones)
MESSAGE_KIND = "Listings"
CONTENT_TYPE = "application/json; charset=UTF-8"
FEED_VERSION = "2.0"
LISTINGS_API_VERSION = "2021-08-01"
MAX_MESSAGES = 25_000
OPERATION_TYPES = ("UPDATE", "PARTIAL_UPDATE", "PATCH", "DELETE")
REQUIREMENTS = ("LISTING", "LISTING_PRODUCT_ONLY", "LISTING_OFFER_ONLY")
MERCHANT_CHANNEL = "DEFAULT"  # any other fulfillment channel code is Amazon's (FBA)
MAX_OTHER_IMAGES = 8
PATCH_GROUPS = ("content", "price", "stock", "images")

STOCK_ATTRIBUTES = frozenset({"fulfillment_availability"})
PRICE_ATTRIBUTES = frozenset({"purchasable_offer", "list_price"})
OTHER_IMAGE_ATTRIBUTES = tuple(
    f"other_product_image_locator_{i}" for i in range(1, MAX_OTHER_IMAGES + 1)
)
IMAGE_ATTRIBUTES = frozenset({"main_product_image_locator", *OTHER_IMAGE_ATTRIBUTES})

Hook = Callable[[dict, "ListingValues"], "dict | None"]


@dataclass(slots=True)
class ListingValues:
    """One listing in one marketplace, in plain values (see :func:`attributes`).

    ``barcode``: digits of a UPC, EAN or GTIN-14; ``fulfillment_channel``: ``DEFAULT``
    (merchant) or Amazon's code (``AMAZON_EU``...: no quantity is sent); ``other_image_urls``:
    the first 8 are sent; ``parentage``: ``parent``, ``child`` (with ``parent_sku``) or None;
    ``extra``: ``{attribute path: value}`` from an integrator's mapping.
    """

    sku: str
    product_type: str
    marketplace_id: str
    language_tag: str | None
    name: str | None = None
    brand: str | None = None
    barcode: str | None = None
    bullet_points: Sequence[str] = ()
    description: str | None = None
    condition: str | None = "new_new"
    currency: str | None = None
    price: Any = None
    sale_price: Any = None
    sale_start: date | str | None = None
    sale_end: date | str | None = None
    min_price: Any = None
    max_price: Any = None
    list_price: Any = None
    quantity: int | None = None
    lead_time_days: int | None = None
    fulfillment_channel: str = MERCHANT_CHANNEL
    main_image_url: str | None = None
    other_image_urls: Sequence[str] = ()
    parentage: str | None = None
    parent_sku: str | None = None
    variation_theme: str | None = None
    shipping_group: str | None = None
    extra: Mapping[str, Any] | None = None


# --- values -------------------------------------------------------------------------------

_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_SPACES = re.compile(r"\s+")
_CENT = Decimal("0.01")
_CURRENCY = re.compile(r"[A-Z]{3}")
_ID_TYPES = {8: "ean", 12: "upc", 13: "ean", 14: "gtin"}


def _line(value):
    """One-line text (control characters dropped, whitespace runs one space), None if empty."""
    if value is None or value is False:
        return None
    text = value if isinstance(value, str) else str(value)
    return _SPACES.sub(" ", _CONTROL.sub("", text)).strip() or None


def _block(value):
    """Text that keeps its line breaks (a description)."""
    if value is None or value is False:
        return None
    text = value if isinstance(value, str) else str(value)
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    return text.strip() or None


def _money(value, *, name, key):
    number = to_decimal(value, field=name, key=key).quantize(_CENT, rounding=ROUND_HALF_UP)
    if number < 0:
        raise FeedDataError(f"{value!r} is negative", key=key, field=name)
    return float(number)


def _currency(values):
    code = str(values.currency or "").strip().upper()
    if not _CURRENCY.fullmatch(code):
        raise FeedDataError(
            f"a currency code (EUR, USD...) is needed with a price, not {values.currency!r}",
            key=values.sku,
            field="currency",
        )
    return code


def product_identifier(barcode, *, key=None):
    """``(type, digits)`` of ``externally_assigned_product_identifier``: 12 digits ``upc``,
    13 or 8 ``ean``, 14 ``gtin``; spaces and hyphens ignored; the GS1 check digit verified."""
    name = "externally_assigned_product_identifier"
    digits = re.sub(r"[\s-]", "", str(barcode or ""))
    kind = _ID_TYPES.get(len(digits)) if digits.isascii() and digits.isdigit() else None
    if kind is None:
        raise FeedDataError(
            f"{barcode!r} is not a UPC (12 digits), EAN (13 or 8) or GTIN-14", key=key, field=name
        )
    if not is_valid_gtin(digits):
        raise FeedDataError(
            f"{barcode!r}: wrong check digit (a typing error?)", key=key, field=name
        )
    return kind, digits


def _plain(value, *, key, name):
    """A JSON value from an integrator's: Decimal a number, a date ISO text, tuples lists."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime):
        return datetime_text(value, field=name, key=key)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _plain(v, key=key, name=name) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v, key=key, name=name) for v in value]
    raise FeedDataError(f"{value!r} cannot be written in JSON", key=key, field=name)


def _text_entry(text, values, name):
    if not values.language_tag:
        raise FeedDataError("a language tag is needed for text", key=values.sku, field=name)
    return {
        "value": text,
        "language_tag": values.language_tag,
        "marketplace_id": values.marketplace_id,
    }


def _schedule(amount):
    return [{"schedule": [{"value_with_tax": amount}]}]


def _offer(values, *, required):
    """The ``purchasable_offer`` entry, or None without any price."""
    key = values.sku
    if values.price is None:
        if required:
            raise FeedDataError("a price is required", key=key, field="purchasable_offer")
        if values.sale_price is None and values.min_price is None and values.max_price is None:
            return None
    offer = {
        "marketplace_id": values.marketplace_id,
        "currency": _currency(values),
        "audience": "ALL",
    }
    if values.price is not None:
        offer["our_price"] = _schedule(_money(values.price, name="our_price", key=key))
    if values.sale_price is not None:
        name = "discounted_price"
        if values.sale_start is None or values.sale_end is None:
            raise FeedDataError("a sale price needs a start and an end", key=key, field=name)
        start = datetime_text(values.sale_start, field=name, key=key)
        end = datetime_text(values.sale_end, field=name, key=key)
        if end < start:
            raise FeedDataError(f"ends ({end}) before it starts ({start})", key=key, field=name)
        amount = _money(values.sale_price, name=name, key=key)
        offer[name] = [{"schedule": [{"start_at": start, "end_at": end, "value_with_tax": amount}]}]
    for name, amount in (
        ("minimum_seller_allowed_price", values.min_price),
        ("maximum_seller_allowed_price", values.max_price),
    ):
        if amount is not None:
            offer[name] = _schedule(_money(amount, name=name, key=key))
    return offer


def _list_price(values):
    amount = _money(values.list_price, name="list_price", key=values.sku)
    return [
        {
            "value_with_tax": amount,
            "currency": _currency(values),
            "marketplace_id": values.marketplace_id,
        }
    ]


def _availability(values, *, required):
    """``fulfillment_availability``: quantity and handling time (merchant), else the channel."""
    key = values.sku
    channel = values.fulfillment_channel
    if channel != MERCHANT_CHANNEL:  # (the usual value, compared before any normalising)
        channel = (channel or MERCHANT_CHANNEL).strip().upper()
        if channel != MERCHANT_CHANNEL:
            return [{"fulfillment_channel_code": channel}]
    quantity, lead_time = values.quantity, values.lead_time_days
    if quantity is None:
        if required:
            raise FeedDataError(
                "a quantity is required for a merchant-fulfilled listing",
                key=key,
                field="fulfillment_availability",
            )
        if lead_time is None:
            return None
    entry = {"fulfillment_channel_code": MERCHANT_CHANNEL}
    if quantity is not None:
        if type(quantity) is not int:
            quantity = integer(quantity, field="quantity", key=key)
        entry["quantity"] = quantity if quantity > 0 else 0
    if lead_time is not None:
        if type(lead_time) is not int or lead_time < 0:
            lead_time = integer(lead_time, field="lead_time_to_ship_max_days", key=key, minimum=0)
        entry["lead_time_to_ship_max_days"] = lead_time
    return [entry]


def _image(url, values, name):
    text = str(url or "").strip()
    if not text:
        return None
    if not text.startswith(("https://", "http://")):
        raise FeedDataError(f"{text!r} is not an http(s) URL", key=values.sku, field=name)
    return [{"media_location": text, "marketplace_id": values.marketplace_id}]


# --- attributes ---------------------------------------------------------------------------


def attributes(values: ListingValues, hook: Hook | None = None) -> dict:
    """Amazon's attribute dict for ``values`` (what an UPDATE message or putListingsItem sends).

    ``values.extra`` is applied last, path by path: a bare name sets the whole attribute (a
    scalar ``[{"value": v, ...}]``, a list of scalars one entry each, a dict one entry, a list
    of dicts as is), ``name[i].sub.key`` sets that place (``name.sub`` means ``name[0].sub``);
    None removes the attribute or key. A string set as an entry's own ``value`` gets the
    language tag. ``hook(attrs, values)`` may then change the dict, or return another one.
    """
    key, market = values.sku, values.marketplace_id
    if not market:
        raise FeedDataError("a marketplace id is required", key=key, field="marketplace_id")
    attrs: dict[str, Any] = {}
    if values.condition:
        attrs["condition_type"] = [{"value": values.condition, "marketplace_id": market}]
    for name, text in (("item_name", _line(values.name)), ("brand", _line(values.brand))):
        if text:
            attrs[name] = [_text_entry(text, values, name)]
    if values.barcode:
        kind, digits = product_identifier(values.barcode, key=key)
        attrs["externally_assigned_product_identifier"] = [
            {"type": kind, "value": digits, "marketplace_id": market}
        ]
    bullets = [text for text in map(_line, values.bullet_points or ()) if text]
    if bullets:
        attrs["bullet_point"] = [_text_entry(text, values, "bullet_point") for text in bullets]
    description = _block(values.description)
    if description:
        attrs["product_description"] = [_text_entry(description, values, "product_description")]
    offer = _offer(values, required=False)
    if offer:
        attrs["purchasable_offer"] = [offer]
    if values.list_price is not None:
        attrs["list_price"] = _list_price(values)
    availability = _availability(values, required=False)
    if availability:
        attrs["fulfillment_availability"] = availability
    main = _image(values.main_image_url, values, "main_product_image_locator")
    if main:
        attrs["main_product_image_locator"] = main
    others = [url for url in (values.other_image_urls or ()) if url and str(url).strip()]
    for name, url in zip(OTHER_IMAGE_ATTRIBUTES, others, strict=False):
        attrs[name] = _image(url, values, name)
    _relationship(attrs, values)
    group = _line(values.shipping_group)
    if group:
        attrs["merchant_shipping_group"] = [{"value": group, "marketplace_id": market}]
    for path, value in (values.extra or {}).items():
        _set_path(attrs, path, value, values)
    if hook is not None:
        changed = hook(attrs, values)
        if changed is not None:
            attrs = changed
    return attrs


def _relationship(attrs, values):
    key, market, parentage = values.sku, values.marketplace_id, values.parentage or None
    if parentage is not None:
        if parentage not in ("parent", "child"):
            raise FeedDataError(
                f"{parentage!r} is not parent or child", key=key, field="parentage_level"
            )
        attrs["parentage_level"] = [{"value": parentage, "marketplace_id": market}]
        relation = {"child_relationship_type": "variation", "marketplace_id": market}
        if parentage == "child":
            if not values.parent_sku:
                raise FeedDataError(
                    "a variation child needs its parent's SKU",
                    key=key,
                    field="child_parent_sku_relationship",
                )
            relation["parent_sku"] = sku_text(values.parent_sku, key=key, field="parent_sku")
        attrs["child_parent_sku_relationship"] = [relation]
    theme = _line(values.variation_theme)
    if theme:
        attrs["variation_theme"] = [{"name": theme}]


_TOKEN = re.compile(r"(?:^|\.)([^.\[\]]+)|\[(\d+)\]")


def _tokens(path, key):
    tokens, position = [], 0
    for match in _TOKEN.finditer(path):
        if match.start() != position:
            break
        name, index = match.groups()
        tokens.append(name if name is not None else int(index))
        position = match.end()
    if position != len(path) or not tokens or not isinstance(tokens[0], str):
        raise FeedDataError(
            f"{path!r} is not an attribute path (name, name[0].value, name.sub.key)",
            key=key,
            field=str(path),
        )
    return tokens


def _entry(value, values):
    """One attribute entry for a mapped value (a dict, or a scalar that becomes its value)."""
    if isinstance(value, dict):
        return {"marketplace_id": values.marketplace_id, **value}
    entry = {"value": value, "marketplace_id": values.marketplace_id}
    if isinstance(value, str) and values.language_tag:
        entry["language_tag"] = values.language_tag
    return entry


def _empty(value):
    return value is None or value == "" or value == [] or value == {}


def _set_path(attrs, path, value, values):
    key = values.sku
    tokens = _tokens(str(path), key)
    value = _plain(value, key=key, name=str(path))
    name, rest = tokens[0], tokens[1:]
    if not rest:
        if _empty(value):
            attrs.pop(name, None)
        elif isinstance(value, list) and all(isinstance(v, dict) for v in value):
            attrs[name] = value
        elif isinstance(value, list):
            attrs[name] = [_entry(v, values) for v in value if not _empty(v)]
        else:
            attrs[name] = [_entry(value, values)]
        return
    if _empty(value):
        value = None  # removes what the path names; never creates anything
    if not isinstance(rest[0], int):
        rest.insert(0, 0)
    if value is None and name not in attrs:
        return
    node = attrs.setdefault(name, [])
    for depth, (token, following) in enumerate(pairwise(rest)):
        fresh = None if value is None else [] if isinstance(following, int) else {}
        node = _child(node, token, fresh, path, key)
        if node is None:
            return
        if depth == 0 and node == {}:  # a new entry
            node["marketplace_id"] = values.marketplace_id
    last = rest[-1]
    if len(rest) == 1 and value is not None:  # name[i] = the whole entry
        value = _entry(value, values)
    _put(node, last, value, path, key)
    if rest == [rest[0], "value"] and isinstance(value, str) and values.language_tag:
        node.setdefault("language_tag", values.language_tag)
    if not attrs[name]:
        del attrs[name]


def _child(node, token, fresh, path, key):
    """``node[token]``, created as ``fresh`` when missing (None: not created)."""
    if isinstance(token, int):
        if not isinstance(node, list):
            raise FeedDataError(f"{path!r}: [{token}] indexes a non-list", key=key, field=path)
        if token < len(node) or fresh is None:
            return node[token] if token < len(node) else None
        if token > len(node):
            raise FeedDataError(f"{path!r}: [{token}] skips entries", key=key, field=path)
        node.append(fresh)
        return fresh
    if not isinstance(node, dict):
        raise FeedDataError(f"{path!r}: .{token} under a non-object", key=key, field=path)
    if token in node or fresh is None:
        return node.get(token)
    node[token] = fresh
    return fresh


def _put(node, token, value, path, key):
    if isinstance(token, int):
        if not isinstance(node, list) or token > len(node):
            raise FeedDataError(f"{path!r}: [{token}] cannot be set", key=key, field=path)
        if value is None:
            if token < len(node):
                del node[token]
        elif token == len(node):
            node.append(value)
        else:
            node[token] = value
    elif not isinstance(node, dict):
        raise FeedDataError(f"{path!r}: .{token} under a non-object", key=key, field=path)
    elif value is None:
        node.pop(token, None)
    else:
        node[token] = value


# --- patches ------------------------------------------------------------------------------


def _replace(name, value):
    return {"op": "replace", "path": f"/attributes/{name}", "value": value}


def stock_patch(values: ListingValues) -> list[dict]:
    """Replace ``fulfillment_availability``: the quantity (merchant) or the FBA channel."""
    return [
        {
            "op": "replace",
            "path": "/attributes/fulfillment_availability",
            "value": _availability(values, required=True),
        }
    ]


def price_patch(values: ListingValues) -> list[dict]:
    """Replace ``purchasable_offer`` (price, sale, min/max), and ``list_price`` when set."""
    patches = [_replace("purchasable_offer", [_offer(values, required=True)])]
    if values.list_price is not None:
        patches.append(_replace("list_price", _list_price(values)))
    return patches


def _group(name):
    if name in STOCK_ATTRIBUTES:
        return "stock"
    if name in PRICE_ATTRIBUTES:
        return "price"
    if name in IMAGE_ATTRIBUTES:
        return "images"
    return "content"


def patches_for(values: ListingValues, what, *, hook: Hook | None = None) -> list[dict]:
    """Replace operations for the attributes of the groups in ``what`` (a name or a set of
    :data:`PATCH_GROUPS`), as :func:`attributes` builds them. ``images`` also deletes the
    other-image slots left empty, so that an image removed from the product leaves Amazon."""
    if what == "stock" and hook is None and not values.extra:  # the bulk case, kept cheap
        return stock_patch(values)
    wanted = {what} if isinstance(what, str) else set(what)
    if not wanted or not wanted <= set(PATCH_GROUPS):
        raise ValueError(f"patch groups are {', '.join(PATCH_GROUPS)}, not {sorted(wanted)}")
    if hook is None and not values.extra and wanted <= {"stock", "price"}:
        return [
            *(stock_patch(values) if "stock" in wanted else ()),
            *(price_patch(values) if "price" in wanted else ()),
        ]
    if "stock" in wanted:
        _availability(values, required=True)  # the same refusals as stock_patch
    if "price" in wanted:
        _offer(values, required=True)
    attrs = attributes(values, hook)
    patches = [_replace(name, value) for name, value in attrs.items() if _group(name) in wanted]
    if "images" in wanted:
        if not any(name in IMAGE_ATTRIBUTES for name in attrs):
            raise FeedDataError("no image to send", key=values.sku, field="images")
        patches.extend(
            {
                "op": "delete",
                "path": f"/attributes/{name}",
                "value": [{"marketplace_id": values.marketplace_id}],
            }
            for name in OTHER_IMAGE_ATTRIBUTES
            if name not in attrs
        )
    return patches


# --- the feed document --------------------------------------------------------------------


@dataclass(slots=True)
class FeedMessage:
    """One message of a JSON_LISTINGS_FEED. ``message_id`` None: its position in the feed;
    ``marketplace_id`` (optional) is checked against the feed's."""

    sku: str
    operation_type: str
    product_type: str | None = None
    attributes: Mapping[str, Any] | None = None
    patches: Sequence[Mapping[str, Any]] | None = None
    requirements: str | None = None
    message_id: int | None = None
    marketplace_id: str | None = None

    @classmethod
    def for_update(cls, values, *, hook=None, requirements="LISTING", message_id=None):
        """A full UPDATE of the listing with :func:`attributes`."""
        return cls(
            values.sku,
            "UPDATE",
            values.product_type,
            attributes(values, hook),
            requirements=requirements,
            message_id=message_id,
            marketplace_id=values.marketplace_id,
        )

    @classmethod
    def for_patch(cls, values, what, *, hook=None, message_id=None):
        """A PATCH with :func:`patches_for`."""
        if what == "stock" and hook is None and not values.extra:  # the bulk case
            patches = stock_patch(values)
        else:
            patches = patches_for(values, what, hook=hook)
        # (sku, operation, product type, attributes, patches, requirements, id, marketplace)
        return cls(
            values.sku,
            "PATCH",
            values.product_type,
            None,
            patches,
            None,
            message_id,
            values.marketplace_id,
        )

    @classmethod
    def for_delete(cls, sku, *, marketplace_id=None, message_id=None):
        return cls(sku, "DELETE", message_id=message_id, marketplace_id=marketplace_id)


def _json_default(value):
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime):
        return datetime_text(value, field="value")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def build_feed(
    seller_id: str,
    messages: Sequence[FeedMessage],
    *,
    marketplace_id: str,
    issue_locale: str | None = "en_US",
    included_data: Sequence[str] | None = None,
) -> bytes:
    """The JSON_LISTINGS_FEED document (UTF-8 JSON, compact) for one marketplace.

    ``included_data`` (``summaries``, ``issues``...) asks for the listings in the processing
    report. Raises ``ValueError`` (``FeedDataError`` for a bad SKU) for no message, more than
    :data:`MAX_MESSAGES` (see :func:`chunks`), another marketplace, a repeated messageId, or a
    message its operation does not allow.
    """
    seller = str(seller_id or "").strip()
    if not seller or not marketplace_id:
        raise ValueError("a JSON listings feed needs the seller id and its marketplace")
    if not isinstance(messages, (list, tuple)):
        messages = list(messages)
    if not messages:
        raise ValueError("a JSON listings feed needs at least one message")
    if len(messages) > MAX_MESSAGES:
        raise ValueError(f"{len(messages)} messages: a feed takes {MAX_MESSAGES}, see chunks()")
    written, seen = [], set()
    for position, msg in enumerate(messages, 1):
        message_id = msg.message_id or position
        if message_id in seen:
            raise ValueError(f"messageId {message_id} is used twice")
        seen.add(message_id)
        if msg.marketplace_id is not None and msg.marketplace_id != marketplace_id:
            raise ValueError(
                f"message {message_id} ({msg.sku}) is for marketplace {msg.marketplace_id}, "
                f"the feed for {marketplace_id}: one marketplace per feed"
            )
        written.append(_message(msg, message_id))
    header = {"sellerId": seller, "version": FEED_VERSION}
    if issue_locale:
        header["issueLocale"] = issue_locale
    if included_data:
        header["report"] = {"includedData": list(included_data), "apiVersion": LISTINGS_API_VERSION}
    document = {"header": header, "messages": written}
    return json.dumps(
        document, ensure_ascii=False, separators=(",", ":"), default=_json_default
    ).encode("utf-8")


def _message(msg, message_id):
    op = msg.operation_type
    if op == "PATCH" and msg.product_type and msg.patches:  # the bulk case, in one literal
        return {
            "messageId": message_id,
            "sku": sku_text(msg.sku, key=message_id),
            "operationType": op,
            "productType": msg.product_type,
            "patches": msg.patches,
        }
    entry = {"messageId": message_id, "sku": sku_text(msg.sku, key=message_id), "operationType": op}
    if op == "DELETE":
        return entry
    if op not in OPERATION_TYPES:
        raise ValueError(
            f"message {message_id}: operationType {op!r} is not one of {OPERATION_TYPES}"
        )
    if not msg.product_type:
        raise ValueError(f"message {message_id}: {op} needs the productType")
    entry["productType"] = msg.product_type
    if op == "PATCH":
        if not msg.patches:
            raise ValueError(f"message {message_id}: PATCH needs patches")
        entry["patches"] = msg.patches
        return entry
    if not msg.attributes:
        raise ValueError(f"message {message_id}: {op} needs attributes")
    if op == "UPDATE" and msg.requirements:
        if msg.requirements not in REQUIREMENTS:
            raise ValueError(f"message {message_id}: requirements {msg.requirements!r}")
        entry["requirements"] = msg.requirements
    entry["attributes"] = msg.attributes
    return entry


def chunks(messages: Iterable[FeedMessage], size: int = MAX_MESSAGES) -> Iterator[list]:
    """``messages`` in lists of at most ``size`` (one feed each)."""
    if not 1 <= size <= MAX_MESSAGES:
        raise ValueError(f"a chunk holds 1 to {MAX_MESSAGES} messages")
    iterator = iter(messages)
    while chunk := list(islice(iterator, size)):
        yield chunk
