"""A feed's exchange with Amazon: submission (a lost answer looked up before sending again),
acceptance, the processing report fetched and applied to its messages, rows and listings.
"""

import base64
import logging
from collections import defaultdict
from datetime import datetime, timedelta, timezone

from odoo import _, api, fields, models

from ..lib import listings_checks, listings_json, processing_report
from ..lib.api import AmazonCallError
from ..lib.responses import ResponseParseError
from .amazon_account import AmazonQuotaWait
from .amazon_catalog import (
    ORDER_FEED_RESERVE,
    POLL_DELAY,
    RETRY_DELAYS,
)

_logger = logging.getLogger(__name__)

#: How long before an unanswered attempt (by our estimate of Amazon's time) a submission
#: of it is looked for: the clock estimate's tolerance, with room to spare.
LOST_SUBMISSION_MARGIN = timedelta(minutes=3)
LATEST = datetime.max.replace(tzinfo=timezone.utc)


class AmazonFeed(models.Model):
    _inherit = "amazon.feed"

    def _submit(self, auto_commit=False):
        """SubmitFeed; on a temporary failure the feed waits for its next attempt.

        The moment of each attempt is saved (and committed when allowed) before the call
        and kept until Amazon's answer is recorded: a feed whose last attempt got no usable
        answer (a timeout, a malformed reply, a crash before the commit) may be on Amazon
        already, and `_recover_submission` looks for it before sending it again. Until it
        has, no other feed of its type is sent: the submission found must be its own."""
        self.ensure_one()
        account = self.account_id
        if not self.sent_unanswered_at and self._unanswered_sibling():
            return
        reserve = 0 if self.kind.startswith("order") else ORDER_FEED_RESERVE
        xml = base64.b64decode(self.feed_xml)
        try:
            if self.sent_unanswered_at and self._recover_submission():
                return
            self.sent_unanswered_at = account._server_now()
            if auto_commit:
                self.env.cr.commit()  # pylint: disable=invalid-commit
            _logger.debug("Amazon account %s: submitting feed %s", account.name, self.id)
            submission = account._api().feeds.submit(self.message_type, xml, reserve=reserve)
        except AmazonQuotaWait as wait:
            values = {
                "next_check_at": fields.Datetime.now()
                + timedelta(seconds=account._real_delay(wait.wait))
            }
            if wait.operation == "feeds.submit":
                values["sent_unanswered_at"] = False  # this attempt sent nothing
            self.write(values)
            raise
        except AmazonCallError as error:
            self.attempts += 1
            if error.retryable and self.attempts < len(RETRY_DELAYS) + 1:
                delay = account._real_delay(
                    RETRY_DELAYS[min(self.attempts - 1, len(RETRY_DELAYS) - 1)]
                )
                self.write(
                    {
                        "error_message": str(error),
                        "next_check_at": fields.Datetime.now() + timedelta(seconds=delay),
                    }
                )
                return
            self._failed(str(error))
            return
        self._accepted(submission.submission_id, submission.status)
        _logger.debug(
            "Amazon account %s: feed %s submitted as %s", account.name, self.id, self.submission_id
        )

    def _unanswered_sibling(self):
        """A draft feed of the account and type whose last attempt got no answer. Amazon
        lists submissions without their content, so a lost submission is known as ours
        only by its type and time: with two unanswered feeds of a type, the one whose
        attempt never reached Amazon would take the other's for its own, and its messages
        would never be sent."""
        sibling = self.search(
            [
                ("account_id", "=", self.account_id.id),
                ("feed_type", "=", self.feed_type),
                ("state", "=", "draft"),
                ("sent_unanswered_at", "!=", False),
                ("id", "!=", self.id),
            ],
            limit=1,
        )
        if sibling:
            _logger.debug(
                "Amazon account %s: feed %s waits for feed %s's answer to be found",
                self.account_id.name,
                self.id,
                sibling.id,
            )
        return sibling

    def _accepted(self, submission_id, processing_status):
        """Amazon has the feed under ``submission_id``: wait for its processing."""
        self.write(
            {
                "state": "submitted",
                "submission_id": submission_id,
                "processing_status": processing_status,
                "submitted_at": fields.Datetime.now(),
                "sent_unanswered_at": False,
                "next_check_at": fields.Datetime.now()
                + timedelta(seconds=self.account_id._real_delay(POLL_DELAY)),
                "error_message": False,
            }
        )
        self.line_ids.row_ids._set_site_status(
            "amazon", "submitted", _("In feed %s", self.submission_id)
        )
        self.line_ids.listing_id.filtered(lambda lst: lst.state in ("draft", "error")).write(
            {"state": "pending"}
        )

    def _recover_submission(self):
        """Whether an earlier, unanswered attempt of this feed was found on Amazon (and
        recorded as this feed's submission). Before sending again after such an attempt,
        the first submission of the same feed type made since the attempt (less
        LOST_SUBMISSION_MARGIN) that no feed of the account knows is taken as this feed's.
        An account's feeds are sent one at a time (the sync lock), and a feed type with an
        unanswered attempt sends nothing else until that attempt is found or sent again
        (`_unanswered_sibling`), so the first unknown submission since is this feed's.

        Sent twice, an order feed makes Amazon refuse every message of the second copy
        (already acknowledged, shipped or refunded) and puts our rows in error; a catalog
        feed sent twice spends a SubmitFeed of the hourly quota and, when a newer feed of
        the same SKUs went in between, may put an older value back. (Another program
        sending feeds of the same type for the same seller in those minutes would be taken
        for ours, and its report for our messages' answer: a seller runs one catalog
        program, and two programs confirming the same orders conflict anyway.)"""
        account = self.account_id
        infos = account._api().feeds.submitted_since(
            self.message_type, self.sent_unanswered_at - LOST_SUBMISSION_MARGIN
        )
        known = set(
            self.search(
                [
                    ("account_id", "=", account.id),
                    ("submission_id", "in", [i.submission_id for i in infos]),
                ]
            ).mapped("submission_id")
        )
        lost = sorted(
            (i for i in infos if i.submission_id not in known and i.feed_type == self.feed_type),
            key=lambda i: (i.submitted_at or LATEST, i.submission_id.zfill(20)),
        )
        if not lost:
            return False
        found = lost[0]
        _logger.info(
            "Amazon account %s: feed %s was received by Amazon as %s (its answer was lost)",
            account.name,
            self.id,
            found.submission_id,
        )
        self._accepted(found.submission_id, found.status)
        return True

    def _take_back(self):
        """A catalog feed built and never answered: its messages back into the queue, to be
        rebuilt from the current data, unless the process stopped during its SubmitFeed
        and Amazon has it (then it is followed like any feed sent)."""
        self.ensure_one()
        if not (self.sent_unanswered_at and self._recover_submission()):
            self._dissolve()

    def _dissolve(self):
        """Put an unsent catalog feed's messages back into the queue and forget the feed."""
        self.ensure_one()
        Queue = self.env["amazon.sync.queue"]
        for line in self.line_ids.filtered("listing_id"):
            Queue._enqueue(line.listing_id, [line.kind], rows=line.row_ids)
        self.unlink()

    def _failed(self, reason):
        self.write({"state": "error", "error_message": reason})
        self.line_ids.write({"state": "error", "result_description": reason})
        self.line_ids.row_ids._set_site_status("amazon", "error", reason)
        self.line_ids.listing_id.write({"state": "error", "error_message": reason})

    def _cancelled(self):
        self.write({"state": "cancelled"})
        self.line_ids.row_ids._set_site_status("amazon", "error", _("Amazon cancelled the feed."))

    def _fetch_result(self):
        """The processing report, applied. Returns the messages in error."""
        self.ensure_one()
        body = self.account_id._api().feeds.result(self.submission_id)
        if self.message_type == listings_json.MESSAGE_KIND:
            return self._apply_listings_report(body)
        try:
            report = processing_report.parse_processing_report(body)
            outcomes = processing_report.outcome_by_message(
                report, self.line_ids.mapped("message_id")
            )
        except processing_report.ReportNotFinal:
            self.next_check_at = fields.Datetime.now() + timedelta(
                seconds=self.account_id._real_delay(POLL_DELAY)
            )
            return self.env["amazon.feed.message"]
        except processing_report.ReportParseError as error:
            self.write({"report_xml": base64.b64encode(body)})
            self._failed(_("Unreadable processing report: %s", error))
            return self.line_ids
        self._report_received(
            body, report.processed, report.successful, report.with_error, report.with_warning
        )
        codes = {}
        for result in report.results:
            codes.setdefault(result.message_id, result.message_code)
        errors = self.env["amazon.feed.message"]
        for line in self.line_ids:
            state, text = outcomes.get(line.message_id, ("success", ""))
            code = codes.get(line.message_id) or codes.get(0) if state != "success" else False
            line.write({"state": state, "result_code": code, "result_description": text or False})
            if state == "error":
                errors |= line
        self._apply_outcomes()
        return errors

    def _report_received(self, body, processed, successful, with_error, with_warning):
        """The feed is done: its processing report and Amazon's counts."""
        self.write(
            {
                "state": "done",
                "completed_at": fields.Datetime.now(),
                "report_xml": base64.b64encode(body),
                "processed_count": processed,
                "success_count": successful,
                "error_count": with_error,
                "warning_count": with_warning,
            }
        )

    def _apply_listings_report(self, body):
        """A JSON_LISTINGS_FEED's processing report: each message's issues on its line
        (Amazon's code, severity, message and attribute names). Returns the lines in error."""
        try:
            report = listings_checks.parse_processing_report(body)
        except ResponseParseError as error:
            self.write({"report_xml": base64.b64encode(body)})
            self._failed(_("Unreadable processing report: %s", error))
            return self.line_ids
        self._report_received(
            body, report.processed, report.accepted, report.invalid, report.warnings
        )
        errors = self.env["amazon.feed.message"]
        for line in self.line_ids:
            state, text = report.outcome(line.message_id)
            issues = report.document_issues + report.issues.get(line.message_id, [])
            line.write(
                {
                    "state": state,
                    "result_code": issues[0].code if issues and state != "success" else False,
                    "result_description": text or False,
                }
            )
            if state == "error":
                errors |= line
        self._apply_outcomes()
        return errors

    def _apply_outcomes(self):
        """Listings and integration rows follow their messages' results."""
        now = fields.Datetime.now()
        for line in self.line_ids:
            listing = line.listing_id
            if not listing:
                continue
            if line.state == "error":
                listing.write({"state": "error", "error_message": line.result_description})
            elif line.kind == "delete":
                listing.write({"state": "deleted", "product_synced": False, "last_sync_at": now})
            else:
                values = {"last_sync_at": now, "error_message": False}
                if line.kind == "product":
                    values["product_synced"] = True
                if listing.state in ("pending", "error", "draft"):
                    values["state"] = "active"
                listing.write(values)
        self._update_rows(self.line_ids.row_ids)

    @api.model
    def _settle_rows(self, rows, text):
        """Rows left without a message by one kind: a success (``text``) only when no other
        entry still waits with them and every message that carried them succeeded; those
        with a refused message stay in error, those with a message in flight wait for it."""
        if not rows:
            return
        self.env.flush_all()
        waiting = set(
            self.env["amazon.sync.queue"].search([("row_ids", "in", rows.ids)]).row_ids.ids
        )
        self.env.cr.execute(
            """SELECT rel.row_id, array_agg(m.state)
                 FROM amazon_feed_message_row_rel rel
                 JOIN amazon_feed_message m ON m.id = rel.message_id
                WHERE rel.row_id = ANY(%s)
                GROUP BY rel.row_id""",
            (rows.ids,),
        )
        states = dict(self.env.cr.fetchall())
        done = rows.filtered(
            lambda row: (
                row.id not in waiting
                and all(state in ("success", "warning") for state in states.get(row.id, ()))
            )
        )
        sent = done.filtered(lambda row: row.id in states)
        if sent:
            self._update_rows(sent)  # Amazon's word (warnings included)
        (done - sent)._set_site_status("amazon", "success", text)

    def _update_rows(self, rows):
        """A row is a success once every message that carried it succeeded, an error as soon
        as one failed (one row can travel in several accounts' feeds)."""
        if not rows:
            return
        self.env.flush_all()
        self.env.cr.execute(
            """SELECT rel.row_id, m.state, m.seller_sku, m.result_description
                 FROM amazon_feed_message_row_rel rel
                 JOIN amazon_feed_message m ON m.id = rel.message_id
                WHERE rel.row_id = ANY(%s)
                ORDER BY m.id""",
            (rows.ids,),
        )
        by_row = defaultdict(list)
        for row_id, state, sku, text in self.env.cr.fetchall():
            by_row[row_id].append((state, sku, text))
        success, failed = defaultdict(list), defaultdict(list)
        for row_id, messages in by_row.items():
            if any(state == "error" for state, _sku, _text in messages):
                text = "\n".join(f"{sku}: {t}" for st, sku, t in messages if st == "error")
                failed[text].append(row_id)
            elif all(state in ("success", "warning") for state, _sku, _text in messages):
                text = "\n".join(f"{sku}: {t}" for st, sku, t in messages if st == "warning")
                success[text or _("Accepted by Amazon.")].append(row_id)
        Rows = self.env["product.integration"]
        for text, ids in failed.items():
            Rows.browse(ids)._set_site_status("amazon", "error", text)
        for text, ids in success.items():
            Rows.browse(ids)._set_site_status("amazon", "success", text)
