"""One synchronisation cycle of an account, and the buttons that ask for one.

The cron ``Amazon: synchronize`` runs the requests people queued with the buttons, then every
account that is due: orders in first (their reservations change the stock to send), then the
catalog, order feeds out, FBA stock and settlements, in one worker at a time per account (a
job lock). Errors of a cycle end in one digest for the account's responsible.
"""

import logging
import traceback
from contextlib import contextmanager, nullcontext
from datetime import timedelta

from markupsafe import Markup

from odoo import _, api, fields, models

from ..lib.api import AmazonCallError
from ..lib.sanitize import redact
from .amazon_account import CREDENTIAL_FIELDS, AmazonQuotaWait
from .amazon_catalog import (
    in_test_mode,
)

_logger = logging.getLogger(__name__)


class _StepFailed(Exception):
    """A cycle step stopped on an unexpected error, already logged and undone."""

    def __init__(self, text):
        super().__init__(text)
        self.text = text


class AmazonAccount(models.Model):
    _inherit = "amazon.account"

    # ------------------------------------------------------------------ cron

    @api.model
    def _cron_sync(self):
        """Every minute: dispatch new rows, then run each account that is due."""
        auto_commit = not in_test_mode()
        Rows = self.env["product.integration"].sudo()
        while Rows._amazon_dispatch():
            if auto_commit:
                self.env.cr.commit()  # pylint: disable=invalid-commit
        # what people asked for with the buttons first
        self.env["amazon.sync.request"].sudo()._run_pending(auto_commit)
        now = fields.Datetime.now()
        for account in self.sudo().search([("auto_sync", "=", True)]):
            interval = timedelta(seconds=account._real_delay(account.sync_interval))
            due = not account.last_sync_at or account.last_sync_at + interval <= now
            if due:
                account._sync_now(auto_commit)
            elif account._listing_changes_waiting():
                # SP-API: stock and prices between two cycles (the capture triggers the cron)
                account._send_listing_changes_now(auto_commit)

    def _sync_now(self, auto_commit=False):
        """One cycle of this account: orders in first (their reservations change the stock
        to send), then the catalog, order feeds out, FBA stock and settlements. Runs in one
        worker at a time (the others skip it); returns whether it ran."""
        self.ensure_one()
        with self._job_lock("sync") as taken:
            if taken:
                self._sync_cycle(auto_commit)
            else:
                _logger.info("Amazon account %s: synchronised by another worker", self.name)
            return taken

    def _sync_cycle(self, auto_commit):
        started = fields.Datetime.now()
        texts = self._run_step(self._orders_step, auto_commit)
        if auto_commit:
            # the import's commit captured its reservations: queue them for this cycle
            self.env["product.integration"].sudo()._amazon_dispatch()
        errors = self.env["amazon.feed.message"]
        # the catalog: MWS's XML feeds, or SP-API's listings (Listings Items API, JSON feed)
        catalog_step = None
        if self._supports("catalog"):
            catalog_step = self._catalog_step
        elif self._supports("listings"):
            catalog_step = self._listing_items_step
        if catalog_step:
            try:
                with self._step_guard(auto_commit):
                    errors = catalog_step(auto_commit=auto_commit)
            except _StepFailed as failed:
                texts.append(failed.text)
        # what this account's API implements (SP-API: the order reads so far)
        steps = [(self._order_feeds_step, "order_feeds"), (self._fba_inventory_step, "reports")]
        steps += [(self._listings_step, "reports"), (self._settlements_locked, "reports")]
        for step, group in steps:
            if self._supports(group):
                texts += self._run_step(step, auto_commit)
        self.last_sync_at = started  # the interval runs from start to start
        if errors or texts:
            self._notify_errors(errors, texts)
        if auto_commit:
            self.env.cr.commit()  # pylint: disable=invalid-commit

    def _run_step(self, step, auto_commit):
        try:
            with self._step_guard(auto_commit):
                return step(auto_commit=auto_commit) or []
        except _StepFailed as failed:
            return [failed.text]
        except AmazonQuotaWait as wait:
            _logger.info("Amazon account %s: %s", self.name, wait)
        except AmazonCallError as error:
            _logger.warning("Amazon account %s: %s", self.name, error)
            return [str(error)]
        return []

    @contextmanager
    def _step_guard(self, auto_commit):
        """One step of a cycle that fails unexpectedly (a bug, data nobody foresaw) is undone
        back to its last commit and reported; the other steps and accounts still run, and
        the next cycle tries it again. Amazon's answers (quota, call errors) pass through."""
        savepoint = nullcontext() if auto_commit else self.env.cr.savepoint()
        try:
            with savepoint:
                yield
        except (AmazonQuotaWait, AmazonCallError):
            raise
        except Exception as error:  # reported below: never a traceback that stops the cron
            if auto_commit:
                self.env.cr.rollback()
            self.env.invalidate_all()
            secrets = [self.sudo()[n] for n in CREDENTIAL_FIELDS]
            text = redact(f"{type(error).__name__}: {error}", secrets)
            # the traceback through the sanitiser too (an exception text may hold a secret)
            _logger.error(
                "Amazon account %s: a synchronisation step stopped: %s\n%s",
                self.name,
                text,
                redact(traceback.format_exc(), secrets),
            )
            raise _StepFailed(
                _("A step of the synchronisation stopped (%s); the next run tries it again.", text)
            ) from None

    # the steps other parts of the addon provide (overridden in their files)
    def _orders_step(self, auto_commit=False):
        return []

    def _order_feeds_step(self, auto_commit=False):
        return []

    def _settlement_step(self, auto_commit=False):
        return []

    def _fba_inventory_step(self, auto_commit=False):
        return []

    def _listings_step(self, auto_commit=False):
        return []

    def _settlements_locked(self, auto_commit=False, force=False):
        """The settlement step, in one worker at a time (the button's job takes it too)."""
        with self._job_lock("settlements") as taken:
            return self._settlement_step(auto_commit=auto_commit, force=force) if taken else []

    def action_sync_now(self):
        """Button: one cycle of this account (orders, catalog, order feeds, FBA stock,
        settlements), queued for the synchronisation cron."""
        self.ensure_one()
        self._check_can_act()
        return self._queue_request(
            "sync",
            _("Synchronisation queued"),
            _("%s is synchronised in the background within a minute.", self.name),
        )

    def action_upload_catalog(self):
        """Manual mode: queue every product listed on this account (integrator_base rows,
        created as the user: Integration Managers may create them)."""
        self.ensure_one()
        self._check_can_act()
        self._require("catalog", "listings")
        listings = self.env["amazon.listing"].search(
            [("account_id", "=", self.id), ("state", "!=", "deleted"), ("product_id", "!=", False)]
        )
        site = self.env.ref("amazon_integration.integration_site_amazon")
        Rows = self.env["product.integration"]
        Rows.check_access("create")
        count = Rows._manual_sync_products(products=listings.product_id, site=site)
        self.env["amazon.sync.request"]._wake_cron()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": _("Catalog upload queued"),
                "message": _("%s products will be sent on the next run.", count),
                "type": "success",
            },
        }

    def _notify_errors(self, messages, texts=()):
        """One digest per cycle: a chatter message and an activity, not one per row."""

        def link(message):
            record = message.listing_id or message.sale_order_id
            text = f"{message.seller_sku or '?'}: {message.result_code or ''} " + (
                message.result_description or ""
            )
            if not record:
                return text
            return Markup('<a href="/odoo/%s/%s">%s</a>') % (record._name, record.id, text)

        entries = [link(m) for m in messages] + list(texts)
        lines = Markup("").join(Markup("<li>%s</li>") % entry for entry in entries[:50])
        more = len(entries) - 50
        body = Markup("<p>%s</p><ul>%s</ul>") % (
            _("Amazon reported %s errors in the last run.", len(entries)),
            lines,
        )
        if more > 0:
            body += Markup("<p>%s</p>") % _("… and %s more.", more)
        body += Markup(
            '<p><a href="/odoo/action-amazon_integration.amazon_error_action">%s</a></p>'
        ) % (_("Open the Errors list to fix and retry them."))
        group = self.env.ref("integrator_base.group_integration_manager")
        self.message_post(
            body=body,
            subject=_("Amazon errors"),
            partner_ids=group.users.partner_id.ids,
            subtype_xmlid="mail.mt_comment",
        )
        self._warn(self, _("Amazon reported %s errors", len(entries)), body)
