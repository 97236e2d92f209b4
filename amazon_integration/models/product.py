from odoo import _, api, fields, models

#: Context key: do not create listings for the variants being created (set while a
#: template creates its variants: their internal reference and barcode come afterwards).
NO_LISTING = "amazon_no_listing"

RESERVE_TYPES = [
    ("none", "Account's reserve"),
    ("fixed", "Fixed quantity"),
    ("percent", "Percentage"),
]


class ProductTemplate(models.Model):
    _inherit = "product.template"

    amazon_sell = fields.Boolean(
        "Sell on Amazon",
        copy=False,
        help="Offer every variant on every active Amazon account of the product's company "
        "(every company's accounts for a product without company). Switching it off "
        "removes the variants from Amazon.",
    )
    amazon_stock_reserve_type = fields.Selection(
        RESERVE_TYPES,
        string="Amazon Stock Reserve",
        default="none",
        required=True,
        help="Stock kept back from Amazon for this product. 'Account's reserve': the "
        "reserve set on the Amazon account applies.",
    )
    amazon_stock_reserve_value = fields.Float(
        "Amazon Stock Reserve Value",
        help="Units (fixed) or percentage of the free stock kept back from Amazon.",
    )
    amazon_listing_ids = fields.One2many(
        "amazon.listing", "product_tmpl_id", string="Amazon Listings of the Variants"
    )
    amazon_listing_count = fields.Integer(compute="_compute_amazon_listing_count")

    def _compute_amazon_listing_count(self):
        counts = dict(
            self.env["amazon.listing"]
            .sudo()
            ._read_group(
                [("product_tmpl_id", "in", self.ids), ("state", "!=", "deleted")],
                ["product_tmpl_id"],
                ["__count"],
            )
        )
        for template in self:
            template.amazon_listing_count = counts.get(template, 0)

    @api.model_create_multi
    def create(self, vals_list):
        # the variants get their reference and barcode after their creation: list them
        # once the template is complete
        templates = super(ProductTemplate, self.with_context(**{NO_LISTING: True})).create(
            vals_list
        )
        templates = templates.with_env(self.env)
        if not self.env.context.get(NO_LISTING):
            templates.filtered("amazon_sell")._amazon_sync_listings()
        return templates

    def write(self, vals):
        switched_off = self.browse()
        if "amazon_sell" in vals and not vals["amazon_sell"]:
            switched_off = self.filtered("amazon_sell")
        res = super().write(vals)
        if "amazon_sell" in vals and not self.env.context.get("amazon_listings_set"):
            if vals["amazon_sell"]:
                self._amazon_sync_listings()
            else:
                switched_off._amazon_remove_listings()
        return res

    def unlink(self):
        variants = self.with_context(active_test=False).product_variant_ids
        if variants:
            self.env["amazon.listing"].sudo().with_context(active_test=False).search(
                [("product_id", "in", variants.ids)]
            )._amazon_product_deleted()
        return super().unlink()

    def _amazon_sync_listings(self):
        """A listing for every variant on every account it belongs to (one create)."""
        return self.env["amazon.listing"]._amazon_ensure_listings(self.product_variant_ids)

    def _amazon_remove_listings(self):
        """Mark the variants' listings removed and queue their deletion."""
        return (
            self.env["amazon.listing"]
            .sudo()
            .search(
                [
                    (
                        "product_id",
                        "in",
                        self.with_context(active_test=False).product_variant_ids.ids,
                    ),
                    ("state", "!=", "deleted"),
                ]
            )
            ._amazon_remove()
        )

    def action_open_amazon_listings(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "amazon_integration.amazon_listing_action"
        )
        action["domain"] = [("product_tmpl_id", "=", self.id)]
        action["context"] = {"search_default_filter_listed": 1}
        action["name"] = _("Amazon Listings")
        return action


class ProductProduct(models.Model):
    _inherit = "product.product"

    amazon_listing_ids = fields.One2many("amazon.listing", "product_id", string="Amazon Listings")

    @api.model_create_multi
    def create(self, vals_list):
        products = super().create(vals_list)
        if not self.env.context.get(NO_LISTING):
            selling = products.filtered(lambda product: product.product_tmpl_id.amazon_sell)
            if selling:
                self.env["amazon.listing"]._amazon_ensure_listings(selling)
        return products

    def unlink(self):
        existing = self.exists()
        if existing:
            self.env["amazon.listing"].sudo().with_context(active_test=False).search(
                [("product_id", "in", existing.ids)]
            )._amazon_product_deleted()
        return super().unlink()
