#pragma once
// What an operator does by hand (iot-rotate trigger / cancel): queue the fleet or one device
// now, or take a queued device back out. The cycle then starts them within its window, exactly
// as after a schedule tick. Each is checked against the state machine and audited.

#include <pqxx/pqxx>
#include <string>

#include "core/error.hpp"
#include "rotation/exchange.hpp"

namespace iotfleet::rotation {

/// Queues every active OK device whose identity rotates (certificates only when
/// with_certificates, that is when the caller holds the CA); returns how many were queued.
core::Result<std::int64_t> trigger_fleet(pqxx::connection& db, const std::string& actor, TimePoint now,
                                         bool with_certificates = false);

/// Queues one device, active or not (a TIMEOUT device is queued again without back-off).
/// not_found for an unknown device; conflict when it is already queued or in flight, or its
/// identity kind does not rotate.
core::Status trigger_device(pqxx::connection& db, const std::string& key, const std::string& actor,
                            TimePoint now, bool with_certificates = false);

/// Returns a QUEUED (or TIMEOUT) device to OK. conflict when a rotation is in flight or there is
/// nothing to cancel.
core::Status cancel_device(pqxx::connection& db, const std::string& key, const std::string& actor);

}  // namespace iotfleet::rotation
