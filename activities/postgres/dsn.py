"""Passwords in Postgres connection strings: hidden for log lines, found for redaction.

libpq takes two forms, and both can carry a password: a URI (`postgresql://user:pw@host/db`,
also `?password=pw` in its query) and keyword/value pairs (`host=db password='p w'`).
Any parameter whose name ends in `password` (`sslpassword` too) counts as a secret.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

HIDDEN = "***"
_URI = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<rest>.*)$", re.DOTALL)
# key = value, the value bare (no spaces) or single-quoted with backslash escapes. Spaces
# are libpq's (C isspace), not Python's wider \s.
_SP = r"[ \t\n\r\f\v]"
_PAIR = re.compile(
    rf"{_SP}*(?P<key>[A-Za-z_]+){_SP}*={_SP}*(?P<value>'(?:[^'\\]|\\.)*'|[^ \t\n\r\f\v']*){_SP}*",
    re.DOTALL)
UNREADABLE = "<a connection string that could not be read; hidden>"


def _is_secret_key(key: str) -> bool:
    return key.lower().endswith("password")


def _split_uri(rest: str) -> tuple[str, str, str]:
    """(authority, path, query-and-fragment) of a URI's part after the scheme."""
    end = len(rest)
    for mark in "/?#":
        at = rest.find(mark)
        if at != -1:
            end = min(end, at)
    authority, tail = rest[:end], rest[end:]
    q = tail.find("?")
    return (authority, tail, "") if q == -1 else (authority, tail[:q], tail[q:])


def _uri_parts(rest: str) -> tuple[str, str | None, str, str, list[tuple[str, str]]]:
    """(user, password or None, hosts, path, query pairs) of a URI, percent-decoding kept raw."""
    authority, path, query = _split_uri(rest)
    userinfo, at, hosts = authority.rpartition("@")
    user, colon, password = userinfo.partition(":")
    pairs = []
    for item in query[1:].split("&") if query else []:
        key, _, value = item.partition("=")
        pairs.append((key, value))
    return user, (password if at and colon else None), hosts if at else authority, path, pairs


def _keyword_pairs(dsn: str) -> list[tuple[str, str]] | None:
    """The key/value pairs of a keyword DSN, or None when it does not read as one."""
    pairs, pos = [], 0
    while pos < len(dsn):
        match = _PAIR.match(dsn, pos)
        if not match or match.end() == pos:
            return None
        pairs.append((match["key"], match["value"]))
        pos = match.end()
    return pairs


def _unquote_keyword(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == "'":
        return re.sub(r"\\(.)", r"\1", value[1:-1], flags=re.DOTALL)
    return value


def safe_dsn(dsn: str) -> str:
    """The DSN with every password replaced by ***, fit for a log line.

    A string that reads as neither form is hidden whole: a log line loses a detail
    rather than printing a secret.
    """
    uri = _URI.match(dsn)
    if uri:
        rest = uri["rest"]
        authority, path, query = _split_uri(rest)
        userinfo, at, hosts = authority.rpartition("@")
        if at and ":" in userinfo:
            authority = f"{userinfo.partition(':')[0]}:{HIDDEN}@{hosts}"
        if query:
            query_part, hash_mark, fragment = query[1:].partition("#")
            items = []
            for item in query_part.split("&"):
                key, eq, _ = item.partition("=")
                items.append(f"{key}={HIDDEN}" if eq and _is_secret_key(unquote(key)) else item)
            query = "?" + "&".join(items) + hash_mark + fragment
        return uri["scheme"] + authority + path + query
    if "=" not in dsn:
        return dsn  # a bare name (a database or service): no place for a password
    pairs = _keyword_pairs(dsn)
    if pairs is None:
        return UNREADABLE
    return " ".join(f"{k}={HIDDEN if _is_secret_key(k) else v}" for k, v in pairs)


def dsn_passwords(dsn: str) -> list[str]:
    """Every password a DSN carries, as the server receives it (decoded), for redaction."""
    uri = _URI.match(dsn)
    if uri:
        _, password, _, _, pairs = _uri_parts(uri["rest"])
        found = [password, unquote(password)] if password else []
        for key, value in pairs:
            if _is_secret_key(unquote(key)) and value:
                found += [value, unquote(value)]
        return [p for p in dict.fromkeys(found) if p]
    pairs = _keyword_pairs(dsn) or []
    return [
        p for p in dict.fromkeys(_unquote_keyword(v) for k, v in pairs if _is_secret_key(k)) if p
    ]
