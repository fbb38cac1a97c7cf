"""Settings validation: every problem named at once, the production guard, payer rules, secrets never shown."""
from __future__ import annotations

from pathlib import Path

import pytest
from dotenv import dotenv_values

from support.targets.settings import (ALLOW_ANY_HOST_KEY, ALLOW_ANY_HOST_VALUE, KNOWN_KEYS, SUITE_PREFIXES, ConfigError,
                                      Settings, load_settings, suite_keys)

ROOT = Path(__file__).resolve().parents[2]
SANDBOX = "https://business-sandbox.cryptopay.me"
API_SECRET, CALLBACK_SECRET, TOKEN = "api-secret-VALUE-1", "callback-secret-VALUE-2", "probe-token-VALUE-3"


def external(**overrides: str) -> dict[str, str]:
    """A complete, valid real-mode configuration; tests break one thing at a time."""
    env = {"CRYPTOPAY_API_URL": SANDBOX, "CRYPTOPAY_API_KEY": "key-1", "CRYPTOPAY_API_SECRET": API_SECRET,
           "CRYPTOPAY_CALLBACK_SECRET": CALLBACK_SECRET, "MERCHANT_PROBE_URL": "https://staging.shop.example/probe",
           "MERCHANT_CALLBACK_URL": "https://staging.shop.example/callbacks/cryptopay",
           "MERCHANT_PROBE_TOKEN": TOKEN, "PAYER": "coin_withdrawal"}
    env.update(overrides)
    return {k: v for k, v in env.items() if v is not None}


def problems(env: dict[str, str]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_settings(env)
    return caught.value.problems


def test_all_blank_is_the_embedded_run() -> None:
    settings = load_settings({})
    assert settings.embedded_emulator and settings.embedded_merchant and settings.has_control
    assert settings.payer == "emulator" and settings.merchant_adapter == "probe"
    assert settings.unresolved_policy == {"underpaid": "do_nothing", "overpaid": "do_nothing",
                                          "paid_late": "do_nothing"}
    assert settings.cryptopay_target == "embedded emulator"


def test_a_complete_sandbox_configuration_loads() -> None:
    settings = load_settings(external(UNRESOLVED_POLICY_OVERPAID="refund", WAIT_TIMEOUT_SECONDS="900"))
    assert not settings.embedded_emulator and not settings.embedded_merchant and not settings.has_control
    assert settings.unresolved_policy["overpaid"] == "refund" and settings.wait_timeout == 900.0
    assert settings.cryptopay_target.startswith("Cryptopay sandbox")
    assert set(settings.secrets()) == {API_SECRET, CALLBACK_SECRET, TOKEN}


def test_every_missing_value_is_named_at_once() -> None:
    found = problems({"CRYPTOPAY_API_URL": SANDBOX, "MERCHANT_PROBE_URL": "https://shop.example/probe"})
    for key in ("CRYPTOPAY_API_KEY", "CRYPTOPAY_API_SECRET", "CRYPTOPAY_CALLBACK_SECRET", "MERCHANT_CALLBACK_URL",
                "MERCHANT_PROBE_TOKEN"):
        assert any(p.startswith(f"{key} is required") for p in found), (key, found)


def test_every_malformed_value_is_named_at_once() -> None:
    found = problems(external(MERCHANT_PROBE_URL="staging.shop/probe", MERCHANT_CALLBACK_URL="ftp://shop/cb",
                              PAYER="robot", UNRESOLVED_POLICY_UNDERPAID="keep", UNRESOLVED_POLICY_PAID_LATE="",
                              WAIT_TIMEOUT_SECONDS="soon", OPERATOR_PAYMENT_TIMEOUT_SECONDS="-5",
                              PAYER_WITHDRAWAL_CURRENCY="bit coin", MERCHANT_ADAPTER="csv"))
    text = "\n".join(found)
    for fragment in ("MERCHANT_PROBE_URL must be an http(s) URL", "MERCHANT_CALLBACK_URL must be an http(s) URL",
                     "PAYER must be one of emulator, coin_withdrawal, operator",
                     "UNRESOLVED_POLICY_UNDERPAID must be one of do_nothing, refund, recalculate",
                     "WAIT_TIMEOUT_SECONDS must be a number of seconds from 1", "OPERATOR_PAYMENT_TIMEOUT_SECONDS must be a "
                     "number of seconds", "PAYER_WITHDRAWAL_CURRENCY must be a currency code",
                     "MERCHANT_ADAPTER must be one of probe, sql"):
        assert fragment in text, (fragment, text)
    assert len(found) == len(set(found)), "each problem once"
    assert "PAID_LATE" not in text, "a blank policy takes its default"


def test_a_misspelt_key_is_pointed_out() -> None:
    found = problems(external(CRYPTOPAY_CALLBACK_SECRT="x"))
    assert "CRYPTOPAY_CALLBACK_SECRT is not a setting of the suite; did you mean CRYPTOPAY_CALLBACK_SECRET?" in found


@pytest.mark.parametrize("url", ["http://localhost:8080", "http://127.0.0.1:5000", "http://[::1]:9"])
def test_loopback_emulators_are_allowed(url: str) -> None:
    settings = load_settings(external(CRYPTOPAY_API_URL=url))
    assert settings.cryptopay_target.startswith("standalone emulator")


def test_the_production_api_is_refused_loudly() -> None:
    found = problems(external(CRYPTOPAY_API_URL="https://business.cryptopay.me"))
    assert any("the PRODUCTION API (real money)" in p and ALLOW_ANY_HOST_VALUE in p for p in found), found


def test_any_other_host_is_refused() -> None:
    found = problems(external(CRYPTOPAY_API_URL="https://cryptopay.attacker.example"))
    assert any("host 'cryptopay.attacker.example'" in p for p in found), found


def test_the_sandbox_only_over_https() -> None:
    assert "CRYPTOPAY_API_URL must use https for business-sandbox.cryptopay.me" in problems(
        external(CRYPTOPAY_API_URL="http://business-sandbox.cryptopay.me"))


def test_the_override_accepts_another_host_and_the_report_says_so() -> None:
    settings = load_settings(external(CRYPTOPAY_API_URL="https://business.cryptopay.me",
                                      **{ALLOW_ANY_HOST_KEY: ALLOW_ANY_HOST_VALUE}))
    assert settings.allow_any_host and "NON-SANDBOX host" in settings.cryptopay_target


def test_a_half_hearted_override_is_refused() -> None:
    found = problems(external(CRYPTOPAY_API_URL="https://business.cryptopay.me", **{ALLOW_ANY_HOST_KEY: "yes"}))
    assert any(p.startswith(f"{ALLOW_ANY_HOST_KEY} is set but not to the exact value") for p in found)
    assert any("PRODUCTION" in p for p in found)


def test_a_control_url_needs_its_emulator_and_never_goes_with_the_sandbox() -> None:
    assert any("CRYPTOPAY_API_URL is not" in p for p in problems({"EMULATOR_CONTROL_URL": "http://127.0.0.1:1/_emulator"}))
    assert any("the real sandbox, which has no control API" in p
               for p in problems(external(EMULATOR_CONTROL_URL="http://127.0.0.1:1/_emulator")))


def test_payer_defaults_follow_the_target() -> None:
    assert load_settings(external(PAYER="")).payer == "coin_withdrawal"
    standalone = external(CRYPTOPAY_API_URL="http://127.0.0.1:9", EMULATOR_CONTROL_URL="http://127.0.0.1:9/_emulator",
                          PAYER="")
    assert load_settings(standalone).payer == "emulator"


def test_payer_rules() -> None:
    assert any(p.startswith("PAYER=emulator needs the emulator's control API")
               for p in problems(external(PAYER="emulator")))
    assert any(p.startswith("PAYER=coin_withdrawal pays a real Cryptopay account's invoices")
               for p in problems({"PAYER": "coin_withdrawal"}))
    assert any(p.startswith("PAYER=operator pays") for p in problems({"PAYER": "operator"}))


def test_the_operator_payer_in_ci_only_when_asked_for() -> None:
    found = problems(external(PAYER="operator", CI="true"))
    assert any("CERTIFY_ALLOW_OPERATOR_IN_CI=yes" in p for p in found), found
    assert load_settings(external(PAYER="operator", CI="true", CERTIFY_ALLOW_OPERATOR_IN_CI="yes")).payer == "operator"
    settings = load_settings(external(PAYER="operator", OPERATOR_PAYMENT_TIMEOUT_SECONDS="1200"))
    assert settings.operator_payment_timeout == 1200.0
    assert "CERTIFY_ALLOW_OPERATOR_IN_CI must be yes or no" in "\n".join(
        problems(external(PAYER="operator", CERTIFY_ALLOW_OPERATOR_IN_CI="maybe")))


def test_the_sql_adapter_settings() -> None:
    sql = external(MERCHANT_ADAPTER="sql",
                   MERCHANT_SQL_URL="postgresql+psycopg://qa:db-PASSWORD-4@staging-db/shop",
                   MERCHANT_SQL_BALANCE_QUERY="SELECT currency, amount FROM balances WHERE customer = :customer_id",
                   MERCHANT_SQL_INVOICE_QUERY="SELECT status FROM payments WHERE cryptopay_id = :invoice_id")
    settings = load_settings(sql)
    assert settings.merchant_adapter == "sql" and not settings.embedded_merchant
    assert settings.merchant_sql_balance_query.endswith(":customer_id")
    assert "db-PASSWORD-4" in settings.secrets() and "db-PASSWORD-4" not in repr(settings)
    found = "\n".join(problems({**sql, "MERCHANT_SQL_URL": "", "MERCHANT_SQL_BALANCE_QUERY": "DELETE FROM balances",
                                "MERCHANT_SQL_INVOICE_QUERY": "SELECT 1 FROM p WHERE id = :invoice_id; DROP TABLE p"}))
    assert "MERCHANT_SQL_URL is required when MERCHANT_ADAPTER=sql" in found
    assert "MERCHANT_PROBE_URL is required when MERCHANT_ADAPTER=sql" in "\n".join(
        problems({**sql, "MERCHANT_PROBE_URL": ""}))
    assert "MERCHANT_SQL_BALANCE_QUERY must be a single read-only SELECT statement" in found
    assert "MERCHANT_SQL_BALANCE_QUERY must use the bound parameter :customer_id" in found
    assert "MERCHANT_SQL_INVOICE_QUERY must be a single read-only SELECT statement" in found
    assert "MERCHANT_SQL_URL must be a SQLAlchemy database URL" in "\n".join(
        problems({**sql, "MERCHANT_SQL_URL": "staging-db/shop"}))


def test_an_external_merchant_needs_an_external_cryptopay() -> None:
    found = problems({"MERCHANT_PROBE_URL": "https://shop.example/probe", "MERCHANT_CALLBACK_URL": "https://s/cb",
                      "MERCHANT_PROBE_TOKEN": TOKEN})
    assert any("CRYPTOPAY_API_URL is not set" in p for p in found)


def test_secrets_never_in_repr_str_or_messages() -> None:
    settings = load_settings(external())
    for shown in (repr(settings), str(settings), repr(settings.cryptopay_api_secret), f"{settings}"):
        for value in (API_SECRET, CALLBACK_SECRET, TOKEN):
            assert value not in shown
    message = str(ConfigError(problems(external(CRYPTOPAY_API_URL="https://business.cryptopay.me"))))
    assert all(value not in message for value in (API_SECRET, CALLBACK_SECRET, TOKEN))


def test_the_existing_fields_keep_working() -> None:
    settings = load_settings(external())
    assert isinstance(settings, Settings)
    for name in ("cryptopay_api_url", "cryptopay_api_key", "cryptopay_api_secret", "cryptopay_callback_secret",
                 "merchant_probe_url", "merchant_callback_url", "merchant_probe_token", "emulator_control_url",
                 "payer", "unresolved_policy", "wait_timeout", "signoff_file", "embedded_emulator",
                 "embedded_merchant"):
        assert hasattr(settings, name), name


def test_env_example_documents_every_key_and_loads_as_the_embedded_run() -> None:
    example = dotenv_values(Path(__file__).resolve().parents[2] / ".env.example")
    assert set(KNOWN_KEYS) <= set(example), set(KNOWN_KEYS) - set(example)
    settings = load_settings({k: v or "" for k, v in example.items()})
    assert settings.embedded_emulator and settings.embedded_merchant and settings.payer == "emulator"


@pytest.mark.parametrize("url", [
    "https://business.cryptopay.me\\@127.0.0.1/",   # the backslash bypass: requests went to production
    "https://business.cryptopay.me@127.0.0.1/",     # userinfo: the host is 127.0.0.1, the eye reads production
    "http://user:pass@127.0.0.1:8080",               # credentials in a URL end up in logs
    "http://127.0.0.1:8080/#@business.cryptopay.me",  # fragment
    "http://127.0.0.1:8080/ x",                      # whitespace
    "http://127.0.0.1:8080\t/x",                     # control character inside
    "https://business-sandbox.cryptopay.me\u2024evil.example",  # a look-alike dot
    "http://127.0.0.1%2f@business.cryptopay.me",     # percent-encoding in the authority
    "http://127.0.0.1:99999",                        # a port that cannot be
    "javascript:alert(1)",
])
def test_urls_that_could_disguise_their_host_are_refused(url: str) -> None:
    found = problems(external(CRYPTOPAY_API_URL=url))
    assert any(p.startswith("CRYPTOPAY_API_URL must be an http(s) URL") for p in found), found
    assert not any("cryptopay.me" in p and url in p for p in found), "the URL itself is never echoed"


@pytest.mark.parametrize("url", ["https://business.cryptopay.me.", "https://BUSINESS.cryptopay.me",
                                 "http://127.1:8080", "http://2130706433:8080", "https://localhost.evil.example"])
def test_hosts_that_only_look_allowed_are_refused_as_hosts(url: str) -> None:
    found = problems(external(CRYPTOPAY_API_URL=url))
    assert any("CRYPTOPAY_API_URL points at" in p for p in found), found


@pytest.mark.parametrize("key", ["MERCHANT_PROBE_URL", "MERCHANT_CALLBACK_URL"])
def test_every_configured_url_is_checked_the_same_way(key: str) -> None:
    found = problems(external(**{key: "https://staging.shop.example\\@evil.example/x"}))
    assert any(p.startswith(f"{key} must be an http(s) URL") and "backslash" in p for p in found), found


@pytest.mark.parametrize("value", ["1e-9", "1e10", "1_000", "\u0661\u0662", "inf", "nan", "0", "86401", "-5", "0x10"])
def test_wait_timeouts_are_plain_bounded_numbers(value: str) -> None:
    found = problems(external(WAIT_TIMEOUT_SECONDS=value))
    assert any(p.startswith("WAIT_TIMEOUT_SECONDS must be a number of seconds from 1 to 86400") for p in found)


@pytest.mark.parametrize("key", ["CRYPTOPAY_API_KEY", "CRYPTOPAY_API_SECRET", "CRYPTOPAY_CALLBACK_SECRET",
                                 "MERCHANT_PROBE_TOKEN"])
def test_non_ascii_credentials_are_refused_without_being_shown(key: str) -> None:
    found = problems(external(**{key: "sécret-ключ"}))
    assert any(p.startswith(f"{key} must be printable ASCII") for p in found), found
    assert "sécret" not in "\n".join(found)


def test_lower_case_keys_are_not_silently_ignored() -> None:
    found = problems(external(wait_timeout_seconds="900", Payer="operator"))
    assert "wait_timeout_seconds is ignored: settings are upper case, write WAIT_TIMEOUT_SECONDS" in found
    assert "Payer is ignored: settings are upper case, write PAYER" in found


def test_a_missing_signoff_file_is_named_before_any_scenario(tmp_path: Path) -> None:
    found = problems(external(GO_LIVE_SIGNOFF_FILE=str(tmp_path / "nope.yml")))
    assert any(p.startswith("GO_LIVE_SIGNOFF_FILE names") and "does not exist" in p for p in found), found


def test_a_malformed_sql_url_is_refused_at_configuration_time() -> None:
    found = problems(external(MERCHANT_ADAPTER="sql", MERCHANT_SQL_URL="postgresql+psycopg://u:pw@host:notaport/db",
                              MERCHANT_SQL_BALANCE_QUERY="select currency, amount from b where c = :customer_id",
                              MERCHANT_SQL_INVOICE_QUERY="select status, ctx from i where id = :invoice_id"))
    assert any(p.startswith("MERCHANT_SQL_URL must be a SQLAlchemy database URL") for p in found), found
    assert "pw" not in "\n".join(p for p in found if p.startswith("MERCHANT_SQL_URL"))


def test_merchant_build_is_a_short_label() -> None:
    assert load_settings(external(MERCHANT_BUILD="shop-2026.11.3+abc")).merchant_build == "shop-2026.11.3+abc"
    assert any(p.startswith("MERCHANT_BUILD must be") for p in problems(external(MERCHANT_BUILD="v1; rm -rf /")))


def test_settings_come_in_the_sections_of_env_example() -> None:
    settings = load_settings(external(PAYMENT_COIN="xrp", MERCHANT_BUILD="shop-1", WAIT_TIMEOUT_SECONDS="900"))
    assert settings.cryptopay.api_url == SANDBOX and settings.cryptopay.requests_per_minute == 200
    assert settings.merchant.build == "shop-1" and settings.merchant.probe_token.reveal() == TOKEN
    assert settings.paying.payer == "coin_withdrawal" and settings.paying.coin == "XRP"
    assert settings.waits.wait_timeout == 900.0 and settings.signoff.file.name == "signoff.yml"
    headings = [line for line in (ROOT / ".env.example").read_text(encoding="utf-8").splitlines()
                if line.startswith("# --- ")]
    for words in ("Cryptopay", "merchant", "Paying", "wait", "sign-off"):
        assert any(words.lower() in heading.lower() for heading in headings), (words, headings)


def test_every_key_of_the_suite_starts_with_one_of_its_prefixes() -> None:
    assert all(key.startswith(SUITE_PREFIXES) for key in KNOWN_KEYS)
    assert suite_keys({"PAYMENT_COIN": "XRP", "HOME": "/root", "GO_LIVE_SIGNOFF_FILE": "x"}) == [
        "PAYMENT_COIN", "GO_LIVE_SIGNOFF_FILE"]


def test_the_merchant_declares_its_products_and_amounts() -> None:
    declared = load_settings({}).declared
    assert declared.certify_products == ("invoices", "channels", "payouts")
    assert declared.channel_credited_amount == "net" and declared.payout_amount_field == "charged_amount"
    chosen = load_settings(external(CERTIFY_PRODUCTS=" Payouts, invoices ", CHANNEL_CREDITED_AMOUNT="gross",
                                    PAYOUT_AMOUNT_FIELD="charged_amount_to_send")).declared
    assert chosen.certify_products == ("invoices", "payouts")  # the evidence's order, whatever order was written
    assert chosen.channel_credited_amount == "gross" and chosen.payout_amount_field == "charged_amount_to_send"


def test_every_bad_declaration_is_named_at_once() -> None:
    found = problems(external(CERTIFY_PRODUCTS="invoices,subscriptions", CHANNEL_CREDITED_AMOUNT="fee",
                              PAYOUT_AMOUNT_FIELD="amount", WAIT_TIMEOUT_SECONDS="soon"))
    for key in ("CERTIFY_PRODUCTS", "CHANNEL_CREDITED_AMOUNT", "PAYOUT_AMOUNT_FIELD", "WAIT_TIMEOUT_SECONDS"):
        assert any(p.startswith(f"{key} must") for p in found), (key, found)
    assert any("subscriptions" in p for p in found)
    assert any(p.startswith("CERTIFY_PRODUCTS must") for p in problems(external(CERTIFY_PRODUCTS=" , ")))


def test_a_misspelt_declaration_is_pointed_out() -> None:
    assert "CHANNEL_CREDITED_AMUONT is not a setting of the suite; did you mean CHANNEL_CREDITED_AMOUNT?" in problems(
        external(CHANNEL_CREDITED_AMUONT="net"))
