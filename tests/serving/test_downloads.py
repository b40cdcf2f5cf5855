"""Downloads: exactly the formats the build produced, archives containing the built pages, and tar.gz."""

from __future__ import annotations

import io
import os
import tarfile
import zipfile
from urllib.parse import urlsplit

from app.extensions import db


def test_the_downloads_field_lists_exactly_what_is_served(client, sites):
    for project, expected in (("shelf-sphinx", {"htmlzip", "epub"}), ("shelf-mkdocs", {"htmlzip"})):
        for version in ("latest", "1.0"):
            downloads = client.get(f"/api/v3/projects/{project}/versions/{version}/").json["downloads"]
            assert set(downloads) == expected
            for fmt in ("htmlzip", "epub", "pdf"):
                response = client.get(f"/_/downloads/{project}/en/{version}/{fmt}/")
                if fmt in downloads:
                    assert urlsplit(downloads[fmt]).path == f"/_/downloads/{project}/en/{version}/{fmt}/"
                    assert response.status_code == 200, (project, version, fmt)
                else:
                    assert response.status_code == 404, (project, version, fmt)


def test_htmlzip_contains_the_built_pages(client, sites):
    response = client.get("/_/downloads/shelf-sphinx/en/1.0/htmlzip/")
    assert response.mimetype == "application/zip"
    assert response.headers["Content-Disposition"] == "attachment; filename=shelf-sphinx-1.0.zip"
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        assert "Release one" in archive.read("shelf-sphinx-1.0/index.html").decode()
        assert "shelf-sphinx-1.0/guide.html" in archive.namelist()
    mkdocs = client.get("/_/downloads/shelf-mkdocs/en/latest/htmlzip/")
    with zipfile.ZipFile(io.BytesIO(mkdocs.data)) as archive:
        assert "Welcome to Main branch" in archive.read("shelf-mkdocs-latest/index.html").decode()


def test_epub_is_the_built_book(client, sites):
    response = client.get("/_/downloads/shelf-sphinx/en/latest/epub/")
    assert response.mimetype == "application/epub+zip"
    with zipfile.ZipFile(io.BytesIO(response.data)) as book:
        assert book.read("mimetype") == b"application/epub+zip"
        text = b"".join(book.read(n) for n in book.namelist() if n.endswith(".xhtml")).decode()
    assert "Main branch" in text and "docshelf-addons" not in text  # no script in offline formats


def test_tarball_of_the_html(client, sites):
    response = client.get("/_/downloads/shelf-sphinx/en/1.0/tar.gz/")
    assert response.status_code == 200 and response.mimetype == "application/gzip"
    assert response.headers["Content-Disposition"] == "attachment; filename=shelf-sphinx-1.0.tar.gz"
    with tarfile.open(fileobj=io.BytesIO(response.data), mode="r:gz") as archive:
        names = set(archive.getnames())
        index = archive.extractfile("shelf-sphinx-1.0/index.html")
        assert index is not None and "Release one" in index.read().decode()
    html = sites.html(sites.sphinx, "1.0")
    expected = {
        "shelf-sphinx-1.0/" + os.path.relpath(os.path.join(folder, name), html)
        for folder, _dirs, files in os.walk(html)
        for name in files
    }
    assert names == expected
    assert all(name.startswith("shelf-sphinx-1.0/") for name in names)


def test_missing_or_unknown_downloads_are_404(client, sites):
    os.remove(
        os.path.join(
            sites.app.config["STORAGE_DIR"], "shelf-sphinx", "latest", "downloads", "shelf-sphinx.epub"
        )
    )
    assert client.get("/_/downloads/shelf-sphinx/en/latest/epub/").status_code == 404  # listed, but gone
    assert client.get("/_/downloads/shelf-sphinx/en/latest/docx/").status_code == 404
    assert client.get("/_/downloads/shelf-sphinx/en/9.9/htmlzip/").status_code == 404
    assert client.get("/_/downloads/shelf-sphinx/fr/latest/htmlzip/").status_code == 404
    assert client.get("/_/downloads/nobody/en/latest/htmlzip/").status_code == 404
    sites.version(sites.sphinx, "1.0").built_formats = ["htmlzip"]
    db.session.commit()
    assert client.get("/_/downloads/shelf-sphinx/en/1.0/epub/").status_code == 404  # on disk, not listed


def test_translations_download_under_the_main_project(client, sites):
    sites.restore("shelf-mkdocs", "shelf-mkdocs-de", language="de", main_language_project=sites.mkdocs)
    # the copied files keep the source project's download name; publish the translation's own
    downloads = os.path.join(sites.app.config["STORAGE_DIR"], "shelf-mkdocs-de", "latest", "downloads")
    os.rename(os.path.join(downloads, "shelf-mkdocs.zip"), os.path.join(downloads, "shelf-mkdocs-de.zip"))
    response = client.get("/_/downloads/shelf-mkdocs/de/latest/htmlzip/")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == "attachment; filename=shelf-mkdocs-de-latest.zip"
