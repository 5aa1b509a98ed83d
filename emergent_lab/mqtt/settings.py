"""Where the broker is and how to log in: URL, TLS files and credentials.

Everything the user types about the connection is validated here once, so
the agent, the observer and the notebook helper all accept the same
``mqtt://HOST:PORT`` / ``mqtts://HOST:PORT`` URLs and the same TLS options,
and pass them through to the MQTT client unchanged.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

DEFAULT_PORTS = {"mqtt": 1883, "mqtts": 8883}


@dataclass(frozen=True)
class BrokerSettings:
    """A broker address plus the optional TLS and login material.

    Attributes:
        host: broker host name or address.
        port: broker port.
        tls: connect with TLS (``mqtts://``, or implied by a CA file).
        ca_file: PEM file of the CA that signed the broker's certificate
            (``None``: the system's trusted CAs).
        cert_file: client certificate (PEM), for brokers that require one.
        key_file: the client certificate's private key (PEM).
        username: login name, if the broker wants one.
        password: login password.
    """

    host: str
    port: int
    tls: bool = False
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    username: str | None = None
    password: str | None = None

    def __post_init__(self) -> None:
        if not self.host:
            raise ValueError("--broker: the URL has no host (expected mqtt://HOST:PORT)")
        if not 0 < self.port < 65536:
            raise ValueError(f"--broker: port must be in 1..65535 (got {self.port})")
        if (self.cert_file is None) != (self.key_file is None):
            raise ValueError("--tls-cert and --tls-key: give both or neither")
        for name, path in (
            ("--tls-ca", self.ca_file),
            ("--tls-cert", self.cert_file),
            ("--tls-key", self.key_file),
        ):
            if path is not None and not Path(path).is_file():
                raise ValueError(f"{name}: no such file {path}")
        if (self.cert_file or self.ca_file) and not self.tls:
            object.__setattr__(self, "tls", True)
        if self.password is not None and self.username is None:
            raise ValueError("--password: needs --username")

    @classmethod
    def from_url(cls, url: str, **options: Any) -> BrokerSettings:
        """Parse ``mqtt://[user[:password]@]HOST[:PORT]`` (or ``mqtts://``) plus options.

        Options are the other fields (``ca_file=…``); explicit ones win over
        credentials embedded in the URL.

        Raises:
            ValueError: naming ``--broker`` for a malformed URL.
        """
        parts = urlsplit(url)
        if parts.scheme not in DEFAULT_PORTS:
            raise ValueError(f"--broker: scheme must be mqtt:// or mqtts:// (got {url!r})")
        try:
            port = parts.port or DEFAULT_PORTS[parts.scheme]
        except ValueError:
            raise ValueError(f"--broker: invalid port in {url!r}") from None
        values: dict[str, Any] = {
            "host": parts.hostname or "",
            "port": port,
            "tls": parts.scheme == "mqtts",
            "username": parts.username,
            "password": parts.password,
        }
        values.update({k: v for k, v in options.items() if v is not None})
        return cls(**values)

    @property
    def url(self) -> str:
        """The broker URL without credentials, for messages and logs."""
        return f"{'mqtts' if self.tls else 'mqtt'}://{self.host}:{self.port}"

    def tls_context(self) -> ssl.SSLContext | None:
        """The TLS context of this connection, or ``None`` without TLS."""
        if not self.tls:
            return None
        context = ssl.create_default_context(cafile=self.ca_file)
        if self.cert_file is not None:
            context.load_cert_chain(self.cert_file, self.key_file)
        return context

    def client_options(self) -> dict[str, Any]:
        """Keyword arguments for ``aiomqtt.Client`` (host, port, login, TLS)."""
        return {
            "hostname": self.host,
            "port": self.port,
            "username": self.username,
            "password": self.password,
            "tls_context": self.tls_context(),
        }
