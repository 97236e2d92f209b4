from odoo import api, fields, models

from .capture import CAPTURE_PARAM, setting_value


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    # Not a ``config_parameter`` field: Odoo deletes the parameter of a boolean set to False,
    # and a missing parameter means on, so unticking the box would not switch capture off.
    integrator_capture_enabled = fields.Boolean(
        "Capture Changes Automatically",
        help="Automatic mode: product, stock and order events are written to the integration "
        "tables as they happen. Off: rows only come from manual synchronisations.",
    )
    integrator_retention_days = fields.Integer(
        "Keep Integration Rows (days)",
        config_parameter="integrator_base.retention_days",
        default=30,
        help="Rows older than this that every site is done with are deleted daily.",
    )

    @api.model
    def get_values(self):
        res = super().get_values()
        res["integrator_capture_enabled"] = setting_value(self.env)
        return res

    def set_values(self):
        res = super().set_values()
        value = "True" if self.integrator_capture_enabled else "False"
        # settings are for system administrators (the model's access), as Odoo's own
        # config_parameter fields, which super() writes the same way
        self.env["ir.config_parameter"].sudo().set_param(CAPTURE_PARAM, value)
        return res
