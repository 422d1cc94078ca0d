//! The desk's records on disk (`--data-dir`): an SQLite database, `records.sqlite3`, in WAL mode.
//! Each acknowledged change is one transaction that writes only the rows it touched (an
//! application, a certificate, a few mails, a document), committed and synced before the answer,
//! so a change costs the same with 100 applications on disk as with 100,000, and a restart loses
//! nothing that was answered. The schema is in ARCHITECTURE.md ("Records"), for support to read
//! with `sqlite3`.
//!
//! The site serves from memory; the database is read once, at start. A `records.json` of earlier
//! versions (one JSON file rewritten whole at every change) is migrated into a new database at
//! start, in the same transaction that makes it, and left as it was.
//!
//! No secret is kept in clear: an application's password only as its salted hash, its session as
//! a digest (`enrollment::secret`); a MAIL-PASSWORD mail is recorded without its body (the copy in
//! the Maildir is the mailbox's, not the site's records).

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension as _, Transaction, params};
use serde::{Deserialize, Serialize};
use time::{OffsetDateTime, format_description::well_known::Rfc3339};

use crate::{
    enrollment::application::{Application, ApplicationForm, Kind, State, Subject},
    enrollment::authority::IssuedCertificate,
    enrollment::delivery::Document,
    enrollment::secret::{PasswordHash, SessionDigest},
    world::entropy::Entropy,
    world::outbox::{Mail, SentMail},
};

/// A certificate the site issued, with the application it was issued for.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Issued {
    /// The application.
    pub application: String,
    /// The certificate.
    pub certificate: IssuedCertificate,
}

/// Everything the desk must not forget across a restart (`--data-dir`).
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// Every application, in filing order.
    pub applications: Vec<Application>,
    /// Every certificate issued, oldest first.
    pub issued: Vec<Issued>,
    /// Every mail sent, oldest first.
    pub outbox: Vec<SentMail>,
    /// Whether the back office approves filed applications by itself.
    pub auto_approve: bool,
    /// Every document published, oldest first [DATA-DECRYPT].
    pub documents: Vec<Document>,
}

/// The database's file name in the data directory.
pub const FILE: &str = "records.sqlite3";
/// The file of earlier versions, migrated at start.
pub const LEGACY_FILE: &str = "records.json";
/// The schema this version writes (`meta.schema`).
pub const SCHEMA_VERSION: u32 = 1;

/// The catalogue id of the mail whose body is the password: recorded without it.
const PASSWORD_MAIL: &str = "MAIL-PASSWORD";

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS applications (
    id             TEXT PRIMARY KEY,
    applicant      TEXT NOT NULL,
    email          TEXT NOT NULL,
    kind           TEXT NOT NULL,
    subject        TEXT NOT NULL,
    state          TEXT NOT NULL,
    serial         TEXT,
    filed_at       TEXT NOT NULL,
    approve_at     TEXT,
    mailed_at      TEXT,
    reminders      INTEGER NOT NULL DEFAULT 0,
    password_hash  TEXT,
    session_digest TEXT
);
CREATE INDEX IF NOT EXISTS applications_by_state ON applications (state, approve_at);
CREATE INDEX IF NOT EXISTS applications_by_email ON applications (email);
CREATE TABLE IF NOT EXISTS certificates (
    serial      TEXT PRIMARY KEY,
    application TEXT NOT NULL,
    subject     TEXT NOT NULL,
    not_before  TEXT NOT NULL,
    not_after   TEXT NOT NULL,
    der         BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS certificates_by_application ON certificates (application);
CREATE INDEX IF NOT EXISTS certificates_by_subject ON certificates (subject, not_before);
CREATE TABLE IF NOT EXISTS mails (
    id          TEXT PRIMARY KEY,
    application TEXT NOT NULL,
    catalogue   TEXT NOT NULL,
    to_name     TEXT NOT NULL,
    to_address  TEXT NOT NULL,
    subject     TEXT NOT NULL,
    body        TEXT,
    sent_at     TEXT NOT NULL,
    path        TEXT,
    raw         BLOB
);
CREATE INDEX IF NOT EXISTS mails_by_application ON mails (application, catalogue);
CREATE TABLE IF NOT EXISTS documents (
    id           TEXT PRIMARY KEY,
    application  TEXT NOT NULL,
    subject      TEXT NOT NULL,
    title        TEXT NOT NULL,
    file_name    TEXT NOT NULL,
    content_type TEXT NOT NULL,
    content      BLOB NOT NULL,
    published_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS documents_by_subject ON documents (subject);
CREATE TABLE IF NOT EXISTS deliveries (
    document TEXT NOT NULL,
    seq      INTEGER NOT NULL,
    serial   TEXT NOT NULL,
    PRIMARY KEY (document, seq)
);
";

/// The records could not be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RecordsError {
    /// A file could not be read or made.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The database could not be opened, read or written.
    #[error("{path}: {source}")]
    Database {
        /// The database.
        path: PathBuf,
        /// The cause.
        source: rusqlite::Error,
    },
    /// A row or a file is not records this version can read.
    #[error("{path}: not readable records: {why}")]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        why: String,
    },
}

impl RecordsError {
    /// Whether the cause is a full disk (ENOSPC, SQLITE_FULL): the change may succeed once
    /// space returns.
    pub fn is_disk_full(&self) -> bool {
        match self {
            Self::Io { source, .. } => source.kind() == std::io::ErrorKind::StorageFull,
            Self::Database { source, .. } => {
                source.sqlite_error_code() == Some(rusqlite::ErrorCode::DiskFull)
            }
            Self::Unreadable { .. } => false,
        }
    }
}

/// What one change wrote: the rows to put in the database, in one transaction.
#[derive(Debug, Default)]
pub struct Changes<'a> {
    /// Applications made or moved (an id without an application is one to remove).
    pub applications: Vec<(&'a str, Option<&'a Application>)>,
    /// Certificates issued.
    pub issued: &'a [Issued],
    /// Mails sent.
    pub mails: &'a [SentMail],
    /// Documents published or delivered (each with all its deliveries).
    pub documents: Vec<&'a Document>,
    /// Auto-approval, where it was switched.
    pub auto_approve: Option<bool>,
}

impl Changes<'_> {
    /// Whether there is nothing to write.
    pub fn is_empty(&self) -> bool {
        self.applications.is_empty()
            && self.issued.is_empty()
            && self.mails.is_empty()
            && self.documents.is_empty()
            && self.auto_approve.is_none()
    }
}

/// The database of a data directory.
#[derive(Debug)]
pub struct Records {
    path: PathBuf,
    connection: Connection,
}

impl Records {
    /// Opens (or makes) the records in `dir`. A new database takes in the `records.json` of an
    /// earlier version found there, in the transaction that makes it; the passwords it held in
    /// clear are hashed with salts from `entropy` (those of applications never approved are
    /// dropped: a password is made at approval now).
    pub fn open(dir: &Path, entropy: &mut dyn Entropy) -> Result<Self, RecordsError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| RecordsError::Io { path, source }
        };
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let path = dir.join(FILE);
        // Made 0600 before SQLite opens it: its -wal and -shm files take the same mode.
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .mode(0o600)
                .open(&path)
                .map_err(io(&path))?;
        }
        let db = |source| RecordsError::Database {
            path: path.clone(),
            source,
        };
        let connection = Connection::open(&path).map_err(db)?;
        // WAL: a commit appends to one file; FULL: it is synced before the answer, so neither a
        // kill nor a power cut loses an acknowledged change.
        connection
            .pragma_update(None, "journal_mode", "WAL")
            .map_err(db)?;
        connection
            .pragma_update(None, "synchronous", "FULL")
            .map_err(db)?;
        let mut records = Self { path, connection };
        records.prepare(dir, entropy)?;
        Ok(records)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn db(&self) -> impl Fn(rusqlite::Error) -> RecordsError + '_ {
        |source| RecordsError::Database {
            path: self.path.clone(),
            source,
        }
    }

    /// The schema, and on a new database the migration of `records.json`: one transaction.
    fn prepare(&mut self, dir: &Path, entropy: &mut dyn Entropy) -> Result<(), RecordsError> {
        let path = self.path.clone();
        let db = |source| RecordsError::Database {
            path: path.clone(),
            source,
        };
        let tx = self.connection.transaction().map_err(db)?;
        tx.execute_batch(SCHEMA).map_err(db)?;
        let schema: Option<String> = tx
            .query_row("SELECT value FROM meta WHERE key = 'schema'", [], |r| {
                r.get(0)
            })
            .optional()
            .map_err(db)?;
        match schema {
            Some(version) if version == SCHEMA_VERSION.to_string() => {}
            Some(version) => {
                return Err(RecordsError::Unreadable {
                    path: path.clone(),
                    why: format!("schema {version}, this version reads schema {SCHEMA_VERSION}"),
                });
            }
            None => {
                tx.execute(
                    "INSERT INTO meta (key, value) VALUES ('schema', ?1)",
                    [SCHEMA_VERSION.to_string()],
                )
                .map_err(db)?;
                let legacy = dir.join(LEGACY_FILE);
                if let Some(snapshot) = read_legacy(&legacy, entropy)? {
                    insert_snapshot(&tx, &snapshot).map_err(db)?;
                    tx.execute(
                        "INSERT INTO meta (key, value) VALUES ('migrated_from', ?1)",
                        [legacy.display().to_string()],
                    )
                    .map_err(db)?;
                    tracing::info!(
                        "records: migrated {} ({} applications) into {}",
                        legacy.display(),
                        snapshot.applications.len(),
                        path.display()
                    );
                }
            }
        }
        tx.commit().map_err(db)
    }

    /// Everything recorded, in the order it was made.
    pub fn load(&self) -> Result<Snapshot, RecordsError> {
        let db = self.db();
        let unreadable = |why: String| RecordsError::Unreadable {
            path: self.path.clone(),
            why,
        };
        let conn = &self.connection;
        let auto_approve: Option<String> = conn
            .query_row(
                "SELECT value FROM meta WHERE key = 'auto_approve'",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(&db)?;

        let mut applications = Vec::new();
        let mut statement = conn
            .prepare(
                "SELECT id, applicant, email, kind, subject, state, serial, filed_at, approve_at,
                        mailed_at, reminders, password_hash, session_digest
                 FROM applications ORDER BY rowid",
            )
            .map_err(&db)?;
        let mut rows = statement.query([]).map_err(&db)?;
        while let Some(row) = rows.next().map_err(&db)? {
            let id: String = row.get(0).map_err(&db)?;
            let bad = |what: &str| unreadable(format!("application {id}: {what}"));
            let kind = match row.get_ref(3).map_err(&db)?.as_str().unwrap_or("") {
                "new" => Kind::New,
                "renewal" => Kind::Renewal,
                _ => return Err(bad("kind")),
            };
            let subject: Subject = serde_json::from_str(&row.get::<_, String>(4).map_err(&db)?)
                .map_err(|_| bad("subject"))?;
            let serial: Option<String> = row.get(6).map_err(&db)?;
            let state_name: String = row.get(5).map_err(&db)?;
            let state = match (state_name.as_str(), serial) {
                ("filed", _) => State::Filed,
                ("approved", _) => State::Approved,
                ("issuing", _) => State::Issuing,
                ("issued", Some(serial)) => State::Issued { serial },
                ("completed", Some(serial)) => State::Completed { serial },
                ("withdrawn", _) => State::Withdrawn,
                _ => return Err(bad("state")),
            };
            let time = |i: usize| -> Result<Option<OffsetDateTime>, RecordsError> {
                row.get::<_, Option<String>>(i)
                    .map_err(&db)?
                    .map(|t| OffsetDateTime::parse(&t, &Rfc3339).map_err(|_| bad("time")))
                    .transpose()
            };
            let filed_at = time(7)?.ok_or_else(|| bad("filed_at"))?;
            let mut application = Application::file(
                id.clone(),
                ApplicationForm {
                    applicant: row.get(1).map_err(&db)?,
                    email: row.get(2).map_err(&db)?,
                    subject,
                    kind,
                },
                filed_at,
            );
            application.state = state;
            application.approve_at = time(8)?;
            application.mailed_at = time(9)?;
            application.reminders = row.get(10).map_err(&db)?;
            application.password = row
                .get::<_, Option<String>>(11)
                .map_err(&db)?
                .map(|p| PasswordHash::from_phc(&p).ok_or_else(|| bad("password_hash")))
                .transpose()?;
            application.session = row
                .get::<_, Option<String>>(12)
                .map_err(&db)?
                .map(|s| SessionDigest::from_hex(&s).ok_or_else(|| bad("session_digest")))
                .transpose()?;
            applications.push(application);
        }
        drop(rows);
        drop(statement);

        let parse_time = |t: String| {
            OffsetDateTime::parse(&t, &Rfc3339).map_err(|_| unreadable(format!("time {t:?}")))
        };
        let mut issued = Vec::new();
        let mut statement = conn
            .prepare(
                "SELECT serial, application, subject, not_before, not_after, der
                 FROM certificates ORDER BY rowid",
            )
            .map_err(&db)?;
        let mut rows = statement.query([]).map_err(&db)?;
        while let Some(row) = rows.next().map_err(&db)? {
            issued.push(Issued {
                application: row.get(1).map_err(&db)?,
                certificate: IssuedCertificate {
                    serial: row.get(0).map_err(&db)?,
                    subject: row.get(2).map_err(&db)?,
                    not_before: parse_time(row.get(3).map_err(&db)?)?,
                    not_after: parse_time(row.get(4).map_err(&db)?)?,
                    der: row.get(5).map_err(&db)?,
                },
            });
        }
        drop(rows);
        drop(statement);

        let mut outbox = Vec::new();
        let mut statement = conn
            .prepare(
                "SELECT id, application, catalogue, to_name, to_address, subject, body, sent_at,
                        path, raw
                 FROM mails ORDER BY rowid",
            )
            .map_err(&db)?;
        let mut rows = statement.query([]).map_err(&db)?;
        while let Some(row) = rows.next().map_err(&db)? {
            outbox.push(SentMail {
                id: row.get(0).map_err(&db)?,
                mail: Mail {
                    application: row.get(1).map_err(&db)?,
                    catalogue: row.get(2).map_err(&db)?,
                    to_name: row.get(3).map_err(&db)?,
                    to: row.get(4).map_err(&db)?,
                    subject: row.get(5).map_err(&db)?,
                    body: row
                        .get::<_, Option<String>>(6)
                        .map_err(&db)?
                        .unwrap_or_default(),
                },
                sent_at: parse_time(row.get(7).map_err(&db)?)?,
                path: row
                    .get::<_, Option<String>>(8)
                    .map_err(&db)?
                    .map(PathBuf::from),
                raw: row
                    .get::<_, Option<Vec<u8>>>(9)
                    .map_err(&db)?
                    .unwrap_or_default(),
            });
        }
        drop(rows);
        drop(statement);

        let mut documents = Vec::new();
        let mut statement = conn
            .prepare(
                "SELECT id, application, subject, title, file_name, content_type, content,
                        published_at
                 FROM documents ORDER BY rowid",
            )
            .map_err(&db)?;
        let mut deliveries = conn
            .prepare("SELECT serial FROM deliveries WHERE document = ?1 ORDER BY seq")
            .map_err(&db)?;
        let mut rows = statement.query([]).map_err(&db)?;
        while let Some(row) = rows.next().map_err(&db)? {
            let id: String = row.get(0).map_err(&db)?;
            let delivered = deliveries
                .query_map([&id], |r| r.get::<_, String>(0))
                .map_err(&db)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(&db)?;
            documents.push(Document {
                id,
                application: row.get(1).map_err(&db)?,
                subject: row.get(2).map_err(&db)?,
                title: row.get(3).map_err(&db)?,
                file_name: row.get(4).map_err(&db)?,
                content_type: row.get(5).map_err(&db)?,
                content: row.get(6).map_err(&db)?,
                published_at: parse_time(row.get(7).map_err(&db)?)?,
                deliveries: delivered,
            });
        }
        drop(rows);

        Ok(Snapshot {
            applications,
            issued,
            outbox,
            auto_approve: auto_approve.as_deref() == Some("true"),
            documents,
        })
    }

    /// Writes one change, all of it or nothing, synced before it returns.
    pub fn write(&mut self, changes: &Changes<'_>) -> Result<(), RecordsError> {
        if changes.is_empty() {
            return Ok(());
        }
        let path = self.path.clone();
        let db = |source| RecordsError::Database {
            path: path.clone(),
            source,
        };
        let tx = self.connection.transaction().map_err(db)?;
        for (id, application) in &changes.applications {
            match application {
                Some(application) => upsert_application(&tx, application),
                None => tx
                    .execute("DELETE FROM applications WHERE id = ?1", [id])
                    .map(drop),
            }
            .map_err(db)?;
        }
        for issued in changes.issued {
            insert_certificate(&tx, issued).map_err(db)?;
        }
        for mail in changes.mails {
            insert_mail(&tx, mail).map_err(db)?;
        }
        for document in &changes.documents {
            upsert_document(&tx, document).map_err(db)?;
        }
        if let Some(on) = changes.auto_approve {
            set_auto_approve(&tx, on).map_err(db)?;
        }
        tx.commit().map_err(db)
    }

    /// Adds everything in `snapshot` in one transaction (a migration, or a bench's fixture of
    /// many applications).
    pub fn import(&mut self, snapshot: &Snapshot) -> Result<(), RecordsError> {
        let path = self.path.clone();
        let db = |source| RecordsError::Database {
            path: path.clone(),
            source,
        };
        let tx = self.connection.transaction().map_err(db)?;
        insert_snapshot(&tx, snapshot).map_err(db)?;
        tx.commit().map_err(db)
    }
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_else(|_| t.to_string())
}

fn insert_snapshot(tx: &Transaction<'_>, snapshot: &Snapshot) -> rusqlite::Result<()> {
    for application in &snapshot.applications {
        upsert_application(tx, application)?;
    }
    for issued in &snapshot.issued {
        insert_certificate(tx, issued)?;
    }
    for mail in &snapshot.outbox {
        insert_mail(tx, mail)?;
    }
    for document in &snapshot.documents {
        upsert_document(tx, document)?;
    }
    set_auto_approve(tx, snapshot.auto_approve)
}

fn upsert_application(tx: &Transaction<'_>, a: &Application) -> rusqlite::Result<()> {
    let serial = match &a.state {
        State::Issued { serial } | State::Completed { serial } => Some(serial.as_str()),
        _ => None,
    };
    let kind = match a.form.kind {
        Kind::New => "new",
        Kind::Renewal => "renewal",
    };
    let subject = serde_json::to_string(&a.form.subject).unwrap_or_default();
    let mut statement = tx.prepare_cached(
        "INSERT INTO applications (id, applicant, email, kind, subject, state, serial, filed_at,
                                   approve_at, mailed_at, reminders, password_hash, session_digest)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
         ON CONFLICT (id) DO UPDATE SET
             applicant = excluded.applicant, email = excluded.email, kind = excluded.kind,
             subject = excluded.subject, state = excluded.state, serial = excluded.serial,
             filed_at = excluded.filed_at, approve_at = excluded.approve_at,
             mailed_at = excluded.mailed_at, reminders = excluded.reminders,
             password_hash = excluded.password_hash, session_digest = excluded.session_digest",
    )?;
    statement.execute(params![
        a.id,
        a.form.applicant,
        a.form.email,
        kind,
        subject,
        a.state.name(),
        serial,
        rfc3339(a.filed_at),
        a.approve_at.map(rfc3339),
        a.mailed_at.map(rfc3339),
        a.reminders,
        a.password.as_ref().map(PasswordHash::to_phc),
        a.session.as_ref().map(SessionDigest::to_hex),
    ])?;
    Ok(())
}

fn insert_certificate(tx: &Transaction<'_>, issued: &Issued) -> rusqlite::Result<()> {
    let c = &issued.certificate;
    tx.prepare_cached(
        "INSERT INTO certificates (serial, application, subject, not_before, not_after, der)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        c.serial,
        issued.application,
        c.subject,
        rfc3339(c.not_before),
        rfc3339(c.not_after),
        c.der,
    ])?;
    Ok(())
}

fn insert_mail(tx: &Transaction<'_>, sent: &SentMail) -> rusqlite::Result<()> {
    // The password's mail is recorded without what carries the password.
    let secret = sent.mail.catalogue == PASSWORD_MAIL;
    tx.prepare_cached(
        "INSERT INTO mails (id, application, catalogue, to_name, to_address, subject, body,
                            sent_at, path, raw)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        sent.id,
        sent.mail.application,
        sent.mail.catalogue,
        sent.mail.to_name,
        sent.mail.to,
        sent.mail.subject,
        (!secret).then_some(sent.mail.body.as_str()),
        rfc3339(sent.sent_at),
        sent.path.as_ref().map(|p| p.display().to_string()),
        (!secret).then_some(sent.raw.as_slice()),
    ])?;
    Ok(())
}

fn upsert_document(tx: &Transaction<'_>, d: &Document) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO documents (id, application, subject, title, file_name, content_type, content,
                                published_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (id) DO NOTHING",
    )?
    .execute(params![
        d.id,
        d.application,
        d.subject,
        d.title,
        d.file_name,
        d.content_type,
        d.content,
        rfc3339(d.published_at),
    ])?;
    // Deliveries are only ever added: the ones not recorded yet.
    let mut insert = tx.prepare_cached(
        "INSERT OR IGNORE INTO deliveries (document, seq, serial) VALUES (?1, ?2, ?3)",
    )?;
    for (seq, serial) in d.deliveries.iter().enumerate() {
        insert.execute(params![d.id, seq, serial])?;
    }
    Ok(())
}

fn set_auto_approve(tx: &Transaction<'_>, on: bool) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO meta (key, value) VALUES ('auto_approve', ?1)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [if on { "true" } else { "false" }],
    )?;
    Ok(())
}

/// `records.json` as versions before the database wrote it.
#[derive(Deserialize)]
struct LegacySnapshot {
    applications: Vec<LegacyApplication>,
    issued: Vec<Issued>,
    outbox: Vec<SentMail>,
    auto_approve: bool,
    #[serde(default)]
    documents: Vec<Document>,
}

#[derive(Deserialize)]
struct LegacyApplication {
    id: String,
    form: ApplicationForm,
    state: State,
    #[serde(with = "time::serde::rfc3339")]
    filed_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option", default)]
    approve_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option", default)]
    mailed_at: Option<OffsetDateTime>,
    #[serde(default)]
    reminders: u32,
    password: String,
    session: Option<String>,
}

/// Reads a `records.json`, hashing the passwords it holds in clear: `None` where there is none.
fn read_legacy(path: &Path, entropy: &mut dyn Entropy) -> Result<Option<Snapshot>, RecordsError> {
    let text = match std::fs::read(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(RecordsError::Io {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    let legacy: LegacySnapshot =
        serde_json::from_slice(&text).map_err(|e| RecordsError::Unreadable {
            path: path.to_path_buf(),
            why: e.to_string(),
        })?;
    // Salts are drawn in order, so a seeded site migrates the same way every time; the hashes,
    // the slow part, are made on every core.
    let jobs: Vec<(String, [u8; 16])> = legacy
        .applications
        .iter()
        .map(|a| {
            let mut salt = [0u8; 16];
            entropy.fill(&mut salt);
            (a.password.clone(), salt)
        })
        .collect();
    let mailed: Vec<bool> = legacy
        .applications
        .iter()
        .map(|a| a.state != State::Filed || a.mailed_at.is_some())
        .collect();
    let hashes = hash_all(&jobs, &mailed);
    let applications = legacy
        .applications
        .into_iter()
        .zip(hashes)
        .map(|(a, hash)| {
            let mut application = Application::file(a.id, a.form, a.filed_at);
            application.state = a.state;
            application.approve_at = a.approve_at;
            application.mailed_at = a.mailed_at;
            application.reminders = a.reminders;
            application.password = hash;
            application.session = a.session.as_deref().map(SessionDigest::of);
            application
        })
        .collect();
    Ok(Some(Snapshot {
        applications,
        issued: legacy.issued,
        outbox: legacy.outbox,
        auto_approve: legacy.auto_approve,
        documents: legacy.documents,
    }))
}

/// The hashes of the passwords that were mailed (`None` for the others), on every core.
fn hash_all(jobs: &[(String, [u8; 16])], mailed: &[bool]) -> Vec<Option<PasswordHash>> {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let chunk = jobs.len().div_ceil(cores).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = jobs
            .chunks(chunk)
            .zip(mailed.chunks(chunk))
            .map(|(jobs, mailed)| {
                scope.spawn(move || {
                    jobs.iter()
                        .zip(mailed)
                        .map(|((password, salt), &mailed)| {
                            mailed.then(|| PasswordHash::new(password, *salt))
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    })
}

#[cfg(test)]
mod tests;
