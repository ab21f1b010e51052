"""A lean HTTP/1.1 client for the load tests: one keep-alive connection over plain asyncio streams.

A general-purpose HTTP client costs about 4 ms of CPU per request, a tenth of what the server spends on a
question; the load client shares the machine with the server, so it reads and writes the bytes itself.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any


class Connection:
    """One keep-alive HTTP/1.1 connection: JSON (or raw) requests, Content-Length or chunked responses."""

    def __init__(self, host: str, port: int, headers: dict[str, str]) -> None:
        self.host, self.port = host, port
        self.headers = {"Host": f"{host}:{port}", **headers}
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def post(self, path: str, payload: Any) -> tuple[int, bytes]:
        return await self.request("POST", path, payload)

    async def request(self, method: str, path: str, payload: Any = None, *, raw: bytes | None = None,
                      headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        """Send one request and read the whole response. ``raw`` is sent as the body unchanged (malformed
        JSON); ``headers`` replace the connection's own for this request (a missing token)."""
        if self.streams is None:
            self.streams = await asyncio.open_connection(self.host, self.port)
        reader, writer = self.streams
        head = "".join(f"{k}: {v}\r\n" for k, v in {**self.headers, **(headers or {})}.items() if v is not None)
        body = raw if raw is not None else (
            json.dumps(payload, ensure_ascii=False).encode() if payload is not None else b"")
        if body or method == "POST":
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        try:
            writer.write(f"{method} {path} HTTP/1.1\r\n{head}\r\n".encode() + body)
            status_line, *header_lines = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
            response_headers = {name.lower(): value for name, _, value in
                                (line.partition(": ") for line in header_lines if ": " in line)}
            if response_headers.get("transfer-encoding", "").lower() == "chunked":
                data = await read_chunked(reader)
            else:
                data = await reader.readexactly(int(response_headers.get("content-length", "0")))
        except BaseException:  # a broken connection, a timeout or a cancel mid-response: it is out of step
            self.close()
            raise
        if response_headers.get("connection", "").lower() == "close":
            self.close()
        return int(status_line.split()[1]), data

    def close(self) -> None:
        if self.streams is not None:
            self.streams[1].close()
            self.streams = None


async def read_chunked(reader: asyncio.StreamReader) -> bytes:
    """The body of a chunked response (a stream of Server-Sent Events), trailers skipped."""
    data = bytearray()
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0].strip(), 16)
        if size == 0:
            while (await reader.readuntil(b"\r\n")) != b"\r\n":
                pass
            return bytes(data)
        data += await reader.readexactly(size)
        await reader.readexactly(2)
