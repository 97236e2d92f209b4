"""Settlements, the account's side: its accounting settings and the download.

``amazon.account._settlement_step()`` (called by the cron, through ``_settlements_locked``)
lists the settlement reports (V2 flat file) published since the account's checkpoint,
downloads those not imported yet, stores each as an ``amazon.settlement``
(``amazon_settlement.py``) and, when the account says so, reconciles it
(``amazon_settlement_reconcile.py``).
"""

import logging
from datetime import timedelta

from odoo import _, fields, models
from odoo.exceptions import UserError

from ..lib import api as amazon
from ..lib.api import AmazonCallError
from ..lib.settlement import naive_utc
from .amazon_account import AmazonQuotaWait

_logger = logging.getLogger(__name__)

SETTLEMENT_REPORT = amazon.REPORT_SETTLEMENT
#: Seconds (on Amazon's clock) between two listings of settlement reports: Amazon publishes
#: one per period (two weeks), the GetReportList quota is shared with the order reports.
LIST_INTERVAL = 3600


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
        "When empty: the Amazon-collected tax account when the account's marketplace has "
        "Amazon collect the tax, else the fee account.",
    )
    amazon_collected_tax_account_id = fields.Many2one(
        "account.account",
        string="Amazon-Collected Tax Account",
        check_company=True,
        help="A clearing account for the tax Amazon collects and remits itself: the "
        "invoices of orders of such marketplaces book Amazon's tax line here (not revenue, "
        "not a tax owed), and the settlement's withheld tax clears it. When empty: an "
        "account 'Tax collected by Amazon' (code AMZTAX) is created on first use.",
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

    def _amazon_collected_tax_account(self):
        """The clearing account of the tax Amazon collects (created on first use)."""
        self.ensure_one()
        account = self.sudo().amazon_collected_tax_account_id
        if account:
            return account
        Account = self.env["account.account"].sudo().with_company(self.company_id)
        account = Account.search(
            [*Account._check_company_domain(self.company_id), ("code", "=", "AMZTAX")], limit=1
        ) or Account.create(
            {
                "name": _("Tax collected by Amazon (clearing)"),
                "code": "AMZTAX",
                "account_type": "liability_current",
                "company_ids": [fields.Command.set(self.company_id.ids)],
            }
        )
        self.sudo().amazon_collected_tax_account_id = account
        self._message_log(body=_("Amazon-collected tax account set to %s.", account.display_name))
        return account

    def _amazon_withheld_account(self, fee_account):
        """Where the withheld (marketplace facilitator) tax of a settlement goes."""
        self.ensure_one()
        if self.settlement_withheld_account_id:
            return self.settlement_withheld_account_id
        if self.marketplace_id.tax_collected_by_amazon:
            return self._amazon_collected_tax_account()
        return fee_account

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
        """([Report] of settlement reports since the checkpoint, whether the list is
        complete, error texts). Paging stops at the quota or an error."""
        self.ensure_one()
        reports_api = self._api().reports
        reports, errors = [], []
        restarted = False
        token = None
        while True:
            try:
                if token:
                    page = reports_api.next_available(token)
                else:
                    page = reports_api.available(SETTLEMENT_REPORT, self.settlement_checkpoint)
            except AmazonQuotaWait as wait:
                _logger.info("Amazon account %s: %s", self.name, wait)
                return reports, False, errors
            except AmazonCallError as error:
                if error.kind == "restart_paging" and not restarted:
                    restarted = True
                    reports, token = [], None
                    continue
                errors.append(_("Settlement reports: %s", self._explain_error(error)))
                return reports, False, errors
            reports.extend(r for r in page.items if r.kind in (None, SETTLEMENT_REPORT))
            if not page.next_token:
                return reports, True, errors
            token = page.next_token

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
        reports.sort(key=lambda r: (naive_utc(r.available_at) or now, r.report_id))
        for report in reports:
            if report.report_id not in known:
                _logger.debug(
                    "Amazon account %s: downloading settlement report %s",
                    self.name,
                    report.report_id,
                )
                try:
                    body = self._api().reports.download(report.report_id)
                except AmazonQuotaWait as wait:
                    _logger.info("Amazon account %s: %s", self.name, wait)
                    break
                except AmazonCallError as error:
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
                    self, report.report_id, body, report.available_at
                )
                known.add(report.report_id)
                if settlement.state == "error":
                    errors.append(f"{settlement.name}: {settlement.error_message}")
            if not blocked and report.available_at:
                checkpoint = naive_utc(report.available_at)
                if not self.settlement_checkpoint or checkpoint > self.settlement_checkpoint:
                    self.settlement_checkpoint = checkpoint
            if auto_commit:
                self.env.cr.commit()  # pylint: disable=invalid-commit
            _logger.debug("Amazon account %s: report %s stored", self.name, report.report_id)
        if self.settlement_auto_reconcile:
            pending = Settlement.search(
                [("account_id", "=", self.id), ("state", "=", "imported")], order="end_date, id"
            )
            for settlement in pending:
                _logger.debug("Amazon account %s: reconciling %s", self.name, settlement.name)
                errors += settlement._reconcile_safe()
                if auto_commit:
                    self.env.cr.commit()  # pylint: disable=invalid-commit
                _logger.debug("Amazon account %s: %s reconciled", self.name, settlement.name)
        return errors

    def action_download_settlements(self):
        """Button: download (and reconcile) the new settlements, queued for the cron."""
        self.ensure_one()
        self._check_can_act()
        self._require("reports")
        return self._queue_request(
            "settlements",
            _("Settlements"),
            _("The new settlements of %s are downloaded in the background.", self.name),
        )
