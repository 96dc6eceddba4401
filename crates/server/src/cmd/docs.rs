//! A command's COMMAND DOCS metadata ([`Doc`]), as one part of its row in the command table
//! (`table.rs`: the `docs!(..)` at the end of each `spec!` and `sub!` row). The table's test
//! checks that the rows exist; [`doc`] finds one by Redis' full name.

use super::table::lookup_full;

/// A command's (or subcommand's) COMMAND DOCS entry: redis-server 7.0.15's summary, since,
/// group, complexity, deprecation and history (7.2's for CLIENT SETINFO and NO-TOUCH). The
/// arguments are not given.
pub struct Doc {
    /// One-line description.
    pub summary: &'static str,
    /// Version it appeared in.
    pub since: &'static str,
    /// Command group (`string`, `connection`, ...).
    pub group: &'static str,
    /// Time complexity.
    pub complexity: &'static str,
    /// Version it was deprecated in ("" if it is not: then there are no `doc_flags`).
    pub deprecated_since: &'static str,
    /// What replaces it ("" if nothing).
    pub replaced_by: &'static str,
    /// (version, change) pairs.
    pub history: &'static [(&'static str, &'static str)],
}

/// `docs!(summary, since, group, complexity, deprecated_since, replaced_by, history)`, in the
/// order COMMAND DOCS prints them.
macro_rules! docs {
    ($summary:literal, $since:literal, $group:literal, $complexity:literal,
     $deprecated:literal, $replaced:literal, $history:expr) => {
        $crate::cmd::docs::Doc {
            summary: $summary,
            since: $since,
            group: $group,
            complexity: $complexity,
            deprecated_since: $deprecated,
            replaced_by: $replaced,
            history: $history,
        }
    };
}
pub(crate) use docs;

/// The COMMAND DOCS entry of a command or subcommand, by its full name (`get`, `config|get`).
pub fn doc(full_name: &str) -> Option<&'static Doc> {
    match lookup_full(full_name.as_bytes())? {
        (_, Some(sub)) => Some(&sub.doc),
        (spec, None) => Some(&spec.doc),
    }
}
