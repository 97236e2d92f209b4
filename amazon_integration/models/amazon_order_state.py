"""Where an account's order import stands: runtime state, apart from the configuration.

One record per account: the checkpoints of each path (the Orders API listing, the order
reports, the update reports), the listing in progress, the manual download range, the path
the automatic mode is on and the volumes it decides with. The account shows them as its
own fields (computed, written through), so the cron's frequent writes land on this row and
never on the account a person may be editing.
"""

from odoo import api, fields, models

#: account field -> state field
STATE_FIELDS = {
    "order_auto_path": "auto_path",
    "order_checkpoint": "checkpoint",
    "order_report_checkpoint": "report_checkpoint",
    "order_update_checkpoint": "update_checkpoint",
    "order_listing_state": "listing_state",
    "order_download_from": "download_from",
    "order_download_to": "download_to",
    "order_last_found": "last_found",
    "order_last_listed": "last_listed",
    "order_last_summary": "last_summary",
}


class AmazonOrderState(models.Model):
    _name = "amazon.order.state"
    _description = "Amazon Order Import State"
    _rec_name = "account_id"

    account_id = fields.Many2one("amazon.account", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="account_id.company_id", store=True, index=True)
    auto_path = fields.Selection([("api", "Orders API"), ("report", "Order reports")])
    checkpoint = fields.Datetime()
    report_checkpoint = fields.Datetime()
    update_checkpoint = fields.Datetime()
    listing_state = fields.Json()
    download_from = fields.Datetime()
    download_to = fields.Datetime()
    last_found = fields.Integer()
    last_listed = fields.Integer()
    last_summary = fields.Char()

    _sql_constraints = [
        ("account_unique", "unique(account_id)", "One order import state per account."),
    ]


class AmazonAccount(models.Model):
    _inherit = "amazon.account"

    order_state_ids = fields.One2many("amazon.order.state", "account_id", readonly=True)

    @api.depends(*(f"order_state_ids.{name}" for name in STATE_FIELDS.values()))
    def _compute_order_state(self):
        for account in self:
            state = account.order_state_ids[:1]
            for name, state_name in STATE_FIELDS.items():
                value = state[state_name] if state else False
                if name == "order_auto_path":
                    value = value or "api"
                account[name] = value

    def _inverse_order_state(self):
        for account in self:
            values = {
                state_name: account[name] or False for name, state_name in STATE_FIELDS.items()
            }
            state = account.sudo().order_state_ids[:1]
            if state:
                changed = {k: v for k, v in values.items() if state[k] != v}
                if changed:
                    state.write(changed)
            else:
                self.env["amazon.order.state"].sudo().create({"account_id": account.id, **values})
