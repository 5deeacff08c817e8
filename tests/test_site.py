"""The built site: both languages, every image and Colab link resolves, figures are listed and local."""

from __future__ import annotations

import hashlib
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import yaml

ROOT = Path(__file__).resolve().parents[1]

COLAB = "https://colab.research.google.com/github/"


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def tags(path: Path) -> list[tuple[str, dict]]:
    parser = _Tags()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.tags


def html_pages(site: Path) -> list[Path]:
    return sorted(p for p in site.rglob("*.html") if p.name != "404.html")


def mkdocs_config() -> dict:
    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("tag:yaml.org,2002:python/", lambda loader, suffix, node: None)
    return yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=Loader)


def test_both_languages_are_built_page_for_page(built_site):
    ja = {p.relative_to(built_site) for p in html_pages(built_site) if p.relative_to(built_site).parts[0] != "en"}
    en = {p.relative_to(built_site / "en") for p in html_pages(built_site / "en")}
    assert ja == en, f"pages only in ja: {sorted(ja - en)}; only in en: {sorted(en - ja)}"
    for lang, page in (("ja", built_site / "index.html"), ("en", built_site / "en" / "index.html")):
        assert f'<html lang="{lang}"' in page.read_text(encoding="utf-8")


def test_every_image_resolves_to_a_file(built_site):
    missing = []
    for page in html_pages(built_site):
        base = "/" + page.relative_to(built_site).as_posix()
        for tag, attrs in tags(page):
            if tag != "img" or not attrs.get("src"):
                continue
            src = attrs["src"]
            assert not src.startswith(("http:", "https:", "//")), f"{page}: image from another host: {src}"
            if src.startswith("data:"):
                continue
            target = built_site / unquote(urlsplit(urljoin(base, src)).path).lstrip("/")
            if not target.is_file():
                missing.append(f"{page.relative_to(built_site)}: {src}")
    assert not missing, "images that resolve to no file:\n" + "\n".join(missing)


def test_no_page_loads_anything_from_another_host(built_site):
    offenders = []
    for page in html_pages(built_site):
        for tag, attrs in tags(page):
            # <link rel="canonical"> names the page's public address; it is not fetched
            fetched_link = tag == "link" and attrs.get("rel") not in ("canonical",)
            url = attrs.get("src") if tag in ("script", "img", "iframe") else attrs.get("href") if fetched_link else None
            if url and urlsplit(url).netloc:
                offenders.append(f"{page.relative_to(built_site)}: <{tag}> {url}")
    assert not offenders, "\n".join(offenders)


def test_colab_links_point_to_notebooks_in_the_repository(built_site):
    config = mkdocs_config()
    owner_repo = urlsplit(config["repo_url"]).path.strip("/")
    branch = config["extra"]["branch"]
    found = 0
    for page in html_pages(built_site):
        for tag, attrs in tags(page):
            href = attrs.get("href", "")
            if tag == "a" and href.startswith(COLAB):
                found += 1
                prefix = f"{COLAB}{owner_repo}/blob/{branch}/"
                assert href.startswith(prefix), f"{page}: {href} is not built from repo_url and branch"
                path = href.removeprefix(prefix)
                assert (ROOT / path).is_file(), f"{page}: Colab link to {path}, which is not in the repository"
                assert "rel" in attrs and "noopener" in attrs["rel"]
    assert found >= 2, "no Colab badge found on the lecture pages"


def test_lecture_pages_show_their_badge_and_notebook_page(built_site):
    for lang, prefix in (("ja", ""), ("en", "en/")):
        page = built_site / prefix / "lectures" / "02-learning-from-data" / "index.html"
        html = page.read_text(encoding="utf-8")
        assert COLAB in html and "colab-badge.svg" in html
        assert (built_site / prefix / "notebooks" / "02-learning-from-data" / "index.html").is_file()


def test_notebook_pages_render_as_html_not_json(built_site):
    for prefix in ("", "en/"):
        html = (built_site / prefix / "notebooks" / "02-learning-from-data" / "index.html").read_text(encoding="utf-8")
        assert "jupyter-wrapper" in html
        assert '"cell_type"' not in html
        assert "celltag_lang-ja" in html and "celltag_lang-en" in html


def test_notebook_pages_share_their_stylesheets(built_site):
    sheets = set()
    for page in sorted(built_site.glob("**/notebooks/*/index.html")):
        html = page.read_text(encoding="utf-8")
        rel = page.relative_to(built_site).as_posix()
        inline = max((len(css) for css in re.findall(r"<style[^>]*>(.*?)</style>", html, re.S)), default=0)
        assert inline < 4096, f"{rel}: {inline} bytes of inline CSS"
        # Executed outputs embed their plots as data: URLs; the page around them stays light.
        text = re.sub(r'data:image/[a-z+]+;base64,[A-Za-z0-9+/=]+', "", html)
        assert len(text.encode("utf-8")) < 200_000, f"{rel}: {len(text) // 1024} KB of HTML besides its plots"
        assert len(html.encode("utf-8")) < 1_500_000, f"{rel}: {len(html) // 1024} KB with its plots (target ≤ 1.5 MB)"
        links = re.findall(r'<link rel="stylesheet" href="([^"]*notebook-[0-9a-f]{12}\.css)">', html)
        assert links, f"{rel}: no shared notebook stylesheet"
        for href in links:
            target = (page.parent / href).resolve()
            assert target.is_file(), f"{rel}: {href} does not exist"
            sheets.add(target.name)
    assert 1 <= len(sheets) <= 6, sheets  # the same few files for every notebook page


def test_navigation_speaks_the_page_language(built_site):
    syllabus = yaml.safe_load((ROOT / "docs" / "_data" / "syllabus.yml").read_text(encoding="utf-8"))
    nav = lambda html: re.search(r'<nav class="md-nav md-nav--primary".*?</nav>\s*</div>', html, re.S).group(0)  # noqa: E731
    ja = nav((built_site / "lectures" / "02-learning-from-data" / "index.html").read_text(encoding="utf-8"))
    en = nav((built_site / "en" / "lectures" / "02-learning-from-data" / "index.html").read_text(encoding="utf-8"))
    for part in syllabus["parts"]:
        assert part["title"]["ja"] in ja, part
        assert part["title"]["en"] in en and part["title"]["ja"] not in en, part
    assert re.search(r">\s*ホーム\s*<", ja) and re.search(r">\s*Home\s*<", en) and "ホーム" not in en


def test_the_language_switcher_leads_to_the_same_page(built_site):
    for page in html_pages(built_site):
        rel = page.relative_to(built_site).as_posix()
        is_en = rel.startswith("en/")
        twin = rel.removeprefix("en/") if is_en else f"en/{rel}"
        links = {a["hreflang"]: a["href"] for t, a in tags(page) if t == "a" and "md-select__link" in a.get("class", "")}
        target = links["ja" if is_en else "en"]
        resolved = urljoin("/" + rel, target)
        resolved = resolved + "index.html" if resolved.endswith("/") else resolved
        assert resolved == "/" + twin, f"{rel}: switcher goes to {resolved}, expected /{twin}"


def test_math_is_typeset_by_the_build(built_site):
    with_math = []
    for page in sorted(built_site.rglob("index.html")):
        html = page.read_text(encoding="utf-8")
        rel = page.relative_to(built_site).as_posix()
        has_math = 'class="katex"' in html
        assert ("katex.min.css" in html) == has_math, f"{rel}: KaTeX's stylesheet linked {'without' if not has_math else 'but no'} math"
        assert "katex.min.js" not in html and "auto-render" not in html, f"{rel}: ships a math script"
        for span in re.findall(r'<(?:span|div) class="arithmatex">(.{0,20})', html):
            assert span.startswith('<span class="katex'), f"{rel}: math left for the browser: {span!r}"
        with_math += [rel] if has_math else []
    assert "lectures/02-learning-from-data/index.html" in with_math
    assert "en/notebooks/12-score-sde/index.html" in with_math
    assert (built_site / "assets" / "katex" / "katex.min.css").is_file()
    assert not (built_site / "assets" / "katex" / "katex.min.js").exists()


def test_manifest_lists_every_figure_with_its_hash(built_site):
    manifest = json.loads((built_site / "figures.json").read_text(encoding="utf-8"))
    assert manifest["profile"] == "quick"
    names = {(f["name"], f["language"]) for f in manifest["figures"]}
    assert {("loss-curve", "ja"), ("loss-curve", "en"), ("learning-loop", "ja")} <= names
    for fig in manifest["figures"]:
        path = built_site / fig["file"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == fig["sha256"], fig["file"]
        assert (ROOT / fig["source"]).is_file(), fig["source"]
        assert fig["profile"] == "quick"


def test_quoted_numbers_come_from_the_run(built_site):
    manifest = json.loads((built_site / "figures.json").read_text(encoding="utf-8"))
    assert manifest["figures"]
    html = (built_site / "en" / "lectures" / "02-learning-from-data" / "index.html").read_text(encoding="utf-8")
    assert "{{" not in html
    entry = next((ROOT / ".cache" / "figures" / "learning-from-data").glob("quick-*/entry.json"))
    values = json.loads(entry.read_text(encoding="utf-8"))["values"]
    for key in ("parameters", "final_val_loss", "final_val_accuracy"):
        assert values[key]["en"] in html, key


def test_syllabus_lists_all_lectures_and_links_only_written_ones(built_site):
    html = (built_site / "syllabus" / "index.html").read_text(encoding="utf-8")
    written = {p.name.removesuffix(".ja.md") for p in (ROOT / "docs" / "lectures").glob("*.ja.md")}
    for n in range(1, 15):
        assert re.search(rf"<td>{n:02d}</td>", html), f"lecture {n:02d} missing from the syllabus"
    for lecture in written:
        assert f'href="../lectures/{lecture}/"' in html
    assert "準備中" in html or len(written) == 14
    for nb in (ROOT / "lectures").glob("*.ipynb"):  # the notebook column: its page here, and Colab
        assert f'href="../notebooks/{nb.stem}/"' in html, f"syllabus: no link to the notebook page of {nb.stem}"
        assert f"colab.research.google.com/github/" in html and f"lectures/{nb.stem}.ipynb" in html


def test_notebook_pages_show_their_run_in_both_languages(built_site):
    pages = sorted(built_site.glob("**/notebooks/*/index.html"))
    assert len(pages) == 2 * len(list((ROOT / "lectures").glob("*.ipynb")))
    for page in pages:
        html = page.read_text(encoding="utf-8")
        rel = page.relative_to(built_site).as_posix()
        assert "jp-OutputArea-output" in html, f"{rel}: no output of the executed notebook"
        assert "No description has been provided" not in html, f"{rel}: nbconvert's English placeholder alt text"
        assert 'class="notebook-links"' in html and "colab.research.google.com" in html, f"{rel}: no Colab badge under the title"
