"""Documents of the SP-API face and their pre-signed URLs, served by the sandbox itself.

Amazon keeps feed and report documents in S3: createFeedDocument answers a pre-signed PUT URL
for the seller's upload, getFeedDocument and getReportDocument a pre-signed GET URL for the
download; none of them needs an access token, each expires 5 minutes after it was issued. The
sandbox does the same under `/sp-documents/<document id>?X-Amz-…&X-Amz-Signature=…`:

- a URL is a row of `sp_document_urls` (random signature, document, method, expiry on the
  *sandbox* clock); `POST /admin/sellers/ID/documents/expire-urls` makes every URL of a seller
  expire now;
- errors are S3's XML `<Error>`: an unknown signature, or one used with another method or for
  another document, is 403 `SignatureDoesNotMatch`; an expired URL 403 `AccessDenied` "Request
  has expired"; a URL without the query-string authentication 400
  `AuthorizationQueryParametersError`; a document that is gone 404 `NoSuchKey`;
- a feed input document holds what the seller PUT (and its Content-Type); a feed result holds
  the processing report; a report document points at the `reports` row (MWS's report body),
  created the first time the SP-API face shows the report;
- feed results and report documents are served gzipped (`compressionAlgorithm` "GZIP") or
  plain, chosen when the document is created: by default they alternate per seller (the first
  one gzipped); `POST /admin/sellers/ID/documents/compression` sets "gzip", "plain" or
  "alternate", or forces the next document only. A GET URL issued with
  `enableContentEncodingUrlHeader=true` serves a gzipped document with `Content-Encoding:
  gzip` (HTTP clients then decompress it themselves); otherwise the gzip bytes come as they
  are (the model's default `identity`).
"""

from __future__ import annotations

import gzip
import hashlib
import secrets
import sqlite3
import uuid
from datetime import datetime
from urllib.parse import parse_qsl, quote, unquote

from lxml import etree

from . import registry
from .clock import UTC
from .registry import Response, SandboxState

URL_SECONDS = 300  # pre-signed URLs live 5 sandbox minutes
#: expired URLs are remembered this long (sandbox seconds) to answer "Request has expired"
EXPIRED_URL_MEMORY = 86400
PATH = "/sp-documents/"
COMPRESSION_MODES = ("alternate", "gzip", "plain")

SCHEMA = """
CREATE TABLE IF NOT EXISTS sp_documents (
    document_id TEXT PRIMARY KEY,
    seller_id TEXT NOT NULL,
    kind TEXT NOT NULL,               -- feed_input | feed_result | report
    content_type TEXT,
    content BLOB,                     -- NULL until uploaded; NULL for a report (reports table)
    report_id TEXT,                   -- kind report: the reports row with the content
    compression TEXT,                 -- 'GZIP' or NULL
    created REAL NOT NULL,            -- sandbox POSIX seconds
    uploaded REAL
);
CREATE INDEX IF NOT EXISTS sp_documents_seller ON sp_documents (seller_id, created);
CREATE UNIQUE INDEX IF NOT EXISTS sp_documents_report ON sp_documents (report_id)
    WHERE report_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS sp_document_urls (
    signature TEXT PRIMARY KEY,
    document_id TEXT NOT NULL,
    seller_id TEXT NOT NULL,
    method TEXT NOT NULL,             -- PUT | GET
    issued REAL NOT NULL,
    expires REAL NOT NULL,
    gzip_header INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS sp_document_urls_seller ON sp_document_urls (seller_id, expires);
CREATE TABLE IF NOT EXISTS sp_document_settings (
    seller_id TEXT PRIMARY KEY,
    mode TEXT NOT NULL DEFAULT 'alternate',
    next TEXT,                        -- gzip | plain: the next document only
    served INTEGER NOT NULL DEFAULT 0 -- documents created so far (the alternation)
);
"""


@registry.on_startup
def _startup(state: SandboxState) -> None:
    state.store.ensure_schema(SCHEMA)


@registry.on_tick
def forget_old_urls(state, db: sqlite3.Connection, now: datetime) -> None:
    db.execute(
        "DELETE FROM sp_document_urls WHERE expires < ?", (now.timestamp() - EXPIRED_URL_MEMORY,)
    )


# ---- documents --------------------------------------------------------------------------


def _document_id(kind: str) -> str:
    """Amazon-looking ids: feed documents `amzn1.tortuga.4.na.<uuid>.T<code>`, report
    documents `amzn1.spdoc.1.4.na.<uuid>.T<code>`."""
    code = "".join(secrets.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") for _ in range(13))
    prefix = "amzn1.spdoc.1.4.na." if kind == "report" else "amzn1.tortuga.4.na."
    return f"{prefix}{uuid.uuid4()}.T{code}"


def _settings(db: sqlite3.Connection, seller_id: str) -> dict:
    row = db.execute(
        "SELECT mode, next, served FROM sp_document_settings WHERE seller_id = ?", (seller_id,)
    ).fetchone()
    return dict(row) if row else {"mode": "alternate", "next": None, "served": 0}


def compression_settings(db: sqlite3.Connection, seller_id: str) -> dict:
    """What the admin shows: {"mode", "next", "served"}."""
    return _settings(db, seller_id)


def set_compression(
    db: sqlite3.Connection, seller_id: str, mode: str | None = None, next_: str | None = None
) -> dict:
    """Set the seller's compression mode (alternate | gzip | plain) and/or force the next
    document (gzip | plain; "" clears it)."""
    current = _settings(db, seller_id)
    if mode is not None:
        if mode not in COMPRESSION_MODES:
            raise ValueError(f"mode must be one of {', '.join(COMPRESSION_MODES)}")
        current["mode"] = mode
    if next_ is not None:
        if next_ not in ("gzip", "plain", ""):
            raise ValueError("next must be gzip or plain")
        current["next"] = next_ or None
    _save_settings(db, seller_id, current)
    return current


def _save_settings(db: sqlite3.Connection, seller_id: str, settings: dict) -> None:
    db.execute(
        "INSERT INTO sp_document_settings (seller_id, mode, next, served) VALUES (?,?,?,?) "
        "ON CONFLICT(seller_id) DO UPDATE SET mode = excluded.mode, next = excluded.next, "
        "served = excluded.served",
        (seller_id, settings["mode"], settings["next"], settings["served"]),
    )


def _choose_compression(db: sqlite3.Connection, seller_id: str) -> str | None:
    """'GZIP' or None for the seller's next downloadable document (and count it)."""
    settings = _settings(db, seller_id)
    if settings["next"]:
        gzipped = settings["next"] == "gzip"
        settings["next"] = None
    elif settings["mode"] == "alternate":
        gzipped = settings["served"] % 2 == 0
    else:
        gzipped = settings["mode"] == "gzip"
    settings["served"] += 1
    _save_settings(db, seller_id, settings)
    return "GZIP" if gzipped else None


def new_upload(db: sqlite3.Connection, seller_id: str, content_type: str, now: float) -> str:
    """An empty feed input document, waiting for its upload."""
    document_id = _document_id("feed")
    db.execute(
        "INSERT INTO sp_documents (document_id, seller_id, kind, content_type, created) "
        "VALUES (?, ?, 'feed_input', ?, ?)",
        (document_id, seller_id, content_type, now),
    )
    return document_id


def new_result(
    db: sqlite3.Connection, seller_id: str, content: bytes, content_type: str, now: float
) -> str:
    """A feed processing report, gzipped or plain (see the module docstring)."""
    document_id = _document_id("feed")
    db.execute(
        "INSERT INTO sp_documents (document_id, seller_id, kind, content_type, content, "
        "compression, created, uploaded) VALUES (?, ?, 'feed_result', ?, ?, ?, ?, ?)",
        (
            document_id,
            seller_id,
            content_type,
            content,
            _choose_compression(db, seller_id),
            now,
            now,
        ),
    )
    return document_id


def report_document(db: sqlite3.Connection, seller_id: str, report_id: str, now: float) -> str:
    """The document id of a report (MWS's `reports` row), created at the first call."""
    row = db.execute(
        "SELECT document_id FROM sp_documents WHERE report_id = ?", (report_id,)
    ).fetchone()
    if row:
        return row[0]
    document_id = _document_id("report")
    db.execute(
        "INSERT INTO sp_documents (document_id, seller_id, kind, report_id, compression, "
        "created) VALUES (?, ?, 'report', ?, ?, ?)",
        (document_id, seller_id, report_id, _choose_compression(db, seller_id), now),
    )
    return document_id


def load(db: sqlite3.Connection, seller_id: str, document_id: str) -> dict | None:
    row = db.execute(
        "SELECT * FROM sp_documents WHERE document_id = ? AND seller_id = ?",
        (document_id, seller_id),
    ).fetchone()
    return dict(row) if row else None


def content_of(db: sqlite3.Connection, document: dict) -> tuple[bytes, str] | None:
    """(the document's bytes as stored, before compression; content type), or None when it
    has none (not uploaded, report gone)."""
    if document["kind"] == "report":
        row = db.execute(
            "SELECT content, content_type FROM reports WHERE report_id = ?",
            (document["report_id"],),
        ).fetchone()
        if row is None:
            return None
        ctype = "text/xml" if row["content_type"] == "text/xml" else "text/plain;charset=UTF-8"
        return bytes(row["content"]), ctype
    if document["content"] is None:
        return None
    return bytes(document["content"]), document["content_type"] or "application/octet-stream"


def list_documents(db: sqlite3.Connection, seller_id: str) -> list[dict]:
    """Admin view: the seller's documents, newest first, without their bytes."""
    rows = db.execute(
        "SELECT document_id, kind, content_type, report_id, compression, created, uploaded, "
        "length(content) AS size FROM sp_documents WHERE seller_id = ? "
        "ORDER BY created DESC, document_id",
        (seller_id,),
    ).fetchall()
    out = []
    for row in rows:
        item = dict(row)
        for key in ("created", "uploaded"):
            if item[key] is not None:
                item[key] = _iso(item[key])
        out.append(item)
    return out


# ---- URLs ---------------------------------------------------------------------------------


def _amz_date(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y%m%dT%H%M%SZ")


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def presign(
    db: sqlite3.Connection,
    base_url: str,
    seller_id: str,
    document_id: str,
    method: str,
    now: float,
    *,
    gzip_header: bool = False,
) -> str:
    """A pre-signed URL for one method on one document, valid URL_SECONDS from now."""
    signature = secrets.token_hex(32)
    db.execute(
        "INSERT INTO sp_document_urls (signature, document_id, seller_id, method, issued, "
        "expires, gzip_header) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (signature, document_id, seller_id, method, now, now + URL_SECONDS, int(gzip_header)),
    )
    day = datetime.fromtimestamp(now, UTC).strftime("%Y%m%d")
    credential = quote(f"AKIASANDBOXDOCUMENTS/{day}/us-east-1/s3/aws4_request", safe="")
    return (
        f"{base_url}{PATH}{quote(document_id, safe='')}"
        f"?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={credential}"
        f"&X-Amz-Date={_amz_date(now)}&X-Amz-Expires={URL_SECONDS}"
        f"&X-Amz-SignedHeaders=host&X-Amz-Signature={signature}"
    )


def expire_urls(db: sqlite3.Connection, seller_id: str, now: float) -> int:
    """Every live URL of the seller expires now; returns how many."""
    cursor = db.execute(
        "UPDATE sp_document_urls SET expires = ? WHERE seller_id = ? AND expires > ?",
        (now, seller_id, now),
    )
    return cursor.rowcount


# ---- serving the URLs (S3's answers) ------------------------------------------------------


def method_not_allowed(method: str, request_id: str) -> Response:
    """S3's answer to a method an object does not take."""
    return _s3_error(
        405,
        "MethodNotAllowed",
        "The specified method is not allowed against this resource.",
        request_id,
        Method=method,
        ResourceType="OBJECT",
    )


def _s3_error(status: int, code: str, message: str, request_id: str, **extra) -> Response:
    root = etree.Element("Error")
    etree.SubElement(root, "Code").text = code
    etree.SubElement(root, "Message").text = message
    for key, value in extra.items():
        etree.SubElement(root, key.replace("_", "-")).text = str(value)
    etree.SubElement(root, "RequestId").text = request_id.replace("-", "")[:16].upper()
    etree.SubElement(root, "HostId").text = hashlib.sha256(request_id.encode()).hexdigest()
    body = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return Response(body, status, "application/xml", {"x-amz-request-id": request_id})


SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your key and signing method."
)
REQUIRED_QUERY = (
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-SignedHeaders",
    "X-Amz-Signature",
)


def handle_url(
    state: SandboxState,
    method: str,
    path: str,
    query: str,
    body: bytes,
    headers: dict[str, str],
    request_id: str,
) -> Response:
    """GET/HEAD (download) or PUT (upload) on a pre-signed URL."""
    from .server import run_ticks

    document_id = unquote(path[len(PATH) :])
    params = dict(parse_qsl(query, keep_blank_values=True))
    if method not in ("GET", "HEAD", "PUT"):
        return method_not_allowed(method, request_id)
    if any(not params.get(name) for name in REQUIRED_QUERY):
        return _s3_error(
            400,
            "AuthorizationQueryParametersError",
            "Query-string authentication version 4 requires the X-Amz-Algorithm, "
            "X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and "
            "X-Amz-Expires parameters.",
            request_id,
        )
    signed_method = "GET" if method == "HEAD" else method
    with state.store.tx() as db:
        run_ticks(state, db)
        now = state.clock.timestamp()
        url = db.execute(
            "SELECT * FROM sp_document_urls WHERE signature = ?", (params["X-Amz-Signature"],)
        ).fetchone()
        if (
            url is None
            or url["document_id"] != document_id
            or url["method"] != signed_method
            or params["X-Amz-Date"] != _amz_date(url["issued"])
            or params["X-Amz-Expires"] != str(URL_SECONDS)
        ):
            return _s3_error(403, "SignatureDoesNotMatch", SIGNATURE_MISMATCH, request_id)
        if now >= url["expires"]:
            return _s3_error(
                403,
                "AccessDenied",
                "Request has expired",
                request_id,
                X_Amz_Expires=URL_SECONDS,
                Expires=_iso(url["expires"]),
                ServerTime=_iso(now),
            )
        document = load(db, url["seller_id"], document_id)
        if document is None:
            return _s3_error(
                404, "NoSuchKey", "The specified key does not exist.", request_id, Key=document_id
            )
        if signed_method == "PUT":
            content_type = headers.get("content-type") or document["content_type"]
            db.execute(
                "UPDATE sp_documents SET content = ?, content_type = ?, uploaded = ? "
                "WHERE document_id = ?",
                (body, content_type, now, document_id),
            )
            etag = f'"{hashlib.md5(body).hexdigest()}"'
            return Response(b"", 200, "application/xml", {"ETag": etag})
        found = content_of(db, document)
        gzip_header = bool(url["gzip_header"])
    if found is None:
        return _s3_error(
            404, "NoSuchKey", "The specified key does not exist.", request_id, Key=document_id
        )
    content, content_type = found
    out_headers = {}
    if document["compression"] == "GZIP":
        content = gzip.compress(content, mtime=0)
        if gzip_header:
            out_headers["Content-Encoding"] = "gzip"
    out_headers["ETag"] = f'"{hashlib.md5(content).hexdigest()}"'
    return Response(content, 200, content_type, out_headers)
