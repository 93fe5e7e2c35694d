"""nginx with the production configuration (deploy/nginx.conf) on this
machine, under a prefix of its own: for the proxy tests and the benchmark,
which start it the same way."""

import os
import re
import subprocess
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parent / "nginx.conf"


def render_nginx_conf(values: dict[str, str]) -> str:
    """deploy/nginx.conf with its ${NAME} placeholders filled, as envsubst
    with the list of names does: nginx's own $variables are left alone."""
    return re.sub(
        r"\$\{([A-Z_]+)\}", lambda match: values[match[1]], TEMPLATE.read_text()
    )


def start_nginx(
    *,
    nginx: str,
    openssl: str,
    prefix: Path,
    upstreams: list[str],
    http_port: int,
    https_port: int,
) -> subprocess.Popen:
    """nginx in front of the app nodes at `upstreams` ("host:port"), with a
    throwaway self-signed certificate for its HTTPS server; not yet known
    to be answering."""
    prefix.mkdir(parents=True, exist_ok=True)
    subprocess.run(  # noqa: S603 - our own arguments, no shell
        [
            openssl,
            *("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-subj", "/CN=localhost"),
            *("-keyout", str(prefix / "key.pem"), "-out", str(prefix / "cert.pem")),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    config = prefix / "nginx.conf"
    config.write_text(
        render_nginx_conf(
            {
                "NGINX_HTTP_LISTEN": f"127.0.0.1:{http_port}",
                "NGINX_HTTPS_LISTEN": f"127.0.0.1:{https_port}",
                "NGINX_TLS_CERTIFICATE": str(prefix / "cert.pem"),
                "NGINX_TLS_KEY": str(prefix / "key.pem"),
                "GUNICORN_SERVERS": " ".join(f"server {u};" for u in upstreams),
            }
        )
    )
    # As root, nginx would hand its workers to "nobody", who cannot enter a
    # private temporary directory; as anyone else it runs as that user.
    directives = "daemon off;" + (" user root;" if os.geteuid() == 0 else "")
    command = [nginx, "-p", f"{prefix}/", "-e", "error.log", "-c", str(config)]
    return subprocess.Popen(  # noqa: S603 - our own arguments, no shell
        [*command, "-g", directives],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
