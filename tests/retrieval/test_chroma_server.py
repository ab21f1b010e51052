"""The index on a Chroma server (HOGO_CHROMA_URL), as several servers use it: built once into the server,
then any fresh data dir (another server's) takes the vectors from there instead of embedding the passages."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from corpus.loader import BUNDLED_DIR, Corpus
from retrieval.engine import AskEngine
from tests.chroma_server import close_http, free_port
from tests.test_cli import HOGO

pytestmark = [pytest.mark.slow, pytest.mark.chroma_server]

QUESTION = "USBをなくした。誰に報告？"


def env_for(data_dir: Path, chroma_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOGO_")}
    return {**env, "HOGO_DATA_DIR": str(data_dir), "HOGO_CHROMA_URL": chroma_url}


def run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """`hogo ARGS` as a real process; a fresh data dir embeds its own side tables first, hence the long wait."""
    return subprocess.run([*HOGO, *args], capture_output=True, text=True, env=env, timeout=600)


@pytest.fixture(scope="module")
def on_server(chroma_url, tmp_path_factory) -> Iterator[tuple[AskEngine, Path]]:
    """The bundled corpus indexed into the Chroma server from a fresh data dir (what the server held before,
    if anything, is brought to the corpus); the engine and its data dir."""
    data_dir = tmp_path_factory.mktemp("on-server")
    engine = AskEngine.open(Corpus.load(BUNDLED_DIR), data_dir, chroma_url=chroma_url)
    yield engine, data_dir
    close_http(engine.dense.client)


def test_the_index_is_built_into_the_chroma_server_and_answers(on_server):
    engine, data_dir = on_server
    report = engine.report
    assert report.passages == len(engine.passages) > 150
    assert report.added + report.updated + report.unchanged == report.passages
    assert engine.dense.stored() == {p.key: p.hash for p in engine.passages}
    assert engine.dense.collection.count() == len(engine.passages)
    assert not (data_dir / "chroma").exists(), "the embedded store was used instead of the server"
    answer = engine.ask(QUESTION, ["koriyama-kijun"]).to_dict()
    assert answer["citations"][0]["key"] == "koriyama-kijun:23:1"


def test_hogo_index_and_ask_on_a_fresh_data_dir_take_the_vectors_from_the_server(on_server, chroma_url, tmp_path):
    engine, _ = on_server
    env = env_for(tmp_path / "another-server", chroma_url)
    indexed = run("index", env=env)
    assert indexed.returncode == 0, indexed.stderr
    passages = len(engine.passages)
    assert f"{passages} passages: 0 added, 0 updated, 0 removed, {passages} unchanged" in indexed.stdout, indexed.stdout

    asked = run("ask", QUESTION, "--scope", "koriyama-kijun", "--json", env=env)
    assert asked.returncode == 0, asked.stderr
    answer = json.loads(asked.stdout)
    assert answer["abstained"] is False and answer["citations"][0]["key"] == "koriyama-kijun:23:1"
    assert not (tmp_path / "another-server" / "chroma").exists()  # nothing embedded into a local store
    assert engine.dense.stored() == {p.key: p.hash for p in engine.passages}  # nor changed on the server


def test_a_chroma_server_down_at_start_on_a_fresh_data_dir_is_one_line(tmp_path):
    closed = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    for args in (("ask", QUESTION, "--scope", "koriyama-kijun", "--json"), ("index",)):
        result = run(*args, env=env_for(tmp_path / "fresh", closed))
        assert result.returncode == 2, (args, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
        assert lines[0].startswith("error: ") and closed in lines[0] and "HOGO_CHROMA_URL" in lines[0], lines[0]
        assert result.stdout == ""
