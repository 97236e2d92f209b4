from odoo import api, fields, models
from odoo.tools import SQL

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
        return self._enqueue_many([(listing, kinds, rows) for listing in listings])

    @api.model
    def _enqueue_many(self, items):
        """Queue many ``(listing, kinds, rows)`` at once, in their order: one search, one
        create and one write per changed entry, whatever the number of rows.

        A deletion supersedes everything else pending for the SKU (their rows move to it);
        an update after a pending deletion (the SKU was listed again) replaces the deletion.
        """
        items = [(listing, list(kinds), rows) for listing, kinds, rows in items if kinds]
        if not items:
            return self.browse()
        listing_ids = {listing.id for listing, _kinds, _rows in items}
        existing = self.search([("listing_id", "in", list(listing_ids))])
        # listing id -> kind -> row ids, starting from what is queued already
        pending = {lid: {} for lid in listing_ids}
        for entry in existing:
            pending[entry.listing_id.id][entry.kind] = set(entry.row_ids.ids)
        for listing, kinds, rows in items:
            queued = pending[listing.id]
            row_ids = set(rows.ids) if rows else set()
            if "delete" in kinds:
                for kind in [k for k in queued if k != "delete"]:
                    row_ids |= queued.pop(kind)
                kinds = ["delete"]
            elif "delete" in queued:
                row_ids |= queued.pop("delete")
            for kind in kinds:
                queued.setdefault(kind, set()).update(row_ids)
        by_key = {(entry.listing_id.id, entry.kind): entry for entry in existing}
        gone = existing.filtered(lambda e: e.kind not in pending[e.listing_id.id])
        result = self.browse()
        to_create = []
        links = []  # (entry id, row id) added to existing entries
        for lid, queued in pending.items():
            for kind, row_ids in queued.items():
                entry = by_key.get((lid, kind))
                if entry is None:
                    to_create.append(
                        {"listing_id": lid, "kind": kind, "row_ids": [fields.Command.set(row_ids)]}
                    )
                    continue
                links += [(entry.id, rid) for rid in row_ids - set(entry.row_ids.ids)]
                result |= entry
        result.filtered("next_attempt_at").write({"next_attempt_at": False})
        if links:
            # one statement for every new link, instead of a write per entry
            self.env.cr.execute(
                SQL(
                    "INSERT INTO amazon_sync_queue_row_rel (queue_id, row_id) "
                    "SELECT * FROM unnest(%s::int[], %s::int[]) ON CONFLICT DO NOTHING",
                    [qid for qid, _rid in links],
                    [rid for _qid, rid in links],
                )
            )
            result.invalidate_recordset(["row_ids"])
        gone.unlink()
        return result | self.create(to_create)
