"""The body limit holds for a chunked body too (no Content-Length): 413 with the Japanese message."""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlsplit

TOO_LARGE_JA = "送信された内容が大きすぎます。短くしてもう一度お試しください。"


def post_chunked(live, path: str, chunks: list[bytes], headers: dict[str, str]) -> tuple[int, dict, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", urlsplit(live.url).port, timeout=30)
    try:
        conn.request("POST", path, body=iter(chunks), encode_chunked=True,
                     headers={"Content-Type": "application/json", "Origin": live.url, **headers})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), json.loads(response.read())
    finally:
        conn.close()


def test_a_chunked_body_over_the_limit_gets_413(make_server, engine):
    live = make_server(engine=engine, max_body=2048)
    status, _, session = post_chunked(live, "/api/session", [b'{"site_key": ', b'"demo"}'], {})
    assert status == 200  # a small chunked body is read as usual
    auth = {"Authorization": f"Bearer {session['token']}"}
    chunks = [b'{"question": "', *[b"a" * 500] * 10, b'"}']  # 5,000 bytes in 12 chunks, no Content-Length
    status, headers, body = post_chunked(live, "/api/ask", chunks, auth)
    assert status == 413, body
    assert body["error"] == {"code": "body_too_large", "message": TOO_LARGE_JA}
    assert headers.get("x-content-type-options") == "nosniff"
    status, _, answer = post_chunked(live, "/api/ask", [b'{"question": ', '"委託先の監督"}'.encode()], auth)
    assert status == 200 and answer["citations"]
