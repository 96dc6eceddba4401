//! A test's figures, and the ways they are printed: the redis-benchmark `-q` line, the
//! redis-benchmark `--csv` rows, a table, and JSON.

use std::fmt::Write as _;

use hdrhistogram::Histogram;

/// One test's results.
#[derive(Debug, Clone)]
pub struct TestReport {
    /// `SET`, `GET`...
    pub name: &'static str,
    /// Replies received (error replies included).
    pub requests: u64,
    /// From the start of the measurement to the last reply.
    pub elapsed_secs: f64,
    /// `requests / elapsed_secs`.
    pub rps: f64,
    /// Open loop: the target rate.
    pub target_rate: Option<f64>,
    /// Connections that ran the test.
    pub clients: usize,
    /// Latencies in milliseconds.
    pub latency: Latency,
    /// Error replies, unexpected or malformed replies.
    pub error_replies: u64,
    /// Requests that never got a reply because their connection was lost.
    pub dropped: u64,
    /// Connections that could not connect or authenticate, or were lost.
    pub connection_errors: u64,
    /// `--verify` mismatches.
    pub mismatches: u64,
    /// Errors during the warm-up (not in the other figures).
    pub warmup_errors: u64,
    /// A few error texts, for the report.
    pub samples: Vec<String>,
}

impl TestReport {
    /// Every kind of failure added up.
    pub fn errors(&self) -> u64 {
        self.error_replies + self.dropped + self.connection_errors + self.warmup_errors
    }

    /// Did anything fail?
    pub fn failed(&self) -> bool {
        self.errors() > 0 || self.mismatches > 0
    }
}

/// Latency figures in milliseconds (all 0 with no samples).
#[derive(Debug, Clone, Copy, Default)]
pub struct Latency {
    /// Samples.
    pub count: u64,
    /// Mean.
    pub avg: f64,
    /// Minimum.
    pub min: f64,
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 99th percentile.
    pub p99: f64,
    /// 99.9th percentile.
    pub p999: f64,
    /// Maximum.
    pub max: f64,
}

impl Latency {
    /// From a histogram of microseconds.
    pub fn from_histogram(h: &Histogram<u64>) -> Self {
        if h.is_empty() {
            return Latency::default();
        }
        let ms = |us: u64| us as f64 / 1000.0;
        Latency {
            count: h.len(),
            avg: h.mean() / 1000.0,
            min: ms(h.min()),
            p50: ms(h.value_at_quantile(0.50)),
            p90: ms(h.value_at_quantile(0.90)),
            p95: ms(h.value_at_quantile(0.95)),
            p99: ms(h.value_at_quantile(0.99)),
            p999: ms(h.value_at_quantile(0.999)),
            max: ms(h.max()),
        }
    }
}

/// redis-benchmark's `-q` line: `SET: 123456.78 requests per second, p50=0.191 msec`.
pub fn quiet_line(r: &TestReport) -> String {
    format!(
        "{}: {:.2} requests per second, p50={:.3} msec",
        r.name, r.rps, r.latency.p50
    )
}

/// redis-benchmark's `--csv` header.
pub const CSV_HEADER: &str = "\"test\",\"rps\",\"avg_latency_ms\",\"min_latency_ms\",\"p50_latency_ms\",\"p95_latency_ms\",\"p99_latency_ms\",\"max_latency_ms\"";

/// One `--csv` row.
pub fn csv_row(r: &TestReport) -> String {
    let l = &r.latency;
    format!(
        "\"{}\",\"{:.2}\",\"{:.3}\",\"{:.3}\",\"{:.3}\",\"{:.3}\",\"{:.3}\",\"{:.3}\"",
        r.name, r.rps, l.avg, l.min, l.p50, l.p95, l.p99, l.max
    )
}

/// The summary table of all tests.
pub fn table(reports: &[TestReport]) -> String {
    let mut s = String::new();
    // The test column fits the longest name (SISMEMBER).
    let w = reports.iter().map(|r| r.name.len()).fold(6, usize::max);
    let _ = writeln!(
        s,
        "{:<w$} {:>12} {:>9} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>7}",
        "test",
        "rps",
        "requests",
        "avg ms",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "p99.9 ms",
        "max ms",
        "errors"
    );
    for r in reports {
        let l = &r.latency;
        let _ = writeln!(
            s,
            "{:<w$} {:>12.2} {:>9} {:>8.3} {:>8.3} {:>8.3} {:>8.3} {:>8.3} {:>8.3} {:>7}",
            r.name,
            r.rps,
            r.requests,
            l.avg,
            l.p50,
            l.p90,
            l.p99,
            l.p999,
            l.max,
            r.errors()
        );
    }
    s
}

/// A JSON string literal.
pub fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A JSON number (`null` for NaN and infinities, which JSON lacks).
pub fn json_num(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.6}")
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_owned()
    } else {
        "null".to_owned()
    }
}

/// One test as a JSON object.
pub fn json_test(r: &TestReport) -> String {
    let l = &r.latency;
    let samples: Vec<String> = r.samples.iter().map(|s| json_str(s)).collect();
    format!(
        concat!(
            "{{\"test\":{},\"requests\":{},\"elapsed_secs\":{},\"rps\":{},\"target_rate\":{},",
            "\"clients\":{},\"errors\":{},\"error_replies\":{},\"dropped\":{},",
            "\"connection_errors\":{},\"warmup_errors\":{},\"mismatches\":{},",
            "\"latency_ms\":{{\"samples\":{},\"avg\":{},\"min\":{},\"p50\":{},\"p90\":{},",
            "\"p95\":{},\"p99\":{},\"p99_9\":{},\"max\":{}}},\"error_samples\":[{}]}}"
        ),
        json_str(r.name),
        r.requests,
        json_num(r.elapsed_secs),
        json_num(r.rps),
        r.target_rate.map_or("null".to_owned(), json_num),
        r.clients,
        r.errors(),
        r.error_replies,
        r.dropped,
        r.connection_errors,
        r.warmup_errors,
        r.mismatches,
        l.count,
        json_num(l.avg),
        json_num(l.min),
        json_num(l.p50),
        json_num(l.p90),
        json_num(l.p95),
        json_num(l.p99),
        json_num(l.p999),
        json_num(l.max),
        samples.join(",")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_helpers() {
        assert_eq!(json_str("a\"b\\\n\u{1}"), "\"a\\\"b\\\\\\n\\u0001\"");
        assert_eq!(json_num(1.5), "1.5");
        assert_eq!(json_num(2.0), "2");
        assert_eq!(json_num(f64::NAN), "null");
    }

    #[test]
    fn formats() {
        let mut h = new();
        h.record(191).unwrap();
        let r = TestReport {
            name: "SET",
            requests: 10,
            elapsed_secs: 0.5,
            rps: 20.0,
            target_rate: None,
            clients: 1,
            latency: Latency::from_histogram(&h),
            error_replies: 0,
            dropped: 0,
            connection_errors: 0,
            mismatches: 0,
            warmup_errors: 0,
            samples: vec![],
        };
        assert_eq!(
            quiet_line(&r),
            "SET: 20.00 requests per second, p50=0.191 msec"
        );
        assert!(csv_row(&r).starts_with("\"SET\",\"20.00\",\"0.191\""));
        assert!(json_test(&r).starts_with("{\"test\":\"SET\",\"requests\":10,"));
    }

    fn new() -> Histogram<u64> {
        Histogram::new_with_bounds(1, 1_000_000, 3).unwrap()
    }
}
