"""Work a person asked for, done by the synchronisation cron.

A button or wizard checks the user's access, records what was asked here and triggers the
cron (``ir.cron._trigger``): nothing is sent to Amazon inside the user's request, and the work
runs as the cron, only after the access check of the person who asked for it. Parallel cron
workers never take the same request (``FOR UPDATE SKIP LOCKED``).
"""

import logging

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..lib.api import AmazonCallError
from .amazon_catalog import in_test_mode

_logger = logging.getLogger(__name__)

JOBS = [
    ("sync", "Synchronize now"),
    ("download_orders", "Download orders"),
    ("retry_orders", "Retry order import"),
    ("settlements", "Download settlements"),
    ("retry_settlements", "Retry settlements"),
    ("product_types", "Search product types"),
]
#: jobs that commit as they go: the request is taken (deleted and committed) before they run;
#: each takes the account's job lock itself (a job another worker runs now is skipped)
COMMITTING_JOBS = ("sync", "download_orders", "settlements")


class AmazonSyncRequest(models.Model):
    _name = "amazon.sync.request"
    _description = "Amazon Work Request"
    _order = "id"

    account_id = fields.Many2one("amazon.account", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="account_id.company_id", store=True, index=True)
    job = fields.Selection(JOBS, required=True)
    res_ids = fields.Json("Records", help="The records the job is about (retries).")
    payload = fields.Json()
    user_id = fields.Many2one(
        "res.users", string="Requested By", default=lambda self: self.env.user, readonly=True
    )

    @api.model
    def _request(self, account, job, res_ids=None, payload=None):
        """Queue ``job`` for ``account`` (access already checked by the caller) and wake the
        cron up. Created as the user: the record rules and access rights apply."""
        request = self.create(
            {"account_id": account.id, "job": job, "res_ids": res_ids, "payload": payload}
        )
        self._wake_cron()
        return request

    @api.model
    def _wake_cron(self):
        """Ask Odoo's cron runner for a run of the synchronisation now (no rights needed)."""
        self.env.ref("amazon_integration.ir_cron_amazon_sync")._trigger()

    @api.model
    def _run_pending(self, auto_commit=False):
        """Run every queued request this worker can take. Returns how many ran."""
        done = 0
        self.env.cr.execute("SELECT coalesce(max(id), 0) FROM amazon_sync_request")
        last = self.env.cr.fetchone()[0]  # requests queued again by this run wait for the next
        while True:
            self.env.cr.execute(
                "SELECT id FROM amazon_sync_request WHERE id <= %s ORDER BY id LIMIT 1 "
                "FOR UPDATE SKIP LOCKED",
                (last,),
            )
            row = self.env.cr.fetchone()
            if not row:
                return done
            request = self.sudo().browse(row[0])
            account = request.account_id
            values = request._take()
            if auto_commit and values["job"] in COMMITTING_JOBS:
                self.env.cr.commit()  # pylint: disable=invalid-commit
            self._run(account, values, auto_commit)
            if auto_commit:
                self.env.cr.commit()  # pylint: disable=invalid-commit
            done += 1

    @api.model
    def _run_orders_job(self, account, values, auto_commit):
        if values["job"] == "retry_orders":
            orders = self.env["sale.order"].browse(values["res_ids"]).exists()
            if orders:
                account._retry_orders(orders)
            return
        payload = values["payload"]
        if payload.get("date_from"):
            account.write(
                {
                    "order_download_from": payload["date_from"],
                    "order_download_to": payload["date_to"],
                }
            )
        errors = account._orders_step(auto_commit=auto_commit)
        if errors:
            account._notify_errors([], errors)
        if account.order_download_from and not account.auto_sync:
            # a long range takes several runs (report cycles): continue on the next
            self.create({"account_id": account.id, "job": "download_orders"})

    def _take(self):
        values = {"job": self.job, "res_ids": self.res_ids or [], "payload": self.payload or {}}
        self.unlink()
        return values

    @api.model
    def _run(self, account, values, auto_commit):
        job = values["job"]
        try:
            if job == "sync":
                account._sync_now(auto_commit)
            elif job in ("download_orders", "retry_orders"):
                # the order import of the account runs in one worker at a time
                with account._job_lock("sync") as taken:
                    if taken:
                        self._run_orders_job(account, values, auto_commit)
                    else:  # the account's cycle runs now: the next run takes this request
                        self.create(
                            {
                                "account_id": account.id,
                                "job": job,
                                "res_ids": values["res_ids"],
                                "payload": values["payload"],
                            }
                        )
            elif job == "settlements":
                errors = account._settlements_locked(auto_commit=auto_commit, force=True)
                if errors:
                    account._notify_errors([], errors)
            elif job == "retry_settlements":
                settlements = self.env["amazon.settlement"].browse(values["res_ids"]).exists()
                settlements._retry_now()
            elif job == "product_types":
                keywords = values["payload"].get("keywords")
                self.env["amazon.product.type"]._search_amazon(account, keywords)
        except (AmazonCallError, UserError) as error:  # transport texts are sanitised already
            _logger.warning("Amazon account %s (%s): %s", account.name, job, error)
            account._notify_errors([], [str(error)])
        except Exception:
            if not auto_commit or in_test_mode():
                raise
            self.env.cr.rollback()
            _logger.exception("Amazon account %s: the requested %s failed", account.name, job)
            account._notify_errors([], [_("The requested job %s failed; see the server log.", job)])
