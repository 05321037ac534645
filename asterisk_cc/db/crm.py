"""Customer lookup against the shared CRM: by caller ID or by an entered account number.

Three sources, chosen by ``[crm] source``:

``builtin``
    The project's own ``customers`` and ``customer_phones`` tables: one probe of the unique
    index on ``customer_phones.phone_e164`` per call.
``table``
    An existing CRM table (``[crm] table``, optionally ``schema.table``) mapped column by column
    (``[crm] *_column``). The statement is built from SQLAlchemy ``table()``/``column()``
    constructs, so identifiers are quoted as the database needs; the caller's number is written
    the way the table stores it (``[crm] phone_format``).
``query``
    The admin's own ``SELECT`` (``[crm] phone_lookup_query`` / ``account_lookup_query``) with the
    number bound as ``:phone`` (also ``:phone_e164``, ``:phone_digits``, ``:phone_national``) and
    the account as ``:account``. It is run once when the directory is built, so a typo is a
    :class:`~asterisk_cc.errors.ConfigError` at start-up, not a failed call.

Beyond the standard fields, each source returns the customer's other CRM fields in
:attr:`Customer.fields <asterisk_cc.core.customers.Customer.fields>`, as text, for the IVR to
branch on or say: ``customers.attributes`` (builtin), the ``[crm] extra_columns`` (table), every
column the SELECT returns besides the standard ones (query).

In every mode the caller's number and digits are bound parameters, never SQL text; a number
that is withheld or not a phone number is "not found" without touching the database.
"""

from __future__ import annotations

import functools
import json
import logging
import zoneinfo
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, Protocol

import phonenumbers
from sqlalchemy import (
    ColumnElement,
    Engine,
    Executable,
    Select,
    TextClause,
    bindparam,
    column,
    inspect,
    select,
    table,
    text,
    type_coerce,
)
from sqlalchemy.exc import DBAPIError, NoSuchTableError, SQLAlchemyError
from sqlalchemy.types import Integer, NullType, TypeEngine

from asterisk_cc.config import CrmSettings, SiteSettings
from asterisk_cc.core.customers import Customer, normalize_language, parse_tier
from asterisk_cc.core.phone import (
    InvalidPhoneNumber,
    format_for_lookup,
    is_known_region,
    lookup_variants,
    normalize_e164,
)
from asterisk_cc.db import models
from asterisk_cc.db.engine import database_error, describe_url
from asterisk_cc.errors import ConfigError

__all__ = [
    "BuiltinDirectory",
    "CustomerDirectory",
    "QueryDirectory",
    "TableDirectory",
    "customer_directory",
]

log = logging.getLogger(__name__)

ROLES = ("id", "name", "account", "tier", "language", "timezone")
"""What a lookup returns, in this order, whatever the source calls it."""

_QUERY_ALIASES = {
    "id": ("id", "customer_id"),
    "name": ("name", "customer_name"),
    "account": ("account", "account_number"),
    "tier": ("tier",),
    "language": ("language",),
    "timezone": ("timezone", "time_zone"),
}
_PHONE_PARAMS = ("phone", "phone_e164", "phone_digits", "phone_national")
_QUERY_EXAMPLE = (
    "SELECT cust_no AS id, full_name AS name, level AS tier FROM clients WHERE mobile = :phone"
)


class CustomerDirectory(Protocol):
    """Where the IVR, the agent desktop and the dialer find customers."""

    def find_by_phone(self, raw_number: str) -> Customer | None:
        """The customer calling from ``raw_number`` (a caller ID as Asterisk gives it)."""
        ...

    def find_by_account(self, account: str) -> Customer | None:
        """The customer with the account number the caller entered."""
        ...


def customer_directory(crm: CrmSettings, site: SiteSettings, engine: Engine) -> CustomerDirectory:
    """The directory ``[crm] source`` asks for, checked against the database."""
    if not is_known_region(site.default_region):
        raise ConfigError(
            f"[site] default_region {site.default_region!r} is not a country code phone numbers "
            "can be read for. Fix: use an ISO 3166 code such as CN, US or GB."
        )
    region = site.default_region.upper()
    if crm.source != "table" and any(name.strip() for name in crm.extra_columns):
        log.warning(
            '[crm] extra_columns is only read with source = "table" (source = %s takes the '
            "other fields from %s); ignored",
            crm.source,
            "customers.attributes" if crm.source == "builtin" else "the query's other columns",
        )
    if crm.source == "builtin":
        return BuiltinDirectory(engine, region)
    if crm.source == "table":
        return TableDirectory(engine, crm, region)
    if crm.source == "query":
        return QueryDirectory(engine, crm, region)
    raise ConfigError(f"[crm] source {crm.source!r} is unknown. Fix: use builtin, table or query.")


class _SqlDirectory:
    """What the three sources share: reading the number, running one statement, the result."""

    def __init__(self, engine: Engine, region: str) -> None:
        self.engine = engine
        self.region = region
        # A lookup is one SELECT: on PostgreSQL it needs no transaction around it, which saves
        # the BEGIN and ROLLBACK round trips. (SQLite's transactions cost no round trip.)
        self._reader = (
            engine.execution_options(isolation_level="AUTOCOMMIT")
            if engine.dialect.name == "postgresql"
            else engine
        )
        self._explains = 0

    # --- the two lookups ---------------------------------------------------------------------

    def find_by_phone(self, raw_number: str) -> Customer | None:
        try:
            e164 = normalize_e164(raw_number, self.region)
        except InvalidPhoneNumber as exc:
            log.debug("caller ID not looked up: %s", exc)
            return None
        row = self._first(self._phone_statement(), self._phone_params(e164))
        return self._customer(row, e164) if row is not None else None

    def find_by_account(self, account: str) -> Customer | None:
        account = account.strip()
        statement = self._account_statement()
        if not account or statement is None:
            return None
        row = self._first(statement, self._account_params(account))
        return self._customer(row, None) if row is not None else None

    def explain_phone_lookup(self, raw_number: str) -> list[str]:
        """The database's query plan for the phone lookup (EXPLAIN), one line per step."""
        e164 = normalize_e164(raw_number, self.region)
        compiled = self._phone_statement().compile(dialect=self.engine.dialect)
        state = compiled.construct_expanded_state(self._phone_params(e164))
        with self.engine.connect() as connection:
            if self.engine.dialect.name == "sqlite":
                # The sqlite3 module caches prepared statements by their text, and an EXPLAIN
                # is never re-prepared after an index changes: make each one's text new.
                self._explains += 1
                rows = connection.exec_driver_sql(
                    f"EXPLAIN QUERY PLAN /* {self._explains} */ {state.statement}",
                    state.positional_parameters,
                )
                return [str(row[-1]) for row in rows]
            rows = connection.exec_driver_sql("EXPLAIN " + state.statement, state.parameters)
            return [str(row[0]) for row in rows]

    # --- for the sources to fill in ----------------------------------------------------------

    # A row is the ROLES in order, then whatever the source adds (a phone, other fields).

    def _phone_statement(self) -> Select[Any] | TextClause:
        raise NotImplementedError

    def _phone_params(self, e164: str) -> dict[str, Any]:
        raise NotImplementedError

    def _account_statement(self) -> Executable | None:
        raise NotImplementedError

    def _account_params(self, account: str) -> dict[str, Any]:
        return {"account": account}

    def _row_phone(self, row: Sequence[Any]) -> str | None:
        return None

    def _row_fields(self, row: Sequence[Any]) -> dict[str, str]:
        return {}

    # --- shared machinery --------------------------------------------------------------------

    def _first(self, statement: Executable, params: Mapping[str, Any]) -> Sequence[Any] | None:
        try:
            with self._reader.connect() as connection:
                rows = connection.execute(statement, dict(params)).fetchmany(2)
        except (DBAPIError, SQLAlchemyError) as exc:
            raise database_error(self.engine, exc) from None
        if not rows:
            return None
        if len(rows) > 1:
            log.warning(
                "CRM lookup matched more than one customer (%s and %s); using the first",
                rows[0][0],
                rows[1][0],
            )
        return tuple(rows[0])

    def _customer(self, row: Sequence[Any], e164: str | None) -> Customer | None:
        values = dict(zip(ROLES, row, strict=False))
        if values.get("id") is None:
            log.warning("CRM lookup returned a customer without an id; treated as not found")
            return None
        return Customer(
            customer_id=str(values["id"]),
            name=_text(values.get("name")) or "",
            account_number=_text(values.get("account")),
            tier=parse_tier(_text(values.get("tier"))),
            language=normalize_language(_text(values.get("language"))),
            timezone=_timezone(_text(values.get("timezone"))),
            phone_e164=e164 or self._row_phone(row),
            fields=self._row_fields(row),
        )


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text_value = str(value).strip()
    return text_value or None


def _field_text(value: Any) -> str | None:
    """A CRM field as the IVR gets it: text, whatever type the CRM stores it as.

    Numbers keep their digits (``Decimal('128.50')`` is ``"128.50"``, never ``1.285E+2``),
    dates and times are ISO 8601, booleans ``true``/``false``, a JSON object or list its JSON
    text. None means the CRM has no value: the field is left out.
    """
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", errors="replace")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def _named_fields(pairs: Sequence[tuple[str, Any]]) -> dict[str, str]:
    """``{name: text}`` for the fields that have a value, names lower-case."""
    fields: dict[str, str] = {}
    for name, value in pairs:
        as_text = _field_text(value)
        if as_text is not None:
            fields[str(name).lower()] = as_text
    return fields


@functools.lru_cache(maxsize=512)
def _timezone(name: str | None) -> str | None:
    """A CRM's time zone if it is an IANA name (Asia/Shanghai), else None."""
    if not name:
        return None
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        log.debug("CRM time zone %r is not an IANA name; ignored", name)
        return None
    return name


# --- builtin -------------------------------------------------------------------------------------


class BuiltinDirectory(_SqlDirectory):
    """The project's own customers: one probe of the unique phone index per call.

    Rows are the ROLES, a phone number, then ``customers.attributes`` (the other fields).
    """

    def __init__(self, engine: Engine, region: str) -> None:
        super().__init__(engine, region)
        c, p = models.Customer.__table__.c, models.CustomerPhone.__table__.c
        fields = (c.id, c.name, c.account_number, c.tier, c.language, c.timezone)
        self._by_phone = (
            select(*fields, p.phone_e164, c.attributes)
            .select_from(models.CustomerPhone.__table__.join(models.Customer.__table__))
            .where(p.phone_e164 == bindparam("phone"))
        )
        first_phone = (
            select(p.phone_e164)
            .where(p.customer_id == c.id)
            .order_by(p.id)
            .limit(1)
            .scalar_subquery()
        )
        self._by_account = select(*fields, first_phone, c.attributes).where(
            c.account_number == bindparam("account")
        )

    def _phone_statement(self) -> Select[Any]:
        return self._by_phone

    def _phone_params(self, e164: str) -> dict[str, Any]:
        return {"phone": e164}

    def _account_statement(self) -> Select[Any]:
        return self._by_account

    def _row_phone(self, row: Sequence[Any]) -> str | None:
        return _text(row[len(ROLES)])

    def _row_fields(self, row: Sequence[Any]) -> dict[str, str]:
        attributes = row[len(ROLES) + 1]
        if not isinstance(attributes, Mapping):  # written by hand as a list or a scalar
            if attributes is not None:
                log.warning(
                    "customers.attributes of customer %s is not a JSON object; ignored", row[0]
                )
            return {}
        return _named_fields(list(attributes.items()))


# --- table ---------------------------------------------------------------------------------------

_COLUMN_KEYS = {
    "id": "id_column",
    "name": "name_column",
    "account": "account_column",
    "tier": "tier_column",
    "language": "language_column",
    "timezone": "timezone_column",
    "phone": "phone_column",
}


class TableDirectory(_SqlDirectory):
    """An existing CRM table, mapped by ``[crm] table`` and the ``[crm] *_column`` keys.

    Rows are the ROLES, the phone column, then the ``[crm] extra_columns`` in their order.
    """

    def __init__(self, engine: Engine, crm: CrmSettings, region: str) -> None:
        super().__init__(engine, region)
        self.phone_format = crm.phone_format
        schema, _, name = crm.table.strip().rpartition(".")
        if not name:
            raise ConfigError(
                '[crm] table is empty but source = "table" needs it. Fix: name the existing '
                'customer table, e.g. table = "crm.customers".'
            )
        reflected = self._reflect(name, schema or None, crm.table)
        mapped: dict[str, str | None] = {}
        for role, key in _COLUMN_KEYS.items():
            configured = getattr(crm, key).strip()
            if not configured:
                mapped[role] = None
                continue
            if configured not in reflected:
                raise ConfigError(self._missing_column(crm.table, key, configured, reflected))
            mapped[role] = configured
        for role in ("id", "name", "phone"):
            if mapped[role] is None:
                raise ConfigError(
                    f'[crm] {_COLUMN_KEYS[role]} is empty but source = "table" needs it. Fix: '
                    f"name the column of {crm.table} that holds the customer's {role}."
                )
        extras = self._extra_columns(crm, reflected)
        self._field_names = tuple(col.lower() for col in extras)
        used = {col for col in mapped.values() if col is not None} | set(extras)
        crm_table = table(
            name, *(column(col, reflected[col]) for col in sorted(used)), schema=schema or None
        )

        def pick(role: str) -> ColumnElement[Any]:
            col = mapped[role]
            return crm_table.c[col] if col is not None else _null(role)

        fields = [pick(role) for role in ROLES]
        phone_col = crm_table.c[mapped["phone"]]  # type: ignore[index]
        # The other fields come back as the driver returns them, not through the reflected
        # type's conversion: a CRM's free-form column may hold values its declared type would
        # refuse (text in a SQLite DATE column), and they all become text anyway.
        others = [
            type_coerce(crm_table.c[col], NullType()).label(f"field_{n}")
            for n, col in enumerate(extras)
        ]
        self._phone_is_integer = isinstance(reflected[mapped["phone"]], Integer)  # type: ignore[index]
        order = crm_table.c[mapped["id"]]  # type: ignore[index]
        self._by_phone = (
            select(*fields, phone_col, *others)
            .where(phone_col.in_(bindparam("phones", expanding=True)))
            .order_by(order)
            .limit(2)
        )
        self._by_account: Select[Any] | None = None
        if mapped["account"] is not None:
            self._by_account = (
                select(*fields, phone_col, *others)
                .where(crm_table.c[mapped["account"]] == bindparam("account"))
                .order_by(order)
                .limit(2)
            )
        else:
            log.info("[crm] account_column is empty: lookups by account number find nobody")
        self._warn_without_index(name, schema or None, mapped["phone"])  # type: ignore[arg-type]

    def _reflect(self, name: str, schema: str | None, shown: str) -> dict[str, TypeEngine[Any]]:
        try:
            inspector = inspect(self.engine)
            columns = inspector.get_columns(name, schema=schema)
        except NoSuchTableError:
            raise ConfigError(
                f"[crm] table {shown!r} does not exist in the database ([database] url = "
                f"{describe_url(self.engine)}). Fix: name an existing table or view, as "
                'schema.table if it is not in the default schema (e.g. table = "crm.clients"), '
                "spelled with the same case as in the database."
            ) from None
        except (DBAPIError, SQLAlchemyError) as exc:
            raise database_error(self.engine, exc) from None
        if not columns:  # some databases report a missing table as one without columns
            raise ConfigError(
                f"[crm] table {shown!r} has no columns visible to this database user. Fix: "
                "check the name and grant SELECT on it."
            )
        return {col["name"]: col["type"] for col in columns}

    def _extra_columns(
        self, crm: CrmSettings, reflected: Mapping[str, TypeEngine[Any]]
    ) -> list[str]:
        """``[crm] extra_columns``, checked against the table like the other columns."""
        extras: list[str] = []
        by_field: dict[str, str] = {}
        for configured in (name.strip() for name in crm.extra_columns):
            if not configured or configured in extras:
                continue
            if configured not in reflected:
                raise ConfigError(
                    self._missing_column(
                        crm.table, "extra_columns", configured, reflected, listed=True
                    )
                )
            field_name = configured.lower()
            if field_name in by_field:
                raise ConfigError(
                    f"[crm] extra_columns has both {by_field[field_name]!r} and {configured!r}: "
                    f"the IVR knows fields by lower-case name ({field_name!r}), so it cannot tell "
                    "them apart. Fix: keep one of them, or give the other another name in a view."
                )
            by_field[field_name] = configured
            extras.append(configured)
        return extras

    @staticmethod
    def _missing_column(
        table_name: str,
        key: str,
        configured: str,
        reflected: Mapping[str, Any],
        *,
        listed: bool = False,
    ) -> str:
        same_but_case = [name for name in reflected if name.lower() == configured.lower()]
        hint = (
            f" (did you mean {same_but_case[0]!r}? names are case-sensitive)"
            if same_but_case
            else ""
        )
        columns = ", ".join(list(reflected)[:30])
        where = f"[crm] {key} lists {configured!r}" if listed else f"[crm] {key} = {configured!r}"
        return (
            f"{where}: {table_name} has no such column{hint}. Fix: use one of its columns: "
            f"{columns}."
        )

    def _warn_without_index(self, name: str, schema: str | None, phone_column: str) -> None:
        try:
            inspector = inspect(self.engine)
            leading = [ix["column_names"][0] for ix in inspector.get_indexes(name, schema=schema)]
            leading += [
                uq["column_names"][0]
                for uq in inspector.get_unique_constraints(name, schema=schema)
            ]
            leading += inspector.get_pk_constraint(name, schema=schema).get(
                "constrained_columns", []
            )[:1]
        except (NotImplementedError, SQLAlchemyError):  # views, exotic dialects
            return
        if phone_column not in leading:
            log.warning(
                "[crm] phone_column %s of %s has no index: every caller lookup scans the whole "
                "table. Create one, e.g. CREATE INDEX ON %s (%s)",
                phone_column,
                name,
                name,
                phone_column,
            )

    def _phone_statement(self) -> Select[Any]:
        return self._by_phone

    def _phone_params(self, e164: str) -> dict[str, Any]:
        variants: list[Any] = list(lookup_variants(e164, self.phone_format))
        if self._phone_is_integer:  # a CRM that stores numbers as integers
            variants = [int(v) for v in variants if v.isdigit()] or [-1]
        return {"phones": variants}

    def _account_statement(self) -> Select[Any] | None:
        return self._by_account

    def _row_phone(self, row: Sequence[Any]) -> str | None:
        stored = _text(row[len(ROLES)])
        if stored is None:
            return None
        if self.phone_format == "digits" and not stored.startswith("+"):
            stored = "+" + stored
        try:
            return normalize_e164(stored, self.region)
        except InvalidPhoneNumber:
            return None

    def _row_fields(self, row: Sequence[Any]) -> dict[str, str]:
        return _named_fields(list(zip(self._field_names, row[len(ROLES) + 1 :], strict=True)))


def _null(role: str) -> ColumnElement[Any]:
    from sqlalchemy import literal_column

    return literal_column("NULL").label(role)


# --- query ---------------------------------------------------------------------------------------


class QueryDirectory(_SqlDirectory):
    """The admin's SELECT statements, with the number and the account as bound parameters.

    Rows are rearranged into the ROLES, then one mapping of the other columns the SELECT
    returns (by their lower-case names), which become the customer's other fields.
    """

    def __init__(self, engine: Engine, crm: CrmSettings, region: str) -> None:
        super().__init__(engine, region)
        self.phone_format = crm.phone_format
        example = phonenumbers.example_number(region)
        sample_e164 = (
            phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
            if example is not None
            else "+442079460958"  # a region without an example number: any valid one will do
        )
        self._by_phone, self._phone_layout, self._phone_binds = self._prepare(
            "phone_lookup_query",
            crm.phone_lookup_query,
            _PHONE_PARAMS,
            self._all_phone_params(sample_e164),
        )
        self._by_account: TextClause | None = None
        self._account_layout = _Layout((), ())
        if crm.account_lookup_query.strip():
            self._by_account, self._account_layout, _ = self._prepare(
                "account_lookup_query", crm.account_lookup_query, ("account",), {"account": "0"}
            )

    def _prepare(
        self, key: str, sql: str, allowed: Sequence[str], sample: Mapping[str, Any]
    ) -> tuple[TextClause, _Layout, tuple[str, ...]]:
        where = f"[crm] {key}"
        if not sql.strip():
            raise ConfigError(
                f'{where} is empty but source = "query" needs it. Fix: write a query returning '
                f"id and name, with the number bound as :phone, e.g. {_QUERY_EXAMPLE!r}."
            )
        statement = text(sql)
        binds = tuple(statement.compile().params)
        unknown = [name for name in binds if name not in allowed]
        if unknown or not binds:
            raise ConfigError(
                f"{where} binds {', '.join(':' + n for n in unknown) or 'no parameter'}; it may "
                f"only use {', '.join(':' + n for n in allowed)}. Fix: write the caller's value "
                f"as {':' + allowed[0]} (a bound parameter, never pasted into the SQL)."
            )
        params = {name: sample[name] for name in binds}
        try:
            connection = self.engine.connect()
        except (DBAPIError, SQLAlchemyError) as exc:
            raise database_error(self.engine, exc) from None
        try:
            with connection, connection.begin() as transaction:
                result = connection.execute(statement, params)
                if not result.returns_rows:
                    transaction.rollback()
                    raise ConfigError(
                        f"{where} does not return rows. Fix: make it a SELECT returning id and "
                        "name (and optionally account, tier, language, timezone)."
                    )
                keys = [str(key_name).lower() for key_name in result.keys()]  # noqa: SIM118
                result.close()
                transaction.rollback()  # whatever it was, it changes nothing
        except (DBAPIError, SQLAlchemyError) as exc:
            raise ConfigError(
                f"{where} fails on the database ([database] url = {describe_url(self.engine)}): "
                f"{_db_message(exc)}. Fix: correct the SQL (run it by hand with a sample value "
                "to check); compare a number column with CAST(:phone AS ...) if needed."
            ) from None
        positions = tuple(_position(keys, role) for role in ROLES)
        if positions[0] is None or positions[1] is None:
            raise ConfigError(
                f"{where} returns the columns ({', '.join(keys)}) but must return id and name. "
                f"Fix: alias them, e.g. {_QUERY_EXAMPLE!r}."
            )
        others: dict[str, int] = {}
        for index, name in enumerate(keys):
            if index not in positions and name not in others:
                others[name] = index
        return statement, _Layout(positions, tuple(others.items())), binds

    def _all_phone_params(self, e164: str) -> dict[str, Any]:
        return {
            "phone": format_for_lookup(e164, self.phone_format),
            "phone_e164": e164,
            "phone_digits": format_for_lookup(e164, "digits"),
            "phone_national": format_for_lookup(e164, "national"),
        }

    def _phone_statement(self) -> TextClause:
        return self._by_phone

    def _phone_params(self, e164: str) -> dict[str, Any]:
        every = self._all_phone_params(e164)
        return {name: every[name] for name in self._phone_binds}

    def _account_statement(self) -> TextClause | None:
        return self._by_account

    def _first(self, statement: Executable, params: Mapping[str, Any]) -> Sequence[Any] | None:
        row = super()._first(statement, params)
        if row is None:
            return None
        layout = self._phone_layout if statement is self._by_phone else self._account_layout
        roles = tuple(row[i] if i is not None else None for i in layout.roles)
        return (*roles, {name: row[i] for name, i in layout.others})

    def _row_fields(self, row: Sequence[Any]) -> dict[str, str]:
        return _named_fields(list(row[len(ROLES)].items()))


@dataclass(frozen=True)
class _Layout:
    """Where a query's columns are: each role's position (None = not returned), then the
    other columns by name and position."""

    roles: tuple[int | None, ...]
    others: tuple[tuple[str, int], ...]


def _position(keys: Sequence[str], role: str) -> int | None:
    for alias in _QUERY_ALIASES[role]:
        if alias in keys:
            return keys.index(alias)
    return None


def _db_message(exc: BaseException) -> str:
    original = getattr(exc, "orig", None) or exc
    lines = str(original).strip().splitlines()
    return lines[0].rstrip(".") if lines else type(original).__name__
