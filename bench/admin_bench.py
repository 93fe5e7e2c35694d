"""Time the organizer pages on whatever the database holds.

    make bench-admin      (fresh PostgreSQL database, a million signatures)
    python bench/admin_bench.py [--runs 5]

Measures, logged in as an organizer, through Django's full request cycle:
the signature list, a search by postal code, a search by name, a filtered
list, the dashboard and the full CSV export (time, rows, and how much the
process's peak memory grew while streaming it).
"""

import argparse
import os
import resource
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.contrib.auth.models import Group, User
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from petition.models import Petition
from signatures.models import Signature


def timed(client: Client, url: str, runs: int) -> tuple[float, int]:
    """Median milliseconds over `runs`, and the queries of the last run."""
    times = []
    for _ in range(runs):
        with CaptureQueriesContext(connection) as queries:
            began = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(times), len(queries)


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def export(client: Client) -> tuple[float, int, float]:
    """Time, rows, and how much the process's peak memory grew while streaming."""
    peak_before = _peak_rss_mib()
    began = time.perf_counter()
    response = client.post(
        "/admin/signatures/signature/export/",
        {
            "columns": [
                "full_name",
                "email",
                "postal_code",
                "province",
                "country",
                "confirmed_at",
            ]
        },
    )
    rows = -2  # the byte-order mark and the header
    for chunk in response.streaming_content:
        rows += chunk.count(b"\n") if isinstance(chunk, bytes) else chunk.count("\n")
    seconds = time.perf_counter() - began
    return seconds, rows + 1, _peak_rss_mib() - peak_before


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    # An organizer, as createorganizer makes them: permissions are checked.
    organizer, _ = User.objects.update_or_create(
        username="bench-organizer", defaults={"is_staff": True, "is_superuser": False}
    )
    organizer.groups.add(Group.objects.get(name="Organizers"))
    client = Client()
    client.force_login(organizer)
    petition = Petition.objects.get(slug="no-more-caged-families")
    total = Signature.objects.count()
    base = "/admin/signatures/signature/"
    day = timezone.localdate() - timedelta(days=1)
    pages = [
        ("signature list", base),
        ("search by postal code", f"{base}?q=H2X+1Y4"),
        ("search by postal prefix", f"{base}?q=K1A"),
        ("search by email", f"{base}?q=bench123456@example.org"),
        ("search by name", f"{base}?q=Tremblay"),
        (
            "filter: pending in Quebec",
            f"{base}?status__exact=pending&province__exact=QC",
        ),
        (
            "date hierarchy: one day",
            (
                f"{base}?created_at__day={day.day}&created_at__month={day.month}"
                f"&created_at__year={day.year}"
            ),
        ),
        ("dashboard (cached)", f"/admin/petition/petition/{petition.pk}/dashboard/"),
        ("delivery report", f"/admin/petition/petition/{petition.pk}/report/"),
    ]
    command = "python bench/admin_bench.py " + " ".join(sys.argv[1:])
    # The export runs first, so the process's memory high-water mark before it
    # is the bare process and its growth is the export's own.
    seconds, rows, peak_mb = export(client)
    print(
        f"{total:,} signatures in the table ({connection.vendor}); median of {args.runs} runs"
    )
    print(f"{'page':<28} {'median ms':>10} {'queries':>8}")
    results = {}
    for name, url in pages:
        ms, queries = timed(client, url, args.runs)
        results[name] = ms
        print(f"{name:<28} {ms:>10.1f} {queries:>8}")
    cache.clear()  # the dashboard recomputed, not served from its minute cache
    ms, queries = timed(client, f"/admin/petition/petition/{petition.pk}/dashboard/", 1)
    results["dashboard cold"] = ms
    print(f"{'dashboard (not cached)':<28} {ms:>10.1f} {queries:>8}")
    print(
        f"{'CSV export (all confirmed)':<28} {seconds * 1000:>10.0f}          "
        f"{rows:,} rows, {rows / seconds:,.0f} rows/s, peak memory grew {peak_mb:.1f} MiB"
    )
    print(
        "ADMIN_BENCH "
        + " ".join(
            f"{k.replace(' ', '_').replace(':', '').replace('(', '').replace(')', '')}_ms={v:.0f}"
            for k, v in results.items()
        )
        + f" export_s={seconds:.1f} export_rows={rows} export_peak_growth_mib={peak_mb:.1f}"
    )
    print(f"command: {command.strip()}")


if __name__ == "__main__":
    main()
