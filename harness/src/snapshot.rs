//! Compares a transcript with its stored snapshot (`fixtures/snapshots/<name>.snap`, insta's format)
//! outside a test, for `harness run`. Tests check the same files with insta itself.

use std::path::Path;

/// The stored snapshot's content, without insta's header.
pub fn stored(dir: &Path, name: &str) -> Option<String> {
    let text = std::fs::read_to_string(dir.join(format!("{name}.snap"))).ok()?;
    // The header is a YAML block between two `---` lines.
    let rest = text.strip_prefix("---\n")?;
    let end = rest.find("\n---\n")?;
    Some(rest[end + "\n---\n".len()..].to_owned())
}

/// `None` when the transcript matches its snapshot; otherwise a unified diff from the snapshot
/// (`-`) to this run (`+`), three lines of context around each change.
pub fn difference(stored: &str, transcript: &str) -> Option<String> {
    let (a, b) = (stored.trim_end(), transcript.trim_end());
    if a == b {
        return None;
    }
    // Both end with a newline, so a change to the last line is not shown as a missing one.
    let (a, b) = (format!("{a}\n"), format!("{b}\n"));
    let diff = similar::TextDiff::from_lines(&a, &b);
    Some(
        diff.unified_diff()
            .context_radius(3)
            .header("snapshot", "this run")
            .to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_matching_transcript_has_no_difference_whatever_its_trailing_newlines() {
        assert_eq!(difference("a\nb\n", "a\nb"), None);
    }

    #[test]
    fn a_difference_is_shown_as_a_unified_diff_with_context() {
        let stored = "scenario: login/auth-failed\n1\n2\n3\n4\nresult: ok\n5\n6\n7\n8\nexit: 0\n";
        let run = "scenario: login/auth-failed\n1\n2\n3\n4\nresult: error[AUTH-FAILED]\n5\n6\n7\n8\nexit: 0\nmore\n";
        assert_eq!(
            difference(stored, run).as_deref(),
            Some(
                "--- snapshot\n+++ this run\n\
                 @@ -3,9 +3,10 @@\n 2\n 3\n 4\n-result: ok\n+result: error[AUTH-FAILED]\n 5\n 6\n 7\n 8\n exit: 0\n+more\n"
            )
        );
    }
}
