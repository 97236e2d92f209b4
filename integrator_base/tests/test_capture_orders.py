from odoo.tests import Form, tagged

from .common import IntegratorCase


@tagged("post_install", "-at_install")
class TestCaptureOrders(IntegratorCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.product = cls.env["product.product"].create(
            {
                "name": "Lamp",
                "type": "consu",
                "is_storable": True,
                "default_code": "LAMP-1",
                "list_price": 10.0,
                "invoice_policy": "order",
            }
        )
        cls.env["stock.quant"]._update_available_quantity(cls.product, cls.stock_location, 20)
        cls.carrier = cls.env["delivery.carrier"].create(
            {
                "name": "Fast Parcel",
                "product_id": cls.env["product.product"]
                .create({"name": "Shipping", "type": "service"})
                .id,
            }
        )
        cls.env.cr.precommit.run()

    def create_order(self, quantity=3):
        order = self.env["sale.order"].create(
            {
                "partner_id": self.partner.id,
                "client_order_ref": "AMZ-REF-1",
                "order_line": [
                    (0, 0, {"product_id": self.product.id, "product_uom_qty": quantity})
                ],
            }
        )
        order.action_confirm()
        return order

    def deliver(self, picking, quantity, tracking=None):
        picking.carrier_id = self.carrier
        if tracking:
            picking.carrier_tracking_ref = tracking
        picking.move_ids.quantity = quantity
        picking.move_ids.picked = True
        res = picking.button_validate()
        if isinstance(res, dict) and res.get("res_model") == "stock.backorder.confirmation":
            Form(
                self.env["stock.backorder.confirmation"].with_context(res["context"])
            ).save().process()

    def test_delivery_done_with_tracking(self):
        order = self.create_order()
        self.flush_capture()
        self.deliver(order.picking_ids, 3, tracking="1Z999")
        self.flush_capture()
        rows = self.order_rows(order)
        self.assertEqual(rows.mapped("record_operation"), ["shipped"])
        data = rows.operation_data
        self.assertEqual(data["tracking_ref"], "1Z999")
        self.assertEqual(data["carrier_name"], "Fast Parcel")
        self.assertEqual(data["client_order_ref"], "AMZ-REF-1")
        self.assertEqual(len(data["lines"]), 1)
        self.assertEqual(data["lines"][0]["quantity"], 3)
        self.assertEqual(data["lines"][0]["default_code"], "LAMP-1")
        self.assertEqual(data["lines"][0]["sale_line_id"], order.order_line.id)
        self.assertEqual(rows.res_model, "stock.picking")
        self.assertEqual(rows.company_id, order.company_id)

    def test_partial_delivery_reports_shipped_quantities(self):
        order = self.create_order(quantity=3)
        self.deliver(order.picking_ids, 1)
        self.flush_capture()
        rows = self.order_rows(order, "shipped")
        self.assertEqual(len(rows), 1)
        self.assertEqual(rows.operation_data["lines"][0]["quantity"], 1)
        backorder = order.picking_ids.filtered(lambda p: p.state != "done")
        self.assertTrue(backorder)
        self.deliver(backorder, 2)
        self.flush_capture()
        rows = self.order_rows(order, "shipped")
        self.assertEqual(len(rows), 2)
        self.assertEqual(rows[-1].operation_data["lines"][0]["quantity"], 2)

    def test_tracking_number_added_after_delivery(self):
        order = self.create_order()
        self.deliver(order.picking_ids, 3)
        self.flush_capture()
        order.picking_ids.carrier_tracking_ref = "TRACK-LATE"
        self.flush_capture()
        row = self.order_rows(order, "tracking")
        self.assertEqual(len(row), 1)
        self.assertEqual(row.operation_data["tracking_ref"], "TRACK-LATE")

    def test_cancellation(self):
        order = self.create_order()
        self.flush_capture()
        order.with_context(disable_cancel_warning=True).action_cancel()
        self.flush_capture()
        row = self.order_rows(order, "cancellation")
        self.assertEqual(len(row), 1)
        self.assertEqual(row.operation_data["state"], "cancel")
        self.assertFalse(row.operation_data["shipped"])

    def test_refund_posted(self):
        order = self.create_order(quantity=2)
        invoice = order._create_invoices()
        invoice.action_post()
        self.flush_capture()
        reversal = (
            self.env["account.move.reversal"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create({"reason": "Damaged", "journal_id": invoice.journal_id.id})
        )
        reversal.refund_moves()
        credit_note = order.invoice_ids.filtered(lambda m: m.move_type == "out_refund")
        self.assertTrue(credit_note)
        self.flush_capture()
        self.assertFalse(self.order_rows(order, "refund"), "a draft credit note is no refund yet")
        credit_note.action_post()
        self.flush_capture()
        row = self.order_rows(order, "refund")
        self.assertEqual(len(row), 1)
        data = row.operation_data
        self.assertEqual(data["move_id"], credit_note.id)
        self.assertAlmostEqual(data["amount_total"], credit_note.amount_total)
        self.assertEqual(data["lines"][0]["quantity"], 2)
        self.assertEqual(data["lines"][0]["sale_line_id"], order.order_line.id)

    def test_capture_off_for_site_imports(self):
        order = self.create_order()
        self.flush_capture()
        order.with_context(integrator_no_capture=True, disable_cancel_warning=True).action_cancel()
        self.flush_capture()
        self.assertFalse(self.order_rows(order))
