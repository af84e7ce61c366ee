"""Console accounts: roles, Argon2 password hashes, and what an office may see.

Roles: ``admin`` (everything), ``duty`` (every target; triage; releases held alerts) and ``office``
(only the targets whose 主办单位 is one of its units or below them in the roll-up, where a unit's
parent is its targets' ``parent`` field, as in ``govwatch zombies``).

Users are plain dicts in the store: name, role, owners, password_hash, disabled, created_at.
Imports the models and the store only (no web framework), so the ``users`` command can use it.
"""
from __future__ import annotations

import re
from typing import Iterable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from govwatch.models import units_below  # noqa: F401 (re-exported for the console)
from govwatch.models import Target, now
from govwatch.store import Store

ROLES = ("admin", "duty", "office")
ROLE_LABELS = {"admin": "管理员", "duty": "值班员", "office": "责任单位"}
MIN_PASSWORD_LENGTH = 8
NAME_PATTERN = re.compile(r"[\w.@-]{1,64}")  # letters (CJK included), digits, _ . @ -

_HASHER = PasswordHasher()  # argon2id with the library's current recommended parameters
# Verifying against this keeps the time of a login for an unknown name like that of a known one.
_DUMMY_HASH = _HASHER.hash("govwatch-unknown-user")


class UserError(ValueError):
    """A user-facing error about accounts (Chinese message)."""


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def check_password_strength(password: str, name: str = "") -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise UserError(f"密码至少 {MIN_PASSWORD_LENGTH} 位")
    if name and password.strip().lower() == name.strip().lower():
        raise UserError("密码不能与用户名相同")


def add_user(store: Store, name: str, role: str, password: str, owners: Iterable[str] = ()) -> dict:
    name = (name or "").strip()
    owners = [o.strip() for o in owners or () if o and o.strip()]
    if not NAME_PATTERN.fullmatch(name):
        raise UserError("用户名只能由汉字、字母、数字和 _ . @ - 组成，最长 64 个字符")
    if role not in ROLES:
        raise UserError(f"未知的角色：{role}（可用：admin 管理员、duty 值班员、office 责任单位）")
    if role == "office" and not owners:
        raise UserError("责任单位用户须用 --owner 指定至少一个主办单位")
    if store.get_user(name) is not None:
        raise UserError(f"用户已存在：{name}")
    check_password_strength(password, name)
    user = {"name": name, "role": role, "owners": owners if role == "office" else [],
            "password_hash": hash_password(password), "disabled": False, "created_at": now().isoformat()}
    store.put_user(user)
    return user


def set_password(store: Store, name: str, password: str) -> dict:
    if store.get_user(name) is None:
        raise UserError(f"用户不存在：{name}")
    check_password_strength(password, name)
    user = store.update_user(name, password_hash=hash_password(password), password_changed_at=now().isoformat())
    store.delete_user_sessions(name)  # a new password logs every session out
    return user


def set_disabled(store: Store, name: str, disabled: bool = True) -> dict:
    if store.get_user(name) is None:
        raise UserError(f"用户不存在：{name}")
    user = store.update_user(name, disabled=disabled)
    if disabled:
        store.delete_user_sessions(name)
    return user


def authenticate(store: Store, name: str, password: str) -> dict | None:
    """The user when the name and password match an enabled account, else None (same cost either way)."""
    user = store.get_user((name or "").strip()) if name else None
    stored = user["password_hash"] if user else _DUMMY_HASH
    try:
        _HASHER.verify(stored, password or "")
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if user is None or user.get("disabled"):
        return None
    if _HASHER.check_needs_rehash(stored):
        store.update_user(user["name"], password_hash=hash_password(password))
    return user


# ---------------------------------------------------------------------------- scoping
# units_below (the roll-up of units under their 上级单位) lives in govwatch.models: findings use it too.

def visible_target_ids(store: Store, user: dict, targets: list[Target] | None = None) -> set[str] | None:
    """None when the user sees every target (admin, duty); else the ids of the office's targets."""
    if user.get("role") in ("admin", "duty"):
        return None
    targets = store.list_targets() if targets is None else targets
    units = units_below(targets, user.get("owners") or [])
    return {t.id for t in targets if t.owner in units}
