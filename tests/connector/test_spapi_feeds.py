"""SP-API order feeds (lib/spapi_api._Feeds) against a local stand-in of the Feeds API:
document, upload to the pre-signed URL (made again when it expired), createFeed, getFeed(s),
the gzipped processing report; and what an SP-API account never sends."""

import gzip
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from amazon_integration.lib import api
from amazon_integration.lib.api import AmazonCallError, QuotaWait
from amazon_integration.lib.spapi_api import SpApi

SIGNATURE = "X-Amz-Signature=5ecre7519na7ure"
REPORT = (
    b"<?xml version='1.0'?><AmazonEnvelope><Message><ProcessingReport/></Message></AmazonEnvelope>"
)


class Stand(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def _send(self, status, body=None, raw=None):
        data = raw if raw is not None else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self):
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def do_POST(self):
        state, path = self.server.state, urlsplit(self.path).path
        body = self._body()
        if path == "/auth/o2/token":
            return self._send(200, {"access_token": "Atza|T", "expires_in": 3600})
        if path == "/feeds/2021-06-30/documents":
            state["documents"] += 1
            doc = f"amzn1.tortuga.{state['documents']}"
            base = f"http://127.0.0.1:{self.server.server_address[1]}"
            return self._send(201, {"feedDocumentId": doc, "url": f"{base}/up/{doc}?{SIGNATURE}"})
        if path == "/feeds/2021-06-30/feeds":
            spec = json.loads(body)
            state["feeds"].append(spec)
            return self._send(202, {"feedId": str(50000 + len(state["feeds"]))})
        self._send(404, {"errors": [{"code": "NotFound", "message": path}]})

    def do_PUT(self):
        state = self.server.state
        body = self._body()
        if state["expire_uploads"]:
            state["expire_uploads"] -= 1
            return self._send(
                403, raw=b"<Error><Code>AccessDenied</Code>Request has expired</Error>"
            )
        state["uploads"].append((urlsplit(self.path).path, self.headers["Content-Type"], body))
        self._send(200, raw=b"")

    def do_GET(self):
        state, url = self.server.state, urlsplit(self.path)
        if url.path.startswith("/feeds/2021-06-30/feeds/"):
            feed_id = url.path.rsplit("/", 1)[1]
            return self._send(
                200,
                {
                    "feedId": feed_id,
                    "feedType": "POST_ORDER_FULFILLMENT_DATA",
                    "createdTime": "2026-12-01T10:00:00Z",
                    "processingStatus": state["status"],
                    "resultFeedDocumentId": "amzn1.result.1" if state["status"] == "DONE" else None,
                },
            )
        if url.path == "/feeds/2021-06-30/feeds":
            state["listed"].append(parse_qs(url.query))
            return self._send(
                200,
                {
                    "feeds": [
                        {
                            "feedId": "50001",
                            "feedType": "POST_ORDER_FULFILLMENT_DATA",
                            "createdTime": "2026-12-01T10:00:00Z",
                            "processingStatus": "IN_QUEUE",
                        }
                    ]
                },
            )
        if url.path == "/feeds/2021-06-30/documents/amzn1.result.1":
            base = f"http://127.0.0.1:{self.server.server_address[1]}"
            return self._send(
                200,
                {
                    "feedDocumentId": "amzn1.result.1",
                    "url": f"{base}/down/result?{SIGNATURE}",
                    "compressionAlgorithm": "GZIP",
                },
            )
        if url.path == "/down/result":
            return self._send(200, raw=gzip.compress(REPORT))
        self._send(404, {"errors": [{"code": "NotFound", "message": url.path}]})


class Gate:
    """Lets every call through (or none), and remembers what was asked."""

    def __init__(self):
        self.acquired, self.closed = [], set()

    def acquire(self, capability, operation, reserve):
        self.acquired.append((capability, operation, reserve))
        return 30.0 if operation in self.closed else 0.0

    def replied(self, capability, operation, reply):
        pass

    def failed(self, capability, operation, error):
        pass


@pytest.fixture
def stand():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Stand)
    server.state = {
        "documents": 0,
        "feeds": [],
        "uploads": [],
        "listed": [],
        "expire_uploads": 0,
        "status": "IN_QUEUE",
    }
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def connect(stand, gate):
    base = f"http://127.0.0.1:{stand.server_address[1]}"
    from amazon_integration.lib.spapi_transport import MemoryTokenStore

    return SpApi.connect(
        credentials={"lwa_client_id": "C", "lwa_client_secret": "S", "lwa_refresh_token": "R"},
        seller_id="A1",
        endpoint=base,
        timeout=5.0,
        marketplaces=["ATVPDKIKX0DER"],
        gate=gate,
        tokens=MemoryTokenStore(),
        lwa_endpoint=f"{base}/auth/o2/token",
    )


def test_an_order_feed_is_a_document_an_upload_and_a_feed(stand):
    gate = Gate()
    amazon = connect(stand, gate)
    submission = amazon.feeds.submit("OrderFulfillment", b"<AmazonEnvelope/>", reserve=0)
    assert (submission.submission_id, submission.state) == ("50001", api.QUEUED)
    [(path, content_type, body)] = stand.state["uploads"]
    assert path == "/up/amzn1.tortuga.1" and body == b"<AmazonEnvelope/>"
    assert content_type == "text/xml; charset=UTF-8"
    assert stand.state["feeds"] == [
        {
            "feedType": "POST_ORDER_FULFILLMENT_DATA",
            "marketplaceIds": ["ATVPDKIKX0DER"],
            "inputFeedDocumentId": "amzn1.tortuga.1",
        }
    ]
    assert [op for _c, op, _r in gate.acquired] == ["createFeedDocument", "createFeed"]


def test_an_expired_upload_url_is_made_again_once(stand):
    stand.state["expire_uploads"] = 1
    amazon = connect(stand, Gate())
    amazon.feeds.submit("OrderAcknowledgement", b"<x/>")
    assert stand.state["documents"] == 2, "a second document for the second URL"
    assert len(stand.state["uploads"]) == 1 and len(stand.state["feeds"]) == 1
    stand.state["expire_uploads"] = 2
    with pytest.raises(AmazonCallError) as expired:
        amazon.feeds.submit("OrderAcknowledgement", b"<x/>")
    assert expired.value.code == "ExpiredUrl"
    assert "5ecre7519na7ure" not in f"{expired.value} {expired.value.message}"
    assert len(stand.state["feeds"]) == 1, "no feed without its document"


def test_status_result_and_the_feeds_since_a_moment(stand):
    amazon = connect(stand, Gate())
    [info] = amazon.feeds.status(["50001"])
    assert (info.state, info.status, info.feed_type) == (
        api.QUEUED,
        "IN_QUEUE",
        "POST_ORDER_FULFILLMENT_DATA",
    )
    stand.state["status"] = "DONE"
    assert amazon.feeds.status(["50001"])[0].state == api.DONE
    assert amazon.feeds.result("50001") == REPORT, "gunzipped"
    [lost] = amazon.feeds.submitted_since("OrderFulfillment", "2026-12-01T09:55:00Z")
    assert lost.submission_id == "50001"
    assert stand.state["listed"][0]["feedTypes"] == ["POST_ORDER_FULFILLMENT_DATA"]


def test_the_quota_stops_a_status_round_without_losing_what_it_read(stand):
    gate = Gate()
    amazon = connect(stand, gate)
    assert [i.submission_id for i in amazon.feeds.status(["50001", "50002"])] == ["50001", "50002"]
    gate.closed.add("getFeed")
    with pytest.raises(QuotaWait):
        amazon.feeds.status(["50001"])


def test_listing_feeds_are_never_sent_over_sp_api(stand):
    amazon = connect(stand, Gate())
    with pytest.raises(AmazonCallError) as refused:
        amazon.feeds.submit("Inventory", b"<x/>")
    assert refused.value.code == "UnsupportedFeedType"
    assert not stand.state["documents"], "nothing asked of Amazon"
