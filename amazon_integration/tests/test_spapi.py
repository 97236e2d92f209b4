"""An account on the Selling Partner API, against the sandbox's SP-API face: Login with
Amazon, the shared access token, the connection test and the order import (issue 13)."""

from datetime import datetime, timedelta, timezone
from unittest.mock import patch

from odoo import fields
from odoo.tests import TransactionCase, tagged

from ..lib import spapi_api
from .test_fba import TestFbaStock
from .test_order_feeds import TestOrderFeeds
from .test_order_import import IMPORTABLE, OrderCase, TestOrderImportSandbox
from .test_settlement import TestSettlementDownload


def spapi_account(create_account, **defaults):
    """``create_account`` of a test class, on SP-API (the sandbox's LWA credentials);
    ``defaults``: more account values."""

    def create(cls, creds, **values):
        return create_account.__func__(
            cls,
            creds,
            amazon_api="spapi",
            access_key=False,
            secret_key=False,
            lwa_client_id=creds.client_id,
            lwa_client_secret=creds.client_secret,
            lwa_refresh_token=creds.refresh_token,
            **{**defaults, **values},
        )

    return classmethod(create)


@tagged("post_install", "-at_install")
class TestSpApiOrders(OrderCase):
    create_account = spapi_account(OrderCase.create_account)

    def admin(self, action, body=None):
        return self.sandbox.admin(
            "POST", f"/admin/sellers/{self.creds.seller_id}/{action}", body or {}
        )

    def token(self):
        return self.account.sudo().lwa_access_token

    def test_connection_test_and_one_shared_token(self):
        self.assertFalse(self.account.credentials_missing)
        self.account.action_test_connection()
        self.assertEqual(self.account.connection_state, "ok", self.account.connection_message)
        first = self.token()
        self.assertTrue(first and first.startswith("Atza|"))
        # another worker (another environment on the same row) uses the same token
        self.account.invalidate_recordset()
        self.account.action_test_connection()
        self.assertEqual(self.token(), first, "no second Login with Amazon call")
        log = self.env["amazon.api.log"].search([("account_id", "=", self.account.id)])
        self.assertIn("getMarketplaceParticipations", log.mapped("operation"))
        for text in [*log.mapped("error_message"), self.account.connection_message]:
            self.assertNotIn(self.creds.client_secret, text or "")

    def test_orders_import_exactly_once_with_amazons_totals(self):
        self.generate(12)
        self.run_until_listed()
        remote = self.remote_orders()
        importable = {oid for oid, order in remote.items() if order["status"] in IMPORTABLE}
        orders = self.sale_orders()
        self.assertTrue(importable)
        self.assertEqual(set(orders.mapped("amazon_order_id")) & importable, importable)
        self.assert_totals(remote, orders.filtered(lambda so: not so.amazon_exception))
        self.assertTrue(
            all(so.state == "sale" for so in orders if so.amazon_order_id in importable)
        )
        log = self.env["amazon.api.log"].search([("account_id", "=", self.account.id)])
        self.assertIn("searchOrders", log.mapped("operation"))
        # the same window again: nothing twice
        self.account.order_checkpoint = datetime(2020, 1, 1)
        self.run_until_listed()
        self.assertEqual(len(self.sale_orders()), len(orders))

    def test_pages_repeat_the_first_requests_filters(self):
        """searchOrders wants the first request's filters again with every page token."""
        self.generate(12)
        with patch.object(spapi_api, "PAGE_SIZE", 5):
            self.run_until_listed()
        remote = self.remote_orders()
        importable = {oid for oid, order in remote.items() if order["status"] in IMPORTABLE}
        self.assertEqual(set(self.sale_orders().mapped("amazon_order_id")) & importable, importable)
        pages = self.env["amazon.api.log"].search_count(
            [("account_id", "=", self.account.id), ("operation", "=", "searchOrders")]
        )
        self.assertGreaterEqual(pages, 3, "12 orders in pages of 5")

    def test_a_429_storm_waits_and_loses_nothing(self):
        self.generate(6)
        self.sandbox.fault(self.creds, "throttle_storm", seconds=600, operation="searchOrders")
        self.sync_clock()
        self.assertEqual(self.account._orders_step(), [], "throttling is no error for people")
        self.assertFalse(self.sale_orders())
        bucket = self.account.quota_bucket_ids.filtered(lambda b: b.bucket == "searchOrders")
        self.assertEqual(bucket.throttled_count, 1)
        self.sandbox.advance(1200)  # the storm is over and the bucket restored
        self.run_until_listed()
        remote = self.remote_orders()
        importable = {oid for oid, order in remote.items() if order["status"] in IMPORTABLE}
        self.assertEqual(set(self.sale_orders().mapped("amazon_order_id")) & importable, importable)
        self.assertEqual(
            len(self.sale_orders()), len(set(self.sale_orders().mapped("amazon_order_id")))
        )

    def test_the_rate_amazon_announces_is_followed(self):
        self.account.action_test_connection()
        bucket = self.account.quota_bucket_ids.filtered(
            lambda b: b.bucket == "getMarketplaceParticipations"
        )
        # the sandbox announces the model's 0.016 requests a second (x-amzn-RateLimit-Limit)
        self.assertAlmostEqual(bucket.state["restore_seconds"], 1 / 0.016, places=3)

    def test_expired_token_mid_run_is_renewed(self):
        self.account.action_test_connection()
        first = self.token()
        self.admin("expire-access-tokens")
        self.generate(3)
        self.run_until_listed()
        self.assertNotEqual(self.token(), first, "a new token after Amazon's refusal")
        self.assertTrue(self.sale_orders())

    def test_revoked_authorisation_is_a_clear_error_and_nothing_is_lost(self):
        self.generate(4)
        self.admin("revoke-refresh-token")
        self.admin("expire-access-tokens")
        self.sync_clock()
        with self.assertLogs(
            "odoo.addons.amazon_integration.models.amazon_order_sources", "WARNING"
        ) as logged:
            self.account._orders_step()
        self.assertIn("invalid_grant", logged.output[0])
        self.assertNotIn(self.creds.client_secret, logged.output[0])
        self.assertEqual(self.account.connection_state, "failed")
        self.assertIn("authorise the application again", self.account.connection_message)
        self.assertNotIn(self.creds.refresh_token, self.account.connection_message)
        self.assertFalse(self.sale_orders())
        self.assertFalse(self.account.order_checkpoint, "the listing did not move on")
        # authorised again: the orders come in
        self.admin("revoke-refresh-token", {"revoked": False})
        self.run_until_listed()
        self.assertTrue(self.sale_orders())

    def test_a_cycle_calls_only_what_it_has_work_for(self):
        """Nothing listed, nothing shipped: the cycle reads orders and reports, and sends
        no feed, no listing, no product type request."""
        self.account.action_upload_catalog()  # nothing listed on this account: no row
        self.account._sync_now()
        operations = set(
            self.env["amazon.api.log"]
            .search([("account_id", "=", self.account.id)])
            .mapped("operation")
        )
        self.assertFalse(
            operations - {"searchOrders", "getOrder", "getReports", "LwaToken"}, operations
        )
        self.assertTrue(
            datetime.now(timezone.utc).replace(tzinfo=None) >= self.account.last_sync_at
        )


@tagged("post_install", "-at_install")
class TestOrderFeedsSpApi(TestOrderFeeds):
    """Every order feed scenario (acknowledgements, shipments, partial shipments, seller
    cancellations, refunds, a lost answer) again on an SP-API account: the same XML documents
    through the Feeds API."""

    allow_inherited_tests_method = True  # the scenarios of TestOrderFeeds, run again here
    create_account = spapi_account(TestOrderFeeds.create_account)
    submit_operation = "createFeed"
    fulfillment_feed_type = "POST_ORDER_FULFILLMENT_DATA"
    unreadable_code = "UnreadableResponse"
    feeds_admin = ("sp-feeds", "feedId", "feedType")


@tagged("post_install", "-at_install")
class TestFbaStockSpApi(TestFbaStock):
    """FBA stock through the Reports API (GET_AFN_INVENTORY_DATA)."""

    allow_inherited_tests_method = True
    create_account = spapi_account(TestFbaStock.create_account)


@tagged("post_install", "-at_install")
class TestSettlementDownloadSpApi(TestSettlementDownload):
    """Settlements listed with getReports (Amazon schedules them), downloaded through
    getReportDocument, reconciled as on MWS."""

    allow_inherited_tests_method = True
    create_account = spapi_account(TestSettlementDownload.create_account)
    download_operation = "getReportDocument"
    list_operation = "getReports"
    next_operation = "getReports"
    page_size = (spapi_api, "REPORT_PAGE_SIZE")

    def stored_id(self, report_id):
        """SP-API gives the report's document id."""
        documents = self.sandbox.admin("GET", f"/admin/sellers/{self.seller}/documents")
        [found] = [d for d in documents["documents"] if d["report_id"] == report_id]
        return found["document_id"]

    def test_malformed_download_then_retry(self):
        """On SP-API the malformed answer is getReportDocument's (the document's address):
        nothing is stored, the run reports it, the next run downloads and books it."""
        self.ship_new_orders(3, seed=43)
        self.sandbox.fault(self.creds, "malformed", operation=self.download_operation, count=1)
        errors = self.account._settlement_step()
        self.assertEqual(len(errors), 1)
        self.assertIn("Settlement report", errors[0])
        self.assertFalse(self.account.settlement_ids, "nothing half-written")
        self.assertFalse(self.account.settlement_checkpoint, "the checkpoint did not move")
        self.account.settlement_next_check = False
        self.assertEqual(self.account._settlement_step(), [])
        settlement = self.account.settlement_ids
        self.assertEqual(len(settlement), 1)
        self.assertIn(settlement.state, ("partial", "reconciled"))
        self.assertTrue(settlement.move_id)


@tagged("post_install", "-at_install")
class TestOrderImportSandboxSpApi(TestOrderImportSandbox):
    """The order import scenarios again on SP-API: searchOrders, and the order reports read
    with a restricted data token (an app with the Direct-to-Consumer Shipping role). The
    two listing-fault scenarios name MWS's paging operations and have their SP-API
    counterparts in TestSpApiOrders (429 storm, corrupted page token)."""

    create_account = spapi_account(TestOrderImportSandbox.create_account, order_reports_role=True)
    report_request_operation = "createReport"
    listing_operation = "searchOrders"
    api_gives_afn_buyer_email = False  # searchOrders: "only available for FBM orders"
    test_api_multi_page_import_totals_no_duplicates = (
        TestOrderImportSandbox.test_api_multi_page_import_totals_no_duplicates
    )
    test_several_currencies = TestOrderImportSandbox.test_several_currencies
    test_manual_download_wizard = TestOrderImportSandbox.test_manual_download_wizard
    test_report_path_imports_the_same_orders_as_the_api = (
        TestOrderImportSandbox.test_report_path_imports_the_same_orders_as_the_api
    )
    test_report_request_survives_a_crash = (
        TestOrderImportSandbox.test_report_request_survives_a_crash
    )
    test_report_path_follows_changes_without_listing = (
        TestOrderImportSandbox.test_report_path_follows_changes_without_listing
    )

    def test_5xx_and_a_429_storm_mid_paging_lose_nothing(self):
        """TestOrderImportSandbox's faults mid-listing, on searchOrders' pages."""
        self.generate(150, seed=403)
        self.sandbox.fault(self.creds, "internal_error", count=2, operation="searchOrders")
        self.run_orders()
        self.sandbox.fault(self.creds, "throttle_storm", seconds=30, operation="searchOrders")
        self.run_orders(advance=1)
        self.assertFalse(self.account.order_checkpoint, "not advanced while orders are missing")
        self.sandbox.admin("DELETE", f"/admin/sellers/{self.creds.seller_id}/faults")
        self.run_until_listed(runs=30)
        _remote, importable, _orders, _late = self.assert_mirrors_remote()
        self.assertGreater(len(importable), 100)
        errors = self.env["amazon.api.log"].search(
            [("account_id", "=", self.account.id), ("status", "!=", "ok")]
        )
        self.assertTrue(errors, "the faults reached the connector")

    def test_next_token_corrupted_restarts_listing(self):
        """A searchOrders page token Amazon no longer takes: the listing starts again."""
        self.generate(150, seed=404)
        self.sandbox.fault(self.creds, "next_token_corrupted", count=1, operation="searchOrders")
        self.run_until_listed(runs=30)
        corrupted = self.env["amazon.api.log"].search(
            [("account_id", "=", self.account.id), ("error_code", "!=", False)]
        )
        self.assertEqual(corrupted.mapped("operation"), ["searchOrders"], corrupted.read())
        self.assert_mirrors_remote()

    def test_order_reports_need_the_role_and_read_the_addresses_with_a_token(self):
        """Without the role the account stays on searchOrders whatever the mode; with it,
        each order report's document is read with a restricted data token for exactly
        that document, and the orders come with their addresses."""
        self.generate(20, seed=409)
        self.account.write(
            {
                "order_reports_role": False,
                "order_import_mode": "report",
                "order_report_interval_minutes": 0,
            }
        )
        self.assertEqual(self.account._auto_choose_path(), "api")
        self.account.order_reports_role = True
        self.assertEqual(self.account._auto_choose_path(), "report")
        for _n in range(6):
            self.run_orders()
            if self.account.order_report_checkpoint and not self.account._report_request("orders"):
                break
        orders = self.sale_orders()
        self.assertTrue(orders)
        self.assertTrue(all(orders.partner_shipping_id.mapped("street")))
        log = self.env["amazon.api.log"].search([("account_id", "=", self.account.id)])
        operations = log.mapped("operation")
        self.assertIn("createRestrictedDataToken", operations)
        self.assertNotIn("searchOrders", operations)
        documents = self.account.report_request_ids.filtered(
            lambda r: r.kind == "orders_new" and r.report_id
        )
        self.assertEqual(
            operations.count("createRestrictedDataToken"),
            len(documents),
            "one token per order report document",
        )


@tagged("post_install", "-at_install")
class TestSpApiDeadlines(TransactionCase):
    """Login with Amazon's deadlines: the client secret's 180-day rotation and the seller's
    365-day authorisation are dated when typed; the responsible hears of each two weeks
    before, once."""

    def test_deadlines_dated_when_typed_and_warned_once(self):
        admin = self.env.ref("base.user_admin")
        account = self.env["amazon.account"].create(
            {
                "name": "SP-API deadlines",
                "amazon_api": "spapi",
                "merchant_id": "A1DEADLINES",
                "marketplace_id": self.env.ref("amazon_integration.marketplace_us").id,
                "user_id": admin.id,
            }
        )
        today = fields.Date.context_today(account)
        account.write(
            {"new_lwa_client_secret": "amzn1.oa2-cs.v1.abc", "new_lwa_refresh_token": "Atzr|x"}
        )
        self.assertEqual(account.lwa_secret_set_on, today)
        self.assertEqual(account.lwa_authorized_on, today)
        self.assertEqual(account.lwa_secret_due_on, today + timedelta(days=180))
        self.assertEqual(account.lwa_authorization_due_on, today + timedelta(days=365))
        Account = self.env["amazon.account"]
        Account._cron_credential_deadlines()
        self.assertFalse(account.activity_ids, "months ahead: nothing yet")
        account.lwa_secret_set_on = today - timedelta(days=170)  # due in 10 days
        Account._cron_credential_deadlines()
        self.assertEqual(len(account.activity_ids), 1)
        self.assertEqual(account.activity_ids.user_id, admin)
        self.assertIn("Rotate the LWA client secret", account.activity_ids.summary)
        Account._cron_credential_deadlines()
        self.assertEqual(len(account.activity_ids), 1, "once, not every day")
        self.assertNotIn("amzn1.oa2-cs", account.activity_ids.note or "")
