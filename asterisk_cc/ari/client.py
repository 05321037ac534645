"""The project's ARI client: REST over httpx, behind the project's own errors.

The rest of the code never touches raw HTTP: it calls these methods and gets either JSON or an
:class:`~asterisk_cc.errors.AsteriskUnreachable` that says what is wrong and how to fix it.
"""

from __future__ import annotations

from typing import Any

import httpx

from asterisk_cc.errors import AsteriskUnreachable


class AriRequestFailed(AsteriskUnreachable):
    """ARI answered, but with an error status."""

    def __init__(self, message: str, status_code: int) -> None:
        super().__init__(message)
        self.status_code = status_code


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
            raise AsteriskUnreachable(
                f"ARI at {self.url} does not answer ({exc}). Fix: check that Asterisk runs, "
                "http.conf has enabled=yes with this bindaddr/bindport and ari.conf enabled=yes "
                "([ari] url)."
            ) from None
        if response.status_code == 401:
            raise AriRequestFailed(
                f"ARI at {self.url} refused user {self.user!r} (401). Fix: [ari] user and "
                "password must match a type=user section of ari.conf.",
                401,
            )
        if response.status_code >= 400:
            try:
                message = response.json().get("message") or response.json().get("error")
            except ValueError:
                message = response.text
            raise AriRequestFailed(
                f"ARI {method} {path} failed with {response.status_code}: {message}",
                response.status_code,
            )
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

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
