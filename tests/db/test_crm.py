"""Customer lookup by caller ID and account number: the project's tables, an existing CRM table
mapped by configuration, and an admin's own SELECT; on SQLite and PostgreSQL."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from sqlalchemy import Engine, delete, event, insert, inspect, select, text

from asterisk_cc.config import CrmSettings, SiteSettings
from asterisk_cc.core.customers import Customer as CustomerValue
from asterisk_cc.core.customers import Tier
from asterisk_cc.db.crm import (
    BuiltinDirectory,
    QueryDirectory,
    TableDirectory,
    customer_directory,
)
from asterisk_cc.db.models import Customer, CustomerPhone
from asterisk_cc.errors import ConfigError

SITE = SiteSettings(default_region="CN")
LI_LEI = "+8613812345678"
JANE = "+442079460958"
HOSTILE = "'; DROP TABLE customer_phones; DROP TABLE legacy_clients; --"


@dataclass
class Statements:
    """Every SQL statement an engine runs while the test watches."""

    engine: Engine
    seen: list[str] = field(default_factory=list)

    def __enter__(self) -> Statements:
        event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._record)

    def _record(self, conn: object, cursor: object, statement: str, *args: object) -> None:
        self.seen.append(statement)


@pytest.fixture
def crm(engine: Engine) -> Iterator[Engine]:
    """Customers in the project's tables and in a foreign ``legacy_clients`` table, committed
    (the directory reads through its own connections) and removed afterwards."""
    with engine.begin() as connection:
        ids = (
            connection.execute(
                insert(Customer).returning(Customer.id),
                [
                    {
                        "name": "Li Lei",
                        "account_number": "A-1001",
                        "tier": Tier.VIP,
                        "language": "zh",
                        "timezone": "Asia/Shanghai",
                    },
                    {
                        "name": "Jane Smith",
                        "account_number": "A-1002",
                        "tier": Tier.GOLD,
                        "language": "en-GB",
                        "timezone": "Not/AZone",
                    },
                ],
                # RETURNING order follows the rows on both databases for an executemany insert
            )
            .scalars()
            .all()
        )
        connection.execute(
            insert(CustomerPhone),
            [
                {"customer_id": ids[0], "phone_e164": LI_LEI, "label": "mobile"},
                {"customer_id": ids[0], "phone_e164": "+861012345678", "label": "home"},
                {"customer_id": ids[1], "phone_e164": JANE, "label": "work"},
            ],
        )
        connection.execute(
            text(
                "CREATE TABLE legacy_clients (cust_no VARCHAR(20) PRIMARY KEY, "
                "full_name VARCHAR(100), mobile VARCHAR(20), mobile_intl VARCHAR(20), "
                "mobile_e164 VARCHAR(20), level VARCHAR(20), acct VARCHAR(20), lang VARCHAR(10), "
                "tz VARCHAR(40))"
            )
        )
        connection.execute(text("CREATE INDEX legacy_clients_mobile ON legacy_clients (mobile)"))
        connection.execute(
            text(
                "INSERT INTO legacy_clients VALUES (:no, :name, :nat, :intl, :e164, :level, "
                ":acct, :lang, :tz)"
            ),
            [
                {
                    "no": "C001",
                    "name": "Zhang Wei",
                    "nat": "13812345678",
                    "intl": "8613812345678",
                    "e164": LI_LEI,
                    "level": "VIP客户",
                    "acct": "88001",
                    "lang": "zh_CN",
                    "tz": "Asia/Shanghai",
                },
                {
                    "no": "C002",
                    "name": "Chen Jing",
                    "nat": "013912345678",  # trunk prefix kept
                    "intl": "8613912345678",
                    "e164": "+8613912345678",
                    "level": "金卡",
                    "acct": "88002",
                    "lang": "Chinese",
                    "tz": None,
                },
                {
                    "no": "C003",
                    "name": "O'Brien; DROP",
                    "nat": "02087654321",
                    "intl": "862087654321",
                    "e164": "+862087654321",
                    "level": None,
                    "acct": "88003",
                    "lang": None,
                    "tz": "Europe/London",
                },
            ],
        )
    try:
        yield engine
    finally:
        with engine.begin() as connection:
            connection.execute(text("DROP TABLE legacy_clients"))
            connection.execute(delete(Customer).where(Customer.id.in_(ids)))


def table_settings(**overrides: str) -> CrmSettings:
    values = {
        "source": "table",
        "table": "legacy_clients",
        "id_column": "cust_no",
        "name_column": "full_name",
        "phone_column": "mobile",
        "tier_column": "level",
        "account_column": "acct",
        "language_column": "lang",
        "timezone_column": "tz",
        "phone_format": "national",
    }
    return CrmSettings(**{**values, **overrides})


QUERY = (
    "SELECT cust_no AS id, full_name AS name, acct AS account, "
    "CASE WHEN level LIKE 'VIP%' THEN 'vip' ELSE 'standard' END AS tier "
    "FROM legacy_clients WHERE mobile_intl = :phone"
)


# --- builtin -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "caller_id",
    [
        "013812345678",
        "13812345678",
        "+86 138-1234-5678",
        "8613812345678",
        "008613812345678",
        "tel:+86-138-1234-5678",
    ],
)
def test_builtin_finds_the_caller_whatever_form_the_caller_id_has(
    crm: Engine, caller_id: str
) -> None:
    found = customer_directory(CrmSettings(), SITE, crm).find_by_phone(caller_id)
    assert found is not None
    assert (found.name, found.account_number, found.tier) == ("Li Lei", "A-1001", Tier.VIP)
    assert (found.language, found.timezone, found.phone_e164) == ("zh", "Asia/Shanghai", LI_LEI)
    assert int(found.customer_id) > 0


def test_builtin_lookup_is_one_statement(crm: Engine) -> None:
    directory = customer_directory(CrmSettings(), SITE, crm)
    with Statements(crm) as statements:
        assert directory.find_by_phone("02079460958") is None  # a London number, dialled in CN
        jane = directory.find_by_phone("+44 20 7946 0958")
    assert jane is not None and jane.name == "Jane Smith" and jane.tier is Tier.GOLD
    assert jane.language == "en" and jane.timezone is None  # "Not/AZone" is not a zone
    selects = [s for s in statements.seen if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 2


@pytest.mark.parametrize("caller_id", ["", "anonymous", "unknown", "1001", HOSTILE])
def test_withheld_or_invalid_caller_ids_are_not_looked_up(crm: Engine, caller_id: str) -> None:
    directory = customer_directory(CrmSettings(), SITE, crm)
    with Statements(crm) as statements:
        assert directory.find_by_phone(caller_id) is None
    assert statements.seen == []


def test_builtin_account_lookup(crm: Engine) -> None:
    directory = customer_directory(CrmSettings(), SITE, crm)
    li_lei = directory.find_by_account(" A-1001 ")
    assert li_lei is not None and li_lei.name == "Li Lei"
    assert li_lei.phone_e164 == LI_LEI  # the first number on file
    assert directory.find_by_account("A-9999") is None
    assert directory.find_by_account("") is None
    assert directory.find_by_account("A-1001' OR '1'='1") is None


def test_hostile_input_is_data_never_sql(crm: Engine) -> None:
    for source in (
        CrmSettings(),
        table_settings(),
        CrmSettings(
            source="query",
            phone_lookup_query=QUERY,
            phone_format="digits",
            account_lookup_query="SELECT cust_no AS id, full_name AS name FROM legacy_clients "
            "WHERE acct = :account",
        ),
    ):
        directory = customer_directory(source, SITE, crm)
        assert directory.find_by_phone(HOSTILE) is None
        assert directory.find_by_account(HOSTILE) is None
        assert directory.find_by_account("88001' OR '1'='1") is None
    tables = set(inspect(crm).get_table_names())
    assert {"customer_phones", "legacy_clients"} <= tables
    with crm.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM legacy_clients")).scalar() == 3


# --- an existing CRM table -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("phone_format", "phone_column"),
    [("national", "mobile"), ("digits", "mobile_intl"), ("e164", "mobile_e164")],
)
def test_table_mode_reads_the_phone_in_the_format_the_table_stores(
    crm: Engine, phone_format: str, phone_column: str
) -> None:
    settings = table_settings(phone_format=phone_format, phone_column=phone_column)
    directory = customer_directory(settings, SITE, crm)
    assert isinstance(directory, TableDirectory)
    zhang = directory.find_by_phone("013812345678")
    assert zhang == CustomerValue(
        customer_id="C001",
        name="Zhang Wei",
        account_number="88001",
        tier=Tier.VIP,
        language="zh",
        timezone="Asia/Shanghai",
        phone_e164=LI_LEI,
    )
    chen = directory.find_by_phone("+86 139 1234 5678")
    assert chen is not None and chen.customer_id == "C002" and chen.tier is Tier.GOLD
    assert chen.language == "zh"
    assert directory.find_by_phone("+8613700000000") is None


def test_table_mode_account_lookup_and_optional_columns(crm: Engine) -> None:
    minimal = table_settings(
        tier_column="", account_column="", language_column="", timezone_column=""
    )
    directory = customer_directory(minimal, SITE, crm)
    found = directory.find_by_phone(LI_LEI)
    assert found == CustomerValue("C001", "Zhang Wei", phone_e164=LI_LEI)
    assert directory.find_by_account("88001") is None  # no account column: nobody
    full = customer_directory(table_settings(), SITE, crm)
    obrien = full.find_by_account("88003")
    assert obrien is not None and obrien.name == "O'Brien; DROP"
    assert obrien.phone_e164 == "+862087654321" and obrien.tier is Tier.STANDARD


def test_table_mode_quotes_identifiers(crm: Engine) -> None:
    """Mixed case and spaces in names, as some CRMs have, and (PostgreSQL) a schema."""
    postgres = crm.dialect.name == "postgresql"
    qualified = '"Crm Legacy"."Client List"' if postgres else '"Client List"'
    with crm.begin() as connection:
        if postgres:
            connection.execute(text('CREATE SCHEMA "Crm Legacy"'))
        connection.execute(
            text(
                f'CREATE TABLE {qualified} ("Cust No" INTEGER PRIMARY KEY, "Full Name" '
                'VARCHAR(100), "Mobile" BIGINT, "Order" VARCHAR(10))'
            )
        )
        connection.execute(
            text(f"INSERT INTO {qualified} VALUES (7, 'Zhao Min', 8613812345678, 'VIP')")  # noqa: S608
        )
    try:
        settings = table_settings(
            table="Crm Legacy.Client List" if postgres else "Client List",
            id_column="Cust No",
            name_column="Full Name",
            phone_column="Mobile",
            tier_column="Order",
            account_column="",
            language_column="",
            timezone_column="",
            phone_format="digits",
        )
        found = customer_directory(settings, SITE, crm).find_by_phone("013812345678")
        assert found == CustomerValue("7", "Zhao Min", tier=Tier.VIP, phone_e164=LI_LEI)
    finally:
        with crm.begin() as connection:
            connection.execute(text(f"DROP TABLE {qualified}"))
            if postgres:
                connection.execute(text('DROP SCHEMA "Crm Legacy"'))


@pytest.mark.parametrize(
    ("overrides", "needles"),
    [
        ({"table": "no_such_table"}, ["[crm] table 'no_such_table' does not exist", "Fix:"]),
        ({"name_column": "fullname"}, ["[crm] name_column = 'fullname'", "full_name", "Fix:"]),
        ({"phone_column": "MOBILE"}, ["did you mean 'mobile'", "case-sensitive"]),
        ({"id_column": ""}, ["[crm] id_column is empty"]),
    ],
)
def test_table_mode_configuration_mistakes_are_named(
    crm: Engine, overrides: dict[str, str], needles: list[str]
) -> None:
    with pytest.raises(ConfigError) as excinfo:
        customer_directory(table_settings(**overrides), SITE, crm)
    for needle in needles:
        assert needle in str(excinfo.value)


def test_table_without_an_index_on_the_phone_column_is_warned_about(
    crm: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="asterisk_cc.db.crm"):
        customer_directory(table_settings(), SITE, crm)
        assert not caplog.records
        customer_directory(
            table_settings(phone_column="mobile_intl", phone_format="digits"), SITE, crm
        )
    assert "mobile_intl of legacy_clients has no index" in caplog.text


# --- the admin's own query -----------------------------------------------------------------


def test_query_mode_binds_the_number_and_the_account(crm: Engine) -> None:
    settings = CrmSettings(
        source="query",
        phone_lookup_query=QUERY,
        phone_format="digits",
        account_lookup_query=(
            "SELECT full_name AS name, cust_no AS customer_id, mobile_e164, lang AS language, "
            "tz AS timezone FROM legacy_clients WHERE acct = :account"
        ),
    )
    directory = customer_directory(settings, SITE, crm)
    assert isinstance(directory, QueryDirectory)
    zhang = directory.find_by_phone("013812345678")
    assert zhang == CustomerValue("C001", "Zhang Wei", "88001", Tier.VIP, phone_e164=LI_LEI)
    chen = directory.find_by_account("88002")
    assert chen is not None and (chen.customer_id, chen.name, chen.language) == (
        "C002",
        "Chen Jing",
        "zh",
    )
    assert chen.phone_e164 is None and chen.tier is Tier.STANDARD
    assert directory.find_by_phone("+8613700000000") is None


def test_query_mode_offers_every_spelling_of_the_number(crm: Engine) -> None:
    query = (
        "SELECT cust_no AS id, full_name AS name FROM legacy_clients "
        "WHERE mobile IN (:phone_national, :phone_digits) OR mobile_e164 = :phone_e164"
    )
    directory = customer_directory(CrmSettings(source="query", phone_lookup_query=query), SITE, crm)
    found = directory.find_by_phone("13812345678")
    assert found is not None and found.customer_id == "C001"


@pytest.mark.parametrize(
    ("query", "needles"),
    [
        (
            "SELECT cust_no AS id, full_name AS name FROM legacy_clientz WHERE mobile = :phone",
            ["[crm] phone_lookup_query fails on the database", "Fix:"],
        ),
        (
            "SELECT cust_no, full_name FROM legacy_clients WHERE mobile = :phone",
            ["returns the columns (cust_no, full_name)", "must return id and name"],
        ),
        (
            "SELECT cust_no AS id, full_name AS name FROM legacy_clients WHERE mobile = :tel",
            [":tel", "may only use :phone"],
        ),
        (
            "UPDATE legacy_clients SET full_name = 'changed' WHERE mobile = :phone",
            ["does not return rows"],
        ),
    ],
)
def test_query_mode_problems_are_config_errors_at_start_up(
    crm: Engine, query: str, needles: list[str]
) -> None:
    with pytest.raises(ConfigError) as excinfo:
        customer_directory(CrmSettings(source="query", phone_lookup_query=query), SITE, crm)
    for needle in needles:
        assert needle in str(excinfo.value)
    with crm.connect() as connection:  # the check ran in a transaction that was rolled back
        names = connection.execute(text("SELECT full_name FROM legacy_clients")).scalars().all()
    assert "changed" not in names


def test_unknown_region_is_a_config_error(crm: Engine) -> None:
    with pytest.raises(ConfigError, match=r"\[site\] default_region 'XX'"):
        customer_directory(CrmSettings(), SiteSettings(default_region="XX"), crm)


# --- the lookup uses its index (not timed; the benchmark has the numbers) -------------------


@pytest.fixture
def many_phones(crm: Engine) -> Iterator[Engine]:
    """Enough rows that PostgreSQL's planner chooses between an index and a scan for real."""
    with crm.begin() as connection:
        ids = (
            connection.execute(
                insert(Customer).returning(Customer.id),
                [{"name": f"filler {n}"} for n in range(3000)],
            )
            .scalars()
            .all()
        )
        connection.execute(
            insert(CustomerPhone),
            [{"customer_id": cid, "phone_e164": f"+86139{n:08d}"} for n, cid in enumerate(ids)],
        )
        if crm.dialect.name == "postgresql":
            connection.execute(text("ANALYZE customers"))
            connection.execute(text("ANALYZE customer_phones"))
            connection.execute(text("ANALYZE legacy_clients"))
    try:
        yield crm
    finally:
        with crm.begin() as connection:
            connection.execute(delete(Customer).where(Customer.id.in_(ids)))


def test_phone_lookup_uses_the_unique_index(many_phones: Engine) -> None:
    directory = customer_directory(CrmSettings(), SITE, many_phones)
    assert isinstance(directory, BuiltinDirectory)
    plan = "\n".join(directory.explain_phone_lookup(LI_LEI))
    assert "ux_customer_phones_phone_e164" in plan, plan
    assert "SCAN customer_phones" not in plan and "Seq Scan on customer_phones" not in plan, plan


def test_table_mode_lookup_uses_the_crm_tables_index(many_phones: Engine) -> None:
    with many_phones.begin() as connection:  # enough rows for the planner to care
        connection.execute(
            text("INSERT INTO legacy_clients (cust_no, full_name, mobile) VALUES (:n, 'x', :m)"),
            [{"n": f"F{n:05d}", "m": f"137{n:08d}"} for n in range(3000)],
        )
        if many_phones.dialect.name == "postgresql":
            connection.execute(text("ANALYZE legacy_clients"))
    directory = customer_directory(table_settings(), SITE, many_phones)
    assert isinstance(directory, TableDirectory)
    plan = "\n".join(directory.explain_phone_lookup(LI_LEI))
    assert "legacy_clients_mobile" in plan, plan
    with many_phones.begin() as connection:
        connection.execute(text("DROP INDEX legacy_clients_mobile"))
    plan = "\n".join(directory.explain_phone_lookup(LI_LEI))  # a fresh plan, not a cached one
    assert "legacy_clients_mobile" not in plan and "scan" in plan.lower(), plan
    found = directory.find_by_phone(LI_LEI)
    assert found is not None and found.customer_id == "C001"


def test_explain_reports_a_scan_when_there_is_no_index(crm: Engine) -> None:
    directory = customer_directory(
        table_settings(phone_column="mobile_intl", phone_format="digits"), SITE, crm
    )
    plan = "\n".join(directory.explain_phone_lookup(LI_LEI)).lower()
    assert "scan" in plan and "legacy_clients_mobile" not in plan
    with crm.connect() as connection:
        assert connection.execute(select(Customer.id).limit(1)).first() is not None
