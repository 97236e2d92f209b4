"""Order feeds: acknowledgement, shipment confirmation, seller cancellation, refunds.

The order integration rows of integrator_base (shipped, tracking, cancellation, refund) and the
orders waiting for their acknowledgement become messages of four kinds of feed, each carrying
every pending order of the account at once: the 30 SubmitFeed an hour never cap how many
orders ship. Order feeds draw on the whole SubmitFeed budget (catalog feeds leave them a
reserve). A message's result sets its rows' Amazon status and the order's acknowledgement.
"""

import base64
import logging
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from odoo import _, api, fields, models

from ..lib import feeds as feedlib
from ..lib.order_values import allocate_refund, dec, from_json

_logger = logging.getLogger(__name__)

ORDER_FEED_KINDS = {
    "order_ack": "OrderAcknowledgement",
    "order_fulfillment": "OrderFulfillment",
    "order_adjustment": "OrderAdjustment",
}
#: At most one feed of a kind per this many seconds (server time), unless a backlog is
#: waiting: each feed carries every pending order, so the budget goes further and stock
#: updates keep their share of the 30 SubmitFeed an hour.
MIN_FEED_INTERVAL = {"order_ack": 1800, "order_fulfillment": 900, "order_adjustment": 1800}
#: A backlog this large goes without waiting for the interval. Large on purpose: at 10,000
#: shipments an hour 15 minutes gather 2,500, and an early feed of a few hundred messages
#: would spend a SubmitFeed that stock updates need (a feed carries up to ROW_BATCH).
BACKLOG = 2000
#: Seller cancellations and refunds do not wait for the interval: the buyer waits for them.
#: They go in the next cycle once this long (server time) has passed since the last feed of
#: their kind, when the SubmitFeed quota can spare a request (the caller peeks first).
URGENT_INTERVAL = 300
#: row operations that make a kind urgent
URGENT_OPERATIONS = {"order_ack": ["cancellation"], "order_adjustment": ["refund"]}
DEFAULT_CANCEL_REASON = "NoInventory"
DEFAULT_REFUND_REASON = "CustomerReturn"
ROW_BATCH = 5000


class AmazonFeedMessage(models.Model):
    _inherit = "amazon.feed.message"

    sale_order_id = fields.Many2one("sale.order", index=True, ondelete="set null")
    order_row_ids = fields.Many2many(
        "order.integration",
        "amazon_feed_message_order_row_rel",
        "message_id",
        "row_id",
        string="Order Integration Rows",
    )


#: Amazon's reasons for a seller cancellation (OrderAcknowledgement CancelReason)
CANCEL_REASONS = [
    ("NoInventory", "No inventory"),
    ("ShippingAddressUndeliverable", "Address undeliverable"),
    ("CustomerExchange", "Customer exchange"),
    ("BuyerCanceled", "Buyer canceled"),
    ("GeneralAdjustment", "General adjustment"),
    ("CarrierCreditDecision", "Carrier credit decision"),
    ("RiskAssessmentInformationNotValid", "Risk assessment"),
    ("CarrierCoverageFailure", "Carrier coverage failure"),
    ("CustomerReturn", "Customer return"),
    ("MerchandiseNotReceived", "Merchandise not received"),
]


class SaleOrder(models.Model):
    _inherit = "sale.order"

    amazon_cancel_reason = fields.Selection(
        CANCEL_REASONS,
        string="Amazon Cancellation Reason",
        compute="_compute_amazon_cancel_reason",
        store=True,
        readonly=False,
        copy=False,
        help="The reason Amazon is told when this order is canceled here. Default: the "
        "buyer's when Amazon reports a buyer cancellation, else the account's default.",
    )

    def action_cancel(self):
        """An Amazon order is canceled through the reason wizard (Amazon is told why), and
        never through Odoo's e-mail to the buyer (Amazon's anonymised address)."""
        amazon = self.filtered(
            lambda o: o.amazon_account_id and o.state != "cancel" and o.amazon_order_id
        )
        if amazon and len(self) == 1 and not self.env.context.get("amazon_cancel_reason_set"):
            return {
                "type": "ir.actions.act_window",
                "name": _("Cancel the Amazon order"),
                "res_model": "amazon.order.cancel",
                "view_mode": "form",
                "target": "new",
                "context": {"default_order_id": self.id},
            }
        # several orders at once: each with its own reason (or the account's default)
        orders = self.with_context(disable_cancel_warning=True) if amazon else self
        return super(SaleOrder, orders).action_cancel()

    @api.depends("amazon_account_id", "amazon_order_status")
    def _compute_amazon_cancel_reason(self):
        for order in self:
            if not order.amazon_account_id:
                order.amazon_cancel_reason = False
            elif order.amazon_order_status == "Canceled":
                order.amazon_cancel_reason = "BuyerCanceled"
            elif not order.amazon_cancel_reason:
                order.amazon_cancel_reason = order.amazon_account_id.sudo().cancel_reason


class AmazonAccount(models.Model):
    _inherit = "amazon.account"

    cancel_reason = fields.Selection(
        CANCEL_REASONS,
        default=DEFAULT_CANCEL_REASON,
        required=True,
        string="Default Seller Cancellation Reason",
        help="Sent when an order is canceled here and its own reason is not set. "
        "NoInventory counts against the seller's performance metrics.",
    )

    def _order_feeds_step(self, auto_commit=False):
        """Build and submit this account's order feeds. Returns error texts."""
        self.ensure_one()
        self.env["order.integration"].sudo()._amazon_settle_foreign_rows()
        # whatever the account's API (no catalog step sees order feeds)
        self._retry_draft_feeds(ORDER_FEED_KINDS, auto_commit=auto_commit)
        for kind in ORDER_FEED_KINDS:
            if not self._order_feed_due(kind):
                continue
            wait = self.env["amazon.quota.bucket"]._peek(self, self._api_operation("feeds.submit"))
            if wait:
                break
            feed = self._build_order_feed(kind)
            if auto_commit:
                self.env.cr.commit()  # pylint: disable=invalid-commit
            if feed:
                feed._submit(auto_commit=auto_commit)
                if auto_commit:
                    self.env.cr.commit()  # pylint: disable=invalid-commit
        return []

    # ------------------------------------------------------------------ what is due

    def _order_feed_due(self, kind):
        last = self.env["amazon.feed"].search(
            [("account_id", "=", self.id), ("kind", "=", kind), ("submitted_at", "!=", False)],
            order="submitted_at desc",
            limit=1,
        )
        interval = timedelta(seconds=self._real_delay(MIN_FEED_INTERVAL[kind]))
        now = fields.Datetime.now()
        if not last or last.submitted_at + interval <= now:
            return True
        urgent = URGENT_OPERATIONS.get(kind)
        if (
            urgent
            and last.submitted_at + timedelta(seconds=self._real_delay(URGENT_INTERVAL)) <= now
            and self._waiting_rows_count(urgent)
        ):
            return True
        if kind == "order_ack":
            backlog = self.env["sale.order"].search_count(
                [("amazon_account_id", "=", self.id), ("amazon_ack_state", "=", "todo")]
            )
        else:
            operations = {
                "order_fulfillment": ["shipped", "tracking"],
                "order_adjustment": ["refund"],
            }[kind]
            backlog = self._waiting_rows_count(operations)
        return backlog >= BACKLOG

    def _waiting_rows_count(self, operations):
        """Order rows of these operations that no feed has taken yet."""
        return self.env["order.integration"].search_count(
            [
                ("amazon_queued", "=", False),
                ("amazon_status", "=", "none"),
                ("record_operation", "in", operations),
                ("sale_order_id.amazon_account_id", "=", self.id),
            ]
        )

    def _claim_order_rows(self, operations):
        site = self.env.ref("amazon_integration.integration_site_amazon")
        return self.env["order.integration"]._claim_pending(
            site,
            limit=ROW_BATCH,
            domain=[
                ("amazon_queued", "=", False),
                ("record_operation", "in", operations),
                ("sale_order_id.amazon_account_id", "=", self.id),
            ],
        )

    def _build_order_feed(self, kind):
        builder = getattr(self, f"_order_messages_{kind}")
        entries = list(builder())
        if not entries:
            return self.env["amazon.feed"]
        document = feedlib.build_feed(
            ORDER_FEED_KINDS[kind],
            self.merchant_id,
            [message for message, _order, _rows in entries],
            skip_invalid=True,
        )
        by_key = {message.key: (order, rows) for message, order, rows in entries}
        for key, reason in document.rejected:
            order, rows = by_key[key]
            rows._set_site_status("amazon", "error", f"{order.amazon_order_id}: {reason}")
            rows.amazon_queued = True
            if kind == "order_ack":
                order.amazon_ack_state = "error"
        if not document.message_map:
            return self.env["amazon.feed"]
        lines = []
        for message_id, key in document.message_map.items():
            order, rows = by_key[key]
            lines.append(
                fields.Command.create(
                    {
                        "message_id": message_id,
                        "seller_sku": order.amazon_order_id,
                        "kind": kind,
                        "sale_order_id": order.id,
                        "order_row_ids": [fields.Command.set(rows.ids)],
                    }
                )
            )
            rows.amazon_queued = True
            if kind == "order_ack" and order.amazon_ack_state == "todo":
                order.amazon_ack_state = "sent"
        return self.env["amazon.feed"].create(
            {
                "account_id": self.id,
                "kind": kind,
                # the API's own name of the type (lost submissions are found by it)
                "feed_type": self._api_class().feed_type_of(document.message_type),
                "message_type": document.message_type,
                "message_count": len(document.message_map),
                "feed_xml": base64.b64encode(document.xml),
                "line_ids": lines,
            }
        )

    # ------------------------------------------------------------------ message builders

    def _order_messages_order_ack(self):
        """Acknowledge new orders; a seller cancellation is an acknowledgement with Failure."""
        rows = self._claim_order_rows(["cancellation"])
        cancelled = {}
        for row in rows:
            order = row.sale_order_id
            if (row.operation_data or {}).get("shipped"):
                row._set_site_status(
                    "amazon",
                    "error",
                    _(
                        "%s shipped already: Amazon cannot cancel it; refund it instead.",
                        order.amazon_order_id,
                    ),
                )
                row.amazon_queued = True
                continue
            cancelled.setdefault(order, self.env["order.integration"])
            cancelled[order] |= row
        key = 0
        for order, order_rows in cancelled.items():
            key += 1
            items = [
                feedlib.AckItem(
                    amazon_order_item_code=line.amazon_order_item_id,
                    merchant_order_item_id=str(line.id),
                    cancel_reason=order.amazon_cancel_reason or self.cancel_reason,
                )
                for line in order.order_line
                if line.amazon_order_item_id
            ]
            message = feedlib.OrderAcknowledgementMessage(
                key=key,
                amazon_order_id=order.amazon_order_id,
                status="Failure",
                merchant_order_id=order.name,
                items=items,
            )
            yield message, order, order_rows
        todo = self.env["sale.order"].search(
            [
                ("amazon_account_id", "=", self.id),
                ("amazon_ack_state", "=", "todo"),
                ("state", "=", "sale"),
            ]
        )
        for order in todo.filtered(lambda o: o not in cancelled):
            key += 1
            items = [
                feedlib.AckItem(
                    amazon_order_item_code=line.amazon_order_item_id,
                    merchant_order_item_id=str(line.id),
                )
                for line in order.order_line
                if line.amazon_order_item_id
            ]
            message = feedlib.OrderAcknowledgementMessage(
                key=key,
                amazon_order_id=order.amazon_order_id,
                status="Success",
                merchant_order_id=order.name,
                items=items,
            )
            yield message, order, self.env["order.integration"]

    def _order_messages_order_fulfillment(self):
        rows = self._claim_order_rows(["shipped", "tracking"])
        shipped_pickings = {row.res_id for row in rows if row.record_operation == "shipped"}
        key = 0
        for row in rows:
            order = row.sale_order_id
            if row.record_operation == "tracking" and row.res_id not in shipped_pickings:
                # Amazon takes one confirmation per shipment; a tracking number added later
                # cannot be sent again without shipping the items twice.
                row._set_site_status(
                    "amazon",
                    "success",
                    _(
                        "Tracking number updated after the shipment was confirmed to Amazon: "
                        "not sent again."
                    ),
                )
                row.amazon_queued = True
                continue
            if row.record_operation == "tracking":
                row._set_site_status("amazon", "success", _("Sent with the shipment."))
                row.amazon_queued = True
                continue
            if order.amazon_fulfillment_channel == "afn":
                row._set_site_status("amazon", "success", _("Fulfilled by Amazon."))
                row.amazon_queued = True
                continue
            picking = self.env["stock.picking"].browse(row.res_id).exists()
            data = picking._integration_shipment_data() if picking else row.operation_data
            lines = (
                self.env["sale.order.line"]
                .browse(
                    [line["sale_line_id"] for line in data["lines"] if line.get("sale_line_id")]
                )
                .exists()
            )
            codes = {line.id: line.amazon_order_item_id for line in lines}
            items = [
                feedlib.FulfillmentItem(
                    amazon_order_item_code=codes[line["sale_line_id"]],
                    quantity=round(line["quantity"]),
                )
                for line in data["lines"]
                if codes.get(line.get("sale_line_id")) and line["quantity"] >= 1
            ]
            if not items:
                row._set_site_status(
                    "amazon", "success", _("No Amazon item in this delivery: nothing to confirm.")
                )
                row.amazon_queued = True
                continue
            key += 1
            yield (
                feedlib.OrderFulfillmentMessage(
                    key=key,
                    amazon_order_id=order.amazon_order_id,
                    merchant_fulfillment_id=data["picking_id"],
                    fulfillment_date=(picking.date_done if picking else None)
                    or fields.Datetime.now(),
                    carrier=data.get("carrier_name") or None,
                    shipping_method=data.get("carrier_name") or None,
                    tracking_number=data.get("tracking_ref") or None,
                    items=items,
                ),
                order,
                row,
            )

    def _order_messages_order_adjustment(self):
        """A refund (posted credit note) as Amazon adjusts it: per item and per component
        (Principal, Shipping, GiftWrap and their taxes), never more than the item was
        charged. The order's shipping, gift wrap and tax lines cover all its items: they
        are shared out by ``order_values.allocate_refund`` from what Amazon charged each
        item."""
        rows = self._claim_order_rows(["refund"])
        key = 0
        for row in rows:
            order = row.sale_order_id
            data = row.operation_data or {}
            currency = data.get("currency") or order.currency_id.name
            lines = self.env["sale.order.line"].browse(
                [line["sale_line_id"] for line in data.get("lines", []) if line.get("sale_line_id")]
            ).exists()  # fmt: skip
            by_id = {line.id: line for line in lines}
            principal, shared, tax = defaultdict(Decimal), defaultdict(Decimal), Decimal(0)
            for line in data.get("lines", []):
                sale_line = by_id.get(line.get("sale_line_id"))
                if not sale_line:
                    continue
                amount = dec(abs(line.get("price_subtotal") or 0.0))
                tax += dec(abs(line.get("tax_amount") or 0.0))
                if sale_line.amazon_line_kind == "item" and sale_line.amazon_order_item_id:
                    principal[sale_line.amazon_order_item_id] += amount
                elif sale_line.amazon_line_kind == "shipping":
                    shared["Shipping"] += amount
                elif sale_line.amazon_line_kind == "gift_wrap":
                    shared["GiftWrap"] += amount
                elif sale_line.amazon_line_kind == "tax":
                    tax += amount
            payload = from_json(order.amazon_payload) if order.amazon_payload else {}
            allocation, problem = allocate_refund(
                payload.get("items") or [], principal, shared, tax
            )
            if problem or not allocation:
                text = (
                    _("The refund asks Amazon for more than it charged: %s", problem)
                    if problem
                    else _("The credit note has no line of an Amazon item: refund it on Amazon.")
                )
                row._set_site_status("amazon", "error", text)
                row.amazon_queued = True
                continue
            key += 1
            yield (
                feedlib.OrderAdjustmentMessage(
                    key=key,
                    amazon_order_id=order.amazon_order_id,
                    items=[
                        feedlib.AdjustedItem(
                            reason=DEFAULT_REFUND_REASON,
                            amazon_order_item_code=item_id,
                            price_adjustments={c: float(a) for c, a in components.items()},
                            currency=currency,
                        )
                        for item_id, components in allocation.items()
                    ],
                ),
                order,
                row,
            )


class OrderIntegrationRows(models.Model):
    _inherit = "order.integration"

    @api.model
    def _amazon_settle_foreign_rows(self):
        """Rows of orders that are not Amazon's: nothing to send, settled at once."""
        site = self.env.ref("amazon_integration.integration_site_amazon")
        rows = self._claim_pending(
            site,
            limit=ROW_BATCH,
            domain=[("amazon_queued", "=", False), ("sale_order_id.amazon_account_id", "=", False)],
        )
        rows._set_site_status("amazon", "success", _("Not an Amazon order: nothing to send."))


class AmazonFeed(models.Model):
    _inherit = "amazon.feed"

    def _submit(self, auto_commit=False):
        res = super()._submit(auto_commit=auto_commit)
        if self.state == "submitted" and self.kind in ORDER_FEED_KINDS:
            self.line_ids.order_row_ids._set_site_status(
                "amazon", "submitted", _("In feed %s", self.submission_id)
            )
        elif self.state == "error" and self.kind in ORDER_FEED_KINDS:
            self.line_ids.order_row_ids._set_site_status("amazon", "error", self.error_message)
            if self.kind == "order_ack":
                self.line_ids.sale_order_id.amazon_ack_state = "error"
        return res

    def _apply_outcomes(self):
        if self.kind not in ORDER_FEED_KINDS:
            return super()._apply_outcomes()
        for line in self.line_ids:
            ok = line.state in ("success", "warning")
            text = line.result_description or (_("Accepted by Amazon.") if ok else "")
            line.order_row_ids._set_site_status("amazon", "success" if ok else "error", text)
            if self.kind == "order_ack" and line.sale_order_id:
                line.sale_order_id.amazon_ack_state = "done" if ok else "error"
            if not ok and line.sale_order_id:
                what = {
                    "order_ack": _("acknowledgement (or cancellation)"),
                    "order_fulfillment": _("shipment confirmation"),
                    "order_adjustment": _("refund"),
                }[self.kind]
                line.sale_order_id.message_post(
                    body=_(
                        "Amazon refused the %(what)s: %(text)s. Fix the cause, then Retry it "
                        "from Amazon → Errors.",
                        what=what,
                        text=text,
                    )
                )
        return None
