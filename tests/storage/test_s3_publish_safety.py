"""A hostile build's output published to object storage: the same walls as on disk (no link followed,
no special file copied, an html directory that is a link publishes nothing and leaves the pointer)."""

from __future__ import annotations

import pytest

from app import storage
from app.storage.s3 import S3Storage
from tests.storage.conftest import build_ended
from tests.workers.test_publish_safety import SECRET, _hostile_html, layout  # noqa: F401 - the fixture
from workers import publish
from workers.recorder import BuildFailed


def _objects(backend: S3Storage) -> dict[str, bytes]:
    out = {}
    for page in backend._list(backend.prefix):
        for item in page.get("Contents", []):
            body = backend.client.get_object(Bucket=backend.bucket, Key=item["Key"])["Body"]
            out[item["Key"]] = body.read()
    return out


def test_only_regular_files_reach_the_bucket(s3_settings, layout):  # noqa: F811
    html = _hostile_html(layout)
    result = publish.publish("p", "latest", str(html), {}, 7, root=str(layout["workdir"]))
    build_ended()
    backend = storage.backend()
    assert isinstance(backend, S3Storage)
    objects = _objects(backend)
    tag = backend.live_tag("p", "latest")
    marker = f"/t/{tag}/html/"
    site = {key.split(marker, 1)[1]: data for key, data in objects.items() if marker in key}
    assert site == {"index.html": b"<h1>Welcome</h1>", "sub/page.html": b"<p>page</p>"}
    assert all(SECRET not in data for data in objects.values())
    assert result.files == 2 and result.skipped.count >= 6
    for name in ("key.html", "relative.html", "linked/key.html", "sub/up/index.html", "fifo.html"):
        assert backend.find("p", "latest", name) is None, name


def test_an_html_dir_that_is_a_link_leaves_the_live_version(s3_settings, layout):  # noqa: F811
    html = layout["output"] / "html"
    (html / "index.html").write_text("the previous site")
    publish.publish("p", "latest", str(html), {}, 1, root=str(layout["workdir"]))
    build_ended()
    backend = storage.backend()
    assert isinstance(backend, S3Storage)
    before = _objects(backend)
    (html / "index.html").unlink()
    html.rmdir()
    html.symlink_to(layout["secrets"] / "inner", target_is_directory=True)
    with pytest.raises(BuildFailed, match="not a directory inside the build's output"):
        publish.publish("p", "latest", str(html), {}, 2, root=str(layout["workdir"]))
    build_ended()
    assert _objects(backend) == before
