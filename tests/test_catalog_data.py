"""The shipped catalogue and model profiles: complete, sourced, consistent."""

import pytest
import yaml

from planner.inputs.datasets import Catalog
from planner.inputs.loader import (
    builtin_catalog_path,
    builtin_models_dir,
    load_catalog,
    load_profiles,
)

NUMERIC = (
    "gpus_per_unit",
    "unit_power_kw",
    "capex_usd",
    "opex_usd_per_year",
    "lifetime_years",
    "lead_time_periods",
    "lead_time_months",
    "max_units_per_period",
    "racks_per_unit",
    "hbm_gb",
    "mem_bw_tbps",
    "tdp_w",
    "rental_usd_per_gpu_hour",
)
REQUIRED_IDS = {
    "hgx-a100",
    "hgx-h100",
    "hgx-h200",
    "hgx-b200",
    "hgx-b300",
    "gb200-nvl72",
    "gb300-nvl72",
    "mi300x",
    "mi325x",
    "mi355x",
    "gaudi3",
    "l40s-server",
    "l4-server",
    "h100-pcie-server",
}


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(builtin_catalog_path())


@pytest.fixture(scope="module")
def raw_systems() -> list[dict]:
    return yaml.safe_load(builtin_catalog_path().read_text())["systems"]


@pytest.fixture(scope="module")
def profiles():
    return load_profiles(builtin_models_dir())


def test_catalogue_has_required_systems(catalog):
    ids = [s.id for s in catalog.systems]
    assert len(ids) >= 14
    assert len(set(ids)) == len(ids)
    assert set(ids) >= REQUIRED_IDS
    assert {s.vendor for s in catalog.systems} >= {"nvidia", "amd", "intel"}


def test_every_system_states_every_contract_field(raw_systems):
    for s in raw_systems:
        for f in (
            "gpus_per_unit",
            "unit_power_kw",
            "capex_usd",
            "opex_usd_per_year",
            "lifetime_years",
            "lead_time_months",
            "cooling",
            "racks_per_unit",
            "source",
            "hbm_gb",
            "mem_bw_tbps",
            "tdp_w",
        ):
            assert f in s, f"{s['id']} lacks {f}"


def test_every_figure_has_tagged_provenance(raw_systems, catalog):
    for s in raw_systems:
        prov = s.get("provenance", {})
        for f in NUMERIC:
            if f in s:
                assert f in prov, f"{s['id']}.{f} has no provenance"
                assert prov[f]["tag"] in ("published", "derived", "estimate")
                assert prov[f]["source"].strip()
        assert "cooling" in prov
    # estimates are never shown as published
    for s in catalog.systems:
        assert s.provenance["opex_usd_per_year"].tag == "estimate"
        assert s.provenance["lead_time_months"].tag == "estimate"


def test_units_are_what_buyers_order(catalog):
    by_id = {s.id: s for s in catalog.systems}
    for sid in ("gb200-nvl72", "gb300-nvl72"):
        s = by_id[sid]
        assert s.gpus_per_unit == 72 and s.cooling == "liquid" and s.racks_per_unit == 1.0
    for s in catalog.systems:
        if not s.id.endswith("nvl72"):
            assert s.gpus_per_unit == 8
        # months, first written as 0, 1 or 2 quarters (catalogs/README.md)
        assert s.lead_time_months in (0, 3, 6) and "lead_time_periods" not in s.model_fields_set
        assert s.unit_power_kw * 1000 > s.tdp_w * s.gpus_per_unit  # host overhead included
        assert s.capex_usd > 0 and s.racks_per_unit > 0
    assert by_id["gb200-nvl72"].capex_usd == 3_300_000
    assert by_id["gb200-nvl72"].provenance["capex_usd"].tag == "published"


def test_profiles(profiles, catalog):
    ids = {s.id for s in catalog.systems}
    assert len(profiles) >= 4
    for required in ("deepseek-r1-fp8", "deepseek-r1-fp4", "gpt-oss-120b"):
        assert required in profiles
    assert any(p.startswith("llama") for p in profiles)
    for pid, p in profiles.items():
        assert p.token_basis == "total", pid  # one basis: the builtin set plans together
        assert p.workload is not None and p.source
        for sys_id, pts in p.throughput.items():
            assert sys_id in ids, f"{pid}: {sys_id} not in catalogue"
            prov = p.provenance[sys_id]
            assert prov.tag in ("published", "derived") and prov.source
            if len(pts) < 3:
                assert prov.note, f"{pid}.{sys_id}: short curve must say why"
            srt = sorted(pts)
            assert all(b[1] <= a[1] for a, b in zip(srt, srt[1:], strict=False)), (pid, sys_id)


def test_profile_files_named_by_id(profiles):
    for f in builtin_models_dir().glob("*.yaml"):
        data = yaml.safe_load(f.read_text())
        assert f.stem == data["id"]


def test_deepseek_r1_fp8_profiles_cover_hopper(profiles):
    """Issue 15: the H200-vs-Blackwell comparison needs an HGX H200 curve in both FP8
    DeepSeek-R1 profiles (and H100 in both); FP4 profiles cannot have one (no FP4 on Hopper)."""
    for pid in ("deepseek-r1-fp8", "deepseek-r1-fp8-8k1k"):
        assert {"hgx-h200", "hgx-h100"} <= set(profiles[pid].throughput), pid
    for pid in ("deepseek-r1-fp4", "deepseek-r1-fp4-8k1k"):
        assert not {"hgx-h200", "hgx-h100"} & set(profiles[pid].throughput), pid
