"""Calling the services over HTTP: one pooled session, short timeouts, and one error for "not answering"."""
from __future__ import annotations

import http.cookiejar
import logging
from typing import Mapping

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from crm_shared.errors import APIError

log = logging.getLogger(__name__)


class ServiceUnavailable(APIError):
    """A service did not answer (503) or not in time (504); never a stack trace."""

    def __init__(self, service: str, timed_out: bool = False):
        if timed_out:
            super().__init__(504, "service_unavailable", f"The {service} service did not answer in time; try again shortly.")
        else:
            super().__init__(503, "service_unavailable", f"The {service} service is not available right now; try again shortly.")
        self.service = service


class Upstream:
    """The services the gateway talks to, by name, through one connection pool per process."""

    def __init__(self, service_urls: Mapping[str, str], connect_timeout: float = 2.0, read_timeout: float = 30.0):
        self.service_urls = dict(service_urls)
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        session = requests.Session()
        # No proxies or .netrc from the environment, and no cookies: a cookie one user's call
        # received must never ride along on another user's call.
        session.trust_env = False
        session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
        # No retries: a service that refuses or drops a connection is reported at once as
        # unavailable. read=False keeps a read timeout a timeout (504) rather than a connection error.
        retry = Retry(total=0, read=False, redirect=False)
        adapter = HTTPAdapter(pool_connections=len(self.service_urls) or 1, pool_maxsize=64, max_retries=retry)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        self.session = session

    def request(
        self,
        service: str,
        method: str,
        path: str,
        *,
        headers: Mapping[str, str] | None = None,
        query: str | bytes = "",
        body: bytes | None = None,
        read_timeout: float | None = None,
    ) -> requests.Response:
        """Send one request to `service`; raises ServiceUnavailable when it cannot be reached or is too slow."""
        url = self.service_urls[service] + path
        if query:
            url += "?" + (query.decode("latin-1") if isinstance(query, bytes) else query)
        try:
            return self.session.request(
                method,
                url,
                headers=dict(headers or {}),
                data=body or None,
                timeout=(self.connect_timeout, read_timeout or self.read_timeout),
                allow_redirects=False,
            )
        except requests.ConnectTimeout as error:
            log.warning("%s %s: %s did not accept the connection in time", method, path, service)
            raise ServiceUnavailable(service) from error
        except requests.Timeout as error:
            log.warning("%s %s: %s did not answer within %ss", method, path, service, read_timeout or self.read_timeout)
            raise ServiceUnavailable(service, timed_out=True) from error
        except requests.RequestException as error:
            log.warning("%s %s: %s is unreachable (%s)", method, path, service, type(error).__name__)
            raise ServiceUnavailable(service) from error

    def close(self) -> None:
        self.session.close()
