"""Docs that run: the README tour executes as written, and docs/data.md covers every column."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from critmat.data.schemas import SPECS

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
TOUR = README.split("## Five-minute tour", 1)[1].split("## Documentation", 1)[0]


def blocks(text: str, lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", text, flags=re.S)


def critmat_commands(block: str) -> list[list[str]] | None:
    """The block's commands as argument lists when every line is a plain ``critmat ...`` call
    (no pipes, redirections, variables or other programs), else None."""
    cmds = []
    for line in block.splitlines():
        text = re.sub(r"\s+#.*$", "", line).strip()
        if not text:
            continue
        if not text.startswith("critmat ") or re.search(r"[|<>;&$`\\]", text):
            return None
        cmds.append(shlex.split(text)[1:])
    return cmds


@pytest.mark.slow
@pytest.mark.parametrize("block", blocks(TOUR, "sh"))
def test_readme_shell_blocks_run(
    block: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Blocks of plain critmat commands run in-process, in order, in a fresh folder (the same
    command line, the same exit status); a block with other programs or shell syntax runs in
    bash."""
    cmds = critmat_commands(block)
    if cmds is not None:
        from typer.testing import CliRunner

        from critmat.cli.main import app

        monkeypatch.chdir(tmp_path)
        for args in cmds:
            r = CliRunner().invoke(app, args)
            assert r.exit_code == 0, (args, r.stdout[-2000:], r.stderr[-2000:], r.exception)
        return
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    env.pop("CRITMAT_DATA", None)
    script = "set -euo pipefail\n" + re.sub(r"\s+#.*$", "", block, flags=re.M)
    r = subprocess.run(
        ["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, check=False
    )
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]


@pytest.mark.parametrize("block", blocks(README, "python"))
def test_readme_python_blocks_run(block: str) -> None:
    exec(compile(block, "README.md", "exec"), {})


API = (ROOT / "docs" / "python-api.md").read_text()


@pytest.mark.slow
@pytest.mark.parametrize("block", blocks(API, "python"))
def test_python_api_doc_blocks_run(block: str) -> None:
    exec(compile(block, "docs/python-api.md", "exec"), {})


def test_data_doc_lists_every_table_and_column() -> None:
    doc = (ROOT / "docs" / "data.md").read_text()
    for name, spec in SPECS.items():
        section = doc.split(f"### `{name}`", 1)
        assert len(section) == 2, f"docs/data.md has no section for table {name}"
        body = section[1].split("### ", 1)[0]
        for col in spec.names:
            assert f"`{col}`" in body, f"docs/data.md, table {name}: column {col} not described"


def test_plan_file_keys_are_documented() -> None:
    from critmat.optimize.plan import PlanConfig

    doc = (ROOT / "docs" / "scenarios.md").read_text().split("## Plan files", 1)[1]
    for key in PlanConfig.model_fields:
        assert f"| `{key}` |" in doc, key


INVENTORY = (ROOT / "docs" / "inventory.md").read_text()


def test_the_operators_walkthrough_runs_as_printed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """docs/inventory.md's first block, in a fresh folder with the default database: what a
    warehouse operator types first, in order."""
    from typer.testing import CliRunner

    from critmat.cli.main import app

    cmds = critmat_commands(blocks(INVENTORY, "sh")[0])
    assert cmds is not None and cmds[0] == ["inventory", "init"]
    monkeypatch.chdir(tmp_path)
    for args in cmds:
        r = CliRunner().invoke(app, args, env={"CRITMAT_DATABASE_URL": "",
                                               "CRITMAT_LEDGER_KEY_FILE": ""})  # fmt: skip
        assert r.exit_code == 0, (args, r.stdout[-2000:], r.stderr[-2000:], r.exception)
    assert "chain intact" in r.stdout
