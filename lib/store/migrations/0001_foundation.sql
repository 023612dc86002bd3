-- The foundation schema: device models, devices (with the rotation columns of
-- shared/specs/rotation.md), firmware storage, settings and the audit log.

CREATE TABLE device_models (
  id            bigserial PRIMARY KEY,
  code          text NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9_]{1,50}$'),
  name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  config_schema jsonb,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);

-- A model's code is part of every device's client id (iotdevice-<model>-<key>): never change it.
CREATE FUNCTION device_models_code_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.code <> OLD.code THEN
    RAISE EXCEPTION 'device model code is immutable (% -> %)', OLD.code, NEW.code
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER device_models_code_immutable BEFORE UPDATE OF code ON device_models
  FOR EACH ROW EXECUTE FUNCTION device_models_code_immutable();

CREATE TABLE devices (
  id                         bigserial PRIMARY KEY,
  key                        text NOT NULL UNIQUE CHECK (key ~ '^[a-z0-9]{8}$'),
  model_id                   bigint NOT NULL REFERENCES device_models (id) ON DELETE RESTRICT,
  name                       text,
  config                     jsonb NOT NULL DEFAULT '{}'::jsonb,
  active                     boolean NOT NULL DEFAULT true,
  identity_kind              text NOT NULL CHECK (identity_kind IN ('local', 'keycloak', 'cert')),
  client_id                  text NOT NULL UNIQUE,
  -- local identity: HMAC-SHA256(pepper, secret) to verify, and the secret sealed for packages
  secret_hmac                bytea,
  secret_sealed              text,
  -- rotation (shared/specs/rotation.md)
  rotation_state             text NOT NULL DEFAULT 'OK'
                             CHECK (rotation_state IN ('OK', 'QUEUED', 'PENDING', 'TIMEOUT')),
  pending_secret             text,
  previous_secret            text,
  rotation_queued_at         timestamptz,
  rotation_attempt_at        timestamptz,
  rotation_installed_at      timestamptz,
  rotation_attempts          integer NOT NULL DEFAULT 0,
  next_attempt_at            timestamptz,
  secret_created_at          timestamptz NOT NULL DEFAULT now(),
  last_rotation_completed_at timestamptz,
  created_at                 timestamptz NOT NULL DEFAULT now(),
  updated_at                 timestamptz NOT NULL DEFAULT now()
);

-- Lookups: by key and client id (unique above), by model (list, count before model delete),
-- and the rotation cycle's partial indexes, so the steady state never scans the fleet.
CREATE INDEX devices_model_id_idx ON devices (model_id, key);
CREATE INDEX devices_queued_idx ON devices (secret_created_at) WHERE rotation_state = 'QUEUED';
CREATE INDEX devices_pending_idx ON devices (rotation_attempt_at) WHERE rotation_state = 'PENDING';
CREATE INDEX devices_timeout_idx ON devices (next_attempt_at) WHERE rotation_state = 'TIMEOUT';
CREATE INDEX devices_active_ok_idx ON devices (secret_created_at) WHERE rotation_state = 'OK' AND active;

-- Firmware: images are content-addressed (the same bytes are stored once); versions are the
-- per-model history that points at them.
CREATE TABLE firmware_images (
  sha256     bytea PRIMARY KEY CHECK (length(sha256) = 32),
  size       bigint NOT NULL CHECK (size >= 0),
  data       bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE firmware_versions (
  id            bigserial PRIMARY KEY,
  model_id      bigint NOT NULL REFERENCES device_models (id) ON DELETE CASCADE,
  version       text NOT NULL CHECK (length(version) BETWEEN 1 AND 32),
  sha256        bytea NOT NULL REFERENCES firmware_images (sha256),
  size          bigint NOT NULL,
  chip          text NOT NULL,
  idf_version   text,
  project_name  text,
  notes         text,
  uploaded_by   text NOT NULL,
  uploaded_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (model_id, version)
);
CREATE INDEX firmware_versions_model_idx ON firmware_versions (model_id, uploaded_at DESC);
CREATE INDEX firmware_versions_sha256_idx ON firmware_versions (sha256);

CREATE TABLE settings (
  key        text PRIMARY KEY,
  value      jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE audit_log (
  id          bigserial PRIMARY KEY,
  at          timestamptz NOT NULL DEFAULT now(),
  actor       text NOT NULL,
  action      text NOT NULL,
  object_kind text NOT NULL,
  object_id   text NOT NULL,
  details     jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX audit_log_object_idx ON audit_log (object_kind, object_id, at);
CREATE INDEX audit_log_at_idx ON audit_log (at);
