from odoo.tests import TransactionCase


class IntegratorCase(TransactionCase):
    """Helpers: rows are written when the transaction commits, tests flush them explicitly."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["ir.config_parameter"].sudo().set_param("integrator_base.capture_enabled", "True")
        cls.stock_location = cls.env.ref("stock.stock_location_stock")
        cls.customer_location = cls.env.ref("stock.stock_location_customers")
        cls.warehouse = cls.env["stock.warehouse"].search(
            [("company_id", "=", cls.env.company.id)], limit=1
        )
        cls.partner = cls.env["res.partner"].create({"name": "Integration Buyer"})
        cls.env.cr.precommit.run()

    def flush_capture(self):
        self.env.cr.precommit.run()

    def product_rows(self, products, operation=None):
        domain = [("res_model", "=", "product.product"), ("res_id", "in", products.ids)]
        if operation:
            domain.append(("record_operation", "=", operation))
        return self.env["product.integration"].search(domain, order="id")

    def order_rows(self, orders, operation=None):
        domain = [("sale_order_id", "in", orders.ids)]
        if operation:
            domain.append(("record_operation", "=", operation))
        return self.env["order.integration"].search(domain, order="id")

    def create_product(self, name="Widget", storable=True, **vals):
        return self.env["product.product"].create(
            {"name": name, "type": "consu", "is_storable": storable, **vals}
        )

    def set_stock(self, product, quantity):
        self.env["stock.quant"]._update_available_quantity(product, self.stock_location, quantity)
