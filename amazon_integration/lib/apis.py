"""The implementations of the capabilities, by the name an account stores (``amazon_api``)."""

from .mws_api import MwsApi
from .spapi_api import SpApi

IMPLEMENTATIONS = {MwsApi.name: MwsApi, SpApi.name: SpApi}
