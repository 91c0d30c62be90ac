-- The initial schema. Migrations are append-only: once applied, a file must never change (the
-- service refuses to start if its checksum differs); add 0002_....sql for the next change and
-- list it in src/migrations.rs.
--
-- The onboarding tables exist whether or not the architecture model gives this service an
-- onboarding process, so a model change never needs an applied migration to change. Workflow
-- states are checked by the application (they come from the model), not by a constraint.

CREATE TABLE users (
    id            BIGSERIAL PRIMARY KEY,
    email         TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

-- Only the SHA-256 of the session token is stored: a copy of this table opens no session.
CREATE TABLE sessions (
    id_hash    TEXT PRIMARY KEY,
    user_id    BIGINT REFERENCES users (id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

CREATE TABLE auth_events (
    id      BIGSERIAL PRIMARY KEY,
    user_id BIGINT REFERENCES users (id),
    email   TEXT NOT NULL,
    event   TEXT NOT NULL,
    at      TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE onboarding_cases (
    id         BIGSERIAL PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id),
    state      TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX onboarding_cases_user ON onboarding_cases (user_id);

CREATE TABLE onboarding_audit (
    id            BIGSERIAL PRIMARY KEY,
    case_id       BIGINT NOT NULL REFERENCES onboarding_cases (id),
    from_state    TEXT,
    to_state      TEXT NOT NULL,
    transition    TEXT NOT NULL,
    actor_user_id BIGINT NOT NULL REFERENCES users (id),
    at            TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX onboarding_audit_case ON onboarding_audit (case_id);

-- Audit records are evidence: the database itself refuses to change or remove them.
CREATE FUNCTION refuse_audit_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit records are append-only (% on %)', TG_OP, TG_TABLE_NAME;
END;
$$;
CREATE TRIGGER onboarding_audit_append_only BEFORE UPDATE OR DELETE ON onboarding_audit
    FOR EACH ROW EXECUTE FUNCTION refuse_audit_change();
CREATE TRIGGER auth_events_append_only BEFORE UPDATE OR DELETE ON auth_events
    FOR EACH ROW EXECUTE FUNCTION refuse_audit_change();
CREATE TRIGGER onboarding_audit_no_truncate BEFORE TRUNCATE ON onboarding_audit
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_audit_change();
CREATE TRIGGER auth_events_no_truncate BEFORE TRUNCATE ON auth_events
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_audit_change();
