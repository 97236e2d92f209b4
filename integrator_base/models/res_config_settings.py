from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    integrator_capture_enabled = fields.Boolean(
        "Capture Changes Automatically",
        config_parameter="integrator_base.capture_enabled",
        help="Automatic mode: product, stock and order events are written to the integration "
        "tables as they happen. Off: rows only come from manual synchronisations.",
    )
    integrator_retention_days = fields.Integer(
        "Keep Integration Rows (days)",
        config_parameter="integrator_base.retention_days",
        default=30,
        help="Rows older than this that every site is done with are deleted daily.",
    )
