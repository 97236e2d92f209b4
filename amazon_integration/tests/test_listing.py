from unittest.mock import patch

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import Form, TransactionCase, tagged

FULL = {"product", "inventory", "price", "image", "override"}
# seed 001's listing format, as Odoo's import maps its labels to field names
SEED_COLUMNS = ["client_sku", "channel_serial", "channel_sku", "ean", "asin", "seller_sku"]


class ListingCase(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["amazon.account"].search([]).write({"active": False})
        cls.marketplace = cls.env.ref("amazon_integration.marketplace_us")
        cls.account = cls.create_account("Amazon US", "LISTING-SELLER-1")
        cls.mug = cls.env["product.product"].create(
            {
                "name": "Mug",
                "default_code": "MUG-1",
                "barcode": "4006381333931",
                "is_storable": True,
                "list_price": 10.0,
            }
        )
        cls.plate = cls.env["product.product"].create(
            {"name": "Plate", "default_code": "PLATE-1", "barcode": "4006381333948"}
        )
        cls.color = cls.env["product.attribute"].create(
            {
                "name": "Amazon Test Colour",
                "value_ids": [
                    Command.create({"name": "Red"}),
                    Command.create({"name": "Blue"}),
                    Command.create({"name": "Green"}),
                ],
            }
        )

    @classmethod
    def create_account(cls, name, merchant, company=None, **values):
        company = company or cls.env.company
        return cls.env["amazon.account"].create(
            {
                "name": name,
                "marketplace_id": cls.marketplace.id,
                "merchant_id": merchant,
                "amazon_api": "mws",
                "company_id": company.id,
                **values,
            }
        )

    def queued(self, listings):
        entries = self.env["amazon.sync.queue"].search([("listing_id", "in", listings.ids)])
        return {(entry.listing_id, entry.kind) for entry in entries}

    def kinds(self, listing):
        return {kind for _listing, kind in self.queued(listing)}

    def listings_of(self, templates):
        return (
            self.env["amazon.listing"]
            .with_context(active_test=False)
            .search([("product_tmpl_id", "in", templates.ids)])
        )

    def two_colour_template(self, **values):
        return self.env["product.template"].create(
            {
                "name": "T-shirt",
                "attribute_line_ids": [
                    Command.create(
                        {
                            "attribute_id": self.color.id,
                            "value_ids": [Command.set(self.color.value_ids[:2].ids)],
                        }
                    )
                ],
                **values,
            }
        )


@tagged("post_install", "-at_install")
class TestListing(ListingCase):
    # ------------------------------------------------------------------ defaults

    def test_defaults_on_create(self):
        listing = self.env["amazon.listing"].create(
            {"product_id": self.mug.id, "account_id": self.account.id}
        )
        self.assertEqual(listing.seller_sku, "MUG-1")
        self.assertEqual(listing.client_sku, "MUG-1")
        self.assertEqual(listing.ean, "4006381333931")
        self.assertEqual(listing.state, "draft")
        self.assertEqual(listing.fulfillment_channel, "mfn")
        self.assertEqual(listing.product_tmpl_id, self.mug.product_tmpl_id)
        self.assertEqual(self.kinds(listing), FULL)
        # issue 11: "Sell on Amazon" was unticked on a product with an active listing
        self.assertTrue(self.mug.product_tmpl_id.amazon_sell)
        other = self.env["amazon.listing"].search(
            [("product_id", "=", self.mug.id), ("id", "!=", listing.id)]
        )
        self.assertFalse(other, "ticking it here lists nothing more")

    def test_default_account_and_given_values(self):
        listing = self.env["amazon.listing"].create(
            {"product_id": self.mug.id, "seller_sku": "AMZ-MUG", "ean": "0012345678905"}
        )
        self.assertEqual(listing.account_id, self.account)
        self.assertEqual((listing.seller_sku, listing.ean), ("AMZ-MUG", "0012345678905"))

    def test_generated_sku_without_reference(self):
        product = self.env["product.product"].create({"name": "No reference"})
        listing = self.env["amazon.listing"].create(
            {"product_id": product.id, "account_id": self.account.id}
        )
        self.assertEqual(listing.seller_sku, f"ODOO-{product.id}")
        self.assertFalse(listing.client_sku)
        self.assertFalse(listing.ean)

    def test_reference_taken_on_the_account(self):
        first = self.env["amazon.listing"].create(
            {"product_id": self.plate.id, "account_id": self.account.id, "seller_sku": "MUG-1"}
        )
        second = self.env["amazon.listing"].create(
            {"product_id": self.mug.id, "account_id": self.account.id}
        )
        self.assertEqual(first.seller_sku, "MUG-1")
        self.assertEqual(second.seller_sku, f"MUG-1-{self.mug.id}")
        # the reference is free on another account (the mug sells on Amazon now: a new
        # account offers it at once)
        other = self.create_account("Amazon US 2", "LISTING-SELLER-2")
        third = self.env["amazon.listing"].search(
            [("product_id", "=", self.mug.id), ("account_id", "=", other.id)]
        )
        self.assertEqual(third.seller_sku, "MUG-1")

    def test_form_fills_from_product(self):
        form = Form(self.env["amazon.listing"])
        form.product_id = self.mug
        self.assertEqual(form.seller_sku, "MUG-1")
        self.assertEqual(form.ean, "4006381333931")
        listing = form.save()
        self.assertEqual(listing.account_id, self.account)

    # ------------------------------------------------------------------ import / export

    def test_import_seed_format(self):
        rows = [
            ["MUG-1", "1", "X00MUG0001", "", "B00MUG0001", "AMZ-MUG-1"],
            ["", "2", "", "4006381333948", "B00PLATE01", ""],
        ]
        result = self.env["amazon.listing"].load(SEED_COLUMNS, rows)
        self.assertFalse(result["messages"])
        mug, plate = self.env["amazon.listing"].browse(result["ids"])
        self.assertEqual(mug.product_id, self.mug)
        self.assertEqual(mug.account_id, self.account)
        self.assertEqual(
            (mug.seller_sku, mug.asin, mug.channel_sku, mug.channel_serial, mug.ean),
            ("AMZ-MUG-1", "B00MUG0001", "X00MUG0001", "1", "4006381333931"),
        )
        # found by EAN; seller and client SKU from the internal reference
        self.assertEqual(plate.product_id, self.plate)
        self.assertEqual((plate.seller_sku, plate.client_sku), ("PLATE-1", "PLATE-1"))
        self.assertEqual(self.kinds(mug), FULL)
        # exported in the same format
        exported = (mug | plate).export_data(SEED_COLUMNS)["datas"]
        self.assertEqual(
            exported[0], ["MUG-1", "1", "X00MUG0001", "4006381333931", "B00MUG0001", "AMZ-MUG-1"]
        )

    def test_import_labels_match_seed(self):
        labels = {name: self.env["amazon.listing"]._fields[name].string for name in SEED_COLUMNS}
        self.assertEqual(
            list(labels.values()),
            [
                "Client SKU Id",
                "Channel Serial No.",
                "Channel SKU Id",
                "EAN",
                "ASIN",
                "Merchant SKU",
            ],
        )

    def test_import_unknown_product(self):
        rows = [
            ["MUG-1", "1", "", "", "B00MUG0001", "AMZ-MUG-1"],
            ["NOPE-1", "2", "", "9999999999994", "B00NOPE001", "AMZ-NOPE"],
        ]
        result = self.env["amazon.listing"].load(SEED_COLUMNS, rows)
        self.assertFalse(result["ids"])
        errors = [m for m in result["messages"] if m["type"] == "error"]
        # Odoo reports the batch's error, then the failing row's
        self.assertIn(1, [error["record"] for error in errors])
        for error in errors:
            self.assertIn("AMZ-NOPE", error["message"])
            self.assertIn("NOPE-1", error["message"])
        self.assertFalse(self.env["amazon.listing"].search([("seller_sku", "=", "AMZ-MUG-1")]))

    def test_import_without_account(self):
        self.account.active = False
        result = self.env["amazon.listing"].load(SEED_COLUMNS, [["MUG-1", "", "", "", "", ""]])
        self.assertFalse(result["ids"])
        self.assertIn("no active Amazon account", result["messages"][0]["message"])

    # ------------------------------------------------------------------ the switch

    def test_switch_on_and_off(self):
        other = self.create_account("Amazon US 2", "LISTING-SELLER-2")
        template = self.two_colour_template(default_code="TEE")
        self.assertFalse(self.listings_of(template))
        template.amazon_sell = True
        listings = self.listings_of(template)
        self.assertEqual(len(listings), 4)  # 2 variants x 2 accounts
        self.assertEqual(listings.account_id, self.account | other)
        self.assertEqual(listings.product_id, template.product_variant_ids)
        self.assertEqual(set(listings.mapped("state")), {"draft"})
        self.assertEqual({kind for _l, kind in self.queued(listings)}, FULL)
        self.assertEqual(template.amazon_listing_count, 4)
        # switching on again creates nothing new
        template.amazon_sell = True
        self.assertEqual(self.listings_of(template), listings)

        listings.write({"state": "active"})
        template.amazon_sell = False
        self.assertEqual(set(listings.mapped("state")), {"deleted"})
        self.assertEqual({kind for _l, kind in self.queued(listings)}, {"delete"})
        self.assertEqual(len(self.queued(listings)), 4)

        # and on again: the same SKUs are offered again
        template.amazon_sell = True
        self.assertEqual(self.listings_of(template), listings)
        self.assertEqual(set(listings.mapped("state")), {"draft"})
        self.assertEqual({kind for _l, kind in self.queued(listings)}, FULL)

    def test_switch_on_the_product_form(self):
        form = Form(self.env["product.template"])
        form.name = "Jug"
        form.default_code = "JUG-1"
        form.amazon_sell = True
        form.amazon_stock_reserve_type = "percent"
        form.amazon_stock_reserve_value = 10
        template = form.save()
        listing = self.listings_of(template)
        self.assertEqual(listing.seller_sku, "JUG-1")
        self.assertEqual(template.amazon_listing_ids, listing)
        action = template.action_open_amazon_listings()
        self.assertEqual(self.env["amazon.listing"].search(action["domain"]), listing)
        with Form(template) as form:
            form.amazon_sell = False
        self.assertEqual(listing.state, "deleted")
        self.assertEqual(template.amazon_listing_count, 0)

    def test_switch_is_batched(self):
        templates = self.env["product.template"].create(
            [{"name": f"Batch {i}", "default_code": f"BATCH-{i}"} for i in range(6)]
        )
        Listing = type(self.env["amazon.listing"])
        original = Listing.create
        calls = []

        def spy(records, vals_list):
            calls.append(len(vals_list))
            return original(records, vals_list)

        with patch.object(Listing, "create", spy):
            templates.write({"amazon_sell": True})
        self.assertEqual(calls, [6])
        listings = self.listings_of(templates)
        self.assertEqual(sorted(listings.mapped("seller_sku")), [f"BATCH-{i}" for i in range(6)])

    def test_template_created_selling(self):
        template = self.env["product.template"].create(
            {
                "name": "Bowl",
                "default_code": "BOWL-1",
                "barcode": "4006381333955",
                "amazon_sell": True,
            }
        )
        listing = self.listings_of(template)
        self.assertEqual(len(listing), 1)
        # the reference and barcode reach the variant after its creation: still used
        self.assertEqual((listing.seller_sku, listing.ean), ("BOWL-1", "4006381333955"))

    def test_new_variant_gets_a_listing(self):
        template = self.two_colour_template(amazon_sell=True)
        self.assertEqual(len(self.listings_of(template)), 2)
        template.attribute_line_ids.value_ids = [Command.link(self.color.value_ids[2].id)]
        self.assertEqual(len(template.product_variant_ids), 3)
        listings = self.listings_of(template)
        self.assertEqual(len(listings), 3)
        self.assertEqual(listings.product_id, template.product_variant_ids)

    def test_switch_follows_companies(self):
        company_b = self.env["res.company"].create({"name": "Amazon Test B"})
        account_b = self.create_account("Amazon B", "LISTING-SELLER-B", company=company_b)
        mine = self.env["product.template"].create(
            {"name": "Mine", "company_id": self.env.company.id, "amazon_sell": True}
        )
        shared = self.env["product.template"].create({"name": "Shared", "amazon_sell": True})
        self.assertEqual(self.listings_of(mine).account_id, self.account)
        self.assertEqual(self.listings_of(shared).account_id, self.account | account_b)

    def test_switch_by_user_without_listing_rights(self):
        user = self.env["res.users"].create(
            {
                "name": "Product manager",
                "login": "amazon_product_manager",
                "groups_id": [Command.set([self.env.ref("stock.group_stock_manager").id])],
            }
        )
        template = self.env["product.template"].create({"name": "Vase"})
        template.with_user(user).amazon_sell = True
        self.assertEqual(len(self.listings_of(template)), 1)

    # ------------------------------------------------------------------ removal / unlink

    def test_unlink_only_never_sent(self):
        draft = self.env["amazon.listing"].create(
            {"product_id": self.mug.id, "account_id": self.account.id}
        )
        sent = self.env["amazon.listing"].create(
            {"product_id": self.plate.id, "account_id": self.account.id}
        )
        sent.state = "active"
        with self.assertRaisesRegex(UserError, "remove it from Amazon"):
            sent.unlink()
        draft.unlink()
        self.assertFalse(draft.exists())

        sent.action_remove_from_amazon()
        self.assertEqual(sent.state, "deleted")
        self.assertEqual(self.kinds(sent), {"delete"})

    def test_send_again(self):
        listing = self.env["amazon.listing"].create(
            {"product_id": self.mug.id, "account_id": self.account.id}
        )
        self.env["amazon.sync.queue"].search([("listing_id", "=", listing.id)]).unlink()
        listing.state = "active"
        listing.action_send_again()
        self.assertEqual(self.kinds(listing), FULL)
        listing.action_remove_from_amazon()
        listing.action_send_again()
        self.assertEqual(listing.state, "draft")
        self.assertEqual(self.kinds(listing), FULL)

    def test_product_deleted(self):
        product = self.env["product.product"].create({"name": "Gone", "default_code": "GONE"})
        other = self.create_account("Amazon US 2", "LISTING-SELLER-2")
        never_sent = self.env["amazon.listing"].create(
            {"product_id": product.id, "account_id": self.account.id}
        )
        sent = self.env["amazon.listing"].create({"product_id": product.id, "account_id": other.id})
        sent.state = "active"
        product.product_tmpl_id.unlink()
        self.assertFalse(never_sent.exists())
        self.assertEqual(sent.state, "deleted")
        self.assertFalse(sent.product_id)
        self.assertEqual(sent.seller_sku, "GONE")
        self.assertEqual(self.kinds(sent), {"delete"})
