"""Statements about tenant-owned tables live in repositories (STYLE rule 2).

A ``select(...)`` that names a tenant-owned model anywhere else could forget the scope filter;
RLS would still hide other tenants' rows, but the rule keeps scoping in one visible place.
"""

from __future__ import annotations

import ast
from pathlib import Path

from billing.models import Base, TenantScopedMixin

SOURCE = Path(__file__).resolve().parents[1] / "src" / "billing"
TENANT_MODELS = {
    mapper.class_.__name__
    for mapper in Base.registry.mappers
    if issubclass(mapper.class_, TenantScopedMixin) or mapper.class_.__name__ == "BillingProfile"
}


def _names(node: ast.AST) -> set[str]:
    return {child.id for child in ast.walk(node) if isinstance(child, ast.Name)}


def test_no_select_of_tenant_models_outside_repositories() -> None:
    offenders = []
    for path in SOURCE.rglob("*.py"):
        if path.name == "repository.py" or "models" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in {"select", "insert", "update", "delete"}
                and _names(node) & TENANT_MODELS
            ):
                offenders.append(f"{path.relative_to(SOURCE)}:{node.lineno}")
    assert TENANT_MODELS >= {"Invoice", "Payment", "WalletEntry"}
    assert offenders == []


def test_scopes_are_built_only_by_auth() -> None:
    """A scope wider than one object comes only from an authenticated principal (or, for the
    operator's own maintenance commands, ``capabilities.operator_scope``): no other module
    constructs or applies one."""
    allowed = {SOURCE / "core" / "tenancy.py"} | set((SOURCE / "auth").rglob("*.py"))
    offenders = []
    for path in SOURCE.rglob("*.py"):
        if path in allowed:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            builds = isinstance(func, ast.Name) and func.id in {"AccessScope", "apply_scope"}
            via_class = (
                isinstance(func, ast.Attribute)
                and isinstance(func.value, ast.Name)
                and func.value.id == "AccessScope"
            )
            if builds or via_class:
                offenders.append(f"{path.relative_to(SOURCE)}:{node.lineno}")
    assert offenders == []
