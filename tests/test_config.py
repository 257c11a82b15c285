"""Deployment settings: links follow the port the server listens on."""

from __future__ import annotations

import pytest

from billing.config import Settings


@pytest.mark.parametrize(
    ("host", "port", "expected"),
    [
        ("127.0.0.1", 8000, "http://127.0.0.1:8000"),
        ("127.0.0.1", 8200, "http://127.0.0.1:8200"),
        ("0.0.0.0", 8200, "http://127.0.0.1:8200"),
        ("::", 9000, "http://[::1]:9000"),
        ("billing.internal", 80, "http://billing.internal:80"),
    ],
)
def test_public_base_url_defaults_to_host_and_port(host: str, port: int, expected: str) -> None:
    assert Settings(host=host, port=port).public_base_url == expected


def test_public_base_url_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BILLING_PORT", "8200")
    assert Settings().public_base_url == "http://127.0.0.1:8200"
    monkeypatch.setenv("BILLING_PUBLIC_BASE_URL", "https://billing.example.com/")
    assert Settings().public_base_url == "https://billing.example.com"
