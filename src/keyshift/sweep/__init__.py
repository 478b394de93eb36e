"""``keyshift sweep``: the migrate pipeline over many repositories, cached, resumable, parallel."""
