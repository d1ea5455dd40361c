"""What a generation is expected to cost: one price table, USD per generated second.

List prices for Vertex AI Veo with audio at 720p/1080p (Google Cloud pricing, 2025-26).
An unknown model is priced at the table's highest rate, so an estimate never
under-states a bill; `is_known_model` lets callers reject such names up front.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

PRICE_PER_SECOND_USD: dict[str, Decimal] = {
    "veo-3.1-generate-preview": Decimal("0.40"),
    "veo-3.1-generate-001": Decimal("0.40"),
    "veo-3.1-fast-generate-preview": Decimal("0.15"),
    "veo-3.1-fast-generate-001": Decimal("0.15"),
    "veo-3.0-generate-001": Decimal("0.40"),
    "veo-3.0-fast-generate-001": Decimal("0.15"),
}
UNKNOWN_MODEL_PRICE_USD = max(PRICE_PER_SECOND_USD.values())
CENT = Decimal("0.01")


def is_known_model(model: str) -> bool:
    return model in PRICE_PER_SECOND_USD


def price_per_second(model: str) -> Decimal:
    """The model's list price per second, or the highest known price for an unknown model."""
    return PRICE_PER_SECOND_USD.get(model, UNKNOWN_MODEL_PRICE_USD)


def estimate_cost(model: str, duration_seconds: int) -> Decimal:
    """Price of one generation of `duration_seconds`, rounded to the cent."""
    seconds = Decimal(max(0, int(duration_seconds)))
    return (price_per_second(model) * seconds).quantize(CENT, rounding=ROUND_HALF_UP)
