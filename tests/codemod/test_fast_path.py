"""The ``ast`` fast path and the libcst path must give byte-identical results on every case.

Every rule table, note case and golden fixture runs through both paths; outputs, site reports,
notes, removed names and redaction secrets are compared. A case the fast path does not model
must fall back (``Unsupported``), never answer differently; the fast path must also handle the
common shapes itself, or it would not be fast.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keyshift.codemod.fast import FileFix, Unsupported, fast_fix
from keyshift.codemod.runner import libcst_fix

from .helpers import fill
from .test_notes import NOTE_CASES
from .test_properties import call_sites
from .test_rules import REPORT_ONLY_CASES, REWRITE_CASES, UNTOUCHED_CASES

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "codemod"
BENCH_SITE = Path(__file__).resolve().parents[2] / "benchmarks" / "fix_tree.py"


def _src(text: str) -> bytes:
    return fill(textwrap.dedent(text).lstrip("\n")).encode("utf-8")


# Shapes where scoping, positions or formatting could make the two paths disagree.
EXTRA_CASES = [
    ("string-annotation", 'import boto3\nK = "@KEY@"\nx: "K" = 1\nboto3.client("s3", aws_access_key_id=K)\n'),
    (
        "local-same-name",
        'import boto3\nK = "@KEY@"\ndef f():\n    K = 2\n    return K\nboto3.client("s3", aws_access_key_id=K)\n',
    ),
    (
        "class-shadow",
        'import boto3\nK = "@KEY@"\nclass C:\n    K = 1\n    def m(self):\n        return boto3.client("s3", aws_access_key_id=K)\n',
    ),
    (
        "closure",
        'import boto3\ndef f(k):\n    def g():\n        return boto3.client("s3", aws_access_key_id=k)\n    return g\n',
    ),
    (
        "dotted-import",
        'import os.path\nimport boto3\nboto3.client("s3", aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"])\n',
    ),
    (
        "try-import",
        'try:\n    import boto3\nexcept ImportError:\n    boto3 = None\nc = boto3.client("s3", aws_access_key_id="@KEY@")\n',
    ),
    (
        "with-session",
        'import boto3\nwith boto3.Session() as s:\n    c = s.client("s3", aws_access_key_id="@KEY@")\n',
    ),
    ("walrus", 'import os, boto3\nif (k := os.getenv("K")):\n    boto3.client("s3", aws_access_key_id=k)\n'),
    (
        "dict-stores",
        'import boto3\nopts = {}\nopts["aws_access_key_id"] = "@KEY@"\nboto3.client("s3", **opts)\n',
    ),
    (
        "kwargs-param",
        'import boto3\ndef make(**kw):\n    return boto3.client("s3", aws_access_key_id="@KEY@", **kw)\n',
    ),
    (
        "decorated",
        'import boto3, functools\n@functools.cache\ndef c():\n    return boto3.client("s3", aws_access_key_id="@KEY@")\n',
    ),
    (
        "comprehension",
        'import boto3\nK = "@KEY@"\ncs = [boto3.client(n, aws_access_key_id=K) for n in ("s3", "sqs")]\n',
    ),
    (
        "nested-call-arg",
        'import boto3\nK = "@KEY@"\nwrap(boto3.client("s3", aws_access_key_id=K))\nprint(K)\n',
    ),
    ("semicolons", 'import boto3\nK = "@KEY@"; J = "x"\nboto3.client("s3", aws_access_key_id=K)\n'),
    ("trailing-semicolon", 'import boto3\nK = "@KEY@";\nboto3.client("s3", aws_access_key_id=K)\n'),
    (
        "unicode-column",
        'import boto3\nx = "\u00e9\u00e9"; c = boto3.client("s3", aws_access_key_id="@KEY@")\n',
    ),
    ("exported", 'import boto3\n__all__ = ["K"]\nK = "@KEY@"\nboto3.client("s3", aws_access_key_id=K)\n'),
    ("settings-module", 'AWS_ACCESS_KEY_ID = "@KEY@"\nAWS_SECRET_ACCESS_KEY = "@SECRET@"\nimport boto3\n'),
    (
        "environ-writes",
        'import os, boto3\nos.environ["AWS_ACCESS_KEY_ID"] = "@KEY@"\nos.environ.update({"AWS_SECRET_ACCESS_KEY": "x"})\nos.putenv("AWS_SESSION_TOKEN", "t")\n',
    ),
    (
        "s3fs",
        'import s3fs, pandas as pd\nfs = s3fs.S3FileSystem(key="a", secret="b")\npd.read_csv("s3://b/k", storage_options={"key": "a"})\n',
    ),
    (
        "sts",
        'import boto3\nc = boto3.client("sts").assume_role(RoleArn="r")["Credentials"]\nboto3.client("s3", aws_access_key_id=c["AccessKeyId"])\n',
    ),
    (
        "self-attr",
        'import boto3\nclass A:\n    def c(self):\n        return boto3.client("s3", aws_access_key_id=self.key)\n',
    ),
    (
        "botocore-session",
        'from botocore.session import get_session\ns = get_session()\nc = s.create_client("s3", aws_access_key_id="@KEY@")\n',
    ),
    (
        "session-chain",
        'import boto3\nc = boto3.Session(region_name="x").client("s3", aws_access_key_id="@KEY@")\n',
    ),
    (
        "ifexp",
        'import os, boto3\nboto3.client("s3", aws_access_key_id=os.getenv("A") if os.getenv("B") else "@KEY@")\n',
    ),
    ("dict-value", 'import boto3\nCFG = {"k": "@KEY@"}\nboto3.client("s3", aws_access_key_id=CFG["k"])\n'),
    (
        "config-get",
        'import boto3, configparser\nconf = configparser.ConfigParser()\nboto3.client("s3", aws_access_key_id=conf.get("aws", "key"))\n',
    ),
    (
        "helper-call",
        'import boto3\ndef key():\n    return "x"\nboto3.client("s3", aws_access_key_id=key())\n',
    ),
    ("input", 'import boto3\nboto3.client("s3", aws_access_key_id=input("key: "))\n'),
    ("positional-session", 'import boto3\nboto3.Session("@KEY@", "@SECRET@")\n'),
    (
        "relative-import",
        'import boto3\nfrom . import settings\nfrom .conf import KEY\nboto3.client("s3", aws_access_key_id=settings.KEY, aws_secret_access_key=KEY)\n',
    ),
    (
        "comment-lines",
        'import boto3\nc = boto3.client(\n    "s3",  # svc\n    # the key\n    aws_access_key_id="@KEY@",  # k\n    region_name="x"\n)\n',
    ),
    ("star-args", 'import boto3\ndef f(*a):\n    return boto3.client(*a, aws_access_key_id="@KEY@")\n'),
    (
        "delete-commented-block",
        'import boto3\n\n# keys\nKEY = "@KEY@"\n\nSECRET = "@SECRET@"\n# after\nc = boto3.client("s3", aws_access_key_id=KEY, aws_secret_access_key=SECRET)\n',
    ),
    (
        "delete-before-decorator",
        'import boto3, functools\n\nKEY = "@KEY@"\n@functools.cache\ndef c():\n    return boto3.client("s3", aws_access_key_id=KEY)\n',
    ),
    (
        "delete-last",
        'import boto3\nc = boto3.client("s3", aws_access_key_id=KEY)\n\nKEY = "@KEY@"\n# footer\n',
    ),
    (
        "delete-after-def",
        'import boto3\ndef f():\n    pass\n    # tail\n\nKEY = "@KEY@"\nc = boto3.client("s3", aws_access_key_id=KEY)\n',
    ),
    (
        "delete-blank-run",
        'import boto3\n\n\nKEY = "@KEY@"\nSECRET = "@SECRET@"\n\n\nc = boto3.client("s3", aws_access_key_id=KEY, aws_secret_access_key=SECRET)\n',
    ),
    ("delete-no-final-newline", 'import boto3\nKEY = "@KEY@"\nc = boto3.client("s3", aws_access_key_id=KEY)'),
    (
        "import-partial",
        'import boto3\nfrom cfg import A,  KEY , B  # cfg\nc = boto3.client("s3", aws_access_key_id=KEY)\nprint(A, B)\n',
    ),
    (
        "import-partial-last",
        'import boto3\nfrom cfg import A, KEY\nc = boto3.client("s3", aws_access_key_id=KEY)\nprint(A)\n',
    ),
    (
        "import-paren",
        'import boto3\nfrom cfg import (\n    A,\n    KEY,\n)\nc = boto3.client("s3", aws_access_key_id=KEY)\nprint(A)\n',
    ),
    (
        "call-comment-after-paren",
        'import boto3\nc = boto3.client(  # make it\n    aws_access_key_id="@KEY@",\n    region_name="x",\n)\n',
    ),
    (
        "call-comment-before-close",
        'import boto3\nc = boto3.client(\n    "s3",\n    aws_access_key_id="@KEY@"  # key\n    # end\n)\n',
    ),
    (
        "call-space-before-comma",
        'import boto3\nc = boto3.client("s3" , aws_access_key_id="@KEY@" ,region_name="x" )\n',
    ),
    ("call-paren-value", 'import boto3\nc = boto3.client("s3", aws_access_key_id=("@KEY@"))\n'),
    (
        "two-sites-one-line",
        'import boto3\na, b = boto3.client("s3", aws_access_key_id="@KEY@"), boto3.client("sqs", aws_access_key_id="@KEY@")\n',
    ),
    (
        "nested-sites",
        'import boto3\nc = boto3.Session(aws_access_key_id="@KEY@").client("s3", aws_access_key_id="@KEY@")\n',
    ),
    ("annotation-only", 'import boto3\nKEY: str\nc = boto3.client("s3", aws_access_key_id=KEY)\n'),
    (
        "annotation-only-local",
        'import boto3\ndef f():\n    k: str\n    return boto3.client("s3", aws_access_key_id=k)\n',
    ),
    (
        "annotation-only-session",
        'import boto3\ns: boto3.Session\nc = s.client("s3", aws_access_key_id="@KEY@")\n',
    ),
    (
        "utf8-cookie",
        '# -*- coding: utf-8 -*-\nimport boto3\nKEY = "@KEY@"  # clé\nc = boto3.client("s3", aws_access_key_id=KEY)\n',
    ),
    (
        "utf8-cookie-spelling",
        '#!/usr/bin/env python\n# vim: set fileencoding=utf8 :\nimport boto3\nc = boto3.client("s3", aws_access_key_id="@KEY@")\n',
    ),
    (
        "global-cache",
        'import boto3\n_client = None\ndef client():\n    global _client\n    if _client is None:\n        _client = boto3.client("s3", aws_access_key_id="@KEY@")\n    return _client\n',
    ),
    (
        "global-constant",
        'import boto3\nKEY = "@KEY@"\ndef make():\n    global KEY\n    return boto3.client("s3", aws_access_key_id=KEY)\n',
    ),
    (
        "global-assigned-in-function",
        'import os, boto3\ndef setup():\n    global KEY\n    KEY = os.getenv("AWS_ACCESS_KEY_ID")\ndef make():\n    return boto3.client("s3", aws_access_key_id=KEY)\n',
    ),
    (
        "global-shadow-nested",
        'import boto3\nKEY = "@KEY@"\ndef outer():\n    global KEY\n    def inner():\n        return boto3.client("s3", aws_access_key_id=KEY)\n    return inner\n',
    ),
    (
        "global-session",
        'import boto3\ndef init():\n    global S\n    S = boto3.Session()\nc = S.client("s3", aws_access_key_id="@KEY@")\n',
    ),
    ("augassign", 'import boto3\nK = "a"\nK += "b"\nboto3.client("s3", aws_access_key_id=K)\n'),
]

CASES: list[tuple[str, bytes]] = [
    *((f"extra/{name}", _src(text)) for name, text in EXTRA_CASES),
    *((f"rewrite/{c[0]}", _src(c[1])) for c in REWRITE_CASES),
    *((f"rewritten/{c[0]}", _src(c[2])) for c in REWRITE_CASES),
    *((f"untouched/{c[0]}", _src(c[1])) for c in UNTOUCHED_CASES),
    *((f"report-only/{c[0]}", _src(c[1])) for c in REPORT_ONLY_CASES),
    *((f"note/{c[0]}", _src(c[1])) for c in NOTE_CASES),
    *(
        (f"golden/{p.name}", (p / "before.py").read_bytes())
        for p in sorted(FIXTURES.iterdir())
        if (p / "before.py").is_file()
    ),
    (
        "crlf",
        _src(
            'import boto3\nKEY = "@KEY@"\n\ns3 = boto3.client(\n    "s3",\n    aws_access_key_id=KEY,\n)\n'
        ).replace(b"\n", b"\r\n"),
    ),
]


def _view(fix: FileFix) -> dict[str, object]:
    return {
        "changed": fix.changed,
        "new": fix.new,
        "sites": fix.sites,
        "notes": sorted(fix.notes, key=lambda n: (n.line, n.kind, n.message)),
        "removed_constants": fix.removed_constants,
        "removed_imports": fix.removed_imports,
        "secrets": fix.secrets if fix.changed else set(),
    }


def _both(data: bytes) -> tuple[dict[str, object] | None, dict[str, object]]:
    reference = _view(libcst_fix(data))
    try:
        fast = _view(fast_fix(data))
    except Unsupported:
        fast = None
    return fast, reference


@pytest.mark.parametrize(("name", "data"), CASES, ids=[c[0] for c in CASES])
def test_same_result_on_both_paths(name: str, data: bytes) -> None:
    fast, reference = _both(data)
    if fast is not None:
        assert fast == reference


def test_fast_path_handles_most_cases() -> None:
    handled = 0
    for _, data in CASES:
        try:
            fast_fix(data)
        except Unsupported:
            continue
        handled += 1
    assert handled >= len(CASES) * 0.75, f"fast path handled only {handled} of {len(CASES)}"


@pytest.mark.parametrize(
    "name", ["rewrite/client-literals", "golden/flask_upload_literal_keys", "untouched/vendor-session-client"]
)
def test_common_shapes_never_fall_back(name: str) -> None:
    data = dict(CASES)[name]
    fast_fix(data)  # raises Unsupported if the common shape fell back


@pytest.mark.parametrize(
    "source",
    [
        "import boto3\nfrom x import *\ns3 = boto3.client('s3', aws_access_key_id='a')\n",
        "import boto3\ndef f():\n    K = 'x'\n    def g():\n        nonlocal K\n        boto3.client('s3', aws_access_key_id=K)\n    return g\n",
        "import boto3\nK = 'a'\nK = 'b'\nboto3.client('s3', aws_access_key_id=K)\n",
        "import boto3\nc = (boto3.client('s3', aws_access_key_id='a'))\n",
    ],
    ids=["star-import", "nonlocal", "rebound-name", "parenthesised-call"],
)
def test_unmodelled_constructs_fall_back(source: str) -> None:
    with pytest.raises(Unsupported):
        fast_fix(source.encode())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(call_sites())
def test_generated_sites_same_on_both_paths(case: tuple[str, list[str], list[str]]) -> None:
    for variant in (case[0], case[0].replace("\n", "\r\n"), case[0].replace("    ", "\t")):
        fast, reference = _both(variant.encode())
        assert fast is not None, "generated call sites are a common shape"
        assert fast == reference


def test_benchmark_site_template_takes_the_fast_path() -> None:
    text = BENCH_SITE.read_text()
    template = text.split("SITE = '''", 1)[1].split("'''", 1)[0]
    data = _src(template.replace("{i}", "7").replace("{key}", "@KEY@").replace("{secret}", "@SECRET@"))
    fast, reference = _both(data)
    assert fast is not None and fast == reference


def _case_tree(root: Path, copies: int = 1) -> Path:
    for copy in range(copies):
        for index, (name, data) in enumerate(CASES):
            path = root / f"c{copy}" / f"pkg{index % 7}" / f"{name.replace('/', '_').replace('-', '_')}.py"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
    return root


def test_cli_json_identical_with_and_without_fast_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """End to end: ``keyshift fix --json`` over every case, fast path on, then forced off."""
    from typer.testing import CliRunner

    from keyshift.cli import app
    from keyshift.codemod import fast

    root = _case_tree(tmp_path / "tree")
    runner = CliRunner()
    fast_run = runner.invoke(app, ["fix", str(root), "--json", "-q", "--jobs", "1"])

    def never(data: bytes) -> FileFix:
        raise Unsupported("forced libcst path")

    monkeypatch.setattr(fast, "fast_fix", never)
    reference = runner.invoke(app, ["fix", str(root), "--json", "-q", "--jobs", "1"])
    assert fast_run.exit_code == reference.exit_code == 1
    assert fast_run.stdout == reference.stdout
    assert '"files_changed": 0' not in fast_run.stdout


def test_parallel_cli_writes_same_files_as_serial(tmp_path: Path) -> None:
    """``--write`` through the process pool (workers start during discovery) equals a serial run."""
    import subprocess
    import sys

    from keyshift.codemod.runner import _PARALLEL_MIN, NEEDS_ANALYSIS

    copies = 2 * (_PARALLEL_MIN // len(CASES) + 1)
    analysed = sum(1 for _, data in CASES if any(m in data for m in NEEDS_ANALYSIS)) * copies
    assert analysed >= _PARALLEL_MIN  # enough files to analyse for the pool to start
    serial = _case_tree(tmp_path / "serial", copies)
    parallel = _case_tree(tmp_path / "parallel", copies)
    outputs = []
    for root, jobs in ((serial, "1"), (parallel, "2")):
        proc = subprocess.run(
            [sys.executable, "-m", "keyshift", "fix", str(root), "--write", "--json", "-q", "--jobs", jobs],
            capture_output=True,
            text=True,
            check=False,
            cwd=tmp_path,
        )
        assert proc.returncode == 1, proc.stderr
        outputs.append(proc.stdout.replace(str(root.name), "ROOT"))
    assert outputs[0] == outputs[1]
    for path in serial.rglob("*.py"):
        assert path.read_bytes() == (parallel / path.relative_to(serial)).read_bytes()


def test_walk_selects_what_discover_selects(tmp_path: Path) -> None:
    from keyshift.codemod.runner import discover, walk

    root = tmp_path / "repo"
    for rel in (
        "a.py",
        "pkg/b.py",
        "pkg/deep/c.py",
        ".hidden/d.py",
        "node_modules/e.py",
        "venv/f.py",
        "pkg/__pycache__/g.py",
        "notes.txt",
        "build/gen/h.py",
        "dir.py/i.py",
    ):
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("import boto3\n")
    (root / "link.py").symlink_to(root / "a.py")
    (root / "linkdir").symlink_to(root / "pkg", target_is_directory=True)
    for paths, exclude in (
        ([root], ()),
        ([root], ("build/*",)),
        ([root, root / "pkg"], ()),
        ([root / "pkg" / "b.py", root / "notes.txt"], ()),
    ):
        expected = sorted(str(p.resolve()) for p, _ in discover(paths, exclude))
        assert sorted(str(Path(p).resolve()) for p in walk(paths, exclude)) == expected


IMPORTS = (
    "import boto3",
    "import boto3 as b3",
    "from boto3 import client as mk, Session",
    "from boto3.session import Session as S2",
    "import botocore.session",
    "import os",
    "from os import environ, getenv",
    "from config import settings, KEY as CFG_KEY",
    "import aioboto3",
)
CONSTANTS = (
    'KEY = "@KEY@"',
    'SECRET = "@SECRET@"',
    'ENV_KEY = os.getenv("AWS_ACCESS_KEY_ID")',
    'ENV_SECRET = os.environ["MY_SECRET"]',
    'TOKEN: str = environ.get("AWS_SESSION_TOKEN", "")',
    'OPTS = {"aws_access_key_id": "@KEY@"}',
    "CONF = load()",
    '__all__ = ["SECRET"]',
    "# credentials below",
    "",
    'AWS_ACCESS_KEY_ID = "@KEY@"',
    "SESSION = boto3.Session()",
)
FACTORIES = (
    "boto3.client",
    "b3.resource",
    "mk",
    "Session().client",
    "S2().resource",
    "boto3.Session",
    "botocore.session.get_session().create_client",
    "SESSION.client",
    "aioboto3.Session",
    "vendor.client",
)
VALUES = (
    '"@KEY@"',
    "KEY",
    "SECRET",
    "ENV_KEY",
    "ENV_SECRET",
    "TOKEN",
    "CFG_KEY",
    "settings.AWS_KEY",
    'os.getenv("AWS_SECRET_ACCESS_KEY")',
    'getenv("K")',
    "CONF['aws']",
    "param",
    "self.key",
    "local",
    "helper()",
    '"a" + KEY',
    "KEY if flag else SECRET",
    "None",
)
KWARGS = ("aws_access_key_id", "aws_secret_access_key", "aws_session_token")
USES = (
    "print(KEY)",
    "def show():\n    return SECRET",
    "KEY = KEY.strip()",
    "class C:\n    KEY = 1",
    "def g():\n    KEY = 2\n    return KEY",
)


@st.composite
def modules(draw: st.DrawFn) -> str:
    lines = draw(st.lists(st.sampled_from(IMPORTS), min_size=1, max_size=5, unique=True))
    lines += draw(st.lists(st.sampled_from(CONSTANTS), max_size=6))
    for _ in range(draw(st.integers(1, 3))):
        factory = draw(st.sampled_from(FACTORIES))
        kwargs = draw(st.lists(st.sampled_from(KWARGS), min_size=0, max_size=3, unique=True))
        args = ['"s3"'] if "client" in factory or "resource" in factory or factory == "mk" else []
        args += [f"{k}={draw(st.sampled_from(VALUES))}" for k in kwargs]
        if draw(st.booleans()):
            args.append('region_name="eu-west-1"')
        if draw(st.booleans()):
            args.append("**OPTS")
        multiline = draw(st.booleans())
        inner = (",\n    " if multiline else ", ").join(args)
        call = f"{factory}(\n    {inner},\n)" if multiline and args else f"{factory}({inner})"
        where = draw(st.sampled_from(("module", "function", "method")))
        if where == "module":
            lines.append(f"c = {call}")
        elif where == "function":
            body = call.replace("\n", "\n    ")
            lines.append(f"def make(param, flag=False):\n    local = param\n    return {body}")
        else:
            body = call.replace("\n", "\n        ")
            lines.append(
                f"class Svc:\n    def make(self, param):\n        local = 'x'\n        return {body}"
            )
    lines += draw(st.lists(st.sampled_from(USES), max_size=2))
    return fill("\n".join(lines) + "\n")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(modules())
def test_generated_modules_same_on_both_paths(source: str) -> None:
    try:
        compile(source, "<generated>", "exec")
    except SyntaxError:
        return
    fast, reference = _both(source.encode())
    if fast is not None:
        assert fast == reference
