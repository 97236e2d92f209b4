from datetime import timedelta

from odoo import api, fields, models


class AmazonApiLog(models.Model):
    """One row per call to Amazon: what, when, Amazon's request id, outcome and duration.

    Amazon support asks for the request id and timestamp of a failing call (seed 003). No
    credential is ever stored here.
    """

    _name = "amazon.api.log"
    _description = "Amazon API Call"
    _order = "id desc"
    _rec_name = "operation"

    account_id = fields.Many2one("amazon.account", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="account_id.company_id", store=True)
    operation = fields.Char(required=True, index=True)
    request_id = fields.Char("Request ID", index=True)
    timestamp = fields.Datetime(required=True, default=fields.Datetime.now, index=True)
    status = fields.Selection(
        [
            ("ok", "OK"),
            ("throttled", "Throttled"),
            ("transient", "Temporary failure"),
            ("auth", "Authentication error"),
            ("permanent", "Error"),
            ("restart_paging", "Paging restarted"),
        ],
        required=True,
        index=True,
    )
    http_status = fields.Integer("HTTP Status")
    duration_ms = fields.Integer("Duration (ms)")
    error_code = fields.Char()
    error_message = fields.Text()
    size = fields.Integer("Response Size (bytes)")

    @api.model
    def _log_reply(self, account, reply):
        return self.sudo().create(
            {
                "account_id": account.id,
                "operation": reply.operation,
                "request_id": reply.request_id,
                "status": "ok",
                "http_status": reply.status,
                "duration_ms": int(reply.duration * 1000),
                "size": len(reply.body),
            }
        )

    @api.model
    def _log_error(self, account, error):
        return self.sudo().create(
            {
                "account_id": account.id,
                "operation": error.operation,
                "request_id": error.request_id,
                "status": error.kind,
                "http_status": error.http_status or 0,
                "duration_ms": int(error.duration * 1000),
                "error_code": error.code,
                "error_message": (error.message or "")[:2000],
            }
        )

    @api.model
    def _cron_purge(self):
        for account in self.env["amazon.account"].with_context(active_test=False).search([]):
            cutoff = fields.Datetime.now() - timedelta(days=max(account.log_retention_days, 1))
            self.search([("account_id", "=", account.id), ("timestamp", "<", cutoff)]).unlink()
