-- iot-serve (issue 4): change notifications for its in-memory data, and the restricted role its
-- statements run as.
--
-- Notifications go to the channel 'iot_serve': 'device:<key>' for each changed device (one per
-- row, or 'devices:*' when a statement changes more than 200 rows), 'firmware' when a model or
-- a firmware version changes (which image a model serves). They are delivered at commit.

CREATE FUNCTION iot_serve_notify_devices() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  changed bigint;
  k text;
BEGIN
  IF TG_OP = 'DELETE' THEN
    SELECT count(*) INTO changed FROM old_rows;
  ELSE
    SELECT count(*) INTO changed FROM new_rows;
  END IF;
  IF changed > 200 THEN
    PERFORM pg_notify('iot_serve', 'devices:*');
  ELSIF TG_OP = 'DELETE' THEN
    FOR k IN SELECT key FROM old_rows LOOP PERFORM pg_notify('iot_serve', 'device:' || k); END LOOP;
  ELSIF TG_OP = 'INSERT' THEN
    FOR k IN SELECT key FROM new_rows LOOP PERFORM pg_notify('iot_serve', 'device:' || k); END LOOP;
  ELSE
    FOR k IN SELECT key FROM new_rows UNION SELECT key FROM old_rows LOOP
      PERFORM pg_notify('iot_serve', 'device:' || k);
    END LOOP;
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER devices_notify_serve_insert AFTER INSERT ON devices
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION iot_serve_notify_devices();
CREATE TRIGGER devices_notify_serve_update AFTER UPDATE ON devices
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION iot_serve_notify_devices();
CREATE TRIGGER devices_notify_serve_delete AFTER DELETE ON devices
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION iot_serve_notify_devices();

CREATE FUNCTION iot_serve_notify_firmware() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('iot_serve', 'firmware');
  RETURN NULL;
END $$;

CREATE TRIGGER device_models_notify_serve AFTER INSERT OR UPDATE OR DELETE ON device_models
  FOR EACH STATEMENT EXECUTE FUNCTION iot_serve_notify_firmware();
CREATE TRIGGER firmware_versions_notify_serve AFTER INSERT OR UPDATE OR DELETE ON firmware_versions
  FOR EACH STATEMENT EXECUTE FUNCTION iot_serve_notify_firmware();

-- The role iot-serve's statements run as ('SET ROLE iot_serve' after connecting, see
-- README "iot-serve's database role"). It reads what the endpoint serves and may update only the
-- rotation bookkeeping columns a device's side of a rotation writes (rotation_installed_at on
-- first issue; the credential and rotation columns on completion), and append to the audit log.
--
-- Roles belong to the whole PostgreSQL cluster and creating one needs CREATEROLE, which the
-- migrating user often lacks. So: if the role exists, grant to it; if it does not and this user
-- may create roles, create it (NOLOGIN) and make this user a member; otherwise say so and go on.
-- scripts/serve-db-role.sh, run by an administrator, creates the role and calls
-- iot_serve_grant() again. Every step is idempotent and tolerates concurrent migrations.
CREATE FUNCTION iot_serve_grant(member text DEFAULT NULL) RETURNS boolean LANGUAGE plpgsql AS $$
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
                secret_created_at, last_rotation_completed_at, updated_at)
    ON devices TO iot_serve;
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
