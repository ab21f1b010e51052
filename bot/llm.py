"""Chat models for generative answers, found by the string id in HOGO_LLM through a small registry.

``openai:MODEL`` is any OpenAI-compatible endpoint (HOGO_LLM_BASE_URL, e.g. one the city hosts or reaches
over LGWAN); ``module.path:ClassName`` is any other LangChain chat model, built with HOGO_LLM_OPTIONS as
keyword arguments. Tests register fakes with ``register_chat_model`` and select them the same way.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr, ValidationError

from bot.settings import Settings
from corpus.errors import HogoError

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from retrieval.generate import GenerativeComposer

ChatModelFactory = Callable[[str, Settings], "BaseChatModel"]  # (model id after the colon, settings) -> model
_FACTORIES: dict[str, ChatModelFactory] = {}


class LLMConfigError(HogoError):
    """HOGO_LLM names a model that cannot be built here."""

    code = "llm_config"
    exit_code = 2
    http_status = 500
    default_ja = "生成AIの設定に問題があります。システム管理者に連絡してください。"


def register_chat_model(name: str, factory: ChatModelFactory) -> None:
    """Make ``HOGO_LLM=name:MODEL`` build its model with ``factory(MODEL, settings)``."""
    _FACTORIES[name] = factory


def chat_model(settings: Settings) -> BaseChatModel:
    """The chat model HOGO_LLM names (a registered prefix first, then ``module.path:ClassName``)."""
    spec = settings.llm or ""
    prefix, _, rest = spec.partition(":")
    if not prefix or not rest:
        raise LLMConfigError(f"HOGO_LLM={spec!r}: expected 'openai:MODEL' or 'module.path:ClassName'")
    factory = _FACTORIES.get(prefix)
    if factory is not None:
        return factory(rest, settings)
    return _imported(prefix, rest, settings)


def open_composer(settings: Settings) -> GenerativeComposer | None:
    """The generative composer HOGO_LLM asks for, or None when generative answers are off."""
    if not settings.llm:
        return None
    from retrieval.generate import GenerativeComposer

    return GenerativeComposer(chat_model(settings), timeout=settings.llm_timeout)


def _openai(model: str, settings: Settings) -> BaseChatModel:
    try:
        from langchain_openai import ChatOpenAI
    except ImportError as exc:
        raise LLMConfigError("HOGO_LLM=openai:… needs langchain-openai: pip install -e '.[llm]'") from exc
    api_key = settings.llm_api_key
    if api_key is None and settings.llm_base_url:
        api_key = SecretStr("unused")  # endpoints inside the city's network often take no key
    kwargs: dict[str, Any] = {"model": model, "base_url": settings.llm_base_url, "api_key": api_key,
                              "timeout": settings.llm_timeout, "max_retries": 0, **settings.llm_options}
    return _build(ChatOpenAI, kwargs)


def _imported(module: str, name: str, settings: Settings) -> BaseChatModel:
    from langchain_core.language_models import BaseChatModel

    try:
        cls = getattr(importlib.import_module(module), name)
    except ImportError as exc:
        raise LLMConfigError(f"HOGO_LLM: cannot import {module} ({exc}); install the package that provides it, "
                             "or use openai:MODEL") from exc
    except AttributeError as exc:
        raise LLMConfigError(f"HOGO_LLM: {module} has no {name}") from exc
    if not (isinstance(cls, type) and issubclass(cls, BaseChatModel)):
        raise LLMConfigError(f"HOGO_LLM: {module}:{name} is not a LangChain chat model")
    return _build(cls, dict(settings.llm_options))


def _build(cls: type[BaseChatModel], kwargs: dict[str, Any]) -> BaseChatModel:
    try:
        return cls(**kwargs)
    except ValidationError as exc:  # name the fields only: values may be secrets
        fields = ", ".join(".".join(str(p) for p in e["loc"]) or "?" for e in exc.errors())
        raise LLMConfigError(f"HOGO_LLM_OPTIONS do not fit {cls.__name__}: check {fields}") from exc
    except Exception as exc:
        raise LLMConfigError(f"cannot build {cls.__name__} for HOGO_LLM: {type(exc).__name__}") from exc


register_chat_model("openai", _openai)
