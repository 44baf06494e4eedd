"""The static server: MIME types TF.js expects, CORS, loopback only, nothing outside its folders."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys

import pytest

from ml5_dcgan_tools.errors import UserError
from ml5_dcgan_tools.web.serve import LOOPBACK, StaticServer, serving


@pytest.fixture
def site(tmp_path):
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    (bundle / "manifest.json").write_text('{"model": "model.json"}')
    (bundle / "model.json").write_text("{}")
    (bundle / "group1-shard1of1.bin").write_bytes(b"\0" * 8)
    (bundle / "group1-shard1of4").write_bytes(b"\0" * 8)  # ml5's face model: no extension
    (bundle / "sketch.js").write_text("// sketch")
    (bundle / "index.html").write_text("<!DOCTYPE html>")
    (tmp_path / "secret.txt").write_text("not for the browser")
    return bundle


def request(server: StaticServer, path: str, method: str = "GET") -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection(LOOPBACK, server.server_address[1], timeout=10)
    connection.request(method, path)
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


@pytest.mark.parametrize(("path", "content_type"), [
    ("/manifest.json", "application/json"),
    ("/model.json", "application/json"),
    ("/group1-shard1of1.bin", "application/octet-stream"),
    ("/group1-shard1of4", "application/octet-stream"),
    ("/sketch.js", "text/javascript; charset=utf-8"),
    ("/", "text/html; charset=utf-8"),
])
def test_mime_types_and_cors(site, path, content_type):
    with serving([site]) as server:
        response = request(server, path)
    assert response.status == 200
    assert response.getheader("Content-Type") == content_type
    assert response.getheader("Access-Control-Allow-Origin") == "*"


def test_cors_preflight_allows_reading_only(site):
    with serving([site]) as server:
        response = request(server, "/model.json", "OPTIONS")
    assert response.status == 204
    assert response.getheader("Access-Control-Allow-Methods") == "GET, HEAD, OPTIONS"


def test_listens_on_loopback_only(site):
    with serving([site]) as server:
        assert server.server_address[0] == "127.0.0.1"
        assert server.url == f"http://127.0.0.1:{server.server_address[1]}/"


def test_nothing_outside_the_folder(site):
    (site / "escape.txt").symlink_to(site.parent / "secret.txt")
    with serving([site]) as server:
        assert request(server, "/../secret.txt").status == 404
        assert request(server, "/%2e%2e/secret.txt").status == 404
        assert request(server, "/escape.txt").status == 404
        assert request(server, "/missing.json").status == 404


def test_overlaid_folders_first_wins(site, tmp_path):
    page = tmp_path / "page"
    page.mkdir()
    (page / "index.html").write_text("<!DOCTYPE html><title>page</title>")
    with serving([page, site]) as server:
        connection = http.client.HTTPConnection(LOOPBACK, server.server_address[1], timeout=10)
        connection.request("GET", "/index.html")
        assert b"<title>page</title>" in connection.getresponse().read()
        connection.close()
        assert request(server, "/manifest.json").status == 200


def test_port_in_use_is_one_line_with_the_fix(site):
    with socket.socket() as taken:
        taken.bind((LOOPBACK, 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(UserError, match=rf"port {port} on 127\.0\.0\.1 is already in use.*"
                                            r"--port 0"):
            StaticServer([site], port)


@pytest.mark.skipif(os.name == "nt", reason="SIGINT to a child process")
def test_cli_prints_the_url_serves_and_stops_on_ctrl_c(site):
    process = subprocess.Popen(
        [sys.executable, "-m", "ml5_dcgan_tools", "serve", str(site), "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = process.stdout.readline()
        assert first.startswith(f"serving {site} at http://127.0.0.1:")
        port = int(first.split("http://127.0.0.1:")[1].split("/")[0])
        connection = http.client.HTTPConnection(LOOPBACK, port, timeout=10)
        connection.request("GET", "/manifest.json")
        assert connection.getresponse().status == 200
        connection.close()
    finally:
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=10)
    assert process.returncode == 0
    assert '"GET /manifest.json HTTP/1.1" 200' in err and "stopped" in err
