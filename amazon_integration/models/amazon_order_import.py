"""Order import: Amazon order dicts → sale orders, by the Orders API or by order reports.

One entry point, ``amazon.account._import_orders(order_dicts)``, takes order dicts in the
contract shape (``notes/sandbox_order_contract.md``; produced by ``lib/orders.py`` and
``lib/reports.py``) and turns each Amazon order into exactly one sale order:

* one SAVEPOINT per order: a bad order is rolled back alone (and then kept as a quotation in
  exception when at all possible), the others go on;
* unique (account, Amazon order id): an order seen again is updated (status, last update,
  buyer cancellation), never created twice; a concurrent worker that created it first wins;
* taxes: Amazon lines carry NO Odoo tax. Amazon's tax amounts (item, shipping and gift wrap
  tax) are one "Amazon tax" line, so the order total is Amazon's OrderTotal to the cent, in
  every tax regime (US sales tax on top, EU VAT included in the prices with tax 0.00);
* an order that cannot be completed (unknown SKU, unusable address, total mismatch, any
  error) is kept as a quotation with ``amazon_exception``, a message, an activity and the raw
  dict in ``amazon_payload``; "Retry import" completes it from the stored data.

Two paths feed it (``order_import_mode``): the Orders API (ListOrders by LastUpdatedAfter with
a persisted listing state and checkpoint, ListOrderItems for the orders that need items) and
order reports (``_GET_FLAT_FILE_ORDERS_DATA_``, a persisted report request). ``auto`` switches
to reports when the API cannot keep up (see `_auto_choose_path`).
"""

import logging
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal

import psycopg2
from markupsafe import Markup

from odoo import _, fields, models
from odoo.addons.integrator_base.models.capture import capture_stock
from odoo.tools import float_compare

from ..lib import orders as orderlib
from ..lib import reports as reportlib
from ..lib.responses import ResponseParseError
from ..lib.transport import MwsCallError
from .amazon_account import AmazonQuotaWait

_logger = logging.getLogger(__name__)

CENT = Decimal("0.01")
ZERO = Decimal("0.00")

#: statuses imported as confirmed orders
IMPORTABLE = ("Unshipped", "PartiallyShipped", "Shipped")
PENDING = ("Pending", "PendingAvailability")
#: Every OrderStatus ListOrders knows; Unshipped and PartiallyShipped go together.
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
#: Orders on one ListOrders page (MaxResultsPerPage's default and maximum).
LIST_PAGE_SIZE = 100

REPORT_FLAT = "_GET_FLAT_FILE_ORDERS_DATA_"
REPORT_XML_ALL = "_GET_XML_ALL_ORDERS_DATA_BY_LAST_UPDATE_"

#: Amazon's ListOrders refuses dates later than two minutes before its now.
LIST_MARGIN = timedelta(minutes=3)
#: seconds between two polls of a report request (the server's clock)
REPORT_POLL_SECONDS = 60
#: orders imported between two commits of the report path
REPORT_BATCH = 200

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

SERVICE_KINDS = [
    ("shipping", "Amazon shipping"),
    ("promotion", "Amazon promotion"),
    ("gift_wrap", "Amazon gift wrap"),
    ("tax", "Amazon tax"),
    ("adjustment", "Amazon rounding adjustment"),
]


# --------------------------------------------------------------------------------- pure helpers


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


def _parse_iso(value):
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
        return _parse_iso(value)
    return value


def dec(value):
    if value in (None, ""):
        return ZERO
    try:
        return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)
    except ArithmeticError:
        return ZERO


def naive(dt):
    """An aware datetime as Odoo's naive UTC (None stays None)."""
    if not dt:
        return None
    if isinstance(dt, str):
        dt = _parse_iso(dt)
        if isinstance(dt, str):
            return None
    if dt.tzinfo:
        dt = dt.astimezone(timezone.utc).replace(tzinfo=None)
    return dt


def iso_z(dt):
    """Odoo naive UTC (or aware) datetime → ``2024-05-01T12:00:00Z`` for MWS parameters."""
    if dt.tzinfo:
        dt = dt.astimezone(timezone.utc).replace(tzinfo=None)
    return dt.replace(microsecond=0).isoformat() + "Z"


def order_amounts(order):
    """Amounts of the Odoo lines of an order dict, as Decimals: items, shipping, promotion
    (negative), gift wrap, tax (Amazon's tax amounts) and the total they make."""
    items = order.get("items") or ()
    amounts = {
        "shipping": sum((dec(i.get("shipping_price")) for i in items), ZERO),
        "promotion": -sum(
            (dec(i.get("promotion_discount")) + dec(i.get("shipping_discount")) for i in items),
            ZERO,
        ),
        "gift_wrap": sum((dec(i.get("gift_wrap_price")) for i in items), ZERO),
        "tax": sum(
            (
                dec(i.get("item_tax")) + dec(i.get("shipping_tax")) + dec(i.get("gift_wrap_tax"))
                for i in items
            ),
            ZERO,
        ),
        "items": sum((dec(i.get("item_price")) for i in items), ZERO),
    }
    amounts["total"] = sum(amounts.values(), ZERO)
    return amounts


def needs_completion(so):
    """A sale order still waiting for its lines or for a person (not confirmed yet)."""
    return so.state == "draft" and (bool(so.amazon_exception) or so.amazon_order_status in PENDING)


class ProductTemplate(models.Model):
    _inherit = "product.template"

    amazon_service_kind = fields.Selection(
        SERVICE_KINDS,
        string="Amazon Charge",
        index=True,
        copy=False,
        help="Service product the order import uses for this kind of Amazon amount.",
    )


class AmazonAccount(models.Model):
    _inherit = "amazon.account"

    order_import_mode = fields.Selection(
        [("api", "Orders API"), ("report", "Order reports"), ("auto", "Automatic")],
        string="Order Import",
        default="auto",
        required=True,
        help="Orders API: ListOrders + ListOrderItems (about 1,800 new orders an hour). "
        "Order reports: thousands of orders per report. Automatic: reports when the API "
        "cannot keep up with the orders found, the API again when the volume drops.",
    )
    order_auto_path = fields.Selection(
        [("api", "Orders API"), ("report", "Order reports")],
        string="Current Order Path",
        default="api",
        readonly=True,
        copy=False,
    )
    order_checkpoint = fields.Datetime(
        "Orders Updated Up To",
        copy=False,
        help="Every order Amazon updated before this moment is imported (or kept in "
        "exception). The next listing starts at this moment minus the overlap.",
    )
    order_overlap_minutes = fields.Integer("Listing Overlap (minutes)", default=15)
    order_initial_days = fields.Integer(
        "First Import Looks Back (days)",
        default=1,
        help="How far back the first automatic import goes; older orders come with "
        "Download orders.",
    )
    order_report_checkpoint = fields.Datetime(
        "Order Reports Up To", copy=False, help="Purchase date the last order report reached."
    )
    order_report_lag_minutes = fields.Integer(
        "Report Re-read (minutes)",
        default=120,
        help="Order reports list only paid orders: each report reads purchases again from "
        "this long before the last report, so that orders still in Amazon's payment hold "
        "then are not missed (Amazon's hold lasts up to about 90 minutes).",
    )
    order_update_checkpoint = fields.Datetime(
        "Order Updates Up To",
        copy=False,
        help="Order reports path: every change Amazon made to an order before this moment "
        "(cancellation, shipment by Amazon) is applied here. Read from the all-orders "
        "report by last update, which carries every status, thousands of orders per report.",
    )
    order_report_interval_minutes = fields.Integer(
        "Minutes Between Order Reports",
        default=15,
        help="RequestReport has a quota of 60 an hour shared by every report type.",
    )
    import_pending_orders = fields.Boolean(
        "Import Pending Orders",
        help="Orders still in Amazon's payment hold come in as quotations (without buyer "
        "and address, which Amazon only gives once paid), confirmed once paid.",
    )
    ship_by_warning_hours = fields.Integer(
        "Ship-by Warning (hours)",
        default=24,
        help="Unshipped merchant-fulfilled orders this close to their ship-by date get an "
        "activity.",
    )
    order_listing_state = fields.Json("Order Listing in Progress", readonly=True, copy=False)
    order_report_state = fields.Json("Order Report in Progress", readonly=True, copy=False)
    order_update_report_state = fields.Json(
        "Order Update Report in Progress", readonly=True, copy=False
    )
    order_download_from = fields.Datetime("Download Orders From", copy=False)
    order_download_to = fields.Datetime("Download Orders To", copy=False)
    order_last_found = fields.Integer(
        "New Orders (last listing)",
        readonly=True,
        copy=False,
        help="Orders the last listing found needing their items; on the order reports "
        "path, the new orders of the last report per sync interval.",
    )
    order_last_listed = fields.Integer(
        "Orders Listed (last listing)",
        readonly=True,
        copy=False,
        help="Every order the last listing went through, new or updated; on the order "
        "reports path, the orders of the last update report per sync interval.",
    )
    order_last_summary = fields.Char("Last Order Import", readonly=True, copy=False)
    amazon_shipping_product_id = fields.Many2one("product.product", "Shipping Product")
    amazon_promotion_product_id = fields.Many2one("product.product", "Promotion Product")
    amazon_gift_wrap_product_id = fields.Many2one("product.product", "Gift Wrap Product")
    amazon_tax_product_id = fields.Many2one("product.product", "Tax Product")
    amazon_adjustment_product_id = fields.Many2one("product.product", "Rounding Product")
    amazon_order_ids = fields.One2many("sale.order", "amazon_account_id", readonly=True)
    amazon_order_count = fields.Integer(compute="_compute_amazon_order_count")
    amazon_order_exception_count = fields.Integer(compute="_compute_amazon_order_count")

    def _compute_amazon_order_count(self):
        Order = self.env["sale.order"]
        counts = dict(
            Order._read_group(
                [("amazon_account_id", "in", self.ids)], ["amazon_account_id"], ["__count"]
            )
        )
        errors = dict(
            Order._read_group(
                [("amazon_account_id", "in", self.ids), ("amazon_exception", "!=", False)],
                ["amazon_account_id"],
                ["__count"],
            )
        )
        for account in self:
            account.amazon_order_count = counts.get(account, 0)
            account.amazon_order_exception_count = errors.get(account, 0)

    def action_open_amazon_orders(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "amazon_integration.sale_order_amazon_action"
        )
        action["domain"] = [("amazon_account_id", "=", self.id)]
        return action

    # ============================================================== import core

    def _import_orders(self, order_dicts):
        """Import Amazon order dicts (contract shape). Returns a summary dict:

        ``created``, ``updated``, ``unchanged``, ``skipped``, ``exceptions`` (counts),
        ``errors`` (texts of orders that could not even be kept), ``needs_items`` (ids of
        orders that must be fetched with their items first), ``outcomes`` {id: outcome}.
        """
        self.ensure_one()
        account = self.with_context(
            integrator_no_capture=True, tracking_disable=True, mail_notrack=True
        )
        summary = {
            "created": 0,
            "updated": 0,
            "unchanged": 0,
            "skipped": 0,
            "exceptions": 0,
            "errors": [],
            "needs_items": [],
            "outcomes": {},
        }
        ids = [o.get("amazon_order_id") for o in order_dicts if o.get("amazon_order_id")]
        existing = {
            so.amazon_order_id: so.id
            for so in account.env["sale.order"]
            .with_context(active_test=False)
            .search([("amazon_account_id", "=", self.id), ("amazon_order_id", "in", ids)])
        }
        cache = {"to_confirm": []}
        for order in order_dicts:
            oid = order.get("amazon_order_id")
            if not oid:
                summary["errors"].append(_("An order without Amazon order id was ignored."))
                continue
            try:
                with account.env.cr.savepoint():
                    outcome = account._import_one(order, existing.get(oid), cache)
            except psycopg2.errors.UniqueViolation as error:
                if error.diag.constraint_name != "sale_order_amazon_order_unique":
                    raise
                # another worker created it between our search and our insert: theirs stands
                self._reset_cache(cache)
                outcome = "unchanged"
            except Exception as error:
                self._reset_cache(cache)
                _logger.info(
                    "Amazon order %s of %s could not be imported: %s", oid, self.name, error
                )
                outcome = account._keep_failed(order, existing.get(oid), error)
                if outcome == "error":
                    summary["errors"].append(
                        _("Order %(id)s could not be imported: %(error)s", id=oid, error=error)
                    )
            if outcome in ("created", "exception") and oid not in existing:
                so = account.env["sale.order"].search(
                    [("amazon_account_id", "=", self.id), ("amazon_order_id", "=", oid)], limit=1
                )
                if so:
                    existing[oid] = so.id
            summary["outcomes"][oid] = outcome
            if outcome == "needs_items":
                summary["needs_items"].append(oid)
            elif outcome == "exception":
                summary["exceptions"] += 1
            elif outcome in summary and outcome != "errors":
                summary[outcome] += 1
        for oid in account._confirm_orders(cache["to_confirm"]):
            summary["outcomes"][oid] = "exception"
            summary["exceptions"] += 1
            summary["created"] -= 1
        return summary

    def _reset_cache(self, cache):
        """After a rollback: forget the records the cache may hold, keep the orders to
        confirm (those were created in savepoints that succeeded)."""
        to_confirm = cache.get("to_confirm")
        cache.clear()
        if to_confirm is not None:
            cache["to_confirm"] = to_confirm

    def _retry_orders(self, sale_orders):
        """Import the stored Amazon data of these orders again (Retry import)."""
        self.ensure_one()
        dicts = [from_json(so.amazon_payload) for so in sale_orders if so.amazon_payload]
        return self._import_orders(dicts)

    def _import_one(self, order, so_id, cache):
        """One order, inside its savepoint. Returns the outcome."""
        SaleOrder = self.env["sale.order"]
        if so_id:
            return self._update_order(SaleOrder.browse(so_id), order, cache)
        status = order.get("status") or (
            "Unshipped" if order.get("source") != "ListOrders" else None
        )
        if status == "Canceled" or status == "Unfulfillable":
            return "skipped"
        if status in PENDING and not self.import_pending_orders:
            return "skipped"
        if status not in IMPORTABLE + PENDING:
            return "skipped"
        if not order.get("items_complete"):
            return "needs_items"
        order = dict(order, status=status)
        so = self._create_sale_order(order, cache)
        return "exception" if so.amazon_exception else "created"

    # ------------------------------------------------------------------ existing orders

    def _address_problem(self, address):
        """Why an Amazon shipping address cannot be delivered to (None when usable)."""
        if not address:
            return _("Amazon sent no shipping address.")
        if not (address.get("country_code") or "").strip():
            return _("The shipping address has no country.")
        if not any((address.get(k) or "").strip() for k in ("address_line1", "address_line2")):
            return _("The shipping address has no street.")
        return None

    def _merge_payload(self, so, order):
        """The stored dict updated with what ``order`` knows (a header without items keeps
        the stored items; a report's None status keeps the stored status)."""
        stored = from_json(so.amazon_payload) if so.amazon_payload else {}
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

    def _update_order(self, so, order, cache):
        """An order imported before: status, last update, cancellation, completion."""
        new_update = naive(order.get("last_update_date"))
        older = bool(new_update and so.amazon_last_update and new_update < so.amazon_last_update)
        status = order.get("status")
        if older:
            status = None  # older news than what we have: never go back
        if (
            not status
            and not older
            and so.amazon_order_status in PENDING
            and order.get("source") not in (None, "ListOrders", "GetOrder")
        ):
            status = "Unshipped"  # order reports only list paid orders
        merged = self._merge_payload(so, order) if not older else None
        if needs_completion(so):
            if older:
                return "unchanged"
            effective = status or so.amazon_order_status
            if (
                effective in IMPORTABLE
                and so.amazon_order_status in PENDING
                and not order.get("items_complete")
            ):
                return "needs_items"  # Pending orders may lack prices: fetch them again
            if effective == "Canceled":
                so.write(self._status_values(so, order, "Canceled", merged))
                so._action_cancel()
                so.activity_unlink(["mail.mail_activity_data_warning"])
                return "updated"
            if effective in IMPORTABLE or (effective in PENDING and so.amazon_exception):
                if not merged.get("items_complete"):
                    return "needs_items"
                merged["status"] = effective
                self._create_sale_order(merged, cache, so=so)
                return "exception" if so.amazon_exception else "updated"
            values = self._status_values(so, order, effective, merged)
            if not values:
                return "unchanged"
            so.write(values)
            return "updated"
        if older or not status:
            return "unchanged" if older or not merged else self._write_status(so, order, merged)
        values = self._status_values(so, order, status, merged)
        if not values:
            return "unchanged"
        so.write(values)
        if status == "Canceled" and so.state != "cancel":
            self._buyer_cancelled(so, order)
        elif status == "Shipped" and so.amazon_fulfillment_channel == "afn":
            so._amazon_fba_shipped()
        return "updated"

    def _write_status(self, so, order, merged):
        values = self._status_values(so, order, None, merged)
        if not values:
            return "unchanged"
        so.write(values)
        return "updated"

    def _status_values(self, so, order, status, merged):
        values = {}
        if status and status != so.amazon_order_status:
            values["amazon_order_status"] = status
        update = naive(order.get("last_update_date"))
        if update and update != so.amazon_last_update:
            values["amazon_last_update"] = update
        ship_by = naive(order.get("latest_ship_date"))
        if ship_by and ship_by != so.amazon_latest_ship_date:
            values["amazon_latest_ship_date"] = ship_by
        if values and merged is not None:
            values["amazon_payload"] = to_json(merged)
        return values

    def _buyer_cancelled(self, so, order):
        """Amazon canceled the order: cancel it unless something already left."""
        shipped = so.picking_ids.filtered(
            lambda p: p.state == "done" and p.picking_type_code == "outgoing"
        ) or any(line.qty_delivered for line in so.order_line)
        if not shipped:
            so._action_cancel()
            self._capture_stock_of(so)
            so._message_log(
                body=Markup("<p>%s</p>")
                % _(
                    "Canceled on Amazon (%s): the order was canceled here too.",
                    order.get("cancel_reason") or _("no reason given"),
                )
            )
            return
        if so.amazon_conflict_warned:
            return
        so.amazon_conflict_warned = True
        note = _(
            "Amazon reports this order as canceled (%(reason)s), but goods were already "
            "shipped. Contact the buyer, then refund or recover the shipment.",
            reason=order.get("cancel_reason") or _("no reason given"),
        )
        self._warn(so, _("Amazon cancellation after shipment"), note)

    def _warn(self, record, summary, note):
        user = self.user_id or self.env.ref("base.user_admin")
        record.activity_schedule(
            "mail.mail_activity_data_warning",
            summary=summary,
            note=Markup("<p>%s</p>") % note,
            user_id=user.id,
        )

    # ------------------------------------------------------------------ new orders

    def _create_sale_order(self, order, cache, so=None):
        """Create (or complete, when ``so`` is given) the sale order of ``order``.

        The order is confirmed when it is complete; otherwise it stays a quotation with
        ``amazon_exception`` and its message."""
        problems = []
        kind = False
        currency = self._order_currency(order, cache)
        pricelist = self._order_pricelist(currency, cache)
        marketplace = self._order_marketplace(order, cache)
        status = order.get("status")
        pending = status in PENDING
        address = order.get("shipping_address")
        channel = (order.get("fulfillment_channel") or "MFN").lower()
        if pending and not address:
            partner = delivery = self._fallback_partner(cache)
        else:
            problem = self._address_problem(address)
            partner = self._buyer_partner(order, marketplace, cache)
            if problem and channel == "afn":
                delivery = partner  # Amazon ships it: our copy of the address is a courtesy
            elif problem:
                problems.append(problem)
                kind = "address"
                delivery = partner
            else:
                delivery = self._delivery_partner(partner, address, cache)
        lines, unknown = self._order_lines(order, cache)
        if unknown:
            kind = "unknown_sku"
            problems.insert(
                0,
                _(
                    "Unknown SKU(s) %s: add the listing on this account (or a product with "
                    "that internal reference), then Retry import.",
                    ", ".join(sorted(unknown)),
                ),
            )
        amounts = order_amounts(order)
        announced = order.get("order_total")
        if not unknown and announced is not None and dec(announced) != amounts["total"]:
            kind = kind or "total"
            problems.append(
                _(
                    "Amazon's order total %(total)s differs from the sum of its items %(sum)s.",
                    total=announced,
                    sum=amounts["total"],
                )
            )
        warehouse = self.warehouse_ids[:1]
        values = {
            "partner_id": partner.id,
            "partner_invoice_id": partner.id,
            "partner_shipping_id": delivery.id,
            "pricelist_id": pricelist.id,
            "company_id": self.company_id.id,
            "date_order": naive(order.get("purchase_date")) or fields.Datetime.now(),
            "client_order_ref": order["amazon_order_id"],
            "origin": order.get("sales_channel") or self.name,
            "amazon_account_id": self.id,
            "amazon_order_id": order["amazon_order_id"],
            "amazon_purchase_date": naive(order.get("purchase_date")),
            "amazon_last_update": naive(order.get("last_update_date")),
            "amazon_order_status": status,
            "amazon_fulfillment_channel": channel if channel in ("mfn", "afn") else "mfn",
            "amazon_marketplace_id": marketplace.id,
            "amazon_latest_ship_date": naive(order.get("latest_ship_date")),
            "amazon_exception": kind,
            "amazon_exception_message": "\n".join(problems) or False,
            "amazon_payload": to_json(order),
        }
        if warehouse:
            values["warehouse_id"] = warehouse.id
        if so:
            so.order_line.unlink()
            so.write(values)
            so.write({"order_line": lines})
        else:
            so = (
                self.env["sale.order"]
                .with_company(self.company_id)
                .create(dict(values, order_line=lines))
            )
        # Amazon lines carry no Odoo tax, whatever the product's default taxes
        taxed = so.order_line.filtered("tax_id")
        if taxed:
            taxed.write({"tax_id": [fields.Command.clear()]})
        if kind:
            self._raise_exception_activity(so)
            return so
        if not unknown and announced is not None:
            total = float(dec(announced))
            if float_compare(so.amount_total, total, precision_rounding=so.currency_id.rounding):
                so.write(
                    {
                        "amazon_exception": "total",
                        "amazon_exception_message": _(
                            "The order's total %(odoo)s is not Amazon's %(amazon)s.",
                            odoo=so.amount_total,
                            amazon=announced,
                        ),
                    }
                )
                self._raise_exception_activity(so)
                return so
        if so.activity_ids:
            so.activity_unlink(["mail.mail_activity_data_warning"])
        if pending:
            return so
        confirm_values = {"date_order": values["date_order"]}
        if channel == "mfn" and status == "Unshipped":
            confirm_values["amazon_ack_state"] = "todo"
        to_confirm = cache.get("to_confirm")
        if to_confirm is None:
            self._confirm_orders([(so, confirm_values)])
        else:
            to_confirm.append((so, confirm_values))
        return so

    def _confirm_orders(self, pairs):
        """Confirm complete orders: all together (Odoo batches procurements and pickings),
        else, if that fails, each in its own savepoint; an order that cannot be confirmed
        stays a quotation in exception. Returns the ids of those left in exception."""
        if not pairs:
            return set()
        orders = self.env["sale.order"].browse([so.id for so, _values in pairs])
        try:
            with self.env.cr.savepoint():
                orders.action_confirm()
                for so, values in pairs:
                    so.write(values)
            self._capture_stock_of(orders)
            return set()
        except Exception as error:
            _logger.info("Amazon account %s: confirming one by one (%s)", self.name, error)
        failed = set()
        for so, values in pairs:
            so = self.env["sale.order"].browse(so.id)
            try:
                with self.env.cr.savepoint():
                    so.action_confirm()
                    so.write(values)
                self._capture_stock_of(so)
            except Exception as error:
                so.write(
                    {
                        "amazon_exception": "other",
                        "amazon_exception_message": _(
                            "The order could not be confirmed: %s", error
                        ),
                    }
                )
                self._raise_exception_activity(so)
                failed.add(so.amazon_order_id)
        return failed

    def _capture_stock_of(self, orders):
        """The import runs without capture (Amazon's own events must not echo back), but
        the stock its orders reserve (confirmation) or free (cancellation) must reach
        every listing of those products at once, not with the next unrelated change."""
        capture_stock(self.env, orders.order_line.product_id.filtered("is_storable").ids)

    def _raise_exception_activity(self, so):
        note = so.amazon_exception_message or ""
        existing = so.activity_ids.filtered(
            lambda a: a.activity_type_id == self.env.ref("mail.mail_activity_data_warning")
        )
        if existing:
            existing.write({"note": Markup("<p>%s</p>") % note})
            return
        self._warn(so, _("Amazon order %s needs attention", so.amazon_order_id), note)

    def _keep_failed(self, order, so_id, error):
        """After an unexpected error: keep the order as a quotation in exception (when it
        is new), or flag the existing one. Returns the outcome."""
        message = _("The import failed: %s", error)
        try:
            with self.env.cr.savepoint():
                if so_id:
                    so = self.env["sale.order"].browse(so_id)
                    if so.state == "draft":
                        so.write(
                            {
                                "amazon_exception": so.amazon_exception or "other",
                                "amazon_exception_message": message,
                                "amazon_payload": to_json(self._merge_payload(so, order)),
                            }
                        )
                        self._raise_exception_activity(so)
                        return "exception"
                    so._message_log(body=Markup("<p>%s</p>") % message)
                    return "error"
                partner = self._fallback_partner({})
                so = (
                    self.env["sale.order"]
                    .with_company(self.company_id)
                    .create(
                        {
                            "partner_id": partner.id,
                            "company_id": self.company_id.id,
                            "client_order_ref": order["amazon_order_id"],
                            "amazon_account_id": self.id,
                            "amazon_order_id": order["amazon_order_id"],
                            "amazon_order_status": order.get("status"),
                            "amazon_purchase_date": naive(order.get("purchase_date")),
                            "amazon_last_update": naive(order.get("last_update_date")),
                            "amazon_exception": "other",
                            "amazon_exception_message": message,
                            "amazon_payload": to_json(order),
                        }
                    )
                )
                self._raise_exception_activity(so)
                return "exception"
        except Exception as second:
            _logger.error(
                "Amazon order %s of %s could not even be kept: %s",
                order.get("amazon_order_id"),
                self.name,
                second,
            )
            return "error"

    # ------------------------------------------------------------------ lookups

    def _order_currency(self, order, cache):
        code = order.get("currency") or self.marketplace_id.currency_id.name
        key = ("currency", code)
        if key not in cache:
            currency = (
                self.env["res.currency"]
                .with_context(active_test=False)
                .search([("name", "=", code)], limit=1)
            )
            if not currency:
                raise ValueError(_("Unknown currency %s", code))
            if not currency.active:
                currency.sudo().active = True
            cache[key] = currency
        return cache[key]

    def _order_pricelist(self, currency, cache):
        key = ("pricelist", currency.id)
        if key not in cache:
            Pricelist = self.env["product.pricelist"].sudo()
            pricelist = self.pricelist_id if self.pricelist_id.currency_id == currency else None
            if not pricelist:
                pricelist = Pricelist.search(
                    [
                        ("currency_id", "=", currency.id),
                        ("company_id", "in", (self.company_id.id, False)),
                    ],
                    order="company_id desc, id",
                    limit=1,
                )
            if not pricelist:
                pricelist = Pricelist.create(
                    {
                        "name": _("Amazon %s", currency.name),
                        "currency_id": currency.id,
                        "company_id": self.company_id.id,
                    }
                )
            cache[key] = pricelist
        return cache[key]

    def _order_marketplace(self, order, cache):
        code = order.get("marketplace_id")
        key = ("marketplace", code)
        if key not in cache:
            marketplace = (
                self.env["amazon.marketplace"].search([("code", "=", code)], limit=1)
                if code
                else None
            )
            cache[key] = marketplace or self.marketplace_id
        return cache[key]

    def _marketplace_lang(self, marketplace):
        code = LANG_BY_MARKETPLACE_COUNTRY.get((marketplace.country_id.code or "").upper())
        installed = {c for c, _n in self.env["res.lang"].get_installed()}
        return code if code in installed else None

    def _fallback_partner(self, cache):
        """The customer of orders Amazon has not disclosed the buyer of yet (Pending)."""
        if "fallback" not in cache:
            Partner = self.env["res.partner"].sudo().with_context(active_test=False)
            ref = f"amazon-unknown-buyer-{self.id}"
            partner = Partner.search([("ref", "=", ref)], limit=1)
            if not partner:
                partner = Partner.create(
                    {
                        "name": _("Amazon buyer (not disclosed yet) – %s", self.name),
                        "ref": ref,
                        "company_id": self.company_id.id,
                    }
                )
            cache["fallback"] = partner
        return cache["fallback"]

    def _buyer_partner(self, order, marketplace, cache):
        """The buyer, found by Amazon's anonymised e-mail address (the indexed
        ``amazon_buyer_email`` of the contacts this import created), else created."""
        email = (order.get("buyer_email") or "").strip()
        if not email:
            return self._fallback_partner(cache)
        key = ("buyer", email.lower())
        if key in cache:
            return cache[key]
        Partner = self.env["res.partner"].sudo()
        partner = Partner.search(
            [
                ("amazon_buyer_email", "=", key[1]),
                ("parent_id", "=", False),
                ("company_id", "in", (self.company_id.id, False)),
            ],
            limit=1,
        )
        if not partner:
            address = order.get("shipping_address") or {}
            country = marketplace.country_id
            values = {
                "name": order.get("buyer_name") or address.get("name") or email,
                "email": email,
                "amazon_buyer_email": key[1],
                "customer_rank": 1,
                "company_id": self.company_id.id,
                "country_id": country.id or False,
            }
            lang = self._marketplace_lang(marketplace)
            if lang:
                values["lang"] = lang
            partner = Partner.create(values)
        cache[key] = partner
        return partner

    def _address_values(self, address, cache):
        code = (address.get("country_code") or "").strip().upper()
        key = ("country", code)
        if key not in cache:
            cache[key] = self.env["res.country"].search([("code", "=", code)], limit=1)
        country = cache[key]
        state = self.env["res.country.state"]
        region = (address.get("state_or_region") or "").strip()
        if country and region:
            skey = ("state", country.id, region.lower())
            if skey not in cache:
                cache[skey] = state.search(
                    [
                        ("country_id", "=", country.id),
                        "|",
                        ("code", "=ilike", region),
                        ("name", "=ilike", region),
                    ],
                    limit=1,
                )
            state = cache[skey]
        street = address.get("address_line1") or address.get("address_line2")
        street2 = " ".join(
            x
            for x in (
                address.get("address_line2") if address.get("address_line1") else None,
                address.get("address_line3"),
            )
            if x
        )
        return {
            "name": address.get("name") or False,
            "street": street or False,
            "street2": street2 or False,
            "city": address.get("city") or False,
            "zip": address.get("postal_code") or False,
            "country_id": country.id or False,
            "state_id": state.id or False,
            "phone": address.get("phone") or False,
        }

    def _delivery_partner(self, partner, address, cache):
        values = self._address_values(address, cache)
        if not values["country_id"]:
            raise ValueError(_("Unknown country code %s", address.get("country_code")))
        domain = [("parent_id", "=", partner.id), ("type", "=", "delivery")]
        for key in ("name", "street", "street2", "city", "zip", "country_id"):
            domain.append((key, "=", values[key]))
        Partner = self.env["res.partner"].sudo()
        delivery = Partner.search(domain, limit=1)
        if not delivery:
            delivery = Partner.create(
                dict(
                    values,
                    name=values["name"] or partner.name,
                    parent_id=partner.id,
                    type="delivery",
                )
            )
        return delivery

    def _service_product(self, kind, cache):
        """The service product of an Amazon charge: the account's, else the company's
        product marked with that kind, else a new one (remembered on the account)."""
        field = f"amazon_{kind}_product_id"
        key = ("service", kind)
        if key in cache:
            return cache[key]
        product = self[field]
        if not product:
            Product = self.env["product.product"].sudo()
            product = Product.search(
                [
                    ("amazon_service_kind", "=", kind),
                    ("company_id", "in", (self.company_id.id, False)),
                ],
                limit=1,
            )
            if not product:
                product = Product.create(
                    {
                        "name": dict(SERVICE_KINDS)[kind],
                        "type": "service",
                        "amazon_service_kind": kind,
                        "invoice_policy": "order",
                        "sale_ok": True,
                        "purchase_ok": False,
                        "list_price": 0.0,
                        "taxes_id": [fields.Command.clear()],
                        "supplier_taxes_id": [fields.Command.clear()],
                    }
                )
            self.sudo()[field] = product
        cache[key] = product
        return product

    def _products_by_sku(self, skus, cache):
        """{seller SKU: product} through the account's listings, else the default code."""
        missing = [s for s in skus if ("sku", s) not in cache]
        if missing:
            listings = (
                self.env["amazon.listing"]
                .sudo()
                .with_context(active_test=False)
                .search([("account_id", "=", self.id), ("seller_sku", "in", missing)])
            )
            found = {lst.seller_sku: lst.product_id for lst in listings if lst.product_id}
            rest = [s for s in missing if s not in found]
            if rest:
                for product in self.env["product.product"].search(
                    [
                        ("default_code", "in", rest),
                        ("company_id", "in", (self.company_id.id, False)),
                    ]
                ):
                    found.setdefault(product.default_code, product)
            for sku in missing:
                cache[("sku", sku)] = found.get(sku)
        return {s: cache[("sku", s)] for s in skus}

    def _order_lines(self, order, cache):
        """(sale.order.line commands, unknown SKUs). No Odoo taxes: see the module doc."""
        items = order.get("items") or []
        products = self._products_by_sku([i.get("seller_sku") for i in items], cache)
        lines, unknown = [], set()
        no_tax = [fields.Command.clear()]
        rounding = ZERO
        for item in items:
            sku = item.get("seller_sku")
            product = products.get(sku)
            qty = int(item.get("quantity_ordered") or 0)
            price = dec(item.get("item_price"))
            title = item.get("title") or sku or ""
            if not product:
                unknown.add(sku or _("(no SKU)"))
                lines.append(
                    fields.Command.create(
                        {
                            "display_type": "line_note",
                            "name": _(
                                "Unknown SKU %(sku)s × %(qty)s: %(title)s (%(price)s)",
                                sku=sku,
                                qty=qty,
                                title=title,
                                price=price,
                            ),
                            "amazon_order_item_id": item.get("order_item_id"),
                            "amazon_line_kind": "item",
                        }
                    )
                )
                continue
            if qty <= 0:
                # nothing ordered (e.g. canceled unit): keep a trace at zero
                qty, unit = 0, ZERO
            else:
                unit = (price / qty).quantize(CENT, rounding=ROUND_HALF_UP)
                rounding += price - unit * qty
            lines.append(
                fields.Command.create(
                    {
                        "product_id": product.id,
                        "name": f"[{sku}] {title}" if title else sku,
                        "product_uom_qty": qty,
                        "price_unit": float(unit),
                        "discount": 0.0,
                        "tax_id": no_tax,
                        "amazon_order_item_id": item.get("order_item_id"),
                        "amazon_line_kind": "item",
                    }
                )
            )
        amounts = order_amounts(order)
        labels = {
            "shipping": _("Amazon shipping"),
            "promotion": _("Amazon promotions"),
            "gift_wrap": _("Amazon gift wrap"),
            "tax": _("Amazon tax (as charged by Amazon)"),
        }
        for kind in ("shipping", "gift_wrap", "promotion", "tax"):
            amount = amounts[kind]
            if not amount:
                continue
            name = labels[kind]
            if kind == "promotion":
                ids = sorted({p for i in items for p in (i.get("promotion_ids") or [])})
                if ids:
                    name = f"{name}: {', '.join(ids)}"
            lines.append(self._service_line(kind, name, amount, cache, no_tax))
        if rounding:
            lines.append(
                self._service_line(
                    "adjustment", _("Rounding of Amazon unit prices"), rounding, cache, no_tax
                )
            )
        return lines, unknown

    def _service_line(self, kind, name, amount, cache, no_tax):
        return fields.Command.create(
            {
                "product_id": self._service_product(kind, cache).id,
                "name": name,
                "product_uom_qty": 1,
                "price_unit": float(amount),
                "tax_id": no_tax,
                "amazon_line_kind": kind,
            }
        )

    # ============================================================== AFN deliveries

    def _afn_location(self):
        """The FBA location of this account, created under "Amazon FBA" when unset."""
        self.ensure_one()
        if self.afn_location_id:
            return self.afn_location_id
        Location = self.env["stock.location"].sudo()
        parent = Location.search(
            [
                ("name", "=", "Amazon FBA"),
                ("usage", "=", "view"),
                ("location_id", "=", False),
                ("company_id", "in", (self.company_id.id, False)),
            ],
            limit=1,
        )
        if not parent:
            parent = Location.create(
                {"name": "Amazon FBA", "usage": "view", "company_id": self.company_id.id}
            )
        location = Location.create(
            {
                "name": self.name,
                "usage": "internal",
                "location_id": parent.id,
                "company_id": self.company_id.id,
            }
        )
        self.sudo().afn_location_id = location
        return location

    # ============================================================== the step

    def _orders_step(self, auto_commit=False):
        """The order part of a synchronisation run. Returns error texts."""
        self.ensure_one()
        errors = []
        try:
            if self.order_download_from and self.order_download_to:
                errors += self._orders_manual_download(auto_commit)
            if self._auto_choose_path() == "report":
                # new orders from the order report, every change of the known ones from
                # the all-orders report: ListOrders (a page of 100 a minute) would fall
                # behind the updates of thousands of orders an hour
                errors += self._orders_report_path(auto_commit)
                errors += self._orders_report_path(auto_commit, purpose="updates")
            else:
                errors += self._orders_listing(auto_commit=auto_commit)
        except AmazonQuotaWait as wait:
            _logger.info("Amazon account %s (orders): %s", self.name, wait)
        except MwsCallError as error:
            if error.kind == "auth":
                self.write(
                    {"connection_state": "failed", "connection_message": self._explain_error(error)}
                )
            if error.kind in ("throttled", "transient"):
                _logger.info("Amazon account %s (orders): %s; next run goes on", self.name, error)
            else:
                _logger.warning("Amazon account %s (orders): %s", self.name, error)
                errors.append(str(error))
        self._orders_ship_by_warnings()
        if auto_commit:
            self.env.cr.commit()  # pylint: disable=invalid-commit
        return errors

    def _server_now(self):
        """Amazon's (or the sandbox's) now, naive UTC."""
        return naive(self._quota_clock(datetime.now(timezone.utc)))

    def _items_capacity(self):
        """Orders ListOrderItems can fetch in one interval (1 call every 2 s)."""
        return max(1, (self.sync_interval or 60) // 2)

    def _listing_capacity(self):
        """Orders ListOrders can page through in one interval (a page of 100 restored a
        minute)."""
        return LIST_PAGE_SIZE * max(1, (self.sync_interval or 60) // 60)

    def _listing_statuses(self):
        """The OrderStatus filter of the listings: Pending orders only when they are
        imported (otherwise the listing would page through every order twice, once unpaid
        and once paid)."""
        if self.import_pending_orders:
            return []
        return [s for s in LISTED_STATUSES if s not in PENDING]

    def _auto_choose_path(self):
        """Which path this run takes.

        ``auto``: reports when the last listing found more orders needing their items than
        ListOrderItems can fetch in one interval (one call every 2 s: interval / 2 orders),
        or went through more orders than ListOrders can page in two intervals (a page of 100
        a minute: the listing falls behind); back to the API when the reports bring fewer
        than half of that in new orders and fewer changed orders than one interval's pages
        (both per interval). Switching moves the checkpoints to what the other path
        covered, so no order and no change falls between the two paths.
        """
        if self.order_import_mode != "auto":
            return self.order_import_mode
        capacity = self._items_capacity()
        listing = self.order_listing_state or {}
        sync = listing.get("purpose") == "sync"
        found = max(self.order_last_found or 0, listing.get("found", 0) if sync else 0)
        listed = max(self.order_last_listed or 0, listing.get("listed", 0) if sync else 0)
        if self.order_auto_path != "report" and (
            found > capacity or listed > 2 * self._listing_capacity()
        ):
            values = {"order_auto_path": "report", "order_update_checkpoint": False}
            if not self.order_report_checkpoint:
                values["order_report_checkpoint"] = self.order_checkpoint
            if sync:
                # the update report starts where the listing's checkpoint is
                values["order_listing_state"] = False
            self.write(values)
            _logger.info("Amazon account %s: orders now come from reports", self.name)
        elif (
            self.order_auto_path == "report"
            and not self.order_report_state
            and not self.order_update_report_state
            and (self.order_last_found or 0) * 2 < capacity
            and (self.order_last_listed or 0) < self._listing_capacity()
        ):
            values = {"order_auto_path": "api"}
            # the listing starts where both reports reached: new orders up to the order
            # report's checkpoint minus its re-read lag, changes up to the update report's
            lag = timedelta(minutes=self.order_report_lag_minutes or 0)
            reached = [
                self.order_update_checkpoint or self.order_checkpoint,
                (self.order_report_checkpoint and self.order_report_checkpoint - lag)
                or self.order_checkpoint,
            ]
            if all(reached):
                values["order_checkpoint"] = min(reached)
            self.write(values)
            _logger.info("Amazon account %s: orders now come from the API", self.name)
        return self.order_auto_path

    # ------------------------------------------------------------------ API path

    def _fetch_items(self, order):
        """ListOrderItems (+ByNextToken) of one order, attached to it in place.
        NextTokenCorrupted: the order's items are listed again from the first page."""
        for _attempt in range(3):
            reply = self._call("ListOrderItems", amazon_order_id=order["amazon_order_id"])
            oid, items, token = orderlib.parse_list_order_items(reply.body)
            orderlib.attach_items(order, items, complete=not token, amazon_order_id=oid or None)
            try:
                while token:
                    reply = self._call("ListOrderItemsByNextToken", next_token=token)
                    oid, items, token = orderlib.parse_list_order_items(reply.body)
                    orderlib.attach_items(order, items, complete=not token)
            except MwsCallError as error:
                if error.kind != "restart_paging":
                    raise
                _logger.info("Amazon account %s: %s; items listed again", self.name, error)
                continue
            return order
        raise MwsCallError(
            "ListOrderItemsByNextToken",
            "transient",
            "NextTokenCorrupted",
            _("the items of %s could not be paged through", order["amazon_order_id"]),
        )

    def _orders_listing(self, auto_commit=False):
        """ListOrders by LastUpdatedAfter from the checkpoint (minus the overlap), every
        page, the items of the orders that need them; the checkpoint advances once the
        whole listing is imported. The listing state is saved after every order, so a
        quota wait, a throttle or a crash resumes where it stopped."""
        errors = []
        state = dict(self.order_listing_state or {})
        if state.get("purpose") not in (None, "sync"):
            return errors  # a manual listing is in progress; it has its own turn
        if not state:
            start = self.order_checkpoint
            if not start:
                start = self._server_now() - timedelta(days=self.order_initial_days or 1)
            start -= timedelta(minutes=self.order_overlap_minutes or 0)
            state = {"purpose": "sync", "after": iso_z(start), "found": 0}
            self.order_listing_state = state
        done = self._run_listing(state, errors, auto_commit)
        if done:
            before = _parse_iso(state.get("before")) if state.get("before") else None
            values = {
                "order_listing_state": False,
                "order_last_found": state.get("found", 0),
                "order_last_listed": state.get("listed", 0),
            }
            if before and not state.get("failed"):
                values["order_checkpoint"] = naive(before)
            self.write(values)
            if auto_commit:
                self.env.cr.commit()  # pylint: disable=invalid-commit
        return errors

    def _run_listing(self, state, errors, auto_commit):
        """Drive a listing state to its end. Returns True when the listing is complete.
        Raises AmazonQuotaWait / MwsCallError (the state is saved before)."""
        while True:
            waiting = state.get("waiting") or []
            while waiting:
                order = from_json(waiting[0])
                if not order.get("items_complete"):
                    try:
                        self._fetch_items(order)
                    except (ResponseParseError, ValueError) as error:
                        raise MwsCallError(
                            "ListOrderItems", "transient", "MalformedResponse", str(error)
                        ) from None
                result = self._import_orders([order])
                if result["errors"]:
                    errors += result["errors"]
                    state["failed"] = True
                waiting.pop(0)
                state["waiting"] = waiting
                self.order_listing_state = dict(state)
                if auto_commit:
                    self.env.cr.commit()  # pylint: disable=invalid-commit
            if state.get("token"):
                try:
                    reply = self._call("ListOrdersByNextToken", next_token=state["token"])
                except MwsCallError as error:
                    if error.kind != "restart_paging":
                        raise
                    _logger.info("Amazon account %s: %s; listing again", self.name, error)
                    state.update(token=None, started=False, before=None)
                    self.order_listing_state = dict(state)
                    continue
            elif not state.get("started"):
                params = {
                    "marketplaceids": self._marketplace_codes(),
                    "orderstatus": self._listing_statuses(),
                }
                if state.get("by") == "created":
                    params["created_after"] = state["after"]
                    if state.get("until"):
                        params["created_before"] = state["until"]
                else:
                    params["lastupdatedafter"] = state["after"]
                    if state.get("until"):
                        params["lastupdatedbefore"] = state["until"]
                reply = self._call("ListOrders", **params)
            else:
                return True
            try:
                orders, token, before = orderlib.parse_list_orders(
                    reply.body, seller_id=self.merchant_id
                )
            except ResponseParseError as error:
                # a malformed page: the listing starts again on the next run
                state.update(token=None, started=False, before=None, waiting=[])
                self.order_listing_state = dict(state)
                raise MwsCallError(
                    reply.operation, "transient", "MalformedResponse", str(error)
                ) from None
            waiting = self._page_to_waiting(orders, errors, state)
            state["listed"] = state.get("listed", 0) + len(orders)
            if not state.get("before") and before:
                state["before"] = to_json(before)
            state.update(token=token, started=True, waiting=waiting)
            self.order_listing_state = dict(state)
            if auto_commit:
                self.env.cr.commit()  # pylint: disable=invalid-commit

    def _page_to_waiting(self, orders, errors, state):
        """Import what a page can give without ListOrderItems (status updates, skips);
        return the orders that need their items (as JSON) for the waiting list."""
        result = self._import_orders(orders)
        if result["errors"]:
            errors += result["errors"]
            state["failed"] = True
        needing = set(result["needs_items"])
        state["found"] = state.get("found", 0) + len(needing)
        return [to_json(o) for o in orders if o["amazon_order_id"] in needing]

    # ------------------------------------------------------------------ report path

    def _report_state_field(self, purpose):
        return "order_update_report_state" if purpose == "updates" else "order_report_state"

    def _report_window(self, purpose, now):
        """(report type, start, end) of the next report of this purpose, or None when the
        last one is too recent.

        ``sync``: the order report (paid orders by purchase date) from the last report minus
        the re-read lag; ``updates``: the all-orders report (every status, by last update)
        from the last one minus the listing overlap; ``manual``: the Download orders range.
        """
        if purpose == "manual":
            return REPORT_FLAT, self.order_download_from, min(self.order_download_to, now)
        if purpose == "updates":
            report_type = REPORT_XML_ALL
            last = self.order_update_checkpoint or self.order_checkpoint
            back = self.order_overlap_minutes
        else:
            report_type = REPORT_FLAT
            last = self.order_report_checkpoint or self.order_checkpoint
            back = self.order_report_lag_minutes
        if last and now - last < timedelta(minutes=self.order_report_interval_minutes or 0):
            return None
        start = last or now - timedelta(days=self.order_initial_days or 1)
        return report_type, start - timedelta(minutes=back or 0), now - LIST_MARGIN

    def _orders_report_path(self, auto_commit=False, purpose="sync"):
        """One step of an order report cycle: request, poll, download, import.

        ``purpose``: ``sync`` (new orders), ``updates`` (changes of known orders) or
        ``manual`` (the Download orders range; it shares the state of ``sync``)."""
        errors = []
        field = self._report_state_field(purpose)
        state = dict(self[field] or {})
        now = self._server_now()
        if state and state.get("purpose") != purpose:
            return errors

        def save(values):
            self[field] = values
            if auto_commit:
                self.env.cr.commit()  # pylint: disable=invalid-commit

        if not state:
            window = self._report_window(purpose, now)
            if not window:
                return errors
            report_type, start, end = window
            state = {
                "purpose": purpose,
                "report_type": report_type,
                "start": iso_z(start),
                "end": iso_z(end),
                "requested_at": iso_z(now),
            }
            # saved (and committed) before the call: a crash right after RequestReport
            # finds this request again instead of requesting a second report
            save(state)
        if not state.get("request_id"):
            found = self._find_report_request(state) if state.get("sent") else None
            if found:
                state["request_id"] = found
            else:
                state["sent"] = True
                save(dict(state))
                reply = self._call(
                    "RequestReport",
                    report_type=state["report_type"],
                    start_date=state["start"],
                    end_date=state["end"],
                    marketplaceids=self._marketplace_codes(),
                )
                info = reportlib.parse_request_report(reply.body)
                state["request_id"] = info.report_request_id
            state["poll_at"] = iso_z(now + timedelta(seconds=REPORT_POLL_SECONDS))
            save(dict(state))
            return errors
        if state.get("poll_at") and naive(_parse_iso(state["poll_at"])) > now:
            return errors
        if not state.get("report_id"):
            reply = self._call("GetReportRequestList", requestids=[state["request_id"]])
            page = reportlib.parse_report_request_list(reply.body)
            info = next(
                (r for r in page.requests if r.report_request_id == state["request_id"]), None
            )
            status = info.status if info else None
            if status == "_DONE_" and info.generated_report_id:
                state["report_id"] = info.generated_report_id
            elif status in ("_DONE_NO_DATA_", "_DONE_"):
                self._report_finished(state, created=0, listed=0)
                return errors
            elif status == "_CANCELLED_" or info is None:
                _logger.warning(
                    "Amazon account %s: order report request %s %s; requested again",
                    self.name,
                    state["request_id"],
                    status or "unknown",
                )
                state = {
                    k: v
                    for k, v in state.items()
                    if k in ("purpose", "report_type", "start", "end")
                }
                state["requested_at"] = iso_z(now)
                self[field] = state
                return errors
            else:
                state["poll_at"] = iso_z(now + timedelta(seconds=REPORT_POLL_SECONDS))
                self[field] = dict(state)
                return errors
            self[field] = dict(state)
        reply = self._call("GetReport", report_id=state["report_id"])
        try:
            if state["report_type"] == REPORT_XML_ALL:
                orders = reportlib.parse_xml_orders_report(reply.body, seller_id=self.merchant_id)
            else:
                orders = reportlib.parse_flat_file_orders(reply.body, seller_id=self.merchant_id)
        except ResponseParseError as error:
            message = _(
                "Order report %(id)s cannot be read: %(error)s", id=state["report_id"], error=error
            )
            _logger.warning("Amazon account %s: %s", self.name, message)
            errors.append(message)
            # a new request for the same window on the next run
            self[field] = False
            return errors
        if purpose == "updates":
            listed = self._import_report_updates(orders, errors, auto_commit)
            self._report_finished(state, created=0, listed=listed)
        else:
            created = self._import_report_orders(orders, errors, auto_commit)
            self._report_finished(state, created, listed=0)
        return errors

    def _import_report_orders(self, orders, errors, auto_commit):
        """Import a report's orders in batches (a commit after each when allowed)."""
        created = 0
        for start in range(0, len(orders), REPORT_BATCH):
            result = self._import_orders(orders[start : start + REPORT_BATCH])
            created += result["created"] + result["exceptions"]
            errors += result["errors"]
            if auto_commit:
                self.env.cr.commit()  # pylint: disable=invalid-commit
        return created

    def _import_report_updates(self, orders, errors, auto_commit):
        """Apply the all-orders report to the orders imported before; returns how many
        orders of the listed statuses it carried (the listing's measure of volume).

        Only what changes an order is taken (status, last update): the report has no
        buyer and a partial address, which must not replace the stored ones. Orders not
        imported yet are left to the order report (it has their address)."""
        statuses = self._listing_statuses()
        listed = sum(1 for o in orders if not statuses or o.get("status") in statuses)
        ids = [o["amazon_order_id"] for o in orders]
        known = set(
            self.env["sale.order"]
            .with_context(active_test=False)
            .search([("amazon_account_id", "=", self.id), ("amazon_order_id", "in", ids)])
            .mapped("amazon_order_id")
        )
        updates = [
            {key: order.get(key) for key in ("amazon_order_id", "status", "last_update_date")}
            for order in orders
            if order["amazon_order_id"] in known
        ]
        self._import_report_orders(updates, errors, auto_commit)
        return listed

    def _report_finished(self, state, created, listed):
        """Save where the report reached; on the sync path, the volume per sync interval
        that the automatic path choice reads (new orders, orders changed)."""
        purpose = state["purpose"]
        values = {self._report_state_field(purpose): False}
        end = naive(_parse_iso(state["end"]))
        if purpose == "manual":
            values.update(order_download_from=False, order_download_to=False)
        else:
            checkpoint = {"updates": "order_update_checkpoint"}.get(
                purpose, "order_report_checkpoint"
            )
            previous = self[checkpoint]
            values[checkpoint] = end
            if previous and end > previous:
                minutes = max((end - previous).total_seconds() / 60, 1)
                per_interval = (self.sync_interval or 60) / 60 / minutes
                if purpose == "updates":
                    values["order_last_listed"] = round(listed * per_interval)
                else:
                    values["order_last_found"] = round(created * per_interval)
                    _logger.info(
                        "Amazon account %s: %.0f new orders per interval from reports",
                        self.name,
                        created * per_interval,
                    )
        self.write(values)
        if purpose != "updates":
            self.order_last_summary = _(
                "%(created)s new orders from report %(id)s",
                created=created,
                id=state.get("report_id") or state.get("request_id"),
            )

    def _find_report_request(self, state):
        """The request id of a RequestReport sent before a crash, if Amazon has it."""
        requested = naive(_parse_iso(state["requested_at"]))
        reply = self._call(
            "GetReportRequestList",
            types=[state["report_type"]],
            fromdate=iso_z(requested - timedelta(minutes=5)),
        )
        page = reportlib.parse_report_request_list(reply.body)
        start, end = naive(_parse_iso(state["start"])), naive(_parse_iso(state["end"]))
        for info in page.requests:
            if naive(info.start_date) == start and naive(info.end_date) == end:
                return info.report_request_id
        return None

    # ------------------------------------------------------------------ manual download

    def _orders_manual_download(self, auto_commit=False):
        """The range asked by the Download orders wizard: an order report for ranges over a
        day, else a ListOrders listing by creation date."""
        errors = []
        start, end = self.order_download_from, self.order_download_to
        if end - start > timedelta(days=1):
            return self._orders_report_path(auto_commit, purpose="manual")
        state = dict(self.order_listing_state or {})
        if state.get("purpose") == "sync":
            return errors  # the sync listing ends first (it saves a checkpoint)
        if not state:
            until = min(end, self._server_now() - LIST_MARGIN)
            state = {
                "purpose": "manual",
                "by": "created",
                "after": iso_z(start),
                "until": iso_z(until),
                "found": 0,
            }
            self.order_listing_state = state
        if self._run_listing(state, errors, auto_commit):
            self.write(
                {
                    "order_listing_state": False,
                    "order_download_from": False,
                    "order_download_to": False,
                }
            )
        return errors

    # ------------------------------------------------------------------ ship-by

    def _orders_ship_by_warnings(self):
        hours = self.ship_by_warning_hours
        if hours <= 0:
            return
        limit = self._server_now() + timedelta(hours=hours)
        late = self.env["sale.order"].search(
            [
                ("amazon_account_id", "=", self.id),
                ("amazon_fulfillment_channel", "=", "mfn"),
                ("amazon_order_status", "in", ("Unshipped", "PartiallyShipped")),
                ("amazon_latest_ship_date", "!=", False),
                ("amazon_latest_ship_date", "<=", limit),
                ("amazon_shipby_warned", "=", False),
                ("state", "=", "sale"),
            ],
            limit=500,
        )
        for so in late:
            self._warn(
                so,
                _("Ship Amazon order %s", so.amazon_order_id),
                _(
                    "Amazon expects this order to ship by %s (UTC).",
                    fields.Datetime.to_string(so.amazon_latest_ship_date),
                ),
            )
        late.write({"amazon_shipby_warned": True})


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    def _action_launch_stock_rule(self, previous_product_uom_qty=False):
        """AFN lines of Amazon orders leave from the account's FBA location: no procurement,
        no reservation of the merchant's own stock. The delivery is done when Amazon reports
        the order Shipped; until then the buyer may still cancel it."""
        afn = self.filtered(
            lambda line: (
                line.order_id.amazon_fulfillment_channel == "afn"
                and line.order_id.amazon_account_id
                and line.state == "sale"
                and line.product_id.type == "consu"
                and not line.move_ids
            )
        )
        res = super(SaleOrderLine, self - afn)._action_launch_stock_rule(
            previous_product_uom_qty=previous_product_uom_qty
        )
        if afn and not self.env.context.get("skip_procurement"):
            by_order = defaultdict(lambda: self.browse())
            for line in afn:
                by_order[line.order_id] |= line
            for order, lines in by_order.items():
                lines._amazon_fba_delivery(order)
        return res

    def _amazon_fba_delivery(self, order):
        account = order.amazon_account_id.sudo()
        location = account._afn_location()
        warehouse = order.warehouse_id or account.warehouse_ids[:1]
        picking_type = warehouse.out_type_id or self.env["stock.picking.type"].search(
            [("code", "=", "outgoing"), ("company_id", "=", order.company_id.id)], limit=1
        )
        destination = order.partner_shipping_id.property_stock_customer or self.env.ref(
            "stock.stock_location_customers"
        )
        group = order.procurement_group_id or self.env["procurement.group"].create(
            {"name": order.name, "sale_id": order.id, "partner_id": order.partner_shipping_id.id}
        )
        order.procurement_group_id = group
        picking = self.env["stock.picking"].create(
            {
                "picking_type_id": picking_type.id,
                "location_id": location.id,
                "location_dest_id": destination.id,
                "partner_id": order.partner_shipping_id.id,
                "origin": f"{order.name} - {order.amazon_order_id} (FBA)",
                "group_id": group.id,
                "company_id": order.company_id.id,
                "move_ids": [
                    fields.Command.create(
                        {
                            "name": line.name,
                            "product_id": line.product_id.id,
                            "product_uom_qty": line.product_uom_qty,
                            "product_uom": line.product_uom.id,
                            "location_id": location.id,
                            "location_dest_id": destination.id,
                            "sale_line_id": line.id,
                            "group_id": group.id,
                            "company_id": order.company_id.id,
                        }
                    )
                    for line in self
                    if line.product_uom_qty > 0
                ],
            }
        )
        if not picking.move_ids:
            picking.unlink()
            return
        picking.action_confirm()
        if order.amazon_order_status == "Shipped":
            order._amazon_fba_shipped()
