"""The widget manager of the static site: ``@jupyter-widgets/html-manager``, pinned, fetched with npm.

The site's sliders are ipywidgets rendered from the notebooks' saved widget state. The Jupyter
project publishes the script that does that, ``embed.js`` (no require.js needed), only on the npm
registry — no PyPI package ships it — so ``make site`` runs ``npm pack`` for one pinned version,
checks the tarball against the registry's sha512 recorded here, and copies ``embed.js`` and its font
files into the site. The tarball is cached in ``.cache/`` (git-ignored): later builds need no network.
"""

from __future__ import annotations

import base64
import hashlib
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

__all__ = ["INTEGRITY", "PACKAGE", "VERSION", "copy_into", "tarball"]

PACKAGE = "@jupyter-widgets/html-manager"
VERSION = "1.0.15"
# `npm view @jupyter-widgets/html-manager@1.0.15 dist.integrity`
INTEGRITY = "sha512-5thBIV6ymNgmPVOHvzx+gGy8ZSKmSazhtGw4/c4xJDVzRhG9PTeQsRjF3FUTopvFi//SABeNz1yp47bCrJ3CQA=="
CACHE = Path(__file__).resolve().parents[1] / ".cache" / "npm"
# embed.js and the Font Awesome files its CSS asks for, next to it; not the AMD builds or source maps.
KEEP = (".woff2", ".woff", ".ttf", ".eot", ".svg")


def _verified(path: Path) -> bool:
    digest = base64.b64encode(hashlib.sha512(path.read_bytes()).digest()).decode()
    return f"sha512-{digest}" == INTEGRITY


def tarball(cache: Path = CACHE) -> Path:
    """The verified npm tarball of ``PACKAGE@VERSION``: from ``cache``, or fetched with ``npm pack``."""
    path = cache / f"jupyter-widgets-html-manager-{VERSION}.tgz"
    if path.exists() and _verified(path):
        return path
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError(
            f"make site needs npm to fetch {PACKAGE}@{VERSION} (the sliders' widget manager): "
            "install Node.js and npm (Debian: apt-get install nodejs npm), then run it again"
        )
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache) as tmp:
        done = subprocess.run(
            [npm, "pack", f"{PACKAGE}@{VERSION}", "--pack-destination", tmp, "--silent"],
            capture_output=True,
            text=True,
            timeout=300,
        )
        fetched = Path(tmp) / path.name
        if done.returncode != 0 or not fetched.exists():
            raise RuntimeError(f"npm pack {PACKAGE}@{VERSION} failed:\n{done.stderr.strip()}")
        if not _verified(fetched):
            raise RuntimeError(
                f"{fetched.name} does not match the pinned sha512 in {__file__}: refusing to use it"
            )
        fetched.replace(path)  # atomic: a cache entry is either whole and verified, or absent
    return path


def copy_into(folder: Path, cache: Path = CACHE) -> Path:
    """Copy ``embed.js`` and its fonts into ``folder``; returns the path of ``embed.js``."""
    folder.mkdir(parents=True, exist_ok=True)
    with tarfile.open(tarball(cache)) as tar:
        for member in tar.getmembers():
            name = Path(member.name)
            if (
                member.isfile()
                and name.parent == Path("package/dist")
                and (name.name == "embed.js" or name.suffix in KEEP)
            ):
                source = tar.extractfile(member)
                assert source is not None  # a regular file always has contents
                (folder / name.name).write_bytes(source.read())
    return folder / "embed.js"
