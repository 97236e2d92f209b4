from dateutil.relativedelta import relativedelta

from odoo import fields
from odoo.tests import tagged

from .common import IntegratorCase


@tagged("post_install", "-at_install")
class TestManualSync(IntegratorCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.site = cls.env["integration.site"].create({"code": "manualsite", "name": "Manual"})
        cls.products = cls.env["product.product"].create(
            [{"name": f"Manual {i}", "default_code": f"MAN-{i}", "type": "consu"} for i in range(5)]
        )
        cls.archived = cls.env["product.product"].create({"name": "Old", "active": False})
        cls.not_goods = cls.env["product.product"].create(
            [
                {"name": "Delivery", "type": "service"},
                {"name": "Down payment", "type": "service", "sale_ok": True},
                {"name": "Office supplies", "type": "consu", "sale_ok": False},
            ]
        )
        cls.env.cr.precommit.run()

    def run_wizard(self, context=None, **vals):
        wizard = self.env["integration.sync.wizard"].with_context(**(context or {})).create(vals)
        return wizard.action_synchronize()

    def test_all_products(self):
        goods = self.env["product.product"].search([("type", "=", "consu"), ("sale_ok", "=", True)])
        self.run_wizard(site_id=self.site.id)
        rows = self.env["product.integration"].search(
            [("manual", "=", True), ("site_id", "=", self.site.id)]
        )
        self.assertEqual(len(rows), len(goods))
        self.assertEqual(set(rows.mapped("record_operation")), {"create"})
        self.assertNotIn(self.archived.id, rows.mapped("res_id"))
        # issue 11: the manual sync queued tax, deposit and delivery products
        self.assertFalse(set(self.not_goods.ids) & set(rows.mapped("res_id")))
        self.assertTrue(self.env["product.product"].search_count([("type", "=", "service")]))
        row = rows.filtered(lambda r: r.product_id == self.products[0])
        self.assertEqual(row.default_code, "MAN-0")
        self.assertEqual(row.operation_data["default_code"], "MAN-0")
        self.assertEqual(row.site_name, "manualsite")

    def test_selected_products_from_template_list(self):
        templates = self.products[:2].product_tmpl_id
        result = self.run_wizard(
            context={"active_model": "product.template", "active_ids": templates.ids}
        )
        self.assertEqual(result["params"]["type"], "success")
        rows = self.env["product.integration"].search([("manual", "=", True)])
        self.assertEqual(set(rows.mapped("product_id").ids), set(self.products[:2].ids))
        self.assertFalse(rows.site_id, "no site chosen: the rows are for every site")

    def test_orders_of_the_last_months(self):
        product = self.products[0]
        recent = self.env["sale.order"].create(
            {
                "partner_id": self.partner.id,
                "order_line": [(0, 0, {"product_id": product.id, "product_uom_qty": 1})],
            }
        )
        recent.action_confirm()
        recent.with_context(disable_cancel_warning=True).action_cancel()
        old = recent.copy({"date_order": fields.Datetime.now() - relativedelta(months=6)})
        old.with_context(disable_cancel_warning=True).action_cancel()
        self.flush_capture()
        self.env["order.integration"].search([]).unlink()

        self.run_wizard(sync_products=False, sync_orders=True, months=3)
        rows = self.env["order.integration"].search([])
        self.assertEqual(rows.sale_order_id, recent)
        self.assertEqual(rows.record_operation, "cancellation")
        self.assertTrue(rows.manual)

    def test_large_catalog_is_set_based(self):
        # 2,000 products in one statement; no ORM record per product is created
        self.env["product.product"].create(
            [{"name": f"Big {i}", "type": "consu"} for i in range(2000)]
        )
        self.flush_capture()
        before = self.env["product.integration"].search_count([("manual", "=", True)])
        queries_before = self.env.cr.sql_log_count
        count = self.env["product.integration"]._manual_sync_products()
        self.assertLess(self.env.cr.sql_log_count - queries_before, 10)
        after = self.env["product.integration"].search_count([("manual", "=", True)])
        self.assertEqual(after - before, count)
        self.assertGreaterEqual(count, 2005)
