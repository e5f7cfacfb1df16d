-- The province's scoring: each city's closed months as the city signed them (mirrored from the city's
-- closed-months topic), the first one kept; `hash_verified` when the document hashes to what it claims.
CREATE TABLE IF NOT EXISTS city_months (
    city          text        NOT NULL,
    period        text        NOT NULL,
    content_hash  text        NOT NULL,
    hash_verified boolean     NOT NULL,
    closed_at     text        NOT NULL,
    document      jsonb       NOT NULL,
    received_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (city, period)
);
