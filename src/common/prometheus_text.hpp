// The Prometheus text exposition format (version 0.0.4), written: each
// metric's HELP and TYPE lines, then its samples. Pure; both /metrics
// (signal/metrics, peer/peer_metrics) write through it.
#pragma once

#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace mp {

enum class MetricType { counter, gauge, histogram };

class PrometheusText {
public:
    // name="value" pairs, written in the order given.
    using Labels = std::initializer_list<std::pair<std::string_view, std::string_view>>;

    // "# HELP name help" and "# TYPE name type".
    PrometheusText& family(std::string_view name, MetricType type, std::string_view help) {
        text_ += "# HELP ";
        text_ += name;
        text_ += ' ';
        append_escaped(help, false);
        text_ += "\n# TYPE ";
        text_ += name;
        text_ += ' ';
        text_ += type_name(type);
        text_ += '\n';
        return *this;
    }

    // "name{label="value",...} value". A count is written exactly, in decimal;
    // a double as %.17g, which reads back as the same double.
    PrometheusText& sample(std::string_view name, Labels labels, std::uint64_t value) {
        return sample_line(name, labels, std::to_string(value));
    }
    PrometheusText& sample(std::string_view name, Labels labels, double value) {
        char number[32];
        std::snprintf(number, sizeof number, "%.17g", value);
        return sample_line(name, labels, number);
    }
    template <typename Value>
    PrometheusText& sample(std::string_view name, Value value) {
        return sample(name, {}, value);
    }

    // A family of one unlabelled sample.
    template <typename Value>
    PrometheusText& single(std::string_view name, MetricType type, std::string_view help, Value value) {
        return family(name, type, help).sample(name, {}, value);
    }

    // The writer is spent afterwards.
    std::string take() { return std::move(text_); }

private:
    static const char* type_name(MetricType type) {
        switch (type) {
        case MetricType::counter: return "counter";
        case MetricType::gauge: return "gauge";
        case MetricType::histogram: return "histogram";
        }
        return "untyped";
    }

    PrometheusText& sample_line(std::string_view name, Labels labels, std::string_view value) {
        text_ += name;
        if (labels.size() > 0) {
            char separator = '{';
            for (const auto& [label, label_value] : labels) {
                text_ += separator;
                text_ += label;
                text_ += "=\"";
                append_escaped(label_value, true);
                text_ += '"';
                separator = ',';
            }
            text_ += '}';
        }
        text_ += ' ';
        text_ += value;
        text_ += '\n';
        return *this;
    }

    // The format escapes backslash and newline in HELP text, and the double
    // quote as well in a label value: the line stays one line, the value one string.
    void append_escaped(std::string_view text, bool in_label_value) {
        for (char c : text) {
            if (c == '\\')
                text_ += "\\\\";
            else if (c == '\n')
                text_ += "\\n";
            else if (c == '"' && in_label_value)
                text_ += "\\\"";
            else
                text_ += c;
        }
    }

    std::string text_;
};

}  // namespace mp
