//! Data delivery [DATA-DECRYPT] end to end: documents published through the admin API of a site
//! started in-process (real TLS), fetched and opened by the `cert-client` binary with the key in
//! its store; another holder's store, and a store without the key, fail and write nothing; and
//! openssl opens what the site sent, and the client what openssl made.

use std::{
    path::{Path, PathBuf},
    process::{Command, Output},
};

use mock_ca::MockCa;
use test_support::{Admin, NewApplication};

use crate::support::{cert_client_env, have};

const CONTENT: &[u8] =
    b"%PDF-1.7\n%\xe2\xe3\xcf\xd3 balance certificate \xe6\xae\x8b\xe9\xab\x98\n\x00\xff";
const DATA_DECRYPT: &str = "電子証明書をインストールしたPC だけが、弊社が提供するデータの復号(暗号を解くこと)が可能になります";

/// A site in-process with its Maildir and trust anchor, its admin API, and a temporary directory.
struct Bench {
    site: MockCa,
    admin: Admin,
    temp: tempfile::TempDir,
}

impl Bench {
    async fn new() -> Self {
        let temp = tempfile::tempdir().unwrap();
        let site = crate::support::site()
            .maildir(temp.path().join("maildir"))
            .start()
            .await
            .unwrap();
        std::fs::write(temp.path().join("site-ca.pem"), site.site_trust_pem()).unwrap();
        let admin = Admin::new(
            site.url(),
            site.admin_token(),
            site.site_trust_pem().as_bytes(),
        )
        .unwrap();
        Self { site, admin, temp }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.temp.path().join(name)
    }

    /// Files and approves an application for `name` (its two mails arrive), then enrolls a store
    /// `store-<name>` with the binary; the application's id.
    async fn enrolled(&self, name: &str) -> String {
        let application = NewApplication::for_cn(name).by(name, &format!("{name}@example.jp"));
        let id = self.admin.approved(application).await.unwrap();
        // The holder's own mailbox: the site's Maildir is shared, and the client takes the newest
        // mails in the one it reads, so each holder reads a Maildir of its own mails, found by
        // their X-Application.
        let mailbox = self.path(&format!("maildir-{name}"));
        for sub in ["new", "cur", "tmp"] {
            std::fs::create_dir_all(mailbox.join(sub)).unwrap();
        }
        let mut copied = 0;
        for (file, mail) in test_support::mail::maildir(&self.path("maildir")).unwrap() {
            if mail.application.as_deref() == Some(id.as_str()) {
                std::fs::copy(&file, mailbox.join("new").join(file.file_name().unwrap())).unwrap();
                copied += 1;
            }
        }
        assert_eq!(copied, 2, "the two mails of {id}");
        let site_ca = self.path("site-ca.pem");
        let ran = self
            .run(
                name,
                &[
                    "enroll",
                    "--maildir",
                    s(&mailbox),
                    "--site-ca",
                    s(&site_ca),
                    "--yes",
                ],
            )
            .await;
        expect(&ran, 0);
        id
    }

    /// Publishes CONTENT for an application through the admin API (curl over TLS where curl is
    /// installed, else the tests' admin client); the document's id.
    async fn publish(&self, application: &str) -> String {
        let body = serde_json::json!({
            "application": application,
            "title": "残高証明書 2026年11月",
            "file_name": "balance-2026-11.pdf",
            "content_type": "application/pdf",
            "content": base64(CONTENT),
        });
        if have("curl") {
            let (url, token, ca) = (
                format!("{}/admin/documents", self.site.url()),
                format!("Authorization: Bearer {}", self.site.admin_token()),
                self.path("site-ca.pem"),
            );
            let body = body.to_string();
            let out = blocking(move || {
                Command::new("curl")
                    .args(["-sS", "--fail-with-body", "--cacert"])
                    .arg(&ca)
                    .args(["-H", &token, "-H", "Content-Type: application/json"])
                    .args(["--data-binary", &body, &url])
                    .output()
                    .unwrap()
            })
            .await;
            assert!(out.status.success(), "{out:?}");
            let answer: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(answer["size"], CONTENT.len());
            answer["id"].as_str().unwrap().to_owned()
        } else {
            eprintln!("notice: curl is not installed; publishing with the tests' admin client");
            let answer = self.admin.post("/documents", body).await.unwrap();
            assert_eq!(answer["size"], CONTENT.len());
            answer["id"].as_str().unwrap().to_owned()
        }
    }

    /// `cert-client --store store-<holder> args…`, off the runtime's threads.
    async fn run(&self, holder: &str, args: &[&str]) -> Output {
        let store = self.path(&format!("store-{holder}"));
        let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
        blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            cert_client_env(&store, &args, &[])
        })
        .await
    }

    /// The PEM certificate and key of a holder's only personal entry.
    fn identity(&self, holder: &str) -> (PathBuf, PathBuf) {
        let personal = self.path(&format!("store-{holder}")).join("personal");
        let entry = std::fs::read_dir(&personal)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| !p.file_name().unwrap().to_str().unwrap().starts_with('.'))
            .unwrap();
        (entry.join("certificate.pem"), entry.join("key.pem"))
    }
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.unwrap()
}

fn s(path: &Path) -> &str {
    path.to_str().expect("temporary paths are UTF-8")
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn expect(ran: &Output, code: i32) {
    assert_eq!(
        ran.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&ran.stdout),
        String::from_utf8_lossy(&ran.stderr)
    );
}

fn stdout(ran: &Output) -> String {
    String::from_utf8_lossy(&ran.stdout).into_owned()
}

fn stderr(ran: &Output) -> String {
    String::from_utf8_lossy(&ran.stderr).into_owned()
}

/// Nothing but `keep` in `dir`: no plain file, no `.incoming-*` left behind.
fn only(dir: &Path, keep: &[&str]) {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut keep: Vec<String> = keep.iter().map(|k| (*k).to_owned()).collect();
    keep.sort();
    assert_eq!(names, keep);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_holder_lists_and_fetches_a_published_document_and_reads_the_bytes_published() {
    let bench = Bench::new().await;
    let taro = bench.enrolled("Taro Yamada").await;
    let doc = bench.publish(&taro).await;
    assert_eq!(doc, "doc-0001");

    let list = bench.run("Taro Yamada", &["data", "list"]).await;
    expect(&list, 0);
    let lines: Vec<String> = stdout(&list).lines().map(str::to_owned).collect();
    assert!(
        lines[0].starts_with(
            "データ一覧 (documents for CN=Taro Yamada,O=Example Securities,C=JP, serial "
        ) && lines[0].ends_with("): 1 件"),
        "{lines:?}"
    );
    assert_eq!(lines[1], format!("    {DATA_DECRYPT}"));
    assert!(
        lines[2].starts_with("  doc-0001  ")
            && lines[2].ends_with(&format!(
                "  {} bytes  balance-2026-11.pdf  残高証明書 2026年11月",
                CONTENT.len()
            )),
        "{lines:?}"
    );

    let out = bench.path("out");
    std::fs::create_dir(&out).unwrap();
    let plain = out.join("balance.pdf");
    let fetched = bench
        .run(
            "Taro Yamada",
            &["data", "fetch", "doc-0001", "--out", s(&plain)],
        )
        .await;
    expect(&fetched, 0);
    assert_eq!(std::fs::read(&plain).unwrap(), CONTENT);
    use std::os::unix::fs::PermissionsExt as _;
    assert_eq!(
        std::fs::metadata(&plain).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let said = stdout(&fetched);
    assert!(
        said.starts_with("取得しました (downloaded doc-0001: CMS EnvelopedData, "),
        "{said}"
    );
    assert!(
        said.contains("復号しました (decrypted with the key of CN=Taro Yamada,O=Example Securities,C=JP, serial "),
        "{said}"
    );

    // --json: one object per line, the last the result.
    let json = bench.run("Taro Yamada", &["--json", "data", "list"]).await;
    expect(&json, 0);
    let last: serde_json::Value =
        serde_json::from_str(stdout(&json).lines().last().unwrap()).unwrap();
    assert_eq!(last["result"], "ok");
    assert_eq!(last["documents"]["documents"][0]["id"], "doc-0001");

    // --raw keeps what the site sent; openssl opens it with the store's key.
    let raw = out.join("balance.pdf.p7m");
    expect(
        &bench
            .run(
                "Taro Yamada",
                &["data", "fetch", "doc-0001", "--raw", "--out", s(&raw)],
            )
            .await,
        0,
    );
    assert_ne!(std::fs::read(&raw).unwrap(), CONTENT);
    if have("openssl") {
        let (cert, key) = bench.identity("Taro Yamada");
        let opened = Command::new("openssl")
            .args(["cms", "-decrypt", "-inform", "DER", "-in", s(&raw)])
            .args(["-recip", s(&cert), "-inkey", s(&key)])
            .output()
            .unwrap();
        assert!(opened.status.success(), "{}", stderr(&opened));
        assert_eq!(opened.stdout, CONTENT);
    } else {
        eprintln!(
            "notice: openssl is not installed; openssl cms -decrypt of the site's envelope skipped"
        );
    }
    // …and so does the client, from the file.
    let again = out.join("again.pdf");
    expect(
        &bench
            .run(
                "Taro Yamada",
                &["data", "open", s(&raw), "--out", s(&again)],
            )
            .await,
        0,
    );
    assert_eq!(std::fs::read(&again).unwrap(), CONTENT);

    assert_eq!(bench.site.documents()[0].deliveries.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_holders_store_or_a_store_without_the_key_fails_with_data_not_for_this_pc_and_writes_nothing()
 {
    let bench = Bench::new().await;
    let taro = bench.enrolled("Taro Yamada").await;
    bench.enrolled("Hanako Sato").await;
    bench.publish(&taro).await;
    let raw = bench.path("taro.p7m");
    expect(
        &bench
            .run(
                "Taro Yamada",
                &["data", "fetch", "doc-0001", "--raw", "--out", s(&raw)],
            )
            .await,
        0,
    );
    let out = bench.path("out");
    std::fs::create_dir(&out).unwrap();

    // Hanako's store: the site has nothing for her, and Taro's file does not open here.
    let listed = bench.run("Hanako Sato", &["data", "list"]).await;
    expect(&listed, 0);
    assert!(stdout(&listed).lines().next().unwrap().ends_with("): 0 件"));
    for args in [
        vec!["data", "fetch", "doc-0001", "--out"],
        vec!["data", "open", s(&raw), "--out"],
    ] {
        let target = out.join("plain.pdf");
        let mut args = args;
        args.push(s(&target));
        let ran = bench.run("Hanako Sato", &args).await;
        expect(&ran, 7);
        let said = stderr(&ran);
        assert!(
            said.contains("error[DATA-NOT-FOR-THIS-PC]: このデータはこの PC では復号できません"),
            "{said}"
        );
        assert!(said.contains(&format!("  → {DATA_DECRYPT}")), "{said}");
        only(&out, &[]);
    }

    // Taro's certificate copied without its key (a store on another PC).
    let copy = bench.path("store-Taro copy");
    let status = Command::new("cp")
        .arg("-r")
        .arg(bench.path("store-Taro Yamada"))
        .arg(&copy)
        .status()
        .unwrap();
    assert!(status.success());
    let (_, key) = bench.identity("Taro Yamada");
    let key = copy
        .join("personal")
        .join(key.parent().unwrap().file_name().unwrap())
        .join("key.pem");
    std::fs::remove_file(key).unwrap();
    let ran = bench
        .run(
            "Taro copy",
            &["data", "open", s(&raw), "--out", s(&out.join("plain.pdf"))],
        )
        .await;
    expect(&ran, 7);
    assert!(
        stderr(&ran).contains("whose key is not in this store"),
        "{}",
        stderr(&ran)
    );
    only(&out, &[]);

    // A file that is not CMS: DATA-UNREADABLE, exit 8, nothing written.
    let junk = bench.path("junk.p7m");
    std::fs::write(&junk, b"not cms").unwrap();
    let ran = bench
        .run(
            "Taro Yamada",
            &["data", "open", s(&junk), "--out", s(&out.join("plain.pdf"))],
        )
        .await;
    expect(&ran, 8);
    assert!(stderr(&ran).contains("error[DATA-UNREADABLE]"));
    only(&out, &[]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_opens_what_openssl_cms_encrypt_made_for_its_certificate() {
    if !have("openssl") {
        eprintln!("notice: openssl is not installed; the client's openssl interop is skipped");
        return;
    }
    let bench = Bench::new().await;
    bench.enrolled("Taro Yamada").await;
    let (cert, _) = bench.identity("Taro Yamada");
    let plain = bench.path("plain.bin");
    std::fs::write(&plain, CONTENT).unwrap();
    // openssl's default (RSAES-PKCS1-v1_5), OAEP with SHA-256, AES-128, and PEM armour.
    let cases: [(&str, &[&str]); 4] = [
        ("default", &["-aes256", "-outform", "DER"]),
        (
            "oaep",
            &[
                "-aes256",
                "-outform",
                "DER",
                "-keyopt",
                "rsa_padding_mode:oaep",
                "-keyopt",
                "rsa_oaep_md:sha256",
                "-keyopt",
                "rsa_mgf1_md:sha256",
            ],
        ),
        ("aes128", &["-aes128", "-outform", "DER"]),
        ("pem", &["-aes256", "-outform", "PEM"]),
    ];
    for (name, options) in cases {
        let sealed = bench.path(&format!("{name}.p7m"));
        let mut command = Command::new("openssl");
        command.args([
            "cms",
            "-encrypt",
            "-binary",
            "-in",
            s(&plain),
            "-out",
            s(&sealed),
        ]);
        if options.contains(&"-keyopt") {
            // -keyopt applies to the -recip before it.
            command.args(["-recip", s(&cert)]).args(options);
        } else {
            command.args(options).arg(&cert);
        }
        let made = command.output().unwrap();
        assert!(made.status.success(), "{name}: {}", stderr(&made));
        let out = bench.path(&format!("{name}.out"));
        let ran = bench
            .run(
                "Taro Yamada",
                &["data", "open", s(&sealed), "--out", s(&out)],
            )
            .await;
        expect(&ran, 0);
        assert_eq!(std::fs::read(&out).unwrap(), CONTENT, "{name}");
    }
}
