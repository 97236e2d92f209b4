from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    amazon_buyer_email = fields.Char(
        "Amazon Buyer E-mail",
        index=True,
        copy=False,
        readonly=True,
        help="Amazon's anonymised address of this buyer, in lower case: the order import "
        "finds the customer again by it (an index lookup, where a case-insensitive search "
        "on the e-mail would read every contact).",
    )
