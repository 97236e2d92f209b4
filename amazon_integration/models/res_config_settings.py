from odoo import api, fields, models


class ResConfigSettings(models.TransientModel):
    """Settings → Amazon: the seed's fields, for the company's default account."""

    _inherit = "res.config.settings"

    amazon_account_id = fields.Many2one(
        "amazon.account",
        string="Default Amazon Account",
        compute="_compute_amazon_account_id",
    )
    amazon_marketplace_id = fields.Many2one("amazon.marketplace", string="Amazon Marketplace")
    amazon_merchant_id = fields.Char("Amazon Merchant ID")
    amazon_access_key = fields.Char("Amazon Access Key")
    amazon_secret_key = fields.Char("Amazon Secret Key")
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
            secrets = account.sudo()
            res.update(
                amazon_marketplace_id=account.marketplace_id.id,
                amazon_merchant_id=account.merchant_id,
                amazon_access_key=secrets.access_key,
                amazon_secret_key=secrets.secret_key,
                amazon_environment=account.environment,
                amazon_sync_interval=account.sync_interval,
                amazon_auto_sync=account.auto_sync,
            )
        else:
            res.update(amazon_environment="sandbox", amazon_sync_interval=60)
        return res

    def set_values(self):
        super().set_values()
        if not (self.amazon_merchant_id and self.amazon_marketplace_id):
            return
        values = {
            "marketplace_id": self.amazon_marketplace_id.id,
            "merchant_id": self.amazon_merchant_id,
            "access_key": self.amazon_access_key,
            "secret_key": self.amazon_secret_key,
            "environment": self.amazon_environment or "sandbox",
            "sync_interval": self.amazon_sync_interval or 60,
            "auto_sync": self.amazon_auto_sync,
        }
        account = self.amazon_account_id
        if account:
            account.sudo().write(values)
        else:
            self.env["amazon.account"].sudo().create(
                {
                    "name": f"Amazon {self.amazon_marketplace_id.name}",
                    "company_id": self.env.company.id,
                    **values,
                }
            )

    def action_amazon_test_connection(self):
        self.execute()
        return self.amazon_account_id.action_test_connection()
