"""One settings object for the whole process, read from ``SUPPORTLINE_*`` variables and ``.env``.

Nothing else in the code base reads ``os.environ``; everything goes through :func:`get_settings`.
"""

from __future__ import annotations

import hashlib
import ipaddress
import secrets
from collections.abc import Callable
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.fernet import Fernet
from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRETS = frozenset({"", "change-me", "changeme", "secret", "dev", "development"})


class Environment(StrEnum):
    development = "development"
    test = "test"
    production = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SUPPORTLINE_", env_file=".env", extra="ignore", frozen=True
    )

    environment: Environment = Environment.development
    data_dir: Path = Path(".supportline")
    database_url: str = ""
    # libpq's own variable, without our prefix: server options for every PostgreSQL connection.
    # The relaxed connections (core.database) add theirs to these instead of replacing them.
    postgres_options: str = Field(default="", validation_alias="PGOPTIONS")
    public_base_url: str = "http://127.0.0.1:8000"
    secret_key: SecretStr = SecretStr("")
    # The key before the last change of SECRET_KEY, for `supportline pii reindex` only.
    previous_secret_key: SecretStr = SecretStr("")
    pii_keys: SecretStr = SecretStr("")

    twilio_account_sid: str = ""
    twilio_auth_token: SecretStr = SecretStr("")
    # While the auth token is rotated: the token before, still accepted on webhooks only.
    twilio_previous_auth_token: SecretStr = SecretStr("")
    twilio_api_url: str | None = None

    smtp_host: str = ""
    smtp_port: int = 587
    smtp_username: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_starttls: bool = True
    mail_from: str = "supportline@example.org"

    # argon2id cost; OWASP's recommendation by default, cheaper values for unit tests only.
    argon2_memory_cost: int = Field(default=19456, ge=8)
    argon2_time_cost: int = Field(default=2, ge=1)
    argon2_parallelism: int = Field(default=1, ge=1)
    # How many nice levels below the request threads the hashing threads run (Linux; 0: same).
    hashing_niceness: int = Field(default=10, ge=0, le=19)

    token_ttl_minutes: int = Field(default=60, ge=1)
    login_max_failures: int = Field(default=5, ge=1)
    login_failure_window_minutes: int = Field(default=15, ge=1)
    # One address trying many accounts (or one office behind one address mistyping): higher.
    login_max_failures_per_client: int = Field(default=20, ge=1)

    meetings_weeks_ahead: int = Field(default=8, ge=1, le=52)
    participant_number_length: int = Field(default=9, ge=8, le=15)
    pin_length: int = Field(default=6, ge=4, le=12)

    # How long a request waits for another writer on SQLite before it is answered "busy": under
    # Twilio's 15-second webhook timeout (core/outage.py).
    database_busy_seconds: int = Field(default=8, ge=1, le=12)
    # PostgreSQL connections per pool: each web process has two pools (the call's relaxed one and
    # the rest) and keeps 8 more for the webhooks; the worker one pool. README says how to count.
    database_pool_size: int = Field(default=5, ge=1, le=100)
    database_max_overflow: int = Field(default=5, ge=0, le=100)

    # The dial-in call (conference/): brute-force limits, the dial-in window, the moderator grace.
    pin_tries_per_call: int = Field(default=3, ge=1, le=10)
    lockout_failures: int = Field(default=5, ge=1)
    lockout_window_minutes: int = Field(default=30, ge=1)
    lockout_minutes: int = Field(default=30, ge=1)
    caller_throttle_failures: int = Field(default=10, ge=1)
    dial_in_opens_minutes_before: int = Field(default=10, ge=0, le=60)
    moderator_grace_minutes: int = Field(default=5, ge=0, le=60)
    extension_minutes: int = Field(default=15, ge=1, le=60)
    # Twilio hangs a call up after 4 hours unless the account enables 24-hour calls
    # (https://www.twilio.com/docs/voice/api/call-resource, TimeLimit).
    max_call_hours: int = Field(default=4, ge=1, le=24)
    # Twilio's own hold music (its bucket name has dots, so only plain http matches the host).
    wait_music_url: str = "http://com.twilio.music.classical.s3.amazonaws.com/BusyStrings.mp3"

    organisation_name: str = "supportline"
    help_contact: str = "Please call the helpline during opening hours."

    # Outgoing messages (the outbox): retries, leases and the scheduler's rhythm.
    outbox_max_attempts: int = Field(default=6, ge=1, le=20)
    outbox_retry_base_seconds: int = Field(default=30, ge=1)
    outbox_retry_max_seconds: int = Field(default=3600, ge=1)
    outbox_batch_size: int = Field(default=50, ge=1, le=1000)
    # A claimed row whose dispatcher vanished goes back to the queue after this long.
    outbox_claim_lease_seconds: int = Field(default=120, ge=5)
    # An SMS whose outcome is unknown (crash or read timeout while sending) waits this long for
    # Twilio's status callback before it is sent again; see docs/delivery.md, the in-doubt rule.
    outbox_in_doubt_seconds: int = Field(default=600, ge=5)
    # How many messages of a claimed batch are with the provider at once (a thread and a Twilio
    # client each): the provider works on some while our side prepares or reads others.
    outbox_send_concurrency: int = Field(default=4, ge=1, le=32)
    scheduler_dispatch_seconds: int = Field(default=15, ge=1)
    scheduler_reminder_seconds: int = Field(default=60, ge=1)
    # Helpline duty reminders: the evening before a shift at this local time, and hours before.
    duty_reminder_evening: str = Field(default="18:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    duty_reminder_hours_before: int = Field(default=2, ge=1, le=12)
    scheduler_plan_minutes: int = Field(default=60, ge=1)
    # The meeting lifecycle (announcements, the end) should land within seconds of its instant.
    scheduler_conference_seconds: int = Field(default=5, ge=1)
    # Retention (supportline.retention, docs/data-protection.md): how long personal data is kept
    # once it is no longer needed. Zero or less would destroy data the moment it is written.
    retention_referral_days: int = Field(default=30, gt=0)  # rejected referrals' contact data
    retention_ejected_days: int = Field(default=90, gt=0)  # ejected members' contact data
    retention_call_days: int = Field(default=30, gt=0)  # a call's caller HMAC and Twilio id
    retention_security_days: int = Field(default=90, gt=0)  # PIN and login failures, events
    retention_outbox_days: int = Field(default=90, gt=0)  # messages after they are final
    retention_audit_years: int = Field(default=5, gt=0)  # the audit log
    retention_helpline_caller_days: int = Field(default=90, gt=0)  # a helpline call's caller HMAC
    retention_helpline_call_days: int = Field(default=365, gt=0)  # the helpline's call log
    retention_batch_size: int = Field(default=500, gt=0, le=10000)  # rows per transaction
    scheduler_retention_hours: int = Field(default=24, gt=0)
    # Extra SMS keywords (comma-separated, any case) on top of the standard English ones.
    sms_stop_keywords: str = "KONIEC,STOPSMS,WYPISZ,עצור,הסר,הפסק"
    sms_start_keywords: str = "WZNOW,WZNÓW,התחל,חדש"
    sms_help_keywords: str = "POMOC,עזרה"
    # What a helpline volunteer may reply by SMS (comma-separated, any case; the first word of
    # the reply counts): checking in at the start of a shift, giving a seat up, taking a cover.
    helpline_checkin_words: str = "OK,HERE,JESTEM,כאן"
    helpline_decline_words: str = "NO,NIE,לא"
    helpline_accept_words: str = "YES,TAK,כן"
    # A volunteer may check in this many minutes before their shift starts.
    helpline_checkin_early_minutes: int = Field(default=30, ge=0, le=180)

    @field_validator("public_base_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @model_validator(mode="after")
    def _refuse_placeholders_in_production(self) -> Settings:
        problems = self.production_problems() if self.environment is Environment.production else []
        if problems:
            raise ValueError("\n".join(problems))  # one line each, naming the setting
        return self

    def production_problems(self) -> list[str]:
        """What would make a production server fail its callers, one sentence each; never a
        value of any setting."""
        problems = []
        if self.secret_key.get_secret_value().strip().lower() in PLACEHOLDER_SECRETS:
            problems.append("SUPPORTLINE_SECRET_KEY: set it to a real secret in production")
        if not self.pii_keys.get_secret_value().strip():
            problems.append("SUPPORTLINE_PII_KEYS: set it in production")
        if not self.database_url:
            problems.append("SUPPORTLINE_DATABASE_URL: set it in production")
        problems += public_url_problems(self.public_base_url)
        if not self.twilio_configured:
            problems.append(
                "SUPPORTLINE_TWILIO_ACCOUNT_SID, SUPPORTLINE_TWILIO_AUTH_TOKEN: set both in "
                "production; without the token every call's signature is refused"
            )
        return problems

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'supportline.db').resolve()}"

    @property
    def effective_secret_key(self) -> bytes:
        value = self.secret_key.get_secret_value()
        if value:
            return value.encode()
        return _development_file(self.data_dir / "secret.key", lambda: secrets.token_hex(32))

    @property
    def effective_pii_keys(self) -> list[bytes]:
        value = self.pii_keys.get_secret_value()
        if value.strip():
            return [key.strip().encode() for key in value.split(",") if key.strip()]
        return [
            _development_file(self.data_dir / "pii.key", lambda: Fernet.generate_key().decode())
        ]

    @property
    def twilio_configured(self) -> bool:
        return bool(self.twilio_account_sid and self.twilio_auth_token.get_secret_value())

    @property
    def smtp_configured(self) -> bool:
        return bool(self.smtp_host)

    @property
    def webhook_auth_token(self) -> str:
        """The token Twilio signs webhooks with.

        Without a Twilio account (development) the server still validates every webhook, against
        a key derived from the secret key (the tests sign with it). The demo gives the server an
        account on the Twilio emulator instead, whose token signs its webhooks.
        """
        token = self.twilio_auth_token.get_secret_value()
        if token:
            return token
        return hashlib.sha256(b"twilio-webhook:" + self.effective_secret_key).hexdigest()[:32]

    @property
    def webhook_auth_tokens(self) -> tuple[str, ...]:
        """Every token a webhook's signature may be made with: the auth token, and during a
        rotation the previous one (Twilio signs with the primary token, and requests already
        on their way were signed before the switch). REST requests use the auth token alone."""
        previous = self.twilio_previous_auth_token.get_secret_value()
        return (self.webhook_auth_token, previous) if previous else (self.webhook_auth_token,)


def public_url_problems(url: str) -> list[str]:
    """Twilio signs each webhook over the URL it was given, and the server checks the signature
    against URLs rebuilt from ``PUBLIC_BASE_URL``: it must be the https address Twilio reaches
    (https://www.twilio.com/docs/usage/security)."""
    parts = urlsplit(url)
    name = "SUPPORTLINE_PUBLIC_BASE_URL"
    if parts.scheme != "https" or not parts.hostname:
        return [f"{name}: give the https address Twilio reaches, such as https://line.example.org"]
    host = parts.hostname
    if host == "localhost" or host.endswith(".localhost") or _is_loopback(host):
        return [f"{name}: a loopback address; Twilio cannot reach it in production"]
    return []


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def settings_problems(error: ValidationError) -> list[str]:
    """Invalid settings as one line per problem, naming the environment variable and never a
    value (pydantic's own text repeats every setting's input, secrets included)."""
    lines = []
    for item in error.errors(include_url=False, include_input=False, include_context=False):
        message = str(item["msg"]).removeprefix("Value error, ")
        if not item["loc"]:
            lines += message.splitlines()
            continue
        field = str(item["loc"][0])
        info = Settings.model_fields.get(field)
        name = info.alias if info is not None and info.alias else f"SUPPORTLINE_{field.upper()}"
        lines.append(f"{name}: {message[:1].lower()}{message[1:]}")
    return lines


def _development_file(path: Path, make: Callable[[], str]) -> bytes:
    """Read a development key file, creating it (mode 600) on first use."""
    if path.exists():
        return path.read_bytes().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = make().encode()
    path.touch(mode=0o600)
    path.write_bytes(value)
    return value


_chosen: list[Settings] = []  # what use_settings() chose, if anything


def use_settings(settings: Settings | None) -> None:
    """Make ``settings`` what :func:`get_settings` returns, instead of reading the environment
    (``None``: read it again). For code that builds its configuration as an object: the tests."""
    _chosen[:] = [settings] if settings is not None else []
    get_settings.cache_clear()


@lru_cache
def get_settings() -> Settings:
    return _chosen[0] if _chosen else Settings()
