"""`hogo serve`: the web app (API, widget, demo page) on the embedded default."""

from __future__ import annotations

import faulthandler
import os
from pathlib import Path

import typer

from bot import bindings
from bot.logs import configure_logging
from bot.services import check_storage, load_corpus, open_engine, open_store
from bot.settings import Settings

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"  # prometheus-client's multiprocess mode (bot.web.metrics)


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on (0.0.0.0 for all)."),
    port: int = typer.Option(8000, "--port", help="TCP port."),
    workers: int = typer.Option(1, "--workers", min=1, max=64, help="Server processes (one per core)."),
) -> None:
    """Serve the JSON API, the chat widget (/widget.js) and a demo page (/).

    The first start on an empty data dir builds the index before listening.
    Example: hogo serve --port 8000, then open http://127.0.0.1:8000/
    """
    import uvicorn

    from bot.web.app import create_app

    settings = Settings()
    configure_logging(settings)
    faulthandler.enable()  # a fatal signal leaves a trace on stderr, not a silent exit
    check_storage(settings)  # the data dir and the database take writes, or one line says what to fix
    bindings.check(settings, load_corpus(settings).regulations)  # a mistyped binding fails before indexing
    open_store(settings).close()  # so does a database not at this release's revision; an empty one is created
    engine = open_engine(settings)  # builds the index once, before any worker starts
    engine.cache_size = settings.answer_cache
    typer.echo(f"hogo: http://{host}:{port}/ (API /api, widget /widget.js, {workers} worker(s))", err=True)
    # uvicorn's own lines go through hogo's handler (HOGO_LOG_FORMAT); hogo.access replaces its access log
    quiet = {"log_level": "warning", "log_config": None, "access_log": False, "proxy_headers": False}
    if workers == 1:
        uvicorn.run(create_app(settings, engine=engine), host=host, port=port, **quiet)
    else:
        del engine
        os.environ.update(worker_environment(settings, workers, os.cpu_count() or 1))
        os.environ.update(metrics_environment(settings))
        uvicorn.run("bot.web.app:factory", factory=True, host=host, port=port, workers=workers, **quiet)


def metrics_environment(settings: Settings) -> dict[str, str]:
    """Several workers write their metrics to files that a scrape of any of them adds up (prometheus-client's
    multiprocess mode): PROMETHEUS_MULTIPROC_DIR, the operator's or <data dir>/metrics, emptied at start."""
    folder = Path(os.environ.get(MULTIPROC_ENV) or settings.data_dir / "metrics")
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.db"):  # the values of the workers of a previous start
        old.unlink()
    return {MULTIPROC_ENV: str(folder)}


def worker_environment(settings: Settings, workers: int, cpus: int) -> dict[str, str]:
    """What each of several workers (which read their settings from the environment) must see besides
    the parent's: their share of the cores for the embedder, unless the operator chose a thread count."""
    if settings.encoder_threads:
        return {}
    return {"HOGO_ENCODER_THREADS": str(max(1, cpus // workers))}
