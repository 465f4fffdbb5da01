//! A process version: the admin's editor while it is a draft (name and goal, ordered steps,
//! publish), a read-only view once published, and a preview of how a run of it starts.

use crate::model::states::{StepKind, StepStatus};
use super::{KindBadge, StepState};
use crate::api::processes::{
    AddProcessStep, DiscardProcessDraft, MoveProcessStep, PublishProcess, RemoveProcessStep,
    SaveProcessDraft, UpdateProcessStep, get_version,
};
use crate::components::form::{
    Field, FormError, SelectField, TextAreaField, action_error, field_error, kept_value,
};
use crate::error::AppError;
use crate::model::crm::{Choice, choices_of};
use crate::model::process::{
    ASSIGNEE_RULES, DUE_FROM, DUE_UNITS, StepDef, StepForm, VersionDetail, open_steps,
};
use crate::components::loaded::Loaded;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

fn role_choices() -> Vec<Choice> {
    choices_of(&[
        ("member", "Anyone in the customer's team"),
        ("manager", "A manager of the customer's team"),
        ("admin", "An admin"),
    ])
}

/// The step form, for a new step or for `editing` one; `error` is the last save's.
#[component]
fn StepFields(
    initial: StepForm,
    error: Signal<Option<AppError>>,
    field_choices: Vec<Choice>,
    user_choices: Vec<Choice>,
) -> impl IntoView {
    let value = move |field: &'static str, init: &str| kept_value(error, field, init.to_string());
    // After a rejected post, boxes come back as typed; otherwise as stored.
    let rejected = move || error.with(|e| e.as_ref().is_some_and(|e| e.value("title").is_some()));
    let ticked = move |field: &'static str, stored: bool| {
        move || {
            if rejected() {
                error.with(|e| e.as_ref().and_then(|e| e.value(field)).is_some_and(|v| StepForm::ticked(&v)))
            } else {
                stored
            }
        }
    };
    let working = ticked("working_days", StepForm::ticked(&initial.working_days));
    let optional = ticked("optional", StepForm::ticked(&initial.optional));
    let mut users = vec![Choice { value: String::new(), label: "Choose a person…".into() }];
    users.extend(user_choices);
    let fields_error = field_error(error, "fields");
    view! {
        <FormError error=error/>
        <div class="form-grid">
            <Field label="Title" name="step[title]" required=true maxlength=200
                value=value("title", &initial.title) error=field_error(error, "title")/>
            <SelectField label="Kind" name="step[kind]" choices=StepKind::choices()
                hint="Task: done by its assignee. Data: fills customer fields. Approval: approve or reject. Stop: nothing after it until done."
                value=value("kind", &initial.kind) error=field_error(error, "kind")/>
        </div>
        <TextAreaField label="Guidance" name="step[guidance]" maxlength=5000 rows=3
            hint="How to do this step well: what to check, what to say, where to look."
            value=value("guidance", &initial.guidance) error=field_error(error, "guidance")/>
        <TextAreaField label="Tip from the best performers" name="step[tip]" maxlength=2000 rows=2
            value=value("tip", &initial.tip) error=field_error(error, "tip")/>
        <fieldset class="custom-fields">
            <legend>"Who does it"</legend>
            <div class="form-grid">
                <SelectField label="Assignee" name="step[assignee_rule]" choices=choices_of(&ASSIGNEE_RULES)
                    hint="Approvals go to a role or a named person."
                    value=value("assignee_rule", &initial.assignee_rule) error=field_error(error, "assignee_rule")/>
                <SelectField label="Role (for a role)" name="step[assignee_role]" choices=role_choices()
                    value=value("assignee_role", &initial.assignee_role) error=field_error(error, "assignee_role")/>
                <SelectField label="Person (for a named person)" name="step[assignee_user_id]" choices=users
                    value=value("assignee_user_id", &initial.assignee_user_id) error=field_error(error, "assignee_user_id")/>
            </div>
        </fieldset>
        <fieldset class="custom-fields">
            <legend>"When it is due"</legend>
            <div class="form-grid">
                <Field label="Due in" name="step[due_amount]" kind="number"
                    hint="Empty: no due time."
                    value=value("due_amount", &initial.due_amount) error=field_error(error, "due_amount")/>
                <SelectField label="Unit" name="step[due_unit]" choices=choices_of(&DUE_UNITS)
                    value=value("due_unit", &initial.due_unit) error=field_error(error, "due_unit")/>
                <SelectField label="Counted from" name="step[due_from]" choices=choices_of(&DUE_FROM)
                    value=value("due_from", &initial.due_from) error=field_error(error, "due_from")/>
            </div>
            <label class="check"><input type="checkbox" name="step[working_days]" value="on" checked=working/>" Count working days only (Monday to Friday)"</label>
        </fieldset>
        <label class="check"><input type="checkbox" name="step[optional]" value="on" checked=optional/>" Optional: may be skipped with a reason"</label>
        {move || field_error(error, "optional").get().map(|m| view! { <p class="field-error">{m}</p> })}
        <fieldset class="custom-fields" class:has-error=move || fields_error.with(Option::is_some)>
            <legend>"Fields a data step fills in"</legend>
            <p class="muted">"Only for data steps: each ticked field must be filled and valid to complete the step, and is saved to the customer."</p>
            <div class="check-grid">
                {field_choices.into_iter().map(|c| {
                    let name = format!("step[fields][{}]", c.value);
                    let key = format!("field_{}", c.value);
                    let stored = initial.fields.get(&c.value).is_some_and(|v| StepForm::ticked(v));
                    let checked = move || {
                        if rejected() {
                            error.with(|e| e.as_ref().and_then(|e| e.value(&key)).is_some())
                        } else {
                            stored
                        }
                    };
                    view! { <label class="check"><input type="checkbox" name=name value="on" checked=checked/>" " {c.label}</label> }
                }).collect_view()}
            </div>
            {move || fields_error.get().map(|m| view! { <p class="field-error">{m}</p> })}
        </fieldset>
    }
}

#[derive(Clone, Copy)]
struct StepActions {
    move_step: ServerAction<MoveProcessStep>,
    remove: ServerAction<RemoveProcessStep>,
}

#[component]
fn StepCard(s: StepDef, number: usize, last: bool, editable: bool, version_id: i32, actions: StepActions) -> impl IntoView {
    let edit = format!("/processes/versions/{version_id}?edit={}#step-form", s.id);
    let id = s.id.to_string();
    let (id1, id2, id3) = (id.clone(), id.clone(), id);
    let title_id = format!("step-title-{}", s.id);
    let labelled = title_id.clone();
    let up_label = format!("Move “{}” up", s.title);
    let down_label = format!("Move “{}” down", s.title);
    let remove_label = format!("Remove “{}”", s.title);
    view! {
        <li class="step-card" aria-labelledby=labelled>
            <div class="step-head">
                <span class="step-number">{number}</span>
                <h3 id=title_id>{s.title.clone()}</h3>
                <KindBadge kind=s.kind.clone()/>
                {s.optional.then(|| view! { <span class="status status-off">"Optional"</span> })}
            </div>
            <p class="muted">{s.assignee_label.clone()}" · " {s.due_label.clone()}</p>
            {(!s.field_labels.is_empty()).then(|| view! { <p>"Fills in: " {s.field_labels.join(", ")}</p> })}
            {(!s.guidance.is_empty()).then(|| view! { <p class="guidance">{s.guidance.clone()}</p> })}
            {(!s.tip.is_empty()).then(|| view! { <p class="tip"><strong>"Tip: "</strong>{s.tip.clone()}</p> })}
            {editable.then(|| view! {
                <div class="form-actions">
                    <a class="button button-small" href=edit>"Edit"</a>
                    {(number > 1).then(|| view! {
                        <ActionForm action=actions.move_step attr:class="inline-form">
                            <input type="hidden" name="step_id" value=id1/>
                            <input type="hidden" name="by" value="-1"/>
                            <button type="submit" class="button button-small button-quiet" aria-label=up_label>"↑ Up"</button>
                        </ActionForm>
                    })}
                    {(!last).then(|| view! {
                        <ActionForm action=actions.move_step attr:class="inline-form">
                            <input type="hidden" name="step_id" value=id2/>
                            <input type="hidden" name="by" value="1"/>
                            <button type="submit" class="button button-small button-quiet" aria-label=down_label>"↓ Down"</button>
                        </ActionForm>
                    })}
                    <ActionForm action=actions.remove attr:class="inline-form">
                        <input type="hidden" name="step_id" value=id3/>
                        <button type="submit" class="button button-small button-danger" aria-label=remove_label>"Remove"</button>
                    </ActionForm>
                </div>
            })}
        </li>
    }
}

/// How a run of this version looks when it starts: which steps are open, who does them, when
/// they are due, and what a data step asks for.
#[component]
fn Preview(v: VersionDetail) -> impl IntoView {
    let flags: Vec<(&str, bool, bool)> = v.steps.iter().map(|s| (s.kind.as_str(), s.optional, false)).collect();
    let open = open_steps(&flags);
    let steps: Vec<(StepDef, bool)> = v.steps.clone().into_iter().zip(open).collect();
    view! {
        <section class="panel" aria-labelledby="preview-title">
            <h2 id="preview-title">"Preview: a run as it starts"</h2>
            <p class="muted">"Nothing is saved from here. Steps marked “To do” are open at the start; the others wait."</p>
            <ol class="run-steps">
                {steps.into_iter().map(|(s, is_open)| {
                    let state = if is_open { StepStatus::Available } else { StepStatus::Waiting };
                    view! {
                        <li class="run-step" class:open=is_open>
                            <div class="step-head">
                                <h3>{s.title.clone()}</h3>
                                <KindBadge kind=s.kind/>
                                <StepState status=state/>
                                {s.optional.then(|| view! { <span class="status status-off">"Optional"</span> })}
                            </div>
                            <p class="muted">{s.assignee_label.clone()}" · " {s.due_label.clone()}</p>
                            {(!s.guidance.is_empty()).then(|| view! { <p class="guidance">{s.guidance.clone()}</p> })}
                            {(!s.tip.is_empty()).then(|| view! { <p class="tip"><strong>"Tip: "</strong>{s.tip.clone()}</p> })}
                            {(!s.field_labels.is_empty()).then(|| view! {
                                <div class="form-grid">
                                    {s.field_labels.iter().map(|l| view! {
                                        <div class="field"><label>{l.clone()}<input disabled=true/></label></div>
                                    }).collect_view()}
                                </div>
                            })}
                        </li>
                    }
                }).collect_view()}
            </ol>
        </section>
    }
}

/// Once a step is added (with JavaScript: the page stays, and so would what was typed), the
/// form is empty again and focus is back on Title, so the next step inherits nothing from the
/// last. Without JavaScript the post ends in a fresh page, which is empty anyway.
fn clear_after_adding(add: ServerAction<AddProcessStep>, form: NodeRef<leptos::html::Form>) {
    use leptos::wasm_bindgen::JsCast;
    Effect::new(move |_| {
        if !add.value().with(|v| matches!(v, Some(Ok(_)))) {
            return;
        }
        let Some(form) = form.get_untracked() else { return };
        form.reset();
        if let Ok(Some(title)) = form.query_selector("[name='step[title]']")
            && let Ok(title) = title.dyn_into::<leptos::web_sys::HtmlElement>()
        {
            let _ = title.focus();
        }
    });
}

#[component]
pub fn VersionPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").and_then(|v| v.parse::<i32>().ok())));
    let editing = Memo::new(move |_| query.with(|q| q.get("edit").and_then(|v| v.parse::<i32>().ok())));
    let preview = Memo::new(move |_| query.with(|q| q.get("preview").is_some()));
    let save = ServerAction::<SaveProcessDraft>::new();
    let add = ServerAction::<AddProcessStep>::new();
    let update = ServerAction::<UpdateProcessStep>::new();
    let publish = ServerAction::<PublishProcess>::new();
    let discard = ServerAction::<DiscardProcessDraft>::new();
    let actions = StepActions {
        move_step: ServerAction::<MoveProcessStep>::new(),
        remove: ServerAction::<RemoveProcessStep>::new(),
    };
    let data = Resource::new(
        move || {
            (
                id.get(),
                save.version().get(),
                add.version().get(),
                update.version().get(),
                publish.version().get(),
                actions.move_step.version().get(),
                actions.remove.version().get(),
            )
        },
        |(id, ..)| async move {
            match id {
                Some(id) => get_version(id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    let save_error = action_error(save);
    let add_form = NodeRef::<leptos::html::Form>::new();
    clear_after_adding(add, add_form);
    view! {
        <Loaded data render=move |v| {
            let back = format!("/processes/{}", v.template_id);
            let here = format!("/processes/versions/{}", v.id);
            let preview_href = format!("{here}?preview=1");
            let heading = format!("{} — version {}", v.name, v.number);
            let editing_step = editing.get_untracked().and_then(|e| v.steps.iter().find(|s| s.id == e).cloned());
            let count = v.steps.len();
            let vid = v.id;
            view! {
                <Title text=heading.clone()/>
                <header class="page-header with-actions">
                    <div>
                        <p class="breadcrumb"><a href="/processes">"Processes"</a>" / "<a href=back.clone()>{v.name.clone()}</a></p>
                        <h1>{heading}</h1>
                        <super::VersionState status=v.status/>
                    </div>
                    <div class="header-actions">
                        {if preview.get_untracked() {
                            view! { <a class="button" href=here.clone()>"Back to the steps"</a> }.into_any()
                        } else {
                            view! { <a class="button" href=preview_href>"Preview as a run"</a> }.into_any()
                        }}
                        {v.editable.then(|| view! {
                            <ActionForm action=discard attr:class="inline-form">
                                <input type="hidden" name="version_id" value=vid.to_string()/>
                                <button type="submit" class="button button-quiet">"Discard draft"</button>
                            </ActionForm>
                        })}
                    </div>
                </header>
                <FormError error=action_error(discard)/>
                {if preview.get_untracked() {
                    view! { <Preview v=v.clone()/> }.into_any()
                } else {
                    view! {
                        {if v.editable {
                            view! {
                                <ActionForm action=save attr:class="panel stack-form">
                                    <input type="hidden" name="version_id" value=vid.to_string()/>
                                    <FormError error=save_error/>
                                    <Field label="Name" name="name" required=true maxlength=200
                                        value=kept_value(save_error, "name", v.name.clone()) error=field_error(save_error, "name")/>
                                    <TextAreaField label="Goal" name="goal" required=true maxlength=2000 rows=2
                                        hint="Why this process exists. Everyone who runs it reads this first."
                                        value=kept_value(save_error, "goal", v.goal.clone()) error=field_error(save_error, "goal")/>
                                    <button type="submit" class="button">"Save name and goal"</button>
                                </ActionForm>
                            }.into_any()
                        } else {
                            view! {
                                <div class="goal" role="note">
                                    <span class="goal-label">"Why this process exists"</span>
                                    <p>{v.goal.clone()}</p>
                                </div>
                            }.into_any()
                        }}
                        <section class="panel" aria-labelledby="steps-title">
                            <h2 id="steps-title">{format!("Steps ({count})")}</h2>
                            <FormError error=action_error(actions.move_step)/>
                            <FormError error=action_error(actions.remove)/>
                            {if v.steps.is_empty() {
                                view! { <p class="empty">"No steps yet. Add the first one below."</p> }.into_any()
                            } else {
                                view! {
                                    <ol class="step-list">
                                        {v.steps.iter().cloned().enumerate().map(|(i, s)| view! {
                                            <StepCard s=s number=i + 1 last=i + 1 == count editable=v.editable version_id=vid actions=actions/>
                                        }).collect_view()}
                                    </ol>
                                }.into_any()
                            }}
                        </section>
                        {v.editable.then(|| {
                            let field_choices = v.field_choices.clone();
                            let user_choices = v.user_choices.clone();
                            match editing_step.clone() {
                                Some(s) => {
                                    let error = action_error(update);
                                    let title = format!("Edit step: {}", s.title);
                                    view! {
                                        <section class="panel" id="step-form" aria-labelledby="step-form-title">
                                            <h2 id="step-form-title">{title}</h2>
                                            <ActionForm action=update attr:class="stack-form">
                                                <input type="hidden" name="version_id" value=vid.to_string()/>
                                                <input type="hidden" name="step_id" value=s.id.to_string()/>
                                                <StepFields initial=s.form.clone() error=error field_choices=field_choices user_choices=user_choices/>
                                                <div class="form-actions">
                                                    <button type="submit" class="button button-primary">"Save step"</button>
                                                    <a class="button button-quiet" href=here.clone()>"Cancel"</a>
                                                </div>
                                            </ActionForm>
                                        </section>
                                    }.into_any()
                                }
                                None => {
                                    let error = action_error(add);
                                    let initial = StepForm {
                                        kind: "task".into(),
                                        assignee_rule: "owner".into(),
                                        assignee_role: "manager".into(),
                                        due_unit: "days".into(),
                                        due_from: "start".into(),
                                        ..Default::default()
                                    };
                                    view! {
                                        <section class="panel" id="step-form" aria-labelledby="step-form-title">
                                            <h2 id="step-form-title">"Add a step"</h2>
                                            <ActionForm action=add node_ref=add_form attr:class="stack-form">
                                                <input type="hidden" name="version_id" value=vid.to_string()/>
                                                <StepFields initial=initial error=error field_choices=field_choices user_choices=user_choices/>
                                                <button type="submit" class="button button-primary">"Add step"</button>
                                            </ActionForm>
                                        </section>
                                    }.into_any()
                                }
                            }
                        })}
                        {v.editable.then(|| view! {
                            <section class="panel" aria-labelledby="publish-title">
                                <h2 id="publish-title">"Publish"</h2>
                                {if v.problems.is_empty() {
                                    view! { <p>"Publishing freezes this version: new runs start on it, runs already going stay on theirs."</p> }.into_any()
                                } else {
                                    view! {
                                        <ul class="problems">
                                            {v.problems.iter().map(|p| view! { <li>{p.clone()}</li> }).collect_view()}
                                        </ul>
                                    }.into_any()
                                }}
                                <FormError error=action_error(publish)/>
                                <ActionForm action=publish attr:class="inline-form">
                                    <input type="hidden" name="version_id" value=vid.to_string()/>
                                    <button type="submit" class="button button-primary" disabled=!v.problems.is_empty()>"Publish version " {v.number}</button>
                                </ActionForm>
                            </section>
                        })}
                    }.into_any()
                }}
            }.into_any()
        }/>
    }
}
