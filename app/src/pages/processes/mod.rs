//! Guided processes: the list of processes, a process with its versions, trigger and runs, the
//! version editor with its preview, and the run page where steps are done.

pub mod editor;
pub mod list;
pub mod run;

use crate::model::states::{RunStatus, StepKind, StepStatus, VersionStatus};
use leptos::prelude::*;

/// A step's kind as a small badge.
#[component]
pub fn KindBadge(kind: StepKind) -> impl IntoView {
    let class = format!("kind kind-step-{kind}");
    view! { <span class=class>{kind.label()}</span> }
}

/// A step's state as a status chip.
#[component]
pub fn StepState(status: StepStatus) -> impl IntoView {
    let class = match status {
        StepStatus::Available => "status status-todo",
        StepStatus::Done | StepStatus::Approved => "status status-good",
        StepStatus::Rejected => "status status-bad",
        StepStatus::Waiting | StepStatus::Skipped => "status status-off",
    };
    view! { <span class=class>{status.label()}</span> }
}

/// A run's state as a status chip.
#[component]
pub fn RunState(status: RunStatus) -> impl IntoView {
    let class = match status {
        RunStatus::Active => "status status-todo",
        RunStatus::Completed => "status status-good",
        RunStatus::Cancelled => "status status-off",
    };
    view! { <span class=class>{status.label()}</span> }
}

/// A version's state as a status chip.
#[component]
pub fn VersionState(status: VersionStatus) -> impl IntoView {
    let class = match status {
        VersionStatus::Published => "status status-good",
        VersionStatus::Draft => "status status-todo",
        VersionStatus::Archived => "status status-off",
    };
    view! { <span class=class>{status.label()}</span> }
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
