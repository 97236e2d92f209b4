from odoo import api, fields, models


class IntegrationSite(models.Model):
    """A remote site (marketplace, web shop) that consumes the integration tables.

    Site addons add their record in XML data (``code`` is also the prefix of the site's status
    fields on the integration tables, e.g. ``amazon`` → ``amazon_status``).
    """

    _name = "integration.site"
    _description = "Integration Site"
    _order = "sequence, name"

    code = fields.Char(required=True, help="Technical name, prefix of the site's status fields.")
    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", help="Leave empty for a site shared by every company."
    )
    product_row_count = fields.Integer(compute="_compute_row_counts")
    order_row_count = fields.Integer(compute="_compute_row_counts")

    _sql_constraints = [
        ("code_unique", "unique(code)", "An integration site code must be unique."),
        (
            "code_format",
            "CHECK(code ~ '^[a-z][a-z0-9_]*$')",
            "A site code is lower case letters, digits and underscores, starting with a letter.",
        ),
    ]

    @api.depends("code")
    def _compute_row_counts(self):
        for model, fname in (
            ("product.integration", "product_row_count"),
            ("order.integration", "order_row_count"),
        ):
            counts = dict(
                self.env[model]._read_group([("site_id", "in", self.ids)], ["site_id"], ["__count"])
            )
            for site in self:
                site[fname] = counts.get(site, 0)

    def _status_field(self, model):
        """Name of this site's status field on ``model`` (an integration table), or None."""
        self.ensure_one()
        name = f"{self.code}_status"
        return name if name in self.env[model]._fields else None
