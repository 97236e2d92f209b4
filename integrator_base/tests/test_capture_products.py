import contextlib
from unittest.mock import patch

from odoo.sql_db import Cursor
from odoo.tests import tagged
from odoo.tools import SQL

from ..models.product_integration import CAPTURE_FUNCTION
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
            if "INSERT INTO product_integration" in code or CAPTURE_FUNCTION in code:
                inserts.append(code)
            return execute(cr, query, params, log_exceptions)

        products.write({"list_price": 9.0})
        with patch.object(Cursor, "execute", spy):
            self.flush_capture()
        self.assertEqual(len(inserts), 1)
        rows = self.product_rows(products, "write")
        self.assertEqual(len(rows), 300)
        self.assertEqual(set(rows.mapped("product_id").ids), set(products.ids))

    def test_template_and_variant_fields_in_one_bulk_write_are_one_row_each(self):
        """A bulk write of a template field and a variant field: one row per variant with
        both values (the variants share one values dict until the buffer copies it)."""
        products = self.env["product.product"].create(
            [{"name": f"Many {i}", "type": "consu"} for i in range(40)]
        )
        self.flush_capture()
        products.write({"list_price": 4.5, "weight": 2.0})
        products[:2].write({"weight": 3.0})
        self.flush_capture()
        rows = self.product_rows(products, "write")
        self.assertEqual(len(rows), 40)
        values = {r.product_id.id: r.operation_data["values"] for r in rows}
        self.assertEqual(values[products[0].id], {"list_price": 4.5, "weight": 3.0})
        self.assertEqual(values[products[2].id], {"list_price": 4.5, "weight": 2.0})

    def test_a_one_product_transaction_costs_one_round_trip(self):
        product = self.create_product()
        self.flush_capture()
        sent = []
        execute = Cursor.execute

        def spy(cr, query, params=None, log_exceptions=True):
            code = query.code if isinstance(query, SQL) else str(query)
            if "SAVEPOINT" in code or "product_integration" in code or CAPTURE_FUNCTION in code:
                sent.append(code)
            return execute(cr, query, params, log_exceptions)

        product.with_context(tracking_disable=True).list_price = 7.0
        self.env.flush_all()  # the user's own UPDATE, before the commit's flush
        with patch.object(Cursor, "execute", spy):
            self.flush_capture()
        self.assertEqual(len(sent), 1, "the savepoint and the rows in one statement")
        self.assertIn("SAVEPOINT", sent[0])
        self.assertIn(CAPTURE_FUNCTION, sent[0], "the rows' INSERT is planned once per connection")
        # ... and planned once indeed: PL/pgSQL would plan it again at every call otherwise
        self.env.cr.execute(
            "SELECT proconfig FROM pg_proc WHERE proname = %s",
            [self.env["product.integration"]._capture_function()],
        )
        self.assertEqual(self.env.cr.fetchone()[0], ["plan_cache_mode=force_generic_plan"])
        self.assertEqual(
            self.product_rows(product, "write").operation_data["values"]["list_price"], 7.0
        )

    def test_a_failing_capture_never_costs_the_user_his_change(self):
        product = self.create_product()
        self.flush_capture()
        Rows = type(self.env["product.integration"])

        def broken(model):
            return f"{CAPTURE_FUNCTION}_gone"

        product.write({"list_price": 11.0, "default_code": "KEPT"})
        with (
            patch.object(Rows, "_capture_function", broken),
            self.assertLogs("odoo.addons.integrator_base.models.capture", "ERROR") as logs,
        ):
            self.flush_capture()
        self.assertIn("1 product, 0 stock and 0 order events not recorded", logs.output[0])
        self.assertFalse(self.product_rows(product, "write"))
        # the transaction goes on, with the user's change in the database
        self.env.invalidate_all()
        self.env.cr.execute("SELECT default_code FROM product_product WHERE id = %s", [product.id])
        self.assertEqual(self.env.cr.fetchone()[0], "KEPT")
        self.assertEqual(product.list_price, 11.0)

    def test_the_capture_function_writes_what_the_plain_statements_write(self):
        Rows = type(self.env["product.integration"])
        self.assertTrue(self.env["product.integration"]._capture_function(), "created by init")
        made = {}
        for path in ("function", "plain"):
            plain = patch.object(Rows, "_capture_function", lambda m: None)
            with plain if path == "plain" else contextlib.nullcontext():
                products = self.env["product.product"].create(
                    [{"name": f"{path} {n}", "type": "consu", "is_storable": True} for n in (0, 1)]
                )
                products[0].default_code = f"{path.upper()}-SKU"
                self.flush_capture()
                products.write({"weight": 2.5, "barcode": False})
                self.set_stock(products[1], 4)
                self.flush_capture()
            made[path] = [
                (
                    row.record_operation,
                    row.product_id.name.split()[1],
                    row.default_code and row.default_code.split("-", 1)[1],
                    {
                        k: v
                        for k, v in row.operation_data.items()
                        if k not in ("id", "product_tmpl_id", "default_code")
                    },
                    row.user_id,
                    row.manual,
                )
                for row in self.product_rows(products)
            ]
        self.assertEqual(made["function"], made["plain"])
        self.assertEqual(
            [op for op, *_rest in made["function"]], ["create", "create", "write", "write", "stock"]
        )

    def test_a_row_says_who_and_when_without_the_access_columns(self):
        """The tables keep no create/write columns: each one would be a foreign key to
        res_users checked for every captured row, to repeat user_id."""
        user = self.env["res.users"].create(
            {
                "name": "Catalog Clerk",
                "login": "catalog-clerk",
                "groups_id": [(6, 0, self.env.ref("base.group_system").ids)],
            }
        )
        product = self.create_product()
        self.flush_capture()
        product.with_user(user).write({"list_price": 7.0})
        self.flush_capture()
        row = self.product_rows(product, "write")
        self.assertEqual(row.user_id, user)
        self.assertEqual(row.operation_timestamp, self.env.cr.now())  # the transaction's
        for model in ("product.integration", "order.integration"):
            table = self.env[model]._table
            self.env.cr.execute(
                "SELECT array_agg(column_name::text ORDER BY column_name::text)"
                " FROM information_schema.columns WHERE table_name = %s"
                " AND column_name IN ('create_uid', 'create_date', 'write_uid', 'write_date')",
                [table],
            )
            self.assertIsNone(self.env.cr.fetchone()[0], table)
            self.assertNotIn("create_uid", self.env[model]._fields)

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

        # a template field written on one variant: every variant of the template changed
        variants[0].list_price = 21.0
        self.flush_capture()
        rows = self.product_rows(variants, "write")
        self.assertEqual(len(rows), 4)
        self.assertEqual([r.operation_data["values"] for r in rows[2:]], [{"list_price": 21.0}] * 2)
        self.assertEqual(rows[2:].product_id, variants)

        # a variant field: a row for that variant only
        variants[0].default_code = "SHIRT-S"
        self.flush_capture()
        rows = self.product_rows(variants, "write")
        self.assertEqual(len(rows), 5)
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

    def test_settings_form_switches_capture_off_and_on(self):
        # Odoo deletes a False boolean's parameter, and a missing one means on: the form
        # must store the choice, and show it again.
        Settings = self.env["res.config.settings"]
        Settings.create({"integrator_capture_enabled": False}).execute()
        self.flush_capture()  # a new transaction reads the setting again
        self.assertFalse(Settings.create({}).integrator_capture_enabled)
        product = self.create_product()
        product.list_price = 4.0
        self.flush_capture()
        self.assertFalse(self.product_rows(product))

        Settings.create({"integrator_capture_enabled": True}).execute()
        self.flush_capture()
        self.assertTrue(Settings.create({}).integrator_capture_enabled)
        product.list_price = 5.0
        self.flush_capture()
        self.assertEqual(self.product_rows(product).mapped("record_operation"), ["write"])

    def test_setting_switches_capture_off(self):
        self.env["ir.config_parameter"].sudo().set_param("integrator_base.capture_enabled", "False")
        product = self.create_product()
        product.list_price = 4.0
        self.flush_capture()
        self.assertFalse(self.product_rows(product))
