from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.config import Paths, Settings, load_settings, save_settings
from app.errors import ConfigError, UsageError


def test_hearth_home_puts_everything_in_one_folder(hearth_home: Path) -> None:
    paths = Paths.from_env()
    for folder in (paths.config_dir, paths.data_dir, paths.models_dir, paths.logs_dir):
        assert hearth_home.resolve() in folder.parents


def test_settings_round_trip_and_dotted_keys() -> None:
    paths = Paths.from_env()
    settings = load_settings(paths)
    assert settings.network.mode == "offline"
    settings.set("model.max_tokens", "64")
    settings.set("network.mode", "lan")
    save_settings(paths, settings)
    again = load_settings(paths)
    assert again.get("model.max_tokens") == 64
    assert again.get("network.mode") == "lan"
    assert "model.n_ctx" in again.setting_keys()


@pytest.mark.parametrize(
    ("key", "value", "fragment"),
    [
        ("network.mode", "everywhere", "Invalid value for network.mode"),
        ("model.max_tokens", "lots", "whole number"),
        ("model.max_tokens", "0", "Invalid value"),
        ("nope.key", "1", "Unknown setting"),
    ],
)
def test_bad_settings_values_get_clear_messages(key: str, value: str, fragment: str) -> None:
    settings = Settings()
    with pytest.raises(UsageError, match=fragment):
        settings.set(key, value)
    assert settings == Settings()


def test_corrupt_settings_file_is_reported_not_crashed() -> None:
    paths = Paths.from_env()
    paths.ensure()
    paths.settings_file.write_text("{not json")
    with pytest.raises(ConfigError, match="not valid"):
        load_settings(paths)


def test_settings_from_a_newer_hearth_are_refused() -> None:
    paths = Paths.from_env()
    paths.ensure()
    paths.settings_file.write_text(json.dumps({"schema_version": 99}))
    with pytest.raises(ConfigError, match="newer Hearth"):
        load_settings(paths)


@pytest.mark.parametrize(("old", "new"), [(0, "auto"), (-1, "all"), (12, "12")])
def test_v1_gpu_layers_setting_is_migrated(old: int, new: str) -> None:
    paths = Paths.from_env()
    paths.ensure()
    v1 = {"schema_version": 1, "model": {"n_gpu_layers": old, "n_ctx": 2048}}
    paths.settings_file.write_text(json.dumps(v1))
    settings = load_settings(paths)
    assert settings.model.gpu_layers == new and settings.model.n_ctx == 2048
    assert settings.schema_version == 2


def test_custom_providers_and_trusted_hosts_settings() -> None:
    s = Settings()
    s.set("providers.my-gateway.base_url", "https://llm.example.com/v1")
    s.set("providers.my-gateway.kind", "anthropic")
    assert s.get("providers.my-gateway.kind") == "anthropic"
    assert "providers.my-gateway.base_url" in s.setting_keys()
    s.set("providers.my-gateway.base_url", "")
    assert "my-gateway" not in s.providers
    s.set("providers.openai.base_url", "")  # a known provider goes back to its default
    assert s.providers["openai"].base_url == "https://api.openai.com/v1"
    for bad in ("ftp://x", "not a url"):
        with pytest.raises(UsageError, match="http:// or https://"):
            s.set("providers.openai.base_url", bad)
    with pytest.raises(UsageError, match="openai or anthropic"):
        s.set("providers.openai.kind", "grpc")
    with pytest.raises(UsageError, match="Invalid value"):
        s.set("model.gpu_layers", "lots")


def test_every_setting_survives_its_own_text_and_apply_is_all_or_nothing() -> None:
    s = Settings()
    s.set("privacy.deny_list", "Bluebird, ACME Corp")
    s.set("model.system_prompt", "Two\nlines")
    before = s.model_dump()
    for key in s.setting_keys():
        assert s.title(key)  # every setting is declared with a description
        s.set(key, s.text(key))  # what the settings dialog shows, saved back unchanged
    assert s.model_dump() == before
    errors = s.apply({"costs.kwh_price": "0.30", "model.max_tokens": "lots"})
    assert list(errors) == ["model.max_tokens"] and "whole number" in errors["model.max_tokens"]
    assert s.costs.kwh_price == 0.16  # the valid change was not applied alone
    assert s.apply({"costs.kwh_price": "0.30", "model.max_tokens": "64"}) == {}
    assert (s.costs.kwh_price, s.model.max_tokens) == (0.30, 64)
