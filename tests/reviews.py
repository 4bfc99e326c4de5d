"""Shop reviews as a user's CSV file has them: free text whose words carry most of the label, the
date of the sale (with a season), a price and a shop; the label a rating or whether the reviewer
was pleased. Or reviews alone, labelled by their mood (:func:`moods`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

TARGET = "rating"
GOOD, BAD = ["great", "love", "fast", "excellent"], ["slow", "broken", "awful", "refund"]
PLAIN = ["phone", "screen", "box", "delivery", "the", "it", "was"]


def rows(values: bool) -> pd.DataFrame:
    """240 reviews; the label (``TARGET``) a rating (``values``) or whether the reviewer was
    pleased."""
    rng = np.random.default_rng(0)
    n = 240
    mood = rng.normal(0.0, 1.0, n)
    reviews = [" ".join(rng.permutation([*rng.choice(PLAIN, 5), *rng.choice(
        GOOD if m > 0 else BAD, 1 + int(abs(m) * 2))])) for m in mood]
    sold = pd.Timestamp("2022-01-01") + pd.to_timedelta(rng.integers(0, 730, n), unit="D")
    season = np.sin(2 * np.pi * sold.day_of_year / 365)
    price = rng.uniform(100, 500, n).round(2)
    rating = 3 + 1.2 * mood + 0.5 * season + 0.002 * price + rng.normal(0, 0.3, n)
    frame = pd.DataFrame({"review": reviews, "sold": sold.strftime("%Y-%m-%d"), "price": price,
                          "shop": rng.choice(["north", "south"], n)})
    frame[TARGET] = rating.round(3) if values else np.where(mood > 0, "pleased", "displeased")
    return frame


def moods() -> pd.DataFrame:
    """240 reviews of 4-8 words and their ``mood``: negative (two bad words among plain ones),
    neutral (plain words only) or positive (two good words), wherever the words fall."""
    rng = np.random.default_rng(1)
    mood = rng.integers(0, 3, 240)
    carried = {0: BAD, 2: GOOD}
    reviews = [" ".join(rng.permutation([*rng.choice(PLAIN, rng.integers(2, 7)), *rng.choice(
        carried.get(m, PLAIN), 2)])) for m in mood]
    return pd.DataFrame({"review": reviews,
                         "mood": np.asarray(["negative", "neutral", "positive"])[mood]})
