from unittest.mock import patch

from odoo.sql_db import Cursor
from odoo.tests import tagged
from odoo.tools import SQL

from .common import IntegratorCase


@tagged("post_install", "-at_install")
class TestCaptureProducts(IntegratorCase):
    def test_template_create_is_one_create_row(self):
        # product.template.create() writes default_code/barcode on the new variant itself:
        # that write must fold into the create row, not add a second row.
        template = self.env["product.template"].create(
            {"name": "Kettle", "default_code": "KET-1", "barcode": "4006381333931"}
        )
        self.flush_capture()
        rows = self.product_rows(template.product_variant_ids)
        self.assertEqual(rows.mapped("record_operation"), ["create"])
        self.assertEqual(rows.default_code, "KET-1")
        self.assertEqual(rows.barcode, "4006381333931")
        self.assertEqual(rows.operation_data["default_code"], "KET-1")
        self.assertEqual(rows.product_tmpl_id, template)
        self.assertFalse(rows.manual)

    def test_write_records_new_values(self):
        product = self.create_product(default_code="W-1")
        self.flush_capture()
        product.write({"list_price": 12.5, "description_sale": "Sturdy"})
        self.flush_capture()
        row = self.product_rows(product, "write")
        self.assertEqual(len(row), 1)
        self.assertEqual(
            row.operation_data["values"], {"list_price": 12.5, "description_sale": "Sturdy"}
        )
        self.assertEqual(row.operation_data["default_code"], "W-1")
        # a name a person reads, not "Update product.product,58"
        self.assertEqual(row.display_name, f"Update: {product.display_name}")

    def test_two_writes_in_one_transaction_merge(self):
        product = self.create_product()
        self.flush_capture()
        product.list_price = 3.0
        product.default_code = "MERGED"
        self.flush_capture()
        row = self.product_rows(product, "write")
        self.assertEqual(len(row), 1)
        self.assertEqual(
            row.operation_data["values"], {"list_price": 3.0, "default_code": "MERGED"}
        )

    def test_batch_write_is_one_insert(self):
        products = self.env["product.product"].create(
            [{"name": f"Bulk {i}", "type": "consu"} for i in range(300)]
        )
        self.flush_capture()
        inserts = []
        execute = Cursor.execute

        def spy(cr, query, params=None, log_exceptions=True):
            code = query.code if isinstance(query, SQL) else str(query)
            if "INSERT INTO product_integration" in code:
                inserts.append(code)
            return execute(cr, query, params, log_exceptions)

        products.write({"list_price": 9.0})
        with patch.object(Cursor, "execute", spy):
            self.flush_capture()
        self.assertEqual(len(inserts), 1)
        rows = self.product_rows(products, "write")
        self.assertEqual(len(rows), 300)
        self.assertEqual(set(rows.mapped("product_id").ids), set(products.ids))

    def test_unwatched_fields_are_not_captured(self):
        product = self.create_product()
        self.flush_capture()
        product.product_tmpl_id.write({"activity_ids": []})
        self.flush_capture()
        self.assertFalse(self.product_rows(product, "write"))

    def test_binary_field_is_a_marker(self):
        product = self.create_product()
        self.flush_capture()
        # a 1x1 PNG
        png = (
            "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGA"
            "WjR9awAAAABJRU5ErkJggg=="
        )
        product.product_tmpl_id.image_1920 = png
        self.flush_capture()
        row = self.product_rows(product, "write")
        self.assertIs(row.operation_data["values"]["image_1920"], True)

    def test_variants(self):
        size = self.env["product.attribute"].create(
            {"name": "Size", "value_ids": [(0, 0, {"name": "S"}), (0, 0, {"name": "L"})]}
        )
        template = self.env["product.template"].create(
            {
                "name": "Shirt",
                "attribute_line_ids": [
                    (0, 0, {"attribute_id": size.id, "value_ids": [(6, 0, size.value_ids.ids)]})
                ],
            }
        )
        self.flush_capture()
        variants = template.product_variant_ids
        self.assertEqual(len(variants), 2)
        self.assertEqual(len(self.product_rows(variants, "create")), 2)

        # a template field: one row per variant
        template.list_price = 20.0
        self.flush_capture()
        self.assertEqual(len(self.product_rows(variants, "write")), 2)

        # a variant field: a row for that variant only
        variants[0].default_code = "SHIRT-S"
        self.flush_capture()
        rows = self.product_rows(variants, "write")
        self.assertEqual(len(rows), 3)
        self.assertEqual(rows[-1].product_id, variants[0])
        self.assertEqual(rows[-1].operation_data["values"], {"default_code": "SHIRT-S"})

    def test_unlink_keeps_sku(self):
        product = self.create_product(default_code="GONE-1", barcode="5901234123457")
        self.flush_capture()
        product_id = product.id
        product.product_tmpl_id.unlink()
        self.flush_capture()
        row = self.env["product.integration"].search(
            [("res_id", "=", product_id), ("record_operation", "=", "unlink")]
        )
        self.assertEqual(len(row), 1)
        self.assertFalse(row.product_id)
        self.assertEqual(row.default_code, "GONE-1")
        self.assertEqual(row.barcode, "5901234123457")
        self.assertEqual(row.operation_data["default_code"], "GONE-1")
        self.assertEqual(row.operation_data["id"], product_id)

    def test_create_and_unlink_in_one_transaction_leave_nothing(self):
        product = self.create_product(default_code="TRANSIENT")
        product_id = product.id
        product.unlink()
        self.flush_capture()
        self.assertFalse(self.env["product.integration"].search([("res_id", "=", product_id)]))

    def test_context_key_switches_capture_off(self):
        product = self.create_product()
        self.flush_capture()
        product.with_context(integrator_no_capture=True).write({"list_price": 99.0})
        self.flush_capture()
        self.assertFalse(self.product_rows(product, "write"))

    def test_setting_switches_capture_off(self):
        self.env["ir.config_parameter"].sudo().set_param("integrator_base.capture_enabled", "False")
        product = self.create_product()
        product.list_price = 4.0
        self.flush_capture()
        self.assertFalse(self.product_rows(product))
