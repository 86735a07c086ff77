"""Every machine runs the versions the suite was tested with (constraints.txt, `make lock`)."""

import re
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==([^\s;]+)$")


def _pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = PIN.match(line)
        assert match, f"not an exact pin: {line!r}"
        pins[_normal(match.group(1))] = match.group(2)
    return pins


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirements(file: str) -> set[str]:
    names = set()
    for line in (ROOT / file).read_text().splitlines():
        line = line.split("#")[0].strip()
        if line and not line.startswith("-r"):
            names.add(_normal(re.split(r"[\[<>=!~;\s]", line, maxsplit=1)[0]))
    return names


def test_every_requirement_is_pinned():
    pins = _pins()
    missing = (_requirements("requirements.txt") | _requirements("requirements-dev.txt")) - set(pins)
    assert not missing, f"run `make lock`: {sorted(missing)} not in constraints.txt"


def test_the_installed_versions_are_the_pinned_ones():
    differing = {}
    for name, pinned in _pins().items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = None  # the tests run with the dev requirements, which is all of them
        if installed != pinned:
            differing[name] = (installed, pinned)
    assert not differing, f"installed ≠ constraints.txt (reinstall with make): {differing}"
