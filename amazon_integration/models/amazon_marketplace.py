from odoo import fields, models


class AmazonMarketplace(models.Model):
    """An Amazon marketplace (a country site) and the MWS endpoint of its region."""

    _name = "amazon.marketplace"
    _description = "Amazon Marketplace"
    _order = "name"

    name = fields.Char(required=True)
    code = fields.Char("Marketplace ID", required=True, index=True)
    country_id = fields.Many2one("res.country")
    currency_id = fields.Many2one("res.currency")
    sales_channel = fields.Char(help="Amazon's SalesChannel, e.g. Amazon.com")
    endpoint = fields.Char("MWS Endpoint", required=True)
    active = fields.Boolean(default=True)

    _sql_constraints = [
        ("code_unique", "unique(code)", "A marketplace id must be unique."),
    ]
