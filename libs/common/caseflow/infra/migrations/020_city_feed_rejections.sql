-- The province's intake: what a city's feed carried that the province refused (rules §11), once per
-- city and content (MirrorMaker 2 may send a stretch again after a restart), naming the city.
CREATE TABLE IF NOT EXISTS city_feed_rejections (
    city       text        NOT NULL,
    digest     text        NOT NULL,  -- SHA-256 of the record's value
    field      text        NOT NULL,
    reason     text        NOT NULL,
    raw        bytea       NOT NULL,
    first_seen timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (city, digest)
);
