import logging

from odoo import fields, models
from odoo.tools import SQL
from odoo.tools.sql import index_exists

_logger = logging.getLogger(__name__)

#: one top-level contact per Amazon buyer and company (see ResPartner._amazon_buyer_index)
BUYER_UNIQUE = "res_partner_amazon_buyer_unique"
#: one delivery contact per buyer and address (see ResPartner._amazon_delivery_index)
DELIVERY_UNIQUE = "res_partner_amazon_delivery_unique"
#: the address a delivery contact of the order import is found again by
DELIVERY_ADDRESS = ("name", "street", "street2", "city", "zip", "country_id")


class ResPartner(models.Model):
    _inherit = "res.partner"

    amazon_buyer_email = fields.Char(
        "Amazon Buyer E-mail",
        index=True,
        copy=False,
        readonly=True,
        help="Amazon's anonymised address of this buyer, in lower case: the order import "
        "finds the customer again by it (an index lookup, where a case-insensitive search "
        "on the e-mail would read every contact). The delivery addresses the import creates "
        "for the buyer carry it too.",
    )

    def init(self):
        res = super().init()
        self._amazon_buyer_index()
        self._amazon_delivery_index()
        return res

    def _amazon_buyer_index(self):
        """One top-level contact per Amazon buyer and company, archived ones included.

        Two workers importing orders of the same new buyer at once both miss the contact
        (neither sees the other's before it commits); with this index the second one's
        INSERT waits for the first and fails, its batch is undone, and the next try finds
        the contact. A database that already has such duplicates keeps them and gets no
        index (the log names the contacts to merge); True when the index exists."""
        return self._amazon_unique_index(
            BUYER_UNIQUE,
            SQL("amazon_buyer_email, COALESCE(company_id, 0)"),
            SQL("amazon_buyer_email IS NOT NULL AND parent_id IS NULL"),
            "Amazon buyers have more than one contact",
        )

    def _amazon_delivery_index(self):
        """One delivery contact of the order import per buyer and address (the fields the
        import finds it by, ``DELIVERY_ADDRESS``), archived ones included: two workers
        importing two orders a buyer sent to one new address create it once, as for the
        buyer. True when the index exists."""
        # immutable, as an index expression must be (a ROW's text is only stable); NULL
        # and '' alike, as the import's search (``= False`` takes both): whatever the index
        # calls the same contact, the search finds, so no order waits on it for ever
        address = SQL(" || chr(31) || ").join(
            SQL("COALESCE(%s::text, '')", SQL.identifier(name)) for name in DELIVERY_ADDRESS
        )
        return self._amazon_unique_index(
            DELIVERY_UNIQUE,
            SQL("parent_id, md5(%s)", address),
            SQL("amazon_buyer_email IS NOT NULL AND parent_id IS NOT NULL AND type = 'delivery'"),
            "Amazon delivery addresses are there more than once for one buyer",
        )

    def _amazon_unique_index(self, name, columns, where, duplicates_text):
        """Create the unique index ``name`` on ``columns`` (SQL) of the contacts ``where``
        (SQL) unless it exists; with duplicates, log them at WARNING and create nothing.
        True when the index exists."""
        cr = self.env.cr
        if index_exists(cr, name):
            return True
        cr.execute(
            SQL(
                "SELECT array_agg(id ORDER BY id) FROM res_partner WHERE %s GROUP BY %s"
                " HAVING count(*) > 1",
                where,
                columns,
            )
        )
        duplicates = [ids for (ids,) in cr.fetchall()]
        if duplicates:
            _logger.warning(
                "%d %s (ids %s): merge them (Contacts, Merge), then update "
                "amazon_integration, so that parallel imports cannot create more",
                len(duplicates),
                duplicates_text,
                "; ".join(", ".join(map(str, ids)) for ids in duplicates[:20]),
            )
            return False
        cr.execute(
            SQL(
                "CREATE UNIQUE INDEX %s ON res_partner (%s) WHERE %s",
                SQL.identifier(name),
                columns,
                where,
            )
        )
        return True
