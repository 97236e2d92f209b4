"""What Amazon says about the listings: the ASIN it assigned and whether each SKU is buyable,
read back from Amazon's All Listings report (a report request of the "listings" lane).

It is asked every ``listings_report_interval`` hours, and sooner (after
``LISTINGS_EAGER_MINUTES``) while a listing Amazon accepted still has no ASIN: a new product
gets its ASIN on the listing within the next cycles.
"""

import logging
from datetime import timedelta

from odoo import _, fields, models

from ..lib import api as amazon

_logger = logging.getLogger(__name__)

LISTINGS_REPORT = amazon.REPORT_LISTINGS
#: how soon a listing Amazon accepted without an ASIN yet makes the report due (real minutes
#: at a time scale of 1)
LISTINGS_EAGER_MINUTES = 15

AMAZON_LISTING_STATUSES = [
    ("active", "Buyable"),
    ("inactive", "Not buyable"),
    ("incomplete", "Incomplete"),
    ("missing", "Not on Amazon"),
]


class AmazonListing(models.Model):
    _inherit = "amazon.listing"

    amazon_listing_status = fields.Selection(
        AMAZON_LISTING_STATUSES,
        string="Status on Amazon",
        readonly=True,
        copy=False,
        help="As Amazon's listings report says: buyable (active), not buyable (no price or "
        "no stock), incomplete (Amazon misses product data), or not on Amazon at all.",
    )
    amazon_read_at = fields.Datetime("Read From Amazon At", readonly=True, copy=False)


class AmazonAccount(models.Model):
    _inherit = "amazon.account"

    listings_report_interval = fields.Integer(
        "Listings Read-Back (hours)",
        default=6,
        help="How often the ASINs and Amazon's status of the listings are read back.",
    )
    listings_report_at = fields.Datetime("Listings Read At", readonly=True, copy=False)

    def _listings_due(self):
        if not self.listings_report_at:
            return True
        now = fields.Datetime.now()
        every = timedelta(seconds=self._real_delay(self.listings_report_interval * 3600))
        if self.listings_report_at + every <= now:
            return True
        eager = timedelta(seconds=self._real_delay(LISTINGS_EAGER_MINUTES * 60))
        return self.listings_report_at + eager <= now and bool(
            self.env["amazon.listing"].search_count(
                [
                    ("account_id", "=", self.id),
                    ("product_synced", "=", True),
                    ("asin", "=", False),
                    ("state", "not in", ("deleted", "draft")),
                ],
                limit=1,
            )
        )

    def _listings_step(self, auto_commit=False):
        """Request the listings report when due; apply it once Amazon made it."""
        self.ensure_one()
        if not self.env["amazon.listing"].search_count(
            [("account_id", "=", self.id), ("product_synced", "=", True)], limit=1
        ):
            return []
        finished, errors = self.env["amazon.report.request"]._periodic(
            self,
            "listings",
            LISTINGS_REPORT,
            self._listings_due,
            self._listings_apply,
            _("Listings"),
            auto_commit=auto_commit,
        )
        if finished:
            self.listings_report_at = fields.Datetime.now()
        return errors

    def _listings_apply(self, rows):
        """ASIN and status per SKU; an accepted listing the report does not carry is "Not on
        Amazon"."""
        by_sku = {row["sku"]: row for row in rows}
        listings = self.env["amazon.listing"].search(
            [("account_id", "=", self.id), ("state", "not in", ("deleted", "draft"))]
        )
        now = fields.Datetime.now()
        for listing in listings:
            row = by_sku.get(listing.seller_sku)
            if row:
                values = {
                    "asin": row["asin"] or listing.asin,
                    "amazon_listing_status": row["status"] or listing.amazon_listing_status,
                    "amazon_read_at": now,
                }
            elif listing.product_synced:
                values = {"amazon_listing_status": "missing", "amazon_read_at": now}
            else:
                continue
            changed = {k: v for k, v in values.items() if k == "amazon_read_at" or listing[k] != v}
            listing.write(changed)
        _logger.info("Amazon account %s: listings read back (%d SKUs)", self.name, len(rows))
