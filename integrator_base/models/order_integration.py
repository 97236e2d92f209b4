from odoo import api, fields, models

ORDER_OPERATIONS = [
    ("shipped", "Shipped"),
    ("tracking", "Tracking Number"),
    ("cancellation", "Cancellation"),
    ("refund", "Refund"),
]

# source model of each operation, and how to build its data from the source record
_PAYLOADS = {
    "shipped": lambda rec, order: rec._integration_shipment_data(),
    "tracking": lambda rec, order: rec._integration_shipment_data(),
    "cancellation": lambda rec, order: rec._integration_cancel_data(),
    "refund": lambda rec, order: rec._integration_refund_data(order),
}


class OrderIntegration(models.Model):
    """One row per order event: a delivery done, a tracking number, a cancellation, a refund."""

    _name = "order.integration"
    _inherit = ["integration.event.mixin"]
    _description = "Order Integration"
    _log_access = False  # who and when: user_id, operation_timestamp (see the mixin)

    sale_order_id = fields.Many2one(
        "sale.order", string="Sale Order", index=True, ondelete="set null", readonly=True
    )
    order_name = fields.Char("Order Reference", index=True, readonly=True)

    @api.model
    def _operation_selection(self):
        return ORDER_OPERATIONS

    @api.depends("record_operation", "res_model", "res_id", "sale_order_id", "order_name")
    def _compute_display_name(self):
        return super()._compute_display_name()

    def _subject_name(self):
        return self.order_name or self.sale_order_id.name

    @api.model
    def _event_values(self, model, res_id, operation, order, **extra):
        record = self.env[model].browse(res_id)
        return {
            "res_model": model,
            "res_id": res_id,
            "sale_order_id": order.id,
            "order_name": order.name,
            "company_id": order.company_id.id,
            "record_operation": operation,
            "operation_data": _PAYLOADS[operation](record, order),
            **extra,
        }

    @api.model
    def _write_captured_orders(self, buffer):
        events = buffer.orders
        vals_list = []
        for (model, res_id, operation), order_id in events.items():
            if operation == "tracking" and (model, res_id, "shipped") in events:
                continue  # the shipment row carries the tracking number already
            order = self.env["sale.order"].browse(order_id).exists()
            if order and self.env[model].browse(res_id).exists():
                vals_list.append(self._event_values(model, res_id, operation, order))
        if vals_list:
            self.create(vals_list)

    @api.model
    def _manual_sync_orders(self, orders, site=None, batch_size=500):
        """Manual mode: the current shipment, cancellation and refund state of ``orders``.

        Returns the number of rows created. Orders are processed in batches so that a large
        history does not fill the ORM cache.
        """
        extra = {"manual": True, "site_id": site.id if site else False}
        count = 0
        for start in range(0, len(orders), batch_size):
            batch = orders[start : start + batch_size]
            vals_list = []
            for order in batch:
                if order.state == "cancel":
                    vals_list.append(
                        self._event_values("sale.order", order.id, "cancellation", order, **extra)
                    )
                for picking in order.picking_ids._integration_sale_deliveries():
                    vals_list.append(
                        self._event_values("stock.picking", picking.id, "shipped", order, **extra)
                    )
                refunds = order.invoice_ids.filtered(
                    lambda m: m.move_type == "out_refund" and m.state == "posted"
                )
                for refund in refunds:
                    vals_list.append(
                        self._event_values("account.move", refund.id, "refund", order, **extra)
                    )
            self.create(vals_list)
            count += len(vals_list)
            self.env.flush_all()
            self.env.invalidate_all()
        return count
