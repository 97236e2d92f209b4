"""Odoo tests run against the MWS sandbox, started as a subprocess on a free loopback port."""

import sys
import tempfile
from pathlib import Path

from odoo.tests import TransactionCase

REPOSITORY = Path(__file__).resolve().parents[2]
if str(REPOSITORY) not in sys.path:
    sys.path.append(str(REPOSITORY))

from amazon_sandbox.testing import Sandbox  # noqa: E402


class AmazonCase(TransactionCase):
    """A sandbox for the test class, and for each test an account on a fresh seller."""

    sandbox_args = ("--seed", "11")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._sandbox_dir = tempfile.TemporaryDirectory(prefix="amazon-sandbox-")
        cls.addClassCleanup(cls._sandbox_dir.cleanup)
        cls.sandbox = Sandbox(Path(cls._sandbox_dir.name), list(cls.sandbox_args))
        cls.addClassCleanup(cls.sandbox.stop)

    def setUp(self):
        super().setUp()
        # a fresh seller per test: the sandbox's quotas outlive the test's rolled-back data
        self.creds = self.sandbox.new_seller()
        self.account = self.create_account(self.creds)

    def submit_then_crash(self, feed):
        """SubmitFeed answered by Amazon, then the process dies before its commit: the feed
        is back to what the database knew, but for the moment saved (committed) before the
        call, which is set again."""
        sent_at = self.account._server_now()

        class Crash(Exception):
            pass

        with self.assertRaises(Crash), self.env.cr.savepoint():
            feed._submit()
            self.assertEqual(feed.state, "submitted")
            raise Crash()
        self.assertEqual(feed.state, "draft")
        feed.sent_unanswered_at = sent_at  # what the commit before the call saved

    @classmethod
    def create_account(cls, creds, **values):
        return cls.env["amazon.account"].create(
            {
                "name": f"Sandbox {creds.seller_id}",
                "environment": "sandbox",
                "sandbox_url": cls.sandbox.url,
                "marketplace_id": cls.env.ref("amazon_integration.marketplace_us").id,
                "merchant_id": creds.seller_id,
                "amazon_api": "mws",
                "access_key": creds.access_key,
                "secret_key": creds.secret_key,
                "warehouse_ids": [(6, 0, cls.env["stock.warehouse"].search([], limit=1).ids)],
                **values,
            }
        )
