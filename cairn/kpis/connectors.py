"""Fetching a KPI connector's rows: a CSV or .xlsx file or JSON at a web address, or a query
on a read-only database, each parsed into (row, date, value).

Web addresses follow the webhooks' rules (``cairn.webhooks.addresses``): every address the
name resolves to must be public unless ``CAIRN_CONNECTORS_ALLOW_PRIVATE`` (or the webhooks'
setting) allows private ones, the connection goes to the address that was checked, https is
required unless private addresses are allowed, redirects are not followed, and the answer is
cut off at ``MAX_BYTES`` and ``TIMEOUT`` seconds. Databases are opened read-only where the
driver allows it, with a statement timeout and at most ``MAX_ROWS`` rows. Nothing here writes:
``connector_services`` validates and records.
"""

from __future__ import annotations

import csv
import http.client
import importlib.util
import io
import json
import math
import socket
import sqlite3
import ssl
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.db import connection as cairn_db

from cairn.kpis.models import LIMIT
from cairn.webhooks import addresses

MAX_BYTES = 20 * 1024 * 1024  # the largest answer read
MAX_ROWS = 10_000  # rows of one run at most
TIMEOUT = 15.0  # seconds for the whole answer, and for a query
MAX_PROBLEMS = 20  # problems kept and shown
USER_AGENT = "Cairn-KPI-connector/1"
SQL_SCHEMES = {"postgresql": "postgresql", "postgres": "postgresql", "mysql": "mysql"}
HAS_PYMYSQL = importlib.util.find_spec("pymysql") is not None
MYSQL_NEEDS = "MySQL needs the PyMySQL package, which this installation does not have."


class FetchError(Exception):
    """The source could not be read; the message says why, in words for the owner."""


@dataclass
class Parsed:
    """What a source gave: good rows (row number, date, value) and problems (row, what)."""

    rows: list[tuple[int, date, float]] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)
    read: int = 0

    def problem(self, row: int, what: str) -> None:
        self.problems.append((row, what))


def allow_private() -> bool:
    return bool(getattr(settings, "CAIRN_CONNECTORS_ALLOW_PRIVATE", False)) or (
        addresses.allow_private()
    )


def check_url(url: str) -> addresses.Target:
    """The checked target of a web address, or AddressRefused saying why not."""
    scheme = urlsplit(url.strip()).scheme.lower()
    private = allow_private()
    if scheme != "https" and not (scheme == "http" and private):
        raise addresses.AddressRefused("The address must start with https://.")
    return addresses.resolve(url, private=private, what="KPI connectors")


# --- Web addresses


def fetch(url: str, headers: dict[str, str], *, timeout: float | None = None) -> bytes:
    """GET the address and return the body, or FetchError (refused, unreachable, slow, not
    200, too large)."""
    timeout = timeout or TIMEOUT
    try:
        target = check_url(url)
    except addresses.AddressRefused as e:
        raise FetchError(str(e)) from None
    if target.scheme == "https":
        conn: http.client.HTTPConnection = http.client.HTTPSConnection(
            target.host, target.port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        conn = http.client.HTTPConnection(target.host, target.port, timeout=timeout)

    def connect(address, timeout=None, source_address=None):  # the checked address only
        return socket.create_connection((target.address, address[1]), timeout, source_address)

    conn._create_connection = connect
    deadline = time.monotonic() + timeout
    sent = {"User-Agent": USER_AGENT, "Accept": "*/*", **headers, "Host": target.host}
    try:
        conn.request("GET", target.path, headers=sent)
        response = conn.getresponse()
        code = response.status
        if 300 <= code < 400:
            where = response.getheader("Location", "")
            raise FetchError(
                f"The server answered {code}, a redirect{f' to {where}' if where else ''}; "
                "connectors do not follow them: give the final address."
            )
        if code != 200:
            raise FetchError(f"The server answered {code} instead of the data.")
        length = response.getheader("Content-Length", "")
        if length.isdigit() and int(length) > MAX_BYTES:
            raise FetchError(_too_large())
        chunks, size = [], 0
        while chunk := response.read(65536):
            size += len(chunk)
            if size > MAX_BYTES:
                raise FetchError(_too_large())
            if time.monotonic() > deadline:
                raise TimeoutError
            chunks.append(chunk)
        return b"".join(chunks)
    except TimeoutError:
        raise FetchError(f"No complete answer within {timeout:g} seconds.") from None
    except ssl.SSLCertVerificationError as e:
        why = e.verify_message
        raise FetchError(f"The server's certificate could not be verified: {why}.") from None
    except ssl.SSLError as e:
        raise FetchError(f"The secure connection failed: {e.reason or e}.") from None
    except (OSError, http.client.HTTPException) as e:
        raise FetchError(f"Could not reach the server: {e.strerror or e}.") from None
    finally:
        conn.close()


def _too_large() -> str:
    return f"The answer is larger than {MAX_BYTES // (1024 * 1024)} MB, the most a connector reads."


def parse_table(body: bytes, date_field: str, value_field: str) -> Parsed:
    """Rows of a CSV or .xlsx file (told apart by content) with a header row naming the date
    and value columns."""
    if body[:4] == b"PK\x03\x04":  # a zip archive: .xlsx
        lines = _xlsx_rows(body)
    else:
        lines = _csv_rows(body)
    header = next(lines, None)
    if header is None:
        raise FetchError("The file is empty.")
    names = [str(h or "").strip().casefold() for h in header]
    columns = []
    for wanted in (date_field, value_field):
        if wanted.strip().casefold() not in names:
            shown = ", ".join(f"“{h}”" for h in header if h not in (None, "")) or "none"
            raise FetchError(f"The file has no column “{wanted}”; its columns are {shown}.")
        columns.append(names.index(wanted.strip().casefold()))
    parsed = Parsed()
    for number, line in enumerate(lines, start=2):
        if all(cell in (None, "") for cell in line):
            continue
        cells = [line[i] if i < len(line) else None for i in columns]
        _add(parsed, number, cells[0], cells[1])
    return parsed


def _csv_rows(body: bytes):
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = body.decode("cp1252", errors="replace")
    if "\0" in text:
        raise FetchError("The answer is neither a CSV nor an .xlsx file.")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        yield from csv.reader(io.StringIO(text), dialect)
    except csv.Error as e:
        raise FetchError(f"The CSV file cannot be read: {e}.") from None


def _xlsx_rows(body: bytes):
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(body), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds for a damaged file
        raise FetchError("The .xlsx file cannot be opened: it is damaged or not Excel.") from None
    try:
        yield from book.worksheets[0].iter_rows(values_only=True)
    finally:
        book.close()


def parse_json(body: bytes, items_path: str, date_field: str, value_field: str) -> Parsed:
    """Rows of a JSON answer: the list at ``items_path`` (dotted, e.g. ``data.points``;
    empty for a list at the top), each item's date and value at their dotted paths."""
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise FetchError("The answer is not JSON.") from None
    found, problem = _pick(document, items_path)
    if problem:
        raise FetchError(f"The list of items: {problem}.")
    if not isinstance(found, list):
        raise FetchError(f"“{items_path or 'the answer'}” is not a list of items.")
    parsed = Parsed()
    for number, item in enumerate(found, start=1):
        day, why_day = _pick(item, date_field)
        value, why_value = _pick(item, value_field)
        if why_day or why_value:
            parsed.read += 1
            parsed.problem(number, f"item {number}: {why_day or why_value}")
            continue
        _add(parsed, number, day, value)
    return parsed


def _pick(document: Any, path: str) -> tuple[Any, str]:
    """The value at a dotted path (``data.points``, ``values.0.amount``) and "", or None and
    what is missing."""
    here = document
    for part in [p for p in path.strip().split(".") if p]:
        if isinstance(here, dict) and part in here:
            here = here[part]
        elif isinstance(here, list) and part.isdigit() and int(part) < len(here):
            here = here[int(part)]
        else:
            return None, f"there is no “{part}” in “{path}”"
    return here, ""


def _add(parsed: Parsed, number: int, day: Any, value: Any) -> None:
    """Check one row's date and value, keeping it or its problem."""
    parsed.read += 1
    if parsed.read > MAX_ROWS:
        raise FetchError(f"The source has more than {MAX_ROWS:,} rows; a connector reads fewer.")
    when, why = as_date(day)
    figure, why_value = as_value(value)
    if why or why_value:
        parsed.problem(number, "; ".join(w for w in (why, why_value) if w))
    else:
        parsed.rows.append((number, when, figure))


def as_date(raw: Any) -> tuple[date | None, str]:
    if isinstance(raw, datetime):
        return raw.date(), ""
    if isinstance(raw, date):
        return raw, ""
    if isinstance(raw, str) and raw.strip():
        text = raw.strip()
        try:
            return date.fromisoformat(text[:10]), ""
        except ValueError:
            pass
    shown = "nothing" if raw in (None, "") else f"“{str(raw)[:40]}”"
    return None, f"the date is {shown}, not a date like 2026-01-31"


def as_value(raw: Any) -> tuple[float | None, str]:
    figure = None
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        figure = float(raw)
    elif isinstance(raw, str):
        try:
            figure = float(raw.strip().replace("\u202f", "").replace(" ", ""))
        except ValueError:
            figure = None
    if figure is None or not math.isfinite(figure):
        shown = "nothing" if raw in (None, "") else f"“{str(raw)[:40]}”"
        return None, f"the value is {shown}, not a number like 1234.5"
    if abs(figure) > LIMIT:
        return None, f"the value {figure:g} is larger than Cairn keeps (10^15)"
    return figure, ""


# --- Databases


def database_hint(url: str) -> str:
    """What may be shown of a database address: its kind, server and database, never the
    user or password."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme == "sqlite":
        return f"SQLite file {Path(unquote(parts.path)).name}"
    kind = {"postgresql": "PostgreSQL", "mysql": "MySQL"}.get(SQL_SCHEMES.get(scheme, ""), "")
    try:
        server = f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname)
    except ValueError:
        server = str(parts.hostname)
    return f"{kind} database {parts.path.lstrip('/')} on {server}"[:200]


def database_problem(url: str) -> str:
    """Why a database address cannot be used, or "" (the server's address is checked when
    the query runs, as for web addresses)."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme == "sqlite":
        return _sqlite_path(url)[1]
    if scheme not in SQL_SCHEMES:
        return "The address must start with postgresql://, mysql:// or sqlite:///."
    if SQL_SCHEMES[scheme] == "mysql" and not HAS_PYMYSQL:
        return MYSQL_NEEDS + " Ask the administrator to install it (pip install PyMySQL)."
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        return "The port in the address is not a number."
    if not parts.hostname:
        return "The address names no server, e.g. postgresql://reader@db.example.com/finance."
    return ""


def _sqlite_path(url: str) -> tuple[Path | None, str]:
    folder = getattr(settings, "CAIRN_CONNECTORS_SQLITE_DIR", "")
    if not folder:
        return None, (
            "SQLite files can be read only from a folder the administrator names "
            "(CAIRN_CONNECTORS_SQLITE_DIR); none is set."
        )
    path = Path(unquote(urlsplit(url.strip()).path)).resolve()
    base = Path(folder).resolve()
    if not path.is_relative_to(base):
        return None, f"SQLite files can be read only from the folder {base}."
    own = cairn_db.settings_dict.get("NAME") if cairn_db.vendor == "sqlite" else None
    if own and Path(str(own)).resolve() == path:
        return None, "This is Cairn's own database."
    if not path.is_file():
        return None, f"There is no file {path.name} in {base}."
    return path, ""


def query(url: str, sql: str, date_field: str, value_field: str) -> Parsed:
    """Run the query read-only and parse its date and value columns."""
    if not sql.strip():
        raise FetchError("The query is empty.")
    if problem := database_problem(url):
        raise FetchError(problem)
    scheme = SQL_SCHEMES.get(urlsplit(url.strip()).scheme.lower(), "sqlite")
    run = {"sqlite": _sqlite, "postgresql": _postgresql, "mysql": _mysql}[scheme]
    names, rows = run(url, sql)
    columns = []
    lowered = [str(n).casefold() for n in names]
    for wanted in (date_field, value_field):
        if wanted.strip().casefold() not in lowered:
            shown = ", ".join(f"“{n}”" for n in names) or "none"
            raise FetchError(f"The query gives no column “{wanted}”; its columns are {shown}.")
        columns.append(lowered.index(wanted.strip().casefold()))
    parsed = Parsed()
    for number, row in enumerate(rows, start=1):
        _add(parsed, number, row[columns[0]], row[columns[1]])
    return parsed


def _fetch_rows(cursor) -> tuple[list[str], list[tuple]]:
    names = [d[0] for d in cursor.description or ()]
    rows = cursor.fetchmany(MAX_ROWS + 1)
    if len(rows) > MAX_ROWS:
        raise FetchError(f"The query gives more than {MAX_ROWS:,} rows; a connector reads fewer.")
    return names, rows


def _sqlite(url: str, sql: str) -> tuple[list[str], list[tuple]]:
    path, _ = _sqlite_path(url)
    deadline = time.monotonic() + TIMEOUT
    try:
        db = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=5)
    except sqlite3.Error as e:
        raise FetchError(f"The SQLite file cannot be opened: {e}.") from None
    try:
        db.execute("PRAGMA query_only = ON")
        db.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
        return _fetch_rows(db.execute(sql))
    except sqlite3.OperationalError as e:
        if "interrupted" in str(e):
            raise FetchError(f"The query took longer than {TIMEOUT:g} seconds.") from None
        raise FetchError(f"The database refused the query: {e}.") from None
    except sqlite3.Error as e:
        raise FetchError(f"The database refused the query: {e}.") from None
    finally:
        db.close()


def _server(url: str, default_port: int) -> tuple[str, str]:
    """The checked address of a database server (the webhooks' rules), or FetchError."""
    parts = urlsplit(url.strip())
    try:
        target = addresses.resolve(
            f"http://{parts.hostname}:{parts.port or default_port}/",
            private=allow_private(),
            what="KPI connectors",
        )
    except addresses.AddressRefused as e:
        raise FetchError(str(e)) from None
    return target.host, target.address


def _postgresql(url: str, sql: str) -> tuple[list[str], list[tuple]]:
    import psycopg

    _host, address = _server(url, 5432)
    timeout_ms = int(TIMEOUT * 1000)
    try:
        with psycopg.connect(
            url.strip().replace("postgres://", "postgresql://", 1),
            hostaddr=address,
            connect_timeout=5,
            options=f"-c default_transaction_read_only=on -c statement_timeout={timeout_ms}",
            autocommit=False,
        ) as db:
            with db.cursor() as cursor:
                cursor.execute(sql)
                found = _fetch_rows(cursor)
            db.rollback()
            return found
    except psycopg.errors.QueryCanceled:
        raise FetchError(f"The query took longer than {TIMEOUT:g} seconds.") from None
    except psycopg.OperationalError as e:
        raise FetchError(f"Could not reach the database: {_first_line(e)}") from None
    except psycopg.Error as e:
        raise FetchError(f"The database refused the query: {_first_line(e)}") from None


def _mysql(url: str, sql: str) -> tuple[list[str], list[tuple]]:  # pragma: no cover - optional
    import pymysql

    parts = urlsplit(url.strip())
    _host, address = _server(url, 3306)
    try:
        db = pymysql.connect(
            host=address,
            port=parts.port or 3306,
            user=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            database=parts.path.lstrip("/"),
            connect_timeout=5,
            read_timeout=int(TIMEOUT),
        )
    except pymysql.Error as e:
        raise FetchError(f"Could not reach the database: {e}.") from None
    try:
        with db.cursor() as cursor:
            cursor.execute("SET SESSION TRANSACTION READ ONLY")
            cursor.execute(f"SET SESSION MAX_EXECUTION_TIME = {int(TIMEOUT * 1000)}")
            cursor.execute("START TRANSACTION READ ONLY")
            cursor.execute(sql)
            return _fetch_rows(cursor)
    except pymysql.Error as e:
        raise FetchError(f"The database refused the query: {e}.") from None
    finally:
        db.close()


def _first_line(error: Exception) -> str:
    text = str(error).strip().splitlines()
    return (text[0] if text else type(error).__name__).rstrip(".") + "."
