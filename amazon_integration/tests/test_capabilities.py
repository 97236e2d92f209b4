"""Fast tests at the capability seam: a test double of Amazon, a frozen clock, no HTTP.

The end-to-end tests against the sandbox (test_order_import, test_order_feeds, …) keep the
flows honest for the MWS implementation; these drive the model code through the capabilities
only, in milliseconds, and would serve any implementation.
"""

import base64
from datetime import datetime, timedelta

from freezegun import freeze_time

from odoo import sql_db
from odoo.tests import TransactionCase, tagged

from ..lib import api as amazon
from ..lib.api import AmazonCallError
from ..models.amazon_account import AmazonQuotaWait
from .fake_amazon import FakeAmazon
from .test_order_import import order_dict

NOW = datetime(2026, 11, 30, 12, 0, 0)
SKUS = ("FAKE-SKU-1", "FAKE-SKU-2")


class FakeCase(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        warehouse = cls.env["stock.warehouse"].search([], limit=1)
        cls.account = cls.env["amazon.account"].create(
            {
                "name": "Fake",
                "marketplace_id": cls.env.ref("amazon_integration.marketplace_us").id,
                "merchant_id": "FAKE",
                "amazon_api": "mws",
                "access_key": "AKIAFAKE",
                "secret_key": "fake-secret",
                "warehouse_ids": [(6, 0, warehouse.ids)],
                "order_import_mode": "api",
            }
        )
        Product = cls.env["product.product"].with_context(integrator_no_capture=True)
        cls.products = Product.create(
            [
                {
                    "name": sku,
                    "default_code": sku,
                    "type": "consu",
                    "is_storable": True,
                    "list_price": 10.0,
                }
                for sku in SKUS
            ]
        )
        for product in cls.products:
            cls.env["stock.quant"].with_context(
                integrator_no_capture=True
            )._update_available_quantity(product, warehouse.lot_stock_id, 100)

    def setUp(self):
        super().setUp()
        self.clock = freeze_time(NOW)
        self.frozen = self.clock.start()
        self.addCleanup(self.clock.stop)
        self.fake = FakeAmazon()
        serving = self.fake.serving(self.account)
        serving.__enter__()
        self.addCleanup(serving.__exit__, None, None, None)

    def tick(self, seconds):
        self.frozen.tick(timedelta(seconds=seconds))

    def sale_orders(self):
        return self.env["sale.order"].search([("amazon_account_id", "=", self.account.id)])

    def order(self, oid, **values):
        values.setdefault("sku", SKUS[0])
        return order_dict(oid, **values)


@tagged("post_install", "-at_install")
class TestOrdersAtTheSeam(FakeCase):
    def test_listing_pages_items_and_exactly_once(self):
        for n in range(5):  # three pages of two
            self.fake.add_order(self.order(f"111-1000000-{n:07d}"))
        self.account._orders_step()
        orders = self.sale_orders()
        self.assertEqual(len(orders), 5)
        self.assertEqual(set(orders.mapped("state")), {"sale"})
        self.assertEqual(orders[0].amount_total, 26.99)
        self.assertEqual(self.fake.calls.count("orders.search"), 1)
        self.assertEqual(self.fake.calls.count("orders.next_page"), 2)
        self.assertEqual(self.fake.calls.count("orders.items"), 5)
        self.assertEqual(self.account.order_checkpoint, NOW - timedelta(minutes=2))
        self.assertFalse(self.account.order_listing_state)
        # the next run lists the overlap again: nothing is imported twice
        self.tick(120)
        self.account._orders_step()
        self.assertEqual(len(self.sale_orders()), 5)
        log = self.env["amazon.api.log"].search([("account_id", "=", self.account.id)])
        self.assertEqual(set(log.mapped("operation")), {"search", "items"})

    def test_a_failed_call_resumes_where_the_listing_stopped(self):
        for n in range(4):
            self.fake.add_order(self.order(f"111-2000000-{n:07d}"))
        error = AmazonCallError("", amazon.TRANSIENT, "InternalError", "try again", 500)
        self.fake.fail_on["orders.items"] = [error]
        self.account._orders_step()  # the items call of the first order fails
        self.assertEqual(len(self.sale_orders()), 0)
        state = self.account.order_listing_state
        self.assertEqual(len(state["waiting"]), 2, "the page's orders wait for their items")
        self.account._orders_step()
        self.assertEqual(len(self.sale_orders()), 4)
        self.assertEqual(self.fake.calls.count("orders.search"), 1, "not listed again")

    def test_buyer_cancellation_follows(self):
        self.fake.add_order(self.order("111-3000000-0000001"))
        self.account._orders_step()
        self.tick(600)
        self.fake.update_order("111-3000000-0000001", status="Canceled")
        self.tick(180)
        self.account._orders_step()
        self.assertEqual(self.sale_orders().state, "cancel")

    def test_report_path_request_poll_download(self):
        self.account.order_import_mode = "report"
        report_order = self.order("111-4000000-0000001", source="report")
        self.account._orders_step()
        requested = {r["kind"] for r in self.fake.requests_by_id.values()}
        self.assertEqual(requested, {amazon.REPORT_ORDERS_NEW, amazon.REPORT_ORDERS_UPDATED})
        request = self.account._report_request("orders")
        self.assertEqual((request.kind, request.state), (amazon.REPORT_ORDERS_NEW, "requested"))
        self.tick(61)
        self.account._orders_step()  # still queued: polled, nothing else
        self.assertFalse(self.sale_orders())
        self.fake.finish_reports({amazon.REPORT_ORDERS_NEW: [report_order]})
        self.tick(61)
        self.account._orders_step()
        self.assertEqual(self.sale_orders().amazon_order_id, "111-4000000-0000001")
        self.assertFalse(self.account._report_request("orders"), "the cycle is over")
        self.assertEqual((request.state, request.row_count), ("done", 1))
        self.assertIn("reports.download", self.fake.calls)

    def test_reports_stage_only_what_may_change_an_imported_order(self):
        """The report windows overlap and the all-orders report lists every order again
        after each change: an imported order repeated as it is never costs a worker an
        import again; news, new orders and orders still waiting are staged."""
        Stage = self.env["amazon.order.stage"]
        ids = [f"111-5000000-{n:07d}" for n in range(4)]
        first = [self.order(oid) for oid in ids]
        first[3]["items"][0]["seller_sku"] = "NOT-IN-ODOO"  # imported in exception
        self.account._import_report_orders(first, auto_commit=False)
        Stage._drain(self.account)
        orders = {so.amazon_order_id: so for so in self.sale_orders()}
        self.assertEqual(len(orders), 4)
        self.assertTrue(orders[ids[3]].amazon_exception)

        def staged():
            return set(
                Stage.search([("account_id", "=", self.account.id)]).mapped("amazon_order_id")
            )

        again = [self.order(oid) for oid in ids]  # the same update, the same status
        older = first[1]["last_update_date"] - timedelta(minutes=5)
        again[1].update(last_update_date=older, status="Canceled")  # older news
        again[2].update(
            last_update_date=first[2]["last_update_date"] + timedelta(minutes=1),
            status="Canceled",
        )
        new = self.order("111-5000000-0000009")
        tally = self.account._import_report_orders([*again, new], auto_commit=False)
        self.assertEqual((tally["known"], tally["new"]), (4, 1))
        self.assertEqual(staged(), {ids[2], ids[3], new["amazon_order_id"]})
        Stage._drain(self.account)
        self.assertEqual(orders[ids[2]].state, "cancel")
        self.assertEqual(orders[ids[1]].amazon_order_status, "Unshipped")
        # the all-orders report: the same rule, and orders neither imported nor staged
        # are the order report's
        self.account._import_report_updates(
            [self.order(oid) for oid in ids[:2]] + [self.order("111-5000000-0000010")],
            auto_commit=False,
        )
        self.assertFalse(staged())
        changed = self.order(ids[0], status="Shipped")
        changed["last_update_date"] += timedelta(minutes=1)
        self.account._import_report_updates([changed], auto_commit=False)
        self.assertEqual(staged(), {ids[0]})

    def test_a_manual_report_without_its_range_does_not_block_the_lane(self):
        self.account.order_import_mode = "report"
        stale = self.env["amazon.report.request"]._start(
            self.account, "orders", "manual", amazon.REPORT_ORDERS_NEW, NOW, NOW
        )
        self.assertFalse(self.account.order_download_from)
        self.account._orders_report_path(purpose="sync")
        self.assertEqual(stale.state, "failed")
        self.assertEqual(self.account._report_request("orders").purpose, "sync")

    def test_quota_wait_sends_nothing(self):
        for _n in range(15):
            self.account._api().sellers.participations()
        with self.assertRaises(AmazonQuotaWait) as wait:
            self.account._api().sellers.participations()
        self.assertEqual(wait.exception.operation, "sellers.participations")
        self.assertEqual(self.fake.calls.count("sellers.participations"), 15)
        self.tick(60)
        self.account._api().sellers.participations()  # one token restored a minute


@tagged("post_install", "-at_install")
class TestFeedsAtTheSeam(FakeCase):
    def test_acknowledgement_feed_submitted_polled_applied(self):
        self.fake.add_order(self.order("111-5000000-0000001"))
        self.account._orders_step()
        so = self.sale_orders()
        self.assertEqual(so.amazon_ack_state, "todo")
        self.account._order_feeds_step()
        feed = self.env["amazon.feed"].search([("account_id", "=", self.account.id)])
        self.assertEqual(feed.kind, "order_ack")
        self.assertEqual(feed.state, "submitted")
        self.assertEqual(self.fake.feeds_by_id[feed.submission_id]["messages"], 1)
        self.tick(600)
        self.account._poll_feeds()  # Amazon still has it queued
        self.assertEqual(feed.state, "submitted")
        self.fake.finish_feeds()
        self.tick(600)
        self.account._poll_feeds()
        self.assertEqual(feed.state, "done")
        self.assertEqual(so.amazon_ack_state, "done")

    def test_a_seller_cancellation_goes_in_the_next_cycle(self):
        """Issue: a cancellation waited up to 30 minutes (one acknowledgement feed per half
        hour); the buyer waits for it, so it goes once 5 minutes passed since the last."""
        self.fake.add_order(self.order("111-7000000-0000001"))
        self.fake.add_order(self.order("111-7000000-0000002"))
        self.account._orders_step()
        self.account._order_feeds_step()  # both acknowledged
        self.fake.finish_feeds()
        self.tick(60)
        self.account._poll_feeds()
        so = self.sale_orders().filtered(lambda o: o.amazon_order_id.endswith("2"))
        so.with_context(amazon_cancel_reason_set=True).action_cancel()
        self.env.cr.precommit.run()  # the capture buffer, as a commit would
        self.tick(120)
        self.account._order_feeds_step()
        acks = self.env["amazon.feed"].search(
            [("account_id", "=", self.account.id), ("kind", "=", "order_ack")]
        )
        self.assertEqual(len(acks), 1, "not yet: the last feed went 3 minutes ago")
        self.tick(240)
        self.account._order_feeds_step()
        acks = self.env["amazon.feed"].search(
            [("account_id", "=", self.account.id), ("kind", "=", "order_ack")], order="id"
        )
        self.assertEqual(len(acks), 2, "the cancellation went 7 minutes after the last feed")
        self.assertIn(b"<StatusCode>Failure</StatusCode>", base64.b64decode(acks[-1].feed_xml))

    def test_refused_message_is_an_error_on_the_order(self):
        self.fake.add_order(self.order("111-6000000-0000001"))
        self.account._orders_step()
        self.account._order_feeds_step()
        self.fake.finish_feeds(errors={1: (18028, "The order id was not found")})
        self.tick(600)
        self.account._poll_feeds()
        self.assertEqual(self.sale_orders().amazon_ack_state, "error")


@tagged("post_install", "-at_install")
class TestJobLock(FakeCase):
    def test_second_worker_skips_and_lock_survives_commits(self):
        dbname = self.env.cr.dbname
        with self.account._job_lock("sync") as taken:
            self.assertTrue(taken)
            with sql_db.db_connect(dbname).cursor() as other:
                other.execute("SELECT pg_try_advisory_lock(%s, %s)", self._key("sync"))
                self.assertFalse(other.fetchone()[0], "a second worker does not get it")
                other.execute("SELECT pg_try_advisory_lock(%s, %s)", self._key("settlements"))
                self.assertTrue(other.fetchone()[0], "another job of the account does")
                other.execute("SELECT pg_advisory_unlock_all()")
        with sql_db.db_connect(dbname).cursor() as other:
            other.execute("SELECT pg_try_advisory_lock(%s, %s)", self._key("sync"))
            self.assertTrue(other.fetchone()[0], "released at the end of the run")
            other.execute("SELECT pg_advisory_unlock_all()")
        # the lock is the session's, not the transaction's: a commit keeps it
        with (
            sql_db.db_connect(dbname).cursor() as first,
            sql_db.db_connect(dbname).cursor() as second,
        ):
            first.execute("SELECT pg_try_advisory_lock(%s, %s)", self._key("sync"))
            first.commit()
            second.execute("SELECT pg_try_advisory_lock(%s, %s)", self._key("sync"))
            self.assertFalse(second.fetchone()[0])
            first.execute("SELECT pg_advisory_unlock_all()")
            first.commit()

    def test_cycle_skipped_while_another_worker_runs_it(self):
        with sql_db.db_connect(self.env.cr.dbname).cursor() as other:
            other.execute("SELECT pg_try_advisory_lock(%s, %s)", self._key("sync"))
            self.assertFalse(self.account._sync_now())
            self.assertFalse(self.fake.calls, "nothing asked of Amazon")
            other.execute("SELECT pg_advisory_unlock_all()")
        self.assertTrue(self.account._sync_now())

    def _key(self, job):
        import zlib

        return (zlib.crc32(f"amazon.account/{job}".encode()) & 0x7FFFFFFF, self.account.id)


@tagged("post_install", "-at_install")
class TestResponsible(FakeCase):
    def test_warnings_go_to_a_person(self):
        root = self.env.ref("base.user_root")
        self.account.user_id = root
        person = self.account._responsible()
        self.assertTrue(person)
        self.assertFalse(person._is_superuser(), "never OdooBot")
        self.account._warn(self.account, "Summary", "Note")
        self.account._warn(self.account, "Summary", "Note", once=True)
        self.assertEqual(len(self.account.activity_ids), 1)
        self.assertEqual(self.account.activity_ids.user_id, person)
        admin = self.env.ref("base.user_admin")
        self.account.user_id = admin
        self.assertEqual(self.account._responsible(), admin)
