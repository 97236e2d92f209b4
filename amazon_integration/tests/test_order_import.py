"""Order import: sandbox orders → sale orders, by the Orders API and by order reports."""

import copy
import time
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import psycopg2

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import SQL, mute_logger

from ..lib.orders import empty_address, empty_item, empty_order
from ..models.amazon_order_import import from_json, order_amounts
from ..models.res_partner import BUYER_UNIQUE, DELIVERY_UNIQUE
from .common import AmazonCase

DEMO_SKUS = [f"DEMO-SKU-{n:03d}" for n in range(1, 41)]
IMPORTABLE = ("Unshipped", "PartiallyShipped", "Shipped")


class OrderCase(AmazonCase):
    def setUp(self):
        super().setUp()
        self.stock = self.account.warehouse_ids.lot_stock_id
        Product = self.env["product.product"].with_context(integrator_no_capture=True)
        self.products = Product.create(
            [
                {
                    "name": f"Demo {sku}",
                    "default_code": sku,
                    "type": "consu",
                    "is_storable": True,
                    "list_price": 10.0,
                }
                for sku in DEMO_SKUS
            ]
        )
        for product in self.products:
            self.env["stock.quant"].with_context(
                integrator_no_capture=True
            )._update_available_quantity(product, self.stock, 1000)
        self.account.write({"sync_interval": 60, "order_import_mode": "api"})

    # ---------------------------------------------------------------- sandbox helpers

    def sync_clock(self):
        """Anchor the account's quota clock on the sandbox's (tests move it by hand)."""
        now = self.sandbox.admin("GET", "/admin/clock")["now"]
        server = datetime.fromisoformat(now.replace("Z", "+00:00")).timestamp()
        self.account.write({"clock_server_ref": server, "clock_local_ref": time.time()})

    def generate(self, count, seed=None, hold_passes=True):
        body = {"count": count}
        if seed is not None:
            body["seed"] = seed
        created = self.sandbox.admin("POST", f"/admin/sellers/{self.creds.seller_id}/orders", body)
        if hold_passes:
            self.sandbox.advance(3600)  # payment hold over: Unshipped (or canceled)
        return created["amazon_order_ids"]

    def remote_orders(self):
        data = self.sandbox.admin("GET", f"/admin/sellers/{self.creds.seller_id}/orders")
        return {o["amazon_order_id"]: from_json(o) for o in data}

    def run_orders(self, advance=120):
        self.sandbox.advance(advance)
        self.sync_clock()
        return self.account._orders_step()

    def run_until_listed(self, runs=20, advance=120):
        for _n in range(runs):
            self.run_orders(advance)
            if not self.account.order_listing_state:
                return
        self.fail(f"listing not finished after {runs} runs: {self.account.order_listing_state}")

    def sale_orders(self):
        return self.env["sale.order"].search([("amazon_account_id", "=", self.account.id)])

    def assert_mirrors_remote(self):
        """The sale orders mirror the sandbox's orders up to the listing checkpoint.

        Every importable Amazon order last changed before the checkpoint is exactly one sale
        order; a sale order whose Amazon order is no longer importable (its buyer canceled
        it after the import) is canceled here. Orders that changed after the checkpoint
        belong to the next listing (it starts at the checkpoint minus the overlap), so they
        may still be behind. Returns (remote, importable, sale orders, late ids)."""
        checkpoint = self.account.order_checkpoint
        self.assertTrue(checkpoint, "the listing saved a checkpoint")
        checkpoint = checkpoint.replace(tzinfo=timezone.utc)
        remote = self.remote_orders()
        importable = {oid for oid, o in remote.items() if o["status"] in IMPORTABLE}
        late = {oid for oid, o in remote.items() if o["last_update_date"] > checkpoint}
        orders = self.sale_orders()
        ids = orders.mapped("amazon_order_id")
        self.assertEqual(len(ids), len(set(ids)), "one sale order per Amazon order")
        self.assertFalse(importable - set(ids) - late, "importable orders were not imported")
        for so in orders.filtered(lambda so: so.amazon_order_id not in importable):
            oid = so.amazon_order_id
            self.assertEqual(remote[oid]["status"], "Canceled", f"{oid} is not on Amazon")
            if oid not in late:
                self.assertEqual(
                    so.state,
                    "cancel",
                    f"{oid} was canceled by its buyer at {remote[oid]['last_update_date']} "
                    f"(checkpoint {checkpoint}); Odoo has {so.amazon_order_status} of "
                    f"{so.amazon_last_update}",
                )
        self.assertLessEqual(len(late), 10, "most orders changed before the checkpoint")
        return remote, importable, orders, late

    def assert_totals(self, remote, orders):
        for so in orders:
            amazon = remote[so.amazon_order_id]
            total = sum((Decimal(str(i["item_price"])) for i in amazon["items"]), Decimal(0))
            total = order_amounts(amazon)["total"]
            self.assertEqual(
                Decimal(str(so.amount_total)).quantize(Decimal("0.01")),
                total,
                f"{so.amazon_order_id}: Odoo {so.amount_total} vs Amazon {total}",
            )
            self.assertEqual(so.currency_id.name, amazon["currency"])
            self.assertFalse(so.order_line.tax_id, "no Odoo tax on Amazon lines")


def order_dict(oid, sku="DEMO-SKU-001", status="Unshipped", **values):
    """A contract order dict built by hand (one item, US address)."""
    order = empty_order("ListOrders")
    now = datetime.now(timezone.utc).replace(microsecond=0)
    address = empty_address()
    address.update(
        name="Zoë O'Brien",
        address_line1="1 Main St",
        city="Seattle",
        state_or_region="WA",
        postal_code="98101",
        country_code="US",
    )
    item = empty_item()
    item.update(
        order_item_id=f"{oid[-7:]}0000001",
        seller_sku=sku,
        title="Thing",
        quantity_ordered=2,
        item_price="20.00",
        item_tax="1.60",
        shipping_price="4.99",
        shipping_tax="0.40",
    )
    order.update(
        amazon_order_id=oid,
        seller_id="X",
        marketplace_id="ATVPDKIKX0DER",
        sales_channel="Amazon.com",
        purchase_date=now - timedelta(hours=1),
        last_update_date=now - timedelta(minutes=30),
        latest_ship_date=now + timedelta(days=2),
        status=status,
        fulfillment_channel="MFN",
        currency="USD",
        order_total="26.99",
        order_total_source="amazon",
        buyer_email=f"{oid}@marketplace.amazon.com",
        buyer_name="Zoë O'Brien",
        shipping_address=address,
        items=[item],
        items_complete=True,
    )
    order.update(values)
    return order


@tagged("post_install", "-at_install")
class TestOrderImportCore(OrderCase):
    """The import function on hand-made dicts: idempotence, exceptions, retry, cancel."""

    def test_import_creates_confirmed_order_with_customer_and_total(self):
        result = self.account._import_orders([order_dict("111-0000001-0000001")])
        self.assertEqual(result["created"], 1, result)
        so = self.sale_orders()
        self.assertEqual(so.state, "sale")
        self.assertEqual(so.amount_total, 26.99)
        self.assertEqual(so.amazon_ack_state, "todo")
        self.assertEqual(so.partner_id.email, "111-0000001-0000001@marketplace.amazon.com")
        self.assertEqual(so.partner_shipping_id.type, "delivery")
        self.assertEqual(so.partner_shipping_id.parent_id, so.partner_id)
        self.assertEqual(so.partner_shipping_id.country_id.code, "US")
        self.assertEqual(so.partner_shipping_id.state_id.code, "WA")
        self.assertEqual(so.partner_id.country_id.code, "US")
        kinds = sorted(so.order_line.mapped("amazon_line_kind"))
        self.assertEqual(kinds, ["item", "shipping", "tax"])
        self.assertEqual(so.amazon_fulfillment_channel, "mfn")
        self.assertTrue(so.picking_ids, "an MFN delivery to ship from the warehouse")
        # the same buyer again (any case): found, not created twice; same address: same
        # delivery contact
        self.account._import_orders(
            [
                order_dict(
                    "111-0000001-0000002",
                    buyer_email="111-0000001-0000001@Marketplace.Amazon.com",
                )
            ]
        )
        orders = self.sale_orders()
        self.assertEqual(len(orders), 2)
        self.assertEqual(len(orders.partner_id), 1)
        self.assertEqual(len(orders.partner_shipping_id), 1)

    def test_one_contact_per_buyer_once_the_duplicates_are_merged(self):
        """The buyer index (parallel imports cannot create a buyer twice) waits, with a
        warning naming them, while a database has duplicate buyers."""
        Partner = self.env["res.partner"]
        email = "twice@marketplace.amazon.com"
        self.env.cr.execute(SQL("DROP INDEX %s", SQL.identifier(BUYER_UNIQUE)))
        twins = Partner.create([{"name": n, "amazon_buyer_email": email} for n in "AB"])
        self.env.flush_all()
        logger = "odoo.addons.amazon_integration.models.res_partner"
        with self.assertLogs(logger, "WARNING") as logs:
            self.assertFalse(Partner._amazon_buyer_index())
        self.assertIn(f"ids {twins[0].id}, {twins[1].id}", logs.output[0])
        twins[1].unlink()
        self.assertTrue(Partner._amazon_buyer_index())
        # archived or not, in no company or the same one: still that buyer
        twins[0].active = False
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaises(psycopg2.errors.UniqueViolation),
            self.env.cr.savepoint(),
        ):
            Partner.create({"name": "C", "amazon_buyer_email": email})
            self.env.flush_all()
        # an archived buyer's next order goes to that contact
        self.account._import_orders([order_dict("111-0000012-0000001", buyer_email=email)])
        self.assertEqual(self.sale_orders().partner_id, twins[0])

    def test_one_delivery_contact_per_buyer_and_address(self):
        """The delivery index: a buyer's address is one contact (archived or not); a
        database that has the same address twice keeps it, with a warning, until merged."""
        email = "one-address@marketplace.amazon.com"
        self.account._import_orders([order_dict("111-0000013-0000001", buyer_email=email)])
        delivery = self.sale_orders().partner_shipping_id
        self.assertEqual(delivery.amazon_buyer_email, email)
        self.assertEqual(delivery.type, "delivery")
        Partner = self.env["res.partner"]
        twin = {
            name: delivery[name].id if name == "country_id" else delivery[name]
            for name in ("name", "street", "street2", "city", "zip", "country_id")
        }
        twin.update(parent_id=delivery.parent_id.id, type="delivery", amazon_buyer_email=email)
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaises(psycopg2.errors.UniqueViolation),
            self.env.cr.savepoint(),
        ):
            Partner.create(twin)
            self.env.flush_all()
        # another address of the same buyer is another contact
        Partner.create(dict(twin, street="2 Main St"))
        self.env.flush_all()
        # an empty street2 is no street2 to the search ('= False'), and to the index too
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaises(psycopg2.errors.UniqueViolation),
            self.env.cr.savepoint(),
        ):
            Partner.create(dict(twin, street2=""))
            self.env.flush_all()
        # an archived address is used again, not created twice
        delivery.active = False
        self.account._import_orders([order_dict("111-0000013-0000002", buyer_email=email)])
        second = self.sale_orders().filtered(lambda so: so.amazon_order_id.endswith("0000002"))
        self.assertEqual(second.partner_shipping_id, delivery)
        # a database with the same address twice: a warning, no index, until merged
        self.env.cr.execute(SQL("DROP INDEX %s", SQL.identifier(DELIVERY_UNIQUE)))
        copy = Partner.create(twin)
        self.env.flush_all()
        logger = "odoo.addons.amazon_integration.models.res_partner"
        with self.assertLogs(logger, "WARNING") as logs:
            self.assertFalse(Partner._amazon_delivery_index())
        self.assertIn(f"ids {delivery.id}, {copy.id}", logs.output[0])
        copy.unlink()
        self.assertTrue(Partner._amazon_delivery_index())

    def test_seller_collected_tax_uses_the_odoo_taxes_of_the_address(self):
        """Issue 12.3, the other way: where the seller collects the tax (the marketplace's
        "Amazon Collects the Tax" unticked), the lines carry the Odoo taxes of their products
        through the fiscal position, so the invoice owes the tax; Amazon's total to the cent."""
        self.account.marketplace_id.tax_collected_by_amazon = False
        payable = self.env["account.account"].create(
            {"code": "TAXWA8", "name": "WA sales tax payable", "account_type": "liability_current"}
        )
        repartition = [
            fields.Command.create({"repartition_type": "base"}),
            fields.Command.create({"repartition_type": "tax", "account_id": payable.id}),
        ]
        tax = self.env["account.tax"].create(
            {
                "name": "WA sales tax 8%",
                "amount": 8.0,
                "amount_type": "percent",
                "invoice_repartition_line_ids": repartition,
                "refund_repartition_line_ids": repartition,
            }
        )
        product = self.products.filtered(lambda p: p.default_code == "DEMO-SKU-001")
        product.taxes_id = tax
        self.account._import_orders([order_dict("111-0000011-0000001")])
        so = self.sale_orders()
        self.assertFalse(so.amazon_exception, so.amazon_exception_message)
        self.assertEqual(so.state, "sale")
        self.assertEqual(sorted(so.order_line.mapped("amazon_line_kind")), ["item", "shipping"])
        self.assertEqual(so.order_line.tax_id, tax, "items and shipping (taxed by Amazon too)")
        self.assertAlmostEqual(so.amount_tax, 2.00, places=2)
        self.assertAlmostEqual(so.amount_total, 26.99, places=2)
        invoice = so._create_invoices()
        invoice.action_post()
        self.assertAlmostEqual(invoice.amount_tax, 2.00, places=2)
        booked = invoice.line_ids.filtered(lambda line: line.tax_line_id == tax)
        self.assertEqual(booked.account_id, payable, "a tax the seller owes, not revenue")
        # taxes that do not give Amazon's amount keep the order in exception, named
        self.account._import_orders([order_dict("111-0000011-0000002", order_total="27.99")])
        wrong = self.sale_orders().filtered(lambda o: o.amazon_order_id == "111-0000011-0000002")
        self.assertEqual(wrong.amazon_exception, "total")
        # a product without an Odoo tax: nothing is guessed
        product.taxes_id = False
        self.account._import_orders([order_dict("111-0000011-0000003")])
        untaxed = self.sale_orders().filtered(lambda o: o.amazon_order_id == "111-0000011-0000003")
        self.assertEqual(untaxed.amazon_exception, "total")
        self.assertIn("no Odoo tax for this address", untaxed.amazon_exception_message)

    def test_no_duplicate_on_reimport_retry_and_crash(self):
        dicts = [order_dict(f"111-0000002-{n:07d}") for n in range(5)]
        first = self.account._import_orders(copy.deepcopy(dicts))
        self.assertEqual(first["created"], 5)
        # the same dicts again (a retry after a crash, the same page served again)
        again = self.account._import_orders(copy.deepcopy(dicts))
        self.assertEqual(again["created"], 0)
        self.assertEqual(again["unchanged"], 5, again)
        # an update of one of them
        newer = copy.deepcopy(dicts[0])
        newer["last_update_date"] += timedelta(minutes=5)
        newer["status"] = "Shipped"
        update = self.account._import_orders([newer])
        self.assertEqual(update["updated"], 1)
        self.assertEqual(len(self.sale_orders()), 5)
        so = self.sale_orders().filtered(lambda o: o.amazon_order_id == dicts[0]["amazon_order_id"])
        self.assertEqual(so.amazon_order_status, "Shipped")
        # older news never goes back
        self.account._import_orders([copy.deepcopy(dicts[0])])
        self.assertEqual(so.amazon_order_status, "Shipped")
        # a report dict (status None) never overwrites a known status
        report = copy.deepcopy(newer)
        report.update(status=None, source="flat_file", last_update_date=None)
        self.account._import_orders([report])
        self.assertEqual(so.amazon_order_status, "Shipped")

    def test_concurrent_creation_is_a_no_op(self):
        """Another worker created the order after our search: the unique constraint stops
        the second one, the savepoint keeps the batch alive."""
        order = order_dict("111-0000003-0000001")
        self.account._import_orders([copy.deepcopy(order)])
        with (
            self.assertRaises(psycopg2.errors.UniqueViolation),
            mute_logger("odoo.sql_db"),
            self.env.cr.savepoint(),
        ):
            self.env["sale.order"].create(
                {
                    "partner_id": self.env.user.partner_id.id,
                    "amazon_account_id": self.account.id,
                    "amazon_order_id": order["amazon_order_id"],
                }
            )
        # the import's own path: pretend the search found nothing
        result = self.account._import_orders(
            [copy.deepcopy(order), order_dict("111-0000003-0000002")]
        )
        self.assertEqual(len(self.sale_orders()), 2)
        self.assertFalse(result["errors"])

    def test_several_tax_and_promotion_combinations_to_the_cent(self):
        cases = [
            # (item price, qty, tax, shipping, ship tax, ship discount, promo, wrap, wrap tax)
            ("39.98", 2, "3.20", "4.99", "0.40", "0.00", "5.00", "0.00", "0.00"),
            ("10.00", 3, "0.83", "0.00", "0.00", "0.00", "0.00", "2.99", "0.24"),
            ("59.97", 3, "0.00", "3.99", "0.00", "3.99", "0.00", "0.00", "0.00"),  # EU VAT incl.
            ("0.99", 1, "0.08", "12.99", "1.04", "0.00", "0.99", "0.00", "0.00"),
            ("100.00", 3, "8.88", "0.00", "0.00", "0.00", "33.33", "4.99", "0.40"),  # 33.333..
        ]
        dicts = []
        for n, case in enumerate(cases):
            price, qty, tax, ship, ship_tax, ship_disc, promo, wrap, wrap_tax = case
            order = order_dict(f"111-0000004-{n:07d}", status="Unshipped")
            item = order["items"][0]
            item.update(
                item_price=price,
                quantity_ordered=qty,
                item_tax=tax,
                shipping_price=ship,
                shipping_tax=ship_tax,
                shipping_discount=ship_disc,
                promotion_discount=promo,
                promotion_ids=["PROMO-1"] if promo != "0.00" else [],
                gift_wrap_price=wrap,
                gift_wrap_tax=wrap_tax,
            )
            second = copy.deepcopy(item)
            second.update(order_item_id=f"99{n}0000000002", seller_sku="DEMO-SKU-002")
            order["items"].append(second)
            order["order_total"] = str(order_amounts(order)["total"])
            dicts.append(order)
        result = self.account._import_orders(dicts)
        self.assertEqual(result["created"], len(cases), result)
        for so, order in zip(self.sale_orders().sorted("amazon_order_id"), dicts, strict=True):
            self.assertEqual(so.state, "sale")
            self.assertAlmostEqual(so.amount_total, float(order["order_total"]), places=2)
            self.assertFalse(so.order_line.tax_id)
            promo = so.order_line.filtered(lambda line: line.amazon_line_kind == "promotion")
            self.assertTrue(all(line.price_subtotal < 0 for line in promo))

    def test_unknown_sku_exception_then_listing_then_retry(self):
        order = order_dict("111-0000005-0000001", sku="NEW-SKU-9")
        result = self.account._import_orders([order])
        self.assertEqual(result["exceptions"], 1, result)
        so = self.sale_orders()
        self.assertEqual(so.state, "draft")
        self.assertEqual(so.amazon_exception, "unknown_sku")
        self.assertIn("NEW-SKU-9", so.amazon_exception_message)
        self.assertEqual(so.amazon_payload["amazon_order_id"], "111-0000005-0000001")
        self.assertTrue(so.activity_ids, "the responsible is told")
        self.assertEqual(so.activity_ids.user_id, self.account._responsible())
        self.assertFalse(so.activity_ids.user_id._is_superuser(), "a person, not OdooBot")
        # seen again on Amazon: still one order, still in exception
        self.account._import_orders([copy.deepcopy(order)])
        self.assertEqual(len(self.sale_orders()), 1)
        self.assertEqual(len(so.activity_ids), 1, "one activity, not one per run")
        # the cause is fixed: a listing maps the SKU to a product
        product = self.products[0]
        self.env["amazon.listing"].create(
            {"account_id": self.account.id, "product_id": product.id, "seller_sku": "NEW-SKU-9"}
        )
        so.action_amazon_retry_import()
        self.assertEqual(so.amazon_exception, "unknown_sku", "queued, not run in the request")
        self.env["amazon.sync.request"]._run_pending()  # the cron's part
        self.assertFalse(so.amazon_exception, so.amazon_exception_message)
        self.assertEqual(so.state, "sale")
        self.assertEqual(so.amount_total, 26.99)
        self.assertEqual(so.order_line.filtered("product_id")[0].product_id, product)
        self.assertFalse(so.activity_ids, "the warning goes once the order is complete")
        self.assertEqual(len(self.sale_orders()), 1)

    def test_unusable_address_is_kept_in_exception(self):
        no_street = order_dict("111-0000006-0000001")
        no_street["shipping_address"]["address_line1"] = None
        no_country = order_dict("111-0000006-0000002")
        no_country["shipping_address"]["country_code"] = None
        result = self.account._import_orders([no_street, no_country])
        self.assertEqual(result["exceptions"], 2, result)
        for so in self.sale_orders():
            self.assertEqual(so.amazon_exception, "address")
            self.assertEqual(so.state, "draft")
            self.assertTrue(so.amazon_exception_message)
        # fixed on Amazon's side (a later update carries the address): completed
        fixed = order_dict("111-0000006-0000001")
        fixed["last_update_date"] += timedelta(minutes=1)
        self.account._import_orders([fixed])
        so = self.sale_orders().filtered(lambda o: o.amazon_order_id == "111-0000006-0000001")
        self.assertEqual(so.state, "sale")
        self.assertFalse(so.amazon_exception)

    def test_bad_order_does_not_block_others(self):
        bad = order_dict("111-0000007-0000001", currency="XXQ")
        good = order_dict("111-0000007-0000002")
        result = self.account._import_orders([bad, good])
        self.assertEqual(result["created"], 1, result)
        self.assertEqual(result["exceptions"], 1, result)
        kept = self.sale_orders().filtered(lambda o: o.amazon_order_id == "111-0000007-0000001")
        self.assertEqual(kept.amazon_exception, "other")
        self.assertIn("XXQ", kept.amazon_exception_message)

    def test_pending_skipped_or_quotation(self):
        pending = order_dict(
            "111-0000008-0000001",
            status="Pending",
            buyer_email=None,
            buyer_name=None,
            shipping_address=None,
            order_total=None,
        )
        result = self.account._import_orders([copy.deepcopy(pending)])
        self.assertEqual(result["skipped"], 1)
        self.assertFalse(self.sale_orders())
        self.account.import_pending_orders = True
        self.account._import_orders([copy.deepcopy(pending)])
        so = self.sale_orders()
        self.assertEqual(so.state, "draft")
        self.assertEqual(so.amazon_order_status, "Pending")
        self.assertFalse(so.amazon_exception)
        # paid: a ListOrders header without items asks for the items again
        paid = order_dict("111-0000008-0000001", items=[], items_complete=False)
        paid["last_update_date"] += timedelta(minutes=10)
        result = self.account._import_orders([copy.deepcopy(paid)])
        self.assertEqual(result["needs_items"], ["111-0000008-0000001"])
        full = order_dict("111-0000008-0000001")
        full["last_update_date"] += timedelta(minutes=10)
        self.account._import_orders([full])
        self.assertEqual(so.state, "sale")
        self.assertEqual(so.partner_id.email, "111-0000008-0000001@marketplace.amazon.com")
        self.assertEqual(so.amount_total, 26.99)
        self.assertEqual(len(self.sale_orders()), 1)

    def test_canceled_never_seen_is_skipped(self):
        result = self.account._import_orders([order_dict("111-0000009-0000001", status="Canceled")])
        self.assertEqual(result["skipped"], 1)
        self.assertFalse(self.sale_orders())

    def test_buyer_cancellation(self):
        unshipped = order_dict("111-0000010-0000001")
        shipped = order_dict("111-0000010-0000002")
        self.account._import_orders([copy.deepcopy(unshipped), copy.deepcopy(shipped)])
        so_unshipped, so_shipped = self.sale_orders().sorted("amazon_order_id")
        picking = so_shipped.picking_ids
        picking.move_ids.quantity = picking.move_ids.product_uom_qty
        picking.move_ids.picked = True
        picking.with_context(integrator_no_capture=True)._action_done()
        for order in (unshipped, shipped):
            order.update(
                status="Canceled",
                cancel_reason="BuyerCanceled",
                last_update_date=order["last_update_date"] + timedelta(minutes=5),
            )
        self.account._import_orders([unshipped, shipped])
        self.assertEqual(so_unshipped.state, "cancel")
        self.assertEqual(so_shipped.state, "sale")
        self.assertEqual(so_shipped.amazon_order_status, "Canceled")
        self.assertTrue(so_shipped.activity_ids, "the conflict is explained to a person")
        self.assertTrue(so_shipped.amazon_conflict_warned)
        # seen again: no second activity
        shipped["last_update_date"] += timedelta(minutes=5)
        self.account._import_orders([shipped])
        self.assertEqual(len(so_shipped.activity_ids), 1)

    def test_afn_order_fulfilled_from_fba_location(self):
        product = self.products[2]
        mfn_before = product.with_context(location=self.stock.id).qty_available
        order = order_dict("111-0000011-0000001", sku="DEMO-SKU-003", fulfillment_channel="AFN")
        self.account._import_orders([order])
        so = self.sale_orders()
        self.assertEqual(so.state, "sale")
        self.assertEqual(so.amazon_fulfillment_channel, "afn")
        self.assertFalse(so.amazon_ack_state, "Amazon fulfils AFN orders: no acknowledgement")
        fba = self.account.afn_location_id
        self.assertTrue(fba)
        self.assertFalse(fba.warehouse_id)
        self.assertEqual(fba.location_id.name, "Amazon FBA")
        picking = so.picking_ids
        self.assertEqual(len(picking), 1)
        self.assertEqual(picking.location_id, fba)
        item_line = so.order_line.filtered("product_id").filtered(
            lambda line: line.amazon_line_kind == "item"
        )
        # Unshipped: Amazon has not shipped it yet, the buyer may still cancel
        self.assertNotIn(picking.state, ("done", "cancel"))
        self.assertEqual(item_line.qty_delivered, 0)
        shipped = dict(order, status="Shipped")
        shipped["last_update_date"] += timedelta(minutes=10)
        self.account._import_orders([shipped])
        self.assertEqual(so.amazon_order_status, "Shipped")
        self.assertEqual(picking.state, "done")
        self.assertEqual(item_line.qty_delivered, 2)
        self.assertFalse(self.env["mail.mail"].search([("model", "=", "stock.picking")]))
        product.invalidate_recordset()
        self.assertEqual(
            product.with_context(location=self.stock.id).qty_available,
            mfn_before,
            "the merchant's own stock is untouched",
        )
        self.assertFalse(
            self.env["stock.move"].search(
                [("product_id", "=", product.id), ("location_id", "=", self.stock.id)]
            )
        )

    def test_fba_report_counts_afn_orders_awaiting_shipment_once(self):
        product = self.products[2]
        self.env["amazon.listing"].create(
            {
                "account_id": self.account.id,
                "product_id": product.id,
                "seller_sku": "DEMO-SKU-003",
                "fulfillment_channel": "afn",
            }
        )
        order = order_dict("111-0000016-0000001", sku="DEMO-SKU-003", fulfillment_channel="AFN")
        self.account._import_orders([order])
        fba = self.account.afn_location_id
        # Amazon's report: 10 fulfillable, the 2 of the order held apart
        self.account._fba_apply([{"sku": "DEMO-SKU-003", "quantity": 10}])
        self.assertEqual(product.with_context(location=fba.id).qty_available, 12)
        shipped = dict(order, status="Shipped")
        shipped["last_update_date"] += timedelta(minutes=10)
        self.account._import_orders([shipped])
        product.invalidate_recordset()
        self.assertEqual(product.with_context(location=fba.id).qty_available, 10)
        self.account._fba_apply([{"sku": "DEMO-SKU-003", "quantity": 10}])
        product.invalidate_recordset()
        self.assertEqual(product.with_context(location=fba.id).qty_available, 10)

    def test_afn_order_canceled_before_amazon_ships_it(self):
        order = order_dict("111-0000014-0000001", sku="DEMO-SKU-003", fulfillment_channel="AFN")
        self.account._import_orders([order])
        so = self.sale_orders()
        picking = so.picking_ids
        canceled = dict(order, status="Canceled", cancel_reason="BuyerCanceled")
        canceled["last_update_date"] += timedelta(minutes=10)
        self.account._import_orders([canceled])
        self.assertEqual(so.state, "cancel")
        self.assertEqual(picking.state, "cancel")
        self.assertFalse(so.amazon_conflict_warned, "nothing had left: no conflict")
        self.assertFalse(so.activity_ids)

    def test_afn_order_shipped_when_imported(self):
        order = order_dict(
            "111-0000015-0000001", sku="DEMO-SKU-003", fulfillment_channel="AFN", status="Shipped"
        )
        self.account._import_orders([order])
        so = self.sale_orders()
        self.assertEqual(so.picking_ids.state, "done")
        self.assertEqual(sum(so.order_line.mapped("qty_delivered")), 2)

    def test_auto_path_follows_the_volume(self):
        account = self.account
        account.write({"order_import_mode": "auto", "order_auto_path": "api"})
        self.assertEqual(account._auto_choose_path(), "api")
        # a listing going through more orders than ListOrders pages in two intervals (one
        # page of 100 a minute) falls behind: new orders come from reports
        listing_checkpoint = datetime(2026, 11, 30, 12, 0)
        account.write(
            {
                "order_checkpoint": listing_checkpoint,
                "order_update_checkpoint": datetime(2026, 11, 1),
                "order_listing_state": {"purpose": "sync", "after": "x", "found": 3, "listed": 201},
            }
        )
        self.assertEqual(account._auto_choose_path(), "report")
        # the reports take over from the listing's checkpoint (the listing stops)
        self.assertFalse(account.order_listing_state)
        self.assertFalse(account.order_update_checkpoint)
        self.assertEqual(account.order_report_checkpoint, listing_checkpoint)
        # the update reports measure the volume now (orders changed per interval)
        account.write(
            {
                "order_last_found": 2,
                "order_last_listed": 150,
                "order_report_checkpoint": datetime(2026, 11, 30, 15, 0),
                "order_update_checkpoint": datetime(2026, 11, 30, 14, 50),
            }
        )
        self.assertEqual(account._auto_choose_path(), "report", "still more than a page")
        account.order_last_listed = 40
        request = self.env["amazon.report.request"]._start(
            account, "updates", "updates", "orders_updated"
        )
        self.assertEqual(account._auto_choose_path(), "report", "a report is in progress")
        request._close()
        self.assertEqual(account._auto_choose_path(), "api")
        # the listing starts where both reports reached (the order report re-reads its
        # lag: 13:00 is before the update report's 14:50)
        self.assertEqual(account.order_checkpoint, datetime(2026, 11, 30, 13, 0))
        # many orders needing their items: reports too
        account.order_last_found = 31
        self.assertEqual(account._auto_choose_path(), "report")

    def test_listings_skip_unpaid_orders_unless_imported(self):
        statuses = self.account._listing_statuses()
        self.assertNotIn("Pending", statuses)
        self.assertIn("Unshipped", statuses)
        self.assertIn("PartiallyShipped", statuses, "Amazon wants both or neither")
        self.assertIn("Canceled", statuses)
        self.account.import_pending_orders = True
        self.assertEqual(self.account._listing_statuses(), [], "every status")

    def test_ship_by_warning_once(self):
        soon = datetime.now(timezone.utc) + timedelta(hours=3)
        later = datetime.now(timezone.utc) + timedelta(days=3)
        self.account._import_orders(
            [
                order_dict("111-0000013-0000001", latest_ship_date=soon),
                order_dict("111-0000013-0000002", latest_ship_date=later),
            ]
        )
        urgent, calm = self.sale_orders().sorted("amazon_order_id")
        self.account._orders_ship_by_warnings()
        self.account._orders_ship_by_warnings()
        self.assertEqual(len(urgent.activity_ids), 1)
        self.assertTrue(urgent.amazon_shipby_warned)
        self.assertFalse(calm.activity_ids)

    def test_reservations_and_cancellations_reach_the_stock_rows(self):
        """The import captures nothing of Amazon's own events, but the stock its orders
        reserve and free is a stock row at once (not at the next unrelated change)."""
        self.env["ir.config_parameter"].sudo().set_param("integrator_base.capture_enabled", "True")
        product = self.products.filtered(lambda p: p.default_code == "DEMO-SKU-004")
        Rows = self.env["product.integration"]
        self.env.cr.precommit.run()
        domain = [("product_id", "=", product.id), ("record_operation", "=", "stock")]
        before = Rows.search_count(domain)
        orders_before = self.env["order.integration"].search_count([])
        order = order_dict("111-0000016-0000001", sku="DEMO-SKU-004")
        self.account._import_orders([order])
        self.env.cr.precommit.run()
        so = self.sale_orders()
        self.assertEqual(so.state, "sale")
        self.assertEqual(product.with_context(warehouse_id=so.warehouse_id.id).free_qty, 998)
        self.assertEqual(Rows.search_count(domain), before + 1, "the reservation is a stock row")
        canceled = copy.deepcopy(order)
        canceled.update(status="Canceled")
        canceled["last_update_date"] += timedelta(minutes=10)
        self.account._import_orders([canceled])
        self.env.cr.precommit.run()
        self.assertEqual(so.state, "cancel")
        self.assertEqual(Rows.search_count(domain), before + 2, "the freed stock too")
        self.assertEqual(
            self.env["order.integration"].search_count([]), orders_before, "no echo of Amazon"
        )

    def test_no_echo_rows(self):
        self.env["ir.config_parameter"].sudo().set_param("integrator_base.capture_enabled", "True")
        before = self.env["order.integration"].search_count([])
        self.account._import_orders(
            [order_dict("111-0000012-0000001", sku="DEMO-SKU-003", fulfillment_channel="AFN")]
        )
        self.env.cr.precommit.run()
        self.assertEqual(self.env["order.integration"].search_count([]), before)


@tagged("post_install", "-at_install")
class TestOrderImportSandbox(OrderCase):
    """Against the sandbox: the API path, the report path, faults."""

    #: the API's operations the report scenarios look for in the API log
    report_request_operation = "RequestReport"
    listing_operation = "ListOrders"
    #: whether the API's order reads give the buyer's e-mail of an AFN order (the reports do)
    api_gives_afn_buyer_email = True

    def test_api_multi_page_import_totals_no_duplicates(self):
        ids = self.generate(130, seed=401)
        self.run_until_listed(runs=30)
        remote, importable, orders, _late = self.assert_mirrors_remote()
        self.assertGreater(len(importable), 100, "more than one ListOrders page")
        self.assertTrue(set(importable) <= set(ids))
        self.assertFalse(orders.filtered("amazon_exception").mapped("amazon_exception_message"))
        self.assert_totals(remote, orders)
        self.assertEqual(
            set(orders.filtered(lambda so: so.amazon_order_id in importable).mapped("state")),
            {"sale"},
        )
        currencies_seen = set(orders.mapped("currency_id.name"))
        self.assertEqual(currencies_seen, {"USD"})
        # unicode addresses came through
        names = "".join(orders.partner_shipping_id.mapped("name"))
        self.assertTrue(any(ord(c) > 127 for c in names))
        checkpoint = self.account.order_checkpoint
        self.assertTrue(checkpoint)
        # served again and again: overlapping windows, nothing new
        self.account.order_checkpoint = checkpoint - timedelta(hours=3)
        self.run_until_listed()
        self.run_until_listed()
        self.assert_mirrors_remote()  # no duplicate sale order
        rows = [
            row
            for row in self.sandbox.admin("GET", "/admin/throttle")["counters"]
            if row["seller_id"] == self.creds.seller_id
        ]
        self.assertTrue(rows)
        self.assertEqual(sum(r["throttled"] + r["quota_exceeded"] for r in rows), 0)

    def test_several_currencies(self):
        creds = self.sandbox.new_seller(
            marketplaces=("ATVPDKIKX0DER", "A2EUQ1WTGCTBG2", "A1F83G8C2ARO7P", "A1PA6795UKMFR9")
        )
        self.creds = creds
        self.account = self.create_account(
            creds,
            order_import_mode="api",
            marketplace_ids=[
                (
                    6,
                    0,
                    [
                        self.env.ref("amazon_integration.marketplace_ca").id,
                        self.env.ref("amazon_integration.marketplace_uk").id,
                        self.env.ref("amazon_integration.marketplace_de").id,
                    ],
                )
            ],
        )
        self.generate(60, seed=402)
        self.run_until_listed(runs=20)
        remote = self.remote_orders()
        orders = self.sale_orders()
        self.assertGreater(len(orders), 40)
        self.assertGreaterEqual(len(set(orders.mapped("currency_id.name"))), 3)
        self.assert_totals(remote, orders)
        for so in orders:
            self.assertEqual(so.pricelist_id.currency_id, so.currency_id)
            self.assertEqual(
                so.amazon_marketplace_id.code, remote[so.amazon_order_id]["marketplace_id"]
            )

    def test_throttle_storm_and_5xx_mid_paging(self):
        self.generate(150, seed=403)
        self.sync_clock()
        self.account._orders_step()  # first page, 30 orders' items
        state = self.account.order_listing_state
        self.assertTrue(state and state.get("token"), "stopped in the middle of the listing")
        self.assertFalse(self.account.order_checkpoint)
        self.sandbox.fault(self.creds, "internal_error", count=2)
        self.run_orders()
        self.sandbox.fault(self.creds, "throttle_storm", seconds=30)
        self.run_orders(advance=1)
        self.assertFalse(self.account.order_checkpoint, "not advanced while orders are missing")
        self.sandbox.admin("DELETE", f"/admin/sellers/{self.creds.seller_id}/faults")
        self.run_until_listed(runs=30)
        _remote, importable, _orders, _late = self.assert_mirrors_remote()
        self.assertGreater(len(importable), 100)

    def test_next_token_corrupted_restarts_listing(self):
        self.generate(150, seed=404)
        self.sandbox.fault(
            self.creds, "next_token_corrupted", count=1, operation="ListOrdersByNextToken"
        )
        # and in the items of the big orders (30 lines: two ListOrderItems pages)
        self.sandbox.fault(
            self.creds, "next_token_corrupted", count=1, operation="ListOrderItemsByNextToken"
        )
        self.run_until_listed(runs=30)
        corrupted = self.env["amazon.api.log"].search(
            [("account_id", "=", self.account.id), ("error_code", "=", "NextTokenCorrupted")]
        )
        self.assertEqual(
            sorted(corrupted.mapped("operation")),
            ["ListOrderItemsByNextToken", "ListOrdersByNextToken"],
        )
        self.assertEqual(
            self.env["amazon.api.log"].search_count(
                [("account_id", "=", self.account.id), ("operation", "=", "ListOrders")]
            ),
            2,
            "the listing started again",
        )
        self.assert_mirrors_remote()

    def test_report_path_imports_the_same_orders_as_the_api(self):
        self.generate(40, seed=405)

        def snapshot():
            return {
                so.amazon_order_id: (
                    so.amount_total,
                    so.currency_id.name,
                    so.partner_id.email
                    if self.api_gives_afn_buyer_email or so.amazon_fulfillment_channel != "afn"
                    else "(the API gives none)",
                    so.partner_shipping_id.street,
                    so.partner_shipping_id.zip,
                    so.state,
                    sorted(
                        (
                            line.product_id.default_code or "",
                            line.product_uom_qty,
                            line.price_unit,
                        )
                        for line in so.order_line
                    ),
                )
                for so in self.sale_orders()
            }

        class Rollback(Exception):
            pass

        with self.assertRaises(Rollback), self.env.cr.savepoint():
            self.run_until_listed()
            by_api = snapshot()
            listed_up_to = self.account.order_checkpoint.replace(tzinfo=timezone.utc)
            raise Rollback()
        self.assertFalse(self.sale_orders())
        self.assertGreater(len(by_api), 25)
        self.account.write({"order_import_mode": "report", "order_report_interval_minutes": 0})
        for _n in range(6):
            self.run_orders()
            if self.account.order_report_checkpoint and not self.account._report_request("orders"):
                break
        self.assertTrue(self.account.order_report_checkpoint, self.account.report_request_ids)
        by_report = snapshot()
        remote = self.remote_orders()
        # the sandbox's clock runs on while the two paths read: an order Amazon changed
        # after the first listing's checkpoint (a buyer cancelled it, its payment cleared)
        # may rightly differ; every other one is the same order, to the cent
        changed = {oid for oid, order in remote.items() if order["last_update_date"] > listed_up_to}
        self.maxDiff = None
        self.assertLessEqual(set(by_report) ^ set(by_api), changed)
        steady = set(by_api) - changed
        self.assertGreater(len(steady), 20)
        for oid in sorted(steady):
            self.assertEqual(by_report.get(oid), by_api[oid], f"{oid}: {remote[oid]}")
        # the report again and the API after it: nothing doubles
        self.assertTrue(self.account.order_update_checkpoint, "the update report ran too")
        self.account.write(
            {
                "order_report_checkpoint": False,
                "order_import_mode": "api",
                "order_checkpoint": self.account.order_update_checkpoint - timedelta(hours=2),
            }
        )
        self.run_until_listed()
        again = snapshot()
        self.assertEqual(
            {oid: again.get(oid) for oid in steady}, {oid: by_api[oid] for oid in steady}
        )
        ids = self.sale_orders().mapped("amazon_order_id")
        self.assertEqual(len(ids), len(set(ids)), "nothing doubles")

    def test_report_request_survives_a_crash(self):
        """A request saved as sent but whose id was lost is found again, not re-sent."""
        self.generate(10, seed=407)
        self.account.write({"order_import_mode": "report", "order_report_interval_minutes": 60})
        self.sync_clock()
        self.account._orders_report_path()
        request = self.account._report_request("orders")
        request_id = request.request_id
        self.assertTrue(request_id)
        # the answer of the request was lost (a crash before the commit): sent, no id
        request.write({"state": "new", "request_id": False, "poll_at": False})

        def report_step():
            self.sandbox.advance(120)
            self.sync_clock()
            self.account._orders_report_path()

        report_step()
        self.assertEqual(request.request_id, request_id, "found on Amazon, not asked again")
        for _n in range(4):
            report_step()
        self.assertFalse(self.account._report_request("orders"))
        self.assertTrue(self.account.order_report_checkpoint)
        reports = self.env["amazon.api.log"].search(
            [
                ("account_id", "=", self.account.id),
                ("operation", "=", self.report_request_operation),
            ]
        )
        self.assertEqual(len(reports), 1, "requested once")
        # the report's orders wait for the import workers; the step's own share takes them
        self.assertTrue(
            self.env["amazon.order.stage"].search([("account_id", "=", self.account.id)])
        )
        self.account._import_staged(auto_commit=False)
        self.assertTrue(self.sale_orders())

    def test_report_path_follows_changes_without_listing(self):
        """On the reports path, cancellations and Amazon's shipments of known orders come
        from the all-orders report, whatever their number; the listing is not called."""
        self.generate(80, seed=408)
        self.account.write({"order_import_mode": "report", "order_report_interval_minutes": 0})

        def run_reports():
            for _n in range(8):
                self.run_orders()
                account = self.account
                if (
                    account.order_report_checkpoint
                    and account.order_update_checkpoint
                    and not account._report_request("orders")
                    and not account._report_request("updates")
                ):
                    return
            self.fail(f"reports not finished: {account.report_request_ids.read()}")

        run_reports()
        imported = self.sale_orders()
        self.assertGreater(len(imported), 50)
        streets = {so.id: so.partner_shipping_id.street for so in imported}
        # one buyer surely cancels an imported order (the seed's own cancellations may all
        # fall before the import when the machine is slow)
        unshipped = imported.filtered(
            lambda so: (
                so.amazon_fulfillment_channel == "mfn" and so.amazon_order_status == "Unshipped"
            )
        )[:1]
        self.sandbox.admin(
            "POST",
            f"/admin/sellers/{self.creds.seller_id}/orders/{unshipped.amazon_order_id}/cancel",
        )
        # a day later: some buyers canceled unshipped orders, Amazon shipped its orders
        self.sandbox.advance(86400)
        run_reports()
        remote = self.remote_orders()
        self.assertEqual(self.sale_orders(), imported, "no order twice")
        canceled = imported.filtered(lambda so: remote[so.amazon_order_id]["status"] == "Canceled")
        afn_shipped = imported.filtered(
            lambda so: (
                so.amazon_fulfillment_channel == "afn"
                and remote[so.amazon_order_id]["status"] == "Shipped"
            )
        )
        self.assertIn(unshipped, canceled, "the buyer's cancellation after the import")
        self.assertTrue(afn_shipped)
        for so in imported:
            self.assertEqual(so.amazon_order_status, remote[so.amazon_order_id]["status"])
            self.assertEqual(so.partner_shipping_id.street, streets[so.id])
        self.assertEqual(set(canceled.mapped("state")), {"cancel"})
        self.assertEqual(set(afn_shipped.picking_ids.mapped("state")), {"done"})
        # the stored Amazon data keeps the full address (the report has a partial one)
        payload = from_json(canceled[0].amazon_payload)
        self.assertTrue(payload["shipping_address"]["address_line1"])
        self.assertEqual(payload["status"], "Canceled")
        operations = set(
            self.env["amazon.api.log"]
            .search([("account_id", "=", self.account.id)])
            .mapped("operation")
        )
        self.assertNotIn(self.listing_operation, operations)
        self.assertIn(self.report_request_operation, operations)

    def test_manual_download_wizard(self):
        self.generate(20, seed=406)
        wizard = self.env["amazon.order.download"].create({"account_id": self.account.id})
        self.assertEqual(
            (wizard.date_to - wizard.date_from).days // 28, 3, "the last 3 months by default"
        )
        wizard.action_download()
        request = self.env["amazon.sync.request"].search([("account_id", "=", self.account.id)])
        self.assertEqual(request.job, "download_orders")
        self.assertEqual(request.payload["date_from"], str(wizard.date_from))
        self.assertFalse(self.sale_orders(), "nothing imported in the user's transaction")
        with self.assertRaises(UserError):  # one download at a time
            self.env["amazon.order.download"].create(
                {"account_id": self.account.id}
            ).action_download()
        request.unlink()
        # a short range (under a day) is listed with ListOrders; the checkpoint stays put
        self.sync_clock()
        server_now = self.account._server_now()
        self.account.write(
            {
                "order_download_from": server_now - timedelta(hours=20),
                "order_download_to": server_now,
                # the sync listing looks at the last 15 minutes only: the download does it
                "order_checkpoint": server_now,
            }
        )
        for _n in range(20):
            self.run_orders()
            if not self.account.order_download_from:
                break
        self.assertFalse(self.account.order_download_from)
        self.assertTrue(self.sale_orders())
