"""V2 settlement flat file (`_GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2_`), built from orders.

`build_settlements(orders, seller_id=, start=, end=)` settles what happened in [start, end):
one settlement per marketplace (hence per currency) that had any transaction. Rows:

- transaction-type "Order", one group per shipped item and shipment, posted when the shipment
  was booked (its `posted_date`, else its `ship_date`):
  ItemPrice/Principal, Tax, Shipping, ShippingTax, GiftWrap, GiftWrapTax (Principal always, the
  others when not zero); Promotion/Principal and Promotion/Shipping (negative); on Amazon.com
  ItemWithheldTax/MarketplaceFacilitatorTax-Principal, -Shipping, -Other (Amazon collects and
  remits US sales tax, so the seller gets it back out); ItemFees/Commission (15 % of principal +
  shipping + gift wrap - promotions, negative) and, for AFN, ItemFees/FBAPerUnitFulfillmentFee
  (a flat fee per unit, negative). A partial shipment gets its share of every amount, the last
  shipment the remainder, so the item's amounts add up exactly.
- transaction-type "Refund", one group per adjusted item (posted at the adjustment's
  posted_date, with its adjustment-id): ItemPrice/Principal, Tax, Shipping, ShippingTax
  (negative; adjustment amounts are read as magnitudes), the withheld tax given back (US),
  ItemFees/Commission (refunded, positive) and ItemFees/RefundCommission (20 % of it, at most 5.00,
  negative).
- transaction-type "other-transaction": one "Subscription Fee" line (negative) per settlement.

The first row carries settlement-id, start/end dates, deposit-date (end + 3 days),
total-amount (the exact sum of every amount below) and currency. Dates are written
"2024-05-01 12:00:00 UTC", posted-date "2024-05-01"; amounts with a dot and 2 decimals
(Amazon writes "1,23" in some European files; the sandbox does not).
Settlement ids are 11 digits derived from seller, marketplace and period: deterministic.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from .ordergen import MARKETPLACES

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
COMMISSION_RATE = Decimal("0.15")
REFUND_COMMISSION_RATE = Decimal("0.20")
REFUND_COMMISSION_MAX = Decimal("5.00")
FBA_FEE_PER_UNIT = {
    "USD": Decimal("3.22"),
    "CAD": Decimal("4.50"),
    "GBP": Decimal("2.40"),
    "EUR": Decimal("2.70"),
}
SUBSCRIPTION_FEE = {
    "USD": Decimal("39.99"),
    "CAD": Decimal("29.99"),
    "GBP": Decimal("25.00"),
    "EUR": Decimal("39.00"),
}
WITHHOLDING_MARKETPLACES = ("ATVPDKIKX0DER",)

COLUMNS = (
    "settlement-id",
    "settlement-start-date",
    "settlement-end-date",
    "deposit-date",
    "total-amount",
    "currency",
    "transaction-type",
    "order-id",
    "merchant-order-id",
    "adjustment-id",
    "shipment-id",
    "marketplace-name",
    "amount-type",
    "amount-description",
    "amount",
    "fulfillment-id",
    "posted-date",
    "posted-date-time",
    "order-item-code",
    "merchant-order-item-id",
    "merchant-adjustment-item-id",
    "sku",
    "quantity-purchased",
)
REPORT_TYPE = "_GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2_"


def _d(value) -> Decimal:
    return Decimal(str(value or "0"))


def _q(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def commission(item: dict) -> Decimal:
    """Amazon's referral fee for a whole order line (positive)."""
    base = (
        _d(item.get("item_price"))
        + _d(item.get("shipping_price"))
        + _d(item.get("gift_wrap_price"))
        - _d(item.get("promotion_discount"))
        - _d(item.get("shipping_discount"))
    )
    return _q(max(base, ZERO) * COMMISSION_RATE)


def fba_fee(currency: str, quantity: int) -> Decimal:
    return FBA_FEE_PER_UNIT.get(currency, Decimal("3.00")) * quantity


def settlement_id(seller_id: str, marketplace_id: str, start: datetime, end: datetime) -> str:
    key = f"{seller_id}|{marketplace_id}|{start.isoformat()}|{end.isoformat()}"
    number = int(hashlib.sha256(key.encode()).hexdigest(), 16)
    return str(10**10 + number % (9 * 10**10))


def fmt_dt(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%d %H:%M:%S UTC")


def _share(total: Decimal, before: int, now: int, ordered: int) -> Decimal:
    """The part of `total` for units before+1..before+now out of `ordered` (exact in sum)."""
    if ordered <= 0:
        return ZERO
    upto = min(before + now, ordered)
    return _q(total * upto / ordered) - _q(total * min(before, ordered) / ordered)


def _posted(shipment: dict) -> datetime:
    """When Amazon booked the shipment: its posted_date (the time the confirmation was
    processed) when recorded, else the ship date."""
    return shipment.get("posted_date") or shipment["ship_date"]


def _acked(order: dict) -> tuple[str, dict]:
    ack = order.get("acknowledged") or {}
    return ack.get("merchant_order_id") or "", ack.get("items") or {}


def _order_rows(order: dict, start: datetime, end: datetime) -> list[dict]:
    rows = []
    currency = order["currency"]
    merchant_order, merchant_items = _acked(order)
    items = {i["order_item_id"]: i for i in order.get("items") or []}
    withhold = order["marketplace_id"] in WITHHOLDING_MARKETPLACES
    done: dict[str, int] = {}
    shipments = sorted(enumerate(order.get("shipments") or []), key=lambda p: (_posted(p[1]), p[0]))
    for _index, shipment in shipments:
        posted = _posted(shipment)
        for line in shipment.get("items") or []:
            item = items.get(line["order_item_id"])
            if item is None:
                continue
            qty = int(line["quantity"])
            before = done.get(item["order_item_id"], 0)
            done[item["order_item_id"]] = before + qty
            if not (start <= posted < end):
                continue
            ordered = int(item["quantity_ordered"])

            def share(value, _before=before, _qty=qty, _ordered=ordered):
                return _share(value, _before, _qty, _ordered)

            base = {
                "transaction-type": "Order",
                "order-id": order["amazon_order_id"],
                "merchant-order-id": merchant_order,
                "shipment-id": shipment.get("shipment_id") or "",
                "fulfillment-id": order["fulfillment_channel"],
                "posted": posted,
                "order-item-code": item["order_item_id"],
                "merchant-order-item-id": merchant_items.get(item["order_item_id"], ""),
                "sku": item["seller_sku"],
                "quantity-purchased": str(qty),
            }
            amounts = [("ItemPrice", "Principal", share(_d(item["item_price"])))]
            for key, desc in (
                ("item_tax", "Tax"),
                ("shipping_price", "Shipping"),
                ("shipping_tax", "ShippingTax"),
                ("gift_wrap_price", "GiftWrap"),
                ("gift_wrap_tax", "GiftWrapTax"),
            ):
                amounts.append(("ItemPrice", desc, share(_d(item.get(key)))))
            amounts.append(("Promotion", "Principal", -share(_d(item.get("promotion_discount")))))
            amounts.append(("Promotion", "Shipping", -share(_d(item.get("shipping_discount")))))
            if withhold:
                for key, desc in (
                    ("item_tax", "Principal"),
                    ("shipping_tax", "Shipping"),
                    ("gift_wrap_tax", "Other"),
                ):
                    amounts.append(
                        (
                            "ItemWithheldTax",
                            f"MarketplaceFacilitatorTax-{desc}",
                            -share(_d(item.get(key))),
                        )
                    )
            amounts.append(("ItemFees", "Commission", -share(commission(item))))
            if order["fulfillment_channel"] == "AFN":
                amounts.append(("ItemFees", "FBAPerUnitFulfillmentFee", -fba_fee(currency, qty)))
            rows.extend(
                {**base, "amount-type": t, "amount-description": d, "amount": a}
                for t, d, a in amounts
                if a or (t, d) == ("ItemPrice", "Principal")
            )
    return rows


def _refund_rows(order: dict, start: datetime, end: datetime) -> list[dict]:
    rows = []
    merchant_order, merchant_items = _acked(order)
    items = {i["order_item_id"]: i for i in order.get("items") or []}
    withhold = order["marketplace_id"] in WITHHOLDING_MARKETPLACES
    for adjustment in order.get("adjustments") or []:
        posted = adjustment["posted_date"]
        if not (start <= posted < end):
            continue
        for line in adjustment.get("items") or []:
            item = items.get(line["order_item_id"], {})
            principal = abs(_d(line.get("principal")))
            shipping = abs(_d(line.get("shipping")))
            tax = abs(_d(line.get("tax")))
            shipping_tax = abs(_d(line.get("shipping_tax")))
            fee_back = _q((principal + shipping) * COMMISSION_RATE)
            base = {
                "transaction-type": "Refund",
                "order-id": order["amazon_order_id"],
                "merchant-order-id": merchant_order,
                "adjustment-id": adjustment.get("adjustment_id") or "",
                "fulfillment-id": order["fulfillment_channel"],
                "posted": posted,
                "order-item-code": line["order_item_id"],
                "merchant-order-item-id": merchant_items.get(line["order_item_id"], ""),
                "merchant-adjustment-item-id": line.get("merchant_adjustment_item_id") or "",
                "sku": item.get("seller_sku", ""),
            }
            amounts = [
                ("ItemPrice", "Principal", -principal),
                ("ItemPrice", "Tax", -tax),
                ("ItemPrice", "Shipping", -shipping),
                ("ItemPrice", "ShippingTax", -shipping_tax),
            ]
            if withhold:
                amounts.append(("ItemWithheldTax", "MarketplaceFacilitatorTax-Principal", tax))
                amounts.append(
                    ("ItemWithheldTax", "MarketplaceFacilitatorTax-Shipping", shipping_tax)
                )
            amounts.append(("ItemFees", "Commission", fee_back))
            amounts.append(
                (
                    "ItemFees",
                    "RefundCommission",
                    -min(_q(fee_back * REFUND_COMMISSION_RATE), REFUND_COMMISSION_MAX),
                )
            )
            rows.extend(
                {**base, "amount-type": t, "amount-description": d, "amount": a}
                for t, d, a in amounts
                if a or (t, d) == ("ItemPrice", "Principal")
            )
    return rows


def build_settlements(
    orders: list[dict],
    *,
    seller_id: str,
    start: datetime,
    end: datetime,
    subscription_fee: bool = True,
) -> list[dict]:
    """Settlements for [start, end), one per marketplace with any order or refund in it.

    Each is {"settlement_id", "marketplace_id", "marketplace_name", "currency", "start", "end",
    "deposit_date", "total" (Decimal), "rows" (amount rows, dicts keyed by column name plus
    "posted")}.
    """
    by_market: dict[str, list[dict]] = {}
    currencies: dict[str, str] = {}
    names: dict[str, str] = {}
    for order in sorted(orders, key=lambda o: (o["purchase_date"], o["amazon_order_id"])):
        rows = _order_rows(order, start, end) + _refund_rows(order, start, end)
        if not rows:
            continue
        market = order["marketplace_id"]
        currencies[market] = order["currency"]
        names[market] = order.get("sales_channel") or (
            MARKETPLACES[market].sales_channel if market in MARKETPLACES else market
        )
        by_market.setdefault(market, []).extend(rows)
    settlements = []
    for market in sorted(by_market):
        currency = currencies[market]
        rows = sorted(by_market[market], key=lambda r: (r["posted"], r["order-id"]))
        if subscription_fee:
            rows.append(
                {
                    "transaction-type": "other-transaction",
                    "amount-type": "other-transaction",
                    "amount-description": "Subscription Fee",
                    "amount": -SUBSCRIPTION_FEE.get(currency, Decimal("39.99")),
                    "posted": start,
                }
            )
        sid = settlement_id(seller_id, market, start, end)
        for row in rows:
            row["settlement-id"] = sid
            row["marketplace-name"] = names[market]
        settlements.append(
            {
                "settlement_id": sid,
                "seller_id": seller_id,
                "marketplace_id": market,
                "marketplace_name": names[market],
                "currency": currency,
                "start": start,
                "end": end,
                "deposit_date": end + timedelta(days=3),
                "total": sum((r["amount"] for r in rows), ZERO),
                "rows": rows,
            }
        )
    return settlements


def _clean(value) -> str:
    return str(value).replace("\t", " ").replace("\r", " ").replace("\n", " ")


def render_settlement(settlement: dict) -> str:
    """The tab-separated V2 flat file (header line, totals row, one row per amount)."""
    lines = ["\t".join(COLUMNS)]
    first = dict.fromkeys(COLUMNS, "")
    first.update(
        {
            "settlement-id": settlement["settlement_id"],
            "settlement-start-date": fmt_dt(settlement["start"]),
            "settlement-end-date": fmt_dt(settlement["end"]),
            "deposit-date": fmt_dt(settlement["deposit_date"]),
            "total-amount": str(_q(settlement["total"])),
            "currency": settlement["currency"],
        }
    )
    lines.append("\t".join(first[c] for c in COLUMNS))
    for row in settlement["rows"]:
        out = dict.fromkeys(COLUMNS, "")
        out.update({k: _clean(v) for k, v in row.items() if k in out and k != "amount"})
        out["amount"] = str(_q(row["amount"]))
        out["posted-date"] = row["posted"].strftime("%Y-%m-%d")
        out["posted-date-time"] = fmt_dt(row["posted"])
        lines.append("\t".join(out[c] for c in COLUMNS))
    return "\n".join(lines) + "\n"


def parse_settlement(text: str) -> list[dict]:
    """Rows of a V2 flat file as dicts (for tests and tools)."""
    lines = [line for line in text.splitlines() if line]
    header = lines[0].split("\t")
    return [dict(zip(header, line.split("\t"), strict=False)) for line in lines[1:]]
