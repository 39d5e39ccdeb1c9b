"""MkDocs hooks of the documentation site (see ``hooks:`` in mkdocs.yml).

Three things on the site come from the project itself rather than from files under docs/, so
they cannot go stale:

* the notebooks in ``notebooks/`` become pages (mkdocs-jupyter renders them with the outputs
  they were committed with), named in the nav as ``notebooks/<name>.ipynb``; their links to
  each other (``03_training_an_mlp.ipynb``, which JupyterLab and GitHub follow) are pointed at
  those pages (``../03_training_an_mlp/``);
* the graph pictures of the concept pages, ``assets/graphs/<name>.svg``, are drawn by
  ``autograd_core.viz`` at build time from the same expressions the pages show;
* a line ``<!-- cli-help: train -->`` in a page becomes the ``--help`` text of
  ``autograd-core train`` (``<!-- cli-help -->`` alone: the top-level help);
* a line ``<!-- op-table -->`` becomes a table of every row of the op table
  (``autograd_core.ops``), with the rule each row gives for its local derivatives.
"""

from __future__ import annotations

import ast
import contextlib
import os
import posixpath
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page
from mkdocs.utils import get_relative_url

import autograd_core as ag
from autograd_core.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
CLI_HELP = re.compile(r"^<!-- cli-help(?:: (?P<command>[a-z]+))? -->$", re.MULTILINE)
HELP_WIDTH = 76  # columns of the --help texts: the width of the page's text column
OP_TABLE = "<!-- op-table -->"
# A relative link to a notebook in a rendered notebook page: href="03_training_an_mlp.ipynb#x"
NOTEBOOK_LINK = re.compile(r'href="(?P<target>[^":?#]+\.ipynb)(?P<anchor>#[^"]*)?"')
# How the ops without a method or an ag. function are written in a program.
SPELLINGS = {
    "add": "`a + b`",
    "sub": "`a - b`",
    "mul": "`a * b`",
    "div": "`a / b`",
    "neg": "`-x`",
    "pow": "`x ** y` (y a Value)",
    "pow_const": "`x ** 3` (a number as exponent)",
    "abs": "`abs(x)`",
    "sum": "`ag.sum(values)`",
    "dot": "`ag.dot(ws, xs, bias)`",
    "affine": "`ag.dot` of Values with numbers (a first layer)",
    "cross_entropy": "`ag.losses.cross_entropy(logits, target)` (one per sample)",
}


def chain() -> ag.Value:
    """f(x) = sin(x²) at x = 3: two ops in a row (seed example 2)."""
    x = ag.Value(3.0, label="x")
    f = (x**2).sin()
    f.label = "f"
    f.backward()
    return f


def one_weight() -> ag.Value:
    """Seed example 5: y_pred = w·x, squared error against y = 4, at w = 1, x = 2."""
    w = ag.Value(1.0, label="w")
    x, y = 2.0, 4.0
    loss = (w * x - y) ** 2
    loss.label = "loss"
    loss.backward()
    return loss


def reuse() -> ag.Value:
    """f = a·b + a: ``a`` feeds two ops, so its gradient is the sum of two paths."""
    a = ag.Value(2.0, label="a")
    b = ag.Value(-3.0, label="b")
    f = a * b + a
    f.label = "f"
    f.backward()
    return f


GRAPHS: dict[str, Callable[[], ag.Value]] = {
    "chain": chain,
    "one_weight": one_weight,
    "reuse": reuse,
}


@event_priority(100)  # before mkdocs-jupyter turns .ipynb files into notebook pages
def on_files(files: Files, config: MkDocsConfig) -> Files:
    for notebook in sorted(NOTEBOOKS.glob("*.ipynb")):
        # A real file under the repository root rather than a generated one: mkdocs-jupyter
        # finds the notebook through ``src_dir``. Its page is ``notebooks/<name>/``.
        files.append(
            File(
                f"notebooks/{notebook.name}",
                src_dir=str(ROOT),
                dest_dir=config.site_dir,
                use_directory_urls=config.use_directory_urls,
            )
        )
    for name, build in GRAPHS.items():
        svg = ag.viz.to_svg(build())
        files.append(File.generated(config, f"assets/graphs/{name}.svg", content=svg))
    return files


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    markdown = CLI_HELP.sub(lambda match: _help_block(match.group("command")), markdown)
    if OP_TABLE in markdown:
        markdown = markdown.replace(OP_TABLE, _op_table())
    return markdown


def on_page_content(html: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    """In a notebook page, a link to another notebook goes to that notebook's page."""
    if not page.file.src_uri.endswith(".ipynb"):
        return html  # Markdown pages' links are resolved (and checked) by mkdocs itself

    def to_page(match: re.Match[str]) -> str:
        folder = posixpath.dirname(page.file.src_uri)
        target = files.get_file_from_path(
            posixpath.normpath(posixpath.join(folder, match["target"]))
        )
        if target is None:
            return match[0]  # not a notebook of the site: tests/test_docs_site.py reports it
        return f'href="{get_relative_url(target.url, page.url)}{match["anchor"] or ""}"'

    return NOTEBOOK_LINK.sub(to_page, html)


def _op_table() -> str:
    rows = [
        "| op | written as | picture | local derivatives `(out, inputs) -> partials` |",
        "|---|---|---|---|",
    ]
    for op in ag.ops.all_ops():
        spellings = [SPELLINGS[op.name]] if op.name in SPELLINGS else []
        if op.method:
            spellings.append(f"`x.{op.name}()`")
        if op.function:
            spellings.append(f"`ag.{op.name}(x)`")
        if op.activation:
            spellings.append(f'`activation="{op.name}"`')
        written = "<br>".join(spellings) or "`op(...)`"
        rule = op.partials if op.constant_partials is None else op.constant_partials
        rows.append(f"| `{op.name}` | {written} | {op.symbol} | {_rule_text(rule)} |")
    return "\n".join(rows)


def _rule_text(rule: Callable[..., Any] | tuple[float, ...]) -> str:
    """A lambda rule as its code (``lambda out, a, b: (b, a)``), a named one by its name,
    constants as the tuple of them (``(1.0, 1.0)``)."""
    if isinstance(rule, tuple):
        return f"`{rule!r}` (constants)"
    if rule.__name__ != "<lambda>":
        return f"`{rule.__name__}` in `{rule.__module__}`"
    code = rule.__code__
    tree = ast.parse(Path(code.co_filename).read_text(encoding="utf-8"))
    arguments = list(code.co_varnames[: code.co_argcount])
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Lambda)
            and node.lineno == code.co_firstlineno
            and [a.arg for a in node.args.args] == arguments
        ):
            return f"`{ast.unparse(_Inline(rule.__globals__).visit(node))}`"
    return "a lambda"


class _Inline(ast.NodeTransformer):
    """Write the table's named constants (``_ONE``) as the tuples they stand for."""

    def __init__(self, names: dict[str, Any]) -> None:
        self.names = names

    def visit_Name(self, node: ast.Name) -> ast.AST:
        value = self.names.get(node.id)
        if node.id.startswith("_") and isinstance(value, tuple):
            return ast.Constant(value)
        return node


def _help_block(command: str | None) -> str:
    parser = build_parser()
    if command is not None:
        subparsers = next(
            action for action in parser._actions if action.dest == "command"
        )  # argparse keeps the subcommands' parsers in this action's choices
        choices: dict[str, Any] = subparsers.choices  # type: ignore[assignment]
        if command not in choices:
            raise ValueError(f"cli-help: no command {command!r} (have {', '.join(choices)})")
        parser = choices[command]
    with _columns(HELP_WIDTH):
        text = parser.format_help()
    return f"```text\n{text.rstrip()}\n```"


@contextlib.contextmanager
def _columns(width: int) -> Iterator[None]:
    """argparse wraps its help at ``$COLUMNS``: fix it so every build writes the same page."""
    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = str(width)
    try:
        yield
    finally:
        if old is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = old
