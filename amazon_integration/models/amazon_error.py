"""Every Amazon error a person has to look at, in one list (a database view).

Catalog rows and order rows that Amazon (or our own checks) refused, orders kept in exception
by the import, whole feeds Amazon refused (one entry for the feed, not one per row it carried,
while any of its rows is still in error), report requests that failed and were not followed
by a good one, settlements in error. Each entry opens its record
and can be retried, one by one or in bulk; the count is on the account and in the menu's list.
"""

from odoo import _, api, fields, models, tools
from odoo.exceptions import UserError
from odoo.tools import SQL

ERROR_KINDS = [
    ("product", "Catalog update"),
    ("order", "Order update"),
    ("import", "Order import"),
    ("feed", "Feed"),
    ("report", "Report"),
    ("settlement", "Settlement"),
]
#: the id of an entry: the source's id times this, plus the kind's position (stable ids)
_ID_FACTOR = 8


def not_in_refused_feed(relation):
    """SQL: row ``r`` was not carried by a feed Amazon refused as a whole (that feed is the
    one entry for all its rows)."""
    return SQL(
        """NOT EXISTS (
                   SELECT 1 FROM %s rel
                     JOIN amazon_feed_message m ON m.id = rel.message_id
                     JOIN amazon_feed f ON f.id = m.feed_id
                    WHERE rel.row_id = r.id AND f.state = 'error')""",
        SQL.identifier(relation),
    )


class AmazonError(models.Model):
    _name = "amazon.error"
    _description = "Amazon Error"
    _auto = False
    _order = "date desc, id desc"

    kind = fields.Selection(ERROR_KINDS, readonly=True)
    account_id = fields.Many2one("amazon.account", string="Account", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    name = fields.Char("About", readonly=True)
    message = fields.Text("What Amazon Or The Connector Said", readonly=True)
    date = fields.Datetime(readonly=True)
    res_model = fields.Char("Record Model", readonly=True)
    res_id = fields.Many2oneReference("Record", model_field="res_model", readonly=True)

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        kind = {code: position for position, (code, _label) in enumerate(ERROR_KINDS)}
        self.env.cr.execute(
            SQL(
                """
            CREATE VIEW %(view)s AS (
            SELECT r.id * %(factor)s + %(product)s AS id, 'product' AS kind,
                   listing.account_id, COALESCE(r.company_id, a.company_id) AS company_id,
                   COALESCE(r.default_code, r.res_model || ',' || r.res_id) AS name,
                   r.amazon_status_data AS message, r.amazon_status_timestamp AS date,
                   'product.integration' AS res_model, r.id AS res_id
              FROM product_integration r
              LEFT JOIN LATERAL (
                   SELECT l.account_id FROM amazon_listing l
                    WHERE l.product_ref = r.res_id ORDER BY l.id LIMIT 1
                   ) listing ON TRUE
              LEFT JOIN amazon_account a ON a.id = listing.account_id
             WHERE r.amazon_status = 'error' AND %(product_rows_kept)s
            UNION ALL
            SELECT r.id * %(factor)s + %(order)s, 'order', o.amazon_account_id,
                   COALESCE(r.company_id, o.company_id), COALESCE(r.order_name, o.name),
                   r.amazon_status_data, r.amazon_status_timestamp, 'order.integration', r.id
              FROM order_integration r
              LEFT JOIN sale_order o ON o.id = r.sale_order_id
             WHERE r.amazon_status = 'error' AND %(order_rows_kept)s
            UNION ALL
            SELECT o.id * %(factor)s + %(import)s, 'import', o.amazon_account_id, o.company_id,
                   o.name || ' (' || o.amazon_order_id || ')', o.amazon_exception_message,
                   o.write_date, 'sale.order', o.id
              FROM sale_order o
             WHERE o.amazon_exception IS NOT NULL AND o.amazon_account_id IS NOT NULL
            UNION ALL
            SELECT f.id * %(factor)s + %(feed)s, 'feed', f.account_id, a.company_id,
                   f.kind || ' ' || COALESCE(f.submission_id, ''), f.error_message,
                   f.write_date, 'amazon.feed', f.id
              FROM amazon_feed f
              JOIN amazon_account a ON a.id = f.account_id
             WHERE f.state = 'error' AND EXISTS (
                   SELECT 1 FROM amazon_feed_message m
                     LEFT JOIN amazon_feed_message_row_rel pr ON pr.message_id = m.id
                     LEFT JOIN product_integration p ON p.id = pr.row_id
                     LEFT JOIN amazon_feed_message_order_row_rel orl ON orl.message_id = m.id
                     LEFT JOIN order_integration o ON o.id = orl.row_id
                    WHERE m.feed_id = f.id
                      AND (p.amazon_status = 'error' OR o.amazon_status = 'error'))
            UNION ALL
            SELECT q.id * %(factor)s + %(report)s, 'report', q.account_id, q.company_id,
                   q.kind, q.error_message, q.write_date, 'amazon.report.request', q.id
              FROM amazon_report_request q
             WHERE q.state = 'failed' AND NOT EXISTS (
                   SELECT 1 FROM amazon_report_request later
                    WHERE later.account_id = q.account_id AND later.lane = q.lane
                      AND later.id > q.id AND later.state = 'done')
            UNION ALL
            SELECT s.id * %(factor)s + %(settlement)s, 'settlement', s.account_id, a.company_id,
                   s.name, s.error_message, s.write_date, 'amazon.settlement', s.id
              FROM amazon_settlement s
              JOIN amazon_account a ON a.id = s.account_id
             WHERE s.state = 'error'
            )
            """,
                view=SQL.identifier(self._table),
                factor=_ID_FACTOR,
                product_rows_kept=not_in_refused_feed("amazon_feed_message_row_rel"),
                order_rows_kept=not_in_refused_feed("amazon_feed_message_order_row_rel"),
                **kind,
            )
        )

    @api.model
    def _count_for(self, accounts):
        """Errors per account id (entries of every kind)."""
        groups = self._read_group([("account_id", "in", accounts.ids)], ["account_id"], ["__count"])
        return {account.id: count for account, count in groups}

    def _sources(self):
        """{model: records} of these entries."""
        by_model = {}
        for entry in self:
            by_model.setdefault(entry.res_model, []).append(entry.res_id)
        return {model: self.env[model].browse(ids) for model, ids in by_model.items()}

    def action_open(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": self.res_model,
            "res_id": self.res_id,
            "view_mode": "form",
            "target": "current",
        }

    def action_retry(self):
        """Retry (one or many): every kind through its own retry, each checking the user's
        rights and queuing the work for the synchronisation cron."""
        if not self:
            raise UserError(_("Select the errors to retry."))
        sources = self._sources()
        if "product.integration" in sources:
            sources["product.integration"].action_amazon_resend()
        if "order.integration" in sources:
            sources["order.integration"].action_amazon_resend()
        if "sale.order" in sources:
            sources["sale.order"].action_amazon_retry_import()
        if "amazon.feed" in sources:
            sources["amazon.feed"].action_retry()
        if "amazon.report.request" in sources:
            sources["amazon.report.request"].action_retry()
        if "amazon.settlement" in sources:
            sources["amazon.settlement"].action_retry()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": _("Amazon errors"),
                "message": _(
                    "%s error(s) queued again: the synchronisation takes them up within a minute.",
                    len(self),
                ),
                "type": "info",
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }
