//! The browser helpers against pages of their own (data: URLs): no site needed.

use test_support::Browser;

/// A page whose script, when it runs, retitles the page and fills `#out`.
const SCRIPTED: &str = "data:text/html;charset=utf-8,<title>static</title><h1>見出し</h1>\
    <input id=in><p id=out></p>\
    <script>document.title='scripted';document.getElementById('in')\
    .addEventListener('input',e=>document.getElementById('out').textContent=e.target.value)</script>";

#[tokio::test]
async fn a_page_with_scripts_off_runs_none_of_its_scripts_and_can_still_be_read_and_typed_into() {
    let Some(browser) = Browser::launch().await else {
        return;
    };
    let page = browser.page().await;
    page.disable_scripts().await;
    page.open(SCRIPTED).await;
    assert_eq!(page.title().await, "static");
    assert_eq!(page.text("h1").await, "見出し");
    page.type_into("#in", "abc").await;
    assert_eq!(
        page.eval::<String>("document.getElementById('in').value")
            .await,
        "abc"
    );
    assert_eq!(page.text("#out").await, "", "the input listener never ran");
}

#[tokio::test]
async fn a_page_with_scripts_on_runs_them_and_typing_fires_input_events() {
    let Some(browser) = Browser::launch().await else {
        return;
    };
    let page = browser.page().await;
    page.open(SCRIPTED).await;
    assert_eq!(page.title().await, "scripted");
    page.type_into("#in", "パスワード").await;
    page.wait_for_text("パスワード").await;
    assert_eq!(page.text("#out").await, "パスワード");
}

/// A plain HTTP server on port 0 answering every request with one small page; its URL.
async fn one_page_site() -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buffer = [0u8; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buffer).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buffer[..n]),
                    }
                }
                let body = "<!doctype html><p>one page</p>";
                let answer = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(answer.as_bytes()).await;
            });
        }
    });
    url
}

#[tokio::test]
async fn pages_of_one_browser_keep_their_storage_apart() {
    let Some(browser) = Browser::launch().await else {
        return;
    };
    let url = one_page_site().await;
    let first = browser.page().await;
    first.record_requests().await;
    let second = browser.page().await;
    first.open(&url).await;
    second.open(&url).await;
    first
        .eval::<()>("localStorage.setItem('holder', 'first')")
        .await;
    assert_eq!(
        first
            .eval::<Option<String>>("localStorage.getItem('holder')")
            .await
            .as_deref(),
        Some("first")
    );
    assert_eq!(
        second
            .eval::<Option<String>>("localStorage.getItem('holder')")
            .await,
        None,
        "the second page's context sees nothing of the first's"
    );
    let requests = first.exchanges().await;
    assert_eq!(requests[0].method, "GET");
    assert_eq!(requests[0].url, url);
    assert_eq!(requests[0].status, Some(200));
    assert_eq!(requests[0].resource_type, "Document");
}

#[tokio::test]
async fn screenshots_are_numbered_pngs_under_the_tests_name_in_the_target_directory() {
    let Some(browser) = Browser::launch().await else {
        return;
    };
    let page = browser.page().await;
    page.open(SCRIPTED).await;
    let first = page.screenshot("first").await;
    let second = page.screenshot("second").await;
    let dir = first.parent().unwrap();
    assert_eq!(
        dir.file_name().unwrap(),
        "screenshots_are_numbered_pngs_under_the_tests_name_in_the_target_directory"
    );
    assert_eq!(dir.parent().unwrap().file_name().unwrap(), "screenshots");
    // The target directory is the one this test runs from (whatever CARGO_TARGET_DIR is).
    let target = dir.parent().unwrap().parent().unwrap();
    assert!(target.is_absolute(), "{}", target.display());
    assert!(
        std::env::current_exe().unwrap().starts_with(target),
        "{}",
        target.display()
    );
    assert_eq!(first.file_name().unwrap(), "01-first.png");
    assert_eq!(second.file_name().unwrap(), "02-second.png");
    let png = std::fs::read(&first).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    assert_eq!(
        png_size(&png),
        test_support::browser::WINDOW,
        "a page within the window: the window"
    );

    // A page longer than the window is photographed whole, not cut at the window's edge.
    page.open("data:text/html,<body style='margin:0'><div style='height:2600px'>long</div>")
        .await;
    let long = std::fs::read(page.screenshot("long").await).unwrap();
    assert_eq!(png_size(&long), (test_support::browser::WINDOW.0, 2600));
    // The window alone, as a person sees it with a modal dialog over the page: not the rest.
    let window = std::fs::read(page.screenshot_window("window").await).unwrap();
    assert_eq!(png_size(&window), test_support::browser::WINDOW);
}

#[tokio::test]
async fn a_click_is_the_whole_mouse_sequence_and_a_screenshot_shows_the_page_as_it_is_now() {
    let Some(browser) = Browser::launch().await else {
        return;
    };
    let page = browser.page().await;
    page.open(
        "data:text/html;charset=utf-8,<body style='margin:0;background:white'>\
         <button id=b style='margin:300px'>暗くする</button><script>window.seen = [];\
         for (const kind of ['mouseover', 'mousemove', 'mousedown', 'mouseup', 'click'])\
           b.addEventListener(kind, () => seen.push(kind));\
         b.addEventListener('click', () => document.body.style.background = 'black');</script>",
    )
    .await;
    let before = std::fs::read(page.screenshot("before").await).unwrap();
    page.click("#b").await;
    // What a person's click gives the page, in order, although its tab draws no frame for the
    // move (the press takes it along).
    assert_eq!(
        page.eval::<Vec<String>>("seen").await,
        ["mouseover", "mousemove", "mousedown", "mouseup", "click"]
    );
    // The picture is of a frame drawn for it, after the click: not one drawn before.
    let after = std::fs::read(page.screenshot("after").await).unwrap();
    assert_ne!(before, after, "the page went dark after the click");
    assert_eq!(png_size(&after), test_support::browser::WINDOW);
}

/// A PNG's width and height, from its header chunk.
fn png_size(png: &[u8]) -> (u32, u32) {
    let number = |at: usize| u32::from_be_bytes(png[at..at + 4].try_into().unwrap());
    assert_eq!(&png[12..16], b"IHDR");
    (number(16), number(20))
}

#[tokio::test]
async fn a_dropped_browser_leaves_no_process_behind() {
    let pc = tempfile::tempdir().unwrap();
    let Some(browser) = Browser::builder().own_pc(pc.path()).launch().await else {
        return;
    };
    let page = browser
        .page_in_profile("a_dropped_browser_leaves_no_process_behind")
        .await;
    page.open(SCRIPTED).await;
    let marker = pc.path().display().to_string();
    assert!(
        !processes_naming(&marker).is_empty(),
        "the browser runs with its profile"
    );
    drop(page);
    drop(browser);
    // Its helpers may take a moment to see the browser gone.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut left = processes_naming(&marker);
    while !left.is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
        left = processes_naming(&marker);
    }
    assert!(left.is_empty(), "left running: {left:#?}");
}

#[tokio::test]
async fn a_browser_that_dies_fails_what_waits_on_it_at_once_and_closes() {
    let pc = tempfile::tempdir().unwrap();
    let Some(browser) = Browser::builder().own_pc(pc.path()).launch().await else {
        return;
    };
    let page = browser
        .page_in_profile("a_browser_that_dies_fails_what_waits_on_it_at_once_and_closes")
        .await;
    page.open(SCRIPTED).await;
    // Chromium's own process (not a helper's: those have a --type), ended as a crash ends it.
    let marker = pc.path().display().to_string();
    let main: Vec<String> = processes(&marker)
        .into_iter()
        .filter(|(_, line)| !line.contains("--type="))
        .map(|(pid, _)| pid)
        .collect();
    assert_eq!(main.len(), 1, "one browser process: {main:?}");
    let killed = std::process::Command::new("kill")
        .args(["-KILL", &main[0]])
        .status()
        .unwrap();
    assert!(killed.success());
    // A screenshot fails because the connection is gone, not after waiting for an answer.
    let failed = page.try_screenshot("after").await.unwrap_err();
    assert!(!failed.contains("no answer"), "{failed}");
    drop(page);
    browser.close().await;
}

/// The command lines of the running processes that mention `text`.
fn processes_naming(text: &str) -> Vec<String> {
    processes(text).into_iter().map(|(_, line)| line).collect()
}

/// The ids and command lines of the running processes that mention `text`.
fn processes(text: &str) -> Vec<(String, String)> {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .bytes()
                .all(|b| b.is_ascii_digit())
        })
        .filter_map(|e| {
            let raw = std::fs::read(e.path().join("cmdline")).ok()?;
            let line = String::from_utf8_lossy(&raw).replace('\0', " ");
            Some((e.file_name().to_string_lossy().into_owned(), line))
        })
        .filter(|(_, line)| line.contains(text))
        .collect()
}

/// The bytes `/pixel.png` answers: not text, so a HAR carries them in base64.
const PIXEL: &[u8] = &[
    0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff, 0xfe,
];

/// A plain HTTP server on port 0: `/` a login form, `POST /login` a 303 to `/done`, `/done` a
/// page, `/pixel.png` binary bytes; its URL.
async fn form_site() -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buffer = [0u8; 1024];
                let head_end = loop {
                    if let Some(at) = request.windows(4).position(|w| w == b"\r\n\r\n") {
                        break at + 4;
                    }
                    match stream.read(&mut buffer).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buffer[..n]),
                    }
                };
                let head = String::from_utf8_lossy(&request[..head_end]).into_owned();
                let length: usize = head
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().parse().unwrap())
                    })
                    .unwrap_or(0);
                while request.len() < head_end + length {
                    match stream.read(&mut buffer).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buffer[..n]),
                    }
                }
                let line = head.lines().next().unwrap_or_default().to_owned();
                let (status, extra, content_type, body): (&str, &str, &str, Vec<u8>) = if line
                    .starts_with("POST /login")
                {
                    (
                        "303 See Other",
                        "Location: /done\r\n",
                        "text/plain",
                        Vec::new(),
                    )
                } else if line.starts_with("GET /done") {
                    (
                        "200 OK",
                        "",
                        "text/html; charset=utf-8",
                        "<!doctype html><title>done</title><h1>済み</h1>".into(),
                    )
                } else if line.starts_with("GET /pixel.png") {
                    ("200 OK", "", "image/png", PIXEL.to_vec())
                } else {
                    ("200 OK", "", "text/html; charset=utf-8", "<!doctype html><title>login</title><form method=post action=/login><input id=password name=password><button id=go>go</button></form>".into())
                };
                let answer = format!(
                    "HTTP/1.1 {status}\r\n{extra}Content-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(answer.as_bytes()).await;
                let _ = stream.write_all(&body).await;
            });
        }
    });
    url
}

#[tokio::test]
async fn a_har_records_the_form_sent_the_redirect_and_a_binary_body_in_base64() {
    use base64::Engine as _;
    let Some(browser) = Browser::launch().await else {
        return;
    };
    let site = form_site().await;
    let page = browser.page().await;
    let recording = page.record_har().await;
    page.open(&format!("{site}/")).await;
    page.type_into("#password", "s3cret word").await;
    page.follow("#go").await;
    page.wait_for_text("済み").await;
    let fetched: usize = page
        .eval("fetch('/pixel.png').then(r => r.arrayBuffer()).then(b => b.byteLength)")
        .await;
    assert_eq!(fetched, PIXEL.len());
    let har = recording.finish().await;
    let log = &har["log"];
    assert_eq!(log["version"], "1.2");
    let entries = log["entries"].as_array().unwrap();
    let find = |method: &str, path: &str| {
        entries
            .iter()
            .find(|e| {
                e["request"]["method"] == method && e["request"]["url"] == format!("{site}{path}")
            })
            .unwrap_or_else(|| panic!("no {method} {path} in {entries:#?}"))
    };
    let login = find("POST", "/login");
    assert_eq!(login["request"]["postData"]["text"], "password=s3cret+word");
    assert_eq!(
        login["request"]["postData"]["mimeType"],
        "application/x-www-form-urlencoded"
    );
    assert_eq!(login["response"]["status"], 303);
    assert_eq!(login["response"]["redirectURL"], "/done");
    let done = find("GET", "/done");
    assert_eq!(done["response"]["status"], 200);
    assert!(
        done["response"]["content"]["text"]
            .as_str()
            .unwrap()
            .contains("済み")
    );
    assert_eq!(done["_resourceType"], "document");
    let pixel = find("GET", "/pixel.png");
    assert_eq!(pixel["response"]["content"]["encoding"], "base64");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(pixel["response"]["content"]["text"].as_str().unwrap())
        .unwrap();
    assert_eq!(bytes, PIXEL);
    assert_eq!(pixel["response"]["content"]["size"], PIXEL.len());
    // The script's fetch belongs to the page it ran on; each document is a page of the log.
    assert_eq!(pixel["_resourceType"], "fetch");
    assert_eq!(pixel["pageref"], done["pageref"]);
    let pages = log["pages"].as_array().unwrap();
    assert!(
        pages.iter().any(|p| p["id"] == done["pageref"]),
        "{pages:#?}"
    );
    assert!(
        entries
            .iter()
            .all(|e| e["timings"]["wait"].as_f64().unwrap() >= 0.0)
    );
}

#[tokio::test]
async fn a_wait_inside_the_page_answers_when_its_condition_holds_and_else_after_its_slice() {
    use std::time::{Duration, Instant};
    /// The paragraph's text once `done` holds or the wait's slice is over, and how long it took.
    async fn paragraph(page: &test_support::Page<'_>, done: &str) -> (String, Duration) {
        let started = Instant::now();
        let text = page
            .poll_in_page("document.getElementById('p').textContent", done)
            .await
            .unwrap();
        (text, started.elapsed())
    }
    let Some(browser) = Browser::launch().await else {
        return;
    };
    let page = browser.page().await;
    page.open(
        "data:text/html,<p id=p>before</p>\
         <script>setTimeout(()=>document.getElementById('p').textContent='after',300)</script>",
    )
    .await;
    let (text, waited) = paragraph(&page, "value === 'after'").await;
    assert_eq!(text, "after");
    assert!(waited < Duration::from_millis(900), "{waited:?}");

    // A condition that never holds: the last value, once the slice is over.
    let (text, waited) = paragraph(&page, "value === 'never'").await;
    assert_eq!(text, "after");
    assert!(waited >= Duration::from_millis(900), "{waited:?}");

    // With the page's scripts off no timer of the page runs: one look, answered at once.
    let page = browser.page().await;
    page.disable_scripts().await;
    page.open("data:text/html,<p id=p>static</p>").await;
    let (text, waited) = paragraph(&page, "value === 'never'").await;
    assert_eq!(text, "static");
    assert!(waited < Duration::from_secs(5), "{waited:?}");
}
