-- The device CA's index in PostgreSQL (IOT_CA_INDEX=database, issue 7): the processes that
-- issue and revoke during certificate rotation (iot-rotate, iot-serve) share it, and a
-- revocation commits together with the rotation step that causes it. Rows belong to the CA
-- whose certificate has the fingerprint ca_sha256, so a CA replaced later starts empty.
CREATE TABLE certificates (
  ca_sha256         text        NOT NULL,
  serial            text        NOT NULL,
  kind              text        NOT NULL CHECK (kind IN ('ca', 'server', 'device', 'other')),
  common_name       text        NOT NULL,
  device_key        text,
  not_before        timestamptz NOT NULL,
  not_after         timestamptz NOT NULL,
  sha256            text        NOT NULL,
  issued_at         timestamptz NOT NULL,
  revoked_at        timestamptz,
  revocation_reason text,
  seq               bigserial,
  PRIMARY KEY (ca_sha256, serial)
);
CREATE INDEX certificates_device_key_idx ON certificates (ca_sha256, device_key);

CREATE TABLE certificate_crl_numbers (
  ca_sha256 text   PRIMARY KEY,
  last      bigint NOT NULL
);

-- While a certificate rotation is installed and unproven the device may use either certificate;
-- the old one is kept here so a time-out can put it back.
ALTER TABLE devices
  ADD COLUMN previous_certificate        text,
  ADD COLUMN previous_certificate_serial text;

-- iot-serve installs a rotated certificate and revokes the one it replaces: the same grants as
-- 0003 plus those (every statement idempotent, as there).
CREATE OR REPLACE FUNCTION iot_serve_grant(member text DEFAULT NULL) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'iot_serve') THEN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = current_user
                   AND (rolcreaterole OR rolsuper)) THEN
      RAISE NOTICE 'role iot_serve does not exist and % may not create roles: run '
                   'scripts/serve-db-role.sh as an administrator', current_user;
      RETURN false;
    END IF;
    BEGIN
      CREATE ROLE iot_serve NOLOGIN;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN
      NULL;  -- another migration created it meanwhile
    END;
  END IF;
  GRANT SELECT ON devices, device_models, firmware_versions, firmware_images, schema_migrations
    TO iot_serve;
  GRANT UPDATE (rotation_state, rotation_installed_at, secret_hmac, secret_sealed, pending_secret,
                previous_secret, rotation_queued_at, rotation_attempts, next_attempt_at,
                secret_created_at, last_rotation_completed_at, updated_at, certificate,
                certificate_serial, certificate_not_after, previous_certificate,
                previous_certificate_serial)
    ON devices TO iot_serve;
  -- Completing or abandoning a certificate rotation revokes a certificate in the index.
  GRANT SELECT, UPDATE (revoked_at, revocation_reason) ON certificates TO iot_serve;
  GRANT INSERT ON audit_log TO iot_serve;
  GRANT USAGE ON SEQUENCE audit_log_id_seq TO iot_serve;
  IF member IS NOT NULL AND NOT pg_has_role(member, 'iot_serve', 'MEMBER') THEN
    BEGIN
      EXECUTE format('GRANT iot_serve TO %I', member);
    EXCEPTION WHEN OTHERS THEN
      RAISE NOTICE 'could not make % a member of iot_serve: %', member, SQLERRM;
    END;
  END IF;
  RETURN true;
END $$;

DO $$ BEGIN PERFORM iot_serve_grant(current_user::text); END $$;
