"""``fix`` and ``plan`` on Python files nested deeper than Python accepts (round 5 attack pass).

libcst's native parser recursed once per nesting level: 5,000 nested parentheses or 50,000 unary
operators crashed the whole ``fix`` run with a segmentation fault (exit 139, no report, no other
file fixed), and a 300,000-term ``1+1+…`` line kept it busy for more than five minutes. CPython's
own parser now judges the depth first; such a file is left unchanged with a reason and the run
goes on. The same files next to ordinary ones: a FIFO, a symlink out of the tree, a BOM with CRLF,
a latin-1 cookie, invalid UTF-8, a NUL byte.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tests.security.git_hostile import KEY, SECRET, app_code, keyshift

DEEP = {
    "parens.py": "x = " + "(" * 5000 + "1" + ")" * 5000,
    "brackets.py": "x = " + "[" * 100_000 + "]" * 100_000,
    "unary.py": "x = " + "-" * 50_000 + "1",
    "nots.py": "x = " + "not " * 50_000 + "y",
    "sum.py": "x = " + "+".join(["1"] * 300_000),
    "calls.py": "x = f" + "(1)" * 100_000,
    "indent.py": "".join(" " * i + "if x:\n" for i in range(300)) + " " * 300 + "pass",
}


def _tree(root: Path) -> Path:
    root.mkdir()
    call = app_code(KEY, SECRET)
    for name, tail in DEEP.items():
        (root / name).write_text(call + tail + "\n")
    (root / "normal.py").write_text(call)
    (root / "bom_crlf.py").write_bytes(b"\xef\xbb\xbf" + call.replace("\n", "\r\n").encode())
    (root / "latin1.py").write_bytes(b"# -*- coding: latin-1 -*-\nx = '\xe9'\n" + call.encode())
    (root / "bad_utf8.py").write_bytes(b"x = '\xff\xfe'\n" + call.encode())
    (root / "nul.py").write_bytes(call.encode() + b"\x00\n")
    outside = root.parent / "outside.py"
    outside.write_text(call)
    (root / "link.py").symlink_to(outside)
    if hasattr(os, "mkfifo"):
        os.mkfifo(root / "fifo.py")
    return root


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_fix_survives_deep_files_and_fixes_the_rest(tmp_path: Path, jobs: str) -> None:
    tree = _tree(tmp_path / "t")
    outside = (tmp_path / "outside.py").read_text()
    proc = keyshift("fix", "--write", "--jobs", jobs, str(tree), timeout=180)
    out, err = proc.stdout.decode(), proc.stderr.decode()
    assert proc.returncode in (0, 1), err  # never a crash (139) or an internal error (2)
    for name in DEEP:
        assert f"{name}: error: file is nested too deeply to analyse; left unchanged" in out, name
        assert KEY in (tree / name).read_text()  # left as it was
    for name in ("normal.py", "bom_crlf.py", "latin1.py"):
        assert KEY.encode() not in (tree / name).read_bytes(), name  # the run went on and fixed them
    assert (tree / "bom_crlf.py").read_bytes().startswith(b"\xef\xbb\xbf")
    assert (tmp_path / "outside.py").read_text() == outside  # never written through the link
    assert SECRET not in out + err


def test_plan_survives_deep_files(tmp_path: Path) -> None:
    tree = _tree(tmp_path / "t")
    (tree / "fifo.py").unlink(missing_ok=True)
    proc = keyshift("plan", str(tree), timeout=180)
    assert proc.returncode in (0, 1), proc.stderr
    assert b"Traceback" not in proc.stderr
    assert SECRET.encode() not in proc.stdout + proc.stderr
