"""Orders fetched from Amazon and waiting for their import: the staging the workers share.

An order report carries thousands of orders; importing them is Odoo's work (partners, the
sale order, confirmation, reservation), far slower than reading them. So the report path
stages what it read, one row per (account, Amazon order id), and the order import takes the
rows in batches, from any number of workers and servers at once:

* the sync cron's own cycle drains its account for a share of its time, and the cron lanes
  (``Amazon: import orders``; duplicate one for more lanes, Odoo's cron runner runs each in
  one worker at a time) take the rest, triggered when rows are staged;
* a worker claims a batch with ``FOR NO KEY UPDATE SKIP LOCKED``: two workers never hold the
  same row, and a row is deleted in the transaction that imports its order, so each Amazon
  order becomes exactly one sale order whatever the number of workers, and a worker killed
  mid-batch loses nothing (its transaction and its locks go, the rows stay for the next);
* an order staged again before its import (a later report, the update report) is merged
  into its row: the newer dict's keys win, the older one's others stay (the update report
  has no address);
* an order that cannot even be kept in exception stays staged with its error, retried
  later (1, 2, 4 … 60 minutes), and told to the account's responsible once;
* a deadlock or serialisation failure between workers (they reserve the same products; a
  row another worker deleted after this transaction's snapshot) undoes the batch alone, and
  a new transaction tries again.

The orders of the Orders API stay in its listing's own state (``order_listing_state``): its
quota (a page of 100 a minute) keeps it well under one worker's speed.
"""

import json
import logging
import random
import time
import zlib
from collections import defaultdict
from contextlib import contextmanager
from datetime import datetime, timedelta

from odoo import _, api, fields, models
from odoo.tools import SQL, config

from ..lib.order_values import from_json, naive, to_json
from .amazon_catalog import in_test_mode
from .amazon_order_import import TRANSIENT_DB_ERRORS, BuyerCreatedElsewhere

_logger = logging.getLogger(__name__)

#: orders per claimed batch (at most; a short budget takes smaller ones)
BATCH = 50
#: orders one worker imports per second, about (sizes a batch to a short budget)
ORDERS_PER_SECOND = 5
#: a batch undone by a transient database error is tried again this many times in a row
TRANSIENT_TRIES = 3
#: quotations confirmed per transaction once the confirmations meet others: a confirmation
#: reserves stock on the quants the warehouse's validations change too, and under
#: REPEATABLE READ any validation committed meanwhile undoes it (P3 on SP-API: 408 of 594
#: batches of 50 undone); a short transaction meets fewer, and undoes only its own few
#: orders. Meeting nobody, a worker confirms its whole batch in one transaction: Odoo runs
#: the procurements once (P6, one worker: 18.3 orders/s against 14.9 in chunks of ten).
CONFIRM_CHUNK = 10
#: how long a worker keeps to CONFIRM_CHUNK after its last deadlock or serialisation failure
CONTENDED_SECONDS = 300
#: this process's last transient failure (time.monotonic()); each worker learns on its own
_contention = {"until": 0.0}
#: the workers' confirmations, one at a time (a PostgreSQL advisory lock key)
CONFIRM_LOCK = zlib.crc32(b"amazon.order.stage/confirm") & 0x7FFFFFFF
#: how long a row with its quotation belongs to the worker confirming it
IN_FLIGHT = timedelta(minutes=2)


def confirm_json(values):
    """The values written once an order is confirmed, as JSON (dates as Odoo strings)."""
    return {
        key: fields.Datetime.to_string(value) if isinstance(value, datetime) else value
        for key, value in values.items()
    }


def cron_budget(share):
    """Seconds of work one cron callback may take: ``share`` of the tightest limit a cron
    worker runs under (``limit_time_real_cron``, else ``limit_time_real``; in workers mode
    ``limit_time_cpu`` too), so that Odoo never kills it mid-way. Odoo's runner calls a
    callback that reports progress up to 10 times in one go: the lanes take 1/20."""
    limits = []
    real = config.get("limit_time_real_cron", -1)
    if real is None or real < 0:
        real = config.get("limit_time_real") or 0
    if real > 0:
        limits.append(real)
    if config.get("workers") and (config.get("limit_time_cpu") or 0) > 0:
        limits.append(config["limit_time_cpu"])
    limit = min(limits) if limits else 600
    return max(2.0, min(limit * share, 120.0))


class AmazonOrderStage(models.Model):
    _name = "amazon.order.stage"
    _description = "Amazon Order Waiting for Import"
    _order = "id"
    _rec_name = "amazon_order_id"

    account_id = fields.Many2one("amazon.account", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="account_id.company_id", store=True, index=True)
    amazon_order_id = fields.Char("Amazon Order", required=True, readonly=True)
    payload = fields.Json("Amazon Data", readonly=True)
    last_update = fields.Datetime("Last Update on Amazon", readonly=True)
    attempts = fields.Integer(readonly=True)
    error = fields.Text(readonly=True)
    not_before = fields.Datetime("Next Attempt", readonly=True, index=True)
    sale_order_id = fields.Many2one(
        "sale.order", "Quotation", readonly=True, ondelete="set null", index="btree_not_null"
    )
    confirm_values = fields.Json(readonly=True)

    _sql_constraints = [
        (
            "order_unique",
            "unique(account_id, amazon_order_id)",
            "An Amazon order waits for its import once.",
        ),
    ]

    # ------------------------------------------------------------------ staging

    @api.model
    def _stage(self, account, orders):
        """Stage ``orders`` (contract dicts) of ``account``; an order already waiting is
        merged into its row (the newer dict's keys win). Returns how many were staged."""
        merged = {}
        for order in orders:
            oid = order.get("amazon_order_id")
            if not oid:
                continue
            data = to_json(order)
            if oid in merged:
                older, newer = merged[oid], data
                if (older.get("last_update_date") or "") > (newer.get("last_update_date") or ""):
                    older, newer = newer, older
                data = {**older, **newer}
            merged[oid] = data
        if not merged:
            return 0
        rows = list(merged.items())
        for start in range(0, len(rows), 1000):
            values = SQL(", ").join(
                SQL(
                    "(%s, %s, %s, %s::jsonb, %s, 0, %s, now() at time zone 'UTC')",
                    account.id,
                    account.company_id.id,
                    oid,
                    json.dumps(data),
                    naive(data.get("last_update_date")),
                    self.env.uid,
                )
                for oid, data in rows[start : start + 1000]
            )
            # the newer dict's keys win, whichever arrives first
            self.env.cr.execute(
                SQL(
                    """
                INSERT INTO amazon_order_stage
                    (account_id, company_id, amazon_order_id, payload, last_update, attempts,
                     create_uid, create_date)
                VALUES %s
                ON CONFLICT (account_id, amazon_order_id) DO UPDATE SET
                    payload = CASE
                        WHEN EXCLUDED.last_update IS NULL
                          OR amazon_order_stage.last_update IS NULL
                          OR EXCLUDED.last_update >= amazon_order_stage.last_update
                        THEN amazon_order_stage.payload || EXCLUDED.payload
                        ELSE EXCLUDED.payload || amazon_order_stage.payload
                    END,
                    last_update = GREATEST(amazon_order_stage.last_update, EXCLUDED.last_update),
                    attempts = 0, error = NULL, not_before = NULL
                    """,
                    values,
                ),
                # a lane's concurrent import is retried by the caller (_attempt), not a bug
                log_exceptions=False,
            )
        self.invalidate_model()
        return len(rows)

    @api.model
    def _staged_ids(self, account, amazon_order_ids):
        """Which of these Amazon order ids wait for their import on ``account``."""
        if not amazon_order_ids:
            return set()
        self.env.cr.execute(
            "SELECT amazon_order_id FROM amazon_order_stage"
            " WHERE account_id = %s AND amazon_order_id = ANY(%s)",
            (account.id, list(amazon_order_ids)),
        )
        return {row[0] for row in self.env.cr.fetchall()}

    @api.model
    def _trigger_lanes(self, at=None):
        """Wake the import lanes up now (after the staging's commit), or ``at``."""
        for cron in self._lanes():
            cron._trigger(at)

    @api.model
    def _lanes(self):
        """The active import lanes (with ``active_test=False`` in the context: all)."""
        return (
            self.env["ir.cron"]
            .sudo()
            .search([("model_id.model", "=", self._name)])
            .filtered(lambda c: "_cron_import" in (c.code or ""))
        )

    # ------------------------------------------------------------------ importing

    @api.model
    def _claim(self, account=None, limit=BATCH):
        """Lock up to ``limit`` due rows no other worker holds; returns them."""
        now = fields.Datetime.now()
        # a row with its quotation waits for its worker's confirmation, unless that worker
        # died before it (then, after IN_FLIGHT, any worker confirms it)
        condition = SQL(
            "(not_before IS NULL OR not_before <= %s)"
            " AND (sale_order_id IS NULL OR write_date < %s)",
            now,
            now - IN_FLIGHT,
        )
        if account:
            condition = SQL("%s AND account_id = %s", condition, account.id)
        self.env.cr.execute(
            SQL(
                "SELECT id FROM amazon_order_stage WHERE %s ORDER BY id LIMIT %s"
                " FOR NO KEY UPDATE SKIP LOCKED",
                condition,
                limit,
            )
        )
        return self.browse([row[0] for row in self.env.cr.fetchall()])

    @api.model
    def _drain(self, account=None, budget=None, auto_commit=False):
        """Import staged orders (of ``account``, else of every account) batch by batch
        until none is due or ``budget`` seconds are spent (one batch at least). Returns the
        counts of ``_import_orders`` summed and the errors to tell:
        ``{"orders": n, "created": n, ..., "errors": {account: [...]}}``.

        With ``auto_commit`` (the crons) a batch is two transactions: the import (partners,
        quotations; in parallel with the other workers), then the confirmation (the stock
        reservations) under a lock the workers share, so that two workers never reserve the
        same products at once: Odoo's transactions are REPEATABLE READ, and the second
        would fail on every quant the first reserved. A crash between the two leaves the
        rows with their quotation; a worker confirms them later (`_claim`)."""
        deadline = time.monotonic() + budget if budget else None
        size = BATCH if not budget else max(5, min(BATCH, int(budget * ORDERS_PER_SECOND)))
        tally = defaultdict(int)
        errors = defaultdict(list)
        if auto_commit:
            self.env.cr.commit()  # pylint: disable=invalid-commit
        while not (deadline and tally["orders"] and time.monotonic() >= deadline):
            started = time.monotonic()
            done, error = self._attempt(lambda: self._import_batch(account, size), auto_commit)
            if done is None:
                if isinstance(error, BuyerCreatedElsewhere) and self._set_aside(
                    error, errors, auto_commit
                ):
                    continue  # the rest of its batch goes on without it
                break  # undone again and again: the next run tries
            claimed, counts, failures, to_confirm = done
            if not claimed:
                break
            if auto_commit:
                self.env.cr.commit()  # pylint: disable=invalid-commit
            for key, value in counts.items():
                tally[key] += value
            for acc, texts in failures.items():
                errors[acc] += texts
            imported = time.monotonic()
            if to_confirm:
                with self._confirm_lock(auto_commit):
                    locked = time.monotonic()
                    left = self._confirm_batch(to_confirm, auto_commit)
                _logger.debug(
                    "Amazon order import: %s orders in %.2f s, waited %.2f s to confirm %s in"
                    " %.2f s",
                    len(claimed),
                    imported - started,
                    locked - imported,
                    len(to_confirm),
                    time.monotonic() - locked,
                )
                if left:
                    tally["created"] -= left
                    tally["exceptions"] += left
        result = dict(tally)
        result["errors"] = dict(errors)
        return result

    def _confirm_batch(self, row_ids, auto_commit):
        """Confirm the quotations of these rows; returns how many were left in exception.

        In one transaction while this worker meets nobody; after a deadlock or a
        serialisation failure (CONTENDED_SECONDS), CONFIRM_CHUNK at a time, each tried
        again. Rows undone again and again keep their quotations, and a worker confirms
        them later (_claim)."""
        left, start = 0, 0
        while start < len(row_ids):
            alone = time.monotonic() >= _contention["until"]
            size = len(row_ids) - start if alone else CONFIRM_CHUNK
            chunk = row_ids[start : start + size]
            still, error = self._attempt(
                lambda ids=chunk: self._confirm_rows(ids),
                auto_commit,
                tries=1 if size > CONFIRM_CHUNK else TRANSIENT_TRIES,
            )
            if error is not None and size > CONFIRM_CHUNK:
                continue  # undone once: the same rows, in short transactions
            left += still or 0
            if auto_commit:
                self.env.cr.commit()  # pylint: disable=invalid-commit
            start += len(chunk)
        return left

    def _attempt(self, work, auto_commit, tries=TRANSIENT_TRIES):
        """``work()`` in a savepoint; a deadlock or serialisation failure (another worker)
        undoes it and it runs again in a new transaction, up to ``tries`` times (and this
        process confirms in short transactions for a while: _confirm_batch). Returns (its
        result, None), or (None, the last error) after the last try.

        Workers in each other's way are no news (INFO)."""
        error = None
        for _try in range(tries):
            try:
                with self.env.cr.savepoint():
                    return work(), None
            except TRANSIENT_DB_ERRORS as undone:
                error = undone
                _contention["until"] = time.monotonic() + CONTENDED_SECONDS
                _logger.info("Amazon order import: batch undone (%s), tried again", error)
                if auto_commit:
                    # REPEATABLE READ: only a new transaction sees what the other committed
                    self.env.cr.rollback()
                self.env.invalidate_all()
                time.sleep(random.uniform(0.05, 0.5))  # jitter, not security
        return None, error

    @api.model
    def _set_aside(self, error, errors, auto_commit):
        """A buyer (or delivery address) that another worker created and that a new
        transaction still does not find is no race: the contact exists where the import
        does not look. Its order would undo its whole batch at every run, so it waits on
        its own instead, as a failed order (kept, tried again later, the account told once);
        the others go on. Returns whether a row was set aside."""
        oid = str(error)
        rows = self.search([("amazon_order_id", "=", oid), ("sale_order_id", "=", False)])
        if not rows:
            return False
        _logger.warning(
            "Amazon order import: the buyer of order %s has a contact the import cannot find"
            " (%d tries); the order waits on its own, the rest of its batch goes on. Check"
            " that contact's company and archive state.",
            oid,
            TRANSIENT_TRIES,
        )
        text = _(
            "Order %s: its buyer or delivery address is a contact the import can neither find"
            " nor create again (another company's contact, or one it cannot see). Check that"
            " contact, then use Import Now.",
            oid,
        )
        for row in rows:
            if not row.attempts:
                errors[row.account_id].append(text)
            row._failed(text)
        if auto_commit:
            self.env.cr.commit()  # pylint: disable=invalid-commit
        return True

    @contextmanager
    def _confirm_lock(self, auto_commit):
        """The workers' confirmations one at a time: a session advisory lock, taken before
        the transaction that confirms (its snapshot then sees the previous confirmation)."""
        if not auto_commit:
            yield
            return
        cr = self.env.cr
        cr.execute("SELECT pg_advisory_lock(%s)", [CONFIRM_LOCK])
        cr.commit()  # pylint: disable=invalid-commit
        try:
            yield
        finally:
            cr.rollback()
            cr.execute("SELECT pg_advisory_unlock(%s)", [CONFIRM_LOCK])
            cr.commit()  # pylint: disable=invalid-commit

    def _import_batch(self, account, size=BATCH):
        """Claim a batch and import its orders without confirming them. Returns (claimed
        rows, counts, {account: first-failure texts}, ids of the rows to confirm)."""
        rows = self._claim(account, size)
        counts = defaultdict(int)
        failures = defaultdict(list)
        to_confirm = rows.filtered("sale_order_id").ids  # left by a crash: confirm only
        by_account = defaultdict(lambda: self.browse())
        for row in rows - rows.filtered("sale_order_id"):
            by_account[row.account_id] |= row
        counts["orders"] = len(rows)
        for acc, acc_rows in by_account.items():
            dicts = [from_json(row.payload or {}) for row in acc_rows]
            for order, row in zip(dicts, acc_rows, strict=True):
                order.setdefault("amazon_order_id", row.amazon_order_id)
            result = acc._import_orders(dicts, confirm=False)
            for key in ("created", "updated", "unchanged", "skipped", "exceptions"):
                counts[key] += result[key]
            waiting = {so.amazon_order_id: (so, values) for so, values in result["to_confirm"]}
            done = self.browse()
            for row in acc_rows:
                outcome = result["outcomes"].get(row.amazon_order_id, "error")
                if row.amazon_order_id in waiting:
                    so, values = waiting[row.amazon_order_id]
                    row.write({"sale_order_id": so.id, "confirm_values": confirm_json(values)})
                    to_confirm.append(row.id)
                elif outcome in ("error", "needs_items"):
                    text = row._failure_text(outcome, result["errors"])
                    if not row.attempts:
                        failures[acc].append(text)
                    row._failed(text)
                else:
                    done |= row
            done.unlink()
        return rows, counts, failures, to_confirm

    def _confirm_rows(self, row_ids):
        """Confirm the quotations of these rows (those no other worker holds) and delete
        the rows; returns how many were left in exception."""
        self.env.cr.execute(
            SQL(
                "SELECT id FROM amazon_order_stage WHERE id = ANY(%s)"
                " AND sale_order_id IS NOT NULL FOR NO KEY UPDATE SKIP LOCKED",
                list(row_ids),
            )
        )
        rows = self.browse([row[0] for row in self.env.cr.fetchall()])
        left = 0
        for acc in rows.account_id:
            acc_rows = rows.filtered(lambda r, acc=acc: r.account_id == acc)
            pairs = [
                (row.sale_order_id, dict(row.confirm_values or {}))
                for row in acc_rows
                if row.sale_order_id.state == "draft" and not row.sale_order_id.amazon_exception
            ]
            importer = acc.with_context(
                integrator_no_capture=True, tracking_disable=True, mail_notrack=True
            )
            left += len(importer._confirm_orders(pairs))
        rows.unlink()
        return left

    def _failed(self, text):
        attempts = self.attempts + 1
        self.write(
            {
                "attempts": attempts,
                "error": text,
                "not_before": fields.Datetime.now()
                + timedelta(minutes=min(2 ** (attempts - 1), 60)),
            }
        )

    def _failure_text(self, outcome, texts):
        if outcome == "needs_items":
            return _(
                "Order %s: its items are missing from the data Amazon sent.", self.amazon_order_id
            )
        mine = [text for text in texts if self.amazon_order_id in text]
        return mine[0] if mine else _("Order %s could not be imported.", self.amazon_order_id)

    @api.model
    def _tell(self, errors):
        """One digest per account for the orders that failed for the first time."""
        for account, texts in errors.items():
            if texts:
                account._notify_errors(self.env["amazon.feed.message"], texts)

    @api.model
    def _cron_import(self):
        """A cron lane: import staged orders of every account for a share of the cron
        limits, then tell Odoo's runner how many are left (it calls again at once while
        some are, and the next run resumes what a stop left)."""
        result = self._drain(budget=cron_budget(1 / 20), auto_commit=not in_test_mode())
        self._tell(result["errors"])
        now = fields.Datetime.now()
        remaining = self.search_count(["|", ("not_before", "=", False), ("not_before", "<=", now)])
        self.env["ir.cron"]._notify_progress(done=result.get("orders", 0), remaining=remaining)
        if remaining and result.get("orders"):
            # Odoo's runner calls a lane that is not done again at once, but only 10 times
            # in a row; the trigger wakes the cron workers for the next round (its NOTIFY)
            self._trigger_lanes()
        elif remaining:
            # quotations a dead worker did not confirm: back when they are anyone's
            orphans = self.search([("sale_order_id", "!=", False)], order="write_date", limit=1)
            if orphans:
                self._trigger_lanes(max(orphans.write_date + IN_FLIGHT, now))
        return result

    def action_import_now(self):
        """Import Now: the next lane run takes these rows (checked like a write)."""
        self.check_access("write")
        self.write({"not_before": False})
        self._trigger_lanes()
        return True
