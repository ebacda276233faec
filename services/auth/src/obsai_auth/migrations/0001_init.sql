-- Users, API keys and daily usage of the auth service (schema "auth").
-- Sessions, refresh-token families and rate-limit windows live in Redis.

CREATE TABLE users (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    username        text NOT NULL CHECK (char_length(username) BETWEEN 3 AND 32),
    email           text NOT NULL CHECK (char_length(email) BETWEEN 3 AND 254),
    -- bcrypt; an empty hash is an account that can never log in with a password.
    password_hash   text NOT NULL DEFAULT '',
    roles           text[] NOT NULL DEFAULT ARRAY['user']::text[]
                    CHECK (roles <@ ARRAY['user', 'admin']::text[]),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    last_login_at   timestamptz
);
-- Case-insensitive uniqueness: "Alice" and "alice" are the same account.
CREATE UNIQUE INDEX users_username_key ON users (lower(username));
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

CREATE TABLE api_keys (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name            text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    description     text NOT NULL DEFAULT '' CHECK (char_length(description) <= 500),
    -- SHA-256 of the whole key; the key itself is never stored.
    key_hash        bytea NOT NULL UNIQUE CHECK (octet_length(key_hash) = 32),
    -- The first characters, to recognise a key in a list.
    prefix          text NOT NULL,
    -- At most the owner's roles at creation; intersected with them at use.
    roles           text[] NOT NULL CHECK (roles <@ ARRAY['user', 'admin']::text[]),
    -- Requests per rate-limit window.
    rate_limit      integer NOT NULL CHECK (rate_limit > 0),
    expires_at      timestamptz,
    last_used_at    timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    revoked_at      timestamptz
);
CREATE INDEX api_keys_by_owner ON api_keys (user_id, created_at DESC, id DESC);
CREATE INDEX api_keys_by_created ON api_keys (created_at DESC, id DESC);

CREATE TABLE usage_daily (
    user_id                 uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    day                     date NOT NULL,
    queries                 bigint NOT NULL DEFAULT 0 CHECK (queries >= 0),
    cache_hits              bigint NOT NULL DEFAULT 0 CHECK (cache_hits >= 0),
    rate_limit_rejections   bigint NOT NULL DEFAULT 0 CHECK (rate_limit_rejections >= 0),
    last_activity_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, day)
);
