"""The staged order import: a report's orders wait in ``amazon.order.stage`` and the
workers (the sync cycle, the cron lanes) turn each into exactly one sale order."""

from datetime import timedelta
from unittest.mock import patch

import psycopg2

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tools import config, mute_logger

from ..models import amazon_order_stage
from ..models.amazon_order_sources import StagingBusy
from ..models.amazon_order_stage import cron_budget
from .test_order_import import OrderCase, order_dict


def deadlock():
    return psycopg2.errors.DeadlockDetected("deadlock detected (a test)")


@tagged("post_install", "-at_install")
class TestOrderStage(OrderCase):
    def setUp(self):
        super().setUp()
        self.Stage = self.env["amazon.order.stage"]
        # no transient failure met yet by this process (_confirm_batch)
        patcher = patch.dict(amazon_order_stage._contention, until=0.0)
        patcher.start()
        self.addCleanup(patcher.stop)

    def staged(self):
        return self.Stage.search([("account_id", "=", self.account.id)])

    def dicts(self, count, prefix="111-0000000"):
        return [
            order_dict(f"{prefix}-{n:07d}", sku=f"DEMO-SKU-{n % 40 + 1:03d}") for n in range(count)
        ]

    def run_lanes(self):
        """Odoo's cron runner: the lane again while it reports orders left."""
        for _n in range(50):
            result = self.Stage._cron_import()
            if not result.get("orders"):
                return
        self.fail("the lanes never finished")

    def run_lanes_missing(self, matches, times=1):
        """The lanes, with the contact searches ``matches(domain)`` selects finding nothing
        ``times`` times (None: always), as in a snapshot taken before another worker's
        commit. Returns the domains missed."""
        Partner = type(self.env["res.partner"])
        real_search = Partner.search
        misses = []

        def search(model, domain, *args, **kwargs):
            if (times is None or len(misses) < times) and matches(domain):
                misses.append(domain)
                return model.browse()
            return real_search(model, domain, *args, **kwargs)

        with (
            patch.object(Partner, "search", search),
            patch.object(amazon_order_stage.time, "sleep", lambda s: None),
        ):
            self.run_lanes()
        return misses

    def test_each_staged_order_becomes_one_sale_order_whatever_the_replays(self):
        orders = self.dicts(60)
        self.assertEqual(self.Stage._stage(self.account, orders), 60)
        self.assertEqual(len(self.staged()), 60)
        # a later report carries the same orders again before the import: still one row each
        self.Stage._stage(self.account, orders[:30])
        self.assertEqual(len(self.staged()), 60)
        self.run_lanes()
        self.assertFalse(self.staged(), "every row is deleted with its order's import")
        sale_orders = self.sale_orders()
        self.assertEqual(len(sale_orders), 60)
        self.assertEqual(set(sale_orders.mapped("state")), {"sale"})
        self.assertEqual(
            sorted(sale_orders.mapped("amazon_order_id")),
            sorted(o["amazon_order_id"] for o in orders),
        )
        # replayed after the import (a report asked again for the same window)
        self.Stage._stage(self.account, orders)
        self.run_lanes()
        self.assertEqual(self.sale_orders(), sale_orders, "nothing created twice")
        self.assertFalse(self.staged())

    def test_a_later_change_merges_into_the_waiting_order(self):
        order = order_dict("111-0000001-0000001")
        stamp = order["last_update_date"]
        self.Stage._stage(self.account, [order])
        # the all-orders report's partial dict: status and date only, no address
        later = {
            "amazon_order_id": order["amazon_order_id"],
            "status": "Shipped",
            "last_update_date": stamp + timedelta(minutes=10),
        }
        self.Stage._stage(self.account, [later])
        # an older copy of the full dict (an overlapping report read late) changes nothing
        older = dict(order, status="Unshipped", last_update_date=stamp - timedelta(minutes=5))
        self.Stage._stage(self.account, [older])
        row = self.staged()
        self.assertEqual(len(row), 1)
        self.assertEqual(row.company_id, self.account.company_id, "the company rule applies")
        self.assertEqual(row.payload["status"], "Shipped")
        self.assertEqual(row.payload["shipping_address"]["address_line1"], "1 Main St")
        self.assertEqual(row.last_update, (stamp + timedelta(minutes=10)).replace(tzinfo=None))
        self.run_lanes()
        so = self.sale_orders()
        self.assertEqual(so.amazon_order_status, "Shipped")
        self.assertEqual(so.partner_shipping_id.street, "1 Main St")

    @mute_logger("odoo.addons.amazon_integration.models.amazon_order_import")
    def test_an_order_that_cannot_be_kept_waits_with_its_error_and_is_tried_again(self):
        orders = self.dicts(3)
        bad = orders[1]["amazon_order_id"]
        self.Stage._stage(self.account, orders)
        Account = type(self.account)
        real_import_one = Account._import_one

        def import_one(account, order, so_id, cache):
            if order["amazon_order_id"] == bad:
                raise RuntimeError("the database refused it")
            return real_import_one(account, order, so_id, cache)

        before = fields.Datetime.now()
        with (
            patch.object(Account, "_import_one", import_one),
            patch.object(Account, "_keep_failed", lambda *args: "error"),
        ):
            result = self.Stage._drain(self.account)
        self.assertEqual(result["created"], 2)
        row = self.staged()
        self.assertEqual(row.amazon_order_id, bad)
        self.assertEqual(row.attempts, 1)
        self.assertIn(bad, row.error)
        self.assertIn("the database refused it", row.error)
        self.assertGreater(row.not_before, before, "tried again later, not at once")
        self.assertEqual(result["errors"][self.account], [row.error], "told once")
        # not due yet: the next run leaves it
        self.assertFalse(self.Stage._drain(self.account).get("orders"))
        self.assertTrue(row.exists())
        # due again, and the database takes it now
        row.not_before = before - timedelta(seconds=1)
        self.Stage._drain(self.account)
        self.assertFalse(row.exists())
        self.assertEqual(len(self.sale_orders()), 3)

    def test_the_lane_tells_the_account_about_failures_once(self):
        self.Stage._stage(self.account, self.dicts(1))
        messages = self.account.message_ids
        with patch.object(type(self.account), "_import_orders") as import_orders:
            import_orders.return_value = {
                "created": 0,
                "updated": 0,
                "unchanged": 0,
                "skipped": 0,
                "exceptions": 0,
                "errors": ["Order 111-0000000-0000000 could not be imported: boom"],
                "needs_items": [],
                "outcomes": {"111-0000000-0000000": "error"},
                "to_confirm": [],
            }
            self.Stage._cron_import()
            self.staged().not_before = fields.Datetime.now() - timedelta(seconds=1)
            self.Stage._cron_import()
        digests = self.account.message_ids - messages
        self.assertEqual(len(digests), 1, "one digest, not one per attempt")
        self.assertIn("111-0000000-0000000 could not be imported: boom", digests.body)
        self.assertEqual(self.staged().attempts, 2)

    @mute_logger("odoo.addons.amazon_integration.models.amazon_order_stage")
    def test_a_deadlock_between_workers_undoes_its_few_confirmations_alone(self):
        """Alone, a worker confirms its batch in one transaction. A deadlock or
        serialisation failure undoes it once, and from then on (CONTENDED_SECONDS) the
        worker confirms ten orders a transaction: a failure undoes those ten, tried again;
        ten undone every time keep their quotations for a later run, the others are
        confirmed."""
        self.assertEqual(amazon_order_stage.CONFIRM_CHUNK, 10)
        Account = type(self.account)
        real_confirm = Account._confirm_orders
        calls = []

        def confirm(account, pairs, fail_times):
            calls.append(len(pairs))
            if len(calls) <= fail_times:
                raise deadlock()
            return real_confirm(account, pairs)

        self.Stage._stage(self.account, self.dicts(30, prefix="333-0000000"))
        with patch.object(Account, "_confirm_orders", lambda a, p: confirm(a, p, 0)):
            self.Stage._drain(self.account)
        self.assertEqual(calls, [30], "meeting nobody: one transaction")

        calls.clear()
        self.Stage._stage(self.account, self.dicts(40))
        with patch.object(Account, "_confirm_orders", lambda a, p: confirm(a, p, 1)):
            result = self.Stage._drain(self.account)
        self.assertEqual(calls, [40, 10, 10, 10, 10], "undone once: ten at a time since")
        self.assertEqual(result["created"], 40)
        sale_orders = self.sale_orders()
        self.assertEqual(len(sale_orders), 70)
        self.assertEqual(set(sale_orders.mapped("state")), {"sale"})
        self.assertFalse(sale_orders.filtered("amazon_exception"), "never an order's fault")
        self.assertFalse(self.staged())

        calls.clear()
        self.Stage._stage(self.account, self.dicts(20, prefix="222-0000000"))
        with (
            patch.object(Account, "_confirm_orders", lambda a, p: confirm(a, p, 3)),
            patch.object(amazon_order_stage.time, "sleep", lambda s: None),
        ):
            self.Stage._drain(self.account)
        self.assertEqual(calls, [10, 10, 10, 10])
        waiting = self.staged()
        self.assertEqual(len(waiting), 10, "undone three times: left for a later run")
        self.assertEqual(set(waiting.sale_order_id.mapped("state")), {"draft"})
        self.assertEqual(len(self.sale_orders().filtered(lambda so: so.state == "sale")), 80)

    @mute_logger("odoo.addons.amazon_integration.models.amazon_order_stage", "odoo.sql_db")
    def test_a_buyer_another_worker_just_created_undoes_the_batch_and_it_is_tried_again(self):
        """Two lanes meet the same new buyer: the second one's snapshot misses the first
        one's contact, its INSERT fails on the buyer index, and its batch is undone and tried
        again, which finds the contact: one contact, the order imported."""
        email = "twin-buyer@marketplace.amazon.com"
        self.Stage._stage(self.account, [order_dict("111-0000099-0000001", buyer_email=email)])
        theirs = self.env["res.partner"].create(
            {"name": "Twin", "amazon_buyer_email": email, "company_id": self.env.company.id}
        )
        # the first lookup of the buyer runs in a snapshot taken before their commit
        misses = self.run_lanes_missing(lambda d: any(t[0] == "amazon_buyer_email" for t in d))
        self.assertEqual(len(misses), 1)
        so = self.sale_orders()
        self.assertEqual(len(so), 1)
        self.assertEqual(so.partner_id, theirs)
        self.assertFalse(so.amazon_exception, so.amazon_exception_message)
        self.assertEqual(so.state, "sale")
        buyers = [("amazon_buyer_email", "=", email), ("parent_id", "=", False)]
        self.assertEqual(self.env["res.partner"].search_count(buyers), 1)
        self.assertFalse(self.staged())

    def test_a_delivery_address_another_worker_just_created_is_found_on_the_next_try(self):
        """Two lanes import two orders a known buyer sent to one new address: the second
        one's snapshot misses the first one's delivery contact, its INSERT fails on the
        delivery index, and the batch tried again finds it: one delivery contact."""
        email = "twin-address@marketplace.amazon.com"
        self.account._import_orders([order_dict("111-0000098-0000001", buyer_email=email)])
        first = self.sale_orders()
        self.assertNotEqual(first.partner_shipping_id, first.partner_id)
        self.Stage._stage(self.account, [order_dict("111-0000098-0000002", buyer_email=email)])
        with mute_logger("odoo.sql_db"):
            misses = self.run_lanes_missing(lambda d: ("type", "=", "delivery") in d)
        self.assertEqual(len(misses), 1)
        orders = self.sale_orders()
        self.assertEqual(len(orders), 2)
        self.assertEqual(orders.partner_shipping_id, first.partner_shipping_id)
        self.assertEqual(set(orders.mapped("state")), {"sale"})
        self.assertFalse(self.staged())

    @mute_logger("odoo.sql_db")
    def test_a_buyer_the_import_never_finds_waits_alone_and_its_batch_goes_on(self):
        """The buyer index refuses the contact and every new transaction's search still
        misses the one that exists: after the last try that order waits on its own, as a
        failed order (nothing half-written, the account told, a WARNING in the log), and
        the other orders of its batch are imported instead of waiting with it for ever."""
        email = "hidden-buyer@marketplace.amazon.com"
        hidden = "111-0000099-0000002"
        self.Stage._stage(
            self.account, [order_dict(hidden, buyer_email=email), *self.dicts(3, "111-0000098")]
        )
        self.env["res.partner"].create(
            {"name": "Hidden", "amazon_buyer_email": email, "company_id": self.env.company.id}
        )
        messages = self.account.message_ids
        before = fields.Datetime.now()
        with self.assertLogs("odoo.addons.amazon_integration.models.amazon_order_stage") as logs:
            self.run_lanes_missing(
                lambda d: any(t[0] == "amazon_buyer_email" and t[2] == email for t in d),
                times=None,
            )
        warnings = [r.getMessage() for r in logs.records if r.levelname == "WARNING"]
        self.assertEqual(len(warnings), 1, logs.output)
        self.assertIn(hidden, warnings[0])
        self.assertEqual(len(self.sale_orders()), 3, "the rest of the batch is imported")
        self.assertNotIn(hidden, self.sale_orders().mapped("amazon_order_id"))
        row = self.staged()
        self.assertEqual(row.amazon_order_id, hidden)
        self.assertEqual(row.attempts, 1)
        self.assertIn(hidden, row.error)
        self.assertGreater(row.not_before, before, "tried again later, not at every run")
        digests = (self.account.message_ids - messages).filtered(
            lambda m: m.subject == "Amazon errors"
        )
        self.assertEqual(len(digests), 1)
        self.assertIn(hidden, digests.body)
        self.assertEqual(
            self.env["res.partner"].search_count([("amazon_buyer_email", "=", email)]), 1
        )

    def test_a_quotation_left_by_a_crash_before_its_confirmation_is_confirmed_later(self):
        self.Stage._stage(self.account, self.dicts(3))
        # the worker imported (first transaction) and died before confirming
        self.Stage._import_batch(self.account)
        rows = self.staged()
        self.assertEqual(len(rows.sale_order_id), 3)
        self.assertEqual(set(rows.sale_order_id.mapped("state")), {"draft"})
        self.assertEqual(rows.mapped("confirm_values")[0]["amazon_ack_state"], "todo")
        # its confirmation is its worker's for a while: nobody else takes the rows, and the
        # lanes come back when they are anyone's
        self.assertFalse(self.Stage._drain(self.account).get("orders"))
        self.assertEqual(set(rows.sale_order_id.mapped("state")), {"draft"})
        Trigger = self.env["ir.cron.trigger"]
        before = Trigger.search([])
        self.assertFalse(self.Stage._cron_import().get("orders"))
        triggers = Trigger.search([]) - before
        self.assertEqual(triggers.cron_id, self.Stage._lanes())
        self.assertEqual(
            set(triggers.mapped("call_at")), {min(rows.mapped("write_date")) + timedelta(minutes=2)}
        )
        # then any worker confirms them, without importing them again
        self.env.cr.execute(
            "UPDATE amazon_order_stage SET write_date = write_date - interval '5 minutes'"
        )
        self.Stage.invalidate_model()
        quotations = rows.sale_order_id
        self.Stage._drain(self.account)
        self.assertFalse(self.staged())
        self.assertEqual(self.sale_orders(), quotations, "no second sale order")
        self.assertEqual(set(quotations.mapped("state")), {"sale"})
        self.assertEqual(set(quotations.mapped("amazon_ack_state")), {"todo"})

    def test_the_lane_reports_its_progress_to_odoo_cron_runner(self):
        self.Stage._stage(self.account, self.dicts(40))
        lane = self.env.ref("amazon_integration.ir_cron_amazon_order_import_1")
        progress = self.env["ir.cron.progress"].create({"cron_id": lane.id})
        Stage = self.Stage.with_context(ir_cron_progress_id=progress.id)
        # no time: one batch of 5 orders, then out
        with patch.object(amazon_order_stage, "cron_budget", lambda share: 0.001):
            Stage._cron_import()
        self.assertEqual((progress.done, progress.remaining), (5, 35), "one batch, then out")
        # 100 seconds: batches of 50 (5 orders a second, at most 50)
        with patch.object(amazon_order_stage, "cron_budget", lambda share: 100):
            Stage._cron_import()
        self.assertEqual((progress.done, progress.remaining), (35, 0))
        self.assertEqual(len(self.sale_orders()), 40)

    def test_staging_wakes_the_lanes_up(self):
        lanes = self.Stage._lanes()
        self.assertEqual(len(lanes), 2, "two lanes ship active")
        Trigger = self.env["ir.cron.trigger"]
        before = Trigger.search([("cron_id", "in", lanes.ids)])
        self.Stage._trigger_lanes()
        self.assertEqual((Trigger.search([("cron_id", "in", lanes.ids)]) - before).cron_id, lanes)

    def test_the_budget_follows_the_cron_limits(self):
        options = {"limit_time_real": 120, "limit_time_real_cron": -1, "workers": 0}
        with patch.dict(config.options, options):
            self.assertEqual(cron_budget(1 / 4), 30)
        with patch.dict(config.options, dict(options, workers=4, limit_time_cpu=60)):
            self.assertEqual(cron_budget(1 / 20), 3)
        with patch.dict(config.options, dict(options, limit_time_real_cron=1200)):
            self.assertEqual(cron_budget(1 / 20), 60)
        with patch.dict(config.options, dict(options, limit_time_real_cron=0, limit_time_real=0)):
            self.assertEqual(cron_budget(1 / 20), 30, "no limit: 600 s shared")
        with patch.dict(config.options, dict(options, workers=2, limit_time_cpu=10)):
            self.assertEqual(cron_budget(1 / 20), 2, "never under two seconds")

    def test_a_manager_can_ask_for_a_failed_order_now(self):
        self.Stage._stage(self.account, self.dicts(1))
        row = self.staged()
        row.write({"error": "boom", "attempts": 3, "not_before": "2099-01-01 00:00:00"})

        def user(login, group):
            return self.env["res.users"].create(
                {
                    "name": login,
                    "login": login,
                    "groups_id": [(6, 0, [self.env.ref(f"integrator_base.{group}").id])],
                }
            )

        with self.assertRaises(AccessError):
            row.with_user(user("stage-user", "group_integration_user")).action_import_now()
        row.with_user(user("stage-manager", "group_integration_manager")).action_import_now()
        self.assertFalse(row.not_before)
        self.Stage._drain(self.account)
        self.assertEqual(len(self.sale_orders()), 1)

    @mute_logger("odoo.addons.amazon_integration.models.amazon_order_stage")
    def test_staging_that_meets_a_lane_runs_again_in_a_new_transaction(self):
        """A lane imports and removes a row while the report step merges a newer state into
        it: a serialisation failure, tried again in a new transaction, never lost."""
        Stage = type(self.Stage)
        real_stage = Stage._stage
        tries = []

        def stage(model, account, orders, fail_times):
            tries.append(len(orders))
            if len(tries) <= fail_times:
                raise psycopg2.errors.SerializationFailure("concurrent delete (a test)")
            return real_stage(model, account, orders)

        cr = self.env.cr
        ends = []
        lanes = self.Stage._lanes()
        Trigger = self.env["ir.cron.trigger"]
        before = Trigger.search([("cron_id", "in", lanes.ids)])
        with (
            patch.object(cr, "commit", lambda: ends.append("commit")),
            patch.object(cr, "rollback", lambda: ends.append("rollback")),
            patch.object(amazon_order_stage.time, "sleep", lambda s: None),
        ):
            with patch.object(Stage, "_stage", lambda m, a, o: stage(m, a, o, 2)):
                self.account._stage_orders(self.dicts(3), auto_commit=True)
            self.assertEqual(tries, [3, 3, 3])
            self.assertEqual(len(self.staged()), 3)
            self.assertEqual(ends, ["commit", "rollback", "rollback", "commit"])
            self.assertEqual(
                (Trigger.search([("cron_id", "in", lanes.ids)]) - before).cron_id, lanes
            )
            # a lane in the way every time: the caller learns it, nothing half-staged
            tries.clear()
            with (
                patch.object(Stage, "_stage", lambda m, a, o: stage(m, a, o, 99)),
                self.assertRaises(StagingBusy),
            ):
                self.account._stage_orders(self.dicts(2, prefix="112-0000000"), auto_commit=True)
        self.assertEqual(tries, [2, 2, 2], "three tries")
        self.assertEqual(len(self.staged()), 3)
