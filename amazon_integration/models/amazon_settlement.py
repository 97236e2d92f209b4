"""Settlements: Amazon's V2 settlement reports, downloaded, stored and reconciled.

1. ``amazon.account._settlement_step()`` (called by the cron) lists the
   ``_GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2_`` reports published since the account's
   checkpoint, downloads those not imported yet (one settlement per report id and per settlement
   id and account, never twice) and stores each as an ``amazon.settlement`` with its lines and
   the raw file as an attachment. A report that cannot be read becomes a settlement in *Error*
   (no line), with the parser's message.
2. ``amazon.settlement._reconcile()`` books one journal entry per settlement in the account's
   Amazon journal: what Amazon collected for each order credits the receivable of the order's
   invoices (created and posted first when the order is invoiceable and has none), refunds
   debit the receivable of the order's credit notes, fees go to the fee account, what matches
   nothing to the suspense account, and the deposit to the journal's account. Receivables are
   reconciled, so the invoices are paid.
"""

import logging
from collections import defaultdict
from datetime import timedelta, timezone

from markupsafe import Markup

from odoo import Command, _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, float_is_zero

from ..lib.reports import parse_report_list
from ..lib.responses import ResponseParseError
from ..lib.settlement import check_total, parse_settlement_v2
from ..lib.transport import MwsCallError
from .amazon_account import AmazonQuotaWait

_logger = logging.getLogger(__name__)

SETTLEMENT_REPORT_TYPE = "_GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2_"
#: Reports listed per GetReportList page (Amazon's maximum).
LIST_PAGE_SIZE = 100
#: Seconds (on Amazon's clock) between two listings of settlement reports: Amazon publishes
#: one per period (two weeks), the GetReportList quota is shared with the order reports.
LIST_INTERVAL = 3600
#: The tolerance of an order's amount against its invoices, in the settlement's currency.
MATCH_TOLERANCE = 0.01

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


def line_kind(transaction_type, amount_type, amount_description, order_id):
    """What a settlement amount is, for booking it.

    withheld: tax Amazon collects and remits itself (marketplace facilitator);
    fee: Amazon's fees (commission, FBA, subscription, refund commission ...), with or without
    an order; order / refund: what the buyer paid or got back for an order (principal, tax,
    shipping, gift wrap, promotions); other: the rest without an order (reserves,
    reimbursements, transfers), for a person to look at.
    """
    transaction = (transaction_type or "").lower()
    kind = (amount_type or "").lower()
    description = (amount_description or "").lower()
    if "withheld" in kind:
        return "withheld"
    if "fee" in kind or "fee" in description or "commission" in description:
        return "fee"
    if order_id:
        if "refund" in transaction or "chargeback" in transaction:
            return "refund"
        return "order"
    return "other"


def _naive_utc(value):
    if value and value.tzinfo:
        return value.astimezone(timezone.utc).replace(tzinfo=None)
    return value


def _notification(title, message, kind):
    return {
        "type": "ir.actions.client",
        "tag": "display_notification",
        "params": {"title": title, "message": message, "type": kind, "sticky": kind == "danger"},
    }


def _match_candidates(candidates, amount, currency):
    """The moves whose open receivables add up to ``amount`` (within a cent): all of them,
    else one alone, else the oldest ones. ``candidates``: [(move, signed residual)], oldest
    first. Returns a list of the chosen (move, residual)."""

    def close(total):
        return currency.round(abs(total - amount)) <= MATCH_TOLERANCE + 1e-9

    if not candidates:
        return []
    if close(sum(residual for _move, residual in candidates)):
        return list(candidates)
    for candidate in candidates:
        if close(candidate[1]):
            return [candidate]
    running = 0.0
    for position, candidate in enumerate(candidates):
        running += candidate[1]
        if close(running):
            return candidates[: position + 1]
    return []


class AmazonSettlement(models.Model):
    """One Amazon settlement (a V2 settlement report) and its reconciliation."""

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
                        "posted_date": _naive_utc(line.posted_date),
                        "order_item_code": line.order_item_code,
                        "merchant_order_item_id": line.merchant_order_item_id,
                        "merchant_adjustment_item_id": line.merchant_adjustment_item_id,
                        "sku": line.sku,
                        "quantity": line.quantity or 0,
                        "fulfillment_id": line.fulfillment_id,
                        "kind": line_kind(
                            line.transaction_type,
                            line.amount_type,
                            line.amount_description,
                            line.order_id,
                        ),
                    }
                )
            )
        return {
            "settlement_id": parsed.settlement_id,
            "start_date": _naive_utc(parsed.start_date),
            "end_date": _naive_utc(parsed.end_date),
            "deposit_date": _naive_utc(parsed.deposit_date),
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
                "report_available_at": _naive_utc(available_at),
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
        warning = self.env.ref("mail.mail_activity_data_warning", raise_if_not_found=False)
        for settlement in self:
            settlement._message_log(body=Markup("<p>%s</p>") % message)
            user = settlement.account_id.user_id
            already = settlement.activity_ids.filtered(lambda a: a.activity_type_id == warning)
            if user and warning and not already:
                settlement.activity_schedule(
                    "mail.mail_activity_data_warning",
                    summary=_("Amazon settlement in error"),
                    note=message,
                    user_id=user.id,
                )
        _logger.info("Amazon settlements %s: %s", self.mapped("name"), message)

    # ------------------------------------------------------------------ reconciliation

    def _lock(self):
        """Lock the settlement's row for this transaction; False when another one holds it."""
        self.env.cr.execute(
            SQL(
                "SELECT id FROM amazon_settlement WHERE id = %s FOR NO KEY UPDATE SKIP LOCKED",
                self.id,
            )
        )
        return bool(self.env.cr.fetchone())

    def _reconcile_safe(self):
        """Reconcile each settlement; a failure puts it in Error. Returns the error texts."""
        errors = []
        for settlement in self:
            try:
                with self.env.cr.savepoint():
                    settlement._reconcile()
            except (UserError, ValidationError) as error:
                message = _("Reconciliation failed: %s", error)
                settlement._set_error(message)
                errors.append(f"{settlement.name}: {message}")
        return errors

    def _reconcile(self):
        """Book and reconcile the settlement. Does nothing when its entry exists already."""
        self.ensure_one()
        if self.move_id and self.move_id.state != "cancel":
            return False
        if not self.line_ids and self.state == "error":
            raise UserError(_("%s could not be read: use Retry.", self.name))
        if not self._lock():
            raise UserError(_("%s is being reconciled by another process.", self.name))
        account = self.account_id
        currency = self.currency_id
        if not currency.active:
            raise UserError(
                _(
                    "The currency %s is not active: activate it and set its rates, then Retry.",
                    currency.name,
                )
            )
        journal = account._amazon_settlement_journal(currency)
        fee_account = account._amazon_fee_account()
        withheld_account = account.settlement_withheld_account_id or fee_account
        suspense = account._amazon_suspense_account()
        lines = self.line_ids
        lines.write(
            {
                "state": "ignored",
                "sale_order_id": False,
                "move_id": False,
                "account_id": False,
                "note": False,
            }
        )
        entries = []  # {name, account, partner, amount (+ debit, settlement currency), ...}
        grouped = defaultdict(lambda: self.env["amazon.settlement.line"])
        booked = defaultdict(float)  # (account, label) -> amount of fees / withheld tax
        booked_lines = defaultdict(lambda: self.env["amazon.settlement.line"])
        for line in lines:
            if float_is_zero(line.amount, precision_rounding=currency.rounding):
                continue
            if line.kind in ("fee", "withheld"):
                target = fee_account if line.kind == "fee" else withheld_account
                label = " / ".join(filter(None, [line.amount_type, line.amount_description]))
                booked[(target, label)] += line.amount
                booked_lines[(target, label)] |= line
            elif line.kind in ("order", "refund"):
                grouped[(line.order_ref, line.kind)] |= line
            else:
                entries.append(
                    {
                        "name": _(
                            "Amazon %(what)s (to review)",
                            what=line.amount_description or line.amount_type or "",
                        ),
                        "account": suspense,
                        "amount": -line.amount,
                    }
                )
                line.write(
                    {
                        "state": "unmatched",
                        "account_id": suspense.id,
                        "note": _("No order: booked to the suspense account for review."),
                    }
                )
        for (target, label), amount in booked.items():
            booked_lines[(target, label)].write({"state": "fee", "account_id": target.id})
            entries.append({"name": _("Amazon %s", label), "account": target, "amount": -amount})
        rounding = 0.0
        for (order_ref, kind), group in grouped.items():
            amount = currency.round(sum(group.mapped("amount")))
            order, chosen, note = self._match_group(order_ref, kind, amount)
            if not chosen:
                label = _("Refund of Amazon order %s", order_ref)
                if kind == "order":
                    label = _("Amazon order %s", order_ref)
                entries.append(
                    {
                        "name": _("%(label)s (to review)", label=label),
                        "account": suspense,
                        "partner": order.partner_id.commercial_partner_id,
                        "amount": -amount,
                    }
                )
                group.write(
                    {
                        "state": "unmatched",
                        "sale_order_id": order.id,
                        "account_id": suspense.id,
                        "note": note,
                    }
                )
                continue
            residual_total = 0.0
            for move, residual in chosen:
                receivables = move.line_ids.filtered(
                    lambda aml: (
                        aml.account_id.account_type == "asset_receivable" and not aml.reconciled
                    )
                )
                for receivable_account in receivables.account_id:
                    to_reconcile = receivables.filtered(
                        lambda aml, acc=receivable_account: aml.account_id == acc
                    )
                    open_amount = sum(to_reconcile.mapped("amount_residual_currency"))
                    entries.append(
                        {
                            "name": _(
                                "Amazon order %(order)s: %(move)s",
                                order=order_ref,
                                move=move.name,
                            ),
                            "account": receivable_account,
                            "partner": move.commercial_partner_id,
                            "amount": -open_amount,
                            "reconcile": to_reconcile,
                        }
                    )
                residual_total += residual
            rounding += residual_total - amount
            group.write(
                {
                    "state": "matched",
                    "sale_order_id": order.id,
                    "move_id": chosen[0][0].id,
                    "account_id": chosen[0][0]
                    .line_ids.filtered(
                        lambda aml: aml.account_id.account_type == "asset_receivable"
                    )[:1]
                    .account_id.id,
                    "note": ", ".join(move.name for move, _residual in chosen),
                }
            )
        if not currency.is_zero(rounding):
            entries.append(
                {
                    "name": _("Amazon rounding differences"),
                    "account": fee_account,
                    "amount": rounding,
                }
            )
        entries = [entry for entry in entries if not currency.is_zero(entry["amount"])]
        move = self._create_move(journal, entries)
        move_lines = move.line_ids.sorted("id")
        if len(move_lines) != len(entries) + 1 or any(
            entry["account"] != move_line.account_id
            for entry, move_line in zip(entries, move_lines, strict=False)
        ):
            raise UserError(
                _("The settlement entry %s does not have the lines expected.", move.name)
            )
        for entry, move_line in zip(entries, move_lines, strict=False):
            if entry.get("reconcile"):
                (entry["reconcile"] + move_line).reconcile()
        unmatched = lines.filtered(lambda line: line.state == "unmatched")
        self.write(
            {
                "move_id": move.id,
                "journal_id": journal.id,
                "state": "partial" if unmatched else "reconciled",
                "error_message": False,
            }
        )
        summary = _(
            "Reconciled in %(move)s: %(invoices)s invoices and credit notes paid, fees "
            "%(fees)s, %(count)s amounts (%(suspense)s) to review in the suspense account.",
            move=move.name,
            invoices=len(lines.move_id),
            fees=self.fee_amount,
            count=len(unmatched),
            suspense=self.unmatched_amount,
        )
        self._message_log(body=Markup("<p>%s</p>") % summary)
        if unmatched and account.user_id:
            self.activity_schedule(
                "mail.mail_activity_data_warning",
                summary=_("Amazon settlement: amounts to review"),
                note=Markup("<ul>%s</ul>")
                % Markup("").join(
                    Markup("<li>%s %s: %s</li>")
                    % (line.order_ref or line.amount_description or "", line.amount, line.note)
                    for line in unmatched[:50]
                ),
                user_id=account.user_id.id,
            )
        return True

    def _match_group(self, order_ref, kind, amount):
        """(sale order, [(move, residual)] chosen, note) for an order's amounts."""
        self.ensure_one()
        order = self.env["sale.order"].search(
            [("amazon_account_id", "=", self.account_id.id), ("amazon_order_id", "=", order_ref)],
            limit=1,
        )
        if not order:
            return order, [], _("Amazon order %s is not in Odoo.", order_ref)
        currency = self.currency_id
        if order.currency_id != currency:
            return (
                order,
                [],
                _(
                    "%(order)s is in %(order_currency)s, the settlement in %(currency)s.",
                    order=order.name,
                    order_currency=order.currency_id.name,
                    currency=currency.name,
                ),
            )
        move_type = "out_invoice" if kind == "order" else "out_refund"
        candidates = self._open_moves(order, move_type)
        chosen = _match_candidates(candidates, amount, currency)
        if not chosen and kind == "order" and order.invoice_status == "to invoice":
            self._invoice_order(order)
            candidates = self._open_moves(order, move_type)
            chosen = _match_candidates(candidates, amount, currency)
        if chosen:
            return order, chosen, False
        what = _("invoices") if kind == "order" else _("credit notes")
        if not candidates:
            return order, [], _("%(order)s has no open %(what)s.", order=order.name, what=what)
        return (
            order,
            [],
            _(
                "Amazon settled %(amount)s, the open %(what)s of %(order)s amount to %(open)s.",
                amount=amount,
                what=what,
                order=order.name,
                open=currency.round(sum(residual for _move, residual in candidates)),
            ),
        )

    @api.model
    def _open_moves(self, order, move_type):
        """[(move, signed open receivable in the move's currency)] of the order, oldest first."""
        moves = order.invoice_ids
        if move_type == "out_refund":
            moves |= self.env["account.move"].search(
                [("reversed_entry_id", "in", order.invoice_ids.ids)]
            )
        result = []
        for move in moves.filtered(
            lambda m: (
                m.move_type == move_type
                and m.state == "posted"
                and m.currency_id == order.currency_id
            )
        ).sorted(lambda m: (m.invoice_date or m.date, m.id)):
            receivables = move.line_ids.filtered(
                lambda aml: aml.account_id.account_type == "asset_receivable" and not aml.reconciled
            )
            residual = sum(receivables.mapped("amount_residual_currency"))
            if not move.currency_id.is_zero(residual):
                result.append((move, residual))
        return result

    @api.model
    def _invoice_order(self, order):
        """Invoice what the order's invoicing policy allows, and post it."""
        try:
            with self.env.cr.savepoint():
                invoices = order.with_company(order.company_id)._create_invoices()
                invoices.action_post()
        except UserError as error:
            _logger.info("Amazon settlement: %s cannot be invoiced: %s", order.name, error)
            return self.env["account.move"]
        order.message_post(
            body=_("Invoiced for the Amazon settlement: %s", ", ".join(invoices.mapped("name")))
        )
        return invoices

    def _create_move(self, journal, entries):
        """The settlement's journal entry: ``entries`` then the deposit, balanced."""
        self.ensure_one()
        company = self.company_id
        currency = self.currency_id
        date = (self.deposit_date or self.end_date or fields.Datetime.now()).date()
        total = sum(entry["amount"] for entry in entries)
        deposit_amount = currency.round(-total)
        if not currency.is_zero(deposit_amount - self.total_amount):
            raise UserError(
                _(
                    "The settlement's amounts (%(amounts)s) do not add up to its deposit "
                    "(%(total)s).",
                    amounts=deposit_amount,
                    total=self.total_amount,
                )
            )
        commands = []
        balance_sum = 0.0
        all_entries = [
            *entries,
            {
                "name": _("Amazon deposit %s", self.settlement_id),
                "account": journal.default_account_id,
                "amount": deposit_amount,
            },
        ]
        for position, entry in enumerate(all_entries):
            amount = currency.round(entry["amount"])
            if position == len(all_entries) - 1:
                balance = company.currency_id.round(-balance_sum)
            elif currency == company.currency_id:
                balance = amount
            else:
                balance = currency._convert(amount, company.currency_id, company, date)
            balance_sum += balance
            commands.append(
                Command.create(
                    {
                        "name": entry["name"],
                        "account_id": entry["account"].id,
                        "partner_id": (entry.get("partner") and entry["partner"].id) or False,
                        "currency_id": currency.id,
                        "amount_currency": amount,
                        "balance": balance,
                    }
                )
            )
        move = (
            self.env["account.move"]
            .with_company(company)
            .create(
                {
                    "move_type": "entry",
                    "journal_id": journal.id,
                    "date": date,
                    "ref": _("Amazon settlement %s", self.settlement_id),
                    "line_ids": commands,
                }
            )
        )
        move.action_post()
        return move

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
            return self.account_id._call("GetReport", report_id=self.report_id).body
        except AmazonQuotaWait as wait:
            raise UserError(
                _("Amazon's quota is used up: try again in %s seconds.", int(wait.wait) + 1)
            ) from None
        except MwsCallError as error:
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


class AmazonAccount(models.Model):
    _inherit = "amazon.account"

    settlement_journal_id = fields.Many2one(
        "account.journal",
        string="Settlement Journal",
        domain="[('type', '=', 'bank'), ('company_id', '=', company_id)]",
        help="Bank journal the settlements are booked in (its account receives the deposits). "
        'A journal "Amazon" is created on first use when empty.',
    )
    settlement_fee_account_id = fields.Many2one(
        "account.account",
        string="Fee Account",
        domain="[('account_type', 'in', ('expense', 'expense_direct_cost'))]",
        check_company=True,
        help="Amazon's fees (commission, FBA, subscription ...). When empty: the expense "
        "account of the product category All, set here on first use.",
    )
    settlement_withheld_account_id = fields.Many2one(
        "account.account",
        string="Withheld Tax Account",
        check_company=True,
        help="Tax Amazon collects and remits itself (marketplace facilitator tax). "
        "When empty: the fee account.",
    )
    settlement_suspense_account_id = fields.Many2one(
        "account.account",
        string="Suspense Account",
        check_company=True,
        help="Amounts that match no invoice, for review. When empty: the company's bank "
        "suspense account.",
    )
    settlement_auto_reconcile = fields.Boolean(
        "Reconcile Settlements Automatically",
        default=True,
        help="Book and reconcile each settlement as soon as it is downloaded.",
    )
    settlement_checkpoint = fields.Datetime(
        "Settlements Listed Until",
        readonly=True,
        copy=False,
        help="Publication date of the last settlement report imported: the next run lists "
        "the reports published since.",
    )
    settlement_next_check = fields.Datetime(
        "Next Settlement Check",
        readonly=True,
        copy=False,
        help="The settlement reports are listed again from then on (hourly).",
    )
    settlement_ids = fields.One2many("amazon.settlement", "account_id", readonly=True)
    settlement_count = fields.Integer(compute="_compute_settlement_count")

    def _compute_settlement_count(self):
        counts = dict(
            self.env["amazon.settlement"]._read_group(
                [("account_id", "in", self.ids)], ["account_id"], ["__count"]
            )
        )
        for account in self:
            account.settlement_count = counts.get(account, 0)

    def action_open_settlements(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "amazon_integration.amazon_settlement_action"
        )
        action["domain"] = [("account_id", "=", self.id)]
        action["context"] = {"default_account_id": self.id}
        return action

    # ------------------------------------------------------------------ accounting settings

    def _amazon_settlement_journal(self, currency):
        """The settlement journal, created on first use; it must take ``currency``."""
        self.ensure_one()
        journal = self.settlement_journal_id
        if not journal:
            Journal = self.env["account.journal"].with_company(self.company_id)
            code, number = "AMZN", 1
            while Journal.search_count(
                [("code", "=", code), ("company_id", "=", self.company_id.id)]
            ):
                number += 1
                code = f"AMZ{number}"
            journal = Journal.create(
                {
                    "name": _("Amazon"),
                    "code": code,
                    "type": "bank",
                    "company_id": self.company_id.id,
                }
            )
            self.settlement_journal_id = journal
            self._message_log(body=_("Settlement journal %s created.", journal.display_name))
        if journal.currency_id and journal.currency_id != currency:
            raise UserError(
                _(
                    "The settlement is in %(currency)s, the journal %(journal)s in "
                    "%(journal_currency)s: choose a journal in %(currency)s or without "
                    "currency on the account %(account)s.",
                    currency=currency.name,
                    journal=journal.display_name,
                    journal_currency=journal.currency_id.name,
                    account=self.name,
                )
            )
        if not journal.default_account_id:
            raise UserError(_("The journal %s has no default account.", journal.display_name))
        return journal

    def _amazon_fee_account(self):
        self.ensure_one()
        account = self.settlement_fee_account_id
        if account:
            return account
        company = self.company_id
        category = self.env.ref("product.product_category_all", raise_if_not_found=False)
        if category:
            account = category.with_company(company).property_account_expense_categ_id
        if not account:
            account = self.env["account.account"].search(
                [
                    *self.env["account.account"]._check_company_domain(company),
                    ("account_type", "=", "expense"),
                ],
                limit=1,
            )
        if not account:
            raise UserError(_("Set the fee account of the Amazon account %s.", self.name))
        self.settlement_fee_account_id = account
        self._message_log(body=_("Fee account set to %s.", account.display_name))
        return account

    def _amazon_suspense_account(self):
        self.ensure_one()
        account = (
            self.settlement_suspense_account_id
            or self.company_id.account_journal_suspense_account_id
        )
        if not account:
            raise UserError(_("Set the suspense account of the Amazon account %s.", self.name))
        return account

    # ------------------------------------------------------------------ download

    def _settlement_list_reports(self):
        """([ReportInfo] of settlement reports since the checkpoint, whether the list is
        complete, error texts). Paging stops at the quota or an error."""
        self.ensure_one()
        params = {"types": [SETTLEMENT_REPORT_TYPE], "max_count": str(LIST_PAGE_SIZE)}
        if self.settlement_checkpoint:
            params["fromdate"] = self.settlement_checkpoint.strftime("%Y-%m-%dT%H:%M:%SZ")
        reports, errors = [], []
        restarted = False
        operation, kwargs = "GetReportList", params
        while True:
            try:
                reply = self._call(operation, **kwargs)
                page = parse_report_list(reply.body)
            except AmazonQuotaWait as wait:
                _logger.info("Amazon account %s: %s", self.name, wait)
                return reports, False, errors
            except MwsCallError as error:
                if error.kind == "restart_paging" and not restarted:
                    restarted = True
                    reports, operation, kwargs = [], "GetReportList", params
                    continue
                errors.append(_("Settlement reports: %s", self._explain_error(error)))
                return reports, False, errors
            except ResponseParseError as error:
                errors.append(_("Settlement reports: unreadable report list (%s)", error))
                return reports, False, errors
            reports.extend(
                r for r in page.reports if r.report_type in (None, SETTLEMENT_REPORT_TYPE)
            )
            if not (page.has_next and page.next_token):
                return reports, True, errors
            operation, kwargs = "GetReportListByNextToken", {"next_token": page.next_token}

    def _settlement_step(self, auto_commit=False, force=False):
        """Download the new settlement reports, store and (when set) reconcile them.

        Lists the reports hourly at most (``force`` lists now). Stops quietly when the quota
        is used up (the next run continues). Returns the error texts for the caller's digest."""
        self.ensure_one()
        Settlement = self.env["amazon.settlement"]
        now = fields.Datetime.now()
        if not force and self.settlement_next_check and self.settlement_next_check > now:
            return []
        reports, complete, errors = self._settlement_list_reports()
        if complete or errors:  # after a quota wait: again on the next run
            self.settlement_next_check = now + timedelta(seconds=self._real_delay(LIST_INTERVAL))
        known = set(
            Settlement.search(
                [
                    ("account_id", "=", self.id),
                    ("report_id", "in", [r.report_id for r in reports]),
                ]
            ).mapped("report_id")
        )
        blocked = not complete  # the checkpoint only moves over an unbroken run of reports
        reports.sort(key=lambda r: (_naive_utc(r.available_date) or now, r.report_id))
        for report in reports:
            if report.report_id not in known:
                try:
                    body = self._call("GetReport", report_id=report.report_id).body
                except AmazonQuotaWait as wait:
                    _logger.info("Amazon account %s: %s", self.name, wait)
                    break
                except MwsCallError as error:
                    errors.append(
                        _(
                            "Settlement report %(report)s: %(error)s",
                            report=report.report_id,
                            error=self._explain_error(error),
                        )
                    )
                    blocked = True
                    if error.retryable:
                        break
                    continue
                settlement = Settlement._import_report(
                    self, report.report_id, body, report.available_date
                )
                known.add(report.report_id)
                if settlement.state == "error":
                    errors.append(f"{settlement.name}: {settlement.error_message}")
            if not blocked and report.available_date:
                checkpoint = _naive_utc(report.available_date)
                if not self.settlement_checkpoint or checkpoint > self.settlement_checkpoint:
                    self.settlement_checkpoint = checkpoint
            if auto_commit:
                self.env.cr.commit()  # pylint: disable=invalid-commit
        if self.settlement_auto_reconcile:
            pending = Settlement.search(
                [("account_id", "=", self.id), ("state", "=", "imported")], order="end_date, id"
            )
            for settlement in pending:
                errors += settlement._reconcile_safe()
                if auto_commit:
                    self.env.cr.commit()  # pylint: disable=invalid-commit
        return errors

    def action_download_settlements(self):
        """Button: download (and reconcile) the new settlements, queued for the cron."""
        self.ensure_one()
        self._check_can_act()
        return self._queue_request(
            "settlements",
            _("Settlements"),
            _("The new settlements of %s are downloaded in the background.", self.name),
        )
