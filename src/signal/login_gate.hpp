// What the router asks before a connection may take a name: the seam between
// the pure router and whatever proves who someone is (signal/auth.hpp).
#pragma once

#include <optional>
#include <string>

namespace mp::signal {

// Why a login, an upgrade or a request was refused: a stable code of
// protocol/codes.hpp and words for people.
struct Refusal {
    std::string code;
    std::string message;
    bool operator==(const Refusal&) const = default;
};

class LoginGate {
public:
    virtual ~LoginGate() = default;
    // Nothing when a login carrying `token` (nullopt: none) may take `name`,
    // or with `pool`, join the pool serving `name`.
    virtual std::optional<Refusal> refuse(const std::string& name, const std::optional<std::string>& token,
                                          bool pool) const = 0;
};

}  // namespace mp::signal
