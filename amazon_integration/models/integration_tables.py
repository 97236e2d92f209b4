from odoo import _, fields, models
from odoo.addons.integrator_base.models.integration_mixin import (
    check_integration_manager,
    site_status_fields,
)


class AmazonIntegrationRow(models.AbstractModel):
    """What Amazon adds to both integration tables: its status and the queue flag."""

    _name = "amazon.integration.row"
    _description = "Amazon Integration Row"

    amazon_queued = fields.Boolean(
        "Queued for Amazon",
        index=True,
        copy=False,
        help="Taken by the connector (into pending listing updates or an order feed), not "
        "yet in a feed.",
    )

    def action_amazon_resend(self):
        """Send these rows again (Retry on rows in Error): the next run takes them up."""
        check_integration_manager(self.env, self)
        self.write(
            {
                "amazon_status": "none",
                "amazon_queued": False,
                "amazon_status_data": _("Queued again by %s", self.env.user.name),
                "amazon_status_timestamp": fields.Datetime.now(),
            }
        )
        self.env["amazon.sync.request"]._wake_cron()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": _("Sent again to Amazon"),
                "message": _(
                    "%s row(s) queued: the next synchronisation takes them up.", len(self)
                ),
                "type": "info",
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }


class ProductIntegration(models.Model):
    _name = "product.integration"
    _inherit = ["product.integration", "amazon.integration.row"]

    amazon_status, amazon_status_data, amazon_status_timestamp = site_status_fields("Amazon")


class OrderIntegration(models.Model):
    _name = "order.integration"
    _inherit = ["order.integration", "amazon.integration.row"]

    amazon_status, amazon_status_data, amazon_status_timestamp = site_status_fields("Amazon")
