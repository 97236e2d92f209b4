"""The catalog path: integration rows → pending updates per listing → feeds → results.

1. ``product.integration._amazon_dispatch()`` claims new product rows (SKIP LOCKED) and turns
   each into pending updates (``amazon.sync.queue``) of the listings of that product, one entry
   per (listing, feed kind): many rows about one SKU fold into one message.
2. ``amazon.account._catalog_step()`` for each account: polls the feeds in flight, fetches the
   processing reports of finished ones and applies them (rows → Success / Error), then builds
   and submits new feeds — deletions and products first, then inventory, price and images of
   SKUs whose product Amazon accepted — as many messages per feed as there are, within the
   shared SubmitFeed budget (a reserve is kept for the order feeds).

Nothing here runs in a user's transaction: the cron calls it; buttons only queue work.
"""

import base64
import logging
import threading
from collections import defaultdict
from contextlib import contextmanager
from datetime import timedelta

from odoo import _, api, fields, models

from ..lib import api as amazon
from ..lib import feeds as feedlib
from ..lib.api import AmazonCallError
from .amazon_account import AmazonQuotaWait

_logger = logging.getLogger(__name__)

#: SubmitFeed requests kept back for order feeds (acknowledgements, shipments, refunds).
ORDER_FEED_RESERVE = 5
#: Catalog feeds an hour, spread evenly over the hour: spending the budget at its start
#: would leave stock updates waiting for the next one. Order feeds go at most 6 times an
#: hour in steady state (see amazon_order_feeds.MIN_FEED_INTERVAL): 1 at the start of the
#: hour + 23 spread over it + 6 = Amazon's 30, so the hourly quota never stops the catalog
#: before the hour ends.
CATALOG_FEEDS_PER_HOUR = 23
CATALOG_BURST = 1
#: The order catalog feeds go out in when the budget is short: deletions and new products
#: first (nothing else can follow before them), then stock, which oversells when late.
CATALOG_FEED_PRIORITY = (
    "product",
    "delete",
    "inventory",
    "price",
    "image",
    "relationship",
    "override",
)
#: Feed submissions polled per GetFeedSubmissionList call (Amazon's maximum id list).
POLL_BATCH = 100
#: Rows claimed per dispatch batch.
DISPATCH_BATCH = 5000
#: Wait between two status checks of a feed, and back-off of failed submissions (seconds).
POLL_DELAY = 60
RETRY_DELAYS = (60, 300, 900, 3600)

FEED_MESSAGE_TYPES = {
    "product": "Product",
    "delete": "Product",
    "inventory": "Inventory",
    "price": "Price",
    "image": "ProductImage",
    "relationship": "Relationship",
    "override": "Override",
}
#: feeds rebuilt from the current data when they never went out (the catalog's: MWS's XML
#: feeds and SP-API's JSON_LISTINGS_FEED); an order feed is sent as it was built
REBUILT_KINDS = {*FEED_MESSAGE_TYPES, "listings"}
# fields whose change calls for each kind of feed
PRICE_FIELDS = {"list_price", "lst_price", "price_extra", "currency_id"}
IMAGE_FIELDS = {"image_1920", "image_variant_1920", "product_template_image_ids"}
STOCK_FIELDS = {"is_storable", "type", "amazon_stock_reserve_type", "amazon_stock_reserve_value"}
OVERRIDE_FIELDS = {
    "amazon_ship_override",
    "amazon_ship_option",
    "amazon_ship_type",
    "amazon_ship_amount",
}
IGNORED_FIELDS = {"amazon_sell", "amazon_listing_ids", "sequence", "color", "priority"}


def in_test_mode():
    return getattr(threading.current_thread(), "testing", False)


def kinds_for_row(row):
    """The feed kinds an integration row calls for."""
    op = row.record_operation
    if op == "unlink":
        return ["delete"]
    if op == "stock":
        return ["inventory"]
    if op == "create":
        return ["product", "inventory", "price", "image", "override"]
    values = set((row.operation_data or {}).get("values", {}))
    if "active" in values:
        return (
            ["delete"]
            if not row.operation_data["values"]["active"]
            else ["product", "inventory", "price", "image"]
        )
    kinds = []
    if values & PRICE_FIELDS:
        kinds.append("price")
    if values & IMAGE_FIELDS:
        kinds.append("image")
    if values & STOCK_FIELDS:
        kinds.append("inventory")
    if values & OVERRIDE_FIELDS:
        kinds.append("override")
    if values - PRICE_FIELDS - IMAGE_FIELDS - STOCK_FIELDS - OVERRIDE_FIELDS - IGNORED_FIELDS:
        kinds.append("product")
    return kinds


class ProductIntegration(models.Model):
    _inherit = "product.integration"

    @api.model
    def _amazon_dispatch(self, limit=DISPATCH_BATCH):
        """Turn new rows into pending listing updates. Returns the number of rows taken."""
        site = self.env.ref("amazon_integration.integration_site_amazon")
        rows = self._claim_pending(site, limit=limit, domain=[("amazon_queued", "=", False)])
        if not rows:
            return 0
        Listing = self.env["amazon.listing"].with_context(active_test=False)
        product_ids = set(rows.mapped("res_id"))
        listings = Listing.search(
            [("product_ref", "in", list(product_ids)), ("account_id.active", "=", True)]
        )
        by_product = defaultdict(lambda: Listing.browse())
        for listing in listings:
            by_product[listing.product_ref] |= listing
        not_listed = self.browse()
        nothing_to_do = self.browse()
        items = []
        deleted = Listing.browse()
        for row in rows:
            row_listings = by_product.get(row.res_id, Listing.browse())
            if row.record_operation != "unlink":
                # removed before, or earlier in this batch: no update for it any more
                row_listings = row_listings.filtered(lambda lst: lst.state != "deleted") - deleted
            if not row_listings:
                not_listed |= row
                continue
            kinds = kinds_for_row(row)
            if not kinds:
                nothing_to_do |= row
                continue
            if "delete" in kinds:
                deleted |= row_listings
            items += [(listing, kinds, row) for listing in row_listings]
        deleted.filtered(lambda lst: lst.state != "deleted").write({"state": "deleted"})
        self.env["amazon.sync.queue"]._enqueue_many(items)
        (rows - not_listed - nothing_to_do).write({"amazon_queued": True})
        not_listed._set_site_status(
            "amazon", "success", _("Not listed on Amazon: nothing to send.")
        )
        nothing_to_do._set_site_status("amazon", "success", _("No change Amazon needs to know."))
        return len(rows)


class AmazonListing(models.Model):
    _inherit = "amazon.listing"

    product_ref = fields.Integer(
        "Product ID",
        index=True,
        readonly=True,
        copy=False,
        help="The product's id, kept when the product is deleted (rows refer to it).",
    )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("product_id") and not vals.get("product_ref"):
                vals["product_ref"] = vals["product_id"]
        return super().create(vals_list)

    def write(self, vals):
        if vals.get("product_id"):
            vals = dict(vals, product_ref=vals["product_id"])
        return super().write(vals)


class AmazonAccount(models.Model):
    _inherit = "amazon.account"

    user_id = fields.Many2one(
        "res.users",
        string="Responsible",
        default=lambda self: self.env.user if not self.env.user._is_superuser() else False,
        help="Gets an activity when Amazon reports errors (empty: the user who created the "
        "account, else an Integration Manager).",
    )
    feed_ids = fields.One2many("amazon.feed", "account_id", string="Feeds")
    error_count = fields.Integer("Errors", compute="_compute_error_count")
    queue_count = fields.Integer("Pending Updates", compute="_compute_error_count")

    _INVENTORY_SETTINGS = (
        "warehouse_ids",
        "stock_reserve_type",
        "stock_reserve_value",
        "backorder_quantity",
        "afn_location_id",
        "fulfillment_latency",
    )

    @api.model_create_multi
    def create(self, vals_list):
        accounts = super().create(vals_list)
        # products already selling on Amazon are offered on the new account too
        templates = self.env["product.template"].search([("amazon_sell", "=", True)])
        if templates:
            self.env["amazon.listing"].sudo()._amazon_ensure_listings(
                templates.product_variant_ids, accounts=accounts
            )
        return accounts

    def write(self, vals):
        res = super().write(vals)
        if set(vals) & set(self._INVENTORY_SETTINGS):
            # the quantity of every SKU may change: send the stock again
            listings = self.env["amazon.listing"].search(
                [("account_id", "in", self.ids), ("state", "in", ("active", "pending"))]
            )
            listings._enqueue(["inventory"])
        if "pricelist_id" in vals:
            listings = self.env["amazon.listing"].search(
                [("account_id", "in", self.ids), ("state", "in", ("active", "pending"))]
            )
            listings._enqueue(["price"])
        return res

    def _compute_error_count(self):
        errors = self.env["amazon.error"]._count_for(self)
        for account in self:
            account.error_count = errors.get(account.id, 0)
            account.queue_count = self.env["amazon.sync.queue"].search_count(
                [("account_id", "=", account.id)]
            )

    # ------------------------------------------------------------------ one cycle

    def _catalog_step(self, auto_commit=False):
        """Poll, fetch results, submit new feeds. Returns the feed messages that failed."""
        self.ensure_one()
        errors = self.env["amazon.feed.message"]
        with self._catalog_call_guard():
            errors |= self._poll_feeds()
            if auto_commit:
                self.env.cr.commit()  # pylint: disable=invalid-commit
            self._submit_feeds(auto_commit=auto_commit)
        return errors

    @contextmanager
    def _catalog_call_guard(self):
        """A catalog step's calls: a quota wait ends the step quietly (the next run goes
        on), a failed call is logged, and credentials Amazon refuses mark the connection."""
        try:
            yield
        except AmazonQuotaWait as wait:
            _logger.info("Amazon account %s: %s", self.name, wait)
        except AmazonCallError as error:
            if error.kind == "auth":
                self.write(
                    {"connection_state": "failed", "connection_message": self._explain_error(error)}
                )
            _logger.warning("Amazon account %s: %s", self.name, error)

    def _submit_feeds(self, auto_commit=False):
        """Submit what is due, most urgent first, never building a feed the budget cannot
        send now: a feed built and then held back would carry stale quantities."""
        self._retry_draft_feeds(FEED_MESSAGE_TYPES, auto_commit=auto_commit)
        self._ensure_variation_parents()
        waiting = self._feed_types_unanswered()
        for kind in CATALOG_FEED_PRIORITY:
            if self._api_class().feed_type_of(FEED_MESSAGE_TYPES[kind]) in waiting:
                continue  # a feed of this type would be held back (_unanswered_sibling)
            entries = self._ready_entries(kind)
            if not entries:
                continue
            self._check_catalog_budget()
            _logger.debug(
                "Amazon account %s: building a %s feed (%d)", self.name, kind, len(entries)
            )
            feed = self._build_feed(kind, entries)
            if auto_commit:
                self.env.cr.commit()  # pylint: disable=invalid-commit
            if feed:
                feed._submit(auto_commit=auto_commit)
                if auto_commit:
                    self.env.cr.commit()  # pylint: disable=invalid-commit

    def _feed_types_unanswered(self):
        """The feed types of this account's drafts whose last attempt got no answer."""
        return set(
            self.env["amazon.feed"]
            .search(
                [
                    ("account_id", "=", self.id),
                    ("state", "=", "draft"),
                    ("sent_unanswered_at", "!=", False),
                ]
            )
            .mapped("feed_type")
        )

    def _check_catalog_budget(self):
        """Raise AmazonQuotaWait unless a catalog feed may go out now: the feed quota keeps
        its reserve for order feeds, and catalog feeds are paced over the hour. Checked
        before a feed is built (a feed built and then held back carries stale values)."""
        Bucket = self.env["amazon.quota.bucket"]
        submit = self._api_operation("feeds.submit")
        wait = Bucket._peek(self, submit, reserve=ORDER_FEED_RESERVE) or (
            Bucket._paced_wait(self, submit, CATALOG_FEEDS_PER_HOUR, burst=CATALOG_BURST)
        )
        if wait:
            raise AmazonQuotaWait("feeds.submit", wait)

    def _retry_draft_feeds(self, kinds, auto_commit=False):
        """This account's feeds of ``kinds`` built but not sent, oldest first; each step
        retries its own kinds (MWS catalog feeds, SP-API's JSON feeds, order feeds).

        A catalog feed that never went out (the process stopped, or the budget ran out
        after building it) goes back into the queue, to be rebuilt from the current data,
        unless the process stopped during its SubmitFeed and Amazon has it. An order feed
        is sent as built. One whose submission failed is retried when its back-off is
        over."""
        drafts = self.env["amazon.feed"].search(
            [("account_id", "=", self.id), ("state", "=", "draft"), ("kind", "in", list(kinds))],
            order="id",
        )
        now = fields.Datetime.now()
        for feed in drafts:
            if feed.kind in REBUILT_KINDS and not feed.attempts:
                feed._take_back()
            elif not feed.next_check_at or feed.next_check_at <= now:
                feed._submit(auto_commit=auto_commit)
            else:
                continue
            if auto_commit:
                self.env.cr.commit()  # pylint: disable=invalid-commit

    def _ready_entries(self, kind):
        """Queue entries of ``kind`` that can go out now (a SKU's product comes first)."""
        domain = [
            ("account_id", "=", self.id),
            ("kind", "=", kind),
            "|",
            ("next_attempt_at", "=", False),
            ("next_attempt_at", "<=", fields.Datetime.now()),
        ]
        entries = self.env["amazon.sync.queue"].search(domain)
        if kind in ("product", "delete"):
            return entries
        # inventory, price, images: only once Amazon accepted the product for that SKU,
        # and never while the SKU's product update is still on its way
        waiting = (
            self.env["amazon.sync.queue"]
            .search([("account_id", "=", self.id), ("kind", "=", "product")])
            .listing_id
        )
        in_flight = (
            self.env["amazon.feed.message"]
            .search(
                [("account_id", "=", self.id), ("kind", "=", "product"), ("state", "=", "pending")]
            )
            .listing_id
        )
        ready = entries.filtered(
            lambda e: (
                e.listing_id.product_synced
                and e.listing_id not in waiting
                and e.listing_id not in in_flight
                and e.listing_id.state != "deleted"
            )
        )
        if kind == "relationship":
            ready = ready.filtered(
                lambda e: (
                    e.listing_id.child_listing_ids
                    and all(
                        child.product_synced
                        for child in e.listing_id.child_listing_ids
                        if child.state != "deleted"
                    )
                )
            )
        return ready

    def _build_feed(self, kind, entries):
        """One feed with a message per entry; the entries are consumed into it."""
        messages = []
        skipped = {}
        builder = getattr(self, f"_messages_{kind}")
        for entry, message in builder(entries):
            if message is None:
                skipped[entry] = _("Nothing to send for this SKU.")
            else:
                messages.append((entry, message))
        document = (
            feedlib.build_feed(
                FEED_MESSAGE_TYPES[kind],
                self.merchant_id,
                [message for _entry, message in messages],
                skip_invalid=True,
            )
            if messages
            else None
        )
        by_key = {entry.id: entry for entry, _message in messages}
        rejected = dict(document.rejected if document else [])
        for key, reason in rejected.items():
            self._fail_entry(by_key[key], reason)
        settle = self.env["product.integration"]
        for entry in skipped:
            settle |= entry.row_ids
            entry.unlink()
        # a row this kind has nothing for is settled by what else carries it: never a
        # success over another kind's refusal or before its other messages come back
        self.env["amazon.feed"]._settle_rows(settle, _("Nothing to send for this SKU."))
        if not document or not document.message_map:
            return self.env["amazon.feed"]
        feed = self.env["amazon.feed"].create(
            {
                "account_id": self.id,
                "kind": kind,
                "feed_type": self._api_class().feed_type_of(document.message_type),
                "message_type": document.message_type,
                "message_count": len(document.message_map),
                "feed_xml": base64.b64encode(document.xml),
                "line_ids": [
                    fields.Command.create(
                        {
                            "message_id": message_id,
                            "listing_id": by_key[key].listing_id.id,
                            "seller_sku": by_key[key].listing_id.seller_sku,
                            "kind": kind,
                            "row_ids": [fields.Command.set(by_key[key].row_ids.ids)],
                        }
                    )
                    for message_id, key in document.message_map.items()
                ],
            }
        )
        self.env["amazon.sync.queue"].browse(list(document.message_map.values())).unlink()
        return feed

    def _fail_entry(self, entry, reason):
        listing = entry.listing_id
        listing.write({"state": "error", "error_message": reason})
        entry.row_ids._set_site_status("amazon", "error", f"{listing.seller_sku}: {reason}")
        entry.unlink()

    # ------------------------------------------------------------------ message builders

    def _messages_delete(self, entries):
        for entry in entries:
            yield (
                entry,
                feedlib.ProductMessage(
                    key=entry.id, sku=entry.listing_id.seller_sku, operation="Delete"
                ),
            )

    def _catalog_lang(self):
        """The language of the account's marketplace when it is installed (titles are
        sent translated), else the company's."""
        return self._marketplace_lang(self.marketplace_id) or self.company_id.partner_id.lang

    def _amazon_title(self, product):
        """A product's title on Amazon: its name (and a variant's attribute values),
        translated into the marketplace's language; never the internal reference."""
        return product.with_context(
            lang=self._catalog_lang(), display_default_code=False
        ).display_name

    def _messages_product(self, entries):
        currency = self.marketplace_id.currency_id.name or "USD"
        for entry in entries:
            listing = entry.listing_id
            product = listing.product_id
            if listing.is_parent:
                variation = listing._variation()
                yield (
                    entry,
                    (
                        feedlib.ProductMessage(
                            key=entry.id,
                            sku=listing.seller_sku,
                            title=listing.parent_tmpl_id.with_context(
                                lang=self._catalog_lang()
                            ).name,
                            brand=self.company_id.name,
                            variation=variation,
                            currency=currency,
                        )
                        if variation
                        else None
                    ),
                )
                continue
            if not product:
                yield entry, None
                continue
            tmpl = product.product_tmpl_id
            description = tmpl.description_sale or ""
            yield (
                entry,
                feedlib.ProductMessage(
                    key=entry.id,
                    sku=listing.seller_sku,
                    title=self._amazon_title(product),
                    barcode=listing.ean or product.barcode or None,
                    condition="New",
                    brand=tmpl.company_id.name or self.company_id.name,
                    description=description or None,
                    manufacturer=self.company_id.name,
                    mfr_part_number=product.default_code or None,
                    package_weight=feedlib.Weight(product.weight, "KG") if product.weight else None,
                    currency=currency,
                    variation=listing._variation(),
                ),
            )

    def _messages_inventory(self, entries):
        listings = entries.listing_id
        quantities = listings._amazon_quantities()
        for entry in entries:
            listing = entry.listing_id
            if listing.fulfillment_channel == "afn":
                message = feedlib.InventoryMessage(key=entry.id, sku=listing.seller_sku, afn=True)
            else:
                quantity = quantities.get(listing.id) or 0
                listing.last_quantity = quantity
                message = feedlib.InventoryMessage(
                    key=entry.id,
                    sku=listing.seller_sku,
                    quantity=quantity,
                    fulfillment_latency=self.fulfillment_latency,
                )
            yield entry, message

    def _messages_price(self, entries):
        prices = entries.listing_id._amazon_prices()
        for entry in entries:
            price = prices.get(entry.listing_id.id)
            if price is None:
                yield entry, None
                continue
            amount, currency = price
            entry.listing_id.last_price = f"{amount} {currency}"
            yield (
                entry,
                feedlib.PriceMessage(
                    key=entry.id,
                    sku=entry.listing_id.seller_sku,
                    standard_price=amount,
                    currency=currency,
                ),
            )

    def _messages_image(self, entries):
        base_url = self.get_base_url()
        for entry in entries:
            product = entry.listing_id.product_id
            if not product or not product.image_1920:
                yield entry, None
                continue
            url = f"{base_url}/web/image/product.product/{product.id}/image_1920"
            yield (
                entry,
                feedlib.ImageMessage(
                    key=entry.id, sku=entry.listing_id.seller_sku, image_type="Main", url=url
                ),
            )

    def _messages_relationship(self, entries):
        for entry in entries:
            parent = entry.listing_id
            children = parent.child_listing_ids.filtered(
                lambda lst: lst.state != "deleted" and lst.product_synced
            )
            yield (
                entry,
                (
                    feedlib.RelationshipMessage(
                        key=entry.id,
                        parent_sku=parent.seller_sku,
                        children=[feedlib.Relation(sku=child.seller_sku) for child in children],
                    )
                    if children
                    else None
                ),
            )

    # ------------------------------------------------------------------ results

    def _poll_feeds(self):
        """Ask Amazon where our feeds are; apply the reports of finished ones."""
        Feed = self.env["amazon.feed"]
        in_flight = Feed.search(
            [
                ("account_id", "=", self.id),
                ("state", "in", ("submitted", "in_progress")),
                "|",
                ("next_check_at", "=", False),
                ("next_check_at", "<=", fields.Datetime.now()),
            ],
            order="id",
        )
        errors = self.env["amazon.feed.message"]
        if in_flight:
            _logger.debug("Amazon account %s: polling %d feeds", self.name, len(in_flight))
        for start in range(0, len(in_flight), POLL_BATCH):
            batch = in_flight[start : start + POLL_BATCH]
            found = {
                info.submission_id: info
                for info in self._api().feeds.status(batch.mapped("submission_id"))
            }
            for feed in batch:
                info = found.get(feed.submission_id)
                if not info:
                    continue
                feed.processing_status = info.status
                if info.state == amazon.DONE:
                    errors |= feed._fetch_result()
                elif info.state == amazon.CANCELLED:
                    feed._cancelled()
                elif info.state == amazon.FATAL:
                    feed._failed(_("Amazon refused the whole feed (%s).", info.status))
                    errors |= feed.line_ids
                else:
                    if info.state == amazon.IN_PROGRESS and feed.state != "in_progress":
                        feed.state = "in_progress"
                        feed.line_ids.row_ids.filtered(
                            lambda r: r.amazon_status == "submitted"
                        )._set_site_status("amazon", "pending", _("Amazon is processing it."))
                    feed.next_check_at = fields.Datetime.now() + timedelta(
                        seconds=self._real_delay(POLL_DELAY)
                    )
        if in_flight:
            _logger.debug("Amazon account %s: feeds polled", self.name)
        return errors
