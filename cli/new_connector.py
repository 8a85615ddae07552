"""`charter new connector NAME`: a connector package whose contract suite passes on day one.

The package is rendered from the templates shipped in charter.cli's package data
(cli/templates/connector/); its TODOs say what to replace next.
"""

from __future__ import annotations

import keyword
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from importlib.abc import Traversable
from importlib.metadata import entry_points
from importlib.resources import files
from importlib.util import find_spec
from pathlib import Path, PurePosixPath
from string import Template
from typing import Annotated, ClassVar

import typer

from charter.cli.output import console
from charter.schemas import ValidationError

NAME = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
MAX_NAME = 32
CONNECTOR_GROUP = "charter.connectors"
PROVIDER_GROUP = "charter.providers"
TEMPLATE_SUFFIX = ".tmpl"
ROOT = PurePosixPath()

new_app = typer.Typer(help="Start a new package from Charter's templates.", no_args_is_help=True)


class ConnectorNameRefused(ValidationError):
    """The name given to `charter new connector` cannot name a new connector; nothing was written."""

    code: ClassVar[str] = "connector_name_refused"


def check_name(name: str) -> None:
    """Refuse a name that is not a short lowercase identifier, or that an installed connector holds."""
    if len(name) > MAX_NAME or not NAME.fullmatch(name) or keyword.iskeyword(name):
        raise ConnectorNameRefused(
            f"{name!r} cannot name a connector: use lowercase letters, digits and single underscores, "
            f"starting with a letter, at most {MAX_NAME} characters (e.g. 'acme_crm')"
        )
    taken = {ep.name for group in (CONNECTOR_GROUP, PROVIDER_GROUP) for ep in entry_points(group=group)}
    from charter.auth.providers import PROVIDERS

    if name in taken or name in PROVIDERS:
        raise ConnectorNameRefused(
            f"a connector or provider called {name!r} is already installed; choose another name"
        )
    if find_spec(package_name(name)) is not None:
        raise ConnectorNameRefused(
            f"a package {package_name(name)} is already installed; choose another name"
        )


def package_name(name: str) -> str:
    return f"charter_{name}"


def substitutions(name: str) -> dict[str, str]:
    """What the templates' `${...}` placeholders stand for."""
    words = name.split("_")
    return {
        "name": name,
        "NAME": name.upper(),
        "Name": "".join(w.capitalize() for w in words),
        "Title": " ".join(w.capitalize() for w in words),
        "package": package_name(name),
        "dist": f"charter-{name.replace('_', '-')}",
    }


def _templates(
    root: Traversable, under: PurePosixPath = PurePosixPath()
) -> Iterator[tuple[PurePosixPath, str]]:
    for entry in root.iterdir():
        if entry.is_dir():
            yield from _templates(entry, under / entry.name)
        elif entry.name.endswith(TEMPLATE_SUFFIX):
            yield under / entry.name.removesuffix(TEMPLATE_SUFFIX), entry.read_text(encoding="utf-8")


def render(name: str) -> dict[PurePosixPath, str]:
    """Each file of the new package, by path inside it."""
    values = substitutions(name)
    rendered: dict[PurePosixPath, str] = {}
    for path, text in _templates(files("charter.cli") / "templates" / "connector"):
        parts = [values["package"] if part == "package" else part for part in path.parts]
        rendered[PurePosixPath(*parts)] = Template(text).substitute(values)
    return rendered


def scaffold(name: str, parent: Path) -> Path:
    """Write the package for connector `name` under `parent`; returns its folder."""
    check_name(name)
    target = parent / substitutions(name)["dist"]
    if target.exists():
        raise ConnectorNameRefused(f"{target} already exists; remove it or choose another --dir")
    parent.mkdir(parents=True, exist_ok=True)
    # Written aside, then renamed into place: an error leaves nothing half-written.
    staging = Path(tempfile.mkdtemp(prefix=".charter-new-", dir=parent))
    try:
        for path, text in render(name).items():
            (staging / path).parent.mkdir(parents=True, exist_ok=True)
            (staging / path).write_text(text, encoding="utf-8")
        os.rename(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


@new_app.command("connector")
def new_connector_command(
    name: Annotated[str, typer.Argument(help="The connector's name, e.g. acme_crm.")],
    directory: Annotated[
        Path, typer.Option("--dir", help="Where to create the package folder (default: here).")
    ] = Path("."),
) -> None:
    """Create a connector package (connector, models, sandbox, harness, a test) that passes the suite."""
    target = scaffold(name, directory)
    console.print(f"created {target}", soft_wrap=True)
    console.print(f"next: pip install -e {target}; pytest {target}; then its TODOs", soft_wrap=True)


__all__ = ["ConnectorNameRefused", "check_name", "new_app", "render", "scaffold"]
