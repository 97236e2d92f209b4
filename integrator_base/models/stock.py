from odoo import api, models

from .capture import capture_enabled, get_buffer


class StockQuant(models.Model):
    _inherit = "stock.quant"

    # Every change of on-hand or reserved quantity goes through these two methods (done moves,
    # inventory adjustments, reservations and unreservations), never through product.write.

    @api.model
    def _update_available_quantity(self, product_id, location_id, *args, **kwargs):
        res = super()._update_available_quantity(product_id, location_id, *args, **kwargs)
        self._integration_stock_changed(product_id, location_id)
        return res

    @api.model
    def _update_reserved_quantity(self, product_id, location_id, *args, **kwargs):
        res = super()._update_reserved_quantity(product_id, location_id, *args, **kwargs)
        self._integration_stock_changed(product_id, location_id)
        return res

    @api.model
    def _integration_stock_changed(self, product, location):
        if location.usage == "internal" and product.is_storable and capture_enabled(self.env):
            get_buffer(self.env).add_stock(product.ids)


class StockPicking(models.Model):
    _inherit = "stock.picking"

    def _integration_sale_deliveries(self):
        return self.filtered(
            lambda p: p.state == "done" and p.picking_type_code == "outgoing" and p.sale_id
        )

    def _action_done(self):
        res = super()._action_done()
        if capture_enabled(self.env):
            buffer = get_buffer(self.env)
            for picking in self._integration_sale_deliveries():
                buffer.add_order_event("stock.picking", picking.id, "shipped", picking.sale_id.id)
        return res

    def write(self, vals):
        res = super().write(vals)
        if "carrier_tracking_ref" in vals and capture_enabled(self.env):
            buffer = get_buffer(self.env)
            for picking in self._integration_sale_deliveries():
                buffer.add_order_event("stock.picking", picking.id, "tracking", picking.sale_id.id)
        return res

    def _integration_shipment_data(self):
        """A delivery of a sale order, as a site needs it to confirm the shipment."""
        self.ensure_one()
        lines = []
        for move in self.move_ids.filtered(lambda m: m.state == "done" and m.quantity):
            lines.append(
                {
                    "move_id": move.id,
                    "sale_line_id": move.sale_line_id.id or False,
                    "product_id": move.product_id.id,
                    "default_code": move.product_id.default_code or False,
                    "quantity": move.product_uom._compute_quantity(
                        move.quantity, move.product_id.uom_id
                    ),
                }
            )
        carrier = self.carrier_id
        return {
            "picking_id": self.id,
            "picking_name": self.name,
            "order_id": self.sale_id.id,
            "order_name": self.sale_id.name,
            "client_order_ref": self.sale_id.client_order_ref or False,
            "date_done": self.date_done and self.date_done.isoformat(),
            "carrier_id": carrier.id or False,
            "carrier_name": carrier.name or False,
            "carrier_delivery_type": carrier.delivery_type or False,
            "tracking_ref": self.carrier_tracking_ref or False,
            "is_return": bool(self.return_id),
            "lines": lines,
        }
