"""``motcua drill check`` and ``run`` errors: each names the field or the option and the rule, in
Vietnamese then English, and a run that cannot start writes nothing into the report folder."""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from motcua.drill.server import free_port

SCENARIO = """\
name: hai-don-vi
date: "2025-06-25"
window: {start: "14:00", end: "15:00"}
compression: 60
groups:
  - units: %s
    procedures: [{code: "2.000635", per_hour: 2}]
"""


def scenario_file(tmp_path: Path, units: str = "[23575, 21583]") -> str:
    path = tmp_path / "hai-don-vi.yaml"
    path.write_text(SCENARIO % units, encoding="utf-8")
    return str(path)


def tokens_file(tmp_path: Path) -> str:
    path = tmp_path / "tokens.json"
    path.write_text(json.dumps({"admin": "x", "units": {}}), encoding="utf-8")
    return str(path)


def error_of(*args: str) -> str:
    with pytest.raises(CommandError) as caught:
        call_command("drill", *args)
    return str(caught.value)


def test_check_names_a_ward_outside_the_province_in_both_languages(tmp_path: Path) -> None:
    text = error_of("check", scenario_file(tmp_path, "[23575, 99999]"))
    vi, en = text.split("\n")[1], text.split("\n")[3]
    assert vi.startswith("  groups[0].units[1]: “groups[0].units[1]”: 99999 không phải mã")
    assert vi.endswith("[unknown_ward]")
    assert en.startswith("  groups[0].units[1]: “groups[0].units[1]”: 99999 is not the code")
    assert text.split("\n")[0] == "Dữ liệu không hợp lệ. [invalid]"


RANGE = ("phải lớn hơn 0 và không quá 3600.", "must be greater than 0 and at most 3600.", "range")
NUMBER = ("phải là một số, vd. 12 hoặc 1.5.", "must be a number, e.g. 12 or 1.5.", "number")


@pytest.mark.parametrize(
    ("factor", "rule"),
    [("0", RANGE), ("-2", RANGE), ("3601", RANGE), ("abc", NUMBER), ("12x", NUMBER)],
)
def test_a_bad_factor_is_refused_before_anything_runs(
    tmp_path: Path, factor: str, rule: tuple[str, str, str]
) -> None:
    out = tmp_path / "reports"
    text = error_of("run", scenario_file(tmp_path), "--out", str(out), f"--factor={factor}")
    vi, en, code = rule
    assert text.split("\n") == [
        f"--factor: “--factor” {vi} [{code}]",
        f"--factor: “--factor” {en} [{code}]",
    ]
    assert not out.exists()


def test_a_missing_tokens_file_names_the_option(tmp_path: Path) -> None:
    text = error_of(
        "run", scenario_file(tmp_path), "--target", "http://127.0.0.1:9",
        "--tokens", str(tmp_path / "none.json"),
    )  # fmt: skip
    assert text.startswith("--tokens: Không đọc được tệp khóa")
    assert "[unreadable]" in text and "\n--tokens: Cannot read the key file" in text


def test_a_closed_target_port_names_the_option_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "reports"
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    text = error_of(
        "run", scenario_file(tmp_path), "--target", url, "--tokens", tokens_file(tmp_path),
        "--out", str(out), "--no-progress",
    )  # fmt: skip
    assert text.split("\n") == [
        f"--target: Không kết nối được tới máy chủ đích {url} (--target): ConnectError. "
        "[unreachable]",
        f"--target: Cannot connect to the target server {url} (--target): ConnectError. "
        "[unreachable]",
    ]
    assert not out.exists()


class FailingServer:
    """A drill server whose target refuses connections: the run fails before it starts."""

    stopped_with: list[Path | None] = []

    def __init__(self, **_: Any) -> None:
        self.url = f"http://127.0.0.1:{free_port()}"
        self.tokens = {"admin": "x", "units": {}}

    def start(self) -> None:
        return None

    def stop(self, *, logs_to: Path | None = None) -> None:
        if logs_to is not None:
            logs_to.mkdir(parents=True, exist_ok=True)
            (logs_to / "server.log").write_text("failed run\n", encoding="utf-8")
        self.stopped_with.append(logs_to)


def test_a_failed_run_keeps_an_earlier_reports_logs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from motcua.drill import server

    out = tmp_path / "reports"
    earlier = out / "hai-don-vi" / "logs" / "server.log"
    earlier.parent.mkdir(parents=True)
    earlier.write_text("good run\n", encoding="utf-8")
    monkeypatch.setattr(server, "DrillServer", FailingServer)
    FailingServer.stopped_with = []
    text = error_of("run", scenario_file(tmp_path), "--out", str(out), "--no-progress")
    assert "[not_started]" in text.split("\n")[0] and "ConnectError" in text
    [kept] = FailingServer.stopped_with
    assert kept is not None and out not in kept.parents
    assert f"Nhật ký máy chủ diễn tập: {kept}" in text
    assert earlier.read_text(encoding="utf-8") == "good run\n"
    assert sorted(p.name for p in (out / "hai-don-vi").rglob("*")) == ["logs", "server.log"]
    (kept / "server.log").unlink()
    kept.rmdir()


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _gone(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="utf-8")
    except FileNotFoundError:
        return True
    return "\nState:\tZ" in status


def test_sigterm_stops_the_drill_and_every_process_of_its_own_server(tmp_path: Path) -> None:
    """A drill stopped by SIGTERM (an operator's ``kill``, a service manager) takes its web
    server, payment gateway, task worker and portal stand-in down with it, says so in both
    languages and writes no report."""
    out = tmp_path / "reports"
    runner = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "motcua.cli", "drill", "run", scenario_file(tmp_path),
         "--out", str(out), "--no-progress"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert runner.stderr is not None
    seen: list[str] = []
    for line in runner.stderr:
        seen.append(line)
        if "drill.server_started" in line:
            break
    else:
        pytest.fail("the drill's server did not start:\n" + "".join(seen[-20:]))
    started = " ".join(seen)
    pids = [int(pid) for pid in re.findall(r"drill\.(?:worker|portal)_started pid=(\d+)", started)]
    ports = [int(port) for port in re.findall(r"(?:port|gateway|portal)=(\d+)", seen[-1])]
    assert len(pids) == 2 and len(ports) == 3
    assert all(_listening(port) for port in ports)

    time.sleep(3)  # the virtual citizens and officers at work, as when an operator stops it
    runner.send_signal(signal.SIGTERM)
    _, rest = runner.communicate(timeout=60)

    assert runner.returncode == 130
    assert "Diễn tập bị dừng giữa chừng: máy chủ của nó đã tắt, không có báo cáo." in rest
    assert "The drill was stopped part-way: its server has been shut down" in rest
    assert "ERROR" not in rest and "Traceback" not in rest, rest[-2000:]
    assert not any(_listening(port) for port in ports)
    assert all(_gone(pid) for pid in pids)
    assert not (out / "hai-don-vi" / "report.html").exists()


def test_a_report_language_other_than_vi_or_en_is_refused(tmp_path: Path) -> None:
    text = error_of("run", scenario_file(tmp_path), "--language", "fr", "--out", str(tmp_path))
    assert text.split("\n") == [
        "--language: “--language” phải là vi hoặc en. [choice]",
        "--language: “--language” must be vi or en. [choice]",
    ]
