//! Guided processes: the list of processes, a process with its versions, trigger and runs, the
//! version editor with its preview, and the run page where steps are done.

pub mod editor;
pub mod list;
pub mod run;

use crate::model::crm::label_of;
use crate::model::process::{RUN_STATES, STEP_KINDS, STEP_STATES};
use leptos::prelude::*;

/// A step's kind as a small badge.
#[component]
pub fn KindBadge(kind: String) -> impl IntoView {
    let class = format!("kind kind-step-{kind}");
    view! { <span class=class>{label_of(&STEP_KINDS, &kind)}</span> }
}

/// A step's state as a status chip.
#[component]
pub fn StepState(status: String) -> impl IntoView {
    let class = match status.as_str() {
        "available" => "status status-todo",
        "done" | "approved" => "status status-good",
        "rejected" => "status status-bad",
        _ => "status status-off",
    };
    view! { <span class=class>{label_of(&STEP_STATES, &status)}</span> }
}

/// A run's state as a status chip.
#[component]
pub fn RunState(status: String) -> impl IntoView {
    let class = match status.as_str() {
        "active" => "status status-todo",
        "completed" => "status status-good",
        _ => "status status-off",
    };
    view! { <span class=class>{label_of(&RUN_STATES, &status)}</span> }
}

/// "3 of 5 steps" with a bar (a `<progress>`: the CSP allows no inline styles).
#[component]
pub fn Progress(done: usize, total: usize) -> impl IntoView {
    let label = format!("{done} of {total} steps");
    let aria = label.clone();
    view! {
        <span class="run-progress">
            <progress max=total.max(1).to_string() value=done.to_string() aria-label=aria>{label.clone()}</progress>
            <span class="progress-text">{label}</span>
        </span>
    }
}
