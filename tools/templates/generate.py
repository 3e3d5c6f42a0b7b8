"""Render the bundled script templates (resources/templates/) from one source per script kind.

Why: the four dialects' scripts differ by a few lines of SQL, so eight hand-kept copies of a script
meant that a fix had to be made in eight files. Here each language has a folder,
`tools/templates/<language>/`, holding `language.toml` (where its rendered files go, optional
per-dialect data) and one Jinja2 source per script kind, `<mode>/<file>.j2`; files whose name starts
with "_" are shared pieces that sources include. Every source is rendered once per dialect with that
dialect's data from `dialects.toml` (the SQL that differs), plus `dialect`, `mode`, `key` and
`language`. The rendered files are committed (the app and the frozen bundle read them as they are);
tests/tools/test_templates_generated.py fails when they differ from what this renders.

    python tools/templates/generate.py           write every template (`make templates`)
    python tools/templates/generate.py --check   name each file that differs, is missing or is not
                                                 generated, and exit 1 if there is any
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from pathlib import Path

import jinja2

SOURCES = Path(__file__).resolve().parent
OUTPUT = SOURCES.parent.parent / "resources" / "templates"


def load_dialects(sources: Path = SOURCES) -> dict[str, dict[str, str]]:
    """dialect name -> its data, in the order dialects.toml lists them."""
    with open(sources / "dialects.toml", "rb") as f:
        return tomllib.load(f)


def languages(sources: Path = SOURCES) -> list[str]:
    """Every folder with a language.toml is a language whose templates are generated."""
    return sorted(p.parent.name for p in sources.glob("*/language.toml"))


def _language_config(language: str, sources: Path) -> dict:
    with open(sources / language / "language.toml", "rb") as f:
        config = tomllib.load(f)
    if "output" not in config:
        raise ValueError(f"{language}/language.toml: `output` is missing")
    return config


def _sources_of(language_dir: Path) -> list[Path]:
    return sorted(
        p for p in language_dir.rglob("*.j2") if not p.name.startswith("_") and p.parent != language_dir
    )


def render_language(language: str, sources: Path = SOURCES) -> dict[str, str]:
    """Output path (relative to resources/templates, POSIX) -> rendered text, for one language."""
    config = _language_config(language, sources)
    shared = load_dialects(sources)
    overrides: dict[str, dict] = config.get("dialects", {})
    wanted = config.get("only_dialects", list(shared))
    language_dir = sources / language
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(language_dir),
        undefined=jinja2.StrictUndefined,  # a name missing from the data fails, never renders empty
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )
    rendered: dict[str, str] = {}
    for source in _sources_of(language_dir):
        relative = source.relative_to(language_dir)
        mode, name = relative.parent.as_posix(), source.name.removesuffix(".j2")
        template = env.get_template(relative.as_posix())
        for dialect in wanted:
            if dialect not in shared and dialect not in overrides:  # a language may add its own (mongodb)
                raise ValueError(f"{language}/language.toml names unknown dialect {dialect!r}")
            data = {**shared.get(dialect, {}), **overrides.get(dialect, {})}
            context = {**data, "dialect": dialect, "mode": mode, "key": name.split(".")[0],
                       "language": language}
            out = config["output"].format(dialect=dialect, mode=mode, name=name)
            rendered[out] = template.render(context)
    return rendered


def render_all(sources: Path = SOURCES) -> dict[str, str]:
    """Every language's rendered templates."""
    rendered: dict[str, str] = {}
    for language in languages(sources):
        rendered.update(render_language(language, sources))
    return rendered


def _strays(language: str, sources: Path, output: Path, rendered: dict[str, str]) -> list[str]:
    """Files where this language's templates go that no source renders (a hand-added copy)."""
    config = _language_config(language, sources)
    suffixes = {Path(p.name.removesuffix(".j2")).suffix for p in _sources_of(sources / language)}
    pattern = config["output"].format(dialect="*", mode="*", name="*")
    return sorted(
        p.relative_to(output).as_posix()
        for p in output.glob(pattern)
        if p.suffix in suffixes and p.relative_to(output).as_posix() not in rendered
    )


def differences(sources: Path = SOURCES, output: Path = OUTPUT) -> list[str]:
    """One line per committed file that is not exactly what the sources render."""
    problems: list[str] = []
    for language in languages(sources):
        rendered = render_language(language, sources)
        for relative, text in rendered.items():
            path = output / relative
            if not path.exists():
                problems.append(f"{relative}: missing")
            elif path.read_bytes() != text.encode("utf-8"):
                problems.append(f"{relative}: differs from what tools/templates/{language} renders")
        problems += [f"{s}: not generated (no source in tools/templates/{language})"
                     for s in _strays(language, sources, output, rendered)]
    return problems


def write_all(sources: Path = SOURCES, output: Path = OUTPUT) -> list[str]:
    """Write every rendered template whose text changed; the paths written."""
    written: list[str] = []
    for relative, text in render_all(sources).items():
        path = output / relative
        if path.exists() and path.read_bytes() == text.encode("utf-8"):
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
        written.append(relative)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="report differences, write nothing")
    args = parser.parse_args(argv)
    if args.check:
        problems = differences()
        for line in problems:
            print(line, file=sys.stderr)
        if problems:
            print("edit the sources under tools/templates/ and run `make templates`", file=sys.stderr)
        return 1 if problems else 0
    for relative in write_all():
        print(f"wrote resources/templates/{relative}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
