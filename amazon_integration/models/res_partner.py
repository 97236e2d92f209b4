import logging

from odoo import fields, models
from odoo.tools import SQL
from odoo.tools.sql import index_exists

_logger = logging.getLogger(__name__)

#: one top-level contact per Amazon buyer and company (see ResPartner._amazon_buyer_index)
BUYER_UNIQUE = "res_partner_amazon_buyer_unique"


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

    def init(self):
        res = super().init()
        self._amazon_buyer_index()
        return res

    def _amazon_buyer_index(self):
        """One top-level contact per Amazon buyer and company, archived ones included.

        Two workers importing orders of the same new buyer at once both miss the contact
        (neither sees the other's before it commits); with this index the second one's
        INSERT waits for the first and fails, its batch is undone, and the next try finds
        the contact. A database that already has such duplicates keeps them and gets no
        index (the log names the contacts to merge); True when the index exists."""
        cr = self.env.cr
        if index_exists(cr, BUYER_UNIQUE):
            return True
        cr.execute(
            """SELECT array_agg(id ORDER BY id) FROM res_partner
                WHERE amazon_buyer_email IS NOT NULL AND parent_id IS NULL
                GROUP BY amazon_buyer_email, COALESCE(company_id, 0)
               HAVING count(*) > 1"""
        )
        duplicates = [ids for (ids,) in cr.fetchall()]
        if duplicates:
            _logger.warning(
                "%d Amazon buyers have more than one contact (ids %s): merge them "
                "(Contacts, Merge), then update amazon_integration, so that parallel "
                "imports cannot create more",
                len(duplicates),
                "; ".join(", ".join(map(str, ids)) for ids in duplicates[:20]),
            )
            return False
        cr.execute(
            SQL(
                "CREATE UNIQUE INDEX %s ON res_partner (amazon_buyer_email, "
                "COALESCE(company_id, 0)) WHERE amazon_buyer_email IS NOT NULL "
                "AND parent_id IS NULL",
                SQL.identifier(BUYER_UNIQUE),
            )
        )
        return True
