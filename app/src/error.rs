//! The one error type every server function and service returns, shared with the browser so
//! that field messages arrive typed. Internal causes are logged on the server, never sent.

use serde::{Deserialize, Serialize};
use server_fn::codec::JsonEncoding;
use server_fn::error::{FromServerFnError, ServerFnErrorErr};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// Bad input. `fields` maps a form field name to its message; `values` carries back what the
    /// user typed (never passwords) so a form posted without JavaScript can be refilled.
    #[error("{message}")]
    Validation {
        message: String,
        fields: BTreeMap<String, String>,
        values: BTreeMap<String, String>,
    },
    #[error("not found")]
    NotFound,
    #[error("please sign in first")]
    Unauthorized,
    #[error("you are not allowed to do that")]
    Forbidden,
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    TooManyRequests(String),
    /// A request the server could not read: a malformed or incomplete body, a wrong type.
    /// The message never says more (the parser's own words would describe our internals).
    #[error("the request could not be read: a value is missing or not of the right kind")]
    BadRequest,
    /// A request body over the configured limit.
    #[error("the request is too large")]
    PayloadTooLarge,
    #[error("something went wrong on our side; please try again")]
    Internal,
    /// Transport failures between the browser and the server (network down, bad encoding).
    #[error("the server could not be reached: {0}")]
    Transport(String),
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    /// One field is wrong.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        let mut fields = BTreeMap::new();
        fields.insert(field.to_string(), message.into());
        Self::invalid(fields)
    }

    /// Several fields are wrong.
    pub fn invalid(fields: BTreeMap<String, String>) -> Self {
        AppError::Validation {
            message: "Please correct the highlighted fields.".into(),
            fields,
            values: BTreeMap::new(),
        }
    }

    /// Attaches what the user typed, so that a no-JavaScript form can be refilled (added to any
    /// values already attached).
    pub fn with_values<I, K, V>(self, values: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        match self {
            AppError::Validation {
                message,
                fields,
                values: mut kept,
            } => {
                kept.extend(values.into_iter().map(|(k, v)| (k.into(), v.into())));
                AppError::Validation {
                    message,
                    fields,
                    values: kept,
                }
            }
            other => other,
        }
    }

    /// Names the existing record a duplicate-check error points at, so the form can link it.
    pub fn with_duplicate(self, id: i32, name: &str) -> Self {
        self.with_values([
            ("duplicate_id", id.to_string()),
            ("duplicate_name", name.to_string()),
        ])
    }

    /// The message for one field, if this is a validation error that names it.
    pub fn field_error(&self, field: &str) -> Option<String> {
        match self {
            AppError::Validation { fields, .. } => fields.get(field).cloned(),
            _ => None,
        }
    }

    /// What the user typed into one field, carried back by a validation error.
    pub fn value(&self, field: &str) -> Option<String> {
        match self {
            AppError::Validation { values, .. } => values.get(field).cloned(),
            _ => None,
        }
    }

    /// The HTTP status this error stands for (used by the JSON API and hydrated fetches).
    pub fn status(&self) -> u16 {
        match self {
            AppError::Validation { .. } => 422,
            AppError::NotFound => 404,
            AppError::Unauthorized => 401,
            AppError::Forbidden => 403,
            AppError::Conflict(_) => 409,
            AppError::TooManyRequests(_) => 429,
            AppError::BadRequest => 400,
            AppError::PayloadTooLarge => 413,
            AppError::Internal | AppError::Transport(_) => 500,
        }
    }

    /// A stable machine-readable code for API clients.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Validation { .. } => "validation_failed",
            AppError::NotFound => "not_found",
            AppError::Unauthorized => "unauthorized",
            AppError::Forbidden => "forbidden",
            AppError::Conflict(_) => "conflict",
            AppError::TooManyRequests(_) => "too_many_requests",
            AppError::BadRequest => "bad_request",
            AppError::PayloadTooLarge => "payload_too_large",
            AppError::Internal => "internal",
            AppError::Transport(_) => "transport",
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    /// On the server these are failures to read a call (its arguments) or to answer it; in the
    /// browser, failures to reach the server or to read its answer.
    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        #[cfg(feature = "ssr")]
        {
            match value {
                // (Deserialization: a `__err` in a no-JS redirect URL that is not ours.)
                ServerFnErrorErr::Args(_)
                | ServerFnErrorErr::MissingArg(_)
                | ServerFnErrorErr::Deserialization(_) => AppError::BadRequest,
                other => internal("server function failed outside its body", other),
            }
        }
        #[cfg(not(feature = "ssr"))]
        {
            AppError::Transport(value.to_string())
        }
    }
}

#[cfg(feature = "ssr")]
impl From<sea_orm::DbErr> for AppError {
    fn from(err: sea_orm::DbErr) -> Self {
        tracing::error!(error = %err, "database error");
        AppError::Internal
    }
}

#[cfg(feature = "ssr")]
impl From<sea_orm::TransactionError<AppError>> for AppError {
    fn from(err: sea_orm::TransactionError<AppError>) -> Self {
        match err {
            sea_orm::TransactionError::Connection(db) => db.into(),
            sea_orm::TransactionError::Transaction(app) => app,
        }
    }
}

/// Logs an unexpected failure with its cause and turns it into the opaque `Internal` error.
#[cfg(feature = "ssr")]
pub fn internal(context: &str, cause: impl std::fmt::Display) -> AppError {
    tracing::error!(%cause, "{context}");
    AppError::Internal
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_validation_error_carries_field_messages_and_typed_values() {
        let err = AppError::field("email", "that email is taken").with_values([("email", "a@b.c")]);
        assert_eq!(
            err.field_error("email").as_deref(),
            Some("that email is taken")
        );
        assert_eq!(err.value("email").as_deref(), Some("a@b.c"));
        assert_eq!(err.status(), 422);
        let round_trip: AppError =
            serde_json::from_str(&serde_json::to_string(&err).unwrap()).unwrap();
        assert_eq!(round_trip, err);
    }
}
