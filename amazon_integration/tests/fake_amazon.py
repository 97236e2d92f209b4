"""A test double of Amazon at the capability seam (``lib/api.py``): no HTTP, no sandbox.

It keeps orders, feeds and reports in memory, answers like an implementation of the
capabilities does, and goes through the account's gate for every call, so quota accounting
and the API log work as with a real API. Its clock is the test's (freeze it).

    fake = FakeAmazon(seller_id="S1")
    with fake.serving(account):          # account._api() now answers from the fake
        fake.add_order(order_dict(...))
        account._orders_step()
"""

from __future__ import annotations

import copy
import itertools
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from unittest.mock import patch

from odoo.addons.amazon_integration.lib import api
from odoo.addons.amazon_integration.lib.api import QuotaWait
from odoo.addons.amazon_integration.lib.quota import Limit, QuotaTable

from amazon_sandbox.feed_processing import Result, build_report

OPERATIONS = {
    "sellers.participations": "participations",
    "orders.search": "search",
    "orders.next_page": "search",
    "orders.items": "items",
    "orders.next_items": "items",
    "feeds.submit": "submit",
    "feeds.status": "status",
    "feeds.result": "result",
    "reports.request": "request",
    "reports.status": "status",
    "reports.available": "available",
    "reports.next_available": "available",
    "reports.download": "download",
}


def _utc(value):
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value


class FakeAmazon(api.AmazonApi):
    name = "fake"
    operations = OPERATIONS
    quotas = QuotaTable(
        {
            "participations": Limit(15, 60.0),
            "search": Limit(6, 60.0),
            "items": Limit(30, 2.0),
            "submit": Limit(15, 120.0, 30),
            "status": Limit(10, 45.0),
            "result": Limit(15, 60.0),
            "request": Limit(15, 60.0),
            "available": Limit(10, 60.0),
            "download": Limit(15, 60.0),
        }
    )

    def __init__(self, seller_id="FAKE", page_size=2):
        self.seller_id = seller_id
        self.page_size = page_size
        self.gate = None
        self.orders_by_id = {}
        self.items_by_order = {}
        self.feeds_by_id = {}
        self.requests_by_id = {}
        self.documents = {}
        self.calls = []  # capability operations actually sent
        self.fail_on = {}  # capability -> [AmazonCallError] raised by its next calls
        self._ids = itertools.count(1001)
        self.sellers = _Sellers(self)
        self.orders = _Orders(self)
        self.feeds = _Feeds(self)
        self.reports = _Reports(self)

    @staticmethod
    def observe(headers):
        return None

    # ------------------------------------------------------------------------ serving

    @contextmanager
    def serving(self, account):
        """``account._api()`` answers from this fake (with the account's own gate)."""
        from odoo.addons.amazon_integration.models import amazon_account

        fake = self

        def _api(acc):
            fake.gate = amazon_account._AccountGate(acc)
            return fake

        Account = type(account)
        with (
            patch.object(Account, "_api", _api),
            patch.object(Account, "_api_class", lambda acc: FakeAmazon),
        ):
            yield self

    def call(self, capability, answer, reserve=0):
        operation = OPERATIONS[capability]
        wait = self.gate.acquire(capability, operation, reserve)
        if wait:
            raise QuotaWait(capability, wait)
        self.calls.append(capability)
        if self.fail_on.get(capability):
            error = self.fail_on[capability].pop(0)
            error.operation = operation
            self.gate.failed(capability, operation, error)
            raise error
        result = answer()
        reply = api.Reply(operation, b"", {}, 200, f"req-{next(self._ids)}", 0.01)
        self.gate.replied(capability, operation, reply)
        return result

    # ------------------------------------------------------------------------- world

    def now(self):
        return datetime.now(timezone.utc)

    def add_order(self, order):
        """An order (a contract dict with items) as Amazon holds it."""
        order = copy.deepcopy(order)
        self.items_by_order[order["amazon_order_id"]] = order.pop("items", [])
        order["items"] = []
        order["items_complete"] = False
        self.orders_by_id[order["amazon_order_id"]] = order
        return order

    def update_order(self, order_id, **values):
        self.orders_by_id[order_id].update(values, last_update_date=self.now())

    def finish_feeds(self, errors=None):
        """Amazon processes every submitted feed: ``errors`` {message_id: (code, text)}."""
        for feed in self.feeds_by_id.values():
            if feed["state"] != api.DONE:
                feed["state"] = api.DONE
                results = [
                    Result("Error", code, text, message_id=str(message_id))
                    for message_id, (code, text) in (errors or {}).items()
                ]
                feed["report"] = build_report(
                    self.seller_id, int(feed["id"]), feed["messages"], results
                )

    def finish_reports(self, rows_by_kind):
        """Every requested report is done with the document ``rows_by_kind[kind]``."""
        for request in self.requests_by_id.values():
            if request["state"] == api.QUEUED:
                report_id = f"R{next(self._ids)}"
                self.documents[report_id] = (request["kind"], rows_by_kind.get(request["kind"]))
                request.update(state=api.DONE, report_id=report_id)


class _Part:
    def __init__(self, fake):
        self.fake = fake


class _Sellers(_Part, api.Sellers):
    def participations(self):
        return self.fake.call("sellers.participations", lambda: ["ATVPDKIKX0DER"])


class _Orders(_Part, api.Orders):
    def _listing(self, after, before, by):
        key = "purchase_date" if by == "created" else "last_update_date"
        before = _utc(before) if before else self.fake.now() - timedelta(minutes=2)
        found = [
            copy.deepcopy(o)
            for o in self.fake.orders_by_id.values()
            if _utc(after) <= _utc(o[key]) < before
        ]
        found.sort(key=lambda o: (_utc(o[key]), o["amazon_order_id"]))
        return found, before

    def _page(self, orders, start, until):
        size = self.fake.page_size
        chunk = orders[start : start + size]
        token = f"{start + size}|{id(orders)}" if start + size < len(orders) else None
        if token:
            self._pending = (orders, until)
        return api.Page(chunk, token, until)

    def search(self, *, after, before=None, by="updated", statuses=None):
        def answer():
            orders, until = self._listing(after, before, by)
            if statuses:
                orders = [o for o in orders if o["status"] in statuses]
            return self._page(orders, 0, until)

        return self.fake.call("orders.search", answer)

    def next_page(self, token):
        def answer():
            orders, until = self._pending
            return self._page(orders, int(token.split("|")[0]), until)

        return self.fake.call("orders.next_page", answer)

    def items(self, order_id):
        return self.fake.call(
            "orders.items",
            lambda: api.Page(copy.deepcopy(self.fake.items_by_order.get(order_id, []))),
        )

    def next_items(self, token):
        raise AssertionError("the fake answers every item on one page")


class _Feeds(_Part, api.Feeds):
    def feed_type(self, kind):
        return f"FAKE_{kind.upper()}"

    def _submission(self, feed):
        return api.FeedSubmission(
            feed["id"], feed["type"], feed["state"], f"fake:{feed['state']}", feed["at"]
        )

    def submit(self, kind, document, *, reserve=0):
        def answer():
            feed_id = str(next(self.fake._ids))
            messages = document.count(b"<Message>")
            self.fake.feeds_by_id[feed_id] = {
                "id": feed_id,
                "type": self.feed_type(kind),
                "state": api.QUEUED,
                "document": document,
                "messages": messages,
                "at": self.fake.now(),
            }
            return self._submission(self.fake.feeds_by_id[feed_id])

        return self.fake.call("feeds.submit", answer, reserve=reserve)

    def status(self, submission_ids):
        return self.fake.call(
            "feeds.status",
            lambda: [
                self._submission(self.fake.feeds_by_id[i])
                for i in submission_ids
                if i in self.fake.feeds_by_id
            ],
        )

    def submitted_since(self, kind, since):
        return self.fake.call(
            "feeds.status",
            lambda: [
                self._submission(f)
                for f in self.fake.feeds_by_id.values()
                if f["type"] == self.feed_type(kind) and f["at"] >= _utc(since)
            ],
        )

    def result(self, submission_id):
        return self.fake.call(
            "feeds.result", lambda: self.fake.feeds_by_id[submission_id]["report"]
        )


class _Reports(_Part, api.Reports):
    def _request(self, r):
        return api.ReportRequest(
            r["id"],
            r["kind"],
            r["state"],
            f"fake:{r['state']}",
            r.get("report_id"),
            r["start"],
            r["end"],
        )

    def request(self, kind, start=None, end=None):
        def answer():
            request_id = str(next(self.fake._ids))
            self.fake.requests_by_id[request_id] = {
                "id": request_id,
                "kind": kind,
                "state": api.QUEUED,
                "start": _utc(start) if start else None,
                "end": _utc(end) if end else None,
                "at": self.fake.now(),
            }
            return self._request(self.fake.requests_by_id[request_id])

        return self.fake.call("reports.request", answer)

    def requests(self, request_ids):
        return self.fake.call(
            "reports.status",
            lambda: [
                self._request(self.fake.requests_by_id[i])
                for i in request_ids
                if i in self.fake.requests_by_id
            ],
        )

    def requested_since(self, kind, since):
        return self.fake.call(
            "reports.status",
            lambda: [
                self._request(r)
                for r in self.fake.requests_by_id.values()
                if r["kind"] == kind and r["at"] >= _utc(since)
            ],
        )

    def available(self, kind, since=None):
        return self.fake.call("reports.available", lambda: api.Page([]))

    def next_available(self, token):
        raise AssertionError("the fake lists every report on one page")

    def download(self, report_id, kind=None):
        return self.fake.call("reports.download", lambda: report_id.encode())

    def parse(self, kind, body):
        return copy.deepcopy(self.fake.documents[body.decode()][1] or [])
