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
}
