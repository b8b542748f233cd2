// The signaling frames of docs/protocol.md as types, and their JSON codec.
// Pure: no I/O, GLib + json-glib only.
#pragma once

#include "common/result.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace mp::protocol {

// In every relayed frame `name` is the other party: the callee or caller in a
// client's frame (may be empty for answer/candidate/leave), the sender in a
// frame the server forwards. Payloads are JSON text: a client may send them as
// an object or a string; the server forwards them as a string.
struct Login {
    std::string name;
    std::optional<std::string> token;  // (ext) a JWT proving the name; never logged
    bool pool = false;  // (ext) join the pool of members serving `name`
    bool operator==(const Login&) const = default;
};
struct LoginResult {
    bool success = false;
    std::string my_name;  // on success
    std::string message;  // on failure, for people
    std::string code;     // on failure, for programs: a code of protocol/codes.hpp
    bool operator==(const LoginResult&) const = default;
};
struct Offer {
    std::string name;
    std::string offer;
    bool operator==(const Offer&) const = default;
};
struct Answer {
    std::string name;
    std::string answer;
    bool operator==(const Answer&) const = default;
};
struct Candidate {
    std::string name;
    std::string candidate;
    bool operator==(const Candidate&) const = default;
};
struct Leave {
    std::string name;
    std::optional<std::string> reason;  // (ext) e.g. "busy"; forwarded as is
    bool operator==(const Leave&) const = default;
};
struct Error {
    std::string code;     // for programs: a code of protocol/codes.hpp
    std::string message;  // for people
    bool operator==(const Error&) const = default;
};
// (ext) A pool member's capacity, sent whenever it changes.
struct Load {
    unsigned calls = 0;
    unsigned max_calls = 0;  // 0: no limit
    bool draining = false;   // takes no new call
    bool operator==(const Load&) const = default;
};
struct UsersRequest {
    bool operator==(const UsersRequest&) const = default;
};
struct UsersList {
    std::vector<std::string> users;
    bool operator==(const UsersList&) const = default;
};

using ClientFrame = std::variant<Login, Offer, Answer, Candidate, Leave, UsersRequest, Load>;
using ServerFrame = std::variant<LoginResult, Offer, Answer, Candidate, Leave, Error, UsersList>;

enum class ParseErrorKind {
    not_json,
    not_object,
    missing_type,
    type_not_string,
    unknown_type,
    missing_field,
    wrong_field_type,
};
// A stable label for metrics and tests ("not_json", ...).
const char* to_string(ParseErrorKind kind);

struct ParseError {
    ParseErrorKind kind;
    std::string message;  // names what is wrong, for the `error` frame
};

// A frame as a client sends it (what the server reads).
Result<ClientFrame, ParseError> parse_client_frame(std::string_view text);
// A frame as the server sends it (what a client reads).
Result<ServerFrame, ParseError> parse_server_frame(std::string_view text);

// Payloads as objects where they are JSON objects (what clients send).
std::string serialize(const ClientFrame& frame);
// Payloads as strings (what the reference page JSON.parse()s).
std::string serialize(const ServerFrame& frame);

// The wire `type` of a frame, for logs and metrics.
const char* type_name(const ClientFrame& frame);
const char* type_name(const ServerFrame& frame);

// Why `name` cannot be a user name, or nothing when it can: 1-64 characters,
// no control characters, not only white space.
std::optional<std::string> invalid_user_name_reason(std::string_view name);
inline constexpr std::size_t kMaxUserNameChars = 64;
// The most calls a `load` frame may state.
inline constexpr unsigned kMaxLoadCalls = 1000000;

}  // namespace mp::protocol
