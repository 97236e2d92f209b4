"""One report cycle for every report the connector asks for: request → poll → download.

A report request is runtime state of its own (the account stays configuration): one open
request per account and lane (``orders``: new orders and the manual download; ``updates``:
changes of known orders; ``fba``: Amazon's FBA stock). It is saved (and committed) before
Amazon is asked, so a crash right after the call finds the request on Amazon again instead
of asking twice; a request Amazon cancelled is asked again; an unreadable document closes
the request in error (the next run asks again for the same window).

Settlement reports are not asked for: Amazon schedules them; the settlement download lists
them and downloads each through the same reports capability.
"""

import logging
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.addons.integrator_base.models.integration_mixin import check_integration_manager

from ..lib import api as amazon
from ..lib.order_values import naive
from ..lib.responses import ResponseParseError

_logger = logging.getLogger(__name__)

#: seconds (the server's clock) between two polls of a request
POLL_SECONDS = 60
#: how far before a lost request's moment Amazon's request list is read
LOST_REQUEST_MARGIN = timedelta(minutes=5)
OPEN_STATES = ("new", "requested", "ready")


class AmazonReportRequest(models.Model):
    _name = "amazon.report.request"
    _description = "Amazon Report Request"
    _order = "id desc"
    _rec_name = "kind"

    account_id = fields.Many2one("amazon.account", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="account_id.company_id", store=True, index=True)
    lane = fields.Char(required=True, help="One open request per account and lane.")
    purpose = fields.Char(required=True)
    kind = fields.Char("Report", required=True)
    window_start = fields.Datetime("From")
    window_end = fields.Datetime("To")
    state = fields.Selection(
        [
            ("new", "To request"),
            ("requested", "Requested"),
            ("ready", "Ready to download"),
            ("done", "Done"),
            ("failed", "Failed"),
        ],
        default="new",
        required=True,
        index=True,
    )
    sent = fields.Boolean(help="A request was sent (its answer may have been lost).")
    requested_at = fields.Datetime(help="When it was asked for (the server's clock).")
    poll_at = fields.Datetime()
    request_id = fields.Char("Amazon Request ID", index=True)
    report_id = fields.Char("Amazon Report ID")
    attempts = fields.Integer(help="Times Amazon cancelled it and it was asked again.")
    row_count = fields.Integer("Rows Read")
    error_message = fields.Text()

    def init(self):
        self.env.cr.execute(
            "CREATE UNIQUE INDEX IF NOT EXISTS amazon_report_request_open_lane "
            "ON amazon_report_request (account_id, lane) "
            "WHERE state IN ('new', 'requested', 'ready')"
        )

    @api.model
    def _open(self, account, lane):
        return self.search(
            [("account_id", "=", account.id), ("lane", "=", lane), ("state", "in", OPEN_STATES)],
            limit=1,
        )

    @api.model
    def _start(self, account, lane, purpose, kind, start=None, end=None, auto_commit=False):
        """A new request, saved (and committed) before anything is asked of Amazon. Times
        are kept to the second, as Amazon reads and reports them."""

        def second(moment):
            return moment.replace(microsecond=0) if moment else moment

        request = self.create(
            {
                "account_id": account.id,
                "lane": lane,
                "purpose": purpose,
                "kind": kind,
                "window_start": second(start),
                "window_end": second(end),
                "requested_at": second(account._server_now()),
            }
        )
        if auto_commit:
            self.env.cr.commit()  # pylint: disable=invalid-commit
        return request

    def _step(self, auto_commit=False):
        """One step of the cycle. Returns ``None`` while waiting (asked, polled, or asked
        again), else the report's rows: the document's (state ``ready``; the caller closes
        the request once they are used) or none (Amazon had no data: already closed); raises
        ``ResponseParseError`` for a document that cannot be read (the request is closed
        in error first)."""
        self.ensure_one()
        account = self.account_id
        now = account._server_now()
        reports = account._api().reports
        if self.state == "new":
            found = self._find_lost() if self.sent else None
            if not found:
                self.sent = True
                if auto_commit:
                    self.env.cr.commit()  # pylint: disable=invalid-commit
                found = reports.request(self.kind, self.window_start, self.window_end).request_id
            self.write(
                {
                    "state": "requested",
                    "request_id": found,
                    "poll_at": now + timedelta(seconds=POLL_SECONDS),
                }
            )
            return None
        if self.state == "requested":
            if self.poll_at and self.poll_at > now:
                return None
            info = next((r for r in reports.requests([self.request_id])
                         if r.request_id == self.request_id), None)  # fmt: skip
            status = info.state if info else None
            if status == amazon.DONE and info.report_id:
                self.write({"state": "ready", "report_id": info.report_id})
            elif status in (amazon.DONE_NO_DATA, amazon.DONE):
                self._close()
                return []
            elif status in (amazon.CANCELLED, amazon.FATAL) or info is None:
                _logger.info(
                    "Amazon account %s: report request %s %s; asked again",
                    account.name,
                    self.request_id,
                    info.status if info else "unknown",
                )
                self.write(
                    {
                        "state": "new",
                        "sent": False,
                        "request_id": False,
                        "requested_at": now,
                        "attempts": self.attempts + 1,
                    }
                )
                return None
            else:
                self.poll_at = now + timedelta(seconds=POLL_SECONDS)
                return None
        body = reports.download(self.report_id, self.kind)
        try:
            rows = reports.parse(self.kind, body)
        except ResponseParseError as error:
            self.write({"state": "failed", "error_message": str(error)})
            raise
        self.row_count = len(rows)
        return rows

    @api.model
    def _periodic(self, account, lane, kind, due, apply, label, auto_commit=False):
        """One step of a report read every so often (FBA stock, listings): asked when
        ``due()`` and none of ``lane`` is open, polled, then ``apply(rows)`` once Amazon made
        it (not for "no data"). Returns ``(finished, errors)``: ``finished`` once the report
        was applied or found unreadable (the caller notes the moment), never while waiting."""
        request = self._open(account, lane)
        if not request:
            if not due():
                return False, []
            request = self._start(account, lane, lane, kind, auto_commit=auto_commit)
        try:
            rows = request._step(auto_commit=auto_commit)
        except ResponseParseError as error:
            return True, [_("%(report)s report unreadable: %(error)s", report=label, error=error)]
        if rows is None:
            return False, []  # asked or polled: the next run goes on
        if request.state == "ready":  # a document (not "no data"): even an empty one counts
            apply(rows)
        request._close()
        return True, []

    def action_retry(self):
        """Retry a failed report: its lane asks Amazon again in the next run (a failed
        request never moved its checkpoint, so no window is skipped); the entry leaves the
        Errors list once a later request of the lane is done."""
        check_integration_manager(self.env, self)
        self.env["amazon.sync.request"]._wake_cron()
        return True

    def _close(self):
        self.write({"state": "done", "poll_at": False})
        self.flush_recordset()  # the lane is free for the next request at once

    def _find_lost(self):
        """The request id of a request sent before a crash (its answer lost), if Amazon has
        one of this kind for the same window."""
        requests = self.account_id._api().reports.requested_since(
            self.kind, self.requested_at - LOST_REQUEST_MARGIN
        )
        for info in requests:
            if naive(info.start) == self.window_start and naive(info.end) == self.window_end:
                return info.request_id
        return None

    @api.model
    def _cron_purge(self, days=30):
        """Closed requests older than ``days`` go (they are kept a while to be looked at)."""
        cutoff = fields.Datetime.now() - timedelta(days=days)
        self.search([("state", "in", ("done", "failed")), ("write_date", "<", cutoff)]).unlink()

    @api.depends("kind", "state")
    def _compute_display_name(self):
        for request in self:
            request.display_name = _("%(kind)s report (%(state)s)", kind=request.kind,
                                     state=request.state)  # fmt: skip
