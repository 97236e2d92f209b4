from odoo import api, fields, models

from ..lib.spapi_api import region_endpoint
from .amazon_account import check_endpoint_rights


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
    endpoint = fields.Char(
        "MWS Endpoint",
        required=True,
        help="Only system administrators may change it: signed requests go there.",
    )
    spapi_endpoint = fields.Char(
        "SP-API Endpoint",
        compute="_compute_spapi_endpoint",
        store=True,
        readonly=False,
        help="The Selling Partner API endpoint of the marketplace's region. Only system "
        "administrators may change it: authorised requests go there.",
    )
    active = fields.Boolean(default=True)
    tax_collected_by_amazon = fields.Boolean(
        "Amazon Collects the Tax",
        default=True,
        help="Amazon is the marketplace facilitator: it collects the tax from the buyer and "
        "remits it itself (US states, UK and EU imports, Australia...). The tax of these "
        "orders is then neither revenue nor a tax the seller owes: the invoices book it on "
        "the account's clearing account, which the settlement's withheld tax clears. "
        "Untick where the seller collects and remits the tax: the order lines then carry "
        "the Odoo taxes of their products through the buyer's fiscal position (an order whose "
        "taxes do not give Amazon's amount waits in exception).",
    )

    _sql_constraints = [
        ("code_unique", "unique(code)", "A marketplace id must be unique."),
    ]

    @api.depends("code")
    def _compute_spapi_endpoint(self):
        for marketplace in self:
            marketplace.spapi_endpoint = region_endpoint(marketplace.code)

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            check_endpoint_rights(self.env, vals, ("endpoint", "spapi_endpoint"))
        return super().create(vals_list)

    def write(self, vals):
        check_endpoint_rights(self.env, vals, ("endpoint", "spapi_endpoint"))
        return super().write(vals)
