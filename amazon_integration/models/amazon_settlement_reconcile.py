"""Settlements: ``amazon.settlement._reconcile()`` books one journal entry per settlement.

The entry goes to the account's Amazon journal: what Amazon collected for each order credits
the receivable of the order's invoices (created and posted first when the order is invoiceable
and has none), refunds debit the receivable of the order's credit notes, fees go to the fee
account, what matches nothing to the suspense account, and the deposit to the journal's
account. Receivables are reconciled, so the invoices are paid.
"""

import logging
from collections import defaultdict

from markupsafe import Markup

from odoo import Command, _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, float_is_zero

from ..lib.settlement import match_candidates

_logger = logging.getLogger(__name__)


class AmazonSettlement(models.Model):
    _inherit = "amazon.settlement"

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
        withheld_account = account._amazon_withheld_account(fee_account)
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
                note = _("No order: booked to the suspense account for review.")
                if line.order_ref:
                    note = _(
                        "Not a payment of Amazon order %s: booked to the suspense account for "
                        "review.",
                        line.order_ref,
                    )
                line.write({"state": "unmatched", "account_id": suspense.id, "note": note})
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
        if unmatched:
            account._warn(
                self,
                _("Amazon settlement: amounts to review"),
                Markup("<ul>%s</ul>")
                % Markup("").join(
                    Markup("<li>%s %s: %s</li>")
                    % (line.order_ref or line.amount_description or "", line.amount, line.note)
                    for line in unmatched[:50]
                ),
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
        chosen = match_candidates(candidates, amount, currency.round)
        if not chosen and kind == "order" and order.invoice_status == "to invoice":
            self._invoice_order(order)
            candidates = self._open_moves(order, move_type)
            chosen = match_candidates(candidates, amount, currency.round)
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
