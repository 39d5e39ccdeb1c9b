"""The documentation: its examples run, its notebooks are complete, and the built site renders.

* Every ``pycon`` block of the pages under docs/ is run as a doctest, page by page (the blocks
  of one page share their names, as a reader typing them in order would).
* Every notebook is listed in the site's navigation and committed with its outputs (the
  outputs are what GitHub and the site show; ``make test`` re-executes the notebooks with
  nbmake).
* Every internal link of the built site (``href`` and ``src`` of every page, the notebook
  pages included, whose links ``mkdocs build --strict`` does not check) leads to a file of it.
* The site, built with ``mkdocs build --strict``, is opened in headless Chromium: the home
  page and a tutorial must show their graph pictures at a non-zero size, log no console error
  and load nothing from outside the site. Screenshots go to ``$ARTIFACTS_DIR`` (default: the
  test's temporary directory). Without Chromium or Playwright the test is skipped, except
  under ``CI=true``, where it fails.
"""

from __future__ import annotations

import doctest
import functools
import html.parser
import http.server
import json
import os
import re
import subprocess
import sys
import threading
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
NOTEBOOKS = ROOT / "notebooks"
CHROMIUM = "/usr/bin/chromium"
PYCON = re.compile(r"^```pycon\n(.*?)^```", re.MULTILINE | re.DOTALL)
PAGES_WITH_EXAMPLES = sorted(
    path.relative_to(DOCS).as_posix()
    for path in DOCS.rglob("*.md")
    if PYCON.search(path.read_text(encoding="utf-8"))
)


# -- the pages' examples ----------------------------------------------------------------------


def test_the_pages_have_examples() -> None:
    # the quick start and the concept pages teach by example; losing them would go unnoticed
    assert {"quickstart.md", "concepts/backward.md", "concepts/accumulation.md"} <= set(
        PAGES_WITH_EXAMPLES
    )


@pytest.mark.parametrize("page", PAGES_WITH_EXAMPLES)
def test_page_examples_run(page: str) -> None:
    text = (DOCS / page).read_text(encoding="utf-8")
    source = "\n".join(block.group(1) for block in PYCON.finditer(text))
    test = doctest.DocTestParser().get_doctest(source, {}, page, page, 0)
    assert test.examples, f"{page}: no >>> example in its pycon blocks"
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    failures: list[str] = []
    runner.run(test, out=failures.append)
    assert runner.failures == 0, "".join(failures)


def test_readme_examples_run() -> None:
    # the README's pycon blocks (its "Higher order" section) are run the same way
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    source = "\n".join(block.group(1) for block in PYCON.finditer(text))
    test = doctest.DocTestParser().get_doctest(source, {}, "README.md", "README.md", 0)
    assert test.examples, "README.md: no >>> example in a pycon block"
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    failures: list[str] = []
    runner.run(test, out=failures.append)
    assert runner.failures == 0, "".join(failures)


# -- the notebooks ----------------------------------------------------------------------------


def _notebooks() -> list[Path]:
    return sorted(NOTEBOOKS.glob("*.ipynb"))


def test_every_notebook_is_in_the_site_navigation() -> None:
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    assert _notebooks(), "no notebooks found"
    for notebook in _notebooks():
        assert f"notebooks/{notebook.name}" in nav, f"{notebook.name} is missing from the nav"


@pytest.mark.parametrize("name", [path.name for path in _notebooks()])
def test_notebook_is_committed_with_its_outputs(name: str) -> None:
    notebook = json.loads((NOTEBOOKS / name).read_text(encoding="utf-8"))
    code = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    assert code, f"{name} has no code cell"
    counts = [cell["execution_count"] for cell in code]
    # run top to bottom in one kernel, every cell once
    assert counts == list(range(1, len(code) + 1)), f"{name}: execution counts {counts}"
    for cell in code:
        for output in cell["outputs"]:
            assert output["output_type"] != "error", f"{name}: a cell was saved with an error"
    assert any(is_graph_picture(output) for cell in code for output in cell["outputs"]), (
        f"{name}: no graph picture among the outputs"
    )
    assert notebook["metadata"]["kernelspec"]["name"] == "python3"


def is_graph_picture(output: dict[str, Any]) -> bool:
    """Whether a saved output is a graph picture: ``draw()``'s HTML (the SVG as an image,
    scaled to the column) or a plain SVG."""
    data = output.get("data", {})
    html = "".join(data.get("text/html", []))
    return "image/svg+xml" in data or ('class="agc-graph"' in html and "data:image/svg+xml" in html)


# -- the built site in a browser --------------------------------------------------------------


def _require(condition: bool, reason: str) -> None:
    """Skip without the browser locally; under CI=true a missing dependency fails."""
    if condition:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site built with --strict: ``$DOCS_SITE_DIR`` if set (``make test`` builds it just
    before the tests, in its docs-check step), else a fresh build in a temporary directory."""
    built = os.environ.get("DOCS_SITE_DIR")
    if built:
        assert (Path(built) / "index.html").is_file(), f"DOCS_SITE_DIR={built} holds no site"
        return Path(built)
    _require(_has_module("mkdocs"), "mkdocs is missing (the docs extra)")
    out = tmp_path_factory.mktemp("site")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return out


class _Links(html.parser.HTMLParser):
    """Every ``href`` and ``src`` of a page, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.links.extend(value for name, value in attrs if name in ("href", "src") and value)


def _internal_links(page: Path) -> list[str]:
    """The links of ``page`` that stay on the site (no scheme, no host), without fragments."""
    parser = _Links()
    parser.feed(page.read_text(encoding="utf-8"))
    internal = []
    for link in parser.links:
        parts = urllib.parse.urlsplit(link)
        if parts.scheme or parts.netloc or not parts.path:  # https:, data:, mailto:, "#top"
            continue
        internal.append(urllib.parse.unquote(parts.path))
    return internal


def _resolves(site: Path, page: Path, link: str) -> bool:
    """Whether ``link`` in ``page`` leads to a file of ``site``, as a static server finds it."""
    target = (site / link.lstrip("/")) if link.startswith("/") else page.parent / link
    target = target.resolve()
    if not target.is_relative_to(site.resolve()):
        return False
    return (target / "index.html").is_file() if target.is_dir() else target.is_file()


@pytest.mark.slow
def test_every_internal_link_of_the_site_leads_to_a_file(site: Path) -> None:
    pages = sorted(site.rglob("*.html"))
    notebook_pages = [page for page in pages if page.parent.parent.name == "notebooks"]
    assert len(notebook_pages) == len(_notebooks()), "a notebook page is missing"
    broken = [
        f"{page.relative_to(site)}: {link}"
        for page in pages
        for link in _internal_links(page)
        if not _resolves(site, page, link)
    ]
    assert broken == [], "links to nowhere:\n" + "\n".join(broken)
    # the notebooks' "Next:" links (03_training_an_mlp.ipynb in JupyterLab) lead to pages
    first = site / "notebooks" / "01_derivatives_and_the_chain_rule" / "index.html"
    assert "../03_training_an_mlp/" in _internal_links(first)
    assert not any(
        link.endswith(".ipynb") for page in notebook_pages for link in _internal_links(page)
    )


def _text(fragment: str) -> str:
    """The text of an HTML fragment, tags dropped and entities read."""
    import html

    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


@pytest.mark.slow
def test_the_reference_shows_values_attributes_and_options_and_no_rest(site: Path) -> None:
    import inspect

    from autograd_core import stepthrough, viz

    page = (site / "reference" / "engine" / "index.html").read_text(encoding="utf-8")
    for attribute in ("data", "grad", "label", "op"):
        assert f'id="autograd_core.engine.Value.{attribute}"' in page, attribute
    for method, called in (("draw", viz.draw_graph), ("explain", stepthrough.to_html)):
        start = page.index(f'id="autograd_core.engine.Value.{method}"')
        section = _text(page[start : page.index('class="doc doc-heading"', start + 50)])
        options = [
            name
            for name, parameter in inspect.signature(called).parameters.items()
            if parameter.kind is inspect.Parameter.KEYWORD_ONLY
        ]
        missing = [name for name in options if f"{name}:" not in section]
        assert missing == [], f"Value.{method}'s reference does not show {missing}"
    # reST's literal-block marker "::" shows as two colons on a Markdown page
    stray = [
        f"{path.relative_to(site)}: {_text(line).strip()[-70:]}"
        for path in sorted(site.rglob("*.html"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.rstrip().endswith("::</p>")
    ]
    assert stray == [], "\n".join(stray)


@pytest.fixture(scope="module")
def server(site: Path) -> Iterator[str]:
    """The site served over HTTP on the loopback interface, as a reader's browser sees it."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(site))
    )
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    _require(os.path.exists(CHROMIUM), f"{CHROMIUM} is missing (Debian package chromium)")
    _require(_has_module("playwright"), "the playwright package is missing")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = os.environ.get("ARTIFACTS_DIR")
    path = Path(directory) if directory else tmp_path_factory.mktemp("artifacts")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _has_module(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


def _open(browser: Any, url: str, screenshot: Path) -> tuple[Any, list[str]]:
    """Load ``url`` and return the page and every problem seen: console errors, uncaught
    exceptions, failed requests and requests that left the site."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems: list[str] = []
    site_root = url.split("/", 3)[:3]  # scheme, "", host:port

    def on_console(message: Any) -> None:
        if message.type in ("error", "warning"):
            problems.append(f"console {message.type}: {message.text}")

    def on_request(request: Any) -> None:
        if request.url.split("/", 3)[:3] != site_root and not request.url.startswith("data:"):
            problems.append(f"outside the site: {request.url}")

    page.on("console", on_console)
    page.on("request", on_request)
    page.on("pageerror", lambda error: problems.append(f"uncaught: {error}"))
    page.on("requestfailed", lambda request: problems.append(f"failed: {request.url}"))
    response = page.goto(url, wait_until="networkidle")
    assert response is not None and response.ok, f"{url}: {response and response.status}"
    page.screenshot(path=str(screenshot), full_page=True)
    return page, problems


def _visible_size(element: Any) -> tuple[float, float]:
    box = element.bounding_box()
    return (0.0, 0.0) if box is None else (box["width"], box["height"])


@pytest.mark.slow
def test_home_page_shows_the_neuron(browser: Any, server: str, artifacts: Path) -> None:
    page, problems = _open(browser, server, artifacts / "home.png")
    assert page.title().startswith("autograd_core")
    picture = page.locator("article img[src$='neuron.svg']")
    assert picture.count() == 1
    width, height = _visible_size(picture)
    assert width > 200 and height > 100, f"the neuron picture is {width}×{height}"
    assert picture.evaluate("img => img.complete && img.naturalWidth > 0"), "neuron.svg not loaded"
    assert problems == []
    page.close()


@pytest.mark.slow
def test_tutorial_shows_its_graphs(browser: Any, server: str, artifacts: Path) -> None:
    page, problems = _open(
        browser,
        server + "notebooks/01_derivatives_and_the_chain_rule/",
        artifacts / "tutorial_01.png",
    )
    assert "Derivatives and the chain rule" in page.title()
    # the graph pictures are v.draw()'s HTML outputs: the SVG as a data: image, scaled to the
    # column (a click shows it at full size)
    graphs = page.locator("article .agc-graph img[src^='data:image/svg+xml']")
    notebook = json.loads((NOTEBOOKS / "01_derivatives_and_the_chain_rule.ipynb").read_text())
    drawn = sum(
        is_graph_picture(output) for cell in notebook["cells"] for output in cell.get("outputs", [])
    )
    assert drawn >= 3 and graphs.count() == drawn
    article = page.locator("article").bounding_box()
    assert article is not None
    for i in range(graphs.count()):
        graph = graphs.nth(i)
        graph.scroll_into_view_if_needed()
        assert graph.is_visible()
        box = graph.bounding_box()
        assert box is not None  # inside the text column, not cut off at its edge
        assert box["x"] + box["width"] <= article["x"] + article["width"] + 1, (i, box, article)
        assert graph.evaluate("img => img.complete && img.naturalWidth > 0"), f"graph {i}"
        width, height = _visible_size(graph)
        assert width > 50 and height > 30, f"graph {i} is {width}×{height}"
    # the matplotlib figures are PNG images
    figures = page.locator("article img[src^='data:image/png']")
    assert figures.count() >= 3
    assert all(_visible_size(figures.nth(i))[0] > 100 for i in range(figures.count()))
    assert problems == []
    page.close()


@pytest.mark.slow
def test_concept_page_and_op_table(browser: Any, server: str, artifacts: Path) -> None:
    # pictures drawn at build time by docs/hooks/site.py, and the op table read from the library
    import autograd_core as ag

    page, problems = _open(browser, server + "concepts/backward/", artifacts / "backward.png")
    pictures = page.locator("article img[src*='assets/graphs/']")
    assert pictures.count() == 3
    for i in range(pictures.count()):
        picture = pictures.nth(i)
        picture.scroll_into_view_if_needed()
        assert picture.evaluate("img => img.complete && img.naturalWidth > 0")
        assert _visible_size(picture)[0] > 100
    assert problems == []
    page.close()

    page, problems = _open(browser, server + "reference/operations/", artifacts / "ops.png")
    rows = page.locator("article table tbody tr")
    names = [rows.nth(i).locator("td").first.inner_text() for i in range(rows.count())]
    # the site is built in its own process: its table has the built-in rows (each one a constant
    # of autograd_core.ops, ADD for "add"), not the ops that examples run here have registered
    built_in = [op.name for op in ag.ops.all_ops() if getattr(ag.ops, op.name.upper(), None) is op]
    assert len(built_in) >= 20
    assert names == built_in
    assert "lambda out, a, b: (b, a)" in page.locator("article table").inner_text()
    assert problems == []
    page.close()


def test_the_graph_tutorial_fits_the_docs_column(
    browser: Any, server: str, artifacts: Path
) -> None:
    # issue 24: on the site the column is about 550 px wide; the step-through frame was 574 px
    # with its inputs and legend cut off, and the collapsed MLP's numbers could not be read
    page, problems = _open(
        browser, server + "notebooks/02_seeing_the_graph/", artifacts / "tutorial_02.png"
    )
    article = page.locator("article").bounding_box()
    assert article is not None
    right = article["x"] + article["width"] + 1
    frames = page.locator("article iframe")
    assert frames.count() >= 1
    for i in range(frames.count()):
        frame = frames.nth(i)
        frame.scroll_into_view_if_needed()
        box = frame.bounding_box()
        assert box is not None and box["x"] + box["width"] <= right, (i, box, article)
    first = frames.first
    first.scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    first.screenshot(path=str(artifacts / "tutorial_02_stepthrough.png"))
    graphs = page.locator("article .agc-graph img")
    assert graphs.count() >= 3
    for i in range(graphs.count()):
        box = graphs.nth(i).bounding_box()
        assert box is not None and box["x"] + box["width"] <= right, (i, box, article)
    assert problems == [], problems
