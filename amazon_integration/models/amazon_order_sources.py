"""Where the order import's dicts come from: the Orders API listing (persisted listing state,
checkpoint, items of the orders that need them) and the order reports (a persisted request
cycle: request, poll, download), chosen per account (``order_import_mode``), the manual
download of a date range and the ship-by warnings.
"""

import logging
from datetime import datetime, timedelta, timezone

from odoo import _, fields, models

from ..lib import api as amazon
from ..lib import orders as orderlib
from ..lib.api import AmazonCallError
from ..lib.order_values import (
    IMPORTABLE,
    LISTED_STATUSES,
    PENDING,
    from_json,
    iso_z,
    naive,
    to_json,
)
from ..lib.order_values import parse_iso as _parse_iso
from ..lib.responses import ResponseParseError
from .amazon_account import AmazonQuotaWait
from .amazon_order_stage import cron_budget

_logger = logging.getLogger(__name__)


#: Orders on one ListOrders page (MaxResultsPerPage's default and maximum).
LIST_PAGE_SIZE = 100

REPORT_FLAT = amazon.REPORT_ORDERS_NEW
REPORT_XML_ALL = amazon.REPORT_ORDERS_UPDATED

#: Amazon's ListOrders refuses dates later than two minutes before its now.
LIST_MARGIN = timedelta(minutes=3)


class StagingBusy(Exception):
    """A report's orders could not be staged: the import workers kept changing the same
    rows. Nothing is lost: the report is staged again on the next run."""


class AmazonAccount(models.Model):
    _inherit = "amazon.account"

    # ============================================================== the step

    def _orders_step(self, auto_commit=False):
        """The order part of a synchronisation run. Returns error texts."""
        self.ensure_one()
        errors = []
        try:
            if self.order_download_from and self.order_download_to:
                errors += self._orders_manual_download(auto_commit)
            if self._auto_choose_path() == "report":
                # new orders from the order report, every change of the known ones from
                # the all-orders report: ListOrders (a page of 100 a minute) would fall
                # behind the updates of thousands of orders an hour
                errors += self._orders_report_path(auto_commit)
                errors += self._orders_report_path(auto_commit, purpose="updates")
            else:
                errors += self._orders_listing(auto_commit=auto_commit)
        except (AmazonQuotaWait, StagingBusy) as wait:
            _logger.info("Amazon account %s (orders): %s; next run goes on", self.name, wait)
        except AmazonCallError as error:
            if error.kind == "auth":
                self.write(
                    {"connection_state": "failed", "connection_message": self._explain_error(error)}
                )
            if error.kind in ("throttled", "transient"):
                _logger.info("Amazon account %s (orders): %s; next run goes on", self.name, error)
            else:
                _logger.warning("Amazon account %s (orders): %s", self.name, error)
                errors.append(str(error))
        errors += self._import_staged(auto_commit)
        self._orders_ship_by_warnings()
        if auto_commit:
            self.env.cr.commit()  # pylint: disable=invalid-commit
        return errors

    def _server_now(self):
        """Amazon's (or the sandbox's) now, naive UTC."""
        return naive(self._quota_clock(datetime.now(timezone.utc)))

    def _items_capacity(self):
        """Orders the items call can fetch in one interval (MWS's ListOrderItems: one call
        every 2 s; SP-API's searchOrders brings the items itself)."""
        interval = self.sync_interval or 60
        return max(1, int(self._api_class().sustained("orders.items", interval)))

    def _listing_capacity(self):
        """Orders the listing can page through in one interval (MWS: a page of 100
        restored a minute; SP-API's searchOrders: one every 3 minutes)."""
        interval = self.sync_interval or 60
        return max(1, int(LIST_PAGE_SIZE * self._api_class().sustained("orders.search", interval)))

    def _listing_statuses(self):
        """The OrderStatus filter of the listings: Pending orders only when they are
        imported (otherwise the listing would page through every order twice, once unpaid
        and once paid)."""
        if self.import_pending_orders:
            return []
        return [s for s in LISTED_STATUSES if s not in PENDING]

    def _auto_choose_path(self):
        """Which path this run takes.

        ``auto``: reports when the last listing found more orders needing their items than
        ListOrderItems can fetch in one interval (one call every 2 s: interval / 2 orders),
        or went through more orders than ListOrders can page in two intervals (a page of 100
        a minute: the listing falls behind); back to the API when the reports bring fewer
        than half of that in new orders and fewer changed orders than one interval's pages
        (both per interval). Switching moves the checkpoints to what the other path
        covered, so no order and no change falls between the two paths.
        """
        if not self._supports("order_reports"):
            return "api"  # no order reports with addresses: new orders come from the API
        if self.order_import_mode != "auto":
            return self.order_import_mode
        capacity = self._items_capacity()
        listing = self.order_listing_state or {}
        sync = listing.get("purpose") == "sync"
        found = max(self.order_last_found or 0, listing.get("found", 0) if sync else 0)
        listed = max(self.order_last_listed or 0, listing.get("listed", 0) if sync else 0)
        if self.order_auto_path != "report" and (
            found > capacity or listed > 2 * self._listing_capacity()
        ):
            values = {"order_auto_path": "report", "order_update_checkpoint": False}
            if not self.order_report_checkpoint:
                values["order_report_checkpoint"] = self.order_checkpoint
            if sync:
                # the update report starts where the listing's checkpoint is
                values["order_listing_state"] = False
            self.write(values)
            _logger.info("Amazon account %s: orders now come from reports", self.name)
        elif (
            self.order_auto_path == "report"
            and not self._report_request("orders")
            and not self._report_request("updates")
            and (self.order_last_found or 0) * 2 < capacity
            and (self.order_last_listed or 0) < self._listing_capacity()
        ):
            values = {"order_auto_path": "api"}
            # the listing starts where both reports reached: new orders up to the order
            # report's checkpoint minus its re-read lag, changes up to the update report's
            lag = timedelta(minutes=self.order_report_lag_minutes or 0)
            reached = [
                self.order_update_checkpoint or self.order_checkpoint,
                (self.order_report_checkpoint and self.order_report_checkpoint - lag)
                or self.order_checkpoint,
            ]
            if all(reached):
                values["order_checkpoint"] = min(reached)
            self.write(values)
            _logger.info("Amazon account %s: orders now come from the API", self.name)
        return self.order_auto_path

    # ------------------------------------------------------------------ API path

    def _fetch_items(self, order):
        """The items of one order, every page, attached to it in place. A continuation
        token gone bad: the order's items are listed again from the first page."""
        orders_api = self._api().orders
        for _attempt in range(3):
            page = orders_api.items(order["amazon_order_id"])
            orderlib.attach_items(order, page.items, complete=not page.next_token)
            try:
                while page.next_token:
                    page = orders_api.next_items(page.next_token)
                    orderlib.attach_items(order, page.items, complete=not page.next_token)
            except AmazonCallError as error:
                if error.kind != amazon.RESTART_PAGING:
                    raise
                _logger.info("Amazon account %s: %s; items listed again", self.name, error)
                continue
            return order
        raise AmazonCallError(
            self._api_operation("orders.next_items"),
            amazon.TRANSIENT,
            "NextTokenCorrupted",
            _("the items of %s could not be paged through", order["amazon_order_id"]),
        )

    def _orders_listing(self, auto_commit=False):
        """ListOrders by LastUpdatedAfter from the checkpoint (minus the overlap), every
        page, the items of the orders that need them; the checkpoint advances once the
        whole listing is imported. The listing state is saved after every order, so a
        quota wait, a throttle or a crash resumes where it stopped."""
        errors = []
        state = dict(self.order_listing_state or {})
        if state.get("purpose") not in (None, "sync"):
            return errors  # a manual listing is in progress; it has its own turn
        if not state:
            start = self.order_checkpoint
            if not start:
                start = self._server_now() - timedelta(days=self.order_initial_days or 1)
            start -= timedelta(minutes=self.order_overlap_minutes or 0)
            state = {"purpose": "sync", "after": iso_z(start), "found": 0}
            self.order_listing_state = state
        done = self._run_listing(state, errors, auto_commit)
        if done:
            before = _parse_iso(state.get("before")) if state.get("before") else None
            values = {
                "order_listing_state": False,
                "order_last_found": state.get("found", 0),
                "order_last_listed": state.get("listed", 0),
            }
            if before and not state.get("failed"):
                values["order_checkpoint"] = naive(before)
            self.write(values)
            if auto_commit:
                self.env.cr.commit()  # pylint: disable=invalid-commit
        return errors

    def _run_listing(self, state, errors, auto_commit):
        """Drive a listing state to its end. Returns True when the listing is complete.
        Raises AmazonQuotaWait / AmazonCallError (the state is saved before)."""
        while True:
            waiting = state.get("waiting") or []
            while waiting:
                order = from_json(waiting[0])
                if not order.get("items_complete"):
                    self._fetch_items(order)
                result = self._import_orders([order])
                if result["errors"]:
                    errors += result["errors"]
                    state["failed"] = True
                waiting.pop(0)
                state["waiting"] = waiting
                self.order_listing_state = dict(state)
                if auto_commit:
                    self.env.cr.commit()  # pylint: disable=invalid-commit
            orders_api = self._api().orders
            try:
                if state.get("token"):
                    page = orders_api.next_page(state["token"])
                elif not state.get("started"):
                    page = orders_api.search(
                        after=state["after"],
                        before=state.get("until"),
                        by="created" if state.get("by") == "created" else "updated",
                        statuses=self._listing_statuses(),
                    )
                else:
                    return True
            except AmazonCallError as error:
                if error.kind == amazon.RESTART_PAGING:
                    _logger.info("Amazon account %s: %s; listing again", self.name, error)
                    state.update(token=None, started=False, before=None)
                    self.order_listing_state = dict(state)
                    continue
                if error.code == amazon.UNREADABLE:
                    # an unreadable page: the listing starts again on the next run
                    state.update(token=None, started=False, before=None, waiting=[])
                    self.order_listing_state = dict(state)
                raise
            orders, token, before = page.items, page.next_token, page.until
            waiting = self._page_to_waiting(orders, errors, state)
            state["listed"] = state.get("listed", 0) + len(orders)
            if not state.get("before") and before:
                state["before"] = to_json(before)
            state.update(token=token, started=True, waiting=waiting)
            self.order_listing_state = dict(state)
            if auto_commit:
                self.env.cr.commit()  # pylint: disable=invalid-commit

    def _page_to_waiting(self, orders, errors, state):
        """Import what a page can give without ListOrderItems (status updates, skips);
        return the orders that need their items (as JSON) for the waiting list."""
        result = self._import_orders(orders)
        if result["errors"]:
            errors += result["errors"]
            state["failed"] = True
        needing = set(result["needs_items"])
        state["found"] = state.get("found", 0) + len(needing)
        return [to_json(o) for o in orders if o["amazon_order_id"] in needing]

    # ------------------------------------------------------------------ report path

    def _report_lane(self, purpose):
        """The report requests of ``purpose`` and the ones it waits for: the manual download
        shares the order report's lane (one order report at a time)."""
        return "updates" if purpose == "updates" else "orders"

    def _report_request(self, lane):
        """The open order report request of a lane (``orders``, ``updates``), if any."""
        return self.env["amazon.report.request"]._open(self, lane)

    def _report_window(self, purpose, now):
        """(report kind, start, end) of the next report of this purpose, or None when the
        last one is too recent.

        ``sync``: the order report (paid orders by purchase date) from the last report minus
        the re-read lag; ``updates``: the all-orders report (every status, by last update)
        from the last one minus the listing overlap; ``manual``: the Download orders range.
        """
        if purpose == "manual":
            return REPORT_FLAT, self.order_download_from, min(self.order_download_to, now)
        if purpose == "updates":
            report_type = REPORT_XML_ALL
            last = self.order_update_checkpoint or self.order_checkpoint
            back = self.order_overlap_minutes
        else:
            report_type = REPORT_FLAT
            last = self.order_report_checkpoint or self.order_checkpoint
            back = self.order_report_lag_minutes
        if last and now - last < timedelta(minutes=self.order_report_interval_minutes or 0):
            return None
        start = last or now - timedelta(days=self.order_initial_days or 1)
        return report_type, start - timedelta(minutes=back or 0), now - LIST_MARGIN

    def _orders_report_path(self, auto_commit=False, purpose="sync"):
        """One step of an order report cycle (``amazon.report.request``: request, poll,
        download), then the import of the report's orders.

        ``purpose``: ``sync`` (new orders), ``updates`` (changes of known orders) or
        ``manual`` (the Download orders range; it shares the lane of ``sync``)."""
        errors = []
        lane = self._report_lane(purpose)
        request = self._report_request(lane)
        if request.purpose == "manual" and not self.order_download_from:
            # the download range is gone (cleared by hand): its report would block the lane
            request.write({"state": "failed", "error_message": _("Download range cleared.")})
            request.flush_recordset()  # before a new request of the lane is inserted
            request = self.env["amazon.report.request"]
        if request and request.purpose != purpose:
            return errors
        if not request:
            window = self._report_window(purpose, self._server_now())
            if not window:
                return errors
            kind, start, end = window
            request = self.env["amazon.report.request"]._start(
                self, lane, purpose, kind, start, end, auto_commit=auto_commit
            )
        try:
            orders = request._step(auto_commit=auto_commit)
        except ResponseParseError as error:
            message = _(
                "Order report %(id)s cannot be read: %(error)s", id=request.report_id, error=error
            )
            _logger.warning("Amazon account %s: %s", self.name, message)
            return [message]  # a new request for the same window on the next run
        if orders is None:
            return errors  # asked, polled or asked again: the next run goes on
        if purpose == "updates":
            listed = self._import_report_updates(orders, auto_commit)
            self._report_finished(request, created=0, listed=listed)
        else:
            tally = self._import_report_orders(orders, auto_commit)
            self._report_finished(request, tally["new"], listed=0)
            self.order_last_summary = _(
                "Report %(id)s: %(new)s new orders, %(known)s already imported, %(skipped)s "
                "not to import yet (pending or canceled); staged for the import workers.",
                id=request.report_id or request.request_id,
                new=tally["new"],
                known=tally["known"],
                skipped=tally["skipped"],
            )
        return errors

    def _import_report_orders(self, orders, auto_commit):
        """Stage a report's orders for the import workers (``amazon.order.stage``) and wake
        the lanes up; this step's worker takes its own share after the reports
        (`_import_staged`). Returns how many are ``new`` (importable, not imported yet),
        ``known`` (imported before) and ``skipped`` (pending or canceled, not imported)."""
        known, _staged, news = self._report_news(orders)
        self._stage_orders(news, auto_commit)
        tally = {"new": 0, "known": 0, "skipped": 0}
        for order in orders:
            if order.get("amazon_order_id") in known:
                tally["known"] += 1
            elif order.get("status") in IMPORTABLE:
                tally["new"] += 1
            else:
                tally["skipped"] += 1
        return tally

    def _stage_orders(self, orders, auto_commit):
        """Stage order dicts for the import workers and wake the lanes up.

        A lane may import and remove a staged row while this transaction merges a newer
        state into it (the all-orders report lists the orders a lane has just imported):
        under REPEATABLE READ that is a serialisation failure. So the staging runs in a
        transaction of its own, started after what this one did is committed, and again
        in a new one when a lane got in the way; after the last try ``StagingBusy`` leaves
        the report unused (its request stays ready: the next run stages it again)."""
        Stage = self.env["amazon.order.stage"]
        if not orders:
            return
        if not auto_commit:
            Stage._stage(self, orders)
            return
        self.env.cr.commit()  # pylint: disable=invalid-commit
        if Stage._attempt(lambda: Stage._stage(self, orders), auto_commit)[0] is None:
            raise StagingBusy(_("the import workers kept changing the same staged orders"))
        Stage._trigger_lanes()
        self.env.cr.commit()  # pylint: disable=invalid-commit

    def _report_news(self, orders):
        """(the ids of the orders imported before, the ids of those waiting in the stage,
        the orders that may change Odoo).

        The report windows overlap, and the all-orders report lists an order again after
        each change, so most of a report repeats what the import already has. Staged, each
        of those would cost a worker an import that finds it unchanged. Left out: an
        imported order that needs nothing more (confirmed, or cancelled) whose report row
        is older news or the same news (the same last update and status). Kept: orders
        not imported yet, orders staged (their row takes the change), newer news, and
        orders waiting for completion (their import tries them again)."""
        ids = [o["amazon_order_id"] for o in orders if o.get("amazon_order_id")]
        if not ids:
            return set(), set(), list(orders)
        SaleOrder = self.env["sale.order"]
        SaleOrder.flush_model(
            ["amazon_account_id", "amazon_order_id", "amazon_order_status", "amazon_last_update"]
        )
        self.env.cr.execute(
            """SELECT amazon_order_id, amazon_order_status, amazon_last_update,
                      state = 'draft' AND (amazon_exception IS NOT NULL
                                           OR amazon_order_status = ANY(%s))
                 FROM sale_order
                WHERE amazon_account_id = %s AND amazon_order_id = ANY(%s)""",
            (list(PENDING), self.id, ids),
        )
        imported = {
            oid: (status, update, waits) for oid, status, update, waits in self.env.cr.fetchall()
        }
        staged = self.env["amazon.order.stage"]._staged_ids(self, ids)

        def is_news(order):
            oid = order.get("amazon_order_id")
            if oid not in imported or oid in staged:
                return True
            status, last_update, waits = imported[oid]
            update = naive(order.get("last_update_date"))
            if waits or not update or not last_update:
                return True
            return update > last_update or (
                update == last_update and (order.get("status") or status) != status
            )

        return set(imported), staged, [order for order in orders if is_news(order)]

    def _import_staged(self, auto_commit):
        """This worker's share of the staged orders of this account: a quarter of the cron
        limits (the lanes take the rest), all of them in a test. Returns error texts (the
        orders that failed for the first time)."""
        budget = cron_budget(1 / 4) if auto_commit else None
        result = self.env["amazon.order.stage"]._drain(self, budget, auto_commit)
        if result.get("orders"):
            _logger.info(
                "Amazon account %s: %s staged orders imported (%s created, %s in exception)",
                self.name,
                result["orders"],
                result.get("created", 0),
                result.get("exceptions", 0),
            )
        return result["errors"].get(self, [])

    def _import_report_updates(self, orders, auto_commit):
        """Apply the all-orders report to the orders imported before; returns how many
        orders of the listed statuses it carried (the listing's measure of volume).

        Only what changes an order is taken (status, last update): the report has no
        buyer and a partial address, which must not replace the stored ones; an order
        staged but not imported yet takes the change in its row. Orders neither imported
        nor staged are left to the order report (it has their address)."""
        statuses = self._listing_statuses()
        listed = sum(1 for o in orders if not statuses or o.get("status") in statuses)
        imported, staged, news = self._report_news(orders)
        # the orders staged but not imported yet take the change too (merged into their row)
        known = imported | staged
        updates = [
            {key: order.get(key) for key in ("amazon_order_id", "status", "last_update_date")}
            for order in news
            if order["amazon_order_id"] in known
        ]
        self._stage_orders(updates, auto_commit)
        return listed

    def _report_finished(self, request, created, listed):
        """Save where the report reached; on the sync path, the volume per sync interval
        that the automatic path choice reads (new orders, orders changed)."""
        purpose = request.purpose
        request._close()
        values = {}
        end = request.window_end
        if purpose == "manual":
            values.update(order_download_from=False, order_download_to=False)
        else:
            checkpoint = {"updates": "order_update_checkpoint"}.get(
                purpose, "order_report_checkpoint"
            )
            previous = self[checkpoint]
            values[checkpoint] = end
            if previous and end > previous:
                minutes = max((end - previous).total_seconds() / 60, 1)
                per_interval = (self.sync_interval or 60) / 60 / minutes
                if purpose == "updates":
                    values["order_last_listed"] = round(listed * per_interval)
                else:
                    values["order_last_found"] = round(created * per_interval)
                    _logger.info(
                        "Amazon account %s: %.0f new orders per interval from reports",
                        self.name,
                        created * per_interval,
                    )
        self.write(values)

    # ------------------------------------------------------------------ manual download

    def _orders_manual_download(self, auto_commit=False):
        """The range asked by the Download orders wizard: an order report for ranges over a
        day, else a ListOrders listing by creation date."""
        errors = []
        start, end = self.order_download_from, self.order_download_to
        if end - start > timedelta(days=1) and self._supports("order_reports"):
            return self._orders_report_path(auto_commit, purpose="manual")
        state = dict(self.order_listing_state or {})
        if state.get("purpose") == "sync":
            return errors  # the sync listing ends first (it saves a checkpoint)
        if not state:
            until = min(end, self._server_now() - LIST_MARGIN)
            state = {
                "purpose": "manual",
                "by": "created",
                "after": iso_z(start),
                "until": iso_z(until),
                "found": 0,
            }
            self.order_listing_state = state
        if self._run_listing(state, errors, auto_commit):
            self.write(
                {
                    "order_listing_state": False,
                    "order_download_from": False,
                    "order_download_to": False,
                }
            )
        return errors

    # ------------------------------------------------------------------ ship-by

    def _orders_ship_by_warnings(self):
        hours = self.ship_by_warning_hours
        if hours <= 0:
            return
        limit = self._server_now() + timedelta(hours=hours)
        late = self.env["sale.order"].search(
            [
                ("amazon_account_id", "=", self.id),
                ("amazon_fulfillment_channel", "=", "mfn"),
                ("amazon_order_status", "in", ("Unshipped", "PartiallyShipped")),
                ("amazon_latest_ship_date", "!=", False),
                ("amazon_latest_ship_date", "<=", limit),
                ("amazon_shipby_warned", "=", False),
                ("state", "=", "sale"),
            ],
            limit=500,
        )
        for so in late:
            self._warn(
                so,
                _("Ship Amazon order %s", so.amazon_order_id),
                _(
                    "Amazon expects this order to ship by %s (UTC).",
                    fields.Datetime.to_string(so.amazon_latest_ship_date),
                ),
            )
        late.write({"amazon_shipby_warned": True})
