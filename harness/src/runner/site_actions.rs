//! The steps the site performs through its admin API: approve, withdraw, the clock, faults and
//! published documents.

use serde_json::{Value, json};

use super::{
    Run, RunError, text,
    transcript::{Shown, clock_reading},
};
use crate::scenario::Step;

/// What the site answered to an action, in a line.
fn answered(answer: &Value) -> Shown {
    let said = match (answer.get("state"), answer.get("now"), answer.get("effect")) {
        (Some(state), _, _) => {
            format!("site: application {}", state.as_str().unwrap_or_default())
        }
        // The mails that fell due are listed below as this scenario's mails; the site's own count
        // would include other scenarios' on a shared site.
        (None, Some(_), _) => format!("site: clock {}", clock_reading(answer)),
        (None, None, Some(effect)) => format!(
            "site: fault armed on {} ({}) for {} request(s)",
            answer
                .get("endpoint")
                .and_then(Value::as_str)
                .unwrap_or("every endpoint"),
            effect
                .get("kind")
                .and_then(Value::as_str)
                .unwrap_or_default(),
            answer["times"]
        ),
        _ => format!("site: {answer}"),
    };
    Shown::lines(vec![said])
}

impl Run<'_> {
    /// Performs a site action; a client step is not one (the caller sends those elsewhere).
    pub(super) async fn site_action(&mut self, step: &Step) -> Result<Shown, RunError> {
        let id = self.application_id(step);
        let admin = &self.site.admin;
        Ok(match step {
            Step::Approve(_) => answered(&admin.approve(&id).await?),
            Step::Withdraw(_) => answered(
                &admin
                    .post(&format!("/applications/{id}/withdraw"), json!({}))
                    .await?,
            ),
            // Frozen: a scenario's time moves only when a step moves it.
            Step::SetClock(set) => answered(
                &admin
                    .put("/clock", json!({ "now": set.clock, "frozen": true }))
                    .await?,
            ),
            Step::AdvanceClock(advance) => answered(
                &admin
                    .post(
                        "/clock/advance",
                        json!({ "seconds": advance.clock.as_secs() }),
                    )
                    .await?,
            ),
            Step::RealClock(_) => {
                let now = time::OffsetDateTime::now_utc()
                    .format(&time::format_description::well_known::Rfc3339)
                    .map_err(|e| RunError::SetUp(e.to_string()))?;
                let answer = admin
                    .put("/clock", json!({ "now": now, "frozen": false }))
                    .await?;
                Shown::lines(vec![format!("site: clock {}", clock_reading(&answer))])
            }
            Step::Publish(publish) => {
                use base64::Engine as _;
                let document = &publish.publish;
                let answer = admin
                    .post(
                        "/documents",
                        json!({
                            "application": id,
                            "title": document.title,
                            "file_name": document.file_name,
                            "content_type": document.content_type,
                            "content": base64::engine::general_purpose::STANDARD
                                .encode(document.content.as_bytes()),
                        }),
                    )
                    .await?;
                let published = text(&answer, "id");
                self.documents.push(published.clone());
                self.redactor.literal(
                    published.clone(),
                    format!("<document-{}>", self.documents.len()),
                );
                Shown::lines(vec![format!(
                    "site: published {published} for {}: {} ({}, {} bytes)",
                    text(&answer, "subject"),
                    document.title,
                    document.file_name,
                    answer["size"]
                )])
            }
            Step::Fault(fault) => {
                let mut body = serde_json::to_value(&fault.fault)
                    .map_err(|e| RunError::SetUp(e.to_string()))?;
                // `application = "this"` scopes the fault to the step's application, whatever its id.
                if body.get("application").and_then(Value::as_str) == Some("this") {
                    body["application"] = Value::String(id.clone());
                }
                answered(&admin.post("/faults", body).await?)
            }
            Step::Enroll(_)
            | Step::List(_)
            | Step::Confirm(_)
            | Step::CheckSite(_)
            | Step::Install(_)
            | Step::DataList(_)
            | Step::DataFetch(_) => {
                return Err(RunError::SetUp(format!(
                    "{:?} is the client's, not the site's",
                    step.action()
                )));
            }
        })
    }
}
