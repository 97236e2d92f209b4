"""Settlement reports: ``_GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2_`` → `Settlement`.

The flat file is tab separated. Its first data row carries the settlement (id, start and end
dates, deposit date, total amount, currency), the next rows one amount each (ItemPrice/Principal
29.99, ItemFees/Commission -4.50, ...). Dates come as ``2017-03-13 07:06:20 UTC``,
``13.03.2017 07:06:20 UTC`` (EU) or ISO 8601; EU files write decimal commas (``-4,50``).

`classify_line` says how each amount is booked (the one rule set, used by the settlement model);
`match_candidates` chooses the invoices an order's amount pays; `totals_by_order` splits each
order's money into its parts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal

from .reports import ReportParseError, read_tsv
from .responses import ResponseParseError, parse_amount, parse_datetime, parse_int

__all__ = [
    "LINE_KINDS",
    "MATCH_TOLERANCE",
    "SETTLEMENT_REQUIRED_COLUMNS",
    "OrderSettlementTotals",
    "Settlement",
    "SettlementLine",
    "check_total",
    "classify_line",
    "match_candidates",
    "naive_utc",
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
#: How a settlement amount is booked (see `classify_line`).
LINE_KINDS = ("order", "refund", "fee", "withheld", "other")
#: The tolerance of an order's amount against its invoices, in the settlement's currency.
MATCH_TOLERANCE = 0.01


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
    """One order's money in a settlement, by how `classify_line` books it; the parts add up
    to ``net``.

    ``fees``: Amazon's fees, refunded fees and refund commissions included; ``withheld``: the
    tax Amazon collects and remits itself; ``refunds``: what the buyer got back; what the buyer
    paid is split into ``principal``, ``shipping``, ``tax`` (ItemPrice amounts) and
    ``promotions``; ``other`` takes gift wrap and the amounts that are no payment of the order
    (reimbursements ...).
    """

    order_id: str
    principal: Decimal = ZERO
    tax: Decimal = ZERO
    shipping: Decimal = ZERO
    fees: Decimal = ZERO
    withheld: Decimal = ZERO
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
#: Amount types of what the buyer paid for an order (or got back): the amounts its invoices and
#: credit notes carry.
_BUYER_AMOUNT_TYPES = ("itemprice", "promotion")


def classify_line(line) -> str:
    """How a settlement amount is booked, one of `LINE_KINDS`. ``line``: a `SettlementLine`
    (anything with ``transaction_type``, ``order_id``, ``amount_type`` and
    ``amount_description``). The first rule that fits, words compared without case:

    1. withheld: the amount type says withheld (ItemWithheldTax: tax Amazon collects and remits
       itself as marketplace facilitator);
    2. fee: the amount type or the description says fee, or the description says commission
       (ItemFees/Commission, FBAPerUnitFulfillmentFee, RefundCommission, the commission Amazon
       gives back with a refund, other-transaction/Subscription Fee ...), order or not;
    3. other: no order id (reserves, transfers, reimbursements ...), for a person to look at;
    4. other: an order's amount that is no payment by the buyer, i.e. its amount type is
       neither ItemPrice nor Promotion (a reimbursement or a retrocharge of the order, an empty
       or unknown amount type): it is on none of the order's invoices;
    5. refund: the transaction type says refund or chargeback (Refund, Chargeback Refund);
    6. order: what the buyer paid for the order (ItemPrice principal, tax, shipping, gift
       wrap; Promotion).
    """
    kind = (line.amount_type or "").lower()
    description = (line.amount_description or "").lower()
    if "withheld" in kind:
        return "withheld"
    if "fee" in kind or "fee" in description or "commission" in description:
        return "fee"
    if not line.order_id or not any(word in kind for word in _BUYER_AMOUNT_TYPES):
        return "other"
    transaction = (line.transaction_type or "").lower()
    if any(word in transaction for word in _REFUND_WORDS):
        return "refund"
    return "order"


def _order_part(line) -> str:
    """The `OrderSettlementTotals` part of a buyer's payment (a line `classify_line` books as
    order): promotions, tax, principal, shipping, else other (gift wrap ...)."""
    kind = (line.amount_type or "").lower()
    description = (line.amount_description or "").lower()
    if "promotion" in kind:
        return "promotions"
    if "tax" in description:
        return "tax"
    if description in ("principal", "shipping"):
        return description
    return "other"


_TOTALS_PART = {"fee": "fees", "withheld": "withheld", "refund": "refunds", "other": "other"}


def totals_by_order(settlement: Settlement) -> dict[str, OrderSettlementTotals]:
    """order-id → its totals, split by `classify_line` (and the buyer's payments by their
    part), in order of first appearance.

    Lines without an order id (service fees, subscriptions, transfers) belong to no order and are
    left out: compare `check_total` for the settlement as a whole.
    """
    totals: dict[str, OrderSettlementTotals] = {}
    for line in settlement.lines:
        if not line.order_id:
            continue
        entry = totals.setdefault(line.order_id, OrderSettlementTotals(order_id=line.order_id))
        kind = classify_line(line)
        part = _order_part(line) if kind == "order" else _TOTALS_PART[kind]
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


def match_candidates(
    candidates: Sequence[tuple[object, float]],
    amount: float,
    round_amount: Callable[[float], float],
    tolerance: float = MATCH_TOLERANCE,
) -> list[tuple[object, float]]:
    """The candidates whose open amounts add up to ``amount`` within ``tolerance``: all of
    them, else one alone (the oldest that fits), else the oldest ones up to the first running
    total that fits; [] when nothing fits.

    ``candidates``: [(move or any key, signed open amount), ...], oldest first;
    ``round_amount`` rounds a difference to the currency's precision (Odoo's
    ``currency.round``). Returns the chosen pairs, in their order."""

    def close(total: float) -> bool:
        return round_amount(abs(total - amount)) <= tolerance + 1e-9

    if not candidates:
        return []
    if close(sum(residual for _item, residual in candidates)):
        return list(candidates)
    for candidate in candidates:
        if close(candidate[1]):
            return [candidate]
    running = 0.0
    for position, candidate in enumerate(candidates):
        running += candidate[1]
        if close(running):
            return list(candidates[: position + 1])
    return []


def naive_utc(value: datetime | None) -> datetime | None:
    """``value`` in UTC without a time zone (how Odoo stores datetimes); a naive value is
    taken as UTC already."""
    if value and value.tzinfo:
        return value.astimezone(timezone.utc).replace(tzinfo=None)
    return value
