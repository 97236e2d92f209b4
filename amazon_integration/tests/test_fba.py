from odoo.tests import tagged

from ..lib import feeds as feedlib
from .common import AmazonCase


@tagged("post_install", "-at_install")
class TestFbaStock(AmazonCase):
    def test_fba_report_sets_the_fba_location_only(self):
        seller = self.creds.seller_id
        document = feedlib.build_feed(
            "Product", seller, [feedlib.ProductMessage(key=1, sku="FBA-1", title="FBA item")]
        )
        self.sandbox.process(self.creds, document.xml, document.feed_type)
        self.sandbox.admin(
            "POST",
            f"/admin/sellers/{seller}/catalog/FBA-1",
            {"quantity": 12, "fulfillment_channel": "AFN"},
        )
        fba = self.env["stock.location"].create(
            {"name": "Amazon FBA", "usage": "internal", "location_id": False}
        )
        self.account.afn_location_id = fba
        product = self.env["product.product"].create(
            {"name": "FBA item", "default_code": "FBA-1", "type": "consu", "is_storable": True}
        )
        stock = self.account.warehouse_ids.lot_stock_id
        self.env["stock.quant"]._update_available_quantity(product, stock, 3)
        listing = self.env["amazon.listing"].create(
            {
                "account_id": self.account.id,
                "product_id": product.id,
                "seller_sku": "FBA-1",
                "fulfillment_channel": "afn",
            }
        )
        Request = self.env["amazon.report.request"]
        self.account._fba_inventory_step()
        request = Request._open(self.account, "fba")
        self.assertEqual(request.state, "requested", "report requested")
        self.sandbox.advance(300)
        self.account._fba_inventory_step()
        self.assertEqual(request.state, "done")
        self.assertFalse(Request._open(self.account, "fba"))
        self.assertTrue(self.account.fba_report_at)
        self.assertEqual(product.with_context(location=fba.id).qty_available, 12)
        self.assertEqual(product.with_context(location=stock.id).qty_available, 3)
        self.assertTrue(listing.channel_sku, "Amazon's FNSKU is kept on the listing")
        # the report is not requested again before the refresh interval
        self.account._fba_inventory_step()
        self.assertFalse(Request._open(self.account, "fba"))
