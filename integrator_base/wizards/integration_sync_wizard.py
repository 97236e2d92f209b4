from dateutil.relativedelta import relativedelta

from odoo import _, api, fields, models

from ..models.integration_mixin import check_integration_manager


class IntegrationSyncWizard(models.TransientModel):
    """Manual mode: create integration rows in batch, for one site or for all."""

    _name = "integration.sync.wizard"
    _description = "Synchronize with a Site"

    site_id = fields.Many2one("integration.site", string="Site", help="Empty: every site.")
    sync_products = fields.Boolean("Products", default=True)
    product_scope = fields.Selection(
        [("all", "All products"), ("selected", "Selected products")],
        default="all",
        required=True,
    )
    product_ids = fields.Many2many("product.product", string="Products to Send")
    sync_orders = fields.Boolean("Orders")
    months = fields.Integer("Orders of the Last (months)", default=3)

    @api.model
    def default_get(self, fields_list):
        res = super().default_get(fields_list)
        model = self.env.context.get("active_model")
        active_ids = self.env.context.get("active_ids") or []
        if model == "product.product" and active_ids:
            res.update(product_scope="selected", product_ids=[fields.Command.set(active_ids)])
        elif model == "product.template" and active_ids:
            variants = self.env["product.template"].browse(active_ids).product_variant_ids
            res.update(product_scope="selected", product_ids=[fields.Command.set(variants.ids)])
        return res

    def action_synchronize(self):
        """Queue rows for the user's allowed companies only (rows are created as the user:
        Integration Managers may create them; the sites' crons send them)."""
        self.ensure_one()
        check_integration_manager(self.env, self.site_id, "read")
        product_count = order_count = 0
        if self.sync_products:
            Rows = self.env["product.integration"]
            Rows.check_access("create")
            products = None
            if self.product_scope == "selected":
                products = self.product_ids
                products.check_access("read")
            product_count = Rows._manual_sync_products(
                products=products, site=self.site_id, company_ids=self.env.companies.ids
            )
        if self.sync_orders:
            since = fields.Datetime.now() - relativedelta(months=max(self.months, 0))
            orders = self.env["sale.order"].search(
                [("date_order", ">=", since), ("state", "in", ("sale", "cancel"))], order="id"
            )
            order_count = self.env["order.integration"]._manual_sync_orders(
                orders, site=self.site_id
            )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": _("Synchronization requested"),
                "message": _(
                    "%(products)s product rows and %(orders)s order rows were queued.",
                    products=product_count,
                    orders=order_count,
                ),
                "type": "success",
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
