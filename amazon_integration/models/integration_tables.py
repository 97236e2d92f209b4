from odoo import models
from odoo.addons.integrator_base.models.integration_mixin import site_status_fields


class ProductIntegration(models.Model):
    _inherit = "product.integration"

    amazon_status, amazon_status_data, amazon_status_timestamp = site_status_fields("Amazon")


class OrderIntegration(models.Model):
    _inherit = "order.integration"

    amazon_status, amazon_status_data, amazon_status_timestamp = site_status_fields("Amazon")
