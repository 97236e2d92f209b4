"""The connector's MWS transport against the sandbox: real client, real HTTP on loopback."""

import time

import pytest

from amazon_integration.lib.transport import MwsCallError, MwsTransport
from amazon_sandbox.testing import Sandbox


@pytest.fixture(scope="module")
def box(tmp_path_factory):
    sandbox = Sandbox(tmp_path_factory.mktemp("transport"), ["--seed", "3"])
    yield sandbox
    sandbox.stop()


def transport(box, creds, **kw):
    return MwsTransport(
        access_key=creds.access_key,
        secret_key=creds.secret_key,
        seller_id=creds.seller_id,
        endpoint=box.url,
        auth_token=creds.auth_token,
        **kw,
    )


def test_successful_call_reports_request_id_and_body(box):
    creds = box.new_seller()
    reply = transport(box, creds).call("ListMarketplaceParticipations")
    assert reply.status == 200
    assert reply.request_id
    markets = [el.text for el in reply.xml().iter() if el.tag.endswith("MarketplaceId")]
    assert "ATVPDKIKX0DER" in markets
    assert reply.duration > 0


def test_wrong_secret_is_an_auth_error(box):
    creds = box.new_seller()
    creds.secret_key = "not-the-secret"
    with pytest.raises(MwsCallError) as info:
        transport(box, creds).call("ListMarketplaceParticipations")
    assert info.value.kind == "auth"
    assert info.value.code == "SignatureDoesNotMatch"
    assert info.value.http_status == 403
    assert info.value.request_id
    assert "not-the-secret" not in str(info.value)


def test_unknown_key_is_an_auth_error(box):
    creds = box.new_seller()
    creds.access_key = "AKIAUNKNOWN"
    with pytest.raises(MwsCallError) as info:
        transport(box, creds).call("ListMarketplaceParticipations")
    assert info.value.kind == "auth"
    assert info.value.code == "InvalidAccessKeyId"


def test_error_response_with_status_200_is_an_error(box):
    creds = box.new_seller()
    box.fault(creds, "error_200", count=1)
    with pytest.raises(MwsCallError) as info:
        transport(box, creds).call("ListMarketplaceParticipations")
    assert info.value.http_status == 200
    assert info.value.kind in ("transient", "permanent")


def test_server_error_is_transient(box):
    creds = box.new_seller()
    box.fault(creds, "internal_error", count=1)
    with pytest.raises(MwsCallError) as info:
        transport(box, creds).call("ListMarketplaceParticipations")
    assert info.value.kind == "transient"
    assert info.value.retryable
    # the fault was used up: the next call goes through
    assert transport(box, creds).call("ListMarketplaceParticipations").status == 200


def test_timeout_is_explicit_and_transient(box):
    creds = box.new_seller()
    box.fault(creds, "delay", count=1, seconds=3)
    started = time.monotonic()
    with pytest.raises(MwsCallError) as info:
        transport(box, creds, timeout=0.5).call("ListMarketplaceParticipations")
    assert time.monotonic() - started < 2.5
    assert info.value.kind == "transient"
    assert info.value.code == "Timeout"


def test_throttled_is_classified(box):
    creds = box.new_seller()
    box.fault(creds, "throttle_storm", seconds=600)
    with pytest.raises(MwsCallError) as info:
        transport(box, creds).call("ListMarketplaceParticipations")
    assert info.value.kind == "throttled"
    assert info.value.code == "RequestThrottled"


def test_unknown_operation_is_a_programming_error(box):
    creds = box.new_seller()
    with pytest.raises(ValueError):
        transport(box, creds).call("DoSomethingElse")


def test_repr_hides_the_secret(box):
    creds = box.new_seller()
    assert creds.secret_key not in repr(transport(box, creds))


def test_malformed_xml_is_a_transient_error(box):
    creds = box.new_seller()
    box.fault(creds, "malformed", count=1)
    with pytest.raises(MwsCallError) as info:
        transport(box, creds).call("ListMarketplaceParticipations")
    assert info.value.kind == "transient"
    assert info.value.code == "MalformedResponse"
    assert transport(box, creds).call("ListMarketplaceParticipations").status == 200


def _closed_port():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_connection_error_text_holds_no_credential(box):
    creds = box.new_seller()
    creds.auth_token = "amzn.mws.token-of-the-seller"
    t = MwsTransport(
        access_key=creds.access_key,
        secret_key=creds.secret_key,
        seller_id=creds.seller_id,
        endpoint=f"http://127.0.0.1:{_closed_port()}",
        auth_token=creds.auth_token,
        timeout=2,
    )
    with pytest.raises(MwsCallError) as info:
        t.call("ListMarketplaceParticipations")
    text = f"{info.value} {info.value!r}"
    assert info.value.code == "ConnectionError"
    for secret in (creds.access_key, creds.secret_key, creds.auth_token, "Signature="):
        assert secret not in text
    assert "/Sellers/2011-07-01" in text  # what failed is still said


def test_unforeseen_library_failure_is_a_sanitised_call_error(box, monkeypatch):
    creds = box.new_seller()
    t = transport(box, creds)

    def broken(*args, **kwargs):
        raise RuntimeError(f"boom at {box.url}/Orders?AWSAccessKeyId={creds.access_key}")

    monkeypatch.setattr("mws.Sellers.list_marketplace_participations", broken)
    with pytest.raises(MwsCallError) as info:
        t.call("ListMarketplaceParticipations")
    assert info.value.code == "ClientError" and info.value.kind == "permanent"
    assert creds.access_key not in str(info.value)
    assert "RuntimeError: boom at" in info.value.message
