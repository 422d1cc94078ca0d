//! The demo's mailbox: the outbox as a mail client shows it (subject, sender, date, the decoded
//! body with its URL clickable), where a browser demo starts. Served only in demo mode
//! (`serve --demo`, loopback only): anywhere else the mails are the applicant's alone.

use std::sync::Arc;

use axum::{
    extract::{Path, State},
    http::StatusCode,
};
use serde_json::{Value, json};

use super::{Answer, Representation, Site, SiteError, reply, rfc3339};
use crate::{
    enrollment::refusal::Refusal,
    web::site::page::Frame,
    world::outbox::{SENDER, SentMail},
};

/// The list shows the newest first, as a mail client does.
fn listed(mail: &SentMail) -> Value {
    json!({
        "id": mail.id,
        "from": format!("{} <{}>", SENDER.0, SENDER.1),
        "to": mail.mail.to,
        "subject": mail.mail.subject,
        "application": mail.mail.application,
        "catalogue": mail.mail.catalogue,
        "sent_at": rfc3339(mail.sent_at),
    })
}

/// GET /mailbox (demo mode).
pub(crate) async fn list(State(site): State<Arc<Site>>, representation: Representation) -> Answer {
    if !site.demo {
        return Err(SiteError::new(representation, Refusal::NotFound));
    }
    let mails: Vec<Value> = site
        .registration()
        .outbox()
        .sent()
        .iter()
        .rev()
        .map(listed)
        .collect();
    let profile = site.profile();
    let name = &profile.sites.issuance;
    let title = profile.title("mailbox", name);
    let json = json!({"title": title, "mails": mails});
    Ok(reply(representation, StatusCode::OK, json, |view| {
        let frame = Frame {
            site_name: name,
            title: &title,
            back: Some(site.pages.back_top()),
        };
        site.pages.render("mailbox.html", &frame, view)
    }))
}

/// GET /mailbox/{mail} (demo mode): one mail, decoded from the message as sent.
pub(crate) async fn show(
    State(site): State<Arc<Site>>,
    representation: Representation,
    Path(id): Path<String>,
) -> Answer {
    let not_found = || SiteError::new(representation, Refusal::NotFound);
    if !site.demo {
        return Err(not_found());
    }
    let sent = site
        .registration()
        .outbox()
        .sent()
        .iter()
        .find(|m| m.id == id)
        .cloned()
        .ok_or_else(not_found)?;
    // Read back as a mail client reads it: the headers and body decoded from the RFC 5322 text.
    let message = mail_parser::MessageParser::default()
        .parse(&sent.raw)
        .ok_or_else(|| SiteError::new(representation, Refusal::Internal))?;
    let from = message
        .from()
        .and_then(|a| a.first())
        .map(|a| match (a.name(), a.address()) {
            (Some(name), Some(address)) => format!("{name} <{address}>"),
            (None, Some(address)) => address.to_owned(),
            (name, None) => name.unwrap_or_default().to_owned(),
        })
        .unwrap_or_default();
    let subject = message.subject().unwrap_or_default().to_owned();
    let body = message
        .body_text(0)
        .map(|b| b.into_owned())
        .unwrap_or_default();
    let lines: Vec<Value> = body
        .lines()
        .map(|line| {
            let trimmed = line.trim();
            let link = trimmed.starts_with("https://") && !trimmed.contains(char::is_whitespace);
            json!({"text": line, "link": link.then_some(trimmed)})
        })
        .collect();
    let json = json!({
        "mail": {
            "id": sent.id,
            "from": from,
            "to": sent.mail.to,
            "subject": subject,
            "sent_at": rfc3339(sent.sent_at),
            "body": body,
        },
        "lines": lines,
    });
    Ok(reply(representation, StatusCode::OK, json, |view| {
        let profile = site.profile();
        let name = &profile.sites.issuance;
        let title = profile.title("mail", name).replace("{subject}", &subject);
        let frame = Frame {
            site_name: name,
            title: &title,
            back: Some(site.pages.back("/mailbox", "back_mailbox")),
        };
        site.pages.render("mail.html", &frame, view)
    }))
}
