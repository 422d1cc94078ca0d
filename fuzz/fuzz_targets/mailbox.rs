//! A mail in the Maildir (`cert-client enroll --maildir`): any bytes as a file in `new/`, beside
//! a well-formed password mail, so that a URL mail that parses goes all the way through.
#![no_main]

use std::{path::PathBuf, sync::OnceLock};

use libfuzzer_sys::fuzz_target;

fn maildir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::Builder::new()
            .prefix("fuzz-maildir-")
            .tempdir()
            .expect("a temporary directory")
            .keep();
        std::fs::create_dir_all(dir.join("new")).expect("new/");
        std::fs::write(
            dir.join("new").join("password"),
            "Subject: =?utf-8?B?6Zu75a2Q6Ki85piO5pu444Gu55m66KGM44OR44K544Ov44O844OJ44Gu44GK55+l44KJ44Gb?=\r\n\
             Content-Type: text/plain; charset=utf-8\r\n\r\n認証情報パスワード\r\npw\r\n",
        )
        .expect("the password mail");
        dir
    })
}

fuzz_target!(|data: &[u8]| {
    let dir = maildir();
    if std::fs::write(dir.join("new").join("fuzzed"), data).is_ok() {
        let _ = client::mailbox::read_invitation(dir);
    }
});
