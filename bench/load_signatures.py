"""Fill the database with realistic signatures for benchmarks.

    python bench/load_signatures.py --count 1000000 [--petition SLUG]

Uses the database of DATABASE_URL (PostgreSQL: COPY, about a minute for a
million rows; SQLite: batched inserts). Signers are spread over the last
60 days: 85% confirmed, 10% pending, 5% invalidated; most in Canada with
real postal-code prefixes, so provinces, filters and charts have data.
"""

import argparse
import os
import random
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django
import psycopg

django.setup()

from django.db import connection
from django.utils import timezone

from petition.models import Petition
from petition.services import petition_current_version_id
from signatures.models import Signature
from signatures.normalize import province_for_postal_code

FIRST = [
    "Jane",
    "Marie",
    "Jean",
    "Amir",
    "Priya",
    "Chen",
    "Sofia",
    "Liam",
    "Olivia",
    "Noah",
    "Fatima",
    "Lucas",
    "Emma",
    "Mohamed",
    "Ava",
    "Ethan",
    "Chloé",
    "Élise",
]
LAST = [
    "Tremblay",
    "Smith",
    "Nguyen",
    "Roy",
    "Singh",
    "Martin",
    "Brown",
    "Gagnon",
    "Wilson",
    "Li",
    "Côté",
    "Khan",
    "Bouchard",
    "Taylor",
    "Patel",
    "Morin",
]
FSA = [
    "K1A",
    "M5V",
    "H2X",
    "V6B",
    "T2P",
    "R3C",
    "S4P",
    "B3H",
    "E1C",
    "A1C",
    "C1A",
    "X0A",
    "X1A",
    "Y1A",
    "G1R",
    "L5B",
    "N2L",
    "P3E",
    "J8Y",
    "T6G",
]
DOMAINS = ["example.org", "example.com", "gmail.com", "mail.example.net"]
COLUMNS = [
    "petition_id",
    "petition_version_id",
    "full_name",
    "email",
    "email_canonical",
    "country",
    "postal_code",
    "province",
    "wants_updates",
    "show_name_publicly",
    "language",
    "status",
    "created_at",
    "confirmed_at",
    "invalidated_at",
    "invalidation_reason",
    "ip_hash",
]


def rows(petition: Petition, count: int, start: int):
    rng = random.Random(start)
    version_id = petition_current_version_id(petition)
    now = timezone.now()
    for n in range(start, start + count):
        created = now - timedelta(seconds=rng.randrange(60 * 24 * 3600))
        roll = rng.random()
        status = (
            "confirmed" if roll < 0.85 else "pending" if roll < 0.95 else "invalidated"
        )
        confirmed = created + timedelta(minutes=rng.randrange(1, 120))
        if rng.random() < 0.92:
            country = "CA"
            postal = f"{rng.choice(FSA)} {rng.randrange(10)}{rng.choice('ABCEGHJ')}{rng.randrange(10)}"
            province = province_for_postal_code(postal)
        else:
            country, postal, province = rng.choice(["US", "FR", "GB", "MX"]), "", ""
        email = f"bench{n}@{DOMAINS[n % len(DOMAINS)]}"
        yield [
            petition.pk,
            version_id,
            f"{rng.choice(FIRST)} {rng.choice(LAST)}",
            email,
            email,
            country,
            postal,
            province,
            rng.random() < 0.4,
            rng.random() < 0.3,
            "fr" if rng.random() < 0.25 else "en",
            status,
            created,
            confirmed
            if status == "confirmed" or (status == "invalidated" and roll < 0.97)
            else None,
            created if status == "invalidated" else None,
            "benchmark spam" if status == "invalidated" else "",
            f"{rng.randrange(50_000):064x}",
        ]


def load_postgres(
    petition: Petition, count: int, start: int, batch: int = 100_000
) -> None:
    raw = connection.connection
    columns = ", ".join(COLUMNS)
    for offset in range(0, count, batch):
        size = min(batch, count - offset)
        with (
            raw.cursor() as cursor,
            cursor.copy(f"COPY signatures_signature ({columns}) FROM STDIN") as copy,
        ):
            for row in rows(petition, size, start + offset):
                copy.write_row(row)
        raw.commit()
        print(f"  {offset + size:,} rows", flush=True)
    # VACUUM as well: otherwise autovacuum, woken by a million new rows, runs
    # during the measurement and takes the cores from the app.
    raw.autocommit = True
    try:
        with raw.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE signatures_signature")
            # And write the dirty pages out now, not in the middle of a run
            # (a superuser's or pg_checkpoint's right; skipped without it).
            try:
                cursor.execute("CHECKPOINT")
            except psycopg.errors.InsufficientPrivilege:
                print("CHECKPOINT skipped: this role may not run it")
    finally:
        raw.autocommit = False


def load_other(petition: Petition, count: int, start: int, batch: int = 5_000) -> None:
    buffer = []
    for row in rows(petition, count, start):
        buffer.append(Signature(**dict(zip(COLUMNS, row, strict=True))))
        if len(buffer) == batch:
            Signature.objects.bulk_create(buffer)
            buffer.clear()
    Signature.objects.bulk_create(buffer)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--petition", default="no-more-caged-families")
    args = parser.parse_args()
    petition = Petition.objects.get(slug=args.petition)
    start = Signature.objects.count()
    began = time.perf_counter()
    connection.ensure_connection()
    if connection.vendor == "postgresql":
        load_postgres(petition, args.count, start)
    else:
        load_other(petition, args.count, start)
    seconds = time.perf_counter() - began
    print(
        f"Loaded {args.count:,} signatures in {seconds:.1f} s "
        f"({args.count / seconds:,.0f}/s); {Signature.objects.count():,} in the table."
    )


if __name__ == "__main__":
    main()
