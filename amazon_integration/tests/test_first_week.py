"""A seller's first week (issue 11): one bad record never stops the rest, every error reaches a
person in one Errors view, buttons say what they did, the catalog sends what a seller expects."""

from datetime import timedelta
from decimal import Decimal
from unittest.mock import patch

from odoo.tests import tagged
from odoo.tools import convert_file

from ..lib.order_values import from_json, order_amounts
from .common import AmazonCase
from .test_catalog import CatalogCase


@tagged("post_install", "-at_install")
class TestFirstWeek(CatalogCase):
    def synced(self, *codes, **values):
        """Products Amazon accepted (created in the sandbox through the connector)."""
        products = [self.make_product(code, **values) for code in codes]
        listings = [self.list_product(product) for product in products]
        for advance in (1, 600, 600):
            self.run_cycle(advance=advance)
        for product in products:
            self.assertEqual(set(self.rows_of(product).mapped("amazon_status")), {"success"})
        return products, listings

    def test_a_bad_barcode_alone_is_an_error_and_the_rest_goes_out(self):
        """Finding 1: barcode 12345 made every run end in FeedDataError; a price change of
        another product queued behind it stayed None for good."""
        (good,), _listings = self.synced("GOOD-1", price=10.0)
        bad = self.make_product("BAD-EAN")
        bad.barcode = "12345"
        bad_listing = self.list_product(bad)
        good.list_price = 11.0
        self.run_cycle(advance=1)  # no traceback: the run records the problem and goes on
        created = self.rows_of(bad).filtered(lambda r: r.record_operation == "create")
        self.assertEqual(created.amazon_status, "error")
        self.assertIn("12345", created.amazon_status_data)
        self.assertIn("BAD-EAN", created.amazon_status_data)
        self.assertEqual(bad_listing.state, "error")
        self.assertIn("barcode", bad_listing.error_message.lower())
        self.run_cycle()
        self.run_cycle()
        price_row = self.rows_of(good).filtered(lambda r: r.record_operation == "write")
        self.assertEqual(price_row.amazon_status, "success")
        self.assertEqual(Decimal(str(self.sandbox_sku("GOOD-1")["price"])), Decimal("11.00"))
        # the bad product's other messages never went out as if it were fine
        self.assertFalse(
            self.rows_of(bad).filtered(lambda r: r.amazon_status == "success"),
            "no row of the refused product says Success",
        )
        self.assertGreaterEqual(self.account.error_count, 1)

    def test_a_negative_price_is_an_error_never_accepted(self):
        """Finding 1: a list price of -5 was "Accepted by Amazon" while Amazon kept the old."""
        (product,), (listing,) = self.synced("NEG-1", price=10.0)
        product.list_price = -5.0
        self.run_cycle()
        self.run_cycle()
        row = self.rows_of(product).filtered(
            lambda r: r.record_operation == "write" and "list_price" in str(r.operation_data)
        )
        self.assertEqual(row.amazon_status, "error")
        self.assertIn("price", row.amazon_status_data.lower())
        self.assertNotIn("feed", listing.error_message.lower())

    def test_a_bad_barcode_beside_a_valid_change_is_no_success(self):
        """Finding 1: the bad barcode, sent with a valid change, was dropped without a word
        and the row said Accepted."""
        (product, other), _listings = self.synced("MIX-1", "MIX-2", price=10.0)
        product.write({"barcode": "12345", "name": "Mixed change"})
        other.name = "A valid title change"
        self.run_cycle(advance=1)
        self.run_cycle()
        self.run_cycle()
        bad_row = self.rows_of(product).filtered(lambda r: r.record_operation == "write")
        self.assertEqual(bad_row.amazon_status, "error")
        self.assertIn("12345", bad_row.amazon_status_data)
        good_row = self.rows_of(other).filtered(lambda r: r.record_operation == "write")
        self.assertEqual(good_row.amazon_status, "success")

    def test_a_step_that_breaks_is_reported_and_the_others_run(self):
        """No cron run ends in a traceback: a step failing on data nobody foresaw is undone,
        logged, put in the digest for a person, and the rest of the cycle still runs."""
        product = self.make_product("STEP-1")
        self.list_product(product)
        Account = type(self.account)

        secret = self.creds.secret_key

        def broken(account, auto_commit=False):
            raise ValueError(f"unforeseen data near {secret}")

        with (
            patch.object(Account, "_order_feeds_step", broken),
            self.assertLogs("odoo.addons.amazon_integration.models.amazon_sync", "ERROR") as log,
        ):
            self.run_cycle(advance=1)
        self.assertIn("unforeseen data", log.output[0])
        self.assertIn("Traceback", log.output[0], "the traceback is kept, sanitised")
        self.assertNotIn(secret, log.output[0])
        self.assertEqual(self.account.feed_ids.kind, "product", "the catalog step still ran")
        digest = self.account.message_ids.filtered(
            lambda m: "A step of the synchronisation stopped" in (m.body or "")
        )
        self.assertEqual(len(digest), 1)
        self.assertNotIn(secret, digest.body)
        self.assertTrue(self.account.activity_ids.user_id)
        self.assertNotEqual(self.account.activity_ids.user_id, self.env.ref("base.user_root"))

    def test_every_error_is_in_one_list_counted_and_retried(self):
        """Finding 5: a refused shipment confirmation was in the order's chatter only; the
        Errors menu listed product rows, the account counted listings."""
        bad = self.make_product("BAD-EAN-2")
        bad.barcode = "12345"
        self.list_product(bad)
        self.run_cycle(advance=1)
        order = self.env["sale.order"].create(
            {
                "partner_id": self.env["res.partner"].create({"name": "Buyer"}).id,
                "amazon_account_id": self.account.id,
                "amazon_order_id": "111-0000000-0000001",
                "amazon_exception": "unknown_sku",
                "amazon_exception_message": "SKU NOPE is not listed",
            }
        )
        shipped = self.env["order.integration"].create(
            {
                "res_model": "sale.order",
                "res_id": order.id,
                "sale_order_id": order.id,
                "record_operation": "write",
            }
        )
        shipped._set_site_status("amazon", "error", "Error 18030: exceeds the 2 unit(s) left")
        self.env["amazon.report.request"].create(
            {
                "account_id": self.account.id,
                "lane": "orders",
                "purpose": "orders",
                "kind": "_GET_FLAT_FILE_ORDERS_DATA_",
                "state": "failed",
                "error_message": "unreadable report",
            }
        )
        self.env.flush_all()
        errors = self.env["amazon.error"].search([("account_id", "=", self.account.id)])
        self.assertEqual(sorted(errors.mapped("kind")), ["import", "order", "product", "report"])
        by_kind = {error.kind: error for error in errors}
        self.assertIn("18030", by_kind["order"].message)
        self.assertIn("Barcode", by_kind["product"].message)
        self.assertEqual(self.account.error_count, 4)
        self.assertEqual(by_kind["order"].action_open()["res_id"], shipped.id)
        action = (by_kind["order"] | by_kind["product"]).action_retry()
        self.assertIn("2 error(s) queued again", action["params"]["message"])
        self.assertEqual(shipped.amazon_status, "none")
        self.env.flush_all()
        self.env.invalidate_all()
        left = self.env["amazon.error"].search([("account_id", "=", self.account.id)])
        self.assertEqual(sorted(left.mapped("kind")), ["import", "report"])

    def test_manual_upload_says_what_it_queued_and_rows_end_accepted(self):
        """Finding 6: "4 products will be sent" and then rows saying "Nothing to send";
        the manual sync queued tax, deposit and delivery products."""
        products, _listings = self.synced("UP-1", "UP-2")
        fee = self.env["product.product"].create({"name": "Handling fee", "type": "service"})
        notification = self.account.action_upload_catalog()
        self.assertIn("2 products", notification["params"]["message"])
        manual = self.env["product.integration"].search([("manual", "=", True)])
        self.assertEqual(manual.product_id, products[0] | products[1])
        self.assertNotIn(fee, manual.product_id)
        for advance in (1, 600, 600, 600):
            self.run_cycle(advance=advance)
        self.assertEqual(set(manual.mapped("amazon_status")), {"success"})
        for row in manual:
            self.assertNotIn("Nothing to send", row.amazon_status_data)

    def test_test_connection_shows_the_latest_result_only(self):
        action = self.account.action_test_connection()
        self.assertEqual(action["params"]["next"]["tag"], "soft_reload")
        self.assertEqual(self.account.connection_state, "ok")
        self.assertFalse(self.account.credentials_missing)
        bare = self.env["amazon.account"].create(
            {
                "name": "No keys",
                "amazon_api": "mws",
                "merchant_id": "NOKEYS",
                "marketplace_id": self.account.marketplace_id.id,
            }
        )
        self.assertEqual(
            bare.credentials_missing,
            "Amazon cannot be reached until the access key, secret key are set.",
        )
        self.assertEqual(
            self.env["amazon.account"].default_get(["amazon_api"]),
            {"amazon_api": "spapi"},
            "a new account is on the Selling Partner API (MWS is the legacy path)",
        )

    def test_asin_and_amazon_status_come_back_onto_the_listing(self):
        """Finding 7: the ASINs Amazon assigned never came back to the listings."""
        _products, (listing,) = self.synced("ASIN-1")
        _products, (empty_listing,) = self.synced("ASIN-EMPTY", quantity=0)
        for _run in range(4):
            # the connector's own waits are real time: let 20 minutes pass
            if self.account.listings_report_at:
                self.account.listings_report_at -= timedelta(minutes=20)
            self.run_cycle(advance=600)
            if listing.asin and empty_listing.amazon_listing_status == "inactive":
                break
        self.assertEqual(listing.asin, self.sandbox_sku("ASIN-1")["asin"])
        self.assertEqual(listing.amazon_listing_status, "active")
        self.assertTrue(listing.amazon_read_at)
        self.assertEqual(empty_listing.amazon_listing_status, "inactive", "no stock: not buyable")
        request = self.env["amazon.report.request"].search(
            [("account_id", "=", self.account.id), ("lane", "=", "listings")]
        )
        self.assertEqual(set(request.mapped("state")), {"done"})


@tagged("post_install", "-at_install")
class TestDemo(AmazonCase):
    """Finding 3: the demo's orders arrive as confirmed orders with Amazon's totals, except
    the deliberate unknown SKU; the deliberate bad barcode is an error row."""

    sandbox_args = ("--seed", "1", "--demo-orders", "25")  # as `make demo` starts it

    def setUp(self):
        super().setUp()  # (a seller and account of the test's own, unused here)
        # the demo data as `make demo` installs it, on the sandbox's demo seller
        self.env["ir.config_parameter"].sudo().set_param("integrator_base.capture_enabled", "True")
        convert_file(
            self.env,
            "amazon_integration",
            "demo/amazon_demo.xml",
            {},
            mode="init",
            kind="demo",
        )
        self.account = self.env.ref("amazon_integration.demo_account_sandbox")
        self.account.write({"sandbox_url": self.sandbox.url, "order_import_mode": "api"})

    def test_demo_orders_import_confirmed_with_amazons_totals(self):
        self.sandbox.advance(3600)  # the payment hold of the demo orders is over
        for _run in range(10):
            self.sandbox.advance(120)
            self.account._orders_step()
            if not self.account.order_listing_state:
                break
        remote = {
            o["amazon_order_id"]: from_json(o)
            for o in self.sandbox.admin("GET", "/admin/sellers/A2DEMOSELLER01/orders")
        }
        orders = self.env["sale.order"].search([("amazon_account_id", "=", self.account.id)])
        self.assertGreaterEqual(len(orders), 15, "the demo's orders arrived")
        retired = orders.filtered(
            lambda o: (
                "AMZ-DEMO-RETIRED" in {i["seller_sku"] for i in remote[o.amazon_order_id]["items"]}
            )
        )
        self.assertTrue(retired, "the deliberate unknown SKU shows the exception path")
        self.assertEqual(set(retired.mapped("amazon_exception")), {"unknown_sku"})
        fine = orders - retired
        self.assertTrue(fine)
        for order in fine:
            amazon = remote[order.amazon_order_id]
            self.assertFalse(order.amazon_exception, order.amazon_exception_message)
            if amazon["status"] == "Canceled":
                continue
            self.assertEqual(order.state, "sale", order.amazon_order_id)
            self.assertEqual(
                Decimal(str(order.amount_total)).quantize(Decimal("0.01")),
                order_amounts(amazon)["total"],
                order.amazon_order_id,
            )
        # the listings are Amazon's SKUs, the bad barcode an error a seller can act on
        self.env.cr.precommit.run()
        self.env["product.integration"]._amazon_dispatch()
        self.assertEqual(self.account.amazon_api, "spapi", "the demo is on the Selling Partner API")
        self.account._listing_items_step()
        candle = self.env.ref("amazon_integration.demo_listing_candle")
        self.assertEqual(candle.state, "error")
        self.assertIn("12345", candle.error_message)
        self.assertEqual(self.account.user_id, self.env.ref("base.user_admin"))
