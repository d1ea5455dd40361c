"""Database URLs are secrets: hidden in reprs and log lines, known to redaction in every DSN form."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

from hypothesis import given
from hypothesis import strategies as st

from activities.config import Settings
from activities.errors import redact
from activities.postgres.dsn import UNREADABLE, dsn_passwords, safe_dsn

# Any password libpq can carry: every character but NUL (and lone surrogates, not text).
passwords = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"),
                    min_size=1, max_size=30)
users = st.from_regex(r"\A[a-z_][a-z0-9_]{0,8}\Z")
databases = st.from_regex(r"\A[a-z][a-z0-9_]{0,8}\Z")
uri_hosts = st.sampled_from(["db", "db.internal:5432", "h1:5432,h2:5433", "[::1]:5432", ""])
schemes = st.sampled_from(["postgresql://", "postgres://"])
queries = st.sampled_from(["", "?sslmode=require", "?host=/run/postgresql&application_name=w"])


def keyword_quoted(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


@given(schemes, users, passwords, uri_hosts, databases, queries)
def test_a_uri_password_is_hidden_and_found(scheme, user, password, host, db, query) -> None:
    dsn = f"{scheme}{user}:{quote(password, safe='')}@{host}/{db}{query}"
    assert safe_dsn(dsn) == f"{scheme}{user}:***@{host}/{db}{query}"
    assert password in dsn_passwords(dsn)


@given(schemes, users, passwords, uri_hosts, databases,
       st.sampled_from(["password", "sslpassword"]), st.booleans())
def test_a_password_in_the_uri_query_is_hidden_and_found(
    scheme, user, password, host, db, key, first
) -> None:
    secret = f"{key}={quote(password, safe='')}"
    params = [secret, "sslmode=require"] if first else ["sslmode=require", secret]
    dsn = f"{scheme}{user}@{host}/{db}?{'&'.join(params)}"
    hidden = [f"{key}=***" if p == secret else p for p in params]
    assert safe_dsn(dsn) == f"{scheme}{user}@{host}/{db}?{'&'.join(hidden)}"
    assert password in dsn_passwords(dsn)


@given(users, passwords, databases, st.sampled_from(["db", "/run/postgresql", "'a host'"]),
       st.sampled_from(["=", " = ", "= ", " ="]), st.booleans())
def test_a_keyword_dsn_password_is_hidden_and_found(user, password, db, host, eq, quoted) -> None:
    bare = all(c not in password for c in " \t\n\r\f\v'\\")
    value = password if bare and not quoted else keyword_quoted(password)
    dsn = f"host{eq}{host}  user{eq}{user} password{eq}{value} dbname{eq}{db}"
    assert safe_dsn(dsn) == f"host={host} user={user} password=*** dbname={db}"
    assert dsn_passwords(dsn) == [password]


def test_forms_without_a_password_are_left_as_they_are() -> None:
    for dsn in ("postgresql://app@db:5432/x", "postgresql:///x?host=/run/pg",
                "host=db user=app dbname=x", "retake", ""):
        assert safe_dsn(dsn) == dsn
        assert dsn_passwords(dsn) == []


def test_a_string_that_reads_as_no_form_is_hidden_whole() -> None:
    """An unquoted password with a space is no valid DSN: nothing of it is printed."""
    assert safe_dsn("host=db password=two words") == UNREADABLE


def test_settings_hold_database_urls_as_secrets(tmp_path: Path) -> None:
    url = "postgresql://retake_app:s3cr%40t-pw@db:5432/retake"
    migration = "host=db user=retake_owner password='0wner pw'"
    key_file = tmp_path / "sa.json"
    key_file.write_text(json.dumps({"private_key": "-----BEGIN PRIVATE KEY-----abc",
                                    "private_key_id": "kid-123"}))
    settings = Settings(database_url=url, RETAKE_MIGRATION_DATABASE_URL=migration,
                        TEMPORAL_API_KEY="tmprl-key", google_application_credentials=key_file)
    shown = repr(settings) + str(settings) + settings.model_dump_json()
    for secret in ("s3cr", "0wner pw", "tmprl-key"):
        assert secret not in shown
    secrets = settings.secret_values()
    for secret in ("s3cr@t-pw", "s3cr%40t-pw", "0wner pw", "tmprl-key",
                   "-----BEGIN PRIVATE KEY-----abc", "kid-123"):
        assert secret in secrets
    message = "connect failed: password s3cr@t-pw rejected for 0wner pw"
    assert "s3cr" not in redact(message, secrets) and "0wner" not in redact(message, secrets)


# Every setting that holds a secret, with values of the shapes they accept: not only
# keys that look like Google's or OpenAI's (issue 35, point 4); key-shaped values are
# built at run time, so no real-looking key is committed. Short ones are 4
# characters: a 1-letter secret can be a letter of "[redacted]" itself (seen, left alone).
SECRET_SHAPES = {
    "openai_api_key": ["sk-" + "proj-" + "fake" * 4, "short1", "key with spaces & = ?"],
    "google_api_key": ["AIza" + "-fake-" + "0" * 12, "g-k9", "k3y/with+slash="],
    "TEMPORAL_API_KEY": [".".join(["hdr", "claims", "sig"]), "t0k3", "ns.acct:tok"],
    "RETAKE_NOTIFY_SECRET": ["hmac-secret", "!#&%", "päss wörd \"quoted\" 'single'"],
}


@given(st.sampled_from([(name, i) for name, values in SECRET_SHAPES.items()
                        for i in range(len(values))]),
       st.text(st.characters(exclude_categories=("Cs",)), max_size=20))
def test_every_secret_setting_of_every_shape_is_redacted(pick, around) -> None:
    name, i = pick
    secret = SECRET_SHAPES[name][i]
    settings = Settings(**{name: secret})
    assert secret in settings.secret_values()
    if len(secret) >= 6:  # a one-letter secret is in any text; its redaction is checked below
        assert secret not in repr(settings) + settings.model_dump_json()
    message = f"{around}failed with {secret} in the answer{around}"
    assert secret not in redact(message, settings.secret_values())


# The database URLs, in every form they accept (URI, password in the query, keyword), in
# either setting: the password as the server receives it is redacted from any message.
@given(st.sampled_from(["database_url", "RETAKE_MIGRATION_DATABASE_URL"]),
       st.sampled_from(["uri", "query", "keyword"]), passwords.filter(lambda p: len(p) >= 4))
def test_a_database_password_of_any_shape_is_redacted_through_the_settings(
    name, form, password
) -> None:
    dsn = {
        "uri": f"postgresql://app:{quote(password, safe='')}@db:5432/retake",
        "query": f"postgresql://app@db/retake?sslmode=require&password={quote(password, safe='')}",
        "keyword": f"host=db user=app password={keyword_quoted(password)} dbname=retake",
    }[form]
    settings = Settings(**{name: dsn})
    secrets = settings.secret_values()
    assert password in secrets and dsn in secrets
    # NUL frames the secret: no password holds one, so the frame is left as it is.
    assert redact(f"\x00{password}\x00{dsn}\x00", secrets) == "\x00[redacted]\x00[redacted]\x00"


def test_a_service_account_key_is_redacted_line_by_line_as_a_whole(tmp_path: Path) -> None:
    marker = "PRIVATE " + "KEY"  # built at run time: no key-shaped block is committed
    pem = f"-----BEGIN {marker}-----\nnot-a-real-key-line-one\nline-two\n-----END {marker}-----\n"
    key_file = tmp_path / "sa.json"
    key_file.write_text(json.dumps({"private_key": pem, "private_key_id": "0a1b2c3d4e"}))
    secrets = Settings(google_application_credentials=key_file).secret_values()
    assert redact(f"bad key {pem} (id 0a1b2c3d4e)", secrets) == "bad key [redacted] (id [redacted])"


# Secrets a team chooses can hold one another: a short notify secret inside a database
# password, an API key inside a longer one. Each is redacted whole, whichever is listed
# first: a shorter one replaced first would leave the rest of the longer one in clear.
SAFE = st.text(st.sampled_from("ABCDEFGHJKMNPQRSTUVWXYZ0123456789-_.~!@#$%^&*+:/ "),
               min_size=4, max_size=12)


@given(SAFE, st.lists(st.tuples(SAFE | st.just(""), SAFE | st.just("")), min_size=3, max_size=3),
       st.permutations(["openai_api_key", "google_api_key", "TEMPORAL_API_KEY",
                        "RETAKE_NOTIFY_SECRET"]))
def test_secrets_that_hold_one_another_are_each_redacted_whole(core, wraps, names) -> None:
    values = [core] + [before + core + after for before, after in wraps]
    password = values[-1]
    settings = Settings(**dict(zip(names[:3], values[:3])), database_url=(
        f"postgresql://app:{quote(password, safe='')}@db/retake"))
    message = "\x00".join(values)
    assert redact(message, settings.secret_values()) == "\x00".join(["[redacted]"] * 4)


def test_keyword_dsn_edges() -> None:
    """An empty quoted password is no password; a bare one that starts and ends with the
    same character below the quote is not unquoted; a DSN past 256 characters (where
    small integers stop being shared objects) is read to its end."""
    assert dsn_passwords("host=db password='' dbname=x") == []
    assert dsn_passwords("host=db password=!ab! dbname=x") == ["!ab!"]
    assert dsn_passwords("host=db password=&x& dbname=x") == ["&x&"]
    long = "p" * 300
    assert dsn_passwords(f"host=db password={long}") == [long]
    assert safe_dsn(f"host=db dbname=x password={long}") == "host=db dbname=x password=***"
