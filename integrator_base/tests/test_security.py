from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import IntegratorCase


@tagged("post_install", "-at_install")
class TestSecurity(IntegratorCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.salesman = new_test_user(
            cls.env,
            login="int_salesman",
            groups="sales_team.group_sale_manager,stock.group_stock_user",
        )
        cls.integration_user = new_test_user(
            cls.env,
            login="int_user",
            groups="base.group_user,integrator_base.group_integration_user",
        )
        cls.integration_manager = new_test_user(
            cls.env,
            login="int_manager",
            groups="base.group_user,integrator_base.group_integration_manager",
        )

    def test_users_without_access_still_produce_rows(self):
        product = self.create_product(default_code="SEC-1")
        self.flush_capture()
        product.with_user(self.salesman).write({"list_price": 5.0})
        self.flush_capture()
        self.assertEqual(len(self.product_rows(product, "write")), 1)
        with self.assertRaises(AccessError):
            self.env["product.integration"].with_user(self.salesman).search([])

    def test_integration_user_reads_but_cannot_change(self):
        product = self.create_product()
        self.flush_capture()
        row = self.product_rows(product).with_user(self.integration_user)
        self.assertEqual(row.record_operation, "create")
        with self.assertRaises(AccessError):
            row.unlink()
        with self.assertRaises(AccessError):
            self.env["integration.site"].with_user(self.integration_user).create(
                {"code": "nope", "name": "Nope"}
            )

    def test_manager_configures_sites(self):
        site = (
            self.env["integration.site"]
            .with_user(self.integration_manager)
            .create({"code": "shop", "name": "Shop"})
        )
        self.assertEqual(site.code, "shop")

    def test_multi_company_rule(self):
        other = self.env["res.company"].create({"name": "Other Co"})
        product = self.create_product(company_id=other.id)
        self.flush_capture()
        row = self.product_rows(product)
        self.assertEqual(row.company_id, other)
        visible = (
            self.env["product.integration"]
            .with_user(self.integration_user)
            .search([("id", "=", row.id)])
        )
        self.assertFalse(visible, "a row of another company is hidden")
        self.integration_user.write({"company_ids": [(4, other.id)]})
        visible = (
            self.env["product.integration"]
            .with_user(self.integration_user)
            .with_context(allowed_company_ids=[other.id])
            .search([("id", "=", row.id)])
        )
        self.assertEqual(visible, row)
