"""The Selling Partner API side of the account: the Login with Amazon access token shared by
every worker (in the account's row), the dates Amazon sets for the client secret's rotation
and the authorisation's renewal, and the daily warning two weeks before each."""

from datetime import timedelta

from odoo import _, api, fields, models

from ..lib.spapi_transport import LWA_ENDPOINT, TOKEN_MARGIN, TokenStore
from .amazon_account import SYSTEM_GROUP

LWA_SECRET_DAYS = 180
LWA_AUTHORIZATION_DAYS = 365
DEADLINE_NOTICE_DAYS = 14


class _AccountTokens(TokenStore):
    """SP-API access tokens in the account's row, shared by every worker and server: read
    fresh from the database (another worker may have refreshed it), written without the ORM
    (no tracking, no chatter, nothing cached). Expiry on our clock: Amazon's one hour is one
    hour of the server's time (a faster sandbox ends it sooner)."""

    def __init__(self, account):
        self.account = account

    def get(self):
        cr = self.account.env.cr
        cr.execute(
            "SELECT lwa_access_token, lwa_token_expires_at FROM amazon_account WHERE id = %s",
            [self.account.id],
        )
        token, expires_at = cr.fetchone() or (None, None)
        margin = self.account._real_delay(TOKEN_MARGIN)
        if token and expires_at and expires_at > fields.Datetime.now() + timedelta(seconds=margin):
            return token
        return None

    def put(self, token, expires_in):
        expires_at = fields.Datetime.now() + timedelta(seconds=self.account._real_delay(expires_in))
        self.account.env.cr.execute(
            "UPDATE amazon_account SET lwa_access_token = %s, lwa_token_expires_at = %s "
            "WHERE id = %s",
            [token, expires_at, self.account.id],
        )
        self.account.invalidate_recordset(["lwa_access_token", "lwa_token_expires_at"])

    def clear(self):
        self.put(None, 0)


class AmazonAccount(models.Model):
    _inherit = "amazon.account"

    lwa_access_token = fields.Char(groups=SYSTEM_GROUP, copy=False, readonly=True)
    lwa_token_expires_at = fields.Datetime(groups=SYSTEM_GROUP, copy=False, readonly=True)
    lwa_secret_set_on = fields.Date(
        "Client Secret Set On",
        copy=False,
        help="Amazon makes you rotate the LWA client secret every 180 days (set when a new "
        "secret is typed; correct it if the secret is older).",
    )
    lwa_authorized_on = fields.Date(
        "Authorised On",
        copy=False,
        help="The seller's authorisation of the application expires after 365 days (set "
        "when a new refresh token is typed).",
    )
    lwa_secret_due_on = fields.Date(
        "Rotate Client Secret By", compute="_compute_lwa_deadlines", store=True
    )
    lwa_authorization_due_on = fields.Date(
        "Authorisation Expires On", compute="_compute_lwa_deadlines", store=True
    )

    @api.depends("lwa_secret_set_on", "lwa_authorized_on")
    def _compute_lwa_deadlines(self):
        for account in self:
            account.lwa_secret_due_on = account.lwa_secret_set_on and (
                account.lwa_secret_set_on + timedelta(days=LWA_SECRET_DAYS)
            )
            account.lwa_authorization_due_on = account.lwa_authorized_on and (
                account.lwa_authorized_on + timedelta(days=LWA_AUTHORIZATION_DAYS)
            )

    @api.model
    def _cron_credential_deadlines(self):
        """Daily: an activity for the responsible two weeks before the LWA client secret must
        be rotated or the seller's authorisation expires (once per deadline)."""
        soon = fields.Date.context_today(self) + timedelta(days=DEADLINE_NOTICE_DAYS)
        for account in self.search([("amazon_api", "=", "spapi")]):
            for due, summary in (
                (account.lwa_secret_due_on, _("Rotate the LWA client secret of %s")),
                (account.lwa_authorization_due_on, _("Renew the authorisation of %s")),
            ):
                if due and due <= soon:
                    account._warn(
                        account,
                        summary % account.name,
                        _(
                            "Due on %(date)s. Seller Central → Apps and Services → Develop "
                            "Apps: see the account's Credentials tab for what to type where.",
                            date=due,
                        ),
                        once=True,
                    )

    def _lwa_endpoint(self):
        """Login with Amazon's token endpoint (the sandbox's own in the sandbox)."""
        if self.environment == "sandbox":
            return f"{self.endpoint}/auth/o2/token"
        return LWA_ENDPOINT

    def _api_tokens(self):
        """Where the SP-API access token is kept (shared by every worker)."""
        return _AccountTokens(self)
