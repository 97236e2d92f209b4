import base64
from datetime import timedelta
from decimal import Decimal
from unittest.mock import patch

from odoo import fields
from odoo.tests import Form, new_test_user, tagged

from ..lib.order_values import from_json, order_amounts
from ..models.amazon_order_feeds import ORDER_FEED_KINDS
from .common import AmazonCase


@tagged("post_install", "-at_install")
class TestOrderFeeds(AmazonCase):
    """Acknowledgements, shipments, seller cancellations and refunds reach the sandbox."""

    # what the API names (the SP-API variant of this class sets its own)
    submit_operation = "SubmitFeed"
    fulfillment_feed_type = "_POST_ORDER_FULFILLMENT_DATA_"
    unreadable_code = "MalformedResponse"
    feeds_admin = ("feeds", "feed_id", "feed_type")  # the sandbox's list of the API's feeds

    def setUp(self):
        super().setUp()
        self.env["ir.config_parameter"].sudo().set_param("integrator_base.capture_enabled", "True")
        self.stock_location = self.account.warehouse_ids.lot_stock_id
        self.partner = self.env["res.partner"].create({"name": "Amazon Buyer"})
        self.carrier = self.env["delivery.carrier"].create(
            {
                "name": "UPS",
                "product_id": self.env["product.product"]
                .create({"name": "UPS shipping", "type": "service"})
                .id,
            }
        )

    # ------------------------------------------------------------------ helpers

    def amazon_orders(self, count):
        """Unshipped MFN orders of the sandbox seller, past the payment hold (``count``
        of them, or all with 0)."""
        seller = self.creds.seller_id
        self.sandbox.admin("POST", f"/admin/sellers/{seller}/orders", {"count": 40, "seed": 5})
        self.sandbox.advance(4 * 3600)
        orders = [
            order
            for order in self.sandbox.admin("GET", f"/admin/sellers/{seller}/orders")
            if order["status"] == "Unshipped"
            and order["fulfillment_channel"] == "MFN"
            and not order.get("planned_cancel_date")
        ]
        self.assertGreaterEqual(len(orders), count or 1)
        return orders[:count] if count else orders

    def odoo_order(self, amazon_order):
        """The Odoo side of an Amazon order, as the order import makes it."""
        lines = []
        for item in amazon_order["items"]:
            product = self.env["product.product"].search(
                [("default_code", "=", item["seller_sku"])], limit=1
            ) or self.env["product.product"].create(
                {
                    "name": item["title"][:60],
                    "default_code": item["seller_sku"],
                    "type": "consu",
                    "is_storable": True,
                    "invoice_policy": "order",
                }
            )
            self.env["stock.quant"]._update_available_quantity(
                product, self.stock_location, item["quantity_ordered"]
            )
            quantity = item["quantity_ordered"]
            lines.append(
                (
                    0,
                    0,
                    {
                        "product_id": product.id,
                        "product_uom_qty": quantity,
                        "price_unit": float(item["item_price"]) / quantity,
                        "tax_id": [(6, 0, [])],
                        "amazon_order_item_id": item["order_item_id"],
                        "amazon_line_kind": "item",
                    },
                )
            )
        amounts = order_amounts(from_json(amazon_order))
        for kind in ("shipping", "gift_wrap", "tax"):  # the order's service lines, as the import
            if amounts[kind]:
                lines.append(
                    (
                        0,
                        0,
                        {
                            "product_id": self.account._service_product(kind, {}).id,
                            "product_uom_qty": 1,
                            "price_unit": float(amounts[kind]),
                            "tax_id": [(6, 0, [])],
                            "amazon_line_kind": kind,
                        },
                    )
                )
        order = self.env["sale.order"].create(
            {
                "partner_id": self.partner.id,
                "amazon_account_id": self.account.id,
                "amazon_order_id": amazon_order["amazon_order_id"],
                "amazon_fulfillment_channel": "mfn",
                "warehouse_id": self.account.warehouse_ids[:1].id,
                "amazon_payload": amazon_order,
                "order_line": lines,
            }
        )
        order.with_context(integrator_no_capture=True).action_confirm()
        order.amazon_ack_state = "todo"
        return order

    def deliver(self, order, quantities=None, tracking="1Z999AA10123456784"):
        picking = order.picking_ids.filtered(lambda p: p.state not in ("done", "cancel"))
        picking.carrier_id = self.carrier
        picking.carrier_tracking_ref = tracking
        for move in picking.move_ids:
            move.quantity = (quantities or {}).get(move.sale_line_id.id, move.product_uom_qty)
            move.picked = True
        result = picking.button_validate()
        if isinstance(result, dict) and result.get("res_model") == "stock.backorder.confirmation":
            Form(
                self.env["stock.backorder.confirmation"].with_context(result["context"])
            ).save().process()
        return picking

    def run_cycle(self, advance=600):
        """Poll the feeds in flight and send the order feeds (the order import, which the
        cron also runs, is tested on its own: here the Odoo orders are made by hand)."""
        self.env.cr.precommit.run()
        self.sandbox.advance(advance)
        self.account.feed_ids.write({"next_check_at": False})
        self.account._poll_feeds()
        self.account._order_feeds_step()

    def refund(self, order, change=None):
        """Deliver, invoice and refund the whole order (a posted credit note); ``change``
        edits the draft credit note first."""
        self.deliver(order)
        invoice = order._create_invoices()
        invoice.action_post()
        reversal = (
            self.env["account.move.reversal"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create({"reason": "Returned", "journal_id": invoice.journal_id.id})
        )
        reversal.refund_moves()
        credit_note = order.invoice_ids.filtered(lambda m: m.move_type == "out_refund")
        if change:
            change(credit_note)
        credit_note.action_post()
        return credit_note

    def remote(self, order):
        seller = self.creds.seller_id
        return next(
            o
            for o in self.sandbox.admin("GET", f"/admin/sellers/{seller}/orders")
            if o["amazon_order_id"] == order.amazon_order_id
        )

    def rows(self, order, operation):
        return self.env["order.integration"].search(
            [("sale_order_id", "in", order.ids), ("record_operation", "=", operation)]
        )

    # ------------------------------------------------------------------ tests

    def test_acknowledgements_go_out_in_one_feed(self):
        orders = self.env["sale.order"]
        for amazon_order in self.amazon_orders(3):
            orders |= self.odoo_order(amazon_order)
        self.run_cycle(advance=1)
        feed = self.account.feed_ids.filtered(lambda f: f.kind == "order_ack")
        self.assertEqual(feed.message_count, 3, "every pending order in one feed")
        self.assertEqual(set(orders.mapped("amazon_ack_state")), {"sent"})
        self.run_cycle()
        self.assertEqual(feed.state, "done")
        self.assertEqual(set(orders.mapped("amazon_ack_state")), {"done"})
        acknowledged = self.remote(orders[0])["acknowledged"]
        self.assertEqual(acknowledged["merchant_order_id"], orders[0].name)

    def test_shipments_confirmed_with_tracking_many_per_feed(self):
        orders = self.env["sale.order"]
        for amazon_order in self.amazon_orders(3):
            orders |= self.odoo_order(amazon_order)
        for order in orders:
            self.deliver(order)
        self.run_cycle(advance=1)
        feed = self.account.feed_ids.filtered(lambda f: f.kind == "order_fulfillment")
        self.assertEqual(feed.message_count, 3)
        self.assertEqual(set(self.rows(orders, "shipped").mapped("amazon_status")), {"submitted"})
        self.run_cycle()
        self.assertEqual(feed.state, "done")
        self.assertEqual(feed.error_count, 0)
        for order in orders:
            remote = self.remote(order)
            self.assertEqual(remote["status"], "Shipped")
            self.assertEqual(remote["shipments"][0]["tracking_number"], "1Z999AA10123456784")
        self.assertEqual(set(self.rows(orders, "shipped").mapped("amazon_status")), {"success"})

    def test_partial_shipment(self):
        amazon_order = next(
            o for o in self.amazon_orders(10) if any(i["quantity_ordered"] > 1 for i in o["items"])
        )
        order = self.odoo_order(amazon_order)
        line = order.order_line.filtered(lambda sol: sol.product_uom_qty > 1)[:1]
        quantities = {sol.id: (1 if sol == line else 0) for sol in order.order_line}
        self.deliver(order, quantities)
        self.run_cycle(advance=1)
        self.run_cycle()
        remote = self.remote(order)
        self.assertEqual(remote["status"], "PartiallyShipped")
        shipped = {i["order_item_id"]: i["quantity_shipped"] for i in remote["items"]}
        self.assertEqual(shipped[line.amazon_order_item_id], 1)

    def test_seller_cancellation(self):
        order = self.odoo_order(self.amazon_orders(1)[0])
        order.amazon_ack_state = "done"
        self.assertEqual(order.amazon_cancel_reason, self.account.cancel_reason)
        action = order.action_cancel()
        self.assertEqual(action["res_model"], "amazon.order.cancel", "the reason is asked for")
        self.assertNotEqual(order.state, "cancel")
        wizard = Form(self.env["amazon.order.cancel"].with_context(action["context"]))
        self.assertEqual(wizard.reason, "NoInventory", "the account's default")
        wizard.reason = "CustomerExchange"
        wizard.save().action_confirm()
        self.assertEqual(order.state, "cancel")
        self.run_cycle(advance=1)
        feed = self.account.feed_ids.filtered(lambda f: f.kind == "order_ack")
        self.assertEqual(feed.message_count, 1)
        xml = base64.b64decode(feed.feed_xml)
        self.assertIn(b"<StatusCode>Failure</StatusCode>", xml)
        self.assertIn(b"<CancelReason>CustomerExchange</CancelReason>", xml)
        self.assertNotIn(b"NoInventory", xml)
        self.run_cycle()
        self.assertEqual(self.remote(order)["status"], "Canceled")
        self.assertEqual(self.rows(order, "cancellation").amazon_status, "success")

    def test_refund_sends_an_adjustment(self):
        """A full refund of an order of several items, each with its tax (some with
        shipping): Amazon adjusts per item and per component and refuses more than an item
        was charged (the sandbox too), so the order's shipping and tax lines are shared out
        by what each item was charged; it used to put all of them on the first item."""
        candidates = [
            o
            for o in self.amazon_orders(0)  # every one the seed made
            if len(o["items"]) >= 2
            and sum(Decimal(i["item_tax"] or 0) > 0 for i in o["items"]) >= 2
        ]
        self.assertTrue(candidates, "the seed has orders of several taxed items")
        amazon_order = candidates[0]
        order = self.odoo_order(amazon_order)
        credit_note = self.refund(order)
        self.run_cycle(advance=1)
        self.run_cycle()
        feed = self.account.feed_ids.filtered(lambda f: f.kind == "order_adjustment")
        self.assertEqual(feed.state, "done")
        self.assertEqual(feed.error_count, 0, feed.line_ids.mapped("result_description"))
        adjustments = self.remote(order)["adjustments"]
        self.assertEqual(len(adjustments), 1)
        by_item = {i["order_item_id"]: i for i in adjustments[0]["items"]}
        components = {
            "principal": "item_price",
            "shipping": "shipping_price",
            "gift_wrap": "gift_wrap_price",
            "tax": "item_tax",
            "shipping_tax": "shipping_tax",
            "gift_wrap_tax": "gift_wrap_tax",
        }
        for item in amazon_order["items"]:
            refunded = by_item[item["order_item_id"]]
            for component, field in components.items():
                self.assertEqual(Decimal(refunded[component]), Decimal(item[field] or 0), component)
        total = sum(Decimal(i[c]) for i in by_item.values() for c in components)
        self.assertEqual(total, Decimal(str(credit_note.amount_total)).quantize(Decimal("0.01")))
        self.assertEqual(self.rows(order, "refund").amazon_status, "success")

    def test_refund_above_the_charge_is_an_error_never_sent(self):
        amazon_order = self.amazon_orders(1)[0]
        order = self.odoo_order(amazon_order)

        def goodwill(credit_note):
            item_line = credit_note.invoice_line_ids.filtered(
                lambda line: line.sale_line_ids.amazon_line_kind == "item"
            )[:1]
            item_line.price_unit += 100  # more than Amazon charged for the item

        self.refund(order, change=goodwill)
        self.run_cycle(advance=1)
        row = self.rows(order, "refund")
        self.assertEqual(row.amazon_status, "error")
        self.assertIn("more than it charged", row.amazon_status_data)
        self.assertFalse(self.account.feed_ids.filtered(lambda f: f.kind == "order_adjustment"))

    def test_unknown_order_is_an_error_on_the_row_and_can_be_sent_again(self):
        order = self.odoo_order(self.amazon_orders(1)[0])
        order.amazon_ack_state = "done"
        amazon_id = order.amazon_order_id
        order.amazon_order_id = "999-0000000-0000000"
        self.deliver(order)
        self.run_cycle(advance=1)
        self.run_cycle()
        row = self.rows(order, "shipped")
        self.assertEqual(row.amazon_status, "error")
        line = self.account.feed_ids.line_ids.filtered(lambda m: m.sale_order_id == order)
        self.assertEqual(line.result_code, "18028")
        self.assertIn("999-0000000-0000000", line.result_description)
        # the cause fixed, "Send again to Amazon": the next fulfillment feed carries it
        order.amazon_order_id = amazon_id
        row.action_amazon_resend()
        self.assertEqual((row.amazon_status, row.amazon_queued), ("none", False))
        self.account.feed_ids.write(
            {"submitted_at": fields.Datetime.now() - timedelta(hours=1)}
        )  # the 15-minute spacing of fulfillment feeds is over
        self.run_cycle(advance=1)
        self.run_cycle()
        self.assertEqual(row.amazon_status, "success")
        self.assertEqual(self.remote(order)["status"], "Shipped")

    def acknowledged_orders(self, count):
        orders = self.env["sale.order"]
        for amazon_order in self.amazon_orders(count):
            orders |= self.odoo_order(amazon_order)
        orders.amazon_ack_state = "done"  # only fulfillment feeds here
        return orders

    def fulfillment_feeds_on_amazon(self):
        """The ids of the fulfillment feeds the sandbox received."""
        path, id_key, type_key = self.feeds_admin
        return [
            int(f[id_key])
            for f in self.sandbox.admin("GET", f"/admin/sellers/{self.creds.seller_id}/{path}")
            if f[type_key] == self.fulfillment_feed_type
        ]

    def ship_in_a_feed(self, order):
        """The order delivered, its shipment in a new fulfillment feed (built, not sent)."""
        self.deliver(order)
        self.env.cr.precommit.run()
        return self.account._build_order_feed("order_fulfillment")

    def test_a_feed_whose_answer_was_lost_is_found_not_sent_twice(self):
        orders = self.acknowledged_orders(3)
        on_amazon = self.fulfillment_feeds_on_amazon
        ship = self.ship_in_a_feed

        def retry():
            self.account.feed_ids.write({"next_check_at": False})
            self.account._retry_draft_feeds(ORDER_FEED_KINDS)

        # 1. Amazon takes the feed, but its answer cannot be read
        first = ship(orders[0])
        self.sandbox.fault(self.creds, "malformed", count=1, operation=self.submit_operation)
        first._submit()
        self.assertEqual(first.state, "draft")
        self.assertIn(self.unreadable_code, first.error_message)
        self.assertTrue(first.sent_unanswered_at)
        self.assertEqual(len(on_amazon()), 1)
        retry()
        self.assertEqual(len(on_amazon()), 1, "found on Amazon, not sent again")
        self.assertEqual(first.state, "submitted")
        self.assertEqual(first.submission_id, str(on_amazon()[0]))
        self.assertFalse(first.sent_unanswered_at)

        # 2. Amazon answers, the process dies before the commit
        second = ship(orders[1])
        self.submit_then_crash(second)
        self.assertEqual(len(on_amazon()), 2)
        retry()
        self.assertEqual(len(on_amazon()), 2, "found on Amazon, not sent again")
        self.assertEqual(second.submission_id, str(max(on_amazon())))

        # 3. the attempt never reached Amazon: nothing to find, sent again
        third = ship(orders[2])
        self.sandbox.fault(self.creds, "internal_error", count=1, operation=self.submit_operation)
        third._submit()
        self.assertEqual((third.state, len(on_amazon())), ("draft", 2))
        retry()
        self.assertEqual(len(on_amazon()), 3)
        self.assertEqual(third.submission_id, str(max(on_amazon())))

        self.run_cycle()
        self.assertEqual(set((first | second | third).mapped("state")), {"done"})
        self.assertEqual(set(self.rows(orders, "shipped").mapped("amazon_status")), {"success"})
        for order in orders:
            self.assertEqual(self.remote(order)["status"], "Shipped")
        self.assertEqual(sum((first | second | third).mapped("error_count")), 0)

    def test_a_lost_attempt_holds_back_the_next_feed_of_its_type(self):
        """Amazon lists submissions without their content. While a feed's attempt has no
        answer, a newer feed of its type is not sent: the older one would find the newer
        one's submission and take it for its own, and its shipments would never reach
        Amazon (the fault hour's finding). The cycle's order step retries it first."""
        orders = self.acknowledged_orders(2)
        first = self.ship_in_a_feed(orders[0])
        self.sandbox.fault(self.creds, "internal_error", count=1, operation=self.submit_operation)
        first._submit()
        self.assertEqual((first.state, first.attempts), ("draft", 1))
        self.assertTrue(first.sent_unanswered_at, "a 5xx may come after Amazon took it")
        second = self.ship_in_a_feed(orders[1])
        second._submit()
        self.assertEqual(second.state, "draft", "held back")
        self.assertFalse(second.sent_unanswered_at)
        self.assertEqual(self.fulfillment_feeds_on_amazon(), [])

        self.account.feed_ids.write({"next_check_at": False})
        self.account._order_feeds_step()
        on_amazon = self.fulfillment_feeds_on_amazon()
        self.assertEqual(len(on_amazon), 2)
        self.assertEqual((first | second).mapped("state"), ["submitted", "submitted"])
        submissions = sorted((first | second).mapped("submission_id"))
        self.assertEqual(submissions, sorted(map(str, on_amazon)))
        self.assertLess(int(first.submission_id), int(second.submission_id))
        self.run_cycle()
        self.assertEqual(sum((first | second).mapped("error_count")), 0)
        for order in orders:
            self.assertEqual(self.remote(order)["status"], "Shipped")

    def test_amazon_delivery_offers_no_sms_and_no_mail_to_the_buyer(self):
        """Amazon forbids writing to buyers outside its messaging: validating an Amazon
        delivery neither offers Odoo's "send SMS" step nor mails the delivery note."""
        self.env.company.stock_move_email_validation = True
        self.partner.write({"email": "buyer@marketplace.amazon.com", "phone": "+1 206 555 0100"})
        order = self.odoo_order(self.amazon_orders(1)[0])
        seen = {}
        Picking = type(self.env["stock.picking"])
        original = Picking._pre_action_done_hook

        def hook(pickings):
            seen["skip_sms"] = pickings.env.context.get("skip_sms")
            return original(pickings)

        # a warehouse user without sales rights validates it (the check reads no sale order)
        stock_user = new_test_user(
            self.env, login="amz_stock_user", groups="base.group_user,stock.group_stock_user"
        )
        self.assertFalse(stock_user.has_group("sales_team.group_sale_salesman"))
        picking = order.picking_ids.filtered(lambda p: p.state not in ("done", "cancel"))
        self.assertEqual(picking.with_user(stock_user)._amazon_pickings(), picking)
        with patch.object(Picking, "_pre_action_done_hook", hook):
            picking = self.deliver(order)
        self.assertEqual(picking.state, "done")
        self.assertTrue(seen["skip_sms"], "no SMS step for an Amazon delivery")
        mailed = self.env["mail.message"].search(
            [("model", "=", "stock.picking"), ("res_id", "=", picking.id),
             ("message_type", "!=", "notification")]
        )  # fmt: skip
        self.assertFalse(mailed.filtered("partner_ids"), "no delivery e-mail to the buyer")
        # a delivery of another channel is mailed as usual
        other = self.env["sale.order"].create(
            {
                "partner_id": self.partner.id,
                "order_line": [(0, 0, {"product_id": order.order_line[0].product_id.id})],
            }
        )
        other.action_confirm()
        self.deliver(other)
        self.assertTrue(
            self.env["mail.message"].search(
                [
                    ("model", "=", "stock.picking"),
                    ("res_id", "=", other.picking_ids.id),
                    ("partner_ids", "!=", False),
                ]
            )
        )

    def test_orders_of_other_channels_are_settled(self):
        product = self.env["product.product"].create({"name": "Shop item", "type": "consu"})
        order = self.env["sale.order"].create(
            {"partner_id": self.partner.id, "order_line": [(0, 0, {"product_id": product.id})]}
        )
        order.action_confirm()
        order.with_context(disable_cancel_warning=True).action_cancel()
        self.run_cycle(advance=1)
        row = self.rows(order, "cancellation")
        self.assertEqual(row.amazon_status, "success")
        self.assertFalse(self.account.feed_ids)
