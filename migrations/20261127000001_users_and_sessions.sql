-- Users are keyed by (issuer, subject): never by email.
CREATE TABLE users (
    id            UUID PRIMARY KEY,
    issuer        TEXT NOT NULL,
    subject       TEXT NOT NULL,
    name          TEXT,
    email         TEXT,
    picture       TEXT,
    created_at    TIMESTAMPTZ NOT NULL,
    last_login_at TIMESTAMPTZ NOT NULL,
    CONSTRAINT users_issuer_subject UNIQUE (issuer, subject)
);

-- Server-side sessions. The cookie holds a random key; only its SHA-256 is stored.
CREATE TABLE sessions (
    id_hash             BYTEA PRIMARY KEY CHECK (octet_length(id_hash) = 32),
    state               JSONB NOT NULL,
    user_id             UUID REFERENCES users (id) ON DELETE CASCADE,
    issuer              TEXT,
    subject             TEXT,
    provider_sid        TEXT,
    user_agent          TEXT,
    created_at          TIMESTAMPTZ NOT NULL,
    last_seen_at        TIMESTAMPTZ NOT NULL,
    idle_expires_at     TIMESTAMPTZ NOT NULL,
    absolute_expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_idle_expires_at ON sessions (idle_expires_at);
CREATE INDEX sessions_absolute_expires_at ON sessions (absolute_expires_at);
CREATE INDEX sessions_user_id ON sessions (user_id);
CREATE INDEX sessions_issuer_subject ON sessions (issuer, subject);
CREATE INDEX sessions_issuer_provider_sid ON sessions (issuer, provider_sid)
    WHERE provider_sid IS NOT NULL;

-- Login states already redeemed at the callback: makes every login transaction single use,
-- even against a replayed callback carrying a copied transaction cookie.
CREATE TABLE consumed_login_states (
    state_hash BYTEA PRIMARY KEY CHECK (octet_length(state_hash) = 32),
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX consumed_login_states_expires_at ON consumed_login_states (expires_at);
