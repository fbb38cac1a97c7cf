"""Issue 21 points 4 and 17: every configured URL through the production guard, and a settings file that is read
as written: a broken line, a key twice, a ${...}, a misspelt key, a writing query, an unknown driver, a shell that
disagrees with the named file. Every problem named at once, before any scenario, exit 4."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from support.targets.env_file import EnvFile, merge, read_env_file
from support.targets.settings import SUITE_PREFIXES, ConfigError, load_settings

ROOT = Path(__file__).resolve().parents[2]
SECRET = "api-secret-HOSTILE-3"
LOOPBACK = {"CRYPTOPAY_API_URL": "http://127.0.0.1:9", "CRYPTOPAY_API_KEY": "key-1",
            "CRYPTOPAY_API_SECRET": SECRET, "CRYPTOPAY_CALLBACK_SECRET": "callback-secret-HOSTILE-4",
            "MERCHANT_PROBE_URL": "https://staging.shop.example/probe",
            "MERCHANT_CALLBACK_URL": "https://staging.shop.example/callbacks/cryptopay",
            "MERCHANT_PROBE_TOKEN": "probe-token-HOSTILE-5", "PAYER": "coin_withdrawal"}
# The production API however written (the sandbox and loopback are the only spellings a run may use).
PRODUCTION = ["https://business.cryptopay.me", "http://business.cryptopay.me/_emulator",
              "https://BUSINESS.CRYPTOPAY.ME/", "https://business.cryptopay.me./api", "https://business.cryptopay.me:443",
              "https://Business.Cryptopay.Me.:443/x", "https://api.cryptopay.me", "https://cryptopay.me",
              "https://business.cryptopay.me\\@127.0.0.1/", "https://business.cryptopay.me@127.0.0.1/",
              "http://127.0.0.1%2f@business.cryptopay.me", "http://127.0.0.1:9/#@business.cryptopay.me"]


def problems(env: dict[str, str]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_settings(env, ROOT)
    return caught.value.problems


@pytest.mark.parametrize("url", PRODUCTION)
@pytest.mark.parametrize("key", ["CRYPTOPAY_API_URL", "EMULATOR_CONTROL_URL", "MERCHANT_PROBE_URL",
                                 "MERCHANT_CALLBACK_URL"])
def test_every_configured_url_refuses_every_spelling_of_production(key: str, url: str) -> None:
    found = problems({**LOOPBACK, key: url})
    assert any(p.startswith(key) for p in found), found


def test_a_control_url_on_another_host_needs_the_override() -> None:
    found = problems({**LOOPBACK, "EMULATOR_CONTROL_URL": "https://emulator.attacker.example/_emulator"})
    assert any(p.startswith("EMULATOR_CONTROL_URL points at host 'emulator.attacker.example'") for p in found)
    assert load_settings({**LOOPBACK, "EMULATOR_CONTROL_URL": "http://localhost:9/_emulator"}, ROOT).has_control


# -- the settings file ----------------------------------------------------------------------------------------------
def read(tmp_path: Path, text: str, environ: dict[str, str] | None = None) -> EnvFile:
    path = tmp_path / "shop.env"
    path.write_text(text, encoding="utf-8")
    return read_env_file({"CERTIFY_ENV_FILE": str(path), **(environ or {})}, ROOT / ".env")


def test_a_line_that_is_not_key_value_is_named_without_its_value(tmp_path: Path) -> None:
    found = read(tmp_path, f"CRYPTOPAY_API_URL https://business-sandbox.cryptopay.me\n\n"
                           f"CRYPTOPAY_API_SECRET {SECRET}\nPAYER\n")
    text = "\n".join(found.problems)
    for line, key in ((1, "CRYPTOPAY_API_URL"), (3, "CRYPTOPAY_API_SECRET"), (4, "PAYER")):
        assert f"shop.env (CERTIFY_ENV_FILE) line {line} ({key} …) is not KEY=value" in text, text
    assert SECRET not in text and "sandbox" not in text


def test_a_key_set_twice_is_named_with_its_lines(tmp_path: Path) -> None:
    found = read(tmp_path, "WAIT_TIMEOUT_SECONDS=30\nPAYER=emulator\nWAIT_TIMEOUT_SECONDS=900\n")
    assert found.problems == [f"WAIT_TIMEOUT_SECONDS is set 2 times in {tmp_path / 'shop.env'} (CERTIFY_ENV_FILE) "
                              "(lines 1, 3); keep one"]


@pytest.mark.parametrize("written", ['"${HOME}x"', "${CRYPTOPAY_CALLBACK_SECRET}", "'a${X:-b}c'"])
def test_nothing_is_expanded_and_an_expansion_is_refused(tmp_path: Path, written: str) -> None:
    found = read(tmp_path, f"CRYPTOPAY_API_SECRET={written}\n", {"HOME": "/root", "X": "leaked"})
    assert "leaked" not in found.values["CRYPTOPAY_API_SECRET"] and "/root" not in found.values["CRYPTOPAY_API_SECRET"]
    assert len(found.problems) == 1 and found.problems[0].startswith(
        "CRYPTOPAY_API_SECRET (") and "read literally, nothing in it is expanded" in found.problems[0]


def test_the_named_file_wins_over_the_shell_and_every_differing_key_is_named() -> None:
    named = EnvFile(values={"MERCHANT_PROBE_URL": "https://shop-b.example/probe", "PAYER": "operator"},
                    label="shop-b.env (CERTIFY_ENV_FILE)", named=True)
    shell = {"MERCHANT_PROBE_URL": "https://shop-a.example/probe", "PAYER": "operator", "CRYPTOPAY_API_SECRET": "s"}
    values, warning = merge(named, shell)
    assert values["MERCHANT_PROBE_URL"] == "https://shop-b.example/probe" and values["CRYPTOPAY_API_SECRET"] == "s"
    assert warning.startswith("the shell sets MERCHANT_PROBE_URL differently from shop-b.env (CERTIFY_ENV_FILE)")
    assert "PAYER" not in warning and "shop-a" not in warning
    plain = EnvFile(values={"CERTIFY_PRODUCTS": "invoices,channels"}, label=".env", named=False)
    values, warning = merge(plain, {"CERTIFY_PRODUCTS": "invoices"})
    assert values["CERTIFY_PRODUCTS"] == "invoices" and "the shell's values are used" in warning


def test_a_misspelt_key_with_a_product_prefix_is_pointed_out() -> None:
    for typo, meant in (("PAYOUTS_AMOUNT_FIELD", "PAYOUT_AMOUNT_FIELD"),
                        ("CHANNELS_CREDITED_AMOUNT", "CHANNEL_CREDITED_AMOUNT"), ("PAYMENTS_COIN", "PAYMENT_COIN")):
        assert f"{typo} is not a setting of the suite; did you mean {meant}?" in problems({typo: "x"})


SQL = {**LOOPBACK, "MERCHANT_ADAPTER": "sql", "MERCHANT_SQL_URL": "sqlite:////tmp/shop.sqlite3",
       "MERCHANT_SQL_BALANCE_QUERY": "SELECT currency, amount FROM balances WHERE customer = :customer_id",
       "MERCHANT_SQL_INVOICE_QUERY": "SELECT status, status_context FROM payments WHERE id = :invoice_id"}


@pytest.mark.parametrize("query", [
    "WITH gone AS (DELETE FROM balances RETURNING *) SELECT currency, amount FROM gone WHERE customer = :customer_id",
    "with t as (update balances set amount = 0 returning *) select currency, amount from t where c = :customer_id",
    "SELECT currency, amount INTO stolen FROM balances WHERE customer = :customer_id",
    "SELECT currency, amount FROM balances WHERE customer = :customer_id FOR UPDATE",
])
def test_a_query_that_writes_is_not_read_only(query: str) -> None:
    found = problems({**SQL, "MERCHANT_SQL_BALANCE_QUERY": query})
    assert any(p.startswith("MERCHANT_SQL_BALANCE_QUERY must be a single read-only SELECT statement (it contains")
               for p in found), found


def test_words_inside_quotes_and_comments_are_data() -> None:
    query = ("SELECT currency, amount FROM balances -- never delete\n"
             "WHERE customer = :customer_id AND note <> 'insert; drop'")
    assert load_settings({**SQL, "MERCHANT_SQL_BALANCE_QUERY": query}, ROOT).merchant_adapter == "sql"


@pytest.mark.parametrize("url", ["foo://qa:db-PASSWORD-6@db/shop", "postgresql+nosuchdriver://qa:db-PASSWORD-6@db/s",
                                 "mysql+pymysql://qa:db-PASSWORD-6@db/shop"])
def test_an_unknown_or_missing_sql_driver_is_a_configuration_error(url: str) -> None:
    found = [p for p in problems({**SQL, "MERCHANT_SQL_URL": url}) if p.startswith("MERCHANT_SQL_URL")]
    assert len(found) == 1 and "driver" in found[0] and "db-PASSWORD-6" not in found[0], found


# -- the whole run: named at once, before any scenario ---------------------------------------------------------------
def run_steps(env_file: Path, shell: dict[str, str] | None = None, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith((*SUITE_PREFIXES, "PYTEST_XDIST"))}
    env.update({**(shell or {}), "CERTIFY_ENV_FILE": str(env_file)})
    return subprocess.run([sys.executable, "-m", "pytest", "steps", "-p", "no:cacheprovider", "-q", *args], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=300)


def test_a_broken_settings_file_stops_the_run_with_every_problem_named(tmp_path: Path) -> None:
    """The space instead of '=' silently ran the embedded rehearsal; now it and the rest are named, exit 4."""
    env_file = tmp_path / "shop.env"
    env_file.write_text(f"CRYPTOPAY_API_URL https://business-sandbox.cryptopay.me\nCRYPTOPAY_API_SECRET=${{X}}\n"
                        "WAIT_TIMEOUT_SECONDS=30\nWAIT_TIMEOUT_SECONDS=40\nPAYOUTS_AMOUNT_FIELD=charged_amount\n",
                        encoding="utf-8")
    result = run_steps(env_file, {"X": SECRET})
    output = result.stdout + result.stderr
    assert result.returncode == 4, output
    assert output.count("The go-live suite cannot start") == 1 and "Traceback" not in output and SECRET not in output
    for fragment in ("line 1 (CRYPTOPAY_API_URL …) is not KEY=value", "CRYPTOPAY_API_SECRET (",
                     "WAIT_TIMEOUT_SECONDS is set 2 times", "did you mean PAYOUT_AMOUNT_FIELD?"):
        assert fragment in output, (fragment, output)
    assert " passed" not in output and " failed" not in output, "no scenario ran"


def test_an_unknown_sql_driver_alone_is_a_configuration_error_not_an_internal_one(tmp_path: Path) -> None:
    env_file = tmp_path / "shop.env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in {**SQL, "MERCHANT_SQL_URL": "foo://qa:pw@db/shop"}.items()),
                        encoding="utf-8")
    result = run_steps(env_file)
    output = result.stdout + result.stderr
    assert result.returncode == 4 and "MERCHANT_SQL_URL must be" in output and "Traceback" not in output, output


def test_a_shell_that_disagrees_with_the_named_file_does_not_change_the_run(tmp_path: Path) -> None:
    """A shell holding another shop's keys: the named file is what is certified, and the shell's key is named."""
    env_file = tmp_path / "shop.env"
    env_file.write_text("CERTIFY_PRODUCTS=invoices\n", encoding="utf-8")
    result = run_steps(env_file, {"CERTIFY_PRODUCTS": "subscriptions"}, "--collect-only")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert f"the shell sets CERTIFY_PRODUCTS differently from {env_file} (CERTIFY_ENV_FILE)" in output
