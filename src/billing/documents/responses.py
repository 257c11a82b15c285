"""HTTP wrapping of documents: file responses, conditional GET, headers of public pages."""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response

from billing.documents.service import DocumentFile

PRIVATE_CACHE = "private, no-cache"
"""Authenticated downloads: a browser may keep them but revalidates (cheap, with the ETag)."""

PUBLIC_HEADERS = {
    "Cache-Control": "private, max-age=60",
    "X-Robots-Tag": "noindex",
    # The URL is a bearer capability: never send it to other sites as a referrer.
    "Referrer-Policy": "no-referrer",
}
STRIPE_SCRIPT_ORIGIN = "https://js.stripe.com"


def page_headers(nonce: str, *, card: bool) -> dict[str, str]:
    """Headers of the public invoice page: never cached (it changes as it is paid), and a
    Content-Security-Policy that runs only this response's own script and style (``nonce``)
    and talks only to this origin. With card payment, Stripe.js and its frames are allowed
    (Stripe's documented CSP: script and frames from js.stripe.com, hooks.stripe.com for 3-D
    Secure, calls to api.stripe.com; its frames carry inline style attributes)."""
    directives = {
        "default-src": "'none'",
        "script-src": f"'nonce-{nonce}'",
        "style-src": f"'nonce-{nonce}'",
        "img-src": "https: http: data:",
        "connect-src": "'self'",
        "base-uri": "'none'",
        "form-action": "'none'",
        "frame-ancestors": "'none'",
    }
    if card:
        directives["script-src"] += f" {STRIPE_SCRIPT_ORIGIN}"
        directives["style-src-attr"] = "'unsafe-inline'"
        directives["connect-src"] += " https://api.stripe.com"
        directives["frame-src"] = f"{STRIPE_SCRIPT_ORIGIN} https://hooks.stripe.com"
    return {
        **PUBLIC_HEADERS,
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "; ".join(f"{key} {value}" for key, value in directives.items()),
    }


_BINARY = {"schema": {"type": "string", "format": "binary"}}
OCTET_STREAM = "application/octet-stream"


def file_responses(*media_types: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries of a file download: 200 with its media types, and 304.

    ``application/octet-stream`` is listed too (and served to a client that asks for it
    alone): generators such as openapi-python-client only know that generic binary type and
    would otherwise drop the response and return ``None`` instead of the file's bytes.
    """
    return {
        200: {
            "description": "The document, as an attachment; the ETag is its quoted SHA-256. "
            f"Send `Accept: {OCTET_STREAM}` to receive it with that generic type.",
            "content": {media_type: _BINARY for media_type in (*media_types, OCTET_STREAM)},
        },
        304: {"description": "Not modified: If-None-Match matched the ETag."},
    }


def negotiated_media_type(accept: str | None, media_type: str) -> str:
    """``media_type``, or ``application/octet-stream`` when that is what the client asks for."""
    if not accept:
        return media_type
    wanted = {part.split(";", 1)[0].strip().lower() for part in accept.split(",")}
    if OCTET_STREAM in wanted and not wanted & {media_type, "*/*", media_type.split("/")[0] + "/*"}:
        return OCTET_STREAM
    return media_type


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 weak comparison of ``If-None-Match`` with the document's ETag."""
    if not if_none_match:
        return False
    for candidate in if_none_match.split(","):
        tag = candidate.strip()
        if tag == "*":
            return True
        if tag.startswith("W/"):
            tag = tag[2:]
        if tag == etag:
            return True
    return False


def file_response(
    request: Request, file: DocumentFile, *, headers: dict[str, str] | None = None
) -> Response:
    """The document as an attachment, or 304 when the client already holds these bytes."""
    common = {
        "ETag": file.etag,
        "Cache-Control": PRIVATE_CACHE,
        "X-Content-Type-Options": "nosniff",
        **(headers or {}),
    }
    if etag_matches(request.headers.get("if-none-match"), file.etag):
        return Response(status_code=304, headers=common)
    disposition = {"Content-Disposition": f'attachment; filename="{file.filename}"'}
    media_type = negotiated_media_type(request.headers.get("accept"), file.media_type)
    return Response(file.content, media_type=media_type, headers={**common, **disposition})
