from odoo import fields, models

FEED_STATES = [
    ("draft", "To Send"),
    ("submitted", "Submitted"),
    ("in_progress", "In Progress"),
    ("done", "Done"),
    ("error", "Error"),
    ("cancelled", "Cancelled"),
]


class AmazonFeed(models.Model):
    """One feed submission: what was sent, Amazon's processing status and report."""

    _name = "amazon.feed"
    _description = "Amazon Feed Submission"
    _inherit = ["mail.thread"]
    _order = "id desc"
    _rec_name = "display_label"

    account_id = fields.Many2one("amazon.account", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="account_id.company_id", store=True)
    kind = fields.Char(required=True, index=True)
    feed_type = fields.Char(required=True)
    message_type = fields.Char()
    state = fields.Selection(FEED_STATES, default="draft", required=True, index=True, tracking=True)
    submission_id = fields.Char("Feed Submission ID", index=True, copy=False)
    processing_status = fields.Char("Amazon Status", copy=False)
    submitted_at = fields.Datetime(copy=False)
    sent_unanswered_at = fields.Datetime(
        "Sent Without Answer",
        copy=False,
        help="Amazon's time of the last SubmitFeed attempt whose answer is not recorded "
        "(cleared once Amazon's submission id is saved).",
    )
    completed_at = fields.Datetime(copy=False)
    next_check_at = fields.Datetime(index=True, copy=False)
    attempts = fields.Integer(copy=False)
    message_count = fields.Integer("Message Count")
    processed_count = fields.Integer("Processed")
    success_count = fields.Integer("Successful")
    error_count = fields.Integer("With Error")
    warning_count = fields.Integer("With Warning")
    feed_xml = fields.Binary("Feed", attachment=True, copy=False, readonly=True)
    feed_filename = fields.Char(compute="_compute_filenames")
    report_xml = fields.Binary("Processing Report", attachment=True, copy=False, readonly=True)
    report_filename = fields.Char(compute="_compute_filenames")
    error_message = fields.Text(copy=False)
    line_ids = fields.One2many(
        "amazon.feed.message", "feed_id", string="Messages Sent", readonly=True
    )
    display_label = fields.Char(compute="_compute_display_label")

    _sql_constraints = [
        (
            "submission_unique",
            "unique(account_id, submission_id)",
            "A feed submission id is unique per account.",
        ),
    ]

    def _compute_filenames(self):
        for feed in self:
            base = f"{feed.feed_type or 'feed'}-{feed.submission_id or feed.id}"
            # SP-API's listings go as JSON (JSON_LISTINGS_FEED and its report)
            extension = "json" if feed.kind == "listings" else "xml"
            feed.feed_filename = f"{base}.{extension}"
            feed.report_filename = f"{base}-report.{extension}"

    def _compute_display_label(self):
        for feed in self:
            feed.display_label = f"{feed.kind} {feed.submission_id or '(not sent)'}"

    def action_retry(self):
        """Retry a feed Amazon refused as a whole: its rows still in error are queued again
        (each rebuilt from the current data into the next feeds); the feed stays as sent."""
        rows = self.line_ids.row_ids.filtered(lambda r: r.amazon_status == "error")
        orders = self.line_ids.order_row_ids.filtered(lambda r: r.amazon_status == "error")
        rows.action_amazon_resend()
        orders.action_amazon_resend()
        return True


class AmazonFeedMessage(models.Model):
    """One message of a feed, and the integration rows it carried."""

    _name = "amazon.feed.message"
    _description = "Amazon Feed Message"
    _order = "feed_id desc, message_id"

    feed_id = fields.Many2one("amazon.feed", required=True, ondelete="cascade", index=True)
    account_id = fields.Many2one(related="feed_id.account_id", store=True)
    message_id = fields.Integer("Message ID", required=True)
    listing_id = fields.Many2one("amazon.listing", index=True, ondelete="set null")
    seller_sku = fields.Char("SKU", index=True)
    kind = fields.Char()
    row_ids = fields.Many2many(
        "product.integration",
        "amazon_feed_message_row_rel",
        "message_id",
        "row_id",
        string="Integration Rows",
    )
    state = fields.Selection(
        [
            ("pending", "Pending"),
            ("success", "Success"),
            ("warning", "Warning"),
            ("error", "Error"),
        ],
        default="pending",
        required=True,
        index=True,
    )
    result_code = fields.Char()
    result_description = fields.Text()
