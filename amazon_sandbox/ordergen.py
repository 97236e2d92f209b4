"""Seeded, reproducible generator of sandbox orders (order dicts as DESIGN.md describes them).

`generate_orders(seller_id, marketplace_ids, count, seed=..., now=...)` returns `count` orders,
all `Pending`, purchased within `window` before `now`. The same arguments give the same orders.
Each order carries its planned timeline (sandbox keys on top of the shared ones, all aware UTC
datetimes):

- `planned_payment_date`: when the payment hold ends (Pending -> Unshipped);
- `planned_cancel_date`: when the buyer cancels (None for most orders), either during the hold
  or while the order is still Unshipped;
- `afn_ship_delay_minutes`: for AFN orders, how long after payment Amazon ships them;
- `payments_date`: None until the payment clears (set by the sandbox clock);
- `purchase_order_number`, `buyer_tax_info` ({"company_legal_name", "taxing_region",
  "tax_classifications": [{"name", "value"}]}): business orders only.

Prices come from the seller's catalog (`catalog` rows, price converted at fixed demo rates
when the row's currency differs from the marketplace's) or, with an empty catalog, from
`demo_catalog()` (DEMO-SKU-001...). US and CA add sales tax on top (item, shipping and gift
wrap); UK and DE prices are VAT-inclusive, as Amazon shows them to consumers, so their tax
fields are "0.00". Every amount is a 2-decimal string computed with Decimal, and
`order_total` is exactly the sum of the item totals.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Marketplace:
    marketplace_id: str
    country: str
    currency: str
    sales_channel: str
    email_domain: str
    order_prefixes: tuple[str, ...]
    ship_levels: tuple[tuple[str, str], ...]  # (ShipServiceLevel, category)
    usd_rate: Decimal  # demo conversion from USD


MARKETPLACES: dict[str, Marketplace] = {
    m.marketplace_id: m
    for m in (
        Marketplace(
            "ATVPDKIKX0DER",
            "US",
            "USD",
            "Amazon.com",
            "marketplace.amazon.com",
            ("111", "112", "113", "114"),
            (
                ("Std US D2D Dom", "Standard"),
                ("Exp US D2D Dom", "Expedited"),
                ("Second US D2D Dom", "SecondDay"),
                ("Next US D2D Dom", "NextDay"),
            ),
            Decimal("1"),
        ),
        Marketplace(
            "A2EUQ1WTGCTBG2",
            "CA",
            "CAD",
            "Amazon.ca",
            "marketplace.amazon.ca",
            ("701", "702"),
            (("Std CA Dom", "Standard"), ("Exp CA Dom", "Expedited")),
            Decimal("1.35"),
        ),
        Marketplace(
            "A1F83G8C2ARO7P",
            "GB",
            "GBP",
            "Amazon.co.uk",
            "marketplace.amazon.co.uk",
            ("202", "203", "204", "205"),
            (
                ("Std UK Dom_1", "Standard"),
                ("Exp UK Dom_1", "Expedited"),
                ("NextDay UK Dom", "NextDay"),
            ),
            Decimal("0.79"),
        ),
        Marketplace(
            "A1PA6795UKMFR9",
            "DE",
            "EUR",
            "Amazon.de",
            "marketplace.amazon.de",
            ("302", "303", "304", "305", "028"),
            (("Std DE Dom_1", "Standard"), ("Exp DE Dom_1", "Expedited")),
            Decimal("0.92"),
        ),
    )
}
CURRENCY_USD_RATE = {m.currency: m.usd_rate for m in MARKETPLACES.values()}

# Buyer names: accents, CJK, ß, apostrophes; None means Amazon sent no BuyerName.
NAMES = {
    "US": [
        "John Smith",
        "María José Núñez",
        "Zoë O'Connor",
        "Chen Wěi",
        "山田 太郎",
        "Aaliyah Johnson",
        "Björn Ångström",
        "Nguyễn Văn An",
    ],
    "CA": [
        "François Lefèvre",
        "Émilie Côté",
        "Jean-Sébastien Bélanger",
        "Olivia Brown",
        "王小明",
        "Siobhán Murphy",
    ],
    "GB": [
        "Oliver Smith",
        "Siobhán O'Brien",
        "Søren Kierkegaard",
        "Amélie Dupont",
        "Łukasz Wróbel",
        "李娜",
    ],
    "DE": [
        "Jürgen Weiß",
        "Günther Groß",
        "Zoë Müller",
        "Ölçay Yılmaz",
        "Renée Straßer",
        "佐藤 花子",
    ],
}
STREETS = {
    "US": ["1234 Any St.", "77 Massachusetts Ave", "500 Calle Añil", "9 Rue de la Paix Blvd"],
    "CA": ["1200 Rue Sainte-Catherine O", "45 Queen St W", "88 Chemin Sainte-Foy"],
    "GB": ["10 Downing Street", "221B Baker Street", "3 Ångel Court"],
    "DE": ["Hauptstraße 5", "Königsallee 92", "Schloßstraße 17a", "Müllerstraße 3"],
}
LINE2 = ["Apt 4B", "Suite 200", "Wohnung 3", "Flat 2", "c/o Zoë", "2. OG links", "Unit 7"]
# (city, state_or_region, postal_code, tax rate on top)
CITIES = {
    "US": [
        ("Seattle", "WA", "98103", "0.1025"),
        ("New York", "NY", "10001", "0.08875"),
        ("Austin", "TX", "78701", "0.0825"),
        ("San José", "CA", "95112", "0.09375"),
        ("Portland", "OR", "97201", "0"),
        ("Wilmington", "DE", "19801", "0"),
    ],
    "CA": [
        ("Montréal", "QC", "H2X 1Y4", "0.14975"),
        ("Toronto", "ON", "M5V 2T6", "0.13"),
        ("Québec", "QC", "G1R 4P5", "0.14975"),
        ("Calgary", "AB", "T2P 1J9", "0.05"),
    ],
    "GB": [
        ("London", "Greater London", "SW1A 2AA", "0"),
        ("Manchester", None, "M1 1AE", "0"),
        ("Edinburgh", "Scotland", "EH1 1YZ", "0"),
    ],
    "DE": [
        ("München", "Bayern", "80331", "0"),
        ("Köln", "Nordrhein-Westfalen", "50667", "0"),
        ("Düsseldorf", None, "40213", "0"),
        ("Berlin", "Berlin", "10115", "0"),
    ],
}
GIFT_MESSAGES = [
    "Happy birthday! 🎂",
    "Alles Gute, Jürgen!",
    "Joyeux Noël ❄",
    "お誕生日おめでとう",
    "For you — with love",
]
COMPANIES = [
    "Müller & Söhne GmbH",
    "Acme Corp.",
    "Société Générale d'Achats",
    "株式会社テスト",
    "Northwind Traders Ltd",
]
DEMO_ADJECTIVES = ["Classic", "Café", "Größe L", "Eco", "Deluxe", "Mini", "Crème", "Pro"]
DEMO_NOUNS = [
    "Mug",
    "T-Shirt",
    "Notebook",
    "Backpack",
    "Water Bottle",
    "Desk Lamp",
    "Teapot",
    "Umbrella",
    "Headphones",
    "Scarf",
]


@dataclass
class GenOptions:
    """Knobs of the generator; rates are probabilities per order or per line."""

    window: timedelta = timedelta(minutes=10)  # purchase dates in (now - window, now]
    payment_hold: timedelta = timedelta(minutes=30)
    afn_ship_delay: timedelta = timedelta(hours=4)
    afn_rate: float = 0.3  # only when the catalog has AFN SKUs (always with demo SKUs)
    cancel_rate: float = 0.1
    promotion_rate: float = 0.2
    free_shipping_rate: float = 0.1
    gift_rate: float = 0.08
    business_rate: float = 0.1
    prime_rate: float = 0.5  # of AFN orders
    used_rate: float = 0.05
    no_phone_rate: float = 0.3
    no_line2_rate: float = 0.6
    no_buyer_name_rate: float = 0.1
    big_order_every: int = 50  # every Nth order has many lines (ListOrderItems paging); 0: none
    max_lines: int = 4
    big_order_lines: int = 30
    max_quantity: int = 3


def money(value) -> str:
    """Decimal (or str/int) -> "12.34"."""
    return str(Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP))


def cents(value) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def item_total(item: dict) -> Decimal:
    """The contract's item total (what the buyer pays for that line)."""
    plus = (
        "item_price",
        "item_tax",
        "shipping_price",
        "shipping_tax",
        "gift_wrap_price",
        "gift_wrap_tax",
    )
    minus = ("promotion_discount", "shipping_discount")
    return sum((Decimal(item.get(k) or 0) for k in plus), ZERO) - sum(
        (Decimal(item.get(k) or 0) for k in minus), ZERO
    )


def order_total(order: dict) -> Decimal:
    return sum((item_total(i) for i in order["items"]), ZERO)


def demo_asin(sku: str) -> str:
    digest = hashlib.sha256(sku.encode()).digest()
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return "B0" + "".join(alphabet[b % 36] for b in digest[:8])


def demo_catalog(count: int = 40) -> list[dict]:
    """Demo SKUs used when the seller's catalog is empty: DEMO-SKU-001..., USD prices,
    every third SKU fulfilled by Amazon."""
    rows = []
    rng = random.Random(20130901)
    for n in range(1, count + 1):
        sku = f"DEMO-SKU-{n:03d}"
        price = Decimal(rng.randint(4, 119)) + Decimal("0.99")
        title = f"{DEMO_ADJECTIVES[n % len(DEMO_ADJECTIVES)]} {DEMO_NOUNS[n % len(DEMO_NOUNS)]}"
        rows.append(
            {
                "sku": sku,
                "asin": demo_asin(sku),
                "title": f"{title} #{n}",
                "price": money(price),
                "currency": "USD",
                "quantity": 100,
                "fulfillment_channel": "AFN" if n % 3 == 0 else "MFN",
            }
        )
    return rows


def _convert(price: Decimal, src: str | None, dst: str) -> Decimal:
    if not src or src == dst or src not in CURRENCY_USD_RATE:
        return cents(price)
    usd = price / CURRENCY_USD_RATE[src]
    # Round to a .99 ending, as sellers price.
    return max(Decimal("0.99"), Decimal(int(usd * CURRENCY_USD_RATE[dst])) + Decimal("0.99"))


def _channel(row: dict) -> str:
    value = (row.get("fulfillment_channel") or "MFN").upper()
    return "AFN" if value in ("AFN", "AMAZON") or value.startswith("AMAZON_") else "MFN"


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def _code(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(n))


def _address(rng: random.Random, mp: Marketplace, name: str, opts: GenOptions) -> dict:
    city, state, postal, _rate = rng.choice(CITIES[mp.country])
    return {
        "name": name,
        "address_line1": rng.choice(STREETS[mp.country]),
        "address_line2": None if rng.random() < opts.no_line2_rate else rng.choice(LINE2),
        "address_line3": None,
        "city": city,
        "county": None,
        "district": None,
        "state_or_region": state,
        "postal_code": postal,
        "country_code": mp.country,
        "phone": None
        if rng.random() < opts.no_phone_rate
        else f"+1 206-555-{_digits(rng, 4)}"
        if mp.country in ("US", "CA")
        else f"0{_digits(rng, 3)} {_digits(rng, 6)}",
        "address_type": rng.choice(("Residential", "Residential", "Commercial")),
    }


def _tax_rate(mp: Marketplace, address: dict) -> Decimal:
    for city, state, postal, rate in CITIES[mp.country]:
        if (city, state, postal) == (
            address["city"],
            address["state_or_region"],
            address["postal_code"],
        ):
            return Decimal(rate)
    return ZERO


def _lines(rng, rows, opts, mp, channel, rate, big):
    wanted = opts.big_order_lines if big else rng.randint(1, opts.max_lines)
    wanted = max(1, min(wanted, len(rows)))
    chosen = rng.sample(rows, wanted)
    items = []
    for row in chosen:
        qty = 1 if rng.random() < 0.6 else rng.randint(2, opts.max_quantity)
        unit = row.get("price")
        if unit in (None, ""):
            unit_price = Decimal(rng.randint(5, 60)) + Decimal("0.99")
            unit_price = _convert(unit_price, "USD", mp.currency)
        else:
            unit_price = _convert(Decimal(str(unit)), row.get("currency"), mp.currency)
        item_price = cents(unit_price * qty)
        if channel == "AFN":
            shipping = ZERO if rng.random() < 0.7 else cents(Decimal("2.99") * qty)
        else:
            shipping = cents(Decimal(rng.choice(("3.99", "4.99", "5.49"))) * qty)
        promo_ids: list[str] = []
        promo = ZERO
        if rng.random() < opts.promotion_rate:
            promo = min(
                item_price,
                cents(item_price * Decimal("0.10")) if rng.random() < 0.5 else Decimal("5.00"),
            )
            promo_ids.append(f"PROMO-{_code(rng, 8)}")
        ship_disc = ZERO
        if shipping and rng.random() < opts.free_shipping_rate:
            ship_disc = shipping
            promo_ids.append(f"FREESHIP-{mp.country}-{_code(rng, 6)}")
        gift_price, gift_msg, gift_level = ZERO, None, None
        if rng.random() < opts.gift_rate:
            gift_price = cents(Decimal("3.99") * qty)
            gift_msg = rng.choice(GIFT_MESSAGES)
            gift_level = rng.choice(("Classic", "Premium"))
        used = rng.random() < opts.used_rate
        items.append(
            {
                "order_item_id": _digits(rng, 14),
                "seller_sku": row["sku"],
                "asin": row.get("asin") or demo_asin(row["sku"]),
                "title": row.get("title") or row["sku"],
                "quantity_ordered": qty,
                "quantity_shipped": 0,
                "item_price": money(item_price),
                "item_tax": money((item_price - promo) * rate),
                "shipping_price": money(shipping),
                "shipping_tax": money((shipping - ship_disc) * rate),
                "shipping_discount": money(ship_disc),
                "promotion_discount": money(promo),
                "promotion_ids": promo_ids,
                "gift_wrap_price": money(gift_price),
                "gift_wrap_tax": money(gift_price * rate),
                "gift_message_text": gift_msg,
                "gift_wrap_level": gift_level,
                "condition_id": "Used" if used else "New",
                "condition_subtype_id": rng.choice(("VeryGood", "Good")) if used else "New",
            }
        )
    return items


def generate_orders(
    seller_id: str,
    marketplace_ids: list[str],
    count: int,
    *,
    seed: int,
    now: datetime,
    catalog: list[dict] | None = None,
    options: GenOptions | None = None,
) -> list[dict]:
    """`count` Pending orders for the seller's marketplaces (unknown ids are ignored; none
    known -> US). Sorted by purchase date. Same arguments -> same orders."""
    opts = options or GenOptions()
    rng = random.Random(f"{seed}:{seller_id}")
    mps = [MARKETPLACES[m] for m in marketplace_ids if m in MARKETPLACES] or [
        MARKETPLACES["ATVPDKIKX0DER"]
    ]
    rows = [r for r in (catalog or []) if r.get("sku")] or demo_catalog()
    by_channel = {
        "MFN": [r for r in rows if _channel(r) == "MFN"],
        "AFN": [r for r in rows if _channel(r) == "AFN"],
    }
    now = now.replace(microsecond=0)
    window = max(int(opts.window.total_seconds()), 1)
    orders = []
    for index in range(count):
        mp = rng.choice(mps)
        channel = "AFN" if rng.random() < opts.afn_rate else "MFN"
        big = bool(opts.big_order_every) and index % opts.big_order_every == (
            opts.big_order_every - 1
        )
        if big:  # as many lines as possible: the channel with the most SKUs
            channel = max(("MFN", "AFN"), key=lambda c: len(by_channel[c]))
        if not by_channel[channel]:
            channel = "MFN" if channel == "AFN" else "AFN"
        pool = by_channel[channel]
        purchase = now - timedelta(seconds=rng.randrange(window))
        name = rng.choice(NAMES[mp.country])
        address = _address(rng, mp, name, opts)
        rate = _tax_rate(mp, address)
        items = _lines(rng, pool, opts, mp, channel, rate, big)
        level, category = rng.choice(mp.ship_levels)
        is_business = rng.random() < opts.business_rate
        cancel = None
        if rng.random() < opts.cancel_rate:
            # Half cancel during the payment hold, half while Unshipped (before any shipment).
            hold = max(int(opts.payment_hold.total_seconds()), 120)
            if rng.random() < 0.5:
                cancel = purchase + timedelta(seconds=rng.randrange(60, hold - 30))
            else:
                limit = hold + (
                    int(opts.afn_ship_delay.total_seconds()) if channel == "AFN" else 86400
                )
                cancel = purchase + timedelta(
                    seconds=rng.randrange(hold + 60, max(limit, hold + 120))
                )
        order = {
            "amazon_order_id": f"{rng.choice(mp.order_prefixes)}-{_digits(rng, 7)}-"
            f"{_digits(rng, 7)}",
            "seller_id": seller_id,
            "marketplace_id": mp.marketplace_id,
            "sales_channel": mp.sales_channel,
            "purchase_date": purchase,
            "last_update_date": purchase,
            "status": "Pending",
            "fulfillment_channel": channel,
            "ship_service_level": level if channel == "MFN" else category,
            "shipment_service_level_category": category,
            "currency": mp.currency,
            "order_total": "0.00",
            "buyer_email": f"{_code(rng, 12).lower()}@{mp.email_domain}",
            "buyer_name": None if rng.random() < opts.no_buyer_name_rate else name,
            "shipping_address": address,
            "earliest_ship_date": purchase + timedelta(hours=2),
            "latest_ship_date": purchase + timedelta(days=rng.choice((1, 2, 3))),
            "earliest_delivery_date": purchase + timedelta(days=3),
            "latest_delivery_date": purchase + timedelta(days=rng.choice((5, 7, 9))),
            "is_prime": channel == "AFN" and rng.random() < opts.prime_rate,
            "is_business_order": is_business,
            "is_premium_order": category in ("NextDay", "SecondDay"),
            "is_replacement_order": False,
            "payment_method": "Other",
            "order_type": "StandardOrder",
            "cancel_reason": None,
            "items": items,
            "shipments": [],
            "adjustments": [],
            "acknowledged": None,
            "payments_date": None,
            "planned_payment_date": purchase + opts.payment_hold,
            "planned_cancel_date": cancel,
            "afn_ship_delay_minutes": int(opts.afn_ship_delay.total_seconds() // 60)
            if channel == "AFN"
            else None,
            "purchase_order_number": f"PO-{_digits(rng, 8)}" if is_business else None,
            "buyer_tax_info": {
                "company_legal_name": rng.choice(COMPANIES),
                "taxing_region": mp.country,
                "tax_classifications": [
                    {"name": "VATNumber", "value": f"{mp.country}{_digits(rng, 9)}"}
                ],
            }
            if is_business
            else None,
        }
        order["order_total"] = money(order_total(order))
        orders.append(order)
    orders.sort(key=lambda o: (o["purchase_date"], o["amazon_order_id"]))
    return orders


# ---- lifecycle: what the sandbox clock does to an order ------------------------------------

OPEN_STATUSES = ("Pending", "Unshipped")


def next_event(order: dict) -> tuple[datetime, str] | None:
    """The next time-driven change of an order: (when, "pay" | "cancel" | "afn_ship")."""
    status = order["status"]
    cancel = order.get("planned_cancel_date")
    if status == "Pending":
        pay = order.get("planned_payment_date")
        if cancel and (pay is None or cancel <= pay):
            return cancel, "cancel"
        return (pay, "pay") if pay else None
    if status != "Unshipped" or order.get("shipments"):
        return None
    events = []
    if cancel:
        events.append((cancel, "cancel"))
    delay = order.get("afn_ship_delay_minutes")
    if order["fulfillment_channel"] == "AFN" and delay is not None:
        paid = order.get("payments_date") or order.get("planned_payment_date")
        events.append((paid + timedelta(minutes=delay), "afn_ship"))
    return min(events) if events else None


def apply_due_events(order: dict, now: datetime) -> list[str]:
    """Apply every event due at `now` in time order; last_update_date moves to each event's
    time. Returns the names of the events applied (empty: unchanged)."""
    applied = []
    while True:
        event = next_event(order)
        if event is None or event[0] > now:
            return applied
        when, name = event
        if name == "pay":
            order["status"] = "Unshipped"
            order["payments_date"] = when
        elif name == "cancel":
            order["status"] = "Canceled"
            order["cancel_reason"] = "BuyerCanceled"
            order["planned_cancel_date"] = None
        else:
            _ship_by_amazon(order, when)
        order["last_update_date"] = when
        applied.append(name)


def _ship_by_amazon(order: dict, when: datetime) -> None:
    digest = hashlib.sha256(order["amazon_order_id"].encode()).hexdigest()
    order["shipments"].append(
        {
            "shipment_id": "D" + digest[:9].upper(),
            "carrier_code": "AMZN",
            "carrier_name": "Amazon Logistics",
            "shipping_method": order.get("ship_service_level") or "Standard",
            "tracking_number": "TBA" + str(int(digest[9:21], 16))[:12].rjust(12, "0"),
            "ship_date": when,
            "posted_date": when,
            "items": [
                {"order_item_id": i["order_item_id"], "quantity": i["quantity_ordered"]}
                for i in order["items"]
            ],
        }
    )
    for item in order["items"]:
        item["quantity_shipped"] = item["quantity_ordered"]
    order["status"] = "Shipped"
    order["planned_cancel_date"] = None
