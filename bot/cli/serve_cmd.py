"""`hogo serve`: the web app (API, widget, demo page) on the embedded default."""

from __future__ import annotations

import logging
import os

import typer

from bot import bindings
from bot.services import load_corpus, open_engine, open_store
from bot.settings import Settings


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
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    bindings.check(settings, load_corpus(settings).regulations)  # a mistyped binding fails before indexing
    engine = open_engine(settings)  # builds the index once, before any worker starts
    engine.cache_size = settings.answer_cache
    open_store(settings).close()  # and creates the database tables once
    typer.echo(f"hogo: http://{host}:{port}/ (API /api, widget /widget.js, {workers} worker(s))", err=True)
    if workers == 1:
        uvicorn.run(create_app(settings, engine=engine), host=host, port=port, log_level="warning",
                    proxy_headers=False)
    else:
        del engine
        os.environ.update(worker_environment(settings, workers, os.cpu_count() or 1))
        uvicorn.run("bot.web.app:factory", factory=True, host=host, port=port, workers=workers,
                    log_level="warning", proxy_headers=False)


def worker_environment(settings: Settings, workers: int, cpus: int) -> dict[str, str]:
    """What each of several workers (which read their settings from the environment) must see besides
    the parent's: their share of the cores for the embedder, unless the operator chose a thread count."""
    if settings.encoder_threads:
        return {}
    return {"HOGO_ENCODER_THREADS": str(max(1, cpus // workers))}
