// The Prometheus text writer both /metrics use: HELP and TYPE lines, samples,
// and the escapes the text format asks for.
#include "common/prometheus_text.hpp"

#include <gtest/gtest.h>

#include <limits>

using mp::MetricType;
using mp::PrometheusText;

TEST(PrometheusText, AFamilyIsItsHelpAndTypeLines) {
    PrometheusText out;
    out.family("a_total", MetricType::counter, "Things counted.")
        .family("b", MetricType::gauge, "Now.")
        .family("c_seconds", MetricType::histogram, "How long.");
    EXPECT_EQ(out.take(),
              "# HELP a_total Things counted.\n# TYPE a_total counter\n"
              "# HELP b Now.\n# TYPE b gauge\n"
              "# HELP c_seconds How long.\n# TYPE c_seconds histogram\n");
}

TEST(PrometheusText, ASingleIsItsFamilyAndOneUnlabelledSample) {
    PrometheusText out;
    out.single("up", MetricType::gauge, "1 when up.", 1.0);
    EXPECT_EQ(out.take(), "# HELP up 1 when up.\n# TYPE up gauge\nup 1\n");
}

TEST(PrometheusText, LabelsAreWrittenInTheOrderGiven) {
    PrometheusText out;
    out.sample("calls_total", {{"outcome", "busy"}}, std::uint64_t{2})
        .sample("calls_total", {{"outcome", "failed"}, {"why", "ice"}}, std::uint64_t{3});
    EXPECT_EQ(out.take(), "calls_total{outcome=\"busy\"} 2\ncalls_total{outcome=\"failed\",why=\"ice\"} 3\n");
}

TEST(PrometheusText, LabelValuesEscapeBackslashDoubleQuoteAndNewline) {
    PrometheusText out;
    out.sample("m", {{"path", "C:\\dir \"x\"\nnext"}}, std::uint64_t{1});
    EXPECT_EQ(out.take(), R"(m{path="C:\\dir \"x\"\nnext"} 1)" "\n");
}

TEST(PrometheusText, HelpEscapesBackslashAndNewlineButNotDoubleQuotes) {
    PrometheusText out;
    out.family("m", MetricType::counter, "a \\ and \"quoted\"\nsecond line");
    EXPECT_EQ(out.take(), "# HELP m a \\\\ and \"quoted\"\\nsecond line\n# TYPE m counter\n");
}

TEST(PrometheusText, CountsAreExactAndDoublesRoundTrip) {
    PrometheusText out;
    out.sample("n", std::numeric_limits<std::uint64_t>::max())
        .sample("x", 0.25)
        .sample("y", 0.1)
        .sample("z", 123456789.0);
    EXPECT_EQ(out.take(), "n 18446744073709551615\nx 0.25\ny 0.10000000000000001\nz 123456789\n");
}
