"""SP-API reports (lib/spapi_api._Reports) against a local stand-in of the Reports API:
createReport, getReport, getReports (requested since, scheduled documents), the document
downloaded and gunzipped, and CANCELLED (Amazon's "no data") read as done without data."""

import gzip
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from test_spapi_feeds import Gate, connect

from amazon_integration.lib import api
from amazon_integration.lib.api import AmazonCallError

RDT = "Atz.sprdt|RESTRICTED-TOKEN-1"
AFN = (
    b"seller-sku\tfulfillment-channel-sku\tasin\tcondition-type\tWarehouse-Condition-code"
    b"\tQuantity Available\nA\tX1\tB0A\tNewItem\tSELLABLE\t7\n"
)


def report(report_id, status, document=None, kind="GET_AFN_INVENTORY_DATA"):
    out = {
        "reportId": report_id,
        "reportType": kind,
        "createdTime": "2026-12-01T10:00:00Z",
        "processingStatus": status,
        "dataStartTime": "2026-11-30T10:00:00Z",
        "dataEndTime": "2026-12-01T10:00:00Z",
    }
    if document:
        out["reportDocumentId"] = document
    return out


class Stand(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def _send(self, status, body=None, raw=None):
        data = raw if raw is not None else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        state, path = self.server.state, urlsplit(self.path).path
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if path == "/auth/o2/token":
            return self._send(200, {"access_token": "Atza|T", "expires_in": 3600})
        if path == "/tokens/2021-03-01/restrictedDataToken":
            state["rdt"].append(json.loads(body))
            if state["rdt_refused"]:
                return self._send(403, {"errors": [{"code": "Unauthorized", "message": "no"}]})
            return self._send(200, {"restrictedDataToken": RDT, "expiresIn": 3600})
        state["created"].append(json.loads(body))
        self._send(202, {"reportId": "900"})

    def do_GET(self):
        state, url = self.server.state, urlsplit(self.path)
        base = f"http://127.0.0.1:{self.server.server_address[1]}"
        if url.path == "/reports/2021-06-30/reports/900":
            return self._send(200, report("900", state["status"], state["document"]))
        if url.path == "/reports/2021-06-30/reports":
            query = parse_qs(url.query)
            state["listed"].append(query)
            if "nextToken" in query:
                return self._send(200, {"reports": [report("902", "DONE", "doc-902")]})
            return self._send(
                200,
                {
                    "reports": [
                        report(
                            "901", "DONE", "doc-901", "GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2"
                        ),
                        report(
                            "903", "IN_PROGRESS", None, "GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2"
                        ),
                    ],
                    "nextToken": "NT2",
                },
            )
        if url.path.startswith("/reports/2021-06-30/documents/"):
            doc = url.path.rsplit("/", 1)[1]
            state["document_tokens"].append(self.headers.get("x-amz-access-token"))
            if doc.startswith("doc-pii") and self.headers.get("x-amz-access-token") != RDT:
                return self._send(403, {"errors": [{"code": "Unauthorized", "message": "PII"}]})
            gz = doc != "doc-plain"
            answer = {"reportDocumentId": doc, "url": f"{base}/down/{doc}?X-Amz-Signature=s"}
            if gz:
                answer["compressionAlgorithm"] = "GZIP"
            return self._send(200, answer)
        if url.path.startswith("/down/"):
            return self._send(200, raw=AFN if url.path.endswith("plain") else gzip.compress(AFN))
        self._send(404, {"errors": [{"code": "NotFound", "message": url.path}]})


@pytest.fixture
def stand():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Stand)
    server.state = {
        "created": [],
        "listed": [],
        "status": "IN_QUEUE",
        "document": None,
        "rdt": [],
        "rdt_refused": False,
        "document_tokens": [],
    }
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def test_request_poll_download_parse(stand):
    amazon = connect(stand, Gate())
    asked = amazon.reports.request(api.REPORT_FBA_INVENTORY)
    assert (asked.request_id, asked.state) == ("900", api.QUEUED)
    assert stand.state["created"] == [
        {"reportType": "GET_AFN_INVENTORY_DATA", "marketplaceIds": ["ATVPDKIKX0DER"]}
    ]
    [waiting] = amazon.reports.requests(["900"])
    assert waiting.state == api.QUEUED and waiting.report_id is None
    stand.state.update(status="DONE", document="doc-900")
    [done] = amazon.reports.requests(["900"])
    assert (done.state, done.report_id, done.kind) == (
        api.DONE,
        "doc-900",
        api.REPORT_FBA_INVENTORY,
    )
    rows = amazon.reports.parse(api.REPORT_FBA_INVENTORY, amazon.reports.download("doc-900"))
    assert rows[0]["sku"] == "A" and rows[0]["quantity"] == 7
    assert amazon.reports.download("doc-plain") == AFN, "a plain document as it is"
    stand.state.update(status="CANCELLED", document=None)
    assert amazon.reports.requests(["900"])[0].state == api.DONE_NO_DATA, "Amazon's no data"


def test_scheduled_settlements_are_listed_by_pages(stand):
    amazon = connect(stand, Gate())
    page = amazon.reports.available(api.REPORT_SETTLEMENT, since="2026-11-01T00:00:00Z")
    assert [r.report_id for r in page.items] == ["doc-901"], "only the finished ones"
    assert page.items[0].kind == api.REPORT_SETTLEMENT
    query = stand.state["listed"][0]
    assert query["reportTypes"] == ["GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2"]
    assert query["processingStatuses"] == ["DONE"]
    more = amazon.reports.next_available(page.next_token)
    assert [r.report_id for r in more.items] == ["doc-902"] and more.next_token is None
    assert stand.state["listed"][1] == {"nextToken": ["NT2"]}


def test_the_order_report_with_addresses_is_read_with_a_restricted_data_token(stand):
    amazon = connect(stand, Gate())
    amazon.reports.request(api.REPORT_ORDERS_NEW, "2026-12-01T00:00:00Z", "2026-12-01T01:00:00Z")
    assert stand.state["created"][0]["reportType"] == "GET_FLAT_FILE_ORDER_REPORT_DATA_SHIPPING"
    body = amazon.reports.download("doc-pii-1", api.REPORT_ORDERS_NEW)
    assert gzip.decompress(gzip.compress(AFN)) == body
    assert stand.state["rdt"] == [
        {
            "restrictedResources": [
                {"method": "GET", "path": "/reports/2021-06-30/documents/doc-pii-1"}
            ]
        }
    ], "one token for exactly that document"
    assert stand.state["document_tokens"] == [RDT]
    amazon.reports.download("doc-900", api.REPORT_FBA_INVENTORY)
    assert len(stand.state["rdt"]) == 1, "an ordinary report needs none"
    assert stand.state["document_tokens"][-1] == "Atza|T"


def test_a_refused_restricted_data_token_names_the_role_and_reads_nothing(stand):
    amazon = connect(stand, Gate())
    stand.state["rdt_refused"] = True
    with pytest.raises(AmazonCallError) as refused:
        amazon.reports.download("doc-pii-2", api.REPORT_ORDERS_NEW)
    error = refused.value
    assert error.kind == api.PERMANENT, "the connection is fine: the app lacks a role"
    assert "Direct-to-Consumer Shipping" in error.message
    assert not stand.state["document_tokens"], "no document asked for without the token"
    assert RDT not in str(error) and "Atza|T" not in str(error)


def test_capacities_follow_each_api_s_quotas():
    from amazon_integration.lib.mws_api import MwsApi
    from amazon_integration.lib.spapi_api import SpApi

    assert MwsApi.sustained("orders.items", 60) == 30, "ListOrderItems: one every 2 s"
    assert MwsApi.sustained("orders.search", 60) == 1, "ListOrders: a page a minute"
    assert round(SpApi.sustained("orders.search", 3600)) == 20, "searchOrders: 20 pages an hour"
    assert SpApi.supports("order_reports") and "order_reports" in SpApi.restricted_groups
    assert not MwsApi.restricted_groups
