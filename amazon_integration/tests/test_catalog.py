from decimal import Decimal

from odoo import fields
from odoo.tests import tagged

from .common import AmazonCase


class CatalogCase(AmazonCase):
    """Products, listings and cron cycles against the sandbox."""

    def setUp(self):
        super().setUp()
        self.env["ir.config_parameter"].sudo().set_param("integrator_base.capture_enabled", "True")
        self.stock_location = self.account.warehouse_ids.lot_stock_id

    def make_product(self, code, price=12.5, quantity=7):
        product = self.env["product.product"].create(
            {
                "name": f"Product {code}",
                "default_code": code,
                "type": "consu",
                "is_storable": True,
                "list_price": price,
            }
        )
        if quantity:
            self.env["stock.quant"]._update_available_quantity(
                product, self.stock_location, quantity
            )
        return product

    def list_product(self, product, **values):
        listing = self.env["amazon.listing"].create(
            {
                "account_id": self.account.id,
                "product_id": product.id,
                "seller_sku": product.default_code,
                **values,
            }
        )
        listing._enqueue(["product", "inventory", "price", "image"])
        return listing

    def run_cycle(self, advance=600):
        """Move the sandbox's clock forward, then run the cron's work for the account.

        The connector follows the sandbox's clock for quotas (x-mws-timestamp); its own
        waits between polls are real time, so the test lets them pass by clearing them.
        """
        self.env.cr.precommit.run()  # the capture buffer, as a commit would
        self.sandbox.advance(advance)
        self.account.feed_ids.write({"next_check_at": False})
        self.env["amazon.sync.queue"].search([]).write({"next_attempt_at": False})
        self.env["product.integration"]._amazon_dispatch()
        self.account._sync_now()

    def stock_change_of_a_sku_amazon_lacks(self):
        """A listing we believe active whose SKU Amazon never got, its rows settled and its
        queue empty, then a stock change of its product. Returns (product, listing)."""
        product = self.make_product("NEVER-SENT", quantity=0)
        listing = self.env["amazon.listing"].create(
            {
                "account_id": self.account.id,
                "product_id": product.id,
                "seller_sku": "NEVER-SENT",
                "product_synced": True,
                "state": "active",
            }
        )
        self.env.cr.precommit.run()
        self.rows_of(product)._set_site_status("amazon", "success")
        self.env["amazon.sync.queue"].search([("listing_id", "=", listing.id)]).unlink()
        self.env["stock.quant"]._update_available_quantity(product, self.stock_location, 1)
        return product, listing

    def rows_of(self, product):
        return self.env["product.integration"].search(
            [("res_model", "=", "product.product"), ("res_id", "=", product.id)]
        )

    def sandbox_sku(self, sku):
        return self.sandbox.admin("GET", f"/admin/sellers/{self.creds.seller_id}/catalog/{sku}")


@tagged("post_install", "-at_install")
class TestCatalog(CatalogCase):
    """Rows → pending updates → feeds in the sandbox → results on rows and listings."""

    def test_new_product_goes_out_in_amazon_order(self):
        product = self.make_product("E2E-1")
        listing = self.list_product(product)
        self.run_cycle(advance=1)
        feeds = self.account.feed_ids
        self.assertEqual(feeds.mapped("kind"), ["product"], "only the product feed goes first")
        self.assertEqual(feeds.state, "submitted")
        self.assertTrue(feeds.submission_id)
        rows = self.rows_of(product)
        created = rows.filtered(lambda r: r.record_operation == "create")
        self.assertEqual(created.amazon_status, "submitted")
        stock = rows.filtered(lambda r: r.record_operation == "stock")
        self.assertEqual(stock.amazon_status, "none", "waits for the product to be accepted")
        self.assertTrue(stock.amazon_queued)

        self.run_cycle()  # product report fetched; inventory and price go out
        self.assertTrue(listing.product_synced)
        self.assertEqual(listing.state, "active")
        self.assertEqual(
            sorted(self.account.feed_ids.mapped("kind")), ["inventory", "price", "product"]
        )
        self.run_cycle()
        self.assertEqual(set(self.account.feed_ids.mapped("state")), {"done"})
        remote = self.sandbox_sku("E2E-1")
        self.assertEqual(int(remote["quantity"]), 7)
        self.assertEqual(Decimal(str(remote["price"])), Decimal("12.50"))
        self.assertTrue(remote["asin"])
        self.assertEqual(set(self.rows_of(product).mapped("amazon_status")), {"success"})
        # an unchanged image-less product has nothing for the image feed: settled, not lost
        self.assertFalse(self.env["amazon.sync.queue"].search([("listing_id", "=", listing.id)]))

    def test_per_message_error_marks_rows_listing_and_notifies(self):
        product, listing = self.stock_change_of_a_sku_amazon_lacks()
        self.run_cycle(advance=1)
        feed = self.account.feed_ids
        self.assertEqual(feed.kind, "inventory")
        self.run_cycle()
        self.assertEqual(feed.state, "done")
        self.assertEqual(feed.error_count, 1)
        message = feed.line_ids
        self.assertEqual(message.state, "error")
        self.assertEqual(message.result_code, "13013")
        self.assertEqual(listing.state, "error")
        stock_row = self.rows_of(product).filtered(lambda r: r.record_operation == "stock")
        self.assertEqual(stock_row.amazon_status, "error")
        self.assertIn("13013", stock_row.amazon_status_data)
        self.assertIn("NEVER-SENT", stock_row.amazon_status_data)
        digest = self.account.message_ids.filtered(
            lambda m: "errors in the last run" in (m.body or "")
        )
        self.assertEqual(len(digest), 1)
        self.assertEqual(len(self.account.activity_ids), 1)
        self.assertEqual(self.account.error_count, 1)

    def test_changes_coalesce_and_delete_wins(self):
        product = self.make_product("COAL-1")
        listing = self.list_product(product)
        self.run_cycle(advance=1)
        self.run_cycle()  # product accepted; inventory and price sent
        self.run_cycle()
        for quantity in (1, 2, 3):
            self.env["stock.quant"]._update_available_quantity(
                product, self.stock_location, quantity
            )
            self.env.cr.precommit.run()
        self.env["product.integration"]._amazon_dispatch()
        entries = self.env["amazon.sync.queue"].search([("listing_id", "=", listing.id)])
        self.assertEqual(entries.kind, "inventory")
        self.assertEqual(len(entries.row_ids), 3, "three stock rows, one pending message")
        product.write({"list_price": 99.0})
        self.env.cr.precommit.run()
        product.product_tmpl_id.active = False  # archived: no longer sold anywhere
        self.env.cr.precommit.run()
        self.env["product.integration"]._amazon_dispatch()
        entries = self.env["amazon.sync.queue"].search([("listing_id", "=", listing.id)])
        self.assertEqual(entries.kind, "delete", "a deletion replaces every pending update")
        self.assertGreaterEqual(len(entries.row_ids), 4)
        self.run_cycle(advance=1)
        self.run_cycle()
        self.assertEqual(listing.state, "deleted")
        self.sandbox.admin(
            "GET", f"/admin/sellers/{self.creds.seller_id}/catalog/COAL-1", expect=404
        )

    def test_submission_backs_off_on_server_errors_and_loses_nothing(self):
        product = self.make_product("RETRY-1")
        self.list_product(product)
        self.sandbox.fault(self.creds, "internal_error", count=1, operation="SubmitFeed")
        self.run_cycle(advance=1)
        feed = self.account.feed_ids
        self.assertEqual(feed.state, "draft")
        self.assertEqual(feed.attempts, 1)
        self.assertIn("InternalError", feed.error_message)
        self.assertGreater(feed.next_check_at, fields.Datetime.now(), "backs off")
        created = self.rows_of(product).filtered(lambda r: r.record_operation == "create")
        self.assertEqual(created.amazon_status, "none", "not lost: waits in the draft feed")
        self.assertEqual(feed.line_ids.row_ids, created)
        self.run_cycle()  # the back-off has passed: submitted this time
        self.assertEqual(feed.state, "submitted")
        self.assertEqual(created.amazon_status, "submitted")

    def test_a_feed_whose_answer_was_lost_is_not_sent_twice(self):
        """Amazon has the feed but its answer never came (an unreadable answer, or the
        process killed before its commit): the next cycle finds it on Amazon and follows
        it instead of sending the messages again."""
        seller = self.creds.seller_id

        def product_feeds():
            feeds = self.sandbox.admin("GET", f"/admin/sellers/{seller}/feeds")
            return sorted(f["feed_id"] for f in feeds if f["feed_type"] == "_POST_PRODUCT_DATA_")

        # 1. an unreadable answer: the attempt counts, the feed waits for its retry
        self.list_product(self.make_product("LOST-1"))
        self.sandbox.fault(self.creds, "malformed", count=1, operation="SubmitFeed")
        self.run_cycle(advance=1)
        first = self.account.feed_ids
        self.assertEqual((first.state, first.attempts), ("draft", 1))
        self.assertTrue(first.sent_unanswered_at)
        self.assertEqual(len(product_feeds()), 1)
        self.run_cycle()
        self.assertEqual(len(product_feeds()), 1, "found on Amazon, not sent again")
        self.assertEqual(first.state, "submitted")
        self.assertEqual(first.submission_id, str(product_feeds()[0]))

        # 2. Amazon answered, the process died before the commit: a feed never attempted
        # as far as the database knows, but for the moment saved before the call
        self.list_product(self.make_product("LOST-2"))
        self.env.cr.precommit.run()
        self.env["product.integration"]._amazon_dispatch()
        [second] = self.account._build_feed("product", self.account._ready_entries("product"))
        self.submit_then_crash(second)
        self.assertEqual(second.attempts, 0)
        self.assertEqual(len(product_feeds()), 2)
        self.run_cycle()
        self.assertEqual(len(product_feeds()), 2, "found on Amazon, not rebuilt and sent again")
        self.assertEqual(second.state, "submitted")
        self.assertEqual(second.submission_id, str(product_feeds()[1]))

        # 3. built, never sent: back into the queue and rebuilt from the current data
        self.list_product(self.make_product("LOST-3"))
        self.env.cr.precommit.run()
        self.env["product.integration"]._amazon_dispatch()
        [third] = self.account._build_feed("product", self.account._ready_entries("product"))
        self.run_cycle()
        self.assertFalse(third.exists())
        self.assertEqual(len(product_feeds()), 3)
        self.run_cycle()
        products = self.account.feed_ids.filtered(lambda f: f.kind == "product")
        self.assertEqual(len(products), 3)
        self.assertEqual(set(products.mapped("state")), {"done"})
        for sku in ("LOST-1", "LOST-2", "LOST-3"):
            self.assertTrue(self.sandbox_sku(sku)["asin"], sku)

    def test_throttling_storm_waits_without_losing_rows(self):
        product = self.make_product("STORM-1")
        self.list_product(product)
        self.sandbox.fault(self.creds, "throttle_storm", seconds=300)
        self.run_cycle(advance=1)
        feed = self.account.feed_ids
        self.assertEqual(feed.state, "draft")
        # storm over and the bucket restored beyond the order-feed reserve (6 tokens at one
        # every 2 minutes); any answer tells the connector the sandbox's time
        self.sandbox.advance(900)
        self.account.action_test_connection()
        self.run_cycle()
        self.assertEqual(feed.state, "submitted")
        bucket = self.account.quota_bucket_ids.filtered(lambda b: b.bucket == "SubmitFeed")
        self.assertEqual(bucket.throttled_count, 1)

    def test_submit_budget_is_never_exceeded_over_an_hour(self):
        products = [self.make_product(f"HOUR-{i}", quantity=1) for i in range(3)]
        listings = self.env["amazon.listing"]
        for product in products:
            listings |= self.env["amazon.listing"].create(
                {
                    "account_id": self.account.id,
                    "product_id": product.id,
                    "seller_sku": product.default_code,
                }
            )
        self.run_cycle(advance=1)
        self.run_cycle()  # products accepted
        listings.write({"product_synced": True})
        submitted = 0
        for _minute in range(60):
            # stock keeps changing every minute; each cycle wants to send an inventory feed
            self.env["amazon.sync.queue"]._enqueue(listings, ["inventory", "price"])
            before = len(self.account.feed_ids.filtered("submission_id"))
            self.run_cycle(advance=60)
            submitted += len(self.account.feed_ids.filtered("submission_id")) - before
        counters = self.sandbox.admin("GET", "/admin/throttle")["counters"]
        mine = [c for c in counters if c["seller_id"] == self.creds.seller_id]
        self.assertEqual(sum(c["throttled"] + c["quota_exceeded"] for c in mine), 0)
        # 30 an hour in Amazon's hour windows (the window boundary may fall inside the
        # simulated hour, so up to one burst more is legitimate); Amazon never said no
        self.assertLessEqual(submitted, 30 + 15)
        self.assertGreaterEqual(submitted, 20, "the budget is used, not wasted")

    def test_variants_go_out_under_a_parent(self):
        size = self.env["product.attribute"].create(
            {"name": "Size", "value_ids": [(0, 0, {"name": "S"}), (0, 0, {"name": "L"})]}
        )
        template = self.env["product.template"].create(
            {
                "name": "Rain Jacket",
                "default_code": "JACKET",
                "type": "consu",
                "is_storable": True,
                "list_price": 80.0,
                "attribute_line_ids": [
                    (0, 0, {"attribute_id": size.id, "value_ids": [(6, 0, size.value_ids.ids)]})
                ],
            }
        )
        listings = self.env["amazon.listing"]
        for variant in template.product_variant_ids:
            sku = f"JACKET-{variant.product_template_attribute_value_ids.name}"
            variant.default_code = sku
            listings |= self.list_product(variant)
        self.run_cycle(advance=1)
        parent = self.env["amazon.listing"].search(
            [("account_id", "=", self.account.id), ("is_parent", "=", True)]
        )
        self.assertEqual(parent.parent_tmpl_id, template)
        self.assertEqual(listings.parent_listing_id, parent)
        product_feed = self.account.feed_ids.filtered(lambda f: f.kind == "product")
        self.assertEqual(product_feed.message_count, 3, "the parent and its two children")
        self.run_cycle()
        self.assertTrue(parent.product_synced)
        self.run_cycle()  # the relationship goes out once parent and children are accepted
        self.run_cycle()
        relationship = self.account.feed_ids.filtered(lambda f: f.kind == "relationship")
        self.assertEqual(relationship.state, "done")
        self.assertEqual(relationship.error_count, 0)
        remote = self.sandbox_sku(parent.seller_sku)
        children = {r.get("sku") if isinstance(r, dict) else r for r in remote["relationships"]}
        self.assertEqual(children, set(listings.mapped("seller_sku")))

    def test_shipping_override_follows_the_product(self):
        product = self.make_product("SHIP-1")
        listing = self.list_product(product)
        self.run_cycle(advance=1)
        self.run_cycle()  # product accepted; no override configured: nothing to send
        self.assertFalse(self.account.feed_ids.filtered(lambda f: f.kind == "override"))
        product.product_tmpl_id.write(
            {
                "amazon_ship_override": True,
                "amazon_ship_type": "Exclusive",
                "amazon_ship_amount": 4.99,
            }
        )
        self.run_cycle(advance=1)
        feed = self.account.feed_ids.filtered(lambda f: f.kind == "override")
        self.assertEqual(feed.message_count, 1)
        self.run_cycle()
        self.assertEqual(feed.state, "done")
        self.assertEqual(feed.error_count, 0)
        overrides = self.sandbox_sku(listing.seller_sku)["overrides"]
        self.assertTrue(overrides)
        self.assertIn("4.99", str(overrides))

    def test_dispatch_is_batched(self):
        """Queueing rows costs the same few queries for 10 or 40 rows."""

        def dispatch(count, prefix):
            products = self.env["product.product"]
            for i in range(count):
                products |= self.make_product(f"{prefix}-{i}", quantity=0)
            for product in products:
                self.env["amazon.listing"].create(
                    {
                        "account_id": self.account.id,
                        "product_id": product.id,
                        "seller_sku": product.default_code,
                        "product_synced": True,
                    }
                )
            self.env.cr.precommit.run()
            self.env["product.integration"]._amazon_dispatch()
            for product in products:
                self.env["stock.quant"]._update_available_quantity(product, self.stock_location, 2)
            self.env.cr.precommit.run()
            before = self.env.cr.sql_log_count
            self.env["product.integration"]._amazon_dispatch()
            queries = self.env.cr.sql_log_count - before
            entries = self.env["amazon.sync.queue"].search(
                [("listing_id.seller_sku", "=like", f"{prefix}-%"), ("kind", "=", "inventory")]
            )
            self.assertEqual(len(entries), count)
            self.assertTrue(all(len(entry.row_ids) == 2 for entry in entries))
            return queries

        small = dispatch(10, "BATCH-A")
        large = dispatch(40, "BATCH-B")
        self.assertLessEqual(large, small + 5, (small, large))

    def test_title_is_the_product_name_in_the_marketplace_language(self):
        """Amazon shows the title to buyers: the product's name, translated, never Odoo's
        "[internal reference] name"."""
        self.env["res.lang"]._activate_lang("fr_FR")
        self.account.marketplace_id = self.env.ref("amazon_integration.marketplace_fr")
        product = self.make_product("E2E-MUG-A")
        product.name = "E2E Mug"
        product.with_context(lang="fr_FR").name = "Tasse E2E"
        self.assertEqual(self.account._amazon_title(product), "Tasse E2E")
        self.account.marketplace_id = self.env.ref("amazon_integration.marketplace_us")
        self.list_product(product)
        self.run_cycle(advance=1)
        self.run_cycle()
        self.assertEqual(self.sandbox_sku("E2E-MUG-A")["title"], "E2E Mug")

    def test_a_kind_with_nothing_to_send_never_masks_a_refusal(self):
        """Issue: the image kind (nothing to send: no image) turned a row Amazon had refused
        (its stock message: 8560) into "Success, nothing to send"."""
        product = self.make_product("LATE-1")
        listing = self.env["amazon.listing"].create(
            {"account_id": self.account.id, "product_id": product.id, "seller_sku": "LATE-1"}
        )
        row = self.env["product.integration"].create(
            {"res_model": "product.product", "res_id": product.id, "record_operation": "write"}
        )
        self.env["amazon.feed"].create(
            {
                "account_id": self.account.id,
                "kind": "inventory",
                "feed_type": "_POST_INVENTORY_AVAILABILITY_DATA_",
                "state": "done",
                "line_ids": [
                    fields.Command.create(
                        {
                            "message_id": 1,
                            "listing_id": listing.id,
                            "seller_sku": "LATE-1",
                            "kind": "inventory",
                            "state": "error",
                            "result_code": "8560",
                            "result_description": "SKU LATE-1: missing product data",
                            "row_ids": [fields.Command.set(row.ids)],
                        }
                    )
                ],
            }
        )
        row._set_site_status("amazon", "error", "LATE-1: missing product data")
        Queue = self.env["amazon.sync.queue"]
        entries = Queue._enqueue(listing, ["image", "price"], rows=row)
        image = entries.filtered(lambda e: e.kind == "image")
        price = entries.filtered(lambda e: e.kind == "price")
        self.account._build_feed("image", image)
        self.assertEqual(row.amazon_status, "error", "the refusal stands")
        # a row whose other kinds still wait is not settled by the skipped one either
        fresh = self.env["product.integration"].create(
            {"res_model": "product.product", "res_id": product.id, "record_operation": "write"}
        )
        price.row_ids |= fresh
        image2 = Queue._enqueue(listing, ["image"], rows=fresh)
        self.account._build_feed("image", image2.filtered(lambda e: e.kind == "image"))
        self.assertEqual(fresh.amazon_status, "none", "waits for its price message")
        # nothing else carries it: settled
        alone = self.env["product.integration"].create(
            {"res_model": "product.product", "res_id": product.id, "record_operation": "write"}
        )
        price.unlink()
        image3 = Queue._enqueue(listing, ["image"], rows=alone)
        self.account._build_feed("image", image3.filtered(lambda e: e.kind == "image"))
        self.assertEqual(alone.amazon_status, "success")
