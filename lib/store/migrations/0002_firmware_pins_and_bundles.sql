-- Firmware pinning and bundle extras (issue: iot-firmware).
-- firmware_images is the content-addressed blob store: application images and the extra files
-- of a ZIP bundle (.elf, .map, sdkconfig, version.json) are both kept there once per SHA-256.

ALTER TABLE device_models
  ADD COLUMN pinned_firmware_id bigint REFERENCES firmware_versions (id) ON DELETE SET NULL;

CREATE TABLE firmware_extras (
  version_id bigint NOT NULL REFERENCES firmware_versions (id) ON DELETE CASCADE,
  name       text NOT NULL CHECK (name ~ '^[A-Za-z0-9._-]{1,100}$'),
  sha256     bytea NOT NULL REFERENCES firmware_images (sha256),
  size       bigint NOT NULL,
  PRIMARY KEY (version_id, name)
);
CREATE INDEX firmware_extras_sha256_idx ON firmware_extras (sha256);

-- A pin must point at a version of the same model.
CREATE FUNCTION device_models_pin_same_model() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.pinned_firmware_id IS NOT NULL AND NOT EXISTS (
       SELECT 1 FROM firmware_versions v WHERE v.id = NEW.pinned_firmware_id AND v.model_id = NEW.id) THEN
    RAISE EXCEPTION 'firmware % does not belong to model %', NEW.pinned_firmware_id, NEW.code
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER device_models_pin_same_model BEFORE INSERT OR UPDATE OF pinned_firmware_id ON device_models
  FOR EACH ROW EXECUTE FUNCTION device_models_pin_same_model();
