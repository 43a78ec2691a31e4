-- The demo's worked example of a resource guarded by permissions (`/api/messages`), owned by
-- backend/src/messages.rs. Databases from before the library split already have it (it was
-- part of ferris-login's 20261202000002 then), hence IF NOT EXISTS.
CREATE TABLE IF NOT EXISTS messages (
    id          UUID PRIMARY KEY,
    author_id   UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    author_name TEXT NOT NULL,
    body        TEXT NOT NULL CHECK (char_length(body) BETWEEN 1 AND 500),
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_created_at ON messages (created_at DESC);
