-- The app's own table (its versions stay clear of ferris-login's, which are dated 2026).
CREATE TABLE page_visits (
    subject TEXT PRIMARY KEY,
    visits BIGINT NOT NULL DEFAULT 0
);
