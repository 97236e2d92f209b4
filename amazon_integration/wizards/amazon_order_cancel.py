"""Cancelling an Amazon order: the person chooses the reason Amazon is told.

Amazon counts some reasons against the seller (NoInventory) and not others (a buyer's
request); the account's default reason is only a default. Odoo's own cancel wizard is not
shown for Amazon orders: it offers to e-mail the buyer, whose address is Amazon's
anonymised relay, which sellers must not write to outside Amazon's messaging.
"""

from odoo import api, fields, models

from ..models.amazon_order_feeds import CANCEL_REASONS


class AmazonOrderCancel(models.TransientModel):
    _name = "amazon.order.cancel"
    _description = "Cancel an Amazon Order"

    order_id = fields.Many2one("sale.order", required=True, ondelete="cascade")
    reason = fields.Selection(CANCEL_REASONS, string="Reason Sent to Amazon", required=True)

    @api.model
    def default_get(self, fields_list):
        res = super().default_get(fields_list)
        order = self.env["sale.order"].browse(res.get("order_id"))
        if order and "reason" in fields_list:
            res["reason"] = order.amazon_cancel_reason
        return res

    def action_confirm(self):
        self.ensure_one()
        order = self.order_id
        order.check_access("write")
        order.amazon_cancel_reason = self.reason
        return order.with_context(amazon_cancel_reason_set=True).action_cancel()
