"""Who may see the seller's credentials and who may make the connector act.

Modelled on Odoo's access tests: each kind of user tries every way a browser or an RPC client
has to read a record (read, search_read, web_read, export_data, fields_get-driven reads, the
settings' default_get, related records), and every button and wizard.
"""

import logging
import socket
from pathlib import Path

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, new_test_user, tagged
from odoo.tools import SQL

from .common import AmazonCase

CREDENTIALS = ("access_key", "secret_key", "auth_token")
TOKEN = "amzn.mws.0f1e2d3c-security-test-token"
SIGNED_PARAM_VALUE = r"(AWSAccessKeyId|MWSAuthToken|Signature)=[^*]"


def _closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SecurityCase(AmazonCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        users = {
            "integration_user": "base.group_user,base.group_allow_export,"
            "integrator_base.group_integration_user",
            "integration_manager": "base.group_user,base.group_allow_export,"
            "integrator_base.group_integration_manager",
            "salesman": "base.group_user,base.group_allow_export,sales_team.group_sale_salesman",
            "portal": "base.group_portal",
            "internal": "base.group_user,base.group_allow_export",
        }
        cls.users = {
            name: new_test_user(cls.env, login=f"sec_{name}", groups=groups)
            for name, groups in users.items()
        }
        cls.admin = new_test_user(
            cls.env,
            login="sec_admin",
            groups="base.group_user,base.group_system,integrator_base.group_integration_manager",
        )

    def listing(self, sku):
        product = self.env["product.product"].create({"name": sku, "default_code": sku})
        return self.env["amazon.listing"].create(
            {"account_id": self.account.id, "product_id": product.id, "seller_sku": sku}
        )

    def setUp(self):
        super().setUp()
        # a seller whose calls need an MWS auth token too (a developer-authorised seller)
        self.creds = self.sandbox.new_seller(auth_token=TOKEN)
        self.account = self.create_account(self.creds, auth_token=TOKEN)
        self.secrets = {
            "access_key": self.creds.access_key,
            "secret_key": self.creds.secret_key,
            "auth_token": TOKEN,
        }


def _reveals(result, value):
    return value in repr(result)


@tagged("post_install", "-at_install")
class TestCredentialsAreSecret(SecurityCase):
    def assert_hidden(self, label, call, value):
        """``call`` raises AccessError or returns something without ``value``."""
        try:
            result = call()
        except (AccessError, UserError):  # refused (UserError: no right to export at all)
            return
        self.assertFalse(_reveals(result, value), f"{label} returned the credential")

    def test_nobody_but_system_administrators_reads_a_credential(self):
        listing = self.listing("SEC-1")
        for field in CREDENTIALS:
            value = self.secrets[field]
            for name, user in self.users.items():
                account = self.account.with_user(user)
                Account = self.env["amazon.account"].with_user(user)
                label = f"{name}/{field}"
                self.assert_hidden(f"{label} read", lambda a=account, f=field: a.read([f]), value)
                self.assert_hidden(
                    f"{label} search_read",
                    lambda A=Account, f=field: A.search_read([], [f]),
                    value,
                )
                self.assert_hidden(
                    f"{label} web_read",
                    lambda a=account, f=field: a.web_read({f: {}}),
                    value,
                )
                self.assert_hidden(
                    f"{label} export_data",
                    lambda a=account, f=field: a.export_data([f]),
                    value,
                )

                def fields_get_read(A=Account, a=account):
                    names = list(A.fields_get(attributes=["type"]))
                    return a.read(names)

                self.assert_hidden(f"{label} fields_get read", fields_get_read, value)
                self.assert_hidden(
                    f"{label} related web_read",
                    lambda u=user, f=field: listing.with_user(u).web_read(
                        {"account_id": {"fields": {f: {}}}}
                    ),
                    value,
                )
                # no search oracle either (a domain on the field would guess it letter by letter)
                with self.assertRaises(AccessError, msg=f"{label} search by value"):
                    Account.search_count([(field, "=", value)])
                self.assert_hidden(
                    f"{label} settings default_get",
                    lambda u=user: (
                        self.env["res.config.settings"]
                        .with_user(u)
                        .default_get(list(self.env["res.config.settings"]._fields))
                    ),
                    value,
                )
            # a system administrator reads it over RPC (only they do) ...
            self.assertEqual(self.account.with_user(self.admin).read([field])[0][field], value)
            # ... but no settings form nor account form ever sends it to a browser
            settings = self.env["res.config.settings"].with_user(self.admin)
            self.assertFalse(_reveals(settings.default_get(list(settings._fields)), value))
            self.assertFalse(
                _reveals(self.account.with_user(self.admin).read([f"new_{field}"]), value)
            )

    def test_forms_hold_no_stored_credential_field(self):
        for model in ("amazon.account", "res.config.settings"):
            views = self.env[model].with_user(self.admin).get_views([(False, "form")])
            arch = views["views"]["form"]["arch"]
            for field in CREDENTIALS:
                self.assertNotIn(f'name="{field}"', arch, f"{model} form shows {field}")

    def test_write_only_editor_replaces_and_validates(self):
        account = self.account.with_user(self.admin)
        self.assertTrue(account.secret_key_set)
        account.write({"new_secret_key": "  new-secret/+=  "})
        self.assertEqual(self.account.secret_key, "new-secret/+=")
        account.write({"new_secret_key": False})  # left empty: kept
        self.assertEqual(self.account.secret_key, "new-secret/+=")
        with self.assertRaises(UserError):
            account.write({"new_secret_key": "two words"})
        with self.assertRaises(AccessError):
            self.account.with_user(self.users["integration_manager"]).write(
                {"new_secret_key": "stolen"}
            )

    def test_settings_replace_a_credential_without_reading_it(self):
        settings = self.env["res.config.settings"].with_user(self.admin)
        self.account.company_id = self.env.company
        self.env["amazon.account"].search(
            [("company_id", "=", self.env.company.id), ("id", "!=", self.account.id)]
        ).write({"company_id": self.env["res.company"].create({"name": "Elsewhere"}).id})
        form = settings.create({})
        self.assertFalse(form.amazon_secret_key)
        self.assertTrue(form.amazon_secret_key_set)
        form.execute()  # saving without typing keeps the stored secret
        self.assertEqual(self.account.secret_key, self.creds.secret_key)
        settings.create({"amazon_secret_key": "replaced-secret"}).execute()
        self.assertEqual(self.account.secret_key, "replaced-secret")

    def test_only_system_administrators_move_the_endpoint(self):
        manager = self.users["integration_manager"]
        with self.assertRaises(AccessError):
            self.account.with_user(manager).sandbox_url = "http://attacker.example"
        with self.assertRaises(AccessError):
            self.env["amazon.account"].with_user(manager).create(
                {
                    "name": "Elsewhere",
                    "marketplace_id": self.env.ref("amazon_integration.marketplace_de").id,
                    "merchant_id": "M-ELSEWHERE",
                    "sandbox_url": "http://attacker.example",
                }
            )
        marketplace = self.env.ref("amazon_integration.marketplace_us")
        with self.assertRaises(AccessError):
            marketplace.with_user(manager).endpoint = "https://attacker.example"
        # a manager may still create an account with the default sandbox, and change the rest
        account = (
            self.env["amazon.account"]
            .with_user(manager)
            .create(
                {
                    "name": "Allowed",
                    "marketplace_id": self.env.ref("amazon_integration.marketplace_de").id,
                    "merchant_id": "M-ALLOWED",
                }
            )
        )
        account.sync_interval = 120
        self.account.with_user(self.admin).sandbox_url = self.sandbox.url + "/"
        marketplace.with_user(self.admin).endpoint = marketplace.endpoint


@tagged("post_install", "-at_install")
class TestWhoMayAct(SecurityCase):
    def setUp(self):
        super().setUp()
        self.order = self.env["sale.order"].create(
            {
                "partner_id": self.env["res.partner"].create({"name": "Buyer"}).id,
                "amazon_account_id": self.account.id,
                "amazon_order_id": "111-0000000-0000001",
                "amazon_payload": {"amazon_order_id": "111-0000000-0000001"},
                "amazon_exception": "unknown_sku",
            }
        )
        self.sec_listing = self.listing("SEC-ACT")
        self.row = self.env["product.integration"].search([], limit=1)

    def actions(self, user):
        account = self.account.with_user(user)
        return {
            "test connection": account.action_test_connection,
            "synchronize now": account.action_sync_now,
            "upload catalog": account.action_upload_catalog,
            "download settlements": account.action_download_settlements,
            "retry import": self.order.with_user(user).action_amazon_retry_import,
            "download orders": lambda: (
                self.env["amazon.order.download"]
                .with_user(user)
                .create({"account_id": self.account.id})
                .action_download()
            ),
            "synchronize wizard": lambda: (
                self.env["integration.sync.wizard"]
                .with_user(user)
                .create({"sync_products": True, "sync_orders": True})
                .action_synchronize()
            ),
            "send listing again": self.sec_listing.with_user(user).action_send_again,
            "remove listing": self.sec_listing.with_user(user).action_remove_from_amazon,
        }

    def test_only_integration_managers_make_it_act(self):
        calls_before = self.env["amazon.api.log"].search_count([])
        for name in ("portal", "internal", "integration_user", "salesman"):
            for label, action in self.actions(self.users[name]).items():
                with self.assertRaises(AccessError, msg=f"{name}: {label}"):
                    action()
        self.assertFalse(self.env["amazon.sync.request"].search([]))
        self.assertEqual(self.env["amazon.api.log"].search_count([]), calls_before)

    def test_buttons_queue_for_the_cron_and_say_so(self):
        manager = self.users["integration_manager"]
        manager.groups_id += self.env.ref("sales_team.group_sale_salesman_all_leads")
        Request = self.env["amazon.sync.request"]
        cron = self.env.ref("amazon_integration.ir_cron_amazon_sync")
        triggers = self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)])
        account = self.account.with_user(manager)
        for action, job in (
            (account.action_sync_now, "sync"),
            (account.action_download_settlements, "settlements"),
            (self.order.with_user(manager).action_amazon_retry_import, "retry_orders"),
        ):
            result = action()
            self.assertEqual(result["tag"], "display_notification")
            self.assertIn("background", result["params"]["message"])
            self.assertEqual(Request.search([], order="id desc", limit=1).job, job)
        self.assertEqual(Request.search([("job", "=", "retry_orders")]).res_ids, [self.order.id])
        self.assertFalse(
            self.env["amazon.api.log"].search([("account_id", "=", self.account.id)]),
            "nothing was asked of Amazon in the user's request",
        )
        self.assertGreater(
            self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)]), triggers
        )
        # the cron runs them (the order retry's own test is in test_order_import)
        Request.search([("job", "=", "retry_orders")]).unlink()
        self.assertEqual(Request._run_pending(), 2)
        self.assertFalse(Request.search([]))
        self.assertTrue(self.env["amazon.api.log"].search([("account_id", "=", self.account.id)]))

    def test_sync_wizard_queues_only_the_users_companies(self):
        other = self.env["res.company"].create({"name": "Other Co"})
        mine = self.env["product.product"].create({"name": "Mine", "company_id": False})
        theirs = self.env["product.product"].create({"name": "Theirs", "company_id": other.id})
        manager = self.users["integration_manager"]
        self.env["integration.sync.wizard"].with_user(manager).create(
            {"sync_products": True}
        ).action_synchronize()
        rows = self.env["product.integration"].search([("manual", "=", True)])
        self.assertIn(mine, rows.product_id)
        self.assertNotIn(theirs, rows.product_id)


@tagged("post_install", "-at_install")
class TestMultiCompany(SecurityCase):
    def test_company_b_sees_nothing_of_company_a(self):
        company_b = self.env["res.company"].create({"name": "Company B"})
        user_b = new_test_user(
            self.env,
            login="sec_company_b",
            groups="base.group_user,integrator_base.group_integration_manager,"
            "account.group_account_invoice",
            company_id=company_b.id,
            company_ids=[Command.set(company_b.ids)],
        )
        self.account.company_id = self.env.company
        self.account._api().sellers.participations()  # a quota bucket and an API log
        listing = self.listing("SEC-MC")
        feed = self.env["amazon.feed"].create(
            {"account_id": self.account.id, "kind": "product", "feed_type": "_POST_PRODUCT_DATA_"}
        )
        self.env["amazon.feed.message"].create(
            {"feed_id": feed.id, "message_id": 1, "listing_id": listing.id}
        )
        self.env["amazon.sync.queue"]._enqueue(listing, ["price"])
        self.env["amazon.settlement"].create(
            {"account_id": self.account.id, "settlement_id": "SEC-MC-1"}
        )
        self.env["amazon.sync.request"].create({"account_id": self.account.id, "job": "sync"})
        for model in (
            "amazon.account",
            "amazon.listing",
            "amazon.feed",
            "amazon.feed.message",
            "amazon.sync.queue",
            "amazon.settlement",
            "amazon.quota.bucket",
            "amazon.api.log",
            "amazon.sync.request",
        ):
            self.assertTrue(self.env[model].search([]), model)
            self.assertFalse(self.env[model].with_user(user_b).search([]), model)
        with self.assertRaises(AccessError):
            self.account.with_user(user_b).action_sync_now()


@tagged("post_install", "-at_install")
class TestNoLeak(SecurityCase):
    """Every failure path against the sandbox, then no credential in any text column of the
    connector, in messages, activities, the API log or the captured server log."""

    def needles(self):
        return [v for v in self.secrets.values() if v]

    def hits(self, needles):
        self.env.flush_all()
        cr = self.env.cr
        cr.execute(
            r"""SELECT c.table_name, c.column_name
                  FROM information_schema.columns c
                  JOIN information_schema.tables t
                    ON t.table_name = c.table_name AND t.table_schema = c.table_schema
                 WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
                   AND c.data_type IN ('text', 'character varying', 'jsonb')
                   AND (c.table_name LIKE 'amazon\_%%'
                        OR c.table_name IN ('product_integration', 'order_integration',
                                            'mail_message', 'mail_activity',
                                            'mail_tracking_value', 'mail_mail', 'ir_logging',
                                            'mail_notification'))"""
        )
        found = []
        for table, column in cr.fetchall():
            if table == "amazon_account" and column in CREDENTIALS:
                continue
            for needle in needles:
                cr.execute(
                    SQL(
                        "SELECT count(*) FROM %s WHERE strpos(%s::text, %s) > 0",
                        SQL.identifier(table),
                        SQL.identifier(column),
                        needle,
                    )
                )
                if cr.fetchone()[0]:
                    found.append(f"{table}.{column}: {needle}")
            # a signed parameter with its value (masked ones read "Signature=***")
            cr.execute(
                SQL(
                    "SELECT count(*) FROM %s WHERE %s::text ~ %s",
                    SQL.identifier(table),
                    SQL.identifier(column),
                    SIGNED_PARAM_VALUE,
                )
            )
            if cr.fetchone()[0]:
                found.append(f"{table}.{column}: a signed query string")
        return found

    def fail_every_way(self):
        account, box, creds = self.account, self.sandbox, self.creds

        def run():
            account.action_test_connection()
            account._sync_now()

        # a timeout (Odoo's test framework raises any timeout under 10 s to 10 s)
        account.request_timeout = 1
        box.fault(creds, "delay", count=1, seconds=10.5)
        account.action_test_connection()
        box.admin("DELETE", f"/admin/sellers/{creds.seller_id}/faults")
        account.request_timeout = 30
        # the sandbox is not there: the HTTP client's error names the signed URL
        account.sandbox_url = f"http://127.0.0.1:{_closed_port()}"
        run()
        account.sandbox_url = box.url
        # access denied (auth token) and a bad signature (secret)
        account.auth_token = "amzn.mws.wrong-token-value"
        self.secrets["wrong_token"] = "amzn.mws.wrong-token-value"
        run()
        account.auth_token = TOKEN
        account.secret_key = "a-wrong-secret/+="
        self.secrets["wrong_secret"] = "a-wrong-secret/+="
        run()
        account.secret_key = creds.secret_key
        # 5xx, malformed answers, errors sent with 200, then throttling (last: it backs off)
        for kind, extra in (
            ("malformed", {}),
            ("error_200", {}),
            ("internal_error", {}),
            ("unavailable", {}),
            ("throttle_storm", {"seconds": 600}),
        ):
            box.fault(creds, kind, count=None, rate=1.0, **extra)
            run()
            box.admin("DELETE", f"/admin/sellers/{creds.seller_id}/faults")

    def test_no_credential_anywhere_after_every_failure(self):
        with (
            self.assertLogs("odoo.addons.amazon_integration", level=logging.DEBUG) as ours,
            self.assertLogs("urllib3", level=logging.DEBUG) as http,
            # Odoo's test harness logs the URL of a request whose timeout it raises
            self.assertLogs("odoo.tests.common.requests", level=logging.INFO) as harness,
        ):
            logging.getLogger("odoo.addons.amazon_integration").debug("capture starts")
            self.fail_every_way()
        log_text = "\n".join(ours.output + http.output + harness.output)
        self.assertIn("127.0.0.1", log_text, "the HTTP library's request lines were captured")
        errors = self.env["amazon.api.log"].search(
            [("account_id", "=", self.account.id), ("status", "!=", "ok")]
        )
        self.assertGreaterEqual(
            set(errors.mapped("error_code")),
            {"ConnectionError", "Timeout", "MalformedResponse", "AccessDenied"},
        )
        self.assertTrue(self.env["mail.message"].search([("model", "=", "amazon.account")]))
        self.assertEqual(self.hits(self.needles()), [])
        for needle in self.needles():
            self.assertNotIn(needle, log_text)
        self.assertNotRegex(log_text, SIGNED_PARAM_VALUE)

    def test_neutralize_clears_what_an_old_version_leaked(self):
        leaked = (
            f"ConnectionError: Max retries exceeded with url: /Orders/2013-09-01?"
            f"AWSAccessKeyId={self.creds.access_key}&MWSAuthToken={TOKEN}&Signature=abc "
            f"secret {self.creds.secret_key}"
        )
        self.account.connection_message = leaked
        self.account.message_post(body=leaked)
        self.env["amazon.api.log"].create(
            {
                "account_id": self.account.id,
                "operation": "ListOrders",
                "status": "transient",
                "error_message": leaked,
            }
        )
        row = self.env["product.integration"].search([], limit=1)
        if row:
            row.amazon_status_data = leaked
        self.assertTrue(self.hits(self.needles()))
        neutralize = Path(__file__).resolve().parents[1] / "data" / "neutralize.sql"
        self.env.flush_all()
        self.env.cr.execute(neutralize.read_text())
        self.env.invalidate_all()
        self.assertEqual(self.hits(self.needles()), [])
        self.assertFalse(self.account.secret_key)
        self.assertEqual(self.account.environment, "sandbox")


@tagged("post_install", "-at_install")
class TestAccountFormRights(SecurityCase):
    def test_integration_user_without_sales_rights_opens_the_account(self):
        """The account form's counters follow the user's rights (it used to fail on the
        order counters for a user who may not read sale orders)."""
        user = self.users["integration_user"]
        self.assertFalse(user.has_group("sales_team.group_sale_salesman"))
        form = Form(self.account.with_user(user))  # reads every field of the form view
        self.assertEqual(form.name, self.account.name)
        self.assertEqual(self.account.with_user(user).amazon_order_count, 0)
        salesman_manager = new_test_user(
            self.env,
            login="sec_sales_integration",
            groups="base.group_user,integrator_base.group_integration_user,"
            "sales_team.group_sale_salesman_all_leads",
        )
        self.env["sale.order"].create(
            {
                "partner_id": self.env["res.partner"].create({"name": "B"}).id,
                "amazon_account_id": self.account.id,
                "amazon_order_id": "111-9999999-0000001",
            }
        )
        self.assertEqual(self.account.with_user(salesman_manager).amazon_order_count, 1)
