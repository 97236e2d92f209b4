"""The SP-API client (lib/spapi_transport.py) against a tiny local stand-in of Login with
Amazon and one SP-API route: tokens shared through the store, one refresh on an expired
token, errors with a kind and without a secret in them, an explicit timeout."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from amazon_integration.lib import api
from amazon_integration.lib.api import AmazonCallError
from amazon_integration.lib.spapi_transport import MemoryTokenStore, SpApiTransport

CLIENT_ID, SECRET, REFRESH = "amzn1.application-oa2-client.X", "S3CR3T-VALUE", "Atzr|REFRESH-1"


class Stand(BaseHTTPRequestHandler):
    server_version = "stand"

    def log_message(self, *args):
        pass

    def _send(self, status, body, headers=None):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):  # Login with Amazon
        state = self.server.state
        form = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
        state["lwa_calls"] += 1
        if form.get("client_secret") != [SECRET] or form.get("client_id") != [CLIENT_ID]:
            return self._send(
                401,
                {"error": "invalid_client", "error_description": "Client authentication failed"},
            )
        if form.get("refresh_token") != [REFRESH] or state["revoked"]:
            return self._send(
                400,
                {"error": "invalid_grant", "error_description": "invalid grant: refresh_token"},
            )
        state["issued"] += 1
        token = f"Atza|TOKEN-{state['issued']}"
        state["valid"] = {token}
        self._send(200, {"access_token": token, "token_type": "bearer", "expires_in": 3600})

    def do_GET(self):
        state = self.server.state
        url = urlsplit(self.path)
        token = self.headers.get("x-amz-access-token")
        state["api_calls"].append((url.path, parse_qs(url.query), token))
        if state["fail_next"]:
            status, body = state["fail_next"].pop(0)
            return self._send(status, body, {"x-amzn-RequestId": "req-fail"})
        if token not in state["valid"]:
            return self._send(
                403,
                {
                    "errors": [
                        {
                            "code": "Unauthorized",
                            "message": "Access to requested resource is denied.",
                            "details": "The access token you provided has expired.",
                        }
                    ]
                },
            )
        self._send(
            200,
            {"payload": [{"marketplace": {"id": "ATVPDKIKX0DER"}, "participation": {}}]},
            {"x-amzn-RequestId": "req-1", "x-amzn-RateLimit-Limit": "0.016"},
        )


@pytest.fixture
def stand():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Stand)
    server.state = {
        "lwa_calls": 0,
        "issued": 0,
        "valid": set(),
        "revoked": False,
        "api_calls": [],
        "fail_next": [],
    }
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def transport(stand, store=None, secret=SECRET, timeout=5.0):
    base = f"http://127.0.0.1:{stand.server_address[1]}"
    return SpApiTransport(
        client_id=CLIENT_ID,
        client_secret=secret,
        refresh_token=REFRESH,
        endpoint=base,
        lwa_endpoint=f"{base}/auth/o2/token",
        tokens=store or MemoryTokenStore(),
        timeout=timeout,
    )


def participations(client):
    return client.call(
        "getMarketplaceParticipations", "GET", "/sellers/v1/marketplaceParticipations"
    )


def assert_no_secret(error, *extra):
    text = f"{error} {error.code} {error.message}"
    for secret in (SECRET, REFRESH, *extra):
        assert secret not in text


def test_the_token_is_shared_through_the_store(stand):
    store = MemoryTokenStore()
    first, second = transport(stand, store), transport(stand, store)  # two workers
    reply = participations(first)
    assert reply.json()["payload"][0]["marketplace"]["id"] == "ATVPDKIKX0DER"
    assert reply.request_id == "req-1"
    participations(second)
    participations(first)
    assert stand.state["lwa_calls"] == 1, "one token for every call and worker"
    assert {token for _p, _q, token in stand.state["api_calls"]} == {"Atza|TOKEN-1"}


def test_an_expired_token_is_refreshed_once_and_the_call_made_again(stand):
    store = MemoryTokenStore()
    client = transport(stand, store)
    participations(client)
    stand.state["valid"] = set()  # Amazon expired it before our clock did
    reply = participations(client)
    assert reply.status == 200
    assert stand.state["lwa_calls"] == 2
    assert store.get() == "Atza|TOKEN-2"
    # refused again after the refresh: an auth error, not a loop
    stand.state["fail_next"] = [
        (403, {"errors": [{"code": "Unauthorized", "message": "denied"}]}),
        (403, {"errors": [{"code": "Unauthorized", "message": "denied"}]}),
    ]
    with pytest.raises(AmazonCallError) as refused:
        participations(client)
    assert refused.value.kind == api.AUTH
    assert stand.state["lwa_calls"] == 3


def test_bad_client_secret_and_revoked_refresh_token_are_auth_errors_without_secrets(stand):
    with pytest.raises(AmazonCallError) as bad_client:
        participations(transport(stand, secret="WRONG-SECRET-XYZ"))
    assert bad_client.value.kind == api.AUTH
    assert bad_client.value.code == "invalid_client"
    assert "client secret" in bad_client.value.message
    assert_no_secret(bad_client.value, "WRONG-SECRET-XYZ")
    stand.state["revoked"] = True
    with pytest.raises(AmazonCallError) as revoked:
        participations(transport(stand))
    assert revoked.value.code == "invalid_grant"
    assert "authorise the application again" in revoked.value.message
    assert_no_secret(revoked.value)
    assert not stand.state["api_calls"], "nothing asked of the API without a token"


def test_throttled_server_error_and_bad_input_have_their_kinds(stand):
    client = transport(stand)
    stand.state["fail_next"] = [
        (429, {"errors": [{"code": "QuotaExceeded", "message": "You exceeded your quota"}]}),
        (503, {"errors": [{"code": "ServiceUnavailable", "message": "later"}]}),
        (400, {"errors": [{"code": "InvalidInput", "message": "bad date"}]}),
    ]
    kinds = []
    for _n in range(3):
        with pytest.raises(AmazonCallError) as failed:
            participations(client)
        kinds.append((failed.value.kind, failed.value.code, failed.value.http_status))
    assert kinds == [
        (api.THROTTLED, "QuotaExceeded", 429),
        (api.TRANSIENT, "ServiceUnavailable", 503),
        (api.PERMANENT, "InvalidInput", 400),
    ]
    assert failed.value.request_id == "req-fail"


def test_unreachable_is_transient_and_lists_are_comma_separated(stand):
    port = stand.server_address[1]
    stand.shutdown()
    stand.server_close()
    client = transport(stand, timeout=0.5)
    client.endpoint = client.lwa_endpoint = f"http://127.0.0.1:{port}"
    with pytest.raises(AmazonCallError) as unreachable:
        participations(client)
    assert unreachable.value.kind == api.TRANSIENT
    assert unreachable.value.code == "ConnectionError"


def test_query_lists(stand):
    client = transport(stand)
    client.call(
        "searchOrders",
        "GET",
        "/orders/2026-01-01/orders",
        params={"includedData": ["BUYER", "RECIPIENT"], "createdBefore": None, "x": []},
    )
    _path, query, _token = stand.state["api_calls"][-1]
    assert query == {"includedData": ["BUYER,RECIPIENT"]}
