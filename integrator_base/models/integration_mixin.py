"""What the product and order integration tables share, and the contract for site addons.

A site addon adds its status triplet to both tables with :func:`site_status_fields`::

    from odoo.addons.integrator_base.models.integration_mixin import site_status_fields

    class ProductIntegration(models.Model):
        _inherit = "product.integration"

        amazon_status, amazon_status_data, amazon_status_timestamp = site_status_fields("Amazon")

and claims the rows it has to process, in bounded batches, with :meth:`_claim_pending`, which
locks them with ``SELECT ... FOR NO KEY UPDATE SKIP LOCKED`` so that two cron workers (or two
servers) never take the same row. The claimer sets the rows' status before it commits.
"""

import json
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL

STATUS_NONE = "none"
STATUS_SUBMITTED = "submitted"
STATUS_PENDING = "pending"
STATUS_SUCCESS = "success"
STATUS_ERROR = "error"

STATUS_SELECTION = [
    (STATUS_NONE, "None"),
    (STATUS_SUBMITTED, "Submitted"),
    (STATUS_PENDING, "Pending"),
    (STATUS_SUCCESS, "Success"),
    (STATUS_ERROR, "Error"),
]

MANAGER_GROUP = "integrator_base.group_integration_manager"


def check_integration_manager(env, records=None, operation="write"):
    """Before a button or wizard makes an integration act: the user is an Integration
    Manager, and may ``operation`` each of ``records`` (access rights and record rules, so
    only records of the user's allowed companies). Raises AccessError otherwise.

    The work itself is then queued for a cron; nothing runs with more rights than the user
    was just checked for."""
    if not env.su and not env.user.has_group(MANAGER_GROUP):
        raise AccessError(env._("Only Integration Managers can start a synchronisation."))
    if records is not None:
        records.check_access(operation)


RETENTION_PARAM = "integrator_base.retention_days"
DEFAULT_RETENTION_DAYS = 30


def site_status_fields(label):
    """The three fields a site adds to an integration table: status, result data, timestamp."""
    return (
        fields.Selection(
            STATUS_SELECTION,
            string=f"{label} Status",
            default=STATUS_NONE,
            required=True,
            index=True,
            copy=False,
        ),
        fields.Text(string=f"{label} Result", copy=False),
        fields.Datetime(string=f"{label} Status Date", copy=False),
    )


class IntegrationEventMixin(models.AbstractModel):
    _name = "integration.event.mixin"
    _description = "Integration Event"
    _order = "id desc"
    _rec_name = "record_operation"
    # An event log: ``user_id`` and ``operation_timestamp`` say who and when, so each table
    # sets ``_log_access = False`` (Odoo adds the access columns per defining class, not
    # from a mixin). Without them a captured row costs two foreign-key checks fewer (each a
    # key-share lock on the user's row): 5 µs of the ~23 µs PostgreSQL spends per row of a
    # bulk capture. The 18.0.1.1.0 migration drops the columns of an existing database.

    res_model = fields.Char("Source Model", required=True, readonly=True)
    res_id = fields.Many2oneReference(
        "Source Record ID", model_field="res_model", index=True, readonly=True
    )
    record_operation = fields.Selection(
        selection=lambda self: self._operation_selection(),
        string="Operation",
        required=True,
        readonly=True,
    )
    operation_data = fields.Json("Operation Data", readonly=True)
    operation_data_text = fields.Text(
        "Operation Data (JSON)", compute="_compute_operation_data_text"
    )
    operation_timestamp = fields.Datetime(
        "Timestamp", required=True, index=True, readonly=True, default=fields.Datetime.now
    )
    site_id = fields.Many2one(
        "integration.site",
        string="Site",
        index=True,
        ondelete="cascade",
        readonly=True,
        help="Empty: the event is for every site.",
    )
    site_name = fields.Char(related="site_id.code", store=True, string="Site Name")
    company_id = fields.Many2one("res.company", index=True, readonly=True)
    user_id = fields.Many2one(
        "res.users", string="Done By", readonly=True, default=lambda self: self.env.uid
    )
    manual = fields.Boolean(
        readonly=True, help="Created by a manual synchronisation rather than by interception."
    )

    @api.model
    def _operation_selection(self):
        return []

    @api.depends("operation_data")
    def _compute_operation_data_text(self):
        for row in self:
            row.operation_data_text = (
                json.dumps(row.operation_data, indent=2, sort_keys=True, ensure_ascii=False)
                if row.operation_data
                else False
            )

    @api.depends("record_operation", "res_model", "res_id")
    def _compute_display_name(self):
        """What a person reads: "Stock of [MUG-1] Mug", "Cancellation of S00042"; the
        technical reference only when the record has no name any more (deleted)."""
        labels = dict(self._fields["record_operation"]._description_selection(self.env))
        for row in self:
            what = row._subject_name() or f"{row.res_model},{row.res_id}"
            row.display_name = f"{labels.get(row.record_operation, '')}: {what}"

    def _subject_name(self):
        """The name of the record the event is about (each table says how)."""
        return False

    # ------------------------------------------------------------------ site addon API

    def _claim_pending(self, site, limit=500, statuses=(STATUS_NONE,), domain=None):
        """Lock and return up to ``limit`` rows of ``site`` whose status is in ``statuses``.

        Rows for every site (``site_id`` empty) and rows for this site qualify, oldest first.
        Rows locked by another transaction are skipped, never waited for: a second worker gets
        the next batch. The caller must change the rows' status before committing, otherwise
        they qualify again.
        """
        site.ensure_one()
        status_field = site._status_field(self._name)
        if not status_field:
            raise ValueError(f"Site {site.code!r} has no status field on {self._name}")
        full_domain = [
            "|",
            ("site_id", "=", False),
            ("site_id", "=", site.id),
            (status_field, "in", list(statuses)),
            *(domain or []),
        ]
        query = self.sudo()._search(full_domain, limit=limit, order="id")
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "%s FOR NO KEY UPDATE OF %s SKIP LOCKED",
                query.select(),
                SQL.identifier(self._table),
            )
        )
        return self.browse([row[0] for row in self.env.cr.fetchall()])

    def _set_site_status(self, site_code, status, data=None):
        """Set ``<site>_status``, ``_status_data`` and ``_status_timestamp`` on these rows."""
        self.write(
            {
                f"{site_code}_status": status,
                f"{site_code}_status_data": data,
                f"{site_code}_status_timestamp": fields.Datetime.now(),
            }
        )

    # ------------------------------------------------------------------ retention

    @api.model
    def _retention_days(self):
        value = self.env["ir.config_parameter"].sudo().get_param(RETENTION_PARAM)
        try:
            return max(int(value), 1)
        except (TypeError, ValueError):
            return DEFAULT_RETENTION_DAYS

    @api.model
    def _purge_domain(self):
        """Rows older than the retention period that every site is done with."""
        cutoff = fields.Datetime.now() - timedelta(days=self._retention_days())
        domain = [("operation_timestamp", "<", cutoff)]
        sites = self.env["integration.site"].sudo().with_context(active_test=False).search([])
        for site in sites:
            status_field = site._status_field(self._name)
            if status_field:
                # done for this site: processed successfully, or addressed to another site
                domain += [
                    "|",
                    (status_field, "=", STATUS_SUCCESS),
                    "&",
                    ("site_id", "!=", False),
                    ("site_id", "!=", site.id),
                ]
        return domain

    @api.model
    def _cron_purge(self, batch_size=10000):
        """Delete done rows past the retention period, in batches, reporting progress."""
        rows = self.sudo().search(self._purge_domain(), limit=batch_size, order="id")
        rows.unlink()
        remaining = self.sudo().search_count(self._purge_domain()) if rows else 0
        self.env["ir.cron"]._notify_progress(done=len(rows), remaining=remaining)
        return len(rows)
