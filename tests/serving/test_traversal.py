"""A traversal corpus: nothing outside a published site is ever served, whatever the encoding."""

from __future__ import annotations

import os

import pytest

SPHINX = "/docs/shelf-sphinx"
SECRET = "TOP-SECRET-CONTENT-OUTSIDE-THE-SITE"

CORPUS = [
    "/en/latest/../../../../etc/passwd",
    "/en/latest/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "/en/latest/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
    "/en/latest/..%2f..%2f..%2fsecret.txt",
    "/en/latest/%2e%2e%5c%2e%2e%5csecret.txt",
    "/en/latest/..\\..\\secret.txt",
    "/en/latest/guide.html%00.png",
    "/en/latest/%00",
    "/en/latest/./../1.0/guide.html",
    "/en/..%2f..%2f/secret.txt",
    "/en/%2e%2e/latest/",
    "/%2e%2e/%2e%2e/secret.txt",
    "/en/latest/%252e%252e/%252e%252e/secret.txt",
    "/en/latest/..%c0%af..%c0%afsecret.txt",
    "/en/latest/%2fetc%2fpasswd",
    "/en/latest//etc/passwd",
    "/en/latest/sub/%2e%2e/%2e%2e/%2e%2e/%2e%2e/secret.txt",
    "/en/latest/%0d%0aX-Injected:%20yes",
]


@pytest.fixture
def planted(sites, tmp_path):
    """A secret next to the storage, and symlinks in the built output pointing at it and beyond."""
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "index.html").write_text(SECRET)
    html = sites.html(sites.sphinx, "latest")
    os.symlink(secret, os.path.join(html, "leak.html"))
    os.symlink(outside, os.path.join(html, "leakdir"))
    os.symlink("/etc/passwd", os.path.join(html, "_static", "passwd.css"))
    os.symlink(os.path.join(html, "guide.html"), os.path.join(html, "alias.html"))  # inside: fine
    return secret


@pytest.mark.parametrize("path", CORPUS)
def test_traversal_corpus_is_refused(client, planted, path):
    response = client.get(SPHINX + path)
    assert response.status_code in (400, 404), (path, response.status_code, response.headers.get("Location"))
    assert SECRET not in response.text and "root:x:0:0" not in response.text
    assert "X-Injected" not in response.headers


@pytest.mark.parametrize(
    "path",
    [
        "/en/latest/leak.html",
        "/en/latest/leakdir/",
        "/en/latest/leakdir/index.html",
        "/en/latest/_static/passwd.css",
    ],
)
def test_symlinks_out_of_the_site_are_not_followed(client, planted, path):
    response = client.get(SPHINX + path)
    assert response.status_code == 404 and SECRET not in response.text and "root:x:0:0" not in response.text


def test_symlinks_inside_the_site_are_served(client, planted):
    response = client.get(f"{SPHINX}/en/latest/alias.html")
    assert response.status_code == 200 and "The guide of Main branch" in response.text


def test_malformed_paths_get_a_400_page_or_problem(client, planted):
    page = client.get(f"{SPHINX}/en/latest/%2e%2e/x")
    assert page.status_code == 400 and page.mimetype == "text/html"
    problem = client.get(f"{SPHINX}/en/latest/%2e%2e/x", headers={"Accept": "application/json"})
    assert problem.status_code == 400 and problem.json["code"] == "invalid_path"


def test_tarball_and_downloads_stay_inside_the_site(client, planted):
    import io
    import tarfile

    response = client.get("/_/downloads/shelf-sphinx/en/latest/tar.gz/")
    assert response.status_code == 200
    with tarfile.open(fileobj=io.BytesIO(response.data), mode="r:gz") as archive:
        names = archive.getnames()
        files = [archive.extractfile(m) for m in archive.getmembers() if m.isfile()]
        contents = b"".join(f.read() for f in files if f is not None)
    assert "shelf-sphinx-latest/alias.html" in names
    assert not any("leak" in n or "passwd" in n for n in names)
    assert SECRET.encode() not in contents
    for path in (
        "/_/downloads/shelf-sphinx/en/..%2f..%2f/htmlzip/",
        "/_/downloads/%2e%2e/en/latest/htmlzip/",
    ):
        assert client.get(path).status_code == 404


def test_downloads_that_are_links_out_or_special_files_are_404(client, planted, sites):
    # publishing copies only regular files now; storage written by an older Docshelf may still hold these
    downloads = os.path.join(sites.app.config["STORAGE_DIR"], "shelf-sphinx", "latest", "downloads")
    os.remove(os.path.join(downloads, "shelf-sphinx.epub"))
    os.mkfifo(os.path.join(downloads, "shelf-sphinx.epub"))  # would block a sender forever
    os.remove(os.path.join(downloads, "shelf-sphinx.zip"))
    os.symlink(planted, os.path.join(downloads, "shelf-sphinx.zip"))
    for fmt in ("epub", "htmlzip"):
        response = client.get(f"/_/downloads/shelf-sphinx/en/latest/{fmt}/")
        assert response.status_code == 404 and SECRET not in response.text


def test_addons_url_cannot_escape(client, planted):
    response = client.get(
        "/_/addons/", query_string={"url": f"http://docs.localhost{SPHINX}/en/latest/%2e%2e/%2e%2e/"}
    )
    assert response.status_code in (400, 404)
