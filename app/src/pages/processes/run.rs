//! A run of a process on a customer: the goal, every step with its guidance, tip, state,
//! assignee and due time, the actions the viewer may take, and who did what when.

use super::{KindBadge, Progress, RunState, StepState};
use crate::api::processes::{CancelRun, CompleteStep, DecideStep, FinishRun, SkipStep, get_run};
use crate::components::form::{FormError, action_error, error_about};
use crate::error::AppError;
use crate::model::process::{DataInput, RunView, StepRunView};
use crate::model::states::StepStatus;
use crate::components::loaded::Loaded;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

#[derive(Clone, Copy)]
struct StepActions {
    complete: ServerAction<CompleteStep>,
    skip: ServerAction<SkipStep>,
    decide: ServerAction<DecideStep>,
}

/// One input of a data step, named `data[key]`, with its message under it.
#[component]
fn DataField(d: DataInput, step_id: i32, error: Signal<Option<AppError>>) -> impl IntoView {
    let key = d.input.key.clone();
    let id = format!("data-{step_id}-{key}");
    let name = format!("data[{key}]");
    let error_key = format!("data_{key}");
    let error_key2 = error_key.clone();
    let message = Signal::derive(move || error.with(|e| e.as_ref().and_then(|e| e.field_error(&error_key))));
    let stored = d.value.clone();
    let value = Signal::derive(move || {
        error
            .with(|e| e.as_ref().and_then(|e| e.value(&error_key2)))
            .unwrap_or_else(|| stored.clone())
    });
    let error_id = format!("{id}-error");
    let described = error_id.clone();
    let input_type = match d.input.field_type.as_str() {
        "number" => "number",
        "date" => "date",
        "email" => "email",
        "tel" => "tel",
        _ => "text",
    };
    let control = if d.input.field_type == "choice" {
        let options = d.input.options.clone();
        view! {
            <select id=id.clone() name=name required=true aria-describedby=described
                aria-invalid=move || if message.with(Option::is_some) { "true" } else { "false" }>
                <option value="">"Choose…"</option>
                {options.into_iter().map(|o| {
                    let (o2, o3) = (o.clone(), o.clone());
                    view! { <option value=o3 selected=move || value.with(|v| *v == o2)>{o}</option> }
                }).collect_view()}
            </select>
        }
        .into_any()
    } else {
        view! {
            <input id=id.clone() name=name type=input_type required=true step=(input_type == "number").then_some("any")
                min=d.input.min_value.map(|v| v.to_string()) max=d.input.max_value.map(|v| v.to_string())
                value=move || value.get() aria-describedby=described
                aria-invalid=move || if message.with(Option::is_some) { "true" } else { "false" }/>
        }
        .into_any()
    };
    view! {
        <div class="field" class:has-error=move || message.with(Option::is_some)>
            <label for=id>{d.input.label.clone()}</label>
            {(!d.input.hint.is_empty()).then(|| view! { <p class="field-hint">{d.input.hint.clone()}</p> })}
            {control}
            {move || message.get().map(|m| view! { <p class="field-error" id=error_id.clone()>{m}</p> })}
        </div>
    }
}

/// A reason box (skip, reject) with its message, named `reason`.
#[component]
fn ReasonField(step_id: i32, purpose: &'static str, label: &'static str, error: Signal<Option<AppError>>) -> impl IntoView {
    let id = format!("{purpose}-reason-{step_id}");
    let message = Signal::derive(move || error.with(|e| e.as_ref().and_then(|e| e.field_error("reason"))));
    let value = Signal::derive(move || error.with(|e| e.as_ref().and_then(|e| e.value("reason")).unwrap_or_default()));
    view! {
        <div class="field" class:has-error=move || message.with(Option::is_some)>
            <label for=id.clone()>{label}</label>
            <input id=id name="reason" maxlength="2000" value=move || value.get()
                aria-invalid=move || if message.with(Option::is_some) { "true" } else { "false" }/>
            {move || message.get().map(|m| view! { <p class="field-error">{m}</p> })}
        </div>
    }
}

#[component]
fn RunStep(s: StepRunView, run_id: i32, actions: StepActions) -> impl IntoView {
    let complete_error = error_about(action_error(actions.complete), "step_id", s.id);
    let skip_error = error_about(action_error(actions.skip), "step_id", s.id);
    let decide_error = error_about(action_error(actions.decide), "step_id", s.id);
    let run = run_id.to_string();
    let step = s.id.to_string();
    let title_id = format!("run-step-{}", s.id);
    let labelled = title_id.clone();
    let is_open = s.status == StepStatus::Available;
    let complete_label = match s.kind.as_str() {
        "data" => "Save and complete",
        _ => "Mark done",
    };
    view! {
        <li class="run-step" class:open=is_open class:overdue=s.overdue aria-labelledby=labelled>
            <div class="step-head">
                <span class="step-number">{s.position + 1}</span>
                <h3 id=title_id>{s.title.clone()}</h3>
                <KindBadge kind=s.kind.clone()/>
                <StepState status=s.status.clone()/>
                {s.overdue.then(|| view! { <span class="status status-bad">"Overdue"</span> })}
                {s.optional.then(|| view! { <span class="status status-off">"Optional"</span> })}
                {(s.reopened_count > 0).then(|| view! { <span class="muted">{format!("Reopened {}×", s.reopened_count)}</span> })}
            </div>
            <p class="muted">
                {s.assignee.clone()}
                {s.due.clone().map(|d| format!(" · due {d}"))}
                {s.available_since.clone().map(|d| format!(" · open since {d}"))}
            </p>
            {s.outcome.clone().map(|o| view! { <p class="outcome">{o}</p> })}
            {(!s.saved.is_empty()).then(|| view! {
                <dl class="saved">
                    {s.saved.clone().into_iter().map(|(label, value)| view! { <dt>{label}</dt><dd>{value}</dd> }).collect_view()}
                </dl>
            })}
            {s.decision_reason.clone().map(|r| view! { <p class="reason">"Reason: " {r}</p> })}
            {s.skip_reason.clone().map(|r| view! { <p class="reason">"Why skipped: " {r}</p> })}
            {(!s.guidance.is_empty()).then(|| view! { <p class="guidance">{s.guidance.clone()}</p> })}
            {(!s.tip.is_empty()).then(|| view! { <p class="tip"><strong>"Tip from the best performers: "</strong>{s.tip.clone()}</p> })}
            {s.why_not.clone().map(|w| view! { <p class="why-not">{w}</p> })}
            {s.can_complete.then(|| {
                let (run, step) = (run.clone(), step.clone());
                let inputs = s.inputs.clone();
                let step_id = s.id;
                view! {
                    <ActionForm action=actions.complete attr:class="stack-form step-form">
                        <input type="hidden" name="run_id" value=run.clone()/>
                        <input type="hidden" name="step_id" value=step.clone()/>
                        <FormError error=complete_error/>
                        {(!inputs.is_empty()).then(|| view! {
                            <div class="form-grid">
                                {inputs.into_iter().map(|d| view! { <DataField d=d step_id=step_id error=complete_error/> }).collect_view()}
                            </div>
                        })}
                        <button type="submit" class="button button-primary">{complete_label}</button>
                    </ActionForm>
                }
            })}
            {s.can_skip.then(|| { let (run, step) = (run.clone(), step.clone()); view! {
                <details class="add-more" open=move || skip_error.with(Option::is_some)>
                    <summary>"Skip this step"</summary>
                    <ActionForm action=actions.skip attr:class="stack-form">
                        <input type="hidden" name="run_id" value=run.clone()/>
                        <input type="hidden" name="step_id" value=step.clone()/>
                        <FormError error=skip_error/>
                        <ReasonField step_id=s.id purpose="skip" label="Why is it skipped?" error=skip_error/>
                        <button type="submit" class="button">"Skip"</button>
                    </ActionForm>
                </details>
            }})}
            {s.can_decide.then(|| { let (run2, step2) = (run.clone(), step.clone()); view! {
                <div class="decision">
                    <FormError error=decide_error/>
                    <ActionForm action=actions.decide attr:class="inline-form">
                        <input type="hidden" name="run_id" value=run.clone()/>
                        <input type="hidden" name="step_id" value=step.clone()/>
                        <input type="hidden" name="decision" value="approve"/>
                        <button type="submit" class="button button-primary">"Approve"</button>
                    </ActionForm>
                    <ActionForm action=actions.decide attr:class="stack-form reject-form">
                        <input type="hidden" name="run_id" value=run2/>
                        <input type="hidden" name="step_id" value=step2/>
                        <input type="hidden" name="decision" value="reject"/>
                        <ReasonField step_id=s.id purpose="reject" label="Reason for rejecting (reopens the step before it)" error=decide_error/>
                        <button type="submit" class="button button-danger">"Reject"</button>
                    </ActionForm>
                </div>
            }})}
        </li>
    }
}

#[component]
fn CancelForm(r: RunView, cancel: ServerAction<CancelRun>) -> impl IntoView {
    let error = action_error(cancel);
    let message = Signal::derive(move || error.with(|e| e.as_ref().and_then(|e| e.field_error("cancel_reason"))));
    let value = Signal::derive(move || error.with(|e| e.as_ref().and_then(|e| e.value("cancel_reason")).unwrap_or_default()));
    view! {
        <details class="panel add-more" open=move || error.with(Option::is_some)>
            <summary>"Cancel this run"</summary>
            <ActionForm action=cancel attr:class="stack-form">
                <input type="hidden" name="run_id" value=r.id.to_string()/>
                <FormError error=error/>
                <div class="field" class:has-error=move || message.with(Option::is_some)>
                    <label for="cancel-reason">"Why is it cancelled?"</label>
                    <input id="cancel-reason" name="reason" maxlength="2000" value=move || value.get()
                        aria-invalid=move || if message.with(Option::is_some) { "true" } else { "false" }/>
                    {move || message.get().map(|m| view! { <p class="field-error">{m}</p> })}
                </div>
                <button type="submit" class="button button-danger">"Cancel run"</button>
            </ActionForm>
        </details>
    }
}

/// Once every required step is done, the optional steps still open keep the run open: they
/// can be done or skipped, or the run finished without them.
#[component]
fn OptionalLeft(r: RunView, finish: ServerAction<FinishRun>) -> impl IntoView {
    let n = r.optional_left;
    let text = if n == 1 {
        "Every required step is done. 1 optional step is still open: do it or skip it, and the run completes.".to_string()
    } else {
        format!("Every required step is done. {n} optional steps are still open: do or skip each, and the run completes.")
    };
    view! {
        <section class="panel notice" aria-labelledby="finish-title">
            <h2 id="finish-title">"Nearly done"</h2>
            <p>{text}</p>
            <FormError error=action_error(finish)/>
            {r.can_finish.then(|| view! {
                <ActionForm action=finish attr:class="inline-form">
                    <input type="hidden" name="run_id" value=r.id.to_string()/>
                    <button type="submit" class="button">"Finish the run without them"</button>
                </ActionForm>
            })}
        </section>
    }
}

#[component]
pub fn RunPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").and_then(|v| v.parse::<i32>().ok())));
    let actions = StepActions {
        complete: ServerAction::<CompleteStep>::new(),
        skip: ServerAction::<SkipStep>::new(),
        decide: ServerAction::<DecideStep>::new(),
    };
    let cancel = ServerAction::<CancelRun>::new();
    let finish = ServerAction::<FinishRun>::new();
    let data = Resource::new(
        move || {
            (
                id.get(),
                actions.complete.version().get(),
                actions.skip.version().get(),
                actions.decide.version().get(),
                cancel.version().get(),
                finish.version().get(),
            )
        },
        |(id, ..)| async move {
            match id {
                Some(id) => get_run(id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    view! {
        <Loaded data loading="Loading run…" render=move |r: RunView| {
                        let customer = format!("/customers/{}", r.customer_id);
                        let process = format!("/processes/{}", r.template_id);
                        let title = format!("{} · {}", r.name, r.customer_name);
                        let started = match r.started_how.as_str() {
                            "manual" => format!("Started {} · owner {}", r.started, r.owner),
                            _ => format!("Started automatically {} · owner {}", r.started, r.owner),
                        };
                        view! {
                            <Title text=title/>
                            <header class="page-header">
                                <p class="breadcrumb">
                                    <a href=customer>{r.customer_name.clone()}</a>" / "
                                    <a href=process>{r.name.clone()}</a>
                                </p>
                                <h1>{r.name.clone()}" for " {r.customer_name.clone()}</h1>
                                <p class="lede">
                                    <RunState status=r.status.clone()/>" "
                                    <Progress done=r.done total=r.total/>
                                    <span class="muted block">{started}{format!(" · version {}", r.version)}{r.finished.clone().map(|f| format!(" · ended {f}"))}</span>
                                </p>
                                {r.cancel_reason.clone().map(|c| view! { <p class="reason">"Cancelled: " {c}</p> })}
                            </header>
                            <div class="goal" role="note">
                                <span class="goal-label">"Why this process exists"</span>
                                <p>{r.goal.clone()}</p>
                            </div>
                            <div class="run-grid">
                                <div class="customer-main">
                                    <section class="panel" aria-labelledby="steps-title">
                                        <h2 id="steps-title">"Steps"</h2>
                                        <p class="muted">"The run completes when every step is done or skipped. Optional steps may be skipped with a reason; the run stays open for one until then."</p>
                                        <ol class="run-steps">
                                            {r.steps.clone().into_iter().map(|s| view! { <RunStep s=s run_id=r.id actions=actions/> }).collect_view()}
                                        </ol>
                                    </section>
                                    {(r.optional_left > 0).then(|| view! { <OptionalLeft r=r.clone() finish=finish/> })}
                                    {r.can_cancel.then(|| view! { <CancelForm r=r.clone() cancel=cancel/> })}
                                </div>
                                <div class="customer-side">
                                    <section class="panel" aria-labelledby="history-title">
                                        <h2 id="history-title">"Who did what"</h2>
                                        <ul class="plain-list history">
                                            {r.events.clone().into_iter().map(|e| view! {
                                                <li><span class="muted block">{e.at}</span>{e.text}</li>
                                            }).collect_view()}
                                        </ul>
                                    </section>
                                </div>
                            </div>
                        }
        }/>
    }
}
