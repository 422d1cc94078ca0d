//! Delivery to a real SMTP server by URL, against a tiny SMTP listener in the test.

use tokio::{
    io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader},
    net::TcpListener,
    sync::mpsc,
};

use crate::support::{self, admin_of, approved};

/// What one SMTP transaction carried.
#[derive(Debug)]
struct Received {
    from: String,
    to: String,
    data: String,
}

/// Accepts connections and speaks just enough SMTP; every message goes to the channel.
async fn listen(listener: TcpListener, received: mpsc::UnboundedSender<Received>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            return;
        };
        let received = received.clone();
        tokio::spawn(async move {
            let (read, mut write) = stream.into_split();
            let mut lines = BufReader::new(read).lines();
            write.write_all(b"220 test ESMTP\r\n").await.unwrap();
            let (mut from, mut to) = (String::new(), String::new());
            while let Ok(Some(line)) = lines.next_line().await {
                let reply: &[u8] = if line.starts_with("EHLO") {
                    b"250-test\r\n250 8BITMIME\r\n"
                } else if let Some(rest) = line.strip_prefix("MAIL FROM:") {
                    from = rest.to_owned();
                    b"250 OK\r\n"
                } else if let Some(rest) = line.strip_prefix("RCPT TO:") {
                    to = rest.to_owned();
                    b"250 OK\r\n"
                } else if line == "DATA" {
                    write.write_all(b"354 go on\r\n").await.unwrap();
                    let mut data = String::new();
                    while let Ok(Some(line)) = lines.next_line().await {
                        if line == "." {
                            break;
                        }
                        let line = line.strip_prefix('.').unwrap_or(&line);
                        data.push_str(line);
                        data.push('\n');
                    }
                    let _ = received.send(Received {
                        from: from.clone(),
                        to: to.clone(),
                        data,
                    });
                    b"250 queued\r\n"
                } else if line == "QUIT" {
                    let _ = write.write_all(b"221 bye\r\n").await;
                    return;
                } else {
                    b"500 what\r\n"
                };
                write.write_all(reply).await.unwrap();
            }
        });
    }
}

#[tokio::test]
async fn every_mail_is_also_delivered_to_the_smtp_server_given_by_url() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (sender, mut received) = mpsc::unbounded_channel();
    tokio::spawn(listen(listener, sender));

    let site = support::site()
        .smtp(format!("smtp://127.0.0.1:{port}"))
        .start()
        .await
        .unwrap();
    let admin = admin_of(&site);
    let id = approved(&admin).await;

    let sent = site.outbox();
    assert_eq!(sent.len(), 2);
    for mail in &sent {
        let got = received.recv().await.expect("a message over SMTP");
        assert_eq!(got.from, "<no-reply@mock-ca.invalid>");
        assert_eq!(got.to, "<taro@example.jp>");
        let raw = String::from_utf8(mail.raw.clone())
            .unwrap()
            .replace("\r\n", "\n");
        assert_eq!(got.data, raw, "{}", mail.mail.catalogue);
        assert!(got.data.contains(&format!("X-Application: {id}")));
    }

    // The outbox says so once the relay has heard the server's last reply.
    loop {
        let outbox = admin.get("/outbox").await.unwrap();
        let states: Vec<&str> = outbox
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["smtp"].as_str().unwrap())
            .collect();
        if states.iter().all(|s| *s == "delivered") {
            break;
        }
        assert!(
            states.iter().all(|s| *s == "queued" || *s == "delivered"),
            "{states:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_mail_the_smtp_server_refuses_is_reported_failed_in_the_outbox() {
    // A server that refuses every recipient.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (read, mut write) = stream.into_split();
            let mut lines = BufReader::new(read).lines();
            write.write_all(b"220 test\r\n").await.unwrap();
            while let Ok(Some(line)) = lines.next_line().await {
                let reply: &[u8] = if line.starts_with("RCPT") {
                    b"550 no such user\r\n"
                } else {
                    b"250 OK\r\n"
                };
                if write.write_all(reply).await.is_err() {
                    break;
                }
            }
        }
    });
    let site = support::site()
        .smtp(format!("smtp://127.0.0.1:{port}"))
        .start()
        .await
        .unwrap();
    let admin = admin_of(&site);
    approved(&admin).await;
    loop {
        let outbox = admin.get("/outbox").await.unwrap();
        let states: Vec<String> = outbox
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["smtp"].as_str().unwrap().to_owned())
            .collect();
        if states.iter().all(|s| s != "queued") {
            for state in states {
                assert!(state.starts_with("failed: RCPT TO:"), "{state}");
                assert!(state.contains("550 no such user"), "{state}");
            }
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}
