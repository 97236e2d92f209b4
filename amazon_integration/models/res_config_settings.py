from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError

#: settings field -> account field, for the credentials (write-only, administrators only)
CREDENTIALS = {
    "amazon_access_key": "access_key",
    "amazon_secret_key": "secret_key",
    "amazon_auth_token": "auth_token",
}


class ResConfigSettings(models.TransientModel):
    """Settings → Amazon: the seed's fields, for the company's default account.

    Credentials are write-only: the form says whether each is set and takes a new value, it
    never receives the stored one (``default_get`` does not read them, for nobody).
    """

    _inherit = "res.config.settings"

    amazon_account_id = fields.Many2one(
        "amazon.account",
        string="Default Amazon Account",
        compute="_compute_amazon_account_id",
    )
    amazon_marketplace_id = fields.Many2one("amazon.marketplace", string="Amazon Marketplace")
    amazon_merchant_id = fields.Char("Amazon Merchant ID")
    amazon_access_key = fields.Char(
        "Amazon Access Key", groups="base.group_system", help="Type a value to replace it."
    )
    amazon_secret_key = fields.Char(
        "Amazon Secret Key", groups="base.group_system", help="Type a value to replace it."
    )
    amazon_auth_token = fields.Char(
        "Amazon MWS Auth Token", groups="base.group_system", help="Type a value to replace it."
    )
    amazon_access_key_set = fields.Boolean(related="amazon_account_id.access_key_set")
    amazon_secret_key_set = fields.Boolean(related="amazon_account_id.secret_key_set")
    amazon_auth_token_set = fields.Boolean(related="amazon_account_id.auth_token_set")
    amazon_environment = fields.Selection(
        [("sandbox", "Sandbox"), ("production", "Production")], string="Amazon Environment"
    )
    amazon_sync_interval = fields.Integer("Amazon Integration Interval (seconds)")
    amazon_auto_sync = fields.Boolean("Enable Automatic Amazon Integration")
    amazon_connection_message = fields.Text(related="amazon_account_id.connection_message")

    @api.depends("company_id")
    def _compute_amazon_account_id(self):
        for settings in self:
            settings.amazon_account_id = self.env["amazon.account"].search(
                [("company_id", "=", settings.company_id.id)], limit=1
            )

    @api.model
    def default_get(self, fields_list):
        res = super().default_get(fields_list)
        account = self.env["amazon.account"].search(
            [("company_id", "=", self.env.company.id)], limit=1
        )
        if account:
            res.update(
                amazon_marketplace_id=account.marketplace_id.id,
                amazon_merchant_id=account.merchant_id,
                amazon_environment=account.environment,
                amazon_sync_interval=account.sync_interval,
                amazon_auto_sync=account.auto_sync,
            )
        else:
            res.update(amazon_environment="sandbox", amazon_sync_interval=60)
        for name in CREDENTIALS:
            res.pop(name, None)
        return res

    def set_values(self):
        """Called by ``execute``, which only administrators may run (checked again here, as
        the account is written with superuser rights: an administrator who is not an
        Integration Manager may still configure the account in Settings)."""
        if not self.env.is_admin():
            raise AccessError(_("Only administrators can change the settings"))
        super().set_values()
        if not (self.amazon_merchant_id and self.amazon_marketplace_id):
            return
        values = {
            "marketplace_id": self.amazon_marketplace_id.id,
            "merchant_id": self.amazon_merchant_id,
            "environment": self.amazon_environment or "sandbox",
            "sync_interval": self.amazon_sync_interval or 60,
            "auto_sync": self.amazon_auto_sync,
        }
        for name, account_field in CREDENTIALS.items():
            if self[name]:  # empty: keep what is stored
                values[f"new_{account_field}"] = self[name]
        account = self.amazon_account_id.sudo()
        if account:
            account.write(values)
        else:
            missing = [
                self._fields[name].string
                for name in ("amazon_access_key", "amazon_secret_key")
                if not (self[name] or "").strip()
            ]
            if missing:
                # an account without them could never connect: say so instead of saving it
                raise UserError(
                    _("To create the Amazon account, type its %s.", _(" and ").join(missing))
                )
            self.env["amazon.account"].sudo().create(
                {
                    "name": f"Amazon {self.amazon_marketplace_id.name}",
                    "company_id": self.env.company.id,
                    # the settings' quick set-up takes MWS keys (the legacy path); an SP-API
                    # account is created from Amazon → Accounts with its LWA credentials
                    "amazon_api": "mws",
                    **values,
                }
            )

    def action_amazon_test_connection(self):
        self.execute()
        return self.amazon_account_id.action_test_connection()
