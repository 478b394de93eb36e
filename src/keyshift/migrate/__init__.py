"""``keyshift migrate``: every stage composed for one service, and the review folder it writes."""
