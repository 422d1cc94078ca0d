//! Reports of a run: JUnit XML for CI, HTML for people.

pub mod html;
pub mod junit;
