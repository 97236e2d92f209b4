from datetime import timedelta

from odoo import SUPERUSER_ID, api, fields
from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestSiteContract(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.site = cls.env.ref("test_integrator_base.site_test")
        cls.other_site = cls.env["integration.site"].create({"code": "othersite", "name": "Other"})
        cls.Rows = cls.env["product.integration"]

    def make_rows(self, count, **vals):
        return self.Rows.create(
            [
                {
                    "res_model": "product.product",
                    "res_id": 1000 + i,
                    "record_operation": "stock",
                    "operation_data": {"id": 1000 + i},
                    **vals,
                }
                for i in range(count)
            ]
        )

    def test_status_fields_defaults(self):
        row = self.make_rows(1)
        self.assertEqual(row.testsite_status, "none")
        row._set_site_status("testsite", "error", "Boom")
        self.assertEqual(row.testsite_status, "error")
        self.assertEqual(row.testsite_status_data, "Boom")
        self.assertTrue(row.testsite_status_timestamp)

    def test_claim_takes_own_and_shared_rows_by_status(self):
        shared = self.make_rows(2)
        mine = self.make_rows(1, site_id=self.site.id)
        other = self.make_rows(1, site_id=self.other_site.id)
        done = self.make_rows(1)
        done.testsite_status = "success"
        ids = (shared | mine | other | done).ids
        claimed = self.Rows._claim_pending(self.site, domain=[("id", "in", ids)])
        self.assertEqual(claimed, shared | mine)
        limited = self.Rows._claim_pending(self.site, limit=2, domain=[("id", "in", ids)])
        self.assertEqual(limited, shared, "oldest first, bounded")
        errors = self.Rows._claim_pending(
            self.site, statuses=("success",), domain=[("id", "in", ids)]
        )
        self.assertEqual(errors, done)

    def test_two_workers_never_claim_the_same_row(self):
        registry = self.registry
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            ids = (
                env["product.integration"]
                .create(
                    [
                        {"res_model": "product.product", "res_id": i, "record_operation": "stock"}
                        for i in range(10)
                    ]
                )
                .ids
            )
        try:
            with registry.cursor() as cr1, registry.cursor() as cr2:
                env1 = api.Environment(cr1, SUPERUSER_ID, {})
                env2 = api.Environment(cr2, SUPERUSER_ID, {})
                site1 = env1["integration.site"].browse(self.site.id)
                site2 = env2["integration.site"].browse(self.site.id)
                first = env1["product.integration"]._claim_pending(
                    site1, limit=4, domain=[("id", "in", ids)]
                )
                second = env2["product.integration"]._claim_pending(
                    site2, limit=4, domain=[("id", "in", ids)]
                )
                self.assertEqual(len(first), 4)
                self.assertEqual(len(second), 4)
                self.assertFalse(set(first.ids) & set(second.ids))
                self.assertEqual(sorted(first.ids + second.ids), sorted(ids)[:8])
                # the first worker marks its rows and commits; they no longer qualify
                first._set_site_status("testsite", "submitted")
                cr1.commit()
                cr2.rollback()
                third = env2["product.integration"]._claim_pending(
                    site2, limit=10, domain=[("id", "in", ids)]
                )
                self.assertEqual(sorted(third.ids), sorted(set(ids) - set(first.ids)))
                cr2.rollback()
        finally:
            with registry.cursor() as cr:
                api.Environment(cr, SUPERUSER_ID, {})["product.integration"].browse(ids).unlink()

    def test_retention_purges_only_rows_every_site_is_done_with(self):
        self.env["ir.config_parameter"].sudo().set_param("integrator_base.retention_days", "10")
        old = fields.Datetime.now() - timedelta(days=11)
        # done for every site installed (other site addons add their own status fields)
        sites = self.env["integration.site"].search([])
        fields_ = [site._status_field("product.integration") for site in sites]
        done = {field: "success" for field in fields_ if field}
        recent_done = self.make_rows(1, **done)
        old_done = self.make_rows(1, **done, operation_timestamp=old)
        old_error = self.make_rows(
            1, **dict(done, testsite_status="error"), operation_timestamp=old
        )
        old_pending = self.make_rows(
            1, **dict(done, testsite_status="none"), operation_timestamp=old
        )
        old_other_site = self.make_rows(1, site_id=self.other_site.id, operation_timestamp=old)
        purged = self.Rows._cron_purge()
        self.assertGreaterEqual(purged, 2)
        self.assertFalse(old_done.exists())
        self.assertFalse(old_other_site.exists(), "addressed to another site: nothing to do here")
        self.assertTrue(recent_done.exists())
        self.assertTrue(old_error.exists(), "errors wait for a person")
        self.assertTrue(old_pending.exists())

    def test_retention_days_parameter(self):
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("integrator_base.retention_days", "garbage")
        self.assertEqual(self.Rows._retention_days(), 30)
        params.set_param("integrator_base.retention_days", "5")
        self.assertEqual(self.Rows._retention_days(), 5)
