-- Sign-in throttling (src/throttle.rs): every authentication event keeps the client address
-- it came from, and failures of the last minutes are counted per account and per address.
ALTER TABLE auth_events ADD COLUMN client_address TEXT;
CREATE INDEX auth_events_recent_failures ON auth_events (at) WHERE event = 'login_failure';
