"""The account's order import: its settings, its runtime state (checkpoints, listing and
report cycles) and the order counters and buttons of the account form.
"""

from odoo import fields, models

#: the order import's runtime state, shown on the account, kept in amazon.order.state
ORDER_STATE = {"compute": "_compute_order_state", "inverse": "_inverse_order_state"}

SERVICE_KINDS = [
    ("shipping", "Amazon shipping"),
    ("promotion", "Amazon promotion"),
    ("gift_wrap", "Amazon gift wrap"),
    ("tax", "Amazon tax"),
    ("adjustment", "Amazon rounding adjustment"),
]


class ProductTemplate(models.Model):
    _inherit = "product.template"

    amazon_service_kind = fields.Selection(
        SERVICE_KINDS,
        string="Amazon Charge",
        index=True,
        copy=False,
        help="Service product the order import uses for this kind of Amazon amount.",
    )


class AmazonAccount(models.Model):
    _inherit = "amazon.account"

    order_import_mode = fields.Selection(
        [("api", "Orders API"), ("report", "Order reports"), ("auto", "Automatic")],
        string="Order Import",
        default="auto",
        required=True,
        help="Orders API: ListOrders + ListOrderItems (about 1,800 new orders an hour). "
        "Order reports: thousands of orders per report. Automatic: reports when the API "
        "cannot keep up with the orders found, the API again when the volume drops.",
    )
    order_reports_role = fields.Boolean(
        "Direct-to-Consumer Shipping Role",
        help="Selling Partner API: the app has Amazon's restricted Direct-to-Consumer "
        "Shipping role, so the order reports are read with the buyers' names and addresses "
        "(a restricted data token per report) and carry thousands of new orders an hour. "
        "Without it new orders come from searchOrders only (about 2,000 an hour).",
    )
    order_auto_path = fields.Selection(
        [("api", "Orders API"), ("report", "Order reports")],
        string="Current Order Path",
        readonly=True,
        copy=False,
        **ORDER_STATE,
    )
    order_checkpoint = fields.Datetime(
        "Orders Updated Up To",
        copy=False,
        help="Every order Amazon updated before this moment is imported (or kept in "
        "exception). The next listing starts at this moment minus the overlap.",
        **ORDER_STATE,
    )
    order_overlap_minutes = fields.Integer("Listing Overlap (minutes)", default=15)
    order_initial_days = fields.Integer(
        "First Import Looks Back (days)",
        default=1,
        help="How far back the first automatic import goes; older orders come with "
        "Download orders.",
    )
    order_report_checkpoint = fields.Datetime(
        "Order Reports Up To",
        copy=False,
        help="Purchase date the last order report reached.",
        **ORDER_STATE,
    )
    order_report_lag_minutes = fields.Integer(
        "Report Re-read (minutes)",
        default=120,
        help="Order reports list only paid orders: each report reads purchases again from "
        "this long before the last report, so that orders still in Amazon's payment hold "
        "then are not missed (Amazon's hold lasts up to about 90 minutes).",
    )
    order_update_checkpoint = fields.Datetime(
        "Order Updates Up To",
        copy=False,
        help="Order reports path: every change Amazon made to an order before this moment "
        "(cancellation, shipment by Amazon) is applied here. Read from the all-orders "
        "report by last update, which carries every status, thousands of orders per report.",
        **ORDER_STATE,
    )
    order_report_interval_minutes = fields.Integer(
        "Minutes Between Order Reports",
        default=15,
        help="RequestReport has a quota of 60 an hour shared by every report type.",
    )
    import_pending_orders = fields.Boolean(
        "Import Pending Orders",
        help="Orders still in Amazon's payment hold come in as quotations (without buyer "
        "and address, which Amazon only gives once paid), confirmed once paid.",
    )
    ship_by_warning_hours = fields.Integer(
        "Ship-by Warning (hours)",
        default=24,
        help="Unshipped merchant-fulfilled orders this close to their ship-by date get an "
        "activity.",
    )
    order_listing_state = fields.Json(
        "Order Listing in Progress",
        readonly=True,
        copy=False,
        **ORDER_STATE,
    )
    report_request_ids = fields.One2many(
        "amazon.report.request", "account_id", string="Report Requests", readonly=True
    )
    order_download_from = fields.Datetime(
        "Download Orders From",
        copy=False,
        **ORDER_STATE,
    )
    order_download_to = fields.Datetime(
        "Download Orders To",
        copy=False,
        **ORDER_STATE,
    )
    order_last_found = fields.Integer(
        "New Orders (last listing)",
        readonly=True,
        copy=False,
        help="Orders the last listing found needing their items; on the order reports "
        "path, the new orders of the last report per sync interval.",
        **ORDER_STATE,
    )
    order_last_listed = fields.Integer(
        "Orders Listed (last listing)",
        readonly=True,
        copy=False,
        help="Every order the last listing went through, new or updated; on the order "
        "reports path, the orders of the last update report per sync interval.",
        **ORDER_STATE,
    )
    order_last_summary = fields.Char(
        "Last Order Import",
        readonly=True,
        copy=False,
        **ORDER_STATE,
    )
    amazon_shipping_product_id = fields.Many2one("product.product", "Shipping Product")
    amazon_promotion_product_id = fields.Many2one("product.product", "Promotion Product")
    amazon_gift_wrap_product_id = fields.Many2one("product.product", "Gift Wrap Product")
    amazon_tax_product_id = fields.Many2one("product.product", "Tax Product")
    amazon_adjustment_product_id = fields.Many2one("product.product", "Rounding Product")
    amazon_order_ids = fields.One2many("sale.order", "amazon_account_id", readonly=True)
    amazon_order_count = fields.Integer(compute="_compute_amazon_order_count")
    amazon_order_exception_count = fields.Integer(compute="_compute_amazon_order_count")

    def _compute_amazon_order_count(self):
        """Counts of the orders the user may see (none for a user without sales rights:
        the account form opens all the same)."""
        Order = self.env["sale.order"]
        if not Order.has_access("read"):
            self.amazon_order_count = self.amazon_order_exception_count = 0
            return
        counts = dict(
            Order._read_group(
                [("amazon_account_id", "in", self.ids)], ["amazon_account_id"], ["__count"]
            )
        )
        errors = dict(
            Order._read_group(
                [("amazon_account_id", "in", self.ids), ("amazon_exception", "!=", False)],
                ["amazon_account_id"],
                ["__count"],
            )
        )
        for account in self:
            account.amazon_order_count = counts.get(account, 0)
            account.amazon_order_exception_count = errors.get(account, 0)

    def action_open_amazon_orders(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "amazon_integration.sale_order_amazon_action"
        )
        action["domain"] = [("amazon_account_id", "=", self.id)]
        return action
