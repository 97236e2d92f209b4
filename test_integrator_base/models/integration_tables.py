"""The smallest possible site addon: a site record and its status triplet on both tables."""

from odoo import models
from odoo.addons.integrator_base.models.integration_mixin import site_status_fields


class ProductIntegration(models.Model):
    _inherit = "product.integration"

    testsite_status, testsite_status_data, testsite_status_timestamp = site_status_fields(
        "Test Site"
    )


class OrderIntegration(models.Model):
    _inherit = "order.integration"

    testsite_status, testsite_status_data, testsite_status_timestamp = site_status_fields(
        "Test Site"
    )
