"""`starter.py spend`: what was paid per day, per job and per account, from the ledger.

Read-only. Money counts what Veo accepted and did not filter or fail (those are not
charged); possible duplicate charges (an unclear submit sent again) are counted apart,
since the ledger cannot know whether Veo billed them twice.
"""

from __future__ import annotations

import json
from decimal import Decimal

import asyncpg
from pydantic import SecretStr

from activities.config import Settings
from activities.postgres.dsn import safe_dsn
from activities.postgres.embedded import resolve_database_url

_PAID = """
SELECT {key} AS key, COUNT(*) AS paid, COALESCE(SUM(s.cost_usd), 0) AS usd,
       COALESCE(SUM(s.possible_duplicates), 0) AS possible_duplicates
FROM veo_submissions s
WHERE s.state = 'accepted'
  AND NOT EXISTS (SELECT 1 FROM veo_operations o WHERE o.operation_name = s.operation_name
                  AND o.outcome IN ('filtered', 'failed'))
GROUP BY 1 ORDER BY 1
"""
_KEYS = {"day": "(s.created_at AT TIME ZONE 'UTC')::date::text", "job": "s.job_id::text",
         "account": "COALESCE(s.account_id, '(none)')"}


async def report(conn: asyncpg.Connection) -> dict[str, list[dict]]:
    """Paid generations and dollars, grouped by day, job and account."""
    out: dict[str, list[dict]] = {}
    for name, key in _KEYS.items():
        rows = await conn.fetch(_PAID.format(key=key))  # key is one of three constants
        out[name] = [{"key": r["key"] or "(before costs were recorded)", "paid": r["paid"],
                      "usd": str(Decimal(r["usd"]).quantize(Decimal("0.01"))),
                      "possible_duplicates": r["possible_duplicates"]} for r in rows]
    return out


def render(found: dict[str, list[dict]]) -> str:
    lines = []
    for name, rows in found.items():
        lines.append(f"per {name}:")
        lines += [f"  {r['key']}: {r['paid']} paid, {r['usd']} USD"
                  f" (+{r['possible_duplicates']} possible duplicates)" for r in rows]
    return "\n".join(lines)


async def spend(as_json: bool, out, err) -> int:
    settings = Settings()
    url = settings.database_url
    dsn: SecretStr = (url if url is not None and url.get_secret_value()
                      else await resolve_database_url(settings))
    try:
        conn = await asyncpg.connect(dsn.get_secret_value())
    except (OSError, asyncpg.PostgresError) as exc:
        print(f"spend: could not reach {safe_dsn(dsn.get_secret_value())}: {exc}", file=err)
        return 1
    try:
        found = await report(conn)
    finally:
        await conn.close()
    print(json.dumps(found, indent=2) if as_json else render(found), file=out)
    return 0
