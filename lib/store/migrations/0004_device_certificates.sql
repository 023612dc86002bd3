-- Certificate identities (issue 7): the device's certificate, never its private key, which only
-- ever leaves the toolkit in the device's provisioning package.
ALTER TABLE devices
  ADD COLUMN certificate           text,
  ADD COLUMN certificate_serial    text,
  ADD COLUMN certificate_not_after timestamptz;

CREATE UNIQUE INDEX devices_certificate_serial_idx ON devices (certificate_serial)
  WHERE certificate_serial IS NOT NULL;
