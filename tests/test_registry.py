import pytest

from pipelines.sources.kind import kind_of
from pipelines.sources.registry import (
    BUNDLED_REGISTRY,
    RegistryError,
    load_registry,
    merge,
    source_asset_keys,
)


def test_the_bundled_registry_names_every_kind_with_offline_data_that_exists(home):
    registry = load_registry(home)
    assert {s.kind for s in registry.sources} == {"epoch_csv", "feed", "hf_hub", "inbox", "curated"}
    epoch = registry.get("epoch-ai")
    assert epoch.urls == ("https://epoch.ai/data/ai_models.zip",) and epoch.offline_path().is_file()
    assert registry.get("curated").offline_path().is_file()
    for feed_source in registry.of_kind("feed"):
        for feed in feed_source.feeds:
            assert feed.url.startswith("https://")
    offline_feeds = [f for s in registry.of_kind("feed") for f in s.feeds if f.offline]
    assert len(offline_feeds) >= 3
    hub = registry.get("hf-hub")
    assert hub.authors["zai-org"] == hub.authors["THUDM"] == "Zhipu AI" and hub.offline_default is None
    http = [s.name for s in registry.sources if (kind := kind_of(s)) is not None and kind.transport == "http"]
    assert http == ["epoch-ai", "epoch-eci", "lab-feeds", "news-feeds", "hf-hub"]
    assert all(registry.get(name).schedule for name in http)
    assert ["lab_feeds"] in source_asset_keys() and ["epoch_models"] in source_asset_keys()


def test_an_override_merges_over_the_bundled_registry(home, tmp_path, monkeypatch):
    path = tmp_path / "mine.toml"
    path.write_text(
        '[sources.epoch-ai]\nurls = ["http://127.0.0.1:1/models.zip"]\n'
        "[sources.news-feeds]\nenabled = false\n"
        '[sources.hf-hub.authors]\nopenai = "OpenAI"\n'
    )
    monkeypatch.setenv("AIRACE_SOURCES", str(path))
    registry = load_registry(home)
    assert registry.get("epoch-ai").urls == ("http://127.0.0.1:1/models.zip",)
    assert registry.get("epoch-ai").offline_default == "epoch_notable_ai_models.csv.gz"  # kept
    assert not registry.get("news-feeds").enabled
    assert registry.get("hf-hub").authors["openai"] == "OpenAI" and "Qwen" in registry.get("hf-hub").authors
    assert registry.files == (str(BUNDLED_REGISTRY), str(path))


def test_the_home_override_is_used_when_no_env_var(home, monkeypatch):
    monkeypatch.delenv("AIRACE_SOURCES", raising=False)
    (home.root / "sources.toml").write_text('[sources.inbox]\npath = "/srv/drop"\n')
    assert load_registry(home).get("inbox").path == "/srv/drop"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[sources.epoch-ai]\nschedule = "every day"\n', r"source 'epoch-ai': field 'schedule': .*not a 5-field cron"),
        ('[sources.lab-feeds]\nfeeds = [{ url = "ftp://x" }]\n', r"source 'lab-feeds': field 'feeds.0.url'"),
        ('[sources.mine]\nkind = "carrier-pigeon"\n', r"source 'mine': .*kind"),
        ('[sources.hf-hub]\npage_size = 0\n', r"source 'hf-hub': field 'page_size'"),
        ('[sources.epoch-ai]\nurl = "https://x"\n', r"source 'epoch-ai': field 'url': Extra inputs"),
        ("[sources.epoch-ai\n", r"not valid TOML"),
    ],
)
def test_invalid_registries_name_the_source_and_field(home, tmp_path, monkeypatch, text, expected):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    monkeypatch.setenv("AIRACE_SOURCES", str(path))
    with pytest.raises(RegistryError, match=expected):
        load_registry(home)


def test_merge_replaces_lists_and_merges_tables():
    assert merge({"a": {"x": 1, "y": [1]}, "b": 1}, {"a": {"y": [2]}}) == {"a": {"x": 1, "y": [2]}, "b": 1}


def test_live_only_when_asked_and_not_forced_offline(monkeypatch):
    from pipelines.sources.registry import choose_mode

    monkeypatch.delenv("AIRACE_OFFLINE", raising=False)
    assert (choose_mode(False), choose_mode(True)) == ("offline", "live")
    monkeypatch.setenv("AIRACE_OFFLINE", "1")
    assert choose_mode(True) == "offline"
