//! The request journal: every request to the site and its answer, in order, for scenarios and for
//! people debugging a run. Admin requests are left out. Request bodies (which hold passwords) are
//! never recorded; a JSON answer is, with its session token masked. What fills it is the HTTP
//! layer's middleware (`site::journalling`), which depends on this module and not the reverse.

use serde::{Deserialize, Serialize};

/// One request and its answer.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    /// Position in the journal, from 1.
    pub seq: u64,
    /// HTTP method.
    pub method: String,
    /// Path, without the query.
    pub path: String,
    /// The answer's status; 0 when the connection was dropped without one.
    pub status: u16,
    /// The error id, when the answer was a refusal.
    pub error: Option<&'static str>,
    /// The application the path names, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub application: Option<String>,
    /// The injected fault the request met, if any (`error`, `status`, `delay`, `reset`,
    /// `truncate`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fault: Option<&'static str>,
    /// When it was answered, by the site's clock (RFC 3339, Japan time).
    pub at: String,
    /// The JSON answer, its `session` masked; absent for other answers (pages, DER, dropped or
    /// faulted ones) and for answers over 16 KiB.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<serde_json::Value>,
}

/// Which entries to list: every given field must match.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Filter {
    /// The method, e.g. `POST`.
    pub method: Option<String>,
    /// A path prefix, e.g. `/apply/ap-0001`.
    pub path: Option<String>,
    /// The status.
    pub status: Option<u16>,
    /// The error id.
    pub error: Option<String>,
    /// The application.
    pub application: Option<String>,
    /// Only entries after this `seq`.
    pub since: Option<u64>,
}

impl Filter {
    /// Whether `entry` passes.
    pub fn admits(&self, entry: &Entry) -> bool {
        self.method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(&entry.method))
            && self
                .path
                .as_deref()
                .is_none_or(|p| entry.path.starts_with(p))
            && self.status.is_none_or(|s| s == entry.status)
            && self.error.as_deref().is_none_or(|e| entry.error == Some(e))
            && self
                .application
                .as_deref()
                .is_none_or(|a| entry.application.as_deref() == Some(a))
            && self.since.is_none_or(|s| entry.seq > s)
    }
}

/// How many entries the journal keeps: a site left serving (a demo, a soak) would otherwise
/// grow with every request. Older entries are dropped; `seq` goes on, so a gap shows where.
pub const KEPT: usize = 10_000;

/// The journal: the latest [`KEPT`] requests.
#[derive(Debug, Default)]
pub struct Journal {
    entries: std::collections::VecDeque<Entry>,
    next: u64,
}

impl Journal {
    /// Every entry kept, oldest first.
    pub fn entries(&self) -> Vec<Entry> {
        self.entries.iter().cloned().collect()
    }

    /// The entries `filter` admits, oldest first.
    pub fn filtered(&self, filter: &Filter) -> Vec<Entry> {
        self.entries
            .iter()
            .filter(|e| filter.admits(e))
            .cloned()
            .collect()
    }

    /// Empties the journal; numbering goes on.
    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// Adds `entry` as the next one (its `seq` is given here), dropping the oldest past [`KEPT`].
    pub(crate) fn record(&mut self, mut entry: Entry) {
        self.next += 1;
        entry.seq = self.next;
        if self.entries.len() == KEPT {
            self.entries.pop_front();
        }
        self.entries.push_back(entry);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_journal_keeps_the_latest_entries_and_numbering_goes_on() {
        let mut journal = Journal::default();
        for n in 0..KEPT + 5 {
            journal.record(Entry {
                seq: 0,
                method: "GET".into(),
                path: format!("/{n}"),
                status: 200,
                error: None,
                application: None,
                fault: None,
                at: String::new(),
                body: None,
            });
        }
        let entries = journal.entries();
        assert_eq!(entries.len(), KEPT);
        assert_eq!((entries[0].seq, entries[0].path.as_str()), (6, "/5"));
        assert_eq!(entries[KEPT - 1].seq, (KEPT + 5) as u64);
        journal.clear();
        assert!(journal.entries().is_empty());
        journal.record(entries[0].clone());
        assert_eq!(journal.entries()[0].seq, (KEPT + 6) as u64);
    }
}
