-- The network a session signed in from, coarse (IPv4 /24, IPv6 /64), for "my sessions".
ALTER TABLE sessions ADD COLUMN client_network TEXT;

-- The worked example of a resource guarded by permissions (`/api/messages`), owned by
-- backend/src/messages.rs.
CREATE TABLE messages (
    id          UUID PRIMARY KEY,
    author_id   UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    author_name TEXT NOT NULL,
    body        TEXT NOT NULL CHECK (char_length(body) BETWEEN 1 AND 500),
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX messages_created_at ON messages (created_at DESC);
