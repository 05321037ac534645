"""The project's synchronous ARI client (``asterisk-cc check``, the controller's start-up).

The rest of the code never touches raw HTTP: it calls these methods and gets either JSON or one
of the project's errors, translated by :mod:`asterisk_cc.ari.rest` (shared with the async
client): :class:`~asterisk_cc.errors.AsteriskUnreachable` when ARI does not answer,
:class:`AriRequestFailed` (``NotFound`` for 404) when it refuses a request, each saying what is
wrong and how to fix it.
"""

from __future__ import annotations

from typing import Any

import httpx

from asterisk_cc.ari.rest import AriRequestFailed, NotFound, decode_response, unreachable


class AriClient:
    def __init__(
        self,
        url: str,
        user: str,
        password: str,
        *,
        timeout_s: float = 5.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.user = user
        self._http = httpx.Client(
            base_url=self.url,
            auth=(user, password),
            timeout=timeout_s,
            transport=transport,
        )

    def request(self, method: str, path: str, **params: Any) -> Any:
        """Call ARI; return the decoded JSON body (None for 204)."""
        try:
            response = self._http.request(method, path, params=params or None)
        except httpx.HTTPError as exc:
            raise unreachable(self.url, exc, f"{method} {path}") from None
        return decode_response(response, url=self.url, user=self.user)

    def asterisk_info(self) -> dict[str, Any]:
        info: dict[str, Any] = self.request("GET", "/asterisk/info")
        return info

    def asterisk_version(self) -> str:
        return str(self.asterisk_info().get("system", {}).get("version", "unknown"))

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> AriClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


__all__ = ["AriClient", "AriRequestFailed", "NotFound"]
