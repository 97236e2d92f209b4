"""Reports API: request/list responses, order reports (flat and XML) and FBA inventory.

Order reports become the same order dicts as `orders.parse_list_orders` (see orders.py for the
shape), with their items attached (``items_complete`` True). Reports carry no order total:
``order_total`` is the sum of the item totals (``order_total_source == "computed"``), or None
when no item has a price (Pending orders in the XML all-orders report).

What a report does not say, and what the parsers then put:

- ``_GET_FLAT_FILE_ORDERS_DATA_`` and the scheduled XML ``_GET_ORDERS_DATA_`` (OrderReport)
  list orders whose payment cleared and that were not canceled, but say nothing about shipping
  since: ``status`` is None (the flat file's ``order-status`` column when a file has one). Take
  the status from ListOrders/GetOrder or the all-orders report; never overwrite a known status
  with None. The flat file's channel is its ``fulfillment-channel`` column (``Amazon``/AFN →
  AFN, ``Merchant``/MFN → MFN), else MFN; the OrderReport is merchant-fulfilled (MFN). In the
  OrderReport, OrderDate is the purchase date and OrderPostedDate the payments date.
- Without a last-updated column or element, ``last_update_date`` is the payments date (else the
  purchase date): the moment the order reached the state the report shows.
- The all-orders report spells ``Cancelled``; it becomes the contract's ``Canceled``.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from lxml import etree

from .orders import (
    ZERO,
    amount_field,
    attach_items,
    date_field,
    discount_field,
    empty_address,
    empty_item,
    empty_order,
    item_total,
    sales_channel_marketplace,
    warn,
)
from .responses import (
    ResponseParseError,
    decode_text,
    find,
    findall,
    format_amount,
    has_more,
    local_name,
    next_token,
    parse_bool,
    parse_datetime,
    parse_int,
    parse_xml,
    raise_for_error,
    text,
)

__all__ = [
    "FLAT_FILE_REQUIRED_COLUMNS",
    "ReportInfo",
    "ReportPage",
    "ReportParseError",
    "ReportRequestInfo",
    "ReportRequestPage",
    "parse_afn_inventory",
    "parse_flat_file_orders",
    "parse_listings",
    "parse_report_list",
    "parse_report_request_list",
    "parse_request_report",
    "parse_xml_orders_report",
    "read_tsv",
]


class ReportParseError(ResponseParseError):
    """A report (flat file or XML) that cannot be read."""


# ---------------------------------------------------------------------------------------------
# Report requests and report lists
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportRequestInfo:
    """One ReportRequestInfo (RequestReport, GetReportRequestList)."""

    report_request_id: str
    report_type: str | None
    status: str | None  # _SUBMITTED_, _IN_PROGRESS_, _CANCELLED_, _DONE_, _DONE_NO_DATA_
    start_date: datetime | None = None
    end_date: datetime | None = None
    scheduled: bool | None = None
    submitted_date: datetime | None = None
    generated_report_id: str | None = None
    started_processing_date: datetime | None = None
    completed_date: datetime | None = None


@dataclass(frozen=True)
class ReportRequestPage:
    """A page of GetReportRequestList(ByNextToken)."""

    requests: list[ReportRequestInfo] = field(default_factory=list)
    next_token: str | None = None
    has_next: bool = False
    request_id: str | None = None


@dataclass(frozen=True)
class ReportInfo:
    """One ReportInfo (GetReportList): a report ready for GetReport."""

    report_id: str
    report_type: str | None
    report_request_id: str | None = None
    available_date: datetime | None = None
    acknowledged: bool | None = None
    acknowledged_date: datetime | None = None


@dataclass(frozen=True)
class ReportPage:
    """A page of GetReportList(ByNextToken)."""

    reports: list[ReportInfo] = field(default_factory=list)
    next_token: str | None = None
    has_next: bool = False
    request_id: str | None = None


def _result(root: etree._Element, names: tuple[str, ...]) -> etree._Element:
    raise_for_error(root)
    for name in names:
        found = find(root, name)
        if found is not None:
            return found
    raise ResponseParseError(
        f"expected {' or '.join(names)} in the response, got a <{local_name(root)}>"
    )


def _request_info(el: etree._Element) -> ReportRequestInfo:
    request_id = text(el, "ReportRequestId")
    if not request_id:
        raise ResponseParseError("a ReportRequestInfo without ReportRequestId")
    return ReportRequestInfo(
        report_request_id=request_id,
        report_type=text(el, "ReportType"),
        status=text(el, "ReportProcessingStatus"),
        start_date=parse_datetime(text(el, "StartDate")),
        end_date=parse_datetime(text(el, "EndDate")),
        scheduled=parse_bool(text(el, "Scheduled")),
        submitted_date=parse_datetime(text(el, "SubmittedDate")),
        generated_report_id=text(el, "GeneratedReportId"),
        started_processing_date=parse_datetime(text(el, "StartedProcessingDate")),
        completed_date=parse_datetime(text(el, "CompletedDate")),
    )


def _metadata_request_id(root: etree._Element) -> str | None:
    return text(root, "ResponseMetadata/RequestId")


def parse_request_report(body: bytes | str) -> ReportRequestInfo:
    """RequestReport → its ReportRequestInfo (status ``_SUBMITTED_``)."""
    root = parse_xml(body)
    result = _result(root, ("RequestReportResult",))
    info = find(result, "ReportRequestInfo")
    if info is None:
        raise ResponseParseError("RequestReportResult without ReportRequestInfo")
    return _request_info(info)


def parse_report_request_list(body: bytes | str) -> ReportRequestPage:
    """GetReportRequestList or GetReportRequestListByNextToken → a `ReportRequestPage`."""
    root = parse_xml(body)
    result = _result(root, ("GetReportRequestListResult", "GetReportRequestListByNextTokenResult"))
    return ReportRequestPage(
        requests=[_request_info(el) for el in findall(result, "ReportRequestInfo")],
        next_token=next_token(result),
        has_next=has_more(result),
        request_id=_metadata_request_id(root),
    )


def parse_report_list(body: bytes | str) -> ReportPage:
    """GetReportList or GetReportListByNextToken → a `ReportPage`."""
    root = parse_xml(body)
    result = _result(root, ("GetReportListResult", "GetReportListByNextTokenResult"))
    reports = []
    for el in findall(result, "ReportInfo"):
        report_id = text(el, "ReportId")
        if not report_id:
            raise ResponseParseError("a ReportInfo without ReportId")
        reports.append(
            ReportInfo(
                report_id=report_id,
                report_type=text(el, "ReportType"),
                report_request_id=text(el, "ReportRequestId"),
                available_date=parse_datetime(text(el, "AvailableDate")),
                acknowledged=parse_bool(text(el, "Acknowledged")),
                acknowledged_date=parse_datetime(text(el, "AcknowledgedDate")),
            )
        )
    return ReportPage(
        reports=reports,
        next_token=next_token(result),
        has_next=has_more(result),
        request_id=_metadata_request_id(root),
    )


# ---------------------------------------------------------------------------------------------
# Tab-separated files
# ---------------------------------------------------------------------------------------------


def _unquote(cell: str) -> str:
    """Undo CSV-style quoting if (and only if) the whole cell is consistently quoted.

    Amazon's files are unquoted (a title may contain a lone ``"``), but a sandbox or a
    spreadsheet round-trip may quote cells as ``"12"" ruler"``.
    """
    if len(cell) >= 2 and cell[0] == '"' and cell[-1] == '"':
        inner = cell[1:-1]
        if '"' not in inner.replace('""', ""):
            return inner.replace('""', '"')
    return cell


def read_tsv(
    data: bytes | str, *, encoding: str | None = None
) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """(header, rows) of a tab-separated report.

    Header names are stripped and lower-cased (Amazon writes ``delivery-Instructions`` and
    ``Quantity Available``); each row is (line number, {column: stripped cell}), short rows
    padded with "" and blank lines skipped. BOM, CRLF and UTF-8/cp1252 are handled by
    `decode_text`. Raises `ReportParseError` for an empty file.
    """
    content = decode_text(data, encoding)
    reader = csv.reader(io.StringIO(content, newline=""), delimiter="\t", quoting=csv.QUOTE_NONE)
    header: list[str] | None = None
    rows: list[tuple[int, dict[str, str]]] = []
    for cells in reader:
        if not any(c.strip() for c in cells):
            continue
        if header is None:
            header = [c.strip().lower() for c in cells]
            continue
        values = [_unquote(c.strip()).strip() for c in cells]
        if len(values) < len(header):
            values += [""] * (len(header) - len(values))
        rows.append((reader.line_num, dict(zip(header, values[: len(header)], strict=True))))
    if header is None:
        raise ReportParseError("empty report: no header line")
    return header, rows


def _require(header: list[str], required: tuple[str, ...], what: str) -> None:
    missing = [c for c in required if c not in header]
    if missing:
        raise ReportParseError(
            f"{what} lacks required column(s) {', '.join(missing)}; "
            f"columns found: {', '.join(header) or '(none)'}"
        )


# ---------------------------------------------------------------------------------------------
# _GET_FLAT_FILE_ORDERS_DATA_
# ---------------------------------------------------------------------------------------------

FLAT_FILE_REQUIRED_COLUMNS = (
    "order-id",
    "order-item-id",
    "purchase-date",
    "sku",
    "quantity-purchased",
    "currency",
    "item-price",
)

_SERVICE_CATEGORIES = frozenset(
    {
        "Standard",
        "Expedited",
        "SecondDay",
        "NextDay",
        "Scheduled",
        "FreeEconomy",
        "Priority",
        "SameDay",
    }
)

_STATUS_SPELLINGS = {"cancelled": "Canceled", "canceled": "Canceled"}


def _status(value: str | None) -> str | None:
    if value is None:
        return None
    return _STATUS_SPELLINGS.get(value.lower(), value)


def _channel(value: str | None, default: str | None = "MFN") -> str | None:
    if not value:
        return default
    lowered = value.strip().lower()
    if lowered in ("amazon", "afn", "amazon_na", "amazon_eu", "amazon_fe"):
        return "AFN"
    if lowered in ("merchant", "mfn", "seller"):
        return "MFN"
    return value


def _split_ids(*values: str | None) -> list[str]:
    ids: list[str] = []
    for value in values:
        for part in (value or "").split(","):
            part = part.strip()
            if part and part not in ids:
                ids.append(part)
    return ids


def _flat_item(row: dict[str, str], line: int) -> dict:
    item = empty_item()
    item["order_item_id"] = row.get("order-item-id") or None
    if not item["order_item_id"]:
        raise ReportParseError(f"line {line}: empty order-item-id")
    item["seller_sku"] = row.get("sku") or None
    item["asin"] = row.get("asin") or None
    item["title"] = row.get("product-name") or None
    try:
        item["quantity_ordered"] = parse_int(row.get("quantity-purchased")) or 0
        item["quantity_shipped"] = parse_int(row.get("quantity-shipped")) or 0
    except ResponseParseError as exc:
        raise ReportParseError(f"line {line}: {exc}") from None
    for key, column in (
        ("item_price", "item-price"),
        ("item_tax", "item-tax"),
        ("shipping_price", "shipping-price"),
        ("shipping_tax", "shipping-tax"),
        ("gift_wrap_price", "gift-wrap-price"),
        ("gift_wrap_tax", "gift-wrap-tax"),
    ):
        item[key] = amount_field(row.get(column), f"line {line} {column}", error=ReportParseError)
    item["promotion_discount"] = discount_field(
        row.get("item-promotion-discount"),
        f"line {line} item-promotion-discount",
        error=ReportParseError,
    )
    item["shipping_discount"] = discount_field(
        row.get("ship-promotion-discount"),
        f"line {line} ship-promotion-discount",
        error=ReportParseError,
    )
    item["promotion_ids"] = _split_ids(row.get("item-promotion-id"), row.get("ship-promotion-id"))
    item["currency"] = row.get("currency") or None
    item["gift_message_text"] = row.get("gift-message-text") or None
    item["gift_wrap_level"] = row.get("gift-wrap-type") or row.get("gift-wrap-level") or None
    item["item_status"] = row.get("item-status") or None
    item["merchant_order_item_id"] = row.get("merchant-order-item-id") or None
    return item


def _flat_order(row: dict[str, str], seller_id: str | None) -> dict:
    order = empty_order("flat_file")
    oid = order["amazon_order_id"] = row["order-id"]
    order["seller_id"] = seller_id
    order["merchant_order_id"] = row.get("merchant-order-id") or None
    order["purchase_date"] = date_field(order, row.get("purchase-date"), f"{oid} purchase-date")
    order["payments_date"] = date_field(order, row.get("payments-date"), f"{oid} payments-date")
    order["last_update_date"] = (
        date_field(order, row.get("last-updated-date"), f"{oid} last-updated-date")
        or order["payments_date"]
        or order["purchase_date"]
    )
    order["status"] = _status(row.get("order-status"))
    order["fulfillment_channel"] = _channel(row.get("fulfillment-channel"))
    order["sales_channel"] = row.get("sales-channel") or None
    order["marketplace_id"] = row.get("marketplace-id") or sales_channel_marketplace(
        order["sales_channel"]
    )
    level = row.get("ship-service-level") or None
    order["ship_service_level"] = level
    order["shipment_service_level_category"] = row.get("shipment-service-level-category") or (
        level if level in _SERVICE_CATEGORIES else None
    )
    order["currency"] = row.get("currency") or None
    order["buyer_email"] = row.get("buyer-email") or None
    order["buyer_name"] = row.get("buyer-name") or None
    order["buyer_phone"] = row.get("buyer-phone-number") or None
    address = empty_address()
    for key, column in (
        ("name", "recipient-name"),
        ("address_line1", "ship-address-1"),
        ("address_line2", "ship-address-2"),
        ("address_line3", "ship-address-3"),
        ("city", "ship-city"),
        ("county", "ship-county"),
        ("state_or_region", "ship-state"),
        ("postal_code", "ship-postal-code"),
        ("country_code", "ship-country"),
        ("phone", "ship-phone-number"),
        ("address_type", "address-type"),
    ):
        address[key] = row.get(column) or None
    order["shipping_address"] = address if any(address.values()) else None
    for key, columns in (
        ("earliest_ship_date", ("earliest-ship-date",)),
        ("latest_ship_date", ("latest-ship-date",)),
        ("earliest_delivery_date", ("earliest-delivery-date", "delivery-start-date")),
        ("latest_delivery_date", ("latest-delivery-date", "delivery-end-date")),
    ):
        column = next((c for c in columns if row.get(c)), None)
        if column:
            order[key] = date_field(order, row[column], f"{oid} {column}")
    for key, column in (
        ("is_business_order", "is-business-order"),
        ("is_prime", "is-prime"),
        ("is_premium_order", "is-premium-order"),
        ("is_replacement_order", "is-replacement-order"),
    ):
        order[key] = bool(parse_bool(row.get(column)))
    order["purchase_order_number"] = row.get("purchase-order-number") or None
    order["delivery_instructions"] = row.get("delivery-instructions") or None
    order["payment_method"] = row.get("payment-method") or None
    return order


def _finish_report_order(order: dict, priced: bool) -> dict:
    order["items_complete"] = True
    if priced:
        total = sum((item_total(i) for i in order["items"]), ZERO)
        order["order_total"] = format_amount(total)
        order["order_total_source"] = "computed"
    currencies = {i["currency"] for i in order["items"] if i.get("currency")}
    if len(currencies) > 1:
        warn(order, f"{order['amazon_order_id']}: items in several currencies {sorted(currencies)}")
    if order.get("currency") is None and currencies:
        order["currency"] = sorted(currencies)[0]
    return order


def parse_flat_file_orders(
    data: bytes | str, *, encoding: str | None = None, seller_id: str | None = None
) -> list[dict]:
    """``_GET_FLAT_FILE_ORDERS_DATA_`` → order dicts with their items, in file order.

    One row per item, grouped by order-id (rows of an order need not be adjacent; order-level
    columns come from its first row). Unknown columns are ignored and missing optional ones
    read as empty. A repeated order-item-id keeps its first row and warns. Raises
    `ReportParseError` when a required column (`FLAT_FILE_REQUIRED_COLUMNS`) is missing, or a
    row has no order-id or an unreadable amount or quantity (the message names the line).
    """
    header, rows = read_tsv(data, encoding=encoding)
    _require(header, FLAT_FILE_REQUIRED_COLUMNS, "flat file order report")
    orders: dict[str, dict] = {}
    for line, row in rows:
        oid = row.get("order-id")
        if not oid:
            raise ReportParseError(f"line {line}: empty order-id")
        order = orders.get(oid)
        if order is None:
            order = orders[oid] = _flat_order(row, seller_id)
        item = _flat_item(row, line)
        if any(i["order_item_id"] == item["order_item_id"] for i in order["items"]):
            warn(order, f"line {line}: order-item-id {item['order_item_id']} repeated, ignored")
            continue
        order["items"].append(item)
    return [_finish_report_order(order, priced=True) for order in orders.values()]


# ---------------------------------------------------------------------------------------------
# XML order reports
# ---------------------------------------------------------------------------------------------

_PRICE_COMPONENTS = {
    "Principal": "item_price",
    "Tax": "item_tax",
    "Shipping": "shipping_price",
    "ShippingTax": "shipping_tax",
    "GiftWrap": "gift_wrap_price",
    "GiftWrapTax": "gift_wrap_tax",
    "CODFee": "cod_fee",
    "COD": "cod_fee",
}


def _xml_address(el: etree._Element | None) -> dict | None:
    if el is None:
        return None
    address = empty_address()
    for key, tags in (
        ("name", ("Name",)),
        ("address_line1", ("AddressFieldOne", "AddressLine1")),
        ("address_line2", ("AddressFieldTwo", "AddressLine2")),
        ("address_line3", ("AddressFieldThree", "AddressLine3")),
        ("city", ("City",)),
        ("county", ("County",)),
        ("district", ("District",)),
        ("state_or_region", ("StateOrRegion", "State")),
        ("postal_code", ("PostalCode",)),
        ("country_code", ("CountryCode", "Country")),
        ("phone", ("PhoneNumber", "Phone")),
        ("address_type", ("AddressType",)),
    ):
        address[key] = next((v for v in (text(el, t) for t in tags) if v), None)
    return address


def _add(item: dict, key: str, amount: Decimal) -> None:
    item[key] = format_amount(Decimal(item[key]) + amount)


def _xml_item(el: etree._Element, label: str) -> tuple[dict, bool]:
    """(item, whether it carried any price component)."""
    item = empty_item()
    item["order_item_id"] = text(el, "AmazonOrderItemCode")
    label = f"{label} item {item['order_item_id'] or text(el, 'SKU')}"
    item["seller_sku"] = text(el, "SKU")
    item["asin"] = text(el, "ASIN")
    item["title"] = text(el, "ProductName") or text(el, "Title")
    item["item_status"] = text(el, "ItemStatus")
    item["merchant_order_item_id"] = text(el, "MerchantOrderItemID")
    try:
        item["quantity_ordered"] = parse_int(text(el, "Quantity")) or 0
    except ResponseParseError as exc:
        raise ReportParseError(f"{label} Quantity: {exc}") from None
    if item["item_status"] == "Shipped":
        item["quantity_shipped"] = item["quantity_ordered"]
    priced = False
    for component in findall(el, "ItemPrice/Component"):
        ctype = text(component, "Type") or "Other"
        amount_el = find(component, "Amount")
        amount = Decimal(
            amount_field(text(amount_el), f"{label} ItemPrice {ctype}", error=ReportParseError)
        )
        if amount_el is not None and amount_el.get("currency") and not item["currency"]:
            item["currency"] = amount_el.get("currency")
        priced = True
        key = _PRICE_COMPONENTS.get(ctype)
        if key:
            _add(item, key, amount)
        else:
            previous = Decimal(item["other_charges"].get(ctype, "0"))
            item["other_charges"][ctype] = format_amount(previous + amount)
    for fee in findall(el, "ItemFees/Fee"):
        ftype = text(fee, "Type") or "Other"
        amount = Decimal(
            amount_field(text(fee, "Amount"), f"{label} ItemFees {ftype}", error=ReportParseError)
        )
        previous = Decimal(item["item_fees"].get(ftype, "0"))
        item["item_fees"][ftype] = format_amount(previous + amount)
    ids: list[str] = []
    for promo in findall(el, "Promotion"):
        # OrderReport.xsd form: MerchantPromotionID + Component(Type Principal|Shipping, Amount)
        ids += _split_ids(text(promo, "MerchantPromotionID"))
        for component in findall(promo, "Component"):
            ctype = text(component, "Type")
            amount = Decimal(
                discount_field(
                    text(component, "Amount"), f"{label} Promotion {ctype}", error=ReportParseError
                )
            )
            _add(item, "shipping_discount" if ctype == "Shipping" else "promotion_discount", amount)
        # All-orders report form: PromotionIDs + ItemPromotionDiscount / ShipPromotionDiscount
        nested = [text(n) for n in findall(promo, "PromotionIDs/PromotionID")]
        ids += _split_ids(text(promo, "PromotionIDs"), *nested)
        for key, tag in (
            ("promotion_discount", "ItemPromotionDiscount"),
            ("shipping_discount", "ShipPromotionDiscount"),
        ):
            value = text(promo, tag)
            if value is not None:
                _add(
                    item,
                    key,
                    Decimal(discount_field(value, f"{label} {tag}", error=ReportParseError)),
                )
    item["promotion_ids"] = list(dict.fromkeys(ids))
    item["gift_wrap_level"] = text(el, "GiftWrapLevel")
    item["gift_message_text"] = text(el, "GiftMessageText")
    return item, priced


def _order_dates_from_items(order: dict, el: etree._Element, label: str) -> None:
    for key, path, pick in (
        ("earliest_ship_date", "Item/ExpectedShipDateRange/EarliestShipDate", min),
        ("latest_ship_date", "Item/ExpectedShipDateRange/LatestShipDate", max),
        ("earliest_delivery_date", "Item/ExpectedDeliveryDateRange/EarliestDeliveryDate", min),
        ("latest_delivery_date", "Item/ExpectedDeliveryDateRange/LatestDeliveryDate", max),
    ):
        values = [date_field(order, text(n), f"{label} {path}") for n in findall(el, path)]
        values = [v for v in values if v is not None]
        if values:
            order[key] = pick(values)


def _all_orders_order(el: etree._Element, seller_id: str | None) -> dict:
    order = empty_order("xml_all_orders")
    oid = text(el, "AmazonOrderID")
    if not oid:
        raise ReportParseError("an Order without AmazonOrderID")
    order["amazon_order_id"] = oid
    order["seller_id"] = seller_id
    order["merchant_order_id"] = text(el, "MerchantOrderID")
    order["purchase_date"] = date_field(order, text(el, "PurchaseDate"), f"{oid} PurchaseDate")
    order["last_update_date"] = (
        date_field(order, text(el, "LastUpdatedDate"), f"{oid} LastUpdatedDate")
        or order["purchase_date"]
    )
    order["status"] = _status(text(el, "OrderStatus"))
    order["sales_channel"] = text(el, "SalesChannel")
    order["marketplace_id"] = text(el, "MarketplaceId") or sales_channel_marketplace(
        order["sales_channel"]
    )
    fulfillment = find(el, "FulfillmentData")
    order["fulfillment_channel"] = _channel(text(fulfillment, "FulfillmentChannel"))
    level = text(fulfillment, "ShipServiceLevel")
    order["ship_service_level"] = level
    order["shipment_service_level_category"] = level if level in _SERVICE_CATEGORIES else None
    order["shipping_address"] = _xml_address(find(fulfillment, "Address"))
    for key, tag in (
        ("is_business_order", "IsBusinessOrder"),
        ("is_prime", "IsPrime"),
        ("is_premium_order", "IsPremiumOrder"),
        ("is_replacement_order", "IsReplacementOrder"),
    ):
        order[key] = bool(parse_bool(text(el, tag)))
    order["purchase_order_number"] = text(el, "PurchaseOrderNumber")
    order["buyer_email"] = text(el, "BuyerEmail")
    order["buyer_name"] = text(el, "BuyerName")
    priced = False
    items = []
    for node in findall(el, "OrderItem"):
        item, has_price = _xml_item(node, oid)
        priced = priced or has_price
        items.append(item)
    attach_items(order, items)
    return _finish_report_order(order, priced)


def _order_report_order(el: etree._Element, seller_id: str | None) -> dict:
    order = empty_order("order_report")
    oid = text(el, "AmazonOrderID")
    if not oid:
        raise ReportParseError("an OrderReport without AmazonOrderID")
    order["amazon_order_id"] = oid
    order["seller_id"] = seller_id
    order["purchase_date"] = date_field(order, text(el, "OrderDate"), f"{oid} OrderDate")
    order["payments_date"] = date_field(
        order, text(el, "OrderPostedDate"), f"{oid} OrderPostedDate"
    )
    order["last_update_date"] = order["payments_date"] or order["purchase_date"]
    order["status"] = None  # see the module docstring
    order["fulfillment_channel"] = "MFN"
    order["sales_channel"] = text(el, "MarketplaceName")
    order["marketplace_id"] = sales_channel_marketplace(order["sales_channel"])
    billing = find(el, "BillingData")
    order["buyer_email"] = text(billing, "BuyerEmailAddress")
    order["buyer_name"] = text(billing, "BuyerName")
    order["buyer_phone"] = text(billing, "BuyerPhoneNumber")
    fulfillment = find(el, "FulfillmentData")
    level = text(fulfillment, "FulfillmentServiceLevel")
    order["ship_service_level"] = level
    order["shipment_service_level_category"] = level
    order["shipping_address"] = _xml_address(find(fulfillment, "Address"))
    order["is_business_order"] = bool(parse_bool(text(el, "IsBusinessOrder")))
    order["is_prime"] = bool(parse_bool(text(el, "IsPrime")))
    order["purchase_order_number"] = text(el, "PurchaseOrderNumber")
    _order_dates_from_items(order, el, oid)
    priced = False
    items = []
    for node in findall(el, "Item"):
        item, has_price = _xml_item(node, oid)
        priced = priced or has_price
        items.append(item)
    attach_items(order, items)
    return _finish_report_order(order, priced)


def parse_xml_orders_report(data: bytes | str, *, seller_id: str | None = None) -> list[dict]:
    """An XML order report → order dicts with their items.

    Reads ``_GET_XML_ALL_ORDERS_DATA_BY_LAST_UPDATE_`` (MessageType AllOrdersReport,
    ``Message/Order``) and the scheduled ``_GET_ORDERS_DATA_`` (MessageType OrderReport,
    ``Message/OrderReport``, OrderReport.xsd). An order listed twice (several updates in the
    period) is returned once, in its last version. Raises `ReportParseError` for anything that
    is not an AmazonEnvelope of orders.
    """
    try:
        root = parse_xml(data)
    except ResponseParseError as exc:
        raise ReportParseError(f"XML order report: {exc}") from None
    if local_name(root) != "AmazonEnvelope":
        raise ReportParseError(
            f"XML order report: expected an AmazonEnvelope, got <{local_name(root)}>"
        )
    message_type = text(root, "MessageType")
    orders: dict[str, dict] = {}
    for message in findall(root, "Message"):
        for child in message:
            name = local_name(child)
            if name == "Order":
                order = _all_orders_order(child, seller_id)
            elif name == "OrderReport":
                order = _order_report_order(child, seller_id)
            else:
                continue
            orders.pop(order["amazon_order_id"], None)
            orders[order["amazon_order_id"]] = order
    if not orders and message_type not in (None, "AllOrdersReport", "OrderReport"):
        raise ReportParseError(f"XML order report: unexpected MessageType {message_type!r}")
    return list(orders.values())


# ---------------------------------------------------------------------------------------------
# _GET_AFN_INVENTORY_DATA_
# ---------------------------------------------------------------------------------------------


def parse_afn_inventory(data: bytes | str, *, encoding: str | None = None) -> list[dict]:
    """``_GET_AFN_INVENTORY_DATA_`` → [{sku, fnsku, asin, condition, warehouse_condition,
    quantity}], one per row (a SKU has a SELLABLE and an UNSELLABLE row)."""
    header, rows = read_tsv(data, encoding=encoding)
    _require(header, ("seller-sku", "quantity available"), "FBA inventory report")
    result = []
    for line, row in rows:
        try:
            quantity = parse_int(row.get("quantity available")) or 0
        except ResponseParseError as exc:
            raise ReportParseError(f"line {line}: Quantity Available: {exc}") from None
        sku = row.get("seller-sku")
        if not sku:
            raise ReportParseError(f"line {line}: empty seller-sku")
        result.append(
            {
                "sku": sku,
                "fnsku": row.get("fulfillment-channel-sku") or None,
                "asin": row.get("asin") or None,
                "condition": row.get("condition-type") or None,
                "warehouse_condition": row.get("warehouse-condition-code") or None,
                "quantity": quantity,
            }
        )
    return result


# ---------------------------------------------------------------------------------------------
# _GET_MERCHANT_LISTINGS_ALL_DATA_
# ---------------------------------------------------------------------------------------------

#: Amazon's listing statuses in the All Listings report, as the connector names them
LISTING_STATUSES = {"active": "active", "inactive": "inactive", "incomplete": "incomplete"}


def parse_listings(data: bytes | str, *, encoding: str | None = None) -> list[dict]:
    """``_GET_MERCHANT_LISTINGS_ALL_DATA_`` → [{sku, asin, status, quantity, price}], one per
    SKU; ``status`` is ``active``, ``inactive``, ``incomplete`` or None (another word)."""
    header, rows = read_tsv(data, encoding=encoding)
    _require(header, ("seller-sku", "asin1"), "listings report")
    result = []
    for line, row in rows:
        sku = row.get("seller-sku")
        if not sku:
            raise ReportParseError(f"line {line}: empty seller-sku")
        try:
            quantity = parse_int(row.get("quantity"))
        except ResponseParseError as exc:
            raise ReportParseError(f"line {line}: quantity: {exc}") from None
        result.append(
            {
                "sku": sku,
                "asin": row.get("asin1") or None,
                "status": LISTING_STATUSES.get((row.get("status") or "").strip().lower()),
                "quantity": quantity,
                "price": row.get("price") or None,
            }
        )
    return result
