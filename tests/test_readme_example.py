"""The README's "Using the package" example runs as written, with the smoke profile instead of the tutorial one."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def example() -> str:
    text = README.read_text()
    section = text[text.index("## Using the package"):]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_readme_example_runs(tmp_path, capsys, monkeypatch):
    code = example()
    assert 'get_profile("tutorial")' in code and '"runs/my_t2"' in code
    monkeypatch.chdir(tmp_path)  # out_dir="runs/my_t2" lands in tmp_path
    exec(compile(code.replace('get_profile("tutorial")', 'get_profile("smoke")'), str(README), "exec"), {})
    printed = capsys.readouterr().out
    assert "psnr" in printed and (tmp_path / "runs" / "my_t2" / "model.pt").is_file()
