"""The first week in a real browser (issue 11): an Odoo tour on a Chromium, skipped with
Odoo's reason when no Chrome/Chromium is installed (.ci/run installs Debian's)."""

from odoo.tests import HttpCase, tagged

from .test_catalog import CatalogCase


@tagged("post_install", "-at_install")
class TestFirstWeekTour(CatalogCase, HttpCase):
    def test_settings_connection_sync_errors_retry(self):
        self.account.write({"name": "Tour account", "sequence": 0})
        good = self.make_product("TOUR-GOOD")
        bad = self.make_product("TOUR-BAD")
        bad.barcode = "12345"
        for product in (good, bad):
            self.list_product(product)
        for advance in (1, 600, 600):
            self.run_cycle(advance=advance)
        bad_row = self.rows_of(bad).filtered(lambda r: r.record_operation == "create")
        self.assertEqual(bad_row.amazon_status, "error")
        self.assertEqual(
            set(self.rows_of(good).mapped("amazon_status")), {"success"}, "a row Success"
        )
        self.env.flush_all()

        self.start_tour(
            "/odoo/action-amazon_integration.amazon_config_settings_action",
            "amazon_first_week",
            login="admin",
            timeout=180,
        )

        self.assertEqual(bad_row.amazon_status, "none", "retried from the Errors list")
        self.assertEqual(self.account.connection_state, "ok", "tested in Settings")
        jobs = self.env["amazon.sync.request"].search([("account_id", "=", self.account.id)])
        self.assertIn("sync", jobs.mapped("job"), "Synchronize Now queued a cycle")
