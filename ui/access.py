"""Who may do what: readers ask, search, browse and export; editors also upload and remove documents.

Settings (environment variables):
  JIXIAO_READERS / JIXIAO_EDITORS           UI accounts, `name:password` separated by commas
  JIXIAO_READER_TOKEN / JIXIAO_EDITOR_TOKEN  API bearer tokens (several separated by commas)

On 127.0.0.1 with nothing configured there is no login and the one local user is an editor. A
surface with credentials configured asks for them; bound to any other address, both surfaces
ask, and the app refuses to start unless some credential is configured (a surface without its
own credentials is then closed).
"""

from __future__ import annotations

import hmac
import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum

from errors import ConfigError

MIN_SECRET = 8
LOOPBACK_NAMES = ("localhost",)


class Role(IntEnum):
    """Roles in order of what they may do: an editor may do everything a reader may."""

    READER = 1
    EDITOR = 2

    @property
    def label(self) -> str:
        return {Role.READER: "只读用户", Role.EDITOR: "编辑"}[self]


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost: only this machine can connect."""
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _split(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def _accounts(value: str, variable: str) -> dict[str, str]:
    out = {}
    for n, item in enumerate(_split(value), 1):
        name, sep, password = item.partition(":")
        if not sep or not name.strip() or not password:
            # The item is not echoed: without its colon it may be a password.
            raise ConfigError(f"{variable}: 第{n}个账号格式不对,需要 用户名:密码,多个账号用逗号分隔")
        if len(password) < MIN_SECRET:
            raise ConfigError(f"{variable}: 用户“{name.strip()}”的密码太短,至少需要 {MIN_SECRET} 个字符")
        out[name.strip()] = password
    return out


def _tokens(value: str, variable: str) -> list[str]:
    tokens = _split(value)
    if any(len(t) < MIN_SECRET for t in tokens):
        raise ConfigError(f"{variable}: 令牌太短,每个至少需要 {MIN_SECRET} 个字符")
    return tokens


@dataclass(frozen=True)
class Access:
    """The credentials the app accepts, and whether each surface asks for them."""

    host: str = "127.0.0.1"
    users: Mapping[str, tuple[str, Role]] = field(default_factory=dict)  # name -> (password, role)
    tokens: Mapping[str, Role] = field(default_factory=dict)  # bearer token -> role

    @classmethod
    def from_env(cls, host: str, env: Mapping[str, str] | None = None) -> Access:
        """Read the accounts and tokens; ConfigError when bound beyond this machine without any."""
        env = os.environ if env is None else env
        users: dict[str, tuple[str, Role]] = {}
        for variable, role in (("JIXIAO_READERS", Role.READER), ("JIXIAO_EDITORS", Role.EDITOR)):
            for name, password in _accounts(env.get(variable, ""), variable).items():
                users[name] = (password, role)  # an account listed twice keeps the higher role
        tokens: dict[str, Role] = {}
        for variable, role in (("JIXIAO_READER_TOKEN", Role.READER), ("JIXIAO_EDITOR_TOKEN", Role.EDITOR)):
            for token in _tokens(env.get(variable, ""), variable):
                tokens[token] = role
        access = cls(host, users, tokens)
        if not is_loopback(host) and not users and not tokens:
            raise ConfigError(
                f"监听地址 {host} 不是本机地址,其他机器可以访问:必须先设置登录凭据才能启动。"
                "界面账号用 JIXIAO_READERS / JIXIAO_EDITORS(用户名:密码,逗号分隔),"
                "API 令牌用 JIXIAO_READER_TOKEN / JIXIAO_EDITOR_TOKEN;只在本机使用请设 JIXIAO_HOST=127.0.0.1。"
            )
        return access

    @property
    def ui_login(self) -> bool:
        """Whether the UI asks for an account."""
        return bool(self.users) or not is_loopback(self.host)

    @property
    def api_tokens(self) -> bool:
        """Whether the API asks for a bearer token."""
        return bool(self.tokens) or not is_loopback(self.host)

    def login(self, username: str, password: str) -> bool:
        """The UI's login check (constant-time on the password)."""
        known = self.users.get(username)
        return known is not None and hmac.compare_digest(known[0].encode(), (password or "").encode())

    def user_role(self, username: str | None) -> Role | None:
        """The role of a logged-in UI user; an editor when the UI has no login."""
        if not self.ui_login:
            return Role.EDITOR
        known = self.users.get(username or "")
        return known[1] if known else None

    def token_role(self, token: str | None) -> Role | None:
        """The role a bearer token grants; an editor when the API asks for none."""
        if not self.api_tokens:
            return Role.EDITOR
        if not token:
            return None
        for known, role in self.tokens.items():
            if hmac.compare_digest(known.encode(), token.encode()):
                return role
        return None
