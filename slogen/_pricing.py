"""Prices per model, as the bundle prices tokens: a listed model, else its longest listed prefix, else the default."""

from __future__ import annotations

TOKEN_TYPES = ("input", "output", "cache_read", "cache_write")
_MAX_REMEMBERED = 1024  # distinct model ids whose price is remembered; the cap on model names keeps far fewer


class Pricing:
    """USD per million tokens by model, as in slo.yaml's `pricing`.

    A dated or aliased id (`claude-sonnet-4-6-20260101`, `claude-haiku-4-5-latest`) costs what its longest listed
    prefix costs, as the bundle's price recordings say; only a model no listed name starts is priced at the default."""

    def __init__(self, models: dict[str, dict[str, float]], default: dict[str, float] | None = None) -> None:
        self.models = {m: {t: float(p.get(t, 0)) for t in TOKEN_TYPES} for m, p in models.items()}
        # The same rule as the bundle's: no default means the highest listed price of each type.
        self.default = (
            {t: float(default.get(t, 0)) for t in TOKEN_TYPES}
            if default
            else {t: max((p[t] for p in self.models.values()), default=0.0) for t in TOKEN_TYPES}
        )
        self._by_length = sorted(self.models, key=len, reverse=True)
        self._seen: dict[str, dict[str, float]] = {}

    def listed(self, model: str) -> str | None:
        """The listed name that prices `model`: itself, or its longest listed prefix."""
        if model in self.models:
            return model
        return next((m for m in self._by_length if model.startswith(m)), None)

    def price(self, model: str) -> dict[str, float]:
        found = self._seen.get(model)
        if found is None:
            listed = self.listed(model)
            found = self.models[listed] if listed is not None else self.default
            if len(self._seen) < _MAX_REMEMBERED:
                self._seen[model] = found
        return found

    def cost(self, model: str, tokens: dict[str, int]) -> float:
        price, total = self._seen.get(model) or self.price(model), 0.0
        for kind, n in tokens.items():  # a loop, not sum() over a generator: this runs on every call
            total += n * price.get(kind, 0.0)
        return total / 1e6
