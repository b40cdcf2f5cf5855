"""Publishing a hostile build's output: no link is followed, no special file is copied (issue 12).

The output tree is made on disk the way a hostile ``conf.py`` or ``build.commands`` could leave it:
links to a secret file and directory outside, a FIFO, a socket, a device node, and the output or html
directory itself replaced by a link. Every test checks the published tree and archives byte for byte.
"""

from __future__ import annotations

import os
import socket
import stat
import tempfile
import zipfile
from pathlib import Path

import pytest

from workers import publish
from workers.recorder import BuildFailed

SECRET = b"THE-SERVER-SECRET-KEY-0123456789"


@pytest.fixture
def layout(tmp_path: Path) -> dict[str, Path]:
    """A data directory's build workdir (trusted), its output, storage, and secrets outside both."""
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "secret_key").write_bytes(SECRET)
    (secrets / "inner").mkdir()
    (secrets / "inner" / "key.html").write_bytes(SECRET)
    workdir = tmp_path / "data" / "builds" / "7"
    output = workdir / "checkout" / "_readthedocs"
    (output / "html").mkdir(parents=True)
    return {"secrets": secrets, "workdir": workdir, "output": output, "storage": tmp_path / "storage"}


def _hostile_html(layout: dict[str, Path]) -> Path:
    html, secrets = layout["output"] / "html", layout["secrets"]
    (html / "index.html").write_text("<h1>Welcome</h1>")
    (html / "sub").mkdir()
    (html / "sub" / "page.html").write_text("<p>page</p>")
    (html / "empty").mkdir()
    (html / "key.html").symlink_to(secrets / "secret_key")
    (html / "relative.html").symlink_to(os.path.relpath(secrets / "secret_key", html))
    (html / "linked").symlink_to(secrets / "inner", target_is_directory=True)
    (html / "sub" / "up").symlink_to("..")
    os.mkfifo(html / "fifo.html")
    with socket.socket(socket.AF_UNIX) as sock:  # bound where the path is short, then moved in
        short = tempfile.mkdtemp()
        sock.bind(os.path.join(short, "s"))
        os.rename(os.path.join(short, "s"), html / "socket.html")
        os.rmdir(short)
    if os.geteuid() == 0:  # a device node needs CAP_MKNOD
        os.mknod(html / "null.html", 0o644 | stat.S_IFCHR, os.makedev(1, 3))
    return html


def _tree(root: Path) -> dict[str, bytes | None]:
    """Every entry below ``root``: files with their bytes, directories as None; links would fail."""
    out: dict[str, bytes | None] = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder) / name
            mode = path.lstat().st_mode
            assert stat.S_ISDIR(mode) or stat.S_ISREG(mode), f"{path} is neither a file nor a directory"
            out[str(path.relative_to(root))] = None if stat.S_ISDIR(mode) else path.read_bytes()
    return out


def test_only_directories_and_regular_files_are_published(layout):
    html = _hostile_html(layout)
    zipped = layout["output"] / "htmlzip" / "p.zip"
    publish.make_htmlzip(str(html), str(zipped), "p-latest", root=str(layout["workdir"]))
    result = publish.publish("p", "latest", str(html), {"htmlzip": str(zipped)}, 7,
                             storage_dir=str(layout["storage"]), root=str(layout["workdir"]))
    live = Path(os.fspath(result))
    assert _tree(live / "html") == {"index.html": b"<h1>Welcome</h1>", "sub": None,
                                    "sub/page.html": b"<p>page</p>", "empty": None}
    assert result.files == 2 and result.downloads == ["htmlzip"]
    left_out = {"key.html", "relative.html", "linked", "sub/up", "fifo.html", "socket.html"}
    if os.geteuid() == 0:
        left_out.add("null.html")
    assert result.skipped.count == len(left_out) and set(result.skipped.examples) == left_out
    assert f"Left out {len(left_out)} entries" in result.summary()
    with zipfile.ZipFile(live / "downloads" / "p.zip") as archive:
        assert sorted(archive.namelist()) == ["p-latest/index.html", "p-latest/sub/page.html"]
        assert all(SECRET not in archive.read(name) for name in archive.namelist())
    for folder, _dirs, files in os.walk(live):
        for name in files:
            assert SECRET not in (Path(folder) / name).read_bytes()


def test_a_hard_link_is_a_regular_file(layout):
    # The sandbox hides host files from the build, so a hard link can only name the build's own files.
    html = layout["output"] / "html"
    (html / "index.html").write_text("home")
    os.link(html / "index.html", html / "again.html")
    result = publish.publish("p", "latest", str(html), {}, 7, storage_dir=str(layout["storage"]),
                             root=str(layout["workdir"]))
    assert _tree(Path(result.path) / "html") == {"index.html": b"home", "again.html": b"home"}
    assert os.stat(Path(result.path) / "html" / "index.html").st_ino != os.stat(html / "index.html").st_ino


def _publish_good(layout: dict[str, Path], build_id: int = 1) -> Path:
    html = layout["output"] / "html"
    (html / "index.html").write_text("the previous site")
    result = publish.publish("p", "latest", str(html), {}, build_id, storage_dir=str(layout["storage"]),
                             root=str(layout["workdir"]))
    return Path(result.path)


@pytest.mark.parametrize("root_given", [True, False])
def test_an_html_dir_that_is_a_link_publishes_nothing(layout, root_given):
    live = _publish_good(layout)
    html = layout["output"] / "html"
    (html / "index.html").unlink()
    html.rmdir()
    html.symlink_to(layout["secrets"] / "inner", target_is_directory=True)
    root = {"root": str(layout["workdir"])} if root_given else {}  # default: '/' or the data dir
    with pytest.raises(BuildFailed, match="not a directory inside the build's output"):
        publish.publish("p", "latest", str(html), {}, 2, storage_dir=str(layout["storage"]), **root)
    assert _tree(live / "html") == {"index.html": b"the previous site"}
    assert sorted(os.listdir(live.parent)) == ["latest"]  # no staging leftovers
    with pytest.raises(BuildFailed):
        publish.make_htmlzip(str(html), str(layout["output"] / "htmlzip" / "p.zip"), "p", **root)


def test_an_output_dir_that_is_a_link_publishes_nothing(layout, tmp_path):
    live = _publish_good(layout)
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "html").mkdir(parents=True)
    (elsewhere / "html" / "index.html").write_bytes(SECRET)
    output = layout["output"]
    (output / "html" / "index.html").unlink()
    (output / "html").rmdir()
    output.rmdir()
    output.symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(BuildFailed):
        publish.publish("p", "latest", str(output / "html"), {}, 2, storage_dir=str(layout["storage"]),
                        root=str(layout["workdir"]))
    assert _tree(live / "html") == {"index.html": b"the previous site"}


def test_downloads_that_are_links_or_outside_the_output_are_left_out(layout):
    html = layout["output"] / "html"
    (html / "index.html").write_text("home")
    pdf = layout["output"] / "pdf"
    pdf.mkdir()
    (pdf / "p.pdf").symlink_to(layout["secrets"] / "secret_key")
    os.mkfifo(layout["output"] / "p.epub")
    downloads = {"pdf": str(pdf / "p.pdf"), "epub": str(layout["output"] / "p.epub"),
                 "htmlzip": str(layout["secrets"] / "secret_key")}  # outside the trusted root
    result = publish.publish("p", "latest", str(html), downloads, 7, storage_dir=str(layout["storage"]),
                             root=str(layout["workdir"]))
    assert result.downloads == [] and result.skipped.count == 3
    assert os.listdir(Path(result.path) / "downloads") == []


def test_htmlzip_never_writes_through_a_link(layout):
    html = layout["output"] / "html"
    (html / "index.html").write_text("home")
    target_dir = layout["output"] / "htmlzip"
    target_dir.mkdir()
    (target_dir / "p.zip").symlink_to(layout["secrets"] / "secret_key")
    publish.make_htmlzip(str(html), str(target_dir / "p.zip"), "p-latest", root=str(layout["workdir"]))
    assert (layout["secrets"] / "secret_key").read_bytes() == SECRET  # the link was replaced, not followed
    assert zipfile.ZipFile(target_dir / "p.zip").namelist() == ["p-latest/index.html"]

    (target_dir / "p.zip").unlink()
    target_dir.rmdir()
    target_dir.symlink_to(layout["secrets"], target_is_directory=True)  # the folder itself a link
    with pytest.raises(BuildFailed, match="Cannot write p.zip"):
        publish.make_htmlzip(str(html), str(target_dir / "p.zip"), "p-latest", root=str(layout["workdir"]))
    assert sorted(os.listdir(layout["secrets"])) == ["inner", "secret_key"]
