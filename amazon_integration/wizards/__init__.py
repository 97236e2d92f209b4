from . import amazon_order_download
from . import amazon_order_cancel
