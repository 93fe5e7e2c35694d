"""Webhooks never reach into the site's own network (server-side request
forgery): private, loopback, link-local, multicast and reserved addresses
are refused, checked again at every delivery, and only HTTPS is used."""

import contextlib
import socket
import threading
import time

import pytest

from crm import safe_http
from crm.delivery import deliver
from crm.models import Delivery, WebhookEndpoint
from crm.safe_http import AddressRefused, check_url
from signatures.services.self_service import signature_withdraw
from tests.crm.receiver import Receiver
from tests.factories import SignatureFactory

FORBIDDEN = [
    "https://127.0.0.1/hook",
    "https://127.8.9.10/hook",
    "https://10.1.2.3/hook",
    "https://172.16.0.1/hook",
    "https://192.168.1.1/hook",
    "https://169.254.169.254/latest/meta-data/",
    "https://100.64.0.1/hook",
    "https://0.0.0.0/hook",
    "https://224.0.0.251/hook",
    "https://[::1]/hook",
    "https://[::ffff:127.0.0.1]/hook",
    "https://[fe80::1]/hook",
    "https://[fd00::1]/hook",
    # Site-local (deprecated, still routed inside some networks).
    "https://[fec0::1]/hook",
    # A name that resolves to loopback.
    "https://localhost/hook",
]


@pytest.fixture
def production(settings):
    settings.WEBHOOKS_ALLOW_LOOPBACK = False


@pytest.mark.usefixtures("production")
@pytest.mark.parametrize("url", FORBIDDEN)
def test_a_private_or_reserved_target_is_refused(url):
    with pytest.raises(AddressRefused):
        check_url(url)


@pytest.mark.usefixtures("production")
def test_a_public_address_over_https_is_accepted():
    check_url("https://93.184.215.14/hook")


@pytest.mark.usefixtures("production")
@pytest.mark.parametrize(
    "url",
    [
        "http://93.184.215.14/hook",
        "ftp://93.184.215.14/",
        "https://user:pw@93.184.215.14/",
    ],
)
def test_anything_but_plain_https_is_refused(url):
    with pytest.raises(AddressRefused):
        check_url(url)


def test_loopback_allowed_for_tests_lets_no_other_private_address_through(settings):
    settings.WEBHOOKS_ALLOW_LOOPBACK = True

    check_url("http://127.0.0.1:8000/hook")
    for url in [
        "https://10.1.2.3/",
        "https://169.254.169.254/",
        "http://93.184.215.14/",
    ]:
        with pytest.raises(AddressRefused):
            check_url(url)


@pytest.mark.django_db
def test_a_delivery_to_a_target_refused_since_it_was_saved_sends_nothing(
    settings, endpoint, receiver
):
    # Saved while loopback was allowed; the delivery finds it refused.
    signature_withdraw(signature=SignatureFactory())
    settings.WEBHOOKS_ALLOW_LOOPBACK = False

    deliver.call(delivery_id=Delivery.objects.get().pk)

    assert receiver.received == []
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.FAILED
    assert delivery.last_error.startswith("Refused: ")


@pytest.mark.django_db
def test_a_name_that_turns_private_after_the_check_is_refused_at_delivery(
    settings, monkeypatch, receiver
):
    """DNS rebinding: the name's address is looked up and checked at each
    delivery, and the connection goes to the address checked."""
    settings.WEBHOOKS_ALLOW_LOOPBACK = False
    real = socket.getaddrinfo
    answers = {"hooks.example.org": "93.184.215.14"}

    def resolve(host, port, *args, **kwargs):
        if host in answers:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answers[host], port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(safe_http.socket, "getaddrinfo", resolve)
    check_url("https://hooks.example.org/hook")  # as the admin form saw it
    WebhookEndpoint.objects.create(url="https://hooks.example.org/hook")
    signature_withdraw(signature=SignatureFactory())
    answers["hooks.example.org"] = "127.0.0.1"

    deliver.call(delivery_id=Delivery.objects.get().pk)

    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.FAILED
    assert "127.0.0.1" in delivery.last_error


@pytest.mark.django_db
def test_a_redirect_is_not_followed(settings, endpoint, receiver):
    """A receiver cannot send the request on to an address it chooses."""
    elsewhere = Receiver()
    elsewhere.start()
    receiver.status = 307
    receiver.headers = {"Location": elsewhere.url}
    signature_withdraw(signature=SignatureFactory())

    try:
        deliver.call(delivery_id=Delivery.objects.get().pk)
    finally:
        elsewhere.close()

    assert len(receiver.received) == 1
    assert elsewhere.received == []
    delivery = Delivery.objects.get()
    assert delivery.last_response_code == 307
    assert delivery.status == Delivery.Status.FAILED


@pytest.mark.django_db
def test_a_receiver_that_never_answers_is_given_up_after_the_time_out(settings):
    settings.WEBHOOKS_TIMEOUT = 1
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        WebhookEndpoint.objects.create(
            url=f"http://127.0.0.1:{silent.getsockname()[1]}/hook"
        )
        signature_withdraw(signature=SignatureFactory())
        started = time.monotonic()

        deliver.call(delivery_id=Delivery.objects.get().pk)

    assert time.monotonic() - started < 5
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.FAILED
    assert "timed out" in delivery.last_error


@pytest.mark.django_db
def test_a_receiver_that_answers_a_byte_at_a_time_is_given_up_all_the_same(settings):
    """Each wait for a byte is short, but a receiver that keeps sending one
    now and then must not hold the worker: the whole answer has a limit."""
    settings.WEBHOOKS_TIMEOUT = 1
    with socket.socket() as slow:
        slow.bind(("127.0.0.1", 0))
        slow.listen()

        def trickle() -> None:
            connection, _address = slow.accept()
            # The sender hangs up on it midway: that is the point.
            with connection, contextlib.suppress(OSError):
                connection.recv(65536)
                connection.sendall(b"HTTP/1.1 200 OK\r\n")
                for _header in range(12):
                    connection.sendall(b"X-Slow: 1\r\n")
                    time.sleep(0.5)
                connection.sendall(b"Content-Length: 2\r\n\r\nok")

        server = threading.Thread(target=trickle, daemon=True)
        server.start()
        WebhookEndpoint.objects.create(
            url=f"http://127.0.0.1:{slow.getsockname()[1]}/hook"
        )
        signature_withdraw(signature=SignatureFactory())
        started = time.monotonic()

        deliver.call(delivery_id=Delivery.objects.get().pk)

        server.join()
    assert time.monotonic() - started < 5
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.FAILED
    assert "timed out" in delivery.last_error
