"""Any CRM field, not only the standard ones: ``customers.attributes`` (builtin), the
``[crm] extra_columns`` of an existing table, and the other columns of an admin's SELECT all
reach :attr:`Customer.fields` as text under lower-case names; on SQLite and PostgreSQL."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import asdict
from typing import Any

import pytest
from sqlalchemy import Engine, delete, insert, text
from sqlalchemy.orm import Session

from asterisk_cc.config import CrmSettings, SiteSettings
from asterisk_cc.core.customers import Customer as CustomerValue
from asterisk_cc.core.customers import Tier
from asterisk_cc.db.crm import customer_directory
from asterisk_cc.db.models import Customer, CustomerPhone
from asterisk_cc.errors import ConfigError

SITE = SiteSettings(default_region="CN")
WANG = "+8613800000001"
ZHAO = "+8613800000002"
ODD = "+8613800000003"
HOSTILE_COLUMN = 'Note"; DROP TABLE accounts; --'


# --- the customer value ----------------------------------------------------------------------


def test_fields_are_text_under_lower_case_names_and_do_not_break_hashing() -> None:
    source = {"Balance": "12.50", "SEGMENT": "smb"}
    customer = CustomerValue("7", "Wang Fang", fields=source)
    source["balance"] = "changed"
    assert customer.fields == {"balance": "12.50", "segment": "smb"}
    assert CustomerValue("7", "Wang Fang").fields == {}
    assert hash(customer) == hash(CustomerValue("7", "Wang Fang"))
    assert customer == CustomerValue(
        "7", "Wang Fang", fields={"balance": "12.50", "segment": "smb"}
    )
    assert customer != CustomerValue("7", "Wang Fang")
    assert asdict(customer)["fields"] == {"balance": "12.50", "segment": "smb"}
    with pytest.raises(TypeError, match="'balance' must be text, not float"):
        CustomerValue("7", "Wang Fang", fields={"balance": 12.5})  # type: ignore[dict-item]


# --- builtin: customers.attributes -----------------------------------------------------------


@pytest.fixture
def builtin(engine: Engine) -> Iterator[Engine]:
    """Customers of the built-in CRM with free-form fields, committed (the directory reads
    through its own connections) and removed afterwards."""
    rows: list[dict[str, Any]] = [
        {
            "name": "Wang Fang",
            "account_number": "F-2001",
            "tier": Tier.GOLD,
            "attributes": {
                "balance": "128.50",
                "Segment": "SMB",
                "credit_limit": 5000,
                "ratio": 0.25,
                "autopay": True,
                "contract_end": "2027-03-31",
                "tags": ["roaming", "5g"],
                "nickname": None,
            },
        },
        {"name": "Zhao Lei", "account_number": "F-2002"},  # the server default: {}
        {"name": "Odd Data", "attributes": ["not", "an", "object"]},
    ]
    with engine.begin() as connection:
        ids = [
            connection.execute(insert(Customer).returning(Customer.id), row).scalar_one()
            for row in rows
        ]
        connection.execute(
            insert(CustomerPhone),
            [
                {"customer_id": ids[0], "phone_e164": WANG},
                {"customer_id": ids[1], "phone_e164": ZHAO},
                {"customer_id": ids[2], "phone_e164": ODD},
            ],
        )
    try:
        yield engine
    finally:
        with engine.begin() as connection:
            connection.execute(delete(Customer).where(Customer.id.in_(ids)))


WANG_FIELDS = {
    "balance": "128.50",
    "segment": "SMB",
    "credit_limit": "5000",
    "ratio": "0.25",
    "autopay": "true",
    "contract_end": "2027-03-31",
    "tags": '["roaming", "5g"]',
}


def test_builtin_returns_the_customers_attributes_as_text(builtin: Engine) -> None:
    directory = customer_directory(CrmSettings(), SITE, builtin)
    by_phone = directory.find_by_phone("013800000001")
    assert by_phone is not None and by_phone.tier is Tier.GOLD
    assert dict(by_phone.fields) == WANG_FIELDS  # nickname is null: absent
    by_account = directory.find_by_account("F-2001")
    assert by_account is not None and by_account.phone_e164 == WANG
    assert dict(by_account.fields) == WANG_FIELDS


def test_builtin_customer_without_attributes_has_no_fields(
    builtin: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    directory = customer_directory(CrmSettings(), SITE, builtin)
    zhao = directory.find_by_account("F-2002")
    assert zhao is not None and zhao.fields == {}
    with caplog.at_level(logging.WARNING, logger="asterisk_cc.db.crm"):
        odd = directory.find_by_phone(ODD)
    assert odd is not None and odd.name == "Odd Data" and odd.fields == {}
    assert "is not a JSON object" in caplog.text


def test_new_customers_get_an_empty_attributes_document(db_session: Session) -> None:
    customer = Customer(name="default attributes")
    db_session.add(customer)
    db_session.flush()
    db_session.refresh(customer)
    assert customer.attributes == {}
    customer.attributes = {"balance": "3.20"}
    db_session.flush()
    db_session.expire_all()
    stored = db_session.get(Customer, customer.id)
    assert stored is not None and stored.attributes == {"balance": "3.20"}


# --- an existing CRM table: [crm] extra_columns ------------------------------------------------


@pytest.fixture
def accounts(engine: Engine) -> Iterator[tuple[Engine, str]]:
    """A foreign CRM table with columns beyond the standard ones, some needing quotes; in a
    schema of its own on PostgreSQL. Yields the engine and the ``[crm] table`` value."""
    postgres = engine.dialect.name == "postgresql"
    qualified = '"Crm Fields".accounts' if postgres else "accounts"
    with engine.begin() as connection:
        if postgres:
            connection.execute(text('CREATE SCHEMA "Crm Fields"'))
        connection.execute(
            text(
                f"CREATE TABLE {qualified} (cust_no VARCHAR(20) PRIMARY KEY, "
                "full_name VARCHAR(100), mobile VARCHAR(20), level VARCHAR(20), "
                'acct VARCHAR(20), "Balance" NUMERIC(12, 2), segment VARCHAR(20), '
                'contract_end DATE, "Credit Limit" INTEGER, "Note""; DROP TABLE accounts; --" '
                "VARCHAR(40))"
            )
        )
        connection.execute(text(f"CREATE INDEX accounts_mobile ON {qualified} (mobile)"))
        connection.execute(
            text(
                f"INSERT INTO {qualified} VALUES (:no, :name, :mobile, :level, :acct, "  # noqa: S608
                ":balance, :segment, :contract_end, :credit, :note)"
            ),
            [
                {
                    "no": "K001",
                    "name": "Sun Li",
                    "mobile": "13800000001",
                    "level": "VIP客户",
                    "acct": "77001",
                    "balance": 128.5,
                    "segment": " enterprise ",
                    "contract_end": "2027-03-31",
                    "credit": 5000,
                    "note": "x'; DROP TABLE accounts; --",
                },
                {
                    "no": "K002",
                    "name": "Ma Rui",
                    "mobile": "13800000002",
                    "level": None,
                    "acct": "77002",
                    "balance": None,
                    "segment": None,
                    "contract_end": None,
                    "credit": 0,
                    "note": None,
                },
            ],
        )
    try:
        yield engine, "Crm Fields.accounts" if postgres else "accounts"
    finally:
        with engine.begin() as connection:
            connection.execute(text(f"DROP TABLE {qualified}"))
            if postgres:
                connection.execute(text('DROP SCHEMA "Crm Fields"'))


def accounts_settings(table_name: str, extra_columns: list[str]) -> CrmSettings:
    return CrmSettings(
        source="table",
        table=table_name,
        id_column="cust_no",
        name_column="full_name",
        phone_column="mobile",
        tier_column="level",
        account_column="acct",
        phone_format="national",
        extra_columns=extra_columns,
    )


def test_table_mode_returns_the_extra_columns(accounts: tuple[Engine, str]) -> None:
    engine, table_name = accounts
    extras = ["Balance", "segment", "contract_end", "Credit Limit", HOSTILE_COLUMN, "level"]
    directory = customer_directory(accounts_settings(table_name, extras), SITE, engine)
    sun = directory.find_by_phone("+86 138 0000 0001")
    assert sun is not None and (sun.customer_id, sun.tier) == ("K001", Tier.VIP)
    # NUMERIC(12, 2): PostgreSQL returns the decimal as declared, SQLite the number it stored.
    balance = "128.50" if engine.dialect.name == "postgresql" else "128.5"
    expected = {
        "balance": balance,
        "segment": "enterprise",
        "contract_end": "2027-03-31",
        "credit limit": "5000",
        HOSTILE_COLUMN.lower(): "x'; DROP TABLE accounts; --",
        "level": "VIP客户",  # a mapped column may be an extra field too: the text as stored
    }
    assert dict(sun.fields) == expected
    by_account = directory.find_by_account("77001")
    assert by_account is not None and by_account.phone_e164 == WANG
    assert dict(by_account.fields) == expected
    ma = directory.find_by_account("77002")
    assert ma is not None and dict(ma.fields) == {"credit limit": "0"}  # nulls are absent
    qualified = '"Crm Fields".accounts' if engine.dialect.name == "postgresql" else "accounts"
    with engine.connect() as connection:  # the hostile column name was only ever quoted
        count = connection.execute(text(f"SELECT count(*) FROM {qualified}")).scalar()  # noqa: S608
    assert count == 2


def test_table_mode_without_extra_columns_has_no_fields(accounts: tuple[Engine, str]) -> None:
    engine, table_name = accounts
    blanks = ["", "  "]
    for extras in ([], blanks):
        directory = customer_directory(accounts_settings(table_name, extras), SITE, engine)
        sun = directory.find_by_phone(WANG)
        assert sun == CustomerValue("K001", "Sun Li", "77001", Tier.VIP, phone_e164=WANG)


def test_table_mode_repeated_extra_column_is_read_once(accounts: tuple[Engine, str]) -> None:
    engine, table_name = accounts
    settings = accounts_settings(table_name, ["segment", " segment ", "segment"])
    sun = customer_directory(settings, SITE, engine).find_by_phone(WANG)
    assert sun is not None and dict(sun.fields) == {"segment": "enterprise"}


@pytest.mark.parametrize(
    ("extras", "needles"),
    [
        (
            ["Balance", "balanse"],
            ["[crm] extra_columns lists 'balanse'", "has no such column", "Balance", "Fix:"],
        ),
        (["balance"], ["did you mean 'Balance'", "case-sensitive"]),
    ],
)
def test_table_mode_missing_extra_column_is_reported_at_start_up(
    accounts: tuple[Engine, str], extras: list[str], needles: list[str]
) -> None:
    engine, table_name = accounts
    with pytest.raises(ConfigError) as excinfo:
        customer_directory(accounts_settings(table_name, extras), SITE, engine)
    for needle in needles:
        assert needle in str(excinfo.value)


def test_table_mode_columns_differing_only_by_case_are_refused(postgres_engine: Engine) -> None:
    """Only PostgreSQL can have both ``segment`` and ``"Segment"``; SQLite's names ignore case."""
    with postgres_engine.begin() as connection:
        connection.execute(
            text(
                "CREATE TABLE twin_columns (id INTEGER PRIMARY KEY, name TEXT, phone TEXT, "
                'segment TEXT, "Segment" TEXT)'
            )
        )
    try:
        settings = CrmSettings(
            source="table", table="twin_columns", extra_columns=["segment", "Segment"]
        )
        with pytest.raises(ConfigError, match=r"extra_columns has both 'segment' and 'Segment'"):
            customer_directory(settings, SITE, postgres_engine)
    finally:
        with postgres_engine.begin() as connection:
            connection.execute(text("DROP TABLE twin_columns"))


def test_extra_columns_with_another_source_are_ignored_with_a_warning(
    builtin: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="asterisk_cc.db.crm"):
        directory = customer_directory(CrmSettings(extra_columns=["balance"]), SITE, builtin)
    assert '[crm] extra_columns is only read with source = "table"' in caplog.text
    wang = directory.find_by_phone(WANG)
    assert wang is not None and dict(wang.fields) == WANG_FIELDS


# --- the admin's own query: every other column -----------------------------------------------


def test_query_mode_returns_every_other_column(accounts: tuple[Engine, str]) -> None:
    engine, _ = accounts
    qualified = '"Crm Fields".accounts' if engine.dialect.name == "postgresql" else "accounts"
    settings = CrmSettings(
        source="query",
        phone_format="national",
        phone_lookup_query=(
            "SELECT cust_no AS customer_id, full_name AS customer_name, level AS tier, "  # noqa: S608
            'segment AS "Segment", contract_end, "Credit Limit" AS credit_limit, '
            "CAST(NULL AS VARCHAR(10)) AS empty_value, mobile, segment AS again, "
            "full_name AS name "
            f"FROM {qualified} WHERE mobile = :phone"
        ),
        account_lookup_query=(
            "SELECT cust_no AS id, full_name AS name, acct AS account, "  # noqa: S608
            f'CAST("Credit Limit" AS VARCHAR(12)) AS credit FROM {qualified} WHERE acct = :account'
        ),
    )
    directory = customer_directory(settings, SITE, engine)
    sun = directory.find_by_phone("013800000001")
    assert sun is not None and (sun.customer_id, sun.name, sun.tier) == ("K001", "Sun Li", Tier.VIP)
    # The columns that fill a role are not repeated in fields; customer_name is a field here
    # because name (the first spelling) fills the role. Names are lower-case; a null is absent.
    assert dict(sun.fields) == {
        "customer_name": "Sun Li",
        "segment": "enterprise",
        "contract_end": "2027-03-31",
        "credit_limit": "5000",
        "mobile": "13800000001",
        "again": "enterprise",
    }
    ma = directory.find_by_account("77002")
    assert ma is not None and dict(ma.fields) == {"credit": "0"}


def test_query_mode_with_only_the_standard_columns_has_no_fields(
    accounts: tuple[Engine, str],
) -> None:
    engine, _ = accounts
    qualified = '"Crm Fields".accounts' if engine.dialect.name == "postgresql" else "accounts"
    query = (
        "SELECT cust_no AS id, full_name AS name, level AS tier "  # noqa: S608
        f"FROM {qualified} WHERE mobile = :phone"
    )
    directory = customer_directory(
        CrmSettings(source="query", phone_lookup_query=query, phone_format="national"),
        SITE,
        engine,
    )
    assert directory.find_by_phone(WANG) == CustomerValue(
        "K001", "Sun Li", tier=Tier.VIP, phone_e164=WANG
    )
