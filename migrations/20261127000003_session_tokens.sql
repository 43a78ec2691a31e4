-- Access and refresh tokens of a session, sealed (AES-256-GCM with a key id), in a column of
-- their own: refresh takes a row lock on it, and actix-session's state updates never touch it.
ALTER TABLE sessions ADD COLUMN tokens_sealed TEXT;
