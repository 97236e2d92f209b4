from datetime import datetime
from unittest.mock import patch

from odoo import Command
from odoo.tests import TransactionCase, tagged

from ..lib import mws_api
from ..lib.feeds import build_feed
from .common import AmazonCase

COLUMNS = (
    "settlement-id",
    "settlement-start-date",
    "settlement-end-date",
    "deposit-date",
    "total-amount",
    "currency",
    "transaction-type",
    "order-id",
    "merchant-order-id",
    "adjustment-id",
    "shipment-id",
    "marketplace-name",
    "amount-type",
    "amount-description",
    "amount",
    "fulfillment-id",
    "posted-date",
    "posted-date-time",
    "order-item-code",
    "merchant-order-item-id",
    "merchant-adjustment-item-id",
    "sku",
    "quantity-purchased",
)


def settlement_file(settlement_id, currency, rows, total=None):
    """A V2 settlement flat file; rows: (transaction type, order id, amount type, description,
    amount)."""
    amounts = [f"{row[4]:.2f}" for row in rows]
    if total is None:
        total = sum(round(row[4], 2) for row in rows)
    first = dict.fromkeys(COLUMNS, "")
    first.update(
        {
            "settlement-id": settlement_id,
            "settlement-start-date": "2024-05-01 00:00:00 UTC",
            "settlement-end-date": "2024-05-15 00:00:00 UTC",
            "deposit-date": "2024-05-18 00:00:00 UTC",
            "total-amount": f"{total:.2f}",
            "currency": currency,
        }
    )
    lines = ["\t".join(COLUMNS), "\t".join(first[c] for c in COLUMNS)]
    for (transaction, order, kind, description, _amount), amount in zip(rows, amounts, strict=True):
        row = dict.fromkeys(COLUMNS, "")
        row.update(
            {
                "settlement-id": settlement_id,
                "transaction-type": transaction,
                "order-id": order or "",
                "adjustment-id": "ADJ-1" if transaction == "Refund" else "",
                "marketplace-name": "Amazon.com",
                "amount-type": kind,
                "amount-description": description,
                "amount": amount,
                "posted-date": "2024-05-10",
                "posted-date-time": "2024-05-10 10:00:00 UTC",
                "sku": "SKU-1" if order else "",
                "quantity-purchased": "1" if transaction == "Order" else "",
            }
        )
        lines.append("\t".join(row[c] for c in COLUMNS))
    return ("\n".join(lines) + "\n").encode()


@tagged("post_install", "-at_install")
class TestSettlementReconcile(TransactionCase):
    """Settlement files → one journal entry that pays the Amazon orders' invoices."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        if not cls.company.chart_template:
            cls.env["account.chart.template"].try_loading("generic_coa", cls.company)
        cls.account = cls.env["amazon.account"].create(
            {
                "name": "Settlement test",
                "environment": "sandbox",
                "sandbox_url": "http://127.0.0.1:9",
                "marketplace_id": cls.env.ref("amazon_integration.marketplace_us").id,
                "merchant_id": "SETTLEMENT-TEST",
                "amazon_api": "mws",
                "access_key": "AK",
                "secret_key": "SK",
            }
        )
        Account = cls.env["account.account"]
        cls.fee_account = Account.create(
            {"name": "Amazon fees", "code": "AMZFEE", "account_type": "expense"}
        )
        cls.suspense = Account.create(
            {"name": "Amazon suspense", "code": "AMZSUS", "account_type": "asset_current"}
        )
        cls.account.write(
            {
                "settlement_fee_account_id": cls.fee_account.id,
                "settlement_suspense_account_id": cls.suspense.id,
            }
        )
        cls.partner = cls.env["res.partner"].create({"name": "Amazon buyer"})
        cls.tax = cls.env["account.tax"].create(
            {"name": "Sales tax 10 %", "amount": 10, "type_tax_use": "sale"}
        )
        cls.product = cls.env["product.product"].create(
            {
                "name": "Settled product",
                "type": "consu",
                "invoice_policy": "order",
                "list_price": 10,
                "taxes_id": [Command.clear()],
            }
        )
        cls.Settlement = cls.env["amazon.settlement"]

    def make_order(self, amazon_id, price, quantity=1, taxes=None, invoice=True, pricelist=None):
        order = self.env["sale.order"].create(
            {
                "partner_id": self.partner.id,
                "amazon_account_id": self.account.id,
                "amazon_order_id": amazon_id,
                "pricelist_id": pricelist and pricelist.id,
                "order_line": [
                    Command.create(
                        {
                            "product_id": self.product.id,
                            "product_uom_qty": quantity,
                            "price_unit": price,
                            "tax_id": [Command.set((taxes or self.env["account.tax"]).ids)],
                        }
                    )
                ],
            }
        )
        order.action_confirm()
        if invoice:
            order._create_invoices().action_post()
        return order

    def credit_note(self, invoice):
        refund = invoice._reverse_moves()
        refund.action_post()
        return refund

    def move_amount(self, move, account):
        lines = move.line_ids.filtered(lambda line: line.account_id == account)
        return round(sum(lines.mapped("balance")), 2)

    def test_amazon_collected_tax_is_no_revenue_and_clears_at_settlement(self):
        """Issue: the "Amazon tax" line of an order (tax Amazon collects and remits as the
        marketplace facilitator) was booked as our revenue. It goes to a clearing account,
        which the settlement's withheld tax clears to zero; the invoice is paid in full."""
        order = self.make_order("111-0000009-0000009", 52.48, invoice=False)
        tax_product = self.account._service_product("tax", {})
        order.order_line = [
            Command.create(
                {
                    "product_id": tax_product.id,
                    "price_unit": 4.74,
                    "tax_id": [Command.clear()],
                    "amazon_line_kind": "tax",
                }
            )
        ]
        invoice = order._create_invoices()
        invoice.action_post()
        clearing = self.account.amazon_collected_tax_account_id
        self.assertTrue(clearing, "created on first use")
        tax_line = invoice.invoice_line_ids.filtered(lambda line: line.product_id == tax_product)
        self.assertEqual(tax_line.account_id, clearing)
        self.assertNotEqual(clearing.internal_group, "income", "not revenue")
        self.assertEqual(invoice.amount_total, 57.22)
        body = settlement_file(
            "12345678911",
            "USD",
            [
                ("Order", order.amazon_order_id, "ItemPrice", "Principal", 52.48),
                ("Order", order.amazon_order_id, "ItemPrice", "Tax", 4.74),
                (
                    "Order",
                    order.amazon_order_id,
                    "ItemWithheldTax",
                    "MarketplaceFacilitatorTax-Principal",
                    -4.74,
                ),
                ("Order", order.amazon_order_id, "ItemFees", "Commission", -7.87),
            ],
        )
        settlement = self.Settlement._import_report(self.account, "R-11", body)
        settlement._reconcile()
        self.assertEqual(invoice.payment_state, "paid")
        self.assertEqual(settlement.state, "reconciled")
        balance = sum(
            self.env["account.move.line"]
            .search([("account_id", "=", clearing.id)])
            .mapped("balance")
        )
        self.assertAlmostEqual(balance, 0.0, places=2, msg="cleared to the cent")
        # a marketplace where the seller collects the tax keeps Amazon's tax line as before
        self.account.marketplace_id.tax_collected_by_amazon = False
        other = self.make_order("111-0000010-0000010", 10.0, invoice=False)
        other.order_line = [
            Command.create(
                {"product_id": tax_product.id, "price_unit": 1.0, "amazon_line_kind": "tax"}
            )
        ]
        other_invoice = other._create_invoices()
        line = other_invoice.invoice_line_ids.filtered(
            lambda inv_line: inv_line.product_id == tax_product
        )
        self.assertNotEqual(line.account_id, clearing)

    def test_reconcile_orders_refund_fees_and_unknown(self):
        order_a = self.make_order("111-0000001-0000001", 100.0, taxes=self.tax)
        order_b = self.make_order("111-0000002-0000002", 25.0, quantity=2, invoice=False)
        order_c = self.make_order("111-0000003-0000003", 40.0)
        self.assertEqual(order_a.invoice_ids.amount_total, 110.0)
        self.assertFalse(order_b.invoice_ids)
        body = settlement_file(
            "12345678901",
            "USD",
            [
                ("Order", order_a.amazon_order_id, "ItemPrice", "Principal", 100.0),
                ("Order", order_a.amazon_order_id, "ItemPrice", "Tax", 10.0),
                (
                    "Order",
                    order_a.amazon_order_id,
                    "ItemWithheldTax",
                    "MarketplaceFacilitatorTax-Principal",
                    -10.0,
                ),
                ("Order", order_a.amazon_order_id, "ItemFees", "Commission", -15.0),
                ("Order", order_b.amazon_order_id, "ItemPrice", "Principal", 50.0),
                ("Order", order_b.amazon_order_id, "ItemFees", "Commission", -7.5),
                ("Order", order_b.amazon_order_id, "ItemFees", "FBAPerUnitFulfillmentFee", -3.22),
                ("Order", order_c.amazon_order_id, "ItemPrice", "Principal", 30.0),
                ("Order", order_c.amazon_order_id, "ItemPrice", "Shipping", 15.0),
                ("Order", order_c.amazon_order_id, "Promotion", "Principal", -5.0),
                ("Order", order_c.amazon_order_id, "ItemFees", "Commission", -6.0),
                ("Order", "999-9999999-9999999", "ItemPrice", "Principal", 12.34),
                ("Order", "999-9999999-9999999", "ItemFees", "Commission", -1.85),
                ("other-transaction", None, "other-transaction", "Subscription Fee", -39.99),
                ("other-transaction", None, "other-transaction", "Current Reserve Amount", -5.0),
            ],
        )
        settlement = self.Settlement._import_report(self.account, "R-1", body)
        self.assertEqual(settlement.state, "imported")
        self.assertEqual(settlement.settlement_id, "12345678901")
        self.assertEqual(len(settlement.line_ids), 15)
        self.assertAlmostEqual(settlement.total_amount, 123.78)
        self.assertEqual(settlement.currency_id.name, "USD")
        self.assertTrue(settlement.attachment_id.raw.startswith(b"settlement-id"))

        settlement._reconcile()
        move = settlement.move_id
        self.assertEqual(move.state, "posted")
        self.assertEqual(move.journal_id.type, "bank")
        self.assertEqual(self.account.settlement_journal_id, move.journal_id)
        self.assertEqual(
            round(sum(move.line_ids.mapped("debit")), 2),
            round(sum(move.line_ids.mapped("credit")), 2),
        )
        self.assertEqual(self.move_amount(move, move.journal_id.default_account_id), 123.78)

        # invoices paid, the missing one created and posted
        self.assertEqual(len(order_b.invoice_ids), 1, "B was invoiceable: invoiced and posted")
        self.assertEqual(order_b.invoice_ids.state, "posted")
        self.assertEqual(len(order_c.invoice_ids), 1, "no second invoice for C")
        for invoice in order_a.invoice_ids | order_b.invoice_ids | order_c.invoice_ids:
            self.assertEqual(invoice.amount_residual, 0.0, invoice.name)
            self.assertEqual(invoice.payment_state, "paid", invoice.name)

        # fees; the withheld tax goes to the Amazon-collected tax account (the US marketplace
        # has Amazon collect the tax) when no withheld account is set
        fees = 15.0 + 7.5 + 3.22 + 6.0 + 1.85 + 39.99
        self.assertEqual(self.move_amount(move, self.fee_account), round(fees, 2))
        clearing = self.account.amazon_collected_tax_account_id
        self.assertEqual(clearing.code, "AMZTAX")
        self.assertEqual(self.move_amount(move, clearing), 10.0)
        # unknown order and reserve: suspense, listed for review
        self.assertEqual(self.move_amount(move, self.suspense), round(-12.34 + 5.0, 2))
        unmatched = settlement.line_ids.filtered(lambda line: line.state == "unmatched")
        self.assertEqual(
            sorted(unmatched.mapped("amount")), [-5.0, 12.34], unmatched.mapped("note")
        )
        self.assertIn("not in Odoo", unmatched.filtered(lambda line: line.order_ref).note)
        self.assertEqual(settlement.state, "partial")
        self.assertTrue(settlement.activity_ids)
        self.assertAlmostEqual(settlement.unmatched_amount, 7.34)
        lines_a = settlement.line_ids.filtered(
            lambda line: line.order_ref == order_a.amazon_order_id
        )
        self.assertEqual(sorted(lines_a.mapped("state")), ["fee", "fee", "matched", "matched"])
        self.assertEqual(
            lines_a.filtered(lambda line: line.state == "matched").move_id, order_a.invoice_ids
        )
        self.assertEqual(lines_a.sale_order_id, order_a)

        # twice: nothing more
        moves_before = self.env["account.move"].search_count([])
        self.assertFalse(settlement._reconcile())
        settlement.action_reconcile()
        self.assertEqual(self.env["account.move"].search_count([]), moves_before)
        self.assertEqual(settlement.move_id, move)

        # C is refunded later: the next settlement pays the credit note back
        credit_c = self.credit_note(order_c.invoice_ids)
        self.assertEqual(credit_c.amount_residual, 40.0)
        refund = self.Settlement._import_report(
            self.account,
            "R-1B",
            settlement_file(
                "12345678911",
                "USD",
                [
                    ("Refund", order_c.amazon_order_id, "ItemPrice", "Principal", -30.0),
                    ("Refund", order_c.amazon_order_id, "ItemPrice", "Shipping", -15.0),
                    ("Refund", order_c.amazon_order_id, "Promotion", "Principal", 5.0),
                    ("Refund", order_c.amazon_order_id, "ItemFees", "Commission", 6.0),
                    ("Refund", order_c.amazon_order_id, "ItemFees", "RefundCommission", -1.2),
                ],
            ),
        )
        refund._reconcile()
        self.assertEqual(refund.state, "reconciled")
        self.assertEqual(credit_c.amount_residual, 0.0)
        # Odoo shows a paid credit note of an invoice as "reversed"
        self.assertIn(credit_c.payment_state, ("paid", "reversed"))
        matched = refund.line_ids.filtered(lambda line: line.state == "matched")
        self.assertEqual(len(matched), 3)
        self.assertEqual(matched.move_id, credit_c)
        self.assertEqual(self.move_amount(refund.move_id, self.fee_account), -4.8)
        self.assertEqual(
            self.move_amount(refund.move_id, refund.move_id.journal_id.default_account_id), -35.2
        )
        self.assertEqual(refund.move_id.journal_id, move.journal_id, "the same Amazon journal")

    def test_amount_difference_goes_to_suspense(self):
        order = self.make_order("111-0000004-0000004", 100.0)
        body = settlement_file(
            "12345678902",
            "USD",
            [
                ("Order", order.amazon_order_id, "ItemPrice", "Principal", 90.0),
                ("Order", order.amazon_order_id, "ItemFees", "Commission", -13.5),
            ],
        )
        settlement = self.Settlement._import_report(self.account, "R-2", body)
        settlement._reconcile()
        self.assertEqual(settlement.state, "partial")
        self.assertEqual(order.invoice_ids.amount_residual, 100.0, "left open")
        principal = settlement.line_ids.filtered(lambda line: line.amount_type == "ItemPrice")
        self.assertEqual(principal.state, "unmatched")
        self.assertEqual(principal.sale_order_id, order)
        self.assertIn("100.0", principal.note)
        self.assertEqual(self.move_amount(settlement.move_id, self.suspense), -90.0)
        self.assertEqual(self.move_amount(settlement.move_id, self.fee_account), 13.5)

    def test_one_cent_difference_is_matched(self):
        order = self.make_order("111-0000005-0000005", 33.33)
        body = settlement_file(
            "12345678903",
            "USD",
            [("Order", order.amazon_order_id, "ItemPrice", "Principal", 33.34)],
        )
        settlement = self.Settlement._import_report(self.account, "R-3", body)
        settlement._reconcile()
        self.assertEqual(settlement.state, "reconciled")
        self.assertFalse(settlement.activity_ids)
        self.assertEqual(order.invoice_ids.payment_state, "paid")
        self.assertEqual(self.move_amount(settlement.move_id, self.fee_account), -0.01)

    def test_order_amount_that_is_no_payment_goes_to_suspense(self):
        """A reimbursement with the order's id is on none of its invoices: the order is paid,
        the reimbursement waits in suspense (classification: lib/settlement.classify_line)."""
        order = self.make_order("111-0000009-0000009", 30.0)
        body = settlement_file(
            "12345678909",
            "USD",
            [
                ("Order", order.amazon_order_id, "ItemPrice", "Principal", 30.0),
                ("Order", order.amazon_order_id, "ItemFees", "Commission", -4.5),
                (
                    "other-transaction",
                    order.amazon_order_id,
                    "FBA Inventory Reimbursement",
                    "CustomerReturn",
                    30.0,
                ),
            ],
        )
        settlement = self.Settlement._import_report(self.account, "R-10", body)
        kinds = settlement.line_ids.sorted("sequence").mapped("kind")
        self.assertEqual(kinds, ["order", "fee", "other"])
        settlement._reconcile()
        self.assertEqual(settlement.state, "partial")
        self.assertEqual(order.invoice_ids.payment_state, "paid")
        reimbursement = settlement.line_ids.filtered(lambda line: line.kind == "other")
        self.assertEqual(reimbursement.state, "unmatched")
        self.assertIn("Not a payment", reimbursement.note)
        self.assertEqual(self.move_amount(settlement.move_id, self.suspense), -30.0)

    def test_malformed_report_is_an_error_with_nothing_written(self):
        body = settlement_file(
            "12345678904", "USD", [("Order", "111-1", "ItemPrice", "Principal", 10.0)]
        )
        broken = body.replace(b"\t10.00\t", b"\tten dollars\t")
        settlement = self.Settlement._import_report(self.account, "R-4", broken)
        self.assertEqual(settlement.state, "error")
        self.assertIn("amount", settlement.error_message)
        self.assertFalse(settlement.line_ids)
        self.assertFalse(settlement.settlement_id)
        self.assertEqual(settlement.attachment_id.raw, broken)
        self.assertIn("cannot be read", settlement.message_ids[0].body)
        # an incomplete file (lines do not add up to the total) is refused too
        incomplete = settlement_file(
            "12345678905", "USD", [("Order", "111-1", "ItemPrice", "Principal", 10.0)], total=20
        )
        settlement = self.Settlement._import_report(self.account, "R-5", incomplete)
        self.assertEqual(settlement.state, "error")
        self.assertIn("incomplete", settlement.error_message)
        self.assertFalse(settlement.line_ids)
        # reconciling a settlement that could not be read books nothing
        settlement.action_reconcile()
        self.assertFalse(settlement.move_id)
        # the same settlement id twice: imported once
        good = settlement_file(
            "12345678906", "USD", [("other-transaction", None, "Fee", "Subscription Fee", -1.0)]
        )
        first = self.Settlement._import_report(self.account, "R-6", good)
        self.assertEqual(first.state, "imported")
        self.assertFalse(self.Settlement._import_report(self.account, "R-7", good))

    def test_foreign_currency_settlement(self):
        company_currency = self.company.currency_id
        currency = self.env.ref("base.EUR" if company_currency.name != "EUR" else "base.USD")
        currency.active = True
        self.env["res.currency.rate"].create(
            {
                "name": "2024-01-01",
                "rate": 0.5,
                "currency_id": currency.id,
                "company_id": self.company.id,
            }
        )
        pricelist = self.env["product.pricelist"].create(
            {"name": "Foreign", "currency_id": currency.id}
        )
        order = self.make_order("302-0000001-0000001", 80.0, pricelist=pricelist)
        self.assertEqual(order.invoice_ids.currency_id, currency)
        body = settlement_file(
            "12345678907",
            currency.name,
            [
                ("Order", order.amazon_order_id, "ItemPrice", "Principal", 80.0),
                ("Order", order.amazon_order_id, "ItemFees", "Commission", -12.0),
            ],
        )
        settlement = self.Settlement._import_report(self.account, "R-8", body)
        settlement._reconcile()
        self.assertEqual(settlement.state, "reconciled")
        move = settlement.move_id
        self.assertEqual(set(move.line_ids.currency_id.mapped("name")), {currency.name})
        deposit = move.line_ids.filtered(
            lambda line: line.account_id == move.journal_id.default_account_id
        )
        self.assertEqual(deposit.amount_currency, 68.0)
        self.assertEqual(deposit.balance, 136.0)  # 1 company unit = 0.5 foreign
        self.assertEqual(order.invoice_ids.amount_residual, 0.0)
        self.assertEqual(order.invoice_ids.payment_state, "paid")

    def test_retry_after_configuration_error(self):
        journal = self.env["account.journal"].create(
            {
                "name": "Amazon CAD",
                "code": "AMZC",
                "type": "bank",
                "currency_id": self.env.ref("base.CAD").id,
            }
        )
        self.env.ref("base.CAD").active = True
        self.account.settlement_journal_id = journal
        order = self.make_order("111-0000006-0000006", 20.0)
        body = settlement_file(
            "12345678908", "USD", [("Order", order.amazon_order_id, "ItemPrice", "Principal", 20)]
        )
        settlement = self.Settlement._import_report(self.account, "R-9", body)
        self.assertFalse(settlement._reconcile_safe() == [])
        self.assertEqual(settlement.state, "error")
        self.assertIn("CAD", settlement.error_message)
        self.assertFalse(settlement.move_id)
        self.assertEqual(order.invoice_ids.amount_residual, 20.0)
        self.account.settlement_journal_id = False
        settlement.action_retry()
        self.env["amazon.sync.request"]._run_pending()  # the cron's part
        self.assertEqual(settlement.state, "reconciled")
        self.assertEqual(order.invoice_ids.payment_state, "paid")


@tagged("post_install", "-at_install")
class TestSettlementDownload(AmazonCase):
    """Settlement reports from the sandbox: listed, downloaded once, stored, reconciled."""

    # what the API names (the SP-API variant of this class sets its own)
    download_operation = "GetReport"
    list_operation = "GetReportList"
    next_operation = "GetReportListByNextToken"
    page_size = (mws_api, "REPORT_PAGE_SIZE")

    def setUp(self):
        super().setUp()
        self.seller = self.creds.seller_id

    def stored_id(self, report_id):
        """What the account stores for a report the sandbox settled (MWS: its id)."""
        return report_id

    def sandbox_now(self):
        clock = self.sandbox.admin("GET", "/admin/clock")
        return datetime.fromisoformat(clock["now"].replace("Z", "+00:00"))

    def ship_new_orders(self, count, seed):
        """Create orders in the sandbox, let payments clear, ship them all; settle now."""
        self.sandbox.admin(
            "POST", f"/admin/sellers/{self.seller}/orders", {"count": count, "seed": seed}
        )
        self.sandbox.advance(3600)
        orders = self.sandbox.admin("GET", f"/admin/sellers/{self.seller}/orders")
        mfn = [
            o for o in orders if o["status"] == "Unshipped" and o["fulfillment_channel"] == "MFN"
        ]
        if mfn:
            now = self.sandbox_now()
            feed = build_feed(
                "OrderFulfillment",
                self.seller,
                [
                    {
                        "key": o["amazon_order_id"],
                        "fulfillment_date": now,
                        "amazon_order_id": o["amazon_order_id"],
                        "carrier": "UPS",
                        "shipping_method": "Ground",
                        "tracking_number": f"1Z{n:010d}",
                    }
                    for n, o in enumerate(mfn)
                ],
            )
            self.sandbox.process(self.creds, feed.xml, feed.feed_type)
        self.sandbox.advance(5 * 3600)  # AFN orders ship by themselves
        settled = self.sandbox.admin("POST", f"/admin/sellers/{self.seller}/settle")
        self.assertTrue(settled["report_id"], "the sandbox settled something")
        return settled["report_id"]

    def odoo_order_for(self, remote):
        """The Odoo side of a sandbox order: confirmed and invoiced for its total."""
        partner = self.env["res.partner"].create({"name": remote.get("buyer_name") or "Buyer"})
        product = self.env["product.product"].create(
            {"name": "Amazon item", "type": "service", "invoice_policy": "order"}
        )
        order = self.env["sale.order"].create(
            {
                "partner_id": partner.id,
                "amazon_account_id": self.account.id,
                "amazon_order_id": remote["amazon_order_id"],
                "order_line": [
                    Command.create(
                        {
                            "product_id": product.id,
                            "price_unit": float(remote["order_total"]),
                            "tax_id": [Command.clear()],
                        }
                    )
                ],
            }
        )
        order.action_confirm()
        order._create_invoices().action_post()
        return order

    def calls(self, operation):
        return self.env["amazon.api.log"].search_count(
            [("account_id", "=", self.account.id), ("operation", "=", operation)]
        )

    def test_download_once_and_reconcile(self):
        report_id = self.ship_new_orders(4, seed=41)
        remote = self.sandbox.admin("GET", f"/admin/sellers/{self.seller}/orders")
        shipped = [o for o in remote if o["status"] == "Shipped"]
        self.assertGreaterEqual(len(shipped), 2)
        known = self.odoo_order_for(shipped[0])
        errors = self.account._settlement_step()
        self.assertEqual(errors, [])
        settlement = self.account.settlement_ids
        self.assertEqual(len(settlement), 1)
        self.assertEqual(settlement.report_id, self.stored_id(report_id))
        self.assertEqual(len(settlement.settlement_id), 11)
        self.assertEqual(settlement.currency_id.name, "USD")
        self.assertTrue(settlement.line_ids)
        self.assertAlmostEqual(
            sum(settlement.line_ids.mapped("amount")), settlement.total_amount, places=2
        )
        self.assertTrue(settlement.line_ids.filtered(lambda line: line.kind == "fee"))
        self.assertTrue(self.account.settlement_checkpoint)
        # the order in Odoo is paid; the others wait in suspense; fees are booked
        self.assertEqual(settlement.state, "partial")
        move = settlement.move_id
        self.assertEqual(move.state, "posted")
        self.assertEqual(
            round(sum(move.line_ids.mapped("debit")), 2),
            round(sum(move.line_ids.mapped("credit")), 2),
        )
        self.assertEqual(known.invoice_ids.payment_state, "paid")
        self.assertEqual(known.invoice_ids.amount_residual, 0.0)
        order_lines = settlement.line_ids.filtered(lambda line: line.kind == "order")
        self.assertEqual(
            set(order_lines.filtered(lambda line: line.sale_order_id == known).mapped("state")),
            {"matched"},
        )
        others = order_lines.filtered(lambda line: line.order_ref != known.amazon_order_id)
        self.assertTrue(others)
        self.assertEqual(set(others.mapped("state")), {"unmatched"})

        downloads = self.calls(self.download_operation)
        self.assertEqual(downloads, 1)
        listings = self.calls(self.list_operation)
        self.assertEqual(self.account._settlement_step(), [])
        self.assertEqual(self.calls(self.list_operation), listings, "listed hourly at most")
        self.assertEqual(self.account._settlement_step(force=True), [])
        self.assertEqual(self.calls(self.list_operation), listings + 1)
        self.assertEqual(len(self.account.settlement_ids), 1, "nothing imported twice")
        self.assertEqual(
            self.calls(self.download_operation), 1, "a known report is not downloaded again"
        )

        # a new period: only the new report is downloaded
        second = self.ship_new_orders(2, seed=42)
        self.account.settlement_next_check = False  # the hour has passed
        self.assertEqual(self.account._settlement_step(), [])
        self.assertEqual(len(self.account.settlement_ids), 2)
        self.assertIn(self.stored_id(second), self.account.settlement_ids.mapped("report_id"))
        self.assertEqual(self.calls(self.download_operation), 2)

    def test_malformed_download_then_retry(self):
        self.ship_new_orders(3, seed=43)
        self.sandbox.fault(self.creds, "malformed", operation=self.download_operation, count=1)
        errors = self.account._settlement_step()
        settlement = self.account.settlement_ids
        self.assertEqual(len(settlement), 1)
        self.assertEqual(settlement.state, "error")
        self.assertTrue(errors)
        self.assertIn(settlement.error_message, errors[0])
        self.assertFalse(settlement.line_ids, "nothing half-written")
        self.assertFalse(settlement.move_id)
        self.assertTrue(settlement.attachment_id)
        # the next run does not import it again
        self.assertEqual(len(self.account._settlement_step(force=True)), 0)
        self.assertEqual(len(self.account.settlement_ids), 1)
        # Retry downloads it again, then books it
        settlement.action_retry()
        self.env["amazon.sync.request"]._run_pending()  # the cron's part
        self.assertIn(settlement.state, ("partial", "reconciled"))
        self.assertTrue(settlement.line_ids)
        self.assertTrue(settlement.move_id)

    def test_quota_exhausted_stops_quietly(self):
        self.ship_new_orders(2, seed=44)
        bucket = self.env["amazon.quota.bucket"]
        for _i in range(20):
            if bucket._acquire(self.account, self.list_operation):
                break
        self.assertEqual(self.account._settlement_step(), [])
        self.assertFalse(self.account.settlement_ids)
        self.assertFalse(self.account.settlement_checkpoint)
        self.assertEqual(self.calls(self.list_operation), 0, "nothing sent")
        self.assertFalse(self.account.settlement_next_check, "tried again on the next run")

    def test_paging_and_restart_after_corrupted_token(self):
        first = self.ship_new_orders(2, seed=45)
        second = self.ship_new_orders(2, seed=46)
        self.sandbox.fault(self.creds, "next_token_corrupted", count=1)
        self.account.settlement_auto_reconcile = False
        with patch.object(*self.page_size, 1):
            self.assertEqual(self.account._settlement_step(), [])
        self.assertEqual(
            sorted(self.account.settlement_ids.mapped("report_id")),
            sorted([self.stored_id(first), self.stored_id(second)]),
        )
        self.assertEqual(set(self.account.settlement_ids.mapped("state")), {"imported"})
        self.assertFalse(self.account.settlement_ids.move_id)
        if self.next_operation == self.list_operation:  # one operation for both (SP-API)
            self.assertEqual(self.calls(self.list_operation), 4, "listed again from the start")
        else:
            self.assertEqual(self.calls(self.list_operation), 2, "listed again from the start")
            self.assertEqual(self.calls(self.next_operation), 2)
        self.assertEqual(self.calls(self.download_operation), 2)
