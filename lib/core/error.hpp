#pragma once
// Errors in two layers (STYLE.md §4): library functions return Result<T> carrying an Error with
// a kind; the top of each executable maps the kind to an exit code (DESIGN.md) and prints it.

#include <stdexcept>
#include <type_traits>
#include <string>
#include <utility>
#include <variant>

namespace iotfleet::core {

enum class ErrorKind {
  failure,      // exit 1: the operation failed (bad input, invalid data, internal error)
  usage,        // exit 2: the command line is wrong
  not_found,    // exit 3
  conflict,     // exit 4: already exists / refused because of existing state
  unavailable,  // exit 5: a dependency (database, Keycloak, broker) could not be reached
};

/// The process exit code for an error kind, as DESIGN.md lists them.
int exit_code(ErrorKind kind);
const char* kind_name(ErrorKind kind);

struct Error {
  ErrorKind kind = ErrorKind::failure;
  std::string message;  // what failed, with which input; never a secret
  std::string hint;     // optional: what to do about it

  static Error failure(std::string m, std::string h = {}) { return {ErrorKind::failure, std::move(m), std::move(h)}; }
  static Error usage(std::string m, std::string h = {}) { return {ErrorKind::usage, std::move(m), std::move(h)}; }
  static Error not_found(std::string m, std::string h = {}) { return {ErrorKind::not_found, std::move(m), std::move(h)}; }
  static Error conflict(std::string m, std::string h = {}) { return {ErrorKind::conflict, std::move(m), std::move(h)}; }
  static Error unavailable(std::string m, std::string h = {}) { return {ErrorKind::unavailable, std::move(m), std::move(h)}; }
};

/// An Error carried as an exception through deep call chains; converted back to a Result at
/// library boundaries by capture().
class Failure : public std::runtime_error {
 public:
  explicit Failure(Error e) : std::runtime_error(e.message), error_(std::move(e)) {}
  const Error& error() const { return error_; }

 private:
  Error error_;
};

/// A value or an Error. Deliberately small: ok(), value(), error(), and operator bool.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(checked()); }
  const T& value() const& { return std::get<0>(checked()); }
  T&& value() && { return std::get<0>(std::move(checked())); }
  const Error& error() const { return std::get<1>(v_); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() { return value(); }

  /// The value, or throw the error as a Failure (for code that propagates with exceptions).
  T take() && {
    if (!ok()) throw Failure(std::get<1>(v_));
    return std::get<0>(std::move(v_));
  }

 private:
  std::variant<T, Error>& checked() {
    if (!ok()) throw Failure(std::get<1>(v_));
    return v_;
  }
  const std::variant<T, Error>& checked() const {
    if (!ok()) throw Failure(std::get<1>(v_));
    return v_;
  }
  std::variant<T, Error> v_;
};

struct Unit {};
using Status = Result<Unit>;
inline Status ok_status() { return Unit{}; }

/// Throws the error of a failed Status as a Failure (for code that propagates with exceptions).
inline void check(const Status& s) {
  if (!s.ok()) throw Failure(s.error());
}

template <class T>
struct is_result : std::false_type {};
template <class T>
struct is_result<Result<T>> : std::true_type {};

/// Runs fn, turning a thrown Failure into an Error result. Other exceptions propagate.
/// fn may return a plain value or a Result of it.
template <class Fn>
  requires(!std::is_void_v<std::invoke_result_t<Fn>>)
auto capture(Fn&& fn) {
  using R = std::invoke_result_t<Fn>;
  using Out = std::conditional_t<is_result<R>::value, R, Result<R>>;
  try {
    return Out(fn());
  } catch (const Failure& f) {
    return Out(f.error());
  }
}

template <class Fn>
  requires std::is_void_v<std::invoke_result_t<Fn>>
Status capture(Fn&& fn) {
  try {
    fn();
    return ok_status();
  } catch (const Failure& f) {
    return f.error();
  }
}

}  // namespace iotfleet::core
