import math
from datetime import datetime, timedelta, timezone

from odoo import api, fields, models
from odoo.tools import SQL

from ..lib import quota

#: Calls of the non-paced callers at the start of an hour that do not count against the
#: paced ones (an acknowledgement and a shipment feed may both go out at once).
OTHERS_BURST = 2


class AmazonQuotaBucket(models.Model):
    """Amazon's request quota for one account and one throttling bucket, shared by every
    worker and server: the state is read and written under a row lock before each call."""

    _name = "amazon.quota.bucket"
    _description = "Amazon Request Quota"
    _order = "account_id, bucket"

    account_id = fields.Many2one("amazon.account", required=True, ondelete="cascade", index=True)
    bucket = fields.Char(required=True)
    state = fields.Json()
    throttled_count = fields.Integer(help="Calls Amazon throttled despite the accounting.")
    calls_count = fields.Integer()

    _sql_constraints = [
        ("bucket_unique", "unique(account_id, bucket)", "One quota bucket per operation."),
    ]

    @api.model
    def _locked(self, account, operation):
        """The bucket row of ``operation`` for ``account``, created if needed, locked."""
        bucket = account._api_class().quotas.bucket_of(operation)
        self.env.cr.execute(
            SQL(
                """INSERT INTO amazon_quota_bucket (account_id, bucket, throttled_count,
                       calls_count, create_uid, create_date, write_uid, write_date)
                   VALUES (%s, %s, 0, 0, %s, now() at time zone 'UTC', %s,
                           now() at time zone 'UTC')
                   ON CONFLICT (account_id, bucket) DO NOTHING""",
                account.id,
                bucket,
                self.env.uid,
                self.env.uid,
            )
        )
        self.env.cr.execute(
            SQL(
                "SELECT id FROM amazon_quota_bucket WHERE account_id = %s AND bucket = %s "
                "FOR NO KEY UPDATE",
                account.id,
                bucket,
            )
        )
        record = self.browse(self.env.cr.fetchone()[0])
        record.invalidate_recordset()
        return record

    @api.model
    def _now(self, account):
        """The clock quotas are counted on: the server's time (real, or the sandbox's
        accelerated time) as we estimate it, moved back by the error that estimate may
        have. Counting a little behind Amazon only delays a call; counting ahead of it
        would spend a token Amazon has not restored yet (a throttle). It also absorbs a
        call that leaves some time after its token was taken (a busy worker)."""
        now = account._quota_clock(datetime.now(timezone.utc))
        return now - timedelta(seconds=account._clock_tolerance())

    @api.model
    def _acquire(self, account, operation, reserve=0):
        """Take one request from the quota. Returns 0 when taken, else the seconds to wait."""
        record = self._locked(account, operation).sudo()
        now = self._now(account)
        table = account._api_class().quotas
        state = quota.BucketState.from_dict(record.state, table) if record.state else None
        allowed, wait, new_state = quota.acquire(
            state, operation, now, table=table, reserve=reserve
        )
        values = {"state": new_state.to_dict()}
        if allowed:
            values["calls_count"] = record.calls_count + 1
        record.write(values)
        return 0 if allowed else wait

    @api.model
    def _peek(self, account, operation, reserve=0):
        """Seconds until ``operation`` could be called (0: now), consuming nothing."""
        record = self._locked(account, operation).sudo()
        allowed, wait, _state = quota.acquire(
            record.state or None,
            operation,
            self._now(account),
            table=account._api_class().quotas,
            reserve=reserve,
        )
        return 0 if allowed else wait

    @api.model
    def _paced_wait(self, account, operation, budget, burst=3):
        """Seconds to wait so that ``budget`` calls an hour are spread over the hour (after a
        first ``burst``) instead of spent at its start and then nothing for the rest of it.
        Counts the calls taken with a reserve (the callers that pace themselves), plus the
        calls of the others beyond their share of the hourly quota (what ``budget`` and
        ``burst`` leave, spread over the hour, after a first ``OTHERS_BURST``): others within
        their share do not slow the pace down, others above it (many order feeds) take
        their extra from the paced callers' hour, evenly, rather than finding the hourly
        quota used up at the end of it."""
        record = self._locked(account, operation).sudo()
        state = record.state or {}
        start = state.get("hour_window_start")
        if start is None:
            return 0
        elapsed = self._now(account).timestamp() - start
        if elapsed >= quota.HOUR or elapsed < 0:
            return 0
        count = state.get("reserving_count") or 0
        hourly = account._api_class().quotas.limit_for(operation).hourly
        if hourly:
            others = (state.get("hour_count") or 0) - count
            share = OTHERS_BURST + max(0, hourly - burst - budget) * elapsed / quota.HOUR
            count += max(0, math.ceil(others - share))
        if count < burst + budget * elapsed / quota.HOUR:
            return 0
        return (count - burst + 1) * quota.HOUR / budget - elapsed

    @api.model
    def _observe(self, account, operation, headers):
        """Align the hourly count with what the reply's headers say of the quota (the API
        implementation reads its own headers; nothing is written when they say nothing)."""
        Api = account._api_class()
        table = Api.quotas
        now = self._now(account)
        limit = table.limit_for(operation)
        probe = quota.BucketState.full(operation, now, table)
        if Api.observe_quota(probe, now, headers, limit) == probe:
            return  # the reply says nothing of the quota: no lock taken
        known = self.sudo().search(
            [("account_id", "=", account.id), ("bucket", "=", table.bucket_of(operation))],
            limit=1,
        )
        if known.state:
            stored = quota.BucketState.from_dict(known.state, table)
            if Api.observe_quota(stored, now, headers, limit) == stored:
                return  # what it says is known already (SP-API's rate on every answer)
        record = self._locked(account, operation).sudo()
        state = quota.BucketState.from_dict(record.state, table) if record.state else probe
        record.write({"state": Api.observe_quota(state, now, headers, limit).to_dict()})

    @api.model
    def _throttled(self, account, operation, headers=None, quota_exceeded=False):
        """Amazon throttled us anyway: treat the bucket as empty until it restores."""
        record = self._locked(account, operation).sudo()
        now = self._now(account)
        table = account._api_class().quotas
        state = quota.BucketState.from_dict(record.state, table) if record.state else None
        state = quota.penalise(
            state or quota.BucketState.full(operation, now, table),
            now,
            table=table,
            quota_exceeded=quota_exceeded,
        )
        record.write({"state": state.to_dict(), "throttled_count": record.throttled_count + 1})
