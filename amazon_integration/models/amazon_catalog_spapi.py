"""The catalog on the Selling Partner API: listings through the Listings Items API and
JSON_LISTINGS_FEED (Amazon answers the XML listing feeds FATAL since 2025-07-31).

The queue is the MWS path's (``amazon.sync.queue``: one entry per listing and kind, the
integration rows it settles). A product entry becomes a full listing (UPDATE), checked first
against its product type's JSON Schema (an invalid listing is an error on its row, never a
request); stock, price and image entries become PATCH operations; a removed listing a DELETE.
A handful of stock or price changes goes straight through patchListingsItem (within its
rate: seconds, not a feed's minutes); more, or a throttled call, go in one JSON_LISTINGS_FEED
within the createFeed budget the order feeds share. Either way the messages are recorded as
an ``amazon.feed`` with its lines, so rows and listings follow Amazon's answer as on MWS.
Listings sent are read back (getListingsItem): ASIN, status and Amazon's issues.
"""

import base64
import logging
from dataclasses import replace
from datetime import timedelta

from odoo import _, api, fields, models, tools
from odoo.exceptions import UserError

from ..lib import listings_json
from ..lib.api import AmazonCallError
from ..lib.feed_values import FeedDataError
from .amazon_account import AmazonQuotaWait
from .amazon_sync import _StepFailed

_logger = logging.getLogger(__name__)

#: change sets up to this size go straight through patchListingsItem
DIRECT_MAX = 20
#: the queue kinds and what they send on SP-API (the patch groups of lib.listings_json)
PATCH_KINDS = {"inventory": {"stock"}, "price": {"price"}, "image": {"images"}}
FULL_KINDS = ("product", "relationship")
SENT_KINDS = ("delete", *FULL_KINDS, *PATCH_KINDS)
#: listings read back per run (getListingsItem: 5 a second)
READ_BACK_BATCH = 50
READ_BACK_AFTER = timedelta(minutes=5)
#: a stock or price change reaches the cron this long after its commit: the changes of the
#: next seconds go in the same run (SP-API accounts in automatic mode)
FAST_LANE_DELAY = timedelta(seconds=5)
#: account fields that decide whether a change triggers the cron
FAST_LANE_FIELDS = {"auto_sync", "amazon_api", "active"}


class ProductIntegration(models.Model):
    _inherit = "product.integration"

    @api.model
    def _captured(self, operations):
        """Stock and product changes reach an SP-API account within a minute: the sync cron
        is triggered (a few seconds later, once), never Amazon itself from here."""
        super()._captured(operations)
        Account = self.env["amazon.account"]
        if not operations & {"stock", "write"} or not Account._fast_lane_wanted():
            return
        try:
            with self.env.cr.savepoint():
                Account._trigger_fast_lane()
        except Exception:  # the rows are written: the next scheduled run sends them
            _logger.exception("Amazon: the stock run could not be scheduled")


class AmazonAccount(models.Model):
    _inherit = "amazon.account"

    default_product_type = fields.Char(
        "Default Product Type",
        default="PRODUCT",
        help="Selling Partner API: the product type of listings whose category names none.",
    )
    product_type_keywords = fields.Char(
        "Find Product Types",
        help="Words describing what you sell (towel, t-shirt): Amazon's product types for "
        "them are searched in the background and listed in the chatter and under "
        "Configuration → Amazon Product Types.",
    )
    attribute_map_ids = fields.One2many(
        "amazon.attribute.map",
        "account_id",
        string="Attribute Mapping",
        help="Odoo fields sent as Amazon attributes, on top of what the connector sends.",
    )

    def action_search_product_types(self):
        """Button: Amazon's product types for the keywords, searched by the cron."""
        self.ensure_one()
        self._check_can_act()
        self._require("listings")
        keywords = (self.product_type_keywords or "").strip()
        if not keywords:
            raise UserError(_("Type a few words describing the product first."))
        return self._queue_request(
            "product_types",
            _("Search queued"),
            _("Amazon's product types for “%s” appear in the chatter within a minute.", keywords),
            payload={"keywords": keywords},
        )

    # ------------------------------------------------------------------ the fast lane

    @api.model_create_multi
    def create(self, vals_list):
        accounts = super().create(vals_list)
        self.env.registry.clear_cache()  # _fast_lane_wanted
        return accounts

    def write(self, vals):
        result = super().write(vals)
        if FAST_LANE_FIELDS & set(vals):
            self.env.registry.clear_cache()  # _fast_lane_wanted
        return result

    def unlink(self):
        result = super().unlink()
        self.env.registry.clear_cache()  # _fast_lane_wanted
        return result

    @api.model
    @tools.ormcache()
    def _fast_lane_wanted(self):
        """Whether some account sends changes as they happen (SP-API, automatic mode)."""
        domain = [("auto_sync", "=", True), ("amazon_api", "=", "spapi")]
        return bool(self.sudo().search_count(domain, limit=1))

    @api.model
    def _trigger_fast_lane(self):
        """The sync cron in FAST_LANE_DELAY, unless a run is due by then already."""
        cron = self.env.ref("amazon_integration.ir_cron_amazon_sync", raise_if_not_found=False)
        if not cron:
            return
        at = fields.Datetime.now() + FAST_LANE_DELAY
        self.env.cr.execute(
            "SELECT 1 FROM ir_cron_trigger WHERE cron_id = %s AND call_at <= %s LIMIT 1",
            (cron.id, at),
        )
        if not self.env.cr.fetchone():
            cron.sudo()._trigger(at)

    def _listing_changes_waiting(self):
        """Stock or price changes ready to go out between two cycles (SP-API)."""
        self.ensure_one()
        if not self._supports("listings"):
            return False
        domain = [
            ("account_id", "=", self.id),
            ("kind", "in", tuple(PATCH_KINDS)),
            "|",
            ("next_attempt_at", "=", False),
            ("next_attempt_at", "<=", fields.Datetime.now()),
        ]
        return bool(self.env["amazon.sync.queue"].search_count(domain, limit=1))

    def _send_listing_changes_now(self, auto_commit=False):
        """Between two cycles: the queued changes out (a few through patchListingsItem
        at once), in the cycle's lock; Amazon's refusals notified as a cycle's are."""
        self.ensure_one()
        with self._job_lock("sync") as taken:
            if not taken:
                return False
            errors = self.env["amazon.feed.message"]
            try:
                with self._step_guard(auto_commit):
                    errors = self._listing_items_step(auto_commit, read_back=False)
            except _StepFailed as failed:
                self._notify_errors(errors, [failed.text])
            else:
                if errors:
                    self._notify_errors(errors)
            self._commit(auto_commit)
            return True

    # ------------------------------------------------------------------ the step

    def _listing_items_step(self, auto_commit=False, read_back=True):
        """The catalog on SP-API: results of earlier feeds, the queued changes out, then
        the listings sent read back. Returns the feed messages that failed."""
        self.ensure_one()
        errors = self.env["amazon.feed.message"]
        with self._catalog_call_guard():
            errors |= self._poll_feeds()
            self._commit(auto_commit)
            errors |= self._send_listing_changes(auto_commit)
            if read_back:
                self._read_back_listings(auto_commit)
        return errors

    def _commit(self, auto_commit):
        if auto_commit:
            self.env.cr.commit()  # pylint: disable=invalid-commit

    def _send_listing_changes(self, auto_commit=False):
        """Queued changes out: directly or in a JSON feed. Returns the direct calls'
        messages Amazon refused (a feed's come with its processing report)."""
        errors = self.env["amazon.feed.message"]
        # a JSON feed built but never sent carries old quantities: its entries go back
        self._retry_draft_feeds(["listings"], auto_commit=auto_commit)
        self._ensure_variation_parents()
        entries = self.env["amazon.sync.queue"]
        for kind in SENT_KINDS:
            entries |= self._ready_entries(kind)
        entries = self._absorb_into_updates(entries)
        self._settle_unsendable()
        if not entries:
            return errors
        if len(entries) <= DIRECT_MAX and set(entries.mapped("kind")) <= set(PATCH_KINDS):
            entries, errors = self._patch_directly(entries)
            self._commit(auto_commit)
        if listings_json.FEED_TYPE in self._feed_types_unanswered():
            return errors  # a new feed would be held back (_unanswered_sibling)
        for batch in _batches(entries, listings_json.MAX_MESSAGES):
            self._check_catalog_budget()
            feed = self._build_listings_feed(batch)
            self._commit(auto_commit)
            if feed:
                feed._submit(auto_commit=auto_commit)
                self._commit(auto_commit)
        return errors

    def _absorb_into_updates(self, entries):
        """A full listing (UPDATE) carries its stock, price and images too: the same
        listing's queued patches go with it, their rows settled by the UPDATE's answer."""
        updates = entries.filtered(lambda entry: entry.kind in FULL_KINDS)
        if not updates:
            return entries
        absorbed = self.env["amazon.sync.queue"].search(
            [("listing_id", "in", updates.listing_id.ids), ("kind", "in", tuple(PATCH_KINDS))]
        )
        by_listing = {entry.listing_id.id: entry for entry in updates}
        for entry in absorbed:
            update = by_listing[entry.listing_id.id]
            update.row_ids = update.row_ids | entry.row_ids
        left = entries - absorbed
        absorbed.unlink()
        return left

    def _settle_unsendable(self):
        """Queue kinds SP-API has no message for (the MWS override feed): settled."""
        others = self.env["amazon.sync.queue"].search(
            [("account_id", "=", self.id), ("kind", "not in", SENT_KINDS)]
        )
        self.env["amazon.feed"]._settle_rows(others.row_ids, _("Nothing to send for this SKU."))
        others.unlink()

    def _messages_for(self, entries):
        """(entry, FeedMessage or None) for each entry; an entry whose listing fails its
        product type's schema is put in error here (never sent)."""
        listings = entries.listing_id
        quantities = listings._amazon_quantities()
        prices = listings._amazon_prices()
        marketplace = self.marketplace_id.code
        types = {}  # product type name -> (record, checker): fetched and parsed once a feed
        for entry in entries:
            listing = entry.listing_id
            if entry.kind == "delete":
                yield (
                    entry,
                    listings_json.FeedMessage.for_delete(
                        listing.seller_sku, marketplace_id=marketplace
                    ),
                )
                continue
            if not listing.product_id and not listing.is_parent:
                yield entry, None
                continue
            try:
                values = listing._listing_values(quantities, prices)
                if entry.kind in PATCH_KINDS:
                    message = listings_json.FeedMessage(
                        sku=listing.seller_sku,
                        operation_type="PATCH",
                        product_type=values.product_type,
                        patches=listings_json.patches_for(
                            values, PATCH_KINDS[entry.kind], hook=listing._amazon_attributes_hook
                        ),
                        marketplace_id=marketplace,
                    )
                else:
                    attributes = listing._listing_attributes(values)
                    if values.product_type not in types:
                        found = self.env["amazon.product.type"]._for(self, values.product_type)
                        types[values.product_type] = (found, found._checker())
                    product_type, check = types[values.product_type]
                    problems = check(attributes)
                    if problems:
                        self._fail_entry(entry, product_type._explain(problems))
                        continue
                    message = listings_json.FeedMessage(
                        sku=listing.seller_sku,
                        operation_type="UPDATE",
                        product_type=values.product_type,
                        attributes=attributes,
                        requirements="LISTING",
                        marketplace_id=marketplace,
                    )
            except FeedDataError as error:
                self._fail_entry(entry, str(error))
                continue
            # what Amazon is told (an UPDATE carries stock and price too)
            if entry.kind in ("inventory", "product") and values.quantity is not None:
                listing.last_quantity = values.quantity
            if entry.kind in ("price", "product") and values.price is not None:
                listing.last_price = f"{values.price} {values.currency}"
            yield entry, message

    def _build_listings_feed(self, entries):
        """One JSON_LISTINGS_FEED with a message per entry; the entries are consumed."""
        messages, skipped = [], self.env["amazon.sync.queue"]
        for entry, message in self._messages_for(entries):
            if message is None:
                skipped |= entry
            else:
                messages.append((entry, message))
        self.env["amazon.feed"]._settle_rows(skipped.row_ids, _("Nothing to send for this SKU."))
        skipped.unlink()
        if not messages:
            return self.env["amazon.feed"]
        numbered = [
            (n, entry, replace(message, message_id=n))
            for n, (entry, message) in enumerate(messages, 1)
        ]
        document = listings_json.build_feed(
            self.merchant_id,
            [message for _n, _entry, message in numbered],
            marketplace_id=self.marketplace_id.code,
        )
        feed = self._listings_feed_record(numbered, document)
        self.env["amazon.sync.queue"].browse([entry.id for _n, entry, _m in numbered]).unlink()
        return feed

    def _listings_feed_record(self, numbered, document, **values):
        return self.env["amazon.feed"].create(
            {
                "account_id": self.id,
                "kind": "listings",
                "feed_type": listings_json.FEED_TYPE,
                "message_type": listings_json.MESSAGE_KIND,
                "message_count": len(numbered),
                "feed_xml": base64.b64encode(document),
                "line_ids": [
                    fields.Command.create(
                        {
                            "message_id": n,
                            "listing_id": entry.listing_id.id,
                            "seller_sku": entry.listing_id.seller_sku,
                            "kind": entry.kind,
                            "row_ids": [fields.Command.set(entry.row_ids.ids)],
                        }
                    )
                    for n, entry, _message in numbered
                ],
                **values,
            }
        )

    def _patch_directly(self, entries):
        """patchListingsItem for each entry, within its rate; returns the entries left for
        the feed (a quota wait or a throttled answer: nothing lost, the feed carries them)
        and the messages Amazon refused."""
        listings_api = self._api().listings
        sent = []
        left = self.env["amazon.sync.queue"]
        stopped = False
        for entry, message in self._messages_for(entries):
            if message is None:
                self.env["amazon.feed"]._settle_rows(
                    entry.row_ids, _("Nothing to send for this SKU.")
                )
                entry.unlink()
                continue
            if stopped:
                left |= entry
                continue
            try:
                answer = listings_api.patch(message.sku, message.product_type, message.patches)
            except AmazonQuotaWait:
                stopped, left = True, left | entry
                continue
            except AmazonCallError as error:
                if error.kind not in ("throttled", "transient"):
                    raise
                _logger.info("Amazon account %s: %s; the feed takes over", self.name, error)
                stopped, left = True, left | entry
                continue
            sent.append((entry, message, answer))
        errors = self._record_direct(sent) if sent else self.env["amazon.feed.message"]
        return left, errors

    def _record_direct(self, sent):
        """The direct calls as a finished feed: its lines carry each answer."""
        numbered = [(n, entry, message) for n, (entry, message, _a) in enumerate(sent, 1)]
        document = listings_json.build_feed(
            self.merchant_id,
            [replace(message, message_id=n) for n, _entry, message in numbered],
            marketplace_id=self.marketplace_id.code,
        )
        feed = self._listings_feed_record(
            numbered,
            document,
            feed_type="patchListingsItem",
            state="done",
            submitted_at=fields.Datetime.now(),
            completed_at=fields.Datetime.now(),
        )
        by_message = {line.message_id: line for line in feed.line_ids}
        for n, (_entry, _message, answer) in enumerate(sent, 1):
            state, text, code = answer.outcome()
            by_message[n].write(
                {"state": state, "result_code": code or False, "result_description": text}
            )
        self.env["amazon.sync.queue"].browse([entry.id for entry, _m, _a in sent]).unlink()
        states = feed.line_ids.mapped("state")
        feed.write(
            {
                "processed_count": len(states),
                "success_count": states.count("success") + states.count("warning"),
                "error_count": states.count("error"),
                "warning_count": states.count("warning"),
            }
        )
        feed._apply_outcomes()
        return feed.line_ids.filtered(lambda line: line.state == "error")

    # ------------------------------------------------------------------ read back

    def _read_back_listings(self, auto_commit=False):
        """getListingsItem for listings sent since they were last read: ASIN, status and
        Amazon's issues on the listing."""
        now = fields.Datetime.now()
        since = now - timedelta(seconds=self._real_delay(READ_BACK_AFTER.total_seconds()))
        # sent since their issues were last read (and settled a few minutes), or read a day ago
        self.env["amazon.listing"].flush_model()
        self.env.cr.execute(
            """SELECT id FROM amazon_listing
                WHERE account_id = %s AND state IN ('active', 'error') AND active
                  AND last_sync_at <= %s
                  AND (amazon_issues_at IS NULL OR amazon_issues_at < last_sync_at
                       OR amazon_issues_at < %s)
                ORDER BY amazon_issues_at ASC NULLS FIRST, id
                LIMIT %s""",
            (self.id, since, now - timedelta(days=1), READ_BACK_BATCH),
        )
        listings = self.env["amazon.listing"].browse([row[0] for row in self.env.cr.fetchall()])
        if not listings:
            return
        listings_api = self._api().listings
        for listing in listings:
            try:
                state = listings_api.get(listing.seller_sku)
            except AmazonCallError as error:
                if error.http_status != 404:
                    raise
                listing.write(
                    {
                        "amazon_listing_status": "missing",
                        "amazon_read_at": fields.Datetime.now(),
                        "amazon_issues_at": fields.Datetime.now(),
                    }
                )
                continue
            issues = "\n".join(str(issue) for issue in state.issues)
            if state.buyable:
                status = "active"
            elif any(issue.is_error for issue in state.issues):
                status = "incomplete"
            else:
                status = "inactive"
            values = {
                "amazon_listing_status": status,
                "amazon_issues": issues or False,
                "amazon_issue_count": len(state.issues),
                "amazon_read_at": fields.Datetime.now(),
                "amazon_issues_at": fields.Datetime.now(),
            }
            if state.asin and state.asin != listing.asin:
                values["asin"] = state.asin
            listing.write(values)
        self._commit(auto_commit)


def _batches(records, size):
    for start in range(0, len(records), size):
        yield records[start : start + size]
