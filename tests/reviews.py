"""Shop reviews as a user's CSV file has them: free text whose words carry most of the label, the
date of the sale (with a season), a price and a shop; the label a rating or whether the reviewer
was pleased."""

from __future__ import annotations

import numpy as np
import pandas as pd

TARGET = "rating"


def rows(values: bool) -> pd.DataFrame:
    """240 reviews; the label (``TARGET``) a rating (``values``) or whether the reviewer was
    pleased."""
    rng = np.random.default_rng(0)
    n = 240
    mood = rng.normal(0.0, 1.0, n)
    good, bad = ["great", "love", "fast", "excellent"], ["slow", "broken", "awful", "refund"]
    plain = ["phone", "screen", "box", "delivery", "the", "it", "was"]
    reviews = [" ".join(rng.permutation([*rng.choice(plain, 5), *rng.choice(
        good if m > 0 else bad, 1 + int(abs(m) * 2))])) for m in mood]
    sold = pd.Timestamp("2022-01-01") + pd.to_timedelta(rng.integers(0, 730, n), unit="D")
    season = np.sin(2 * np.pi * sold.day_of_year / 365)
    price = rng.uniform(100, 500, n).round(2)
    rating = 3 + 1.2 * mood + 0.5 * season + 0.002 * price + rng.normal(0, 0.3, n)
    frame = pd.DataFrame({"review": reviews, "sold": sold.strftime("%Y-%m-%d"), "price": price,
                          "shop": rng.choice(["north", "south"], n)})
    frame[TARGET] = rating.round(3) if values else np.where(mood > 0, "pleased", "displeased")
    return frame
