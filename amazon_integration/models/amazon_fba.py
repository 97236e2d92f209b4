"""Amazon's own stock of AFN (FBA) listings, read from the FBA inventory report.

Seed 000: stock Amazon holds is tracked in a location of its own; an Amazon-fulfilled sale
leaves from there (its delivery from that location is done when Amazon reports the order
Shipped), so the stock is never taken off twice, and the MFN quantity sent to Amazon never
counts it.
"""

import logging
from datetime import timedelta

from odoo import _, fields, models

from ..lib import api as amazon

_logger = logging.getLogger(__name__)

FBA_REPORT = amazon.REPORT_FBA_INVENTORY


class AmazonAccount(models.Model):
    _inherit = "amazon.account"

    fba_report_interval = fields.Integer(
        "FBA Stock Refresh (hours)", default=4, help="How often Amazon's FBA stock is read."
    )
    fba_report_at = fields.Datetime("FBA Stock Read At", readonly=True, copy=False)

    def _fba_inventory_step(self, auto_commit=False):
        """Request the FBA inventory report when due, import it once Amazon made it."""
        self.ensure_one()
        listings = self.env["amazon.listing"].search(
            [
                ("account_id", "=", self.id),
                ("fulfillment_channel", "=", "afn"),
                ("state", "!=", "deleted"),
            ]
        )
        if not listings:
            return []

        def due():
            every = timedelta(hours=self._real_delay(self.fba_report_interval * 3600) / 3600)
            return not self.fba_report_at or self.fba_report_at + every <= fields.Datetime.now()

        finished, errors = self.env["amazon.report.request"]._periodic(
            self,
            "fba",
            FBA_REPORT,
            due,
            self._fba_apply,
            _("FBA inventory"),
            auto_commit=auto_commit,
        )
        if finished:
            self.fba_report_at = fields.Datetime.now()
        return errors

    def _fba_location(self):
        """The account's FBA location (the order import creates it when missing)."""
        if not self.afn_location_id and hasattr(self, "_afn_location"):
            return self._afn_location()
        return self.afn_location_id

    def _fba_awaiting_shipment(self, location, products):
        """Quantities of AFN deliveries from ``location`` that Amazon has not shipped yet:
        the report leaves them out of the fulfillable stock (Amazon holds them for those
        orders), and they leave the location when Amazon reports the order Shipped."""
        if not products:
            return {}
        groups = self.env["stock.move"]._read_group(
            [
                ("location_id", "=", location.id),
                ("product_id", "in", products.ids),
                ("state", "not in", ("draft", "done", "cancel")),
            ],
            ["product_id"],
            ["product_qty:sum"],
        )
        return dict(groups)

    def _fba_apply(self, rows):
        """Set the FBA location's quantities to Amazon's, as inventory adjustments: the
        fulfillable stock of the report plus what awaits Amazon's shipment."""
        location = self._fba_location()
        if not location:
            return
        sellable = {}
        for row in rows:
            condition = (row.get("warehouse_condition") or "SELLABLE").upper()
            if condition == "SELLABLE":
                sellable.setdefault(row["sku"], dict(row, quantity=0))
                sellable[row["sku"]]["quantity"] += row.get("quantity") or 0
        rows = list(sellable.values())
        listings = self.env["amazon.listing"].search(
            [("account_id", "=", self.id), ("seller_sku", "in", [r["sku"] for r in rows])]
        )
        by_sku = {listing.seller_sku: listing for listing in listings}
        Quant = self.env["stock.quant"].with_context(
            inventory_mode=True, integrator_no_capture=True
        )
        awaiting = self._fba_awaiting_shipment(location, listings.product_id)
        quants = Quant
        for row in rows:
            listing = by_sku.get(row["sku"])
            if not listing or not listing.product_id or not listing.product_id.is_storable:
                continue
            listing.write(
                {
                    "channel_sku": row.get("fnsku") or listing.channel_sku,
                    "asin": row.get("asin") or listing.asin,
                }
            )
            quant = Quant.search(
                [("product_id", "=", listing.product_id.id), ("location_id", "=", location.id)],
                limit=1,
            ) or Quant.create({"product_id": listing.product_id.id, "location_id": location.id})
            quant.inventory_quantity = (row["quantity"] or 0) + awaiting.get(listing.product_id, 0)
            quants |= quant
        if quants:
            quants.action_apply_inventory()
            _logger.info("Amazon account %s: FBA stock of %d SKUs read", self.name, len(quants))
