from odoo import api, fields, models

QUEUE_KINDS = [
    ("product", "Product"),
    ("inventory", "Inventory"),
    ("price", "Price"),
    ("image", "Images"),
    ("relationship", "Relationship"),
    ("override", "Shipping Override"),
    ("delete", "Delete"),
]
# the order Amazon needs: the product must exist before anything refers to it
KIND_ORDER = [kind for kind, _label in QUEUE_KINDS]


class AmazonSyncQueue(models.Model):
    """What a listing still has to send, one entry per (listing, feed kind).

    Many integration rows about one SKU fold into one entry (the latest state wins: the feed
    is built from the product as it is when the feed goes out), and a deletion replaces
    anything else pending for that SKU. The entry keeps the rows it stands for, so that each
    row's Amazon status follows the fate of the message that carried it.
    """

    _name = "amazon.sync.queue"
    _description = "Amazon Pending Update"
    _order = "id"

    listing_id = fields.Many2one("amazon.listing", required=True, ondelete="cascade", index=True)
    account_id = fields.Many2one(related="listing_id.account_id", store=True, index=True)
    kind = fields.Selection(QUEUE_KINDS, required=True, index=True)
    row_ids = fields.Many2many(
        "product.integration",
        "amazon_sync_queue_row_rel",
        "queue_id",
        "row_id",
        string="Integration Rows",
    )
    attempts = fields.Integer(readonly=True)
    next_attempt_at = fields.Datetime(index=True, readonly=True)
    last_error = fields.Text(readonly=True)

    _sql_constraints = [
        ("listing_kind_unique", "unique(listing_id, kind)", "One pending entry per kind."),
    ]

    @api.model
    def _enqueue(self, listings, kinds, rows=None):
        """Queue ``kinds`` for ``listings``, linking ``rows``; returns the entries."""
        if not listings or not kinds:
            return self.browse()
        kinds = list(kinds)
        existing = self.search([("listing_id", "in", listings.ids)])
        by_key = {(entry.listing_id.id, entry.kind): entry for entry in existing}
        if "delete" in kinds:
            # a deletion supersedes everything else pending for the SKU
            superseded = existing.filtered(lambda e: e.kind != "delete")
            moved_rows = superseded.row_ids
            superseded.unlink()
            rows = (rows or self.env["product.integration"]) | moved_rows
            kinds = ["delete"]
        else:
            # re-listed before the deletion went out: the deletion no longer applies
            stale = existing.filtered(lambda e: e.kind == "delete")
            if stale:
                rows = (rows or self.env["product.integration"]) | stale.row_ids
                stale.unlink()
        result = self.browse()
        to_create = []
        for listing in listings:
            for kind in kinds:
                entry = by_key.get((listing.id, kind))
                if entry and entry.exists():
                    if rows:
                        entry.row_ids = [fields.Command.link(row.id) for row in rows]
                    entry.write({"next_attempt_at": False})
                    result |= entry
                else:
                    to_create.append(
                        {
                            "listing_id": listing.id,
                            "kind": kind,
                            "row_ids": [fields.Command.set(rows.ids)] if rows else [],
                        }
                    )
        return result | self.create(to_create)
