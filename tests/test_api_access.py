"""Who may do what (ui/access.py), and the app refusing to listen beyond this machine without credentials."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from errors import ConfigError
from ui.access import Access, Role, is_loopback

ROOT = Path(__file__).resolve().parents[1]


def test_on_this_machine_without_settings_there_is_no_login_and_the_user_edits() -> None:
    access = Access.from_env("127.0.0.1", {})
    assert not access.ui_login and not access.api_tokens
    assert access.user_role(None) is Role.EDITOR and access.token_role(None) is Role.EDITOR


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.5", "::", "example.org"])
def test_any_other_address_needs_credentials(host: str) -> None:
    assert not is_loopback(host)
    with pytest.raises(ConfigError, match="必须先设置登录凭据") as err:
        Access.from_env(host, {})
    assert "JIXIAO_EDITORS" in str(err.value) and "JIXIAO_EDITOR_TOKEN" in str(err.value)


def test_accounts_and_tokens_give_their_roles() -> None:
    env = {"JIXIAO_READERS": "ann:ann-secret-1, bob:bob-secret-1", "JIXIAO_EDITORS": "eve:eve-secret-1",
           "JIXIAO_READER_TOKEN": "read-token-1", "JIXIAO_EDITOR_TOKEN": "edit-token-1,edit-token-2"}
    access = Access.from_env("0.0.0.0", env)
    assert access.ui_login and access.api_tokens
    assert access.login("ann", "ann-secret-1") and not access.login("ann", "eve-secret-1") and not access.login("zed", "")
    assert access.user_role("bob") is Role.READER and access.user_role("eve") is Role.EDITOR and access.user_role("zed") is None
    assert access.token_role("read-token-1") is Role.READER and access.token_role("edit-token-2") is Role.EDITOR
    assert access.token_role("edit-token-3") is None and access.token_role(None) is None
    assert Role.EDITOR > Role.READER


def test_only_tokens_on_this_machine_keep_the_ui_open_and_close_the_api() -> None:
    access = Access.from_env("127.0.0.1", {"JIXIAO_EDITOR_TOKEN": "edit-token-1"})
    assert not access.ui_login and access.api_tokens and access.token_role("") is None


def test_a_ui_without_accounts_beyond_this_machine_is_closed() -> None:
    access = Access.from_env("0.0.0.0", {"JIXIAO_READER_TOKEN": "read-token-1"})
    assert access.ui_login and access.user_role("anyone") is None and not access.login("anyone", "read-token-1")


@pytest.mark.parametrize(("env", "words"), [
    ({"JIXIAO_READERS": "ann"}, "第1个账号格式不对"),
    ({"JIXIAO_EDITORS": "eve:short"}, "密码太短"),
    ({"JIXIAO_EDITOR_TOKEN": "abc"}, "令牌太短"),
])
def test_bad_settings_are_named_without_echoing_secrets(env: dict[str, str], words: str) -> None:
    with pytest.raises(ConfigError, match=words) as err:
        Access.from_env("127.0.0.1", env)
    assert "short" not in str(err.value) and "abc" not in str(err.value)


def test_the_app_refuses_to_start_on_an_open_address_without_credentials(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JIXIAO_")}
    env.update(JIXIAO_HOST="0.0.0.0", JIXIAO_PORT="9", JIXIAO_HOME=str(tmp_path))
    done = subprocess.run([sys.executable, "app.py"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "无法启动" in done.stderr and "JIXIAO_EDITORS" in done.stderr
    assert not (tmp_path / "chroma").exists()  # refused before opening anything
