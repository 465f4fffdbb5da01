//! The single customer view: profile, contacts, follow-ups, the timeline of interactions and
//! the change history, with the short forms frontline staff use every day.

use crate::api::crm::{
    AddContact, AddFollowUp, CancelFollowUp, CompleteFollowUp, ConfirmValue, LogInteraction,
    RescheduleFollowUp, get_customer,
};
use crate::components::form::{
    Field, FormError, SelectField, TextAreaField, action_error, error_about, field_error,
    kept_value,
};
use crate::error::AppError;
use crate::api::processes::{StartRun, load_customer_runs};
use crate::model::process::CustomerRuns;
use crate::model::crm::{
    Choice, CustomerDetail, FollowUpView, INTERACTION_KINDS, choices_of, label_of,
};
use crate::components::loaded::Loaded;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

#[derive(Clone, Copy)]
struct FollowUpActions {
    complete: ServerAction<CompleteFollowUp>,
    reschedule: ServerAction<RescheduleFollowUp>,
    cancel: ServerAction<CancelFollowUp>,
}

#[component]
fn OpenFollowUp(f: FollowUpView, actions: FollowUpActions, assignees: Vec<Choice>) -> impl IntoView {
    let done_error = error_about(action_error(actions.complete), "follow_up_id", f.id);
    let move_error = error_about(action_error(actions.reschedule), "follow_up_id", f.id);
    let id = f.id.to_string();
    let (id1, id2, id3, id4) = (id.clone(), id.clone(), id.clone(), id);
    let due_id = format!("reschedule-{}", f.id);
    let next_prefix = format!("next-{}", f.id);
    let row_class = if f.overdue { "follow-up overdue" } else { "follow-up" };
    view! {
        <li class=row_class>
            <div class="follow-up-head">
                <strong>{f.due.clone()}</strong>
                {f.overdue.then(|| view! { <span class="status status-bad">"Overdue"</span> })}
                <span class="muted">" · " {f.assignee.clone()}</span>
            </div>
            {(!f.note.is_empty()).then(|| view! { <p class="follow-up-note">{f.note.clone()}</p> })}
            {f.can_act.then(move || view! {
                <div class="follow-up-actions">
                    <ActionForm action=actions.complete attr:class="inline-form">
                        <input type="hidden" name="id" value=id1/>
                        <button type="submit" class="button button-primary">"Done"</button>
                    </ActionForm>
                    <ActionForm action=actions.cancel attr:class="inline-form">
                        <input type="hidden" name="id" value=id2/>
                        <button type="submit" class="button button-quiet">"Cancel follow-up"</button>
                    </ActionForm>
                </div>
                <FormError error=Signal::derive(move || done_error.get().or_else(|| move_error.get()))/>
                <details class="follow-up-more">
                    <summary>"Done, and schedule the next one"</summary>
                    <ActionForm action=actions.complete attr:class="stack-form">
                        <input type="hidden" name="id" value=id3/>
                        <div class="field" class:has-error=move || done_error.with(|e| e.as_ref().is_some_and(|e| e.field_error("next_due").is_some()))>
                            <label for=format!("{next_prefix}-due")>"Next follow-up"</label>
                            <input id=format!("{next_prefix}-due") type="datetime-local" name="next_due" required=true
                                value=move || done_error.with(|e| e.as_ref().and_then(|e| e.value("next_due")).unwrap_or_default())/>
                            {move || done_error.get().and_then(|e| e.field_error("next_due")).map(|m| view! { <p class="field-error">{m}</p> })}
                        </div>
                        <div class="field">
                            <label for=format!("{next_prefix}-assignee")>"Assign to"</label>
                            <select id=format!("{next_prefix}-assignee") name="next_assignee_id">
                                {assignees.iter().cloned().map(|c| {
                                    let selected = c.value == f.assignee_id.to_string();
                                    view! { <option value=c.value selected=selected>{c.label}</option> }
                                }).collect_view()}
                            </select>
                        </div>
                        <div class="field">
                            <label for=format!("{next_prefix}-note")>"Note for next time"</label>
                            <input id=format!("{next_prefix}-note") name="next_note" maxlength="2000"/>
                        </div>
                        <button type="submit" class="button button-primary">"Done and schedule"</button>
                    </ActionForm>
                </details>
                <details class="follow-up-more">
                    <summary>"Reschedule"</summary>
                    <ActionForm action=actions.reschedule attr:class="row-form">
                        <input type="hidden" name="id" value=id4/>
                        <label for=due_id.clone()>"New time"</label>
                        <input id=due_id type="datetime-local" name="due" required=true value=f.due_input.clone()/>
                        <button type="submit" class="button">"Move"</button>
                    </ActionForm>
                </details>
            })}
        </li>
    }
}

/// The admin-defined fields: value, freshness state, and a one-click re-confirmation of a
/// stale value for whoever keeps it current.
#[component]
fn CustomValues(c: CustomerDetail, confirm: ServerAction<ConfirmValue>) -> impl IntoView {
    let error = action_error(confirm);
    let customer_id = c.id.to_string();
    c.custom.into_iter().map(|v| {
        let field_id = v.field_id.to_string();
        let my_error = {
            let field_id = field_id.clone();
            move || error.get().filter(|e| e.value("field_id").as_deref() == Some(field_id.as_str()) || !matches!(e, AppError::Validation { .. })).map(|e| match e.field_error("field_id") { Some(m) => m, None => e.to_string() })
        };
        let confirm_label = format!("Confirm {} is still right", v.label);
        let state = v.state.clone();
        let customer_id = customer_id.clone();
        view! {
            <dt>{v.label.clone()}{v.required.then_some(view! { <span class="muted">" (required)"</span> })}</dt>
            <dd>
                {match state.as_str() {
                    "missing" => view! { <span class="missing">"Missing"</span> }.into_any(),
                    _ => view! { <span>{v.value.clone()}</span> }.into_any(),
                }}
                {(state == "stale").then(|| view! { " " <span class="status status-warn">"Stale"</span> })}
                {v.confirmed.clone().map(|t| view! { <span class="muted block">{t}</span> })}
                {(state == "stale" && v.can_confirm).then(|| view! {
                    <ActionForm action=confirm attr:class="inline-form">
                        <input type="hidden" name="customer_id" value=customer_id/>
                        <input type="hidden" name="field_id" value=field_id/>
                        <button type="submit" class="button button-small" aria-label=confirm_label>"Still right"</button>
                    </ActionForm>
                })}
                {(state != "ok" && !v.can_confirm).then(|| view! { <span class="muted block">{format!("Kept current by {}.", v.owner.to_lowercase())}</span> })}
                {move || my_error().map(|m| view! { <p class="field-error" role="alert">{m}</p> })}
            </dd>
        }
    }).collect_view()
}

#[component]
fn Profile(c: CustomerDetail, confirm: ServerAction<ConfirmValue>) -> impl IntoView {
    let quality_text = format!("{}%", c.quality);
    view! {
        <section class="panel" aria-labelledby="profile-title">
            <h2 id="profile-title">"Profile"</h2>
            <dl class="facts">
                <dt>"Email"</dt>
                <dd>{match c.email.clone() { Some(e) => view! { <a href=format!("mailto:{e}")>{e.clone()}</a> }.into_any(), None => view! { <span class="missing">"Missing"</span> }.into_any() }}</dd>
                <dt>"Phone"</dt>
                <dd>{match c.phone.clone() { Some(p) => view! { <a href=format!("tel:{}", p.replace(' ', ""))>{p.clone()}</a> }.into_any(), None => view! { <span class="missing">"Missing"</span> }.into_any() }}</dd>
                <dt>"Owner"</dt>
                <dd>{c.owner.clone()}{c.team.clone().map(|t| view! { <span class="muted">" · " {t}</span> })}</dd>
                <dt>"Tags"</dt>
                <dd>{if c.tags.is_empty() { view! { <span class="muted">"None"</span> }.into_any() } else {
                    c.tags.iter().map(|t| view! { <a class="tag" href=format!("/customers?tag={}", crate::model::crm::encode(t))>{t.clone()}</a> }).collect_view().into_any()
                }}</dd>
                {view! { <CustomValues c=c.clone() confirm=confirm/> }.into_any()}
                <dt>"Data quality"</dt>
                <dd>
                    <meter min="0" max="100" value=c.quality.to_string() low="50" high="99" optimum="100" aria-label="Data quality">{quality_text.clone()}</meter>
                    " " {quality_text}
                    <span class="muted block">"Share of required data that is filled and fresh."</span>
                </dd>
            </dl>
            {(!c.notes.is_empty()).then(|| view! { <h3 class="subhead">"Notes"</h3><p class="notes">{c.notes.clone()}</p> })}
        </section>
    }
}

#[component]
fn Contacts(c: CustomerDetail, add: ServerAction<AddContact>) -> impl IntoView {
    let error = action_error(add);
    let can_edit = c.can_edit;
    let id = c.id.to_string();
    view! {
        <section class="panel" aria-labelledby="contacts-title">
            <h2 id="contacts-title">"Contacts"</h2>
            {if c.contacts.is_empty() {
                view! { <p class="empty">"No contacts yet."</p> }.into_any()
            } else {
                view! {
                    <ul class="plain-list">
                        {c.contacts.into_iter().map(|k| view! {
                            <li>
                                <strong>{k.name}</strong>
                                {(!k.title.is_empty()).then(|| view! { <span class="muted">" · " {k.title.clone()}</span> })}
                                <span class="muted block">
                                    {k.email.clone().map(|e| view! { <a href=format!("mailto:{e}")>{e.clone()}</a> })}
                                    {(k.email.is_some() && k.phone.is_some()).then_some(" · ")}
                                    {k.phone.clone()}
                                </span>
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
            {can_edit.then(|| view! {
                <details class="add-more" open=move || error.with(Option::is_some)>
                    <summary>"Add a contact"</summary>
                    <ActionForm action=add attr:class="stack-form">
                        <input type="hidden" name="customer_id" value=id.clone()/>
                        <FormError error=error/>
                        <div class="form-grid">
                            <Field label="Contact name" name="name" required=true maxlength=200
                                value=kept_value(error, "name", String::new()) error=field_error(error, "name")/>
                            <Field label="Job title" name="title" maxlength=120
                                value=kept_value(error, "title", String::new()) error=field_error(error, "title")/>
                            <Field label="Contact email" name="email" kind="email" maxlength=254
                                value=kept_value(error, "email", String::new()) error=field_error(error, "email")/>
                            <Field label="Contact phone" name="phone" kind="tel" maxlength=32
                                value=kept_value(error, "phone", String::new()) error=field_error(error, "phone")/>
                        </div>
                        <button type="submit" class="button">"Add contact"</button>
                    </ActionForm>
                </details>
            })}
        </section>
    }
}

#[component]
fn FollowUps(
    c: CustomerDetail,
    add: ServerAction<AddFollowUp>,
    actions: FollowUpActions,
) -> impl IntoView {
    let error = action_error(add);
    let me = c.me.to_string();
    let id = c.id.to_string();
    let assignees = c.assignees.clone();
    view! {
        <section class="panel" aria-labelledby="follow-ups-title">
            <h2 id="follow-ups-title">"Follow-ups"</h2>
            {if c.open_follow_ups.is_empty() {
                view! { <p class="empty">"No open follow-up. Schedule one so this customer is not forgotten."</p> }.into_any()
            } else {
                let assignees = assignees.clone();
                view! {
                    <ul class="follow-ups">
                        {c.open_follow_ups.into_iter().map(|f| view! { <OpenFollowUp f=f actions=actions assignees=assignees.clone()/> }).collect_view()}
                    </ul>
                }.into_any()
            }}
            <h3 class="subhead">"Schedule a follow-up"</h3>
            <ActionForm action=add attr:class="stack-form">
                <input type="hidden" name="customer_id" value=id/>
                <FormError error=error/>
                <div class="form-grid">
                    <Field label="Due" name="due" kind="datetime-local" required=true
                        hint="In the assignee's timezone."
                        value=kept_value(error, "due", String::new()) error=field_error(error, "due")/>
                    <SelectField label="Assignee" name="assignee_id" choices=assignees
                        value=kept_value(error, "assignee_id", me) error=field_error(error, "assignee_id")/>
                </div>
                <Field label="Note" name="note" maxlength=2000
                    value=kept_value(error, "note", String::new()) error=field_error(error, "note")/>
                <button type="submit" class="button button-primary">"Schedule"</button>
            </ActionForm>
            {(!c.past_follow_ups.is_empty()).then(|| view! {
                <details class="add-more">
                    <summary>{format!("Past follow-ups ({})", c.past_follow_ups.len())}</summary>
                    <ul class="plain-list">
                        {c.past_follow_ups.into_iter().map(|f| {
                            let status = f.status.label();
                            view! {
                                <li>
                                    <span class="status status-off">{status}</span>" "
                                    {f.due}<span class="muted">" · " {f.assignee}</span>
                                    {(!f.note.is_empty()).then(|| view! { <span class="muted block">{f.note.clone()}</span> })}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                </details>
            })}
        </section>
    }
}

#[component]
fn Timeline(c: CustomerDetail, log: ServerAction<LogInteraction>) -> impl IntoView {
    let error = action_error(log);
    let id = c.id.to_string();
    let tz_hint = format!("Your time ({}).", c.timezone);
    view! {
        <section class="panel" aria-labelledby="timeline-title">
            <h2 id="timeline-title">"Timeline"</h2>
            <ActionForm action=log attr:class="stack-form log-form">
                <input type="hidden" name="customer_id" value=id/>
                <FormError error=error/>
                <div class="form-grid">
                    <SelectField label="Type" name="kind" choices=choices_of(&INTERACTION_KINDS)
                        value=kept_value(error, "kind", "call".into()) error=field_error(error, "kind")/>
                    <div class="field" class:has-error=move || error.with(|e| e.as_ref().is_some_and(|e| e.field_error("occurred_at").is_some()))>
                        <label for="field-occurred_at">"When"</label>
                        <p class="field-hint" id="field-occurred_at-hint">{tz_hint}</p>
                        <input id="field-occurred_at" type="datetime-local" name="occurred_at" required=true aria-describedby="field-occurred_at-hint"
                            value=kept_value(error, "occurred_at", c.now_input.clone())/>
                        {move || error.get().and_then(|e| e.field_error("occurred_at")).map(|m| view! { <p class="field-error">{m}</p> })}
                    </div>
                </div>
                <TextAreaField label="Summary" name="summary" required=true maxlength=5000 rows=2
                    value=kept_value(error, "summary", String::new()) error=field_error(error, "summary")/>
                <Field label="Outcome" name="outcome" maxlength=500 hint="Optional: what was agreed or decided."
                    value=kept_value(error, "outcome", String::new()) error=field_error(error, "outcome")/>
                <button type="submit" class="button button-primary">"Log interaction"</button>
            </ActionForm>
            {if c.interactions.is_empty() {
                view! { <p class="empty">"No interactions logged yet."</p> }.into_any()
            } else {
                view! {
                    <ol class="timeline">
                        {c.interactions.into_iter().map(|i| {
                            let kind = label_of(&INTERACTION_KINDS, &i.kind);
                            let kind_class = format!("kind kind-{}", i.kind);
                            view! {
                                <li>
                                    <div class="timeline-head">
                                        <span class=kind_class>{kind}</span>
                                        <span class="muted">{i.occurred_at}{i.author.map(|a| format!(" · {a}"))}</span>
                                    </div>
                                    <p class="timeline-summary">{i.summary}</p>
                                    {(!i.outcome.is_empty()).then(|| view! { <p class="muted">"Outcome: " {i.outcome.clone()}</p> })}
                                </li>
                            }
                        }).collect_view()}
                    </ol>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn History(c: CustomerDetail) -> impl IntoView {
    view! {
        <section class="panel" aria-labelledby="history-title">
            <details>
                <summary id="history-title">{format!("Change history ({})", c.history.len())}</summary>
                <ul class="plain-list history">
                    {c.history.into_iter().map(|h| view! {
                        <li>
                            <span class="muted">{h.at}" · "</span>
                            <strong>{h.actor.unwrap_or_else(|| "System".into())}</strong>" " {h.action}
                            {(!h.changes.is_empty()).then(|| view! {
                                <ul class="changes">
                                    {h.changes.into_iter().map(|(field, before, after)| view! {
                                        <li>
                                            <span class="change-field">{field}</span>": "
                                            {(!before.is_empty()).then(|| view! { <del>{before.clone()}</del>" → " })}
                                            <ins>{if after.is_empty() { "(empty)".to_string() } else { after }}</ins>
                                        </li>
                                    }).collect_view()}
                                </ul>
                            })}
                        </li>
                    }).collect_view()}
                </ul>
            </details>
        </section>
    }
}

/// The processes run on this customer, with progress, and the form that starts one. `data`
/// is made by the page, outside the customer's `Loaded`: server-side rendering draws what is
/// inside it more than once, and a resource made there would fetch once a pass.
#[component]
fn Processes(
    customer_id: i32,
    data: Resource<Result<CustomerRuns, AppError>>,
    start: ServerAction<StartRun>,
) -> impl IntoView {
    use crate::pages::processes::{Progress, RunState};
    let error = action_error(start);
    view! {
        <section class="panel" aria-labelledby="processes-title">
            <h2 id="processes-title">"Processes"</h2>
            <Loaded data render=move |list| view! {
                {if list.runs.is_empty() {
                    view! { <p class="empty">"No process has run on this customer yet."</p> }.into_any()
                } else {
                    view! {
                        <ul class="plain-list runs">
                            {list.runs.into_iter().map(|r| {
                                let href = format!("/runs/{}", r.id);
                                view! {
                                    <li>
                                        <a class="row-title" href=href>{r.name}</a>" "
                                        <RunState status=r.status/>
                                        {r.overdue.then(|| view! { " "<span class="status status-bad">"Overdue"</span> })}
                                        <span class="block"><Progress done=r.done total=r.total/></span>
                                        <span class="muted block">
                                            {format!("Started {} · {}", r.started, r.owner)}
                                            {r.current.map(|c| format!(" · now: {c}"))}
                                        </span>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any()
                }}
                {(!list.startable.is_empty()).then(|| view! {
                    <ActionForm action=start attr:class="row-form start-form">
                        <input type="hidden" name="customer_id" value=customer_id.to_string()/>
                        <SelectField label="Start a process" name="template_id" choices=list.startable.clone()
                            placeholder="Choose a process…"
                            value=kept_value(error, "template_id", String::new()) error=field_error(error, "template_id")/>
                        <button type="submit" class="button button-primary">"Start"</button>
                    </ActionForm>
                })}
            }.into_any()/>
            <FormError error=error/>
        </section>
    }
}

#[component]
pub fn CustomerPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").and_then(|v| v.parse::<i32>().ok())));
    let log = ServerAction::<LogInteraction>::new();
    let add_follow_up = ServerAction::<AddFollowUp>::new();
    let add_contact = ServerAction::<AddContact>::new();
    let confirm = ServerAction::<ConfirmValue>::new();
    let actions = FollowUpActions {
        complete: ServerAction::<CompleteFollowUp>::new(),
        reschedule: ServerAction::<RescheduleFollowUp>::new(),
        cancel: ServerAction::<CancelFollowUp>::new(),
    };
    let data = Resource::new(
        move || {
            (
                id.get(),
                log.version().get(),
                add_follow_up.version().get(),
                add_contact.version().get(),
                confirm.version().get(),
                actions.complete.version().get(),
                actions.reschedule.version().get(),
                actions.cancel.version().get(),
            )
        },
        |(id, ..)| async move {
            match id {
                Some(id) => get_customer(id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    let start = ServerAction::<StartRun>::new();
    let runs = Resource::new(
        move || (id.get(), start.version().get()),
        |(id, _)| async move {
            match id {
                Some(id) => load_customer_runs(id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    view! {
        <Loaded data loading="Loading customer…" render=move |c| {
            let kind = c.kind.label();
            let edit = format!("/customers/{}/edit", c.id);
            view! {
                <Title text=c.name.clone()/>
                <header class="page-header with-actions">
                    <div>
                        <p class="breadcrumb"><a href="/customers">"Customers"</a></p>
                        <h1>{c.name.clone()}</h1>
                        <p class="lede"><span class="stage">{c.stage.clone()}</span>" " {kind}</p>
                    </div>
                    {c.can_edit.then(|| view! { <a class="button" href=edit>"Edit customer"</a> })}
                </header>
                <div class="customer-grid">
                    <div class="customer-side">
                        {view! { <Profile c=c.clone() confirm=confirm/> }.into_any()}
                        {view! { <Contacts c=c.clone() add=add_contact/> }.into_any()}
                    </div>
                    <div class="customer-main">
                        {view! { <FollowUps c=c.clone() add=add_follow_up actions=actions/> }.into_any()}
                        {view! { <Processes customer_id=c.id data=runs start=start/> }.into_any()}
                        {view! { <Timeline c=c.clone() log=log/> }.into_any()}
                        {view! { <History c=c/> }.into_any()}
                    </div>
                </div>
            }.into_any()
        }/>
    }
}
