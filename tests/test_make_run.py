"""`make run PORT=...`: a second copy of the site on another port, whose
pages and email links point at that port."""

import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.servers import ROOT, free_port, http


def make_run_commands(port: int) -> list[str]:
    """What `make run` would run, without running it."""
    result = subprocess.run(
        ["make", "-n", "run", f"PORT={port}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    return result.stdout.splitlines()


@pytest.mark.skipif(not Path("/usr/bin/make").exists(), reason="no make")
def test_make_run_on_another_port_serves_there_and_links_there(tmp_path):
    port = free_port()
    [serve] = [line for line in make_run_commands(port) if " runserver " in line]
    *assignments, _python, manage, command, address = shlex.split(serve)
    environment = dict(assignment.split("=", 1) for assignment in assignments)

    assert (manage, command, address) == ("manage.py", "runserver", f"127.0.0.1:{port}")
    assert environment["SITE_URL"] == f"http://127.0.0.1:{port}"

    # The same command, on a database of its own, answers on that port.
    server = subprocess.Popen(
        [sys.executable, manage, command, "--noreload", address],
        cwd=ROOT,
        env={
            **os.environ,
            **environment,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'run.sqlite3'}",
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                reply = http(f"http://127.0.0.1:{port}/en/privacy/")
                break
            except OSError:
                assert time.monotonic() < deadline, "make run's server never answered"
                assert server.poll() is None, "make run's server stopped"
                time.sleep(0.2)
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert reply.status == 200
