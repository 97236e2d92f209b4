from datetime import datetime, timezone

from odoo import api, fields, models
from odoo.tools import SQL

from ..lib import quota


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
        bucket = quota.bucket_of(operation)
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
        """The clock quotas are counted on: real time, or the sandbox's accelerated time."""
        now = datetime.now(timezone.utc)
        return account._quota_clock(now)

    @api.model
    def _acquire(self, account, operation, reserve=0):
        """Take one request from the quota. Returns 0 when taken, else the seconds to wait."""
        record = self._locked(account, operation).sudo()
        now = self._now(account)
        state = quota.BucketState.from_dict(record.state) if record.state else None
        allowed, wait, new_state = quota.acquire(state, operation, now, reserve=reserve)
        values = {"state": new_state.to_dict()}
        if allowed:
            values["calls_count"] = record.calls_count + 1
        record.write(values)
        return 0 if allowed else wait

    @api.model
    def _throttled(self, account, operation, headers=None, quota_exceeded=False):
        """Amazon throttled us anyway: treat the bucket as empty until it restores."""
        record = self._locked(account, operation).sudo()
        now = self._now(account)
        state = quota.BucketState.from_dict(record.state) if record.state else None
        state = quota.penalise(
            state or quota.BucketState.full(operation, now), now, quota_exceeded=quota_exceeded
        )
        record.write({"state": state.to_dict(), "throttled_count": record.throttled_count + 1})
