from odoo import models

from .capture import capture_enabled, get_buffer


class SaleOrder(models.Model):
    _inherit = "sale.order"

    def _action_cancel(self):
        res = super()._action_cancel()
        if capture_enabled(self.env):
            buffer = get_buffer(self.env)
            for order in self.filtered(lambda o: o.state == "cancel"):
                buffer.add_order_event("sale.order", order.id, "cancellation", order.id)
        return res

    def _integration_cancel_data(self):
        self.ensure_one()
        shipped = self.picking_ids.filtered(
            lambda p: p.state == "done" and p.picking_type_code == "outgoing"
        )
        return {
            "order_id": self.id,
            "order_name": self.name,
            "client_order_ref": self.client_order_ref or False,
            "origin": self.origin or False,
            "state": self.state,
            "shipped": bool(shipped),
        }
