"""A listing's side of the Selling Partner API catalog: its product type (from the product
category, else the account's default), the offer beyond the price (sale price with dates,
minimum and maximum price, MSRP), an integrator's attribute mapping, and the listing's values
for ``lib.listings_json`` (what Amazon is told about it)."""

from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..lib import listings_json

MAX_BULLETS = 5
#: listing fields sent with the price (a change queues a price update)
OFFER_FIELDS = {"sale_price", "sale_start", "sale_end", "min_price", "max_price", "msrp"}


class ProductCategory(models.Model):
    _inherit = "product.category"

    amazon_product_type = fields.Char(
        "Amazon Product Type",
        help="The product type of this category's listings on the Selling Partner API "
        "(e.g. HOME_BED_AND_BATH); empty: the parent category's, else the account's default.",
    )


class AmazonAttributeMap(models.Model):
    _name = "amazon.attribute.map"
    _description = "Amazon Attribute Mapping"
    _order = "account_id, sequence, id"

    account_id = fields.Many2one("amazon.account", required=True, ondelete="cascade", index=True)
    sequence = fields.Integer(default=10)
    field_path = fields.Char(
        "Odoo Field",
        required=True,
        help="A field of the product variant, dotted through relations: material_id.name, "
        "x_color, product_tmpl_id.description.",
    )
    attribute_path = fields.Char(
        "Amazon Attribute",
        required=True,
        help="Where the value goes: an attribute (color), or a place inside one "
        "(item_package_dimensions.length.value, material[0].value).",
    )
    active = fields.Boolean(default=True)

    @api.constrains("field_path")
    def _check_field_path(self):
        for mapping in self:
            model = self.env["product.product"]
            for name in mapping.field_path.split("."):
                field = model._fields.get(name)
                if field is None:
                    message = _(
                        "%(path)s: the product has no field %(name)s.",
                        path=mapping.field_path,
                        name=name,
                    )
                    raise ValidationError(message)
                if field.relational:
                    model = self.env[field.comodel_name]

    def _value(self, product):
        """The mapped value for ``product`` (the first record's along relations)."""
        self.ensure_one()
        value = product
        for name in self.field_path.split("."):
            value = value[:1][name] if hasattr(value, "_fields") else None
        if hasattr(value, "_fields"):
            value = value[:1].display_name if value else None
        return value if value not in (False, "") else None


class AmazonListing(models.Model):
    _inherit = "amazon.listing"

    product_type = fields.Char(
        compute="_compute_product_type",
        store=True,
        readonly=False,
        help="Amazon's product type of this listing (Selling Partner API): from the product's "
        "category, else the account's default.",
    )
    amazon_api = fields.Selection(related="account_id.amazon_api")
    amazon_issues = fields.Text("Amazon's Issues", readonly=True, copy=False)
    amazon_issue_count = fields.Integer("Issues", readonly=True, copy=False, index=True)
    amazon_issues_at = fields.Datetime(
        "Issues Read At",
        readonly=True,
        copy=False,
        help="When getListingsItem last gave Amazon's status and issues of this listing "
        "(read again a few minutes after each update sent, and daily).",
    )
    # the offer beyond the price (SP-API's purchasable_offer and list_price), in the
    # currency of the price sent (the account's pricelist, else the company's)
    sale_price = fields.Float(
        "Sale Price", digits="Product Price", help="Amazon's discounted price, between the dates."
    )
    sale_start = fields.Date("Sale From")
    sale_end = fields.Date("Sale Until")
    min_price = fields.Float(
        "Minimum Price",
        digits="Product Price",
        help="Amazon refuses a price below it (minimum_seller_allowed_price).",
    )
    max_price = fields.Float(
        "Maximum Price",
        digits="Product Price",
        help="Amazon refuses a price above it (maximum_seller_allowed_price).",
    )
    msrp = fields.Float(
        "List Price (MSRP)",
        digits="Product Price",
        help="The manufacturer's suggested retail price Amazon shows struck through.",
    )

    _sql_constraints = [
        (
            "sale_dates",
            "CHECK(sale_price IS NULL OR sale_price = 0 OR "
            "(sale_start IS NOT NULL AND sale_end IS NOT NULL AND sale_end >= sale_start))",
            "A sale price needs a start and an end date, the end not before the start.",
        ),
    ]

    def write(self, vals):
        result = super().write(vals)
        if OFFER_FIELDS & set(vals):
            self.filtered(
                lambda lst: (
                    lst.product_id
                    and lst.state != "deleted"
                    and lst.account_id.amazon_api == "spapi"
                )
            )._enqueue(["price"])
        return result

    @api.depends(
        "product_id.categ_id", "parent_tmpl_id.categ_id", "account_id.default_product_type"
    )
    def _compute_product_type(self):
        for listing in self:
            category = (listing.product_id or listing.parent_tmpl_id).categ_id
            found = None
            while category and not found:
                found = category.amazon_product_type
                category = category.parent_id
            listing.product_type = found or listing.account_id.default_product_type or "PRODUCT"

    def _listing_values(self, quantities, prices):
        """The listing's values for lib.listings_json (``quantities``/``prices``: what
        ``_amazon_quantities``/``_amazon_prices`` give for the listings sent together)."""
        self.ensure_one()
        account = self.account_id
        product = self.product_id
        lang = account._catalog_lang()
        tmpl = (self.parent_tmpl_id if self.is_parent else product.product_tmpl_id).with_context(
            lang=lang
        )
        description = (tmpl.description_sale or "").strip()
        bullets = [line.strip() for line in description.splitlines() if line.strip()]
        price = prices.get(self.id)
        values = {
            "sku": self.seller_sku,
            "product_type": self.product_type or account.default_product_type or "PRODUCT",
            "marketplace_id": account.marketplace_id.code,
            "language_tag": (lang or "en_US").replace("-", "_"),
            "name": tmpl.name if self.is_parent else account._amazon_title(product),
            "brand": tmpl.company_id.name or account.company_id.name,
            "description": description or None,
            "bullet_points": tuple(bullets[:MAX_BULLETS]) or (tmpl.name,),
            "currency": price[1] if price else account.marketplace_id.currency_id.name,
            "extra": {},
        }
        if self.is_parent:
            child = self.child_listing_ids.filtered(lambda c: c.state != "deleted")[:1]
            theme = child._variation_values() if child else None
            values.update(parentage="parent", variation_theme=_theme(theme))
            return listings_json.ListingValues(**values)
        values.update(
            barcode=self.ean or product.barcode or None,
            price=price[0] if price else None,
            quantity=(
                None if self.fulfillment_channel == "afn" else int(quantities.get(self.id) or 0)
            ),
            lead_time_days=account.fulfillment_latency or None,
            fulfillment_channel="AMAZON_NA" if self.fulfillment_channel == "afn" else "DEFAULT",
            main_image_url=self._image_url(product),
            other_image_urls=self._other_image_urls(product),
            sale_price=self.sale_price or None,
            sale_start=self.sale_start if self.sale_price else None,
            # Amazon's end is an instant: the whole last day of the sale is in it
            sale_end=self.sale_end + timedelta(days=1) if self.sale_price else None,
            min_price=self.min_price or None,
            max_price=self.max_price or None,
            list_price=self.msrp or None,
        )
        if self.parent_listing_id:
            theme = self._variation_values()
            values.update(
                parentage="child",
                parent_sku=self.parent_listing_id.seller_sku,
                variation_theme=_theme(theme),
            )
            if theme:
                values["extra"].update({"size": theme[1], "color": theme[2]})
        for mapping in account.attribute_map_ids:
            values["extra"][mapping.attribute_path] = mapping._value(product)
        return listings_json.ListingValues(**values)

    def _image_url(self, product):
        if not product.image_1920:
            return None
        base_url = self.account_id.get_base_url()
        return f"{base_url}/web/image/product.product/{product.id}/image_1920"

    def _other_image_urls(self, product):
        """The template's extra images (website_sale's product.image), when installed."""
        if "product_template_image_ids" not in product._fields:
            return ()
        base_url = self.account_id.get_base_url()
        images = product.product_variant_image_ids | product.product_template_image_ids
        return tuple(
            f"{base_url}/web/image/product.image/{image.id}/image_1920" for image in images
        )

    def _listing_attributes(self, values):
        return listings_json.attributes(values, hook=self._amazon_attributes_hook)

    def _amazon_attributes_hook(self, attributes, values):
        """Override point: change the attributes computed from Odoo data (``values``: the
        ListingValues) before they are checked and sent; return the dict or None."""
        return attributes


def _theme(theme):
    """The connector's variation theme (Size, Color, Size-Color) in Amazon's words."""
    if not theme:
        return None
    return {"Size": "SIZE", "Color": "COLOR", "Size-Color": "SIZE/COLOR"}.get(theme[0])
