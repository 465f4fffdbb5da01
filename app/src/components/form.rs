//! Form fields that show their error next to them and keep what the user typed, whether the
//! page was hydrated or the form was posted without JavaScript.

use crate::error::AppError;
use leptos::prelude::*;
use server_fn::ServerFn;

/// The last error of a server action, if its last call failed.
pub fn action_error<S>(action: ServerAction<S>) -> Signal<Option<AppError>>
where
    S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    Signal::derive(move || {
        action
            .value()
            .with(|v| v.as_ref().and_then(|r| r.as_ref().err().cloned()))
    })
}

/// The message for `field` in `error`.
pub fn field_error(error: Signal<Option<AppError>>, field: &'static str) -> Signal<Option<String>> {
    Signal::derive(move || error.with(|e| e.as_ref().and_then(|e| e.field_error(field))))
}

/// What the user typed into `field`, as carried back by a validation error (no-JS posts), else
/// `initial`.
pub fn kept_value(
    error: Signal<Option<AppError>>,
    field: &'static str,
    initial: String,
) -> Signal<String> {
    Signal::derive(move || {
        error
            .with(|e| e.as_ref().and_then(|e| e.value(field)))
            .unwrap_or_else(|| initial.clone())
    })
}

/// A labelled input with its error message below it, wired for screen readers.
#[component]
pub fn Field(
    label: &'static str,
    name: &'static str,
    #[prop(default = "text")] kind: &'static str,
    #[prop(into, optional)] value: Signal<String>,
    #[prop(into)] error: Signal<Option<String>>,
    #[prop(optional)] required: bool,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(optional)] minlength: Option<u32>,
    #[prop(optional)] maxlength: Option<u32>,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional)] autofocus: bool,
) -> impl IntoView {
    let id = format!("field-{name}");
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let described = {
        let error_id = error_id.clone();
        let hint_id = hint_id.clone();
        move || {
            let mut ids = Vec::new();
            if hint.is_some() {
                ids.push(hint_id.clone());
            }
            if error.with(Option::is_some) {
                ids.push(error_id.clone());
            }
            (!ids.is_empty()).then(|| ids.join(" "))
        }
    };
    view! {
        <div class="field" class:has-error=move || error.with(Option::is_some)>
            <label for=id.clone()>{label}</label>
            {hint.map(|h| view! { <p class="field-hint" id=hint_id.clone()>{h}</p> })}
            <input
                id=id
                name=name
                type=kind
                value=move || value.get()
                required=required
                autocomplete=autocomplete
                minlength=minlength
                maxlength=maxlength
                autofocus=autofocus
                aria-invalid=move || if error.with(Option::is_some) { "true" } else { "false" }
                aria-describedby=described
            />
            {move || error.get().map(|message| view! {
                <p class="field-error" id=error_id.clone()>{message}</p>
            })}
        </div>
    }
}

/// The form-level message of an error that belongs to no single field (a conflict, a
/// throttled sign-in, a server failure), or the summary of a validation error.
#[component]
pub fn FormError(#[prop(into)] error: Signal<Option<AppError>>) -> impl IntoView {
    move || {
        error.get().map(|e| {
            let message = match &e {
                AppError::Validation { message, .. } => message.clone(),
                other => other.to_string(),
            };
            view! { <div class="alert alert-error" role="alert">{message}</div> }
        })
    }
}
