from . import amazon_order_download
