-- Sessions become typed columns owned by one module (backend/src/session): a public id that
-- APIs, logs and admin pages use (random, never derived from the cookie), the user's claims,
-- the sealed tokens and their deadlines, and the refresh lease. No free-form state.
ALTER TABLE sessions
    ADD COLUMN public_id           UUID,
    ADD COLUMN claims              JSONB,
    ADD COLUMN id_token_sealed     TEXT,
    ADD COLUMN authenticated_at    TIMESTAMPTZ,
    -- When the access token expires (plain, so deciding to refresh needs no unsealing).
    ADD COLUMN access_expires_at   TIMESTAMPTZ,
    ADD COLUMN can_refresh         BOOLEAN NOT NULL DEFAULT false,
    -- Bumped by every write of the tokens: the refresh's compare-and-swap.
    ADD COLUMN token_version       BIGINT NOT NULL DEFAULT 0,
    -- A refresh in flight (claimed by one process, no transaction held) until this instant.
    ADD COLUMN refresh_lease_until TIMESTAMPTZ,
    -- Failed refreshes in a row, and when the next may be tried (back-off).
    ADD COLUMN refresh_failures    INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN refresh_retry_at    TIMESTAMPTZ;

-- Carry signed-in sessions over from the JSON state (its `auth` entry); nothing else was ever
-- stored. Their access token's expiry is sealed, so it counts as due: the first request
-- refreshes it (when refresh is on) and learns the real one.
DELETE FROM sessions WHERE user_id IS NULL OR NOT (state ? 'auth');
UPDATE sessions SET
    public_id        = gen_random_uuid(),
    claims           = ((state ->> 'auth')::jsonb) -> 'user',
    id_token_sealed  = NULLIF(((state ->> 'auth')::jsonb) ->> 'id_token_sealed', ''),
    authenticated_at = to_timestamp((((state ->> 'auth')::jsonb) ->> 'authenticated_at')::bigint),
    access_expires_at = CASE WHEN tokens_sealed IS NOT NULL THEN created_at END,
    can_refresh       = tokens_sealed IS NOT NULL;
DELETE FROM sessions WHERE claims IS NULL OR issuer IS NULL OR subject IS NULL;

ALTER TABLE sessions
    DROP COLUMN state,
    ALTER COLUMN public_id SET NOT NULL,
    ALTER COLUMN claims SET NOT NULL,
    ALTER COLUMN user_id SET NOT NULL,
    ALTER COLUMN issuer SET NOT NULL,
    ALTER COLUMN subject SET NOT NULL,
    ALTER COLUMN authenticated_at SET NOT NULL;
CREATE UNIQUE INDEX sessions_public_id ON sessions (public_id);
