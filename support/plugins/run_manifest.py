"""Writes every collected scenario, selected or not, beside the Allure results, so none can vanish from a verdict."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from allure_commons.utils import md5
from allure_pytest_bdd.utils import (convert_params, get_full_name, get_history_id, get_outline_params,
                                     get_pytest_params)
from pytest_bdd.scenario import scenario_wrapper_template_registry

from checklists import PRODUCTS, items_of, product_of
from reporting.manifest import (DESELECTED_REASON, EMULATOR_ONLY_REASON, NOT_CHOSEN_REASON, NOT_OFFERED_REASON,
                                write_manifest)

INTEGRATION_KEY = pytest.StashKey[dict[str, str]]()


def scenario_title(item: pytest.Item) -> str | None:
    """The scenario's title as a reader says it: an outline's placeholders filled with its example's values, or,
    when the title has none, the values after it ("… price (price 100.00, currency EUR)"). None: not a scenario."""
    template = scenario_wrapper_template_registry.get(getattr(item, "function", None))
    if template is None:
        return None
    outline = get_outline_params(item)
    title = template.render(outline).name
    if outline and title == template.name:
        title += " (" + ", ".join(f"{name} {value}" for name, value in outline.items()) + ")"
    return title


def scenario_entry(item: pytest.Item) -> dict[str, Any] | None:
    """What Allure will call this scenario (the same fullName and historyId), its tags and its steps."""
    template = scenario_wrapper_template_registry.get(getattr(item, "function", None))
    if template is None:
        return None  # a plain test, not a Gherkin scenario
    outline, params = get_outline_params(item), get_pytest_params(item)
    scenario = template.render(outline)
    full_name = get_full_name(template.feature, scenario)
    tags = sorted({marker.name for marker in item.iter_markers()} - {"parametrize", "usefixtures", "skip"})
    return {
        "nodeid": item.nodeid,
        "name": scenario.name,
        "fullName": full_name,
        "historyId": get_history_id(md5(full_name), convert_params(outline, params), {**params, **outline}),
        "testCaseId": md5(full_name),
        "feature": template.feature.name,
        "parameters": [{"name": name, "value": str(value)} for name, value in outline.items()],
        "tags": tags,
        "product": product_of(tags),
        "items": [str(item) for item in items_of(tags)],
        "steps": [{"type": step.type, "keyword": step.keyword, "text": step.name} for step in scenario.steps],
    }


LAST_FAILED = "--lf (the last run's failures)"
_LAST_FAILED_KEY = pytest.StashKey[bool]()


def reruns_last_failures(config: pytest.Config) -> bool:
    """--lf with failures on record: pytest's cache deselects every other scenario, so the run is a subset. Decided
    once, from the cache as the run found it (the controller's copy changes as scenarios end), the same in every
    xdist worker, which all read that one cache."""
    if _LAST_FAILED_KEY not in config.stash:
        plugin = config.pluginmanager.get_plugin("lfplugin")
        failed = getattr(plugin, "lastfailed", None) or {}
        config.stash[_LAST_FAILED_KEY] = bool(config.getoption("lf", False)
                                              and any(str(nodeid).startswith("steps/") for nodeid in failed))
    return config.stash[_LAST_FAILED_KEY]


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    reruns_last_failures(config)  # after pytest's cache plugin has read the cache, before any scenario changes it


def selection_words(config: pytest.Config) -> str:
    """What chose this run's scenarios ("-m 'channels' --lf (…)"), or "" for every scenario: the manifest, run-info
    and the verdict's "Subset run (…)" all say it in these words."""
    parts = [f"-m {config.option.markexpr!r}" if config.option.markexpr else "",
             f"-k {config.option.keyword!r}" if config.option.keyword else "",
             LAST_FAILED if reruns_last_failures(config) else ""]
    return " ".join(p for p in parts if p)


def _selection(config: pytest.Config) -> str:
    return selection_words(config) or "file or node selection"


def _settings(config: pytest.Config):
    from support.plugins.keys import SETTINGS_KEY  # the settings live in the config's stash, put there by conftest.py
    return config.stash.get(SETTINGS_KEY, None)


def _has_control(config: pytest.Config) -> bool:
    settings = _settings(config)
    return settings is None or settings.has_control


def offered_products(settings) -> frozenset[str] | None:  # noqa: ANN001
    """What the merchant's probe says it integrates (GET /capabilities; a v1 probe's 404 means invoices only).
    None when it is not asked: the embedded reference merchant integrates all three, and a probe that cannot be
    asked now is stopped by the preflight with its own message, not here."""
    if settings.embedded_merchant or not settings.merchant_probe_url:
        return None
    from support.drivers.merchant import MerchantError, ProbeMerchant
    probe = ProbeMerchant(settings.merchant_probe_url, settings.merchant_probe_token)
    try:
        return frozenset(probe.capabilities())
    except (MerchantError, OSError, ValueError, KeyError):
        return None


def not_integrated(config: pytest.Config) -> dict[str, str]:
    """product -> why it is not certified in this run: not chosen in CERTIFY_PRODUCTS, or not offered by the
    merchant's probe. Decided once per process; every product absent here is certified."""
    if INTEGRATION_KEY not in config.stash:
        settings = _settings(config)
        reasons: dict[str, str] = {}
        if settings is not None:
            chosen = settings.declared.certify_products
            reasons = {p: NOT_CHOSEN_REASON for p in PRODUCTS if p not in chosen}
            offered = offered_products(settings) if chosen else None
            if offered is not None:
                words = ", ".join(p for p in PRODUCTS if p in offered) or "nothing"
                reasons.update({p: NOT_OFFERED_REASON.format(offered=words) for p in chosen if p not in offered})
        config.stash[INTEGRATION_KEY] = {p: reasons[p] for p in PRODUCTS if p in reasons}
    return config.stash[INTEGRATION_KEY]


def _not_run_reason(entry: dict[str, Any], selected: bool, config: pytest.Config) -> str | None:
    """Why a collected scenario will not run (and, when selected, it is skipped for that reason), or None."""
    if not selected:
        return DESELECTED_REASON.format(selection=_selection(config))
    if entry["product"] in not_integrated(config):
        return not_integrated(config)[entry["product"]]
    if "emulator_only" in entry["tags"] and not _has_control(config):
        return EMULATOR_ONLY_REASON
    return None


_COLLECTED_KEY = pytest.StashKey[list[pytest.Item]]()


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]):
    config.stash[_COLLECTED_KEY] = list(items)  # before -m, -k and --lf deselect
    yield


@pytest.hookimpl(tryfirst=True)  # before an xdist worker reports its collection: the manifest is there by then
def pytest_collection_finish(session: pytest.Session) -> None:
    """Once every deselection is done (-m and -k inside pytest_collection_modifyitems, --lf by pytest's cache
    plugin after it), every collected scenario goes in the manifest with why it will not run, if it will not."""
    config = session.config
    selected = {id(item) for item in session.items}
    entries = []
    for item in config.stash.get(_COLLECTED_KEY, []):
        entry = scenario_entry(item)
        if entry is None:
            continue
        reason = _not_run_reason(entry, id(item) in selected, config)
        entry["selected"] = id(item) in selected  # the terminal counts what runs, and tells apart what was chosen
        if reason is not None:
            entry["not_run_reason"] = reason
            if id(item) in selected:
                # Skipped at setup, before Allure opens a result: the manifest is what keeps it in the evidence.
                item.add_marker(pytest.mark.skip(reason=reason))
        entries.append(entry)
    results = getattr(config.option, "allure_report_dir", None)
    if results and entries:
        write_manifest(Path(results), entries, _selection(config))
