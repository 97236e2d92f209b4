"""Manual "Download orders" for a date range (seed 002: the last 3 months by default).

Nothing is asked of Amazon in the user's transaction: the range is recorded on the account
and the synchronisation cron is triggered; its next run imports the range (an order report
for ranges over a day, else ListOrders by creation date).
"""

from dateutil.relativedelta import relativedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError


class AmazonOrderDownload(models.TransientModel):
    _name = "amazon.order.download"
    _description = "Download Amazon Orders"

    account_id = fields.Many2one(
        "amazon.account",
        string="Account",
        required=True,
        default=lambda self: self._default_account(),
    )
    date_from = fields.Datetime(
        "From",
        required=True,
        default=lambda self: fields.Datetime.now() - relativedelta(months=3),
    )
    date_to = fields.Datetime("To", required=True, default=fields.Datetime.now)

    @api.model
    def _default_account(self):
        if self.env.context.get("active_model") == "amazon.account":
            return self.env.context.get("active_id")
        return self.env["amazon.account"].search(
            [("company_id", "=", self.env.company.id), ("active", "=", True)], limit=1
        )

    def action_download(self):
        """Queue the download for the synchronisation cron: Integration Managers, for the
        accounts of their companies."""
        self.ensure_one()
        account = self.account_id
        account._check_can_act()
        if self.date_from >= self.date_to:
            raise UserError(_("The start of the range must come before its end."))
        date_to = min(self.date_to, fields.Datetime.now())
        pending = self.env["amazon.sync.request"].search_count(
            [("account_id", "=", account.id), ("job", "=", "download_orders")]
        )
        if account.order_download_from or pending:
            raise UserError(
                _(
                    "A download of %(account)s is already under way (%(start)s – %(end)s).",
                    account=account.name,
                    start=account.order_download_from or self.date_from,
                    end=account.order_download_to or date_to,
                )
            )
        self.env["amazon.sync.request"]._request(
            account,
            "download_orders",
            payload={
                "date_from": fields.Datetime.to_string(self.date_from),
                "date_to": fields.Datetime.to_string(date_to),
            },
        )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": _("Download orders"),
                "message": _(
                    "The orders of %(account)s from %(start)s to %(end)s are downloaded in the "
                    "background.",
                    account=account.name,
                    start=self.date_from,
                    end=date_to,
                ),
                "type": "success",
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
