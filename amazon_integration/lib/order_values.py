"""An Amazon order dict → what the Odoo writer needs (no Odoo import).

The order import has three parts: the sources (the Orders API listing, the order reports)
bring order dicts (``amazon_sandbox/DESIGN.md``, "The order dict"); this module decides, in
plain Python, what they mean for Odoo (statuses, the amounts of each line, the stored payload,
whether the address can be shipped to); the Odoo writer (``models/amazon_order_import.py``)
turns that into partners, sale orders, lines and confirmations.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from .responses import ResponseParseError, parse_amount

CENT = Decimal("0.01")
ZERO = Decimal("0.00")

#: statuses imported as confirmed orders
IMPORTABLE = ("Unshipped", "PartiallyShipped", "Shipped")
#: Amazon's payment hold (no buyer, no address yet)
PENDING = ("Pending", "PendingAvailability")
#: every order status Amazon knows; Unshipped and PartiallyShipped go together
LISTED_STATUSES = (
    "PendingAvailability",
    "Pending",
    "Unshipped",
    "PartiallyShipped",
    "Shipped",
    "InvoiceUnconfirmed",
    "Canceled",
    "Unfulfillable",
)
#: the lines an order has besides its items, in the order they are written
SERVICE_LINE_KINDS = ("shipping", "gift_wrap", "promotion", "tax")

LANG_BY_MARKETPLACE_COUNTRY = {
    "US": "en_US",
    "CA": "en_CA",
    "GB": "en_GB",
    "DE": "de_DE",
    "FR": "fr_FR",
    "IT": "it_IT",
    "ES": "es_ES",
    "NL": "nl_NL",
    "MX": "es_MX",
    "BR": "pt_BR",
    "JP": "ja_JP",
    "IN": "en_IN",
    "AU": "en_AU",
}

# ----------------------------------------------------------------------------- conversions


def to_json(value):
    """The order dict as JSON-safe data (aware datetimes → ISO strings, Decimal → str)."""
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def parse_iso(value):
    """An ISO date-time (``Z`` allowed) as an aware datetime; anything else unchanged."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (AttributeError, ValueError):
        return value
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def from_json(value, key=""):
    """Inverse of `to_json` for order dicts: keys ending in ``_date`` become datetimes."""
    if isinstance(value, dict):
        return {k: from_json(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [from_json(v) for v in value]
    if isinstance(value, str) and key.endswith("_date"):
        return parse_iso(value)
    return value


def dec(value):
    """A contract amount to the cent, half up (ZERO for none or an unreadable one)."""
    if value in (None, ""):
        return ZERO
    try:
        amount = parse_amount(value if isinstance(value, str | Decimal | int) else str(value))
    except ResponseParseError:
        return ZERO
    return ZERO if amount is None else amount.quantize(CENT, rounding=ROUND_HALF_UP)


def naive(dt):
    """An aware datetime (or ISO string) as Odoo's naive UTC (None stays None)."""
    if not dt:
        return None
    if isinstance(dt, str):
        dt = parse_iso(dt)
        if isinstance(dt, str):
            return None
    if dt.tzinfo:
        dt = dt.astimezone(timezone.utc).replace(tzinfo=None)
    return dt


def iso_z(dt):
    """Odoo naive UTC (or aware) datetime → ``2024-05-01T12:00:00Z``."""
    if dt.tzinfo:
        dt = dt.astimezone(timezone.utc).replace(tzinfo=None)
    return dt.replace(microsecond=0).isoformat() + "Z"


# ---------------------------------------------------------------------------------- amounts


def item_amounts(item):
    """One item's amounts by Odoo line kind, as Decimals: the items line, shipping,
    promotion (negative: the item and shipping discounts), gift wrap and tax (Amazon's)."""
    return {
        "items": dec(item.get("item_price")),
        "shipping": dec(item.get("shipping_price")),
        "promotion": -(dec(item.get("promotion_discount")) + dec(item.get("shipping_discount"))),
        "gift_wrap": dec(item.get("gift_wrap_price")),
        "tax": dec(item.get("item_tax"))
        + dec(item.get("shipping_tax"))
        + dec(item.get("gift_wrap_tax")),
    }


def order_amounts(order):
    """The amounts of an order's Odoo lines (summed over its items) and the ``total`` they
    make: the one totals computation of the connector (the parsers' item totals, the
    import's lines and the checks of the tests all use it)."""
    amounts = dict.fromkeys(("shipping", "promotion", "gift_wrap", "tax", "items"), ZERO)
    for item in order.get("items") or ():
        for kind, amount in item_amounts(item).items():
            amounts[kind] += amount
    amounts["total"] = sum(amounts.values(), ZERO)
    return amounts


def tax_rounding(amazon_total, odoo_total, taxed_lines):
    """Where the seller collects the tax, Odoo computes it: the difference between Amazon's
    total and Odoo's, when it is rounding (at most a cent per taxed line), is the amount of
    the rounding line that makes the order Amazon's to the cent; ``None`` when it is more
    (the taxes are not the ones Amazon charged)."""
    difference = dec(amazon_total) - dec(odoo_total)
    if abs(difference) <= Decimal("0.01") * max(int(taxed_lines), 1):
        return difference
    return None


# ------------------------------------------------------------------------------------ lines


@dataclass(frozen=True)
class ItemLine:
    """One item of the order as a sale order line: ``unit`` is the unit price to the cent
    (Amazon gives the line's price), ``quantity`` 0 for an item nothing is ordered of."""

    sku: str | None
    title: str
    quantity: int
    price: Decimal
    unit: Decimal
    order_item_id: str | None


@dataclass(frozen=True)
class LinePlan:
    """What the lines of an order are: its items, its service amounts (shipping, gift
    wrap, promotion, tax; zeros left out), the promotion ids, and the rounding left when
    line prices are divided into unit prices."""

    items: list = field(default_factory=list)
    services: dict = field(default_factory=dict)
    promotion_ids: list = field(default_factory=list)
    rounding: Decimal = ZERO


def plan_lines(order):
    """The :class:`LinePlan` of an order dict."""
    items, rounding = [], ZERO
    for item in order.get("items") or ():
        sku = item.get("seller_sku")
        quantity = int(item.get("quantity_ordered") or 0)
        price = dec(item.get("item_price"))
        if quantity <= 0:  # nothing ordered (e.g. a canceled unit): a trace at zero
            quantity, unit = 0, ZERO
        else:
            unit = (price / quantity).quantize(CENT, rounding=ROUND_HALF_UP)
            rounding += price - unit * quantity
        items.append(
            ItemLine(
                sku,
                item.get("title") or sku or "",
                quantity,
                price,
                unit,
                item.get("order_item_id"),
            )
        )
    amounts = order_amounts(order)
    services = {kind: amounts[kind] for kind in SERVICE_LINE_KINDS if amounts[kind]}
    promotions = sorted({p for i in order.get("items") or () for p in i.get("promotion_ids") or []})
    return LinePlan(items, services, promotions, rounding)


# ----------------------------------------------------------------------------- the payload


def merge_payload(stored, order):
    """The stored order dict updated with what ``order`` knows: a header without items
    keeps the stored items, a report's None status keeps the stored status, a value Amazon
    did not send (None) keeps the stored one."""
    merged = dict(stored)
    for key, value in order.items():
        if key == "items" and not order.get("items_complete") and stored.get("items"):
            continue
        if key == "items_complete" and not value and stored.get("items_complete"):
            continue
        if key == "status" and value is None:
            continue
        if value is None and stored.get(key) is not None:
            continue
        merged[key] = value
    return merged


def address_problem(address):
    """Why an Amazon shipping address cannot be shipped to: ``no_address``,
    ``no_country``, ``no_street``; None when it can."""
    if not address:
        return "no_address"
    if not (address.get("country_code") or "").strip():
        return "no_country"
    if not any((address.get(k) or "").strip() for k in ("address_line1", "address_line2")):
        return "no_street"
    return None


# ---------------------------------------------------------------------------------- refunds

#: refund components Amazon adjusts per item, and the item field that charged each
REFUND_CHARGED = {
    "Principal": "item_price",
    "Shipping": "shipping_price",
    "GiftWrap": "gift_wrap_price",
    "Tax": "item_tax",
    "ShippingTax": "shipping_tax",
    "GiftWrapTax": "gift_wrap_tax",
}
#: the order-wide charges the order's lines carry, and the tax component of each part
_SHARED = {"Shipping": "ShippingTax", "GiftWrap": "GiftWrapTax"}


def _spread(total, weights, caps):
    """``total`` over slots in proportion to ``weights``, none above its cap, to the cent
    (the cents rounding leaves go to the largest remainders); what the weighted slots
    cannot take spills over to any slot with room. Returns (amounts, left over)."""
    amounts = [ZERO] * len(caps)
    left = total
    for pool in (weights, caps):
        while left > ZERO:
            room = [(i, w) for i, w in enumerate(pool) if w > ZERO and caps[i] - amounts[i] > ZERO]
            if not room:
                break
            weight = sum((w for _i, w in room), ZERO)
            exact = {i: left * w / weight for i, w in room}
            shares = {
                i: min(caps[i] - amounts[i], value.quantize(CENT, ROUND_DOWN))
                for i, value in exact.items()
            }
            rest = left - sum(shares.values(), ZERO)
            for i in sorted(exact, key=lambda i: exact[i] - shares[i], reverse=True):
                if rest <= ZERO:
                    break
                if caps[i] - amounts[i] - shares[i] >= CENT:
                    shares[i] += CENT
                    rest -= CENT
            given = sum(shares.values(), ZERO)
            for i, share in shares.items():
                amounts[i] += share
            left -= given
            if given == ZERO:
                break
    return amounts, left


def allocate_refund(items, principal, shared, tax):
    """What a refund gives back per Amazon item and component, as Amazon adjusts it.

    ``items``: the order's items as Amazon charged them (order dicts' items);
    ``principal``: {order_item_id: amount} of the refunded item lines; ``shared``:
    {"Shipping": amount, "GiftWrap": amount} refunded from the order-wide lines, and ``tax``
    the refunded tax (the order's lines carry them for the whole order). Each shared charge
    goes to the refunded items charged it (else to any item that was), in proportion to
    what they were charged; the tax goes to each item's tax components in proportion to the
    share of its price, shipping and gift wrap given back. No component gives back more
    than it charged. Returns ``({order_item_id: {component: amount}}, problem)``,
    ``problem`` a text when the refund asks for more than Amazon charged."""
    ids = [item.get("order_item_id") for item in items]
    charged = {
        component: [dec(item.get(field)) for item in items]
        for component, field in REFUND_CHARGED.items()
    }
    given = {component: [ZERO] * len(ids) for component in REFUND_CHARGED}
    problems = []
    # principal: as the item lines say, never above the item's price
    for i, oid in enumerate(ids):
        given["Principal"][i] = dec(principal.get(oid))
        if given["Principal"][i] > charged["Principal"][i]:
            problems.append(f"{oid}: Principal {given['Principal'][i]} > {charged['Principal'][i]}")
    unknown = set(principal) - set(ids)
    if unknown:
        problems.append(f"not items of the order: {', '.join(sorted(map(str, unknown)))}")
    refunded = [amount > ZERO for amount in given["Principal"]]
    # shipping and gift wrap: to the refunded items charged them, else to any item
    for component in _SHARED:
        caps = charged[component]
        weights = [c if (refunded[i] or not any(refunded)) else ZERO for i, c in enumerate(caps)]
        if not any(weights):
            weights = list(caps)
        amount = dec(shared.get(component))
        given[component], left = _spread(amount, weights, caps)
        if left:
            problems.append(f"{component} {amount} > {sum(caps, ZERO)} charged")
    # tax: in proportion to the share of each part of each item given back
    slots, weights, caps = [], [], []
    for part, tax_component in (("Principal", "Tax"), *_SHARED.items()):
        for i in range(len(ids)):
            base = charged[part][i]
            share = min(given[part][i] / base, Decimal(1)) if base else ZERO
            slots.append((tax_component, i))
            weights.append(charged[tax_component][i] * share)
            caps.append(charged[tax_component][i])
    if not any(weights):
        weights = list(caps)
    taxes, left = _spread(dec(tax), weights, caps)
    if left:
        problems.append(f"Tax {dec(tax)} > {sum(caps, ZERO)} charged")
    for (component, i), amount in zip(slots, taxes, strict=True):
        given[component][i] = amount
    result = {}
    for i, oid in enumerate(ids):
        components = {c: given[c][i] for c in REFUND_CHARGED if given[c][i]}
        if components:
            result[oid] = components
    return result, "; ".join(problems) or None
