import logging
import os
import time
import zlib
from contextlib import contextmanager
from datetime import datetime, timezone

import psycopg2
from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.addons.integrator_base.models.integration_mixin import check_integration_manager
from odoo.exceptions import AccessError, UserError, ValidationError

from ..lib.api import AmazonCallError, QuotaWait
from ..lib.apis import IMPLEMENTATIONS

_logger = logging.getLogger(__name__)

SANDBOX_URL_ENV = "AMAZON_SANDBOX_URL"
DEFAULT_SANDBOX_URL = "http://127.0.0.1:8765"

#: Every credential of an account. Each is stored in a field only system administrators may
#: read, and edited through a write-only ``new_<name>`` field: forms show ``<name>_set`` and
#: never receive the value, not even an administrator's browser.
CREDENTIAL_FIELDS = (
    "access_key",
    "secret_key",
    "auth_token",
    "lwa_client_id",
    "lwa_client_secret",
    "lwa_refresh_token",
)
SYSTEM_GROUP = "base.group_system"


#: Login with Amazon's deadlines: the client secret is rotated every 180 days, a seller's
#: authorisation of the application expires after 365 days; the responsible hears of it
#: this many days before
def _write_only(string):
    """The editor of a credential: always read empty, its inverse stores what was typed."""
    return fields.Char(
        string,
        compute="_compute_new_credentials",
        inverse="_inverse_new_credentials",
        groups=SYSTEM_GROUP,
        help="Type a value to replace the stored one; it is never shown again.",
    )


def _default_sandbox_url():
    return os.environ.get(SANDBOX_URL_ENV, DEFAULT_SANDBOX_URL)


def check_endpoint_rights(env, vals, fields_names, defaults=None):
    """Only system administrators may point signed requests elsewhere: a changed endpoint
    field (or, at creation, one that differs from its default) by anybody else is refused."""
    if env.su or env.user.has_group(SYSTEM_GROUP):
        return
    for name in fields_names:
        if name in vals and (defaults is None or vals[name] != defaults.get(name)):
            raise AccessError(
                env._("Only system administrators may change where requests to Amazon are sent.")
            )


#: kept for the callers that know the quota wait by this name
AmazonQuotaWait = QuotaWait


class _AccountGate:
    """What the connection does around each call for the account (see ``lib.api.Gate``):
    the quota first (shared by every worker: a locked row per bucket), then the clock, the
    quota headers and the API log. The implementation's operation names are its own."""

    def __init__(self, account):
        self.account = account
        self.buckets = account.env["amazon.quota.bucket"]

    def acquire(self, capability, operation, reserve):
        return self.buckets._acquire(self.account, operation, reserve=reserve)

    def replied(self, capability, operation, reply):
        self.account._observe_server_clock(reply.headers, time.time())
        self.buckets._observe(self.account, operation, reply.headers)
        self.account.env["amazon.api.log"]._log_reply(self.account, reply)

    def failed(self, capability, operation, error):
        self.account._observe_server_clock(error.headers, time.time())
        if error.kind == "throttled":
            self.buckets._throttled(
                self.account, operation, quota_exceeded=error.code == "QuotaExceeded"
            )
        self.account.env["amazon.api.log"]._log_error(self.account, error)


class AmazonAccount(models.Model):
    """An Amazon seller account in one region: credentials, what it sells and how often."""

    _name = "amazon.account"
    _description = "Amazon Seller Account"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "sequence, name"

    name = fields.Char(required=True, tracking=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True, tracking=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    environment = fields.Selection(
        [("sandbox", "Sandbox"), ("production", "Production")],
        required=True,
        default="sandbox",
        tracking=True,
        help="Sandbox: the MWS sandbox program shipped with the connector. "
        "Production: Amazon's MWS endpoint of the marketplace's region.",
    )
    sandbox_url = fields.Char(
        "Sandbox URL",
        default=lambda self: _default_sandbox_url(),
        help="Where the sandbox listens (defaults to $AMAZON_SANDBOX_URL). Only system "
        "administrators may change it: signed requests go there.",
    )
    amazon_api = fields.Selection(
        [("mws", "MWS (legacy)"), ("spapi", "Selling Partner API")],
        string="Amazon API",
        required=True,
        default="spapi",
        tracking=True,
        help="The API this account talks to Amazon through. Amazon retired MWS in 2024: a "
        "seller connects today through the Selling Partner API (SP-API: orders, order "
        "feeds, FBA stock, settlements, and the catalog through the Listings Items API and "
        "JSON listings feeds). MWS is kept for the sandbox and older set-ups.",
    )
    endpoint = fields.Char(compute="_compute_endpoint", string="Endpoint")
    marketplace_id = fields.Many2one(
        "amazon.marketplace", string="Marketplace", required=True, tracking=True
    )
    marketplace_ids = fields.Many2many(
        "amazon.marketplace",
        string="Other Marketplaces",
        help="Further marketplaces of the same region this account sells on.",
    )
    merchant_id = fields.Char("Merchant ID", required=True, tracking=True)
    access_key = fields.Char("Access Key", groups=SYSTEM_GROUP, copy=False)
    secret_key = fields.Char("Secret Key", groups=SYSTEM_GROUP, copy=False)
    auth_token = fields.Char("MWS Auth Token", groups=SYSTEM_GROUP, copy=False)
    # write-only editors and "is it set" flags (see CREDENTIAL_FIELDS)
    new_access_key = _write_only("New Access Key")
    new_secret_key = _write_only("New Secret Key")
    new_auth_token = _write_only("New MWS Auth Token")
    lwa_client_id = fields.Char("LWA Client ID", groups=SYSTEM_GROUP, copy=False)
    lwa_client_secret = fields.Char("LWA Client Secret", groups=SYSTEM_GROUP, copy=False)
    lwa_refresh_token = fields.Char("LWA Refresh Token", groups=SYSTEM_GROUP, copy=False)
    new_lwa_client_id = _write_only("New LWA Client ID")
    new_lwa_client_secret = _write_only("New LWA Client Secret")
    new_lwa_refresh_token = _write_only("New LWA Refresh Token")
    lwa_client_id_set = fields.Boolean("LWA Client ID Set", compute="_compute_credentials_set")
    lwa_client_secret_set = fields.Boolean(
        "LWA Client Secret Set", compute="_compute_credentials_set"
    )
    lwa_refresh_token_set = fields.Boolean(
        "LWA Refresh Token Set", compute="_compute_credentials_set"
    )
    access_key_set = fields.Boolean("Access Key Set", compute="_compute_credentials_set")
    secret_key_set = fields.Boolean("Secret Key Set", compute="_compute_credentials_set")
    auth_token_set = fields.Boolean("MWS Auth Token Set", compute="_compute_credentials_set")
    credentials_missing = fields.Char(compute="_compute_credentials_set")
    request_timeout = fields.Float(default=30.0, help="Seconds to wait for Amazon's answer.")
    sandbox_time_scale = fields.Float(
        "Sandbox Time Scale",
        default=1.0,
        help="The sandbox's --time-scale: quotas are counted on the sandbox's clock.",
    )

    warehouse_ids = fields.Many2many(
        "stock.warehouse", string="Warehouses", help="Their stock is what this account sells."
    )
    pricelist_id = fields.Many2one("product.pricelist", string="Pricelist")
    sync_interval = fields.Integer("Integration Interval (seconds)", default=60)
    auto_sync = fields.Boolean("Automatic Integration", default=False, tracking=True)
    fulfillment_latency = fields.Integer(
        "Default Fulfillment Latency (days)", default=2, help="Days between order and shipment."
    )
    backorder_quantity = fields.Integer(
        "Quantity for Products Sold Without Stock",
        default=1000,
        help="Sent for products that can be sold without stock (services, consumables).",
    )
    stock_reserve_type = fields.Selection(
        [("none", "None"), ("fixed", "Fixed quantity"), ("percent", "Percentage")],
        default="none",
        required=True,
    )
    stock_reserve_value = fields.Float("Stock Reserve")
    afn_location_id = fields.Many2one(
        "stock.location",
        string="Amazon (FBA) Stock Location",
        help="Where Amazon's own stock of AFN listings is kept, read from the FBA report.",
    )
    log_retention_days = fields.Integer("Keep API Log (days)", default=30)

    last_sync_at = fields.Datetime("Last Run", readonly=True, copy=False)
    clock_server_ref = fields.Float(readonly=True, copy=False, digits=(16, 3))
    clock_local_ref = fields.Float(readonly=True, copy=False, digits=(16, 3))
    connection_state = fields.Selection(
        [("unknown", "Not tested"), ("ok", "Connected"), ("failed", "Failed")],
        default="unknown",
        readonly=True,
        copy=False,
    )
    connection_message = fields.Text(readonly=True, copy=False)
    quota_bucket_ids = fields.One2many("amazon.quota.bucket", "account_id", readonly=True)
    api_log_count = fields.Integer(compute="_compute_api_log_count")

    _sql_constraints = [
        (
            "merchant_marketplace_unique",
            "unique(merchant_id, marketplace_id, environment)",
            "This seller account is already configured for that marketplace.",
        ),
        ("interval_positive", "CHECK(sync_interval >= 10)", "The interval is 10 s at least."),
        (
            "latency_range",
            "CHECK(fulfillment_latency BETWEEN 1 AND 30)",
            "Amazon accepts a fulfillment latency of 1 to 30 days.",
        ),
    ]

    # ------------------------------------------------------------------ credentials

    def _compute_new_credentials(self):
        for account in self:
            for name in CREDENTIAL_FIELDS:
                account[f"new_{name}"] = False

    def _inverse_new_credentials(self):
        for account in self:
            values = {}
            for name in CREDENTIAL_FIELDS:
                value = account[f"new_{name}"]
                if not value:
                    continue  # empty: keep the stored value
                value = value.strip()
                if not value or any(c.isspace() for c in value):
                    raise ValidationError(
                        _("%s may not contain spaces.", account._fields[name].string)
                    )
                values[name] = value
            today = fields.Date.context_today(account)
            if "lwa_client_secret" in values:
                values["lwa_secret_set_on"] = today
            if "lwa_refresh_token" in values:
                values["lwa_authorized_on"] = today
            if {"lwa_client_id", "lwa_client_secret", "lwa_refresh_token"} & set(values):
                # a token of the previous credentials is not this one's
                values.update(lwa_access_token=False, lwa_token_expires_at=False)
            if values:
                account.sudo().write(values)  # only system administrators reach this

    @api.depends(*CREDENTIAL_FIELDS, "amazon_api")
    def _compute_credentials_set(self):
        for account, secrets in zip(self, self.sudo(), strict=True):
            for name in CREDENTIAL_FIELDS:
                account[f"{name}_set"] = bool(secrets[name])
            api_class = account._api_class()
            missing = [
                account._fields[name].string.lower()
                for name in api_class.credential_fields
                if name not in api_class.optional_credentials and not secrets[name]
            ]
            account.credentials_missing = (
                _("Amazon cannot be reached until the %s are set.", ", ".join(missing))
                if missing
                else False
            )

    @api.model_create_multi
    def create(self, vals_list):
        defaults = {"sandbox_url": _default_sandbox_url()}
        for vals in vals_list:
            check_endpoint_rights(self.env, vals, ("sandbox_url",), defaults)
        return super().create(vals_list)

    def write(self, vals):
        check_endpoint_rights(self.env, vals, ("sandbox_url",))
        return super().write(vals)

    @contextmanager
    def _job_lock(self, job):
        """Run ``job`` of this account in this worker only: yields whether the lock was
        taken (False: another worker or server runs it now; nothing to do here).

        A PostgreSQL session-level advisory lock on (job, account): unlike a row lock it
        survives the run's commits, and a crashed worker's connection releases it."""
        self.ensure_one()
        key = (zlib.crc32(f"amazon.account/{job}".encode()) & 0x7FFFFFFF, self.id)
        cr = self.env.cr
        cr.execute("SELECT pg_try_advisory_lock(%s, %s)", key)
        taken = cr.fetchone()[0]
        try:
            yield taken
        finally:
            if taken:
                try:
                    cr.execute("SELECT pg_advisory_unlock(%s, %s)", key)
                except psycopg2.errors.InFailedSqlTransaction:
                    cr.rollback()  # the run failed: its work is rolled back anyway
                    cr.execute("SELECT pg_advisory_unlock(%s, %s)", key)

    # ------------------------------------------------------------------ telling people

    def _responsible(self):
        """Who is told about this account's problems: its Responsible, else the user who
        created it, else an Integration Manager; a person, never the superuser (OdooBot)."""
        self.ensure_one()

        def person(user):
            return user and user.active and not user._is_superuser() and not user.share

        for user in (self.user_id, self.create_uid):
            if person(user):
                return user
        managers = self.env.ref("integrator_base.group_integration_manager").users
        return managers.filtered(person)[:1]

    def _warn(self, record, summary, note, once=False):
        """A warning activity on ``record`` (this account, an order, a settlement…) for
        the account's responsible. ``once``: not when one is already open there."""
        self.ensure_one()
        user = self._responsible()
        if not user:
            return
        if once:
            warning = self.env.ref("mail.mail_activity_data_warning")
            if record.activity_ids.filtered(lambda a: a.activity_type_id == warning):
                return
        if not isinstance(note, Markup):
            note = Markup("<p>%s</p>") % note
        record.activity_schedule(
            "mail.mail_activity_data_warning", summary=summary, note=note, user_id=user.id
        )

    def _check_can_act(self):
        """A button of these accounts may run: the user is an Integration Manager with write
        access to each of them (so of their company)."""
        check_integration_manager(self.env, self)

    def _queue_request(self, job, title, message, res_ids=None, payload=None):
        """Queue ``job`` for the cron (access checked by the caller) and say so."""
        Request = self.env["amazon.sync.request"]
        for account in self:
            Request._request(account, job, res_ids=res_ids, payload=payload)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"title": title, "message": message, "type": "info"},
        }

    @api.depends(
        "environment",
        "sandbox_url",
        "amazon_api",
        "marketplace_id.endpoint",
        "marketplace_id.spapi_endpoint",
    )
    def _compute_endpoint(self):
        for account in self:
            if account.environment == "sandbox":
                account.endpoint = (account.sandbox_url or DEFAULT_SANDBOX_URL).rstrip("/")
            elif account.amazon_api == "spapi":
                account.endpoint = account.marketplace_id.spapi_endpoint
            else:
                account.endpoint = account.marketplace_id.endpoint

    def _compute_api_log_count(self):
        counts = dict(
            self.env["amazon.api.log"]._read_group(
                [("account_id", "in", self.ids)], ["account_id"], ["__count"]
            )
        )
        for account in self:
            account.api_log_count = counts.get(account, 0)

    # ------------------------------------------------------------------ the adapter

    def _marketplace_codes(self):
        self.ensure_one()
        return [self.marketplace_id.code] + [
            m.code for m in self.marketplace_ids if m != self.marketplace_id
        ]

    def _time_scale(self):
        self.ensure_one()
        if self.environment == "sandbox" and self.sandbox_time_scale > 0:
            return self.sandbox_time_scale
        return 1.0

    def _real_delay(self, seconds):
        """Real seconds for ``seconds`` of the server's time (the sandbox may run faster)."""
        return seconds / self._time_scale()

    def _quota_clock(self, now):
        """The server's time as last observed (x-mws-timestamp), carried forward at the
        server's pace: quotas are Amazon's, counted on Amazon's clock — or the sandbox's,
        which may run faster than real time or be moved forward."""
        self.ensure_one()
        local = now.timestamp()
        if self.clock_local_ref:
            server = self.clock_server_ref + (local - self.clock_local_ref) * self._time_scale()
        else:
            server = local
        return datetime.fromtimestamp(server, tz=timezone.utc)

    def _clock_tolerance(self):
        """Server seconds our clock may be off before it is anchored again: the stamp has
        whole seconds and a response takes time to arrive (more on a faster sandbox)."""
        return 2.0 * max(1.0, self._time_scale())

    def _observe_server_clock(self, headers, local):
        """Re-anchor the quota clock when the server's time drifts from our estimate."""
        server = self._api_class().observe(headers)
        if server is None:
            return
        predicted = self._quota_clock(datetime.fromtimestamp(local, tz=timezone.utc))
        if abs(server - predicted.timestamp()) > self._clock_tolerance():
            self.sudo().write({"clock_server_ref": server, "clock_local_ref": local})

    def _api_class(self):
        """The implementation of the capabilities this account's API speaks."""
        return IMPLEMENTATIONS[self.amazon_api or "mws"]

    def _api_operation(self, capability):
        """The implementation's own name of a capability operation (its quota bucket)."""
        return self._api_class().operation(capability)

    def _api(self):
        """This account's connection to Amazon: the capabilities (``sellers``, ``orders``,
        ``feeds``, ``reports``), each call quota-checked, logged and timed by the gate."""
        self.ensure_one()
        api_class = self._api_class()
        secrets = self.sudo()
        credentials = {name: secrets[name] for name in api_class.credential_fields}
        if self.credentials_missing or not self.merchant_id:
            raise UserError(
                _("%(account)s: %(missing)s", account=self.name, missing=self.credentials_missing)
                if self.credentials_missing
                else _("Set the merchant id of %s.", self.name)
            )
        return api_class.connect(
            credentials=credentials,
            seller_id=self.merchant_id,
            endpoint=self.endpoint,
            timeout=self.request_timeout or 30.0,
            marketplaces=self._marketplace_codes(),
            gate=_AccountGate(self),
            tokens=self._api_tokens(),
            lwa_endpoint=self._lwa_endpoint(),
        )

    def _supports(self, group):
        """Whether this account's API implements a capability group (see lib.api) and, for
        a group that needs a restricted role, whether the account says the app has it."""
        api_class = self._api_class()
        if group in api_class.restricted_groups and not self.order_reports_role:
            return False
        return api_class.supports(group)

    def _require(self, group, *alternatives):
        """A button that needs a capability group (or one of ``alternatives``) this
        account's API lacks says so."""
        for account in self:
            if not any(account._supports(g) for g in (group, *alternatives)):
                what = {
                    "catalog": _("send the catalog"),
                    "listings": _("search Amazon's product types"),
                    "reports": _("read reports (FBA stock, listings, settlements)"),
                }.get(group, group)
                raise UserError(
                    _(
                        "%(account)s uses the %(api)s, through which the connector cannot "
                        "%(what)s.",
                        account=account.name,
                        api=dict(self._fields["amazon_api"].selection)[account.amazon_api],
                        what=what,
                    )
                )

    # ------------------------------------------------------------------ buttons

    def action_test_connection(self):
        """ListMarketplaceParticipations: proves the credentials and the seller id.

        The one button that waits for Amazon (a person testing credentials waits for the
        answer): an Integration Manager's, one read-only call within its quota, and its texts
        sanitised like every other."""
        self.ensure_one()
        self._check_can_act()
        try:
            markets = set(self._api().sellers.participations())
        except AmazonQuotaWait as wait:
            message = _("Too many tests in a row: try again in %s seconds.", int(wait.wait) + 1)
            return self._connection_result(False, message)
        except AmazonCallError as error:
            return self._connection_result(False, self._explain_error(error))
        except UserError as error:
            return self._connection_result(False, str(error))
        missing = [code for code in self._marketplace_codes() if code not in markets]
        if missing:
            message = _(
                "Connected, but the seller does not participate in marketplace(s) %s.",
                ", ".join(missing),
            )
            return self._connection_result(False, message)
        message = _(
            "Connected to %(endpoint)s as %(seller)s.",
            endpoint=self.endpoint,
            seller=self.merchant_id,
        )
        others = self.env["amazon.marketplace"].search(
            [("code", "in", sorted(markets - set(self._marketplace_codes())))]
        )
        if others:
            message += " " + _(
                "The seller also sells on %s: add them under Other Marketplaces to import "
                "their orders too.",
                ", ".join(others.mapped("name")),
            )
        return self._connection_result(True, message)

    def _explain_error(self, error):
        if error.kind == "auth" and error.code in ("invalid_client", "invalid_grant"):
            return _("Login with Amazon: %s", error.message)
        if error.kind == "auth" and error.code == "Unauthorized":
            return _(
                "Amazon refused the access (%s): check that the application has the roles "
                "it needs (Orders, Inventory and Order Tracking, Product Listing, Amazon "
                "Fulfillment, Finance and Accounting) and that the seller authorised it.",
                error.message,
            )
        if error.kind == "auth":
            if error.code == "InvalidAccessKeyId" or error.code == "InvalidClientTokenId":
                return _("Amazon does not know this access key (%s).", error.code)
            if error.code == "SignatureDoesNotMatch":
                return _("The secret key does not match the access key (%s).", error.code)
            return _("Access denied: check the merchant id and MWS auth token (%s).", error.code)
        if error.kind == "throttled":
            return _("Amazon throttled the request; try again in a minute (%s).", error.code)
        if error.kind == "transient":
            return _("Amazon could not be reached: %s", error.message or error.code)
        return _(
            "Amazon refused the request: %(code)s %(message)s",
            code=error.code,
            message=error.message,
        )

    def _connection_result(self, ok, message):
        self.write({"connection_state": "ok" if ok else "failed", "connection_message": message})
        self._message_log(body=Markup("<p>%s</p>") % message)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": _("Connection test"),
                "message": message,
                "type": "success" if ok else "danger",
                "sticky": not ok,
                # the form shows the latest test only (not a green toast beside an old banner)
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def action_open_api_log(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "amazon_integration.amazon_api_log_action"
        )
        action["domain"] = [("account_id", "=", self.id)]
        return action
