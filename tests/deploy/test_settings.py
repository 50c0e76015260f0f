"""The settings tree: docs/configuration.md's table is generated from it; every field is
described; the README's short table names only real settings."""

from __future__ import annotations

import subprocess
import sys

import pytest
from pydantic import BaseModel, ValidationError

from service import config_table
from service.settings import RateLimitSettings, Settings

from .support import ROOT


def _leaves(model: type[BaseModel]) -> list[tuple[str, object]]:
    out: list[tuple[str, object]] = []
    for name, field in model.model_fields.items():
        ann = field.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            out += [(f"{name}.{n}", f) for n, f in _leaves(ann)]
        else:
            out.append((name, field))
    return out


def test_configuration_table_matches_the_settings_tree() -> None:
    doc = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    table = config_table.table_in(doc)
    assert table is not None, "docs/configuration.md lacks the config-table markers"
    assert table == config_table.markdown(), (
        "docs/configuration.md's table is stale: run `python -m service.config_table --write`"
    )


# Variables the docs name that are not settings: the settings file's name, and the
# docker compose file's own (docs/deployment.md).
NOT_SETTINGS = {
    "NEWSQA_SETTINGS_FILE",
    "NEWSQA_CORPUS",
    "NEWSQA_KEYS_DIR",
    "NEWSQA_PUBLISH_HOST",
    "NEWSQA_PORT",
}


def test_every_variable_the_docs_name_is_a_setting() -> None:
    """README.md's short table and the docs are written by hand: a renamed setting must
    not survive there."""
    import re

    known = config_table.env_vars() | NOT_SETTINGS
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        named = set(re.findall(r"NEWSQA_[A-Z0-9_]*[A-Z0-9]", doc.read_text(encoding="utf-8")))
        assert named <= known, f"{doc.name} names unknown settings: {sorted(named - known)}"


def test_check_mode_fails_on_a_stale_table(tmp_path) -> None:
    stale = tmp_path / "configuration.md"
    stale.write_text(
        "# x\n\n" + config_table.refreshed("", config_table.markdown()).replace("`8000`", "`9999`")
    )
    cmd = [sys.executable, "-m", "service.config_table", "--check", "--file", str(stale)]
    assert subprocess.run(cmd, cwd=ROOT, capture_output=True).returncode == 1
    write = [sys.executable, "-m", "service.config_table", "--write", "--file", str(stale)]
    subprocess.run(write, cwd=ROOT, check=True)
    assert subprocess.run(cmd, cwd=ROOT, capture_output=True).returncode == 0
    assert stale.read_text().startswith("# x\n"), "--write must keep the rest of the file"
    assert stale.read_text().count(config_table.START) == 1


def test_every_setting_is_described_and_in_the_table() -> None:
    envs = config_table.env_vars()
    for dotted, field in _leaves(Settings):
        assert getattr(field, "description", None), f"{dotted} has no description"
        env = "NEWSQA_" + dotted.upper().replace(".", "__")
        assert env in envs


def test_env_vars_in_the_table_are_read_by_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSQA_CHROMA__MODE", "http")
    monkeypatch.setenv("NEWSQA_CHROMA__PORT", "8123")
    monkeypatch.setenv("NEWSQA_RATE_LIMIT__ASK", "5/minute")
    monkeypatch.setenv("NEWSQA_AUTH__READ_KEYS", '["k1", "k2"]')
    monkeypatch.setenv("NEWSQA_OBSERVABILITY__LOG_QUESTIONS", "true")
    s = Settings()
    assert (s.chroma.mode, s.chroma.port, s.rate_limit.ask) == ("http", 8123, "5/minute")
    assert [k.get_secret_value() for k in s.auth.read_keys] == ["k1", "k2"]
    assert s.observability.log_questions is True


def test_secrets_are_not_shown_in_the_table_or_the_settings_repr() -> None:
    s = Settings.model_validate(
        {"auth": {"admin_keys": ["hunter2-admin-key"]}, "llm": {"api_key": "sk-secret-123"}}
    )
    assert "hunter2-admin-key" not in repr(s) and "sk-secret-123" not in repr(s)
    assert "hunter2-admin-key" not in s.model_dump_json()
    rows = {env: default for env, _, default, _ in config_table.rows()}
    assert rows["NEWSQA_RATE_LIMIT__STORAGE_URI"] == "(secret)"
    assert config_table.type_name(Settings.model_fields["llm"].annotation) == "LLMSettings"


def test_malformed_rate_limit_is_refused_at_start_up() -> None:
    with pytest.raises(ValidationError):
        RateLimitSettings.model_validate({"ask": "lots per minute"})


def test_workers_zero_means_one_per_usable_core(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    from service.__main__ import worker_count

    assert worker_count(Settings()) == 1  # tests and embedders of the app: one process
    monkeypatch.setenv("NEWSQA_SERVER__WORKERS", "0")
    assert worker_count(Settings()) == len(os.sched_getaffinity(0))
    monkeypatch.setenv("NEWSQA_SERVER__WORKERS", "3")
    assert worker_count(Settings()) == 3


def test_workers_share_the_cores_for_blas(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each worker's numpy gets cores // workers BLAS threads (at least one), read by the
    worker processes from the environment; a value set by the operator is kept."""
    import os
    import subprocess
    import sys

    from service.__main__ import share_blas_threads

    cores = len(os.sched_getaffinity(0))
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    share_blas_threads(cores)
    assert os.environ["OPENBLAS_NUM_THREADS"] == "1"
    # what a worker process started with this environment runs with
    probe = "import threadpoolctl, numpy; print(threadpoolctl.threadpool_info()[0]['num_threads'])"
    got = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert got.stdout.strip() == "1"
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "7")
    share_blas_threads(cores)
    assert os.environ["OPENBLAS_NUM_THREADS"] == "7"


def test_int8_needs_the_onnx_backend() -> None:
    from service.components.embeddings import make_embedder

    settings = Settings(embedding={"backend": "torch", "precision": "int8"})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="backend=onnx"):
        make_embedder(settings.embedding, settings.llm)


def test_the_readme_short_table_gives_the_real_defaults() -> None:
    """README.md's hand-written table of the most used settings: each default as the
    generated table (docs/configuration.md) gives it."""
    defaults = {env: default for env, _, default, _ in config_table.rows()}
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = [line.split(" | ") for line in readme.splitlines() if line.startswith("| `NEWSQA_")]
    assert len(rows) >= 10
    for cells in rows:
        env = cells[0].removeprefix("| ").strip("`")
        assert cells[1] == defaults[env], f"README.md: {env} default {cells[1]}"
