//! The client's steps through the real `cert-client` binary.

use std::{process::Stdio, time::Duration};

use super::{Run, RunError, locate::cert_client_binary, transcript::Shown};
use crate::scenario::Step;

impl Run<'_> {
    /// A client step through the real binary: answers fed to its prompts, stdout and stderr
    /// read as one, killed (SIGKILL) at its checkpoint when the step interrupts it.
    pub(super) async fn binary(&mut self, step: &Step) -> Result<Shown, RunError> {
        let binary = cert_client_binary()?;
        let site_ca = self.temp.path().join("site-ca.pem");
        std::fs::write(&site_ca, &self.site.site_trust_pem)
            .map_err(|e| RunError::SetUp(e.to_string()))?;
        let store = self.store(step)?;
        // Where `data fetch` writes: a fresh name per step, so "not written" means not written.
        let fetched = matches!(step, Step::DataFetch(_)).then(|| {
            self.fetches += 1;
            self.temp.path().join(format!("fetched-{}", self.fetches))
        });
        let mut command = std::process::Command::new(&binary);
        let (args, env) = step.binary_options();
        command.arg("--store").arg(store.path());
        if let Some(env) = env {
            command.envs(env);
        }
        match step {
            Step::Enroll(enroll) => {
                command.arg("enroll").arg("--site-ca").arg(&site_ca);
                match &enroll.password {
                    Some(password) => {
                        let url = self
                            .urls
                            .get(step.application() - 1)
                            .cloned()
                            .unwrap_or_default();
                        command
                            .arg("--url")
                            .arg(url)
                            .arg("--password")
                            .arg(password);
                    }
                    None => {
                        command
                            .arg("--maildir")
                            .arg(self.maildir(step.application()));
                    }
                }
            }
            Step::List(_) => {
                command.arg("list");
            }
            Step::CheckSite(_) => {
                command
                    .arg("check-site")
                    .arg(&self.site.url)
                    .arg("--site-ca")
                    .arg(&site_ca);
            }
            Step::DataList(_) => {
                command
                    .args(["data", "list", "--url", &self.site.url, "--site-ca"])
                    .arg(&site_ca);
            }
            Step::DataFetch(fetch) => {
                let document = fetch
                    .document
                    .checked_sub(1)
                    .and_then(|index| self.documents.get(index))
                    .cloned()
                    .ok_or_else(|| {
                        RunError::SetUp(format!("no document {} was published", fetch.document))
                    })?;
                let out = fetched.clone().unwrap_or_default();
                command
                    .args([
                        "data",
                        "fetch",
                        &document,
                        "--url",
                        &self.site.url,
                        "--site-ca",
                    ])
                    .arg(&site_ca)
                    .arg("--out")
                    .arg(out);
                if fetch.raw {
                    command.arg("--raw");
                }
            }
            Step::Install(install) => {
                // Checked when the file is read: the binary's install names its store.
                let from = install.certificate_from.as_deref().unwrap_or_default();
                let (_, certificate, _) = self
                    .other_store(from)?
                    .identity()
                    .map_err(|e| RunError::SetUp(e.to_string()))?
                    .ok_or_else(|| RunError::SetUp(format!("store {from} holds no certificate")))?;
                let file = self.temp.path().join(format!("{from}-certificate.pem"));
                std::fs::write(&file, certificate).map_err(|e| RunError::SetUp(e.to_string()))?;
                command.arg("install").arg("--certificate").arg(file);
            }
            Step::Confirm(_) => {
                command
                    .arg("confirm")
                    .arg("--url")
                    .arg(format!("{}/confirm", self.site.confirm_url))
                    .arg("--site-ca")
                    .arg(&site_ca);
            }
            _ => {
                return Err(RunError::SetUp(format!(
                    "{:?} is the site's, not the client's",
                    step.action()
                )));
            }
        }
        command.args(args);
        // The answers, in the order the guide asks: 発行, the root install, Web アクセスの確認.
        let mut answers = String::new();
        if let Step::Enroll(enroll) = step {
            for (_, yes) in enroll.answers.given() {
                answers.push_str(if yes { "y\n" } else { "n\n" });
            }
        }
        // One pipe for stdout and stderr: the transcript shows them interleaved, as a terminal would.
        let (mut reader, writer) = std::io::pipe().map_err(|e| RunError::SetUp(e.to_string()))?;
        let stderr = writer
            .try_clone()
            .map_err(|e| RunError::SetUp(e.to_string()))?;
        command
            .env("NO_COLOR", "1")
            .stdin(Stdio::piped())
            .stdout(writer)
            .stderr(stderr);
        if let Some(point) = step.interrupt() {
            command.env("CERT_CLIENT_HOLD_AT", point.name());
        }
        let mut child = command
            .spawn()
            .map_err(|e| RunError::SetUp(format!("{}: {e}", binary.display())))?;
        // The command holds the pipe's write ends; the reader sees the end only once they close.
        drop(command);
        if let Some(mut stdin) = child.stdin.take() {
            use std::io::Write as _;
            let _ = stdin.write_all(answers.as_bytes());
        }
        let finished = tokio::task::spawn_blocking(move || {
            use std::io::BufRead as _;
            // Line by line, so a client held at its checkpoint is killed the moment it says so.
            let mut bytes = Vec::new();
            let mut lines = std::io::BufReader::new(&mut reader);
            let read = loop {
                let start = bytes.len();
                match lines.read_until(b'\n', &mut bytes) {
                    Ok(0) => break Ok(()),
                    Ok(_) => {
                        if bytes[start..].starts_with(client::enrollment::HOLDING.as_bytes()) {
                            let _ = child.kill(); // SIGKILL: no destructor, no flush runs
                        }
                    }
                    Err(e) => break Err(e),
                }
            };
            let status = child.wait();
            (bytes, read, status)
        });
        let (bytes, read, status) = tokio::time::timeout(Duration::from_secs(120), finished)
            .await
            .map_err(|_| RunError::SetUp("cert-client did not finish in 120 s".into()))?
            .map_err(|e| RunError::SetUp(e.to_string()))?;
        read.map_err(|e| RunError::SetUp(e.to_string()))?;
        let status = status.map_err(|e| RunError::SetUp(e.to_string()))?;
        let mut shown = Shown {
            exit: status.code(),
            ..Shown::default()
        };

        for line in String::from_utf8_lossy(&bytes).lines() {
            // A prompt leaves no newline before what follows it: an error may start mid-line.
            let (before, error) = match line.find("error[") {
                Some(at) => (&line[..at], Some(&line[at + "error[".len()..])),
                None => (line, None),
            };
            if !before.trim().is_empty() || error.is_none() {
                shown.output.push(before.trim_end().to_owned());
            }
            if let Some((id, message)) = error.and_then(|rest| rest.split_once("]: ")) {
                shown.id = Some(id.to_owned());
                shown.message = Some(message.to_owned());
            }
        }
        {
            use std::os::unix::process::ExitStatusExt as _;
            shown.killed = status.signal();
        }
        let raw = matches!(step, Step::DataFetch(fetch) if fetch.raw);
        if let Some(path) = &fetched {
            shown.output.push(match std::fs::read(path) {
                Ok(bytes) if raw => format!("file: {} bytes kept encrypted", bytes.len()),
                Ok(bytes) => match String::from_utf8(bytes) {
                    Ok(text) => format!("file: {text}"),
                    Err(e) => format!("file: {} bytes", e.as_bytes().len()),
                },
                Err(_) => "file: (not written)".to_owned(),
            });
        }
        Ok(shown)
    }
}
