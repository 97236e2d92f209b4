import math
from collections import defaultdict
from decimal import Decimal

from odoo import _, api, fields, models
from odoo.addons.integrator_base.models.integration_mixin import check_integration_manager
from odoo.exceptions import UserError, ValidationError

FULFILLMENT_CHANNELS = [("mfn", "Merchant (MFN)"), ("afn", "Amazon (AFN / FBA)")]

#: What a new (or re-listed) SKU sends, in the order Amazon needs it.
LISTING_KINDS = ["product", "inventory", "price", "image", "override"]
#: Listing states in which the SKU exists (or is about to exist) on Amazon.
REMOVABLE_STATES = ("pending", "active", "error")


class AmazonListing(models.Model):
    """A product variant offered on one Amazon account under a seller SKU.

    Field labels follow seed 001's listing format (Client SKU Id, Channel Serial No.,
    Channel SKU Id, EAN, ASIN, Merchant SKU), so that Odoo's standard import maps a file in
    that format without any configuration.
    """

    _name = "amazon.listing"
    _description = "Amazon Listing"
    _inherit = ["mail.thread"]
    _order = "account_id, seller_sku"
    _rec_name = "seller_sku"

    account_id = fields.Many2one(
        "amazon.account",
        string="Account",
        required=True,
        index=True,
        ondelete="cascade",
        default=lambda self: self._default_account(),
    )
    company_id = fields.Many2one(related="account_id.company_id", store=True, index=True)
    product_id = fields.Many2one(
        "product.product",
        string="Product",
        index=True,
        ondelete="set null",
        help="Empty once the product is deleted: the listing remains to remove it from Amazon.",
    )
    product_tmpl_id = fields.Many2one(related="product_id.product_tmpl_id", store=True)
    seller_sku = fields.Char(
        "Merchant SKU",
        required=True,
        index=True,
        tracking=True,
        help="The seller SKU on Amazon. Default: the product's internal reference.",
    )
    asin = fields.Char("ASIN", index=True, tracking=True)
    ean = fields.Char("EAN", help="EAN/UPC sent as the standard product id; default: barcode.")
    client_sku = fields.Char("Client SKU Id", help="Our reference: the internal reference.")
    channel_sku = fields.Char("Channel SKU Id", help="Amazon's own SKU (FNSKU for AFN).")
    channel_serial = fields.Char("Channel Serial No.")
    fulfillment_channel = fields.Selection(
        FULFILLMENT_CHANNELS, default="mfn", required=True, tracking=True
    )
    state = fields.Selection(
        [
            ("draft", "Not sent"),
            ("pending", "Sent"),
            ("active", "Active"),
            ("error", "Error"),
            ("deleted", "Removed"),
        ],
        default="draft",
        required=True,
        index=True,
        tracking=True,
    )
    product_synced = fields.Boolean(
        "Product Accepted",
        readonly=True,
        copy=False,
        help="Amazon accepted the product feed for this SKU: stock, price, images and "
        "relationships can follow.",
    )
    last_quantity = fields.Integer("Last Quantity Sent", readonly=True, copy=False)
    last_price = fields.Char("Last Price Sent", readonly=True, copy=False)
    last_sync_at = fields.Datetime("Last Update", readonly=True, copy=False)
    error_message = fields.Text(readonly=True, copy=False)
    active = fields.Boolean(default=True)

    _sql_constraints = [
        (
            "sku_unique",
            "unique(account_id, seller_sku)",
            "A seller SKU is unique per Amazon account.",
        ),
    ]

    @api.model
    def _default_account(self):
        """The current company's first active account."""
        return self.env["amazon.account"].search(
            [("company_id", "=", self.env.company.id), ("active", "=", True)], limit=1
        )

    # ------------------------------------------------------------------ create / unlink

    @api.onchange("product_id")
    def _onchange_product_id(self):
        for listing in self.filtered("product_id"):
            product = listing.product_id
            if not listing.seller_sku:
                listing.seller_sku = product.default_code or self._generated_sku(product)
            if not listing.client_sku:
                listing.client_sku = product.default_code
            if not listing.ean:
                listing.ean = product.barcode

    @api.model
    def _generated_sku(self, product):
        """The seller SKU of a product without an internal reference."""
        return f"ODOO-{product.id}"

    @api.model
    def _match_products(self, vals_list):
        """Fill ``product_id`` of imported rows from Client SKU Id, else from EAN.

        Two searches for the whole batch. A row matching no product (or several products
        of the account's company) raises a ValidationError naming its SKU.
        """
        missing = [
            vals for vals in vals_list if not vals.get("product_id") and not vals.get("is_parent")
        ]
        if not missing:
            return
        Product = self.env["product.product"].with_context(active_test=False)
        codes = {vals["client_sku"] for vals in missing if vals.get("client_sku")}
        eans = {vals["ean"] for vals in missing if vals.get("ean")}
        by_code, by_ean = defaultdict(list), defaultdict(list)
        if codes:
            for product in Product.search([("default_code", "in", list(codes))]):
                by_code[product.default_code].append(product)
        if eans:
            for product in Product.search([("barcode", "in", list(eans))]):
                by_ean[product.barcode].append(product)
        accounts = self.env["amazon.account"].browse(
            {vals["account_id"] for vals in missing if vals.get("account_id")}
        )
        company_by_account = {account.id: account.company_id for account in accounts}
        default_company = self._default_account().company_id or self.env.company
        for vals in missing:
            company = company_by_account.get(vals.get("account_id"), default_company)
            candidates = by_code.get(vals.get("client_sku")) or by_ean.get(vals.get("ean")) or []
            # a product of another company cannot be sold on this account
            candidates = [p for p in candidates if not p.company_id or p.company_id == company]
            sku = vals.get("seller_sku") or vals.get("client_sku") or vals.get("ean") or "?"
            if not candidates:
                raise ValidationError(
                    _(
                        "Listing %(sku)s: no product has the internal reference %(code)s "
                        "or the barcode %(ean)s.",
                        sku=sku,
                        code=vals.get("client_sku") or "-",
                        ean=vals.get("ean") or "-",
                    )
                )
            if len(candidates) > 1:
                raise ValidationError(
                    _(
                        "Listing %(sku)s: several products match (%(products)s); "
                        "set the product explicitly.",
                        sku=sku,
                        products=", ".join(p.display_name for p in candidates),
                    )
                )
            vals["product_id"] = candidates[0].id

    @api.model
    def _fill_defaults(self, vals_list):
        """Account, seller SKU, client SKU and EAN of rows that do not say."""
        default_account = None
        for vals in vals_list:
            if not vals.get("account_id"):
                if default_account is None:
                    default_account = self._default_account()
                if not default_account:
                    raise ValidationError(
                        _(
                            "Listing %(sku)s: the company %(company)s has no active Amazon "
                            "account.",
                            sku=vals.get("seller_sku") or vals.get("client_sku") or "?",
                            company=self.env.company.name,
                        )
                    )
                vals["account_id"] = default_account.id
        products = self.env["product.product"].browse(
            {vals["product_id"] for vals in vals_list if vals.get("product_id")}
        )
        products.fetch(["default_code", "barcode"])
        # seller SKUs taken already, to derive a free one when the reference is used
        wanted = {
            products.browse(vals["product_id"]).default_code
            for vals in vals_list
            if vals.get("product_id") and not vals.get("seller_sku")
        } - {False}
        taken = set()
        if wanted:
            taken = {
                (listing.account_id.id, listing.seller_sku)
                for listing in self.with_context(active_test=False).search(
                    [("seller_sku", "in", list(wanted))]
                )
            }
        taken |= {(v["account_id"], v["seller_sku"]) for v in vals_list if v.get("seller_sku")}
        for vals in vals_list:
            if not vals.get("product_id"):
                continue
            product = products.browse(vals["product_id"])
            if not vals.get("seller_sku"):
                sku = product.default_code or self._generated_sku(product)
                if (vals["account_id"], sku) in taken:
                    sku = f"{sku}-{product.id}"
                vals["seller_sku"] = sku
                taken.add((vals["account_id"], sku))
            if not vals.get("client_sku") and product.default_code:
                vals["client_sku"] = product.default_code
            if not vals.get("ean") and product.barcode:
                vals["ean"] = product.barcode

    @api.model_create_multi
    def create(self, vals_list):
        vals_list = [dict(vals) for vals in vals_list]
        self._match_products(vals_list)
        self._fill_defaults(vals_list)
        listings = super().create(vals_list)
        listed = listings.filtered(lambda lst: lst.product_id and lst.state != "deleted")
        listed._enqueue(LISTING_KINDS)
        listed._mark_templates_selling()
        return listings

    def _mark_templates_selling(self):
        """A product with a listing sells on Amazon: its "Sell on Amazon" box says so (set
        with the user's own rights, without listing the other variants or accounts)."""
        templates = self.product_id.product_tmpl_id.filtered(lambda t: not t.amazon_sell)
        if templates and templates.has_access("write"):
            templates.with_context(
                amazon_listings_set=True, integrator_no_capture=True
            ).amazon_sell = True

    @api.ondelete(at_uninstall=False)
    def _unlink_except_sent(self):
        sent = self.filtered(lambda listing: listing.state != "draft")
        if sent:
            raise UserError(
                _(
                    "Listing %s was sent to Amazon: remove it from Amazon instead of deleting it.",
                    sent[0].seller_sku,
                )
            )

    # ------------------------------------------------------------------ actions

    def _amazon_remove(self):
        """Take these SKUs off Amazon: state Removed and a Delete message queued."""
        listings = self.filtered(lambda listing: listing.state != "deleted")
        if listings:
            listings.write({"state": "deleted"})
            listings._enqueue(["delete"])
        return listings

    def _amazon_relist(self):
        """Offer removed SKUs again: back to Not sent, everything queued."""
        listings = self.filtered(lambda listing: listing.state == "deleted")
        if listings:
            listings.write({"state": "draft", "active": True, "error_message": False})
            listings._enqueue(LISTING_KINDS)
        return listings

    def _amazon_product_deleted(self):
        """The products of these listings are being deleted: forget the SKUs never sent,
        remove the others from Amazon (the listing stays, without product, until the
        deletion went out)."""
        drafts = self.filtered(lambda listing: listing.state == "draft")
        kept = self - drafts
        kept._amazon_remove()
        # let go of the product here rather than through the foreign key: PostgreSQL checks
        # that key again when the template's cascade touches a listing written in the same
        # transaction, and the variant would be gone by then
        kept.write({"product_id": False})
        drafts.unlink()

    def action_remove_from_amazon(self):
        """Queue the deletion of these SKUs (the cron sends it): Integration Managers."""
        check_integration_manager(self.env, self)
        self._amazon_remove()
        return True

    def action_send_again(self):
        """Queue the product, stock, price and images again (re-lists a removed SKU)."""
        check_integration_manager(self.env, self)
        removed = self.filtered(lambda listing: listing.state == "deleted")
        removed._amazon_relist()
        (self - removed).filtered("product_id")._enqueue(LISTING_KINDS)
        return True

    @api.model
    def _amazon_ensure_listings(self, products, accounts=None):
        """Give each variant a listing on each active account of its company (every
        company's accounts for a product without company), in one create call; removed
        listings of those pairs are offered again. Returns the new and re-listed listings.
        """
        Listing = self.sudo().with_context(active_test=False)
        products = products.filtered("active")
        if not products:
            return Listing.browse()
        if accounts is None:
            accounts = self.env["amazon.account"].sudo().search([("active", "=", True)])
        if not accounts:
            return Listing.browse()
        accounts_by_company = defaultdict(list)
        for account in accounts:
            accounts_by_company[account.company_id.id].append(account)
        existing = Listing.search(
            [("product_id", "in", products.ids), ("account_id", "in", accounts.ids)]
        )
        have = {(listing.product_id.id, listing.account_id.id) for listing in existing}
        vals_list = []
        for product in products:
            targets = (
                accounts_by_company.get(product.company_id.id, [])
                if product.company_id
                else accounts
            )
            for account in targets:
                if (product.id, account.id) not in have:
                    vals_list.append({"product_id": product.id, "account_id": account.id})
        relisted = existing.filtered(
            lambda lst: (
                lst.state == "deleted"
                and (not lst.product_id.company_id or lst.product_id.company_id == lst.company_id)
            )
        )._amazon_relist()
        created = Listing.with_context(mail_create_nolog=True, mail_create_nosubscribe=True).create(
            vals_list
        )
        return created | relisted

    # ------------------------------------------------------------------ business rules
    # (the catalog cron calls these on many listings at once)

    @api.model
    def _amazon_stock_locations(self, account):
        """Internal locations whose stock this account sells: its warehouses' (all the
        company's warehouses when none is set), children included, without the Amazon
        (FBA) location and its children."""
        warehouses = account.warehouse_ids or self.env["stock.warehouse"].sudo().search(
            [("company_id", "=", account.company_id.id)]
        )
        Location = self.env["stock.location"].sudo().with_context(active_test=False)
        locations = Location.search(
            [
                ("id", "child_of", warehouses.view_location_id.ids),
                ("usage", "=", "internal"),
            ]
        )
        if account.afn_location_id:
            locations -= Location.search([("id", "child_of", account.afn_location_id.id)])
        return locations

    @staticmethod
    def _apply_reserve(quantity, reserve_type, reserve_value):
        if reserve_type == "fixed":
            quantity -= reserve_value or 0.0
        elif reserve_type == "percent":
            quantity *= max(0.0, 100.0 - (reserve_value or 0.0)) / 100.0
        # floor, tolerating float noise (9.9999999 is 10)
        return max(0, math.floor(round(quantity, 6)))

    def _amazon_quantities(self):
        """{listing id: quantity to send} — see readme/CONFIGURE.md for the stock rule.

        AFN listings give None (Amazon holds that stock: the feed sends
        Lookup=FulfillmentNetwork). Products sold without stock give the account's
        backorder quantity. Otherwise: on hand − reserved over the account's warehouses,
        less the product's reserve (else the account's), never below 0. A few queries
        per account, whatever the number of listings.
        """
        result = {}
        Quant = self.env["stock.quant"].sudo()
        listings = self.sudo()
        for account in listings.account_id:
            mine = listings.filtered(lambda lst, account=account: lst.account_id == account)
            storable = self.env["product.product"]
            for listing in mine:
                product = listing.product_id
                if listing.fulfillment_channel == "afn":
                    result[listing.id] = None
                elif not product:
                    result[listing.id] = 0
                elif not product.is_storable:
                    result[listing.id] = account.backorder_quantity
                else:
                    storable |= product
            if not storable:
                continue
            locations = self._amazon_stock_locations(account)
            free = {}
            if locations:
                groups = Quant._read_group(
                    [("product_id", "in", storable.ids), ("location_id", "in", locations.ids)],
                    ["product_id"],
                    ["quantity:sum", "reserved_quantity:sum"],
                )
                free = {
                    product.id: max(0.0, (quantity or 0.0) - (reserved or 0.0))
                    for product, quantity, reserved in groups
                }
            for listing in mine:
                product = listing.product_id
                if listing.id in result:
                    continue
                if product.amazon_stock_reserve_type in ("fixed", "percent"):
                    reserve = (
                        product.amazon_stock_reserve_type,
                        product.amazon_stock_reserve_value,
                    )
                else:
                    reserve = (account.stock_reserve_type, account.stock_reserve_value)
                result[listing.id] = self._apply_reserve(free.get(product.id, 0.0), *reserve)
        return result

    def _amazon_prices(self):
        """{listing id: (Decimal price, currency code)}: the account's pricelist price for
        one unit in the pricelist's currency, else the sales price in the company's
        currency, rounded to the currency. Listings without product are left out."""
        result = {}
        listings = self.sudo().filtered("product_id")
        today = fields.Date.context_today(self)
        for account in listings.account_id:
            mine = listings.filtered(lambda lst, account=account: lst.account_id == account)
            company = account.company_id
            products = mine.product_id.with_company(company)
            pricelist = account.pricelist_id
            if pricelist:
                currency = pricelist.currency_id
                prices = pricelist.with_company(company)._get_products_price(products, 1.0)
            else:
                currency = company.currency_id
                prices = {
                    product.id: product.currency_id._convert(
                        product.lst_price, currency, company, today
                    )
                    if product.currency_id and product.currency_id != currency
                    else product.lst_price
                    for product in products
                }
            digits = currency.decimal_places
            exponent = Decimal(1).scaleb(-digits)
            for listing in mine:
                value = round(prices.get(listing.product_id.id, 0.0), digits)
                result[listing.id] = (Decimal(str(value)).quantize(exponent), currency.name)
        return result

    def _enqueue(self, kinds, rows=None):
        """Queue these listings for the given feed kinds (see amazon.sync.queue)."""
        return self.env["amazon.sync.queue"]._enqueue(self, kinds, rows=rows)
