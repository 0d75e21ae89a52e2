"""One model, one organization, the right country (issue 15), on the bundled data.

Real pairs of source records that must become one model and that must stay two; the
organization hierarchy (Alphabet's labs as one group); countries as the source gives them;
and the frontier flags kept apart by who sets them.
"""

import collections
import csv
import gzip

import pytest

from pipelines.sources import epoch
from pipelines.sources.curated import SOURCE_NAME as CURATED
from pipelines.sources.curated import curated_records
from tests.fixtures.sources.helpers import run_table
from warehouse import EventStore, WarehouseHome
from warehouse.build import refresh_and_publish
from warehouse.publishing.timetravel import open_snapshot


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    store = EventStore(WarehouseHome.resolve(tmp_path_factory.mktemp("identity") / "warehouse").ensure(), lock_timeout_s=30)
    store.append(curated_records(), source=CURATED)
    run_table(store)
    refresh_and_publish(store)
    with open_snapshot(store.home) as connection:
        yield connection


def rows(con, query, params=()):
    return con.execute(query, list(params)).fetchall()


def model_of(con, source, name):
    """The model the one event of `source` naming `name` became."""
    found = rows(con, "select model_id from core.model_identity where source = ? and model_name = ?", [source, name])
    assert len(found) == 1, (source, name, found)
    return found[0][0]


E, C = "epoch-ai", "curated"

# The same model, reported twice: spelling, punctuation, a ".0" version, a family name
# that Epoch records under its (largest) size, or organizations spelt differently (Moonshot, Moonshot AI).
MUST_MERGE = [
    ((C, "Claude"), (E, "Claude")),
    ((C, "DALL·E"), (E, "DALL-E")),
    ((C, "DALL·E 2"), (E, "DALL·E 2")),
    ((C, "DALL·E 3"), (E, "DALL·E 3")),
    ((C, "Sora 2"), (E, "Sora 2.0")),
    ((C, "GPT"), (E, "GPT-1")),
    ((C, "GPT-2"), (E, "GPT-2 (1.5B)")),
    ((C, "GPT-3"), (E, "GPT-3 175B (davinci)")),
    ((C, "InstructGPT"), (E, "InstructGPT 175B")),
    ((C, "OpenAI Codex"), (E, "Codex")),
    ((C, "CLIP"), (E, "CLIP (ViT L/14@336px)")),
    ((C, "BERT"), (E, "BERT-Large")),
    ((C, "T5"), (E, "T5-11B")),
    ((C, "PaLM"), (E, "PaLM (540B)")),
    ((C, "Gopher"), (E, "Gopher (280B)")),
    ((C, "Gemini 1.0"), (E, "Gemini 1.0 Ultra")),
    ((C, "Gemini 2.5 Flash Image"), (E, "Gemini 2.5 Flash Image (Nano Banana)")),
    ((C, "LLaMA"), (E, "LLaMA-65B")),
    ((C, "Llama 2"), (E, "Llama 2-70B")),
    ((C, "Llama 3"), (E, "Llama 3-70B")),
    ((C, "Llama 3.2"), (E, "Llama 3.2 11B")),
    ((C, "Llama 3.1 405B"), (E, "Llama 3.1-405B")),
    ((C, "BLOOM"), (E, "BLOOM-176B")),
    ((C, "Qwen1.5"), (E, "Qwen1.5-72B")),
    ((C, "Qwen2"), (E, "Qwen2-72B")),
    ((C, "Qwen2.5"), (E, "Qwen2.5-72B")),
    ((C, "Qwen3"), (E, "Qwen3-235B-A22B")),
    ((C, "ERNIE 4.5"), (E, "ERNIE-4.5-VL-424B-A47B (文心大模型4.5)")),
    ((C, "Falcon 40B"), (E, "Falcon-40B")),
    ((C, "Falcon 180B"), (E, "Falcon-180B")),
    ((C, "GLM-4.5"), (E, "GLM 4.5")),
    ((C, "GLM-4.6"), (E, "GLM 4.6")),
    ((C, "Kimi K2"), (E, "Kimi K2")),
    ((C, "Kimi K2 Thinking"), (E, "Kimi K2 Thinking")),
    ((C, "GLM-130B"), (E, "GLM-130B")),
]

# Different models whose names differ only by what tells models apart: "+", a version
# number, a size, a suffix.
MUST_NOT_MERGE = [
    ((E, "PointNet"), (E, "PointNet++")),
    ((E, "DeepLabV3"), (E, "DeepLabV3+")),
    ((E, "GPT-3 175B (davinci)"), (E, "GPT-3.5")),
    ((E, "GPT-4"), (E, "GPT-4o")),
    ((E, "GPT-4o"), (E, "GPT-4o mini")),
    ((E, "GPT-4"), (E, "GPT-4 Turbo")),
    ((E, "GPT-5"), (E, "GPT-5.1")),
    ((E, "Claude"), (E, "Claude 2")),
    ((E, "Claude 2"), (E, "Claude 2.1")),
    ((E, "Claude Opus 4"), (E, "Claude Opus 4.1")),
    ((E, "Llama 2-7B"), (E, "Llama 2-70B")),
    ((E, "Qwen2.5-72B"), (E, "Qwen2.5-32B")),
    ((E, "Qwen3-Max"), (E, "Qwen3-235B-A22B")),
    ((E, "o3"), (E, "o3-mini")),
    ((E, "o1"), (E, "o1-preview")),
    ((E, "Gemini 1.0 Ultra"), (E, "Gemini 1.0 Pro")),
    ((E, "Sora"), (E, "Sora 2.0")),
    ((E, "DALL-E"), (E, "DALL·E 2")),
    ((E, "DeepSeek-V3"), (C, "DeepSeek-V3.1")),
    ((E, "DeepSeek-R1"), (C, "DeepSeek-R1-0528")),
    ((E, "Kimi K2"), (E, "Kimi K2 Thinking")),
    ((E, "Grok-1"), (C, "Grok-1.5")),
    ((E, "Mistral Large"), (E, "Mistral Large 2")),
    ((E, "Mistral Large"), (C, "Mistral Large 3")),
    ((E, "GLM 4.5"), (E, "GLM 4.6")),
    ((E, "PaLM (540B)"), (E, "PaLM 2")),
    ((E, "CLIP (ViT L/14@336px)"), (E, "CLIP (ResNet-50)")),
    ((E, "InstructGPT 175B"), (E, "InstructGPT 6B")),
    ((C, "Stable Diffusion"), (E, "Stable Diffusion 3")),
    ((E, "T5-11B"), (E, "T5-3B")),
    ((E, "AlphaFold 2"), (E, "AlphaFold 3")),
    ((C, "DeepSeek-V3.2"), (C, "DeepSeek-V3.2-Exp")),
    ((C, "Hunyuan"), (E, "Hunyuan-Large")),
    ((C, "Gemini 2.0 Flash"), (E, "Gemini 2.0 Pro")),
    ((C, "ERNIE 5.0"), (E, "ERNIE 4.0")),
]


def test_the_pair_lists_are_long_enough_and_distinct():
    assert len(MUST_MERGE) >= 30 and len(MUST_NOT_MERGE) >= 30
    assert len(set(MUST_MERGE)) == len(MUST_MERGE) and len(set(MUST_NOT_MERGE)) == len(MUST_NOT_MERGE)


@pytest.mark.parametrize(("a", "b"), MUST_MERGE, ids=[f"{a[1]} = {b[1]}" for a, b in MUST_MERGE])
def test_records_of_one_model_become_one_model(con, a, b):
    assert model_of(con, *a) == model_of(con, *b)


@pytest.mark.parametrize(("a", "b"), MUST_NOT_MERGE, ids=[f"{a[1]} != {b[1]}" for a, b in MUST_NOT_MERGE])
def test_records_of_different_models_stay_apart(con, a, b):
    assert model_of(con, *a) != model_of(con, *b)


def test_the_normalization_keeps_what_distinguishes_models(con):
    keys = dict(rows(con, """select name, core.model_key(name) from (values ('PointNet++'), ('PointNet'), ('Llama 3-70B'),
                                    ('Llama 3 70B'), ('Sora 2.0'), ('GPT-4.0.1'), ('T5 10.0B'), ('DALL·E 2'), ('GPT-4o mini')) t(name)"""))
    assert keys == {"PointNet++": "pointnet-plus-plus", "PointNet": "pointnet", "Llama 3-70B": "llama-3-70b",
                    "Llama 3 70B": "llama-3-70b", "Sora 2.0": "sora-2", "GPT-4.0.1": "gpt-4-0-1", "T5 10.0B": "t5-10-0b",
                    "DALL·E 2": "dall-e-2", "GPT-4o mini": "gpt-4o-mini"}
    # The same normalization, aliases included, for tables that link to models by name alone.
    assert rows(con, "select core.model_id_of('GPT 4 Omni'), core.model_id_of('PointNet++')") == [("gpt-4o", "pointnet-plus-plus")]


def test_no_two_models_share_a_normalized_name_unless_an_alias_keeps_them_apart(con):
    shared = rows(con, """select core.model_key(model), list(model_id order by model_id) from core.models
                          group by 1 having count(*) > 1""")
    kept_apart = {model_id for (model_id,) in rows(con, """select model_id from core.model_identity
                                                          where identity_rule = 'alias for organization'""")}
    assert all(set(ids) <= kept_apart for _, ids in shared), shared
    # Every launch event is accounted for, once, and every model has its events.
    assert rows(con, """select (select count(*) from core.model_identity),
                               (select sum(launch_events) from core.models),
                               (select count(*) from core.models where model_id not in (select model_id from core.model_identity))""") == [
        (rows(con, "select sum(launch_events) from core.models")[0][0],) * 2 + (0,)
    ]
    assert rows(con, "select count(*) from core.model_identity where not developers_agree") == [(0,)]


def test_gpt3_is_one_model_and_the_merges_reveal_date_disagreements(con):
    assert rows(con, "select model, sources, launch_events from core.models where model_id = 'gpt-3-175b-davinci'") == [
        ("GPT-3 175B (davinci)", ["curated", "epoch-ai"], 2)
    ]
    assert rows(con, "select count(*) from core.models where model_id = 'gpt-3'") == [(0,)]
    # Curated release dates against Epoch's paper dates, found only once the records meet.
    disputed = {m for (m,) in rows(con, "select distinct model_id from core.model_conflicts")}
    assert {"codex", "bloom-176b", "llama-3-2-11b", "dall-e-3"} <= disputed
    assert rows(con, "select source, value, kept from core.model_conflicts where model_id = 'codex' order by source") == [
        ("curated", "2021-08-10", False), ("epoch-ai", "2021-07-07", True)
    ]


def test_organizations_keep_their_identity_and_belong_to_a_group_over_time(con):
    groups = rows(con, """select core.organization_group('deepmind', '2014-06-01'::date), core.organization_group('deepmind', '2016-01-01'::date),
                                 core.organization_group('google-brain', '2023-04-19'::date), core.organization_group('google-deepmind', '2024-01-01'::date),
                                 core.organization_group('openai', '2024-01-01'::date)""")
    assert groups == [("google", "alphabet", "alphabet", "alphabet", "openai")]
    assert rows(con, """select org_id, parent_id, parent_relation, parent_from::varchar, group_id from core.organizations
                        where org_id in ('deepmind', 'google-brain', 'google-deepmind', 'google') order by org_id""") == [
        ("deepmind", "google-deepmind", "merged_into", "2023-04-20", "alphabet"),
        ("google", "alphabet", "part_of", "2015-10-02", "alphabet"),
        ("google-brain", "google-deepmind", "merged_into", "2023-04-20", "alphabet"),
        # (part of Google since it began: a model a source credits to it before 2023-04-20 is still Alphabet's)
        ("google-deepmind", "google", "part_of", None, "alphabet"),
    ]
    # Every period of the hierarchy cites its source.
    assert rows(con, "select count(*) from core.organization_parents where source_url not like 'https://%'") == [(0,)]


def test_concentration_by_group_treats_alphabet_as_one_group_in_2023_q2(con):
    alphabet = ("google", "google-brain", "deepmind", "google-deepmind")
    # The quarter's launches recomputed here: each model's 1/n credit per organization,
    # Alphabet's labs summed into one holder.
    credit = collections.Counter()
    for (orgs,) in rows(con, """select organization_ids from core.models
                                where launched_on >= '2023-04-01' and launched_on < '2023-07-01' and len(organization_ids) > 0"""):
        for org in orgs:
            credit["alphabet" if org in alphabet else org] += 1 / len(orgs)
    total = sum(credit.values())
    expected = 10000 * sum((c / total) ** 2 for c in credit.values())
    by_level = dict(rows(con, "select level, hhi_organizations from marts.concentration where quarter = '2023-04-01'"))
    assert by_level["group"] == pytest.approx(expected)
    assert by_level["lab"] < by_level["group"]
    tops = dict(rows(con, "select level, top_organization_id from marts.concentration where quarter = '2023-04-01'"))
    assert tops["group"] == "alphabet" and tops["lab"] not in ("alphabet",)


def test_frontier_flags_are_kept_apart_by_who_sets_them(con):
    epoch_flagged = sum(1 for row in _epoch_rows() if (row.get("Frontier model") or "").strip() == "True")
    assert rows(con, "select count(*) from core.models where epoch_frontier") == [(epoch_flagged,)]
    # A curated flag never makes a model Epoch-flagged, and only Epoch's models have Epoch's flag.
    assert rows(con, "select count(*) from core.models where epoch_frontier is not null and not list_contains(sources, 'epoch-ai')") == [(0,)]
    assert rows(con, "select count(*) from core.models where curated_frontier and epoch_frontier is null")[0][0] > 0
    # Ours: a model of known compute is in the top 10 by training compute at its launch
    # date (fewer than 10 models launched by then had more); unknown compute: never.
    assert rows(con, """select count(*) filter (where compute_frontier), count(*) filter (where compute_frontier <> expected)
                        from (select f.compute_frontier,
                                     f.training_compute_flop is not null
                                         and (select count(*) from core.models m
                                              where m.launched_on <= f.launched_on
                                                and m.training_compute_flop > f.training_compute_flop) < 10 as expected
                              from marts.frontier_timeline f)""")[0][1] == 0
    assert rows(con, "select count(*) from marts.frontier_timeline where compute_frontier")[0][0] > 100


def _epoch_rows():
    with gzip.open(epoch.BUNDLED_SNAPSHOT, "rt", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_launches_per_year_and_country_equal_a_recount_of_epochs_csv(tmp_path):
    # A warehouse of Epoch's table alone: every model is one only Epoch reports.
    store = EventStore(WarehouseHome.resolve(tmp_path / "warehouse").ensure(), lock_timeout_s=30)
    run_table(store)
    refresh_and_publish(store)
    recount = collections.Counter()
    for row in _epoch_rows():
        day = (row.get("Publication date") or "").strip()
        names = [c.strip() for c in (row.get("Country (of organization)") or "").split(",") if c.strip()]
        if not day or not names:
            continue
        for code in {epoch.COUNTRY_CODES[name] for name in names}:  # a model of two countries counts for both
            recount[(int(day[:4]), code)] += 1
    with open_snapshot(store.home) as con:
        mart = {(year, country): n for year, country, n in rows(con, """
            select year(month), country, sum(launches)::integer from marts.releases_monthly_by_country
            group by all having sum(launches) > 0""")}
        assert rows(con, "select count(*) from core.models where sources <> ['epoch-ai']") == [(0,)]
    assert mart == dict(recount)
    assert mart[(2023, "GB")] == 20


def test_releases_by_group_count_a_model_of_two_alphabet_labs_once(con):
    (expected,) = rows(con, """select count(*) from core.models where year(launched_on) = 2023
                               and list_has_any(organization_ids, ['google', 'google-brain', 'deepmind', 'google-deepmind'])""")[0]
    got = rows(con, "select launches, organization_ids from marts.releases_yearly_by_group where year = 2023 and group_id = 'alphabet'")
    assert got[0][0] == expected > 0
    assert set(got[0][1]) <= {"google", "google-brain", "deepmind", "google-deepmind"}
    # Before Alphabet existed, DeepMind (acquired in January 2014) counted under Google.
    assert rows(con, "select count(*) from marts.releases_yearly_by_group where year = 2014 and group_id = 'alphabet'") == [(0,)]
