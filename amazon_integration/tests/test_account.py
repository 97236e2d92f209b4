from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, new_test_user, tagged

from ..lib.api import AmazonCallError
from ..models.amazon_account import AmazonQuotaWait
from .common import AmazonCase


@tagged("post_install", "-at_install")
class TestAccount(AmazonCase):
    def test_connection_success(self):
        result = self.account.action_test_connection()
        self.assertEqual(result["params"]["type"], "success")
        self.assertEqual(self.account.connection_state, "ok")
        self.assertIn(self.creds.seller_id, self.account.connection_message)
        log = self.env["amazon.api.log"].search([("account_id", "=", self.account.id)])
        self.assertEqual(log.operation, "ListMarketplaceParticipations")
        self.assertEqual(log.status, "ok")
        self.assertTrue(log.request_id)

    def test_connection_wrong_secret(self):
        self.account.secret_key = "wrong"
        result = self.account.action_test_connection()
        self.assertEqual(result["params"]["type"], "danger")
        self.assertEqual(self.account.connection_state, "failed")
        self.assertIn("secret key does not match", self.account.connection_message)
        log = self.env["amazon.api.log"].search([("account_id", "=", self.account.id)])
        self.assertEqual((log.status, log.error_code), ("auth", "SignatureDoesNotMatch"))
        self.assertNotIn("wrong", log.error_message or "")

    def test_connection_unknown_key(self):
        self.account.access_key = "AKIANOBODY"
        self.account.action_test_connection()
        self.assertIn("does not know this access key", self.account.connection_message)

    def test_connection_wrong_marketplace(self):
        self.account.marketplace_id = self.env.ref("amazon_integration.marketplace_de")
        self.account.action_test_connection()
        self.assertEqual(self.account.connection_state, "failed")
        self.assertIn("A1PA6795UKMFR9", self.account.connection_message)

    def test_connection_unreachable(self):
        self.account.sandbox_url = "http://127.0.0.1:9"
        self.account.action_test_connection()
        self.assertEqual(self.account.connection_state, "failed")
        self.assertIn("could not be reached", self.account.connection_message)

    def test_quota_respected_before_calling(self):
        # ListMarketplaceParticipations: burst 15. The 16th call is never sent.
        for _i in range(15):
            self.account._api().sellers.participations()
        with self.assertRaises(AmazonQuotaWait) as wait:
            self.account._api().sellers.participations()
        self.assertGreater(wait.exception.wait, 0)
        self.assertLessEqual(wait.exception.wait, 60)
        bucket = self.account.quota_bucket_ids
        self.assertEqual(bucket.calls_count, 15)
        self.assertEqual(bucket.throttled_count, 0)
        counters = self.sandbox.admin("GET", "/admin/throttle")["counters"]
        mine = [c for c in counters if c["seller_id"] == self.creds.seller_id]
        self.assertEqual(sum(c["allowed"] for c in mine), 15)
        self.assertEqual(sum(c["throttled"] + c["quota_exceeded"] for c in mine), 0)

    def test_pacing_yields_to_order_feeds_above_their_share(self):
        Bucket = self.env["amazon.quota.bucket"]
        record = Bucket._locked(self.account, "SubmitFeed")
        now = Bucket._now(self.account).timestamp()

        def wait(orders):
            # half an hour into the window: 12 catalog feeds (1 + 23 / 2 allowed) and
            # ``orders`` order feeds
            record.state = {
                "bucket": "SubmitFeed",
                "tokens": 15.0,
                "updated_at": now,
                "hour_window_start": now - 1800,
                "hour_count": 12 + orders,
                "reserving_count": 12,
            }
            return Bucket._paced_wait(self.account, "SubmitFeed", 23, burst=1)

        self.assertEqual(wait(0), 0)
        self.assertEqual(wait(5), 0, "within their share (2 + 6 an hour): no effect")
        self.assertGreater(wait(9), 0, "4 above their share: the catalog slows down")
        self.assertAlmostEqual(wait(9), (16 - 1 + 1) * 3600 / 23 - 1800, delta=2)

    def test_throttled_anyway_empties_the_bucket(self):
        self.sandbox.fault(self.creds, "throttle_storm", seconds=600)
        # not assertRaises: it would roll back what the failed call recorded
        try:
            self.account._api().sellers.participations()
        except AmazonCallError as error:
            self.assertEqual(error.kind, "throttled")
        else:
            self.fail("the storm did not throttle")
        log = self.env["amazon.api.log"].search([("account_id", "=", self.account.id)])
        self.assertEqual(log.status, "throttled")
        bucket = self.account.quota_bucket_ids
        self.assertEqual(bucket.throttled_count, 1)
        with self.assertRaises(AmazonQuotaWait):
            self.account._api().sellers.participations()

    def test_secret_key_readable_by_administrators_only(self):
        manager = new_test_user(
            self.env,
            login="amazon_manager",
            groups="base.group_user,integrator_base.group_integration_manager",
        )
        account = self.account.with_user(manager)
        self.assertEqual(account.merchant_id, self.creds.seller_id)
        with self.assertRaises(AccessError):
            account.read(["secret_key"])
        with self.assertRaises(AccessError):
            account.read(["access_key"])
        # the manager can still test the connection: the adapter reads secrets as superuser
        account.action_test_connection()
        self.assertEqual(self.account.connection_state, "ok")

    def test_settings_save_and_reload(self):
        self.env["amazon.account"].search([("company_id", "=", self.env.company.id)]).unlink()
        settings = Form(self.env["res.config.settings"])
        settings.amazon_marketplace_id = self.env.ref("amazon_integration.marketplace_uk")
        settings.amazon_merchant_id = "SETTINGS-SELLER"
        settings.amazon_access_key = "AK-SETTINGS"
        # issue 11: an empty secret key saved without a word
        with self.assertRaisesRegex(UserError, "type its Amazon Secret Key"):
            settings.save().execute()
        self.assertFalse(
            self.env["amazon.account"].search([("merchant_id", "=", "SETTINGS-SELLER")])
        )
        settings.amazon_secret_key = "SK-SETTINGS"
        settings.amazon_auto_sync = True
        settings.amazon_sync_interval = 120
        settings.save().execute()
        account = self.env["amazon.account"].search([("merchant_id", "=", "SETTINGS-SELLER")])
        self.assertEqual(account.marketplace_id.code, "A1F83G8C2ARO7P")
        self.assertEqual(account.sudo().secret_key, "SK-SETTINGS")
        self.assertEqual(account.sync_interval, 120)
        reloaded = Form(self.env["res.config.settings"])
        self.assertEqual(reloaded.amazon_merchant_id, "SETTINGS-SELLER")
        self.assertEqual(reloaded.amazon_sync_interval, 120)
        self.assertTrue(reloaded.amazon_auto_sync)

    def test_saving_settings_keeps_the_connectors_pricelists(self):
        """Issue: with Odoo's pricelist feature off, saving Settings archived the pricelist
        the order import had made ("Amazon USD"), and the import made another one."""
        feature = self.env.ref("product.group_product_pricelist")
        self.env.ref("base.group_user").sudo()._remove_group(feature)
        usd = self.env.ref("base.USD")
        pricelist = self.account._order_pricelist(usd, {})
        self.assertTrue(pricelist.active)
        for _n in range(2):
            Form(self.env["res.config.settings"]).save().execute()
        self.assertTrue(pricelist.active, "still active after saving Settings twice")
        self.assertFalse(
            self.env["product.pricelist"]
            .with_context(active_test=False)
            .search([("active", "=", False)]),
            "no pricelist archived",
        )
        self.assertEqual(self.account._order_pricelist(usd, {}), pricelist, "no second one")
