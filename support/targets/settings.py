"""Reads the suite's settings from the environment (.env), validates all of them at once, redacts secrets."""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url

from checklists import PRODUCTS
from reporting.run_info import SANDBOX_HOST, is_loopback
from support.targets.secrets import Secret

PRODUCTION_HOST = "business.cryptopay.me"
# Every host under this domain is Cryptopay's own: never a merchant, never an emulator's control API.
CRYPTOPAY_DOMAIN = "cryptopay.me"
ALLOW_ANY_HOST_KEY = "CERTIFY_ALLOW_NON_SANDBOX_HOST"
# Long and specific on purpose: nobody types this by accident or copies it from a template unread.
ALLOW_ANY_HOST_VALUE = "I-ACCEPT-REAL-MONEY-RISK"
POLICIES = ("do_nothing", "refund", "recalculate")
CONTEXTS = ("underpaid", "overpaid", "paid_late")
PAYERS = ("emulator", "coin_withdrawal", "operator")
ADAPTERS = ("probe", "sql")
TEAMS = ("Support", "Finance", "Fraud", "Transaction Monitoring")
# net: the ChannelPayment's received_amount (after Cryptopay's fee); gross: received_amount + fee.
CHANNEL_CREDITED_AMOUNTS = ("net", "gross")
# The coin-withdrawal field the merchant sends the customer's requested amount in.
PAYOUT_AMOUNT_FIELDS = ("charged_amount", "charged_amount_to_send")
YES, NO = ("yes", "true", "1"), ("no", "false", "0")

DEFAULT_WAIT_TIMEOUT = 20.0
# A person needs time to open a wallet, scan and send; testnet mempools add a minute or two.
DEFAULT_OPERATOR_TIMEOUT = 900.0

KNOWN_KEYS = (
    "CRYPTOPAY_API_URL", "CRYPTOPAY_API_KEY", "CRYPTOPAY_API_SECRET", "CRYPTOPAY_CALLBACK_SECRET",
    "EMULATOR_CONTROL_URL", ALLOW_ANY_HOST_KEY,
    "MERCHANT_ADAPTER", "MERCHANT_PROBE_URL", "MERCHANT_CALLBACK_URL", "MERCHANT_PROBE_TOKEN",
    "MERCHANT_SQL_URL", "MERCHANT_SQL_BALANCE_QUERY", "MERCHANT_SQL_INVOICE_QUERY", "MERCHANT_BUILD",
    "PAYER", "PAYER_WITHDRAWAL_CURRENCY", "OPERATOR_PAYMENT_TIMEOUT_SECONDS", "CERTIFY_ALLOW_OPERATOR_IN_CI",
    *(f"UNRESOLVED_POLICY_{c.upper()}" for c in CONTEXTS), "WAIT_TIMEOUT_SECONDS", "GO_LIVE_SIGNOFF_FILE",
    "CRYPTOPAY_REQUESTS_PER_MINUTE", "PAYMENT_COIN", "CERTIFY_PRODUCTS", "CHANNEL_CREDITED_AMOUNT",
    "PAYOUT_AMOUNT_FIELD")
# Read by other tools that share the same .env (the scripts, the standalone reference merchant): not typos.
OTHER_TOOLS_KEYS = ("CERTIFY_ENV_FILE", "MERCHANT_DATABASE_URL")
# Every key of the suite starts with one of these: the typo check, the tests' clean environments and the offline
# proof all use this one list (suite_keys).
SUITE_PREFIXES = ("CRYPTOPAY_", "MERCHANT_", "EMULATOR_", "UNRESOLVED_POLICY_", "PAYER", "PAYMENT_", "OPERATOR_",
                  "CERTIFY_", "WAIT_TIMEOUT", "GO_LIVE_", "CHANNEL_", "PAYOUT_")
# What a misspelt key still starts with: the prefixes without their underscore (PAYOUTS_AMOUNT_FIELD) and the
# products in their other number (INVOICE_, INVOICES_).
TYPO_PREFIXES = (*(p.rstrip("_") for p in SUITE_PREFIXES), *(p.upper().rstrip("S") for p in PRODUCTS))



_CURRENCY = re.compile(r"^[A-Z0-9]{2,10}$")
_SECONDS = re.compile(r"^[0-9]{1,6}(\.[0-9]{1,3})?$", re.ASCII)
_COUNT = re.compile(r"^[0-9]{1,6}$", re.ASCII)
# Cryptopay's documented limit per API key; the suite spends part of it and leaves the rest to the merchant.
DEFAULT_REQUESTS_PER_MINUTE = 200
# Coins the sandbox takes payments in (API_FACTS §4 networks); each scenario's payment is made in PAYMENT_COIN.
PAYMENT_COINS = ("BTC", "LTC", "BCH", "DOGE", "ETH", "XRP", "XLM", "TRX", "SOL", "ADA", "BNB")
_PRINTABLE_ASCII = re.compile(r"^[\x21-\x7e]{1,512}$")


class ConfigError(Exception):
    """Every problem with the configuration, listed together."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("The go-live suite cannot start; fix these settings (see .env.example):\n"
                         + "\n".join(f"  - {p}" for p in problems))


@dataclass(frozen=True)
class CryptopaySection:
    """--- Cryptopay: the API certified against, its credentials, the control API, the key's request limit."""
    api_url: str | None
    api_key: str | None
    api_secret: Secret
    callback_secret: Secret
    control_url: str | None
    allow_any_host: bool
    requests_per_minute: int


@dataclass(frozen=True)
class MerchantSection:
    """--- The merchant under test: how it is read (probe or SQL), where it takes callbacks, which build it is."""
    adapter: str
    probe_url: str | None
    callback_url: str | None
    probe_token: Secret
    build: str | None
    sql_url: Secret
    sql_balance_query: str | None
    sql_invoice_query: str | None


@dataclass(frozen=True)
class PayerSection:
    """--- Paying invoices: who pays, in which coin, from which currency, and how long a person may take."""
    payer: str
    coin: str
    withdrawal_currency: str | None
    operator_timeout: float


@dataclass(frozen=True)
class WaitsSection:
    """--- What the merchant declared (its unresolved-invoice policy), and how long to wait for a change."""
    unresolved_policy: dict[str, str]
    wait_timeout: float


@dataclass(frozen=True)
class DeclaredSection:
    """--- What the merchant declared: the products it integrates and how it books channel and payout amounts."""
    certify_products: tuple[str, ...]
    channel_credited_amount: str
    payout_amount_field: str


@dataclass(frozen=True)
class SignoffSection:
    """The teams' sign-off file for risk holds (item 14)."""
    file: Path


def _alias(section: str, name: str) -> property:
    """A flat name the rest of the suite reads (settings.merchant_build) for a field of a section."""
    return property(lambda self: getattr(getattr(self, section), name))


@dataclass(frozen=True)
class Settings:
    """The suite's settings in the sections of .env.example; the flat names are what the rest of the suite reads."""

    cryptopay: CryptopaySection
    merchant: MerchantSection
    paying: PayerSection
    waits: WaitsSection
    signoff: SignoffSection
    declared: DeclaredSection

    cryptopay_api_url = _alias("cryptopay", "api_url")
    cryptopay_api_key = _alias("cryptopay", "api_key")
    cryptopay_api_secret = _alias("cryptopay", "api_secret")
    cryptopay_callback_secret = _alias("cryptopay", "callback_secret")
    emulator_control_url = _alias("cryptopay", "control_url")
    allow_any_host = _alias("cryptopay", "allow_any_host")
    requests_per_minute = _alias("cryptopay", "requests_per_minute")
    merchant_adapter = _alias("merchant", "adapter")
    merchant_probe_url = _alias("merchant", "probe_url")
    merchant_callback_url = _alias("merchant", "callback_url")
    merchant_probe_token = _alias("merchant", "probe_token")
    merchant_build = _alias("merchant", "build")
    merchant_sql_url = _alias("merchant", "sql_url")
    merchant_sql_balance_query = _alias("merchant", "sql_balance_query")
    merchant_sql_invoice_query = _alias("merchant", "sql_invoice_query")
    payer = _alias("paying", "payer")
    payment_coin = _alias("paying", "coin")
    payer_withdrawal_currency = _alias("paying", "withdrawal_currency")
    operator_payment_timeout = _alias("paying", "operator_timeout")
    unresolved_policy = _alias("waits", "unresolved_policy")
    wait_timeout = _alias("waits", "wait_timeout")
    signoff_file = _alias("signoff", "file")

    @property
    def embedded_emulator(self) -> bool:
        return self.cryptopay_api_url is None

    @property
    def embedded_merchant(self) -> bool:
        return self.merchant_probe_url is None and self.merchant_adapter == "probe"

    @property
    def has_control(self) -> bool:
        """Whether the emulator's sandbox control API is reachable (embedded, or named for a standalone one)."""
        return self.embedded_emulator or self.emulator_control_url is not None

    @property
    def cryptopay_target(self) -> str:
        """Which Cryptopay this run certifies against, in words for the report."""
        if self.embedded_emulator:
            return "embedded emulator"
        host = urlsplit(self.cryptopay_api_url).hostname
        if host == SANDBOX_HOST:
            return f"Cryptopay sandbox ({self.cryptopay_api_url})"
        if is_loopback(host):
            return f"standalone emulator ({self.cryptopay_api_url})"
        return f"NON-SANDBOX host {self.cryptopay_api_url} (allowed by {ALLOW_ANY_HOST_KEY})"

    def secrets(self) -> list[str]:
        values = [s.reveal() for s in (self.cryptopay_api_secret, self.cryptopay_callback_secret,
                                       self.merchant_probe_token, self.merchant_sql_url) if s]
        password = urlsplit(self.merchant_sql_url.reveal()).password if self.merchant_sql_url else None
        return values + ([password] if password else [])


def suite_keys(env: Mapping[str, str]) -> list[str]:
    """The keys of `env` that configure the suite: what a run that must see only its own settings removes."""
    return [key for key in env if key.startswith(SUITE_PREFIXES)]


def is_cryptopay_host(host: str | None) -> bool:
    """Cryptopay's own hosts however written (case, a trailing dot): production, the sandbox, any other."""
    name = (host or "").lower().rstrip(".")
    return name == CRYPTOPAY_DOMAIN or name.endswith("." + CRYPTOPAY_DOMAIN)


class _Reader:
    """Reads keys from the environment and collects every problem instead of stopping at the first."""

    def __init__(self, env: Mapping[str, str]):
        self.env = env
        self.problems: list[str] = []

    def get(self, key: str) -> str | None:
        return (self.env.get(key) or "").strip() or None

    def url(self, key: str) -> str | None:
        value = self.get(key)
        if value is None:
            return None
        problem = url_problem(value)
        if problem is not None:
            # The value itself is not echoed: a URL may carry credentials.
            self.problems.append(f"{key} must be an http(s) URL such as https://host/path{problem}")
            return None
        return value

    def choice(self, key: str, options: tuple[str, ...], default: str) -> str:
        value = (self.get(key) or default).lower()
        if value not in options:
            self.problems.append(f"{key} must be one of {', '.join(options)} (got {value!r})")
            return default
        return value

    def flag(self, key: str) -> bool:
        value = (self.get(key) or "no").lower()
        if value not in YES + NO:
            self.problems.append(f"{key} must be yes or no (got {value!r})")
        return value in YES

    def seconds(self, key: str, default: float, low: float, high: float) -> float:
        raw = self.get(key)
        if raw is None:
            return default
        # Plain ASCII digits only: float() would also take 1e-9, 1_000, "inf" and non-ASCII digits.
        if not _SECONDS.match(raw) or not low <= float(raw) <= high:
            self.problems.append(f"{key} must be a number of seconds from {low:g} to {high:g}, in plain digits "
                                 f"(got {raw!r})")
            return default
        return float(raw)

    def count(self, key: str, default: int, low: int, high: int) -> int:
        raw = self.get(key)
        if raw is None:
            return default
        if not _COUNT.match(raw) or not low <= int(raw) <= high:
            self.problems.append(f"{key} must be a whole number from {low} to {high}, in plain digits (got {raw!r})")
            return default
        return int(raw)

    def secret(self, key: str) -> Secret:
        """A credential, refused unless it is printable ASCII: headers and HMAC keys cannot carry anything else."""
        value = self.get(key) or ""
        if value and not _PRINTABLE_ASCII.match(value):
            self.problems.append(f"{key} must be printable ASCII without spaces (copy it again from where it was "
                                 "issued; the value is not shown)")
        return Secret(value)

    def require(self, keys: tuple[str, ...], because: str) -> None:
        self.problems += [f"{key} is required {because}" for key in keys if not self.get(key)]

    def typos(self) -> None:
        known = KNOWN_KEYS + OTHER_TOOLS_KEYS
        for key in sorted(self.env):
            if key in known or not self.env.get(key):
                continue
            if key.upper() in known:
                self.problems.append(f"{key} is ignored: settings are upper case, write {key.upper()}")
            elif key.upper().startswith(TYPO_PREFIXES):
                near = difflib.get_close_matches(key.upper(), KNOWN_KEYS, n=1, cutoff=0.8)
                if near:
                    self.problems.append(f"{key} is not a setting of the suite; did you mean {near[0]}?")


def url_problem(value: str) -> str | None:
    """Why a configured URL is refused (words to append, possibly empty), or None when it is fine. The host is decided by the parser the HTTP client uses
    (urllib3's), and must agree with the standard library's: a URL the two read differently is refused."""
    if not value.isascii() or any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in value):
        return ", in plain ASCII without spaces or control characters"
    for char, why in (("\\", "a backslash"), ("@", "'@' (no user:password@ in URLs)"), ("#", "a fragment (#)")):
        if char in value:
            return f", without {why}"
    try:
        parts, seen = urlsplit(value), parse_url(value)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except (ValueError, LocationParseError):
        return ""
    if parts.scheme not in ("http", "https") or not parts.hostname or "%" in parts.netloc:
        return ""
    if (seen.host or "").lower().strip("[]") != parts.hostname or seen.scheme != parts.scheme:
        return ", written plainly (the HTTP client and the standard library read this one differently)"
    return None


def load_settings(env: Mapping[str, str], root: Path = Path(".")) -> Settings:
    """Every section read and validated; all their problems raised together."""
    r = _Reader(env)
    r.typos()
    settings = Settings(cryptopay=_cryptopay(r), merchant=_merchant(r), paying=_paying(r), waits=_waits(r),
                        signoff=_signoff(r, root), declared=_declared(r))
    if r.problems:
        raise ConfigError(list(dict.fromkeys(r.problems)))  # a problem found twice is named once
    return settings


_BUILD = re.compile(r"^[\w.:/+@-]{1,100}$", re.ASCII)


def _merchant_build(r: _Reader) -> str | None:
    """The merchant build the evidence is about (a version or commit): shown in the verdict, compared on merge."""
    build = r.get("MERCHANT_BUILD")
    if build is not None and not _BUILD.match(build):
        r.problems.append("MERCHANT_BUILD must be a version or commit label of up to 100 characters (letters, "
                          "digits and . _ - : / + @), e.g. shop-2026.11.3 or a git commit")
    return build


def _cryptopay(r: _Reader) -> CryptopaySection:
    """--- Cryptopay: the target, the production guard, the credentials and the key's request limit."""
    api_url, control_url = r.url("CRYPTOPAY_API_URL"), r.url("EMULATOR_CONTROL_URL")
    override = r.get(ALLOW_ANY_HOST_KEY)
    if override is not None and override != ALLOW_ANY_HOST_VALUE:
        r.problems.append(f"{ALLOW_ANY_HOST_KEY} is set but not to the exact value that allows a non-sandbox host")
    if r.get("CRYPTOPAY_API_URL") is None:
        if control_url:
            r.problems.append("EMULATOR_CONTROL_URL is set but CRYPTOPAY_API_URL is not: name the standalone "
                              "emulator's api_url too (leave both blank for the embedded emulator)")
    else:
        r.require(("CRYPTOPAY_API_KEY", "CRYPTOPAY_API_SECRET", "CRYPTOPAY_CALLBACK_SECRET"),
                  "when CRYPTOPAY_API_URL is set")
        if api_url is not None:
            _guard_host(r, api_url, control_url, override)
    if control_url is not None:
        _guard_control(r, control_url, override)
    r.secret("CRYPTOPAY_API_KEY")  # validated like a secret (it goes into a header), kept as plain text
    return CryptopaySection(
        api_url=api_url, api_key=r.get("CRYPTOPAY_API_KEY"), api_secret=r.secret("CRYPTOPAY_API_SECRET"),
        callback_secret=r.secret("CRYPTOPAY_CALLBACK_SECRET"), control_url=control_url,
        allow_any_host=override == ALLOW_ANY_HOST_VALUE,
        requests_per_minute=r.count("CRYPTOPAY_REQUESTS_PER_MINUTE", DEFAULT_REQUESTS_PER_MINUTE, 10, 100_000))


def _guard_host(r: _Reader, api_url: str, control_url: str | None, override: str | None) -> None:
    """Only the sandbox (over https, without a control API) or a loopback emulator, unless loudly overridden."""
    parts = urlsplit(api_url)
    host = parts.hostname
    if host == SANDBOX_HOST:
        if parts.scheme != "https":
            r.problems.append(f"CRYPTOPAY_API_URL must use https for {SANDBOX_HOST}")
        if control_url:
            r.problems.append("EMULATOR_CONTROL_URL is set but CRYPTOPAY_API_URL is the real sandbox, which has no "
                              "control API; leave EMULATOR_CONTROL_URL blank")
    elif not is_loopback(host) and override != ALLOW_ANY_HOST_VALUE:
        what = "the PRODUCTION API (real money)" if host == PRODUCTION_HOST else f"host {host!r}"
        r.problems.append(f"CRYPTOPAY_API_URL points at {what}; only {SANDBOX_HOST} or a loopback emulator are "
                          f"allowed (override: {ALLOW_ANY_HOST_KEY}={ALLOW_ANY_HOST_VALUE})")


def _guard_control(r: _Reader, control_url: str, override: str | None) -> None:
    """The control API is an emulator's: on loopback (anywhere else only with the override), never Cryptopay's."""
    host = urlsplit(control_url).hostname
    if is_cryptopay_host(host):
        production = host.lower().rstrip(".") == PRODUCTION_HOST
        what = "the PRODUCTION API (real money)" if production else f"Cryptopay's host {host!r}"
        r.problems.append(f"EMULATOR_CONTROL_URL points at {what}, which has no control API; it names a standalone "
                          "emulator's control_url, e.g. http://127.0.0.1:PORT/_emulator")
    elif not is_loopback(host) and override != ALLOW_ANY_HOST_VALUE:
        r.problems.append(f"EMULATOR_CONTROL_URL points at host {host!r}; only a loopback emulator is allowed "
                          f"(override: {ALLOW_ANY_HOST_KEY}={ALLOW_ANY_HOST_VALUE})")


def _merchant(r: _Reader) -> MerchantSection:
    """--- The merchant under test: embedded, or reached through its probe or its database (SQL adapter)."""
    adapter = r.choice("MERCHANT_ADAPTER", ADAPTERS, "probe")
    probe_url, callback_url = r.url("MERCHANT_PROBE_URL"), r.url("MERCHANT_CALLBACK_URL")
    for key, url in (("MERCHANT_PROBE_URL", probe_url), ("MERCHANT_CALLBACK_URL", callback_url)):
        host = urlsplit(url).hostname if url else None
        if is_cryptopay_host(host):
            # The probe token and signed notifications would go to Cryptopay itself.
            r.problems.append(f"{key} points at Cryptopay's host {host!r}, not at the merchant; name the merchant's "
                              "own staging address")
    if r.get("MERCHANT_PROBE_URL") is not None or adapter == "sql":
        _external_merchant(r, adapter)
    return MerchantSection(
        adapter=adapter, probe_url=probe_url, callback_url=callback_url, probe_token=r.secret("MERCHANT_PROBE_TOKEN"),
        build=_merchant_build(r), sql_url=r.secret("MERCHANT_SQL_URL"),
        sql_balance_query=r.get("MERCHANT_SQL_BALANCE_QUERY"), sql_invoice_query=r.get("MERCHANT_SQL_INVOICE_QUERY"))


def _external_merchant(r: _Reader, adapter: str) -> None:
    """What a merchant the suite does not start needs: its callback URL, a way to read it, a Cryptopay."""
    if adapter == "probe":
        r.require(("MERCHANT_CALLBACK_URL", "MERCHANT_PROBE_TOKEN"), "when MERCHANT_PROBE_URL is set")
    else:
        # The SQL adapter only reads; deposits still start at the merchant, through the probe's POST /deposits.
        r.require(("MERCHANT_CALLBACK_URL", "MERCHANT_SQL_URL", "MERCHANT_SQL_BALANCE_QUERY",
                   "MERCHANT_SQL_INVOICE_QUERY"), "when MERCHANT_ADAPTER=sql")
        r.require(("MERCHANT_PROBE_URL", "MERCHANT_PROBE_TOKEN"), "when MERCHANT_ADAPTER=sql (the deposit URL: the "
                  "SQL adapter only reads, deposits are requested through the probe's POST /deposits)")
        _sql(r)
    if r.get("CRYPTOPAY_API_URL") is None:
        r.problems.append("the merchant is external but CRYPTOPAY_API_URL is not set: an external merchant needs a "
                          "Cryptopay (the sandbox or a standalone emulator) that it is configured against")


def _sql_url_problem(url: str) -> str | None:
    """Why the adapter could not use this URL, read now the way it will be, so a bad URL (and its password) never
    reaches a traceback later; None when it can."""
    if not re.match(r"^[a-z][a-z0-9+]*://", url):
        return ""
    try:
        parsed = make_url(url)
        dialect = parsed.get_dialect()
    except NoSuchModuleError:  # an ArgumentError too: named first
        return f" (SQLAlchemy knows no database driver {parsed.drivername!r})"
    except (ArgumentError, ValueError):
        return ""
    try:
        dialect.import_dbapi()
    except ImportError:
        return f" (the Python package of the driver {parsed.drivername!r} is not installed here)"
    if getattr(dialect, "is_async", False):
        return f" (the driver {parsed.drivername!r} is for asyncio; name a synchronous one)"
    return None


# Words that write, wherever they stand: a data-modifying WITH (PostgreSQL), SELECT ... INTO, FOR UPDATE locks.
_WRITES = re.compile(r"\b(insert|update|delete|merge|upsert|replace\s+into|truncate|drop|alter|create|grant|revoke|"
                     r"copy|into|call|execute|vacuum|reindex|attach|detach|pragma)\b", re.IGNORECASE)
# String literals, quoted names and comments: their words are data, not SQL.
_INERT_SQL = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|--[^\n]*|/\*.*?\*/", re.DOTALL)


def _read_only_problem(query: str) -> str | None:
    """Why a query is not a single read-only SELECT (words to append), or None when it is one."""
    words = _INERT_SQL.sub(" ", query)
    if not re.match(r"^\s*(select|with)\b", words, re.IGNORECASE) or ";" in words.rstrip().rstrip(";"):
        return ""
    writes = _WRITES.search(words)
    return f" (it contains {writes.group(1).upper()})" if writes else None


def _sql(r: _Reader) -> None:
    url = r.get("MERCHANT_SQL_URL")
    problem = _sql_url_problem(url) if url is not None else None
    if problem is not None:
        r.problems.append("MERCHANT_SQL_URL must be a SQLAlchemy database URL such as "
                          f"postgresql+psycopg://user:password@host/db or sqlite:////path/to/file{problem}")
    for key, param in (("MERCHANT_SQL_BALANCE_QUERY", ":customer_id"), ("MERCHANT_SQL_INVOICE_QUERY", ":invoice_id")):
        query = r.get(key)
        if query is None:
            continue
        # The adapter only reads: anything but a SELECT is refused before it reaches the merchant's database.
        if (why := _read_only_problem(query)) is not None:
            r.problems.append(f"{key} must be a single read-only SELECT statement{why}")
        if param not in query:
            r.problems.append(f"{key} must use the bound parameter {param}")


def _paying(r: _Reader) -> PayerSection:
    """--- Paying invoices: the payer, the coin, the withdrawal currency, the operator's time."""
    currency = r.get("PAYER_WITHDRAWAL_CURRENCY")
    if currency is not None and not _CURRENCY.match(currency.upper()):
        r.problems.append("PAYER_WITHDRAWAL_CURRENCY must be a currency code such as BTC or EUR")
    coin = (r.get("PAYMENT_COIN") or "BTC").upper()
    if coin not in PAYMENT_COINS:
        r.problems.append(f"PAYMENT_COIN must be one of {', '.join(PAYMENT_COINS)} (got {r.get('PAYMENT_COIN')!r})")
        coin = "BTC"
    return PayerSection(
        payer=_payer(r), coin=coin, withdrawal_currency=currency.upper() if currency else None,
        operator_timeout=r.seconds("OPERATOR_PAYMENT_TIMEOUT_SECONDS", DEFAULT_OPERATOR_TIMEOUT, 10, 86_400))


def _payer(r: _Reader) -> str:
    """How invoice addresses get paid; the default follows the target (the control API when there is one)."""
    has_control = r.get("CRYPTOPAY_API_URL") is None or r.get("EMULATOR_CONTROL_URL") is not None
    payer = r.choice("PAYER", PAYERS, "emulator" if has_control else "coin_withdrawal")
    allow_in_ci = r.flag("CERTIFY_ALLOW_OPERATOR_IN_CI")
    if payer == "emulator" and not has_control:
        r.problems.append("PAYER=emulator needs the emulator's control API, which this target does not have: set "
                          "EMULATOR_CONTROL_URL (standalone emulator) or PAYER=coin_withdrawal or PAYER=operator")
    if payer in ("coin_withdrawal", "operator") and r.get("CRYPTOPAY_API_URL") is None:
        r.problems.append(f"PAYER={payer} pays a real Cryptopay account's invoices: set CRYPTOPAY_API_URL (the "
                          "embedded emulator is paid with PAYER=emulator)")
    ci = (r.get("CI") or "").lower() in YES
    if payer == "operator" and ci and not allow_in_ci:
        r.problems.append("PAYER=operator waits for a person to send coins, and CI=true says nobody is watching; "
                          "set CERTIFY_ALLOW_OPERATOR_IN_CI=yes if someone is")
    return payer


def _waits(r: _Reader) -> WaitsSection:
    """--- What the merchant declared, and how long to wait."""
    policy = {c: r.choice(f"UNRESOLVED_POLICY_{c.upper()}", POLICIES, "do_nothing") for c in CONTEXTS}
    return WaitsSection(policy, r.seconds("WAIT_TIMEOUT_SECONDS", DEFAULT_WAIT_TIMEOUT, 1, 86_400))


def _signoff(r: _Reader, root: Path) -> SignoffSection:
    """The sign-off file must exist: item 14 reads it."""
    path = root / (r.get("GO_LIVE_SIGNOFF_FILE") or "signoff.yml")
    if not path.is_file():
        r.problems.append(f"GO_LIVE_SIGNOFF_FILE names {path}, which does not exist (item 14 needs the "
                          "teams' sign-off: copy signoff.example.yml)")
    return SignoffSection(path)


def _declared(r: _Reader) -> DeclaredSection:
    """--- What the merchant declared: the products it certifies, the channel amount it credits, the payout field."""
    return DeclaredSection(
        certify_products=_products(r),
        channel_credited_amount=r.choice("CHANNEL_CREDITED_AMOUNT", CHANNEL_CREDITED_AMOUNTS, "net"),
        payout_amount_field=r.choice("PAYOUT_AMOUNT_FIELD", PAYOUT_AMOUNT_FIELDS, "charged_amount"))


def _products(r: _Reader) -> tuple[str, ...]:
    """The products the merchant integrates, in the evidence's order; blank means all three."""
    raw = r.get("CERTIFY_PRODUCTS")
    if raw is None:
        return PRODUCTS
    named = [name.strip().lower() for name in raw.split(",") if name.strip()]
    unknown = [name for name in named if name not in PRODUCTS]
    if unknown or not named:
        r.problems.append(f"CERTIFY_PRODUCTS must list one or more of {', '.join(PRODUCTS)}, separated by commas "
                          f"(got {raw!r})")
        return PRODUCTS
    return tuple(product for product in PRODUCTS if product in named)
