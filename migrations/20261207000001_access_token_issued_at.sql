-- When the session's current access token was obtained: with its expiry, the token's lifetime,
-- so a short-lived token is refreshed some way into its life, not on every request.
-- Rows without it (tokens stored before this column) refresh as before.
ALTER TABLE sessions ADD COLUMN access_issued_at TIMESTAMPTZ;
