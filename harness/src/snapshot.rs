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

/// `None` when the transcript matches its snapshot; otherwise the first difference.
pub fn difference(stored: &str, transcript: &str) -> Option<String> {
    let (a, b) = (stored.trim_end(), transcript.trim_end());
    if a == b {
        return None;
    }
    let (mut left, mut right) = (a.lines(), b.lines());
    let mut line = 1;
    loop {
        match (left.next(), right.next()) {
            (Some(x), Some(y)) if x == y => line += 1,
            (x, y) => {
                return Some(format!(
                    "line {line}: snapshot has {:?}, this run has {:?}",
                    x.unwrap_or("<end>"),
                    y.unwrap_or("<end>")
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_differing_line_is_named() {
        assert_eq!(difference("a\nb\n", "a\nb"), None);
        assert_eq!(
            difference("a\nb", "a\nc").as_deref(),
            Some("line 2: snapshot has \"b\", this run has \"c\"")
        );
    }
}
