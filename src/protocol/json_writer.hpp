// A minimal writer for flat JSON objects: the hot path of the relay
// serializes every forwarded frame, and json-glib's generator costs a tree
// of GObjects per frame.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mp::protocol {

void append_json_string(std::string& out, std::string_view text);

class JsonObjectWriter {
public:
    JsonObjectWriter() { out_.reserve(256); out_ += '{'; }

    JsonObjectWriter& string(std::string_view key, std::string_view value) {
        key_(key);
        append_json_string(out_, value);
        return *this;
    }
    JsonObjectWriter& boolean(std::string_view key, bool value) {
        key_(key);
        out_ += value ? "true" : "false";
        return *this;
    }
    JsonObjectWriter& integer(std::string_view key, long long value) {
        key_(key);
        out_ += std::to_string(value);
        return *this;
    }
    // `json` must already be valid JSON text.
    JsonObjectWriter& raw(std::string_view key, std::string_view json) {
        key_(key);
        out_ += json;
        return *this;
    }
    JsonObjectWriter& strings(std::string_view key, const std::vector<std::string>& values) {
        key_(key);
        out_ += '[';
        for (std::size_t i = 0; i < values.size(); ++i) {
            if (i) out_ += ',';
            append_json_string(out_, values[i]);
        }
        out_ += ']';
        return *this;
    }
    // The writer is spent afterwards.
    std::string finish() {
        out_ += '}';
        return std::move(out_);
    }

private:
    void key_(std::string_view key) {
        if (out_.size() > 1) out_ += ',';
        append_json_string(out_, key);
        out_ += ':';
    }
    std::string out_;
};

}  // namespace mp::protocol
