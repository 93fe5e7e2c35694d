"""CI: build the production image and prove it works, as an operator would run it.

Builds a stand-in for the `python:3.11.14-slim-bookworm` base from Debian's
packages where no registry can be reached (deploy/build_python_base.sh), builds the project's
Dockerfile on it, then runs that image against this machine's PostgreSQL and
Redis (host network): `migrate`, gunicorn and the email worker in their own
containers; `/healthz` must answer 200, and one signature must go all the way
through it as a person's would: the form signed with a browser's headers, the
confirmation email received by a real SMTP server (in this process), its
link followed and the button pressed, and the public count one higher.

Exits non-zero on any failure, printing the containers' logs; removes its
containers and its database whatever happens.

    .venv/bin/python deploy/ci_image_check.py
    (DATABASE_URL: a PostgreSQL server, the database in it is made and
    dropped here; REDIS_URL; both default to this machine's.)
"""

import argparse
import getpass
import html.parser
import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.backing_services import MailServer  # noqa: E402 - after the path is set
from tests.servers import free_port  # noqa: E402

BASE_IMAGE = "petition-ci/python-base"
SLUG = "no-more-caged-families"  # the campaign `migrate` loads
CONTAINERS = ("petition-ci-web", "petition-ci-worker")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--image", default="petition:ci")
    parser.add_argument(
        "--server",
        default=os.environ.get(
            "IMAGE_CHECK_POSTGRES", f"postgres://{getpass.getuser()}@127.0.0.1:5432"
        ),
        help="PostgreSQL server URL, without a database name",
    )
    parser.add_argument(
        "--redis",
        default=os.environ.get("IMAGE_CHECK_REDIS_URL", "redis://127.0.0.1:6379/0"),
    )
    args = parser.parse_args()

    timings = {}
    started = time.monotonic()
    run(["bash", str(ROOT / "deploy" / "build_python_base.sh"), BASE_IMAGE])
    timings["base image"] = time.monotonic() - started

    started = time.monotonic()
    # The classic builder: BuildKit would fetch its Dockerfile frontend from
    # a registry. --network host: pip reaches the package index as this
    # machine does.
    run(
        [
            *("docker", "build", "--network", "host", "-q", "-t", args.image),
            *("--build-arg", f"PYTHON_IMAGE={BASE_IMAGE}", str(ROOT)),
        ],
        env={**os.environ, "DOCKER_BUILDKIT": "0"},
    )
    timings["project image"] = time.monotonic() - started

    started = time.monotonic()
    database = f"petition_image_check_{os.getpid()}"
    psql(args.server, f'CREATE DATABASE "{database}"')
    mail = MailServer()
    mail.start()
    try:
        check_image(args, database, mail)
    except BaseException:  # SystemExit from expect() too
        for name in CONTAINERS:
            print(f"--- docker logs {name} (last 60 lines)", flush=True)
            run(["docker", "logs", "--tail", "60", name], check=False)
        raise
    finally:
        run(["docker", "rm", "-f", *CONTAINERS], check=False, capture_output=True)
        mail.close()
        psql(args.server, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    timings["run and sign"] = time.monotonic() - started
    print(
        "image check passed: "
        + ", ".join(f"{name} {seconds:.0f} s" for name, seconds in timings.items())
    )
    return 0


def check_image(args: argparse.Namespace, database: str, mail: MailServer) -> None:
    port = free_port()
    site = f"http://127.0.0.1:{port}"
    env = {
        "SECRET_KEY": os.urandom(32).hex(),
        "DATABASE_URL": f"{args.server}/{database}",
        "REDIS_URL": args.redis,
        "CACHE_KEY_PREFIX": f"image-check-{os.getpid()}",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SITE_URL": site,
        # Plain HTTP on the loopback address: no TLS in front here.
        "SECURE_SSL_REDIRECT": "false",
        "TRUSTED_PROXY_COUNT": "0",
        "EMAIL_URL": f"smtp://127.0.0.1:{mail.port}",
        "TASKS_BACKEND": "database",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "2",
        "GUNICORN_THREADS": "2",
        "EMAIL_WORKER_THREADS": "2",
        "SIGNATURE_COUNT_CACHE_SECONDS": "1",
    }
    # `-e NAME` takes the value from docker's own environment: no value (the
    # secret key among them) in a command line that an error may print.
    env_args = [arg for name in env for arg in ("-e", name)]
    docker = ["docker", "run", "--network", "host", *env_args]
    os.environ.update(env)

    run(
        [
            *docker,
            "--rm",
            args.image,
            "python",
            "manage.py",
            "migrate",
            "--noinput",
            "-v0",
        ]
    )
    run([*docker, "-d", "--name", "petition-ci-web", args.image])
    run(
        [
            *docker,
            "-d",
            "--name",
            "petition-ci-worker",
            args.image,
            *("python", "manage.py", "run_worker", "--queue-name", "email"),
        ]
    )

    deadline = time.monotonic() + 60
    while True:
        try:
            if Browser(site).get("/healthz").status == 200:
                break
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit("/healthz did not answer 200 within 60 s")
        time.sleep(0.5)
    print("/healthz: 200", flush=True)

    before = public_count(site)
    browser = Browser(site)
    sign_path = f"/en/p/{SLUG}/sign/"
    page = browser.get(sign_path)
    expect(page.status == 200, page.status)
    # A person takes a few seconds to fill in the form.
    time.sleep(3)
    signed = browser.submit(
        page,
        sign_path,
        {
            "full_name": "Imogen Check",
            "email": "imogen.check@example.org",
            "country": "CA",
            "postal_code": "K1A 0B1",
        },
    )
    expect(signed.status in {200, 302, 303}, (signed.status, signed.body[:500]))
    print(f"sign POST: {signed.status}", flush=True)

    deadline = time.monotonic() + 60
    while not mail.received and time.monotonic() < deadline:
        time.sleep(0.2)
    expect(mail.received, "the worker sent no confirmation email within 60 s")
    body = mail.received[0].get_body(preferencelist=("plain",)).get_content()
    link = re.search(r"https?://[^/\s]+(/(?:en|fr)/confirm/[^\s]+/)", body)
    expect(link, f"no confirmation link in: {body}")
    print("confirmation email received", flush=True)

    confirm_page = browser.get(link[1])
    expect(confirm_page.status == 200, confirm_page.status)
    confirmed = browser.submit(confirm_page, link[1], {})
    expect(
        confirmed.status in {200, 302, 303}, (confirmed.status, confirmed.body[:500])
    )

    deadline = time.monotonic() + 15
    while (after := public_count(site)) != before + 1:
        if time.monotonic() > deadline:
            raise SystemExit(f"count {before} -> {after}, expected one more")
        time.sleep(0.5)
    print(f"count.json: {before} -> {after}", flush=True)


# --- A browser, as far as this check needs one ---------------------------------


class Reply:
    def __init__(self, status: int, headers, body: str) -> None:
        self.status = status
        self.headers = headers
        self.body = body


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class _FormFields(html.parser.HTMLParser):
    """The named fields of the page's first POST form, with their values."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self._in_form = False
        self._done = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "").lower() == "post":
            self._in_form = not self._done
        elif self._in_form and tag == "input" and attrs.get("name"):
            kind = (attrs.get("type") or "text").lower()
            if kind not in {"checkbox", "radio", "submit"} or "checked" in attrs:
                self.fields[attrs["name"]] = attrs.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form" and self._in_form:
            self._in_form, self._done = False, True


class Browser:
    """Keeps cookies, sends the headers a browser sends with a same-origin
    form (Origin, Referer, Sec-Fetch-*), and submits forms with their hidden
    fields as they are on the page."""

    def __init__(self, site: str) -> None:
        self.site = site
        self.cookies: dict[str, str] = {}
        self.opener = urllib.request.build_opener(_NoRedirects)

    def get(self, path: str) -> Reply:
        return self._send(path, None, {"Sec-Fetch-Site": "none"})

    def submit(self, page: Reply, path: str, values: dict[str, str]) -> Reply:
        parser = _FormFields()
        parser.feed(page.body)
        data = {**parser.fields, **values}
        return self._send(
            path,
            urllib.parse.urlencode(data).encode(),
            {
                "Origin": self.site,
                "Referer": self.site + path,
                "Sec-Fetch-Site": "same-origin",
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )

    def _send(self, path: str, data: bytes | None, headers: dict[str, str]) -> Reply:
        headers = {
            "Sec-Fetch-Mode": "navigate",
            "Sec-Fetch-Dest": "document",
            "User-Agent": "Mozilla/5.0 (petition image check)",
            **headers,
        }
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        # Always http://127.0.0.1:<port>, this script's own container.
        request = urllib.request.Request(self.site + path, data=data, headers=headers)  # noqa: S310
        try:
            response = self.opener.open(request, timeout=15)
        except urllib.error.HTTPError as error:
            response = error
        with response:
            for cookie in response.headers.get_all("Set-Cookie") or []:
                name, _, rest = cookie.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
            return Reply(response.status, response.headers, response.read().decode())


def public_count(site: str) -> int:
    reply = Browser(site).get(f"/p/{SLUG}/count.json")
    expect(reply.status == 200, reply.status)
    return json.loads(reply.body)["count"]


def psql(server: str, statement: str) -> None:
    run(["psql", f"{server}/postgres", "-qAtc", statement])


def run(command: list[str], *, check: bool = True, **kwargs) -> None:
    """A command of this script's own making."""
    print("$", " ".join(command), flush=True)
    subprocess.run(command, check=check, **kwargs)  # noqa: S603


def expect(condition: object, detail: object) -> None:
    if not condition:
        raise SystemExit(f"image check failed: {detail}")


if __name__ == "__main__":
    sys.exit(main())
