"""The command line: validate names the file and the field; balance prints its table."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from game_server.__main__ import main
from game_server.content.loader import DEFAULT_SCENARIO_DIR

RIDER = DEFAULT_SCENARIO_DIR / "hangzhou-rider.yaml"


def test_validate_all_scenarios_ok(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate"]) == 0
    out = capsys.readouterr().out
    assert out.count("ok ") >= 4


def test_validate_reports_file_and_field(tmp_path: Path) -> None:
    broken = tmp_path / "hangzhou-rider.yaml"
    text = RIDER.read_text(encoding="utf-8")
    # Point the default job at a job that does not exist.
    broken.write_text(text.replace("job: hz-meituan-rider", "job: no-such-job", 1), "utf-8")
    assert "no-such-job" in broken.read_text(encoding="utf-8"), "the fixture edit must apply"
    result = subprocess.run(
        [sys.executable, "-m", "game_server", "validate", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert str(broken) in result.stderr
    assert "defaults.job" in result.stderr or "no-such-job" in result.stderr


def test_validate_missing_source_names_the_field(tmp_path: Path) -> None:
    shutil.copy(RIDER, tmp_path / RIDER.name)
    target = tmp_path / RIDER.name
    lines = target.read_text(encoding="utf-8").splitlines()
    index = next(i for i, line in enumerate(lines) if line.strip().startswith("source:"))
    del lines[index]
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["validate", str(tmp_path)]) == 1


def test_validate_empty_folder_fails(tmp_path: Path) -> None:
    assert main(["validate", str(tmp_path)]) == 1


def test_balance_prints_a_table(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["balance", "--scenario", "shenzhen-driver", "--lives", "20", "--seed", "3"])
    assert code == 0
    out = capsys.readouterr().out
    for strategy in ("nothing", "medical_only", "residents", "flexible_60", "flexible_100"):
        assert strategy in out


def test_balance_unknown_scenario(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["balance", "--scenario", "nope", "--lives", "1"]) == 2
    assert "hangzhou-rider" in capsys.readouterr().err
