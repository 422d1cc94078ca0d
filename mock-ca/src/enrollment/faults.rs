//! Faults armed at run time through the admin API: the next N requests to an endpoint (or to any
//! public endpoint), optionally of one application, answer a chosen catalogue error or HTTP
//! status, are delayed, lose their connection, or get a truncated body. A probabilistic fault
//! draws from its own seeded sequence, so a run repeats exactly.
//!
//! Plain Rust: this module decides *whether* and *which* fault a request meets; the HTTP layer
//! (`site::faults`) carries it out.

use serde::{Deserialize, Serialize};

use crate::{
    enrollment::refusal::Refusal,
    world::entropy::{Entropy as _, SeededEntropy},
};

/// A public endpoint of the site, by the name faults and the journal use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Endpoint {
    /// `GET /`
    Top,
    /// `GET /repository`
    Repository,
    /// `GET /repository/root.cer`
    RootCertificate,
    /// `GET /apply/{application}` (step 1)
    StepOne,
    /// `POST /apply/{application}/login`
    Login,
    /// `POST /apply/{application}/issue`
    Issue,
    /// `POST /apply/{application}/csr`
    Csr,
    /// `POST /apply/{application}/complete`
    Complete,
    /// `GET /confirm`
    Confirm,
    /// `GET /documents` [DATA-DECRYPT]
    Documents,
    /// `GET /documents/{document}`
    Document,
}

impl Endpoint {
    /// The endpoint a request path names, and the application in it. `None` for any other path.
    pub fn of(path: &str) -> Option<(Self, Option<&str>)> {
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        Some(match segments.as_slice() {
            [""] => (Self::Top, None),
            ["repository"] => (Self::Repository, None),
            ["repository", "root.cer"] => (Self::RootCertificate, None),
            ["confirm"] => (Self::Confirm, None),
            ["documents"] => (Self::Documents, None),
            ["documents", id] if !id.is_empty() => (Self::Document, None),
            ["apply", id] if !id.is_empty() => (Self::StepOne, Some(*id)),
            ["apply", id, step] if !id.is_empty() => {
                let endpoint = match *step {
                    "login" => Self::Login,
                    "issue" => Self::Issue,
                    "csr" => Self::Csr,
                    "complete" => Self::Complete,
                    _ => return None,
                };
                (endpoint, Some(*id))
            }
            _ => return None,
        })
    }
}

/// What a fault does to the request it meets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum Effect {
    /// Answer this catalogue (or site) error id, as the site would have refused.
    Error {
        /// The id, e.g. `AUTH-FAILED`.
        id: String,
    },
    /// Answer this HTTP status (400-599) with the error format, id `FAULT-INJECTED`.
    Status {
        /// The status.
        status: u16,
    },
    /// Wait this long, then answer normally.
    Delay {
        /// Milliseconds.
        ms: u64,
    },
    /// Close the connection without an answer (HTTP/2: reset the stream).
    Reset,
    /// Answer normally, but close the connection halfway through the body.
    Truncate,
}

impl Effect {
    /// Its name in the journal.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Error { .. } => "error",
            Self::Status { .. } => "status",
            Self::Delay { .. } => "delay",
            Self::Reset => "reset",
            Self::Truncate => "truncate",
        }
    }
}

/// A fault as the admin API arms it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultSpec {
    /// The endpoint; absent: every public endpoint (the admin API is never faulted).
    #[serde(default)]
    pub endpoint: Option<Endpoint>,
    /// Only requests to this application's pages (`/apply/{application}…`).
    #[serde(default)]
    pub application: Option<String>,
    /// What it does.
    pub effect: Effect,
    /// How many requests it hits before it disarms itself (default 1).
    #[serde(default = "one")]
    pub times: u32,
    /// Never disarm (`times` is then ignored).
    #[serde(default)]
    pub forever: bool,
    /// The chance that a matching request is hit (default 1: every one).
    #[serde(default)]
    pub probability: Option<f64>,
    /// The seed of the draws of a probabilistic fault (default 0).
    #[serde(default)]
    pub seed: u64,
}

impl FaultSpec {
    /// A fault with this effect on every public endpoint, hitting once.
    pub fn new(effect: Effect) -> Self {
        Self {
            endpoint: None,
            application: None,
            effect,
            times: 1,
            forever: false,
            probability: None,
            seed: 0,
        }
    }

    /// Only at this endpoint.
    pub fn at(mut self, endpoint: Endpoint) -> Self {
        self.endpoint = Some(endpoint);
        self
    }

    /// Only on this application's pages.
    pub fn for_application(mut self, id: impl Into<String>) -> Self {
        self.application = Some(id.into());
        self
    }

    /// Hitting this many requests before it disarms itself.
    pub fn times(mut self, times: u32) -> Self {
        self.times = times;
        self
    }

    /// Never disarming itself.
    pub fn forever(mut self) -> Self {
        self.forever = true;
        self
    }

    /// Hitting a matching request with this chance, drawn from `seed`.
    pub fn probability(mut self, probability: f64, seed: u64) -> Self {
        self.probability = Some(probability);
        self.seed = seed;
        self
    }
}

fn one() -> u32 {
    1
}

/// Why a fault cannot be armed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FaultError {
    /// The error id is not one the site answers with.
    #[error("unknown error id {0:?}")]
    UnknownId(String),
    /// The status is not an error status.
    #[error("status {0} is not between 400 and 599")]
    BadStatus(u16),
    /// The probability is not in (0, 1].
    #[error("probability {0} is not in (0, 1]")]
    BadProbability(String),
    /// `times` is 0 without `forever`.
    #[error("times must be at least 1 (or set forever)")]
    NoTimes,
}

/// An armed fault.
#[derive(Debug, Clone)]
pub struct Fault {
    /// Its id (`f-1`, …), to disarm it.
    pub id: String,
    /// What was armed.
    pub spec: FaultSpec,
    /// How many requests it has hit.
    pub hits: u32,
    draws: SeededEntropy,
}

/// A fault a request met.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// The fault's id.
    pub fault: String,
    /// What it does.
    pub effect: Effect,
}

/// Every armed fault, in the order armed; the first that matches a request decides.
#[derive(Debug, Default)]
pub struct Faults {
    armed: Vec<Fault>,
    next: u32,
}

impl Faults {
    /// Arms a fault; its id.
    pub fn arm(&mut self, spec: FaultSpec) -> Result<&Fault, FaultError> {
        match &spec.effect {
            Effect::Error { id } if Refusal::from_id(id).is_none() => {
                return Err(FaultError::UnknownId(id.clone()));
            }
            Effect::Status { status } if !(400..=599).contains(status) => {
                return Err(FaultError::BadStatus(*status));
            }
            _ => {}
        }
        if let Some(p) = spec.probability
            && !(p > 0.0 && p <= 1.0)
        {
            return Err(FaultError::BadProbability(p.to_string()));
        }
        if spec.times == 0 && !spec.forever {
            return Err(FaultError::NoTimes);
        }
        self.next += 1;
        let fault = Fault {
            id: format!("f-{}", self.next),
            draws: SeededEntropy::new(spec.seed),
            spec,
            hits: 0,
        };
        self.armed.push(fault);
        // Invariant: a fault was pushed on the line above.
        Ok(self.armed.last().expect("a fault was just armed"))
    }

    /// Disarms one fault; whether it was armed.
    pub fn disarm(&mut self, id: &str) -> bool {
        let before = self.armed.len();
        self.armed.retain(|f| f.id != id);
        self.armed.len() != before
    }

    /// Disarms every fault.
    pub fn clear(&mut self) {
        self.armed.clear();
    }

    /// The armed faults.
    pub fn armed(&self) -> &[Fault] {
        &self.armed
    }

    /// The fault a public request to `path` meets, if any; a fault that has hit its last request
    /// disarms itself.
    pub fn meet(&mut self, path: &str) -> Option<Hit> {
        let (endpoint, application) = match Endpoint::of(path) {
            Some((endpoint, application)) => (Some(endpoint), application),
            None => (None, None),
        };
        let index = self.armed.iter_mut().position(|fault| {
            let spec = &fault.spec;
            let endpoint_matches = spec.endpoint.is_none() || spec.endpoint == endpoint;
            let application_matches = spec
                .application
                .as_deref()
                .is_none_or(|wanted| Some(wanted) == application);
            if !(endpoint_matches && application_matches) {
                return false;
            }
            match spec.probability {
                Some(p) if p < 1.0 => {
                    let mut bytes = [0u8; 8];
                    fault.draws.fill(&mut bytes);
                    // 53 random bits as a fraction in [0, 1).
                    let draw = (u64::from_le_bytes(bytes) >> 11) as f64 / (1u64 << 53) as f64;
                    draw < p
                }
                _ => true,
            }
        })?;
        let fault = &mut self.armed[index];
        fault.hits += 1;
        let hit = Hit {
            fault: fault.id.clone(),
            effect: fault.spec.effect.clone(),
        };
        if !fault.spec.forever && fault.hits >= fault.spec.times {
            self.armed.remove(index);
        }
        Some(hit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(effect: Effect) -> FaultSpec {
        FaultSpec::new(effect)
    }

    #[test]
    fn paths_name_their_endpoint_and_application() {
        assert_eq!(Endpoint::of("/"), Some((Endpoint::Top, None)));
        assert_eq!(
            Endpoint::of("/apply/ap-0001/csr"),
            Some((Endpoint::Csr, Some("ap-0001")))
        );
        assert_eq!(
            Endpoint::of("/apply/ap-0001"),
            Some((Endpoint::StepOne, Some("ap-0001")))
        );
        assert_eq!(Endpoint::of("/apply/ap-0001/other"), None);
        assert_eq!(Endpoint::of("/nowhere"), None);
    }

    #[test]
    fn a_fault_hits_the_next_n_matching_requests_then_disarms_itself() {
        let mut faults = Faults::default();
        faults
            .arm(FaultSpec {
                endpoint: Some(Endpoint::Login),
                times: 2,
                ..spec(Effect::Reset)
            })
            .unwrap();
        assert_eq!(faults.meet("/"), None);
        assert!(faults.meet("/apply/ap-0001/login").is_some());
        assert!(faults.meet("/apply/ap-0002/login").is_some());
        assert_eq!(faults.meet("/apply/ap-0001/login"), None);
        assert!(faults.armed().is_empty());
    }

    #[test]
    fn a_fault_scoped_to_an_application_leaves_the_others_alone() {
        let mut faults = Faults::default();
        faults
            .arm(FaultSpec {
                application: Some("ap-0002".into()),
                forever: true,
                ..spec(Effect::Truncate)
            })
            .unwrap();
        assert_eq!(faults.meet("/apply/ap-0001/login"), None);
        assert_eq!(faults.meet("/confirm"), None);
        for _ in 0..3 {
            assert!(faults.meet("/apply/ap-0002").is_some());
        }
    }

    #[test]
    fn a_probabilistic_fault_repeats_its_choices_for_the_same_seed() {
        let run = |seed| {
            let mut faults = Faults::default();
            faults
                .arm(FaultSpec {
                    forever: true,
                    probability: Some(0.5),
                    seed,
                    ..spec(Effect::Status { status: 503 })
                })
                .unwrap();
            (0..64)
                .map(|_| faults.meet("/").is_some())
                .collect::<Vec<_>>()
        };
        let first = run(7);
        assert_eq!(first, run(7));
        let hits = first.iter().filter(|h| **h).count();
        assert!((16..=48).contains(&hits), "{hits} of 64");
    }

    #[test]
    fn faults_that_cannot_be_carried_out_are_not_armed() {
        let mut faults = Faults::default();
        let unknown = spec(Effect::Error {
            id: "NO-SUCH-ID".into(),
        });
        assert_eq!(
            faults.arm(unknown).unwrap_err(),
            FaultError::UnknownId("NO-SUCH-ID".into())
        );
        assert!(faults.arm(spec(Effect::Status { status: 200 })).is_err());
        let never = FaultSpec {
            probability: Some(0.0),
            ..spec(Effect::Reset)
        };
        assert!(faults.arm(never).is_err());
        let zero = FaultSpec {
            times: 0,
            ..spec(Effect::Reset)
        };
        assert!(faults.arm(zero).is_err());
    }
}
