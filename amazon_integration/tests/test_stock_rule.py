from decimal import Decimal

from odoo import Command
from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestStockRule(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["amazon.account"].search([]).write({"active": False})
        company = cls.env.company
        cls.wh1 = cls.env["stock.warehouse"].search([("company_id", "=", company.id)], limit=1)
        cls.wh2 = cls.env["stock.warehouse"].create({"name": "Amazon Test WH2", "code": "AZ2"})
        cls.shelf = cls.env["stock.location"].create(
            {"name": "Shelf", "location_id": cls.wh1.lot_stock_id.id, "usage": "internal"}
        )
        cls.fba = cls.env["stock.location"].create(
            {"name": "Amazon FBA", "location_id": cls.wh1.view_location_id.id, "usage": "internal"}
        )
        cls.fba_bin = cls.env["stock.location"].create(
            {"name": "FBA bin", "location_id": cls.fba.id, "usage": "internal"}
        )
        cls.account = cls.env["amazon.account"].create(
            {
                "name": "Amazon stock rule",
                "marketplace_id": cls.env.ref("amazon_integration.marketplace_us").id,
                "merchant_id": "STOCK-RULE-SELLER",
                "amazon_api": "mws",
                "warehouse_ids": [Command.set(cls.wh1.ids)],
            }
        )
        cls.product = cls.storable("Kettle", "KETTLE-1")
        cls.quantity(cls.product, cls.wh1.lot_stock_id, 10)
        cls.quantity(cls.product, cls.shelf, 5)  # a child of the warehouse's stock
        cls.quantity(cls.product, cls.wh2.lot_stock_id, 7)  # not sold on this account
        cls.quantity(cls.product, cls.fba_bin, 20)  # Amazon's stock
        cls.listing = cls.list(cls.product)

    @classmethod
    def storable(cls, name, code):
        return cls.env["product.product"].create(
            {"name": name, "default_code": code, "is_storable": True, "list_price": 19.99}
        )

    @classmethod
    def quantity(cls, product, location, qty):
        cls.env["stock.quant"]._update_available_quantity(product, location, qty)

    @classmethod
    def list(cls, product, **values):
        return cls.env["amazon.listing"].create(
            {"product_id": product.id, "account_id": cls.account.id, **values}
        )

    def deliver(self, product, qty):
        """A confirmed delivery from the first warehouse reserves ``qty``."""
        stock = self.wh1.lot_stock_id
        customers = self.env.ref("stock.stock_location_customers")
        picking = self.env["stock.picking"].create(
            {
                "picking_type_id": self.wh1.out_type_id.id,
                "location_id": stock.id,
                "location_dest_id": customers.id,
                "move_ids": [
                    Command.create(
                        {
                            "name": product.name,
                            "product_id": product.id,
                            "product_uom_qty": qty,
                            "product_uom": product.uom_id.id,
                            "location_id": stock.id,
                            "location_dest_id": customers.id,
                        }
                    )
                ],
            }
        )
        picking.action_confirm()
        picking.action_assign()
        self.assertEqual(picking.state, "assigned")
        return picking

    def qty(self, listing=None):
        listing = listing or self.listing
        return listing._amazon_quantities()[listing.id]

    # ------------------------------------------------------------------ quantities

    def test_on_hand_of_the_account_warehouses(self):
        # 10 in stock + 5 on a child shelf; the other warehouse and the FBA location no
        self.account.afn_location_id = self.fba
        self.assertEqual(self.qty(), 15)

    def test_afn_location_counted_only_when_unset(self):
        # without an Amazon location configured it is just a location of the warehouse
        self.assertEqual(self.qty(), 35)
        self.account.afn_location_id = self.fba
        self.assertEqual(self.qty(), 15)

    def test_both_warehouses(self):
        self.account.afn_location_id = self.fba
        self.account.warehouse_ids = [Command.link(self.wh2.id)]
        self.assertEqual(self.qty(), 22)

    def test_reservation_subtracted(self):
        self.account.afn_location_id = self.fba
        self.deliver(self.product, 3)
        self.assertEqual(self.qty(), 12)

    def test_never_negative(self):
        product = self.storable("Oversold", "OVERSOLD")
        self.quantity(product, self.wh1.lot_stock_id, -4)
        self.quantity(product, self.shelf, 1)
        listing = self.list(product)
        self.assertEqual(self.qty(listing), 0)
        empty = self.list(self.storable("Never stocked", "EMPTY"))
        self.assertEqual(self.qty(empty), 0)

    def test_product_reserve(self):
        self.account.afn_location_id = self.fba
        self.deliver(self.product, 3)  # free: 12
        template = self.product.product_tmpl_id
        template.write({"amazon_stock_reserve_type": "fixed", "amazon_stock_reserve_value": 2})
        self.assertEqual(self.qty(), 10)
        template.write({"amazon_stock_reserve_type": "percent", "amazon_stock_reserve_value": 25})
        self.assertEqual(self.qty(), 9)  # floor(12 * 0.75)
        template.write({"amazon_stock_reserve_type": "fixed", "amazon_stock_reserve_value": 50})
        self.assertEqual(self.qty(), 0)
        template.write({"amazon_stock_reserve_type": "percent", "amazon_stock_reserve_value": 100})
        self.assertEqual(self.qty(), 0)

    def test_account_reserve(self):
        self.account.afn_location_id = self.fba
        self.deliver(self.product, 3)  # free: 12
        self.account.write({"stock_reserve_type": "fixed", "stock_reserve_value": 4})
        self.assertEqual(self.qty(), 8)
        self.account.write({"stock_reserve_type": "percent", "stock_reserve_value": 30})
        self.assertEqual(self.qty(), 8)  # floor(12 * 0.7 = 8.4)
        # a reserve on the product wins over the account's
        self.product.product_tmpl_id.write(
            {"amazon_stock_reserve_type": "fixed", "amazon_stock_reserve_value": 0}
        )
        self.assertEqual(self.qty(), 12)

    def test_sold_without_stock(self):
        consumable = self.env["product.product"].create(
            {"name": "Paper bag", "type": "consu", "is_storable": False}
        )
        service = self.env["product.product"].create({"name": "Gift wrap", "type": "service"})
        listings = self.list(consumable) | self.list(service, seller_sku="WRAP")
        self.assertEqual(set(listings._amazon_quantities().values()), {1000})
        self.account.backorder_quantity = 50
        self.account.write({"stock_reserve_type": "fixed", "stock_reserve_value": 10})
        self.assertEqual(set(listings._amazon_quantities().values()), {50})

    def test_afn_listing(self):
        afn = self.list(self.product, seller_sku="KETTLE-FBA", fulfillment_channel="afn")
        result = (afn | self.listing)._amazon_quantities()
        self.assertIsNone(result[afn.id])
        self.assertEqual(result[self.listing.id], 35)

    def test_deleted_product(self):
        product = self.storable("Gone", "GONE")
        listing = self.list(product, state="active")
        product.unlink()
        self.assertEqual(self.qty(listing), 0)

    def test_account_without_warehouse_uses_company_warehouses(self):
        self.account.warehouse_ids = [Command.clear()]
        self.account.afn_location_id = self.fba
        self.assertEqual(self.qty(), 22)

    def test_many_listings_few_queries(self):
        def count(listings):
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            listings._amazon_quantities()
            return self.env.cr.sql_log_count - before

        products = self.env["product.product"].create(
            [{"name": f"P{i}", "default_code": f"MANY-{i}", "is_storable": True} for i in range(30)]
        )
        for product in products:
            self.quantity(product, self.wh1.lot_stock_id, 3)
        listings = self.env["amazon.listing"].create(
            [{"product_id": p.id, "account_id": self.account.id} for p in products]
        )
        few = count(listings[:3])
        many = count(listings)
        self.assertEqual(few, many)
        self.assertEqual(set(listings._amazon_quantities().values()), {3})

    # ------------------------------------------------------------------ prices

    def test_price_without_pricelist(self):
        price, currency = self.listing._amazon_prices()[self.listing.id]
        self.assertEqual(price, Decimal("19.99"))
        self.assertEqual(str(price), "19.99")
        self.assertEqual(currency, self.env.company.currency_id.name)

    def test_price_from_pricelist(self):
        pricelist = self.env["product.pricelist"].create(
            {
                "name": "Amazon",
                "currency_id": self.env.company.currency_id.id,
                "item_ids": [
                    Command.create(
                        {
                            "applied_on": "0_product_variant",
                            "product_id": self.product.id,
                            "compute_price": "percentage",
                            "percent_price": 10,
                        }
                    )
                ],
            }
        )
        self.account.pricelist_id = pricelist
        other = self.list(self.storable("Teapot", "TEAPOT-1"))
        prices = (self.listing | other)._amazon_prices()
        # 19.99 - 10 % = 17.991, rounded to the currency
        self.assertEqual(prices[self.listing.id], (Decimal("17.99"), pricelist.currency_id.name))
        self.assertEqual(prices[other.id][0], Decimal("19.99"))  # no rule: the sales price

    def test_price_in_pricelist_currency(self):
        currency = (
            self.env["res.currency"]
            .with_context(active_test=False)
            .search([("name", "=", "EUR" if self.env.company.currency_id.name != "EUR" else "USD")])
        )
        currency.active = True
        pricelist = self.env["product.pricelist"].create(
            {
                "name": "Amazon foreign",
                "currency_id": currency.id,
                "item_ids": [
                    Command.create(
                        {
                            "applied_on": "3_global",
                            "compute_price": "fixed",
                            "fixed_price": 15.5,
                        }
                    )
                ],
            }
        )
        self.account.pricelist_id = pricelist
        self.assertEqual(
            self.listing._amazon_prices()[self.listing.id], (Decimal("15.50"), currency.name)
        )
