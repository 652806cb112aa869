"""The incidents `slogen simulate` can play, by name (no dependencies: the CLI lists them in its help)."""

FAULTS = {
    "none": "healthy traffic",
    "outage": "every request fails with 5xx/529",
    "ratelimit-storm": "a third of requests get 429",
    "latency": "first tokens take 7s, answers 20s",
    "cost-runaway": "100x the tokens per request",
    "ratelimit-squeeze": "only 5% of every rate limit left",
    "vanish": "the exporter stops exposing metrics",
}
