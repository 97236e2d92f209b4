"""Settlements: Amazon's V2 settlement reports, stored as ``amazon.settlement`` records.

One settlement per report id and per settlement id and account, never twice, with its lines
(classified by ``lib/settlement.classify_line``) and the raw file as an attachment. A report
that cannot be read becomes a settlement in *Error* (no line), with the parser's message.

The other parts: ``amazon_settlement_account.py`` (the account's settings, and
``amazon.account._settlement_step()``, called by the cron, which lists and downloads the
reports) and ``amazon_settlement_reconcile.py`` (the journal entry that pays the invoices).
"""

import logging

from markupsafe import Markup

from odoo import Command, _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..lib.api import AmazonCallError
from ..lib.responses import ResponseParseError
from ..lib.settlement import check_total, classify_line, naive_utc, parse_settlement_v2
from .amazon_account import AmazonQuotaWait

_logger = logging.getLogger(__name__)

SETTLEMENT_STATES = [
    ("imported", "Imported"),
    ("partial", "Partially Reconciled"),
    ("reconciled", "Reconciled"),
    ("error", "Error"),
]
LINE_STATES = [
    ("matched", "Matched"),
    ("unmatched", "Unmatched"),
    ("fee", "Fee"),
    ("ignored", "Ignored"),
]
LINE_KINDS = [
    ("order", "Order"),
    ("refund", "Refund"),
    ("fee", "Fee"),
    ("withheld", "Withheld Tax"),
    ("other", "Other"),
]


def _notification(title, message, kind):
    return {
        "type": "ir.actions.client",
        "tag": "display_notification",
        "params": {"title": title, "message": message, "type": kind, "sticky": kind == "danger"},
    }


class AmazonSettlement(models.Model):
    """One Amazon settlement (a V2 settlement report); its reconciliation is in
    ``amazon_settlement_reconcile.py``."""

    _name = "amazon.settlement"
    _description = "Amazon Settlement"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "end_date desc, id desc"

    name = fields.Char(compute="_compute_name", store=True)
    account_id = fields.Many2one(
        "amazon.account", required=True, ondelete="restrict", index=True, readonly=True
    )
    company_id = fields.Many2one(related="account_id.company_id", store=True, index=True)
    report_id = fields.Char("Amazon Report ID", readonly=True, copy=False, index=True)
    report_available_at = fields.Datetime("Published", readonly=True)
    settlement_id = fields.Char("Settlement ID", readonly=True, copy=False, index=True)
    marketplace_name = fields.Char(readonly=True)
    start_date = fields.Datetime(readonly=True)
    end_date = fields.Datetime(readonly=True)
    deposit_date = fields.Datetime(readonly=True)
    currency_code = fields.Char("Currency Code", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    total_amount = fields.Monetary("Deposit Total", readonly=True)
    state = fields.Selection(
        SETTLEMENT_STATES, default="imported", required=True, index=True, tracking=True
    )
    error_message = fields.Text(readonly=True, copy=False)
    parse_warnings = fields.Text(readonly=True, copy=False)
    attachment_id = fields.Many2one("ir.attachment", string="Report File", readonly=True)
    line_ids = fields.One2many("amazon.settlement.line", "settlement_id", readonly=True)
    move_id = fields.Many2one(
        "account.move", string="Journal Entry", readonly=True, copy=False, ondelete="set null"
    )
    journal_id = fields.Many2one("account.journal", readonly=True, copy=False)
    line_count = fields.Integer(compute="_compute_amounts")
    unmatched_count = fields.Integer("Unmatched Lines", compute="_compute_amounts")
    matched_amount = fields.Monetary(compute="_compute_amounts")
    fee_amount = fields.Monetary("Fees", compute="_compute_amounts")
    unmatched_amount = fields.Monetary("In Suspense", compute="_compute_amounts")
    invoice_ids = fields.Many2many(
        "account.move", string="Invoices and Credit Notes", compute="_compute_amounts"
    )
    invoice_count = fields.Integer(compute="_compute_amounts")

    _sql_constraints = [
        (
            "settlement_unique",
            "unique(account_id, settlement_id)",
            "This settlement was already imported for this account.",
        ),
        (
            "report_unique",
            "unique(account_id, report_id)",
            "This settlement report was already imported for this account.",
        ),
    ]

    @api.depends("settlement_id", "report_id")
    def _compute_name(self):
        for settlement in self:
            if settlement.settlement_id:
                settlement.name = _("Settlement %s", settlement.settlement_id)
            else:
                settlement.name = _("Settlement report %s", settlement.report_id or "?")

    @api.depends("line_ids.state", "line_ids.amount", "line_ids.move_id")
    def _compute_amounts(self):
        for settlement in self:
            lines = settlement.line_ids
            unmatched = lines.filtered(lambda line: line.state == "unmatched")
            settlement.line_count = len(lines)
            settlement.unmatched_count = len(unmatched)
            settlement.unmatched_amount = sum(unmatched.mapped("amount"))
            settlement.fee_amount = sum(
                lines.filtered(lambda line: line.state == "fee").mapped("amount")
            )
            settlement.matched_amount = sum(
                lines.filtered(lambda line: line.state == "matched").mapped("amount")
            )
            settlement.invoice_ids = lines.move_id
            settlement.invoice_count = len(lines.move_id)

    # ------------------------------------------------------------------ import

    @api.model
    def _parse_report(self, body):
        """(parsed settlement or None, error text or None) for a report body."""
        try:
            parsed = parse_settlement_v2(body)
        except (ResponseParseError, ValueError) as error:
            return None, str(error) or error.__class__.__name__
        lines_total, announced = check_total(parsed)
        if lines_total != announced:
            return None, _(
                "The report's amounts add up to %(lines)s, its total-amount says %(total)s: "
                "the file is incomplete.",
                lines=lines_total,
                total=announced,
            )
        return parsed, None

    @api.model
    def _values_from_parsed(self, parsed):
        """Field values (lines included) of a parsed report; raises UserError when they do not
        fit Odoo (unknown currency)."""
        code = (parsed.currency or "").strip().upper()
        currency = (
            self.env["res.currency"].with_context(active_test=False).search([("name", "=", code)])
            if code
            else self.env["res.currency"]
        )
        if not currency:
            raise UserError(_("The settlement's currency %r is unknown to Odoo.", code))
        markets = {line.marketplace_name for line in parsed.lines if line.marketplace_name}
        lines = []
        for line in parsed.lines:
            lines.append(
                Command.create(
                    {
                        "sequence": line.line_number,
                        "transaction_type": line.transaction_type,
                        "order_ref": line.order_id,
                        "merchant_order_id": line.merchant_order_id,
                        "adjustment_id": line.adjustment_id,
                        "shipment_id": line.shipment_id,
                        "amount_type": line.amount_type,
                        "amount_description": line.amount_description,
                        "amount": float(line.amount),
                        "posted_date": naive_utc(line.posted_date),
                        "order_item_code": line.order_item_code,
                        "merchant_order_item_id": line.merchant_order_item_id,
                        "merchant_adjustment_item_id": line.merchant_adjustment_item_id,
                        "sku": line.sku,
                        "quantity": line.quantity or 0,
                        "fulfillment_id": line.fulfillment_id,
                        "kind": classify_line(line),
                    }
                )
            )
        return {
            "settlement_id": parsed.settlement_id,
            "start_date": naive_utc(parsed.start_date),
            "end_date": naive_utc(parsed.end_date),
            "deposit_date": naive_utc(parsed.deposit_date),
            "currency_code": code,
            "currency_id": currency.id,
            "total_amount": float(parsed.total_amount),
            "marketplace_name": ", ".join(sorted(markets)) or False,
            "parse_warnings": "\n".join(parsed.parse_warnings) or False,
            "error_message": False,
            "state": "imported",
            "line_ids": [Command.clear(), *lines],
        }

    @api.model
    def _import_report(self, account, report_id, body, available_at=None):
        """Store one downloaded report. Returns the new settlement (in Error when the report
        cannot be read), or an empty recordset when that settlement is already in Odoo."""
        parsed, error = self._parse_report(body)
        if parsed:
            existing = self.search(
                [("account_id", "=", account.id), ("settlement_id", "=", parsed.settlement_id)],
                limit=1,
            )
            if existing:
                _logger.info(
                    "Amazon account %s: report %s is settlement %s, already imported (%s)",
                    account.name,
                    report_id,
                    parsed.settlement_id,
                    existing.report_id,
                )
                return self.browse()
        settlement = self.create(
            {
                "account_id": account.id,
                "report_id": report_id,
                "report_available_at": naive_utc(available_at),
                "state": "error" if error else "imported",
                "error_message": error,
            }
        )
        settlement._attach_report(body)
        if parsed:
            settlement._load_parsed(parsed)
        else:
            settlement._set_error(_("The settlement report cannot be read: %s", error))
        return settlement

    def _attach_report(self, body):
        self.ensure_one()
        if self.attachment_id:
            self.attachment_id.unlink()
        self.attachment_id = self.env["ir.attachment"].create(
            {
                "name": f"settlement-{self.report_id or self.id}.txt",
                "raw": body if isinstance(body, bytes) else body.encode(),
                "mimetype": "text/plain",
                "res_model": self._name,
                "res_id": self.id,
            }
        )

    def _load_parsed(self, parsed):
        """Write a parsed report's header and lines, all or nothing."""
        self.ensure_one()
        duplicate = self.search(
            [
                ("id", "!=", self.id),
                ("account_id", "=", self.account_id.id),
                ("settlement_id", "=", parsed.settlement_id),
            ],
            limit=1,
        )
        if duplicate:
            self._set_error(_("This settlement is already imported as %s.", duplicate.name))
            return False
        try:
            with self.env.cr.savepoint():
                self.write(self._values_from_parsed(parsed))
        except (UserError, ValidationError) as error:
            self._set_error(_("The settlement cannot be stored: %s", error))
            return False
        body = Markup("<p>%s</p>") % _(
            "Settlement imported: %(count)s amounts, total %(total)s %(currency)s.",
            count=len(self.line_ids),
            total=self.total_amount,
            currency=self.currency_code,
        )
        if self.parse_warnings:
            body += Markup("<p>%s</p>") % _("Warnings: %s", self.parse_warnings)
        self._message_log(body=body)
        return True

    def _set_error(self, message):
        """Error state, a chatter note and an activity for the account's responsible."""
        self.write({"state": "error", "error_message": message})
        for settlement in self:
            settlement._message_log(body=Markup("<p>%s</p>") % message)
            settlement.account_id._warn(
                settlement, _("Amazon settlement in error"), message, once=True
            )
        _logger.info("Amazon settlements %s: %s", self.mapped("name"), message)

    # ------------------------------------------------------------------ buttons

    def action_reconcile(self):
        """Button: reconcile (does nothing for a settlement already booked). Local work,
        done as the user: it needs the rights to write settlements and to post entries."""
        self.check_access("write")
        todo = self.filtered(lambda s: s.state != "error" and not s.move_id)
        errors = todo._reconcile_safe()
        if errors:
            return _notification(_("Reconciliation failed"), "\n".join(errors), "danger")
        return True

    def action_retry(self):
        """Button: queue the retry of these settlements for the synchronisation cron (an
        unreadable report is downloaded again): accountants and Integration Managers, for the
        settlements of their companies."""
        self.check_access("write")
        failed = self.filtered(lambda s: s.state == "error")
        if not failed:
            raise UserError(_("Only settlements in error can be retried."))
        for account in failed.account_id:
            mine = failed.filtered(lambda s, a=account: s.account_id == a)
            self.env["amazon.sync.request"]._request(account, "retry_settlements", mine.ids)
        return _notification(
            _("Settlements"),
            _("%s settlement(s) are retried in the background within a minute.", len(failed)),
            "info",
        )

    def _retry_now(self):
        """An unreadable report is downloaded again (or read again from its file), a failed
        reconciliation is run again (the cron's part of Retry)."""
        for settlement in self.filtered(lambda s: s.state == "error"):
            if not settlement.line_ids:
                body = settlement._download_again()
                parsed, error = self._parse_report(body)
                if body != (settlement.attachment_id.raw or b""):
                    settlement._attach_report(body)
                if not parsed:
                    settlement._set_error(_("The settlement report cannot be read: %s", error))
                    continue
                if not settlement._load_parsed(parsed):
                    continue
            else:
                settlement.write({"state": "imported", "error_message": False})
            settlement.activity_ids.filtered(
                lambda a: (
                    a.activity_type_id
                    == self.env.ref("mail.mail_activity_data_warning", raise_if_not_found=False)
                )
            ).action_feedback(feedback=_("Retried by %s", self.env.user.name))
            if settlement.account_id.settlement_auto_reconcile:
                settlement._reconcile_safe()
        return True

    def _download_again(self):
        """The report's body from Amazon, else the stored file."""
        self.ensure_one()
        stored = self.attachment_id.raw or b""
        if not self.report_id:
            return stored
        try:
            return self.account_id._api().reports.download(self.report_id)
        except AmazonQuotaWait as wait:
            raise UserError(
                _("Amazon's quota is used up: try again in %s seconds.", int(wait.wait) + 1)
            ) from None
        except AmazonCallError as error:
            raise UserError(self.account_id._explain_error(error)) from None

    def action_open_move(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "account.move",
            "res_id": self.move_id.id,
            "view_mode": "form",
        }

    def action_open_invoices(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Invoices and Credit Notes"),
            "res_model": "account.move",
            "domain": [("id", "in", self.invoice_ids.ids)],
            "view_mode": "list,form",
        }


class AmazonSettlementLine(models.Model):
    """One amount of a settlement, and what it was matched with."""

    _name = "amazon.settlement.line"
    _description = "Amazon Settlement Line"
    _order = "settlement_id, sequence, id"

    settlement_id = fields.Many2one(
        "amazon.settlement", required=True, ondelete="cascade", index=True, readonly=True
    )
    company_id = fields.Many2one(related="settlement_id.company_id", store=True)
    currency_id = fields.Many2one(related="settlement_id.currency_id")
    sequence = fields.Integer("Line", readonly=True)
    transaction_type = fields.Char(readonly=True)
    order_ref = fields.Char("Amazon Order ID", index=True, readonly=True)
    merchant_order_id = fields.Char(readonly=True)
    adjustment_id = fields.Char(readonly=True)
    shipment_id = fields.Char(readonly=True)
    amount_type = fields.Char(readonly=True)
    amount_description = fields.Char(readonly=True)
    amount = fields.Monetary(readonly=True)
    posted_date = fields.Datetime(readonly=True)
    order_item_code = fields.Char(readonly=True)
    merchant_order_item_id = fields.Char(readonly=True)
    merchant_adjustment_item_id = fields.Char(readonly=True)
    sku = fields.Char("SKU", readonly=True)
    quantity = fields.Integer(readonly=True)
    fulfillment_id = fields.Char("Fulfillment", readonly=True)
    kind = fields.Selection(LINE_KINDS, readonly=True)
    state = fields.Selection(LINE_STATES, readonly=True, index=True)
    sale_order_id = fields.Many2one("sale.order", readonly=True, index="btree_not_null")
    move_id = fields.Many2one(
        "account.move",
        string="Invoice / Credit Note",
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
    )
    account_id = fields.Many2one("account.account", string="Booked To", readonly=True)
    note = fields.Char(readonly=True)
