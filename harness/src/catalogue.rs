//! The harness's own reading of `fixtures/catalogue.toml`: the ids scenarios must cover and the
//! guide's words the transcripts must hold.

use std::path::Path;

use serde::Deserialize;

/// One entry of the catalogue.
#[derive(Debug, Clone, Deserialize)]
pub struct Entry {
    /// The stable id.
    pub id: String,
    /// Where in the guide.
    pub guide: String,
    /// flow, server, client, mail, store, env, browser (only a browser shows it).
    pub kind: String,
    /// What brings it about.
    pub trigger: String,
    /// The guide's text.
    #[serde(default)]
    pub message: Option<String>,
    /// Whether `message` must appear exactly.
    #[serde(default)]
    pub verbatim: bool,
    /// What the guide tells the user to do.
    #[serde(default)]
    pub recovery: Option<String>,
    /// How this project reproduces it.
    #[serde(default)]
    pub ours: Option<String>,
}

impl Entry {
    /// The questions of the guide's FAQ this entry answers (`guide` names them `FAQ '<question>'`).
    pub fn faq_questions(&self) -> Vec<String> {
        self.guide
            .split("FAQ '")
            .skip(1)
            .filter_map(|rest| rest.split_once('\'').map(|(q, _)| q.to_owned()))
            .collect()
    }
}

#[derive(Deserialize)]
struct File {
    entry: Vec<Entry>,
}

/// The catalogue could not be read.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {why}")]
pub struct CatalogueError {
    path: String,
    why: String,
}

/// Reads the catalogue.
pub fn load(path: &Path) -> Result<Vec<Entry>, CatalogueError> {
    let fail = |why: String| CatalogueError {
        path: path.display().to_string(),
        why,
    };
    let text = std::fs::read_to_string(path).map_err(|e| fail(e.to_string()))?;
    let file: File = toml::from_str(&text).map_err(|e| fail(e.to_string()))?;
    Ok(file.entry)
}
