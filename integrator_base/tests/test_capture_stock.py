from odoo.tests import tagged

from .common import IntegratorCase


@tagged("post_install", "-at_install")
class TestCaptureStock(IntegratorCase):
    def test_inventory_adjustment_is_a_stock_row(self):
        product = self.create_product(default_code="STK-1")
        self.flush_capture()
        quant = (
            self.env["stock.quant"]
            .with_context(inventory_mode=True)
            .create(
                {
                    "product_id": product.id,
                    "location_id": self.stock_location.id,
                    "inventory_quantity": 7,
                }
            )
        )
        quant.action_apply_inventory()
        self.flush_capture()
        rows = self.product_rows(product, "stock")
        self.assertEqual(len(rows), 1)
        self.assertEqual(rows.operation_data, {"id": product.id, "default_code": "STK-1"})
        self.assertEqual(product.qty_available, 7)

    def test_reservation_and_delivery_are_stock_rows(self):
        product = self.create_product()
        self.set_stock(product, 5)
        self.flush_capture()
        self.assertEqual(len(self.product_rows(product, "stock")), 1)

        picking = self.env["stock.picking"].create(
            {
                "picking_type_id": self.warehouse.out_type_id.id,
                "location_id": self.stock_location.id,
                "location_dest_id": self.customer_location.id,
                "move_ids": [
                    (
                        0,
                        0,
                        {
                            "name": product.name,
                            "product_id": product.id,
                            "product_uom_qty": 2,
                            "product_uom": product.uom_id.id,
                            "location_id": self.stock_location.id,
                            "location_dest_id": self.customer_location.id,
                        },
                    )
                ],
            }
        )
        picking.action_confirm()
        picking.action_assign()
        self.flush_capture()
        # the reservation changed the quantity available to sell
        self.assertEqual(len(self.product_rows(product, "stock")), 2)
        self.assertEqual(product.free_qty, 3)

        picking.button_validate()
        self.flush_capture()
        self.assertEqual(len(self.product_rows(product, "stock")), 3)
        self.assertEqual(product.qty_available, 3)

    def test_many_moves_one_row_per_product_per_transaction(self):
        product = self.create_product()
        for _i in range(5):
            self.set_stock(product, 1)
        self.flush_capture()
        self.assertEqual(len(self.product_rows(product, "stock")), 1)

    def test_non_storable_products_have_no_stock_rows(self):
        product = self.create_product(storable=False)
        self.flush_capture()
        picking = self.env["stock.picking"].create(
            {
                "picking_type_id": self.warehouse.out_type_id.id,
                "location_id": self.stock_location.id,
                "location_dest_id": self.customer_location.id,
                "move_ids": [
                    (
                        0,
                        0,
                        {
                            "name": product.name,
                            "product_id": product.id,
                            "product_uom_qty": 1,
                            "product_uom": product.uom_id.id,
                            "location_id": self.stock_location.id,
                            "location_dest_id": self.customer_location.id,
                        },
                    )
                ],
            }
        )
        picking.action_confirm()
        picking.move_ids.quantity = 1
        picking.move_ids.picked = True
        picking.button_validate()
        self.assertEqual(picking.state, "done")
        self.flush_capture()
        self.assertFalse(self.product_rows(product, "stock"))
