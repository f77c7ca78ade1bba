// The contract's error: an HTTP status and {"error":{"code","message","field"}}. Thrown
// inside app/ only, caught at the handler boundary and written as the response.
#pragma once

#include <stdexcept>
#include <string>

namespace app {

class ApiError : public std::runtime_error {
 public:
  ApiError(int status, std::string code, std::string message, std::string field = "")
      : std::runtime_error(message), status_(status), code_(std::move(code)), field_(std::move(field)) {}
  int status() const { return status_; }
  const std::string& code() const { return code_; }
  const std::string& field() const { return field_; }
  // A 409 about a claim names the block that sealed the winning claim ("height").
  ApiError& WithHeight(uint64_t h) {
    height_ = h;
    return *this;
  }
  uint64_t height() const { return height_; }

  static ApiError BadRequest(std::string code, std::string msg, std::string field = "") {
    return ApiError(400, std::move(code), std::move(msg), std::move(field));
  }
  static ApiError NotFound(std::string msg) { return ApiError(404, "not_found", std::move(msg)); }

 private:
  int status_;
  std::string code_;
  std::string field_;
  uint64_t height_ = 0;
};

}  // namespace app
