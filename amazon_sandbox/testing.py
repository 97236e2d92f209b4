"""Run the sandbox as a subprocess and drive it: for tests (pytest and Odoo) and benchmarks.

    box = Sandbox(data_dir, ["--seed", "7"])     # starts `python -m amazon_sandbox --port 0`
    creds = box.new_seller()                     # a fresh seller (own quotas, catalog, feeds)
    box.feeds(creds).submit_feed(...)            # python-amazon-mws clients aimed at the box
    box.advance(400)                             # move the sandbox clock
    box.spapi(creds, "/orders/2026-01-01/orders", {"createdAfter": "2024-01-01T00:00:00Z"})
    feed_id = box.sp_submit_feed(creds, "POST_ORDER_FULFILLMENT_DATA", xml)  # Feeds API
    box.advance(400)
    box.sp_feed_result(creds, feed_id)           # the processing report, gunzipped if need be
    box.stop()

`Creds` carries the MWS keys and the seller's SP-API (Login with Amazon) credentials, which the
sandbox derives from the seller id (`amazon_sandbox.lwa.credentials`). SP-API clients use
`box.url` as the endpoint and `box.lwa_url` as the token endpoint.

The admin helpers need ``requests``; the client helpers need python-amazon-mws (``mws``).
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
_SELLER_NUMBERS = itertools.count(1)


@dataclass
class Creds:
    seller_id: str
    access_key: str
    secret_key: str
    marketplace_id: str = "ATVPDKIKX0DER"
    auth_token: str | None = None
    # SP-API: Login with Amazon client and refresh token (derived from seller_id when empty)
    client_id: str = ""
    client_secret: str = ""
    refresh_token: str = ""

    def __post_init__(self):
        from .lwa import credentials

        derived = credentials(self.seller_id)
        for key, value in derived.items():
            if not getattr(self, key):
                setattr(self, key, value)


class Sandbox:
    """A running sandbox process and helpers to drive it."""

    def __init__(self, data_dir: Path, args: list[str]):
        self.data_dir = data_dir
        self.args = args
        self.proc: subprocess.Popen | None = None
        self.url = ""
        self.stderr_lines: list[str] = []
        self.start()

    def start(self) -> None:
        cmd = [
            sys.executable,
            "-m",
            "amazon_sandbox",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--data-dir",
            str(self.data_dir),
            *self.args,
        ]
        self.proc = subprocess.Popen(
            cmd,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        threading.Thread(target=self._drain_stderr, args=(self.proc,), daemon=True).start()
        deadline = time.monotonic() + 30
        line = ""
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if line.startswith("listening on "):
                self.url = line.split("listening on ", 1)[1].strip()
                return
            if not line and self.proc.poll() is not None:
                break
        self.stop()
        raise RuntimeError(f"sandbox did not start: {line!r}\n" + "".join(self.stderr_lines))

    def _drain_stderr(self, proc) -> None:
        for line in proc.stderr:
            self.stderr_lines.append(line)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def restart(self) -> None:
        self.stop()
        self.start()

    # ---- admin helpers -------------------------------------------------------------------
    def admin(self, method: str, path: str, json=None, expect: int | None = 200):
        resp = requests.request(method, self.url + path, json=json, timeout=30)
        if expect is not None:
            assert resp.status_code == expect, (resp.status_code, resp.text)
        ctype = resp.headers.get("Content-Type", "")
        return resp.json() if ctype.startswith("application/json") else resp.content

    def advance(self, seconds: float) -> dict:
        return self.admin("POST", "/admin/clock/advance", {"seconds": seconds})

    def new_seller(self, auth_token: str | None = None, marketplaces=("ATVPDKIKX0DER",)) -> Creds:
        n = next(_SELLER_NUMBERS)
        creds = Creds(
            f"A{os.getpid()}T{n:04d}",
            f"AKIA{os.getpid()}X{n}",
            f"secret-{n}/+=",
            marketplaces[0],
            auth_token,
        )
        self.admin(
            "POST",
            "/admin/sellers",
            {
                "seller_id": creds.seller_id,
                "access_key": creds.access_key,
                "secret_key": creds.secret_key,
                "marketplace_ids": list(marketplaces),
                "auth_token": auth_token,
            },
        )
        return creds

    # ---- SP-API helpers -------------------------------------------------------------------
    @property
    def lwa_url(self) -> str:
        """The Login with Amazon token endpoint of this sandbox."""
        return self.url + "/auth/o2/token"

    def lwa(self, creds: Creds, **overrides) -> requests.Response:
        """POST the refresh-token grant for creds (fields overridable) to the token endpoint."""
        form = {
            "grant_type": "refresh_token",
            "refresh_token": creds.refresh_token,
            "client_id": creds.client_id,
            "client_secret": creds.client_secret,
            **overrides,
        }
        return requests.post(self.lwa_url, data=form, timeout=30)

    def access_token(self, creds: Creds) -> str:
        """A fresh access token for creds (asserts that Login with Amazon gave one)."""
        resp = self.lwa(creds)
        assert resp.status_code == 200, (resp.status_code, resp.text)
        return resp.json()["access_token"]

    def spapi(
        self,
        creds: Creds | None,
        path: str,
        params=None,
        *,
        method: str = "GET",
        token: str | None = None,
        json=None,
    ) -> requests.Response:
        """One SP-API call with an access token (a new one for creds unless given); `json` is
        the request body (createFeed, createReport…)."""
        if token is None and creds is not None:
            token = self.access_token(creds)
        headers = {"accept": "application/json"}
        if token is not None:
            headers["x-amz-access-token"] = token
        return requests.request(
            method, self.url + path, params=params, headers=headers, json=json, timeout=30
        )

    # ---- SP-API documents (Feeds and Reports APIs) -----------------------------------------
    def expire_document_urls(self, creds: Creds) -> dict:
        """Every pre-signed document URL of the seller expires now."""
        return self.admin("POST", f"/admin/sellers/{creds.seller_id}/documents/expire-urls", {})

    def document_compression(
        self, creds: Creds, mode: str | None = None, next: str | None = None
    ) -> dict:
        """Compression of the seller's next documents: mode "alternate" | "gzip" | "plain",
        and/or next "gzip" | "plain" for the next one only."""
        data = {key: value for key, value in (("mode", mode), ("next", next)) if value}
        return self.admin("POST", f"/admin/sellers/{creds.seller_id}/documents/compression", data)

    @staticmethod
    def download(url: str, compression: str | None = None) -> bytes:
        """GET a pre-signed document URL (no token); gunzipped when compression is GZIP."""
        import gzip

        resp = requests.get(url, timeout=30)
        assert resp.status_code == 200, (resp.status_code, resp.text)
        return gzip.decompress(resp.content) if compression == "GZIP" else resp.content

    def sp_submit_feed(
        self,
        creds: Creds,
        feed_type: str,
        data: bytes | str,
        *,
        content_type: str = "text/xml; charset=UTF-8",
        token: str | None = None,
    ) -> str:
        """createFeedDocument, the upload to its URL, createFeed: the feedId."""
        token = token or self.access_token(creds)
        body = data.encode() if isinstance(data, str) else data
        resp = self.spapi(
            creds,
            "/feeds/2021-06-30/documents",
            method="POST",
            token=token,
            json={"contentType": content_type},
        )
        assert resp.status_code == 201, (resp.status_code, resp.text)
        document = resp.json()
        put = requests.put(
            document["url"], data=body, headers={"Content-Type": content_type}, timeout=30
        )
        assert put.status_code == 200, (put.status_code, put.text)
        resp = self.spapi(
            creds,
            "/feeds/2021-06-30/feeds",
            method="POST",
            token=token,
            json={
                "feedType": feed_type,
                "marketplaceIds": [creds.marketplace_id],
                "inputFeedDocumentId": document["feedDocumentId"],
            },
        )
        assert resp.status_code == 202, (resp.status_code, resp.text)
        return resp.json()["feedId"]

    def sp_feed_result(self, creds: Creds, feed_id: str, token: str | None = None) -> bytes:
        """The result document of a finished SP-API feed (getFeed, getFeedDocument, download)."""
        token = token or self.access_token(creds)
        feed = self.spapi(creds, f"/feeds/2021-06-30/feeds/{feed_id}", token=token).json()
        assert feed.get("resultFeedDocumentId"), feed
        document = self.spapi(
            creds, f"/feeds/2021-06-30/documents/{feed['resultFeedDocumentId']}", token=token
        ).json()
        return self.download(document["url"], document.get("compressionAlgorithm"))

    def revoke(self, creds: Creds, revoked: bool = True) -> dict:
        """Revoke (or restore) the seller's refresh token."""
        return self.admin(
            "POST", f"/admin/sellers/{creds.seller_id}/revoke-refresh-token", {"revoked": revoked}
        )

    def expire_tokens(self, creds: Creds) -> dict:
        """Expire every access token of the seller now."""
        return self.admin("POST", f"/admin/sellers/{creds.seller_id}/expire-access-tokens", {})

    def fault(self, creds: Creds, kind: str, **kw) -> dict:
        return self.admin("POST", f"/admin/sellers/{creds.seller_id}/faults", {"kind": kind, **kw})

    # ---- python-amazon-mws clients -------------------------------------------------------
    def _client(self, cls, creds: Creds, **kw):
        import mws  # noqa: F401 - only the client helpers need python-amazon-mws

        return cls(
            creds.access_key,
            creds.secret_key,
            creds.seller_id,
            domain=self.url,
            auth_token=creds.auth_token or "",
            **kw,
        )

    def feeds(self, creds: Creds):
        import mws

        return self._client(mws.Feeds, creds)

    def sellers(self, creds: Creds):
        import mws

        return self._client(mws.Sellers, creds)

    def orders(self, creds: Creds):
        import mws

        return self._client(mws.Orders, creds)

    # ---- feed helpers --------------------------------------------------------------------
    def submit(self, creds: Creds, xml: bytes | str, feed_type: str) -> str:
        data = xml.encode() if isinstance(xml, str) else xml
        resp = self.feeds(creds).submit_feed(data, feed_type, marketplaceids=[creds.marketplace_id])
        return resp.parsed["FeedSubmissionInfo"]["FeedSubmissionId"]

    def process(self, creds: Creds, xml, feed_type: str) -> bytes:
        """Submit, advance the clock past processing, return the ProcessingReport XML."""
        feed_id = self.submit(creds, xml, feed_type)
        self.advance(400)
        return self.feeds(creds).get_feed_submission_result(feed_id).original
