"""The catalog on an SP-API account (issue 14): product types, listings checked before they
are sent, JSON_LISTINGS_FEED and patchListingsItem, Amazon's answers on rows and listings,
the read-back, against the sandbox's SP-API face."""

from datetime import datetime, timedelta
from unittest.mock import patch

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import tagged

from .test_catalog import CatalogCase
from .test_spapi import spapi_account


def upc(first_eleven):
    """A UPC-12 with its check digit."""
    digits = [int(c) for c in first_eleven]
    total = sum(d * (3 if i % 2 == 0 else 1) for i, d in enumerate(digits))
    return first_eleven + str((10 - total % 10) % 10)


@tagged("post_install", "-at_install")
class TestCatalogSpApi(CatalogCase):
    create_account = spapi_account(CatalogCase.create_account)

    def make_product(self, code, price=12.5, quantity=7, **values):
        product = super().make_product(code, price=price, quantity=quantity)
        product.write({"description_sale": "A sturdy thing.\nMade to last.", **values})
        return product

    def listing_feeds(self):
        return self.account.feed_ids.filtered(lambda f: f.kind == "listings")

    def run_until_done(self, runs=6):
        for _n in range(runs):
            self.run_cycle()
            if not self.env["amazon.sync.queue"].search([]) and all(
                f.state in ("done", "error") for f in self.account.feed_ids
            ):
                return
        self.fail(f"not done: {self.account.feed_ids.read(['kind', 'state', 'error_message'])}")

    def test_a_new_product_is_listed_with_its_product_type_then_read_back(self):
        product = self.make_product("SP-1", barcode="012345678905")
        listing = self.list_product(product)
        self.assertEqual(listing.product_type, "PRODUCT", "the account's default")
        self.run_cycle(advance=1)
        [feed] = self.listing_feeds()
        self.assertEqual(feed.feed_type, "JSON_LISTINGS_FEED")
        self.assertEqual(sorted(feed.line_ids.mapped("kind")), ["product"])
        product_type = self.env["amazon.product.type"].search([("name", "=", "PRODUCT")])
        self.assertTrue(product_type.version and product_type.schema)
        self.run_until_done()
        self.assertEqual(listing.state, "active")
        self.assertTrue(listing.product_synced)
        remote = self.sandbox_sku("SP-1")
        self.assertEqual(int(remote["quantity"]), 7)
        self.assertEqual(set(self.rows_of(product).mapped("amazon_status")), {"success"})
        # read back once the listing settled: ASIN and status from getListingsItem
        listing.last_sync_at = listing.last_sync_at.replace(year=2020)
        self.run_cycle()
        self.assertTrue(listing.asin)
        self.assertIn(listing.amazon_listing_status, ("active", "inactive"))
        # the listings report reads every listing (amazon_read_at); the issues are read
        # again after an update all the same
        issues_read = datetime(2021, 1, 1)
        listing.write({"amazon_read_at": fields.Datetime.now(), "amazon_issues_at": issues_read})
        listing.last_sync_at = datetime(2021, 6, 1)  # an update sent since, settled
        self.run_cycle()
        self.assertGreater(listing.amazon_issues_at, issues_read)

    def test_a_missing_required_attribute_is_caught_before_sending(self):
        product = self.make_product("SP-2", barcode="012345678905")
        listing = self.list_product(product)

        def no_brand(record, attributes, values):
            attributes.pop("brand", None)
            return attributes

        with patch.object(type(listing), "_amazon_attributes_hook", no_brand):
            self.run_cycle(advance=1)
        self.assertEqual(listing.state, "error")
        self.assertIn("brand", listing.error_message)
        self.assertFalse(
            self.listing_feeds().line_ids.filtered(lambda line: line.kind == "product"),
            "never sent",
        )
        created = self.rows_of(product).filtered(lambda r: r.record_operation == "create")
        self.assertEqual(created.amazon_status, "error")
        self.assertIn("brand", created.amazon_status_data)

    def test_amazon_refuses_a_value_and_names_the_attribute(self):
        product = self.make_product("SP-3", barcode="012345678905")
        listing = self.list_product(product)
        eur = self.env.ref("base.EUR")
        eur.active = True
        with patch.object(
            type(listing), "_amazon_prices", lambda records: {r.id: (12.5, "EUR") for r in records}
        ):
            self.run_until_done()
        line = self.listing_feeds().line_ids.filtered(lambda line: line.kind == "product")
        self.assertEqual(line.state, "error")
        self.assertIn("purchasable_offer", line.result_description)
        self.assertEqual(listing.state, "error")
        created = self.rows_of(product).filtered(lambda r: r.record_operation == "create")
        self.assertEqual(created.amazon_status, "error")
        self.assertIn("purchasable_offer", created.amazon_status_data, "named on the row")

    def test_stock_changes_go_straight_through_patch_then_fall_back_to_the_feed(self):
        product = self.make_product("SP-4", barcode="012345678905")
        self.list_product(product)
        self.run_until_done()
        self.env["stock.quant"]._update_available_quantity(product, self.stock_location, 5)
        self.run_cycle(advance=1)
        self.assertEqual(int(self.sandbox_sku("SP-4")["quantity"]), 12, "within the run")
        direct = self.listing_feeds().filtered(lambda f: f.feed_type == "patchListingsItem")
        self.assertEqual(direct.state, "done")
        # a 429 on patchListingsItem: the change goes in the next JSON feed, nothing lost
        self.sandbox.fault(
            self.creds, "throttle_storm", seconds=7200, operation="patchListingsItem"
        )
        self.env["stock.quant"]._update_available_quantity(product, self.stock_location, 3)
        self.run_cycle(advance=1)
        self.run_until_done()
        self.assertEqual(int(self.sandbox_sku("SP-4")["quantity"]), 15)
        fed = self.listing_feeds().filtered(
            lambda f: (
                f.feed_type == "JSON_LISTINGS_FEED" and "inventory" in f.line_ids.mapped("kind")
            )
        )
        self.assertEqual(len(fed), 1, "the throttled change went in a JSON feed")
        self.assertEqual(fed.line_ids.state, "success")
        stock_rows = self.rows_of(product).filtered(lambda r: r.record_operation == "stock")
        self.assertEqual(set(stock_rows.mapped("amazon_status")), {"success"})

    def test_amazon_refusing_a_patch_marks_rows_listing_and_notifies(self):
        """The MWS scenario's counterpart: a stock change for a SKU Amazon does not have
        (13013) ends on the row, the listing, the account's digest and one activity."""
        product, listing = self.stock_change_of_a_sku_amazon_lacks()
        self.run_cycle(advance=1)
        [line] = self.listing_feeds().line_ids
        self.assertEqual((line.kind, line.state, line.result_code), ("inventory", "error", "13013"))
        self.assertEqual(listing.state, "error")
        stock_row = self.rows_of(product).filtered(lambda r: r.record_operation == "stock")
        self.assertEqual(stock_row.amazon_status, "error")
        self.assertIn("13013", stock_row.amazon_status_data)
        digest = self.account.message_ids.filtered(
            lambda m: "errors in the last run" in (m.body or "")
        )
        self.assertEqual(len(digest), 1)
        self.assertEqual(len(self.account.activity_ids), 1)

    def test_a_server_error_on_create_feed_backs_off_and_loses_nothing(self):
        product = self.make_product("SP-9", barcode="012345678905")
        self.list_product(product)
        self.sandbox.fault(self.creds, "internal_error", count=1, operation="createFeed")
        self.run_cycle(advance=1)
        [feed] = self.listing_feeds()
        self.assertEqual((feed.state, feed.attempts), ("draft", 1))
        rows = self.rows_of(product)
        self.assertEqual(set(rows.mapped("amazon_status")), {"none"}, "waits in the draft feed")
        self.assertEqual(feed.line_ids.row_ids, rows, "the UPDATE carries the stock row too")
        self.run_cycle()
        self.assertEqual(feed.state, "submitted")
        self.assertEqual(set(rows.mapped("amazon_status")), {"submitted"})
        self.run_until_done()
        self.assertEqual(set(rows.mapped("amazon_status")), {"success"})
        self.assertEqual(int(self.sandbox_sku("SP-9")["quantity"]), 7)

    def test_a_stock_change_triggers_the_cron_and_goes_out_between_cycles(self):
        """Stock within a minute: the capture triggers the sync cron a few seconds later
        (once for changes that close together), and the run sends the patch although the
        account's cycle is not due."""
        product = self.make_product("SP-10", barcode="012345678905")
        self.list_product(product)
        self.run_until_done()
        cron = self.env.ref("amazon_integration.ir_cron_amazon_sync")
        Trigger = self.env["ir.cron.trigger"].sudo()
        Trigger.search([("cron_id", "=", cron.id)]).unlink()
        self.account.auto_sync = False
        self.env["stock.quant"]._update_available_quantity(product, self.stock_location, 1)
        self.env.cr.precommit.run()
        self.assertFalse(Trigger.search([("cron_id", "=", cron.id)]), "manual mode: no run")
        last_cycle = fields.Datetime.now() - timedelta(seconds=5)
        self.account.write({"auto_sync": True, "last_sync_at": last_cycle})
        for quantity in (2, 3):
            self.env["stock.quant"]._update_available_quantity(
                product, self.stock_location, quantity
            )
            self.env.cr.precommit.run()
        [trigger] = Trigger.search([("cron_id", "=", cron.id)])
        self.assertLessEqual(trigger.call_at, fields.Datetime.now() + timedelta(seconds=5))
        self.env["amazon.account"]._cron_sync()
        self.assertEqual(int(self.sandbox_sku("SP-10")["quantity"]), 13)
        self.assertEqual(self.account.last_sync_at, last_cycle, "not a whole cycle")
        stock_rows = self.rows_of(product).filtered(lambda r: r.record_operation == "stock")
        self.assertEqual(set(stock_rows.mapped("amazon_status")), {"success"})

    def test_a_sale_price_with_its_dates_goes_out_as_a_price_patch(self):
        product = self.make_product("SP-8", barcode="012345678905")
        listing = self.list_product(product)
        self.run_until_done()
        listing.write(
            {
                "sale_price": 9.99,
                "sale_start": "2026-12-20",
                "sale_end": "2026-12-31",
                "min_price": 8.0,
                "msrp": 19.9,
            }
        )
        self.run_cycle(advance=1)
        direct = self.listing_feeds().filtered(lambda f: f.feed_type == "patchListingsItem")
        self.assertEqual(direct.line_ids.mapped("kind"), ["price"])
        self.assertEqual(direct.line_ids.state, "success")
        remote = self.sandbox_sku("SP-8")
        self.assertEqual(float(remote["price"]), 12.5)
        self.assertEqual(float(remote["sale"]["price"]), 9.99)
        self.assertTrue(remote["sale"]["start"].startswith("2026-12-20"))
        self.assertEqual(listing.last_price, "12.50 USD")

    def test_variants_go_with_their_parent(self):
        """A SHIRT family: the category names the product type, the hook adds what the
        connector has no field for (fabric, size), the parent carries the theme."""
        category = self.env["product.category"].create(
            {"name": "Shirts", "amazon_product_type": "SHIRT"}
        )

        def shirt(record, attributes, values):
            text = {"language_tag": "en_US", "marketplace_id": "ATVPDKIKX0DER"}
            attributes["fabric_type"] = [{"value": "100% Cotton", **text}]
            if values.parentage == "child":
                attributes["size"] = [{"value": "M", **text}]
            return attributes

        color = self.env["product.attribute"].create(
            {"name": "Color", "value_ids": [(0, 0, {"name": "Red"}), (0, 0, {"name": "Blue"})]}
        )
        template = self.env["product.template"].create(
            {
                "name": "Shirt",
                "type": "consu",
                "is_storable": True,
                "list_price": 20.0,
                "description_sale": "Cotton shirt.",
                "categ_id": category.id,
                "attribute_line_ids": [
                    (0, 0, {"attribute_id": color.id, "value_ids": [(6, 0, color.value_ids.ids)]})
                ],
            }
        )
        for n, variant in enumerate(template.product_variant_ids):
            variant.write({"default_code": f"SHIRT-{n}", "barcode": upc(f"0123456789{n}")})
            self.env["stock.quant"]._update_available_quantity(variant, self.stock_location, 4)
            self.list_product(variant)
        listing_class = type(self.env["amazon.listing"])
        with patch.object(listing_class, "_amazon_attributes_hook", shirt):
            self.run_until_done(runs=8)
        parent = self.env["amazon.listing"].search(
            [("account_id", "=", self.account.id), ("is_parent", "=", True)]
        )
        self.assertTrue(parent)
        self.assertEqual(parent.state, "active")
        children = parent.child_listing_ids
        self.assertEqual(len(children), 2)
        self.assertEqual(set(children.mapped("state")), {"active"})
        self.assertEqual(set(children.mapped("product_type")), {"SHIRT"}, "from the category")
        remote = self.sandbox_sku(parent.seller_sku)
        self.assertEqual(
            sorted(r["sku"] for r in remote["relationships"]),
            sorted(children.mapped("seller_sku")),
            "Amazon links each child to its parent",
        )

    def test_a_removed_listing_is_deleted_on_amazon(self):
        product = self.make_product("SP-6", barcode="012345678905")
        listing = self.list_product(product)
        self.run_until_done()
        listing.action_remove_from_amazon()
        self.run_until_done()
        self.assertEqual(listing.state, "deleted")
        lines = self.listing_feeds().line_ids.filtered(lambda line: line.kind == "delete")
        self.assertEqual(lines.state, "success")

    def test_product_types_are_searched_by_the_cron(self):
        """searchDefinitionsProductTypes from the account's button: queued for the cron,
        the types found kept and listed in the chatter."""
        self.account.product_type_keywords = "towel"
        self.account.action_search_product_types()
        self.assertFalse(self.env["amazon.product.type"].search([]), "nothing in the request")
        self.env["amazon.sync.request"]._run_pending()
        found = self.env["amazon.product.type"].search(
            [("marketplace_id", "=", self.account.marketplace_id.id)]
        )
        self.assertEqual(found.mapped("name"), ["HOME_BED_AND_BATH"])
        self.assertEqual(found.display_label, "Home Bed and Bath")
        self.assertFalse(found.version, "its schema waits until a listing uses it")
        self.assertIn("HOME_BED_AND_BATH", self.account.message_ids[0].body)

    def test_an_mws_account_says_it_cannot_search_product_types(self):
        mws = self.env["amazon.account"].create(
            {
                "name": "Legacy",
                "amazon_api": "mws",
                "merchant_id": "LEGACY",
                "marketplace_id": self.account.marketplace_id.id,
                "product_type_keywords": "towel",
            }
        )
        with self.assertRaisesRegex(UserError, "cannot search Amazon's product types"):
            mws.action_search_product_types()
        self.assertFalse(self.env["amazon.sync.request"].search([("account_id", "=", mws.id)]))

    def test_a_new_product_type_version_is_fetched_again(self):
        product = self.make_product("SP-7", barcode="012345678905")
        self.list_product(product)
        self.run_cycle(advance=1)
        product_type = self.env["amazon.product.type"].search([("name", "=", "PRODUCT")])
        first = product_type.version
        self.sandbox.admin("POST", "/admin/product-types/PRODUCT/version", {})
        product_type.checked_at = False
        product_type._refresh(self.account)
        self.assertNotEqual(product_type.version, first)
        self.assertTrue(product_type.schema)
