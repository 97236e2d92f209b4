"""SP-API face: Login with Amazon (the token endpoint), per-seller credentials, and the
access token check of SP-API calls, on the sandbox clock."""

import requests

from amazon_sandbox.lwa import credentials
from amazon_sandbox.testing import Creds

PARTICIPATIONS = "/sellers/v1/marketplaceParticipations"
EXPIRED = {
    "errors": [
        {
            "code": "Unauthorized",
            "message": "Access to requested resource is denied.",
            "details": "The access token you provided has expired.",
        }
    ]
}
INVALID = {
    "errors": [
        {
            "code": "Unauthorized",
            "message": "Access to requested resource is denied.",
            "details": "The access token you provided is revoked, malformed or invalid.",
        }
    ]
}
INVALID_CLIENT = {"error": "invalid_client", "error_description": "Client authentication failed"}
INVALID_GRANT = {
    "error": "invalid_grant",
    "error_description": "The request has an invalid grant parameter : refresh_token",
}


def participations(box, creds=None, token=None):
    return box.spapi(creds, PARTICIPATIONS, token=token)


def test_token_exchange(sandbox, seller):
    resp = sandbox.lwa(seller)
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].startswith("application/json")
    data = resp.json()
    assert set(data) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert data["access_token"].startswith("Atza|")
    assert data["refresh_token"] == seller.refresh_token
    assert data["token_type"] == "bearer"
    assert data["expires_in"] == 3600
    again = sandbox.lwa(seller).json()["access_token"]
    assert again != data["access_token"]  # random; both valid
    for token in (data["access_token"], again):
        assert participations(sandbox, token=token).status_code == 200


def test_token_exchange_accepts_a_json_body(sandbox, seller):
    resp = requests.post(
        sandbox.lwa_url,
        json={
            "grant_type": "refresh_token",
            "refresh_token": seller.refresh_token,
            "client_id": seller.client_id,
            "client_secret": seller.client_secret,
        },
        timeout=10,
    )
    assert resp.status_code == 200, resp.text


def test_invalid_client(sandbox, seller):
    for override in (
        {"client_id": "amzn1.application-oa2-client.unknown"},
        {"client_secret": "amzn1.oa2-cs.v1.wrong"},
        {"client_secret": ""},
        {"client_id": sandbox.new_seller().client_id},  # another seller's client, my secret
    ):
        resp = sandbox.lwa(seller, **override)
        assert (resp.status_code, resp.json()) == (401, INVALID_CLIENT), override


def test_invalid_grant(sandbox, seller):
    other = sandbox.new_seller()
    for token in ("Atzr|unknown", other.refresh_token):
        resp = sandbox.lwa(seller, refresh_token=token)
        assert (resp.status_code, resp.json()) == (400, INVALID_GRANT)


def test_other_grant_types_and_missing_parameters(sandbox, seller):
    resp = sandbox.lwa(seller, grant_type="client_credentials")
    assert resp.status_code == 400
    assert resp.json()["error"] == "unsupported_grant_type"
    resp = sandbox.lwa(seller, refresh_token="")
    assert (resp.status_code, resp.json()["error"]) == (400, "invalid_request")
    assert requests.get(sandbox.lwa_url, timeout=10).status_code == 400


def test_revoked_refresh_token(sandbox, seller):
    token = sandbox.access_token(seller)
    assert sandbox.revoke(seller) == {
        "seller_id": seller.seller_id,
        "refresh_token_revoked": True,
    }
    resp = sandbox.lwa(seller)
    assert (resp.status_code, resp.json()) == (400, INVALID_GRANT)
    info = sandbox.admin("GET", f"/admin/sellers/{seller.seller_id}")
    assert info["refresh_token_revoked"] is True
    # access tokens already issued live until they expire
    assert participations(sandbox, token=token).status_code == 200
    sandbox.revoke(seller, revoked=False)
    assert sandbox.lwa(seller).status_code == 200


def test_expired_access_token_after_an_hour(sandbox, seller, spapi_check):
    token = sandbox.access_token(seller)
    sandbox.advance(3599)
    assert participations(sandbox, token=token).status_code == 200
    sandbox.advance(1)  # one hour on the sandbox clock
    resp = participations(sandbox, token=token)
    assert resp.status_code == 403
    assert spapi_check(resp, "sellers.json", "getMarketplaceParticipations") == EXPIRED
    assert resp.headers["x-amzn-RateLimit-Limit"] == "0.016"
    assert participations(sandbox, seller).status_code == 200  # a new token works


def test_admin_expires_access_tokens_now(sandbox, seller):
    tokens = [sandbox.access_token(seller) for _ in range(2)]
    other = sandbox.new_seller()
    other_token = sandbox.access_token(other)
    assert sandbox.expire_tokens(seller) == {"seller_id": seller.seller_id, "expired": 2}
    for token in tokens:
        assert participations(sandbox, token=token).json() == EXPIRED
    assert participations(sandbox, token=other_token).status_code == 200


def test_unknown_or_missing_access_token(sandbox, spapi_check):
    for token in ("Atza|forged", None):
        resp = participations(sandbox, token=token)
        assert resp.status_code == 403
        assert spapi_check(resp, "sellers.json", "getMarketplaceParticipations") == INVALID


def test_no_sigv4_needed_and_mws_keys_are_not_tokens(sandbox, seller):
    resp = participations(sandbox, token=seller.secret_key)
    assert resp.json() == INVALID


def test_credentials_are_derived_from_the_seller_id(sandbox, seller):
    info = sandbox.admin("GET", f"/admin/sellers/{seller.seller_id}")
    derived = credentials(seller.seller_id)
    assert {k: info[k] for k in derived} == derived
    assert (seller.client_id, seller.client_secret, seller.refresh_token) == (
        derived["client_id"],
        derived["client_secret"],
        derived["refresh_token"],
    )
    assert derived["client_id"].startswith("amzn1.application-oa2-client.")
    assert len(derived["client_id"]) == len("amzn1.application-oa2-client.") + 32
    assert derived["client_secret"].startswith("amzn1.oa2-cs.v1.")
    assert derived["refresh_token"].startswith("Atzr|")
    listed = {s["seller_id"]: s for s in sandbox.admin("GET", "/admin/sellers")}
    assert listed[seller.seller_id]["refresh_token"] == seller.refresh_token
    assert listed[seller.seller_id]["refresh_token_revoked"] is False
    created = sandbox.admin(
        "POST",
        "/admin/sellers",
        {"seller_id": "A1CREDSHOWN", "access_key": "AKCREDSHOWN", "secret_key": "s"},
    )
    assert created["client_id"] == credentials("A1CREDSHOWN")["client_id"]
    # Creds built by hand get them too (existing callers keep working)
    assert Creds("A1CREDSHOWN", "AKCREDSHOWN", "s").client_secret == created["client_secret"]


def test_demo_seller_credentials(start_sandbox):
    box = start_sandbox()
    demo = Creds("A2DEMOSELLER01", "DEMOACCESSKEY", "DEMOSECRETKEY")
    assert demo.client_id == "amzn1.application-oa2-client.cf6982d6bd990c842ef6522f33ab6d4d"
    assert demo.client_secret == (
        "amzn1.oa2-cs.v1.1c48ec7cdbe7b754eb04372b7343cbbcc80642883cda895ae79566e276ace3a5"
    )
    assert demo.refresh_token == (
        "Atzr|4832e95f20cda5517c217a4ba037ef09004cdf5bdec4e8c893230a4bcf7531be"
    )
    resp = box.spapi(demo, PARTICIPATIONS)
    assert resp.status_code == 200
    assert resp.json()["payload"][0]["marketplace"]["id"] == "ATVPDKIKX0DER"
