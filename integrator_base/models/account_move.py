from odoo import models

from .capture import capture_enabled, get_buffer


class AccountMove(models.Model):
    _inherit = "account.move"

    def _integration_refund_orders(self):
        """Sale orders this posted credit note refunds."""
        self.ensure_one()
        if self.move_type != "out_refund" or self.state != "posted":
            return self.env["sale.order"]
        return self.invoice_line_ids.sale_line_ids.order_id

    def _post(self, soft=True):
        posted = super()._post(soft=soft)
        if capture_enabled(self.env):
            buffer = get_buffer(self.env)
            for move in posted.filtered(lambda m: m.move_type == "out_refund"):
                for order in move._integration_refund_orders():
                    buffer.add_order_event("account.move", move.id, "refund", order.id)
        return posted

    def _integration_refund_data(self, order):
        """This credit note's lines for ``order``, as a site needs them to refund the buyer."""
        self.ensure_one()
        lines = []
        for line in self.invoice_line_ids.filtered(lambda aml: order in aml.sale_line_ids.order_id):
            lines.append(
                {
                    "sale_line_id": line.sale_line_ids[:1].id,
                    "product_id": line.product_id.id or False,
                    "default_code": line.product_id.default_code or False,
                    "quantity": line.quantity,
                    "price_unit": line.price_unit,
                    "price_subtotal": line.price_subtotal,
                    "price_total": line.price_total,
                    "tax_amount": line.price_total - line.price_subtotal,
                }
            )
        return {
            "move_id": self.id,
            "move_name": self.name,
            "order_id": order.id,
            "order_name": order.name,
            "client_order_ref": order.client_order_ref or False,
            "reversed_entry_id": self.reversed_entry_id.id or False,
            "reason": self.ref or False,
            "currency": self.currency_id.name,
            "amount_untaxed": self.amount_untaxed,
            "amount_tax": self.amount_tax,
            "amount_total": self.amount_total,
            "invoice_date": self.invoice_date and self.invoice_date.isoformat(),
            "lines": lines,
        }
