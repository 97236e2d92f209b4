from collections import defaultdict

from odoo import _, fields, models
from odoo.addons.integrator_base.models.integration_mixin import check_integration_manager
from odoo.exceptions import UserError

AMAZON_EXCEPTIONS = [
    ("unknown_sku", "Unknown SKU"),
    ("address", "Unusable address"),
    ("total", "Total mismatch"),
    ("other", "Other"),
]


class SaleOrder(models.Model):
    """Amazon's side of a sale order: which account and Amazon order it is, and where it is."""

    _inherit = "sale.order"

    amazon_account_id = fields.Many2one(
        "amazon.account", string="Amazon Account", index=True, readonly=True, copy=False
    )
    amazon_order_id = fields.Char("Amazon Order ID", index=True, readonly=True, copy=False)
    amazon_purchase_date = fields.Datetime("Amazon Purchase Date", readonly=True, copy=False)
    amazon_last_update = fields.Datetime("Amazon Last Update", readonly=True, copy=False)
    amazon_order_status = fields.Char("Amazon Status", readonly=True, copy=False)
    amazon_fulfillment_channel = fields.Selection(
        [("mfn", "Merchant (MFN)"), ("afn", "Amazon (AFN / FBA)")],
        string="Fulfilled By",
        readonly=True,
        copy=False,
    )
    amazon_marketplace_id = fields.Many2one(
        "amazon.marketplace", string="Amazon Marketplace", readonly=True, copy=False
    )
    amazon_latest_ship_date = fields.Datetime("Ship By", readonly=True, copy=False)
    amazon_exception = fields.Selection(
        AMAZON_EXCEPTIONS,
        string="Amazon Exception",
        copy=False,
        index=True,
        help="The order was kept but needs a person: fix the cause, then Retry import.",
    )
    amazon_exception_message = fields.Text(copy=False)
    amazon_payload = fields.Json("Amazon Data", readonly=True, copy=False)
    amazon_ack_state = fields.Selection(
        [
            ("todo", "To acknowledge"),
            ("sent", "Sent"),
            ("done", "Acknowledged"),
            ("error", "Error"),
        ],
        string="Acknowledgement",
        readonly=True,
        copy=False,
    )

    amazon_shipby_warned = fields.Boolean(
        "Ship-by Warning Sent", readonly=True, copy=False, help="The ship-by activity was raised."
    )
    amazon_conflict_warned = fields.Boolean(
        "Cancellation Conflict Raised",
        readonly=True,
        copy=False,
        help="Amazon reported a buyer cancellation of an order that already shipped.",
    )

    _sql_constraints = [
        (
            "amazon_order_unique",
            "unique(amazon_account_id, amazon_order_id)",
            "This Amazon order was already imported for this account.",
        ),
    ]

    def _amazon_fba_shipped(self):
        """Amazon shipped these AFN orders: their open deliveries from the FBA location are
        done, with no SMS and no e-mail from here (Amazon told the buyer)."""
        for order in self:
            location = order.amazon_account_id.sudo().afn_location_id
            pickings = order.picking_ids.filtered(
                lambda p, loc=location: p.state not in ("done", "cancel") and p.location_id == loc
            )
            for move in pickings.move_ids:
                move.quantity = move.product_uom_qty
                move.picked = True
            pickings.with_context(
                skip_backorder=True,
                cancel_backorder=True,
                skip_sms=True,
                mail_notify_force_send=False,
            )._action_done()

    def action_amazon_retry_import(self):
        """Retry import: the stored Amazon data of these orders is imported again by the
        synchronisation cron (after the cause of the exception was fixed, e.g. a listing
        added or the address corrected). Integration Managers who may edit the orders."""
        orders = self.filtered(lambda o: o.amazon_account_id and o.amazon_payload)
        if not orders:
            raise UserError(_("These orders hold no Amazon data to import again."))
        check_integration_manager(self.env, orders)
        Request = self.env["amazon.sync.request"]
        for account in orders.sudo().amazon_account_id:
            mine = orders.filtered(lambda o, a=account: o.sudo().amazon_account_id == a)
            Request._request(account, "retry_orders", mine.ids)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": _("Amazon import"),
                "message": _(
                    "%s order(s) are imported again in the background within a minute.",
                    len(orders),
                ),
                "type": "info",
            },
        }


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    amazon_order_item_id = fields.Char("Amazon Order Item", index=True, readonly=True, copy=False)
    amazon_line_kind = fields.Selection(
        [
            ("item", "Item"),
            ("shipping", "Shipping"),
            ("promotion", "Promotion"),
            ("gift_wrap", "Gift wrap"),
            ("tax", "Tax"),
            ("adjustment", "Rounding adjustment"),
        ],
        readonly=True,
        copy=False,
    )


class SaleOrderLineTax(models.Model):
    """Amazon's tax line on the invoice: where Amazon collects and remits the tax, it is
    booked on the account's clearing account (neither revenue nor a tax owed)."""

    _inherit = "sale.order.line"

    def _prepare_invoice_line(self, **optional_values):
        values = super()._prepare_invoice_line(**optional_values)
        order = self.order_id
        account = order.amazon_account_id.sudo()
        if (
            self.amazon_line_kind == "tax"
            and account
            and (order.amazon_marketplace_id or account.marketplace_id).tax_collected_by_amazon
        ):
            # the order import (the cron) creates the clearing account; a person invoicing
            # only creates it when they may create accounts
            clearing = account.amazon_collected_tax_account_id
            if not clearing and (
                self.env.su or self.env.user.has_group("account.group_account_manager")
            ):
                clearing = account._amazon_collected_tax_account()
            if clearing:
                values["account_id"] = clearing.id
        return values


class SaleOrderLineFba(models.Model):
    """AFN lines of Amazon orders: their delivery leaves from the FBA location."""

    _inherit = "sale.order.line"

    def _action_launch_stock_rule(self, previous_product_uom_qty=False):
        """AFN lines of Amazon orders leave from the account's FBA location: no procurement,
        no reservation of the merchant's own stock. The delivery is done when Amazon reports
        the order Shipped; until then the buyer may still cancel it."""
        afn = self.filtered(
            lambda line: (
                line.order_id.amazon_fulfillment_channel == "afn"
                and line.order_id.amazon_account_id
                and line.state == "sale"
                and line.product_id.type == "consu"
                and not line.move_ids
            )
        )
        res = super(SaleOrderLineFba, self - afn)._action_launch_stock_rule(
            previous_product_uom_qty=previous_product_uom_qty
        )
        if afn and not self.env.context.get("skip_procurement"):
            by_order = defaultdict(lambda: self.browse())
            for line in afn:
                by_order[line.order_id] |= line
            for order, lines in by_order.items():
                lines._amazon_fba_delivery(order)
        return res

    def _amazon_fba_delivery(self, order):
        account = order.amazon_account_id.sudo()
        location = account._afn_location()
        warehouse = order.warehouse_id or account.warehouse_ids[:1]
        picking_type = warehouse.out_type_id or self.env["stock.picking.type"].search(
            [("code", "=", "outgoing"), ("company_id", "=", order.company_id.id)], limit=1
        )
        destination = order.partner_shipping_id.property_stock_customer or self.env.ref(
            "stock.stock_location_customers"
        )
        group = order.procurement_group_id or self.env["procurement.group"].create(
            {"name": order.name, "sale_id": order.id, "partner_id": order.partner_shipping_id.id}
        )
        order.procurement_group_id = group
        picking = self.env["stock.picking"].create(
            {
                "picking_type_id": picking_type.id,
                "location_id": location.id,
                "location_dest_id": destination.id,
                "partner_id": order.partner_shipping_id.id,
                "origin": f"{order.name} - {order.amazon_order_id} (FBA)",
                "group_id": group.id,
                "company_id": order.company_id.id,
                "move_ids": [
                    fields.Command.create(
                        {
                            "name": line.name,
                            "product_id": line.product_id.id,
                            "product_uom_qty": line.product_uom_qty,
                            "product_uom": line.product_uom.id,
                            "location_id": location.id,
                            "location_dest_id": destination.id,
                            "sale_line_id": line.id,
                            "group_id": group.id,
                            "company_id": order.company_id.id,
                        }
                    )
                    for line in self
                    if line.product_uom_qty > 0
                ],
            }
        )
        if not picking.move_ids:
            picking.unlink()
            return
        picking.action_confirm()
        if order.amazon_order_status == "Shipped":
            order._amazon_fba_shipped()


class StockPicking(models.Model):
    """Deliveries of Amazon orders: Amazon tells its buyers; the seller must not write to
    them outside Amazon's messaging (their phone and e-mail are Amazon's relays, kept for
    the carrier's label only)."""

    _inherit = "stock.picking"

    def _amazon_pickings(self):
        # a flag only, read as superuser: warehouse users may have no right on sale orders
        return self.filtered(lambda p: p.sudo().sale_id.amazon_account_id)

    def button_validate(self):
        # no "send SMS" step (stock_sms reads skip_sms in the whole validation)
        pickings = self.with_context(skip_sms=True) if self._amazon_pickings() else self
        return super(StockPicking, pickings).button_validate()

    def _send_confirmation_email(self):
        return super(StockPicking, self - self._amazon_pickings())._send_confirmation_email()
