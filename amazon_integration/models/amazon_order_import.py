"""Order import: Amazon order dicts → sale orders, by the Orders API or by order reports.

One entry point, ``amazon.account._import_orders(order_dicts)``, takes order dicts in the
contract shape (``amazon_sandbox/DESIGN.md``, "The order dict"; produced by ``lib/orders.py`` and
``lib/reports.py``) and turns each Amazon order into exactly one sale order:

* one SAVEPOINT per order: a bad order is rolled back alone (and then kept as a quotation in
  exception when at all possible), the others go on;
* unique (account, Amazon order id): an order seen again is updated (status, last update,
  buyer cancellation), never created twice; a concurrent worker that created it first wins;
* taxes: where Amazon collects and remits the tax (the marketplace's "Amazon Collects the
  Tax", the default), Amazon lines carry NO Odoo tax: Amazon's tax amounts (item, shipping and
  gift wrap tax) are one "Amazon tax" line, booked on the clearing account by the invoice, so
  the order total is Amazon's OrderTotal to the cent in every tax regime. Where the seller
  collects it, the lines get the Odoo taxes of their products through the order's fiscal
  position (shipping and gift wrap those of their product, else the items'), a cent of
  rounding per line at most is a rounding line, and taxes that do not give Amazon's amount
  keep the order in exception;
* an order that cannot be completed (unknown SKU, unusable address, total mismatch, any
  error) is kept as a quotation with ``amazon_exception``, a message, an activity and the raw
  dict in ``amazon_payload``; "Retry import" completes it from the stored data.

This module is the Odoo writer (import, update, create, confirm, keep in exception);
``amazon_order_lookups`` finds or creates what an order refers to (currency, pricelist,
partners, products, lines), ``amazon_order_sources`` brings the order dicts, and
``lib/order_values`` decides in plain Python what an order means for Odoo.

Two paths feed it (``order_import_mode``): the Orders API (ListOrders by LastUpdatedAfter with
a persisted listing state and checkpoint, ListOrderItems for the orders that need items) and
order reports (``_GET_FLAT_FILE_ORDERS_DATA_``, a persisted report request). ``auto`` switches
to reports when the API cannot keep up (see `_auto_choose_path`).
"""

import logging

import psycopg2
from markupsafe import Markup

from odoo import _, fields, models
from odoo.addons.integrator_base.models.capture import capture_stock
from odoo.tools import float_compare

from ..lib import orders as orderlib
from ..lib.order_values import (
    IMPORTABLE,
    PENDING,
    address_problem,
    dec,
    from_json,
    merge_payload,
    naive,
    order_amounts,
    tax_rounding,
    to_json,
)
from .res_partner import BUYER_UNIQUE, DELIVERY_UNIQUE

_logger = logging.getLogger(__name__)


class BuyerCreatedElsewhere(Exception):
    """Another worker created this order's buyer, or its delivery address, since this
    transaction began: only a new transaction sees that contact (REPEATABLE READ)."""


#: what parallel workers can cause each other (they reserve the same products, they meet
#: the same new buyer): never an order's own fault, so never kept as an exception; the
#: caller undoes the batch and retries
TRANSIENT_DB_ERRORS = (
    psycopg2.errors.DeadlockDetected,
    psycopg2.errors.SerializationFailure,
    psycopg2.errors.LockNotAvailable,
    BuyerCreatedElsewhere,
)


def needs_completion(so):
    """A sale order still waiting for its lines or for a person (not confirmed yet)."""
    return so.state == "draft" and (bool(so.amazon_exception) or so.amazon_order_status in PENDING)


class AmazonAccount(models.Model):
    _inherit = "amazon.account"

    # ============================================================== import core

    def _import_orders(self, order_dicts, confirm=True):
        """Import Amazon order dicts (contract shape). Returns a summary dict:

        ``created``, ``updated``, ``unchanged``, ``skipped``, ``exceptions`` (counts),
        ``errors`` (texts of orders that could not even be kept), ``needs_items`` (ids of
        orders that must be fetched with their items first), ``outcomes`` {id: outcome}.

        ``confirm=False``: the complete new orders stay quotations and come back in
        ``to_confirm`` as (sale order, values to write once confirmed), for the caller's
        `_confirm_orders` (the staged import confirms in a transaction of its own).
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
                if error.diag.constraint_name in (BUYER_UNIQUE, DELIVERY_UNIQUE):
                    raise BuyerCreatedElsewhere(oid) from error
                if error.diag.constraint_name != "sale_order_amazon_order_unique":
                    raise
                # another worker created it between our search and our insert: theirs stands
                self._reset_cache(cache)
                outcome = "unchanged"
            except TRANSIENT_DB_ERRORS:
                raise
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
        if not confirm:
            summary["to_confirm"] = cache["to_confirm"]
            return summary
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
            "Unshipped" if order.get("source") != orderlib.LISTING_SOURCE else None
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
        return {
            "no_address": _("Amazon sent no shipping address."),
            "no_country": _("The shipping address has no country."),
            "no_street": _("The shipping address has no street."),
        }.get(address_problem(address))

    def _merge_payload(self, so, order):
        """The stored dict updated with what ``order`` knows (``order_values.merge_payload``)."""
        return merge_payload(from_json(so.amazon_payload) if so.amazon_payload else {}, order)

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
            and order.get("source") not in (None, *orderlib.API_SOURCES)
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
        if not kind and not marketplace.tax_collected_by_amazon and amounts["tax"]:
            problem = self._apply_seller_taxes(so, announced, amounts, cache)
            if problem:
                kind = "total"
                so.write({"amazon_exception": kind, "amazon_exception_message": problem})
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

    def _apply_seller_taxes(self, so, announced, amounts, cache):
        """The seller collects this marketplace's tax: Odoo taxes instead of Amazon's tax
        line (see the module doc). Returns a problem text, or None when the order is
        Amazon's to the cent."""
        company = so.company_id
        position = so.fiscal_position_id

        def taxes_of(product):
            return position.map_tax(product.taxes_id.filtered(lambda t: t.company_id == company))

        lines = so.order_line
        items = lines.filtered(lambda line: line.amazon_line_kind == "item" and line.product_id)
        item_taxes = {line: taxes_of(line.product_id) for line in items}
        usual = next((taxes for taxes in item_taxes.values() if taxes), None)
        if not usual:
            return _(
                "Amazon charged %(tax)s of tax, which the seller collects on this marketplace, "
                "but the products have no Odoo tax for this address (fiscal position: "
                "%(position)s). Set the products' customer taxes or the fiscal position, then "
                "Retry import.",
                tax=amounts["tax"],
                position=position.name or _("none"),
            )
        for line, taxes in item_taxes.items():
            line.tax_id = taxes
        for line in lines.filtered(lambda ln: ln.amazon_line_kind in ("shipping", "gift_wrap")):
            line.tax_id = taxes_of(line.product_id) or usual
        lines.filtered(lambda line: line.amazon_line_kind == "tax").unlink()
        expected = dec(announced) if announced is not None else amounts["total"]
        taxed = len(so.order_line.filtered("tax_id"))
        rounding = tax_rounding(expected, so.amount_total, taxed)
        if rounding is None:
            return _(
                "Amazon charged %(amazon)s of tax; the Odoo taxes of this address make "
                "%(odoo)s (total %(total)s instead of Amazon's %(expected)s). Check the "
                "products' taxes and the fiscal position, then Retry import.",
                amazon=amounts["tax"],
                odoo=so.amount_tax,
                total=so.amount_total,
                expected=expected,
            )
        if rounding:
            so.write(
                {
                    "order_line": [
                        self._service_line(
                            "adjustment",
                            _("Rounding of the tax to Amazon's amount"),
                            rounding,
                            cache,
                            [fields.Command.clear()],
                        )
                    ]
                }
            )
        return None

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
        except TRANSIENT_DB_ERRORS:
            raise
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
            except TRANSIENT_DB_ERRORS:
                raise
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
