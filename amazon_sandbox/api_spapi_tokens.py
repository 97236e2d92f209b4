"""The Tokens API 2021-03-01 on the SP-API face: createRestrictedDataToken.

A Restricted Data Token (RDT) is an access token for the restricted resources (method and
path) it names, and for nothing else; it lives one hour on the sandbox clock. It is stored by
`lwa` (`lwa_restricted_tokens`) and checked by the `spapi` frame; the restricted report
documents of the Reports API (`api_spapi_reports.RESTRICTED_REPORT_TYPES`) need one.
"""

from __future__ import annotations

from . import lwa
from .spapi import UNAUTHORIZED, SpError, SpRequest, invalid_input, route

MODEL = "tokens_2021-03-01.json"
METHODS = ("GET", "PUT", "POST", "DELETE")
MAX_RESOURCES = 50
#: Amazon's message for a request it cannot read (the model's example of a 400)
INVALID_REQUEST = "Request is missing or has invalid parameters"


def _resource(item) -> dict:
    """One RestrictedResource of the body, checked."""
    if not isinstance(item, dict):
        raise invalid_input(INVALID_REQUEST, "Each restricted resource must be an object.")
    method, path = item.get("method"), item.get("path")
    if method not in METHODS:
        raise invalid_input(
            INVALID_REQUEST, f"Invalid method: {method!r}. Valid values: {', '.join(METHODS)}."
        )
    if not isinstance(path, str) or not path.startswith("/"):
        raise invalid_input(INVALID_REQUEST, f"Invalid path: {path!r}. It must start with '/'.")
    resource = {"method": method, "path": path}
    elements = item.get("dataElements")
    if elements is not None:
        if not isinstance(elements, list) or not all(isinstance(e, str) for e in elements):
            raise invalid_input(INVALID_REQUEST, "dataElements must be an array of strings.")
        resource["dataElements"] = elements
    return resource


@route(
    "POST",
    "/tokens/2021-03-01/restrictedDataToken",
    operation="createRestrictedDataToken",
    model=MODEL,
    rate="1",
    burst=10,
)
def create_restricted_data_token(req: SpRequest) -> dict:
    if req.rdt_path is not None:
        raise SpError(
            403, "Unauthorized", UNAUTHORIZED, "A restricted data token cannot create another."
        )
    spec = req.json()
    items = spec.get("restrictedResources")
    if not isinstance(items, list) or not items:
        raise invalid_input(INVALID_REQUEST, "Resource not provided.")
    if len(items) > MAX_RESOURCES:
        raise invalid_input(
            INVALID_REQUEST, f"At most {MAX_RESOURCES} restricted resources are allowed."
        )
    target = spec.get("targetApplication")
    if target is not None and not isinstance(target, str):
        raise invalid_input(INVALID_REQUEST, "targetApplication must be a string.")
    resources = [_resource(item) for item in items]
    with req.state.store.tx() as db:
        token = lwa.issue_restricted_token(db, req.seller.seller_id, resources, req.now.timestamp())
    return {"restrictedDataToken": token, "expiresIn": lwa.RESTRICTED_TOKEN_SECONDS}
