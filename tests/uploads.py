"""Sites built "elsewhere" for the upload tests: files on disk, their manifest, and a client that sends
the missing ones through the API the way the CLI does."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

PAGE = """<!DOCTYPE html><html><head><title>{title}</title></head><body>
<div role="main"><section id="{anchor}"><h1>{title}</h1><p>{text}</p></section></div></body></html>
"""


def make_site(root: Path, files: int = 300, word: str = "zanzibarite") -> Path:
    """``files`` regular files: an index, pages (one of which says ``word``), stylesheets, an image."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "index.html").write_text(PAGE.format(title="Home", anchor="home", text="Welcome home."))
    (root / "_static").mkdir(exist_ok=True)
    (root / "_static" / "logo.png").write_bytes(bytes(range(256)) * 4)
    (root / "guide").mkdir(exist_ok=True)
    for n in range(files - 2):
        if n % 10 == 9:
            (root / "_static" / f"style-{n}.css").write_text(f"body {{ margin: {n}px; }}\n")
            continue
        text = f"Page {n} explains part {n} of the guide." + (f" It mentions {word}." if n == 7 else "")
        page = PAGE.format(title=f"Page {n}", anchor=f"s{n}", text=text)
        (root / "guide" / f"page-{n}.html").write_text(page)
    return root


def manifest(root: Path) -> list[dict[str, Any]]:
    out = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        data = path.read_bytes()
        out.append({"path": path.relative_to(root).as_posix(), "size": len(data),
                    "sha256": hashlib.sha256(data).hexdigest()})
    return out


def send_missing(client: Any, root: Path, upload: dict[str, Any], headers: dict[str, str]) -> int:
    """PUT every missing file to its Docshelf URL; returns how many were sent."""
    for item in upload["missing"]:
        assert item["upload_to"] == "docshelf"
        data = (root / item["paths"][0]).read_bytes()
        answer = client.put(item["upload_url"], data=data, headers=headers,
                            content_type="application/octet-stream")
        assert answer.status_code == 200, answer.get_data(as_text=True)
    return len(upload["missing"])
