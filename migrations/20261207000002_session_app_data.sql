-- The app's own data kept with a session (actix-session's `Session::insert`): a JSON object
-- of the app's keys, size-capped by the library, removed with the row.
ALTER TABLE sessions ADD COLUMN app_data JSONB NOT NULL DEFAULT '{}'::jsonb;
