//! Replaces what varies from run to run (ports, serials, thumbprints, key ids, times, temporary
//! paths, passwords) with fixed placeholders, so a transcript can be compared with its snapshot.

use regex::Regex;

/// A redactor: exact strings first (paths, passwords known to the run), then patterns.
#[derive(Debug)]
pub struct Redactor {
    literals: Vec<(String, String)>,
    patterns: Vec<(Regex, &'static str)>,
}

impl Default for Redactor {
    fn default() -> Self {
        let patterns = [
            // The certificate and root as PKCS#7 (base64 DER) in the CSR's answer: first, since
            // base64 may hold a run that looks like hex.
            (
                r#""pkcs7":"[A-Za-z0-9+/=]+""#,
                r#""pkcs7":"<PKCS7 base64>""#,
            ),
            // Thumbprints and serials: hex pairs joined by ':'; the longest first.
            (r"\b(?:[0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2}\b", "<sha256>"),
            (r"\b(?:[0-9A-Fa-f]{2}:){19}[0-9A-Fa-f]{2}\b", "<sha1>"),
            (r"\b(?:[0-9A-Fa-f]{2}:){15}[0-9A-Fa-f]{2}\b", "<serial>"),
            // File names: roots by SHA-256, keys by id, certificates by serial.
            (r"\b[0-9a-f]{64}\b", "<sha256-hex>"),
            (r"\b[0-9a-f]{32}\b", "<hex-id>"),
            // RFC 3339 and time's default display.
            (
                r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?: ?[+-]\d{1,2}:\d{2}(?::\d{2})?|Z)?",
                "<time>",
            ),
            (r"127\.0\.0\.1:\d+", "127.0.0.1:<port>"),
            // PEM, also inside JSON strings, where its line ends are the two characters `\n`.
            (
                r"-----BEGIN ([A-Z ]+)-----[A-Za-z0-9+/=\s\\]+-----END [A-Z ]+-----(?:\\n)?",
                "<$1 PEM>",
            ),
        ];
        Self {
            literals: Vec::new(),
            patterns: patterns
                .into_iter()
                .map(|(p, r)| (Regex::new(p).expect("redaction patterns are valid"), r))
                .collect(),
        }
    }
}

impl Redactor {
    /// Also replaces `literal` with `placeholder` (longest literals are replaced first).
    pub fn literal(&mut self, literal: impl Into<String>, placeholder: impl Into<String>) {
        let literal = literal.into();
        if !literal.is_empty() {
            self.literals.push((literal, placeholder.into()));
            self.literals
                .sort_by_key(|(l, _)| std::cmp::Reverse(l.len()));
        }
    }

    /// The text with everything that varies replaced.
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for (literal, placeholder) in &self.literals {
            out = out.replace(literal, placeholder);
        }
        for (pattern, placeholder) in &self.patterns {
            out = pattern.replace_all(&out, *placeholder).into_owned();
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_pem_in_json_strings() {
        let json = r#"{"certificate":"-----BEGIN CERTIFICATE-----\nMIIB+w==\n-----END CERTIFICATE-----\n","x":1}"#;
        assert_eq!(
            Redactor::default().redact(json),
            r#"{"certificate":"<CERTIFICATE PEM>","x":1}"#
        );
    }

    #[test]
    fn redacts_ports_times_thumbprints_and_literals() {
        let mut redactor = Redactor::default();
        redactor.literal("/tmp/abc", "<tmp>");
        let sha1 = vec!["AB"; 20].join(":");
        let text =
            format!("https://127.0.0.1:40123/x 2026-11-25T10:00:00+09:00 {sha1} /tmp/abc/store");
        assert_eq!(
            redactor.redact(&text),
            "https://127.0.0.1:<port>/x <time> <sha1> <tmp>/store"
        );
    }
}
