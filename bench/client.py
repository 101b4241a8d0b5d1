"""A small HTTP/1.1 client on asyncio for the production-shape bench: each simulated person
connects from a loopback address of its own (Linux routes all of 127.0.0.0/8 to ``lo``, so
``local_addr=("127.x.y.z", 0)`` works without any setup), keeps its connection open as a
browser does, and keeps its cookies. wrk cannot choose its source address, and nothing in the
lock files is an HTTP client for asyncio, hence this one (no TLS: see bench/README.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import re
import time
from dataclasses import dataclass, field


class HTTPError(Exception):
    """The connection failed or the answer could not be read."""


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    cookies: dict[str, str]
    body: bytes
    seconds: float

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


@dataclass
class Browser:
    """One person: a source address, a connection kept open, cookies."""

    host: str
    port: int
    source: str
    language: str = "pl"
    cookies: dict[str, str] = field(default_factory=dict)
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None

    async def _connect(self) -> None:
        try:
            self.reader, self.writer = await asyncio.open_connection(
                self.host, self.port, local_addr=(self.source, 0)
            )
        except OSError as error:
            raise HTTPError(f"connect: {error}") from error

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None

    async def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
        timeout: float = 60.0,
    ) -> Response:
        """One request on the kept connection (a new one if the server closed it)."""
        lines = [
            f"{method} {path} HTTP/1.1",
            f"Host: {self.host}:{self.port}",
            "User-Agent: kongres-bench",
            f"Accept-Language: {self.language}",
            "Accept: text/html",
        ]
        if self.cookies:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        if method == "POST":
            lines += [
                "Content-Type: application/x-www-form-urlencoded",
                f"Content-Length: {len(body)}",
                f"Origin: http://{self.host}:{self.port}",
            ]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        raw = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
        for attempt in (1, 2):
            fresh = self.writer is None
            if fresh:
                await self._connect()
            started = time.monotonic()
            try:
                self.writer.write(raw)
                response = await asyncio.wait_for(self._read(), timeout)
            except (OSError, asyncio.IncompleteReadError, HTTPError, TimeoutError) as error:
                await self.close()
                # a kept connection the server closed meanwhile: once more on a new one
                if attempt == 1 and not fresh and not isinstance(error, TimeoutError):
                    continue
                raise HTTPError(f"{method} {path}: {type(error).__name__} {error}") from error
            response.seconds = time.monotonic() - started
            self.cookies.update(response.cookies)
            if response.headers.get("connection", "").lower() == "close":
                await self.close()
            return response
        raise AssertionError("unreachable")

    async def _read(self) -> Response:
        assert self.reader is not None
        head = await self.reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        parts = status_line.split(" ", 2)
        if len(parts) < 2 or not parts[1].isdigit():
            raise HTTPError(f"bad status line {status_line!r}")
        headers: dict[str, str] = {}
        cookies: dict[str, str] = {}
        for line in header_lines:
            if not line:
                continue
            name, _, value = line.partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "set-cookie":
                key, _, rest = value.partition("=")
                cookies[key.strip()] = rest.split(";", 1)[0]
            headers[name] = value
        if "content-length" in headers:
            body = await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                if size == 0:
                    await self.reader.readuntil(b"\r\n")
                    break
                chunks.append(await self.reader.readexactly(size))
                await self.reader.readexactly(2)
            body = b"".join(chunks)
        else:
            body = await self.reader.read()
            headers["connection"] = "close"
        return Response(int(parts[1]), headers, cookies, body, 0.0)


_INPUT = re.compile(r'<input type="hidden" name="(csrfmiddlewaretoken|started)" value="([^"]*)"')
_CHALLENGE = re.compile(r'<altcha-widget name="altcha" challenge="([^"]*)"')
_ERROR_CODE = re.compile(r'class="errorlist nonfield"|class="error-summary"')


def form_fields(page: str) -> dict[str, str]:
    """The CSRF token and the signed start time of a registration form page."""
    return {name: html.unescape(value) for name, value in _INPUT.findall(page)}


def proof_challenge(page: str) -> str | None:
    """The proof-of-work challenge (JSON) the page asks the browser to solve, if any."""
    match = _CHALLENGE.search(page)
    return html.unescape(match.group(1)) if match else None


def source_address(number: int, *, base: int = 1) -> str:
    """The ``number``-th loopback address from 127.<base>.0.1 on (never 127.0.0.1, which
    nginx's flood guard exempts for wrk in the bench)."""
    return f"127.{base + number // 65024}.{(number // 254) % 256}.{number % 254 + 1}"
