//! Form fields that show their error next to them and keep what the user typed, whether the
//! page was hydrated or the form was posted without JavaScript.

use crate::error::AppError;
use super::loaded::ErrorAlert;
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

/// The error of an action whose forms repeat per item (one per follow-up, one per step): a
/// validation error only if it came back from item `id`'s form (which sends `key=id`), any
/// other error always.
pub fn error_about(error: Signal<Option<AppError>>, key: &'static str, id: i32) -> Signal<Option<AppError>> {
    Signal::derive(move || {
        error.get().filter(|e| match e {
            AppError::Validation { .. } => e.value(key) == Some(id.to_string()),
            _ => true,
        })
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
    /// The id of a `<datalist>` of suggestions.
    #[prop(optional)]
    list: Option<&'static str>,
) -> impl IntoView {
    let id = format!("field-{name}");
    let described = described_by(&id, hint.is_some(), error);
    let (hint_view, error_view) = field_notes(&id, hint, error);
    view! {
        <div class="field" class:has-error=move || error.with(Option::is_some)>
            <label for=id.clone()>{label}</label>
            {hint_view}
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
                list=list
                aria-invalid=move || if error.with(Option::is_some) { "true" } else { "false" }
                aria-describedby=described
            />
            {error_view}
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
            view! { <ErrorAlert message/> }
        })
    }
}

/// The `aria-describedby` ids of a field: its hint (if any) and its error (while shown).
fn described_by(
    id: &str,
    has_hint: bool,
    error: Signal<Option<String>>,
) -> impl Fn() -> Option<String> + Send + Sync + 'static + use<> {
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    move || {
        let mut ids = Vec::new();
        if has_hint {
            ids.push(hint_id.clone());
        }
        if error.with(Option::is_some) {
            ids.push(error_id.clone());
        }
        (!ids.is_empty()).then(|| ids.join(" "))
    }
}

/// The hint above and the error below a field.
fn field_notes(
    id: &str,
    hint: Option<&'static str>,
    error: Signal<Option<String>>,
) -> (impl IntoView + use<>, impl IntoView + use<>) {
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    (
        hint.map(|h| view! { <p class="field-hint" id=hint_id>{h}</p> }),
        move || {
            error
                .get()
                .map(|message| view! { <p class="field-error" id=error_id.clone()>{message}</p> })
        },
    )
}

/// A labelled select of `choices`, with its error below it.
#[component]
pub fn SelectField(
    label: &'static str,
    name: &'static str,
    choices: Vec<crate::model::crm::Choice>,
    #[prop(into)] value: Signal<String>,
    #[prop(into)] error: Signal<Option<String>>,
    #[prop(optional)] hint: Option<&'static str>,
    /// A first option with an empty value, e.g. "Choose…".
    #[prop(optional)]
    placeholder: Option<&'static str>,
) -> impl IntoView {
    let id = format!("field-{name}");
    let described = described_by(&id, hint.is_some(), error);
    let (hint_view, error_view) = field_notes(&id, hint, error);
    view! {
        <div class="field" class:has-error=move || error.with(Option::is_some)>
            <label for=id.clone()>{label}</label>
            {hint_view}
            <select id=id name=name
                aria-invalid=move || if error.with(Option::is_some) { "true" } else { "false" }
                aria-describedby=described>
                {placeholder.map(|p| view! { <option value="" selected=move || value.with(String::is_empty)>{p}</option> })}
                {choices.into_iter().map(|c| {
                    let v = c.value.clone();
                    view! { <option value=c.value selected=move || value.with(|x| *x == v)>{c.label}</option> }
                }).collect_view()}
            </select>
            {error_view}
        </div>
    }
}

/// A labelled multi-line text field, with its error below it.
#[component]
pub fn TextAreaField(
    label: &'static str,
    name: &'static str,
    #[prop(into)] value: Signal<String>,
    #[prop(into)] error: Signal<Option<String>>,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional)] required: bool,
    #[prop(optional)] maxlength: Option<u32>,
    #[prop(default = 3)] rows: u32,
) -> impl IntoView {
    let id = format!("field-{name}");
    let described = described_by(&id, hint.is_some(), error);
    let (hint_view, error_view) = field_notes(&id, hint, error);
    view! {
        <div class="field" class:has-error=move || error.with(Option::is_some)>
            <label for=id.clone()>{label}</label>
            {hint_view}
            <textarea id=id name=name rows=rows required=required maxlength=maxlength
                aria-invalid=move || if error.with(Option::is_some) { "true" } else { "false" }
                aria-describedby=described
                prop:value=move || value.get()>{move || super::raw_text::raw_text(value.get_untracked())}</textarea>
            {error_view}
        </div>
    }
}
