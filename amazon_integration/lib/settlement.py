"""Settlement reports: ``_GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2_`` → `Settlement`.

The flat file is tab separated. Its first data row carries the settlement (id, start and end
dates, deposit date, total amount, currency), the next rows one amount each (ItemPrice/Principal
29.99, ItemFees/Commission -4.50, ...). Dates come as ``2017-03-13 07:06:20 UTC``,
``13.03.2017 07:06:20 UTC`` (EU) or ISO 8601; EU files write decimal commas (``-4,50``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from .reports import ReportParseError, read_tsv
from .responses import ResponseParseError, parse_amount, parse_datetime, parse_int

__all__ = [
    "SETTLEMENT_REQUIRED_COLUMNS",
    "OrderSettlementTotals",
    "Settlement",
    "SettlementLine",
    "check_total",
    "classify_line",
    "parse_settlement_v2",
    "sum_amounts",
    "totals_by_order",
]

CENT = Decimal("0.01")
ZERO = Decimal("0.00")

SETTLEMENT_REQUIRED_COLUMNS = (
    "settlement-id",
    "total-amount",
    "currency",
    "amount-type",
    "amount-description",
    "amount",
)


@dataclass
class SettlementLine:
    """One amount of the settlement (one row after the first)."""

    transaction_type: str | None
    order_id: str | None
    merchant_order_id: str | None
    adjustment_id: str | None
    shipment_id: str | None
    marketplace_name: str | None
    amount_type: str | None
    amount_description: str | None
    amount: Decimal
    fulfillment_id: str | None
    posted_date: datetime | None  # posted-date-time when present, else posted-date
    order_item_code: str | None
    merchant_order_item_id: str | None
    merchant_adjustment_item_id: str | None
    sku: str | None
    quantity: int | None
    line_number: int = 0  # in the file, for messages


@dataclass
class Settlement:
    """A settlement: header fields, its lines, and what could not be read."""

    settlement_id: str
    start_date: datetime | None
    end_date: datetime | None
    deposit_date: datetime | None
    total_amount: Decimal
    currency: str | None
    lines: list[SettlementLine] = field(default_factory=list)
    parse_warnings: list[str] = field(default_factory=list)


@dataclass
class OrderSettlementTotals:
    """One order's money in a settlement; the parts add up to ``net``.

    ``refunds`` holds every amount of refund and chargeback transactions (principal, tax and
    fee give-backs alike); the other parts cover the remaining transactions, by amount type
    (see `classify_line`); ``other`` takes gift wrap and whatever fits nowhere else.
    """

    order_id: str
    principal: Decimal = ZERO
    tax: Decimal = ZERO
    shipping: Decimal = ZERO
    fees: Decimal = ZERO
    refunds: Decimal = ZERO
    promotions: Decimal = ZERO
    other: Decimal = ZERO
    net: Decimal = ZERO


def _cell(row: dict[str, str], column: str) -> str | None:
    return row.get(column) or None


def _date(value: str | None, label: str, warnings: list[str]) -> datetime | None:
    try:
        return parse_datetime(value)
    except ResponseParseError as exc:
        warnings.append(f"{label}: {exc}; the date was set to None")
        return None


def _amount(value: str | None, label: str) -> Decimal | None:
    try:
        return parse_amount(value)
    except ResponseParseError as exc:
        raise ReportParseError(f"{label}: {exc}") from None


def parse_settlement_v2(data: bytes | str, *, encoding: str | None = None) -> Settlement:
    """Parse a V2 settlement flat file.

    Raises `ReportParseError` when required columns (`SETTLEMENT_REQUIRED_COLUMNS`) are missing,
    the first row carries no total-amount, or an amount is unreadable. Unreadable dates become
    None with a message in ``parse_warnings``; rows without an amount are skipped with one.
    """
    header, rows = read_tsv(data, encoding=encoding)
    _require(header)
    if not rows:
        raise ReportParseError("settlement report has a header line but no rows")
    warnings: list[str] = []
    first_line, first = rows[0]
    total = _amount(first.get("total-amount"), f"line {first_line} total-amount")
    if total is None:
        raise ReportParseError(
            f"line {first_line}: the first row of a settlement report must carry total-amount"
        )
    settlement_id = first.get("settlement-id")
    if not settlement_id:
        raise ReportParseError(f"line {first_line}: empty settlement-id")
    settlement = Settlement(
        settlement_id=settlement_id,
        start_date=_date(first.get("settlement-start-date"), "settlement-start-date", warnings),
        end_date=_date(first.get("settlement-end-date"), "settlement-end-date", warnings),
        deposit_date=_date(first.get("deposit-date"), "deposit-date", warnings),
        total_amount=total,
        currency=_cell(first, "currency"),
        parse_warnings=warnings,
    )
    for position, (line, row) in enumerate(rows):
        if position == 0 and not row.get("amount"):
            continue
        if position and row.get("total-amount"):
            warnings.append(f"line {line}: a second total-amount row, read as an amount row")
        if row.get("settlement-id") and row["settlement-id"] != settlement_id:
            warnings.append(
                f"line {line}: settlement-id {row['settlement-id']} differs from {settlement_id}"
            )
        amount = _amount(row.get("amount"), f"line {line} amount")
        if amount is None:
            warnings.append(f"line {line}: no amount, row skipped")
            continue
        try:
            quantity = parse_int(row.get("quantity-purchased"))
        except ResponseParseError as exc:
            raise ReportParseError(f"line {line} quantity-purchased: {exc}") from None
        posted_text = row.get("posted-date-time") or row.get("posted-date")
        settlement.lines.append(
            SettlementLine(
                transaction_type=_cell(row, "transaction-type"),
                order_id=_cell(row, "order-id"),
                merchant_order_id=_cell(row, "merchant-order-id"),
                adjustment_id=_cell(row, "adjustment-id"),
                shipment_id=_cell(row, "shipment-id"),
                marketplace_name=_cell(row, "marketplace-name"),
                amount_type=_cell(row, "amount-type"),
                amount_description=_cell(row, "amount-description"),
                amount=amount,
                fulfillment_id=_cell(row, "fulfillment-id"),
                posted_date=_date(posted_text, f"line {line} posted-date", warnings),
                order_item_code=_cell(row, "order-item-code"),
                merchant_order_item_id=_cell(row, "merchant-order-item-id"),
                merchant_adjustment_item_id=_cell(row, "merchant-adjustment-item-id"),
                sku=_cell(row, "sku"),
                quantity=quantity,
                line_number=line,
            )
        )
    return settlement


def _require(header: list[str]) -> None:
    missing = [c for c in SETTLEMENT_REQUIRED_COLUMNS if c not in header]
    if missing:
        raise ReportParseError(
            f"settlement report lacks required column(s) {', '.join(missing)}; "
            f"columns found: {', '.join(header) or '(none)'}"
        )


_REFUND_WORDS = ("refund", "chargeback")


def classify_line(line: SettlementLine) -> str:
    """The `OrderSettlementTotals` part a line belongs to: principal, tax, shipping, fees,
    refunds, promotions or other."""
    transaction = (line.transaction_type or "").lower()
    if any(word in transaction for word in _REFUND_WORDS):
        return "refunds"
    amount_type = (line.amount_type or "").lower()
    description = (line.amount_description or "").lower()
    if amount_type == "promotion" or "promotion" in amount_type:
        return "promotions"
    if "fee" in amount_type:
        return "fees"
    if "tax" in amount_type or "tax" in description:
        return "tax"
    if amount_type == "itemprice":
        if description == "principal":
            return "principal"
        if description == "shipping":
            return "shipping"
    return "other"


def totals_by_order(settlement: Settlement) -> dict[str, OrderSettlementTotals]:
    """order-id → its totals, split by `classify_line`, in order of first appearance.

    Lines without an order id (service fees, subscriptions, transfers) belong to no order and are
    left out: compare `check_total` for the settlement as a whole.
    """
    totals: dict[str, OrderSettlementTotals] = {}
    for line in settlement.lines:
        if not line.order_id:
            continue
        entry = totals.setdefault(line.order_id, OrderSettlementTotals(order_id=line.order_id))
        part = classify_line(line)
        setattr(entry, part, (getattr(entry, part) + line.amount).quantize(CENT))
        entry.net = (entry.net + line.amount).quantize(CENT)
    return totals


def sum_amounts(lines: Iterable[SettlementLine]) -> Decimal:
    """The sum of the lines' amounts, to the cent."""
    return sum((line.amount for line in lines), ZERO).quantize(CENT)


def check_total(settlement: Settlement) -> tuple[Decimal, Decimal]:
    """(sum of all lines, total-amount Amazon announced), both to the cent: equal when the file
    is complete."""
    return sum_amounts(settlement.lines), settlement.total_amount.quantize(CENT)
